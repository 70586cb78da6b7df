//! The report as a Word document: real heading styles (so Word's
//! navigation pane and table of contents see them) and bordered tables
//! laid out as the schema requires (a column grid with widths, cell widths,
//! a header row repeated on every page), so that Word opens it without
//! "repairing" it and other readers (pandoc, LibreOffice) see every row.
//! A .docx is a zip of a few XML parts, written here directly.

use std::io::{Cursor, Write};

use super::{CHECKLIST_HEADER, Report, escape};

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/><Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" Target="docProps/core.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:cs="Calibri"/><w:sz w:val="21"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120"/></w:pPr></w:pPrDefault></w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Kicker"><w:name w:val="Kicker"/><w:basedOn w:val="Normal"/><w:rPr><w:caps/><w:color w:val="666666"/><w:sz w:val="18"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="40"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="30"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="200"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="25"/></w:rPr></w:style>
<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:color="999999"/><w:left w:val="single" w:sz="4" w:color="999999"/><w:bottom w:val="single" w:sz="4" w:color="999999"/><w:right w:val="single" w:sz="4" w:color="999999"/><w:insideH w:val="single" w:sz="4" w:color="999999"/><w:insideV w:val="single" w:sz="4" w:color="999999"/></w:tblBorders></w:tblPr></w:style>
</w:styles>"#;

/// The text width of an A4 page with the margins below, in twentieths of a point.
const TEXT_WIDTH: u32 = 11906 - 2 * 1134;

fn run(text: &str, bold: bool) -> String {
    let props = if bold { "<w:rPr><w:b/></w:rPr>" } else { "" };
    format!(
        r#"<w:r>{props}<w:t xml:space="preserve">{}</w:t></w:r>"#,
        escape(text)
    )
}

fn paragraph(style: Option<&str>, runs: &[String]) -> String {
    let props = style
        .map(|s| format!(r#"<w:pPr><w:pStyle w:val="{s}"/></w:pPr>"#))
        .unwrap_or_default();
    format!("<w:p>{props}{}</w:p>", runs.concat())
}

fn text(style: Option<&str>, text: &str) -> String {
    paragraph(style, &[run(text, false)])
}

/// Column widths (twips) from relative shares, summing to the text width.
fn column_widths(shares: &[f32]) -> Vec<u32> {
    let total: f32 = shares.iter().sum();
    let mut widths: Vec<u32> = shares
        .iter()
        .map(|s| (s / total * TEXT_WIDTH as f32).floor() as u32)
        .collect();
    let used: u32 = widths.iter().sum();
    if let Some(last) = widths.last_mut() {
        *last += TEXT_WIDTH - used;
    }
    widths
}

/// A table as the schema wants it: properties, a grid with one width per
/// column, then rows whose cells state their width; the header row
/// repeats on every page the table runs onto. Short rows are padded, so
/// every row has a cell per grid column.
fn table(header: &[&str], rows: &[Vec<String>], shares: &[f32]) -> String {
    let widths = column_widths(shares);
    let cell = |t: &str, width: u32, bold: bool| {
        format!(
            r#"<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>{}</w:tc>"#,
            paragraph(None, &[run(t, bold)])
        )
    };
    let row = |cells: &[&str], bold: bool| {
        let props = if bold {
            "<w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>"
        } else {
            "<w:trPr><w:cantSplit/></w:trPr>"
        };
        let cells: String = widths
            .iter()
            .enumerate()
            .map(|(i, w)| cell(cells.get(i).copied().unwrap_or(""), *w, bold))
            .collect();
        format!("<w:tr>{props}{cells}</w:tr>")
    };
    let mut xml = format!(
        r#"<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{TEXT_WIDTH}" w:type="dxa"/><w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="0" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>{}</w:tblGrid>"#,
        widths
            .iter()
            .map(|w| format!(r#"<w:gridCol w:w="{w}"/>"#))
            .collect::<String>()
    );
    xml.push_str(&row(header, true));
    for r in rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        xml.push_str(&row(&cells, false));
    }
    xml.push_str("</w:tbl>");
    xml
}

fn document(r: &Report) -> String {
    // A first line before the title: readers that lift a leading Title
    // paragraph into metadata (pandoc) then keep the title in the body.
    let mut body = vec![
        text(Some("Kicker"), "ProtoScribe review report"),
        text(Some("Title"), &r.title),
    ];
    for (k, v) in &r.facts {
        body.push(paragraph(
            None,
            &[run(&format!("{k}: "), true), run(v, false)],
        ));
    }
    body.push(text(Some("Heading1"), "Scores"));
    let scores: Vec<Vec<String>> = r
        .scores
        .iter()
        .map(|(n, v)| vec![n.clone(), v.map_or("—".to_owned(), |v| format!("{v:.1}"))])
        .collect();
    body.push(table(&["Score", "Value"], &scores, &[3.0, 1.0]));
    if !r.checklist.is_empty() {
        body.push(text(Some("Heading1"), "Checklist"));
        let rows: Vec<Vec<String>> = r
            .checklist
            .iter()
            .map(super::ChecklistLine::cells)
            .collect();
        body.push(table(&CHECKLIST_HEADER, &rows, &[1.4, 0.6, 2.2, 1.2, 4.0]));
    }
    body.push(text(Some("Heading1"), "Suggestions and decisions"));
    for (section, items) in r.by_section() {
        body.push(text(Some("Heading2"), section));
        for d in items {
            let head = d.heading();
            body.push(paragraph(None, &[run(&head, true)]));
            body.extend(
                d.content
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(|l| text(None, l)),
            );
            if let Some(m) = &d.modified {
                body.push(paragraph(
                    None,
                    &[run("Modified text: ", true), run(m, false)],
                ));
            }
            if let Some(c) = &d.comment {
                body.push(paragraph(None, &[run("Comment: ", true), run(c, false)]));
            }
        }
    }
    if let Some(t) = &r.text {
        body.push(text(Some("Heading1"), "Protocol text"));
        body.extend(
            t.lines()
                .filter(|l| !l.trim().is_empty())
                .map(|l| text(None, l)),
        );
    }
    body.push(text(
        None,
        &format!("Generated by ProtoScribe on {}.", r.generated_at),
    ));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{}<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1134" w:right="1134" w:bottom="1134" w:left="1134" w:header="567" w:footer="567" w:gutter="0"/></w:sectPr></w:body></w:document>"#,
        body.concat()
    )
}

/// The package's properties: the title Word shows in File > Info.
fn core_properties(r: &Report) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>{}</dc:title><dc:creator>ProtoScribe</dc:creator></cp:coreProperties>"#,
        escape(&r.title)
    )
}

pub fn render(r: &Report) -> std::io::Result<Vec<u8>> {
    let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let parts = [
        ("[Content_Types].xml", CONTENT_TYPES.to_owned()),
        ("_rels/.rels", RELS.to_owned()),
        ("word/_rels/document.xml.rels", DOCUMENT_RELS.to_owned()),
        ("word/styles.xml", STYLES.to_owned()),
        ("word/document.xml", document(r)),
        ("docProps/core.xml", core_properties(r)),
    ];
    for (name, content) in parts {
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(content.as_bytes())?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}
