//! From positioned characters to text in reading order. The parser hands
//! over each character with its position and size; here they become lines
//! (a raised, smaller figure is a superscript of its line, written as ¹²³),
//! a page with a gutter down its middle is read column by column, running
//! headers, footers and page numbers repeated across pages are left out
//! (and counted), and lines join into paragraphs, words hyphenated across
//! a line end joined back.

use std::collections::{HashMap, HashSet};

/// One character as drawn: baseline position from the page's top-left, in points.
#[derive(Clone, Debug)]
pub struct Glyph {
    pub x: f32,
    pub y: f32,
    pub end: f32,
    pub size: f32,
    pub text: String,
}

#[derive(Default, Debug)]
pub struct Page {
    pub width: f32,
    pub height: f32,
    pub glyphs: Vec<Glyph>,
}

/// A line of text as laid out on its page.
#[derive(Clone, Debug)]
pub struct Line {
    pub x0: f32,
    pub x1: f32,
    /// Baseline, from the top of the page.
    pub y: f32,
    pub size: f32,
    pub text: String,
    /// Text runs apart by a wide gap (table cells, tab stops).
    pub spread: bool,
    /// Which column of its page (0 for a single column).
    pub column: usize,
}

/// The share of a page's height at its top and bottom where running
/// headers, footers and page numbers sit.
const MARGIN_ZONE: f32 = 0.12;
/// A line seen in the margin zone of at least this share of pages (and
/// three) is page furniture.
const REPEATED_SHARE: f32 = 0.3;

/// Lines of each page in reading order, once every page is laid out
/// (`page_lines`, as each page ends), with the running headers, footers
/// and page numbers left out; and how many furniture lines went. `pages`
/// gives each page's size.
pub fn read(mut per_page: Vec<Vec<Line>>, pages: &[Page]) -> (Vec<Vec<Line>>, usize) {
    let removed = remove_furniture(&mut per_page, pages);
    (per_page, removed)
}

fn median(mut v: Vec<f32>) -> Option<f32> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f32::total_cmp);
    Some(v[v.len() / 2])
}

/// Glyphs grouped into lines by baseline, each line's glyphs left to right.
///
/// Within a line the glyphs keep the order the page draws them in: that
/// is the reading order in the files word processors write, and it stays
/// right where the parser places a glyph a little off (after a
/// superscript, say) and sorting by position would interleave words.
fn raw_lines(glyphs: &[Glyph]) -> Vec<Vec<&Glyph>> {
    let mut sorted: Vec<(usize, &Glyph)> = glyphs
        .iter()
        .enumerate()
        .filter(|(_, g)| g.size > 0.0)
        .collect();
    sorted.sort_by(|a, b| a.1.y.total_cmp(&b.1.y).then(a.1.x.total_cmp(&b.1.x)));
    let mut lines: Vec<Vec<(usize, &Glyph)>> = Vec::new();
    let mut top = f32::MIN;
    let mut size = 0.0f32;
    for (i, g) in sorted {
        let tolerance = 0.5 * size.max(g.size);
        match lines.last_mut() {
            Some(line) if g.y - top <= tolerance => {
                line.push((i, g));
                size = size.max(g.size);
            }
            _ => {
                lines.push(vec![(i, g)]);
                top = g.y;
                size = g.size;
            }
        }
    }
    lines
        .into_iter()
        .map(|mut line| {
            line.sort_by_key(|(i, _)| *i);
            line.into_iter().map(|(_, g)| g).collect()
        })
        .collect()
}

/// Superscript digits for citation marks and exponents.
fn superscript(c: char) -> Option<char> {
    Some(match c {
        '0' => '⁰',
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '4' => '⁴',
        '5' => '⁵',
        '6' => '⁶',
        '7' => '⁷',
        '8' => '⁸',
        '9' => '⁹',
        '+' => '⁺',
        '-' | '−' => '⁻',
        '(' => '⁽',
        ')' => '⁾',
        ',' => ',',
        _ => return None,
    })
}

/// Build a line from glyphs left to right.
fn make_line(glyphs: &[&Glyph], column: usize) -> Option<Line> {
    let first = glyphs.first()?;
    let x0 = glyphs.iter().map(|g| g.x).fold(f32::MAX, f32::min);
    let x1 = glyphs.iter().map(|g| g.end).fold(f32::MIN, f32::max);
    let size = median(glyphs.iter().map(|g| g.size).collect()).unwrap_or(first.size);
    // The baseline of the line's body text: raised, smaller glyphs are superscripts.
    let baseline = median(
        glyphs
            .iter()
            .filter(|g| g.size >= size * 0.9)
            .map(|g| g.y)
            .collect(),
    )
    .unwrap_or(first.y);
    // Cells or tab stops apart: a wide gap in the line's coverage, left to right.
    let mut spans: Vec<(f32, f32)> = glyphs.iter().map(|g| (g.x, g.end)).collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut covered = f32::MIN;
    let mut spread = false;
    for (x, end) in spans {
        if covered > f32::MIN && x - covered > 2.5 * size {
            spread = true;
        }
        covered = covered.max(end);
    }
    let mut text = String::new();
    let mut prev: Option<&Glyph> = None;
    for g in glyphs {
        if let Some(p) = prev {
            // The same character drawn twice on itself (fake bold) is one.
            if p.text == g.text && (g.x - p.x).abs() < 0.1 * g.size {
                continue;
            }
            let gap = g.x - p.end;
            let unit = p.size.min(g.size).max(1.0);
            if spread && gap > 2.5 * unit {
                if !text.ends_with(' ') {
                    text.push_str("  ");
                }
            } else if gap > 0.15 * unit && !text.ends_with(' ') && !g.text.starts_with(' ') {
                text.push(' ');
            }
        }
        let raised = g.size < size * 0.85 && g.y < baseline - 0.15 * size;
        let sup: Option<String> = if raised {
            g.text.chars().map(superscript).collect()
        } else {
            None
        };
        match sup {
            Some(s) => text.push_str(&s),
            None => text.push_str(&g.text),
        }
        prev = Some(g);
    }
    let text = text.trim().to_owned();
    if text.is_empty() {
        return None;
    }
    Some(Line {
        x0,
        x1,
        y: baseline,
        size,
        text,
        spread,
        column,
    })
}

/// A line's extent for finding a gutter: the x ranges its text covers
/// (each glyph widened by a little), and its leftmost and rightmost glyph.
struct Extent {
    covered: Vec<(f32, f32)>,
    first_end: f32,
    last_start: f32,
}

fn extent(line: &[&Glyph]) -> Extent {
    let mut spans: Vec<(f32, f32)> = line
        .iter()
        .map(|g| (g.x - 0.4 * g.size, g.end + 0.4 * g.size))
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut covered: Vec<(f32, f32)> = Vec::new();
    for (a, b) in spans {
        match covered.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => covered.push((a, b)),
        }
    }
    Extent {
        covered,
        first_end: line.iter().map(|g| g.end).fold(f32::MAX, f32::min),
        last_start: line.iter().map(|g| g.x).fold(f32::MIN, f32::max),
    }
}

/// Where the gutter of a two-column page runs, if it has one: an x no
/// more than a fifth of the lines cross, with text on both sides in many.
fn gutter(lines: &[Vec<&Glyph>], width: f32) -> Option<f32> {
    if lines.len() < 6 || width <= 0.0 {
        return None;
    }
    let extents: Vec<Extent> = lines.iter().map(|l| extent(l)).collect();
    let crosses = |e: &Extent, x: f32| e.covered.iter().any(|(a, b)| *a < x && *b > x);
    let mut best: Option<(usize, f32)> = None;
    let mut x = width * 0.3;
    while x <= width * 0.7 {
        let crossing = extents.iter().filter(|e| crosses(e, x)).count();
        if crossing * 5 <= lines.len() {
            let both = extents
                .iter()
                .filter(|e| e.first_end < x && e.last_start > x)
                .count();
            let two_sided = extents
                .iter()
                .filter(|e| !crosses(e, x) && e.last_start > x)
                .count();
            // Columns of prose are wide; the columns of a table are not.
            let wide = |left: bool| {
                let widths: Vec<f32> = extents
                    .iter()
                    .filter(|e| e.first_end < x && e.last_start > x)
                    .map(|e| {
                        let side = e
                            .covered
                            .iter()
                            .filter(|(a, b)| if left { *b < x } else { *a > x });
                        let lo = side.clone().map(|s| s.0).fold(f32::MAX, f32::min);
                        let hi = side.map(|s| s.1).fold(f32::MIN, f32::max);
                        (hi - lo).max(0.0)
                    })
                    .collect();
                median(widths).is_some_and(|w| w >= 0.25 * width)
            };
            if both * 10 >= lines.len() * 3 && two_sided >= 3 && wide(true) && wide(false) {
                // Prefer the x crossed least, then nearest the middle.
                let better = match best {
                    None => true,
                    Some((s, bx)) => {
                        crossing < s
                            || (crossing == s && (x - width / 2.0).abs() < (bx - width / 2.0).abs())
                    }
                };
                if better {
                    best = Some((crossing, x));
                }
            }
        }
        x += 2.0;
    }
    best.map(|(_, x)| x)
}

/// A page's glyphs as lines in reading order.
pub fn page_lines(page: &Page) -> Vec<Line> {
    let raw = raw_lines(&page.glyphs);
    let Some(split) = gutter(&raw, page.width) else {
        return raw.iter().filter_map(|l| make_line(l, 0)).collect();
    };
    // Lines that cross the gutter (a title, a figure caption) stand
    // where they are; between them, the left column is read before the right.
    let mut out = Vec::new();
    let mut left: Vec<Line> = Vec::new();
    let mut right: Vec<Line> = Vec::new();
    for line in &raw {
        let crossing = line
            .iter()
            .any(|g| g.x - 0.4 * g.size < split && g.end + 0.4 * g.size > split);
        if crossing {
            out.append(&mut left);
            out.append(&mut right);
            out.extend(make_line(line, 0));
            continue;
        }
        let (l, r): (Vec<&Glyph>, Vec<&Glyph>) = line.iter().partition(|g| g.end <= split);
        left.extend(make_line(&l, 1));
        right.extend(make_line(&r, 2));
    }
    out.append(&mut left);
    out.append(&mut right);
    out
}

/// A line's text with its numbers blanked: "Page 3 of 52" and "Page 4 of
/// 52" are the same furniture.
fn furniture_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_digit() {
            if !key.ends_with('#') {
                key.push('#');
            }
        } else if !c.is_whitespace() {
            key.extend(c.to_lowercase());
        }
    }
    key
}

/// A page label that says so: "Page 12", "12 of 52", "Page 12 of 52".
/// (A bare number is furniture only where the pages repeat it.)
fn is_page_label(text: &str) -> bool {
    let key = furniture_key(text);
    let key = key.trim_matches(|c: char| matches!(c, '-' | '–' | '—' | '|'));
    matches!(key, "page#" | "#of#" | "page#of#" | "page#/#")
}

/// The margin a line sits in: 1 the top, 2 the bottom, 0 neither.
fn margin(line: &Line, page: &Page) -> u8 {
    let zone = page.height * MARGIN_ZONE;
    if page.height <= 0.0 {
        0
    } else if line.y < zone {
        1
    } else if line.y > page.height - zone {
        2
    } else {
        0
    }
}

/// Remove running headers, footers and page numbers; return how many lines went.
fn remove_furniture(lines: &mut [Vec<Line>], pages: &[Page]) -> usize {
    if lines.len() < 2 {
        return 0;
    }
    let mut seen: HashMap<(u8, String), usize> = HashMap::new();
    for (page_lines, page) in lines.iter().zip(pages) {
        let keys: HashSet<(u8, String)> = page_lines
            .iter()
            .map(|l| (margin(l, page), l))
            .filter(|(m, _)| *m > 0)
            .map(|(m, l)| (m, furniture_key(&l.text)))
            .collect();
        for key in keys {
            *seen.entry(key).or_default() += 1;
        }
    }
    let needed = ((lines.len() as f32 * REPEATED_SHARE).ceil() as usize).max(3);
    let mut removed = 0;
    for (page_lines, page) in lines.iter_mut().zip(pages) {
        let before = page_lines.len();
        page_lines.retain(|l| {
            let m = margin(l, page);
            let gone = m > 0
                && (is_page_label(&l.text)
                    || seen
                        .get(&(m, furniture_key(&l.text)))
                        .is_some_and(|n| *n >= needed));
            !gone
        });
        removed += before - page_lines.len();
    }
    removed
}

/// Every word of the text, lower-cased, with how often it appears: the
/// document's own spelling decides a hyphen at a line end.
pub fn vocabulary(lines: &[Vec<Line>]) -> HashMap<String, usize> {
    let mut words: HashMap<String, usize> = HashMap::new();
    for line in lines.iter().flatten() {
        for word in line.text.split_whitespace() {
            let word = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '-');
            if word.len() > 1 {
                *words.entry(word.to_lowercase()).or_default() += 1;
            }
        }
    }
    words
}

/// Join `next` onto a paragraph ending with `text`, across a line end.
pub fn join(text: &mut String, next: &str, words: &HashMap<String, usize>) {
    if let Some(stem) = text.strip_suffix('\u{ad}') {
        // A soft hyphen is only ever a break.
        let stem = stem.to_owned();
        *text = stem + next;
        return;
    }
    let hyphenated = text.ends_with('-')
        && text[..text.len() - 1].ends_with(char::is_alphabetic)
        && next.starts_with(char::is_lowercase);
    if hyphenated {
        let head = text[..text.len() - 1]
            .rsplit(|c: char| !c.is_alphanumeric() && c != '-')
            .next()
            .unwrap_or_default()
            .to_lowercase();
        let tail: String = next
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '-')
            .collect::<String>()
            .to_lowercase();
        let solid = words.get(&format!("{head}{tail}")).copied().unwrap_or(0);
        let with_hyphen = words.get(&format!("{head}-{tail}")).copied().unwrap_or(0);
        if solid > with_hyphen {
            text.pop();
        }
        // Either way no space: "random-ised" becomes "randomised" when the
        // document spells it so, "graft-versus-host" keeps its hyphen.
        text.push_str(next);
        return;
    }
    text.push(' ');
    text.push_str(next);
}

/// A line that starts a list item: its marker and the text after it.
pub fn bullet(text: &str) -> Option<&str> {
    let mut chars = text.chars();
    let first = chars.next()?;
    let rest = chars.as_str();
    let is_marker = matches!(
        first,
        '•' | '●'
            | '▪'
            | '■'
            | '◦'
            | '○'
            | '–'
            | '-'
            | '*'
            | '\u{f0b7}'
            | '\u{f0a7}'
            | '\u{f076}'
            | '\u{f0d8}'
            | '➢'
            | '✓'
    );
    (is_marker && rest.starts_with([' ', '\t'])).then(|| rest.trim_start())
}

/// A line that starts a lettered item: "A. ", "b) ", "(c) ", "iv. ".
pub fn lettered(text: &str) -> bool {
    let inner = text.strip_prefix('(').unwrap_or(text);
    let label: String = inner.chars().take_while(|c| c.is_alphabetic()).collect();
    let rest = &inner[label.len()..];
    let roman = label.chars().all(|c| "ivxIVX".contains(c));
    (label.chars().count() == 1 || (roman && label.len() <= 4))
        && (rest.starts_with(". ") || rest.starts_with(") "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glyphs(x: f32, y: f32, size: f32, text: &str) -> Vec<Glyph> {
        let w = size * 0.5;
        text.chars()
            .enumerate()
            .map(|(i, c)| Glyph {
                x: x + i as f32 * w,
                y,
                end: x + (i + 1) as f32 * w,
                size,
                text: c.to_string(),
            })
            .collect()
    }

    #[test]
    fn raised_small_figures_are_superscripts_of_their_line() {
        let mut g = glyphs(50.0, 100.0, 10.0, "alone");
        g.extend(glyphs(75.0, 96.0, 6.0, "12"));
        g.extend(glyphs(81.0, 100.0, 10.0, "."));
        let page = Page {
            width: 600.0,
            height: 800.0,
            glyphs: g,
        };
        let lines = page_lines(&page);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].text, "alone¹².");
    }

    #[test]
    fn two_columns_are_read_one_after_the_other() {
        let mut g = glyphs(50.0, 60.0, 12.0, "A TITLE ACROSS THE WHOLE PAGE WIDTH HERE");
        for i in 0..8 {
            let y = 100.0 + 14.0 * i as f32;
            g.extend(glyphs(
                50.0,
                y,
                10.0,
                &format!("left line {i} of the column's text"),
            ));
            g.extend(glyphs(
                320.0,
                y,
                10.0,
                &format!("right line {i} of the column's text"),
            ));
        }
        let page = Page {
            width: 600.0,
            height: 800.0,
            glyphs: g,
        };
        let texts: Vec<String> = page_lines(&page).into_iter().map(|l| l.text).collect();
        assert_eq!(texts[0], "A TITLE ACROSS THE WHOLE PAGE WIDTH HERE");
        assert_eq!(texts[1], "left line 0 of the column's text");
        assert_eq!(texts[8], "left line 7 of the column's text");
        assert_eq!(texts[9], "right line 0 of the column's text");
    }

    #[test]
    fn page_numbers_and_repeated_headers_are_furniture() {
        assert!(is_page_label("Page 3 of 52"));
        assert!(is_page_label("- Page 12 -"));
        assert!(
            !is_page_label("7"),
            "a bare number only where pages repeat it"
        );
        assert!(!is_page_label("7 patients"));
        assert_eq!(
            furniture_key("July 22, 2015  1 | P a ge"),
            furniture_key("July 22, 2015  14 | P a ge")
        );
    }

    #[test]
    fn hyphens_at_line_ends_follow_the_document_s_spelling() {
        let words: HashMap<String, usize> = [("randomised".to_owned(), 2)].into();
        let mut t = "were random-".to_owned();
        join(&mut t, "ised in blocks", &words);
        assert_eq!(t, "were randomised in blocks");
        let mut t = "graft-".to_owned();
        join(&mut t, "versus-host disease", &words);
        assert_eq!(t, "graft-versus-host disease");
        let mut t = "the".to_owned();
        join(&mut t, "trial", &words);
        assert_eq!(t, "the trial");
    }
}
