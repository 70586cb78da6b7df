//! `Store` operations on suggestions and decisions: reading them in
//! review order, and decisions that state the revision they were made on.

use crate::store::error::Result;
use crate::store::suggestions::{Decision, Expect, Suggestion, SuggestionFilter, Verb};
use crate::store::{Page, Store, Tables};

/// One suggestion's new decision, made on the revision the reviewer saw.
#[derive(Clone, Copy, Debug)]
pub struct Revised<'a> {
    pub id: &'a str,
    pub decision: &'a Decision,
    pub revision: i64,
}

impl Store {
    pub fn suggestion(&self, id: &str) -> Result<Suggestion> {
        self.read(|conn| conn.suggestions_get(id))
    }

    /// Suggestions in review order.
    pub fn suggestions(&self, filter: &SuggestionFilter, page: Page) -> Result<Vec<Suggestion>> {
        self.read(|conn| conn.suggestions_list(filter, page))
    }

    /// How many suggestions match.
    pub fn suggestion_count(&self, filter: &SuggestionFilter) -> Result<u64> {
        self.read(|conn| conn.suggestions_count(filter))
    }

    /// Where a suggestion stands in the review order of a filtered list.
    pub fn suggestion_position(&self, filter: &SuggestionFilter, id: &str) -> Result<Option<u64>> {
        self.read(|conn| conn.suggestions_position(filter, id))
    }

    /// The suggestion an analysis made for a checklist item, if any.
    pub fn suggestion_for_item(
        &self,
        analysis_id: &str,
        reference: &str,
    ) -> Result<Option<Suggestion>> {
        self.read(|conn| conn.suggestions_for_item(analysis_id, reference))
    }

    /// Every suggestion's id, in id order.
    pub fn suggestion_ids(&self) -> Result<Vec<String>> {
        self.read(|conn| conn.suggestions_all_ids())
    }

    /// Each finding's current suggestion among a protocol's completed
    /// analyses (those no later analysis took the place of), newest
    /// analysis first; an unknown protocol is an error.
    pub fn live_suggestions(&self, protocol_id: &str) -> Result<Vec<Suggestion>> {
        self.read(|conn| {
            conn.protocols_get(protocol_id)?;
            conn.suggestions_live_for_protocol(protocol_id)
        })
    }

    /// Decide on a suggestion: read it and write the decision in one
    /// transaction, so nothing changes in between; `expect` says which
    /// revision the decision was made on (or that any will do).
    pub fn review(
        &self,
        id: &str,
        verb: &Verb,
        comment: Option<String>,
        expect: Expect,
    ) -> Result<Suggestion> {
        // One statement: what the verb changes is written over what the
        // row holds, without reading it first.
        let change = verb.change(comment);
        self.write(|tx| tx.suggestions_change(id, &change, expect))
    }

    /// Write several decisions, all or none, each only if its suggestion
    /// is still at the revision given; returns the suggestions as decided.
    /// Waits for another process's write lock like any write.
    pub fn decide_all(&self, decisions: &[Revised<'_>]) -> Result<Vec<Suggestion>> {
        self.write(|tx| decide_each(tx, decisions))
    }

    /// `decide_all`, but `StoreError::Busy` at once if another process
    /// holds the write lock.
    pub fn try_decide_all(&self, decisions: &[Revised<'_>]) -> Result<Vec<Suggestion>> {
        self.try_write(|tx| decide_each(tx, decisions))
    }
}

fn decide_each(conn: &mut dyn Tables, decisions: &[Revised<'_>]) -> Result<Vec<Suggestion>> {
    decisions
        .iter()
        .map(|d| conn.suggestions_decide(d.id, d.decision, Expect::Revision(d.revision)))
        .collect()
}
