//! Slow work off the interface's thread: analyses, imports and applies
//! run here, on a pooled connection of their own, and report back as
//! events. One at a time.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use super::action::{AnalyseJob, Event, ImportReport};
use crate::analysis::GuidelineChoice;
use crate::jobs::analyze::{self, Options, Request};
use crate::jobs::apply::{self, ApplyOptions};
use crate::jobs::import::{ImportOptions, Outcome, import_file};
use crate::providers::Config;
use crate::providers::grounded::Progress;
use crate::store::Store;

pub enum Job {
    Analyse(AnalyseJob),
    Import(PathBuf),
    Apply {
        protocol_id: String,
        allow_placeholders: bool,
    },
}

pub struct Worker {
    requests: Sender<Job>,
}

fn import(store: &Store, path: &std::path::Path) -> Result<ImportReport, String> {
    let options = ImportOptions {
        title: None,
        description: None,
        force: false,
    };
    Ok(
        match import_file(store, path, crate::ingest::DEFAULT_MAX_BYTES, &options)
            .map_err(|e| e.to_string())?
        {
            Outcome::Imported(p) => ImportReport {
                id: p.info.id,
                title: p.info.title,
                already: false,
            },
            Outcome::AlreadyThere(p) => ImportReport {
                id: p.id,
                title: p.title,
                already: true,
            },
        },
    )
}

fn apply(store: &Store, protocol_id: &str, allow_placeholders: bool) -> Result<String, String> {
    let user = crate::jobs::import::current_user();
    let options = ApplyOptions {
        summary: None,
        user: user.as_deref(),
        allow_placeholders,
    };
    let applied = apply::run(store, protocol_id, &options).map_err(|e| match e {
        apply::ApplyError::NothingToApply(_) => {
            "Nothing new to apply: accept or modify suggestions first (each is applied once)"
                .to_owned()
        }
        apply::ApplyError::NotAnalysed(_) => "Not analysed yet: press A first".to_owned(),
        other => other.to_string(),
    })?;
    let n = applied.applied.len();
    Ok(format!(
        "Version {} written with {n} suggestion{}{} · v shows the change",
        applied.version.version_number,
        if n == 1 { "" } else { "s" },
        if applied.skipped.is_empty() {
            String::new()
        } else {
            format!(
                " ({} accepted without text to insert: change those by hand)",
                applied.skipped.len()
            )
        }
    ))
}

/// What analyses on the worker need beyond the store: the configured
/// providers, the cancel flag the interface sets (Esc), and where progress
/// goes.
#[derive(Clone, Default)]
pub struct Setup {
    pub providers: Arc<Config>,
    pub cancel: Arc<AtomicBool>,
    pub events: Option<Sender<Event>>,
}

/// Do one job and say how it went (what tests run to stand in for the
/// worker thread), with no model providers.
pub fn perform(store: &Store, job: Job) -> Event {
    perform_with(store, job, &Setup::default())
}

/// Do one job and say how it went: the worker thread's whole work.
pub fn perform_with(store: &Store, job: Job, setup: &Setup) -> Event {
    match job {
        Job::Analyse(job) => {
            let protocol_id = job.protocol_id.clone();
            let progress = setup.events.clone().map(|events| {
                let events = std::sync::Mutex::new(events);
                Arc::new(move |p: &Progress| {
                    // Short, so that it fits beside the tabs at 80 columns.
                    let text = format!(
                        "{}/{} sections · {} tok · ${:.4}",
                        p.done,
                        p.total,
                        p.input_tokens + p.output_tokens,
                        p.cost
                    );
                    if let Ok(tx) = events.lock() {
                        let _ = tx.send(Event::AnalysisProgress(text));
                    }
                }) as analyze::ProgressFn
            });
            let request = Request {
                protocol_id: job.protocol_id,
                provider: job.provider,
                guideline: GuidelineChoice::Auto,
                options: Options {
                    config: setup.providers.clone(),
                    allow_remote: job.allow_remote,
                    progress,
                    cancel: setup.cancel.clone(),
                },
            };
            let result = caught(|| {
                analyze::run(store, &request)
                    .map(Box::new)
                    .map_err(|e| e.to_string())
            });
            Event::Analysed {
                protocol_id,
                result,
            }
        }
        Job::Import(path) => Event::Imported(caught(|| import(store, &path))),
        Job::Apply {
            protocol_id,
            allow_placeholders,
        } => Event::Applied(caught(|| apply(store, &protocol_id, allow_placeholders))),
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
    pub fn spawn(store: Store, events: Sender<Event>, mut setup: Setup) -> Worker {
        let (requests, incoming): (Sender<Job>, Receiver<Job>) = channel();
        setup.events = Some(events.clone());
        thread::Builder::new()
            .name("protoscribe-worker".into())
            .spawn(move || {
                for job in incoming {
                    let event = perform_with(&store, job, &setup);
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
