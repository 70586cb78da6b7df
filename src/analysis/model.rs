//! The learned weights that turn an item's evidence features into the
//! probability that the document reports it: a logistic model per
//! guideline, read from `assets/weights.tsv` (written by
//! `cargo run --release --example train`, never by hand).
//!
//! Every feature has a name (`best_all`, `cue:sealed`, `w:sealed envelope`)
//! and a scope: the guideline as a whole (`*`, shared by all its items) or
//! one item. A structural feature counts in both scopes, so an item the
//! corpus never labelled still gets the guideline-wide weights; words count
//! for their item only. The score is the sum of the weights of the features
//! present, times their values; a Platt step (`@scale`, `@shift`, fitted on
//! held-out scores) turns it into a calibrated probability.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::checklist::{Guideline, Item};

const WEIGHTS_TSV: &str = include_str!("../../assets/weights.tsv");

/// FNV-1a, 64 bits: stable across builds and machines, unlike std's hasher.
pub fn hash(bytes: &[u8]) -> u64 {
    hash_more(0xcbf2_9ce4_8422_2325, bytes)
}

/// The hash of what `hash` was given followed by `bytes`.
pub fn hash_more(mut h: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Keys are hashes already: a map keyed by them need not hash again.
#[derive(Clone, Copy, Default)]
pub struct Prehashed(u64);

impl std::hash::Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = hash_more(self.0, bytes);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub type PrehashedMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<Prehashed>>;

/// The key of a feature (by its name's hash) in a scope (by its hash).
pub fn key(scope: u64, name: u64) -> u64 {
    let mut x = name ^ scope.rotate_left(29).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    // splitmix64's finaliser: scopes that differ in few bits still spread.
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// The scope shared by all items of a guideline.
pub fn guideline_scope(g: Guideline) -> u64 {
    hash(format!("{}\t*", g.name()).as_bytes())
}

/// The scope of one item.
pub fn item_scope(item: &Item) -> u64 {
    static SCOPES: OnceLock<Vec<u64>> = OnceLock::new();
    let scopes = SCOPES.get_or_init(|| {
        super::checklist::items()
            .iter()
            .map(|i| hash(format!("{}\t{}", i.guideline.name(), i.id).as_bytes()))
            .collect()
    });
    scopes
        .get(item.index)
        .copied()
        .unwrap_or_else(|| hash(format!("{}\t{}", item.guideline.name(), item.id).as_bytes()))
}

/// One feature of an item's evidence.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Feature {
    /// `hash` of the feature's name.
    pub name: u64,
    pub value: f32,
    /// Counted in the guideline's scope as well as the item's.
    pub shared: bool,
}

pub struct Model {
    weights: PrehashedMap<f64>,
    /// Platt scaling per guideline: probability = σ(scale · score + shift).
    calibration: HashMap<Guideline, (f64, f64)>,
    trained_on: Vec<String>,
}

/// The weights file's rows: `guideline<TAB>item|*<TAB>feature<TAB>weight`,
/// and `meta<TAB>key<TAB>value`.
pub fn parse(tsv: &str) -> Result<Model, String> {
    let mut model = Model {
        weights: PrehashedMap::default(),
        calibration: HashMap::new(),
        trained_on: Vec::new(),
    };
    for (n, line) in tsv.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        match cols[..] {
            ["meta", "trained_on", splits] => {
                model.trained_on = splits.split(',').map(str::to_owned).collect();
            }
            ["meta", ..] => {}
            [guideline, item, feature, weight] => {
                let g = Guideline::from_name(guideline)
                    .ok_or_else(|| format!("line {}: unknown guideline", n + 1))?;
                let w: f64 = weight.parse().map_err(|e| format!("line {}: {e}", n + 1))?;
                let scope = hash(format!("{guideline}\t{item}").as_bytes());
                match feature {
                    "@scale" => model.calibration.entry(g).or_insert((1.0, 0.0)).0 = w,
                    "@shift" => model.calibration.entry(g).or_insert((1.0, 0.0)).1 = w,
                    _ => {
                        model
                            .weights
                            .insert(key(scope, hash(feature.as_bytes())), w);
                    }
                }
            }
            _ => return Err(format!("line {}: expected four columns", n + 1)),
        }
    }
    Ok(model)
}

pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    // Compiled in and checked by the tests: a broken file is a build defect.
    MODEL.get_or_init(|| parse(WEIGHTS_TSV).unwrap_or_else(|e| panic!("assets/weights.tsv: {e}")))
}

/// Splits of the corpus the shipped weights were fitted to.
pub fn trained_on() -> Vec<&'static str> {
    model().trained_on.iter().map(String::as_str).collect()
}

pub fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl Model {
    pub fn weight(&self, key: u64) -> f64 {
        self.weights.get(&key).copied().unwrap_or(0.0)
    }

    /// The raw score of an item's features.
    pub fn score(&self, item: &Item, features: &[Feature]) -> f64 {
        let scopes = (item_scope(item), guideline_scope(item.guideline));
        features.iter().map(|f| self.weighted(scopes, f)).sum()
    }

    /// What one feature adds to an item's score.
    pub fn contribution(&self, item: &Item, feature: &Feature) -> f64 {
        self.weighted((item_scope(item), guideline_scope(item.guideline)), feature)
    }

    /// A feature's weight in the item's scope (and the guideline's, for a
    /// shared one) times its value.
    fn weighted(&self, (item, guideline): (u64, u64), feature: &Feature) -> f64 {
        let w = self.weight(key(item, feature.name))
            + if feature.shared {
                self.weight(key(guideline, feature.name))
            } else {
                0.0
            };
        w * f64::from(feature.value)
    }

    /// The calibrated probability that the item is reported.
    pub fn probability(&self, guideline: Guideline, score: f64) -> f64 {
        let (a, b) = self
            .calibration
            .get(&guideline)
            .copied()
            .unwrap_or((1.0, 0.0));
        sigmoid(a * score + b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_weights_parse() {
        let m = parse(WEIGHTS_TSV).unwrap();
        assert!(!m.weights.is_empty());
        assert!(m.calibration.contains_key(&Guideline::Spirit));
        assert!(m.calibration.contains_key(&Guideline::Consort));
    }

    #[test]
    fn hashes_stream() {
        assert_eq!(
            hash(b"w:sealed envelope"),
            hash_more(hash(b"w:sealed"), b" envelope")
        );
    }

    #[test]
    fn keys_differ_by_scope() {
        let name = hash(b"best_all");
        assert_ne!(key(hash(b"a"), name), key(hash(b"b"), name));
    }
}
