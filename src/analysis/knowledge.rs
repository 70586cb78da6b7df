//! What the analyzer knows beyond the checklist items, read from
//! `assets/analyzer.toml`: passage sizes, negation and deferral words,
//! design phrases and thresholds, section words. Data, so that a
//! methodologist can read and change it without reading Rust.

use std::sync::OnceLock;

use serde::Deserialize;

const ANALYZER_TOML: &str = include_str!("../../assets/analyzer.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Knowledge {
    pub windows: Windows,
    pub verdicts: Verdicts,
    pub words: Words,
    #[serde(rename = "deferral")]
    deferral_raw: DeferralRaw,
    #[serde(skip)]
    pub deferral: Vec<DeferralDocument>,
    /// Any mention of randomisation (`randomi*`).
    #[serde(skip, default = "randomi")]
    pub randomi: String,
    pub design: Design,
    pub report: Report,
    pub sections: Sections,
    pub suggestions: Suggestions,
}

/// Phrases and thresholds that detect the trial's design.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Design {
    pub strong_random: Vec<String>,
    pub negated_random: Vec<String>,
    pub random_mentions: usize,
    pub single_group: Vec<String>,
    pub comparator: Vec<String>,
    pub comparator_mentions: usize,
    pub blinding: Vec<String>,
    pub open_label: Vec<String>,
}

/// Signals that a document reports results rather than plans them.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Report {
    pub threshold: i32,
    pub past_over_future: i32,
    pub future: Vec<String>,
    pub past: Vec<String>,
    pub signal: Vec<Signal>,
}

/// One signal: a heading title (whole, or its ending), phrases in the
/// text, or a word in the document's title; and its points.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    #[serde(default)]
    pub heading: Option<String>,
    #[serde(default)]
    pub phrases: Vec<String>,
    #[serde(default)]
    pub title: Option<String>,
    pub points: i32,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sections {
    pub background: Vec<String>,
    pub contents: Vec<String>,
    pub references: Vec<String>,
    pub guideline: Vec<GuidelineSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuidelineSection {
    pub name: String,
    pub words: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Suggestions {
    pub consort_in_protocols: Vec<String>,
}

impl Knowledge {
    /// Every phrase the design checks look for, for the cue automaton.
    pub fn design_phrases(&self) -> impl Iterator<Item = &str> {
        let d = &self.design;
        let r = &self.report;
        [
            &d.strong_random,
            &d.negated_random,
            &d.single_group,
            &d.comparator,
            &d.blinding,
            &d.open_label,
            &r.future,
            &r.past,
        ]
        .into_iter()
        .flatten()
        .chain(r.signal.iter().flat_map(|s| &s.phrases))
        .chain(std::iter::once(&self.randomi))
        .map(String::as_str)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Windows {
    pub section_bytes: usize,
    pub anchor_before: usize,
    pub anchor_after: usize,
    pub max_windows: usize,
    pub sentences_per_section: usize,
    pub candidates: usize,
    pub top: usize,
    pub placeholder_section_bytes: usize,
    pub min_body_words: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdicts {
    pub reported: f64,
    pub addressed: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Words {
    pub negation: Vec<String>,
    pub stopwords: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DeferralRaw {
    verbs: Vec<String>,
    elsewhere: Vec<String>,
    elsewhere_document: String,
    document: Vec<DocumentRaw>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DocumentRaw {
    name: String,
    words: Vec<String>,
}

/// Another document an item can be deferred to, and how to see the
/// deferral in a lowercased sentence.
#[derive(Debug)]
pub struct DeferralDocument {
    pub document: String,
    verbs: Vec<String>,
    words: Vec<String>,
    /// Phrases that defer on their own ("described elsewhere").
    alone: Vec<String>,
}

impl DeferralDocument {
    /// Whether the lowercased sentence defers to this document.
    pub fn in_sentence(&self, lower: &str) -> bool {
        if self.alone.iter().any(|p| lower.contains(p.as_str())) {
            return true;
        }
        self.words.iter().any(|w| contains_word(lower, w))
            && self.verbs.iter().any(|v| lower.contains(v.as_str()))
    }
}

fn randomi() -> String {
    "randomi*".to_owned()
}

/// A phrase with a space anywhere; a single word only whole.
fn contains_word(lower: &str, word: &str) -> bool {
    if word.contains(' ') {
        return lower.contains(word);
    }
    lower.match_indices(word).any(|(at, _)| {
        let before = lower[..at].chars().next_back();
        let after = lower[at + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

pub fn parse(toml_text: &str) -> Result<Knowledge, String> {
    let mut k: Knowledge = toml::from_str(toml_text).map_err(|e| e.to_string())?;
    let raw = &k.deferral_raw;
    let mut documents: Vec<DeferralDocument> = raw
        .document
        .iter()
        .map(|d| DeferralDocument {
            document: d.name.clone(),
            verbs: raw.verbs.clone(),
            words: d.words.clone(),
            alone: Vec::new(),
        })
        .collect();
    documents.push(DeferralDocument {
        document: raw.elsewhere_document.clone(),
        verbs: Vec::new(),
        words: Vec::new(),
        alone: raw.elsewhere.clone(),
    });
    k.deferral = documents;
    Ok(k)
}

pub fn get() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    // Compiled in and checked by the tests: a broken file is a build defect.
    K.get_or_init(|| parse(ANALYZER_TOML).unwrap_or_else(|e| panic!("assets/analyzer.toml: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_knowledge_parses() {
        let k = parse(ANALYZER_TOML).unwrap();
        assert!(k.windows.max_windows > 0);
        assert!(k.deferral.len() > 2);
    }

    #[test]
    fn a_deferral_needs_a_verb_and_a_document() {
        let k = get();
        let defers = |s: &str| {
            k.deferral
                .iter()
                .find(|d| d.in_sentence(s))
                .map(|d| d.document.as_str())
        };
        assert_eq!(
            defers("details will be described in the statistical analysis plan."),
            Some("the statistical analysis plan")
        );
        assert_eq!(
            defers("the sap will be finalised before database lock."),
            Some("the statistical analysis plan")
        );
        assert_eq!(defers("the sapling grew; see the garden."), None);
        assert_eq!(defers("we will use a t test."), None);
        assert_eq!(
            defers("methods are described elsewhere."),
            Some("another publication")
        );
    }
}
