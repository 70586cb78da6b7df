//! A real PostgreSQL server for the tests: the one `.ci/run` started (its
//! URL in `PROTOSCRIBE_TEST_POSTGRES`), else a private one this test
//! process starts with `.ci/postgres start` and stops when it exits. Each
//! test gets a database of its own. Never skipped: with no server to be
//! had, the test fails and says why.

use std::sync::OnceLock;

struct Server {
    url: String,
}

static SERVER: OnceLock<Server> = OnceLock::new();
static PRIVATE_DIR: OnceLock<String> = OnceLock::new();
/// The databases this process made, dropped when it exits: a run of the
/// suites on PostgreSQL makes a thousand, at about 8 MB each.
static MADE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

extern "C" fn drop_databases() {
    let made = std::mem::take(&mut *MADE.lock().unwrap_or_else(|e| e.into_inner()));
    let Some(server) = SERVER.get() else { return };
    let Ok(mut admin) = postgres::Client::connect(&server.url, postgres::NoTls) else {
        return;
    };
    for name in made {
        // FORCE: a binary a test started may still hold a connection.
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

extern "C" fn stop_private_server() {
    if let Some(dir) = PRIVATE_DIR.get() {
        let _ = std::process::Command::new(script())
            .args(["stop", dir])
            .status();
    }
}

fn script() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/postgres").to_owned()
}

fn server() -> &'static Server {
    SERVER.get_or_init(|| {
        if let Ok(url) = std::env::var("PROTOSCRIBE_TEST_POSTGRES")
            && !url.is_empty()
        {
            return Server { url };
        }
        let out = std::process::Command::new(script())
            .arg("start")
            .output()
            .expect("run .ci/postgres start");
        assert!(
            out.status.success(),
            "cannot start a PostgreSQL server for the tests (is PostgreSQL 15 installed?): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let exports = String::from_utf8_lossy(&out.stdout).into_owned();
        let value = |name: &str| {
            exports
                .lines()
                .find_map(|l| l.strip_prefix(&format!("export {name}='")))
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or_else(|| panic!("{name} missing from .ci/postgres output: {exports}"))
                .to_owned()
        };
        let _ = PRIVATE_DIR.set(value("PROTOSCRIBE_TEST_PGDATA"));
        // SAFETY: registering a plain extern "C" function with no captured
        // state; it runs once at process exit.
        unsafe {
            libc::atexit(stop_private_server);
        }
        Server {
            url: value("PROTOSCRIBE_TEST_POSTGRES"),
        }
    })
}

/// The server's URL with another database name.
pub fn url_for(database: &str) -> String {
    let base = &server().url;
    let (head, query) = match base.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (base.as_str(), None),
    };
    let authority_end = head
        .find("://")
        .map(|i| i + 3)
        .and_then(|start| head[start..].find('/').map(|j| start + j))
        .unwrap_or(head.len());
    let mut url = format!("{}/{database}", &head[..authority_end]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

/// The server's admin URL (its own database).
pub fn admin_url() -> String {
    server().url.clone()
}

/// A new, empty database for one test; its URL.
pub fn fresh_database() -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let name = format!(
        "test_{}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_micros())
            .unwrap_or(0),
        NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut admin = admin();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create a test database");
    static REGISTER: std::sync::Once = std::sync::Once::new();
    // SAFETY: as for `stop_private_server`; registered after it, so it
    // runs first, while the server is still up.
    REGISTER.call_once(|| unsafe {
        libc::atexit(drop_databases);
    });
    MADE.lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(name.clone());
    url_for(&name)
}

/// A plain client on the admin database.
pub fn admin() -> postgres::Client {
    postgres::Client::connect(&server().url, postgres::NoTls).expect("connect to the test server")
}

/// The port the server listens on.
pub fn port() -> u16 {
    let url = &server().url;
    let after_at = url.rsplit_once('@').map_or(url.as_str(), |(_, r)| r);
    after_at
        .split(['/', '?'])
        .next()
        .and_then(|hostport| hostport.rsplit_once(':'))
        .and_then(|(_, p)| p.parse().ok())
        .expect("a port in the test server's URL")
}
