//! The store: a SQLite file (the default) or a PostgreSQL database chosen
//! by URL, behind one `Store`. One module per table, plus the pool, the
//! migrations and the figures the dashboard shows. Nothing here knows about
//! screens or the command line; SQL lives here and only here.
//!
//! Callers name what they want: `Store` methods (`api/`, one file per
//! table: `protocol`, `import_protocol`, `review`, `decide_all`,
//! `apply_revision`, `report_source`, `backup`, …), `Store::watch` for
//! other writers' commits, `Store::load` for bulk rows. None of them knows
//! which backend it talks to.
//!
//! # Two backends (issue #14)
//!
//! - The table functions exist twice with the same names, inputs and
//!   outputs: `store::<table>` on a rusqlite `Connection`, and
//!   `store::postgres::<table>` on a `postgres::GenericClient`. Row types,
//!   filters, `NewX` inputs, `Page`, `Expect` and errors are shared.
//! - `Tables` (`tables.rs`) has one method per table function
//!   (`protocols_get` is `protocols::get`), implemented for each backend;
//!   `Store::read` and `Store::write` hand one to a closure, so each unit
//!   of work (the operations in `api/`, the analysis job) is written once.
//!   SQLite reads use one connection and writes one BEGIN IMMEDIATE
//!   transaction; PostgreSQL reads one REPEATABLE READ READ ONLY
//!   transaction (one snapshot per unit) and writes one transaction that
//!   first takes the store's advisory lock, so writers from every machine
//!   take turns as SQLite's do (a lock not had within the busy timeout is
//!   `StoreError::Busy`, as on SQLite).
//! - What differs by backend stays behind `Store`: `watch` (PRAGMA
//!   data_version, or LISTEN/NOTIFY), `status`, backups (`backup` for a
//!   file, `dump`/`restore_dump` for `pg_dump`), migrations (on open).
//! - `read_sqlite`/`write_sqlite`/`connection` hand out SQLite itself, for
//!   the tests that run raw SQL and the SQLite-only tools (file backups,
//!   bulk loading for `db synth`); on PostgreSQL they refuse in one
//!   sentence.

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
pub mod tables;
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
pub use tables::Tables;
pub use watch::Watch;

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

/// An open store: a SQLite file or a PostgreSQL database, and a pool of
/// configured connections to it. Cloning shares the pool (worker threads
/// take a clone).
#[derive(Clone)]
pub struct Store {
    /// The file; for PostgreSQL, the URL with its password masked.
    path: PathBuf,
    access: Access,
    backend: Backend,
}

/// Which database the store is, and its pool. Only `Store`'s own methods
/// look at it; everything else asks `Store`.
#[derive(Clone)]
enum Backend {
    Sqlite(pool::Pool),
    Postgres {
        target: Box<postgres::Target>,
        pool: postgres::Pool,
    },
}

/// How many connections a PostgreSQL store keeps at most, like SQLite's.
const POSTGRES_POOL_SIZE: u32 = 4;

impl Store {
    /// Open (creating if needed, migrating if old) the store at `path` for
    /// reading and writing. A `postgres://` or `postgresql://` URL opens
    /// that PostgreSQL database instead (migrating it if old).
    pub fn open(path: &Path) -> Result<Store> {
        Store::open_with(path, Access::ReadWrite)
    }

    /// Open for the given access. Read-only access never creates, migrates
    /// or writes anything, so a user who may only read the file can still
    /// look at it. (A PostgreSQL store's permissions are the server's to
    /// enforce: it is always opened for reading and writing.)
    pub fn open_with(path: &Path, access: Access) -> Result<Store> {
        if let Some(url) = postgres_url(path) {
            return Store::open_postgres(url);
        }
        Store::prepare(path, access).map_err(|e| e.for_path(path))?;
        let pool = pool::build_pool(path, access)?;
        Ok(Store {
            path: path.to_owned(),
            access,
            backend: Backend::Sqlite(pool),
        })
    }

    /// Open the PostgreSQL database at `url`, bringing its schema up to
    /// date under the advisory lock (so two first starts do not race).
    pub fn open_postgres(url: &str) -> Result<Store> {
        let target = postgres::Target::parse(url)?;
        let pool = target.pool(POSTGRES_POOL_SIZE)?;
        {
            let mut client = pool.get()?;
            postgres::migrate::migrate(&mut client, target.shown())?;
        }
        Ok(Store {
            path: PathBuf::from(target.shown()),
            access: Access::ReadWrite,
            backend: Backend::Postgres {
                target: Box::new(target),
                pool,
            },
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
                // Another process may be upgrading the file meanwhile: its
                // schema changes under PRAGMA quick_check (SQLite reports
                // that for the search index's table), so look again, at
                // the version it has now.
                retry_busy(|| {
                    let now = migrate::user_version(&conn)?;
                    migrate::check_before_upgrade(&conn, now)
                })?;
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

    /// The file, or for PostgreSQL the URL with its password masked (for
    /// messages; never a file to open).
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn access(&self) -> Access {
        self.access
    }

    /// Whether the store is a PostgreSQL database rather than a file.
    pub fn is_postgres(&self) -> bool {
        matches!(self.backend, Backend::Postgres { .. })
    }

    /// The PostgreSQL server and database, for the few operations that
    /// differ by backend (backups, the watch); `None` for SQLite.
    pub fn postgres_target(&self) -> Option<&postgres::Target> {
        match &self.backend {
            Backend::Postgres { target, .. } => Some(target),
            Backend::Sqlite(_) => None,
        }
    }

    /// Where the store is, as messages show it: the file, or the URL
    /// without its password.
    pub fn shown(&self) -> String {
        self.path.display().to_string()
    }

    fn sqlite_pool(&self) -> Result<&pool::Pool> {
        match &self.backend {
            Backend::Sqlite(pool) => Ok(pool),
            Backend::Postgres { target, .. } => Err(StoreError::Invalid(format!(
                "{} is a PostgreSQL database, and this works only on a SQLite store file",
                target.shown()
            ))),
        }
    }

    /// A pooled SQLite connection (an error on PostgreSQL). Inside the
    /// store: `watch`, `bulk` and `backup` hold one across several
    /// statements; outside it only `tests/store.rs` uses it (to check each
    /// connection's pragmas).
    pub fn connection(&self) -> Result<pool::PooledConnection> {
        Ok(self.sqlite_pool()?.get()?)
    }

    /// Run reads as one unit on either backend: on SQLite one connection,
    /// on PostgreSQL one REPEATABLE READ READ ONLY transaction, so every
    /// read in the unit sees the same snapshot.
    ///
    /// For the store's own operations (`api/`) and the analysis job. Do
    /// not add callers elsewhere: add a method in `api/` instead.
    pub fn read<T>(&self, f: impl FnOnce(&mut dyn Tables) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(pool) => {
                let run = || {
                    let conn = pool.get()?;
                    f(&mut tables::Sqlite(&conn))
                };
                run().map_err(|e| e.for_path(&self.path))
            }
            Backend::Postgres { .. } => self.read_postgres(|tx| f(tx)),
        }
    }

    /// `read` on PostgreSQL alone, handing the transaction itself (an
    /// error on SQLite): for what only one backend has, such as `db
    /// status`.
    pub(crate) fn read_postgres<T>(
        &self,
        f: impl FnOnce(&mut postgres::unit::Unit) -> Result<T>,
    ) -> Result<T> {
        let Backend::Postgres { pool, .. } = &self.backend else {
            return Err(StoreError::Invalid(format!(
                "{} is a SQLite store file, and this works only on PostgreSQL",
                self.path.display()
            )));
        };
        let (mut unit, _) = postgres::unit::Unit::begin(
            pool,
            "START TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        )?;
        let value = f(&mut unit)?;
        unit.commit()?;
        Ok(value)
    }

    /// Run writes as one unit, all or nothing, on either backend. SQLite
    /// takes the write lock up front (BEGIN IMMEDIATE), so a second process
    /// waits for the busy timeout instead of failing half-way; PostgreSQL
    /// takes the store's advisory lock first in the transaction, so writers
    /// from every machine take turns in the same way (and cannot deadlock),
    /// waiting as long as SQLite would before saying the store is busy.
    pub fn write<T>(&self, f: impl FnOnce(&mut dyn Tables) -> Result<T>) -> Result<T> {
        match &self.backend {
            Backend::Sqlite(_) => self.write_sqlite(|tx| {
                // A write transaction derefs to its connection; the
                // transaction itself commits when `f` succeeds.
                let conn: &Connection = tx;
                f(&mut tables::Sqlite(conn))
            }),
            Backend::Postgres { pool, .. } => self.write_postgres(pool, false, f),
        }
    }

    fn write_postgres<T>(
        &self,
        pool: &postgres::Pool,
        at_once: bool,
        f: impl FnOnce(&mut dyn Tables) -> Result<T>,
    ) -> Result<T> {
        let id = migrate::APPLICATION_ID;
        // BEGIN and the lock in one round trip.
        let (mut unit, answer) = if at_once {
            postgres::unit::Unit::begin(
                pool,
                &format!("BEGIN; SELECT pg_try_advisory_xact_lock({id})"),
            )?
        } else {
            let timeout = pool::BUSY_TIMEOUT.as_millis();
            postgres::unit::Unit::begin(
                pool,
                &format!(
                    "BEGIN; SET LOCAL lock_timeout = '{timeout}ms'; SELECT pg_advisory_xact_lock({id})"
                ),
            )?
        };
        if at_once && answer.as_deref() != Some("t") {
            return Err(StoreError::Busy);
        }
        let value = f(&mut unit)?;
        unit.commit()?;
        Ok(value)
    }

    /// Run reads on one SQLite connection, with SQL of the caller's own.
    /// For the tests and the SQLite-only tools (backups of the file,
    /// `db synth`, `db exercise`, bulk loading); an error on PostgreSQL.
    /// Everything else uses `read`.
    pub fn read_sqlite<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.connection().map_err(|e| e.for_path(&self.path))?;
        f(&conn).map_err(|e| e.for_path(&self.path))
    }

    /// `write` on SQLite alone, handing the transaction itself (BEGIN
    /// IMMEDIATE, committed when `f` succeeds). Like `read_sqlite`: for
    /// tests and SQLite-only tools.
    pub fn write_sqlite<T>(&self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
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
    fn try_write<T>(&self, f: impl FnOnce(&mut dyn Tables) -> Result<T>) -> Result<T> {
        if self.access == Access::ReadOnly {
            return Err(StoreError::ReadOnly {
                path: self.path.clone(),
            });
        }
        let pool = match &self.backend {
            Backend::Sqlite(pool) => pool,
            Backend::Postgres { pool, .. } => return self.write_postgres(pool, true, f),
        };
        let conn = pool.get()?;
        let run = |conn: &Connection| {
            conn.busy_timeout(std::time::Duration::ZERO)?;
            let begun = Transaction::new_unchecked(conn, TransactionBehavior::Immediate);
            // Holding the write lock now (or not at all): the rest may wait
            // as every connection does.
            conn.busy_timeout(pool::BUSY_TIMEOUT)?;
            let tx = begun?;
            let value = f(&mut tables::Sqlite(&tx))?;
            tx.commit()?;
            Ok(value)
        };
        run(&conn).map_err(|e: StoreError| e.for_path(&self.path))
    }
}

/// The URL in `path`, when it names a PostgreSQL database.
fn postgres_url(path: &Path) -> Option<&str> {
    path.to_str().filter(|s| postgres::is_postgres_url(s))
}

/// A PostgreSQL error from the store's own statements (begin, lock,
/// commit) as the sentence a user can act on: a lock not had in time is
/// the store being busy, as on SQLite.
fn postgres_error(error: ::postgres::Error) -> StoreError {
    if postgres::sql::code(&error) == Some("55P03") {
        return StoreError::Busy;
    }
    postgres::sql::error(error)
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
                    Some(
                        rusqlite::ErrorCode::DatabaseBusy
                            | rusqlite::ErrorCode::DatabaseLocked
                            | rusqlite::ErrorCode::SchemaChanged
                    )
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(pause);
                pause = (pause * 2).min(std::time::Duration::from_millis(50));
            }
            other => return other,
        }
    }
}

pub(crate) fn is_read_only(path: &Path) -> bool {
    use std::fs::OpenOptions;
    OpenOptions::new().write(true).open(path).is_err()
}
