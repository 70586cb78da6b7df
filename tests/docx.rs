//! Word documents in: built by the test itself (a .docx is a zip of XML),
//! imported through the real binary.

mod common;

use std::io::{Cursor, Write};

use common::{Sandbox, assert_error};
use serde_json::Value;

fn docx(document_xml: &str) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default();
    zip.start_file("[Content_Types].xml", options).unwrap();
    zip.write_all(br#"<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>"#).unwrap();
    zip.start_file("word/document.xml", options).unwrap();
    zip.write_all(document_xml.as_bytes()).unwrap();
    zip.finish().unwrap().into_inner()
}

fn p(style: Option<&str>, text: &str) -> String {
    let style = style
        .map(|s| format!(r#"<w:pPr><w:pStyle w:val="{s}"/></w:pPr>"#))
        .unwrap_or_default();
    format!("<w:p>{style}<w:r><w:t xml:space=\"preserve\">{text}</w:t></w:r></w:p>")
}

fn document(paragraphs: &[String]) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{}</w:body></w:document>"#,
        paragraphs.concat()
    )
}

fn protocol_docx() -> Vec<u8> {
    docx(&document(&[
        p(Some("Title"), "Exercise versus advice for knee pain: a randomised controlled trial"),
        p(Some("Heading1"), "1 Methods"),
        p(Some("Heading2"), "1.1 Sample size"),
        p(None, "We will randomise 300 participants, giving 90% power at a two-sided alpha of 0.05."),
        r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Visit</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Assessments</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>Week 12</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>WOMAC pain</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#.to_owned(),
        p(Some("Heading2"), "1.2 Allocation concealment"),
        p(None, "Allocation is concealed by a central web-based randomisation service."),
    ]))
}

/// The headings an import recorded in the protocol's metadata.
fn headings_of(shown: &Value) -> Vec<&str> {
    shown["metadata"]["headings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect()
}

#[test]
fn a_docx_keeps_its_headings_paragraphs_and_tables() {
    let s = Sandbox::new();
    let path = s.write("protocol.docx", protocol_docx());
    let id = s.ok(&["import", path.to_str().unwrap()]).trim().to_owned();
    let shown: Value = serde_json::from_str(&s.ok(&["show", &id, "--json", "--content"])).unwrap();
    assert_eq!(
        shown["title"],
        "Exercise versus advice for knee pain: a randomised controlled trial"
    );
    let content = shown["content"].as_str().unwrap();
    assert!(content.contains("## 1.1 Sample size\n"), "{content}");
    assert!(
        content.contains("We will randomise 300 participants"),
        "{content}"
    );
    assert!(content.contains("| Week 12 | WOMAC pain |"), "{content}");
    assert_eq!(shown["metadata"]["source_format"], "docx");
    let headings = headings_of(&shown);
    assert!(
        headings.contains(&"1.2 Allocation concealment"),
        "{headings:?}"
    );
    // The analyzer reads it like any other protocol.
    s.ok(&["analyze", &id]);
    let items: Value = serde_json::from_str(&s.ok(&["checklist", &id, "--json"])).unwrap();
    let concealment = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["item"] == "16b" && i["guideline"] == "SPIRIT 2013")
        .unwrap();
    assert_eq!(concealment["status"], "addressed");
}

#[test]
fn a_docx_is_recognised_by_its_content_not_its_name() {
    let s = Sandbox::new();
    let path = s.write("misnamed.txt", protocol_docx());
    let id = s.ok(&["import", path.to_str().unwrap()]).trim().to_owned();
    let shown: Value = serde_json::from_str(&s.ok(&["show", &id, "--json"])).unwrap();
    assert_eq!(shown["metadata"]["source_format"], "docx");
}

#[test]
fn files_that_are_no_document_are_refused_and_nothing_is_stored() {
    let s = Sandbox::new();
    for (name, bytes, needle) in [
        ("empty.docx", Vec::new(), "is empty"),
        (
            "locked.docx",
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 encrypted package".to_vec(),
            "password-protected",
        ),
    ] {
        let path = s.write(name, bytes);
        assert_error(&s.run(&["import", path.to_str().unwrap()]), needle);
    }
    assert!(!s.has_store(), "refused files do not even create a store");
}

#[test]
fn word_files_whose_extraction_fails_are_kept_in_error_with_the_reason() {
    let s = Sandbox::new();
    let good = protocol_docx();
    let not_word = {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file("hello.txt", zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"hi").unwrap();
        zip.finish().unwrap().into_inner()
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "truncated.docx",
            good[..good.len() / 2].to_vec(),
            "damaged or incomplete .docx",
        ),
        ("notword.docx", not_word, "not a Word document"),
        (
            "blank.docx",
            docx(&document(&[p(None, "   ")])),
            "has no text",
        ),
    ];
    for (name, bytes, needle) in cases {
        let path = s.write(name, bytes);
        common::assert_failed_extraction(&s, &s.run(&["import", path.to_str().unwrap()]), needle);
    }
    // The same file, repaired, imports normally (a failed import does not count as "imported before").
    let fixed = s.write("truncated.docx", &good);
    s.ok(&["import", fixed.to_str().unwrap()]);
}

#[test]
fn a_zip_bomb_is_refused_without_unpacking_it() {
    let s = Sandbox::new();
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    zip.start_file(
        "word/document.xml",
        zip::write::SimpleFileOptions::default(),
    )
    .unwrap();
    let block = vec![b' '; 1 << 20];
    for _ in 0..80 {
        zip.write_all(&block).unwrap();
    }
    let bytes = zip.finish().unwrap().into_inner();
    assert!(bytes.len() < 1 << 20, "compresses small: {}", bytes.len());
    let path = s.write("bomb.docx", bytes);
    common::assert_failed_extraction(&s, &s.run(&["import", path.to_str().unwrap()]), "zip bomb");
}

#[test]
fn an_institutional_word_protocol_keeps_its_numbered_sections_as_headings() {
    let s = Sandbox::new();
    let id = s
        .ok(&["import", &common::nih("nih-saa-sirolimus.docx")])
        .trim()
        .to_owned();
    let shown: Value = serde_json::from_str(&s.ok(&["show", &id, "--json", "--content"])).unwrap();
    let content = shown["content"].as_str().unwrap();
    // Its sections are numbered list paragraphs and hand-numbered bold
    // lines, no heading styles: all come out as numbered `#` headings.
    let top: Vec<&str> = content
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .collect();
    for heading in [
        "1.0 OBJECTIVES",
        "2.0 BACKGROUND AND SCIENTIFIC JUSTIFICATION",
        "3 Study Design",
        "4 Eligibility Assessment and Enrolment",
        "5 Treatment Plan",
        "6 Clinical Monitoring",
        "7 BIOSTATISTICAL CONSIDERATIONS",
        "8 Data and safety monitoring",
        "9 Human Subject Protection",
        "10 Pharmaceuticals",
    ] {
        assert!(top.contains(&heading), "{heading:?} in {top:?}");
    }
    assert_eq!(top.len(), 10, "{top:?}");
    assert!(content.contains("\n## 3.3 Design considerations\n"));
    assert!(content.contains("\n##### 8.2.6.1.1 Reports at the time of continuing IRB review\n"));
    // The numbered table of contents stays a list, with Word's numbers.
    assert!(content.contains("- 1.1. Primary objective\n"), "{content}");
    let headings = headings_of(&shown);
    assert!(
        headings.contains(&"3.3 Design considerations"),
        "{headings:?}"
    );
    // Tracked changes as accepted: insertions in, deletions out.
    assert!(content.contains("randomize 120 patients in a balanced allocation"));
    assert!(!content.contains("Uncontrolled phase II study design"));
    // Symbols typed from the Symbol font.
    assert!(content.contains("IFN-γ") && content.contains("≥ 2 years"));
}
