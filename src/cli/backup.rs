//! `protoscribe backup` and `protoscribe restore`, and the scheduled
//! backup that writing commands and the interface start in the background.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::output::{self, clean};
use super::{Context, Error, Result};
use crate::store::backup;

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    /// Where backups go (default: backups/ next to the store).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Also remove backups older than this many days (only files named like backups).
    #[arg(long, value_name = "N")]
    keep_days: Option<u32>,
    /// Take one only if the newest backup is older than this many hours.
    #[arg(long, value_name = "HOURS", hide = true)]
    if_older_than: Option<u64>,
    /// Print nothing (for scheduled runs).
    #[arg(long, hide = true)]
    quiet: bool,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// The backup to restore (protoscribe_backup_….db.gz).
    file: PathBuf,
    /// Replace the store without asking (required when not on a terminal).
    #[arg(long)]
    yes: bool,
}

pub fn run_backup(ctx: &Context, args: BackupArgs) -> Result {
    let path = ctx.db_path()?;
    if super::is_postgres(&path) {
        return dump(ctx, &args);
    }
    let dir = args
        .dir
        .clone()
        .unwrap_or_else(|| backup::default_dir(&path));
    if let Some(hours) = args.if_older_than
        && backup::newest_age(&dir).is_some_and(|age| age < Duration::from_secs(hours * 3600))
    {
        return Ok(());
    }
    let store = ctx.open_for_reading()?;
    let info = store.backup(&dir)?;
    let removed = match args.keep_days {
        Some(days) => backup::prune(&dir, days, &info.path)?,
        None => Vec::new(),
    };
    if !args.quiet {
        println!(
            "{} ({}, store {}; verified)",
            shown(&info.path),
            output::bytes(info.compressed_size),
            output::bytes(info.database_size)
        );
        for path in removed {
            println!("removed {}", shown(&path));
        }
    }
    Ok(())
}

/// A path as the terminal may show it.
fn shown(path: &Path) -> String {
    clean(&path.display().to_string(), false).into_owned()
}

/// `backup` on PostgreSQL: a verified `pg_dump` into `--dir` (default:
/// `backups/` in the data directory); prints the dump's path.
fn dump(ctx: &Context, args: &BackupArgs) -> Result {
    if args.keep_days.is_some() {
        return Err(Error::Usage(
            "--keep-days removes old backups of a SQLite store; on PostgreSQL remove old .pgdump files yourself".into(),
        ));
    }
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => dirs::data_dir()
            .map(|d| d.join("protoscribe").join("backups"))
            .ok_or_else(|| {
                Error::Usage("no data directory is known for this user: pass --dir".into())
            })?,
    };
    let store = ctx.open_for_reading()?;
    let dump = store.dump(&dir)?;
    if !args.quiet {
        println!(
            "{} ({}, dump of {}; verified)",
            shown(&dump.path),
            output::bytes(dump.size),
            shown(store.path())
        );
    }
    Ok(())
}

/// `restore` on PostgreSQL: a .pgdump from `backup` replaces the
/// database's contents, in one transaction.
fn restore_dump(ctx: &Context, args: &RestoreArgs) -> Result {
    let store = ctx.open_for_writing()?;
    if !args.yes
        && !confirmed(&format!(
            "Replace the contents of {} with {}?",
            shown(store.path()),
            shown(&args.file)
        ))?
    {
        return Ok(());
    }
    // What is replaced is kept beside the backup restored.
    let keep_dir = args
        .file
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let kept = store.restore_dump(&args.file, &keep_dir)?;
    // Counted as a SQLite store's restore and `db status` count them.
    let status = store.status()?;
    let count = |table: &str| output::thousands(status.tables.get(table).copied().unwrap_or(0));
    println!(
        "restored {} from {} ({} protocols, {} suggestions); the replaced store is kept at {}",
        shown(store.path()),
        shown(&args.file),
        count("protocols"),
        count("suggestions"),
        shown(&kept)
    );
    Ok(())
}

pub fn run_restore(ctx: &Context, args: RestoreArgs) -> Result {
    let path = ctx.db_path()?;
    if super::is_postgres(&path) {
        return restore_dump(ctx, &args);
    }
    // Unpacked where the store lives, and checked, before anything is asked.
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(|e| {
                Error::Usage(format!("cannot create the folder {}: {e}", dir.display()))
            })?;
    }
    let incoming = backup::unpack(&args.file, dir)?;
    if !args.yes {
        let current = match backup::check_database(&path) {
            _ if !path.exists() => "no store there yet".to_owned(),
            Ok(c) => format!("{} protocols, {} suggestions", c.protocols, c.suggestions),
            Err(_) => "unreadable".to_owned(),
        };
        let question = format!(
            "Replace {} ({current}) with {} ({} protocols, {} suggestions, {})? A backup of the current store is kept.",
            shown(&path),
            shown(&args.file),
            incoming.checked.protocols,
            incoming.checked.suggestions,
            output::bytes(incoming.size)
        );
        if !confirmed(&question)? {
            return Ok(());
        }
    }
    let restored = backup::restore(incoming, &path, &backup::default_dir(&path))?;
    if let Some(warning) = &restored.warning {
        output::print_note(warning);
    }
    println!(
        "restored {} ({} protocols, {} suggestions){}",
        shown(&path),
        output::thousands(restored.restored.protocols),
        output::thousands(restored.restored.suggestions),
        restored
            .previous
            .map(|p| format!("; the replaced store is kept at {}", shown(&p)))
            .unwrap_or_default()
    );
    Ok(())
}

/// The interval between scheduled backups: `PROTOSCRIBE_BACKUP_HOURS`
/// (0 turns them off), default 24 hours.
fn interval_hours() -> u64 {
    std::env::var("PROTOSCRIBE_BACKUP_HOURS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(24)
}

/// When the newest backup is older than the interval, take one in a
/// background process, so the command (or the interface) never waits.
pub fn schedule(store_path: &Path) {
    let hours = interval_hours();
    if hours == 0 {
        return;
    }
    let due = backup::newest_age(&backup::default_dir(store_path))
        .is_none_or(|age| age >= Duration::from_secs(hours * 3600));
    if !due {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let child = std::process::Command::new(exe)
        .arg("--db")
        .arg(store_path)
        .args([
            "backup",
            "--quiet",
            "--if-older-than",
            &hours.to_string(),
            "--keep-days",
            "30",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
    match child {
        // Reap it when it ends, if we are still running then.
        Ok(mut child) => {
            std::thread::spawn(move || child.wait());
        }
        Err(e) => crate::tui::log::error(&format!("scheduled backup did not start: {e}")),
    }
}

/// Ask on the terminal before a restore replaces the store; `--yes` is
/// needed when there is no terminal to ask on. False (and "Nothing
/// changed.") unless the answer is yes.
fn confirmed(question: &str) -> Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "restore replaces the store: pass --yes to confirm when not running on a terminal"
                .into(),
        ));
    }
    eprint!("{question} [y/N] ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    let yes = matches!(answer.trim(), "y" | "Y" | "yes");
    if !yes {
        eprintln!("Nothing changed.");
    }
    Ok(yes)
}
