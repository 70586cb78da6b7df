//! `protoscribe db …`: the store file itself.

use std::io::Write;

use super::output::{self, thousands};
use super::{Context, Error, Result};
use crate::samples::synth::{self, Scale};
use crate::store::api::ReviewTally;
use crate::store::protocols::ProtocolFilter;
use crate::store::{migrate, stats};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Schema version, row counts and file size.
    Status {
        #[arg(long)]
        json: bool,
    },
    /// Integrity and foreign-key checks, and that the counts the store
    /// keeps (review progress, the dashboard's analysis figures) agree with
    /// the rows.
    Check {
        /// Count those again from the rows if they disagree (something
        /// wrote around the store's triggers).
        #[arg(long)]
        repair: bool,
    },
    /// Copy a whole store to another place or backend (a file path,
    /// sqlite:///PATH, or postgres://USER@HOST:PORT/DB), in one transaction
    /// on the target, then check every table's rows and checksum.
    Copy {
        /// The store to copy (default: the one --db names).
        #[arg(long, value_name = "PATH|URL")]
        from: Option<String>,
        /// Where to copy it; made if it does not exist.
        #[arg(long, value_name = "PATH|URL")]
        to: String,
        /// Replace what the target holds instead of refusing.
        #[arg(long)]
        force: bool,
        #[arg(long)]
        json: bool,
    },
    /// Make decisions and imports in a loop, announcing each before it is
    /// committed ("try …") and after ("ok …"), for crash and concurrency tests.
    #[command(hide = true)]
    Exercise {
        #[arg(long, default_value_t = 1000)]
        iterations: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Work only on suggestions whose position modulo M is K ("K/M").
        #[arg(long, default_value = "0/1")]
        partition: String,
        /// Import a small protocol every N iterations (0: never).
        #[arg(long, default_value_t = 10)]
        import_every: u64,
    },
    /// Fill an empty store with synthetic protocols, analyses and
    /// suggestions, for benchmarks and scale tests.
    #[command(hide = true)]
    Synth {
        #[arg(long, default_value_t = 10_000)]
        protocols: u64,
        #[arg(long, default_value_t = 3)]
        analyses_per_protocol: u64,
        #[arg(long, default_value_t = 30)]
        suggestions_per_analysis: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

pub fn run(ctx: &Context, command: Command) -> Result {
    match command {
        Command::Status { json } => status(ctx, json),
        Command::Check { repair } => check(ctx, repair),
        Command::Copy {
            from,
            to,
            force,
            json,
        } => copy(ctx, from, &to, force, json),
        Command::Exercise {
            iterations,
            seed,
            partition,
            import_every,
        } => super::exercise::run(ctx, iterations, seed, &partition, import_every),
        Command::Synth {
            protocols,
            analyses_per_protocol,
            suggestions_per_analysis,
            seed,
        } => {
            let scale = Scale {
                protocols,
                analyses_per_protocol,
                suggestions_per_analysis,
            };
            synthesize(ctx, scale, seed)
        }
    }
}

fn status(ctx: &Context, json: bool) -> Result {
    let store = ctx.open_for_reading()?;
    let status = store.status()?;
    if json {
        return Ok(output::print_json(
            &serde_json::to_value(&status)
                .map_err(|e| Error::Usage(format!("cannot encode the status: {e}")))?,
        )?);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "database  {}", output::clean(&status.path, false))?;
    writeln!(
        out,
        "schema    version {} (this ProtoScribe writes {})",
        status.schema_version, status.schema_version_supported
    )?;
    if super::is_postgres(&ctx.existing_db_path()?) {
        // The write-ahead log and journal are the server's, not the store's.
        writeln!(
            out,
            "size      {} (the database, on the server)",
            output::bytes(status.file_size)
        )?;
    } else {
        writeln!(
            out,
            "size      {} (+ {} write-ahead log), journal {}",
            output::bytes(status.file_size),
            output::bytes(status.wal_size),
            status.journal_mode
        )?;
    }
    for table in stats::TABLES {
        let n = status.tables.get(table).copied().unwrap_or(0);
        writeln!(out, "{table:<18}{:>12}", thousands(n))?;
    }
    Ok(())
}

fn check(ctx: &Context, repair: bool) -> Result {
    let path = ctx.existing_db_path()?;
    if super::is_postgres(&path) {
        return check_postgres(ctx, repair);
    }
    let checked = crate::store::backup::check_database(&path)?;
    let store = ctx.open_for_reading()?;
    kept_counts_agree(&path.display().to_string(), &store, repair)?;
    // Opening it may have upgraded an older store: its schema now.
    println!(
        "{}: ok (integrity, foreign keys, review counts, analysis figures) · schema {} · {} protocols · {} suggestions",
        path.display(),
        store.status()?.schema_version,
        thousands(checked.protocols),
        thousands(checked.suggestions)
    );
    Ok(())
}

/// The counts the store keeps by trigger agree with what they count, or,
/// with `repair`, are counted again from the rows until they do.
fn kept_counts_agree(shown: &str, store: &crate::store::Store, repair: bool) -> Result {
    let found = tally_agrees(shown, store.review_tally()?);
    if found.is_ok() || !repair {
        return found;
    }
    store.recount()?;
    tally_agrees(shown, store.review_tally()?)?;
    println!(
        "{shown}: the review counts and the analysis figures were counted again from the rows"
    );
    Ok(())
}

fn tally_agrees(shown: &str, tally: ReviewTally) -> Result {
    if tally.counted != tally.current {
        return Err(Error::Usage(format!(
            "{shown}: the review counts say {} suggestions but there are {}: 'protoscribe db check --repair' counts them again from the rows (and please report it: something wrote around the store's triggers)",
            tally.counted, tally.current
        )));
    }
    if tally.figures_disagreeing > 0 {
        return Err(Error::Usage(format!(
            "{shown}: the dashboard's analysis figures disagree with the analyses in {} of their rows: 'protoscribe db check --repair' counts them again from the rows (and please report it: something wrote around the store's triggers)",
            tally.figures_disagreeing
        )));
    }
    Ok(())
}

/// `db check` on PostgreSQL: the server keeps its own pages and foreign
/// keys sound, so what is checked is that the review counts agree.
fn check_postgres(ctx: &Context, repair: bool) -> Result {
    let store = ctx.open_for_reading()?;
    let shown = output::clean(&store.path().display().to_string(), false).into_owned();
    kept_counts_agree(&shown, &store, repair)?;
    let status = store.status()?;
    let count = |t: &str| status.tables.get(t).copied().unwrap_or(0);
    println!(
        "{shown}: ok (review counts, analysis figures) · schema {} · {} protocols · {} suggestions",
        status.schema_version,
        thousands(count("protocols")),
        thousands(count("suggestions"))
    );
    Ok(())
}

fn synthesize(ctx: &Context, scale: Scale, seed: u64) -> Result {
    let store = ctx.open_or_create()?;
    if store.is_postgres() {
        return Err(Error::Usage(format!(
            "db synth fills a SQLite store file: generate into one (--db FILE), then move it with 'protoscribe db copy --from FILE --to {}'",
            store.path().display()
        )));
    }
    let existing = store.protocol_count(&ProtocolFilter::default())?;
    if existing > 0 {
        return Err(Error::Usage(format!(
            "{} already holds {existing} protocols; synthetic data goes only into an empty store (pass --db with a new file)",
            store.path().display()
        )));
    }
    let started = std::time::Instant::now();
    let written = synth::generate(&store, scale, seed, |done| {
        if done % 1000 == 0 {
            eprintln!("  {done} of {} protocols", scale.protocols);
        }
    })?;
    store
        .refresh_statistics()
        .map_err(|e| e.for_path(store.path()))?;
    println!(
        "generated {} protocols, {} analyses, {} suggestions in {:.1} s (schema {})",
        thousands(scale.protocols),
        thousands(scale.protocols * scale.analyses_per_protocol),
        thousands(written),
        started.elapsed().as_secs_f64(),
        migrate::SCHEMA_VERSION
    );
    Ok(())
}

fn copy(ctx: &Context, from: Option<String>, to: &str, force: bool, json: bool) -> Result {
    use crate::store::copy::{self, Endpoint};
    let from = match from {
        Some(spec) => Endpoint::parse(&spec)?,
        // The store --db (or the environment) names, on either backend.
        None => match ctx.existing_db_path()? {
            path if super::is_postgres(&path) => Endpoint::parse(&path.to_string_lossy())?,
            path => Endpoint::Sqlite(path),
        },
    };
    let to = Endpoint::parse(to)?;
    let copied = copy::copy(&from, &to, force)?;
    if json {
        return Ok(output::print_json(&serde_json::json!({
            "from": from.shown(),
            "to": to.shown(),
            "verified": true,
            "tables": copied.tables,
        }))?);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "copied {} to {}", from.shown(), to.shown())?;
    for t in &copied.tables {
        writeln!(
            out,
            "  {:<18} {:>10} rows  sha256 {}",
            t.table,
            thousands(t.rows),
            t.sha256
        )?;
    }
    writeln!(
        out,
        "verified: every table's rows and checksum on the target equal the source's"
    )?;
    Ok(())
}
