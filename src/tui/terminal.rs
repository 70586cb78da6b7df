//! Entering and leaving the terminal's interactive mode. The terminal is
//! restored in two places: a guard's `Drop` (quit, error) and the panic
//! hook; and around Ctrl-Z, so the shell gets a sane terminal back.

use std::io::{self, Stdout, stdout};

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::crossterm::cursor::Show;
use ratatui::crossterm::execute;
use ratatui::crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};

pub type Tui = Terminal<CrosstermBackend<Stdout>>;

fn enter() -> io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen)
}

/// Put the terminal back as the shell expects it. Safe to call twice.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(stdout(), LeaveAlternateScreen, Show);
}

/// Restores the terminal when dropped, whatever path leaves the interface.
pub struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        crate::panics::set_screen(None);
        restore();
    }
}

pub fn init() -> io::Result<(Tui, Guard)> {
    // A panic nobody catches puts the terminal back before it is
    // reported; panics caught in workers leave the screen alone.
    crate::panics::set_screen(Some(crate::panics::Screen {
        thread: std::thread::current().id(),
        restore,
        log: super::log::error,
    }));
    enter()?;
    let guard = Guard;
    let terminal = Terminal::new(CrosstermBackend::new(stdout()))?;
    Ok((terminal, guard))
}

/// Ctrl-Z: hand the terminal back, stop, and pick up intact on `fg`.
pub fn suspend(terminal: &mut Tui) -> io::Result<()> {
    restore();
    // SAFETY: raising a signal at our own process has no memory-safety
    // preconditions; SIGTSTP stops the process until the shell sends SIGCONT.
    unsafe {
        libc::raise(libc::SIGTSTP);
    }
    enter()?;
    terminal.clear()
}
