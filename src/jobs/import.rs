//! Storing an imported document: one transaction holds the protocol and
//! its version 1; the same bytes imported again reuse the protocol unless
//! forced. Shared by `protoscribe import` and the interface's import.
//!
//! A Word or PDF file's text is extracted before anything is written, so
//! an import interrupted during the (possibly slow) extraction leaves
//! nothing behind, and a store that fails while the protocol is written
//! keeps nothing of it (one transaction). The protocol is then `ready`, or,
//! when extraction failed, `error` with the reason in its metadata, so the
//! failure is on record and the file can be imported again once fixed.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::ingest::{self, Document, IngestError, Prepared};
use crate::store::StoreError;
use crate::store::api::Imported;
use crate::store::protocols::{NewProtocol, Protocol, ProtocolInfo};
use crate::store::{ProtocolStatus, Store};

/// What happened to one file.
pub enum Outcome {
    Imported(Protocol),
    AlreadyThere(ProtocolInfo),
}

/// How one document is stored.
pub struct ImportOptions {
    pub title: Option<String>,
    pub description: Option<String>,
    /// Store it again even when the same bytes are already there.
    pub force: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{message} (kept as protocol {id}, status error)")]
    Failed { id: String, message: String },
}

/// Import one file: read and check it, then store it.
pub fn import_file(
    store: &Store,
    path: &Path,
    max_bytes: u64,
    options: &ImportOptions,
) -> Result<Outcome, ImportError> {
    let bytes = ingest::read_bytes(path, max_bytes)?;
    import_prepared(store, path, ingest::prepare(path, bytes)?, options)
}

/// Store a checked file: plain text is decoded already; a Word or PDF
/// file is extracted first, then stored in one transaction, `ready` or
/// (extraction failed) `error`.
pub fn import_prepared(
    store: &Store,
    path: &Path,
    prepared: Prepared,
    options: &ImportOptions,
) -> Result<Outcome, ImportError> {
    let (format, bytes) = match prepared {
        Prepared::Decoded(doc) => return Ok(store_document(store, &doc, options)?),
        Prepared::Extract { format, bytes } => (format, bytes),
    };
    let sha256 = format!("{:x}", Sha256::digest(&bytes));
    // Imported before: no need to extract it again.
    if !options.force
        && let Some(existing) = store.protocol_by_sha256(&sha256)?
    {
        return Ok(Outcome::AlreadyThere(existing));
    }
    let e = match ingest::from_bytes(path, &bytes) {
        Ok(doc) => return Ok(store_document(store, &doc, options)?),
        Err(e) => e,
    };
    let message = e.to_string();
    let title = options
        .title
        .clone()
        .or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().chars().take(200).collect::<String>())
        })
        .filter(|t| !t.trim().is_empty())
        .unwrap_or_else(|| "Untitled protocol".into());
    let failed = store.create_protocol(&NewProtocol {
        title,
        description: options.description.clone(),
        content: String::new(),
        status: Some(ProtocolStatus::Error),
        file_path: Some(display_path(path)),
        file_size: Some(bytes.len() as i64),
        metadata: Some(serde_json::json!({
            "source_format": format.as_str(),
            "sha256": sha256,
            "error": message,
        })),
    })?;
    Err(ImportError::Failed {
        id: failed.info.id,
        message,
    })
}

/// Store a document as a ready protocol with its version 1 (its
/// imported text), in one transaction; an earlier import of the same bytes
/// is reused unless forced.
pub fn store_document(
    store: &Store,
    doc: &Document,
    options: &ImportOptions,
) -> crate::store::Result<Outcome> {
    let new = NewProtocol {
        title: options
            .title
            .clone()
            .unwrap_or_else(|| doc.suggested_title()),
        description: options.description.clone(),
        content: doc.content.clone(),
        status: Some(ProtocolStatus::Ready),
        file_path: Some(display_path(&doc.path)),
        file_size: Some(doc.file_size as i64),
        metadata: Some(doc.metadata()),
    };
    let reuse = (!options.force).then_some(doc.sha256.as_str());
    let user = current_user();
    Ok(
        match store.import_protocol(&new, reuse, "Imported text", user.as_deref())? {
            Imported::New(protocol) => Outcome::Imported(protocol),
            Imported::Before(existing) => Outcome::AlreadyThere(existing),
        },
    )
}

/// The absolute path when it fits the column, else the path as given.
fn display_path(path: &Path) -> String {
    let absolute = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_owned());
    let text = absolute.to_string_lossy();
    if text.chars().count() <= 500 {
        text.into_owned()
    } else {
        text.chars()
            .rev()
            .take(500)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect()
    }
}

/// The operating-system user, for `created_by`: the account's name, else
/// `$USER`.
pub fn current_user() -> Option<String> {
    account_name()
        .or_else(|| {
            ["USER", "LOGNAME", "USERNAME"]
                .into_iter()
                .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        })
        .map(|u| u.chars().take(100).collect())
}

fn account_name() -> Option<String> {
    let mut buf = vec![0 as libc::c_char; 4096];
    let mut pwd = std::mem::MaybeUninit::<libc::passwd>::uninit();
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: getpwuid_r writes into the buffers we own and sizes we pass,
    // and sets `result` to null or to `pwd`; the name points into `buf`.
    unsafe {
        let rc = libc::getpwuid_r(
            libc::getuid(),
            pwd.as_mut_ptr(),
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        );
        if rc != 0 || result.is_null() {
            return None;
        }
        let name = std::ffi::CStr::from_ptr((*result).pw_name);
        name.to_str()
            .ok()
            .map(str::to_owned)
            .filter(|n| !n.is_empty())
    }
}
