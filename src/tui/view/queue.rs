//! The review queue of the selected protocol's latest analysis: progress,
//! the list (critical findings first, then priority, then confidence), the
//! selected suggestion in full below, and the editor for modify and
//! comment.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{pane_block, popup, record, titled, viewport};
use crate::store::SuggestionStatus;
use crate::store::suggestions::Suggestion;
use crate::tui::app::{App, EditKind, Editor, Pane};
use crate::tui::text;
use crate::tui::theme::{kind_label, priority_letter, status_symbol};

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let q = &app.queue;
    let extra = format!(" · {} {}", app.filter.label(), q.place());
    let title = titled("Review", app.selected_protocol_title(), &extra, area.width);
    let block = pane_block(app, title, Pane::Queue);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if let Some(why) = &app.unread {
        let message = format!(
            "This protocol's review could not be read ({why}). It is read again when the store answers."
        );
        frame.render_widget(
            Paragraph::new(text::line(&message).into_owned())
                .wrap(ratatui::widgets::Wrap { trim: true }),
            inner,
        );
        return;
    }
    let Some(view) = &app.view else {
        let message = match app.protocols.selected() {
            Some(_) => "No completed analysis for this protocol yet: press A to analyse it.",
            None => "No protocol selected.",
        };
        frame.render_widget(Paragraph::new(message), inner);
        return;
    };
    let [progress, header, list, detail] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Percentage(45),
        Constraint::Min(3),
    ])
    .areas(inner);
    let width = inner.width as usize;
    let p = &view.progress;
    let l = view.lineage;
    let head = format!("{} of {} reviewed", p.reviewed(), p.total);
    let carried = if l.carried + l.kept > 0 || l.new < p.total {
        format!(" · {} new, {} carried over", l.new, l.carried + l.kept)
    } else {
        String::new()
    };
    let marked = if app.marks.is_empty() {
        String::new()
    } else {
        format!(" · {} marked", app.marks.len())
    };
    let long = format!(
        " · {} accepted · {} modified · {} rejected{carried}{marked}",
        p.accepted, p.modified, p.rejected
    );
    // Symbols instead of words when the words do not fit.
    let tail = if head.chars().count() + long.chars().count() <= width {
        long
    } else {
        format!(
            " · ✓{} ✎{} ✗{}{carried}{marked}",
            p.accepted, p.modified, p.rejected
        )
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(head.clone(), app.theme.title()),
            Span::raw(text::fit(&tail, width.saturating_sub(head.chars().count()))),
        ])),
        progress,
    );
    if q.total == 0 {
        let message = if app.filter == crate::tui::app::QueueFilter::All {
            "This analysis made no suggestions."
        } else {
            "Nothing matches this filter; f shows the next one."
        };
        frame.render_widget(Paragraph::new(message), list);
        return;
    }
    // Wide screens give the section more room.
    let section_width = (width / 5).clamp(18, 30);
    let summary_width = width.saturating_sub(2 + 2 + 2 + 5 + section_width + 1 + 5);
    frame.render_widget(
        Paragraph::new(Line::styled(
            text::fit(
                &format!(
                    "  S P Kind {} Conf Finding",
                    text::cell("Section", section_width)
                ),
                width,
            ),
            app.theme.dim(),
        )),
        header,
    );
    let height = list.height as usize;
    let top = viewport(q.cursor, q.offset, q.rows.len(), height);
    let lines: Vec<Line<'_>> = q
        .rows
        .iter()
        .enumerate()
        .skip(top)
        .take(height)
        .map(|(i, s)| {
            let selected = q.offset + i as u64 == q.cursor;
            let mark = if app.marks.contains(&s.id) {
                "▸"
            } else {
                " "
            };
            let note = match (s.applied_version, s.found_again()) {
                (Some(v), _) => format!("[in v{v}] "),
                (None, false) => "[kept] ".to_owned(),
                _ => String::new(),
            };
            let first = s.content.lines().next().unwrap_or_default();
            let line = Line::from(vec![
                Span::raw(format!("{mark} ")),
                Span::styled(
                    format!("{} ", status_symbol(s.status)),
                    app.theme.status(s.status),
                ),
                Span::raw(format!("{} ", priority_letter(s.priority))),
                Span::styled(format!("{} ", kind_label(s.kind)), app.theme.kind(s.kind)),
                Span::raw(format!(
                    "{} {:.2} ",
                    text::cell(&s.section, section_width),
                    s.confidence
                )),
                Span::raw(text::fit(&format!("{note}{first}"), summary_width)),
            ]);
            if selected {
                line.style(app.theme.selected())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
    draw_detail(frame, app, detail);
}

/// The selected suggestion in full: the finding, the wording that would go
/// into the protocol, why, and the reviewer's comment.
fn draw_detail(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(s) = app.queue.selected() else {
        return;
    };
    let theme = app.theme;
    let width = area.width as usize;
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!("{} {}", status_symbol(s.status), s.status),
                theme.status(s.status),
            ),
            Span::raw(format!(
                "  {} · {} priority · confidence {:.2}",
                s.kind, s.priority, s.confidence
            )),
        ]),
        Line::styled(
            text::fit(
                &format!(
                    "{} · {}",
                    s.section,
                    s.guideline_reference.as_deref().unwrap_or("")
                ),
                width,
            ),
            theme.dim(),
        ),
    ];
    for note in notes(s) {
        lines.push(Line::styled(text::fit(&note, width), theme.dim()));
    }
    let mut block = |title: Option<&str>, body: &str| {
        lines.push(Line::raw(""));
        if let Some(title) = title {
            lines.push(Line::styled(title.to_owned(), theme.title()));
        }
        for paragraph in text::lines(body) {
            lines.extend(text::wrap(&paragraph, width).into_iter().map(Line::raw));
        }
    };
    block(None, &s.content);
    match (&s.modified_content, &s.suggested_text) {
        (Some(mine), _) if s.status == SuggestionStatus::Modified => {
            block(Some("Your wording (apply writes this)"), mine)
        }
        (_, Some(suggested)) => block(
            Some("Suggested text (apply writes this if accepted)"),
            suggested,
        ),
        _ => block(None, "No wording to insert: make this change by hand."),
    }
    if let Some(rationale) = &s.rationale {
        block(Some("Why"), rationale);
    }
    if let Some(comment) = &s.user_comment {
        block(Some("Comment"), comment);
    }
    let max = (lines.len() as u16).saturating_sub(area.height);
    record(app, |l| l.detail = max);
    if app.detail_scroll.min(max) < max {
        lines[0]
            .spans
            .push(Span::styled("  · J more ↓", theme.key()));
    }
    frame.render_widget(
        Paragraph::new(lines).scroll((app.detail_scroll.min(max), 0)),
        area,
    );
}

/// Where a suggestion's decision came from and where its wording went.
fn notes(s: &Suggestion) -> Vec<String> {
    let mut notes = Vec::new();
    if let Some(v) = s.applied_version {
        notes.push(format!("Its wording is in version {v}."));
    }
    if !s.found_again() {
        notes.push(
            "The latest analysis no longer makes this finding; kept because its wording is not applied yet.".to_owned(),
        );
    } else if s.decision_carried_over() {
        notes.push("Decided on an earlier analysis; carried over.".to_owned());
    }
    notes
}

pub fn draw_editor(frame: &mut Frame<'_>, app: &App, editor: &Editor, body: Rect) {
    // The whole body: half-hidden rows of the queue behind it would only
    // distract.
    let area = body;
    let s = &editor.target;
    let about = s
        .guideline_reference
        .clone()
        .unwrap_or_else(|| s.section.clone());
    let title = match editor.kind {
        EditKind::Modify => format!(" Reword · {about} · Ctrl-S save · Esc cancel "),
        EditKind::Comment => format!(" Comment on {about} · Ctrl-S save · Esc cancel "),
    };
    let inner = popup(
        frame,
        area,
        &text::fit(&title, area.width as usize - 2),
        app,
    );
    let width = inner.width as usize;
    // The finding, read-only, above what is edited.
    let mut finding: Vec<Line<'_>> = Vec::new();
    for paragraph in text::lines(&s.content) {
        finding.extend(
            text::wrap(&paragraph, width)
                .into_iter()
                .map(|l| Line::styled(l, app.theme.dim())),
        );
    }
    if let Some(why) = &s.rationale {
        finding.extend(
            text::wrap(&format!("Why: {why}"), width)
                .into_iter()
                .map(|l| Line::styled(l, app.theme.dim())),
        );
    }
    let room = (inner.height / 3).max(2);
    let shown = (finding.len() as u16).min(room);
    if finding.len() > shown as usize
        && let Some(last) = finding.get_mut(shown as usize - 1)
    {
        // Cut: say so.
        let cut = text::fit(
            &format!(
                "{} …",
                last.spans
                    .iter()
                    .map(|s| s.content.as_ref())
                    .collect::<String>()
            ),
            width,
        );
        *last = Line::styled(cut, app.theme.dim());
    }
    let [top, label, edit] = Layout::vertical([
        Constraint::Length(shown),
        Constraint::Length(1),
        Constraint::Min(3),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(finding), top);
    let what = match editor.kind {
        EditKind::Modify => "Your wording, which goes into the protocol:".to_owned(),
        EditKind::Comment => "Your comment, kept with the decision (never applied):".to_owned(),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(text::fit(&what, width), app.theme.title())),
        label,
    );
    frame.render_widget(&editor.area, edit);
}
