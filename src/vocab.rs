//! The seed's status and kind vocabularies, as closed enums. Shared by the
//! store (which keeps them as text, see `store/vocab_sql.rs`) and the
//! analyzer (which produces them). No database here.

use std::fmt;
use std::str::FromStr;

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s.trim().to_ascii_lowercase().as_str() {
                    $($text => Ok($name::$variant),)+
                    other => Err(format!(
                        "'{other}' is not one of: {}",
                        [$($text),+].join(", ")
                    )),
                }
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// Where a protocol is in import: extracting, usable, or failed.
    ProtocolStatus { Processing => "processing", Ready => "ready", Error => "error" }
);

vocabulary!(
    /// An analysis's lifecycle.
    AnalysisStatus {
        Pending => "pending", Running => "running", Completed => "completed", Failed => "failed"
    }
);

vocabulary!(
    /// How much a suggestion matters for judging the trial.
    SuggestionType { Critical => "critical", Improvement => "improvement", Style => "style" }
);

vocabulary!(
    /// A suggestion's priority.
    Priority { High => "high", Medium => "medium", Low => "low" }
);

vocabulary!(
    /// A reviewer's decision on a suggestion.
    SuggestionStatus {
        Pending => "pending", Accepted => "accepted", Rejected => "rejected", Modified => "modified"
    }
);

vocabulary!(
    /// Report formats.
    ExportFormat { Pdf => "pdf", Docx => "docx", Html => "html", Markdown => "markdown" }
);

vocabulary!(
    /// An export's lifecycle.
    ExportStatus {
        Pending => "pending", Processing => "processing", Completed => "completed",
        Failed => "failed", Expired => "expired"
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parsing_is_case_insensitive_and_errors_list_choices() {
        assert_eq!("Ready".parse::<ProtocolStatus>(), Ok(ProtocolStatus::Ready));
        let err = "done".parse::<ProtocolStatus>().unwrap_err();
        assert!(err.contains("processing, ready, error"), "{err}");
    }
}
