//! `Store` operations on exports: what a report is written from, and the
//! record of each report as it moves pending → processing → completed or
//! failed, and later expired.

use crate::store::analyses::Analysis;
use crate::store::error::{Result, StoreError};
use crate::store::exports::{Export, NewExport};
use crate::store::protocols::Protocol;
use crate::store::suggestions::{Suggestion, SuggestionFilter};
use crate::store::versions::ProtocolVersion;
use crate::store::{ExportStatus, Page, Store};

/// What a report on a protocol is written from, read together.
#[derive(Clone, Debug)]
pub struct ReportSource {
    pub protocol: Protocol,
    /// Its newest completed analysis, if any.
    pub analysis: Option<Analysis>,
    /// The version asked for, if one was.
    pub version: Option<ProtocolVersion>,
    /// Every suggestion of `analysis`, in review order (none without one).
    pub suggestions: Vec<Suggestion>,
}

impl Store {
    pub fn export(&self, id: &str) -> Result<Export> {
        self.read(|conn| conn.exports_get(id))
    }

    /// Exports, newest first, of one protocol or of all.
    pub fn exports(&self, protocol_id: Option<&str>, page: Page) -> Result<Vec<Export>> {
        self.read(|conn| conn.exports_list(protocol_id, page))
    }

    /// A protocol with its latest completed analysis and that analysis's
    /// suggestions, and its version `version` when one is asked for (an
    /// error if it has no such version).
    pub fn report_source(&self, protocol_id: &str, version: Option<i64>) -> Result<ReportSource> {
        self.read(|conn| {
            let protocol = conn.protocols_get(protocol_id)?;
            let analysis = conn.analyses_latest_completed(&protocol.id)?;
            let version = match version {
                Some(n) => Some(conn.versions_by_number(&protocol.id, n)?.ok_or_else(|| {
                    StoreError::Invalid(format!(
                        "{} has no version {n}: see 'protoscribe versions {}'",
                        protocol.id, protocol.id
                    ))
                })?),
                None => None,
            };
            let suggestions = match &analysis {
                Some(a) => {
                    let filter = SuggestionFilter {
                        analysis_id: Some(a.id.clone()),
                        ..SuggestionFilter::default()
                    };
                    conn.suggestions_list(&filter, Page::first(u32::MAX as u64))?
                }
                None => Vec::new(),
            };
            Ok(ReportSource {
                protocol,
                analysis,
                version,
                suggestions,
            })
        })
    }

    /// Record a report about to be written (pending).
    pub fn create_export(&self, new: &NewExport) -> Result<Export> {
        self.write(|tx| tx.exports_create(new))
    }

    /// Move an export along its lifecycle; completion and failure record
    /// the time, failure the reason.
    pub fn set_export_status(
        &self,
        id: &str,
        status: ExportStatus,
        file_size: Option<i64>,
        error_message: Option<&str>,
    ) -> Result<Export> {
        self.write(|tx| tx.exports_set_status(id, status, file_size, error_message))
    }

    /// A report written: where it is (absolute), its size and its sha256.
    pub fn complete_export(&self, id: &str, path: &str, size: u64, sha256: &str) -> Result<Export> {
        self.write(|tx| tx.exports_complete(id, path, size, sha256))
    }

    /// Exports whose expiry time is before `now` and that are not yet
    /// marked expired, soonest expired first.
    pub fn exports_due_for_expiry(&self, now: &str) -> Result<Vec<Export>> {
        self.read(|conn| conn.exports_due_for_expiry(now))
    }
}
