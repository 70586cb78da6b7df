//! Grounded analysis with a model provider. The builtin analyses first and
//! picks, for every item of the document's guideline, a few candidate
//! sentences; items are batched by guideline section, and the model judges
//! each item from its requirement and those sentences only (never the whole
//! text). An answer counts only if its quote is found in the text; else,
//! and wherever the model gave no usable answer, the builtin verdict
//! stands. Scores and suggestions then follow from the merged verdicts
//! exactly as the builtin makes them.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use serde_json::{Value, json};

use super::clarity;
use super::prompt::{
    AskedItem, Batch, ItemAnswer, batches, cache_key, item_id, parse_answer, status_of,
};
use super::verify::{Rejection, Verifier};
use super::{CallError, Endpoint, ModelRequest, PROMPT_VERSION, ProviderConfig, Reply};
use crate::analysis::items::Status;
use crate::analysis::{self, Analysis, GuidelineChoice, ItemOverride};

/// Longest suggested wording kept from a model.
const SUGGESTION_CHARS: usize = 2_000;
/// Confidence given to a model verdict that differs from the builtin's
/// (no calibration exists for a model; the builtin's own is kept where
/// they agree).
const DISAGREEING_CONFIDENCE: f64 = 0.6;

/// What a cache keeps for one batch.
#[derive(Clone, Debug)]
pub struct CachedAnswer {
    pub content: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// The cache's key: the request's sha256 with who answered it and how.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub request_sha256: String,
    pub provider: String,
    pub model: String,
    pub prompt_version: String,
}

/// Stored answers, so that an unchanged batch costs no call.
pub trait AnswerCache: Sync {
    fn get(&self, key: &CacheKey) -> Option<CachedAnswer>;
    fn put(&self, key: &CacheKey, answer: &CachedAnswer);
}

/// No cache at all.
pub struct NoCache;

impl AnswerCache for NoCache {
    fn get(&self, _: &CacheKey) -> Option<CachedAnswer> {
        None
    }
    fn put(&self, _: &CacheKey, _: &CachedAnswer) {}
}

/// How far a grounded analysis has got.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub done: usize,
    pub total: usize,
    pub section: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost: f64,
    pub cached: usize,
}

/// What an analysis cost and how far its answers were trusted.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Accounting {
    pub provider: String,
    pub kind: String,
    pub model: String,
    pub prompt_version: String,
    /// Where the text went.
    pub destination: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cost: f64,
    pub batches: usize,
    pub requests: usize,
    pub cached_batches: usize,
    /// Answers whose quote was not found in the text (or too short to
    /// prove anything), or whose verdict is not one of the four.
    pub unverified_answers: usize,
    /// Items sent that the model gave no answer for.
    pub unanswered_items: usize,
    /// Batches whose answer was still not readable after the repair retry.
    pub malformed_batches: usize,
    pub repaired_batches: usize,
    /// Batches not sent because the token budget was spent.
    pub budget_skipped_batches: usize,
    pub items_sent: usize,
    /// Items whose verdict is the model's (verified).
    pub model_verdicts: usize,
    /// Clarity and consistency findings kept (their quotes verified).
    pub clarity_findings: usize,
}

pub struct Job<'a> {
    pub config: &'a ProviderConfig,
    pub endpoint: &'a dyn Endpoint,
    pub cache: &'a dyn AnswerCache,
    pub progress: &'a (dyn Fn(&Progress) + Sync),
    pub cancel: &'a AtomicBool,
}

pub struct Outcome {
    pub analysis: Analysis,
    pub results: Value,
    pub accounting: Accounting,
}

/// One item as the model is asked about it.
/// What one request came to.
#[derive(Default)]
struct BatchResult {
    /// The answer's text, once it reads as the schema.
    content: Option<String>,
    cached: bool,
    repaired: bool,
    malformed: bool,
    skipped_for_budget: bool,
    requests: usize,
    input_tokens: u64,
    output_tokens: u64,
}

struct Shared<'a> {
    job: &'a Job<'a>,
    tokens_used: AtomicU64,
    stop: AtomicBool,
    tally: Mutex<Progress>,
}

fn run_batch(shared: &Shared<'_>, batch: &Batch) -> Result<BatchResult, CallError> {
    let expected_output = 200 * batch.items.len() as u64;
    run_request(shared, &batch.request, &batch.key, expected_output, |c| {
        parse_answer(c).map(|_| ())
    })
}

/// One request through the cache, the budget and at most one repair:
/// `check` says whether an answer reads as its schema.
fn run_request(
    shared: &Shared<'_>,
    request: &ModelRequest,
    key: &CacheKey,
    expected_output: u64,
    check: fn(&str) -> Result<(), String>,
) -> Result<BatchResult, CallError> {
    let job = shared.job;
    if let Some(hit) = job.cache.get(key)
        && check(&hit.content).is_ok()
    {
        return Ok(BatchResult {
            content: Some(hit.content),
            cached: true,
            ..BatchResult::default()
        });
    }
    let estimate = super::estimate_tokens(&request.system)
        + super::estimate_tokens(&request.user)
        + u64::from(request.max_output_tokens).min(expected_output);
    let budget = job.config.max_tokens_per_analysis;
    if shared.tokens_used.load(Ordering::Relaxed) + estimate > budget {
        return Ok(BatchResult {
            skipped_for_budget: true,
            ..BatchResult::default()
        });
    }
    let mut result = BatchResult::default();
    let account = |reply: &Reply, result: &mut BatchResult| {
        result.requests += 1;
        result.input_tokens += reply.input_tokens;
        result.output_tokens += reply.output_tokens;
        shared
            .tokens_used
            .fetch_add(reply.input_tokens + reply.output_tokens, Ordering::Relaxed);
    };
    let reply = call(shared, request)?;
    account(&reply, &mut result);
    let content = match check(&reply.content) {
        Ok(()) => Some(reply.content),
        Err(error) => {
            // One repair attempt, saying what was wrong.
            let mut repair = request.clone();
            repair.user = format!(
                "{}\nYour previous answer could not be read ({}). Answer again with only JSON that matches the schema.",
                request.user,
                error.chars().take(200).collect::<String>()
            );
            let second = call(shared, &repair)?;
            account(&second, &mut result);
            match check(&second.content) {
                Ok(()) => {
                    result.repaired = true;
                    Some(second.content)
                }
                Err(_) => {
                    result.malformed = true;
                    None
                }
            }
        }
    };
    if let Some(content) = &content {
        job.cache.put(
            key,
            &CachedAnswer {
                content: content.clone(),
                input_tokens: result.input_tokens,
                output_tokens: result.output_tokens,
            },
        );
    }
    result.content = content;
    Ok(result)
}

fn call(shared: &Shared<'_>, request: &ModelRequest) -> Result<Reply, CallError> {
    if shared.job.cancel.load(Ordering::Relaxed) {
        return Err(CallError::Cancelled);
    }
    if shared.stop.load(Ordering::Relaxed) {
        // Another batch failed; its error is the one reported.
        return Err(CallError::Cancelled);
    }
    shared.job.endpoint.call(request)
}

/// Analyse `text` with the model, grounded on the builtin's passages.
pub fn run(
    job: &Job<'_>,
    title: &str,
    text: &str,
    choice: GuidelineChoice,
) -> Result<Outcome, CallError> {
    let started = Instant::now();
    let builtin = analysis::analyse(text, choice);
    let batches = batches(job.config, title, &builtin);
    let shared = Shared {
        job,
        tokens_used: AtomicU64::new(0),
        stop: AtomicBool::new(false),
        tally: Mutex::new(Progress {
            total: batches.len() + usize::from(job.config.clarity),
            ..Progress::default()
        }),
    };
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<BatchResult>>> =
        Mutex::new((0..batches.len()).map(|_| None).collect());
    let failure: Mutex<Option<CallError>> = Mutex::new(None);
    // The clarity request goes first, beside the item batches, so that it
    // does not add a round of its own to the wall time.
    let offset = usize::from(job.config.clarity);
    let tasks = batches.len() + offset;
    let clarity_slot: Mutex<Option<ClarityOutcome>> = Mutex::new(None);
    let workers = job.config.max_concurrency.min(tasks).max(1);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let t = next.fetch_add(1, Ordering::Relaxed);
                    if t >= tasks || shared.stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let caught = |what: String| CallError::Malformed {
                        provider: job.config.name.clone(),
                        detail: format!("reading the answer stopped unexpectedly ({what})"),
                    };
                    let outcome = if t < offset {
                        crate::panics::catch(|| run_clarity(&shared, title, text))
                            .unwrap_or_else(|what| Err(caught(what)))
                            .map(|c| {
                                if let Ok(mut slot) = clarity_slot.lock() {
                                    *slot = c;
                                }
                            })
                    } else {
                        let i = t - offset;
                        let batch = &batches[i];
                        crate::panics::catch(|| run_batch(&shared, batch))
                            .unwrap_or_else(|what| Err(caught(what)))
                            .map(|r| {
                                if let Ok(mut tally) = shared.tally.lock() {
                                    tally.done += 1;
                                    tally.section = batch.section.clone();
                                    tally.input_tokens += r.input_tokens;
                                    tally.output_tokens += r.output_tokens;
                                    tally.cost =
                                        job.config.cost(tally.input_tokens, tally.output_tokens);
                                    tally.cached += usize::from(r.cached);
                                    (job.progress)(&tally);
                                }
                                if let Ok(mut all) = results.lock() {
                                    all[i] = Some(r);
                                }
                            })
                    };
                    if let Err(e) = outcome {
                        let first = !shared.stop.swap(true, Ordering::Relaxed);
                        if let Ok(mut f) = failure.lock()
                            && (first || f.is_none())
                            && !matches!(e, CallError::Cancelled if f.is_some())
                        {
                            f.get_or_insert(e);
                        }
                        break;
                    }
                }
            });
        }
    });
    if job.cancel.load(Ordering::Relaxed) {
        return Err(CallError::Cancelled);
    }
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(e);
    }
    let results = results.into_inner().unwrap_or_default();
    let clarity = clarity_slot.into_inner().ok().flatten();

    let verifier = Verifier::new(text);
    let mut accounting = Accounting {
        provider: job.config.name.clone(),
        kind: job.config.kind.as_str().to_owned(),
        model: job.config.model.clone(),
        prompt_version: PROMPT_VERSION.to_owned(),
        destination: job.config.destination(),
        batches: batches.len(),
        ..Accounting::default()
    };
    let mut overrides: HashMap<String, ItemOverride> = HashMap::new();
    let mut sources: BTreeMap<String, Value> = BTreeMap::new();
    for (batch, result) in batches.iter().zip(results) {
        let Some(result) = result else { continue };
        accounting.items_sent += batch.items.len();
        accounting.requests += result.requests;
        accounting.input_tokens += result.input_tokens;
        accounting.output_tokens += result.output_tokens;
        accounting.cached_batches += usize::from(result.cached);
        accounting.repaired_batches += usize::from(result.repaired);
        accounting.malformed_batches += usize::from(result.malformed);
        accounting.budget_skipped_batches += usize::from(result.skipped_for_budget);
        let Some(answer) = result.content.as_deref().and_then(|c| parse_answer(c).ok()) else {
            continue;
        };
        let mut answered = 0;
        for asked in &batch.items {
            let Some(a) = answer
                .items
                .iter()
                .find(|a| item_id(&a.item) == asked.id.to_ascii_lowercase())
            else {
                continue;
            };
            answered += 1;
            match judge(asked, a, &verifier) {
                Ok(o) => {
                    sources.insert(
                        asked.reference.clone(),
                        json!({"source": "model", "rationale": o.rationale}),
                    );
                    overrides.insert(asked.reference.clone(), o);
                }
                Err(why) => {
                    accounting.unverified_answers += 1;
                    sources.insert(
                        asked.reference.clone(),
                        json!({"source": "builtin", "rejected": why}),
                    );
                }
            }
        }
        accounting.unanswered_items += batch.items.len() - answered;
    }
    let mut clarity_json = Vec::new();
    let mut clarity_suggestions = Vec::new();
    if let Some((result, found, rejected)) = clarity {
        accounting.batches += 1;
        accounting.requests += result.requests;
        accounting.input_tokens += result.input_tokens;
        accounting.output_tokens += result.output_tokens;
        accounting.cached_batches += usize::from(result.cached);
        accounting.repaired_batches += usize::from(result.repaired);
        accounting.malformed_batches += usize::from(result.malformed);
        accounting.budget_skipped_batches += usize::from(result.skipped_for_budget);
        accounting.unverified_answers += rejected;
        accounting.clarity_findings = found.len();
        for f in found {
            let start = text[..f.bytes.start].chars().count();
            let quote = &text[f.bytes.clone()];
            clarity_json.push(json!({
                "kind": f.kind,
                "message": f.message,
                "evidence": [{"start": start, "end": start + quote.chars().count(), "quote": quote}],
            }));
            clarity_suggestions.push(f.suggestion);
        }
    }
    accounting.model_verdicts = overrides.len();
    accounting.cost = job
        .config
        .cost(accounting.input_tokens, accounting.output_tokens);

    let mut merged = analysis::analyse_with(text, choice, &overrides);
    merged.suggestions.extend(clarity_suggestions);
    analysis::suggest::distinct_keys(&mut merged.suggestions);
    let mut results = merged.results_json();
    results["clarity"] = Value::from(clarity_json);
    if let Some(items) = results.get_mut("items").and_then(Value::as_array_mut) {
        for item in items {
            let reference = format!(
                "{} item {}",
                item["guideline"].as_str().unwrap_or_default(),
                item["item"].as_str().unwrap_or_default()
            );
            item["source"] = sources
                .get(&reference)
                .and_then(|s| s.get("source").cloned())
                .unwrap_or_else(|| json!("builtin"));
            if let Some(s) = sources.get(&reference) {
                for field in ["rationale", "rejected"] {
                    if let Some(v) = s.get(field) {
                        item[format!("model_{field}")] = v.clone();
                    }
                }
            }
        }
    }
    results["provider"] = json!({
        "accounting": accounting,
        "latency_ms": started.elapsed().as_millis() as u64,
    });
    Ok(Outcome {
        analysis: merged,
        results,
        accounting,
    })
}

/// The clarity request, after the items: what it cost, the findings whose
/// quotes are in the text, and how many were not.
type ClarityOutcome = (BatchResult, Vec<clarity::Verified>, usize);

fn run_clarity(
    shared: &Shared<'_>,
    title: &str,
    text: &str,
) -> Result<Option<ClarityOutcome>, CallError> {
    let job = shared.job;
    let Some(request) = clarity::request(title, text, job.config.max_output_tokens) else {
        return Ok(None);
    };
    let key = cache_key(job.config, &request);
    let result = run_request(shared, &request, &key, 1_000, clarity::check)?;
    if let Ok(mut t) = shared.tally.lock() {
        t.done += 1;
        t.section = "clarity and consistency".to_owned();
        t.input_tokens += result.input_tokens;
        t.output_tokens += result.output_tokens;
        t.cost = job.config.cost(t.input_tokens, t.output_tokens);
        t.cached += usize::from(result.cached);
        (job.progress)(&t);
    }
    let (found, rejected) = match result.content.as_deref() {
        Some(c) => clarity::verify(c, text),
        None => (Vec::new(), 0),
    };
    Ok(Some((result, found, rejected)))
}

/// A model's answer on one item, if it can be trusted.
fn judge(
    asked: &AskedItem,
    a: &ItemAnswer,
    verifier: &Verifier<'_>,
) -> Result<ItemOverride, &'static str> {
    let status = status_of(&a.verdict).ok_or("the verdict is not one of the four")?;
    let quote = a.quote.as_deref().unwrap_or("").trim();
    let evidence = match status {
        Status::Addressed | Status::Partial => {
            if quote.is_empty() {
                return Err("no quote for a reported item");
            }
            vec![verifier.find(quote, &[]).map_err(rejection)?]
        }
        // Nothing to show for a gap; a quote given must still be real.
        Status::Missing | Status::NotApplicable => {
            if !quote.is_empty() {
                verifier.find(quote, &[]).map_err(rejection)?;
            }
            Vec::new()
        }
    };
    let suggested_text = match status {
        Status::Partial | Status::Missing => a
            .suggested_text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(|t| t.chars().take(SUGGESTION_CHARS).collect()),
        _ => None,
    };
    Ok(ItemOverride {
        status,
        evidence,
        confidence: if status == asked.builtin {
            asked.builtin_confidence
        } else {
            DISAGREEING_CONFIDENCE
        },
        rationale: a
            .rationale
            .as_deref()
            .unwrap_or("")
            .chars()
            .take(SUGGESTION_CHARS)
            .collect(),
        suggested_text,
    })
}

fn rejection(r: Rejection) -> &'static str {
    match r {
        Rejection::TooShort => "the quote is too short to locate",
        Rejection::NotInText => "the quote is not in the text",
    }
}
