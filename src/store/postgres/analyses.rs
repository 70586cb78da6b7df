//! The `analyses` table on PostgreSQL: the twin of `store::analyses`,
//! with the same lifecycle pending → running → completed | failed.

use postgres::types::ToSql;
use postgres::{GenericClient, Row};

use super::sql::{self, Where};
use crate::store::analyses::{
    Analysis, AnalysisFilter, COLUMNS, Completion, NewAnalysis, ProviderFigures, ProviderMetrics,
    Usage,
};
use crate::store::error::{Result, StoreError};
use crate::store::suggestions::{Suggestion, SuggestionFilter};
use crate::store::{Page, ids};

fn from_row(row: &Row) -> Result<Analysis> {
    Ok(Analysis {
        id: sql::get(row, 0)?,
        protocol_id: sql::get(row, 1)?,
        provider: sql::get(row, 2)?,
        analysis_type: sql::get(row, 3)?,
        status: sql::vocab(row, 4)?,
        results: sql::get(row, 5)?,
        overall_score: sql::get(row, 6)?,
        consort_score: sql::get(row, 7)?,
        spirit_score: sql::get(row, 8)?,
        error_message: sql::get(row, 9)?,
        created_at: sql::time_at(row, 10)?,
        completed_at: sql::time_opt(row, 11)?,
        usage: Usage {
            model: sql::get(row, 12)?,
            prompt_version: sql::get(row, 13)?,
            input_tokens: to_u64(sql::get(row, 14)?),
            output_tokens: to_u64(sql::get(row, 15)?),
            cost: sql::get(row, 16)?,
            latency_ms: to_u64(sql::get(row, 17)?),
            unverified_answers: to_u64(sql::get(row, 18)?),
            metadata: sql::get(row, 19)?,
        },
    })
}

fn to_u64(v: Option<i64>) -> Option<u64> {
    v.map(|n| n.max(0) as u64)
}

fn to_i64(v: Option<u64>) -> Option<i64> {
    v.map(|n| n.min(i64::MAX as u64) as i64)
}

/// Record who read the text and what it cost.
pub fn record_usage(client: &mut impl GenericClient, id: &str, usage: &Usage) -> Result<()> {
    let n = client
        .execute(
            "UPDATE analyses SET model = $2, prompt_version = $3, input_tokens = $4,
             output_tokens = $5, cost = $6, latency_ms = $7, unverified_answers = $8,
             provider_metadata = $9 WHERE id = $1",
            &[
                &id,
                &usage.model,
                &usage.prompt_version,
                &to_i64(usage.input_tokens),
                &to_i64(usage.output_tokens),
                &usage.cost,
                &to_i64(usage.latency_ms),
                &to_i64(usage.unverified_answers),
                &usage.metadata,
            ],
        )
        .map_err(sql::error)?;
    if n == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

/// The newest completed analysis of a protocol by one provider.
pub fn latest_completed_by(
    client: &mut impl GenericClient,
    protocol_id: &str,
    provider: &str,
) -> Result<Option<Analysis>> {
    let row = client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM analyses
                 WHERE protocol_id = $1 AND provider = $2 AND status = 'completed'
                 ORDER BY completed_at DESC LIMIT 1"
            ),
            &[&protocol_id, &provider],
        )
        .map_err(sql::error)?;
    row.as_ref().map(from_row).transpose()
}

/// The providers with a completed analysis of a protocol, the most
/// recently used first.
pub fn providers_of(client: &mut impl GenericClient, protocol_id: &str) -> Result<Vec<String>> {
    let rows = client
        .query(
            "SELECT provider FROM analyses WHERE protocol_id = $1 AND status = 'completed'
             GROUP BY provider ORDER BY max(completed_at) DESC",
            &[&protocol_id],
        )
        .map_err(sql::error)?;
    rows.iter().map(|r| sql::get(r, 0)).collect()
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "analysis",
        id: id.to_owned(),
    }
}

pub fn create(client: &mut impl GenericClient, new: &NewAnalysis) -> Result<Analysis> {
    create_at_time(client, new, sql::now())
}

/// Create an analysis that began at `created_at` (the store's ISO-8601
/// text), as SQLite's `analyses::create_at`.
pub fn create_at(
    client: &mut impl GenericClient,
    new: &NewAnalysis,
    created_at: &str,
) -> Result<Analysis> {
    let at = sql::parse_time(created_at, "created_at")?;
    create_at_time(client, new, at)
}

fn create_at_time(
    client: &mut impl GenericClient,
    new: &NewAnalysis,
    created_at: chrono::DateTime<chrono::Utc>,
) -> Result<Analysis> {
    let id = ids::new_id(ids::ANALYSIS);
    client
        .execute(
            "INSERT INTO analyses (id, protocol_id, provider, analysis_type, status, created_at)
             VALUES ($1, $2, $3, $4, 'pending', $5)",
            &[
                &id,
                &new.protocol_id,
                &new.provider,
                &new.analysis_type,
                &created_at,
            ],
        )
        .map_err(|e| match sql::code(&e) {
            Some(sql::FOREIGN_KEY_VIOLATION) => StoreError::NotFound {
                kind: "protocol",
                id: new.protocol_id.clone(),
            },
            _ => sql::error(e),
        })?;
    get(client, &id)
}

pub fn find(client: &mut impl GenericClient, id: &str) -> Result<Option<Analysis>> {
    if sql::never_stored(id) {
        return Ok(None);
    }
    client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM analyses WHERE id = $1"),
            &[&id],
        )
        .map_err(sql::error)?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub fn get(client: &mut impl GenericClient, id: &str) -> Result<Analysis> {
    find(client, id)?.ok_or_else(|| not_found(id))
}

/// Move a pending analysis to running.
pub fn start(client: &mut impl GenericClient, id: &str) -> Result<Analysis> {
    transition(
        client,
        id,
        "UPDATE analyses SET status = 'running' WHERE id = $1 AND status = 'pending'",
        &[&id],
    )
}

pub fn complete(client: &mut impl GenericClient, id: &str, done: &Completion) -> Result<Analysis> {
    transition(
        client,
        id,
        "UPDATE analyses
         SET status = 'completed', results = $2, overall_score = $3, consort_score = $4,
             spirit_score = $5, completed_at = $6, error_message = NULL
         WHERE id = $1 AND status IN ('pending', 'running')",
        &[
            &id,
            &done.results,
            &done.overall_score,
            &done.consort_score,
            &done.spirit_score,
            &sql::now(),
        ],
    )
}

pub fn fail(client: &mut impl GenericClient, id: &str, message: &str) -> Result<Analysis> {
    transition(
        client,
        id,
        "UPDATE analyses SET status = 'failed', error_message = $2, completed_at = $3
         WHERE id = $1 AND status IN ('pending', 'running')",
        &[&id, &message, &sql::now()],
    )
}

/// Run `update`, which changes analysis $1 only if its status allows the
/// change; a change refused that way is a conflict.
fn transition(
    client: &mut impl GenericClient,
    id: &str,
    update: &'static str,
    params: &[&(dyn ToSql + Sync)],
) -> Result<Analysis> {
    if client.execute(update, params).map_err(sql::error)? == 0 {
        let current = get(client, id)?;
        return Err(StoreError::Conflict(format!(
            "analysis {id} is {} and cannot change that way",
            current.status
        )));
    }
    get(client, id)
}

fn conditions(filter: &AnalysisFilter) -> Where {
    Where::new()
        .eq("protocol_id", filter.protocol_id.clone())
        .eq("provider", filter.provider.clone())
        .eq("status", filter.status.map(|s| s.as_str()))
}

pub fn list(
    client: &mut impl GenericClient,
    filter: &AnalysisFilter,
    page: Page,
) -> Result<Vec<Analysis>> {
    let w = conditions(filter);
    let (limit, offset) = page.sql();
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM analyses {} ORDER BY created_at DESC LIMIT ${} OFFSET ${}",
                w.sql(),
                w.next(1),
                w.next(2)
            ),
            &w.params(&[&limit, &offset]),
        )
        .map_err(sql::error)?;
    rows.iter().map(from_row).collect()
}

pub fn count(client: &mut impl GenericClient, filter: &AnalysisFilter) -> Result<u64> {
    let w = conditions(filter);
    let row = client
        .query_one(
            &format!("SELECT count(*) FROM analyses {}", w.sql()),
            &w.params(&[]),
        )
        .map_err(sql::error)?;
    Ok(sql::count(sql::get(&row, 0)?))
}

/// The analysis `id` names: an analysis id names itself, a protocol id
/// its latest completed analysis (`None` while it has none). Either must
/// exist.
pub fn resolve(client: &mut impl GenericClient, id: &str) -> Result<Option<Analysis>> {
    match ids::kind_of(id) {
        Some(ids::ANALYSIS) => Ok(Some(get(client, id)?)),
        _ => {
            super::protocols::get(client, id)?;
            latest_completed(client, id)
        }
    }
}

/// The newest *completed* analysis of a protocol (by completion time).
pub fn latest_completed(
    client: &mut impl GenericClient,
    protocol_id: &str,
) -> Result<Option<Analysis>> {
    client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM analyses
                 WHERE protocol_id = $1 AND status = 'completed'
                 ORDER BY completed_at DESC NULLS LAST LIMIT 1"
            ),
            &[&protocol_id],
        )
        .map_err(sql::error)?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A protocol's analyses, newest first, without their (large) results.
pub fn history(
    client: &mut impl GenericClient,
    protocol_id: &str,
    limit: u64,
) -> Result<Vec<Analysis>> {
    let columns = COLUMNS.replace("results", "NULL::jsonb");
    let limit = Page::first(limit).sql().0;
    let rows = client
        .query(
            &format!(
                "SELECT {columns} FROM analyses WHERE protocol_id = $1 ORDER BY created_at DESC LIMIT $2"
            ),
            &[&protocol_id, &limit],
        )
        .map_err(sql::error)?;
    rows.iter().map(from_row).collect()
}

/// The id and overall score of a protocol's latest completed analysis,
/// without reading its results (for lists of many protocols).
pub fn latest_completed_score(
    client: &mut impl GenericClient,
    protocol_id: &str,
) -> Result<Option<(String, Option<f64>)>> {
    let row = client
        .query_opt(
            "SELECT id, overall_score FROM analyses
             WHERE protocol_id = $1 AND status = 'completed'
             ORDER BY completed_at DESC NULLS LAST LIMIT 1",
            &[&protocol_id],
        )
        .map_err(sql::error)?;
    match row {
        Some(row) => Ok(Some((sql::get(&row, 0)?, sql::get(&row, 1)?))),
        None => Ok(None),
    }
}

/// The seed's `get_by_provider`: newest first.
pub fn by_provider(
    client: &mut impl GenericClient,
    provider: &str,
    limit: u64,
) -> Result<Vec<Analysis>> {
    let filter = AnalysisFilter {
        provider: Some(provider.to_owned()),
        ..AnalysisFilter::default()
    };
    list(client, &filter, Page::first(limit))
}

/// An analysis with all its suggestions (an analysis holds dozens, not millions).
pub fn with_suggestions(
    client: &mut impl GenericClient,
    id: &str,
) -> Result<(Analysis, Vec<Suggestion>)> {
    let analysis = get(client, id)?;
    let filter = SuggestionFilter {
        analysis_id: Some(id.to_owned()),
        ..SuggestionFilter::default()
    };
    let all = super::suggestions::list(client, &filter, Page::first(u32::MAX as u64))?;
    Ok((analysis, all))
}

pub fn delete(client: &mut impl GenericClient, id: &str) -> Result<()> {
    if client
        .execute("DELETE FROM analyses WHERE id = $1", &[&id])
        .map_err(sql::error)?
        == 0
    {
        return Err(not_found(id));
    }
    Ok(())
}

/// Average scores of completed analyses, their count, and the share of
/// all analyses that completed, per provider (providers in byte order,
/// as SQLite sorts them).
pub fn performance_metrics(client: &mut impl GenericClient) -> Result<Vec<ProviderMetrics>> {
    // From the trigger-kept figures (migration 0007); see the SQLite twin.
    let rows = client
        .query(
            "SELECT provider, sum(analyses)::bigint, sum(completed)::bigint, sum(overall_n)::bigint,
                    sum(overall_micros)::bigint, sum(consort_n)::bigint, sum(consort_micros)::bigint,
                    sum(spirit_n)::bigint, sum(spirit_micros)::bigint, sum(input_tokens)::bigint,
                    sum(output_tokens)::bigint, sum(cost_nanos)::bigint, sum(latencies)::bigint
             FROM analysis_figures GROUP BY provider HAVING sum(analyses) > 0
             ORDER BY provider COLLATE \"C\"",
            &[],
        )
        .map_err(sql::error)?;
    let mut metrics = Vec::with_capacity(rows.len());
    for row in &rows {
        let mut sums = [0i64; 12];
        for (i, sum) in sums.iter_mut().enumerate() {
            *sum = sql::get(row, i + 1)?;
        }
        let figures = ProviderFigures {
            provider: sql::get(row, 0)?,
            sums,
        };
        let ms: Option<i64> = match figures.median_offset() {
            Some(offset) => client
                .query_opt(
                    "SELECT latency_ms FROM analyses WHERE provider = $1 AND latency_ms IS NOT NULL
                     ORDER BY latency_ms LIMIT 1 OFFSET $2",
                    &[&figures.provider, &offset],
                )
                .map_err(sql::error)?
                .map(|row| sql::get(&row, 0))
                .transpose()?,
            None => None,
        };
        metrics.push(figures.metrics(to_u64(ms)));
    }
    Ok(metrics)
}
