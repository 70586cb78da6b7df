//! The `suggestions` table: what an analysis proposes, and the reviewer's
//! decision on each.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};

use super::error::{Result, StoreError};
use super::filter::Where;
use super::{Page, Priority, SuggestionStatus, SuggestionType, ids, time};

#[derive(Clone, Debug, PartialEq)]
pub struct Suggestion {
    pub id: String,
    pub analysis_id: String,
    pub section: String,
    pub kind: SuggestionType,
    pub content: String,
    pub confidence: f64,
    pub priority: Priority,
    pub status: SuggestionStatus,
    pub user_comment: Option<String>,
    pub modified_content: Option<String>,
    pub guideline_reference: Option<String>,
    pub rationale: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewSuggestion {
    pub section: String,
    pub kind: SuggestionType,
    pub content: String,
    pub confidence: f64,
    pub priority: Priority,
    pub guideline_reference: Option<String>,
    pub rationale: Option<String>,
}

#[derive(Clone, Debug, Default)]
pub struct SuggestionFilter {
    pub analysis_id: Option<String>,
    pub status: Option<SuggestionStatus>,
    pub priority: Option<Priority>,
    pub kind: Option<SuggestionType>,
    pub section: Option<String>,
}

/// A reviewer's decision: the whole new state of the suggestion's review
/// fields (so that undo can put back exactly what was there).
#[derive(Clone, Debug, PartialEq)]
pub struct Decision {
    pub status: SuggestionStatus,
    pub user_comment: Option<String>,
    pub modified_content: Option<String>,
}

/// What a reviewer does to a suggestion.
#[derive(Clone, Debug, PartialEq)]
pub enum Verb {
    Accept,
    Reject,
    /// Back to pending (undecided).
    Pending,
    /// Accept with reworded content.
    Modify(String),
    /// Change only the comment.
    Comment(String),
}

impl Suggestion {
    /// The decision a verb makes from this suggestion's current state. A
    /// comment given with a verb replaces the old one; otherwise comments
    /// and earlier reworded content are kept, so going back to pending
    /// loses nothing.
    pub fn after(&self, verb: &Verb, comment: Option<String>) -> Decision {
        let mut next = self.decision();
        match verb {
            Verb::Accept => next.status = SuggestionStatus::Accepted,
            Verb::Reject => next.status = SuggestionStatus::Rejected,
            Verb::Pending => next.status = SuggestionStatus::Pending,
            Verb::Modify(content) => {
                next.status = SuggestionStatus::Modified;
                next.modified_content = Some(content.clone());
            }
            Verb::Comment(text) => {
                next.user_comment = (!text.trim().is_empty()).then(|| text.clone());
            }
        }
        if let Some(comment) = comment {
            next.user_comment = (!comment.trim().is_empty()).then_some(comment);
        }
        next
    }
}

/// What the caller last saw of a suggestion, so a decision made elsewhere
/// in the meantime is not overwritten silently.
#[derive(Clone, Copy, Debug)]
pub enum Expect<'a> {
    Anything,
    /// The `updated_at` the caller read.
    Unchanged(Option<&'a str>),
}

pub const SECTION_MAX: usize = 100;

const COLUMNS: &str = "id, analysis_id, section, type, content, confidence, priority, status, user_comment, modified_content, guideline_reference, rationale, created_at, updated_at";

/// Review order: critical before improvement before style, then high
/// priority first, then the analyzer's confidence.
pub const REVIEW_ORDER: &str =
    "CASE type WHEN 'critical' THEN 0 WHEN 'improvement' THEN 1 ELSE 2 END,
    CASE priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
    confidence DESC, id";

impl Suggestion {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Suggestion> {
        Ok(Suggestion {
            id: row.get(0)?,
            analysis_id: row.get(1)?,
            section: row.get(2)?,
            kind: row.get(3)?,
            content: row.get(4)?,
            confidence: row.get(5)?,
            priority: row.get(6)?,
            status: row.get(7)?,
            user_comment: row.get(8)?,
            modified_content: row.get(9)?,
            guideline_reference: row.get(10)?,
            rationale: row.get(11)?,
            created_at: row.get(12)?,
            updated_at: row.get(13)?,
        })
    }

    /// The seed's `to_dict()`.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "analysis_id": self.analysis_id,
            "section": self.section,
            "type": self.kind,
            "content": self.content,
            "confidence": self.confidence,
            "priority": self.priority,
            "status": self.status,
            "user_comment": self.user_comment,
            "modified_content": self.modified_content,
            "guideline_reference": self.guideline_reference,
            "rationale": self.rationale,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }

    pub fn decision(&self) -> Decision {
        Decision {
            status: self.status,
            user_comment: self.user_comment.clone(),
            modified_content: self.modified_content.clone(),
        }
    }
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "suggestion",
        id: id.to_owned(),
    }
}

fn check(new: &NewSuggestion) -> Result<()> {
    if !(0.0..=1.0).contains(&new.confidence) {
        return Err(StoreError::Invalid(format!(
            "confidence must be between 0 and 1, not {}",
            new.confidence
        )));
    }
    if new.section.chars().count() > SECTION_MAX {
        return Err(StoreError::Invalid(format!(
            "a section name may be at most {SECTION_MAX} characters"
        )));
    }
    Ok(())
}

/// Insert suggestions for an analysis; call inside a transaction so they
/// arrive all together or not at all. Returns the new ids in order.
pub fn insert_many(
    conn: &Connection,
    analysis_id: &str,
    new: &[NewSuggestion],
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO suggestions (id, analysis_id, section, type, content, confidence, priority,
                                  status, guideline_reference, rationale, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9, ?10)",
    )?;
    let now = time::now();
    let mut created = Vec::with_capacity(new.len());
    for s in new {
        check(s)?;
        let id = ids::new_id(ids::SUGGESTION);
        stmt.execute(params![
            id,
            analysis_id,
            s.section,
            s.kind,
            s.content,
            s.confidence,
            s.priority,
            s.guideline_reference,
            s.rationale,
            now,
        ])
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::NotFound {
                kind: "analysis",
                id: analysis_id.to_owned(),
            },
            _ => e.into(),
        })?;
        created.push(id);
    }
    Ok(created)
}

pub fn create(conn: &Connection, analysis_id: &str, new: &NewSuggestion) -> Result<Suggestion> {
    let ids = insert_many(conn, analysis_id, std::slice::from_ref(new))?;
    get(conn, &ids[0])
}

pub fn find(conn: &Connection, id: &str) -> Result<Option<Suggestion>> {
    Ok(conn
        .query_row(
            &format!("SELECT {COLUMNS} FROM suggestions WHERE id = ?1"),
            [id],
            Suggestion::from_row,
        )
        .optional()?)
}

pub fn get(conn: &Connection, id: &str) -> Result<Suggestion> {
    find(conn, id)?.ok_or_else(|| not_found(id))
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
pub fn list(conn: &Connection, filter: &SuggestionFilter, page: Page) -> Result<Vec<Suggestion>> {
    let w = conditions(filter);
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM suggestions {} ORDER BY {REVIEW_ORDER} LIMIT ?{} OFFSET ?{}",
        w.sql(),
        w.next(1),
        w.next(2)
    ))?;
    let limit = page.limit.min(i64::MAX as u64) as i64;
    let params = w.params(&[limit, page.offset as i64]);
    let rows = stmt.query_map(rusqlite::params_from_iter(params), Suggestion::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection, filter: &SuggestionFilter) -> Result<u64> {
    let w = conditions(filter);
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM suggestions {}", w.sql()),
        rusqlite::params_from_iter(w.params(&[])),
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// Record a decision: status, comment and modified content, stamped now.
/// With `Expect::Unchanged`, a suggestion changed elsewhere since the
/// caller read it is not touched and the newer state comes back as a
/// conflict.
pub fn decide(
    conn: &Connection,
    id: &str,
    decision: &Decision,
    expect: Expect<'_>,
) -> Result<Suggestion> {
    let modified = decision
        .modified_content
        .as_deref()
        .filter(|m| !m.trim().is_empty());
    if decision.status == SuggestionStatus::Modified && modified.is_none() {
        return Err(StoreError::Invalid(
            "a modified suggestion needs its new content: pass --content TEXT".into(),
        ));
    }
    let (check_seen, seen) = match expect {
        Expect::Anything => (false, None),
        Expect::Unchanged(seen) => (true, seen),
    };
    let updated = conn.execute(
        "UPDATE suggestions SET status = ?2, user_comment = ?3, modified_content = ?4, updated_at = ?5
         WHERE id = ?1 AND (NOT ?6 OR updated_at IS ?7)",
        params![
            id,
            decision.status,
            decision.user_comment,
            decision.modified_content,
            time::now(),
            check_seen,
            seen,
        ],
    )?;
    if updated == 0 {
        let current = get(conn, id)?;
        return Err(StoreError::Conflict(format!(
            "suggestion {id} was changed elsewhere (now {}, at {}): look at it again before deciding",
            current.status,
            current.updated_at.as_deref().unwrap_or("unknown time")
        )));
    }
    get(conn, id)
}

pub fn delete(conn: &Connection, id: &str) -> Result<()> {
    if conn.execute("DELETE FROM suggestions WHERE id = ?1", [id])? == 0 {
        return Err(not_found(id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The review queue and its counts must use an index, whatever the
    /// filter: a scan is invisible on a small store and ruinous on a big one.
    #[test]
    fn queue_queries_use_an_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::store::migrate::migrate(&mut conn).unwrap();
        let analysis = Some("analysis_1".to_owned());
        for filter in [
            SuggestionFilter {
                analysis_id: analysis.clone(),
                ..Default::default()
            },
            SuggestionFilter {
                analysis_id: analysis.clone(),
                status: Some(SuggestionStatus::Pending),
                ..Default::default()
            },
            SuggestionFilter {
                analysis_id: analysis.clone(),
                kind: Some(SuggestionType::Critical),
                ..Default::default()
            },
            SuggestionFilter {
                analysis_id: analysis,
                priority: Some(Priority::High),
                ..Default::default()
            },
        ] {
            let w = conditions(&filter);
            for sql in [
                format!(
                    "SELECT {COLUMNS} FROM suggestions {} ORDER BY {REVIEW_ORDER}",
                    w.sql()
                ),
                format!("SELECT count(*) FROM suggestions {}", w.sql()),
            ] {
                let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
                let plan: Vec<String> = stmt
                    .query_map(rusqlite::params_from_iter(w.params(&[])), |r| {
                        r.get::<_, String>(3)
                    })
                    .unwrap()
                    .map(|r| r.unwrap())
                    .collect();
                let plan = plan.join(" | ");
                assert!(
                    plan.contains("USING") && !plan.contains("SCAN suggestions"),
                    "{sql}: {plan}"
                );
            }
        }
    }
}
