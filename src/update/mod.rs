//! The pure heart of the console: `update(&mut State, Msg) -> Vec<Command>`.
//!
//! No I/O, no terminal, no cluster: side effects leave as [`Command`] data for
//! the event loop to carry out, so every behaviour here is a plain unit test.

use crate::action::{Action, Connection, Msg, View};
use crate::command::{self, CommandLine, Sources};
use crate::keymap::{KeyCode, KeyPress, Mode};
use crate::state::filter::Filter;
use crate::state::{CompletionCycle, Stale, State};

/// A side effect for the event loop to perform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Restart the watches in one namespace (None: all namespaces).
    WatchNamespace(Option<String>),
    /// Switch to another kube context and restart the watches.
    SwitchContext(String),
    /// Leave the console.
    Quit,
}

/// Applies one message to the state, returning the side effects it asks for.
/// Sets `state.dirty` only when something visible changed.
pub fn update(state: &mut State, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::Key(key) => on_key(state, key),
        Msg::Resize { width, height } => {
            state.size = (width, height);
            let height = state.viewport_height();
            state.table.set_height(height);
            state.dirty = true;
            Vec::new()
        }
        Msg::InstancesUpserted(rows) => {
            let mut changed = false;
            for row in rows {
                changed |= state.instances.upsert(row);
            }
            if changed {
                instances_changed(state);
            }
            Vec::new()
        }
        Msg::InstanceRemoved(uid) => {
            if state.instances.remove(&uid) {
                instances_changed(state);
            }
            Vec::new()
        }
        Msg::InstancesRelisted(rows) => {
            state.instances.replace_all(rows);
            instances_changed(state);
            Vec::new()
        }
        Msg::ServicesChanged(rows) => {
            let cursor = state.service_cursor();
            let changed = state.services.replace_all(rows);
            // New rows arrive without counts of their own: count them here.
            let recounted = state.services.recount(&state.instances);
            if changed || recounted {
                state.fix_service_selection(cursor);
                state.dirty |= state.view == View::Services;
            }
            Vec::new()
        }
        Msg::NamespacesListed(mut names) => {
            names.sort();
            state.namespaces = names;
            Vec::new()
        }
        Msg::ContextsListed(mut names) => {
            names.sort();
            state.contexts = names;
            Vec::new()
        }
        Msg::Connection(Connection::Connected) => {
            if state.stale.take().is_some() {
                state.dirty = true;
            }
            Vec::new()
        }
        Msg::Connection(Connection::Disconnected { since, error }) => {
            // Keep the first moment of the outage, show the latest error.
            let since = state.stale.as_ref().map_or(since, |old| old.since);
            let stale = Some(Stale { since, error });
            if stale != state.stale {
                state.stale = stale;
                state.dirty = true;
            }
            Vec::new()
        }
    }
}

fn instances_changed(state: &mut State) {
    state.table.refresh(&state.instances);
    let recounted = state.services.recount(&state.instances);
    state.dirty |= state.view == View::Instances || (recounted && state.view == View::Services);
}

fn on_key(state: &mut State, key: KeyPress) -> Vec<Command> {
    let action = state.keymap.action(state.mode, key);
    match state.mode {
        Mode::Normal => action.map_or_else(Vec::new, |a| on_action(state, a)),
        Mode::FilterInput => {
            match action {
                Some(Action::Submit) => set_mode(state, Mode::Normal),
                Some(Action::Cancel) => {
                    set_filter(state, String::new());
                    set_mode(state, Mode::Normal);
                }
                Some(Action::DeleteBack) => {
                    let mut text = state.filter_input.clone();
                    if text.pop().is_some() {
                        set_filter(state, text);
                    }
                }
                Some(Action::Quit) => return vec![Command::Quit],
                _ => {
                    if let Some(c) = typed_char(key) {
                        let mut text = state.filter_input.clone();
                        text.push(c);
                        set_filter(state, text);
                    }
                }
            }
            Vec::new()
        }
        Mode::CommandInput => match action {
            Some(Action::Submit) => {
                let line = std::mem::take(&mut state.command_input);
                state.completion = None;
                set_mode(state, Mode::Normal);
                execute(state, &line)
            }
            Some(Action::Cancel) => {
                state.command_input.clear();
                state.completion = None;
                set_mode(state, Mode::Normal);
                Vec::new()
            }
            Some(Action::DeleteBack) => {
                if state.command_input.pop().is_some() {
                    state.completion = None;
                    state.dirty = true;
                }
                Vec::new()
            }
            Some(Action::Complete) => {
                complete(state);
                Vec::new()
            }
            Some(Action::Quit) => vec![Command::Quit],
            _ => {
                if let Some(c) = typed_char(key) {
                    state.command_input.push(c);
                    state.completion = None;
                    state.dirty = true;
                }
                Vec::new()
            }
        },
        Mode::Help => match action {
            Some(Action::Help) => {
                let back = state.mode_before_help;
                set_mode(state, back);
                Vec::new()
            }
            Some(Action::Quit) => vec![Command::Quit],
            _ => Vec::new(),
        },
    }
}

/// A key that types a character: printable, without ctrl or alt.
fn typed_char(key: KeyPress) -> Option<char> {
    match key.code {
        KeyCode::Char(c) if !key.ctrl && !key.alt && !c.is_control() => Some(c),
        _ => None,
    }
}

fn set_mode(state: &mut State, mode: Mode) {
    if state.mode != mode {
        state.mode = mode;
        state.dirty = true;
    }
}

fn set_filter(state: &mut State, text: String) {
    if state.filter_input == text {
        return;
    }
    let cursor = state.service_cursor();
    state.filter_input = text;
    state
        .table
        .set_filter(Filter::parse(&state.filter_input), &state.instances);
    state.fix_service_selection(cursor);
    state.dirty = true;
}

fn switch_view(state: &mut State, view: View, scope: Option<Option<String>>) {
    if state.view != view {
        state.view = view;
        // A filter belongs to the list it was typed for.
        set_filter(state, String::new());
        state.dirty = true;
    }
    if let Some(scope) = scope
        && state.table.scope_service() != scope.as_deref()
    {
        state.table.set_scope(scope, &state.instances);
        state.dirty = true;
    }
}

fn on_action(state: &mut State, action: Action) -> Vec<Command> {
    match action {
        Action::MoveUp => navigate(state, |t, s| t.move_by(-1, s), -1),
        Action::MoveDown => navigate(state, |t, s| t.move_by(1, s), 1),
        Action::PageUp => {
            let page = -(state.viewport_height() as isize);
            navigate(state, |t, s| t.page_up(s), page)
        }
        Action::PageDown => {
            let page = state.viewport_height() as isize;
            navigate(state, |t, s| t.page_down(s), page)
        }
        Action::Top => navigate(state, |t, s| t.home(s), isize::MIN),
        Action::Bottom => navigate(state, |t, s| t.end(s), isize::MAX),
        Action::Open => {
            if state.view == View::Services
                && let Some(name) = state.selected_service.clone()
            {
                switch_view(state, View::Instances, Some(Some(name)));
            }
        }
        Action::Back => {
            if !state.filter_input.is_empty() {
                set_filter(state, String::new());
            } else if state.view == View::Instances {
                switch_view(state, View::Services, None);
            }
        }
        Action::StartFilter => set_mode(state, Mode::FilterInput),
        Action::StartCommand => {
            state.command_input.clear();
            state.completion = None;
            state.notice = None;
            set_mode(state, Mode::CommandInput);
        }
        Action::ToggleSort(column) => {
            if state.view == View::Instances {
                state.table.toggle_sort(column, &state.instances);
                state.dirty = true;
            }
        }
        Action::Help => open_help(state),
        Action::Quit => return vec![Command::Quit],
        Action::SwitchView(view) => {
            let scope = (view == View::Instances).then_some(None);
            switch_view(state, view, scope);
        }
        Action::Submit | Action::Cancel | Action::DeleteBack | Action::Complete => {}
    }
    Vec::new()
}

fn open_help(state: &mut State) {
    if state.mode != Mode::Help {
        state.mode_before_help = state.mode;
        set_mode(state, Mode::Help);
    }
}

/// Moves in whichever list is shown. `services_delta` is the equivalent
/// step in the (small) services list.
fn navigate(
    state: &mut State,
    in_table: impl FnOnce(
        &mut crate::state::table::InstanceTable,
        &crate::state::rows::InstanceStore,
    ) -> bool,
    services_delta: isize,
) {
    match state.view {
        View::Instances => {
            if in_table(&mut state.table, &state.instances) {
                state.dirty = true;
            }
        }
        View::Services => {
            let visible = state.visible_services();
            let last = visible.len().saturating_sub(1);
            let target = state
                .service_cursor()
                .saturating_add_signed(services_delta)
                .min(last);
            let name = visible.get(target).map(|s| s.name.clone());
            if name.is_some() && name != state.selected_service {
                state.selected_service = name;
                state.dirty = true;
            }
        }
    }
}

fn complete(state: &mut State) {
    if let Some(cycle) = &mut state.completion {
        if !cycle.candidates.is_empty() {
            cycle.index = (cycle.index + 1) % cycle.candidates.len();
            state.command_input = cycle.candidates[cycle.index].clone();
            state.dirty = true;
        }
        return;
    }
    let services = state.services.names();
    let found = command::complete(
        &state.command_input,
        Sources {
            namespaces: &state.namespaces,
            contexts: &state.contexts,
            services: &services,
        },
    );
    match found.candidates.len() {
        0 => {}
        1 => {
            state.command_input = found.candidates[0].clone();
            state.dirty = true;
        }
        _ if found.common_prefix.len() > state.command_input.len() => {
            // First Tab fills the common part; the next one starts cycling.
            state.command_input = found.common_prefix;
            state.dirty = true;
        }
        _ => {
            state.command_input = found.candidates[0].clone();
            state.completion = Some(CompletionCycle {
                candidates: found.candidates,
                index: 0,
            });
            state.dirty = true;
        }
    }
}

fn execute(state: &mut State, line: &str) -> Vec<Command> {
    state.dirty = true;
    match command::parse(line) {
        Err(err) => {
            state.notice = Some(err.to_string());
            Vec::new()
        }
        Ok(CommandLine::Services) => {
            switch_view(state, View::Services, None);
            Vec::new()
        }
        Ok(CommandLine::Instances(service)) => {
            switch_view(state, View::Instances, Some(service));
            Vec::new()
        }
        Ok(CommandLine::Namespace(namespace)) => {
            // Rows of the old namespace must not pass for the new one.
            state.namespace = namespace.clone();
            state.instances.replace_all(Vec::new());
            state.table.refresh(&state.instances);
            vec![Command::WatchNamespace(namespace)]
        }
        Ok(CommandLine::Context(context)) => {
            state.context = Some(context.clone());
            state.instances.replace_all(Vec::new());
            state.table.refresh(&state.instances);
            state.services.replace_all(Vec::new());
            state.selected_service = None;
            state.namespaces.clear();
            vec![Command::SwitchContext(context)]
        }
        Ok(CommandLine::Quit) => vec![Command::Quit],
        Ok(CommandLine::Help) => {
            open_help(state);
            Vec::new()
        }
    }
}

#[cfg(test)]
mod tests;
