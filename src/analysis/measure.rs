//! Measuring verdicts against item-by-item labels: the figures
//! `protoscribe eval` prints and the training program's cross-validation
//! reports. Pure: labels and verdicts in, figures out.
//!
//! An item counts as *reported* when its verdict is addressed or partial;
//! missing and not applicable both count as *not reported*, and so does a
//! label of `na` (the item cannot apply, so the document does not report
//! it). Nothing is dropped from the totals.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use serde::Serialize;

use super::checklist::{self, Guideline};
use super::items::Status;
use crate::vocab::SuggestionType;

/// What an annotator said of one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Present,
    Absent,
    /// Cannot apply to the design; counted as not reported.
    NotApplicable,
}

impl Label {
    pub fn reported(self) -> bool {
        self == Label::Present
    }
}

/// One labelled item: `guideline<TAB>item<TAB>present`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LabelRow {
    pub guideline: Guideline,
    pub item: String,
    pub label: Label,
}

/// Rows of a `NAME.labels.tsv` (a header line is skipped; blank lines and
/// `#` comments too). A row naming an unknown guideline or item, or a value
/// other than 1, 0 or na, is an error with its line number; so is an item
/// labelled twice, and a file with no labels at all.
pub fn parse_labels(tsv: &str) -> Result<Vec<LabelRow>, String> {
    let mut rows: Vec<LabelRow> = Vec::new();
    // The line each item was labelled on, to refuse a second label for it.
    let mut labelled: HashMap<(Guideline, String), usize> = HashMap::new();
    for (n, line) in tsv.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        if n == 0 && cols.first().is_some_and(|c| c.trim() == "guideline") {
            continue;
        }
        let [guideline, item, present, ..] = cols[..] else {
            return Err(format!("line {}: expected guideline, item, present", n + 1));
        };
        let guideline = Guideline::from_name(guideline.trim())
            .ok_or_else(|| format!("line {}: unknown guideline '{guideline}'", n + 1))?;
        let item = item.trim().to_owned();
        if !checklist::items_of(guideline).any(|i| i.id == item) {
            return Err(format!(
                "line {}: {} has no item '{item}'",
                n + 1,
                guideline.name()
            ));
        }
        let label = match present.trim() {
            "1" => Label::Present,
            "0" => Label::Absent,
            "na" | "NA" => Label::NotApplicable,
            other => {
                return Err(format!(
                    "line {}: present must be 1, 0 or na, not '{other}'",
                    n + 1
                ));
            }
        };
        if let Some(first) = labelled.insert((guideline, item.clone()), n + 1) {
            return Err(format!(
                "line {}: {} item {item} is labelled already on line {first}: keep one row per item",
                n + 1,
                guideline.name(),
            ));
        }
        rows.push(LabelRow {
            guideline,
            item,
            label,
        });
    }
    if rows.is_empty() {
        return Err(
            "holds no labels: write one row per item, guideline<TAB>item<TAB>present".to_owned(),
        );
    }
    Ok(rows)
}

/// Where an annotator marked an item as reported (character offsets).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub item: String,
    pub range: Range<usize>,
}

/// Rows of a `NAME.spans.tsv` (`item<TAB>fine_item<TAB>start<TAB>end<TAB>text`,
/// a header line skipped); rows without an item (title-only labels) are
/// skipped. Offsets that are not whole numbers, or an end not after its
/// start, are an error with the line number: a span read wrong would make
/// the evidence figures wrong without a word.
pub fn parse_spans(tsv: &str) -> Result<Vec<Span>, String> {
    let mut spans = Vec::new();
    for (n, line) in tsv.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || (n == 0 && line.starts_with("item\t")) {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let item = cols[0].trim();
        if item.is_empty() {
            continue;
        }
        let offset = |i: usize| -> Result<usize, String> {
            cols.get(i)
                .and_then(|c| c.trim().parse().ok())
                .ok_or_else(|| {
                    format!(
                        "line {}: start and end must be whole numbers (item<TAB>fine_item<TAB>start<TAB>end<TAB>text)",
                        n + 1
                    )
                })
        };
        let (start, end) = (offset(2)?, offset(3)?);
        if end <= start {
            return Err(format!(
                "line {}: the span ends at {end}, not after its start {start}",
                n + 1
            ));
        }
        spans.push(Span {
            item: item.to_owned(),
            range: start..end,
        });
    }
    Ok(spans)
}

/// One item's verdict set beside its label.
#[derive(Clone, Debug)]
pub struct Judged {
    pub document: String,
    pub guideline: Guideline,
    pub item: String,
    pub label: Label,
    pub status: Status,
    /// The analyzer's confidence that its verdict (reported or not) is right.
    pub confidence: f64,
    /// Evidence offsets, in characters.
    pub evidence: Vec<Range<usize>>,
    /// The item's labelled spans in this document, when spans exist.
    pub spans: Option<Vec<Range<usize>>>,
}

impl Judged {
    pub fn judged_reported(&self) -> bool {
        matches!(self.status, Status::Addressed | Status::Partial)
    }

    pub fn right(&self) -> bool {
        self.judged_reported() == self.label.reported()
    }
}

/// Counts of verdicts against labels ("positive" = reported).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub tp: u32,
    pub fp: u32,
    #[serde(rename = "fn")]
    pub fn_: u32,
    pub tn: u32,
}

fn ratio(a: u32, b: u32) -> Option<f64> {
    (b > 0).then(|| f64::from(a) / f64::from(b))
}

fn f1(p: Option<f64>, r: Option<f64>) -> Option<f64> {
    match (p, r) {
        (Some(p), Some(r)) if p + r > 0.0 => Some(2.0 * p * r / (p + r)),
        (Some(_), Some(_)) => Some(0.0),
        _ => None,
    }
}

impl Tally {
    pub fn add(&mut self, judged: bool, labelled: bool) {
        match (judged, labelled) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    pub fn n(&self) -> u32 {
        self.tp + self.fp + self.fn_ + self.tn
    }
    pub fn precision(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fp)
    }
    pub fn recall(&self) -> Option<f64> {
        ratio(self.tp, self.tp + self.fn_)
    }
    /// F1 of "reported"; undefined when the item is neither labelled nor
    /// judged reported anywhere.
    pub fn f1(&self) -> Option<f64> {
        if self.tp + self.fp + self.fn_ == 0 {
            return None;
        }
        f1(self.precision(), self.recall()).or(Some(0.0))
    }
    pub fn gap_precision(&self) -> Option<f64> {
        ratio(self.tn, self.tn + self.fn_)
    }
    pub fn gap_recall(&self) -> Option<f64> {
        ratio(self.tn, self.tn + self.fp)
    }
    pub fn gap_f1(&self) -> Option<f64> {
        if self.tn + self.fp + self.fn_ == 0 {
            return None;
        }
        f1(self.gap_precision(), self.gap_recall()).or(Some(0.0))
    }
    pub fn accuracy(&self) -> Option<f64> {
        ratio(self.tp + self.tn, self.n())
    }
}

/// One item's figures.
#[derive(Clone, Debug, Serialize)]
pub struct ItemFigures {
    pub item: String,
    pub critical: bool,
    #[serde(flatten)]
    pub tally: Tally,
    pub accuracy: Option<f64>,
    pub f1: Option<f64>,
    pub gap_f1: Option<f64>,
}

/// A share `hits / of`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Share {
    pub hits: u32,
    pub of: u32,
}

impl Share {
    pub fn value(&self) -> Option<f64> {
        ratio(self.hits, self.of)
    }
}

/// One guideline's figures over a set of documents.
#[derive(Clone, Debug, Serialize)]
pub struct Figures {
    pub guideline: &'static str,
    pub documents: usize,
    pub verdicts: u32,
    #[serde(flatten)]
    pub tally: Tally,
    pub precision: Option<f64>,
    pub recall: Option<f64>,
    pub micro_f1: Option<f64>,
    /// Mean of the items' F1, over the items whose F1 is defined.
    pub macro_f1: Option<f64>,
    pub gaps_precision: Option<f64>,
    pub gaps_recall: Option<f64>,
    pub gaps_f1: Option<f64>,
    pub accuracy: Option<f64>,
    /// Expected calibration error of the confidence (10 equal bins).
    pub ece: Option<f64>,
    /// Critical items labelled not reported but judged addressed.
    pub critical_falsely_addressed: Share,
    /// Reported verdicts (addressed or partial) of items with labelled
    /// spans in the document whose evidence overlaps one of those spans.
    pub evidence_hits: Share,
    /// Worst first: lowest accuracy, then lowest F1.
    pub items: Vec<ItemFigures>,
}

const ECE_BINS: usize = 10;

/// Expected calibration error: confidences in ten equal bins, each bin's
/// gap between its mean confidence and its share of right verdicts,
/// weighted by the bin's size.
pub fn ece(pairs: impl IntoIterator<Item = (f64, bool)>) -> Option<f64> {
    let mut bins = [(0.0f64, 0.0f64, 0u32); ECE_BINS];
    let mut n = 0u32;
    for (confidence, right) in pairs {
        let c = confidence.clamp(0.0, 1.0);
        let b = ((c * ECE_BINS as f64) as usize).min(ECE_BINS - 1);
        bins[b].0 += c;
        bins[b].1 += if right { 1.0 } else { 0.0 };
        bins[b].2 += 1;
        n += 1;
    }
    (n > 0).then(|| {
        bins.iter()
            .filter(|b| b.2 > 0)
            .map(|(conf, right, _)| (conf - right).abs() / f64::from(n))
            .sum()
    })
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Figures per guideline (SPIRIT first), for the guidelines present.
pub fn figures(judged: &[Judged]) -> Vec<Figures> {
    let mut out = Vec::new();
    for guideline in [Guideline::Spirit, Guideline::Consort] {
        let rows: Vec<&Judged> = judged.iter().filter(|j| j.guideline == guideline).collect();
        if rows.is_empty() {
            continue;
        }
        out.push(guideline_figures(guideline, &rows));
    }
    out
}

fn guideline_figures(guideline: Guideline, rows: &[&Judged]) -> Figures {
    let critical: Vec<&str> = checklist::items_of(guideline)
        .filter(|i| i.kind == SuggestionType::Critical)
        .map(|i| i.id.as_str())
        .collect();
    let mut total = Tally::default();
    let mut per_item: BTreeMap<usize, (String, Tally)> = BTreeMap::new();
    let mut critical_false = Share::default();
    let mut evidence_hits = Share::default();
    let mut documents: Vec<&str> = Vec::new();
    for j in rows {
        if !documents.contains(&j.document.as_str()) {
            documents.push(&j.document);
        }
        let (judged, labelled) = (j.judged_reported(), j.label.reported());
        total.add(judged, labelled);
        let order = checklist::items_of(guideline)
            .position(|i| i.id == j.item)
            .unwrap_or(usize::MAX);
        per_item
            .entry(order)
            .or_insert_with(|| (j.item.clone(), Tally::default()))
            .1
            .add(judged, labelled);
        if critical.contains(&j.item.as_str()) && !labelled {
            critical_false.of += 1;
            if j.status == Status::Addressed {
                critical_false.hits += 1;
            }
        }
        if let Some(spans) = j.spans.as_ref().filter(|s| !s.is_empty())
            && judged
        {
            evidence_hits.of += 1;
            if j.evidence
                .iter()
                .any(|e| spans.iter().any(|s| overlaps(e, s)))
            {
                evidence_hits.hits += 1;
            }
        }
    }
    let mut items: Vec<ItemFigures> = per_item
        .into_values()
        .map(|(item, tally)| ItemFigures {
            critical: critical.contains(&item.as_str()),
            item,
            accuracy: tally.accuracy(),
            f1: tally.f1(),
            gap_f1: tally.gap_f1(),
            tally,
        })
        .collect();
    let f1s: Vec<f64> = items.iter().filter_map(|i| i.f1).collect();
    let macro_f1 = (!f1s.is_empty()).then(|| f1s.iter().sum::<f64>() / f1s.len() as f64);
    // Stable sort: ties keep the checklist's order.
    items.sort_by(|a, b| {
        let key = |i: &ItemFigures| (i.accuracy.unwrap_or(1.0), i.f1.unwrap_or(1.0));
        key(a)
            .partial_cmp(&key(b))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    Figures {
        guideline: guideline.name(),
        documents: documents.len(),
        verdicts: total.n(),
        precision: total.precision(),
        recall: total.recall(),
        micro_f1: total.f1(),
        macro_f1,
        gaps_precision: total.gap_precision(),
        gaps_recall: total.gap_recall(),
        gaps_f1: total.gap_f1(),
        accuracy: total.accuracy(),
        ece: ece(rows.iter().map(|j| (j.confidence, j.right()))),
        critical_falsely_addressed: critical_false,
        evidence_hits,
        items,
        tally: total,
    }
}

#[cfg(test)]
// Evidence and spans are lists of ranges; one range is a list of one.
#[allow(clippy::single_range_in_vec_init)]
mod tests {
    use super::*;

    fn judged(item: &str, label: Label, status: Status, confidence: f64) -> Judged {
        Judged {
            document: "d".into(),
            guideline: Guideline::Spirit,
            item: item.into(),
            label,
            status,
            confidence,
            evidence: std::iter::once(10..20).collect(),
            spans: None,
        }
    }

    #[test]
    fn labels_parse_with_na_and_refuse_unknown_items() {
        let rows =
            parse_labels("guideline\titem\tpresent\nSPIRIT 2013\t16b\t1\nSPIRIT 2013\t17b\tna\n")
                .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].label, Label::NotApplicable);
        assert!(parse_labels("SPIRIT 2013\t99z\t1\n").is_err());
        assert!(parse_labels("SPIRIT 2013\t16b\tyes\n").is_err());
    }

    #[test]
    fn spans_skip_title_rows_and_refuse_offsets_read_wrong() {
        let tsv = "item\tfine_item\tstart\tend\ttext\n\t1a\t0\t9\tRandomised\n16b\t16e\t40\t52\tsealed envelopes\n";
        assert_eq!(
            parse_spans(tsv).unwrap(),
            vec![Span {
                item: "16b".into(),
                range: 40..52
            }]
        );
        // Without a header the first row is a span like the others.
        assert_eq!(parse_spans("16b\t16e\t40\t52\tx\n").unwrap().len(), 1);
        let e = parse_spans("16b\t16e\tforty\t52\tx\n").unwrap_err();
        assert!(
            e.starts_with("line 1: start and end must be whole numbers"),
            "{e}"
        );
        let e = parse_spans("item\tf\ts\te\tt\n16b\t16e\t52\t40\tx\n").unwrap_err();
        assert_eq!(e, "line 2: the span ends at 40, not after its start 52");
    }

    #[test]
    fn labels_refuse_an_empty_file_and_an_item_labelled_twice() {
        for empty in ["", "guideline\titem\tpresent\n", "\n# a comment\n"] {
            let e = parse_labels(empty).unwrap_err();
            assert!(e.contains("holds no labels"), "{e}");
        }
        let e = parse_labels("SPIRIT 2013\t2a\t1\nSPIRIT 2013\t4\t0\nSPIRIT 2013\t2a\t0\n")
            .unwrap_err();
        assert_eq!(
            e,
            "line 3: SPIRIT 2013 item 2a is labelled already on line 1: keep one row per item"
        );
    }

    #[test]
    fn not_applicable_counts_as_not_reported() {
        let f = figures(&[
            judged("16b", Label::Present, Status::NotApplicable, 0.9),
            judged("16c", Label::NotApplicable, Status::Missing, 0.9),
            judged("17a", Label::Absent, Status::Partial, 0.6),
            judged("14", Label::Present, Status::Addressed, 0.9),
        ]);
        let t = f[0].tally;
        assert_eq!((t.tp, t.fp, t.fn_, t.tn), (1, 1, 1, 1));
        assert_eq!(f[0].verdicts, 4);
        assert_eq!(f[0].accuracy, Some(0.5));
    }

    #[test]
    fn critical_items_judged_addressed_against_their_label_are_counted() {
        let f = figures(&[
            judged("16b", Label::Absent, Status::Addressed, 0.9),
            judged("17a", Label::Absent, Status::Missing, 0.9),
            judged("5a", Label::Absent, Status::Addressed, 0.9),
        ]);
        assert_eq!(f[0].critical_falsely_addressed, Share { hits: 1, of: 2 });
    }

    #[test]
    fn calibration_error_is_zero_when_confidence_matches_accuracy() {
        let pairs = (0..10)
            .map(|i| (0.75, i % 4 != 0))
            .chain([(0.75, true), (0.75, true)]);
        let e = ece(pairs).unwrap();
        assert!(e.abs() < 1e-9, "{e}");
        let over = ece([(0.95, false), (0.95, false)]).unwrap();
        assert!((over - 0.95).abs() < 1e-9);
    }

    #[test]
    fn evidence_hits_need_an_overlapping_span() {
        let mut hit = judged("16a", Label::Present, Status::Addressed, 0.9);
        hit.spans = Some(std::iter::once(15..30).collect());
        let mut miss = judged("16b", Label::Present, Status::Addressed, 0.9);
        miss.spans = Some(std::iter::once(40..50).collect());
        let mut unlabelled = judged("14", Label::Present, Status::Addressed, 0.9);
        unlabelled.spans = Some(Vec::new());
        let f = figures(&[hit, miss, unlabelled]);
        assert_eq!(f[0].evidence_hits, Share { hits: 1, of: 2 });
    }

    #[test]
    fn items_come_worst_first() {
        let f = figures(&[
            judged("16b", Label::Absent, Status::Addressed, 0.9),
            judged("14", Label::Present, Status::Addressed, 0.9),
        ]);
        assert_eq!(f[0].items[0].item, "16b");
    }
}
