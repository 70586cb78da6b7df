//! Characters inserted with Insert > Symbol (`w:sym`): the Symbol font's
//! private-use codes mapped to the Unicode characters they draw, so that
//! "IFN-γ", "≥ 2 years" and "5 µg" read right.

/// The character a `w:sym` element draws, for the Symbol font.
pub fn symbol(font: &str, code: &str) -> Option<char> {
    if !font.eq_ignore_ascii_case("symbol") {
        return None;
    }
    let code = u32::from_str_radix(code, 16).ok()?;
    // Word writes F020–F0FF (the font's private-use copy) or 0020–00FF.
    let byte = if (0xF020..=0xF0FF).contains(&code) {
        code - 0xF000
    } else {
        code
    };
    let c = match byte {
        0x41..=0x5A => GREEK_UPPER[(byte - 0x41) as usize],
        0x61..=0x7A => GREEK_LOWER[(byte - 0x61) as usize],
        0xA3 => '≤',
        0xB3 => '≥',
        0xB1 => '±',
        0xB4 => '×',
        0xB8 => '÷',
        0xB9 => '≠',
        0xBA => '≡',
        0xBB => '≈',
        0xA5 => '∞',
        0xAE => '→',
        0xAC => '←',
        0xAD => '↑',
        0xAF => '↓',
        0xAB => '↔',
        0xB0 => '°',
        0xB7 => '•',
        0xA2 => '′',
        0xB2 => '″',
        0xD6 => '√',
        0xE5 => '∑',
        0xB6 => '∂',
        0xC6 => '∅',
        0xD7 => '·',
        0x2D => '−',
        0x2B => '+',
        0x3D => '=',
        0x3C => '<',
        0x3E => '>',
        0x25 => '%',
        b @ 0x20..=0x7E => char::from_u32(b)?,
        _ => return None,
    };
    (c != '\0').then_some(c)
}

/// A–Z in the Symbol font ('\0' where it has no Greek letter).
const GREEK_UPPER: [char; 26] = [
    'Α', 'Β', 'Χ', 'Δ', 'Ε', 'Φ', 'Γ', 'Η', 'Ι', 'ϑ', 'Κ', 'Λ', 'Μ', 'Ν', 'Ο', 'Π', 'Θ', 'Ρ', 'Σ',
    'Τ', 'Υ', 'ς', 'Ω', 'Ξ', 'Ψ', 'Ζ',
];
/// a–z in the Symbol font.
const GREEK_LOWER: [char; 26] = [
    'α', 'β', 'χ', 'δ', 'ε', 'φ', 'γ', 'η', 'ι', 'ϕ', 'κ', 'λ', 'μ', 'ν', 'ο', 'π', 'θ', 'ρ', 'σ',
    'τ', 'υ', 'ϖ', 'ω', 'ξ', 'ψ', 'ζ',
];

#[cfg(test)]
mod tests {
    use super::symbol;

    #[test]
    fn symbol_font_codes_become_their_characters() {
        assert_eq!(symbol("Symbol", "F062"), Some('β'));
        assert_eq!(symbol("Symbol", "F067"), Some('γ'));
        assert_eq!(symbol("Symbol", "F06D"), Some('μ'));
        assert_eq!(symbol("Symbol", "F0B3"), Some('≥'));
        assert_eq!(symbol("Wingdings", "F0FC"), None);
        assert_eq!(symbol("Symbol", "zz"), None);
    }
}
