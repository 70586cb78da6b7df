//! What kind of document and trial this is: a protocol or a report of
//! results; randomised or not; with a comparator; blinded. Items that
//! cannot apply (allocation concealment in a single-group study) are then
//! marked not applicable instead of missing.

use serde::Serialize;

use super::cues::{Cue, Cues, Hits};
use super::document::Document;
use super::knowledge;

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
    doc: &'a Document<'a>,
    cues: &'a Cues,
    hits: &'a Hits,
}

impl Counter<'_> {
    /// Occurrences of the phrases anywhere in the text.
    fn count(&self, phrases: &[String]) -> usize {
        self.count_where(phrases, |_| true)
    }

    /// Occurrences that speak of this trial: not in a background or
    /// introduction section (which describes other studies: "77 patients
    /// were randomized" there says nothing of this trial's design), nor in
    /// the references or contents.
    fn count_own(&self, phrases: &[String]) -> usize {
        self.count_where(phrases, |at| {
            !self.doc.in_background(at) && !self.doc.is_ignored(at)
        })
    }

    fn count_where(&self, phrases: &[String], keep: impl Fn(usize) -> bool) -> usize {
        phrases
            .iter()
            .filter_map(|p| match self.cues.cue(p) {
                Some(Cue::Phrase(id)) => {
                    Some(self.hits.of(id).iter().filter(|&&at| keep(at)).count())
                }
                _ => None,
            })
            .sum()
    }
}

pub fn detect(doc: &Document<'_>, cues: &Cues, hits: &Hits, title: Option<&str>) -> Design {
    let k = knowledge::get();
    let d = &k.design;
    let c = Counter { doc, cues, hits };
    let strong = c.count_own(&d.strong_random);
    let negated = c.count_own(&d.negated_random);
    let mentions = c
        .count_own(std::slice::from_ref(&k.randomi))
        .saturating_sub(negated);
    let single_group = c.count_own(&d.single_group) > 0;
    let title_lower = title.unwrap_or_default().to_ascii_lowercase();
    let randomised = strong > 0
        || title_lower.contains(k.randomi.trim_end_matches('*'))
        || (mentions >= d.random_mentions && !single_group);
    let comparator = c.count_own(&d.comparator);
    let controlled = randomised || (comparator >= d.comparator_mentions && !single_group);
    let blinding = c.count_own(&d.blinding);
    let open = c.count_own(&d.open_label);
    let blinded = controlled && blinding > 0 && !(open > 0 && blinding <= open);

    let titles: Vec<String> = doc
        .sections
        .iter()
        .map(|s| s.heading.title.to_ascii_lowercase())
        .collect();
    let has_heading = |name: &str| titles.iter().any(|t| t.trim() == name || t.ends_with(name));
    let r = &k.report;
    let mut report_score: i32 = 0;
    for signal in &r.signal {
        let seen = signal.heading.as_deref().is_some_and(has_heading)
            || (!signal.phrases.is_empty() && c.count(&signal.phrases) > 0)
            || signal
                .title
                .as_deref()
                .is_some_and(|w| title_lower.contains(w));
        if seen {
            report_score += signal.points;
        }
    }
    if c.count(&r.past) > c.count(&r.future) {
        report_score += r.past_over_future;
    } else {
        report_score -= r.past_over_future;
    }
    let kind = if report_score >= r.threshold {
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
