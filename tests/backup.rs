//! Backups and restores through the real binary: consistent while others
//! write, verified, pruned by name only; restores refused when the backup
//! is bad or the store is in use, and never losing what they replace.

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;

use common::{Sandbox, assert_error};

fn analysed(s: &Sandbox) {
    s.analyse_fixtures(&[
        "poor-cbt-insomnia.md",
        "partial-knee-exercise.txt",
        "complete-vitamin-d.md",
    ]);
}

fn backups(dir: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    found.retain(|p| p.to_string_lossy().ends_with(".db.gz"));
    found.sort();
    found
}

fn take_backup(s: &Sandbox) -> PathBuf {
    let out = s.ok(&["backup"]);
    let path = PathBuf::from(out.split(" (").next().unwrap().trim());
    assert!(path.exists(), "{out}");
    path
}

#[test]
fn a_backup_is_compressed_verified_private_and_restorable() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::new();
    analysed(&s);
    let before = s.counts();
    let path = take_backup(&s);
    assert!(
        path.file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with("protoscribe_backup_")
    );
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        std::fs::metadata(path.parent().unwrap())
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    // Decisions after the backup are undone by restoring it.
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.execute("UPDATE suggestions SET status = 'accepted'", [])
        .unwrap();
    drop(conn);
    let out = s.ok(&["restore", path.to_str().unwrap(), "--yes"]);
    assert!(out.contains("the replaced store is kept at"), "{out}");
    assert_eq!(s.counts(), before);
    let accepted: i64 = rusqlite::Connection::open(s.db())
        .unwrap()
        .query_row(
            "SELECT count(*) FROM suggestions WHERE status = 'accepted'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(accepted, 0);
    // What was replaced is itself a verified backup holding the accepted decisions.
    assert_eq!(backups(path.parent().unwrap()).len(), 2);
    s.ok(&["db", "check"]);
}

#[test]
fn a_backup_taken_while_another_process_writes_is_consistent() {
    let s = Sandbox::new();
    analysed(&s);
    let mut writer = s
        .command()
        .args([
            "db",
            "exercise",
            "--iterations",
            "3000",
            "--import-every",
            "5",
        ])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let mut taken = Vec::new();
    for _ in 0..3 {
        taken.push(take_backup(&s));
        std::thread::sleep(std::time::Duration::from_millis(30));
    }
    assert!(writer.wait().unwrap().success());
    let scratch = Sandbox::new();
    for backup in taken {
        // Each restores into a store that passes every check.
        scratch.ok(&["restore", backup.to_str().unwrap(), "--yes"]);
        scratch.ok(&["db", "check"]);
    }
}

#[test]
fn keep_days_prunes_only_old_files_named_like_backups() {
    let s = Sandbox::new();
    analysed(&s);
    let first = take_backup(&s);
    let dir = first.parent().unwrap().to_owned();
    let old = dir.join("protoscribe_backup_20200101_000000.db.gz");
    let stranger = dir.join("my_notes.db.gz");
    std::fs::copy(&first, &old).unwrap();
    std::fs::copy(&first, &stranger).unwrap();
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(90 * 86_400);
    for p in [&old, &stranger] {
        std::fs::File::options()
            .write(true)
            .open(p)
            .unwrap()
            .set_modified(long_ago)
            .unwrap();
    }
    let out = s.ok(&["backup", "--keep-days", "30"]);
    assert!(out.contains("removed") && out.contains("20200101"), "{out}");
    assert!(!old.exists());
    assert!(
        stranger.exists(),
        "files not named like backups are never removed"
    );
    assert!(first.exists());
}

#[test]
fn bad_backups_are_refused_and_nothing_changes() {
    let s = Sandbox::new();
    analysed(&s);
    let good = take_backup(&s);
    let before = std::fs::read(s.db()).unwrap();
    let truncated = s.write("truncated.db.gz", &std::fs::read(&good).unwrap()[..400]);
    assert_error(
        &s.run(&["restore", truncated.to_str().unwrap(), "--yes"]),
        "truncated or damaged",
    );
    let not_gzip = s.write("plain.db.gz", "not a backup at all");
    assert_error(
        &s.run(&["restore", not_gzip.to_str().unwrap(), "--yes"]),
        "not a complete gzip file",
    );
    // Another program's SQLite file, compressed.
    let other = s.path("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    let gz = gzip(&other);
    assert_error(
        &s.run(&["restore", gz.to_str().unwrap(), "--yes"]),
        "does not hold a ProtoScribe store",
    );
    // A store from a newer ProtoScribe.
    let newer = Sandbox::new();
    analysed(&newer);
    rusqlite::Connection::open(newer.db())
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let gz = gzip(&newer.db());
    assert_error(
        &s.run(&["restore", gz.to_str().unwrap(), "--yes"]),
        "newer ProtoScribe",
    );
    assert_eq!(std::fs::read(s.db()).unwrap(), before);
}

fn gzip(path: &Path) -> PathBuf {
    use std::io::Write;
    let target = PathBuf::from(format!("{}.gz", path.display()));
    let mut encoder = flate2::write::GzEncoder::new(
        std::fs::File::create(&target).unwrap(),
        flate2::Compression::fast(),
    );
    encoder.write_all(&std::fs::read(path).unwrap()).unwrap();
    encoder.finish().unwrap();
    target
}

#[test]
fn restore_refuses_while_another_process_has_the_store_open() {
    let s = Sandbox::new();
    analysed(&s);
    let backup = take_backup(&s);
    // This test process holds the store open, as a reviewer's session would.
    let holder = rusqlite::Connection::open(s.db()).unwrap();
    holder
        .query_row("SELECT count(*) FROM protocols", [], |r| r.get::<_, i64>(0))
        .unwrap();
    let before = std::fs::read(s.db()).unwrap();
    let out = s.run(&["restore", backup.to_str().unwrap(), "--yes"]);
    drop(holder);
    assert_error(&out, "is open in another process");
    assert_eq!(std::fs::read(s.db()).unwrap(), before);
}

#[test]
fn restore_without_yes_off_a_terminal_asks_for_it() {
    let s = Sandbox::new();
    analysed(&s);
    let backup = take_backup(&s);
    assert_error(&s.run(&["restore", backup.to_str().unwrap()]), "pass --yes");
}

#[test]
fn a_writing_command_takes_a_scheduled_backup_in_the_background() {
    let s = Sandbox::new();
    let input = s.write("t.md", common::PROTOCOL);
    let out = s
        .command()
        .env("PROTOSCRIBE_BACKUP_HOURS", "24")
        .args(["import", input.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = s.dir.path().join("backups");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while backups(&dir).is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "no scheduled backup appeared"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // Not again within the interval.
    let again = s
        .command()
        .env("PROTOSCRIBE_BACKUP_HOURS", "24")
        .args(["import", "--force", input.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(again.status.success());
    std::thread::sleep(std::time::Duration::from_millis(500));
    assert_eq!(backups(&dir).len(), 1);
}

#[test]
fn db_check_reports_a_healthy_store_and_refuses_a_corrupt_one() {
    let s = Sandbox::new();
    analysed(&s);
    let out = s.ok(&["db", "check"]);
    assert!(
        out.contains("ok (integrity, foreign keys, review counts)"),
        "{out}"
    );
    let mut bytes = std::fs::read(s.db()).unwrap();
    let len = bytes.len();
    for b in bytes.iter_mut().skip(len / 2).take(20_000) {
        *b = 0x5A;
    }
    std::fs::write(s.db(), bytes).unwrap();
    let out = s.run(&["db", "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("corrupt")
            || common::stderr(&out).contains("not a ProtoScribe"),
        "{}",
        common::stderr(&out)
    );
}
