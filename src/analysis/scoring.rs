//! Scores from verdicts and findings, with the parameters in
//! `assets/scoring.toml`.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::checklist::Guideline;
use super::design::DocumentKind;
use super::items::{Status, Verdict};
use super::quality::{Check, Finding};

const SCORING_TOML: &str = include_str!("../../assets/scoring.toml");

#[derive(Deserialize)]
pub struct Parameters {
    pub credit: Credit,
    pub overall: Overall,
    pub quality: HashMap<String, f64>,
}

#[derive(Deserialize)]
pub struct Credit {
    pub addressed: f64,
    pub partial: f64,
    pub missing: f64,
}

#[derive(Deserialize)]
pub struct Overall {
    pub primary: f64,
    pub secondary: f64,
    pub quality: f64,
}

pub fn parameters() -> &'static Parameters {
    static P: OnceLock<Parameters> = OnceLock::new();
    P.get_or_init(|| {
        toml::from_str(SCORING_TOML).unwrap_or_else(|e| panic!("assets/scoring.toml: {e}"))
    })
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Scores {
    pub spirit: Option<f64>,
    pub consort: Option<f64>,
    pub quality: f64,
    pub overall: f64,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Weighted percentage of the guideline's applicable items; `None` when
/// none applies.
pub fn guideline_score(verdicts: &[Verdict], guideline: Guideline) -> Option<f64> {
    let p = parameters();
    let (mut earned, mut possible) = (0.0, 0.0);
    for v in verdicts.iter().filter(|v| v.item.guideline == guideline) {
        let credit = match v.status {
            Status::Addressed => p.credit.addressed,
            Status::Partial => p.credit.partial,
            Status::Missing => p.credit.missing,
            Status::NotApplicable => continue,
        };
        let w = f64::from(v.item.weight);
        earned += w * credit;
        possible += w;
    }
    (possible > 0.0).then(|| round1(100.0 * earned / possible))
}

pub fn quality_score(findings: &[Finding]) -> f64 {
    let p = parameters();
    let mut penalty = 0.0;
    for check in [
        Check::Placeholder,
        Check::RegistryId,
        Check::Abbreviation,
        Check::Inconsistency,
        Check::EmptySection,
    ] {
        let name = check.as_str();
        let each = p.quality.get(name).copied().unwrap_or(0.0);
        let cap = p
            .quality
            .get(&format!("{name}_cap"))
            .copied()
            .unwrap_or(f64::MAX);
        let count: usize = findings
            .iter()
            .filter(|f| f.check == check)
            .map(|f| f.count)
            .sum();
        penalty += (each * count as f64).min(cap);
    }
    round1((100.0 - penalty).max(0.0))
}

pub fn score(verdicts: &[Verdict], findings: &[Finding], kind: DocumentKind) -> Scores {
    let spirit = guideline_score(verdicts, Guideline::Spirit);
    let consort = guideline_score(verdicts, Guideline::Consort);
    let quality = quality_score(findings);
    let o = &parameters().overall;
    let (primary, secondary) = match kind {
        DocumentKind::Protocol => (spirit, consort),
        DocumentKind::Report => (consort, spirit),
    };
    let overall = match (primary, secondary) {
        (Some(p), Some(s)) => o.primary * p + o.secondary * s + o.quality * quality,
        (Some(p), None) => (o.primary + o.secondary) * p + o.quality * quality,
        (None, Some(s)) => (o.primary + o.secondary) * s + o.quality * quality,
        (None, None) => quality,
    };
    Scores {
        spirit,
        consort,
        quality,
        overall: round1(overall),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overall_weights_add_up_to_one() {
        let o = &parameters().overall;
        assert!((o.primary + o.secondary + o.quality - 1.0).abs() < 1e-9);
    }

    #[test]
    fn no_findings_is_full_quality() {
        assert_eq!(quality_score(&[]), 100.0);
    }
}
