//! JSON over HTTP with a blocking client (ureq, TLS through rustls): one
//! agent per provider with its timeout, the proxy from `HTTPS_PROXY` /
//! `NO_PROXY` for remote providers (never for one on this machine), root
//! certificates from the system's store plus `SSL_CERT_FILE` when set, and retries
//! with exponential backoff and jitter on 429, 5xx and lost connections,
//! honouring `Retry-After` (capped).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::Value;

use super::{CallError, ProviderConfig, redact};

/// The longest wait a `Retry-After` may ask for.
const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);
/// The first backoff; doubled on every further attempt, up to `BACKOFF_CAP`.
const BACKOFF_BASE: Duration = Duration::from_millis(500);
const BACKOFF_CAP: Duration = Duration::from_secs(20);
/// How much of an error body an error message quotes.
const DETAIL_CHARS: usize = 160;

pub struct Http {
    agent: ureq::Agent,
    provider: String,
    timeout: Duration,
    retries: u32,
    cancel: Arc<AtomicBool>,
}

/// A header to send: name and value (the value may be a secret, and is
/// never put into a message).
pub type Header<'a> = (&'a str, &'a str);

impl Http {
    pub fn new(config: &ProviderConfig, cancel: Arc<AtomicBool>) -> Http {
        // A provider on this machine is reached directly: a proxy from the
        // environment (often a site's outbound proxy) would carry the
        // protocol off the machine, and could not reach our loopback anyway.
        let proxy = if config.is_remote() {
            ureq::Proxy::try_from_env()
        } else {
            None
        };
        let mut builder = ureq::Agent::config_builder()
            .timeout_global(Some(config.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("protoscribe/", env!("CARGO_PKG_VERSION")))
            .proxy(proxy);
        if let Some(tls) = tls_config() {
            builder = builder.tls_config(tls);
        }
        Http {
            agent: builder.build().new_agent(),
            provider: config.name.clone(),
            timeout: config.timeout,
            retries: config.retries,
            cancel,
        }
    }

    /// POST `body` and read a JSON answer, retrying transient failures.
    pub fn post_json(
        &self,
        url: &str,
        headers: &[Header<'_>],
        body: &Value,
        secret: Option<&str>,
    ) -> Result<Value, CallError> {
        let payload = body.to_string();
        let mut attempt = 0;
        loop {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(CallError::Cancelled);
            }
            match self.once(url, headers, &payload, secret) {
                Ok(value) => return Ok(value),
                Err((e, retry_after)) if e.is_transient() && attempt < self.retries => {
                    let wait = retry_after
                        .map(|d| d.min(RETRY_AFTER_CAP))
                        .unwrap_or_else(|| backoff(attempt));
                    self.sleep(wait)?;
                    attempt += 1;
                }
                Err((e, _)) => return Err(e),
            }
        }
    }

    /// GET `url` once, for an availability probe: the status on success.
    pub fn probe(&self, url: &str, headers: &[Header<'_>]) -> Result<u16, CallError> {
        let mut request = self.agent.get(url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.call().map_err(|e| self.transport(e))?;
        let status = response.status().as_u16();
        match status {
            200..=299 => Ok(status),
            _ => Err(self.status_error(status, "", None)),
        }
    }

    fn once(
        &self,
        url: &str,
        headers: &[Header<'_>],
        payload: &str,
        secret: Option<&str>,
    ) -> Result<Value, (CallError, Option<Duration>)> {
        let mut request = self
            .agent
            .post(url)
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let mut response = request
            .send(payload)
            .map_err(|e| (self.transport(e), None))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, chrono::Utc::now()));
        let text = response
            .body_mut()
            .with_config()
            .limit(16 * 1024 * 1024)
            .read_to_string()
            .map_err(|e| (self.transport(e), None))?;
        if !(200..=299).contains(&status) {
            return Err((self.status_error(status, &text, secret), retry_after));
        }
        serde_json::from_str(&text).map_err(|e| {
            (
                CallError::Malformed {
                    provider: self.provider.clone(),
                    detail: format!("the response is not JSON ({e})"),
                },
                None,
            )
        })
    }

    fn status_error(&self, status: u16, body: &str, secret: Option<&str>) -> CallError {
        if status == 401 || status == 403 {
            // The env var is named by the caller, which knows it.
            return CallError::Auth {
                provider: self.provider.clone(),
                status,
                env: None,
            };
        }
        let message = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| {
                v.pointer("/error/message")
                    .or_else(|| v.get("error"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_default();
        let message: String = redact(&message, secret)
            .chars()
            .filter(|c| !c.is_control())
            .take(DETAIL_CHARS)
            .collect();
        CallError::Status {
            provider: self.provider.clone(),
            status,
            detail: if message.is_empty() {
                String::new()
            } else {
                format!(": {message}")
            },
        }
    }

    fn transport(&self, e: ureq::Error) -> CallError {
        match e {
            ureq::Error::Timeout(_) => CallError::Timeout {
                provider: self.provider.clone(),
                seconds: self.timeout.as_secs_f64(),
            },
            ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => {
                CallError::Timeout {
                    provider: self.provider.clone(),
                    seconds: self.timeout.as_secs_f64(),
                }
            }
            other => CallError::Transport {
                provider: self.provider.clone(),
                detail: other.to_string(),
            },
        }
    }

    /// Wait, but stop early when cancelled.
    fn sleep(&self, wait: Duration) -> Result<(), CallError> {
        let until = std::time::Instant::now() + wait;
        while std::time::Instant::now() < until {
            if self.cancel.load(Ordering::Relaxed) {
                return Err(CallError::Cancelled);
            }
            std::thread::sleep(Duration::from_millis(50).min(until - std::time::Instant::now()));
        }
        Ok(())
    }
}

/// A `Retry-After` value: seconds, or an HTTP date (the wait until then).
pub fn retry_after(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<f64>() {
        return (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds));
    }
    let when = chrono::DateTime::parse_from_rfc2822(value).ok()?;
    Some(
        (when.with_timezone(&chrono::Utc) - now)
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

/// The wait before attempt `attempt + 1`: doubling from `BACKOFF_BASE`,
/// capped, with up to half of it again at random so that many clients do
/// not retry in step.
pub fn backoff(attempt: u32) -> Duration {
    let base = BACKOFF_BASE
        .saturating_mul(1u32 << attempt.min(16))
        .min(BACKOFF_CAP);
    let mut byte = [0u8; 1];
    let jitter = match getrandom::fill(&mut byte) {
        Ok(()) => f64::from(byte[0]) / 255.0 * 0.5,
        Err(_) => 0.25,
    };
    base.mul_f64(1.0 + jitter)
}

/// The system's root certificates (Debian's /etc/ssl/certs, where an
/// institution's own CA is installed with update-ca-certificates), plus
/// the certificates of the PEM file `SSL_CERT_FILE` names, added to them
/// rather than replacing them. `None` (ureq's compiled-in Mozilla roots)
/// only when neither gives a certificate.
fn tls_config() -> Option<ureq::tls::TlsConfig> {
    let mut certs: Vec<ureq::tls::Certificate<'static>> = Vec::new();
    // rustls-native-certs reads SSL_CERT_FILE *instead of* the system store
    // when it is set: read the store without it, then the file on its own.
    let extra = std::env::var_os("SSL_CERT_FILE");
    let system = match &extra {
        Some(_) => native_certs_without_ssl_cert_file(),
        None => rustls_native_certs::load_native_certs().certs,
    };
    certs.extend(
        system
            .iter()
            .map(|c| ureq::tls::Certificate::from_der(c.as_ref()).to_owned()),
    );
    if let Some(path) = extra
        && let Ok(pem) = std::fs::read(path)
    {
        certs.extend(ureq::tls::parse_pem(&pem).filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c.to_owned()),
            _ => None,
        }));
    }
    if certs.is_empty() {
        return None;
    }
    Some(
        ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
            .build(),
    )
}

/// The system store's certificates, read from the usual bundle files, so
/// that `SSL_CERT_FILE` adds to them.
fn native_certs_without_ssl_cert_file() -> Vec<rustls::pki_types::CertificateDer<'static>> {
    const BUNDLES: &[&str] = &[
        "/etc/ssl/certs/ca-certificates.crt",
        "/etc/pki/tls/certs/ca-bundle.crt",
        "/etc/ssl/ca-bundle.pem",
        "/etc/ssl/cert.pem",
    ];
    BUNDLES
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .map(|pem| {
            ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => {
                        Some(rustls::pki_types::CertificateDer::from(c.der().to_vec()))
                    }
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-12-02T10:00:00Z")
            .map(|d| d.with_timezone(&chrono::Utc))
            .unwrap_or_default();
        assert_eq!(retry_after("1", now), Some(Duration::from_secs(1)));
        assert_eq!(
            retry_after("Wed, 02 Dec 2026 10:00:05 GMT", now),
            Some(Duration::from_secs(5))
        );
        assert_eq!(
            retry_after("Wed, 02 Dec 2026 09:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-3", now), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let first = backoff(0);
        assert!(first >= BACKOFF_BASE && first <= BACKOFF_BASE.mul_f64(1.5));
        let third = backoff(2);
        assert!(third >= BACKOFF_BASE * 4);
        assert!(backoff(30) <= BACKOFF_CAP.mul_f64(1.5));
    }
}
