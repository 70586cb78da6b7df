//! Trial registry ids that do not have their registry's shape: NCT and
//! ISRCTN take 8 digits, EudraCT `YYYY-NNNNNN-CC`, EU CT `YYYY-5NNNNN-NN-NN`.

use std::sync::OnceLock;

use regex::Regex;

use super::{Check, Finding, section_name};
use crate::analysis::document::Document;
use crate::vocab::Priority;

struct Registry {
    name: &'static str,
    /// Finds a mention and captures the id as written.
    mention: Regex,
    valid: fn(&str) -> bool,
    shape: &'static str,
}

fn registries() -> &'static [Registry] {
    static R: OnceLock<Vec<Registry>> = OnceLock::new();
    R.get_or_init(|| {
        let re = crate::analysis::patterns::compile;
        vec![
            Registry {
                name: "ClinicalTrials.gov",
                mention: re(r"(?i)\bNCT[\s#:-]?([0-9X]{2,}[0-9X]*)\b"),
                valid: |id| id.len() == 8 && id.bytes().all(|b| b.is_ascii_digit()),
                shape: "NCT followed by 8 digits",
            },
            Registry {
                name: "ISRCTN",
                mention: re(r"(?i)\bISRCTN[\s#:-]?([0-9X]{2,}[0-9X]*)\b"),
                valid: |id| id.len() == 8 && id.bytes().all(|b| b.is_ascii_digit()),
                shape: "ISRCTN followed by 8 digits",
            },
            Registry {
                name: "EU CT (CTIS)",
                mention: re(r"(?i)\bEU[\s-]?CT\b(?:\s*(?:number|no\.?|#|:|id))*[\s:]*([0-9X][0-9X-]{5,24}[0-9X])"),
                valid: |id| shape_ok(id, &[4, 6, 2, 2]) && id.as_bytes()[5] == b'5' && year_ok(id, 2022, 2045),
                shape: "YYYY-5NNNNN-NN-NN",
            },
            Registry {
                name: "EudraCT",
                mention: re(r"(?i)\bEudra[\s-]?CT\b(?:\s*(?:number|no\.?|#|:|id))*[\s:]*([0-9X][0-9X-]{5,20}[0-9X])"),
                valid: |id| shape_ok(id, &[4, 6, 2]) && year_ok(id, 2004, 2030),
                shape: "YYYY-NNNNNN-CC",
            },
        ]
    })
}

fn shape_ok(id: &str, parts: &[usize]) -> bool {
    let pieces: Vec<&str> = id.split('-').collect();
    pieces.len() == parts.len()
        && pieces
            .iter()
            .zip(parts)
            .all(|(p, &n)| p.len() == n && p.bytes().all(|b| b.is_ascii_digit()))
}

fn year_ok(id: &str, from: u32, to: u32) -> bool {
    id.get(..4)
        .and_then(|y| y.parse::<u32>().ok())
        .is_some_and(|y| (from..=to).contains(&y))
}

pub fn check(doc: &Document<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let mut reported: Vec<String> = Vec::new();
    for registry in registries() {
        for caps in registry.mention.captures_iter(doc.text) {
            let (Some(all), Some(id)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            if doc.is_ignored(all.start()) || (registry.valid)(id.as_str()) {
                continue;
            }
            let written = all.as_str().trim().to_owned();
            if reported.contains(&written) {
                continue;
            }
            reported.push(written.clone());
            findings.push(Finding {
                check: Check::RegistryId,
                section: section_name(doc, all.start(), "Administrative information"),
                message: format!(
                    "The {} id \"{written}\" is malformed: {} ids are {}.",
                    registry.name, registry.name, registry.shape
                ),
                fix: format!(
                    "Copy the id exactly from the {} record ({}), or say that registration is pending.",
                    registry.name, registry.shape
                ),
                evidence: vec![all.range()],
                priority: Priority::High,
                confidence: 0.85,
                reference: Some("SPIRIT 2013 item 2a"),
                count: 1,
                subject: written.clone(),
            });
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    fn malformed(text: &str) -> Vec<String> {
        super::super::messages_of(check, text)
    }

    #[test]
    fn well_formed_ids_pass() {
        assert!(malformed("Registered as NCT01234567 and ISRCTN48291035.").is_empty());
        assert!(malformed("EudraCT number: 2015-001234-56").is_empty());
        assert!(malformed("EU CT 2024-512345-21-00").is_empty());
    }

    #[test]
    fn malformed_ids_are_reported() {
        assert_eq!(malformed("ClinicalTrials.gov NCT0123456").len(), 1);
        assert_eq!(malformed("NCT0XXXXXXX").len(), 1);
        assert_eq!(malformed("ISRCTN 123456789").len(), 1);
        assert_eq!(malformed("EudraCT 2015-00123-56").len(), 1);
        assert_eq!(malformed("EU CT number 2024-412345-21-00").len(), 1);
    }

    #[test]
    fn the_word_alone_is_not_an_id() {
        assert!(malformed("An NCT number will be obtained before enrolment.").is_empty());
    }
}
