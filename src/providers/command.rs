//! A provider that is a program on this machine (for air-gapped servers
//! and local tools): the request goes to its stdin as one JSON object, the
//! answer comes back on its stdout, within the provider's timeout.
//!
//! Request: `{"protoscribe": 1, "model", "prompt_version", "system",
//! "user", "schema", "max_output_tokens"}`. Answer: the JSON the schema
//! describes, or `{"answer": …, "usage": {"input_tokens", "output_tokens"}}`.

use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{CallError, Endpoint, ModelRequest, ProviderConfig, Reply};

/// The most a command may print before it is stopped.
const MAX_OUTPUT: u64 = 16 * 1024 * 1024;

pub struct CommandEndpoint {
    config: ProviderConfig,
    cancel: Arc<AtomicBool>,
}

impl CommandEndpoint {
    pub fn new(config: ProviderConfig, cancel: Arc<AtomicBool>) -> CommandEndpoint {
        CommandEndpoint { config, cancel }
    }

    fn failed(&self, detail: String) -> CallError {
        CallError::Command {
            provider: self.config.name.clone(),
            detail,
        }
    }

    fn run(&self, input: &[u8]) -> Result<Vec<u8>, CallError> {
        let argv = &self.config.command;
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.failed(format!("cannot start {}: {e}", argv[0])))?;
        let mut stdin = child.stdin.take();
        let input = input.to_vec();
        // Written from a thread: a program that answers before reading all
        // its input must not deadlock us.
        let writer = std::thread::spawn(move || {
            if let Some(s) = stdin.as_mut() {
                let _ = s.write_all(&input);
            }
        });
        let mut stdout = child.stdout.take();
        let reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(s) = stdout.as_mut() {
                let _ = s.take(MAX_OUTPUT).read_to_end(&mut out);
            }
            out
        });
        let mut stderr = child.stderr.take();
        let err_reader = std::thread::spawn(move || {
            let mut out = Vec::new();
            if let Some(s) = stderr.as_mut() {
                let _ = s.take(64 * 1024).read_to_end(&mut out);
            }
            out
        });
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) => {}
                Err(e) => return Err(self.failed(format!("cannot wait for it: {e}"))),
            }
            let cancelled = self.cancel.load(Ordering::Relaxed);
            if cancelled || started.elapsed() > self.config.timeout {
                let _ = child.kill();
                let _ = child.wait();
                return Err(if cancelled {
                    CallError::Cancelled
                } else {
                    CallError::Timeout {
                        provider: self.config.name.clone(),
                        seconds: self.config.timeout.as_secs_f64(),
                    }
                });
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let _ = writer.join();
        let out = reader.join().unwrap_or_default();
        let err = err_reader.join().unwrap_or_default();
        if !status.success() {
            let last = String::from_utf8_lossy(&err)
                .lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(|l| {
                    l.chars()
                        .filter(|c| !c.is_control())
                        .take(160)
                        .collect::<String>()
                })
                .unwrap_or_default();
            return Err(self.failed(format!(
                "{} exited with {status}{}",
                argv[0],
                if last.is_empty() {
                    String::new()
                } else {
                    format!(": {last}")
                }
            )));
        }
        Ok(out)
    }
}

impl Endpoint for CommandEndpoint {
    fn call(&self, request: &ModelRequest) -> Result<Reply, CallError> {
        let input = json!({
            "protoscribe": 1,
            "model": self.config.model,
            "prompt_version": super::PROMPT_VERSION,
            "system": request.system,
            "user": request.user,
            "schema": request.schema,
            "max_output_tokens": request.max_output_tokens,
        });
        let out = self.run(input.to_string().as_bytes())?;
        let text = String::from_utf8_lossy(&out).into_owned();
        // Either the bare answer or {"answer": …, "usage": …}.
        let parsed: Option<Value> = serde_json::from_str(text.trim()).ok();
        let wrapped = parsed
            .as_ref()
            .filter(|v| v.get("answer").is_some())
            .cloned();
        match wrapped {
            Some(v) => {
                let answer = match &v["answer"] {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                let usage = |f: &str| v.pointer(&format!("/usage/{f}")).and_then(Value::as_u64);
                Ok(Reply {
                    input_tokens: usage("input_tokens")
                        .unwrap_or_else(|| super::estimate_tokens(&request.user)),
                    output_tokens: usage("output_tokens")
                        .unwrap_or_else(|| super::estimate_tokens(&answer)),
                    content: answer,
                })
            }
            None => Ok(Reply {
                input_tokens: super::estimate_tokens(&request.system)
                    + super::estimate_tokens(&request.user),
                output_tokens: super::estimate_tokens(&text),
                content: text,
            }),
        }
    }

    fn probe(&self) -> Result<String, CallError> {
        let program = &self.config.command[0];
        let found = if program.contains('/') {
            std::path::Path::new(program).is_file()
        } else {
            std::env::var_os("PATH").is_some_and(|paths| {
                std::env::split_paths(&paths).any(|d| d.join(program).is_file())
            })
        };
        if found {
            Ok(format!("{program} found"))
        } else {
            Err(self.failed(format!("{program} is not found")))
        }
    }
}
