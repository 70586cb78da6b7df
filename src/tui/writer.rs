//! Decisions the interface could not write at once, because another
//! program held the store's write lock, are written here, in the order
//! they were made, on a thread that may wait for the lock as long as it
//! takes. The screen goes on meanwhile; each write reports back.

use std::sync::mpsc::{Sender, channel};
use std::thread;

use super::action::{Event, WriteFailure};
use super::app::{PendingWrite, UndoStep};
use crate::store::api::Revised;
use crate::store::{Store, StoreError};

/// Whether a write waits for another process's write lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lock {
    /// Wait as long as any write would.
    Wait,
    /// `StoreError::Busy` at once if it is taken.
    Try,
}

/// Write every change of `write` (all or nothing), each only if the
/// suggestion is still at the revision the screen showed.
pub fn commit(
    store: &Store,
    write: &PendingWrite,
    lock: Lock,
) -> crate::store::Result<Vec<UndoStep>> {
    let decisions: Vec<Revised<'_>> = write
        .changes
        .iter()
        .map(|c| Revised {
            id: &c.id,
            decision: &c.after,
            revision: c.revision,
        })
        .collect();
    let decided = match lock {
        Lock::Wait => store.decide_all(&decisions)?,
        Lock::Try => store.try_decide_all(&decisions)?,
    };
    Ok(write
        .changes
        .iter()
        .zip(decided)
        .map(|(change, after)| UndoStep {
            id: change.id.clone(),
            before: change.before.clone(),
            revision: after.revision,
        })
        .collect())
}

/// Write with waiting, again and again while the store stays busy, and
/// say how it ended.
pub fn write_waiting(store: &Store, write: &PendingWrite) -> Result<Vec<UndoStep>, WriteFailure> {
    loop {
        match commit(store, write, Lock::Wait) {
            Ok(steps) => return Ok(steps),
            Err(StoreError::Busy) => continue,
            // Nothing was written; the server may come back (a restart):
            // keep the decision and try again, as for a held lock.
            Err(StoreError::Unreachable(why)) => {
                super::log::error(&why);
                std::thread::sleep(std::time::Duration::from_secs(1));
            }
            Err(e) => {
                return Err(match conflict(&e) {
                    Some(message) => WriteFailure::Conflict(message),
                    None => WriteFailure::Other(e.to_string()),
                });
            }
        }
    }
}

/// A write that found the suggestion no longer as the screen showed it,
/// said for a reviewer (who sees titles and rows, not ids).
pub fn conflict(e: &StoreError) -> Option<String> {
    match e {
        StoreError::Changed { status, .. } => Some(format!(
            "someone else decided on this suggestion meanwhile (now {status}); it is shown as it is now"
        )),
        StoreError::Superseded { .. } => Some(
            "this suggestion was replaced when the protocol was analysed again; decide in the current queue"
                .to_owned(),
        ),
        StoreError::Conflict(message) => Some(message.clone()),
        _ => None,
    }
}

pub struct Writer {
    requests: Sender<PendingWrite>,
}

impl Writer {
    pub fn spawn(store: Store, events: Sender<Event>) -> Writer {
        let (requests, incoming) = channel::<PendingWrite>();
        thread::Builder::new()
            .name("protoscribe-writer".into())
            .spawn(move || {
                for write in incoming {
                    let result = crate::panics::catch(|| write_waiting(&store, &write))
                        .unwrap_or_else(|what| {
                            super::log::error(&format!("writer stopped unexpectedly: {what}"));
                            Err(WriteFailure::Other(format!(
                                "the write stopped unexpectedly ({what}); details in the log"
                            )))
                        });
                    if events.send(Event::Written(result)).is_err() {
                        break;
                    }
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| super::log::error(&format!("cannot start the writer: {e}")));
        Writer { requests }
    }

    /// Hand a write over; false if the writer has stopped.
    pub fn send(&self, write: PendingWrite) -> bool {
        self.requests.send(write).is_ok()
    }
}
