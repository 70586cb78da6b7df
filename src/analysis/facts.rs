//! What the protocol says about itself that a suggestion can reuse: its
//! title, interventions, primary outcome and target sample size.

use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;

use super::document::Document;

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Facts {
    pub title: Option<String>,
    pub intervention: Option<String>,
    pub comparator: Option<String>,
    pub primary_outcome: Option<String>,
    pub sample_size: Option<u64>,
    pub population: Option<String>,
}

fn regex(cell: &'static OnceLock<Regex>, pattern: &str) -> &'static Regex {
    cell.get_or_init(|| super::patterns::compile(pattern))
}

/// Longest phrase kept for a fact; longer ones are cut at a word.
const MAX_FACT: usize = 90;

pub fn extract(doc: &Document<'_>, title: Option<&str>) -> Facts {
    let mut facts = Facts {
        title: title.map(str::to_owned),
        ..Facts::default()
    };
    if let Some(title) = title {
        (facts.intervention, facts.comparator) = arms_in(title);
        facts.population = population_in(title);
    }
    if facts.intervention.is_none() {
        (facts.intervention, facts.comparator) = arms_in_text(doc);
    }
    facts.primary_outcome = primary_outcome(doc);
    facts.sample_size = sample_size(doc);
    facts
}

fn tidy(text: &str) -> Option<String> {
    let text = text
        .trim()
        .trim_matches(|c: char| c == ',' || c == ';' || c == ':' || c == '.' || c == '"')
        .trim();
    if text.is_empty() || text.split_whitespace().count() > 14 {
        return None;
    }
    let mut out: String = text.chars().take(MAX_FACT).collect();
    if text.chars().count() > MAX_FACT
        && let Some((head, _)) = out.rsplit_once(' ')
    {
        out = head.to_owned();
    }
    Some(out)
}

/// "X versus Y", "X vs Y", "X compared with Y" in a title.
fn arms_in(title: &str) -> (Option<String>, Option<String>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"(?i)(?:^|:\s*|\bof\s+)([^:;]{2,80}?)\s+(?:versus|vs\.?|compared (?:with|to)|or)\s+([^:;,]{2,60}?)(?:\s+(?:to|for|in|on|among|as|after|during|at)\b|[,:;(]|$)",
    );
    match re.captures(title) {
        Some(c) => (
            c.get(1).and_then(|m| tidy(last_clause(m.as_str()))),
            c.get(2).and_then(|m| tidy(m.as_str())),
        ),
        None => (None, None),
    }
}

/// "a trial of sirolimus in children" keeps "sirolimus", not the lead-in.
fn last_clause(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    [" of ", " with ", " using "]
        .iter()
        .filter_map(|w| lower.rfind(w).map(|i| i + w.len()))
        .max()
        .map_or(text, |i| &text[i..])
}

fn population_in(title: &str) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"(?i)\b(?:in|among|for)\s+((?:patients|people|adults|children|women|men|infants|participants|older|young|pregnant)[^:;,.()]{0,60})",
    );
    re.captures(title)
        .and_then(|c| c.get(1))
        .and_then(|m| tidy(m.as_str()))
}

/// "randomised to X or Y", "X group ... Y group".
fn arms_in_text(doc: &Document<'_>) -> (Option<String>, Option<String>) {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"(?i)randomi[sz]ed\s+(?:\(?\d:\d\)?\s+)?(?:to\s+(?:receive\s+)?|between\s+)(?:either\s+)?([^,.;]{2,60}?)\s+(?:or|and|versus|vs\.?)\s+([^,.;]{2,60}?)[,.;]",
    );
    for c in re.captures_iter(doc.text) {
        let Some(m) = c.get(0) else { continue };
        if doc.is_ignored(m.start()) {
            continue;
        }
        return (
            c.get(1).and_then(|m| tidy(m.as_str())),
            c.get(2).and_then(|m| tidy(m.as_str())),
        );
    }
    (None, None)
}

fn primary_outcome(doc: &Document<'_>) -> Option<String> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"(?i)\bprimary\s+(?:efficacy\s+)?(?:outcome|end[\s-]?point)(?:\s+measure)?(?:\s+(?:is|will be|was)|:)\s+(?:the\s+|to\s+determine\s+)?([^.;\n]{5,200})",
    );
    for c in re.captures_iter(doc.text) {
        let Some(m) = c.get(1) else { continue };
        if doc.is_ignored(m.start()) {
            continue;
        }
        let phrase = m.as_str();
        // Keep the measure, not its explanation.
        let cut = phrase
            .find(", recorded")
            .or_else(|| phrase.find(", measured"))
            .or_else(|| phrase.find(", defined"))
            .or_else(|| phrase.find(", as assessed"))
            .unwrap_or(phrase.len());
        let words: Vec<&str> = phrase[..cut].split_whitespace().take(14).collect();
        if let Some(fact) = tidy(&words.join(" ")) {
            return Some(fact);
        }
    }
    None
}

fn sample_size(doc: &Document<'_>) -> Option<u64> {
    static RE: OnceLock<Regex> = OnceLock::new();
    let re = regex(
        &RE,
        r"(?i)\b(?:randomi[sz]e|enrol+|enroll|recruit|total of|sample size of)\w*\s+(?:a total of\s+|approximately\s+|up to\s+)?(\d{2,6})\s+(?:[a-z]+\s+){0,2}?(?:participants|patients|subjects|women|men|children|adults|individuals|people)\b",
    );
    re.captures_iter(doc.text)
        .filter(|c| c.get(0).is_some_and(|m| !doc.is_ignored(m.start())))
        .filter_map(|c| c.get(1)?.as_str().parse().ok())
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arms_come_from_a_versus_title() {
        let (i, c) =
            arms_in("VITAL-FALLS: Vitamin D3 versus placebo to prevent falls in older adults");
        assert_eq!(i.as_deref(), Some("Vitamin D3"));
        assert_eq!(c.as_deref(), Some("placebo"));
    }

    #[test]
    fn primary_outcome_is_the_measure_named() {
        let text = "Primary outcome: the rate of falls per person-year over 12 months, recorded by diaries.";
        let doc = Document::new(text);
        assert_eq!(
            primary_outcome(&doc).as_deref(),
            Some("rate of falls per person-year over 12 months")
        );
    }

    #[test]
    fn sample_size_is_the_largest_total() {
        let doc = Document::new(
            "We will randomise 700 participants (350 per group). We need 592 participants.",
        );
        assert_eq!(sample_size(&doc), Some(700));
    }
}
