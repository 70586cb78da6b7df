//! The real binary, as a user runs it: imports, listings, JSON field
//! names, and every kind of bad input answered with one clear line and
//! no change to the store.

mod common;

use common::{PROTOCOL, Sandbox, assert_error, stderr};
use serde_json::Value;

fn json(out: &str) -> Value {
    serde_json::from_str(out).expect("valid JSON")
}

fn keys(value: &Value) -> Vec<String> {
    let mut keys: Vec<_> = value.as_object().expect("object").keys().cloned().collect();
    keys.sort();
    keys
}

fn sorted(fields: &[&str]) -> Vec<String> {
    let mut v: Vec<_> = fields.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn import_prints_the_new_id_and_stores_text_metadata_and_version_one() {
    let s = Sandbox::new();
    let id = s.import("trial.md", PROTOCOL);
    assert!(id.starts_with("proto_"), "{id}");
    let shown = json(&s.ok(&["show", &id, "--json", "--content"]));
    assert_eq!(
        shown["title"],
        "Vitamin D for fracture prevention: a randomised trial"
    );
    assert_eq!(shown["status"], "ready");
    assert_eq!(shown["content"], PROTOCOL);
    assert_eq!(shown["file_size"], PROTOCOL.len());
    let meta = &shown["metadata"];
    assert_eq!(meta["source_format"], "md");
    assert_eq!(meta["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(meta["word_count"], PROTOCOL.split_whitespace().count());
    let headings: Vec<_> = meta["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    assert!(headings.contains(&"2.1 Sample size"), "{headings:?}");
    let c = s.counts();
    assert_eq!((c.protocols, c.versions), (1, 1));
}

#[test]
fn hash_lines_in_plain_text_are_not_headings() {
    // A text export with `#` for "number": no markdown in it.
    let text = "Enrolment update for the knee exercise trial\n\n\
                # of participants enrolled: 40\n\
                #1 priority is retention at twelve weeks.\n\n\
                METHODS\n\
                Participants are randomised by a central web service.\n";
    let s = Sandbox::new();
    let id = s.import("update.txt", text);
    let shown = json(&s.ok(&["show", &id, "--json"]));
    assert_eq!(
        shown["metadata"]["headings"],
        serde_json::json!(["METHODS"])
    );
    assert_eq!(
        shown["title"],
        "Enrolment update for the knee exercise trial"
    );
}

#[test]
fn a_text_of_countless_heading_lines_keeps_a_bounded_outline() {
    // 40 MB of "# A" lines made ten million headings: 2.7 GB of memory and
    // 40 s to import. The outline stops at its limit; the text is all kept.
    let text: String = (0..20_001).map(|i| format!("# Heading {i}\n")).collect();
    let s = Sandbox::new();
    let id = s.import("outline.txt", &text);
    let shown = json(&s.ok(&["show", &id, "--json", "--content"]));
    let headings = shown["metadata"]["headings"].as_array().unwrap();
    assert_eq!(headings.len(), 10_000);
    assert_eq!(headings[9_999], "Heading 9999");
    assert_eq!(shown["content"], text);
}

#[test]
fn json_output_uses_exactly_the_seeds_to_dict_fields() {
    let s = Sandbox::new();
    let id = s.import("t.txt", PROTOCOL);
    let protocol_fields = [
        "id",
        "title",
        "description",
        "status",
        "file_size",
        "metadata",
        "created_at",
        "updated_at",
    ];
    let listed = json(&s.ok(&["list", "--json"]));
    assert_eq!(keys(&listed[0]), sorted(&protocol_fields));
    assert_eq!(
        keys(&json(&s.ok(&["show", &id, "--json"]))),
        sorted(&protocol_fields)
    );
    let mut with_content = protocol_fields.to_vec();
    with_content.push("content");
    assert_eq!(
        keys(&json(&s.ok(&["show", &id, "--json", "--content"]))),
        sorted(&with_content)
    );
    let dash = json(&s.ok(&["dashboard", "--json"]));
    for field in [
        "total_protocols",
        "recent_protocols",
        "by_status",
        "avg_file_size",
        "period_days",
        "provider_metrics",
        "review_progress",
    ] {
        assert!(dash.get(field).is_some(), "dashboard lacks {field}");
    }
    assert_eq!(dash["total_protocols"], 1);
}

#[test]
fn list_shows_titles_and_search_finds_by_content() {
    let s = Sandbox::new();
    s.import("a.txt", PROTOCOL);
    s.import(
        "b.txt",
        "# Exercise after surgery\n\nPatients walk daily. Response in 50% of them.\n",
    );
    let all = s.ok(&["list"]);
    assert!(
        all.contains("Vitamin D for fracture") && all.contains("Exercise after surgery"),
        "{all}"
    );
    let found = s.ok(&["list", "--search", "50%"]);
    assert!(
        found.contains("Exercise") && !found.contains("Vitamin"),
        "{found}"
    );
    let none = s.ok(&["list", "--search", "NEAR( \" OR *"]);
    assert!(none.contains("No protocols match"), "{none}");
    let limited = json(&s.ok(&["list", "--json", "--limit", "1"]));
    assert_eq!(limited.as_array().unwrap().len(), 1);
    assert_eq!(
        json(&s.ok(&["list", "--json", "--status", "error"])),
        Value::Array(vec![])
    );
}

#[test]
fn importing_the_same_bytes_twice_reuses_the_protocol_unless_forced() {
    let s = Sandbox::new();
    let first = s.import("a.txt", PROTOCOL);
    let path = s.path("a.txt");
    let again = s.run(&["import", path.to_str().unwrap()]);
    assert!(again.status.success());
    assert_eq!(String::from_utf8_lossy(&again.stdout).trim(), first);
    assert!(
        stderr(&again).contains("imported before"),
        "{}",
        stderr(&again)
    );
    assert_eq!(s.counts().protocols, 1);
    let forced = s.ok(&["import", "--force", path.to_str().unwrap()]);
    assert_ne!(forced.trim(), first);
    assert_eq!(s.counts().protocols, 2);
}

#[test]
fn delete_removes_the_protocol_and_its_versions() {
    let s = Sandbox::new();
    let id = s.import("a.txt", PROTOCOL);
    let keep = s.import("b.txt", "# Other trial\n\ntext\n");
    let out = s.ok(&["delete", &id]);
    assert!(
        out.contains("deleted") && out.contains("1 versions"),
        "{out}"
    );
    let c = s.counts();
    assert_eq!((c.protocols, c.versions), (1, 1));
    s.ok(&["show", &keep]);
}

#[test]
fn several_files_are_each_all_or_nothing_and_each_failure_is_reported() {
    let s = Sandbox::new();
    let good = s.write("good.txt", PROTOCOL);
    let empty = s.write("empty.txt", "");
    let missing = s.path("missing.txt");
    let out = s.run(&[
        "import",
        good.to_str().unwrap(),
        empty.to_str().unwrap(),
        missing.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.contains("empty.txt is empty") && err.contains("missing.txt: no such file"),
        "{err}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
    assert_eq!(s.counts().protocols, 1);
}

// ---- bad input: each a one-line error, exit 1, nothing changed ----

/// Run an import of `path` against a store holding one protocol and check
/// the error and that nothing changed.
fn refused_import(s: &Sandbox, path: &std::path::Path, extra: &[&str], needle: &str) {
    let before = s.counts();
    let mut args = vec!["import"];
    args.extend_from_slice(extra);
    args.push(path.to_str().unwrap());
    assert_error(&s.run(&args), needle);
    assert_eq!(s.counts(), before);
}

fn seeded() -> Sandbox {
    seed(Sandbox::new())
}

fn seed(s: Sandbox) -> Sandbox {
    s.import("seed.txt", PROTOCOL);
    s
}

#[test]
fn a_missing_file_is_refused() {
    let s = seeded();
    refused_import(&s, &s.path("nope.txt"), &[], "no such file");
}

#[test]
fn a_directory_is_refused() {
    let s = seeded();
    std::fs::create_dir(s.path("folder")).unwrap();
    refused_import(&s, &s.path("folder"), &[], "is a folder");
}

#[test]
fn an_executable_is_refused() {
    let s = seeded();
    let exe = s.path("program.txt");
    std::fs::copy(common::BIN, &exe).unwrap();
    refused_import(&s, &exe, &["--max-size", "1G"], "executable");
}

#[test]
fn binary_data_is_refused() {
    let s = seeded();
    let path = s.write("data.txt", b"\x01\x02\x00\x00binary\x00");
    refused_import(&s, &path, &[], "binary data");
}

#[test]
fn invalid_utf8_is_refused_with_its_byte_offset() {
    let s = seeded();
    let path = s.write("latin1.txt", b"Protocol title\nCaf\xe9 au lait\n");
    refused_import(&s, &path, &[], "offset 18");
}

#[test]
fn an_empty_or_blank_file_is_refused() {
    let s = seeded();
    refused_import(&s, &s.write("empty.txt", ""), &[], "is empty");
    refused_import(&s, &s.write("blank.txt", " \n\n\t \n"), &[], "is empty");
}

#[test]
fn a_file_over_the_size_limit_is_refused() {
    let s = seeded();
    let path = s.write("big.txt", "word ".repeat(1000));
    refused_import(&s, &path, &["--max-size", "1K"], "over the 1024-byte limit");
    let out = s
        .command()
        .env("PROTOSCRIBE_MAX_IMPORT_SIZE", "100")
        .args(["import", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert_error(&out, "over the 100-byte limit");
}

#[test]
fn pdf_and_broken_docx_are_recognised_by_content() {
    let s = seeded();
    let pdf = s.write("report.txt", b"%PDF-1.7\n%binary");
    common::assert_failed_extraction(
        &s,
        &s.run(&["import", pdf.to_str().unwrap()]),
        "is a damaged or incomplete PDF",
    );
    let docx = s.write("notes.txt", b"PK\x03\x04\x14\x00rest");
    common::assert_failed_extraction(
        &s,
        &s.run(&["import", docx.to_str().unwrap()]),
        "damaged or incomplete .docx",
    );
    // A failed import does not block importing the same file again later.
    assert_eq!(s.counts().protocols, 3);
}

#[test]
fn unknown_ids_are_refused() {
    let s = seeded();
    let before = s.counts();
    assert_error(
        &s.run(&["show", "proto_0123456789abcdef"]),
        "no protocol with id 'proto_0123456789abcdef'",
    );
    assert_error(
        &s.run(&["delete", "proto_0123456789abcdef"]),
        "no protocol with id",
    );
    assert_error(&s.run(&["show", "sugg_0000"]), "no suggestion with id");
    assert_error(&s.run(&["show", "hello"]), "is not an id");
    assert_eq!(s.counts(), before);
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_alone() {
    // A store file's own bytes: SQLite only.
    let s = Sandbox::sqlite();
    let body = "these are my notes, not a database\n".repeat(200);
    std::fs::write(s.db(), &body).unwrap();
    let input = s.write("t.txt", PROTOCOL);
    for args in [
        vec!["list"],
        vec!["dashboard"],
        vec!["import", input.to_str().unwrap()],
    ] {
        assert_error(&s.run(&args), "is not a ProtoScribe database");
    }
    assert_eq!(std::fs::read_to_string(s.db()).unwrap(), body);
    assert!(!s.path("store.db-wal").exists());
}

#[test]
fn a_corrupt_store_is_refused_and_left_alone() {
    // Damaged pages of a file: SQLite only (PostgreSQL keeps its own).
    let s = seed(Sandbox::sqlite());
    s.ok(&["db", "status"]); // checkpoint-free read; then damage the pages
    let mut bytes = std::fs::read(s.db()).unwrap();
    // Keep the header, scribble over the schema and table pages.
    for b in bytes.iter_mut().skip(100).take(8000) {
        *b = 0xA5;
    }
    std::fs::write(s.db(), &bytes).unwrap();
    let _ = std::fs::remove_file(s.path("store.db-wal"));
    let _ = std::fs::remove_file(s.path("store.db-shm"));
    let out = s.run(&["list"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("corrupt") || err.contains("not a ProtoScribe database"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert_eq!(std::fs::read(s.db()).unwrap(), bytes);
}

#[test]
fn a_store_from_a_newer_protoscribe_is_refused() {
    // SQLite's user_version; tests/postgres.rs refuses a newer PostgreSQL
    // schema. The store itself refuses to open, so the file is counted raw.
    let s = seed(Sandbox::sqlite());
    let conn = rusqlite::Connection::open(s.db()).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    let protocols = || -> i64 {
        conn.query_row("SELECT count(*) FROM protocols", [], |r| r.get(0))
            .unwrap()
    };
    assert_eq!(protocols(), 1);
    assert_error(&s.run(&["list"]), "written by a newer ProtoScribe");
    assert_error(
        &s.run(&[
            "import",
            s.write("x.txt", "# X\n\ntext\n").to_str().unwrap(),
        ]),
        "newer ProtoScribe",
    );
    assert_eq!(protocols(), 1);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 999, "never upgraded downwards");
}

/// Run the binary as an unprivileged user when the tests run as root
/// (root may write any file, whatever its mode).
fn as_unprivileged(s: &Sandbox, args: &[&str]) -> std::process::Output {
    let is_root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout == b"0\n")
        .unwrap_or(false);
    let mut cmd = if is_root {
        let mut c = std::process::Command::new("setpriv");
        c.args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            common::BIN,
        ]);
        c
    } else {
        std::process::Command::new(common::BIN)
    };
    cmd.arg("--db")
        .arg(s.db())
        .args(args)
        .env_remove("PROTOSCRIBE_DB")
        .env_remove("DATABASE_URL")
        .env("PROTOSCRIBE_BACKUP_HOURS", "0");
    cmd.output().expect("run protoscribe")
}

#[test]
fn a_read_only_store_refuses_writes_with_a_clear_message() {
    use std::os::unix::fs::PermissionsExt;
    // A file's permissions: SQLite only (PostgreSQL's are the server's,
    // tests/postgres.rs).
    let s = seed(Sandbox::sqlite());
    let input = s.write("new.txt", "# New trial\n\ntext\n");
    let set_mode = |path: &std::path::Path, mode| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    set_mode(s.dir.path(), 0o755);
    set_mode(&input, 0o644);
    set_mode(&s.db(), 0o444);
    let before = s.counts();
    let out = as_unprivileged(&s, &["import", input.to_str().unwrap()]);
    assert_error(&out, "is read-only");
    let out = as_unprivileged(&s, &["delete", "proto_0123456789abcdef"]);
    assert_error(&out, "is read-only");
    assert_eq!(s.counts(), before);
    set_mode(&s.db(), 0o600);
}

#[test]
fn usage_mistakes_exit_with_status_two() {
    let s = Sandbox::new();
    assert_eq!(s.run(&["import"]).status.code(), Some(2));
    assert_eq!(
        s.run(&["list", "--status", "finished"]).status.code(),
        Some(2)
    );
    assert_eq!(s.run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(s.run(&["list", "--limit", "many"]).status.code(), Some(2));
}

#[test]
fn escape_sequences_in_documents_do_not_reach_the_terminal() {
    let s = Sandbox::new();
    let id = s.import(
        "evil.txt",
        "# Trial \x1b]0;owned\x07 title\x1b[2J\n\nBody \x1b[31mred\x1b[0m\n",
    );
    for args in [
        vec!["list"],
        vec!["show", &id],
        vec!["show", &id, "--content"],
    ] {
        let out = s.ok(&args);
        assert!(
            !out.contains('\x1b') && !out.contains('\x07'),
            "{args:?}: {out:?}"
        );
    }
    let raw = json(&s.ok(&["show", &id, "--json", "--content"]));
    assert!(
        raw["content"].as_str().unwrap().contains("\x1b[31m"),
        "stored text is kept as it was"
    );
}

#[test]
fn the_store_location_follows_flag_then_environment() {
    // Where a store file goes: SQLite paths only.
    let s = Sandbox::sqlite();
    let input = s.write("t.txt", PROTOCOL);
    let run = |envs: &[(&str, &std::path::Path)], flag: Option<&std::path::Path>| {
        let mut cmd = std::process::Command::new(common::BIN);
        cmd.env_remove("PROTOSCRIBE_DB")
            .env_remove("DATABASE_URL")
            .env("PROTOSCRIBE_BACKUP_HOURS", "0")
            .env("HOME", s.dir.path());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        if let Some(flag) = flag {
            cmd.arg("--db").arg(flag);
        }
        let out = cmd
            .args(["import", "--force", input.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    };
    let xdg = s.path("xdg");
    run(&[("XDG_DATA_HOME", &xdg)], None);
    assert!(xdg.join("protoscribe/protoscribe.db").exists());
    let url_db = s.path("url.db");
    let url = format!("sqlite:///{}", url_db.display());
    run(&[("DATABASE_URL", std::path::Path::new(&url))], None);
    assert!(url_db.exists());
    let env_db = s.path("env.db");
    run(
        &[
            ("DATABASE_URL", std::path::Path::new(&url)),
            ("PROTOSCRIBE_DB", &env_db),
        ],
        None,
    );
    assert!(env_db.exists());
    let flag_db = s.path("flag.db");
    run(&[("PROTOSCRIBE_DB", &env_db)], Some(&flag_db));
    assert_eq!(common::counts(&flag_db).protocols, 1);
    assert_eq!(common::counts(&env_db).protocols, 1);
}

#[test]
fn db_status_reports_version_counts_and_size() {
    let s = seeded();
    let status = json(&s.ok(&["db", "status", "--json"]));
    assert_eq!(status["schema_version"], status["schema_version_supported"]);
    assert_eq!(status["tables"]["protocols"], 1);
    assert_eq!(status["tables"]["protocol_versions"], 1);
    assert!(status["file_size"].as_u64().unwrap() > 0);
    let text = s.ok(&["db", "status"]);
    assert!(
        text.contains(&format!(
            "schema    version {}",
            protoscribe::store::migrate::SCHEMA_VERSION
        )) && text.contains("protocols"),
        "{text}"
    );
}

#[test]
fn output_into_a_closed_pipe_is_not_an_error() {
    let s = Sandbox::new();
    let big = "A line of protocol text that is long enough.\n".repeat(20_000);
    let id = s.import("big.txt", &format!("# Big trial\n\n{big}"));
    let mut child = s
        .command()
        .args(["show", "--content", &id])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

/// Characters that act on a terminal or reorder text: none may be printed.
fn assert_inert(what: &str, text: &str) {
    let bad: Vec<String> = text
        .chars()
        .filter(|&c| {
            (c.is_control() && c != '\n' && c != '\t')
                || matches!(c, '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
        })
        .map(|c| format!("U+{:04X}", c as u32))
        .collect();
    assert!(bad.is_empty(), "{what} printed {bad:?}: {text:?}");
}

#[test]
fn errors_quote_names_and_ids_without_their_escape_sequences() {
    let s = seeded();
    // An OSC 52 sequence writes the terminal's clipboard.
    let name = "evil\u{1b}]52;c;aGk=\u{7}.txt";
    let out = s.run(&["import", s.path(name).to_str().unwrap()]);
    assert_error(&out, "evil\u{fffd}]52;c;aGk=\u{fffd}.txt: no such file");
    assert_inert("a missing file's error", &stderr(&out));
    s.write(name, "");
    let out = s.run(&["import", s.path(name).to_str().unwrap()]);
    assert_error(&out, "is empty");
    assert_inert("an empty file's error", &stderr(&out));
    let out = s.run(&["show", "proto_\u{1b}[2J\u{202e}"]);
    assert_error(&out, "no protocol with id");
    assert_inert("an unknown id's error", &stderr(&out));
}

#[test]
fn bidirectional_overrides_and_escapes_do_not_reach_the_terminal() {
    let s = Sandbox::new();
    let text: String = PROTOCOL
        .lines()
        .map(|l| format!("{l} \u{202e}txt.exe\u{2066}\u{1b}[31m\u{9b}1m\n"))
        .collect();
    let id = s.import("bidi.md", &text);
    s.ok(&["analyze", &id]);
    let queue: Value = json(&s.ok(&["suggestions", &id, "--json"]));
    let first = queue[0]["id"].as_str().unwrap();
    s.ok(&["review", first, "accept", "--comment", "ok \u{202e}fine"]);
    s.ok(&[
        "apply",
        &id,
        "--summary",
        "After review \u{2067}x\u{1b}]0;t\u{7}",
        "--allow-placeholders",
    ]);
    // Where document or user text is shown, the stand-in marks the spot.
    for (args, quotes_text) in [
        (vec!["list"], true),
        (vec!["list", "--search", "fracture"], true),
        (vec!["show", &id], true),
        (vec!["show", &id, "--content"], true),
        (vec!["show", first], true),
        (vec!["versions", &id], true),
        (vec!["diff", &id], true),
        (vec!["suggestions", &id], false),
        (vec!["checklist", &id], false),
    ] {
        let out = s.ok(&args);
        assert_inert(&format!("{args:?}"), &out);
        assert!(
            !quotes_text || out.contains('\u{fffd}'),
            "{args:?} shows where they were: {out}"
        );
    }
}

#[test]
fn a_database_url_password_is_never_printed() {
    // Only a folder is needed: the URLs are given by hand.
    let s = Sandbox::sqlite();
    // A PostgreSQL URL is taken (here: a server that cannot be reached),
    // anything else that is not SQLite is refused; neither shows the password.
    for (url, said) in [
        (
            "postgresql://ana:s3cret-pw@db.invalid/trials",
            "cannot reach PostgreSQL",
        ),
        (
            "mysql://root:s3cret-pw@localhost:3306/x?ssl=1",
            "not an SQLite file URL",
        ),
    ] {
        let out = std::process::Command::new(common::BIN)
            .env_remove("PROTOSCRIBE_DB")
            .env("DATABASE_URL", url)
            .env("HOME", s.dir.path())
            .arg("list")
            .output()
            .unwrap();
        assert_error(&out, said);
        let err = stderr(&out);
        assert!(!err.contains("s3cret"), "{err}");
        assert!(
            err.contains(":***@") || err.contains("db.invalid"),
            "the URL stays recognisable: {err}"
        );
    }
}

#[test]
fn database_url_options_are_refused_rather_than_dropped() {
    // sqlite:/// URLs: SQLite files only.
    let s = Sandbox::sqlite();
    let input = s.write("t.txt", PROTOCOL);
    let run = |url: &str| {
        std::process::Command::new(common::BIN)
            .current_dir(s.dir.path())
            .env_remove("PROTOSCRIBE_DB")
            .env("DATABASE_URL", url)
            .env("PROTOSCRIBE_BACKUP_HOURS", "0")
            .args(["import", input.to_str().unwrap()])
            .output()
            .unwrap()
    };
    let out = run("sqlite:///opts.db?mode=ro");
    assert_error(&out, "options after '?'");
    assert!(!s.path("opts.db").exists() && !s.path("opts.db?mode=ro").exists());
    // Three slashes mean a path relative to the working folder, as in SQLAlchemy.
    let out = run("sqlite:///rel/x.db");
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(common::counts(&s.path("rel/x.db")).protocols, 1);
}

#[test]
fn the_help_names_both_database_url_forms() {
    let out = std::process::Command::new(common::BIN)
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(
        help.contains("sqlite:///relative/path") && help.contains("sqlite:////absolute/path"),
        "{help}"
    );
}

#[test]
fn a_fifo_is_refused_at_once_as_the_file_to_import_and_as_the_store() {
    let s = seeded();
    let before = s.counts();
    let fifo = s.path("pipe.txt");
    common::mkfifo(&fifo);
    let out = common::output_within(s.command().args(["import", fifo.to_str().unwrap()]), 30)
        .expect("import of a FIFO hung");
    assert_error(&out, "is a FIFO (named pipe), not a file");
    assert_eq!(s.counts(), before);
    let store_fifo = s.path("pipe.db");
    common::mkfifo(&store_fifo);
    for args in [
        vec!["list"],
        vec!["import", s.path("seed.txt").to_str().unwrap()],
    ] {
        let mut cmd = std::process::Command::new(common::BIN);
        cmd.arg("--db")
            .arg(&store_fifo)
            .args(&args)
            .env("PROTOSCRIBE_BACKUP_HOURS", "0");
        let out = common::output_within(&mut cmd, 30).expect("a FIFO as the store hung");
        assert_error(&out, "is a FIFO (named pipe), not a database file");
    }
}

#[test]
fn read_only_commands_on_a_missing_store_say_so_and_create_nothing() {
    // A missing store file: SQLite only.
    let s = Sandbox::sqlite();
    let missing = s.path("D/nd/a/b/x.db");
    for args in [
        vec!["list"],
        vec!["dashboard"],
        vec!["show", "proto_0123456789abcdef"],
        vec!["db", "status"],
        vec!["db", "check"],
        vec!["exports"],
        vec!["backup"],
        vec!["review", "sugg_0123456789abcdef", "accept"],
        // The interface, on a store named rather than the default one.
        vec![],
    ] {
        let out = std::process::Command::new(common::BIN)
            .arg("--db")
            .arg(&missing)
            .args(&args)
            .env("PROTOSCRIBE_BACKUP_HOURS", "0")
            .output()
            .unwrap();
        assert_error(&out, "no store at");
        assert!(stderr(&out).contains("x.db"), "{}", stderr(&out));
        assert!(!s.path("D").exists(), "{args:?} created folders");
    }
    // Importing creates it, folders and all.
    let input = s.write("t.txt", PROTOCOL);
    let out = std::process::Command::new(common::BIN)
        .arg("--db")
        .arg(&missing)
        .args(["import", input.to_str().unwrap()])
        .env("PROTOSCRIBE_BACKUP_HOURS", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(common::counts(&missing).protocols, 1);
}

#[test]
fn an_empty_file_becomes_a_store_only_by_importing_and_then_a_private_one() {
    use std::os::unix::fs::PermissionsExt;
    // An empty file and its mode: SQLite only.
    let s = Sandbox::sqlite();
    std::fs::write(s.db(), "").unwrap();
    std::fs::set_permissions(s.db(), std::fs::Permissions::from_mode(0o644)).unwrap();
    assert_error(&s.run(&["list"]), "is an empty file, not a store yet");
    assert_eq!(std::fs::metadata(s.db()).unwrap().len(), 0);
    s.import("t.txt", PROTOCOL);
    let mode = std::fs::metadata(s.db()).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn demo_goes_beside_the_store_protoscribe_db_names() {
    // demo.db beside a store file: SQLite paths only.
    let s = Sandbox::sqlite();
    let team = s.path("team/protocols.db");
    std::fs::create_dir_all(team.parent().unwrap()).unwrap();
    let out = std::process::Command::new(common::BIN)
        .arg("demo")
        .env("PROTOSCRIBE_DB", &team)
        .env_remove("DATABASE_URL")
        .env("HOME", s.path("home"))
        .env("XDG_DATA_HOME", s.path("home/data"))
        .env("PROTOSCRIBE_BACKUP_HOURS", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(common::counts(&s.path("team/demo.db")).protocols, 3);
    assert!(!team.exists(), "the store itself is never touched");
    assert!(!s.path("home").exists(), "nothing in the default place");
}

/// The binary run with at most `seconds` of CPU time (the kernel stops it
/// beyond): a bound on the work done, with a wide margin, not a timing.
fn run_with_cpu_limit(s: &Sandbox, args: &[&str], seconds: u64) -> std::process::Output {
    use std::os::unix::process::CommandExt;
    let mut cmd = s.command();
    cmd.args(args);
    // SAFETY: setrlimit is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: seconds,
                rlim_max: seconds,
            };
            if libc::setrlimit(libc::RLIMIT_CPU, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    cmd.output().unwrap()
}

#[test]
fn a_search_of_many_punctuation_words_reads_the_text_once() {
    let s = Sandbox::new();
    // 3,000 different punctuation-only words, all at the end of a 4 MB text.
    let marks = [';', ':', '!', '?', '%', '&', '+', '='];
    let words: Vec<String> = (0..3000)
        .map(|n| (0..4).map(|d| marks[(n >> (3 * d)) & 7]).collect())
        .collect();
    let body = "Participants will be randomised in blocks of four. ".repeat(80_000);
    let text = format!("# Big trial\n\n{body}\n{}\n", words.join(" "));
    let path = s.write("big.txt", text);
    s.ok(&["import", "--max-size", "1G", path.to_str().unwrap()]);
    let query = words.join(" ");
    // One pass over 4 MB takes milliseconds; one pass per word, minutes.
    let args = ["list", "--search", &query];
    let out = if s.is_postgres() {
        // The server does the work, out of reach of this process's CPU
        // limit: its time is bounded instead, as widely (per word, 77 s).
        common::output_within(s.command().args(args), 20).expect("the search ran over 20 s")
    } else {
        run_with_cpu_limit(&s, &args, 20)
    };
    assert!(
        out.status.success(),
        "stopped: {:?} {}",
        out.status,
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Big trial"));
}

#[test]
fn a_search_of_many_words_with_marks_finds_each_inside_the_text_and_needs_all() {
    let s = Sandbox::new();
    s.import(
        "marked.txt",
        "# Marked trial\n\nDose: 5mg; response in 50%! of a+b=c (n=40) [x] {y} <z>\n",
    );
    s.import(
        "plain.txt",
        "# Plain trial\n\nDose 5mg response in 50 of abc\n",
    );
    // Thirty words with marks, whole words of the text or inside one (the
    // letters and digits in them being whole words), in any case: enough
    // that the text is not searched once per word.
    let words = [
        "DOSE:", "5mg;", "50%!", "a+b=c", "(n=40)", "[x]", "{y}", ":", ";", "%", "!", "+", "=",
        "(", ")", "[", "]", "{", "}", "<", ">", "b=", "+b", "%!", "=40)", "5MG;", "=c", "(n",
        "40)", "x]",
    ];
    let query = words.join(" ");
    let found = s.ok(&["list", "--search", &query]);
    assert!(
        found.contains("Marked trial") && !found.contains("Plain trial"),
        "{found}"
    );
    // One word that is nowhere in the text (here: across a space) finds nothing.
    let found = s.ok(&["list", "--search", &format!("{query} in;")]);
    assert!(found.contains("No protocols match"), "{found}");
}

#[test]
fn the_help_names_every_format_and_no_hidden_command() {
    let help = String::from_utf8(
        std::process::Command::new(common::BIN)
            .arg("--help")
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let line = |command: &str| {
        help.lines()
            .find(|l| l.trim_start().starts_with(command))
            .unwrap_or_else(|| panic!("no {command} in {help}"))
            .to_owned()
    };
    assert!(line("import").contains(".docx") && line("import").contains(".pdf"));
    assert!(line("export").contains("docx") && line("export").contains("pdf"));
    assert!(!line("db").contains("test data"), "{}", line("db"));
}

#[test]
fn a_title_for_several_files_is_a_usage_mistake() {
    let s = Sandbox::new();
    let a = s.write("a.txt", PROTOCOL);
    let b = s.write("b.txt", PROTOCOL);
    let out = s.run(&[
        "import",
        "--title",
        "X",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--title names one protocol"));
    assert!(!s.has_store(), "a usage mistake creates no store");
}

#[test]
fn unknown_ids_say_where_ids_of_their_kind_are_listed() {
    let s = seeded();
    for (id, hint) in [
        (
            "sugg_0123456789abcdef",
            "protoscribe suggestions PROTOCOL_ID",
        ),
        ("export_0123456789abcdef", "protoscribe exports"),
        (
            "version_0123456789abcdef",
            "protoscribe versions PROTOCOL_ID",
        ),
        ("proto_0123456789abcdef", "protoscribe list"),
    ] {
        assert_error(&s.run(&["show", id]), hint);
    }
    assert_error(
        &s.run(&["review", "sugg_0123456789abcdef", "accept"]),
        "protoscribe suggestions PROTOCOL_ID",
    );
}

#[test]
fn utf32_text_is_decoded_by_its_mark_and_nul_characters_refused() {
    let s = Sandbox::new();
    let text = "# UTF-32 trial\n\nParticipants will be randomised.\n";
    let encode = |big_endian: bool| -> Vec<u8> {
        let mut bytes = Vec::new();
        for c in std::iter::once('\u{feff}').chain(text.chars()) {
            let n = c as u32;
            bytes.extend(if big_endian {
                n.to_be_bytes()
            } else {
                n.to_le_bytes()
            });
        }
        bytes
    };
    for (name, big_endian) in [("le.txt", false), ("be.txt", true)] {
        let path = s.write(name, encode(big_endian));
        let id = s
            .ok(&["import", "--force", path.to_str().unwrap()])
            .trim()
            .to_owned();
        let shown = json(&s.ok(&["show", &id, "--json", "--content"]));
        assert_eq!(shown["content"], text, "{name}");
        assert_eq!(shown["title"], "UTF-32 trial");
    }
    // NUL characters past the first bytes looked at are no text either.
    let mut bytes = format!("# Trial\n\n{}", "text ".repeat(4000)).into_bytes();
    bytes.extend_from_slice(b"\0\0\0 more");
    let path = s.write("nul.txt", bytes);
    assert_error(
        &s.run(&["import", path.to_str().unwrap()]),
        "NUL characters",
    );
}

#[test]
fn utf16_with_a_lone_surrogate_is_called_bad_utf16() {
    let s = seeded();
    let mut bytes = vec![0xff, 0xfe];
    for unit in "# T\n"
        .encode_utf16()
        .chain([0xd800])
        .chain("x\n".encode_utf16())
    {
        bytes.extend(unit.to_le_bytes());
    }
    let path = s.write("lone.txt", bytes);
    refused_import(
        &s,
        &path,
        &[],
        "is not valid UTF-16 text (bad character at byte offset 10)",
    );
}

#[test]
fn an_offset_past_the_end_shows_nothing_rather_than_the_first_page() {
    let s = seeded();
    for offset in ["18446744073709551615", "9223372036854775808", "5"] {
        let listed = json(&s.ok(&["list", "--json", "--offset", offset]));
        assert_eq!(listed, Value::Array(vec![]), "--offset {offset}");
        let text = s.ok(&["list", "--offset", offset]);
        assert!(text.contains("Nothing past --offset"), "{text}");
    }
    let huge_limit = json(&s.ok(&["list", "--json", "--limit", "18446744073709551615"]));
    assert_eq!(huge_limit.as_array().unwrap().len(), 1);
}

#[test]
fn ids_carry_64_random_bits() {
    // `db synth` fills only a SQLite file; PostgreSQL's rows take their
    // ids from the same `store::ids::new_id`.
    let s = Sandbox::sqlite();
    s.ok(&[
        "db",
        "synth",
        "--protocols",
        "20",
        "--analyses-per-protocol",
        "1",
        "--suggestions-per-analysis",
        "20",
    ]);
    let store = s.store();
    let mut ids = store.suggestion_ids().unwrap();
    let protocols = store
        .protocols(&Default::default(), protoscribe::store::Page::first(100))
        .unwrap();
    ids.extend(protocols.into_iter().map(|p| p.id));
    assert_eq!(ids.len(), 420);
    let (mut ones, mut zeros) = (0u64, 0u64);
    for id in &ids {
        let (_, digits) = id.split_once('_').unwrap();
        assert_eq!(digits.len(), 16, "{id}");
        let bits = u64::from_str_radix(digits, 16).unwrap();
        ones |= bits;
        zeros |= !bits;
    }
    // Every one of the 64 bits is seen both set and clear; a fixed bit
    // (a UUID's variant bits) would stay one way in all 420 ids.
    assert_eq!(ones, u64::MAX, "bits never set: {:064b}", !ones);
    assert_eq!(zeros, u64::MAX, "bits never clear: {:064b}", !zeros);
}
