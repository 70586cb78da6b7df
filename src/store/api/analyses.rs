//! `Store` operations on analyses: one, a protocol's latest with its
//! history and lineage, how far review of one has got.

use crate::store::Store;
use crate::store::analyses::Analysis;
use crate::store::error::Result;
use crate::store::stats::ReviewProgress;
use crate::store::suggestions::Lineage;

/// A protocol's latest completed analysis with what the interface shows
/// beside it.
#[derive(Clone, Debug)]
pub struct LatestAnalysis {
    pub analysis: Analysis,
    /// Its analyses, newest first, without their results.
    pub history: Vec<Analysis>,
    pub lineage: Lineage,
}

impl Store {
    pub fn analysis(&self, id: &str) -> Result<Analysis> {
        self.read(|conn| conn.analyses_get(id))
    }

    /// The analysis `id` names: itself, or a protocol's latest completed
    /// one (`None` while it has none). Either must exist.
    pub fn resolve_analysis(&self, id: &str) -> Result<Option<Analysis>> {
        self.read(|conn| conn.analyses_resolve(id))
    }

    /// The newest completed analysis of a protocol, if any.
    pub fn latest_completed_analysis(&self, protocol_id: &str) -> Result<Option<Analysis>> {
        self.read(|conn| conn.analyses_latest_completed(protocol_id))
    }

    /// A protocol's latest completed analysis, its `history` most recent
    /// analyses and its lineage; `None` before the first completes.
    pub fn latest_analysis(
        &self,
        protocol_id: &str,
        history: u64,
    ) -> Result<Option<LatestAnalysis>> {
        self.read(|conn| {
            let Some(analysis) = conn.analyses_latest_completed(protocol_id)? else {
                return Ok(None);
            };
            let history = conn.analyses_history(protocol_id, history)?;
            let lineage = conn.suggestions_lineage(&analysis.id)?;
            Ok(Some(LatestAnalysis {
                analysis,
                history,
                lineage,
            }))
        })
    }

    /// The newest completed analysis of a protocol by another provider
    /// than `provider` (the most recently used such provider), if any: what
    /// the Scores pane compares the latest analysis with.
    pub fn latest_by_another_provider(
        &self,
        protocol_id: &str,
        provider: &str,
    ) -> Result<Option<Analysis>> {
        self.read(|conn| {
            let Some(other) = conn
                .analyses_providers_of(protocol_id)?
                .into_iter()
                .find(|p| p != provider)
            else {
                return Ok(None);
            };
            conn.analyses_latest_completed_by(protocol_id, &other)
        })
    }

    /// The newest completed analysis of a protocol by one provider.
    pub fn latest_completed_by(
        &self,
        protocol_id: &str,
        provider: &str,
    ) -> Result<Option<Analysis>> {
        self.read(|conn| conn.analyses_latest_completed_by(protocol_id, provider))
    }

    /// The providers with a completed analysis of a protocol, most recently
    /// used first.
    pub fn providers_of(&self, protocol_id: &str) -> Result<Vec<String>> {
        self.read(|conn| conn.analyses_providers_of(protocol_id))
    }

    /// How far review of one analysis has got.
    pub fn analysis_progress(&self, analysis_id: &str) -> Result<ReviewProgress> {
        self.read(|conn| conn.stats_analysis_progress(analysis_id))
    }
}
