//! The review queue of the selected protocol's latest analysis: progress,
//! the list (critical and high priority first), the selected suggestion in
//! full, and the editor for modify and comment.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{centred, pane_block, popup, viewport};
use crate::tui::app::{App, EditKind, Editor, Pane};
use crate::tui::text;
use crate::tui::theme::{kind_label, priority_letter, status_symbol};

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let q = &app.queue;
    let title = format!(" Review queue · {} ({}) ", app.filter.label(), q.total);
    let block = pane_block(app, title, Pane::Queue);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(view) = &app.view else {
        frame.render_widget(
            Paragraph::new("No completed analysis for this protocol yet."),
            inner,
        );
        return;
    };
    let [progress, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Percentage(45),
        Constraint::Min(3),
    ])
    .areas(inner);
    let p = &view.progress;
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                format!("{} of {} reviewed", p.reviewed(), p.total),
                app.theme.title(),
            ),
            Span::raw(format!(
                " · {} accepted · {} modified · {} rejected{}",
                p.accepted,
                p.modified,
                p.rejected,
                if app.marks.is_empty() {
                    String::new()
                } else {
                    format!(" · {} marked", app.marks.len())
                }
            )),
        ])),
        progress,
    );
    if q.total == 0 {
        let message = if app.filter == crate::tui::app::QueueFilter::All {
            "This analysis made no suggestions."
        } else {
            "Nothing matches this filter; f shows the next one."
        };
        frame.render_widget(Paragraph::new(message), list);
        return;
    }
    let height = list.height as usize;
    let top = viewport(q.cursor, q.offset, q.rows.len(), height);
    let width = list.width as usize;
    let lines: Vec<Line<'_>> = q
        .rows
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, s)| {
            let selected = q.offset + i as u64 == q.cursor;
            let mark = if app.marks.contains(&s.id) {
                "▸"
            } else {
                " "
            };
            let section: String = text::line(&s.section).chars().take(18).collect();
            let first = s.content.lines().next().unwrap_or_default();
            let used = 2 + 2 + 2 + 5 + 20 + 5;
            let summary: String = text::line(first)
                .chars()
                .take(width.saturating_sub(used))
                .collect();
            let line = Line::from(vec![
                Span::raw(mark),
                Span::styled(
                    format!("{} ", status_symbol(s.status)),
                    app.theme.status(s.status),
                ),
                Span::raw(format!("{} ", priority_letter(s.priority))),
                Span::styled(format!("{} ", kind_label(s.kind)), app.theme.kind(s.kind)),
                Span::raw(format!("{section:<18}  {:.2} ", s.confidence)),
                Span::raw(summary),
            ]);
            if selected {
                line.style(app.theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
    draw_detail(frame, app, detail);
}

fn draw_detail(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(s) = app.queue.selected() else {
        return;
    };
    let theme = app.theme;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!("{} {}", status_symbol(s.status), s.status),
                theme.status(s.status),
            ),
            Span::raw(format!(
                "  {} · {} priority · confidence {:.2}",
                s.kind, s.priority, s.confidence
            )),
        ]),
        Line::styled(
            format!(
                "{} · {}",
                text::line(&s.section),
                s.guideline_reference
                    .as_deref()
                    .map(text::line)
                    .unwrap_or_default()
            ),
            theme.dim(),
        ),
        Line::raw(""),
    ];
    lines.extend(text::lines(&s.content).into_iter().map(Line::raw));
    if let Some(rationale) = &s.rationale {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Why", theme.title()));
        lines.extend(text::lines(rationale).into_iter().map(Line::raw));
    }
    if let Some(modified) = &s.modified_content {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Modified text", theme.title()));
        lines.extend(text::lines(modified).into_iter().map(Line::raw));
    }
    if let Some(comment) = &s.user_comment {
        lines.push(Line::raw(""));
        lines.push(Line::styled("Comment", theme.title()));
        lines.extend(text::lines(comment).into_iter().map(Line::raw));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.detail_scroll, 0)),
        area,
    );
}

pub fn draw_editor(frame: &mut Frame<'_>, app: &App, editor: &Editor, body: Rect) {
    let area = centred(
        body,
        body.width.saturating_sub(6).max(40),
        body.height.saturating_sub(2).max(8),
    );
    let title = match editor.kind {
        EditKind::Modify => " Modify the suggestion · Ctrl-S save · Esc cancel ",
        EditKind::Comment => " Comment · Ctrl-S save · Esc cancel ",
    };
    let inner = popup(frame, area, title, app);
    frame.render_widget(&editor.area, inner);
}
