//! `apply`, `versions` and `diff`: a protocol's texts over time.

use std::io::{IsTerminal, Write};

use similar::TextDiff;

use super::output::{self, clean};
use super::{Context, Error, Result};
use crate::jobs::apply;

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// The protocol (proto_…).
    id: String,
    /// A summary of the change, kept with the new version.
    #[arg(long)]
    summary: Option<String>,
    /// Write wording that still has placeholders such as "[N]" (by default
    /// apply lists them and stops).
    #[arg(long)]
    allow_placeholders: bool,
    /// Print the new version as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub struct VersionsArgs {
    /// The protocol (proto_…).
    id: String,
    /// Print the seed's to_dict() fields (with each version's text) as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The protocol (proto_…).
    id: String,
    /// The older version (default: the one before the newer).
    from: Option<i64>,
    /// The newer version (default: the latest).
    to: Option<i64>,
}

pub fn run_apply(ctx: &Context, args: ApplyArgs) -> Result {
    let store = ctx.open_for_writing()?;
    let user = super::import::current_user();
    let options = apply::ApplyOptions {
        summary: args.summary.as_deref(),
        user: user.as_deref(),
        allow_placeholders: args.allow_placeholders,
    };
    let applied = apply::run(&store, &args.id, &options).map_err(|e| match e {
        apply::ApplyError::Store(e) => Error::Store(e),
        other => Error::Usage(clean(&other.to_string(), false).into_owned()),
    })?;
    if args.json {
        return Ok(output::print_json(&applied.version.to_json())?);
    }
    println!(
        "version {} of {}: applied {} suggestion{}",
        applied.version.version_number,
        args.id,
        applied.applied.len(),
        if applied.applied.len() == 1 { "" } else { "s" }
    );
    for (id, reference) in &applied.applied {
        println!("  + {id}  {}", clean(reference, false));
    }
    for (id, why) in &applied.skipped {
        println!("  · {id}  {why}");
    }
    if !applied.placeholders.is_empty() {
        println!(
            "  ! {} placeholder(s) written as they are; search the new version for them",
            applied.placeholders.len()
        );
    }
    println!("See the change with: protoscribe diff {}", args.id);
    Ok(())
}

pub fn run_versions(ctx: &Context, args: VersionsArgs) -> Result {
    let store = ctx.open_for_reading()?;
    let all = store.protocol_versions(&args.id)?;
    if args.json {
        let items: Vec<_> = all.iter().map(|v| v.to_json()).collect();
        return Ok(output::print_json(&serde_json::Value::from(items))?);
    }
    let mut out = std::io::stdout().lock();
    for v in &all {
        let summary = v
            .change_summary
            .as_deref()
            .unwrap_or("")
            .lines()
            .next()
            .unwrap_or("");
        writeln!(
            out,
            "{:>3}  {}  {}  {:>7} words  {}",
            v.version_number,
            output::when(&v.created_at),
            output::cell(v.created_by.as_deref().unwrap_or("—"), 12),
            v.content.split_whitespace().count(),
            output::cell(summary, 60).trim_end()
        )?;
    }
    if all.is_empty() {
        writeln!(out, "No versions yet.")?;
    }
    Ok(())
}

pub fn run_diff(ctx: &Context, args: DiffArgs) -> Result {
    let store = ctx.open_for_reading()?;
    let all = store.protocol_versions(&args.id)?;
    let latest = all.last().map_or(0, |v| v.version_number);
    if latest < 2 && args.from.is_none() {
        return Err(Error::Usage(format!(
            "{} has only its imported text so far: accept or modify suggestions, then 'protoscribe apply {}'",
            args.id, args.id
        )));
    }
    let to = args.to.unwrap_or(latest);
    let from = args.from.unwrap_or(to - 1);
    let find = |n: i64| {
        all.iter().find(|v| v.version_number == n).ok_or_else(|| {
            Error::Usage(format!(
                "{} has no version {n} (it has 1 to {latest}): see 'protoscribe versions {}'",
                args.id, args.id
            ))
        })
    };
    let (old, new) = (find(from)?, find(to)?);
    let diff = TextDiff::from_lines(&old.content, &new.content);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("version {from}"), &format!("version {to}"))
        .to_string();
    let colour = std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut out = std::io::stdout().lock();
    for line in text.lines() {
        let line = clean(line, false);
        let (start, end) = match line.chars().next() {
            _ if !colour => ("", ""),
            Some('+') => ("\x1b[32m", "\x1b[0m"),
            Some('-') => ("\x1b[31m", "\x1b[0m"),
            Some('@') => ("\x1b[36m", "\x1b[0m"),
            _ => ("", ""),
        };
        writeln!(out, "{start}{line}{end}")?;
    }
    if text.is_empty() {
        writeln!(out, "Versions {from} and {to} have the same text.")?;
    }
    Ok(())
}
