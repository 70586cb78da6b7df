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

// ---- PDFs built here: structure, furniture, hostile files ---------------

/// A text line to draw: x, y from the bottom (points), font size, text.
type Draw<'a> = (f32, f32, f32, &'a str);

/// Escape a PDF literal string.
fn literal(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('(', "\\(")
        .replace(')', "\\)")
}

/// A content stream drawing lines in Helvetica.
fn content(lines: &[Draw<'_>]) -> String {
    lines
        .iter()
        .map(|(x, y, size, text)| {
            format!("BT /F1 {size} Tf {x} {y} Td ({}) Tj ET\n", literal(text))
        })
        .collect()
}

/// A PDF file of the given objects (object 1 the catalog), xref included.
fn pdf_file(objects: &[Vec<u8>]) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
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

fn stream(dict: &str, data: &[u8]) -> Vec<u8> {
    let mut o = format!("<< {dict} /Length {} >>\nstream\n", data.len()).into_bytes();
    o.extend_from_slice(data);
    o.extend_from_slice(b"\nendstream");
    o
}

/// A PDF with one page per content stream (A4, Helvetica).
fn pdf_of_pages(pages: &[String]) -> Vec<u8> {
    let n = pages.len();
    // 1 catalog, 2 pages, 3 font, then page i at 4 + 2i and its content at 5 + 2i.
    let kids: Vec<String> = (0..n).map(|i| format!("{} 0 R", 4 + 2 * i)).collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!("<< /Type /Pages /Kids [{}] /Count {n} >>", kids.join(" ")).into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_vec(),
    ];
    for (i, page) in pages.iter().enumerate() {
        objects.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents {} 0 R >>",
                5 + 2 * i
            )
            .into_bytes(),
        );
        objects.push(stream("", page.as_bytes()));
    }
    pdf_file(&objects)
}

fn import_pdf(s: &Sandbox, name: &str, bytes: Vec<u8>) -> Value {
    let path = s.write(name, bytes);
    let id = s.ok(&["import", path.to_str().unwrap()]).trim().to_owned();
    serde_json::from_str(&s.ok(&["show", &id, "--json", "--content"])).unwrap()
}

const BODY: [&str; 4] = [
    "Participants are adults with knee pain who attend one of twelve practices",
    "and give written consent; they are randomised by a central web service",
    "to supervised exercise or advice, in blocks of four, stratified by site.",
    "Outcomes are assessed at twelve weeks by assessors blind to allocation.",
];

#[test]
fn running_headers_footers_and_page_numbers_are_left_out_and_counted() {
    let pages: Vec<String> = (1..=4)
        .map(|n| {
            let mut lines: Vec<Draw<'_>> = vec![(
                56.0,
                800.0,
                9.0,
                "Protocol KNEE-EX version 2.0 - Confidential",
            )];
            for (i, l) in BODY.iter().enumerate() {
                lines.push((56.0, 600.0 - 14.0 * i as f32, 11.0, l));
            }
            let footer = format!("Page {n} of 4");
            let mut c = content(&lines);
            c.push_str(&content(&[(500.0, 30.0, 9.0, &footer)]));
            c
        })
        .collect();
    let s = Sandbox::new();
    let shown = import_pdf(&s, "furniture.pdf", pdf_of_pages(&pages));
    let text = shown["content"].as_str().unwrap();
    assert!(!text.contains("Confidential"), "{text}");
    assert!(!text.contains("Page 2 of 4"), "{text}");
    assert_eq!(text.matches("Participants are adults").count(), 4, "{text}");
    assert_eq!(shown["metadata"]["furniture_lines_removed"], 8);
    assert_eq!(shown["metadata"]["page_count"], 4);
}

#[test]
fn numbered_section_lines_become_headings_and_wrapped_lines_one_paragraph() {
    let mut lines: Vec<Draw<'_>> = vec![(56.0, 780.0, 14.0, "4.0  Study Design")];
    for (i, l) in BODY.iter().enumerate() {
        lines.push((56.0, 750.0 - 14.0 * i as f32, 11.0, l));
    }
    lines.push((56.0, 680.0, 12.0, "4.1  Randomisation"));
    lines.push((
        56.0,
        655.0,
        11.0,
        "Allocation is concealed by the web service until a participant is random-",
    ));
    lines.push((
        56.0,
        641.0,
        11.0,
        "ised; the randomised arm is then shown to the therapist only.",
    ));
    let s = Sandbox::new();
    let shown = import_pdf(&s, "headings.pdf", pdf_of_pages(&[content(&lines)]));
    let text = shown["content"].as_str().unwrap();
    assert!(text.starts_with("# 4.0 Study Design\n"), "{text}");
    assert!(text.contains("\n## 4.1 Randomisation\n"), "{text}");
    assert!(
        text.contains("who attend one of twelve practices and give written consent;"),
        "lines of a paragraph joined: {text}"
    );
    assert!(
        text.contains("until a participant is randomised; the randomised arm"),
        "a word hyphenated at a line end joined as the document spells it: {text}"
    );
    let headings = shown["metadata"]["headings"].as_array().unwrap();
    assert!(
        headings.iter().any(|h| h == "4.1 Randomisation"),
        "{headings:?}"
    );
}

#[test]
fn a_two_column_page_is_read_column_by_column() {
    let left = [
        "The left column opens the methods: adults",
        "with knee pain are randomised to exercise",
        "or advice by a central web service, and",
        "the allocation stays concealed until then.",
        "Assessors do not know the allocation.",
        "The left column ends here with its text.",
    ];
    let right = [
        "The right column holds the analysis: the",
        "primary outcome is compared by a linear",
        "model adjusted for the baseline score and",
        "site, with missing data imputed by chained",
        "equations under missing at random.",
        "The right column ends here with its text.",
    ];
    let mut lines: Vec<Draw<'_>> = vec![(
        56.0,
        790.0,
        14.0,
        "A TRIAL OF EXERCISE FOR KNEE PAIN IN PRIMARY CARE",
    )];
    for i in 0..6 {
        let y = 740.0 - 13.0 * i as f32;
        lines.push((56.0, y, 10.0, left[i]));
        lines.push((310.0, y, 10.0, right[i]));
    }
    let s = Sandbox::new();
    let shown = import_pdf(&s, "columns.pdf", pdf_of_pages(&[content(&lines)]));
    let text = shown["content"].as_str().unwrap();
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("The left column opens the methods: adults with knee pain are randomised"),
        "{words}"
    );
    let left_end = words
        .find("The left column ends here")
        .expect("left column");
    let right_start = words.find("The right column holds").expect("right column");
    assert!(left_end < right_start, "left before right: {words}");
}

#[test]
fn a_pdf_stream_that_inflates_past_the_limit_is_refused() {
    use std::io::Write;
    // 80 MiB of spaces in one content stream: under 100 KB compressed.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    let block = vec![b' '; 1 << 20];
    for _ in 0..80 {
        z.write_all(&block).unwrap();
    }
    let packed = z.finish().unwrap();
    assert!(packed.len() < 200_000);
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>".to_vec(),
        stream("/Filter /FlateDecode", &packed),
    ];
    let s = Sandbox::new();
    let path = s.write("bomb.pdf", pdf_file(&objects));
    common::assert_failed_extraction(
        &s,
        &s.run(&["import", path.to_str().unwrap()]),
        "inflates to more than 64 MiB",
    );
}

/// `pages` pages all drawing one shared content stream.
fn shared_stream_pdf(pages: usize, content: &[u8]) -> Vec<u8> {
    let first_page = 5;
    let kids: Vec<String> = (0..pages)
        .map(|i| format!("{} 0 R", first_page + i))
        .collect();
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        format!(
            "<< /Type /Pages /Kids [{}] /Count {pages} >>",
            kids.join(" ")
        )
        .into_bytes(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_vec(),
        stream("", content),
    ];
    for _ in 0..pages {
        objects.push(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>".to_vec(),
        );
    }
    pdf_file(&objects)
}

#[test]
fn many_pages_sharing_one_content_stream_are_read_once_each_within_limits() {
    let s = Sandbox::new();
    let text = content(&[(
        56.0,
        400.0,
        11.0,
        "Every page of this file says the same thing in the middle.",
    )]);
    // Thousands of pages: read in one pass (the page tree is walked once, not once per page).
    let shown = import_pdf(&s, "shared.pdf", shared_stream_pdf(3_000, text.as_bytes()));
    assert_eq!(shown["metadata"]["page_count"], 3_000);
    // Past the page limit: refused, with the count and what to do.
    let path = s.write("huge.pdf", shared_stream_pdf(5_001, text.as_bytes()));
    common::assert_failed_extraction(
        &s,
        &s.run(&["import", path.to_str().unwrap()]),
        "has 5001 pages, over the limit of 5000; split it",
    );
    // A large stream repeated by many pages: refused before it is decoded again and again.
    let big = format!("{}{}", text, " ".repeat(1 << 20));
    let path = s.write("repeated.pdf", shared_stream_pdf(600, big.as_bytes()));
    common::assert_failed_extraction(
        &s,
        &s.run(&["import", path.to_str().unwrap()]),
        "decode more than 512 MiB of content",
    );
}

#[test]
fn reading_that_takes_too_long_is_stopped_with_the_reason() {
    let s = Sandbox::new();
    let text = content(&[(56.0, 400.0, 11.0, "A page of text.")]);
    let path = s.write("slow.pdf", shared_stream_pdf(3, text.as_bytes()));
    let out = s
        .command()
        .env("PROTOSCRIBE_PDF_SECONDS", "0")
        .args(["import", path.to_str().unwrap()])
        .output()
        .unwrap();
    common::assert_failed_extraction(&s, &out, "took more than 0 s to read");
}

#[test]
fn an_institutional_pdf_protocol_has_its_numbered_sections_and_no_page_furniture() {
    let s = Sandbox::new();
    let id = s
        .ok(&["import", &common::nih("nih-haplo-transplant.pdf")])
        .trim()
        .to_owned();
    let shown: Value = serde_json::from_str(&s.ok(&["show", &id, "--json", "--content"])).unwrap();
    let text = shown["content"].as_str().unwrap();
    let top: Vec<&str> = text.lines().filter_map(|l| l.strip_prefix("# ")).collect();
    for heading in [
        "1.0 OBJECTIVES",
        "2.0 BACKGROUND",
        "4.0 STUDY DESIGN",
        "5.0 PATIENT SELECTION",
        "13.0 DATA AND SAFETY MONITORING",
        "14.0 STATISTICAL CONSIDERATIONS",
        "19.0 REFERENCES",
    ] {
        assert!(top.contains(&heading), "{heading:?} in {top:?}");
    }
    assert!(top.len() >= 15, "{top:?}");
    // The table of contents stays a list: no heading comes twice.
    let mut seen = std::collections::HashSet::new();
    assert!(top.iter().all(|h| seen.insert(*h)), "{top:?}");
    // No running header, footer or page-number line is left.
    for line in text.lines() {
        assert!(!line.contains("P a g e"), "{line}");
        assert_ne!(line.trim(), "Fitzhugh");
        assert_ne!(line.trim(), "09-H-0225");
    }
    assert_eq!(shown["metadata"]["page_count"], 52);
    assert!(
        shown["metadata"]["furniture_lines_removed"]
            .as_u64()
            .unwrap()
            >= 4 * 52
    );
}

// ---- Files whose structure loops or nests: the parser walks them by
// recursion, so each must be refused before it is, never crash or hang.

const FONT: &str = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>";
const LINE: &str = "BT /F1 12 Tf 56 700 Td (Participants are adults with knee pain.) Tj ET\n";

/// A one-page file (catalog 1, pages 2, page 3, font 4, content 5) whose
/// page draws XObject /X0 (object 6), followed by `more` objects from 6 on.
fn drawing_pdf(draw: &str, more: Vec<Vec<u8>>) -> Vec<u8> {
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> /XObject << /X0 6 0 R >> >> /Contents 5 0 R >>".to_vec(),
        FONT.as_bytes().to_vec(),
        stream("", format!("{LINE}{draw}").as_bytes()),
    ];
    objects.extend(more);
    pdf_file(&objects)
}

/// A form XObject whose content is `content` and whose resources name
/// `/X0` as object `next` (none if `next` is None).
fn form(content: &str, next: Option<usize>) -> Vec<u8> {
    let resources = match next {
        Some(n) => format!("/Resources << /Font << /F1 4 0 R >> /XObject << /X0 {n} 0 R >> >>"),
        None => String::new(),
    };
    stream(
        &format!("/Type /XObject /Subtype /Form /BBox [0 0 595 842] {resources}"),
        content.as_bytes(),
    )
}

/// Import under a time guard; refused in one line, nothing half-made.
fn assert_refused(s: &Sandbox, name: &str, bytes: Vec<u8>, needle: &str) {
    let path = s.write(name, bytes);
    let mut cmd = s.command();
    cmd.args(["import", path.to_str().unwrap()]);
    let out = common::output_within(&mut cmd, 60)
        .unwrap_or_else(|| panic!("{name}: import still running after 60 s"));
    common::assert_failed_extraction(s, &out, needle);
}

#[test]
fn a_form_that_draws_itself_is_refused_not_a_stack_overflow() {
    let s = Sandbox::new();
    // Object 6 draws /X0, which its own resources name as object 6.
    let itself = drawing_pdf("/X0 Do\n", vec![form(&format!("{LINE}/X0 Do\n"), Some(6))]);
    assert_refused(
        &s,
        "self.pdf",
        itself,
        "has a drawing (form XObject) that draws itself",
    );
    // Two forms drawing each other.
    let mutual = drawing_pdf(
        "/X0 Do\n",
        vec![form("/X0 Do\n", Some(7)), form("/X0 Do\n", Some(6))],
    );
    assert_refused(&s, "mutual.pdf", mutual, "draws itself");
    // A stream with no subtype and no resources of its own draws in the
    // page's, which name it: the parser reads any stream drawn as content.
    let bare = drawing_pdf("/X0 Do\n", vec![stream("/Type /XObject", b"/X0 Do\n")]);
    assert_refused(&s, "bare.pdf", bare, "draws itself");
    // An image is never read as drawing instructions, whatever its bytes.
    let image = drawing_pdf(
        "/X0 Do\n",
        vec![stream(
            "/Type /XObject /Subtype /Image /Width 1 /Height 1",
            b"/X0 Do\n",
        )],
    );
    let shown = import_pdf(&s, "image.pdf", image);
    assert!(
        shown["content"]
            .as_str()
            .unwrap()
            .contains("Participants are adults")
    );
}

#[test]
fn forms_nested_too_deep_or_drawn_too_often_are_refused() {
    let s = Sandbox::new();
    // A chain of 40 forms, each drawing the next once.
    let chain: Vec<Vec<u8>> = (0..40)
        .map(|i| form("/X0 Do\n", Some(7 + i)))
        .chain([form(LINE, None)])
        .collect();
    assert_refused(
        &s,
        "deep.pdf",
        drawing_pdf("/X0 Do\n", chain),
        "nests drawings (form XObjects) more than 32 levels deep",
    );
    // 25 forms each drawing the next twice: 2^25 drawings of a line from
    // a file of a few KB (a "billion laughs" of drawings).
    let doubling: Vec<Vec<u8>> = (0..25)
        .map(|i| form(&format!("{LINE}/X0 Do /X0 Do\n"), Some(7 + i)))
        .chain([form(LINE, None)])
        .collect();
    assert_refused(
        &s,
        "laughs.pdf",
        drawing_pdf("/X0 Do\n", doubling),
        "decode more than 512 MiB of content",
    );
}

#[test]
fn a_page_tree_or_parent_chain_that_loops_is_refused_not_a_hang() {
    let s = Sandbox::new();
    let page = "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>";
    let tree = |pages: &str, extra: Vec<Vec<u8>>| {
        let mut objects = vec![
            b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
            pages.as_bytes().to_vec(),
            page.as_bytes().to_vec(),
            FONT.as_bytes().to_vec(),
            stream("", LINE.as_bytes()),
        ];
        objects.extend(extra);
        pdf_file(&objects)
    };
    // The root lists itself among its kids (read as pages again and again).
    assert_refused(
        &s,
        "kids.pdf",
        tree("<< /Type /Pages /Kids [3 0 R 2 0 R] /Count 2 >>", vec![]),
        "has a page tree that loops back on itself",
    );
    // A page inheriting its media box up a chain of parents that loops
    // (the parser climbed it for ever).
    let orphan =
        "<< /Type /Page /Parent 6 0 R /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>";
    assert_refused(
        &s,
        "parents.pdf",
        tree(
            "<< /Type /Pages /Kids [7 0 R] /Count 1 >>",
            vec![
                b"<< /Type /Pages /Parent 8 0 R >>".to_vec(),
                orphan.as_bytes().to_vec(),
                b"<< /Type /Pages /Parent 6 0 R >>".to_vec(),
            ],
        ),
        "has a page whose chain of parents loops back on itself",
    );
}

#[test]
fn a_form_drawn_on_a_page_is_read_once_per_drawing() {
    // The check before reading leaves ordinary forms alone: drawn twice,
    // read twice.
    let s = Sandbox::new();
    let pdf = drawing_pdf(
        "/X0 Do\n/X0 Do\n",
        vec![
            form(
                "BT /F1 12 Tf 56 500 Td (Outcomes are assessed at twelve weeks.) Tj ET\n",
                Some(7),
            ),
            form("", None),
        ],
    );
    let shown = import_pdf(&s, "forms.pdf", pdf);
    let text = shown["content"].as_str().unwrap();
    assert!(text.contains("Participants are adults"), "{text}");
    assert_eq!(text.matches("Outcomes are assessed").count(), 2, "{text}");
}

// ---- Object streams: the loader unpacks them, and keeps them, before
// any page is read.

/// A PDF 1.5 file with a cross-reference stream: objects 1..=n are
/// `objects`, object n + 1 the first object packed in object stream
/// `packed_in`, then `after`; `trailer` goes into the trailer.
fn xref_stream_pdf(
    objects: &[Vec<u8>],
    packed_in: usize,
    after: &[Vec<u8>],
    trailer: &str,
) -> Vec<u8> {
    let mut out = b"%PDF-1.5\n".to_vec();
    let mut rows = vec![0u8, 0, 0, 0, 0, 0xff];
    let put = |out: &mut Vec<u8>, rows: &mut Vec<u8>, number: usize, o: &[u8]| {
        rows.push(1);
        rows.extend_from_slice(&(out.len() as u32).to_be_bytes());
        rows.push(0);
        out.extend_from_slice(format!("{number} 0 obj\n").as_bytes());
        out.extend_from_slice(o);
        out.extend_from_slice(b"\nendobj\n");
    };
    for (i, o) in objects.iter().enumerate() {
        put(&mut out, &mut rows, i + 1, o);
    }
    rows.push(2);
    rows.extend_from_slice(&(packed_in as u32).to_be_bytes());
    rows.push(0);
    for (i, o) in after.iter().enumerate() {
        put(&mut out, &mut rows, objects.len() + 2 + i, o);
    }
    let xref = out.len();
    rows.push(1);
    rows.extend_from_slice(&(xref as u32).to_be_bytes());
    rows.push(0);
    let size = objects.len() + after.len() + 3;
    out.extend_from_slice(
        format!(
            "{} 0 obj\n<< /Type /XRef /Size {size} /W [1 4 1] /Root 1 0 R {trailer} /Length {} >>\nstream\n",
            size - 1,
            rows.len()
        )
        .as_bytes(),
    );
    out.extend_from_slice(&rows);
    out.extend_from_slice(format!("\nendstream\nendobj\nstartxref\n{xref}\n%%EOF\n").as_bytes());
    out
}

/// Flate-compressed: `head`, then `mib` MiB of spaces.
fn packed_spaces(head: &[u8], mib: usize) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    z.write_all(head).unwrap();
    let block = vec![b' '; 1 << 20];
    for _ in 0..mib {
        z.write_all(&block).unwrap();
    }
    z.finish().unwrap()
}

/// A PDF dictionary written out (the kinds an Encrypt dictionary holds).
fn pdf_dict(dict: &pdf_extract::Dictionary) -> String {
    use pdf_extract::Object;
    let value = |o: &Object| match o {
        Object::Name(n) => format!("/{}", String::from_utf8_lossy(n)),
        Object::Integer(i) => i.to_string(),
        Object::Boolean(b) => b.to_string(),
        Object::String(s, _) => format!(
            "<{}>",
            s.iter().map(|b| format!("{b:02x}")).collect::<String>()
        ),
        Object::Dictionary(d) => pdf_dict(d),
        other => panic!("not in an Encrypt dictionary: {other:?}"),
    };
    let entries: Vec<String> = dict
        .iter()
        .map(|(k, v)| format!("/{} {}", String::from_utf8_lossy(k), value(v)))
        .collect();
    format!("<< {} >>", entries.join(" "))
}

#[test]
fn object_streams_that_inflate_past_their_limit_are_refused_before_they_are_unpacked() {
    // Twenty object streams of 60 MiB of spaces each, every one under the
    // limit of one stream: the loader used to unpack (and keep) them up to
    // the 512 MiB total, over 800 MB of memory for a 1 MB file.
    let mut objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        FONT.as_bytes().to_vec(),
        stream("", LINE.as_bytes()),
    ];
    let packed = packed_spaces(b"26 0 (x)", 60);
    for _ in 0..20 {
        objects.push(stream(
            "/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode",
            &packed,
        ));
    }
    let s = Sandbox::new();
    assert_refused(
        &s,
        "packed.pdf",
        xref_stream_pdf(&objects, 6, &[], ""),
        "has object streams that inflate to more than 64 MiB",
    );
}

#[test]
fn an_encrypted_file_s_object_stream_is_measured_before_it_is_unpacked() {
    use pdf_extract::encryption::encrypt_object;
    use pdf_extract::{
        Dictionary, Document, EncryptionState, EncryptionVersion, Object, Permissions, Stream,
        StringFormat,
    };
    // Encrypted with an empty user password (opens without one, as many
    // published PDFs do): the loader decrypts it and unpacks its object
    // streams with no limit and no filter, so a 100 KB file made it hold
    // 100 MiB and more, and the file was imported.
    let file_id = Object::String(vec![7; 16], StringFormat::Hexadecimal);
    let mut doc = Document::new();
    doc.trailer
        .set("ID", Object::Array(vec![file_id.clone(), file_id]));
    let state = EncryptionState::try_from(EncryptionVersion::V2 {
        document: &doc,
        owner_password: "owner",
        user_password: "",
        key_length: 128,
        permissions: Permissions::all(),
    })
    .unwrap();
    let encrypted = |id: u32, dict: Dictionary, data: Vec<u8>| -> Vec<u8> {
        let mut object = Object::Stream(Stream::new(dict, data));
        encrypt_object(&state, (id, 0), &mut object).unwrap();
        let Object::Stream(s) = object else {
            unreachable!()
        };
        let mut dict = s.dict.clone();
        dict.remove(b"Length");
        let mut keys = String::new();
        for (k, v) in dict.iter() {
            if let Object::Name(n) = v {
                keys.push_str(&format!(
                    "/{} /{} ",
                    String::from_utf8_lossy(k),
                    String::from_utf8_lossy(n)
                ));
            } else if let Object::Integer(i) = v {
                keys.push_str(&format!("/{} {i} ", String::from_utf8_lossy(k)));
            }
        }
        stream(&keys, &s.content)
    };
    let mut packed = Dictionary::new();
    packed.set("Type", Object::Name(b"ObjStm".to_vec()));
    packed.set("N", Object::Integer(1));
    packed.set("First", Object::Integer(4));
    packed.set("Filter", Object::Name(b"FlateDecode".to_vec()));
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        FONT.as_bytes().to_vec(),
        encrypted(5, Dictionary::new(), LINE.as_bytes().to_vec()),
        encrypted(6, packed, packed_spaces(b"7 0 (x)", 100)),
        // Object 7 is packed in object 6; object 8 is the Encrypt dictionary.
    ];
    let encrypt = pdf_dict(&state.encode().unwrap());
    let trailer = format!("/Encrypt 8 0 R /ID [<{0}> <{0}>]", "07".repeat(16));
    let bytes = xref_stream_pdf(&objects, 6, &[encrypt.into_bytes()], &trailer);
    let s = Sandbox::new();
    assert_refused(&s, "sealed.pdf", bytes, "inflates to more than 64 MiB");
}

// ---- One page's worth: the parser holds a page's instructions decoded,
// and every character drawn on it, until the page ends.

#[test]
fn a_page_that_draws_countless_characters_is_refused() {
    // 300,000 characters in one string: a few hundred KB of file that held
    // every glyph (some 70 bytes each) of every page to the end.
    let text = "a".repeat(300_000);
    let page = format!("BT /F1 1 Tf 20 400 Td ({text}) Tj ET\n");
    let s = Sandbox::new();
    assert_refused(
        &s,
        "crowded.pdf",
        pdf_of_pages(&[page]),
        "draws more than 200000 characters on page 1",
    );
}

#[test]
fn a_page_of_more_than_8_mib_of_instructions_is_refused_before_it_is_decoded() {
    // 20 MiB of instructions for one page, 20 KB packed: the parser's
    // decoded form of them takes up to some eighty times that.
    let packed = packed_spaces(LINE.as_bytes(), 20);
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        FONT.as_bytes().to_vec(),
        stream("/Filter /FlateDecode", &packed),
    ];
    let s = Sandbox::new();
    assert_refused(
        &s,
        "heavy.pdf",
        pdf_file(&objects),
        "makes page 1 decode more than 8 MiB of drawing instructions",
    );
}

#[test]
fn a_form_of_more_than_8_mib_of_instructions_is_refused_before_it_is_decoded() {
    // Drawn from a page of one line: the form's instructions count for the
    // page. A 56 MiB form of arrays (a 115 KB file) peaked at 4.6 GB.
    let packed = packed_spaces(LINE.as_bytes(), 20);
    let big = stream(
        "/Type /XObject /Subtype /Form /BBox [0 0 595 842] /Filter /FlateDecode",
        &packed,
    );
    let s = Sandbox::new();
    assert_refused(
        &s,
        "form.pdf",
        drawing_pdf("/X0 Do\n", vec![big]),
        "makes page 1 decode more than 8 MiB of drawing instructions",
    );
}

#[test]
fn deep_nesting_and_looping_outlines_end_in_an_error_or_an_import() {
    // Guards for what the loader already withstands (its parser stops
    // nesting at a depth of its own; outlines are never walked): these
    // must stay a one-line error or a correct import, never a crash.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let resources = format!("<< /Font << /F1 4 0 R >> /X {deep} >>");
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources 6 0 R /Contents 5 0 R >>"
            .to_vec(),
        FONT.as_bytes().to_vec(),
        stream("", format!("{LINE}{}", "[".repeat(100_000)).as_bytes()),
        resources.into_bytes(),
    ];
    let s = Sandbox::new();
    assert_refused(
        &s,
        "nested.pdf",
        pdf_file(&objects),
        "is a damaged or incomplete PDF",
    );
    // An outline whose items are each other's next and first child.
    let objects = vec![
        b"<< /Type /Catalog /Pages 2 0 R /Outlines 6 0 R >>".to_vec(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_vec(),
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_vec(),
        FONT.as_bytes().to_vec(),
        stream("", LINE.as_bytes()),
        b"<< /Type /Outlines /First 7 0 R /Last 7 0 R /Count 1 >>".to_vec(),
        b"<< /Title (A) /Parent 6 0 R /Next 7 0 R /Prev 7 0 R /First 7 0 R /Dest [3 0 R /Fit] >>".to_vec(),
    ];
    let mut cmd = s.command();
    let path = s.write("outline.pdf", pdf_file(&objects));
    cmd.args(["import", path.to_str().unwrap()]);
    let out = common::output_within(&mut cmd, 60).expect("import ends");
    assert!(out.status.success(), "{}", common::stderr(&out));
}

#[test]
fn a_page_with_a_large_image_is_read_for_its_text() {
    // A 3000 x 2400 RGB picture, 21 MiB of pixels: images are not read as
    // instructions, so they count for nothing against a page's limit.
    let pixels = packed_spaces(b"", 21);
    let image = stream(
        "/Type /XObject /Subtype /Image /Width 3000 /Height 2400 /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode",
        &pixels,
    );
    let s = Sandbox::new();
    let shown = import_pdf(
        &s,
        "photo.pdf",
        drawing_pdf("q 200 0 0 200 50 50 cm /X0 Do Q\n", vec![image]),
    );
    let text = shown["content"].as_str().unwrap();
    assert!(text.contains("Participants are adults"), "{text}");
}
