//! How far two analyses of one text agree, item by item: the share of
//! items with the same verdict and Cohen's kappa over the four verdicts.
//! Pure: it reads two analyses' `results` JSON.

use std::collections::BTreeMap;

use serde_json::Value;

pub const VERDICTS: [&str; 4] = ["addressed", "partial", "missing", "not_applicable"];

/// Agreement between two raters over the same items.
#[derive(Clone, Debug, PartialEq)]
pub struct Agreement {
    pub items: usize,
    pub agreed: usize,
    pub rate: f64,
    /// `None` when it is undefined (no items).
    pub kappa: Option<f64>,
}

/// One item two analyses judge differently.
#[derive(Clone, Debug, PartialEq)]
pub struct Disagreement {
    /// `SPIRIT 2013 item 16b`.
    pub reference: String,
    pub title: String,
    pub first: String,
    pub second: String,
}

/// Cohen's kappa over paired verdicts: (observed − expected agreement) /
/// (1 − expected), with expected from each rater's own verdict shares.
pub fn agreement(pairs: &[(&str, &str)]) -> Agreement {
    let n = pairs.len();
    let agreed = pairs.iter().filter(|(a, b)| a == b).count();
    if n == 0 {
        return Agreement {
            items: 0,
            agreed: 0,
            rate: 0.0,
            kappa: None,
        };
    }
    let po = agreed as f64 / n as f64;
    let share = |first: bool, v: &str| {
        pairs
            .iter()
            .filter(|p| if first { p.0 == v } else { p.1 == v })
            .count() as f64
            / n as f64
    };
    let pe: f64 = VERDICTS
        .iter()
        .map(|v| share(true, v) * share(false, v))
        .sum();
    let kappa = if (1.0 - pe).abs() < 1e-12 {
        // Both raters gave one and the same verdict throughout.
        Some(1.0)
    } else {
        Some((po - pe) / (1.0 - pe))
    };
    Agreement {
        items: n,
        agreed,
        rate: po,
        kappa,
    }
}

/// (title, status, order) per item reference of an analysis's results.
fn verdicts(results: Option<&Value>) -> BTreeMap<String, (String, String, usize)> {
    let mut out = BTreeMap::new();
    let items = results
        .and_then(|r| r.get("items"))
        .and_then(Value::as_array);
    for (order, item) in items.into_iter().flatten().enumerate() {
        let reference = format!(
            "{} item {}",
            item["guideline"].as_str().unwrap_or_default(),
            item["item"].as_str().unwrap_or_default()
        );
        out.insert(
            reference,
            (
                item["title"].as_str().unwrap_or_default().to_owned(),
                item["status"].as_str().unwrap_or_default().to_owned(),
                order,
            ),
        );
    }
    out
}

/// The agreement of two analyses' results over the items both judged, and
/// the items they judge differently, in checklist order.
pub fn compare(first: Option<&Value>, second: Option<&Value>) -> (Agreement, Vec<Disagreement>) {
    let (a, b) = (verdicts(first), verdicts(second));
    let mut rows: Vec<(usize, &String, &str, &str, &str)> = a
        .iter()
        .filter_map(|(reference, (title, sa, order))| {
            b.get(reference)
                .map(|(_, sb, _)| (*order, reference, title.as_str(), sa.as_str(), sb.as_str()))
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let pairs: Vec<(&str, &str)> = rows.iter().map(|r| (r.3, r.4)).collect();
    let agree = agreement(&pairs);
    let differ = rows
        .iter()
        .filter(|r| r.3 != r.4)
        .map(|r| Disagreement {
            reference: r.1.clone(),
            title: r.2.to_owned(),
            first: r.3.to_owned(),
            second: r.4.to_owned(),
        })
        .collect();
    (agree, differ)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kappa_of_perfect_and_chance_agreement() {
        let same = [("addressed", "addressed"), ("missing", "missing")];
        assert_eq!(agreement(&same).kappa, Some(1.0));
        // Textbook case: 2x2 with 20/5/10/15 → po 0.7, pe 0.5, kappa 0.4.
        let mut pairs = Vec::new();
        pairs.extend(std::iter::repeat_n(("addressed", "addressed"), 20));
        pairs.extend(std::iter::repeat_n(("addressed", "missing"), 5));
        pairs.extend(std::iter::repeat_n(("missing", "addressed"), 10));
        pairs.extend(std::iter::repeat_n(("missing", "missing"), 15));
        let a = agreement(&pairs);
        assert!((a.rate - 0.7).abs() < 1e-9);
        assert!((a.kappa.unwrap_or(f64::NAN) - 0.4).abs() < 1e-9);
    }
}
