//! Where a PostgreSQL store is and how to reach it: the URL (`postgres://`
//! or `postgresql://`, libpq's form), the password from the URL, else
//! `PGPASSWORD`, else `~/.pgpass` (never printed), TLS as `sslmode` asks,
//! and a pool of connections. Every failure to connect becomes one sentence
//! that says what to do.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use postgres::config::{Host, SslMode};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::error::{Result, StoreError};

pub type Pool = r2d2::Pool<Manager>;
pub type Client = r2d2::PooledConnection<Manager>;

/// How long a new connection waits for the server to answer, after the
/// TCP connection is made (`connect_timeout` bounds only that part).
const ANSWER_WAIT: Duration = Duration::from_secs(12);

/// Connections being made, those whose caller gave up on them included
/// (see `Target::connect`), and how many may be at once.
static CONNECTING: AtomicUsize = AtomicUsize::new(0);
const MOST_CONNECTING: usize = 64;

/// The pool's connections, each made by `Target::connect`, so that one the
/// server never answers is given up on like any other.
pub struct Manager(Target);

impl r2d2::ManageConnection for Manager {
    type Connection = postgres::Client;
    type Error = StoreError;

    fn connect(&self) -> Result<postgres::Client> {
        self.0.connect()
    }

    fn is_valid(&self, client: &mut postgres::Client) -> Result<()> {
        client
            .simple_query("")
            .map(|_| ())
            .map_err(|e| self.0.explain(&e))
    }

    fn has_broken(&self, client: &mut postgres::Client) -> bool {
        client.is_closed()
    }
}

/// How much the connection must be protected, as libpq's `sslmode` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tls {
    Disable,
    /// TLS when the server offers it; the certificate is not checked.
    Prefer,
    /// TLS or nothing; the certificate is not checked (libpq's `require`).
    Require,
    /// TLS with the certificate checked against the system's roots (and
    /// `SSL_CERT_FILE`), and the host name against the certificate.
    VerifyFull,
}

/// A PostgreSQL store's address, ready to connect.
#[derive(Clone)]
pub struct Target {
    config: postgres::Config,
    tls: Tls,
    /// The URL with any password masked: what messages show.
    shown: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password: the config's own Debug would print it.
        f.debug_struct("Target")
            .field("url", &self.shown)
            .field("tls", &self.tls)
            .finish()
    }
}

/// Whether a `--db` value or `DATABASE_URL` names a PostgreSQL store.
pub fn is_postgres_url(url: &str) -> bool {
    let lower = url.get(..13).unwrap_or(url).to_ascii_lowercase();
    lower.starts_with("postgres://") || lower.starts_with("postgresql://")
}

impl Target {
    /// Read a URL; the password comes from it, else `PGPASSWORD`, else the
    /// first matching line of `~/.pgpass` (or `PGPASSFILE`).
    pub fn parse(url: &str) -> Result<Target> {
        Target::parse_with(url, &Environment::from_process())
    }

    fn parse_with(url: &str, env: &Environment) -> Result<Target> {
        let shown = hide_query_password(&crate::sanitize::mask_passwords(url));
        if !is_postgres_url(url) {
            return Err(StoreError::Server(format!(
                "{shown} is not a PostgreSQL URL: write postgres://USER@HOST:PORT/DATABASE"
            )));
        }
        let (url_without_sslmode, sslmode) = take_sslmode(url);
        let tls = match sslmode.as_deref() {
            None | Some("prefer") | Some("allow") => Tls::Prefer,
            Some("disable") => Tls::Disable,
            Some("require") | Some("verify-ca") => Tls::Require,
            Some("verify-full") => Tls::VerifyFull,
            Some(other) => {
                return Err(StoreError::Server(format!(
                    "sslmode={other} in {shown} is not one of disable, prefer, require, verify-full: fix the URL"
                )));
            }
        };
        let mut config = postgres::Config::from_str(&url_without_sslmode).map_err(|e| {
            StoreError::Server(format!(
                "{shown} is not a usable PostgreSQL URL ({}): write postgres://USER@HOST:PORT/DATABASE",
                crate::sanitize::mask_passwords(&e.to_string())
            ))
        })?;
        if config.get_user().is_none() {
            config.user(&env.user);
        }
        if config.get_hosts().is_empty() {
            // libpq's default: the local socket directory.
            config.host_path("/var/run/postgresql");
        }
        if config.get_ports().is_empty() {
            config.port(5432);
        }
        if config.get_dbname().is_none() {
            let user = config.get_user().unwrap_or_default().to_owned();
            config.dbname(&user);
        }
        if config.get_password().is_none() {
            if let Some(password) = &env.pgpassword {
                config.password(password);
            } else if let Some(password) = env.pgpass.as_deref().and_then(|file| {
                pgpass_lookup(
                    file,
                    &host_name(&config),
                    config.get_ports().first().copied().unwrap_or(5432),
                    config.get_dbname().unwrap_or_default(),
                    config.get_user().unwrap_or_default(),
                )
            }) {
                config.password(password);
            }
        }
        config.ssl_mode(match tls {
            Tls::Disable => SslMode::Disable,
            Tls::Prefer => SslMode::Prefer,
            Tls::Require | Tls::VerifyFull => SslMode::Require,
        });
        config.connect_timeout(Duration::from_secs(10));
        // A network that drops packets mid-session: a query sent and never
        // acknowledged fails after 10 s instead of the system's quarter of
        // an hour of retransmissions, and an idle connection (the
        // interface's LISTEN) is found dead within a minute. A URL's own
        // settings win.
        if config.get_tcp_user_timeout().is_none() {
            config.tcp_user_timeout(Duration::from_secs(10));
        }
        if config.get_keepalives_interval().is_none() {
            config.keepalives_idle(Duration::from_secs(30));
            config.keepalives_interval(Duration::from_secs(5));
            config.keepalives_retries(4);
        }
        config.application_name("protoscribe");
        Ok(Target { config, tls, shown })
    }

    /// The URL as messages show it (password masked).
    pub fn shown(&self) -> &str {
        &self.shown
    }

    pub fn user(&self) -> &str {
        self.config.get_user().unwrap_or_default()
    }

    pub fn database(&self) -> &str {
        self.config.get_dbname().unwrap_or_default()
    }

    /// `host:port` (or the socket folder) for messages.
    pub fn server(&self) -> String {
        format!(
            "{}:{}",
            host_name(&self.config),
            self.config.get_ports().first().copied().unwrap_or(5432)
        )
    }

    pub fn tls(&self) -> Tls {
        self.tls
    }

    /// The libpq-style connection settings for `pg_dump` and `pg_restore`:
    /// everything but the password, which goes in `PGPASSWORD` so it never
    /// shows in a process list.
    pub fn libpq_environment(&self) -> Vec<(&'static str, String)> {
        let mut env = vec![
            ("PGHOST", host_name(&self.config)),
            (
                "PGPORT",
                self.config
                    .get_ports()
                    .first()
                    .copied()
                    .unwrap_or(5432)
                    .to_string(),
            ),
            ("PGUSER", self.user().to_owned()),
            ("PGDATABASE", self.database().to_owned()),
            (
                "PGSSLMODE",
                match self.tls {
                    Tls::Disable => "disable",
                    Tls::Prefer => "prefer",
                    Tls::Require => "require",
                    Tls::VerifyFull => "verify-full",
                }
                .to_owned(),
            ),
        ];
        if let Some(password) = self.config.get_password() {
            env.push(("PGPASSWORD", String::from_utf8_lossy(password).into_owned()));
        }
        env
    }

    /// A pool of at most `size` connections; the first is made now, so a
    /// server that cannot be reached is said at once, in one sentence.
    pub fn pool(&self, size: u32) -> Result<Pool> {
        let manager = Manager(self.clone());
        // r2d2 would retry for its whole timeout and then report only
        // "timed out": connect once by hand first, for the real reason.
        let mut probe = self.connect()?;
        probe
            .simple_query("SELECT 1")
            .map_err(|e| self.explain(&e))?;
        drop(probe);
        r2d2::Pool::builder()
            .max_size(size.max(1))
            // A server that stops answering after the store was opened
            // is said within 3 s, not after half a minute of a
            // frozen screen (the interface keeps its decisions and retries).
            .connection_timeout(Duration::from_secs(3))
            // A round trip per checkout; `unit::Unit::begin` finds a
            // closed connection at its first statement instead.
            .test_on_check_out(false)
            .build(manager)
            .map_err(StoreError::Pool)
    }

    /// One connection (the pool's, or one of its own for LISTEN). Made on
    /// a thread of its own and given up on after `ANSWER_WAIT`: a server
    /// that takes the connection and never answers (stopped, wedged, or a
    /// pooler in front of it waiting for it) held the handshake, and the
    /// command or the screen with it, for ever. A connection given up on
    /// goes when the server answers or the socket closes; at most
    /// `MOST_CONNECTING` are made at once, and past that none is tried.
    pub fn connect(&self) -> Result<postgres::Client> {
        let no_answer = || {
            StoreError::Unreachable(format!(
                "PostgreSQL at {} took the connection but did not answer within {} s (stopped, overloaded, or a pooler in front of it waiting for it): try again when it answers",
                self.server(),
                ANSWER_WAIT.as_secs()
            ))
        };
        if CONNECTING.fetch_add(1, Ordering::SeqCst) >= MOST_CONNECTING {
            CONNECTING.fetch_sub(1, Ordering::SeqCst);
            return Err(no_answer());
        }
        let (config, connector) = match self.connector() {
            Ok(connector) => (self.config.clone(), connector),
            Err(e) => {
                CONNECTING.fetch_sub(1, Ordering::SeqCst);
                return Err(e);
            }
        };
        let (made, received) = std::sync::mpsc::sync_channel(1);
        let spawned = std::thread::Builder::new()
            .name("postgres-connect".into())
            .spawn(move || {
                let connected = config.connect(connector);
                CONNECTING.fetch_sub(1, Ordering::SeqCst);
                // Nobody listens if the caller gave up: the connection goes.
                let _ = made.send(connected);
            });
        if let Err(e) = spawned {
            CONNECTING.fetch_sub(1, Ordering::SeqCst);
            return Err(StoreError::Server(format!(
                "cannot start a thread to connect: {e}"
            )));
        }
        match received.recv_timeout(ANSWER_WAIT) {
            Ok(made) => made.map_err(|e| self.explain(&e)),
            Err(_) => Err(no_answer()),
        }
    }

    fn connector(&self) -> Result<MakeRustlsConnect> {
        let config = match self.tls {
            Tls::VerifyFull => {
                let mut roots = rustls::RootCertStore::empty();
                // The system's roots, with SSL_CERT_FILE/SSL_CERT_DIR honoured
                // (research servers add their own CA there).
                let found = rustls_native_certs::load_native_certs();
                for cert in found.certs {
                    // A certificate the store holds but rustls cannot use
                    // is skipped, as libpq would skip it.
                    let _ = roots.add(cert);
                }
                if roots.is_empty() {
                    return Err(StoreError::Server(format!(
                        "sslmode=verify-full needs trusted root certificates, and none were found: install ca-certificates or set SSL_CERT_FILE (connecting to {})",
                        self.shown
                    )));
                }
                rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .map_err(|e| StoreError::Server(format!("cannot set up TLS: {e}")))?
                .with_root_certificates(roots)
                .with_no_client_auth()
            }
            _ => rustls::ClientConfig::builder_with_provider(Arc::new(
                rustls::crypto::ring::default_provider(),
            ))
            .with_safe_default_protocol_versions()
            .map_err(|e| StoreError::Server(format!("cannot set up TLS: {e}")))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(unverified::AnyCertificate::new()))
            .with_no_client_auth(),
        };
        Ok(MakeRustlsConnect::new(config))
    }

    /// A connection error as one sentence that says what to do; never the
    /// password.
    pub fn explain(&self, error: &postgres::Error) -> StoreError {
        let server = self.server();
        let (user, database) = (self.user(), self.database());
        if let Some(db) = error.as_db_error() {
            let code = db.code().code();
            let message = match code {
                "28P01" | "28000" => format!(
                    "PostgreSQL at {server} refused user '{user}' ({}): check the password in the URL, PGPASSWORD or ~/.pgpass, and pg_hba.conf",
                    db.message()
                ),
                "3D000" => format!(
                    "database '{database}' does not exist on {server}: create it (createdb {database}) or fix the URL"
                ),
                "42501" => format!(
                    "user '{user}' may not use database '{database}' on {server} ({}): ask its owner to grant it",
                    db.message()
                ),
                "53300" => format!(
                    "PostgreSQL at {server} has no connection free ({}): try again in a moment",
                    db.message()
                ),
                "57P03" => format!(
                    "PostgreSQL at {server} is starting up or shutting down: try again in a moment"
                ),
                _ => format!(
                    "PostgreSQL at {server} said: {} ({code})",
                    crate::sanitize::mask_passwords(db.message())
                ),
            };
            return StoreError::Server(message);
        }
        // The client's own message is often only the outer layer ("error
        // performing TLS handshake"); the reason is further down the chain.
        let mut chain = error.to_string();
        let mut source = std::error::Error::source(error);
        while let Some(cause) = source {
            chain.push_str(": ");
            chain.push_str(&cause.to_string());
            source = cause.source();
        }
        let text = crate::sanitize::mask_passwords(&chain).into_owned();
        let lower = text.to_ascii_lowercase();
        let message = if lower.contains("does not support tls")
            || lower.contains("server does not support ssl")
        {
            format!(
                "PostgreSQL at {server} does not accept TLS, and the URL asks for sslmode={}: turn ssl on in the server's postgresql.conf, or use sslmode=prefer",
                if self.tls == Tls::VerifyFull {
                    "verify-full"
                } else {
                    "require"
                }
            )
        } else if lower.contains("certificate")
            || lower.contains("tls")
            || lower.contains("handshake")
        {
            format!(
                "the TLS handshake with PostgreSQL at {server} failed ({text}): check the server's certificate, or SSL_CERT_FILE for its CA"
            )
        } else if lower.contains("password missing") {
            format!(
                "PostgreSQL at {server} asks user '{user}' for a password and none was given: put it in the URL, PGPASSWORD or ~/.pgpass"
            )
        } else {
            format!(
                "cannot reach PostgreSQL at {server} ({text}): check that the server is running and the URL's host and port"
            )
        };
        StoreError::Server(message)
    }
}

fn host_name(config: &postgres::Config) -> String {
    match config.get_hosts().first() {
        Some(Host::Tcp(name)) => name.clone(),
        Some(Host::Unix(path)) => path.display().to_string(),
        None => "localhost".to_owned(),
    }
}

/// `?password=…` is as secret as `user:password@`.
fn hide_query_password(url: &str) -> String {
    let Some((base, query)) = url.split_once('?') else {
        return url.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some(("password", _)) => "password=***".to_owned(),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

/// Take `sslmode` out of the URL's query: this module decides what each
/// mode means (libpq's `verify-full` is not the client library's).
fn take_sslmode(url: &str) -> (String, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None);
    };
    let mut mode = None;
    let kept: Vec<&str> = query
        .split('&')
        .filter(|pair| match pair.split_once('=') {
            Some(("sslmode", value)) => {
                mode = Some(value.to_ascii_lowercase());
                false
            }
            _ => !pair.is_empty(),
        })
        .collect();
    let url = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    (url, mode)
}

/// What the connection settings read from the environment.
struct Environment {
    user: String,
    pgpassword: Option<String>,
    /// The text of the password file, if there is one.
    pgpass: Option<String>,
}

impl Environment {
    fn from_process() -> Environment {
        let pgpass_path = std::env::var_os("PGPASSFILE")
            .map(std::path::PathBuf::from)
            .or_else(|| dirs::home_dir().map(|h| h.join(".pgpass")));
        Environment {
            user: std::env::var("PGUSER")
                .or_else(|_| std::env::var("USER"))
                .unwrap_or_else(|_| "postgres".to_owned()),
            pgpassword: std::env::var("PGPASSWORD").ok().filter(|p| !p.is_empty()),
            pgpass: pgpass_path.and_then(|p| std::fs::read_to_string(p).ok()),
        }
    }
}

/// The password of the first `host:port:database:user:password` line that
/// matches (`*` matches anything; `\:` and `\\` are escapes), as libpq reads
/// `~/.pgpass`.
fn pgpass_lookup(file: &str, host: &str, port: u16, database: &str, user: &str) -> Option<String> {
    let port = port.to_string();
    let host = if host.starts_with('/') {
        "localhost"
    } else {
        host
    };
    file.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .find_map(|line| {
            let fields = split_pgpass(line);
            let [h, p, d, u, password] = <[String; 5]>::try_from(fields).ok()?;
            let matches = |pattern: &str, value: &str| pattern == "*" || pattern == value;
            (matches(&h, host) && matches(&p, &port) && matches(&d, database) && matches(&u, user))
                .then_some(password)
        })
}

fn split_pgpass(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                if let Some(next) = chars.next()
                    && let Some(last) = fields.last_mut()
                {
                    last.push(next);
                }
            }
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => {
                if let Some(last) = fields.last_mut() {
                    last.push(c);
                }
            }
        }
    }
    fields
}

/// libpq's `prefer` and `require` encrypt without checking who answers;
/// `verify-full` is the mode that checks.
mod unverified {
    use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
    use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
    use rustls::{DigitallySignedStruct, SignatureScheme};

    #[derive(Debug)]
    pub struct AnyCertificate(rustls::crypto::WebPkiSupportedAlgorithms);

    impl AnyCertificate {
        pub fn new() -> AnyCertificate {
            AnyCertificate(
                rustls::crypto::ring::default_provider().signature_verification_algorithms,
            )
        }
    }

    impl ServerCertVerifier for AnyCertificate {
        fn verify_server_cert(
            &self,
            _end_entity: &CertificateDer<'_>,
            _intermediates: &[CertificateDer<'_>],
            _server_name: &ServerName<'_>,
            _ocsp_response: &[u8],
            _now: UnixTime,
        ) -> Result<ServerCertVerified, rustls::Error> {
            Ok(ServerCertVerified::assertion())
        }

        fn verify_tls12_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls12_signature(message, cert, dss, &self.0)
        }

        fn verify_tls13_signature(
            &self,
            message: &[u8],
            cert: &CertificateDer<'_>,
            dss: &DigitallySignedStruct,
        ) -> Result<HandshakeSignatureValid, rustls::Error> {
            rustls::crypto::verify_tls13_signature(message, cert, dss, &self.0)
        }

        fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
            self.0.supported_schemes()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> Environment {
        Environment {
            user: "alice".into(),
            pgpassword: None,
            pgpass: None,
        }
    }

    #[test]
    fn urls_of_both_spellings_are_postgres_and_paths_are_not() {
        assert!(is_postgres_url("postgres://u@h/db"));
        assert!(is_postgres_url("PostgreSQL://u@h/db"));
        assert!(!is_postgres_url("sqlite:///x.db"));
        assert!(!is_postgres_url("postgres.db"));
    }

    #[test]
    fn defaults_follow_libpq() {
        let t = Target::parse_with("postgres://db.example.org", &env()).unwrap();
        assert_eq!(t.user(), "alice");
        assert_eq!(t.database(), "alice");
        assert_eq!(t.server(), "db.example.org:5432");
        assert_eq!(t.tls(), Tls::Prefer);
    }

    #[test]
    fn sslmode_is_read_and_removed_from_the_query() {
        let t = Target::parse_with(
            "postgresql://bob@h:6000/trials?sslmode=verify-full&application_name=x",
            &env(),
        )
        .unwrap();
        assert_eq!(t.tls(), Tls::VerifyFull);
        assert_eq!(t.server(), "h:6000");
        assert_eq!(t.database(), "trials");
        let err = Target::parse_with("postgres://h/db?sslmode=sometimes", &env()).unwrap_err();
        assert!(err.to_string().contains("sslmode=sometimes"), "{err}");
    }

    #[test]
    fn the_password_never_shows() {
        let t = Target::parse_with("postgres://bob:s3cret-pw@h/db", &env()).unwrap();
        assert!(!format!("{t:?}").contains("s3cret-pw"));
        assert!(!t.shown().contains("s3cret-pw"));
        let t = Target::parse_with(
            "postgres://bob@h/db?password=s3cret-pw&sslmode=disable",
            &env(),
        )
        .unwrap();
        assert!(!t.shown().contains("s3cret-pw"), "{}", t.shown());
        assert_eq!(t.config.get_password(), Some(&b"s3cret-pw"[..]));
        let err = Target::parse_with("postgres://bob:s3cret-pw@h:notaport/db", &env()).unwrap_err();
        assert!(!err.to_string().contains("s3cret-pw"), "{err}");
    }

    #[test]
    fn the_password_comes_from_pgpassword_then_pgpass() {
        let mut e = env();
        e.pgpass = Some(
            "# comment\nother:5432:*:bob:nope\nh:5432:trials:bob:from\\:file\n*:*:*:*:fallback\n"
                .into(),
        );
        let t = Target::parse_with("postgres://bob@h/trials", &e).unwrap();
        assert_eq!(t.config.get_password(), Some(&b"from:file"[..]));
        e.pgpassword = Some("from-env".into());
        let t = Target::parse_with("postgres://bob@h/trials", &e).unwrap();
        assert_eq!(t.config.get_password(), Some(&b"from-env"[..]));
        let t = Target::parse_with("postgres://bob:in-url@h/trials", &e).unwrap();
        assert_eq!(t.config.get_password(), Some(&b"in-url"[..]));
    }
}
