//! Finding every cue phrase of every checklist item in one pass over the
//! text, and the shape detectors (`#count`, `#date`, ...) that words alone
//! cannot express.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use super::checklist;
use super::document::Document;

/// A cue: a phrase id in the automaton, or a shape detector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cue {
    Phrase(usize),
    Shape(Detector),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Detector {
    Count,
    Number,
    Percent,
    Dose,
    Timepoint,
    Date,
    Version,
    RegistryId,
    Person,
    Org,
    Contact,
    Title,
}

impl Detector {
    fn parse(name: &str) -> Option<Detector> {
        Some(match name {
            "#count" => Detector::Count,
            "#number" => Detector::Number,
            "#percent" => Detector::Percent,
            "#dose" => Detector::Dose,
            "#timepoint" => Detector::Timepoint,
            "#date" => Detector::Date,
            "#version" => Detector::Version,
            "#registry_id" => Detector::RegistryId,
            "#person" => Detector::Person,
            "#org" => Detector::Org,
            "#contact" => Detector::Contact,
            "#title" => Detector::Title,
            _ => return None,
        })
    }

    /// The first place in `text` this shape occurs.
    pub fn find(self, text: &str) -> Option<Range<usize>> {
        patterns().get(self)?.find(text).map(|m| m.range())
    }

    /// Every place in `text` this shape occurs.
    pub fn find_all(self, text: &str) -> Vec<Range<usize>> {
        patterns()
            .get(self)
            .map(|re| re.find_iter(text).map(|m| m.range()).collect())
            .unwrap_or_default()
    }
}

struct Patterns {
    count: Regex,
    number: Regex,
    percent: Regex,
    dose: Regex,
    timepoint: Regex,
    date: Regex,
    version: Regex,
    registry_id: Regex,
    person: Regex,
    org: Regex,
    contact: Regex,
}

impl Patterns {
    /// The detector's pattern; none for the title, which the caller
    /// judges because it knows the title.
    fn get(&self, d: Detector) -> Option<&Regex> {
        Some(match d {
            Detector::Count => &self.count,
            Detector::Number => &self.number,
            Detector::Percent => &self.percent,
            Detector::Dose => &self.dose,
            Detector::Timepoint => &self.timepoint,
            Detector::Date => &self.date,
            Detector::Version => &self.version,
            Detector::RegistryId => &self.registry_id,
            Detector::Person => &self.person,
            Detector::Org => &self.org,
            Detector::Contact => &self.contact,
            Detector::Title => return None,
        })
    }
}

const MONTH: &str = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?";

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| {
        let re = super::patterns::compile;
        Patterns {
            count: re(r"(?i)\b\d{1,3}(?:,\d{3})+\b|\b\d+\s+(?:[a-z-]+\s+){0,3}?(?:participants?|patients?|subjects?|women|men|children|adults|infants|individuals|volunteers|people|persons|neonates|mothers|families|households|clusters|residents|students|cases|recipients|donors|pairs)\b|\bn\s*=\s*\d+|\b\d+\s+(?:per|in each|each|on each)\s+(?:arm|group|cohort)\b|\b\d+\s+(?:per|in each)\s+(?:arm|group)"),
            number: re(r"\b\d+(?:\.\d+)?\b"),
            percent: re(r"\b\d+(?:\.\d+)?\s?%"),
            dose: re(r"(?i)\b\d+(?:[.,]\d+)?\s?(?:mg|mcg|µg|μg|ug|ng|g|ml|l|iu|units?|mmol|meq|c?gy|kg|mg/kg|mg/m2|mg/m²)(?:/(?:kg|m2|m²|day|d|dose|h))?\b"),
            timepoint: re(r"(?i)\b(?:day|days|week|weeks|month|months|year|years|hour|hours|wk|wks|visit|cycle)\s*[-+−]?\d+\b|\b\d+(?:\.\d+)?(?:\s*(?:-|–|to|and|or)\s*\d+)?[\s-]*(?:days?|weeks?|months?|years?|hours?|hrs?|wks?|mos?)\b|\bbaseline\b|\bpost-?(?:transplant|treatment|randomi[sz]ation|operative|intervention)\b|\bend of (?:treatment|study|follow-up|the intervention)\b|\bdischarge\b"),
            date: re(&format!(
                r"(?i)\b\d{{1,2}}(?:st|nd|rd|th)?\s+{MONTH},?\s+\d{{4}}\b|\b{MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}\b|\b\d{{4}}-\d{{2}}-\d{{2}}\b|\b\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}\b|\b{MONTH}\s+\d{{4}}\b"
            )),
            version: re(r"(?i)\b(?:version|vers\.|ver\.)\s*(?:no\.?\s*|number\s*)?\d+(?:\.\d+)*\b|\bv\d+(?:\.\d+)+\b|\bamendment\s+(?:no\.?\s*|number\s*)?\d+\b"),
            registry_id: re(r"(?i)\bnct\d{8}\b|\bisrctn\d{8}\b|\b(?:19|20)\d{2}-\d{6}-\d{2}\b|\b20\d{2}-5\d{5}-\d{2}-\d{2}\b|\bactrn\d{14}\b|\bchictr[-a-z]*\d+\b|\bdrks\d{8}\b|\bctri/\d{4}/\d+/\d+\b|\bjrct[a-z]?\d+\b|\bumin\d{9}\b|\bpactr\d{15}\b|\birct\d+[a-z0-9]*\b|\bntr\d+\b|\bkct\d{7}\b|\btctr\d+\b"),
            person: re(r"\b(?:Dr|Prof|Professor|Mr|Mrs|Ms|Miss)\.?\s+[A-Z][\w'’-]+|\b[A-Z][a-z]+(?:\s+[A-Z]\.?)?(?:\s+[A-Z][a-zA-Z'’-]+)+,?\s+(?:(?:MD|PhD|RN|PharmD|MSc|MPH|MBBS|FRCP|DPhil|BSc|MS|MA|DO|MBChB|PA-C|MSN|CRNP|NP|MSHS|MPAS|MHS)\b|M\.D\.|Ph\.D\.|R\.N\.)"),
            org: re(r"\b(?:University|Institute|Hospital|College|Foundation|Council|Trust|Centre|Center|Ministry|Agency|Corporation|Company|Laboratories|Pharmaceuticals?)\s+(?:of|for)\s+[A-Z]\w+|\b[A-Z][\w&-]*(?:\s+[A-Z][\w&-]*)*\s+(?:Ltd|Inc|plc|GmbH|AG|LLC|Limited|Corporation|Pharma|Pharmaceuticals|Foundation|Trust|Institute|University|Council|Hospital)\b|\b(?:NIH|NHLBI|NCI|NIAID|NIDDK|NHS|NIHR|MRC|Wellcome|PCORI|CIHR|NHMRC|European Commission|Gates Foundation)\b"),
            contact: re(r"[\w.+-]+@[\w-]+\.[\w.-]+|(?:\+\d{1,3}[\s-]?)?(?:\(\d{2,4}\)[\s-]?)?\b\d{3,5}[\s-]\d{3,8}(?:[\s-]\d{2,4})?\b|\b\d+\s+[A-Z][a-z]+\s+(?:Road|Rd|Street|St|Avenue|Ave|Drive|Lane|Boulevard|Blvd|Way|Pike|Place)\b|(?i)\b(?:tel|telephone|phone|fax|e-mail|email)\s*[:.]?\s*\+?\d"),
        }
    })
}

/// Every phrase the checklist uses, in one automaton.
pub struct Cues {
    automaton: AhoCorasick,
    phrases: Vec<Phrase>,
    ids: HashMap<String, usize>,
}

struct Phrase {
    len: usize,
    /// `randomi*`: any ending is allowed.
    prefix: bool,
    /// Whether a word boundary is required before / after (not for
    /// phrases that begin or end with punctuation, like `date:`).
    bound_start: bool,
    bound_end: bool,
}

pub fn cues() -> &'static Cues {
    static CUES: OnceLock<Cues> = OnceLock::new();
    CUES.get_or_init(|| {
        let mut words: Vec<&str> = Vec::new();
        for item in checklist::items() {
            let groups = item.groups.iter().flat_map(|g| &g.cues);
            for cue in item.headings.iter().chain(&item.anchors).chain(groups) {
                if !cue.starts_with('#') {
                    words.push(cue);
                }
            }
        }
        words.extend(super::knowledge::get().design_phrases());
        words.sort_unstable();
        words.dedup();
        Cues::build(&words)
    })
}

impl Cues {
    fn build(words: &[&str]) -> Cues {
        let stems: Vec<&str> = words.iter().map(|w| w.trim_end_matches('*')).collect();
        let automaton = AhoCorasickBuilder::new()
            .match_kind(MatchKind::Standard)
            .build(&stems)
            .unwrap_or_else(|e| panic!("cue automaton: {e}"));
        let phrases = words
            .iter()
            .zip(&stems)
            .map(|(word, stem)| Phrase {
                len: stem.len(),
                prefix: word.ends_with('*'),
                bound_start: stem.starts_with(|c: char| c.is_ascii_alphanumeric()),
                bound_end: stem.ends_with(|c: char| c.is_ascii_alphanumeric()),
            })
            .collect();
        let ids = words
            .iter()
            .enumerate()
            .map(|(i, w)| ((*w).to_owned(), i))
            .collect();
        Cues {
            automaton,
            phrases,
            ids,
        }
    }

    /// The cue named in the checklist (`"randomi*"`, `"#count"`).
    pub fn cue(&self, name: &str) -> Option<Cue> {
        match Detector::parse(name) {
            Some(d) => Some(Cue::Shape(d)),
            None => self.ids.get(name).map(|&id| Cue::Phrase(id)),
        }
    }

    /// How many phrases the automaton holds (ids are `0..len`).
    pub fn len(&self) -> usize {
        self.phrases.len()
    }

    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty()
    }

    pub fn phrase_len(&self, id: usize) -> usize {
        self.phrases[id].len
    }

    /// Every whole-word occurrence of every phrase outside ignored regions.
    pub fn find(&self, doc: &Document<'_>) -> Hits {
        let bytes = doc.lower.as_bytes();
        let mut by_phrase = vec![Vec::new(); self.phrases.len()];
        for m in self.automaton.find_overlapping_iter(&doc.lower) {
            let id = m.pattern().as_usize();
            let phrase = &self.phrases[id];
            let (start, end) = (m.start(), m.end());
            if phrase.bound_start && start > 0 && is_word_byte(bytes[start - 1]) {
                continue;
            }
            if phrase.bound_end && !phrase.prefix && end < bytes.len() && is_word_byte(bytes[end]) {
                continue;
            }
            if doc.is_ignored(start) {
                continue;
            }
            by_phrase[id].push(start);
        }
        Hits { by_phrase }
    }
}

/// Letters, digits and any non-ASCII byte (part of a letter such as é or β).
fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Where each phrase occurs (start offsets, ascending).
pub struct Hits {
    by_phrase: Vec<Vec<usize>>,
}

impl Hits {
    pub fn of(&self, phrase: usize) -> &[usize] {
        &self.by_phrase[phrase]
    }

    /// The occurrences of `phrase` lying wholly inside `range`, in order.
    pub fn within<'h>(
        &'h self,
        cues: &Cues,
        phrase: usize,
        range: &Range<usize>,
    ) -> impl Iterator<Item = Range<usize>> + 'h {
        let positions = &self.by_phrase[phrase];
        let len = cues.phrase_len(phrase);
        let from = positions.partition_point(|&p| p < range.start);
        let end = range.end;
        positions[from..]
            .iter()
            .take_while(move |&&p| p + len <= end)
            .map(move |&p| p..p + len)
    }

    /// Whether any occurrence of `phrase` starts inside `range`.
    pub fn any_in(&self, phrase: usize, range: &Range<usize>) -> bool {
        let positions = &self.by_phrase[phrase];
        let i = positions.partition_point(|&p| p < range.start);
        positions.get(i).is_some_and(|&p| p < range.end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finds(d: Detector, text: &str) -> bool {
        d.find(text).is_some()
    }

    #[test]
    fn detectors_find_their_shapes() {
        assert!(finds(Detector::Count, "we will enrol 120 participants"));
        assert!(finds(Detector::Count, "56 patients on each arm"));
        assert!(finds(Detector::Count, "a total of 350 adult patients"));
        assert!(finds(Detector::Count, "n = 64"));
        assert!(!finds(Detector::Count, "aged 18 years"));
        assert!(finds(Detector::Date, "dated 14 March 2025"));
        assert!(finds(Detector::Date, "Date: July 22, 2015"));
        assert!(finds(Detector::Version, "Protocol version 2.1"));
        assert!(finds(Detector::Timepoint, "at 12 months"));
        assert!(finds(Detector::Timepoint, "at 1 year post-transplant"));
        assert!(finds(Detector::Dose, "sirolimus 5 mg daily"));
        assert!(finds(Detector::Dose, "400 cGy"));
        assert!(finds(Detector::RegistryId, "NCT01234567"));
        assert!(!finds(Detector::RegistryId, "NCT0123456"));
        assert!(finds(Detector::Person, "Danielle Townsley, M.D., HB"));
        assert!(finds(Detector::Person, "Dr Alice Moreno"));
        assert!(finds(Detector::Org, "University of Northbridge"));
        assert!(finds(Detector::Contact, "sponsor@northbridge.ac.uk"));
        assert!(finds(Detector::Contact, "telephone +44 1234 567890"));
    }

    #[test]
    fn phrases_match_whole_words_and_stems() {
        let text = "Participants will be randomised. Nonrandomised. The powerful power.";
        let doc = Document::new(text);
        let cues = cues();
        let hits = cues.find(&doc);
        let Some(Cue::Phrase(random)) = cues.cue("randomi*") else {
            panic!()
        };
        assert_eq!(hits.of(random), [text.find("randomised").unwrap()]);
        let Some(Cue::Phrase(power)) = cues.cue("power") else {
            panic!()
        };
        assert_eq!(hits.of(power), [text.rfind("power").unwrap()]);
    }
}
