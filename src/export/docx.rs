//! The report as a Word document: real heading styles (so Word's
//! navigation pane and table of contents see them) and bordered tables.
//! A .docx is a zip of a few XML parts, written here directly.

use std::io::{Cursor, Write};

use super::{CHECKLIST_HEADER, Report, escape};

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/><Override PartName="/word/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.styles+xml"/></Types>"#;

const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>"#;

const DOCUMENT_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#;

const STYLES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:docDefaults><w:rPrDefault><w:rPr><w:rFonts w:ascii="Calibri" w:hAnsi="Calibri" w:cs="Calibri"/><w:sz w:val="21"/></w:rPr></w:rPrDefault><w:pPrDefault><w:pPr><w:spacing w:after="120"/></w:pPr></w:pPrDefault></w:docDefaults>
<w:style w:type="paragraph" w:default="1" w:styleId="Normal"><w:name w:val="Normal"/></w:style>
<w:style w:type="paragraph" w:styleId="Title"><w:name w:val="Title"/><w:basedOn w:val="Normal"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="40"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading1"><w:name w:val="heading 1"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="240"/><w:outlineLvl w:val="0"/></w:pPr><w:rPr><w:b/><w:sz w:val="30"/></w:rPr></w:style>
<w:style w:type="paragraph" w:styleId="Heading2"><w:name w:val="heading 2"/><w:basedOn w:val="Normal"/><w:pPr><w:keepNext/><w:spacing w:before="200"/><w:outlineLvl w:val="1"/></w:pPr><w:rPr><w:b/><w:sz w:val="25"/></w:rPr></w:style>
<w:style w:type="table" w:styleId="TableGrid"><w:name w:val="Table Grid"/><w:tblPr><w:tblBorders><w:top w:val="single" w:sz="4" w:color="999999"/><w:left w:val="single" w:sz="4" w:color="999999"/><w:bottom w:val="single" w:sz="4" w:color="999999"/><w:right w:val="single" w:sz="4" w:color="999999"/><w:insideH w:val="single" w:sz="4" w:color="999999"/><w:insideV w:val="single" w:sz="4" w:color="999999"/></w:tblBorders></w:tblPr></w:style>
</w:styles>"#;

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

fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let cell = |t: &str, bold: bool| format!("<w:tc>{}</w:tc>", paragraph(None, &[run(t, bold)]));
    let mut xml = String::from(
        r#"<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="5000" w:type="pct"/></w:tblPr>"#,
    );
    xml.push_str(&format!(
        "<w:tr>{}</w:tr>",
        header.iter().map(|h| cell(h, true)).collect::<String>()
    ));
    for row in rows {
        xml.push_str(&format!(
            "<w:tr>{}</w:tr>",
            row.iter().map(|c| cell(c, false)).collect::<String>()
        ));
    }
    xml.push_str("</w:tbl>");
    xml
}

fn document(r: &Report) -> String {
    let mut body = vec![text(Some("Title"), &r.title)];
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
    body.push(table(&["Score", "Value"], &scores));
    if !r.checklist.is_empty() {
        body.push(text(Some("Heading1"), "Checklist"));
        let rows: Vec<Vec<String>> = r
            .checklist
            .iter()
            .map(super::ChecklistLine::cells)
            .collect();
        body.push(table(&CHECKLIST_HEADER, &rows));
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
    ];
    for (name, content) in parts {
        zip.start_file(name, options)
            .map_err(std::io::Error::other)?;
        zip.write_all(content.as_bytes())?;
    }
    Ok(zip.finish().map_err(std::io::Error::other)?.into_inner())
}
