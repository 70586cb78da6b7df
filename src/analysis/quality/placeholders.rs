//! Placeholders left in the text: TBD, TODO, XXX, `[insert …]`, `??`,
//! blanks to fill in (`_____`).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use regex::Regex;

use super::{Check, Finding, section_name};
use crate::analysis::document::Document;
use crate::vocab::Priority;

fn pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        crate::analysis::patterns::compile(r"\b(?:TBD|TBC|TBA|TODO|FIXME|XXX+|[Tt]o be (?:determined|confirmed|decided|added))\b|\[(?i:insert|add|enter|tbd|tbc|name|date|details?|number|xx+|placeholder)[^\]\n]{0,60}\]|<(?i:insert|add|enter)[^>\n]{0,60}>|\?\?+|_{4,}")
    })
}

/// Form fields in consent templates are meant to stay blank.
fn is_form_field(line: &str) -> bool {
    let lower = line.to_ascii_lowercase();
    [
        "signature",
        "initials",
        "printed name",
        "print name",
        "witness",
        "date:",
        "date of birth",
        "signed",
    ]
    .iter()
    .any(|w| lower.contains(w))
}

/// A sentence that says nothing but a placeholder ("IND Sponsor: ______"):
/// fewer than four words remain once its placeholders are taken out.
pub fn is_placeholder_only(sentence: &str) -> bool {
    if !pattern().is_match(sentence) {
        return false;
    }
    let rest = pattern().replace_all(sentence, " ");
    rest.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
        .count()
        < 4
}

pub fn check(doc: &Document<'_>) -> Vec<Finding> {
    // One finding per section, so a section full of blanks is one item of work.
    let mut by_section: BTreeMap<usize, Vec<std::ops::Range<usize>>> = BTreeMap::new();
    for m in pattern().find_iter(doc.text) {
        if doc.is_ignored(m.start()) {
            continue;
        }
        let line_range = doc.line_around(m.start(), 160);
        let (line_start, line_end) = (line_range.start, line_range.end.max(m.end()));
        let line = &doc.text[line_start..line_end];
        if m.as_str().starts_with('_') && is_form_field(line) {
            continue;
        }
        let key = doc
            .section_at(m.start())
            .map_or(0, |s| s.heading.span.start);
        by_section
            .entry(key)
            .or_default()
            .push(line_start..line_end);
    }
    by_section
        .into_values()
        .map(|mut lines| {
            lines.dedup();
            let count = lines.len();
            let first = lines[0].start;
            let quotes: Vec<String> = lines.iter().take(3).map(|r| doc.quote(r.clone(), 80)).collect();
            Finding {
                check: Check::Placeholder,
                section: section_name(doc, first, "Document"),
                message: format!(
                    "{count} placeholder{} left in this section, e.g. \"{}\".",
                    if count == 1 { " is" } else { "s are" },
                    quotes.join("\", \"")
                ),
                fix: "Replace each placeholder with the final text, or state that the information is not yet available and when it will be.".into(),
                evidence: lines.into_iter().take(5).collect(),
                priority: if count >= 3 { Priority::High } else { Priority::Medium },
                confidence: 0.9,
                reference: None,
                count,
                subject: String::new(),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> usize {
        check(&Document::new(text)).iter().map(|f| f.count).sum()
    }

    #[test]
    fn placeholders_are_found() {
        assert_eq!(found("Protocol number MB-XXX\n"), 1);
        assert_eq!(found("Sample size: TBD\n"), 1);
        assert_eq!(found("The sponsor is [insert sponsor name].\n"), 1);
        assert_eq!(found("IND Sponsor: ___________\n"), 1);
        assert_eq!(found("Dose ?? mg\n"), 1);
    }

    #[test]
    fn a_sentence_of_only_a_placeholder_says_nothing() {
        assert!(is_placeholder_only("IND Sponsor: ___________"));
        assert!(!is_placeholder_only(
            "Dr. Philip Scheinberg_______ will serve as the independent monitor."
        ));
        assert!(!is_placeholder_only(
            "The sponsor is the University of Northbridge."
        ));
    }

    #[test]
    fn ordinary_text_and_form_fields_are_not_placeholders() {
        assert_eq!(found("The total dose is 400 cGy. What is known?\n"), 0);
        assert_eq!(found("Signature of participant: ____________\n"), 0);
        assert_eq!(found("XXXL shirts\n"), 0);
    }
}
