//! Noticing other writers: a watch tells whether any other connection
//! (another process, another screen, another machine) has committed since
//! it last looked, so the interface re-reads only when something changed.

use super::error::Result;
use super::{Backend, Store, pool::PooledConnection};

/// On SQLite, `PRAGMA data_version` is per connection and moves on when
/// *another* connection commits, so the watch keeps a connection of its
/// own for as long as it lives. On PostgreSQL it LISTENs on a connection
/// of its own for the NOTIFY every change sends (see `postgres::watch`).
// One per interface: its size does not matter.
#[allow(clippy::large_enum_variant)]
pub enum Watch {
    Sqlite { conn: PooledConnection, seen: i64 },
    Postgres(Box<super::postgres::watch::Watch>),
}

impl Watch {
    /// Whether another connection has committed since the last look.
    pub fn changed(&mut self) -> Result<bool> {
        match self {
            Watch::Sqlite { conn, seen } => {
                let version = data_version(conn)?;
                let changed = version != *seen;
                *seen = version;
                Ok(changed)
            }
            Watch::Postgres(watch) => watch.changed(),
        }
    }
}

impl Store {
    /// Start watching for commits made elsewhere from now on.
    pub fn watch(&self) -> Result<Watch> {
        if let Backend::Postgres { target, .. } = &self.backend {
            return Ok(Watch::Postgres(Box::new(
                super::postgres::watch::Watch::new(target)?,
            )));
        }
        let conn = self.connection()?;
        let seen = data_version(&conn)?;
        Ok(Watch::Sqlite { conn, seen })
    }
}

fn data_version(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}
