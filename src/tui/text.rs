//! Text from documents made safe to draw: what may reach the terminal is
//! decided once, in `crate::sanitize`; here it is fitted to the screen.

use std::borrow::Cow;

/// One line: every unsafe character (newlines included) becomes a visible
/// stand-in, so a document cannot move the cursor or retitle the window.
pub fn line(text: &str) -> Cow<'_, str> {
    crate::sanitize::line(text)
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
