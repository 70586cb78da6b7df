//! Headings with nothing under them: a section the author meant to write.

use super::{Check, Finding};
use crate::analysis::document::{self, Document};
use crate::vocab::Priority;

/// Most empty sections reported one by one.
const MAX_REPORTED: usize = 10;

pub fn check(doc: &Document<'_>) -> Vec<Finding> {
    let sections = &doc.sections;
    let blank = |i: usize| document::is_blank(doc.slice(&sections[i].own_body));
    let mut findings = Vec::new();
    for i in 0..sections.len() {
        let s = &sections[i];
        if !blank(i) || doc.is_ignored(s.heading.span.start) {
            continue;
        }
        // A parent whose text is in its subsections is not empty.
        if sections
            .get(i + 1)
            .is_some_and(|n| n.heading.level > s.heading.level)
        {
            continue;
        }
        // Runs of bare headings are contents lists or table headers.
        let neighbour_blank = (i > 0 && blank(i - 1)) || (i + 1 < sections.len() && blank(i + 1));
        if neighbour_blank
            || s.heading
                .title
                .chars()
                .filter(|c| c.is_alphabetic())
                .count()
                < 4
        {
            continue;
        }
        findings.push(Finding {
            check: Check::EmptySection,
            section: s.heading.title.chars().take(100).collect(),
            message: format!(
                "The section \"{}\" has a heading but no text.",
                doc.quote(s.heading.span.clone(), 80)
                    .trim_start_matches('#')
                    .trim()
            ),
            fix: "Write the section, or remove the heading if it does not apply and say why."
                .into(),
            evidence: vec![s.heading.span.clone()],
            priority: Priority::Medium,
            confidence: 0.8,
            reference: None,
            count: 1,
            subject: String::new(),
        });
        if findings.len() == MAX_REPORTED {
            break;
        }
    }
    findings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_heading_with_no_text_is_reported() {
        let text = "1 Background\nSome real background text that is long enough.\n2 Conflict of Interest\n\n3 References\nSmith J. A study of things. 2001.\n";
        let found = check(&Document::new(text));
        assert_eq!(found.len(), 1);
        assert!(found[0].message.contains("Conflict of Interest"));
    }

    #[test]
    fn parents_of_subsections_are_not_empty() {
        let text = "2 Methods\n2.1 Design\nParallel groups, randomised one to one.\n";
        assert!(check(&Document::new(text)).is_empty());
    }
}
