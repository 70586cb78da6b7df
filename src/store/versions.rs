//! The `protocol_versions` table: numbered texts of a protocol, version 1
//! being the imported text.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};

use super::error::{Result, StoreError};
use super::{ids, time};

#[derive(Clone, Debug, PartialEq)]
pub struct ProtocolVersion {
    pub id: String,
    pub protocol_id: String,
    pub version_number: i64,
    pub content: String,
    pub change_summary: Option<String>,
    pub created_by: Option<String>,
    pub created_at: String,
}

pub(crate) const COLUMNS: &str =
    "id, protocol_id, version_number, content, change_summary, created_by, created_at";

impl ProtocolVersion {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<ProtocolVersion> {
        Ok(ProtocolVersion {
            id: row.get(0)?,
            protocol_id: row.get(1)?,
            version_number: row.get(2)?,
            content: row.get(3)?,
            change_summary: row.get(4)?,
            created_by: row.get(5)?,
            created_at: row.get(6)?,
        })
    }

    /// The seed's `to_dict()`.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "protocol_id": self.protocol_id,
            "version_number": self.version_number,
            "content": self.content,
            "change_summary": self.change_summary,
            "created_by": self.created_by,
            "created_at": self.created_at,
        })
    }
}

/// Add the next version (highest number + 1). Call inside a write
/// transaction, so two writers cannot pick the same number; the unique
/// constraint on (protocol_id, version_number) backs that up.
pub fn create_next(
    conn: &Connection,
    protocol_id: &str,
    content: &str,
    change_summary: Option<&str>,
    created_by: Option<&str>,
) -> Result<ProtocolVersion> {
    let next: i64 = conn.query_row(
        "SELECT coalesce(max(version_number), 0) + 1 FROM protocol_versions WHERE protocol_id = ?1",
        [protocol_id],
        |r| r.get(0),
    )?;
    create(conn, protocol_id, next, content, change_summary, created_by)
}

/// Add a version with a given number (refused if that number exists).
pub fn create(
    conn: &Connection,
    protocol_id: &str,
    version_number: i64,
    content: &str,
    change_summary: Option<&str>,
    created_by: Option<&str>,
) -> Result<ProtocolVersion> {
    let id = ids::new_id(ids::VERSION);
    conn.execute(
        "INSERT INTO protocol_versions (id, protocol_id, version_number, content, change_summary, created_by, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![id, protocol_id, version_number, content, change_summary, created_by, time::now()],
    )
    .map_err(|e| {
        let msg = e.to_string();
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::ConstraintViolation) if msg.contains("UNIQUE") => {
                StoreError::Conflict(format!(
                    "protocol {protocol_id} already has a version {version_number}"
                ))
            }
            Some(rusqlite::ErrorCode::ConstraintViolation) if msg.contains("FOREIGN KEY") => {
                StoreError::NotFound { kind: "protocol", id: protocol_id.to_owned() }
            }
            _ => e.into(),
        }
    })?;
    get(conn, &id)
}

pub fn get(conn: &Connection, id: &str) -> Result<ProtocolVersion> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM protocol_versions WHERE id = ?1"),
        [id],
        ProtocolVersion::from_row,
    )
    .optional()?
    .ok_or_else(|| StoreError::NotFound {
        kind: "version",
        id: id.to_owned(),
    })
}

pub fn by_number(
    conn: &Connection,
    protocol_id: &str,
    version_number: i64,
) -> Result<Option<ProtocolVersion>> {
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM protocol_versions WHERE protocol_id = ?1 AND version_number = ?2"
            ),
            params![protocol_id, version_number],
            ProtocolVersion::from_row,
        )
        .optional()?)
}

/// A protocol's versions, oldest first.
pub fn list(conn: &Connection, protocol_id: &str) -> Result<Vec<ProtocolVersion>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM protocol_versions WHERE protocol_id = ?1 ORDER BY version_number"
    ))?;
    let rows = stmt.query_map([protocol_id], ProtocolVersion::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection, protocol_id: &str) -> Result<u64> {
    let n: i64 = conn.query_row(
        "SELECT count(*) FROM protocol_versions WHERE protocol_id = ?1",
        [protocol_id],
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

pub fn delete(conn: &Connection, id: &str) -> Result<()> {
    if conn.execute("DELETE FROM protocol_versions WHERE id = ?1", [id])? == 0 {
        return Err(StoreError::NotFound {
            kind: "version",
            id: id.to_owned(),
        });
    }
    Ok(())
}
