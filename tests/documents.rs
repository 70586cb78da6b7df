//! Decisions become protocol versions, and reports leave as files:
//! through the real binary, checking the store and the written files.

mod common;

use std::os::unix::fs::FileTypeExt;

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
    let overall = doc
        .content
        .split("| Overall | ")
        .nth(1)
        .and_then(|rest| rest.split(" |").next())
        .and_then(|n| n.parse::<f64>().ok());
    assert!(overall.is_some(), "{}", doc.content);
    assert!(
        doc.content.contains(&format!(
            "| SPIRIT 2013 | 16b | Allocation: concealment mechanism | {} |",
            common::verdict_label(&s, &id, "16b")
        )),
        "{}",
        doc.content
    );

    // The PDF read back by ProtoScribe's own importer (qpdf and pdftotext
    // read it in tests/readers.rs).
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-1.4") && bytes.ends_with(b"%%EOF\n"));
    let read = protoscribe::ingest::from_bytes(&pdf, &bytes).unwrap();
    assert!(read.pages.unwrap() >= 2);
    let text = read
        .content
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains("Supervised exercise therapy for people with knee"),
        "{text}"
    );
    assert!(text.contains("Suggestions and decisions"), "{text}");
    let (overall, spirit) = common::latest_scores(&s, &id);
    assert!(
        text.contains(&format!("Overall {overall}"))
            && text.contains(&format!("SPIRIT 2013 {spirit}")),
        "scores: {text}"
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

#[test]
fn reports_neither_run_markup_nor_carry_escapes_or_direction_overrides() {
    let s = Sandbox::new();
    let text = "# Trial \u{202e}fdp.exe <script>alert(1)</script>\n\n\
        ## Methods\nParticipants <img src=x onerror=alert(1)> are \u{1b}]0;owned\u{7}randomised \
        \u{9b}31m by \u{2066}block\u{2069} & site.\n";
    let id = s.import("hostile.md", text);
    s.ok(&["analyze", &id]);
    let md = std::fs::read_to_string(s.export(&id, "markdown", "r.md", &["--with-text"])).unwrap();
    let html = std::fs::read_to_string(s.export(&id, "html", "r.html", &["--with-text"])).unwrap();
    for (name, report) in [("markdown", &md), ("html", &html)] {
        let bad: Vec<u32> = report
            .chars()
            .filter(|&c| {
                (c.is_control() && c != '\n' && c != '\t')
                    || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}')
            })
            .map(|c| c as u32)
            .collect();
        assert!(bad.is_empty(), "{name} report holds {bad:x?}");
        assert!(
            report.contains('\u{fffd}'),
            "{name}: the stand-in shows where"
        );
    }
    // Outside the protocol's text block, markup is shown as text.
    let outside_text = md.split("## Protocol text").next().unwrap();
    assert!(outside_text.contains("&lt;script>"), "{outside_text}");
    assert!(!outside_text.contains("<script") && !outside_text.contains("<img"));
    assert!(!html.contains("<script") && !html.contains("<img"));
}

/// Export with a retention of zero days, so the next cleanup finds it expired.
fn export_expiring(
    s: &Sandbox,
    id: &str,
    cwd: &std::path::Path,
    output: &str,
) -> std::process::Output {
    s.command()
        .current_dir(cwd)
        .env("PROTOSCRIBE_EXPORT_RETENTION_DAYS", "0")
        .args(["export", id, "-o", output])
        .output()
        .unwrap()
}

fn cleanup_from(s: &Sandbox, cwd: &std::path::Path) -> String {
    // Expiry is "before now": let the clock pass the export's moment.
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = s
        .command()
        .current_dir(cwd)
        .args(["exports", "--cleanup"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", common::stderr(&out));
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn cleanup_never_removes_a_file_that_a_refused_export_only_named() {
    let s = Sandbox::new();
    let id = analysed(&s, "poor-cbt-insomnia.md");
    let notes = s.write("notes.md", "my own notes");
    let out = export_expiring(&s, &id, s.dir.path(), "notes.md");
    assert_error(&out, "already exists");
    let cleaned = cleanup_from(&s, s.dir.path());
    assert!(cleaned.contains("expired"), "{cleaned}");
    assert_eq!(std::fs::read_to_string(&notes).unwrap(), "my own notes");
}

#[test]
fn cleanup_run_from_another_folder_removes_the_report_not_a_namesake() {
    let s = Sandbox::new();
    let id = analysed(&s, "poor-cbt-insomnia.md");
    let (here, there) = (s.path("here"), s.path("there"));
    std::fs::create_dir(&here).unwrap();
    std::fs::create_dir(&there).unwrap();
    let out = export_expiring(&s, &id, &here, "report.md");
    assert!(out.status.success(), "{}", common::stderr(&out));
    let shown: Value = serde_json::from_str(&s.ok(&["exports", "--json"])).unwrap();
    assert_eq!(shown[0]["status"], "completed");
    let namesake = there.join("report.md");
    std::fs::write(&namesake, "someone else's report").unwrap();
    let cleaned = cleanup_from(&s, &there);
    assert!(cleaned.contains("removed"), "{cleaned}");
    assert!(
        !here.join("report.md").exists(),
        "the report itself is removed"
    );
    assert_eq!(
        std::fs::read_to_string(&namesake).unwrap(),
        "someone else's report"
    );
}

#[test]
fn cleanup_keeps_a_report_that_was_changed_after_the_export() {
    let s = Sandbox::new();
    let id = analysed(&s, "poor-cbt-insomnia.md");
    let out = export_expiring(&s, &id, s.dir.path(), "edited.md");
    assert!(out.status.success(), "{}", common::stderr(&out));
    // The same size, other bytes: edited in place.
    let path = s.path("edited.md");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[0] = b'X';
    std::fs::write(&path, &bytes).unwrap();
    let cleaned = cleanup_from(&s, s.dir.path());
    assert!(
        cleaned.contains("kept") && cleaned.contains("changed"),
        "{cleaned}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), bytes);
}

#[test]
fn force_replaces_a_regular_file_and_nothing_else() {
    let s = Sandbox::new();
    let id = analysed(&s, "poor-cbt-insomnia.md");
    let target = s.write("target.md", "the link's target");
    let link = s.path("link.md");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    assert_error(
        &s.run(&["export", &id, "-o", link.to_str().unwrap(), "--force"]),
        "is a symbolic link: --force replaces only a regular file",
    );
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        "the link's target"
    );
    let fifo = s.path("pipe.md");
    common::mkfifo(&fifo);
    let out = common::output_within(
        s.command()
            .args(["export", &id, "-o", fifo.to_str().unwrap(), "--force"]),
        30,
    )
    .expect("export onto a FIFO hung");
    assert_error(
        &out,
        "is a FIFO (named pipe): --force replaces only a regular file",
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    s.ok(&["export", &id, "-o", target.to_str().unwrap(), "--force"]);
    assert!(
        std::fs::read_to_string(&target)
            .unwrap()
            .starts_with("# Online CBT-I")
    );
}
