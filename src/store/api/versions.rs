//! `Store` operations on protocol versions, including apply: decisions
//! written into the text as a new version, in one transaction.

use crate::store::Store;
use crate::store::error::Result;
use crate::store::protocols::{Protocol, ProtocolUpdate};
use crate::store::suggestions::Suggestion;
use crate::store::versions::ProtocolVersion;

/// What an apply is planned from, read inside its transaction.
#[derive(Clone, Debug)]
pub struct ApplySource {
    pub protocol: Protocol,
    /// Whether the protocol has a completed analysis.
    pub analysed: bool,
    /// Each finding's current suggestion among the protocol's completed
    /// analyses, newest analysis first.
    pub live: Vec<Suggestion>,
}

/// What an apply writes.
#[derive(Clone, Debug)]
pub struct Revision {
    /// The protocol's new text, kept as its next version.
    pub text: String,
    /// That version's change summary.
    pub change_summary: String,
    /// The suggestions whose wording went into it: each records the
    /// version, so none is applied twice.
    pub applied: Vec<String>,
}

impl Store {
    pub fn version(&self, id: &str) -> Result<ProtocolVersion> {
        self.read(|conn| conn.versions_get(id))
    }

    /// A protocol's versions, oldest first; an unknown protocol is an error
    /// rather than an empty list.
    pub fn protocol_versions(&self, protocol_id: &str) -> Result<Vec<ProtocolVersion>> {
        self.read(|conn| {
            conn.protocols_get(protocol_id)?;
            conn.versions_list(protocol_id)
        })
    }

    /// A protocol's versions, oldest first (none for an unknown protocol).
    pub fn versions_of(&self, protocol_id: &str) -> Result<Vec<ProtocolVersion>> {
        self.read(|conn| conn.versions_list(protocol_id))
    }

    /// Apply decisions to a protocol in one transaction: `plan` (pure)
    /// gets what the store holds now and returns the `Revision` to write
    /// with a value of its own, or refuses (`Err`) and nothing is written.
    /// A protocol from before versions were kept first gets its current
    /// text as version 1; then the revision becomes the next version (by
    /// `created_by`), its suggestions record that version, and the
    /// protocol's content becomes its text. Returns the new version.
    pub fn apply_revision<T, E>(
        &self,
        protocol_id: &str,
        created_by: Option<&str>,
        plan: impl FnOnce(ApplySource) -> std::result::Result<(Revision, T), E>,
    ) -> Result<std::result::Result<(ProtocolVersion, T), E>> {
        // The inner Result carries refusals out of a transaction that
        // wrote nothing.
        self.write(|tx| {
            let protocol = tx.protocols_get(protocol_id)?;
            let analysed = tx.analyses_latest_completed(protocol_id)?.is_some();
            let live = tx.suggestions_live_for_protocol(protocol_id)?;
            let content = protocol.content.clone();
            let (revision, planned) = match plan(ApplySource {
                protocol,
                analysed,
                live,
            }) {
                Ok(planned) => planned,
                Err(refused) => return Ok(Err(refused)),
            };
            if tx.versions_list(protocol_id)?.is_empty() {
                // Stores from before versions were kept: the current text
                // is version 1.
                tx.versions_create(
                    protocol_id,
                    1,
                    &content,
                    Some("Text before the first apply"),
                    created_by,
                )?;
            }
            let version = tx.versions_create_next(
                protocol_id,
                &revision.text,
                Some(&revision.change_summary),
                created_by,
            )?;
            let applied: Vec<&str> = revision.applied.iter().map(String::as_str).collect();
            tx.suggestions_mark_applied(&applied, version.version_number)?;
            tx.protocols_update(
                protocol_id,
                &ProtocolUpdate {
                    content: Some(revision.text),
                    ..Default::default()
                },
            )?;
            Ok(Ok((version, planned)))
        })
    }
}
