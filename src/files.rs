//! Files ProtoScribe opens or writes beside the user's own.
//!
//! Only regular files are opened: reading a FIFO waits for a writer for
//! ever, a device is endless or is replaced by a report, and a socket
//! cannot be read at all. The check is made on the opened file, so nothing
//! can slip in between a look and an open.
//!
//! Temporary files are private (0600), live in the folder of what they
//! become (so the final rename is atomic and nothing is written where the
//! user did not point), and are removed on every way out: by their guard
//! when a run ends or fails, and, when a run was killed, by the next run
//! that writes to the same folder. Their names carry the process id so a
//! run knows which ones belong to a process that is gone.

use std::fs::{self, File, Metadata, OpenOptions};
use std::io;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use tempfile::NamedTempFile;

/// Every temporary file's name starts with this, then the process id.
const TEMP_PREFIX: &str = ".protoscribe-";
const TEMP_MARK: &str = ".tmp";

/// What a path is when it is not a regular file or a folder, for messages
/// ("… is a FIFO (named pipe)").
pub fn special_kind(meta: &Metadata) -> Option<&'static str> {
    let kind = meta.file_type();
    if kind.is_fifo() {
        Some("a FIFO (named pipe)")
    } else if kind.is_socket() {
        Some("a socket")
    } else if kind.is_char_device() {
        Some("a character device")
    } else if kind.is_block_device() {
        Some("a block device")
    } else if kind.is_symlink() {
        Some("a symbolic link")
    } else {
        None
    }
}

/// Why a file could not be opened for reading.
#[derive(Debug)]
pub enum OpenError {
    Io(io::Error),
    /// It exists but is no regular file: what it is.
    NotRegular(&'static str),
    Directory,
}

/// Open `path` for reading if (after following links) it is a regular
/// file. Opening never blocks: a FIFO is opened non-blocking, then refused.
pub fn open_regular(path: &Path) -> Result<File, OpenError> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
        .map_err(OpenError::Io)?;
    let meta = file.metadata().map_err(OpenError::Io)?;
    if meta.is_dir() {
        return Err(OpenError::Directory);
    }
    if let Some(kind) = special_kind(&meta) {
        return Err(OpenError::NotRegular(kind));
    }
    // Reads of a regular file never wait, but let them block as usual.
    // SAFETY: fcntl on a descriptor this File owns, with plain integer flags.
    unsafe {
        use std::os::fd::AsRawFd;
        let fd = file.as_raw_fd();
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags >= 0 {
            libc::fcntl(fd, libc::F_SETFL, flags & !libc::O_NONBLOCK);
        }
    }
    Ok(file)
}

/// A new, empty, private temporary file in `dir`, removed when dropped
/// unless persisted. `purpose` ends up in its name for whoever finds it.
pub fn temp_in(dir: &Path, purpose: &str) -> io::Result<NamedTempFile> {
    tempfile::Builder::new()
        .prefix(&format!("{TEMP_PREFIX}{}-", std::process::id()))
        .suffix(&format!(".{purpose}{TEMP_MARK}"))
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
}

/// Remove the temporary files in `dir` (with SQLite's journals beside
/// them) left by ProtoScribe processes that no longer run. Returns what
/// was removed. Files of running processes, and anything not named like
/// ours, are left alone.
pub fn clean_stale(dir: &Path) -> Vec<PathBuf> {
    let mut removed = Vec::new();
    let Ok(entries) = fs::read_dir(dir) else {
        return removed;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(temp_owner) else {
            continue;
        };
        if pid == std::process::id() || process_exists(pid) {
            continue;
        }
        let path = entry.path();
        let regular = fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
        if regular && fs::remove_file(&path).is_ok() {
            removed.push(path);
        }
    }
    removed
}

/// The process id in a temporary file's name, if it is one of ours.
fn temp_owner(name: &str) -> Option<u32> {
    let rest = name.strip_prefix(TEMP_PREFIX)?;
    let (pid, tail) = rest.split_once('-')?;
    if !tail.contains(TEMP_MARK) {
        return None;
    }
    pid.parse().ok()
}

fn process_exists(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only asks whether the process exists; nothing is sent.
    let alive = unsafe { libc::kill(pid, 0) } == 0;
    // EPERM: it exists, it is someone else's.
    alive || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Bytes free for this user in the file system holding `dir`.
pub fn available_space(dir: &Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let path = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut stat = std::mem::MaybeUninit::<libc::statvfs>::uninit();
    // SAFETY: statvfs fills the struct we own from a NUL-terminated path.
    let stat = unsafe {
        if libc::statvfs(path.as_ptr(), stat.as_mut_ptr()) != 0 {
            return None;
        }
        stat.assume_init()
    };
    Some(stat.f_bavail.saturating_mul(stat.f_frsize))
}

/// Make a rename in `dir` durable.
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_names_carry_their_owner() {
        let dir = tempfile::tempdir().unwrap();
        let temp = temp_in(dir.path(), "snapshot").unwrap();
        let name = temp.path().file_name().unwrap().to_str().unwrap();
        assert_eq!(temp_owner(name), Some(std::process::id()));
        assert_eq!(
            temp.path().metadata().unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            temp_owner(".protoscribe-12-abc.snapshot.tmp-journal"),
            Some(12)
        );
        assert_eq!(temp_owner(".protoscribe-12-abc.md"), None);
        assert_eq!(temp_owner("protoscribe_backup_20260101_000000.db.gz"), None);
    }

    #[test]
    fn stale_temp_files_of_gone_processes_are_removed_only() {
        let dir = tempfile::tempdir().unwrap();
        let mine = temp_in(dir.path(), "x").unwrap();
        // A pid beyond any kernel's pid_max belongs to no process.
        let stale = dir.path().join(".protoscribe-99999999-abc.snapshot.tmp");
        let stranger = dir.path().join(".protoscribe-notes.tmp");
        fs::write(&stale, "x").unwrap();
        fs::write(&stranger, "x").unwrap();
        assert_eq!(clean_stale(dir.path()), vec![stale.clone()]);
        assert!(mine.path().exists() && stranger.exists() && !stale.exists());
    }

    #[test]
    fn a_fifo_is_refused_without_waiting() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo with a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        assert!(matches!(
            open_regular(&fifo),
            Err(OpenError::NotRegular("a FIFO (named pipe)"))
        ));
        assert!(matches!(
            open_regular(dir.path()),
            Err(OpenError::Directory)
        ));
    }
}
