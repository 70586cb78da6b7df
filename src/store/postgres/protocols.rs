//! The `protocols` table on PostgreSQL: the twin of `store::protocols`,
//! with the same functions, rows, errors, order and paging.

use postgres::types::ToSql;
use postgres::{GenericClient, Row};

use super::search::Query;
use super::sql::{self, Where};
use crate::store::error::{Result, StoreError};
use crate::store::protocols::{
    Deleted, INFO_COLUMNS, NewProtocol, Protocol, ProtocolFilter, ProtocolInfo, ProtocolUpdate,
    check_title,
};
use crate::store::{Page, ProtocolStatus, ids};

fn info_from_row(row: &Row) -> Result<ProtocolInfo> {
    Ok(ProtocolInfo {
        id: sql::get(row, 0)?,
        title: sql::get(row, 1)?,
        status: sql::vocab(row, 2)?,
        file_path: sql::get(row, 3)?,
        file_size: sql::get(row, 4)?,
        created_at: sql::time_at(row, 5)?,
        updated_at: sql::time_opt(row, 6)?,
        description: sql::get(row, 7)?,
        metadata: sql::get(row, 8)?,
    })
}

fn from_row(row: &Row) -> Result<Protocol> {
    Ok(Protocol {
        info: info_from_row(row)?,
        content: sql::get(row, 9)?,
    })
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "protocol",
        id: id.to_owned(),
    }
}

pub fn create(client: &mut impl GenericClient, new: &NewProtocol) -> Result<Protocol> {
    check_title(&new.title)?;
    let id = ids::new_id(ids::PROTOCOL);
    let status = new.status.unwrap_or(ProtocolStatus::Processing).as_str();
    client
        .execute(
            "INSERT INTO protocols (id, title, description, content, status, file_path, file_size, metadata, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            &[
                &id,
                &new.title,
                &new.description,
                &new.content,
                &status,
                &new.file_path,
                &new.file_size,
                &new.metadata,
                &sql::now(),
            ],
        )
        .map_err(sql::error)?;
    get(client, &id)
}

pub fn find(client: &mut impl GenericClient, id: &str) -> Result<Option<Protocol>> {
    if sql::never_stored(id) {
        return Ok(None);
    }
    client
        .query_opt(
            &format!("SELECT {INFO_COLUMNS}, content FROM protocols WHERE id = $1"),
            &[&id],
        )
        .map_err(sql::error)?
        .as_ref()
        .map(from_row)
        .transpose()
}

pub fn get(client: &mut impl GenericClient, id: &str) -> Result<Protocol> {
    find(client, id)?.ok_or_else(|| not_found(id))
}

/// A protocol imported earlier from the same bytes, if any (failed
/// imports do not count: the file may be imported again).
pub fn find_by_sha256(
    client: &mut impl GenericClient,
    sha256: &str,
) -> Result<Option<ProtocolInfo>> {
    if sql::never_stored(sha256) {
        return Ok(None);
    }
    client
        .query_opt(
            &format!(
                "SELECT {INFO_COLUMNS} FROM protocols WHERE metadata ->> 'sha256' = $1
                   AND status <> 'error'
                 ORDER BY created_at LIMIT 1"
            ),
            &[&sha256],
        )
        .map_err(sql::error)?
        .as_ref()
        .map(info_from_row)
        .transpose()
}

/// Protocols, newest first, or best match first when searching.
pub fn list(
    client: &mut impl GenericClient,
    filter: &ProtocolFilter,
    page: Page,
) -> Result<Vec<ProtocolInfo>> {
    let status = filter.status.map(|s| s.as_str());
    let (limit, offset) = page.sql();
    let rows = match searched(filter) {
        Some(query) => {
            let Some(search) = search_where(client, status, &query)? else {
                return Ok(Vec::new());
            };
            let n = search.params.len();
            let mut params = search.params();
            params.push(&limit);
            params.push(&offset);
            let sql = format!(
                "SELECT {} FROM protocols p {} ORDER BY {} LIMIT ${} OFFSET ${}",
                prefixed_columns("p"),
                search.where_sql,
                search.order,
                n + 1,
                n + 2
            );
            client.query(&sql, &params).map_err(sql::error)?
        }
        None => {
            let w = Where::new().eq("status", status);
            let sql = format!(
                "SELECT {INFO_COLUMNS} FROM protocols {} ORDER BY created_at DESC LIMIT ${} OFFSET ${}",
                w.sql(),
                w.next(1),
                w.next(2)
            );
            client
                .query(&sql, &w.params(&[&limit, &offset]))
                .map_err(sql::error)?
        }
    };
    rows.iter().map(info_from_row).collect()
}

/// Where a protocol stands in the unfiltered list (newest first), so a
/// screen can put its cursor back on it after a search is cleared.
pub fn position_newest_first(client: &mut impl GenericClient, id: &str) -> Result<Option<u64>> {
    let row = client
        .query_opt(
            "SELECT (SELECT count(*) FROM protocols o WHERE o.created_at > p.created_at)
             FROM protocols p WHERE p.id = $1",
            &[&id],
        )
        .map_err(sql::error)?;
    Ok(match row {
        Some(row) => Some(sql::count(sql::get(&row, 0)?)),
        None => None,
    })
}

/// How many protocols a filter matches.
pub fn count(client: &mut impl GenericClient, filter: &ProtocolFilter) -> Result<u64> {
    let status = filter.status.map(|s| s.as_str());
    let w = Where::new().eq("p.status", status);
    let row = match searched(filter) {
        Some(query) => {
            let Some(search) = search_where(client, status, &query)? else {
                return Ok(0);
            };
            client
                .query_one(
                    &format!("SELECT count(*) FROM protocols p {}", search.where_sql),
                    &search.params(),
                )
                .map_err(sql::error)?
        }
        None => client
            .query_one(
                &format!("SELECT count(*) FROM protocols p {}", w.sql()),
                &w.params(&[]),
            )
            .map_err(sql::error)?,
    };
    Ok(sql::count(sql::get(&row, 0)?))
}

/// The joins, WHERE and ORDER BY of a search over protocols `p`.
struct Search {
    /// What follows `FROM protocols p`.
    where_sql: String,
    params: Vec<Box<dyn ToSql + Sync>>,
    order: String,
}

impl Search {
    fn params(&self) -> sql::Params<'_> {
        self.params.iter().map(|b| b.as_ref()).collect()
    }
}

/// A search's conditions, status first (`$1` when given); `None` when
/// nothing can match.
fn search_where(
    client: &mut impl GenericClient,
    status: Option<&str>,
    query: &Query,
) -> Result<Option<Search>> {
    let prepared = query.prepare(client)?;
    if prepared.impossible() {
        return Ok(None);
    }
    let mut clauses = Vec::new();
    let mut params: Vec<Box<dyn ToSql + Sync>> = Vec::new();
    if let Some(status) = status {
        params.push(Box::new(status.to_owned()));
        clauses.push("p.status = $1".to_owned());
    }
    let found = prepared.conditions(params.len() + 1);
    clauses.extend(found.clauses);
    params.extend(found.params);
    let where_sql = if clauses.is_empty() {
        found.join
    } else {
        format!("{} WHERE {}", found.join, clauses.join(" AND "))
    };
    Ok(Some(Search {
        where_sql,
        params,
        order: found.order,
    }))
}

fn searched(filter: &ProtocolFilter) -> Option<Query> {
    let query = Query::parse(filter.search.as_deref()?);
    (!query.is_empty()).then_some(query)
}

/// The seed's `get_by_status`: newest first.
pub fn by_status(
    client: &mut impl GenericClient,
    status: ProtocolStatus,
    limit: u64,
) -> Result<Vec<ProtocolInfo>> {
    let filter = ProtocolFilter {
        status: Some(status),
        search: None,
    };
    list(client, &filter, Page::first(limit))
}

pub fn update(
    client: &mut impl GenericClient,
    id: &str,
    changes: &ProtocolUpdate,
) -> Result<Protocol> {
    if let Some(title) = &changes.title {
        check_title(title)?;
    }
    let (set_description, description) = match &changes.description {
        Some(d) => (true, d.clone()),
        None => (false, None),
    };
    let status = changes.status.map(|s| s.as_str());
    let updated = client
        .execute(
            "UPDATE protocols SET
                title = coalesce($2, title),
                description = CASE WHEN $3 THEN $4 ELSE description END,
                content = coalesce($5, content),
                status = coalesce($6, status),
                metadata = coalesce($7, metadata),
                updated_at = $8
             WHERE id = $1",
            &[
                &id,
                &changes.title,
                &set_description,
                &description,
                &changes.content,
                &status,
                &changes.metadata,
                &sql::now(),
            ],
        )
        .map_err(sql::error)?;
    if updated == 0 {
        return Err(not_found(id));
    }
    get(client, id)
}

/// Delete a protocol; its analyses, suggestions, versions and exports go
/// with it (ON DELETE CASCADE). Call inside a transaction so the counts
/// reported are the rows removed.
///
/// The protocol's row is locked first: a row added under it by another
/// machine meanwhile waits for the delete (and then finds no protocol), so
/// the counts are exact, as under SQLite's write lock.
pub fn delete(client: &mut impl GenericClient, id: &str) -> Result<Deleted> {
    client
        .query_opt("SELECT 1 FROM protocols WHERE id = $1 FOR UPDATE", &[&id])
        .map_err(sql::error)?;
    let mut count = |statement: &str| -> Result<u64> {
        let row = client.query_one(statement, &[&id]).map_err(sql::error)?;
        Ok(sql::count(sql::get(&row, 0)?))
    };
    let deleted = Deleted {
        analyses: count("SELECT count(*) FROM analyses WHERE protocol_id = $1")?,
        suggestions: count(
            "SELECT count(*) FROM suggestions WHERE analysis_id IN (SELECT id FROM analyses WHERE protocol_id = $1)",
        )?,
        versions: count("SELECT count(*) FROM protocol_versions WHERE protocol_id = $1")?,
        exports: count("SELECT count(*) FROM exports WHERE protocol_id = $1")?,
    };
    if client
        .execute("DELETE FROM protocols WHERE id = $1", &[&id])
        .map_err(sql::error)?
        == 0
    {
        return Err(not_found(id));
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
