//! Model providers beside the builtin analyzer: configured endpoints
//! (OpenAI Chat Completions, Anthropic Messages, or a local command) that
//! read the passages the builtin found and answer per checklist item. Only
//! answers whose quotes are found in the protocol's text are trusted
//! (`grounded`). No database and no terminal here: the caller hands in a
//! cache and a progress callback.

pub mod anthropic;
pub mod clarity;
pub mod command;
pub mod config;
pub mod grounded;
pub mod http;
pub mod openai;
pub mod prompt;
pub mod remote;
pub mod verify;

use serde_json::Value;

pub use config::{Config, ConfigError, Kind, ProviderConfig};

/// Bumped whenever the prompt or the answer schema changes: it is part of
/// the cache key and recorded with every analysis.
pub const PROMPT_VERSION: &str = "grounded-1";

/// One request to a model: instructions, the batch's items and passages,
/// and the JSON schema the answer must follow.
#[derive(Clone, Debug)]
pub struct ModelRequest {
    pub system: String,
    pub user: String,
    pub schema: Value,
    pub max_output_tokens: u32,
}

/// What a model answered: the answer's JSON text and the tokens it cost.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    pub content: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
}

/// Why a call failed, in words fit for an error line: never a key, never
/// an authorisation header.
#[derive(Clone, Debug, thiserror::Error)]
pub enum CallError {
    #[error(
        "{provider} refused the API key (HTTP {status}): check the key in ${env}",
        env = env.as_deref().unwrap_or("the provider's api_key_env")
    )]
    Auth {
        provider: String,
        status: u16,
        env: Option<String>,
    },
    #[error("{provider} needs an API key in ${env}, which is not set")]
    MissingKey { provider: String, env: String },
    #[error("{provider} answered HTTP {status}{detail}")]
    Status {
        provider: String,
        status: u16,
        detail: String,
    },
    #[error("{provider} did not answer within {seconds} s")]
    Timeout { provider: String, seconds: f64 },
    #[error("cannot reach {provider}: {detail}")]
    Transport { provider: String, detail: String },
    #[error("{provider} gave an answer that cannot be read: {detail}")]
    Malformed { provider: String, detail: String },
    #[error("{provider} (command) failed: {detail}")]
    Command { provider: String, detail: String },
    #[error("cancelled")]
    Cancelled,
}

impl CallError {
    /// An authentication failure, told which environment variable held
    /// the key (never the key).
    pub fn naming_key_variable(self, env: &Option<String>) -> CallError {
        match self {
            CallError::Auth {
                provider, status, ..
            } => CallError::Auth {
                provider,
                status,
                env: env.clone(),
            },
            other => other,
        }
    }
}

impl CallError {
    /// Worth another attempt: rate limits, server errors, lost connections.
    pub fn is_transient(&self) -> bool {
        match self {
            CallError::Status { status, .. } => *status == 429 || *status >= 500,
            CallError::Timeout { .. } | CallError::Transport { .. } => true,
            _ => false,
        }
    }
}

/// A model endpoint, whatever protocol it speaks.
pub trait Endpoint: Send + Sync {
    fn call(&self, request: &ModelRequest) -> Result<Reply, CallError>;
    /// A cheap availability check that sends no protocol text.
    fn probe(&self) -> Result<String, CallError>;
}

/// The endpoint a configured provider speaks through.
pub fn endpoint(
    config: &ProviderConfig,
    cancel: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Box<dyn Endpoint> {
    match config.kind {
        Kind::Openai => Box::new(openai::OpenAi::new(config.clone(), cancel)),
        Kind::Anthropic => Box::new(anthropic::Anthropic::new(config.clone(), cancel)),
        Kind::Command => Box::new(command::CommandEndpoint::new(config.clone(), cancel)),
    }
}

/// The API key from the provider's environment variable, if it names one.
pub fn api_key(config: &ProviderConfig) -> Result<Option<String>, CallError> {
    let Some(env) = &config.api_key_env else {
        return Ok(None);
    };
    match std::env::var(env) {
        Ok(key) if !key.trim().is_empty() => Ok(Some(key.trim().to_owned())),
        _ => Err(CallError::MissingKey {
            provider: config.name.clone(),
            env: env.clone(),
        }),
    }
}

/// Remove every occurrence of `secret` from a message (a server may echo
/// what it was sent).
pub fn redact(message: &str, secret: Option<&str>) -> String {
    match secret {
        Some(s) if s.len() >= 4 => message.replace(s, "[redacted]"),
        _ => message.to_owned(),
    }
}

/// A rough count of tokens for text that has not been through a model's
/// tokenizer: about four characters each.
pub fn estimate_tokens(text: &str) -> u64 {
    (text.chars().count() as u64).div_ceil(4)
}
