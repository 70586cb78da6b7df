//! Text from PDF files, page by page (pdf-extract, pure Rust). A PDF
//! parser meeting a malformed file may panic; that is caught and reported
//! as a damaged file. A PDF with pages but no text is a scan.

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum PdfError {
    #[error("is a damaged or incomplete PDF; save or export it again")]
    Damaged,
    #[error(
        "is an encrypted or password-protected PDF; save a copy without protection and import that"
    )]
    Encrypted,
    #[error(
        "has {0} page(s) but no text layer (a scan?); export the text from the source document, or run it through OCR first"
    )]
    NoText(usize),
}

pub struct PdfText {
    pub text: String,
    pub pages: usize,
}

pub fn extract(bytes: &[u8]) -> Result<PdfText, PdfError> {
    // The parser is third-party code facing hostile input: a panic there
    // must not take the import down, nor print to the user's terminal.
    let result = crate::panics::catch(|| pdf_extract::extract_text_from_mem_by_pages(bytes));
    let pages = match result {
        Err(_) => return Err(PdfError::Damaged),
        Ok(Err(e)) => {
            let message = e.to_string().to_lowercase();
            return Err(
                if message.contains("encrypt") || message.contains("password") {
                    PdfError::Encrypted
                } else {
                    PdfError::Damaged
                },
            );
        }
        Ok(Ok(pages)) => pages,
    };
    let count = pages.len();
    let text = pages
        .iter()
        .map(|p| tidy(p))
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n");
    if text.trim().is_empty() {
        return Err(PdfError::NoText(count));
    }
    Ok(PdfText {
        text: text + "\n",
        pages: count,
    })
}

/// Page text with trailing spaces and runs of blank lines folded.
fn tidy(page: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut blank = 0;
    for line in page.lines() {
        let line = line.trim_end();
        if line.trim().is_empty() {
            blank += 1;
            if blank == 1 {
                out.push('\n');
            }
            continue;
        }
        blank = 0;
        out.push_str(line);
        out.push('\n');
    }
    out.trim().to_owned()
}
