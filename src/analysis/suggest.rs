//! Turning gaps into suggestions a reviewer can act on: what is missing,
//! why the guideline asks for it, and text the author can adapt, filled
//! with what the protocol already says.

use super::document::Document;
use super::facts::Facts;
use super::items::{Status, Verdict};
use super::quality::{Check, Finding};
use crate::vocab::{Priority, SuggestionType};

/// A suggestion as the analyzer makes it (the store adds ids and status).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Suggestion {
    /// Names the finding across analyses of the same protocol (the item
    /// and whether it is missing or partial; the check and what it is
    /// about), so a reviewer's decision carries over to it.
    pub key: String,
    pub section: String,
    #[serde(rename = "type")]
    pub kind: SuggestionType,
    /// The finding: what is wrong and what the guideline asks for.
    pub content: String,
    /// Wording the author can paste into the protocol, if the finding has
    /// any; this (or the reviewer's version of it) is what `apply` writes.
    pub suggested_text: Option<String>,
    pub confidence: f64,
    pub priority: Priority,
    pub guideline_reference: Option<String>,
    pub rationale: String,
}

const SECTION_MAX: usize = 100;

fn lower(p: Priority) -> Priority {
    match p {
        Priority::High => Priority::Medium,
        _ => Priority::Low,
    }
}

/// Fill `{placeholders}` of an example with the protocol's own words, or
/// with a bracketed prompt where it does not say.
pub fn fill(template: &str, facts: &Facts) -> String {
    let or =
        |value: &Option<String>, default: &str| value.clone().unwrap_or_else(|| default.to_owned());
    let arms = match (&facts.intervention, &facts.comparator) {
        (Some(i), Some(c)) => format!("{i} or {c}"),
        _ => "[intervention] or [comparator]".to_owned(),
    };
    template
        .replace("{title}", &or(&facts.title, "[Title]"))
        .replace("{intervention}", &or(&facts.intervention, "[intervention]"))
        .replace("{comparator}", &or(&facts.comparator, "[comparator]"))
        .replace("{arms}", &arms)
        .replace(
            "{primary_outcome}",
            &or(&facts.primary_outcome, "[primary outcome]"),
        )
        .replace("{population}", &or(&facts.population, "[population]"))
        .replace(
            "{sample_size}",
            &facts
                .sample_size
                .map_or_else(|| "[N]".to_owned(), |n| n.to_string()),
        )
}

pub fn from_verdict(v: &Verdict, doc: &Document<'_>, facts: &Facts) -> Option<Suggestion> {
    let item = v.item;
    let (opening, priority, finding) = match v.status {
        Status::Missing => {
            let why = match &v.empty_heading {
                Some(span) => format!(
                    " The heading \"{}\" has no text under it.",
                    doc.quote(span.clone(), 80).trim_start_matches('#').trim()
                ),
                None => String::new(),
            };
            (
                format!(
                    "{} ({}) is not addressed.{why} The guideline asks for: {}.",
                    item.topic,
                    item.reference(),
                    lower_first(&item.asks)
                ),
                item.priority,
                "missing",
            )
        }
        Status::Partial => {
            let quote = v
                .evidence
                .first()
                .map(|r| format!(" (\"{}\")", doc.quote(r.clone(), 120)))
                .unwrap_or_default();
            let priority = if item.kind == SuggestionType::Critical {
                item.priority
            } else {
                lower(item.priority)
            };
            let content = match &v.deferral {
                Some((document, at)) => format!(
                    "{} ({}) is deferred to {document} (\"{}\"). The protocol itself must state it: {}; write it under \"{}\", and keep {document} for what goes beyond it.",
                    item.topic,
                    item.reference(),
                    doc.quote(at.clone(), 120),
                    lower_first(&item.asks),
                    section_for(v, doc)
                ),
                None if v.unmet.is_empty() => format!(
                    // Every requirement has a cue, but the model doubts the
                    // passage says enough: ask for the whole of the item.
                    "{} ({}) is addressed only briefly{quote}; check that it gives {}.",
                    item.topic,
                    item.reference(),
                    lower_first(&item.asks)
                ),
                None => format!(
                    "{} ({}) is addressed only in part{quote}: it does not state {}.",
                    item.topic,
                    item.reference(),
                    super::join_list(&v.unmet, "or")
                ),
            };
            (content, priority, "partial")
        }
        Status::Addressed | Status::NotApplicable => return None,
    };
    let section = section_for(v, doc);
    let example = fill(&item.example, facts);
    Some(Suggestion {
        key: format!("{}: {finding}", item.reference()),
        section: section.chars().take(SECTION_MAX).collect(),
        kind: item.kind,
        content: opening,
        suggested_text: (!example.trim().is_empty()).then_some(example),
        confidence: v.confidence,
        priority,
        guideline_reference: Some(item.reference()),
        rationale: item.rationale.clone(),
    })
}

/// Where the item's text belongs: the protocol's own (possibly empty)
/// heading for it, else the guideline's section.
fn section_for(v: &Verdict, doc: &Document<'_>) -> String {
    let empty = v.empty_heading.as_ref().map(|span| {
        doc.quote(span.clone(), SECTION_MAX)
            .trim_start_matches('#')
            .trim()
            .to_owned()
    });
    v.heading
        .clone()
        .or(empty)
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| v.item.section.clone())
}

/// Two findings of one analysis never share a key: a repeat gets its
/// ordinal ("placeholder: Ethics #2"), so each decision has one home.
pub fn distinct_keys(suggestions: &mut [Suggestion]) {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for s in suggestions.iter_mut() {
        let n = seen.entry(s.key.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            s.key = format!("{} #{n}", s.key);
        }
    }
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        // Keep acronyms such as "WHO" as they are.
        Some(c) if chars.clone().next().is_some_and(char::is_lowercase) => {
            c.to_lowercase().chain(chars).collect()
        }
        _ => text.to_owned(),
    }
}

fn rationale(check: Check) -> &'static str {
    match check {
        Check::Placeholder => {
            "Placeholders show the text is unfinished; ethics committees, sites and participants need the final wording, and a blank can hide a missing decision."
        }
        Check::RegistryId => {
            "A registry id that does not have its registry's form cannot be looked up, so readers cannot check the protocol against the registered plan."
        }
        Check::Abbreviation => {
            "Abbreviations that are never spelt out, or only later, make the protocol harder to follow and easy to misread for readers outside the field."
        }
        Check::Inconsistency => {
            "Figures that differ between sections leave sites and reviewers unsure which is meant, and often show that one section was not updated."
        }
        Check::EmptySection => {
            "A heading with nothing under it suggests a section that was planned but not written; reviewers cannot tell whether the information exists."
        }
    }
}

pub fn from_finding(f: &Finding) -> Suggestion {
    let key = [f.check.as_str(), f.section.as_str(), f.subject.as_str()]
        .iter()
        .filter(|part| !part.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join(": ");
    Suggestion {
        key,
        section: f.section.chars().take(SECTION_MAX).collect(),
        kind: SuggestionType::Style,
        content: format!("{}\n\n{}", f.message, f.fix),
        suggested_text: None,
        confidence: f.confidence,
        priority: f.priority,
        guideline_reference: f.reference.map(str::to_owned),
        rationale: rationale(f.check).to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_use_the_protocols_words_or_prompts() {
        let facts = Facts {
            intervention: Some("vitamin D3".into()),
            comparator: Some("placebo".into()),
            ..Facts::default()
        };
        assert_eq!(
            fill(
                "{intervention} versus {comparator} on {primary_outcome}",
                &facts
            ),
            "vitamin D3 versus placebo on [primary outcome]"
        );
    }

    #[test]
    fn acronyms_keep_their_capitals() {
        assert_eq!(
            lower_first("All items of the WHO set"),
            "all items of the WHO set"
        );
        assert_eq!(lower_first("WHO set"), "WHO set");
    }

    #[test]
    fn a_partial_verdict_with_every_requirement_met_asks_for_the_whole_item() {
        let item =
            crate::analysis::checklist::items_of(crate::analysis::checklist::Guideline::Spirit)
                .find(|i| i.id == "18b")
                .expect("SPIRIT 18b");
        let text = "Participants will receive reminders before each visit.";
        let doc = Document::new(text);
        let verdict = Verdict {
            item,
            status: Status::Partial,
            confidence: 0.6,
            evidence: std::iter::once(0..text.len()).collect(),
            unmet: Vec::new(),
            heading: None,
            empty_heading: None,
            not_applicable: None,
            deferral: None,
            candidates: Vec::new(),
        };
        let s = from_verdict(&verdict, &doc, &Facts::default()).expect("a suggestion");
        assert!(
            s.content.contains("addressed only briefly"),
            "{}",
            s.content
        );
        assert!(!s.content.contains("does not state ."), "{}", s.content);
        assert!(
            s.content.contains(&lower_first(&item.asks)),
            "{}",
            s.content
        );
    }
}
