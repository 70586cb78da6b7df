//! PostgreSQL schema migrations: the numbered files in
//! `migrations/postgres/`, one per SQLite migration of the same number (so
//! a schema version means the same on both backends), applied in one
//! transaction under an advisory lock, so two first starts on two machines
//! never race. The version is kept in `protoscribe_schema`; a database from
//! a newer ProtoScribe is refused, as on SQLite.

use postgres::GenericClient;

use crate::store::error::{Result, StoreError};
use crate::store::migrate::{APPLICATION_ID, Migration};

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_initial",
        sql: include_str!("../../../migrations/postgres/0001_initial.sql"),
    },
    Migration {
        version: 2,
        name: "0002_search",
        sql: include_str!("../../../migrations/postgres/0002_search.sql"),
    },
    Migration {
        version: 3,
        name: "0003_review_counts",
        sql: include_str!("../../../migrations/postgres/0003_review_counts.sql"),
    },
    Migration {
        version: 4,
        name: "0004_decisions",
        sql: include_str!("../../../migrations/postgres/0004_decisions.sql"),
    },
    Migration {
        version: 5,
        name: "0005_export_checksums_interrupted_imports",
        sql: include_str!(
            "../../../migrations/postgres/0005_export_checksums_interrupted_imports.sql"
        ),
    },
    Migration {
        version: 6,
        name: "0006_providers",
        sql: include_str!("../../../migrations/postgres/0006_providers.sql"),
    },
    Migration {
        version: 7,
        name: "0007_analysis_figures",
        sql: include_str!("../../../migrations/postgres/0007_analysis_figures.sql"),
    },
    Migration {
        version: 8,
        name: "0008_search_folds_accents",
        sql: include_str!("../../../migrations/postgres/0008_search_folds_accents.sql"),
    },
];

pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].version;

const SCHEMA_TABLE: &str = "CREATE TABLE IF NOT EXISTS protoscribe_schema (
    version    bigint PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)";

/// The schema version of the database (0 for one ProtoScribe never used).
pub fn version(client: &mut impl GenericClient) -> Result<i64> {
    let exists: bool = client
        // A query of the catalog, not to_regclass: that looks the name up
        // in the session's cache, which may still hold "no such table"
        // from before another machine's first start made it.
        .query_one(
            "SELECT EXISTS (SELECT 1 FROM pg_tables
                            WHERE schemaname = current_schema() AND tablename = 'protoscribe_schema')",
            &[],
        )
        .map_err(sql)?
        .get(0);
    if !exists {
        return Ok(0);
    }
    let version: Option<i64> = client
        .query_one("SELECT max(version) FROM protoscribe_schema", &[])
        .map_err(sql)?
        .get(0);
    Ok(version.unwrap_or(0))
}

/// Bring the schema up to date; returns the versions applied. `shown` is
/// the store's URL (password masked) for messages.
pub fn migrate(client: &mut postgres::Client, shown: &str) -> Result<Vec<i64>> {
    // A current schema needs nothing, not even the lock: a role that may
    // read and write the tables but not create any can use the store.
    let current = version(client)?;
    if current == SCHEMA_VERSION {
        return Ok(Vec::new());
    }
    if current > SCHEMA_VERSION {
        return Err(newer(shown, current));
    }
    migrate_locked(client, shown).map_err(|e| match e {
        StoreError::Server(message) if message.contains("(42501)") => StoreError::Server(format!(
            "{shown} needs its schema made or brought up to date (version {current} → {SCHEMA_VERSION}), and this user may not create tables there: run ProtoScribe once as the database's owner, or grant CREATE on its schema"
        )),
        other => other,
    })
}

fn newer(shown: &str, found: i64) -> StoreError {
    StoreError::Server(format!(
        "{shown} was written by a newer ProtoScribe (schema version {found}, this one knows up to {SCHEMA_VERSION}): upgrade ProtoScribe, or use another database"
    ))
}

fn migrate_locked(client: &mut postgres::Client, shown: &str) -> Result<Vec<i64>> {
    let mut tx = client.transaction().map_err(sql)?;
    // Held until the transaction ends: a second first start waits here,
    // then finds the schema made and applies nothing.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPLICATION_ID])
        .map_err(sql)?;
    let found = version(&mut tx)?;
    if found > SCHEMA_VERSION {
        return Err(newer(shown, found));
    }
    if found == 0 {
        let ours: i64 = tx
            .query_one(
                "SELECT count(*) FROM pg_tables
                 WHERE schemaname = current_schema() AND tablename IN ('protocols', 'suggestions')",
                &[],
            )
            .map_err(sql)?
            .get(0);
        if ours > 0 {
            return Err(StoreError::Server(format!(
                "{shown} already has tables named protocols or suggestions that ProtoScribe did not make: use an empty database"
            )));
        }
    }
    tx.batch_execute(SCHEMA_TABLE).map_err(sql)?;
    let mut applied = Vec::new();
    for m in MIGRATIONS.iter().filter(|m| m.version > found) {
        tx.batch_execute(m.sql).map_err(|e| {
            StoreError::Server(format!(
                "migration {} failed on {shown}: {}",
                m.name,
                describe(&e)
            ))
        })?;
        tx.execute(
            "INSERT INTO protoscribe_schema(version, name) VALUES ($1, $2)",
            &[&m.version, &m.name],
        )
        .map_err(sql)?;
        applied.push(m.version);
    }
    tx.commit().map_err(sql)?;
    Ok(applied)
}

/// The SQL of the migrations after `from` up to `to`, each recording its
/// step in protoscribe_schema as `migrate` does; from 0 it first makes
/// protoscribe_schema. A restore makes the backup's schema with it (the
/// backup brings only rows) and then brings it up to date.
pub fn script_between(from: i64, to: i64) -> String {
    let mut script = String::new();
    if from == 0 {
        script.push_str(SCHEMA_TABLE);
        script.push_str(";\n");
    }
    for m in MIGRATIONS
        .iter()
        .filter(|m| m.version > from && m.version <= to)
    {
        script.push_str(m.sql);
        script.push_str(&format!(
            "\nINSERT INTO protoscribe_schema(version, name) VALUES ({}, '{}');\n",
            m.version, m.name
        ));
    }
    script
}

/// Names the migrations up to `version` make after `prefix` (`CREATE
/// TABLE `, `CREATE FUNCTION `), read from the migrations themselves so
/// that a later one is never left out.
fn made_by(prefix: &str, version: i64) -> Vec<String> {
    MIGRATIONS
        .iter()
        .filter(|m| m.version <= version)
        .flat_map(|m| m.sql.lines())
        .filter_map(|line| line.trim_start().strip_prefix(prefix))
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect()
}

/// The tables of the schema at `version`, protoscribe_schema aside.
pub fn tables_at(version: i64) -> Vec<String> {
    made_by("CREATE TABLE ", version)
}

/// The indexes and triggers the migrations make on those tables.
pub fn indexes_and_triggers() -> Vec<String> {
    let mut names = made_by("CREATE INDEX ", SCHEMA_VERSION);
    names.extend(made_by("CREATE UNIQUE INDEX ", SCHEMA_VERSION));
    names.extend(made_by("CREATE TRIGGER ", SCHEMA_VERSION));
    names
}

/// DROP statements for every table and function the migrations make, and
/// protoscribe_schema, without CASCADE: an object of someone else's that
/// depends on them (a view, a foreign key, a trigger) makes the drop fail
/// rather than go with them. Functions that name a table's row type go
/// first, then the tables (with their indexes, constraints and triggers),
/// then the other functions, which nothing depends on by then.
pub fn drop_script() -> String {
    let mut tables = tables_at(SCHEMA_VERSION);
    tables.push("protoscribe_schema".to_owned());
    let (typed, plain): (Vec<String>, Vec<String>) = made_by("CREATE FUNCTION ", SCHEMA_VERSION)
        .into_iter()
        .partition(|name| {
            function_header(name)
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .any(|word| tables.iter().any(|t| t == word))
        });
    let mut script = String::new();
    if !typed.is_empty() {
        script.push_str(&format!("DROP FUNCTION IF EXISTS {};\n", typed.join(", ")));
    }
    script.push_str(&format!("DROP TABLE IF EXISTS {};\n", tables.join(", ")));
    if !plain.is_empty() {
        script.push_str(&format!("DROP FUNCTION IF EXISTS {};\n", plain.join(", ")));
    }
    script
}

/// A function's definition up to its body: its arguments and what it
/// returns, as its migration writes them.
fn function_header(name: &str) -> &'static str {
    let start = format!("CREATE FUNCTION {name}(");
    MIGRATIONS
        .iter()
        .find_map(|m| {
            let at = m.sql.find(&start)?;
            let rest = &m.sql[at..];
            Some(&rest[..rest.find("$$").unwrap_or(rest.len())])
        })
        .unwrap_or_default()
}

/// A database error from a statement, as one sentence.
pub fn sql(error: postgres::Error) -> StoreError {
    if error.as_db_error().map(|db| db.code().code()) == Some("42501") {
        // A role that may connect but not use the tables (a store made by
        // another role): say what to ask for.
        return StoreError::Server(format!(
            "PostgreSQL: {}: this user may not use the store's tables; ask the database's owner to grant it (GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO the user)",
            describe(&error)
        ));
    }
    StoreError::Server(format!("PostgreSQL: {}", describe(&error)))
}

fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => crate::sanitize::mask_passwords(&error.to_string()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_have_the_same_schema_versions() {
        let sqlite: Vec<(i64, &str)> = crate::store::migrate::MIGRATIONS
            .iter()
            .map(|m| (m.version, m.name))
            .collect();
        let postgres: Vec<(i64, &str)> = MIGRATIONS.iter().map(|m| (m.version, m.name)).collect();
        assert_eq!(sqlite, postgres);
    }
}
