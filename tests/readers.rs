//! Reports read by tools that are not ProtoScribe: pandoc reads the Word
//! report, qpdf checks the PDF's structure and poppler's pdftotext reads
//! its text. These tools are installed by `.ci/run`; a test that needs
//! one fails (it does not skip) when the tool is missing.

mod common;

use std::io::Read;
use std::path::Path;
use std::process::Command;

use common::Sandbox;
use quick_xml::events::Event;
use serde_json::Value;

/// Run an outside tool; fail the test, saying how to install it, when it is missing.
fn tool(name: &str, args: &[&str]) -> std::process::Output {
    let package = match name {
        "pdftotext" | "pdffonts" => "poppler-utils",
        other => other,
    };
    Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} cannot run ({e}); install it: apt-get install {package} (.ci/run does)")
    })
}

fn tool_ok(name: &str, args: &[&str]) -> String {
    let out = tool(name, args);
    assert!(
        out.status.success(),
        "{name} {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8 output")
}

fn analysed(s: &Sandbox, fixture: &str) -> String {
    let id = s.import_fixture(fixture);
    s.ok(&["analyze", &id]);
    id
}

// ---- pandoc on the Word report ----------------------------------------

/// The plain text of a pandoc JSON fragment: its `Str`s, spaces kept.
fn stringify(v: &Value, out: &mut String) {
    match v {
        Value::Object(o) => match o.get("t").and_then(Value::as_str) {
            Some("Str") => out.push_str(o["c"].as_str().unwrap_or_default()),
            Some("Space" | "SoftBreak" | "LineBreak") => out.push(' '),
            _ => {
                if let Some(c) = o.get("c") {
                    stringify(c, out);
                }
            }
        },
        Value::Array(a) => {
            for x in a {
                stringify(x, out);
            }
        }
        _ => {}
    }
}

fn text_of(v: &Value) -> String {
    let mut s = String::new();
    stringify(v, &mut s);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// What pandoc saw: headings in order, and each table as rows of cell texts.
struct PandocView {
    headings: Vec<String>,
    tables: Vec<Vec<Vec<String>>>,
}

fn rows_of(rows: &Value) -> Vec<Vec<String>> {
    rows.as_array()
        .into_iter()
        .flatten()
        .map(|row| {
            // Row = [attr, cells]; cell = [attr, align, rowspan, colspan, blocks].
            row[1]
                .as_array()
                .into_iter()
                .flatten()
                .map(|cell| text_of(&cell[4]))
                .collect()
        })
        .collect()
}

fn walk(v: &Value, view: &mut PandocView) {
    match v {
        Value::Object(o) => match o.get("t").and_then(Value::as_str) {
            Some("Header") => view.headings.push(text_of(&o["c"][2])),
            Some("Table") => {
                // Table = [attr, caption, colspecs, head, bodies, foot].
                let c = &o["c"];
                let mut rows = rows_of(&c[3][1]);
                for body in c[4].as_array().into_iter().flatten() {
                    // Body = [attr, row-head columns, head rows, rows].
                    rows.extend(rows_of(&body[2]));
                    rows.extend(rows_of(&body[3]));
                }
                view.tables.push(rows);
            }
            _ => {
                for x in o.values() {
                    walk(x, view);
                }
            }
        },
        Value::Array(a) => {
            for x in a {
                walk(x, view);
            }
        }
        _ => {}
    }
}

fn pandoc_view(docx: &Path) -> PandocView {
    let json = tool_ok("pandoc", &[docx.to_str().unwrap(), "-t", "json"]);
    let ast: Value = serde_json::from_str(&json).expect("pandoc JSON");
    let mut view = PandocView {
        headings: Vec::new(),
        tables: Vec::new(),
    };
    walk(&ast["blocks"], &mut view);
    view
}

#[test]
fn pandoc_reads_every_heading_and_every_table_row_of_a_word_report() {
    let s = Sandbox::new();
    let id = analysed(&s, "partial-knee-exercise.txt");
    let docx = s.export(&id, "docx", "r.docx", &[]);
    let view = pandoc_view(&docx);

    // Every heading the report has, in order (section headings from the Markdown report).
    let markdown = std::fs::read_to_string(s.export(&id, "markdown", "r.md", &[])).unwrap();
    let expected: Vec<String> = markdown
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .map(|h| h.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert!(expected.len() > 4, "{expected:?}");
    assert_eq!(view.headings, expected);

    assert_eq!(view.tables.len(), 2, "the Scores and Checklist tables");
    let scores = &view.tables[0];
    assert_eq!(scores[0], ["Score", "Value"]);
    let (overall, spirit) = common::latest_scores(&s, &id);
    assert_eq!(scores[1], ["Overall".to_owned(), overall]);
    assert_eq!(scores[2], ["SPIRIT 2013".to_owned(), spirit]);
    assert_eq!(scores.len(), 4, "{scores:?}");

    let checklist = &view.tables[1];
    assert_eq!(
        checklist[0],
        ["Guideline", "Item", "Topic", "Verdict", "Evidence"]
    );
    let items: Value = serde_json::from_str(&s.ok(&["checklist", &id, "--json"])).unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(checklist.len(), items.len() + 1, "one row per item");
    for (row, item) in checklist[1..].iter().zip(items) {
        assert_eq!(row.len(), 5, "{row:?}");
        assert_eq!(row[0], item["guideline"].as_str().unwrap());
        assert_eq!(row[1], item["item"].as_str().unwrap());
    }
    let concealment = checklist
        .iter()
        .find(|r| r[0] == "SPIRIT 2013" && r[1] == "16b")
        .expect("item 16b");
    assert_eq!(concealment[3], common::verdict_label(&s, &id, "16b"));
}

#[test]
fn pandoc_sees_the_title_in_the_body_of_a_word_report() {
    let s = Sandbox::new();
    let id = analysed(&s, "partial-knee-exercise.txt");
    let docx = s.export(&id, "docx", "r.docx", &[]);
    let plain = tool_ok("pandoc", &[docx.to_str().unwrap(), "-t", "plain"]);
    let plain = plain.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        plain.contains("Supervised exercise therapy for people with knee osteoarthritis"),
        "{plain}"
    );
}

// ---- the Word report's XML against the schema's table rules ------------

fn part(docx: &Path, name: &str) -> String {
    let file = std::fs::File::open(docx).unwrap();
    let mut zip = zip::ZipArchive::new(file).unwrap();
    let mut text = String::new();
    zip.by_name(name)
        .unwrap_or_else(|_| panic!("{name} in the package"))
        .read_to_string(&mut text)
        .unwrap();
    text
}

/// One element of the document: its name, attributes and children.
#[derive(Debug)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

impl Node {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    fn kids<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    fn all<'a>(&'a self, name: &str, out: &mut Vec<&'a Node>) {
        if self.name == name {
            out.push(self);
        }
        for c in &self.children {
            c.all(name, out);
        }
    }
}

fn tree(xml: &str) -> Node {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack = vec![Node {
        name: "#root".into(),
        attrs: vec![],
        children: vec![],
    }];
    let node = |e: &quick_xml::events::BytesStart<'_>| Node {
        name: e.name().as_ref().to_owned(),
        attrs: e
            .attributes()
            .flatten()
            .map(|a| (a.key.as_ref().to_owned(), a.value.to_string()))
            .collect(),
        children: vec![],
    };
    loop {
        match reader.read_event().expect("well-formed XML") {
            Event::Start(e) => stack.push(node(&e)),
            Event::Empty(e) => {
                let n = node(&e);
                stack.last_mut().unwrap().children.push(n);
            }
            Event::End(_) => {
                let n = stack.pop().unwrap();
                stack.last_mut().unwrap().children.push(n);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(stack.len(), 1, "every element closed");
    stack.pop().unwrap()
}

#[test]
fn word_report_tables_have_what_the_schema_requires() {
    let s = Sandbox::new();
    let id = analysed(&s, "partial-knee-exercise.txt");
    let docx = s.export(&id, "docx", "r.docx", &[]);
    let doc = tree(&part(&docx, "word/document.xml"));
    let mut tables = Vec::new();
    doc.all("w:tbl", &mut tables);
    assert_eq!(tables.len(), 2);
    for table in tables {
        let names: Vec<&str> = table.children.iter().map(|c| c.name.as_str()).collect();
        // CT_Tbl: tblPr, then tblGrid, then rows.
        assert_eq!(&names[..2], ["w:tblPr", "w:tblGrid"], "{names:?}");
        assert!(names[2..].iter().all(|n| *n == "w:tr") && names.len() > 2);
        let grid: Vec<u32> = table.children[1]
            .kids("w:gridCol")
            .map(|g| g.attr("w:w").expect("a width").parse().expect("a number"))
            .collect();
        assert!(grid.iter().all(|w| *w > 0), "{grid:?}");
        let total: u32 = grid.iter().sum();
        let tbl_w = table.children[0]
            .kids("w:tblW")
            .next()
            .expect("table width");
        assert_eq!(tbl_w.attr("w:w"), Some(total.to_string().as_str()));
        for (r, row) in table.kids("w:tr").enumerate() {
            let cells: Vec<&Node> = row.kids("w:tc").collect();
            assert_eq!(cells.len(), grid.len(), "a cell per grid column");
            for (cell, width) in cells.iter().zip(&grid) {
                let first = &cell.children[0];
                assert_eq!(first.name, "w:tcPr", "tcPr comes first");
                let tcw = first.kids("w:tcW").next().expect("cell width");
                assert_eq!(tcw.attr("w:w"), Some(width.to_string().as_str()));
                assert_eq!(
                    cell.children.last().map(|c| c.name.as_str()),
                    Some("w:p"),
                    "a cell ends with a paragraph"
                );
            }
            let header = row
                .kids("w:trPr")
                .next()
                .is_some_and(|p| p.kids("w:tblHeader").next().is_some());
            assert_eq!(header, r == 0, "only the first row repeats on each page");
        }
    }
    // The title is in the body, in the Title style, and in the package properties.
    let mut paragraphs = Vec::new();
    doc.all("w:pStyle", &mut paragraphs);
    assert!(paragraphs.iter().any(|p| p.attr("w:val") == Some("Title")));
    assert!(part(&docx, "docProps/core.xml").contains(
        "<dc:title>Supervised exercise therapy for people with knee osteoarthritis in primary care</dc:title>"
    ));
    // Every part named in the package has a content type.
    let types = part(&docx, "[Content_Types].xml");
    for name in [
        "/word/document.xml",
        "/word/styles.xml",
        "/docProps/core.xml",
    ] {
        assert!(types.contains(&format!("PartName=\"{name}\"")), "{name}");
    }
}

// ---- qpdf and pdftotext on the PDF report ------------------------------

#[test]
fn a_pdf_report_passes_qpdf_and_reads_back_in_order() {
    let s = Sandbox::new();
    let id = analysed(&s, "partial-knee-exercise.txt");
    let pdf = s.export(&id, "pdf", "r.pdf", &["--with-text"]);
    let check = tool("qpdf", &["--check", pdf.to_str().unwrap()]);
    assert_eq!(
        check.status.code(),
        Some(0),
        "qpdf --check: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("No syntax or stream encoding errors"));

    let text = tool_ok("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    // In reading order: title, scores row by row, checklist, suggestions, the text.
    let (overall, spirit) = common::latest_scores(&s, &id);
    let mut at = 0;
    for needle in [
        "Supervised exercise therapy for people with knee osteoarthritis",
        "Scores",
        &format!("Overall {overall}"),
        &format!("SPIRIT 2013 {spirit}"),
        "Checklist",
        "SPIRIT 2013 1 Title",
        &format!(
            "SPIRIT 2013 16b Allocation: concealment mechanism {}",
            common::verdict_label(&s, &id, "16b")
        ),
        "Suggestions and decisions",
        "Protocol text",
        "Participants will be assessed at baseline",
    ] {
        let found = words[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} after byte {at} in: {words}"));
        at += found + needle.len();
    }
    let pages: usize = tool_ok("pdfinfo", &[pdf.to_str().unwrap()])
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .expect("a page count");
    assert!(pages >= 2);
    for n in 1..=pages {
        assert!(words.contains(&format!("Page {n} of {pages}")), "page {n}");
    }
}

#[test]
fn a_pdf_report_prints_symbols_and_names_beyond_latin_1() {
    let s = Sandbox::new();
    let title = "Sirolimus dose ≥ 2 mg: a trial by Łukasz Żółć and Ольга Иванова";
    let body = "\n\n## 1. Sample size\nWe need n ≥ 120 (α = 0.05, β = 0.2, χ² test), doses of 5 µg ± 1, a ≤ 10% loss; led by Σοφία Παπαδοπούλου.\n";
    let id = s.import("unicode.md", &format!("# {title}{body}"));
    s.ok(&["analyze", &id]);
    let pdf = s.export(&id, "pdf", "u.pdf", &["--with-text"]);
    assert_eq!(
        tool("qpdf", &["--check", pdf.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let text = tool_ok("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    for needle in [
        title,
        "n ≥ 120 (α = 0.05, β = 0.2, χ² test)",
        "5 µg ± 1, a ≤ 10% loss",
        "Σοφία Παπαδοπούλου",
        "✗ missing",
        "◐ partly",
    ] {
        assert!(text.contains(needle), "{needle:?} in: {text}");
    }
    // The font travels with the file, cut down to what the report uses.
    let fonts = tool_ok("pdffonts", &[pdf.to_str().unwrap()]);
    let row = fonts
        .lines()
        .find(|l| l.contains("DejaVuSans"))
        .unwrap_or_else(|| panic!("{fonts}"));
    let flags: Vec<&str> = row.split_whitespace().collect();
    assert!(flags.contains(&"yes"), "{row}");
    assert!(row.contains('+'), "a subset: {row}");
    assert!(std::fs::metadata(&pdf).unwrap().len() < 200_000);
}
