//! Checking a model's quote against the protocol's stored text: found
//! verbatim, or verbatim once runs of white space are made one space (a
//! model often rejoins a line broken in the document). What is recorded is
//! the exact span of the text that matched, so the quote shown is always
//! the text between its offsets.

use std::ops::Range;
use std::sync::OnceLock;

/// Shorter quotes ("the", "yes") would match anywhere and prove nothing.
pub const MIN_QUOTE_CHARS: usize = 12;

pub struct Verifier<'a> {
    text: &'a str,
    /// The text with white space runs made one space, and for each of its
    /// bytes the byte of the text it came from.
    normalised: OnceLock<(String, Vec<usize>)>,
}

/// Why a quote was not trusted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    TooShort,
    NotInText,
}

impl<'a> Verifier<'a> {
    pub fn new(text: &'a str) -> Verifier<'a> {
        Verifier {
            text,
            normalised: OnceLock::new(),
        }
    }

    /// The byte range of the text the quote matches, preferring a match
    /// inside one of `near` (the passages the model was shown).
    pub fn find(&self, quote: &str, near: &[Range<usize>]) -> Result<Range<usize>, Rejection> {
        let quote = quote
            .trim()
            .trim_matches(|c| matches!(c, '"' | '\u{201c}' | '\u{201d}'))
            .trim();
        if quote.chars().count() < MIN_QUOTE_CHARS || !quote.chars().any(char::is_alphanumeric) {
            return Err(Rejection::TooShort);
        }
        for r in near {
            if let Some(slice) = self.text.get(r.clone())
                && let Some(at) = slice.find(quote)
            {
                return Ok(r.start + at..r.start + at + quote.len());
            }
        }
        if let Some(at) = self.text.find(quote) {
            return Ok(at..at + quote.len());
        }
        let (norm, map) = self
            .normalised
            .get_or_init(|| normalise_with_map(self.text));
        let (q, _) = normalise_with_map(quote);
        let q = q.trim();
        if q.is_empty() {
            return Err(Rejection::NotInText);
        }
        let at = norm.find(q).ok_or(Rejection::NotInText)?;
        let start = map[at];
        let last = at + q.len() - 1;
        let end_byte = map[last];
        // The end of the character whose first byte maps to `end_byte`.
        let end = end_byte
            + self.text[end_byte..]
                .chars()
                .next()
                .map_or(0, char::len_utf8);
        Ok(start..end)
    }
}

/// White space runs as one space, with each output byte's source byte.
fn normalise_with_map(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut map = Vec::with_capacity(text.len());
    let mut in_space = false;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
                map.push(i);
            }
            in_space = true;
        } else {
            in_space = false;
            out.push(c);
            map.extend(i..i + c.len_utf8());
        }
    }
    (out, map)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str =
        "# Design\nParticipants will be randomised 1:1\nusing sealed envelopes. Fine.";

    #[test]
    fn a_verbatim_quote_gives_its_exact_span() {
        let v = Verifier::new(TEXT);
        let r = v.find("using sealed envelopes.", &[]).unwrap();
        assert_eq!(&TEXT[r], "using sealed envelopes.");
    }

    #[test]
    fn a_quote_rejoined_across_a_line_break_matches_the_original_span() {
        let v = Verifier::new(TEXT);
        let r = v.find("randomised 1:1 using sealed", &[]).unwrap();
        assert_eq!(&TEXT[r], "randomised 1:1\nusing sealed");
    }

    #[test]
    fn invented_and_trivial_quotes_are_rejected() {
        let v = Verifier::new(TEXT);
        assert_eq!(
            v.find("randomised by a central web system", &[]),
            Err(Rejection::NotInText)
        );
        assert_eq!(v.find("Fine.", &[]), Err(Rejection::TooShort));
    }

    #[test]
    fn non_ascii_text_maps_back_to_character_boundaries() {
        let text = "Dose: ≥ 10 µg\n daily for   all participants";
        let v = Verifier::new(text);
        let r = v.find("10 µg daily for all", &[]).unwrap();
        assert_eq!(&text[r], "10 µg\n daily for   all");
    }
}
