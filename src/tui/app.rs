//! The interface's state, and the reads that fill it. Lists hold only a
//! window of rows around the cursor, fetched from the store when the
//! cursor nears its edge, so a store of a million suggestions costs the
//! same as a store of ten.

use std::collections::BTreeSet;

use ratatui_textarea::TextArea;
use serde_json::Value;

use super::keymap::Context;
use super::theme::Theme;
use crate::store::analyses::{self, Analysis};
use crate::store::pool::PooledConnection;
use crate::store::protocols::{self, ProtocolFilter, ProtocolInfo};
use crate::store::stats::{self, Dashboard, ReviewProgress};
use crate::store::suggestions::{self, Decision, Suggestion, SuggestionFilter};
use crate::store::{Page, Priority, Result, Store, SuggestionStatus, SuggestionType};

/// Rows fetched at once; far more than any screen shows.
pub const PAGE: u64 = 200;
/// Refetch when the cursor comes this close to the edge of what is loaded.
const MARGIN: u64 = 60;

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
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProtocolRow {
    pub info: ProtocolInfo,
    pub score: Option<f64>,
    pub pending: u64,
    pub analysed: bool,
}

/// One line of the per-section breakdown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SectionTally {
    pub guideline: String,
    pub section: String,
    pub addressed: u32,
    pub partial: u32,
    pub missing: u32,
}

/// The selected protocol's latest completed analysis.
#[derive(Debug)]
pub struct AnalysisView {
    pub analysis: Analysis,
    /// Earlier analyses, newest first, without their results.
    pub history: Vec<Analysis>,
    pub sections: Vec<SectionTally>,
    pub progress: ReviewProgress,
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
    Modify,
    Comment,
}

pub struct Editor {
    pub kind: EditKind,
    pub area: TextArea<'static>,
    /// The suggestion as it was when editing began.
    pub target: Suggestion,
}

/// A line of the version view's diff.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    Added(String),
    Removed(String),
    Context(String),
    Header(String),
}

/// The selected protocol's versions and its last change.
pub struct VersionsView {
    pub listing: Vec<String>,
    pub diff: Vec<DiffLine>,
    pub scroll: u16,
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
}

/// One decision as it can be taken back: what was there before, and the
/// stamp our decision left (so an undo never overwrites a later change).
#[derive(Clone, Debug)]
pub struct UndoStep {
    pub id: String,
    pub before: Decision,
    pub stamped: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

pub struct App {
    pub store: Store,
    /// A connection of its own for `PRAGMA data_version`, which is
    /// per-connection: it tells when *other* connections committed.
    poll: Option<PooledConnection>,
    data_version: i64,
    pub theme: Theme,
    pub focus: Pane,
    pub mode: Mode,
    pub search: Option<String>,
    pub protocols: Paged<ProtocolRow>,
    pub view: Option<AnalysisView>,
    pub queue: Paged<Suggestion>,
    pub filter: QueueFilter,
    pub marks: BTreeSet<String>,
    pub undo: Vec<Vec<UndoStep>>,
    pub detail_scroll: u16,
    pub status: Option<Status>,
    /// An analysis running on the worker, by protocol id.
    pub busy: Option<String>,
    pub loaded: bool,
    pub quit: bool,
    pub dirty: bool,
}

impl App {
    /// A fresh state; nothing is read until `load` (so the first frame can
    /// be drawn before the first query).
    pub fn new(store: Store, theme: Theme) -> App {
        App {
            store,
            poll: None,
            data_version: 0,
            theme,
            focus: Pane::Protocols,
            mode: Mode::Normal,
            search: None,
            protocols: Paged::default(),
            view: None,
            queue: Paged::default(),
            filter: QueueFilter::default(),
            marks: BTreeSet::new(),
            undo: Vec::new(),
            detail_scroll: 0,
            status: None,
            busy: None,
            loaded: false,
            quit: false,
            dirty: true,
        }
    }

    /// The key context for the current mode and focus.
    pub fn context(&self) -> Context {
        match &self.mode {
            Mode::Help(_) => Context::Help,
            Mode::Dashboard(_) => Context::Dashboard,
            Mode::Search(_) | Mode::Import(_) => Context::Search,
            Mode::Versions(_) => Context::Versions,
            Mode::Editor(_) => Context::Editor,
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

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }

    /// First load, and after any change elsewhere: re-read what is shown,
    /// keeping the cursors on the same protocol and suggestion.
    pub fn load(&mut self) -> Result<()> {
        if self.poll.is_none() {
            let conn = self.store.connection()?;
            self.data_version = data_version(&conn)?;
            self.poll = Some(conn);
        }
        let protocol = self.selected_protocol_id();
        let suggestion = self.queue.selected().map(|s| s.id.clone());
        self.fetch_protocols(protocol.as_deref())?;
        self.fetch_view()?;
        self.fetch_queue(suggestion.as_deref())?;
        self.loaded = true;
        self.dirty = true;
        Ok(())
    }

    /// Whether another connection has committed since the last look.
    pub fn store_changed(&mut self) -> Result<bool> {
        let Some(conn) = &self.poll else {
            return Ok(false);
        };
        let version = data_version(conn)?;
        let changed = version != self.data_version;
        self.data_version = version;
        Ok(changed)
    }

    pub fn selected_protocol_id(&self) -> Option<String> {
        self.protocols.selected().map(|p| p.info.id.clone())
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
        let total = self.store.read(|conn| protocols::count(conn, &filter))?;
        self.protocols.total = total;
        self.protocols.move_to(self.protocols.cursor);
        let start = self.protocols.window_start();
        let rows = self.store.read(|conn| {
            let infos = protocols::list(
                conn,
                &filter,
                Page {
                    offset: start,
                    limit: PAGE,
                },
            )?;
            let mut rows = Vec::with_capacity(infos.len());
            for info in infos {
                let latest = analyses::latest_completed_score(conn, &info.id)?;
                let pending = match &latest {
                    Some((id, _)) => suggestions::count(
                        conn,
                        &SuggestionFilter {
                            analysis_id: Some(id.clone()),
                            status: Some(SuggestionStatus::Pending),
                            ..SuggestionFilter::default()
                        },
                    )?,
                    None => 0,
                };
                rows.push(ProtocolRow {
                    score: latest.as_ref().and_then(|(_, s)| *s),
                    analysed: latest.is_some(),
                    pending,
                    info,
                });
            }
            Ok(rows)
        })?;
        self.protocols.offset = start;
        self.protocols.rows = rows;
        if let Some(id) = keep
            && let Some(i) = self.protocols.rows.iter().position(|r| r.info.id == id)
        {
            self.protocols.cursor = start + i as u64;
        }
        Ok(())
    }

    /// Read the selected protocol's latest analysis, its history and its
    /// per-section breakdown; callers follow with `fetch_queue`.
    pub fn fetch_view(&mut self) -> Result<()> {
        let Some(id) = self.selected_protocol_id() else {
            self.view = None;
            return Ok(());
        };
        self.view = self.store.read(|conn| {
            let Some(analysis) = analyses::latest_completed(conn, &id)? else {
                return Ok(None);
            };
            let history = analyses::history(conn, &id, 20)?;
            let sections = section_tallies(analysis.results.as_ref());
            // Progress moves with every decision, so fetch_queue (which
            // always follows) reads it.
            Ok(Some(AnalysisView {
                analysis,
                history,
                sections,
                progress: ReviewProgress::default(),
            }))
        })?;
        Ok(())
    }

    fn queue_filter(&self) -> Option<SuggestionFilter> {
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
        let Some(filter) = self.queue_filter() else {
            self.queue = Paged::default();
            return Ok(());
        };
        let total = self.store.read(|conn| suggestions::count(conn, &filter))?;
        self.queue.total = total;
        self.queue.move_to(self.queue.cursor);
        let start = self.queue.window_start();
        let rows = self.store.read(|conn| {
            suggestions::list(
                conn,
                &filter,
                Page {
                    offset: start,
                    limit: PAGE,
                },
            )
        })?;
        self.queue.offset = start;
        self.queue.rows = rows;
        if let Some(id) = keep
            && let Some(i) = self.queue.rows.iter().position(|s| s.id == id)
        {
            self.queue.cursor = start + i as u64;
        }
        if let Some(view) = &mut self.view {
            let analysis = view.analysis.id.clone();
            view.progress = self
                .store
                .read(|conn| stats::analysis_progress(conn, &analysis))?;
        }
        Ok(())
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
        self.fetch_view()?;
        self.fetch_queue(None)
    }

    pub fn dashboard(&self) -> Result<Dashboard> {
        self.store.read(|conn| stats::dashboard(conn, 30))
    }
}

fn data_version(conn: &rusqlite::Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

/// Addressed / partial / missing per guideline section, from the stored
/// per-item verdicts (other providers may store none).
pub fn section_tallies(results: Option<&Value>) -> Vec<SectionTally> {
    let Some(items) = results.and_then(|r| r["items"].as_array()) else {
        return Vec::new();
    };
    let mut tallies: Vec<SectionTally> = Vec::new();
    for item in items {
        let guideline = item["guideline"].as_str().unwrap_or_default();
        let section = item["section"].as_str().unwrap_or_default();
        let status = item["status"].as_str().unwrap_or_default();
        if status == "not_applicable" {
            continue;
        }
        let i = match tallies
            .iter()
            .position(|t| t.guideline == guideline && t.section == section)
        {
            Some(i) => i,
            None => {
                tallies.push(SectionTally {
                    guideline: guideline.to_owned(),
                    section: section.to_owned(),
                    addressed: 0,
                    partial: 0,
                    missing: 0,
                });
                tallies.len() - 1
            }
        };
        match status {
            "addressed" => tallies[i].addressed += 1,
            "partial" => tallies[i].partial += 1,
            _ => tallies[i].missing += 1,
        }
    }
    tallies
}
