//! `protoscribe analyze ID|--all`: run a provider over stored protocols.

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};

use super::output::{self, clean};
use super::{Context, Error, Result};
use crate::analysis::GuidelineChoice;
use crate::jobs::analyze::{self, Options, Outcome, ProgressFn, Request};
use crate::providers::grounded::Progress;
use crate::store::protocols::ProtocolFilter;
use crate::store::{Page, ProtocolStatus, Store, SuggestionType};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The protocol to analyse (proto_…).
    #[arg(required_unless_present = "all", conflicts_with = "all")]
    id: Option<String>,
    /// Analyse every protocol that is ready.
    #[arg(long)]
    all: bool,
    /// Which analyzer to use: builtin, or a provider configured in
    /// config.toml (see `protoscribe providers`).
    #[arg(long, default_value = "builtin")]
    provider: String,
    /// Allow sending the protocol's passages to a provider on another
    /// machine even if its table lacks allow_remote = true.
    #[arg(long)]
    allow_remote: bool,
    /// Which guideline to judge against: auto decides from the text
    /// (SPIRIT for a protocol, CONSORT for a trial report).
    #[arg(long, default_value = "auto", value_parser = clap::builder::PossibleValuesParser::new(["auto", "spirit", "consort"]))]
    guideline: String,
    /// Print the analyses as JSON (the seed's to_dict() plus suggestion counts).
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result {
    let guideline: GuidelineChoice = args.guideline.parse().map_err(Error::Usage)?;
    let config = Arc::new(ctx.config()?);
    if args.provider != "builtin" && config.get(&args.provider).is_none() {
        return Err(Error::Usage(format!(
            "unknown provider '{}': choose one of {} (see protoscribe providers)",
            clean(&args.provider, false),
            config.names().join(", ")
        )));
    }
    let options = Options {
        config,
        allow_remote: args.allow_remote,
        progress: Some(progress_printer()),
        ..Options::default()
    };
    let store = ctx.open_for_writing()?;
    let ids = match &args.id {
        Some(id) => vec![id.clone()],
        None => ready_protocols(&store)?,
    };
    if ids.is_empty() {
        eprintln!("No protocols are ready to analyse. Import one with: protoscribe import FILE");
        return Ok(());
    }
    let mut failed = false;
    let mut json_out = Vec::new();
    let mut stdout = std::io::stdout().lock();
    for id in &ids {
        let request = Request {
            protocol_id: id.clone(),
            provider: args.provider.clone(),
            guideline,
            options: options.clone(),
        };
        match analyze::run(&store, &request) {
            Ok(outcome) if args.json => json_out.push(to_json(&outcome)),
            Ok(outcome) => print_outcome(&mut stdout, &outcome)?,
            // One protocol: its error is the command's error.
            Err(e) if ids.len() == 1 => return Err(e.into()),
            Err(e) => {
                output::print_error(&e);
                failed = true;
            }
        }
    }
    if args.json {
        let value = if args.id.is_some() {
            json_out.pop().unwrap_or(Value::Null)
        } else {
            Value::from(json_out)
        };
        output::print_json(&value)?;
    }
    if failed { Err(Error::Reported) } else { Ok(()) }
}

/// Progress of a model analysis on stderr: one line rewritten in place on
/// a terminal (with the time left), plain lines when piped.
fn progress_printer() -> ProgressFn {
    let terminal = std::io::stderr().is_terminal();
    let started = Instant::now();
    Arc::new(move |p: &Progress| {
        let tokens = p.input_tokens + p.output_tokens;
        let mut err = std::io::stderr().lock();
        if terminal {
            let elapsed = started.elapsed().as_secs_f64();
            let left = if p.done > 0 && p.done < p.total {
                format!(
                    " · about {:.0} s left",
                    elapsed / p.done as f64 * (p.total - p.done) as f64
                )
            } else {
                String::new()
            };
            let width = 20;
            let filled = (p.done * width).checked_div(p.total).unwrap_or(width);
            let _ = write!(
                err,
                "\r[{}{}] section {}/{} · {} tokens · ${:.4}{left}\x1b[K",
                "#".repeat(filled),
                " ".repeat(width - filled),
                p.done,
                p.total,
                tokens,
                p.cost
            );
            if p.done == p.total {
                let _ = writeln!(err);
            }
        } else {
            let _ = writeln!(
                err,
                "section {}/{}, {} tokens, ${:.4}{}",
                p.done,
                p.total,
                tokens,
                p.cost,
                if p.cached > 0 {
                    format!(", {} from cache", p.cached)
                } else {
                    String::new()
                }
            );
        }
    })
}

fn ready_protocols(store: &Store) -> Result<Vec<String>> {
    let filter = ProtocolFilter {
        status: Some(ProtocolStatus::Ready),
        search: None,
    };
    let mut ids = Vec::new();
    let mut page = Page::first(500);
    loop {
        let batch = store.read(|conn| conn.protocols_list(&filter, page))?;
        let done = (batch.len() as u64) < page.limit;
        ids.extend(batch.into_iter().map(|p| p.id));
        if done {
            return Ok(ids);
        }
        page.offset += page.limit;
    }
}

fn count(outcome: &Outcome, kind: SuggestionType) -> usize {
    outcome.counts.get(&kind).copied().unwrap_or(0)
}

fn to_json(outcome: &Outcome) -> Value {
    let mut value = outcome.analysis.to_json();
    value["suggestion_counts"] = json!({
        "critical": count(outcome, SuggestionType::Critical),
        "improvement": count(outcome, SuggestionType::Improvement),
        "style": count(outcome, SuggestionType::Style),
    });
    value["carried_over"] = json!({
        "new_findings": outcome.carry.new,
        "decisions_carried": outcome.carry.carried,
        "kept_not_found_again": outcome.carry.kept,
    });
    value
}

fn print_outcome(out: &mut impl Write, outcome: &Outcome) -> std::io::Result<()> {
    let a = &outcome.analysis;
    writeln!(
        out,
        "{}  {}  overall {}  SPIRIT {}  CONSORT {}  ·  {} critical, {} improvement, {} style suggestions  ({:.2} s, {})",
        a.id,
        a.protocol_id,
        output::score(a.overall_score),
        output::score(a.spirit_score),
        output::score(a.consort_score),
        count(outcome, SuggestionType::Critical),
        count(outcome, SuggestionType::Improvement),
        count(outcome, SuggestionType::Style),
        outcome.seconds,
        clean(&a.provider, false),
    )?;
    let c = outcome.carry;
    if c.carried + c.kept > 0 {
        writeln!(
            out,
            "  {} new finding{}; {} earlier decision{} carried over{}",
            c.new,
            if c.new == 1 { "" } else { "s" },
            c.carried,
            if c.carried == 1 { "" } else { "s" },
            if c.kept > 0 {
                format!(
                    ", {} accepted but not yet applied kept although not found again",
                    c.kept
                )
            } else {
                String::new()
            }
        )?;
    }
    Ok(())
}
