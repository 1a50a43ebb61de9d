//! The help overlay, generated from the keymap: the keys of the mode the
//! user came from, then the list keys, in as many columns as the screen
//! needs.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::format;
use super::widgets::{self, Piece};
use crate::action::Action;
use crate::keymap::Mode;
use crate::state::State;
use crate::theme::Theme;

enum HelpLine {
    Heading(&'static str),
    Entry(String, String),
    Blank,
}

const COLUMN_GAP: u16 = 3;
const MAX_COLUMNS: usize = 4;

fn section_title(mode: Mode) -> &'static str {
    match mode {
        Mode::Normal => "Lists",
        Mode::Detail => "Instance detail",
        Mode::FilterInput => "Typing a filter",
        Mode::CommandInput => "Typing a command",
        Mode::Picker => "Picker",
        Mode::Help => "Help",
        Mode::Logs => "Logs",
        Mode::Monitor => "Monitoring",
        Mode::Findings => "Service diagnosis",
        Mode::Wizard => "Operation",
        Mode::Editor => "YAML editor",
        Mode::Audit => "Audit log",
    }
}

fn help_lines(state: &State) -> Vec<HelpLine> {
    let mut modes = vec![state.mode_before_help];
    if !modes.contains(&Mode::Normal) {
        modes.push(Mode::Normal);
    }
    let mut out = Vec::new();
    for mode in modes {
        if !out.is_empty() {
            out.push(HelpLine::Blank);
        }
        out.push(HelpLine::Heading(section_title(mode)));
        out.extend(
            state
                .keymap
                .help_entries(mode)
                .into_iter()
                .map(|(keys, what)| HelpLine::Entry(keys, what)),
        );
    }
    out
}

/// Draws the help box centred over whatever is below.
pub fn draw(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) {
    let lines = help_lines(state);
    let count = lines.len();
    let max_rows = usize::from(area.height.saturating_sub(2)).max(1);
    let mut columns = 1;
    while count.div_ceil(columns) > max_rows && columns < MAX_COLUMNS {
        columns += 1;
    }
    let rows = count.div_ceil(columns).min(max_rows);
    let keys_w = lines
        .iter()
        .map(|l| match l {
            HelpLine::Entry(k, _) => format::width(k),
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    let text_w = lines
        .iter()
        .map(|l| match l {
            HelpLine::Entry(_, d) => format::width(d),
            HelpLine::Heading(h) => format::width(h),
            HelpLine::Blank => 0,
        })
        .max()
        .unwrap_or(0);
    let natural = keys_w + 2 + text_w;
    let gaps = usize::from(COLUMN_GAP) * (columns - 1);
    let want_w = natural * columns + gaps + 4;
    let width = u16::try_from(want_w).unwrap_or(u16::MAX).min(area.width);
    let height = u16::try_from(rows + 2).unwrap_or(u16::MAX).min(area.height);
    let rect = widgets::centered(area, width, height);

    let close: Vec<String> = state
        .keymap
        .keys(Mode::Help, Action::Help)
        .iter()
        .map(ToString::to_string)
        .collect();
    let title = if close.is_empty() {
        "help".to_owned()
    } else {
        format!("help — {} closes", close.join(", "))
    };
    let inner = widgets::popup(buf, rect, &title, theme.popup_border, theme.base);
    if inner.height == 0 || inner.width < 3 {
        return;
    }
    let inner = Rect {
        x: inner.x + 1,
        width: inner.width - 2,
        ..inner
    };
    let shown_rows = usize::from(inner.height);
    let col_w = usize::from(inner.width).saturating_sub(gaps) / columns;
    // Keys keep their width unless that would leave no room to say what
    // they do.
    let keys_w = keys_w.min(col_w / 2);
    let capacity = shown_rows * columns;
    for (i, line) in lines.iter().enumerate().take(capacity) {
        let (col, row) = (i / shown_rows, i % shown_rows);
        let x = inner.x + u16::try_from(col * (col_w + usize::from(COLUMN_GAP))).unwrap_or(0);
        let y = inner.y + u16::try_from(row).unwrap_or(0);
        let last_cell = i + 1 == capacity && count > capacity;
        let pieces: Vec<Piece> = if last_cell {
            vec![("… more: enlarge the terminal".into(), theme.muted)]
        } else {
            match line {
                HelpLine::Heading(h) => vec![((*h).to_owned(), theme.header)],
                HelpLine::Entry(keys, what) => vec![
                    (format::fit(keys, keys_w), theme.key_hint),
                    ("  ".into(), theme.base),
                    (what.clone(), theme.base),
                ],
                HelpLine::Blank => Vec::new(),
            }
        };
        widgets::put(buf, x, y, &pieces, u16::try_from(col_w).unwrap_or(0));
    }
}
