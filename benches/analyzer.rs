//! The builtin analyzer's speed on a 10-page and a 100-page protocol.
//!
//!     cargo bench --bench analyzer
//!
//! divan prints the median time and the throughput in bytes of text per
//! second; the target is a 100-page protocol in under 15 ms on one core.

use divan::counter::BytesCount;
use protoscribe::analysis::{self, GuidelineChoice};
use protoscribe::samples::protocol_of_pages;

fn main() {
    divan::main();
}

#[divan::bench(args = [10, 100])]
fn analyse_protocol(bencher: divan::Bencher, pages: usize) {
    let text = protocol_of_pages(pages);
    bencher
        .counter(BytesCount::of_str(&text))
        .bench(|| analysis::analyse(divan::black_box(&text), GuidelineChoice::Auto));
}

/// Preparing the text and finding every cue: the single pass the rest builds on.
#[divan::bench(args = [100])]
fn find_cues(bencher: divan::Bencher, pages: usize) {
    let text = protocol_of_pages(pages);
    let cues = analysis::cues::cues();
    bencher.counter(BytesCount::of_str(&text)).bench(|| {
        let doc = analysis::document::Document::new(divan::black_box(&text));
        cues.find(&doc)
    });
}
