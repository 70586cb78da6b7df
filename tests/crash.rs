//! Killing ProtoScribe at any moment loses nothing it reported as done and
//! never corrupts the store; several writers at once (and a backup
//! meanwhile) finish without errors and with every decision stored.

mod common;

use std::collections::HashMap;
use std::io::Read;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::Sandbox;

fn analysed() -> Sandbox {
    let s = Sandbox::new();
    s.analyse_fixtures(&["poor-cbt-insomnia.md", "partial-knee-exercise.txt"]);
    s
}

/// What the writers said: per suggestion, the last confirmed status and a
/// status still in flight; confirmed imports.
#[derive(Default)]
struct Ledger {
    confirmed: HashMap<String, String>,
    in_flight: HashMap<String, String>,
    imports: Vec<String>,
}

impl Ledger {
    fn read(&mut self, output: &str) {
        // A line cut off by the kill has no newline; it never counts.
        let complete = match output.rfind('\n') {
            Some(i) => &output[..=i],
            None => "",
        };
        for line in complete.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words.as_slice() {
                ["try", "import", _] => {}
                ["ok", "import", id] => self.imports.push((*id).to_owned()),
                ["try", id, status] => {
                    self.in_flight
                        .insert((*id).to_owned(), (*status).to_owned());
                }
                ["ok", id, status] => {
                    self.in_flight.remove(*id);
                    self.confirmed
                        .insert((*id).to_owned(), (*status).to_owned());
                }
                other => panic!("unexpected line {other:?}"),
            }
        }
    }

    /// Every confirmed write is in the store; a write in flight at the kill
    /// may or may not be.
    fn check(&mut self, s: &Sandbox) {
        let conn = rusqlite::Connection::open(s.db()).unwrap();
        let integrity: String = conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .unwrap();
        assert_eq!(integrity, "ok");
        for (id, status) in &self.confirmed {
            let stored: String = conn
                .query_row("SELECT status FROM suggestions WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .unwrap();
            let in_flight = self.in_flight.get(id);
            assert!(
                &stored == status || Some(&stored) == in_flight,
                "{id}: stored {stored}, confirmed {status}, in flight {in_flight:?}"
            );
        }
        for id in &self.imports {
            let n: i64 = conn
                .query_row("SELECT count(*) FROM protocols WHERE id = ?1", [id], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(n, 1, "confirmed import {id} is missing");
        }
        // Settle what was in flight: it is whatever the store now says.
        for (id, _) in self.in_flight.drain() {
            let stored: String = conn
                .query_row("SELECT status FROM suggestions WHERE id = ?1", [&id], |r| {
                    r.get(0)
                })
                .unwrap();
            self.confirmed.insert(id, stored);
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
        let mut child = s
            .command()
            .args([
                "db",
                "exercise",
                "--iterations",
                "100000",
                "--import-every",
                "7",
                "--seed",
                &seed.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Random moments: from before the store is open to deep in the loop.
        let wait = 2 + (seed * 7919 % 60);
        std::thread::sleep(Duration::from_millis(wait));
        child.kill().unwrap();
        let _ = child.wait();
        let mut output = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut output)
            .unwrap();
        ledger.read(&output);
        ledger.check(&s);
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
    ledger.check(&s);
    s.ok(&["db", "check"]);
}
