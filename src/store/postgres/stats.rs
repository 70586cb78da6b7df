//! Figures for the dashboard and `db status` on PostgreSQL: the twin of
//! `store::stats`, with review progress read from the trigger-kept
//! `suggestion_status_counts`.

use std::collections::BTreeMap;

use postgres::GenericClient;

use super::{migrate, sql};
use crate::store::error::Result;
use crate::store::stats::{DbStatus, ProtocolAnalytics, ReviewProgress, TABLES};
use crate::store::{ProtocolStatus, SuggestionStatus};

pub fn protocol_analytics(client: &mut impl GenericClient, days: u32) -> Result<ProtocolAnalytics> {
    let cutoff = sql::now() - chrono::Duration::days(days.into());
    let row = client
        .query_one(
            // Each figure from its own index (index-only scans), not one
            // pass over the protocols' rows, which hold their texts.
            "SELECT (SELECT count(*) FROM protocols),
                    (SELECT count(*) FROM protocols WHERE created_at >= $1),
                    (SELECT avg(file_size)::float8 FROM protocols)",
            &[&cutoff],
        )
        .map_err(sql::error)?;
    let total: i64 = sql::get(&row, 0)?;
    let recent: i64 = sql::get(&row, 1)?;
    let avg: Option<f64> = sql::get(&row, 2)?;
    let mut by_status: BTreeMap<String, u64> = ProtocolStatus::ALL
        .iter()
        .map(|s| (s.as_str().to_owned(), 0))
        .collect();
    for row in client
        .query(
            "SELECT status, count(*) FROM protocols GROUP BY status",
            &[],
        )
        .map_err(sql::error)?
    {
        let status: String = sql::get(&row, 0)?;
        by_status.insert(status, sql::count(sql::get(&row, 1)?));
    }
    Ok(ProtocolAnalytics {
        total_protocols: sql::count(total),
        recent_protocols: sql::count(recent),
        by_status,
        avg_file_size: avg.unwrap_or(0.0) as u64,
        period_days: days,
    })
}

/// Tally (status, count) rows.
fn progress(rows: &[postgres::Row]) -> Result<ReviewProgress> {
    let mut progress = ReviewProgress::default();
    for row in rows {
        let status: SuggestionStatus = sql::vocab(row, 0)?;
        let n = sql::count(sql::get(row, 1)?);
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

/// Read from the trigger-maintained counts, not from the suggestions.
pub fn review_progress(client: &mut impl GenericClient) -> Result<ReviewProgress> {
    let rows = client
        .query("SELECT status, count FROM suggestion_status_counts", &[])
        .map_err(sql::error)?;
    progress(&rows)
}

/// Review progress of one analysis's suggestions.
pub fn analysis_progress(
    client: &mut impl GenericClient,
    analysis_id: &str,
) -> Result<ReviewProgress> {
    let rows = client
        .query(
            "SELECT status, count(*) FROM suggestions WHERE analysis_id = $1 GROUP BY status",
            &[&analysis_id],
        )
        .map_err(sql::error)?;
    progress(&rows)
}

/// Completed analyses by overall score in ten bands, as SQLite bands them
/// (`CAST(score / 10 AS INTEGER)`, truncated, clamped to 0–9).
pub fn score_histogram(client: &mut impl GenericClient) -> Result<[u64; 10]> {
    let mut bands = [0u64; 10];
    for row in client
        .query(
            "SELECT least(greatest(trunc(overall_score / 10), 0), 9)::bigint, count(*)
             FROM analyses WHERE status = 'completed' AND overall_score IS NOT NULL
             GROUP BY 1",
            &[],
        )
        .map_err(sql::error)?
    {
        let band: i64 = sql::get(&row, 0)?;
        bands[band.clamp(0, 9) as usize] += sql::count(sql::get(&row, 1)?);
    }
    Ok(bands)
}

pub fn dashboard(
    client: &mut impl GenericClient,
    days: u32,
) -> Result<crate::store::stats::Dashboard> {
    Ok(crate::store::stats::Dashboard {
        analytics: protocol_analytics(client, days)?,
        providers: super::analyses::performance_metrics(client)?,
        review: review_progress(client)?,
        score_histogram: score_histogram(client)?,
    })
}

/// What `protoscribe db status` reports for a PostgreSQL store: `shown`
/// (its URL, password masked) stands where SQLite's path does, the
/// database's size where the file's does; PostgreSQL's write-ahead log is
/// the server's, not the store's, so it is reported as 0, and the journal
/// mode as "postgresql".
pub fn db_status(client: &mut impl GenericClient, shown: &str) -> Result<DbStatus> {
    let mut tables = BTreeMap::new();
    for table in TABLES {
        // Table names come from the fixed list, never from input.
        let row = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .map_err(sql::error)?;
        tables.insert(table.to_owned(), sql::count(sql::get(&row, 0)?));
    }
    let row = client
        .query_one("SELECT pg_database_size(current_database())", &[])
        .map_err(sql::error)?;
    let size: i64 = sql::get(&row, 0)?;
    Ok(DbStatus {
        path: shown.to_owned(),
        schema_version: migrate::version(client)?,
        schema_version_supported: migrate::SCHEMA_VERSION,
        file_size: sql::count(size),
        wal_size: 0,
        journal_mode: "postgresql".to_owned(),
        tables,
    })
}
