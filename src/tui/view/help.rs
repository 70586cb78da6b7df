//! The `?` overlay: generated from the key table, so it is always right.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{centred, popup};
use crate::tui::app::App;
use crate::tui::keymap::{BINDINGS, Context};

pub fn draw(frame: &mut Frame<'_>, app: &App, body: Rect, scroll: u16) {
    let area = centred(body, 84, body.height);
    let inner = popup(frame, area, " Keys · j/k scroll · ? or Esc to close ", app);
    let mut lines = Vec::new();
    for context in [
        Context::Global,
        Context::List,
        Context::Queue,
        Context::Search,
        Context::Editor,
        Context::Dashboard,
        Context::Versions,
    ] {
        lines.push(Line::styled(context.title(), app.theme.title()));
        for b in BINDINGS.iter().filter(|b| b.context == context) {
            let keys = b
                .keys
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(" / ");
            lines.push(Line::from(vec![
                Span::styled(format!(" {keys:<11} "), app.theme.key()),
                Span::raw(b.help),
            ]));
        }
    }
    // Two columns when the overlay is short of rows; scrolling for the rest.
    let rows = inner.height as usize;
    if lines.len() > rows && inner.width >= 70 {
        let half = inner.width / 2;
        let (left, right) = lines.split_at(lines.len().div_ceil(2));
        frame.render_widget(
            Paragraph::new(left.to_vec()).scroll((scroll, 0)),
            Rect {
                width: half,
                ..inner
            },
        );
        frame.render_widget(
            Paragraph::new(right.to_vec()).scroll((scroll, 0)),
            Rect {
                x: inner.x + half,
                width: inner.width - half,
                ..inner
            },
        );
    } else {
        frame.render_widget(Paragraph::new(lines).scroll((scroll, 0)), inner);
    }
}
