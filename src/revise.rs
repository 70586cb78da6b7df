//! Turning accepted and modified suggestions into a new protocol text.
//! Pure: text and insertions in, text out.
//!
//! A suggestion about a section the protocol has is added at the end of
//! that section; one about a section it lacks adds that section, placed
//! in the guideline's order among the protocol's own top-level sections.

use crate::analysis::structure;

/// The guideline's sections, in order (SPIRIT 2013).
pub const GUIDELINE_ORDER: &[&str] = &[
    "Administrative information",
    "Introduction",
    "Methods: participants, interventions and outcomes",
    "Methods: assignment of interventions",
    "Methods: data collection, management and analysis",
    "Methods: monitoring",
    "Ethics and dissemination",
    "Appendices",
];

/// One piece of text to add, and where it belongs.
#[derive(Clone, Debug, PartialEq)]
pub struct Insertion {
    pub section: String,
    pub text: String,
}

/// The position in the guideline of a section name or heading, if known.
fn guideline_index(name: &str) -> Option<usize> {
    let lower = name.to_lowercase();
    GUIDELINE_ORDER
        .iter()
        .position(|s| s.eq_ignore_ascii_case(name.trim()))
        .or_else(|| {
            // Words in a protocol's own heading that place it among the
            // guideline's sections (`[[sections.guideline]]` in
            // assets/analyzer.toml).
            crate::analysis::knowledge::get()
                .sections
                .guideline
                .iter()
                .position(|s| s.words.iter().any(|w| lower.contains(w.as_str())))
        })
}

/// The text with every insertion made.
pub fn apply(text: &str, insertions: &[Insertion]) -> String {
    let mut out = text.trim_end().to_owned();
    out.push('\n');
    let mut new_sections: Vec<(usize, String, Vec<String>)> = Vec::new();
    for ins in insertions {
        let body = ins.text.trim();
        if body.is_empty() {
            continue;
        }
        match section_end(&out, &ins.section) {
            // Its own paragraph, after what the section already says (or
            // right under an empty heading).
            Some(at) => out.insert_str(at, &format!("\n\n{body}")),
            None => {
                let index = guideline_index(&ins.section).unwrap_or(GUIDELINE_ORDER.len());
                match new_sections
                    .iter_mut()
                    .find(|(_, name, _)| name == &ins.section)
                {
                    Some((_, _, bodies)) => bodies.push(body.to_owned()),
                    None => new_sections.push((index, ins.section.clone(), vec![body.to_owned()])),
                }
            }
        }
    }
    new_sections.sort_by_key(|(index, _, _)| *index);
    // New headings in the document's own style: `##` where it writes
    // Markdown, else the heading underlined (which reads as a heading in
    // plain text and is found as one when analysed again).
    let markdown = text
        .lines()
        .any(|l| l.starts_with("# ") || l.starts_with("## "));
    for (index, name, bodies) in new_sections {
        let heading = if markdown {
            format!("## {name}")
        } else {
            format!("{name}\n{}", "-".repeat(name.chars().count()))
        };
        let section = format!("{heading}\n\n{}\n", bodies.join("\n\n"));
        match insertion_point(&out, index) {
            Some(at) => out.insert_str(at, &format!("{section}\n")),
            None => out.push_str(&format!("\n{section}")),
        }
    }
    out
}

/// Guideline sections whose text belongs under the protocol's own broad
/// heading for them ("Ethics", "Background", "Appendix"), when it has one.
const BROAD: &[usize] = &[0, 1, 6, 7];

/// Where the section titled `name` ends (before the next heading of the
/// same or a higher level), if the text has it.
fn section_end(text: &str, name: &str) -> Option<usize> {
    let headings = structure::headings(text);
    let wanted = name.trim().to_lowercase();
    let exact = headings
        .iter()
        .position(|h| h.title.trim().to_lowercase() == wanted);
    let broad = || {
        let index = guideline_index(name).filter(|i| BROAD.contains(i))?;
        headings
            .iter()
            .skip(1)
            .position(|h| guideline_index(&h.title) == Some(index))
            .map(|i| i + 1)
    };
    // The guideline's "Methods: …" sections belong under a protocol's one
    // "Methods" heading when it has no heading of its own for them.
    let methods = || {
        if !wanted.starts_with("methods") {
            return None;
        }
        headings
            .iter()
            .skip(1)
            .position(|h| {
                let title = h.title.trim().to_lowercase();
                title == "methods" || title == "methods and analysis" || title == "method"
            })
            .map(|i| i + 1)
    };
    let i = exact.or_else(broad).or_else(methods)?;
    let level = headings[i].level;
    let end = headings[i + 1..]
        .iter()
        .find(|h| h.level <= level)
        .map_or(text.len(), |h| h.span.start);
    // Before the blank lines that separate it from the next heading.
    let trimmed = text[..end].trim_end().len();
    Some(trimmed.max(headings[i].span.end))
}

/// Before the first section (at the level of the protocol's main sections;
/// the first heading is its title) that comes later in the guideline; `None`
/// means at the end.
fn insertion_point(text: &str, index: usize) -> Option<usize> {
    let headings = structure::headings(text);
    let sections = headings.get(1..)?;
    let top = sections.iter().map(|h| h.level).min()?;
    sections
        .iter()
        .filter(|h| h.level == top)
        .find(|h| guideline_index(&h.title).is_some_and(|i| i > index))
        .map(|h| h.span.start)
}

/// Placeholders left in wording meant for the protocol: bracketed prompts
/// (`[N]`, `[the primary outcome rate]`, but not citations such as `[12]`
/// or `[3, 4]`), TBD and the like, and blanks (`____`).
pub fn placeholders(text: &str) -> Vec<&str> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        crate::analysis::patterns::compile(
            r"\[[^\[\]\n]{1,80}\]|\b(?:TBD|TBC|TBA|TODO|XXX+)\b|(?i:\bto be (?:determined|confirmed|decided)\b)|_{3,}|<(?i:insert|add|enter)[^>\n]{0,60}>",
        )
    });
    let citation = |m: &str| {
        m.starts_with('[')
            && m[1..m.len() - 1]
                .chars()
                .all(|c| c.is_ascii_digit() || matches!(c, ',' | '-' | '–' | ' '))
    };
    re.find_iter(text)
        .map(|m| m.as_str())
        .filter(|m| !citation(m))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "# Trial\n\n## Background\nWhy.\n\n## Methods: participants, interventions and outcomes\nWho.\n\n## Ethics and dissemination\nApproved.\n";

    #[test]
    fn text_for_an_existing_section_goes_at_its_end() {
        let out = apply(
            DOC,
            &[Insertion {
                section: "Background".into(),
                text: "More why.".into(),
            }],
        );
        assert!(out.contains("Why.\n\nMore why.\n\n## Methods"), "{out}");
        assert!(out.contains("Who.\n\n## Ethics"), "{out}");
    }

    #[test]
    fn a_missing_section_is_added_in_the_guidelines_order() {
        let out = apply(
            DOC,
            &[Insertion {
                section: "Methods: monitoring".into(),
                text: "A DMC will meet.".into(),
            }],
        );
        let monitoring = out.find("## Methods: monitoring").unwrap();
        assert!(monitoring > out.find("## Methods: participants").unwrap());
        assert!(monitoring < out.find("## Ethics").unwrap(), "{out}");
        assert!(out.contains("A DMC will meet.\n\n## Ethics"), "{out}");
        let appendix = apply(
            DOC,
            &[Insertion {
                section: "Appendices".into(),
                text: "Forms.".into(),
            }],
        );
        assert!(appendix.trim_end().ends_with("Forms."), "{appendix}");
    }

    #[test]
    fn guideline_sections_find_the_protocols_broad_heading() {
        let doc = "# Trial\n\n## Ethics\nApproved.\n\n## References\nA.\n";
        let out = apply(
            doc,
            &[Insertion {
                section: "Ethics and dissemination".into(),
                text: "Consent in writing.".into(),
            }],
        );
        assert!(
            out.contains("Approved.\n\nConsent in writing.\n\n## References"),
            "{out}"
        );
    }

    #[test]
    fn methods_subsections_go_under_a_single_methods_heading() {
        let doc =
            "# Trial\n\n## Background\nWhy.\n\n## Methods\nWho and how.\n\n## Ethics\nApproved.\n";
        let out = apply(
            doc,
            &[Insertion {
                section: "Methods: participants, interventions and outcomes".into(),
                text: "The primary outcome is falls at 12 months.".into(),
            }],
        );
        assert!(
            out.contains("Who and how.\n\nThe primary outcome is falls at 12 months.\n\n## Ethics"),
            "{out}"
        );
        assert_eq!(out.matches("Methods").count(), 1, "{out}");
    }

    #[test]
    fn a_plain_text_protocol_gets_plain_headings() {
        let doc = "TRIAL OF THINGS\n\n1 Background\nWhy.\n\n2 Ethics\nApproved.\n";
        let out = apply(
            doc,
            &[Insertion {
                section: "Appendices".into(),
                text: "Forms.".into(),
            }],
        );
        assert!(!out.contains("##"), "{out}");
        assert!(out.contains("Appendices\n----------\n\nForms."), "{out}");
    }

    #[test]
    fn section_words_follow_the_guidelines_order() {
        let names: Vec<&str> = crate::analysis::knowledge::get()
            .sections
            .guideline
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(names, GUIDELINE_ORDER);
    }

    #[test]
    fn placeholders_are_prompts_not_citations() {
        assert_eq!(
            placeholders(
                "Power 80% to detect [the primary outcome rate] in [N] people [12, 13]; sponsor TBD, site ____."
            ),
            ["[the primary outcome rate]", "[N]", "TBD", "____"]
        );
        assert!(placeholders("As shown before [3-5], blinding holds.").is_empty());
    }
}
