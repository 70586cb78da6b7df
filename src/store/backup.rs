//! Backups and restores that are safe while others use the store.
//!
//! A backup is `VACUUM INTO` a private temporary file (a consistent
//! snapshot, even while another process writes; copying the file would
//! miss what sits in the `-wal`), gzip-compressed, then checked by
//! unpacking it and running `PRAGMA integrity_check`, and only then given
//! its name.
//!
//! A restore unpacks and checks the backup first, then replaces the
//! store's contents through SQLite itself rather than by swapping files:
//! it takes the store's write lock (an online-backup step of no pages),
//! and while holding it copies what is there (`VACUUM INTO`, then
//! `quick_check`), then copies the backup's pages in and commits; the copy
//! of the replaced store then becomes a verified, compressed backup. A writer in another process
//! therefore either committed before the kept copy was taken (so it is in
//! that copy) or waits and then writes into the restored store; and every
//! connection other processes hold open sees the restored data. Nothing
//! is ever written into a file that is then thrown away.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use flate2::Compression;
use flate2::bufread::GzDecoder;
use flate2::write::GzEncoder;
use rusqlite::backup::{Backup, StepResult};
use rusqlite::{Connection, OpenFlags};
use tempfile::{NamedTempFile, TempPath};

use super::error::{Result, StoreError};
use super::{Access, Store, migrate, pool};
use crate::files;

const PREFIX: &str = "protoscribe_backup_";
const SUFFIX: &str = ".db.gz";
/// No backup of ours unpacks to more than this.
const MAX_RESTORED_BYTES: u64 = 64 << 30;

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct BackupInfo {
    pub path: PathBuf,
    pub compressed_size: u64,
    pub database_size: u64,
}

/// The default folder: `backups/` next to the store.
pub fn default_dir(store_path: &Path) -> PathBuf {
    parent_dir(store_path).join("backups")
}

fn parent_dir(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
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
        .map_err(|e| io_error("cannot create the folder", dir, e))
}

fn io_error(what: &str, path: &Path, e: io::Error) -> StoreError {
    StoreError::Invalid(format!("{what} {}: {e}", path.display()))
}

fn temp_in(dir: &Path, purpose: &str) -> Result<NamedTempFile> {
    files::temp_in(dir, purpose).map_err(|e| io_error("cannot write a temporary file in", dir, e))
}

/// SQLite takes file names as text.
fn sql_path(path: &Path) -> Result<&str> {
    path.to_str().ok_or_else(|| {
        StoreError::Invalid(format!(
            "{} is not a UTF-8 path, which SQLite needs: use another folder",
            path.display()
        ))
    })
}

/// Take a backup of `store` into `dir`; returns where it went. Callers
/// use `Store::backup`.
pub(super) fn backup(store: &Store, dir: &Path) -> Result<BackupInfo> {
    private_dir(dir)?;
    files::clean_stale(dir);
    let snapshot = temp_in(dir, "snapshot")?;
    // VACUUM INTO reads one consistent snapshot, whatever others write
    // meanwhile, into the empty private file (which keeps its 0600).
    store.read_sqlite(|conn| {
        conn.execute("VACUUM INTO ?1", [sql_path(snapshot.path())?])?;
        Ok(())
    })?;
    package(snapshot.path(), dir)
}

/// Compress a database file into `dir` under a new backup name, after
/// checking that the compressed file unpacks to a sound store.
fn package(database: &Path, dir: &Path) -> Result<BackupInfo> {
    let database_size = fs::metadata(database).map(|m| m.len()).unwrap_or(0);
    let mut compressed = temp_in(dir, "gz")?;
    compress(database, compressed.as_file_mut(), dir)?;
    unpack(compressed.path(), dir)?;
    let stamp = chrono::Utc::now().format("%Y%m%d_%H%M%S").to_string();
    let mut n = 1;
    loop {
        let name = match n {
            1 => format!("{PREFIX}{stamp}{SUFFIX}"),
            n => format!("{PREFIX}{stamp}_{n}{SUFFIX}"),
        };
        let target = dir.join(name);
        // Never over another backup taken in the same second.
        match compressed.persist_noclobber(&target) {
            Ok(file) => {
                files::sync_dir(dir);
                return Ok(BackupInfo {
                    compressed_size: file.metadata().map(|m| m.len()).unwrap_or(0),
                    database_size,
                    path: target,
                });
            }
            Err(e) if e.error.kind() == io::ErrorKind::AlreadyExists => {
                compressed = e.file;
                n += 1;
            }
            Err(e) => return Err(io_error("cannot finish the backup", &target, e.error)),
        }
    }
}

fn compress(from: &Path, to: &mut File, dir: &Path) -> Result<()> {
    let input = File::open(from).map_err(|e| io_error("cannot read the snapshot", from, e))?;
    let mut encoder = GzEncoder::new(BufWriter::new(&mut *to), Compression::default());
    io::copy(&mut BufReader::new(input), &mut encoder)
        .and_then(|_| encoder.finish())
        .and_then(|mut w| w.flush())
        .and_then(|()| to.sync_all())
        .map_err(|e| io_error("cannot write the backup in", dir, e))
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

/// A backup unpacked into a private temporary file and checked; the file
/// is removed when this is dropped.
pub struct Unpacked {
    file: TempPath,
    pub checked: Checked,
    /// The store's size once restored.
    pub size: u64,
}

/// Check a backup where it lies: unpack it into its own folder and check it.
pub fn verify_backup(path: &Path) -> Result<Checked> {
    Ok(unpack(path, parent_dir(path))?.checked)
}

/// Unpack `backup` into a private temporary file in `dir` (the folder of
/// the store it will become) and check it. Errors name the backup, never
/// the temporary file.
pub fn unpack(backup: &Path, dir: &Path) -> Result<Unpacked> {
    let mut file = temp_in(dir, "unpacked")?;
    let size = decompress(backup, file.as_file_mut(), dir)?;
    let file = file.into_temp_path();
    let checked = check_database(&file).map_err(|e| about_backup(e, backup))?;
    Ok(Unpacked {
        file,
        checked,
        size,
    })
}

/// A check's error about the unpacked copy, said about the backup.
fn about_backup(e: StoreError, backup: &Path) -> StoreError {
    let name = backup.display();
    StoreError::Invalid(match e {
        StoreError::NotADatabase { .. } => format!(
            "{name} does not hold a ProtoScribe store (it is another program's file or not a database): use a ProtoScribe backup"
        ),
        StoreError::NewerSchema { found, known, .. } => format!(
            "{name} holds a store from a newer ProtoScribe (schema version {found}, this one knows up to {known}): upgrade ProtoScribe to restore it"
        ),
        StoreError::Corrupt { detail, .. } => {
            format!("{name} holds a damaged store ({detail}): use another backup")
        }
        other => format!("{name} cannot be checked: {other}"),
    })
}

/// What a backup's SQLite header says about the database in it.
struct Header {
    size: u64,
}

/// The database size an SQLite header declares (page size times page
/// count), when the header is SQLite's and its page count is current.
fn read_header(bytes: &[u8; 100]) -> Option<Header> {
    if !bytes.starts_with(b"SQLite format 3\0") {
        return None;
    }
    let be32 =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let page_size = match u16::from_be_bytes([bytes[16], bytes[17]]) {
        1 => 65_536,
        n if n >= 512 && n.is_power_of_two() => u64::from(n),
        _ => return None,
    };
    // The page count is valid only while the change counter matches the
    // "version valid for" number (SQLite 3.7.0 and later write both).
    let pages = be32(28);
    if pages == 0 || be32(24) != be32(92) {
        return None;
    }
    Some(Header {
        size: page_size * u64::from(pages),
    })
}

/// Unpack the gzip file `from` into `to`. The database inside declares its
/// size in its header: that much must fit in `dir`, no more may follow,
/// and nothing may follow the gzip data either. Returns the size.
fn decompress(from: &Path, to: &mut File, dir: &Path) -> Result<u64> {
    let name = from.display();
    let input = files::open_regular(from).map_err(|e| match e {
        files::OpenError::Io(e) if e.kind() == io::ErrorKind::NotFound => {
            StoreError::Invalid(format!("{name}: no such backup file"))
        }
        files::OpenError::Io(e) => io_error("cannot read the backup", from, e),
        files::OpenError::Directory => {
            StoreError::Invalid(format!("{name} is a folder, not a backup file"))
        }
        files::OpenError::NotRegular(kind) => {
            StoreError::Invalid(format!("{name} is {kind}, not a backup file"))
        }
    })?;
    let damaged = || {
        StoreError::Invalid(format!(
            "{name} is not a complete gzip file (truncated or damaged): use another backup"
        ))
    };
    let not_a_store = || {
        StoreError::Invalid(format!(
            "{name} does not hold a ProtoScribe store (it is another program's file or not a database): use a ProtoScribe backup"
        ))
    };
    let mut input = BufReader::new(input);
    if input.fill_buf().is_ok_and(|b| b.starts_with(b"PGDMP")) {
        return Err(StoreError::Invalid(format!(
            "{name} is a backup of a PostgreSQL store (pg_dump): restore it into one (--db postgres://USER@HOST/DB), or use a backup of this store file"
        )));
    }
    let mut decoder = GzDecoder::new(input);
    let mut head = [0u8; 100];
    decoder.read_exact(&mut head).map_err(|_| damaged())?;
    let header = read_header(&head).ok_or_else(not_a_store)?;
    if header.size > MAX_RESTORED_BYTES {
        return Err(StoreError::Invalid(format!(
            "{name} declares a database of {}, over the 64 GiB any ProtoScribe store stays under: not a ProtoScribe backup",
            crate::format::bytes(header.size)
        )));
    }
    if let Some(free) = files::available_space(dir)
        && header.size > free
    {
        return Err(StoreError::Invalid(format!(
            "{name} unpacks to {}, more than the {} free in {}: make room there first",
            crate::format::bytes(header.size),
            crate::format::bytes(free),
            dir.display()
        )));
    }
    let write_error = |e| io_error("cannot unpack the backup into", dir, e);
    let mut writer = BufWriter::new(&mut *to);
    writer.write_all(&head).map_err(write_error)?;
    // One byte more than declared tells a longer stream from an exact one.
    let copied = io::copy(&mut (&mut decoder).take(header.size - 100 + 1), &mut writer)
        .map_err(|_| damaged())?
        + 100;
    if copied < header.size {
        return Err(damaged());
    }
    if copied > header.size {
        return Err(StoreError::Invalid(format!(
            "{name} holds more than the {} database its header declares: not a ProtoScribe backup",
            crate::format::bytes(header.size)
        )));
    }
    // The gzip stream must end here (its checksum is checked on the way)
    // and the file with it.
    let mut probe = [0u8; 1];
    if decoder.read(&mut probe).map_err(|_| damaged())? != 0 {
        return Err(damaged());
    }
    let mut rest = decoder.into_inner();
    let trailing = !rest.fill_buf().map_err(|_| damaged())?.is_empty();
    if trailing {
        return Err(StoreError::Invalid(format!(
            "{name} has data after its gzip stream: not a backup ProtoScribe wrote; use another"
        )));
    }
    writer.flush().map_err(write_error)?;
    drop(writer);
    to.sync_all().map_err(write_error)?;
    Ok(header.size)
}

/// Remove our backups in `dir` older than `days`, except the newest one
/// (and `keep`, the one just made), whatever their age; other files are
/// never touched. Returns the removed paths.
pub fn prune(dir: &Path, days: u32, keep: &Path) -> Result<Vec<PathBuf>> {
    let cutoff = SystemTime::now() - Duration::from_secs(u64::from(days) * 86_400);
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut found: Vec<(SystemTime, PathBuf)> = entries
        .flatten()
        .filter(|e| is_backup_name(&e.file_name().to_string_lossy()))
        .filter_map(|e| Some((e.metadata().and_then(|m| m.modified()).ok()?, e.path())))
        .collect();
    // Newest first; the same second sorts by name, whose suffix counts up.
    found.sort_by(|a, b| b.cmp(a));
    let mut removed = Vec::new();
    for (modified, path) in found.into_iter().skip(1) {
        if modified < cutoff && path != keep && fs::remove_file(&path).is_ok() {
            removed.push(path);
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

/// What a restore did.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Restored {
    pub restored: Checked,
    /// The backup taken of the store that was replaced, if there was one.
    pub previous: Option<PathBuf>,
    /// Something the user should know although the restore succeeded.
    pub warning: Option<String>,
}

/// Replace the contents of the store at `store_path` with an unpacked
/// backup (see the module's notes). The caller has confirmed;
/// `backup_dir` receives the verified copy of what is replaced.
pub fn restore(incoming: Unpacked, store_path: &Path, backup_dir: &Path) -> Result<Restored> {
    files::clean_stale(backup_dir);
    let existed = fs::metadata(store_path).is_ok_and(|m| m.len() > 0);
    match Store::open(store_path) {
        Ok(store) => drop(store),
        // A store nobody can open is nobody's to write: set it aside whole
        // and put the backup in its place.
        Err(
            StoreError::NotADatabase { .. }
            | StoreError::Corrupt { .. }
            | StoreError::NewerSchema { .. },
        ) => return replace_unreadable(incoming, store_path, backup_dir),
        Err(e) => return Err(e),
    }
    // The backup may predate migrations: bring it up to date while it is
    // still private, so no one ever sees the store at an old schema.
    {
        let mut conn = Connection::open_with_flags(
            &incoming.file,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        migrate::migrate(&mut conn)?;
    }
    let mut live = pool::open_connection(store_path, Access::ReadWrite)?;
    match_page_size(&live, &incoming.file)?;
    let source = Connection::open_with_flags(
        &incoming.file,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let copy = Backup::new(&source, &mut live)?;
    // A step of no pages takes the store's write lock (waiting, like any
    // writer, for one in progress) and holds it until the copy is done.
    expect_more(copy.step(0)?)?;
    // Others wait for the lock while it is held, so only what must happen
    // under it does: the copy of what is replaced, a check that the copy is
    // sound, and the page copy itself. Compressing comes after.
    let replaced = if existed {
        private_dir(backup_dir)?;
        let snapshot = temp_in(backup_dir, "replaced")?;
        // Another connection may read while we hold the write lock: what it
        // sees is exactly what the restore is about to replace.
        let reader = pool::open_connection(store_path, Access::ReadWrite)?;
        reader.execute("VACUUM INTO ?1", [sql_path(snapshot.path())?])?;
        drop(reader);
        let copied = Connection::open_with_flags(
            snapshot.path(),
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        migrate::check_sound(&copied).map_err(|e| {
            StoreError::Invalid(format!(
                "the copy of the store to keep is not sound ({e}); nothing was changed"
            ))
        })?;
        Some(snapshot)
    } else {
        None
    };
    match copy.step(-1)? {
        StepResult::Done => {}
        other => expect_more(other)?,
    }
    drop(copy);
    // Fold the copied pages into the file when nobody is reading.
    let _ = live.execute_batch("PRAGMA wal_checkpoint(PASSIVE);");
    let (previous, warning) = match replaced {
        Some(snapshot) => keep_replaced(snapshot, backup_dir),
        None => (None, None),
    };
    Ok(Restored {
        restored: incoming.checked,
        previous,
        warning,
    })
}

/// Compress and verify the copy of a replaced store into a backup; if that
/// fails (a full disk), keep the copy as it is rather than lose it.
fn keep_replaced(snapshot: NamedTempFile, dir: &Path) -> (Option<PathBuf>, Option<String>) {
    match package(snapshot.path(), dir) {
        Ok(info) => (Some(info.path), None),
        Err(e) => {
            let raw = dir.join(format!(
                "replaced_store_{}.db",
                chrono::Utc::now().format("%Y%m%d_%H%M%S")
            ));
            let warning = format!("the copy of the replaced store could not be compressed ({e})");
            match snapshot.persist_noclobber(&raw) {
                Ok(_) => (Some(raw), Some(warning)),
                Err(kept) => {
                    let path = kept.file.path().to_owned();
                    let _ = kept.file.keep();
                    (Some(path), Some(warning))
                }
            }
        }
    }
}

fn expect_more(step: StepResult) -> Result<()> {
    match step {
        StepResult::More | StepResult::Done => Ok(()),
        _ => Err(StoreError::Busy),
    }
}

/// The online copy needs the backup's page size to be the store's; a
/// backup made with another one is rewritten with the store's first.
fn match_page_size(live: &Connection, incoming: &Path) -> Result<()> {
    let page_size = |conn: &Connection| -> Result<i64> {
        Ok(conn.pragma_query_value(None, "page_size", |r| r.get(0))?)
    };
    let wanted = page_size(live)?;
    let conn = Connection::open(incoming)?;
    if page_size(&conn)? != wanted {
        conn.pragma_update(None, "page_size", wanted)?;
        conn.execute_batch("VACUUM;")?;
    }
    Ok(())
}

/// Replace a store that cannot be opened (corrupt, another program's file,
/// from a newer ProtoScribe): nobody can be using it, so it is copied
/// aside as it is and the backup renamed into its place.
fn replace_unreadable(
    incoming: Unpacked,
    store_path: &Path,
    backup_dir: &Path,
) -> Result<Restored> {
    private_dir(backup_dir)?;
    let aside = backup_dir.join(format!(
        "unreadable_store_{}.db",
        chrono::Utc::now().format("%Y%m%d_%H%M%S")
    ));
    let mut kept = temp_in(backup_dir, "aside")?;
    let mut current =
        File::open(store_path).map_err(|e| io_error("cannot set aside", store_path, e))?;
    io::copy(&mut current, kept.as_file_mut())
        .and_then(|_| kept.as_file().sync_all())
        .map_err(|e| io_error("cannot set aside", store_path, e))?;
    kept.persist_noclobber(&aside)
        .map_err(|e| io_error("cannot set aside the store as", &aside, e.error))?;
    // The old store's journal must not be replayed onto the new file.
    for suffix in ["-wal", "-shm"] {
        let mut p = store_path.as_os_str().to_owned();
        p.push(suffix);
        let _ = fs::remove_file(PathBuf::from(p));
    }
    let Unpacked { file, checked, .. } = incoming;
    file.persist(store_path).map_err(|e| {
        io_error(
            "cannot put the restored store in place at",
            store_path,
            e.error,
        )
    })?;
    files::sync_dir(parent_dir(store_path));
    Ok(Restored {
        restored: checked,
        previous: Some(aside),
        warning: None,
    })
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
