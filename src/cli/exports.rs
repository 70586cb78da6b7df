//! `protoscribe export` writes a report; `protoscribe exports` lists them
//! and cleans up expired ones.

use std::io::Write;
use std::path::PathBuf;

use super::output::{self, cell};
use super::{Context, Error, Result};
use crate::jobs::export::{self, FileFate, Request};
use crate::store::{ExportFormat, Page};

#[derive(Debug, clap::Args)]
pub struct ExportArgs {
    /// The protocol (proto_…).
    id: String,
    /// markdown, html, docx or pdf.
    #[arg(long, default_value = "markdown")]
    format: ExportFormat,
    /// Where to write (default: a name from the title, in this folder).
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Include this version's text (with --with-text).
    #[arg(long)]
    version: Option<i64>,
    /// Include the protocol's text.
    #[arg(long)]
    with_text: bool,
    /// Replace an existing regular file (never a link, device or FIFO).
    #[arg(long)]
    force: bool,
    /// Print the export's record as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExportsArgs {
    /// Mark expired exports, and delete their files if they are still
    /// exactly the reports written.
    #[arg(long)]
    cleanup: bool,
    #[arg(long)]
    json: bool,
}

/// Days a report is kept before `exports --cleanup` removes it:
/// `PROTOSCRIBE_EXPORT_RETENTION_DAYS`, default 30.
fn retention_days() -> u32 {
    std::env::var("PROTOSCRIBE_EXPORT_RETENTION_DAYS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(30)
}

pub fn run_export(ctx: &Context, args: ExportArgs) -> Result {
    let store = ctx.open_for_writing()?;
    let request = Request {
        protocol_id: args.id,
        format: args.format,
        output: args.output,
        version: args.version,
        with_text: args.with_text || args.version.is_some(),
        force: args.force,
        retention_days: retention_days(),
    };
    let done = export::run(&store, &request).map_err(|e| Error::Usage(e.to_string()))?;
    if args.json {
        return Ok(output::print_json(&done.to_json())?);
    }
    println!(
        "{} ({}, {})",
        output::clean(done.file_path.as_deref().unwrap_or(""), false),
        output::bytes(done.file_size.unwrap_or(0) as u64),
        done.id
    );
    Ok(())
}

pub fn run_exports(ctx: &Context, args: ExportsArgs) -> Result {
    if args.cleanup {
        let store = ctx.open_for_writing()?;
        let done = export::cleanup(&store)?;
        for (e, fate) in &done {
            let path = output::clean(e.file_path.as_deref().unwrap_or(""), false);
            let what = match fate {
                FileFate::Removed => format!("removed {path}"),
                FileFate::Kept(why) => format!("kept {path}: {why}"),
                FileFate::Gone => format!("{path} was already gone"),
                FileFate::NoFile => "no file was written".to_owned(),
            };
            println!("expired {}: {what}", e.id);
        }
        if done.is_empty() {
            println!("Nothing has expired.");
        }
        return Ok(());
    }
    let store = ctx.open_for_reading()?;
    let rows = store.exports(None, Page::first(200))?;
    if args.json {
        let items: Vec<_> = rows.iter().map(|e| e.to_json()).collect();
        return Ok(output::print_json(&serde_json::Value::from(items))?);
    }
    let mut out = std::io::stdout().lock();
    for e in &rows {
        writeln!(
            out,
            "{}  {}  {}  {}  {}",
            e.id,
            cell(e.format.as_str(), 8),
            cell(e.status.as_str(), 10),
            output::when(&e.created_at),
            cell(
                e.file_path
                    .as_deref()
                    .or(e.error_message.as_deref())
                    .unwrap_or(""),
                60
            )
            .trim_end()
        )?;
    }
    if rows.is_empty() {
        writeln!(out, "No exports yet.")?;
    }
    Ok(())
}
