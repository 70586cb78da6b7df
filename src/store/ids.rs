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

/// A fresh id such as `sugg_3f9a0c1d2e4b5a69`: 64 bits straight from the
/// operating system's generator. (The low half of a version-4 UUID, used
/// before, has two fixed variant bits: 62 random bits, and every id's
/// first digit was 8, 9, a or b.)
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{:016x}", random_u64())
}

fn random_u64() -> u64 {
    // getrandom(2) fails only where the system has no entropy source at
    // all; no id made there could be trusted to be unique.
    getrandom::u64().unwrap_or_else(|e| panic!("the system's random generator failed: {e}"))
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
    fn every_bit_of_an_id_varies() {
        let (mut ones, mut zeros) = (0u64, 0u64);
        for _ in 0..1000 {
            let id = new_id(PROTOCOL);
            let bits = u64::from_str_radix(&id["proto_".len()..], 16).unwrap();
            ones |= bits;
            zeros |= !bits;
        }
        assert_eq!((ones, zeros), (u64::MAX, u64::MAX));
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
