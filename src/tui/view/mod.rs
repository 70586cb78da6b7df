//! Drawing. Everything here reads `&App` and changes nothing but the
//! scroll limits it measures (`App::limits`). Wide terminals show the
//! panes side by side; at 80×24 the panes become tabs.

mod dashboard;
mod help;
mod protocols;
mod queue;
mod scores;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::action::Action;
use super::app::{App, MIN_HEIGHT, MIN_WIDTH, Mode, Pane};
use super::{keymap, text};

/// From this size on, the panes stand side by side.
const WIDE_WIDTH: u16 = 120;
const WIDE_HEIGHT: u16 = 32;

pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "ProtoScribe needs at least {MIN_WIDTH}×{MIN_HEIGHT}; this terminal is {}×{}. Enlarge it, or press q to quit.",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(5),
        Constraint::Length(2),
    ])
    .areas(area);
    draw_header(frame, app, header);
    match &app.mode {
        Mode::Dashboard(d) => dashboard::draw(frame, app, d, body),
        _ if area.width >= WIDE_WIDTH && area.height >= WIDE_HEIGHT => draw_wide(frame, app, body),
        _ => draw_tabs(frame, app, body),
    }
    draw_footer(frame, app, footer);
    match &app.mode {
        // The overlay may cover header and footer: it lists every key.
        Mode::Help(scroll) => help::draw(frame, app, area, *scroll),
        Mode::Editor(editor) => queue::draw_editor(frame, app, editor, body),
        Mode::Versions(versions) => draw_versions(frame, app, versions, body),
        Mode::Confirm(confirm) => {
            if let Mode::Editor(editor) = &confirm.back {
                queue::draw_editor(frame, app, editor, body);
            }
            draw_confirm(frame, app, &confirm.question, body);
        }
        _ => {}
    }
}

fn draw_wide(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let [list, scores] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(left);
    protocols::draw(frame, app, list);
    scores::draw(frame, app, scores);
    queue::draw(frame, app, right);
}

fn draw_tabs(frame: &mut Frame<'_>, app: &App, area: Rect) {
    match app.focus {
        Pane::Protocols => protocols::draw(frame, app, area),
        Pane::Scores => scores::draw(frame, app, area),
        Pane::Queue => queue::draw(frame, app, area),
    }
}

fn draw_header(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let theme = app.theme;
    let tab = |n: &str, name: &str, pane: Pane| {
        let style = if app.focus == pane && !matches!(app.mode, Mode::Dashboard(_)) {
            theme.selected()
        } else {
            Style::default()
        };
        Span::styled(format!(" {n} {name} "), style)
    };
    let mut spans = vec![
        Span::styled(" ProtoScribe ", theme.title()),
        tab("1", "Protocols", Pane::Protocols),
        tab("2", "Scores", Pane::Scores),
        tab("3", "Review", Pane::Queue),
    ];
    if let Mode::Dashboard(_) = app.mode {
        spans.push(Span::styled(" Dashboard ", theme.selected()));
    }
    let used: usize = spans.iter().map(|s| s.width()).sum();
    let busy = match (&app.busy, app.waiting.len()) {
        (_, n) if n > 0 => Some(format!(
            "⟳ saving {n} decision{}",
            if n == 1 { "" } else { "s" }
        )),
        (Some(busy), _) => Some(format!("⟳ {busy}")),
        (None, _) => None,
    };
    if let Some(busy) = busy {
        let room = (area.width as usize).saturating_sub(used + 2);
        spans.push(Span::styled(
            format!("  {}", text::fit(&busy, room)),
            theme.key(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Status (or the search line) above, key hints from the key table below.
fn draw_footer(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let theme = app.theme;
    let [status, hints] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let width = area.width as usize;
    let input = |label: &'static str, typed: &str| {
        // The end of what is typed stays in view.
        let room = width.saturating_sub(label.len() + 2);
        let shown: String = {
            let clean = text::line(typed);
            let chars: Vec<char> = clean.chars().collect();
            let skip = chars.len().saturating_sub(room);
            let tail: String = chars[skip..].iter().collect();
            if skip > 0 {
                format!("…{}", tail.chars().skip(1).collect::<String>())
            } else {
                tail
            }
        };
        Line::from(vec![
            Span::styled(label, theme.key()),
            Span::raw(shown),
            Span::styled("▏", theme.key()),
        ])
    };
    let line = match (&app.mode, &app.status) {
        (Mode::Import(typed), _) => input("Import file: ", typed),
        (Mode::Search(typed), _) => input("Search: ", typed),
        (_, Some(s)) => Line::styled(
            text::fit(&s.text, width),
            if s.error {
                theme.error()
            } else {
                Style::default()
            },
        ),
        (_, None) if !app.loaded => Line::styled("Loading…", theme.dim()),
        (_, None) => Line::styled(
            text::fit(&app.store.path().display().to_string(), width),
            theme.dim(),
        ),
    };
    frame.render_widget(Paragraph::new(line), status);
    // The context's own keys first; help and quit always fit at the end.
    let always: Vec<&keymap::Binding> = keymap::BINDINGS
        .iter()
        .filter(|b| {
            b.context == keymap::Context::Global && matches!(b.action, Action::Help | Action::Quit)
        })
        .collect();
    let piece = |b: &keymap::Binding| {
        let key = b.keys.first().map(|k| k.label()).unwrap_or_default();
        (key, b.short)
    };
    let show_always = matches!(app.mode, Mode::Normal | Mode::Dashboard(_));
    let reserved: usize = if show_always {
        always
            .iter()
            .map(|b| {
                let (k, h) = piece(b);
                k.chars().count() + h.len() + 3
            })
            .sum()
    } else {
        0
    };
    let mut spans = Vec::new();
    let mut used = 0usize;
    let specific =
        keymap::hints(app.context()).filter(|b| !always.iter().any(|a| std::ptr::eq(*a, *b)));
    for b in specific {
        let (key, help) = piece(b);
        let len = key.chars().count() + help.len() + 3;
        if used + len + reserved > width {
            break;
        }
        used += len;
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {help}  ")));
    }
    if show_always {
        for b in always {
            let (key, help) = piece(b);
            spans.push(Span::styled(key, theme.key()));
            spans.push(Span::raw(format!(" {help}  ")));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), hints);
}

/// The selected protocol's versions above (any two can be compared) and
/// the change between them below, with a `+`/`-` gutter on every
/// wrapped piece of a line.
fn draw_versions(
    frame: &mut Frame<'_>,
    app: &App,
    versions: &super::app::VersionsView,
    body: Rect,
) {
    use super::app::DiffLine;
    let title = match app.selected_protocol_title() {
        Some(t) => format!(
            " Versions of {} ",
            text::fit(t, body.width.saturating_sub(20) as usize)
        ),
        None => " Versions ".to_owned(),
    };
    let inner = popup(frame, body, &title, app);
    let theme = app.theme;
    let list_height = (versions.versions.len() as u16 + 1)
        .min(inner.height / 3)
        .max(2);
    let [list, diff] =
        Layout::vertical([Constraint::Length(list_height), Constraint::Min(1)]).areas(inner);
    let compared = versions.compared();
    let rows = list.height.saturating_sub(1) as usize;
    let top = versions.cursor.saturating_sub(rows.saturating_sub(1));
    let width = list.width as usize;
    let mut lines: Vec<Line<'_>> = vec![Line::styled(
        text::cell("   ver  written           by          summary", width),
        theme.dim(),
    )];
    for (i, v) in versions.versions.iter().enumerate().skip(top).take(rows) {
        let marker = match compared {
            Some((old, _)) if old == i => "◦",
            Some((_, new)) if new == i => "▸",
            _ => " ",
        };
        let summary = v
            .change_summary
            .as_deref()
            .and_then(|s| s.lines().next())
            .unwrap_or(if v.version_number == 1 {
                "imported text"
            } else {
                ""
            });
        let row = format!(
            " {marker} v{:<3} {}  {}  {}",
            v.version_number,
            crate::format::when(&v.created_at),
            text::cell(v.created_by.as_deref().unwrap_or("—"), 10),
            summary
        );
        let line = Line::raw(text::fit(&row, width));
        lines.push(if i == versions.cursor {
            line.style(theme.selected())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), list);
    let [heading, diff] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(diff);
    let Some((old, new)) = compared else {
        frame.render_widget(
            Paragraph::new(vec![
                Line::raw(""),
                Line::raw(
                    "Only the imported text so far. Accept or modify suggestions, then press P.",
                ),
            ]),
            diff,
        );
        return;
    };
    let gutter_width = diff.width.saturating_sub(2) as usize;
    let mut lines: Vec<Line<'_>> = Vec::new();
    for d in &versions.diff {
        let (gutter, body, style) = match d {
            DiffLine::Added(t) => ("+ ", t.as_str(), theme.ok()),
            DiffLine::Removed(t) => ("- ", t.as_str(), theme.error()),
            DiffLine::Header(t) => ("", t.as_str(), theme.key()),
            DiffLine::Context(t) => ("  ", t.as_str(), Style::default()),
        };
        for piece in text::wrap(body, gutter_width) {
            lines.push(Line::styled(format!("{gutter}{piece}"), style));
        }
    }
    let total = lines.len();
    let max = (total as u16).saturating_sub(diff.height);
    record(app, |l| l.versions = max);
    let scroll = versions.scroll.min(max);
    // Which versions, and where in their diff the view is.
    let place = if max > 0 {
        let last = (scroll as usize + diff.height as usize).min(total);
        format!("lines {}–{last} of {total} · ", scroll + 1)
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            text::fit(
                &format!(
                    "v{} (◦) → v{} (▸) · {place}j/k choose · Space compares with it · J/K scroll",
                    versions.versions[old].version_number, versions.versions[new].version_number
                ),
                heading.width as usize,
            ),
            theme.dim(),
        )),
        heading,
    );
    frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), diff);
}

fn draw_confirm(frame: &mut Frame<'_>, app: &App, question: &str, body: Rect) {
    let width = body.width.saturating_sub(8).clamp(30, 70);
    let lines = text::wrap(question, width.saturating_sub(2) as usize);
    let area = centred(body, width, lines.len() as u16 + 2);
    let inner = popup(frame, area, " y / n ", app);
    frame.render_widget(
        Paragraph::new(lines.into_iter().map(Line::raw).collect::<Vec<_>>()),
        inner,
    );
}

/// Note how far a view can scroll, for `update` to stop there.
fn record(app: &App, set: impl FnOnce(&mut super::app::ScrollLimits)) {
    let mut limits = app.limits.get();
    set(&mut limits);
    app.limits.set(limits);
}

/// A bordered block whose border shows focus.
fn pane_block<'a>(app: &App, title: String, pane: Pane) -> Block<'a> {
    let focused = app.focus == pane && matches!(app.mode, Mode::Normal);
    Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border(focused))
        .title(Span::styled(title, app.theme.title()))
}

/// A pane's title: its name, then the protocol it shows, cut to fit.
fn titled(name: &str, protocol: Option<&str>, extra: &str, width: u16) -> String {
    let fixed = name.chars().count() + extra.chars().count() + 8;
    match protocol {
        Some(title) => {
            let room = (width as usize).saturating_sub(fixed);
            format!(" {name} · {}{extra} ", text::fit(title, room))
        }
        None => format!(" {name}{extra} "),
    }
}

/// The first row to show so that `cursor` stays visible in `height` rows,
/// within the loaded window `[offset, offset + len)`.
fn viewport(cursor: u64, offset: u64, len: usize, height: usize) -> usize {
    let index = cursor.saturating_sub(offset) as usize;
    let half = height / 2;
    let max_top = len.saturating_sub(height);
    index.saturating_sub(half).min(max_top)
}

/// Clear an area and draw a bordered popup over it.
fn popup(frame: &mut Frame<'_>, area: Rect, title: &str, app: &App) -> Rect {
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border(true))
        .title(Span::styled(title.to_owned(), app.theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    inner
}

/// A rectangle of at most `width`×`height` centred in `area`.
fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let w = width.min(area.width);
    let h = height.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
