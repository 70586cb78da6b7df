//! Imports stopped part-way, or refused by a damaged store, leave nothing
//! half-made: through the real binary, interrupted as a user would
//! (Ctrl-C), on the chosen backend; damaged and older stores are SQLite
//! files, checked in the file itself.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::{PROTOCOL, Sandbox, assert_error, protocol_rows};

/// A PDF of a few hundred pages (a report with a long protocol's text),
/// whose text extraction takes a noticeable share of an import.
fn long_pdf(dir: &Sandbox) -> PathBuf {
    // Only makes the PDF.
    let src = Sandbox::sqlite();
    let text = std::fs::read_to_string(format!("{}/partial-knee-exercise.txt", common::FIXTURES))
        .unwrap()
        .repeat(100);
    let id = src.import("long.txt", &text);
    let pdf = src.export(&id, "pdf", "long.pdf", &["--with-text"]);
    let target = dir.path("long.pdf");
    std::fs::copy(pdf, &target).unwrap();
    target
}

fn interrupt(child: &mut std::process::Child) {
    // SAFETY: SIGINT (what Ctrl-C sends) to our own child process.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    child.wait().unwrap();
}

#[test]
fn a_word_or_pdf_import_interrupted_at_any_moment_leaves_nothing_half_made() {
    let s = Sandbox::new();
    s.import("seed.txt", PROTOCOL);
    let pdf = long_pdf(&s);
    // Ctrl-C later and later into the import, until it finishes first.
    let mut delay = Duration::ZERO;
    loop {
        let mut child = s
            .command()
            .args(["import", pdf.to_str().unwrap()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let finished = child.try_wait().unwrap().is_some();
        if !finished {
            interrupt(&mut child);
        }
        let rows = protocol_rows(&s.db());
        assert!(
            rows.iter().all(|(status, _)| status == "ready"),
            "after Ctrl-C at {delay:?}: {:?}",
            rows.iter().map(|(status, _)| status).collect::<Vec<_>>()
        );
        if finished {
            break;
        }
        delay = delay * 5 / 4 + Duration::from_millis(2);
    }
    let c = s.counts();
    assert_eq!((c.protocols, c.versions), (2, 2));
    // The protocol is whole: it can be analysed at once.
    let listed: serde_json::Value = serde_json::from_str(&s.ok(&["list", "--json"])).unwrap();
    let id = listed[0]["id"].as_str().unwrap();
    s.ok(&["analyze", id]);
}

/// The page number of a table's root page.
fn root_page(db: &Path, table: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(
        "SELECT rootpage FROM sqlite_schema WHERE name = ?1",
        [table],
        |r| r.get(0),
    )
    .unwrap()
}

/// Fold the write-ahead log into the file, then scribble over the root
/// page of `table`; returns the damaged file's bytes.
fn damage(db: &Path, table: &str) -> Vec<u8> {
    let page = root_page(db, table);
    rusqlite::Connection::open(db)
        .unwrap()
        .execute_batch("PRAGMA wal_checkpoint(TRUNCATE);")
        .unwrap();
    let mut bytes = std::fs::read(db).unwrap();
    let start = (page as usize - 1) * 4096;
    for b in &mut bytes[start..start + 4096] {
        *b = 0xA5;
    }
    std::fs::write(db, &bytes).unwrap();
    bytes
}

fn protocol_count(db: &Path) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT count(*) FROM protocols", [], |r| r.get(0))
        .unwrap()
}

/// A Word document built by hand (a zip of XML).
fn docx() -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#).unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all(br#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Knee pain trial</w:t></w:r></w:p><w:p><w:r><w:t>Participants will be randomised.</w:t></w:r></w:p></w:body></w:document>"#).unwrap();
    zip.finish().unwrap().into_inner()
}

#[test]
fn a_word_import_into_a_damaged_store_writes_nothing_like_a_text_import() {
    // A damaged page of the store file: SQLite only.
    let s = Sandbox::sqlite();
    s.import("seed.txt", PROTOCOL);
    let damaged = damage(&s.db(), "protocol_versions");
    let before = protocol_count(&s.db());
    let word = s.write("protocol.docx", docx());
    let text = s.write(
        "protocol.txt",
        "# Another trial\n\nParticipants will be randomised.\n",
    );
    for file in [&word, &text] {
        let out = s.run(&["import", file.to_str().unwrap()]);
        assert_error(&out, "is corrupt");
        assert_eq!(protocol_count(&s.db()), before, "{}", file.display());
        assert_eq!(std::fs::read(s.db()).unwrap(), damaged);
    }
}

#[test]
fn a_damaged_store_is_not_upgraded() {
    // A damaged SQLite file of an old schema.
    let s = Sandbox::sqlite();
    {
        // A store of schema version 1, as the first ProtoScribe wrote it.
        let mut conn = rusqlite::Connection::open(s.db()).unwrap();
        protoscribe::store::migrate::migrate_to(&mut conn, 1).unwrap();
        conn.execute(
            "INSERT INTO protocols (id, title, content, status, created_at)
             VALUES ('proto_0000000000000001', 'Old trial', 'text', 'ready', '2020-01-01T00:00:00.000000Z')",
            [],
        )
        .unwrap();
    }
    let damaged = damage(&s.db(), "analyses");
    let input = s.write("t.txt", PROTOCOL);
    let out = s.run(&["import", input.to_str().unwrap()]);
    assert_error(&out, "corrupt");
    assert_eq!(
        std::fs::read(s.db()).unwrap(),
        damaged,
        "nothing written, not even the upgrade"
    );
}

#[test]
fn imports_an_older_protoscribe_left_processing_become_errors_with_the_reason() {
    // A SQLite store of schema 3; PostgreSQL stores began at the schema
    // that no longer leaves such rows.
    let s = Sandbox::sqlite();
    {
        // Schema 3: what ProtoScribe wrote before imports stopped leaving
        // 'processing' rows behind when interrupted.
        let mut conn = rusqlite::Connection::open(s.db()).unwrap();
        protoscribe::store::migrate::migrate_to(&mut conn, 3).unwrap();
        conn.execute(
            "INSERT INTO protocols (id, title, content, status, metadata, created_at)
             VALUES ('proto_00000000000000a1', 'report', '', 'processing',
                     '{\"source_format\":\"pdf\",\"sha256\":\"ab\"}', '2026-01-01T00:00:00.000000Z')",
            [],
        )
        .unwrap();
    }
    let listed: serde_json::Value = serde_json::from_str(&s.ok(&["list", "--json"])).unwrap();
    assert_eq!(listed[0]["status"], "error");
    let reason = listed[0]["metadata"]["error"].as_str().unwrap();
    assert!(reason.contains("interrupted"), "{reason}");
    assert_eq!(listed[0]["metadata"]["source_format"], "pdf");
}
