//! `protoscribe show ID`: one record, by the prefix of its id.

use std::io::Write;

use super::output::{self, clean};
use super::{Context, Error, Result};
use crate::store::api::ProtocolOverview;
use crate::store::ids;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A protocol id (proto_…), or an analysis, suggestion, version or export id.
    id: String,
    /// Include the protocol's full text.
    #[arg(long)]
    content: bool,
    /// Print the seed's to_dict() fields as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result {
    let kind = ids::kind_of(&args.id).ok_or_else(|| {
        Error::Usage(format!(
            "'{}' is not an id: ids look like proto_…, analysis_…, sugg_…, version_… or export_… (see 'protoscribe list')",
            clean(&args.id, false)
        ))
    })?;
    let store = ctx.open_for_reading()?;
    if kind == ids::PROTOCOL {
        return show_protocol(&store, &args);
    }
    let value = match kind {
        ids::ANALYSIS => store.analysis(&args.id)?.to_json(),
        ids::SUGGESTION => store.suggestion(&args.id)?.to_json(),
        ids::VERSION => {
            let mut v = store.version(&args.id)?.to_json();
            if !args.content && !args.json {
                v["content"] = serde_json::Value::from("(use --content to print the text)");
            }
            v
        }
        _ => store.export(&args.id)?.to_json(),
    };
    if args.json {
        return Ok(output::print_json(&value)?);
    }
    print_fields(&value)
}

/// `key: value` lines for a record's fields, text made terminal-safe.
fn print_fields(value: &serde_json::Value) -> Result {
    let mut out = std::io::stdout().lock();
    if let Some(map) = value.as_object() {
        for (key, v) in map {
            let text = match v {
                serde_json::Value::String(s) => s.clone(),
                serde_json::Value::Null => "—".to_owned(),
                other => other.to_string(),
            };
            writeln!(out, "{key:>20}: {}", clean(&text, true))?;
        }
    }
    Ok(())
}

fn show_protocol(store: &crate::store::Store, args: &Args) -> Result {
    let ProtocolOverview {
        protocol,
        latest,
        version_count,
        pending,
        total,
    } = store.protocol_overview(&args.id)?;
    if args.json {
        return Ok(output::print_json(&protocol.to_json(args.content))?);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", clean(&protocol.title, false))?;
    writeln!(out, "  id:          {}", protocol.id)?;
    writeln!(out, "  status:      {}", protocol.status)?;
    if let Some(d) = &protocol.description {
        writeln!(out, "  description: {}", clean(d, false))?;
    }
    if let Some(path) = &protocol.file_path {
        let size = protocol
            .file_size
            .map(|s| output::bytes(s as u64))
            .unwrap_or_default();
        writeln!(out, "  file:        {} ({size})", clean(path, false))?;
    }
    if let Some(meta) = &protocol.metadata {
        let words = meta["word_count"].as_u64().unwrap_or(0);
        let headings = meta["headings"].as_array().map_or(0, Vec::len);
        let format = meta["source_format"].as_str().unwrap_or("?");
        writeln!(
            out,
            "  document:    {format}, {} words, {headings} headings",
            output::thousands(words)
        )?;
    }
    writeln!(out, "  created:     {}", output::when(&protocol.created_at))?;
    if let Some(u) = &protocol.updated_at {
        writeln!(out, "  updated:     {}", output::when(u))?;
    }
    writeln!(out, "  versions:    {version_count}")?;
    match &latest {
        Some(a) => writeln!(
            out,
            "  analysis:    {} by {}: overall {}, SPIRIT {}, CONSORT {}; {} of {} suggestions pending",
            a.id,
            clean(&a.provider, false),
            output::score(a.overall_score),
            output::score(a.spirit_score),
            output::score(a.consort_score),
            pending,
            total
        )?,
        None => writeln!(out, "  analysis:    none yet")?,
    }
    if args.content {
        writeln!(out)?;
        writeln!(out, "{}", clean(&protocol.content, true))?;
    }
    Ok(())
}
