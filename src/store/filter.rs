//! WHERE clauses built from the conditions that are present.
//!
//! `(?1 IS NULL OR col = ?1)` reads well but hides the index from SQLite's
//! planner: on a million suggestions every queue query became a full scan
//! (measured: 190 ms a key press). Here only the present conditions are
//! written; column names come from code, values are always bound.

use rusqlite::types::Value;

#[derive(Default)]
pub struct Where {
    clauses: Vec<String>,
    params: Vec<Value>,
}

impl Where {
    pub fn new() -> Where {
        Where::default()
    }

    /// `column = value`, when there is a value.
    pub fn eq(mut self, column: &'static str, value: Option<impl Into<String>>) -> Where {
        if let Some(value) = value {
            self.params.push(Value::Text(value.into()));
            self.clauses
                .push(format!("{column} = ?{}", self.params.len()));
        }
        self
    }

    /// `WHERE …` (or nothing).
    pub fn sql(&self) -> String {
        if self.clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", self.clauses.join(" AND "))
        }
    }

    /// The bound values, followed by `extra` (numbered after them).
    pub fn params(&self, extra: &[i64]) -> Vec<Value> {
        let mut all = self.params.clone();
        all.extend(extra.iter().map(|&n| Value::Integer(n)));
        all
    }

    /// The placeholder number the next extra parameter gets.
    pub fn next(&self, nth_extra: usize) -> usize {
        self.params.len() + nth_extra
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_present_conditions_are_written() {
        let w = Where::new()
            .eq("a", Some("x"))
            .eq("b", None::<String>)
            .eq("c", Some("y"));
        assert_eq!(w.sql(), "WHERE a = ?1 AND c = ?2");
        assert_eq!(w.params(&[5]).len(), 3);
        assert_eq!(w.next(1), 3);
        assert_eq!(Where::new().sql(), "");
    }
}
