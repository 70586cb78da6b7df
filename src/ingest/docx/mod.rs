//! Text from Word (.docx) files, keeping the structure the author gave it:
//! headings from heading styles (by name in any language, by outline
//! level, through styles based on headings) and from numbered paragraphs
//! that act as headings, with the numbers Word shows ("3.3 Study
//! design"); list items one per line with their numbers; tables row by
//! row with their cells apart; text boxes after the paragraph that holds
//! them; tracked changes as accepted (insertions kept, deletions and
//! earlier formatting dropped). Headings are written as `#` lines.
//!
//! A .docx is a zip of XML; everything read from it is bounded, so a zip
//! bomb or a damaged archive is an error, never an exhausted machine.

mod numbering;
mod styles;
mod symbols;

use std::io::{Cursor, Read};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::outline::{self, Block};
use numbering::{Label, Numbering};
use styles::Styles;

/// Most bytes the document's XML may unpack to.
const MAX_XML: u64 = 64 << 20;
/// Most bytes the styles and numbering parts may unpack to, each.
const MAX_PART: u64 = 16 << 20;
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

type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

/// One part of the package, at most `limit` bytes unpacked; None if absent.
fn read_part(
    archive: &mut Archive<'_>,
    name: &str,
    limit: u64,
) -> Result<Option<Vec<u8>>, DocxError> {
    let file = match archive.by_name(name) {
        Ok(file) => file,
        Err(zip::result::ZipError::FileNotFound) => return Ok(None),
        Err(_) => return Err(DocxError::NotZip),
    };
    if file.size() > limit {
        return Err(DocxError::TooLarge);
    }
    let mut bytes = Vec::new();
    // The declared size can lie: read one byte past the limit at most.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| DocxError::NotZip)?;
    if bytes.len() as u64 > limit {
        return Err(DocxError::TooLarge);
    }
    Ok(Some(bytes))
}

pub fn extract(bytes: &[u8]) -> Result<String, DocxError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| DocxError::NotZip)?;
    if archive.len() > MAX_ENTRIES {
        return Err(DocxError::TooLarge);
    }
    let xml = read_part(&mut archive, "word/document.xml", MAX_XML)?.ok_or(DocxError::NotWord)?;
    // Styles and numbering only add structure: a package without them
    // (or with a damaged one) still gives its text.
    let styles = read_part(&mut archive, "word/styles.xml", MAX_PART)?
        .and_then(|x| Styles::parse(&x).ok())
        .unwrap_or_default();
    let numbering = read_part(&mut archive, "word/numbering.xml", MAX_PART)?
        .and_then(|x| Numbering::parse(&x).ok())
        .unwrap_or_default();
    parse(&xml, &styles, numbering)
}

pub(crate) fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name)
        .map(|a| a.value.to_string())
}

/// A toggle property (`<w:b/>`, `<w:b w:val="0"/>`) is on unless it says off.
pub(crate) fn is_on(e: &BytesStart<'_>) -> bool {
    attr(e, "val").is_none_or(|v| !matches!(v.as_str(), "0" | "false" | "off" | "none"))
}

/// A paragraph being read.
#[derive(Default)]
struct Para {
    text: String,
    style: Option<String>,
    num: Option<(String, Option<u8>)>,
    outline: Option<u8>,
    /// The paragraph mark is a tracked deletion: the paragraph joins the next.
    mark_deleted: bool,
    /// Characters of text in bold runs and in all runs.
    bold_chars: usize,
    chars: usize,
    /// Paragraphs of text boxes anchored in this one, read after it.
    floating: Vec<String>,
}

/// A run being read: whether its text is bold.
#[derive(Default)]
struct Run {
    bold: Option<bool>,
}

#[derive(Default)]
struct Table {
    rows: Vec<Vec<String>>,
    row: Vec<String>,
    cell: Option<String>,
    /// Columns the cell being read spans.
    span: usize,
}

struct Reading<'a> {
    styles: &'a Styles,
    numbering: Numbering,
    blocks: Vec<Block>,
    paras: Vec<Para>,
    tables: Vec<Table>,
    run: Option<Run>,
    /// How many text boxes deep the reading is, per open paragraph.
    box_depth: usize,
    in_ppr: bool,
    in_rpr: bool,
    in_text: bool,
    /// Depth inside a part whose text is not the document's: earlier
    /// properties of a tracked change, moved-away text, a fallback copy.
    skip: usize,
}

impl Reading<'_> {
    fn push_text(&mut self, s: &str) {
        let bold = self.run_is_bold();
        if let Some(p) = self.paras.last_mut() {
            let visible = s.chars().filter(|c| !c.is_whitespace()).count();
            p.chars += visible;
            if bold {
                p.bold_chars += visible;
            }
            p.text.push_str(s);
        }
    }

    fn run_is_bold(&self) -> bool {
        let para_style = self.paras.last().and_then(|p| p.style.as_deref());
        match self.run.as_ref().and_then(|r| r.bold) {
            Some(b) => b,
            None => para_style.is_some_and(|s| self.styles.bold(s)),
        }
    }

    fn start(&mut self, e: &BytesStart<'_>, opens: bool) {
        match e.local_name().as_ref() {
            // Earlier formatting of a tracked change, text moved elsewhere,
            // the old-format copy of a drawing: not the document's text.
            "pPrChange" | "rPrChange" | "numberingChange" | "moveFrom" | "Fallback" | "delText"
            | "instrText"
                if opens =>
            {
                self.skip = 1
            }
            "p" if opens => self.paras.push(Para::default()),
            "p" => {}
            "pPr" if opens => self.in_ppr = true,
            "rPr" if opens => self.in_rpr = true,
            "pStyle" if self.in_ppr => {
                if let Some(p) = self.paras.last_mut() {
                    p.style = attr(e, "val");
                }
            }
            "numId" if self.in_ppr => {
                if let Some(p) = self.paras.last_mut() {
                    let id = attr(e, "val").unwrap_or_default();
                    let level = p.num.as_ref().and_then(|n| n.1);
                    p.num = Some((id, level));
                }
            }
            "ilvl" if self.in_ppr => {
                if let Some(p) = self.paras.last_mut() {
                    let level = attr(e, "val").and_then(|v| v.parse().ok());
                    let id = p.num.take().map(|n| n.0).unwrap_or_default();
                    p.num = Some((id, level));
                }
            }
            "outlineLvl" if self.in_ppr => {
                if let Some(p) = self.paras.last_mut() {
                    p.outline = attr(e, "val").and_then(|v| v.parse().ok());
                }
            }
            "del" if self.in_ppr && self.in_rpr => {
                if let Some(p) = self.paras.last_mut() {
                    p.mark_deleted = true;
                }
            }
            "r" if opens => self.run = Some(Run::default()),
            "b" if self.in_rpr && !self.in_ppr => {
                if let Some(r) = self.run.as_mut() {
                    r.bold = Some(is_on(e));
                }
            }
            "t" if opens && self.run.is_some() => self.in_text = true,
            "tab" if self.run.is_some() && !self.in_rpr => self.push_text("\t"),
            "br" | "cr" if self.run.is_some() => self.push_text(" "),
            "noBreakHyphen" if self.run.is_some() => self.push_text("-"),
            "sym" if self.run.is_some() => {
                if let Some(c) = symbols::symbol(
                    attr(e, "font").as_deref().unwrap_or_default(),
                    attr(e, "char").as_deref().unwrap_or_default(),
                ) {
                    self.push_text(c.encode_utf8(&mut [0; 4]));
                }
            }
            "txbxContent" if opens => self.box_depth += 1,
            "tbl" if opens => self.tables.push(Table::default()),
            "tr" if opens => {
                if let Some(t) = self.tables.last_mut() {
                    t.row.clear();
                }
            }
            "tc" if opens => {
                if let Some(t) = self.tables.last_mut() {
                    t.cell = Some(String::new());
                }
            }
            "gridSpan" if !self.in_ppr => {
                if let Some(t) = self.tables.last_mut() {
                    t.span = attr(e, "val").and_then(|v| v.parse().ok()).unwrap_or(1);
                }
            }
            _ => {}
        }
    }

    fn end(&mut self, name: &str) {
        match name {
            "pPr" => self.in_ppr = false,
            "rPr" => self.in_rpr = false,
            "r" => self.run = None,
            "t" => self.in_text = false,
            "p" => self.end_paragraph(),
            "txbxContent" => self.box_depth = self.box_depth.saturating_sub(1),
            "tc" => {
                if let Some(t) = self.tables.last_mut() {
                    t.row.push(t.cell.take().unwrap_or_default());
                    // A cell spanning columns keeps the columns after it apart.
                    for _ in 1..std::mem::take(&mut t.span).min(64) {
                        t.row.push(String::new());
                    }
                }
            }
            "tr" => {
                if let Some(t) = self.tables.last_mut() {
                    let row = std::mem::take(&mut t.row);
                    t.rows.push(row);
                }
            }
            "tbl" => {
                if let Some(t) = self.tables.pop() {
                    self.finish_table(t.rows);
                }
            }
            _ => {}
        }
    }

    /// Where a finished paragraph's text goes: into the table cell being
    /// read, after the paragraph holding its text box, or into the document.
    fn end_paragraph(&mut self) {
        let Some(mut p) = self.paras.pop() else {
            return;
        };
        let style = p.style.clone().unwrap_or_default();
        let num = p.num.clone().or_else(|| self.styles.numbering(&style));
        // Numbered paragraphs count even where they are not shown as blocks
        // (in tables), so later numbers come out as Word shows them; a
        // paragraph whose mark was deleted joins the next and counts not.
        let label = match num {
            Some((id, level)) if !p.mark_deleted && !id.is_empty() && id != "0" => {
                let level = level
                    .or_else(|| self.numbering.level_for_style(&id, &style))
                    .unwrap_or(0);
                self.numbering.next(&id, level).map(|l| (l, level))
            }
            _ => None,
        };
        let text = tidy(&p.text);
        let floating = std::mem::take(&mut p.floating);
        if self.box_depth > 0 && !self.paras.is_empty() {
            // Inside a text box anchored in the paragraph still open.
            if let Some(outer) = self.paras.last_mut() {
                if !text.is_empty() {
                    outer.floating.push(text);
                }
                outer.floating.extend(floating);
            }
            return;
        }
        if let Some(t) = self.tables.last_mut()
            && let Some(cell) = t.cell.as_mut()
        {
            for piece in std::iter::once(text).chain(floating) {
                if piece.is_empty() {
                    continue;
                }
                if !cell.is_empty() {
                    cell.push_str(" / ");
                }
                cell.push_str(&piece);
            }
            return;
        }
        if !text.is_empty() {
            let block = self.block(&p, &style, text, label);
            self.blocks.push(block);
        }
        self.blocks
            .extend(floating.into_iter().map(Block::Paragraph));
    }

    fn block(&self, p: &Para, style: &str, text: String, label: Option<(Label, u8)>) -> Block {
        // Direct formatting first, then the style; outline level 9 is body text.
        let outline = p.outline.or_else(|| self.styles.outline_level(style));
        if let Some(level) = outline.filter(|l| *l < 9) {
            let number = match &label {
                Some((Label::Number(n), _)) => Some(n.trim_end_matches('.').to_owned()),
                _ => None,
            };
            return Block::Heading {
                level: usize::from(level) + 1,
                number,
                title: text,
            };
        }
        if outline.is_none() && self.styles.is_title(style) {
            return Block::Heading {
                level: 1,
                number: None,
                title: text,
            };
        }
        match label {
            Some((Label::Bullet, _)) => Block::Item { marker: None, text },
            Some((Label::Number(number), level)) => {
                let item = Block::Item {
                    marker: Some(number.clone()),
                    text: text.clone(),
                };
                if outline::looks_like_title(&text) {
                    Block::Candidate {
                        level: usize::from(level) + 1,
                        number: number.trim_end_matches('.').to_owned(),
                        title: text,
                        fallback: Box::new(item),
                    }
                } else {
                    item
                }
            }
            None => {
                // A number typed by hand, on a short paragraph set apart by
                // bold or capitals: a heading if the text goes on under it.
                let emphasised = p.chars > 0
                    && (p.bold_chars == p.chars || text.chars().all(|c| !c.is_lowercase()));
                match outline::numbered_candidate(&text) {
                    Some((number, level, title)) if emphasised => Block::Candidate {
                        level,
                        number,
                        title,
                        fallback: Box::new(Block::Paragraph(text)),
                    },
                    _ => Block::Paragraph(text),
                }
            }
        }
    }

    fn finish_table(&mut self, rows: Vec<Vec<String>>) {
        // A table inside a cell or a text box is flattened into it.
        let flat = || {
            rows.iter()
                .map(|r| r.join("; "))
                .collect::<Vec<_>>()
                .join(" / ")
        };
        if let Some(t) = self.tables.last_mut()
            && let Some(cell) = t.cell.as_mut()
        {
            if !cell.is_empty() {
                cell.push_str(" / ");
            }
            cell.push_str(&flat());
        } else if self.box_depth > 0
            && let Some(outer) = self.paras.last_mut()
        {
            outer.floating.push(flat());
        } else {
            self.blocks.push(Block::Table(rows));
        }
    }
}

/// Paragraph text with tabs kept apart and runs of spaces folded.
fn tidy(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.trim().chars() {
        if c == ' ' || c == '\u{a0}' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(c);
            space = false;
        }
    }
    out
}

fn parse(xml: &[u8], styles: &Styles, numbering: Numbering) -> Result<String, DocxError> {
    let mut reader = Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut r = Reading {
        styles,
        numbering,
        blocks: Vec::new(),
        paras: Vec::new(),
        tables: Vec::new(),
        run: None,
        box_depth: 0,
        in_ppr: false,
        in_rpr: false,
        in_text: false,
        skip: 0,
    };
    loop {
        let event = reader
            .read_event_into(&mut buf)
            .map_err(|e| DocxError::BadXml(e.to_string()))?;
        if r.skip > 0 {
            match event {
                Event::Start(_) => r.skip += 1,
                Event::End(_) => r.skip -= 1,
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
            continue;
        }
        match event {
            Event::Start(e) => r.start(&e, true),
            Event::Empty(e) => r.start(&e, false),
            Event::End(e) => r.end(e.local_name().as_ref()),
            Event::Text(t) if r.in_text => r.push_text(&t.xml10_content()),
            Event::GeneralRef(g) if r.in_text => {
                let resolved = match g.resolve_char_ref() {
                    Ok(Some(c)) => Some(c),
                    _ => match g.as_ref() {
                        "amp" => Some('&'),
                        "lt" => Some('<'),
                        "gt" => Some('>'),
                        "quot" => Some('"'),
                        "apos" => Some('\''),
                        _ => None,
                    },
                };
                if let Some(c) = resolved {
                    r.push_text(c.encode_utf8(&mut [0; 4]));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    // Paragraphs or tables left open by a truncated document still count.
    while !r.paras.is_empty() {
        r.end_paragraph();
    }
    while let Some(t) = r.tables.pop() {
        r.finish_table(t.rows);
    }
    Ok(outline::render(&outline::settle(r.blocks)))
}

#[cfg(test)]
mod tests;
