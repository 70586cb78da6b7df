//! The `provider_cache` table: a model's answer to one batch request,
//! keyed by the request's sha256, the provider, the model and the prompt
//! version.

use rusqlite::{Connection, OptionalExtension, params};

use super::error::Result;
use super::time;

#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub answer: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

pub struct Key<'a> {
    pub request_sha256: &'a str,
    pub provider: &'a str,
    pub model: &'a str,
    pub prompt_version: &'a str,
}

pub fn get(conn: &Connection, key: &Key<'_>) -> Result<Option<Entry>> {
    Ok(conn
        .query_row(
            "SELECT answer, input_tokens, output_tokens FROM provider_cache
             WHERE request_sha256 = ?1 AND provider = ?2 AND model = ?3 AND prompt_version = ?4",
            params![
                key.request_sha256,
                key.provider,
                key.model,
                key.prompt_version
            ],
            |r| {
                Ok(Entry {
                    answer: r.get(0)?,
                    input_tokens: r.get::<_, i64>(1)?.max(0) as u64,
                    output_tokens: r.get::<_, i64>(2)?.max(0) as u64,
                })
            },
        )
        .optional()?)
}

pub fn put(conn: &Connection, key: &Key<'_>, entry: &Entry) -> Result<()> {
    conn.execute(
        "INSERT OR REPLACE INTO provider_cache
         (request_sha256, provider, model, prompt_version, answer, input_tokens, output_tokens, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            key.request_sha256,
            key.provider,
            key.model,
            key.prompt_version,
            entry.answer,
            entry.input_tokens.min(i64::MAX as u64) as i64,
            entry.output_tokens.min(i64::MAX as u64) as i64,
            time::now()
        ],
    )?;
    Ok(())
}

pub fn count(conn: &Connection) -> Result<u64> {
    let n: i64 = conn.query_row("SELECT count(*) FROM provider_cache", [], |r| r.get(0))?;
    Ok(n.max(0) as u64)
}
