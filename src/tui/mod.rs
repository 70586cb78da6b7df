//! The terminal interface: keyboard triage of suggestions, scores and a
//! dashboard. State (`app`) and drawing (`view`) are apart; `update` is the
//! only place state changes; one key table (`keymap`) drives the loop, the
//! footer and the help overlay; slow work reports over a channel.

pub mod action;
pub mod app;
pub mod keymap;
pub mod log;
pub mod terminal;
pub mod text;
pub mod theme;
pub mod update;
pub mod view;
pub mod watcher;
pub mod worker;
pub mod writer;

use std::sync::mpsc::channel;
use std::time::{Duration, Instant};

use ratatui::crossterm::event::{self, Event as TermEvent, KeyEventKind};

use action::Event;
use app::App;
use keymap::Context;
use update::Effect;

use crate::store::Store;

/// How often the screen wakes to take in what the watcher found (other
/// sessions' changes), when no key is pressed.
const POLL: Duration = watcher::INTERVAL;
/// While an analysis runs, its result is looked for this often.
const BUSY_POLL: Duration = Duration::from_millis(50);

pub fn run(store: Store, providers: crate::providers::Config) -> std::io::Result<()> {
    keymap::validate().map_err(std::io::Error::other)?;
    let (mut terminal, _guard) = terminal::init()?;
    let (events, incoming) = channel();
    let mut app = App::new(store.clone(), theme::Theme::from_env());
    app.providers = std::sync::Arc::new(providers);
    let setup = worker::Setup {
        providers: app.providers.clone(),
        cancel: app.cancel.clone(),
        events: None,
    };
    let worker = worker::Worker::spawn(store.clone(), events.clone(), setup);
    let writer = writer::Writer::spawn(store, events);
    let size = terminal.size()?;
    app.size = Some((size.width, size.height));
    // Paint first, query second: the frame appears before any data.
    terminal.draw(|f| view::draw(f, &app))?;
    // Watching starts before the first read, so nothing committed after
    // that read goes unnoticed.
    let watch = app.store.watch();
    if let Err(e) = &watch {
        app.error(e.to_string());
    }
    let watched = watcher::spawn(app.store.clone(), watch.ok());
    if let Err(e) = app.load() {
        app.error(e.to_string());
    }
    let mut last_poll = Instant::now();
    while !app.quit {
        if app.dirty {
            terminal.draw(|f| view::draw(f, &app))?;
            app.dirty = false;
        }
        let interval = if app.busy.is_some() { BUSY_POLL } else { POLL };
        let wait = interval.saturating_sub(last_poll.elapsed());
        if event::poll(wait)? {
            // Drain everything pending before drawing again.
            loop {
                if let Some(effect) = on_terminal_event(&mut app, event::read()?) {
                    match effect {
                        Effect::Suspend => {
                            terminal::suspend(&mut terminal)?;
                            app.dirty = true;
                        }
                        Effect::Analyse(job) => {
                            started(&mut app, worker.run(worker::Job::Analyse(job)))
                        }
                        Effect::Import(path) => {
                            started(&mut app, worker.run(worker::Job::Import(path)))
                        }
                        Effect::Apply {
                            protocol_id,
                            allow_placeholders,
                        } => started(
                            &mut app,
                            worker.run(worker::Job::Apply {
                                protocol_id,
                                allow_placeholders,
                            }),
                        ),
                        Effect::Write(write) => {
                            if !writer.send(write) {
                                app.error("The writer has stopped: your last decision was not saved; restart ProtoScribe");
                            }
                        }
                    }
                }
                if app.quit || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        while let Ok(event) = incoming.try_recv() {
            update::update(&mut app, event);
        }
        if last_poll.elapsed() >= interval {
            last_poll = Instant::now();
        }
        // Not through `update`: a look that found nothing redraws nothing.
        while let Ok(report) = watched.try_recv() {
            match report {
                watcher::Report::Answered { changed } => {
                    // Heard from the store: it answers again, and the
                    // status line stops saying it does not.
                    if app.poll_failed.take().is_some() && app.waiting.is_empty() {
                        app.info("The store answers again.");
                        app.dirty = true;
                    }
                    app.unreachable = false;
                    if changed {
                        update::update(&mut app, Event::StoreChanged);
                    }
                }
                watcher::Report::Unanswered(why) => update::poll_failed(&mut app, why),
            }
        }
    }
    Ok(())
}

fn started(app: &mut App, accepted: bool) {
    if !accepted {
        app.busy = None;
        app.error("The background worker has stopped; restart ProtoScribe");
    }
}

fn on_terminal_event(app: &mut App, event: TermEvent) -> Option<Effect> {
    match event {
        TermEvent::Key(key) if key.kind != KeyEventKind::Release => {
            let context = app.context();
            match keymap::lookup(context, keymap::Key::from_event(key)) {
                Some(action) => update::update(app, Event::Key(action)),
                None if matches!(context, Context::Search | Context::Import | Context::Editor) => {
                    update::type_key(app, key);
                    None
                }
                None => None,
            }
        }
        TermEvent::Resize(w, h) => update::update(app, Event::Resized(w, h)),
        _ => None,
    }
}
