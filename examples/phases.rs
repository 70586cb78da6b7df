//! Where the analyzer's time goes, phase by phase, on a generated protocol.
//!
//!     cargo run --release --example phases -- [PAGES]
//!
//! A profiling aid for rule and pattern changes; `cargo bench --bench
//! analyzer` gives the figures to quote.

use std::time::Instant;

use protoscribe::analysis::{
    self, checklist, cues, design, document::Document, facts, items, quality, structure,
};

const RUNS: u32 = 20;

fn time(name: &str, mut f: impl FnMut()) {
    let start = Instant::now();
    for _ in 0..RUNS {
        f();
    }
    let ms = start.elapsed().as_secs_f64() * 1000.0 / f64::from(RUNS);
    println!("{name:<12} {ms:>8.3} ms");
}

fn main() {
    let pages = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100);
    let text = protoscribe::samples::protocol_of_pages(pages);
    println!("{pages} pages, {} bytes", text.len());
    time("document", || drop(Document::new(&text)));
    let doc = Document::new(&text);
    let cues = cues::cues();
    time("cues", || drop(cues.find(&doc)));
    let hits = cues.find(&doc);
    let title = structure::document_title(&text);
    let design = design::detect(&doc, cues, &hits, title.as_deref());
    time("items", || {
        // A fresh context each run: it caches what it reads of sentences.
        let ctx = items::Context::new(&doc, cues, &hits, design, None);
        for item in checklist::items() {
            drop(items::judge(item, &ctx));
        }
    });
    time("placeholder", || drop(quality::placeholders::check(&doc)));
    time("registry", || drop(quality::registry::check(&doc)));
    time("abbrev", || drop(quality::abbreviations::check(&doc)));
    time("consistency", || drop(quality::consistency::check(&doc)));
    time("empty", || drop(quality::empty_sections::check(&doc)));
    time("facts", || drop(facts::extract(&doc, title.as_deref())));
    time("all", || {
        drop(analysis::analyse(&text, analysis::GuidelineChoice::Auto))
    });
}
