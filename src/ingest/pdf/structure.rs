//! The shape of a PDF, walked here before the parser walks it. The parser
//! (pdf-extract) follows a page's `/Parent` chain for inherited entries
//! and draws a form XObject (`/Name Do`) by calling itself on the form's
//! content, with no record of where it has been: a file whose page tree
//! or parent chain leads back to itself makes it loop for ever or read
//! pages twice, and a form that draws itself, directly or through others,
//! overflows the stack and aborts the whole process. Here the same walks
//! are made first, without recursion and with a record of what was seen,
//! and a file that loops or nests past a limit is refused. The walk also
//! totals the content the pages make the parser decode, each form counted
//! as often as it is drawn, so a handful of forms drawing one another
//! many times over (a "billion laughs" of drawings) is refused before any
//! page is read.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;
use std::time::Instant;

use pdf_extract::content::Content;
use pdf_extract::{Dictionary, Document, Object, ObjectId};

/// Most levels of the page tree, and of a page's parent chain (the
/// parser's own page walk stops silently at 256).
pub const MAX_TREE_DEPTH: usize = 256;
/// Most forms drawn one inside another: real files nest a few deep.
pub const MAX_FORM_DEPTH: usize = 32;
/// Most distinct (form, resources) pairs a file may make the walk visit.
const MAX_FORM_NODES: usize = 100_000;

#[derive(Debug, PartialEq)]
pub enum Fault {
    /// What loops, as the rest of a sentence after the file's name.
    Loop(&'static str),
    /// What nests too deep, and the limit.
    TooDeep(&'static str, usize),
    /// The pages make the parser decode more than the limit.
    TooMuchContent,
    /// The deadline passed at this page.
    Slow(usize),
    /// This page (numbered from 1) makes the parser decode more than the
    /// limit of one page.
    CrowdedPage(usize),
}

const TREE_LOOP: &str = "has a page tree that loops back on itself or lists a page twice";
const PARENT_LOOP: &str = "has a page whose chain of parents loops back on itself";
const FORM_LOOP: &str = "has a drawing (form XObject) that draws itself";
const PAGE_TREE: &str = "its page tree";
const NESTED_FORMS: &str = "drawings (form XObjects)";

/// Empty every image XObject. The parser reads whatever a page draws as
/// drawing instructions, an image's pixels too (they fail to parse at
/// once, unless they were made to parse): text never comes of them, and
/// emptied they cost nothing to draw, cannot hide a drawing of anything
/// else, and a page with a large photograph is not charged for it.
pub fn blank_images(doc: &mut Document, sizes: &mut HashMap<ObjectId, u64>) {
    for (id, object) in doc.objects.iter_mut() {
        if let Object::Stream(stream) = object
            && stream
                .dict
                .get(b"Subtype")
                .and_then(Object::as_name)
                .is_ok_and(|s| s == b"Image")
        {
            stream.set_content(Vec::new());
            stream.dict.remove(b"Filter");
            stream.dict.remove(b"DecodeParms");
            sizes.insert(*id, 0);
        }
    }
}

/// The document's pages in the order the parser reads them, if its page
/// tree is free of loops and not too deep.
/// A page or branch listed twice counts as a loop: the parser would read
/// it again each time.
pub fn pages(doc: &Document) -> Result<Vec<ObjectId>, Fault> {
    let mut pages = Vec::new();
    let Some(root) = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|p| p.as_reference().ok())
    else {
        return Ok(pages);
    };
    let mut seen = HashSet::from([root]);
    // Each level: the kids still to visit. Mirrors the parser's walk:
    // a kid is a page or a branch by its /Type, anything else is skipped.
    let mut stack: Vec<&[Object]> = vec![kids(doc, root)];
    while let Some(level) = stack.last_mut() {
        let Some((kid, rest)) = level.split_first() else {
            stack.pop();
            continue;
        };
        *level = rest;
        let Ok(id) = kid.as_reference() else { continue };
        let Ok(kind) = doc.get_dictionary(id).and_then(|d| d.get_type()) else {
            continue;
        };
        if !matches!(kind, b"Page" | b"Pages") {
            continue;
        }
        if !seen.insert(id) {
            return Err(Fault::Loop(TREE_LOOP));
        }
        if kind == b"Page" {
            pages.push(id);
        } else if stack.len() >= MAX_TREE_DEPTH {
            return Err(Fault::TooDeep(PAGE_TREE, MAX_TREE_DEPTH));
        } else {
            stack.push(kids(doc, id));
        }
    }
    Ok(pages)
}

fn kids(doc: &Document, id: ObjectId) -> &[Object] {
    doc.get_dictionary(id)
        .and_then(|d| d.get_deref(b"Kids", doc))
        .and_then(Object::as_array)
        .map_or(&[], |k| k.as_slice())
}

/// Check the chain of /Parent links the parser climbs for inherited
/// entries (MediaBox, Resources): no loop, not past the depth limit.
fn parent_chain(doc: &Document, page: ObjectId) -> Result<(), Fault> {
    let mut seen = HashSet::from([page]);
    let mut at = page;
    while let Some(parent) = parent(doc, at) {
        if !seen.insert(parent) {
            return Err(Fault::Loop(PARENT_LOOP));
        }
        if seen.len() > MAX_TREE_DEPTH {
            return Err(Fault::TooDeep(PAGE_TREE, MAX_TREE_DEPTH));
        }
        at = parent;
    }
    Ok(())
}

fn parent(doc: &Document, id: ObjectId) -> Option<ObjectId> {
    let parent = doc.get_dictionary(id).ok()?.get(b"Parent").ok()?;
    let parent = parent.as_reference().ok()?;
    doc.get_dictionary(parent).ok().map(|_| parent)
}

/// One level of dereference, as the parser does.
fn deref<'a>(doc: &'a Document, object: &'a Object) -> Option<&'a Object> {
    match object {
        Object::Reference(id) => doc.get_object(*id).ok(),
        other => Some(other),
    }
}

fn dict_entry<'a>(doc: &'a Document, dict: &'a Dictionary, key: &[u8]) -> Option<&'a Dictionary> {
    deref(doc, dict.get(key).ok()?)?.as_dict().ok()
}

/// A page's resources as the parser finds them: its own, or the nearest
/// ancestor's (the chain is checked already).
fn page_resources(doc: &Document, page: ObjectId) -> Option<&Dictionary> {
    let mut at = Some(page);
    while let Some(id) = at {
        let dict = doc.get_dictionary(id).ok()?;
        if let Some(resources) = dict_entry(doc, dict, b"Resources") {
            return Some(resources);
        }
        at = parent(doc, id);
    }
    None
}

/// The XObject names a content stream draws, with how often it draws each.
type Calls = Rc<[(Vec<u8>, u64)]>;

fn calls_in(content: &[u8]) -> Calls {
    let mut calls: Vec<(Vec<u8>, u64)> = Vec::new();
    // Content the parser cannot read fails there on its own (as damaged).
    let Ok(content) = Content::decode(content) else {
        return calls.into();
    };
    for op in content.operations {
        if op.operator != "Do" {
            continue;
        }
        let Some(Ok(name)) = op.operands.first().map(Object::as_name) else {
            continue;
        };
        match calls.iter_mut().find(|(n, _)| n.as_slice() == name) {
            Some((_, count)) => *count += 1,
            None => calls.push((name.to_vec(), 1)),
        }
    }
    calls.into()
}

/// A form as drawn: its stream and the resources its names resolve in
/// (its own, or, lacking them, those of whatever drew it), by address.
type Node = (ObjectId, usize);

enum Mark {
    Open,
    Done(u64),
}

/// One form being walked: what it draws, how far through, its cost so far.
struct Frame<'a> {
    node: Option<Node>,
    resources: &'a Dictionary,
    calls: Calls,
    next: usize,
    cost: u64,
}

struct Walk<'a> {
    doc: &'a Document,
    sizes: &'a HashMap<ObjectId, u64>,
    limit: u64,
    /// Most one page may cost, and the page (from 1) being walked.
    page_limit: u64,
    page: usize,
    calls: HashMap<ObjectId, Calls>,
    marks: HashMap<Node, Mark>,
}

impl<'a> Walk<'a> {
    /// The stream `name` draws from `resources`, and the resources its
    /// content resolves names in, as the parser picks them.
    fn resolve(
        &self,
        resources: &'a Dictionary,
        name: &[u8],
    ) -> Option<(ObjectId, &'a Dictionary)> {
        let xobjects = dict_entry(self.doc, resources, b"XObject")?;
        let id = xobjects.get(name).ok()?.as_reference().ok()?;
        let stream = self.doc.get_object(id).ok()?.as_stream().ok()?;
        let own = dict_entry(self.doc, &stream.dict, b"Resources");
        Some((id, own.unwrap_or(resources)))
    }

    fn calls_of(&mut self, id: ObjectId) -> Calls {
        if let Some(calls) = self.calls.get(&id) {
            return calls.clone();
        }
        let calls = match self.doc.get_object(id).and_then(Object::as_stream) {
            // Decoded as the parser decodes it (sizes are checked already).
            Ok(stream) => match stream.decompressed_content() {
                Ok(data) => calls_in(&data),
                Err(_) => calls_in(&stream.content),
            },
            Err(_) => Rc::from(Vec::new()),
        };
        self.calls.insert(id, calls.clone());
        calls
    }

    fn add(&self, a: u64, b: u64, times: u64) -> Result<u64, Fault> {
        let sum = a.saturating_add(b.saturating_mul(times));
        if sum > self.limit {
            return Err(Fault::TooMuchContent);
        }
        Ok(sum)
    }

    /// What drawing `calls` from `resources` makes the parser decode:
    /// each form's content once per time it is drawn, forms inside forms
    /// included. Walked with a stack of its own, not by recursion.
    fn cost(&mut self, calls: Calls, resources: &'a Dictionary) -> Result<u64, Fault> {
        let mut stack = vec![Frame {
            node: None,
            resources,
            calls,
            next: 0,
            cost: 0,
        }];
        loop {
            let Some(top) = stack.last_mut() else {
                return Ok(0);
            };
            if top.next == top.calls.len() {
                let (node, cost) = (top.node, top.cost);
                stack.pop();
                if let Some(node) = node {
                    self.marks.insert(node, Mark::Done(cost));
                }
                let Some(caller) = stack.last_mut() else {
                    return Ok(cost);
                };
                let times = caller.calls[caller.next].1;
                let total = self.add(caller.cost, cost, times)?;
                caller.cost = total;
                caller.next += 1;
                continue;
            }
            let (name, times) = top.calls[top.next].clone();
            let Some((id, inner)) = self.resolve(top.resources, &name) else {
                // Nothing to draw: the parser fails on it by itself.
                top.next += 1;
                continue;
            };
            let node = (id, std::ptr::from_ref(inner) as usize);
            match self.marks.get(&node) {
                Some(Mark::Open) => return Err(Fault::Loop(FORM_LOOP)),
                Some(Mark::Done(cost)) => {
                    let total = self.add(top.cost, *cost, times)?;
                    top.cost = total;
                    top.next += 1;
                }
                None => {
                    if stack.len() > MAX_FORM_DEPTH {
                        return Err(Fault::TooDeep(NESTED_FORMS, MAX_FORM_DEPTH));
                    }
                    if self.marks.len() >= MAX_FORM_NODES {
                        return Err(Fault::TooMuchContent);
                    }
                    self.marks.insert(node, Mark::Open);
                    // A drawing costs its content, and at least something;
                    // content past a page's limit is not decoded, here or
                    // by the parser.
                    let own = self.sizes.get(&id).copied().unwrap_or(0).max(1);
                    if own > self.page_limit {
                        return Err(Fault::CrowdedPage(self.page));
                    }
                    let calls = self.calls_of(id);
                    stack.push(Frame {
                        node: Some(node),
                        resources: inner,
                        calls,
                        next: 0,
                        cost: own,
                    });
                }
            }
        }
    }
}

/// Bytes of content the pages make the parser decode: each page's own
/// content, and every form it draws once per drawing, however deep. Err
/// when a page's parent chain loops, a form draws itself, forms nest past
/// the limit, one page passes `page_limit` (the parser holds a page's
/// decoded instructions at up to some eighty times their size), the total passes
/// `limit`, or `deadline` passes.
pub fn content(
    doc: &Document,
    pages: &[ObjectId],
    sizes: &HashMap<ObjectId, u64>,
    (page_limit, limit): (u64, u64),
    deadline: Instant,
) -> Result<u64, Fault> {
    let mut walk = Walk {
        doc,
        sizes,
        limit,
        page_limit,
        page: 0,
        calls: HashMap::new(),
        marks: HashMap::new(),
    };
    let mut total = 0u64;
    for (index, page) in pages.iter().enumerate() {
        if Instant::now() > deadline {
            return Err(Fault::Slow(index));
        }
        parent_chain(doc, *page)?;
        walk.page = index + 1;
        let own: u64 = doc
            .get_page_contents(*page)
            .iter()
            .map(|id| sizes.get(id).copied().unwrap_or(0))
            .sum();
        if own > page_limit {
            return Err(Fault::CrowdedPage(index + 1));
        }
        total = walk.add(total, own, 1)?;
        // Only a page that has XObjects to draw needs its content read.
        let Some(resources) = page_resources(doc, *page) else {
            continue;
        };
        if dict_entry(doc, resources, b"XObject").is_none_or(|x| x.is_empty()) {
            continue;
        }
        let Ok(data) = doc.get_page_content(*page) else {
            continue;
        };
        let drawn = walk.cost(calls_in(&data), resources)?;
        if own.saturating_add(drawn) > page_limit {
            return Err(Fault::CrowdedPage(index + 1));
        }
        total = walk.add(total, drawn, 1)?;
    }
    Ok(total)
}
