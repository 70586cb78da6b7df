//! What `db exercise` said it did ("try …" before a write, "ok …" after
//! its commit), and the check that a store holds every write it reported
//! done: the crash tests' bookkeeping, for either backend.

use std::collections::HashMap;

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

    /// Every confirmed write is in the store (`status` reads a
    /// suggestion's, `exists` whether a protocol is there); a write in
    /// flight at the kill may or may not be, and is settled to what the
    /// store now says.
    pub fn check(
        &mut self,
        mut status: impl FnMut(&str) -> String,
        mut exists: impl FnMut(&str) -> bool,
    ) {
        for (id, confirmed) in &self.confirmed {
            let stored = status(id);
            let in_flight = self.in_flight.get(id);
            assert!(
                &stored == confirmed || Some(&stored) == in_flight,
                "{id}: stored {stored}, confirmed {confirmed}, in flight {in_flight:?}"
            );
        }
        for id in &self.imports {
            assert!(exists(id), "confirmed import {id} is missing");
        }
        for (id, _) in self.in_flight.drain() {
            let stored = status(&id);
            self.confirmed.insert(id, stored);
        }
    }
}
