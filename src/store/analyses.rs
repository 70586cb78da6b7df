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
}

pub(crate) const COLUMNS: &str = "id, protocol_id, provider, analysis_type, status, results, overall_score, consort_score, spirit_score, error_message, created_at, completed_at";

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
    let id = ids::new_id(ids::ANALYSIS);
    conn.execute(
        "INSERT INTO analyses (id, protocol_id, provider, analysis_type, status, created_at)
         VALUES (?1, ?2, ?3, ?4, 'pending', ?5)",
        params![
            id,
            new.protocol_id,
            new.provider,
            new.analysis_type,
            time::now()
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
    let mut stmt = conn.prepare(
        "SELECT provider,
                avg(CASE WHEN status = 'completed' THEN overall_score END),
                avg(CASE WHEN status = 'completed' THEN consort_score END),
                avg(CASE WHEN status = 'completed' THEN spirit_score END),
                sum(status = 'completed'),
                count(*)
         FROM analyses GROUP BY provider ORDER BY provider",
    )?;
    let round2 = |x: Option<f64>| x.map(|v| (v * 100.0).round() / 100.0).unwrap_or(0.0);
    let rows = stmt.query_map([], |row| {
        let completed: i64 = row.get(4)?;
        let total: i64 = row.get(5)?;
        Ok(ProviderMetrics {
            provider: row.get(0)?,
            avg_overall_score: round2(row.get(1)?),
            avg_consort_score: round2(row.get(2)?),
            avg_spirit_score: round2(row.get(3)?),
            total_analyses: completed as u64,
            success_rate: if total > 0 {
                round2(Some(completed as f64 * 100.0 / total as f64))
            } else {
                0.0
            },
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
