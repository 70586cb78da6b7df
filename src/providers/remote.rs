//! Whether an endpoint is on this machine: a protocol is confidential, and
//! leaves the machine only for a provider the user allowed.

use std::net::IpAddr;

/// The host of an `http://` or `https://` URL (without port or brackets).
pub fn host_of(url: &str) -> Option<String> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    // user:password@host:port
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let host = if let Some(inner) = authority.strip_prefix('[') {
        inner.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    (!host.is_empty()).then(|| host.to_ascii_lowercase())
}

/// localhost, 127.0.0.0/8 and ::1 are this machine; anything else (names
/// included: a name can resolve anywhere) is remote.
pub fn is_local_host(host: &str) -> bool {
    if host == "localhost" || host.ends_with(".localhost") {
        return true;
    }
    match host.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => v4.is_loopback(),
        Ok(IpAddr::V6(v6)) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
        Err(_) => false,
    }
}

pub fn is_local_url(url: &str) -> bool {
    host_of(url).is_some_and(|h| is_local_host(&h))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_is_local_and_the_rest_is_remote() {
        for url in [
            "http://localhost:11434/v1",
            "http://127.0.0.1:8080",
            "http://127.1.2.3/v1",
            "http://[::1]:8000/v1",
        ] {
            assert!(is_local_url(url), "{url}");
        }
        for url in [
            "https://api.openai.com/v1",
            "http://10.0.0.5:8000",
            "http://localhost.evil.com/v1",
            "http://[::2]/",
            "ftp://localhost/",
        ] {
            assert!(!is_local_url(url), "{url}");
        }
    }

    #[test]
    fn credentials_in_a_url_do_not_hide_the_host() {
        assert_eq!(
            host_of("http://127.0.0.1@example.com/v1").as_deref(),
            Some("example.com")
        );
    }
}
