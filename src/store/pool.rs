//! Connections: the file is created private (0600), every connection gets
//! the same pragmas, and a pool hands them to commands and worker threads.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;
use std::time::Duration;

use r2d2_sqlite::SqliteConnectionManager;
use rusqlite::{Connection, OpenFlags};

use super::error::{Result, StoreError};

pub type Pool = r2d2::Pool<SqliteConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<SqliteConnectionManager>;

/// How long a connection waits for another process's write to finish
/// before giving up. Reviewers on one server share the file; waiting a few
/// seconds is better than an error.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Set on every connection. WAL itself is persistent and set once at open.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    super::search::register(conn)?;
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA synchronous = NORMAL;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16000;",
    )
}

/// Whether the store may be written, or only read (a file the user may not write).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    ReadWrite,
    ReadOnly,
}

impl Access {
    fn flags(self) -> OpenFlags {
        let base = OpenFlags::SQLITE_OPEN_NO_MUTEX;
        match self {
            Access::ReadWrite => base | OpenFlags::SQLITE_OPEN_READ_WRITE,
            Access::ReadOnly => base | OpenFlags::SQLITE_OPEN_READ_ONLY,
        }
    }
}

/// Create an empty, private database file (and its folder) if none exists.
/// An empty file that is there already is about to become a store: it is
/// made private too, as a created one would be.
pub fn create_private_file(path: &Path) -> Result<()> {
    let create_err = |source| StoreError::Create {
        path: path.to_owned(),
        source,
    };
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(parent)
            .map_err(create_err)?;
    }
    match OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            if fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() == 0) {
                use std::os::unix::fs::PermissionsExt;
                // Best effort: a file someone else owns keeps its mode.
                let _ = fs::set_permissions(path, fs::Permissions::from_mode(0o600));
            }
            Ok(())
        }
        Err(e) => Err(create_err(e)),
    }
}

/// One connection, configured; used to check and migrate before pooling.
pub fn open_connection(path: &Path, access: Access) -> Result<Connection> {
    let conn = Connection::open_with_flags(path, access.flags())?;
    configure(&conn)?;
    Ok(conn)
}

pub fn enable_wal(conn: &Connection) -> Result<()> {
    let mode: String = conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Invalid(format!(
            "the database refused write-ahead logging (journal mode is {mode}); is it on a network file system?"
        )));
    }
    Ok(())
}

pub fn build_pool(path: &Path, access: Access) -> Result<Pool> {
    let manager = SqliteConnectionManager::file(path)
        .with_flags(access.flags())
        .with_init(|conn| configure(conn));
    let pool = r2d2::Pool::builder()
        .max_size(4)
        .min_idle(Some(0))
        .connection_timeout(BUSY_TIMEOUT)
        .build_unchecked(manager);
    Ok(pool)
}
