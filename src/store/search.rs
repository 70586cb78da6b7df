//! Turning what a user types into a full-text query that means exactly
//! what was typed.
//!
//! FTS5 has its own query language (quotes, `*`, `NEAR(`, `OR`, `-`, `:`),
//! and LIKE has `%` and `_`. A reviewer searching for `50%` or `NEAR(` means
//! those characters, so no user text ever reaches either language: each
//! whitespace-separated word becomes a quoted FTS phrase of its letters and
//! digits (the index's own tokens), and a word that also holds other
//! characters must appear verbatim (case-insensitively) in the protocol.

/// SQL condition (on alias `p`, parameter `?3`) requiring every literal word
/// of the query to appear in the protocol's text.
pub const LITERAL_FILTER: &str = "NOT EXISTS (
    SELECT 1 FROM json_each(?3) AS l
    WHERE instr(lower(p.title || ' ' || coalesce(p.description, '') || ' ' || p.content),
                lower(l.value)) = 0)";

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
    fn punctuation_only_has_no_phrase() {
        let q = SearchQuery::parse("% _ *");
        assert_eq!(q.fts(), "");
        assert!(!q.is_empty());
        assert!(SearchQuery::parse("   ").is_empty());
    }
}
