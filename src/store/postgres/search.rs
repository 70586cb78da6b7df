//! Full-text search on PostgreSQL that means exactly what was typed, as
//! `store::search` does on SQLite: no user text ever reaches a query
//! language (tsquery's `&`, `|`, `!`, `<->`, `:*`, nor LIKE's `%` and `_`).
//!
//! A query is split into whitespace-separated words, as on SQLite. Every
//! lexeme of a word with letters or digits must be in the protocol's
//! `search` vector (`plainto_tsquery('simple', word)`: the word is read by
//! the same parser that built the index, and taken as plain text). A word
//! that also holds other characters must appear verbatim in the title,
//! description or text, ASCII letters compared case-insensitively (as
//! SQLite's `protoscribe_has_all`); only such a word can have several
//! lexemes, so their order is held by the verbatim match, not by a phrase
//! operator that the positionless vector of a huge text could never
//! satisfy. A word whose letters give the parser nothing to index (longer
//! than PostgreSQL indexes) must appear in the text instead,
//! case-insensitively, so it never matches everything. Matches are ranked
//! by `ts_rank`, then newest first.

use postgres::GenericClient;
use postgres::types::ToSql;

use super::sql;
use crate::store::error::Result;

/// A query as typed, split the way `store::search::SearchQuery` splits it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Query {
    /// Words holding letters or digits.
    words: Vec<String>,
    /// Words holding other characters too, ASCII letters lowercased.
    literals: Vec<String>,
    /// A word held a NUL character, which no PostgreSQL text can hold:
    /// nothing matches.
    impossible: bool,
}

impl Query {
    pub fn parse(input: &str) -> Query {
        let mut query = Query::default();
        for word in input.split_whitespace() {
            if word.contains('\0') {
                query.impossible = true;
            }
            if word.chars().any(char::is_alphanumeric) {
                query.words.push(word.replace('\0', " "));
            }
            if word.chars().any(|c| !c.is_alphanumeric()) {
                query.literals.push(word.to_ascii_lowercase());
            }
        }
        query
    }

    /// Nothing to search for: every protocol is shown (as on SQLite).
    pub fn is_empty(&self) -> bool {
        self.words.is_empty() && self.literals.is_empty()
    }

    /// Ask the server how it reads the words: the tsquery they make
    /// together, and the words that give it no lexeme to look for.
    pub fn prepare(&self, client: &mut impl GenericClient) -> Result<Prepared> {
        let mut prepared = Prepared {
            tsquery: None,
            loose: Vec::new(),
            literals: self.literals.clone(),
            impossible: self.impossible,
        };
        if self.impossible || self.words.is_empty() {
            return Ok(prepared);
        }
        let rows = client
            .query(
                "SELECT u.w, plainto_tsquery('simple', protoscribe_fold(u.w))::text
                 FROM unnest($1::text[]) WITH ORDINALITY AS u(w, n) ORDER BY u.n",
                &[&self.words],
            )
            .map_err(sql::error)?;
        let mut each = Vec::new();
        for row in &rows {
            let word: String = sql::get(row, 0)?;
            let lexemes: String = sql::get(row, 1)?;
            if lexemes.trim().is_empty() {
                prepared.loose.push(word);
            } else {
                each.push(format!("({lexemes})"));
            }
        }
        if !each.is_empty() {
            prepared.tsquery = Some(each.join(" & "));
        }
        Ok(prepared)
    }
}

/// A query as the server reads it, ready to become SQL.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Every word's lexemes, ANDed, as tsquery text the server wrote itself.
    tsquery: Option<String>,
    /// Words with letters that the index cannot hold.
    loose: Vec<String>,
    literals: Vec<String>,
    impossible: bool,
}

/// The whole protocol's words, one line each for title, description and
/// text (query words hold no whitespace, so none spans two of them).
const BODY: &str = "(p.title || E'\\n' || coalesce(p.description, '') || E'\\n' || p.content)";

/// Beyond this many words with other characters, the text is split once
/// into its distinct pieces between ASCII whitespace, and a word that is
/// a whole piece is found at once (by a hashed set difference); only the
/// others are searched for through the text, one pass each, as below
/// this many. One pass per word made a pasted line of 3,000 punctuation
/// words over a 4 MB protocol take 77 s of the server's time; splitting
/// costs about as much as 25 passes.
const MANY_LITERALS: usize = 24;

/// ASCII letters to lower case, ASCII whitespace to spaces (the pieces
/// are what lies between spaces then).
const FOLD_FROM: &str =
    "'ABCDEFGHIJKLMNOPQRSTUVWXYZ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)";
const FOLD_TO: &str = "'abcdefghijklmnopqrstuvwxyz     '";

impl Prepared {
    /// Whether nothing can match.
    pub fn impossible(&self) -> bool {
        self.impossible
    }

    /// What a search adds to `FROM protocols p`: a join, conditions
    /// (their parameters numbered from `first`), and the ORDER BY that
    /// ranks the matches.
    pub fn conditions(&self, first: usize) -> Conditions {
        let mut found = Conditions {
            join: String::new(),
            clauses: Vec::new(),
            params: Vec::new(),
            order: "p.created_at DESC".to_owned(),
        };
        let next = |found: &mut Conditions, param: Box<dyn ToSql + Sync>| {
            found.params.push(param);
            first + found.params.len() - 1
        };
        if let Some(tsquery) = &self.tsquery {
            let n = next(&mut found, Box::new(tsquery.clone()));
            found
                .clauses
                .push(format!("p.search @@ ${n}::text::tsquery"));
            found.order = format!("ts_rank(p.search, ${n}::text::tsquery) DESC, p.created_at DESC");
        }
        // The protocol's text is folded once per candidate (OFFSET 0 keeps
        // the planner from copying the expression into every word's test),
        // then each word is one search through it.
        let mut folded = Vec::new();
        // Made from the folded text in turn (`t`), not by folding it again:
        // translate() costs about 150 ns a character.
        let mut derived = Vec::new();
        if !self.loose.is_empty() {
            folded.push(format!("lower({BODY}) AS lowered"));
            let n = next(&mut found, Box::new(self.loose.clone()));
            found.clauses.push(format!(
                "NOT EXISTS (SELECT 1 FROM unnest(${n}::text[]) w
                             WHERE strpos(f.lowered, lower(w)) = 0)"
            ));
        }
        if !self.literals.is_empty() {
            // ASCII whitespace folded to spaces as well: no word holds
            // any, so no match is made or lost.
            folded.push(format!(
                "translate({BODY}, {FOLD_FROM}, {FOLD_TO}) AS ascii_folded"
            ));
            let n = next(&mut found, Box::new(self.literals.clone()));
            let words = if self.literals.len() > MANY_LITERALS {
                // A word holds no whitespace: one that is a whole piece
                // between spaces is in the text.
                derived.push(
                    "ARRAY(SELECT DISTINCT piece
                           FROM regexp_split_to_table(t.ascii_folded, ' +') AS piece) AS pieces",
                );
                format!(
                    "(SELECT w FROM unnest(${n}::text[]) AS w
                      EXCEPT SELECT piece FROM unnest(f.pieces) AS piece)"
                )
            } else {
                format!("unnest(${n}::text[])")
            };
            found.clauses.push(format!(
                "NOT EXISTS (SELECT 1 FROM {words} AS m(w)
                             WHERE strpos(f.ascii_folded, m.w) = 0)"
            ));
        }
        if !derived.is_empty() {
            found.join = format!(
                "CROSS JOIN LATERAL (SELECT t.*, {} FROM (SELECT {} OFFSET 0) AS t OFFSET 0) AS f",
                derived.join(", "),
                folded.join(", ")
            );
        } else if !folded.is_empty() {
            found.join = format!(
                "CROSS JOIN LATERAL (SELECT {} OFFSET 0) AS f",
                folded.join(", ")
            );
        }
        found
    }
}

/// What a search adds to a query over protocols `p`.
pub struct Conditions {
    /// Joined after `FROM protocols p` (or nothing).
    pub join: String,
    /// ANDed into the WHERE clause.
    pub clauses: Vec<String>,
    pub params: Vec<Box<dyn ToSql + Sync>>,
    pub order: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::search::SearchQuery;

    #[test]
    fn words_split_as_on_sqlite() {
        let q = Query::parse(r#"50% a_b "x sample NEAR( % "#);
        assert_eq!(q.words, ["50%", "a_b", "\"x", "sample", "NEAR("]);
        assert_eq!(q.literals, ["50%", "a_b", "\"x", "near(", "%"]);
        for input in ["", "   ", "% _ *", "a", "OR", "É;", "🙂", "x\u{0}y"] {
            assert_eq!(
                Query::parse(input).is_empty(),
                SearchQuery::parse(input).is_empty(),
                "{input:?}"
            );
        }
        assert!(Query::parse("a \u{0}").impossible);
    }
}
