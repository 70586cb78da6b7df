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
    /// The finding: what is wrong, and what the guideline asks for.
    pub content: String,
    pub confidence: f64,
    pub priority: Priority,
    pub status: SuggestionStatus,
    pub user_comment: Option<String>,
    /// The reviewer's wording, replacing `suggested_text`.
    pub modified_content: Option<String>,
    pub guideline_reference: Option<String>,
    pub rationale: Option<String>,
    pub created_at: String,
    pub updated_at: Option<String>,
    /// Names the finding across analyses of the protocol.
    pub finding_key: Option<String>,
    /// The tool's wording for the protocol, if the finding has any.
    pub suggested_text: Option<String>,
    /// Moves on with every change of the decision.
    pub revision: i64,
    /// The protocol version this suggestion's wording went into.
    pub applied_version: Option<i64>,
    /// Where a carried-over decision came from (`carried_from`), and
    /// whether the finding was found again (`found_again`).
    pub metadata: Option<Value>,
    /// The suggestion of a later analysis that took this one's place.
    pub superseded_by: Option<String>,
}

/// A decision that follows its finding into a new analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct Carried {
    /// The earlier suggestion.
    pub from: String,
    pub decision: Decision,
    pub applied_version: Option<i64>,
    /// False when the new analysis no longer makes the finding and the
    /// earlier suggestion is kept only for its undone decision.
    pub found_again: bool,
    /// Every earlier suggestion whose place the new one takes (`from`
    /// among them).
    pub replaces: Vec<String>,
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
    pub finding_key: Option<String>,
    pub suggested_text: Option<String>,
    /// The earlier suggestion this one continues, with its decision.
    pub carried: Option<Carried>,
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

impl Decision {
    /// Undecided, with nothing said.
    pub fn pending() -> Decision {
        Decision {
            status: SuggestionStatus::Pending,
            user_comment: None,
            modified_content: None,
        }
    }
}

/// What a decision changes of a suggestion's review fields, whatever they
/// hold now: a field left `None` keeps its value. A `Decision` changes all
/// three; a verb only what it says, so it is written in one statement
/// without reading the row first.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Change {
    pub status: Option<SuggestionStatus>,
    pub user_comment: Option<Option<String>>,
    pub modified_content: Option<Option<String>>,
}

impl From<&Decision> for Change {
    fn from(decision: &Decision) -> Change {
        Change {
            status: Some(decision.status),
            user_comment: Some(decision.user_comment.clone()),
            modified_content: Some(decision.modified_content.clone()),
        }
    }
}

impl Change {
    /// A modified suggestion needs its new content.
    pub(crate) fn check(&self) -> Result<()> {
        let content = self.modified_content.as_ref().and_then(|c| c.as_deref());
        if self.status == Some(SuggestionStatus::Modified)
            && content.is_none_or(|c| c.trim().is_empty())
        {
            return Err(StoreError::Invalid(
                "a modified suggestion needs its new content: pass --content TEXT".into(),
            ));
        }
        Ok(())
    }
}

impl Verb {
    /// What the verb changes. A comment given with it replaces the old
    /// one; otherwise comments and earlier reworded content are kept, so
    /// going back to pending loses nothing.
    pub fn change(&self, comment: Option<String>) -> Change {
        let said = |text: String| (!text.trim().is_empty()).then_some(text);
        let mut change = Change::default();
        match self {
            Verb::Accept => change.status = Some(SuggestionStatus::Accepted),
            Verb::Reject => change.status = Some(SuggestionStatus::Rejected),
            Verb::Pending => change.status = Some(SuggestionStatus::Pending),
            Verb::Modify(content) => {
                change.status = Some(SuggestionStatus::Modified);
                change.modified_content = Some(Some(content.clone()));
            }
            Verb::Comment(text) => change.user_comment = Some(said(text.clone())),
        }
        if let Some(comment) = comment {
            change.user_comment = Some(said(comment));
        }
        change
    }
}

impl Suggestion {
    /// The decision a verb makes from this suggestion's current state
    /// (`Verb::change` applied to it).
    pub fn after(&self, verb: &Verb, comment: Option<String>) -> Decision {
        let change = verb.change(comment);
        let now = self.decision();
        Decision {
            status: change.status.unwrap_or(now.status),
            user_comment: change.user_comment.unwrap_or(now.user_comment),
            modified_content: change.modified_content.unwrap_or(now.modified_content),
        }
    }
}

/// What the caller last saw of a suggestion, so a decision made elsewhere
/// in the meantime is not overwritten silently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    Anything,
    /// The revision the caller read.
    Revision(i64),
}

pub const SECTION_MAX: usize = 100;

pub(crate) const COLUMNS: &str = "id, analysis_id, section, type, content, confidence, priority, status, user_comment, modified_content, guideline_reference, rationale, created_at, updated_at, finding_key, suggested_text, revision, applied_version, metadata, superseded_by";

/// The review order, said once for the queue, the command line and the
/// README: critical findings first, then priority high to low, then the
/// analyzer's confidence high to low.
pub const REVIEW_ORDER_TEXT: &str =
    "critical findings first, then priority high to low, then confidence high to low";

pub(crate) const REVIEW_ORDER: &str = "CASE type WHEN 'critical' THEN 0 ELSE 1 END,
    CASE priority WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,
    confidence DESC, id";

/// Suggestions of a protocol's completed analyses that no later analysis
/// has carried over: each finding's current suggestion.
const LIVE_OF_PROTOCOL: &str = "FROM suggestions s JOIN analyses a ON a.id = s.analysis_id
    WHERE a.protocol_id = ?1 AND a.status = 'completed' AND s.superseded_by IS NULL";

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
            finding_key: row.get(14)?,
            suggested_text: row.get(15)?,
            revision: row.get(16)?,
            applied_version: row.get(17)?,
            metadata: row
                .get::<_, Option<String>>(18)?
                .and_then(|m| serde_json::from_str(&m).ok()),
            superseded_by: row.get(19)?,
        })
    }

    /// The seed's `to_dict()`, then what ProtoScribe adds.
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
            "finding_key": self.finding_key,
            "suggested_text": self.suggested_text,
            "revision": self.revision,
            "applied_version": self.applied_version,
            "carried_from": self.carried_from(),
            "superseded_by": self.superseded_by,
        })
    }

    /// Whether this suggestion's decision is still the one it took over
    /// from an earlier analysis (no one has decided on it since).
    pub fn decision_carried_over(&self) -> bool {
        self.revision == 0
            && self
                .metadata
                .as_ref()
                .and_then(|m| m.get("inherited"))
                .and_then(Value::as_bool)
                .unwrap_or(false)
    }

    /// The earlier suggestion whose decision this one took over.
    pub fn carried_from(&self) -> Option<&str> {
        self.metadata.as_ref()?.get("carried_from")?.as_str()
    }

    /// False for a decision kept from an earlier analysis whose finding the
    /// latest one no longer makes.
    pub fn found_again(&self) -> bool {
        self.metadata
            .as_ref()
            .and_then(|m| m.get("found_again"))
            .and_then(Value::as_bool)
            .unwrap_or(true)
    }

    /// What `apply` would write: the reviewer's wording, else the tool's.
    pub fn wording(&self) -> Option<&str> {
        match self.status {
            SuggestionStatus::Modified => self.modified_content.as_deref(),
            _ => self.suggested_text.as_deref(),
        }
        .filter(|t| !t.trim().is_empty())
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

pub(crate) fn check(new: &NewSuggestion) -> Result<()> {
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
/// arrive all together or not at all. A carried-over decision arrives
/// with its suggestion, recorded in its metadata. Returns the new ids in
/// order.
pub fn insert_many(
    conn: &Connection,
    analysis_id: &str,
    new: &[NewSuggestion],
) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO suggestions (id, analysis_id, section, type, content, confidence, priority,
                                  status, guideline_reference, rationale, created_at,
                                  user_comment, modified_content, finding_key, suggested_text,
                                  applied_version, metadata, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    )?;
    let now = time::now();
    let mut created = Vec::with_capacity(new.len());
    for s in new {
        check(s)?;
        let id = ids::new_id(ids::SUGGESTION);
        let (status, comment, modified, applied, metadata, updated) = match &s.carried {
            Some(c) => (
                c.decision.status,
                c.decision.user_comment.as_deref(),
                c.decision.modified_content.as_deref(),
                c.applied_version,
                Some(
                    json!({
                        "carried_from": c.from,
                        "found_again": c.found_again,
                        "inherited": c.decision != Decision::pending(),
                    })
                    .to_string(),
                ),
                // A decision carried over is not a new decision.
                (c.decision != Decision::pending()).then_some(now.as_str()),
            ),
            None => (SuggestionStatus::Pending, None, None, None, None, None),
        };
        stmt.execute(params![
            id,
            analysis_id,
            s.section,
            s.kind,
            s.content,
            s.confidence,
            s.priority,
            status,
            s.guideline_reference,
            s.rationale,
            now,
            comment,
            modified,
            s.finding_key,
            s.suggested_text,
            applied,
            metadata,
            updated,
        ])
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) => StoreError::NotFound {
                kind: "analysis",
                id: analysis_id.to_owned(),
            },
            _ => e.into(),
        })?;
        if let Some(carried) = &s.carried {
            supersede(conn, &carried.replaces, &id)?;
        }
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
    let (limit, offset) = page.sql();
    let params = w.params(&[limit, offset]);
    let rows = stmt.query_map(rusqlite::params_from_iter(params), Suggestion::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Where a suggestion stands in the review order of a filtered list
/// (0-based), if the filter shows it.
pub fn position(conn: &Connection, filter: &SuggestionFilter, id: &str) -> Result<Option<u64>> {
    let w = conditions(filter);
    let n: Option<i64> = conn
        .query_row(
            &format!(
                "SELECT n FROM (SELECT id, row_number() OVER (ORDER BY {REVIEW_ORDER}) - 1 AS n
                                FROM suggestions {}) WHERE id = ?{}",
                w.sql(),
                w.next(1)
            ),
            rusqlite::params_from_iter(
                w.params(&[])
                    .into_iter()
                    .chain([rusqlite::types::Value::Text(id.to_owned())]),
            ),
            |r| r.get(0),
        )
        .optional()?;
    Ok(n.map(|n| n as u64))
}

/// An analysis's suggestion about one checklist item (`SPIRIT 2013 item
/// 16b`), if it made one.
pub fn for_item(
    conn: &Connection,
    analysis_id: &str,
    reference: &str,
) -> Result<Option<Suggestion>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM suggestions
                 WHERE analysis_id = ?1 AND guideline_reference = ?2 AND type <> 'style'
                 ORDER BY {REVIEW_ORDER} LIMIT 1"
            ),
            [analysis_id, reference],
            Suggestion::from_row,
        )
        .optional()?)
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

/// Record a decision: status, comment and modified content, stamped now,
/// with the revision moved on. With `Expect::Revision`, a suggestion
/// changed elsewhere since the caller read it is not touched and the newer
/// state comes back as a conflict. A suggestion carried over into a later
/// analysis is decided there, not here.
pub fn decide(
    conn: &Connection,
    id: &str,
    decision: &Decision,
    expect: Expect,
) -> Result<Suggestion> {
    change(conn, id, &decision.into(), expect)
}

/// Write what a decision changes, in one statement, only if the suggestion
/// is still at the revision expected.
pub fn change(conn: &Connection, id: &str, change: &Change, expect: Expect) -> Result<Suggestion> {
    change.check()?;
    if let Some(current) = successor(conn, id)? {
        return Err(StoreError::Superseded {
            id: id.to_owned(),
            current,
        });
    }
    let seen = match expect {
        Expect::Anything => None,
        Expect::Revision(r) => Some(r),
    };
    let updated = conn.execute(
        "UPDATE suggestions SET status = coalesce(?2, status),
                                user_comment = CASE WHEN ?3 THEN ?4 ELSE user_comment END,
                                modified_content = CASE WHEN ?5 THEN ?6 ELSE modified_content END,
                                updated_at = ?7, revision = revision + 1
         WHERE id = ?1 AND (?8 IS NULL OR revision = ?8)",
        params![
            id,
            change.status,
            change.user_comment.is_some(),
            change.user_comment.clone().flatten(),
            change.modified_content.is_some(),
            change.modified_content.clone().flatten(),
            time::now(),
            seen,
        ],
    )?;
    if updated == 0 {
        let current = get(conn, id)?;
        return Err(StoreError::Changed {
            id: id.to_owned(),
            status: current.status,
            revision: current.revision,
        });
    }
    get(conn, id)
}

/// The current suggestion of the finding this one belonged to, if a later
/// analysis took its place (following the chain through every analysis
/// since).
pub fn successor(conn: &Connection, id: &str) -> Result<Option<String>> {
    let mut stmt = conn.prepare_cached("SELECT superseded_by FROM suggestions WHERE id = ?1")?;
    let mut current: Option<String> = None;
    let mut at = id.to_owned();
    // A chain is as long as the protocol's analyses; the bound only guards
    // against a cycle written by hand.
    for _ in 0..100_000 {
        let next: Option<String> = stmt.query_row([&at], |r| r.get(0)).optional()?.flatten();
        match next {
            Some(next) => {
                current = Some(next.clone());
                at = next;
            }
            None => break,
        }
    }
    Ok(current)
}

fn supersede(conn: &Connection, earlier: &[String], by: &str) -> Result<()> {
    let mut stmt =
        conn.prepare_cached("UPDATE suggestions SET superseded_by = ?2 WHERE id = ?1")?;
    for id in earlier {
        stmt.execute(params![id, by])?;
    }
    Ok(())
}

/// Each finding's current suggestion among the protocol's completed
/// analyses (those no later analysis took the place of), newest analysis
/// first.
pub fn live_for_protocol(conn: &Connection, protocol_id: &str) -> Result<Vec<Suggestion>> {
    let columns: String = COLUMNS
        .split(", ")
        .map(|c| format!("s.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let mut stmt = conn.prepare(&format!(
        "SELECT {columns} {LIVE_OF_PROTOCOL} ORDER BY a.completed_at DESC, a.id, s.created_at, s.id"
    ))?;
    let rows = stmt.query_map([protocol_id], Suggestion::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Record that these suggestions' wording went into `version`.
pub fn mark_applied(conn: &Connection, ids: &[&str], version: i64) -> Result<()> {
    let mut stmt =
        conn.prepare_cached("UPDATE suggestions SET applied_version = ?2 WHERE id = ?1")?;
    for id in ids {
        stmt.execute(params![id, version])?;
    }
    Ok(())
}

/// How an analysis's suggestions relate to the analysis before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Lineage {
    /// Findings no earlier analysis made.
    pub new: u64,
    /// Decisions taken over from earlier suggestions of the same finding.
    pub carried: u64,
    /// Undone decisions kept although the finding was not found again.
    pub kept: u64,
}

pub fn lineage(conn: &Connection, analysis_id: &str) -> Result<Lineage> {
    Ok(conn.query_row(
        "SELECT
            coalesce(sum(json_extract(metadata, '$.carried_from') IS NULL), 0),
            coalesce(sum(json_extract(metadata, '$.inherited') = 1), 0),
            coalesce(sum(json_extract(metadata, '$.found_again') = 0), 0)
         FROM suggestions WHERE analysis_id = ?1",
        [analysis_id],
        |r| {
            Ok(Lineage {
                new: r.get::<_, i64>(0)? as u64,
                carried: r.get::<_, i64>(1)? as u64,
                kept: r.get::<_, i64>(2)? as u64,
            })
        },
    )?)
}

/// Every suggestion's id, in id order (for the crash and concurrency
/// exercise, which picks among them by position).
pub fn all_ids(conn: &Connection) -> Result<Vec<String>> {
    let mut stmt = conn.prepare("SELECT id FROM suggestions ORDER BY id")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many current suggestions there are: those not carried over into a
/// later analysis, which is what the review counts count (what `db check`
/// holds them against).
pub fn count_current(conn: &Connection) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM suggestions WHERE superseded_by IS NULL",
        [],
        |r| r.get(0),
    )?;
    Ok(n as u64)
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
