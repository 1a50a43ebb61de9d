//! The operation view: the operations menu, each wizard's steps (form,
//! preview diff, confirmation), the progress of a write and its result.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use crate::action::Action;
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

/// Draws the operation view.
pub fn draw(
    _buf: &mut Buffer,
    _area: Rect,
    _body: Rect,
    _layout: &ScreenLayout,
    _state: &State,
    _theme: &Theme,
) {
}

/// The view's title ("Upgrade team-a/orders").
pub fn title(_state: &State) -> String {
    "Operation".into()
}

/// Key hints of the bottom line at the current step.
pub fn hints(_state: &State) -> Vec<(Action, &'static str)> {
    Vec::new()
}
