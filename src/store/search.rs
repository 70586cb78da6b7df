//! Turning what a user types into a full-text query that means exactly
//! what was typed.
//!
//! FTS5 has its own query language (quotes, `*`, `NEAR(`, `OR`, `-`, `:`),
//! and LIKE has `%` and `_`. A reviewer searching for `50%` or `NEAR(` means
//! those characters, so no user text ever reaches either language: each
//! whitespace-separated word becomes a quoted FTS phrase of its letters and
//! digits (the index's own tokens), and a word that also holds other
//! characters must appear verbatim (case-insensitively) in the protocol.
//!
//! Those verbatim words are looked for by one SQL function written here,
//! in a single pass over a protocol's text however many words there are
//! (fifty punctuation words once meant fifty passes over a 60 MB text).

use std::sync::Arc;

use aho_corasick::AhoCorasick;
use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;

/// SQL condition (on alias `p`, parameter `?3`) requiring every literal word
/// of the query to appear in the protocol's title, description or text.
pub const LITERAL_FILTER: &str = "protoscribe_has_all(?3, p.title, p.description, p.content)";

/// Register `protoscribe_has_all(words_json, text, ...)` on a connection:
/// true when every word of the JSON array occurs in one of the texts,
/// ASCII letters compared case-insensitively (as SQLite's `lower()` does).
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "protoscribe_has_all",
        -1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            // Built once per statement: the words are the same on every row.
            let words: Arc<Words> = ctx.get_or_create_aux(0, Words::from_json)?;
            let texts = (1..ctx.len()).filter_map(|i| match ctx.get_raw(i) {
                ValueRef::Text(bytes) => Some(bytes),
                _ => None,
            });
            Ok(words.all_in(texts))
        },
    )
}

/// The verbatim words of a query, ready to be found in one pass.
struct Words {
    count: usize,
    matcher: Option<AhoCorasick>,
}

impl Words {
    fn from_json(value: ValueRef<'_>) -> Result<Words, String> {
        let json = value.as_str().map_err(|e| e.to_string())?;
        let mut words: Vec<String> = serde_json::from_str(json).map_err(|e| e.to_string())?;
        words.sort();
        words.dedup();
        words.retain(|w| !w.is_empty());
        let matcher = if words.is_empty() {
            None
        } else {
            Some(
                AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(&words)
                    .map_err(|e| e.to_string())?,
            )
        };
        Ok(Words {
            count: words.len(),
            matcher,
        })
    }

    fn all_in<'a>(&self, texts: impl Iterator<Item = &'a [u8]>) -> bool {
        let Some(matcher) = &self.matcher else {
            return true;
        };
        let mut seen = vec![false; self.count];
        let mut missing = self.count;
        for text in texts {
            // Overlapping matches: ";" and ";;" are both in ";;".
            for found in matcher.find_overlapping_iter(text) {
                let slot = &mut seen[found.pattern().as_usize()];
                if !*slot {
                    *slot = true;
                    missing -= 1;
                    if missing == 0 {
                        return true;
                    }
                }
            }
        }
        false
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    phrases: Vec<String>,
    literals: Vec<String>,
}

impl SearchQuery {
    pub fn parse(input: &str) -> SearchQuery {
        let mut query = SearchQuery::default();
        for word in input.split_whitespace() {
            let tokens: Vec<&str> = word
                .split(|c: char| !c.is_alphanumeric())
                .filter(|t| !t.is_empty())
                .collect();
            if !tokens.is_empty() {
                // Tokens hold letters and digits only, so quoting cannot be broken.
                query.phrases.push(format!("\"{}\"", tokens.join(" ")));
            }
            if word.chars().any(|c| !c.is_alphanumeric()) {
                query.literals.push(word.to_owned());
            }
        }
        query
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty() && self.literals.is_empty()
    }

    /// The FTS5 MATCH expression: every phrase must occur (empty when the
    /// query has no letters or digits at all).
    pub fn fts(&self) -> String {
        self.phrases.join(" ")
    }

    /// The words that must appear verbatim, as a JSON array for `json_each`.
    pub fn literals_json(&self) -> String {
        serde_json::Value::from(self.literals.clone()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operators_become_quoted_phrases() {
        let q = SearchQuery::parse("sample OR size NEAR(");
        assert_eq!(q.fts(), r#""sample" "OR" "size" "NEAR""#);
        assert_eq!(q.literals_json(), r#"["NEAR("]"#);
    }

    #[test]
    fn like_wildcards_and_quotes_are_literal() {
        let q = SearchQuery::parse(r#"50% a_b "x"#);
        assert_eq!(q.fts(), r#""50" "a b" "x""#);
        assert_eq!(q.literals_json(), r#"["50%","a_b","\"x"]"#);
    }

    #[test]
    fn literal_words_are_found_in_one_pass_case_insensitively() {
        let conn = Connection::open_in_memory().unwrap();
        register(&conn).unwrap();
        let has = |words: &str, a: &str, b: Option<&str>| -> bool {
            conn.query_row(
                "SELECT protoscribe_has_all(?1, ?2, ?3)",
                rusqlite::params![words, a, b],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert!(has(
            r#"["50%","DOSE_mg"]"#,
            "a 50% rise",
            Some("dose_MG daily")
        ));
        assert!(!has(r#"["50%","x;y"]"#, "a 50% rise", None));
        assert!(has(r#"[";",";;",";"]"#, "a;;b", None));
        assert!(has("[]", "anything", None));
        // Only ASCII letters fold, as with SQLite's lower().
        assert!(!has(r#"["É;"]"#, "é;", None));
    }

    #[test]
    fn punctuation_only_has_no_phrase() {
        let q = SearchQuery::parse("% _ *");
        assert_eq!(q.fts(), "");
        assert!(!q.is_empty());
        assert!(SearchQuery::parse("   ").is_empty());
    }
}
