//! Everything that can change the interface's state. Keys, the clock and
//! the worker only produce actions; `update` is the only place they act.

use super::app::UndoStep;
use crate::jobs::analyze::Outcome;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Help,
    Dashboard,
    Close,
    Suspend,
    FocusNext,
    FocusPrev,
    FocusProtocols,
    FocusScores,
    FocusQueue,
    Down,
    Up,
    First,
    Last,
    PageDown,
    PageUp,
    Open,
    Accept,
    Reject,
    Modify,
    Comment,
    Pending,
    Undo,
    Mark,
    CycleFilter,
    Search,
    Analyse,
    /// Open the import line.
    Import,
    /// Write the accepted and modified suggestions into a new version.
    ApplyDecisions,
    /// The selected protocol's versions, with the last change as a diff.
    Versions,
    ScrollDetailDown,
    ScrollDetailUp,
    /// In the editor: keep the text.
    Save,
    /// In the search line: apply it.
    Apply,
    /// Answer yes to the question shown.
    Confirm,
    /// Choose the provider `A` analyses with (builtin, then each configured one).
    CycleProvider,
    /// Step back: close an open checklist section, else clear the search.
    Back,
    /// In the import line: complete the path typed so far.
    Complete,
}

/// An analysis for the worker to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnalyseJob {
    pub protocol_id: String,
    pub provider: String,
    /// The reviewer agreed to send this protocol off the machine.
    pub allow_remote: bool,
}

impl AnalyseJob {
    pub fn builtin(protocol_id: &str) -> AnalyseJob {
        AnalyseJob {
            protocol_id: protocol_id.to_owned(),
            provider: "builtin".to_owned(),
            allow_remote: false,
        }
    }
}

/// What the worker's import found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    pub id: String,
    pub title: String,
    /// The same bytes were imported before, as this protocol.
    pub already: bool,
}

/// Things that happen without a key.
#[derive(Debug)]
pub enum Event {
    Key(Action),
    /// Another process (or connection) changed the store.
    StoreChanged,
    /// A model analysis on the worker got this far (sections, tokens, cost).
    AnalysisProgress(String),
    /// The worker finished an analysis.
    Analysed {
        protocol_id: String,
        result: Result<Box<Outcome>, String>,
    },
    /// The worker finished an import, or why not.
    Imported(Result<ImportReport, String>),
    /// The worker wrote decisions into a new version: what it reported.
    Applied(Result<String, String>),
    /// The writer thread wrote the oldest waiting write (its undo steps),
    /// or could not.
    Written(Result<Vec<UndoStep>, WriteFailure>),
    /// The terminal's new size.
    Resized(u16, u16),
}

/// Why a waiting write was not made.
#[derive(Debug, PartialEq, Eq)]
pub enum WriteFailure {
    /// Someone else changed a suggestion first: nothing of the write stands.
    Conflict(String),
    Other(String),
}
