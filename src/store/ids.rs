//! Record ids: the seed's prefixes followed by 16 random hex digits.
//!
//! The seed used 8 digits (32 bits), which collide with even odds at about
//! 77,000 rows; 64 bits keep the odds of any collision in a store of ten
//! million suggestions below one in 300,000.

pub const PROTOCOL: &str = "proto";
pub const ANALYSIS: &str = "analysis";
pub const SUGGESTION: &str = "sugg";
pub const VERSION: &str = "version";
pub const EXPORT: &str = "export";

/// A fresh id such as `sugg_3f9a0c1d2e4b5a69`.
pub fn new_id(prefix: &str) -> String {
    let random = uuid::Uuid::new_v4().as_u128() as u64;
    format!("{prefix}_{random:016x}")
}

/// Which table an id belongs to, judged by its prefix.
pub fn kind_of(id: &str) -> Option<&'static str> {
    let (prefix, digits) = id.split_once('_')?;
    if digits.is_empty() {
        return None;
    }
    [PROTOCOL, ANALYSIS, SUGGESTION, VERSION, EXPORT]
        .into_iter()
        .find(|p| *p == prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_sixteen_hex_digits() {
        let id = new_id(SUGGESTION);
        let digits = id.strip_prefix("sugg_").unwrap();
        assert_eq!(digits.len(), 16);
        assert!(digits.chars().all(|c| c.is_ascii_hexdigit()));
    }

    #[test]
    fn a_million_ids_do_not_collide() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1_000_000 {
            assert!(seen.insert(new_id(PROTOCOL)));
        }
    }

    #[test]
    fn kind_is_read_from_the_prefix() {
        assert_eq!(kind_of("analysis_00ff"), Some(ANALYSIS));
        assert_eq!(kind_of("proto_"), None);
        assert_eq!(kind_of("nope_12"), None);
    }
}
