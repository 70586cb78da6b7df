//! The dashboard: the same figures as `protoscribe dashboard`, drawn.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Gauge, Paragraph};

use crate::store::stats::Dashboard;
use crate::tui::app::App;
use crate::tui::text;

pub fn draw(frame: &mut Frame<'_>, app: &App, d: &Dashboard, area: Rect) {
    let theme = app.theme;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" Dashboard · d or Esc to go back ");
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let a = &d.analytics;
    let by_status: Vec<String> = a
        .by_status
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    let mut lines = vec![
        Line::styled(format!("Protocols {}", a.total_protocols), theme.title()),
        Line::raw(format!(
            "  {} · {} new in {} days",
            by_status.join(" · "),
            a.recent_protocols,
            a.period_days
        )),
        Line::styled(format!("Suggestions {}", d.review.total), theme.title()),
        Line::raw(format!(
            "  {} pending · {} accepted · {} modified · {} rejected",
            d.review.pending, d.review.accepted, d.review.modified, d.review.rejected
        )),
        Line::styled("Analyses by provider", theme.title()),
    ];
    let width = inner.width as usize;
    for p in &d.providers {
        // Two lines when one would be cut.
        let head = format!(
            "  {:<9} {} completed, {:.1}% ok",
            text::fit(&p.provider, 9),
            p.total_analyses,
            p.success_rate,
        );
        // Nothing completed: no averages (0.0 would read as a score).
        let average = |score: f64| {
            if p.total_analyses == 0 {
                "—".to_owned()
            } else {
                format!("{score:.1}")
            }
        };
        let scores = format!(
            " · overall {} · SPIRIT {} · CONSORT {}",
            average(p.avg_overall_score),
            average(p.avg_spirit_score),
            average(p.avg_consort_score)
        );
        if head.chars().count() + scores.chars().count() <= width {
            lines.push(Line::raw(format!("{head}{scores}")));
        } else {
            lines.push(Line::raw(text::fit(&head, width)));
            lines.push(Line::raw(text::fit(
                &format!("            {}", scores.trim_start_matches(" · ")),
                width,
            )));
        }
        // A model provider's cost, on a line of its own.
        if p.input_tokens + p.output_tokens > 0 {
            let latency = p
                .median_latency_ms
                .map(|ms| format!("median {:.1} s · ", ms as f64 / 1000.0))
                .unwrap_or_default();
            lines.push(Line::raw(text::fit(
                &format!(
                    "            {latency}{} tokens in, {} out · ${:.4}",
                    p.input_tokens, p.output_tokens, p.cost
                ),
                width,
            )));
        }
    }
    if d.providers.is_empty() {
        lines.push(Line::raw("  none yet"));
    }
    // The figures first, whole if they fit; the chart only in the rows
    // left over (at 80x24 the providers' lines matter more than bars).
    let needed = u16::try_from(lines.len()).unwrap_or(u16::MAX);
    let spare = inner.height.saturating_sub(needed.saturating_add(1));
    let chart_rows = if spare >= 5 { spare.min(9) } else { 0 };
    let [figures, gauge, chart] = Layout::vertical([
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(chart_rows),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(lines), figures);
    let ratio = if d.review.total > 0 {
        d.review.reviewed() as f64 / d.review.total as f64
    } else {
        0.0
    };
    frame.render_widget(
        Gauge::default()
            .ratio(ratio)
            .label(format!("reviewed {:.1}%", ratio * 100.0))
            .gauge_style(theme.gauge(ratio * 100.0)),
        gauge,
    );
    if chart_rows == 0 {
        return;
    }
    let bars: Vec<Bar<'_>> = d
        .score_histogram
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            Bar::default()
                .value(n)
                .label(Line::raw(format!("{}", i * 10)))
        })
        .collect();
    frame.render_widget(
        BarChart::default()
            .block(Block::default().title("Overall scores of completed analyses (10-point bands)"))
            .data(BarGroup::default().bars(&bars))
            .bar_width(4)
            .bar_gap(1),
        chart,
    );
}
