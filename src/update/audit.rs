//! The audit view: open, filter, scroll, close.

use crate::action::{Action, View};
use crate::keymap::{KeyCode, KeyPress, Mode};
use crate::state::State;
use crate::state::audit::AuditView;
use crate::state::ops::{AuditRecord, OpsRequest};

use super::Command;

/// Default key bindings of `Mode::Audit`.
pub fn default_bindings(bind: &mut dyn FnMut(Mode, &[&str], Action)) {
    bind(Mode::Audit, &["Esc", "Backspace"], Action::Back);
    bind(Mode::Audit, &["q", "ctrl+c"], Action::Quit);
    bind(Mode::Audit, &["j", "Down"], Action::MoveDown);
    bind(Mode::Audit, &["k", "Up"], Action::MoveUp);
    bind(Mode::Audit, &["PageDown", "ctrl+d"], Action::PageDown);
    bind(Mode::Audit, &["PageUp", "ctrl+u"], Action::PageUp);
    bind(Mode::Audit, &["g", "Home"], Action::Top);
    bind(Mode::Audit, &["G", "End"], Action::Bottom);
    bind(Mode::Audit, &["/"], Action::StartFilter);
    bind(Mode::Audit, &["r"], Action::Reload);
    bind(Mode::Audit, &["?"], Action::Help);
    bind(Mode::Audit, &[":"], Action::StartCommand);
}

/// Opens the audit view and asks for the log.
pub fn open(state: &mut State) -> Vec<Command> {
    let return_to = if state.view == View::Audit {
        state
            .audit
            .as_ref()
            .map_or(View::Instances, |a| a.return_to)
    } else {
        state.view
    };
    state.audit = Some(AuditView {
        path: crate::audit::path().map(|p| p.display().to_string()),
        return_to,
        ..AuditView::default()
    });
    state.view = View::Audit;
    state.notice = None;
    super::set_mode(state, Mode::Audit);
    state.dirty = true;
    vec![Command::Ops(OpsRequest::LoadAudit)]
}

/// Closes it.
pub fn close(state: &mut State) -> Vec<Command> {
    let Some(audit) = state.audit.take() else {
        return Vec::new();
    };
    if state.view == View::Audit {
        state.view = super::return_view(state, audit.return_to);
        super::set_mode(state, super::base_mode(state));
    }
    state.dirty = true;
    Vec::new()
}

/// The log was read (the answer to [`OpsRequest::LoadAudit`]); dropped
/// when the view was closed meanwhile.
pub fn on_loaded(state: &mut State, records: Vec<AuditRecord>, problems: Vec<String>) {
    let height = rows(state);
    let Some(audit) = &mut state.audit else {
        return;
    };
    audit.records = Some(records);
    audit.problems = problems;
    let cursor = audit.cursor;
    audit.move_to(cursor, height);
    state.dirty |= state.view == View::Audit;
}

/// Rows of records on screen.
fn rows(state: &State) -> usize {
    crate::state::audit::record_rows(state.viewport_height())
}

/// A key in `Mode::Audit`.
pub fn on_key(state: &mut State, action: Option<Action>, key: KeyPress) -> Vec<Command> {
    let height = rows(state);
    let Some(audit) = &mut state.audit else {
        return close(state);
    };
    if audit.editing_filter {
        let changed = match key.code {
            KeyCode::Enter => {
                audit.editing_filter = false;
                true
            }
            KeyCode::Esc => {
                audit.editing_filter = false;
                audit.filter.clear();
                true
            }
            KeyCode::Backspace => audit.filter.pop().is_some(),
            KeyCode::Char(c) if !key.ctrl && !key.alt && !c.is_control() => {
                audit.filter.push(c);
                true
            }
            _ if action == Some(Action::Quit) => return vec![Command::Quit],
            _ => false,
        };
        if changed {
            // The rows changed under the cursor: start from the newest.
            audit.cursor = 0;
            audit.scroll = 0;
            state.dirty = true;
        }
        return Vec::new();
    }
    let Some(action) = action else {
        return Vec::new();
    };
    let len = audit.filtered().len();
    let page = height.max(1);
    let to = match action {
        Action::MoveDown => Some(audit.cursor.saturating_add(1)),
        Action::MoveUp => Some(audit.cursor.saturating_sub(1)),
        Action::PageDown => Some(audit.cursor.saturating_add(page)),
        Action::PageUp => Some(audit.cursor.saturating_sub(page)),
        Action::Top => Some(0),
        Action::Bottom => Some(len.saturating_sub(1)),
        _ => None,
    };
    if let Some(to) = to {
        if audit.move_to(to, height) {
            state.dirty = true;
        }
        return Vec::new();
    }
    match action {
        Action::StartFilter => {
            audit.editing_filter = true;
            state.dirty = true;
            Vec::new()
        }
        // Back first clears a filter, then leaves.
        Action::Back if !audit.filter.is_empty() => {
            audit.filter.clear();
            audit.cursor = 0;
            audit.scroll = 0;
            state.dirty = true;
            Vec::new()
        }
        Action::Back => close(state),
        Action::Reload => {
            audit.records = None;
            audit.problems.clear();
            state.dirty = true;
            vec![Command::Ops(OpsRequest::LoadAudit)]
        }
        Action::StartCommand | Action::Help | Action::Quit => super::on_action(state, action),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Msg;
    use crate::state::audit::tests::record;
    use crate::state::ops::AuditResult;
    use crate::update::update;

    fn key(text: &str) -> Msg {
        Msg::Key(KeyPress::parse(text).unwrap())
    }

    fn opened() -> (State, Vec<Command>) {
        let mut state = State {
            view: View::Instances,
            ..State::default()
        };
        let commands = update(&mut state, key("3"));
        (state, commands)
    }

    fn loaded() -> State {
        let (mut state, _) = opened();
        let records = (0..30)
            .map(|i| {
                let result = if i == 29 {
                    AuditResult::Failed("forbidden".into())
                } else {
                    AuditResult::Applied
                };
                record(
                    &format!("2026-03-14T10:{i:02}:00Z"),
                    "alice",
                    "upgrade",
                    result,
                )
            })
            .collect();
        on_loaded(&mut state, records, vec!["line 3: bad".into()]);
        state
    }

    #[test]
    fn open_asks_for_the_log() {
        let (state, commands) = opened();
        assert_eq!(state.view, View::Audit);
        assert_eq!(state.mode, Mode::Audit);
        assert_eq!(commands, vec![Command::Ops(OpsRequest::LoadAudit)]);
        assert!(state.audit.as_ref().unwrap().records.is_none(), "loading");
    }

    #[test]
    fn loaded_records_show_newest_first_and_scroll() {
        let mut state = loaded();
        let audit = state.audit.as_ref().unwrap();
        assert_eq!(audit.problems, ["line 3: bad"]);
        assert_eq!(audit.selected().unwrap().time, "2026-03-14T10:29:00Z");
        update(&mut state, key("j"));
        update(&mut state, key("Down"));
        assert_eq!(state.audit.as_ref().unwrap().cursor, 2);
        update(&mut state, key("G"));
        let audit = state.audit.as_ref().unwrap();
        assert_eq!(audit.cursor, 29);
        assert!(audit.scroll > 0, "the last row is scrolled into view");
        update(&mut state, key("g"));
        assert_eq!(state.audit.as_ref().unwrap().cursor, 0);
        update(&mut state, key("PageDown"));
        assert!(state.audit.as_ref().unwrap().cursor > 1);
    }

    #[test]
    fn slash_types_a_filter_even_bound_letters() {
        let mut state = loaded();
        update(&mut state, key("/"));
        for c in "forbid q".chars() {
            update(&mut state, Msg::Key(KeyPress::char(c)));
        }
        update(&mut state, key("Backspace"));
        update(&mut state, key("Backspace"));
        let audit = state.audit.as_ref().unwrap();
        assert_eq!(audit.filter, "forbid");
        assert_eq!(audit.filtered().len(), 1);
        assert_eq!(state.view, View::Audit, "q typed, not quit");
        update(&mut state, key("Enter"));
        assert!(!state.audit.as_ref().unwrap().editing_filter);
        // Esc clears the filter first, then leaves.
        update(&mut state, key("Esc"));
        assert_eq!(state.audit.as_ref().unwrap().filter, "");
        assert_eq!(state.view, View::Audit);
        update(&mut state, key("Esc"));
        assert_eq!(state.view, View::Instances);
        assert_eq!(state.mode, Mode::Normal);
        assert!(state.audit.is_none());
    }

    #[test]
    fn r_reloads() {
        let mut state = loaded();
        let commands = update(&mut state, key("r"));
        assert_eq!(commands, vec![Command::Ops(OpsRequest::LoadAudit)]);
        assert!(state.audit.as_ref().unwrap().records.is_none());
    }

    #[test]
    fn an_answer_after_closing_is_dropped() {
        let (mut state, _) = opened();
        update(&mut state, key("Esc"));
        on_loaded(&mut state, Vec::new(), Vec::new());
        assert!(state.audit.is_none());
        assert_eq!(state.view, View::Instances);
    }
}
