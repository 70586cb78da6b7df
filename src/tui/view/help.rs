//! The `?` overlay: generated from the key table, so it is always right.
//! One column that scrolls (with its place shown) where the screen is
//! short; two columns only where every row fits whole.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{centred, popup, record};
use crate::tui::app::App;
use crate::tui::keymap::{BINDINGS, Context};
use crate::tui::text;

/// The contexts in the order the overlay lists them.
const ORDER: &[Context] = &[
    Context::Global,
    Context::List,
    Context::Queue,
    Context::Search,
    Context::Import,
    Context::Editor,
    Context::Confirm,
    Context::Dashboard,
    Context::Versions,
    Context::Help,
];

/// Key labels get this many columns, help texts the rest.
const KEYS: usize = 14;

pub fn draw(frame: &mut Frame<'_>, app: &App, body: Rect, scroll: u16) {
    let mut lines: Vec<Line<'_>> = Vec::new();
    for &context in ORDER {
        if !lines.is_empty() {
            lines.push(Line::raw(""));
        }
        lines.push(Line::styled(context.title(), app.theme.title()));
        for b in BINDINGS.iter().filter(|b| b.context == context) {
            let keys = b
                .keys
                .iter()
                .map(|k| k.label())
                .collect::<Vec<_>>()
                .join(" ");
            lines.push(Line::from(vec![
                Span::styled(format!(" {}", text::cell(&keys, KEYS - 1)), app.theme.key()),
                Span::raw(format!(" {}", b.help)),
            ]));
        }
    }
    let row_width = KEYS
        + 1
        + BINDINGS
            .iter()
            .map(|b| b.help.chars().count())
            .max()
            .unwrap_or(0);
    let two_columns = (body.height as usize).saturating_sub(2) >= lines.len().div_ceil(2)
        && body.width as usize >= 2 * row_width + 5;
    let width = if two_columns {
        2 * row_width + 5
    } else {
        row_width + 4
    };
    let area = centred(body, width as u16, body.height);
    let rows = area.height.saturating_sub(2) as usize;
    let total = lines.len();
    let max = if two_columns {
        0
    } else {
        total.saturating_sub(rows) as u16
    };
    record(app, |l| l.help = max);
    let scroll = scroll.min(max);
    let title = if max == 0 {
        " Keys · Esc closes ".to_owned()
    } else {
        let first = scroll as usize + 1;
        let last = (scroll as usize + rows).min(total);
        format!(
            " Keys {first}–{last} of {total}{} · j/k g/G · Esc ",
            if last < total { " ↓" } else { "" }
        )
    };
    let inner = popup(frame, area, &title, app);
    if two_columns {
        let half = inner.width / 2;
        let (left, right) = lines.split_at(total.div_ceil(2));
        frame.render_widget(
            Paragraph::new(left.to_vec()),
            Rect {
                width: half,
                ..inner
            },
        );
        frame.render_widget(
            Paragraph::new(right.to_vec()),
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
