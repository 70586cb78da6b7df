//! Which numbered lines of an imported document are its headings, and the
//! text they become. Word and PDF importers both read a document into
//! blocks; a short numbered line ("3.3 Design considerations", a list
//! paragraph numbered 1.0) is only a *candidate*: it is a heading when the
//! document goes on under it, with body text or a deeper heading, and a
//! list item when it is followed by siblings, as a table of contents or a
//! list of criteria is. Headings come out as `#` lines with their numbers,
//! the form the analyzer reads most surely.

/// One piece of a document, in reading order.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// A heading the document declares (a heading style, an outline level).
    Heading {
        level: usize,
        number: Option<String>,
        title: String,
    },
    /// Short and numbered: a heading if what follows says so, else `fallback`.
    Candidate {
        level: usize,
        number: String,
        title: String,
        fallback: Box<Block>,
    },
    /// A list item with its marker (a computed number), if numbered.
    Item {
        marker: Option<String>,
        text: String,
    },
    Paragraph(String),
    /// Rows of cells.
    Table(Vec<Vec<String>>),
}

/// Longest line that can be a heading, as the analyzer judges it.
const MAX_TITLE_CHARS: usize = 120;
const MAX_TITLE_WORDS: usize = 14;
/// A run of this many candidates with no text between them, returning to
/// its top level, is a table of contents or a list, not a chain of headings.
const LIST_RUN: usize = 5;
/// Most short unnumbered lines looked past when finding what follows.
const LOOK_PAST: usize = 12;

/// Short, not a sentence: few words, no closing full stop or comma.
pub fn looks_like_title(text: &str) -> bool {
    let text = text.trim();
    !text.is_empty()
        && text.chars().count() <= MAX_TITLE_CHARS
        && text.split_whitespace().count() <= MAX_TITLE_WORDS
        && !text.ends_with(['.', ',', ';', ':'])
        && text.chars().any(char::is_alphabetic)
}

/// A leading section number ("3.3", "2.0", "10.", "2. 0") and the text
/// after it, when the text after it starts like a title.
pub fn split_number(text: &str) -> Option<(String, &str)> {
    let text = text.trim_start();
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut parts: Vec<&str> = Vec::new();
    loop {
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        if i == start || i - start > 2 {
            return None;
        }
        parts.push(&text[start..i]);
        // "2.3", "2.3.", and the mistyped "2. 0" (a space after the dot).
        if i < bytes.len() && bytes[i] == b'.' {
            let mut j = i + 1;
            if j < bytes.len()
                && bytes[j] == b' '
                && bytes.get(j + 1).is_some_and(u8::is_ascii_digit)
            {
                j += 1;
            }
            if j < bytes.len() && bytes[j].is_ascii_digit() {
                i = j;
                continue;
            }
            i += 1;
        }
        break;
    }
    let rest = &text[i..];
    if !rest.starts_with([' ', '\t', '\u{a0}']) {
        return None;
    }
    let rest = rest.trim_start_matches([' ', '\t', '\u{a0}']);
    Some((parts.join("."), rest))
}

/// A section number's depth: "3" and "3.0" are 1, "3.3" is 2.
pub fn number_level(number: &str) -> usize {
    let mut parts: Vec<&str> = number.split('.').filter(|p| !p.is_empty()).collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.chars().all(|c| c == '0')) {
        parts.pop();
    }
    parts.len().clamp(1, 6)
}

/// A numbered line that may be a heading: its number, level and title.
pub fn numbered_candidate(text: &str) -> Option<(String, usize, String)> {
    let (number, title) = split_number(text)?;
    let title = title.trim();
    let starts_upper = title.chars().next().is_some_and(char::is_uppercase);
    (starts_upper && looks_like_title(title)).then(|| {
        let level = number_level(&number);
        (number, level, title.to_owned())
    })
}

/// "1", "1." and "1.0" are one number.
fn normal_number(number: &str) -> String {
    let mut parts: Vec<&str> = number.split('.').filter(|p| !p.is_empty()).collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.chars().all(|c| c == '0')) {
        parts.pop();
    }
    parts.join(".")
}

fn same_number(block: &Block, number: &str) -> bool {
    matches!(block, Block::Candidate { number: n, .. } if normal_number(n) == normal_number(number))
}

/// What a block is to the blocks before it.
#[derive(Clone, Copy, PartialEq)]
enum Role {
    Heading(usize),
    Candidate(usize),
    /// Text a heading governs: prose, a list, a table.
    Body,
    /// A short unnumbered line (a label, a run-in title): looked past.
    Pass,
}

fn role(block: &Block) -> Role {
    match block {
        Block::Heading { level, .. } => Role::Heading(*level),
        Block::Candidate { level, .. } => Role::Candidate(*level),
        Block::Table(_) | Block::Item { .. } => Role::Body,
        Block::Paragraph(text) if text.trim().is_empty() => Role::Pass,
        Block::Paragraph(text) if looks_like_title(text) => Role::Pass,
        Block::Paragraph(_) => Role::Body,
    }
}

/// Turn every candidate into a heading or back into what it would be
/// without its number's promise.
pub fn settle(blocks: Vec<Block>) -> Vec<Block> {
    let roles: Vec<Role> = blocks.iter().map(role).collect();
    let mut accept = vec![false; blocks.len()];
    let mut i = 0;
    while i < roles.len() {
        if !matches!(roles[i], Role::Heading(_) | Role::Candidate(_)) {
            i += 1;
            continue;
        }
        // A run: headings and candidates with only short lines between.
        let mut run = vec![i];
        let mut j = i + 1;
        let mut ended_early = false;
        let mut passed = 0;
        let mut ended_by_body = false;
        while j < roles.len() {
            match roles[j] {
                Role::Pass if passed < LOOK_PAST => passed += 1,
                Role::Pass => break,
                Role::Body => {
                    ended_by_body = true;
                    break;
                }
                Role::Heading(_) | Role::Candidate(_) => {
                    // A number seen already in the run starts the document
                    // proper after its table of contents.
                    if let Block::Candidate { number, .. } = &blocks[j]
                        && run.iter().any(|&k| same_number(&blocks[k], number))
                    {
                        ended_early = true;
                        break;
                    }
                    run.push(j);
                    passed = 0;
                }
            }
            j += 1;
        }
        let candidates: Vec<usize> = run
            .iter()
            .filter_map(|&k| match roles[k] {
                Role::Candidate(level) => Some(level),
                _ => None,
            })
            .collect();
        let top = candidates.iter().copied().min().unwrap_or(0);
        let is_list =
            candidates.len() >= LIST_RUN && candidates.iter().filter(|l| **l == top).count() >= 2;
        if !is_list {
            for (n, &k) in run.iter().enumerate() {
                let Role::Candidate(level) = roles[k] else {
                    continue;
                };
                accept[k] = match run.get(n + 1) {
                    Some(&next) => match roles[next] {
                        Role::Heading(l) | Role::Candidate(l) => l > level,
                        _ => false,
                    },
                    None => ended_by_body,
                };
            }
        }
        // Start again at the repeated number, or after the run's end.
        i = if ended_early { j } else { j.max(i + 1) };
    }
    // Section numbers only go forward: a "3" met under section 8 is an
    // item of a numbered list, not a section.
    let mut last_top: Option<u32> = None;
    blocks
        .into_iter()
        .zip(accept)
        .map(|(block, accepted)| match block {
            Block::Candidate {
                level,
                number,
                title,
                fallback,
            } => {
                let top = top_number(&number);
                if accepted && top >= last_top {
                    last_top = top.or(last_top);
                    Block::Heading {
                        level,
                        number: Some(number),
                        title,
                    }
                } else {
                    *fallback
                }
            }
            Block::Heading {
                level,
                number,
                title,
            } => {
                if let Some(top) = number.as_deref().and_then(top_number) {
                    last_top = Some(top);
                }
                Block::Heading {
                    level,
                    number,
                    title,
                }
            }
            other => other,
        })
        .collect()
}

/// The first part of a section number: 8 for "8.2.5".
fn top_number(number: &str) -> Option<u32> {
    number.split('.').next().and_then(|n| n.trim().parse().ok())
}

/// The blocks as text: `#` headings, paragraphs apart, list items one per
/// line, table rows with their cells apart.
pub fn render(blocks: &[Block]) -> String {
    let mut out = String::new();
    for block in blocks {
        match block {
            Block::Heading {
                level,
                number,
                title,
            } => {
                let hashes = "#".repeat((*level).clamp(1, 6));
                match number {
                    Some(n) => out.push_str(&format!("\n{hashes} {n} {title}\n\n")),
                    None => out.push_str(&format!("\n{hashes} {title}\n\n")),
                }
            }
            Block::Candidate { fallback, .. } => out.push_str(&render(&[(**fallback).clone()])),
            Block::Item { marker, text } => match marker {
                Some(m) => out.push_str(&format!("- {m} {text}\n")),
                None => out.push_str(&format!("- {text}\n")),
            },
            Block::Paragraph(text) => {
                if !text.trim().is_empty() {
                    out.push_str(text);
                    out.push_str("\n\n");
                }
            }
            Block::Table(rows) => {
                for row in rows {
                    let cells: Vec<String> = row.iter().map(|c| c.replace('|', "/")).collect();
                    if cells.iter().any(|c| !c.trim().is_empty()) {
                        out.push_str(&format!("| {} |\n", cells.join(" | ")));
                    }
                }
                out.push('\n');
            }
        }
    }
    out.trim().to_owned() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(number: &str, title: &str) -> Block {
        Block::Candidate {
            level: number_level(number),
            number: number.to_owned(),
            title: title.to_owned(),
            fallback: Box::new(Block::Paragraph(format!("{number} {title}"))),
        }
    }

    fn prose() -> Block {
        Block::Paragraph(
            "Participants will be randomised in a 1:1 ratio by a central web service.".into(),
        )
    }

    fn headings(blocks: &[Block]) -> Vec<String> {
        blocks
            .iter()
            .filter_map(|b| match b {
                Block::Heading { number, title, .. } => {
                    Some(format!("{} {title}", number.clone().unwrap_or_default()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn numbers_split_and_levels() {
        assert_eq!(split_number("3.3\tDesign"), Some(("3.3".into(), "Design")));
        assert_eq!(
            split_number("2. 0\tBACKGROUND"),
            Some(("2.0".into(), "BACKGROUND"))
        );
        assert_eq!(
            split_number("10. Pharmaceuticals"),
            Some(("10".into(), "Pharmaceuticals"))
        );
        assert_eq!(split_number("2024 Update"), None);
        assert_eq!(split_number("3.5mg daily"), None);
        assert_eq!(number_level("4.0"), 1);
        assert_eq!(number_level("2.0"), 1);
        assert_eq!(number_level("8.2.6.1"), 4);
        assert!(numbered_candidate("1.1  determine the regimen failure rate").is_none());
    }

    #[test]
    fn a_candidate_followed_by_text_or_a_deeper_heading_is_a_heading() {
        let blocks = settle(vec![
            cand("1.0", "OBJECTIVES"),
            cand("1.1", "Primary objectives"),
            Block::Paragraph("The primary objectives are to:".into()),
            cand("2.0", "BACKGROUND"),
            Block::Paragraph("Introduction".into()),
            prose(),
        ]);
        assert_eq!(
            headings(&blocks),
            ["1.0 OBJECTIVES", "1.1 Primary objectives", "2.0 BACKGROUND"]
        );
    }

    #[test]
    fn a_table_of_contents_stays_a_list() {
        let mut blocks = vec![Block::Paragraph("TABLE OF CONTENTS".into())];
        for (n, t) in [
            ("1", "Objectives"),
            ("1.1", "Primary objective"),
            ("1.2", "Secondary objectives"),
            ("2", "Background"),
            ("2.1", "Aplastic anaemia"),
            ("3", "Study design"),
        ] {
            blocks.push(cand(n, t));
        }
        blocks.push(cand("1", "Objectives"));
        blocks.push(prose());
        let blocks = settle(blocks);
        assert_eq!(headings(&blocks), ["1 Objectives"]);
        assert!(render(&blocks).contains("1.1 Primary objective\n"));
    }

    #[test]
    fn siblings_without_text_between_are_not_headings() {
        let blocks = settle(vec![
            cand("5.1", "Age over 18"),
            cand("5.2", "Consent given"),
            cand("6", "Treatment"),
            prose(),
        ]);
        assert_eq!(headings(&blocks), ["6 Treatment"]);
    }

    #[test]
    fn a_list_number_below_the_current_section_is_not_a_section() {
        let blocks = settle(vec![
            cand("8", "Data and safety"),
            prose(),
            cand("3", "Minor non-compliance"),
            prose(),
            cand("9", "Human subjects"),
            prose(),
        ]);
        assert_eq!(headings(&blocks), ["8 Data and safety", "9 Human subjects"]);
    }

    #[test]
    fn rendering_keeps_headings_lists_and_tables_apart() {
        let text = render(&[
            Block::Heading {
                level: 2,
                number: Some("3.3".into()),
                title: "Study design".into(),
            },
            Block::Item {
                marker: Some("a)".into()),
                text: "aged 70".into(),
            },
            Block::Table(vec![vec!["a|b".into(), "c".into()]]),
        ]);
        assert_eq!(text, "## 3.3 Study design\n\n- a) aged 70\n| a/b | c |\n");
    }
}
