//! The interface without a terminal: actions in, state and store out; and
//! what it draws, read back from ratatui's test backend. The store is on
//! the backend the run asks for (`common::Backend`).

mod common;

use protoscribe::analysis::GuidelineChoice;
use protoscribe::jobs::analyze::{self, Request};
use protoscribe::samples::SAMPLES;
use protoscribe::store::protocols::NewProtocol;
use protoscribe::store::suggestions::{Expect, Suggestion, Verb};
use protoscribe::store::{ProtocolStatus, Store, SuggestionStatus};
use protoscribe::tui::action::{Action, AnalyseJob, Event};
use protoscribe::tui::app::{App, Mode, Pane};
use protoscribe::tui::theme::Theme;
use protoscribe::tui::update::{self, Effect};
use protoscribe::tui::view;
use protoscribe::tui::worker::{self, Job};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// An empty store on the backend the run asks for (a file in a new
/// folder, or a database of its own), and the folder.
fn empty_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = match common::Backend::chosen() {
        common::Backend::Sqlite => Store::open(&dir.path().join("store.db")),
        common::Backend::Postgres => Store::open_postgres(&common::postgres::fresh_database()),
    }
    .unwrap();
    (dir, store)
}

/// Another program taking the store's write lock (SQLite's, or the
/// advisory lock PostgreSQL's writers take turns by) until `release`.
fn hold_write_lock(store: &Store, dir: &std::path::Path) -> Box<dyn FnOnce() + Send> {
    if store.is_postgres() {
        let url = postgres_url(store);
        let mut client = postgres::Client::connect(&url, postgres::NoTls).unwrap();
        client
            .batch_execute(&format!(
                "BEGIN; SELECT pg_advisory_xact_lock({})",
                protoscribe::store::migrate::APPLICATION_ID
            ))
            .unwrap();
        Box::new(move || client.batch_execute("COMMIT").unwrap())
    } else {
        let conn = rusqlite::Connection::open(dir.join("store.db")).unwrap();
        conn.execute_batch("BEGIN IMMEDIATE").unwrap();
        Box::new(move || conn.execute_batch("COMMIT").unwrap())
    }
}

/// The test database's URL, with its password (`Store` shows it masked).
fn postgres_url(store: &Store) -> String {
    let name = store
        .postgres_target()
        .unwrap()
        .shown()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    common::postgres::url_for(name.split('?').next().unwrap())
}

/// Fill `store` with synthetic rows. `db synth` fills only a SQLite file,
/// so for PostgreSQL the rows are made in one and copied over, as the
/// command itself advises.
fn synth(store: &Store, scale: protoscribe::samples::synth::Scale) {
    use protoscribe::store::copy::{Endpoint, copy};
    if !store.is_postgres() {
        protoscribe::samples::synth::generate(store, scale, 3, |_| {}).unwrap();
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("synth.db");
    let source = Store::open(&file).unwrap();
    protoscribe::samples::synth::generate(&source, scale, 3, |_| {}).unwrap();
    drop(source);
    let to = Endpoint::parse(&postgres_url(store)).unwrap();
    copy(&Endpoint::Sqlite(file), &to, false).unwrap();
}

/// A store holding the bundled samples, imported and analysed.
fn sample_store() -> (tempfile::TempDir, Store) {
    let (dir, store) = empty_store();
    fill_with_samples(&store);
    (dir, store)
}

fn fill_with_samples(store: &Store) {
    for (name, text) in SAMPLES {
        let p = store
            .create_protocol(&NewProtocol {
                title: name.to_string(),
                content: text.to_string(),
                status: Some(ProtocolStatus::Ready),
                ..NewProtocol::default()
            })
            .unwrap();
        let request = Request::builtin(&p.info.id, GuidelineChoice::Auto);
        analyze::run(store, &request).unwrap();
    }
}

fn app(store: &Store) -> App {
    let mut app = App::new(store.clone(), Theme { color: false });
    app.load().unwrap();
    app
}

fn act(app: &mut App, action: Action) -> Option<Effect> {
    update::update(app, Event::Key(action))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        update::type_key(app, KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

/// Write a comment on the selected suggestion and save it.
fn comment(app: &mut App, text: &str) {
    act(app, Action::Comment);
    type_text(app, text);
    act(app, Action::Save);
}

/// The app with the queue focused on the first protocol that has pending suggestions.
fn reviewing(store: &Store) -> App {
    let mut app = app(store);
    act(&mut app, Action::Open);
    assert_eq!(app.focus, Pane::Queue);
    assert!(app.queue.total > 0);
    app
}

/// The app with a command provider (a script answering `{}`) chosen for
/// `A`, instead of the builtin.
fn with_script_provider(store: &Store) -> App {
    let mut app = app(store);
    with_providers(
        &mut app,
        "[providers.script]\nkind = \"command\"\ncommand = [\"python3\", \"-c\", \"print('{}')\"]\n",
    );
    act(&mut app, Action::CycleProvider);
    app
}

/// For the tests that are about PostgreSQL whatever the run's backend: a
/// database of its own holding the samples (its URL), and the app
/// reviewing them.
fn reviewing_on_postgres() -> (String, Store, App) {
    let url = common::postgres::fresh_database();
    let store = Store::open_postgres(&url).unwrap();
    fill_with_samples(&store);
    let app = reviewing(&store);
    (url, store, app)
}

fn stored(store: &Store, id: &str) -> protoscribe::store::suggestions::Suggestion {
    store.suggestion(id).unwrap()
}

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| view::draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        for x in 0..buffer.area.width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

// ---- state ----

#[test]
fn accept_commits_and_moves_cursor_to_next_pending() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let first = app.queue.selected().unwrap().id.clone();
    act(&mut app, Action::Accept);
    assert_eq!(stored(&store, &first).status, SuggestionStatus::Accepted);
    let now = app.queue.selected().unwrap();
    assert_ne!(now.id, first);
    assert_eq!(now.status, SuggestionStatus::Pending);
    assert_eq!(app.view.as_ref().unwrap().progress.accepted, 1);
}

#[test]
fn reject_and_back_to_pending_keep_the_comment() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let id = app.queue.selected().unwrap().id.clone();
    comment(&mut app, "needs the SAP reference");
    assert_eq!(
        stored(&store, &id).user_comment.as_deref(),
        Some("needs the SAP reference")
    );
    assert_eq!(
        app.queue.selected().unwrap().id,
        id,
        "a comment does not move the cursor"
    );
    act(&mut app, Action::Reject);
    assert_eq!(stored(&store, &id).status, SuggestionStatus::Rejected);
    act(&mut app, Action::First);
    act(&mut app, Action::Pending);
    let s = stored(&store, &id);
    assert_eq!(s.status, SuggestionStatus::Pending);
    assert_eq!(s.user_comment.as_deref(), Some("needs the SAP reference"));
}

#[test]
fn modify_edits_only_the_wording_and_escape_saves_nothing() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let id = app.queue.selected().unwrap().id.clone();
    let before = stored(&store, &id);
    act(&mut app, Action::Modify);
    let Mode::Editor(editor) = &app.mode else {
        panic!("editor open")
    };
    // The editor holds the suggested wording alone, not the finding.
    assert_eq!(
        editor.area.lines().join("\n"),
        before.suggested_text.clone().unwrap()
    );
    let text = screen(&app, 80, 24);
    let finding_start: String = before.content.chars().take(30).collect();
    assert!(
        text.contains(&finding_start),
        "the finding shows above: {text}"
    );
    assert!(text.contains("goes into the protocol"), "{text}");
    act(&mut app, Action::Close);
    assert!(
        matches!(app.mode, Mode::Normal),
        "unchanged: closes at once"
    );
    act(&mut app, Action::Modify);
    type_text(&mut app, " Reworded.");
    act(&mut app, Action::Save);
    let s = stored(&store, &id);
    assert_eq!(s.status, SuggestionStatus::Modified);
    assert_eq!(
        s.modified_content.unwrap(),
        format!("{} Reworded.", before.suggested_text.unwrap())
    );
    assert_eq!(s.content, before.content, "the finding is untouched");
}

#[test]
fn leaving_the_editor_with_changes_asks_first() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let id = app.queue.selected().unwrap().id.clone();
    act(&mut app, Action::Comment);
    type_text(&mut app, "half a thought");
    act(&mut app, Action::Close);
    assert!(matches!(app.mode, Mode::Confirm(_)));
    assert!(screen(&app, 80, 24).contains("Discard your comment?"));
    // No: back in the editor with the text intact.
    act(&mut app, Action::Close);
    let Mode::Editor(editor) = &app.mode else {
        panic!("back to the editor")
    };
    assert_eq!(editor.area.lines().join(""), "half a thought");
    // Yes: discarded, nothing saved.
    act(&mut app, Action::Close);
    act(&mut app, Action::Confirm);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(stored(&store, &id).user_comment, None);
}

#[test]
fn the_comment_editor_names_its_suggestion() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let s = app.queue.selected().unwrap().clone();
    act(&mut app, Action::Comment);
    let text = screen(&app, 80, 24);
    let reference = s.guideline_reference.unwrap();
    assert!(text.contains(&format!("Comment on {reference}")), "{text}");
}

#[test]
fn apply_names_placeholders_and_asks_before_writing_them() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let protocol = app.selected_protocol_id().unwrap();
    // The sample's first finding proposes wording with prompts in brackets.
    let first = app.queue.selected().unwrap().clone();
    assert!(first.suggested_text.as_deref().unwrap().contains('['));
    let versions = |store: &Store| store.versions_of(&protocol).unwrap().len();
    let before = versions(&store);
    act(&mut app, Action::Accept);
    assert_eq!(act(&mut app, Action::ApplyDecisions), None);
    let Mode::Confirm(confirm) = &app.mode else {
        panic!("asks first")
    };
    assert!(
        confirm.question.contains("placeholder"),
        "{}",
        confirm.question
    );
    act(&mut app, Action::Close);
    assert!(matches!(app.mode, Mode::Normal));
    assert_eq!(versions(&store), before, "no: nothing written");
    act(&mut app, Action::ApplyDecisions);
    assert_eq!(
        act(&mut app, Action::Confirm),
        Some(Effect::Apply {
            protocol_id: protocol,
            allow_placeholders: true
        })
    );
}

#[test]
fn undo_walks_back_through_the_sessions_decisions() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let first = app.queue.selected().unwrap().id.clone();
    act(&mut app, Action::Accept);
    let second = app.queue.selected().unwrap().id.clone();
    act(&mut app, Action::Reject);
    act(&mut app, Action::Undo);
    assert_eq!(stored(&store, &second).status, SuggestionStatus::Pending);
    assert_eq!(stored(&store, &first).status, SuggestionStatus::Accepted);
    act(&mut app, Action::Undo);
    assert_eq!(stored(&store, &first).status, SuggestionStatus::Pending);
    act(&mut app, Action::Undo);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("Nothing to undo")
    );
}

#[test]
fn two_decisions_on_one_suggestion_are_undone_one_after_the_other() {
    // Each undo leaves the suggestion at a new revision; the step below it
    // must expect that one, not report someone else's change (found from
    // outside: comment, reject, undo, undo said "someone else decided").
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let id = app.queue.selected().unwrap().id.clone();
    comment(&mut app, "needs the SAP reference");
    act(&mut app, Action::Reject);
    assert_eq!(stored(&store, &id).status, SuggestionStatus::Rejected);
    act(&mut app, Action::Undo);
    let s = stored(&store, &id);
    assert_eq!(s.status, SuggestionStatus::Pending);
    assert_eq!(s.user_comment.as_deref(), Some("needs the SAP reference"));
    act(&mut app, Action::Undo);
    let status = app.status.clone().unwrap();
    assert!(!status.error, "{status:?}");
    let s = stored(&store, &id);
    assert_eq!(s.status, SuggestionStatus::Pending);
    assert_eq!(s.user_comment, None);
}

#[test]
fn deciding_what_is_already_so_writes_nothing() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let id = app.queue.selected().unwrap().id.clone();
    let revision = stored(&store, &id).revision;
    act(&mut app, Action::Pending);
    assert_eq!(stored(&store, &id).revision, revision);
    assert!(app.undo.is_empty(), "no decision to take back");
    let status = app.status.clone().unwrap();
    assert!(status.text.contains("already so"), "{status:?}");
}

#[test]
fn marked_suggestions_are_decided_together_and_undone_together() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let a = app.queue.selected().unwrap().id.clone();
    act(&mut app, Action::Mark);
    let b = app.queue.selected().unwrap().id.clone();
    act(&mut app, Action::Mark);
    assert_eq!(app.marks.len(), 2);
    act(&mut app, Action::Reject);
    assert!(app.marks.is_empty());
    assert_eq!(stored(&store, &a).status, SuggestionStatus::Rejected);
    assert_eq!(stored(&store, &b).status, SuggestionStatus::Rejected);
    act(&mut app, Action::Undo);
    assert_eq!(stored(&store, &a).status, SuggestionStatus::Pending);
    assert_eq!(stored(&store, &b).status, SuggestionStatus::Pending);
}

#[test]
fn a_decision_made_elsewhere_is_never_silently_overwritten() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let id = app.queue.selected().unwrap().id.clone();
    // Another session rejects it after this screen read it.
    store
        .review(&id, &Verb::Reject, Some("theirs".into()), Expect::Anything)
        .unwrap();
    act(&mut app, Action::Accept);
    let s = stored(&store, &id);
    assert_eq!(s.status, SuggestionStatus::Rejected);
    assert_eq!(s.user_comment.as_deref(), Some("theirs"));
    let status = app.status.clone().unwrap();
    assert!(
        status.error && status.text.contains("decided on this suggestion meanwhile"),
        "{status:?}"
    );
    // The screen now shows the newer state.
    let shown = app.queue.rows.iter().find(|r| r.id == id).unwrap();
    assert_eq!(shown.status, SuggestionStatus::Rejected);
}

#[test]
fn undo_leaves_a_later_change_by_someone_else_alone() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let id = app.queue.selected().unwrap().id.clone();
    act(&mut app, Action::Accept);
    store
        .review(&id, &Verb::Reject, None, Expect::Anything)
        .unwrap();
    act(&mut app, Action::Undo);
    assert_eq!(stored(&store, &id).status, SuggestionStatus::Rejected);
    assert!(app.status.as_ref().unwrap().error);
}

#[test]
fn an_open_dashboard_follows_changes_made_elsewhere() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let other = app.queue.rows[0].id.clone();
    act(&mut app, Action::Dashboard);
    let accepted = |app: &App| match &app.mode {
        Mode::Dashboard(d) => d.review.accepted,
        _ => panic!("the dashboard is open"),
    };
    let before = accepted(&app);
    store
        .review(&other, &Verb::Accept, None, Expect::Anything)
        .unwrap();
    update::update(&mut app, Event::StoreChanged);
    assert_eq!(accepted(&app), before + 1);
}

#[test]
fn changes_by_other_connections_are_noticed_and_the_cursor_kept() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    act(&mut app, Action::Down);
    act(&mut app, Action::Down);
    let cursor_id = app.queue.selected().unwrap().id.clone();
    let other = app.queue.rows[0].id.clone();
    let mut watch = store.watch().unwrap();
    assert!(!watch.changed().unwrap());
    store
        .review(&other, &Verb::Accept, None, Expect::Anything)
        .unwrap();
    assert!(watch.changed().unwrap());
    update::update(&mut app, Event::StoreChanged);
    assert_eq!(app.queue.rows[0].status, SuggestionStatus::Accepted);
    assert_eq!(app.queue.selected().unwrap().id, cursor_id);
}

#[test]
fn the_filter_cycles_all_pending_critical_high() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let all = app.queue.total;
    act(&mut app, Action::Accept);
    act(&mut app, Action::CycleFilter);
    assert_eq!(app.queue.total, all - 1, "pending hides the decided one");
    // Some rows, fewer than all, and only the kind the filter names.
    let shows_only = |app: &App, wanted: &dyn Fn(&Suggestion) -> bool| {
        assert!(!app.queue.rows.is_empty(), "the sample has some to show");
        assert!(app.queue.total < all);
        assert!(app.queue.rows.iter().all(wanted));
    };
    act(&mut app, Action::CycleFilter);
    shows_only(&app, &|s| {
        s.kind == protoscribe::store::SuggestionType::Critical
    });
    act(&mut app, Action::CycleFilter);
    shows_only(&app, &|s| s.priority == protoscribe::store::Priority::High);
    act(&mut app, Action::CycleFilter);
    assert_eq!(app.queue.total, all);
}

#[test]
fn search_filters_protocols_and_escape_clears_it() {
    let (_dir, store) = sample_store();
    let mut app = app(&store);
    assert_eq!(app.protocols.total, 3);
    act(&mut app, Action::Search);
    type_text(&mut app, "insomnia");
    act(&mut app, Action::Apply);
    assert_eq!(app.protocols.total, 1);
    assert!(app.protocols.selected().unwrap().info.title.contains("cbt"));
    act(&mut app, Action::Search);
    act(&mut app, Action::Close);
    assert_eq!(app.protocols.total, 3);
}

#[test]
fn analyse_asks_the_worker_and_refuses_a_second_at_once() {
    let (_dir, store) = sample_store();
    let mut app = app(&store);
    let id = app.selected_protocol_id().unwrap();
    assert_eq!(
        act(&mut app, Action::Analyse),
        Some(Effect::Analyse(AnalyseJob::builtin(&id)))
    );
    assert_eq!(act(&mut app, Action::Analyse), None);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("one job at a time")
    );
}

#[test]
fn long_lists_are_paged_around_the_cursor() {
    let (_dir, store) = empty_store();
    let scale = protoscribe::samples::synth::Scale {
        protocols: 1_000,
        analyses_per_protocol: 1,
        suggestions_per_analysis: 2,
    };
    synth(&store, scale);
    let mut app = app(&store);
    assert_eq!(app.protocols.total, 1_000);
    assert!(app.protocols.rows.len() <= protoscribe::tui::app::PAGE as usize);
    for _ in 0..70 {
        act(&mut app, Action::PageDown);
    }
    assert_eq!(app.protocols.cursor, 700);
    let selected = app.protocols.selected().unwrap().info.id.clone();
    let expected = store
        .protocol_summaries(
            &Default::default(),
            protoscribe::store::Page {
                offset: 700,
                limit: 1,
            },
        )
        .unwrap()[0]
        .info
        .id
        .clone();
    assert_eq!(selected, expected);
    assert!(app.protocols.rows.len() <= protoscribe::tui::app::PAGE as usize);
    act(&mut app, Action::Last);
    assert_eq!(app.protocols.cursor, 999);
    assert!(app.protocols.selected().is_some());
}

// ---- drawing ----

#[test]
fn the_queue_at_80x24_shows_progress_rows_and_detail() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    act(&mut app, Action::Accept);
    let text = screen(&app, 80, 24);
    assert!(text.contains("1 of "), "{text}");
    assert!(
        text.contains("reviewed · 1 accepted · 0 modified · 0 rejected"),
        "{text}"
    );
    assert!(text.contains("✓ H crit"), "{text}");
    // The wording follows the finding; J scrolls to it when it is below.
    let taller = screen(&app, 80, 34);
    assert!(
        taller.contains("Suggested text") || text.contains("J more ↓"),
        "{taller}"
    );
    assert!(
        text.contains("a accept"),
        "footer hints come from the key table: {text}"
    );
}

#[test]
fn wide_screens_show_all_three_panes() {
    let (_dir, store) = sample_store();
    let app = app(&store);
    let text = screen(&app, 160, 48);
    assert!(text.contains("Protocols (1/3)"), "{text}");
    assert!(text.contains("Scores"), "{text}");
    assert!(text.contains("Review · "), "{text}");
    assert!(text.contains("Overall"), "{text}");
    assert!(text.contains("SPIRIT Administrative information"), "{text}");
}

#[test]
fn the_help_overlay_lists_every_binding() {
    let (_dir, store) = sample_store();
    let mut app = app(&store);
    act(&mut app, Action::Help);
    let mut text = screen(&app, 80, 24);
    for _ in 0..10 {
        act(&mut app, Action::PageDown);
        text.push_str(&screen(&app, 80, 24));
    }
    for b in protoscribe::tui::keymap::BINDINGS
        .iter()
        .filter(|b| b.context != protoscribe::tui::keymap::Context::Help)
    {
        assert!(text.contains(b.help), "help lacks {:?}: {text}", b.help);
    }
}

#[test]
fn an_empty_store_says_how_to_begin() {
    let (_dir, store) = empty_store();
    let app = app(&store);
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("No protocols yet") && text.contains("protoscribe import"),
        "{text}"
    );
}

#[test]
fn tiny_terminals_get_a_message_not_a_panic() {
    let (_dir, store) = sample_store();
    let app = app(&store);
    for (w, h) in [(1, 1), (10, 3), (59, 24), (80, 14), (2, 40)] {
        let text = screen(&app, w, h);
        assert!(
            w < 20 || h < 3 || text.contains("needs at least"),
            "{w}x{h}: {text}"
        );
    }
}

#[test]
fn the_dashboard_draws_the_figures() {
    let (_dir, store) = sample_store();
    let mut app = app(&store);
    act(&mut app, Action::Dashboard);
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("Protocols 3") && text.contains("builtin") && text.contains("reviewed"),
        "{text}"
    );
}

#[test]
fn the_dashboard_lists_every_provider_at_80_by_24() {
    use protoscribe::store::analyses::{Completion, NewAnalysis, Usage};
    let (_dir, store) = sample_store();
    let protocol = store
        .protocols(&Default::default(), protoscribe::store::Page::first(1))
        .unwrap()[0]
        .id
        .clone();
    for provider in ["alpha", "beta", "gamma", "delta", "omega"] {
        store
            .write(|tx| {
                let a = tx.analyses_create(&NewAnalysis {
                    protocol_id: protocol.clone(),
                    provider: provider.into(),
                    analysis_type: "comprehensive".into(),
                })?;
                tx.analyses_record_usage(
                    &a.id,
                    &Usage {
                        input_tokens: Some(1000),
                        output_tokens: Some(100),
                        cost: Some(0.01),
                        latency_ms: Some(1500),
                        ..Usage::default()
                    },
                )?;
                tx.analyses_complete(
                    &a.id,
                    &Completion {
                        results: serde_json::json!({}),
                        overall_score: Some(80.0),
                        consort_score: None,
                        spirit_score: Some(80.0),
                    },
                )
            })
            .unwrap();
    }
    let mut app = app(&store);
    act(&mut app, Action::Dashboard);
    let text = screen(&app, 80, 24);
    for provider in ["builtin", "alpha", "beta", "gamma", "delta", "omega"] {
        assert!(text.contains(provider), "{provider} missing:\n{text}");
    }
}

#[test]
fn escape_sequences_in_documents_render_inert() {
    let (_dir, store) = empty_store();
    store
        .create_protocol(&NewProtocol {
            title: "Evil \u{1b}]0;pwned\u{7} \u{1b}[2J title".into(),
            content: "x".into(),
            status: Some(ProtocolStatus::Ready),
            ..NewProtocol::default()
        })
        .unwrap();
    let app = app(&store);
    let text = screen(&app, 80, 24);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    assert!(
        text.contains("Evil \u{fffd}]0;pwned\u{fffd} \u{fffd}[2J title"),
        "{text}"
    );
}

#[test]
fn no_color_draws_no_colour() {
    let (_dir, store) = sample_store();
    let app = reviewing(&store);
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| view::draw(f, &app)).unwrap();
    let buffer = terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "{:?}", cell);
        assert_eq!(cell.bg, ratatui::style::Color::Reset, "{:?}", cell);
    }
}

#[test]
fn import_types_a_path_and_the_worker_result_selects_the_protocol() {
    let (dir, store) = sample_store();
    let mut app = app(&store);
    let path = dir.path().join("new.md");
    std::fs::write(
        &path,
        "# Brand new trial of something\n\nParticipants will be randomised.\n",
    )
    .unwrap();
    act(&mut app, Action::Import);
    type_text(&mut app, path.to_str().unwrap());
    assert_eq!(
        act(&mut app, Action::Apply),
        Some(Effect::Import(path.clone()))
    );
    // What the worker does, then its report.
    let event = worker::perform(&store, Job::Import(path.clone()));
    let Event::Imported(Ok(report)) = &event else {
        panic!("{event:?}")
    };
    let id = report.id.clone();
    update::update(&mut app, event);
    assert_eq!(app.protocols.total, 4);
    assert_eq!(app.selected_protocol_id(), Some(id.clone()));
    assert!(app.busy.is_none());
    // The same bytes again: said so, and selected.
    act(&mut app, Action::Import);
    type_text(&mut app, path.to_str().unwrap());
    let Some(Effect::Import(again)) = act(&mut app, Action::Apply) else {
        panic!("import effect")
    };
    update::update(&mut app, worker::perform(&store, Job::Import(again)));
    assert_eq!(app.protocols.total, 4);
    assert_eq!(app.selected_protocol_id(), Some(id));
    let status = app.status.clone().unwrap();
    assert!(
        status
            .text
            .starts_with("Already imported as «Brand new trial"),
        "{status:?}"
    );
}

/// P, then what the worker does with it, then its report.
fn apply_on_the_worker(app: &mut App, store: &Store) {
    let effect = act(app, Action::ApplyDecisions);
    let Some(Effect::Apply {
        protocol_id,
        allow_placeholders,
    }) = effect
    else {
        panic!("{effect:?}")
    };
    let job = Job::Apply {
        protocol_id,
        allow_placeholders,
    };
    update::update(app, worker::perform(store, job));
}

#[test]
fn apply_writes_a_version_and_the_version_view_shows_the_change() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let protocol = app.selected_protocol_id().unwrap();
    act(&mut app, Action::Modify);
    // The reviewer's own wording, with no placeholders left.
    if let Mode::Editor(editor) = &mut app.mode {
        editor.area = ratatui_textarea::TextArea::new(vec!["Plain words of our own.".into()]);
    }
    act(&mut app, Action::Save);
    apply_on_the_worker(&mut app, &store);
    let status = app.status.clone().unwrap();
    assert!(
        !status.error && status.text.contains("Version 2"),
        "{status:?}"
    );
    let versions = store.versions_of(&protocol).unwrap();
    assert_eq!(versions.len(), 2);
    act(&mut app, Action::Versions);
    let Mode::Versions(view) = &app.mode else {
        panic!("version view")
    };
    assert_eq!(view.versions.len(), 2);
    assert!(
        view.diff
            .iter()
            .any(|d| matches!(d, protoscribe::tui::app::DiffLine::Added(_)))
    );
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("v2") && text.contains("Versions of"),
        "{text}"
    );
    act(&mut app, Action::Close);
    assert!(matches!(app.mode, Mode::Normal));
    // Nothing new: applying again says so and writes nothing.
    apply_on_the_worker(&mut app, &store);
    assert!(app.status.as_ref().unwrap().error);
    assert_eq!(store.versions_of(&protocol).unwrap().len(), 2);
}

// ---- decisions that survive, and nothing acting unseen ----

#[test]
fn analysing_again_in_the_interface_keeps_every_decision() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let accepted = app.queue.selected().unwrap().finding_key.clone();
    act(&mut app, Action::Accept);
    let rejected = app.queue.selected().unwrap().finding_key.clone();
    act(&mut app, Action::Reject);
    let id = app.selected_protocol_id().unwrap();
    let effect = act(&mut app, Action::Analyse);
    assert_eq!(effect, Some(Effect::Analyse(AnalyseJob::builtin(&id))));
    update::update(
        &mut app,
        worker::perform(&store, Job::Analyse(AnalyseJob::builtin(&id))),
    );
    let status = app.status.clone().unwrap();
    assert!(
        status.text.contains("2 decisions carried over"),
        "{status:?}"
    );
    let status_of = |key: &Option<String>| {
        app.queue
            .rows
            .iter()
            .find(|s| &s.finding_key == key)
            .map(|s| s.status)
    };
    assert_eq!(status_of(&accepted), Some(SuggestionStatus::Accepted));
    assert_eq!(status_of(&rejected), Some(SuggestionStatus::Rejected));
    assert_eq!(app.view.as_ref().unwrap().progress.reviewed(), 2);
    let text = screen(&app, 80, 24);
    assert!(text.contains("0 new, 2 carried over"), "{text}");
    assert!(text.contains("✓1 ✎0 ✗1"), "{text}");
}

#[test]
fn a_decision_key_on_a_too_small_terminal_changes_nothing() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let id = app.queue.selected().unwrap().id.clone();
    update::update(&mut app, Event::Resized(40, 10));
    for action in [
        Action::Accept,
        Action::Reject,
        Action::Modify,
        Action::Undo,
        Action::ApplyDecisions,
        Action::Down,
    ] {
        assert_eq!(act(&mut app, action), None);
    }
    type_text(&mut app, "a");
    assert_eq!(stored(&store, &id).status, SuggestionStatus::Pending);
    assert_eq!(app.queue.selected().unwrap().id, id);
    assert!(matches!(app.mode, Mode::Normal));
    act(&mut app, Action::Quit);
    assert!(app.quit, "quit still works");
}

#[test]
fn a_busy_store_never_holds_up_a_decision() {
    let (dir, store) = sample_store();
    let mut app = reviewing(&store);
    let first = app.queue.selected().unwrap().id.clone();
    // Another program holds the write lock for 3 s.
    let released = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (locked, is_locked) = std::sync::mpsc::channel();
    let holder = {
        let release = hold_write_lock(&store, dir.path());
        let released = released.clone();
        std::thread::spawn(move || {
            locked.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_secs(3));
            released.store(true, std::sync::atomic::Ordering::SeqCst);
            release();
        })
    };
    is_locked.recv().unwrap();
    let effect = act(&mut app, Action::Accept);
    assert!(
        !released.load(std::sync::atomic::Ordering::SeqCst),
        "the decision did not wait for the lock"
    );
    let Some(Effect::Write(write)) = effect else {
        panic!("handed to the writer: {effect:?}")
    };
    let status = app.status.clone().unwrap();
    assert!(status.text.contains("Store busy"), "{status:?}");
    // The screen shows the decision and has moved on.
    assert_ne!(app.queue.selected().unwrap().id, first);
    let shown = app.queue.rows.iter().find(|r| r.id == first).unwrap();
    assert_eq!(shown.status, SuggestionStatus::Accepted);
    // Moving still works; a second decision queues behind the first.
    act(&mut app, Action::Down);
    let second = app.queue.selected().unwrap().id.clone();
    let Some(Effect::Write(write2)) = act(&mut app, Action::Reject) else {
        panic!("queued behind the first")
    };
    assert!(screen(&app, 80, 24).contains("saving 2 decisions"));
    // The writer thread waits for the lock and reports each write.
    let (events, written) = std::sync::mpsc::channel();
    let writer = protoscribe::tui::writer::Writer::spawn(store.clone(), events);
    assert!(writer.send(write) && writer.send(write2));
    for _ in 0..2 {
        let event = written
            .recv_timeout(std::time::Duration::from_secs(60))
            .expect("the writer reports");
        assert!(matches!(event, Event::Written(Ok(_))), "{event:?}");
        update::update(&mut app, event);
    }
    holder.join().unwrap();
    assert_eq!(stored(&store, &first).status, SuggestionStatus::Accepted);
    assert_eq!(stored(&store, &second).status, SuggestionStatus::Rejected);
    assert!(app.waiting.is_empty());
    let status = app.status.clone().unwrap();
    assert!(status.text.starts_with("Saved"), "{status:?}");
    act(&mut app, Action::Undo);
    assert_eq!(stored(&store, &second).status, SuggestionStatus::Pending);
}

#[test]
fn a_decision_made_while_postgresql_does_not_answer_waits_for_it() {
    // PostgreSQL only: a server that stops answering (stopped, restarted,
    // the network dropped) is like a held lock: the decision is shown,
    // kept and written once the server answers again, never dropped.
    let (url, store, mut app) = reviewing_on_postgres();
    let database = url.rsplit('/').next().unwrap().to_owned();
    let first = app.queue.selected().unwrap().id.clone();
    let mut admin = common::postgres::admin();
    let refuse = |admin: &mut postgres::Client, refused: bool| {
        admin
            .batch_execute(&format!(
                "ALTER DATABASE {database} ALLOW_CONNECTIONS {}",
                !refused
            ))
            .unwrap();
        if refused {
            admin
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1",
                    &[&database],
                )
                .unwrap();
        }
    };
    refuse(&mut admin, true);
    let effect = act(&mut app, Action::Accept);
    let Some(Effect::Write(write)) = effect else {
        panic!("kept for the writer: {effect:?}")
    };
    let status = app.status.clone().unwrap();
    assert!(
        status.text.contains("PostgreSQL is not answering"),
        "{status:?}"
    );
    let shown = app.queue.rows.iter().find(|r| r.id == first).unwrap();
    assert_eq!(shown.status, SuggestionStatus::Accepted);
    let (events, written) = std::sync::mpsc::channel();
    let writer = protoscribe::tui::writer::Writer::spawn(store.clone(), events);
    assert!(writer.send(write));
    std::thread::sleep(std::time::Duration::from_secs(2));
    refuse(&mut admin, false);
    let event = written
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the writer reports");
    assert!(matches!(event, Event::Written(Ok(_))), "{event:?}");
    update::update(&mut app, event);
    assert_eq!(stored(&store, &first).status, SuggestionStatus::Accepted);
    assert!(app.status.clone().unwrap().text.starts_with("Saved"));
}

#[test]
fn a_protocol_whose_review_cannot_be_read_says_so() {
    // PostgreSQL only (found from outside): moving to another protocol
    // while the server does not answer showed its title over the previous
    // protocol's figures and "This analysis made no suggestions."
    let (url, _store, mut app) = reviewing_on_postgres();
    let database = url.rsplit('/').next().unwrap().to_owned();
    let mut admin = common::postgres::admin();
    admin
        .batch_execute(&format!(
            "ALTER DATABASE {database} ALLOW_CONNECTIONS false;
             SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}'"
        ))
        .unwrap();
    app.focus = Pane::Protocols;
    act(&mut app, Action::Down);
    assert!(app.unread.is_some());
    app.focus = Pane::Queue;
    let shown = screen(&app, 100, 30);
    assert!(shown.contains("review could not be read"), "{shown}");
    assert!(!shown.contains("made no suggestions"), "{shown}");
    assert!(!shown.contains("reviewed ·"), "{shown}");
    admin
        .batch_execute(&format!("ALTER DATABASE {database} ALLOW_CONNECTIONS true"))
        .unwrap();
    update::update(&mut app, Event::StoreChanged);
    assert!(app.unread.is_none());
    assert!(screen(&app, 100, 30).contains("reviewed ·"));
}

#[test]
fn once_the_server_is_known_not_to_answer_decisions_go_straight_to_the_writer() {
    // PostgreSQL only. The poll for others' changes found the server not
    // answering: a decision must not hold the screen for the pool's
    // timeout trying it again, and the failure is said once, not at
    // every poll.
    let (_, store, mut app) = reviewing_on_postgres();
    let first = app.queue.selected().unwrap().id.clone();
    update::poll_failed(&mut app, "cannot reach PostgreSQL at db:5432".into());
    assert!(app.status.clone().unwrap().text.contains("cannot reach"));
    app.info("something else");
    update::poll_failed(&mut app, "cannot reach PostgreSQL at db:5432".into());
    assert_eq!(
        app.status.clone().unwrap().text,
        "something else",
        "a failure that lasts is said once"
    );
    // The server is in fact up: a decision tried at once would be saved
    // here; it goes to the writer instead.
    let Some(Effect::Write(write)) = act(&mut app, Action::Accept) else {
        panic!("handed to the writer")
    };
    assert_eq!(stored(&store, &first).status, SuggestionStatus::Pending);
    update::poll_failed(&mut app, "PostgreSQL did not answer".into());
    let status = app.status.clone().unwrap().text;
    assert!(
        status.contains("PostgreSQL is not answering; retrying 1 waiting write"),
        "the waiting write keeps the status line: {status}"
    );
    let result = protoscribe::tui::writer::write_waiting(&store, &write);
    update::update(&mut app, Event::Written(result));
    assert_eq!(stored(&store, &first).status, SuggestionStatus::Accepted);
    assert!(!app.unreachable);
}

#[test]
fn quitting_waits_for_decisions_still_being_saved() {
    let (dir, store) = sample_store();
    let mut app = reviewing(&store);
    let release = hold_write_lock(&store, dir.path());
    let Some(Effect::Write(write)) = act(&mut app, Action::Accept) else {
        panic!("queued")
    };
    act(&mut app, Action::Quit);
    assert!(!app.quit, "not while a decision waits");
    release();
    let result = protoscribe::tui::writer::write_waiting(&store, &write);
    update::update(&mut app, Event::Written(result));
    assert!(app.quit, "quits once it is saved");
}

#[test]
fn the_protocol_under_review_is_named_in_every_pane() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let title = app.selected_protocol_title().unwrap().to_owned();
    let review = screen(&app, 80, 24);
    assert!(review.contains(&format!("Review · {title}")), "{review}");
    act(&mut app, Action::FocusScores);
    let scores = screen(&app, 80, 24);
    assert!(scores.contains(&format!("Scores · {title}")), "{scores}");
    // The queue says where the cursor is.
    assert!(
        review.contains(&format!("all 1/{}", app.queue.total)),
        "{review}"
    );
}

#[test]
fn long_titles_are_cut_with_an_ellipsis() {
    let (_dir, store) = empty_store();
    let title = "A randomised, double-blind, placebo-controlled trial of a very long intervention name in adults with a long condition";
    store
        .create_protocol(&NewProtocol {
            title: title.into(),
            content: "x".into(),
            status: Some(ProtocolStatus::Ready),
            ..NewProtocol::default()
        })
        .unwrap();
    let mut app = app(&store);
    let list = screen(&app, 80, 24);
    assert!(
        list.contains("A randomised, double-blind") && list.contains('…'),
        "{list}"
    );
    act(&mut app, Action::FocusQueue);
    let queue = screen(&app, 80, 24);
    let top = queue.lines().nth(1).unwrap();
    assert!(
        top.contains("Review · A randomised") && top.contains('…'),
        "{top}"
    );
    // A long status line ends in an ellipsis too.
    app.info(format!("Imported «{title}»; press A to analyse it"));
    let footer = screen(&app, 80, 24).lines().nth(22).unwrap().to_owned();
    assert!(footer.trim_end().ends_with('…'), "{footer}");
}

#[test]
fn search_keeps_the_protocol_under_review_or_says_it_changed() {
    let (_dir, store) = sample_store();
    let mut app = app(&store);
    act(&mut app, Action::Down);
    let knee = app.selected_protocol_id().unwrap();
    // A word every sample has: the selection stays.
    act(&mut app, Action::Search);
    type_text(&mut app, "randomised");
    act(&mut app, Action::Apply);
    assert_eq!(app.selected_protocol_id(), Some(knee.clone()));
    let status = app.status.clone().unwrap().text;
    assert!(status.contains("protocols match; still on"), "{status}");
    // A word only another has: the selection moves, and the status says so.
    act(&mut app, Action::Search);
    for _ in 0..20 {
        update::type_key(
            &mut app,
            KeyEvent::new(KeyCode::Backspace, KeyModifiers::NONE),
        );
    }
    type_text(&mut app, "insomnia");
    act(&mut app, Action::Apply);
    assert_ne!(app.selected_protocol_id(), Some(knee.clone()));
    let status = app.status.clone().unwrap().text;
    assert!(
        status.starts_with("1 protocol matches; now showing «"),
        "{status}"
    );
    // Esc clears the search and keeps the selection.
    let cbt = app.selected_protocol_id();
    act(&mut app, Action::Back);
    assert_eq!(app.search, None);
    assert_eq!(app.protocols.total, 3);
    assert_eq!(app.selected_protocol_id(), cbt);
}

#[test]
fn the_help_fits_80x24_and_scrolling_stops_at_the_end() {
    let (_dir, store) = sample_store();
    let mut app = app(&store);
    act(&mut app, Action::Help);
    let first = screen(&app, 80, 24);
    assert!(first.contains("Keys 1–"), "{first}");
    act(&mut app, Action::Last);
    let last = screen(&app, 80, 24);
    assert!(
        last.contains("of 75 ·") || !last.contains(" ↓ ·"),
        "at the end: {last}"
    );
    assert!(first.contains(" ↓ ·"), "more below: {first}");
    let Mode::Help(end) = app.mode else { panic!() };
    act(&mut app, Action::ScrollDetailDown);
    assert!(
        matches!(app.mode, Mode::Help(n) if n == end),
        "stops at the end"
    );
    act(&mut app, Action::First);
    assert!(matches!(app.mode, Mode::Help(0)));
    // Every key is shown with its description, apart from it.
    let mut all = first.clone();
    for _ in 0..10 {
        act(&mut app, Action::PageDown);
        all.push_str(&screen(&app, 80, 24));
    }
    for b in protoscribe::tui::keymap::BINDINGS {
        let key = b.keys[0].label();
        assert!(
            all.lines().any(|line| line
                .find(&format!(" {key} "))
                .is_some_and(|at| line[at..].contains(&format!(" {}", b.help)))),
            "{key} / {}: {all}",
            b.help
        );
    }
}

#[test]
fn the_detail_scrolls_no_further_than_its_end() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    screen(&app, 80, 24);
    for _ in 0..100 {
        act(&mut app, Action::ScrollDetailDown);
    }
    let end = app.detail_scroll;
    assert!(end > 0 && end < 100);
    act(&mut app, Action::ScrollDetailUp);
    assert_eq!(app.detail_scroll, end.saturating_sub(3));
}

#[test]
fn the_checklist_opens_from_the_scores_pane_and_leads_to_its_suggestion() {
    let (_dir, store) = sample_store();
    let mut app = app(&store);
    act(&mut app, Action::FocusScores);
    act(&mut app, Action::Open);
    let section = app.open_section().unwrap().clone();
    let text = screen(&app, 80, 24);
    assert!(text.contains("Enter: its suggestion"), "{text}");
    // Find an item with a gap and follow it to the queue.
    let gap = section
        .items
        .iter()
        .position(|i| i.status == "missing" || i.status == "partial")
        .expect("the sample has gaps");
    for _ in 0..gap {
        act(&mut app, Action::Down);
    }
    let item = section.items[gap].clone();
    let text = screen(&app, 80, 24);
    assert!(
        text.contains(&item.title[..item.title.len().min(20)]),
        "{text}"
    );
    act(&mut app, Action::Open);
    assert_eq!(app.focus, Pane::Queue);
    let s = app.queue.selected().unwrap();
    assert_eq!(
        s.guideline_reference.as_deref(),
        Some(item.reference().as_str())
    );
    // Esc in the Scores pane closes the section.
    act(&mut app, Action::FocusScores);
    act(&mut app, Action::Back);
    assert!(app.open_section().is_none());
}

#[test]
fn not_applicable_items_are_listed_with_their_reason() {
    // A single-group study: allocation items do not apply. They must show,
    // with why, so a wrong design verdict can be seen and challenged.
    let (_dir, store) = empty_store();
    let p = store
        .create_protocol(&NewProtocol {
            title: "Single-arm trial".into(),
            content: "# A single-arm trial of early mobilisation\n\n## Design\nThis is a single-arm, open-label study: all 40 participants receive early mobilisation within 24 hours of surgery.\n".into(),
            status: Some(ProtocolStatus::Ready),
            ..NewProtocol::default()
        })
        .unwrap();
    analyze::run(
        &store,
        &Request::builtin(&p.info.id, GuidelineChoice::Spirit),
    )
    .unwrap();
    let mut app = app(&store);
    let sections = &app.view.as_ref().unwrap().sections;
    let at = sections
        .iter()
        .position(|t| t.items.iter().any(|i| i.item == "16b"))
        .expect("the allocation items are listed");
    let item = sections[at]
        .items
        .iter()
        .position(|i| i.item == "16b")
        .unwrap();
    assert_eq!(sections[at].items[item].status, "not_applicable");
    act(&mut app, Action::FocusScores);
    for _ in 0..at {
        act(&mut app, Action::Down);
    }
    act(&mut app, Action::Open);
    for _ in 0..item {
        act(&mut app, Action::Down);
    }
    let text = screen(&app, 80, 24);
    assert!(text.contains("– 16b"), "{text}");
    assert!(text.contains("not allocated at random"), "{text}");
}

#[test]
fn score_bars_read_without_colour_and_section_counts_fit_at_120x32() {
    let (_dir, store) = sample_store();
    let app = app(&store);
    let text = screen(&app, 120, 32);
    let overall = text.lines().find(|l| l.contains("Overall")).unwrap();
    let score = app.view.as_ref().unwrap().analysis.overall_score.unwrap();
    assert!(overall.contains(&format!("{score:.1}")), "{overall}");
    assert!(overall.contains('█') && overall.contains('░'), "{overall}");
    for line in text
        .lines()
        .filter(|l| l.contains("SPIRIT ") && l.contains('✓'))
    {
        assert!(
            line.contains('◐') && line.contains('✗'),
            "counts cut: {line}"
        );
    }
}

#[test]
fn import_completes_paths_and_expands_home() {
    let (dir, store) = sample_store();
    let mut app = app(&store);
    std::fs::write(dir.path().join("draft-protocol-v3.md"), "# T\n").unwrap();
    act(&mut app, Action::Import);
    type_text(&mut app, &format!("{}/draft-", dir.path().display()));
    act(&mut app, Action::Complete);
    let Mode::Import(typed) = &app.mode else {
        panic!("import line")
    };
    assert_eq!(
        typed,
        &format!("{}/draft-protocol-v3.md", dir.path().display())
    );
    assert_eq!(
        update::expand_home("~/x.md"),
        dirs::home_dir().unwrap().join("x.md")
    );
    assert_eq!(
        update::expand_home("/a/~b"),
        std::path::PathBuf::from("/a/~b")
    );
}

#[test]
fn any_two_versions_can_be_compared_and_wrapped_lines_keep_their_gutter() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let protocol = app.selected_protocol_id().unwrap();
    let long = "A very long added line that certainly wraps at eighty columns because it goes on and on about allocation concealment.";
    store
        .write(|tx| {
            let text = tx.protocols_get(&protocol)?.content;
            tx.versions_create(&protocol, 1, &text, None, None)?;
            tx.versions_create_next(&protocol, &format!("{text}\nSecond.\n"), Some("two"), None)?;
            tx.versions_create_next(
                &protocol,
                &format!("{text}\nSecond.\n{long}\n"),
                Some("three"),
                None,
            )
        })
        .unwrap();
    act(&mut app, Action::Versions);
    let Mode::Versions(view) = &app.mode else {
        panic!()
    };
    assert_eq!(view.versions.len(), 3);
    assert_eq!(view.compared(), Some((1, 2)));
    // Compare version 1 with version 3.
    act(&mut app, Action::Up);
    act(&mut app, Action::Up);
    act(&mut app, Action::Mark);
    act(&mut app, Action::Down);
    act(&mut app, Action::Down);
    let Mode::Versions(view) = &app.mode else {
        panic!()
    };
    assert_eq!(view.compared(), Some((0, 2)));
    let text = screen(&app, 80, 40);
    assert!(text.contains("v1 (◦) → v3 (▸)"), "{text}");
    let pieces: Vec<&str> = text.lines().filter(|l| l.contains("+ ")).collect();
    assert!(pieces.len() >= 3, "{text}");
    assert!(pieces.iter().any(|l| l.contains("+ Second.")), "{text}");
    assert!(
        pieces.iter().any(|l| l.contains("+ goes on and on")),
        "wrapped piece keeps +: {text}"
    );
}

fn with_providers(app: &mut App, config: &str) {
    app.providers = std::sync::Arc::new(protoscribe::providers::Config::parse(config).unwrap());
}

#[test]
fn p_chooses_the_provider_and_a_remote_one_asks_before_a_sends_anything() {
    let (_dir, store) = sample_store();
    let mut app = app(&store);
    with_providers(
        &mut app,
        "[providers.hosted]\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n",
    );
    act(&mut app, Action::CycleProvider);
    assert_eq!(app.provider, "hosted");
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("asks before sending")
    );
    let id = app.selected_protocol_id().unwrap();
    assert_eq!(act(&mut app, Action::Analyse), None, "nothing sent yet");
    assert!(matches!(app.mode, Mode::Confirm(_)));
    let effect = act(&mut app, Action::Confirm);
    assert_eq!(
        effect,
        Some(Effect::Analyse(AnalyseJob {
            protocol_id: id,
            provider: "hosted".into(),
            allow_remote: true,
        }))
    );
    act(&mut app, Action::CycleProvider);
    assert_eq!(app.provider, "builtin", "the choice cycles back");
}

#[test]
fn esc_cancels_a_running_model_analysis_which_is_recorded_failed_cancelled() {
    let (_dir, store) = sample_store();
    let mut app = with_script_provider(&store);
    let Some(Effect::Analyse(job)) = act(&mut app, Action::Analyse) else {
        panic!("no analysis started")
    };
    assert_eq!(job.provider, "script");
    act(&mut app, Action::Back);
    assert!(app.status.as_ref().unwrap().text.contains("Cancelling"));
    let setup = worker::Setup {
        providers: app.providers.clone(),
        cancel: app.cancel.clone(),
        events: None,
    };
    let event = worker::perform_with(&store, Job::Analyse(job), &setup);
    update::update(&mut app, event);
    assert!(app.busy.is_none() && app.analysing.is_none());
    let status = app.status.clone().unwrap();
    assert!(status.text.contains("cancelled"), "{status:?}");
    let protocol = app.selected_protocol_id().unwrap();
    let history = store
        .latest_analysis(&protocol, 100)
        .unwrap()
        .unwrap()
        .history;
    let failed: Vec<_> = history
        .iter()
        .filter(|a| a.status == protoscribe::store::AnalysisStatus::Failed)
        .map(|a| a.error_message.as_deref())
        .collect();
    assert_eq!(failed, [Some("cancelled")]);
}

#[test]
fn the_scores_pane_shows_agreement_with_the_other_provider() {
    let (dir, store) = sample_store();
    let mut app = app(&store);
    let script = dir.path().join("model.py");
    std::fs::write(
        &script,
        r#"import json, sys
request = json.load(sys.stdin)
items = []
current = None
for line in request["user"].splitlines():
    if line.startswith("Item "):
        current = {"item": line[5:].split(":")[0], "verdict": "missing", "quote": "", "rationale": "", "suggested_text": None}
        items.append(current)
    elif line.startswith("[1] ") and current is not None:
        current.update(verdict="addressed", quote=line[4:])
print(json.dumps({"items": items} if "Sentences:" not in request["user"] else {"findings": []}))
"#,
    )
    .unwrap();
    with_providers(
        &mut app,
        &format!(
            "[providers.script]\nkind = \"command\"\ncommand = [\"python3\", \"{}\"]\n",
            script.display()
        ),
    );
    act(&mut app, Action::CycleProvider);
    let Some(Effect::Analyse(job)) = act(&mut app, Action::Analyse) else {
        panic!("no analysis started")
    };
    let setup = worker::Setup {
        providers: app.providers.clone(),
        cancel: app.cancel.clone(),
        events: None,
    };
    update::update(
        &mut app,
        worker::perform_with(&store, Job::Analyse(job), &setup),
    );
    let view = app.view.as_ref().unwrap();
    assert_eq!(view.analysis.provider, "script");
    let (other, agreement) = view.agreement.as_ref().unwrap();
    assert_eq!(other, "builtin");
    assert_eq!(agreement.items, 88);
    let text = screen(&app, 160, 48);
    assert!(text.contains("vs builtin: "), "{text}");
    assert!(text.contains("agree, κ "), "{text}");
}

#[test]
fn a_model_analysis_shows_its_progress_and_how_to_cancel_at_80_columns() {
    let (_dir, store) = sample_store();
    let mut app = with_script_provider(&store);
    let Some(Effect::Analyse(_)) = act(&mut app, Action::Analyse) else {
        panic!("no analysis started")
    };
    update::update(
        &mut app,
        Event::AnalysisProgress("4/12 sections · 2988 tok · $0.0007".into()),
    );
    let shown = screen(&app, 80, 24);
    let lines: Vec<&str> = shown.lines().collect();
    assert!(lines[0].contains("4/12 sections"), "header: {}", lines[0]);
    let status = lines
        .iter()
        .find(|l| l.contains("Analysing with script"))
        .unwrap_or_else(|| panic!("no status line:\n{shown}"));
    assert!(
        status.contains("4/12 sections")
            && status.contains("$0.0007")
            && status.contains("Esc cancels"),
        "{status}"
    );
}
