//! What `word/styles.xml` says about paragraph styles: which are headings
//! and at what level (by `w:outlineLvl`, by a heading name in any of the
//! languages Word and LibreOffice write, or through the style a style is
//! based on), which carry list numbering, and which are bold.

use std::collections::HashMap;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{DocxError, attr, is_on};

#[derive(Default, Debug)]
struct Style {
    name: String,
    based_on: Option<String>,
    /// 0–8 a heading level, 9 body text.
    outline: Option<u8>,
    numbering: Option<(String, Option<u8>)>,
    bold: Option<bool>,
}

#[derive(Default, Debug)]
pub struct Styles {
    by_id: HashMap<String, Style>,
}

/// Deepest chain of `basedOn` followed (a cycle in a hostile file ends here).
const MAX_CHAIN: usize = 16;

/// "heading 2" in the languages style names are written in → 2.
fn level_from_name(name: &str) -> Option<u8> {
    const WORDS: [&str; 22] = [
        "heading",
        "überschrift",
        "titre",
        "título",
        "titulo",
        "titolo",
        "kop",
        "rubrik",
        "overskrift",
        "otsikko",
        "nagłówek",
        "naglowek",
        "заголовок",
        "nadpis",
        "címsor",
        "başlık",
        "επικεφαλίδα",
        "kopregel",
        "cabeçalho",
        "見出し",
        "标题",
        "제목",
    ];
    let lower = name.trim().to_lowercase().replace('_', " ");
    let digits = lower.trim_start_matches(|c: char| !c.is_ascii_digit());
    let word = lower[..lower.len() - digits.len()].trim();
    let level: u8 = digits.trim().parse().ok()?;
    ((1..=9).contains(&level) && WORDS.contains(&word)).then_some(level - 1)
}

impl Styles {
    pub fn parse(xml: &[u8]) -> Result<Styles, DocxError> {
        let mut reader = Reader::from_reader(xml);
        let mut buf = Vec::new();
        let mut styles = Styles::default();
        let mut current: Option<(String, Style)> = None;
        // Depth inside w:pPrChange / w:rPrChange: earlier properties, not these.
        let mut skip = 0usize;
        let mut in_ppr = false;
        let mut in_rpr = false;
        let mut num_id: Option<String> = None;
        let mut ilvl: Option<u8> = None;
        loop {
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| DocxError::BadXml(e.to_string()))?;
            let (e, opens) = match event {
                Event::Eof => break,
                Event::Start(_) | Event::End(_) | Event::Empty(_) if skip > 0 => {
                    match event {
                        Event::Start(_) => skip += 1,
                        Event::End(_) => skip -= 1,
                        _ => {}
                    }
                    buf.clear();
                    continue;
                }
                Event::Start(e) => (e, true),
                Event::Empty(e) => (e, false),
                Event::End(e) => {
                    match e.local_name().as_ref() {
                        "style" => {
                            if let Some((id, style)) = current.take() {
                                styles.by_id.insert(id, style);
                            }
                        }
                        "pPr" => in_ppr = false,
                        "rPr" => in_rpr = false,
                        "numPr" => {
                            if let (Some((_, style)), Some(id)) = (current.as_mut(), num_id.take())
                            {
                                style.numbering = Some((id, ilvl.take()));
                            }
                        }
                        _ => {}
                    }
                    buf.clear();
                    continue;
                }
                _ => {
                    buf.clear();
                    continue;
                }
            };
            match e.local_name().as_ref() {
                "style" if opens => {
                    let paragraph = attr(&e, "type").is_none_or(|t| t == "paragraph");
                    current = paragraph
                        .then(|| (attr(&e, "styleId").unwrap_or_default(), Style::default()));
                }
                "pPrChange" | "rPrChange" if opens => skip = 1,
                "pPr" if opens => in_ppr = true,
                "rPr" if opens => in_rpr = true,
                _ => {}
            }
            if let Some((_, style)) = current.as_mut() {
                match e.local_name().as_ref() {
                    "name" => style.name = attr(&e, "val").unwrap_or_default(),
                    "basedOn" => style.based_on = attr(&e, "val"),
                    "outlineLvl" if in_ppr => {
                        style.outline = attr(&e, "val").and_then(|v| v.parse().ok())
                    }
                    "numId" if in_ppr => num_id = attr(&e, "val"),
                    "ilvl" if in_ppr => ilvl = attr(&e, "val").and_then(|v| v.parse().ok()),
                    "b" if in_rpr && !in_ppr => style.bold = Some(is_on(&e)),
                    _ => {}
                }
            }
            buf.clear();
        }
        Ok(styles)
    }

    /// The style and the styles it is based on, nearest first.
    fn chain<'a>(&'a self, id: &str) -> impl Iterator<Item = &'a Style> + 'a {
        let mut next = self.by_id.get(id);
        std::iter::from_fn(move || {
            let style = next?;
            next = style.based_on.as_deref().and_then(|b| self.by_id.get(b));
            Some(style)
        })
        .take(MAX_CHAIN)
    }

    /// The style's outline level: 0–8 a heading level, 9 body text, None
    /// when nothing says. A heading name counts where no level is set.
    pub fn outline_level(&self, id: &str) -> Option<u8> {
        if !self.by_id.contains_key(id) {
            // An undefined style: its id may still be a built-in's ("Heading2").
            return level_from_name(id);
        }
        for style in self.chain(id) {
            if let Some(level) = style.outline {
                return Some(level.min(9));
            }
            if let Some(level) = level_from_name(&style.name) {
                return Some(level);
            }
        }
        None
    }

    pub fn is_title(&self, id: &str) -> bool {
        id.eq_ignore_ascii_case("title")
            || self
                .chain(id)
                .next()
                .is_some_and(|s| s.name.eq_ignore_ascii_case("title"))
    }

    /// The list numbering a style gives its paragraphs: (numId, ilvl).
    pub fn numbering(&self, id: &str) -> Option<(String, Option<u8>)> {
        self.chain(id).find_map(|s| s.numbering.clone())
    }

    pub fn bold(&self, id: &str) -> bool {
        self.chain(id).find_map(|s| s.bold).unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn styles(inner: &str) -> Styles {
        Styles::parse(
            format!(
                r#"<w:styles xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">{inner}</w:styles>"#
            )
            .as_bytes(),
        )
        .unwrap()
    }

    #[test]
    fn heading_levels_come_from_names_outline_levels_and_parents() {
        let s = styles(
            r#"<w:style w:type="paragraph" w:styleId="berschrift2"><w:name w:val="Überschrift 2"/></w:style>
<w:style w:type="paragraph" w:styleId="Titre1"><w:name w:val="Titre 1"/></w:style>
<w:style w:type="paragraph" w:styleId="Custom"><w:name w:val="Protocol Section"/><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Mine"><w:name w:val="My heading"/><w:basedOn w:val="Custom"/></w:style>
<w:style w:type="paragraph" w:styleId="Plain"><w:name w:val="heading 3"/><w:pPr><w:outlineLvl w:val="9"/></w:pPr></w:style>
<w:style w:type="paragraph" w:styleId="Changed"><w:name w:val="Body"/><w:pPr><w:pPrChange><w:pPr><w:outlineLvl w:val="0"/></w:pPr></w:pPrChange></w:pPr></w:style>"#,
        );
        assert_eq!(s.outline_level("berschrift2"), Some(1));
        assert_eq!(s.outline_level("Titre1"), Some(0));
        assert_eq!(s.outline_level("Mine"), Some(0));
        assert_eq!(
            s.outline_level("Plain"),
            Some(9),
            "outline level 9 is body text"
        );
        assert_eq!(
            s.outline_level("Changed"),
            None,
            "an earlier, changed property"
        );
        assert_eq!(s.outline_level("Missing"), None);
    }

    #[test]
    fn a_cycle_of_based_on_ends() {
        let s = styles(
            r#"<w:style w:type="paragraph" w:styleId="A"><w:name w:val="A"/><w:basedOn w:val="B"/></w:style><w:style w:type="paragraph" w:styleId="B"><w:name w:val="B"/><w:basedOn w:val="A"/></w:style>"#,
        );
        assert_eq!(s.outline_level("A"), None);
    }
}
