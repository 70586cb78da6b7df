//! Analyse a generated protocol a given number of times, for counting
//! instructions: wall-clock figures on a shared machine are noisy, the
//! instruction count is not.
//!
//!     cargo build --release --example analyse_loop
//!     valgrind --tool=callgrind target/release/examples/analyse_loop 0
//!     valgrind --tool=callgrind target/release/examples/analyse_loop 5
//!
//! The difference between the two totals, divided by five, is the cost of
//! one analysis without the one-time set-up (patterns, automaton, model).
//! For function names, build with `CARGO_PROFILE_RELEASE_STRIP=false
//! CARGO_PROFILE_RELEASE_DEBUG=line-tables-only` and read the output with
//! `callgrind_annotate`.

use protoscribe::analysis::{self, GuidelineChoice};

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let pages: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let text = protoscribe::samples::protocol_of_pages(pages);
    // One analysis outside the count: it builds what every later one reuses.
    std::hint::black_box(analysis::analyse(&text, GuidelineChoice::Auto));
    for _ in 0..runs {
        std::hint::black_box(analysis::analyse(
            std::hint::black_box(&text),
            GuidelineChoice::Auto,
        ));
    }
}
