//! Judging one checklist item. The rules find the passages where the item
//! could be reported (its own section under a matching heading, or the
//! sentences around a phrase that announces it) and see which of its
//! requirements each passage and each sentence meets; those observations
//! become features (`observe`), and the learned model in `model` weighs
//! them into the probability that the item is reported. The verdict then
//! follows from the probability and the evidence:
//! - reported only where some passage meets a requirement: a heading with
//!   nothing under it, or only placeholders, is missing;
//! - reported with every requirement met and a high probability is
//!   addressed; with some unmet, deferred to another document, or less
//!   sure, partial;
//! - an item the detected design rules out is not applicable.

use std::cell::{OnceCell, RefCell};
use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

use serde::Serialize;

use super::checklist::{Applies, Item, Scope};
use super::cues::{Cue, Cues, Detector, Hits};
use super::design::{Design, DocumentKind};
use super::document::{self, Document};
use super::knowledge;
use super::model::{self, Feature};
use super::quality::placeholders;

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
    /// The probability that the verdict (reported or not) is right.
    pub confidence: f64,
    /// Byte ranges of the sentences that show it: one per requirement met.
    pub evidence: Vec<Range<usize>>,
    /// What the item needs that was not found.
    pub unmet: Vec<&'static str>,
    /// The document's own heading for this item, if it has one.
    pub heading: Option<String>,
    /// A heading for this item with nothing under it.
    pub empty_heading: Option<Range<usize>>,
    /// Why the item does not apply.
    pub not_applicable: Option<&'static str>,
    /// The other document the text defers the item to, and where it says so.
    pub deferral: Option<(&'static str, Range<usize>)>,
    /// The sentences the rules would read for this item, best first, at
    /// most `MAX_CANDIDATES` whatever the verdict: what a model provider is
    /// shown instead of the whole text.
    pub candidates: Vec<Range<usize>>,
}

/// How many candidate sentences an item keeps for a model provider.
pub const MAX_CANDIDATES: usize = 4;

/// A passage and what it shows.
struct Window {
    range: Range<usize>,
    /// The sentence that meets most of the item's requirements (the
    /// anchor's own sentence for a passage found by an anchor).
    focus: Range<usize>,
    /// The anchor that found it (phrase id and place). Its words count
    /// only for a group that lists that same phrase: "compliance" does not
    /// show how compliance is monitored, but "intention to treat" is itself
    /// an analysis population.
    anchor: Option<(usize, Range<usize>)>,
    heading: Option<usize>,
    met: Vec<bool>,
    /// Requirements met within the focus sentence alone.
    focus_met: Vec<bool>,
}

impl Window {
    fn count(&self) -> usize {
        self.met.iter().filter(|&&m| m).count()
    }
    fn focus_count(&self) -> usize {
        self.focus_met.iter().filter(|&&m| m).count()
    }
}

/// A feature name with its hash, worked out once.
struct Named {
    hash: u64,
    name: String,
}

impl Named {
    fn new(name: String) -> Named {
        Named {
            hash: model::hash(name.as_bytes()),
            name,
        }
    }
}

/// An item's cue names resolved to cues once, not on every analysis, with
/// the names of the features they give.
struct Resolved {
    headings: Vec<usize>,
    /// Anchor phrase ids and their `a:` features.
    anchors: Vec<(usize, Named)>,
    groups: Vec<Vec<Cue>>,
    /// The `cue:` features, parallel to `groups`.
    cue_features: Vec<Vec<Named>>,
    /// `gN` and `sN` per group.
    group_features: Vec<(Named, Named)>,
    /// Every phrase of the item (headings, anchors, cues) once, with its
    /// `k:` feature.
    vocabulary: Vec<(usize, Named)>,
}

fn resolved(item: &Item, cues: &Cues) -> &'static Resolved {
    static RESOLVED: OnceLock<Vec<Resolved>> = OnceLock::new();
    let all = RESOLVED.get_or_init(|| {
        let phrase = |name: &String| match cues.cue(name) {
            Some(Cue::Phrase(id)) => Some(id),
            _ => None,
        };
        super::checklist::items()
            .iter()
            .map(|i| {
                let mut groups = Vec::new();
                let mut cue_features = Vec::new();
                for g in &i.groups {
                    let (cs, ns): (Vec<Cue>, Vec<Named>) = g
                        .cues
                        .iter()
                        .filter_map(|c| {
                            cues.cue(c).map(|cue| (cue, Named::new(format!("cue:{c}"))))
                        })
                        .unzip();
                    groups.push(cs);
                    cue_features.push(ns);
                }
                let mut vocabulary: Vec<(usize, Named)> = Vec::new();
                for name in i
                    .headings
                    .iter()
                    .chain(&i.anchors)
                    .chain(i.groups.iter().flat_map(|g| &g.cues))
                {
                    if let Some(id) = phrase(name)
                        && !vocabulary.iter().any(|(v, _)| *v == id)
                    {
                        vocabulary.push((id, Named::new(format!("k:{name}"))));
                    }
                }
                Resolved {
                    headings: i.headings.iter().filter_map(phrase).collect(),
                    anchors: i
                        .anchors
                        .iter()
                        .filter_map(|a| phrase(a).map(|id| (id, Named::new(format!("a:{a}")))))
                        .collect(),
                    group_features: (0..groups.len())
                        .map(|g| (Named::new(format!("g{g}")), Named::new(format!("s{g}"))))
                        .collect(),
                    groups,
                    cue_features,
                    vocabulary,
                }
            })
            .collect()
    });
    &all[item.index]
}

/// What a sentence holds, worked out once however many items look at it.
#[derive(Clone, Default)]
struct SentenceInfo {
    /// Hashes of its word features (`w:…`), sorted, without repeats.
    words: Vec<u64>,
    names: Vec<String>,
    negated: bool,
    deferral: Option<&'static str>,
}

pub struct Context<'d, 'a> {
    pub doc: &'d Document<'a>,
    pub cues: &'static Cues,
    pub hits: &'d Hits,
    pub design: Design,
    pub title: Option<(&'d str, Range<usize>)>,
    /// `log(1 + words)`, the document's length.
    pub length: f32,
    /// Keep feature names (for training); the analyzer needs only hashes.
    pub keep_names: bool,
    sentences: Vec<OnceCell<SentenceInfo>>,
    /// Per phrase: where it first occurs in a sentence of the body (not a
    /// heading line, not the background, not a placeholder-only line).
    present: Vec<OnceCell<Option<usize>>>,
    /// The cues found in the title read on its own.
    title_hits: OnceLock<Hits>,
    /// Per sentence: whether it says nothing but a placeholder. Items
    /// read the same sentences over and over, and the pattern is costly
    /// to run on a short text.
    placeholder_only: Vec<OnceCell<bool>>,
    /// Per section: whether the passage under its heading (the body, cut
    /// to `section_bytes`) says nothing, and whether its own body does.
    empty_passage: Vec<OnceCell<bool>>,
    empty_own_body: Vec<OnceCell<bool>>,
    /// The lines of headings with nothing (or only placeholders) under
    /// them, in text order.
    empty_headings: OnceCell<Vec<Range<usize>>>,
    /// Whether a shape occurs in a range (detector, start, end): passages
    /// and focus sentences recur across the items and their cues.
    shapes: RefCell<HashMap<(Detector, usize, usize), bool>>,
}

impl<'d, 'a> Context<'d, 'a> {
    pub fn new(
        doc: &'d Document<'a>,
        cues: &'static Cues,
        hits: &'d Hits,
        design: Design,
        title: Option<(&'d str, Range<usize>)>,
    ) -> Self {
        let words = doc.words;
        Context {
            doc,
            cues,
            hits,
            design,
            title,
            length: ((1 + words) as f32).ln(),
            keep_names: false,
            sentences: vec![OnceCell::new(); doc.sentences.len()],
            present: vec![OnceCell::new(); cues.len()],
            title_hits: OnceLock::new(),
            placeholder_only: vec![OnceCell::new(); doc.sentences.len()],
            empty_passage: vec![OnceCell::new(); doc.sections.len()],
            empty_own_body: vec![OnceCell::new(); doc.sections.len()],
            empty_headings: OnceCell::new(),
            shapes: RefCell::new(HashMap::new()),
        }
    }

    /// Whether sentence `index` says nothing but a placeholder.
    fn placeholder_sentence(&self, index: usize) -> bool {
        *self.placeholder_only[index].get_or_init(|| {
            placeholders::is_placeholder_only(self.doc.slice(&self.doc.sentences[index]))
        })
    }

    /// The passage under section `index`'s heading: its body, cut to
    /// `section_bytes`.
    fn section_passage(&self, index: usize) -> Range<usize> {
        let body = &self.doc.sections[index].body;
        let end = document::floor_boundary(
            self.doc.text,
            body.end
                .min(body.start + knowledge::get().windows.section_bytes),
        );
        body.start..end
    }

    /// Whether the passage under section `index`'s heading says nothing.
    fn empty_passage(&self, index: usize) -> bool {
        *self.empty_passage[index]
            .get_or_init(|| says_nothing(self.doc.slice(&self.section_passage(index))))
    }

    /// Whether section `index`'s own body (up to its first subsection)
    /// says nothing.
    fn empty_own_body(&self, index: usize) -> bool {
        *self.empty_own_body[index]
            .get_or_init(|| says_nothing(self.doc.slice(&self.doc.sections[index].own_body)))
    }

    /// Whether byte `at` stands in the line of a heading with nothing (or
    /// only placeholders) under it.
    fn in_empty_heading(&self, at: usize) -> bool {
        let lines = self.empty_headings.get_or_init(|| {
            (0..self.doc.sections.len())
                .filter(|&i| self.empty_own_body(i))
                .map(|i| self.doc.sections[i].heading.span.clone())
                .collect()
        });
        let i = lines.partition_point(|r| r.end <= at);
        lines.get(i).is_some_and(|r| r.start <= at)
    }

    /// The first occurrence of phrase `id` wholly inside `range` that says
    /// something: a heading with nothing under it names a requirement
    /// without meeting it ("Inclusion criteria" over no criteria).
    fn first_said_in(&self, id: usize, range: &Range<usize>) -> Option<Range<usize>> {
        self.hits
            .within(self.cues, id, range)
            .find(|r| !self.in_empty_heading(r.start))
    }

    /// Whether shape `d` occurs in the text of `range`.
    fn shape_in(&self, d: Detector, range: &Range<usize>) -> bool {
        let key = (d, range.start, range.end);
        if let Some(&found) = self.shapes.borrow().get(&key) {
            return found;
        }
        let found = d.find(self.doc.slice(range)).is_some();
        self.shapes.borrow_mut().insert(key, found);
        found
    }

    /// Whether phrase `id` is in the title, read on its own (a title taken
    /// from a `Title:` label need not stand in the text as such).
    fn in_title(&self, id: usize) -> bool {
        let hits = self.title_hits.get_or_init(|| {
            let lower = self
                .title
                .as_ref()
                .map(|(t, _)| t.to_ascii_lowercase())
                .unwrap_or_default();
            let doc = Document::new(&lower);
            self.cues.find(&doc)
        });
        !hits.of(id).is_empty()
    }

    /// Where phrase `id` first occurs in the body, if it does.
    fn present(&self, id: usize) -> Option<usize> {
        *self.present[id].get_or_init(|| {
            self.hits
                .of(id)
                .iter()
                .take(knowledge::get().windows.max_windows)
                .copied()
                .find(|&at| self.in_body(at))
        })
    }

    /// Whether byte `at` stands in a sentence of the body: not a heading
    /// line, not the background, not a placeholder.
    fn in_body(&self, at: usize) -> bool {
        let doc = self.doc;
        if doc.in_background(at) {
            return false;
        }
        if doc
            .section_at(at)
            .is_some_and(|s| s.heading.span.contains(&at))
        {
            return false;
        }
        let index = doc.sentence_at(at);
        let sentence = doc.slice(&doc.sentences[index]);
        let min_words = knowledge::get().windows.min_body_words;
        sentence.split_whitespace().take(min_words).count() >= min_words
            && !self.placeholder_sentence(index)
    }

    fn sentence(&self, index: usize) -> &SentenceInfo {
        self.sentences[index]
            .get_or_init(|| sentence_info(self.doc, &self.doc.sentences[index], self.keep_names))
    }
}

/// The stop words as a set: every word of every sentence read is looked up.
fn stopwords() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| {
        knowledge::get()
            .words
            .stopwords
            .iter()
            .map(String::as_str)
            .collect()
    })
}

/// A section body with no words of its own, or (short) only placeholders.
fn says_nothing(body: &str) -> bool {
    document::is_blank(body)
        || (body.len() < knowledge::get().windows.placeholder_section_bytes
            && placeholders::is_placeholder_only(body))
}

fn sentence_info(doc: &Document<'_>, range: &Range<usize>, keep_names: bool) -> SentenceInfo {
    let k = knowledge::get();
    let lower = &doc.lower[document::floor_boundary(doc.text, range.start)
        ..document::floor_boundary(doc.text, range.end)];
    let tokens = tokens(lower);
    let negated = tokens
        .iter()
        .any(|t| k.words.negation.iter().any(|n| n == t));
    let deferral = k
        .deferral
        .iter()
        .find(|d| d.in_sentence(lower))
        .map(|d| d.document.as_str());
    let kept: Vec<&str> = tokens
        .into_iter()
        .filter(|t| !stopwords().contains(t))
        .collect();
    // `w:word` and `w:word next`, hashed as they stream (FNV continues
    // where the unigram's hash left off); names only for training.
    let mut words: Vec<u64> = Vec::with_capacity(kept.len() * 2);
    let mut names: Vec<(u64, String)> = Vec::new();
    for (i, t) in kept.iter().enumerate() {
        let unigram = model::hash_more(model::hash(b"w:"), t.as_bytes());
        words.push(unigram);
        if keep_names {
            names.push((unigram, format!("w:{t}")));
        }
        if let Some(next) = kept.get(i + 1) {
            let bigram = model::hash_more(model::hash_more(unigram, b" "), next.as_bytes());
            words.push(bigram);
            if keep_names {
                names.push((bigram, format!("w:{t} {next}")));
            }
        }
    }
    words.sort_unstable();
    words.dedup();
    let names = if keep_names {
        names.sort_unstable();
        names.dedup_by_key(|(h, _)| *h);
        names.into_iter().map(|(_, n)| n).collect()
    } else {
        Vec::new()
    };
    SentenceInfo {
        words,
        names,
        negated,
        deferral,
    }
}

/// Lowercase words: runs of letters and digits; a word with a digit in it
/// becomes `0`, so that "120 participants" and "64 participants" agree.
fn tokens(lower: &str) -> Vec<&str> {
    lower
        .split(|c: char| !(c.is_alphanumeric() || c == '-'))
        .map(|t| t.trim_matches('-'))
        .filter(|t| !t.is_empty())
        .map(|t| {
            if t.bytes().any(|c| c.is_ascii_digit()) {
                "0"
            } else {
                t
            }
        })
        .collect()
}

/// What the rules saw of one item: its passages, what they meet, and the
/// features the model weighs.
#[derive(Clone, Debug)]
pub struct Observation {
    pub item: &'static Item,
    pub features: Vec<Feature>,
    /// The features' names, when the context keeps them.
    pub names: Vec<String>,
    /// Some passage speaks of the item: a section under its heading with
    /// words of its own, or the sentences around one of its anchors.
    pub passage: bool,
    /// The item's words found in sentences of the body (feature name hash,
    /// sentence), for an item reported without a passage of its own.
    pub vocabulary: Vec<(u64, Range<usize>)>,
    /// Which requirements were met (in the best passage, or anywhere for a
    /// document-scope item).
    pub met: Vec<bool>,
    pub design_na: Option<&'static str>,
    evidence: Vec<Range<usize>>,
    /// The focus sentences of the best passages, best first.
    passages: Vec<Range<usize>>,
    heading: Option<String>,
    empty_heading: Option<Range<usize>>,
    deferral: Option<(&'static str, Range<usize>)>,
}

struct Features<'n> {
    list: Vec<Feature>,
    names: Option<&'n mut Vec<String>>,
}

impl Features<'_> {
    fn push(&mut self, name: &str, value: f32, shared: bool) {
        if value == 0.0 {
            return;
        }
        self.list.push(Feature {
            name: model::hash(name.as_bytes()),
            value,
            shared,
        });
        if let Some(names) = self.names.as_deref_mut() {
            names.push(name.to_owned());
        }
    }
    /// An item-only feature whose name was hashed beforehand.
    fn named(&mut self, named: &Named) {
        self.list.push(Feature {
            name: named.hash,
            value: 1.0,
            shared: false,
        });
        if let Some(names) = self.names.as_deref_mut() {
            names.push(named.name.clone());
        }
    }
    fn flag(&mut self, name: &str, on: bool) {
        self.push(name, if on { 1.0 } else { 0.0 }, true);
    }
}

/// Windows ranked best first: most requirements met, then most met in one
/// sentence, then under the item's own heading, then earliest.
fn ranked(windows: &[Window]) -> Vec<&Window> {
    let mut ranked: Vec<&Window> = windows.iter().collect();
    ranked.sort_by_cached_key(|w| {
        (
            std::cmp::Reverse(w.count()),
            std::cmp::Reverse(w.focus_count()),
            w.heading.is_none(),
            w.range.start,
        )
    });
    ranked
}

pub fn observe(item: &'static Item, ctx: &Context<'_, '_>) -> Observation {
    let k = knowledge::get();
    let resolved = resolved(item, ctx.cues);
    let groups = &resolved.groups;
    let total = groups.len();
    let mut names = Vec::new();
    let mut f = Features {
        list: Vec::with_capacity(128),
        names: ctx.keep_names.then_some(&mut names),
    };
    let design_na = not_applicable(item, &ctx.design);
    let mut heading = None;
    let mut empty_heading = None;
    let windows = if item.scope == Scope::Title {
        title_windows(groups, ctx)
    } else {
        let mut windows =
            heading_windows(&resolved.headings, ctx, &mut heading, &mut empty_heading);
        let anchors: Vec<usize> = resolved.anchors.iter().map(|(id, _)| *id).collect();
        windows.extend(anchor_windows(item, &anchors, ctx));
        for w in &mut windows {
            w.met = groups
                .iter()
                .map(|g| meets(g, &w.range, &w.anchor, ctx))
                .collect();
            w.focus_met = vec![false; groups.len()];
        }
        // Only the most promising passages are read sentence by sentence.
        let mut order: Vec<usize> = (0..windows.len()).collect();
        order.sort_by_cached_key(|&i| {
            let w = &windows[i];
            (
                std::cmp::Reverse(w.count()),
                w.heading.is_none(),
                w.range.start,
            )
        });
        for &i in order.iter().take(k.windows.candidates) {
            let (focus, met) = best_sentence(groups, &windows[i], ctx);
            windows[i].focus = focus;
            windows[i].focus_met = met;
        }
        windows
    };
    let ranked = ranked(&windows);
    let met: Vec<bool> = match item.scope {
        Scope::Document => (0..total)
            .map(|g| windows.iter().any(|w| w.met[g]))
            .collect(),
        _ => ranked
            .first()
            .map_or_else(|| vec![false; total], |w| w.met.clone()),
    };
    let frac = |n: usize| n as f32 / total.max(1) as f32;
    let n_met = met.iter().filter(|&&m| m).count();
    // A passage under the item's heading or around its anchor, with words
    // of its own (empty and placeholder-only ones were never passages).
    let evident_passage = !windows.is_empty();
    let anywhere: Vec<bool> = (0..total)
        .map(|g| windows.iter().any(|w| w.met[g]))
        .collect();
    let best_sentence = ranked.iter().map(|w| w.focus_count()).max().unwrap_or(0);
    let top: Vec<&Window> = ranked.iter().take(k.windows.top).copied().collect();
    let infos: Vec<&SentenceInfo> = top
        .iter()
        .map(|w| ctx.sentence(ctx.doc.sentence_at(w.focus.start)))
        .collect();
    let deferral = top
        .iter()
        .zip(&infos)
        .find_map(|(w, info)| info.deferral.map(|d| (d, w.focus.clone())));
    // Deferred only when no passage as good states it without deferring.
    let deferral = deferral.filter(|_| {
        !top.iter()
            .zip(&infos)
            .any(|(w, info)| info.deferral.is_none() && w.count() == total)
    });

    f.flag("bias", true);
    f.flag("none", !evident_passage);
    f.flag("unmet", evident_passage && n_met == 0);
    f.flag("heading", heading.is_some());
    f.flag(
        "heading_met",
        windows.iter().any(|w| w.heading.is_some() && w.count() > 0),
    );
    f.flag(
        "empty_heading",
        heading.is_none() && empty_heading.is_some(),
    );
    let anchored = windows.iter().filter(|w| w.anchor.is_some()).count();
    f.push(
        "anchors",
        (((1 + anchored) as f32).ln() / 16f32.ln()).min(1.0),
        true,
    );
    let supporting = windows.iter().filter(|w| w.count() == total).count();
    f.push(
        "supporting",
        (((1 + supporting) as f32).ln() / 8f32.ln()).min(1.0),
        true,
    );
    f.push("best_frac", frac(n_met), true);
    f.flag("best_all", n_met == total);
    f.push(
        "doc_frac",
        frac(anywhere.iter().filter(|&&m| m).count()),
        true,
    );
    f.push("sent_frac", frac(best_sentence), true);
    f.flag("sent_all", best_sentence == total);
    f.flag("deferral", deferral.is_some());
    f.flag("negation", infos.first().is_some_and(|i| i.negated));
    f.flag("design_na", design_na.is_some());
    f.push("length", ctx.length / 10.0, true);
    for ((m, (gn, sn)), g) in anywhere.iter().zip(&resolved.group_features).zip(0..) {
        if *m {
            f.named(gn);
        }
        if ranked
            .first()
            .is_some_and(|w| w.focus_met.get(g) == Some(&true))
        {
            f.named(sn);
        }
    }
    // Which anchors found passages, which cues the best passage shows,
    // the words of the headings above and of the best sentences.
    let mut seen_anchor: Vec<usize> = Vec::new();
    for w in &windows {
        if let Some((id, _)) = w.anchor
            && w.count() > 0
            && !seen_anchor.contains(&id)
        {
            seen_anchor.push(id);
        }
    }
    for (id, named) in &resolved.anchors {
        if seen_anchor.contains(id) {
            f.named(named);
        }
    }
    // The item's own vocabulary anywhere in the text, wherever the
    // passages are: the words a methodologist would search for.
    let mut vocabulary: Vec<(u64, Range<usize>)> = Vec::new();
    for (id, named) in &resolved.vocabulary {
        if let Some(at) = ctx.present(*id) {
            f.named(named);
            vocabulary.push((
                named.hash,
                ctx.doc.sentences[ctx.doc.sentence_at(at)].clone(),
            ));
        }
    }
    if let Some(best) = ranked.first() {
        for (g, cues) in groups.iter().enumerate() {
            for (c, cue) in cues.iter().enumerate() {
                if meets(std::slice::from_ref(cue), &best.focus, &best.anchor, ctx) {
                    f.named(&resolved.cue_features[g][c]);
                }
            }
        }
    }
    let mut words: Vec<(u64, Option<&str>)> = Vec::new();
    for info in &infos {
        for (i, h) in info.words.iter().enumerate() {
            words.push((*h, info.names.get(i).map(String::as_str)));
        }
    }
    for w in &top {
        if let Some(section) = ctx.doc.section_at(w.focus.start) {
            let title = section.heading.title.to_lowercase();
            for t in tokens(&title) {
                if t.len() > 2 && !stopwords().contains(t) {
                    let name = format!("h:{t}");
                    f.push(&name, 1.0, false);
                }
            }
        }
    }
    words.sort_unstable_by_key(|(h, _)| *h);
    words.dedup_by_key(|(h, _)| *h);
    for (h, name) in words {
        f.list.push(Feature {
            name: h,
            value: 1.0,
            shared: false,
        });
        if let Some(names) = f.names.as_deref_mut() {
            names.push(name.unwrap_or_default().to_owned());
        }
    }
    // Heading words may repeat across windows: keep each feature once.
    dedup_features(&mut f.list, f.names.as_deref_mut());

    let mut evidence = requirement_evidence(groups, &ranked, &met, ctx);
    if evidence.is_empty() {
        evidence.extend(ranked.first().map(|w| w.focus.clone()));
    }
    let passages = ranked
        .iter()
        .take(MAX_CANDIDATES)
        .map(|w| w.focus.clone())
        .collect();
    Observation {
        passages,
        item,
        features: f.list,
        names,
        passage: evident_passage,
        vocabulary,
        met,
        design_na,
        evidence,
        heading,
        empty_heading,
        deferral,
    }
}

fn dedup_features(list: &mut Vec<Feature>, names: Option<&mut Vec<String>>) {
    let mut seen: std::collections::HashSet<u64, std::hash::BuildHasherDefault<model::Prehashed>> =
        std::collections::HashSet::default();
    let keep: Vec<bool> = list.iter().map(|f| seen.insert(f.name)).collect();
    let mut i = 0;
    list.retain(|_| {
        i += 1;
        keep[i - 1]
    });
    if let Some(names) = names {
        let mut i = 0;
        names.retain(|_| {
            i += 1;
            keep[i - 1]
        });
    }
}

/// One sentence per requirement met: the sentence in the best passage
/// holding the first cue that meets it.
fn requirement_evidence(
    groups: &[Vec<Cue>],
    ranked: &[&Window],
    met: &[bool],
    ctx: &Context<'_, '_>,
) -> Vec<Range<usize>> {
    let mut evidence: Vec<Range<usize>> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        if !met.get(g).copied().unwrap_or(false) {
            continue;
        }
        let Some(w) = ranked.iter().find(|w| w.met[g]) else {
            continue;
        };
        // The focus sentence if it meets the requirement itself, else the
        // sentence holding the cue.
        let sentence = if w.focus_met.get(g) == Some(&true) {
            Some(w.focus.clone())
        } else {
            locate(group, w, ctx).map(|at| {
                if w.heading.is_none() && w.anchor.is_none() {
                    w.focus.clone()
                } else {
                    ctx.doc.sentences[ctx.doc.sentence_at(at)].clone()
                }
            })
        };
        if let Some(s) = sentence
            && !evidence.contains(&s)
        {
            evidence.push(s);
        }
    }
    evidence
}

/// Where in a passage a group's first cue stands.
fn locate(group: &[Cue], w: &Window, ctx: &Context<'_, '_>) -> Option<usize> {
    group
        .iter()
        .filter_map(|cue| match cue {
            Cue::Phrase(id) => ctx.first_said_in(*id, &w.range).map(|r| r.start),
            Cue::Shape(Detector::Title) => None,
            Cue::Shape(d) => d
                .find(ctx.doc.slice(&w.range))
                .map(|r| w.range.start + r.start),
        })
        .min()
}

/// The verdict on one item.
pub fn judge(item: &'static Item, ctx: &Context<'_, '_>) -> Verdict {
    let obs = observe(item, ctx);
    let m = model::model();
    let p = m.probability(item.guideline, m.score(item, &obs.features));
    let scope = model::item_scope(item);
    verdict(obs, p, |name| m.weight(model::key(scope, name)))
}

/// The verdict from an observation, the probability that the item is
/// reported, and the item's own weight of a feature (by name hash).
pub fn verdict(mut obs: Observation, p: f64, weight: impl Fn(u64) -> f64) -> Verdict {
    let item = obs.item;
    if !obs.passage {
        // No passage of its own: the sentence holding the word the model
        // counts most for the item, if any counts for it at all.
        let strongest = obs
            .vocabulary
            .iter()
            .map(|(name, sentence)| (weight(*name), sentence))
            .filter(|(w, _)| *w > 0.0)
            .max_by(|a, b| a.0.total_cmp(&b.0).then(b.1.start.cmp(&a.1.start)));
        obs.evidence = strongest.map(|(_, s)| s.clone()).into_iter().collect();
    }
    let status = status(&obs, p);
    let reported = matches!(status, Status::Addressed | Status::Partial);
    let candidates = candidates(&obs, &weight);
    let unmet: Vec<&'static str> = item
        .groups
        .iter()
        .zip(&obs.met)
        .filter(|(_, m)| !**m)
        .map(|(g, _)| g.need.as_str())
        .collect();
    let confidence = if reported { p } else { 1.0 - p };
    Verdict {
        item,
        status,
        confidence: (confidence.clamp(0.0, 1.0) * 100.0).round() / 100.0,
        evidence: if reported { obs.evidence } else { Vec::new() },
        unmet: if status == Status::NotApplicable {
            Vec::new()
        } else {
            unmet
        },
        heading: obs.heading,
        empty_heading: obs.empty_heading,
        not_applicable: (status == Status::NotApplicable)
            .then_some(obs.design_na)
            .flatten(),
        deferral: if reported { obs.deferral } else { None },
        candidates,
    }
}

/// The sentences worth showing a reader who must judge the item: the
/// evidence, then the best passages' focus sentences, then the sentences
/// holding the item's strongest words; each once, at most `MAX_CANDIDATES`.
fn candidates(obs: &Observation, weight: &impl Fn(u64) -> f64) -> Vec<Range<usize>> {
    let mut words: Vec<(f64, &Range<usize>)> = obs
        .vocabulary
        .iter()
        .map(|(name, sentence)| (weight(*name), sentence))
        .filter(|(w, _)| *w > 0.0)
        .collect();
    words.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.start.cmp(&b.1.start)));
    let mut out: Vec<Range<usize>> = Vec::new();
    for r in obs
        .evidence
        .iter()
        .chain(&obs.passages)
        .chain(words.iter().map(|(_, s)| *s))
    {
        if out.len() == MAX_CANDIDATES {
            break;
        }
        if !r.is_empty() && !out.iter().any(|o| o.start < r.end && r.start < o.end) {
            out.push(r.clone());
        }
    }
    out
}

/// Reported needs both the model's word and some evidence; every
/// requirement met and nothing deferred is addressed.
pub fn status(obs: &Observation, p: f64) -> Status {
    let evident = obs.passage || !obs.evidence.is_empty();
    // The design is knowledge, not a guess to outvote: allocation
    // concealment cannot apply to a single-group study.
    if obs.design_na.is_some() {
        Status::NotApplicable
    } else if evident && p >= knowledge::get().verdicts.reported {
        if obs.met.iter().all(|&m| m)
            && obs.deferral.is_none()
            && p >= knowledge::get().verdicts.addressed
        {
            Status::Addressed
        } else {
            Status::Partial
        }
    } else {
        Status::Missing
    }
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

/// The title as the one passage of a title-scope item.
fn title_windows(groups: &[Vec<Cue>], ctx: &Context<'_, '_>) -> Vec<Window> {
    let Some((title, span)) = &ctx.title else {
        return Vec::new();
    };
    let met: Vec<bool> = groups
        .iter()
        .map(|g| {
            g.iter().any(|cue| match cue {
                Cue::Shape(Detector::Title) => title.split_whitespace().count() >= 4,
                Cue::Shape(d) => d.find(title).is_some(),
                Cue::Phrase(id) => ctx.hits.any_in(*id, span) || ctx.in_title(*id),
            })
        })
        .collect();
    // A title taken from a label may stand nowhere in the text as such.
    let focus = if span.is_empty() {
        ctx.doc.sentences.first().cloned().unwrap_or(0..0)
    } else {
        span.clone()
    };
    vec![Window {
        range: span.clone(),
        focus,
        anchor: None,
        heading: None,
        focus_met: met.clone(),
        met,
    }]
}

/// The sentence of a passage that meets most of the groups on its own.
fn best_sentence(
    groups: &[Vec<Cue>],
    w: &Window,
    ctx: &Context<'_, '_>,
) -> (Range<usize>, Vec<bool>) {
    let doc = ctx.doc;
    let judge = |s: &Range<usize>| -> Vec<bool> {
        groups.iter().map(|g| meets(g, s, &w.anchor, ctx)).collect()
    };
    if w.anchor.is_some() {
        // The anchor's own sentence: requirement cues must stand beside it.
        return (w.focus.clone(), judge(&w.focus));
    }
    let k = knowledge::get();
    let first = doc.sentence_at(w.range.start);
    let sentences: Vec<Range<usize>> = doc.sentences[first..]
        .iter()
        .take_while(|s| s.start < w.range.end)
        .take(k.windows.sentences_per_section)
        .cloned()
        .collect();
    let Some(last) = sentences.last() else {
        return (w.focus.clone(), judge(&w.focus));
    };
    let span = sentences[0].start..last.end.min(w.range.end);
    // Each cue's occurrences marked on their sentences: one pass per cue,
    // not one look per sentence and cue.
    let mut met = vec![vec![false; groups.len()]; sentences.len()];
    let mut mark = |at: usize, g: usize| {
        let i = sentences.partition_point(|s| s.end <= at);
        if let Some(row) = met.get_mut(i) {
            row[g] = true;
        }
    };
    for (g, group) in groups.iter().enumerate() {
        for cue in group {
            match cue {
                Cue::Phrase(id) => {
                    let hits = ctx.hits.of(*id);
                    let from = hits.partition_point(|&p| p < span.start);
                    for &at in hits[from..].iter().take_while(|&&p| p < span.end) {
                        mark(at, g);
                    }
                }
                Cue::Shape(Detector::Title) => {
                    if ctx.title.is_some() {
                        mark(span.start, g);
                    }
                }
                Cue::Shape(d) => {
                    for r in d.find_all(doc.slice(&span)) {
                        mark(span.start + r.start, g);
                    }
                }
            }
        }
    }
    let count = |row: &Vec<bool>| row.iter().filter(|&&m| m).count();
    let mut best = (w.focus.clone(), judge(&w.focus));
    let mut best_n = count(&best.1);
    for (s, row) in sentences.iter().zip(met) {
        let n = count(&row);
        if n > best_n {
            best_n = n;
            best = (s.clone(), row);
        }
    }
    best
}

fn heading_windows(
    headings: &[usize],
    ctx: &Context<'_, '_>,
    heading: &mut Option<String>,
    empty_heading: &mut Option<Range<usize>>,
) -> Vec<Window> {
    let k = knowledge::get();
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
            if found.len() >= k.windows.max_windows {
                break;
            }
        }
    }
    found.sort_unstable();
    let mut windows = Vec::new();
    for i in found {
        let section = &ctx.doc.sections[i];
        let body = ctx.section_passage(i);
        if ctx.empty_passage(i) {
            empty_heading.get_or_insert(section.heading.span.clone());
            continue;
        }
        if heading.is_none() {
            *heading = Some(section.heading.title.clone());
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
            focus_met: Vec::new(),
        });
    }
    windows
}

fn anchor_windows(item: &Item, anchors: &[usize], ctx: &Context<'_, '_>) -> Vec<Window> {
    let k = knowledge::get();
    let doc = ctx.doc;
    let mut positions: Vec<(usize, usize)> = Vec::new();
    for &id in anchors {
        positions.extend(
            ctx.hits
                .of(id)
                .iter()
                .take(k.windows.max_windows)
                .map(|&p| (p, id)),
        );
    }
    positions.sort_unstable();
    // What the background says of other trials is not this trial's plan.
    let methods_item = !item.section.starts_with("Introduction");
    let mut last_sentence = None;
    let mut windows = Vec::new();
    for (at, id) in positions {
        if windows.len() == k.windows.max_windows {
            break;
        }
        if methods_item && doc.in_background(at) {
            continue;
        }
        let len = ctx.cues.phrase_len(id);
        let s = doc.sentence_at(at);
        // Positions come in text order, so a sentence already used is the
        // last one used: no need to search all of them.
        if last_sentence == Some(s) {
            continue;
        }
        last_sentence = Some(s);
        // "IND Sponsor: _____" names the item but says nothing about it.
        if ctx.placeholder_sentence(s) {
            continue;
        }
        // Nor does a heading with nothing (or only placeholders) under it.
        if let Some(i) = doc.section_index_at(at)
            && doc.sections[i].heading.span.contains(&at)
            && ctx.empty_own_body(i)
        {
            continue;
        }
        let first = s.saturating_sub(1);
        let last = (s + 2).min(doc.sentences.len() - 1);
        let start = doc.sentences[first]
            .start
            .max(at.saturating_sub(k.windows.anchor_before));
        let end = doc.sentences[last]
            .end
            .min(at + len + k.windows.anchor_after);
        windows.push(Window {
            range: document::floor_boundary(doc.text, start)
                ..document::floor_boundary(doc.text, end),
            focus: doc.sentences[s].clone(),
            anchor: Some((id, at..at + len)),
            heading: None,
            met: Vec::new(),
            focus_met: Vec::new(),
        });
    }
    windows
}

/// Whether a range shows any of a group's cues (the anchor's own words
/// excepted: "compliance" does not show how compliance is monitored).
fn meets(
    group: &[Cue],
    range: &Range<usize>,
    anchor: &Option<(usize, Range<usize>)>,
    ctx: &Context<'_, '_>,
) -> bool {
    group.iter().any(|cue| match cue {
        Cue::Phrase(id) => match anchor {
            Some((anchor_id, a))
                if anchor_id != id && a.start >= range.start && a.end <= range.end =>
            {
                let before = range.start..a.start;
                let after = a.end..range.end;
                ctx.first_said_in(*id, &before).is_some()
                    || ctx.first_said_in(*id, &after).is_some()
            }
            _ => ctx.first_said_in(*id, range).is_some(),
        },
        Cue::Shape(Detector::Title) => ctx.title.is_some(),
        Cue::Shape(d) => ctx.shape_in(*d, range),
    })
}
