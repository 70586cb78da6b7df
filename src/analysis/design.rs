//! What kind of document and trial this is: a protocol or a report of
//! results; randomised or not; with a comparator; blinded. Items that
//! cannot apply (allocation concealment in a single-group study) are then
//! marked not applicable instead of missing.

use serde::Serialize;

use super::cues::{Cue, Cues, Hits};
use super::document::Document;

const STRONG_RANDOM: &[&str] = &[
    "will be randomi*",
    "were randomi*",
    "be randomly",
    "were randomly",
    "randomly assign*",
    "randomly allocat*",
    "to randomi*",
];
const NEGATED_RANDOM: &[&str] = &["non-randomi*", "nonrandomi*", "not randomi*"];
const SINGLE_GROUP: &[&str] = &[
    "single-arm",
    "single arm",
    "single-group",
    "single group",
    "one-arm",
    "uncontrolled",
];
const COMPARATOR: &[&str] = &[
    "placebo",
    "control group",
    "control arm",
    "comparator",
    "sham",
    "usual care",
];
const BLINDING: &[&str] = &[
    "double-blind",
    "double blind",
    "single-blind",
    "single blind",
    "triple-blind",
    "blinded",
    "masked",
    "blinding",
];
const OPEN_LABEL: &[&str] = &["open-label", "open label"];
const REPORTING: &[&str] = &[
    "will be",
    "were",
    "95% ci",
    "confidence interval",
    "baseline characteristics",
    "randomi*",
];

/// Phrases the design checks need beyond the checklist's own.
pub fn cue_words() -> impl Iterator<Item = &'static str> {
    [
        STRONG_RANDOM,
        NEGATED_RANDOM,
        SINGLE_GROUP,
        COMPARATOR,
        BLINDING,
        OPEN_LABEL,
        REPORTING,
    ]
    .into_iter()
    .flatten()
    .copied()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DocumentKind {
    Protocol,
    Report,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Design {
    pub kind: DocumentKind,
    pub randomised: bool,
    pub controlled: bool,
    pub blinded: bool,
}

struct Counter<'a> {
    cues: &'a Cues,
    hits: &'a Hits,
}

impl Counter<'_> {
    fn count(&self, phrases: &[&str]) -> usize {
        phrases
            .iter()
            .filter_map(|p| match self.cues.cue(p) {
                Some(Cue::Phrase(id)) => Some(self.hits.of(id).len()),
                _ => None,
            })
            .sum()
    }
}

pub fn detect(doc: &Document<'_>, cues: &Cues, hits: &Hits, title: Option<&str>) -> Design {
    let c = Counter { cues, hits };
    let strong = c.count(STRONG_RANDOM);
    let negated = c.count(NEGATED_RANDOM);
    let mentions = c.count(&["randomi*"]).saturating_sub(negated);
    let single_group = c.count(SINGLE_GROUP) > 0;
    let title_lower = title.unwrap_or_default().to_ascii_lowercase();
    let randomised =
        strong > 0 || title_lower.contains("randomi") || (mentions >= 3 && !single_group);
    let comparator = c.count(COMPARATOR);
    let controlled = randomised || (comparator >= 2 && !single_group);
    let blinding = c.count(BLINDING);
    let open = c.count(OPEN_LABEL);
    let blinded = controlled && blinding > 0 && !(open > 0 && blinding <= open);

    let titles: Vec<String> = doc
        .sections
        .iter()
        .map(|s| s.heading.title.to_ascii_lowercase())
        .collect();
    let has_heading = |name: &str| titles.iter().any(|t| t.trim() == name || t.ends_with(name));
    let mut report_score: i32 = 0;
    if has_heading("results") {
        report_score += 2;
    }
    if has_heading("discussion") {
        report_score += 2;
    }
    if c.count(&["were randomi*", "were randomly"]) > 0 {
        report_score += 2;
    }
    if c.count(&["95% ci", "confidence interval"]) > 0 {
        report_score += 1;
    }
    if c.count(&["baseline characteristics"]) > 0 {
        report_score += 1;
    }
    let (will, were) = (c.count(&["will be"]), c.count(&["were"]));
    if were > will {
        report_score += 2;
    } else {
        report_score -= 2;
    }
    if title_lower.contains("protocol") {
        report_score -= 3;
    }
    let kind = if report_score >= 5 {
        DocumentKind::Report
    } else {
        DocumentKind::Protocol
    };
    Design {
        kind,
        randomised,
        controlled,
        blinded,
    }
}
