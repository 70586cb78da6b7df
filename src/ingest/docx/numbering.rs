//! List numbers as Word computes them from `word/numbering.xml`: each
//! paragraph's numbering instance (`w:numId`) and level (`w:ilvl`) lead to
//! an abstract definition whose level text ("%1.%2.") is filled with
//! counters that run through the document, deeper levels restarting under
//! a new parent, and instances that override a start restarting their list.

use std::collections::{HashMap, HashSet};

use quick_xml::Reader;
use quick_xml::events::Event;

use super::{DocxError, attr};

const LEVELS: usize = 9;

#[derive(Clone, Debug, Default)]
struct Level {
    start: u32,
    format: String,
    text: String,
    legal: bool,
    style: Option<String>,
}

#[derive(Clone, Debug, Default)]
struct Instance {
    abstract_id: String,
    /// Levels whose start this instance overrides.
    restarts: Vec<(usize, u32)>,
}

/// What a numbered paragraph shows before its text.
#[derive(Clone, Debug, PartialEq)]
pub enum Label {
    Bullet,
    Number(String),
}

#[derive(Default, Debug)]
pub struct Numbering {
    abstracts: HashMap<String, Vec<Level>>,
    instances: HashMap<String, Instance>,
    /// Per abstract definition, the current count at each level.
    counters: HashMap<String, [Option<u32>; LEVELS]>,
    started: HashSet<String>,
}

impl Numbering {
    pub fn parse(xml: &[u8]) -> Result<Numbering, DocxError> {
        let mut reader = Reader::from_reader(xml);
        let mut buf = Vec::new();
        let mut n = Numbering::default();
        let mut abstract_id: Option<String> = None;
        let mut levels: Vec<Level> = Vec::new();
        let mut level: Option<(usize, Level)> = None;
        let mut instance: Option<(String, Instance)> = None;
        let mut override_level: Option<usize> = None;
        loop {
            let event = reader
                .read_event_into(&mut buf)
                .map_err(|e| DocxError::BadXml(e.to_string()))?;
            match event {
                Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                    "abstractNum" => {
                        abstract_id = attr(&e, "abstractNumId");
                        levels = vec![Level::default(); LEVELS];
                    }
                    "lvl" => {
                        let ilvl: usize =
                            attr(&e, "ilvl").and_then(|v| v.parse().ok()).unwrap_or(0);
                        if abstract_id.is_some() && ilvl < LEVELS {
                            level = Some((
                                ilvl,
                                Level {
                                    start: 1,
                                    ..Level::default()
                                },
                            ));
                        }
                    }
                    "start" => {
                        if let Some((_, l)) = level.as_mut() {
                            l.start = attr(&e, "val").and_then(|v| v.parse().ok()).unwrap_or(1);
                        }
                    }
                    "numFmt" => {
                        if let Some((_, l)) = level.as_mut() {
                            l.format = attr(&e, "val").unwrap_or_default();
                        }
                    }
                    "lvlText" => {
                        if let Some((_, l)) = level.as_mut() {
                            l.text = attr(&e, "val").unwrap_or_default();
                        }
                    }
                    "isLgl" => {
                        if let Some((_, l)) = level.as_mut() {
                            l.legal = super::is_on(&e);
                        }
                    }
                    "pStyle" => {
                        if let Some((_, l)) = level.as_mut() {
                            l.style = attr(&e, "val");
                        }
                    }
                    "num" => {
                        instance = attr(&e, "numId").map(|id| (id, Instance::default()));
                    }
                    "abstractNumId" => {
                        if let (Some((_, i)), Some(v)) = (instance.as_mut(), attr(&e, "val")) {
                            i.abstract_id = v;
                        }
                    }
                    "lvlOverride" => {
                        override_level = attr(&e, "ilvl").and_then(|v| v.parse().ok());
                    }
                    "startOverride" => {
                        if let (Some((_, i)), Some(l), Some(v)) = (
                            instance.as_mut(),
                            override_level,
                            attr(&e, "val").and_then(|v| v.parse().ok()),
                        ) && l < LEVELS
                        {
                            i.restarts.push((l, v));
                        }
                    }
                    _ => {}
                },
                Event::End(e) => match e.local_name().as_ref() {
                    "lvl" => {
                        if let Some((i, l)) = level.take() {
                            levels[i] = l;
                        }
                    }
                    "abstractNum" => {
                        if let Some(id) = abstract_id.take() {
                            n.abstracts.insert(id, std::mem::take(&mut levels));
                        }
                    }
                    "num" => {
                        if let Some((id, i)) = instance.take() {
                            n.instances.insert(id, i);
                        }
                    }
                    "lvlOverride" => override_level = None,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
            buf.clear();
        }
        Ok(n)
    }

    /// The level of a list whose definition ties it to a paragraph style.
    pub fn level_for_style(&self, num_id: &str, style: &str) -> Option<u8> {
        let instance = self.instances.get(num_id)?;
        self.abstracts
            .get(&instance.abstract_id)?
            .iter()
            .position(|l| l.style.as_deref() == Some(style))
            .and_then(|i| u8::try_from(i).ok())
    }

    /// Count one more paragraph of list `num_id` at `ilvl` and return what
    /// it shows; None for no list (numId 0, or one not defined).
    pub fn next(&mut self, num_id: &str, ilvl: u8) -> Option<Label> {
        let ilvl = usize::from(ilvl).min(LEVELS - 1);
        let instance = self.instances.get(num_id)?;
        let levels = self.abstracts.get(&instance.abstract_id)?;
        let counters = self
            .counters
            .entry(instance.abstract_id.clone())
            .or_insert([None; LEVELS]);
        if self.started.insert(num_id.to_owned()) {
            for &(l, start) in &instance.restarts {
                // The next count at level l is `start`.
                counters[l] = start.checked_sub(1);
                for deeper in counters.iter_mut().skip(l + 1) {
                    *deeper = None;
                }
            }
        }
        let level = &levels[ilvl];
        counters[ilvl] = Some(match counters[ilvl] {
            Some(n) => n.saturating_add(1),
            None => level.start,
        });
        for deeper in counters.iter_mut().skip(ilvl + 1) {
            *deeper = None;
        }
        match level.format.as_str() {
            "bullet" => return Some(Label::Bullet),
            "none" => return None,
            _ => {}
        }
        let mut label = String::new();
        let mut chars = level.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '%'
                && let Some(d) = chars.peek().and_then(|d| d.to_digit(10))
            {
                chars.next();
                let l = (d as usize).saturating_sub(1).min(LEVELS - 1);
                let value = counters[l].unwrap_or(levels[l].start);
                let format = if level.legal {
                    "decimal"
                } else {
                    levels[l].format.as_str()
                };
                label.push_str(&format_number(value, format));
            } else {
                label.push(c);
            }
        }
        let label = label.trim().to_owned();
        (!label.is_empty()).then_some(Label::Number(label))
    }
}

fn format_number(n: u32, format: &str) -> String {
    match format {
        "lowerLetter" => letters(n).to_lowercase(),
        "upperLetter" => letters(n),
        "lowerRoman" => roman(n).to_lowercase(),
        "upperRoman" => roman(n),
        "decimalZero" if n < 10 => format!("0{n}"),
        _ => n.to_string(),
    }
}

/// 1 → A, 26 → Z, 27 → AA (Word repeats the letter).
fn letters(n: u32) -> String {
    if n == 0 {
        return "0".into();
    }
    let letter = char::from(b'A' + ((n - 1) % 26) as u8);
    std::iter::repeat_n(letter, ((n - 1) / 26 + 1).min(10) as usize).collect()
}

fn roman(mut n: u32) -> String {
    if n == 0 || n >= 4000 {
        return n.to_string();
    }
    const TABLE: [(u32, &str); 13] = [
        (1000, "M"),
        (900, "CM"),
        (500, "D"),
        (400, "CD"),
        (100, "C"),
        (90, "XC"),
        (50, "L"),
        (40, "XL"),
        (10, "X"),
        (9, "IX"),
        (5, "V"),
        (4, "IV"),
        (1, "I"),
    ];
    let mut out = String::new();
    for (value, digits) in TABLE {
        while n >= value {
            out.push_str(digits);
            n -= value;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numbering() -> Numbering {
        Numbering::parse(
            br#"<w:numbering xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">
<w:abstractNum w:abstractNumId="5"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.0"/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2"/></w:lvl><w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="(%3)"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="7"><w:lvl w:ilvl="0"><w:numFmt w:val="bullet"/><w:lvlText w:val="o"/></w:lvl></w:abstractNum>
<w:abstractNum w:abstractNumId="8"><w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="upperRoman"/><w:lvlText w:val="%1."/></w:lvl><w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:isLgl/><w:lvlText w:val="%1.%2"/></w:lvl></w:abstractNum>
<w:num w:numId="6"><w:abstractNumId w:val="5"/></w:num>
<w:num w:numId="9"><w:abstractNumId w:val="5"/><w:lvlOverride w:ilvl="0"><w:startOverride w:val="1"/></w:lvlOverride></w:num>
<w:num w:numId="2"><w:abstractNumId w:val="7"/></w:num>
<w:num w:numId="3"><w:abstractNumId w:val="8"/></w:num>
</w:numbering>"#,
        )
        .unwrap()
    }

    fn number(n: &mut Numbering, id: &str, ilvl: u8) -> String {
        match n.next(id, ilvl) {
            Some(Label::Number(s)) => s,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn levels_count_and_restart_under_their_parent() {
        let mut n = numbering();
        assert_eq!(number(&mut n, "6", 0), "1.0");
        assert_eq!(number(&mut n, "6", 1), "1.1");
        assert_eq!(number(&mut n, "6", 1), "1.2");
        assert_eq!(number(&mut n, "6", 2), "(a)");
        assert_eq!(number(&mut n, "6", 0), "2.0");
        assert_eq!(number(&mut n, "6", 1), "2.1");
        // Another instance of the same list continues it, unless it restarts.
        assert_eq!(number(&mut n, "9", 0), "1.0");
        assert_eq!(n.next("2", 0), Some(Label::Bullet));
        assert_eq!(n.next("0", 0), None);
        assert_eq!(number(&mut n, "3", 0), "I.");
        assert_eq!(number(&mut n, "3", 1), "1.1", "legal numbering is decimal");
    }

    #[test]
    fn letters_and_numerals() {
        assert_eq!(letters(28), "BB");
        assert_eq!(roman(1994), "MCMXCIV");
    }
}
