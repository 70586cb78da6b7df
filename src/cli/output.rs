//! Printing: text made safe for a terminal, JSON, and simple aligned tables.

use std::borrow::Cow;
use std::io::Write;

pub use crate::format::{bytes, score, thousands, when};

/// Text from documents or users made safe for a terminal (see
/// `crate::sanitize`): one line, or with `keep_newlines` several.
pub fn clean(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    if keep_newlines {
        crate::sanitize::text(text)
    } else {
        crate::sanitize::line(text)
    }
}

/// Print `error: …` on stderr: one line, whatever the error quotes (file
/// names, ids, URLs) made safe and its passwords masked.
pub fn print_error(error: &dyn std::fmt::Display) {
    eprintln!("error: {}", crate::sanitize::message(&error.to_string()));
}

/// Print `note: …` on stderr, made safe like an error.
pub fn print_note(note: &dyn std::fmt::Display) {
    eprintln!("note: {}", crate::sanitize::message(&note.to_string()));
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
        assert_eq!(clean("a\x1b[2Jb\u{202e}", false), "a\u{fffd}[2Jb\u{fffd}");
        assert_eq!(clean("a\nb", true), "a\nb");
        assert_eq!(clean("a\nb", false), "a b");
    }

    #[test]
    fn cells_are_cut_with_an_ellipsis() {
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("ab", 4), "ab  ");
    }
}
