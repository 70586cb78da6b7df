//! The process-wide panic hook while the interface owns the terminal: a
//! panic caught in a worker leaves the screen alone (it becomes an error
//! value); one nobody catches on another thread goes to the log, not over
//! the screen; one on the interface's own thread restores the terminal
//! first. Its own test binary, since the hook is the process's.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use protoscribe::panics::{self, Screen};

static RESTORED: AtomicUsize = AtomicUsize::new(0);
static LOGGED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn restore() {
    RESTORED.fetch_add(1, Ordering::SeqCst);
}

fn log(message: &str) {
    LOGGED.lock().unwrap().push(message.to_owned());
}

#[test]
fn panics_reach_the_screen_only_from_the_interfaces_own_thread() {
    panics::install();
    panics::set_screen(Some(Screen {
        thread: std::thread::current().id(),
        restore,
        log,
    }));

    // A worker's job panics inside `catch`: an error value, nothing else.
    let caught = std::thread::spawn(|| panics::catch(|| -> u8 { panic!("bad PDF xref") }))
        .join()
        .unwrap();
    assert!(caught.unwrap_err().starts_with("bad PDF xref"));
    assert_eq!(RESTORED.load(Ordering::SeqCst), 0);
    assert!(LOGGED.lock().unwrap().is_empty());

    // A worker panics with nobody catching: logged, screen untouched.
    let died = std::thread::spawn(|| panic!("worker lost")).join();
    assert!(died.is_err());
    assert_eq!(RESTORED.load(Ordering::SeqCst), 0);
    assert!(LOGGED.lock().unwrap()[0].contains("worker lost"));

    // The interface's own thread panics: the terminal is restored first.
    let ui = std::panic::catch_unwind(|| panic!("drawing failed"));
    assert!(ui.is_err());
    assert_eq!(RESTORED.load(Ordering::SeqCst), 1);

    panics::set_screen(None);
}
