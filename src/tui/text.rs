//! Text from documents made safe to draw: control characters, escape
//! sequences and bidirectional overrides cannot reach the terminal.

use std::borrow::Cow;

/// Characters that change how the terminal or the text direction behaves.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// One line: every unsafe character (newlines included) becomes a visible
/// stand-in, so a document cannot move the cursor or retitle the window.
pub fn line(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(
        text.chars()
            .map(|c| match c {
                '\n' | '\r' | '\t' => ' ',
                c if is_unsafe(c) => '\u{fffd}',
                c => c,
            })
            .collect(),
    )
}

/// Several lines: newlines kept, tabs widened, everything else unsafe replaced.
pub fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| line(&l.replace('\t', "    ")).into_owned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_inert() {
        assert_eq!(line("a\u{1b}[2Jb\u{7}"), "a\u{fffd}[2Jb\u{fffd}");
        assert_eq!(line("x\u{202e}y"), "x\u{fffd}y");
        assert_eq!(line("plain"), "plain");
    }

    #[test]
    fn lines_keep_their_breaks() {
        assert_eq!(lines("one\ntwo\u{1b}"), ["one", "two\u{fffd}"]);
    }
}
