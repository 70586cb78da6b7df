//! Plain text and markdown: UTF-8 (with or without BOM) or UTF-16 with a
//! BOM, as Word's "Unicode text" export writes; line endings normalised.

use std::path::Path;

use super::IngestError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Utf16 {
    Little,
    Big,
}

pub fn utf16_bom(bytes: &[u8]) -> Option<Utf16> {
    match bytes {
        [0xff, 0xfe, ..] => Some(Utf16::Little),
        [0xfe, 0xff, ..] => Some(Utf16::Big),
        _ => None,
    }
}

pub fn decode(path: &Path, bytes: &[u8]) -> Result<String, IngestError> {
    let text = match utf16_bom(bytes) {
        Some(order) => decode_utf16(path, &bytes[2..], order)?,
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
    Ok(normalise_newlines(text))
}

fn decode_utf16(path: &Path, body: &[u8], order: Utf16) -> Result<String, IngestError> {
    let bad = |offset| IngestError::NotUtf8 {
        path: path.to_owned(),
        offset,
    };
    if body.len() % 2 != 0 {
        return Err(bad(2 + body.len() - 1));
    }
    let units = body.chunks_exact(2).map(|pair| match order {
        Utf16::Little => u16::from_le_bytes([pair[0], pair[1]]),
        Utf16::Big => u16::from_be_bytes([pair[0], pair[1]]),
    });
    let mut text = String::with_capacity(body.len() / 2);
    for (i, unit) in char::decode_utf16(units).enumerate() {
        text.push(unit.map_err(|_| bad(2 + i * 2))?);
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
}
