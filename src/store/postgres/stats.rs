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

/// The analysis figures counted afresh from the analyses, as migration
/// 0007 first fills them: what `db check` compares the kept ones with, and
/// what a bulk load (`db copy`) writes once instead of per row.
pub(crate) const FIGURES_RECOUNT: &str = "SELECT c.provider, c.band, sum(c.analyses)::bigint,
        sum(c.completed)::bigint, sum(c.overall_n)::bigint, sum(c.overall_micros)::bigint,
        sum(c.consort_n)::bigint, sum(c.consort_micros)::bigint, sum(c.spirit_n)::bigint,
        sum(c.spirit_micros)::bigint, sum(c.input_tokens)::bigint, sum(c.output_tokens)::bigint,
        sum(c.cost_nanos)::bigint, sum(c.latencies)::bigint
    FROM analyses a, analysis_contribution(a, 1) c GROUP BY c.provider, c.band";

/// The tables triggers keep (review counts, analysis figures) counted
/// afresh: after a bulk load that had the triggers off (`db copy`, a
/// restore), at the current schema.
pub(crate) fn recount_script() -> String {
    format!(
        "UPDATE suggestion_status_counts
         SET count = (SELECT count(*) FROM suggestions
                      WHERE status = suggestion_status_counts.status AND superseded_by IS NULL);
         DELETE FROM analysis_figures;
         INSERT INTO analysis_figures {FIGURES_RECOUNT};\n"
    )
}

/// Count afresh what the triggers keep (`db check --repair`).
pub fn recount(client: &mut impl GenericClient) -> Result<()> {
    client.batch_execute(&recount_script()).map_err(sql::error)
}

/// How many rows of the kept analysis figures disagree with a recount.
pub fn figures_disagreeing(client: &mut impl GenericClient) -> Result<u64> {
    let kept = crate::store::stats::kept_figures_sql();
    let row = client
        .query_one(
            &format!(
                "SELECT count(*) FROM (
                     SELECT provider, band FROM ({kept} EXCEPT {FIGURES_RECOUNT}) AS a
                     UNION SELECT provider, band FROM ({FIGURES_RECOUNT} EXCEPT {kept}) AS b) AS c"
            ),
            &[],
        )
        .map_err(sql::error)?;
    Ok(sql::count(sql::get(&row, 0)?))
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

/// Completed analyses by overall score in ten bands, as the
/// analysis_figures triggers band them (truncated, clamped to 0–9, as on
/// SQLite).
pub fn score_histogram(client: &mut impl GenericClient) -> Result<[u64; 10]> {
    let mut bands = [0u64; 10];
    for row in client
        .query(
            "SELECT band::bigint, sum(analyses)::bigint FROM analysis_figures
             WHERE band >= 0 GROUP BY band",
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
