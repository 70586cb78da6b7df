//! Printing: text made safe for a terminal, JSON, and simple aligned tables.

use std::borrow::Cow;
use std::io::Write;

pub use crate::format::{bytes, score, thousands, when};

/// Text from documents may hold escape sequences or other control
/// characters; printed raw they could move the cursor or retitle the
/// terminal. Shown as visible escapes instead (tab and newline kept only
/// where `keep_newlines`).
pub fn clean(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    let unsafe_char = |c: char| c.is_control() && !(keep_newlines && (c == '\n' || c == '\t'));
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            match c {
                '\n' | '\t' | '\r' => out.push(' '),
                _ => out.extend(c.escape_unicode()),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// One line of a cell: cleaned and cut to `width` characters with an ellipsis.
pub fn cell(text: &str, width: usize) -> String {
    let text = clean(text, false);
    let count = text.chars().count();
    if count <= width {
        format!("{text:<width$}")
    } else {
        let cut: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

pub fn print_json(value: &serde_json::Value) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_are_made_visible() {
        assert_eq!(clean("a\x1b[2Jb", false), "a\\u{1b}[2Jb");
        assert_eq!(clean("a\nb", true), "a\nb");
        assert_eq!(clean("a\nb", false), "a b");
    }

    #[test]
    fn cells_are_cut_with_an_ellipsis() {
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("ab", 4), "ab  ");
    }
}
