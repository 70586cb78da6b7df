//! Backups and restores through the real binary: consistent while others
//! write, verified, pruned by name only and never the newest, private
//! while they run and cleaned up after a kill; restores refused when the
//! backup is bad, made under SQLite's locks while others write, and never
//! losing what they replace.
//!
//! Most of this is about a SQLite store's own backups (.db.gz files of the
//! store file): those tests take `Sandbox::sqlite()`. A PostgreSQL store's
//! backups are verified `pg_dump` files (tests/postgres.rs and
//! tests/postgres_cli.rs); what both share runs on the chosen backend.

mod common;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

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
    found.retain(|p| {
        let name = p.to_string_lossy();
        name.ends_with(".db.gz") || name.ends_with(".pgdump")
    });
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
    // A gzipped copy of the store file: SQLite's backups.
    let s = Sandbox::sqlite();
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
    // --keep-days prunes SQLite's backups (refused on PostgreSQL, tests/postgres_cli.rs).
    let s = Sandbox::sqlite();
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
    // Damaged .db.gz files and other SQLite files.
    let s = Sandbox::sqlite();
    analysed(&s);
    let good = take_backup(&s);
    let before = std::fs::read(s.db()).unwrap();
    // Each refusal names the backup, never a temporary file of ours.
    let refused = |backup: &Path, needle: &str| {
        let out = s.run(&["restore", backup.to_str().unwrap(), "--yes"]);
        assert_error(&out, needle);
        let err = common::stderr(&out);
        let name = backup.file_name().unwrap().to_string_lossy();
        assert!(
            err.contains(&*name) && !err.contains(".protoscribe"),
            "{err}"
        );
    };
    let truncated = s.write("truncated.db.gz", &std::fs::read(&good).unwrap()[..400]);
    refused(&truncated, "truncated or damaged");
    let not_gzip = s.write("plain.db.gz", "not a backup at all");
    refused(&not_gzip, "not a complete gzip file");
    // A PostgreSQL store's backup (pg_dump's custom format).
    let dump = s.write(
        "store.pgdump",
        b"PGDMP\x01\x0e\x00\x04\x08\x01\x01 rest of a dump",
    );
    refused(&dump, "backup of a PostgreSQL store");
    // Another program's SQLite file, compressed.
    let other = s.path("other.db");
    rusqlite::Connection::open(&other)
        .unwrap()
        .execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
        .unwrap();
    refused(&gzip(&other), "does not hold a ProtoScribe store");
    // A store from a newer ProtoScribe.
    let newer = Sandbox::sqlite();
    analysed(&newer);
    rusqlite::Connection::open(newer.db())
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    refused(&gzip(&newer.db()), "newer ProtoScribe");
    // A damaged store: its pages scribbled over after the header.
    let mut damaged = std::fs::read(gunzip(&good, s.dir.path())).unwrap();
    let len = damaged.len();
    for b in damaged.iter_mut().skip(len / 2).take(8192) {
        *b = 0x5A;
    }
    let damaged_db = s.path("damaged.db");
    std::fs::write(&damaged_db, damaged).unwrap();
    refused(&gzip(&damaged_db), "holds a damaged store");
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
fn restore_without_yes_off_a_terminal_asks_for_it() {
    let s = Sandbox::new();
    analysed(&s);
    let backup = take_backup(&s);
    assert_error(&s.run(&["restore", backup.to_str().unwrap()]), "pass --yes");
}

#[test]
fn restore_on_a_terminal_asks_and_only_yes_replaces_the_store() {
    let s = Sandbox::new();
    analysed(&s);
    let backup = take_backup(&s);
    s.import(
        "later.txt",
        "# A protocol imported after the backup\n\nText.\n",
    );
    let protocols = || {
        serde_json::from_str::<serde_json::Value>(&s.ok(&["list", "--json"]))
            .unwrap()
            .as_array()
            .unwrap()
            .len()
    };
    assert_eq!(protocols(), 4);
    // The command on a terminal (script(1) gives it one), answering `answer`.
    let restore = |answer: &str| {
        let inner = s.command();
        let quote =
            |a: &std::ffi::OsStr| format!("'{}'", a.to_string_lossy().replace('\'', "'\\''"));
        let mut line: Vec<String> = vec![quote(inner.get_program())];
        line.extend(inner.get_args().map(quote));
        line.push("restore".into());
        line.push(quote(backup.as_os_str()));
        let mut script = std::process::Command::new("script");
        script.args(["-qec", &line.join(" "), "/dev/null"]);
        for (key, value) in inner.get_envs() {
            match value {
                Some(v) => script.env(key, v),
                None => script.env_remove(key),
            };
        }
        let mut child = script
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{answer}\n").as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let said = restore("n");
    assert!(
        said.contains("[y/N]") && said.contains("Nothing changed."),
        "{said}"
    );
    assert_eq!(protocols(), 4, "no is no");
    let said = restore("y");
    assert!(!said.contains("Nothing changed."), "{said}");
    assert_eq!(protocols(), 3, "the backup's three protocols");
}

#[test]
fn a_writing_command_takes_a_scheduled_backup_in_the_background() {
    // Scheduled backups copy a store file; a PostgreSQL server's are its operator's.
    let s = Sandbox::sqlite();
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
    // A corrupt file: SQLite's integrity check.
    let s = Sandbox::sqlite();
    analysed(&s);
    let out = s.ok(&["db", "check"]);
    assert!(
        out.contains("ok (integrity, foreign keys, review counts, analysis figures)"),
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

#[test]
fn db_check_counts_only_current_suggestions_after_a_second_analysis() {
    let s = Sandbox::new();
    let id = s.import_fixture("poor-cbt-insomnia.md");
    s.ok(&["analyze", &id]);
    // The second run carries every finding over: the first run's
    // suggestions stay as history, which the review counts leave out.
    s.ok(&["analyze", &id]);
    let out = s.ok(&["db", "check"]);
    assert!(out.contains("review counts"), "{out}");
}

#[test]
fn db_check_finds_dashboard_figures_that_disagree_with_the_analyses() {
    let s = Sandbox::new();
    let id = s.import_fixture("poor-cbt-insomnia.md");
    s.ok(&["analyze", &id]);
    let out = s.ok(&["db", "check"]);
    assert!(out.contains("analysis figures"), "{out}");
    // Another program adds to the kept cost behind the triggers' back.
    let changed = s.sql_by_hand(
        "UPDATE analysis_figures SET cost_nanos = cost_nanos + 1 WHERE provider = $1 AND band >= 0",
        &["builtin"],
    );
    assert_eq!(changed, 1);
    // Reported each time: the check mends nothing behind the user's back.
    for _ in 0..2 {
        let out = s.run(&["db", "check"]);
        assert_eq!(out.status.code(), Some(1), "{}", common::stderr(&out));
        common::assert_error(
            &out,
            "analysis figures disagree with the analyses in 1 of their rows",
        );
        common::assert_error(&out, "db check --repair");
    }
    // Asked to, it counts them again from the rows, and they agree.
    let repaired = s.ok(&["db", "check", "--repair"]);
    assert!(
        repaired.contains("counted again from the rows"),
        "{repaired}"
    );
    assert!(repaired.contains(": ok ("), "{repaired}");
    let again = s.ok(&["db", "check"]);
    assert!(!again.contains("counted again"), "{again}");
    // The review counts too.
    s.sql_by_hand(
        "UPDATE suggestion_status_counts SET count = count + 5 WHERE status = $1",
        &["pending"],
    );
    common::assert_error(&s.run(&["db", "check"]), "review counts say");
    assert!(s.ok(&["db", "check", "--repair"]).contains(": ok ("));
}

/// Every suggestion's status, by id, in the store at `db`.
fn statuses(db: &Path) -> HashMap<String, String> {
    let filter = protoscribe::store::suggestions::SuggestionFilter::default();
    common::open_store(db)
        .suggestions(&filter, protoscribe::store::Page::first(100_000))
        .unwrap()
        .into_iter()
        .map(|s| (s.id, s.status.as_str().to_owned()))
        .collect()
}

/// Every suggestion's status in the copy a restore kept of the store it
/// replaced: a SQLite file gzipped beside the backup, or a PostgreSQL
/// dump, read by restoring it into a database of its own.
fn kept_statuses(s: &Sandbox, restore_output: &str) -> HashMap<String, String> {
    let kept = kept_copy(restore_output);
    if s.is_postgres() {
        let scratch = Sandbox::on(s.backend());
        scratch.ok(&["restore", kept.to_str().unwrap(), "--yes"]);
        statuses(&scratch.db())
    } else {
        statuses(&gunzip(&kept, s.dir.path()))
    }
}

/// Unpack a backup into `dir` and return the database's path.
fn gunzip(backup: &Path, dir: &Path) -> PathBuf {
    let target = dir.join(format!(
        "{}.unpacked.db",
        backup.file_name().unwrap().to_string_lossy()
    ));
    let mut decoder = flate2::read::GzDecoder::new(std::fs::File::open(backup).unwrap());
    let mut out = std::fs::File::create(&target).unwrap();
    std::io::copy(&mut decoder, &mut out).unwrap();
    target
}

/// The path `restore` reports keeping the replaced store at.
fn kept_copy(restore_output: &str) -> PathBuf {
    let (_, kept) = restore_output
        .trim()
        .split_once("the replaced store is kept at ")
        .unwrap_or_else(|| panic!("no kept copy named: {restore_output}"));
    PathBuf::from(kept)
}

#[test]
fn a_restore_during_a_loop_of_decisions_loses_none_that_were_confirmed() {
    let s = Sandbox::new();
    analysed(&s);
    let backup = take_backup(&s);
    let at_backup = statuses(&s.db());
    let mut ids: Vec<String> = at_backup.keys().cloned().collect();
    ids.sort();
    ids.truncate(12);
    // One reviewer deciding in a loop, one process per decision, as a
    // script would: each decision counts once `review` has exited 0.
    let confirmed: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let restored = Arc::new(AtomicBool::new(false));
    let reviewer = {
        let (confirmed, restored) = (confirmed.clone(), restored.clone());
        let command =
            move |args: &[&str]| s_command(&args.iter().map(|a| a.to_string()).collect::<Vec<_>>());
        let db = s.db();
        std::thread::spawn(move || {
            let verbs = [
                ("accept", "accepted"),
                ("reject", "rejected"),
                ("pending", "pending"),
            ];
            let mut after_restore = 0;
            for i in 0.. {
                if restored.load(Ordering::SeqCst) {
                    after_restore += 1;
                    if after_restore > 10 {
                        break;
                    }
                }
                let id = &ids[i % ids.len()];
                let (verb, status) = verbs[(i / ids.len() + i) % verbs.len()];
                let out = command(&["--db", db.to_str().unwrap(), "review", id, verb]);
                // A decision that could not be made (the store busy) was
                // reported as failed, so nobody counts on it.
                if out.status.success() {
                    confirmed
                        .lock()
                        .unwrap()
                        .push((id.clone(), status.to_owned()));
                }
            }
        })
    };
    while confirmed.lock().unwrap().len() < 10 {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let out = s.run(&["restore", backup.to_str().unwrap(), "--yes"]);
    restored.store(true, Ordering::SeqCst);
    reviewer.join().unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    let kept = kept_statuses(&s, &String::from_utf8_lossy(&out.stdout));
    let now = statuses(&s.db());
    let decisions = confirmed.lock().unwrap().clone();
    // Some decisions came first and are all in the copy kept of the
    // replaced store; the rest came after and are all in the restored one.
    let apply = |from: &[(String, String)]| {
        let mut state = at_backup.clone();
        for (id, status) in from {
            state.insert(id.clone(), status.clone());
        }
        state
    };
    let split = (0..=decisions.len())
        .find(|&k| apply(&decisions[..k]) == kept && apply(&decisions[k..]) == now);
    assert!(
        split.is_some(),
        "{} confirmed decisions are not all in the kept copy or the restored store",
        decisions.len()
    );
    assert!(
        split.unwrap() < decisions.len(),
        "decisions after the restore were made"
    );
    s.ok(&["db", "check"]);
}

/// The binary with a clean environment for the store, from any thread.
fn s_command(args: &[String]) -> std::process::Output {
    std::process::Command::new(common::BIN)
        .args(args)
        .env_remove("PROTOSCRIBE_DB")
        .env_remove("DATABASE_URL")
        .env("PROTOSCRIBE_BACKUP_HOURS", "0")
        .output()
        .unwrap()
}

#[test]
fn a_restore_reaches_the_connections_other_processes_hold_open() {
    let s = Sandbox::new();
    analysed(&s);
    let backup = take_backup(&s);
    // This test process holds the store open (its pool keeps the
    // connection), as a reviewer's session would.
    let holder = s.store();
    let accepted = |store: &protoscribe::store::Store| {
        let filter = protoscribe::store::suggestions::SuggestionFilter {
            status: Some(protoscribe::store::SuggestionStatus::Accepted),
            ..Default::default()
        };
        store.suggestion_count(&filter).unwrap()
    };
    assert_eq!(accepted(&holder), 0);
    let all = s.sql_by_hand("UPDATE suggestions SET status = 'accepted'", &[]);
    assert!(all > 0);
    assert_eq!(accepted(&holder), all);
    let out = s.ok(&["restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(
        accepted(&holder),
        0,
        "the open connection sees the restored store"
    );
    let kept = kept_statuses(&s, &out);
    assert_eq!(
        kept.values().filter(|st| *st == "accepted").count() as u64,
        all,
        "the replaced store is kept whole"
    );
    drop(holder);
    s.ok(&["db", "check"]);
}

#[test]
fn keep_days_never_removes_the_newest_backup() {
    // --keep-days prunes SQLite's backups.
    let s = Sandbox::sqlite();
    analysed(&s);
    let first = PathBuf::from(
        s.ok(&["backup", "--keep-days", "0"])
            .split(" (")
            .next()
            .unwrap(),
    );
    assert!(first.exists(), "the backup just reported is kept");
    let out = s.ok(&["backup", "--keep-days", "0"]);
    let second = PathBuf::from(out.split(" (").next().unwrap());
    assert!(second.exists(), "{out}");
    assert!(!first.exists() && out.contains("removed"), "{out}");
    assert_eq!(backups(second.parent().unwrap()), vec![second]);
}

/// Files in `dir` that are neither a finished backup nor the store.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            p.is_file()
                && !name.ends_with(".db.gz")
                && !name.ends_with(".pgdump")
                && !name.starts_with("store.db")
                && !name.ends_with(".txt")
        })
        .collect()
}

/// A store large enough that a backup or restore is caught half-way.
fn big_store(s: &Sandbox) {
    let text = std::fs::read_to_string(format!("{}/complete-vitamin-d.md", common::FIXTURES))
        .unwrap()
        .repeat(400);
    let path = s.write("big.txt", text);
    s.ok(&["import", "--max-size", "1G", path.to_str().unwrap()]);
}

/// Start `args`, and kill it once a file other than finished backups
/// appears in `dir`; returns what was there then (empty if it finished first).
fn kill_half_way(s: &Sandbox, args: &[&str], dir: &Path) -> Vec<PathBuf> {
    let mut child = s
        .command()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    loop {
        let found = leftovers(dir);
        if !found.is_empty() {
            child.kill().unwrap();
            child.wait().unwrap();
            return found;
        }
        if child.try_wait().unwrap().is_some() {
            return Vec::new();
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0)
}

#[test]
fn a_killed_backup_leaves_only_private_files_and_the_next_run_removes_them() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::new();
    big_store(&s);
    // A folder others may read, as --dir often is.
    let open = s.path("shared");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut caught = kill_half_way(&s, &["backup", "--dir", open.to_str().unwrap()], &open);
    while caught.is_empty() {
        caught = kill_half_way(&s, &["backup", "--dir", open.to_str().unwrap()], &open);
    }
    assert_private(&caught);
    s.ok(&["backup", "--dir", open.to_str().unwrap()]);
    assert_eq!(
        leftovers(&open),
        Vec::<PathBuf>::new(),
        "the next backup cleans up"
    );
    assert_eq!(backups(&open).len(), 1);
}

#[test]
fn backups_taken_at_once_into_one_folder_each_get_their_own_file() {
    let s = Sandbox::new();
    analysed(&s);
    let dir = s.path("team-backups");
    let dir_arg = dir.to_str().unwrap().to_owned();
    let running: Vec<_> = (0..4)
        .map(|_| {
            s.command()
                .args(["backup", "--dir", &dir_arg])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in running {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", common::stderr(&out));
    }
    let taken = backups(&dir);
    assert_eq!(taken.len(), 4, "{taken:?}");
    assert_eq!(leftovers(&dir), Vec::<PathBuf>::new());
    let scratch = Sandbox::on(s.backend());
    for backup in taken {
        scratch.ok(&["restore", backup.to_str().unwrap(), "--yes"]);
        assert_eq!(scratch.counts(), s.counts());
    }
}

#[test]
fn a_killed_restore_leaves_only_private_files_and_the_next_run_removes_them() {
    // A restore unpacks beside the store file: SQLite's.
    let s = Sandbox::sqlite();
    big_store(&s);
    let backup = take_backup(&s);
    let restore = ["restore", backup.to_str().unwrap(), "--yes"];
    let mut caught = kill_half_way(&s, &restore, s.dir.path());
    while caught.is_empty() {
        caught = kill_half_way(&s, &restore, s.dir.path());
    }
    assert_private(&caught);
    s.ok(&["restore", backup.to_str().unwrap(), "--yes"]);
    assert_eq!(
        leftovers(s.dir.path()),
        Vec::<PathBuf>::new(),
        "the next restore cleans up"
    );
    s.ok(&["db", "check"]);
}

fn assert_private(paths: &[PathBuf]) {
    for path in paths {
        assert_eq!(
            mode(path),
            0o600,
            "{} is readable by others",
            path.display()
        );
    }
}

#[test]
fn a_backup_holding_more_than_its_database_is_refused_before_it_fills_the_disk() {
    // A gzip bomb of a SQLite file.
    let s = Sandbox::sqlite();
    analysed(&s);
    let good = take_backup(&s);
    let before = std::fs::read(s.db()).unwrap();
    let restore = |path: &Path| s.run(&["restore", path.to_str().unwrap(), "--yes"]);
    // Data after the gzip stream.
    let mut bytes = std::fs::read(&good).unwrap();
    bytes.extend_from_slice(b"trailing garbage");
    let trailing = s.write("trailing.db.gz", &bytes);
    assert_error(&restore(&trailing), "has data after its gzip stream");
    // A store followed by 64 MiB of zeros compresses to a few KiB.
    let padded = s.path("padded.db");
    let mut store = std::fs::read(gunzip(&good, s.dir.path())).unwrap();
    store.resize(store.len() + (64 << 20), 0);
    std::fs::write(&padded, &store).unwrap();
    let padded_gz = gzip(&padded);
    assert!(std::fs::metadata(&padded_gz).unwrap().len() < 1 << 20);
    assert_error(&restore(&padded_gz), "holds more than the");
    // A header declaring terabytes is refused before anything is written.
    let mut huge = std::fs::read(gunzip(&good, s.dir.path())).unwrap();
    huge[28..32].copy_from_slice(&0x7fff_ffffu32.to_be_bytes());
    let huge_db = s.path("huge.db");
    std::fs::write(&huge_db, &huge).unwrap();
    assert_error(&restore(&gzip(&huge_db)), "declares a database of");
    assert_eq!(std::fs::read(s.db()).unwrap(), before);
    assert_eq!(
        leftovers(s.dir.path())
            .into_iter()
            .filter(|p| p.to_string_lossy().contains(".protoscribe"))
            .count(),
        0
    );
}
