//! The store's speed on 10k, 100k and 1M suggestions, on SQLite and, when
//! `PROTOSCRIBE_BENCH_POSTGRES` names a server, on PostgreSQL.
//!
//!     cargo bench --bench store
//!     eval "$(.ci/postgres start)"
//!     PROTOSCRIBE_BENCH_POSTGRES=$PROTOSCRIBE_TEST_POSTGRES cargo bench --bench store
//!
//! Stores are generated once under target/bench-stores/ (30 suggestions
//! per analysis) and reused; the PostgreSQL ones are `db copy`s of them
//! into databases `protoscribe_bench_N` on that server (made once, kept).
//! Each figure is divan's median.

use std::path::PathBuf;

use protoscribe::samples::synth::{self, Scale};
use protoscribe::store::copy::{self, Endpoint};
use protoscribe::store::protocols::ProtocolFilter;
use protoscribe::store::suggestions::{Expect, SuggestionFilter, Verb};
use protoscribe::store::{Page, Store, SuggestionStatus};

fn main() {
    divan::main();
}

const SIZES: &[u64] = &[10_000, 100_000, 1_000_000];

/// One store to measure: a backend and a size.
#[derive(Clone, Copy)]
struct Case {
    backend: &'static str,
    total: u64,
}

impl std::fmt::Display for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.backend, self.total)
    }
}

impl Case {
    fn store(self) -> Store {
        store_on(self.backend, self.total)
    }
}

/// SQLite at every size; PostgreSQL too when a server is named.
fn cases() -> Vec<Case> {
    let mut backends = vec!["sqlite"];
    if std::env::var("PROTOSCRIBE_BENCH_POSTGRES").is_ok_and(|u| !u.is_empty()) {
        backends.push("postgres");
    }
    backends
        .into_iter()
        .flat_map(|backend| SIZES.iter().map(move |&total| Case { backend, total }))
        .collect()
}

fn sqlite_path(total: u64) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench-stores/suggestions-{total}.db"));
    synth::ensure(&path, Scale::suggestions(total), 11).expect("generate the bench store");
    path
}

fn store_on(backend: &str, total: u64) -> Store {
    if backend == "sqlite" {
        return Store::open(&sqlite_path(total)).expect("open the bench store");
    }
    let admin = std::env::var("PROTOSCRIBE_BENCH_POSTGRES").expect("a PostgreSQL URL");
    let name = format!("protoscribe_bench_{total}");
    let url = with_database(&admin, &name);
    let mut client = postgres::Client::connect(&admin, postgres::NoTls).expect("the bench server");
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .expect("look for the bench database")
        .is_some();
    if !exists {
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the bench database");
    }
    let store = Store::open_postgres(&url).expect("open the PostgreSQL bench store");
    let held = store
        .status()
        .map(|s| s.tables.get("suggestions").copied().unwrap_or(0))
        .unwrap_or(0);
    if held == 0 {
        let from = Endpoint::parse(sqlite_path(total).to_str().expect("a UTF-8 path"))
            .expect("the SQLite bench store");
        let to = Endpoint::parse(&url).expect("the PostgreSQL bench store");
        copy::copy(&from, &to, true).expect("copy the bench store to PostgreSQL");
        let mut bench_db =
            postgres::Client::connect(&url, postgres::NoTls).expect("the bench database");
        bench_db
            .batch_execute("VACUUM ANALYZE")
            .expect("analyze the bench database");
    }
    store
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (head, query) = url
        .split_once('?')
        .map_or((url, None), |(h, q)| (h, Some(q)));
    let start = head.find("://").map_or(0, |i| i + 3);
    let end = head[start..].find('/').map_or(head.len(), |j| start + j);
    let mut out = format!("{}/{name}", &head[..end]);
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

/// Some analysis in the middle of the store.
fn an_analysis(store: &Store) -> String {
    let protocol = store
        .protocols(
            &ProtocolFilter::default(),
            Page {
                offset: 50,
                limit: 1,
            },
        )
        .expect("a protocol");
    store
        .latest_completed_analysis(&protocol[0].id)
        .expect("an analysis")
        .map(|a| a.id)
        .unwrap_or_default()
}

#[divan::bench(args = cases())]
fn dashboard(bencher: divan::Bencher, case: Case) {
    let store = case.store();
    bencher.bench(|| store.dashboard(30).expect("dashboard"));
}

/// One page of a review queue: 50 pending rows, by type, priority and confidence.
#[divan::bench(args = cases())]
fn queue_page(bencher: divan::Bencher, case: Case) {
    let store = case.store();
    let filter = SuggestionFilter {
        analysis_id: Some(an_analysis(&store)),
        status: Some(SuggestionStatus::Pending),
        ..SuggestionFilter::default()
    };
    bencher.bench(|| store.suggestions(&filter, Page::first(50)).expect("page"));
}

#[divan::bench(args = cases())]
fn full_text_search(bencher: divan::Bencher, case: Case) {
    let store = case.store();
    let filter = ProtocolFilter {
        status: None,
        search: Some("protocol 4321".into()),
    };
    bencher.bench(|| store.protocols(&filter, Page::first(50)).expect("search"));
}

fn decide_once(store: &Store, id: &str, n: u64) {
    let verb = if n.is_multiple_of(2) {
        Verb::Accept
    } else {
        Verb::Pending
    };
    store
        .review(id, &verb, None, Expect::Anything)
        .expect("decide");
}

/// One decision, committed in its own transaction.
#[divan::bench(args = cases())]
fn one_decision(bencher: divan::Bencher, case: Case) {
    let store = case.store();
    let filter = SuggestionFilter {
        analysis_id: Some(an_analysis(&store)),
        ..SuggestionFilter::default()
    };
    let id = store.suggestions(&filter, Page::first(1)).expect("row")[0]
        .id
        .clone();
    let mut n = 0;
    bencher.bench_local(|| {
        n += 1;
        decide_once(&store, &id, n);
    });
}

/// A thousand decisions, each committed on its own as the interface does.
#[divan::bench(args = cases(), sample_count = 5, sample_size = 1)]
fn thousand_decisions(bencher: divan::Bencher, case: Case) {
    let store = case.store();
    let ids: Vec<String> = store
        .suggestions(&SuggestionFilter::default(), Page::first(1000))
        .expect("ids")
        .into_iter()
        .map(|s| s.id)
        .collect();
    let mut n = 0;
    bencher.bench_local(|| {
        n += 1;
        for id in &ids {
            decide_once(&store, id, n);
        }
    });
}
