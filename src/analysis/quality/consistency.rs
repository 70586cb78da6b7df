//! Figures that should be the same everywhere but are not: the target
//! sample size, and the protocol's version number.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;

use super::{Check, Finding, section_name};
use crate::analysis::document::Document;
use crate::vocab::Priority;

fn sample_size() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        crate::analysis::patterns::compile(r"(?i)\b(?:enrol+|enroll|recruit|randomi[sz]e|randomi[sz]ing|accrue|sample size (?:is|of|will be)|total sample size (?:is|of)|a total of|target (?:sample )?of)\w*\s+(?:a total of\s+|up to\s+|approximately\s+|about\s+|at least\s+)?(\d{2,6})\s+(?:[a-z-]+\s+){0,2}?(?:participants|patients|subjects|women|men|children|adults|individuals|people|infants|volunteers)\b")
    })
}

fn version() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        crate::analysis::patterns::compile(
            r"(?i)\b(?:protocol\s+)?version\s*(?:no\.?|number|:)?\s*(\d+(?:\.\d+)*)\b",
        )
    })
}

/// Words after a number that make it a part, not the whole.
const PART_OF_TOTAL: &[&str] = &[
    "per ",
    "in each",
    "each arm",
    "each group",
    "on each",
    "from each",
    "at each",
    "in cohort",
    "per cohort",
    "in arm",
    "in the intervention",
    "in the control",
    "in the placebo",
    "in the treatment",
    "in the experimental",
    "in the first",
    "in the second",
    "in the pilot",
    "in stage",
    "in phase",
    "a year",
    "a month",
    "annually",
];

pub fn check(doc: &Document<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(sample_sizes(doc));
    findings.extend(versions(doc));
    findings
}

fn sample_sizes(doc: &Document<'_>) -> Option<Finding> {
    // Each figure with the first sentence that states it.
    let mut stated: BTreeMap<u64, Range<usize>> = BTreeMap::new();
    for caps in sample_size().captures_iter(doc.text) {
        let (Some(all), Some(n)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        // The words right after the figure say whether it is a total.
        let tail_end = crate::analysis::document::floor_boundary(
            doc.text,
            (all.end() + 24).min(doc.text.len()),
        );
        let tail = doc.text[all.end()..tail_end].to_ascii_lowercase();
        let tail = tail.trim_start();
        if doc.is_ignored(all.start()) || PART_OF_TOTAL.iter().any(|p| tail.starts_with(p)) {
            continue;
        }
        if let Ok(n) = n.as_str().parse::<u64>() {
            stated
                .entry(n)
                .or_insert_with(|| doc.sentences[doc.sentence_at(all.start())].clone());
        }
    }
    if stated.len() < 2 {
        return None;
    }
    let figures: Vec<String> = stated.keys().map(u64::to_string).collect();
    let evidence: Vec<Range<usize>> = stated.values().take(4).cloned().collect();
    Some(Finding {
        check: Check::Inconsistency,
        section: section_name(doc, evidence[0].start, "Sample size"),
        message: format!(
            "The target sample size is stated as {} in different places.",
            crate::analysis::join_list(&figures, "and")
        ),
        fix: "Use one target sample size throughout, matching the sample size calculation; if some figures are per group or per stage, say so.".into(),
        evidence,
        priority: Priority::High,
        confidence: 0.6,
        reference: Some("SPIRIT 2013 item 14"),
        count: 1,
        subject: "sample size".into(),
    })
}

/// Version statements on the title page or in running headers are the
/// document's own version; elsewhere they are history ("version 1 was ...").
fn versions(doc: &Document<'_>) -> Option<Finding> {
    let mut line_counts: HashMap<&str, usize> = HashMap::new();
    for line in doc.text.lines() {
        let line = line.trim();
        if (8..=150).contains(&line.len()) {
            *line_counts.entry(line).or_default() += 1;
        }
    }
    let title_page = (doc.text.len() / 50).clamp(1500, 4000);
    // Each version with the first line that states it.
    let mut stated: BTreeMap<String, Range<usize>> = BTreeMap::new();
    let mut offset = 0;
    for raw in doc.text.split_inclusive('\n') {
        let line = raw.trim();
        let start = offset;
        offset += raw.len();
        if line.len() > 150 || doc.is_ignored(start) {
            continue;
        }
        let repeated = line_counts.get(line).copied().unwrap_or(0) >= 3;
        if !(start < title_page || repeated) {
            continue;
        }
        let lower = line.to_ascii_lowercase();
        if [
            "previous",
            "prior",
            "earlier",
            "amended from",
            "replaces",
            "supersedes",
        ]
        .iter()
        .any(|w| lower.contains(w))
        {
            continue;
        }
        for caps in version().captures_iter(line) {
            if let Some(v) = caps.get(1) {
                let v = v.as_str().trim_end_matches(".0").to_owned();
                stated
                    .entry(v)
                    .or_insert(start..start + raw.trim_end().len());
            }
        }
    }
    if stated.len() < 2 {
        return None;
    }
    let figures: Vec<String> = stated.keys().cloned().collect();
    let evidence: Vec<Range<usize>> = stated.values().take(4).cloned().collect();
    Some(Finding {
        check: Check::Inconsistency,
        section: section_name(doc, evidence[0].start, "Administrative information"),
        message: format!(
            "The protocol's version is given as {} on the title page or in running headers.",
            crate::analysis::join_list(&figures, "and")
        ),
        fix: "Give one version number and date on the title page and in every header or footer."
            .into(),
        evidence,
        priority: Priority::Medium,
        confidence: 0.6,
        reference: Some("SPIRIT 2013 item 3"),
        count: 1,
        subject: "version".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(text: &str) -> Vec<String> {
        super::super::messages_of(check, text)
    }

    #[test]
    fn differing_sample_sizes_are_reported() {
        let text = "We will enrol 120 participants. Later on: we plan to randomise 112 participants in total.";
        let m = messages(text);
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("112 and 120"), "{m:?}");
    }

    #[test]
    fn totals_with_a_setting_or_population_still_count() {
        let text = "We will enrol 120 participants from GP surgeries. We will recruit 80 participants with insomnia.";
        assert_eq!(messages(text).len(), 1);
    }

    #[test]
    fn per_group_figures_are_not_totals() {
        let text = "We will enrol 120 participants. We will enrol 60 patients per group.";
        assert!(messages(text).is_empty());
    }

    #[test]
    fn differing_versions_in_headers_are_reported() {
        let header_a = "Protocol version 2.0 dated 1 May 2024\n";
        let header_b = "Protocol version 3.0 dated 1 June 2024\n";
        let body = "Body text.\n".repeat(500);
        let text = format!("{header_a}{body}{header_b}{body}{header_b}{body}{header_b}");
        assert_eq!(messages(&text).len(), 1);
    }

    #[test]
    fn version_history_is_not_a_contradiction() {
        let text = "Protocol version 2.1, 14 March 2025\nChanges from the previous version 1.0 are listed below.\n";
        assert!(messages(text).is_empty());
    }
}
