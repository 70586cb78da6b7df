//! `update`: the one place the interface's state changes. Keys, the clock
//! and the worker arrive as events; decisions are committed to the store
//! here, the moment they are made.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;

use super::action::{Action, Event};
use super::app::{App, EditKind, Editor, Mode, Pane, UndoStep};
use crate::store::suggestions::{self, Expect, Suggestion, Verb};
use crate::store::{StoreError, SuggestionStatus};

/// What the event loop must do beyond redrawing.
#[derive(Debug, PartialEq, Eq)]
pub enum Effect {
    Suspend,
    /// Run an analysis of this protocol on the worker.
    Analyse(String),
    /// Import this file on the worker.
    Import(std::path::PathBuf),
}

pub fn update(app: &mut App, event: Event) -> Option<Effect> {
    app.dirty = true;
    let result = match event {
        Event::Key(action) => return on_action(app, action),
        Event::StoreChanged => app.load(),
        Event::Resized => Ok(()),
        Event::Analysed {
            protocol_id,
            result,
        } => {
            app.busy = None;
            match result {
                Ok(outcome) => app.info(format!(
                    "Analysed {protocol_id}: overall {:.1}",
                    outcome.analysis.overall_score.unwrap_or(0.0)
                )),
                Err(e) => app.error(e),
            }
            app.load()
        }
        Event::Imported(result) => {
            app.busy = None;
            match result {
                Ok(id) => {
                    app.info(format!("Imported {id}; press A to analyse it"));
                    app.protocols.cursor = 0;
                    app.focus = Pane::Protocols;
                    app.load().and_then(|()| {
                        if let Some(i) = app.protocols.rows.iter().position(|r| r.info.id == id) {
                            app.protocols.cursor = app.protocols.offset + i as u64;
                        }
                        app.select_protocol()
                    })
                }
                Err(e) => {
                    app.error(e);
                    Ok(())
                }
            }
        }
    };
    report(app, result);
    None
}

fn report(app: &mut App, result: crate::store::Result<()>) {
    if let Err(e) = result {
        app.error(e.to_string());
    }
}

fn on_action(app: &mut App, action: Action) -> Option<Effect> {
    let result = match (&app.mode, action) {
        (_, Action::Quit) => {
            app.quit = true;
            Ok(())
        }
        (_, Action::Suspend) => return Some(Effect::Suspend),
        (Mode::Help(scroll), Action::ScrollDetailDown | Action::ScrollDetailUp) => {
            let scroll = if action == Action::ScrollDetailDown {
                scroll.saturating_add(2)
            } else {
                scroll.saturating_sub(2)
            };
            app.mode = Mode::Help(scroll);
            Ok(())
        }
        (Mode::Help(_) | Mode::Dashboard(_), Action::Close) => {
            app.mode = Mode::Normal;
            Ok(())
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
            Ok(())
        }
        (Mode::Import(text), Action::Apply) => {
            let path = std::path::PathBuf::from(text.trim());
            app.mode = Mode::Normal;
            if path.as_os_str().is_empty() {
                return None;
            }
            if app.busy.is_some() {
                app.info("Busy with another job; try again when it is done");
                return None;
            }
            app.busy = Some(path.display().to_string());
            app.info(format!(
                "Importing {}…",
                super::text::line(&path.display().to_string())
            ));
            return Some(Effect::Import(path));
        }
        (Mode::Versions(_), Action::Close) => {
            app.mode = Mode::Normal;
            Ok(())
        }
        (Mode::Versions(view), Action::ScrollDetailDown | Action::ScrollDetailUp) => {
            let scroll = if action == Action::ScrollDetailDown {
                view.scroll.saturating_add(3)
            } else {
                view.scroll.saturating_sub(3)
            };
            if let Mode::Versions(view) = &mut app.mode {
                view.scroll = scroll;
            }
            Ok(())
        }
        (Mode::Editor(_), Action::Close) => {
            app.mode = Mode::Normal;
            app.info("Edit cancelled; nothing saved");
            Ok(())
        }
        (Mode::Editor(_), Action::Save) => save_editor(app),
        (_, Action::Help) => {
            app.mode = Mode::Help(0);
            Ok(())
        }
        (_, Action::Dashboard) => app
            .dashboard()
            .map(|d| app.mode = Mode::Dashboard(Box::new(d))),
        (_, Action::Search) => {
            app.mode = Mode::Search(app.search.clone().unwrap_or_default());
            Ok(())
        }
        (_, Action::FocusNext) => focus(app, app.focus.next()),
        (_, Action::FocusPrev) => focus(app, app.focus.prev()),
        (_, Action::FocusProtocols) => focus(app, Pane::Protocols),
        (_, Action::FocusScores) => focus(app, Pane::Scores),
        (_, Action::FocusQueue) => focus(app, Pane::Queue),
        (_, Action::Analyse) => return analyse(app),
        (_, Action::Import) => {
            app.mode = Mode::Import(String::new());
            Ok(())
        }
        (_, Action::ApplyDecisions) => apply_decisions(app),
        (_, Action::Versions) => open_versions(app),
        (_, Action::Down) => move_cursor(app, 1),
        (_, Action::Up) => move_cursor(app, -1),
        (_, Action::PageDown) => move_cursor(app, 10),
        (_, Action::PageUp) => move_cursor(app, -10),
        (_, Action::First) => move_cursor(app, i64::MIN / 2),
        (_, Action::Last) => move_cursor(app, i64::MAX / 2),
        (_, Action::Open) => focus(app, Pane::Queue),
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
            app.info(format!("Showing {} suggestions", app.filter.label()));
            app.fetch_queue(None)
        }
        (_, Action::ScrollDetailDown) => {
            app.detail_scroll = app.detail_scroll.saturating_add(3);
            Ok(())
        }
        (_, Action::ScrollDetailUp) => {
            app.detail_scroll = app.detail_scroll.saturating_sub(3);
            Ok(())
        }
        (_, Action::Close | Action::Save | Action::Apply) => Ok(()),
    };
    report(app, result);
    None
}

/// Raw keys typed into the search line or the editor.
pub fn type_key(app: &mut App, key: KeyEvent) {
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

/// Decisions become a new version of the selected protocol (fast: one
/// transaction on this thread).
fn apply_decisions(app: &mut App) -> crate::store::Result<()> {
    let Some(id) = app.selected_protocol_id() else {
        app.info("Select a protocol first");
        return Ok(());
    };
    let user = crate::jobs::import::current_user();
    match crate::jobs::apply::run(&app.store, &id, None, user.as_deref()) {
        Ok(applied) => {
            app.info(format!(
                "Version {} written with {} suggestion(s) · v shows the change",
                applied.version.version_number,
                applied.applied.len()
            ));
            app.load()
        }
        Err(e) => {
            app.error(e.to_string());
            Ok(())
        }
    }
}

fn open_versions(app: &mut App) -> crate::store::Result<()> {
    use super::app::{DiffLine, VersionsView};
    let Some(id) = app.selected_protocol_id() else {
        app.info("Select a protocol first");
        return Ok(());
    };
    let all = app
        .store
        .read(|conn| crate::store::versions::list(conn, &id))?;
    let listing = all
        .iter()
        .map(|v| {
            format!(
                "v{}  {}  {}  {}",
                v.version_number,
                crate::format::when(&v.created_at),
                v.created_by.as_deref().unwrap_or("—"),
                v.change_summary
                    .as_deref()
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
            )
        })
        .collect();
    let mut diff = Vec::new();
    if let [.., old, new] = all.as_slice() {
        let text = similar::TextDiff::from_lines(&old.content, &new.content)
            .unified_diff()
            .context_radius(2)
            .header(
                &format!("version {}", old.version_number),
                &format!("version {}", new.version_number),
            )
            .to_string();
        for line in text.lines() {
            let shown = line.get(1..).unwrap_or("").to_owned();
            diff.push(match line.chars().next() {
                Some('@') => DiffLine::Header(line.to_owned()),
                Some('+') if !line.starts_with("+++") => DiffLine::Added(shown),
                Some('-') if !line.starts_with("---") => DiffLine::Removed(shown),
                _ => DiffLine::Context(line.to_owned()),
            });
        }
    }
    app.mode = Mode::Versions(Box::new(VersionsView {
        listing,
        diff,
        scroll: 0,
    }));
    Ok(())
}

fn focus(app: &mut App, pane: Pane) -> crate::store::Result<()> {
    app.focus = pane;
    Ok(())
}

fn set_search(app: &mut App, search: Option<String>) -> crate::store::Result<()> {
    if app.search == search {
        return Ok(());
    }
    app.search = search;
    app.protocols.cursor = 0;
    app.fetch_protocols(None)?;
    if let Some(q) = &app.search {
        app.info(format!(
            "{} protocols match \"{}\"",
            app.protocols.total,
            super::text::line(q)
        ));
    }
    app.select_protocol()
}

fn move_cursor(app: &mut App, delta: i64) -> crate::store::Result<()> {
    match app.focus {
        Pane::Protocols => {
            let before = app.protocols.cursor;
            app.protocols.move_by(delta);
            if app.protocols.cursor != before {
                app.select_protocol()?;
            }
            Ok(())
        }
        Pane::Queue => {
            let before = app.queue.cursor;
            app.queue.move_by(delta);
            if app.queue.cursor != before {
                app.detail_scroll = 0;
                if app.queue.needs_fetch() {
                    let keep = None;
                    app.fetch_queue(keep)?;
                }
            }
            Ok(())
        }
        Pane::Scores => Ok(()),
    }
}

fn analyse(app: &mut App) -> Option<Effect> {
    let Some(id) = app.selected_protocol_id() else {
        app.error("No protocol selected: import one with 'protoscribe import FILE'");
        return None;
    };
    if let Some(busy) = &app.busy {
        app.info(format!("Already analysing {busy}; one analysis at a time"));
        return None;
    }
    app.busy = Some(id.clone());
    app.info(format!("Analysing {id}…"));
    Some(Effect::Analyse(id))
}

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
            && let Ok(s) = app.store.read(|conn| suggestions::get(conn, id))
        {
            found.push(s);
        }
    }
    found
}

/// Commit a decision on the targets in one transaction. Each is guarded by
/// the `updated_at` this screen last read, so a decision made meanwhile in
/// another session is never silently overwritten.
fn decide(app: &mut App, verb: Verb) -> crate::store::Result<()> {
    let targets = targets(app);
    if targets.is_empty() {
        app.info("Nothing to decide here: select a suggestion in the review queue");
        return Ok(());
    }
    let decided = app.store.write(|tx| {
        let mut steps = Vec::with_capacity(targets.len());
        for t in &targets {
            let decision = t.after(&verb, None);
            let after = suggestions::decide(
                tx,
                &t.id,
                &decision,
                Expect::Unchanged(t.updated_at.as_deref()),
            )?;
            steps.push(UndoStep {
                id: t.id.clone(),
                before: t.decision(),
                stamped: after.updated_at,
            });
        }
        Ok(steps)
    });
    // A comment is not a decision: the cursor stays where it is.
    let single = targets.len() == 1 && app.marks.is_empty() && !matches!(verb, Verb::Comment(_));
    let current = app.queue.selected().map(|s| s.id.clone());
    match decided {
        Ok(steps) => {
            let n = steps.len();
            app.undo.push(steps);
            app.marks.clear();
            app.info(format!(
                "{} {} · u to undo",
                verb_done(&verb),
                if n == 1 {
                    "1 suggestion".to_owned()
                } else {
                    format!("{n} suggestions")
                }
            ));
            app.fetch_queue(current.as_deref())?;
            if single {
                advance_to_pending(app);
            }
            Ok(())
        }
        Err(StoreError::Conflict(message)) => {
            app.error(message);
            app.load()
        }
        Err(e) => Err(e),
    }
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
    }
}

fn mark(app: &mut App) -> crate::store::Result<()> {
    let Some(id) = app.queue.selected().map(|s| s.id.clone()) else {
        return Ok(());
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

fn open_editor(app: &mut App, kind: EditKind) -> crate::store::Result<()> {
    let Some(target) = app.queue.selected().cloned() else {
        app.info("Select a suggestion in the review queue first");
        return Ok(());
    };
    let text = match kind {
        EditKind::Modify => target
            .modified_content
            .clone()
            .unwrap_or_else(|| target.content.clone()),
        EditKind::Comment => target.user_comment.clone().unwrap_or_default(),
    };
    let lines: Vec<String> = super::text::lines(&text);
    let mut area = TextArea::new(if lines.is_empty() {
        vec![String::new()]
    } else {
        lines
    });
    // Paragraphs are single long lines: wrap them on screen, not in the text.
    area.set_wrap_mode(ratatui_textarea::WrapMode::WordOrGlyph);
    area.move_cursor(ratatui_textarea::CursorMove::Bottom);
    area.move_cursor(ratatui_textarea::CursorMove::End);
    app.mode = Mode::Editor(Box::new(Editor { kind, area, target }));
    Ok(())
}

fn save_editor(app: &mut App) -> crate::store::Result<()> {
    let Mode::Editor(editor) = std::mem::replace(&mut app.mode, Mode::Normal) else {
        return Ok(());
    };
    let text = editor.area.lines().join("\n");
    let verb = match editor.kind {
        EditKind::Modify if text.trim().is_empty() => {
            app.error("The modified text is empty; nothing saved (x sets it back to pending)");
            return Ok(());
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
            Ok(())
        }
    }
}

/// Take back the last decision (all of a marked batch at once). A
/// suggestion changed since by someone else is left as it is.
fn undo(app: &mut App) -> crate::store::Result<()> {
    let Some(steps) = app.undo.pop() else {
        app.info("Nothing to undo in this session");
        return Ok(());
    };
    let result = app.store.write(|tx| {
        for step in steps.iter().rev() {
            suggestions::decide(
                tx,
                &step.id,
                &step.before,
                Expect::Unchanged(step.stamped.as_deref()),
            )?;
        }
        Ok(())
    });
    let keep = steps.first().map(|s| s.id.clone());
    match result {
        Ok(()) => {
            app.info(format!(
                "Undone: {} back as before",
                if steps.len() == 1 {
                    "1 suggestion".to_owned()
                } else {
                    format!("{} suggestions", steps.len())
                }
            ));
            app.fetch_queue(keep.as_deref())
        }
        Err(StoreError::Conflict(message)) => {
            app.error(format!("Cannot undo: {message}"));
            app.load()
        }
        Err(e) => Err(e),
    }
}
