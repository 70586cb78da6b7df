//! `update`: the one place the interface's state changes. Keys, the clock
//! and the workers arrive as events; decisions are committed to the store
//! here, the moment they are made — or, when another program holds the
//! store's write lock, handed to the writer thread so the screen never
//! waits (the rows show the decision meanwhile).

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::action::{Action, AnalyseJob, Event, ImportReport, WriteFailure};
use super::app::{
    App, Change, Confirm, DiffLine, EditKind, Editor, Mode, OnYes, Pane, PendingWrite, UndoStep,
    VersionsView,
};
use super::text;
use super::writer;
use crate::store::suggestions::{Suggestion, Verb};
use crate::store::{StoreError, SuggestionStatus};

type Result<T = Option<Effect>> = crate::store::Result<T>;

/// What the event loop must do beyond redrawing.
#[derive(Debug, PartialEq)]
pub enum Effect {
    Suspend,
    /// Run an analysis of this protocol on the worker.
    Analyse(AnalyseJob),
    /// Import this file on the worker.
    Import(std::path::PathBuf),
    /// Write the protocol's decisions into a new version, on the worker.
    Apply {
        protocol_id: String,
        allow_placeholders: bool,
    },
    /// Hand this write to the writer thread (the store was busy).
    Write(PendingWrite),
}

pub fn update(app: &mut App, event: Event) -> Option<Effect> {
    app.dirty = true;
    let result = match event {
        Event::Key(action) => return on_action(app, action),
        // Rows showing decisions still being written are not re-read
        // until the writer is done (then everything is).
        Event::StoreChanged if !app.waiting.is_empty() => Ok(()),
        Event::StoreChanged => app.load(),
        Event::Resized(w, h) => {
            app.size = Some((w, h));
            Ok(())
        }
        Event::AnalysisProgress(progress) => {
            // What changes goes first and the title last, so a narrow
            // screen cuts the title, never the progress or how to cancel.
            if let Some(title) = app.analysing.clone() {
                app.busy = Some(format!("{progress} · {title}"));
                app.info(format!(
                    "Analysing with {}: {progress} · Esc cancels · {title}",
                    app.provider
                ));
            }
            Ok(())
        }
        Event::Analysed {
            protocol_id,
            result,
        } => {
            app.busy = None;
            app.analysing = None;
            match result {
                Ok(outcome) => {
                    // The decisions undo would take back now live on the
                    // new analysis's suggestions; the old ones are history.
                    app.undo.clear();
                    let c = outcome.carry;
                    app.info(format!(
                        "Analysed: {} decision{} carried over, {} new finding{} · overall {:.1} · {}",
                        c.carried + c.kept,
                        plural(c.carried + c.kept),
                        c.new,
                        plural(c.new),
                        outcome.analysis.overall_score.unwrap_or(0.0),
                        title_of(app, &protocol_id),
                    ));
                }
                Err(e) => app.error(e),
            }
            app.load()
        }
        Event::Imported(result) => {
            app.busy = None;
            match result {
                Ok(report) => imported(app, report),
                Err(e) => {
                    app.error(e);
                    Ok(())
                }
            }
        }
        Event::Applied(result) => {
            app.busy = None;
            match result {
                Ok(message) => app.info(message),
                Err(e) => app.error(e),
            }
            app.load()
        }
        Event::Written(result) => written(app, result),
    };
    report(app, result);
    None
}

fn report(app: &mut App, result: crate::store::Result<()>) {
    if let Err(e) = result {
        if matches!(e, StoreError::Unreachable(_)) {
            app.unreachable = true;
        }
        app.error(e.to_string());
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A protocol's title for messages (ids mean nothing to a reviewer).
fn title_of(app: &App, id: &str) -> String {
    app.protocols
        .rows
        .iter()
        .find(|r| r.info.id == id)
        .map(|r| format!("«{}»", r.info.title))
        .unwrap_or_else(|| id.to_owned())
}

fn on_action(app: &mut App, action: Action) -> Option<Effect> {
    // Nothing acts unseen: below the minimum size only quitting works.
    if app.too_small() && action != Action::Quit {
        return None;
    }
    match act(app, action) {
        Ok(effect) => effect,
        Err(e) => {
            app.error(e.to_string());
            None
        }
    }
}

fn act(app: &mut App, action: Action) -> Result {
    match (&app.mode, action) {
        (_, Action::Quit) => quit(app),
        (_, Action::Suspend) => Ok(Some(Effect::Suspend)),
        (Mode::Help(_), _) => help_action(app, action),
        (Mode::Confirm(_), Action::Confirm) => confirmed(app),
        (Mode::Confirm(_), _) => {
            if let Mode::Confirm(confirm) = std::mem::replace(&mut app.mode, Mode::Normal) {
                app.mode = confirm.back;
            }
            Ok(None)
        }
        (Mode::Dashboard(_), Action::Close) => {
            app.mode = Mode::Normal;
            Ok(None)
        }
        (Mode::Search(_), Action::Close) => {
            app.mode = Mode::Normal;
            set_search(app, None)
        }
        (Mode::Search(text), Action::Apply) => {
            let text = text.trim().to_owned();
            app.mode = Mode::Normal;
            set_search(app, (!text.is_empty()).then_some(text))
        }
        (Mode::Import(_), Action::Close) => {
            app.mode = Mode::Normal;
            Ok(None)
        }
        (Mode::Import(_), Action::Complete) => {
            complete_path(app);
            Ok(None)
        }
        (Mode::Import(text), Action::Apply) => {
            let path = expand_home(text.trim());
            app.mode = Mode::Normal;
            start_import(app, path)
        }
        (Mode::Versions(_), _) => versions_action(app, action),
        (Mode::Editor(_), Action::Close) => close_editor(app),
        (Mode::Editor(_), Action::Save) => save_editor(app),
        (Mode::Editor(_) | Mode::Search(_) | Mode::Import(_), _) => Ok(None),
        (_, Action::Help) => {
            app.mode = Mode::Help(0);
            Ok(None)
        }
        (_, Action::Dashboard) => {
            let d = app.dashboard()?;
            app.mode = Mode::Dashboard(Box::new(d));
            Ok(None)
        }
        (_, Action::Search) => {
            app.mode = Mode::Search(app.search.clone().unwrap_or_default());
            Ok(None)
        }
        (_, Action::FocusNext) => focus(app, app.focus.next()),
        (_, Action::FocusPrev) => focus(app, app.focus.prev()),
        (_, Action::FocusProtocols) => focus(app, Pane::Protocols),
        (_, Action::FocusScores) => focus(app, Pane::Scores),
        (_, Action::FocusQueue) => focus(app, Pane::Queue),
        (_, Action::Analyse) => Ok(analyse(app)),
        (_, Action::CycleProvider) => {
            cycle_provider(app);
            Ok(None)
        }
        (_, Action::Import) => {
            app.mode = Mode::Import(String::new());
            Ok(None)
        }
        (_, Action::ApplyDecisions) => apply_decisions(app),
        (_, Action::Versions) => open_versions(app),
        (_, Action::Down) => move_cursor(app, 1),
        (_, Action::Up) => move_cursor(app, -1),
        (_, Action::PageDown) => move_cursor(app, 10),
        (_, Action::PageUp) => move_cursor(app, -10),
        (_, Action::First) => move_cursor(app, i64::MIN / 2),
        (_, Action::Last) => move_cursor(app, i64::MAX / 2),
        (_, Action::Open) => open(app),
        (_, Action::Back) => back(app),
        (_, Action::Accept) => decide(app, Verb::Accept),
        (_, Action::Reject) => decide(app, Verb::Reject),
        (_, Action::Pending) => decide(app, Verb::Pending),
        (_, Action::Modify) => open_editor(app, EditKind::Modify),
        (_, Action::Comment) => open_editor(app, EditKind::Comment),
        (_, Action::Undo) => undo(app),
        (_, Action::Mark) => mark(app),
        (_, Action::CycleFilter) => {
            app.filter = app.filter.next();
            app.queue.cursor = 0;
            app.detail_scroll = 0;
            app.info(format!("Showing {} suggestions", app.filter.label()));
            app.fetch_queue(None)?;
            Ok(None)
        }
        (_, Action::ScrollDetailDown) => {
            app.detail_scroll = app
                .detail_scroll
                .saturating_add(3)
                .min(app.limits.get().detail);
            Ok(None)
        }
        (_, Action::ScrollDetailUp) => {
            app.detail_scroll = app.detail_scroll.saturating_sub(3);
            Ok(None)
        }
        (_, Action::Close | Action::Save | Action::Apply | Action::Confirm | Action::Complete) => {
            Ok(None)
        }
    }
}

/// Quit, unless decisions are still waiting to be written: then wait for
/// them (a second quit leaves without them).
fn quit(app: &mut App) -> Result {
    if app.waiting.is_empty() || app.quitting {
        app.quit = true;
    } else {
        app.quitting = true;
        app.info(format!(
            "Saving {} waiting decision{} before quitting… (q again quits without them)",
            app.waiting.len(),
            plural(app.waiting.len())
        ));
    }
    Ok(None)
}

fn help_action(app: &mut App, action: Action) -> Result {
    let Mode::Help(scroll) = app.mode else {
        return Ok(None);
    };
    let max = app.limits.get().help;
    let scroll = match action {
        Action::Close => {
            app.mode = Mode::Normal;
            return Ok(None);
        }
        Action::ScrollDetailDown => scroll.saturating_add(1),
        Action::ScrollDetailUp => scroll.saturating_sub(1),
        Action::PageDown => scroll.saturating_add(10),
        Action::PageUp => scroll.saturating_sub(10),
        Action::First => 0,
        Action::Last => max,
        _ => scroll,
    };
    app.mode = Mode::Help(scroll.min(max));
    Ok(None)
}

fn confirmed(app: &mut App) -> Result {
    let Mode::Confirm(confirm) = std::mem::replace(&mut app.mode, Mode::Normal) else {
        return Ok(None);
    };
    match confirm.on_yes {
        OnYes::ApplyWithPlaceholders { protocol_id } => Ok(start_apply(app, protocol_id, true)),
        OnYes::DiscardEdit => {
            app.info("Edit discarded; nothing saved");
            Ok(None)
        }
        OnYes::AnalyseRemote { protocol_id } => {
            app.remote_allowed.insert(protocol_id.clone());
            Ok(start_analysis(app, protocol_id, true))
        }
    }
}

/// Raw keys typed into the search or import line, or the editor.
pub fn type_key(app: &mut App, key: KeyEvent) {
    if app.too_small() {
        return;
    }
    app.dirty = true;
    match &mut app.mode {
        Mode::Search(text) | Mode::Import(text) => match key.code {
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => text.clear(),
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
            KeyCode::Backspace => {
                text.pop();
            }
            _ => {}
        },
        Mode::Editor(editor) => {
            editor.area.input(key);
        }
        _ => {}
    }
}

// ---- apply, versions ----

/// Decisions become a new version of the selected protocol, on the
/// worker; placeholders left in the wording are named first, and applied
/// only if the reviewer says so.
fn apply_decisions(app: &mut App) -> Result {
    let Some(id) = app.selected_protocol_id() else {
        app.info("Select a protocol first");
        return Ok(None);
    };
    if let Some(busy) = &app.busy {
        app.info(format!("Busy with {busy}; apply when it is done"));
        return Ok(None);
    }
    let found = match crate::jobs::apply::check(&app.store, &id) {
        Ok(found) => found,
        Err(e) => {
            app.error(e.to_string());
            return Ok(None);
        }
    };
    if let Some(first) = found.first() {
        app.mode = Mode::Confirm(Box::new(Confirm {
            question: format!(
                "The wording to apply still has {} placeholder{}, e.g. \"{}\" ({}). Apply anyway? y applies them as they are, n goes back to reword them (m).",
                found.len(),
                plural(found.len()),
                first.text,
                first.about
            ),
            on_yes: OnYes::ApplyWithPlaceholders { protocol_id: id },
            back: Mode::Normal,
        }));
        return Ok(None);
    }
    Ok(start_apply(app, id, false))
}

fn start_apply(app: &mut App, protocol_id: String, allow_placeholders: bool) -> Option<Effect> {
    let title = title_of(app, &protocol_id);
    app.busy = Some(format!("applying to {title}"));
    app.info(format!(
        "Writing the decisions on {title} into a new version…"
    ));
    Some(Effect::Apply {
        protocol_id,
        allow_placeholders,
    })
}

fn open_versions(app: &mut App) -> Result {
    let Some(id) = app.selected_protocol_id() else {
        app.info("Select a protocol first");
        return Ok(None);
    };
    let versions = app.store.versions_of(&id)?;
    let mut view = VersionsView {
        cursor: versions.len().saturating_sub(1),
        versions,
        base: None,
        diff: Vec::new(),
        scroll: 0,
    };
    view.diff = diff_lines(&view);
    app.mode = Mode::Versions(Box::new(view));
    Ok(None)
}

fn versions_action(app: &mut App, action: Action) -> Result {
    let max = app.limits.get().versions;
    let Mode::Versions(view) = &mut app.mode else {
        return Ok(None);
    };
    let last = view.versions.len().saturating_sub(1);
    match action {
        Action::Close => {
            app.mode = Mode::Normal;
            app.status = None;
            return Ok(None);
        }
        Action::Down | Action::Up => {
            view.cursor = if action == Action::Down {
                (view.cursor + 1).min(last)
            } else {
                view.cursor.saturating_sub(1)
            };
            view.scroll = 0;
            view.diff = diff_lines(view);
        }
        Action::Mark => {
            view.base = Some(view.cursor);
            view.scroll = 0;
            view.diff = diff_lines(view);
            let n = view
                .versions
                .get(view.cursor)
                .map_or(0, |v| v.version_number);
            app.info(format!(
                "Comparing with version {n}; move to another version to see the change"
            ));
        }
        Action::ScrollDetailDown => view.scroll = view.scroll.saturating_add(5).min(max),
        Action::ScrollDetailUp => view.scroll = view.scroll.saturating_sub(5),
        _ => {}
    }
    Ok(None)
}

/// The unified diff between the two versions the view compares.
fn diff_lines(view: &VersionsView) -> Vec<DiffLine> {
    let Some((old, new)) = view.compared() else {
        return Vec::new();
    };
    let (old, new) = (&view.versions[old], &view.versions[new]);
    let text = similar::TextDiff::from_lines(&old.content, &new.content)
        .unified_diff()
        .context_radius(2)
        .header(
            &format!("version {}", old.version_number),
            &format!("version {}", new.version_number),
        )
        .to_string();
    text.lines()
        .map(|line| {
            let shown = line.get(1..).unwrap_or("").to_owned();
            match line.chars().next() {
                Some('@') => DiffLine::Header(line.to_owned()),
                Some('+') if !line.starts_with("+++") => DiffLine::Added(shown),
                Some('-') if !line.starts_with("---") => DiffLine::Removed(shown),
                Some(' ') => DiffLine::Context(shown),
                _ => DiffLine::Header(line.to_owned()),
            }
        })
        .collect()
}

// ---- moving around ----

fn focus(app: &mut App, pane: Pane) -> Result {
    app.focus = pane;
    Ok(None)
}

/// Search, keeping the protocol under review when it matches; when it
/// does not, the best match is selected and the status line says so.
fn set_search(app: &mut App, search: Option<String>) -> Result {
    if app.search == search {
        return Ok(None);
    }
    let keep = app.selected_protocol_id();
    app.search = search;
    if app.search.is_none() {
        if let Some(id) = &keep
            && app.find_protocol(id)?
        {
            app.info("Search cleared");
            return Ok(None);
        }
        app.protocols.cursor = 0;
        app.fetch_protocols(None)?;
        return app.select_protocol().map(|()| None);
    }
    app.protocols.cursor = 0;
    app.fetch_protocols(keep.as_deref())?;
    let total = app.protocols.total;
    let matches = format!(
        "{total} protocol{} match{}",
        plural(total as usize),
        if total == 1 { "es" } else { "" }
    );
    if keep.is_some() && app.selected_protocol_id() == keep {
        app.info(format!(
            "{matches}; still on {}",
            title_of(app, keep.as_deref().unwrap_or_default())
        ));
        return Ok(None);
    }
    app.select_protocol()?;
    match app.selected_protocol_title() {
        Some(title) => {
            let title = title.to_owned();
            app.info(format!("{matches}; now showing «{title}»"));
        }
        None => app.info("No protocol matches; Esc clears the search"),
    }
    Ok(None)
}

fn move_cursor(app: &mut App, delta: i64) -> Result {
    match app.focus {
        Pane::Protocols => {
            let before = app.protocols.cursor;
            app.protocols.move_by(delta);
            if app.protocols.cursor != before {
                app.select_protocol()?;
            }
        }
        Pane::Queue => {
            let before = app.queue.cursor;
            app.queue.move_by(delta);
            if app.queue.cursor != before {
                app.detail_scroll = 0;
                if app.queue.needs_fetch() {
                    app.fetch_queue(None)?;
                }
            }
        }
        Pane::Scores => move_in_scores(app, delta),
    }
    Ok(None)
}

/// The Scores pane's rows: its guideline sections then the earlier
/// analyses; inside an open section, its items.
fn move_in_scores(app: &mut App, delta: i64) {
    let Some(view) = &app.view else {
        return;
    };
    let clamp = |at: usize, len: usize| -> usize {
        (at as i64 + delta).clamp(0, len.saturating_sub(1) as i64) as usize
    };
    match app.scores.item {
        Some(item) => {
            let len = view
                .sections
                .get(app.scores.section)
                .map_or(0, |s| s.items.len());
            app.scores.item = Some(clamp(item, len));
        }
        None => {
            let earlier = view
                .history
                .iter()
                .filter(|h| h.id != view.analysis.id)
                .count();
            app.scores.section = clamp(app.scores.section, view.sections.len() + earlier);
        }
    }
}

fn open(app: &mut App) -> Result {
    match app.focus {
        Pane::Protocols => focus(app, Pane::Queue),
        Pane::Queue => Ok(None),
        Pane::Scores => open_in_scores(app),
    }
}

/// Enter in the Scores pane: a section opens on its items; an item leads
/// to its suggestion in the queue.
fn open_in_scores(app: &mut App) -> Result {
    let Some(view) = &app.view else {
        app.info("Not analysed yet: press A to analyse it");
        return Ok(None);
    };
    let Some(section) = view.sections.get(app.scores.section) else {
        app.info("An earlier analysis: its suggestions were carried over to the latest");
        return Ok(None);
    };
    let Some(index) = app.scores.item else {
        app.scores.item = Some(0);
        return Ok(None);
    };
    let Some(item) = section.items.get(index) else {
        return Ok(None);
    };
    let reference = item.reference();
    let status = item.status.replace('_', " ");
    let analysis = view.analysis.id.clone();
    let found = app.store.suggestion_for_item(&analysis, &reference)?;
    match found {
        Some(s) if app.show_suggestion(&s.id)? => {
            app.focus = Pane::Queue;
            app.info(format!("{reference} ({status}): its suggestion"));
        }
        _ => app.info(format!("{reference} is {status}: no suggestion about it")),
    }
    Ok(None)
}

fn back(app: &mut App) -> Result {
    if app.analysing.is_some() && app.provider != "builtin" {
        app.cancel.store(true, std::sync::atomic::Ordering::Relaxed);
        app.info("Cancelling the analysis (after the request in flight); it will be recorded as failed: cancelled");
        return Ok(None);
    }
    if app.focus == Pane::Scores && app.scores.item.is_some() {
        app.scores.item = None;
        return Ok(None);
    }
    if app.search.is_some() {
        return set_search(app, None);
    }
    Ok(None)
}

fn analyse(app: &mut App) -> Option<Effect> {
    let Some(id) = app.selected_protocol_id() else {
        app.error("No protocol selected: import one with i (or 'protoscribe import FILE')");
        return None;
    };
    if let Some(busy) = &app.busy {
        app.info(format!("Busy {busy}; one job at a time"));
        return None;
    }
    if let Some(p) = app.providers.get(&app.provider)
        && p.is_remote()
        && !p.allow_remote
        && !app.remote_allowed.contains(&id)
    {
        app.mode = Mode::Confirm(Box::new(Confirm {
            question: format!(
                "{} is at {}, not on this machine: send passages of «{}» there? y sends them (this protocol, this session), n keeps them here.",
                p.name,
                crate::providers::remote::host_of(&p.base_url).unwrap_or_default(),
                title_of(app, &id)
            ),
            on_yes: OnYes::AnalyseRemote { protocol_id: id },
            back: Mode::Normal,
        }));
        return None;
    }
    let allowed = app.remote_allowed.contains(&id);
    start_analysis(app, id, allowed)
}

fn start_analysis(app: &mut App, id: String, allow_remote: bool) -> Option<Effect> {
    let title = title_of(app, &id);
    app.busy = Some(format!("analysing {title}"));
    app.analysing = Some(title.clone());
    app.cancel
        .store(false, std::sync::atomic::Ordering::Relaxed);
    if app.provider == "builtin" {
        app.info(format!("Analysing {title}…"));
    } else {
        app.info(format!(
            "Analysing with {} (Esc cancels): {title}",
            app.provider
        ));
    }
    Some(Effect::Analyse(AnalyseJob {
        protocol_id: id,
        provider: app.provider.clone(),
        allow_remote,
    }))
}

/// The next provider for `A`: builtin, then each configured one.
fn cycle_provider(app: &mut App) {
    let names = app.providers.names();
    let at = names.iter().position(|n| *n == app.provider).unwrap_or(0);
    app.provider = names[(at + 1) % names.len()].clone();
    let about = match app.providers.get(&app.provider) {
        Some(p) => format!(
            "{} {} · {}",
            p.kind.as_str(),
            p.model,
            if p.is_remote() {
                if p.allow_remote {
                    "remote, allowed"
                } else {
                    "remote: asks before sending"
                }
            } else {
                "this machine"
            }
        ),
        None if names.len() == 1 => {
            "offline; configure model providers in config.toml (see README)".to_owned()
        }
        None => "offline".to_owned(),
    };
    app.info(format!("A analyses with {} ({about})", app.provider));
}

// ---- import ----

/// `~` and `~/…` mean the home folder, as in a shell.
pub fn expand_home(path: &str) -> std::path::PathBuf {
    let home = dirs::home_dir();
    match (path.strip_prefix('~'), home) {
        (Some(""), Some(home)) => home,
        (Some(rest), Some(home)) if rest.starts_with('/') => home.join(&rest[1..]),
        _ => std::path::PathBuf::from(path),
    }
}

fn start_import(app: &mut App, path: std::path::PathBuf) -> Result {
    if path.as_os_str().is_empty() {
        return Ok(None);
    }
    if let Some(busy) = &app.busy {
        app.info(format!("Busy {busy}; import when it is done"));
        return Ok(None);
    }
    let shown = path.display().to_string();
    app.busy = Some(format!("importing {}", text::line(&shown)));
    app.info(format!("Importing {}…", text::line(&shown)));
    Ok(Some(Effect::Import(path)))
}

/// Tab in the import line: complete the file or folder name typed so far
/// (to the longest common part when several match).
fn complete_path(app: &mut App) {
    let Mode::Import(typed) = &app.mode else {
        return;
    };
    let typed = typed.clone();
    let expanded = expand_home(&typed).display().to_string();
    let (folder, prefix) = match expanded.rfind('/') {
        Some(i) => (&expanded[..=i], &expanded[i + 1..]),
        None => ("", expanded.as_str()),
    };
    let dir = if folder.is_empty() { "." } else { folder };
    let Ok(entries) = std::fs::read_dir(dir) else {
        app.info(format!("No folder {}", text::line(dir)));
        return;
    };
    let mut names: Vec<(String, bool)> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (name.starts_with(prefix) && (prefix.starts_with('.') || !name.starts_with('.')))
                .then_some((name, is_dir))
        })
        .collect();
    names.sort();
    let completed = match names.as_slice() {
        [] => {
            app.info(format!("Nothing here starts with {}", text::line(prefix)));
            return;
        }
        [(name, is_dir)] => format!("{name}{}", if *is_dir { "/" } else { "" }),
        several => {
            let first = &several[0].0;
            let common = several.iter().fold(first.len(), |n, (name, _)| {
                first
                    .char_indices()
                    .zip(name.chars())
                    .take_while(|((_, a), b)| a == b)
                    .last()
                    .map_or(0, |((i, c), _)| i + c.len_utf8())
                    .min(n)
            });
            let shown: Vec<&str> = several.iter().take(6).map(|(n, _)| n.as_str()).collect();
            app.info(format!(
                "{}{}",
                text::line(&shown.join("  ")),
                if several.len() > 6 { "  …" } else { "" }
            ));
            first[..common].to_owned()
        }
    };
    // Keep what the reviewer typed before the name (`~/` stays `~/`).
    let kept = match typed.rfind('/') {
        Some(i) => &typed[..=i],
        None => "",
    };
    app.mode = Mode::Import(format!("{kept}{completed}"));
}

fn imported(app: &mut App, report: ImportReport) -> crate::store::Result<()> {
    let title = text::line(&report.title).into_owned();
    if report.already {
        app.info(format!("Already imported as «{title}»; selected it"));
    } else {
        app.info(format!("Imported «{title}»; press A to analyse it"));
    }
    app.focus = Pane::Protocols;
    if !app.find_protocol(&report.id)? {
        // The search in force hides it: show everything.
        app.search = None;
        app.find_protocol(&report.id)?;
    }
    app.select_protocol()
}

// ---- decisions ----

/// The suggestions an action applies to: the marked ones, else the one
/// under the cursor.
fn targets(app: &App) -> Vec<Suggestion> {
    if app.marks.is_empty() {
        return app.queue.selected().cloned().into_iter().collect();
    }
    let mut found: Vec<Suggestion> = app
        .queue
        .rows
        .iter()
        .filter(|s| app.marks.contains(&s.id))
        .cloned()
        .collect();
    // Marks outside the loaded window are read fresh.
    for id in &app.marks {
        if !found.iter().any(|s| &s.id == id)
            && let Ok(s) = app.store.suggestion(id)
        {
            found.push(s);
        }
    }
    found
}

/// How a write went.
enum Wrote {
    Done(Vec<UndoStep>),
    /// Handed to the writer thread; the rows show it meanwhile.
    Waiting(Effect),
    Conflict(String),
}

/// Write now if the store's write lock is free (never waiting for it);
/// otherwise, or while earlier writes wait, queue it behind them.
fn write(app: &mut App, write: PendingWrite) -> crate::store::Result<Wrote> {
    // A server known not to answer would hold the screen for the pool's
    // whole timeout: straight to the writer.
    if app.waiting.is_empty() && !app.unreachable {
        match writer::commit(&app.store, &write, writer::Lock::Try) {
            Ok(steps) => return Ok(Wrote::Done(steps)),
            Err(StoreError::Busy) => {}
            Err(StoreError::Unreachable(why)) => {
                super::log::error(&why);
                app.unreachable = true;
            }
            Err(e) => {
                return match writer::conflict(&e) {
                    Some(message) => Ok(Wrote::Conflict(message)),
                    None => Err(e),
                };
            }
        }
    }
    show_as_written(app, &write);
    app.waiting.push(write.clone());
    app.info(waiting_message(app));
    Ok(Wrote::Waiting(Effect::Write(write)))
}

/// The poll for other reviewers' changes failed. On PostgreSQL that is
/// the server not answering: later decisions go straight to the writer.
/// Said once while it lasts; decisions waiting keep their status line.
pub fn poll_failed(app: &mut App, message: String) {
    if app.store.is_postgres() {
        app.unreachable = true;
    }
    if app.poll_failed.as_deref() == Some(message.as_str()) {
        return;
    }
    app.poll_failed = Some(message.clone());
    if app.waiting.is_empty() {
        app.error(message);
    } else {
        super::log::error(&message);
        app.info(waiting_message(app));
    }
    app.dirty = true;
}

/// What the status line says while decisions wait to be written.
fn waiting_message(app: &App) -> String {
    let n = app.waiting.len();
    let why = if app.unreachable {
        "PostgreSQL is not answering"
    } else {
        "Store busy (another program is writing)"
    };
    format!("{why}; retrying {n} waiting write{}…", plural(n))
}

/// The rows show a waiting write as made, with its revision moved on, so
/// the next decision on the same suggestion builds on it.
fn show_as_written(app: &mut App, write: &PendingWrite) {
    for change in &write.changes {
        if let Some(row) = app.queue.rows.iter_mut().find(|s| s.id == change.id) {
            row.status = change.after.status;
            row.user_comment = change.after.user_comment.clone();
            row.modified_content = change.after.modified_content.clone();
            row.revision = change.revision + 1;
        }
    }
}

fn written(
    app: &mut App,
    result: std::result::Result<Vec<UndoStep>, WriteFailure>,
) -> crate::store::Result<()> {
    let done = (!app.waiting.is_empty()).then(|| app.waiting.remove(0));
    match result {
        Ok(steps) => {
            app.unreachable = false;
            if let Some(done) = &done {
                if done.is_undo {
                    rebase_undo(app, &steps);
                } else {
                    app.undo.push(steps);
                }
                if app.waiting.is_empty() {
                    app.info(format!(
                        "Saved: {} {} · u to undo",
                        done.done,
                        count(done.changes.len())
                    ));
                }
            }
        }
        Err(WriteFailure::Conflict(message)) => app.error(format!("Not saved: {message}")),
        Err(WriteFailure::Other(message)) => app.error(format!("Not saved: {message}")),
    }
    if app.waiting.is_empty() {
        if app.quitting {
            app.quit = true;
        }
        return app.load();
    }
    Ok(())
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 suggestion".to_owned()
    } else {
        format!("{n} suggestions")
    }
}

/// Commit a decision on the targets in one transaction. Each is guarded by
/// the revision this screen last read, so a decision made meanwhile in
/// another session is never silently overwritten.
fn decide(app: &mut App, verb: Verb) -> Result {
    let targets = targets(app);
    if targets.is_empty() {
        app.info("Nothing to decide here: select a suggestion in the review queue");
        return Ok(None);
    }
    let changes: Vec<Change> = targets
        .iter()
        .map(|t| Change {
            id: t.id.clone(),
            revision: t.revision,
            before: t.decision(),
            after: t.after(&verb, None),
        })
        // Deciding what is already so writes nothing and leaves no undo.
        .filter(|c| c.after != c.before)
        .collect();
    if changes.is_empty() {
        app.info(if targets.len() == 1 {
            "Nothing to change: it is already so"
        } else {
            "Nothing to change: they are already so"
        });
        return Ok(None);
    }
    let n = changes.len();
    // A comment is not a decision: the cursor stays where it is.
    let single = n == 1 && app.marks.is_empty() && !matches!(verb, Verb::Comment(_));
    let current = app.queue.selected().map(|s| s.id.clone());
    let outcome = write(
        app,
        PendingWrite {
            changes,
            done: verb_done(&verb),
            is_undo: false,
        },
    )?;
    app.marks.clear();
    match outcome {
        Wrote::Done(steps) => {
            app.undo.push(steps);
            app.info(format!("{} {} · u to undo", verb_done(&verb), count(n)));
            app.fetch_queue(current.as_deref())?;
        }
        Wrote::Waiting(effect) => {
            if single {
                advance_to_pending(app);
            }
            return Ok(Some(effect));
        }
        Wrote::Conflict(message) => {
            app.error(format!("Not saved: {message}"));
            app.load()?;
            return Ok(None);
        }
    }
    if single {
        advance_to_pending(app);
    }
    Ok(None)
}

fn verb_done(verb: &Verb) -> &'static str {
    match verb {
        Verb::Accept => "Accepted",
        Verb::Reject => "Rejected",
        Verb::Pending => "Back to pending:",
        Verb::Modify(_) => "Modified",
        Verb::Comment(_) => "Commented on",
    }
}

/// After a decision the cursor moves on to the next suggestion still
/// waiting for one.
fn advance_to_pending(app: &mut App) {
    let start = app.queue.cursor.saturating_sub(app.queue.offset) as usize;
    if let Some(i) = app
        .queue
        .rows
        .iter()
        .enumerate()
        .skip(start)
        .find(|(_, s)| s.status == SuggestionStatus::Pending)
        .map(|(i, _)| i)
    {
        app.queue.cursor = app.queue.offset + i as u64;
        app.detail_scroll = 0;
    }
}

fn mark(app: &mut App) -> Result {
    let Some(id) = app.queue.selected().map(|s| s.id.clone()) else {
        return Ok(None);
    };
    if !app.marks.remove(&id) {
        app.marks.insert(id);
    }
    app.info(format!(
        "{} marked · a / r act on all marked",
        app.marks.len()
    ));
    move_cursor(app, 1)
}

fn open_editor(app: &mut App, kind: EditKind) -> Result {
    let Some(target) = app.queue.selected().cloned() else {
        app.info("Select a suggestion in the review queue first");
        return Ok(None);
    };
    // Modify edits only the wording that goes into the protocol; the
    // finding stays above it, read-only.
    let initial = match kind {
        EditKind::Modify => target
            .modified_content
            .clone()
            .or_else(|| target.suggested_text.clone())
            .unwrap_or_default(),
        EditKind::Comment => target.user_comment.clone().unwrap_or_default(),
    };
    let lines: Vec<String> = text::lines(&initial);
    let mut area = TextArea::new(if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    });
    // Paragraphs are single long lines: wrap them on screen, not in the text.
    area.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    area.move_cursor(ratatui_textarea::CursorMove::Bottom);
    area.move_cursor(ratatui_textarea::CursorMove::End);
    let initial = area.lines().join("\n");
    app.mode = Mode::Editor(Box::new(Editor {
        kind,
        area,
        initial,
        target,
    }));
    Ok(None)
}

/// Esc or Ctrl-C in the editor: close it, asking first if that would lose
/// changes.
fn close_editor(app: &mut App) -> Result {
    let Mode::Editor(editor) = std::mem::replace(&mut app.mode, Mode::Normal) else {
        return Ok(None);
    };
    if !editor.changed() {
        app.info("Edit closed; nothing changed");
        return Ok(None);
    }
    let what = match editor.kind {
        EditKind::Modify => "your wording",
        EditKind::Comment => "your comment",
    };
    app.mode = Mode::Confirm(Box::new(Confirm {
        question: format!("Discard {what}? y discards it, n goes back to editing"),
        on_yes: OnYes::DiscardEdit,
        back: Mode::Editor(editor),
    }));
    Ok(None)
}

fn save_editor(app: &mut App) -> Result {
    let Mode::Editor(editor) = std::mem::replace(&mut app.mode, Mode::Normal) else {
        return Ok(None);
    };
    let text = editor.text();
    let verb = match editor.kind {
        EditKind::Modify if text.trim().is_empty() => {
            app.error("The wording is empty; nothing saved (x sets it back to pending)");
            app.mode = Mode::Editor(editor);
            return Ok(None);
        }
        EditKind::Modify => Verb::Modify(text),
        EditKind::Comment => Verb::Comment(text),
    };
    // Decide on the suggestion as it was when editing began.
    app.marks.clear();
    let keep = app.queue.selected().map(|s| s.id.clone());
    if keep.as_deref() != Some(editor.target.id.as_str()) {
        app.fetch_queue(Some(&editor.target.id))?;
    }
    let position = app.queue.rows.iter().position(|s| s.id == editor.target.id);
    match position {
        Some(i) => {
            app.queue.rows[i] = editor.target.clone();
            app.queue.cursor = app.queue.offset + i as u64;
            decide(app, verb)
        }
        None => {
            app.error("That suggestion is no longer in the queue; nothing saved");
            Ok(None)
        }
    }
}

/// An undo put each suggestion back as our decision before it left it,
/// at a new revision: the step below for that suggestion (if any) now
/// expects that revision, so it can be undone in turn. Any other change
/// in between would have failed the undo, so nothing else is overwritten.
fn rebase_undo(app: &mut App, undone: &[UndoStep]) {
    for step in undone {
        let below = app
            .undo
            .iter_mut()
            .rev()
            .flat_map(|group| group.iter_mut())
            .find(|s| s.id == step.id);
        if let Some(below) = below {
            below.revision = step.revision;
        }
    }
}

/// Take back the last decision (all of a marked batch at once). A
/// suggestion changed since by someone else is left as it is.
fn undo(app: &mut App) -> Result {
    if !app.waiting.is_empty() {
        app.info("Decisions are still being saved; undo once they are");
        return Ok(None);
    }
    let Some(steps) = app.undo.pop() else {
        app.info("Nothing to undo in this session");
        return Ok(None);
    };
    let keep = steps.first().map(|s| s.id.clone());
    let n = steps.len();
    let changes = steps
        .iter()
        .rev()
        .map(|step| Change {
            id: step.id.clone(),
            revision: step.revision,
            before: step.before.clone(),
            after: step.before.clone(),
        })
        .collect();
    let outcome = write(
        app,
        PendingWrite {
            changes,
            done: "Undone:",
            is_undo: true,
        },
    )?;
    match outcome {
        Wrote::Done(steps) => {
            rebase_undo(app, &steps);
            app.info(format!("Undone: {} back as before", count(n)));
            app.fetch_queue(keep.as_deref())?;
            Ok(None)
        }
        Wrote::Waiting(effect) => Ok(Some(effect)),
        Wrote::Conflict(message) => {
            app.error(format!("Cannot undo: {message}"));
            app.load()?;
            Ok(None)
        }
    }
}
