//! The vocabularies of `crate::vocab` as SQLite columns: each is stored as
//! its text (`'pending'`, `'critical'`, …) and read back by parsing it, so
//! a value outside the vocabulary is an error, never a silent default.

use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

use crate::vocab::{
    AnalysisStatus, ExportFormat, ExportStatus, Priority, ProtocolStatus, SuggestionStatus,
    SuggestionType,
};

macro_rules! text_columns {
    ($($name:ident),+ $(,)?) => {$(
        impl ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }

        impl FromSql for $name {
            fn column_result(value: ValueRef<'_>) -> FromSqlResult<Self> {
                value.as_str()?.parse().map_err(|e: String| FromSqlError::Other(e.into()))
            }
        }
    )+};
}

text_columns!(
    ProtocolStatus,
    AnalysisStatus,
    SuggestionType,
    Priority,
    SuggestionStatus,
    ExportFormat,
    ExportStatus,
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabularies_round_trip_as_text_and_refuse_strangers() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let back: SuggestionStatus = conn
            .query_row("SELECT ?1", [SuggestionStatus::Modified], |r| r.get(0))
            .unwrap();
        assert_eq!(back, SuggestionStatus::Modified);
        let text: String = conn
            .query_row("SELECT ?1", [Priority::High], |r| r.get(0))
            .unwrap();
        assert_eq!(text, "high");
        let stranger = conn.query_row("SELECT 'done'", [], |r| r.get::<_, ProtocolStatus>(0));
        assert!(stranger.is_err());
    }
}
