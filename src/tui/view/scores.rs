//! Scores of the selected protocol's latest analysis: score bars, provider
//! and timing, the breakdown by guideline section (Enter opens a section's
//! items, with verdict, confidence and evidence), and earlier analyses.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{pane_block, titled};
use crate::tui::app::{AnalysisView, App, Mode, Pane, SectionTally};
use crate::tui::text;

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let title = titled("Scores", app.selected_protocol_title(), "", area.width);
    let block = pane_block(app, title, Pane::Scores);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let Some(view) = &app.view else {
        let message = match app.protocols.selected() {
            Some(_) => "Not analysed yet. Press A to analyse it (or: protoscribe analyze ID).",
            None => "",
        };
        frame.render_widget(
            Paragraph::new(message).wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    };
    let a = &view.analysis;
    let [bars, rest] = Layout::vertical([Constraint::Length(4), Constraint::Min(0)]).areas(inner);
    let width = inner.width as usize;
    let mut top: Vec<Line<'_>> = [
        ("Overall", a.overall_score),
        ("SPIRIT", a.spirit_score),
        ("CONSORT", a.consort_score),
    ]
    .into_iter()
    .map(|(name, score)| score_bar(app, name, score, width))
    .collect();
    top.push(Line::from(vec![
        Span::styled(text::fit(&a.provider, 20), app.theme.title()),
        Span::raw(format!(
            "  {}  {}",
            a.completed_at
                .as_deref()
                .map(crate::format::when)
                .unwrap_or_default(),
            a.duration().map(seconds).unwrap_or_default()
        )),
        Span::raw(
            view.agreement
                .as_ref()
                .map(|(other, g)| {
                    format!(
                        "  vs {}: {:.0}% agree, κ {}",
                        text::fit(other, 12),
                        g.rate * 100.0,
                        g.kappa
                            .map_or_else(|| "—".to_owned(), |k| format!("{k:.2}"))
                    )
                })
                .unwrap_or_default(),
        ),
    ]));
    frame.render_widget(Paragraph::new(top), bars);
    let focused = app.focus == Pane::Scores && matches!(app.mode, Mode::Normal);
    let (lines, cursor_row) = match app.open_section() {
        Some(section) => items(app, section, width, focused),
        None => sections(app, view, width, focused),
    };
    // The cursor's row stays in view.
    let height = rest.height as usize;
    let scroll = cursor_row.map_or(0, |row| row.saturating_sub(height.saturating_sub(2)));
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), rest);
}

/// "Overall  ██████░░░░  72.3": the label and figure outside the bar, so
/// the bar reads the same with and without colour.
fn score_bar<'a>(app: &App, name: &str, score: Option<f64>, width: usize) -> Line<'a> {
    let bar_width = width.saturating_sub(8 + 7).min(40);
    let Some(score) = score else {
        return Line::raw(format!("{name:<8} {}  —", "·".repeat(bar_width)));
    };
    let filled = ((score / 100.0).clamp(0.0, 1.0) * bar_width as f64).round() as usize;
    Line::from(vec![
        Span::raw(format!("{name:<8} ")),
        Span::styled("█".repeat(filled), app.theme.gauge(score)),
        Span::styled("░".repeat(bar_width - filled), app.theme.dim()),
        Span::styled(format!(" {score:>5.1}"), app.theme.title()),
    ])
}

/// The guideline sections, then the earlier analyses; the cursor moves
/// over both.
fn sections<'a>(
    app: &App,
    view: &AnalysisView,
    width: usize,
    focused: bool,
) -> (Vec<Line<'a>>, Option<usize>) {
    let mut lines = vec![Line::styled(
        text::fit(
            "✓ addressed  ◐ partial  ✗ missing  – n/a · Enter opens a section",
            width,
        ),
        app.theme.dim(),
    )];
    let mut cursor_row = None;
    let name_width = width.saturating_sub(13);
    for (i, t) in view.sections.iter().enumerate() {
        let name = format!("{} {}", short(&t.guideline), t.section);
        let line = Line::raw(format!(
            "{} ✓{:>2} ◐{:>2} ✗{:>2}",
            text::cell(&name, name_width),
            t.addressed,
            t.partial,
            t.missing
        ));
        lines.push(select(app, line, focused && app.scores.section == i));
        if app.scores.section == i {
            cursor_row = Some(lines.len() - 1);
        }
    }
    let earlier: Vec<_> = view
        .history
        .iter()
        .filter(|h| h.id != view.analysis.id)
        .collect();
    if !earlier.is_empty() {
        lines.push(Line::styled("Earlier analyses", app.theme.title()));
        for (j, h) in earlier.iter().enumerate() {
            let i = view.sections.len() + j;
            let line = Line::raw(text::fit(
                &format!(
                    "{}  {:<9} {:>5}  {}",
                    crate::format::when(&h.created_at),
                    h.status.as_str(),
                    crate::format::score(h.overall_score),
                    h.provider
                ),
                width,
            ));
            lines.push(select(app, line, focused && app.scores.section == i));
            if app.scores.section == i {
                cursor_row = Some(lines.len() - 1);
            }
        }
    }
    (lines, focused.then_some(cursor_row).flatten())
}

/// An open section: its items with verdict and confidence, and the
/// selected item's evidence.
fn items<'a>(
    app: &App,
    section: &SectionTally,
    width: usize,
    focused: bool,
) -> (Vec<Line<'a>>, Option<usize>) {
    let mut lines = vec![Line::styled(
        text::fit(
            &format!(
                "{} {} · Enter: its suggestion · Esc: back",
                short(&section.guideline),
                section.section
            ),
            width,
        ),
        app.theme.title(),
    )];
    let selected = app.scores.item.unwrap_or(0);
    let mut cursor_row = None;
    for (i, item) in section.items.iter().enumerate() {
        let symbol = match item.status.as_str() {
            "addressed" => "✓",
            "partial" => "◐",
            "missing" => "✗",
            // not applicable: the reason shows under it.
            _ => "–",
        };
        let line = Line::raw(format!(
            "{symbol} {} {} {:.2}",
            text::cell(&item.item, 4),
            text::cell(&item.title, width.saturating_sub(12)),
            item.confidence
        ));
        lines.push(select(app, line, focused && i == selected));
        if i == selected {
            let evidence = match (&item.quote, item.missing.is_empty()) {
                (Some(q), true) => format!("“{q}”"),
                (Some(q), false) => format!("“{q}” — lacks {}", item.missing.join(", ")),
                (None, false) => format!("Lacks {}", item.missing.join(", ")),
                (None, true) => item.reason.clone().unwrap_or_default(),
            };
            for piece in text::wrap(&evidence, width.saturating_sub(2)) {
                lines.push(Line::styled(format!("  {piece}"), app.theme.dim()));
            }
            // Keep the evidence in view under the cursor.
            cursor_row = Some(lines.len() - 1);
        }
    }
    (lines, focused.then_some(cursor_row).flatten())
}

fn select<'a>(app: &App, line: Line<'a>, selected: bool) -> Line<'a> {
    if selected {
        line.style(app.theme.selected())
    } else {
        line.style(Style::default())
    }
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
