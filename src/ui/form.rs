//! Draws a [`crate::state::form::FormState`]: one line per field (label,
//! value or masked value, required mark), the description of the field
//! with the cursor, errors under their fields.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::format;
use super::widgets::{self, Piece};
use crate::domain::form::{FieldKind, FormField};
use crate::domain::text::sanitize;
use crate::state::form::FormState;
use crate::theme::Theme;

/// Widest label column, so values keep most of a narrow screen.
const MAX_LABEL: usize = 28;

/// One drawn row: its pieces and the field it belongs to.
struct Row {
    pieces: Vec<Piece>,
    field: usize,
    focused: bool,
}

/// Draws the form in `area`.
pub fn draw_form(buf: &mut Buffer, area: Rect, form: &FormState, theme: &Theme) {
    let area = area.intersection(buf.area);
    if area.width == 0 || area.height == 0 {
        return;
    }
    if form.form.fields.is_empty() {
        widgets::put(
            buf,
            area.x,
            area.y,
            &[("nothing to fill in".into(), theme.muted)],
            area.width,
        );
        return;
    }
    let description = form
        .form
        .fields
        .get(form.cursor)
        .and_then(|f| f.description.as_deref())
        .map(|d| sanitize(d).into_owned())
        .filter(|d| !d.trim().is_empty());
    // The description of the focused field under the fields, when there
    // is room for it and a line of fields.
    let footer: u16 = match (&description, area.height) {
        (Some(_), h) if h >= 8 => 3,
        (Some(_), h) if h >= 4 => 2,
        _ => 0,
    };
    let list_height = usize::from(area.height - footer);

    let label_width = form
        .form
        .fields
        .iter()
        .map(|f| format::width(&sanitize(&f.label)) + usize::from(f.required))
        .max()
        .unwrap_or(0)
        .min(MAX_LABEL)
        .min(usize::from(area.width) / 3);
    let rows = rows(form, label_width, theme);

    // Scroll so the focused field and its error are on screen.
    let first = rows
        .iter()
        .position(|r| r.field == form.cursor)
        .unwrap_or(0);
    let last = rows
        .iter()
        .rposition(|r| r.field == form.cursor)
        .unwrap_or(first);
    let start = if last >= list_height {
        (last + 1 - list_height).min(first)
    } else {
        0
    };
    for (i, row) in rows.iter().skip(start).take(list_height).enumerate() {
        let y = area.y + u16::try_from(i).unwrap_or(u16::MAX);
        if row.focused {
            buf.set_style(Rect::new(area.x, y, area.width, 1), theme.selected);
            let pieces: Vec<Piece> = row
                .pieces
                .iter()
                .map(|(t, s)| (t.clone(), s.patch(theme.selected)))
                .collect();
            widgets::put(buf, area.x, y, &pieces, area.width);
        } else {
            widgets::put(buf, area.x, y, &row.pieces, area.width);
        }
    }
    if let (Some(text), true) = (description, footer > 0) {
        let top = area.y + area.height - footer + 1;
        let width = usize::from(area.width.saturating_sub(2)).max(1);
        for (i, line) in wrap(&text, width)
            .into_iter()
            .take(usize::from(footer - 1))
            .enumerate()
        {
            let y = top + u16::try_from(i).unwrap_or(u16::MAX);
            widgets::put(
                buf,
                area.x + 1.min(area.width - 1),
                y,
                &[(line, theme.muted)],
                area.width.saturating_sub(1),
            );
        }
    }
}

/// Every row of the form: each field, then its error if any.
fn rows(form: &FormState, label_width: usize, theme: &Theme) -> Vec<Row> {
    let mut rows = Vec::with_capacity(form.form.fields.len());
    for (i, field) in form.form.fields.iter().enumerate() {
        let focused = i == form.cursor;
        let mut pieces: Vec<Piece> = Vec::new();
        pieces.push((if focused { "› " } else { "  " }.into(), theme.accent));
        let label = sanitize(&field.label).into_owned();
        let label_style = if focused { theme.header } else { theme.base };
        let mark = if field.required { "*" } else { "" };
        let used = format::width(&label) + mark.len();
        pieces.push((label, label_style));
        pieces.push((mark.into(), theme.accent));
        pieces.push((" ".repeat(label_width.saturating_sub(used) + 2), theme.base));
        pieces.extend(value_pieces(form, i, field, focused, theme));
        rows.push(Row {
            pieces,
            field: i,
            focused,
        });
        if let Some(Some(error)) = form.errors.get(i) {
            rows.push(Row {
                pieces: vec![
                    (" ".repeat(label_width + 4), theme.base),
                    (format!("✗ {}", sanitize(error)), theme.error),
                ],
                field: i,
                focused: false,
            });
        }
    }
    rows
}

/// The value column of a field: its text (masked for passwords), a
/// placeholder with the default when empty, and for pickers the choices'
/// arrows while focused.
fn value_pieces(
    form: &FormState,
    index: usize,
    field: &FormField,
    focused: bool,
    theme: &Theme,
) -> Vec<Piece> {
    let text = sanitize(&form.shown_text(index)).into_owned();
    let picked = form.options(index).is_some();
    let mut pieces = Vec::new();
    if picked && focused {
        pieces.push(("‹ ".into(), theme.key_hint));
    }
    if text.is_empty() {
        let placeholder = match &field.default {
            Some(default) => format!("(default {})", compact(default)),
            None => "(unset)".into(),
        };
        pieces.push((placeholder, theme.muted));
    } else {
        let style = match field.kind {
            FieldKind::Password if !form.reveal => theme.masked,
            _ => theme.yaml_value,
        };
        pieces.push((text, style));
    }
    if picked && focused {
        pieces.push((" ›".into(), theme.key_hint));
        let count = match field.kind {
            FieldKind::SecretRef => Some((form.secrets.len(), "secrets")),
            FieldKind::ConfigMapRef => Some((form.config_maps.len(), "config maps")),
            _ => None,
        };
        if let Some((n, what)) = count {
            pieces.push((format!("  {n} {what} to pick from, or type"), theme.muted));
        }
    } else if focused {
        // Where typing goes.
        pieces.push(("▏".into(), theme.accent));
    }
    pieces
}

/// A value on one line, sanitized.
fn compact(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    sanitize(&text).into_owned()
}

/// Words of `text` in lines of at most `width` cells (a longer word is cut).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        let needed = format::width(&line) + usize::from(!line.is_empty()) + format::width(word);
        if !line.is_empty() && needed > width {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
