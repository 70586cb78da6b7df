//! `protoscribe suggestions ID`: a protocol's review queue (its latest
//! completed analysis) or an analysis's, in review order.

use std::io::Write;

use super::output::{self, cell, clean};
use super::{Context, Result};
use crate::store::suggestions::SuggestionFilter;
use crate::store::{Page, SuggestionStatus};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A protocol id (its latest completed analysis) or an analysis id.
    id: String,
    /// Only suggestions with this status (pending, accepted, rejected, modified).
    #[arg(long)]
    status: Option<SuggestionStatus>,
    /// How many to show.
    #[arg(long, default_value_t = 200)]
    limit: u64,
    /// Print the seed's to_dict() fields as a JSON array.
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result {
    let store = ctx.open_for_reading()?;
    let analysis_id = super::completed_analysis(&store, &args.id)?.id;
    let filter = SuggestionFilter {
        analysis_id: Some(analysis_id),
        status: args.status,
        ..SuggestionFilter::default()
    };
    let rows = store.suggestions(&filter, Page::first(args.limit))?;
    if args.json {
        let items: Vec<_> = rows.iter().map(|s| s.to_json()).collect();
        return Ok(output::print_json(&serde_json::Value::from(items))?);
    }
    let mut out = std::io::stdout().lock();
    if !rows.is_empty() {
        writeln!(
            out,
            "{}  {}  {}  {}  CONF  {}  FINDING",
            cell("ID", 21),
            cell("STATUS", 8),
            cell("TYPE", 11),
            cell("PRIO", 6),
            cell("SECTION", 24),
        )?;
    }
    for s in &rows {
        let first_line = s.content.lines().next().unwrap_or_default();
        writeln!(
            out,
            "{}  {}  {}  {}  {:.2}  {}  {}",
            s.id,
            cell(s.status.as_str(), 8),
            cell(s.kind.as_str(), 11),
            cell(s.priority.as_str(), 6),
            s.confidence,
            cell(&s.section, 24),
            cell(&clean(first_line, false), 70).trim_end()
        )?;
    }
    if rows.is_empty() {
        writeln!(out, "No suggestions match.")?;
    }
    Ok(())
}
