//! The `analyses` table: one run of a provider over a protocol, with its
//! lifecycle pending → running → completed | failed.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};

use super::error::{Result, StoreError};
use super::filter::Where;
use super::suggestions::{self, Suggestion, SuggestionFilter};
use super::{AnalysisStatus, Page, ids, time};

#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub id: String,
    pub protocol_id: String,
    pub provider: String,
    pub analysis_type: String,
    pub status: AnalysisStatus,
    pub results: Option<Value>,
    pub overall_score: Option<f64>,
    pub consort_score: Option<f64>,
    pub spirit_score: Option<f64>,
    pub error_message: Option<String>,
    pub created_at: String,
    pub completed_at: Option<String>,
    pub usage: Usage,
}

/// Who read the text and what it cost (migration 0006): empty for
/// analyses made before it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Usage {
    pub model: Option<String>,
    pub prompt_version: Option<String>,
    pub input_tokens: Option<u64>,
    pub output_tokens: Option<u64>,
    pub cost: Option<f64>,
    pub latency_ms: Option<u64>,
    pub unverified_answers: Option<u64>,
    /// Where the text went, batches, cache hits, repairs, fallbacks.
    pub metadata: Option<Value>,
}

#[derive(Clone, Debug)]
pub struct NewAnalysis {
    pub protocol_id: String,
    pub provider: String,
    pub analysis_type: String,
}

/// What a finished analysis records.
#[derive(Clone, Debug, Default)]
pub struct Completion {
    pub results: Value,
    pub overall_score: Option<f64>,
    pub consort_score: Option<f64>,
    pub spirit_score: Option<f64>,
}

#[derive(Clone, Debug, Default)]
pub struct AnalysisFilter {
    pub protocol_id: Option<String>,
    pub provider: Option<String>,
    pub status: Option<AnalysisStatus>,
}

/// The seed's per-provider performance metrics.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ProviderMetrics {
    pub provider: String,
    pub avg_overall_score: f64,
    pub avg_consort_score: f64,
    pub avg_spirit_score: f64,
    /// Completed analyses.
    pub total_analyses: u64,
    /// Completed as a percentage of all analyses by this provider.
    pub success_rate: f64,
    /// Median wall time of its analyses that recorded one.
    pub median_latency_ms: Option<u64>,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost: f64,
}

pub(crate) const COLUMNS: &str = "id, protocol_id, provider, analysis_type, status, results, overall_score, consort_score, spirit_score, error_message, created_at, completed_at, model, prompt_version, input_tokens, output_tokens, cost, latency_ms, unverified_answers, provider_metadata";

fn to_u64(v: Option<i64>) -> Option<u64> {
    v.map(|n| n.max(0) as u64)
}

fn to_i64(v: Option<u64>) -> Option<i64> {
    v.map(|n| n.min(i64::MAX as u64) as i64)
}

impl Analysis {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Analysis> {
        let results: Option<String> = row.get(5)?;
        Ok(Analysis {
            id: row.get(0)?,
            protocol_id: row.get(1)?,
            provider: row.get(2)?,
            analysis_type: row.get(3)?,
            status: row.get(4)?,
            results: results.and_then(|r| serde_json::from_str(&r).ok()),
            overall_score: row.get(6)?,
            consort_score: row.get(7)?,
            spirit_score: row.get(8)?,
            error_message: row.get(9)?,
            created_at: row.get(10)?,
            completed_at: row.get(11)?,
            usage: Usage {
                model: row.get(12)?,
                prompt_version: row.get(13)?,
                input_tokens: to_u64(row.get(14)?),
                output_tokens: to_u64(row.get(15)?),
                cost: row.get(16)?,
                latency_ms: to_u64(row.get(17)?),
                unverified_answers: to_u64(row.get(18)?),
                metadata: row
                    .get::<_, Option<String>>(19)?
                    .and_then(|m| serde_json::from_str(&m).ok()),
            },
        })
    }

    /// Seconds from creation to completion, as the seed's `duration`.
    pub fn duration(&self) -> Option<f64> {
        time::seconds_between(&self.created_at, self.completed_at.as_deref()?)
    }

    /// The seed's `to_dict()`.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "protocol_id": self.protocol_id,
            "provider": self.provider,
            "analysis_type": self.analysis_type,
            "status": self.status,
            "results": self.results,
            "overall_score": self.overall_score,
            "consort_score": self.consort_score,
            "spirit_score": self.spirit_score,
            "error_message": self.error_message,
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "duration": self.duration(),
            "model": self.usage.model,
            "prompt_version": self.usage.prompt_version,
            "input_tokens": self.usage.input_tokens,
            "output_tokens": self.usage.output_tokens,
            "cost": self.usage.cost,
            "latency_ms": self.usage.latency_ms,
            "unverified_answers": self.usage.unverified_answers,
            "provider_metadata": self.usage.metadata,
        })
    }
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "analysis",
        id: id.to_owned(),
    }
}

pub fn create(conn: &Connection, new: &NewAnalysis) -> Result<Analysis> {
    create_at(conn, new, &time::now())
}

/// Create an analysis that began at `created_at` (one written only once
/// its provider has answered, so that an interrupted run leaves no row).
pub fn create_at(conn: &Connection, new: &NewAnalysis, created_at: &str) -> Result<Analysis> {
    let id = ids::new_id(ids::ANALYSIS);
    conn.execute(
        "INSERT INTO analyses (id, protocol_id, provider, analysis_type, status, created_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
        params![
            id,
            new.protocol_id,
            new.provider,
            new.analysis_type,
            created_at
        ],
    )
    .map_err(|e| match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::NotFound {
            kind: "protocol",
            id: new.protocol_id.clone(),
        },
        _ => e.into(),
    })?;
    get(conn, &id)
}

pub fn find(conn: &Connection, id: &str) -> Result<Option<Analysis>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM analyses WHERE id = ?1"),
            [id],
            Analysis::from_row,
        )
        .optional()?)
}

pub fn get(conn: &Connection, id: &str) -> Result<Analysis> {
    find(conn, id)?.ok_or_else(|| not_found(id))
}

/// Move a pending analysis to running.
pub fn start(conn: &Connection, id: &str) -> Result<Analysis> {
    transition(
        conn,
        id,
        "UPDATE analyses SET status = 'running' WHERE id = ?1 AND status = 'pending'",
        params![id],
    )
}

pub fn complete(conn: &Connection, id: &str, done: &Completion) -> Result<Analysis> {
    transition(
        conn,
        id,
        "UPDATE analyses
         SET status = 'completed', results = ?2, overall_score = ?3, consort_score = ?4,
             spirit_score = ?5, completed_at = ?6, error_message = NULL
         WHERE id = ?1 AND status IN ('pending', 'running')",
        params![
            id,
            done.results.to_string(),
            done.overall_score,
            done.consort_score,
            done.spirit_score,
            time::now()
        ],
    )
}

pub fn fail(conn: &Connection, id: &str, message: &str) -> Result<Analysis> {
    transition(
        conn,
        id,
        "UPDATE analyses SET status = 'failed', error_message = ?2, completed_at = ?3
         WHERE id = ?1 AND status IN ('pending', 'running')",
        params![id, message, time::now()],
    )
}

/// Record who read the text and what it cost.
pub fn record_usage(conn: &Connection, id: &str, usage: &Usage) -> Result<()> {
    let n = conn.execute(
        "UPDATE analyses SET model = ?2, prompt_version = ?3, input_tokens = ?4,
         output_tokens = ?5, cost = ?6, latency_ms = ?7, unverified_answers = ?8,
         provider_metadata = ?9 WHERE id = ?1",
        params![
            id,
            usage.model,
            usage.prompt_version,
            to_i64(usage.input_tokens),
            to_i64(usage.output_tokens),
            usage.cost,
            to_i64(usage.latency_ms),
            to_i64(usage.unverified_answers),
            usage.metadata.as_ref().map(Value::to_string)
        ],
    )?;
    if n == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// The newest completed analysis of a protocol by one provider.
pub fn latest_completed_by(
    conn: &Connection,
    protocol_id: &str,
    provider: &str,
) -> Result<Option<Analysis>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM analyses
                 WHERE protocol_id = ?1 AND provider = ?2 AND status = 'completed'
                 ORDER BY completed_at DESC LIMIT 1"
            ),
            params![protocol_id, provider],
            Analysis::from_row,
        )
        .optional()?)
}

/// The providers with a completed analysis of a protocol, the most
/// recently used first.
pub fn providers_of(conn: &Connection, protocol_id: &str) -> Result<Vec<String>> {
    let mut stmt = conn.prepare(
        "SELECT provider FROM analyses WHERE protocol_id = ?1 AND status = 'completed'
         GROUP BY provider ORDER BY max(completed_at) DESC",
    )?;
    let rows = stmt.query_map([protocol_id], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Run `update`, which changes analysis ?1 only if its status allows the
/// change; a change refused that way is a conflict.
fn transition(
    conn: &Connection,
    id: &str,
    update: &'static str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Analysis> {
    if conn.execute(update, params)? == 0 {
        let current = get(conn, id)?;
        return Err(StoreError::Conflict(format!(
            "analysis {id} is {} and cannot change that way",
            current.status
        )));
    }
    get(conn, id)
}

fn conditions(filter: &AnalysisFilter) -> Where {
    Where::new()
        .eq("protocol_id", filter.protocol_id.clone())
        .eq("provider", filter.provider.clone())
        .eq("status", filter.status.map(|s| s.as_str()))
}

pub fn list(conn: &Connection, filter: &AnalysisFilter, page: Page) -> Result<Vec<Analysis>> {
    let w = conditions(filter);
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM analyses {} ORDER BY created_at DESC LIMIT ?{} OFFSET ?{}",
        w.sql(),
        w.next(1),
        w.next(2)
    ))?;
    let (limit, offset) = page.sql();
    let params = w.params(&[limit, offset]);
    let rows = stmt.query_map(rusqlite::params_from_iter(params), Analysis::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection, filter: &AnalysisFilter) -> Result<u64> {
    let w = conditions(filter);
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM analyses {}", w.sql()),
        rusqlite::params_from_iter(w.params(&[])),
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// The analysis `id` names: an analysis id names itself, a protocol id
/// its latest completed analysis (`None` while it has none). Either must
/// exist.
pub fn resolve(conn: &Connection, id: &str) -> Result<Option<Analysis>> {
    match ids::kind_of(id) {
        Some(ids::ANALYSIS) => Ok(Some(get(conn, id)?)),
        _ => {
            super::protocols::get(conn, id)?;
            latest_completed(conn, id)
        }
    }
}

/// The newest *completed* analysis of a protocol (by completion time).
pub fn latest_completed(conn: &Connection, protocol_id: &str) -> Result<Option<Analysis>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM analyses
                 WHERE protocol_id = ?1 AND status = 'completed'
                 ORDER BY completed_at DESC LIMIT 1"
            ),
            [protocol_id],
            Analysis::from_row,
        )
        .optional()?)
}

/// A protocol's analyses, newest first, without their (large) results.
pub fn history(conn: &Connection, protocol_id: &str, limit: u64) -> Result<Vec<Analysis>> {
    let columns = COLUMNS.replace("results", "NULL");
    let mut stmt = conn.prepare(&format!(
        "SELECT {columns} FROM analyses WHERE protocol_id = ?1 ORDER BY created_at DESC LIMIT ?2"
    ))?;
    let limit = Page::first(limit).sql().0;
    let rows = stmt.query_map(params![protocol_id, limit], Analysis::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The id and overall score of a protocol's latest completed analysis,
/// without reading its results (for lists of many protocols).
pub fn latest_completed_score(
    conn: &Connection,
    protocol_id: &str,
) -> Result<Option<(String, Option<f64>)>> {
    Ok(conn
        .query_row(
            "SELECT id, overall_score FROM analyses
             WHERE protocol_id = ?1 AND status = 'completed'
             ORDER BY completed_at DESC LIMIT 1",
            [protocol_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// The seed's `get_by_provider`: newest first.
pub fn by_provider(conn: &Connection, provider: &str, limit: u64) -> Result<Vec<Analysis>> {
    let filter = AnalysisFilter {
        provider: Some(provider.to_owned()),
        ..AnalysisFilter::default()
    };
    list(conn, &filter, Page::first(limit))
}

/// An analysis with all its suggestions (an analysis holds dozens, not millions).
pub fn with_suggestions(conn: &Connection, id: &str) -> Result<(Analysis, Vec<Suggestion>)> {
    let analysis = get(conn, id)?;
    let filter = SuggestionFilter {
        analysis_id: Some(id.to_owned()),
        ..SuggestionFilter::default()
    };
    let all = suggestions::list(conn, &filter, Page::first(u32::MAX as u64))?;
    Ok((analysis, all))
}

pub fn delete(conn: &Connection, id: &str) -> Result<()> {
    if conn.execute("DELETE FROM analyses WHERE id = ?1", [id])? == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// Average scores of completed analyses, their count, and the share of
/// all analyses that completed, per provider.
pub fn performance_metrics(conn: &Connection) -> Result<Vec<ProviderMetrics>> {
    // From the trigger-kept figures (migration 0007), a row per provider
    // and score band, not from a scan of every analysis.
    let mut stmt = conn.prepare_cached(
        "SELECT provider, sum(analyses), sum(completed), sum(overall_n), sum(overall_micros),
                sum(consort_n), sum(consort_micros), sum(spirit_n), sum(spirit_micros),
                sum(input_tokens), sum(output_tokens), sum(cost_nanos), sum(latencies)
         FROM analysis_figures GROUP BY provider HAVING sum(analyses) > 0 ORDER BY provider",
    )?;
    let kept = stmt
        .query_map([], |row| {
            let mut sums = [0i64; 12];
            for (i, sum) in sums.iter_mut().enumerate() {
                *sum = row.get(i + 1)?;
            }
            Ok(ProviderFigures {
                provider: row.get(0)?,
                sums,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    let mut median = conn.prepare_cached(
        "SELECT latency_ms FROM analyses WHERE provider = ?1 AND latency_ms IS NOT NULL
         ORDER BY latency_ms LIMIT 1 OFFSET ?2",
    )?;
    kept.into_iter()
        .map(|figures| {
            let ms = match figures.median_offset() {
                Some(offset) => median
                    .query_row(params![figures.provider, offset], |r| r.get::<_, i64>(0))
                    .optional()?,
                None => None,
            };
            Ok(figures.metrics(to_u64(ms)))
        })
        .collect()
}

/// One provider's row of `analysis_figures` summed over its score bands:
/// analyses, completed, then (n, millionths) for the overall, CONSORT and
/// SPIRIT scores, input and output tokens, cost in billionths, latencies.
pub(crate) struct ProviderFigures {
    pub provider: String,
    pub sums: [i64; 12],
}

impl ProviderFigures {
    /// Where the median latency (the lower middle one of an even count)
    /// sits among the provider's latencies in ascending order.
    pub fn median_offset(&self) -> Option<i64> {
        let latencies = self.sums[11];
        (latencies > 0).then(|| (latencies + 1) / 2 - 1)
    }

    pub fn metrics(&self, median_latency_ms: Option<u64>) -> ProviderMetrics {
        let [
            total,
            completed,
            overall_n,
            overall,
            consort_n,
            consort,
            spirit_n,
            spirit,
            input,
            output,
            cost,
            _,
        ] = self.sums;
        let round2 = |x: f64| (x * 100.0).round() / 100.0;
        let average = |micros: i64, n: i64| {
            if n > 0 {
                round2(micros as f64 / 1e6 / n as f64)
            } else {
                0.0
            }
        };
        ProviderMetrics {
            provider: self.provider.clone(),
            avg_overall_score: average(overall, overall_n),
            avg_consort_score: average(consort, consort_n),
            avg_spirit_score: average(spirit, spirit_n),
            total_analyses: completed.max(0) as u64,
            success_rate: if total > 0 {
                round2(completed as f64 * 100.0 / total as f64)
            } else {
                0.0
            },
            median_latency_ms,
            input_tokens: input.max(0) as u64,
            output_tokens: output.max(0) as u64,
            cost: cost as f64 / 1e9,
        }
    }
}
