//! One panic hook for the whole process, installed once at start and never
//! swapped. Third-party code facing hostile input (the PDF parser, a
//! provider) runs under `catch`, which turns a panic into an error value
//! and keeps the panic's message off the terminal; any other panic first
//! runs the registered terminal restore (so a crash in the interface
//! leaves a usable shell), then prints as usual.

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, PanicHookInfo, catch_unwind};
use std::sync::{Mutex, Once};
use std::thread::ThreadId;

thread_local! {
    /// How many `catch` scopes this thread is inside.
    static CATCHING: Cell<u32> = const { Cell::new(0) };
    /// The message of the last panic caught on this thread.
    static CAUGHT: Cell<Option<String>> = const { Cell::new(None) };
}

/// The interface while it owns the terminal: its thread, how to give the
/// terminal back, and where messages go instead of the screen.
#[derive(Clone, Copy)]
pub struct Screen {
    pub thread: ThreadId,
    pub restore: fn(),
    pub log: fn(&str),
}

static SCREEN: Mutex<Option<Screen>> = Mutex::new(None);
static INSTALL: Once = Once::new();

/// Install the process's panic hook (idempotent).
pub fn install() {
    INSTALL.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CATCHING.with(Cell::get) > 0 {
                CAUGHT.with(|c| c.set(Some(describe(info))));
                return;
            }
            let screen = SCREEN.lock().ok().and_then(|s| *s);
            match screen {
                // The interface's own thread: give the shell its terminal
                // back, then report as usual.
                Some(screen) if std::thread::current().id() == screen.thread => {
                    (screen.restore)();
                    default(info);
                }
                // Another thread while the interface draws: printing would
                // scribble over the screen, so the log gets it.
                Some(screen) => (screen.log)(&format!("panic: {}", describe(info))),
                None => default(info),
            }
        }));
    });
}

/// While `Some`, panics nobody catches are handled for the interface's
/// sake (see `Screen`); `None` when it has given the terminal back.
pub fn set_screen(screen: Option<Screen>) {
    install();
    if let Ok(mut guard) = SCREEN.lock() {
        *guard = screen;
    }
}

/// Run `f`; a panic inside it comes back as `Err` with its message and
/// place, printed nowhere. Callers report it (status line, log, error).
pub fn catch<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    install();
    CATCHING.with(|c| c.set(c.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(c.get() - 1));
    result.map_err(|payload| {
        CAUGHT
            .with(Cell::take)
            .unwrap_or_else(|| payload_text(payload.as_ref()))
    })
}

fn describe(info: &PanicHookInfo<'_>) -> String {
    let what = payload_text(info.payload());
    match info.location() {
        Some(at) => format!("{what} at {}:{}", at.file(), at.line()),
        None => what,
    }
}

fn payload_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown cause".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_caught_panic_becomes_its_message() {
        let err = catch(|| -> u8 { panic!("bad xref") }).unwrap_err();
        assert!(err.starts_with("bad xref at "), "{err}");
        assert!(err.contains("panics.rs"), "{err}");
        assert_eq!(catch(|| 7), Ok(7));
    }

    #[test]
    fn nested_catches_each_get_their_own_panic() {
        let outer = catch(|| {
            let inner = catch(|| -> u8 { panic!("inner") });
            assert!(inner.unwrap_err().starts_with("inner"));
            panic!("outer")
        });
        assert!(outer.unwrap_err().starts_with("outer"));
    }
}
