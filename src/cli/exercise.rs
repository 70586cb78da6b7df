//! `protoscribe db exercise`: a steady stream of decisions and imports
//! for the crash and concurrency tests. Each write is announced before it
//! is committed (`try`) and confirmed after (`ok`), so a test that kills
//! the process at any moment knows what must be in the store.

use std::io::Write;

use super::import::{ImportOptions, Outcome, store_document};
use super::{Context, Error, Result};
use crate::ingest;
use crate::store::suggestions::{Expect, Verb};

pub fn run(
    ctx: &Context,
    iterations: u64,
    seed: u64,
    partition: &str,
    import_every: u64,
) -> Result {
    let (k, m) = partition
        .split_once('/')
        .and_then(|(k, m)| Some((k.parse::<u64>().ok()?, m.parse::<u64>().ok()?)))
        .filter(|(k, m)| *m > 0 && k < m)
        .ok_or_else(|| {
            Error::Arguments(format!("--partition takes K/M with K < M, not {partition}"))
        })?;
    let store = ctx.open_for_writing()?;
    let ids = store.suggestion_ids()?;
    let mine: Vec<&String> = ids
        .iter()
        .enumerate()
        .filter(|(i, _)| *i as u64 % m == k)
        .map(|(_, id)| id)
        .collect();
    let mut out = std::io::stdout().lock();
    // splitmix64: well mixed from the first value, whatever the seed.
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    for i in 0..iterations {
        if import_every > 0 && i % import_every == 0 {
            let text =
                format!("# Exercise protocol {seed}-{i}\n\nParticipants will be randomised.\n");
            let doc = ingest::from_bytes(std::path::Path::new("exercise.md"), text.as_bytes())?;
            writeln!(out, "try import {seed}-{i}")?;
            out.flush()?;
            let options = ImportOptions {
                title: None,
                description: None,
                force: true,
            };
            let id = match store_document(&store, &doc, &options)? {
                Outcome::Imported(p) => p.info.id,
                Outcome::AlreadyThere(p) => p.id,
            };
            writeln!(out, "ok import {id}")?;
            out.flush()?;
        }
        if mine.is_empty() {
            continue;
        }
        let id = mine[(next() % mine.len() as u64) as usize];
        let verb = match next() % 4 {
            0 => Verb::Accept,
            1 => Verb::Reject,
            2 => Verb::Pending,
            _ => Verb::Modify(format!("Reworded in iteration {i}.")),
        };
        let status = match &verb {
            Verb::Accept => "accepted",
            Verb::Reject => "rejected",
            Verb::Pending => "pending",
            _ => "modified",
        };
        writeln!(out, "try {id} {status}")?;
        out.flush()?;
        store.review(id, &verb, None, Expect::Anything)?;
        writeln!(out, "ok {id} {status}")?;
        out.flush()?;
    }
    Ok(())
}
