//! Writing a report: the export row moves pending → processing →
//! completed (with its absolute path, size and sha256) or failed (with the
//! reason). Files are written to a private temporary file in the same
//! folder and renamed into place; never over an existing file unless
//! forced, and even then only over a regular file.
//!
//! Cleaning up expired reports removes a file only when its export
//! completed and the file at the recorded absolute path is still, byte for
//! byte, the report written (size and sha256): never a file an export
//! merely named, one in another folder, or one the user has since changed.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::export::{self, ChecklistLine, DecisionLine, Report};
use crate::store::api::ReportSource;
use crate::store::exports::{Export, NewExport};
use crate::store::{ExportFormat, ExportStatus, Store, StoreError, time};

#[derive(Clone, Debug)]
pub struct Request {
    pub protocol_id: String,
    pub format: ExportFormat,
    pub output: Option<PathBuf>,
    pub version: Option<i64>,
    pub with_text: bool,
    pub force: bool,
    pub retention_days: u32,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("export {id} failed: {message}")]
    Failed { id: String, message: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn extension(format: ExportFormat) -> &'static str {
    match format {
        ExportFormat::Markdown => "md",
        ExportFormat::Html => "html",
        ExportFormat::Docx => "docx",
        ExportFormat::Pdf => "pdf",
    }
}

/// A file name from the title: letters, digits and dashes.
fn default_name(title: &str, format: ExportFormat) -> PathBuf {
    let slug: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect::<String>()
        .split('-')
        .filter(|w| !w.is_empty())
        .take(8)
        .collect::<Vec<_>>()
        .join("-");
    let slug = if slug.is_empty() {
        "protocol".to_owned()
    } else {
        slug
    };
    PathBuf::from(format!("{slug}-report.{}", extension(format)))
}

/// The `file_path` column's limit.
const PATH_MAX_CHARS: usize = 500;

pub fn run(store: &Store, request: &Request) -> Result<Export, ExportError> {
    let report = build(store, request)?;
    let requested = request
        .output
        .clone()
        .unwrap_or_else(|| default_name(&report.title, request.format));
    // Recorded absolute, so cleanup run from any folder finds this file.
    let path = std::path::absolute(&requested).map_err(|e| {
        StoreError::Invalid(format!("cannot tell where {} is: {e}", requested.display()))
    })?;
    let recorded = path.to_string_lossy().into_owned();
    if recorded.chars().count() > PATH_MAX_CHARS {
        return Err(StoreError::Invalid(format!(
            "the report's path is longer than {PATH_MAX_CHARS} characters: pass a shorter --output"
        ))
        .into());
    }
    let expires = time::format_time(
        chrono::Utc::now() + chrono::Duration::days(request.retention_days.into()),
    );
    let row = store.create_export(&NewExport {
        protocol_id: request.protocol_id.clone(),
        format: request.format,
        file_path: Some(recorded.clone()),
        export_options: Some(serde_json::json!({
            "version": request.version,
            "with_text": request.with_text,
            "force": request.force,
        })),
        expires_at: Some(expires),
    })?;
    store.set_export_status(&row.id, ExportStatus::Processing, None, None)?;
    let rendered: Result<Vec<u8>, String> = match request.format {
        ExportFormat::Html => Ok(export::html::render(&report).into_bytes()),
        ExportFormat::Markdown => Ok(export::markdown::render(&report).into_bytes()),
        ExportFormat::Docx => {
            export::docx::render(&report).map_err(|e| format!("cannot build the document: {e}"))
        }
        ExportFormat::Pdf => Ok(export::pdf::render(&report)),
    };
    match rendered.and_then(|bytes| write_atomically(&path, &bytes, request.force)) {
        Ok(written) => {
            Ok(store.complete_export(&row.id, &written.path, written.size, &written.sha256)?)
        }
        Err(message) => {
            store.set_export_status(&row.id, ExportStatus::Failed, None, Some(&message))?;
            Err(ExportError::Failed {
                id: row.id,
                message,
            })
        }
    }
}

fn build(store: &Store, request: &Request) -> Result<Report, ExportError> {
    let ReportSource {
        protocol,
        analysis,
        version,
        suggestions,
    } = store.report_source(&request.protocol_id, request.version)?;
    let version_text = version.map(|v| v.content);
    let decisions: Vec<DecisionLine> = suggestions
        .into_iter()
        .map(|s| DecisionLine {
            section: s.section,
            kind: s.kind.to_string(),
            priority: s.priority.to_string(),
            reference: s.guideline_reference,
            status: s.status.to_string(),
            // The report reads as the finding, then the wording proposed
            // for the protocol.
            content: match &s.suggested_text {
                Some(text) => format!("{}\n\nSuggested text:\n{text}", s.content),
                None => s.content.clone(),
            },
            modified: s.modified_content,
            comment: s.user_comment,
        })
        .collect();
    let checklist: Vec<ChecklistLine> =
        export::checklist_lines(analysis.as_ref().and_then(|a| a.results.as_ref()));
    let words = protocol.content.split_whitespace().count();
    let mut facts = vec![
        ("Protocol".to_owned(), protocol.id.clone()),
        ("Status".to_owned(), protocol.status.to_string()),
        ("Words".to_owned(), words.to_string()),
        (
            "Imported".to_owned(),
            crate::format::when(&protocol.created_at),
        ),
    ];
    if let Some(path) = &protocol.file_path {
        facts.push(("Source file".to_owned(), path.clone()));
    }
    match &analysis {
        Some(a) => facts.push((
            "Analysis".to_owned(),
            format!(
                "{} by {}, {}",
                a.id,
                a.provider,
                a.completed_at
                    .as_deref()
                    .map(crate::format::when)
                    .unwrap_or_default()
            ),
        )),
        None => facts.push(("Analysis".to_owned(), "none yet".to_owned())),
    }
    let text = request.with_text.then(|| {
        version_text
            .clone()
            .unwrap_or_else(|| protocol.content.clone())
    });
    Ok(Report {
        title: protocol.title.clone(),
        protocol_id: protocol.id.clone(),
        version: request.version,
        facts,
        scores: vec![
            (
                "Overall".to_owned(),
                analysis.as_ref().and_then(|a| a.overall_score),
            ),
            (
                "SPIRIT 2013".to_owned(),
                analysis.as_ref().and_then(|a| a.spirit_score),
            ),
            (
                "CONSORT 2010".to_owned(),
                analysis.as_ref().and_then(|a| a.consort_score),
            ),
        ],
        checklist,
        decisions,
        text,
        generated_at: crate::format::when(&time::now()),
    })
}

/// What was written, and where it really is.
struct Written {
    path: String,
    size: u64,
    sha256: String,
}

/// Write `bytes` to a private temporary file beside `path` and rename it
/// into place. Without `force` nothing that exists is replaced (checked by
/// the rename itself); with it, only a regular file is. Errors are
/// sentences for the user.
fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<Written, String> {
    let shown = path.display();
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => {
            return Err(format!(
                "{shown} is a folder: pass a file name with --output"
            ));
        }
        Ok(_) if !force => {
            return Err(format!(
                "{shown} already exists: pass --force to replace it, or another --output"
            ));
        }
        Ok(meta) if !meta.is_file() => {
            return Err(format!(
                "{shown} is {}: --force replaces only a regular file; pass another --output",
                crate::files::special_kind(&meta).unwrap_or("not a regular file")
            ));
        }
        _ => {}
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::files::clean_stale(dir);
    let mut temp = crate::files::temp_in(dir, "report")
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
    temp.write_all(bytes)
        .and_then(|()| temp.as_file().sync_all())
        .map_err(|e| format!("cannot write {shown}: {e} (is the disk full?)"))?;
    let placed = if force {
        temp.persist(path).map(drop)
    } else {
        temp.persist_noclobber(path).map(drop)
    };
    placed.map_err(|e| match e.error.kind() {
        std::io::ErrorKind::AlreadyExists => {
            format!("{shown} already exists: pass --force to replace it, or another --output")
        }
        _ => format!("cannot put the report at {shown}: {}", e.error),
    })?;
    crate::files::sync_dir(dir);
    // Where it really is: the folder with its links resolved.
    let real = std::fs::canonicalize(dir)
        .map(|d| d.join(path.file_name().unwrap_or_default()))
        .unwrap_or_else(|_| path.to_owned());
    Ok(Written {
        path: real
            .to_string_lossy()
            .chars()
            .take(PATH_MAX_CHARS)
            .collect(),
        size: bytes.len() as u64,
        sha256: format!("{:x}", Sha256::digest(bytes)),
    })
}

/// What cleanup did with one expired export's file.
#[derive(Clone, Debug, PartialEq)]
pub enum FileFate {
    Removed,
    /// Left in place, and why.
    Kept(&'static str),
    /// Already gone from where it was written.
    Gone,
    /// No file to look at (the export failed, or named none).
    NoFile,
}

/// Mark every export past its expiry `expired` and remove the files that
/// are still exactly the reports written; returns each with what happened.
pub fn cleanup(store: &Store) -> Result<Vec<(Export, FileFate)>, StoreError> {
    let due = store.exports_due_for_expiry(&time::now())?;
    let mut done = Vec::with_capacity(due.len());
    for export in due {
        let fate = retire_file(&export);
        let expired = store.set_export_status(
            &export.id,
            ExportStatus::Expired,
            None,
            export.error_message.as_deref(),
        )?;
        done.push((expired, fate));
    }
    Ok(done)
}

/// Remove an expired export's file if, and only if, it is still the report.
fn retire_file(export: &Export) -> FileFate {
    if export.status != ExportStatus::Completed {
        return FileFate::NoFile;
    }
    let (Some(path), Some(size), Some(sha256)) = (
        export.file_path.as_deref(),
        export.file_size,
        export.file_sha256.as_deref(),
    ) else {
        return FileFate::Kept("written by an older ProtoScribe, which kept no checksum");
    };
    let path = Path::new(path);
    if !path.is_absolute() {
        return FileFate::Kept("its recorded path is not absolute");
    }
    match std::fs::symlink_metadata(path) {
        Err(_) => return FileFate::Gone,
        Ok(meta) if !meta.is_file() => return FileFate::Kept("it is no longer a regular file"),
        Ok(meta) if meta.len() != size as u64 => {
            return FileFate::Kept("it has changed since the export");
        }
        Ok(_) => {}
    }
    if file_sha256(path).as_deref() != Some(sha256) {
        return FileFate::Kept("it has changed since the export");
    }
    match std::fs::remove_file(path) {
        Ok(()) => FileFate::Removed,
        Err(_) => FileFate::Kept("it could not be removed"),
    }
}

fn file_sha256(path: &Path) -> Option<String> {
    let mut file = crate::files::open_regular(path).ok()?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Some(format!("{:x}", hasher.finalize())),
            Ok(n) => hasher.update(&buf[..n]),
            Err(_) => return None,
        }
    }
}
