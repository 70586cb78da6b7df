//! The `exports` table on PostgreSQL: the twin of `store::exports`, with
//! the same lifecycle pending → processing → completed | failed, and
//! expiry. Times given as text are parsed here (an unreadable one is
//! `Invalid`, where SQLite would have stored it as it came).

use postgres::{GenericClient, Row};

use super::sql::{self, Where};
use crate::store::error::{Result, StoreError};
use crate::store::exports::{COLUMNS, Export, NewExport};
use crate::store::{ExportStatus, Page, ids};

fn from_row(row: &Row) -> Result<Export> {
    Ok(Export {
        id: sql::get(row, 0)?,
        protocol_id: sql::get(row, 1)?,
        format: sql::vocab(row, 2)?,
        file_path: sql::get(row, 3)?,
        export_options: sql::get(row, 4)?,
        status: sql::vocab(row, 5)?,
        error_message: sql::get(row, 6)?,
        file_size: sql::get(row, 7)?,
        created_at: sql::time_at(row, 8)?,
        completed_at: sql::time_opt(row, 9)?,
        expires_at: sql::time_opt(row, 10)?,
        file_sha256: sql::get(row, 11)?,
    })
}

fn not_found(id: &str) -> StoreError {
    StoreError::NotFound {
        kind: "export",
        id: id.to_owned(),
    }
}

pub fn create(client: &mut impl GenericClient, new: &NewExport) -> Result<Export> {
    let id = ids::new_id(ids::EXPORT);
    let expires_at = new
        .expires_at
        .as_deref()
        .map(|t| sql::parse_time(t, "an export's expiry"))
        .transpose()?;
    client
        .execute(
            "INSERT INTO exports (id, protocol_id, format, file_path, export_options, status, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7)",
            &[
                &id,
                &new.protocol_id,
                &new.format.as_str(),
                &new.file_path,
                &new.export_options,
                &sql::now(),
                &expires_at,
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

pub fn get(client: &mut impl GenericClient, id: &str) -> Result<Export> {
    if sql::never_stored(id) {
        return Err(not_found(id));
    }
    client
        .query_opt(
            &format!("SELECT {COLUMNS} FROM exports WHERE id = $1"),
            &[&id],
        )
        .map_err(sql::error)?
        .as_ref()
        .map(from_row)
        .transpose()?
        .ok_or_else(|| not_found(id))
}

/// Move an export along its lifecycle. Completion records the size and
/// time; failure records the reason.
pub fn set_status(
    client: &mut impl GenericClient,
    id: &str,
    status: ExportStatus,
    file_size: Option<i64>,
    error_message: Option<&str>,
) -> Result<Export> {
    let done = matches!(status, ExportStatus::Completed | ExportStatus::Failed);
    let updated = client
        .execute(
            "UPDATE exports SET status = $2,
                file_size = coalesce($3::bigint, file_size),
                error_message = $4,
                completed_at = CASE WHEN $5::boolean THEN $6::timestamptz ELSE completed_at END
             WHERE id = $1",
            &[
                &id,
                &status.as_str(),
                &file_size,
                &error_message,
                &done,
                &sql::now(),
            ],
        )
        .map_err(sql::error)?;
    if updated == 0 {
        return Err(not_found(id));
    }
    get(client, id)
}

/// A report written: where it is (absolute), its size and its sha256.
pub fn complete(
    client: &mut impl GenericClient,
    id: &str,
    path: &str,
    size: u64,
    sha256: &str,
) -> Result<Export> {
    let size = i64::try_from(size)
        .map_err(|_| StoreError::Invalid(format!("a report of {size} bytes is too large")))?;
    let updated = client
        .execute(
            "UPDATE exports SET status = 'completed', file_path = $2, file_size = $3,
                file_sha256 = $4, error_message = NULL, completed_at = $5
             WHERE id = $1",
            &[&id, &path, &size, &sha256, &sql::now()],
        )
        .map_err(sql::error)?;
    if updated == 0 {
        return Err(not_found(id));
    }
    get(client, id)
}

/// Exports, newest first, of one protocol or of all.
pub fn list(
    client: &mut impl GenericClient,
    protocol_id: Option<&str>,
    page: Page,
) -> Result<Vec<Export>> {
    let w = Where::new().eq("protocol_id", protocol_id);
    let (limit, offset) = page.sql();
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM exports {} ORDER BY created_at DESC LIMIT ${} OFFSET ${}",
                w.sql(),
                w.next(1),
                w.next(2)
            ),
            &w.params(&[&limit, &offset]),
        )
        .map_err(sql::error)?;
    rows.iter().map(from_row).collect()
}

pub fn count(client: &mut impl GenericClient, protocol_id: Option<&str>) -> Result<u64> {
    let w = Where::new().eq("protocol_id", protocol_id);
    let row = client
        .query_one(
            &format!("SELECT count(*) FROM exports {}", w.sql()),
            &w.params(&[]),
        )
        .map_err(sql::error)?;
    Ok(sql::count(sql::get(&row, 0)?))
}

/// Exports whose expiry time has passed but that are not yet marked expired.
pub fn due_for_expiry(client: &mut impl GenericClient, now: &str) -> Result<Vec<Export>> {
    let now = sql::parse_time(now, "the time to expire exports at")?;
    let rows = client
        .query(
            &format!(
                "SELECT {COLUMNS} FROM exports WHERE expires_at IS NOT NULL AND expires_at < $1
                   AND status <> 'expired' ORDER BY expires_at"
            ),
            &[&now],
        )
        .map_err(sql::error)?;
    rows.iter().map(from_row).collect()
}

pub fn delete(client: &mut impl GenericClient, id: &str) -> Result<()> {
    if client
        .execute("DELETE FROM exports WHERE id = $1", &[&id])
        .map_err(sql::error)?
        == 0
    {
        return Err(not_found(id));
    }
    Ok(())
}
