//! What kind of file this is, judged by its first bytes rather than its name.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Markdown,
    Docx,
    Pdf,
    /// Not a document: names what it seems to be instead.
    Binary(&'static str),
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "txt",
            Format::Markdown => "md",
            Format::Docx => "docx",
            Format::Pdf => "pdf",
            Format::Binary(_) => "binary",
        }
    }
}

const SIGNATURES: &[(&[u8], Format)] = &[
    (b"%PDF-", Format::Pdf),
    (b"PK\x03\x04", Format::Docx),
    (b"\x7fELF", Format::Binary("an executable program (ELF)")),
    (b"\xcf\xfa\xed\xfe", Format::Binary("a macOS executable")),
    (
        b"\xd0\xcf\x11\xe0",
        Format::Binary(
            "an old Word .doc, or a password-protected Office file (save it as .docx without a password)",
        ),
    ),
    (b"SQLite format 3\0", Format::Binary("an SQLite database")),
    (b"\x1f\x8b", Format::Binary("a gzip archive")),
    (b"\x89PNG", Format::Binary("a PNG image")),
    (b"\xff\xd8\xff", Format::Binary("a JPEG image")),
    (b"GIF8", Format::Binary("a GIF image")),
    (
        b"{\\rtf",
        Format::Binary("an RTF document (save it as .docx or .txt)"),
    ),
];

/// How far into the file to look for NUL bytes and other binary signs.
const SNIFF_BYTES: usize = 8192;

pub fn detect(bytes: &[u8]) -> Format {
    if let Some((_, format)) = SIGNATURES.iter().find(|(sig, _)| bytes.starts_with(sig)) {
        return *format;
    }
    if super::text::bom(bytes).is_some() {
        return Format::Text;
    }
    let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
    if head.contains(&0) {
        // "MZ" alone starts plenty of text; with NUL bytes it is a program.
        if bytes.starts_with(b"MZ") {
            return Format::Binary("a Windows executable");
        }
        return Format::Binary("binary data (it contains NUL bytes)");
    }
    Format::Text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_win_over_names() {
        assert_eq!(detect(b"%PDF-1.7\n"), Format::Pdf);
        assert_eq!(detect(b"PK\x03\x04rest"), Format::Docx);
        assert!(matches!(detect(b"\x7fELF\x02\x01"), Format::Binary(_)));
        assert!(matches!(detect(b"abc\0def"), Format::Binary(_)));
        assert_eq!(detect("Protocol – version 2".as_bytes()), Format::Text);
        assert_eq!(detect(b"MZ trial protocol"), Format::Text);
        assert!(matches!(detect(b"MZ\x90\x00\x03\x00"), Format::Binary(_)));
    }
}
