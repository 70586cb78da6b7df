//! The sample protocols bundled with ProtoScribe (for `demo`), and
//! protocols of any length built from them for benchmarks and scale tests;
//! whole synthetic stores are in `synth`.

pub mod synth;

/// (file name, text) of each bundled sample: a complete protocol, a
/// partial one and a poor one. They are also the analyzer's annotated test
/// fixtures, so what the demo shows is what the tests check.
pub const SAMPLES: &[(&str, &str)] = &[
    (
        "vitamin-d-falls.md",
        include_str!("../tests/fixtures/complete-vitamin-d.md"),
    ),
    (
        "knee-exercise.txt",
        include_str!("../tests/fixtures/partial-knee-exercise.txt"),
    ),
    (
        "cbt-insomnia.md",
        include_str!("../tests/fixtures/poor-cbt-insomnia.md"),
    ),
];

/// About this many characters make a printed page of a protocol.
pub const CHARS_PER_PAGE: usize = 3_000;

/// A protocol of about `pages` pages: the first sample, followed by
/// numbered appendices whose text varies the sample's methods sections
/// (other numbers, other sites), the way long protocols repeat detail.
pub fn protocol_of_pages(pages: usize) -> String {
    let base = SAMPLES[0].1;
    let target = pages.max(1) * CHARS_PER_PAGE;
    let methods_start = base.find("## Methods").unwrap_or(0);
    let methods = &base[methods_start..];
    let mut text = String::with_capacity(target + base.len());
    text.push_str(base);
    let mut n = 1;
    while text.len() < target {
        text.push_str(&format!(
            "\n\n# Appendix {n}: site procedures for centre {n}\n\n"
        ));
        let varied = methods
            .replace("## ", "### ")
            .replace("700", &(600 + n * 7).to_string())
            .replace(
                "24 general practices",
                &format!("{} general practices", 10 + n % 30),
            )
            .replace("12 months", &format!("{} months", 6 + n % 18));
        text.push_str(&varied);
        n += 1;
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocols_reach_the_requested_length() {
        let text = protocol_of_pages(100);
        assert!(text.len() >= 100 * CHARS_PER_PAGE);
        assert!(text.len() < 110 * CHARS_PER_PAGE);
        assert!(text.starts_with("# VITAL-FALLS"));
    }
}
