//! Running a provider over a stored protocol. The analysis row is written
//! once the provider has answered, in one transaction with its scores,
//! results, suggestions and accounting (completed), or with the reason it
//! failed (failed): an analysis interrupted part-way (Ctrl-C, a kill)
//! leaves no row at all, never one stuck `running`. The earlier
//! suggestions' decisions carry over to the findings made again, in the
//! same transaction (see `carry`).
//!
//! A model provider (see `providers`) is tried first, then each of its
//! `fallback` providers in turn; one on another machine is refused unless
//! the user allowed it, before any byte is sent.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use serde_json::{Value, json};

use super::carry::{self, CarryReport};
use crate::analysis::GuidelineChoice;
use crate::analysis::provider::{self as builtin_provider, Input, Output, Provider};
use crate::providers::grounded::{self, AnswerCache, CacheKey, CachedAnswer, Progress};
use crate::providers::{self, CallError, Config, ProviderConfig};
use crate::store::analyses::{Analysis, Completion, NewAnalysis, Usage};
use crate::store::suggestions::NewSuggestion;
use crate::store::{ProtocolStatus, Store, StoreError, SuggestionType, provider_cache, time};

/// Reports a model analysis's progress (batches done, tokens, cost).
pub type ProgressFn = Arc<dyn Fn(&Progress) + Send + Sync>;

/// How providers other than `builtin` are found and may be used.
#[derive(Clone)]
pub struct Options {
    pub config: Arc<Config>,
    /// `--allow-remote`: the user allows sending this protocol off the
    /// machine, whatever the provider's `allow_remote`.
    pub allow_remote: bool,
    pub progress: Option<ProgressFn>,
    /// Set to stop a model analysis between requests (Esc in the interface).
    pub cancel: Arc<AtomicBool>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            config: Arc::new(Config::default()),
            allow_remote: false,
            progress: None,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }
}

impl std::fmt::Debug for Options {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Options")
            .field("providers", &self.config.names())
            .field("allow_remote", &self.allow_remote)
            .finish_non_exhaustive()
    }
}

#[derive(Clone, Debug)]
pub struct Request {
    pub protocol_id: String,
    pub provider: String,
    pub guideline: GuidelineChoice,
    pub options: Options,
}

impl Request {
    /// The builtin analyzer over one protocol.
    pub fn builtin(protocol_id: &str, guideline: GuidelineChoice) -> Request {
        Request {
            protocol_id: protocol_id.to_owned(),
            provider: "builtin".to_owned(),
            guideline,
            options: Options::default(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    #[error("unknown provider '{name}': choose one of {names} (providers are configured in {where_})", names = .known.join(", "))]
    UnknownProvider {
        name: String,
        known: Vec<String>,
        where_: String,
    },
    #[error(
        "provider '{provider}' is at {host}, not on this machine: the protocol would leave it. Set allow_remote = true in [providers.{provider}] or pass --allow-remote to send it"
    )]
    RemoteRefused { provider: String, host: String },
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

/// The store as the grounded analysis's answer cache. A cache that cannot
/// be read or written costs a call, never the analysis.
struct StoreCache<'a>(&'a Store);

impl AnswerCache for StoreCache<'_> {
    fn get(&self, key: &CacheKey) -> Option<CachedAnswer> {
        let k = provider_cache::Key {
            request_sha256: &key.request_sha256,
            provider: &key.provider,
            model: &key.model,
            prompt_version: &key.prompt_version,
        };
        self.0
            .read(|conn| conn.provider_cache_get(&k))
            .ok()
            .flatten()
            .map(|e| CachedAnswer {
                content: e.answer,
                input_tokens: e.input_tokens,
                output_tokens: e.output_tokens,
            })
    }

    fn put(&self, key: &CacheKey, answer: &CachedAnswer) {
        let k = provider_cache::Key {
            request_sha256: &key.request_sha256,
            provider: &key.provider,
            model: &key.model,
            prompt_version: &key.prompt_version,
        };
        let entry = provider_cache::Entry {
            answer: answer.content.clone(),
            input_tokens: answer.input_tokens,
            output_tokens: answer.output_tokens,
        };
        let _ = self.0.write(|tx| tx.provider_cache_put(&k, &entry));
    }
}

/// What one provider made of the text, ready to store.
struct Produced {
    provider: String,
    output: Output,
    usage: Usage,
}

/// A provider's failure, with what it had spent.
struct Attempt {
    provider: String,
    error: String,
}

fn unknown(name: &str, config: &Config) -> AnalyzeError {
    AnalyzeError::UnknownProvider {
        name: name.to_owned(),
        known: config.names(),
        where_: config
            .path
            .clone()
            .or_else(providers::config::default_path)
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "config.toml".to_owned()),
    }
}

/// Refuse a provider on another machine the user did not allow.
pub fn check_remote(config: &ProviderConfig, allow_remote: bool) -> Result<(), AnalyzeError> {
    if config.is_remote() && !config.allow_remote && !allow_remote {
        return Err(AnalyzeError::RemoteRefused {
            provider: config.name.clone(),
            host: providers::remote::host_of(&config.base_url).unwrap_or_default(),
        });
    }
    Ok(())
}

pub fn run(store: &Store, request: &Request) -> Result<Outcome, AnalyzeError> {
    let started = Instant::now();
    let created_at = time::now();
    let options = &request.options;
    let first = match request.provider.as_str() {
        "builtin" => None,
        name => Some(
            options
                .config
                .get(name)
                .ok_or_else(|| unknown(name, &options.config))?,
        ),
    };
    // Refused before the protocol is even read, so before any network I/O.
    if let Some(p) = first {
        check_remote(p, options.allow_remote)?;
    }
    let protocol = store.read(|conn| conn.protocols_get(&request.protocol_id))?;
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

    // The chain: the provider asked for, then its fallbacks in order.
    let mut chain: Vec<String> = vec![request.provider.clone()];
    if let Some(p) = first {
        chain.extend(p.fallback.iter().cloned());
    }
    let mut failures: Vec<Attempt> = Vec::new();
    let mut produced = None;
    let mut cancelled = false;
    for name in &chain {
        match produce(
            store,
            request,
            name,
            &protocol.title,
            &protocol.content,
            started,
        ) {
            Ok(p) => {
                produced = Some(p);
                break;
            }
            Err(e) => {
                cancelled = matches!(e, ProduceError::Cancelled);
                failures.push(Attempt {
                    provider: name.clone(),
                    error: e.to_string(),
                });
                if cancelled {
                    break;
                }
            }
        }
    }
    let latency_ms = started.elapsed().as_millis() as u64;
    let Some(mut produced) = produced else {
        let message = if cancelled {
            "cancelled".to_owned()
        } else {
            failures
                .iter()
                .map(|a| {
                    if failures.len() > 1 {
                        format!("{}: {}", a.provider, a.error)
                    } else {
                        a.error.clone()
                    }
                })
                .collect::<Vec<_>>()
                .join("; ")
        };
        let failed = store.write(|tx| {
            let row = tx.analyses_create_at(
                &NewAnalysis {
                    protocol_id: protocol.id.clone(),
                    provider: request.provider.clone(),
                    analysis_type: "comprehensive".to_owned(),
                },
                &created_at,
            )?;
            tx.analyses_record_usage(
                &row.id,
                &Usage {
                    model: first.map(|p| p.model.clone()),
                    latency_ms: Some(latency_ms),
                    metadata: Some(json!({"attempts": attempts_json(&failures)})),
                    ..Usage::default()
                },
            )?;
            tx.analyses_fail(&row.id, &message)
        })?;
        return Err(AnalyzeError::Failed {
            id: failed.id,
            message,
        });
    };
    produced.usage.latency_ms = Some(latency_ms);
    if !failures.is_empty() {
        let meta = produced.usage.metadata.get_or_insert_with(|| json!({}));
        meta["fallback_from"] = attempts_json(&failures);
        produced.output.results["fallback_from"] = attempts_json(&failures);
    }
    store_completed(store, &protocol.id, &created_at, produced, started)
}

fn attempts_json(failures: &[Attempt]) -> Value {
    Value::from(
        failures
            .iter()
            .map(|a| json!({"provider": a.provider, "error": a.error}))
            .collect::<Vec<_>>(),
    )
}

#[derive(Debug, thiserror::Error)]
enum ProduceError {
    #[error("{0}")]
    Call(CallError),
    #[error(transparent)]
    Refused(AnalyzeError),
    #[error("{0}")]
    Builtin(String),
    #[error("cancelled")]
    Cancelled,
}

fn produce(
    store: &Store,
    request: &Request,
    name: &str,
    title: &str,
    text: &str,
    started: Instant,
) -> Result<Produced, ProduceError> {
    let options = &request.options;
    if name == "builtin" {
        let input = Input {
            title,
            text,
            guideline: request.guideline,
        };
        // A provider that panics must not take the caller (or a worker
        // thread) down with it.
        let output = crate::panics::catch(|| builtin_provider::Builtin.analyse(&input))
            .unwrap_or_else(|what| {
                Err(builtin_provider::ProviderError(format!(
                    "the analyzer stopped unexpectedly ({what})"
                )))
            })
            .map_err(|e| ProduceError::Builtin(e.0))?;
        return Ok(Produced {
            provider: "builtin".to_owned(),
            output,
            usage: Usage {
                model: Some(crate::analysis::ANALYZER_VERSION.to_owned()),
                ..Usage::default()
            },
        });
    }
    let config = options
        .config
        .get(name)
        .ok_or_else(|| ProduceError::Refused(unknown(name, &options.config)))?;
    check_remote(config, options.allow_remote).map_err(ProduceError::Refused)?;
    let endpoint = providers::endpoint(config, options.cancel.clone());
    let cache = StoreCache(store);
    let noop = |_: &Progress| {};
    let progress: &(dyn Fn(&Progress) + Sync) = match &options.progress {
        Some(p) => p.as_ref(),
        None => &noop,
    };
    let job = grounded::Job {
        config,
        endpoint: endpoint.as_ref(),
        cache: &cache,
        progress,
        cancel: &options.cancel,
    };
    let outcome = grounded::run(&job, title, text, request.guideline).map_err(|e| match e {
        CallError::Cancelled => ProduceError::Cancelled,
        other => ProduceError::Call(other),
    })?;
    let a = &outcome.accounting;
    let mut results = outcome.results;
    results["provider"]["latency_ms"] = json!(started.elapsed().as_millis() as u64);
    let analysis = outcome.analysis;
    Ok(Produced {
        provider: name.to_owned(),
        usage: Usage {
            model: Some(a.model.clone()),
            prompt_version: Some(a.prompt_version.clone()),
            input_tokens: Some(a.input_tokens),
            output_tokens: Some(a.output_tokens),
            cost: Some(a.cost),
            latency_ms: None,
            unverified_answers: Some(a.unverified_answers as u64),
            metadata: serde_json::to_value(a).ok(),
        },
        output: Output {
            overall_score: Some(analysis.scores.overall),
            spirit_score: analysis.scores.spirit,
            consort_score: analysis.scores.consort,
            results,
            suggestions: analysis.suggestions,
        },
    })
}

fn store_completed(
    store: &Store,
    protocol_id: &str,
    created_at: &str,
    produced: Produced,
    started: Instant,
) -> Result<Outcome, AnalyzeError> {
    let output = &produced.output;
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
        let row = tx.analyses_create_at(
            &NewAnalysis {
                protocol_id: protocol_id.to_owned(),
                provider: produced.provider.clone(),
                analysis_type: "comprehensive".to_owned(),
            },
            created_at,
        )?;
        tx.analyses_start(&row.id)?;
        let earlier = tx.suggestions_live_for_protocol(protocol_id)?;
        let (plan, report) = carry::carry(&earlier, fresh);
        tx.suggestions_insert_many(&row.id, &plan)?;
        tx.analyses_record_usage(&row.id, &produced.usage)?;
        let analysis = tx.analyses_complete(
            &row.id,
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
