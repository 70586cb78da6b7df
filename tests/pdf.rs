//! PDFs in: ProtoScribe's own PDF reports as input (so no fixture file is
//! needed), a page with no text layer, and damaged files.

mod common;

use common::Sandbox;
use serde_json::Value;

/// A PDF of a protocol's report, with the protocol's text in it.
fn report_pdf(s: &Sandbox) -> std::path::PathBuf {
    let id = s.import_fixture("partial-knee-exercise.txt");
    s.ok(&["analyze", &id]);
    s.export(&id, "pdf", "report.pdf", &["--with-text"])
}

#[test]
fn a_pdf_comes_in_as_text_with_its_page_count() {
    let s = Sandbox::new();
    let pdf = report_pdf(&s);
    let target = Sandbox::new();
    let id = target
        .ok(&["import", pdf.to_str().unwrap()])
        .trim()
        .to_owned();
    let shown: Value =
        serde_json::from_str(&target.ok(&["show", &id, "--json", "--content"])).unwrap();
    let content = shown["content"].as_str().unwrap();
    assert!(content.contains("Supervised exercise therapy"), "{content}");
    assert!(content.contains("Suggestions and decisions"), "{content}");
    assert!(
        content.contains("Participants will be assessed at baseline"),
        "the protocol text: {content}"
    );
    assert_eq!(shown["metadata"]["source_format"], "pdf");
    assert!(shown["metadata"]["page_count"].as_u64().unwrap() >= 2);
}

/// A one-page PDF with nothing drawn on the page: what a scan without OCR looks like to a text reader.
fn blank_pdf() -> Vec<u8> {
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        "<< /Length 0 >>\nstream\n\nendstream",
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

#[test]
fn a_pdf_without_a_text_layer_is_called_a_scan() {
    let s = Sandbox::new();
    let path = s.write("scan.pdf", blank_pdf());
    let out = s.run(&["import", path.to_str().unwrap()]);
    common::assert_failed_extraction(&s, &out, "no text layer (a scan?)");
}

#[test]
fn damaged_pdfs_are_kept_in_error_with_the_reason() {
    let s = Sandbox::new();
    let good = std::fs::read(report_pdf(&Sandbox::new())).unwrap();
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated.pdf", good[..good.len() / 3].to_vec()),
        (
            "garbage.pdf",
            b"%PDF-1.7\n\x01\x02 not a pdf at all".to_vec(),
        ),
    ];
    for (name, bytes) in cases {
        let path = s.write(name, bytes);
        let out = s.run(&["import", path.to_str().unwrap()]);
        let err = common::stderr(&out);
        let needle = if err.contains("text layer") {
            "text layer"
        } else {
            "PDF"
        };
        common::assert_failed_extraction(&s, &out, needle);
    }
}
