//! Synthetic stores for benchmarks and scale tests: many protocols,
//! analyses and suggestions with realistic spreads of status, type,
//! priority and score. Deterministic for a given seed (apart from ids).
//! Rows go in through the store's bulk loader; no SQL here.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::analysis::checklist::{self, Guideline};
use crate::store::bulk::{AnalysisRow, ProtocolRow, SuggestionRow};
use crate::store::{
    AnalysisStatus, Priority, ProtocolStatus, Result, Store, StoreError, SuggestionStatus,
    SuggestionType,
};

#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub protocols: u64,
    pub analyses_per_protocol: u64,
    pub suggestions_per_analysis: u64,
}

impl Scale {
    /// The benchmark stores: 10k, 100k and 1M suggestions (30 per analysis).
    pub fn suggestions(total: u64) -> Scale {
        Scale {
            protocols: (total / 30).max(1),
            analyses_per_protocol: 1,
            suggestions_per_analysis: 30,
        }
    }

    /// The dashboard benchmark store: 10,000 protocols, 30,000 completed
    /// analyses (plus about 400 failed ones), 900,000 suggestions.
    pub const DASHBOARD_BENCH: Scale = Scale {
        protocols: 10_000,
        analyses_per_protocol: 3,
        suggestions_per_analysis: 30,
    };
}

/// Make sure a synthetic store exists at `path` (generated once, into a
/// temporary file renamed into place, so an interrupted run leaves none).
pub fn ensure(path: &Path, scale: Scale, seed: u64) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| StoreError::Invalid(e.to_string()))?;
    }
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    {
        let store = Store::open(&partial)?;
        generate(&store, scale, seed, |_| {})?;
        store.settle()?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut p = partial.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
    std::fs::rename(&partial, path).map_err(|e| StoreError::Invalid(e.to_string()))
}

/// A small, fast pseudo-random sequence (xorshift64*), so generated stores
/// look the same from run to run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Fill `store` with synthetic rows in one transaction; returns the
/// number of suggestions written. `progress` is called after each protocol.
/// Suggestions are spread over SPIRIT's own sections.
pub fn generate(
    store: &Store,
    scale: Scale,
    seed: u64,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let sections = checklist::sections(Guideline::Spirit);
    let mut rng = Rng(seed.max(1));
    store.load(|load| {
        let mut written = 0;
        let start = chrono::Utc::now() - chrono::Duration::days(365);
        for p in 0..scale.protocols {
            let created = start + chrono::Duration::seconds((p * 3000 + rng.below(3000)) as i64);
            let status = match rng.below(20) {
                0 => ProtocolStatus::Error,
                1 => ProtocolStatus::Processing,
                _ => ProtocolStatus::Ready,
            };
            let size = 20_000 + rng.below(400_000) as i64;
            let protocol_id = load.protocol(&ProtocolRow {
                title: format!("Synthetic randomised trial protocol {p}"),
                content: format!(
                    "Synthetic protocol {p}.\n\n1. Introduction\nBackground text.\n\n2. Methods\nParticipants will be randomised."
                ),
                status,
                file_path: Some(format!("/data/protocols/synthetic-{p}.txt")),
                file_size: Some(size),
                metadata: Some(json!({
                    "source_format": "txt",
                    "sha256": format!("synthetic-{seed}-{p}"),
                })),
                created_at: created,
            })?;
            // One protocol in 25 also has a failed run, on top of the
            // completed ones, so the requested counts hold exactly.
            let failed_run = rng.below(25) == 0;
            for a in 0..scale.analyses_per_protocol + u64::from(failed_run) {
                let provider = if rng.below(4) == 0 {
                    "external"
                } else {
                    "builtin"
                };
                let failed = a == scale.analyses_per_protocol;
                let begun = created + chrono::Duration::hours(a as i64 + 1);
                let spirit = 30.0 + 70.0 * rng.unit();
                let consort = 30.0 + 70.0 * rng.unit();
                let overall = (spirit * 2.0 + consort) / 3.0;
                let (status, scores, completed, latency_ms) = if failed {
                    (AnalysisStatus::Failed, [None, None, None], None, None)
                } else {
                    let ms = 50 + rng.below(2000) as i64;
                    let done = begun + chrono::Duration::milliseconds(ms);
                    (
                        AnalysisStatus::Completed,
                        [Some(overall), Some(consort), Some(spirit)],
                        Some(done),
                        Some(ms),
                    )
                };
                let analysis_id = load.analysis(&AnalysisRow {
                    protocol_id: protocol_id.clone(),
                    provider: provider.to_owned(),
                    status,
                    results: (!failed).then(|| json!({"items": []})),
                    overall_score: scores[0],
                    consort_score: scores[1],
                    spirit_score: scores[2],
                    created_at: begun,
                    completed_at: completed,
                    latency_ms,
                })?;
                if failed {
                    continue;
                }
                for s in 0..scale.suggestions_per_analysis {
                    use SuggestionType::{Critical, Improvement, Style};
                    let kind = [Critical, Improvement, Improvement, Style][rng.below(4) as usize];
                    let priority =
                        [Priority::High, Priority::Medium, Priority::Low][rng.below(3) as usize];
                    let status = match rng.below(10) {
                        0..=4 => SuggestionStatus::Pending,
                        5..=7 => SuggestionStatus::Accepted,
                        8 => SuggestionStatus::Rejected,
                        _ => SuggestionStatus::Modified,
                    };
                    let section = sections[rng.below(sections.len() as u64) as usize];
                    load.suggestion(&SuggestionRow {
                        analysis_id: analysis_id.clone(),
                        section: section.to_owned(),
                        kind,
                        content: format!(
                            "Synthetic suggestion {s}: state the item clearly in this section."
                        ),
                        confidence: (rng.below(1000) as f64) / 1000.0,
                        priority,
                        status,
                        guideline_reference: Some(format!(
                            "SPIRIT 2013 item {}",
                            1 + rng.below(33)
                        )),
                        rationale: Some("Synthetic rationale.".to_owned()),
                        created_at: begun,
                        updated_at: (status != SuggestionStatus::Pending).then_some(begun),
                        modified_content: (status == SuggestionStatus::Modified)
                            .then(|| "Reworded by the reviewer.".to_owned()),
                    })?;
                    written += 1;
                }
            }
            progress(p + 1);
        }
        Ok(written)
    })
}
