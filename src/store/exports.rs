//! The `exports` table: reports written for a protocol, with their
//! lifecycle pending → processing → completed | failed, and expiry.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde_json::{Value, json};

use super::error::{Result, StoreError};
use super::filter::Where;
use super::{ExportFormat, ExportStatus, Page, ids, time};

#[derive(Clone, Debug, PartialEq)]
pub struct Export {
    pub id: String,
    pub protocol_id: String,
    pub format: ExportFormat,
    pub file_path: Option<String>,
    pub export_options: Option<Value>,
    pub status: ExportStatus,
    pub error_message: Option<String>,
    pub file_size: Option<i64>,
    pub created_at: String,
    pub completed_at: Option<String>,
    pub expires_at: Option<String>,
    /// The sha256 of the file a completed export wrote: cleanup removes the
    /// file only while it still holds exactly this.
    pub file_sha256: Option<String>,
}

#[derive(Clone, Debug)]
pub struct NewExport {
    pub protocol_id: String,
    pub format: ExportFormat,
    pub file_path: Option<String>,
    pub export_options: Option<Value>,
    pub expires_at: Option<String>,
}

pub(crate) const COLUMNS: &str = "id, protocol_id, format, file_path, export_options, status, error_message, file_size, created_at, completed_at, expires_at, file_sha256";

impl Export {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Export> {
        let options: Option<String> = row.get(4)?;
        Ok(Export {
            id: row.get(0)?,
            protocol_id: row.get(1)?,
            format: row.get(2)?,
            file_path: row.get(3)?,
            export_options: options.and_then(|o| serde_json::from_str(&o).ok()),
            status: row.get(5)?,
            error_message: row.get(6)?,
            file_size: row.get(7)?,
            created_at: row.get(8)?,
            completed_at: row.get(9)?,
            expires_at: row.get(10)?,
            file_sha256: row.get(11)?,
        })
    }

    pub fn is_expired(&self) -> bool {
        self.expires_at
            .as_deref()
            .and_then(time::parse)
            .is_some_and(|t| chrono::Utc::now() > t)
    }

    /// The seed's `to_dict()`.
    pub fn to_json(&self) -> Value {
        json!({
            "id": self.id,
            "protocol_id": self.protocol_id,
            "format": self.format,
            "export_options": self.export_options,
            "status": self.status,
            "error_message": self.error_message,
            "file_size": self.file_size,
            "created_at": self.created_at,
            "completed_at": self.completed_at,
            "expires_at": self.expires_at,
            "is_expired": self.is_expired(),
        })
    }
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "export",
        id: id.to_owned(),
    }
}

pub fn create(conn: &Connection, new: &NewExport) -> Result<Export> {
    let id = ids::new_id(ids::EXPORT);
    conn.execute(
        "INSERT INTO exports (id, protocol_id, format, file_path, export_options, status, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, 'pending', ?6, ?7)",
        params![
            id,
            new.protocol_id,
            new.format,
            new.file_path,
            new.export_options.as_ref().map(Value::to_string),
            time::now(),
            new.expires_at,
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

pub fn get(conn: &Connection, id: &str) -> Result<Export> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM exports WHERE id = ?1"),
        [id],
        Export::from_row,
    )
    .optional()?
    .ok_or_else(|| not_found(id))
}

/// Move an export along its lifecycle. Completion records the size and
/// time; failure records the reason.
pub fn set_status(
    conn: &Connection,
    id: &str,
    status: ExportStatus,
    file_size: Option<i64>,
    error_message: Option<&str>,
) -> Result<Export> {
    let done = matches!(status, ExportStatus::Completed | ExportStatus::Failed);
    let updated = conn.execute(
        "UPDATE exports SET status = ?2,
            file_size = coalesce(?3, file_size),
            error_message = ?4,
            completed_at = CASE WHEN ?5 THEN ?6 ELSE completed_at END
         WHERE id = ?1",
        params![id, status, file_size, error_message, done, time::now()],
    )?;
    if updated == 0 {
        return Err(not_found(id));
    }
    get(conn, id)
}

/// A report written: where it is (absolute), its size and its sha256.
pub fn complete(
    conn: &Connection,
    id: &str,
    path: &str,
    size: u64,
    sha256: &str,
) -> Result<Export> {
    let updated = conn.execute(
        "UPDATE exports SET status = 'completed', file_path = ?2, file_size = ?3,
            file_sha256 = ?4, error_message = NULL, completed_at = ?5
         WHERE id = ?1",
        params![id, path, size as i64, sha256, time::now()],
    )?;
    if updated == 0 {
        return Err(not_found(id));
    }
    get(conn, id)
}

/// Exports, newest first, of one protocol or of all.
pub fn list(conn: &Connection, protocol_id: Option<&str>, page: Page) -> Result<Vec<Export>> {
    let w = Where::new().eq("protocol_id", protocol_id);
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM exports {} ORDER BY created_at DESC LIMIT ?{} OFFSET ?{}",
        w.sql(),
        w.next(1),
        w.next(2)
    ))?;
    let (limit, offset) = page.sql();
    let params = w.params(&[limit, offset]);
    let rows = stmt.query_map(rusqlite::params_from_iter(params), Export::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn count(conn: &Connection, protocol_id: Option<&str>) -> Result<u64> {
    let w = Where::new().eq("protocol_id", protocol_id);
    let n: i64 = conn.query_row(
        &format!("SELECT count(*) FROM exports {}", w.sql()),
        rusqlite::params_from_iter(w.params(&[])),
        |r| r.get(0),
    )?;
    Ok(n as u64)
}

/// Exports whose expiry time has passed but that are not yet marked expired.
pub fn due_for_expiry(conn: &Connection, now: &str) -> Result<Vec<Export>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM exports WHERE expires_at IS NOT NULL AND expires_at < ?1
           AND status <> 'expired' ORDER BY expires_at"
    ))?;
    let rows = stmt.query_map([now], Export::from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn delete(conn: &Connection, id: &str) -> Result<()> {
    if conn.execute("DELETE FROM exports WHERE id = ?1", [id])? == 0 {
        return Err(not_found(id));
    }
    Ok(())
}
