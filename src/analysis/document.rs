//! A protocol's text prepared once for every check: an ASCII-lowercased
//! copy with the same byte offsets, sentences, headings and the sections
//! under them, the regions to ignore (table of contents, references), and
//! a map from byte offsets to character offsets for evidence.

use std::ops::Range;

use super::structure::{self, Heading};

/// Longest run treated as one sentence; longer text (a 10 MB line) is cut,
/// so every window stays small whatever the input.
const MAX_SENTENCE: usize = 800;

/// A heading and the text it governs.
#[derive(Clone, Debug)]
pub struct Section {
    pub heading: Heading,
    /// From the end of the heading line to the next heading of the same or
    /// a higher level.
    pub body: Range<usize>,
    /// From the end of the heading line to the next heading of any level.
    pub own_body: Range<usize>,
}

pub struct Document<'a> {
    pub text: &'a str,
    pub lower: String,
    pub sentences: Vec<Range<usize>>,
    pub sections: Vec<Section>,
    /// Sorted, disjoint byte ranges whose words do not count as evidence.
    pub ignored: Vec<Range<usize>>,
    /// Sorted byte ranges of background and introduction sections, where
    /// other studies are described rather than this trial's methods.
    pub background: Vec<Range<usize>>,
    /// How many words (runs of non-white-space) the text holds: counted
    /// once here, for the document's length feature and the analysis.
    pub words: usize,
    char_marks: Vec<usize>,
}

/// Every this many bytes, the number of characters before it.
const CHAR_MARK_STRIDE: usize = 4096;

impl<'a> Document<'a> {
    pub fn new(text: &'a str) -> Document<'a> {
        let lower = text.to_ascii_lowercase();
        let headings = structure::headings(text);
        let sections = sections(text, headings);
        let ignored = ignored_regions(text, &sections);
        let background = background_regions(&sections);
        Document {
            background,
            sentences: sentences(text),
            char_marks: char_marks(text),
            words: count_words(text),
            text,
            lower,
            sections,
            ignored,
        }
    }

    pub fn is_ignored(&self, at: usize) -> bool {
        let i = self.ignored.partition_point(|r| r.end <= at);
        self.ignored.get(i).is_some_and(|r| r.start <= at)
    }

    pub fn in_background(&self, at: usize) -> bool {
        let i = self.background.partition_point(|r| r.end <= at);
        self.background.get(i).is_some_and(|r| r.start <= at)
    }

    /// Index of the sentence holding byte `at`.
    pub fn sentence_at(&self, at: usize) -> usize {
        self.sentences
            .partition_point(|s| s.end <= at)
            .min(self.sentences.len().saturating_sub(1))
    }

    /// The section whose heading line or own body holds byte `at`.
    pub fn section_at(&self, at: usize) -> Option<&Section> {
        self.section_index_at(at).map(|i| &self.sections[i])
    }

    /// Index of the section whose heading line or own body holds byte `at`.
    pub fn section_index_at(&self, at: usize) -> Option<usize> {
        self.sections
            .partition_point(|s| s.heading.span.start <= at)
            .checked_sub(1)
    }

    /// Character offset of byte offset `at` (which must be on a boundary).
    pub fn char_offset(&self, at: usize) -> usize {
        let at = floor_boundary(self.text, at.min(self.text.len()));
        let mark = at / CHAR_MARK_STRIDE;
        let from = mark * CHAR_MARK_STRIDE;
        // Count character starts, not chars of a slice: `from` may fall
        // inside a multi-byte character.
        self.char_marks[mark] + count_char_starts(&self.text.as_bytes()[from..at])
    }

    /// The text of `range`, whitespace folded and cut to `max` characters.
    pub fn quote(&self, range: Range<usize>, max: usize) -> String {
        let start = floor_boundary(self.text, range.start.min(self.text.len()));
        let end = floor_boundary(self.text, range.end.min(self.text.len())).max(start);
        let folded: String = self.text[start..end]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        if folded.chars().count() <= max {
            folded
        } else {
            let cut: String = folded.chars().take(max.saturating_sub(1)).collect();
            format!("{}…", cut.trim_end())
        }
    }

    /// The line around byte `at`, at most `reach` bytes to either side (a
    /// 10 MB line must not make every lookup walk the whole of it).
    pub fn line_around(&self, at: usize, reach: usize) -> Range<usize> {
        let bytes = self.text.as_bytes();
        let lo = at.saturating_sub(reach);
        let hi = (at + reach).min(bytes.len());
        let start = bytes[lo..at]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(lo, |i| lo + i + 1);
        let end = bytes[at..hi]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(hi, |i| at + i);
        floor_boundary(self.text, start)..floor_boundary(self.text, end)
    }

    pub fn slice(&self, range: &Range<usize>) -> &'a str {
        let start = floor_boundary(self.text, range.start.min(self.text.len()));
        let end = floor_boundary(self.text, range.end.min(self.text.len())).max(start);
        &self.text[start..end]
    }
}

/// `range` within `text` on character boundaries, without white space at
/// either end, and at most `max` bytes long (cut after a word).
pub fn exact(text: &str, range: Range<usize>, max: usize) -> Range<usize> {
    let start = floor_boundary(text, range.start.min(text.len()));
    let end = floor_boundary(text, range.end.min(text.len())).max(start);
    let slice = &text[start..end];
    let lead = slice.len() - slice.trim_start().len();
    let start = start + lead;
    let mut end = start + slice.trim().len();
    if end - start > max {
        let cut = floor_boundary(text, start + max);
        end = text[start..cut]
            .rfind(char::is_whitespace)
            .map_or(cut, |i| start + i);
        end = start + text[start..end].trim_end().len();
    }
    start..end
}

pub fn floor_boundary(text: &str, mut at: usize) -> usize {
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Runs of non-white-space, as `split_whitespace().count()` counts them,
/// in one pass without the splitter's bookkeeping.
fn count_words(text: &str) -> usize {
    let mut words = 0;
    let mut in_word = false;
    for c in text.chars() {
        let space = c.is_whitespace();
        if !space && !in_word {
            words += 1;
        }
        in_word = !space;
    }
    words
}

/// Bytes that begin a UTF-8 character (every byte but continuation bytes).
fn count_char_starts(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
}

fn char_marks(text: &str) -> Vec<usize> {
    let bytes = text.as_bytes();
    let mut marks = Vec::with_capacity(bytes.len() / CHAR_MARK_STRIDE + 2);
    let mut chars = 0;
    for chunk in bytes.chunks(CHAR_MARK_STRIDE) {
        marks.push(chars);
        // A character starts at every byte that is not a continuation byte.
        chars += count_char_starts(chunk);
    }
    marks.push(chars);
    marks
}

/// Sentences: ended by `.`, `!` or `?` before white space, by a blank line,
/// or by a line break before a heading-like or list line; never longer than
/// `MAX_SENTENCE` bytes.
fn sentences(text: &str) -> Vec<Range<usize>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Only a stop, a line break, or reaching the longest sentence can
        // end one: skip straight to the next such byte.
        let longest = (start + MAX_SENTENCE - 1).min(bytes.len());
        if i < longest {
            match bytes[i..longest]
                .iter()
                .position(|b| matches!(b, b'.' | b'!' | b'?' | b'\n'))
            {
                Some(skip) => i += skip,
                None => {
                    i = longest;
                    continue;
                }
            }
        }
        let b = bytes[i];
        let next = bytes.get(i + 1).copied();
        let end_here = match b {
            b'.' | b'!' | b'?' => next.is_none_or(|n| n.is_ascii_whitespace()),
            b'\n' => match next {
                Some(b'\n') | None => true,
                Some(n) => {
                    // A line that does not end mid-sentence, followed by one
                    // that starts like a new item, ends the sentence.
                    let prev = bytes[..i].iter().rev().find(|c| !c.is_ascii_whitespace());
                    let prev_open = prev.is_some_and(|c| c.is_ascii_lowercase() || *c == b',');
                    !prev_open
                        && (n.is_ascii_uppercase()
                            || n.is_ascii_digit()
                            || n == b'-'
                            || n == b'*'
                            || n == b'#'
                            || n >= 0x80)
                }
            },
            _ => false,
        };
        let too_long = i + 1 - start >= MAX_SENTENCE && text.is_char_boundary(i + 1);
        if end_here || too_long {
            push_sentence(&mut out, bytes, start, i + 1);
            start = i + 1;
        }
        i += 1;
    }
    push_sentence(&mut out, bytes, start, bytes.len());
    if out.is_empty() {
        out.push(0..bytes.len());
    }
    out
}

fn push_sentence(out: &mut Vec<Range<usize>>, bytes: &[u8], start: usize, end: usize) {
    if bytes[start.min(end)..end]
        .iter()
        .any(|b| !b.is_ascii_whitespace())
    {
        out.push(start..end);
    }
}

fn sections(text: &str, headings: Vec<Heading>) -> Vec<Section> {
    let starts: Vec<(usize, usize)> = headings.iter().map(|h| (h.span.start, h.level)).collect();
    headings
        .into_iter()
        .enumerate()
        .map(|(i, heading)| {
            let body_start = heading.span.end;
            let own_end = starts.get(i + 1).map_or(text.len(), |s| s.0);
            let end = starts[i + 1..]
                .iter()
                .find(|(_, level)| *level <= heading.level)
                .map_or(text.len(), |s| s.0);
            Section {
                own_body: body_start..own_end.max(body_start),
                body: body_start..end.max(body_start),
                heading,
            }
        })
        .collect()
}

/// A section body with no words of its own.
pub fn is_blank(text: &str) -> bool {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .take(12)
        .count()
        < 12
}

/// Sorted, with overlapping ranges joined.
fn merge(mut regions: Vec<Range<usize>>) -> Vec<Range<usize>> {
    regions.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::with_capacity(regions.len());
    for r in regions {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// Sections that review what is known rather than plan the trial.
fn background_regions(sections: &[Section]) -> Vec<Range<usize>> {
    let words = &super::knowledge::get().sections.background;
    let regions: Vec<Range<usize>> = sections
        .iter()
        .filter(|s| {
            let title = s.heading.title.to_ascii_lowercase();
            words.iter().any(|w| title.contains(w.as_str()))
        })
        .map(|s| s.body.clone())
        .collect();
    merge(regions)
}

/// The table of contents and the reference list: their words are titles
/// and citations, not statements about this trial.
fn ignored_regions(text: &str, sections: &[Section]) -> Vec<Range<usize>> {
    let known = &super::knowledge::get().sections;
    let is = |list: &[String], title: &str| list.iter().any(|t| t == title);
    let mut regions = Vec::new();
    for (i, s) in sections.iter().enumerate() {
        let title = s.heading.title.to_ascii_lowercase();
        let title = title.trim();
        if is(&known.contents, title) {
            regions.push(s.heading.span.start..toc_end(text, sections, i));
        } else if is(&known.references, title) || title.ends_with(" references") {
            // References run to the next heading of their level, or to an appendix.
            let end = sections[i + 1..]
                .iter()
                .find(|n| {
                    n.heading.level <= s.heading.level
                        || n.heading.title.to_ascii_lowercase().starts_with("appendix")
                })
                .map_or(text.len(), |n| n.heading.span.start);
            regions.push(s.heading.span.start..end);
        }
    }
    // A table of contents with no heading: a run of headings with nothing between.
    let mut run_start = 0;
    for i in 1..=sections.len() {
        let continues = i < sections.len() && is_blank(&text[sections[i - 1].own_body.clone()]);
        if !continues {
            if i - run_start >= 6 {
                regions.push(
                    sections[run_start].heading.span.start..sections[i - 1].heading.span.start,
                );
            }
            run_start = i;
        }
    }
    merge(regions)
}

/// A table of contents ends where prose starts: at the last heading before
/// the first long line of text.
fn toc_end(text: &str, sections: &[Section], toc: usize) -> usize {
    let from = sections[toc].heading.span.end;
    let mut offset = from;
    for line in text[from..].split_inclusive('\n') {
        let trimmed = line.trim();
        let prose = trimmed.len() > 120 && !trimmed.ends_with(|c: char| c.is_ascii_digit());
        if prose {
            return sections[toc + 1..]
                .iter()
                .take_while(|s| s.heading.span.start < offset)
                .last()
                .map_or(offset, |s| s.heading.span.start);
        }
        offset += line.len();
    }
    // No prose at all: only the heading itself is ignored.
    from
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_on_stops_and_blank_lines() {
        let text = "One sentence. Two here!\n\nThird para";
        let doc = Document::new(text);
        let got: Vec<&str> = doc
            .sentences
            .iter()
            .map(|r| text[r.clone()].trim())
            .collect();
        assert_eq!(got, ["One sentence.", "Two here!", "Third para"]);
    }

    #[test]
    fn wrapped_lines_stay_in_one_sentence() {
        let text = "Participants will be\nrandomised to two arms.\nNext sentence.";
        let doc = Document::new(text);
        assert_eq!(doc.sentences.len(), 2);
    }

    #[test]
    fn a_long_line_is_cut_into_bounded_sentences() {
        let text = "word ".repeat(10_000);
        let doc = Document::new(&text);
        assert!(doc.sentences.iter().all(|s| s.len() <= MAX_SENTENCE));
    }

    #[test]
    fn words_are_counted_as_split_whitespace_counts_them() {
        for text in [
            "",
            "  ",
            "one",
            " two  words\n",
            "a\u{a0}b\u{2003}c\u{b}d\u{c}e\u{1c}f\u{85}g\u{3000}h",
            "é β\tγ\r\n€",
        ] {
            assert_eq!(
                count_words(text),
                text.split_whitespace().count(),
                "{text:?}"
            );
        }
    }

    #[test]
    fn char_offsets_count_characters_not_bytes() {
        let text = format!("{}β end", "é".repeat(5000));
        let doc = Document::new(&text);
        let at = text.find(" end").unwrap();
        assert_eq!(doc.char_offset(at), 5001);
    }

    #[test]
    fn char_offsets_work_when_a_stride_falls_inside_a_character() {
        let text = format!("{}€ end", "a".repeat(CHAR_MARK_STRIDE - 1));
        let doc = Document::new(&text);
        assert_eq!(doc.char_offset(text.len()), CHAR_MARK_STRIDE + 4);
    }

    #[test]
    fn references_and_contents_are_ignored() {
        let text = "TABLE OF CONTENTS\n1 Background\n2 Methods\n\n1 Background\nThis is a long paragraph of background prose that goes on for quite a while to look like real text here, as real protocols do.\n\nREFERENCES\n1. Smith. A randomised trial. 2001.\n";
        let doc = Document::new(text);
        assert!(doc.is_ignored(text.find("2 Methods").unwrap()));
        assert!(doc.is_ignored(text.find("A randomised").unwrap()));
        assert!(!doc.is_ignored(text.find("long paragraph").unwrap()));
    }

    #[test]
    fn sections_span_their_subsections() {
        let text = "1 Methods\nintro\n1.1 Design\nparallel\n2 Ethics\napproved\n";
        let doc = Document::new(text);
        let methods = &doc.sections[0];
        assert!(doc.slice(&methods.body).contains("parallel"));
        assert!(!doc.slice(&methods.body).contains("approved"));
        assert_eq!(doc.slice(&methods.own_body).trim(), "intro");
    }
}
