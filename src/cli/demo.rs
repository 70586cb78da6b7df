//! `protoscribe demo`: put a newcomer in front of real content without
//! touching their own store: the bundled sample protocols, imported and
//! analysed.

use std::path::{Path, PathBuf};

use super::import::{ImportOptions, Outcome, store_document};
use super::{Context, Result};
use crate::analysis::GuidelineChoice;
use crate::ingest;
use crate::jobs::analyze;
use crate::samples::SAMPLES;
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {}

/// The demo store: `--db` if given, else `demo.db` beside the store every
/// other command would use (wherever `PROTOSCRIBE_DB` or `DATABASE_URL`
/// put it), never that store itself.
fn demo_path(ctx: &Context) -> Result<PathBuf> {
    if let Some(path) = ctx.db_flag() {
        return Ok(path.to_owned());
    }
    let mut store = ctx.db_path()?;
    if super::is_postgres(&store) {
        // A server's database has no folder beside it: the demo is a file
        // where the default store would be.
        store = crate::paths::resolve_db(
            None,
            &crate::paths::Env {
                protoscribe_db: None,
                database_url: None,
            },
        )?;
    }
    let dir = store
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let demo = dir.join("demo.db");
    Ok(if demo == store {
        dir.join("protoscribe-demo.db")
    } else {
        demo
    })
}

pub fn run(ctx: &Context, _args: Args) -> Result {
    let path = demo_path(ctx)?;
    let store = Store::open(&path)?;
    // The file, or the URL without its password.
    let shown = store.path().display().to_string();
    let ids = load_samples(&store)?;
    analyse_new(&store, &ids)?;
    drop(store);
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() && std::io::stdin().is_terminal() {
        // The demo stays offline: the builtin analyzer only.
        return super::interface(&path, crate::providers::Config::default());
    }
    println!("Demo store: {shown}\n");
    let demo_ctx = Context {
        db_flag: Some(path.clone()),
        config_flag: None,
    };
    super::list::run(&demo_ctx, super::list::Args::default())?;
    println!();
    super::dashboard::run(&demo_ctx, super::dashboard::Args::default())?;
    println!("\nTry: protoscribe --db {shown} show ID --content");
    Ok(())
}

/// Import every sample not yet in the store; returns their protocol ids.
pub fn load_samples(store: &Store) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for (name, text) in SAMPLES {
        let doc = ingest::from_bytes(Path::new(name), text.as_bytes())?;
        let options = ImportOptions {
            title: None,
            description: Some("Sample protocol bundled with ProtoScribe".into()),
            force: false,
        };
        let id = match store_document(store, &doc, &options)? {
            Outcome::Imported(p) => p.info.id,
            Outcome::AlreadyThere(p) => p.id,
        };
        ids.push(id);
    }
    Ok(ids)
}

/// Analyse the samples that have no completed analysis yet.
fn analyse_new(store: &Store, ids: &[String]) -> Result<()> {
    for id in ids {
        let done = store.latest_completed_analysis(id)?;
        if done.is_none() {
            let request = analyze::Request::builtin(id, GuidelineChoice::Auto);
            analyze::run(store, &request)?;
        }
    }
    Ok(())
}
