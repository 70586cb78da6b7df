//! Clarity and consistency with a model provider (the original design's
//! other analysis types): one request with a bounded sample of the
//! protocol's sentences that carry numbers or abbreviations, asking for
//! undefined terms, numbers that disagree between sections and unclear
//! sentences. A finding counts only if its quote is in the text, like any
//! other answer; it becomes a suggestion (style, or improvement for an
//! inconsistency) and changes no score.

use std::ops::Range;

use serde::Deserialize;
use serde_json::{Value, json};

use super::ModelRequest;
use super::verify::Verifier;
use crate::analysis::Suggestion;
use crate::analysis::document::{self, Document};
use crate::vocab::{Priority, SuggestionType};

/// Sentences sent at most, spread over the whole document.
pub const MAX_SENTENCES: usize = 40;
/// Longest sentence sent, in bytes.
const SENTENCE_BYTES: usize = 400;
/// Findings kept at most.
const MAX_FINDINGS: usize = 20;
/// A model's finding has no calibration: the confidence shown for it.
const CONFIDENCE: f64 = 0.6;

pub const SYSTEM_PROMPT: &str = "You review the clarity and consistency of a clinical-trial document. \
You get numbered sentences sampled from the whole document, in order. Report only real problems: \
undefined_term (an abbreviation or term used without being defined in these sentences or in common use), \
inconsistent_number (a number, such as a sample size, duration, dose, date or version, that disagrees with another sentence), \
unclear_sentence (a sentence a reader could take two ways). For each: kind; quote: the offending words copied character for character from one sentence; \
message: one sentence saying what is wrong; suggested_text: clearer wording, or null. Answer with JSON that matches the schema; an empty list if nothing is wrong.";

pub fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "findings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string", "enum": ["undefined_term", "inconsistent_number", "unclear_sentence"]},
                        "quote": {"type": "string"},
                        "message": {"type": "string"},
                        "suggested_text": {"type": ["string", "null"]},
                    },
                    "required": ["kind", "quote", "message", "suggested_text"],
                    "additionalProperties": false,
                },
            },
        },
        "required": ["findings"],
        "additionalProperties": false,
    })
}

/// The sentences worth a reader's look: those with a digit or an
/// abbreviation, outside the table of contents and references, evenly
/// spread when there are more than `MAX_SENTENCES`.
fn sentences(doc: &Document<'_>) -> Vec<Range<usize>> {
    let candidates: Vec<Range<usize>> = doc
        .sentences
        .iter()
        .filter(|r| !doc.is_ignored(r.start))
        .map(|r| document::exact(doc.text, without_heading(doc, r.clone()), SENTENCE_BYTES))
        .filter(|r| {
            let s = &doc.text[r.clone()];
            s.len() >= 30
                && (s.chars().any(|c| c.is_ascii_digit())
                    || s.split(|c: char| !c.is_alphanumeric())
                        .any(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_uppercase())))
        })
        .collect();
    if candidates.len() <= MAX_SENTENCES {
        return candidates;
    }
    (0..MAX_SENTENCES)
        .map(|i| candidates[i * candidates.len() / MAX_SENTENCES].clone())
        .collect()
}

/// A sentence without the heading line it may begin with.
fn without_heading(doc: &Document<'_>, r: Range<usize>) -> Range<usize> {
    let start = doc
        .sections
        .iter()
        .map(|s| &s.heading.span)
        .find(|h| h.start <= r.start && r.start < h.end || r.start <= h.start && h.start < r.end)
        .map_or(r.start, |h| h.end.max(r.start));
    start.min(r.end)..r.end
}

/// The request, or `None` when the text has nothing to look at.
pub fn request(title: &str, text: &str, max_output_tokens: u32) -> Option<ModelRequest> {
    let doc = Document::new(text);
    let picked = sentences(&doc);
    if picked.is_empty() {
        return None;
    }
    let mut user = format!("Document: {}\nSentences:\n", title.trim());
    for (n, r) in picked.iter().enumerate() {
        let one_line = doc.text[r.clone()]
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        user.push_str(&format!("[{}] {one_line}\n", n + 1));
    }
    Some(ModelRequest {
        system: SYSTEM_PROMPT.to_owned(),
        user,
        schema: schema(),
        max_output_tokens,
    })
}

#[derive(Debug, Deserialize)]
struct Answer {
    findings: Vec<RawFinding>,
}

#[derive(Debug, Deserialize)]
struct RawFinding {
    kind: String,
    #[serde(default)]
    quote: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    suggested_text: Option<String>,
}

pub fn check(content: &str) -> Result<(), String> {
    parse(content).map(|_| ())
}

fn parse(content: &str) -> Result<Answer, String> {
    let trimmed = content.trim();
    let unfenced = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.trim_end().strip_suffix("```"))
        .unwrap_or(trimmed);
    serde_json::from_str(unfenced).map_err(|e| e.to_string())
}

/// A verified finding: its suggestion and where its quote is.
pub struct Verified {
    pub suggestion: Suggestion,
    pub kind: String,
    pub bytes: Range<usize>,
    pub message: String,
}

/// The findings whose quotes are in the text, and how many were not.
pub fn verify(content: &str, text: &str) -> (Vec<Verified>, usize) {
    let Ok(answer) = parse(content) else {
        return (Vec::new(), 0);
    };
    let doc = Document::new(text);
    let verifier = Verifier::new(text);
    let mut kept = Vec::new();
    let mut rejected = 0;
    for f in answer.findings.into_iter().take(MAX_FINDINGS) {
        let (kind, label, priority) = match f.kind.as_str() {
            "undefined_term" => (SuggestionType::Style, "undefined term", Priority::Low),
            "unclear_sentence" => (SuggestionType::Style, "unclear sentence", Priority::Low),
            "inconsistent_number" => (
                SuggestionType::Improvement,
                "inconsistent number",
                Priority::Medium,
            ),
            _ => {
                rejected += 1;
                continue;
            }
        };
        let Ok(bytes) = verifier.find(&f.quote, &[]) else {
            rejected += 1;
            continue;
        };
        let quote = &text[bytes.clone()];
        let section = doc
            .section_at(bytes.start)
            .map(|s| s.heading.title.clone())
            .filter(|t| !t.trim().is_empty())
            .unwrap_or_else(|| "Clarity".to_owned());
        let message: String = f.message.trim().chars().take(500).collect();
        let short: String = quote.chars().take(40).collect();
        kept.push(Verified {
            suggestion: Suggestion {
                key: format!("clarity: {label}: {short}"),
                section: section.chars().take(100).collect(),
                kind,
                content: format!("{message} (\"{}\")", quote.chars().take(200).collect::<String>()),
                suggested_text: f
                    .suggested_text
                    .map(|t| t.trim().chars().take(2_000).collect::<String>())
                    .filter(|t| !t.is_empty()),
                confidence: CONFIDENCE,
                priority,
                guideline_reference: None,
                rationale: "Found by the model provider and checked against the text: terms a reader cannot look up, numbers that disagree and sentences that read two ways cause queries and amendments.".to_owned(),
            },
            kind: f.kind,
            bytes,
            message,
        });
    }
    (kept, rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# Methods\nWe will recruit 120 participants over 12 months.\n\n# Sample size\nA total of 150 participants gives 80% power with the HADS score.\n";

    #[test]
    fn only_sentences_with_numbers_or_abbreviations_are_sent() {
        let r = request("T", TEXT, 100).unwrap();
        assert!(
            r.user.contains("[1] We will recruit 120 participants"),
            "{}",
            r.user
        );
        assert!(!r.user.contains("# Methods"));
    }

    #[test]
    fn a_finding_counts_only_with_a_real_quote() {
        let answer = json!({"findings": [
            {"kind": "inconsistent_number", "quote": "A total of 150 participants", "message": "120 or 150?", "suggested_text": null},
            {"kind": "undefined_term", "quote": "the PHQ-9 questionnaire was used", "message": "x", "suggested_text": null},
        ]});
        let (kept, rejected) = verify(&answer.to_string(), TEXT);
        assert_eq!(rejected, 1);
        assert_eq!(kept.len(), 1);
        assert_eq!(&TEXT[kept[0].bytes.clone()], "A total of 150 participants");
        assert_eq!(kept[0].suggestion.kind, SuggestionType::Improvement);
        assert_eq!(kept[0].suggestion.section, "Sample size");
    }
}
