//! Keys and answers of the guided operations: opening the menu or an
//! operation, walking its steps, and turning the user's choices into
//! [`OpsRequest`]s.

use crate::action::Action;
use crate::keymap::{KeyPress, Mode};
use crate::state::State;
use crate::state::detail::InstanceRef;
use crate::state::ops::OpsEvent;

use super::Command;

/// Default key bindings of `Mode::Wizard` and `Mode::Editor`.
pub fn default_bindings(bind: &mut dyn FnMut(Mode, &[&str], Action)) {
    bind(Mode::Wizard, &["Esc"], Action::Back);
    bind(Mode::Wizard, &["ctrl+c"], Action::Quit);
    bind(Mode::Editor, &["ctrl+s"], Action::Submit);
    bind(Mode::Editor, &["Esc"], Action::Cancel);
    bind(Mode::Editor, &["ctrl+c"], Action::Quit);
}

/// Opens the operations menu (`OpenOps`) or one operation directly
/// (`StartUpgrade`, `EditConfig`, `EditYaml`) on an instance.
pub fn open(_state: &mut State, _target: InstanceRef, _action: Action) -> Vec<Command> {
    Vec::new()
}

/// Closes the wizard (leaving for another view).
pub fn close(state: &mut State) -> Vec<Command> {
    state.wizard = None;
    Vec::new()
}

/// The mode of the operation view at its current step.
pub fn mode(_state: &State) -> Mode {
    Mode::Wizard
}

/// A key in `Mode::Wizard`.
pub fn on_key(_state: &mut State, _action: Option<Action>, _key: KeyPress) -> Vec<Command> {
    Vec::new()
}

/// A key in `Mode::Editor`.
pub fn on_editor_key(_state: &mut State, _action: Option<Action>, _key: KeyPress) -> Vec<Command> {
    Vec::new()
}

/// An answer from the cluster layer.
pub fn on_event(_state: &mut State, _event: OpsEvent) -> Vec<Command> {
    Vec::new()
}

/// The detail watch delivered a new snapshot (the progress step judges it).
pub fn on_detail_updated(_state: &mut State) -> Vec<Command> {
    Vec::new()
}

/// An instance was deleted (the progress of a delete ends here).
pub fn on_instance_removed(_state: &mut State, _uid: &str) -> Vec<Command> {
    Vec::new()
}
