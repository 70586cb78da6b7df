//! `Store` operations on protocol versions.

use crate::store::Store;
use crate::store::error::Result;
use crate::store::protocols;
use crate::store::versions::{self, ProtocolVersion};

impl Store {
    pub fn version(&self, id: &str) -> Result<ProtocolVersion> {
        self.read(|conn| versions::get(conn, id))
    }

    /// A protocol's versions, oldest first; an unknown protocol is an error
    /// rather than an empty list.
    pub fn protocol_versions(&self, protocol_id: &str) -> Result<Vec<ProtocolVersion>> {
        self.read(|conn| {
            protocols::get(conn, protocol_id)?;
            versions::list(conn, protocol_id)
        })
    }

    /// A protocol's versions, oldest first (none for an unknown protocol).
    pub fn versions_of(&self, protocol_id: &str) -> Result<Vec<ProtocolVersion>> {
        self.read(|conn| versions::list(conn, protocol_id))
    }
}
