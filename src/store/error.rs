//! Store errors: what went wrong with the database, phrased so the command
//! line can print one sentence that says what to do next.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("no {kind} with id '{id}': {}", where_ids_are(kind))]
    NotFound { kind: &'static str, id: String },

    #[error(
        "{path} was written by a newer ProtoScribe (schema version {found}, this one knows up to {known}): upgrade ProtoScribe, or pass --db with another file"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error(
        "{path} is not a ProtoScribe database (the file is not SQLite, is corrupt, or belongs to another program): pass --db with the right file, or restore a backup"
    )]
    NotADatabase { path: PathBuf },

    #[error("{path} is corrupt ({detail}): restore it from a backup")]
    Corrupt { path: PathBuf, detail: String },

    #[error(
        "{path} is read-only: make the file and its folder writable, or pass --db with a writable file"
    )]
    ReadOnly { path: PathBuf },

    #[error("cannot create the database at {path}: {source}")]
    Create {
        path: PathBuf,
        source: std::io::Error,
    },

    #[error(
        "the database is busy: another ProtoScribe kept it locked for too long; try again in a moment"
    )]
    Busy,

    #[error("{0}")]
    Conflict(String),

    /// A decision on a suggestion a later analysis took the place of.
    #[error(
        "suggestion {id} was carried over to {current} when its protocol was analysed again: decide on {current}"
    )]
    Superseded { id: String, current: String },

    /// A decision from a screen that saw an older revision.
    #[error(
        "suggestion {id} was changed elsewhere (now {status}, revision {revision}): look at it again before deciding"
    )]
    Changed {
        id: String,
        status: crate::vocab::SuggestionStatus,
        revision: i64,
    },

    #[error("{0}")]
    Invalid(String),

    /// A PostgreSQL server's answer, already one sentence that says what
    /// to do (see `postgres::connect`), never with a password in it.
    #[error("{0}")]
    Server(String),

    /// The PostgreSQL server stopped answering after the store was opened
    /// (stopped, restarted, the network dropped): nothing was written,
    /// and the same unit of work may be run again once it answers.
    #[error("{0}")]
    Unreachable(String),

    /// PostgreSQL gave up a transaction because another one changed the
    /// same rows at the same moment (serialization failure 40001, deadlock
    /// 40P01): nothing was written, and running the whole unit again is
    /// expected to succeed.
    #[error("{0}: another writer changed the same rows at the same moment; try again")]
    Retry(String),

    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),

    #[error("cannot open a database connection: {0}")]
    Pool(#[from] r2d2::Error),

    #[error("invalid JSON stored in the database: {0}")]
    Json(#[from] serde_json::Error),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The command that lists the ids of a kind of record.
fn where_ids_are(kind: &str) -> &'static str {
    match kind {
        "suggestion" => "run 'protoscribe suggestions PROTOCOL_ID' to see its ids",
        "analysis" => "run 'protoscribe show PROTOCOL_ID' to see its latest analysis",
        "version" => "run 'protoscribe versions PROTOCOL_ID --json' to see their ids",
        "export" => "run 'protoscribe exports' to see the ids",
        _ => "run 'protoscribe list' to see the ids",
    }
}

impl StoreError {
    /// Turn a raw SQLite error into the sentence a user can act on, now that
    /// we know which file it concerns.
    pub fn for_path(self, path: &std::path::Path) -> StoreError {
        use rusqlite::ErrorCode;
        let StoreError::Sqlite(err) = self else {
            return self;
        };
        let code = err.sqlite_error_code();
        match code {
            Some(ErrorCode::NotADatabase) => StoreError::NotADatabase {
                path: path.to_owned(),
            },
            Some(ErrorCode::DatabaseCorrupt) => StoreError::Corrupt {
                path: path.to_owned(),
                detail: err.to_string(),
            },
            Some(ErrorCode::ReadOnly) | Some(ErrorCode::CannotOpen) if is_read_only(path) => {
                StoreError::ReadOnly {
                    path: path.to_owned(),
                }
            }
            Some(ErrorCode::ReadOnly) => StoreError::ReadOnly {
                path: path.to_owned(),
            },
            Some(ErrorCode::DatabaseBusy) | Some(ErrorCode::DatabaseLocked) => StoreError::Busy,
            _ => StoreError::Sqlite(err),
        }
    }
}

fn is_read_only(path: &std::path::Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.permissions().readonly())
        .unwrap_or(false)
}
