//! Backups of a PostgreSQL store with PostgreSQL's own tools: `pg_dump` in
//! its custom format, verified by `pg_restore --list` before it is called
//! done; a restore as one psql transaction that makes the store's schema
//! afresh and loads the backup's rows into it, so the store is either
//! wholly the backup's or untouched. Without the tools,
//! each says what to install and what to run instead of half-working. The
//! password reaches the tools in `PGPASSWORD`, never on a command line a
//! process list would show.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use super::connect::Target;
use super::migrate::SCHEMA_VERSION;
use crate::store::error::{Result, StoreError};

/// What a backup wrote.
#[derive(Clone, Debug)]
pub struct Dump {
    pub path: PathBuf,
    pub size: u64,
    /// Entries `pg_restore --list` read back from it.
    pub entries: usize,
}

/// `protoscribe_backup_YYYYMMDD_HHMMSS.pgdump`, in `dir`.
pub fn file_name(now: chrono::DateTime<chrono::Utc>) -> String {
    format!("protoscribe_backup_{}.pgdump", now.format("%Y%m%d_%H%M%S"))
}

fn tool(name: &str) -> Result<PathBuf> {
    let candidates = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join(name))
        .chain(
            // Debian keeps versioned copies beside the server.
            std::fs::read_dir("/usr/lib/postgresql")
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok())
                .map(|e| e.path().join("bin").join(name)),
        );
    candidates.into_iter().find(|p| p.is_file()).ok_or_else(|| {
        StoreError::Invalid(format!(
            "{name} is not installed, and backups of a PostgreSQL store are made and restored with PostgreSQL's own tools: install its client tools (apt-get install postgresql-client), or ask the database's administrator"
        ))
    })
}

/// One of PostgreSQL's tools, told where the store is.
fn command(target: &Target, program: &Path, args: &[&std::ffi::OsStr]) -> Command {
    let mut command = Command::new(program);
    command.args(args);
    // A backup or restore killed half-way takes its tool with it: a
    // pg_dump left running holds a connection (and a snapshot) until it
    // has read every protocol, and a pg_restore would go on replacing the
    // store without the write lock its parent held.
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::process::CommandExt;
        // SAFETY: prctl is async-signal-safe, and the closure touches
        // nothing of the parent's between fork and exec.
        unsafe {
            command.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    for (key, value) in target.libpq_environment() {
        command.env(key, value);
    }
    command
}

fn run_command(command: &mut Command, program: &Path) -> Result<Output> {
    command
        .output()
        .map_err(|e| StoreError::Invalid(format!("cannot run {}: {e}", program.display())))
}

fn failure(what: &str, out: &Output) -> StoreError {
    let first = first_line(out).unwrap_or_else(|| "no message".to_owned());
    StoreError::Invalid(format!("{what} failed: {first}"))
}

/// A tool's first line on stderr, passwords masked.
fn first_line(out: &Output) -> Option<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(|l| crate::sanitize::mask_passwords(l).into_owned())
}

/// Dump the store into `dir` and verify the file; a file that does not
/// read back is removed and the backup reported failed.
pub fn dump(target: &Target, dir: &Path) -> Result<Dump> {
    let pg_dump = tool("pg_dump")?;
    let pg_restore = tool("pg_restore")?;
    private_dir(dir)?;
    // What killed dumps left behind, as SQLite's backups do.
    crate::files::clean_stale(dir);
    // Written under a temporary name of this process's own, private
    // (0600) before pg_dump opens it, since it holds every protocol's
    // text: a half-written dump never looks like a backup, two dumps at
    // once never write into one file, and a killed one is removed by the
    // next. Dropped unpersisted on any failure, it removes itself.
    let partial = crate::files::temp_in(dir, "pgdump").map_err(|e| {
        StoreError::Invalid(format!(
            "cannot write a temporary file in {}: {e}",
            dir.display()
        ))
    })?;
    // pg_dump writes to the open file, never to its name: killed with us,
    // it lives on, and by name it would make the file again (with the
    // umask's mode) after the next backup removed it.
    let into = partial.as_file().try_clone().map_err(|e| {
        StoreError::Invalid(format!(
            "cannot write a temporary file in {}: {e}",
            dir.display()
        ))
    })?;
    let out = run_command(
        command(
            target,
            &pg_dump,
            &[
                "--format=custom".as_ref(),
                "--no-owner".as_ref(),
                "--no-privileges".as_ref(),
            ],
        )
        .stdout(into),
        &pg_dump,
    )?;
    if !out.status.success() {
        return Err(failure("pg_dump", &out));
    }
    let listed = Command::new(&pg_restore)
        .arg("--list")
        .arg(partial.path())
        .output()
        .map_err(|e| StoreError::Invalid(format!("cannot run pg_restore: {e}")))?;
    let entries = String::from_utf8_lossy(&listed.stdout)
        .lines()
        .filter(|l| !l.starts_with(';') && !l.trim().is_empty())
        .count();
    let has_schema = String::from_utf8_lossy(&listed.stdout).contains("protoscribe_schema");
    if !listed.status.success() || entries == 0 || !has_schema {
        return Err(StoreError::Invalid(format!(
            "the dump of {} did not read back with pg_restore --list, so it was removed: try again, and check the disk",
            target.shown()
        )));
    }
    let path = persist(partial, dir)?;
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    Ok(Dump {
        path,
        size,
        entries,
    })
}

/// Give a verified dump its backup name, never over another backup: two
/// taken in one second (a restore keeps the store it replaces right after
/// a backup) get `_2`, `_3`, ….
fn persist(mut partial: tempfile::NamedTempFile, dir: &Path) -> Result<PathBuf> {
    let first = file_name(chrono::Utc::now());
    let mut n = 1;
    loop {
        let name = match n {
            1 => first.clone(),
            n => first.replace(".pgdump", &format!("_{n}.pgdump")),
        };
        let path = dir.join(name);
        match partial.persist_noclobber(&path) {
            Ok(_) => {
                crate::files::sync_dir(dir);
                return Ok(path);
            }
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                partial = e.file;
                n += 1;
            }
            Err(e) => {
                return Err(StoreError::Invalid(format!(
                    "cannot name the backup {}: {}",
                    path.display(),
                    e.error
                )));
            }
        }
    }
}

/// A backup folder only this user can enter (0700), made if missing.
fn private_dir(dir: &Path) -> Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let made = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir);
    made.map_err(|e| {
        StoreError::Invalid(format!(
            "cannot create the backup folder {}: {e}",
            dir.display()
        ))
    })?;
    // An existing folder another program made readable is tightened too.
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    Ok(())
}

/// The schema version a dump holds, read from its `protoscribe_schema`
/// rows without restoring anything.
pub fn dump_version(file: &Path) -> Result<i64> {
    let text = read_dump(
        &tool("pg_restore")?,
        &["--data-only", "--table=protoscribe_schema", "--file=-"],
        file,
    )?;
    // COPY data lines: version<TAB>name<TAB>applied_at, ended by "\.".

    let mut in_copy = false;
    let mut version = None;
    for line in text.lines() {
        if line.starts_with("COPY ") && line.contains("protoscribe_schema") {
            in_copy = true;
            continue;
        }
        if in_copy {
            if line == "\\." {
                break;
            }
            if let Some(v) = line.split('\t').next().and_then(|v| v.parse::<i64>().ok()) {
                version = Some(version.map_or(v, |m: i64| m.max(v)));
            }
        }
    }
    version.ok_or_else(|| {
        StoreError::Invalid(format!(
            "{} holds no ProtoScribe schema: it is not a backup of a ProtoScribe store",
            file.display()
        ))
    })
}

/// What pg_restore prints of `file` with `args` (its listing, or its
/// data as SQL), without touching any database; a file it cannot read is
/// not a backup of ours.
fn read_dump(pg_restore: &Path, args: &[&str], file: &Path) -> Result<String> {
    let out = Command::new(pg_restore)
        .args(args)
        .arg(file)
        .output()
        .map_err(|e| StoreError::Invalid(format!("cannot run pg_restore: {e}")))?;
    if !out.status.success() {
        return Err(StoreError::Invalid(format!(
            "{} is not a ProtoScribe PostgreSQL backup (pg_restore cannot read it): choose a protoscribe_backup_….pgdump file",
            file.display()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Replace the store's contents with the backup's, all or nothing. What
/// it replaces is dumped into `keep_dir` first (returned), so a restore
/// never loses the decisions made since the backup; screens open on the
/// store are told (NOTIFY), since pg_restore's own writes fire no trigger.
///
/// Writers wait meanwhile: the store's advisory lock, which every write
/// takes first, is held from before the copy is kept until the store is
/// replaced. Without it, a decision committed after the copy's snapshot
/// was in neither the copy nor the restored store.
pub fn restore(target: &Target, file: &Path, keep_dir: &Path) -> Result<PathBuf> {
    let version = dump_version(file)?;
    if version > SCHEMA_VERSION {
        return Err(StoreError::Invalid(format!(
            "{} was made by a newer ProtoScribe (schema version {version}, this one knows up to {SCHEMA_VERSION}): upgrade ProtoScribe to restore it",
            file.display()
        )));
    }
    let pg_restore = tool("pg_restore")?;
    let psql = tool("psql")?;
    let mut writers_wait = target.connect()?;
    refuse_foreign_objects(&mut writers_wait, &pg_restore, file)?;
    refuse_dependents(&mut writers_wait, target)?;
    writers_wait
        .batch_execute(&format!(
            "SET lock_timeout = '{}ms'",
            crate::store::pool::BUSY_TIMEOUT.as_millis()
        ))
        .map_err(super::migrate::sql)?;
    writers_wait
        .execute(
            "SELECT pg_advisory_lock($1)",
            &[&crate::store::migrate::APPLICATION_ID],
        )
        .map_err(|e| match super::sql::code(&e) {
            Some("55P03") => StoreError::Busy,
            _ => super::migrate::sql(e),
        })?;
    let kept = dump(target, keep_dir).map_err(|e| {
        StoreError::Invalid(format!(
            "the store was not replaced: a copy of it is kept first, beside the backup, and that failed ({e}); copy the backup into a folder you may write and restore it from there"
        ))
    })?;
    replace(target, &pg_restore, &psql, file, version).map_err(|e| {
        StoreError::Invalid(format!(
            "{e} (the copy kept of the store before this attempt, {}, may be deleted)",
            kept.path.display()
        ))
    })?;
    // The lock is the session's: it goes with the connection, whatever
    // happens above.
    writers_wait
        .batch_execute(&format!(
            "NOTIFY {}, 'restore'; SELECT pg_advisory_unlock({})",
            super::watch::CHANNEL,
            crate::store::migrate::APPLICATION_ID
        ))
        .map_err(super::migrate::sql)?;
    Ok(kept.path)
}

/// Before the store's tables are dropped: what other roles were granted on
/// them (other reviewers' roles on a shared store), kept for the
/// transaction, so that the tables made afresh grant them the same.
fn keep_grants() -> String {
    let mut tables = super::migrate::tables_at(SCHEMA_VERSION);
    tables.push("protoscribe_schema".to_owned());
    let listed: Vec<String> = tables.iter().map(|t| format!("'{t}'")).collect();
    format!(
        "CREATE TEMP TABLE protoscribe_kept_grants ON COMMIT DROP AS
         SELECT c.relname::text AS tablename, a.privilege_type AS privilege,
                CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE quote_ident(r.rolname) END AS grantee
           FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
           LEFT JOIN pg_roles r ON r.oid = a.grantee
          WHERE c.relnamespace = current_schema()::regnamespace
            AND c.relname IN ({})
            AND a.grantee <> c.relowner;\n",
        listed.join(", ")
    )
}

/// The grants kept by `keep_grants`, made again on the new tables.
const GRANT_KEPT: &str = "DO $grants$
DECLARE kept record;
BEGIN
    FOR kept IN SELECT * FROM protoscribe_kept_grants LOOP
        IF to_regclass(quote_ident(kept.tablename)) IS NOT NULL THEN
            EXECUTE format('GRANT %s ON %I TO %s', kept.privilege, kept.tablename, kept.grantee);
        END IF;
    END LOOP;
END
$grants$;
";

/// Tables whose rows a restore does not take from the backup: the schema's
/// record, which the restore writes as it makes the schema, and what
/// triggers keep, which it counts afresh from the rows.
const NOT_RESTORED: &[&str] = &[
    "protoscribe_schema",
    "suggestion_status_counts",
    "analysis_figures",
];

/// Put the backup's rows in the store's place in one transaction of
/// psql's: the store's tables and functions dropped, the schema of the
/// backup's version made by ProtoScribe's own migrations, the backup's
/// rows loaded from pg_restore's data-only script with the store's
/// triggers off, then the migrations since that version and a recount of
/// what triggers keep. COMMIT is sent only once pg_restore has written
/// the whole script and exited well; psql stops at the first error, and a
/// session that ends without COMMIT is rolled back, so the store is the
/// backup's or untouched.
///
/// Only rows come from the backup: a function, trigger, default or check
/// of its own never reaches the store, whatever the file holds. (pg_restore
/// --clean made the backup's schema as the file described it, and dropped
/// only what the file held: a table a later migration made stayed, so a
/// backup from before an upgrade could not be restored.)
fn replace(
    target: &Target,
    pg_restore: &Path,
    psql: &Path,
    file: &Path,
    version: i64,
) -> Result<()> {
    use std::io::Write;
    use std::process::Stdio;
    let cannot_run = |program: &Path, e: std::io::Error| {
        StoreError::Invalid(format!("cannot run {}: {e}", program.display()))
    };
    // The backup's rows, table by table in the order the migrations make
    // the tables (a table before those that refer to it: the keys are
    // checked as the rows go in), less those the restore makes itself.
    let tables = super::migrate::tables_at(version);
    let listing = read_dump(pg_restore, &["--list"], file)?;
    let mut rows: Vec<(usize, &str)> = listing
        .lines()
        .filter(|line| line.contains(" TABLE DATA "))
        .filter_map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            let at = |name: &str| words.contains(&name);
            if NOT_RESTORED.iter().any(|t| at(t)) {
                return None;
            }
            // A table the schema does not have sorts last, and fails there.
            let place = tables.iter().position(|t| at(t)).unwrap_or(usize::MAX);
            Some((place, line))
        })
        .collect();
    rows.sort_by_key(|(place, _)| *place);
    let mut entries = tempfile::NamedTempFile::new()
        .map_err(|e| StoreError::Invalid(format!("cannot write a temporary file: {e}")))?;
    for (_, line) in rows {
        writeln!(entries, "{line}")
            .map_err(|e| StoreError::Invalid(format!("cannot write a temporary file: {e}")))?;
    }
    let triggers = |verb: &str| -> String {
        tables
            .iter()
            .map(|t| format!("ALTER TABLE {t} {verb} TRIGGER USER;\n"))
            .collect()
    };
    let mut applier = command(
        target,
        psql,
        &[
            "--no-psqlrc".as_ref(),
            "--quiet".as_ref(),
            "--set=ON_ERROR_STOP=1".as_ref(),
            "--dbname".as_ref(),
            target.database().as_ref(),
            "--file=-".as_ref(),
        ],
    )
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::piped())
    .spawn()
    .map_err(|e| cannot_run(psql, e))?;
    let mut reader = command(
        target,
        pg_restore,
        &[
            "--data-only".as_ref(),
            "--no-owner".as_ref(),
            "--no-privileges".as_ref(),
            "--use-list".as_ref(),
            entries.path().as_os_str(),
            "--file=-".as_ref(),
            file.as_os_str(),
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .map_err(|e| cannot_run(pg_restore, e))?;
    let mut to_psql = applier.stdin.take();
    let mut sent = match to_psql.as_mut() {
        Some(input) => input
            .write_all(
                format!(
                    "SET client_min_messages = warning;\nBEGIN;\n{}{}{}{}",
                    keep_grants(),
                    super::migrate::drop_script(),
                    super::migrate::script_between(0, version),
                    triggers("DISABLE"),
                )
                .as_bytes(),
            )
            .is_ok(),
        None => false,
    };
    if let (true, Some(input), Some(mut script)) = (sent, to_psql.as_mut(), reader.stdout.take()) {
        sent = std::io::copy(&mut script, input).is_ok();
    }
    // psql stopped (an error, or the server went): what pg_restore has
    // still to write is not read into memory, however large.
    let psql_stopped = !sent;
    if psql_stopped {
        let _ = reader.kill();
    }
    let read = reader
        .wait_with_output()
        .map_err(|e| cannot_run(pg_restore, e))?;
    if let (true, true, Some(input)) = (sent, read.status.success(), to_psql.as_mut()) {
        // pg_restore's script empties the search path; the migrations
        // name their objects as the store's own schema has them.
        sent = input
            .write_all(
                format!(
                    "RESET search_path;\n{}{}{}{}COMMIT;\n",
                    triggers("ENABLE"),
                    super::migrate::script_between(version, SCHEMA_VERSION),
                    super::stats::recount_script(),
                    GRANT_KEPT,
                )
                .as_bytes(),
            )
            .is_ok();
    }
    // End of input: without COMMIT, psql ends and the server rolls back.
    drop(to_psql);
    let applied = applier
        .wait_with_output()
        .map_err(|e| cannot_run(psql, e))?;
    if !read.status.success() && !psql_stopped {
        return Err(restore_failure("pg_restore", &read, file));
    }
    if !applied.status.success() || !sent {
        return Err(restore_failure("psql", &applied, file));
    }
    Ok(())
}

/// Why a restore's tool failed, as one sentence saying what to do; the
/// store is as it was.
fn restore_failure(tool: &str, out: &Output, file: &Path) -> StoreError {
    use std::os::unix::process::ExitStatusExt;
    let why = match first_line(out).as_deref() {
        Some(line)
            if line.contains("could not read from input file") || line.contains("end of file") =>
        {
            format!(
                "{} ends early: it is not a whole backup (copied or downloaded only in part?); use another",
                file.display()
            )
        }
        Some(line) if line.contains("Cancel request sent") => {
            "the restore was interrupted".to_owned()
        }
        Some(line) => format!("{tool} failed: {line}"),
        None if out.status.signal().is_some() => {
            format!("{tool} was stopped before the restore finished")
        }
        None => format!("{tool} stopped before the restore finished, without saying why"),
    };
    StoreError::Invalid(format!("{why}; nothing was changed"))
}

/// Refuse to replace a store that something else in the database depends
/// on (a view over its tables, another table's foreign key, a trigger
/// calling one of its functions): the restore drops the store's tables and
/// functions, and those would have to go with them. Found by trying the
/// drops in a transaction that is rolled back, before a copy is kept.
fn refuse_dependents(client: &mut postgres::Client, target: &Target) -> Result<()> {
    // An index or trigger of someone else's on the store's tables goes
    // with them without a word: found from the catalog instead.
    let tables = super::migrate::tables_at(SCHEMA_VERSION);
    let ours = super::migrate::indexes_and_triggers();
    let theirs: Vec<String> = client
        .query(
            "SELECT 'index ' || i.relname || ' on ' || t.relname
               FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
              WHERE t.relnamespace = current_schema()::regnamespace AND t.relname = ANY($1)
                AND NOT i.relname = ANY($2)
                AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.oid)
             UNION ALL
             SELECT 'trigger ' || g.tgname || ' on ' || t.relname
               FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
              WHERE NOT g.tgisinternal AND t.relnamespace = current_schema()::regnamespace
                AND t.relname = ANY($1) AND NOT g.tgname = ANY($2)
             ORDER BY 1",
            &[&tables, &ours],
        )
        .map_err(super::migrate::sql)?
        .iter()
        .map(|row| row.get(0))
        .collect();
    if !theirs.is_empty() {
        return Err(StoreError::Invalid(format!(
            "{} has {} of its own on the store's tables ({}): a restore makes the tables afresh and would drop them, so nothing was changed; drop them first, or restore into a database ProtoScribe has to itself",
            target.shown(),
            if theirs.len() == 1 {
                "an index or trigger"
            } else {
                "indexes or triggers"
            },
            theirs
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mut trial = client.transaction().map_err(super::migrate::sql)?;
    trial
        .batch_execute(&format!(
            "SET LOCAL lock_timeout = '{}ms'",
            crate::store::pool::BUSY_TIMEOUT.as_millis()
        ))
        .map_err(super::migrate::sql)?;
    let tried = trial.batch_execute(&super::migrate::drop_script());
    drop(trial);
    match tried {
        Ok(()) => Ok(()),
        Err(e) if super::sql::code(&e) == Some("2BP01") => {
            let detail = e
                .as_db_error()
                .and_then(|db| db.detail())
                .unwrap_or_default()
                .lines()
                .take(3)
                .collect::<Vec<_>>()
                .join("; ");
            Err(StoreError::Invalid(format!(
                "{} holds objects of its own that depend on the store's tables or functions ({detail}): a restore replaces those, so nothing was changed; drop or move those objects first, or restore into a database ProtoScribe has to itself",
                target.shown()
            )))
        }
        Err(e) if super::sql::code(&e) == Some("42501") => Err(StoreError::Invalid(format!(
            "restoring replaces the store's tables, which only the role that owns them may do: run the restore as that role (the one that made the store); nothing was changed at {}",
            target.shown()
        ))),
        Err(e) if super::sql::code(&e) == Some("55P03") => Err(StoreError::Busy),
        Err(e) => Err(super::migrate::sql(e)),
    }
}

/// Refuse a dump that would create anything the store's own schema does
/// not have. A backup from elsewhere could carry a table, a function and
/// a trigger that runs it on every later decision; a ProtoScribe backup
/// holds only the store's own tables, indexes, constraints, triggers and
/// functions (named as this store has them: its schema is current, as
/// opening it made sure).
fn refuse_foreign_objects(
    client: &mut postgres::Client,
    pg_restore: &Path,
    file: &Path,
) -> Result<()> {
    let listed = read_dump(pg_restore, &["--list"], file)?;
    let rows = client
        .query(
            "SELECT CASE c.relkind WHEN 'i' THEN 'INDEX' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, c.relname::text
               FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p', 'i', 'S')
             UNION ALL
             SELECT 'FUNCTION', p.proname::text FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
             UNION ALL
             SELECT 'TRIGGER', c.relname || ' ' || t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
               WHERE NOT t.tgisinternal AND c.relnamespace = 'public'::regnamespace
             UNION ALL
             SELECT 'CONSTRAINT', c.relname || ' ' || k.conname FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid
               WHERE k.connamespace = 'public'::regnamespace",
            &[],
        )
        .map_err(super::migrate::sql)?;
    let own: std::collections::HashSet<(String, String)> = rows
        .iter()
        .map(|r| (r.get::<_, String>(0), r.get::<_, String>(1)))
        .collect();
    let foreign = foreign_objects(&listed, &own);
    if foreign.is_empty() {
        return Ok(());
    }
    let shown: Vec<&str> = foreign.iter().take(5).map(String::as_str).collect();
    Err(StoreError::Invalid(format!(
        "{} holds {} object{} a ProtoScribe store does not have ({}{}), so it was not restored: a ProtoScribe backup holds only the store's own tables; use one made by 'protoscribe backup'",
        file.display(),
        foreign.len(),
        if foreign.len() == 1 { "" } else { "s" },
        shown.join(", "),
        if foreign.len() > shown.len() {
            ", …"
        } else {
            ""
        }
    )))
}

/// The entries of a `pg_restore --list` that are not among `own` (kind,
/// name): each line is `ID; CATALOG OID TYPE SCHEMA NAME OWNER`, with
/// the type possibly several words and a table's objects named `TABLE
/// NAME`. Comments and privileges (not restored: `--no-privileges`) pass;
/// any type not known here does not.
fn foreign_objects(
    listing: &str,
    own: &std::collections::HashSet<(String, String)>,
) -> Vec<String> {
    // Longest first: "TABLE DATA" before "TABLE".
    const KINDS: &[(&str, &str)] = &[
        ("SEQUENCE OWNED BY", "SEQUENCE"),
        ("SEQUENCE SET", "SEQUENCE"),
        ("FK CONSTRAINT", "CONSTRAINT"),
        ("TABLE DATA", "TABLE"),
        ("CONSTRAINT", "CONSTRAINT"),
        ("SEQUENCE", "SEQUENCE"),
        ("FUNCTION", "FUNCTION"),
        ("TRIGGER", "TRIGGER"),
        ("TABLE", "TABLE"),
        ("INDEX", "INDEX"),
    ];
    let mut foreign = Vec::new();
    for line in listing.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(';') {
            continue;
        }
        // After "ID;" come the catalog's and the object's OIDs.
        let entry = line
            .split_once(';')
            .map_or("", |(_, rest)| rest.trim_start())
            .splitn(3, ' ')
            .nth(2)
            .unwrap_or("");
        if entry.starts_with("COMMENT ")
            || entry.starts_with("ACL ")
            || entry == "SCHEMA - public"
            || entry.starts_with("SCHEMA - public ")
        {
            continue;
        }
        let known = KINDS.iter().find_map(|(listed, kind)| {
            let rest = entry.strip_prefix(listed)?.strip_prefix(' ')?;
            // SCHEMA NAME OWNER: the owner is the last word.
            let (schema, named) = rest.split_once(' ')?;
            let name = named.rsplit_once(' ').map_or(named, |(n, _)| n);
            let name = match *kind {
                "FUNCTION" => name.split('(').next().unwrap_or(name),
                _ => name,
            };
            Some(
                (schema == "public" && own.contains(&(kind.to_string(), name.to_owned())))
                    .then_some(()),
            )
        });
        if !matches!(known, Some(Some(()))) {
            foreign.push(entry.to_owned());
        }
    }
    foreign
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_stores_own_objects_pass() {
        let own: std::collections::HashSet<(String, String)> = [
            ("TABLE", "suggestions"),
            ("INDEX", "idx_suggestions_status"),
            ("FUNCTION", "protoscribe_notify"),
            ("TRIGGER", "suggestions suggestions_notify"),
            ("CONSTRAINT", "suggestions suggestions_pkey"),
        ]
        .iter()
        .map(|(k, n)| (k.to_string(), n.to_string()))
        .collect();
        let listing = "\
;
; Archive created at 2026-12-02
;
215; 1259 16390 TABLE public suggestions postgres
3300; 0 16390 TABLE DATA public suggestions postgres
3100; 1259 16500 INDEX public idx_suggestions_status postgres
230; 1255 16401 FUNCTION public protoscribe_notify() postgres
3200; 2620 16600 TRIGGER public suggestions suggestions_notify postgres
3150; 2606 16410 CONSTRAINT public suggestions suggestions_pkey postgres
3400; 0 0 COMMENT - SCHEMA public pg_database_owner
231; 1255 16700 FUNCTION public spy() mallory
3201; 2620 16701 TRIGGER public suggestions spy mallory
216; 1259 16702 TABLE public pwned mallory
3301; 0 16702 TABLE DATA public pwned mallory
240; 1259 16703 VIEW public suggestions_view mallory
250; 2618 16704 RULE public suggestions rewrite mallory
";
        assert_eq!(
            foreign_objects(listing, &own),
            [
                "FUNCTION public spy() mallory",
                "TRIGGER public suggestions spy mallory",
                "TABLE public pwned mallory",
                "TABLE DATA public pwned mallory",
                "VIEW public suggestions_view mallory",
                "RULE public suggestions rewrite mallory",
            ]
        );
    }
}
