//! `protoscribe export` writes a report; `protoscribe exports` lists them
//! and cleans up expired ones.

use std::io::Write;
use std::path::PathBuf;

use super::output::{self, cell};
use super::{Context, Error, Result};
use crate::jobs::export::{self, Request};
use crate::store::{ExportFormat, ExportStatus, Page, exports, time};

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
    /// Replace an existing file.
    #[arg(long)]
    force: bool,
    /// Print the export's record as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExportsArgs {
    /// Delete expired report files and mark them expired.
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
        done.file_path.as_deref().unwrap_or(""),
        output::bytes(done.file_size.unwrap_or(0) as u64),
        done.id
    );
    Ok(())
}

pub fn run_exports(ctx: &Context, args: ExportsArgs) -> Result {
    let store = ctx.open_for_writing()?;
    if args.cleanup {
        let due = store.read(|conn| exports::due_for_expiry(conn, &time::now()))?;
        for e in &due {
            if let Some(path) = e
                .file_path
                .as_deref()
                .map(PathBuf::from)
                .filter(|p| p.is_file())
            {
                let _ = std::fs::remove_file(&path);
            }
            store.write(|tx| {
                exports::set_status(
                    tx,
                    &e.id,
                    ExportStatus::Expired,
                    None,
                    e.error_message.as_deref(),
                )
            })?;
            println!("expired {} {}", e.id, e.file_path.as_deref().unwrap_or(""));
        }
        if due.is_empty() {
            println!("Nothing has expired.");
        }
        return Ok(());
    }
    let rows = store.read(|conn| exports::list(conn, None, Page::first(200)))?;
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
