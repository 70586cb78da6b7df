//! The Anthropic Messages API: `POST {base_url}/v1/messages` with one tool
//! whose input schema is the answer schema, and `tool_choice` forcing it,
//! so the answer arrives as the tool's input.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde_json::{Value, json};

use super::http::Http;
use super::{CallError, Endpoint, ModelRequest, ProviderConfig, Reply, api_key};

pub const API_VERSION: &str = "2023-06-01";
pub const TOOL: &str = "record_verdicts";

pub struct Anthropic {
    config: ProviderConfig,
    http: Http,
}

impl Anthropic {
    pub fn new(config: ProviderConfig, cancel: Arc<AtomicBool>) -> Anthropic {
        Anthropic {
            http: Http::new(&config, cancel),
            config,
        }
    }

    /// A refused key names the variable it came from.
    fn auth<T>(&self, result: Result<T, CallError>) -> Result<T, CallError> {
        result.map_err(|e| e.naming_key_variable(&self.config.api_key_env))
    }
}

pub fn body(model: &str, request: &ModelRequest) -> Value {
    json!({
        "model": model,
        "max_tokens": request.max_output_tokens,
        "temperature": 0,
        "system": request.system,
        "messages": [{"role": "user", "content": request.user}],
        "tools": [{
            "name": TOOL,
            "description": "Record the verdict, verbatim quote, rationale and suggested wording for each checklist item.",
            "input_schema": request.schema,
        }],
        "tool_choice": {"type": "tool", "name": TOOL},
    })
}

pub fn reply(provider: &str, response: &Value) -> Result<Reply, CallError> {
    let input = response
        .get("content")
        .and_then(Value::as_array)
        .and_then(|blocks| {
            blocks.iter().find(|b| {
                b.get("type").and_then(Value::as_str) == Some("tool_use")
                    && b.get("name").and_then(Value::as_str) == Some(TOOL)
            })
        })
        .and_then(|b| b.get("input"))
        .ok_or_else(|| CallError::Malformed {
            provider: provider.to_owned(),
            detail: format!("no {TOOL} tool call in the response"),
        })?;
    // Some models put the JSON in a string rather than an object.
    let content = match input {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let usage = |field: &str| {
        response
            .pointer(&format!("/usage/{field}"))
            .and_then(Value::as_u64)
    };
    Ok(Reply {
        input_tokens: usage("input_tokens").unwrap_or_else(|| super::estimate_tokens(&content)),
        output_tokens: usage("output_tokens").unwrap_or_else(|| super::estimate_tokens(&content)),
        content,
    })
}

impl Endpoint for Anthropic {
    fn call(&self, request: &ModelRequest) -> Result<Reply, CallError> {
        let key = api_key(&self.config)?;
        let mut headers = vec![("anthropic-version", API_VERSION)];
        if let Some(k) = &key {
            headers.push(("x-api-key", k.as_str()));
        }
        let url = format!("{}/v1/messages", self.config.base_url);
        let response = self.auth(self.http.post_json(
            &url,
            &headers,
            &body(&self.config.model, request),
            key.as_deref(),
        ))?;
        reply(&self.config.name, &response)
    }

    fn probe(&self) -> Result<String, CallError> {
        let key = api_key(&self.config)?;
        let mut headers = vec![("anthropic-version", API_VERSION)];
        if let Some(k) = &key {
            headers.push(("x-api-key", k.as_str()));
        }
        let url = format!("{}/v1/models", self.config.base_url);
        let status = self.auth(self.http.probe(&url, &headers))?;
        Ok(format!("GET /v1/models: HTTP {status}"))
    }
}
