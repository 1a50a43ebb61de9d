//! Drawing: `draw(&State, &Theme)`, one module per view. Reads, never changes.
//!
//! Every row position comes from [`State::layout`], which `update` also uses
//! to map mouse clicks, so what is drawn at a row is what a click there hits.
//! Only the rows on screen are drawn; sorting and filtering are the state's.

pub mod audit;
pub mod bottom_line;
pub mod detail;
pub mod editor;
pub mod form;
pub mod format;
pub mod help;
pub mod instances;
pub mod logs;
pub mod monitor;
pub mod ops;
pub mod picker;
pub mod service_diagnosis;
pub mod services;
pub mod top_bar;
pub mod widgets;

use ratatui::Frame;
use ratatui::layout::{Position, Rect};

use crate::action::View;
use crate::keymap::Mode;
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

/// Draws the whole screen for the state.
pub fn draw(frame: &mut Frame, state: &State, theme: &Theme) {
    if let Some(position) = draw_screen(frame, state, theme) {
        frame.set_cursor_position(position);
    }
}

/// Draws the whole screen for the state and returns where the terminal's
/// cursor goes (None: hidden), for a caller that presents the frame itself
/// (`crate::terminal::TerminalGuard::present`).
pub fn draw_screen(frame: &mut Frame, state: &State, theme: &Theme) -> Option<Position> {
    let area = frame.area();
    if area.width == 0 || area.height == 0 {
        return None;
    }
    let layout = state.layout();
    let buf = frame.buffer_mut();
    buf.set_style(area, theme.base);

    let body = body_rect(area, &layout);
    match state.view {
        View::Services => services::draw(buf, area, body, &layout, state, theme),
        View::Instances => instances::draw(buf, area, body, &layout, state, theme),
        View::Detail => detail::draw(buf, area, body, &layout, state, theme),
        View::Logs => logs::draw(buf, area, body, &layout, state, theme),
        View::Monitor => monitor::draw(buf, area, body, &layout, state, theme),
        View::ServiceDiagnosis => service_diagnosis::draw(buf, area, body, &layout, state, theme),
        View::Operation => ops::draw(buf, area, body, &layout, state, theme),
        View::Audit => audit::draw(buf, area, body, &layout, state, theme),
    }
    top_bar::draw(buf, area, state, theme);
    if layout.banner {
        top_bar::draw_banner(buf, area, &layout, state, theme);
    }
    // The bottom line goes last among the rows: on a tiny screen where rows
    // overlap, what the user is typing wins.
    let cursor = bottom_line::draw(buf, area, &layout, state, theme);
    match state.mode {
        Mode::Help => help::draw(buf, area, state, theme),
        Mode::Picker => picker::draw(buf, area, state, theme),
        _ => {}
    }
    cursor.filter(|_| matches!(state.mode, Mode::FilterInput | Mode::CommandInput))
}

/// The body rows, clipped to the frame and kept off the bottom line.
fn body_rect(area: Rect, layout: &ScreenLayout) -> Rect {
    let top = layout.body_top.max(area.y);
    let bottom = (layout.body_top.saturating_add(layout.body_height))
        .min(layout.bottom_row)
        .min(area.bottom());
    Rect {
        x: area.x,
        y: top,
        width: area.width,
        height: bottom.saturating_sub(top),
    }
}

/// Whether the list under a pop-up or an input line has the focus.
fn list_focused(state: &State) -> bool {
    matches!(
        state.mode,
        Mode::Normal
            | Mode::Detail
            | Mode::Logs
            | Mode::Monitor
            | Mode::Findings
            | Mode::Wizard
            | Mode::Editor
            | Mode::Audit
    )
}
