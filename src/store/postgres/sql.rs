//! What the PostgreSQL table modules share: statement errors as the
//! `StoreError`s the SQLite modules give, typed reads from rows (times
//! as the store's ISO-8601 text, vocabularies parsed, never a panic on a
//! strange value), and WHERE clauses with `$N` placeholders.

use std::str::FromStr;

use chrono::{DateTime, SubsecRound, Utc};
use postgres::Row;
use postgres::types::{FromSql, ToSql};

use crate::store::error::{Result, StoreError};
use crate::store::time;

/// SQLSTATEs the table modules tell apart.
pub const FOREIGN_KEY_VIOLATION: &str = "23503";
pub const UNIQUE_VIOLATION: &str = "23505";
pub const CHECK_VIOLATION: &str = "23514";
pub const SERIALIZATION_FAILURE: &str = "40001";
pub const DEADLOCK_DETECTED: &str = "40P01";
/// Text with a NUL character (PostgreSQL's text cannot hold one).
const CHARACTER_NOT_IN_REPERTOIRE: &str = "22021";
/// JSON with `\u0000` (jsonb cannot hold one).
const UNTRANSLATABLE_CHARACTER: &str = "22P05";

/// The SQLSTATE of a statement's error, if the server sent one.
pub fn code(error: &postgres::Error) -> Option<&str> {
    error.as_db_error().map(|db| db.code().code())
}

/// A statement's error as a `StoreError`: a serialization failure or a
/// deadlock as `Retry` (the caller runs the unit again), a value the
/// schema refuses as `Invalid`, anything else as one sentence (`Server`).
/// Constraint violations that mean a missing parent or a duplicate are
/// mapped by the callers, which know what was missing.
pub fn error(error: postgres::Error) -> StoreError {
    let Some(db) = error.as_db_error() else {
        return crate::store::postgres::migrate::sql(error);
    };
    let code = db.code().code();
    match code {
        SERIALIZATION_FAILURE | DEADLOCK_DETECTED => {
            StoreError::Retry(format!("PostgreSQL: {} ({code})", db.message()))
        }
        CHECK_VIOLATION => StoreError::Invalid(format!(
            "the database refused a value ({}): {}",
            db.constraint().unwrap_or("a check"),
            db.message()
        )),
        CHARACTER_NOT_IN_REPERTOIRE | UNTRANSLATABLE_CHARACTER => StoreError::Invalid(format!(
            "PostgreSQL cannot store text holding a NUL character ({})",
            db.message()
        )),
        _ => crate::store::postgres::migrate::sql(error),
    }
}

/// Column `idx` of a row, typed.
pub fn get<'a, T: FromSql<'a>>(row: &'a Row, idx: usize) -> Result<T> {
    row.try_get(idx).map_err(error)
}

/// A `timestamptz` column as the store's text (`time::format_time`).
pub fn time_at(row: &Row, idx: usize) -> Result<String> {
    Ok(time::format_time(get::<DateTime<Utc>>(row, idx)?))
}

pub fn time_opt(row: &Row, idx: usize) -> Result<Option<String>> {
    Ok(get::<Option<DateTime<Utc>>>(row, idx)?.map(time::format_time))
}

/// A vocabulary column (`'pending'`, `'critical'`, …): a value outside
/// the vocabulary is an error, never a silent default, as on SQLite.
pub fn vocab<T: FromStr<Err = String>>(row: &Row, idx: usize) -> Result<T> {
    let text: String = get(row, idx)?;
    text.parse().map_err(|e: String| {
        StoreError::Server(format!(
            "PostgreSQL: column {} holds a value ProtoScribe does not know: {e}",
            row.columns().get(idx).map_or("?", |c| c.name())
        ))
    })
}

/// Whether no PostgreSQL text can hold `text` (it has a NUL character):
/// looked up, it is simply not there, as SQLite would answer, instead of
/// an error from the server.
pub fn never_stored(text: &str) -> bool {
    text.contains('\0')
}

/// A count read from the server (never negative).
pub fn count(n: i64) -> u64 {
    n.max(0) as u64
}

/// Now, to the microsecond the store's text keeps, so what is written is
/// exactly what `time::now()` would have written on SQLite.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

/// A time given as the store's text, for a `timestamptz` parameter.
pub fn parse_time(text: &str, what: &str) -> Result<DateTime<Utc>> {
    time::parse(text).ok_or_else(|| {
        StoreError::Invalid(format!(
            "{what} must be an ISO-8601 time such as 2026-01-31T12:00:00.000000Z, not '{text}'"
        ))
    })
}

/// The parameters of a statement, borrowed as the client takes them.
pub type Params<'a> = Vec<&'a (dyn ToSql + Sync)>;

/// WHERE clauses from the conditions that are present, as
/// `store::filter::Where` writes them for SQLite, with PostgreSQL's `$N`
/// placeholders. Column names come from code; values are always bound.
#[derive(Default)]
pub struct Where {
    clauses: Vec<String>,
    values: Vec<String>,
}

impl Where {
    pub fn new() -> Where {
        Where::default()
    }

    /// `column = value`, when there is a value. A value no PostgreSQL
    /// text can equal (one holding NUL) matches nothing, as on SQLite,
    /// instead of failing the statement.
    pub fn eq(mut self, column: &'static str, value: Option<impl Into<String>>) -> Where {
        if let Some(value) = value {
            let value = value.into();
            if never_stored(&value) {
                self.clauses.push("false".to_owned());
            } else {
                self.values.push(value);
                self.clauses
                    .push(format!("{column} = ${}", self.values.len()));
            }
        }
        self
    }

    /// `WHERE …` (or nothing).
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The bound values, followed by `extra` (numbered after them).
    pub fn params<'a>(&'a self, extra: &[&'a (dyn ToSql + Sync)]) -> Params<'a> {
        let mut all: Params<'a> = self
            .values
            .iter()
            .map(|v| v as &(dyn ToSql + Sync))
            .collect();
        all.extend_from_slice(extra);
        all
    }

    /// The placeholder number the next extra parameter gets.
    pub fn next(&self, nth_extra: usize) -> usize {
        self.values.len() + nth_extra
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_present_conditions_are_written_with_dollar_placeholders() {
        let w = Where::new()
            .eq("a", Some("x"))
            .eq("b", None::<String>)
            .eq("c", Some("y"));
        assert_eq!(w.sql(), "WHERE a = $1 AND c = $2");
        assert_eq!(w.params(&[&5i64]).len(), 3);
        assert_eq!(w.next(1), 3);
        assert_eq!(Where::new().sql(), "");
        let nul = Where::new().eq("a", Some("x\0")).eq("b", Some("y"));
        assert_eq!(nul.sql(), "WHERE false AND b = $1");
        assert_eq!(nul.params(&[]).len(), 1);
    }

    #[test]
    fn now_keeps_microseconds_as_the_text_does() {
        let t = now();
        assert_eq!(time::parse(&time::format_time(t)), Some(t));
    }
}
