//! Measure the builtin analyzer against item-by-item labels.
//!
//!     cargo run --release --example measure -- DIR [DIR...]
//!
//! Every `NAME.txt` (or `.md`) with a `NAME.labels.tsv` beside it
//! (`guideline<TAB>item<TAB>present`, present = 1, 0 or na) is analysed; an
//! item counts as found when its verdict is addressed or partial. Prints
//! each document's disagreements, then precision and recall per item and
//! overall, for items found and for gaps found.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use protoscribe::analysis::{self, GuidelineChoice, items::Status};

#[derive(Default)]
struct Tally {
    tp: u32,
    fp: u32,
    fn_: u32,
    tn: u32,
}

impl Tally {
    fn add(&mut self, found: bool, present: bool) {
        match (found, present) {
            (true, true) => self.tp += 1,
            (true, false) => self.fp += 1,
            (false, true) => self.fn_ += 1,
            (false, false) => self.tn += 1,
        }
    }
    fn ratio(a: u32, b: u32) -> String {
        if b == 0 {
            "  —  ".into()
        } else {
            format!("{:5.2}", f64::from(a) / f64::from(b))
        }
    }
    fn precision(&self) -> String {
        Self::ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> String {
        Self::ratio(self.tp, self.tp + self.fn_)
    }
    fn gap_precision(&self) -> String {
        Self::ratio(self.tn, self.tn + self.fn_)
    }
    fn gap_recall(&self) -> String {
        Self::ratio(self.tn, self.tn + self.fp)
    }
}

fn documents(dirs: &[PathBuf]) -> Vec<(PathBuf, PathBuf)> {
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            eprintln!("cannot read {}", dir.display());
            continue;
        };
        let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        paths.sort();
        for path in paths {
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            if let Some(stem) = name.strip_suffix(".labels.tsv") {
                let text = ["txt", "md"]
                    .iter()
                    .map(|ext| dir.join(format!("{stem}.{ext}")))
                    .find(|p| p.exists());
                if let Some(text) = text {
                    found.push((text, path.clone()));
                }
            }
        }
    }
    found
}

fn labels(path: &Path) -> BTreeMap<(String, String), Option<bool>> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let present = match cols.get(2)?.trim() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            };
            Some(((cols[0].to_owned(), cols[1].to_owned()), present))
        })
        .collect()
}

fn main() {
    let dirs: Vec<PathBuf> = std::env::args().skip(1).map(PathBuf::from).collect();
    let docs = documents(&dirs);
    if docs.is_empty() {
        eprintln!("usage: measure DIR... (with NAME.txt and NAME.labels.tsv)");
        std::process::exit(2);
    }
    let mut per_item: BTreeMap<(String, String), Tally> = BTreeMap::new();
    let mut total = Tally::default();
    let mut na_agree = (0, 0);
    for (text_path, label_path) in &docs {
        let text = std::fs::read_to_string(text_path).unwrap_or_default();
        let analysis = analysis::analyse(&text, GuidelineChoice::Auto);
        let labels = labels(label_path);
        println!(
            "\n{} — {:?}, SPIRIT {:?}, CONSORT {:?}, overall {}",
            text_path.display(),
            analysis.design,
            analysis.scores.spirit,
            analysis.scores.consort,
            analysis.scores.overall
        );
        for r in &analysis.items {
            let Some(label) = labels.get(&(r.guideline.to_owned(), r.item.clone())) else {
                continue;
            };
            let Some(present) = label else {
                na_agree.1 += 1;
                if r.status == Status::NotApplicable {
                    na_agree.0 += 1;
                }
                continue;
            };
            if r.status == Status::NotApplicable {
                println!(
                    "  {:>4} labelled {}, judged not applicable",
                    r.item,
                    u8::from(*present)
                );
                continue;
            }
            let found = matches!(r.status, Status::Addressed | Status::Partial);
            per_item
                .entry((r.guideline.to_owned(), r.item.clone()))
                .or_default()
                .add(found, *present);
            total.add(found, *present);
            if found != *present {
                let quote = r.evidence.first().map(|e| e.quote.as_str()).unwrap_or("");
                println!(
                    "  {:>4} labelled {}, judged {:?} ({:.2}) {}",
                    r.item,
                    u8::from(*present),
                    r.status,
                    r.confidence,
                    quote.chars().take(100).collect::<String>()
                );
            }
        }
    }
    println!("\nitem    tp fp fn tn   precision recall | gap precision gap recall");
    for ((guideline, item), t) in &per_item {
        println!(
            "{:<7} {:>2} {:>2} {:>2} {:>2}   {}     {} |   {}        {}",
            format!("{}{}", &guideline[..1], item),
            t.tp,
            t.fp,
            t.fn_,
            t.tn,
            t.precision(),
            t.recall(),
            t.gap_precision(),
            t.gap_recall()
        );
    }
    println!(
        "\nall     {:>2} {:>2} {:>2} {:>2}   precision {} recall {} | gap precision {} gap recall {} | not-applicable agreed {}/{}",
        total.tp,
        total.fp,
        total.fn_,
        total.tn,
        total.precision(),
        total.recall(),
        total.gap_precision(),
        total.gap_recall(),
        na_agree.0,
        na_agree.1
    );
}
