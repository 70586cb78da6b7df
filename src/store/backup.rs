//! Backups and restores that are safe while others use the store.
//!
//! A backup is `VACUUM INTO` a temporary file (a consistent snapshot, even
//! while another process writes; copying the file would miss what sits in
//! the `-wal`), gzip-compressed, then checked by decompressing it and
//! running `PRAGMA integrity_check`. A restore checks the backup first,
//! refuses while another process has the store open, keeps a backup of
//! what it replaces, and swaps the file in with one rename.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use rusqlite::{Connection, OpenFlags};

use super::error::{Result, StoreError};
use super::{Store, migrate};

const PREFIX: &str = "protoscribe_backup_";
const SUFFIX: &str = ".db.gz";
/// A backup larger than this when decompressed is not one of ours.
const MAX_RESTORED_BYTES: u64 = 64 << 30;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub compressed_size: u64,
    pub database_size: u64,
}

/// The default folder: `backups/` next to the store.
pub fn default_dir(store_path: &Path) -> PathBuf {
    store_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .join("backups")
}

/// Whether a file name is one of our backups (`protoscribe_backup_YYYYMMDD_HHMMSS[_N].db.gz`).
pub fn is_backup_name(name: &str) -> bool {
    let Some(stem) = name
        .strip_prefix(PREFIX)
        .and_then(|s| s.strip_suffix(SUFFIX))
    else {
        return false;
    };
    let mut parts = stem.split('_');
    let (Some(date), Some(time)) = (parts.next(), parts.next()) else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let rest_ok = match parts.next() {
        None => true,
        Some(n) => !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()) && parts.next().is_none(),
    };
    digits(date, 8) && digits(time, 6) && rest_ok
}

/// Backups hold the protocols: their folder is the user's alone.
fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| io_error("cannot create the backup folder", dir, e))
}

fn io_error(what: &str, path: &Path, e: io::Error) -> StoreError {
    StoreError::Invalid(format!("{what} {}: {e}", path.display()))
}

fn private_file(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Take a backup of `store` into `dir`; returns where it went.
pub fn backup(store: &Store, dir: &Path) -> Result<BackupInfo> {
    private_dir(dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%d_%H%M%S").to_string();
    let mut target = dir.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    let mut n = 1;
    while target.exists() {
        n += 1;
        target = dir.join(format!("{PREFIX}{stamp}_{n}{SUFFIX}"));
    }
    let snapshot = dir.join(format!(".{PREFIX}{stamp}_{}.db.tmp", std::process::id()));
    let partial = target.with_extension("gz.partial");
    let result = (|| {
        let _ = fs::remove_file(&snapshot);
        // VACUUM INTO reads one consistent snapshot, whatever others write meanwhile.
        store.read(|conn| {
            conn.execute("VACUUM INTO ?1", [snapshot.to_string_lossy()])?;
            Ok(())
        })?;
        let database_size = fs::metadata(&snapshot).map(|m| m.len()).unwrap_or(0);
        compress(&snapshot, &partial)?;
        verify_backup(&partial)?;
        fs::rename(&partial, &target)
            .map_err(|e| io_error("cannot finish the backup", &target, e))?;
        sync_dir(dir);
        Ok(BackupInfo {
            compressed_size: fs::metadata(&target).map(|m| m.len()).unwrap_or(0),
            database_size,
            path: target.clone(),
        })
    })();
    let _ = fs::remove_file(&snapshot);
    let _ = fs::remove_file(&partial);
    result
}

fn compress(from: &Path, to: &Path) -> Result<()> {
    let input = File::open(from).map_err(|e| io_error("cannot read the snapshot", from, e))?;
    let output = private_file(to).map_err(|e| io_error("cannot write the backup", to, e))?;
    let mut encoder = GzEncoder::new(BufWriter::new(output), Compression::default());
    io::copy(&mut BufReader::new(input), &mut encoder)
        .map_err(|e| io_error("cannot write the backup", to, e))?;
    let writer = encoder
        .finish()
        .map_err(|e| io_error("cannot write the backup", to, e))?;
    let file = writer
        .into_inner()
        .map_err(|e| io_error("cannot write the backup", to, e.into_error()))?;
    file.sync_all()
        .map_err(|e| io_error("cannot write the backup", to, e))
}

fn decompress(from: &Path, to: &Path) -> Result<()> {
    let input = File::open(from).map_err(|e| io_error("cannot read the backup", from, e))?;
    let output =
        private_file(to).map_err(|e| io_error("cannot unpack the backup next to", to, e))?;
    let mut writer = BufWriter::new(output);
    let mut decoder = GzDecoder::new(BufReader::new(input)).take(MAX_RESTORED_BYTES + 1);
    let copied = io::copy(&mut decoder, &mut writer).map_err(|_| {
        StoreError::Invalid(format!(
            "{} is not a complete gzip file (truncated or damaged): use another backup",
            from.display()
        ))
    })?;
    if copied > MAX_RESTORED_BYTES {
        return Err(StoreError::Invalid(format!(
            "{} unpacks to more than 64 GiB: not a ProtoScribe backup",
            from.display()
        )));
    }
    let file = writer
        .into_inner()
        .map_err(|e| io_error("cannot unpack the backup", to, e.into_error()))?;
    file.sync_all()
        .map_err(|e| io_error("cannot unpack the backup", to, e))
}

/// What a checked database holds.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Checked {
    pub schema_version: i64,
    pub protocols: u64,
    pub suggestions: u64,
}

/// Integrity, foreign keys, and that this is a ProtoScribe store this
/// build can read. `path` is opened read-only and never changed.
pub fn check_database(path: &Path) -> Result<Checked> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| StoreError::from(e).for_path(path))?;
    let version = migrate::check_compatible(&conn, path).map_err(|e| e.for_path(path))?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| s.query_map([], |r| r.get::<_, String>(0))?.collect())
        .map_err(|e| StoreError::from(e).for_path(path))?;
    if problems != ["ok"] {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: problems.into_iter().take(3).collect::<Vec<_>>().join("; "),
        });
    }
    let orphans: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .map_err(|e| StoreError::from(e).for_path(path))?;
    if orphans > 0 {
        return Err(StoreError::Corrupt {
            path: path.to_owned(),
            detail: format!("{orphans} rows point at rows that do not exist"),
        });
    }
    let count = |table: &str| -> Result<u64> {
        if version == 0 {
            return Ok(0);
        }
        let n: i64 = conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
        Ok(n as u64)
    };
    Ok(Checked {
        schema_version: version,
        protocols: count("protocols")?,
        suggestions: count("suggestions")?,
    })
}

/// Decompress a backup to a temporary file beside it and check it.
pub fn verify_backup(path: &Path) -> Result<Checked> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let scratch = dir.join(format!(
        ".protoscribe_verify_{}_{}.db",
        std::process::id(),
        unique()
    ));
    let result = decompress(path, &scratch).and_then(|()| check_database(&scratch));
    let _ = fs::remove_file(&scratch);
    result.map_err(|e| match e {
        StoreError::NotADatabase { .. } => StoreError::Invalid(format!(
            "{} does not hold a ProtoScribe store (it is another program's file or not a database): use a ProtoScribe backup",
            path.display()
        )),
        other => other,
    })
}

fn unique() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Remove our backups in `dir` older than `days`; other files are never
/// touched. Returns the removed paths.
pub fn prune(dir: &Path, days: u32) -> Result<Vec<PathBuf>> {
    let cutoff = SystemTime::now() - Duration::from_secs(u64::from(days) * 86_400);
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(removed);
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !is_backup_name(&name) {
            continue;
        }
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t < cutoff);
        if old && fs::remove_file(entry.path()).is_ok() {
            removed.push(entry.path());
        }
    }
    removed.sort();
    Ok(removed)
}

/// How long ago the newest backup in `dir` was made, if there is one.
pub fn newest_age(dir: &Path) -> Option<Duration> {
    fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter(|e| is_backup_name(&e.file_name().to_string_lossy()))
        .filter_map(|e| e.metadata().and_then(|m| m.modified()).ok())
        .max()
        .and_then(|t| {
            SystemTime::now()
                .duration_since(t)
                .ok()
                .or(Some(Duration::ZERO))
        })
}

/// Processes (other than this one) that have the store or its journal
/// files open, found through /proc. Processes of other users are visible
/// only to root.
pub fn processes_using(path: &Path) -> Vec<u32> {
    let Ok(canonical) = fs::canonicalize(path) else {
        return Vec::new();
    };
    let targets: Vec<PathBuf> = ["", "-wal", "-shm"]
        .iter()
        .map(|suffix| {
            let mut p = canonical.as_os_str().to_owned();
            p.push(suffix);
            PathBuf::from(p)
        })
        .collect();
    let me = std::process::id();
    let Ok(procs) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for entry in procs.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|s| s.parse::<u32>().ok())
        else {
            continue;
        };
        if pid == me {
            continue;
        }
        let Ok(fds) = fs::read_dir(entry.path().join("fd")) else {
            continue;
        };
        if fds
            .flatten()
            .any(|fd| fs::read_link(fd.path()).is_ok_and(|l| targets.contains(&l)))
        {
            found.push(pid);
        }
    }
    found
}

/// What a restore did.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Restored {
    pub restored: Checked,
    /// The backup taken of the store that was replaced, if there was one.
    pub previous: Option<PathBuf>,
}

/// Replace the store at `store_path` with the backup at `backup`. The
/// caller has confirmed; `backup_dir` receives the copy of what is replaced.
pub fn restore(backup: &Path, store_path: &Path, backup_dir: &Path) -> Result<Restored> {
    let dir = store_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir).map_err(|e| io_error("cannot create", dir, e))?;
    let incoming = dir.join(format!(
        ".protoscribe_restore_{}_{}.db",
        std::process::id(),
        unique()
    ));
    let result = (|| {
        decompress(backup, &incoming)?;
        let checked = check_database(&incoming).map_err(|e| match e {
            StoreError::NotADatabase { .. } => StoreError::Invalid(format!(
                "{} does not hold a ProtoScribe store: nothing was changed",
                backup.display()
            )),
            other => other,
        })?;
        let users = processes_using(store_path);
        if !users.is_empty() {
            return Err(StoreError::Invalid(format!(
                "{} is open in another process (pid {}): close ProtoScribe there first; nothing was changed",
                store_path.display(),
                users
                    .iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let previous = keep_previous(store_path, backup_dir)?;
        // The old store's journal must not be replayed onto the new file.
        for suffix in ["-wal", "-shm"] {
            let mut p = store_path.as_os_str().to_owned();
            p.push(suffix);
            let _ = fs::remove_file(PathBuf::from(p));
        }
        fs::rename(&incoming, store_path)
            .map_err(|e| io_error("cannot put the restored store in place at", store_path, e))?;
        sync_dir(dir);
        Ok(Restored {
            restored: checked,
            previous,
        })
    })();
    let _ = fs::remove_file(&incoming);
    result
}

/// Before replacing a store, keep it: a verified backup when it can be
/// read, else the raw file set aside.
fn keep_previous(store_path: &Path, backup_dir: &Path) -> Result<Option<PathBuf>> {
    if !store_path.exists() {
        return Ok(None);
    }
    match Store::open(store_path) {
        Ok(current) => {
            let info = backup(&current, backup_dir)?;
            drop(current);
            // Fold the write-ahead log in and let go of it before the swap.
            if let Ok(conn) = Connection::open(store_path) {
                let _ = conn.execute_batch("PRAGMA wal_checkpoint(TRUNCATE);");
            }
            Ok(Some(info.path))
        }
        Err(_) => {
            private_dir(backup_dir)?;
            let aside = backup_dir.join(format!(
                "unreadable_store_{}.db",
                chrono::Utc::now().format("%Y%m%d_%H%M%S")
            ));
            fs::copy(store_path, &aside)
                .map_err(|e| io_error("cannot set aside", store_path, e))?;
            Ok(Some(aside))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_are_recognised_exactly() {
        assert!(is_backup_name("protoscribe_backup_20261126_101338.db.gz"));
        assert!(is_backup_name("protoscribe_backup_20261126_101338_2.db.gz"));
        assert!(!is_backup_name("protoscribe_backup_2026_101338.db.gz"));
        assert!(!is_backup_name("notes.db.gz"));
        assert!(!is_backup_name(
            "protoscribe_backup_20261126_101338.db.gz.partial"
        ));
    }
}
