//! `db copy`: a whole store from one backend to another (SQLite ⇄
//! PostgreSQL, or between two of either), in one transaction on the
//! target, then checked: every table's row count and a checksum of its
//! rows, read back from the target, must equal the source's.
//!
//! Rows travel as plain values. What the two backends store differently
//! is made canonical before it is hashed or written: times as ISO-8601 UTC
//! with microseconds (`time::format_time`), JSON as serde_json writes it
//! (keys sorted). Rows are read in byte order of their ids (`COLLATE "C"`
//! on PostgreSQL, SQLite's own order), so both sides hash the same stream.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::types::{Value as SqlValue, ValueRef};
use serde_json::Value as Json;
use sha2::{Digest, Sha256};

use super::error::{Result, StoreError};
use super::postgres::{self, Target};
use super::{Store, time};

/// Where a store is: a SQLite file or a PostgreSQL database.
pub enum Endpoint {
    Sqlite(PathBuf),
    Postgres(Box<Target>),
}

impl Endpoint {
    /// A `--from`/`--to` value: a PostgreSQL URL, `sqlite:///path`, or a path.
    pub fn parse(spec: &str) -> Result<Endpoint> {
        if postgres::is_postgres_url(spec) {
            return Ok(Endpoint::Postgres(Box::new(Target::parse(spec)?)));
        }
        if spec.is_empty() {
            return Err(StoreError::Invalid(
                "an empty store location: give a file path or a postgres:// URL".into(),
            ));
        }
        // `sqlite:///relative.db`, `sqlite:////absolute.db`: as --db and
        // DATABASE_URL read them.
        if spec.starts_with("sqlite:") {
            return crate::paths::from_database_url(spec)
                .map(Endpoint::Sqlite)
                .map_err(|e| StoreError::Invalid(e.to_string()));
        }
        Ok(Endpoint::Sqlite(PathBuf::from(spec)))
    }

    /// The location as messages show it (any password masked).
    pub fn shown(&self) -> String {
        match self {
            Endpoint::Sqlite(path) => path.display().to_string(),
            Endpoint::Postgres(target) => target.shown().to_owned(),
        }
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Text,
    Int,
    Real,
    Time,
    Json,
}

struct Table {
    name: &'static str,
    /// Its key, by which rows are read in the same order on both sides.
    key: &'static str,
    columns: &'static [(&'static str, Kind)],
}

use Kind::{Int, Json as J, Real, Text, Time};

/// Every table that holds what users made, parents before children. The
/// review counts and the search index are derived: the target's triggers
/// make them, and `copy` checks the counts agree.
const TABLES: &[Table] = &[
    Table {
        name: "protocols",
        key: "id",
        columns: &[
            ("id", Text),
            ("title", Text),
            ("status", Text),
            ("file_path", Text),
            ("file_size", Int),
            ("created_at", Time),
            ("updated_at", Time),
            ("description", Text),
            ("metadata", J),
            ("content", Text),
        ],
    },
    Table {
        name: "protocol_versions",
        key: "id",
        columns: &[
            ("id", Text),
            ("protocol_id", Text),
            ("version_number", Int),
            ("created_by", Text),
            ("created_at", Time),
            ("change_summary", Text),
            ("content", Text),
        ],
    },
    Table {
        name: "analyses",
        key: "id",
        columns: &[
            ("id", Text),
            ("protocol_id", Text),
            ("provider", Text),
            ("analysis_type", Text),
            ("status", Text),
            ("overall_score", Real),
            ("consort_score", Real),
            ("spirit_score", Real),
            ("error_message", Text),
            ("created_at", Time),
            ("completed_at", Time),
            ("results", J),
            ("model", Text),
            ("prompt_version", Text),
            ("input_tokens", Int),
            ("output_tokens", Int),
            ("cost", Real),
            ("latency_ms", Int),
            ("unverified_answers", Int),
            ("provider_metadata", J),
        ],
    },
    Table {
        name: "suggestions",
        key: "id",
        columns: &[
            ("id", Text),
            ("analysis_id", Text),
            ("section", Text),
            ("type", Text),
            ("confidence", Real),
            ("priority", Text),
            ("status", Text),
            ("guideline_reference", Text),
            ("created_at", Time),
            ("updated_at", Time),
            ("content", Text),
            ("user_comment", Text),
            ("modified_content", Text),
            ("rationale", Text),
            ("finding_key", Text),
            ("revision", Int),
            ("applied_version", Int),
            ("suggested_text", Text),
            ("metadata", J),
            ("superseded_by", Text),
        ],
    },
    Table {
        name: "exports",
        key: "id",
        columns: &[
            ("id", Text),
            ("protocol_id", Text),
            ("format", Text),
            ("file_path", Text),
            ("export_options", J),
            ("status", Text),
            ("error_message", Text),
            ("file_size", Int),
            ("created_at", Time),
            ("completed_at", Time),
            ("expires_at", Time),
            ("file_sha256", Text),
        ],
    },
    Table {
        name: "provider_cache",
        key: "request_sha256, provider, model, prompt_version",
        columns: &[
            ("request_sha256", Text),
            ("provider", Text),
            ("model", Text),
            ("prompt_version", Text),
            ("answer", Text),
            ("input_tokens", Int),
            ("output_tokens", Int),
            ("created_at", Time),
        ],
    },
];

/// One value of a row, in its canonical form.
#[derive(Clone, Debug, PartialEq)]
enum Cell {
    Null,
    Int(i64),
    Real(f64),
    /// Text, a time (canonical ISO-8601) or JSON (canonical text).
    Text(String),
}

impl Cell {
    fn hash_into(&self, h: &mut Sha256) {
        match self {
            Cell::Null => h.update([0u8]),
            Cell::Int(n) => {
                h.update([1u8]);
                h.update(n.to_le_bytes());
            }
            Cell::Real(x) => {
                h.update([2u8]);
                h.update(x.to_bits().to_le_bytes());
            }
            Cell::Text(s) => {
                h.update([3u8]);
                h.update((s.len() as u64).to_le_bytes());
                h.update(s.as_bytes());
            }
        }
    }
}

/// What one table holds, as both sides must agree.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TableSum {
    pub table: &'static str,
    pub rows: u64,
    pub sha256: String,
}

struct Summer {
    hash: Sha256,
    rows: u64,
}

impl Summer {
    fn new() -> Summer {
        Summer {
            hash: Sha256::new(),
            rows: 0,
        }
    }
    fn add(&mut self, row: &[Cell]) {
        self.rows += 1;
        for cell in row {
            cell.hash_into(&mut self.hash);
        }
    }
    fn finish(self, table: &'static str) -> TableSum {
        TableSum {
            table,
            rows: self.rows,
            sha256: format!("{:x}", self.hash.finalize()),
        }
    }
}

fn malformed(table: &str, column: &str, what: &str) -> StoreError {
    StoreError::Invalid(format!(
        "{table}.{column} holds {what}, which cannot be copied: fix or delete that row, then copy again"
    ))
}

fn canonical_json(table: &str, column: &str, text: &str) -> Result<String> {
    let value: Json = serde_json::from_str(text)
        .map_err(|_| malformed(table, column, "text that is not JSON"))?;
    Ok(value.to_string())
}

fn canonical_time(table: &str, column: &str, text: &str) -> Result<String> {
    time::parse(text)
        .map(time::format_time)
        .ok_or_else(|| malformed(table, column, "a time that is not ISO-8601"))
}

/// The result of a copy: the source's sums, equal to the target's.
pub struct Copied {
    pub tables: Vec<TableSum>,
}

/// Copy everything from `from` into `to` (made and migrated if new). A
/// target that holds protocols is refused unless `force`, which replaces
/// what it holds, in the same transaction.
pub fn copy(from: &Endpoint, to: &Endpoint, force: bool) -> Result<Copied> {
    // A store file this copy makes and then fails to fill is removed: a
    // failed copy leaves no empty store behind.
    let made = match to {
        Endpoint::Sqlite(path) => (!path.exists()).then(|| path.clone()),
        Endpoint::Postgres(_) => None,
    };
    let copied = copy_into(from, to, force);
    if copied.is_err()
        && let Some(path) = made
    {
        for suffix in ["", "-wal", "-shm"] {
            let mut name = path.clone().into_os_string();
            name.push(suffix);
            let _ = std::fs::remove_file(name);
        }
    }
    copied
}

fn copy_into(from: &Endpoint, to: &Endpoint, force: bool) -> Result<Copied> {
    let mut source = open_source(from)?;
    let mut target = open_target(to)?;
    let sums = target.in_transaction(&mut |t: &mut Writer<'_, '_>| {
        let held = t.count("protocols")? + t.count("exports")?;
        if held > 0 && !force {
            return Err(StoreError::Conflict(format!(
                "{} already holds {held} protocols or exports: copy into an empty store, or pass --force to replace what it holds",
                to.shown()
            )));
        }
        t.begin_bulk()?;
        if held > 0 {
            t.clear()?;
        }
        let mut sums = Vec::new();
        for table in TABLES {
            let mut summer = Summer::new();
            let mut superseded: Vec<(String, String)> = Vec::new();
            source.each_row(table, &mut |row| {
                summer.add(&row);
                let mut row = row;
                if table.name == "suggestions"
                    && let Some(Cell::Text(by)) = row.last().cloned()
                {
                    // Its successor may come later in id order: link it
                    // once every suggestion is in.
                    if let Some(Cell::Text(id)) = row.first() {
                        superseded.push((id.clone(), by));
                    }
                    if let Some(last) = row.last_mut() {
                        *last = Cell::Null;
                    }
                }
                t.insert(table, &row)
            })?;
            t.flush()?;
            for (id, by) in &superseded {
                t.set_superseded(id, by)?;
            }
            sums.push(summer.finish(table.name));
        }
        t.end_bulk()?;
        Ok(sums)
    })?;
    // Read back what the target now holds.
    let mut check = open_source(to)?;
    for expected in &sums {
        let table = TABLES
            .iter()
            .find(|t| t.name == expected.table)
            .ok_or_else(|| StoreError::Invalid("unknown table".into()))?;
        let mut summer = Summer::new();
        check.each_row(table, &mut |row| {
            summer.add(&row);
            Ok(())
        })?;
        let found = summer.finish(table.name);
        if &found != expected {
            return Err(StoreError::Invalid(format!(
                "the copy of {} differs from its source ({} rows, sha256 {} against {} rows, sha256 {}): the target was changed while copying; copy again with --force",
                expected.table, found.rows, found.sha256, expected.rows, expected.sha256
            )));
        }
    }
    let (a, b) = (source.review_counts()?, check.review_counts()?);
    if a != b {
        return Err(StoreError::Invalid(format!(
            "the review counts of the copy ({b:?}) differ from the source's ({a:?}): run 'protoscribe db check' on both"
        )));
    }
    let disagreeing = check.figures_disagreeing()?;
    if disagreeing > 0 {
        return Err(StoreError::Invalid(format!(
            "the analysis figures of the copy disagree with its analyses in {disagreeing} rows: run 'protoscribe db check' on it"
        )));
    }
    Ok(Copied { tables: sums })
}

type RowFn<'a> = dyn FnMut(Vec<Cell>) -> Result<()> + 'a;

enum Side {
    Sqlite(Store),
    Postgres(Box<::postgres::Client>),
}

fn open_source(at: &Endpoint) -> Result<Side> {
    match at {
        Endpoint::Sqlite(path) => {
            // A store this user may write is opened as any command opens
            // it, so one from an older ProtoScribe is upgraded first (read
            // only, it could not be); another user's is only read.
            let access = if path.exists() && !super::is_read_only(path) {
                super::Access::ReadWrite
            } else {
                super::Access::ReadOnly
            };
            Ok(Side::Sqlite(Store::open_with(path, access)?))
        }
        Endpoint::Postgres(target) => {
            let mut client = target.connect()?;
            let version = postgres::migrate::version(&mut client)?;
            if version != postgres::migrate::SCHEMA_VERSION {
                return Err(StoreError::Invalid(format!(
                    "{} has schema version {version}, and this ProtoScribe copies version {}: open it with this ProtoScribe first ('protoscribe db status --db URL')",
                    target.shown(),
                    postgres::migrate::SCHEMA_VERSION
                )));
            }
            Ok(Side::Postgres(Box::new(client)))
        }
    }
}

fn open_target(at: &Endpoint) -> Result<Side> {
    match at {
        Endpoint::Sqlite(path) => Ok(Side::Sqlite(Store::open(path)?)),
        Endpoint::Postgres(target) => {
            let mut client = target.connect()?;
            postgres::migrate::migrate(&mut client, target.shown())?;
            Ok(Side::Postgres(Box::new(client)))
        }
    }
}

fn select(table: &Table, postgres: bool) -> String {
    let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
    let order = if postgres {
        table
            .key
            .split(", ")
            .map(|k| format!("{k} COLLATE \"C\""))
            .collect::<Vec<_>>()
            .join(", ")
    } else {
        table.key.to_owned()
    };
    format!(
        "SELECT {} FROM {} ORDER BY {order}",
        columns.join(", "),
        table.name
    )
}

impl Side {
    fn each_row(&mut self, table: &Table, f: &mut RowFn<'_>) -> Result<()> {
        match self {
            Side::Sqlite(store) => store.read_sqlite(|conn| {
                let mut stmt = conn.prepare(&select(table, false))?;
                let mut rows = stmt.query([])?;
                while let Some(row) = rows.next()? {
                    let mut cells = Vec::with_capacity(table.columns.len());
                    for (i, (column, kind)) in table.columns.iter().enumerate() {
                        cells.push(sqlite_cell(table.name, column, *kind, row.get_ref(i)?)?);
                    }
                    f(cells)?;
                }
                Ok(())
            }),
            Side::Postgres(client) => {
                let sql = select(table, true);
                let rows = client
                    .query_raw(sql.as_str(), std::iter::empty::<i32>())
                    .map_err(postgres::migrate::sql)?;
                use ::postgres::fallible_iterator::FallibleIterator;
                let mut rows = rows;
                while let Some(row) = rows.next().map_err(postgres::migrate::sql)? {
                    let mut cells = Vec::with_capacity(table.columns.len());
                    for (i, (_, kind)) in table.columns.iter().enumerate() {
                        cells.push(postgres_cell(&row, i, *kind)?);
                    }
                    f(cells)?;
                }
                Ok(())
            }
        }
    }

    fn review_counts(&mut self) -> Result<Vec<(String, i64)>> {
        const SQL: &str = "SELECT status, count FROM suggestion_status_counts ORDER BY status";
        match self {
            Side::Sqlite(store) => store.read_sqlite(|conn| {
                let mut stmt = conn.prepare(SQL)?;
                let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
                Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
            }),
            Side::Postgres(client) => Ok(client
                .query(SQL, &[])
                .map_err(postgres::migrate::sql)?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect()),
        }
    }

    /// Rows of the kept analysis figures a recount disagrees with.
    fn figures_disagreeing(&mut self) -> Result<u64> {
        match self {
            Side::Sqlite(store) => store.read_sqlite(super::stats::figures_disagreeing),
            Side::Postgres(client) => postgres::stats::figures_disagreeing(client.as_mut()),
        }
    }

    /// Run `f` on the target in one transaction: committed only if it
    /// returns Ok.
    fn in_transaction<T>(
        &mut self,
        f: &mut dyn FnMut(&mut Writer<'_, '_>) -> Result<T>,
    ) -> Result<T> {
        match self {
            Side::Sqlite(store) => store.write_sqlite(|tx| f(&mut Writer::Sqlite(tx))),
            Side::Postgres(client) => {
                let mut tx = client.transaction().map_err(postgres::migrate::sql)?;
                let value = f(&mut Writer::Postgres(&mut tx, Gathered::default()))?;
                tx.commit().map_err(postgres::migrate::sql)?;
                Ok(value)
            }
        }
    }
}

enum Writer<'a, 'b> {
    Sqlite(&'a rusqlite::Transaction<'b>),
    /// Rows go in by COPY, gathered per table and sent a few megabytes
    /// at a time: a row-by-row INSERT of a million suggestions took hours.
    Postgres(&'a mut ::postgres::Transaction<'b>, Gathered),
}

/// Rows of one table waiting for COPY, in its text format.
#[derive(Default)]
struct Gathered {
    table: Option<&'static Table>,
    text: String,
}

/// Send at most this many bytes in one COPY.
const COPY_BYTES: usize = 8 << 20;

/// A value as COPY's text format writes it (`\N` for NULL; backslash,
/// tab, newline and carriage return escaped).
fn copy_text(cell: &Cell, out: &mut String) {
    match cell {
        Cell::Null => out.push_str("\\N"),
        Cell::Int(n) => out.push_str(&n.to_string()),
        Cell::Real(x) => out.push_str(&format!("{x:?}")),
        Cell::Text(s) => {
            for c in s.chars() {
                match c {
                    '\\' => out.push_str("\\\\"),
                    '\t' => out.push_str("\\t"),
                    '\n' => out.push_str("\\n"),
                    '\r' => out.push_str("\\r"),
                    c => out.push(c),
                }
            }
        }
    }
}

impl Writer<'_, '_> {
    fn count(&mut self, table: &str) -> Result<i64> {
        let sql = format!("SELECT count(*) FROM {table}");
        match self {
            Writer::Sqlite(tx) => Ok(tx.query_row(&sql, [], |r| r.get(0))?),
            Writer::Postgres(tx, _) => Ok(tx
                .query_one(sql.as_str(), &[])
                .map_err(postgres::migrate::sql)?
                .get(0)),
        }
    }

    fn clear(&mut self) -> Result<()> {
        // Protocols cascade to their versions, analyses, suggestions and exports.
        const SQL: &str = "DELETE FROM exports; UPDATE suggestions SET superseded_by = NULL; DELETE FROM protocols; DELETE FROM provider_cache;";
        match self {
            Writer::Sqlite(tx) => Ok(tx.execute_batch(SQL)?),
            Writer::Postgres(tx, _) => tx.batch_execute(SQL).map_err(postgres::migrate::sql),
        }
    }

    fn insert(&mut self, table: &'static Table, row: &[Cell]) -> Result<()> {
        let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        match self {
            Writer::Sqlite(tx) => {
                let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
                let sql = format!(
                    "INSERT INTO {} ({}) VALUES ({})",
                    table.name,
                    columns.join(", "),
                    marks.join(", ")
                );
                let mut stmt = tx.prepare_cached(&sql)?;
                let values: Vec<SqlValue> = row
                    .iter()
                    .map(|c| match c {
                        Cell::Null => SqlValue::Null,
                        Cell::Int(n) => SqlValue::Integer(*n),
                        Cell::Real(x) => SqlValue::Real(*x),
                        Cell::Text(s) => SqlValue::Text(s.clone()),
                    })
                    .collect();
                stmt.execute(rusqlite::params_from_iter(values))?;
                Ok(())
            }
            Writer::Postgres(_, gathered) => {
                let same = gathered.table.is_some_and(|t| std::ptr::eq(t, table));
                if !same {
                    self.flush()?;
                }
                let Writer::Postgres(_, gathered) = self else {
                    return Ok(());
                };
                gathered.table = Some(table);
                // Cells arrive canonical and checked (`sqlite_cell`,
                // `postgres_cell`): a bad time or JSON text was named by its
                // column when it was read.
                for (i, cell) in row.iter().enumerate() {
                    if i > 0 {
                        gathered.text.push('\t');
                    }
                    copy_text(cell, &mut gathered.text);
                }
                gathered.text.push('\n');
                if gathered.text.len() >= COPY_BYTES {
                    self.flush()?;
                }
                Ok(())
            }
        }
    }

    /// Send the rows gathered so far (PostgreSQL; nothing on SQLite).
    fn flush(&mut self) -> Result<()> {
        let Writer::Postgres(tx, gathered) = self else {
            return Ok(());
        };
        let Some(table) = gathered.table.take() else {
            return Ok(());
        };
        if gathered.text.is_empty() {
            return Ok(());
        }
        let columns: Vec<&str> = table.columns.iter().map(|(c, _)| *c).collect();
        let sql = format!("COPY {} ({}) FROM STDIN", table.name, columns.join(", "));
        let mut writer = tx.copy_in(sql.as_str()).map_err(postgres::migrate::sql)?;
        std::io::Write::write_all(&mut writer, gathered.text.as_bytes()).map_err(|e| {
            StoreError::Server(format!("PostgreSQL: COPY into {}: {e}", table.name))
        })?;
        writer.finish().map_err(postgres::migrate::sql)?;
        gathered.text.clear();
        Ok(())
    }

    /// Before a bulk load: the review counts' and analysis figures' row
    /// triggers off (a million
    /// updates of one row in one transaction grow its version chain with
    /// every row); `end_bulk` counts once and turns them back on.
    fn begin_bulk(&mut self) -> Result<()> {
        if let Writer::Postgres(tx, _) = self {
            tx.batch_execute(
                "ALTER TABLE suggestions DISABLE TRIGGER suggestion_counts_after_insert;
                 ALTER TABLE suggestions DISABLE TRIGGER suggestion_counts_after_update;
                 ALTER TABLE suggestions DISABLE TRIGGER suggestion_counts_after_delete;
                 ALTER TABLE analyses DISABLE TRIGGER analysis_figures_after_insert;
                 ALTER TABLE analyses DISABLE TRIGGER analysis_figures_after_update;
                 ALTER TABLE analyses DISABLE TRIGGER analysis_figures_after_delete;",
            )
            .map_err(postgres::migrate::sql)?;
        }
        Ok(())
    }

    fn end_bulk(&mut self) -> Result<()> {
        self.flush()?;
        if let Writer::Postgres(tx, _) = self {
            tx.batch_execute(&format!(
                "{}
                 ALTER TABLE suggestions ENABLE TRIGGER suggestion_counts_after_insert;
                 ALTER TABLE suggestions ENABLE TRIGGER suggestion_counts_after_update;
                 ALTER TABLE suggestions ENABLE TRIGGER suggestion_counts_after_delete;
                 ALTER TABLE analyses ENABLE TRIGGER analysis_figures_after_insert;
                 ALTER TABLE analyses ENABLE TRIGGER analysis_figures_after_update;
                 ALTER TABLE analyses ENABLE TRIGGER analysis_figures_after_delete;",
                postgres::stats::recount_script()
            ))
            .map_err(postgres::migrate::sql)?;
        }
        Ok(())
    }

    fn set_superseded(&mut self, id: &str, by: &str) -> Result<()> {
        self.flush()?;
        match self {
            Writer::Sqlite(tx) => {
                tx.prepare_cached("UPDATE suggestions SET superseded_by = ?2 WHERE id = ?1")?
                    .execute([id, by])?;
                Ok(())
            }
            Writer::Postgres(tx, _) => tx
                .execute(
                    "UPDATE suggestions SET superseded_by = $2 WHERE id = $1",
                    &[&id, &by],
                )
                .map(|_| ())
                .map_err(postgres::migrate::sql),
        }
    }
}

fn sqlite_cell(table: &str, column: &str, kind: Kind, value: ValueRef<'_>) -> Result<Cell> {
    Ok(match (value, kind) {
        (ValueRef::Null, _) => Cell::Null,
        (ValueRef::Integer(n), Kind::Real) => Cell::Real(n as f64),
        (ValueRef::Integer(n), _) => Cell::Int(n),
        (ValueRef::Real(x), _) => Cell::Real(x),
        (ValueRef::Text(bytes), kind) => {
            let text = std::str::from_utf8(bytes)
                .map_err(|_| malformed(table, column, "text that is not UTF-8"))?;
            match kind {
                Kind::Time => Cell::Text(canonical_time(table, column, text)?),
                Kind::Json => Cell::Text(canonical_json(table, column, text)?),
                _ => Cell::Text(text.to_owned()),
            }
        }
        (ValueRef::Blob(_), _) => return Err(malformed(table, column, "a binary value")),
    })
}

fn postgres_cell(row: &::postgres::Row, i: usize, kind: Kind) -> Result<Cell> {
    let cell = match kind {
        Kind::Text => row
            .try_get::<_, Option<String>>(i)
            .map(|v| v.map_or(Cell::Null, Cell::Text)),
        Kind::Int => row
            .try_get::<_, Option<i64>>(i)
            .map(|v| v.map_or(Cell::Null, Cell::Int)),
        Kind::Real => row
            .try_get::<_, Option<f64>>(i)
            .map(|v| v.map_or(Cell::Null, Cell::Real)),
        Kind::Time => row
            .try_get::<_, Option<DateTime<Utc>>>(i)
            .map(|v| v.map_or(Cell::Null, |t| Cell::Text(time::format_time(t)))),
        Kind::Json => row
            .try_get::<_, Option<Json>>(i)
            .map(|v| v.map_or(Cell::Null, |j| Cell::Text(j.to_string()))),
    };
    cell.map_err(postgres::migrate::sql)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqlite_path(spec: &str) -> PathBuf {
        match Endpoint::parse(spec) {
            Ok(Endpoint::Sqlite(path)) => path,
            _ => panic!("{spec} is not a SQLite location"),
        }
    }

    #[test]
    fn sqlite_locations_read_as_db_and_database_url_read_them() {
        assert_eq!(sqlite_path("store.db"), PathBuf::from("store.db"));
        assert_eq!(
            sqlite_path("sqlite:///rel/store.db"),
            PathBuf::from("rel/store.db")
        );
        assert_eq!(
            sqlite_path("sqlite:////abs/store.db"),
            PathBuf::from("/abs/store.db")
        );
        assert!(Endpoint::parse("sqlite:///s.db?mode=ro").is_err());
        assert!(Endpoint::parse("").is_err());
        assert!(matches!(
            Endpoint::parse("postgres://u@h/db"),
            Ok(Endpoint::Postgres(_))
        ));
    }
}
