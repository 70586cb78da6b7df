//! `protoscribe providers [check]`: the configured analysis providers, and
//! a cheap availability probe of each (no protocol text is sent).

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde_json::{Value, json};

use super::output::{self, cell, clean};
use super::{Context, Result};
use crate::providers::{self, Config, ProviderConfig};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Option<Sub>,
    /// Print as JSON.
    #[arg(long, global = true)]
    json: bool,
}

#[derive(Debug, clap::Subcommand)]
enum Sub {
    /// Probe each provider: a model list request, or whether the command exists.
    Check {
        /// Only this provider.
        name: Option<String>,
    },
}

pub fn run(ctx: &Context, args: Args) -> Result {
    let config = ctx.config()?;
    match args.command {
        None => list(&config, args.json),
        Some(Sub::Check { name }) => check(&config, name.as_deref(), args.json),
    }
}

fn place(p: &ProviderConfig) -> &'static str {
    if p.is_remote() {
        if p.allow_remote {
            "remote (allowed)"
        } else {
            "remote"
        }
    } else {
        "local"
    }
}

fn row(p: &ProviderConfig) -> Value {
    json!({
        "name": p.name,
        "kind": p.kind.as_str(),
        "model": p.model,
        "base_url": (!p.base_url.is_empty()).then_some(&p.base_url),
        "location": place(p),
        "api_key_env": p.api_key_env,
        "fallback": p.fallback,
    })
}

fn list(config: &Config, json: bool) -> Result {
    if json {
        let mut rows = vec![
            json!({"name": "builtin", "kind": "builtin", "model": crate::analysis::ANALYZER_VERSION, "location": "local"}),
        ];
        rows.extend(config.providers.values().map(row));
        return Ok(output::print_json(&Value::from(rows))?);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{} {} {} WHERE",
        cell("NAME", 16),
        cell("KIND", 10),
        cell("MODEL", 28)
    )?;
    writeln!(
        out,
        "{} {} {} local",
        cell("builtin", 16),
        cell("builtin", 10),
        cell(crate::analysis::ANALYZER_VERSION, 28)
    )?;
    for p in config.providers.values() {
        writeln!(
            out,
            "{} {} {} {}{}",
            cell(&p.name, 16),
            cell(p.kind.as_str(), 10),
            cell(&p.model, 28),
            place(p),
            if p.base_url.is_empty() {
                String::new()
            } else {
                format!("  {}", clean(&p.base_url, false))
            }
        )?;
    }
    if config.providers.is_empty() {
        writeln!(
            out,
            "\nNo model providers configured: add [providers.NAME] tables to {} (see README, \"Model providers\").",
            config
                .path
                .clone()
                .or_else(providers::config::default_path)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|| "config.toml".into())
        )?;
    }
    Ok(())
}

fn check(config: &Config, only: Option<&str>, json: bool) -> Result {
    if let Some(name) = only
        && name != "builtin"
        && config.get(name).is_none()
    {
        return Err(super::Error::Usage(format!(
            "unknown provider '{}': choose one of {}",
            clean(name, false),
            config.names().join(", ")
        )));
    }
    let mut rows = Vec::new();
    let mut all_ok = true;
    if only.is_none_or(|n| n == "builtin") {
        rows.push(json!({"name": "builtin", "ok": true, "detail": "offline, always available"}));
    }
    for p in config
        .providers
        .values()
        .filter(|p| only.is_none_or(|n| n == p.name))
    {
        let endpoint = providers::endpoint(p, Arc::new(AtomicBool::new(false)));
        let (ok, detail) = match endpoint.probe() {
            Ok(d) => (true, d),
            Err(e) => (false, e.to_string()),
        };
        all_ok &= ok;
        rows.push(json!({"name": p.name, "ok": ok, "detail": detail, "location": place(p)}));
    }
    if json {
        output::print_json(&Value::from(rows))?;
    } else {
        let mut out = std::io::stdout().lock();
        for r in &rows {
            writeln!(
                out,
                "{} {}  {}",
                cell(r["name"].as_str().unwrap_or_default(), 16),
                if r["ok"] == true { "ok    " } else { "FAILED" },
                clean(r["detail"].as_str().unwrap_or_default(), false)
            )?;
        }
    }
    if all_ok {
        Ok(())
    } else {
        Err(super::Error::Reported)
    }
}
