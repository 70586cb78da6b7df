//! The `protocols` table: imported documents and their text.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};

use super::error::{Result, StoreError};
use super::filter::Where;
use super::{Page, ProtocolStatus, ids, search, time};

/// A protocol without its text: what lists show. Loading it never reads
/// the (large) content column.
#[derive(Clone, Debug, PartialEq)]
pub struct ProtocolInfo {
    pub id: String,
    pub title: String,
    pub status: ProtocolStatus,
    pub file_path: Option<String>,
    pub file_size: Option<i64>,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub description: Option<String>,
    pub metadata: Option<Value>,
}

/// A protocol with its text.
#[derive(Clone, Debug, PartialEq)]
pub struct Protocol {
    pub info: ProtocolInfo,
    pub content: String,
}

impl std::ops::Deref for Protocol {
    type Target = ProtocolInfo;
    fn deref(&self) -> &ProtocolInfo {
        &self.info
    }
}

/// What a new protocol is made from.
#[derive(Clone, Debug, Default)]
pub struct NewProtocol {
    pub title: String,
    pub description: Option<String>,
    pub content: String,
    pub status: Option<ProtocolStatus>,
    pub file_path: Option<String>,
    pub file_size: Option<i64>,
    pub metadata: Option<Value>,
}

/// Changes to a protocol; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ProtocolUpdate {
    pub title: Option<String>,
    pub description: Option<Option<String>>,
    pub content: Option<String>,
    pub status: Option<ProtocolStatus>,
    pub metadata: Option<Value>,
}

/// Which protocols a list shows.
#[derive(Clone, Debug, Default)]
pub struct ProtocolFilter {
    pub status: Option<ProtocolStatus>,
    /// Full-text query, taken literally (see `search`).
    pub search: Option<String>,
}

pub const TITLE_MAX: usize = 255;

/// Columns of `ProtocolInfo`, in the order `from_row` reads them.
pub(crate) const INFO_COLUMNS: &str =
    "id, title, status, file_path, file_size, created_at, updated_at, description, metadata";

impl ProtocolInfo {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<ProtocolInfo> {
        let metadata: Option<String> = row.get(8)?;
        Ok(ProtocolInfo {
            id: row.get(0)?,
            title: row.get(1)?,
            status: row.get(2)?,
            file_path: row.get(3)?,
            file_size: row.get(4)?,
            created_at: row.get(5)?,
            updated_at: row.get(6)?,
            description: row.get(7)?,
            metadata: metadata.and_then(|m| serde_json::from_str(&m).ok()),
        })
    }

    /// The seed's `to_dict()` without content.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "status": self.status,
            "file_size": self.file_size,
            "metadata": self.metadata,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        })
    }
}

impl Protocol {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Protocol> {
        Ok(Protocol {
            info: ProtocolInfo::from_row(row)?,
            content: row.get(9)?,
        })
    }

    /// The seed's `to_dict()`: the same field names, content only on request.
    pub fn to_json(&self, include_content: bool) -> Value {
        let mut value = self.info.to_json();
        if include_content {
            value["content"] = json!(self.content);
        }
        value
    }
}

pub(crate) fn check_title(title: &str) -> Result<()> {
    if title.trim().is_empty() {
        return Err(StoreError::Invalid(
            "a protocol needs a non-empty title".into(),
        ));
    }
    if title.chars().count() > TITLE_MAX {
        return Err(StoreError::Invalid(format!(
            "a protocol title may be at most {TITLE_MAX} characters"
        )));
    }
    Ok(())
}

pub fn create(conn: &Connection, new: &NewProtocol) -> Result<Protocol> {
    check_title(&new.title)?;
    let id = ids::new_id(ids::PROTOCOL);
    let metadata = new.metadata.as_ref().map(Value::to_string);
    conn.execute(
        "INSERT INTO protocols (id, title, description, content, status, file_path, file_size, metadata, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            id,
            new.title,
            new.description,
            new.content,
            new.status.unwrap_or(ProtocolStatus::Processing),
            new.file_path,
            new.file_size,
            metadata,
            time::now(),
        ],
    )?;
    get(conn, &id)
}

pub fn find(conn: &Connection, id: &str) -> Result<Option<Protocol>> {
    Ok(conn
        .query_row(
            &format!("SELECT {INFO_COLUMNS}, content FROM protocols WHERE id = ?1"),
            [id],
            Protocol::from_row,
        )
        .optional()?)
}

pub fn get(conn: &Connection, id: &str) -> Result<Protocol> {
    find(conn, id)?.ok_or_else(|| StoreError::NotFound {
        kind: "protocol",
        id: id.to_owned(),
    })
}

/// A protocol imported earlier from the same bytes, if any (failed
/// imports do not count: the file may be imported again).
pub fn find_by_sha256(conn: &Connection, sha256: &str) -> Result<Option<ProtocolInfo>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {INFO_COLUMNS} FROM protocols WHERE json_extract(metadata, '$.sha256') = ?1
                   AND status <> 'error'
                 ORDER BY created_at LIMIT 1"
            ),
            [sha256],
            ProtocolInfo::from_row,
        )
        .optional()?)
}

/// Protocols, newest first, or best match first when searching.
pub fn list(conn: &Connection, filter: &ProtocolFilter, page: Page) -> Result<Vec<ProtocolInfo>> {
    let status = filter.status.map(|s| s.as_str());
    let (limit, offset) = page.sql();
    let mut rows = Vec::new();
    match searched(filter) {
        Some(query) => {
            let order = if query.fts().is_empty() {
                "p.created_at DESC"
            } else {
                "f.rank, p.created_at DESC"
            };
            let sql = format!(
                "SELECT {} {} ORDER BY {order} LIMIT ?4 OFFSET ?5",
                prefixed_columns("p"),
                search_from(&query)
            );
            let mut stmt = conn.prepare(&sql)?;
            let params = params![query.fts(), status, query.literals_json(), limit, offset];
            for row in stmt.query_map(params, ProtocolInfo::from_row)? {
                rows.push(row?);
            }
        }
        None => {
            let w = Where::new().eq("status", status);
            let mut stmt = conn.prepare(&format!(
                "SELECT {INFO_COLUMNS} FROM protocols {} ORDER BY created_at DESC LIMIT ?{} OFFSET ?{}",
                w.sql(),
                w.next(1),
                w.next(2)
            ))?;
            let params = rusqlite::params_from_iter(w.params(&[limit, offset]));
            for row in stmt.query_map(params, ProtocolInfo::from_row)? {
                rows.push(row?);
            }
        }
    }
    Ok(rows)
}

/// Where a protocol stands in the unfiltered list (newest first), so a
/// screen can put its cursor back on it after a search is cleared.
pub fn position_newest_first(conn: &Connection, id: &str) -> Result<Option<u64>> {
    let n: Option<i64> = conn
        .query_row(
            "SELECT (SELECT count(*) FROM protocols o WHERE o.created_at > p.created_at)
             FROM protocols p WHERE p.id = ?1",
            [id],
            |r| r.get(0),
        )
        .optional()?;
    Ok(n.map(|n| n as u64))
}

/// How many protocols a filter matches.
pub fn count(conn: &Connection, filter: &ProtocolFilter) -> Result<u64> {
    let status = filter.status.map(|s| s.as_str());
    let n: i64 = match searched(filter) {
        Some(query) => conn.query_row(
            &format!("SELECT count(*) {}", search_from(&query)),
            params![query.fts(), status, query.literals_json()],
            |r| r.get(0),
        )?,
        None => {
            let w = Where::new().eq("status", status);
            conn.query_row(
                &format!("SELECT count(*) FROM protocols {}", w.sql()),
                rusqlite::params_from_iter(w.params(&[])),
                |r| r.get(0),
            )?
        }
    };
    Ok(n as u64)
}

fn searched(filter: &ProtocolFilter) -> Option<search::SearchQuery> {
    let query = search::SearchQuery::parse(filter.search.as_deref()?);
    (!query.is_empty()).then_some(query)
}

/// FROM and WHERE of a search, binding ?1 (FTS expression), ?2 (status or
/// NULL) and ?3 (literal words). MATCH cannot sit under an OR, so it is
/// left out of the text when the query has no words to match.
fn search_from(query: &search::SearchQuery) -> String {
    let matching = if query.fts().is_empty() {
        "?1 = ''"
    } else {
        "protocols_fts MATCH ?1"
    };
    format!(
        "FROM protocols_fts f JOIN protocols p ON p.id = f.protocol_id
         WHERE {matching} AND (?2 IS NULL OR p.status = ?2) AND {}",
        search::LITERAL_FILTER
    )
}

/// The seed's `get_by_status`: newest first.
pub fn by_status(
    conn: &Connection,
    status: ProtocolStatus,
    limit: u64,
) -> Result<Vec<ProtocolInfo>> {
    let filter = ProtocolFilter {
        status: Some(status),
        search: None,
    };
    list(conn, &filter, Page::first(limit))
}

pub fn update(conn: &Connection, id: &str, changes: &ProtocolUpdate) -> Result<Protocol> {
    if let Some(title) = &changes.title {
        check_title(title)?;
    }
    let (set_description, description) = match &changes.description {
        Some(d) => (true, d.clone()),
        None => (false, None),
    };
    let updated = conn.execute(
        "UPDATE protocols SET
            title = coalesce(?2, title),
            description = CASE WHEN ?3 THEN ?4 ELSE description END,
            content = coalesce(?5, content),
            status = coalesce(?6, status),
            metadata = coalesce(?7, metadata),
            updated_at = ?8
         WHERE id = ?1",
        params![
            id,
            changes.title,
            set_description,
            description,
            changes.content,
            changes.status,
            changes.metadata.as_ref().map(Value::to_string),
            time::now(),
        ],
    )?;
    if updated == 0 {
        return Err(StoreError::NotFound {
            kind: "protocol",
            id: id.to_owned(),
        });
    }
    get(conn, id)
}

/// What deleting a protocol took with it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Deleted {
    pub analyses: u64,
    pub suggestions: u64,
    pub versions: u64,
    pub exports: u64,
}

/// Delete a protocol; its analyses, suggestions, versions and exports go
/// with it (ON DELETE CASCADE). Call inside a transaction so the counts
/// reported are the rows removed.
pub fn delete(conn: &Connection, id: &str) -> Result<Deleted> {
    let count = |sql: &str| -> Result<u64> {
        let n: i64 = conn.query_row(sql, [id], |r| r.get(0))?;
        Ok(n as u64)
    };
    let deleted = Deleted {
        analyses: count("SELECT count(*) FROM analyses WHERE protocol_id = ?1")?,
        suggestions: count(
            "SELECT count(*) FROM suggestions WHERE analysis_id IN (SELECT id FROM analyses WHERE protocol_id = ?1)",
        )?,
        versions: count("SELECT count(*) FROM protocol_versions WHERE protocol_id = ?1")?,
        exports: count("SELECT count(*) FROM exports WHERE protocol_id = ?1")?,
    };
    if conn.execute("DELETE FROM protocols WHERE id = ?1", [id])? == 0 {
        return Err(StoreError::NotFound {
            kind: "protocol",
            id: id.to_owned(),
        });
    }
    Ok(deleted)
}

fn prefixed_columns(alias: &str) -> String {
    INFO_COLUMNS
        .split(", ")
        .map(|c| format!("{alias}.{c}"))
        .collect::<Vec<_>>()
        .join(", ")
}
