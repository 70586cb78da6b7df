//! Analysis of protocol text. Pure: text in, findings out; no database and
//! no terminal. `analyse` runs the builtin checks; `provider` puts them
//! (and any other provider) behind one interface.

pub mod agreement;
pub mod checklist;
pub mod cues;
pub mod design;
pub mod document;
pub mod facts;
pub mod items;
pub mod knowledge;
pub mod measure;
pub mod model;
pub mod patterns;
pub mod provider;
pub mod quality;
pub mod scoring;
pub mod structure;
pub mod suggest;

use serde::Serialize;
use serde_json::{Value, json};

use checklist::Guideline;
use design::{Design, DocumentKind};
use document::Document;
use facts::Facts;
use items::{Status, Verdict};
use quality::Finding;
use scoring::Scores;
pub use suggest::Suggestion;

/// Bumped whenever a rule or score changes, so results can be compared.
pub const ANALYZER_VERSION: &str = "builtin-2.0.0";

/// Which guideline to judge against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GuidelineChoice {
    /// Decide from the text: SPIRIT for a protocol, CONSORT for a report.
    #[default]
    Auto,
    Spirit,
    Consort,
}

impl std::str::FromStr for GuidelineChoice {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "auto" => Ok(GuidelineChoice::Auto),
            "spirit" => Ok(GuidelineChoice::Spirit),
            "consort" => Ok(GuidelineChoice::Consort),
            other => Err(format!("'{other}' is not one of: auto, spirit, consort")),
        }
    }
}

/// "a", "a and b", "a, b and c" (with `conjunction` for "and").
pub fn join_list(items: &[impl AsRef<str>], conjunction: &str) -> String {
    match items {
        [] => String::new(),
        [one] => one.as_ref().to_owned(),
        [init @ .., last] => {
            let init: Vec<&str> = init.iter().map(AsRef::as_ref).collect();
            format!("{} {conjunction} {}", init.join(", "), last.as_ref())
        }
    }
}

/// Where in the text something was seen: character offsets and a quote.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evidence {
    pub start: usize,
    pub end: usize,
    pub quote: String,
}

/// One checklist item's verdict, ready to store and show.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ItemResult {
    pub guideline: &'static str,
    pub item: String,
    pub title: String,
    pub section: String,
    pub status: Status,
    pub confidence: f64,
    pub weight: u32,
    pub evidence: Vec<Evidence>,
    /// What the item needs that was not found.
    pub missing: Vec<String>,
    /// The protocol's own heading for the item.
    pub heading: Option<String>,
    /// Why the item does not apply.
    pub reason: Option<String>,
    /// The other document the protocol defers the item to.
    pub deferred_to: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct QualityResult {
    pub check: &'static str,
    pub section: String,
    pub message: String,
    pub count: usize,
    pub evidence: Vec<Evidence>,
}

/// A verified verdict from another reader (a model provider) that takes
/// the builtin's place for one item: scores and suggestions then follow
/// from it exactly as they follow from the builtin's own.
#[derive(Clone, Debug, PartialEq)]
pub struct ItemOverride {
    pub status: Status,
    /// Byte ranges of the verified quotes in the text.
    pub evidence: Vec<std::ops::Range<usize>>,
    pub confidence: f64,
    /// Why the reader judged so; added to the suggestion's finding.
    pub rationale: String,
    /// Wording for a gap, replacing the checklist's template.
    pub suggested_text: Option<String>,
}

/// Everything the analyzer concluded about one text.
#[derive(Clone, Debug, PartialEq)]
pub struct Analysis {
    pub design: Design,
    pub items: Vec<ItemResult>,
    /// Per item (parallel to `items`), the sentences the rules would read
    /// for it: the bounded passages a model provider is shown.
    pub candidates: Vec<Vec<Evidence>>,
    pub quality: Vec<QualityResult>,
    pub scores: Scores,
    pub facts: Facts,
    pub suggestions: Vec<Suggestion>,
    pub characters: usize,
    pub words: usize,
    pub sections: usize,
}

/// Longest evidence quote, in bytes; a longer sentence is cut at a word.
const QUOTE_BYTES: usize = 400;

/// Evidence as a reviewer checks it: the quote is exactly the text between
/// the offsets (in characters), trimmed of white space at either end.
fn evidence(doc: &Document<'_>, ranges: &[std::ops::Range<usize>]) -> Vec<Evidence> {
    ranges
        .iter()
        .filter_map(|r| {
            let exact = document::exact(doc.text, r.clone(), QUOTE_BYTES);
            (!exact.is_empty()).then(|| Evidence {
                start: doc.char_offset(exact.start),
                end: doc.char_offset(exact.end),
                quote: doc.text[exact].to_owned(),
            })
        })
        .collect()
}

/// The document prepared for judging: text, cues, design and title.
struct Prepared<'a> {
    doc: Document<'a>,
    hits: cues::Hits,
    design: Design,
    title: Option<String>,
}

fn prepare(text: &str, choice: GuidelineChoice) -> Prepared<'_> {
    let doc = Document::new(text);
    let cues = cues::cues();
    let hits = cues.find(&doc);
    let title = structure::document_title(text);
    let mut design = design::detect(&doc, cues, &hits, title.as_deref());
    match choice {
        GuidelineChoice::Auto => {}
        GuidelineChoice::Spirit => design.kind = DocumentKind::Protocol,
        GuidelineChoice::Consort => design.kind = DocumentKind::Report,
    }
    Prepared {
        doc,
        hits,
        design,
        title,
    }
}

impl Prepared<'_> {
    fn context(&self) -> items::Context<'_, '_> {
        let text = self.doc.text;
        let title = self.title.as_deref().map(|t| match text.find(t) {
            Some(at) => (t, at..at + t.len()),
            None => (t, 0..0),
        });
        items::Context::new(&self.doc, cues::cues(), &self.hits, self.design, title)
    }
}

/// What the rules observe of every item of `guideline` in a text, with the
/// features' names: the training program's view of a document.
pub fn observe(text: &str, guideline: Guideline) -> Vec<items::Observation> {
    let choice = match guideline {
        Guideline::Spirit => GuidelineChoice::Spirit,
        Guideline::Consort => GuidelineChoice::Consort,
    };
    let prepared = prepare(text, choice);
    let mut ctx = prepared.context();
    ctx.keep_names = true;
    checklist::items_of(guideline)
        .map(|item| items::observe(item, &ctx))
        .collect()
}

/// Analyse a protocol (or trial report) text.
pub fn analyse(text: &str, choice: GuidelineChoice) -> Analysis {
    analyse_with(text, choice, &std::collections::HashMap::new())
}

/// Analyse a text, taking the verdicts in `overrides` (keyed by item
/// reference, `SPIRIT 2013 item 16b`) in place of the builtin's.
pub fn analyse_with(
    text: &str,
    choice: GuidelineChoice,
    overrides: &std::collections::HashMap<String, ItemOverride>,
) -> Analysis {
    let prepared = prepare(text, choice);
    let doc = &prepared.doc;
    let design = prepared.design;
    let title = prepared.title.clone();
    let ctx = prepared.context();
    let mut verdicts: Vec<Verdict> = checklist::items()
        .iter()
        .map(|item| items::judge(item, &ctx))
        .collect();
    if design.kind == DocumentKind::Report {
        // A report is judged by CONSORT alone.
        for v in verdicts
            .iter_mut()
            .filter(|v| v.item.guideline == Guideline::Spirit)
        {
            v.status = Status::NotApplicable;
            v.not_applicable = Some("the document reports a finished trial");
            v.evidence.clear();
        }
    }
    for v in verdicts.iter_mut() {
        if let Some(o) = overrides.get(&v.item.reference()) {
            apply_override(v, o);
        }
    }
    let findings: Vec<Finding> = quality::run(doc);
    let scores = scoring::score(&verdicts, &findings, design.kind);
    let facts = facts::extract(doc, title.as_deref());

    let mut suggestions: Vec<Suggestion> = verdicts
        .iter()
        .filter(|v| primary_or_only(v, design.kind))
        .filter_map(|v| {
            let mut s = suggest::from_verdict(v, doc, &facts)?;
            if let Some(o) = overrides.get(&v.item.reference()) {
                if !o.rationale.trim().is_empty() {
                    s.content = format!("{} Reviewer model: {}", s.content, o.rationale.trim());
                }
                if let Some(text) = o.suggested_text.as_ref().filter(|t| !t.trim().is_empty()) {
                    s.suggested_text = Some(text.trim().to_owned());
                }
            }
            Some(s)
        })
        .collect();
    suggestions.extend(findings.iter().map(suggest::from_finding));
    suggest::distinct_keys(&mut suggestions);

    Analysis {
        design,
        items: verdicts.iter().map(|v| item_result(v, doc)).collect(),
        candidates: verdicts
            .iter()
            .map(|v| evidence(doc, &v.candidates))
            .collect(),
        quality: findings
            .iter()
            .map(|f| QualityResult {
                check: f.check.as_str(),
                section: f.section.clone(),
                message: f.message.clone(),
                count: f.count,
                evidence: evidence(doc, &f.evidence),
            })
            .collect(),
        scores,
        facts,
        suggestions,
        characters: doc.char_offset(text.len()),
        words: doc.words,
        sections: doc.sections.len(),
    }
}

fn apply_override(v: &mut Verdict, o: &ItemOverride) {
    v.status = o.status;
    v.confidence = (o.confidence.clamp(0.0, 1.0) * 100.0).round() / 100.0;
    match o.status {
        Status::Addressed | Status::Partial => v.evidence = o.evidence.clone(),
        Status::Missing | Status::NotApplicable => {
            v.evidence.clear();
            v.deferral = None;
        }
    }
    if o.status != Status::NotApplicable {
        v.not_applicable = None;
    } else if v.not_applicable.is_none() {
        v.not_applicable = Some("judged not applicable by the model provider");
    }
    if o.status == Status::Addressed {
        v.unmet.clear();
        v.deferral = None;
    }
}

/// Whether the text reads as a protocol or as a report of results, as
/// `GuidelineChoice::Auto` decides it.
pub fn document_kind(text: &str) -> DocumentKind {
    prepare(text, GuidelineChoice::Auto).design.kind
}

/// A protocol gets suggestions for SPIRIT gaps, and for CONSORT gaps only
/// where no SPIRIT item covers the same ground (`consort_in_protocols` in
/// `assets/analyzer.toml`); a report gets CONSORT suggestions.
fn primary_or_only(v: &Verdict, kind: DocumentKind) -> bool {
    match (kind, v.item.guideline) {
        (DocumentKind::Protocol, Guideline::Spirit)
        | (DocumentKind::Report, Guideline::Consort) => true,
        (DocumentKind::Protocol, Guideline::Consort) => knowledge::get()
            .suggestions
            .consort_in_protocols
            .contains(&v.item.id),
        (DocumentKind::Report, Guideline::Spirit) => false,
    }
}

fn item_result(v: &Verdict, doc: &Document<'_>) -> ItemResult {
    ItemResult {
        guideline: v.item.guideline.name(),
        item: v.item.id.clone(),
        title: v.item.topic.clone(),
        section: v.item.section.clone(),
        status: v.status,
        confidence: v.confidence,
        weight: v.item.weight,
        evidence: evidence(doc, &v.evidence),
        missing: v.unmet.iter().map(|s| (*s).to_owned()).collect(),
        heading: v.heading.clone(),
        reason: v.not_applicable.map(str::to_owned),
        deferred_to: v.deferral.as_ref().map(|(d, _)| (*d).to_owned()),
    }
}

impl Analysis {
    /// The `results` JSON kept with the analysis: per-item verdicts with
    /// evidence and weights, quality findings, scores, and versions.
    pub fn results_json(&self) -> Value {
        let p = scoring::parameters();
        json!({
            "analyzer": ANALYZER_VERSION,
            "guidelines": [Guideline::Spirit.name(), Guideline::Consort.name()],
            "document": {
                "kind": self.design.kind,
                "randomised": self.design.randomised,
                "controlled": self.design.controlled,
                "blinded": self.design.blinded,
                "characters": self.characters,
                "words": self.words,
                "sections": self.sections,
            },
            "facts": self.facts,
            "scores": self.scores,
            "scoring": {
                "credit": {"addressed": p.credit.addressed, "partial": p.credit.partial, "missing": p.credit.missing},
                "overall": {"primary": p.overall.primary, "secondary": p.overall.secondary, "quality": p.overall.quality},
            },
            "items": self.items,
            "quality": self.quality,
        })
    }
}
