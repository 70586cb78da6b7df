//! The real binary on a PostgreSQL store chosen by URL: every command a
//! reviewer uses works, and gives output of the same shape as on SQLite
//! (the same lines, headers and JSON fields; only ids and times differ).
//! Also: another process's decision reaches the interface's watch within a
//! second, and a wrong password or an unreachable server is one line that
//! never shows the password.

mod common;

use std::process::{Command, Output};

use common::postgres::fresh_database;
use common::{BIN, FIXTURES, Sandbox, assert_error, stderr};
use serde_json::Value;

/// Where a session runs: the `--db` value (a SQLite file or a URL) and a
/// folder for files.
struct Place {
    db: String,
    dir: tempfile::TempDir,
}

impl Place {
    fn sqlite() -> Place {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("store.db").to_str().unwrap().to_owned();
        Place { db, dir }
    }

    fn postgres() -> Place {
        Place {
            db: fresh_database(),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--db")
            .arg(&self.db)
            .current_dir(self.dir.path())
            .env_remove("PROTOSCRIBE_DB")
            .env_remove("DATABASE_URL")
            .env("HOME", self.dir.path())
            .env("NO_COLOR", "1")
            .env("PROTOSCRIBE_BACKUP_HOURS", "0");
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "protoscribe {args:?} on {} failed: {}",
            self.db,
            stderr(&out)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Import one of tests/fixtures; its protocol id.
    fn import(&self, fixture: &str) -> String {
        self.ok(&["import", &format!("{FIXTURES}/{fixture}")])
            .trim()
            .to_owned()
    }
}

/// What a session's outputs look like, without ids and times: each
/// command's line count and first line (its header), JSON as its length
/// and the fields of its first element.
fn shape(text: &str) -> String {
    if let Ok(value) = serde_json::from_str::<Value>(text) {
        return match &value {
            Value::Array(items) => format!(
                "json array of {} with fields {:?}",
                items.len(),
                items
                    .first()
                    .and_then(Value::as_object)
                    .map(|o| o.keys().cloned().collect::<Vec<_>>())
            ),
            Value::Object(o) => format!("json object {:?}", o.keys().collect::<Vec<_>>()),
            other => format!("json {other}"),
        };
    }
    let first = text.lines().next().unwrap_or("");
    // Headers are fixed text; data lines hold ids and times, so only
    // their count is compared.
    let header = if first.starts_with("ID ") { first } else { "" };
    format!("{} lines {header}", text.lines().count())
}

const HOSTILE: [&str; 5] = [
    "\"unbalanced",
    "vitamin OR",
    "-",
    "'; DROP TABLE protocols; --",
    "vitamin",
];

/// Every command a reviewer uses, in order; returns each one's shape.
fn session(place: &Place) -> Vec<(String, String)> {
    let mut shapes = Vec::new();
    let mut keep = |what: &str, text: &str| shapes.push((what.to_owned(), shape(text)));

    let id = place.import("complete-vitamin-d.md");
    assert!(id.starts_with("proto_"), "{id}");
    let other = place.import("poor-cbt-insomnia.md");

    let analysed = place.ok(&["analyze", "--all"]);
    assert!(analysed.contains("overall"), "{analysed}");
    keep("analyze", &analysed);
    keep("checklist", &place.ok(&["checklist", &id, "--json"]));

    let queue: Value = serde_json::from_str(&place.ok(&["suggestions", &other, "--json"])).unwrap();
    let ids: Vec<String> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.len() >= 3, "{queue}");
    keep("suggestions", &place.ok(&["suggestions", &other]));
    keep("accept", &place.ok(&["review", &ids[0], "accept"]));
    keep("reject", &place.ok(&["review", &ids[1], "reject"]));
    keep(
        "comment",
        &place.ok(&["review", &ids[2], "accept", "--comment", "checked"]),
    );
    let after: Value = serde_json::from_str(&place.ok(&["suggestions", &other, "--json"])).unwrap();
    let status_of = |id: &str| {
        after
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["status"].as_str().unwrap_or("").to_owned())
    };
    assert_eq!(status_of(&ids[0]).as_deref(), Some("accepted"));
    assert_eq!(status_of(&ids[1]).as_deref(), Some("rejected"));

    let applied = place.ok(&["apply", &other, "--allow-placeholders"]);
    assert!(applied.contains("version 2"), "{applied}");
    keep("apply", &applied);
    keep("versions", &place.ok(&["versions", &other]));
    let diff = place.ok(&["diff", &other]);
    assert!(diff.starts_with("--- version 1"), "{diff}");

    let report = place.dir.path().join("report.md");
    keep(
        "export",
        &place.ok(&[
            "export",
            &other,
            "--format",
            "markdown",
            "-o",
            report.to_str().unwrap(),
        ]),
    );
    assert!(std::fs::metadata(&report).unwrap().len() > 0);
    keep("exports", &place.ok(&["exports"]));

    keep("list", &place.ok(&["list"]));
    for query in HOSTILE {
        keep(query, &place.ok(&["list", "--search", query]));
    }
    keep("list --json", &place.ok(&["list", "--json"]));
    keep("show", &place.ok(&["show", &id]));
    keep("dashboard", &place.ok(&["dashboard"]));
    let status = place.ok(&["db", "status"]);
    assert!(status.contains("schema    version"), "{status}");
    // A log and journal of its own only where the store is a file.
    assert_eq!(
        status.contains("write-ahead log"),
        !place.db.starts_with("postgres"),
        "{status}"
    );
    keep("db status", &status);
    let check = place.ok(&["db", "check"]);
    assert!(
        check.contains(": ok (") && check.contains("2 protocols"),
        "{check}"
    );

    let deleted = place.ok(&["delete", &id]);
    assert!(deleted.starts_with(&format!("deleted {id}")), "{deleted}");
    keep("delete", &deleted);
    keep("list after delete", &place.ok(&["list"]));
    shapes
}

#[test]
fn every_command_works_on_postgresql_as_on_sqlite() {
    let on_sqlite = session(&Place::sqlite());
    let on_postgres = session(&Place::postgres());
    for (s, p) in on_sqlite.iter().zip(&on_postgres) {
        assert_eq!(s, p, "{} differs between SQLite and PostgreSQL", s.0);
    }
    assert_eq!(on_sqlite.len(), on_postgres.len());
}

#[test]
fn the_database_url_environment_variable_selects_postgresql() {
    let url = fresh_database();
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(BIN)
            .current_dir(dir.path())
            .env_remove("PROTOSCRIBE_DB")
            .env("DATABASE_URL", &url)
            .env("HOME", dir.path())
            .env("PROTOSCRIBE_BACKUP_HOURS", "0")
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&["import", &format!("{FIXTURES}/poor-cbt-insomnia.md")]);
    assert!(out.status.success(), "{}", stderr(&out));
    let listed = String::from_utf8(run(&["list"]).stdout).unwrap();
    assert!(listed.contains("Online CBT-I for insomnia"), "{listed}");
    // Nothing was written beside it: the store is the server's.
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn another_process_decision_reaches_the_watch_within_a_second() {
    let place = Place::postgres();
    let id = place.import("poor-cbt-insomnia.md");
    place.ok(&["analyze", &id]);
    let queue: Value = serde_json::from_str(&place.ok(&["suggestions", &id, "--json"])).unwrap();
    let first = queue[0]["id"].as_str().unwrap().to_owned();

    let store = protoscribe::store::Store::open(std::path::Path::new(&place.db)).unwrap();
    let mut watch = store.watch().unwrap();
    assert!(!watch.changed().unwrap(), "nothing changed yet");
    place.ok(&["review", &first, "accept"]);
    let start = std::time::Instant::now();
    let mut seen = false;
    while start.elapsed() < std::time::Duration::from_secs(1) {
        if watch.changed().unwrap() {
            seen = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(seen, "the decision was not seen within a second");
    assert_eq!(
        store.suggestion(&first).unwrap().status,
        protoscribe::store::SuggestionStatus::Accepted
    );
}

#[test]
fn a_wrong_password_or_an_unreachable_server_is_one_line_without_the_password() {
    let url = fresh_database();
    let (head, tail) = url.rsplit_once('@').unwrap();
    let user = head.rsplit_once(':').unwrap().0;
    let wrong = format!("{user}:Wr0ng-Secret-9@{tail}");
    let unreachable = "postgres://ana:Wr0ng-Secret-9@127.0.0.1:1/trials".to_owned();
    let s = Sandbox::new();
    let fixture = format!("{FIXTURES}/poor-cbt-insomnia.md");
    for (db, said) in [
        (wrong, "check the password"),
        (unreachable, "cannot reach PostgreSQL"),
    ] {
        for args in [vec!["list"], vec!["db", "status"], vec!["import", &fixture]] {
            let out = Command::new(BIN)
                .current_dir(s.dir.path())
                .env_remove("PROTOSCRIBE_DB")
                .env_remove("DATABASE_URL")
                .env("PROTOSCRIBE_BACKUP_HOURS", "0")
                .arg("--db")
                .arg(&db)
                .args(&args)
                .output()
                .unwrap();
            let err = stderr(&out);
            assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
            assert!(err.contains(said), "{args:?}: {err}");
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                !err.contains("Wr0ng-Secret-9") && !stdout.contains("Wr0ng-Secret-9"),
                "{err}{stdout}"
            );
        }
    }
}

#[test]
fn backup_and_restore_on_postgresql_use_a_verified_dump() {
    let place = Place::postgres();
    let id = place.import("poor-cbt-insomnia.md");
    let dir = place.dir.path().join("backups");
    let said = place.ok(&["backup", "--dir", dir.to_str().unwrap()]);
    let dump = said.split(" (").next().unwrap().to_owned();
    assert!(
        dump.ends_with(".pgdump") && said.contains("verified"),
        "{said}"
    );
    assert!(!said.contains(&place.db), "the password stays out: {said}");
    place.ok(&["delete", &id]);
    let out = place.run(&["restore", &dump]);
    assert_eq!(out.status.code(), Some(1), "asks for --yes off a terminal");
    place.ok(&["restore", &dump, "--yes"]);
    assert!(place.ok(&["list"]).contains(&id));
}

/// PostgreSQL's `name` tool, as ProtoScribe finds it (PATH, then
/// Debian's versioned folders).
fn real_tool(name: &str) -> std::path::PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .chain(
            std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path().join("bin").join(name)),
        )
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed"))
}

/// A PATH whose `pg_dump` is `script` (a shell script), ahead of the
/// real tools.
fn stand_in_pg_dump(s: &Sandbox, script: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let tools = s.path("stand-in-tools");
    std::fs::create_dir_all(&tools).unwrap();
    let wrapper = tools.join("pg_dump");
    std::fs::write(&wrapper, format!("#!/bin/sh\n{script}")).unwrap();
    std::fs::set_permissions(&wrapper, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!(
        "{}:{}",
        tools.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

#[test]
fn a_decision_made_while_a_restore_keeps_its_copy_is_not_lost() {
    let s = Sandbox::on(common::Backend::Postgres);
    s.analyse_fixtures(&["poor-cbt-insomnia.md"]);
    let said = s.ok(&["backup", "--dir", s.path("backups").to_str().unwrap()]);
    let backup = said.split(" (").next().unwrap().to_owned();
    let id = s.store().suggestion_ids().unwrap()[0].clone();
    // A pg_dump that takes its snapshot at once, then dawdles: the time
    // between the copy a restore keeps and the replacement, made wide.
    let dumped = s.path("dumped");
    let path = stand_in_pg_dump(
        &s,
        &format!(
            "'{}' \"$@\" || exit $?\ntouch '{}'\nsleep 2\n",
            real_tool("pg_dump").display(),
            dumped.display()
        ),
    );
    let restore = s
        .command()
        .env("PATH", path)
        .args(["restore", &backup, "--yes"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !dumped.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the copy was never kept"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    // Decided after the copy's snapshot, before the replacement.
    s.ok(&["review", &id, "accept"]);
    let out = restore.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let kept = stdout
        .trim()
        .split_once("the replaced store is kept at ")
        .map(|(_, k)| k.to_owned())
        .unwrap_or_else(|| panic!("no kept copy named: {stdout}"));
    let status_in = |db: &std::path::Path| common::open_store(db).suggestion(&id).unwrap().status;
    let scratch = Sandbox::on(common::Backend::Postgres);
    scratch.ok(&["restore", &kept, "--yes"]);
    let accepted = protoscribe::store::SuggestionStatus::Accepted;
    assert!(
        status_in(&s.db()) == accepted || status_in(&scratch.db()) == accepted,
        "the confirmed decision is neither in the restored store nor in the copy kept of the replaced one"
    );
}

#[test]
fn four_writers_and_a_reader_on_postgresql_never_lose_a_decision() {
    use protoscribe::store::suggestions::{Expect, Verb};
    use protoscribe::store::{Page, Store, StoreError, suggestions::SuggestionFilter};
    let place = Place::postgres();
    let id = place.import("poor-cbt-insomnia.md");
    place.ok(&["analyze", &id]);
    let store = Store::open(std::path::Path::new(&place.db)).unwrap();
    let all = store
        .suggestions(&SuggestionFilter::default(), Page::first(1000))
        .unwrap();
    assert!(all.len() >= 8, "{}", all.len());

    // Two screens decide on one suggestion from the same revision: one
    // wins, the other is told it changed; never both silently.
    let contested = all[0].clone();
    let outcomes: Vec<_> = std::thread::scope(|scope| {
        let handles: Vec<_> = [Verb::Accept, Verb::Reject]
            .into_iter()
            .map(|verb| {
                let store = store.clone();
                let id = contested.id.clone();
                let revision = contested.revision;
                scope.spawn(move || store.review(&id, &verb, None, Expect::Revision(revision)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert!(
        outcomes
            .iter()
            .any(|o| matches!(o, Err(StoreError::Changed { .. }))),
        "{outcomes:?}"
    );

    // Four writers on their own suggestions and a reader, at once.
    let rest = &all[1..];
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(|| {
            let mut reads = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                store.dashboard(30).unwrap();
                reads += 1;
            }
            reads
        });
        let writers: Vec<_> = (0..4)
            .map(|k| {
                let store = store.clone();
                scope.spawn(move || {
                    for s in rest.iter().skip(k).step_by(4) {
                        store
                            .review(&s.id, &Verb::Accept, None, Expect::Revision(s.revision))
                            .unwrap();
                    }
                })
            })
            .collect();
        for w in writers {
            w.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    });
    let tally = store.review_tally().unwrap();
    assert_eq!(tally.counted, tally.current);
    let progress = store.dashboard(30).unwrap().review;
    assert_eq!(progress.pending, 0, "{progress:?}");
    assert_eq!(progress.accepted + progress.rejected, all.len() as u64);
    let check = place.ok(&["db", "check"]);
    assert!(check.contains(": ok ("), "{check}");
}

#[test]
fn db_exercise_runs_on_postgresql_and_db_synth_says_to_copy_instead() {
    let place = Place::postgres();
    place.ok(&["import", &format!("{FIXTURES}/poor-cbt-insomnia.md")]);
    place.ok(&["analyze", "--all"]);
    let out = place.ok(&["db", "exercise", "--iterations", "5", "--import-every", "2"]);
    assert!(out.lines().any(|l| l.starts_with("ok ")), "{out}");
    place.ok(&["db", "check"]);

    let out = place.run(&["db", "synth", "--protocols", "2"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("db copy"), "{err}");
}

#[test]
fn a_killed_backup_takes_its_pg_dump_with_it() {
    let s = Sandbox::on(common::Backend::Postgres);
    s.analyse_fixtures(&["poor-cbt-insomnia.md"]);
    // A pg_dump that says who it is, then takes its time.
    let pid_file = s.path("pg_dump.pid");
    let path = stand_in_pg_dump(
        &s,
        &format!("echo $$ > '{}'\nexec sleep 60\n", pid_file.display()),
    );
    let mut backup = s
        .command()
        .env("PATH", path)
        .args(["backup", "--dir", s.path("backups").to_str().unwrap()])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let pid = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
        {
            break pid;
        }
        assert!(std::time::Instant::now() < deadline, "pg_dump never ran");
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    backup.kill().unwrap();
    backup.wait().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    // SAFETY: signal 0 only asks whether the process exists.
    while unsafe { libc::kill(pid, 0) } == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "pg_dump ({pid}) outlived the backup that started it"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn a_backup_carrying_objects_of_its_own_is_not_restored() {
    // A dump from elsewhere with a table, a function and a trigger that
    // would run on every later decision.
    let evil = Sandbox::on(common::Backend::Postgres);
    evil.analyse_fixtures(&["poor-cbt-insomnia.md"]);
    let mut client =
        postgres::Client::connect(evil.db().to_str().unwrap(), postgres::NoTls).unwrap();
    client
        .batch_execute(
            "CREATE TABLE pwned (t text);
             CREATE FUNCTION spy() RETURNS trigger LANGUAGE plpgsql AS
               $$ BEGIN INSERT INTO pwned VALUES (NEW.id); RETURN NEW; END $$;
             CREATE TRIGGER spy AFTER UPDATE ON suggestions FOR EACH ROW EXECUTE FUNCTION spy();",
        )
        .unwrap();
    let said = evil.ok(&["backup", "--dir", evil.path("backups").to_str().unwrap()]);
    let backup = said.split(" (").next().unwrap().to_owned();

    let victim = Sandbox::on(common::Backend::Postgres);
    victim.analyse_fixtures(&["complete-vitamin-d.md"]);
    let before = victim.ok(&["list", "--json"]);
    let out = victim.run(&["restore", &backup, "--yes"]);
    assert_error(&out, "not restored");
    let err = stderr(&out);
    assert!(
        err.contains("FUNCTION public spy()") && err.contains("TABLE public pwned"),
        "{err}"
    );
    assert_eq!(victim.ok(&["list", "--json"]), before, "nothing changed");
    let mut client =
        postgres::Client::connect(victim.db().to_str().unwrap(), postgres::NoTls).unwrap();
    let planted: i64 = client
        .query_one("SELECT count(*) FROM pg_proc WHERE proname = 'spy'", &[])
        .unwrap()
        .get(0);
    assert_eq!(planted, 0);
}

#[test]
fn a_server_that_takes_the_connection_and_never_answers_is_said_in_one_line() {
    // A stopped or wedged server, or a pooler waiting for one, takes the
    // TCP connection and says nothing: the command must give up and say
    // so, not wait for ever.
    let s = Sandbox::on(common::Backend::Postgres);
    s.ok(&["demo"]);
    let (relay, through) = common::relay::Relay::in_front_of(&s.db().display().to_string());
    relay.go_silent();
    let started = std::time::Instant::now();
    let out = common::output_within(
        std::process::Command::new(common::BIN).args(["--db", &through, "list"]),
        60,
    )
    .expect("the command gave up by itself");
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    common::assert_error(&out, "took the connection but did not answer");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    assert!(!common::stderr(&out).contains(&through[..through.find('@').unwrap()]));
}
