//! Scores of the selected protocol's latest analysis: gauges, provider and
//! timing, the breakdown by guideline section, and earlier analyses.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph};

use super::pane_block;
use crate::tui::app::{App, Pane};
use crate::tui::text;

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let block = pane_block(app, " Scores ".to_owned(), Pane::Scores);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(view) = &app.view else {
        let message = match app.protocols.selected() {
            Some(_) => "Not analysed yet. Press A to analyse it (or: protoscribe analyze ID).",
            None => "",
        };
        frame.render_widget(Paragraph::new(message), inner);
        return;
    };
    let a = &view.analysis;
    let [gauges, rest] = Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(inner);
    let rows = Layout::vertical([Constraint::Length(1); 3]).split(gauges);
    for (i, (name, score)) in [
        ("Overall", a.overall_score),
        ("SPIRIT", a.spirit_score),
        ("CONSORT", a.consort_score),
    ]
    .into_iter()
    .enumerate()
    {
        let gauge = match score {
            Some(s) => Gauge::default()
                .ratio((s / 100.0).clamp(0.0, 1.0))
                .label(format!("{name} {s:.1}"))
                .gauge_style(app.theme.gauge(s)),
            None => Gauge::default().ratio(0.0).label(format!("{name} —")),
        };
        frame.render_widget(gauge, rows[i]);
    }
    let mut lines = vec![Line::from(vec![
        Span::styled(text::line(&a.provider).into_owned(), app.theme.title()),
        Span::raw(format!(
            "  {}  {}",
            a.completed_at
                .as_deref()
                .map(crate::format::when)
                .unwrap_or_default(),
            a.duration().map(seconds).unwrap_or_default()
        )),
    ])];
    if !view.sections.is_empty() {
        lines.push(Line::styled(
            "✓ addressed  ◐ partial  ✗ missing",
            app.theme.dim(),
        ));
        for t in &view.sections {
            let name: String = format!("{} {}", short(&t.guideline), t.section)
                .chars()
                .take(44)
                .collect();
            lines.push(Line::raw(format!(
                "{name:<44} ✓{:>2} ◐{:>2} ✗{:>2}",
                t.addressed, t.partial, t.missing
            )));
        }
    }
    if view.history.len() > 1 {
        lines.push(Line::styled("Earlier analyses", app.theme.title()));
        for h in view.history.iter().filter(|h| h.id != a.id) {
            lines.push(Line::raw(format!(
                "{}  {:<9} {}",
                crate::format::when(&h.created_at),
                h.status.as_str(),
                h.overall_score
                    .map(|s| format!("{s:.1}"))
                    .unwrap_or_else(|| "—".into())
            )));
        }
    }
    frame.render_widget(Paragraph::new(lines), rest);
}

fn seconds(d: f64) -> String {
    if d < 1.0 {
        format!("{:.0} ms", d * 1000.0)
    } else {
        format!("{d:.1} s")
    }
}

fn short(guideline: &str) -> &str {
    guideline.split_whitespace().next().unwrap_or(guideline)
}
