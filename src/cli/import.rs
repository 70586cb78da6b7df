//! `protoscribe import FILE...`: read, check and store protocol documents,
//! each file in its own transaction (all of it or none of it).

use std::io::Write;
use std::path::PathBuf;

use super::{Context, Error, Result, output};
use crate::ingest;
pub use crate::jobs::import::{
    ImportError, ImportOptions, Outcome, current_user, import_prepared, store_document,
};

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

pub fn run(ctx: &Context, args: Args) -> Result {
    if args.title.is_some() && args.files.len() > 1 {
        return Err(Error::Arguments(
            "--title names one protocol: import the files one at a time to give each a title"
                .into(),
        ));
    }
    // Check every file before touching the store, so bad input alone
    // never creates or changes one.
    let prepared: Vec<std::result::Result<ingest::Prepared, ingest::IngestError>> = args
        .files
        .iter()
        .map(|path| ingest::read_bytes(path, args.max_size).and_then(|b| ingest::prepare(path, b)))
        .collect();
    if prepared.iter().all(|p| p.is_err()) {
        return report_all(prepared);
    }
    let store = ctx.open_or_create()?;
    let options = ImportOptions {
        title: args.title,
        description: args.description,
        force: args.force,
    };
    let mut failed = false;
    let mut stdout = std::io::stdout().lock();
    for (path, file) in args.files.iter().zip(prepared) {
        let outcome = file
            .map_err(Error::from)
            .and_then(|file| import_prepared(&store, path, file, &options).map_err(import_error));
        match outcome {
            Ok(Outcome::Imported(p)) => writeln!(stdout, "{}", p.id)?,
            Ok(Outcome::AlreadyThere(p)) => {
                output::print_note(&format!(
                    "{} was imported before as {} ({}); using it (pass --force to import it again)",
                    p.file_path.as_deref().unwrap_or("this file"),
                    p.id,
                    p.title
                ));
                writeln!(stdout, "{}", p.id)?;
            }
            Err(e) => {
                output::print_error(&e);
                failed = true;
            }
        }
    }
    if failed { Err(Error::Reported) } else { Ok(()) }
}

fn import_error(e: ImportError) -> Error {
    match e {
        ImportError::Ingest(e) => Error::Ingest(e),
        ImportError::Store(e) => Error::Store(e),
        failed @ ImportError::Failed { .. } => Error::Usage(failed.to_string()),
    }
}

fn report_all(prepared: Vec<std::result::Result<ingest::Prepared, ingest::IngestError>>) -> Result {
    let mut errors: Vec<_> = prepared.into_iter().filter_map(|p| p.err()).collect();
    if errors.len() == 1 {
        return Err(errors.remove(0).into());
    }
    for e in errors {
        output::print_error(&e);
    }
    Err(Error::Reported)
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
