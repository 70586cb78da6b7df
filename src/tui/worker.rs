//! Slow work off the interface's thread: analyses and imports run here,
//! on a pooled connection of their own, and report back as events. One at
//! a time.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use super::action::Event;
use crate::analysis::GuidelineChoice;
use crate::jobs::analyze::{self, Request};
use crate::jobs::import::{ImportOptions, Outcome, import_file};
use crate::store::Store;

pub enum Job {
    Analyse(String),
    Import(PathBuf),
}

pub struct Worker {
    requests: Sender<Job>,
}

fn import(store: &Store, path: &std::path::Path) -> Result<String, String> {
    let options = ImportOptions {
        title: None,
        description: None,
        force: false,
    };
    match import_file(store, path, crate::ingest::DEFAULT_MAX_BYTES, &options)
        .map_err(|e| e.to_string())?
    {
        Outcome::Imported(p) => Ok(p.info.id),
        Outcome::AlreadyThere(p) => Ok(p.id),
    }
}

/// A job that panics reports it as its error (and in the log) instead of
/// ending the worker.
fn caught<T>(job: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    crate::panics::catch(job).unwrap_or_else(|what| {
        super::log::error(&format!("worker stopped unexpectedly: {what}"));
        Err(format!("stopped unexpectedly ({what}); details in the log"))
    })
}

impl Worker {
    pub fn spawn(store: Store, events: Sender<Event>) -> Worker {
        let (requests, incoming): (Sender<Job>, Receiver<Job>) = channel();
        thread::Builder::new()
            .name("protoscribe-worker".into())
            .spawn(move || {
                for job in incoming {
                    let event = match job {
                        Job::Analyse(protocol_id) => {
                            let request = Request {
                                protocol_id: protocol_id.clone(),
                                provider: "builtin".into(),
                                guideline: GuidelineChoice::Auto,
                            };
                            let result = caught(|| {
                                analyze::run(&store, &request)
                                    .map(Box::new)
                                    .map_err(|e| e.to_string())
                            });
                            Event::Analysed {
                                protocol_id,
                                result,
                            }
                        }
                        Job::Import(path) => Event::Imported(caught(|| import(&store, &path))),
                    };
                    // The interface may be gone; then nobody needs the answer.
                    if events.send(event).is_err() {
                        break;
                    }
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| super::log::error(&format!("cannot start the worker: {e}")));
        Worker { requests }
    }

    /// Hand a job over; false if the worker has stopped.
    pub fn run(&self, job: Job) -> bool {
        self.requests.send(job).is_ok()
    }
}
