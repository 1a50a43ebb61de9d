//! The audit log view: time, context, user, object, action, summary,
//! result; newest first; filtered.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::format;
use super::widgets::{self, Column, Piece};
use crate::action::Action;
use crate::domain::text::{clean, sanitize};
use crate::state::audit::{AuditView, keep_visible, record_rows, result_label};
use crate::state::ops::{AuditRecord, AuditResult};
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

const GAP: u16 = 2;

/// The columns, each wanting its widest cell among `records` (capped).
fn columns(records: &[&AuditRecord]) -> Vec<Column> {
    let ideal = |f: &dyn Fn(&AuditRecord) -> String| {
        let widest = records
            .iter()
            .map(|r| format::width(&f(r)))
            .max()
            .unwrap_or(0)
            .min(40);
        u16::try_from(widest).unwrap_or(40)
    };
    let context = ideal(&|r| clean(&r.context)).clamp(7, 20);
    vec![
        Column::new("TIME", 16, 16, 0),
        Column::new("USER", 6, ideal(&|r| clean(&r.user)), 3),
        Column::new("OBJECT", 12, ideal(&|r| clean(&r.object)), 1),
        Column::new("ACTION", 8, ideal(&|r| clean(&r.action)), 2),
        // The detail line has the whole reason of a failure.
        Column::new(
            "RESULT",
            7,
            ideal(&|r| clean(&result_label(&r.result))).min(24),
            5,
        ),
        Column::new("CONTEXT", context, context, 7),
        Column::new("SUMMARY", 12, 12, 4).flex(),
    ]
}

/// `2026-03-14T10:00:00Z` as `2026-03-14 10:00` (the seconds are in the
/// log; the minute is what a reader scans for).
fn time(text: &str) -> String {
    let text = clean(text.trim_end_matches('Z')).replacen('T', " ", 1);
    match text.get(..16) {
        Some(minute) if text.len() == 19 => minute.to_owned(),
        _ => text,
    }
}

fn cells(record: &AuditRecord, theme: &Theme) -> Vec<Vec<Piece>> {
    let result_style = match record.result {
        AuditResult::Applied => theme.healthy,
        AuditResult::Failed(_) => theme.error,
    };
    vec![
        vec![(time(&record.time), theme.muted)],
        vec![(sanitize(&record.user).into_owned(), theme.base)],
        vec![(sanitize(&record.object).into_owned(), theme.base)],
        vec![(sanitize(&record.action).into_owned(), theme.accent)],
        vec![(
            sanitize(&result_label(&record.result)).into_owned(),
            result_style,
        )],
        vec![(sanitize(&record.context).into_owned(), theme.muted)],
        vec![(sanitize(&record.summary).into_owned(), theme.base)],
    ]
}

/// Draws the audit view.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    body: Rect,
    layout: &ScreenLayout,
    state: &State,
    theme: &Theme,
) {
    let Some(audit) = &state.audit else {
        return;
    };
    let filtered = audit.filtered();
    let columns = columns(&filtered);
    let widths = widgets::layout_columns(&columns, area.width.saturating_sub(1), GAP);
    widgets::draw_headings(buf, area, layout, &columns, &widths, GAP, theme.header);
    if body.height == 0 || body.width == 0 {
        return;
    }
    let rows = record_rows(usize::from(body.height));
    let status_y = (body.height > 1).then(|| body.bottom() - 1);
    let detail_y = (body.height > 2).then(|| body.bottom() - 2);
    let inner = |y: u16| {
        widgets::row(body, y).map(|r| Rect {
            x: r.x + 1.min(r.width),
            width: r.width.saturating_sub(1),
            ..r
        })
    };

    match &audit.records {
        None => {
            if let Some(rect) = inner(body.y) {
                let text = "reading the audit log…";
                widgets::put(
                    buf,
                    rect.x,
                    rect.y,
                    &[(text.into(), theme.muted)],
                    rect.width,
                );
            }
        }
        Some(all) => {
            if filtered.is_empty() {
                let text = if all.is_empty() {
                    let path = audit
                        .path
                        .as_deref()
                        .unwrap_or("not set: no data directory");
                    format!(
                        "no changes recorded yet (the audit log is {})",
                        sanitize(path)
                    )
                } else {
                    "no record matches the filter".to_owned()
                };
                if let Some(rect) = inner(body.y) {
                    widgets::put(buf, rect.x, rect.y, &[(text, theme.muted)], rect.width);
                }
            }
            let scroll = keep_visible(audit.cursor, audit.scroll, rows);
            let focused = super::list_focused(state) && !audit.editing_filter;
            for (i, record) in filtered.iter().enumerate().skip(scroll).take(rows) {
                let y = body.y + u16::try_from(i - scroll).unwrap_or(u16::MAX);
                let Some(rect) = inner(y) else {
                    break;
                };
                let style = (i == audit.cursor).then_some(if focused {
                    theme.selected
                } else {
                    theme.selected_unfocused
                });
                if let Some(style) = style {
                    buf.set_style(widgets::row(body, y).unwrap_or(rect), style);
                }
                widgets::draw_cells(buf, rect, &widths, GAP, &cells(record, theme), style);
            }
        }
    }
    if let Some(y) = detail_y
        && let Some(rect) = inner(y)
        && let Some(record) = filtered.get(audit.cursor)
    {
        widgets::put(buf, rect.x, rect.y, &detail(record, theme), rect.width);
    }
    if let Some(y) = status_y
        && let Some(rect) = inner(y)
    {
        widgets::put(buf, rect.x, rect.y, &status(audit, theme), rect.width);
    }
}

/// The selected record in full: the table cuts its cells.
fn detail(record: &AuditRecord, theme: &Theme) -> Vec<Piece> {
    let result_style = match record.result {
        AuditResult::Applied => theme.healthy,
        AuditResult::Failed(_) => theme.error,
    };
    let mut pieces = vec![
        (clean(&record.action), theme.accent),
        (" by ".into(), theme.muted),
        (clean(&record.user), theme.base),
        (": ".into(), theme.muted),
        (clean(&result_label(&record.result)), result_style),
    ];
    if !record.summary.is_empty() {
        pieces.push((" — ".into(), theme.muted));
        pieces.push((clean(&record.summary), theme.base));
    }
    pieces
}

/// The filter being typed or applied, and the problems met reading the log.
fn status(audit: &AuditView, theme: &Theme) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    if audit.editing_filter {
        pieces.push(("/".into(), theme.key_hint));
        pieces.push((sanitize(&audit.filter).into_owned(), theme.accent));
        pieces.push(("▏".into(), theme.accent));
        pieces.push(("  ⏎ keep  Esc clear".into(), theme.muted));
    } else if !audit.filter.is_empty() {
        pieces.push(("filter: ".into(), theme.muted));
        pieces.push((sanitize(&audit.filter).into_owned(), theme.accent));
    }
    if let Some(first) = audit.problems.first() {
        if !pieces.is_empty() {
            pieces.push(("  ".into(), theme.base));
        }
        let n = audit.problems.len();
        let lines = if n == 1 { "line" } else { "lines" };
        pieces.push((
            format!("{n} unreadable {lines}: {}", sanitize(first)),
            theme.error,
        ));
    }
    pieces
}

/// "12 records" / "3 of 12 records".
pub fn count(state: &State) -> Option<String> {
    let audit = state.audit.as_ref()?;
    let total = audit.records.as_ref()?.len();
    let noun = if total == 1 { "record" } else { "records" };
    if audit.filter.trim().is_empty() {
        Some(format!("{total} {noun}"))
    } else {
        Some(format!("{} of {total} {noun}", audit.filtered().len()))
    }
}

/// Key hints of the bottom line.
pub fn hints(state: &State) -> Vec<(Action, &'static str)> {
    match &state.audit {
        Some(audit) if audit.editing_filter => Vec::new(),
        _ => vec![
            (Action::StartFilter, "filter"),
            (Action::Reload, "reload"),
            (Action::Back, "back"),
            (Action::Help, "help"),
        ],
    }
}
