//! Draws a [`crate::state::editor::YamlEditor`]: the buffer with line
//! numbers, error lines marked, the error list under it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::widgets::Widget;

use super::widgets::{self, Piece};
use crate::domain::text::sanitize;
use crate::state::editor::YamlEditor;
use crate::theme::Theme;

/// The gutter mark of a line with an error.
const ERROR_MARK: &str = "▶";

/// Draws the editor in `area`.
pub fn draw_editor(buf: &mut Buffer, area: Rect, editor: &YamlEditor, theme: &Theme) {
    let area = area.intersection(buf.area);
    if area.width == 0 || area.height == 0 {
        return;
    }
    // The error list takes up to a third of the height, never the buffer's
    // last line.
    let error_rows = if editor.errors.is_empty() || area.height < 3 {
        0
    } else {
        let most = (area.height / 3).max(1);
        u16::try_from(editor.errors.len())
            .unwrap_or(u16::MAX)
            .min(most)
    };
    // One column for the error marks, when there is room for text as well.
    let gutter = u16::from(area.width > 8);
    let text_rect = Rect {
        x: area.x + gutter,
        y: area.y,
        width: area.width - gutter,
        height: area.height - error_rows,
    };
    (&editor.textarea).render(text_rect, buf);

    // Restyle the line numbers and mark error lines; the scroll is the one
    // the render just settled on.
    let (top, _) = editor.textarea.scroll_offset();
    let numbers = editor.textarea.line_number_width().min(text_rect.width);
    let count = editor.textarea.lines().len();
    for dy in 0..text_rect.height {
        let index = usize::from(top) + usize::from(dy);
        if index >= count {
            break;
        }
        let y = text_rect.y + dy;
        let error = editor.line_has_error(index + 1);
        let style = if error { theme.error } else { theme.muted };
        buf.set_style(Rect::new(text_rect.x, y, numbers, 1), style);
        if error && gutter > 0 {
            widgets::put(buf, area.x, y, &[(ERROR_MARK.into(), theme.error)], 1);
        }
    }

    if error_rows == 0 {
        return;
    }
    let top = area.y + area.height - error_rows;
    let shown = usize::from(error_rows);
    let hidden = editor.errors.len().saturating_sub(shown);
    for (i, error) in editor.errors.iter().take(shown).enumerate() {
        let y = top + u16::try_from(i).unwrap_or(u16::MAX);
        let mut text = match error.line {
            Some(line) => format!("line {line}: {}", sanitize(&error.message)),
            None => sanitize(&error.message).into_owned(),
        };
        if hidden > 0 && i + 1 == shown {
            text = format!("{text}  (+{hidden} more)");
        }
        let pieces: Vec<Piece> = vec![("✗ ".into(), theme.error), (text, theme.error)];
        widgets::put(buf, area.x, y, &pieces, area.width);
    }
}
