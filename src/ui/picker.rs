//! The namespace/context pop-up: the query typed so far, then the items
//! that match it, the cursor highlighted and the one in force marked.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::format;
use super::widgets::{self, Piece};
use crate::domain::text::sanitize;
use crate::state::State;
use crate::theme::Theme;

/// Draws the picker centred over whatever is below.
pub fn draw(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) {
    let Some(picker) = &state.picker else { return };
    let visible = picker.visible();
    let longest = visible.iter().map(|i| format::width(i)).max().unwrap_or(0);
    let want_w = (longest + 8).clamp(30, 60);
    let want_h = visible.len().max(1) + 4;
    let rect = widgets::centered(
        area,
        u16::try_from(want_w).unwrap_or(u16::MAX),
        u16::try_from(want_h).unwrap_or(u16::MAX),
    );
    let inner = widgets::popup(
        buf,
        rect,
        picker.kind.title(),
        theme.popup_border,
        theme.base,
    );
    if inner.height == 0 || inner.width < 3 {
        return;
    }
    let x = inner.x + 1;
    let width = inner.width - 1;
    let query: Vec<Piece> = vec![
        ("› ".into(), theme.accent),
        (sanitize(&picker.query).into_owned(), theme.base),
        ("▏".into(), theme.accent),
    ];
    widgets::put(buf, x, inner.y, &query, width);

    let list = Rect {
        y: inner.y + 2,
        height: inner.height.saturating_sub(2),
        ..inner
    };
    if list.height == 0 {
        return;
    }
    if visible.is_empty() {
        let text = "nothing matches".to_owned();
        widgets::put(buf, x, list.y, &[(text, theme.muted)], width);
        return;
    }
    let height = usize::from(list.height);
    // Keep the cursor on screen; the state has no scroll offset for this
    // short list.
    let offset = picker.cursor.saturating_sub(height - 1);
    for (i, item) in visible.iter().enumerate().skip(offset).take(height) {
        let y = list.y + u16::try_from(i - offset).unwrap_or(0);
        let current = picker.current.as_deref() == Some(*item);
        let marker = if current { "● " } else { "  " };
        let style = if i == picker.cursor {
            theme.selected
        } else {
            theme.base
        };
        if i == picker.cursor {
            buf.set_style(
                Rect {
                    x: inner.x,
                    y,
                    width: inner.width,
                    height: 1,
                },
                style,
            );
        }
        let pieces: Vec<Piece> = vec![
            (marker.into(), theme.accent.patch(style)),
            (sanitize(item).into_owned(), style),
        ];
        widgets::put(buf, x, y, &pieces, width);
    }
}
