//! Text from Word (.docx) files: paragraphs, headings (from Word's heading
//! styles and outline levels, written as `#` lines so the structure
//! survives), list items one per line, and table rows with their cells
//! separated by ` | `.
//!
//! A .docx is a zip of XML; everything read from it is bounded, so a zip
//! bomb or a damaged archive is an error, never an exhausted machine.

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::Event;

/// Most bytes the document's XML may unpack to.
const MAX_XML: u64 = 64 << 20;
/// Most entries an archive may list.
const MAX_ENTRIES: usize = 20_000;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DocxError {
    #[error(
        "is a damaged or incomplete .docx (it cannot be opened as a zip archive); save it again from Word"
    )]
    NotZip,
    #[error("is a zip archive but not a Word document (it has no word/document.xml)")]
    NotWord,
    #[error("unpacks to more than 64 MiB of text (a zip bomb?); it was not imported")]
    TooLarge,
    #[error("is a damaged .docx (its XML cannot be read: {0}); save it again from Word")]
    BadXml(String),
}

pub fn extract(bytes: &[u8]) -> Result<String, DocxError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| DocxError::NotZip)?;
    if archive.len() > MAX_ENTRIES {
        return Err(DocxError::TooLarge);
    }
    let mut xml = Vec::new();
    {
        let file = archive.by_name("word/document.xml").map_err(|e| match e {
            zip::result::ZipError::FileNotFound => DocxError::NotWord,
            _ => DocxError::NotZip,
        })?;
        if file.size() > MAX_XML {
            return Err(DocxError::TooLarge);
        }
        // The declared size can lie: read one byte past the limit at most.
        file.take(MAX_XML + 1)
            .read_to_end(&mut xml)
            .map_err(|_| DocxError::NotZip)?;
    }
    if xml.len() as u64 > MAX_XML {
        return Err(DocxError::TooLarge);
    }
    parse(&xml)
}

/// Where text being read belongs.
#[derive(Default)]
struct State {
    out: String,
    paragraph: String,
    style_level: Option<usize>,
    list: bool,
    in_text: bool,
    table_depth: usize,
    row: Vec<String>,
    cell: Option<String>,
}

impl State {
    fn end_paragraph(&mut self) {
        let text = self.paragraph.trim().to_owned();
        self.paragraph.clear();
        let (level, list) = (self.style_level.take(), std::mem::take(&mut self.list));
        if text.is_empty() {
            return;
        }
        if let Some(cell) = &mut self.cell {
            if !cell.is_empty() {
                cell.push_str(" / ");
            }
            cell.push_str(&text);
            return;
        }
        match level {
            Some(level) => {
                self.out
                    .push_str(&format!("\n{} {text}\n\n", "#".repeat(level.clamp(1, 6))));
            }
            None if list => self.out.push_str(&format!("- {text}\n")),
            None => self.out.push_str(&format!("{text}\n\n")),
        }
    }

    fn end_row(&mut self) {
        let cells: Vec<String> = std::mem::take(&mut self.row)
            .into_iter()
            .map(|c| c.replace('|', "/"))
            .collect();
        if cells.iter().any(|c| !c.trim().is_empty()) {
            self.out.push_str(&format!("| {} |\n", cells.join(" | ")));
        }
    }
}

/// "Heading2" → 2; "Title" → 1.
fn heading_level(style: &str) -> Option<usize> {
    let lower = style.to_ascii_lowercase();
    if lower == "title" {
        return Some(1);
    }
    let digits = lower
        .strip_prefix("heading")?
        .trim_start_matches([' ', '_', '-']);
    digits.parse().ok()
}

fn attr(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| a.value.to_string())
}

fn parse(xml: &[u8]) -> Result<String, DocxError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut s = State::default();
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| DocxError::BadXml(e.to_string()))?;
        match event {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "p" => s.paragraph.clear(),
                "pStyle" => {
                    s.style_level = attr(&e, "val")
                        .as_deref()
                        .and_then(heading_level)
                        .or(s.style_level)
                }
                "outlineLvl" => {
                    if let Some(level) = attr(&e, "val").and_then(|v| v.parse::<usize>().ok()) {
                        s.style_level = Some(level + 1);
                    }
                }
                "numPr" => s.list = true,
                "t" => s.in_text = true,
                "tab" => s.paragraph.push('\t'),
                "br" | "cr" => s.paragraph.push(' '),
                "tbl" => s.table_depth += 1,
                "tr" => s.row.clear(),
                "tc" => s.cell = Some(String::new()),
                _ => {}
            },
            Event::End(e) => match e.local_name().as_ref() {
                "p" => s.end_paragraph(),
                "t" => s.in_text = false,
                "tc" => {
                    let cell = s.cell.take().unwrap_or_default();
                    s.row.push(cell);
                }
                "tr" => s.end_row(),
                "tbl" => {
                    s.table_depth = s.table_depth.saturating_sub(1);
                    s.out.push('\n');
                }
                _ => {}
            },
            Event::Text(t) if s.in_text => s.paragraph.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if s.in_text => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match r.as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = resolved {
                    s.paragraph.push(c);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    Ok(s.out.trim().to_owned() + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(inner: &str) -> String {
        format!(
            r#"<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>{inner}</w:body></w:document>"#
        )
    }

    fn para(style: Option<&str>, text: &str) -> String {
        let style = style
            .map(|s| format!(r#"<w:pPr><w:pStyle w:val="{s}"/></w:pPr>"#))
            .unwrap_or_default();
        format!("<w:p>{style}<w:r><w:t>{text}</w:t></w:r></w:p>")
    }

    #[test]
    fn headings_paragraphs_lists_and_tables_come_through() {
        let xml = body(&[
            para(Some("Heading1"), "1 Background"),
            para(None, "Falls are common &amp; costly."),
            r#"<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/></w:numPr></w:pPr><w:r><w:t>aged 70 or over</w:t></w:r></w:p>"#.to_owned(),
            r#"<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Visit</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Week</w:t></w:r></w:p></w:tc></w:tr><w:tr><w:tc><w:p><w:r><w:t>Baseline</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>0</w:t></w:r></w:p></w:tc></w:tr></w:tbl>"#.to_owned(),
            para(Some("Heading2"), "1.1 Objectives"),
        ].concat());
        let text = parse(xml.as_bytes()).unwrap();
        assert!(text.contains("# 1 Background\n"), "{text}");
        assert!(text.contains("Falls are common & costly."), "{text}");
        assert!(text.contains("- aged 70 or over\n"), "{text}");
        assert!(
            text.contains("| Visit | Week |\n| Baseline | 0 |"),
            "{text}"
        );
        assert!(text.contains("## 1.1 Objectives"), "{text}");
    }

    #[test]
    fn broken_input_is_an_error() {
        assert_eq!(extract(b"PK\x03\x04 not really"), Err(DocxError::NotZip));
        assert!(matches!(
            parse(b"<w:document><w:body><w:p></w:body>"),
            Err(DocxError::BadXml(_)) | Ok(_)
        ));
    }
}
