//! The local SQLite store: one module per table, plus the pool, the
//! migrations and the figures the dashboard shows. Nothing here knows about
//! screens or the command line; SQL lives here and only here.

pub mod analyses;
pub mod backup;
pub mod error;
pub mod exports;
pub mod filter;
pub mod ids;
pub mod migrate;
pub mod pool;
pub mod protocols;
pub mod provider_cache;
pub mod search;
pub mod stats;
pub mod suggestions;
pub mod synth;
pub mod time;
pub mod versions;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, Transaction, TransactionBehavior};

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

    /// A pooled connection, for callers that hold one across several reads
    /// (worker threads, the interface).
    pub fn connection(&self) -> Result<pool::PooledConnection> {
        Ok(self.pool.get()?)
    }

    /// Run reads on one connection.
    pub fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.connection()?;
        f(&conn).map_err(|e| e.for_path(&self.path))
    }

    /// Run writes in one transaction that takes the write lock up front
    /// (BEGIN IMMEDIATE), so a second process waits for the busy timeout
    /// instead of failing half-way. All or nothing.
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
    pub fn try_write<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
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
