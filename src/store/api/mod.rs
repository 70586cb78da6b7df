//! Typed operations on `Store`, one method each, for the commands, the
//! jobs and the interface: each takes a pooled connection (or a write
//! transaction) and runs the table functions on it, so a caller names what
//! it wants and never sees a connection. This is the seam the PostgreSQL
//! backend goes behind (see the plan in `store/mod.rs`).
//!
//! One file per table, holding the operations that are mainly about it
//! and the types they return; `figures` holds the counts across tables,
//! `backups` the copies of the whole store. Units of work that span
//! several tables sit with the table they are for (`import_protocol` with
//! protocols, `apply_revision` with versions), and take the caller's pure
//! step as an argument rather than handing out a transaction.

mod analyses;
mod backups;
mod exports;
mod figures;
mod protocols;
mod suggestions;
mod versions;

pub use analyses::LatestAnalysis;
pub use exports::ReportSource;
pub use figures::ReviewTally;
pub use protocols::{Imported, ProtocolOverview, ProtocolSummary, ScoredPage};
pub use suggestions::Revised;
pub use versions::{ApplySource, Revision};
