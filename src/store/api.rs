//! Typed operations on `Store`, one method each, for the commands: each
//! takes a pooled connection (or a write transaction) and runs the table
//! functions on it, so a caller names what it wants and never sees a
//! connection. This is the seam the PostgreSQL backend goes behind (see
//! the plan in `store/mod.rs`); operations move here as callers need them.

use super::analyses::{self, Analysis};
use super::error::Result;
use super::exports::{self, Export};
use super::protocols::{self, Deleted, Protocol};
use super::stats::{self, DbStatus};
use super::suggestions::{self, Suggestion, SuggestionFilter};
use super::versions::{self, ProtocolVersion};
use super::{Page, Store};

impl Store {
    pub fn protocol(&self, id: &str) -> Result<Protocol> {
        self.read(|conn| protocols::get(conn, id))
    }

    pub fn analysis(&self, id: &str) -> Result<Analysis> {
        self.read(|conn| analyses::get(conn, id))
    }

    pub fn suggestion(&self, id: &str) -> Result<Suggestion> {
        self.read(|conn| suggestions::get(conn, id))
    }

    pub fn version(&self, id: &str) -> Result<ProtocolVersion> {
        self.read(|conn| versions::get(conn, id))
    }

    pub fn export(&self, id: &str) -> Result<Export> {
        self.read(|conn| exports::get(conn, id))
    }

    /// The analysis `id` names: itself, or a protocol's latest completed
    /// one (`None` while it has none). Either must exist.
    pub fn resolve_analysis(&self, id: &str) -> Result<Option<Analysis>> {
        self.read(|conn| analyses::resolve(conn, id))
    }

    /// The newest completed analysis of a protocol, if any.
    pub fn latest_completed_analysis(&self, protocol_id: &str) -> Result<Option<Analysis>> {
        self.read(|conn| analyses::latest_completed(conn, protocol_id))
    }

    /// A protocol's versions, oldest first; an unknown protocol is an error
    /// rather than an empty list.
    pub fn protocol_versions(&self, protocol_id: &str) -> Result<Vec<ProtocolVersion>> {
        self.read(|conn| {
            protocols::get(conn, protocol_id)?;
            versions::list(conn, protocol_id)
        })
    }

    /// Suggestions in review order.
    pub fn suggestions(&self, filter: &SuggestionFilter, page: Page) -> Result<Vec<Suggestion>> {
        self.read(|conn| suggestions::list(conn, filter, page))
    }

    /// Exports, newest first, of one protocol or of all.
    pub fn exports(&self, protocol_id: Option<&str>, page: Page) -> Result<Vec<Export>> {
        self.read(|conn| exports::list(conn, protocol_id, page))
    }

    /// Delete a protocol with everything under it, saying how much went.
    pub fn delete_protocol(&self, id: &str) -> Result<Deleted> {
        self.write(|tx| protocols::delete(tx, id))
    }

    /// Schema version, row counts and file sizes (`db status`).
    pub fn status(&self) -> Result<DbStatus> {
        self.read(|conn| stats::db_status(conn, self.path()))
    }
}
