//! The `suggestions` table on PostgreSQL: the twin of
//! `store::suggestions`, with the same review order, revision check,
//! carry-over chain and errors.

use postgres::types::Type;
use postgres::{GenericClient, Row};
use serde_json::json;

use super::sql::{self, Where};
use crate::store::error::{Result, StoreError};
use crate::store::suggestions::{
    COLUMNS, Carried, Change, Decision, Expect, Lineage, NewSuggestion, Suggestion,
    SuggestionFilter, check,
};
use crate::store::{Page, SuggestionStatus, ids};

/// `store::suggestions::REVIEW_ORDER`, with ids compared byte by byte as
/// SQLite compares them, whatever the database's collation.
pub const REVIEW_ORDER: &str = "CASE type WHEN 'critical' THEN 0 ELSE 1 END,
    CASE priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
    confidence DESC, id COLLATE \"C\"";

/// Suggestions of a protocol's completed analyses that no later analysis
/// has carried over: each finding's current suggestion.
const LIVE_OF_PROTOCOL: &str = "FROM suggestions s JOIN analyses a ON a.id = s.analysis_id
    WHERE a.protocol_id = $1 AND a.status = 'completed' AND s.superseded_by IS NULL";

fn from_row(row: &Row) -> Result<Suggestion> {
    Ok(Suggestion {
        id: sql::get(row, 0)?,
        analysis_id: sql::get(row, 1)?,
        section: sql::get(row, 2)?,
        kind: sql::vocab(row, 3)?,
        content: sql::get(row, 4)?,
        confidence: sql::get(row, 5)?,
        priority: sql::vocab(row, 6)?,
        status: sql::vocab(row, 7)?,
        user_comment: sql::get(row, 8)?,
        modified_content: sql::get(row, 9)?,
        guideline_reference: sql::get(row, 10)?,
        rationale: sql::get(row, 11)?,
        created_at: sql::time_at(row, 12)?,
        updated_at: sql::time_opt(row, 13)?,
        finding_key: sql::get(row, 14)?,
        suggested_text: sql::get(row, 15)?,
        revision: sql::get(row, 16)?,
        applied_version: sql::get(row, 17)?,
        metadata: sql::get(row, 18)?,
        superseded_by: sql::get(row, 19)?,
    })
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "suggestion",
        id: id.to_owned(),
    }
}

/// Insert suggestions for an analysis; call inside a transaction so they
/// arrive all together or not at all. A carried-over decision arrives
/// with its suggestion, recorded in its metadata. Returns the new ids in
/// order.
pub fn insert_many(
    client: &mut impl GenericClient,
    analysis_id: &str,
    new: &[NewSuggestion],
) -> Result<Vec<String>> {
    let insert = client
        .prepare(
            "INSERT INTO suggestions (id, analysis_id, section, type, content, confidence, priority,
                                      status, guideline_reference, rationale, created_at,
                                      user_comment, modified_content, finding_key, suggested_text,
                                      applied_version, metadata, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)",
        )
        .map_err(sql::error)?;
    let now = sql::now();
    let mut created = Vec::with_capacity(new.len());
    for s in new {
        check(s)?;
        if let Some(carried) = &s.carried {
            still_as_read(client, carried)?;
        }
        let id = ids::new_id(ids::SUGGESTION);
        let (status, comment, modified, applied, metadata, updated) = match &s.carried {
            Some(c) => (
                c.decision.status,
                c.decision.user_comment.as_deref(),
                c.decision.modified_content.as_deref(),
                c.applied_version,
                Some(json!({
                    "carried_from": c.from,
                    "found_again": c.found_again,
                    "inherited": c.decision != Decision::pending(),
                })),
                // A decision carried over is not a new decision.
                (c.decision != Decision::pending()).then_some(now),
            ),
            None => (SuggestionStatus::Pending, None, None, None, None, None),
        };
        client
            .execute(
                &insert,
                &[
                    &id,
                    &analysis_id,
                    &s.section,
                    &s.kind.as_str(),
                    &s.content,
                    &s.confidence,
                    &s.priority.as_str(),
                    &status.as_str(),
                    &s.guideline_reference,
                    &s.rationale,
                    &now,
                    &comment,
                    &modified,
                    &s.finding_key,
                    &s.suggested_text,
                    &applied,
                    &metadata,
                    &updated,
                ],
            )
            .map_err(|e| match sql::code(&e) {
                Some(sql::FOREIGN_KEY_VIOLATION) => StoreError::NotFound {
                    kind: "analysis",
                    id: analysis_id.to_owned(),
                },
                _ => sql::error(e),
            })?;
        if let Some(carried) = &s.carried {
            supersede(client, &carried.replaces, &id)?;
        }
        created.push(id);
    }
    Ok(created)
}

pub fn create(
    client: &mut impl GenericClient,
    analysis_id: &str,
    new: &NewSuggestion,
) -> Result<Suggestion> {
    let ids = insert_many(client, analysis_id, std::slice::from_ref(new))?;
    match ids.first() {
        Some(id) => get(client, id),
        None => Err(StoreError::Invalid("no suggestion was inserted".into())),
    }
}

pub fn find(client: &mut impl GenericClient, id: &str) -> Result<Option<Suggestion>> {
    if sql::never_stored(id) {
        return Ok(None);
    }
    // Typed parameters: sent with the query in one round trip, instead of
    // preparing first (a decision reads its suggestion on every key press).
    client
        .query_typed_opt(
            &format!("SELECT {COLUMNS} FROM suggestions WHERE id = $1"),
            &[(&id, Type::TEXT)],
        )
        .map_err(sql::error)?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub fn get(client: &mut impl GenericClient, id: &str) -> Result<Suggestion> {
    find(client, id)?.ok_or_else(|| not_found(id))
}

fn conditions(filter: &SuggestionFilter) -> Where {
    Where::new()
        .eq("analysis_id", filter.analysis_id.clone())
        .eq("status", filter.status.map(|s| s.as_str()))
        .eq("priority", filter.priority.map(|p| p.as_str()))
        .eq("type", filter.kind.map(|k| k.as_str()))
        .eq("section", filter.section.clone())
}

/// Suggestions in review order.
pub fn list(
    client: &mut impl GenericClient,
    filter: &SuggestionFilter,
    page: Page,
) -> Result<Vec<Suggestion>> {
    let w = conditions(filter);
    let (limit, offset) = page.sql();
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM suggestions {} ORDER BY {REVIEW_ORDER} LIMIT ${} OFFSET ${}",
                w.sql(),
                w.next(1),
                w.next(2)
            ),
            &w.params(&[&limit, &offset]),
        )
        .map_err(sql::error)?;
    rows.iter().map(from_row).collect()
}

/// Where a suggestion stands in the review order of a filtered list
/// (0-based), if the filter shows it.
pub fn position(
    client: &mut impl GenericClient,
    filter: &SuggestionFilter,
    id: &str,
) -> Result<Option<u64>> {
    let w = conditions(filter);
    let row = client
        .query_opt(
            &format!(
                "SELECT n FROM (SELECT id, row_number() OVER (ORDER BY {REVIEW_ORDER}) - 1 AS n
                                FROM suggestions {}) AS ranked WHERE id = ${}",
                w.sql(),
                w.next(1)
            ),
            &w.params(&[&id]),
        )
        .map_err(sql::error)?;
    Ok(match row {
        Some(row) => Some(sql::count(sql::get(&row, 0)?)),
        None => None,
    })
}

/// An analysis's suggestion about one checklist item (`SPIRIT 2013 item
/// 16b`), if it made one.
pub fn for_item(
    client: &mut impl GenericClient,
    analysis_id: &str,
    reference: &str,
) -> Result<Option<Suggestion>> {
    client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM suggestions
                 WHERE analysis_id = $1 AND guideline_reference = $2 AND type <> 'style'
                 ORDER BY {REVIEW_ORDER} LIMIT 1"
            ),
            &[&analysis_id, &reference],
        )
        .map_err(sql::error)?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub fn count(client: &mut impl GenericClient, filter: &SuggestionFilter) -> Result<u64> {
    let w = conditions(filter);
    let row = client
        .query_one(
            &format!("SELECT count(*) FROM suggestions {}", w.sql()),
            &w.params(&[]),
        )
        .map_err(sql::error)?;
    Ok(sql::count(sql::get(&row, 0)?))
}

/// Record a decision: status, comment and modified content, stamped now,
/// with the revision moved on. With `Expect::Revision`, a suggestion
/// changed elsewhere since the caller read it is not touched and the newer
/// state comes back as a conflict. A suggestion carried over into a later
/// analysis is decided there, not here.
///
/// The update itself refuses a superseded suggestion and a stale
/// revision, so a writer that carries the suggestion over or decides on
/// it at the same moment (on another machine) cannot slip in between a
/// check and the write: the row lock orders the two, and the loser finds
/// out why afterwards.
pub fn decide(
    client: &mut impl GenericClient,
    id: &str,
    decision: &Decision,
    expect: Expect,
) -> Result<Suggestion> {
    change(client, id, &decision.into(), expect)
}

/// Write what a decision changes, in one statement, only if the suggestion
/// is still at the revision expected.
pub fn change(
    client: &mut impl GenericClient,
    id: &str,
    change: &Change,
    expect: Expect,
) -> Result<Suggestion> {
    change.check()?;
    let seen = match expect {
        Expect::Anything => None,
        Expect::Revision(r) => Some(r),
    };
    // The row as decided comes back with the UPDATE: a decision is a few
    // round trips, and each costs as much as the work.
    let status = change.status.map(|s| s.as_str());
    let comment = change.user_comment.clone().flatten();
    let content = change.modified_content.clone().flatten();
    let now = sql::now();
    let updated = client
        .query_typed_opt(
            &format!(
                "UPDATE suggestions SET status = coalesce($2, status),
                                        user_comment = CASE WHEN $3 THEN $4 ELSE user_comment END,
                                        modified_content = CASE WHEN $5 THEN $6 ELSE modified_content END,
                                        updated_at = $7, revision = revision + 1
                 WHERE id = $1 AND superseded_by IS NULL
                   AND ($8::bigint IS NULL OR revision = $8::bigint)
                 RETURNING {COLUMNS}"
            ),
            &[
                (&id, Type::TEXT),
                (&status, Type::TEXT),
                (&change.user_comment.is_some(), Type::BOOL),
                (&comment, Type::TEXT),
                (&change.modified_content.is_some(), Type::BOOL),
                (&content, Type::TEXT),
                (&now, Type::TIMESTAMPTZ),
                (&seen, Type::INT8),
            ],
        )
        .map_err(sql::error)?;
    let Some(row) = updated else {
        if let Some(current) = successor(client, id)? {
            return Err(StoreError::Superseded {
                id: id.to_owned(),
                current,
            });
        }
        let current = get(client, id)?;
        return Err(StoreError::Changed {
            id: id.to_owned(),
            status: current.status,
            revision: current.revision,
        });
    };
    from_row(&row)
}

/// The current suggestion of the finding this one belonged to, if a later
/// analysis took its place (following the chain through every analysis
/// since, in one statement).
pub fn successor(client: &mut impl GenericClient, id: &str) -> Result<Option<String>> {
    // A chain is as long as the protocol's analyses; the bound only guards
    // against a cycle written by hand.
    let row = client
        .query_opt(
            "WITH RECURSIVE chain(id, depth) AS (
                 SELECT superseded_by, 1 FROM suggestions
                 WHERE id = $1 AND superseded_by IS NOT NULL
               UNION ALL
                 SELECT s.superseded_by, c.depth + 1
                 FROM chain c JOIN suggestions s ON s.id = c.id
                 WHERE s.superseded_by IS NOT NULL AND c.depth < 100000
             )
             SELECT id FROM chain ORDER BY depth DESC LIMIT 1",
            &[&id],
        )
        .map_err(sql::error)?;
    match row {
        Some(row) => sql::get(&row, 0),
        None => Ok(None),
    }
}

/// Lock the suggestions a carried decision replaces and make sure they
/// are still what the caller read: none carried over by another analysis,
/// the decision unchanged. SQLite's write lock guarantees that for the
/// whole analysis; here another machine may have decided or analysed
/// since, and carrying over then would silently drop its work, so that is
/// `Retry` (read again and carry again). Locked in id order, so two
/// writers never wait on each other in a circle.
fn still_as_read(client: &mut impl GenericClient, carried: &Carried) -> Result<()> {
    let rows = client
        .query(
            "SELECT id, status, user_comment, modified_content, applied_version, superseded_by
             FROM suggestions WHERE id = ANY($1) ORDER BY id COLLATE \"C\" FOR UPDATE",
            &[&carried.replaces],
        )
        .map_err(sql::error)?;
    for row in &rows {
        let id: String = sql::get(row, 0)?;
        let superseded_by: Option<String> = sql::get(row, 5)?;
        if let Some(by) = superseded_by {
            return Err(StoreError::Retry(format!(
                "suggestion {id} was carried over to {by} by another analysis of its protocol"
            )));
        }
        if id == carried.from {
            let now = Decision {
                status: sql::vocab(row, 1)?,
                user_comment: sql::get(row, 2)?,
                modified_content: sql::get(row, 3)?,
            };
            let applied: Option<i64> = sql::get(row, 4)?;
            if now != carried.decision || applied != carried.applied_version {
                return Err(StoreError::Retry(format!(
                    "suggestion {id} was decided on while its decision was being carried over"
                )));
            }
        }
    }
    Ok(())
}

fn supersede(client: &mut impl GenericClient, earlier: &[String], by: &str) -> Result<()> {
    if earlier.is_empty() {
        return Ok(());
    }
    client
        .execute(
            "UPDATE suggestions SET superseded_by = $2 WHERE id = ANY($1)",
            &[&earlier, &by],
        )
        .map_err(sql::error)?;
    Ok(())
}

/// Each finding's current suggestion among the protocol's completed
/// analyses (those no later analysis took the place of), newest analysis
/// first.
pub fn live_for_protocol(
    client: &mut impl GenericClient,
    protocol_id: &str,
) -> Result<Vec<Suggestion>> {
    let columns: String = COLUMNS
        .split(", ")
        .map(|c| format!("s.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows = client
        .query(
            &format!(
                "SELECT {columns} {LIVE_OF_PROTOCOL}
                 ORDER BY a.completed_at DESC NULLS LAST, a.id COLLATE \"C\", s.created_at,
                          s.id COLLATE \"C\""
            ),
            &[&protocol_id],
        )
        .map_err(sql::error)?;
    rows.iter().map(from_row).collect()
}

/// Record that these suggestions' wording went into `version`.
pub fn mark_applied(client: &mut impl GenericClient, ids: &[&str], version: i64) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    client
        .execute(
            "UPDATE suggestions SET applied_version = $2 WHERE id = ANY($1)",
            &[&ids, &version],
        )
        .map_err(sql::error)?;
    Ok(())
}

pub fn lineage(client: &mut impl GenericClient, analysis_id: &str) -> Result<Lineage> {
    // As SQLite's json_extract: a JSON null is no value, true is 1, false is 0.
    let row = client
        .query_one(
            "SELECT
                count(*) FILTER (WHERE metadata ->> 'carried_from' IS NULL),
                count(*) FILTER (WHERE metadata -> 'inherited' IN ('true'::jsonb, '1'::jsonb)),
                count(*) FILTER (WHERE metadata -> 'found_again' IN ('false'::jsonb, '0'::jsonb))
             FROM suggestions WHERE analysis_id = $1",
            &[&analysis_id],
        )
        .map_err(sql::error)?;
    Ok(Lineage {
        new: sql::count(sql::get(&row, 0)?),
        carried: sql::count(sql::get(&row, 1)?),
        kept: sql::count(sql::get(&row, 2)?),
    })
}

/// Every suggestion's id, in id order (for the crash and concurrency
/// exercise, which picks among them by position).
pub fn all_ids(client: &mut impl GenericClient) -> Result<Vec<String>> {
    let rows = client
        .query("SELECT id FROM suggestions ORDER BY id COLLATE \"C\"", &[])
        .map_err(sql::error)?;
    rows.iter().map(|r| sql::get(r, 0)).collect()
}

/// How many current suggestions there are: those not carried over into a
/// later analysis, which is what the review counts count (what `db check`
/// holds them against).
pub fn count_current(client: &mut impl GenericClient) -> Result<u64> {
    let row = client
        .query_one(
            "SELECT count(*) FROM suggestions WHERE superseded_by IS NULL",
            &[],
        )
        .map_err(sql::error)?;
    Ok(sql::count(sql::get(&row, 0)?))
}

pub fn delete(client: &mut impl GenericClient, id: &str) -> Result<()> {
    if client
        .execute("DELETE FROM suggestions WHERE id = $1", &[&id])
        .map_err(sql::error)?
        == 0
    {
        return Err(not_found(id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_review_order_is_sqlites_with_byte_order_ids() {
        assert_eq!(
            REVIEW_ORDER,
            format!("{} COLLATE \"C\"", crate::store::suggestions::REVIEW_ORDER)
        );
    }
}
