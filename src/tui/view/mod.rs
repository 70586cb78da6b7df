//! Drawing. Everything here reads `&App` and changes nothing. Wide
//! terminals show the panes side by side; at 80×24 the panes become tabs.

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
use super::app::{App, Mode, Pane};
use super::keymap;

/// Below this, a message instead of a squeezed screen.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 15;
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
        _ => {}
    }
}

fn draw_wide(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(area);
    let [list, scores] =
        Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(left);
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
    if let Some(busy) = &app.busy {
        spans.push(Span::styled(format!("  ⟳ analysing {busy}"), theme.key()));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Status (or the search line) above, key hints from the key table below.
fn draw_footer(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let theme = app.theme;
    let [status, hints] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1)]).areas(area);
    let line = match (&app.mode, &app.status) {
        (Mode::Import(text), _) => Line::from(vec![
            Span::styled("Import file: ", theme.key()),
            Span::raw(super::text::line(text).into_owned()),
            Span::styled("▏", theme.key()),
        ]),
        (Mode::Search(text), _) => Line::from(vec![
            Span::styled("Search: ", theme.key()),
            Span::raw(super::text::line(text).into_owned()),
            Span::styled("▏", theme.key()),
        ]),
        (_, Some(s)) => Line::styled(
            super::text::line(&s.text).into_owned(),
            if s.error {
                theme.error()
            } else {
                Style::default()
            },
        ),
        (_, None) if !app.loaded => Line::styled("Loading…", theme.dim()),
        (_, None) => Line::styled(
            super::text::line(&app.store.path().display().to_string()).into_owned(),
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
    let reserved: usize = always
        .iter()
        .map(|b| {
            let (k, h) = piece(b);
            k.chars().count() + h.len() + 3
        })
        .sum();
    let mut spans = Vec::new();
    let mut width = 0usize;
    let specific =
        keymap::hints(app.context()).filter(|b| !always.iter().any(|a| std::ptr::eq(*a, *b)));
    for b in specific {
        let (key, help) = piece(b);
        let len = key.chars().count() + help.len() + 3;
        if width + len + reserved > area.width as usize {
            break;
        }
        width += len;
        spans.push(Span::styled(key, theme.key()));
        spans.push(Span::raw(format!(" {help}  ")));
    }
    if matches!(app.mode, Mode::Normal | Mode::Dashboard(_)) {
        for b in always {
            let (key, help) = piece(b);
            spans.push(Span::styled(key, theme.key()));
            spans.push(Span::raw(format!(" {help}  ")));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), hints);
}

/// The selected protocol's versions and, below, the last change as a diff.
fn draw_versions(
    frame: &mut Frame<'_>,
    app: &App,
    versions: &super::app::VersionsView,
    body: Rect,
) {
    use super::app::DiffLine;
    let inner = popup(frame, body, " Versions · j/k scroll · Esc close ", app);
    let theme = app.theme;
    let mut lines: Vec<Line<'_>> = versions
        .listing
        .iter()
        .map(|l| Line::styled(super::text::line(l).into_owned(), theme.title()))
        .collect();
    if versions.listing.len() < 2 {
        lines.push(Line::raw(""));
        lines.push(Line::raw(
            "Only the imported text so far. Accept or modify suggestions, then press P.",
        ));
    } else {
        lines.push(Line::raw(""));
    }
    for d in &versions.diff {
        lines.push(match d {
            DiffLine::Added(t) => Line::styled(format!("+ {}", super::text::line(t)), theme.ok()),
            DiffLine::Removed(t) => {
                Line::styled(format!("- {}", super::text::line(t)), theme.error())
            }
            DiffLine::Header(t) => Line::styled(super::text::line(t).into_owned(), theme.key()),
            DiffLine::Context(t) => Line::raw(super::text::line(t).into_owned()),
        });
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((versions.scroll, 0)),
        inner,
    );
}

/// A bordered block whose border shows focus.
fn pane_block<'a>(app: &App, title: String, pane: Pane) -> Block<'a> {
    let focused = app.focus == pane && matches!(app.mode, Mode::Normal);
    Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border(focused))
        .title(Span::styled(title, app.theme.title()))
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
