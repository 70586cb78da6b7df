//! The command line: one module per command, all calling the store. Every
//! command prints plain text, or the seed's `to_dict()` fields with `--json`.

mod analyze;
mod backup;
mod checklist;
mod compare;
mod dashboard;
mod db;
mod delete;
mod demo;
mod eval;
mod exercise;
mod exports;
mod import;
mod list;
pub mod output;
mod providers;
mod review;
mod show;
mod suggestions;
mod versions;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::ingest::IngestError;
use crate::paths::{self, PathError};
use crate::store::{Access, Store, StoreError};

#[derive(Debug, Parser)]
#[command(
    name = "protoscribe",
    version,
    about = "Check clinical-trial protocols against SPIRIT and CONSORT, and triage the suggestions",
    after_help = "The database is --db PATH, else $PROTOSCRIBE_DB, else $DATABASE_URL (sqlite:///relative/path or sqlite:////absolute/path, as SQLAlchemy reads it; or postgres://USER@HOST:PORT/DB for PostgreSQL), else $XDG_DATA_HOME/protoscribe/protoscribe.db."
)]
pub struct Cli {
    /// The store to use: a SQLite file (`import` creates it if it is not
    /// there) or a PostgreSQL database (postgres://USER@HOST:PORT/DB).
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,

    /// The providers' configuration (default: $XDG_CONFIG_HOME/protoscribe/config.toml).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    /// Without a command, the interactive interface opens on the store.
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load the bundled sample protocols into a separate demo store and show it.
    Demo(demo::Args),
    /// Import protocol documents (.docx, .pdf, .txt, .md); prints each protocol's id.
    Import(import::Args),
    /// Analyse protocols against SPIRIT and CONSORT; prints the scores and suggestion counts.
    Analyze(analyze::Args),
    /// The configured analysis providers; `providers check` probes each.
    Providers(providers::Args),
    /// Where two providers' latest analyses of a protocol disagree, item by item, with Cohen's kappa.
    Compare(compare::Args),
    /// The per-item checklist verdicts of a protocol's latest analysis.
    Checklist(checklist::Args),
    /// Decide on a suggestion: accept, reject, modify (with --content) or back to pending.
    Review(review::Args),
    /// A protocol's review queue (its latest analysis): critical findings first, then priority high to low, then confidence high to low.
    Suggestions(suggestions::Args),
    /// Write the accepted and modified suggestions into a new version of the protocol.
    Apply(versions::ApplyArgs),
    /// A protocol's versions.
    Versions(versions::VersionsArgs),
    /// A unified diff between two versions of a protocol (default: the last change).
    Diff(versions::DiffArgs),
    /// Write a report (markdown, html, docx or pdf): scores, checklist, decisions, optionally the text.
    Export(exports::ExportArgs),
    /// List reports written; --cleanup removes expired ones.
    Exports(exports::ExportsArgs),
    /// List protocols, newest first (or best match first with --search).
    List(list::Args),
    /// Show a protocol (or an analysis, suggestion, version or export) by id.
    Show(show::Args),
    /// Delete a protocol with its analyses, suggestions, versions and exports.
    Delete(delete::Args),
    /// Counts, scores and review progress at a glance.
    Dashboard(dashboard::Args),
    /// Take a verified, compressed backup of the store (safe while others use it).
    Backup(backup::BackupArgs),
    /// Replace the store with a backup (checked first; the current store is kept).
    Restore(backup::RestoreArgs),
    /// Measure the analyzer against labelled documents, item by item (reads files only, no store).
    Eval(eval::Args),
    /// The database itself: its status, and checks of its integrity.
    #[command(subcommand)]
    Db(db::Command),
}

/// What a command failed with; printed as `error: …` by `main`.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Analyze(#[from] crate::jobs::analyze::AnalyzeError),
    /// A failure to report as one line (exit status 1).
    #[error("{0}")]
    Usage(String),
    /// The command line asks for something it cannot mean (exit status 2,
    /// as for clap's own usage errors).
    #[error("{0}")]
    Arguments(String),
    #[error("cannot write the output: {0}")]
    Io(std::io::Error),
    /// The command already reported its errors (one line per failed file).
    #[error("some inputs failed")]
    Reported,
    /// The reader of our output went away (`| head`): not an error.
    #[error("output closed")]
    BrokenPipe,
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            Error::BrokenPipe
        } else {
            Error::Io(e)
        }
    }
}

pub type Result<T = ()> = std::result::Result<T, Error>;

/// Global options every command sees.
pub struct Context {
    db_flag: Option<PathBuf>,
    config_flag: Option<PathBuf>,
}

impl Context {
    /// The providers' configuration: `--config`, else the default file if
    /// there is one; a bad file is an error, never a silent default.
    pub fn config(&self) -> Result<crate::providers::Config> {
        crate::providers::Config::load(self.config_flag.as_deref())
            .map_err(|e| Error::Usage(e.to_string()))
    }

    /// The path given with `--db`, if any.
    pub fn db_flag(&self) -> Option<&std::path::Path> {
        self.db_flag.as_deref()
    }

    pub fn db_path(&self) -> Result<PathBuf> {
        Ok(paths::resolve_db(
            self.db_flag.clone(),
            &paths::Env::from_process(),
        )?)
    }

    /// Whether the store is the default one (no --db, no environment):
    /// the one place a store is created without being asked by name.
    fn db_is_default(&self) -> bool {
        let env = paths::Env::from_process();
        self.db_flag.is_none() && env.protoscribe_db.is_none() && env.database_url.is_none()
    }

    /// Open the store for a command that creates it if it is not there yet
    /// (`import`, `db synth`), and start a scheduled backup if one is due.
    pub fn open_or_create(&self) -> Result<Store> {
        let path = self.db_path()?;
        let store = Store::open(&path)?;
        schedule_backup(&store);
        Ok(store)
    }

    /// Open an existing store for a command that writes, and start a
    /// scheduled backup if one is due. A path with no store is a mistake
    /// (a mistyped --db), never a reason to create one.
    pub fn open_for_writing(&self) -> Result<Store> {
        let path = self.existing_db_path()?;
        let store = Store::open(&path)?;
        schedule_backup(&store);
        Ok(store)
    }

    /// Open an existing store for a command that only reads: nothing is
    /// created, and a file the user may not write is opened read-only
    /// rather than refused.
    pub fn open_for_reading(&self) -> Result<Store> {
        let path = self.existing_db_path()?;
        let read_only = !is_postgres(&path)
            && path.is_file()
            && std::fs::OpenOptions::new().write(true).open(&path).is_err();
        let access = if read_only {
            Access::ReadOnly
        } else {
            Access::ReadWrite
        };
        Ok(Store::open_with(&path, access)?)
    }

    /// The store's path, if a store is there: not a missing file, and not
    /// an empty one (which only importing turns into a store).
    pub fn existing_db_path(&self) -> Result<PathBuf> {
        let path = self.db_path()?;
        if is_postgres(&path) {
            // The server says whether the database is there, on opening.
            return Ok(path);
        }
        match std::fs::metadata(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::Usage(format!(
                "no store at {}: check the path, or create one by importing a protocol (protoscribe{} import FILE)",
                path.display(),
                self.db_flag
                    .as_ref()
                    .map(|p| format!(" --db {}", p.display()))
                    .unwrap_or_default()
            ))),
            Ok(meta) if meta.is_file() && meta.len() == 0 => Err(Error::Usage(format!(
                "{} is an empty file, not a store yet: import a protocol into it first, or check the path",
                path.display()
            ))),
            // Refused before SQLite opens it: a FIFO would hang the open.
            Ok(meta) if !meta.is_file() => Err(Error::Usage(format!(
                "{} is {}, not a database file: pass --db with a file path",
                path.display(),
                crate::files::special_kind(&meta).unwrap_or("a folder")
            ))),
            _ => Ok(path),
        }
    }
}

/// Whether the store named is a PostgreSQL database (a URL) rather than
/// a file.
pub fn is_postgres(path: &std::path::Path) -> bool {
    path.to_str()
        .is_some_and(crate::store::postgres::is_postgres_url)
}

/// Start a scheduled backup if one is due. Scheduled backups copy a store
/// file; a PostgreSQL server's backups are its operator's (or run
/// 'protoscribe backup' yourself).
fn schedule_backup(store: &Store) {
    if !store.is_postgres() {
        backup::schedule(store.path());
    }
}

/// The analysis a command's ID argument names: the analysis itself, or a
/// protocol's latest completed one.
fn completed_analysis(store: &Store, id: &str) -> Result<crate::store::analyses::Analysis> {
    store.resolve_analysis(id)?.ok_or_else(|| {
        Error::Usage(format!(
            "{id} has no completed analysis yet: run 'protoscribe analyze {id}'"
        ))
    })
}

/// Open the terminal interface on the store at `path` (created if needed:
/// callers decide whether that is wanted).
pub fn interface(path: &std::path::Path, providers: crate::providers::Config) -> Result {
    use std::io::IsTerminal;
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "the interface needs a terminal; in scripts use a command (protoscribe --help)".into(),
        ));
    }
    let store = crate::store::Store::open(path)?;
    schedule_backup(&store);
    crate::tui::run(store, providers).map_err(Error::Io)
}

pub fn run(cli: Cli) -> Result {
    let ctx = Context {
        db_flag: cli.db,
        config_flag: cli.config,
    };
    let Some(command) = cli.command else {
        // The default store is created on first use; a named one must exist.
        let path = if ctx.db_is_default() {
            ctx.db_path()?
        } else {
            ctx.existing_db_path()?
        };
        return interface(&path, ctx.config()?);
    };
    match command {
        Command::Demo(args) => demo::run(&ctx, args),
        Command::Import(args) => import::run(&ctx, args),
        Command::Analyze(args) => analyze::run(&ctx, args),
        Command::Checklist(args) => checklist::run(&ctx, args),
        Command::Providers(args) => providers::run(&ctx, args),
        Command::Compare(args) => compare::run(&ctx, args),
        Command::Review(args) => review::run(&ctx, args),
        Command::Apply(args) => versions::run_apply(&ctx, args),
        Command::Export(args) => exports::run_export(&ctx, args),
        Command::Exports(args) => exports::run_exports(&ctx, args),
        Command::Versions(args) => versions::run_versions(&ctx, args),
        Command::Diff(args) => versions::run_diff(&ctx, args),
        Command::Suggestions(args) => suggestions::run(&ctx, args),
        Command::List(args) => list::run(&ctx, args),
        Command::Show(args) => show::run(&ctx, args),
        Command::Delete(args) => delete::run(&ctx, args),
        Command::Dashboard(args) => dashboard::run(&ctx, args),
        Command::Backup(args) => backup::run_backup(&ctx, args),
        Command::Restore(args) => backup::run_restore(&ctx, args),
        Command::Db(command) => db::run(&ctx, command),
        Command::Eval(args) => eval::run(&ctx, args),
    }
}
