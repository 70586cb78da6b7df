//! `protoscribe compare ID [--providers A,B]`: where the latest completed
//! analyses of two providers disagree, item by item, with the agreement
//! rate and Cohen's kappa over the four verdicts.

use std::io::Write;

use serde_json::json;

use super::output::{self, cell, clean};
use super::{Context, Error, Result};
use crate::analysis::agreement;
use crate::store::analyses::Analysis;

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

pub fn run(ctx: &Context, args: Args) -> Result {
    let store = ctx.open_for_reading()?;
    store.read(|conn| conn.protocols_get(&args.id))?;
    let used = store.read(|conn| conn.analyses_providers_of(&args.id))?;
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
            .read(|conn| conn.analyses_latest_completed_by(&args.id, name))?
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
    let (agree, disagreements) =
        agreement::compare(first.results.as_ref(), second.results.as_ref());
    if args.json {
        let value = json!({
            "protocol_id": args.id,
            "providers": [a, b],
            "analyses": [first.id, second.id],
            "items": agree.items,
            "agreed": agree.agreed,
            "agreement_rate": (agree.rate * 10_000.0).round() / 10_000.0,
            "kappa": agree.kappa.map(|k| (k * 10_000.0).round() / 10_000.0),
            "disagreements": disagreements.iter().map(|d| json!({
                "item": d.reference,
                "title": d.title,
                a.clone(): d.first,
                b.clone(): d.second,
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
        for d in &disagreements {
            writeln!(
                out,
                "{} {} {} {}",
                cell(&d.reference, 26),
                cell(&d.title, 30),
                cell(&d.first, 15),
                cell(&d.second, 15)
            )?;
        }
    }
    Ok(())
}
