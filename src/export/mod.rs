//! Reports for the study team: a protocol's scores, checklist and review
//! decisions (and optionally its text), as Markdown or a self-contained
//! HTML file. The report is built once (`Report`), then rendered.

pub mod docx;
pub mod html;
pub mod markdown;
pub mod pdf;

use serde_json::Value;

/// One checklist line of the report.
#[derive(Clone, Debug, PartialEq)]
pub struct ChecklistLine {
    pub guideline: String,
    pub item: String,
    pub title: String,
    pub status: String,
    pub quote: Option<String>,
}

impl ChecklistLine {
    /// Guideline, item, topic, verdict, evidence: one table row.
    pub fn cells(&self) -> Vec<String> {
        vec![
            self.guideline.clone(),
            self.item.clone(),
            self.title.clone(),
            status_label(&self.status).to_owned(),
            self.quote.clone().unwrap_or_default(),
        ]
    }
}

/// The checklist table's column names.
pub const CHECKLIST_HEADER: [&str; 5] = ["Guideline", "Item", "Topic", "Verdict", "Evidence"];

/// One suggestion with its decision.
#[derive(Clone, Debug, PartialEq)]
pub struct DecisionLine {
    pub section: String,
    pub kind: String,
    pub priority: String,
    pub reference: Option<String>,
    pub status: String,
    pub content: String,
    pub modified: Option<String>,
    pub comment: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub title: String,
    pub protocol_id: String,
    pub version: Option<i64>,
    pub facts: Vec<(String, String)>,
    pub scores: Vec<(String, Option<f64>)>,
    pub checklist: Vec<ChecklistLine>,
    pub decisions: Vec<DecisionLine>,
    pub text: Option<String>,
    pub generated_at: String,
}

impl DecisionLine {
    /// "✓ accepted · critical · high priority · SPIRIT 2013 item 14".
    pub fn heading(&self) -> String {
        format!(
            "{} · {} · {} priority{}",
            status_label(&self.status),
            self.kind,
            self.priority,
            self.reference
                .as_deref()
                .map(|r| format!(" · {r}"))
                .unwrap_or_default()
        )
    }
}

impl Report {
    /// Decisions grouped by section, in first-seen order.
    pub fn by_section(&self) -> Vec<(&str, Vec<&DecisionLine>)> {
        let mut groups: Vec<(&str, Vec<&DecisionLine>)> = Vec::new();
        for d in &self.decisions {
            match groups.iter_mut().find(|(s, _)| *s == d.section) {
                Some((_, list)) => list.push(d),
                None => groups.push((&d.section, vec![d])),
            }
        }
        groups
    }
}

/// Checklist lines from an analysis's stored results.
pub fn checklist_lines(results: Option<&Value>) -> Vec<ChecklistLine> {
    let Some(items) = results.and_then(|r| r["items"].as_array()) else {
        return Vec::new();
    };
    items
        .iter()
        .map(|i| ChecklistLine {
            guideline: i["guideline"].as_str().unwrap_or_default().to_owned(),
            item: i["item"].as_str().unwrap_or_default().to_owned(),
            title: i["title"].as_str().unwrap_or_default().to_owned(),
            status: i["status"].as_str().unwrap_or_default().replace('_', " "),
            quote: i["evidence"][0]["quote"].as_str().map(str::to_owned),
        })
        .collect()
}

/// Text made safe inside HTML and XML: markup characters escaped; control
/// characters (which XML 1.0 forbids and terminals act on) and
/// bidirectional overrides replaced as everywhere else (`crate::sanitize`).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\t' => out.push(c),
            c if crate::sanitize::is_unsafe(c) => out.push(crate::sanitize::REPLACEMENT),
            c => out.push(c),
        }
    }
    out
}

/// Status with a symbol, readable in any format.
pub fn status_label(status: &str) -> &'static str {
    match status {
        "addressed" => "✓ addressed",
        "partial" => "◐ partly",
        "missing" => "✗ missing",
        "not applicable" => "– n/a",
        "accepted" => "✓ accepted",
        "modified" => "✎ modified",
        "rejected" => "✗ rejected",
        _ => "○ pending",
    }
}
