//! Judging one checklist item: find the passages where the item lives (its
//! own section, or the sentences around phrases that announce it), and see
//! which of its requirements each passage meets.

use std::ops::Range;

use serde::Serialize;

use super::checklist::{Applies, Item, Scope};
use super::cues::{Cue, Cues, Detector, Hits};
use super::design::{Design, DocumentKind};
use super::document::{self, Document};
use super::quality::placeholders;

/// Largest passage judged at once under a heading.
const SECTION_WINDOW: usize = 8000;
/// How far around an anchor a passage may reach.
const ANCHOR_BEFORE: usize = 600;
const ANCHOR_AFTER: usize = 1500;
/// Passages judged per item at most (hostile input can hold millions of anchors).
const MAX_WINDOWS: usize = 400;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Addressed,
    Partial,
    Missing,
    NotApplicable,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Addressed => "addressed",
            Status::Partial => "partial",
            Status::Missing => "missing",
            Status::NotApplicable => "not_applicable",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Verdict {
    pub item: &'static Item,
    pub status: Status,
    pub confidence: f64,
    /// Byte ranges of the passages that show it.
    pub evidence: Vec<Range<usize>>,
    /// What the item needs that was not found.
    pub unmet: Vec<&'static str>,
    /// The document's own heading for this item, if it has one.
    pub heading: Option<String>,
    /// A heading for this item with nothing under it.
    pub empty_heading: Option<Range<usize>>,
    /// Why the item does not apply.
    pub not_applicable: Option<&'static str>,
}

/// A passage and what it shows.
struct Window {
    range: Range<usize>,
    /// The sentence (or heading line) quoted as evidence.
    focus: Range<usize>,
    /// The anchor that found it (phrase id and place). Its words count
    /// only for a group that lists that same phrase: "compliance" does not
    /// show how compliance is monitored, but "intention to treat" is itself
    /// an analysis population.
    anchor: Option<(usize, Range<usize>)>,
    heading: Option<usize>,
    met: Vec<bool>,
}

/// An item's cue names resolved to cues once, not on every analysis.
struct Resolved {
    headings: Vec<usize>,
    anchors: Vec<usize>,
    groups: Vec<Vec<Cue>>,
}

fn resolved(item: &Item, cues: &Cues) -> &'static Resolved {
    static RESOLVED: std::sync::OnceLock<Vec<Resolved>> = std::sync::OnceLock::new();
    let all = RESOLVED.get_or_init(|| {
        let phrase = |name: &String| match cues.cue(name) {
            Some(Cue::Phrase(id)) => Some(id),
            _ => None,
        };
        super::checklist::items()
            .iter()
            .map(|i| Resolved {
                headings: i.headings.iter().filter_map(phrase).collect(),
                anchors: i.anchors.iter().filter_map(phrase).collect(),
                groups: i
                    .groups
                    .iter()
                    .map(|g| g.cues.iter().filter_map(|c| cues.cue(c)).collect())
                    .collect(),
            })
            .collect()
    });
    &all[item.index]
}

pub struct Context<'d, 'a> {
    pub doc: &'d Document<'a>,
    pub cues: &'static Cues,
    pub hits: &'d Hits,
    pub design: Design,
    pub title: Option<(&'d str, Range<usize>)>,
}

pub fn judge(item: &'static Item, ctx: &Context<'_, '_>) -> Verdict {
    let mut verdict = Verdict {
        item,
        status: Status::Missing,
        confidence: 0.0,
        evidence: Vec::new(),
        unmet: Vec::new(),
        heading: None,
        empty_heading: None,
        not_applicable: None,
    };
    if let Some(reason) = not_applicable(item, &ctx.design) {
        verdict.status = Status::NotApplicable;
        verdict.confidence = 0.8;
        verdict.not_applicable = Some(reason);
        return verdict;
    }
    let resolved = resolved(item, ctx.cues);
    let groups = &resolved.groups;
    if item.scope == Scope::Title {
        return judge_title(verdict, groups, ctx);
    }
    let mut windows = heading_windows(&resolved.headings, ctx, &mut verdict);
    windows.extend(anchor_windows(item, &resolved.anchors, ctx));
    for w in &mut windows {
        w.met = groups.iter().map(|g| meets(g, w, ctx)).collect();
    }
    let total = groups.len();
    let count = |w: &Window| w.met.iter().filter(|&&m| m).count();
    let met: Vec<bool> = match item.scope {
        Scope::Document => (0..total)
            .map(|g| windows.iter().any(|w| w.met[g]))
            .collect(),
        _ => windows
            .iter()
            .max_by_key(|w| {
                (
                    count(w),
                    w.heading.is_some(),
                    std::cmp::Reverse(w.range.start),
                )
            })
            .map_or_else(|| vec![false; total], |w| w.met.clone()),
    };
    let n_met = conclude(&mut verdict, &met);
    // Evidence: the passages that meet the most, best first.
    let mut ranked: Vec<&Window> = windows.iter().filter(|w| count(w) > 0).collect();
    ranked.sort_by_key(|w| {
        (
            std::cmp::Reverse(count(w)),
            w.heading.is_none(),
            w.range.start,
        )
    });
    let mut seen_focus = Vec::new();
    for w in ranked {
        if verdict.evidence.len() == 3 {
            break;
        }
        if !seen_focus.contains(&w.focus.start) {
            seen_focus.push(w.focus.start);
            verdict.evidence.push(w.focus.clone());
        }
    }
    let supporting = windows.iter().filter(|w| count(w) == total).count();
    let from_heading = windows.iter().any(|w| w.heading.is_some() && count(w) > 0);
    verdict.confidence = confidence(
        verdict.status,
        n_met,
        total,
        supporting,
        from_heading,
        windows.is_empty(),
    );
    verdict
}

/// An item that shares another's detection (`like`) gets that item's
/// verdict as its own, when both apply, instead of judging the same
/// passages twice.
pub fn judge_like(item: &'static Item, shared: &Verdict, ctx: &Context<'_, '_>) -> Verdict {
    if shared.status == Status::NotApplicable || not_applicable(item, &ctx.design).is_some() {
        return judge(item, ctx);
    }
    Verdict {
        item,
        ..shared.clone()
    }
}

/// Status and unmet needs from which of the item's groups were met;
/// returns how many were.
fn conclude(verdict: &mut Verdict, met: &[bool]) -> usize {
    let item = verdict.item;
    let n = met.iter().filter(|&&m| m).count();
    verdict.unmet = item
        .groups
        .iter()
        .zip(met)
        .filter(|(_, m)| !**m)
        .map(|(g, _)| g.need.as_str())
        .collect();
    verdict.status = if n == item.groups.len() {
        Status::Addressed
    } else if n >= item.partial_needs {
        Status::Partial
    } else {
        Status::Missing
    };
    n
}

fn not_applicable(item: &Item, design: &Design) -> Option<&'static str> {
    match item.applies {
        Applies::Always => None,
        Applies::Randomised if !design.randomised => {
            Some("participants are not allocated at random")
        }
        Applies::Controlled if !design.controlled => Some("the trial has no comparator group"),
        Applies::Blinded if !design.blinded => Some("nobody is blinded to the allocation"),
        Applies::Report if design.kind != DocumentKind::Report => {
            Some("reported once the trial is finished")
        }
        _ => None,
    }
}

fn confidence(
    status: Status,
    met: usize,
    total: usize,
    supporting: usize,
    heading: bool,
    no_windows: bool,
) -> f64 {
    let value = match status {
        Status::Addressed => {
            0.7 + if heading { 0.15 } else { 0.0 }
                + 0.05 * (supporting.saturating_sub(1).min(2)) as f64
        }
        Status::Partial => 0.45 + 0.3 * met as f64 / total as f64 + if heading { 0.1 } else { 0.0 },
        Status::Missing if no_windows => 0.9,
        Status::Missing => 0.75,
        Status::NotApplicable => 0.8,
    };
    (value.min(0.95) * 100.0).round() / 100.0
}

fn judge_title(mut verdict: Verdict, groups: &[Vec<Cue>], ctx: &Context<'_, '_>) -> Verdict {
    let Some((title, span)) = &ctx.title else {
        verdict.confidence = 0.85;
        verdict.unmet = verdict
            .item
            .groups
            .iter()
            .map(|g| g.need.as_str())
            .collect();
        return verdict;
    };
    let lower = title.to_ascii_lowercase();
    let met: Vec<bool> = groups
        .iter()
        .map(|g| {
            g.iter().any(|cue| match cue {
                Cue::Shape(Detector::Title) => title.split_whitespace().count() >= 4,
                Cue::Shape(d) => d.find(title).is_some(),
                Cue::Phrase(id) => ctx.hits.any_in(*id, span) || phrase_in(&lower, ctx, *id),
            })
        })
        .collect();
    conclude(&mut verdict, &met);
    verdict.confidence = if verdict.status == Status::Addressed {
        0.85
    } else {
        0.7
    };
    verdict.evidence.push(span.clone());
    verdict
}

/// A phrase inside a title that is not at its place in the text (titles
/// taken from a `Title:` label are found where they stand).
fn phrase_in(lower_title: &str, ctx: &Context<'_, '_>, id: usize) -> bool {
    let doc = Document::new(lower_title);
    !ctx.cues.find(&doc).of(id).is_empty()
}

fn heading_windows(
    headings: &[usize],
    ctx: &Context<'_, '_>,
    verdict: &mut Verdict,
) -> Vec<Window> {
    let mut found: Vec<usize> = Vec::new();
    for &id in headings {
        for &at in ctx.hits.of(id) {
            let index = ctx
                .doc
                .sections
                .partition_point(|s| s.heading.span.start <= at);
            let Some(i) = index.checked_sub(1) else {
                continue;
            };
            if ctx.doc.sections[i].heading.span.contains(&at) && !found.contains(&i) {
                found.push(i);
            }
        }
    }
    found.sort_unstable();
    let mut windows = Vec::new();
    for i in found {
        let section = &ctx.doc.sections[i];
        let end = document::floor_boundary(
            ctx.doc.text,
            section.body.end.min(section.body.start + SECTION_WINDOW),
        );
        let body = section.body.start..end;
        let text = ctx.doc.slice(&body);
        if document::is_blank(text) || (text.len() < 400 && placeholders::is_placeholder_only(text))
        {
            verdict
                .empty_heading
                .get_or_insert(section.heading.span.clone());
            continue;
        }
        if verdict.heading.is_none() {
            verdict.heading = Some(section.heading.title.clone());
        }
        let first = ctx.doc.sentence_at(body.start + 1);
        let focus = ctx
            .doc
            .sentences
            .get(first)
            .filter(|s| s.start < body.end)
            .cloned()
            .unwrap_or_else(|| section.heading.span.clone());
        windows.push(Window {
            range: body,
            focus,
            anchor: None,
            heading: Some(i),
            met: Vec::new(),
        });
    }
    windows
}

fn anchor_windows(item: &Item, anchors: &[usize], ctx: &Context<'_, '_>) -> Vec<Window> {
    let doc = ctx.doc;
    let mut positions: Vec<(usize, usize)> = Vec::new();
    for &id in anchors {
        positions.extend(ctx.hits.of(id).iter().take(MAX_WINDOWS).map(|&p| (p, id)));
    }
    positions.sort_unstable();
    // What the background says of other trials is not this trial's plan.
    let methods_item = !item.section.starts_with("Introduction");
    let mut used_sentences = Vec::new();
    let mut windows = Vec::new();
    for (at, id) in positions {
        if windows.len() == MAX_WINDOWS {
            break;
        }
        if methods_item && doc.in_background(at) {
            continue;
        }
        let len = ctx.cues.phrase_len(id);
        let s = doc.sentence_at(at);
        if used_sentences.last() == Some(&s) || used_sentences.contains(&s) {
            continue;
        }
        used_sentences.push(s);
        // "IND Sponsor: _____" names the item but says nothing about it.
        if placeholders::is_placeholder_only(doc.slice(&doc.sentences[s])) {
            continue;
        }
        let first = s.saturating_sub(1);
        let last = (s + 2).min(doc.sentences.len() - 1);
        let start = doc.sentences[first]
            .start
            .max(at.saturating_sub(ANCHOR_BEFORE));
        let end = doc.sentences[last].end.min(at + len + ANCHOR_AFTER);
        windows.push(Window {
            range: document::floor_boundary(doc.text, start)
                ..document::floor_boundary(doc.text, end),
            focus: doc.sentences[s].clone(),
            anchor: Some((id, at..at + len)),
            heading: None,
            met: Vec::new(),
        });
    }
    windows
}

/// Whether a passage shows any of a group's cues (the anchor's own words
/// excepted: "compliance" does not show how compliance is monitored).
fn meets(group: &[Cue], w: &Window, ctx: &Context<'_, '_>) -> bool {
    group.iter().any(|cue| match cue {
        Cue::Phrase(id) => match &w.anchor {
            None => ctx.hits.any_in(*id, &w.range),
            Some((anchor_id, _)) if anchor_id == id => ctx.hits.any_in(*id, &w.range),
            Some((_, anchor)) => {
                let before = w.range.start..anchor.start;
                let after = anchor.end..w.range.end;
                ctx.hits.first_in(ctx.cues, *id, &before).is_some()
                    || ctx.hits.first_in(ctx.cues, *id, &after).is_some()
            }
        },
        Cue::Shape(Detector::Title) => ctx.title.is_some(),
        Cue::Shape(d) => d.find(ctx.doc.slice(&w.range)).is_some(),
    })
}
