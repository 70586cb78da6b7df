//! Writing the objects of a PDF file: numbered in order, streams
//! compressed, a cross-reference table whose offsets are the bytes'
//! own, and a trailer naming the catalog and the document's title.

use std::fmt::Write as _;
use std::io::Write as _;

pub enum Object {
    /// A dictionary or any other direct value.
    Dict(String),
    /// A stream: extra dictionary entries and the uncompressed data.
    Stream { extra: String, data: Vec<u8> },
}

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    // Writing into a Vec cannot fail.
    let _ = encoder.write_all(data);
    encoder.finish().unwrap_or_default()
}

/// A text string for the document information dictionary: UTF-16 with a
/// byte order mark, in hex, so any title survives.
pub fn text_string(text: &str) -> String {
    let mut out = String::from("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
    out
}

/// The file: objects numbered from 1 in the order given; `root` and
/// `info` are object numbers.
pub fn write(objects: &[Object], root: usize, info: usize) -> Vec<u8> {
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(out.len());
        let _ = writeln!(out, "{} 0 obj", i + 1);
        match object {
            Object::Dict(dict) => {
                out.extend_from_slice(dict.as_bytes());
            }
            Object::Stream { extra, data } => {
                let packed = deflate(data);
                let _ = write!(
                    out,
                    "<< /Length {} /Filter /FlateDecode{}{} >>\nstream\n",
                    packed.len(),
                    if extra.is_empty() { "" } else { " " },
                    extra
                );
                out.extend_from_slice(&packed);
                out.extend_from_slice(b"\nendstream");
            }
        }
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    let _ = write!(out, "xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1);
    for offset in offsets {
        let _ = writeln!(out, "{offset:010} 00000 n ");
    }
    let _ = write!(
        out,
        "trailer\n<< /Size {} /Root {root} 0 R /Info {info} 0 R >>\nstartxref\n{xref}\n%%EOF\n",
        objects.len() + 1
    );
    out
}
