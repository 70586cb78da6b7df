//! Loading whole rows as they are, with their timestamps and statuses, in
//! one transaction: how synthetic stores for benchmarks and scale tests are
//! filled (and, later, how a store is copied between backends). The usual
//! operations in the table modules stamp rows with the current time and
//! move them through their lifecycles one step at a time; a load states
//! the end result directly.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use serde_json::Value;

use super::error::Result;
use super::{
    AnalysisStatus, Priority, ProtocolStatus, Store, SuggestionStatus, SuggestionType, ids, time,
};

/// A protocol as it is to be stored.
#[derive(Clone, Debug)]
pub struct ProtocolRow {
    pub title: String,
    pub content: String,
    pub status: ProtocolStatus,
    pub file_path: Option<String>,
    pub file_size: Option<i64>,
    pub metadata: Option<Value>,
    pub created_at: DateTime<Utc>,
}

/// An analysis as it is to be stored (type `comprehensive`).
#[derive(Clone, Debug)]
pub struct AnalysisRow {
    pub protocol_id: String,
    pub provider: String,
    pub status: AnalysisStatus,
    pub results: Option<Value>,
    pub overall_score: Option<f64>,
    pub consort_score: Option<f64>,
    pub spirit_score: Option<f64>,
    pub created_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
    /// Wall time of the run, as every analysis records it.
    pub latency_ms: Option<i64>,
}

/// A suggestion as it is to be stored, decided or not.
#[derive(Clone, Debug)]
pub struct SuggestionRow {
    pub analysis_id: String,
    pub section: String,
    pub kind: SuggestionType,
    pub content: String,
    pub confidence: f64,
    pub priority: Priority,
    pub status: SuggestionStatus,
    pub guideline_reference: Option<String>,
    pub rationale: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: Option<DateTime<Utc>>,
    pub modified_content: Option<String>,
}

/// Inserts rows inside one open write transaction; each insert returns the
/// new row's id.
pub struct Loader<'t> {
    tx: &'t Connection,
}

impl Loader<'_> {
    pub fn protocol(&self, row: &ProtocolRow) -> Result<String> {
        let id = ids::new_id(ids::PROTOCOL);
        self.tx
            .prepare_cached(
                "INSERT INTO protocols (id, title, description, content, status, file_path, file_size, metadata, created_at)
                 VALUES (?1, ?2, NULL, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                id,
                row.title,
                row.content,
                row.status,
                row.file_path,
                row.file_size,
                row.metadata.as_ref().map(Value::to_string),
                time::format_time(row.created_at),
            ])?;
        Ok(id)
    }

    pub fn analysis(&self, row: &AnalysisRow) -> Result<String> {
        let id = ids::new_id(ids::ANALYSIS);
        self.tx
            .prepare_cached(
                "INSERT INTO analyses (id, protocol_id, provider, analysis_type, status, results,
                                       overall_score, consort_score, spirit_score, created_at, completed_at,
                                       latency_ms)
                 VALUES (?1, ?2, ?3, 'comprehensive', ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                id,
                row.protocol_id,
                row.provider,
                row.status,
                row.results.as_ref().map(Value::to_string),
                row.overall_score,
                row.consort_score,
                row.spirit_score,
                time::format_time(row.created_at),
                row.completed_at.map(time::format_time),
                row.latency_ms,
            ])?;
        Ok(id)
    }

    pub fn suggestion(&self, row: &SuggestionRow) -> Result<String> {
        let id = ids::new_id(ids::SUGGESTION);
        self.tx
            .prepare_cached(
                "INSERT INTO suggestions (id, analysis_id, section, type, content, confidence, priority,
                                          status, guideline_reference, rationale, created_at, updated_at,
                                          modified_content)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                id,
                row.analysis_id,
                row.section,
                row.kind,
                row.content,
                row.confidence,
                row.priority,
                row.status,
                row.guideline_reference,
                row.rationale,
                time::format_time(row.created_at),
                row.updated_at.map(time::format_time),
                row.modified_content,
            ])?;
        Ok(id)
    }
}

impl Store {
    /// Load rows through `f` in one write transaction: all of them or, if
    /// `f` fails, none.
    pub fn load<T>(&self, f: impl FnOnce(&Loader<'_>) -> Result<T>) -> Result<T> {
        self.write_sqlite(|tx| f(&Loader { tx }))
    }

    /// Refresh the query planner's statistics, which a large load leaves
    /// stale (SQLite's ANALYZE).
    pub fn refresh_statistics(&self) -> Result<()> {
        self.connection()?.execute_batch("ANALYZE;")?;
        Ok(())
    }

    /// Refresh the statistics and move everything written into the main
    /// file, leaving the write-ahead log empty: for a store about to be
    /// renamed into place.
    pub fn settle(&self) -> Result<()> {
        self.connection()?
            .execute_batch("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")?;
        Ok(())
    }
}
