//! Decisions become a new protocol version: every accepted or modified
//! suggestion of the protocol not yet applied (whichever analysis it came
//! from) has its wording written into the text, in one transaction; the
//! protocol's content becomes the new version's text, and each suggestion
//! records the version it went into, so none is applied twice.

use std::collections::HashSet;

use crate::revise::{self, Insertion};
use crate::store::api::{ApplySource, Revision};
use crate::store::suggestions::Suggestion;
use crate::store::versions::ProtocolVersion;
use crate::store::{Store, StoreError, SuggestionStatus};

#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(
        "{0} has no completed analysis: run 'protoscribe analyze {0}' and review its suggestions first"
    )]
    NotAnalysed(String),
    #[error(
        "nothing new to apply to {0}: accept or modify suggestions first (each is applied once)"
    )]
    NothingToApply(String),
    #[error(
        "the wording to apply still has placeholders: {}; reword them (modify) or pass --allow-placeholders",
        list_placeholders(.0)
    )]
    Placeholders(Vec<Placeholder>),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A placeholder left in wording that is about to be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Placeholder {
    pub suggestion: String,
    /// The guideline item, or the suggestion's section.
    pub about: String,
    pub text: String,
}

fn list_placeholders(found: &[Placeholder]) -> String {
    const SHOWN: usize = 4;
    let mut parts: Vec<String> = found
        .iter()
        .take(SHOWN)
        .map(|p| format!("\"{}\" ({})", p.text, p.about))
        .collect();
    if found.len() > SHOWN {
        parts.push(format!("and {} more", found.len() - SHOWN));
    }
    parts.join(", ")
}

#[derive(Clone, Debug, Default)]
pub struct ApplyOptions<'a> {
    pub summary: Option<&'a str>,
    pub user: Option<&'a str>,
    /// Write wording even if it still has placeholders such as `[N]`.
    pub allow_placeholders: bool,
}

#[derive(Clone, Debug)]
pub struct Applied {
    pub version: ProtocolVersion,
    /// (suggestion id, guideline reference) of what went into the text.
    pub applied: Vec<(String, String)>,
    /// (suggestion id, why) of decided suggestions with no text to insert.
    pub skipped: Vec<(String, &'static str)>,
    /// Placeholders written anyway (with `allow_placeholders`).
    pub placeholders: Vec<Placeholder>,
}

fn about(s: &Suggestion) -> String {
    s.guideline_reference
        .clone()
        .unwrap_or_else(|| s.section.clone())
}

/// The accepted and modified suggestions `apply` would write now, one per
/// finding, newest first.
pub fn pending_wording(all_live: Vec<Suggestion>) -> Vec<Suggestion> {
    let mut keys = HashSet::new();
    all_live
        .into_iter()
        .filter(|s| {
            matches!(
                s.status,
                SuggestionStatus::Accepted | SuggestionStatus::Modified
            ) && s.applied_version.is_none()
        })
        .filter(|s| match &s.finding_key {
            // Before the first re-analysis of an older store, two analyses
            // may hold the same finding: the newest speaks for it.
            Some(key) => keys.insert(key.clone()),
            None => true,
        })
        .collect()
}

/// Placeholders in the wording of the given suggestions.
pub fn placeholders_in(decided: &[Suggestion]) -> Vec<Placeholder> {
    decided
        .iter()
        .flat_map(|s| {
            let text = s.wording().unwrap_or_default();
            revise::placeholders(text)
                .into_iter()
                .map(|p| Placeholder {
                    suggestion: s.id.clone(),
                    about: about(s),
                    text: p.to_owned(),
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The placeholders `apply` would stop at for this protocol now, without
/// writing anything (the interface asks before applying them).
pub fn check(store: &Store, protocol_id: &str) -> Result<Vec<Placeholder>, ApplyError> {
    let live = store.live_suggestions(protocol_id)?;
    Ok(placeholders_in(&pending_wording(live)))
}

/// Write every decided suggestion's wording into the protocol as its next
/// version, in one transaction (or refuse, writing nothing).
pub fn run(
    store: &Store,
    protocol_id: &str,
    options: &ApplyOptions<'_>,
) -> Result<Applied, ApplyError> {
    let (version, planned) = store.apply_revision(protocol_id, options.user, |source| {
        plan(protocol_id, source, options)
    })??;
    Ok(Applied {
        version,
        applied: planned.applied,
        skipped: planned.skipped,
        placeholders: planned.placeholders,
    })
}

/// What `plan` reports beside the revision.
struct Planned {
    applied: Vec<(String, String)>,
    skipped: Vec<(String, &'static str)>,
    placeholders: Vec<Placeholder>,
}

/// The revision `run` writes, worked out from what the store holds inside
/// its transaction (pure), or why there is none.
fn plan(
    protocol_id: &str,
    source: ApplySource,
    options: &ApplyOptions<'_>,
) -> Result<(Revision, Planned), ApplyError> {
    if !source.analysed {
        return Err(ApplyError::NotAnalysed(protocol_id.to_owned()));
    }
    let all_live = source.live;
    // Earlier analyses' copies of an applied finding are applied too.
    let same_finding = |s: &Suggestion, key: &str| s.finding_key.as_deref() == Some(key);
    let decided = pending_wording(all_live.clone());
    let placeholders = placeholders_in(&decided);
    if !placeholders.is_empty() && !options.allow_placeholders {
        return Err(ApplyError::Placeholders(placeholders));
    }
    let (mut insertions, mut applied, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
    let mut written: Vec<String> = Vec::new();
    for s in &decided {
        match s.wording() {
            Some(text) => {
                insertions.push(Insertion {
                    section: s.section.clone(),
                    text: text.to_owned(),
                });
                applied.push((s.id.clone(), about(s)));
                written.push(s.id.clone());
                if let Some(key) = &s.finding_key {
                    written.extend(
                        all_live
                            .iter()
                            .filter(|o| o.id != s.id && same_finding(o, key))
                            .filter(|o| {
                                matches!(
                                    o.status,
                                    SuggestionStatus::Accepted | SuggestionStatus::Modified
                                ) && o.applied_version.is_none()
                            })
                            .map(|o| o.id.clone()),
                    );
                }
            }
            None => skipped.push((s.id.clone(), "no text to insert: make the change by hand")),
        }
    }
    if insertions.is_empty() {
        return Err(ApplyError::NothingToApply(protocol_id.to_owned()));
    }
    let text = revise::apply(&source.protocol.content, &insertions);
    let listed: Vec<String> = applied
        .iter()
        .map(|(id, r)| format!("{id} ({r})"))
        .collect();
    let change_summary = match options.summary {
        Some(s) if !s.trim().is_empty() => {
            format!("{}\nApplied: {}", s.trim(), listed.join(", "))
        }
        _ => format!("Applied: {}", listed.join(", ")),
    };
    Ok((
        Revision {
            text,
            change_summary,
            applied: written,
        },
        Planned {
            applied,
            skipped,
            placeholders,
        },
    ))
}
