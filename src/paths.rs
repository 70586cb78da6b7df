//! Where the database lives: `--db`, else `PROTOSCRIBE_DB`, else the seed's
//! `DATABASE_URL`, else the platform's data directory.
//!
//! `DATABASE_URL` follows SQLAlchemy's rule, as the seed did: three slashes
//! then a relative path (`sqlite:///protocols.db`), four for an absolute
//! one (`sqlite:////srv/protocols.db`). A `postgres://` or `postgresql://`
//! URL (there or in `--db`/`PROTOSCRIBE_DB`) names a PostgreSQL store and
//! is passed on whole, for `Store::open` to recognise. Anything else is
//! refused rather than half-understood, and the URL is quoted with its
//! password masked.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PathError {
    #[error(
        "DATABASE_URL is '{0}', which is not an SQLite file URL (sqlite:///relative/path or sqlite:////absolute/path) nor a PostgreSQL one (postgres://USER@HOST/DATABASE): set PROTOSCRIBE_DB or pass --db"
    )]
    NotSqliteUrl(String),
    #[error(
        "DATABASE_URL '{0}' has options after '?', which ProtoScribe does not apply: remove them (a store you may only read is opened read-only by itself)"
    )]
    UrlOptions(String),
    #[error(
        "no data directory is known for this user (HOME is not set): pass --db PATH or set PROTOSCRIBE_DB"
    )]
    NoDataDir,
}

/// The environment variables consulted, in order after `--db`.
pub struct Env {
    pub protoscribe_db: Option<String>,
    pub database_url: Option<String>,
}

impl Env {
    pub fn from_process() -> Env {
        let var = |name| std::env::var(name).ok().filter(|v: &String| !v.is_empty());
        Env {
            protoscribe_db: var("PROTOSCRIBE_DB"),
            database_url: var("DATABASE_URL"),
        }
    }
}

pub fn resolve_db(flag: Option<PathBuf>, env: &Env) -> Result<PathBuf, PathError> {
    if let Some(path) = flag {
        return Ok(path);
    }
    if let Some(path) = &env.protoscribe_db {
        return Ok(PathBuf::from(path));
    }
    if let Some(url) = &env.database_url {
        return from_database_url(url);
    }
    dirs::data_dir()
        .map(|dir| dir.join("protoscribe").join("protoscribe.db"))
        .ok_or(PathError::NoDataDir)
}

/// SQLAlchemy's form: `sqlite:///relative.db` or `sqlite:////absolute.db`.
/// The URL kept in an error has its password masked: it may be a server's.
pub fn from_database_url(url: &str) -> Result<PathBuf, PathError> {
    if crate::store::postgres::is_postgres_url(url) {
        return Ok(PathBuf::from(url));
    }
    let masked = || crate::sanitize::mask_passwords(url).into_owned();
    let path = url
        .strip_prefix("sqlite:///")
        .filter(|p| !p.is_empty() && !p.starts_with(":memory:"))
        .ok_or_else(|| PathError::NotSqliteUrl(masked()))?;
    // Options such as ?mode=ro would change how the store is opened;
    // dropping them silently would do something else than asked.
    if path.contains('?') {
        return Err(PathError::UrlOptions(masked()));
    }
    Ok(PathBuf::from(path))
}

/// Where logs and other state files go (next to the data, not the screen).
pub fn state_dir() -> Option<PathBuf> {
    dirs::state_dir()
        .or_else(dirs::data_dir)
        .map(|d| d.join("protoscribe"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(db: Option<&str>, url: Option<&str>) -> Env {
        Env {
            protoscribe_db: db.map(str::to_owned),
            database_url: url.map(str::to_owned),
        }
    }

    #[test]
    fn flag_beats_environment() {
        let p = resolve_db(
            Some("a.db".into()),
            &env(Some("b.db"), Some("sqlite:///c.db")),
        );
        assert_eq!(p, Ok(PathBuf::from("a.db")));
    }

    #[test]
    fn protoscribe_db_beats_database_url() {
        let p = resolve_db(None, &env(Some("b.db"), Some("sqlite:///c.db")));
        assert_eq!(p, Ok(PathBuf::from("b.db")));
    }

    #[test]
    fn database_url_takes_the_seed_form() {
        assert_eq!(
            resolve_db(None, &env(None, Some("sqlite:///./p.db"))),
            Ok("./p.db".into())
        );
        assert_eq!(
            resolve_db(None, &env(None, Some("sqlite:////abs/p.db"))),
            Ok("/abs/p.db".into())
        );
        assert!(resolve_db(None, &env(None, Some("mysql://x/y"))).is_err());
    }

    #[test]
    fn database_url_may_name_postgresql() {
        for url in [
            "postgres://ana@db/x",
            "postgresql://ana:s3cret@db/x?sslmode=require",
        ] {
            assert_eq!(
                resolve_db(None, &env(None, Some(url))),
                Ok(PathBuf::from(url))
            );
        }
    }

    #[test]
    fn database_url_errors_mask_the_password_and_refuse_options() {
        let err = resolve_db(None, &env(None, Some("mysql://ana:s3cret@db/x")))
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("s3cret") && err.contains("ana:***@db"),
            "{err}"
        );
        assert_eq!(
            resolve_db(None, &env(None, Some("sqlite:///p.db?mode=ro"))),
            Err(PathError::UrlOptions("sqlite:///p.db?mode=ro".into()))
        );
    }
}
