//! The interface's state, and the reads that fill it. Lists hold only a
//! window of rows around the cursor, fetched from the store when the
//! cursor nears its edge, so a store of a million suggestions costs the
//! same as a store of ten.

use std::cell::Cell;
use std::collections::BTreeSet;

use ratatui_textarea::TextArea;
use serde_json::Value;

use super::keymap::Context;
use super::theme::Theme;
use crate::store::analyses::Analysis;
use crate::store::api::ProtocolSummary;
use crate::store::protocols::ProtocolFilter;
use crate::store::stats::{Dashboard, ReviewProgress};
use crate::store::suggestions::{Decision, Lineage, Suggestion, SuggestionFilter};
use crate::store::versions::ProtocolVersion;
use crate::store::{Page, Priority, Result, Store, SuggestionStatus, SuggestionType};

/// Rows fetched at once; far more than any screen shows.
pub const PAGE: u64 = 200;
/// Refetch when the cursor comes this close to the edge of what is loaded.
const MARGIN: u64 = 60;
/// Below this, a notice instead of a squeezed screen, and no key but quit
/// does anything: nobody decides on what they cannot see.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;

/// A window of a long list, and the cursor's absolute position in it.
#[derive(Debug)]
pub struct Paged<T> {
    pub rows: Vec<T>,
    /// Absolute index of `rows[0]`.
    pub offset: u64,
    pub total: u64,
    pub cursor: u64,
}

impl<T> Default for Paged<T> {
    fn default() -> Self {
        Paged {
            rows: Vec::new(),
            offset: 0,
            total: 0,
            cursor: 0,
        }
    }
}

impl<T> Paged<T> {
    pub fn selected(&self) -> Option<&T> {
        let i = self.cursor.checked_sub(self.offset)?;
        self.rows.get(i as usize)
    }

    pub fn selected_mut(&mut self) -> Option<&mut T> {
        let i = self.cursor.checked_sub(self.offset)?;
        self.rows.get_mut(i as usize)
    }

    /// Whether the cursor is near an edge of the loaded window that is not
    /// the list's own edge.
    pub fn needs_fetch(&self) -> bool {
        if self.total == 0 {
            return false;
        }
        let end = self.offset + self.rows.len() as u64;
        if self.cursor < self.offset || self.cursor >= end {
            return true;
        }
        let near_start = self.offset > 0 && self.cursor < self.offset + MARGIN;
        let near_end = end < self.total && self.cursor + MARGIN >= end;
        near_start || near_end
    }

    /// Where the next window should start: the cursor in its middle.
    pub fn window_start(&self) -> u64 {
        self.cursor.saturating_sub(PAGE / 2)
    }

    pub fn move_to(&mut self, cursor: u64) {
        self.cursor = cursor.min(self.total.saturating_sub(1));
    }

    pub fn move_by(&mut self, delta: i64) {
        let target = (self.cursor as i64 + delta).max(0) as u64;
        self.move_to(target);
    }

    /// "12/43": the cursor's place in the whole list.
    pub fn place(&self) -> String {
        if self.total == 0 {
            "0".to_owned()
        } else {
            format!("{}/{}", self.cursor + 1, self.total)
        }
    }
}

/// A row of the protocol list: the protocol, its latest score and pending review.
pub type ProtocolRow = ProtocolSummary;

/// One checklist item's verdict, from the analysis's stored results.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemLine {
    pub guideline: String,
    pub item: String,
    pub title: String,
    pub status: String,
    pub confidence: f64,
    pub quote: Option<String>,
    pub missing: Vec<String>,
    pub reason: Option<String>,
}

impl ItemLine {
    /// `SPIRIT 2013 item 16b`, as suggestions name their item.
    pub fn reference(&self) -> String {
        format!("{} item {}", self.guideline, self.item)
    }
}

/// One line of the per-section breakdown, with its items.
#[derive(Clone, Debug, PartialEq)]
pub struct SectionTally {
    pub guideline: String,
    pub section: String,
    pub addressed: u32,
    pub partial: u32,
    pub missing: u32,
    pub items: Vec<ItemLine>,
}

/// The selected protocol's latest completed analysis.
#[derive(Debug)]
pub struct AnalysisView {
    pub analysis: Analysis,
    /// Earlier analyses, newest first, without their results.
    pub history: Vec<Analysis>,
    pub sections: Vec<SectionTally>,
    pub progress: ReviewProgress,
    /// How its suggestions relate to the analyses before it.
    pub lineage: Lineage,
    /// Its agreement with the latest analysis by the most recently used
    /// other provider, if there is one.
    pub agreement: Option<(String, crate::analysis::agreement::Agreement)>,
}

/// Where the Scores pane's cursor is: on a guideline section, or inside
/// one on an item.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScoresState {
    pub section: usize,
    /// The open section's item under the cursor.
    pub item: Option<usize>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum QueueFilter {
    #[default]
    All,
    Pending,
    Critical,
    High,
}

impl QueueFilter {
    pub fn next(self) -> QueueFilter {
        match self {
            QueueFilter::All => QueueFilter::Pending,
            QueueFilter::Pending => QueueFilter::Critical,
            QueueFilter::Critical => QueueFilter::High,
            QueueFilter::High => QueueFilter::All,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            QueueFilter::All => "all",
            QueueFilter::Pending => "pending",
            QueueFilter::Critical => "critical",
            QueueFilter::High => "high priority",
        }
    }

    fn apply(self, filter: &mut SuggestionFilter) {
        match self {
            QueueFilter::All => {}
            QueueFilter::Pending => filter.status = Some(SuggestionStatus::Pending),
            QueueFilter::Critical => filter.kind = Some(SuggestionType::Critical),
            QueueFilter::High => filter.priority = Some(Priority::High),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pane {
    Protocols,
    Scores,
    Queue,
}

impl Pane {
    pub fn next(self) -> Pane {
        match self {
            Pane::Protocols => Pane::Scores,
            Pane::Scores => Pane::Queue,
            Pane::Queue => Pane::Protocols,
        }
    }

    pub fn prev(self) -> Pane {
        self.next().next()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EditKind {
    /// The wording that goes into the protocol.
    Modify,
    Comment,
}

pub struct Editor {
    pub kind: EditKind,
    pub area: TextArea<'static>,
    /// The text the editor opened with, to tell whether anything changed.
    pub initial: String,
    /// The suggestion as it was when editing began.
    pub target: Suggestion,
}

impl Editor {
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn changed(&self) -> bool {
        self.text() != self.initial
    }
}

/// A line of the version view's diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    Added(String),
    Removed(String),
    Context(String),
    Header(String),
}

/// The selected protocol's versions; the diff compares `base` with the
/// version under the cursor.
pub struct VersionsView {
    pub versions: Vec<ProtocolVersion>,
    pub cursor: usize,
    /// The older side of the diff; `None` means the version before the
    /// cursor's.
    pub base: Option<usize>,
    pub diff: Vec<DiffLine>,
    pub scroll: u16,
}

impl VersionsView {
    /// The two versions compared: (older, newer), as indexes.
    pub fn compared(&self) -> Option<(usize, usize)> {
        let newer = self.cursor;
        let older = match self.base {
            Some(b) if b != newer => b,
            _ => newer.checked_sub(1)?,
        };
        Some((older.min(newer), older.max(newer)))
    }
}

/// What a "yes" does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OnYes {
    /// Apply the protocol's decisions although their wording has placeholders.
    ApplyWithPlaceholders { protocol_id: String },
    /// Close the editor without saving.
    DiscardEdit,
    /// Send this protocol's passages to the chosen remote provider.
    AnalyseRemote { protocol_id: String },
}

/// A question the reviewer answers with y or n; `back` is shown again on n.
pub struct Confirm {
    pub question: String,
    pub on_yes: OnYes,
    pub back: Mode,
}

pub enum Mode {
    Normal,
    /// The key overlay, scrolled this many lines.
    Help(u16),
    Dashboard(Box<Dashboard>),
    Search(String),
    /// The import line: a path being typed.
    Import(String),
    Editor(Box<Editor>),
    Versions(Box<VersionsView>),
    Confirm(Box<Confirm>),
}

/// One decision as it can be taken back: what was there before, and the
/// revision our decision left (so an undo never overwrites a later change).
#[derive(Clone, Debug, PartialEq)]
pub struct UndoStep {
    pub id: String,
    pub before: Decision,
    pub revision: i64,
}

/// One suggestion's part of a write: from what it was (at `revision`) to
/// what it becomes.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub id: String,
    pub revision: i64,
    pub before: Decision,
    pub after: Decision,
}

/// A decision (or an undo) waiting to be written because another program
/// held the store's write lock; the writer thread retries it.
#[derive(Clone, Debug, PartialEq)]
pub struct PendingWrite {
    pub changes: Vec<Change>,
    /// "Accepted", "Undone", … for the status line when it lands.
    pub done: &'static str,
    /// An undo's steps go back on no stack when written.
    pub is_undo: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

/// How far each scrollable view can scroll, as the last drawing found
/// (only drawing knows how text wraps); scrolling stops there.
#[derive(Clone, Copy, Debug, Default)]
pub struct ScrollLimits {
    pub help: u16,
    pub detail: u16,
    pub versions: u16,
}

pub struct App {
    pub store: Store,
    pub theme: Theme,
    /// The terminal's size, once known; below the minimum only quit acts.
    pub size: Option<(u16, u16)>,
    pub focus: Pane,
    pub mode: Mode,
    pub search: Option<String>,
    pub protocols: Paged<ProtocolRow>,
    pub view: Option<AnalysisView>,
    pub scores: ScoresState,
    pub queue: Paged<Suggestion>,
    pub filter: QueueFilter,
    pub marks: BTreeSet<String>,
    pub undo: Vec<Vec<UndoStep>>,
    /// Writes handed to the writer thread, oldest first.
    pub waiting: Vec<PendingWrite>,
    pub detail_scroll: u16,
    pub limits: Cell<ScrollLimits>,
    pub status: Option<Status>,
    /// A job running on the worker (analysis, import, apply), by what it
    /// is about.
    pub busy: Option<String>,
    /// The providers configured (config.toml); `builtin` is always there.
    pub providers: std::sync::Arc<crate::providers::Config>,
    /// The provider `A` analyses with.
    pub provider: String,
    /// Protocols the reviewer agreed to send to a remote provider, this session.
    pub remote_allowed: BTreeSet<String>,
    /// The title of the protocol a running analysis is about.
    pub analysing: Option<String>,
    /// Set to stop the running model analysis (shared with the worker).
    pub cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
    pub loaded: bool,
    /// Quit was asked for while writes were still waiting.
    pub quitting: bool,
    /// The last write or poll found the PostgreSQL server not answering:
    /// decisions go straight to the writer, which waits for it as for a
    /// held lock; cleared when a write succeeds.
    pub unreachable: bool,
    /// What the last poll for other reviewers' changes failed with, so a
    /// server that stays down is said (and logged) once, not every 250 ms.
    pub poll_failed: Option<String>,
    /// Why the selected protocol's review could not be read, while it
    /// could not: the pane says so rather than show another protocol's
    /// figures or an empty queue as if it were this one's.
    pub unread: Option<String>,
    pub quit: bool,
    pub dirty: bool,
}

impl App {
    /// A fresh state; nothing is read until `load` (so the first frame can
    /// be drawn before the first query).
    pub fn new(store: Store, theme: Theme) -> App {
        App {
            store,
            theme,
            size: None,
            focus: Pane::Protocols,
            mode: Mode::Normal,
            search: None,
            protocols: Paged::default(),
            view: None,
            scores: ScoresState::default(),
            queue: Paged::default(),
            filter: QueueFilter::default(),
            marks: BTreeSet::new(),
            undo: Vec::new(),
            waiting: Vec::new(),
            detail_scroll: 0,
            limits: Cell::new(ScrollLimits::default()),
            status: None,
            busy: None,
            providers: std::sync::Arc::new(crate::providers::Config::default()),
            provider: "builtin".to_owned(),
            remote_allowed: BTreeSet::new(),
            analysing: None,
            cancel: std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
            loaded: false,
            quitting: false,
            unreachable: false,
            poll_failed: None,
            unread: None,
            quit: false,
            dirty: true,
        }
    }

    /// Whether the terminal is too small to show what keys would act on.
    pub fn too_small(&self) -> bool {
        self.size
            .is_some_and(|(w, h)| w < MIN_WIDTH || h < MIN_HEIGHT)
    }

    /// The key context for the current mode and focus.
    pub fn context(&self) -> Context {
        match &self.mode {
            Mode::Help(_) => Context::Help,
            Mode::Dashboard(_) => Context::Dashboard,
            Mode::Search(_) => Context::Search,
            Mode::Import(_) => Context::Import,
            Mode::Versions(_) => Context::Versions,
            Mode::Editor(_) => Context::Editor,
            Mode::Confirm(_) => Context::Confirm,
            Mode::Normal if self.focus == Pane::Queue => Context::Queue,
            Mode::Normal => Context::List,
        }
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    /// Say an error on the status line, and in the log (the line is
    /// gone at the next message; the log keeps it).
    pub fn error(&mut self, text: impl Into<String>) {
        let text = text.into();
        super::log::error(&text);
        self.status = Some(Status { text, error: true });
    }

    /// First load, and after any change elsewhere: re-read what is shown,
    /// keeping the cursors on the same protocol and suggestion.
    pub fn load(&mut self) -> Result<()> {
        let protocol = self.selected_protocol_id();
        let suggestion = self.queue.selected().map(|s| s.id.clone());
        self.fetch_protocols(protocol.as_deref())?;
        let analysis = self.view.as_ref().map(|v| v.analysis.id.clone());
        self.fetch_view()?;
        if self.view.as_ref().map(|v| &v.analysis.id) != analysis.as_ref() {
            self.scores = ScoresState::default();
        }
        self.fetch_queue(suggestion.as_deref())?;
        // An open dashboard shows the figures as they are now too.
        if matches!(self.mode, Mode::Dashboard(_)) {
            self.mode = Mode::Dashboard(Box::new(self.dashboard()?));
        }
        self.loaded = true;
        self.dirty = true;
        Ok(())
    }

    pub fn selected_protocol_id(&self) -> Option<String> {
        self.protocols.selected().map(|p| p.info.id.clone())
    }

    pub fn selected_protocol_title(&self) -> Option<&str> {
        self.protocols.selected().map(|p| p.info.title.as_str())
    }

    fn protocol_filter(&self) -> ProtocolFilter {
        ProtocolFilter {
            status: None,
            search: self.search.clone(),
        }
    }

    /// Re-read the window of protocols around the cursor; with `keep`, put
    /// the cursor back on that protocol if it is still in the window.
    pub fn fetch_protocols(&mut self, keep: Option<&str>) -> Result<()> {
        let filter = self.protocol_filter();
        let total = self.store.protocol_count(&filter)?;
        self.protocols.total = total;
        self.protocols.move_to(self.protocols.cursor);
        let start = self.protocols.window_start();
        let page = Page {
            offset: start,
            limit: PAGE,
        };
        let rows = self.store.protocol_summaries(&filter, page)?;
        self.protocols.offset = start;
        self.protocols.rows = rows;
        if let Some(id) = keep
            && let Some(i) = self.protocols.rows.iter().position(|r| r.info.id == id)
        {
            self.protocols.cursor = start + i as u64;
        }
        Ok(())
    }

    /// Put the protocol cursor on `id` in the current (filtered or not)
    /// list, fetching the window around it; false if the list lacks it.
    pub fn find_protocol(&mut self, id: &str) -> Result<bool> {
        if self.search.is_none()
            && let Some(at) = self.store.protocol_position(id)?
        {
            self.protocols.cursor = at;
        }
        self.fetch_protocols(Some(id))?;
        Ok(self.selected_protocol_id().as_deref() == Some(id))
    }

    /// Read the selected protocol's latest analysis, its history and its
    /// per-section breakdown; callers follow with `fetch_queue`.
    pub fn fetch_view(&mut self) -> Result<()> {
        let read = self.read_view();
        if let Err(e) = &read {
            self.view = None;
            self.queue = Paged::default();
            self.unread = Some(e.to_string());
        } else {
            self.unread = None;
        }
        read
    }

    fn read_view(&mut self) -> Result<()> {
        let Some(id) = self.selected_protocol_id() else {
            self.view = None;
            return Ok(());
        };
        self.view = match self.store.latest_analysis(&id, 20)? {
            None => None,
            Some(latest) => {
                let sections = section_tallies(latest.analysis.results.as_ref());
                let agreement = self
                    .store
                    .latest_by_another_provider(&id, &latest.analysis.provider)?
                    .map(|other| {
                        let (agree, _) = crate::analysis::agreement::compare(
                            latest.analysis.results.as_ref(),
                            other.results.as_ref(),
                        );
                        (other.provider, agree)
                    });
                // Progress moves with every decision, so fetch_queue (which
                // always follows) reads it.
                Some(AnalysisView {
                    analysis: latest.analysis,
                    history: latest.history,
                    sections,
                    progress: ReviewProgress::default(),
                    lineage: latest.lineage,
                    agreement,
                })
            }
        };
        Ok(())
    }

    pub fn queue_filter(&self) -> Option<SuggestionFilter> {
        let analysis = self.view.as_ref()?.analysis.id.clone();
        let mut filter = SuggestionFilter {
            analysis_id: Some(analysis),
            ..SuggestionFilter::default()
        };
        self.filter.apply(&mut filter);
        Some(filter)
    }

    /// Re-read the window of the queue around the cursor; with `keep`, put
    /// the cursor back on that suggestion if it is still there.
    pub fn fetch_queue(&mut self, keep: Option<&str>) -> Result<()> {
        let read = self.read_queue(keep);
        if let Err(e) = &read {
            self.queue = Paged::default();
            self.unread = Some(e.to_string());
        }
        read
    }

    fn read_queue(&mut self, keep: Option<&str>) -> Result<()> {
        let Some(filter) = self.queue_filter() else {
            self.queue = Paged::default();
            return Ok(());
        };
        let total = self.store.suggestion_count(&filter)?;
        self.queue.total = total;
        self.queue.move_to(self.queue.cursor);
        let start = self.queue.window_start();
        let rows = self.store.suggestions(
            &filter,
            Page {
                offset: start,
                limit: PAGE,
            },
        )?;
        self.queue.offset = start;
        self.queue.rows = rows;
        if let Some(id) = keep
            && let Some(i) = self.queue.rows.iter().position(|s| s.id == id)
        {
            self.queue.cursor = start + i as u64;
        }
        if let Some(view) = &mut self.view {
            let analysis = view.analysis.id.clone();
            view.progress = self.store.analysis_progress(&analysis)?;
        }
        Ok(())
    }

    /// Put the queue's cursor on a suggestion, showing every suggestion if
    /// the filter hides it; false if the queue does not hold it.
    pub fn show_suggestion(&mut self, id: &str) -> Result<bool> {
        for attempt in [self.filter, QueueFilter::All] {
            self.filter = attempt;
            let Some(filter) = self.queue_filter() else {
                return Ok(false);
            };
            if let Some(at) = self.store.suggestion_position(&filter, id)? {
                self.queue.cursor = at;
                self.detail_scroll = 0;
                self.fetch_queue(Some(id))?;
                return Ok(true);
            }
        }
        self.fetch_queue(None)?;
        Ok(false)
    }

    /// The protocol selection changed: everything below it follows.
    pub fn select_protocol(&mut self) -> Result<()> {
        if self.protocols.needs_fetch() {
            let keep = self.selected_protocol_id();
            self.fetch_protocols(keep.as_deref())?;
        }
        self.queue = Paged::default();
        self.marks.clear();
        self.detail_scroll = 0;
        self.scores = ScoresState::default();
        self.fetch_view()?;
        self.fetch_queue(None)
    }

    pub fn dashboard(&self) -> Result<Dashboard> {
        self.store.dashboard(30)
    }

    /// The Scores pane's open section, if one is open.
    pub fn open_section(&self) -> Option<&SectionTally> {
        self.scores.item?;
        self.view.as_ref()?.sections.get(self.scores.section)
    }
}

/// Addressed / partial / missing per guideline section, with its items,
/// from the stored per-item verdicts (other providers may store none).
pub fn section_tallies(results: Option<&Value>) -> Vec<SectionTally> {
    let Some(items) = results.and_then(|r| r["items"].as_array()) else {
        return Vec::new();
    };
    let mut tallies: Vec<SectionTally> = Vec::new();
    for item in items {
        let text = |key: &str| item[key].as_str().unwrap_or_default().to_owned();
        let (guideline, section, status) = (text("guideline"), text("section"), text("status"));
        // Not-applicable items are listed too (with their reason), so a
        // wrong design verdict can be seen and challenged; they count in
        // none of the three tallies.
        let i = match tallies
            .iter()
            .position(|t| t.guideline == guideline && t.section == section)
        {
            Some(i) => i,
            None => {
                tallies.push(SectionTally {
                    guideline: guideline.clone(),
                    section,
                    addressed: 0,
                    partial: 0,
                    missing: 0,
                    items: Vec::new(),
                });
                tallies.len() - 1
            }
        };
        match status.as_str() {
            "addressed" => tallies[i].addressed += 1,
            "partial" => tallies[i].partial += 1,
            "not_applicable" => {}
            _ => tallies[i].missing += 1,
        }
        tallies[i].items.push(ItemLine {
            guideline,
            item: text("item"),
            title: text("title"),
            confidence: item["confidence"].as_f64().unwrap_or(0.0),
            quote: item["evidence"][0]["quote"].as_str().map(str::to_owned),
            missing: item["missing"]
                .as_array()
                .map(|m| {
                    m.iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default(),
            reason: item["reason"].as_str().map(str::to_owned),
            status,
        });
    }
    tallies
}
