//! The protocol list: title, status, latest score, pending suggestions.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{pane_block, viewport};
use crate::tui::app::{App, Pane};
use crate::tui::text;

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let p = &app.protocols;
    let title = match &app.search {
        Some(q) => format!(
            " Protocols matching \"{}\" ({}) ",
            text::fit(q, (area.width as usize).saturating_sub(32)),
            p.place()
        ),
        None => format!(" Protocols ({}) ", p.place()),
    };
    let block = pane_block(app, title, Pane::Protocols);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.loaded && p.total == 0 {
        let lines = if app.search.is_some() {
            vec![
                Line::raw("No protocol matches this search."),
                Line::raw("Press / and Esc to clear it."),
            ]
        } else {
            vec![
                Line::styled("No protocols yet.", app.theme.title()),
                Line::raw(""),
                Line::raw("Import one:      protoscribe import draft.md"),
                Line::raw("Analyse it:      protoscribe analyze --all  (or A here)"),
                Line::raw("Or look around:  protoscribe demo"),
            ]
        };
        frame.render_widget(Paragraph::new(lines), inner);
        return;
    }
    let [header, inner] = ratatui::layout::Layout::vertical([
        ratatui::layout::Constraint::Length(1),
        ratatui::layout::Constraint::Min(0),
    ])
    .areas(inner);
    let width = inner.width as usize;
    frame.render_widget(
        Paragraph::new(Line::styled(
            text::fit(" Score Pend  Title", width),
            app.theme.dim(),
        )),
        header,
    );
    let height = inner.height as usize;
    let top = viewport(p.cursor, p.offset, p.rows.len(), height);
    let title_width = width.saturating_sub(14).max(8);
    let lines: Vec<Line<'_>> = p
        .rows
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, row)| {
            let selected = p.offset + i as u64 == p.cursor;
            let score = match row.score {
                Some(s) => format!("{s:>5.1}"),
                None if row.analysed => "    —".to_owned(),
                None => "  new".to_owned(),
            };
            let pending = if row.pending > 0 {
                format!("{:>4}", row.pending)
            } else {
                "    ".to_owned()
            };
            let status = match row.info.status {
                crate::store::ProtocolStatus::Ready => ' ',
                crate::store::ProtocolStatus::Processing => '…',
                crate::store::ProtocolStatus::Error => '!',
            };
            let title = text::fit(&row.info.title, title_width);
            let line = Line::from(vec![
                Span::raw(format!("{status}{score} ")),
                Span::styled(pending, app.theme.key()),
                Span::raw(format!("  {title}")),
            ]);
            if selected {
                line.style(app.theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
