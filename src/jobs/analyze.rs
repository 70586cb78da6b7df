//! Running a provider over a stored protocol: the analysis row moves
//! pending → running → completed (scores, results, suggestions, all in one
//! transaction) or failed (with a readable message). The earlier
//! suggestions' decisions carry over to the findings made again, in the
//! same transaction (see `carry`).

use std::collections::BTreeMap;

use super::carry::{self, CarryReport};
use crate::analysis::GuidelineChoice;
use crate::analysis::provider::{self, Input};
use crate::store::analyses::{self, Analysis, Completion, NewAnalysis};
use crate::store::suggestions::{self, NewSuggestion};
use crate::store::{ProtocolStatus, Store, StoreError, SuggestionType, protocols};

#[derive(Clone, Debug)]
pub struct Request {
    pub protocol_id: String,
    pub provider: String,
    pub guideline: GuidelineChoice,
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error("unknown provider '{0}': choose one of {names}", names = provider::NAMES.join(", "))]
    UnknownProvider(String),
    #[error("protocol {id} is {status}, not ready: {hint}")]
    NotReady {
        id: String,
        status: ProtocolStatus,
        hint: &'static str,
    },
    #[error("analysis {id} failed: {message}")]
    Failed { id: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A finished analysis and how many suggestions of each type it made.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub analysis: Analysis,
    pub counts: BTreeMap<SuggestionType, usize>,
    /// What happened to the earlier analyses' decisions.
    pub carry: CarryReport,
    pub seconds: f64,
}

pub fn run(store: &Store, request: &Request) -> Result<Outcome, AnalyzeError> {
    let started = std::time::Instant::now();
    let provider = provider::by_name(&request.provider)
        .ok_or_else(|| AnalyzeError::UnknownProvider(request.provider.clone()))?;
    let protocol = store.read(|conn| protocols::get(conn, &request.protocol_id))?;
    if protocol.status != ProtocolStatus::Ready {
        return Err(AnalyzeError::NotReady {
            id: protocol.id.clone(),
            status: protocol.status,
            hint: match protocol.status {
                ProtocolStatus::Processing => "its import has not finished; try again shortly",
                _ => "its import failed; import the document again",
            },
        });
    }
    let pending = store.write(|tx| {
        analyses::create(
            tx,
            &NewAnalysis {
                protocol_id: protocol.id.clone(),
                provider: provider.name().to_owned(),
                analysis_type: "comprehensive".to_owned(),
            },
        )
    })?;
    store.write(|tx| analyses::start(tx, &pending.id))?;

    let input = Input {
        title: &protocol.title,
        text: &protocol.content,
        guideline: request.guideline,
    };
    // A provider that panics must not take the caller (or a worker thread)
    // down with it, nor leave the analysis running forever.
    let result = crate::panics::catch(|| provider.analyse(&input)).unwrap_or_else(|what| {
        Err(provider::ProviderError(format!(
            "the analyzer stopped unexpectedly ({what})"
        )))
    });
    let output = match result {
        Ok(output) => output,
        Err(e) => {
            store.write(|tx| analyses::fail(tx, &pending.id, &e.0))?;
            return Err(AnalyzeError::Failed {
                id: pending.id,
                message: e.0,
            });
        }
    };
    let mut counts = BTreeMap::new();
    let fresh: Vec<NewSuggestion> = output
        .suggestions
        .iter()
        .map(|s| {
            *counts.entry(s.kind).or_insert(0) += 1;
            NewSuggestion {
                section: s.section.clone(),
                kind: s.kind,
                content: s.content.clone(),
                confidence: s.confidence.clamp(0.0, 1.0),
                priority: s.priority,
                guideline_reference: s.guideline_reference.clone(),
                rationale: Some(s.rationale.clone()),
                finding_key: Some(s.key.clone()),
                suggested_text: s.suggested_text.clone(),
                carried: None,
            }
        })
        .collect();
    // Read the earlier decisions and write the new analysis in one
    // transaction: a decision made meanwhile elsewhere is either seen here
    // and carried, or waits and then lands on a superseded suggestion,
    // which it is refused (and told where to go instead).
    let (analysis, carried) = store.write(|tx| {
        let earlier = suggestions::live_for_protocol(tx, &protocol.id)?;
        let (plan, report) = carry::carry(&earlier, fresh);
        suggestions::insert_many(tx, &pending.id, &plan)?;
        let analysis = analyses::complete(
            tx,
            &pending.id,
            &Completion {
                results: output.results.clone(),
                overall_score: output.overall_score,
                consort_score: output.consort_score,
                spirit_score: output.spirit_score,
            },
        )?;
        Ok((analysis, report))
    })?;
    Ok(Outcome {
        analysis,
        counts,
        carry: carried,
        seconds: started.elapsed().as_secs_f64(),
    })
}
