//! The audit log view: time, context, user, object, action, summary,
//! result; newest first; filtered.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::action::Action;
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

/// Draws the audit view.
pub fn draw(
    _buf: &mut Buffer,
    _area: Rect,
    _body: Rect,
    _layout: &ScreenLayout,
    _state: &State,
    _theme: &Theme,
) {
}

/// "12 records" / "3 of 12 records".
pub fn count(_state: &State) -> Option<String> {
    None
}

/// Key hints of the bottom line.
pub fn hints(_state: &State) -> Vec<(Action, &'static str)> {
    Vec::new()
}
