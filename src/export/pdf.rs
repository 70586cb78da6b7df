//! The report as a PDF: A4, the standard Helvetica fonts (so the text is
//! selectable and nothing is embedded), wrapped paragraphs, tables whose
//! cells wrap within their columns so nothing runs off the page, and
//! "Page N of M" at the foot of every page. Written directly: a PDF of
//! text and lines needs only a few objects.

use std::fmt::Write;

use super::{CHECKLIST_HEADER, Report};

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const BODY: f32 = 10.0;

/// Helvetica advance widths (1/1000 em) for ASCII 32..=126, from its AFM.
const HELVETICA: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
];

/// Characters the fonts' WinAnsi encoding holds; the rest become '?'.
fn encode(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '–' => 0x96,
        '—' => 0x97,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '…' => 0x85,
        '€' => 0x80,
        '\t' => b' ',
        _ => b'?',
    }
}

/// Symbols the standard fonts lack are dropped (the words carry the meaning).
fn plain(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '✓' | '◐' | '✗' | '○' | '✎'))
        .collect::<String>()
        .trim()
        .to_owned()
}

fn width(text: &str, size: f32, bold: bool) -> f32 {
    let units: u32 = text
        .chars()
        .map(|c| match c {
            ' '..='~' => u32::from(HELVETICA[(c as u8 - b' ') as usize]),
            _ => 600,
        })
        .sum();
    units as f32 * size / 1000.0 * if bold { 1.1 } else { 1.0 }
}

/// Lines of at most `max` points; a word longer than a line is split.
fn wrap(text: &str, size: f32, bold: bool, max: f32) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        for word in para.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_owned()
            } else {
                format!("{line} {word}")
            };
            if width(&candidate, size, bold) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let mut piece = String::new();
            for c in word.chars() {
                if width(&format!("{piece}{c}"), size, bold) > max && !piece.is_empty() {
                    lines.push(std::mem::take(&mut piece));
                }
                piece.push(c);
            }
            line = piece;
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn pdf_string(text: &str) -> String {
    let mut out = String::from("(");
    for c in text.chars() {
        match encode(c) {
            b'(' => out.push_str("\\("),
            b')' => out.push_str("\\)"),
            b'\\' => out.push_str("\\\\"),
            b if b.is_ascii() => out.push(b as char),
            b => {
                let _ = write!(out, "\\{b:03o}");
            }
        }
    }
    out.push(')');
    out
}

struct Pages {
    done: Vec<String>,
    current: String,
    y: f32,
}

impl Pages {
    fn new() -> Pages {
        Pages {
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
        let font = if bold { "F2" } else { "F1" };
        let _ = writeln!(
            self.current,
            "BT /{font} {size} Tf {x:.1} {y:.1} Td {} Tj ET",
            pdf_string(text)
        );
    }

    fn paragraph(&mut self, text: &str, size: f32, bold: bool) {
        let leading = size * 1.3;
        for line in wrap(&plain(text), size, bold, PAGE_W - 2.0 * MARGIN) {
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
                    let mut lines = wrap(&plain(text), size, bold, w - 6.0);
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
        self.done
            .into_iter()
            .enumerate()
            .map(|(i, mut page)| {
                let footer = format!("Page {} of {n}", i + 1);
                let x = PAGE_W - MARGIN - width(&footer, 8.0, false);
                let _ = writeln!(
                    page,
                    "BT /F1 8 Tf {x:.1} {:.1} Td {} Tj ET",
                    MARGIN - 20.0,
                    pdf_string(&footer)
                );
                page
            })
            .collect()
    }
}

fn layout(r: &Report) -> Vec<String> {
    let mut p = Pages::new();
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
    let pages = layout(r);
    let mut objects: Vec<String> = Vec::new();
    // 1 catalog, 2 pages, 3 regular font, 4 bold font, then page + content pairs.
    objects.push("<< /Type /Catalog /Pages 2 0 R >>".to_owned());
    let kids: Vec<String> = (0..pages.len())
        .map(|i| format!("{} 0 R", 5 + 2 * i))
        .collect();
    objects.push(format!(
        "<< /Type /Pages /Kids [{}] /Count {} >>",
        kids.join(" "),
        pages.len()
    ));
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    );
    objects.push(
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>"
            .to_owned(),
    );
    for (i, content) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_W} {PAGE_H}] /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents {} 0 R >>",
            6 + 2 * i
        ));
        objects.push(format!(
            "<< /Length {} >>\nstream\n{content}endstream",
            content.len()
        ));
    }
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    let mut table = format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(table, "{offset:010} 00000 n ");
    }
    let _ = write!(
        table,
        "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out.extend_from_slice(table.as_bytes());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_words_and_lines_wrap_within_the_width() {
        let lines = wrap(&"verylongword".repeat(30), 10.0, false, 200.0);
        assert!(lines.len() > 1);
        assert!(lines.iter().all(|l| width(l, 10.0, false) <= 200.0));
    }

    #[test]
    fn strings_are_escaped_and_encoded() {
        assert_eq!(pdf_string("a(b)c\\ é–"), "(a\\(b\\)c\\\\ \\351\\226)");
    }
}
