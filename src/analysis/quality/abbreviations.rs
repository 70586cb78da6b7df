//! Abbreviations used without being defined, or used before their
//! definition. A definition is `long form (ABBR)`, `ABBR (long form)`, or a
//! line of an abbreviations list (`ABBR  long form`, `ABBR: long form`).

use std::collections::HashMap;
use std::sync::OnceLock;

use regex::Regex;

use super::{Check, Finding};
use crate::analysis::document::Document;
use crate::vocab::Priority;

/// Capitalised words that need no definition: Roman numerals, units,
/// shouting, and abbreviations every reader knows.
const KNOWN: &[&str] = &[
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "A", "AND", "OR",
    "THE", "OF", "TO", "IN", "ON", "AT", "BY", "FOR", "NOT", "NO", "YES", "ALL", "ANY", "NOTE",
    "NB", "OK", "US", "USA", "UK", "EU", "UN", "WHO", "DNA", "RNA", "HIV", "AIDS", "ID", "IDS",
    "PDF", "URL", "MD", "PHD", "RN", "MS", "MSC", "BSC", "MA", "BA", "DO", "AM", "PM", "IU", "UTC",
    "GMT", "COVID", "SARS", "MRI", "CT", "ECG", "EKG", "ICU", "ISBN", "DOI", "SPIRIT", "CONSORT",
    "ICMJE", "NCT", "ISRCTN", "FDA", "NIH", "NHS", "EMA", "MHRA", "IRB", "GCP", "ICH", "CFR",
    "HIPAA", "GDPR", "AE", "AES", "SAE", "SAES", "BMI", "IQ", "TV", "PC", "IT", "CEO", "INC",
    "LTD", "PLC", "LLC", "AB", "DC", "MM", "KG", "MG", "ML", "CM", "MIN", "HR", "HRS", "SD", "SE",
    "CI", "OR", "RR", "HR", "NA", "N", "P", "T", "Q", "VS", "ET", "AL", "IE", "EG", "ETC",
];

/// Largest number of abbreviations named in one suggestion.
const NAMED: usize = 12;

fn token() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| crate::analysis::patterns::compile(r"\b[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*s?\b"))
}

fn defined_after_long_form() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        crate::analysis::patterns::compile(r"\(([A-Z][A-Za-z0-9-]*[A-Z][A-Za-z0-9]*s?)[;,)]")
    })
}

fn defined_before_long_form() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        crate::analysis::patterns::compile(r"(?m)\b([A-Z][A-Z0-9]{1,9})\s*(?:\(|:|=|–|—|-\s|\t|\s{2,})\s*[a-z]{3,}|^\s*([A-Z][A-Z0-9]{1,9})\s*(?:\(|:|=|–|—|-\s|\t|\s{2,})\s*[A-Za-z]")
    })
}

/// A line mostly in capitals is a heading or a shout, not a use.
fn in_capitals_line(doc: &Document<'_>, at: usize) -> bool {
    let line = doc.slice(&doc.line_around(at, 120));
    // One pass over the line for both counts: this runs for every use.
    let (mut lower, mut upper) = (0, 0);
    for c in line.chars() {
        lower += usize::from(c.is_lowercase());
        upper += usize::from(c.is_uppercase());
    }
    lower * 3 < upper
}

fn normalise(token: &str) -> &str {
    // "SAEs" is the plural of "SAE".
    token
        .strip_suffix('s')
        .filter(|t| t.len() >= 2)
        .unwrap_or(token)
}

pub fn check(doc: &Document<'_>) -> Vec<Finding> {
    let text = doc.text;
    let mut definitions: HashMap<&str, usize> = HashMap::new();
    for caps in defined_after_long_form().captures_iter(text) {
        if let Some(m) = caps.get(1) {
            definitions
                .entry(normalise(m.as_str()))
                .or_insert(m.start());
        }
    }
    for caps in defined_before_long_form().captures_iter(text) {
        if let Some(m) = caps.get(1).or_else(|| caps.get(2)) {
            definitions
                .entry(normalise(m.as_str()))
                .or_insert(m.start());
        }
    }
    // Uses: first position and count, outside headings, contents and references.
    let mut uses: HashMap<&str, (usize, usize)> = HashMap::new();
    for m in token().find_iter(text) {
        let word = normalise(m.as_str());
        if word.len() < 2 || word.len() > 8 || KNOWN.contains(&word) {
            continue;
        }
        // Parts of hyphenated names (VITAL-FALLS, EQ-5D) are names, not abbreviations.
        let before = text[..m.start()].chars().next_back();
        let after = text[m.end()..].chars().next();
        if before == Some('-') || after == Some('-') || after == Some('/') || before == Some('/') {
            continue;
        }
        if doc.is_ignored(m.start()) || in_capitals_line(doc, m.start()) {
            continue;
        }
        let entry = uses.entry(word).or_insert((m.start(), 0));
        entry.1 += 1;
    }
    let mut undefined: Vec<(&str, usize, usize)> = Vec::new();
    let mut early: Vec<(&str, usize, usize)> = Vec::new();
    for (word, (first, count)) in uses {
        match definitions.get(word) {
            None if count >= 2 => undefined.push((word, first, count)),
            // A definition a sentence or so after first use is the same mention.
            Some(&defined) if defined > first + 200 => early.push((word, first, defined)),
            _ => {}
        }
    }
    undefined.sort_by_key(|&(w, first, _)| (first, w));
    early.sort_by_key(|&(w, first, _)| (first, w));
    let mut findings = Vec::new();
    if !undefined.is_empty() {
        let names: Vec<String> = undefined
            .iter()
            .take(NAMED)
            .map(|(w, _, n)| format!("{w} ({n}×)"))
            .collect();
        let more = undefined.len().saturating_sub(NAMED);
        findings.push(Finding {
            check: Check::Abbreviation,
            section: "Abbreviations".into(),
            message: format!(
                "{} abbreviation{} used but never defined: {}{}.",
                undefined.len(),
                if undefined.len() == 1 { " is" } else { "s are" },
                names.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ),
            fix: "Spell each out at first use, e.g. \"graft-versus-host disease (GVHD)\", or add a list of abbreviations.".into(),
            evidence: undefined.iter().take(5).map(|&(w, first, _)| first..first + w.len()).collect(),
            priority: Priority::Low,
            confidence: 0.6,
            reference: None,
            count: undefined.len(),
            subject: "never defined".into(),
        });
    }
    if !early.is_empty() {
        let names: Vec<&str> = early.iter().take(NAMED).map(|(w, _, _)| *w).collect();
        findings.push(Finding {
            check: Check::Abbreviation,
            section: "Abbreviations".into(),
            message: format!(
                "{} abbreviation{} used before {} defined: {}.",
                early.len(),
                if early.len() == 1 { " is" } else { "s are" },
                if early.len() == 1 {
                    "it is"
                } else {
                    "they are"
                },
                names.join(", ")
            ),
            fix: "Move each definition to the first place the abbreviation is used.".into(),
            evidence: early
                .iter()
                .take(5)
                .map(|&(w, first, _)| first..first + w.len())
                .collect(),
            priority: Priority::Low,
            confidence: 0.6,
            reference: None,
            count: early.len(),
            subject: "defined late".into(),
        });
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        super::super::messages_of(check, text)
    }

    #[test]
    fn defined_abbreviations_pass() {
        let text = "Graft-versus-host disease (GVHD) is common. GVHD is graded. The DSMB (data safety monitoring board) meets. The DSMB reviews.";
        assert!(messages(text).is_empty(), "{:?}", messages(text));
    }

    #[test]
    fn undefined_abbreviations_are_named() {
        let text = "Patients with TRM are followed. TRM is recorded.";
        let m = messages(text);
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("TRM (2×)"), "{m:?}");
    }

    #[test]
    fn use_before_definition_is_reported() {
        let text = format!(
            "The CNI dose is set. {} Calcineurin inhibitor (CNI) levels.",
            "Filler sentence here. ".repeat(20)
        );
        let m = messages(&text);
        assert!(m.iter().any(|m| m.contains("before")), "{m:?}");
    }

    #[test]
    fn headings_and_known_words_are_not_uses() {
        assert!(
            messages(
                "STUDY DESIGN AND METHODS\nWe follow WHO and FDA rules. WHO again. FDA again."
            )
            .is_empty()
        );
    }
}
