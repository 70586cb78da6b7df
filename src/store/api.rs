//! Typed operations on `Store`, one method each, for the commands: each
//! takes a pooled connection (or a write transaction) and runs the table
//! functions on it, so a caller names what it wants and never sees a
//! connection. This is the seam the PostgreSQL backend goes behind (see
//! the plan in `store/mod.rs`); operations move here as callers need them.

use super::analyses::{self, Analysis};
use super::error::Result;
use super::exports::{self, Export};
use super::protocols::{self, Deleted, Protocol, ProtocolFilter, ProtocolInfo};
use super::stats::{self, DbStatus};
use super::suggestions::{self, Expect, Suggestion, SuggestionFilter, Verb};
use super::versions::{self, ProtocolVersion};
use super::{Page, Store, SuggestionStatus};

/// A protocol with what `show` says about it, read together.
#[derive(Clone, Debug)]
pub struct ProtocolOverview {
    pub protocol: Protocol,
    /// Its newest completed analysis, if any.
    pub latest: Option<Analysis>,
    pub version_count: u64,
    /// Pending and all suggestions of `latest` (0 and 0 without one).
    pub pending: u64,
    pub total: u64,
}

/// A page of protocols, each with its latest overall score, and how many
/// match in all.
#[derive(Clone, Debug)]
pub struct ScoredPage {
    pub rows: Vec<(ProtocolInfo, Option<f64>)>,
    pub total: u64,
}

/// What `db check` compares: the kept review counts, and the current
/// suggestions they should agree with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReviewTally {
    pub counted: u64,
    pub current: u64,
}

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

    /// A protocol with its latest completed analysis, version count and
    /// that analysis's pending and total suggestions.
    pub fn protocol_overview(&self, id: &str) -> Result<ProtocolOverview> {
        self.read(|conn| {
            let protocol = protocols::get(conn, id)?;
            let latest = analyses::latest_completed(conn, &protocol.id)?;
            let version_count = versions::count(conn, &protocol.id)?;
            let (pending, total) = match &latest {
                Some(a) => {
                    let mut filter = SuggestionFilter {
                        analysis_id: Some(a.id.clone()),
                        ..SuggestionFilter::default()
                    };
                    let total = suggestions::count(conn, &filter)?;
                    filter.status = Some(SuggestionStatus::Pending);
                    (suggestions::count(conn, &filter)?, total)
                }
                None => (0, 0),
            };
            Ok(ProtocolOverview {
                protocol,
                latest,
                version_count,
                pending,
                total,
            })
        })
    }

    /// How many protocols match.
    pub fn protocol_count(&self, filter: &ProtocolFilter) -> Result<u64> {
        self.read(|conn| protocols::count(conn, filter))
    }

    /// A page of protocols in list order (newest first; best match first
    /// when searching), each with its latest score.
    pub fn scored_protocols(&self, filter: &ProtocolFilter, page: Page) -> Result<ScoredPage> {
        self.read(|conn| {
            let rows = protocols::list(conn, filter, page)?;
            let total = protocols::count(conn, filter)?;
            let mut scored = Vec::with_capacity(rows.len());
            for p in rows {
                let score =
                    analyses::latest_completed_score(conn, &p.id)?.and_then(|(_, score)| score);
                scored.push((p, score));
            }
            Ok(ScoredPage {
                rows: scored,
                total,
            })
        })
    }

    /// Every suggestion's id, in id order.
    pub fn suggestion_ids(&self) -> Result<Vec<String>> {
        self.read(suggestions::all_ids)
    }

    /// Decide on a suggestion: read it and write the decision in one
    /// transaction, so nothing changes in between; `expect` says which
    /// revision the decision was made on (or that any will do).
    pub fn review(
        &self,
        id: &str,
        verb: &Verb,
        comment: Option<String>,
        expect: Expect,
    ) -> Result<Suggestion> {
        self.write(|tx| {
            let current = suggestions::get(tx, id)?;
            suggestions::decide(tx, id, &current.after(verb, comment), expect)
        })
    }

    /// The review counts and the current suggestions, read together.
    pub fn review_tally(&self) -> Result<ReviewTally> {
        self.read(|conn| {
            Ok(ReviewTally {
                counted: stats::review_progress(conn)?.total,
                current: suggestions::count_current(conn)?,
            })
        })
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
