//! Slow work off the interface's thread: analyses run here, on a pooled
//! connection of their own, and report back as events. One at a time.

use std::sync::mpsc::{Receiver, Sender, channel};
use std::thread;

use super::action::Event;
use crate::analysis::GuidelineChoice;
use crate::jobs::analyze::{self, Request};
use crate::store::Store;

pub struct Worker {
    requests: Sender<String>,
}

impl Worker {
    pub fn spawn(store: Store, events: Sender<Event>) -> Worker {
        let (requests, incoming): (Sender<String>, Receiver<String>) = channel();
        thread::Builder::new()
            .name("protoscribe-worker".into())
            .spawn(move || {
                for protocol_id in incoming {
                    let request = Request {
                        protocol_id: protocol_id.clone(),
                        provider: "builtin".into(),
                        guideline: GuidelineChoice::Auto,
                    };
                    let result = analyze::run(&store, &request)
                        .map(Box::new)
                        .map_err(|e| e.to_string());
                    // The interface may be gone; then nobody needs the answer.
                    if events
                        .send(Event::Analysed {
                            protocol_id,
                            result,
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            })
            .map(|_| ())
            .unwrap_or_else(|e| super::log::error(&format!("cannot start the worker: {e}")));
        Worker { requests }
    }

    /// Ask for an analysis; false if the worker has stopped.
    pub fn analyse(&self, protocol_id: String) -> bool {
        self.requests.send(protocol_id).is_ok()
    }
}
