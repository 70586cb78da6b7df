//! Styles, in the 16 basic colours that every terminal (and tmux, and
//! screen) shows; with NO_COLOR set, no colour at all: meaning is carried
//! by symbols and text, emphasis by bold and reverse video.

use ratatui::style::{Color, Modifier, Style};

use crate::vocab::{Priority, SuggestionStatus, SuggestionType};

#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn from_env() -> Theme {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Theme { color: !no_color }
    }

    fn fg(self, color: Color) -> Style {
        if self.color {
            Style::default().fg(color)
        } else {
            Style::default()
        }
    }

    pub fn title(self) -> Style {
        Style::default().add_modifier(Modifier::BOLD)
    }

    pub fn border(self, focused: bool) -> Style {
        match (focused, self.color) {
            (true, true) => Style::default()
                .fg(Color::Cyan)
                .add_modifier(Modifier::BOLD),
            (true, false) => Style::default().add_modifier(Modifier::BOLD),
            (false, _) => self.fg(Color::DarkGray),
        }
    }

    pub fn selected(self) -> Style {
        Style::default().add_modifier(Modifier::REVERSED)
    }

    pub fn dim(self) -> Style {
        if self.color {
            Style::default().fg(Color::DarkGray)
        } else {
            Style::default().add_modifier(Modifier::DIM)
        }
    }

    pub fn error(self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }

    pub fn ok(self) -> Style {
        self.fg(Color::Green)
    }

    pub fn key(self) -> Style {
        self.fg(Color::Yellow).add_modifier(Modifier::BOLD)
    }

    pub fn kind(self, kind: SuggestionType) -> Style {
        match kind {
            SuggestionType::Critical => self.fg(Color::Red).add_modifier(Modifier::BOLD),
            SuggestionType::Improvement => self.fg(Color::Yellow),
            SuggestionType::Style => self.fg(Color::Blue),
        }
    }

    pub fn status(self, status: SuggestionStatus) -> Style {
        match status {
            SuggestionStatus::Pending => Style::default(),
            SuggestionStatus::Accepted => self.fg(Color::Green),
            SuggestionStatus::Modified => self.fg(Color::Cyan),
            SuggestionStatus::Rejected => self.dim(),
        }
    }

    pub fn gauge(self, score: f64) -> Style {
        let color = if score >= 80.0 {
            Color::Green
        } else if score >= 50.0 {
            Color::Yellow
        } else {
            Color::Red
        };
        self.fg(color)
    }
}

/// Symbols carry the meaning colour would, so NO_COLOR loses nothing.
pub fn status_symbol(status: SuggestionStatus) -> &'static str {
    match status {
        SuggestionStatus::Pending => "○",
        SuggestionStatus::Accepted => "✓",
        SuggestionStatus::Modified => "✎",
        SuggestionStatus::Rejected => "✗",
    }
}

pub fn priority_letter(priority: Priority) -> &'static str {
    match priority {
        Priority::High => "H",
        Priority::Medium => "M",
        Priority::Low => "L",
    }
}

pub fn kind_label(kind: SuggestionType) -> &'static str {
    match kind {
        SuggestionType::Critical => "crit",
        SuggestionType::Improvement => "impr",
        SuggestionType::Style => "styl",
    }
}
