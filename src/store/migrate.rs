//! Schema migrations: numbered SQL files from `migrations/`, embedded in the
//! binary, applied in order, one transaction each, tracked by
//! `PRAGMA user_version`. A database from a newer ProtoScribe is refused.

use rusqlite::{Connection, TransactionBehavior};

use super::error::{Result, StoreError};

/// Marks a file as a ProtoScribe store ("PSCR"), so another program's
/// SQLite file is told apart from ours.
pub const APPLICATION_ID: i64 = 0x5053_4352;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial",
        sql: include_str!("../../migrations/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "0002_search",
        sql: include_str!("../../migrations/0002_search.sql"),
    },
    Migration {
        version: 3,
        name: "0003_review_counts",
        sql: include_str!("../../migrations/0003_review_counts.sql"),
    },
    Migration {
        version: 4,
        name: "0004_decisions",
        sql: include_str!("../../migrations/0004_decisions.sql"),
    },
    Migration {
        version: 5,
        name: "0005_export_checksums_interrupted_imports",
        sql: include_str!("../../migrations/0005_export_checksums_interrupted_imports.sql"),
    },
    Migration {
        version: 6,
        name: "0006_providers",
        sql: include_str!("../../migrations/0006_providers.sql"),
    },
    Migration {
        version: 7,
        name: "0007_analysis_figures",
        sql: include_str!("../../migrations/0007_analysis_figures.sql"),
    },
    Migration {
        version: 8,
        name: "0008_search_folds_accents",
        sql: include_str!("../../migrations/0008_search_folds_accents.sql"),
    },
];

/// The schema version this binary writes: the last migration's, so a
/// number left free for a migration made elsewhere changes nothing.
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

pub fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

fn application_id(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "application_id", |row| row.get(0))?)
}

/// Refuse files that are SQLite but not ours, and stores from the future.
pub fn check_compatible(conn: &Connection, path: &std::path::Path) -> Result<i64> {
    let version = user_version(conn)?;
    let app_id = application_id(conn)?;
    let foreign = if app_id == 0 {
        // A fresh file has no tables; a file with tables but no id is another program's.
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
        version != 0 || tables != 0
    } else {
        app_id != APPLICATION_ID
    };
    if foreign {
        return Err(StoreError::NotADatabase {
            path: path.to_owned(),
        });
    }
    if version > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found: version,
            known: SCHEMA_VERSION,
        });
    }
    Ok(version)
}

/// Before an existing store of schema `version` is upgraded (or switched
/// to WAL), check it: nothing is written into a damaged store, not even an
/// upgrade. Upgrades are rare, so the check's one pass over the file is too.
pub fn check_before_upgrade(conn: &Connection, version: i64) -> Result<()> {
    if version == 0 || version >= SCHEMA_VERSION {
        return Ok(());
    }
    check_sound(conn)
}

/// `PRAGMA quick_check`: the file's structure is sound.
pub fn check_sound(conn: &Connection) -> Result<()> {
    let problems: Vec<String> = conn
        .prepare("PRAGMA quick_check")?
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<rusqlite::Result<_>>()?;
    if problems == ["ok"] {
        return Ok(());
    }
    let path = conn
        .path()
        .map(std::path::PathBuf::from)
        .unwrap_or_default();
    Err(StoreError::Corrupt {
        path,
        detail: problems.into_iter().take(3).collect::<Vec<_>>().join("; "),
    })
}

/// Bring the schema up to `SCHEMA_VERSION`; returns how many steps ran.
pub fn migrate(conn: &mut Connection) -> Result<usize> {
    migrate_to(conn, SCHEMA_VERSION)
}

/// Apply the migrations up to `target` (tests use it to build old schemas).
/// Each step re-reads the version inside its own write transaction, so two
/// processes opening an old store at once apply every step exactly once.
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<usize> {
    let mut applied = 0;
    for migration in MIGRATIONS.iter().filter(|m| m.version <= target) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let current = user_version(&tx)?;
        if current > SCHEMA_VERSION {
            return Err(StoreError::Invalid(format!(
                "schema version {current} appeared while migrating: another, newer ProtoScribe upgraded this store"
            )));
        }
        if current >= migration.version {
            continue;
        }
        tx.execute_batch(migration.sql).map_err(|e| {
            StoreError::Invalid(format!("migration {} failed: {e}", migration.name))
        })?;
        tx.pragma_update(None, "user_version", migration.version)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.commit()?;
        applied += 1;
    }
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_count_up_and_match_their_file_names() {
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version, "{}", pair[1].name);
        }
        for m in MIGRATIONS {
            assert_eq!(m.name[..4].parse::<i64>().unwrap(), m.version, "{}", m.name);
        }
    }
}
