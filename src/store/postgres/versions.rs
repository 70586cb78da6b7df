//! The `protocol_versions` table on PostgreSQL: the twin of
//! `store::versions`, numbered texts of a protocol.

use postgres::{GenericClient, Row};

use super::sql;
use crate::store::error::{Result, StoreError};
use crate::store::ids;
use crate::store::versions::{COLUMNS, ProtocolVersion};

fn from_row(row: &Row) -> Result<ProtocolVersion> {
    Ok(ProtocolVersion {
        id: sql::get(row, 0)?,
        protocol_id: sql::get(row, 1)?,
        version_number: sql::get(row, 2)?,
        content: sql::get(row, 3)?,
        change_summary: sql::get(row, 4)?,
        created_by: sql::get(row, 5)?,
        created_at: sql::time_at(row, 6)?,
    })
}

/// Add the next version (highest number + 1). Call inside a transaction:
/// the protocol's row is locked first, so two writers on two machines
/// take turns instead of picking the same number (SQLite's write lock
/// does that there); the unique constraint on (protocol_id,
/// version_number) backs it up.
pub fn create_next(
    client: &mut impl GenericClient,
    protocol_id: &str,
    content: &str,
    change_summary: Option<&str>,
    created_by: Option<&str>,
) -> Result<ProtocolVersion> {
    client
        .query_opt(
            "SELECT 1 FROM protocols WHERE id = $1 FOR UPDATE",
            &[&protocol_id],
        )
        .map_err(sql::error)?;
    let row = client
        .query_one(
            "SELECT coalesce(max(version_number), 0) + 1 FROM protocol_versions WHERE protocol_id = $1",
            &[&protocol_id],
        )
        .map_err(sql::error)?;
    let next: i64 = sql::get(&row, 0)?;
    create(
        client,
        protocol_id,
        next,
        content,
        change_summary,
        created_by,
    )
}

/// Add a version with a given number (refused if that number exists).
pub fn create(
    client: &mut impl GenericClient,
    protocol_id: &str,
    version_number: i64,
    content: &str,
    change_summary: Option<&str>,
    created_by: Option<&str>,
) -> Result<ProtocolVersion> {
    let id = ids::new_id(ids::VERSION);
    client
        .execute(
            "INSERT INTO protocol_versions (id, protocol_id, version_number, content, change_summary, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &id,
                &protocol_id,
                &version_number,
                &content,
                &change_summary,
                &created_by,
                &sql::now(),
            ],
        )
        .map_err(|e| match sql::code(&e) {
            Some(sql::UNIQUE_VIOLATION) => StoreError::Conflict(format!(
                "protocol {protocol_id} already has a version {version_number}"
            )),
            Some(sql::FOREIGN_KEY_VIOLATION) => StoreError::NotFound {
                kind: "protocol",
                id: protocol_id.to_owned(),
            },
            _ => sql::error(e),
        })?;
    get(client, &id)
}

pub fn get(client: &mut impl GenericClient, id: &str) -> Result<ProtocolVersion> {
    if sql::never_stored(id) {
        return Err(StoreError::NotFound {
            kind: "version",
            id: id.to_owned(),
        });
    }
    client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM protocol_versions WHERE id = $1"),
            &[&id],
        )
        .map_err(sql::error)?
        .as_ref()
        .map(from_row)
        .transpose()?
        .ok_or_else(|| StoreError::NotFound {
            kind: "version",
            id: id.to_owned(),
        })
}

pub fn by_number(
    client: &mut impl GenericClient,
    protocol_id: &str,
    version_number: i64,
) -> Result<Option<ProtocolVersion>> {
    client
        .query_opt(
            &format!(
                "SELECT {COLUMNS} FROM protocol_versions WHERE protocol_id = $1 AND version_number = $2"
            ),
            &[&protocol_id, &version_number],
        )
        .map_err(sql::error)?
        .as_ref()
        .map(from_row)
        .transpose()
}

/// A protocol's versions, oldest first.
pub fn list(client: &mut impl GenericClient, protocol_id: &str) -> Result<Vec<ProtocolVersion>> {
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM protocol_versions WHERE protocol_id = $1 ORDER BY version_number"
            ),
            &[&protocol_id],
        )
        .map_err(sql::error)?;
    rows.iter().map(from_row).collect()
}

pub fn count(client: &mut impl GenericClient, protocol_id: &str) -> Result<u64> {
    let row = client
        .query_one(
            "SELECT count(*) FROM protocol_versions WHERE protocol_id = $1",
            &[&protocol_id],
        )
        .map_err(sql::error)?;
    Ok(sql::count(sql::get(&row, 0)?))
}

pub fn delete(client: &mut impl GenericClient, id: &str) -> Result<()> {
    if client
        .execute("DELETE FROM protocol_versions WHERE id = $1", &[&id])
        .map_err(sql::error)?
        == 0
    {
        return Err(StoreError::NotFound {
            kind: "version",
            id: id.to_owned(),
        });
    }
    Ok(())
}
