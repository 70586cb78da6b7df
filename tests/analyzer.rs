//! The builtin analyzer judged against annotated protocols, item by item,
//! and its promises: deterministic, quality checks that fire, suggestions
//! with the seed's fields, and no panic or hang on hostile text.

use std::collections::BTreeMap;

use protoscribe::analysis::items::Status;
use protoscribe::analysis::{self, Analysis, GuidelineChoice, design::DocumentKind};
use protoscribe::vocab::SuggestionType;

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).expect("fixture")
}

/// `item -> Some(present)` or `None` for not applicable.
fn labels(name: &str) -> BTreeMap<String, Option<bool>> {
    fixture(name)
        .lines()
        .skip(1)
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let present = match cols[2] {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            };
            (cols[1].to_owned(), present)
        })
        .collect()
}

/// The SPIRIT verdicts must agree with the annotation (found = addressed
/// or partial when present; missing or not applicable when absent) on at
/// least `share` of the items. The fixtures are not in the corpus the
/// weights were learned from, so this is a check on unseen text, not a
/// replay of it.
fn assert_agrees_with_labels(text_name: &str, labels_name: &str, share: f64) -> Analysis {
    let analysis = analysis::analyse(&fixture(text_name), GuidelineChoice::Auto);
    let labels = labels(labels_name);
    assert_eq!(labels.len(), 51, "{labels_name} labels every SPIRIT item");
    let mut wrong = Vec::new();
    for r in analysis
        .items
        .iter()
        .filter(|r| r.guideline == "SPIRIT 2013")
    {
        let expected = labels[&r.item];
        let found = matches!(r.status, Status::Addressed | Status::Partial);
        if found != (expected == Some(true)) {
            wrong.push(format!(
                "item {} expected {expected:?}, got {:?}",
                r.item, r.status
            ));
        }
    }
    let agreed = 1.0 - wrong.len() as f64 / labels.len() as f64;
    assert!(
        agreed >= share,
        "{text_name}: {agreed:.2} agreed\n{}",
        wrong.join("\n")
    );
    analysis
}

#[test]
fn the_complete_protocol_reports_nearly_every_spirit_item() {
    let a = assert_agrees_with_labels(
        "complete-vitamin-d.md",
        "complete-vitamin-d.labels.tsv",
        0.88,
    );
    assert!(a.scores.spirit.unwrap() >= 80.0, "{:?}", a.scores);
}

#[test]
fn the_partial_protocol_is_judged_item_by_item() {
    let a = assert_agrees_with_labels(
        "partial-knee-exercise.txt",
        "partial-knee-exercise.labels.tsv",
        0.88,
    );
    let spirit = a.scores.spirit.unwrap();
    assert!((30.0..75.0).contains(&spirit), "{spirit}");
}

#[test]
fn the_poor_protocol_is_judged_item_by_item() {
    let a = assert_agrees_with_labels("poor-cbt-insomnia.md", "poor-cbt-insomnia.labels.tsv", 0.88);
    assert!(a.scores.spirit.unwrap() < 40.0, "{:?}", a.scores);
    assert!(
        !a.design.randomised,
        "a single-group plan: allocation items do not apply"
    );
}

#[test]
fn scores_order_the_protocols_by_quality() {
    let score = |name| {
        analysis::analyse(&fixture(name), GuidelineChoice::Auto)
            .scores
            .overall
    };
    let (good, partial, poor) = (
        score("complete-vitamin-d.md"),
        score("partial-knee-exercise.txt"),
        score("poor-cbt-insomnia.md"),
    );
    assert!(
        good > partial && partial > poor,
        "{good} > {partial} > {poor}"
    );
}

#[test]
fn the_same_text_gives_the_same_result_to_the_decimal() {
    let text = fixture("partial-knee-exercise.txt");
    let a = analysis::analyse(&text, GuidelineChoice::Auto);
    let b = analysis::analyse(&text, GuidelineChoice::Auto);
    assert_eq!(a.results_json(), b.results_json());
    assert_eq!(a.suggestions, b.suggestions);
    assert_eq!(a.scores.overall, (a.scores.overall * 10.0).round() / 10.0);
}

#[test]
fn every_quality_check_fires_on_the_poor_protocol() {
    let a = analysis::analyse(&fixture("poor-cbt-insomnia.md"), GuidelineChoice::Auto);
    let checks: Vec<&str> = a.quality.iter().map(|q| q.check).collect();
    for check in [
        "placeholder",
        "registry_id",
        "inconsistency",
        "empty_section",
        "abbreviation",
    ] {
        assert!(checks.contains(&check), "{check} missing from {checks:?}");
    }
    let registry = a.quality.iter().find(|q| q.check == "registry_id").unwrap();
    assert!(registry.message.contains("NCT123456"));
    let sizes = a
        .quality
        .iter()
        .find(|q| q.check == "inconsistency")
        .unwrap();
    assert!(
        sizes.message.contains("120") && sizes.message.contains("80"),
        "{}",
        sizes.message
    );
    assert!(a.scores.quality < 100.0);
}

#[test]
fn evidence_quotes_are_the_text_at_their_character_offsets() {
    for name in [
        "complete-vitamin-d.md",
        "partial-knee-exercise.txt",
        "poor-cbt-insomnia.md",
    ] {
        let text = fixture(name);
        let chars: Vec<char> = text.chars().collect();
        let a = analysis::analyse(&text, GuidelineChoice::Auto);
        let mut quotes = 0;
        for e in a.items.iter().flat_map(|r| &r.evidence) {
            let span: String = chars[e.start..e.end].iter().collect();
            assert_eq!(span, e.quote, "{name}");
            quotes += 1;
        }
        assert!(quotes > 10, "{name}: {quotes} quotes");
    }
    let text = fixture("complete-vitamin-d.md");
    let a = analysis::analyse(&text, GuidelineChoice::Auto);
    let concealment = item(&a, "SPIRIT 2013", "16b");
    assert!(
        concealment
            .evidence
            .iter()
            .any(|e| e.quote.to_lowercase().contains("conceal")
                || e.quote.to_lowercase().contains("envelope")),
        "{:?}",
        concealment.evidence
    );
}

#[test]
fn evidence_offsets_count_characters_after_non_ascii_text() {
    let text = format!(
        "# Étude randomisée: vitamine D ({}) \n\n## Allocation concealment\nAllocation will be concealed using sequentially numbered, opaque, sealed envelopes prepared by an independent statistician.\n",
        "é".repeat(300)
    );
    let a = analysis::analyse(&text, GuidelineChoice::Spirit);
    let chars: Vec<char> = text.chars().collect();
    for e in a.items.iter().flat_map(|r| &r.evidence) {
        let span: String = chars[e.start..e.end].iter().collect();
        assert_eq!(span, e.quote);
    }
}

fn item<'a>(a: &'a Analysis, guideline: &str, id: &str) -> &'a protoscribe::analysis::ItemResult {
    a.items
        .iter()
        .find(|r| r.guideline == guideline && r.item == id)
        .unwrap_or_else(|| panic!("{guideline} {id}"))
}

#[test]
fn suggestions_carry_the_seeds_fields_and_the_protocols_own_words() {
    let a = analysis::analyse(&fixture("partial-knee-exercise.txt"), GuidelineChoice::Auto);
    assert!(!a.suggestions.is_empty());
    let reference = regex::Regex::new(r"^(SPIRIT 2013|CONSORT 2010) item \d{1,2}[a-d]?$").unwrap();
    for s in &a.suggestions {
        assert!(
            !s.section.is_empty() && s.section.chars().count() <= 100,
            "{s:?}"
        );
        assert!((0.0..=1.0).contains(&s.confidence));
        assert!(!s.content.is_empty() && !s.rationale.is_empty());
        if let Some(r) = &s.guideline_reference {
            assert!(reference.is_match(r), "{r}");
        }
    }
    let concealment = a
        .suggestions
        .iter()
        .find(|s| s.guideline_reference.as_deref() == Some("SPIRIT 2013 item 16b"))
        .expect("allocation concealment is missing");
    assert_eq!(concealment.kind, SuggestionType::Critical);
    // The protocol's own title feeds the suggested title.
    let title = a
        .suggestions
        .iter()
        .find(|s| s.guideline_reference.as_deref() == Some("SPIRIT 2013 item 1"))
        .expect("the title lacks the design");
    assert!(
        title
            .content
            .contains("Supervised exercise therapy for people with knee osteoarthritis"),
        "{}",
        title.content
    );
    let sample = a
        .suggestions
        .iter()
        .find(|s| s.guideline_reference.as_deref() == Some("SPIRIT 2013 item 14"))
        .expect("sample size lacks its assumptions");
    assert!(sample.content.contains("power"), "{}", sample.content);
}

#[test]
fn a_heading_with_nothing_under_it_is_not_addressed() {
    let text = "# A randomised trial\n\n## Sample size\n\n## Ethics\nApproved by the North Research Ethics Committee.\n";
    let a = analysis::analyse(text, GuidelineChoice::Auto);
    assert_eq!(item(&a, "SPIRIT 2013", "14").status, Status::Missing);
    let s = a
        .suggestions
        .iter()
        .find(|s| s.key == "SPIRIT 2013 item 14: missing")
        .expect("a suggestion for the sample size");
    assert_eq!(
        s.section, "Sample size",
        "the text belongs under its empty heading"
    );
}

#[test]
fn a_requirement_named_only_by_an_empty_subheading_is_not_met() {
    // "Inclusion criteria" over no criteria names the requirement; it does
    // not meet it, so eligibility is partial and says what is missing.
    let text = "# A randomised trial of exercise\n\n## Eligibility\n\n### Inclusion criteria\n\n### Exclusion criteria\nPeople with acute intoxication or a planned knee operation are excluded from the trial.\n";
    let a = analysis::analyse(text, GuidelineChoice::Spirit);
    let eligibility = item(&a, "SPIRIT 2013", "10");
    assert_eq!(eligibility.status, Status::Partial);
    assert_eq!(eligibility.missing, ["inclusion criteria"]);
    // With criteria under it, the same heading meets the requirement.
    let text = text.replace(
        "### Inclusion criteria\n\n",
        "### Inclusion criteria\nAdults aged 50 or over with knee pain for at least three months.\n\n",
    );
    let a = analysis::analyse(&text, GuidelineChoice::Spirit);
    assert_eq!(item(&a, "SPIRIT 2013", "10").status, Status::Addressed);
}

#[test]
fn a_heading_with_only_placeholders_under_it_is_missing() {
    let text = "# A randomised trial of exercise\n\n## Sample size\n[TBD]\n\n## Allocation concealment\nXXX to be confirmed\n\n## Ethics\nApproved by the North Research Ethics Committee on 3 May 2024.\n";
    let a = analysis::analyse(text, GuidelineChoice::Spirit);
    for id in ["14", "16b"] {
        assert_eq!(item(&a, "SPIRIT 2013", id).status, Status::Missing, "{id}");
    }
}

#[test]
fn a_template_draft_that_names_its_design_under_a_title_heading_is_judged_randomised() {
    // The title sits under a "### Title" heading, as SPIRIT templates have
    // it; the allocation sections are still empty, so they are missing
    // (gaps to fill), not "not applicable" to an unrandomised trial.
    let text = "# Draft protocol: EMHIP\n\n## Administrative information\n\n### Title\nEarly mobilisation after hip fracture surgery: a randomised controlled trial (EMHIP)\n\n### Trial registration\n[TBD]\n\n## Methods: Assignment of interventions\n\n### Sequence generation\n[TBD]\n\n### Allocation concealment mechanism\n\n### Blinding (masking)\n____\n";
    let a = analysis::analyse(text, GuidelineChoice::Spirit);
    for id in ["16a", "16b", "16c"] {
        assert_eq!(item(&a, "SPIRIT 2013", id).status, Status::Missing, "{id}");
    }
}

/// A draft made from a template: every heading there, nothing under them.
#[test]
fn a_template_draft_with_empty_sections_reports_nothing() {
    let headings = [
        "Trial registration",
        "Protocol version",
        "Funding",
        "Roles and responsibilities",
        "Background and rationale",
        "Objectives",
        "Trial design",
        "Study setting",
        "Eligibility criteria",
        "Interventions",
        "Outcomes",
        "Participant timeline",
        "Sample size",
        "Recruitment",
        "Sequence generation",
        "Allocation concealment",
        "Implementation",
        "Blinding",
        "Data collection methods",
        "Data management",
        "Statistical methods",
        "Data monitoring",
        "Harms",
        "Auditing",
        "Research ethics approval",
        "Protocol amendments",
        "Consent or assent",
        "Confidentiality",
        "Declaration of interests",
        "Access to data",
        "Ancillary and post-trial care",
        "Dissemination policy",
    ];
    let mut text = String::from("# Protocol template for a clinical trial\n\n");
    for (i, h) in headings.iter().enumerate() {
        let body = if i % 3 == 0 {
            "[Insert text here]\n"
        } else {
            ""
        };
        text.push_str(&format!("## {h}\n{body}\n"));
    }
    let a = analysis::analyse(&text, GuidelineChoice::Spirit);
    let reported: Vec<&str> = a
        .items
        .iter()
        .filter(|r| r.guideline == "SPIRIT 2013" && r.item != "1")
        .filter(|r| matches!(r.status, Status::Addressed | Status::Partial))
        .map(|r| r.item.as_str())
        .collect();
    assert!(
        reported.is_empty(),
        "reported from empty headings: {reported:?}"
    );
}

#[test]
fn a_deferral_to_another_document_is_partial_and_says_where_the_detail_goes() {
    let text = "# A randomised controlled trial of exercise for knee pain\n\n## Statistical methods\nThe statistical methods for the primary and secondary outcomes will be described in the statistical analysis plan.\n";
    let a = analysis::analyse(text, GuidelineChoice::Spirit);
    let methods = item(&a, "SPIRIT 2013", "20a");
    assert_eq!(
        methods.status,
        Status::Partial,
        "a deferral is not the detail"
    );
    assert_eq!(
        methods.deferred_to.as_deref(),
        Some("the statistical analysis plan")
    );
    let s = a
        .suggestions
        .iter()
        .find(|s| s.key == "SPIRIT 2013 item 20a: partial")
        .expect("a suggestion");
    assert!(
        s.content.contains("the statistical analysis plan"),
        "{}",
        s.content
    );
    assert!(
        s.content.contains("\"Statistical methods\""),
        "{}",
        s.content
    );
}

#[test]
fn the_same_statement_without_deferral_is_addressed() {
    let text = "# A randomised controlled trial of exercise for knee pain\n\n## Statistical methods\nThe primary outcome will be compared between groups using linear regression adjusted for baseline pain, by intention to treat, with a two-sided significance level of 5%.\n";
    let a = analysis::analyse(text, GuidelineChoice::Spirit);
    let methods = item(&a, "SPIRIT 2013", "20a");
    assert!(
        matches!(methods.status, Status::Addressed | Status::Partial),
        "{methods:?}"
    );
    assert_eq!(methods.deferred_to, None);
}

#[test]
fn a_negated_statement_still_reports_the_item() {
    // "Will not be blinded" says who is blinded: nobody. The item is
    // reported; the design then knows the trial is open.
    let text = "# An open-label randomised trial of exercise versus usual care\n\n## Blinding\nThis is an open-label trial: participants, physiotherapists and outcome assessors will not be blinded to the allocation, because the intervention is visible.\n";
    let a = analysis::analyse(text, GuidelineChoice::Spirit);
    let blinding = item(&a, "SPIRIT 2013", "17a");
    assert!(
        matches!(blinding.status, Status::Addressed | Status::Partial),
        "{blinding:?}"
    );
    assert!(!a.design.blinded);
}

#[test]
fn not_applicable_comes_from_the_design_with_its_reason() {
    let text = "# A single-arm phase II trial of sirolimus\n\n## Design\nThis is a single-arm, open-label study: all 40 participants receive sirolimus.\n";
    let a = analysis::analyse(text, GuidelineChoice::Spirit);
    let concealment = item(&a, "SPIRIT 2013", "16b");
    assert_eq!(concealment.status, Status::NotApplicable);
    assert_eq!(
        concealment.reason.as_deref(),
        Some("participants are not allocated at random")
    );
}

#[test]
fn other_trials_randomised_in_the_background_do_not_make_this_one_randomised() {
    // A single-group study whose background cites randomised trials, and
    // never says "single-arm": its own design is read from its own text.
    let text = "# Sirolimus for aplastic anaemia: a phase II study\n\n\
## Background\nIn an earlier randomised trial, 77 patients were randomized to ciclosporin with or without sirolimus; two further randomised studies of conversion were randomly allocated too.\n\n\
## Design\nAll 40 participants will receive sirolimus for six months and will be followed for two years.\n";
    let a = analysis::analyse(text, GuidelineChoice::Spirit);
    assert!(!a.design.randomised, "{:?}", a.design);
    assert_eq!(item(&a, "SPIRIT 2013", "16b").status, Status::NotApplicable);
}

#[test]
fn confidence_is_a_probability_and_reported_verdicts_cite_evidence() {
    let a = analysis::analyse(&fixture("complete-vitamin-d.md"), GuidelineChoice::Auto);
    for r in &a.items {
        assert!((0.0..=1.0).contains(&r.confidence), "{r:?}");
        if matches!(r.status, Status::Addressed | Status::Partial) {
            assert!(
                !r.evidence.is_empty(),
                "{} {} has no evidence",
                r.guideline,
                r.item
            );
        }
    }
}

const REPORT: &str = "# Vitamin D versus placebo for falls: a randomised controlled trial\n\n\
## Abstract\nBackground: falls are common. Methods: we randomised 700 adults. Results: falls fell. Conclusions: it works.\n\n\
## Methods\nParticipants were randomly assigned 1:1 using computer-generated permuted blocks.\n\n\
## Results\nOf 950 people screened, 700 were randomised (350 per group) and 680 were analysed. The rate ratio was 0.78 (95% CI 0.65 to 0.93). Baseline characteristics were similar (Table 1).\n\n\
## Discussion\nOur findings suggest benefit. A limitation is the open design, which may have introduced bias.\n";

#[test]
fn a_trial_report_is_judged_by_consort() {
    let a = analysis::analyse(REPORT, GuidelineChoice::Auto);
    assert_eq!(a.design.kind, DocumentKind::Report);
    assert_eq!(a.scores.spirit, None);
    let flow = a
        .items
        .iter()
        .find(|r| r.guideline == "CONSORT 2010" && r.item == "13a")
        .unwrap();
    assert_ne!(flow.status, Status::NotApplicable);
    assert!(a.suggestions.iter().all(|s| {
        s.guideline_reference
            .as_deref()
            .is_none_or(|r| !r.starts_with("SPIRIT"))
    }));
}

#[test]
fn the_guideline_can_be_forced() {
    let a = analysis::analyse(REPORT, GuidelineChoice::Spirit);
    assert_eq!(a.design.kind, DocumentKind::Protocol);
    assert!(a.scores.spirit.is_some());
    let results = a
        .items
        .iter()
        .find(|r| r.guideline == "CONSORT 2010" && r.item == "13a")
        .unwrap();
    assert_eq!(results.status, Status::NotApplicable);
}

#[test]
fn results_json_keeps_verdicts_weights_and_versions() {
    let a = analysis::analyse(&fixture("complete-vitamin-d.md"), GuidelineChoice::Auto);
    let r = a.results_json();
    assert_eq!(r["analyzer"], analysis::ANALYZER_VERSION);
    assert_eq!(r["guidelines"][0], "SPIRIT 2013");
    let items = r["items"].as_array().unwrap();
    assert_eq!(items.len(), 51 + 37);
    assert!(
        items
            .iter()
            .all(|i| i["weight"].as_u64().is_some() && i["status"].is_string())
    );
}

// ---- hostile input ----

fn survives(text: &str) {
    let a = analysis::analyse(text, GuidelineChoice::Auto);
    assert_eq!(a.items.len(), 51 + 37);
    assert!(a.suggestions.len() < 200);
    assert!((0.0..=100.0).contains(&a.scores.overall));
}

#[test]
fn empty_and_blank_text() {
    survives("");
    survives("   \n\n\t ");
}

#[test]
fn a_single_ten_megabyte_line() {
    survives(&"randomised sample size power NCT1 ".repeat(300_000));
}

#[test]
fn deeply_repeated_headings() {
    survives(&"# Sample size\n## Sample size\n1.1 Randomisation\nSTUDY DESIGN\n".repeat(20_000));
}

#[test]
fn text_that_is_all_numbers() {
    survives(&"1234567890 3.14 2024-01-01 12/12/12 ".repeat(50_000));
}

#[test]
fn hostile_shapes_for_every_detector() {
    survives(&"NCT NCT0 ISRCTN EudraCT 9999-999999-99 EU CT 2024- ( ) [insert ] ____ ?? TBD XXX (ABC) ABC ".repeat(5_000));
    survives(&"\u{1b}[2J\u{0}\u{7}é🙂\u{202e}".repeat(10_000));
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn random_bytes_decoded_lossily(bytes in proptest::collection::vec(any::<u8>(), 0..20_000)) {
            survives(&String::from_utf8_lossy(&bytes));
        }

        #[test]
        fn random_words_from_the_checklists_vocabulary(words in proptest::collection::vec(
            prop::sample::select(vec!["randomised", "sample size", "#", "##", "1.2", "\n", "\n\n", "blinded",
                "primary outcome", "at 12 months", "120 participants", ".", "NCT", "(ABC)", "ABC", "____",
                "ethics committee", "approved", "consent", "TABLE OF CONTENTS", "REFERENCES", "version 2.0"]),
            0..3_000)) {
            survives(&words.join(" "));
        }
    }
}
