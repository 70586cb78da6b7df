//! The learned weights.

/// Splits of the corpus the shipped weights were fitted to.
pub fn trained_on() -> Vec<&'static str> {
    Vec::new()
}
