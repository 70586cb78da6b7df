//! `protoscribe import FILE...`: read, check and store protocol documents,
//! each file in its own transaction (all of it or none of it).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::{Context, Error, Result};
use crate::ingest::{self, Document};
use crate::store::protocols::{self, NewProtocol, Protocol, ProtocolInfo};
use crate::store::{ProtocolStatus, Store, versions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Protocol documents to import.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<PathBuf>,
    /// Title to store (one file only); default: the document's first heading.
    #[arg(long)]
    title: Option<String>,
    /// A short description to store with the protocol.
    #[arg(long)]
    description: Option<String>,
    /// Import again even if the same bytes were imported before.
    #[arg(long)]
    force: bool,
    /// Largest file accepted, in bytes or with a K, M or G suffix.
    #[arg(long, value_name = "SIZE", env = "PROTOSCRIBE_MAX_IMPORT_SIZE", default_value = "50M", value_parser = parse_size)]
    max_size: u64,
}

pub(super) fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let text = text.trim();
    let (digits, multiplier) = match text.char_indices().last() {
        Some((i, 'k' | 'K')) => (&text[..i], 1 << 10),
        Some((i, 'm' | 'M')) => (&text[..i], 1 << 20),
        Some((i, 'g' | 'G')) => (&text[..i], 1 << 30),
        _ => (text, 1),
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a size like 50M, 2048K or 1000000"))?;
    n.checked_mul(multiplier)
        .ok_or_else(|| format!("'{text}' is too large"))
}

/// What happened to one file.
pub enum Outcome {
    Imported(Protocol),
    AlreadyThere(ProtocolInfo),
}

pub fn run(ctx: &Context, args: Args) -> Result {
    if args.title.is_some() && args.files.len() > 1 {
        return Err(Error::Usage(
            "--title names one protocol: import the files one at a time to give each a title"
                .into(),
        ));
    }
    // Read every file before touching the store, so a bad path does not
    // leave an empty store behind.
    let documents: Vec<_> = args
        .files
        .iter()
        .map(|path| ingest::read_document(path, args.max_size))
        .collect();
    if documents.iter().all(|d| d.is_err()) {
        return report_all(documents);
    }
    let store = ctx.open_for_writing()?;
    let options = ImportOptions {
        title: args.title,
        description: args.description,
        force: args.force,
    };
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for document in documents {
        let outcome = document
            .map_err(Error::from)
            .and_then(|doc| store_document(&store, &doc, &options).map_err(Error::from));
        match outcome {
            Ok(Outcome::Imported(p)) => writeln!(stdout, "{}", p.id)?,
            Ok(Outcome::AlreadyThere(p)) => {
                eprintln!(
                    "note: {} was imported before as {} ({}); using it (pass --force to import it again)",
                    p.file_path.as_deref().unwrap_or("this file"),
                    p.id,
                    super::output::clean(&p.title, false)
                );
                writeln!(stdout, "{}", p.id)?;
            }
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    if failed { Err(Error::Reported) } else { Ok(()) }
}

fn report_all(documents: Vec<std::result::Result<Document, ingest::IngestError>>) -> Result {
    let mut errors: Vec<_> = documents.into_iter().filter_map(|d| d.err()).collect();
    if errors.len() == 1 {
        return Err(errors.remove(0).into());
    }
    for e in errors {
        eprintln!("error: {e}");
    }
    Err(Error::Reported)
}

/// How one document is stored.
pub struct ImportOptions {
    pub title: Option<String>,
    pub description: Option<String>,
    /// Store it again even when the same bytes are already there.
    pub force: bool,
}

/// Store a document as a ready protocol with its version 1, in one
/// transaction; an earlier import of the same bytes is reused unless forced.
pub fn store_document(
    store: &Store,
    doc: &Document,
    options: &ImportOptions,
) -> crate::store::Result<Outcome> {
    store.write(|tx| {
        if !options.force
            && let Some(existing) = protocols::find_by_sha256(tx, &doc.sha256)?
        {
            return Ok(Outcome::AlreadyThere(existing));
        }
        let protocol = protocols::create(
            tx,
            &NewProtocol {
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
            },
        )?;
        versions::create(
            tx,
            &protocol.id,
            1,
            &protocol.content,
            Some("Imported text"),
            current_user().as_deref(),
        )?;
        Ok(Outcome::Imported(protocol))
    })
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

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_take_suffixes() {
        assert_eq!(parse_size("50M"), Ok(50 << 20));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert_eq!(parse_size("10"), Ok(10));
        assert!(parse_size("lots").is_err());
    }
}
