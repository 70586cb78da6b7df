//! Model providers through the real binary, against real HTTP servers on
//! 127.0.0.1 that speak the OpenAI Chat Completions and Anthropic Messages
//! protocols with recorded answers, and a real `command` provider script:
//! grounded answers, invented quotes, malformed JSON, 429 and 500, a hang,
//! a wrong key, remote refusal, the cache, and comparison.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{FIXTURES, Sandbox};
use protoscribe::store::analyses::{Analysis, AnalysisFilter};
use protoscribe::store::suggestions::SuggestionFilter;
use protoscribe::store::{AnalysisStatus, Page, SuggestionType};
use serde_json::{Value, json};

/// A request as the server saw it.
#[derive(Clone, Debug)]
struct Seen {
    path: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// What the server sends back.
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
    /// Wait this long before answering (a hang).
    delay: Duration,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.to_string(),
            delay: Duration::ZERO,
        }
    }
}

type Handler = dyn Fn(usize, &Seen) -> Reply + Send + Sync;

/// A model server on 127.0.0.1: one thread per connection, every request
/// counted and kept.
struct Server {
    port: u16,
    seen: Arc<Mutex<Vec<Seen>>>,
    count: Arc<AtomicUsize>,
}

impl Server {
    fn start(handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let count = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (s, c) = (seen.clone(), count.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (s, c, h) = (s.clone(), c.clone(), handler.clone());
                std::thread::spawn(move || serve(stream, &s, &c, h.as_ref()));
            }
        });
        Server { port, seen, count }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn requests(&self) -> usize {
        self.count.load(Ordering::SeqCst)
    }

    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, count: &AtomicUsize, handler: &Handler) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
    let mut headers = Vec::new();
    let mut length = 0;
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.trim_end().split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim().to_owned());
            if k == "content-length" {
                length = v.parse().unwrap_or(0);
            }
            headers.push((k, v));
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    let request = Seen {
        path,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    };
    let n = count.fetch_add(1, Ordering::SeqCst);
    seen.lock().unwrap().push(request.clone());
    let reply = handler(n, &request);
    std::thread::sleep(reply.delay);
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n",
        reply.status,
        reply.body.len()
    );
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(reply.body.as_bytes());
}

/// An HTTP proxy on 127.0.0.1 that accepts CONNECT and then answers the
/// tunnelled requests itself with `handler` (standing in for the far end);
/// the CONNECT targets are kept.
fn start_proxy(
    handler: impl Fn(usize, &Seen) -> Reply + Send + Sync + 'static,
) -> (Server, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let count = Arc::new(AtomicUsize::new(0));
    let targets = Arc::new(Mutex::new(Vec::new()));
    let handler: Arc<Handler> = Arc::new(handler);
    let (s, c, t) = (seen.clone(), count.clone(), targets.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let (s, c, h, t) = (s.clone(), c.clone(), handler.clone(), t.clone());
            std::thread::spawn(move || {
                // Read the CONNECT head byte by byte: nothing after it may
                // be taken from the tunnel.
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read_exact(&mut byte).is_ok() {
                    head.push(byte[0]);
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                t.lock()
                    .unwrap()
                    .push(head.lines().next().unwrap_or("").to_owned());
                if stream
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .is_ok()
                {
                    serve(stream, &s, &c, h.as_ref());
                }
            });
        }
    });
    (Server { port, seen, count }, targets)
}

/// The user prompt of a request, whichever protocol it came by.
fn prompt(request: &Seen) -> String {
    let body: Value = serde_json::from_str(&request.body).unwrap_or(Value::Null);
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    messages
        .iter()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or_default()
        .to_owned()
}

/// A careful model: for each item, `addressed` with its first passage
/// quoted (or `missing` with wording when it has none). `quote` may
/// replace the quotes (an inventing model).
fn answer_items(prompt: &str, quote: &dyn Fn(&str) -> String) -> Value {
    let mut items = Vec::new();
    let mut current: Option<(String, Option<String>)> = None;
    for line in prompt.lines() {
        if let Some(rest) = line.strip_prefix("Item ") {
            items.extend(current.take());
            let id = rest.split(':').next().unwrap_or("").to_owned();
            current = Some((id, None));
        } else if let Some(p) = line.strip_prefix("[1] ")
            && let Some((_, q)) = current.as_mut()
        {
            *q = Some(p.to_owned());
        }
    }
    items.extend(current);
    let answers: Vec<Value> = items
        .into_iter()
        .map(|(id, passage)| match passage {
            Some(p) => json!({
                "item": id, "verdict": "addressed", "quote": quote(&p),
                "rationale": "The passage states it.", "suggested_text": null,
            }),
            None => json!({
                "item": id, "verdict": "missing", "quote": "",
                "rationale": "Nothing in the passages states it.",
                "suggested_text": "State this item for the vitamin D trial: [details].",
            }),
        })
        .collect();
    json!({ "items": answers })
}

fn good(prompt: &str) -> Value {
    if prompt.contains("\nSentences:\n") {
        return clarity_findings(prompt, "We plan to recruit 120 participants in 2 months.");
    }
    answer_items(prompt, &|p: &str| p.to_owned())
}

/// A clarity answer: the first sentence sent is called unclear (its first
/// 30 characters quoted), and `invented` is an inconsistency nowhere in
/// the text.
fn clarity_findings(prompt: &str, invented: &str) -> Value {
    let first = prompt
        .lines()
        .find_map(|l| l.strip_prefix("[1] "))
        .unwrap_or_default();
    let quote: String = first.chars().take(30).collect();
    json!({"findings": [
        {"kind": "unclear_sentence", "quote": quote, "message": "It can be read two ways.", "suggested_text": "A clearer sentence."},
        {"kind": "inconsistent_number", "quote": invented, "message": "120 or 300?", "suggested_text": null},
    ]})
}

fn openai_reply(content: &str) -> Reply {
    Reply::json(
        200,
        json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200},
        }),
    )
}

fn anthropic_reply(input: Value) -> Reply {
    Reply::json(
        200,
        json!({
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "content": [{"type": "tool_use", "id": "toolu_1", "name": "record_verdicts", "input": input}],
            "stop_reason": "tool_use",
            "usage": {"input_tokens": 900, "output_tokens": 150},
        }),
    )
}

/// An OpenAI-compatible server answering as `good` does.
fn good_openai() -> Server {
    Server::start(|_, r| openai_reply(&good(&prompt(r)).to_string()))
}

/// A sandbox with the knee-exercise protocol imported, and a config file.
fn sandbox(config: &str) -> (Sandbox, String) {
    let s = Sandbox::new();
    s.write("config.toml", config);
    let id = s.import_fixture("partial-knee-exercise.txt");
    (s, id)
}

fn local_config(url: &str, extra: &str) -> String {
    format!(
        "[providers.local]\nkind = \"openai\"\nmodel = \"test-model\"\nbase_url = \"{url}/v1\"\ntimeout = 5\nprice_input_per_mtok = 1.0\nprice_output_per_mtok = 4.0\n{extra}\n"
    )
}

fn run(s: &Sandbox, args: &[&str]) -> std::process::Output {
    let config = s.path("config.toml");
    let mut cmd = s.command();
    cmd.arg("--config").arg(&config).args(args);
    cmd.output().unwrap()
}

fn ok(s: &Sandbox, args: &[&str]) -> String {
    let out = run(s, args);
    assert!(
        out.status.success(),
        "protoscribe {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Every analysis, newest first, as stored.
fn analyses(s: &Sandbox) -> Vec<Analysis> {
    s.store()
        .read(|t| t.analyses_list(&AnalysisFilter::default(), Page::first(1000)))
        .unwrap()
}

/// The latest analysis by `provider`.
fn latest_by(s: &Sandbox, provider: &str) -> Analysis {
    analyses(s)
        .into_iter()
        .find(|a| a.provider == provider)
        .unwrap_or_else(|| panic!("no analysis by {provider}"))
}

/// The latest analysis by `provider`: status, results and provider
/// metadata.
fn latest(s: &Sandbox, provider: &str) -> (String, Value, Value) {
    let a = latest_by(s, provider);
    (
        a.status.as_str().to_owned(),
        a.results.unwrap_or(Value::Null),
        a.usage.metadata.unwrap_or(Value::Null),
    )
}

fn protocol_text(s: &Sandbox) -> Vec<char> {
    let store = s.store();
    let listed = store
        .protocols(&Default::default(), Page::first(2))
        .unwrap();
    assert_eq!(listed.len(), 1, "one protocol");
    store
        .protocol(&listed[0].id)
        .unwrap()
        .content
        .chars()
        .collect()
}

fn items(results: &Value) -> Vec<Value> {
    results["items"].as_array().cloned().unwrap_or_default()
}

#[test]
fn good_answers_give_model_verdicts_whose_quotes_are_the_text_at_their_offsets() {
    let server = good_openai();
    let (s, id) = sandbox(&local_config(&server.url(), ""));
    let out = ok(&s, &["analyze", &id, "--provider", "local"]);
    assert!(out.contains("local"), "{out}");
    let (status, results, meta) = latest(&s, "local");
    assert_eq!(status, "completed");
    let text = protocol_text(&s);
    let from_model: Vec<&Value> = items(&results)
        .iter()
        .filter(|i| i["source"] == "model")
        .cloned()
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .collect();
    assert!(
        from_model.len() >= 20,
        "{} model verdicts",
        from_model.len()
    );
    let mut quoted = 0;
    for item in &from_model {
        let status = item["status"].as_str().unwrap();
        if status == "addressed" || status == "partial" {
            let ev = &item["evidence"][0];
            let (start, end) = (
                ev["start"].as_u64().unwrap() as usize,
                ev["end"].as_u64().unwrap() as usize,
            );
            let at: String = text[start..end].iter().collect();
            assert_eq!(at, ev["quote"].as_str().unwrap(), "{}", item["item"]);
            quoted += 1;
        }
    }
    assert!(quoted >= 10, "{quoted}");
    // checklist --json says which verdicts the model made.
    let listed: Value = serde_json::from_str(&ok(&s, &["checklist", &id, "--json"])).unwrap();
    let by_model = listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["source"] == "model")
        .count();
    assert_eq!(by_model, from_model.len());
    // The clarity finding with a real quote is kept (and its quote is the
    // text at its offsets); the invented one is rejected.
    let clarity = results["clarity"].as_array().unwrap();
    assert_eq!(clarity.len(), 1, "{clarity:?}");
    let ev = &clarity[0]["evidence"][0];
    let at: String = text
        [ev["start"].as_u64().unwrap() as usize..ev["end"].as_u64().unwrap() as usize]
        .iter()
        .collect();
    assert_eq!(at, ev["quote"].as_str().unwrap());
    assert_eq!(meta["clarity_findings"], 1);
    assert_eq!(meta["unverified_answers"], 1, "the invented inconsistency");
    let all = s
        .store()
        .suggestions(&SuggestionFilter::default(), Page::first(10_000))
        .unwrap();
    let unclear: Vec<_> = all
        .iter()
        .filter(|s| {
            s.finding_key
                .as_deref()
                .is_some_and(|k| k.starts_with("clarity: unclear sentence:"))
        })
        .map(|s| s.kind)
        .collect();
    assert_eq!(unclear, [SuggestionType::Style]);
    // Every request asked for the answer schema and held a few bounded
    // passages per item, never the whole text.
    for r in server.seen() {
        assert_eq!(r.path, "/v1/chat/completions");
        let body: Value = serde_json::from_str(&r.body).unwrap();
        assert_eq!(body["response_format"]["type"], "json_schema");
        assert_eq!(body["model"], "test-model");
        let p = prompt(&r);
        if p.contains("\nSentences:\n") {
            let sentences = p.lines().filter(|l| l.starts_with('[')).count();
            assert!(sentences <= 40, "{sentences} sentences");
            continue;
        }
        for item in p.split("\nItem ").skip(1) {
            let passages: Vec<&str> = item.lines().filter(|l| l.starts_with('[')).collect();
            assert!(passages.len() <= 4, "{item}");
            assert!(passages.iter().all(|l| l.len() <= 420), "{item}");
        }
    }
    let usage = latest_by(&s, "local").usage;
    assert_eq!(
        usage.input_tokens.unwrap() as usize,
        1000 * server.requests()
    );
    let cost = usage.cost.unwrap();
    let expected = (1000.0 * 1.0 + 200.0 * 4.0) * server.requests() as f64 / 1e6;
    assert!((cost - expected).abs() < 1e-9, "{cost} vs {expected}");
    let where_ = usage.metadata.unwrap()["destination"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        where_.contains("127.0.0.1") && where_.contains("this machine"),
        "{where_}"
    );
}

#[test]
fn a_quote_not_in_the_text_is_rejected_and_the_builtin_verdict_stands() {
    let server = Server::start(|_, r| {
        openai_reply(
            &answer_items(&prompt(r), &|_| {
                "Allocation was concealed by a central web-based system.".to_owned()
            })
            .to_string(),
        )
    });
    let (s, id) = sandbox(&local_config(&server.url(), ""));
    ok(&s, &["analyze", &id]);
    ok(&s, &["analyze", &id, "--provider", "local"]);
    let (_, builtin, _) = latest(&s, "builtin");
    let (status, results, meta) = latest(&s, "local");
    assert_eq!(status, "completed");
    let rejected = meta["unverified_answers"].as_u64().unwrap();
    assert!(rejected >= 10, "{meta}");
    let stored = latest_by(&s, "local").usage.unverified_answers;
    assert_eq!(stored, Some(rejected));
    for (b, m) in items(&builtin).iter().zip(items(&results)) {
        if m["model_rejected"].is_string() {
            assert_eq!(m["source"], "builtin");
            assert_eq!(b["status"], m["status"], "{}", m["item"]);
        }
    }
    assert_eq!(builtin["scores"], results["scores"]);
}

#[test]
fn malformed_json_gets_one_repair_retry_then_the_builtin_verdict() {
    // Every first answer is broken; the repair of even-numbered batches
    // succeeds, the others stay broken.
    let server = Server::start(|_, r| {
        let p = prompt(r);
        if p.contains("could not be read") && p.contains("Item 1:") {
            openai_reply(&good(&p).to_string())
        } else {
            openai_reply("{\"items\": [ {\"item\": ")
        }
    });
    let (s, id) = sandbox(&local_config(&server.url(), "max_concurrency = 1"));
    ok(&s, &["analyze", &id]);
    ok(&s, &["analyze", &id, "--provider", "local"]);
    let (status, results, meta) = latest(&s, "local");
    assert_eq!(status, "completed");
    let batches = meta["batches"].as_u64().unwrap();
    assert_eq!(
        server.requests() as u64,
        2 * batches,
        "one repair per batch"
    );
    assert_eq!(meta["repaired_batches"], 1, "{meta}");
    assert_eq!(meta["malformed_batches"].as_u64().unwrap(), batches - 1);
    let (_, builtin, _) = latest(&s, "builtin");
    for (b, m) in items(&builtin).iter().zip(items(&results)) {
        if m["source"] == "builtin" {
            assert_eq!(b["status"], m["status"]);
        }
    }
}

#[test]
fn a_429_with_retry_after_is_waited_out_then_the_answer_is_used() {
    let server = Server::start(|n, r| {
        if n == 0 {
            let mut reply = Reply::json(429, json!({"error": {"message": "rate limited"}}));
            reply.headers.push(("retry-after", "1".into()));
            reply
        } else {
            openai_reply(&good(&prompt(r)).to_string())
        }
    });
    let (s, id) = sandbox(&local_config(&server.url(), "max_concurrency = 1"));
    let started = Instant::now();
    ok(&s, &["analyze", &id, "--provider", "local"]);
    assert!(started.elapsed() >= Duration::from_secs(1));
    let (status, _, meta) = latest(&s, "local");
    assert_eq!(status, "completed");
    assert_eq!(
        server.requests() as u64,
        meta["batches"].as_u64().unwrap() + 1
    );
}

#[test]
fn a_500_is_retried_with_backoff_then_the_answer_is_used() {
    let server = Server::start(|n, r| {
        if n == 0 {
            Reply::json(500, json!({"error": {"message": "overloaded"}}))
        } else {
            openai_reply(&good(&prompt(r)).to_string())
        }
    });
    let (s, id) = sandbox(&local_config(&server.url(), "max_concurrency = 1"));
    ok(&s, &["analyze", &id, "--provider", "local"]);
    let (status, _, meta) = latest(&s, "local");
    assert_eq!(status, "completed");
    assert_eq!(
        server.requests() as u64,
        meta["batches"].as_u64().unwrap() + 1
    );
}

#[test]
fn a_server_that_hangs_past_the_timeout_leaves_a_failed_analysis() {
    let server = Server::start(|_, _| Reply {
        delay: Duration::from_secs(30),
        ..openai_reply("{}")
    });
    let config = local_config(&server.url(), "retries = 0").replace("timeout = 5", "timeout = 1");
    let (s, id) = sandbox(&config);
    let started = Instant::now();
    let out = run(&s, &["analyze", &id, "--provider", "local"]);
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("did not answer within 1 s"), "{err}");
    let all = analyses(&s);
    let statuses: Vec<_> = all.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [AnalysisStatus::Failed]);
    let message = all[0].error_message.as_deref().unwrap();
    assert!(message.contains("did not answer"), "{message}");
}

#[test]
fn a_hang_with_a_builtin_fallback_completes_with_the_builtin_and_says_why() {
    let server = Server::start(|_, _| Reply {
        delay: Duration::from_secs(30),
        ..openai_reply("{}")
    });
    let config = local_config(&server.url(), "retries = 0\nfallback = [\"builtin\"]")
        .replace("timeout = 5", "timeout = 1");
    let (s, id) = sandbox(&config);
    ok(&s, &["analyze", &id, "--provider", "local"]);
    let (status, results, meta) = latest(&s, "builtin");
    assert_eq!(status, "completed");
    assert_eq!(results["fallback_from"][0]["provider"], "local");
    assert!(
        meta["fallback_from"][0]["error"]
            .as_str()
            .unwrap()
            .contains("did not answer"),
        "{meta}"
    );
}

fn store_bytes(s: &Sandbox) -> Vec<u8> {
    let all = s.everything_stored();
    // What is searched holds the store's rows (a search of nothing finds
    // no key either).
    assert!(contains(&all, "STUDY PROTOCOL"), "the protocol's text");
    all
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn a_wrong_api_key_names_the_variable_and_the_key_appears_nowhere() {
    const KEY: &str = "sk-test-DO-NOT-LEAK-4242";
    // The server echoes what it was sent, as some do.
    let server = Server::start(|_, r| {
        let auth = r
            .headers
            .iter()
            .find(|(k, _)| k == "authorization")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        Reply::json(
            401,
            json!({"error": {"message": format!("invalid key {auth}")}}),
        )
    });
    let config = local_config(
        &server.url(),
        "api_key_env = \"PROTOSCRIBE_TEST_KEY\"\nmax_concurrency = 1",
    );
    let (s, id) = sandbox(&config);
    let mut cmd = s.command();
    cmd.arg("--config")
        .arg(s.path("config.toml"))
        .args(["analyze", &id, "--provider", "local"])
        .env("PROTOSCRIBE_TEST_KEY", KEY);
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("$PROTOSCRIBE_TEST_KEY") && err.contains("401"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(!err.contains(KEY) && !String::from_utf8_lossy(&out.stdout).contains(KEY));
    // It was sent, as a bearer token, and kept nowhere.
    assert!(
        server.seen()[0]
            .headers
            .iter()
            .any(|(k, v)| k == "authorization" && v == &format!("Bearer {KEY}"))
    );
    assert_eq!(server.requests(), 1, "a refused key is not retried");
    let statuses: Vec<_> = analyses(&s).iter().map(|a| a.status).collect();
    assert_eq!(statuses, [AnalysisStatus::Failed]);
    assert!(!contains(&store_bytes(&s), KEY));
    assert!(!contains(&store_bytes(&s), "DO-NOT-LEAK"));
}

#[test]
fn a_missing_key_variable_is_named_before_any_request() {
    let server = good_openai();
    let config = local_config(&server.url(), "api_key_env = \"PROTOSCRIBE_UNSET_KEY\"");
    let (s, id) = sandbox(&config);
    let out = run(&s, &["analyze", &id, "--provider", "local"]);
    common::assert_error(&out, "$PROTOSCRIBE_UNSET_KEY, which is not set");
    assert_eq!(server.requests(), 0);
}

#[test]
fn a_remote_provider_is_refused_before_any_network_io_unless_allowed() {
    // A non-routable address: any attempt to connect would hang, not fail.
    let config = "[providers.hosted]\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\nbase_url = \"http://10.255.255.1:9/v1\"\ntimeout = 1\nretries = 0\n";
    let (s, id) = sandbox(config);
    let started = Instant::now();
    let out = run(&s, &["analyze", &id, "--provider", "hosted"]);
    common::assert_error(&out, "allow_remote = true");
    assert!(String::from_utf8_lossy(&out.stderr).contains("--allow-remote"));
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(s.counts().analyses, 0);
    let listed = ok(&s, &["providers"]);
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("hosted") && l.contains("remote")),
        "{listed}"
    );
}

#[test]
fn anthropic_messages_with_a_forced_tool_and_the_key_in_its_header() {
    const KEY: &str = "sk-ant-test-secret-777";
    let server = Server::start(|_, r| anthropic_reply(good(&prompt(r))));
    let config = format!(
        "[providers.claude]\nkind = \"anthropic\"\nmodel = \"claude-test\"\nbase_url = \"{}\"\napi_key_env = \"PROTOSCRIBE_ANTHROPIC_KEY\"\ntimeout = 5\n",
        server.url()
    );
    let (s, id) = sandbox(&config);
    let mut cmd = s.command();
    cmd.arg("--config")
        .arg(s.path("config.toml"))
        .args(["analyze", &id, "--provider", "claude"])
        .env("PROTOSCRIBE_ANTHROPIC_KEY", KEY);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let seen = server.seen();
    let first = seen
        .iter()
        .find(|r| prompt(r).contains("\nItem "))
        .expect("an items request");
    assert!(seen.iter().all(|r| r.path == "/v1/messages"));
    let header = |name: &str| {
        first
            .headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(header("x-api-key").as_deref(), Some(KEY));
    assert_eq!(header("anthropic-version").as_deref(), Some("2023-06-01"));
    let body: Value = serde_json::from_str(&first.body).unwrap();
    assert_eq!(body["tool_choice"]["type"], "tool");
    assert_eq!(body["tool_choice"]["name"], body["tools"][0]["name"]);
    assert_eq!(body["tools"][0]["input_schema"]["required"][0], "items");
    let (status, results, meta) = latest(&s, "claude");
    assert_eq!(status, "completed");
    assert!(items(&results).iter().any(|i| i["source"] == "model"));
    assert_eq!(
        meta["input_tokens"].as_u64().unwrap(),
        900 * server.requests() as u64
    );
    assert!(!contains(&store_bytes(&s), KEY));
    assert!(!String::from_utf8_lossy(&out.stderr).contains(KEY));
}

#[test]
fn a_command_provider_reads_the_request_on_stdin_and_answers_on_stdout() {
    let s = Sandbox::new();
    let script = s.write(
        "model.py",
        r#"import json, sys
request = json.load(sys.stdin)
assert request["protoscribe"] == 1 and "schema" in request
items = []
current = None
for line in request["user"].splitlines():
    if line.startswith("Item "):
        current = {"item": line[5:].split(":")[0], "verdict": "missing", "quote": "",
                   "rationale": "not stated", "suggested_text": "[to be written]"}
        items.append(current)
    elif line.startswith("[1] ") and current is not None:
        current.update(verdict="addressed", quote=line[4:], suggested_text=None)
print(json.dumps({"answer": {"items": items}, "usage": {"input_tokens": 10, "output_tokens": 5}}))
"#,
    );
    let config = format!(
        "[providers.script]\nkind = \"command\"\ncommand = [\"python3\", \"{}\"]\ntimeout = 20\n",
        script.display()
    );
    s.write("config.toml", &config);
    let id = s.import_fixture("partial-knee-exercise.txt");
    ok(&s, &["analyze", &id, "--provider", "script"]);
    let (status, results, meta) = latest(&s, "script");
    assert_eq!(status, "completed");
    assert!(
        items(&results)
            .iter()
            .filter(|i| i["source"] == "model")
            .count()
            >= 20
    );
    assert_eq!(meta["unverified_answers"], 0);
    assert_eq!(
        meta["input_tokens"].as_u64().unwrap(),
        10 * meta["requests"].as_u64().unwrap()
    );
    let checked = ok(&s, &["providers", "check", "script"]);
    assert!(checked.contains("ok"), "{checked}");
}

#[test]
fn a_second_analysis_of_unchanged_text_makes_no_request() {
    let server = good_openai();
    let (s, id) = sandbox(&local_config(&server.url(), ""));
    ok(&s, &["analyze", &id, "--provider", "local"]);
    let first = server.requests();
    assert!(first > 0);
    let out = run(&s, &["analyze", &id, "--provider", "local"]);
    assert!(out.status.success());
    assert_eq!(
        server.requests(),
        first,
        "the second analysis called the server"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("from cache"));
    let mut all = analyses(&s);
    all.reverse();
    let scores: Vec<(f64, u64, String)> = all
        .into_iter()
        .map(|a| {
            let cached = a.usage.metadata.unwrap()["cached_batches"]
                .as_i64()
                .unwrap()
                .to_string();
            (
                a.overall_score.unwrap(),
                a.usage.input_tokens.unwrap(),
                cached,
            )
        })
        .collect();
    assert_eq!(scores.len(), 2);
    assert_eq!(
        scores[0].0, scores[1].0,
        "the cached answer gives the same scores"
    );
    assert_eq!(scores[1].1, 0, "no tokens spent");
}

#[test]
fn compare_shows_disagreements_agreement_and_kappa() {
    let server = good_openai();
    let (s, id) = sandbox(&local_config(&server.url(), ""));
    ok(&s, &["analyze", &id]);
    ok(&s, &["analyze", &id, "--provider", "local"]);
    let v: Value = serde_json::from_str(&ok(&s, &["compare", &id, "--json"])).unwrap();
    assert_eq!(v["providers"], json!(["builtin", "local"]));
    assert_eq!(v["items"], 88);
    let agreed = v["agreed"].as_u64().unwrap();
    let listed = v["disagreements"].as_array().unwrap().len() as u64;
    assert_eq!(agreed + listed, 88);
    assert!(
        listed > 0,
        "the recorded model says addressed wherever it has a passage"
    );
    let kappa = v["kappa"].as_f64().unwrap();
    assert!((-1.0..=1.0).contains(&kappa));
    let first = &v["disagreements"][0];
    assert_ne!(first["builtin"], first["local"]);
    let text = ok(&s, &["compare", &id, "--providers", "builtin,local"]);
    assert!(text.contains("Cohen's kappa"), "{text}");
    let dash: Value = serde_json::from_str(&ok(&s, &["dashboard", "--json"])).unwrap();
    let local = &dash["provider_metrics"]["local"];
    assert_eq!(local["total_analyses"], 1);
    assert_eq!(local["success_rate"], 100.0);
    assert!(local["input_tokens"].as_u64().unwrap() > 0);
    assert!(local["cost"].as_f64().unwrap() > 0.0);
    assert!(local["median_latency_ms"].is_u64());
    let dash = ok(&s, &["dashboard"]);
    assert!(
        dash.lines()
            .any(|l| l.contains("local") && l.contains("tokens")),
        "{dash}"
    );
}

#[test]
fn providers_lists_and_checks_without_sending_text() {
    let server = Server::start(|_, r| {
        if r.path == "/v1/models" {
            Reply::json(
                200,
                json!({"object": "list", "data": [{"id": "test-model"}]}),
            )
        } else {
            Reply::json(404, json!({}))
        }
    });
    let (s, _) = sandbox(&local_config(&server.url(), ""));
    let listed = ok(&s, &["providers"]);
    assert!(listed.lines().any(|l| l.starts_with("builtin")), "{listed}");
    assert!(
        listed.lines().any(|l| l.starts_with("local")
            && l.contains("openai")
            && l.contains("test-model")
            && l.contains("local")),
        "{listed}"
    );
    let checked = ok(&s, &["providers", "check"]);
    assert!(
        checked
            .lines()
            .any(|l| l.starts_with("local") && l.contains("ok")),
        "{checked}"
    );
    assert!(server.seen().iter().all(|r| r.body.is_empty()));
}

#[test]
fn a_bad_configuration_is_one_line_naming_the_file_and_line() {
    let (s, id) =
        sandbox("[providers.local]\nkind = \"openai\"\nmodel = \"m\"\napi_key = \"sk-secret\"\n");
    let out = run(&s, &["analyze", &id, "--provider", "local"]);
    common::assert_error(&out, "config.toml: line 4");
    let out = run(&s, &["providers"]);
    common::assert_error(&out, "api_key");
    assert_eq!(s.counts().analyses, 0);
    let _ = FIXTURES;
}

#[test]
fn ctrl_c_during_a_model_analysis_leaves_no_analysis_behind() {
    let server = Server::start(|_, _| Reply {
        delay: Duration::from_secs(30),
        ..openai_reply("{}")
    });
    let config = local_config(&server.url(), "").replace("timeout = 5", "timeout = 20");
    let (s, id) = sandbox(&config);
    let mut child = s
        .command()
        .arg("--config")
        .arg(s.path("config.toml"))
        .args(["analyze", &id, "--provider", "local"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while server.requests() == 0 && started.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        server.requests() > 0,
        "the analysis never called the server"
    );
    // SAFETY: SIGINT (what Ctrl-C sends) to our own child process.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    child.wait().unwrap();
    let unfinished = analyses(&s)
        .iter()
        .filter(|a| matches!(a.status, AnalysisStatus::Pending | AnalysisStatus::Running))
        .count();
    assert_eq!(unfinished, 0);
    assert_eq!(
        s.counts().analyses,
        0,
        "an interrupted analysis is not created"
    );
}

#[test]
fn the_token_budget_stops_calls_and_the_builtin_verdicts_stand_for_the_rest() {
    let server = good_openai();
    let config = local_config(
        &server.url(),
        "max_concurrency = 1\nmax_tokens_per_analysis = 4000",
    );
    let (s, id) = sandbox(&config);
    ok(&s, &["analyze", &id, "--provider", "local"]);
    let (status, _, meta) = latest(&s, "local");
    assert_eq!(status, "completed");
    let skipped = meta["budget_skipped_batches"].as_u64().unwrap();
    assert!(skipped > 0, "{meta}");
    assert_eq!(
        server.requests() as u64,
        meta["batches"].as_u64().unwrap() - skipped
    );
    let spent = meta["input_tokens"].as_u64().unwrap() + meta["output_tokens"].as_u64().unwrap();
    assert!(spent <= 4000, "{spent}");
}

#[test]
fn after_an_edit_only_the_changed_sections_are_sent_again() {
    let server = good_openai();
    let s = Sandbox::new();
    s.write("config.toml", local_config(&server.url(), ""));
    let text = std::fs::read_to_string(format!("{FIXTURES}/partial-knee-exercise.txt")).unwrap();
    let first = s.import("v1.txt", &text);
    ok(&s, &["analyze", &first, "--provider", "local"]);
    let (_, _, meta) = latest(&s, "local");
    let batches = meta["batches"].as_u64().unwrap();
    let before = server.requests() as u64;
    assert_eq!(before, batches);
    // The same protocol with its harms sentence reworded: only the
    // batches whose passages hold it are asked again.
    let edited = text.replacen(
        "will be recorded by the physiotherapists.",
        "will be recorded by the physiotherapists on a standard form.",
        1,
    );
    assert!(edited != text, "the fixture has the harms sentence");
    let second = s.import("v2.txt", &edited);
    ok(&s, &["analyze", &second, "--provider", "local"]);
    let (_, _, meta) = latest(&s, "local");
    let sent = server.requests() as u64 - before;
    assert!(
        sent >= 1 && sent < batches,
        "{sent} of {batches} batches sent again"
    );
    assert_eq!(meta["cached_batches"].as_u64().unwrap(), batches - sent);
}

#[test]
fn eval_measures_a_model_provider_on_labelled_documents() {
    let server = good_openai();
    let s = Sandbox::new();
    s.write("config.toml", local_config(&server.url(), ""));
    let v: Value = serde_json::from_str(&ok(
        &s,
        &["eval", FIXTURES, "--provider", "local", "--json"],
    ))
    .unwrap();
    assert_eq!(v["provider"], "local");
    let cost = &v["provider_cost"];
    assert_eq!(
        cost["requests"].as_u64().unwrap() as usize,
        server.requests()
    );
    assert!(cost["model_verdicts"].as_u64().unwrap() > 0);
    // Only the invented inconsistency of each document's clarity answer.
    assert_eq!(cost["unverified_answers"], 3);
    assert!(
        v["groups"][0]["guidelines"]
            .as_array()
            .is_some_and(|g| !g.is_empty())
    );
    let text = ok(&s, &["eval", FIXTURES, "--provider", "local"]);
    assert!(text.contains("provider local:"), "{text}");
}

#[test]
fn a_remote_provider_goes_through_the_proxy_and_a_local_one_never_does() {
    let (proxy, targets) = start_proxy(|_, r| openai_reply(&good(&prompt(r)).to_string()));
    // The far end is unreachable except through the proxy.
    let config = "[providers.hosted]\nkind = \"openai\"\nmodel = \"m\"\nbase_url = \"http://10.255.255.1:9/v1\"\nallow_remote = true\ntimeout = 5\nretries = 0\n";
    let (s, id) = sandbox(config);
    let mut cmd = s.command();
    cmd.arg("--config")
        .arg(s.path("config.toml"))
        .args(["analyze", &id, "--provider", "hosted"])
        .env("HTTPS_PROXY", proxy.url())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(proxy.requests() > 0);
    assert!(
        targets
            .lock()
            .unwrap()
            .iter()
            .all(|t| t.starts_with("CONNECT 10.255.255.1:9 ")),
        "{:?}",
        targets.lock().unwrap()
    );
    let where_ = latest(&s, "hosted").2["destination"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(where_, "10.255.255.1 (remote)");

    // A local provider is reached directly even with a proxy set.
    let server = good_openai();
    let (s, id) = sandbox(&local_config(&server.url(), ""));
    let before = proxy.requests();
    let mut cmd = s.command();
    cmd.arg("--config")
        .arg(s.path("config.toml"))
        .args(["analyze", &id, "--provider", "local"])
        .env("HTTPS_PROXY", proxy.url())
        .env("HTTP_PROXY", proxy.url())
        .env_remove("NO_PROXY")
        .env_remove("no_proxy");
    assert!(cmd.output().unwrap().status.success());
    assert_eq!(proxy.requests(), before, "local text went to the proxy");
    assert!(server.requests() > 0);
}

/// A TLS server on 127.0.0.1 whose certificate is signed by a CA of the
/// test's own, as a research server's internal CA would be: `openssl
/// s_server`, answering any request with a page.
struct TlsServer {
    child: std::process::Child,
    port: u16,
    ca: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tls_server() -> TlsServer {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name);
    let openssl = |args: &[&str]| {
        let out = std::process::Command::new("openssl")
            .args(args)
            .current_dir(dir.path())
            .output()
            .expect("openssl is installed");
        assert!(out.status.success(), "openssl {args:?}: {out:?}");
    };
    openssl(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=ProtoScribe test CA",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
    ]);
    openssl(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
    ]);
    std::fs::write(p("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n").unwrap();
    openssl(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-extfile",
        "san.ext",
        "-out",
        "server.pem",
    ]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = std::process::Command::new("openssl")
        .args(["s_server", "-quiet", "-www", "-accept"])
        .arg(port.to_string())
        .args(["-cert", "server.pem", "-key", "server.key"])
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed().as_secs() < 10, "s_server did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    TlsServer {
        child,
        port,
        ca: p("ca.pem"),
        _dir: dir,
    }
}

#[test]
fn an_institutions_own_ca_is_trusted_through_ssl_cert_file_and_not_otherwise() {
    let server = tls_server();
    let config = format!(
        "[providers.internal]\nkind = \"openai\"\nmodel = \"m\"\nbase_url = \"https://127.0.0.1:{}/v1\"\ntimeout = 5\nretries = 0\n",
        server.port
    );
    let (s, _) = sandbox(&config);
    let check = |ca: Option<&std::path::Path>| {
        let mut cmd = s.command();
        cmd.arg("--config")
            .arg(s.path("config.toml"))
            .args(["providers", "check"]);
        match ca {
            Some(ca) => cmd.env("SSL_CERT_FILE", ca),
            None => cmd.env_remove("SSL_CERT_FILE"),
        };
        let out = cmd.output().unwrap();
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let untrusted = check(None);
    let line = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("internal"))
            .unwrap_or_default()
            .to_lowercase()
    };
    assert!(
        line(&untrusted).contains("certificate") || line(&untrusted).contains("unknownissuer"),
        "without the CA the handshake fails on the certificate: {untrusted}"
    );
    let trusted = check(Some(&server.ca));
    assert!(
        !line(&trusted).contains("certificate") && !line(&trusted).contains("unknownissuer"),
        "with SSL_CERT_FILE the certificate is trusted: {trusted}"
    );
}
