//! The audit view: open, filter, scroll, close.

use crate::action::Action;
use crate::keymap::{KeyPress, Mode};
use crate::state::State;

use super::Command;

/// Default key bindings of `Mode::Audit`.
pub fn default_bindings(bind: &mut dyn FnMut(Mode, &[&str], Action)) {
    bind(Mode::Audit, &["Esc", "Backspace"], Action::Back);
    bind(Mode::Audit, &["q", "ctrl+c"], Action::Quit);
}

/// Opens the audit view and asks for the log.
pub fn open(_state: &mut State) -> Vec<Command> {
    Vec::new()
}

/// Closes it.
pub fn close(state: &mut State) -> Vec<Command> {
    state.audit = None;
    Vec::new()
}

/// A key in `Mode::Audit`.
pub fn on_key(_state: &mut State, _action: Option<Action>, _key: KeyPress) -> Vec<Command> {
    Vec::new()
}
