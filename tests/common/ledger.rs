//! What `db exercise` said it did ("try …" before a write, "ok …" after
//! its commit), and the check that a store holds every write it reported
//! done: the crash tests' bookkeeping, for either backend.

use std::collections::HashMap;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

/// What the check reads of a store: a suggestion's status, whether a
/// protocol is there.
pub trait Stored {
    fn status(&mut self, suggestion: &str) -> String;
    fn has_protocol(&mut self, id: &str) -> bool;
}

impl Stored for rusqlite::Connection {
    fn status(&mut self, suggestion: &str) -> String {
        self.query_row(
            "SELECT status FROM suggestions WHERE id = ?1",
            [suggestion],
            |r| r.get(0),
        )
        .unwrap()
    }
    fn has_protocol(&mut self, id: &str) -> bool {
        self.query_row("SELECT count(*) FROM protocols WHERE id = ?1", [id], |r| {
            r.get::<_, i64>(0)
        })
        .unwrap()
            == 1
    }
}

impl Stored for postgres::Client {
    fn status(&mut self, suggestion: &str) -> String {
        self.query_one(
            "SELECT status FROM suggestions WHERE id = $1",
            &[&suggestion],
        )
        .unwrap()
        .get(0)
    }
    fn has_protocol(&mut self, id: &str) -> bool {
        self.query_one("SELECT count(*) FROM protocols WHERE id = $1", &[&id])
            .unwrap()
            .get::<_, i64>(0)
            == 1
    }
}

/// Start `command` (a `db exercise`), kill it with SIGKILL after `after`,
/// and return what it printed by then.
pub fn run_and_kill(command: &mut Command, after: Duration) -> String {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    child.kill().unwrap();
    let _ = child.wait();
    let mut output = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    output
}

/// Per suggestion, the last confirmed status and a status still in
/// flight; confirmed imports.
#[derive(Default)]
pub struct Ledger {
    pub confirmed: HashMap<String, String>,
    pub in_flight: HashMap<String, String>,
    pub imports: Vec<String>,
}

impl Ledger {
    pub fn read(&mut self, output: &str) {
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

    /// Every confirmed write is in the store; a write in flight at the
    /// kill may or may not be, and is settled to what the store now says.
    pub fn check(&mut self, store: &mut impl Stored) {
        for (id, confirmed) in &self.confirmed {
            let stored = store.status(id);
            let in_flight = self.in_flight.get(id);
            assert!(
                &stored == confirmed || Some(&stored) == in_flight,
                "{id}: stored {stored}, confirmed {confirmed}, in flight {in_flight:?}"
            );
        }
        for id in &self.imports {
            assert!(store.has_protocol(id), "confirmed import {id} is missing");
        }
        for (id, _) in self.in_flight.drain() {
            let stored = store.status(&id);
            self.confirmed.insert(id, stored);
        }
    }
}
