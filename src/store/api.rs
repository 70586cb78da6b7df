//! Typed operations on `Store`, one method each, for the commands: each
//! takes a pooled connection (or a write transaction) and runs the table
//! functions on it, so a caller names what it wants and never sees a
//! connection. This is the seam the PostgreSQL backend goes behind (see
//! the plan in `store/mod.rs`); operations move here as callers need them.

use super::analyses::{self, Analysis};
use super::error::Result;
use super::exports::{self, Export};
use super::protocols::{self, Deleted, Protocol, ProtocolFilter, ProtocolInfo};
use super::stats::{self, Dashboard, DbStatus, ReviewProgress};
use super::suggestions::{self, Decision, Expect, Lineage, Suggestion, SuggestionFilter, Verb};
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

/// A protocol as a list of many shows it: with its latest score and how
/// much of that analysis's review is pending.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtocolSummary {
    pub info: ProtocolInfo,
    /// The latest completed analysis's overall score.
    pub score: Option<f64>,
    /// Whether it has a completed analysis at all.
    pub analysed: bool,
    pub pending: u64,
}

/// A protocol's latest completed analysis with what the interface shows
/// beside it.
#[derive(Clone, Debug)]
pub struct LatestAnalysis {
    pub analysis: Analysis,
    /// Its analyses, newest first, without their results.
    pub history: Vec<Analysis>,
    pub lineage: Lineage,
}

/// One suggestion's new decision, made on the revision the reviewer saw.
#[derive(Clone, Copy, Debug)]
pub struct Revised<'a> {
    pub id: &'a str,
    pub decision: &'a Decision,
    pub revision: i64,
}

/// What `db check` compares: the kept review counts, and the current
/// suggestions they should agree with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReviewTally {
    pub counted: u64,
    pub current: u64,
}

/// Protocols.
impl Store {
    pub fn protocol(&self, id: &str) -> Result<Protocol> {
        self.read(|conn| protocols::get(conn, id))
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

    /// A page of protocols in list order, each with its latest score and
    /// pending review.
    pub fn protocol_summaries(
        &self,
        filter: &ProtocolFilter,
        page: Page,
    ) -> Result<Vec<ProtocolSummary>> {
        self.read(|conn| {
            let infos = protocols::list(conn, filter, page)?;
            let mut rows = Vec::with_capacity(infos.len());
            for info in infos {
                let latest = analyses::latest_completed_score(conn, &info.id)?;
                let pending = match &latest {
                    Some((id, _)) => suggestions::count(
                        conn,
                        &SuggestionFilter {
                            analysis_id: Some(id.clone()),
                            status: Some(SuggestionStatus::Pending),
                            ..SuggestionFilter::default()
                        },
                    )?,
                    None => 0,
                };
                rows.push(ProtocolSummary {
                    score: latest.as_ref().and_then(|(_, s)| *s),
                    analysed: latest.is_some(),
                    pending,
                    info,
                });
            }
            Ok(rows)
        })
    }

    /// Where a protocol stands in the unfiltered list, newest first.
    pub fn protocol_position(&self, id: &str) -> Result<Option<u64>> {
        self.read(|conn| protocols::position_newest_first(conn, id))
    }

    /// Delete a protocol with everything under it, saying how much went.
    pub fn delete_protocol(&self, id: &str) -> Result<Deleted> {
        self.write(|tx| protocols::delete(tx, id))
    }
}

/// Analyses.
impl Store {
    pub fn analysis(&self, id: &str) -> Result<Analysis> {
        self.read(|conn| analyses::get(conn, id))
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

    /// A protocol's latest completed analysis, its `history` most recent
    /// analyses and its lineage; `None` before the first completes.
    pub fn latest_analysis(
        &self,
        protocol_id: &str,
        history: u64,
    ) -> Result<Option<LatestAnalysis>> {
        self.read(|conn| {
            let Some(analysis) = analyses::latest_completed(conn, protocol_id)? else {
                return Ok(None);
            };
            let history = analyses::history(conn, protocol_id, history)?;
            let lineage = suggestions::lineage(conn, &analysis.id)?;
            Ok(Some(LatestAnalysis {
                analysis,
                history,
                lineage,
            }))
        })
    }

    /// How far review of one analysis has got.
    pub fn analysis_progress(&self, analysis_id: &str) -> Result<ReviewProgress> {
        self.read(|conn| stats::analysis_progress(conn, analysis_id))
    }
}

/// Suggestions and decisions.
impl Store {
    pub fn suggestion(&self, id: &str) -> Result<Suggestion> {
        self.read(|conn| suggestions::get(conn, id))
    }

    /// Suggestions in review order.
    pub fn suggestions(&self, filter: &SuggestionFilter, page: Page) -> Result<Vec<Suggestion>> {
        self.read(|conn| suggestions::list(conn, filter, page))
    }

    /// How many suggestions match.
    pub fn suggestion_count(&self, filter: &SuggestionFilter) -> Result<u64> {
        self.read(|conn| suggestions::count(conn, filter))
    }

    /// Where a suggestion stands in the review order of a filtered list.
    pub fn suggestion_position(&self, filter: &SuggestionFilter, id: &str) -> Result<Option<u64>> {
        self.read(|conn| suggestions::position(conn, filter, id))
    }

    /// The suggestion an analysis made for a checklist item, if any.
    pub fn suggestion_for_item(
        &self,
        analysis_id: &str,
        reference: &str,
    ) -> Result<Option<Suggestion>> {
        self.read(|conn| suggestions::for_item(conn, analysis_id, reference))
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

    /// Write several decisions, all or none, each only if its suggestion
    /// is still at the revision given; returns the suggestions as decided.
    /// Waits for another process's write lock like any write.
    pub fn decide_all(&self, decisions: &[Revised<'_>]) -> Result<Vec<Suggestion>> {
        self.write(|tx| decide_each(tx, decisions))
    }

    /// `decide_all`, but `StoreError::Busy` at once if another process
    /// holds the write lock.
    pub fn try_decide_all(&self, decisions: &[Revised<'_>]) -> Result<Vec<Suggestion>> {
        self.try_write(|tx| decide_each(tx, decisions))
    }
}

/// Versions and exports.
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

    pub fn export(&self, id: &str) -> Result<Export> {
        self.read(|conn| exports::get(conn, id))
    }

    /// Exports, newest first, of one protocol or of all.
    pub fn exports(&self, protocol_id: Option<&str>, page: Page) -> Result<Vec<Export>> {
        self.read(|conn| exports::list(conn, protocol_id, page))
    }
}

/// Figures.
impl Store {
    /// The dashboard's figures over the last `days` days.
    pub fn dashboard(&self, days: u32) -> Result<Dashboard> {
        self.read(|conn| stats::dashboard(conn, days))
    }

    /// Schema version, row counts and file sizes (`db status`).
    pub fn status(&self) -> Result<DbStatus> {
        self.read(|conn| stats::db_status(conn, self.path()))
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
}

fn decide_each(conn: &super::Connection, decisions: &[Revised<'_>]) -> Result<Vec<Suggestion>> {
    decisions
        .iter()
        .map(|d| suggestions::decide(conn, d.id, d.decision, Expect::Revision(d.revision)))
        .collect()
}
