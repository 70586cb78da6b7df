//! Noticing other writers on PostgreSQL: a connection of its own that
//! LISTENs on the channel the schema's triggers NOTIFY on every commit
//! that changes a table (see `migrations/postgres/0001_initial.sql`), so
//! the interface re-reads only when something changed, without polling
//! the tables. A dropped connection is made again, and reported as a
//! change, since what happened meanwhile is unknown.

use super::connect::Target;
use crate::store::error::Result;

pub const CHANNEL: &str = "protoscribe_changes";

pub struct Watch {
    target: Target,
    client: Option<postgres::Client>,
}

impl Watch {
    /// Start listening: changes committed from now on are seen.
    pub fn new(target: &Target) -> Result<Watch> {
        let client = listen(target)?;
        Ok(Watch {
            target: target.clone(),
            client: Some(client),
        })
    }

    /// Whether anything was committed since the last look. Waits at most
    /// a millisecond.
    pub fn changed(&mut self) -> Result<bool> {
        let Some(client) = self.client.as_mut() else {
            // Lost earlier: try again; a new connection means re-read.
            self.client = Some(listen(&self.target)?);
            return Ok(true);
        };
        if client.is_closed() {
            self.client = None;
            return self.changed();
        }
        let mut seen = false;
        let mut lost = false;
        {
            let mut notifications = client.notifications();
            // `iter()` would not turn the client's reactor, so a notice
            // already on the socket would wait for the next query: give it
            // a millisecond to read what has arrived.
            let mut pending = notifications.timeout_iter(std::time::Duration::from_millis(1));
            loop {
                match postgres::fallible_iterator::FallibleIterator::next(&mut pending) {
                    Ok(Some(_)) => seen = true,
                    Ok(None) => break,
                    Err(_) => {
                        lost = true;
                        break;
                    }
                }
            }
        }
        if lost {
            // The connection dropped: reconnect now and have the caller
            // re-read, or say the server does not answer (rather than send
            // the caller to read from it).
            self.client = None;
            return self.changed();
        }
        Ok(seen)
    }
}

fn listen(target: &Target) -> Result<postgres::Client> {
    let mut client = target.connect()?;
    client
        .batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(super::migrate::sql)?;
    Ok(client)
}
