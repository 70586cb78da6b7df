//! `protoscribe dashboard`: the figures a trial unit lead glances at.

use std::io::Write;

use serde_json::{Map, Value, json};

use super::output::{self, thousands};
use super::{Context, Result};
use crate::store::stats::Dashboard;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the figures as JSON (the seed's analytics field names).
    #[arg(long)]
    json: bool,
    /// What counts as recent, in days.
    #[arg(long, default_value_t = DEFAULT_DAYS, value_parser = clap::value_parser!(u32).range(1..=36500))]
    days: u32,
}

const DEFAULT_DAYS: u32 = 30;

impl Default for Args {
    fn default() -> Args {
        Args {
            json: false,
            days: DEFAULT_DAYS,
        }
    }
}

pub fn run(ctx: &Context, args: Args) -> Result {
    let store = ctx.open_for_reading()?;
    let figures = store.read(|conn| conn.stats_dashboard(args.days))?;
    if args.json {
        return Ok(output::print_json(&to_json(&figures))?);
    }
    print_text(&figures)
}

/// The seed's `get_analytics` fields at the top, its provider metrics keyed
/// by provider, then review progress and the score histogram.
pub fn to_json(d: &Dashboard) -> Value {
    let providers: Map<String, Value> = d
        .providers
        .iter()
        .map(|p| {
            (
                p.provider.clone(),
                json!({
                    "avg_overall_score": p.avg_overall_score,
                    "avg_consort_score": p.avg_consort_score,
                    "avg_spirit_score": p.avg_spirit_score,
                    "total_analyses": p.total_analyses,
                    "success_rate": p.success_rate,
                    "median_latency_ms": p.median_latency_ms,
                    "input_tokens": p.input_tokens,
                    "output_tokens": p.output_tokens,
                    "cost": (p.cost * 10_000.0).round() / 10_000.0,
                }),
            )
        })
        .collect();
    json!({
        "total_protocols": d.analytics.total_protocols,
        "recent_protocols": d.analytics.recent_protocols,
        "by_status": d.analytics.by_status,
        "avg_file_size": d.analytics.avg_file_size,
        "period_days": d.analytics.period_days,
        "provider_metrics": providers,
        "review_progress": d.review,
        "score_histogram": d.score_histogram,
    })
}

fn print_text(d: &Dashboard) -> Result {
    let mut out = std::io::stdout().lock();
    let a = &d.analytics;
    let by_status: Vec<String> = a
        .by_status
        .iter()
        .map(|(status, n)| format!("{status} {}", thousands(*n)))
        .collect();
    writeln!(
        out,
        "Protocols  {} ({}) · {} new in {} days · average file {}",
        thousands(a.total_protocols),
        by_status.join(" · "),
        thousands(a.recent_protocols),
        a.period_days,
        output::bytes(a.avg_file_size)
    )?;
    let r = &d.review;
    let reviewed = if r.total > 0 {
        format!("{:.1}%", r.reviewed() as f64 * 100.0 / r.total as f64)
    } else {
        "—".to_owned()
    };
    writeln!(
        out,
        "Review     {} of {} suggestions reviewed ({reviewed}) · {} pending · {} accepted · {} modified · {} rejected",
        thousands(r.reviewed()),
        thousands(r.total),
        thousands(r.pending),
        thousands(r.accepted),
        thousands(r.modified),
        thousands(r.rejected)
    )?;
    if d.providers.is_empty() {
        writeln!(out, "Analyses   none yet")?;
    }
    for (i, p) in d.providers.iter().enumerate() {
        writeln!(
            out,
            "{} {:<10} {:>8} completed  {:>5.1}% succeeded  overall {:>5}  SPIRIT {:>5}  CONSORT {:>5}{}",
            if i == 0 { "Analyses  " } else { "          " },
            output::cell(&p.provider, 10),
            thousands(p.total_analyses),
            p.success_rate,
            average(p, p.avg_overall_score),
            average(p, p.avg_spirit_score),
            average(p, p.avg_consort_score),
            provider_costs(p)
        )?;
    }
    if d.score_histogram.iter().any(|&n| n > 0) {
        writeln!(
            out,
            "Scores     0 {} 100  (overall score of completed analyses, 10-point bands)",
            sparkline(&d.score_histogram)
        )?;
    }
    if a.total_protocols == 0 {
        writeln!(out, "\nNothing here yet: protoscribe import FILE.txt")?;
    }
    Ok(())
}

/// Latency, tokens and cost, where the provider recorded them.
fn provider_costs(p: &crate::store::analyses::ProviderMetrics) -> String {
    let mut parts = Vec::new();
    if let Some(ms) = p.median_latency_ms {
        parts.push(if ms >= 1000 {
            format!("median {:.1} s", ms as f64 / 1000.0)
        } else {
            format!("median {ms} ms")
        });
    }
    let tokens = p.input_tokens + p.output_tokens;
    if tokens > 0 {
        parts.push(format!(
            "{} tokens ({} in, {} out)",
            thousands(tokens),
            thousands(p.input_tokens),
            thousands(p.output_tokens)
        ));
    }
    if p.cost > 0.0 {
        parts.push(format!("${:.4}", p.cost));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("  {}", parts.join(" · "))
    }
}

fn sparkline(values: &[u64]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0).max(1);
    values
        .iter()
        .map(|&v| {
            if v == 0 {
                ' '
            } else {
                BARS[((v * 7) / max) as usize]
            }
        })
        .collect()
}

/// An average score as text: "—" for a provider with nothing completed,
/// whose 0.0 would read as a real score.
fn average(p: &crate::store::analyses::ProviderMetrics, score: f64) -> String {
    if p.total_analyses == 0 {
        "—".to_owned()
    } else {
        format!("{score:.1}")
    }
}
