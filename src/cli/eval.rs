//! `protoscribe eval DIR...`: the builtin analyzer (or a model provider,
//! grounded on it) measured against labelled documents, item by item.
//! Reads files only; no store is opened (so a model's answers are not
//! cached).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::output::{self, clean};
use super::{Context, Error, Result};
use crate::analysis::checklist::Guideline;
use crate::analysis::measure::{self, Figures, Judged, Label, LabelRow, Share};
use crate::analysis::{self, GuidelineChoice, design::DocumentKind};
use crate::providers::grounded::{self, Accounting, NoCache, Progress};
use crate::providers::{Endpoint, ProviderConfig};

/// Formats read, in this order when a name has several.
const FORMATS: [&str; 4] = ["txt", "md", "docx", "pdf"];

#[derive(Debug, clap::Args)]
#[command(after_help = "\
Every NAME.txt, .md, .docx or .pdf with a NAME.labels.tsv beside it \
(guideline<TAB>item<TAB>present, present = 1, 0 or na) is analysed against \
the guideline its labels name; a name with several formats is measured once \
per format. An item is reported when its verdict is addressed or partial; \
missing and not applicable are not reported, and so is a label of na. \
Where NAME.spans.tsv exists (item<TAB>fine_item<TAB>start<TAB>end, offsets \
in characters), evidence is checked against it. A splits.tsv in a folder \
(NAME<TAB>split) groups its documents by split; figures on the split the \
weights were trained on are in-sample and are marked so.")]
pub struct Args {
    /// Folders holding the documents and their labels.
    #[arg(required = true, value_name = "DIR")]
    dirs: Vec<PathBuf>,
    /// Measure one guideline only.
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(["spirit", "consort"]))]
    guideline: Option<String>,
    /// Only the documents a splits.tsv puts in this split (e.g. valid).
    #[arg(long, value_name = "NAME")]
    split: Option<String>,
    /// Also print every verdict that disagrees with its label.
    #[arg(long)]
    errors: bool,
    /// Print the figures as JSON.
    #[arg(long)]
    json: bool,
    /// The provider to measure: builtin, or a configured model provider.
    #[arg(long, default_value = "builtin")]
    provider: String,
    /// Allow sending passages to a provider on another machine.
    #[arg(long)]
    allow_remote: bool,
}

/// A model provider being measured, and what it has cost so far.
struct Model {
    config: ProviderConfig,
    endpoint: Box<dyn Endpoint>,
    spent: Accounting,
}

impl Model {
    fn analyse(
        &mut self,
        name: &str,
        text: &str,
        choice: GuidelineChoice,
    ) -> Result<analysis::Analysis> {
        let cancel = std::sync::atomic::AtomicBool::new(false);
        let noop = |_: &Progress| {};
        let job = grounded::Job {
            config: &self.config,
            endpoint: self.endpoint.as_ref(),
            cache: &NoCache,
            progress: &noop,
            cancel: &cancel,
        };
        let outcome = grounded::run(&job, name, text, choice)
            .map_err(|e| Error::Usage(format!("{}: {e}", clean(name, false))))?;
        let a = &outcome.accounting;
        let s = &mut self.spent;
        s.requests += a.requests;
        s.input_tokens += a.input_tokens;
        s.output_tokens += a.output_tokens;
        s.cost += a.cost;
        s.unverified_answers += a.unverified_answers;
        s.model_verdicts += a.model_verdicts;
        s.items_sent += a.items_sent;
        Ok(outcome.analysis)
    }
}

fn model(ctx: &Context, args: &Args) -> Result<Option<Model>> {
    if args.provider == "builtin" {
        return Ok(None);
    }
    let config = ctx.config()?;
    let Some(p) = config.get(&args.provider) else {
        return Err(Error::Usage(format!(
            "unknown provider '{}': choose one of {}",
            clean(&args.provider, false),
            config.names().join(", ")
        )));
    };
    crate::jobs::analyze::check_remote(p, args.allow_remote)?;
    Ok(Some(Model {
        endpoint: crate::providers::endpoint(
            p,
            std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false)),
        ),
        config: p.clone(),
        spent: Accounting::default(),
    }))
}

/// One document to measure.
struct Labelled {
    name: String,
    text_path: PathBuf,
    labels: Vec<LabelRow>,
    spans: Option<Vec<measure::Span>>,
    split: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result {
    let mut model = model(ctx, &args)?;
    let only = match args.guideline.as_deref() {
        Some("spirit") => Some(Guideline::Spirit),
        Some("consort") => Some(Guideline::Consort),
        _ => None,
    };
    let mut docs = Vec::new();
    for dir in &args.dirs {
        docs.extend(labelled_in(dir)?);
    }
    if let Some(split) = &args.split {
        docs.retain(|d| d.split.as_deref() == Some(split.as_str()));
    }
    if docs.is_empty() {
        return Err(Error::Usage(
            "no labelled documents found: each NAME.txt|md|docx|pdf needs a NAME.labels.tsv beside it"
                .into(),
        ));
    }
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    let mut out = std::io::stdout().lock();
    for doc in &docs {
        let read = crate::ingest::read_document(&doc.text_path, crate::ingest::DEFAULT_MAX_BYTES)?;
        let labels: Vec<&LabelRow> = doc
            .labels
            .iter()
            .filter(|r| only.is_none_or(|g| g == r.guideline))
            .collect();
        if labels.is_empty() {
            continue;
        }
        let choice = guideline_of(&labels);
        let analysis = match model.as_mut() {
            Some(m) => m.analyse(&doc.name, &read.content, choice)?,
            None => analysis::analyse(&read.content, choice),
        };
        let group = groups
            .entry(doc.split.clone().unwrap_or_else(|| "-".into()))
            .or_default();
        let expected = match choice {
            GuidelineChoice::Consort => Some(DocumentKind::Report),
            GuidelineChoice::Spirit => Some(DocumentKind::Protocol),
            GuidelineChoice::Auto => None,
        };
        if let Some(kind) = expected {
            group.kind.of += 1;
            if analysis::document_kind(&read.content) == kind {
                group.kind.hits += 1;
            }
        }
        for row in labels {
            let Some(r) = analysis
                .items
                .iter()
                .find(|r| r.guideline == row.guideline.name() && r.item == row.item)
            else {
                continue;
            };
            let judged = Judged {
                document: doc.name.clone(),
                guideline: row.guideline,
                item: row.item.clone(),
                label: row.label,
                status: r.status,
                confidence: r.confidence,
                evidence: r.evidence.iter().map(|e| e.start..e.end).collect(),
                spans: doc.spans.as_ref().map(|spans| {
                    spans
                        .iter()
                        .filter(|s| s.item == row.item)
                        .map(|s| s.range.clone())
                        .collect()
                }),
            };
            if args.errors && !args.json && !judged.right() {
                let quote = r.evidence.first().map_or("", |e| e.quote.as_str());
                writeln!(
                    out,
                    "{}  {} {:<4} labelled {:<14} judged {:<14} {:.2}  {}",
                    doc.name,
                    short(row.guideline),
                    row.item,
                    label_name(row.label),
                    r.status.as_str(),
                    r.confidence,
                    output::cell(quote, 90).trim_end()
                )?;
            }
            group.judged.push(judged);
        }
    }
    let trained_on = analysis::model::trained_on();
    let reports: Vec<(String, Vec<Figures>, Share)> = groups
        .into_iter()
        .map(|(split, g)| (split, measure::figures(&g.judged), g.kind))
        .collect();
    if args.json {
        let value: Vec<Value> = reports
            .iter()
            .map(|(split, figures, kind)| {
                json!({
                    "split": split,
                    "in_sample": trained_on.contains(&split.as_str()),
                    "kind_detected": kind,
                    "guidelines": figures,
                })
            })
            .collect();
        return Ok(output::print_json(&json!({
            "analyzer": analysis::ANALYZER_VERSION,
            "provider": args.provider,
            "provider_cost": model.as_ref().map(|m| &m.spent),
            "groups": value,
        }))?);
    }
    for (split, figures, kind) in &reports {
        let name = if split == "-" {
            "documents without a split".to_owned()
        } else {
            format!("split '{}'", clean(split, false))
        };
        let note = if trained_on.contains(&split.as_str()) {
            " (the weights were fitted to it: in-sample, not a figure to publish)"
        } else {
            ""
        };
        writeln!(out, "\n== {name}{note}")?;
        if kind.of > 0 {
            writeln!(
                out,
                "document kind detected from the text: {}/{}",
                kind.hits, kind.of
            )?;
        }
        for f in figures {
            print_figures(&mut out, f)?;
        }
    }
    if let Some(m) = &model {
        let s = &m.spent;
        writeln!(
            out,
            "\nprovider {}: {} of {} items sent decided by the model, {} answers rejected (quote not in the text), {} requests, {} tokens in, {} out, ${:.4}",
            clean(&m.config.name, false),
            s.model_verdicts,
            s.items_sent,
            s.unverified_answers,
            s.requests,
            s.input_tokens,
            s.output_tokens,
            s.cost
        )?;
    }
    Ok(())
}

#[derive(Default)]
struct Group {
    judged: Vec<Judged>,
    kind: Share,
}

fn guideline_of(labels: &[&LabelRow]) -> GuidelineChoice {
    let spirit = labels.iter().all(|r| r.guideline == Guideline::Spirit);
    let consort = labels.iter().all(|r| r.guideline == Guideline::Consort);
    match (spirit, consort) {
        (true, _) => GuidelineChoice::Spirit,
        (_, true) => GuidelineChoice::Consort,
        _ => GuidelineChoice::Auto,
    }
}

fn short(g: Guideline) -> &'static str {
    match g {
        Guideline::Spirit => "SPIRIT",
        Guideline::Consort => "CONSORT",
    }
}

fn label_name(label: Label) -> &'static str {
    match label {
        Label::Present => "reported",
        Label::Absent => "not reported",
        Label::NotApplicable => "na",
    }
}

fn fig(x: Option<f64>) -> String {
    x.map_or_else(|| "  — ".into(), |x| format!("{x:.3}"))
}

fn share(s: &Share) -> String {
    match s.value() {
        Some(v) => format!("{}/{} ({v:.2})", s.hits, s.of),
        None => "—".into(),
    }
}

fn print_figures(out: &mut impl Write, f: &Figures) -> std::io::Result<()> {
    writeln!(
        out,
        "\n{}: {} documents, {} item verdicts",
        f.guideline, f.documents, f.verdicts
    )?;
    writeln!(
        out,
        "  reported   precision {}  recall {}  micro F1 {}  macro F1 {}",
        fig(f.precision),
        fig(f.recall),
        fig(f.micro_f1),
        fig(f.macro_f1)
    )?;
    writeln!(
        out,
        "  gaps found precision {}  recall {}  F1 {}",
        fig(f.gaps_precision),
        fig(f.gaps_recall),
        fig(f.gaps_f1)
    )?;
    writeln!(
        out,
        "  accuracy {}  calibration error (ECE) {}",
        fig(f.accuracy),
        fig(f.ece)
    )?;
    writeln!(
        out,
        "  critical items falsely judged addressed {}  evidence on a labelled span {}",
        share(&f.critical_falsely_addressed),
        share(&f.evidence_hits)
    )?;
    writeln!(
        out,
        "  items, worst first:   accuracy  F1     gaps F1  tp  fp  fn  tn"
    )?;
    for i in f
        .items
        .iter()
        .take_while(|i| i.accuracy.unwrap_or(1.0) < 1.0)
    {
        writeln!(
            out,
            "    {:<5}{}         {}     {}  {}   {:>3} {:>3} {:>3} {:>3}",
            i.item,
            if i.critical { "*" } else { " " },
            fig(i.accuracy),
            fig(i.f1),
            fig(i.gap_f1),
            i.tally.tp,
            i.tally.fp,
            i.tally.fn_,
            i.tally.tn
        )?;
    }
    let perfect = f
        .items
        .iter()
        .filter(|i| i.accuracy.unwrap_or(1.0) >= 1.0)
        .count();
    if perfect > 0 {
        writeln!(
            out,
            "    ({perfect} more items with every verdict right; * critical)"
        )?;
    }
    Ok(())
}

/// The labelled documents in `dir`, sorted by name.
fn labelled_in(dir: &Path) -> Result<Vec<Labelled>> {
    let entries = std::fs::read_dir(dir).map_err(|e| {
        Error::Usage(format!(
            "cannot read the folder {}: {e}; check the path",
            dir.display()
        ))
    })?;
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .collect();
    names.sort();
    let splits = read_optional(&dir.join("splits.tsv"))?
        .map(|tsv| {
            tsv.lines()
                .filter_map(|l| {
                    let (name, split) = l.split_once('\t')?;
                    Some((name.trim().to_owned(), split.trim().to_owned()))
                })
                .collect::<BTreeMap<String, String>>()
        })
        .unwrap_or_default();
    let mut docs = Vec::new();
    for name in &names {
        let Some(stem) = name.strip_suffix(".labels.tsv") else {
            continue;
        };
        let label_path = dir.join(name);
        let tsv = std::fs::read_to_string(&label_path)
            .map_err(|e| Error::Usage(format!("cannot read {}: {e}", label_path.display())))?;
        let labels = measure::parse_labels(&tsv)
            .map_err(|e| Error::Usage(format!("{}: {e}", label_path.display())))?;
        let span_path = dir.join(format!("{stem}.spans.tsv"));
        let spans = read_optional(&span_path)?
            .map(|tsv| measure::parse_spans(&tsv))
            .transpose()
            .map_err(|e| Error::Usage(format!("{}: {e}", span_path.display())))?;
        for ext in FORMATS {
            let file = format!("{stem}.{ext}");
            if names.contains(&file) {
                docs.push(Labelled {
                    name: file.clone(),
                    text_path: dir.join(&file),
                    labels: labels.clone(),
                    // Spans count characters of the text as distributed.
                    spans: if ext == "txt" || ext == "md" {
                        spans.clone()
                    } else {
                        None
                    },
                    split: splits.get(stem).cloned(),
                });
            }
        }
    }
    Ok(docs)
}

fn read_optional(path: &Path) -> Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::Usage(format!("cannot read {}: {e}", path.display()))),
    }
}
