//! Everything that can change the interface's state. Keys, the clock and
//! the worker only produce actions; `update` is the only place they act.

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
}

/// Things that happen without a key.
#[derive(Debug)]
pub enum Event {
    Key(Action),
    /// Another process (or connection) changed the store.
    StoreChanged,
    /// The worker finished an analysis.
    Analysed {
        protocol_id: String,
        result: Result<Box<Outcome>, String>,
    },
    /// The worker finished an import: the new protocol's id, or why not.
    Imported(Result<String, String>),
    Resized,
}
