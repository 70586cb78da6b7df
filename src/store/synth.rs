//! Synthetic stores for benchmarks and scale tests: many protocols,
//! analyses and suggestions with realistic spreads of status, type,
//! priority and score. Deterministic for a given seed (apart from ids).

use rusqlite::{Connection, params};

use super::error::Result;
use super::{ids, time};

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
pub fn ensure(path: &std::path::Path, scale: Scale, seed: u64) -> Result<()> {
    if path.exists() {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| super::StoreError::Invalid(e.to_string()))?;
    }
    let partial = path.with_extension("partial");
    let _ = std::fs::remove_file(&partial);
    {
        let store = super::Store::open(&partial)?;
        let mut conn = store.connection()?;
        generate(&mut conn, scale, seed, |_| {})?;
        conn.execute_batch("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")?;
    }
    for suffix in ["-wal", "-shm"] {
        let mut p = partial.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(std::path::PathBuf::from(p));
    }
    std::fs::rename(&partial, path).map_err(|e| super::StoreError::Invalid(e.to_string()))
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

/// Suggestions are spread over the guideline's own sections.
use crate::revise::GUIDELINE_ORDER as SECTIONS;

/// Fill `conn` with synthetic rows in one transaction; returns the number
/// of suggestions written. `progress` is called after each protocol.
pub fn generate(
    conn: &mut Connection,
    scale: Scale,
    seed: u64,
    mut progress: impl FnMut(u64),
) -> Result<u64> {
    let mut rng = Rng(seed.max(1));
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let mut written = 0;
    {
        let mut protocol = tx.prepare(
            "INSERT INTO protocols (id, title, description, content, status, file_path, file_size, metadata, created_at)
             VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut analysis = tx.prepare(
            "INSERT INTO analyses (id, protocol_id, provider, analysis_type, status, results,
                                   overall_score, consort_score, spirit_score, created_at, completed_at)
             VALUES (?1, ?2, ?3, 'comprehensive', ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let mut suggestion = tx.prepare(
            "INSERT INTO suggestions (id, analysis_id, section, type, content, confidence, priority,
                                      status, guideline_reference, rationale, created_at, updated_at,
                                      modified_content)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        let start = chrono::Utc::now() - chrono::Duration::days(365);
        for p in 0..scale.protocols {
            let created = start + chrono::Duration::seconds((p * 3000 + rng.below(3000)) as i64);
            let protocol_id = ids::new_id(ids::PROTOCOL);
            let status = match rng.below(20) {
                0 => "error",
                1 => "processing",
                _ => "ready",
            };
            let size = 20_000 + rng.below(400_000) as i64;
            protocol.execute(params![
                protocol_id,
                format!("Synthetic randomised trial protocol {p}"),
                format!(
                    "Synthetic protocol {p}.\n\n1. Introduction\nBackground text.\n\n2. Methods\nParticipants will be randomised."
                ),
                status,
                format!("/data/protocols/synthetic-{p}.txt"),
                size,
                format!(r#"{{"source_format":"txt","sha256":"synthetic-{seed}-{p}"}}"#),
                time::format_time(created),
            ])?;
            // One protocol in 25 also has a failed run, on top of the
            // completed ones, so the requested counts hold exactly.
            let failed_run = rng.below(25) == 0;
            for a in 0..scale.analyses_per_protocol + u64::from(failed_run) {
                let analysis_id = ids::new_id(ids::ANALYSIS);
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
                let (status, scores, completed) = if failed {
                    ("failed", [None, None, None], None)
                } else {
                    let done = begun + chrono::Duration::milliseconds(50 + rng.below(2000) as i64);
                    (
                        "completed",
                        [Some(overall), Some(consort), Some(spirit)],
                        Some(time::format_time(done)),
                    )
                };
                analysis.execute(params![
                    analysis_id,
                    protocol_id,
                    provider,
                    status,
                    if failed { None } else { Some("{\"items\":[]}") },
                    scores[0],
                    scores[1],
                    scores[2],
                    time::format_time(begun),
                    completed,
                ])?;
                if failed {
                    continue;
                }
                let suggested = time::format_time(begun);
                for s in 0..scale.suggestions_per_analysis {
                    let kind =
                        ["critical", "improvement", "improvement", "style"][rng.below(4) as usize];
                    let priority = ["high", "medium", "low"][rng.below(3) as usize];
                    let status = match rng.below(10) {
                        0..=4 => "pending",
                        5..=7 => "accepted",
                        8 => "rejected",
                        _ => "modified",
                    };
                    let decided = (status != "pending").then(|| suggested.clone());
                    let modified = (status == "modified").then_some("Reworded by the reviewer.");
                    suggestion.execute(params![
                        ids::new_id(ids::SUGGESTION),
                        analysis_id,
                        SECTIONS[rng.below(SECTIONS.len() as u64) as usize],
                        kind,
                        format!(
                            "Synthetic suggestion {s}: state the item clearly in this section."
                        ),
                        (rng.below(1000) as f64) / 1000.0,
                        priority,
                        status,
                        format!("SPIRIT 2013 item {}", 1 + rng.below(33)),
                        "Synthetic rationale.",
                        suggested,
                        decided,
                        modified,
                    ])?;
                    written += 1;
                }
            }
            progress(p + 1);
        }
    }
    tx.commit()?;
    Ok(written)
}
