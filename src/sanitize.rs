//! The one place that decides which characters from a document or a user
//! may reach a terminal, an error message or a report, and what they
//! become instead.
//!
//! Two kinds of characters are neutralised, everywhere, the same way:
//! control characters (C0 but tab and newline, DEL, C1, and so ESC, which
//! starts every terminal escape sequence: cursor moves, window titles, OSC
//! 52 clipboard writes) and the invisible marks that reorder text
//! (bidirectional embeddings, overrides, isolates and marks), which can make
//! a line read differently from what it holds. Each becomes U+FFFD (�):
//! visible, one column wide, inert. Stored text is never changed; only what
//! is shown is.
//!
//! Passwords in URLs (`scheme://user:secret@host`) are masked wherever a
//! message may quote one.

use std::borrow::Cow;

/// What an unsafe character is shown as.
pub const REPLACEMENT: char = '\u{fffd}';

/// Characters that act on a terminal or on the direction of text.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || is_bidi_control(c)
}

/// The Unicode bidirectional formatting characters: ALM, LRM, RLM, the
/// embeddings and overrides (LRE RLE PDF LRO RLO) and the isolates (LRI
/// RLI FSI PDI).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// One line: line breaks and tabs become spaces, every other unsafe
/// character the replacement.
pub fn line(text: &str) -> Cow<'_, str> {
    replace(text, |c| match c {
        '\n' | '\r' | '\t' => Some(' '),
        c if is_unsafe(c) => Some(REPLACEMENT),
        _ => None,
    })
}

/// Several lines: newlines and tabs kept, a carriage return (which would
/// let a line overwrite itself) a space, every other unsafe character the
/// replacement.
pub fn text(text: &str) -> Cow<'_, str> {
    replace(text, |c| match c {
        '\n' | '\t' => None,
        '\r' => Some(' '),
        c if is_unsafe(c) => Some(REPLACEMENT),
        _ => None,
    })
}

/// A message for stderr or a status line: one line, passwords masked.
pub fn message(text: &str) -> String {
    line(&mask_passwords(text)).into_owned()
}

fn replace(text: &str, swap: impl Fn(char) -> Option<char>) -> Cow<'_, str> {
    if !text.chars().any(|c| swap(c).is_some()) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(|c| swap(c).unwrap_or(c)).collect())
}

/// `postgres://reviewer:secret@db/trials` as `postgres://reviewer:***@db/trials`:
/// the password of every URL in `text` masked, the rest kept so the user
/// still recognises what they typed.
pub fn mask_passwords(text: &str) -> Cow<'_, str> {
    if !text.contains("://") {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("://") {
        let (head, tail) = rest.split_at(at + 3);
        out.push_str(head);
        // The authority ends at the first '/', '?', '#' or space; its
        // user information, if any, before the last '@' in it.
        let end = tail
            .find(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .unwrap_or(tail.len());
        let authority = &tail[..end];
        match authority.rfind('@') {
            Some(at_sign) => {
                let userinfo = &authority[..at_sign];
                match userinfo.split_once(':') {
                    Some((user, _password)) => {
                        out.push_str(user);
                        out.push_str(":***");
                    }
                    None => out.push_str(userinfo),
                }
                out.push_str(&authority[at_sign..]);
            }
            None => out.push_str(authority),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitize_escape_sequences_become_inert() {
        assert_eq!(line("a\u{1b}[2Jb\u{7}"), "a\u{fffd}[2Jb\u{fffd}");
        assert_eq!(
            line("osc\u{1b}]52;c;aGk=\u{7}"),
            "osc\u{fffd}]52;c;aGk=\u{fffd}"
        );
        assert_eq!(line("c1\u{9b}31m"), "c1\u{fffd}31m");
        assert_eq!(line("del\u{7f}"), "del\u{fffd}");
        assert_eq!(line("plain"), "plain");
    }

    #[test]
    fn sanitize_bidi_controls_become_inert() {
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{061c}',
        ] {
            assert_eq!(line(&format!("x{c}y")), "x\u{fffd}y", "{:x}", c as u32);
            assert_eq!(text(&format!("x{c}y")), "x\u{fffd}y", "{:x}", c as u32);
        }
        // Letters of right-to-left scripts are text, not controls.
        assert_eq!(line("مرحبا שלום"), "مرحبا שלום");
    }

    #[test]
    fn sanitize_lines_and_texts_treat_breaks_differently() {
        assert_eq!(line("a\nb\tc\rd"), "a b c d");
        assert_eq!(text("a\nb\tc\rd\u{1b}"), "a\nb\tc d\u{fffd}");
    }

    #[test]
    fn sanitize_masks_url_passwords_only() {
        assert_eq!(
            mask_passwords("DATABASE_URL is 'postgresql://ana:s3cr:et@db.example/trials?x=1'"),
            "DATABASE_URL is 'postgresql://ana:***@db.example/trials?x=1'"
        );
        assert_eq!(mask_passwords("postgres://ana@db/x"), "postgres://ana@db/x");
        assert_eq!(mask_passwords("sqlite:///tmp/x.db"), "sqlite:///tmp/x.db");
        assert_eq!(
            mask_passwords("a://u:p@h b://v:q@i"),
            "a://u:***@h b://v:***@i"
        );
        assert_eq!(message("x://u:p@h\u{1b}[2J"), "x://u:***@h\u{fffd}[2J");
    }
}
