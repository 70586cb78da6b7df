//! Writing a report: the export row moves pending → processing →
//! completed (with size) or failed (with the reason). Files are written
//! to a temporary file in the same folder and renamed, private (0600), and
//! never over an existing file unless forced.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::export::{self, ChecklistLine, DecisionLine, Report};
use crate::store::exports::{self, Export, NewExport};
use crate::store::suggestions::{self, SuggestionFilter};
use crate::store::{
    ExportFormat, ExportStatus, Page, Store, StoreError, analyses, protocols, time, versions,
};

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

pub fn run(store: &Store, request: &Request) -> Result<Export, ExportError> {
    let report = build(store, request)?;
    let path = request
        .output
        .clone()
        .unwrap_or_else(|| default_name(&report.title, request.format));
    let expires = time::format_time(
        chrono::Utc::now() + chrono::Duration::days(request.retention_days.into()),
    );
    let row = store.write(|tx| {
        exports::create(
            tx,
            &NewExport {
                protocol_id: request.protocol_id.clone(),
                format: request.format,
                file_path: Some(path.display().to_string().chars().take(500).collect()),
                export_options: Some(serde_json::json!({
                    "version": request.version,
                    "with_text": request.with_text,
                    "force": request.force,
                })),
                expires_at: Some(expires),
            },
        )
    })?;
    store.write(|tx| exports::set_status(tx, &row.id, ExportStatus::Processing, None, None))?;
    let rendered: Result<Vec<u8>, String> = match request.format {
        ExportFormat::Html => Ok(export::html::render(&report).into_bytes()),
        ExportFormat::Markdown => Ok(export::markdown::render(&report).into_bytes()),
        ExportFormat::Docx => {
            export::docx::render(&report).map_err(|e| format!("cannot build the document: {e}"))
        }
        ExportFormat::Pdf => Ok(export::pdf::render(&report)),
    };
    match rendered.and_then(|bytes| write_atomically(&path, &bytes, request.force)) {
        Ok(size) => Ok(store.write(|tx| {
            exports::set_status(
                tx,
                &row.id,
                ExportStatus::Completed,
                Some(size as i64),
                None,
            )
        })?),
        Err(message) => {
            store.write(|tx| {
                exports::set_status(tx, &row.id, ExportStatus::Failed, None, Some(&message))
            })?;
            Err(ExportError::Failed {
                id: row.id,
                message,
            })
        }
    }
}

fn build(store: &Store, request: &Request) -> Result<Report, ExportError> {
    Ok(store.read(|conn| {
        let protocol = protocols::get(conn, &request.protocol_id)?;
        let analysis = analyses::latest_completed(conn, &protocol.id)?;
        let version_text = match request.version {
            Some(n) => Some(
                versions::by_number(conn, &protocol.id, n)?
                    .ok_or_else(|| {
                        StoreError::Invalid(format!(
                            "{} has no version {n}: see 'protoscribe versions {}'",
                            protocol.id, protocol.id
                        ))
                    })?
                    .content,
            ),
            None => None,
        };
        let decisions: Vec<DecisionLine> = match &analysis {
            Some(a) => {
                let filter = SuggestionFilter {
                    analysis_id: Some(a.id.clone()),
                    ..SuggestionFilter::default()
                };
                suggestions::list(conn, &filter, Page::first(u32::MAX as u64))?
                    .into_iter()
                    .map(|s| DecisionLine {
                        section: s.section,
                        kind: s.kind.to_string(),
                        priority: s.priority.to_string(),
                        reference: s.guideline_reference,
                        status: s.status.to_string(),
                        // The report reads as the finding, then the
                        // wording proposed for the protocol.
                        content: match &s.suggested_text {
                            Some(text) => format!("{}\n\nSuggested text:\n{text}", s.content),
                            None => s.content.clone(),
                        },
                        modified: s.modified_content,
                        comment: s.user_comment,
                    })
                    .collect()
            }
            None => Vec::new(),
        };
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
    })?)
}

/// Write `bytes` to a private temporary file beside `path` and rename it
/// into place; returns the size. Errors are sentences for the user.
fn write_atomically(path: &Path, bytes: &[u8], force: bool) -> Result<u64, String> {
    if path.is_dir() {
        return Err(format!(
            "{} is a folder: pass a file name with --output",
            path.display()
        ));
    }
    if path.exists() && !force {
        return Err(format!(
            "{} already exists: pass --force to replace it, or another --output",
            path.display()
        ));
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp)
            .map_err(|e| format!("cannot write in {}: {e}", dir.display()))?;
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e} (is the disk full?)", path.display()))?;
        std::fs::rename(&temp, path)
            .map_err(|e| format!("cannot put the report at {}: {e}", path.display()))?;
        Ok(bytes.len() as u64)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}
