//! The report as a PDF: A4, one embedded Unicode font (DejaVu Sans,
//! subset to the characters used; bold is drawn by stroking the outline)
//! so the text is selectable and prints what the protocol says, wrapped
//! paragraphs, tables whose cells wrap within their columns so nothing
//! runs off the page, and "Page N of M" at the foot of every page.
//! Written directly: a PDF of text and lines needs only a few objects.

mod file;
mod font;

use std::fmt::Write;

use super::{CHECKLIST_HEADER, Report};
use file::Object;
use font::Font;

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BODY: f32 = 10.0;
/// How much wider stroked (bold) text is taken to be when wrapping.
const BOLD_WIDTH: f32 = 1.04;

/// Text as drawn: tabs and other control characters become spaces.
fn plain(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

fn width(font: &Font, text: &str, size: f32, bold: bool) -> f32 {
    let units: f32 = text.chars().map(|c| font.advance(c)).sum();
    units * size / 1000.0 * if bold { BOLD_WIDTH } else { 1.0 }
}

/// Lines of at most `max` points; a word longer than a line is split.
fn wrap(font: &Font, text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
    let space = width(font, " ", size, bold);
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        let mut line_width = 0.0;
        for word in para.split_whitespace() {
            let word_width = width(font, word, size, bold);
            let candidate = if line.is_empty() {
                word_width
            } else {
                line_width + space + word_width
            };
            if candidate <= max {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
                line_width = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let mut piece = String::new();
            let mut piece_width = 0.0;
            for c in word.chars() {
                let w = width(font, c.encode_utf8(&mut [0; 4]), size, bold);
                if piece_width + w > max && !piece.is_empty() {
                    lines.push(std::mem::take(&mut piece));
                    piece_width = 0.0;
                }
                piece.push(c);
                piece_width += w;
            }
            line = piece;
            line_width = piece_width;
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

struct Pages<'f> {
    font: &'f Font,
    done: Vec<String>,
    current: String,
    y: f32,
}

impl<'f> Pages<'f> {
    fn new(font: &'f Font) -> Pages<'f> {
        Pages {
            font,
            done: Vec::new(),
            current: String::new(),
            y: PAGE_H - MARGIN,
        }
    }

    fn new_page(&mut self) {
        self.done.push(std::mem::take(&mut self.current));
        self.y = PAGE_H - MARGIN;
    }

    fn ensure(&mut self, height: f32) {
        if self.y - height < MARGIN + 24.0 && !self.current.is_empty() {
            self.new_page();
        }
    }

    fn put(&mut self, text: &str, size: f32, bold: bool, x: f32, y: f32) {
        let shown = self.font.encode(text);
        if bold {
            // Fill and stroke the outline in black: bold from one font file.
            let _ = writeln!(
                self.current,
                "q 0 G {:.2} w BT /F1 {size} Tf 2 Tr {x:.1} {y:.1} Td {shown} Tj ET Q",
                size * 0.02
            );
        } else {
            let _ = writeln!(
                self.current,
                "BT /F1 {size} Tf {x:.1} {y:.1} Td {shown} Tj ET"
            );
        }
    }

    fn paragraph(&mut self, text: &str, size: f32, bold: bool) {
        let leading = size * 1.3;
        for line in wrap(self.font, &plain(text), size, bold, PAGE_W - 2.0 * MARGIN) {
            self.ensure(leading);
            self.y -= leading;
            let y = self.y;
            self.put(&line, size, bold, MARGIN, y);
        }
        self.y -= size * 0.4;
    }

    fn heading(&mut self, text: &str, size: f32) {
        self.ensure(size * 4.0);
        self.y -= size * 0.6;
        self.paragraph(text, size, true);
    }

    /// A table: columns share the text width in the given proportions;
    /// each cell wraps within its column; a row never splits.
    fn table(&mut self, header: &[&str], rows: &[Vec<String>], shares: &[f32]) {
        let total: f32 = shares.iter().sum();
        let widths: Vec<f32> = shares
            .iter()
            .map(|s| s / total * (PAGE_W - 2.0 * MARGIN))
            .collect();
        let size = 8.5;
        let leading = size * 1.25;
        let header_row: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
        for (i, row) in std::iter::once(&header_row).chain(rows).enumerate() {
            let bold = i == 0;
            let max_lines = ((PAGE_H - 2.0 * MARGIN - 40.0) / leading) as usize;
            let cells: Vec<Vec<String>> = row
                .iter()
                .zip(&widths)
                .map(|(text, w)| {
                    let mut lines = wrap(self.font, &plain(text), size, bold, w - 6.0);
                    lines.truncate(max_lines);
                    lines
                })
                .collect();
            let height = cells.iter().map(Vec::len).max().unwrap_or(1) as f32 * leading + 6.0;
            self.ensure(height);
            let top = self.y;
            let mut x = MARGIN;
            for (lines, w) in cells.iter().zip(&widths) {
                for (n, line) in lines.iter().enumerate() {
                    self.put(
                        line,
                        size,
                        bold,
                        x + 3.0,
                        top - 3.0 - leading * (n as f32 + 1.0) + 2.0,
                    );
                }
                let _ = writeln!(
                    self.current,
                    "0.6 G {x:.1} {:.1} {w:.1} {height:.1} re S",
                    top - height
                );
                x += w;
            }
            self.y -= height;
        }
        self.y -= 8.0;
    }

    /// Close the last page and number them all.
    fn finish(mut self) -> Vec<String> {
        self.done.push(std::mem::take(&mut self.current));
        let n = self.done.len();
        let font = self.font;
        self.done
            .into_iter()
            .enumerate()
            .map(|(i, mut page)| {
                let footer = format!("Page {} of {n}", i + 1);
                let x = PAGE_W - MARGIN - width(font, &footer, 8.0, false);
                let _ = writeln!(
                    page,
                    "BT /F1 8 Tf {x:.1} {:.1} Td {} Tj ET",
                    MARGIN - 20.0,
                    font.encode(&footer)
                );
                page
            })
            .collect()
    }
}

fn layout(r: &Report, font: &Font) -> Vec<String> {
    let mut p = Pages::new(font);
    p.heading(&r.title, 18.0);
    for (k, v) in &r.facts {
        p.paragraph(&format!("{k}: {v}"), BODY, false);
    }
    p.heading("Scores", 14.0);
    let scores: Vec<Vec<String>> = r
        .scores
        .iter()
        .map(|(n, v)| vec![n.clone(), v.map_or("-".to_owned(), |v| format!("{v:.1}"))])
        .collect();
    p.table(&["Score", "Value"], &scores, &[3.0, 1.0]);
    if !r.checklist.is_empty() {
        p.heading("Checklist", 14.0);
        let rows: Vec<Vec<String>> = r
            .checklist
            .iter()
            .map(super::ChecklistLine::cells)
            .collect();
        p.table(&CHECKLIST_HEADER, &rows, &[1.4, 0.6, 2.2, 1.2, 4.0]);
    }
    p.heading("Suggestions and decisions", 14.0);
    for (section, items) in r.by_section() {
        p.heading(section, 12.0);
        for d in items {
            p.paragraph(&d.heading(), BODY, true);
            p.paragraph(&d.content, BODY, false);
            if let Some(m) = &d.modified {
                p.paragraph(&format!("Modified text: {m}"), BODY, false);
            }
            if let Some(c) = &d.comment {
                p.paragraph(&format!("Comment: {c}"), BODY, false);
            }
        }
    }
    if let Some(t) = &r.text {
        p.heading("Protocol text", 14.0);
        for line in t.lines().filter(|l| !l.trim().is_empty()) {
            p.paragraph(line, BODY, false);
        }
    }
    p.paragraph(
        &format!("Generated by ProtoScribe on {}.", r.generated_at),
        8.0,
        false,
    );
    p.finish()
}

pub fn render(r: &Report) -> Vec<u8> {
    let font = Font::new();
    let pages = layout(r, &font);
    // 1 catalog, 2 page tree, 3 information, then a page and its content
    // per page, then the font's objects.
    let first_page = 4;
    let font_at = first_page + 2 * pages.len();
    let mut objects = vec![
        Object::Dict("<< /Type /Catalog /Pages 2 0 R >>".to_owned()),
        Object::Dict(format!(
            "<< /Type /Pages /Kids [{}] /Count {} >>",
            (0..pages.len())
                .map(|i| format!("{} 0 R", first_page + 2 * i))
                .collect::<Vec<_>>()
                .join(" "),
            pages.len()
        )),
        Object::Dict(format!(
            "<< /Title {} /Producer (ProtoScribe) >>",
            file::text_string(&r.title)
        )),
    ];
    for (i, content) in pages.into_iter().enumerate() {
        objects.push(Object::Dict(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 {font_at} 0 R >> >> /Contents {} 0 R >>",
            first_page + 2 * i + 1
        )));
        objects.push(Object::Stream {
            extra: String::new(),
            data: content.into_bytes(),
        });
    }
    objects.extend(font.objects(font_at));
    file::write(&objects, 1, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_and_lines_wrap_within_the_width() {
        let font = Font::new();
        let lines = wrap(&font, &"verylongword".repeat(30), 10.0, false, 200.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(&font, l, 10.0, false) <= 200.0));
    }

    #[test]
    fn control_characters_are_drawn_as_spaces() {
        assert_eq!(plain("a\tb\u{1b}c "), "a b c");
    }
}
