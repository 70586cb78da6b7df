//! Checks beyond the checklist, the ones reviewers make by hand:
//! placeholders left in, malformed registry ids, undefined abbreviations,
//! figures stated differently in different places, empty sections.

pub mod abbreviations;
pub mod consistency;
pub mod empty_sections;
pub mod placeholders;
pub mod registry;

use std::ops::Range;

use serde::Serialize;

use super::document::Document;
use crate::vocab::Priority;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Placeholder,
    RegistryId,
    Abbreviation,
    Inconsistency,
    EmptySection,
}

impl Check {
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Placeholder => "placeholder",
            Check::RegistryId => "registry_id",
            Check::Abbreviation => "abbreviation",
            Check::Inconsistency => "inconsistency",
            Check::EmptySection => "empty_section",
        }
    }
}

/// One thing a check found.
#[derive(Clone, Debug)]
pub struct Finding {
    pub check: Check,
    /// Where it belongs: the document's heading, or a guideline section.
    pub section: String,
    /// One or two sentences saying what is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
    pub evidence: Vec<Range<usize>>,
    pub priority: Priority,
    pub confidence: f64,
    /// The checklist item it bears on, if any (`SPIRIT 2013 item 2a`).
    pub reference: Option<&'static str>,
    /// How many problems of this kind the finding stands for (its penalty).
    pub count: usize,
    /// What, within its check and section, the finding is about (the
    /// malformed id, "sample size"): with them, it names the finding across
    /// analyses so a reviewer's decision can follow it.
    pub subject: String,
}

pub fn run(doc: &Document<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(placeholders::check(doc));
    findings.extend(registry::check(doc));
    findings.extend(abbreviations::check(doc));
    findings.extend(consistency::check(doc));
    findings.extend(empty_sections::check(doc));
    findings
}

/// The document heading above `at`, or `fallback`, cut to the store's limit.
pub fn section_name(doc: &Document<'_>, at: usize, fallback: &str) -> String {
    let name = doc
        .section_at(at)
        .map(|s| s.heading.title.as_str())
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(fallback);
    name.chars().take(100).collect()
}

/// The messages one check gives for `text`, for the checks' tests.
#[cfg(test)]
fn messages_of(check: fn(&Document<'_>) -> Vec<Finding>, text: &str) -> Vec<String> {
    check(&Document::new(text))
        .into_iter()
        .map(|f| f.message)
        .collect()
}
