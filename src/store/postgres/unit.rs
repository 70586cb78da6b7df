//! One unit of work on PostgreSQL: a pooled connection and a transaction
//! begun by hand, so that BEGIN travels in the same round trip as the
//! statements that set the unit up (the write lock, its timeout). A
//! decision is a handful of round trips and each costs as much as the
//! work, so the ones that carry nothing go: the driver's own `transaction()`
//! sends BEGIN alone, and r2d2's test of every connection it hands out is
//! a round trip of its own. Connections are not tested on checkout; one
//! the server has closed since (a restart, an idle timeout) fails at the
//! first statement, before anything was done, and the next is tried.

use postgres::SimpleQueryMessage;

use super::connect::{Client, Pool};
use crate::store::error::{Result, StoreError};

/// A transaction in progress: committed by `commit`, rolled back when
/// dropped without (an error, a panic unwinding through the unit).
pub struct Unit {
    client: Client,
    open: bool,
}

impl Unit {
    /// Check a connection out and run `setup`, which begins the
    /// transaction (`BEGIN; SET LOCAL …; SELECT …`), as one simple query.
    /// Returns the unit and the first column of the last row `setup`
    /// returned, if any (`t` or `f` from `pg_try_advisory_xact_lock`).
    pub fn begin(pool: &Pool, setup: &str) -> Result<(Unit, Option<String>)> {
        // Every connection may have been closed by a server restart: try
        // each once, then one new.
        let attempts = pool.state().connections + 1;
        let mut last = None;
        for _ in 0..attempts {
            let mut client = pool.get().map_err(|e| {
                StoreError::Unreachable(format!(
                    "PostgreSQL did not answer ({e}): check that the server is running and reachable"
                ))
            })?;
            match client.simple_query(setup) {
                Ok(messages) => {
                    let answer = messages.iter().rev().find_map(|m| match m {
                        SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
                        _ => None,
                    });
                    return Ok((Unit { client, open: true }, answer));
                }
                // Closed before anything ran (or its server process ended,
                // which it learns only now): r2d2 drops the connection (it
                // reports itself broken) and the next is tried.
                Err(e) if closed(&e) || client.is_closed() => {
                    // Told its process is ending, the driver may not yet
                    // have seen the socket close; one more (empty) query
                    // makes it, or r2d2 would take the connection back.
                    if !client.is_closed() {
                        let _ = client.simple_query("");
                    }
                    last = Some(e);
                }
                Err(e) => {
                    // A statement after BEGIN failed (the lock's timeout):
                    // end the aborted transaction before the connection
                    // goes back to the pool.
                    let _ = client.batch_execute("ROLLBACK");
                    return Err(crate::store::postgres_error(e));
                }
            }
        }
        Err(StoreError::Unreachable(match last {
            Some(e) => format!(
                "lost the connection to PostgreSQL ({}): check that the server is running and reachable",
                crate::store::postgres_error(e)
            ),
            None => "no connection to PostgreSQL could be made: check that the server is running and reachable".into(),
        }))
    }

    /// The connection, inside the transaction.
    pub fn client(&mut self) -> &mut postgres::Client {
        &mut self.client
    }

    pub fn commit(mut self) -> Result<()> {
        // Whatever COMMIT answers, the transaction is over: nothing to
        // roll back on drop.
        self.open = false;
        self.client
            .batch_execute("COMMIT")
            .map_err(crate::store::postgres_error)
    }
}

/// Whether the error says the connection is gone: closed, or its server
/// process told to end (a restart, `pg_terminate_backend`).
fn closed(error: &postgres::Error) -> bool {
    error.is_closed() || matches!(super::sql::code(error), Some("57P01" | "57P02" | "57P03"))
}

impl Drop for Unit {
    fn drop(&mut self) {
        if self.open {
            // A connection that cannot take the ROLLBACK is closed, and
            // r2d2 will not hand it out again.
            let _ = self.client.batch_execute("ROLLBACK");
        }
    }
}
