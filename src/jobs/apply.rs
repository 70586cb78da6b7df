//! Decisions become a new protocol version: the accepted and modified
//! suggestions of the latest analysis are written into the text, in one
//! transaction; the protocol's content becomes the new version's text.

use crate::revise::{self, Insertion};
use crate::store::suggestions::{self, SuggestionFilter};
use crate::store::versions::{self, ProtocolVersion};
use crate::store::{Page, Store, StoreError, SuggestionStatus, analyses, protocols};

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
    #[error(transparent)]
    Store(#[from] StoreError),
}

#[derive(Clone, Debug)]
pub struct Applied {
    pub version: ProtocolVersion,
    /// (suggestion id, guideline reference) of what went into the text.
    pub applied: Vec<(String, String)>,
    /// (suggestion id, why) of decided suggestions with no text to insert.
    pub skipped: Vec<(String, &'static str)>,
}

/// Suggestion ids named in a change summary.
fn ids_in(summary: &str) -> impl Iterator<Item = &str> {
    summary
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("sugg_"))
}

pub fn run(
    store: &Store,
    protocol_id: &str,
    summary: Option<&str>,
    user: Option<&str>,
) -> Result<Applied, ApplyError> {
    // The inner Result carries "nothing to do" out of a committed transaction.
    store.write(|tx| {
        let protocol = protocols::get(tx, protocol_id)?;
        let Some(analysis) = analyses::latest_completed(tx, protocol_id)? else {
            return Ok(Err(ApplyError::NotAnalysed(protocol_id.to_owned())));
        };
        let mut existing = versions::list(tx, protocol_id)?;
        if existing.is_empty() {
            // Stores from before versions were kept: the current text is version 1.
            existing.push(versions::create(
                tx,
                protocol_id,
                1,
                &protocol.content,
                Some("Text before the first apply"),
                user,
            )?);
        }
        let done: Vec<&str> = existing
            .iter()
            .filter_map(|v| v.change_summary.as_deref())
            .flat_map(ids_in)
            .collect();
        let filter = SuggestionFilter {
            analysis_id: Some(analysis.id.clone()),
            ..SuggestionFilter::default()
        };
        let decided = suggestions::list(tx, &filter, Page::first(u32::MAX as u64))?
            .into_iter()
            .filter(|s| {
                matches!(
                    s.status,
                    SuggestionStatus::Accepted | SuggestionStatus::Modified
                )
            })
            .filter(|s| !done.contains(&s.id.as_str()));
        let (mut insertions, mut applied, mut skipped) = (Vec::new(), Vec::new(), Vec::new());
        for s in decided {
            let text = match s.status {
                SuggestionStatus::Modified => s.modified_content.clone(),
                _ => revise::suggested_text(&s.content).map(str::to_owned),
            };
            match text {
                Some(text) => {
                    insertions.push(Insertion {
                        section: s.section.clone(),
                        text,
                    });
                    applied.push((
                        s.id.clone(),
                        s.guideline_reference
                            .clone()
                            .unwrap_or_else(|| s.kind.to_string()),
                    ));
                }
                None => skipped.push((s.id.clone(), "no text to insert: make the change by hand")),
            }
        }
        if insertions.is_empty() {
            return Ok(Err(ApplyError::NothingToApply(protocol_id.to_owned())));
        }
        let text = revise::apply(&protocol.content, &insertions);
        let listed: Vec<String> = applied
            .iter()
            .map(|(id, r)| format!("{id} ({r})"))
            .collect();
        let change_summary = match summary {
            Some(s) if !s.trim().is_empty() => {
                format!("{}\nApplied: {}", s.trim(), listed.join(", "))
            }
            _ => format!("Applied: {}", listed.join(", ")),
        };
        let version = versions::create_next(tx, protocol_id, &text, Some(&change_summary), user)?;
        protocols::update(
            tx,
            protocol_id,
            &protocols::ProtocolUpdate {
                content: Some(text),
                ..Default::default()
            },
        )?;
        Ok(Ok(Applied {
            version,
            applied,
            skipped,
        }))
    })?
}
