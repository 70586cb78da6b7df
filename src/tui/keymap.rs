//! The one key table. The event loop looks keys up here, the footer hints
//! and the `?` overlay are generated from it, so they cannot disagree.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;

/// Where a binding applies. Lookups try the most specific context first
/// (see `chain`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Context {
    Global,
    /// Any list pane: protocols, analyses, queue.
    List,
    Queue,
    Help,
    Dashboard,
    Search,
    Import,
    Editor,
    Versions,
    Confirm,
}

impl Context {
    pub fn title(self) -> &'static str {
        match self {
            Context::Global => "Anywhere",
            Context::List => "Lists",
            Context::Queue => "Review queue",
            Context::Help => "Help",
            Context::Dashboard => "Dashboard",
            Context::Search => "Search line",
            Context::Import => "Import line",
            Context::Versions => "Versions",
            Context::Editor => "Editor (modify / comment)",
            Context::Confirm => "Questions",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub ctrl: bool,
}

const fn ch(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: false,
    }
}

const fn ctrl(c: char) -> Key {
    Key {
        code: KeyCode::Char(c),
        ctrl: true,
    }
}

const fn code(code: KeyCode) -> Key {
    Key { code, ctrl: false }
}

impl Key {
    /// Shift is part of the character ('G', '?'), not a separate chord.
    pub fn from_event(event: KeyEvent) -> Key {
        Key {
            code: event.code,
            ctrl: event.modifiers.contains(KeyModifiers::CONTROL),
        }
    }

    pub fn label(self) -> String {
        let base = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "S-Tab".to_owned(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            other => format!("{other:?}"),
        };
        if self.ctrl {
            format!("Ctrl-{base}")
        } else {
            base
        }
    }
}

pub struct Binding {
    pub keys: &'static [Key],
    pub action: Action,
    /// One word for the footer.
    pub short: &'static str,
    /// The help overlay's description.
    pub help: &'static str,
    pub context: Context,
}

const fn bind(
    context: Context,
    keys: &'static [Key],
    action: Action,
    short: &'static str,
    help: &'static str,
) -> Binding {
    Binding {
        keys,
        action,
        short,
        help,
        context,
    }
}

use Context::*;

#[rustfmt::skip]
pub static BINDINGS: &[Binding] = &[
    bind(Global, &[ch('q'), ctrl('c')], Action::Quit, "quit", "quit"),
    bind(Global, &[ch('?')], Action::Help, "help", "this help"),
    bind(Global, &[ch('d')], Action::Dashboard, "dashboard", "dashboard"),
    bind(Global, &[code(KeyCode::Tab)], Action::FocusNext, "next", "next pane"),
    bind(Global, &[code(KeyCode::BackTab)], Action::FocusPrev, "prev", "previous pane"),
    bind(Global, &[ch('1')], Action::FocusProtocols, "protocols", "protocols pane"),
    bind(Global, &[ch('2')], Action::FocusScores, "scores", "scores pane"),
    bind(Global, &[ch('3')], Action::FocusQueue, "review", "review queue pane"),
    bind(Global, &[ch('/')], Action::Search, "search", "search protocols"),
    bind(Global, &[ch('i')], Action::Import, "import", "import a document"),
    bind(Global, &[ch('A')], Action::Analyse, "analyse", "analyse selected protocol"),
    bind(Global, &[ch('p')], Action::CycleProvider, "provider", "provider for A (cycles)"),
    bind(Global, &[ch('P')], Action::ApplyDecisions, "apply", "decisions into new version"),
    bind(Global, &[ch('v')], Action::Versions, "versions", "versions and their diffs"),
    bind(Global, &[ctrl('z')], Action::Suspend, "suspend", "suspend to the shell"),
    bind(List, &[code(KeyCode::Enter)], Action::Open, "open", "open (queue, checklist)"),
    bind(List, &[ch('j'), code(KeyCode::Down)], Action::Down, "down", "down"),
    bind(List, &[ch('k'), code(KeyCode::Up)], Action::Up, "up", "up"),
    bind(List, &[ch('g'), code(KeyCode::Home)], Action::First, "first", "first"),
    bind(List, &[ch('G'), code(KeyCode::End)], Action::Last, "last", "last"),
    bind(List, &[code(KeyCode::PageDown)], Action::PageDown, "page", "page down"),
    bind(List, &[code(KeyCode::PageUp)], Action::PageUp, "page", "page up"),
    bind(List, &[code(KeyCode::Esc)], Action::Back, "back", "back; clear search; cancel"),
    bind(Queue, &[ch('a')], Action::Accept, "accept", "accept (or all marked)"),
    bind(Queue, &[ch('r')], Action::Reject, "reject", "reject (or all marked)"),
    bind(Queue, &[ch('m')], Action::Modify, "modify", "reword what is applied"),
    bind(Queue, &[ch('c')], Action::Comment, "comment", "comment"),
    bind(Queue, &[ch('x')], Action::Pending, "pending", "back to pending"),
    bind(Queue, &[ch('u')], Action::Undo, "undo", "undo the last decision"),
    bind(Queue, &[ch(' ')], Action::Mark, "mark", "mark / unmark"),
    bind(Queue, &[ch('f')], Action::CycleFilter, "filter", "all/pending/critical/high"),
    bind(Queue, &[ch('J')], Action::ScrollDetailDown, "scroll", "scroll the detail down"),
    bind(Queue, &[ch('K')], Action::ScrollDetailUp, "scroll", "scroll the detail up"),
    bind(Help, &[ch('?'), ch('q'), code(KeyCode::Esc)], Action::Close, "close", "close help"),
    bind(Help, &[ctrl('c')], Action::Quit, "quit", "quit"),
    bind(Help, &[ch('j'), code(KeyCode::Down)], Action::ScrollDetailDown, "down", "scroll down"),
    bind(Help, &[ch('k'), code(KeyCode::Up)], Action::ScrollDetailUp, "up", "scroll up"),
    bind(Help, &[code(KeyCode::PageDown), ch(' ')], Action::PageDown, "page", "page down"),
    bind(Help, &[code(KeyCode::PageUp)], Action::PageUp, "page", "page up"),
    bind(Help, &[ch('g'), code(KeyCode::Home)], Action::First, "top", "top"),
    bind(Help, &[ch('G'), code(KeyCode::End)], Action::Last, "end", "end"),
    bind(Dashboard, &[ch('d'), code(KeyCode::Esc)], Action::Close, "back", "back to the review"),
    bind(Search, &[code(KeyCode::Enter)], Action::Apply, "search", "search"),
    bind(Search, &[code(KeyCode::Esc)], Action::Close, "clear", "clear the search"),
    bind(Import, &[code(KeyCode::Enter)], Action::Apply, "import", "import the file"),
    bind(Import, &[code(KeyCode::Tab)], Action::Complete, "complete", "complete the path"),
    bind(Import, &[code(KeyCode::Esc)], Action::Close, "cancel", "cancel"),
    bind(Editor, &[ctrl('s')], Action::Save, "save", "save"),
    bind(Editor, &[code(KeyCode::Esc), ctrl('c')], Action::Close, "cancel", "cancel (asks if changed)"),
    bind(Versions, &[ch('j'), code(KeyCode::Down)], Action::Down, "newer", "select a newer version"),
    bind(Versions, &[ch('k'), code(KeyCode::Up)], Action::Up, "older", "select an older version"),
    bind(Versions, &[ch(' ')], Action::Mark, "compare", "compare with this one"),
    bind(Versions, &[ch('J'), code(KeyCode::PageDown)], Action::ScrollDetailDown, "scroll", "scroll the diff down"),
    bind(Versions, &[ch('K'), code(KeyCode::PageUp)], Action::ScrollDetailUp, "scroll", "scroll the diff up"),
    bind(Versions, &[ch('v'), ch('q'), code(KeyCode::Esc)], Action::Close, "close", "close"),
    bind(Confirm, &[ch('y')], Action::Confirm, "yes", "yes"),
    bind(Confirm, &[ch('n'), code(KeyCode::Esc), ctrl('c')], Action::Close, "no", "no"),
];

/// The contexts a lookup tries, most specific first.
pub fn chain(context: Context) -> &'static [Context] {
    match context {
        Queue => &[Queue, List, Global],
        List => &[List, Global],
        Dashboard => &[Dashboard, Global],
        Global => &[Global],
        Help => &[Help],
        Search => &[Search],
        Import => &[Import],
        Editor => &[Editor],
        Versions => &[Versions],
        Confirm => &[Confirm],
    }
}

pub fn lookup(context: Context, key: Key) -> Option<Action> {
    chain(context).iter().find_map(|ctx| {
        BINDINGS
            .iter()
            .find(|b| b.context == *ctx && b.keys.contains(&key))
            .map(|b| b.action)
    })
}

/// The bindings shown in the footer for a context, most specific first,
/// without those a more specific binding hides (Dashboard's `d` goes back,
/// so the global `d` is not offered there).
pub fn hints(context: Context) -> impl Iterator<Item = &'static Binding> {
    let chain = chain(context);
    chain.iter().enumerate().flat_map(move |(depth, ctx)| {
        BINDINGS.iter().filter(move |b| {
            b.context == *ctx
                && !b.keys.iter().any(|k| {
                    chain[..depth].iter().any(|inner| {
                        BINDINGS
                            .iter()
                            .any(|o| o.context == *inner && o.keys.contains(k))
                    })
                })
        })
    })
}

/// Two actions on one key in one context is a mistake in the table, not a
/// silent win for whichever comes first.
pub fn validate() -> Result<(), String> {
    for (i, a) in BINDINGS.iter().enumerate() {
        for b in &BINDINGS[i + 1..] {
            if a.context == b.context
                && let Some(key) = a.keys.iter().find(|k| b.keys.contains(k))
            {
                return Err(format!(
                    "key {} is bound to both {:?} and {:?} in {:?}",
                    key.label(),
                    a.action,
                    b.action,
                    a.context
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_no_conflicts() {
        assert_eq!(validate(), Ok(()));
    }

    #[test]
    fn help_texts_fit_a_column_of_the_overlay() {
        for b in BINDINGS {
            assert!(b.help.chars().count() <= 26, "{}", b.help);
            assert!(!b.short.contains(' '), "{}", b.short);
        }
    }

    #[test]
    fn every_action_the_interface_offers_has_a_key() {
        // Every action once; the exhaustive match stops this compiling when
        // an action is added without being listed.
        macro_rules! all_actions {
            ($($action:ident),* $(,)?) => {{
                fn listed(action: Action) -> Action {
                    match action {
                        $(Action::$action)|* => action,
                    }
                }
                [$(listed(Action::$action)),*]
            }};
        }
        let all = all_actions![
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
            Import,
            ApplyDecisions,
            Versions,
            ScrollDetailDown,
            ScrollDetailUp,
            Save,
            Apply,
            Confirm,
            CycleProvider,
            Back,
            Complete,
        ];
        for action in all {
            assert!(
                BINDINGS.iter().any(|b| b.action == action),
                "{action:?} has no key"
            );
        }
        assert_eq!(lookup(Queue, ch('P')), Some(Action::ApplyDecisions));
        assert_eq!(lookup(Versions, code(KeyCode::Esc)), Some(Action::Close));
        assert_eq!(lookup(Search, code(KeyCode::Enter)), Some(Action::Apply));
    }

    #[test]
    fn hints_leave_out_keys_a_more_specific_context_takes() {
        let dashboard: Vec<Action> = hints(Dashboard).map(|b| b.action).collect();
        assert!(dashboard.contains(&Action::Close));
        assert!(!dashboard.contains(&Action::Dashboard), "d goes back here");
        assert!(dashboard.contains(&Action::Quit));
    }

    #[test]
    fn vim_and_arrow_keys_both_move() {
        assert_eq!(lookup(Queue, ch('j')), Some(Action::Down));
        assert_eq!(lookup(Queue, code(KeyCode::Down)), Some(Action::Down));
        assert_eq!(lookup(List, ch('a')), None, "accept only in the queue");
        assert_eq!(lookup(Queue, ch('q')), Some(Action::Quit));
        assert_eq!(
            lookup(Editor, ch('q')),
            None,
            "typing q in the editor types q"
        );
    }
}
