//! The checklist items of SPIRIT 2013 and CONSORT 2010, with the rules
//! that recognise them, read from `assets/` (compiled in).

use std::sync::OnceLock;

use serde::Deserialize;

use crate::vocab::{Priority, SuggestionType};

const SPIRIT_TSV: &str = include_str!("../../assets/guidelines/spirit-2013.tsv");
const CONSORT_TSV: &str = include_str!("../../assets/guidelines/consort-2010.tsv");
const RULES_TOML: &str = include_str!("../../assets/checklist.toml");

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Guideline {
    Spirit,
    Consort,
}

impl Guideline {
    pub fn name(self) -> &'static str {
        match self {
            Guideline::Spirit => "SPIRIT 2013",
            Guideline::Consort => "CONSORT 2010",
        }
    }

    pub fn from_name(name: &str) -> Option<Guideline> {
        [Guideline::Spirit, Guideline::Consort]
            .into_iter()
            .find(|g| g.name() == name)
    }
}

/// When an item can be asked of a document.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Applies {
    #[default]
    Always,
    /// Only when participants are allocated at random.
    Randomised,
    /// Only when there is a comparator group.
    Controlled,
    /// Only when someone is blinded to the allocation.
    Blinded,
    /// Only in a report of a finished trial.
    Report,
}

/// Where an item's requirements must be met.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// In one passage: a section under a matching heading, or the
    /// sentences around an anchor.
    #[default]
    Window,
    /// Each requirement anywhere (in passages the item's anchors find).
    Document,
    /// In the document's title.
    Title,
}

/// One thing an item needs, and the cues that show it is there.
#[derive(Clone, Debug, Deserialize)]
pub struct Group {
    pub need: String,
    pub cues: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Item {
    /// Position in `items()`.
    pub index: usize,
    pub guideline: Guideline,
    pub id: String,
    pub section: String,
    pub topic: String,
    pub asks: String,
    pub weight: u32,
    pub kind: SuggestionType,
    pub priority: Priority,
    pub applies: Applies,
    pub scope: Scope,
    pub headings: Vec<String>,
    pub anchors: Vec<String>,
    pub groups: Vec<Group>,
    pub partial_needs: usize,
    /// The SPIRIT item whose detection this item shares, if any.
    pub like: Option<String>,
    pub rationale: String,
    pub example: String,
}

impl Item {
    /// `SPIRIT 2013 item 16b`.
    pub fn reference(&self) -> String {
        format!("{} item {}", self.guideline.name(), self.id)
    }
}

#[derive(Deserialize)]
struct RulesFile {
    item: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    guideline: String,
    item: String,
    weight: u32,
    #[serde(rename = "type")]
    kind: String,
    priority: String,
    #[serde(default)]
    applies: Option<Applies>,
    #[serde(default)]
    scope: Option<Scope>,
    #[serde(default)]
    like: Option<String>,
    #[serde(default)]
    headings: Vec<String>,
    #[serde(default)]
    anchors: Vec<String>,
    #[serde(default)]
    groups: Vec<Group>,
    #[serde(default)]
    partial_needs: Option<usize>,
    rationale: String,
    example: String,
}

/// Every item, SPIRIT first, in checklist order.
pub fn items() -> &'static [Item] {
    static ITEMS: OnceLock<Vec<Item>> = OnceLock::new();
    // The assets are part of the binary and checked by tests; a broken
    // asset is a build defect, not user input.
    ITEMS.get_or_init(|| load().unwrap_or_else(|e| panic!("assets/checklist.toml: {e}")))
}

pub fn items_of(guideline: Guideline) -> impl Iterator<Item = &'static Item> {
    items().iter().filter(move |i| i.guideline == guideline)
}

/// A guideline's sections, in checklist order (`Administrative
/// information`, `Introduction`, … for SPIRIT).
pub fn sections(guideline: Guideline) -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for item in items_of(guideline) {
        if !names.contains(&item.section.as_str()) {
            names.push(&item.section);
        }
    }
    names
}

struct TsvRow {
    section: String,
    topic: String,
    asks: String,
}

fn tsv_rows(tsv: &str, guideline: Guideline) -> Vec<(String, TsvRow)> {
    tsv.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            (cols.len() == 5 && cols[0] == guideline.name()).then(|| {
                (
                    cols[1].to_owned(),
                    TsvRow {
                        section: cols[2].to_owned(),
                        topic: cols[3].to_owned(),
                        asks: cols[4].to_owned(),
                    },
                )
            })
        })
        .collect()
}

fn load() -> Result<Vec<Item>, String> {
    let rules: RulesFile = toml::from_str(RULES_TOML).map_err(|e| e.to_string())?;
    let mut items = Vec::new();
    for (guideline, tsv) in [
        (Guideline::Spirit, SPIRIT_TSV),
        (Guideline::Consort, CONSORT_TSV),
    ] {
        for (id, row) in tsv_rows(tsv, guideline) {
            let raw = rules
                .item
                .iter()
                .find(|r| r.guideline == guideline.name() && r.item == id)
                .ok_or_else(|| format!("no rule for {} item {id}", guideline.name()))?;
            let mut item = build(raw, &rules, id, row)?;
            item.index = items.len();
            items.push(item);
        }
    }
    for raw in &rules.item {
        let known = Guideline::from_name(&raw.guideline)
            .is_some_and(|g| items.iter().any(|i| i.guideline == g && i.id == raw.item));
        if !known {
            return Err(format!(
                "rule for unknown item {} {}",
                raw.guideline, raw.item
            ));
        }
    }
    Ok(items)
}

fn build(raw: &RawItem, rules: &RulesFile, id: String, row: TsvRow) -> Result<Item, String> {
    let name = format!("{} item {id}", raw.guideline);
    // `like` borrows the detection of a SPIRIT item.
    let detection = match &raw.like {
        Some(other) => rules
            .item
            .iter()
            .find(|r| r.guideline == Guideline::Spirit.name() && &r.item == other)
            .ok_or_else(|| format!("{name}: like = {other} names no SPIRIT item"))?,
        None => raw,
    };
    if detection.groups.is_empty() {
        return Err(format!("{name}: needs at least one group"));
    }
    let scope = detection.scope.unwrap_or_default();
    if scope != Scope::Title && detection.anchors.is_empty() && detection.headings.is_empty() {
        return Err(format!("{name}: needs anchors or headings"));
    }
    let partial_needs = detection.partial_needs.unwrap_or(1);
    if partial_needs == 0 || partial_needs > detection.groups.len() {
        return Err(format!("{name}: partial_needs out of range"));
    }
    if !(1..=3).contains(&raw.weight) {
        return Err(format!("{name}: weight must be 1 to 3"));
    }
    Ok(Item {
        index: 0,
        guideline: Guideline::from_name(&raw.guideline)
            .ok_or_else(|| format!("{name}: unknown guideline"))?,
        id,
        section: row.section,
        topic: row.topic,
        asks: row.asks,
        weight: raw.weight,
        kind: raw.kind.parse().map_err(|e| format!("{name}: {e}"))?,
        priority: raw.priority.parse().map_err(|e| format!("{name}: {e}"))?,
        applies: raw.applies.or(detection.applies).unwrap_or_default(),
        scope,
        headings: detection.headings.clone(),
        anchors: detection.anchors.clone(),
        groups: detection.groups.clone(),
        partial_needs,
        like: raw.like.clone(),
        rationale: raw.rationale.clone(),
        example: raw.example.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spirit_and_consort_item_has_a_rule() {
        assert_eq!(items_of(Guideline::Spirit).count(), 51);
        assert_eq!(items_of(Guideline::Consort).count(), 37);
        let ids: Vec<&str> = items_of(Guideline::Spirit).map(|i| i.id.as_str()).collect();
        for id in [
            "2a", "2b", "5d", "11d", "16c", "17b", "20c", "21b", "26b", "31c", "33",
        ] {
            assert!(ids.contains(&id), "{id}");
        }
    }

    #[test]
    fn critical_items_are_the_ones_validity_rests_on() {
        let critical: Vec<String> = items_of(Guideline::Spirit)
            .filter(|i| i.kind == SuggestionType::Critical)
            .map(|i| i.id.clone())
            .collect();
        assert_eq!(
            critical,
            ["2a", "12", "14", "16a", "16b", "17a", "20a", "24", "26a"]
        );
        assert!(
            items()
                .iter()
                .filter(|i| i.kind == SuggestionType::Critical)
                .all(|i| i.weight == 3)
        );
    }

    #[test]
    fn sections_come_in_checklist_order_once_each() {
        let spirit = sections(Guideline::Spirit);
        assert_eq!(spirit.len(), 8);
        assert_eq!(spirit[0], "Administrative information");
        assert_eq!(spirit[7], "Appendices");
    }

    #[test]
    fn references_use_the_guideline_item_form() {
        let item = items_of(Guideline::Spirit).find(|i| i.id == "16b").unwrap();
        assert_eq!(item.reference(), "SPIRIT 2013 item 16b");
    }

    #[test]
    fn cues_are_lowercase_so_matching_can_be() {
        for item in items() {
            let cues = item.groups.iter().flat_map(|g| &g.cues);
            for cue in item.headings.iter().chain(&item.anchors).chain(cues) {
                assert_eq!(cue, &cue.to_lowercase(), "{} {cue}", item.reference());
                assert!(!cue.trim().is_empty(), "{}", item.reference());
                let stem = cue.trim_end_matches('*');
                assert!(
                    !stem.contains('*'),
                    "{} {cue}: '*' only ends a cue",
                    item.reference()
                );
            }
        }
    }
}
