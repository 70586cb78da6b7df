//! Learn the analyzer's weights from the labelled corpus and write them to
//! `assets/weights.tsv`; print cross-validated figures.
//!
//!     cargo run --release --example train -- ../shared/corpus/spirit-consort-tm
//!     cargo run --release --example train -- ../shared/corpus/spirit-consort-tm --cv
//!
//! Protocols (`protocols/`) teach the SPIRIT weights, reports (`reports/`)
//! the CONSORT weights; only documents `splits.tsv` puts in `train` are
//! used for the shipped weights. For each labelled item the analyzer's own
//! observation (`analysis::observe`) gives the features; a logistic model
//! per guideline, with every structural feature both shared by the
//! guideline and specific to the item, is fitted by full-batch gradient
//! descent (AdaGrad, a fixed number of steps, L2 penalties) and then
//! calibrated by Platt scaling on scores held out by 5-fold
//! cross-validation within train. Deterministic: the same corpus gives the
//! same file, byte for byte (`git diff --exit-code assets/weights.tsv`).
//!
//! `--cv` also prints figures cross-validated by document: 5 folds within
//! train, and 10 folds over train and valid together. `--seed N` (with
//! `--cv`) deals the documents into other folds, by a hash of the seed and
//! the trial (`NNN` of `NNN_PMCID`), so a protocol and the report of the
//! same trial share a fold; 0, the default, keeps the documents' order. Two
//! models compared over a few seeds differ by more than the folds' luck
//! only if every seed agrees. `--items` adds each item's F1 to the figures.
//! `--seeds 0,1,2,3` runs the 10-fold figures once per seed (in parallel)
//! and prints each seed's and their mean, to four places (with `--items`,
//! each item's mean F1): the figures two models are compared by.
//! `--dump PREFIX` (with `--cv`) writes the 10-fold verdicts, one row per
//! document and item (label, verdict, confidence), to PREFIX.spirit.tsv
//! and PREFIX.consort.tsv, for reading where the errors are (pair it with
//! `cargo run --release --example explain`). `--out PATH` writes
//! elsewhere (the shipped file is left alone). `--tune` only prints the
//! figures cross-validated within train and writes nothing; in that mode
//! (and only then) `TRAIN_L2_BIAS`, `TRAIN_L2_SHARED`, `TRAIN_L2_ITEM` and
//! `TRAIN_L2_WORDS` in the environment override the penalties, for tuning
//! without ever looking at valid.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use protoscribe::analysis::checklist::{self, Guideline};
use protoscribe::analysis::items::{self, Observation};
use protoscribe::analysis::measure::{self, Judged, Label};
use protoscribe::analysis::{self, model};

/// The options, and those of them followed by a value.
const FLAGS: &[&str] = &["--cv", "--items", "--tune"];
const TAKES_VALUE: &[&str] = &["--seed", "--seeds", "--out", "--dump"];

/// Steps of full-batch AdaGrad, and its step size.
const STEPS: usize = 400;
const RATE: f64 = 0.3;

/// Whether this is a tuning run (`--tune`): only then may the environment
/// override a hyperparameter (`TRAIN_L2_WORDS=8`), and nothing is written.
static TUNING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// `--items`: print every item's F1 with the figures.
static ITEMS: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn param(name: &str, default: f64) -> f64 {
    if !TUNING.load(std::sync::atomic::Ordering::Relaxed) {
        return default;
    }
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
/// L2 penalties: features shared by a guideline's items, an item's own
/// structural features, its words (word, heading-word, cue and anchor
/// features), and the biases.
const L2_SHARED: f64 = 0.5;
const L2_ITEM: f64 = 2.0;
const L2_WORDS: f64 = 4.0;
const L2_BIAS: f64 = 0.05;
/// An item's word feature is kept only if it occurs in this many training
/// documents for that item.
const MIN_DOCS: usize = 3;
/// Weights smaller than this are not written.
const MIN_WEIGHT: f64 = 0.0005;
/// Folds for calibration (within train) and for the published figures.
const CALIBRATION_FOLDS: usize = 5;
const CV_FOLDS: usize = 10;

struct Doc {
    name: String,
    split: String,
    text: String,
    labels: BTreeMap<String, Label>,
    spans: Vec<measure::Span>,
    observations: Vec<Observation>,
    /// Per observation, its features as (interned key, value).
    features: Vec<Vec<(usize, f64)>>,
}

/// Every (scope, name) key seen in the corpus, numbered once.
#[derive(Default)]
struct Interner {
    ids: HashMap<Key, usize>,
    keys: Vec<Key>,
}

impl Interner {
    fn id(&mut self, key: Key) -> usize {
        if let Some(&id) = self.ids.get(&key) {
            return id;
        }
        self.keys.push(key.clone());
        self.ids.insert(key, self.keys.len() - 1);
        self.keys.len() - 1
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The corpus is the first argument that is neither an option nor an
    // option's value.
    let Some(corpus) = args
        .iter()
        .enumerate()
        .find(|&(i, a)| {
            !a.starts_with("--") && (i == 0 || !TAKES_VALUE.contains(&args[i - 1].as_str()))
        })
        .map(|(_, a)| PathBuf::from(a))
    else {
        eprintln!(
            "usage: train CORPUS_DIR [--cv [--seed N] [--items]] [--seeds N,N,..] [--out PATH]   (CORPUS_DIR holds protocols/ and reports/)"
        );
        std::process::exit(2);
    };
    if let Some(unknown) = args.iter().find(|a| {
        a.starts_with("--") && !FLAGS.contains(&a.as_str()) && !TAKES_VALUE.contains(&a.as_str())
    }) {
        eprintln!(
            "{unknown}: not an option of train (see the comment at the top of examples/train.rs)"
        );
        std::process::exit(2);
    }
    let cv = args.iter().any(|a| a == "--cv");
    if args.iter().any(|a| a == "--dump") && !cv {
        eprintln!("--dump writes the cross-validated verdicts: give --cv with it");
        std::process::exit(2);
    }
    ITEMS.store(
        args.iter().any(|a| a == "--items"),
        std::sync::atomic::Ordering::Relaxed,
    );
    let seed: u64 = match args.iter().position(|a| a == "--seed") {
        None => 0,
        Some(i) => match args.get(i + 1).map(|s| s.parse()) {
            Some(Ok(n)) => n,
            _ => {
                eprintln!("--seed takes a whole number");
                std::process::exit(2);
            }
        },
    };
    let seeds: Vec<u64> = match args.iter().position(|a| a == "--seeds") {
        None => Vec::new(),
        Some(i) => match args.get(i + 1).map(|s| {
            s.split(',')
                .map(str::parse)
                .collect::<Result<Vec<u64>, _>>()
        }) {
            Some(Ok(list)) if !list.is_empty() => list,
            _ => {
                eprintln!("--seeds takes whole numbers separated by commas (0,1,2,3)");
                std::process::exit(2);
            }
        },
    };
    let tune = args.iter().any(|a| a == "--tune");
    let dump = args
        .iter()
        .position(|a| a == "--dump")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    TUNING.store(tune, std::sync::atomic::Ordering::Relaxed);
    let out = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|i| args.get(i + 1))
        .map_or_else(
            || PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/weights.tsv")),
            PathBuf::from,
        );
    let mut file = String::new();
    file.push_str(HEADER);
    file.push_str("meta\ttrained_on\ttrain\n");
    for (guideline, folder) in [
        (Guideline::Spirit, "protocols"),
        (Guideline::Consort, "reports"),
    ] {
        let mut interner = Interner::default();
        let docs = load(&corpus.join(folder), guideline, &mut interner);
        let interner = &interner;
        let train: Vec<&Doc> = docs.iter().filter(|d| d.split == "train").collect();
        eprintln!(
            "{}: {} documents, {} in train",
            guideline.name(),
            docs.len(),
            train.len()
        );
        if tune {
            report(
                &format!(
                    "{} cross-validated within train ({CALIBRATION_FOLDS} folds)",
                    guideline.name()
                ),
                &cross_validate(guideline, interner, &train, CALIBRATION_FOLDS, seed),
            );
            continue;
        }
        if cv {
            let within: Vec<&Doc> = train.clone();
            report(
                &format!(
                    "{} cross-validated within train ({CALIBRATION_FOLDS} folds)",
                    guideline.name()
                ),
                &cross_validate(guideline, interner, &within, CALIBRATION_FOLDS, seed),
            );
            let all: Vec<&Doc> = docs.iter().collect();
            let judged = cross_validate(guideline, interner, &all, CV_FOLDS, seed);
            report(
                &format!(
                    "{} cross-validated on train + valid ({CV_FOLDS} folds)",
                    guideline.name()
                ),
                &judged,
            );
            if let Some(path) = &dump {
                dump_verdicts(path, guideline, &judged);
            }
        }
        if !seeds.is_empty() {
            let all: Vec<&Doc> = docs.iter().collect();
            over_seeds(guideline, interner, &all, &seeds);
        }
        let fitted = fit_calibrated(guideline, interner, &train);
        write_weights(&mut file, guideline, interner, &fitted);
    }
    if tune {
        return;
    }
    if let Err(e) = std::fs::write(&out, &file) {
        eprintln!("cannot write {}: {e}", out.display());
        std::process::exit(1);
    }
    eprintln!("wrote {} ({} bytes)", out.display(), file.len());
}

const HEADER: &str = "\
# The builtin analyzer's learned weights: written by
#     cargo run --release --example train -- ../shared/corpus/spirit-consort-tm
# from the corpus's train split; do not edit by hand (run it again).
# Rows: guideline, item (or * for every item of the guideline), feature,
# weight. An item's probability of being reported is
#     sigmoid(@scale * sum(weight * value) + @shift)
# over the features its evidence shows, in its own scope and, for the
# structural ones, in the guideline's. Features (see src/analysis/items.rs):
#   bias, none (no passage meets any requirement), heading, heading_met,
#   empty_heading, anchors, supporting, best_frac, best_all, doc_frac,
#   sent_frac, sent_all (requirements met in one sentence), deferral,
#   negation, design_na, length; gN / sN requirement N met anywhere / in
#   the best sentence; a:ANCHOR, cue:CUE, h:HEADING WORD, w:WORD(S).
";

fn load(dir: &Path, guideline: Guideline, interner: &mut Interner) -> Vec<Doc> {
    let splits: HashMap<String, String> = std::fs::read_to_string(dir.join("splits.tsv"))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (a, b) = l.split_once('\t')?;
            Some((a.trim().to_owned(), b.trim().to_owned()))
        })
        .collect();
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.file_name().to_str().map(str::to_owned))
                .filter_map(|n| n.strip_suffix(".labels.tsv").map(str::to_owned))
                .collect()
        })
        .unwrap_or_else(|e| {
            eprintln!("cannot read {}: {e}", dir.display());
            std::process::exit(1);
        });
    names.sort();
    let mut docs = Vec::new();
    for name in names {
        let read = |ext: &str| std::fs::read_to_string(dir.join(format!("{name}.{ext}")));
        let (Ok(text), Ok(labels)) = (read("txt"), read("labels.tsv")) else {
            continue;
        };
        let labels = match measure::parse_labels(&labels) {
            Ok(rows) => rows
                .into_iter()
                .filter(|r| r.guideline == guideline)
                .map(|r| (r.item, r.label))
                .collect(),
            Err(e) => {
                eprintln!("{name}: {e}");
                std::process::exit(1);
            }
        };
        let spans = match read("spans.tsv").map(|t| measure::parse_spans(&t)) {
            Ok(Ok(spans)) => spans,
            Ok(Err(e)) => {
                eprintln!("{name}.spans.tsv: {e}");
                std::process::exit(1);
            }
            Err(_) => Vec::new(),
        };
        let observations = analysis::observe(&text, guideline);
        let features = observations
            .iter()
            .map(|o| {
                features_of(o)
                    .into_iter()
                    .map(|(k, v)| (interner.id(k), v))
                    .collect()
            })
            .collect();
        docs.push(Doc {
            features,
            split: splits.get(&name).cloned().unwrap_or_default(),
            name,
            text,
            labels,
            spans,
            observations,
        });
    }
    docs
}

/// A feature's place in the weight vector: (item id or `*`, name).
type Key = (String, String);

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Bias,
    Shared,
    Item,
    Words,
}

fn kind_of(item: &str, name: &str) -> Kind {
    if name == "bias" {
        Kind::Bias
    } else if item == "*" {
        Kind::Shared
    } else if name.contains(':') {
        Kind::Words
    } else {
        Kind::Item
    }
}

struct Example {
    x: Vec<(usize, f64)>,
    y: f64,
}

struct Fitted {
    /// By interned key; zero for keys the fit did not use.
    weights: Vec<f64>,
    scale: f64,
    shift: f64,
}

impl Fitted {
    fn score(&self, x: &[(usize, f64)]) -> f64 {
        x.iter()
            .map(|&(i, v)| self.weights.get(i).copied().unwrap_or(0.0) * v)
            .sum()
    }
    fn probability(&self, x: &[(usize, f64)]) -> f64 {
        model::sigmoid(self.scale * self.score(x) + self.shift)
    }
}

/// The (scope, name) pairs an observation's features fill, with values.
fn features_of(obs: &Observation) -> Vec<(Key, f64)> {
    let mut out = Vec::with_capacity(obs.features.len() * 2);
    for (f, name) in obs.features.iter().zip(&obs.names) {
        out.push(((obs.item.id.clone(), name.clone()), f64::from(f.value)));
        if f.shared {
            out.push((("*".to_owned(), name.clone()), f64::from(f.value)));
        }
    }
    out
}

/// Every labelled observation of the documents: (document, observation
/// index, label).
fn labelled<'a>(docs: &[&'a Doc]) -> Vec<(&'a Doc, usize, Label)> {
    let mut out = Vec::new();
    for d in docs {
        for (i, obs) in d.observations.iter().enumerate() {
            if let Some(label) = d.labels.get(&obs.item.id) {
                out.push((*d, i, *label));
            }
        }
    }
    out
}

/// Fit the raw logistic model (no calibration) on `docs`.
fn fit(interner: &Interner, docs: &[&Doc]) -> Fitted {
    let rows = labelled(docs);
    // Word features must recur across documents to be learned at all.
    let mut doc_counts = vec![0usize; interner.keys.len()];
    let mut last_doc = vec![usize::MAX; interner.keys.len()];
    for (n, d) in docs.iter().enumerate() {
        for (i, obs) in d.observations.iter().enumerate() {
            if !d.labels.contains_key(&obs.item.id) {
                continue;
            }
            for &(k, _) in &d.features[i] {
                if last_doc[k] != n {
                    last_doc[k] = n;
                    doc_counts[k] += 1;
                }
            }
        }
    }
    let used: Vec<bool> = interner
        .keys
        .iter()
        .zip(&doc_counts)
        .map(|(k, &n)| n > 0 && (kind_of(&k.0, &k.1) != Kind::Words || n >= MIN_DOCS))
        .collect();
    let examples: Vec<Example> = rows
        .iter()
        .map(|(d, i, label)| Example {
            x: d.features[*i]
                .iter()
                .copied()
                .filter(|&(k, _)| used[k])
                .collect(),
            y: if label.reported() { 1.0 } else { 0.0 },
        })
        .collect();
    let l2: Vec<f64> = interner
        .keys
        .iter()
        .map(|k| match kind_of(&k.0, &k.1) {
            Kind::Bias => param("TRAIN_L2_BIAS", L2_BIAS),
            Kind::Shared => param("TRAIN_L2_SHARED", L2_SHARED),
            Kind::Item => param("TRAIN_L2_ITEM", L2_ITEM),
            Kind::Words => param("TRAIN_L2_WORDS", L2_WORDS),
        })
        .collect();
    let weights = adagrad(&examples, &l2, &used);
    Fitted {
        weights,
        scale: 1.0,
        shift: 0.0,
    }
}

/// Minimise the mean log loss plus `l2 / n` times the squared weights.
fn adagrad(examples: &[Example], l2: &[f64], used: &[bool]) -> Vec<f64> {
    let n = examples.len().max(1) as f64;
    let active: Vec<usize> = (0..l2.len()).filter(|&i| used[i]).collect();
    let mut w = vec![0.0; l2.len()];
    let mut g2 = vec![1e-8; l2.len()];
    let mut grad = vec![0.0; l2.len()];
    for _ in 0..STEPS {
        for &i in &active {
            grad[i] = l2[i] * w[i] / n;
        }
        for e in examples {
            let z: f64 = e.x.iter().map(|&(i, v)| w[i] * v).sum();
            let err = (model::sigmoid(z) - e.y) / n;
            for &(i, v) in &e.x {
                grad[i] += err * v;
            }
        }
        for &i in &active {
            g2[i] += grad[i] * grad[i];
            w[i] -= RATE * grad[i] / g2[i].sqrt();
        }
    }
    w
}

/// Platt scaling: the (scale, shift) that best turn held-out scores into
/// probabilities (Newton's method on the log loss, lightly regularised).
fn platt(scored: &[(f64, bool)]) -> (f64, f64) {
    let (mut a, mut b) = (1.0, 0.0);
    for _ in 0..50 {
        let (mut ga, mut gb, mut haa, mut hab, mut hbb) =
            (1e-3 * (a - 1.0), 1e-3 * b, 1e-3, 0.0, 1e-3);
        for &(s, y) in scored {
            let p = model::sigmoid(a * s + b);
            let d = p - if y { 1.0 } else { 0.0 };
            let h = (p * (1.0 - p)).max(1e-9);
            ga += d * s;
            gb += d;
            haa += h * s * s;
            hab += h * s;
            hbb += h;
        }
        let det = haa * hbb - hab * hab;
        if det.abs() < 1e-12 {
            break;
        }
        a -= (hbb * ga - hab * gb) / det;
        b -= (haa * gb - hab * ga) / det;
    }
    (a, b)
}

/// Documents split into `k` folds by their order.
fn folds<'a>(docs: &[&'a Doc], k: usize) -> Vec<(Vec<&'a Doc>, Vec<&'a Doc>)> {
    (0..k)
        .map(|f| {
            let pick = |held_out: bool| -> Vec<&'a Doc> {
                docs.iter()
                    .enumerate()
                    .filter(|(i, _)| (i % k == f) == held_out)
                    .map(|(_, d)| *d)
                    .collect()
            };
            (pick(false), pick(true))
        })
        .collect()
}

/// The model fitted on `docs`, calibrated on its own held-out scores.
fn fit_calibrated(guideline: Guideline, interner: &Interner, docs: &[&Doc]) -> Fitted {
    let mut held_out = Vec::new();
    for (train, test) in folds(docs, CALIBRATION_FOLDS) {
        let fitted = fit(interner, &train);
        for (d, i, label) in labelled(&test) {
            held_out.push((fitted.score(&d.features[i]), label.reported()));
        }
    }
    let (scale, shift) = platt(&held_out);
    let mut fitted = fit(interner, docs);
    fitted.scale = scale;
    fitted.shift = shift;
    eprintln!(
        "{}: {} weights, calibration scale {scale:.4} shift {shift:.4}",
        guideline.name(),
        fitted
            .weights
            .iter()
            .filter(|w| w.abs() >= MIN_WEIGHT)
            .count()
    );
    fitted
}

/// Verdicts on every labelled item of every document, each judged by a
/// model that never saw its document.
fn cross_validate(
    guideline: Guideline,
    interner: &Interner,
    docs: &[&Doc],
    k: usize,
    seed: u64,
) -> Vec<Judged> {
    let mut judged = Vec::new();
    let mut docs = docs.to_vec();
    if seed != 0 {
        let trial = |d: &Doc| d.name.split('_').next().unwrap_or_default().to_owned();
        docs.sort_by_cached_key(|d| {
            (
                model::hash(format!("{seed}\t{}", trial(d)).as_bytes()),
                d.name.clone(),
            )
        });
    }
    for (train, test) in folds(&docs, k) {
        let fitted = fit_calibrated(guideline, interner, &train);
        for d in test {
            for (i, obs) in d.observations.iter().enumerate() {
                let Some(label) = d.labels.get(&obs.item.id) else {
                    continue;
                };
                let p = fitted.probability(&d.features[i]);
                let own: HashMap<u64, f64> = d.features[i]
                    .iter()
                    .filter(|&&(k, _)| interner.keys[k].0 != "*")
                    .map(|&(k, _)| {
                        (
                            model::hash(interner.keys[k].1.as_bytes()),
                            fitted.weights.get(k).copied().unwrap_or(0.0),
                        )
                    })
                    .collect();
                let v = items::verdict(obs.clone(), p, |name| {
                    own.get(&name).copied().unwrap_or(0.0)
                });
                let chars = |b: usize| d.text[..b.min(d.text.len())].chars().count();
                judged.push(Judged {
                    document: d.name.clone(),
                    guideline,
                    item: obs.item.id.clone(),
                    label: *label,
                    status: v.status,
                    confidence: v.confidence,
                    evidence: v
                        .evidence
                        .iter()
                        .map(|r| chars(r.start)..chars(r.end))
                        .collect(),
                    spans: Some(
                        d.spans
                            .iter()
                            .filter(|s| s.item == obs.item.id)
                            .map(|s| s.range.clone())
                            .collect(),
                    ),
                });
            }
        }
    }
    judged
}

/// The verdicts, a row each: document, item, label, verdict, confidence.
fn dump_verdicts(prefix: &Path, guideline: Guideline, judged: &[Judged]) {
    let mut out = String::from("document\titem\tlabel\tjudged\tconfidence\n");
    for j in judged {
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{}\t{:.3}",
            j.document,
            j.item,
            u8::from(j.label.reported()),
            u8::from(j.judged_reported()),
            j.confidence
        );
    }
    let path = prefix.with_extension(format!(
        "{}.tsv",
        if guideline == Guideline::Spirit {
            "spirit"
        } else {
            "consort"
        }
    ));
    if let Err(e) = std::fs::write(&path, out) {
        eprintln!("cannot write {}: {e}", path.display());
        std::process::exit(1);
    }
}

/// The 10-fold figures on `docs` for each seed, one thread per seed, and
/// their mean.
fn over_seeds(guideline: Guideline, interner: &Interner, docs: &[&Doc], seeds: &[u64]) {
    let figures: Vec<measure::Figures> = std::thread::scope(|scope| {
        let runs: Vec<_> = seeds
            .iter()
            .map(|&seed| {
                scope.spawn(move || cross_validate(guideline, interner, docs, CV_FOLDS, seed))
            })
            .collect();
        runs.into_iter()
            .filter_map(|run| {
                let judged = run.join().unwrap_or_else(|_| {
                    eprintln!("a cross-validation run failed");
                    std::process::exit(1)
                });
                measure::figures(&judged).into_iter().next()
            })
            .collect()
    });
    let f4 = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), |x| format!("{x:.4}"));
    let line = |label: &str, m: [Option<f64>; 4]| {
        println!(
            "{} {CV_FOLDS}-fold on train + valid, {label}: micro F1 {}  macro F1 {}  gaps F1 {}  accuracy {}",
            guideline.name(),
            f4(m[0]),
            f4(m[1]),
            f4(m[2]),
            f4(m[3]),
        );
    };
    let measures: Vec<[Option<f64>; 4]> = figures
        .iter()
        .map(|f| [f.micro_f1, f.macro_f1, f.gaps_f1, f.accuracy])
        .collect();
    for (seed, m) in seeds.iter().zip(&measures) {
        line(&format!("seed {seed}"), *m);
    }
    let list: Vec<String> = seeds.iter().map(u64::to_string).collect();
    line(
        &format!("mean over seeds {}", list.join(",")),
        std::array::from_fn(|k| mean(measures.iter().filter_map(|m| m[k]))),
    );
    if ITEMS.load(std::sync::atomic::Ordering::Relaxed) {
        let mut by_item: BTreeMap<&str, Vec<f64>> = BTreeMap::new();
        for f in &figures {
            for i in &f.items {
                let entry = by_item.entry(i.item.as_str()).or_default();
                entry.extend(i.tally.f1());
            }
        }
        let all: Vec<String> = checklist::items_of(guideline)
            .filter_map(|item| {
                let values = by_item.get(item.id.as_str())?;
                Some(format!("{}={}", item.id, f4(mean(values.iter().copied()))))
            })
            .collect();
        println!("    mean F1 by item: {}", all.join(" "));
    }
}

/// The mean of the values, if there are any.
fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    (n > 0).then(|| sum / n as f64)
}

fn report(title: &str, judged: &[Judged]) {
    let f2 = |x: Option<f64>| x.map_or_else(|| "—".to_owned(), |x| format!("{x:.3}"));
    for f in measure::figures(judged) {
        println!(
            "{title}: {} docs  micro F1 {}  macro F1 {}  gaps F1 {}  accuracy {}  ECE {}  critical falsely addressed {}/{}  evidence hits {}/{}",
            f.documents,
            f2(f.micro_f1),
            f2(f.macro_f1),
            f2(f.gaps_f1),
            f2(f.accuracy),
            f2(f.ece),
            f.critical_falsely_addressed.hits,
            f.critical_falsely_addressed.of,
            f.evidence_hits.hits,
            f.evidence_hits.of,
        );
        let worst: Vec<String> = f
            .items
            .iter()
            .take(12)
            .map(|i| format!("{} {}", i.item, f2(i.accuracy)))
            .collect();
        println!("    worst: {}", worst.join(", "));
        if ITEMS.load(std::sync::atomic::Ordering::Relaxed) {
            let all: Vec<String> = f
                .items
                .iter()
                .map(|i| format!("{}={}", i.item, f2(i.tally.f1())))
                .collect();
            println!("    F1 by item: {}", all.join(" "));
        }
    }
}

fn write_weights(file: &mut String, guideline: Guideline, interner: &Interner, fitted: &Fitted) {
    let order: HashMap<&str, usize> = checklist::items_of(guideline)
        .enumerate()
        .map(|(i, item)| (item.id.as_str(), i))
        .collect();
    let mut rows: Vec<(usize, &str, &str, f64)> = interner
        .keys
        .iter()
        .zip(&fitted.weights)
        .filter(|(_, w)| w.abs() >= MIN_WEIGHT)
        .map(|((item, name), w)| {
            let rank = if item == "*" {
                0
            } else {
                1 + order.get(item.as_str()).copied().unwrap_or(999)
            };
            (rank, item.as_str(), name.as_str(), *w)
        })
        .collect();
    rows.sort_by(|a, b| (a.0, a.2).cmp(&(b.0, b.2)));
    let g = guideline.name();
    let _ = writeln!(file, "{g}\t*\t@scale\t{:.6}", fitted.scale);
    let _ = writeln!(file, "{g}\t*\t@shift\t{:.6}", fitted.shift);
    for (_, item, name, w) in rows {
        let _ = writeln!(file, "{g}\t{item}\t{name}\t{w:.4}");
    }
}
