//! Figures for the interface on a large store: time to first frame, time
//! per key (cursor move, accept), bytes written to the terminal for one
//! cursor move, and peak memory.
//!
//!     cargo run --release --example interface_figures -- [STORE]
//!
//! Without STORE, a store of 10,000 protocols / 30,000 analyses /
//! 1,000,000 suggestions is generated once under target/ and reused.

use std::io::Write;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use protoscribe::samples::synth::{self, Scale};
use protoscribe::store::Store;
use protoscribe::tui::action::{Action, Event};
use protoscribe::tui::app::App;
use protoscribe::tui::theme::Theme;
use protoscribe::tui::{update, view};
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

/// A terminal that counts what is written to it.
#[derive(Clone, Default)]
struct Counted(Arc<Mutex<usize>>);

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        *self
            .0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))? += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

const MILLION: Scale = Scale {
    protocols: 10_000,
    analyses_per_protocol: 3,
    suggestions_per_analysis: 34,
};

fn store_path() -> PathBuf {
    if let Some(path) = std::env::args().nth(1) {
        return PathBuf::from(path);
    }
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/bench-stores/1m.db");
    if !path.exists() {
        std::fs::create_dir_all(path.parent().expect("parent")).expect("bench store folder");
        eprintln!("generating {} (once)…", path.display());
        let store = Store::open(&path).expect("open");
        let written = synth::generate(&store, MILLION, 7, |_| {}).expect("generate");
        eprintln!("{written} suggestions");
    }
    path
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn main() {
    let path = store_path();
    let counted = Counted::default();
    let backend = CrosstermBackend::new(counted.clone());
    let options = TerminalOptions {
        viewport: Viewport::Fixed(Rect::new(0, 0, 80, 24)),
    };
    let mut terminal = Terminal::with_options(backend, options).expect("terminal");

    let started = Instant::now();
    let store = Store::open(&path).expect("open store");
    let mut app = App::new(store, Theme::from_env());
    terminal.draw(|f| view::draw(f, &app)).expect("draw");
    let first_paint = started.elapsed();
    app.load().expect("load");
    terminal.draw(|f| view::draw(f, &app)).expect("draw");
    let first_data = started.elapsed();
    println!(
        "first frame painted        {:>8.2} ms",
        first_paint.as_secs_f64() * 1e3
    );
    println!(
        "first frame with data      {:>8.2} ms",
        first_data.as_secs_f64() * 1e3
    );

    let mut key = |app: &mut App, action: Action| {
        let t = Instant::now();
        update::update(app, Event::Key(action));
        terminal.draw(|f| view::draw(f, app)).expect("draw");
        t.elapsed().as_secs_f64() * 1e3
    };
    // Protocol list: j/k move through protocols, each loading its analysis and queue.
    let moves: Vec<f64> = (0..200)
        .map(|i| key(&mut app, if i % 2 == 0 { Action::Down } else { Action::Up }))
        .collect();
    println!(
        "key: next protocol         {:>8.2} ms (median of 200)",
        median(moves)
    );
    key(&mut app, Action::Open);
    let moves: Vec<f64> = (0..200)
        .map(|i| key(&mut app, if i % 4 < 2 { Action::Down } else { Action::Up }))
        .collect();
    println!(
        "key: queue cursor move     {:>8.2} ms (median of 200)",
        median(moves)
    );
    let accepts: Vec<f64> = (0..20).map(|_| key(&mut app, Action::Accept)).collect();
    println!(
        "key: accept (commit)       {:>8.2} ms (median of 20)",
        median(accepts)
    );
    for _ in 0..20 {
        key(&mut app, Action::Undo);
    }

    *counted.0.lock().expect("lock") = 0;
    key(&mut app, Action::Down);
    let one_move = *counted.0.lock().expect("lock");
    println!("bytes written, cursor move {:>8} B", one_move);

    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage fills the struct we pass; RUSAGE_SELF is always valid.
    let peak = unsafe {
        libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr());
        usage.assume_init().ru_maxrss
    };
    println!(
        "peak memory (max RSS)      {:>8.1} MiB",
        peak as f64 / 1024.0
    );
}
