//! Finding a document's headings: markdown `#` lines, setext underlines,
//! numbered headings (`2.3 Sample size`), and short ALL-CAPS lines, the
//! shapes that text exported from Word and PDF protocols takes.
//!
//! Plain text uses `#` for other things ("# of participants enrolled: 40",
//! "#1 priority"), so a `#` line is a heading only where the document
//! clearly writes its headings so: the line reads like a title (its first
//! word is not a lower-case one, it has words), and the document opens
//! with such a line or has at least `MARKDOWN_HEADINGS` of them.

use std::ops::Range;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heading {
    /// 1 for top-level; deeper for `##` or `2.3.1`.
    pub level: usize,
    /// The heading's number as written (`2.3`), if numbered.
    pub number: Option<String>,
    pub title: String,
    /// Byte range of the heading line in the text.
    pub span: Range<usize>,
}

/// Longest line taken as a heading; longer lines are prose.
const MAX_HEADING_CHARS: usize = 120;
const MAX_HEADING_WORDS: usize = 14;
/// Most headings read from one document: real protocols have hundreds at
/// most; a file of millions of heading-like lines must not make millions
/// of sections (the rest read as the last section's text).
pub const MAX_HEADINGS: usize = 10_000;
/// `#` headings that show a document writes its headings in markdown.
const MARKDOWN_HEADINGS: usize = 3;

pub fn headings(text: &str) -> Vec<Heading> {
    let uses_markdown = uses_markdown(text);
    let mut found = Vec::new();
    let mut offset = 0;
    let mut lines = text.split_inclusive('\n').peekable();
    while let Some(raw) = lines.next() {
        if found.len() == MAX_HEADINGS {
            break;
        }
        let start = offset;
        offset += raw.len();
        let line = raw.trim_end_matches(['\n', '\r']);
        let span = start..start + line.len();
        let next = lines.peek().map(|l| l.trim());
        let markdown = || markdown(line, span.clone()).filter(|_| uses_markdown);
        if let Some(h) = markdown()
            .or_else(|| setext(line, next, span.clone()))
            .or_else(|| numbered(line, span.clone()))
            .or_else(|| all_caps(line, span.clone()))
        {
            found.push(h);
        }
    }
    found
}

fn clean_title(title: &str) -> String {
    title
        .trim()
        .trim_end_matches(['#', ':'])
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect()
}

/// Whether the document writes headings as `#` lines: it opens with one,
/// or has several.
fn uses_markdown(text: &str) -> bool {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    if lines
        .next()
        .is_some_and(|first| markdown(first, 0..0).is_some())
    {
        return true;
    }
    lines
        .filter(|l| markdown(l, 0..0).is_some())
        .nth(MARKDOWN_HEADINGS - 2)
        .is_some()
}

/// A `#` line that reads like a heading, whatever the rest of the document.
fn markdown(line: &str, span: Range<usize>) -> Option<Heading> {
    let trimmed = line.trim_start();
    let hashes = trimmed.chars().take_while(|&c| c == '#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let rest = &trimmed[hashes..];
    if !rest.starts_with([' ', '\t']) || rest.trim().is_empty() {
        return None;
    }
    let (number, title) = split_number(rest.trim());
    // "# of participants", "# 40 patients enrolled", "# 12": a count or a
    // sentence, not a title.
    let first = title.split_whitespace().next().unwrap_or_default();
    let lower_case_word = first.chars().any(char::is_lowercase)
        && !first
            .chars()
            .any(|c| c.is_uppercase() || c.is_ascii_digit());
    if !title.chars().any(char::is_alphabetic) || lower_case_word {
        return None;
    }
    Some(Heading {
        level: hashes,
        number,
        title: clean_title(title),
        span,
    })
}

fn setext(line: &str, next: Option<&str>, span: Range<usize>) -> Option<Heading> {
    let next = next?;
    let level = if next.len() >= 3 && next.chars().all(|c| c == '=') {
        1
    } else if next.len() >= 3 && next.chars().all(|c| c == '-') {
        2
    } else {
        return None;
    };
    let title = line.trim();
    if title.is_empty() || !looks_like_title(title) {
        return None;
    }
    let (number, title) = split_number(title);
    Some(Heading {
        level,
        number,
        title: clean_title(title),
        span,
    })
}

/// Split a leading `2.3`, `2.3.`, `10)` or `IV.` number from a title.
fn split_number(text: &str) -> (Option<String>, &str) {
    let end = text
        .char_indices()
        .find(|&(_, c)| !(c.is_ascii_digit() || c == '.'))
        .map_or(text.len(), |(i, _)| i);
    let number = text[..end].trim_end_matches('.');
    let starts_with_digit = number.starts_with(|c: char| c.is_ascii_digit());
    let rest = &text[end..];
    if starts_with_digit && !number.contains("..") && rest.starts_with([' ', '\t', ')']) {
        let rest = rest.trim_start_matches(')').trim_start();
        return (Some(number.to_owned()), rest);
    }
    (None, text)
}

fn numbered(line: &str, span: Range<usize>) -> Option<Heading> {
    let trimmed = line.trim();
    let (number, title) = split_number(trimmed);
    let number = number?;
    // "12.5 mg daily" or "3 patients" are prose, not headings.
    if !title.starts_with(|c: char| c.is_uppercase()) || !looks_like_title(title) {
        return None;
    }
    // A number like 2024 or 150 is a year or a count, not a section.
    if number.split('.').any(|part| part.len() > 2) {
        return None;
    }
    Some(Heading {
        level: number.split('.').filter(|p| !p.is_empty()).count(),
        number: Some(number),
        title: clean_title(title),
        span,
    })
}

fn all_caps(line: &str, span: Range<usize>) -> Option<Heading> {
    let trimmed = line.trim();
    // Every line of prose comes here: the first lowercase letter rules it
    // out before the line is read to its end.
    if trimmed
        .chars()
        .any(|c| c.is_alphabetic() && c.is_lowercase())
    {
        return None;
    }
    let letters = trimmed.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 4 || !looks_like_title(trimmed) {
        return None;
    }
    let (number, title) = split_number(trimmed);
    Some(Heading {
        level: 1,
        number,
        title: clean_title(title),
        span,
    })
}

/// Short, not a sentence: few words, no sentence-ending full stop.
fn looks_like_title(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text.chars().count() <= MAX_HEADING_CHARS
        && text.split_whitespace().count() <= MAX_HEADING_WORDS
        && !text.ends_with(['.', ',', ';'])
        && text.chars().any(|c| c.is_alphabetic())
}

/// How far into a document its title is looked for.
const TITLE_SEARCH_LINES: usize = 40;

/// The protocol's title: the text after a `Title:` label near the top,
/// else a leading `# Title` line, else the first long title-like line (cover pages put a long descriptive
/// title among short labels), else the first heading.
pub fn document_title(text: &str) -> Option<String> {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(TITLE_SEARCH_LINES)
        .collect();
    labelled_title(&lines)
        .or_else(|| markdown_title(&lines))
        .or_else(|| first_long_title_line(&lines))
        .or_else(|| headings(text).into_iter().next().map(|h| h.title))
        .map(|t| t.chars().filter(|c| !c.is_control()).collect::<String>())
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
}

/// What a title's own heading or label line says in a template ("Title",
/// "Full title", "### Protocol title"), lowercased and without its marks.
const TITLE_LABELS: &[&str] = &[
    "title",
    "full title",
    "protocol title",
    "study title",
    "trial title",
    "official title",
    "scientific title",
];

fn labelled_title(lines: &[&str]) -> Option<String> {
    for (i, line) in lines.iter().enumerate() {
        // A template's "### Title" heading with the title on the next line.
        let label = line
            .trim_start_matches('#')
            .trim()
            .trim_end_matches(':')
            .trim()
            .to_lowercase();
        if TITLE_LABELS.contains(&label.as_str())
            && let Some(next) = lines.get(i + 1)
            && !next.starts_with('#')
            && !is_label_line(next)
            && next.split_whitespace().count() >= 3
        {
            return Some((*next).to_owned());
        }
        let lower = line.to_lowercase();
        let Some(at) = lower.find("title:") else {
            continue;
        };
        // Only a label: "Title:" at the start or after a space, not "subtitle:".
        if at > 0 && !lower[..at].ends_with(' ') {
            continue;
        }
        let rest = line[at + "title:".len()..].trim();
        let title = cut_before_next_label(rest).trim();
        if title.split_whitespace().count() >= 3 {
            return Some(title.to_owned());
        }
    }
    None
}

/// Cover pages flattened into one line run on into the next label
/// ("… β-Thalassemia Other underlying words: …"): cut before it.
fn cut_before_next_label(text: &str) -> &str {
    let Some(colon) = text.find(':') else {
        return text;
    };
    let before = &text[..colon];
    let words: Vec<(usize, &str)> = before
        .split_whitespace()
        .map(|w| (w.as_ptr() as usize - before.as_ptr() as usize, w))
        .collect();
    // The label is the last few words before the colon, back to the
    // nearest capitalised one.
    for (start, word) in words.iter().rev().take(4) {
        if word.starts_with(|c: char| c.is_uppercase()) {
            return &text[..*start];
        }
    }
    before
}

fn markdown_title(lines: &[&str]) -> Option<String> {
    let first = lines.first()?;
    markdown(first, 0..0)?;
    let title = first.strip_prefix("# ")?.trim();
    (!title.is_empty()).then(|| title.to_owned())
}

/// "Principal Investigator: Dr X" is a label and its value, not a title.
fn is_label_line(line: &str) -> bool {
    line.split_once(": ")
        .is_some_and(|(label, _)| label.split_whitespace().count() <= 3)
}

fn first_long_title_line(lines: &[&str]) -> Option<String> {
    lines
        .iter()
        .filter(|l| {
            let words = l.split_whitespace().count();
            (5..=45).contains(&words)
                && !l.ends_with([':', '.', ';', ','])
                && !is_label_line(l)
                && l.chars().filter(|c| c.is_alphabetic()).count() * 2 > l.chars().count()
        })
        .find(|l| l.split_whitespace().count() >= 6)
        .map(|l| (*l).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titles(text: &str) -> Vec<String> {
        headings(text).into_iter().map(|h| h.title).collect()
    }

    #[test]
    fn markdown_numbered_and_caps_headings_are_found() {
        let text = "# Trial protocol\n\nSome prose here.\n\n2.3 Sample size\nWe need 120 participants.\n\nSTUDY DESIGN\nParallel.\n";
        assert_eq!(
            titles(text),
            ["Trial protocol", "Sample size", "STUDY DESIGN"]
        );
    }

    #[test]
    fn hash_lines_of_plain_text_are_not_headings() {
        // Counts and notes written with `#`, in a text that uses no markdown.
        let text = "Enrolment report\n\n# of participants enrolled: 40\n#1 priority is retention.\n# Sites open: 12\n";
        assert!(titles(text).is_empty(), "{:?}", titles(text));
        // Nor in one that does.
        let text = "# Protocol\n\n## Methods\n# of participants enrolled: 40\n# 40 patients\n## Analysis\n";
        assert_eq!(titles(text), ["Protocol", "Methods", "Analysis"]);
    }

    #[test]
    fn hash_headings_count_where_the_document_uses_several() {
        let text = "Trial of X\n\n# Background\ntext\n# Methods\ntext\n## 2.1 Design\ntext\n";
        assert_eq!(titles(text), ["Background", "Methods", "Design"]);
        let one = "Trial of X\n\n# Sites open: 12\nMore text.\n";
        assert!(titles(one).is_empty(), "{:?}", titles(one));
        assert_eq!(
            document_title("# of participants: 40\nBody text here.\n"),
            None
        );
    }

    #[test]
    fn numbered_prose_is_not_a_heading() {
        let text = "1. Patients will be randomised to two arms.\n150 Participants\n12.5 mg daily\n";
        assert!(titles(text).is_empty(), "{:?}", titles(text));
    }

    #[test]
    fn levels_follow_numbering_depth() {
        let h = headings("2.3.1 Primary outcome\n");
        assert_eq!(h[0].level, 3);
        assert_eq!(h[0].number.as_deref(), Some("2.3.1"));
    }

    #[test]
    fn setext_headings_are_found() {
        assert_eq!(titles("Background\n==========\ntext\n"), ["Background"]);
    }

    #[test]
    fn title_after_a_label_is_cut_before_the_next_label() {
        let text = "CLINICAL RESEARCH PROTOCOL\nProject # 09 Title: Haploidentical Transplantation for Sickle Cell Disease Other underlying words: stem cells\n";
        assert_eq!(
            document_title(text).as_deref(),
            Some("Haploidentical Transplantation for Sickle Cell Disease")
        );
    }

    #[test]
    fn a_title_heading_of_a_template_gives_the_line_under_it() {
        let text = "# Draft protocol: EMHIP\n\n## Administrative information\n\n### Title\nEarly mobilisation after hip fracture surgery: a randomised controlled trial\n\n### Trial registration\n[TBD]\n";
        assert_eq!(
            document_title(text).as_deref(),
            Some("Early mobilisation after hip fracture surgery: a randomised controlled trial")
        );
        // An empty one says nothing: the next heading is not a title.
        let text = "# Draft protocol: EMHIP\n\n### Title\n### Trial registration\n[TBD]\n";
        assert_eq!(
            document_title(text).as_deref(),
            Some("Draft protocol: EMHIP")
        );
        // Nor is the label that follows an empty "Title" on a cover page.
        let text = "# Draft protocol: EMHIP\n\nTitle\nPrincipal Investigator: Dr A Smith\n";
        assert_eq!(
            document_title(text).as_deref(),
            Some("Draft protocol: EMHIP")
        );
    }

    #[test]
    fn a_long_line_under_short_labels_is_the_title() {
        let text = "Protocol Numbers:\n\nBranch # MB-1\n\nSirolimus Conversion to Improve the Relapse Rate in Severe Aplastic Anemia\n\nPrincipal Investigator:\n";
        assert_eq!(
            document_title(text).as_deref(),
            Some("Sirolimus Conversion to Improve the Relapse Rate in Severe Aplastic Anemia")
        );
    }

    #[test]
    fn a_leading_markdown_title_wins_over_prose() {
        let text = "# Vitamin D for fractures: a randomised trial\n\n## Background\nFractures in older adults are common and costly.\n";
        assert_eq!(
            document_title(text).as_deref(),
            Some("Vitamin D for fractures: a randomised trial")
        );
    }

    #[test]
    fn prose_sentences_are_not_titles() {
        let text = "PROTOCOL\nPatients will walk daily for twelve weeks in total.\n";
        assert_eq!(document_title(text).as_deref(), Some("PROTOCOL"));
    }

    #[test]
    fn spans_point_at_the_heading_line() {
        let text = "# Protocol\nintro\n## Methods\nbody";
        let h = &headings(text)[1];
        assert_eq!(&text[h.span.clone()], "## Methods");
    }
}
