//! `protoscribe analyze` and `checklist` through the real binary: the
//! analysis lifecycle in the store, the JSON forms, and refusals.

mod common;

use common::{Sandbox, assert_error};
use protoscribe::store::suggestions::{Suggestion, SuggestionFilter};
use protoscribe::store::{AnalysisStatus, Page, SuggestionStatus, SuggestionType};
use serde_json::Value;

/// Every suggestion of one analysis, superseded or not.
fn suggestions_of(s: &Sandbox, analysis: &str) -> Vec<Suggestion> {
    let filter = SuggestionFilter {
        analysis_id: Some(analysis.to_owned()),
        ..Default::default()
    };
    s.store().suggestions(&filter, Page::first(10_000)).unwrap()
}

/// The statuses of a protocol's analyses, newest first.
fn analysis_statuses(s: &Sandbox, protocol: &str) -> Vec<AnalysisStatus> {
    s.store()
        .latest_analysis(protocol, 100)
        .unwrap()
        .map(|latest| latest.history.iter().map(|a| a.status).collect())
        .unwrap_or_default()
}

#[test]
fn analyze_stores_a_completed_analysis_with_results_and_suggestions() {
    let s = Sandbox::new();
    let id = s.import_fixture("partial-knee-exercise.txt");
    let out = s.ok(&["analyze", &id]);
    assert!(
        out.starts_with("analysis_") && out.contains("overall") && out.contains("critical"),
        "{out}"
    );
    assert_eq!(s.counts().analyses, 1);
    let analysis = s
        .store()
        .latest_completed_analysis(&id)
        .unwrap()
        .expect("a completed analysis");
    assert_eq!(analysis.status, AnalysisStatus::Completed);
    let results = analysis.results.as_ref().expect("results");
    assert_eq!(results["items"].as_array().unwrap().len(), 88);
    assert!(analysis.completed_at.is_some());
    let suggestions = suggestions_of(&s, &analysis.id);
    assert_eq!(s.counts().suggestions, suggestions.len() as i64);
    let critical = suggestions
        .iter()
        .filter(|s| s.kind == SuggestionType::Critical)
        .count();
    assert!(out.contains(&format!("{critical} critical")), "{out}");
    assert!(
        suggestions
            .iter()
            .all(|s| s.status == SuggestionStatus::Pending)
    );
}

#[test]
fn analyze_json_gives_the_analysis_fields_and_counts() {
    let s = Sandbox::new();
    let id = s.import_fixture("poor-cbt-insomnia.md");
    let v: Value = serde_json::from_str(&s.ok(&["analyze", &id, "--json"])).unwrap();
    for field in [
        "id",
        "protocol_id",
        "provider",
        "analysis_type",
        "status",
        "results",
        "overall_score",
        "consort_score",
        "spirit_score",
        "error_message",
        "created_at",
        "completed_at",
        "duration",
    ] {
        assert!(v.get(field).is_some(), "{field}");
    }
    assert_eq!(v["status"], "completed");
    assert!(v["suggestion_counts"]["style"].as_u64().unwrap() >= 5);
}

#[test]
fn checklist_json_has_one_object_per_item() {
    let s = Sandbox::new();
    let id = s.import_fixture("complete-vitamin-d.md");
    s.ok(&["analyze", &id]);
    let items: Value = serde_json::from_str(&s.ok(&["checklist", &id, "--json"])).unwrap();
    let items = items.as_array().unwrap();
    assert_eq!(items.len(), 88);
    let first = &items[0];
    assert_eq!(first["guideline"], "SPIRIT 2013");
    assert_eq!(first["item"], "1");
    for field in ["title", "status", "confidence", "evidence"] {
        assert!(first.get(field).is_some(), "{field}");
    }
    let statuses = ["addressed", "partial", "missing", "not_applicable"];
    assert!(
        items
            .iter()
            .all(|i| statuses.contains(&i["status"].as_str().unwrap()))
    );
    let e = &items[0]["evidence"][0];
    assert!(e["start"].as_u64().is_some() && e["end"].as_u64().is_some() && e["quote"].is_string());
    let text = s.ok(&["checklist", &id]);
    assert!(
        text.contains("SPIRIT 2013") && text.contains("✓ addressed"),
        "{text}"
    );
}

#[test]
fn checklist_json_quotes_are_the_stored_text_at_their_offsets_and_say_what_is_missing() {
    let s = Sandbox::new();
    // Non-ASCII before the evidence, so bytes and characters differ; a
    // deferral, so an item names the document it is sent to.
    let id = s.import(
        "deferral.md",
        "# Essai randomisé: vitamine D³ — knee pain in adults aged ≥ 50\n\n\
         ## Statistical methods\nThe statistical methods for the primary and secondary outcomes will be described in the statistical analysis plan.\n\n\
         ## Blinding\nParticipants and outcome assessors will be blinded to the allocation; the statistician will remain blinded until the database is locked.\n",
    );
    s.ok(&["analyze", &id]);
    let content = s.store().protocol(&id).unwrap().content;
    let chars: Vec<char> = content.chars().collect();
    let items: Value = serde_json::from_str(&s.ok(&["checklist", &id, "--json"])).unwrap();
    let mut quotes = 0;
    for item in items.as_array().unwrap() {
        for e in item["evidence"].as_array().unwrap() {
            let (start, end) = (
                e["start"].as_u64().unwrap() as usize,
                e["end"].as_u64().unwrap() as usize,
            );
            let at: String = chars[start..end].iter().collect();
            assert_eq!(at, e["quote"].as_str().unwrap(), "{item}");
            quotes += 1;
        }
        assert!(item["missing"].is_array(), "{item}");
        assert_eq!(item["source"], "builtin", "{item}");
    }
    assert!(quotes > 0);
    let methods = items
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["guideline"] == "SPIRIT 2013" && i["item"] == "20a")
        .unwrap();
    assert_eq!(methods["status"], "partial", "{methods}");
    assert_eq!(methods["deferred_to"], "the statistical analysis plan");
}

#[test]
fn a_rerun_makes_a_new_analysis_and_keeps_earlier_decisions() {
    let s = Sandbox::new();
    let id = s.import_fixture("partial-knee-exercise.txt");
    let first_run = s.ok(&["analyze", &id]);
    let first = first_run.split_whitespace().next().unwrap();
    let decided = suggestions_of(&s, first)[0].id.clone();
    // A decision written by another tool, straight into the store.
    let changed = s.sql_by_hand(
        "UPDATE suggestions SET status = 'accepted' WHERE id = $1",
        &[&decided],
    );
    assert_eq!(changed, 1);
    let second_run = s.ok(&["analyze", &id]);
    let second = second_run.split_whitespace().next().unwrap();
    assert_ne!(first, second);
    assert_eq!(
        analysis_statuses(&s, &id),
        [AnalysisStatus::Completed, AnalysisStatus::Completed]
    );
    // The decision stands on the earlier suggestion and on the new one
    // that took its place.
    let earlier = s.store().suggestion(&decided).unwrap();
    assert_eq!(earlier.status, SuggestionStatus::Accepted);
    let successor = earlier.superseded_by.expect("superseded by the new one");
    let now = s.store().suggestion(&successor).unwrap();
    assert_eq!(now.analysis_id, second);
    assert_eq!(now.status, SuggestionStatus::Accepted);
    let accepted: Vec<_> = suggestions_of(&s, second)
        .into_iter()
        .filter(|s| s.status == SuggestionStatus::Accepted)
        .map(|s| s.id)
        .collect();
    assert_eq!(accepted, [successor]);
    let shown: Value = serde_json::from_str(&s.ok(&["checklist", &id, "--json"])).unwrap();
    assert_eq!(shown.as_array().unwrap().len(), 88);
}

#[test]
fn a_protocol_that_is_not_ready_is_refused_and_nothing_is_created() {
    let s = Sandbox::new();
    let id = s.import_fixture("poor-cbt-insomnia.md");
    let changed = s.sql_by_hand(
        "UPDATE protocols SET status = 'error' WHERE id = $1",
        &[&id],
    );
    assert_eq!(changed, 1);
    assert_error(&s.run(&["analyze", &id]), "not ready");
    assert_eq!(s.counts().analyses, 0);
}

#[test]
fn unknown_providers_and_ids_are_refused() {
    let s = Sandbox::new();
    let id = s.import_fixture("poor-cbt-insomnia.md");
    assert_error(
        &s.run(&["analyze", &id, "--provider", "gpt"]),
        "unknown provider 'gpt': choose one of builtin",
    );
    assert_error(
        &s.run(&["analyze", "proto_0000000000000000"]),
        "no protocol with id",
    );
    assert_error(&s.run(&["checklist", &id]), "has no completed analysis yet");
    assert_eq!(
        s.run(&["analyze", &id, "--guideline", "strobe"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(s.counts().analyses, 0);
}

#[test]
fn analyze_all_covers_every_ready_protocol() {
    let s = Sandbox::new();
    let ids = [
        s.import_fixture("poor-cbt-insomnia.md"),
        s.import_fixture("complete-vitamin-d.md"),
    ];
    let out = s.ok(&["analyze", "--all"]);
    assert_eq!(out.lines().count(), 2, "{out}");
    for id in &ids {
        assert_eq!(analysis_statuses(&s, id), [AnalysisStatus::Completed]);
    }
}

#[test]
fn the_guideline_choice_is_respected() {
    let s = Sandbox::new();
    let id = s.import_fixture("complete-vitamin-d.md");
    let v: Value =
        serde_json::from_str(&s.ok(&["analyze", &id, "--guideline", "consort", "--json"])).unwrap();
    assert_eq!(v["spirit_score"], Value::Null);
    assert_eq!(v["results"]["document"]["kind"], "report");
}
