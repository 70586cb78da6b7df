//! Looking for other reviewers' changes, on a thread of its own: a watch
//! that has to reconnect to a PostgreSQL server that does not answer may
//! wait for the connection's whole timeout (10 s for a server that takes
//! the connection and says nothing), and on the screen's thread that froze
//! the interface for as long as the outage lasted, one poll after another.
//! The screen drains the reports when it wakes.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;
use std::time::Duration;

use crate::store::Store;
use crate::store::watch::Watch;

/// How often the watch looks.
pub const INTERVAL: Duration = Duration::from_millis(100);

/// What one look found.
#[derive(Debug, PartialEq, Eq)]
pub enum Report {
    /// The store answered; `changed` when someone else committed since.
    Answered { changed: bool },
    /// It did not: why, in one sentence.
    Unanswered(String),
}

/// Watch the store from now on. `watch` is the one made before the
/// screen's first read (so nothing committed after that read is missed),
/// or None if it could not be made; then it is made here, and its first
/// look reports a change so the screen reads again.
pub fn spawn(store: Store, watch: Option<Watch>) -> Receiver<Report> {
    let (reports, received) = channel();
    thread::Builder::new()
        .name("watcher".into())
        .spawn(move || run(&store, watch, &reports))
        .ok();
    received
}

fn run(store: &Store, mut watch: Option<Watch>, reports: &Sender<Report>) {
    loop {
        thread::sleep(INTERVAL);
        let report = match look(store, &mut watch) {
            Ok(changed) => Report::Answered { changed },
            Err(why) => Report::Unanswered(why),
        };
        if reports.send(report).is_err() {
            // The screen has closed.
            return;
        }
    }
}

fn look(store: &Store, watch: &mut Option<Watch>) -> Result<bool, String> {
    match watch {
        Some(watch) => watch.changed().map_err(|e| e.to_string()),
        None => {
            *watch = Some(store.watch().map_err(|e| e.to_string())?);
            Ok(true)
        }
    }
}
