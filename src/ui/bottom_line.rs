//! The last row: the filter or command being typed, else a notice, else the
//! active filter and key hints taken from the keymap.

use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};

use super::format;
use super::widgets::{self, Piece};
use crate::action::{Action, View};
use crate::domain::text::sanitize;
use crate::keymap::{KeyCode, KeyPress, Mode};
use crate::state::ScreenLayout;
use crate::state::State;
use crate::state::detail::DetailTab;
use crate::theme::Theme;

/// Draws the bottom line; returns where the text cursor goes while typing.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    layout: &ScreenLayout,
    state: &State,
    theme: &Theme,
) -> Option<Position> {
    let rect = widgets::row(area, layout.bottom_row)?;
    buf.set_style(rect, theme.base);
    let x = rect.x + 1;
    let width = rect.width.saturating_sub(1);
    match state.mode {
        Mode::FilterInput => {
            let text = sanitize(&state.filter_input).into_owned();
            let pieces = vec![("/".into(), theme.accent), (text, theme.base)];
            let written = widgets::put(buf, x, rect.y, &pieces, width);
            let matches = match state.view {
                View::Services => state.visible_services().len(),
                // Counted by update as the search is typed (lines, not rows).
                View::Logs => state.logs.as_ref().map_or(0, |l| l.typing_matches),
                _ => state.table.len(),
            };
            let right = format!("{matches} match{}", if matches == 1 { "" } else { "es" });
            put_right(buf, rect, x + written + 2, &[(right, theme.muted)]);
            Some(Position::new((x + written).min(rect.right() - 1), rect.y))
        }
        Mode::CommandInput => {
            let text = sanitize(&state.command_input).into_owned();
            let mut pieces: Vec<Piece> = vec![(":".into(), theme.accent), (text, theme.base)];
            let typed = u16::try_from(widgets::pieces_width(&pieces)).unwrap_or(u16::MAX);
            if let Some(cycle) = &state.completion {
                pieces.push(("   ".into(), theme.base));
                for (i, candidate) in cycle.candidates.iter().enumerate() {
                    let style = if i == cycle.index {
                        theme.selected
                    } else {
                        theme.muted
                    };
                    pieces.push((sanitize(candidate).into_owned(), style));
                    pieces.push(("  ".into(), theme.base));
                }
            }
            widgets::put(buf, x, rect.y, &pieces, width);
            Some(Position::new((x + typed).min(rect.right() - 1), rect.y))
        }
        _ => {
            let mut pieces: Vec<Piece> = Vec::new();
            if let Some(notice) = &state.notice {
                pieces.push((sanitize(notice).into_owned(), theme.notice));
                widgets::put(buf, x, rect.y, &pieces, width);
                return None;
            }
            // The filter belongs to the lists; other views leave it as it was.
            if !state.filter_input.is_empty()
                && matches!(state.view, View::Services | View::Instances)
            {
                pieces.push(("filter: ".into(), theme.muted));
                pieces.push((sanitize(&state.filter_input).into_owned(), theme.accent));
                pieces.push(("   ".into(), theme.base));
            }
            let used = widgets::pieces_width(&pieces);
            let room = usize::from(width).saturating_sub(used);
            pieces.extend(hints(state, theme, room));
            widgets::put(buf, x, rect.y, &pieces, width);
            None
        }
    }
}

fn put_right(buf: &mut Buffer, rect: Rect, min_x: u16, pieces: &[Piece]) {
    let need = u16::try_from(widgets::pieces_width(pieces)).unwrap_or(u16::MAX);
    let x = rect.right().saturating_sub(need + 1);
    if x >= min_x {
        widgets::put(buf, x, rect.y, pieces, need);
    }
}

/// Key hints for the mode, as many whole hints as fit in `room` cells.
fn hints(state: &State, theme: &Theme, room: usize) -> Vec<Piece> {
    let mode = state.mode;
    let go_to = go_to_label(state);
    let mut wanted: Vec<(Action, &str)> = Vec::new();
    let mut lead: Vec<Piece> = Vec::new();
    match mode {
        Mode::Normal => {
            wanted.push((Action::Open, "open"));
            wanted.push((Action::StartFilter, "filter"));
            wanted.push((Action::StartCommand, "command"));
            if state.view == View::Instances {
                wanted.push((Action::Back, "services"));
            }
            wanted.push((Action::PickNamespace, "namespace"));
            wanted.push((Action::Help, "help"));
            wanted.push((Action::Quit, "quit"));
        }
        Mode::Detail => {
            let detail = state.detail.as_ref();
            if detail.is_some_and(|d| d.tab == DetailTab::Spec) {
                if detail.is_some_and(|d| d.reveal) {
                    lead.push(("secrets shown —".into(), theme.notice));
                    wanted.push((Action::Reveal, "to mask"));
                } else {
                    wanted.push((Action::Reveal, "reveal secrets"));
                }
                if detail.is_some_and(|d| d.data.as_ref().is_some_and(|x| x.helm.is_some())) {
                    let label = if detail.is_some_and(|d| d.computed_values) {
                        "user values"
                    } else {
                        "computed values"
                    };
                    wanted.push((Action::ToggleComputedValues, label));
                }
            }
            if let Some(go_to) = &go_to {
                wanted.push((Action::Open, go_to));
            }
            wanted.push((Action::NextTab, "next tab"));
            wanted.push((Action::Back, "back"));
            wanted.push((Action::Help, "help"));
            wanted.push((Action::Quit, "quit"));
        }
        Mode::Help => wanted.push((Action::Help, "close help")),
        Mode::Logs => {
            wanted.push((Action::ToggleFollow, "follow"));
            wanted.push((Action::StartFilter, "search"));
            wanted.push((Action::PickLogSource, "source"));
            wanted.push((Action::TogglePrevious, "previous"));
            wanted.push((Action::ToggleWrap, "wrap"));
            wanted.push((Action::SaveLogs, "save"));
            wanted.push((Action::Back, "back"));
            wanted.push((Action::Help, "help"));
        }
        Mode::Monitor => {
            wanted.push((Action::NextTab, "next level"));
            wanted.push((Action::OpenLogs, "logs"));
            wanted.push((Action::Back, "back"));
            wanted.push((Action::Help, "help"));
        }
        Mode::Findings => {
            if let Some(go_to) = &go_to {
                wanted.push((Action::Open, go_to));
            }
            wanted.push((Action::Back, "back"));
            wanted.push((Action::Help, "help"));
        }
        Mode::Picker => {
            wanted.push((Action::Submit, "choose"));
            wanted.push((Action::Cancel, "cancel"));
        }
        Mode::Wizard | Mode::Editor => wanted.extend(crate::ui::ops::hints(state)),
        Mode::Audit => wanted.extend(crate::ui::audit::hints(state)),
        Mode::FilterInput | Mode::CommandInput => {}
    }
    let mut out = lead;
    let mut used = widgets::pieces_width(&out);
    // A lead reads into the first hint ("secrets shown — x to mask").
    let mut sep_width = usize::from(!out.is_empty());
    for (action, label) in wanted {
        let Some(key) = state.keymap.keys(mode, action).into_iter().next() else {
            continue;
        };
        let key = key_label(key);
        let sep = sep_width;
        let cost = sep + format::width(&key) + 1 + format::width(label);
        if used + cost > room {
            break;
        }
        if sep > 0 {
            out.push((" ".repeat(sep), theme.base));
        }
        sep_width = 2;
        out.push((key, theme.key_hint));
        out.push((format!(" {label}"), theme.muted));
        used += cost;
    }
    out
}

/// "go to <where>" for the selected finding of the Diagnosis tab or of the
/// service diagnosis view: where Enter leads.
fn go_to_label(state: &State) -> Option<String> {
    match state.mode {
        Mode::Detail => {
            let detail = state.detail.as_ref()?;
            if detail.tab != DetailTab::Diagnosis {
                return None;
            }
            let finding = detail.findings.get(detail.finding_cursor)?;
            Some(format!(
                "go to {}",
                finding.look_at.label(detail.target.kind)
            ))
        }
        Mode::Findings => {
            let open = state.findings.as_ref()?;
            let finding = open.findings.get(open.cursor)?;
            let kind = state
                .services
                .get(&open.service)
                .map_or(crate::state::rows::ServiceKind::Operator, |s| s.kind);
            Some(format!("go to {}", finding.look_at.label(kind)))
        }
        _ => None,
    }
}

/// Short spelling of a key for hints.
fn key_label(key: KeyPress) -> String {
    if key.ctrl || key.alt || key.shift {
        return key.to_string();
    }
    match key.code {
        KeyCode::Enter => "⏎".into(),
        KeyCode::Esc => "esc".into(),
        KeyCode::Tab => "tab".into(),
        KeyCode::Backspace => "⌫".into(),
        _ => key.to_string(),
    }
}
