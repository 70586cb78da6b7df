//! The interface without a terminal: actions in, state and store out; and
//! what it draws, read back from ratatui's test backend.

use protoscribe::analysis::GuidelineChoice;
use protoscribe::jobs::analyze::{self, Request};
use protoscribe::samples::SAMPLES;
use protoscribe::store::protocols::{self, NewProtocol};
use protoscribe::store::suggestions::{self, Expect, Suggestion, Verb};
use protoscribe::store::{ProtocolStatus, Store, SuggestionStatus};
use protoscribe::tui::action::{Action, Event};
use protoscribe::tui::app::{App, Mode, Pane};
use protoscribe::tui::theme::Theme;
use protoscribe::tui::update::{self, Effect};
use protoscribe::tui::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A store holding the bundled samples, imported and analysed.
fn sample_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store.db")).unwrap();
    for (name, text) in SAMPLES {
        let p = store
            .write(|tx| {
                protocols::create(
                    tx,
                    &NewProtocol {
                        title: name.to_string(),
                        content: text.to_string(),
                        status: Some(ProtocolStatus::Ready),
                        ..NewProtocol::default()
                    },
                )
            })
            .unwrap();
        let request = Request {
            protocol_id: p.info.id.clone(),
            provider: "builtin".into(),
            guideline: GuidelineChoice::Auto,
        };
        analyze::run(&store, &request).unwrap();
    }
    (dir, store)
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

/// The app with the queue focused on the first protocol that has pending suggestions.
fn reviewing(store: &Store) -> App {
    let mut app = app(store);
    act(&mut app, Action::Open);
    assert_eq!(app.focus, Pane::Queue);
    assert!(app.queue.total > 0);
    app
}

fn stored(store: &Store, id: &str) -> protoscribe::store::suggestions::Suggestion {
    store.read(|conn| suggestions::get(conn, id)).unwrap()
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
    act(&mut app, Action::Comment);
    type_text(&mut app, "needs the SAP reference");
    act(&mut app, Action::Save);
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
fn modify_saves_the_edited_text_and_escape_saves_nothing() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let id = app.queue.selected().unwrap().id.clone();
    act(&mut app, Action::Modify);
    let Mode::Editor(editor) = &app.mode else {
        panic!("editor open")
    };
    assert!(
        editor
            .area
            .lines()
            .join("\n")
            .starts_with(&stored(&store, &id).content[..20])
    );
    type_text(&mut app, " Reworded.");
    act(&mut app, Action::Close);
    assert_eq!(
        stored(&store, &id).status,
        SuggestionStatus::Pending,
        "Esc saves nothing"
    );
    act(&mut app, Action::Modify);
    type_text(&mut app, " Reworded.");
    act(&mut app, Action::Save);
    let s = stored(&store, &id);
    assert_eq!(s.status, SuggestionStatus::Modified);
    assert!(s.modified_content.unwrap().ends_with(" Reworded."));
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
        .write(|tx| {
            let s = suggestions::get(tx, &id)?;
            suggestions::decide(
                tx,
                &id,
                &s.after(&Verb::Reject, Some("theirs".into())),
                Expect::Anything,
            )
        })
        .unwrap();
    act(&mut app, Action::Accept);
    let s = stored(&store, &id);
    assert_eq!(s.status, SuggestionStatus::Rejected);
    assert_eq!(s.user_comment.as_deref(), Some("theirs"));
    let status = app.status.clone().unwrap();
    assert!(
        status.error && status.text.contains("changed elsewhere"),
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
    std::thread::sleep(std::time::Duration::from_millis(2));
    store
        .write(|tx| {
            let s = suggestions::get(tx, &id)?;
            suggestions::decide(tx, &id, &s.after(&Verb::Reject, None), Expect::Anything)
        })
        .unwrap();
    act(&mut app, Action::Undo);
    assert_eq!(stored(&store, &id).status, SuggestionStatus::Rejected);
    assert!(app.status.as_ref().unwrap().error);
}

#[test]
fn changes_by_other_connections_are_noticed_and_the_cursor_kept() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    act(&mut app, Action::Down);
    act(&mut app, Action::Down);
    let cursor_id = app.queue.selected().unwrap().id.clone();
    let other = app.queue.rows[0].id.clone();
    assert!(!app.store_changed().unwrap());
    store
        .write(|tx| {
            let s = suggestions::get(tx, &other)?;
            suggestions::decide(tx, &other, &s.after(&Verb::Accept, None), Expect::Anything)
        })
        .unwrap();
    assert!(app.store_changed().unwrap());
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
    assert_eq!(act(&mut app, Action::Analyse), Some(Effect::Analyse(id)));
    assert_eq!(act(&mut app, Action::Analyse), None);
    assert!(
        app.status
            .as_ref()
            .unwrap()
            .text
            .contains("one analysis at a time")
    );
}

#[test]
fn long_lists_are_paged_around_the_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("big.db")).unwrap();
    let scale = protoscribe::store::synth::Scale {
        protocols: 1_000,
        analyses_per_protocol: 1,
        suggestions_per_analysis: 2,
    };
    protoscribe::store::synth::generate(&mut store.connection().unwrap(), scale, 3, |_| {})
        .unwrap();
    let mut app = app(&store);
    assert_eq!(app.protocols.total, 1_000);
    assert!(app.protocols.rows.len() <= protoscribe::tui::app::PAGE as usize);
    for _ in 0..70 {
        act(&mut app, Action::PageDown);
    }
    assert_eq!(app.protocols.cursor, 700);
    let selected = app.protocols.selected().unwrap().info.id.clone();
    let expected = store
        .read(|conn| {
            let page = protocols::list(
                conn,
                &Default::default(),
                protoscribe::store::Page {
                    offset: 700,
                    limit: 1,
                },
            )?;
            Ok(page[0].id.clone())
        })
        .unwrap();
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
    assert!(text.contains("Suggested text:"), "{text}");
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
    assert!(text.contains("Protocols (3)"), "{text}");
    assert!(text.contains("Scores"), "{text}");
    assert!(text.contains("Review queue"), "{text}");
    assert!(text.contains("Overall"), "{text}");
    assert!(text.contains("SPIRIT Administrative information"), "{text}");
}

#[test]
fn the_help_overlay_lists_every_binding() {
    let (_dir, store) = sample_store();
    let mut app = app(&store);
    act(&mut app, Action::Help);
    let mut text = screen(&app, 80, 24);
    for _ in 0..4 {
        act(&mut app, Action::ScrollDetailDown);
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
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("empty.db")).unwrap();
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
fn escape_sequences_in_documents_render_inert() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("evil.db")).unwrap();
    store
        .write(|tx| {
            protocols::create(
                tx,
                &NewProtocol {
                    title: "Evil \u{1b}]0;pwned\u{7} \u{1b}[2J title".into(),
                    content: "x".into(),
                    status: Some(ProtocolStatus::Ready),
                    ..NewProtocol::default()
                },
            )
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
    let doc = protoscribe::ingest::read_document(&path, 1 << 20).unwrap();
    let options = protoscribe::jobs::import::ImportOptions {
        title: None,
        description: None,
        force: false,
    };
    let id = match protoscribe::jobs::import::store_document(&store, &doc, &options).unwrap() {
        protoscribe::jobs::import::Outcome::Imported(p) => p.info.id,
        protoscribe::jobs::import::Outcome::AlreadyThere(p) => p.id,
    };
    update::update(&mut app, Event::Imported(Ok(id.clone())));
    assert_eq!(app.protocols.total, 4);
    assert_eq!(app.selected_protocol_id(), Some(id));
    assert!(app.busy.is_none());
}

#[test]
fn apply_writes_a_version_and_the_version_view_shows_the_change() {
    let (_dir, store) = sample_store();
    let mut app = reviewing(&store);
    let protocol = app.selected_protocol_id().unwrap();
    act(&mut app, Action::Accept);
    act(&mut app, Action::ApplyDecisions);
    let status = app.status.clone().unwrap();
    assert!(
        !status.error && status.text.contains("Version 2"),
        "{status:?}"
    );
    let versions = store
        .read(|conn| protoscribe::store::versions::list(conn, &protocol))
        .unwrap();
    assert_eq!(versions.len(), 2);
    act(&mut app, Action::Versions);
    let Mode::Versions(view) = &app.mode else {
        panic!("version view")
    };
    assert_eq!(view.listing.len(), 2);
    assert!(
        view.diff
            .iter()
            .any(|d| matches!(d, protoscribe::tui::app::DiffLine::Added(_)))
    );
    let text = screen(&app, 80, 24);
    assert!(text.contains("v2") && text.contains("Versions"), "{text}");
    act(&mut app, Action::Close);
    assert!(matches!(app.mode, Mode::Normal));
    // Nothing new: applying again says so and writes nothing.
    act(&mut app, Action::ApplyDecisions);
    assert!(app.status.as_ref().unwrap().error);
    assert_eq!(
        store
            .read(|conn| protoscribe::store::versions::count(conn, &protocol))
            .unwrap(),
        2
    );
}
