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

/// One line cut to `width` terminal columns, ending in "…" when cut.
pub fn fit(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let clean = line(text);
    let total: usize = clean.chars().map(|c| c.width().unwrap_or(0)).sum();
    if total <= width {
        return clean.into_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in clean.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `fit`, then padded with spaces to exactly `width` columns.
pub fn cell(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthStr;
    let fitted = fit(text, width);
    let pad = width.saturating_sub(fitted.width());
    format!("{fitted}{}", " ".repeat(pad))
}

/// Wrap one line of text to `width` columns at spaces (a word longer than
/// the width is cut into pieces), for views that put a marker before every
/// wrapped piece.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    use unicode_width::UnicodeWidthChar;
    let width = width.max(1);
    let mut lines = Vec::new();
    let mut current = String::new();
    let mut used = 0;
    for word in line(text).split_inclusive(' ') {
        let w: usize = word
            .trim_end()
            .chars()
            .map(|c| c.width().unwrap_or(0))
            .sum();
        if used + w > width && used > 0 {
            lines.push(current.trim_end().to_owned());
            current.clear();
            used = 0;
        }
        for c in word.chars() {
            let cw = c.width().unwrap_or(0);
            if used + cw > width {
                if c == ' ' {
                    // A space at the edge ends the line instead.
                    continue;
                }
                lines.push(std::mem::take(&mut current));
                used = 0;
            }
            current.push(c);
            used += cw;
        }
    }
    lines.push(current.trim_end().to_owned());
    lines
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
    fn fitting_cuts_with_an_ellipsis() {
        assert_eq!(fit("Vitamin D trial", 20), "Vitamin D trial");
        assert_eq!(fit("Vitamin D trial", 8), "Vitamin…");
        assert_eq!(cell("ab", 4), "ab  ");
        assert_eq!(fit("中文标题", 5), "中文…");
    }

    #[test]
    fn wrapping_keeps_words_whole_and_cuts_long_ones() {
        assert_eq!(wrap("one two three", 7), ["one two", "three"]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 4), [""]);
    }

    #[test]
    fn lines_keep_their_breaks() {
        assert_eq!(lines("one\ntwo\u{1b}"), ["one", "two\u{fffd}"]);
    }
}
