//! The pure heart of the console: `update(&mut State, Msg) -> Vec<Command>`.
//!
//! No I/O, no terminal, no cluster: side effects leave as [`Command`] data for
//! the event loop to carry out, so every behaviour here is a plain unit test.

use crate::action::{Action, Connection, MouseInput, Msg, View};
use crate::command::{self, CommandLine, Sources};
use crate::keymap::{KeyCode, KeyPress, Mode};
use crate::state::detail::{DetailState, InstanceRef};
use crate::state::filter::Filter;
use crate::state::logs::LogRequest;
use crate::state::monitor::MetricsRequest;
use crate::state::picker::{ALL_NAMESPACES, Picker, PickerKind};
use crate::state::{CompletionCycle, Stale, State};

pub(crate) mod audit;
mod findings;
mod logs;
mod monitor;
pub(crate) mod ops;

/// Shown when the console has never reached a cluster.
pub const NO_CLUSTER_HINT: &str =
    "no cluster reachable yet; retrying. For the local sandbox with samples run: sandbox/console";

/// A side effect for the event loop to perform.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Restart the watches in one namespace (None: all namespaces).
    WatchNamespace(Option<String>),
    /// Switch to another kube context and restart the watches.
    SwitchContext(String),
    /// Start watching one instance for the detail view (replaces any
    /// previous detail watch).
    WatchDetail(InstanceRef),
    /// Stop the detail watch.
    StopDetail,
    /// Start streaming logs (replaces any previous log session).
    StreamLogs(LogRequest),
    /// Stop the log streams.
    StopLogs,
    /// Write text to a new file in the user's data directory (`logs/`);
    /// the outcome comes back as a notice.
    SaveLogs {
        /// File name only (no directory), e.g. `team-a-orders-20261128-0312.log`.
        file_name: String,
        /// What to write.
        text: String,
    },
    /// Start reading metrics for the monitoring view (replaces any previous).
    WatchMetrics(MetricsRequest),
    /// Stop reading metrics.
    StopMetrics,
    /// A request of the guided operations (context, dry run, write, audit).
    Ops(crate::state::ops::OpsRequest),
    /// Clear the terminal and draw the whole screen again.
    Redraw,
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
            let rows: Vec<_> = rows.into_iter().filter(|r| in_scope(state, r)).collect();
            for row in rows {
                changed |= state.instances.upsert(row);
            }
            if changed {
                instances_changed(state);
            }
            Vec::new()
        }
        Msg::InstanceRemoved(uid) => {
            let commands = ops::on_instance_removed(state, &uid);
            if let Some(row) = state.instances.get(&uid)
                && state.detail.as_ref().is_some_and(|d| d.target.uid == uid)
            {
                state.notice = Some(format!("{}/{} was deleted", row.namespace, row.name));
                state.dirty = true;
            }
            if state.instances.remove(&uid) {
                instances_changed(state);
            }
            commands
        }
        Msg::InstancesRelisted(rows) => {
            let rows = rows.into_iter().filter(|r| in_scope(state, r)).collect();
            state.instances.replace_all(rows);
            if !state.instances_listed {
                state.instances_listed = true;
                state.dirty = true;
            }
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
            if changed && refresh_findings(state) {
                state.dirty |= state.view == View::Detail;
            }
            if changed || recounted {
                findings::refresh(state);
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
            clear_no_cluster_hint(state);
            Vec::new()
        }
        Msg::Mouse(mouse) => on_mouse(state, mouse),
        Msg::Tick(now) => {
            if state.now != now {
                state.now = now;
                state.dirty = true;
            }
            Vec::new()
        }
        Msg::Synced => {
            if !state.synced {
                state.synced = true;
                state.dirty = true;
            }
            clear_no_cluster_hint(state);
            Vec::new()
        }
        Msg::Cluster(info) => {
            if state.context.is_none() {
                state.context = info.context.clone();
            }
            state.cluster = Some(info);
            state.dirty = true;
            Vec::new()
        }
        Msg::DetailUpdated(data) => {
            let body = state.viewport_height();
            if let Some(detail) = &mut state.detail
                && detail.target.uid == data.target.uid
            {
                detail.data = Some(data);
                detail.error = None;
                refresh_findings(state);
                if let Some(detail) = &mut state.detail {
                    let max = detail.body_lines().saturating_sub(body);
                    detail.scroll = detail.scroll.min(max);
                }
                state.dirty |= state.view == View::Detail;
            }
            ops::on_detail_updated(state)
        }
        Msg::DetailFailed { uid, error } => {
            if let Some(detail) = &mut state.detail
                && detail.target.uid == uid
            {
                detail.error = Some(error);
                state.dirty |= state.view == View::Detail;
            }
            Vec::new()
        }
        Msg::Notice(text) => {
            state.notice = Some(text);
            state.dirty = true;
            Vec::new()
        }
        Msg::Logs(event) => logs::on_event(state, event),
        Msg::Metrics(event) => monitor::on_event(state, event),
        Msg::Ops(event) => ops::on_event(state, *event),
        Msg::Connection(Connection::Disconnected { since, error }) => {
            // Never connected yet: the user may simply have no cluster.
            if !state.synced && state.notice.is_none() {
                state.notice = Some(NO_CLUSTER_HINT.to_owned());
            }
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

/// Whether a row belongs to the namespace watched: rows still in flight
/// from before a namespace switch must not pass for the new namespace.
fn in_scope(state: &State, row: &crate::state::rows::InstanceRow) -> bool {
    state
        .namespace
        .as_deref()
        .is_none_or(|ns| row.namespace == ns)
}

/// Recomputes the detail's diagnosis from its data and the services
/// (operator health, allowed versions). Returns whether it changed.
fn refresh_findings(state: &mut State) -> bool {
    let Some(detail) = &state.detail else {
        return false;
    };
    let Some(data) = &detail.data else {
        return false;
    };
    let service = state.services.get(&detail.target.service);
    let version = state
        .instances
        .get(&detail.target.uid)
        .and_then(|row| row.version.as_deref());
    let context = crate::state::diagnosis::Context {
        operator: service.map(|s| &s.operator),
        allowed_versions: service.map_or(&[], |s| s.allowed_versions.as_slice()),
        version,
        install: service.map(|s| &s.install),
        crd: service.map(|s| &s.crd),
    };
    let findings = crate::state::diagnosis::diagnose(data, context);
    match &mut state.detail {
        Some(detail) if detail.findings != findings => {
            detail.findings = findings;
            detail.finding_cursor = detail
                .finding_cursor
                .min(detail.findings.len().saturating_sub(1));
            true
        }
        _ => false,
    }
}

fn clear_no_cluster_hint(state: &mut State) {
    if state.notice.as_deref() == Some(NO_CLUSTER_HINT) {
        state.notice = None;
        state.dirty = true;
    }
}

fn instances_changed(state: &mut State) {
    state.table.refresh(&state.instances);
    let recounted = state.services.recount(&state.instances);
    state.dirty |= state.view == View::Instances || (recounted && state.view == View::Services);
    findings::refresh(state);
}

fn on_key(state: &mut State, key: KeyPress) -> Vec<Command> {
    let action = state.keymap.action(state.mode, key);
    // Whatever the mode: the screen, not the state, is what is wrong.
    if action == Some(Action::Redraw) {
        state.dirty = true;
        return vec![Command::Redraw];
    }
    match state.mode {
        Mode::Normal => action.map_or_else(Vec::new, |a| on_action(state, a)),
        Mode::FilterInput if state.view == View::Logs => logs::on_search_key(state, action, key),
        Mode::FilterInput => {
            match action {
                Some(Action::Submit) => set_mode(state, base_mode(state)),
                Some(Action::Cancel) => {
                    set_filter(state, String::new());
                    set_mode(state, base_mode(state));
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
                set_mode(state, base_mode(state));
                execute(state, &line)
            }
            Some(Action::Cancel) => {
                state.command_input.clear();
                state.completion = None;
                set_mode(state, base_mode(state));
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
        Mode::Detail => action.map_or_else(Vec::new, |a| on_detail_action(state, a)),
        Mode::Picker => on_picker_key(state, action, key),
        Mode::Logs => logs::on_key(state, action),
        Mode::Monitor => monitor::on_key(state, action),
        Mode::Findings => findings::on_key(state, action),
        Mode::Wizard => ops::on_key(state, action, key),
        Mode::Editor => ops::on_editor_key(state, action, key),
        Mode::Audit => audit::on_key(state, action, key),
    }
}

/// The mode of the view shown, when no input line or overlay is open.
fn base_mode(state: &State) -> Mode {
    match state.view {
        View::Detail => Mode::Detail,
        View::Logs => Mode::Logs,
        View::Monitor => Mode::Monitor,
        View::ServiceDiagnosis => Mode::Findings,
        View::Operation => ops::mode(state),
        View::Audit => Mode::Audit,
        View::Services | View::Instances => Mode::Normal,
    }
}

/// Where a closing log or monitoring view goes back to: `back`, unless what
/// it came from has closed meanwhile (the instance left) or is itself one
/// of these views.
fn return_view(state: &State, back: View) -> View {
    let gone = back == View::Detail && state.detail.is_none()
        || back == View::ServiceDiagnosis && state.findings.is_none()
        || back == View::Operation && state.wizard.is_none()
        || back == View::Audit && state.audit.is_none()
        || matches!(back, View::Logs | View::Monitor);
    if gone { View::Instances } else { back }
}

/// The instance the selection (instances view) or the screen (detail)
/// is about.
fn current_instance(state: &State) -> Option<InstanceRef> {
    if let Some(detail) = &state.detail
        && state.view == View::Detail
    {
        return Some(detail.target.clone());
    }
    if state.view != View::Instances {
        return None;
    }
    let row = state.table.selected(&state.instances)?;
    Some(InstanceRef {
        uid: row.uid.clone(),
        name: row.name.clone(),
        namespace: row.namespace.clone(),
        service: row.service.clone(),
        kind: row.kind,
    })
}

/// Closes the log, monitoring and service diagnosis views and the detail
/// (a namespace or context switch makes them meaningless).
fn leave_everything(state: &mut State) -> Vec<Command> {
    let mut commands = Vec::new();
    if state.wizard.is_some() {
        commands.extend(ops::close(state));
    }
    if state.audit.is_some() {
        commands.extend(audit::close(state));
    }
    if state.logs.is_some() {
        commands.extend(logs::close(state));
    }
    if state.monitor.is_some() {
        commands.extend(monitor::close(state));
    }
    if state.findings.is_some() {
        commands.extend(findings::close(state));
    }
    if state.detail.is_some() {
        commands.extend(leave_detail(state));
    }
    commands
}

fn on_detail_action(state: &mut State, action: Action) -> Vec<Command> {
    let body = state.viewport_height();
    let Some(detail) = &mut state.detail else {
        return leave_detail(state);
    };
    if detail.tab == crate::state::detail::DetailTab::Diagnosis
        && let Some(commands) = findings::on_detail_diagnosis(state, action)
    {
        return commands;
    }
    let Some(detail) = &mut state.detail else {
        return leave_detail(state);
    };
    let max = detail.body_lines().saturating_sub(body);
    let scroll_to = |detail: &mut crate::state::detail::DetailState, to: usize| {
        let to = to.min(max);
        let moved = detail.scroll != to;
        detail.scroll = to;
        moved
    };
    let changed = match action {
        Action::MoveDown => scroll_to(detail, detail.scroll.saturating_add(1)),
        Action::MoveUp => scroll_to(detail, detail.scroll.saturating_sub(1)),
        Action::PageDown => scroll_to(detail, detail.scroll.saturating_add(body)),
        Action::PageUp => scroll_to(detail, detail.scroll.saturating_sub(body)),
        Action::Top => scroll_to(detail, 0),
        Action::Bottom => scroll_to(detail, usize::MAX),
        Action::NextTab | Action::PrevTab => {
            let tabs = detail.tabs();
            let at = tabs.iter().position(|t| *t == detail.tab).unwrap_or(0);
            let next = if action == Action::NextTab {
                (at + 1) % tabs.len()
            } else {
                (at + tabs.len() - 1) % tabs.len()
            };
            detail.tab = tabs[next];
            detail.scroll = 0;
            detail.finding_cursor = 0;
            true
        }
        Action::Reveal => {
            detail.reveal = !detail.reveal;
            true
        }
        Action::ToggleComputedValues => {
            let helm = detail.data.as_ref().is_some_and(|d| d.helm.is_some());
            if helm {
                detail.computed_values = !detail.computed_values;
                detail.scroll = 0;
            }
            helm
        }
        Action::Back => return leave_detail(state),
        Action::OpenLogs => {
            let target = detail.target.clone();
            return logs::open(state, target);
        }
        Action::OpenMonitor => {
            let target = detail.target.clone();
            return monitor::open(state, target);
        }
        Action::OpenOps | Action::StartUpgrade | Action::EditConfig | Action::EditYaml => {
            let target = detail.target.clone();
            return ops::open(state, target, action);
        }
        Action::OpenAudit => return audit::open(state),
        Action::StartCommand | Action::Help | Action::Quit => {
            return on_action(state, action);
        }
        _ => false,
    };
    state.dirty |= changed;
    Vec::new()
}

/// Opens the detail of the selected instance.
fn open_detail(state: &mut State) -> Vec<Command> {
    let Some(row) = state.table.selected(&state.instances) else {
        return Vec::new();
    };
    let target = InstanceRef {
        uid: row.uid.clone(),
        name: row.name.clone(),
        namespace: row.namespace.clone(),
        service: row.service.clone(),
        kind: row.kind,
    };
    state.detail = Some(DetailState::new(target.clone()));
    state.view = View::Detail;
    state.notice = None;
    set_mode(state, Mode::Detail);
    state.dirty = true;
    vec![Command::WatchDetail(target)]
}

/// Back from the detail to the instance list.
fn leave_detail(state: &mut State) -> Vec<Command> {
    state.detail = None;
    state.view = View::Instances;
    set_mode(state, Mode::Normal);
    state.dirty = true;
    vec![Command::StopDetail]
}

pub(super) fn open_picker(state: &mut State, kind: PickerKind) {
    let (items, current) = match kind {
        PickerKind::Namespace => {
            let mut items = vec![ALL_NAMESPACES.to_owned()];
            items.extend(state.namespaces.iter().cloned());
            let current = state
                .namespace
                .clone()
                .unwrap_or_else(|| ALL_NAMESPACES.to_owned());
            (items, Some(current))
        }
        PickerKind::Context => (state.contexts.clone(), state.context.clone()),
        PickerKind::LogSource => logs::source_choices(state),
    };
    state.picker = Some(Picker::new(kind, items, current));
    state.notice = None;
    set_mode(state, Mode::Picker);
    state.dirty = true;
}

fn close_picker(state: &mut State) {
    state.picker = None;
    set_mode(state, base_mode(state));
    state.dirty = true;
}

fn on_picker_key(state: &mut State, action: Option<Action>, key: KeyPress) -> Vec<Command> {
    let Some(picker) = &mut state.picker else {
        set_mode(state, base_mode(state));
        return Vec::new();
    };
    match action {
        Some(Action::MoveDown) => state.dirty |= picker.move_by(1),
        Some(Action::MoveUp) => state.dirty |= picker.move_by(-1),
        Some(Action::DeleteBack) => {
            let mut query = picker.query.clone();
            if query.pop().is_some() {
                picker.set_query(query);
                state.dirty = true;
            }
        }
        Some(Action::Cancel) => close_picker(state),
        Some(Action::Quit) => return vec![Command::Quit],
        Some(Action::Submit) => {
            let kind = picker.kind;
            let chosen = picker.chosen().map(str::to_owned);
            close_picker(state);
            return match (kind, chosen) {
                (PickerKind::Namespace, Some(ns)) if ns == ALL_NAMESPACES => {
                    switch_namespace(state, None)
                }
                (PickerKind::Namespace, Some(ns)) => switch_namespace(state, Some(ns)),
                (PickerKind::Context, Some(ctx)) => switch_context(state, ctx),
                (PickerKind::LogSource, Some(label)) => logs::choose_source(state, &label),
                (_, None) => Vec::new(),
            };
        }
        _ => {
            if let Some(c) = typed_char(key) {
                let mut query = picker.query.clone();
                query.push(c);
                picker.set_query(query);
                state.dirty = true;
            }
        }
    }
    Vec::new()
}

fn switch_namespace(state: &mut State, namespace: Option<String>) -> Vec<Command> {
    let mut commands = leave_everything(state);
    if state.namespace == namespace {
        return commands;
    }
    // Rows of the old namespace must not pass for the new one.
    state.namespace = namespace.clone();
    state.instances.replace_all(Vec::new());
    state.table.refresh(&state.instances);
    state.services.recount(&state.instances);
    state.synced = false;
    state.instances_listed = false;
    state.dirty = true;
    commands.push(Command::WatchNamespace(namespace));
    commands
}

fn switch_context(state: &mut State, context: String) -> Vec<Command> {
    let mut commands = leave_everything(state);
    state.context = Some(context.clone());
    state.instances.replace_all(Vec::new());
    state.table.refresh(&state.instances);
    state.services.replace_all(Vec::new());
    state.selected_service = None;
    state.namespaces.clear();
    state.cluster = None;
    state.stale = None;
    state.synced = false;
    state.instances_listed = false;
    state.dirty = true;
    commands.push(Command::SwitchContext(context));
    commands
}

/// Mouse: the wheel moves the selection (or scrolls the detail); a click on
/// a table row selects it, a second click on the selected row opens it.
fn on_mouse(state: &mut State, mouse: MouseInput) -> Vec<Command> {
    if matches!(state.mode, Mode::Logs | Mode::Monitor | Mode::Findings) {
        let action = match mouse {
            MouseInput::ScrollUp => Action::MoveUp,
            MouseInput::ScrollDown => Action::MoveDown,
            MouseInput::Click { .. } => return Vec::new(),
        };
        let mut commands = Vec::new();
        for _ in 0..3 {
            commands.extend(on_key_action(state, action));
        }
        return commands;
    }
    if !matches!(state.mode, Mode::Normal | Mode::Detail) {
        return Vec::new();
    }
    match mouse {
        MouseInput::ScrollUp | MouseInput::ScrollDown => {
            let action = if mouse == MouseInput::ScrollUp {
                Action::MoveUp
            } else {
                Action::MoveDown
            };
            // Three lines a notch, like most terminals.
            let mut commands = Vec::new();
            for _ in 0..3 {
                commands.extend(if state.view == View::Detail {
                    on_detail_action(state, action)
                } else {
                    on_action(state, action)
                });
            }
            commands
        }
        MouseInput::Click { row, .. } => {
            let layout = state.layout();
            if state.view == View::Detail
                || row < layout.body_top
                || row >= layout.body_top + layout.body_height
            {
                return Vec::new();
            }
            let index = usize::from(row - layout.body_top);
            match state.view {
                View::Instances => {
                    let target = state.table.offset() + index;
                    if target >= state.table.len() {
                        return Vec::new();
                    }
                    if target == state.table.cursor() {
                        return open_detail(state);
                    }
                    let delta = target as isize - state.table.cursor() as isize;
                    navigate(state, |t, s| t.move_by(delta, s), delta);
                }
                View::Services => {
                    let visible = state.visible_services();
                    let Some(name) = visible.get(index).map(|s| s.name.clone()) else {
                        return Vec::new();
                    };
                    if state.selected_service.as_deref() == Some(name.as_str()) {
                        return on_action(state, Action::Open);
                    }
                    state.selected_service = Some(name);
                    state.dirty = true;
                }
                View::Detail
                | View::Logs
                | View::Monitor
                | View::ServiceDiagnosis
                | View::Operation
                | View::Audit => {}
            }
            Vec::new()
        }
    }
}

/// An action in one of the reading views, as if its key was pressed.
fn on_key_action(state: &mut State, action: Action) -> Vec<Command> {
    match state.mode {
        Mode::Logs => logs::on_key(state, Some(action)),
        Mode::Monitor => monitor::on_key(state, Some(action)),
        Mode::Findings => findings::on_key(state, Some(action)),
        _ => Vec::new(),
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

#[must_use]
fn switch_view(state: &mut State, view: View, scope: Option<Option<String>>) -> Vec<Command> {
    let mut commands = Vec::new();
    if state.view != view {
        commands = leave_everything(state);
    }
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
    commands
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
        Action::Open => match state.view {
            View::Services => {
                if let Some(name) = state.selected_service.clone() {
                    return switch_view(state, View::Instances, Some(Some(name)));
                }
            }
            View::Instances => return open_detail(state),
            View::Detail
            | View::Logs
            | View::Monitor
            | View::ServiceDiagnosis
            | View::Operation
            | View::Audit => {}
        },
        Action::OpenOps | Action::StartUpgrade | Action::EditConfig | Action::EditYaml => {
            if let Some(target) = current_instance(state) {
                return ops::open(state, target, action);
            }
        }
        Action::OpenAudit => return audit::open(state),
        Action::OpenLogs => {
            if let Some(target) = current_instance(state) {
                return logs::open(state, target);
            }
        }
        Action::OpenMonitor => {
            if let Some(target) = current_instance(state) {
                return monitor::open(state, target);
            }
        }
        Action::Diagnose => match state.view {
            View::Services => return findings::open(state),
            View::Instances => {
                let mut commands = open_detail(state);
                if let Some(detail) = &mut state.detail {
                    detail.tab = crate::state::detail::DetailTab::Diagnosis;
                }
                return std::mem::take(&mut commands);
            }
            _ => {}
        },
        Action::PickNamespace => open_picker(state, PickerKind::Namespace),
        Action::PickContext => open_picker(state, PickerKind::Context),
        Action::Back => {
            if !state.filter_input.is_empty() {
                set_filter(state, String::new());
            } else if state.view == View::Instances {
                return switch_view(state, View::Services, None);
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
        Action::SwitchView(View::Detail) => {
            if state.view == View::Instances {
                return open_detail(state);
            }
        }
        Action::SwitchView(view) => {
            let scope = (view == View::Instances).then_some(None);
            return switch_view(state, view, scope);
        }
        Action::Submit
        | Action::Cancel
        | Action::DeleteBack
        | Action::Complete
        | Action::NextTab
        | Action::PrevTab
        | Action::Reveal
        | Action::ToggleComputedValues
        | Action::ToggleFollow
        | Action::TogglePrevious
        | Action::ToggleTimestamps
        | Action::ToggleWrap
        | Action::TogglePrettyJson
        | Action::CycleSince
        | Action::CycleTail
        | Action::NextMatch
        | Action::PrevMatch
        | Action::SaveLogs
        | Action::PickLogSource
        | Action::Reload
        | Action::Redraw => {}
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
        // The other views scroll through their own actions.
        View::Detail
        | View::Logs
        | View::Monitor
        | View::ServiceDiagnosis
        | View::Operation
        | View::Audit => {}
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

/// Runs a `:` command line as if typed (the `--command` flag).
pub fn run_command_line(state: &mut State, line: &str) -> Vec<Command> {
    execute(state, line)
}

fn execute(state: &mut State, line: &str) -> Vec<Command> {
    state.dirty = true;
    match command::parse(line) {
        Err(err) => {
            state.notice = Some(err.to_string());
            Vec::new()
        }
        Ok(CommandLine::Services) => switch_view(state, View::Services, None),
        Ok(CommandLine::Instances(service)) => switch_view(state, View::Instances, Some(service)),
        Ok(CommandLine::Namespace(namespace)) => switch_namespace(state, namespace),
        Ok(CommandLine::Context(context)) => switch_context(state, context),
        Ok(CommandLine::PickNamespace) => {
            open_picker(state, PickerKind::Namespace);
            Vec::new()
        }
        Ok(CommandLine::PickContext) => {
            open_picker(state, PickerKind::Context);
            Vec::new()
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
