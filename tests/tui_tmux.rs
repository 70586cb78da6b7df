//! The real binary in tmux, driven by keys the way a reviewer drives it.
//! Needs tmux (`.ci/run` installs it when missing).

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{BIN, Sandbox};
use protoscribe::store::suggestions::SuggestionFilter;
use protoscribe::store::{Page, SuggestionStatus};

/// A tmux server of our own (its own socket), killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    fn start(name: &str, command: &str) -> Tmux {
        let socket = format!("protoscribe-test-{name}-{}", std::process::id());
        let status = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                "80",
                "-y",
                "24",
                command,
            ])
            .env("NO_COLOR", "1")
            .env("PROTOSCRIBE_BACKUP_HOURS", "0")
            .status()
            .expect("tmux must be installed to run this test (apt-get install tmux)");
        assert!(status.success(), "tmux did not start");
        Tmux { socket }
    }

    fn send(&self, keys: &[&str]) {
        for key in keys {
            let status = Command::new("tmux")
                .args(["-L", &self.socket, "send-keys", "-t", "t", key])
                .status()
                .expect("tmux send-keys");
            assert!(status.success());
            // One key at a time: Esc followed at once by a key reads as Alt-key.
            std::thread::sleep(Duration::from_millis(60));
        }
    }

    fn resize(&self, width: u16, height: u16) {
        let status = Command::new("tmux")
            .args([
                "-L",
                &self.socket,
                "resize-window",
                "-t",
                "t",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
            ])
            .status()
            .expect("tmux resize-window");
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket, "capture-pane", "-p", "-t", "t"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until the screen shows one of `texts`.
    fn wait_for_any(&self, texts: &[&str]) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if texts.iter().any(|t| screen.contains(t)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "screen never showed any of {texts:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Wait until the screen shows `text` (the interface redraws on its own time).
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "screen never showed {text:?}:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stderr(std::process::Stdio::null())
            .status();
    }
}

/// Two analysed sample protocols in a fresh store.
fn analysed_store() -> Sandbox {
    let s = Sandbox::new();
    s.analyse_fixtures(&["poor-cbt-insomnia.md", "partial-knee-exercise.txt"]);
    s
}

/// Suggestions with `status`, in every analysis.
fn count(s: &Sandbox, status: &str) -> i64 {
    let filter = SuggestionFilter {
        status: Some(status.parse().unwrap()),
        ..Default::default()
    };
    s.store().suggestion_count(&filter).unwrap() as i64
}

/// The decided suggestions of the newest completed analysis: how many of
/// each status, by status.
fn decided_in_newest_analysis(s: &Sandbox) -> Vec<(String, i64)> {
    let store = s.store();
    let newest = store
        .protocols(&Default::default(), Page::first(100))
        .unwrap()
        .iter()
        .filter_map(|p| store.latest_completed_analysis(&p.id).unwrap())
        .max_by(|a, b| a.completed_at.cmp(&b.completed_at))
        .expect("a completed analysis");
    let filter = SuggestionFilter {
        analysis_id: Some(newest.id),
        ..Default::default()
    };
    let mut counts = std::collections::BTreeMap::new();
    for suggestion in store.suggestions(&filter, Page::first(10_000)).unwrap() {
        if suggestion.status != SuggestionStatus::Pending {
            *counts
                .entry(suggestion.status.as_str().to_owned())
                .or_insert(0) += 1;
        }
    }
    counts.into_iter().collect()
}

#[test]
fn a_reviewer_accepts_and_rejects_and_the_store_keeps_it() {
    let s = analysed_store();
    let shell = format!(
        "sh -c '{BIN} --db {}; echo EXITED=$?; stty -a; sleep 30'",
        s.db().display()
    );
    let tmux = Tmux::start("review", &shell);
    tmux.wait_for("Protocols (1/2)");
    tmux.send(&["Enter"]);
    tmux.wait_for("Review · ");
    tmux.send(&["a"]);
    tmux.wait_for("1 accepted");
    tmux.send(&["r"]);
    tmux.wait_for("1 rejected");
    tmux.send(&["j", "m", "End", " Shorter.", "C-s"]);
    tmux.wait_for("1 modified");
    tmux.send(&["q"]);
    tmux.wait_for("EXITED=0");
    // stty prints after the exit line: wait for its output, not just the
    // line before it (on a loaded machine the two are apart).
    let after = tmux.wait_for("icanon");
    // The terminal is back in cooked mode with echo (stty shows no '-icanon').
    assert!(
        after.contains(" icanon") && !after.contains("-icanon"),
        "{after}"
    );
    assert!(
        after.contains(" echo") && !after.contains("-echo "),
        "{after}"
    );
    assert_eq!(
        (
            count(&s, "accepted"),
            count(&s, "rejected"),
            count(&s, "modified")
        ),
        (1, 1, 1)
    );
}

#[test]
fn a_decision_in_another_process_shows_up_on_the_screen() {
    let s = analysed_store();
    let tmux = Tmux::start(
        "shared",
        &format!(
            "env PROTOSCRIBE_BACKUP_HOURS=0 {BIN} --db {}",
            s.db().display()
        ),
    );
    tmux.wait_for("Protocols (1/2)");
    tmux.send(&["3"]);
    let before = tmux.wait_for("0 rejected");
    assert!(before.contains("0 of "), "{before}");
    // The first suggestion of the selected protocol's queue, decided elsewhere.
    let first_protocol = {
        let listed: serde_json::Value = serde_json::from_str(&s.ok(&["list", "--json"])).unwrap();
        listed[0]["id"].as_str().unwrap().to_owned()
    };
    let queue: serde_json::Value =
        serde_json::from_str(&s.ok(&["suggestions", &first_protocol, "--json"])).unwrap();
    let id = queue[0]["id"].as_str().unwrap().to_owned();
    s.ok(&[
        "review",
        &id,
        "reject",
        "--comment",
        "from the other session",
    ]);
    let after = tmux.wait_for("1 rejected");
    assert!(after.contains("✗"), "{after}");
    tmux.send(&["q"]);
}

#[test]
fn help_and_dashboard_open_and_close() {
    let s = analysed_store();
    let tmux = Tmux::start(
        "overlays",
        &format!(
            "env PROTOSCRIBE_BACKUP_HOURS=0 {BIN} --db {}",
            s.db().display()
        ),
    );
    tmux.wait_for("Protocols (1/2)");
    tmux.send(&["?"]);
    tmux.wait_for("Keys 1–");
    tmux.send(&["G"]);
    tmux.wait_for("compare with this one");
    tmux.send(&["Escape"]);
    tmux.send(&["d"]);
    tmux.wait_for("Analyses by provider");
    tmux.send(&["Escape"]);
    tmux.wait_for("Protocols (1/2)");
    tmux.send(&["q"]);
}

/// The issue's own scenario, as a reviewer does it: accept two, reject
/// one, reword one, analyse again, apply; too small a terminal acts on
/// nothing; the protocol under review is always named.
#[test]
fn decisions_survive_analysing_again_and_apply_writes_only_the_wording() {
    let s = Sandbox::new();
    let id = s.import_fixture("poor-cbt-insomnia.md");
    s.ok(&["analyze", &id]);
    let tmux = Tmux::start(
        "survive",
        &format!(
            "env PROTOSCRIBE_BACKUP_HOURS=0 {BIN} --db {}",
            s.db().display()
        ),
    );
    tmux.wait_for("Protocols (1/1)");
    tmux.send(&["Enter"]);
    let review = tmux.wait_for("Review · Online CBT-I for insomnia");
    assert!(review.contains("0 of "), "{review}");
    tmux.send(&["a"]);
    tmux.wait_for("1 accepted");
    tmux.send(&["a"]);
    tmux.wait_for("2 accepted");
    tmux.send(&["r"]);
    tmux.wait_for("1 rejected");
    tmux.send(&["m"]);
    tmux.wait_for("goes into the protocol");
    tmux.send(&["C-a", "C-k", "Plain wording from the reviewer.", "C-s"]);
    tmux.wait_for("1 modified");
    // Analyse again: the same four decisions stand on the new analysis.
    tmux.send(&["A"]);
    tmux.wait_for("4 decisions carried over");
    let latest = decided_in_newest_analysis(&s);
    assert_eq!(
        latest,
        [
            ("accepted".to_owned(), 2),
            ("modified".to_owned(), 1),
            ("rejected".to_owned(), 1)
        ]
    );
    // Apply: template wording with placeholders is named first.
    tmux.send(&["P"]);
    let asked = tmux.wait_for_any(&["placeholder", "Version 2 written"]);
    if asked.contains("y / n") {
        tmux.send(&["y"]);
    }
    tmux.wait_for("Version 2 written with 3 suggestions");
    let text = s.store().protocol(&id).unwrap().content;
    assert!(text.contains("Plain wording from the reviewer."), "{text}");
    assert!(!text.contains("Suggested text"), "{text}");
    assert!(!text.contains("is not addressed"), "{text}");
    // Too small to see: a decision key does nothing.
    tmux.resize(40, 10);
    tmux.wait_for("needs at least");
    let pending = count(&s, "pending");
    tmux.send(&["a", "r", "x"]);
    // Keys are read in order: once the resize shows, they were handled.
    tmux.resize(80, 24);
    tmux.wait_for("Review · Online CBT-I for insomnia");
    assert_eq!(count(&s, "pending"), pending);
    tmux.send(&["q"]);
}

#[test]
fn the_screen_answers_keys_while_postgresql_hangs() {
    // PostgreSQL only: a server that takes connections and never answers
    // (reached through a relay that falls silent). Looking for others'
    // changes reconnects, which waits for the connection's whole timeout;
    // the screen must not wait with it.
    let s = Sandbox::on(common::Backend::Postgres);
    s.analyse_fixtures(&["poor-cbt-insomnia.md", "partial-knee-exercise.txt"]);
    let (relay, through) = common::relay::Relay::in_front_of(&s.db().display().to_string());
    let tmux = Tmux::start(
        "hang",
        &format!("env PROTOSCRIBE_BACKUP_HOURS=0 {BIN} --db '{through}'"),
    );
    tmux.wait_for("Protocols (1/2)");
    relay.go_silent();
    // Time for a look to find its connection gone and start reconnecting.
    std::thread::sleep(Duration::from_millis(800));
    let pressed = Instant::now();
    tmux.send(&["?"]);
    tmux.wait_for("Keys 1–");
    let took = pressed.elapsed();
    assert!(
        took < Duration::from_secs(3),
        "the help took {took:?} to open while the server hung"
    );
    tmux.send(&["Escape"]);
    tmux.wait_for("Protocols (1/2)");
}
