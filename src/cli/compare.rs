//! `protoscribe compare ID [--providers A,B]`: where the latest completed
//! analyses of two providers disagree, item by item, with the agreement
//! rate and Cohen's kappa over the four verdicts.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use super::output::{self, cell, clean};
use super::{Context, Error, Result};
use crate::store::analyses::{self, Analysis};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The protocol (proto_…).
    id: String,
    /// The two providers to compare (default: builtin and the most recently
    /// used other one).
    #[arg(long, value_delimiter = ',', num_args = 1)]
    providers: Vec<String>,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

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

/// (reference, title, status) per item of an analysis's results.
fn verdicts(a: &Analysis) -> BTreeMap<String, (String, String, usize)> {
    let mut out = BTreeMap::new();
    let items = a
        .results
        .as_ref()
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

pub fn run(ctx: &Context, args: Args) -> Result {
    let store = ctx.open_for_reading()?;
    store.read(|conn| crate::store::protocols::get(conn, &args.id))?;
    let used = store.read(|conn| analyses::providers_of(conn, &args.id))?;
    let (a, b) = match args.providers.as_slice() {
        [a, b] => (a.clone(), b.clone()),
        [] => {
            let other = used.iter().find(|p| *p != "builtin").cloned();
            match other {
                Some(o) => ("builtin".to_owned(), o),
                None => {
                    return Err(Error::Usage(format!(
                        "{} has completed analyses by {} only: analyse it with another provider first (protoscribe analyze {} --provider NAME)",
                        args.id,
                        if used.is_empty() {
                            "no provider".to_owned()
                        } else {
                            used.join(", ")
                        },
                        args.id
                    )));
                }
            }
        }
        _ => {
            return Err(Error::Arguments(
                "--providers takes two names separated by a comma, e.g. builtin,local".into(),
            ));
        }
    };
    let latest = |name: &str| -> Result<Analysis> {
        store
            .read(|conn| analyses::latest_completed_by(conn, &args.id, name))?
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{} has no completed analysis by '{}': run protoscribe analyze {} --provider {}",
                    args.id,
                    clean(name, false),
                    args.id,
                    clean(name, false)
                ))
            })
    };
    let (first, second) = (latest(&a)?, latest(&b)?);
    let (va, vb) = (verdicts(&first), verdicts(&second));
    let mut rows: Vec<(usize, &String, &str, &str, &str)> = va
        .iter()
        .filter_map(|(reference, (title, sa, order))| {
            vb.get(reference)
                .map(|(_, sb, _)| (*order, reference, title.as_str(), sa.as_str(), sb.as_str()))
        })
        .collect();
    rows.sort_by_key(|r| r.0);
    let pairs: Vec<(&str, &str)> = rows.iter().map(|r| (r.3, r.4)).collect();
    let agree = agreement(&pairs);
    let disagreements: Vec<_> = rows.iter().filter(|r| r.3 != r.4).collect();
    if args.json {
        let value = json!({
            "protocol_id": args.id,
            "providers": [a, b],
            "analyses": [first.id, second.id],
            "items": agree.items,
            "agreed": agree.agreed,
            "agreement_rate": (agree.rate * 10_000.0).round() / 10_000.0,
            "kappa": agree.kappa.map(|k| (k * 10_000.0).round() / 10_000.0),
            "disagreements": disagreements.iter().map(|r| json!({
                "item": r.1,
                "title": r.2,
                a.clone(): r.3,
                b.clone(): r.4,
            })).collect::<Vec<_>>(),
        });
        return Ok(output::print_json(&value)?);
    }
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "{}: {} ({}) vs {} ({})",
        args.id,
        clean(&a, false),
        first.id,
        clean(&b, false),
        second.id
    )?;
    writeln!(
        out,
        "{} items · {} agree ({:.1}%) · Cohen's kappa {}",
        agree.items,
        agree.agreed,
        agree.rate * 100.0,
        agree
            .kappa
            .map_or_else(|| "—".to_owned(), |k| format!("{k:.3}"))
    )?;
    if disagreements.is_empty() {
        writeln!(out, "No disagreements.")?;
    } else {
        writeln!(
            out,
            "\n{} {} {} {}",
            cell("ITEM", 26),
            cell("TOPIC", 30),
            cell(&a, 15),
            cell(&b, 15)
        )?;
        for r in disagreements {
            writeln!(
                out,
                "{} {} {} {}",
                cell(r.1, 26),
                cell(r.2, 30),
                cell(r.3, 15),
                cell(r.4, 15)
            )?;
        }
    }
    Ok(())
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
        assert!((a.kappa.unwrap() - 0.4).abs() < 1e-9);
    }
}
