//! Plain text and markdown: UTF-8 (with or without BOM), or UTF-16 or
//! UTF-32 with a BOM, as Word's and other editors' "Unicode text" exports
//! write; line endings normalised. Text holding NUL characters is refused:
//! it is no document, whatever its encoding.

use std::path::Path;

use super::IngestError;

/// The Unicode encodings told by their byte-order mark.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bom {
    Utf16Le,
    Utf16Be,
    Utf32Le,
    Utf32Be,
}

impl Bom {
    fn len(self) -> usize {
        match self {
            Bom::Utf16Le | Bom::Utf16Be => 2,
            Bom::Utf32Le | Bom::Utf32Be => 4,
        }
    }
}

/// The byte-order mark `bytes` start with, if any. UTF-32's little-endian
/// mark begins with UTF-16's, so it is looked for first.
pub fn bom(bytes: &[u8]) -> Option<Bom> {
    match bytes {
        [0xff, 0xfe, 0, 0, ..] => Some(Bom::Utf32Le),
        [0, 0, 0xfe, 0xff, ..] => Some(Bom::Utf32Be),
        [0xff, 0xfe, ..] => Some(Bom::Utf16Le),
        [0xfe, 0xff, ..] => Some(Bom::Utf16Be),
        _ => None,
    }
}

pub fn decode(path: &Path, bytes: &[u8]) -> Result<String, IngestError> {
    let text = match bom(bytes) {
        Some(order) => decode_wide(path, &bytes[order.len()..], order)?,
        None => {
            let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
            let bom = bytes.len() - body.len();
            std::str::from_utf8(body)
                .map_err(|e| IngestError::NotUtf8 {
                    path: path.to_owned(),
                    offset: bom + e.valid_up_to(),
                })?
                .to_owned()
        }
    };
    if text.contains('\0') {
        return Err(IngestError::Binary {
            path: path.to_owned(),
            what: "binary data (it holds NUL characters)",
        });
    }
    Ok(normalise_newlines(text))
}

/// UTF-16 or UTF-32 after its mark; errors give the byte offset in the file.
fn decode_wide(path: &Path, body: &[u8], order: Bom) -> Result<String, IngestError> {
    let start = order.len();
    let (encoding, unit) = match order {
        Bom::Utf16Le | Bom::Utf16Be => ("UTF-16", 2),
        Bom::Utf32Le | Bom::Utf32Be => ("UTF-32", 4),
    };
    let bad = |index: usize| IngestError::NotUnicode {
        path: path.to_owned(),
        encoding,
        offset: start + index * unit,
    };
    if !body.len().is_multiple_of(unit) {
        return Err(bad(body.len() / unit));
    }
    let mut text = String::with_capacity(body.len() / unit);
    match order {
        Bom::Utf16Le | Bom::Utf16Be => {
            let units = body.chunks_exact(2).map(|pair| match order {
                Bom::Utf16Le => u16::from_le_bytes([pair[0], pair[1]]),
                _ => u16::from_be_bytes([pair[0], pair[1]]),
            });
            // Index in code units, so a surrogate pair counts as two.
            let mut index = 0;
            for decoded in char::decode_utf16(units) {
                let c = decoded.map_err(|_| bad(index))?;
                index += c.len_utf16();
                text.push(c);
            }
        }
        Bom::Utf32Le | Bom::Utf32Be => {
            for (index, quad) in body.chunks_exact(4).enumerate() {
                let quad = [quad[0], quad[1], quad[2], quad[3]];
                let value = match order {
                    Bom::Utf32Le => u32::from_le_bytes(quad),
                    _ => u32::from_be_bytes(quad),
                };
                text.push(char::from_u32(value).ok_or_else(|| bad(index))?);
            }
        }
    }
    Ok(text)
}

fn normalise_newlines(text: String) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n").replace('\r', "\n")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_reports_the_byte_offset() {
        let err = decode(Path::new("x.txt"), b"abc\xffdef").unwrap_err();
        assert!(
            matches!(err, IngestError::NotUtf8 { offset: 3, .. }),
            "{err}"
        );
    }

    #[test]
    fn bom_and_crlf_are_removed() {
        let text = decode(Path::new("x.txt"), b"\xef\xbb\xbfa\r\nb\rc").unwrap();
        assert_eq!(text, "a\nb\nc");
    }

    #[test]
    fn utf16_with_bom_is_decoded() {
        let bytes = [0xff, 0xfe, b'h', 0, b'i', 0];
        assert_eq!(decode(Path::new("x.txt"), &bytes).unwrap(), "hi");
    }

    #[test]
    fn utf32_is_told_from_utf16_by_its_mark() {
        let le = [0xff, 0xfe, 0, 0, b'h', 0, 0, 0, b'i', 0, 0, 0];
        assert_eq!(decode(Path::new("x.txt"), &le).unwrap(), "hi");
        let be = [0, 0, 0xfe, 0xff, 0, 0, 0, b'h'];
        assert_eq!(decode(Path::new("x.txt"), &be).unwrap(), "h");
    }

    #[test]
    fn a_lone_surrogate_is_bad_utf16_at_its_offset() {
        let bytes = [0xff, 0xfe, b'a', 0, 0x00, 0xd8, b'b', 0];
        let err = decode(Path::new("x.txt"), &bytes).unwrap_err();
        assert!(
            matches!(
                err,
                IngestError::NotUnicode {
                    encoding: "UTF-16",
                    offset: 4,
                    ..
                }
            ),
            "{err}"
        );
    }
}
