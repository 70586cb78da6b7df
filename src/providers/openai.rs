//! The Chat Completions protocol (OpenAI, Ollama, vLLM,
//! llama.cpp's server): `POST {base_url}/chat/completions` with the answer
//! schema as `response_format` `json_schema`.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use serde_json::{Value, json};

use super::http::Http;
use super::{CallError, Endpoint, ModelRequest, ProviderConfig, Reply, api_key};

pub struct OpenAi {
    config: ProviderConfig,
    http: Http,
}

impl OpenAi {
    pub fn new(config: ProviderConfig, cancel: Arc<AtomicBool>) -> OpenAi {
        OpenAi {
            http: Http::new(&config, cancel),
            config,
        }
    }

    /// A refused key names the variable it came from.
    fn auth<T>(&self, result: Result<T, CallError>) -> Result<T, CallError> {
        result.map_err(|e| e.naming_key_variable(&self.config.api_key_env))
    }
}

/// The request body (public for tests of its shape).
pub fn body(model: &str, request: &ModelRequest) -> Value {
    json!({
        "model": model,
        "messages": [
            {"role": "system", "content": request.system},
            {"role": "user", "content": request.user},
        ],
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "checklist_verdicts", "strict": true, "schema": request.schema},
        },
        "temperature": 0,
        "max_tokens": request.max_output_tokens,
    })
}

/// The answer's text and token counts from a response.
pub fn reply(provider: &str, response: &Value) -> Result<Reply, CallError> {
    let malformed = |detail: &str| CallError::Malformed {
        provider: provider.to_owned(),
        detail: detail.to_owned(),
    };
    let message = response
        .pointer("/choices/0/message")
        .ok_or_else(|| malformed("no choices[0].message in the response"))?;
    if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
        return Err(malformed(&format!(
            "the model refused: {}",
            refusal.chars().take(120).collect::<String>()
        )));
    }
    let content = message
        .get("content")
        .and_then(Value::as_str)
        .ok_or_else(|| malformed("the message has no text content"))?;
    let usage = |field: &str| {
        response
            .pointer(&format!("/usage/{field}"))
            .and_then(Value::as_u64)
    };
    Ok(Reply {
        content: content.to_owned(),
        input_tokens: usage("prompt_tokens").unwrap_or_else(|| super::estimate_tokens(content)),
        output_tokens: usage("completion_tokens")
            .unwrap_or_else(|| super::estimate_tokens(content)),
    })
}

impl Endpoint for OpenAi {
    fn call(&self, request: &ModelRequest) -> Result<Reply, CallError> {
        let key = api_key(&self.config)?;
        let bearer = key.as_ref().map(|k| format!("Bearer {k}"));
        let mut headers = Vec::new();
        if let Some(b) = &bearer {
            headers.push(("authorization", b.as_str()));
        }
        let url = format!("{}/chat/completions", self.config.base_url);
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
        let bearer = key.as_ref().map(|k| format!("Bearer {k}"));
        let mut headers = Vec::new();
        if let Some(b) = &bearer {
            headers.push(("authorization", b.as_str()));
        }
        let url = format!("{}/models", self.config.base_url);
        let status = self.auth(self.http.probe(&url, &headers))?;
        Ok(format!("GET /models: HTTP {status}"))
    }
}
