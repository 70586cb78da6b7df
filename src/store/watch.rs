//! Noticing other writers: a watch tells whether any other connection
//! (another process, another screen) has committed since it last looked,
//! so the interface re-reads only when something changed.

use super::error::Result;
use super::{Store, pool::PooledConnection};

/// SQLite's `PRAGMA data_version` is per connection and moves on when
/// *another* connection commits, so the watch keeps a connection of its
/// own for as long as it lives.
pub struct Watch {
    conn: PooledConnection,
    seen: i64,
}

impl Watch {
    /// Whether another connection has committed since the last look.
    pub fn changed(&mut self) -> Result<bool> {
        let version = data_version(&self.conn)?;
        let changed = version != self.seen;
        self.seen = version;
        Ok(changed)
    }
}

impl Store {
    /// Start watching for commits made elsewhere from now on.
    pub fn watch(&self) -> Result<Watch> {
        let conn = self.connection()?;
        let seen = data_version(&conn)?;
        Ok(Watch { conn, seen })
    }
}

fn data_version(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}
