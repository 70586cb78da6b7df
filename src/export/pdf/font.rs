//! The report's one font, DejaVu Sans (assets/fonts, with its licence),
//! embedded as a subset so a report prints what the protocol says:
//! ≥ ≤ ± α β χ² µ, accented and Greek or Cyrillic names, the verdict
//! symbols. Text is written as two-byte character ids, one per distinct
//! character of the report, with a map from id to glyph (so a character
//! the font lacks still reads back right) and a ToUnicode map (so copying
//! and text extraction give the characters, not glyph numbers).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt::Write;

/// The font file, compiled in: nothing is read or fetched at run time.
pub const FONT_FILE: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
/// The name the PDF gives it.
const NAME: &str = "DejaVuSans";

/// Metrics of the font and the characters a report has used so far.
pub struct Font {
    face: Option<ttf_parser::Face<'static>>,
    units_per_em: f32,
    /// Character → (id in the PDF, glyph in the font file), in order of first use.
    used: RefCell<Vec<(char, u16)>>,
    ids: RefCell<HashMap<char, u16>>,
    widths: RefCell<HashMap<char, f32>>,
}

impl Font {
    pub fn new() -> Font {
        // The file is part of the program (a unit test parses it); should
        // it ever fail, widths fall back to an average and the text stays
        // right, only drawn with the font's missing-glyph box.
        let face = ttf_parser::Face::parse(FONT_FILE, 0).ok();
        let units_per_em = face
            .as_ref()
            .map_or(1000.0, |f| f32::from(f.units_per_em()));
        Font {
            face,
            units_per_em,
            used: RefCell::new(Vec::new()),
            ids: RefCell::new(HashMap::new()),
            widths: RefCell::new(HashMap::new()),
        }
    }

    fn glyph(&self, c: char) -> u16 {
        self.face
            .as_ref()
            .and_then(|f| f.glyph_index(c))
            .map_or(0, |g| g.0)
    }

    /// Advance width of `c` in thousandths of the font size.
    pub fn advance(&self, c: char) -> f32 {
        if let Some(w) = self.widths.borrow().get(&c) {
            return *w;
        }
        let glyph = self.glyph(c);
        let units = self
            .face
            .as_ref()
            .and_then(|f| f.glyph_hor_advance(ttf_parser::GlyphId(glyph)))
            .map_or(600.0, f32::from);
        let width = units * 1000.0 / self.units_per_em;
        self.widths.borrow_mut().insert(c, width);
        width
    }

    /// The PDF string showing `text`: two-byte ids in hex.
    pub fn encode(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len() * 4 + 2);
        out.push('<');
        for c in text.chars() {
            let c = if c.is_control() { ' ' } else { c };
            let _ = write!(out, "{:04X}", self.id(c));
        }
        out.push('>');
        out
    }

    fn id(&self, c: char) -> u16 {
        if let Some(id) = self.ids.borrow().get(&c) {
            return *id;
        }
        let mut used = self.used.borrow_mut();
        // Id 0 is the missing glyph; a report with more distinct characters
        // than ids shows the rest as that.
        let Ok(id) = u16::try_from(used.len() + 1) else {
            return 0;
        };
        used.push((c, self.glyph(c)));
        self.ids.borrow_mut().insert(c, id);
        id
    }

    /// The font's PDF objects, numbered from `first`: the Type 0 font
    /// (referenced as `first`), then its descendant, descriptor, font file,
    /// id-to-glyph map and ToUnicode map.
    pub fn objects(&self, first: usize) -> Vec<super::file::Object> {
        use super::file::Object;
        let used = self.used.borrow();
        let (file, glyph_of) = self.subset(&used);
        let tag = subset_tag(&used);
        let base = format!("{tag}+{NAME}");
        let (cid_font, descriptor, font_file, cid_map, to_unicode) =
            (first + 1, first + 2, first + 3, first + 4, first + 5);

        let widths: Vec<String> = used
            .iter()
            .map(|(c, _)| format!("{:.0}", self.advance(*c)))
            .collect();
        let mut cid_to_gid = vec![0u8, 0];
        for g in &glyph_of {
            cid_to_gid.extend_from_slice(&g.to_be_bytes());
        }
        let (bbox, ascent, descent, cap) = match &self.face {
            Some(f) => {
                let b = f.global_bounding_box();
                let scale = |v: i16| f32::from(v) * 1000.0 / self.units_per_em;
                (
                    format!(
                        "[{:.0} {:.0} {:.0} {:.0}]",
                        scale(b.x_min),
                        scale(b.y_min),
                        scale(b.x_max),
                        scale(b.y_max)
                    ),
                    scale(f.ascender()),
                    scale(f.descender()),
                    scale(f.capital_height().unwrap_or(f.ascender())),
                )
            }
            None => ("[0 -250 1000 950]".to_owned(), 950.0, -250.0, 700.0),
        };
        vec![
            Object::Dict(format!(
                "<< /Type /Font /Subtype /Type0 /BaseFont /{base} /Encoding /Identity-H /DescendantFonts [{cid_font} 0 R] /ToUnicode {to_unicode} 0 R >>"
            )),
            Object::Dict(format!(
                "<< /Type /Font /Subtype /CIDFontType2 /BaseFont /{base} /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /FontDescriptor {descriptor} 0 R /DW 1000 /W [1 [{}]] /CIDToGIDMap {cid_map} 0 R >>",
                widths.join(" ")
            )),
            Object::Dict(format!(
                "<< /Type /FontDescriptor /FontName /{base} /Flags 32 /FontBBox {bbox} /ItalicAngle 0 /Ascent {ascent:.0} /Descent {descent:.0} /CapHeight {cap:.0} /StemV 80 /FontFile2 {font_file} 0 R >>"
            )),
            Object::Stream {
                extra: format!("/Length1 {}", file.len()),
                data: file,
            },
            Object::Stream {
                extra: String::new(),
                data: cid_to_gid,
            },
            Object::Stream {
                extra: String::new(),
                data: to_unicode_cmap(&used).into_bytes(),
            },
        ]
    }

    /// The font file cut down to the glyphs used, and each used
    /// character's glyph in it; the whole file if it cannot be cut.
    fn subset(&self, used: &[(char, u16)]) -> (Vec<u8>, Vec<u16>) {
        let mut remapper = subsetter::GlyphRemapper::new();
        let glyphs: Vec<u16> = used.iter().map(|(_, g)| remapper.remap(*g)).collect();
        match subsetter::subset(FONT_FILE, 0, &remapper) {
            Ok(file) => (file, glyphs),
            Err(_) => (FONT_FILE.to_vec(), used.iter().map(|(_, g)| *g).collect()),
        }
    }
}

/// Six capitals naming this subset (PDF's convention), from the characters it holds.
fn subset_tag(used: &[(char, u16)]) -> String {
    let mut hash: u32 = 2_166_136_261;
    for (c, _) in used {
        hash = (hash ^ u32::from(*c)).wrapping_mul(16_777_619);
    }
    (0..6)
        .map(|i| char::from(b'A' + ((hash >> (i * 5)) % 26) as u8))
        .collect()
}

/// The CMap that maps each id back to its character.
fn to_unicode_cmap(used: &[(char, u16)]) -> String {
    let mut out = String::from(
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n",
    );
    for (block, chunk) in used.chunks(100).enumerate() {
        let _ = writeln!(out, "{} beginbfchar", chunk.len());
        for (i, (c, _)) in chunk.iter().enumerate() {
            let id = block * 100 + i + 1;
            let mut units = [0u16; 2];
            let utf16: String = c
                .encode_utf16(&mut units)
                .iter()
                .map(|u| format!("{u:04X}"))
                .collect();
            let _ = writeln!(out, "<{id:04X}> <{utf16}>");
        }
        out.push_str("endbfchar\n");
    }
    out.push_str("endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_file_parses_and_has_the_clinical_symbols() {
        let face = ttf_parser::Face::parse(FONT_FILE, 0).expect("the bundled font parses");
        for c in "≥≤±αβχ²µÅéøłšΩЖ✓✗◐○✎–—‘’“”•…".chars() {
            assert!(face.glyph_index(c).is_some(), "{c} is in the font");
        }
    }

    #[test]
    fn each_character_gets_one_id_and_reads_back() {
        let font = Font::new();
        assert_eq!(font.encode("aβa"), "<000100020001>");
        let cmap = to_unicode_cmap(&font.used.borrow());
        assert!(cmap.contains("<0002> <03B2>"), "{cmap}");
        // Outside the BMP: a surrogate pair.
        let font = Font::new();
        font.encode("𝛼");
        assert!(to_unicode_cmap(&font.used.borrow()).contains("<0001> <D835DEFC>"));
    }

    #[test]
    fn the_subset_is_much_smaller_than_the_font() {
        let font = Font::new();
        font.encode("Sample size ≥ 120 (α = 0.05, β = 0.2)");
        let (file, glyphs) = font.subset(&font.used.borrow());
        assert!(file.len() < FONT_FILE.len() / 10, "{} bytes", file.len());
        assert!(glyphs.iter().all(|g| *g > 0));
    }
}
