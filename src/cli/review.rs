//! `protoscribe review SUGG_ID accept|reject|pending|modify`: the same
//! decisions the interface makes, for scripts.

use super::output::{self, clean};
use super::{Context, Error, Result};
use crate::store::suggestions::{Expect, Verb};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The suggestion's id (sugg_…).
    id: String,
    /// accept, reject, pending (undecided again) or modify (needs --content).
    #[arg(value_parser = clap::builder::PossibleValuesParser::new(["accept", "reject", "pending", "modify"]))]
    decision: String,
    /// A comment to record with the decision (replaces the old one).
    #[arg(long)]
    comment: Option<String>,
    /// The reviewer's wording for the protocol, for modify (it replaces the
    /// suggested text; the finding itself is never written into the protocol).
    #[arg(long)]
    content: Option<String>,
    /// Decide only if the suggestion is still at this revision (from
    /// `suggestions --json`); otherwise nothing changes and the exit status is 1.
    #[arg(long, value_name = "N")]
    revision: Option<i64>,
    /// Print the suggestion afterwards as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result {
    let verb = match (args.decision.as_str(), args.content) {
        ("modify", Some(content)) if !content.trim().is_empty() => Verb::Modify(content),
        ("modify", _) => {
            return Err(Error::Arguments(
                "modify needs the new text: pass --content TEXT".into(),
            ));
        }
        (_, Some(_)) => {
            return Err(Error::Arguments("--content goes with modify only".into()));
        }
        ("accept", None) => Verb::Accept,
        ("reject", None) => Verb::Reject,
        _ => Verb::Pending,
    };
    let store = ctx.open_for_writing()?;
    // Read and write in one transaction: nothing can change in between.
    let expect = args.revision.map_or(Expect::Anything, Expect::Revision);
    let decided = store.review(&args.id, &verb, args.comment, expect)?;
    if args.json {
        return Ok(output::print_json(&decided.to_json())?);
    }
    println!(
        "{} is now {}{}",
        decided.id,
        decided.status,
        decided
            .user_comment
            .as_deref()
            .map(|c| format!(" (comment: {})", clean(c, false)))
            .unwrap_or_default()
    );
    Ok(())
}
