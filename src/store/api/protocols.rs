//! `Store` operations on protocols: one, a page of many with their
//! scores and pending review, where one stands in the list, deleting one.

use crate::store::analyses::Analysis;
use crate::store::error::Result;
use crate::store::protocols::{Deleted, NewProtocol, Protocol, ProtocolFilter, ProtocolInfo};
use crate::store::suggestions::SuggestionFilter;
use crate::store::{Page, Store, SuggestionStatus};

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

/// What `import_protocol` did.
#[derive(Clone, Debug)]
pub enum Imported {
    /// Stored, with its version 1.
    New(Protocol),
    /// The same bytes were imported before: that protocol, nothing written.
    Before(ProtocolInfo),
}

impl Store {
    pub fn protocol(&self, id: &str) -> Result<Protocol> {
        self.read(|conn| conn.protocols_get(id))
    }

    /// A protocol with its latest completed analysis, version count and
    /// that analysis's pending and total suggestions.
    pub fn protocol_overview(&self, id: &str) -> Result<ProtocolOverview> {
        self.read(|conn| {
            let protocol = conn.protocols_get(id)?;
            let latest = conn.analyses_latest_completed(&protocol.id)?;
            let version_count = conn.versions_count(&protocol.id)?;
            let (pending, total) = match &latest {
                Some(a) => {
                    let mut filter = SuggestionFilter {
                        analysis_id: Some(a.id.clone()),
                        ..SuggestionFilter::default()
                    };
                    let total = conn.suggestions_count(&filter)?;
                    filter.status = Some(SuggestionStatus::Pending);
                    (conn.suggestions_count(&filter)?, total)
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

    /// A page of protocols in list order: newest first, or best match
    /// first when searching.
    pub fn protocols(&self, filter: &ProtocolFilter, page: Page) -> Result<Vec<ProtocolInfo>> {
        self.read(|conn| conn.protocols_list(filter, page))
    }

    /// How many protocols match.
    pub fn protocol_count(&self, filter: &ProtocolFilter) -> Result<u64> {
        self.read(|conn| conn.protocols_count(filter))
    }

    /// A page of protocols in list order (newest first; best match first
    /// when searching), each with its latest score.
    pub fn scored_protocols(&self, filter: &ProtocolFilter, page: Page) -> Result<ScoredPage> {
        self.read(|conn| {
            let rows = conn.protocols_list(filter, page)?;
            let total = conn.protocols_count(filter)?;
            let mut scored = Vec::with_capacity(rows.len());
            for p in rows {
                let score = conn
                    .analyses_latest_completed_score(&p.id)?
                    .and_then(|(_, score)| score);
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
            let infos = conn.protocols_list(filter, page)?;
            let mut rows = Vec::with_capacity(infos.len());
            for info in infos {
                let latest = conn.analyses_latest_completed_score(&info.id)?;
                let pending = match &latest {
                    Some((id, _)) => conn.suggestions_count(&SuggestionFilter {
                        analysis_id: Some(id.clone()),
                        status: Some(SuggestionStatus::Pending),
                        ..SuggestionFilter::default()
                    })?,
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
        self.read(|conn| conn.protocols_position_newest_first(id))
    }

    /// A protocol imported earlier from bytes with this sha256, if any
    /// (failed imports do not count: the file may be imported again).
    pub fn protocol_by_sha256(&self, sha256: &str) -> Result<Option<ProtocolInfo>> {
        self.read(|conn| conn.protocols_find_by_sha256(sha256))
    }

    /// Store a protocol without versions: how an import whose extraction
    /// failed is kept on record.
    pub fn create_protocol(&self, new: &NewProtocol) -> Result<Protocol> {
        self.write(|tx| tx.protocols_create(new))
    }

    /// Store an imported protocol and its version 1 (its text, with
    /// `summary` and `created_by`) in one transaction, so neither exists
    /// without the other. Given `reuse`, the sha256 of the imported bytes,
    /// a protocol imported earlier from the same bytes is returned instead
    /// and nothing is written; the check is in the same transaction, so
    /// two imports of one file cannot both store it.
    pub fn import_protocol(
        &self,
        new: &NewProtocol,
        reuse: Option<&str>,
        summary: &str,
        created_by: Option<&str>,
    ) -> Result<Imported> {
        self.write(|tx| {
            if let Some(sha256) = reuse
                && let Some(existing) = tx.protocols_find_by_sha256(sha256)?
            {
                return Ok(Imported::Before(existing));
            }
            let protocol = tx.protocols_create(new)?;
            tx.versions_create(
                &protocol.id,
                1,
                &protocol.content,
                Some(summary),
                created_by,
            )?;
            Ok(Imported::New(protocol))
        })
    }

    /// Delete a protocol with everything under it, saying how much went.
    pub fn delete_protocol(&self, id: &str) -> Result<Deleted> {
        self.write(|tx| tx.protocols_delete(id))
    }
}
