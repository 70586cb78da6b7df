//! The local SQLite store: one module per table, plus the pool, the
//! migrations and the figures the dashboard shows. Nothing here knows about
//! screens or the command line; SQL lives here and only here.
//!
//! Callers name what they want: `Store` methods (`api/`, one file per
//! table: `protocol`, `import_protocol`, `review`, `decide_all`,
//! `apply_revision`, `report_source`, `backup`, …), `Store::watch` for
//! other writers' commits, `Store::load` for bulk rows. The table functions
//! underneath (`protocols::get(conn, id)`, …) take a `Connection`; outside
//! the store only the callers listed under step 2 below still reach them
//! through `Store::read`/`write`.
//!
//! # Plan for PostgreSQL (issue #14)
//!
//! Functions that take a rusqlite `Connection` today: every public
//! function of `protocols`, `analyses`, `suggestions`, `versions`,
//! `exports` and `stats`; `migrate` (schema version in `PRAGMA
//! user_version`), `search::register` (an SQL function for FTS5),
//! `pool` (open, pragmas, WAL), `bulk::Loader`, `watch` (`PRAGMA
//! data_version`) and `backup` (SQLite's online backup API, files).
//!
//! 1. `Store` keeps its methods and holds `enum Backend { Sqlite(pool),
//!    Postgres(pool) }`; each method matches once and calls
//!    `sqlite::protocols::get(&conn, id)` or `postgres::protocols::get(&mut
//!    client, id)` (postgres clients take `&mut`). Row types, filters,
//!    `NewX` inputs, `Page`, `Expect` and errors stay shared in the table
//!    modules; only the functions holding SQL split, one file per table per
//!    backend (`?1` becomes `$1`, `Where` learns the placeholder style).
//! 2. Before that, the remaining `read`/`write` closures become `Store`
//!    methods, multi-step ones as units of work that take the pure step as
//!    an argument, so no caller keeps a connection and `read`/`write` can
//!    become private to the store. Done for import (`import_protocol`),
//!    apply (`apply_revision(id, user, |source| plan(…))`), export
//!    (`report_source` and the export row's moves), backup, the interface
//!    and the other commands. Still calling `read`/`write` (being edited on
//!    another branch, so left alone here):
//!    - `jobs/analyze.rs`: the protocol, the pending analysis, start, fail
//!      and completion with the carry-over in one transaction; wants
//!      `complete_analysis(id, |earlier| carry(…))` and friends;
//!    - `cli/analyze.rs`: a page of protocols, which is `Store::protocols`;
//!    - `cli/dashboard.rs`: the figures, which is `Store::dashboard`;
//!    - the tests, for table functions that no operation needs yet
//!      (`tests/store.rs`: creating analyses and suggestions, versions
//!      with a given number, raw SQL; `tests/tui.rs`: a three-version setup), and
//!      `Store::connection` in `tests/store.rs` to check each pooled
//!      connection's pragmas.
//!
//!    When those three files have moved, `read`, `write` and `connection`
//!    become private as `try_write` already is (the tests then get typed
//!    setup helpers or a test-only door).
//! 3. Per backend: `migrate` (numbered files for each, an advisory lock
//!    instead of `BEGIN IMMEDIATE`), `search` (generated tsvector + GIN and
//!    `websearch_to_tsquery` instead of FTS5), `watch` (LISTEN/NOTIFY
//!    instead of `data_version`), `backup` (`pg_dump`), busy/locked
//!    retries (serialization failures), and error mapping (SQLSTATE
//!    23503/23505 for the constraint violations mapped today). Timestamps
//!    stay `String` at the API and convert at the SQL boundary.

pub mod analyses;
pub mod api;
pub mod backup;
pub mod bulk;
pub mod copy;
pub mod error;
pub mod exports;
pub mod filter;
pub mod ids;
pub mod migrate;
pub mod pool;
pub mod postgres;
pub mod protocols;
pub mod provider_cache;
pub mod search;
pub mod stats;
pub mod suggestions;
pub mod time;
pub mod versions;
mod vocab_sql;
pub mod watch;

use std::path::{Path, PathBuf};

use rusqlite::{Transaction, TransactionBehavior};

/// What the table functions run on: a SQLite connection (a write
/// transaction derefs to one). Code outside the store names it only to
/// pass on what `Store::read` and `Store::write` hand it, never to run SQL.
pub use rusqlite::Connection;

pub use crate::vocab::*;
pub use error::{Result, StoreError};
pub use pool::Access;

/// A page of a list: `limit` rows after skipping `offset`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Page {
    pub offset: u64,
    pub limit: u64,
}

impl Page {
    pub fn first(limit: u64) -> Page {
        Page { offset: 0, limit }
    }

    /// (LIMIT, OFFSET) as SQLite takes them, signed: past the largest they
    /// stay the largest. Cast, 2^64 - 1 became -1, which SQLite reads as
    /// "no limit" or "no offset", so a far page showed the first one.
    pub fn sql(self) -> (i64, i64) {
        let clamp = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        (clamp(self.limit), clamp(self.offset))
    }
}

impl Default for Page {
    fn default() -> Page {
        Page::first(100)
    }
}

/// An open store: its file and a pool of configured connections. Cloning
/// shares the pool (worker threads take a clone).
#[derive(Clone)]
pub struct Store {
    path: PathBuf,
    access: Access,
    pool: pool::Pool,
}

impl Store {
    /// Open (creating if needed, migrating if old) the store at `path` for
    /// reading and writing.
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, Access::ReadWrite)
    }

    /// Open for the given access. Read-only access never creates, migrates
    /// or writes anything, so a user who may only read the file can still
    /// look at it.
    pub fn open_with(path: &Path, access: Access) -> Result<Store> {
        Store::prepare(path, access).map_err(|e| e.for_path(path))?;
        let pool = pool::build_pool(path, access)?;
        Ok(Store {
            path: path.to_owned(),
            access,
            pool,
        })
    }

    fn prepare(path: &Path, access: Access) -> Result<()> {
        // SQLite would open a FIFO and wait on it for ever: look first.
        if let Ok(meta) = std::fs::metadata(path) {
            let kind = if meta.is_dir() {
                Some("a folder")
            } else {
                crate::files::special_kind(&meta)
            };
            if let Some(kind) = kind {
                return Err(StoreError::Invalid(format!(
                    "{} is {kind}, not a database file: pass --db with a file path",
                    path.display()
                )));
            }
        }
        match access {
            Access::ReadWrite => {
                if path.exists() && is_read_only(path) {
                    return Err(StoreError::ReadOnly {
                        path: path.to_owned(),
                    });
                }
                pool::create_private_file(path)?;
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    crate::files::clean_stale(dir);
                }
            }
            Access::ReadOnly if !path.exists() => {
                return Err(StoreError::Invalid(format!(
                    "no database at {}: import a protocol first ('protoscribe import FILE'), or pass --db",
                    path.display()
                )));
            }
            Access::ReadOnly => {}
        }
        let mut conn = pool::open_connection(path, access)?;
        let version = migrate::check_compatible(&conn, path)?;
        match access {
            Access::ReadWrite => {
                migrate::check_before_upgrade(&conn, version)?;
                // Switching to WAL needs the file to itself, and SQLite
                // answers "busy" at once instead of waiting: when several
                // processes open a new store together, take turns.
                retry_busy(|| pool::enable_wal(&conn))?;
                migrate::migrate(&mut conn)?;
            }
            Access::ReadOnly if version < migrate::SCHEMA_VERSION => {
                return Err(StoreError::Invalid(format!(
                    "{} has schema version {version} and needs upgrading to {}, which needs write access: run ProtoScribe once as a user who may write it",
                    path.display(),
                    migrate::SCHEMA_VERSION
                )));
            }
            Access::ReadOnly => {}
        }
        Ok(())
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn access(&self) -> Access {
        self.access
    }

    /// A pooled connection. Inside the store: `watch` and `bulk` hold one
    /// across several statements. Outside it only `tests/store.rs` uses it
    /// (to check each connection's pragmas); it becomes private with
    /// `read`/`write` (see step 2 of the plan above).
    pub fn connection(&self) -> Result<pool::PooledConnection> {
        Ok(self.pool.get()?)
    }

    /// Run reads on one connection.
    ///
    /// For the store's own operations (`api/`). Public only until the last
    /// callers outside the store move to `Store` methods: `jobs/analyze.rs`,
    /// `cli/analyze.rs`, `cli/dashboard.rs` and the tests (step 2 of the
    /// plan above); then it becomes private. Do not add callers: add a
    /// method in `api/` instead.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.connection()?;
        f(&conn).map_err(|e| e.for_path(&self.path))
    }

    /// Run writes in one transaction that takes the write lock up front
    /// (BEGIN IMMEDIATE), so a second process waits for the busy timeout
    /// instead of failing half-way. All or nothing.
    ///
    /// Public only until `jobs/analyze.rs`, `cli/analyze.rs`,
    /// `cli/dashboard.rs` and the tests move to `Store` methods, like
    /// `read`; then private. Do not add callers: add a method in `api/`.
    pub fn write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        if self.access == Access::ReadOnly {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        }
        let mut conn = self.connection()?;
        let run = |conn: &mut Connection| {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        };
        run(&mut conn).map_err(|e: StoreError| e.for_path(&self.path))
    }
}

impl Store {
    /// Like `write`, but never waits for another process's write lock:
    /// `StoreError::Busy` at once if the store is locked, so the interface
    /// can hand the write to a thread that may wait.
    /// Private: the interface asks for `try_decide_all`.
    fn try_write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        if self.access == Access::ReadOnly {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        }
        let conn = self.connection()?;
        let run = |conn: &Connection| {
            conn.busy_timeout(std::time::Duration::ZERO)?;
            let begun = Transaction::new_unchecked(conn, TransactionBehavior::Immediate);
            // Holding the write lock now (or not at all): the rest may wait
            // as every connection does.
            conn.busy_timeout(pool::BUSY_TIMEOUT)?;
            let tx = begun?;
            let value = f(&tx)?;
            tx.commit()?;
            Ok(value)
        };
        run(&conn).map_err(|e: StoreError| e.for_path(&self.path))
    }
}

/// Run `step` again while it reports the database busy, for as long as a
/// busy connection would wait.
fn retry_busy<T>(mut step: impl FnMut() -> Result<T>) -> Result<T> {
    let deadline = std::time::Instant::now() + pool::BUSY_TIMEOUT;
    let mut pause = std::time::Duration::from_millis(2);
    loop {
        match step() {
            Err(StoreError::Sqlite(e))
                if matches!(
                    e.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

fn is_read_only(path: &Path) -> bool {
    use std::fs::OpenOptions;
    OpenOptions::new().write(true).open(path).is_err()
}
