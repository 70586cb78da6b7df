//! Compiling the analyzer's regular expressions.
//!
//! A Unicode-aware `\b` keeps the regex crate off its fast DFA engines
//! (measured: the abbreviation scan took 9.8 ms of a 21 ms analysis of a
//! 100-page protocol), and the patterns here only ever mean ASCII word
//! edges, so `\b` is compiled as `(?-u:\b)`.

use regex::Regex;

/// Compile one of the analyzer's own patterns. They are constants checked
/// by the tests, so a failure is a defect in the build, not bad input.
pub fn compile(pattern: &str) -> Regex {
    let ascii = pattern.replace(r"\b", r"(?-u:\b)");
    Regex::new(&ascii).unwrap_or_else(|e| panic!("analyzer pattern {pattern}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_boundaries_are_ascii() {
        let re = compile(r"\bNCT\d+\b");
        assert!(re.is_match("see NCT01234567."));
        assert!(!re.is_match("XNCT01234567"));
    }
}
