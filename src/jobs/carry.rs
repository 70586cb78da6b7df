//! A reviewer's decisions belong to the protocol, not to one analysis.
//! When a protocol is analysed again, each new finding takes the place of
//! the earlier suggestion with the same finding key, and with it that
//! suggestion's decision (status, comment, reworded text, whether it was
//! applied). Accepted or reworded text not yet applied is never dropped:
//! if the new analysis no longer makes its finding, the earlier suggestion
//! is carried along as it is, marked as not found again, so `apply` still
//! writes it. Pure: earlier suggestions and new findings in, a plan out.

use std::collections::HashMap;

use crate::store::SuggestionStatus;
use crate::store::suggestions::{Carried, NewSuggestion, Suggestion};

/// What carrying over did, for the reviewer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CarryReport {
    /// Findings no earlier suggestion had.
    pub new: usize,
    /// Decisions taken over by the same finding found again.
    pub carried: usize,
    /// Undone decisions kept although their finding was not found again.
    pub kept: usize,
}

fn is_decided(s: &Suggestion) -> bool {
    s.status != SuggestionStatus::Pending || s.user_comment.is_some()
}

/// Whether an unmatched suggestion still has work for `apply`.
fn awaits_apply(s: &Suggestion) -> bool {
    matches!(
        s.status,
        SuggestionStatus::Accepted | SuggestionStatus::Modified
    ) && s.applied_version.is_none()
}

/// The suggestion whose decision stands for a finding: a decided one over
/// an undecided one, then the newest (`earlier` comes newest analysis
/// first).
fn standing<'a>(candidates: &[&'a Suggestion]) -> &'a Suggestion {
    candidates
        .iter()
        .copied()
        .find(|s| is_decided(s))
        .unwrap_or(candidates[0])
}

fn carried(from: &Suggestion, group: &[&Suggestion], found_again: bool) -> Carried {
    Carried {
        from: from.id.clone(),
        decision: from.decision(),
        applied_version: from.applied_version,
        found_again,
        replaces: group.iter().map(|s| s.id.clone()).collect(),
    }
}

/// Attach earlier decisions to `fresh` and append what must be kept.
/// `earlier` is each finding's current suggestion (see
/// `suggestions::live_for_protocol`), newest analysis first.
pub fn carry(
    earlier: &[Suggestion],
    mut fresh: Vec<NewSuggestion>,
) -> (Vec<NewSuggestion>, CarryReport) {
    let mut by_key: HashMap<&str, Vec<&Suggestion>> = HashMap::new();
    let mut keys_in_order: Vec<&str> = Vec::new();
    for s in earlier {
        if let Some(key) = s.finding_key.as_deref() {
            let group = by_key.entry(key).or_default();
            if group.is_empty() {
                keys_in_order.push(key);
            }
            group.push(s);
        }
    }
    let mut report = CarryReport::default();
    for new in &mut fresh {
        let group = new.finding_key.as_deref().and_then(|k| by_key.remove(k));
        match group {
            Some(group) => {
                let from = standing(&group);
                if is_decided(from) {
                    report.carried += 1;
                }
                new.carried = Some(carried(from, &group, true));
            }
            None => report.new += 1,
        }
    }
    // Findings not made again: keep what apply still has to write.
    for key in keys_in_order {
        let Some(group) = by_key.get(key) else {
            continue;
        };
        let from = standing(group);
        if awaits_apply(from) {
            report.kept += 1;
            fresh.push(kept(from, group));
        }
    }
    // Keyless suggestions (written by hand, or by other tools) with text
    // waiting for apply are kept too.
    for s in earlier
        .iter()
        .filter(|s| s.finding_key.is_none() && awaits_apply(s))
    {
        report.kept += 1;
        fresh.push(kept(s, &[s]));
    }
    (fresh, report)
}

fn kept(from: &Suggestion, group: &[&Suggestion]) -> NewSuggestion {
    NewSuggestion {
        section: from.section.clone(),
        kind: from.kind,
        content: from.content.clone(),
        confidence: from.confidence,
        priority: from.priority,
        guideline_reference: from.guideline_reference.clone(),
        rationale: from.rationale.clone(),
        finding_key: from.finding_key.clone(),
        suggested_text: from.suggested_text.clone(),
        carried: Some(carried(from, group, false)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Priority, SuggestionType};

    fn earlier(id: &str, key: &str, status: SuggestionStatus) -> Suggestion {
        Suggestion {
            id: id.into(),
            analysis_id: "analysis_1".into(),
            section: "Blinding".into(),
            kind: SuggestionType::Critical,
            content: "Blinding is not addressed.".into(),
            confidence: 0.9,
            priority: Priority::High,
            status,
            user_comment: None,
            modified_content: (status == SuggestionStatus::Modified)
                .then(|| "Assessors will be blinded.".into()),
            guideline_reference: Some("SPIRIT 2013 item 17a".into()),
            rationale: None,
            created_at: String::new(),
            updated_at: None,
            finding_key: Some(key.into()),
            suggested_text: Some("Outcome assessors will be blinded.".into()),
            revision: 1,
            applied_version: None,
            metadata: None,
            superseded_by: None,
        }
    }

    fn fresh(key: &str) -> NewSuggestion {
        NewSuggestion {
            section: "Blinding".into(),
            kind: SuggestionType::Critical,
            content: "Blinding is not addressed.".into(),
            confidence: 0.9,
            priority: Priority::High,
            guideline_reference: None,
            rationale: None,
            finding_key: Some(key.into()),
            suggested_text: None,
            carried: None,
        }
    }

    #[test]
    fn a_finding_found_again_takes_over_its_decision() {
        let before = [
            earlier("sugg_a", "17a: missing", SuggestionStatus::Accepted),
            earlier("sugg_b", "16b: missing", SuggestionStatus::Rejected),
            earlier("sugg_c", "9: partial", SuggestionStatus::Pending),
        ];
        let (plan, report) = carry(
            &before,
            vec![
                fresh("17a: missing"),
                fresh("16b: missing"),
                fresh("9: partial"),
                fresh("5a: missing"),
            ],
        );
        assert_eq!(
            report,
            CarryReport {
                new: 1,
                carried: 2,
                kept: 0
            }
        );
        let c = plan[0].carried.as_ref().unwrap();
        assert_eq!(
            (c.from.as_str(), c.decision.status),
            ("sugg_a", SuggestionStatus::Accepted)
        );
        assert_eq!(
            plan[1].carried.as_ref().unwrap().decision.status,
            SuggestionStatus::Rejected
        );
        // An undecided one is still linked, so it is history from now on.
        assert_eq!(
            plan[2].carried.as_ref().unwrap().decision,
            crate::store::suggestions::Decision::pending()
        );
        assert!(plan[3].carried.is_none());
    }

    #[test]
    fn undone_text_is_kept_when_its_finding_is_not_found_again() {
        let mut applied = earlier("sugg_d", "11a: partial", SuggestionStatus::Accepted);
        applied.applied_version = Some(2);
        let before = [
            earlier("sugg_a", "17a: missing", SuggestionStatus::Modified),
            earlier("sugg_b", "16b: missing", SuggestionStatus::Rejected),
            applied,
        ];
        let (plan, report) = carry(&before, vec![fresh("5a: missing")]);
        assert_eq!(
            report,
            CarryReport {
                new: 1,
                carried: 0,
                kept: 1
            }
        );
        assert_eq!(plan.len(), 2);
        let kept = plan[1].carried.as_ref().unwrap();
        assert_eq!(kept.from, "sugg_a");
        assert!(!kept.found_again);
        assert_eq!(
            kept.decision.modified_content.as_deref(),
            Some("Assessors will be blinded.")
        );
        assert_eq!(
            plan[1].suggested_text.as_deref(),
            Some("Outcome assessors will be blinded.")
        );
    }

    #[test]
    fn a_decided_suggestion_stands_over_a_newer_undecided_one_and_both_are_replaced() {
        let before = [
            earlier("sugg_new", "17a: missing", SuggestionStatus::Pending),
            earlier("sugg_old", "17a: missing", SuggestionStatus::Accepted),
        ];
        let (plan, _) = carry(&before, vec![fresh("17a: missing")]);
        let c = plan[0].carried.as_ref().unwrap();
        assert_eq!(c.from, "sugg_old");
        assert_eq!(c.replaces, ["sugg_new", "sugg_old"]);
    }
}
