//! The `provider_cache` table on PostgreSQL: the twin of
//! `store::provider_cache`.

use postgres::GenericClient;

use super::sql;
use crate::store::error::Result;
use crate::store::provider_cache::{Entry, Key};

pub fn get(client: &mut impl GenericClient, key: &Key<'_>) -> Result<Option<Entry>> {
    let row = client
        .query_opt(
            "SELECT answer, input_tokens, output_tokens FROM provider_cache
             WHERE request_sha256 = $1 AND provider = $2 AND model = $3 AND prompt_version = $4",
            &[
                &key.request_sha256,
                &key.provider,
                &key.model,
                &key.prompt_version,
            ],
        )
        .map_err(sql::error)?;
    row.map(|r| {
        Ok(Entry {
            answer: sql::get(&r, 0)?,
            input_tokens: sql::count(sql::get(&r, 1)?),
            output_tokens: sql::count(sql::get(&r, 2)?),
        })
    })
    .transpose()
}

pub fn put(client: &mut impl GenericClient, key: &Key<'_>, entry: &Entry) -> Result<()> {
    client
        .execute(
            "INSERT INTO provider_cache
             (request_sha256, provider, model, prompt_version, answer, input_tokens, output_tokens, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (request_sha256, provider, model, prompt_version) DO UPDATE
             SET answer = excluded.answer, input_tokens = excluded.input_tokens,
                 output_tokens = excluded.output_tokens, created_at = excluded.created_at",
            &[
                &key.request_sha256,
                &key.provider,
                &key.model,
                &key.prompt_version,
                &entry.answer,
                &(entry.input_tokens.min(i64::MAX as u64) as i64),
                &(entry.output_tokens.min(i64::MAX as u64) as i64),
                &sql::now(),
            ],
        )
        .map_err(sql::error)?;
    Ok(())
}

pub fn count(client: &mut impl GenericClient) -> Result<u64> {
    let n: i64 = client
        .query_one("SELECT count(*) FROM provider_cache", &[])
        .map_err(sql::error)?
        .get(0);
    Ok(sql::count(n))
}
