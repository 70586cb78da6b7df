//! The PostgreSQL twins of the store's table functions
//! (`store::postgres::{protocols, suggestions, analyses, versions,
//! exports, stats}`) against a real PostgreSQL 15 (see
//! `common/postgres.rs`): the operations `tests/store.rs` and
//! `tests/decisions.rs` hold SQLite to, and one scenario run on both
//! backends whose every answer must be the same.

mod common;

use std::collections::HashMap;

use common::postgres::fresh_database;
use protoscribe::store::analyses::{AnalysisFilter, Completion, NewAnalysis};
use protoscribe::store::exports::NewExport;
use protoscribe::store::postgres::{
    Target, analyses, exports, migrate, protocols, stats, suggestions, versions,
};
use protoscribe::store::protocols::{NewProtocol, ProtocolFilter, ProtocolUpdate};
use protoscribe::store::suggestions::{Carried, Decision, Expect, NewSuggestion, SuggestionFilter};
use protoscribe::store::{
    AnalysisStatus, ExportFormat, ExportStatus, Page, Priority, ProtocolStatus, Store, StoreError,
    SuggestionStatus, SuggestionType,
};
use serde_json::{Value, json};

fn pg() -> postgres::Client {
    pg_at(&fresh_database())
}

fn pg_at(url: &str) -> postgres::Client {
    let target = Target::parse(url).expect("a URL");
    let mut client = target.connect().expect("connect");
    migrate::migrate(&mut client, target.shown()).expect("migrate");
    client
}

fn new_protocol(title: &str, content: &str) -> NewProtocol {
    NewProtocol {
        title: title.into(),
        content: content.into(),
        status: Some(ProtocolStatus::Ready),
        file_size: Some(content.len() as i64),
        metadata: Some(json!({"sha256": format!("sha-{title}")})),
        ..NewProtocol::default()
    }
}

fn suggestion(kind: SuggestionType, priority: Priority, confidence: f64) -> NewSuggestion {
    NewSuggestion {
        section: "Methods".into(),
        kind,
        content: "State the allocation concealment mechanism.".into(),
        confidence,
        priority,
        guideline_reference: Some("SPIRIT 2013 item 16b".into()),
        rationale: Some("Concealment prevents selection bias.".into()),
        finding_key: None,
        suggested_text: Some("Allocation will be concealed by a central web service.".into()),
        carried: None,
    }
}

fn new_analysis(protocol_id: &str, provider: &str) -> NewAnalysis {
    NewAnalysis {
        protocol_id: protocol_id.to_owned(),
        provider: provider.into(),
        analysis_type: "comprehensive".into(),
    }
}

/// A protocol with one completed analysis holding `n` suggestions.
fn analysed(c: &mut impl postgres::GenericClient, title: &str, n: usize) -> (String, String) {
    let p = protocols::create(c, &new_protocol(title, "Randomised trial text.")).unwrap();
    let a = analyses::create(c, &new_analysis(&p.id, "builtin")).unwrap();
    let kinds = [
        SuggestionType::Style,
        SuggestionType::Critical,
        SuggestionType::Improvement,
    ];
    let new: Vec<_> = (0..n)
        .map(|i| suggestion(kinds[i % 3], Priority::Medium, 0.5))
        .collect();
    suggestions::insert_many(c, &a.id, &new).unwrap();
    analyses::complete(
        c,
        &a.id,
        &Completion {
            results: json!({"items": []}),
            overall_score: Some(70.0),
            consort_score: Some(60.0),
            spirit_score: Some(75.0),
        },
    )
    .unwrap();
    (p.info.id, a.id)
}

fn search_titles(c: &mut postgres::Client, query: &str) -> Vec<String> {
    let filter = ProtocolFilter {
        search: Some(query.into()),
        status: None,
    };
    let found =
        protocols::list(c, &filter, Page::default()).unwrap_or_else(|e| panic!("{query:?}: {e}"));
    assert_eq!(
        protocols::count(c, &filter).unwrap(),
        found.len() as u64,
        "{query:?}"
    );
    found.into_iter().map(|p| p.title).collect()
}

fn count_rows(c: &mut postgres::Client, table: &str) -> i64 {
    c.query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .get(0)
}

// ---- protocols ----

#[test]
fn protocols_round_trip_and_update() {
    let mut c = pg();
    let p = protocols::create(&mut c, &new_protocol("Trial A", "text")).unwrap();
    assert!(p.id.starts_with("proto_") && p.id.len() == "proto_".len() + 16);
    assert_eq!(protocols::get(&mut c, &p.id).unwrap(), p);
    assert!(
        p.created_at.ends_with('Z') && p.created_at.len() == 27,
        "{}",
        p.created_at
    );
    assert_eq!(p.metadata, Some(json!({"sha256": "sha-Trial A"})));
    let changed = protocols::update(
        &mut c,
        &p.id,
        &ProtocolUpdate {
            title: Some("Trial A (v2)".into()),
            description: Some(Some("now described".into())),
            status: Some(ProtocolStatus::Error),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(changed.title, "Trial A (v2)");
    assert_eq!(changed.description.as_deref(), Some("now described"));
    assert_eq!(changed.status, ProtocolStatus::Error);
    assert_eq!(changed.content, "text");
    assert!(changed.updated_at.is_some());
    // Leaving a field out keeps it; Some(None) clears the description.
    let cleared = protocols::update(
        &mut c,
        &p.id,
        &ProtocolUpdate {
            description: Some(None),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(cleared.description, None);
    assert_eq!(cleared.title, "Trial A (v2)");
    let err = protocols::update(&mut c, "proto_nope", &ProtocolUpdate::default()).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                kind: "protocol",
                ..
            }
        ),
        "{err}"
    );
    assert!(protocols::find(&mut c, "proto_nope").unwrap().is_none());
}

#[test]
fn protocol_titles_are_checked() {
    let mut c = pg();
    let err = protocols::create(&mut c, &new_protocol(&"x".repeat(256), "t")).unwrap_err();
    assert!(err.to_string().contains("255"), "{err}");
    assert!(protocols::create(&mut c, &new_protocol("  ", "t")).is_err());
    // 255 characters of more than one byte each still fit.
    assert!(protocols::create(&mut c, &new_protocol(&"é".repeat(255), "t")).is_ok());
}

#[test]
fn protocols_list_newest_first_with_status_filter_and_pages() {
    let mut c = pg();
    let mut ids = Vec::new();
    for i in 0..5 {
        let mut p = new_protocol(&format!("Trial {i}"), "t");
        if i % 2 == 0 {
            p.status = Some(ProtocolStatus::Error);
        }
        ids.push(protocols::create(&mut c, &p).unwrap().info.id);
    }
    let all = protocols::list(&mut c, &ProtocolFilter::default(), Page::default()).unwrap();
    let titles: Vec<_> = all.iter().map(|p| p.title.as_str()).collect();
    assert_eq!(
        titles,
        ["Trial 4", "Trial 3", "Trial 2", "Trial 1", "Trial 0"]
    );
    assert_eq!(
        protocols::by_status(&mut c, ProtocolStatus::Error, 10)
            .unwrap()
            .len(),
        3
    );
    let page = protocols::list(
        &mut c,
        &ProtocolFilter::default(),
        Page {
            offset: 1,
            limit: 2,
        },
    )
    .unwrap();
    assert_eq!(
        page.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(),
        ["Trial 3", "Trial 2"]
    );
    // A page far past the end is empty, never the first page again.
    let far = Page {
        offset: u64::MAX,
        limit: u64::MAX,
    };
    assert!(
        protocols::list(&mut c, &ProtocolFilter::default(), far)
            .unwrap()
            .is_empty()
    );
    let ready = ProtocolFilter {
        status: Some(ProtocolStatus::Ready),
        search: None,
    };
    assert_eq!(protocols::count(&mut c, &ready).unwrap(), 2);
    assert_eq!(
        protocols::count(&mut c, &ProtocolFilter::default()).unwrap(),
        5
    );
    assert_eq!(
        protocols::position_newest_first(&mut c, &ids[0]).unwrap(),
        Some(4)
    );
    assert_eq!(
        protocols::position_newest_first(&mut c, "proto_nope").unwrap(),
        None
    );
    // Status and search together.
    let filter = ProtocolFilter {
        status: Some(ProtocolStatus::Error),
        search: Some("trial".into()),
    };
    assert_eq!(protocols::count(&mut c, &filter).unwrap(), 3);
    assert_eq!(
        protocols::list(&mut c, &filter, Page::first(2))
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn the_same_file_is_found_by_its_checksum_unless_its_import_failed() {
    let mut c = pg();
    let first = protocols::create(&mut c, &new_protocol("A", "x")).unwrap();
    let mut failed = new_protocol("B", "y");
    failed.metadata = Some(json!({"sha256": "sha-B"}));
    failed.status = Some(ProtocolStatus::Error);
    protocols::create(&mut c, &failed).unwrap();
    let found = protocols::find_by_sha256(&mut c, "sha-A").unwrap().unwrap();
    assert_eq!(found.id, first.id);
    assert!(
        protocols::find_by_sha256(&mut c, "sha-B")
            .unwrap()
            .is_none()
    );
    assert!(protocols::find_by_sha256(&mut c, "nope").unwrap().is_none());
}

#[test]
fn deleting_a_protocol_cascades_to_everything_under_it() {
    let mut c = pg();
    let (pid, _) = analysed(&mut c, "Doomed", 7);
    let (other, _) = analysed(&mut c, "Kept", 3);
    versions::create_next(&mut c, &pid, "v1", None, Some("tester")).unwrap();
    exports::create(
        &mut c,
        &NewExport {
            protocol_id: pid.clone(),
            format: ExportFormat::Html,
            file_path: None,
            export_options: Some(json!({})),
            expires_at: None,
        },
    )
    .unwrap();
    let mut tx = c.transaction().unwrap();
    let gone = protocols::delete(&mut tx, &pid).unwrap();
    tx.commit().unwrap();
    assert_eq!(
        (gone.analyses, gone.suggestions, gone.versions, gone.exports),
        (1, 7, 1, 1)
    );
    for (table, left) in [
        ("protocols", 1),
        ("analyses", 1),
        ("suggestions", 3),
        ("protocol_versions", 0),
        ("exports", 0),
    ] {
        assert_eq!(count_rows(&mut c, table), left, "{table}");
    }
    assert_eq!(
        stats::review_progress(&mut c).unwrap().total,
        3,
        "counts follow the cascade"
    );
    assert!(protocols::find(&mut c, &other).unwrap().is_some());
    let err = protocols::delete(&mut c, &pid).unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }));
}

// ---- search ----

#[test]
fn search_ranks_matches_and_covers_title_description_and_content() {
    let mut c = pg();
    protocols::create(
        &mut c,
        &new_protocol("Aspirin after stroke", "aspirin aspirin aspirin daily"),
    )
    .unwrap();
    protocols::create(&mut c, &new_protocol("Statins", "one mention of aspirin")).unwrap();
    let mut described = new_protocol("Exercise", "walking");
    described.description = Some("compared with aspirin".into());
    protocols::create(&mut c, &described).unwrap();
    protocols::create(&mut c, &new_protocol("Unrelated", "nothing here")).unwrap();
    let titles = search_titles(&mut c, "aspirin");
    assert_eq!(titles.len(), 3);
    assert_eq!(titles[0], "Aspirin after stroke");
    assert!(search_titles(&mut c, "ASPIRIN daily").contains(&"Aspirin after stroke".to_owned()));
    // Every word must occur; a phrase's words in order.
    assert_eq!(search_titles(&mut c, "aspirin walking"), ["Exercise"]);
    assert_eq!(search_titles(&mut c, "mention of"), ["Statins"]);
    assert!(search_titles(&mut c, "aspirin absent").is_empty());
    // Paging follows the rank.
    let filter = ProtocolFilter {
        search: Some("aspirin".into()),
        status: None,
    };
    let second = protocols::list(
        &mut c,
        &filter,
        Page {
            offset: 1,
            limit: 5,
        },
    )
    .unwrap();
    assert_eq!(second.len(), 2);
    assert!(second.iter().all(|p| p.title != "Aspirin after stroke"));
}

#[test]
fn hostile_search_text_is_literal_and_never_an_error() {
    let mut c = pg();
    protocols::create(
        &mut c,
        &new_protocol("Percent", "response in 50% of patients"),
    )
    .unwrap();
    protocols::create(
        &mut c,
        &new_protocol("Underscore", "variable dose_mg recorded"),
    )
    .unwrap();
    protocols::create(&mut c, &new_protocol("Quote", "the \"primary\" outcome")).unwrap();
    protocols::create(
        &mut c,
        &new_protocol("Plain", "50 patients and a dose in mg"),
    )
    .unwrap();
    assert_eq!(search_titles(&mut c, "50%"), ["Percent"]);
    assert_eq!(search_titles(&mut c, "dose_mg"), ["Underscore"]);
    assert_eq!(search_titles(&mut c, "DOSE_MG"), ["Underscore"]);
    assert_eq!(search_titles(&mut c, "\"primary\""), ["Quote"]);
    assert!(search_titles(&mut c, "%").contains(&"Percent".to_owned()));
    assert_eq!(search_titles(&mut c, "_").len(), 1);
    for hostile in [
        "\"",
        "\"\"",
        "*",
        "a*",
        "a:*",
        "NEAR(",
        "NEAR(a b)",
        "OR",
        "a OR",
        "a | b",
        "!a",
        "a & b",
        "a <-> b",
        "AND",
        "NOT",
        "-",
        "-patients",
        "title:x",
        "(",
        ")",
        "^",
        "{a b}:c",
        "'; DROP TABLE protocols; --",
        "%_%",
        "\\",
        "🙂",
        "\u{0}",
        "patients \u{0}",
        &"x".repeat(10_000),
        &"patients ".repeat(500),
    ] {
        let found = search_titles(&mut c, hostile);
        assert!(found.len() <= 4, "{hostile:?}");
    }
    // Operators are words: "-patients" is the word, not "without patients".
    assert_eq!(search_titles(&mut c, "-patients"), Vec::<String>::new());
    assert!(search_titles(&mut c, &"x".repeat(10_000)).is_empty());
    assert_eq!(count_rows(&mut c, "protocols"), 4);
}

#[test]
fn a_huge_text_is_still_found_by_the_words_at_its_head() {
    let mut c = pg();
    // More distinct words than one tsvector holds: its head is indexed
    // without positions (see migrations/postgres/0002_search.sql).
    let huge: String = std::iter::once("variable dose_mg recorded ".to_owned())
        .chain((0..150_000).map(|i| format!("w{i:x}q ")))
        .collect();
    protocols::create(&mut c, &new_protocol("Huge", &huge)).unwrap();
    protocols::create(&mut c, &new_protocol("Small", "dose and mg apart")).unwrap();
    assert_eq!(search_titles(&mut c, "dose_mg"), ["Huge"]);
    assert_eq!(search_titles(&mut c, "recorded w10q"), ["Huge"]);
    assert_eq!(search_titles_sorted(&mut c, "dose mg"), ["Huge", "Small"]);
}

fn search_titles_sorted(c: &mut postgres::Client, query: &str) -> Vec<String> {
    let mut titles = search_titles(c, query);
    titles.sort();
    titles
}

#[test]
fn search_follows_updates_and_deletes() {
    let mut c = pg();
    let id = protocols::create(&mut c, &new_protocol("T", "before"))
        .unwrap()
        .info
        .id;
    protocols::update(
        &mut c,
        &id,
        &ProtocolUpdate {
            content: Some("after".into()),
            ..Default::default()
        },
    )
    .unwrap();
    assert!(search_titles(&mut c, "before").is_empty());
    assert_eq!(search_titles(&mut c, "after"), ["T"]);
    protocols::delete(&mut c, &id).unwrap();
    assert!(search_titles(&mut c, "after").is_empty());
}

// ---- analyses ----

#[test]
fn latest_completed_is_the_newest_completion_among_several() {
    let mut c = pg();
    let pid = protocols::create(&mut c, &new_protocol("T", "x"))
        .unwrap()
        .info
        .id;
    let new = new_analysis(&pid, "builtin");
    let mut completed = Vec::new();
    for score in [50.0, 60.0, 70.0] {
        let a = analyses::create(&mut c, &new).unwrap();
        assert_eq!(
            analyses::start(&mut c, &a.id).unwrap().status,
            AnalysisStatus::Running
        );
        completed.push(
            analyses::complete(
                &mut c,
                &a.id,
                &Completion {
                    overall_score: Some(score),
                    ..Default::default()
                },
            )
            .unwrap(),
        );
    }
    let failed = analyses::create(&mut c, &new).unwrap();
    let failed = analyses::fail(&mut c, &failed.id, "provider timed out").unwrap();
    assert_eq!(failed.error_message.as_deref(), Some("provider timed out"));
    analyses::create(&mut c, &new).unwrap();
    let latest = analyses::latest_completed(&mut c, &pid).unwrap().unwrap();
    assert_eq!(latest.id, completed[2].id);
    assert_eq!(latest.overall_score, Some(70.0));
    assert!(latest.duration().unwrap() >= 0.0);
    assert_eq!(
        analyses::latest_completed_score(&mut c, &pid).unwrap(),
        Some((completed[2].id.clone(), Some(70.0)))
    );
    assert_eq!(
        analyses::resolve(&mut c, &pid).unwrap().unwrap().id,
        completed[2].id
    );
    assert_eq!(
        analyses::resolve(&mut c, &failed.id).unwrap().unwrap().id,
        failed.id
    );
    assert!(matches!(
        analyses::resolve(&mut c, "proto_nope").unwrap_err(),
        StoreError::NotFound {
            kind: "protocol",
            ..
        }
    ));
    let history = analyses::history(&mut c, &pid, 3).unwrap();
    assert_eq!(history.len(), 3);
    assert!(history.iter().all(|a| a.results.is_none()));
    assert_eq!(history[0].status, AnalysisStatus::Pending, "newest first");
    assert_eq!(completed[0].results, Some(Value::Null));
}

#[test]
fn analysis_lifecycle_refuses_impossible_moves() {
    let mut c = pg();
    let (_, aid) = analysed(&mut c, "T", 0);
    let err = analyses::start(&mut c, &aid).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(err.to_string().contains("is completed"), "{err}");
    let err = analyses::fail(&mut c, &aid, "late").unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let a = analyses::get(&mut c, &aid).unwrap();
    assert_eq!(a.status, AnalysisStatus::Completed);
    assert!(a.completed_at.is_some());
    assert_eq!(a.results, Some(json!({"items": []})));
    assert!(matches!(
        analyses::start(&mut c, "analysis_nope").unwrap_err(),
        StoreError::NotFound {
            kind: "analysis",
            ..
        }
    ));
}

#[test]
fn analyses_by_provider_with_suggestions_and_metrics() {
    let mut c = pg();
    let (pid, aid) = analysed(&mut c, "T", 4);
    let a = analyses::create(
        &mut c,
        &NewAnalysis {
            protocol_id: pid.clone(),
            provider: "external".into(),
            analysis_type: "quick".into(),
        },
    )
    .unwrap();
    analyses::fail(&mut c, &a.id, "no network").unwrap();
    assert_eq!(
        analyses::by_provider(&mut c, "builtin", 10).unwrap().len(),
        1
    );
    let (a, s) = analyses::with_suggestions(&mut c, &aid).unwrap();
    assert_eq!(a.id, aid);
    assert_eq!(s.len(), 4);
    let filter = AnalysisFilter {
        protocol_id: Some(pid.clone()),
        ..Default::default()
    };
    assert_eq!(analyses::count(&mut c, &filter).unwrap(), 2);
    let failed = AnalysisFilter {
        status: Some(AnalysisStatus::Failed),
        ..filter.clone()
    };
    assert_eq!(
        analyses::list(&mut c, &failed, Page::default())
            .unwrap()
            .len(),
        1
    );
    let metrics = analyses::performance_metrics(&mut c).unwrap();
    assert_eq!(
        metrics
            .iter()
            .map(|m| m.provider.as_str())
            .collect::<Vec<_>>(),
        ["builtin", "external"]
    );
    let b = &metrics[0];
    assert_eq!(
        (b.avg_overall_score, b.avg_spirit_score, b.avg_consort_score),
        (70.0, 75.0, 60.0)
    );
    assert_eq!((b.total_analyses, b.success_rate), (1, 100.0));
    let e = &metrics[1];
    assert_eq!((e.total_analyses, e.success_rate), (0, 0.0));
    analyses::delete(&mut c, &aid).unwrap();
    assert_eq!(count_rows(&mut c, "suggestions"), 0);
    assert!(matches!(
        analyses::delete(&mut c, &aid).unwrap_err(),
        StoreError::NotFound { .. }
    ));
}

#[test]
fn an_analysis_for_an_unknown_protocol_is_refused() {
    let mut c = pg();
    let err = analyses::create(&mut c, &new_analysis("proto_nope", "builtin")).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                kind: "protocol",
                ..
            }
        ),
        "{err}"
    );
}

// ---- suggestions ----

#[test]
fn suggestions_list_in_review_order_with_filters_and_positions() {
    let mut c = pg();
    let (_, aid) = analysed(&mut c, "T", 0);
    let ids = suggestions::insert_many(
        &mut c,
        &aid,
        &[
            suggestion(SuggestionType::Style, Priority::High, 0.9),
            suggestion(SuggestionType::Critical, Priority::Low, 0.9),
            suggestion(SuggestionType::Critical, Priority::High, 0.4),
            suggestion(SuggestionType::Critical, Priority::High, 0.8),
        ],
    )
    .unwrap();
    let filter = SuggestionFilter {
        analysis_id: Some(aid.clone()),
        ..Default::default()
    };
    let listed = suggestions::list(&mut c, &filter, Page::default()).unwrap();
    let order: Vec<_> = listed
        .iter()
        .map(|s| (s.kind, s.priority, s.confidence))
        .collect();
    assert_eq!(
        order,
        [
            (SuggestionType::Critical, Priority::High, 0.8),
            (SuggestionType::Critical, Priority::High, 0.4),
            (SuggestionType::Critical, Priority::Low, 0.9),
            (SuggestionType::Style, Priority::High, 0.9),
        ]
    );
    assert_eq!(
        suggestions::position(&mut c, &filter, &ids[0]).unwrap(),
        Some(3)
    );
    assert_eq!(
        suggestions::position(&mut c, &filter, &ids[3]).unwrap(),
        Some(0)
    );
    let critical_high = SuggestionFilter {
        kind: Some(SuggestionType::Critical),
        priority: Some(Priority::High),
        section: Some("Methods".into()),
        ..filter.clone()
    };
    assert_eq!(suggestions::count(&mut c, &critical_high).unwrap(), 2);
    assert_eq!(
        suggestions::position(&mut c, &critical_high, &ids[0]).unwrap(),
        None
    );
    let pending = SuggestionFilter {
        status: Some(SuggestionStatus::Pending),
        ..filter.clone()
    };
    assert_eq!(suggestions::count(&mut c, &pending).unwrap(), 4);
    let page = suggestions::list(
        &mut c,
        &filter,
        Page {
            offset: 1,
            limit: 2,
        },
    )
    .unwrap();
    assert_eq!(page, listed[1..3].to_vec());
    // The item's most urgent suggestion that is not about style.
    let item = suggestions::for_item(&mut c, &aid, "SPIRIT 2013 item 16b")
        .unwrap()
        .unwrap();
    assert_eq!(item.id, ids[3]);
    assert!(
        suggestions::for_item(&mut c, &aid, "SPIRIT 2013 item 1")
            .unwrap()
            .is_none()
    );
    let mut all = suggestions::all_ids(&mut c).unwrap();
    let sorted = {
        let mut s = ids.clone();
        s.sort();
        s
    };
    all.sort();
    assert_eq!(all, sorted);
}

#[test]
fn a_decision_records_status_comment_and_modified_content() {
    let mut c = pg();
    let (_, aid) = analysed(&mut c, "T", 1);
    let filter = SuggestionFilter {
        analysis_id: Some(aid.clone()),
        ..Default::default()
    };
    let s = suggestions::list(&mut c, &filter, Page::default())
        .unwrap()
        .remove(0);
    assert_eq!(s.revision, 0);
    let decided = suggestions::decide(
        &mut c,
        &s.id,
        &Decision {
            status: SuggestionStatus::Modified,
            user_comment: Some("shorter".into()),
            modified_content: Some("Use central web randomisation.".into()),
        },
        Expect::Revision(s.revision),
    )
    .unwrap();
    assert_eq!(decided.status, SuggestionStatus::Modified);
    assert_eq!(decided.user_comment.as_deref(), Some("shorter"));
    assert_eq!(
        decided.modified_content.as_deref(),
        Some("Use central web randomisation.")
    );
    assert_eq!(
        decided.revision, 1,
        "moved on once, not twice by the trigger"
    );
    assert!(decided.updated_at.is_some());
    let progress = stats::review_progress(&mut c).unwrap();
    assert_eq!((progress.pending, progress.modified), (0, 1));
    // Deciding from the stale copy is refused, and the newer decision stays.
    let err = suggestions::decide(
        &mut c,
        &s.id,
        &Decision {
            status: SuggestionStatus::Rejected,
            user_comment: None,
            modified_content: None,
        },
        Expect::Revision(s.revision),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Changed {
                status: SuggestionStatus::Modified,
                revision: 1,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(
        suggestions::get(&mut c, &s.id).unwrap().status,
        SuggestionStatus::Modified
    );
    // Without a revision, the decision is made whatever happened since.
    let undone =
        suggestions::decide(&mut c, &s.id, &Decision::pending(), Expect::Anything).unwrap();
    assert_eq!(
        (undone.status, undone.revision),
        (SuggestionStatus::Pending, 2)
    );
    let err = suggestions::decide(&mut c, "sugg_nope", &Decision::pending(), Expect::Anything)
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                kind: "suggestion",
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn modified_without_content_and_confidence_outside_zero_to_one_are_refused() {
    let mut c = pg();
    let (_, aid) = analysed(&mut c, "T", 1);
    let id = suggestions::all_ids(&mut c).unwrap().remove(0);
    let err = suggestions::decide(
        &mut c,
        &id,
        &Decision {
            status: SuggestionStatus::Modified,
            user_comment: None,
            modified_content: Some(" ".into()),
        },
        Expect::Anything,
    )
    .unwrap_err();
    assert!(err.to_string().contains("--content"), "{err}");
    let err = suggestions::create(
        &mut c,
        &aid,
        &suggestion(SuggestionType::Style, Priority::Low, 1.5),
    )
    .unwrap_err();
    assert!(err.to_string().contains("between 0 and 1"), "{err}");
    let err = suggestions::create(
        &mut c,
        "analysis_nope",
        &suggestion(SuggestionType::Style, Priority::Low, 0.5),
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                kind: "analysis",
                ..
            }
        ),
        "{err}"
    );
    // A value the schema refuses is Invalid, in one sentence.
    let mut long = suggestion(SuggestionType::Style, Priority::Low, 0.5);
    long.guideline_reference = Some("g".repeat(101));
    let err = suggestions::create(&mut c, &aid, &long).unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
}

#[test]
fn review_counts_stay_equal_to_the_rows_through_any_changes() {
    let mut c = pg();
    let (pid, aid) = analysed(&mut c, "T", 40);
    let filter = SuggestionFilter {
        analysis_id: Some(aid.clone()),
        ..Default::default()
    };
    let ids: Vec<String> = suggestions::list(&mut c, &filter, Page::default())
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    let statuses = SuggestionStatus::ALL;
    for (i, id) in ids.iter().enumerate() {
        let status = statuses[(i * 7) % 4];
        let decision = Decision {
            status,
            user_comment: None,
            modified_content: (status == SuggestionStatus::Modified).then(|| "new".into()),
        };
        suggestions::decide(&mut c, id, &decision, Expect::Anything).unwrap();
    }
    suggestions::delete(&mut c, &ids[0]).unwrap();
    assert!(matches!(
        suggestions::delete(&mut c, &ids[0]).unwrap_err(),
        StoreError::NotFound { .. }
    ));
    analysed(&mut c, "Other", 5);
    let p = stats::review_progress(&mut c).unwrap();
    for (status, counted) in [
        ("pending", p.pending),
        ("accepted", p.accepted),
        ("rejected", p.rejected),
        ("modified", p.modified),
    ] {
        let actual: i64 = c
            .query_one(
                "SELECT count(*) FROM suggestions WHERE status = $1",
                &[&status],
            )
            .unwrap()
            .get(0);
        assert_eq!(counted, actual as u64, "{status}");
    }
    assert_eq!(p.total, 44);
    assert_eq!(suggestions::count_current(&mut c).unwrap(), 44);
    let one = stats::analysis_progress(&mut c, &aid).unwrap();
    assert_eq!(one.total, 39);
    protocols::delete(&mut c, &pid).unwrap();
    assert_eq!(stats::review_progress(&mut c).unwrap().total, 5);
}

/// What `analyze` does with the decisions of an earlier analysis: each
/// finding's new suggestion takes over the decision and the earlier one's
/// place; a decision on the earlier one points to its successor.
#[test]
fn carried_decisions_supersede_and_point_to_the_current_suggestion() {
    let mut c = pg();
    let pid = protocols::create(&mut c, &new_protocol("T", "x"))
        .unwrap()
        .info
        .id;
    let keyed = |key: &str, confidence: f64| NewSuggestion {
        finding_key: Some(key.into()),
        ..suggestion(SuggestionType::Improvement, Priority::Medium, confidence)
    };
    let completion = Completion {
        results: json!({}),
        overall_score: Some(50.0),
        ..Default::default()
    };
    let first = analyses::create(&mut c, &new_analysis(&pid, "builtin")).unwrap();
    let old =
        suggestions::insert_many(&mut c, &first.id, &[keyed("a", 0.9), keyed("b", 0.8)]).unwrap();
    analyses::complete(&mut c, &first.id, &completion).unwrap();
    let accepted = suggestions::decide(
        &mut c,
        &old[0],
        &Decision {
            status: SuggestionStatus::Accepted,
            user_comment: Some("yes".into()),
            modified_content: None,
        },
        Expect::Revision(0),
    )
    .unwrap();
    suggestions::mark_applied(&mut c, &[old[0].as_str()], 2).unwrap();

    let mut tx = c.transaction().unwrap();
    let second = analyses::create(&mut tx, &new_analysis(&pid, "builtin")).unwrap();
    let mut carried_a = keyed("a", 0.9);
    carried_a.carried = Some(Carried {
        from: old[0].clone(),
        decision: accepted.decision(),
        applied_version: Some(2),
        found_again: true,
        replaces: vec![old[0].clone()],
    });
    let mut kept_b = keyed("b", 0.8);
    kept_b.carried = Some(Carried {
        from: old[1].clone(),
        decision: Decision::pending(),
        applied_version: None,
        found_again: false,
        replaces: vec![old[1].clone()],
    });
    let new = suggestions::insert_many(&mut tx, &second.id, &[carried_a, kept_b, keyed("c", 0.7)])
        .unwrap();
    analyses::complete(&mut tx, &second.id, &completion).unwrap();
    tx.commit().unwrap();

    let a = suggestions::get(&mut c, &new[0]).unwrap();
    assert_eq!(a.status, SuggestionStatus::Accepted);
    assert_eq!(a.user_comment.as_deref(), Some("yes"));
    assert_eq!(a.applied_version, Some(2));
    assert_eq!(a.carried_from(), Some(old[0].as_str()));
    assert!(a.decision_carried_over() && a.found_again());
    assert!(a.updated_at.is_some(), "a carried decision keeps a time");
    let b = suggestions::get(&mut c, &new[1]).unwrap();
    assert!(!b.found_again() && !b.decision_carried_over());
    assert!(b.updated_at.is_none());
    assert_eq!(
        suggestions::lineage(&mut c, &second.id).unwrap(),
        protoscribe::store::suggestions::Lineage {
            new: 1,
            carried: 1,
            kept: 1
        }
    );
    assert_eq!(
        suggestions::successor(&mut c, &old[0]).unwrap().as_deref(),
        Some(new[0].as_str())
    );
    assert_eq!(suggestions::successor(&mut c, &new[0]).unwrap(), None);
    assert_eq!(suggestions::successor(&mut c, "sugg_nope").unwrap(), None);
    let err =
        suggestions::decide(&mut c, &old[0], &Decision::pending(), Expect::Anything).unwrap_err();
    match &err {
        StoreError::Superseded { id, current } => {
            assert_eq!((id, current), (&old[0], &new[0]));
        }
        other => panic!("{other}"),
    }
    assert!(err.to_string().contains(&format!("decide on {}", new[0])));
    let live: Vec<String> = suggestions::live_for_protocol(&mut c, &pid)
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut expected = new.clone();
    expected.sort();
    let mut got = live.clone();
    got.sort();
    assert_eq!(got, expected);
    assert_eq!(suggestions::count_current(&mut c).unwrap(), 3);
    assert_eq!(stats::review_progress(&mut c).unwrap().total, 3);
    assert_eq!(stats::review_progress(&mut c).unwrap().accepted, 1);

    // A third analysis: the chain is followed to its end.
    let third = analyses::create(&mut c, &new_analysis(&pid, "builtin")).unwrap();
    let mut again = keyed("a", 0.9);
    again.carried = Some(Carried {
        from: new[0].clone(),
        decision: a.decision(),
        applied_version: Some(2),
        found_again: true,
        replaces: vec![new[0].clone()],
    });
    let newest = suggestions::insert_many(&mut c, &third.id, &[again]).unwrap();
    assert_eq!(
        suggestions::successor(&mut c, &old[0]).unwrap().as_deref(),
        Some(newest[0].as_str())
    );
}

#[test]
fn concurrent_decisions_never_overwrite_each_other_silently() {
    let url = fresh_database();
    let mut c = pg_at(&url);
    let (_, aid) = analysed(&mut c, "T", 1);
    let id = suggestions::all_ids(&mut c).unwrap().remove(0);
    let seen = suggestions::get(&mut c, &id).unwrap().revision;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(4));
    let runs: Vec<_> = (0..4)
        .map(|i| {
            let (url, id, barrier) = (url.clone(), id.clone(), barrier.clone());
            std::thread::spawn(move || {
                let mut c = Target::parse(&url).unwrap().connect().unwrap();
                let mut tx = c.transaction().unwrap();
                barrier.wait();
                let status = [SuggestionStatus::Accepted, SuggestionStatus::Rejected][i % 2];
                let decision = Decision {
                    status,
                    user_comment: Some(format!("writer {i}")),
                    modified_content: None,
                };
                let result = suggestions::decide(&mut tx, &id, &decision, Expect::Revision(seen));
                tx.commit().unwrap();
                result.map(|s| s.revision)
            })
        })
        .collect();
    let results: Vec<_> = runs.into_iter().map(|r| r.join().unwrap()).collect();
    let won: Vec<_> = results.iter().filter(|r| r.is_ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(matches!(e, StoreError::Changed { revision: 1, .. }), "{e}");
        }
    }
    assert_eq!(suggestions::get(&mut c, &id).unwrap().revision, 1);
    assert_eq!(stats::analysis_progress(&mut c, &aid).unwrap().pending, 0);
    assert_eq!(stats::review_progress(&mut c).unwrap().total, 1);
}

/// An earlier suggestion, its protocol's id, and a second analysis to
/// carry it into.
fn decided_once(c: &mut postgres::Client) -> (String, String, String) {
    let (pid, _) = analysed(c, "T", 1);
    let old = suggestions::all_ids(c).unwrap().remove(0);
    let second = analyses::create(c, &new_analysis(&pid, "builtin")).unwrap();
    (pid, old, second.id)
}

fn carrying(from: &protoscribe::store::suggestions::Suggestion) -> NewSuggestion {
    NewSuggestion {
        carried: Some(Carried {
            from: from.id.clone(),
            decision: from.decision(),
            applied_version: from.applied_version,
            found_again: true,
            replaces: vec![from.id.clone()],
        }),
        ..suggestion(from.kind, from.priority, from.confidence)
    }
}

#[test]
fn a_decision_racing_a_carry_over_is_refused_with_the_current_suggestion() {
    let url = fresh_database();
    let mut c = pg_at(&url);
    let (_, old, second) = decided_once(&mut c);
    let read = suggestions::get(&mut c, &old).unwrap();
    let mut analysing = Target::parse(&url).unwrap().connect().unwrap();
    let mut tx = analysing.transaction().unwrap();
    let new = suggestions::insert_many(&mut tx, &second, &[carrying(&read)]).unwrap();
    // Another machine decides on the earlier suggestion meanwhile: it waits
    // for the analysis, then is pointed to the suggestion that replaced it.
    let deciding = {
        let (url, old) = (url.clone(), old.clone());
        std::thread::spawn(move || {
            let mut c = Target::parse(&url).unwrap().connect().unwrap();
            let accept = Decision {
                status: SuggestionStatus::Accepted,
                user_comment: None,
                modified_content: None,
            };
            suggestions::decide(&mut c, &old, &accept, Expect::Revision(0))
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    tx.commit().unwrap();
    let err = deciding.join().unwrap().unwrap_err();
    match err {
        StoreError::Superseded { current, .. } => assert_eq!(current, new[0]),
        other => panic!("{other}"),
    }
    assert_eq!(
        suggestions::get(&mut c, &new[0]).unwrap().status,
        SuggestionStatus::Pending
    );
}

#[test]
fn a_carry_over_racing_a_decision_is_retried_instead_of_dropping_it() {
    let url = fresh_database();
    let mut c = pg_at(&url);
    let (_, old, second) = decided_once(&mut c);
    let read = suggestions::get(&mut c, &old).unwrap();
    let mut reviewer = Target::parse(&url).unwrap().connect().unwrap();
    let mut tx = reviewer.transaction().unwrap();
    let accept = Decision {
        status: SuggestionStatus::Accepted,
        user_comment: Some("mine".into()),
        modified_content: None,
    };
    suggestions::decide(&mut tx, &old, &accept, Expect::Revision(0)).unwrap();
    // The analysis read the suggestion before the decision: carrying its
    // stale copy over would lose the decision.
    let analysing = {
        let (url, second, read) = (url.clone(), second.clone(), read.clone());
        std::thread::spawn(move || {
            let mut c = Target::parse(&url).unwrap().connect().unwrap();
            let mut tx = c.transaction().unwrap();
            let result = suggestions::insert_many(&mut tx, &second, &[carrying(&read)]);
            if result.is_ok() {
                tx.commit().unwrap();
            }
            result
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    tx.commit().unwrap();
    let err = analysing.join().unwrap().unwrap_err();
    assert!(matches!(err, StoreError::Retry(_)), "{err}");
    let now = suggestions::get(&mut c, &old).unwrap();
    assert_eq!(now.status, SuggestionStatus::Accepted);
    assert_eq!(now.superseded_by, None);
    // Read again, the carry-over goes through with the decision.
    let new = suggestions::insert_many(&mut c, &second, &[carrying(&now)]).unwrap();
    let carried = suggestions::get(&mut c, &new[0]).unwrap();
    assert_eq!(carried.user_comment.as_deref(), Some("mine"));
    // A second analysis carrying the same suggestion over is retried too.
    let err = suggestions::insert_many(&mut c, &second, &[carrying(&now)]).unwrap_err();
    assert!(matches!(err, StoreError::Retry(_)), "{err}");
}

#[test]
fn a_serialization_failure_is_told_apart_to_be_retried() {
    let url = fresh_database();
    let mut c = pg_at(&url);
    analysed(&mut c, "T", 1);
    let id = suggestions::all_ids(&mut c).unwrap().remove(0);
    let mut first = Target::parse(&url).unwrap().connect().unwrap();
    let mut second = Target::parse(&url).unwrap().connect().unwrap();
    fn repeatable(c: &mut postgres::Client) -> postgres::Transaction<'_> {
        let mut tx = c
            .build_transaction()
            .isolation_level(postgres::IsolationLevel::RepeatableRead)
            .start()
            .unwrap();
        tx.batch_execute("SELECT 1 FROM suggestions LIMIT 1")
            .unwrap();
        tx
    }
    let mut a = repeatable(&mut first);
    let mut b = repeatable(&mut second);
    suggestions::decide(&mut a, &id, &Decision::pending(), Expect::Anything).unwrap();
    a.commit().unwrap();
    let err = suggestions::decide(&mut b, &id, &Decision::pending(), Expect::Anything).unwrap_err();
    assert!(matches!(err, StoreError::Retry(_)), "{err}");
    assert!(err.to_string().contains("try again"), "{err}");
}

// ---- versions ----

#[test]
fn versions_number_upwards_and_a_number_is_unique_per_protocol() {
    let mut c = pg();
    let (pid, _) = analysed(&mut c, "T", 0);
    let (other, _) = analysed(&mut c, "U", 0);
    let one = versions::create_next(&mut c, &pid, "one", None, Some("ana")).unwrap();
    assert_eq!(one.version_number, 1);
    assert_eq!(one.created_by.as_deref(), Some("ana"));
    assert_eq!(
        versions::create_next(&mut c, &pid, "two", Some("applied 3"), None)
            .unwrap()
            .version_number,
        2
    );
    assert_eq!(
        versions::create_next(&mut c, &other, "x", None, None)
            .unwrap()
            .version_number,
        1
    );
    let err = versions::create(&mut c, &pid, 2, "dup", None, None).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    assert!(err.to_string().contains("already has a version 2"), "{err}");
    let err = versions::create_next(&mut c, "proto_nope", "x", None, None).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                kind: "protocol",
                ..
            }
        ),
        "{err}"
    );
    let all = versions::list(&mut c, &pid).unwrap();
    assert_eq!(
        all.iter().map(|v| v.version_number).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(
        versions::by_number(&mut c, &pid, 2)
            .unwrap()
            .unwrap()
            .content,
        "two"
    );
    assert!(versions::by_number(&mut c, &pid, 3).unwrap().is_none());
    assert_eq!(versions::count(&mut c, &pid).unwrap(), 2);
    assert_eq!(versions::get(&mut c, &all[0].id).unwrap(), all[0]);
    versions::delete(&mut c, &all[0].id).unwrap();
    assert!(matches!(
        versions::get(&mut c, &all[0].id).unwrap_err(),
        StoreError::NotFound {
            kind: "version",
            ..
        }
    ));
}

#[test]
fn writers_on_two_machines_take_turns_for_the_next_version_number() {
    let url = fresh_database();
    let mut c = pg_at(&url);
    let pid = protocols::create(&mut c, &new_protocol("T", "x"))
        .unwrap()
        .info
        .id;
    let runs: Vec<_> = (0..4)
        .map(|_| {
            let (url, pid) = (url.clone(), pid.clone());
            std::thread::spawn(move || {
                let mut c = Target::parse(&url).unwrap().connect().unwrap();
                for _ in 0..5 {
                    let mut tx = c.transaction().unwrap();
                    versions::create_next(&mut tx, &pid, "text", None, None).unwrap();
                    tx.commit().unwrap();
                }
            })
        })
        .collect();
    for r in runs {
        r.join().unwrap();
    }
    let numbers: Vec<i64> = versions::list(&mut c, &pid)
        .unwrap()
        .iter()
        .map(|v| v.version_number)
        .collect();
    assert_eq!(numbers, (1..=20).collect::<Vec<_>>());
}

// ---- exports ----

#[test]
fn exports_move_through_their_lifecycle_and_expire() {
    let mut c = pg();
    let (pid, _) = analysed(&mut c, "T", 0);
    let e = exports::create(
        &mut c,
        &NewExport {
            protocol_id: pid.clone(),
            format: ExportFormat::Pdf,
            file_path: Some("/tmp/r.pdf".into()),
            export_options: Some(json!({"with_text": true})),
            expires_at: Some("2000-01-01T00:00:00.000000Z".into()),
        },
    )
    .unwrap();
    assert_eq!(e.status, ExportStatus::Pending);
    assert_eq!(e.expires_at.as_deref(), Some("2000-01-01T00:00:00.000000Z"));
    assert!(e.is_expired());
    exports::set_status(&mut c, &e.id, ExportStatus::Processing, None, None).unwrap();
    let done =
        exports::set_status(&mut c, &e.id, ExportStatus::Completed, Some(1234), None).unwrap();
    assert_eq!(
        (done.status, done.file_size),
        (ExportStatus::Completed, Some(1234))
    );
    assert!(done.completed_at.is_some());
    assert_eq!(
        exports::list(&mut c, Some(&pid), Page::default())
            .unwrap()
            .len(),
        1
    );
    assert!(
        exports::list(&mut c, Some("proto_nope"), Page::default())
            .unwrap()
            .is_empty()
    );
    assert_eq!(exports::count(&mut c, None).unwrap(), 1);
    let due = exports::due_for_expiry(&mut c, &protoscribe::store::time::now()).unwrap();
    assert_eq!(due.len(), 1);
    assert!(
        exports::due_for_expiry(&mut c, "1999-01-01T00:00:00.000000Z")
            .unwrap()
            .is_empty()
    );
    let err = exports::due_for_expiry(&mut c, "yesterday").unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err}");
    let sha = "a".repeat(64);
    let written = exports::complete(&mut c, &e.id, "/tmp/r2.pdf", 99, &sha).unwrap();
    assert_eq!(written.file_path.as_deref(), Some("/tmp/r2.pdf"));
    assert_eq!(written.file_size, Some(99));
    assert_eq!(written.file_sha256.as_deref(), Some(sha.as_str()));
    let expired = exports::set_status(&mut c, &e.id, ExportStatus::Expired, None, None).unwrap();
    assert_eq!(
        expired.completed_at, written.completed_at,
        "expiry is not completion"
    );
    assert!(
        exports::due_for_expiry(&mut c, &protoscribe::store::time::now())
            .unwrap()
            .is_empty()
    );
    let json = done.to_json();
    for field in [
        "id",
        "protocol_id",
        "format",
        "export_options",
        "status",
        "error_message",
        "file_size",
        "created_at",
        "completed_at",
        "expires_at",
        "is_expired",
    ] {
        assert!(json.get(field).is_some(), "{field}");
    }
    exports::delete(&mut c, &e.id).unwrap();
    assert!(matches!(
        exports::get(&mut c, &e.id).unwrap_err(),
        StoreError::NotFound { kind: "export", .. }
    ));
    assert!(matches!(
        exports::set_status(&mut c, &e.id, ExportStatus::Failed, None, Some("x")).unwrap_err(),
        StoreError::NotFound { .. }
    ));
    let err = exports::create(
        &mut c,
        &NewExport {
            protocol_id: "proto_nope".into(),
            format: ExportFormat::Html,
            file_path: None,
            export_options: None,
            expires_at: None,
        },
    )
    .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::NotFound {
                kind: "protocol",
                ..
            }
        ),
        "{err}"
    );
}

// ---- stats ----

#[test]
fn analytics_count_recent_status_and_average_size() {
    let mut c = pg();
    protocols::create(&mut c, &new_protocol("A", &"a".repeat(100))).unwrap();
    protocols::create(&mut c, &new_protocol("B", &"b".repeat(300))).unwrap();
    c.execute(
        "INSERT INTO protocols (id, title, content, status, file_size, created_at)
         VALUES ('proto_00000000000000aa', 'Old', 'x', 'error', NULL, '2001-01-01T00:00:00.000000Z')",
        &[],
    )
    .unwrap();
    let a = stats::protocol_analytics(&mut c, 30).unwrap();
    assert_eq!(a.total_protocols, 3);
    assert_eq!(a.recent_protocols, 2);
    assert_eq!(a.by_status["ready"], 2);
    assert_eq!(a.by_status["error"], 1);
    assert_eq!(a.by_status["processing"], 0);
    assert_eq!(a.avg_file_size, 200);
    assert_eq!(a.period_days, 30);
}

#[test]
fn the_dashboard_gathers_scores_providers_and_review_progress() {
    let mut c = pg();
    let empty = stats::dashboard(&mut c, 7).unwrap();
    assert_eq!(empty.score_histogram, [0; 10]);
    assert_eq!(empty.review.total, 0);
    assert!(empty.providers.is_empty());
    let (pid, _) = analysed(&mut c, "T", 3);
    for score in [0.0, 9.99, 10.0, 55.5, 99.0, 100.0] {
        let a = analyses::create(&mut c, &new_analysis(&pid, "other")).unwrap();
        analyses::complete(
            &mut c,
            &a.id,
            &Completion {
                overall_score: Some(score),
                ..Default::default()
            },
        )
        .unwrap();
    }
    let d = stats::dashboard(&mut c, 7).unwrap();
    assert_eq!(d.score_histogram, [2, 1, 0, 0, 0, 1, 0, 1, 0, 2]);
    assert_eq!(d.review.total, 3);
    assert_eq!(d.review.reviewed(), 0);
    assert_eq!(d.providers.len(), 2);
    assert_eq!(d.analytics.total_protocols, 1);
    let status = stats::db_status(&mut c, "postgres://test").unwrap();
    assert_eq!(status.schema_version, migrate::SCHEMA_VERSION);
    assert_eq!(status.tables["suggestions"], 3);
    assert_eq!(status.tables["analyses"], 7);
    assert!(status.file_size > 0);
}

// ---- the same answers from both backends ----

enum Db {
    Lite {
        _dir: tempfile::TempDir,
        conn: protoscribe::store::pool::PooledConnection,
    },
    Pg(postgres::Client),
}

impl Db {
    fn sqlite() -> Db {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("store.db")).unwrap();
        let conn = store.connection().unwrap();
        Db::Lite { _dir: dir, conn }
    }
}

/// Call `module::function(connection, args…)` on whichever backend.
macro_rules! on {
    ($db:expr, $module:ident :: $func:ident ( $($arg:expr),* $(,)? )) => {
        match &mut $db {
            Db::Lite { conn, .. } => protoscribe::store::$module::$func(&**conn, $($arg),*),
            Db::Pg(client) => protoscribe::store::postgres::$module::$func(client, $($arg),*),
        }
    };
}

/// What a scenario saw, with ids replaced by names and times by whether
/// they are set, so two backends' answers can be compared.
#[derive(Default)]
struct Seen {
    names: HashMap<String, String>,
    answers: Vec<(String, Value)>,
}

impl Seen {
    fn name(&mut self, id: &str, name: &str) {
        self.names.insert(id.to_owned(), name.to_owned());
    }

    fn note(&mut self, what: &str, value: Value) {
        let value = self.plain(value, None);
        self.answers.push((what.to_owned(), value));
    }

    fn note_result<T>(
        &mut self,
        what: &str,
        result: Result<T, StoreError>,
        f: impl Fn(&T) -> Value,
    ) {
        let value = match &result {
            Ok(v) => json!({"ok": f(v)}),
            Err(e) => json!({"error": error_kind(e)}),
        };
        self.note(what, value);
    }

    fn plain(&self, value: Value, key: Option<&str>) -> Value {
        match value {
            Value::String(s) if key.is_some_and(|k| k.ends_with("_at")) => json!(!s.is_empty()),
            Value::Null if key.is_some_and(|k| k.ends_with("_at")) => json!(false),
            Value::String(s) => match self.names.get(&s) {
                Some(name) => json!(name),
                None => {
                    let mut s = s;
                    for (id, name) in &self.names {
                        s = s.replace(id, name);
                    }
                    json!(s)
                }
            },
            Value::Array(a) => Value::Array(a.into_iter().map(|v| self.plain(v, None)).collect()),
            Value::Object(o) => Value::Object(
                o.into_iter()
                    .map(|(k, v)| {
                        let v = if k == "duration" {
                            json!(v.is_number())
                        } else {
                            self.plain(v, Some(&k))
                        };
                        (k, v)
                    })
                    .collect(),
            ),
            other => other,
        }
    }
}

fn error_kind(e: &StoreError) -> Value {
    match e {
        StoreError::NotFound { kind, id } => json!(["NotFound", kind, id]),
        StoreError::Conflict(m) => json!(["Conflict", m]),
        StoreError::Superseded { id, current } => json!(["Superseded", id, current]),
        StoreError::Changed {
            id,
            status,
            revision,
        } => json!(["Changed", id, status, revision]),
        StoreError::Invalid(m) => json!(["Invalid", m]),
        other => json!(["Other", other.to_string()]),
    }
}

/// The same sequence of table operations, every answer noted.
fn scenario(mut db: Db) -> Vec<(String, Value)> {
    let mut seen = Seen::default();
    let mut protocol_ids = Vec::new();
    for (i, (title, content)) in [
        (
            "Aspirin after stroke",
            "aspirin aspirin aspirin daily, 50% of patients",
        ),
        ("Statins", "one mention of aspirin; dose_mg recorded"),
        ("Exercise", "walking and the \"primary\" outcome"),
        ("Unrelated", "nothing here at all"),
    ]
    .into_iter()
    .enumerate()
    {
        let mut new = new_protocol(title, content);
        if i == 3 {
            new.status = Some(ProtocolStatus::Error);
            new.description = Some("compared with ASPIRIN".into());
        }
        let p = on!(db, protocols::create(&new)).unwrap();
        seen.name(&p.id, &format!("protocol {title}"));
        seen.note("create protocol", p.to_json(true));
        protocol_ids.push(p.info.id);
    }
    let pid = protocol_ids[0].clone();
    for query in [
        "aspirin",
        "50%",
        "dose_mg",
        "\"primary\"",
        "%",
        "_",
        "ASPIRIN daily",
        "NEAR(",
        "a OR",
        "'; DROP TABLE protocols; --",
        "🙂",
        "",
        "   ",
        "nothing here",
        "of",
        // tests/store.rs's hostile queries, and tsquery's own operators.
        "\"",
        "\"\"",
        "*",
        "a*",
        "NEAR(a b)",
        "OR",
        "AND",
        "NOT",
        "-",
        "title:x",
        "(",
        ")",
        "^",
        "{a b}:c",
        "%_%",
        "\\",
        "\u{0}",
        "aspirin \u{0}",
        "aspirin:*",
        "!aspirin",
        "aspirin | statins",
        "aspirin & daily",
        "aspirin <-> daily",
        "-aspirin",
        "aspirin,",
        "ASPIRIN;",
        "recorded.",
        &"x".repeat(10_000),
        &"aspirin ".repeat(300),
    ] {
        let filter = ProtocolFilter {
            search: Some(query.into()),
            status: None,
        };
        let found = on!(db, protocols::list(&filter, Page::default())).unwrap();
        let mut titles: Vec<String> = found.iter().map(|p| p.title.clone()).collect();
        let first = titles.first().cloned();
        titles.sort();
        let count = on!(db, protocols::count(&filter)).unwrap();
        seen.note(
            &format!("search {:?}", query.chars().take(40).collect::<String>()),
            json!({"titles": titles, "count": count, "first_of_several": (titles.len() > 1 && query == "aspirin").then_some(first)}),
        );
    }
    for status in [
        None,
        Some(ProtocolStatus::Ready),
        Some(ProtocolStatus::Error),
    ] {
        let filter = ProtocolFilter {
            status,
            search: None,
        };
        for page in [
            Page::default(),
            Page {
                offset: 1,
                limit: 2,
            },
            Page {
                offset: 9,
                limit: 2,
            },
        ] {
            let listed = on!(db, protocols::list(&filter, page)).unwrap();
            let titles: Vec<_> = listed.iter().map(|p| p.title.clone()).collect();
            seen.note(&format!("list {status:?} {page:?}"), json!(titles));
        }
        let n = on!(db, protocols::count(&filter)).unwrap();
        seen.note(&format!("count {status:?}"), json!(n));
    }
    let r = on!(db, protocols::get("proto_\u{0}"));
    seen.note_result("get NUL", r, |p| p.to_json(false));
    let r = on!(db, protocols::find_by_sha256("\u{0}"));
    seen.note_result("sha256 NUL", r, |p| json!(p.is_some()));
    let r = on!(db, protocols::position_newest_first(&pid));
    seen.note_result("position", r, |p| json!(p));
    let r = on!(db, protocols::find_by_sha256("sha-Statins"));
    seen.note_result("sha256", r, |p| json!(p.as_ref().map(|p| p.to_json())));
    let r = on!(
        db,
        protocols::update(
            &protocol_ids[2],
            &ProtocolUpdate {
                title: Some("Exercise v2".into()),
                description: Some(Some("aspirin too".into())),
                ..Default::default()
            }
        )
    );
    seen.note_result("update", r, |p| p.to_json(true));
    let r = on!(
        db,
        protocols::update("proto_nope", &ProtocolUpdate::default())
    );
    seen.note_result("update missing", r, |p| p.to_json(false));
    let r = on!(db, protocols::create(&new_protocol("", "x")));
    seen.note_result("empty title", r, |p| p.to_json(false));

    // Analyses.
    let mut analysis_ids = Vec::new();
    for (i, provider) in ["builtin", "builtin", "external", "builtin"]
        .into_iter()
        .enumerate()
    {
        let a = on!(db, analyses::create(&new_analysis(&pid, provider))).unwrap();
        seen.name(&a.id, &format!("analysis {i}"));
        analysis_ids.push(a.id.clone());
        let r = match i {
            0 | 1 => {
                on!(db, analyses::start(&a.id)).unwrap();
                on!(
                    db,
                    analyses::complete(
                        &a.id,
                        &Completion {
                            results: json!({"items": [i], "nested": {"x": 1.5}}),
                            overall_score: Some(40.0 + i as f64 * 25.0),
                            consort_score: Some(60.0),
                            spirit_score: None,
                        }
                    )
                )
            }
            2 => on!(db, analyses::fail(&a.id, "no network")),
            _ => on!(db, analyses::get(&a.id)),
        };
        seen.note_result("analysis", r, |a| a.to_json());
    }
    let r = on!(db, analyses::start(&analysis_ids[0]));
    seen.note_result("start completed", r, |a| a.to_json());
    let r = on!(db, analyses::create(&new_analysis("proto_nope", "builtin")));
    seen.note_result("analysis of nothing", r, |a| a.to_json());
    let r = on!(db, analyses::latest_completed(&pid));
    seen.note_result("latest", r, |a| json!(a.as_ref().map(|a| a.to_json())));
    let r = on!(db, analyses::latest_completed_score(&pid));
    seen.note_result("latest score", r, |a| json!(a));
    let r = on!(db, analyses::resolve(&protocol_ids[1]));
    seen.note_result("resolve unanalysed", r, |a| {
        json!(a.as_ref().map(|a| a.to_json()))
    });
    let r = on!(db, analyses::history(&pid, 10));
    seen.note_result("history", r, |h| {
        json!(h.iter().map(|a| a.to_json()).collect::<Vec<_>>())
    });
    let r = on!(db, analyses::by_provider("builtin", 2));
    seen.note_result("by provider", r, |h| {
        json!(h.iter().map(|a| a.to_json()).collect::<Vec<_>>())
    });
    let filter = AnalysisFilter {
        protocol_id: Some(pid.clone()),
        status: Some(AnalysisStatus::Completed),
        ..Default::default()
    };
    let r = on!(db, analyses::count(&filter));
    seen.note_result("count analyses", r, |n| json!(n));
    let r = on!(db, analyses::performance_metrics());
    seen.note_result("metrics", r, |m| json!(m));

    // Suggestions and decisions.
    let aid = analysis_ids[1].clone();
    let mut news = Vec::new();
    for (i, (kind, priority, confidence)) in [
        (SuggestionType::Style, Priority::High, 0.91),
        (SuggestionType::Critical, Priority::Low, 0.92),
        (SuggestionType::Critical, Priority::High, 0.41),
        (SuggestionType::Critical, Priority::High, 0.81),
        (SuggestionType::Improvement, Priority::Medium, 0.61),
    ]
    .into_iter()
    .enumerate()
    {
        let mut s = suggestion(kind, priority, confidence);
        s.finding_key = Some(format!("key {i}"));
        s.section = ["Methods", "Ethics"][i % 2].into();
        news.push(s);
    }
    let ids = on!(db, suggestions::insert_many(&aid, &news)).unwrap();
    for (i, id) in ids.iter().enumerate() {
        seen.name(id, &format!("suggestion {i}"));
    }
    let filter = SuggestionFilter {
        analysis_id: Some(aid.clone()),
        ..Default::default()
    };
    let r = on!(db, suggestions::list(&filter, Page::default()));
    seen.note_result("queue", r, |l| {
        json!(l.iter().map(|s| s.to_json()).collect::<Vec<_>>())
    });
    for page in [
        Page {
            offset: 2,
            limit: 2,
        },
        Page {
            offset: u64::MAX,
            limit: 1,
        },
    ] {
        let r = on!(db, suggestions::list(&filter, page));
        seen.note_result("queue page", r, |l| {
            json!(l.iter().map(|s| s.id.clone()).collect::<Vec<_>>())
        });
    }
    for (i, f) in [
        SuggestionFilter {
            section: Some("Ethics".into()),
            ..filter.clone()
        },
        SuggestionFilter {
            kind: Some(SuggestionType::Critical),
            priority: Some(Priority::High),
            ..filter.clone()
        },
        SuggestionFilter {
            status: Some(SuggestionStatus::Pending),
            ..Default::default()
        },
        SuggestionFilter {
            section: Some("Eth\u{0}ics".into()),
            ..Default::default()
        },
    ]
    .iter()
    .enumerate()
    {
        let r = on!(db, suggestions::count(f));
        seen.note_result(&format!("count filter {i}"), r, |n| json!(n));
        let r = on!(db, suggestions::position(f, &ids[3]));
        seen.note_result(&format!("position filter {i}"), r, |n| json!(n));
    }
    let r = on!(db, suggestions::for_item(&aid, "SPIRIT 2013 item 16b"));
    seen.note_result("for item", r, |s| json!(s.as_ref().map(|s| s.id.clone())));
    let decisions = [
        (
            0,
            Decision {
                status: SuggestionStatus::Accepted,
                user_comment: Some("fine".into()),
                modified_content: None,
            },
            Expect::Revision(0),
        ),
        (
            1,
            Decision {
                status: SuggestionStatus::Rejected,
                user_comment: None,
                modified_content: None,
            },
            Expect::Anything,
        ),
        (
            2,
            Decision {
                status: SuggestionStatus::Modified,
                user_comment: None,
                modified_content: Some("Own words.".into()),
            },
            Expect::Revision(0),
        ),
        (
            0,
            Decision {
                status: SuggestionStatus::Rejected,
                user_comment: None,
                modified_content: None,
            },
            Expect::Revision(0),
        ),
        (
            3,
            Decision {
                status: SuggestionStatus::Modified,
                user_comment: None,
                modified_content: None,
            },
            Expect::Anything,
        ),
        (2, Decision::pending(), Expect::Revision(1)),
        (
            2,
            Decision {
                status: SuggestionStatus::Modified,
                user_comment: Some("again".into()),
                modified_content: Some("Own words.".into()),
            },
            Expect::Revision(2),
        ),
    ];
    for (n, decision, expect) in decisions {
        let r = on!(db, suggestions::decide(&ids[n], &decision, expect));
        seen.note_result(&format!("decide {n} {expect:?}"), r, |s| s.to_json());
    }
    let r = on!(
        db,
        suggestions::decide("sugg_nope", &Decision::pending(), Expect::Anything)
    );
    seen.note_result("decide missing", r, |s| s.to_json());
    let r = on!(db, stats::review_progress());
    seen.note_result("progress", r, |p| json!(p));
    let r = on!(db, stats::analysis_progress(&aid));
    seen.note_result("analysis progress", r, |p| json!(p));

    // Analysed again: decisions carried over, earlier suggestions superseded.
    let second = on!(db, analyses::create(&new_analysis(&pid, "builtin"))).unwrap();
    seen.name(&second.id, "analysis again");
    let earlier = on!(db, suggestions::live_for_protocol(&pid)).unwrap();
    let mut carried = Vec::new();
    for s in earlier
        .iter()
        .filter(|s| s.finding_key.as_deref() != Some("key 4"))
    {
        let mut new = suggestion(s.kind, s.priority, s.confidence);
        new.finding_key = s.finding_key.clone();
        new.section = s.section.clone();
        new.carried = Some(Carried {
            from: s.id.clone(),
            decision: s.decision(),
            applied_version: s.applied_version,
            found_again: s.finding_key.as_deref() != Some("key 3"),
            replaces: vec![s.id.clone()],
        });
        carried.push(new);
    }
    carried.sort_by(|a, b| a.finding_key.cmp(&b.finding_key));
    let again = on!(db, suggestions::insert_many(&second.id, &carried)).unwrap();
    for (s, id) in carried.iter().zip(&again) {
        seen.name(
            id,
            &format!("again {}", s.finding_key.clone().unwrap_or_default()),
        );
    }
    on!(db, analyses::complete(&second.id, &Completion::default())).unwrap();
    let r = on!(db, suggestions::lineage(&second.id));
    seen.note_result("lineage", r, |l| json!([l.new, l.carried, l.kept]));
    let r = on!(db, suggestions::successor(&ids[0]));
    seen.note_result("successor", r, |s| json!(s));
    let r = on!(db, suggestions::successor(&ids[4]));
    seen.note_result("successor of the one not carried", r, |s| json!(s));
    let r = on!(
        db,
        suggestions::decide(&ids[0], &Decision::pending(), Expect::Anything)
    );
    seen.note_result("decide superseded", r, |s| s.to_json());
    let r = on!(db, suggestions::live_for_protocol(&pid));
    seen.note_result("live", r, |l| {
        let mut v: Vec<Value> = l.iter().map(|s| s.to_json()).collect();
        v.sort_by_key(|s| s["finding_key"].as_str().map(str::to_owned));
        json!(v)
    });
    let applied: Vec<&str> = again.iter().take(2).map(String::as_str).collect();
    on!(db, suggestions::mark_applied(&applied, 2)).unwrap();
    let r = on!(db, suggestions::get(&again[0]));
    seen.note_result("applied", r, |s| s.to_json());
    let r = on!(db, suggestions::count_current());
    seen.note_result("current", r, |n| json!(n));
    let r = on!(db, stats::review_progress());
    seen.note_result("progress after carrying", r, |p| json!(p));
    let r = on!(db, suggestions::all_ids());
    seen.note_result("all ids", r, |ids| json!(ids.len()));

    // Versions.
    for (text, by) in [("one", Some("ana")), ("two", None)] {
        let r = on!(db, versions::create_next(&pid, text, Some("summary"), by));
        seen.note_result("version", r, |v| {
            let mut j = v.to_json();
            j["id"] = json!(null);
            j
        });
    }
    let r = on!(db, versions::create(&pid, 2, "dup", None, None));
    seen.note_result("duplicate version", r, |v| json!(v.version_number));
    let r = on!(db, versions::create_next("proto_nope", "x", None, None));
    seen.note_result("version of nothing", r, |v| json!(v.version_number));
    let r = on!(db, versions::list(&pid));
    seen.note_result("versions", r, |l| {
        json!(
            l.iter()
                .map(|v| (v.version_number, v.content.clone()))
                .collect::<Vec<_>>()
        )
    });
    let r = on!(db, versions::by_number(&pid, 2));
    seen.note_result("version 2", r, |v| {
        json!(v.as_ref().map(|v| v.content.clone()))
    });
    let r = on!(db, versions::count(&pid));
    seen.note_result("version count", r, |n| json!(n));

    // Exports.
    let mut export_ids = Vec::new();
    for (i, expires) in [
        Some("2000-01-01T00:00:00.000000Z"),
        None,
        Some("2999-01-01T00:00:00.000000Z"),
    ]
    .into_iter()
    .enumerate()
    {
        let e = on!(
            db,
            exports::create(&NewExport {
                protocol_id: protocol_ids[i % 2].clone(),
                format: [
                    ExportFormat::Pdf,
                    ExportFormat::Markdown,
                    ExportFormat::Docx
                ][i],
                file_path: Some(format!("/tmp/report-{i}")),
                export_options: Some(json!({"n": i, "with": ["a", "b"]})),
                expires_at: expires.map(str::to_owned),
            })
        )
        .unwrap();
        seen.name(&e.id, &format!("export {i}"));
        export_ids.push(e.id.clone());
        seen.note("export", e.to_json());
    }
    let r = on!(
        db,
        exports::set_status(&export_ids[0], ExportStatus::Processing, None, None)
    );
    seen.note_result("processing", r, |e| e.to_json());
    let r = on!(
        db,
        exports::set_status(
            &export_ids[0],
            ExportStatus::Failed,
            Some(5),
            Some("disk full")
        )
    );
    seen.note_result("failed", r, |e| e.to_json());
    let r = on!(
        db,
        exports::complete(&export_ids[1], "/tmp/abs", 42, &"f".repeat(64))
    );
    seen.note_result("completed", r, |e| {
        json!([e.to_json(), e.file_path, e.file_sha256])
    });
    let r = on!(
        db,
        exports::complete("export_nope", "/tmp/abs", 42, &"f".repeat(64))
    );
    seen.note_result("complete missing", r, |e| e.to_json());
    for protocol in [None, Some(pid.as_str())] {
        let r = on!(db, exports::list(protocol, Page::default()));
        seen.note_result("exports", r, |l| {
            json!(l.iter().map(|e| e.id.clone()).collect::<Vec<_>>())
        });
        let r = on!(db, exports::count(protocol));
        seen.note_result("export count", r, |n| json!(n));
    }
    let r = on!(db, exports::due_for_expiry("2500-01-01T00:00:00.000000Z"));
    seen.note_result("due", r, |l| {
        json!(l.iter().map(|e| e.id.clone()).collect::<Vec<_>>())
    });

    // Figures, then deleting what all of it hangs from.
    let r = on!(db, stats::dashboard(30));
    seen.note_result("dashboard", r, |d| json!(d));
    let r = on!(db, protocols::delete(&pid));
    seen.note_result("delete", r, |d| {
        json!([d.analyses, d.suggestions, d.versions, d.exports])
    });
    let r = on!(db, stats::dashboard(30));
    seen.note_result("dashboard after delete", r, |d| json!(d));
    let r = on!(db, suggestions::delete(&ids[0]));
    seen.note_result("delete gone suggestion", r, |_| json!(null));
    seen.answers
}

#[test]
fn sqlite_and_postgresql_give_the_same_answers_to_the_same_operations() {
    let lite = scenario(Db::sqlite());
    let pg = scenario(Db::Pg(pg()));
    assert_eq!(lite.len(), pg.len());
    for ((what, l), (_, p)) in lite.iter().zip(&pg) {
        if std::env::var_os("PROTOSCRIBE_SHOW_ANSWERS").is_some() {
            eprintln!("{what}: {p}");
        }
        assert_eq!(l, p, "{what}:\nSQLite:     {l}\nPostgreSQL: {p}");
    }
}

// ---- plans ----

/// The review queue, its counts, the protocol list and search must be able
/// to use an index whatever the filter: a scan is invisible on a small
/// store and ruinous on a big one (as `queue_queries_use_an_index` holds
/// SQLite to). With sequential scans priced out, every table read by an
/// operation must have been read through an index.
#[test]
fn queue_list_and_search_queries_can_use_an_index() {
    let mut c = pg();
    let (pid, aid) = analysed(&mut c, "Aspirin trial", 6);
    // This backend's counts not yet sent to the statistics (they pile up
    // across transactions until sent): read before and after.
    fn counted(tx: &mut postgres::Transaction<'_>) -> HashMap<String, (i64, i64)> {
        tx.query(
            "SELECT relname::text, seq_scan, coalesce(idx_scan, 0) FROM pg_stat_xact_user_tables",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect()
    }
    let scans =
        |c: &mut postgres::Client, what: &str, run: &dyn Fn(&mut postgres::Transaction<'_>)| {
            let mut tx = c.transaction().unwrap();
            tx.batch_execute("SET LOCAL enable_seqscan = off").unwrap();
            let before = counted(&mut tx);
            run(&mut tx);
            let after = counted(&mut tx);
            let mut read = Vec::new();
            for (table, (seq, idx)) in after {
                let (seq0, idx0) = before.get(&table).copied().unwrap_or((0, 0));
                if seq > seq0 || idx > idx0 {
                    read.push((table, seq - seq0, idx - idx0));
                }
            }
            assert!(!read.is_empty(), "{what}: nothing read?");
            for (table, seq, _) in &read {
                assert_eq!(*seq, 0, "{what}: a sequential scan of {table}: {read:?}");
            }
            tx.rollback().unwrap();
        };
    let queue = SuggestionFilter {
        analysis_id: Some(aid.clone()),
        ..Default::default()
    };
    for filter in [
        queue.clone(),
        SuggestionFilter {
            status: Some(SuggestionStatus::Pending),
            ..queue.clone()
        },
        SuggestionFilter {
            kind: Some(SuggestionType::Critical),
            ..queue.clone()
        },
        SuggestionFilter {
            priority: Some(Priority::High),
            ..queue.clone()
        },
    ] {
        scans(&mut c, &format!("queue {filter:?}"), &|tx| {
            suggestions::list(tx, &filter, Page::first(20)).unwrap();
        });
        scans(&mut c, &format!("count {filter:?}"), &|tx| {
            suggestions::count(tx, &filter).unwrap();
        });
    }
    scans(&mut c, "protocol list", &|tx| {
        protocols::list(tx, &ProtocolFilter::default(), Page::first(20)).unwrap();
    });
    for query in ["aspirin", "aspirin trial,", "Aspirin;"] {
        scans(&mut c, &format!("search {query:?}"), &|tx| {
            let filter = ProtocolFilter {
                search: Some(query.into()),
                status: None,
            };
            protocols::list(tx, &filter, Page::first(20)).unwrap();
        });
    }
    scans(&mut c, "live suggestions", &|tx| {
        suggestions::live_for_protocol(tx, &pid).unwrap();
    });
    scans(&mut c, "latest analysis", &|tx| {
        analyses::latest_completed(tx, &pid).unwrap();
    });
}

#[test]
fn provider_accounting_and_the_answer_cache_match_sqlite() {
    use protoscribe::store::analyses::Usage;
    use protoscribe::store::postgres::provider_cache as pg_cache;
    use protoscribe::store::provider_cache::{self as sqlite_cache, Entry, Key};

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db")).unwrap();
    let mut c = pg();
    // The same operations on both backends.
    let usage = |latency: u64| Usage {
        model: Some("test-model".into()),
        prompt_version: Some("grounded-1".into()),
        input_tokens: Some(1200),
        output_tokens: Some(300),
        cost: Some(0.0025),
        latency_ms: Some(latency),
        unverified_answers: Some(1),
        metadata: Some(json!({"sent_to": "127.0.0.1", "batches": 3})),
    };
    let (pg_protocol, pg_builtin) = analysed(&mut c, "Trial", 2);
    let (sq_protocol, sq_builtin) = store
        .write_sqlite(|tx| {
            let p = protoscribe::store::protocols::create(tx, &new_protocol("Trial", "Text."))?;
            let a = protoscribe::store::analyses::create(tx, &new_analysis(&p.id, "builtin"))?;
            protoscribe::store::analyses::complete(
                tx,
                &a.id,
                &Completion {
                    results: json!({"items": []}),
                    overall_score: Some(70.0),
                    consort_score: Some(60.0),
                    spirit_score: Some(75.0),
                },
            )?;
            Ok((p.info.id, a.id))
        })
        .unwrap();
    let mut pg_ids = vec![pg_builtin];
    let mut sq_ids = vec![sq_builtin];
    for latency in [900, 100, 500] {
        let a = analyses::create(&mut c, &new_analysis(&pg_protocol, "local")).unwrap();
        analyses::record_usage(&mut c, &a.id, &usage(latency)).unwrap();
        analyses::complete(
            &mut c,
            &a.id,
            &Completion {
                results: json!({"items": []}),
                overall_score: Some(80.0),
                consort_score: None,
                spirit_score: Some(80.0),
            },
        )
        .unwrap();
        pg_ids.push(a.id);
        let id = store
            .write_sqlite(|tx| {
                let a =
                    protoscribe::store::analyses::create(tx, &new_analysis(&sq_protocol, "local"))?;
                protoscribe::store::analyses::record_usage(tx, &a.id, &usage(latency))?;
                protoscribe::store::analyses::complete(
                    tx,
                    &a.id,
                    &Completion {
                        results: json!({"items": []}),
                        overall_score: Some(80.0),
                        consort_score: None,
                        spirit_score: Some(80.0),
                    },
                )?;
                Ok(a.id)
            })
            .unwrap();
        sq_ids.push(id);
    }
    let pg_latest = analyses::latest_completed_by(&mut c, &pg_protocol, "local")
        .unwrap()
        .unwrap();
    let sq_latest = store
        .latest_completed_by(&sq_protocol, "local")
        .unwrap()
        .unwrap();
    assert_eq!(pg_latest.usage, sq_latest.usage);
    assert_eq!(pg_latest.usage, usage(500));
    assert_eq!(
        analyses::providers_of(&mut c, &pg_protocol).unwrap(),
        store.providers_of(&sq_protocol).unwrap()
    );
    let pg_metrics = analyses::performance_metrics(&mut c).unwrap();
    let sq_metrics = store
        .read_sqlite(protoscribe::store::analyses::performance_metrics)
        .unwrap();
    assert_eq!(format!("{pg_metrics:?}"), format!("{sq_metrics:?}"));
    let local = pg_metrics.iter().find(|m| m.provider == "local").unwrap();
    assert_eq!(local.median_latency_ms, Some(500));
    assert_eq!((local.input_tokens, local.output_tokens), (3600, 900));

    // The cache: a miss, a put, a hit, a replacement.
    let key = Key {
        request_sha256: &"a".repeat(64),
        provider: "local",
        model: "test-model",
        prompt_version: "grounded-1",
    };
    let entry = |answer: &str| Entry {
        answer: answer.into(),
        input_tokens: 10,
        output_tokens: 2,
    };
    assert_eq!(pg_cache::get(&mut c, &key).unwrap(), None);
    pg_cache::put(&mut c, &key, &entry("first")).unwrap();
    pg_cache::put(&mut c, &key, &entry("second")).unwrap();
    store
        .write_sqlite(|tx| {
            sqlite_cache::put(tx, &key, &entry("first"))?;
            sqlite_cache::put(tx, &key, &entry("second"))
        })
        .unwrap();
    assert_eq!(
        pg_cache::get(&mut c, &key).unwrap(),
        store
            .read_sqlite(|conn| sqlite_cache::get(conn, &key))
            .unwrap()
    );
    assert_eq!(pg_cache::count(&mut c).unwrap(), 1);
}
