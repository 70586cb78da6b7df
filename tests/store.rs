//! The store: migrations, every table's operations, cascades,
//! constraints, search and the dashboard figures. The table operations
//! run through `Store::read`/`write` on the backend the run asks for
//! (`common::Backend`); what only a SQLite file has (its migrations from
//! older files, pragmas, CHECKs on JSON text, `db synth`) on SQLite, its
//! PostgreSQL counterparts being in tests/postgres.rs.

mod common;

use common::Sandbox;
use protoscribe::store::analyses::{
    Analysis, AnalysisFilter, Completion, NewAnalysis, ProviderMetrics, Usage,
};
use protoscribe::store::exports::NewExport;
use protoscribe::store::migrate::{self, SCHEMA_VERSION};
use protoscribe::store::protocols::{self, NewProtocol, ProtocolFilter, ProtocolUpdate};
use protoscribe::store::suggestions::{
    self, Decision, Expect, NewSuggestion, SuggestionFilter, Verb,
};
use protoscribe::store::{
    AnalysisStatus, ExportFormat, ExportStatus, Page, Priority, ProtocolStatus, Store, StoreError,
    SuggestionStatus, SuggestionType, stats,
};
use rusqlite::Connection;
use serde_json::json;

/// A new store on the backend the run asks for, and its sandbox.
fn store() -> (Sandbox, Store) {
    let s = Sandbox::new();
    let store = Store::open(&s.db()).unwrap();
    (s, store)
}

/// A new SQLite store file, whatever the run asks for.
fn sqlite_store() -> (Sandbox, Store) {
    let s = Sandbox::sqlite();
    let store = Store::open(&s.db()).unwrap();
    (s, store)
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

/// The suggestion of an analysis that holds one, as stored now.
fn only_suggestion(store: &Store, analysis_id: &str) -> suggestions::Suggestion {
    let filter = SuggestionFilter {
        analysis_id: Some(analysis_id.to_owned()),
        ..Default::default()
    };
    let mut all = store.suggestions(&filter, Page::default()).unwrap();
    assert_eq!(all.len(), 1, "one suggestion");
    all.remove(0)
}

/// A protocol with one completed analysis holding `n` suggestions.
fn analysed(store: &Store, title: &str, n: usize) -> (String, String) {
    store
        .write(|tx| {
            let p = tx.protocols_create(&new_protocol(title, "Randomised trial text."))?;
            let a = tx.analyses_create(&NewAnalysis {
                protocol_id: p.id.clone(),
                provider: "builtin".into(),
                analysis_type: "comprehensive".into(),
            })?;
            let kinds = [
                SuggestionType::Style,
                SuggestionType::Critical,
                SuggestionType::Improvement,
            ];
            let new: Vec<_> = (0..n)
                .map(|i| suggestion(kinds[i % 3], Priority::Medium, 0.5))
                .collect();
            tx.suggestions_insert_many(&a.id, &new)?;
            tx.analyses_complete(
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
        .unwrap()
}

// ---- migrations: of SQLite files (PostgreSQL's are in tests/postgres.rs) ----

#[test]
fn a_new_store_is_at_the_latest_schema_with_wal_and_private_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let (dir, store) = sqlite_store();
    let conn = store.connection().unwrap();
    assert_eq!(migrate::user_version(&conn).unwrap(), SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let fk: i64 = conn
        .query_row("PRAGMA foreign_keys", [], |r| r.get(0))
        .unwrap();
    assert_eq!(fk, 1);
    let perms = std::fs::metadata(dir.db()).unwrap().permissions();
    assert_eq!(perms.mode() & 0o777, 0o600);
}

/// Stores written before decisions carried over kept the wording inside
/// the finding and named applied suggestions only in change summaries.
#[test]
fn a_version_3_store_gets_wording_keys_and_applied_versions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("old.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        migrate::migrate_to(&mut conn, 3).unwrap();
        conn.execute_batch(
            "INSERT INTO protocols (id, title, content, status, created_at)
             VALUES ('proto_0000000000000001', 'Old trial', 'text', 'ready', '2020-01-01T00:00:00.000000Z');
             INSERT INTO analyses (id, protocol_id, provider, status, created_at, completed_at)
             VALUES ('analysis_0000000000000001', 'proto_0000000000000001', 'builtin', 'completed',
                     '2020-01-01T00:00:00.000000Z', '2020-01-01T00:00:01.000000Z');
             INSERT INTO suggestions (id, analysis_id, section, type, content, confidence, priority, status, guideline_reference, created_at)
             VALUES ('sugg_0000000000000001', 'analysis_0000000000000001', 'Blinding', 'critical',
                     'Blinding (SPIRIT 2013 item 17a) is not addressed. The guideline asks for: who is blinded.' || char(10) || char(10) || 'Suggested text:' || char(10) || 'Assessors will be blinded.',
                     0.9, 'high', 'accepted', 'SPIRIT 2013 item 17a', '2020-01-01T00:00:00.000000Z'),
                    ('sugg_0000000000000002', 'analysis_0000000000000001', 'Sample size', 'critical',
                     'Sample size (SPIRIT 2013 item 14) is addressed only in part: it does not state power.' || char(10) || char(10) || 'Suggested text:' || char(10) || 'With 90% power.',
                     0.7, 'high', 'accepted', 'SPIRIT 2013 item 14', '2020-01-01T00:00:00.000000Z'),
                    ('sugg_0000000000000003', 'analysis_0000000000000001', 'Ethics', 'style',
                     '1 placeholder is left.' || char(10) || char(10) || 'Fill it in.',
                     0.9, 'medium', 'pending', NULL, '2020-01-01T00:00:00.000000Z');
             INSERT INTO protocol_versions (id, protocol_id, version_number, created_at, change_summary, content)
             VALUES ('version_0000000000000001', 'proto_0000000000000001', 1, '2020-01-01T00:00:00.000000Z', NULL, 'text'),
                    ('version_0000000000000002', 'proto_0000000000000001', 2, '2020-01-02T00:00:00.000000Z',
                     'Applied: sugg_0000000000000002 (SPIRIT 2013 item 14)', 'text With 90% power.');",
        )
        .unwrap();
    }
    let store = Store::open(&path).unwrap();
    let get = |id: &str| store.suggestion(id).unwrap();
    let blinding = get("sugg_0000000000000001");
    assert_eq!(
        blinding.content,
        "Blinding (SPIRIT 2013 item 17a) is not addressed. The guideline asks for: who is blinded."
    );
    assert_eq!(
        blinding.suggested_text.as_deref(),
        Some("Assessors will be blinded.")
    );
    assert_eq!(
        blinding.finding_key.as_deref(),
        Some("SPIRIT 2013 item 17a: missing")
    );
    assert_eq!(blinding.applied_version, None);
    let sample = get("sugg_0000000000000002");
    assert_eq!(
        sample.finding_key.as_deref(),
        Some("SPIRIT 2013 item 14: partial")
    );
    assert_eq!(sample.applied_version, Some(2));
    let style = get("sugg_0000000000000003");
    assert_eq!(style.content, "1 placeholder is left.\n\nFill it in.");
    assert_eq!((style.suggested_text, style.finding_key), (None, None));
}

/// Any writer that changes a decision moves its revision on, so a screen
/// that saw the old revision cannot overwrite the change.
#[test]
fn a_decision_written_by_hand_moves_the_revision_on() {
    let (s, store) = store();
    let (_, aid) = analysed(&store, "T", 1);
    let before = only_suggestion(&store, &aid).revision;
    assert_eq!(
        s.sql_by_hand("UPDATE suggestions SET status = 'rejected'", &[]),
        1
    );
    assert_eq!(only_suggestion(&store, &aid).revision, before + 1);
}

#[test]
fn every_older_schema_is_upgraded_keeping_its_rows() {
    let older = migrate::MIGRATIONS
        .iter()
        .map(|m| m.version)
        .filter(|&v| v < SCHEMA_VERSION);
    for start in older {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut conn = Connection::open(&path).unwrap();
            migrate::migrate_to(&mut conn, start).unwrap();
            conn.execute(
                "INSERT INTO protocols (id, title, content, status, created_at)
                 VALUES ('proto_0000000000000001', 'Old trial', 'allocation concealment text', 'ready', '2020-01-01T00:00:00.000000Z')",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO analyses (id, protocol_id, provider, status, created_at)
                 VALUES ('analysis_0000000000000001', 'proto_0000000000000001', 'builtin', 'completed', '2020-01-01T00:00:00.000000Z')",
                [],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO suggestions (id, analysis_id, section, type, content, confidence, priority, status, created_at)
                 VALUES ('sugg_0000000000000001', 'analysis_0000000000000001', 'Methods', 'critical', 'x', 0.5, 'high', 'accepted', '2020-01-01T00:00:00.000000Z')",
                [],
            )
            .unwrap();
            assert_eq!(migrate::user_version(&conn).unwrap(), start);
        }
        let store = Store::open(&path).unwrap();
        store
            .read_sqlite(|conn| {
                assert_eq!(migrate::user_version(conn)?, SCHEMA_VERSION, "from {start}");
                let found = protocols::list(
                    conn,
                    &ProtocolFilter {
                        search: Some("concealment".into()),
                        ..Default::default()
                    },
                    Page::default(),
                )?;
                assert_eq!(
                    found.len(),
                    1,
                    "search index built for old rows (from {start})"
                );
                let progress = stats::review_progress(conn)?;
                assert_eq!((progress.total, progress.accepted), (1, 1), "from {start}");
                Ok(())
            })
            .unwrap();
    }
}

#[test]
fn a_store_from_a_newer_protoscribe_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    drop(Store::open(&path).unwrap());
    {
        let conn = Connection::open(&path).unwrap();
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 5)
            .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(
        matches!(err, StoreError::NewerSchema { found, .. } if found == SCHEMA_VERSION + 5),
        "{err}"
    );
    assert!(err.to_string().contains("newer ProtoScribe"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn another_programs_sqlite_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("other.db");
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('x');")
        .unwrap();
    let err = Store::open(&path).err().expect("refused");
    assert!(matches!(err, StoreError::NotADatabase { .. }), "{err}");
}

#[test]
fn two_stores_opening_one_old_file_at_once_migrate_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("race.db");
    migrate::migrate_to(&mut Connection::open(&path).unwrap(), 1).unwrap();
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            std::thread::spawn(move || Store::open(&path).map(|_| ()))
        })
        .collect();
    for h in handles {
        h.join().unwrap().unwrap();
    }
    let conn = Connection::open(&path).unwrap();
    assert_eq!(migrate::user_version(&conn).unwrap(), SCHEMA_VERSION);
}

// ---- protocols ----

#[test]
fn protocols_round_trip_and_update() {
    let (_dir, store) = store();
    store
        .write(|tx| {
            let p = tx.protocols_create(&new_protocol("Trial A", "text"))?;
            assert!(p.id.starts_with("proto_") && p.id.len() == "proto_".len() + 16);
            assert_eq!(tx.protocols_get(&p.id)?, p);
            let changed = tx.protocols_update(
                &p.id,
                &ProtocolUpdate {
                    title: Some("Trial A (v2)".into()),
                    description: Some(Some("now described".into())),
                    status: Some(ProtocolStatus::Error),
                    ..Default::default()
                },
            )?;
            assert_eq!(changed.title, "Trial A (v2)");
            assert_eq!(changed.description.as_deref(), Some("now described"));
            assert_eq!(changed.status, ProtocolStatus::Error);
            assert_eq!(changed.content, "text");
            assert!(changed.updated_at.is_some());
            Ok(())
        })
        .unwrap();
}

#[test]
fn protocol_titles_are_checked() {
    let (_dir, store) = store();
    let err = store
        .create_protocol(&new_protocol(&"x".repeat(256), "t"))
        .unwrap_err();
    assert!(err.to_string().contains("255"), "{err}");
    assert!(store.create_protocol(&new_protocol("  ", "t")).is_err());
}

#[test]
fn protocols_list_newest_first_with_status_filter_and_pages() {
    let (_dir, store) = store();
    store
        .write(|tx| {
            for i in 0..5 {
                let mut p = new_protocol(&format!("Trial {i}"), "t");
                if i % 2 == 0 {
                    p.status = Some(ProtocolStatus::Error);
                }
                tx.protocols_create(&p)?;
            }
            Ok(())
        })
        .unwrap();
    store
        .read(|conn| {
            let all = conn.protocols_list(&ProtocolFilter::default(), Page::default())?;
            let titles: Vec<_> = all.iter().map(|p| p.title.as_str()).collect();
            assert_eq!(
                titles,
                ["Trial 4", "Trial 3", "Trial 2", "Trial 1", "Trial 0"]
            );
            let errors = conn.protocols_by_status(ProtocolStatus::Error, 10)?;
            assert_eq!(errors.len(), 3);
            let page = conn.protocols_list(
                &ProtocolFilter::default(),
                Page {
                    offset: 1,
                    limit: 2,
                },
            )?;
            assert_eq!(
                page.iter().map(|p| p.title.as_str()).collect::<Vec<_>>(),
                ["Trial 3", "Trial 2"]
            );
            let filter = ProtocolFilter {
                status: Some(ProtocolStatus::Ready),
                search: None,
            };
            assert_eq!(conn.protocols_count(&filter)?, 2);
            Ok(())
        })
        .unwrap();
}

#[test]
fn deleting_a_protocol_cascades_to_everything_under_it() {
    let (s, store) = store();
    let (pid, _) = analysed(&store, "Doomed", 7);
    let (other, _) = analysed(&store, "Kept", 3);
    store
        .write(|tx| {
            tx.versions_create_next(&pid, "v1", None, Some("tester"))?;
            tx.exports_create(&NewExport {
                protocol_id: pid.clone(),
                format: ExportFormat::Html,
                file_path: None,
                export_options: Some(json!({})),
                expires_at: None,
            })?;
            Ok(())
        })
        .unwrap();
    let gone = store.delete_protocol(&pid).unwrap();
    assert_eq!(
        (gone.analyses, gone.suggestions, gone.versions, gone.exports),
        (1, 7, 1, 1)
    );
    let c = s.counts();
    assert_eq!(
        (
            c.protocols,
            c.analyses,
            c.suggestions,
            c.versions,
            c.exports
        ),
        (1, 1, 3, 0, 0)
    );
    store
        .read(|conn| {
            assert_eq!(
                conn.stats_review_progress()?.total,
                3,
                "counts follow the cascade"
            );
            assert!(conn.protocols_find(&other)?.is_some());
            Ok(())
        })
        .unwrap();
    let err = store.delete_protocol(&pid).unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }));
}

#[test]
fn analytics_count_recent_status_and_average_size() {
    let (s, store) = store();
    store
        .write(|tx| {
            tx.protocols_create(&new_protocol("A", &"a".repeat(100)))?;
            tx.protocols_create(&new_protocol("B", &"b".repeat(300)))?;
            Ok(())
        })
        .unwrap();
    // An old protocol, written as an older program would have.
    s.sql_by_hand(
        "INSERT INTO protocols (id, title, content, status, file_size, created_at)
         VALUES ('proto_00000000000000aa', 'Old', 'x', 'error', NULL, '2001-01-01T00:00:00.000000Z')",
        &[],
    );
    let a = store.read(|t| t.stats_protocol_analytics(30)).unwrap();
    assert_eq!(a.total_protocols, 3);
    assert_eq!(a.recent_protocols, 2);
    assert_eq!(a.by_status["ready"], 2);
    assert_eq!(a.by_status["error"], 1);
    assert_eq!(a.by_status["processing"], 0);
    assert_eq!(a.avg_file_size, 200);
}

// ---- search ----

#[test]
fn search_ranks_matches_and_covers_title_description_and_content() {
    let (_dir, store) = store();
    store
        .write(|tx| {
            tx.protocols_create(&new_protocol(
                "Aspirin after stroke",
                "aspirin aspirin aspirin daily",
            ))?;
            tx.protocols_create(&new_protocol("Statins", "one mention of aspirin"))?;
            let mut described = new_protocol("Exercise", "walking");
            described.description = Some("compared with aspirin".into());
            tx.protocols_create(&described)?;
            tx.protocols_create(&new_protocol("Unrelated", "nothing here"))?;
            Ok(())
        })
        .unwrap();
    let titles = search_titles(&store, "aspirin");
    assert_eq!(titles.len(), 3);
    assert_eq!(titles[0], "Aspirin after stroke");
    assert!(search_titles(&store, "ASPIRIN daily").contains(&"Aspirin after stroke".to_owned()));
}

fn search_titles(store: &Store, query: &str) -> Vec<String> {
    store
        .read(|conn| {
            let filter = ProtocolFilter {
                search: Some(query.into()),
                status: None,
            };
            let found = conn.protocols_list(&filter, Page::default())?;
            assert_eq!(conn.protocols_count(&filter)?, found.len() as u64);
            Ok(found.into_iter().map(|p| p.title).collect())
        })
        .unwrap()
}

#[test]
fn hostile_search_text_is_literal_and_never_an_error() {
    let (s, store) = store();
    store
        .write(|tx| {
            tx.protocols_create(&new_protocol("Percent", "response in 50% of patients"))?;
            tx.protocols_create(&new_protocol("Underscore", "variable dose_mg recorded"))?;
            tx.protocols_create(&new_protocol("Quote", "the \"primary\" outcome"))?;
            tx.protocols_create(&new_protocol("Plain", "50 patients and a dose in mg"))?;
            Ok(())
        })
        .unwrap();
    assert_eq!(search_titles(&store, "50%"), ["Percent"]);
    assert_eq!(search_titles(&store, "dose_mg"), ["Underscore"]);
    assert_eq!(search_titles(&store, "\"primary\""), ["Quote"]);
    assert!(search_titles(&store, "%").contains(&"Percent".to_owned()));
    assert_eq!(search_titles(&store, "_").len(), 1);
    for hostile in [
        "\"",
        "\"\"",
        "*",
        "a*",
        "NEAR(",
        "NEAR(a b)",
        "OR",
        "a OR",
        "AND",
        "NOT",
        "-",
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
        &"x".repeat(10_000),
    ] {
        let found = search_titles(&store, hostile);
        assert!(found.len() <= 4, "{hostile:?}");
    }
    assert_eq!(s.counts().protocols, 4);
}

#[test]
fn search_folds_accents_both_ways() {
    let (_dir, store) = store();
    store
        .write(|tx| {
            tx.protocols_create(&new_protocol(
                "Sao Paulo",
                "Hospital das Clínicas, São Paulo",
            ))?;
            tx.protocols_create(&new_protocol("Zurich", "Universitätsspital Zürich, Müller"))?;
            tx.protocols_create(&new_protocol(
                "Plain",
                "Sao Paulo and Zurich without accents",
            ))?;
            Ok(())
        })
        .unwrap();
    let sorted = |query: &str| {
        let mut titles = search_titles(&store, query);
        titles.sort();
        titles
    };
    assert_eq!(sorted("sao paulo"), ["Plain", "Sao Paulo"]);
    assert_eq!(sorted("São"), ["Plain", "Sao Paulo"]);
    assert_eq!(sorted("clinicas"), ["Sao Paulo"]);
    assert_eq!(sorted("ZURICH"), ["Plain", "Zurich"]);
    assert_eq!(sorted("muller"), ["Zurich"]);
    assert_eq!(sorted("universitatsspital"), ["Zurich"]);
}

#[test]
fn search_follows_updates_and_deletes() {
    let (_dir, store) = store();
    let id = store
        .create_protocol(&new_protocol("T", "before"))
        .unwrap()
        .info
        .id;
    store
        .write(|tx| {
            tx.protocols_update(
                &id,
                &ProtocolUpdate {
                    content: Some("after".into()),
                    ..Default::default()
                },
            )
        })
        .unwrap();
    assert!(search_titles(&store, "before").is_empty());
    assert_eq!(search_titles(&store, "after"), ["T"]);
    store.delete_protocol(&id).unwrap();
    assert!(search_titles(&store, "after").is_empty());
}

// ---- analyses ----

#[test]
fn latest_completed_is_the_newest_completion_among_several() {
    let (_dir, store) = store();
    let pid = store
        .create_protocol(&new_protocol("T", "x"))
        .unwrap()
        .info
        .id;
    let new = NewAnalysis {
        protocol_id: pid.clone(),
        provider: "builtin".into(),
        analysis_type: "comprehensive".into(),
    };
    let mut completed = Vec::new();
    for score in [50.0, 60.0, 70.0] {
        let a = store
            .write(|tx| {
                let a = tx.analyses_create(&new)?;
                tx.analyses_start(&a.id)?;
                tx.analyses_complete(
                    &a.id,
                    &Completion {
                        overall_score: Some(score),
                        ..Default::default()
                    },
                )
            })
            .unwrap();
        completed.push(a);
    }
    // A newer analysis that failed, and one still running, are not "latest".
    store
        .write(|tx| {
            let failed = tx.analyses_create(&new)?;
            tx.analyses_fail(&failed.id, "provider timed out")?;
            tx.analyses_create(&new)?;
            Ok(())
        })
        .unwrap();
    let latest = store.latest_completed_analysis(&pid).unwrap().unwrap();
    assert_eq!(latest.id, completed[2].id);
    assert_eq!(latest.overall_score, Some(70.0));
    assert!(latest.duration().unwrap() >= 0.0);
}

#[test]
fn analysis_lifecycle_refuses_impossible_moves() {
    let (_dir, store) = store();
    let (_, aid) = analysed(&store, "T", 0);
    let err = store.write(|tx| tx.analyses_start(&aid)).unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    let a = store.analysis(&aid).unwrap();
    assert_eq!(a.status, AnalysisStatus::Completed);
    assert!(a.completed_at.is_some());
}

#[test]
fn analyses_by_provider_with_suggestions_and_metrics() {
    let (s, store) = store();
    let (pid, aid) = analysed(&store, "T", 4);
    store
        .write(|tx| {
            let a = tx.analyses_create(&NewAnalysis {
                protocol_id: pid.clone(),
                provider: "external".into(),
                analysis_type: "quick".into(),
            })?;
            tx.analyses_fail(&a.id, "no network")?;
            Ok(())
        })
        .unwrap();
    store
        .read(|conn| {
            let builtin = conn.analyses_by_provider("builtin", 10)?;
            assert_eq!(builtin.len(), 1);
            let (a, s) = conn.analyses_with_suggestions(&aid)?;
            assert_eq!(a.id, aid);
            assert_eq!(s.len(), 4);
            let filter = AnalysisFilter {
                protocol_id: Some(pid.clone()),
                ..Default::default()
            };
            assert_eq!(conn.analyses_count(&filter)?, 2);
            let metrics = conn.analyses_performance_metrics()?;
            assert_eq!(metrics.len(), 2);
            let b = metrics.iter().find(|m| m.provider == "builtin").unwrap();
            assert_eq!(
                (b.avg_overall_score, b.avg_spirit_score, b.avg_consort_score),
                (70.0, 75.0, 60.0)
            );
            assert_eq!((b.total_analyses, b.success_rate), (1, 100.0));
            let e = metrics.iter().find(|m| m.provider == "external").unwrap();
            assert_eq!((e.total_analyses, e.success_rate), (0, 0.0));
            Ok(())
        })
        .unwrap();
    store.write(|tx| tx.analyses_delete(&aid)).unwrap();
    assert_eq!(s.counts().suggestions, 0);
}

#[test]
fn an_analysis_for_an_unknown_protocol_is_refused() {
    let (_dir, store) = store();
    let err = store
        .write(|tx| {
            tx.analyses_create(&NewAnalysis {
                protocol_id: "proto_nope".into(),
                provider: "builtin".into(),
                analysis_type: "x".into(),
            })
        })
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

// ---- suggestions ----

#[test]
fn suggestions_list_in_review_order_with_filters() {
    let (_dir, store) = store();
    let (_, aid) = analysed(&store, "T", 0);
    store
        .write(|tx| {
            tx.suggestions_insert_many(
                &aid,
                &[
                    suggestion(SuggestionType::Style, Priority::High, 0.9),
                    suggestion(SuggestionType::Critical, Priority::Low, 0.9),
                    suggestion(SuggestionType::Critical, Priority::High, 0.4),
                    suggestion(SuggestionType::Critical, Priority::High, 0.8),
                ],
            )?;
            Ok(())
        })
        .unwrap();
    store
        .read(|conn| {
            let filter = SuggestionFilter {
                analysis_id: Some(aid.clone()),
                ..Default::default()
            };
            let order: Vec<_> = conn
                .suggestions_list(&filter, Page::default())?
                .into_iter()
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
            let critical_high = SuggestionFilter {
                kind: Some(SuggestionType::Critical),
                priority: Some(Priority::High),
                section: Some("Methods".into()),
                ..filter.clone()
            };
            assert_eq!(conn.suggestions_count(&critical_high)?, 2);
            let pending = SuggestionFilter {
                status: Some(SuggestionStatus::Pending),
                ..filter
            };
            assert_eq!(conn.suggestions_count(&pending)?, 4);
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_decision_records_status_comment_and_modified_content() {
    let (_dir, store) = store();
    let (_, aid) = analysed(&store, "T", 1);
    let s = store
        .read(|conn| {
            let filter = SuggestionFilter {
                analysis_id: Some(aid.clone()),
                ..Default::default()
            };
            Ok(conn.suggestions_list(&filter, Page::default())?.remove(0))
        })
        .unwrap();
    let decided = store
        .write(|tx| {
            tx.suggestions_decide(
                &s.id,
                &Decision {
                    status: SuggestionStatus::Modified,
                    user_comment: Some("shorter".into()),
                    modified_content: Some("Use central web randomisation.".into()),
                },
                Expect::Revision(s.revision),
            )
        })
        .unwrap();
    assert_eq!(decided.status, SuggestionStatus::Modified);
    assert_eq!(decided.user_comment.as_deref(), Some("shorter"));
    assert_eq!(
        decided.modified_content.as_deref(),
        Some("Use central web randomisation.")
    );
    assert!(decided.updated_at.is_some());
    let progress = store.read(|t| t.stats_review_progress()).unwrap();
    assert_eq!((progress.pending, progress.modified), (0, 1));

    // Deciding from the stale copy is refused, and the newer decision stays.
    let err = store
        .write(|tx| {
            tx.suggestions_decide(
                &s.id,
                &Decision {
                    status: SuggestionStatus::Rejected,
                    user_comment: None,
                    modified_content: None,
                },
                Expect::Revision(s.revision),
            )
        })
        .unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Changed {
                status: SuggestionStatus::Modified,
                ..
            }
        ),
        "{err}"
    );
    let now = store.suggestion(&s.id).unwrap();
    assert_eq!(now.status, SuggestionStatus::Modified);
}

#[test]
fn a_verb_written_in_one_statement_decides_as_after_says() {
    // `Store::review` writes what a verb changes without reading the row
    // first: the result must be the decision `Suggestion::after` makes
    // from the row as it was, for every verb, with and without a comment.
    let (_dir, store) = store();
    let (_, aid) = analysed(&store, "T", 1);
    let id = only_suggestion(&store, &aid).id;
    let steps: Vec<(Verb, Option<&str>)> = vec![
        (Verb::Accept, None),
        (Verb::Comment("check the dose".into()), None),
        (Verb::Reject, None),
        (Verb::Modify("Reworded.".into()), Some("as discussed")),
        (Verb::Pending, None),
        (Verb::Accept, Some("")),
        (Verb::Comment("  ".into()), None),
        (Verb::Modify("Reworded again.".into()), None),
        (Verb::Reject, Some("not needed")),
    ];
    for (verb, comment) in steps {
        let before = only_suggestion(&store, &aid);
        let expected = before.after(&verb, comment.map(str::to_owned));
        let after = store
            .review(&id, &verb, comment.map(str::to_owned), Expect::Anything)
            .unwrap();
        assert_eq!(after.decision(), expected, "{verb:?} {comment:?}");
        assert_eq!(after.revision, before.revision + 1);
    }
    let err = store
        .review(&id, &Verb::Modify(" ".into()), None, Expect::Anything)
        .unwrap_err();
    assert!(err.to_string().contains("needs its new content"), "{err}");
}

#[test]
fn modified_without_content_is_refused() {
    let (_dir, store) = store();
    let (_, aid) = analysed(&store, "T", 1);
    let id = only_suggestion(&store, &aid).id;
    let err = store
        .write(|tx| {
            tx.suggestions_decide(
                &id,
                &Decision {
                    status: SuggestionStatus::Modified,
                    user_comment: None,
                    modified_content: Some(" ".into()),
                },
                Expect::Anything,
            )
        })
        .unwrap_err();
    assert!(err.to_string().contains("--content"), "{err}");
}

#[test]
fn review_counts_stay_equal_to_the_rows_through_any_changes() {
    let (_dir, store) = store();
    let (pid, aid) = analysed(&store, "T", 40);
    let filter = SuggestionFilter {
        analysis_id: Some(aid.clone()),
        ..Default::default()
    };
    let mut ids: Vec<String> = store
        .suggestions(&filter, Page::first(100))
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    ids.sort();
    let statuses = SuggestionStatus::ALL;
    for (i, id) in ids.iter().enumerate() {
        let status = statuses[(i * 7) % 4];
        let decision = Decision {
            status,
            user_comment: None,
            modified_content: (status == SuggestionStatus::Modified).then(|| "new".into()),
        };
        store
            .write(|tx| tx.suggestions_decide(id, &decision, Expect::Anything))
            .unwrap();
    }
    store.write(|tx| tx.suggestions_delete(&ids[0])).unwrap();
    analysed(&store, "Other", 5);
    store
        .read(|conn| {
            let p = conn.stats_review_progress()?;
            // The kept counts against the rows themselves.
            let mut actual = |status: SuggestionStatus| {
                conn.suggestions_count(&SuggestionFilter {
                    status: Some(status),
                    ..Default::default()
                })
            };
            assert_eq!(p.pending, actual(SuggestionStatus::Pending)?);
            assert_eq!(p.accepted, actual(SuggestionStatus::Accepted)?);
            assert_eq!(p.rejected, actual(SuggestionStatus::Rejected)?);
            assert_eq!(p.modified, actual(SuggestionStatus::Modified)?);
            assert_eq!(p.total, 44);
            Ok(())
        })
        .unwrap();
    store.delete_protocol(&pid).unwrap();
    assert_eq!(store.review_tally().unwrap().counted, 5);
}

/// The dashboard's provider figures and score histogram, worked out here
/// from every analysis as it stands, the plain way.
fn figures_from_the_rows(store: &Store) -> (Vec<ProviderMetrics>, [u64; 10]) {
    let all = store
        .read(|t| t.analyses_list(&AnalysisFilter::default(), Page::first(10_000)))
        .unwrap();
    let mut providers: Vec<String> = all.iter().map(|a| a.provider.clone()).collect();
    providers.sort();
    providers.dedup();
    let round2 = |x: f64| (x * 100.0).round() / 100.0;
    let metrics = providers
        .into_iter()
        .map(|provider| {
            let runs: Vec<_> = all.iter().filter(|a| a.provider == provider).collect();
            let done: Vec<_> = runs
                .iter()
                .filter(|a| a.status == AnalysisStatus::Completed)
                .collect();
            let average = |score: &dyn Fn(&Analysis) -> Option<f64>| {
                let scores: Vec<f64> = done.iter().filter_map(|a| score(a)).collect();
                if scores.is_empty() {
                    0.0
                } else {
                    round2(scores.iter().sum::<f64>() / scores.len() as f64)
                }
            };
            let mut latencies: Vec<u64> = runs.iter().filter_map(|a| a.usage.latency_ms).collect();
            latencies.sort();
            ProviderMetrics {
                avg_overall_score: average(&|a| a.overall_score),
                avg_consort_score: average(&|a| a.consort_score),
                avg_spirit_score: average(&|a| a.spirit_score),
                total_analyses: done.len() as u64,
                success_rate: round2(done.len() as f64 * 100.0 / runs.len() as f64),
                median_latency_ms: (!latencies.is_empty())
                    .then(|| latencies[latencies.len().div_ceil(2) - 1]),
                input_tokens: runs.iter().filter_map(|a| a.usage.input_tokens).sum(),
                output_tokens: runs.iter().filter_map(|a| a.usage.output_tokens).sum(),
                cost: runs.iter().filter_map(|a| a.usage.cost).sum(),
                provider,
            }
        })
        .collect();
    let mut bands = [0u64; 10];
    for a in &all {
        if let (AnalysisStatus::Completed, Some(score)) = (a.status, a.overall_score) {
            bands[((score / 10.0) as i64).clamp(0, 9) as usize] += 1;
        }
    }
    (metrics, bands)
}

/// The kept figures equal the ones worked out from the rows, and a
/// recount agrees with them (what `db check` asks).
fn assert_figures_follow_the_rows(store: &Store, step: &str) {
    let dashboard = store.dashboard(30).unwrap();
    let (mut expected, bands) = figures_from_the_rows(store);
    assert_eq!(dashboard.score_histogram, bands, "{step}");
    assert_eq!(dashboard.providers.len(), expected.len(), "{step}");
    for (kept, worked_out) in dashboard.providers.iter().zip(expected.iter_mut()) {
        // Cost is kept in billionths: equal to the last digit shown.
        assert!(
            (kept.cost - worked_out.cost).abs() < 1e-9,
            "{step}: {kept:?}"
        );
        worked_out.cost = kept.cost;
        assert_eq!(kept, worked_out, "{step}");
    }
    assert_eq!(
        store.review_tally().unwrap().figures_disagreeing,
        0,
        "{step}"
    );
}

#[test]
fn the_dashboard_figures_follow_every_change_to_the_analyses() {
    let (_dir, store) = store();
    assert_figures_follow_the_rows(&store, "empty");
    // Runs by two providers, in every state, with and without usage.
    let runs = [
        ("builtin", Some([71.25, 62.5, 75.0]), Some(40), None),
        ("builtin", Some([88.5, 90.0, 87.75]), Some(55), None),
        ("builtin", Some([100.0, 100.0, 100.0]), Some(30), None),
        ("builtin", None, Some(12), None),
        (
            "model-x",
            Some([45.5, 50.0, 43.25]),
            Some(9000),
            Some((1200, 300, 0.0123)),
        ),
        (
            "model-x",
            Some([9.75, 12.0, 8.625]),
            Some(15000),
            Some((800, 200, 0.0081)),
        ),
        ("model-x", None, None, None),
    ];
    let mut ids = Vec::new();
    for (i, (provider, scores, latency, tokens)) in runs.iter().enumerate() {
        let id = store
            .write(|tx| {
                let p = tx.protocols_create(&new_protocol(&format!("P{i}"), "Trial text."))?;
                let a = tx.analyses_create(&NewAnalysis {
                    protocol_id: p.id.clone(),
                    provider: (*provider).into(),
                    analysis_type: "comprehensive".into(),
                })?;
                if latency.is_some() || tokens.is_some() {
                    tx.analyses_record_usage(
                        &a.id,
                        &Usage {
                            latency_ms: *latency,
                            input_tokens: tokens.map(|t| t.0),
                            output_tokens: tokens.map(|t| t.1),
                            cost: tokens.map(|t| t.2),
                            ..Usage::default()
                        },
                    )?;
                }
                tx.analyses_start(&a.id)?;
                match scores {
                    Some([overall, consort, spirit]) => tx.analyses_complete(
                        &a.id,
                        &Completion {
                            results: json!({"items": []}),
                            overall_score: Some(*overall),
                            consort_score: Some(*consort),
                            spirit_score: Some(*spirit),
                        },
                    )?,
                    None if i % 2 == 1 => tx.analyses_fail(&a.id, "no answer")?,
                    None => tx.analyses_get(&a.id)?,
                };
                Ok((p.info.id, a.id))
            })
            .unwrap();
        ids.push(id);
        assert_figures_follow_the_rows(&store, &format!("after run {i}"));
    }
    // A running analysis fails; one goes; a protocol goes with its run.
    store
        .write(|tx| tx.analyses_fail(&ids[6].1, "gave up"))
        .unwrap();
    assert_figures_follow_the_rows(&store, "after a failure");
    store.write(|tx| tx.analyses_delete(&ids[1].1)).unwrap();
    assert_figures_follow_the_rows(&store, "after a deleted analysis");
    store.delete_protocol(&ids[4].0).unwrap();
    assert_figures_follow_the_rows(&store, "after a deleted protocol");
    // Usage recorded again changes the sums, not the count.
    store
        .write(|tx| {
            tx.analyses_record_usage(
                &ids[5].1,
                &Usage {
                    latency_ms: Some(16000),
                    input_tokens: Some(900),
                    output_tokens: Some(250),
                    cost: Some(0.0095),
                    ..Usage::default()
                },
            )
        })
        .unwrap();
    assert_figures_follow_the_rows(&store, "after usage recorded again");
    for (pid, _) in &ids {
        let _ = store.delete_protocol(pid);
    }
    assert_figures_follow_the_rows(&store, "after everything went");
    assert!(store.dashboard(30).unwrap().providers.is_empty());
}

#[test]
fn confidence_outside_zero_to_one_is_refused() {
    let (_dir, store) = store();
    let (_, aid) = analysed(&store, "T", 0);
    let err = store
        .write(|tx| {
            tx.suggestions_create(&aid, &suggestion(SuggestionType::Style, Priority::Low, 1.5))
        })
        .unwrap_err();
    assert!(err.to_string().contains("between 0 and 1"), "{err}");
}

// ---- versions ----

#[test]
fn versions_number_upwards_and_a_number_is_unique_per_protocol() {
    let (_dir, store) = store();
    let (pid, _) = analysed(&store, "T", 0);
    let (other, _) = analysed(&store, "U", 0);
    store
        .write(|tx| {
            assert_eq!(
                tx.versions_create_next(&pid, "one", None, Some("ana"))?
                    .version_number,
                1
            );
            assert_eq!(
                tx.versions_create_next(&pid, "two", Some("applied 3"), None)?
                    .version_number,
                2
            );
            assert_eq!(
                tx.versions_create_next(&other, "x", None, None)?
                    .version_number,
                1
            );
            Ok(())
        })
        .unwrap();
    let err = store
        .write(|tx| tx.versions_create(&pid, 2, "dup", None, None))
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    store
        .read(|conn| {
            let all = conn.versions_list(&pid)?;
            assert_eq!(
                all.iter().map(|v| v.version_number).collect::<Vec<_>>(),
                [1, 2]
            );
            assert_eq!(conn.versions_by_number(&pid, 2)?.unwrap().content, "two");
            assert_eq!(conn.versions_count(&pid)?, 2);
            conn.versions_get(&all[0].id)?;
            Ok(())
        })
        .unwrap();
}

// ---- exports ----

#[test]
fn exports_move_through_their_lifecycle_and_expire() {
    let (_dir, store) = store();
    let (pid, _) = analysed(&store, "T", 0);
    let e = store
        .create_export(&NewExport {
            protocol_id: pid.clone(),
            format: ExportFormat::Pdf,
            file_path: Some("/tmp/r.pdf".into()),
            export_options: Some(json!({"with_text": true})),
            expires_at: Some("2000-01-01T00:00:00.000000Z".into()),
        })
        .unwrap();
    assert_eq!(e.status, ExportStatus::Pending);
    assert!(e.is_expired());
    store
        .set_export_status(&e.id, ExportStatus::Processing, None, None)
        .unwrap();
    let done = store
        .set_export_status(&e.id, ExportStatus::Completed, Some(1234), None)
        .unwrap();
    assert_eq!(
        (done.status, done.file_size),
        (ExportStatus::Completed, Some(1234))
    );
    assert!(done.completed_at.is_some());
    assert_eq!(store.exports(Some(&pid), Page::default()).unwrap().len(), 1);
    assert_eq!(store.read(|t| t.exports_count(None)).unwrap(), 1);
    let due = store
        .exports_due_for_expiry(&protoscribe::store::time::now())
        .unwrap();
    assert_eq!(due.len(), 1);
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
    store.write(|tx| tx.exports_delete(&e.id)).unwrap();
}

#[test]
fn json_columns_must_hold_valid_json() {
    // SQLite keeps JSON as text held by CHECKs; PostgreSQL's jsonb columns
    // cannot hold anything else.
    let (_dir, store) = sqlite_store();
    let err = store
        .write_sqlite(|tx| {
            tx.execute(
                "INSERT INTO protocols (id, title, content, metadata, created_at)
                 VALUES ('proto_1', 't', 'c', '{broken', '2020-01-01T00:00:00Z')",
                [],
            )?;
            Ok(())
        })
        .unwrap_err();
    assert!(err.to_string().contains("CHECK"), "{err}");
}

#[test]
fn the_synthetic_generator_fills_consistent_rows() {
    // `db synth` fills only a SQLite file.
    let (s, store) = sqlite_store();
    let scale = protoscribe::samples::synth::Scale {
        protocols: 20,
        analyses_per_protocol: 2,
        suggestions_per_analysis: 5,
    };
    let written = protoscribe::samples::synth::generate(&store, scale, 7, |_| {}).unwrap();
    let c = s.counts();
    assert_eq!(
        (c.protocols, c.analyses, c.suggestions),
        (20, 40, written as i64)
    );
    let d = store.read(|t| t.stats_dashboard(30)).unwrap();
    assert_eq!(d.review.total, written);
    assert!(d.providers.iter().all(|p| p.success_rate > 0.0));
}
