//! Text from PDF files, with the structure a reader sees in them: the
//! parser (pdf-extract, pure Rust) hands over every character with its
//! position, and `layout` turns them into lines in reading order (two
//! columns read one after the other), leaves out running headers, footers
//! and page numbers, joins lines into paragraphs and words hyphenated
//! across line ends; numbered section lines become `#` headings by the
//! rule Word imports use (`outline`).
//!
//! Reading is bounded (`guard`): decoded stream sizes, pages, the content
//! the pages make the parser decode, characters and time; a file past a
//! limit is refused with the reason. The parser walks the page tree and
//! draws forms by recursion, with no guard against loops: `structure`
//! walks them first and refuses a file that loops or nests too deep. A parser panic on a malformed file is
//! caught and reported as a damaged file. A PDF with pages but no text is
//! a scan.

mod guard;
mod layout;
mod structure;

use std::time::{Duration, Instant};

use pdf_extract::{MediaBox, OutputDev, OutputError, Transform};

use super::outline::{self, Block};
use layout::{Glyph, Line, Page};

/// Most characters read from one file.
const MAX_CHARS: usize = 20_000_000;
/// Most characters drawn on one page: a dense page of small print holds
/// some 10,000. Each page is laid out as it ends and only its lines are
/// kept, so this bounds the glyphs held at any time.
const MAX_PAGE_CHARS: usize = 200_000;
/// Seconds a file may take to read, unless PROTOSCRIBE_PDF_SECONDS says otherwise.
const DEFAULT_SECONDS: u64 = 120;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PdfError {
    #[error("is a damaged or incomplete PDF; save or export it again")]
    Damaged,
    #[error(
        "is an encrypted or password-protected PDF; save a copy without protection and import that"
    )]
    Encrypted,
    #[error(
        "has {0} page(s) but no text layer (a scan?); export the text from the source document, or run it through OCR first"
    )]
    NoText(usize),
    #[error(
        "has a stream that inflates to more than {} MiB (a decompression bomb?); it was not imported",
        guard::MAX_STREAM >> 20
    )]
    StreamTooLarge,
    #[error(
        "inflates to more than {} MiB in all (a decompression bomb?); it was not imported",
        guard::MAX_TOTAL >> 20
    )]
    TooLarge,
    #[error(
        "has object streams that inflate to more than {} MiB (a decompression bomb?); it was not imported",
        guard::MAX_OBJECT_STREAMS >> 20
    )]
    ObjectStreams,
    #[error("has {0} pages, over the limit of {max}; split it and import the parts", max = guard::MAX_PAGES)]
    TooManyPages(usize),
    #[error(
        "makes its {0} pages decode more than {mib} MiB of content (pages repeating one large stream?); it was not imported",
        mib = guard::MAX_PAGE_CONTENT >> 20
    )]
    TooMuchContent(usize),
    #[error("{0} (a damaged or malicious file); export it again from the source document")]
    Loops(&'static str),
    #[error(
        "nests {0} more than {1} levels deep (a damaged or malicious file); export it again from the source document"
    )]
    TooDeep(&'static str, usize),
    #[error(
        "makes page {0} decode more than {mib} MiB of drawing instructions (a damaged or malicious file?); it was not imported",
        mib = guard::MAX_ONE_PAGE >> 20
    )]
    PageContent(usize),
    #[error("has more than {} million characters; split it and import the parts", MAX_CHARS / 1_000_000)]
    TooManyChars,
    #[error(
        "draws more than {MAX_PAGE_CHARS} characters on page {0} (a damaged or malicious file?); it was not imported"
    )]
    CrowdedPage(usize),
    #[error(
        "took more than {0} s to read (stopped at page {1}); split it, or allow more time with PROTOSCRIBE_PDF_SECONDS"
    )]
    TooSlow(u64, usize),
}

pub struct PdfText {
    pub text: String,
    pub pages: usize,
    /// Running header, footer and page-number lines left out.
    pub furniture: usize,
}

/// Seconds allowed, from the environment.
fn seconds() -> u64 {
    std::env::var("PROTOSCRIBE_PDF_SECONDS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(DEFAULT_SECONDS)
}

pub fn extract(bytes: &[u8]) -> Result<PdfText, PdfError> {
    let started = Instant::now();
    // The parser is third-party code facing hostile input: a panic there
    // must not take the import down, nor print to the user's terminal.
    let loaded = crate::panics::catch(|| guard::load(bytes)).map_err(|_| PdfError::Damaged)?;
    let (mut doc, mut sizes) = match loaded {
        Err(guard::Over::Stream) => return Err(PdfError::StreamTooLarge),
        Err(guard::Over::Total) => return Err(PdfError::TooLarge),
        Err(guard::Over::ObjectStreams) => return Err(PdfError::ObjectStreams),
        Ok(Err(e)) => {
            let message = e.to_string().to_lowercase();
            return Err(
                if message.contains("encrypt")
                    || message.contains("password")
                    || message.contains("decrypt")
                {
                    PdfError::Encrypted
                } else {
                    PdfError::Damaged
                },
            );
        }
        Ok(Ok(loaded)) => loaded,
    };
    if doc.is_encrypted() && doc.encryption_state.is_none() {
        return Err(PdfError::Encrypted);
    }
    let budget = Duration::from_secs(seconds());
    structure::blank_images(&mut doc, &mut sizes);
    let page_ids = structure::pages(&doc).map_err(|f| fault(f, 0, budget))?;
    if page_ids.len() > guard::MAX_PAGES {
        return Err(PdfError::TooManyPages(page_ids.len()));
    }
    structure::content(
        &doc,
        &page_ids,
        &sizes,
        (guard::MAX_ONE_PAGE, guard::MAX_PAGE_CONTENT),
        started + budget,
    )
    .map_err(|f| fault(f, page_ids.len(), budget))?;
    let mut collector = Collector {
        pages: Vec::new(),
        lines: Vec::new(),
        chars: 0,
        deadline: started + budget,
        budget: budget.as_secs(),
        stopped: None,
        origin: (0.0, 0.0),
    };
    let outcome = crate::panics::catch(|| pdf_extract::output_doc(&doc, &mut collector))
        .map_err(|_| PdfError::Damaged)?;
    if let Some(stop) = collector.stopped.take() {
        return Err(stop);
    }
    // A page the parser stopped in is laid out as far as it was read.
    collector.lay_out();
    // A page the parser cannot read ends the reading there, as before:
    // the pages read so far still count.
    if outcome.is_err() && collector.lines.iter().all(Vec::is_empty) {
        return Err(PdfError::Damaged);
    }
    let count = page_ids.len();
    let (lines, furniture) = layout::read(collector.lines, &collector.pages);
    let blocks = paragraphs(&lines);
    let text = outline::render(&outline::settle(blocks));
    if text.trim().is_empty() {
        return Err(PdfError::NoText(count));
    }
    Ok(PdfText {
        text,
        pages: count,
        furniture,
    })
}

/// The error for a file whose structure the parser must not walk.
fn fault(fault: structure::Fault, pages: usize, budget: Duration) -> PdfError {
    match fault {
        structure::Fault::Loop(what) => PdfError::Loops(what),
        structure::Fault::TooDeep(what, limit) => PdfError::TooDeep(what, limit),
        structure::Fault::TooMuchContent => PdfError::TooMuchContent(pages),
        structure::Fault::Slow(page) => PdfError::TooSlow(budget.as_secs(), page),
        structure::Fault::CrowdedPage(page) => PdfError::PageContent(page),
    }
}

/// Receives each character the parser draws, with its position.
struct Collector {
    /// Every page begun: its size, and the glyphs of the page being drawn
    /// (a page's glyphs go once it is laid out).
    pages: Vec<Page>,
    /// The lines of every page laid out.
    lines: Vec<Vec<Line>>,
    chars: usize,
    deadline: Instant,
    budget: u64,
    stopped: Option<PdfError>,
    /// The page's top-left corner in its own coordinates.
    origin: (f64, f64),
}

impl Collector {
    fn stop(&mut self, error: PdfError) -> Result<(), OutputError> {
        self.stopped = Some(error);
        Err(OutputError::IoError(std::io::Error::other("limit reached")))
    }

    /// Lay out the page being drawn, if any, and let its glyphs go.
    fn lay_out(&mut self) {
        if self.lines.len() < self.pages.len()
            && let Some(page) = self.pages.last_mut()
        {
            self.lines.push(layout::page_lines(page));
            page.glyphs = Vec::new();
        }
    }

    fn check_time(&mut self) -> Result<(), OutputError> {
        if Instant::now() > self.deadline {
            let page = self.pages.len();
            return self.stop(PdfError::TooSlow(self.budget, page));
        }
        Ok(())
    }
}

impl OutputDev for Collector {
    fn begin_page(
        &mut self,
        _page_num: u32,
        media_box: &MediaBox,
        _art_box: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.check_time()?;
        self.lay_out();
        self.origin = (media_box.llx, media_box.ury);
        self.pages.push(Page {
            width: (media_box.urx - media_box.llx).abs() as f32,
            height: (media_box.ury - media_box.lly).abs() as f32,
            glyphs: Vec::new(),
        });
        Ok(())
    }

    fn end_page(&mut self) -> Result<(), OutputError> {
        self.lay_out();
        Ok(())
    }

    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        text: &str,
    ) -> Result<(), OutputError> {
        self.chars += 1;
        if self.chars > MAX_CHARS {
            return self.stop(PdfError::TooManyChars);
        }
        if self.chars.is_multiple_of(4096) {
            self.check_time()?;
        }
        // The font size as drawn: the text matrix scales it.
        let (sx, sy) = (
            font_size * trm.m11 + font_size * trm.m21,
            font_size * trm.m12 + font_size * trm.m22,
        );
        let size = (sx * sy).abs().sqrt();
        let x = trm.m31 - self.origin.0;
        let y = self.origin.1 - trm.m32;
        if !(x.is_finite() && y.is_finite() && size.is_finite()) {
            return Ok(());
        }
        if let Some(page) = self.pages.last_mut() {
            if page.glyphs.len() >= MAX_PAGE_CHARS {
                let number = self.pages.len();
                return self.stop(PdfError::CrowdedPage(number));
            }
            page.glyphs.push(Glyph {
                x: x as f32,
                y: y as f32,
                // No character is wider than its size (an em): a font with
                // wrong widths must not stretch a line past the margin.
                end: (x + (width * size).clamp(0.0, size)) as f32,
                size: size as f32,
                text: text.to_owned(),
            });
        }
        Ok(())
    }

    fn begin_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }

    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
}

/// Per page and column: where lines end when full, and the usual distance between lines.
struct Measure {
    right: f32,
    width: f32,
    leading: f32,
}

fn measure(lines: &[Line], column: usize) -> Measure {
    let col: Vec<&Line> = lines
        .iter()
        .filter(|l| l.column == column && !l.spread)
        .collect();
    // Where most long lines end: a line drawn past the margin (a glyph
    // with a wrong width) must not make every other line look short.
    let mut ends: Vec<f32> = col
        .iter()
        .filter(|l| l.text.split_whitespace().count() >= 6)
        .map(|l| l.x1)
        .collect();
    ends.sort_by(f32::total_cmp);
    let right = ends
        .get(ends.len() * 3 / 4)
        .copied()
        .unwrap_or_else(|| col.iter().map(|l| l.x1).fold(f32::MIN, f32::max));
    let left = col.iter().map(|l| l.x0).fold(f32::MAX, f32::min);
    let mut steps: Vec<f32> = col
        .windows(2)
        .map(|w| w[1].y - w[0].y)
        .filter(|d| *d > 0.0 && *d < 3.0 * w_size(col.first()))
        .collect();
    steps.sort_by(f32::total_cmp);
    let leading = steps
        .get(steps.len() / 2)
        .copied()
        .unwrap_or(1.2 * w_size(col.first()));
    Measure {
        right,
        width: (right - left).max(1.0),
        leading,
    }
}

fn w_size(line: Option<&&Line>) -> f32 {
    line.map_or(12.0, |l| l.size)
}

/// Lines into paragraphs, and paragraphs into blocks for the outline.
fn paragraphs(pages: &[Vec<Line>]) -> Vec<Block> {
    let words = layout::vocabulary(pages);
    let mut blocks = Vec::new();
    let mut current: Option<(String, usize)> = None;
    let mut prev: Option<(&Line, bool)> = None;
    let flush = |current: &mut Option<(String, usize)>, blocks: &mut Vec<Block>| {
        if let Some((text, lines)) = current.take() {
            blocks.push(block(text, lines));
        }
    };
    for page in pages {
        let measures: Vec<Measure> = (0..3).map(|c| measure(page, c)).collect();
        for (i, line) in page.iter().enumerate() {
            let m = &measures[line.column.min(2)];
            let full = line.x1 >= m.right - 0.15 * m.width;
            if line.spread {
                flush(&mut current, &mut blocks);
                blocks.push(Block::Paragraph(line.text.clone()));
                prev = None;
                continue;
            }
            let starts_list = layout::bullet(&line.text).is_some()
                || layout::lettered(&line.text)
                || (line.text.starts_with(|c: char| c.is_ascii_digit())
                    && outline::split_number(&line.text).is_some());
            let continues = match prev {
                None => false,
                Some((p, p_full)) => {
                    let same_flow = i > 0 && p.column == line.column;
                    let gap = line.y - p.y;
                    let close = same_flow && gap > 0.0 && gap <= 1.45 * m.leading.max(p.size);
                    let alike = (line.size - p.size).abs() <= 0.15 * p.size;
                    // Across a page or column break a sentence goes on when
                    // the line before was full and this one starts lower-case.
                    let carried = !same_flow && p_full && line.text.starts_with(char::is_lowercase);
                    p_full && alike && !starts_list && (close || carried)
                }
            };
            if continues {
                if let Some((text, lines)) = current.as_mut() {
                    layout::join(text, &line.text, &words);
                    *lines += 1;
                }
            } else {
                flush(&mut current, &mut blocks);
                current = Some((line.text.clone(), 1));
            }
            prev = Some((line, full));
        }
    }
    flush(&mut current, &mut blocks);
    blocks
}

fn block(text: String, lines: usize) -> Block {
    if lines == 1
        && let Some((number, level, title)) = outline::numbered_candidate(&text)
    {
        return Block::Candidate {
            level,
            number,
            title,
            fallback: Box::new(Block::Paragraph(text)),
        };
    }
    if let Some(rest) = layout::bullet(&text) {
        return Block::Item {
            marker: None,
            text: rest.to_owned(),
        };
    }
    Block::Paragraph(text)
}
