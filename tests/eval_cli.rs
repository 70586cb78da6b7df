//! `protoscribe eval`: labelled documents measured from files alone, no
//! store touched, figures per split with not-applicable kept in the totals.

mod common;

use common::{FIXTURES, Sandbox};
use serde_json::Value;

/// A folder with two fixtures and their labels, one in each split.
fn corpus(s: &Sandbox) -> std::path::PathBuf {
    let dir = s.path("corpus");
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "complete-vitamin-d.md",
        "complete-vitamin-d.labels.tsv",
        "poor-cbt-insomnia.md",
        "poor-cbt-insomnia.labels.tsv",
    ] {
        std::fs::copy(format!("{FIXTURES}/{name}"), dir.join(name)).unwrap();
    }
    std::fs::write(
        dir.join("splits.tsv"),
        "complete-vitamin-d\tvalid\npoor-cbt-insomnia\ttrain\n",
    )
    .unwrap();
    dir
}

#[test]
fn eval_prints_the_figures_per_split_and_opens_no_store() {
    let s = Sandbox::new();
    let dir = corpus(&s);
    let out = s.ok(&["eval", dir.to_str().unwrap()]);
    assert!(out.contains("== split 'valid'"), "{out}");
    assert!(
        out.contains("== split 'train' (the weights were fitted to it"),
        "{out}"
    );
    for figure in [
        "micro F1",
        "macro F1",
        "gaps found",
        "accuracy",
        "calibration error",
    ] {
        assert!(out.contains(figure), "{figure}: {out}");
    }
    assert!(!s.has_store(), "eval must not create a store");
}

#[test]
fn eval_json_counts_every_labelled_item_including_not_applicable() {
    let s = Sandbox::new();
    let dir = corpus(&s);
    let out = s.ok(&["eval", dir.to_str().unwrap(), "--split", "train", "--json"]);
    let v: Value = serde_json::from_str(&out).unwrap();
    let groups = v["groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["split"], "train");
    assert_eq!(groups[0]["in_sample"], true);
    let spirit = &groups[0]["guidelines"][0];
    assert_eq!(spirit["guideline"], "SPIRIT 2013");
    // The poor fixture labels all 51 items, some of them na: none dropped.
    assert_eq!(spirit["verdicts"], 51);
    let t = (
        spirit["tp"].as_u64().unwrap(),
        spirit["fp"].as_u64().unwrap(),
        spirit["fn"].as_u64().unwrap(),
        spirit["tn"].as_u64().unwrap(),
    );
    assert_eq!(t.0 + t.1 + t.2 + t.3, 51);
    let ece = spirit["ece"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&ece));
}

#[test]
fn eval_refuses_a_folder_without_labelled_documents() {
    let s = Sandbox::new();
    let dir = s.path("empty");
    std::fs::create_dir_all(&dir).unwrap();
    let out = s.run(&["eval", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.starts_with("error:") && err.contains("labels.tsv"),
        "{err}"
    );
}

/// `eval` on a folder holding these files (name, text): it must fail;
/// its standard error is returned.
fn eval_refuses(files: &[(&str, &str)]) -> String {
    let s = Sandbox::new();
    let dir = s.path("folder");
    std::fs::create_dir_all(&dir).unwrap();
    for (name, text) in files {
        std::fs::write(dir.join(name), text).unwrap();
    }
    let out = s.run(&["eval", dir.to_str().unwrap()]);
    assert!(!out.status.success());
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const PROTOCOL: &str = "A randomised trial protocol.\n";

#[test]
fn eval_names_a_bad_label_with_its_line() {
    let err = eval_refuses(&[
        ("a.txt", PROTOCOL),
        (
            "a.labels.tsv",
            "guideline\titem\tpresent\nSPIRIT 2013\t16b\tmaybe\n",
        ),
    ]);
    assert!(err.contains("line 2") && err.contains("maybe"), "{err}");
}

#[test]
fn eval_refuses_a_labels_file_with_no_labels_beside_a_good_one() {
    // The document would otherwise drop out of the figures unnoticed.
    let err = eval_refuses(&[
        ("a.txt", PROTOCOL),
        ("b.txt", PROTOCOL),
        ("a.labels.tsv", "SPIRIT 2013\t16b\t1\n"),
        ("b.labels.tsv", "guideline\titem\tpresent\n"),
    ]);
    assert!(
        err.lines().count() == 1 && err.contains("b.labels.tsv") && err.contains("no labels"),
        "{err}"
    );
}

#[test]
fn eval_names_a_spans_file_whose_offsets_cannot_be_read() {
    let err = eval_refuses(&[
        ("a.txt", PROTOCOL),
        ("a.labels.tsv", "SPIRIT 2013\t16b\t1\n"),
        (
            "a.spans.tsv",
            "item\tfine_item\tstart\tend\ttext\n16b\t16e\t20\t-3\trandomised\n",
        ),
    ]);
    assert!(
        err.lines().count() == 1 && err.contains("a.spans.tsv: line 2"),
        "{err}"
    );
}
