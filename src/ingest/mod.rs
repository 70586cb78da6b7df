//! Reading protocol documents from disk into text, with every check a
//! hostile or broken file needs before anything is stored.

pub mod detect;
pub mod docx;
pub mod outline;
pub mod pdf;
pub mod text;

use std::io::Read;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::analysis::structure;
pub use detect::Format;

/// Default ceiling on an imported file's size.
pub const DEFAULT_MAX_BYTES: u64 = 50 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{0}: no such file; check the path")]
    Missing(PathBuf),
    #[error("{0} is a folder; pass the protocol files inside it")]
    Directory(PathBuf),
    #[error("{path} is {kind}, not a file; save the protocol to a file and import that")]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{path}: cannot read it ({source}); check its permissions")]
    Unreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0} is empty; export the protocol's text again")]
    Empty(PathBuf),
    #[error(
        "{path} is {size} bytes, over the {limit}-byte limit; split it, or raise the limit with --max-size"
    )]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("{path} looks like {what}, not a document; import a .txt, .md, .docx or .pdf protocol")]
    Binary { path: PathBuf, what: &'static str },
    #[error(
        "{path} is not valid UTF-8 text (first bad byte at offset {offset}); save it as UTF-8 and import again"
    )]
    NotUtf8 { path: PathBuf, offset: usize },
    #[error(
        "{path} is not valid {encoding} text (bad character at byte offset {offset}); save it as UTF-8 and import again"
    )]
    NotUnicode {
        path: PathBuf,
        encoding: &'static str,
        offset: usize,
    },
    #[error("{path} {source}")]
    Docx {
        path: PathBuf,
        source: docx::DocxError,
    },
    #[error("{0} has no text to import; check that it is the protocol you meant")]
    NoText(PathBuf),
    #[error("{path} {source}")]
    Pdf {
        path: PathBuf,
        source: pdf::PdfError,
    },
}

/// A document read and checked, ready to be stored.
#[derive(Clone, Debug)]
pub struct Document {
    pub path: PathBuf,
    pub format: Format,
    pub content: String,
    pub file_size: u64,
    pub sha256: String,
    pub headings: Vec<String>,
    pub word_count: usize,
    /// Pages, for a PDF.
    pub pages: Option<usize>,
    /// Running header, footer and page-number lines left out, for a PDF.
    pub furniture: Option<usize>,
}

impl Document {
    /// The document's own title (see `structure::document_title`), cut to
    /// the column's size at a word boundary; the file name if it has none.
    pub fn suggested_title(&self) -> String {
        let max = crate::store::protocols::TITLE_MAX;
        match structure::document_title(&self.content) {
            Some(title) if title.chars().count() <= max => title,
            Some(title) => {
                let cut: String = title.chars().take(max - 1).collect();
                let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
                format!("{}…", cut.trim_end())
            }
            None => self
                .path
                .file_stem()
                .map(|s| s.to_string_lossy().chars().take(max).collect())
                .unwrap_or_else(|| "Untitled protocol".to_owned()),
        }
    }

    /// What `protocols.metadata` records about the source.
    pub fn metadata(&self) -> serde_json::Value {
        serde_json::json!({
            "source_format": self.format.as_str(),
            "source_name": self.path.file_name().map(|n| n.to_string_lossy()),
            "sha256": self.sha256,
            "word_count": self.word_count,
            "page_count": self.pages,
            "furniture_lines_removed": self.furniture,
            "headings": self.headings,
        })
    }
}

/// Read the file at `path`, refusing anything that is not a usable text
/// protocol of at most `max_bytes`.
pub fn read_document(path: &Path, max_bytes: u64) -> Result<Document, IngestError> {
    let bytes = read_bytes(path, max_bytes)?;
    from_bytes(path, &bytes)
}

/// The file's bytes, if it is a readable regular file of at most
/// `max_bytes`. A FIFO, device or socket is refused at once, never read.
pub fn read_bytes(path: &Path, max_bytes: u64) -> Result<Vec<u8>, IngestError> {
    let unreadable = |source| IngestError::Unreadable {
        path: path.to_owned(),
        source,
    };
    let file = crate::files::open_regular(path).map_err(|e| match e {
        crate::files::OpenError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => {
            IngestError::Missing(path.to_owned())
        }
        crate::files::OpenError::Io(e) => unreadable(e),
        crate::files::OpenError::Directory => IngestError::Directory(path.to_owned()),
        crate::files::OpenError::NotRegular(kind) => IngestError::NotAFile {
            path: path.to_owned(),
            kind,
        },
    })?;
    let size = file.metadata().map_err(unreadable)?.len();
    if size > max_bytes {
        return Err(IngestError::TooLarge {
            path: path.to_owned(),
            size,
            limit: max_bytes,
        });
    }
    let mut bytes = Vec::with_capacity(size as usize);
    // Read at most one byte past the limit: a file that grows while being
    // read cannot exhaust memory.
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > max_bytes {
        return Err(IngestError::TooLarge {
            path: path.to_owned(),
            size: bytes.len() as u64,
            limit: max_bytes,
        });
    }
    Ok(bytes)
}

/// A file that passed every check short of extraction: plain text is
/// decoded already; Word and PDF files keep their bytes for the slower
/// extraction, which can still fail.
pub enum Prepared {
    Decoded(Document),
    Extract { format: Format, bytes: Vec<u8> },
}

/// The checks that need no extraction: empty, not a document, and for
/// plain text the whole decoding (done once, kept in the result).
pub fn prepare(path: &Path, bytes: Vec<u8>) -> Result<Prepared, IngestError> {
    if bytes.is_empty() {
        return Err(IngestError::Empty(path.to_owned()));
    }
    match detect::detect(&bytes) {
        Format::Binary(what) => Err(IngestError::Binary {
            path: path.to_owned(),
            what,
        }),
        format @ (Format::Docx | Format::Pdf) => Ok(Prepared::Extract { format, bytes }),
        _ => from_bytes(path, &bytes).map(Prepared::Decoded),
    }
}

/// Check and decode bytes already read from `path`.
pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Document, IngestError> {
    if bytes.is_empty() {
        return Err(IngestError::Empty(path.to_owned()));
    }
    let format = detect::detect(bytes);
    let mut pages = None;
    let mut furniture = None;
    let content = match format {
        Format::Text | Format::Markdown => text::decode(path, bytes)?,
        Format::Docx => docx::extract(bytes).map_err(|source| IngestError::Docx {
            path: path.to_owned(),
            source,
        })?,
        Format::Pdf => {
            let extracted = pdf::extract(bytes).map_err(|source| IngestError::Pdf {
                path: path.to_owned(),
                source,
            })?;
            pages = Some(extracted.pages);
            furniture = Some(extracted.furniture);
            extracted.text
        }
        Format::Binary(what) => {
            return Err(IngestError::Binary {
                path: path.to_owned(),
                what,
            });
        }
    };
    if content.trim().is_empty() {
        return Err(match format {
            Format::Docx => IngestError::NoText(path.to_owned()),
            _ => IngestError::Empty(path.to_owned()),
        });
    }
    let format = match format {
        Format::Text if is_markdown_path(path) => Format::Markdown,
        other => other,
    };
    let headings = structure::headings(&content)
        .into_iter()
        .map(|h| match h.number {
            Some(n) => format!("{n} {}", h.title),
            None => h.title,
        })
        .collect();
    Ok(Document {
        path: path.to_owned(),
        format,
        word_count: content.split_whitespace().count(),
        sha256: format!("{:x}", Sha256::digest(bytes)),
        file_size: bytes.len() as u64,
        headings,
        content,
        pages,
        furniture,
    })
}

fn is_markdown_path(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "md" | "markdown"))
}
