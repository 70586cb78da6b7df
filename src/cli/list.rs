//! `protoscribe list`: protocols with their latest score, newest first.

use std::io::Write;

use super::output::{self, cell};
use super::{Context, Result};
use crate::store::api::ScoredPage;
use crate::store::protocols::ProtocolFilter;
use crate::store::{Page, ProtocolStatus};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Only protocols with this status (processing, ready, error).
    #[arg(long)]
    status: Option<ProtocolStatus>,
    /// Full-text search of title, description and text; typed characters are taken literally.
    #[arg(long, value_name = "QUERY")]
    search: Option<String>,
    /// How many to show.
    #[arg(long, default_value_t = DEFAULT_LIMIT)]
    limit: u64,
    /// How many to skip (for paging).
    #[arg(long, default_value_t = 0)]
    offset: u64,
    /// Print the seed's to_dict() fields as a JSON array.
    #[arg(long)]
    json: bool,
}

const DEFAULT_LIMIT: u64 = 50;

impl Default for Args {
    fn default() -> Args {
        Args {
            status: None,
            search: None,
            limit: DEFAULT_LIMIT,
            offset: 0,
            json: false,
        }
    }
}

pub fn run(ctx: &Context, args: Args) -> Result {
    let store = ctx.open_for_reading()?;
    let filter = ProtocolFilter {
        status: args.status,
        search: args.search.clone(),
    };
    let page = Page {
        offset: args.offset,
        limit: args.limit,
    };
    let ScoredPage { rows, total } = store.scored_protocols(&filter, page)?;
    if args.json {
        let items: Vec<_> = rows.iter().map(|(p, _)| p.to_json()).collect();
        return Ok(output::print_json(&serde_json::Value::from(items))?);
    }
    let mut out = std::io::stdout().lock();
    if rows.is_empty() {
        let hint = if args.offset > 0 && total > 0 {
            format!(
                "Nothing past --offset {}: there are {} in all.",
                args.offset,
                output::thousands(total)
            )
        } else if filter.search.is_some() || filter.status.is_some() {
            "No protocols match. Try a shorter search, or drop --status.".to_owned()
        } else {
            "No protocols yet. Import one with: protoscribe import FILE.txt".to_owned()
        };
        writeln!(out, "{hint}")?;
        return Ok(());
    }
    writeln!(
        out,
        "{}  {}  {:>5}  {}  TITLE",
        cell("ID", 22),
        cell("STATUS", 10),
        "SCORE",
        cell("CREATED", 16)
    )?;
    for (p, score) in &rows {
        writeln!(
            out,
            "{}  {}  {:>5}  {}  {}",
            cell(&p.id, 22),
            cell(p.status.as_str(), 10),
            output::score(*score),
            cell(&output::when(&p.created_at), 16),
            cell(&p.title, 60).trim_end()
        )?;
    }
    let shown_to = args.offset.saturating_add(rows.len() as u64);
    if total > shown_to || args.offset > 0 {
        writeln!(
            out,
            "{}–{} of {} (more with --offset {})",
            args.offset + 1,
            shown_to,
            output::thousands(total),
            shown_to
        )?;
    }
    Ok(())
}
