//! `protoscribe db copy` through the real binary, between SQLite files and
//! a real PostgreSQL 15: the demo store there and back with identical
//! checksums, a non-empty target refused unless --force, a source row that
//! cannot be copied leaving the target as it was, and no password in any
//! output.

mod common;

use common::postgres::fresh_database;
use common::{Sandbox, assert_error};
use serde_json::Value;

fn sums(out: &str) -> Vec<(String, u64, String)> {
    let v: Value = serde_json::from_str(out).expect("JSON");
    assert_eq!(v["verified"], true, "{v}");
    v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["table"].as_str().unwrap().to_owned(),
                t["rows"].as_u64().unwrap(),
                t["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_demo_store_goes_to_postgres_and_back_unchanged() {
    let s = Sandbox::new();
    s.ok(&["demo"]);
    // A decision and a carried-over analysis, so superseded links and
    // revisions travel too.
    let id = s.ok(&["list", "--json"]);
    let id = serde_json::from_str::<Value>(&id).unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    s.ok(&["analyze", &id]);
    // Text that COPY's format must escape: tabs, carriage returns, lone
    // backslashes, its own NULL marker, and non-ASCII.
    let hostile = s.write(
        "hostile.txt",
        "# Trial of \\N and \\\\ backslashes\n\ncol1\tcol2\r\nline \\N\tend\\\nÄrzte · 雪 \u{1F600}\n",
    );
    s.ok(&["import", hostile.to_str().unwrap()]);
    let url = fresh_database();
    let there = sums(&s.ok(&["db", "copy", "--to", &url, "--json"]));
    assert!(
        there.iter().any(|(t, n, _)| t == "suggestions" && *n > 50),
        "{there:?}"
    );
    let back = s.path("back.db");
    let back_sums = sums(&s.ok(&[
        "db",
        "copy",
        "--from",
        &url,
        "--to",
        back.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(there, back_sums);
    // The copy is a working store: its check passes and it lists the same.
    let listed = |db: &str| {
        let out = std::process::Command::new(common::BIN)
            .args(["--db", db, "list", "--json"])
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(
        listed(s.db().to_str().unwrap()),
        listed(back.to_str().unwrap())
    );
    let check = std::process::Command::new(common::BIN)
        .args(["--db", back.to_str().unwrap(), "db", "check"])
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");
}

#[test]
fn a_target_that_holds_protocols_is_refused_unless_forced() {
    let s = Sandbox::new();
    s.ok(&["demo"]);
    let url = fresh_database();
    s.ok(&["db", "copy", "--to", &url]);
    let again = s.run(&["db", "copy", "--to", &url]);
    assert_error(&again, "already holds 3 protocols");
    assert_error(&again, "--force");
    let forced = sums(&s.ok(&["db", "copy", "--to", &url, "--force", "--json"]));
    assert_eq!(forced.iter().find(|t| t.0 == "protocols").unwrap().1, 3);
}

/// A time that is not one, written straight into the store file: a row
/// the copy cannot carry.
fn spoil_one_row(s: &Sandbox) {
    rusqlite::Connection::open(s.db())
        .unwrap()
        .execute(
            "UPDATE analyses SET completed_at = 'yesterday' WHERE rowid = 1",
            [],
        )
        .unwrap();
}

#[test]
fn a_row_that_cannot_be_copied_leaves_the_target_as_it_was() {
    let s = Sandbox::new();
    s.ok(&["demo"]);
    spoil_one_row(&s);
    let url = fresh_database();
    let out = s.run(&["db", "copy", "--to", &url]);
    assert_error(
        &out,
        "analyses.completed_at holds a time that is not ISO-8601",
    );
    let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let protocols: i64 = client
        .query_one("SELECT count(*) FROM protocols", &[])
        .unwrap()
        .get(0);
    assert_eq!(protocols, 0, "nothing half-copied");
}

#[test]
fn the_password_shows_nowhere() {
    let s = Sandbox::new();
    s.ok(&["demo"]);
    let url = fresh_database();
    let password = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('@'))
        .and_then(|(userinfo, _)| userinfo.split_once(':'))
        .map(|(_, p)| p.to_owned())
        .expect("the test server's URL has a password");
    let ok = s.ok(&["db", "copy", "--to", &url]);
    assert!(!ok.contains(&password) && ok.contains(":***@"), "{ok}");
    let wrong = url.replace(&password, "not-the-password");
    let out = s.run(&["db", "copy", "--to", &wrong, "--force"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        !stderr.contains("not-the-password") && !stderr.contains(&password),
        "{stderr}"
    );
    assert!(stderr.contains("refused user"), "{stderr}");
}

#[test]
fn from_defaults_to_the_store_db_names_on_either_backend() {
    let s = Sandbox::sqlite();
    s.ok(&["demo"]);
    let url = fresh_database();
    let there = sums(&s.ok(&["db", "copy", "--to", &url, "--json"]));
    // --db a URL and no --from: the PostgreSQL store is the source.
    let back = s.path("back.db");
    let out = std::process::Command::new(common::BIN)
        .args(["--db", &url, "db", "copy", "--to"])
        .arg(&back)
        .arg("--json")
        .env_remove("PROTOSCRIBE_DB")
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert_eq!(there, sums(&String::from_utf8_lossy(&out.stdout)));
}

#[test]
fn a_failed_copy_leaves_no_store_file_it_made() {
    let s = Sandbox::sqlite();
    s.ok(&["demo"]);
    spoil_one_row(&s);
    let target = s.path("copy.db");
    let out = s.run(&["db", "copy", "--to", target.to_str().unwrap()]);
    assert_error(&out, "not ISO-8601");
    for suffix in ["", "-wal", "-shm"] {
        let mut name = target.clone().into_os_string();
        name.push(suffix);
        assert!(
            !std::path::Path::new(&name).exists(),
            "{name:?} left behind"
        );
    }
}

#[test]
fn a_store_from_an_older_protoscribe_is_upgraded_then_copied() {
    // Moving a store to PostgreSQL is often the first thing done with it
    // after an upgrade: the copy brings it up to date as any command would.
    let s = Sandbox::sqlite();
    let old = s.path("old.db");
    {
        let mut conn = rusqlite::Connection::open(&old).unwrap();
        protoscribe::store::migrate::migrate_to(&mut conn, 6).unwrap();
        conn.execute_batch(
            "INSERT INTO protocols (id, title, content, status, created_at)
             VALUES ('proto_0000000000000001', 'Old trial', 'text', 'ready', '2020-01-01T00:00:00.000000Z');
             INSERT INTO analyses (id, protocol_id, provider, status, overall_score, created_at, latency_ms)
             VALUES ('analysis_0000000000000001', 'proto_0000000000000001', 'builtin', 'completed', 64.5,
                     '2020-01-01T00:00:00.000000Z', 120);",
        )
        .unwrap();
    }
    let copied = s.path("copied.db");
    let out = s.ok(&[
        "db",
        "copy",
        "--from",
        old.to_str().unwrap(),
        "--to",
        copied.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(sums(&out).iter().find(|t| t.0 == "analyses").unwrap().1, 1);
    let providers = common::open_store(&copied).dashboard(30).unwrap().providers;
    assert_eq!(providers.len(), 1);
    assert_eq!(providers[0].median_latency_ms, Some(120));
    assert_eq!(providers[0].avg_overall_score, 64.5);
}
