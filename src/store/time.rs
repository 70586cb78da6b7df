//! Timestamps: UTC, ISO-8601, fixed width with microseconds, so that the
//! text order SQLite sorts by is the time order.

use chrono::{DateTime, SecondsFormat, Utc};

pub fn now() -> String {
    format_time(Utc::now())
}

pub fn format_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Seconds between two stored timestamps, if both parse.
pub fn seconds_between(start: &str, end: &str) -> Option<f64> {
    let (start, end) = (parse(start)?, parse(end)?);
    Some((end - start).num_microseconds()? as f64 / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_sort_as_text_in_time_order() {
        let a = format_time(DateTime::from_timestamp(1_000_000_000, 5_000).unwrap());
        let b = format_time(DateTime::from_timestamp(1_000_000_000, 50_000).unwrap());
        assert!(a < b, "{a} < {b}");
        assert!(a.ends_with('Z'));
    }

    #[test]
    fn duration_is_computed_from_stored_text() {
        let d = seconds_between("2026-01-01T00:00:00.000000Z", "2026-01-01T00:00:01.500000Z");
        assert_eq!(d, Some(1.5));
    }
}
