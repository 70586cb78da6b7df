//! `protoscribe checklist ID`: the per-item verdicts of the latest analysis.

use std::io::Write;

use serde_json::{Value, json};

use super::output::{self, cell};
use super::{Context, Error, Result};

#[derive(Debug, clap::Args)]
#[command(
    after_help = "Evidence start and end count characters (Unicode code points) of the protocol's stored text; quote is exactly the text between them."
)]
pub struct Args {
    /// A protocol id (its latest completed analysis) or an analysis id.
    id: String,
    /// Print one object per checklist item as a JSON array.
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result {
    let store = ctx.open_for_reading()?;
    let analysis = super::completed_analysis(&store, &args.id)?;
    let items = checklist_items(analysis.results.as_ref());
    if items.is_empty() {
        return Err(Error::Usage(format!(
            "analysis {} holds no per-item checklist (it was made by provider '{}')",
            analysis.id, analysis.provider
        )));
    }
    if args.json {
        return Ok(output::print_json(&Value::from(items))?);
    }
    let mut out = std::io::stdout().lock();
    let mut guideline = String::new();
    for item in &items {
        let g = item["guideline"].as_str().unwrap_or_default();
        if g != guideline {
            guideline = g.to_owned();
            writeln!(out, "\n{guideline}")?;
        }
        let status = item["status"].as_str().unwrap_or_default();
        let quote = item["evidence"][0]["quote"].as_str().unwrap_or_default();
        writeln!(
            out,
            "  {} {} {} {:>4.2}  {}",
            cell(item["item"].as_str().unwrap_or_default(), 4),
            cell(item["title"].as_str().unwrap_or_default(), 34),
            cell(&symbol(status), 16),
            item["confidence"].as_f64().unwrap_or(0.0),
            cell(quote, 60).trim_end()
        )?;
    }
    Ok(())
}

/// Status with a symbol, so meaning survives without colour.
fn symbol(status: &str) -> String {
    match status {
        "addressed" => "✓ addressed".into(),
        "partial" => "◐ partial".into(),
        "missing" => "✗ missing".into(),
        "not_applicable" => "– n/a".into(),
        other => other.into(),
    }
}

/// The checklist form scripts score: one object per item.
fn checklist_items(results: Option<&Value>) -> Vec<Value> {
    let Some(items) = results.and_then(|r| r["items"].as_array()) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|i| {
            json!({
                "guideline": i["guideline"],
                "item": i["item"],
                "title": i["title"],
                "status": i["status"],
                "confidence": i["confidence"],
                "missing": i["missing"].as_array().cloned().unwrap_or_default(),
                "deferred_to": i["deferred_to"],
                "reason": i["reason"],
                // Who judged it: "model" (its quote verified) or "builtin";
                // absent for a builtin analysis, where all are the builtin's.
                "source": i.get("source").cloned().unwrap_or_else(|| json!("builtin")),
                "evidence": i["evidence"].as_array().cloned().unwrap_or_default()
                    .iter()
                    .map(|e| json!({"start": e["start"], "end": e["end"], "quote": e["quote"]}))
                    .collect::<Vec<_>>(),
            })
        })
        .collect()
}
