//! Analysis providers behind one small interface, so that others (an LLM
//! endpoint, an external command) can be added without touching the store
//! or the interface. `builtin` works offline and deterministically.

use serde_json::Value;

use super::{GuidelineChoice, Suggestion};

/// What a provider is given.
pub struct Input<'a> {
    pub title: &'a str,
    pub text: &'a str,
    pub guideline: GuidelineChoice,
}

/// What a provider returns: the analysis row's scores and results, and its suggestions.
#[derive(Clone, Debug)]
pub struct Output {
    pub overall_score: Option<f64>,
    pub spirit_score: Option<f64>,
    pub consort_score: Option<f64>,
    pub results: Value,
    pub suggestions: Vec<Suggestion>,
}

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProviderError(pub String);

pub trait Provider: Send + Sync {
    fn name(&self) -> &'static str;
    fn analyse(&self, input: &Input<'_>) -> Result<Output, ProviderError>;
}

/// The offline, rule-based analyzer.
pub struct Builtin;

impl Provider for Builtin {
    fn name(&self) -> &'static str {
        "builtin"
    }

    fn analyse(&self, input: &Input<'_>) -> Result<Output, ProviderError> {
        let analysis = super::analyse(input.text, input.guideline);
        Ok(Output {
            overall_score: Some(analysis.scores.overall),
            spirit_score: analysis.scores.spirit,
            consort_score: analysis.scores.consort,
            results: analysis.results_json(),
            suggestions: analysis.suggestions,
        })
    }
}

/// The providers this build knows, by name.
pub const NAMES: &[&str] = &["builtin"];

pub fn by_name(name: &str) -> Option<Box<dyn Provider>> {
    match name {
        "builtin" => Some(Box::new(Builtin)),
        _ => None,
    }
}
