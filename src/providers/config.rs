//! The providers the user configured: `~/.config/protoscribe/config.toml`
//! (or `--config PATH`), one `[providers.NAME]` table each. `builtin` is
//! always there and needs no table. A bad file is an error naming the file,
//! the line and the fix, never a silent default.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// What a bad configuration says (one line).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(pub String);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// Chat Completions: OpenAI, Ollama, vLLM, llama.cpp (a bearer key).
    Openai,
    /// The Anthropic Messages API.
    Anthropic,
    /// Any program: the request as JSON on stdin, the answer on stdout.
    Command,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Openai => "openai",
            Kind::Anthropic => "anthropic",
            Kind::Command => "command",
        }
    }
}

/// One `[providers.NAME]` table as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    kind: Kind,
    model: Option<String>,
    base_url: Option<String>,
    api_key_env: Option<String>,
    timeout: Option<f64>,
    max_concurrency: Option<usize>,
    price_input_per_mtok: Option<f64>,
    price_output_per_mtok: Option<f64>,
    #[serde(default)]
    allow_remote: bool,
    #[serde(default)]
    fallback: Vec<String>,
    command: Option<Vec<String>>,
    retries: Option<u32>,
    max_tokens_per_analysis: Option<u64>,
    max_output_tokens: Option<u32>,
    clarity: Option<bool>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    providers: BTreeMap<String, RawProvider>,
}

/// A configured model provider, checked.
#[derive(Clone, Debug, PartialEq)]
pub struct ProviderConfig {
    pub name: String,
    pub kind: Kind,
    pub model: String,
    /// Empty for a command provider.
    pub base_url: String,
    /// The environment variable holding the key; the key itself is read
    /// at the moment of the request and kept nowhere.
    pub api_key_env: Option<String>,
    pub timeout: std::time::Duration,
    pub max_concurrency: usize,
    pub price_input_per_mtok: f64,
    pub price_output_per_mtok: f64,
    pub allow_remote: bool,
    pub fallback: Vec<String>,
    pub command: Vec<String>,
    /// Further attempts after a 429, a 5xx or a lost connection.
    pub retries: u32,
    pub max_tokens_per_analysis: u64,
    pub max_output_tokens: u32,
    /// Also ask for undefined terms, inconsistent numbers and unclear
    /// sentences (one more request per analysis).
    pub clarity: bool,
}

pub const DEFAULT_TIMEOUT_SECS: f64 = 120.0;
pub const DEFAULT_CONCURRENCY: usize = 2;
pub const DEFAULT_RETRIES: u32 = 3;
pub const DEFAULT_TOKEN_BUDGET: u64 = 400_000;
pub const DEFAULT_MAX_OUTPUT: u32 = 4_096;

/// Every configured provider, by name (`builtin` is implicit).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Config {
    /// Where it was read from, if a file was.
    pub path: Option<PathBuf>,
    pub providers: BTreeMap<String, ProviderConfig>,
}

/// The default file: `$XDG_CONFIG_HOME/protoscribe/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|d| d.join("protoscribe").join("config.toml"))
}

impl Config {
    /// Read `explicit` (which must exist), else the default file if there
    /// is one, else no providers but `builtin`.
    pub fn load(explicit: Option<&Path>) -> Result<Config, ConfigError> {
        let path = match explicit {
            Some(p) => p.to_path_buf(),
            None => match default_path() {
                Some(p) if p.exists() => p,
                _ => return Ok(Config::default()),
            },
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            ConfigError(format!(
                "cannot read the configuration {}: {e}",
                path.display()
            ))
        })?;
        let mut config = Config::parse(&text)
            .map_err(|e| ConfigError(format!("configuration {}: {}", path.display(), e.0)))?;
        config.path = Some(path);
        Ok(config)
    }

    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text.get(..s.start).unwrap_or(text).matches('\n').count() + 1);
            let message = e.message().replace('\n', " ");
            ConfigError(match line {
                Some(n) => format!("line {n}: {message}"),
                None => message,
            })
        })?;
        let mut providers = BTreeMap::new();
        for (name, p) in &raw.providers {
            let checked = check(name, p.clone()).map_err(|(field, what)| {
                ConfigError(match field.and_then(|f| line_of(text, name, f)) {
                    Some(n) => format!("line {n}: providers.{name}: {what}"),
                    None => format!("providers.{name}: {what}"),
                })
            })?;
            providers.insert(name.clone(), checked);
        }
        for p in providers.values() {
            for f in &p.fallback {
                if f != "builtin" && !providers.contains_key(f) {
                    return Err(ConfigError(format!(
                        "providers.{}: fallback '{f}' is not a configured provider (add [providers.{f}] or use \"builtin\")",
                        p.name
                    )));
                }
                if f == &p.name {
                    return Err(ConfigError(format!(
                        "providers.{}: a provider cannot fall back to itself",
                        p.name
                    )));
                }
            }
        }
        Ok(Config {
            path: None,
            providers,
        })
    }

    pub fn get(&self, name: &str) -> Option<&ProviderConfig> {
        self.providers.get(name)
    }

    /// Every provider name, `builtin` first.
    pub fn names(&self) -> Vec<String> {
        std::iter::once("builtin".to_owned())
            .chain(self.providers.keys().cloned())
            .collect()
    }
}

/// A provider table's error: the field it is about (to name its line),
/// and what is wrong.
type FieldError = (Option<&'static str>, String);

/// The line of `field = …` in the `[providers.NAME]` table of `text`.
fn line_of(text: &str, name: &str, field: &str) -> Option<usize> {
    let header = format!("[providers.{name}]");
    let mut inside = false;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            inside = line.replace(' ', "") == header.replace(' ', "");
            continue;
        }
        if inside
            && let Some(rest) = line.strip_prefix(field)
            && rest.trim_start().starts_with('=')
        {
            return Some(n + 1);
        }
    }
    None
}

fn check(name: &str, p: RawProvider) -> Result<ProviderConfig, FieldError> {
    let bad = |what: String| (None, what);
    let bad_field = |field: &'static str, what: String| (Some(field), what);
    if name == "builtin" {
        return Err(bad(
            "'builtin' is the offline analyzer and cannot be configured; pick another name".into(),
        ));
    }
    if name.is_empty()
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
    {
        return Err(bad(
            "a provider name may hold only letters, digits, '-', '_' and '.'".into(),
        ));
    }
    let model = match (p.kind, p.model) {
        (_, Some(m)) if !m.trim().is_empty() => m,
        (Kind::Command, _) => "command".to_owned(),
        _ => {
            return Err(bad_field(
                "model",
                "needs model = \"…\" (the model's name at the endpoint)".into(),
            ));
        }
    };
    let command = p.command.unwrap_or_default();
    let base_url = match p.kind {
        Kind::Command => {
            if command.is_empty() || command[0].trim().is_empty() {
                return Err(bad_field(
                    "command",
                    "kind = \"command\" needs command = [\"program\", \"arg\", …]".into(),
                ));
            }
            if p.base_url.is_some() {
                return Err(bad_field(
                    "base_url",
                    "a command provider has no base_url".into(),
                ));
            }
            String::new()
        }
        kind => {
            if !command.is_empty() {
                return Err(bad_field(
                    "command",
                    format!(
                        "command = […] is only for kind = \"command\", not \"{}\"",
                        kind.as_str()
                    ),
                ));
            }
            let url = p.base_url.unwrap_or_else(|| match kind {
                Kind::Anthropic => "https://api.anthropic.com".to_owned(),
                _ => "https://api.openai.com/v1".to_owned(),
            });
            let url = url.trim_end_matches('/').to_owned();
            if super::remote::host_of(&url).is_none() {
                return Err(bad_field(
                    "base_url",
                    format!(
                        "base_url '{}' is not an http:// or https:// URL with a host",
                        crate::sanitize::mask_passwords(&url)
                    ),
                ));
            }
            url
        }
    };
    if let Some(env) = &p.api_key_env
        && (env.is_empty() || !env.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
    {
        // Never echo the value: it is often the key itself, pasted in.
        return Err(bad_field(
            "api_key_env",
            "api_key_env names an environment variable (letters, digits and '_', like OPENAI_API_KEY), and what is there is not one; the key itself never goes in this file".into(),
        ));
    }
    let timeout = p.timeout.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if !(timeout.is_finite() && timeout > 0.0 && timeout <= 3600.0) {
        return Err(bad_field(
            "timeout",
            "timeout is in seconds, more than 0 and at most 3600".into(),
        ));
    }
    let max_concurrency = p.max_concurrency.unwrap_or(DEFAULT_CONCURRENCY);
    if !(1..=32).contains(&max_concurrency) {
        return Err(bad_field(
            "max_concurrency",
            "max_concurrency is from 1 to 32".into(),
        ));
    }
    for (field, v) in [
        ("price_input_per_mtok", p.price_input_per_mtok),
        ("price_output_per_mtok", p.price_output_per_mtok),
    ] {
        if let Some(v) = v
            && !(v.is_finite() && v >= 0.0)
        {
            return Err(bad_field(
                field,
                format!("{field} is a price (0 or more) per million tokens"),
            ));
        }
    }
    let retries = p.retries.unwrap_or(DEFAULT_RETRIES);
    if retries > 10 {
        return Err(bad_field("retries", "retries is at most 10".into()));
    }
    let max_output_tokens = p.max_output_tokens.unwrap_or(DEFAULT_MAX_OUTPUT);
    if max_output_tokens == 0 {
        return Err(bad_field(
            "max_output_tokens",
            "max_output_tokens must be more than 0".into(),
        ));
    }
    Ok(ProviderConfig {
        name: name.to_owned(),
        kind: p.kind,
        model,
        base_url,
        api_key_env: p.api_key_env,
        timeout: std::time::Duration::from_secs_f64(timeout),
        max_concurrency,
        price_input_per_mtok: p.price_input_per_mtok.unwrap_or(0.0),
        price_output_per_mtok: p.price_output_per_mtok.unwrap_or(0.0),
        allow_remote: p.allow_remote,
        fallback: p.fallback,
        command,
        retries,
        max_tokens_per_analysis: p.max_tokens_per_analysis.unwrap_or(DEFAULT_TOKEN_BUDGET),
        max_output_tokens,
        clarity: p.clarity.unwrap_or(true),
    })
}

impl ProviderConfig {
    /// Whether the text leaves this machine when this provider reads it.
    pub fn is_remote(&self) -> bool {
        self.kind != Kind::Command && !super::remote::is_local_url(&self.base_url)
    }

    /// Where the text goes, for the analysis metadata.
    pub fn destination(&self) -> String {
        match self.kind {
            Kind::Command => format!(
                "local command {}",
                Path::new(&self.command[0])
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default()
            ),
            _ => format!(
                "{} ({})",
                super::remote::host_of(&self.base_url).unwrap_or_default(),
                if self.is_remote() {
                    "remote"
                } else {
                    "this machine"
                }
            ),
        }
    }

    pub fn cost(&self, input_tokens: u64, output_tokens: u64) -> f64 {
        (input_tokens as f64 * self.price_input_per_mtok
            + output_tokens as f64 * self.price_output_per_mtok)
            / 1_000_000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_table_is_read() {
        let c = Config::parse(
            r#"
[providers.local]
kind = "openai"
model = "llama3.1"
base_url = "http://localhost:11434/v1/"
timeout = 30
fallback = ["builtin"]
"#,
        )
        .unwrap();
        let p = c.get("local").unwrap();
        assert_eq!(p.base_url, "http://localhost:11434/v1");
        assert!(!p.is_remote());
        assert_eq!(c.names(), ["builtin", "local"]);
    }

    #[test]
    fn an_unknown_field_names_its_line() {
        let e =
            Config::parse("[providers.x]\nkind = \"openai\"\nmodel = \"m\"\napi_key = \"sk\"\n")
                .unwrap_err();
        assert!(e.0.starts_with("line "), "{e}");
        assert!(e.0.contains("api_key"), "{e}");
        assert!(!e.0.contains('\n'));
    }

    #[test]
    fn a_bad_value_names_its_line() {
        let e = Config::parse(
            "[providers.a]\nkind = \"openai\"\nmodel = \"m\"\n\n[providers.local]\nkind = \"openai\"\nmodel = \"fake\"\ntimeout = -5\n",
        )
        .unwrap_err();
        assert!(
            e.0.starts_with("line 8: providers.local: timeout"),
            "{}",
            e.0
        );
    }

    #[test]
    fn a_key_pasted_as_the_variables_name_is_never_repeated() {
        let e = Config::parse(
            "[providers.local]\nkind = \"openai\"\nmodel = \"m\"\napi_key_env = \"sk-HOSTILEKEY-abcdef123456\"\n",
        )
        .unwrap_err();
        assert!(!e.0.contains("HOSTILEKEY"), "{}", e.0);
        assert!(
            e.0.starts_with("line 4: providers.local: api_key_env"),
            "{}",
            e.0
        );
    }

    #[test]
    fn a_fallback_must_exist() {
        let e = Config::parse(
            "[providers.x]\nkind = \"openai\"\nmodel = \"m\"\nfallback = [\"nope\"]\n",
        )
        .unwrap_err();
        assert!(e.0.contains("nope"), "{e}");
    }

    #[test]
    fn a_hosted_endpoint_is_remote() {
        let c =
            Config::parse("[providers.o]\nkind = \"openai\"\nmodel = \"gpt-4o-mini\"\n").unwrap();
        assert!(c.get("o").unwrap().is_remote());
    }
}
