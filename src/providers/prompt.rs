//! What a model is asked about the checklist items, and how its answers
//! are read: the answer schema, the instructions, items batched by
//! guideline section with their candidate passages, and the parsing of
//! answers however a model writes item ids.

use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::grounded::CacheKey;
use super::{ModelRequest, PROMPT_VERSION, ProviderConfig};
use crate::analysis::design::DocumentKind;
use crate::analysis::items::Status;
use crate::analysis::{Analysis, checklist};

/// Items per request at most (a guideline section with more is split).
pub const BATCH_ITEMS: usize = 8;

#[derive(Clone, Debug)]
pub struct AskedItem {
    /// Index in `checklist::items()` and in the builtin's `items`.
    pub index: usize,
    pub id: String,
    pub reference: String,
    pub builtin: Status,
    pub builtin_confidence: f64,
}

pub struct Batch {
    pub section: String,
    pub items: Vec<AskedItem>,
    pub request: ModelRequest,
    pub key: CacheKey,
}

/// The answer schema (OpenAI `json_schema`, Anthropic tool input).
pub fn schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "item": {"type": "string"},
                        "verdict": {"type": "string", "enum": ["addressed", "partial", "missing", "not_applicable"]},
                        "quote": {"type": "string"},
                        "rationale": {"type": "string"},
                        "suggested_text": {"type": ["string", "null"]},
                    },
                    "required": ["item", "verdict", "quote", "rationale", "suggested_text"],
                    "additionalProperties": false,
                },
            },
        },
        "required": ["items"],
        "additionalProperties": false,
    })
}

pub const SYSTEM_PROMPT: &str = "You check a clinical-trial document against reporting-guideline items. \
For each item you get what the guideline asks for and numbered passages from the document. \
Judge only from those passages. For every item answer: \
verdict: addressed (everything asked is stated), partial (some of it is stated, or it is deferred to another document), \
missing (not stated), or not_applicable (the trial's design rules it out); \
quote: the sentence or phrase that shows the verdict, copied character for character from one passage (an empty string only when the item is missing); \
rationale: one sentence; \
suggested_text: for partial or missing, wording the authors could add, reusing the document's own facts (names, numbers, arms) and marking anything unknown as [brackets]; otherwise null. \
Answer with JSON that matches the schema, one entry per item, using the item ids given.";

fn guideline_of(kind: DocumentKind) -> checklist::Guideline {
    match kind {
        DocumentKind::Protocol => checklist::Guideline::Spirit,
        DocumentKind::Report => checklist::Guideline::Consort,
    }
}

pub fn batches(config: &ProviderConfig, title: &str, builtin: &Analysis) -> Vec<Batch> {
    let guideline = guideline_of(builtin.design.kind);
    let all = checklist::items();
    let mut by_section: Vec<(String, Vec<AskedItem>)> = Vec::new();
    for (index, (result, item)) in builtin.items.iter().zip(all).enumerate() {
        if item.guideline != guideline || result.status == Status::NotApplicable {
            continue;
        }
        let asked = AskedItem {
            index,
            id: item.id.clone(),
            reference: item.reference(),
            builtin: result.status,
            builtin_confidence: result.confidence,
        };
        match by_section.iter_mut().find(|(s, _)| *s == item.section) {
            Some((_, list)) => list.push(asked),
            None => by_section.push((item.section.clone(), vec![asked])),
        }
    }
    let schema = schema();
    let mut out = Vec::new();
    for (section, items) in by_section {
        for chunk in items.chunks(BATCH_ITEMS) {
            let user = user_prompt(title, guideline.name(), &section, chunk, builtin);
            let request = ModelRequest {
                system: SYSTEM_PROMPT.to_owned(),
                user,
                schema: schema.clone(),
                max_output_tokens: config.max_output_tokens,
            };
            out.push(Batch {
                section: section.clone(),
                items: chunk.to_vec(),
                key: cache_key(config, &request),
                request,
            });
        }
    }
    out
}

/// The sha256 of everything a request says, with who answers it and how.
pub fn cache_key(config: &ProviderConfig, request: &ModelRequest) -> CacheKey {
    let mut hash = Sha256::new();
    hash.update(request.system.as_bytes());
    hash.update([0]);
    hash.update(request.user.as_bytes());
    hash.update([0]);
    hash.update(request.schema.to_string().as_bytes());
    CacheKey {
        request_sha256: format!("{:x}", hash.finalize()),
        provider: config.name.clone(),
        model: config.model.clone(),
        prompt_version: PROMPT_VERSION.to_owned(),
    }
}

fn user_prompt(
    title: &str,
    guideline: &str,
    section: &str,
    items: &[AskedItem],
    builtin: &Analysis,
) -> String {
    let all = checklist::items();
    let mut s = format!(
        "Document: {title}\nGuideline: {guideline}\nSection: {section}\n",
        title = title.trim()
    );
    for asked in items {
        let item = &all[asked.index];
        s.push_str(&format!(
            "\nItem {id}: {topic}\nThe guideline asks for: {asks}\n",
            id = item.id,
            topic = item.topic,
            asks = item.asks
        ));
        let passages = &builtin.candidates[asked.index];
        if passages.is_empty() {
            s.push_str("Passages: none found\n");
        } else {
            s.push_str("Passages:\n");
            for (n, p) in passages.iter().enumerate() {
                s.push_str(&format!("[{}] {}\n", n + 1, one_line(&p.quote)));
            }
        }
    }
    s
}

/// A passage on one line, as the model sees it; the quote it gives back is
/// then matched with white space made one space (see `verify`).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[derive(Debug, Deserialize)]
pub struct Answer {
    pub items: Vec<ItemAnswer>,
}

#[derive(Debug, Deserialize)]
pub struct ItemAnswer {
    pub item: Value,
    pub verdict: String,
    #[serde(default)]
    pub quote: Option<String>,
    #[serde(default)]
    pub rationale: Option<String>,
    #[serde(default)]
    pub suggested_text: Option<String>,
}

pub fn parse_answer(content: &str) -> Result<Answer, String> {
    let trimmed = content.trim();
    // Some local models wrap JSON in a Markdown fence despite the schema.
    let unfenced = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.trim_end().strip_suffix("```"))
        .unwrap_or(trimmed);
    serde_json::from_str::<Answer>(unfenced).map_err(|e| e.to_string())
}

/// "16b", "Item 16b", "SPIRIT 2013 item 16b" → "16b".
pub fn item_id(value: &Value) -> String {
    let raw = match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    raw.split_whitespace()
        .last()
        .unwrap_or("")
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_ascii_lowercase()
}

pub fn status_of(verdict: &str) -> Option<Status> {
    match verdict.trim().to_ascii_lowercase().as_str() {
        "addressed" => Some(Status::Addressed),
        "partial" => Some(Status::Partial),
        "missing" => Some(Status::Missing),
        "not_applicable" | "not applicable" => Some(Status::NotApplicable),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn item_ids_are_read_however_the_model_writes_them() {
        for raw in ["16b", "Item 16b", "SPIRIT 2013 item 16b", "16B."] {
            assert_eq!(item_id(&json!(raw)), "16b", "{raw}");
        }
        assert_eq!(item_id(&json!(5)), "5");
    }

    #[test]
    fn a_fenced_answer_is_read() {
        let a = parse_answer("```json\n{\"items\": []}\n```").unwrap();
        assert!(a.items.is_empty());
        assert!(parse_answer("{\"items\": [").is_err());
    }
}
