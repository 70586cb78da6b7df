//! Decisions become protocol versions, and reports leave as files:
//! through the real binary, checking the store and the written files.

mod common;

use common::{Sandbox, assert_error};
use serde_json::Value;

fn analysed(s: &Sandbox, name: &str) -> String {
    let id = s.import_fixture(name);
    s.ok(&["analyze", &id]);
    id
}

/// The first line of a suggestion's text, which every report shows.
fn first_line(suggestion: &Value) -> &str {
    suggestion["content"]
        .as_str()
        .and_then(|c| c.lines().next())
        .expect("a suggestion has text")
}

fn queue(s: &Sandbox, id: &str) -> Vec<Value> {
    let v: Value = serde_json::from_str(&s.ok(&["suggestions", id, "--json"])).unwrap();
    v.as_array().unwrap().clone()
}

#[test]
fn apply_writes_decisions_into_a_new_version_once() {
    let s = Sandbox::new();
    let id = analysed(&s, "poor-cbt-insomnia.md");
    let q = queue(&s, &id);
    let critical: Vec<&Value> = q
        .iter()
        .filter(|x| x["type"] == "critical")
        .take(2)
        .collect();
    let (a, b) = (
        critical[0]["id"].as_str().unwrap(),
        critical[1]["id"].as_str().unwrap(),
    );
    s.ok(&["review", a, "accept"]);
    s.ok(&[
        "review",
        b,
        "modify",
        "--content",
        "Our own wording for this section.",
    ]);
    let out = s.ok(&[
        "apply",
        &id,
        "--summary",
        "After the first review",
        "--allow-placeholders",
    ]);
    assert!(
        out.contains("version 2") && out.contains(a) && out.contains(b),
        "{out}"
    );
    let versions: Value = serde_json::from_str(&s.ok(&["versions", &id, "--json"])).unwrap();
    let v2 = &versions[1];
    assert_eq!(v2["version_number"], 2);
    let summary = v2["change_summary"].as_str().unwrap();
    assert!(
        summary.starts_with("After the first review")
            && summary.contains(a)
            && summary.contains("SPIRIT 2013 item"),
        "{summary}"
    );
    assert!(v2["created_by"].as_str().is_some_and(|u| !u.is_empty()));
    let text = v2["content"].as_str().unwrap();
    assert!(text.contains("Our own wording for this section."));
    // The protocol's text is the newest version's.
    let shown: Value = serde_json::from_str(&s.ok(&["show", &id, "--json", "--content"])).unwrap();
    assert_eq!(shown["content"], v2["content"]);
    // Applying again adds nothing twice.
    assert_error(&s.run(&["apply", &id]), "nothing new to apply");
    assert_eq!(text.matches("Our own wording for this section.").count(), 1);
    assert_eq!(s.counts().versions, 2);
    let diff = s.ok(&["diff", &id]);
    assert!(
        diff.contains("--- version 1") && diff.contains("+++ version 2"),
        "{diff}"
    );
    assert!(
        diff.contains("+Our own wording for this section."),
        "{diff}"
    );
    assert_error(&s.run(&["diff", &id, "1", "7"]), "has no version 7");
}

#[test]
fn apply_needs_an_analysis_and_decisions() {
    let s = Sandbox::new();
    let id = s.import("t.md", common::PROTOCOL);
    assert_error(&s.run(&["apply", &id]), "no completed analysis");
    s.ok(&["analyze", &id]);
    assert_error(&s.run(&["apply", &id]), "nothing new to apply");
    assert_eq!(s.counts().versions, 1);
}

#[test]
fn reports_hold_title_scores_checklist_and_every_suggestion() {
    use std::os::unix::fs::PermissionsExt;
    let s = Sandbox::new();
    let id = analysed(&s, "partial-knee-exercise.txt");
    let q = queue(&s, &id);
    s.ok(&[
        "review",
        q[0]["id"].as_str().unwrap(),
        "reject",
        "--comment",
        "<b>not</b> needed & fine",
    ]);
    for (format, name) in [("markdown", "r.md"), ("html", "r.html")] {
        let path = s.export(&id, format, name, &["--with-text"]);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.contains("Supervised exercise therapy for people with knee osteoarthritis"),
            "{format}"
        );
        assert!(
            text.contains("54.3") || text.contains("SPIRIT 2013"),
            "{format}"
        );
        assert!(
            text.contains("Checklist") && text.contains("Allocation"),
            "{format}"
        );
        for suggestion in &q {
            let probe: String = first_line(suggestion).chars().take(40).collect();
            let probe = if format == "html" {
                probe.replace('"', "&quot;").replace('\'', "&#39;")
            } else {
                probe
            };
            assert!(text.contains(&probe), "{format} lacks {probe:?}");
        }
        assert!(
            text.contains("Participants will be assessed at baseline"),
            "{format}: --with-text"
        );
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let html = std::fs::read_to_string(s.path("r.html")).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://") && !html.contains("<script"),
        "self-contained"
    );
    assert!(html.contains("&lt;b&gt;not&lt;/b&gt; needed &amp; fine"));
    let rows: Value = serde_json::from_str(&s.ok(&["exports", "--json"])).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|e| e["status"] == "completed" && e["file_size"].as_u64().unwrap() > 0)
    );
}

#[test]
fn an_existing_file_or_a_folder_fails_the_export_and_says_so() {
    let s = Sandbox::new();
    let id = analysed(&s, "poor-cbt-insomnia.md");
    let path = s.write("taken.md", "mine");
    assert_error(
        &s.run(&["export", &id, "-o", path.to_str().unwrap()]),
        "already exists",
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "mine");
    s.ok(&["export", &id, "-o", path.to_str().unwrap(), "--force"]);
    assert!(
        std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# Online CBT-I")
    );
    assert_error(
        &s.run(&["export", &id, "-o", s.dir.path().to_str().unwrap()]),
        "is a folder",
    );
    let rows: Value = serde_json::from_str(&s.ok(&["exports", "--json"])).unwrap();
    let failed: Vec<&Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "failed")
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(
        failed
            .iter()
            .all(|e| e["error_message"].as_str().is_some_and(|m| !m.is_empty()))
    );
}

#[test]
fn cleanup_removes_expired_reports_only() {
    let s = Sandbox::new();
    let id = analysed(&s, "poor-cbt-insomnia.md");
    let old = s.path("old.md");
    let out = s
        .command()
        .env("PROTOSCRIBE_EXPORT_RETENTION_DAYS", "0")
        .args(["export", &id, "-o", old.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success());
    let kept = s.path("kept.md");
    s.ok(&["export", &id, "-o", kept.to_str().unwrap()]);
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = s.ok(&["exports", "--cleanup"]);
    assert!(out.contains("expired"), "{out}");
    assert!(!old.exists() && kept.exists());
    let rows: Value = serde_json::from_str(&s.ok(&["exports", "--json"])).unwrap();
    let statuses: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert!(
        statuses.contains(&"expired") && statuses.contains(&"completed"),
        "{statuses:?}"
    );
}

/// The text a PDF shows: every `(…) Tj` string, decoded, in order.
fn pdf_text(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'(' {
            let mut s = Vec::new();
            i += 1;
            while i < bytes.len() && bytes[i] != b')' {
                if bytes[i] == b'\\' && i + 1 < bytes.len() {
                    i += 1;
                    if bytes[i].is_ascii_digit() {
                        let oct = std::str::from_utf8(&bytes[i..i + 3]).unwrap();
                        s.push(u8::from_str_radix(oct, 8).unwrap());
                        i += 2;
                    } else {
                        s.push(bytes[i]);
                    }
                } else {
                    s.push(bytes[i]);
                }
                i += 1;
            }
            if bytes[i + 1..].starts_with(b" Tj") {
                // WinAnsi: Latin-1 for what the tests look for.
                out.extend(s.iter().map(|&b| b as char));
                out.push(' ');
            }
        }
        i += 1;
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn docx_and_pdf_reports_hold_the_same_content() {
    let s = Sandbox::new();
    let id = analysed(&s, "partial-knee-exercise.txt");
    let q = queue(&s, &id);
    let docx = s.export(&id, "docx", "r.docx", &[]);
    let pdf = s.export(&id, "pdf", "r.pdf", &[]);

    // The DOCX read back with ProtoScribe's own importer: real headings and table rows.
    let doc = protoscribe::ingest::from_bytes(&docx, &std::fs::read(&docx).unwrap()).unwrap();
    assert_eq!(doc.format, protoscribe::ingest::Format::Docx);
    for heading in ["Scores", "Checklist", "Suggestions and decisions"] {
        assert!(
            doc.content.contains(&format!("# {heading}\n")),
            "{heading}: {}",
            doc.content
        );
    }
    assert!(
        doc.content.contains("| Overall | 54.4 |"),
        "{}",
        doc.content
    );
    assert!(
        doc.content
            .contains("| SPIRIT 2013 | 16b | Allocation: concealment mechanism | ✗ missing |"),
        "{}",
        doc.content
    );

    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4") && bytes.ends_with(b"%%EOF\n"));
    let text = pdf_text(&bytes);
    assert!(
        text.contains("Supervised exercise therapy for people with knee"),
        "{text}"
    );
    assert!(
        text.contains("Overall 54.4") && text.contains("SPIRIT 2013 46.3"),
        "scores"
    );
    assert!(text.contains("Page 1 of"), "page numbers");
    // A PDF library reads it too (pdf-extract, through the importer).
    let read = protoscribe::ingest::from_bytes(&pdf, &bytes).unwrap();
    assert!(read.pages.unwrap() >= 2);
    assert!(
        read.content.contains("Suggestions and decisions"),
        "{}",
        read.content
    );
    for suggestion in &q {
        let probe: String = first_line(suggestion)
            .split_whitespace()
            .take(6)
            .collect::<Vec<_>>()
            .join(" ");
        assert!(text.contains(&probe), "pdf lacks {probe:?}");
    }
}
