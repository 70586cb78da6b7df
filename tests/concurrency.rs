//! Several processes writing one store at once: they wait for each other
//! (busy timeout, BEGIN IMMEDIATE) and nobody sees "database is locked".

mod common;

use common::{Sandbox, stderr};

#[test]
fn two_processes_importing_at_once_both_succeed_and_lose_nothing() {
    let s = Sandbox::new();
    // The store exists before the reader starts polling it.
    s.import("seed.txt", common::PROTOCOL);
    let files: Vec<Vec<String>> = (0..2)
        .map(|p| {
            (0..40)
                .map(|i| {
                    let text = format!(
                        "# Trial {p}-{i}\n\n{}\n",
                        "Participants will be randomised. ".repeat(200)
                    );
                    s.write(&format!("p{p}-{i}.txt"), text)
                        .display()
                        .to_string()
                })
                .collect()
        })
        .collect();
    let children: Vec<_> = files
        .iter()
        .map(|batch| {
            s.command()
                .arg("import")
                .args(batch)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    // A reader polling the dashboard meanwhile must not fail either.
    for _ in 0..20 {
        let out = s.run(&["dashboard", "--json"]);
        assert!(out.status.success(), "reader: {}", stderr(&out));
    }
    for child in children {
        let out = child.wait_with_output().expect("wait");
        let err = stderr(&out);
        assert!(out.status.success(), "writer failed: {err}");
        assert!(!err.contains("locked") && !err.contains("busy"), "{err}");
        assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 40);
    }
    let c = s.counts();
    assert_eq!((c.protocols, c.versions), (81, 81));
}
