//! A reviewer's decisions belong to the protocol: they survive analysing
//! again, `apply` writes the reviewer's wording (never the tool's
//! commentary) where it belongs, once, and refuses placeholders unless
//! told. Through the real binary, on the backend the run asks for.

mod common;

use common::{Sandbox, assert_error};
use serde_json::Value;

/// The protocol's current review queue, in review order.
fn queue(s: &Sandbox, id: &str) -> Vec<Value> {
    let out = s.ok(&["suggestions", id, "--json"]);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn by_key<'a>(queue: &'a [Value], key: &str) -> &'a Value {
    queue
        .iter()
        .find(|s| s["finding_key"] == key)
        .unwrap_or_else(|| panic!("no suggestion with key {key}"))
}

fn id_of(queue: &[Value], key: &str) -> String {
    by_key(queue, key)["id"].as_str().unwrap().to_owned()
}

/// The protocol's text now, as `show --content` gives it.
fn latest_text(s: &Sandbox, id: &str) -> String {
    let shown: Value = serde_json::from_str(&s.ok(&["show", id, "--json", "--content"])).unwrap();
    shown["content"].as_str().expect("the text").to_owned()
}

const ETHICS: &str = "SPIRIT 2013 item 24: missing";
const RESULTS: &str = "SPIRIT 2013 item 31a: missing";
const SPONSOR_ROLE: &str = "SPIRIT 2013 item 5c: missing";
const STATISTICS: &str = "SPIRIT 2013 item 20a: missing";
const WORDING: &str =
    "Sleep efficiency at 8 weeks will be compared between the groups by linear regression.";

/// The poor sample, analysed, with two accepted, one rejected and one
/// modified: the issue's own scenario.
fn decided(s: &Sandbox) -> String {
    let id = s.import_fixture("poor-cbt-insomnia.md");
    s.ok(&["analyze", &id]);
    let q = queue(s, &id);
    s.ok(&["review", &id_of(&q, ETHICS), "accept"]);
    s.ok(&[
        "review",
        &id_of(&q, RESULTS),
        "accept",
        "--comment",
        "agreed",
    ]);
    s.ok(&["review", &id_of(&q, SPONSOR_ROLE), "reject"]);
    s.ok(&[
        "review",
        &id_of(&q, STATISTICS),
        "modify",
        "--content",
        WORDING,
    ]);
    id
}

#[test]
fn analysing_again_carries_every_decision_to_the_same_findings() {
    let s = Sandbox::new();
    let id = decided(&s);
    let before = queue(&s, &id);
    let out = s.ok(&["analyze", &id]);
    assert!(out.contains("4 earlier decisions carried over"), "{out}");
    let after = queue(&s, &id);
    assert_ne!(before[0]["analysis_id"], after[0]["analysis_id"]);
    for (key, status) in [
        (ETHICS, "accepted"),
        (RESULTS, "accepted"),
        (SPONSOR_ROLE, "rejected"),
        (STATISTICS, "modified"),
    ] {
        let old = by_key(&before, key);
        let new = by_key(&after, key);
        assert_eq!(new["status"], status, "{key}");
        assert_eq!(new["carried_from"], old["id"], "{key}");
        assert_eq!(new["user_comment"], old["user_comment"], "{key}");
        assert_eq!(new["modified_content"], old["modified_content"], "{key}");
    }
    assert_eq!(by_key(&after, RESULTS)["user_comment"], "agreed");
    assert_eq!(by_key(&after, STATISTICS)["modified_content"], WORDING);
    let decided = after.iter().filter(|s| s["status"] != "pending").count();
    assert_eq!(decided, 4, "nothing else changed status");
}

#[test]
fn a_decision_on_a_carried_over_suggestion_points_to_its_successor() {
    let s = Sandbox::new();
    let id = decided(&s);
    let old = id_of(&queue(&s, &id), ETHICS);
    s.ok(&["analyze", &id]);
    let new = id_of(&queue(&s, &id), ETHICS);
    let out = s.run(&["review", &old, "reject"]);
    assert_error(&out, &format!("decide on {new}"));
    assert_eq!(by_key(&queue(&s, &id), ETHICS)["status"], "accepted");
}

#[test]
fn apply_writes_the_reviewers_wording_and_never_the_finding() {
    let s = Sandbox::new();
    let id = decided(&s);
    s.ok(&["analyze", &id]);
    let q = queue(&s, &id);
    let out = s.ok(&["apply", &id, "--allow-placeholders"]);
    assert!(out.contains("applied 3 suggestions"), "{out}");
    let text = latest_text(&s, &id);
    assert!(text.contains(WORDING), "{text}");
    for key in [ETHICS, RESULTS] {
        let wording = by_key(&q, key)["suggested_text"].as_str().unwrap();
        assert!(text.contains(wording), "{key} wording missing:\n{text}");
    }
    for finding in [ETHICS, RESULTS, STATISTICS, SPONSOR_ROLE] {
        let content = by_key(&q, finding)["content"].as_str().unwrap();
        assert!(!text.contains(content), "finding text written:\n{text}");
    }
    assert!(!text.contains("Suggested text"), "{text}");
    assert!(!text.contains("is not addressed"), "{text}");
    let rejected = by_key(&q, SPONSOR_ROLE)["suggested_text"].as_str().unwrap();
    assert!(
        !text.contains(rejected),
        "a rejected suggestion was applied"
    );
}

#[test]
fn apply_fills_an_empty_section_instead_of_adding_another() {
    let s = Sandbox::new();
    let id = decided(&s);
    s.ok(&["apply", &id, "--allow-placeholders"]);
    let text = latest_text(&s, &id);
    assert_eq!(text.matches("Statistical analysis").count(), 1, "{text}");
    assert!(
        text.contains(&format!(
            "## Statistical analysis\n\n{WORDING}\n\n## Ethics"
        )),
        "{text}"
    );
    // Each piece of wording is a paragraph of its own.
    let results = by_key(&queue(&s, &id), RESULTS)["suggested_text"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(text.contains(&format!("\n\n{results}\n")), "{text}");
}

#[test]
fn apply_lists_placeholders_and_writes_nothing_unless_allowed() {
    let s = Sandbox::new();
    let id = decided(&s);
    let before = s.counts();
    let out = s.run(&["apply", &id]);
    assert_error(&out, "placeholders");
    let err = common::stderr(&out);
    assert!(err.contains("(SPIRIT 2013 item 24)"), "{err}");
    assert!(err.contains("--allow-placeholders"), "{err}");
    assert_eq!(s.counts(), before);
    assert!(!latest_text(&s, &id).contains(WORDING));
    // Reworded without placeholders, the same decisions apply.
    let q = queue(&s, &id);
    for key in [ETHICS, RESULTS] {
        s.ok(&[
            "review",
            &id_of(&q, key),
            "modify",
            "--content",
            &format!("Plain words for {key}."),
        ]);
    }
    s.ok(&["apply", &id]);
    assert_eq!(s.counts().versions, before.versions + 1);
}

#[test]
fn nothing_is_applied_twice_across_analyses() {
    let s = Sandbox::new();
    let id = decided(&s);
    s.ok(&["apply", &id, "--allow-placeholders"]);
    s.ok(&["analyze", &id]);
    let out = s.run(&["apply", &id, "--allow-placeholders"]);
    assert_error(&out, "nothing new to apply");
    assert_eq!(latest_text(&s, &id).matches(WORDING).count(), 1);
}

#[test]
fn accepted_wording_not_yet_applied_survives_an_analysis_that_no_longer_finds_it() {
    let s = Sandbox::new();
    let id = decided(&s);
    // Judged as a trial report, none of the SPIRIT findings is made again.
    s.ok(&["analyze", &id, "--guideline", "consort"]);
    let q = queue(&s, &id);
    let kept = by_key(&q, STATISTICS);
    assert_eq!(kept["status"], "modified");
    assert_eq!(kept["modified_content"], WORDING);
    assert!(by_key(&q, ETHICS)["status"] == "accepted");
    assert!(
        q.iter().all(|s| s["finding_key"] != SPONSOR_ROLE),
        "rejected and gone: not kept"
    );
    s.ok(&["apply", &id, "--allow-placeholders"]);
    assert_eq!(latest_text(&s, &id).matches(WORDING).count(), 1);
}

#[test]
fn a_decision_made_on_an_older_analysis_is_applied_too() {
    let s = Sandbox::new();
    let id = s.import_fixture("poor-cbt-insomnia.md");
    s.ok(&["analyze", &id, "--guideline", "consort"]);
    let old = queue(&s, &id);
    s.ok(&["analyze", &id]);
    // The CONSORT finding is not made by the SPIRIT analysis, so the old
    // suggestion is still the finding's own; decide on it there.
    let target = old
        .iter()
        .find(|s| {
            s["finding_key"]
                .as_str()
                .unwrap()
                .starts_with("CONSORT 2010 item")
        })
        .unwrap();
    s.ok(&[
        "review",
        target["id"].as_str().unwrap(),
        "modify",
        "--content",
        "Kept from CONSORT.",
    ]);
    s.ok(&["apply", &id]);
    assert!(latest_text(&s, &id).contains("Kept from CONSORT."));
}

#[test]
fn the_queue_puts_critical_first_then_priority_then_confidence() {
    let s = Sandbox::new();
    let id = s.import_fixture("poor-cbt-insomnia.md");
    s.ok(&["analyze", &id]);
    let rank = |s: &Value| {
        let critical = if s["type"] == "critical" { 0 } else { 1 };
        let priority = match s["priority"].as_str().unwrap() {
            "high" => 0,
            "medium" => 1,
            _ => 2,
        };
        (
            critical,
            priority,
            -(s["confidence"].as_f64().unwrap() * 1000.0) as i64,
        )
    };
    let q = queue(&s, &id);
    let ranks: Vec<_> = q.iter().map(rank).collect();
    let mut sorted = ranks.clone();
    sorted.sort();
    assert_eq!(ranks, sorted);
    // A malformed registry id (style, high) comes before low-priority gaps.
    let registry = q
        .iter()
        .position(|s| {
            s["finding_key"]
                .as_str()
                .unwrap()
                .starts_with("registry_id")
        })
        .unwrap();
    let first_low = q.iter().position(|s| s["priority"] == "low").unwrap();
    assert!(registry < first_low);
    // The help says the same order, as the store defines it.
    let help = s.ok(&["suggestions", "--help"]);
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let order = protoscribe::store::suggestions::REVIEW_ORDER_TEXT;
    assert!(help.contains(order), "{help}");
}

#[test]
fn a_stale_revision_is_refused_and_changes_nothing() {
    let s = Sandbox::new();
    let id = s.import_fixture("poor-cbt-insomnia.md");
    s.ok(&["analyze", &id]);
    let first = &queue(&s, &id)[0];
    let sid = first["id"].as_str().unwrap();
    let revision = first["revision"].as_i64().unwrap().to_string();
    s.ok(&["review", sid, "accept", "--revision", &revision]);
    let out = s.run(&["review", sid, "reject", "--revision", &revision]);
    assert_error(&out, "changed elsewhere");
    assert_eq!(queue(&s, &id)[0]["status"], "accepted");
}
