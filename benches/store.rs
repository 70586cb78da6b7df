//! The store's speed on 10k, 100k and 1M suggestions.
//!
//!     cargo bench --bench store
//!
//! Stores are generated once under target/bench-stores/ (30 suggestions
//! per analysis) and reused. Each figure is divan's median.

use std::path::PathBuf;

use protoscribe::samples::synth::{self, Scale};
use protoscribe::store::protocols::ProtocolFilter;
use protoscribe::store::suggestions::{Expect, SuggestionFilter, Verb};
use protoscribe::store::{Page, Store, SuggestionStatus};

fn main() {
    divan::main();
}

const SIZES: &[u64] = &[10_000, 100_000, 1_000_000];

fn store(total: u64) -> Store {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench-stores/suggestions-{total}.db"));
    synth::ensure(&path, Scale::suggestions(total), 11).expect("generate the bench store");
    Store::open(&path).expect("open the bench store")
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

#[divan::bench(args = SIZES)]
fn dashboard(bencher: divan::Bencher, total: u64) {
    let store = store(total);
    bencher.bench(|| store.dashboard(30).expect("dashboard"));
}

/// One page of a review queue: 50 pending rows, by type, priority and confidence.
#[divan::bench(args = SIZES)]
fn queue_page(bencher: divan::Bencher, total: u64) {
    let store = store(total);
    let filter = SuggestionFilter {
        analysis_id: Some(an_analysis(&store)),
        status: Some(SuggestionStatus::Pending),
        ..SuggestionFilter::default()
    };
    bencher.bench(|| store.suggestions(&filter, Page::first(50)).expect("page"));
}

#[divan::bench(args = SIZES)]
fn full_text_search(bencher: divan::Bencher, total: u64) {
    let store = store(total);
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
#[divan::bench(args = SIZES)]
fn one_decision(bencher: divan::Bencher, total: u64) {
    let store = store(total);
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
#[divan::bench(args = SIZES, sample_count = 5, sample_size = 1)]
fn thousand_decisions(bencher: divan::Bencher, total: u64) {
    let store = store(total);
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
