//! Why the builtin judged an item as it did: each feature of the item's
//! evidence in a document with the weights it carries (item's own and the
//! guideline's), largest contribution first (those under 0.02 left out).
//!
//!     cargo run --release --example explain -- FILE.txt spirit 16b

use protoscribe::analysis::checklist::Guideline;
use protoscribe::analysis::{self, model};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [file, guideline, item] = &args[..] else {
        eprintln!("usage: explain FILE spirit|consort ITEM");
        std::process::exit(2);
    };
    let guideline = match guideline.as_str() {
        "spirit" => Guideline::Spirit,
        "consort" => Guideline::Consort,
        other => {
            eprintln!("{other}: the guideline is spirit or consort");
            std::process::exit(2);
        }
    };
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| {
        eprintln!("cannot read {file}: {e}");
        std::process::exit(1)
    });
    let m = model::model();
    let observations = analysis::observe(&text, guideline);
    let Some(obs) = observations.into_iter().find(|o| &o.item.id == item) else {
        eprintln!("{} has no item {item}", guideline.name());
        std::process::exit(2);
    };
    let mut rows: Vec<(f64, String)> = obs
        .features
        .iter()
        .zip(&obs.names)
        .map(|(f, name)| {
            (
                m.contribution(obs.item, f),
                format!("{name} = {:.2}", f.value),
            )
        })
        .collect();
    rows.sort_by(|a, b| b.0.abs().total_cmp(&a.0.abs()));
    let score = m.score(obs.item, &obs.features);
    println!(
        "{} {}: score {score:.3}  p {:.3}  met {:?}  passage {}",
        guideline.name(),
        item,
        m.probability(guideline, score),
        obs.met,
        obs.passage
    );
    for (c, name) in rows.iter().filter(|r| r.0.abs() >= 0.02) {
        println!("  {c:+.3}  {name}");
    }
}
