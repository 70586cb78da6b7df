//! Killing ProtoScribe at any moment loses nothing it reported as done and
//! never corrupts the store; several writers at once (and a backup
//! meanwhile) finish without errors and with every decision stored.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::ledger::{Ledger, run_and_kill};
use common::{Backend, Sandbox};

fn analysed() -> Sandbox {
    let s = Sandbox::new();
    s.analyse_fixtures(&["poor-cbt-insomnia.md", "partial-knee-exercise.txt"]);
    s
}

fn check(ledger: &mut Ledger, s: &Sandbox) {
    match s.backend() {
        Backend::Sqlite => {
            let mut conn = rusqlite::Connection::open(s.db()).unwrap();
            let integrity: String = conn
                .query_row("PRAGMA integrity_check", [], |r| r.get(0))
                .unwrap();
            assert_eq!(integrity, "ok");
            ledger.check(&mut conn);
        }
        Backend::Postgres => {
            // The server keeps its own pages sound; what is checked is
            // that every confirmed write is there.
            let url = s.db().to_str().unwrap().to_owned();
            let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
            ledger.check(&mut client);
        }
    }
}

#[test]
fn sigkill_at_random_moments_loses_nothing_reported_and_never_corrupts() {
    let s = analysed();
    let mut ledger = Ledger::default();
    let mut kills = 0;
    let mut seed = 0u64;
    let started = Instant::now();
    // Hundreds of kills, bounded in time for CI.
    while kills < 300 && started.elapsed() < Duration::from_secs(60) {
        seed += 1;
        // Random moments: from before the store is open to deep in the loop.
        let output = run_and_kill(
            s.command().args([
                "db",
                "exercise",
                "--iterations",
                "100000",
                "--import-every",
                "7",
                "--seed",
                &seed.to_string(),
            ]),
            Duration::from_millis(2 + (seed * 7919 % 60)),
        );
        ledger.read(&output);
        check(&mut ledger, &s);
        kills += 1;
    }
    assert!(kills >= 100, "only {kills} kills in the time allowed");
    assert!(
        ledger.confirmed.len() > 20,
        "the writers got little done: {}",
        ledger.confirmed.len()
    );
    eprintln!(
        "{kills} kills, {} suggestions and {} imports confirmed",
        ledger.confirmed.len(),
        ledger.imports.len()
    );
    s.ok(&["db", "check"]);
}

#[test]
fn several_writers_and_a_backup_at_once_all_succeed() {
    let s = analysed();
    let writers: Vec<_> = (0..4)
        .map(|k| {
            s.command()
                .args([
                    "db",
                    "exercise",
                    "--iterations",
                    "300",
                    "--import-every",
                    "25",
                    "--partition",
                    &format!("{k}/4"),
                    "--seed",
                    &(k + 10).to_string(),
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let backup = s.run(&["backup"]);
    assert!(backup.status.success(), "{}", common::stderr(&backup));
    let mut ledger = Ledger::default();
    for w in writers {
        let out = w.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() && err.is_empty(),
            "writer failed: {err}"
        );
        ledger.read(&String::from_utf8_lossy(&out.stdout));
    }
    assert!(ledger.in_flight.is_empty());
    assert!(ledger.confirmed.len() > 40);
    check(&mut ledger, &s);
    s.ok(&["db", "check"]);
}
