//! Figures for the dashboard and `db status`: the seed's protocol
//! analytics and provider metrics, plus review progress.

use std::collections::BTreeMap;
use std::path::Path;

use rusqlite::Connection;
use serde::Serialize;

use super::analyses::{self, ProviderMetrics};
use super::error::Result;
use super::{ProtocolStatus, SuggestionStatus, migrate, time};

/// The seed's `get_analytics`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProtocolAnalytics {
    pub total_protocols: u64,
    pub recent_protocols: u64,
    pub by_status: BTreeMap<String, u64>,
    pub avg_file_size: u64,
    pub period_days: u32,
}

/// How far review has got, over all suggestions.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReviewProgress {
    pub total: u64,
    pub pending: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub modified: u64,
}

impl ReviewProgress {
    pub fn reviewed(&self) -> u64 {
        self.total - self.pending
    }

    /// Tally (status, count) rows.
    fn from_counts(
        rows: impl Iterator<Item = rusqlite::Result<(SuggestionStatus, i64)>>,
    ) -> Result<ReviewProgress> {
        let mut progress = ReviewProgress::default();
        for row in rows {
            let (status, n) = row?;
            let n = n.max(0) as u64;
            match status {
                SuggestionStatus::Pending => progress.pending = n,
                SuggestionStatus::Accepted => progress.accepted = n,
                SuggestionStatus::Rejected => progress.rejected = n,
                SuggestionStatus::Modified => progress.modified = n,
            }
            progress.total += n;
        }
        Ok(progress)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dashboard {
    pub analytics: ProtocolAnalytics,
    pub providers: Vec<ProviderMetrics>,
    pub review: ReviewProgress,
    /// Completed analyses by overall score, in ten bands of 10 points
    /// (0–9.99, 10–19.99, …, 90–100).
    pub score_histogram: [u64; 10],
}

pub fn protocol_analytics(conn: &Connection, days: u32) -> Result<ProtocolAnalytics> {
    let cutoff = time::format_time(chrono::Utc::now() - chrono::Duration::days(days.into()));
    let total: i64 = conn.query_row("SELECT count(*) FROM protocols", [], |r| r.get(0))?;
    let recent: i64 = conn.query_row(
        "SELECT count(*) FROM protocols WHERE created_at >= ?1",
        [cutoff],
        |r| r.get(0),
    )?;
    let mut by_status: BTreeMap<String, u64> = ProtocolStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    let mut stmt = conn.prepare("SELECT status, count(*) FROM protocols GROUP BY status")?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))? {
        let (status, n) = row?;
        by_status.insert(status, n as u64);
    }
    let avg: Option<f64> = conn.query_row(
        "SELECT avg(file_size) FROM protocols WHERE file_size IS NOT NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(ProtocolAnalytics {
        total_protocols: total as u64,
        recent_protocols: recent as u64,
        by_status,
        avg_file_size: avg.unwrap_or(0.0) as u64,
        period_days: days,
    })
}

/// Read from the trigger-maintained counts, not from the suggestions.
pub fn review_progress(conn: &Connection) -> Result<ReviewProgress> {
    let mut stmt = conn.prepare("SELECT status, count FROM suggestion_status_counts")?;
    ReviewProgress::from_counts(stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

/// The kept analysis figures' columns (migration 0007), after provider
/// and band.
pub(crate) const FIGURE_COLUMNS: &str = "analyses, completed, overall_n, overall_micros, consort_n, consort_micros, spirit_n, spirit_micros, input_tokens, output_tokens, cost_nanos, latencies";

/// Rows of analysis_figures other than all zeros, whichever backend: what
/// `db copy` compares between source and target.
pub(crate) fn kept_figures_sql() -> String {
    let zeros = ["0"; 12].join(", ");
    format!(
        "SELECT provider, band, {FIGURE_COLUMNS} FROM analysis_figures
         WHERE ({FIGURE_COLUMNS}) <> ({zeros})"
    )
}

/// The analysis figures counted afresh from the analyses, as migration
/// 0007 first fills them.
const FIGURES_RECOUNT: &str = "SELECT provider, band, count(*), sum(completed), sum(overall_n),
        sum(overall_micros), sum(consort_n), sum(consort_micros), sum(spirit_n),
        sum(spirit_micros), sum(input_tokens), sum(output_tokens), sum(cost_nanos),
        sum(latencies)
    FROM analysis_contributions GROUP BY provider, band";

/// How many rows (provider and score band) of the kept analysis figures
/// disagree with a recount of the analyses (0 when the triggers kept them
/// right): what `db check` compares.
pub fn figures_disagreeing(conn: &Connection) -> Result<u64> {
    let kept = kept_figures_sql();
    let n: i64 = conn.query_row(
        &format!(
            "SELECT count(*) FROM (
                 SELECT provider, band FROM ({kept} EXCEPT {FIGURES_RECOUNT})
                 UNION SELECT provider, band FROM ({FIGURES_RECOUNT} EXCEPT {kept}))"
        ),
        [],
        |r| r.get(0),
    )?;
    Ok(n.max(0) as u64)
}

/// Count afresh, from the rows, what the triggers keep (the review counts
/// and the analysis figures): `db check --repair`, after a writer that
/// went around the triggers left them wrong.
pub fn recount(conn: &Connection) -> Result<()> {
    conn.execute_batch(&format!(
        "UPDATE suggestion_status_counts
         SET count = (SELECT count(*) FROM suggestions
                      WHERE status = suggestion_status_counts.status AND superseded_by IS NULL);
         DELETE FROM analysis_figures;
         INSERT INTO analysis_figures {FIGURES_RECOUNT};"
    ))?;
    Ok(())
}

/// Review progress of one analysis's suggestions.
pub fn analysis_progress(conn: &Connection, analysis_id: &str) -> Result<ReviewProgress> {
    let mut stmt = conn.prepare_cached(
        "SELECT status, count(*) FROM suggestions WHERE analysis_id = ?1 GROUP BY status",
    )?;
    ReviewProgress::from_counts(stmt.query_map([analysis_id], |r| Ok((r.get(0)?, r.get(1)?)))?)
}

pub fn score_histogram(conn: &Connection) -> Result<[u64; 10]> {
    let mut bands = [0u64; 10];
    let mut stmt = conn.prepare(
        // Banded as the analysis_figures triggers band them (migration 0007).
        "SELECT band, sum(analyses) FROM analysis_figures WHERE band >= 0 GROUP BY band",
    )?;
    for row in stmt.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))? {
        let (band, n) = row?;
        bands[band.clamp(0, 9) as usize] = n as u64;
    }
    Ok(bands)
}

pub fn dashboard(conn: &Connection, days: u32) -> Result<Dashboard> {
    Ok(Dashboard {
        analytics: protocol_analytics(conn, days)?,
        providers: analyses::performance_metrics(conn)?,
        review: review_progress(conn)?,
        score_histogram: score_histogram(conn)?,
    })
}

/// What `protoscribe db status` reports.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DbStatus {
    pub path: String,
    pub schema_version: i64,
    pub schema_version_supported: i64,
    pub file_size: u64,
    pub wal_size: u64,
    pub journal_mode: String,
    pub tables: BTreeMap<String, u64>,
}

pub const TABLES: [&str; 5] = [
    "protocols",
    "analyses",
    "suggestions",
    "protocol_versions",
    "exports",
];

pub fn db_status(conn: &Connection, path: &Path) -> Result<DbStatus> {
    let mut tables = BTreeMap::new();
    for table in TABLES {
        // Table names come from the fixed list above, never from input.
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        tables.insert(table.to_owned(), n as u64);
    }
    let size_of = |p: &Path| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    Ok(DbStatus {
        path: path.display().to_string(),
        schema_version: migrate::user_version(conn)?,
        schema_version_supported: migrate::SCHEMA_VERSION,
        file_size: size_of(path),
        wal_size: size_of(Path::new(&wal)),
        journal_mode: conn.pragma_query_value(None, "journal_mode", |r| r.get(0))?,
        tables,
    })
}
