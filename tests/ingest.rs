//! The text importer on random and adversarial bytes: it answers every
//! input with a document or a clear error, never a panic, and keeps its
//! promises about what it accepts.

use std::path::Path;

use proptest::prelude::*;
use protoscribe::ingest::{self, IngestError};

fn read(bytes: &[u8]) -> Result<ingest::Document, IngestError> {
    ingest::from_bytes(Path::new("input.txt"), bytes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_get_a_document_or_an_error(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        match read(&bytes) {
            Ok(doc) => {
                prop_assert!(!doc.content.trim().is_empty());
                prop_assert_eq!(doc.file_size, bytes.len() as u64);
                prop_assert!(!doc.suggested_title().is_empty());
                prop_assert!(doc.suggested_title().chars().count() <= 255);
            }
            Err(e) => prop_assert!(!e.to_string().is_empty()),
        }
    }

    /// Kept byte for byte, but for a leading U+FEFF, which is a byte-order mark.
    #[test]
    fn valid_text_is_kept_as_written(text in "[^\u{0}\r\u{feff}][^\u{0}\r]{0,2000}") {
        prop_assume!(!text.trim().is_empty());
        prop_assume!(!["%PDF-", "PK\u{3}\u{4}", "{\\rtf", "GIF8"].iter().any(|s| text.starts_with(s)));
        let doc = read(text.as_bytes()).unwrap();
        prop_assert_eq!(doc.content, text);
    }

    #[test]
    fn invalid_utf8_reports_where(prefix in "[a-z ]{0,200}", tail in proptest::collection::vec(any::<u8>(), 0..50)) {
        prop_assume!(!prefix.trim().is_empty());
        let mut bytes = prefix.clone().into_bytes();
        bytes.push(0xff);
        bytes.extend(tail.iter().filter(|&&b| b != 0));
        match read(&bytes) {
            Err(IngestError::NotUtf8 { offset, .. }) => prop_assert_eq!(offset, prefix.len()),
            other => prop_assert!(false, "expected NotUtf8, got {:?}", other.map(|d| d.content)),
        }
    }
}

#[test]
fn adversarial_shapes() {
    for bytes in [
        b"\xef\xbb\xbf".to_vec(),                   // a BOM alone
        b"\xff\xfe".to_vec(),                       // a UTF-16 BOM alone
        b"\xff\xfeA".to_vec(),                      // odd UTF-16
        vec![0xff, 0xfe, 0x00, 0xd8, 0x41, 0x00],   // an unpaired surrogate
        b"#".repeat(1 << 20),                       // a megabyte of heading marks
        b"\n".repeat(1 << 20),                      // a megabyte of newlines
        "\u{1b}[2J\u{7}".repeat(1000).into_bytes(), // escape sequences
    ] {
        let _ = read(&bytes);
    }
}
