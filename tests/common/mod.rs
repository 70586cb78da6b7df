//! Helpers shared by the integration tests: a temporary store on the
//! backend the run asks for, the real binary, and what the store holds,
//! read through the library's `Store` (never raw SQL), so one test serves
//! both backends.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use protoscribe::store::{Access, Page, Store};

pub const BIN: &str = env!("CARGO_BIN_EXE_protoscribe");
pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

/// The store behind a `Sandbox`: a SQLite file (the default) or a fresh
/// PostgreSQL database, chosen for the whole run by
/// `PROTOSCRIBE_TEST_BACKEND` (`sqlite` or `postgres`; `.ci/run` runs the
/// end-to-end suites once with each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn chosen() -> Backend {
        match std::env::var("PROTOSCRIBE_TEST_BACKEND").as_deref() {
            Err(_) | Ok("") | Ok("sqlite") => Backend::Sqlite,
            Ok("postgres") => Backend::Postgres,
            Ok(other) => panic!("PROTOSCRIBE_TEST_BACKEND={other:?}: use sqlite or postgres"),
        }
    }
}

/// A temporary folder for input files and one store: `store.db` in the
/// folder, or on PostgreSQL a database of its own on the test server.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
    db: PathBuf,
    backend: Backend,
}

impl Sandbox {
    /// A sandbox on the backend the run asks for.
    pub fn new() -> Sandbox {
        Sandbox::on(Backend::chosen())
    }

    /// A sandbox whose store is a SQLite file whatever the run asks for:
    /// for what only a file has (its bytes, permissions, WAL, pragmas).
    pub fn sqlite() -> Sandbox {
        Sandbox::on(Backend::Sqlite)
    }

    pub fn on(backend: Backend) -> Sandbox {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = match backend {
            Backend::Sqlite => dir.path().join("store.db"),
            Backend::Postgres => PathBuf::from(postgres::fresh_database()),
        };
        Sandbox { dir, db, backend }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn is_postgres(&self) -> bool {
        self.backend == Backend::Postgres
    }

    /// Where the store is, as `--db` takes it: the SQLite file, or the
    /// PostgreSQL database's URL.
    pub fn db(&self) -> PathBuf {
        self.db.clone()
    }

    /// The store, opened through the library (read-only for a file, so
    /// looking never creates or changes it).
    pub fn store(&self) -> Store {
        open_store(&self.db)
    }

    /// Whether a store has been made: the file exists, or the database
    /// holds ProtoScribe's tables.
    pub fn has_store(&self) -> bool {
        match self.backend {
            Backend::Sqlite => self.db.exists(),
            Backend::Postgres => {
                let url = self.db.to_str().expect("a URL");
                let mut client =
                    ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
                client
                    .query_one(
                        "SELECT count(*) FROM information_schema.tables
                         WHERE table_schema = current_schema() AND table_name = 'protocols'",
                        &[],
                    )
                    .expect("look for the tables")
                    .get::<_, i64>(0)
                    > 0
            }
        }
    }

    /// Everything the store holds, to search for what must never be
    /// stored: the file with its WAL and shared memory, or on PostgreSQL
    /// every row of every table, as text.
    pub fn everything_stored(&self) -> Vec<u8> {
        match self.backend {
            Backend::Sqlite => {
                let mut all = Vec::new();
                for suffix in ["", "-wal", "-shm"] {
                    let p = format!("{}{suffix}", self.db.display());
                    all.extend(std::fs::read(p).unwrap_or_default());
                }
                all
            }
            Backend::Postgres => {
                let url = self.db.to_str().expect("a URL");
                let mut client =
                    ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
                let tables: Vec<String> = client
                    .query(
                        "SELECT quote_ident(table_name) FROM information_schema.tables
                         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                        &[],
                    )
                    .expect("list the tables")
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                let mut all = Vec::new();
                for table in tables {
                    // The names come from the catalog, quoted by the server.
                    let rows = client
                        .query(&format!("SELECT t::text FROM {table} t"), &[])
                        .expect("read a table");
                    for row in rows {
                        all.extend(row.get::<_, String>(0).into_bytes());
                        all.push(b'\n');
                    }
                }
                all
            }
        }
    }

    /// Run one statement straight on the store, as another program
    /// writing into it would, bypassing ProtoScribe; parameters are `$1`,
    /// `$2`, … on both backends. Returns the rows changed.
    pub fn sql_by_hand(&self, sql: &str, params: &[&str]) -> u64 {
        match self.backend {
            Backend::Sqlite => {
                let conn = rusqlite::Connection::open(&self.db).expect("open the store file");
                let n = conn
                    .execute(sql, rusqlite::params_from_iter(params))
                    .unwrap_or_else(|e| panic!("{sql}: {e}"));
                n as u64
            }
            Backend::Postgres => {
                let url = self.db.to_str().expect("a URL");
                let mut client =
                    ::postgres::Client::connect(url, ::postgres::NoTls).expect("connect");
                let params: Vec<&(dyn ::postgres::types::ToSql + Sync)> = params
                    .iter()
                    .map(|p| p as &(dyn ::postgres::types::ToSql + Sync))
                    .collect();
                client
                    .execute(sql, &params)
                    .unwrap_or_else(|e| panic!("{sql}: {e}"))
            }
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, bytes).expect("write input");
        path
    }

    /// The binary with `--db` set and a clean environment for the store.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--db").arg(self.db());
        cmd.env_remove("PROTOSCRIBE_DB")
            .env_remove("DATABASE_URL")
            .env("NO_COLOR", "1")
            // Scheduled backups are tested on their own (tests/backup.rs).
            .env("PROTOSCRIBE_BACKUP_HOURS", "0")
            // What goes to the user's data folder (a PostgreSQL store's
            // backups) stays in the sandbox.
            .env("XDG_DATA_HOME", self.path("data"));
        cmd
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("run protoscribe")
    }

    /// Run and insist on success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "protoscribe {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Import a file and return the new protocol's id.
    pub fn import(&self, name: &str, text: &str) -> String {
        let path = self.write(name, text);
        self.ok(&["import", path.to_str().expect("utf-8 path")])
            .trim()
            .to_owned()
    }

    /// Import one of `tests/fixtures` and return the new protocol's id.
    pub fn import_fixture(&self, name: &str) -> String {
        self.ok(&["import", &format!("{FIXTURES}/{name}")])
            .trim()
            .to_owned()
    }

    /// Import fixtures and analyse them all.
    pub fn analyse_fixtures(&self, names: &[&str]) {
        for name in names {
            self.import_fixture(name);
        }
        self.ok(&["analyze", "--all"]);
    }

    /// Export a protocol's report to `name` in the sandbox; returns its path.
    pub fn export(&self, id: &str, format: &str, name: &str, extra: &[&str]) -> PathBuf {
        let path = self.path(name);
        let mut args = vec![
            "export",
            id,
            "--format",
            format,
            "-o",
            path.to_str().expect("utf-8 path"),
        ];
        args.extend_from_slice(extra);
        self.ok(&args);
        path
    }

    pub fn counts(&self) -> Counts {
        counts(&self.db())
    }
}

/// Row counts of the five tables.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Counts {
    pub protocols: i64,
    pub analyses: i64,
    pub suggestions: i64,
    pub versions: i64,
    pub exports: i64,
}

/// Open the store at `db` (a file or a URL) as `Store` does for the
/// program; a file is opened read-only and must exist.
pub fn open_store(db: &Path) -> Store {
    Store::open_with(db, Access::ReadOnly)
        .unwrap_or_else(|e| panic!("open the store at {}: {e}", db.display()))
}

/// The row counts of the store at `db`, as `db status` reports them.
pub fn counts(db: &Path) -> Counts {
    let status = open_store(db).status().expect("the store's status");
    let n = |table: &str| -> i64 {
        let n = *status
            .tables
            .get(table)
            .unwrap_or_else(|| panic!("no count of {table}"));
        i64::try_from(n).expect("a count")
    };
    Counts {
        protocols: n("protocols"),
        analyses: n("analyses"),
        suggestions: n("suggestions"),
        versions: n("protocol_versions"),
        exports: n("exports"),
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Assert a failure in the house style: exit 1, one `error: …` line that
/// contains `needle`.
pub fn assert_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "exit status, stderr: {err}");
    assert!(err.starts_with("error: "), "stderr: {err}");
    assert_eq!(err.trim_end().lines().count(), 1, "one line, got: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
}

/// A realistic small protocol.
pub const PROTOCOL: &str = "# Vitamin D for fracture prevention: a randomised trial\n\n\
## 1. Background\nFractures in older adults are common.\n\n\
## 2. Methods\nParticipants will be randomised 1:1 using computer-generated blocks.\n\n\
### 2.1 Sample size\nWe will enrol 240 participants (90% power, alpha 0.05).\n";

/// The status and text of every protocol, oldest first.
pub fn protocol_rows(db: &Path) -> Vec<(String, String)> {
    let store = open_store(db);
    let mut listed = store
        .protocols(&Default::default(), Page::first(u64::MAX))
        .expect("list the protocols");
    // Listed newest first.
    listed.reverse();
    listed
        .iter()
        .map(|info| {
            let protocol = store.protocol(&info.id).expect("a listed protocol");
            (info.status.as_str().to_owned(), protocol.content)
        })
        .collect()
}

/// A failed Word or PDF extraction: one line with the reason, and a
/// protocol left with status error and no text (never a half-made one).
pub fn assert_failed_extraction(s: &Sandbox, out: &Output, needle: &str) {
    assert_error(out, needle);
    assert!(stderr(out).contains("status error"), "{}", stderr(out));
    let rows = protocol_rows(&s.db());
    let (status, content) = rows.last().expect("a protocol row");
    assert_eq!(status, "error");
    assert!(content.is_empty());
    assert!(
        rows.iter().all(|(st, _)| st != "processing"),
        "no import left half-way"
    );
}

/// Run a command, killing it if it has not finished after `secs`: a guard
/// against hangs (what is tested is that it ends, and how), not a timing.
pub fn output_within(cmd: &mut Command, secs: u64) -> Option<Output> {
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run protoscribe");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while child.try_wait().expect("wait").is_none() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Some(child.wait_with_output().expect("output"))
}

/// Make a FIFO (named pipe) at `path`.
pub fn mkfifo(path: &Path) {
    let status = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(status.success());
}

/// The latest completed analysis's overall and SPIRIT scores as reports
/// print them (one decimal), so report tests follow the analyzer.
pub fn latest_scores(s: &Sandbox, protocol: &str) -> (String, String) {
    let analysis = s
        .store()
        .latest_completed_analysis(protocol)
        .expect("read the analyses")
        .expect("a completed analysis");
    let score = |v: Option<f64>| format!("{:.1}", v.expect("a score"));
    (score(analysis.overall_score), score(analysis.spirit_score))
}

/// An item's verdict in the protocol's latest analysis, as reports label it.
pub fn verdict_label(s: &Sandbox, protocol: &str, item: &str) -> &'static str {
    let out = s.ok(&["checklist", protocol, "--json"]);
    let items: serde_json::Value = serde_json::from_str(&out).expect("checklist json");
    let status = items
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["guideline"] == "SPIRIT 2013" && i["item"] == item)
        .and_then(|i| i["status"].as_str())
        .expect("the item")
        .replace('_', " ");
    protoscribe::export::status_label(&status)
}

/// A real protocol in `shared/protocols`, beside the repository (CI lays
/// shared/ there too); a missing file fails the test.
pub fn nih(name: &str) -> String {
    let path = format!("{}/../shared/protocols/{name}", env!("CARGO_MANIFEST_DIR"));
    assert!(
        std::path::Path::new(&path).is_file(),
        "{path} is missing: the NIH protocols live in shared/protocols beside the repository"
    );
    path
}
pub mod ledger;
pub mod postgres;
pub mod relay;
