//! Keys and answers of the guided operations: opening the menu or an
//! operation, walking its steps, and turning the user's choices into
//! [`OpsRequest`]s.
//!
//! Every write takes one path: the first step (picker, form, editor) makes
//! an [`Edit`]; the edit on the wizard's base object makes a [`Write`]; the
//! write is dry-run (`Checking`), its diff shown (`Preview`), confirmed
//! (`Confirm`), sent (`Applying`) and followed (`Progress`). A conflict
//! shows what changed meanwhile and makes the same edit again on the object
//! as it is now. In readonly mode no dry run or write ever leaves.

use serde_json::{Value, json};

use crate::action::{Action, View};
use crate::domain::csd::VersionDefinition;
use crate::domain::descriptors::XDescriptor;
use crate::domain::ops::DiffLine;
use crate::domain::text::clean;
use crate::keymap::{KeyCode, KeyPress, Mode};
use crate::state::State;
use crate::state::checks::{self, PreflightInput, Progress};
use crate::state::detail::{DetailState, InstanceDetail, InstanceRef};
use crate::state::editor::{EditorOutcome, YamlEditor};
use crate::state::form::{FormOutcome, FormState};
use crate::state::ops::{
    HelmWrite, ObjectRef, OpKind, OpsContext, OpsEvent, OpsRequest, Permission, Write, WriteError,
    WritePlan,
};
use crate::state::rows::{Health, ServiceKind};
use crate::state::wizard::{DetachedWrite, Edit, Input, MenuEntry, Preview, Step, Wizard};

use super::Command;

/// Default key bindings of `Mode::Wizard` and `Mode::Editor`. Letters bound
/// here stay typeable: steps that take text (forms, a typed confirmation)
/// read typed characters as text before any binding.
pub fn default_bindings(bind: &mut dyn FnMut(Mode, &[&str], Action)) {
    bind(Mode::Wizard, &["shift+Tab", "Up", "k"], Action::MoveUp);
    bind(Mode::Wizard, &["Tab", "Down", "j"], Action::MoveDown);
    bind(Mode::Wizard, &["PageUp"], Action::PageUp);
    bind(Mode::Wizard, &["PageDown"], Action::PageDown);
    bind(Mode::Wizard, &["Enter"], Action::Submit);
    bind(Mode::Wizard, &["Esc"], Action::Back);
    bind(Mode::Wizard, &["ctrl+r"], Action::Reveal);
    bind(Mode::Wizard, &["?"], Action::Help);
    bind(Mode::Wizard, &["ctrl+c"], Action::Quit);
    bind(Mode::Editor, &["ctrl+s"], Action::Submit);
    bind(Mode::Editor, &["Esc"], Action::Cancel);
    bind(Mode::Editor, &["ctrl+c"], Action::Quit);
}

/// Opens the operations menu (`OpenOps`) or one operation directly
/// (`StartUpgrade`, `EditConfig`, `EditYaml`) on an instance.
pub fn open(state: &mut State, target: InstanceRef, action: Action) -> Vec<Command> {
    let mut commands = Vec::new();
    if state.wizard.is_some() {
        commands.extend(close(state));
    }
    state.last_session += 1;
    let id = state.last_session;
    let mut return_to = state.view;
    if matches!(return_to, View::Operation) {
        return_to = View::Instances;
    }
    let mut wizard = Wizard::new(target.clone(), id, return_to);
    wizard.kind = match (action, target.kind) {
        (Action::StartUpgrade, ServiceKind::Operator) => Some(OpKind::Upgrade),
        (Action::EditConfig, ServiceKind::Operator) => Some(OpKind::EditForm),
        (Action::EditYaml, ServiceKind::Operator) => Some(OpKind::EditYaml),
        // A release's configuration is its values: the Helm upgrade.
        (Action::StartUpgrade | Action::EditConfig | Action::EditYaml, ServiceKind::Helm) => {
            Some(OpKind::HelmUpgrade)
        }
        _ => None,
    };
    wizard.direct = wizard.kind.is_some();
    // The preflight reads the instance's detail and the progress follows
    // it: watch it unless it is watched already (opened from the list).
    if state.detail.as_ref().map(|d| &d.target.uid) != Some(&target.uid) {
        wizard.previous_detail = state.detail.take().map(Box::new);
        wizard.started_detail = true;
        state.detail = Some(DetailState::new(target.clone()));
        commands.push(Command::WatchDetail(target.clone()));
    }
    state.wizard = Some(wizard);
    state.view = View::Operation;
    state.notice = None;
    super::set_mode(state, Mode::Wizard);
    state.dirty = true;
    commands.push(Command::Ops(OpsRequest::Prepare { id, target }));
    commands
}

/// Closes the wizard (leaving for another view).
pub fn close(state: &mut State) -> Vec<Command> {
    let Some(wizard) = state.wizard.take() else {
        return Vec::new();
    };
    let mut commands = vec![Command::Ops(OpsRequest::Cancel)];
    // The detail the wizard watched goes; the one open before comes back.
    if wizard.started_detail
        && state
            .detail
            .as_ref()
            .is_some_and(|d| d.target.uid == wizard.target.uid)
    {
        match wizard.previous_detail {
            Some(previous) => {
                commands.push(Command::WatchDetail(previous.target.clone()));
                state.detail = Some(*previous);
            }
            None => {
                state.detail = None;
                commands.push(Command::StopDetail);
            }
        }
    }
    if state.view == View::Operation {
        state.view = super::return_view(state, wizard.return_to);
    }
    super::set_mode(state, super::base_mode(state));
    state.dirty = true;
    commands
}

/// The mode of the operation view at its current step.
pub fn mode(state: &State) -> Mode {
    match &state.wizard {
        Some(w) if w.editing_yaml() => Mode::Editor,
        _ => Mode::Wizard,
    }
}

/// A key in `Mode::Wizard`.
pub fn on_key(state: &mut State, action: Option<Action>, key: KeyPress) -> Vec<Command> {
    let Some(wizard) = &state.wizard else {
        return Vec::new();
    };
    // Text steps read characters as text, whatever they are bound to.
    let action = if wizard.typing() && super::typed_char(key).is_some() {
        None
    } else {
        action
    };
    match action {
        Some(Action::Quit) => return vec![Command::Quit],
        Some(Action::Help) => {
            super::open_help(state);
            return Vec::new();
        }
        _ => {}
    }
    let step = wizard.step.clone();
    let commands = match step {
        Step::Loading | Step::LoadFailed(_) => match action {
            Some(Action::Back) => close(state),
            _ => Vec::new(),
        },
        Step::Menu => on_menu_key(state, action),
        Step::Choose => on_choose_key(state, action, key),
        Step::Checking => match action {
            // Walking away from a dry run: its answer is dropped.
            Some(Action::Back) => {
                state.last_session += 1;
                let id = state.last_session;
                with_wizard(state, |w| {
                    w.id = id;
                    w.reapply_confirmed = false;
                });
                back_to_first_step(state)
            }
            _ => Vec::new(),
        },
        Step::Preview => match action {
            Some(Action::Submit) => {
                with_wizard(state, |w| {
                    w.step = Step::Confirm;
                    w.typed.clear();
                    w.error = None;
                });
                Vec::new()
            }
            Some(Action::Back) => back_to_first_step(state),
            Some(a) => {
                scroll(state, a);
                Vec::new()
            }
            None => Vec::new(),
        },
        Step::Confirm => on_confirm_key(state, action, key),
        // The write is out and goes on if the wizard closes (it is
        // recorded either way); its answer is then told on the status line.
        Step::Applying => match action {
            Some(Action::Back) => {
                detach(state);
                close(state)
            }
            _ => Vec::new(),
        },
        Step::Progress => on_progress_key(state, action, key),
        Step::Conflict => match (action, key.code) {
            (_, KeyCode::Char('r')) if !key.ctrl && !key.alt => reapply(state),
            (Some(Action::Back), _) => {
                with_wizard(state, |w| {
                    if let Some(current) = w.conflict.take() {
                        w.base = current;
                    }
                    w.scroll = 0;
                });
                back_to_first_step(state)
            }
            (Some(a), _) => {
                scroll(state, a);
                Vec::new()
            }
            _ => Vec::new(),
        },
    };
    sync_mode(state);
    state.dirty = true;
    commands
}

/// A key in `Mode::Editor`.
pub fn on_editor_key(state: &mut State, action: Option<Action>, key: KeyPress) -> Vec<Command> {
    if action == Some(Action::Quit) {
        return vec![Command::Quit];
    }
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    let editor = match &mut wizard.input {
        Input::Editor(editor) => editor,
        Input::HelmChart {
            editor: Some(editor),
            ..
        } => editor,
        _ => return Vec::new(),
    };
    let commands = match editor.on_key(action, key) {
        EditorOutcome::Continue(changed) => {
            state.dirty |= changed;
            return Vec::new();
        }
        EditorOutcome::Cancel => {
            if let Input::HelmChart { editor, .. } = &mut wizard.input {
                // Back to the chart versions; the values are read again.
                *editor = None;
                Vec::new()
            } else {
                back_from_first_step(state)
            }
        }
        EditorOutcome::Submit(value) => {
            if let Input::HelmChart { cursor, .. } = wizard.input {
                let chosen = wizard
                    .context
                    .as_deref()
                    .and_then(|c| c.helm.as_ref())
                    .and_then(|h| h.available.get(cursor).cloned());
                match chosen {
                    Some((version, chart)) => {
                        wizard.edit = Edit::HelmUpgrade {
                            version,
                            chart,
                            values: value,
                        };
                        dry_run(state)
                    }
                    None => {
                        wizard.error = Some("no chart version chosen".into());
                        Vec::new()
                    }
                }
            } else {
                wizard.edit = Edit::Object(value);
                dry_run(state)
            }
        }
    };
    sync_mode(state);
    state.dirty = true;
    commands
}

/// An answer from the cluster layer.
pub fn on_event(state: &mut State, event: OpsEvent) -> Vec<Command> {
    if let OpsEvent::Audit { records, problems } = event {
        super::audit::on_loaded(state, records, problems);
        return Vec::new();
    }
    if let Some(notice) = detached_answer(state, &event) {
        state.notice = Some(notice);
        state.dirty = true;
        return Vec::new();
    }
    let Some(wizard) = &state.wizard else {
        return Vec::new();
    };
    let id = match &event {
        OpsEvent::Prepared { id, .. }
        | OpsEvent::PrepareFailed { id, .. }
        | OpsEvent::Previewed { id, .. }
        | OpsEvent::PreviewFailed { id, .. }
        | OpsEvent::Applied { id, .. }
        | OpsEvent::ApplyFailed { id, .. }
        | OpsEvent::OperationUpdated { id, .. } => *id,
        OpsEvent::Audit { .. } => return Vec::new(),
    };
    if id != wizard.id {
        return Vec::new();
    }
    let visible = state.view == View::Operation;
    let commands = match event {
        OpsEvent::Prepared { context, .. } => prepared(state, context),
        OpsEvent::PrepareFailed { error, .. } => {
            with_wizard(state, |w| {
                if w.step == Step::Loading {
                    w.step = Step::LoadFailed(clean(&error));
                }
            });
            Vec::new()
        }
        OpsEvent::Previewed {
            before,
            after,
            warnings,
            ..
        } => {
            let mut confirmed = false;
            with_wizard(state, |w| {
                if w.step == Step::Checking {
                    let descriptors = w
                        .context
                        .as_deref()
                        .and_then(|c| c.csd.as_ref())
                        .map_or(&[][..], |c| &c.spec.descriptors.spec_descriptors[..]);
                    let preview = make_preview(&before, &after, warnings, descriptors);
                    // The write the user confirmed, checked again on the
                    // latest object: the same diff needs no second "yes".
                    confirmed = std::mem::take(&mut w.reapply_confirmed)
                        && w.preview.as_ref().is_some_and(|p| p.lines == preview.lines);
                    w.preview = Some(preview);
                    w.step = Step::Preview;
                    w.scroll = 0;
                    w.error = None;
                    if !confirmed {
                        w.quiet_conflicts = 0;
                    }
                }
            });
            if confirmed { apply(state) } else { Vec::new() }
        }
        OpsEvent::PreviewFailed { error, .. } => write_failed(state, error, false),
        OpsEvent::Applied { after, audit, .. } => applied(state, after, audit),
        OpsEvent::ApplyFailed { error, .. } => write_failed(state, error, true),
        OpsEvent::OperationUpdated { run, .. } => {
            let judged = checks::operation_progress(run.phase.as_deref(), run.message.as_deref());
            judge(state, judged);
            Vec::new()
        }
        OpsEvent::Audit { .. } => Vec::new(),
    };
    sync_mode(state);
    state.dirty |= visible;
    commands
}

/// Leaves a write being applied to finish on its own: its answer will be
/// told on the status line.
fn detach(state: &mut State) {
    let Some(wizard) = &state.wizard else {
        return;
    };
    let detached = DetachedWrite {
        id: wizard.id,
        who: format!(
            "{}/{}",
            clean(&wizard.target.namespace),
            clean(&wizard.target.name)
        ),
        label: wizard.kind.as_ref().map_or_else(String::new, OpKind::label),
    };
    state.detached_writes.push(detached);
}

/// The status line's words for the answer to a write whose wizard was
/// closed ("team-a/orders: upgrade applied (audit recorded)"); None for
/// any other event.
fn detached_answer(state: &mut State, event: &OpsEvent) -> Option<String> {
    let id = match event {
        OpsEvent::Applied { id, .. } | OpsEvent::ApplyFailed { id, .. } => *id,
        _ => return None,
    };
    let at = state.detached_writes.iter().position(|w| w.id == id)?;
    let write = state.detached_writes.remove(at);
    let who = &write.who;
    let label = clean(&write.label);
    Some(match event {
        OpsEvent::Applied { audit, .. } => {
            let audit = match audit {
                Ok(_) => "audit recorded".to_owned(),
                Err(why) => format!("audit log not written: {}", clean(why)),
            };
            format!("{who}: {label} applied ({audit})")
        }
        OpsEvent::ApplyFailed { error, .. } => {
            format!("{who}: {label} failed: {}", clean(&error.to_string()))
        }
        _ => return None,
    })
}

/// The detail watch delivered a new snapshot: the upgrade picker's
/// preflight is checked again, the progress step judges it.
pub fn on_detail_updated(state: &mut State) -> Vec<Command> {
    let Some(wizard) = &state.wizard else {
        return Vec::new();
    };
    if wizard.step == Step::Choose && matches!(wizard.input, Input::Versions { .. }) {
        refresh_upgrade_preflight(state);
        if state.view == View::Operation {
            state.dirty = true;
        }
        return Vec::new();
    }
    if wizard.step != Step::Progress || progress_final(wizard.progress.as_ref()) {
        return Vec::new();
    }
    let Some(data) = state
        .detail
        .as_ref()
        .filter(|d| d.target.uid == wizard.target.uid)
        .and_then(|d| d.data.as_deref())
    else {
        return Vec::new();
    };
    let judged = match (&wizard.kind, &wizard.edit) {
        (Some(OpKind::Upgrade | OpKind::Rollback), Edit::Version(target)) => {
            // A snapshot from before the operator reacted says nothing of the write.
            checks::awaiting_generation(data, wizard.generation)
                .unwrap_or_else(|| checks::upgrade_progress(data, target))
        }
        (
            Some(
                OpKind::SpecChange
                | OpKind::EditForm
                | OpKind::EditYaml
                | OpKind::Restart
                | OpKind::HelmUpgrade
                | OpKind::HelmRollback,
            ),
            _,
        ) => checks::awaiting_generation(data, wizard.generation)
            .unwrap_or_else(|| checks::change_progress(data, wizard.expected_pods)),
        // Actions follow their CR; deletions end when the instance goes.
        _ => return Vec::new(),
    };
    judge(state, judged);
    if state.view == View::Operation {
        state.dirty = true;
    }
    Vec::new()
}

/// An instance was deleted (the progress of a delete ends here).
pub fn on_instance_removed(state: &mut State, uid: &str) -> Vec<Command> {
    let Some(wizard) = &state.wizard else {
        return Vec::new();
    };
    if wizard.target.uid != uid || wizard.step != Step::Progress {
        return Vec::new();
    }
    if matches!(wizard.kind, Some(OpKind::Delete | OpKind::RemoveFinalizers)) {
        judge(state, Progress::Succeeded("the instance is gone".into()));
    } else {
        judge(
            state,
            Progress::Failed("the instance was deleted meanwhile".into()),
        );
    }
    Vec::new()
}

// ---------------------------------------------------------------------------
// Steps

fn with_wizard(state: &mut State, f: impl FnOnce(&mut Wizard)) {
    if let Some(w) = &mut state.wizard {
        f(w);
    }
}

fn sync_mode(state: &mut State) {
    if state.view == View::Operation && state.mode != Mode::Help {
        let mode = mode(state);
        super::set_mode(state, mode);
    }
}

fn prepared(state: &mut State, context: Box<OpsContext>) -> Vec<Command> {
    let readonly = state.readonly;
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    if wizard.step != Step::Loading {
        return Vec::new();
    }
    wizard.base = match &context.helm {
        // The Helm conflict check is on the revision.
        Some(helm) => json!({ "revision": helm.revision }),
        None => context.object.clone(),
    };
    wizard.menu = menu(&context, &wizard.target, readonly, None);
    wizard.context = Some(context);
    wizard.step = Step::Menu;
    wizard.cursor = wizard
        .menu
        .iter()
        .position(|e| e.permission.allowed())
        .unwrap_or(0);
    match wizard.kind.clone() {
        Some(kind) => choose(state, kind),
        None => Vec::new(),
    }
}

/// The operations offered for the instance, with their permissions.
fn menu(
    context: &OpsContext,
    target: &InstanceRef,
    readonly: bool,
    failed_from: Option<&str>,
) -> Vec<MenuEntry> {
    let mut entries: Vec<(OpKind, String)> = Vec::new();
    if let Some(helm) = &context.helm {
        entries.push((
            OpKind::HelmUpgrade,
            format!("Helm upgrade (chart {} {})", helm.chart, helm.chart_version),
        ));
        if helm.history.len() > 1 {
            entries.push((OpKind::HelmRollback, "Helm rollback".into()));
        }
        entries.push((OpKind::Restart, "Restart".into()));
    } else {
        let csd = context.csd.as_ref();
        let def = csd.and_then(|c| c.spec.version_definition.as_ref());
        if def.is_some() {
            entries.push((OpKind::Upgrade, "Upgrade".into()));
        }
        let back = crate::domain::ops::rollback_version(&context.object)
            .or_else(|| failed_from.map(str::to_owned));
        if let Some(version) = back
            && def.is_some()
        {
            entries.push((
                OpKind::Rollback,
                format!("Roll back to {}", clean(&version)),
            ));
        }
        let descriptors = csd.map_or(&[][..], |c| &c.spec.descriptors.spec_descriptors[..]);
        if descriptors.iter().any(|d| {
            matches!(
                d.widget(),
                Some(XDescriptor::PodCount | XDescriptor::ResourceRequirements)
            )
        }) {
            entries.push((OpKind::SpecChange, "Change replicas/resources".into()));
        }
        if context.spec_schema.is_some() {
            entries.push((OpKind::EditForm, "Edit configuration".into()));
        }
        entries.push((OpKind::EditYaml, "Edit YAML".into()));
        for op in &context.operations {
            entries.push((OpKind::Action(op.name.clone()), clean(&op.display_name)));
        }
        entries.push((OpKind::Restart, "Restart".into()));
        entries.push((OpKind::Delete, format!("Delete {}", clean(&target.name))));
        let meta = &context.object["metadata"];
        let finalizers = meta["finalizers"].as_array().is_some_and(|f| !f.is_empty());
        if meta.get("deletionTimestamp").is_some_and(|t| !t.is_null()) && finalizers {
            entries.push((OpKind::RemoveFinalizers, "Remove finalizers".into()));
        }
    }
    entries
        .into_iter()
        .map(|(kind, label)| {
            let permission = permission(context, &kind, readonly);
            MenuEntry {
                kind,
                label,
                permission,
            }
        })
        .collect()
}

fn permission(context: &OpsContext, kind: &OpKind, readonly: bool) -> Permission {
    if readonly {
        return Permission::Denied("readonly mode".into());
    }
    if let Some(helm) = &context.helm
        && helm.helm_binary.is_none()
        && matches!(kind, OpKind::HelmUpgrade | OpKind::HelmRollback)
    {
        return Permission::Denied("helm binary not found".into());
    }
    context.permission(kind)
}

fn on_menu_key(state: &mut State, action: Option<Action>) -> Vec<Command> {
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    let len = wizard.menu.len();
    match action {
        Some(Action::MoveUp) => wizard.cursor = wizard.cursor.saturating_sub(1),
        Some(Action::MoveDown) => {
            wizard.cursor = (wizard.cursor + 1).min(len.saturating_sub(1));
        }
        Some(Action::PageUp) => wizard.cursor = 0,
        Some(Action::PageDown) => wizard.cursor = len.saturating_sub(1),
        Some(Action::Back) => return close(state),
        Some(Action::Submit) => {
            let Some(entry) = wizard.menu.get(wizard.cursor).cloned() else {
                return Vec::new();
            };
            if let Permission::Denied(why) = &entry.permission {
                wizard.error = Some(format!("{}: {}", entry.label, clean(why)));
                return Vec::new();
            }
            wizard.direct = false;
            return choose(state, entry.kind);
        }
        _ => {}
    }
    Vec::new()
}

/// Starts an operation: its first step, or the dry run when it has
/// nothing to fill in. An operation that may not be done stays on the menu
/// with the reason.
fn choose(state: &mut State, kind: OpKind) -> Vec<Command> {
    let readonly = state.readonly;
    let preflight_health = state
        .wizard
        .as_ref()
        .and_then(|w| state.instances.get(&w.target.uid))
        .map_or(Health::Unknown, |r| r.health);
    let detail = state
        .wizard
        .as_ref()
        .and_then(|w| {
            state
                .detail
                .as_ref()
                .filter(|d| d.target.uid == w.target.uid)
        })
        .and_then(|d| d.data.clone());
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    let Some(context) = wizard.context.clone() else {
        return Vec::new();
    };
    let permission = permission(&context, &kind, readonly);
    let offered = wizard.menu.iter().any(|e| e.kind == kind)
        || (kind == OpKind::Rollback && wizard.previous_version.is_some());
    let refuse = match (&permission, offered) {
        (Permission::Denied(why), _) => Some(format!("{}: {}", kind.label(), clean(why))),
        (_, false) => Some(format!("{}: not available for this instance", kind.label())),
        _ => None,
    };
    if let Some(why) = refuse {
        wizard.kind = None;
        wizard.direct = false;
        wizard.step = Step::Menu;
        wizard.error = Some(why);
        return Vec::new();
    }
    wizard.kind = Some(kind.clone());
    wizard.error = None;
    wizard.edit = Edit::None;
    wizard.input = Input::None;
    wizard.preview = None;
    wizard.scroll = 0;
    let csd = context.csd.as_ref();
    let descriptors = csd.map_or(&[][..], |c| &c.spec.descriptors.spec_descriptors[..]);
    let schema = context.spec_schema.clone().unwrap_or(Value::Null);
    let (secrets, config_maps) = (context.secrets.clone(), context.config_maps.clone());
    let input = match &kind {
        OpKind::Upgrade => {
            let Some(def) = csd.and_then(|c| c.spec.version_definition.as_ref()) else {
                wizard.step = Step::Menu;
                wizard.error = Some("upgrade: the service has no versionDefinition".into());
                return Vec::new();
            };
            let current =
                crate::domain::version::current_version(def, &wizard.base).unwrap_or_default();
            let choices = crate::domain::ops::version_choices(def, &current);
            // Start on the newest version that is not the running one.
            let cursor = choices.iter().position(|c| !c.current).unwrap_or(0);
            let mut input = Input::Versions {
                choices,
                cursor,
                current,
                checks: Vec::new(),
            };
            refresh_preflight(&mut input, def, detail.as_deref(), preflight_health);
            input
        }
        OpKind::SpecChange => Input::Form(Box::new(FormState::new(
            crate::domain::form::spec_change_form(&schema, descriptors, &wizard.base),
            secrets,
            config_maps,
        ))),
        OpKind::EditForm => Input::Form(Box::new(FormState::new(
            crate::domain::form::config_form(&schema, descriptors, &wizard.base),
            secrets,
            config_maps,
        ))),
        OpKind::EditYaml => Input::Editor(Box::new(YamlEditor::new(
            &editable_yaml(&masked(&wizard.base, descriptors)),
            context.spec_schema.clone(),
        ))),
        OpKind::Action(name) => {
            let Some(op) = context.operations.iter().find(|o| &o.name == name) else {
                wizard.step = Step::Menu;
                wizard.error = Some(format!("{}: unknown operation", kind.label()));
                return Vec::new();
            };
            Input::Form(Box::new(FormState::new(
                crate::domain::form::operation_form(
                    op.spec_schema.as_ref(),
                    &op.descriptors,
                    op.default_configuration.as_ref(),
                    op.target_path.as_deref(),
                ),
                secrets,
                config_maps,
            )))
        }
        OpKind::HelmUpgrade => {
            let cursor = context.helm.as_ref().map_or(0, |h| {
                h.available
                    .iter()
                    .position(|(v, _)| *v == h.chart_version)
                    .unwrap_or(0)
            });
            Input::HelmChart {
                cursor,
                editor: None,
            }
        }
        OpKind::HelmRollback => Input::Revisions { cursor: 0 },
        OpKind::Rollback => {
            let version = crate::domain::ops::rollback_version(&wizard.base)
                .or_else(|| wizard.previous_version.clone());
            let Some(version) = version else {
                wizard.step = Step::Menu;
                wizard.error = Some("rollback: no earlier version is known".into());
                return Vec::new();
            };
            wizard.edit = Edit::Version(version);
            return dry_run(state);
        }
        OpKind::Restart | OpKind::Delete | OpKind::RemoveFinalizers => {
            return dry_run(state);
        }
    };
    wizard.input = input;
    wizard.step = Step::Choose;
    Vec::new()
}

/// The preflight of the upgrade picker again, on the latest detail.
fn refresh_upgrade_preflight(state: &mut State) {
    let Some(wizard) = &mut state.wizard else {
        return;
    };
    let health = state
        .instances
        .get(&wizard.target.uid)
        .map_or(Health::Unknown, |r| r.health);
    let detail = state
        .detail
        .as_ref()
        .filter(|d| d.target.uid == wizard.target.uid)
        .and_then(|d| d.data.as_deref());
    let def = wizard
        .context
        .as_deref()
        .and_then(|c| c.csd.as_ref())
        .and_then(|c| c.spec.version_definition.as_ref());
    if let Some(def) = def {
        refresh_preflight(&mut wizard.input, def, detail, health);
    }
}

/// The preflight of the version under the picker's cursor.
fn refresh_preflight(
    input: &mut Input,
    def: &VersionDefinition,
    detail: Option<&crate::state::detail::InstanceDetail>,
    health: Health,
) {
    if let Input::Versions {
        choices,
        cursor,
        current,
        checks,
    } = input
    {
        *checks = match choices.get(*cursor) {
            Some(choice) => checks::preflight(PreflightInput {
                detail,
                health,
                current,
                target: &choice.version,
                def,
            }),
            None => Vec::new(),
        };
    }
}

fn on_choose_key(state: &mut State, action: Option<Action>, key: KeyPress) -> Vec<Command> {
    let health = state
        .wizard
        .as_ref()
        .and_then(|w| state.instances.get(&w.target.uid))
        .map_or(Health::Unknown, |r| r.health);
    let detail = state
        .wizard
        .as_ref()
        .and_then(|w| {
            state
                .detail
                .as_ref()
                .filter(|d| d.target.uid == w.target.uid)
        })
        .and_then(|d| d.data.clone());
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    let def = wizard
        .context
        .as_deref()
        .and_then(|c| c.csd.as_ref())
        .and_then(|c| c.spec.version_definition.clone());
    let helm_len = wizard
        .context
        .as_deref()
        .and_then(|c| c.helm.as_ref())
        .map_or((0, 0), |h| {
            (h.available.len(), h.history.len().saturating_sub(1))
        });
    match &mut wizard.input {
        Input::Versions {
            choices, cursor, ..
        } => {
            let len = choices.len();
            match action {
                Some(Action::MoveUp) => *cursor = cursor.saturating_sub(1),
                Some(Action::MoveDown) => *cursor = (*cursor + 1).min(len.saturating_sub(1)),
                Some(Action::Back) => return back_from_first_step(state),
                Some(Action::Submit) => {
                    let Input::Versions {
                        choices,
                        cursor,
                        checks,
                        ..
                    } = &wizard.input
                    else {
                        return Vec::new();
                    };
                    let Some(choice) = choices.get(*cursor) else {
                        return Vec::new();
                    };
                    if choice.current {
                        wizard.error = Some(format!(
                            "{} is the version running now",
                            clean(&choice.version)
                        ));
                        return Vec::new();
                    }
                    if checks::blocked(checks) {
                        wizard.error =
                            Some("a preflight check fails: the upgrade cannot start".into());
                        return Vec::new();
                    }
                    wizard.edit = Edit::Version(choice.version.clone());
                    return dry_run(state);
                }
                _ => return Vec::new(),
            }
            wizard.error = None;
            if let Some(def) = &def {
                refresh_preflight(&mut wizard.input, def, detail.as_deref(), health);
            }
            Vec::new()
        }
        Input::Form(form) => {
            // The form speaks Cancel for Esc.
            let form_action = match action {
                Some(Action::Back) => Some(Action::Cancel),
                other => other,
            };
            match form.on_key(form_action, key) {
                FormOutcome::Continue(_) => Vec::new(),
                FormOutcome::Cancel => back_from_first_step(state),
                FormOutcome::Submit(values) => submit_form(state, values),
            }
        }
        Input::HelmChart { cursor, editor } => {
            if editor.is_some() {
                return Vec::new();
            }
            match action {
                Some(Action::MoveUp) => *cursor = cursor.saturating_sub(1),
                Some(Action::MoveDown) => {
                    *cursor = (*cursor + 1).min(helm_len.0.saturating_sub(1));
                }
                Some(Action::Back) => return back_from_first_step(state),
                Some(Action::Submit) if helm_len.0 > 0 => {
                    let values = wizard
                        .context
                        .as_deref()
                        .and_then(|c| c.helm.as_ref())
                        .map_or(Value::Null, |h| h.values.clone());
                    let text = match &values {
                        Value::Object(m) if m.is_empty() => String::new(),
                        Value::Null => String::new(),
                        v => crate::cluster::detail::yaml::to_yaml(v),
                    };
                    *editor = Some(Box::new(YamlEditor::new(&text, None)));
                }
                Some(Action::Submit) => {
                    wizard.error =
                        Some("no chart versions are configured (setting helmCharts)".into());
                }
                _ => {}
            }
            Vec::new()
        }
        Input::Revisions { cursor } => {
            match action {
                Some(Action::MoveUp) => *cursor = cursor.saturating_sub(1),
                Some(Action::MoveDown) => {
                    *cursor = (*cursor + 1).min(helm_len.1.saturating_sub(1));
                }
                Some(Action::Back) => return back_from_first_step(state),
                Some(Action::Submit) => {
                    let revision = wizard
                        .context
                        .as_deref()
                        .and_then(|c| c.helm.as_ref())
                        .and_then(|h| rollback_revisions(h).nth(*cursor))
                        .map(|(r, ..)| *r);
                    if let Some(revision) = revision {
                        wizard.edit = Edit::HelmRevision(revision);
                        return dry_run(state);
                    }
                }
                _ => {}
            }
            Vec::new()
        }
        Input::Editor(_) | Input::None => match action {
            Some(Action::Back) => back_from_first_step(state),
            _ => Vec::new(),
        },
    }
}

/// Revisions a Helm rollback may go to: all but the latest.
pub fn rollback_revisions(
    helm: &crate::state::ops::HelmOpsContext,
) -> impl Iterator<Item = &(u32, String, String, String)> {
    helm.history
        .iter()
        .filter(move |(r, ..)| *r != helm.revision)
}

fn submit_form(state: &mut State, values: Vec<(String, Option<Value>)>) -> Vec<Command> {
    let state_now = state.now;
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    let Some(context) = wizard.context.clone() else {
        return Vec::new();
    };
    // The form submits the fields the user changed; an operation CR is
    // created whole, from every field.
    let values = match (&wizard.kind, &wizard.input) {
        (Some(OpKind::Action(_)), Input::Form(form)) => form.all_values(),
        _ => values,
    };
    // Local schema check first: the server would say the same, later.
    let (candidate, schema) = match &wizard.kind {
        Some(OpKind::Action(name)) => {
            let Some(op) = context.operations.iter().find(|o| &o.name == name) else {
                wizard.error = Some(format!("unknown operation {}", clean(name)));
                return Vec::new();
            };
            // Checked as sent: with the target instance filled in.
            let object = crate::domain::ops::operation_object(
                &op.api_version,
                &op.kind,
                &wizard.target.namespace,
                &wizard.target.name,
                op.target_path.as_deref(),
                &operation_spec(&values),
                state_now,
            );
            (object, op.spec_schema.clone())
        }
        _ => (
            crate::domain::form::apply_values(&wizard.base, &values),
            context.spec_schema.clone(),
        ),
    };
    if let Some(schema) = schema {
        let spec = candidate.get("spec").cloned().unwrap_or_else(|| json!({}));
        let violations = crate::domain::validate::validate_spec(&spec, &schema);
        if !violations.is_empty() {
            let errors: Vec<(String, String)> = violations
                .into_iter()
                .map(|v| (spec_path(&v.path), v.message))
                .collect();
            if let Input::Form(form) = &mut wizard.input {
                form.set_errors(&errors);
            }
            wizard.error = Some(format!("{} field(s) need attention", errors.len()));
            return Vec::new();
        }
    }
    wizard.edit = Edit::Values(values);
    dry_run(state)
}

/// A path of a violation in `spec` as a path from the object's root.
fn spec_path(path: &str) -> String {
    if path == "spec" || path.starts_with("spec.") || path.starts_with("spec[") {
        path.to_owned()
    } else if path.is_empty() {
        "spec".into()
    } else {
        format!("spec.{path}")
    }
}

/// The spec of an operation CR from the form's values (paths from the
/// CR's root, `spec.…`).
fn operation_spec(values: &[(String, Option<Value>)]) -> Value {
    let object = crate::domain::form::apply_values(&json!({}), values);
    match object.get("spec") {
        Some(spec) => spec.clone(),
        None => object,
    }
}

/// Esc at the first step: the menu, or close when the operation was asked
/// for directly.
fn back_from_first_step(state: &mut State) -> Vec<Command> {
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    if wizard.direct {
        return close(state);
    }
    wizard.kind = None;
    wizard.input = Input::None;
    wizard.edit = Edit::None;
    wizard.write = None;
    wizard.preview = None;
    wizard.step = Step::Menu;
    wizard.error = None;
    Vec::new()
}

/// Back from the preview or a conflict to where the change is made, with
/// what was typed intact; operations with nothing to fill in go back to
/// the menu.
fn back_to_first_step(state: &mut State) -> Vec<Command> {
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    wizard.preview = None;
    wizard.write = None;
    wizard.scroll = 0;
    if matches!(wizard.input, Input::None) {
        wizard.kind = None;
        wizard.edit = Edit::None;
        wizard.step = Step::Menu;
    } else {
        wizard.step = Step::Choose;
    }
    Vec::new()
}

fn on_confirm_key(state: &mut State, action: Option<Action>, key: KeyPress) -> Vec<Command> {
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    let destructive = wizard.kind.as_ref().is_some_and(OpKind::destructive);
    if action == Some(Action::Back) {
        wizard.step = Step::Preview;
        wizard.typed.clear();
        wizard.error = None;
        return Vec::new();
    }
    if destructive {
        if let Some(c) = super::typed_char(key) {
            wizard.typed.push(c);
            wizard.error = None;
        } else if key.code == KeyCode::Backspace {
            wizard.typed.pop();
        } else if action == Some(Action::Submit) {
            if wizard.typed == wizard.target.name {
                return apply(state);
            }
            wizard.error = Some("type the instance's name exactly to go on".into());
        }
        return Vec::new();
    }
    let yes = key.code == KeyCode::Char('y') && !key.ctrl && !key.alt;
    if action == Some(Action::Submit) || yes {
        return apply(state);
    }
    Vec::new()
}

fn on_progress_key(state: &mut State, action: Option<Action>, key: KeyPress) -> Vec<Command> {
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    let rollback = rollback_offered(wizard).map(str::to_owned);
    match (action, key.code) {
        (_, KeyCode::Char('r')) if !key.ctrl && !key.alt => {
            if let Some(version) = rollback {
                return start_rollback(state, version);
            }
            Vec::new()
        }
        (Some(Action::Back | Action::Submit), _) => close(state),
        (Some(a), _) => {
            scroll(state, a);
            Vec::new()
        }
        _ => Vec::new(),
    }
}

/// The version a failed upgrade offers to roll back to.
pub fn rollback_offered(wizard: &Wizard) -> Option<&str> {
    let failed = matches!(wizard.progress, Some(Progress::Failed(_)));
    if failed && wizard.kind == Some(OpKind::Upgrade) {
        wizard.previous_version.as_deref()
    } else {
        None
    }
}

/// Rolls a failed upgrade back, through the same dry run and confirmation.
fn start_rollback(state: &mut State, version: String) -> Vec<Command> {
    let readonly = state.readonly;
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    let Some(context) = wizard.context.as_deref() else {
        return Vec::new();
    };
    if let Permission::Denied(why) = permission(context, &OpKind::Rollback, readonly) {
        wizard.error = Some(format!("rollback: {}", clean(&why)));
        return Vec::new();
    }
    wizard.kind = Some(OpKind::Rollback);
    wizard.edit = Edit::Version(version);
    wizard.input = Input::None;
    wizard.progress = None;
    wizard.notes.clear();
    wizard.direct = false;
    dry_run(state)
}

fn scroll(state: &mut State, action: Action) {
    let page = state.viewport_height().max(1);
    let size = (usize::from(state.size.0), page);
    let Some(wizard) = &mut state.wizard else {
        return;
    };
    match action {
        Action::MoveUp => wizard.scroll = wizard.scroll.saturating_sub(1),
        Action::MoveDown => wizard.scroll = wizard.scroll.saturating_add(1),
        Action::PageUp => wizard.scroll = wizard.scroll.saturating_sub(page),
        Action::PageDown => wizard.scroll = wizard.scroll.saturating_add(page),
        _ => {}
    }
    // Kept within the body, so going back up moves at once.
    let detail = state
        .detail
        .as_ref()
        .filter(|d| d.target.uid == wizard.target.uid)
        .and_then(|d| d.data.as_deref());
    let scrolled = scrolled_lines(wizard, detail);
    wizard.scroll = wizard.scroll.min(wizard.max_scroll(scrolled, size));
}

/// Lines of the scrolled part of the step's body (the preview's diff, the
/// conflict's diff, the progress's resources, conditions and events), as
/// the operation view draws them; `detail` is the instance's.
pub fn scrolled_lines(wizard: &Wizard, detail: Option<&InstanceDetail>) -> usize {
    match wizard.step {
        Step::Preview => wizard.preview.as_ref().map_or(0, |p| p.lines.len()),
        Step::Conflict => wizard.conflict.as_ref().map_or(0, |current| {
            let descriptors = wizard
                .context
                .as_deref()
                .and_then(|c| c.csd.as_ref())
                .map_or(&[][..], |c| &c.spec.descriptors.spec_descriptors[..]);
            crate::domain::ops::diff(
                &masked(&wizard.base, descriptors),
                &masked(current, descriptors),
            )
            .len()
        }),
        Step::Progress => detail.map_or(0, Wizard::progress_lines),
        _ => 0,
    }
}

/// After a conflict: the same change made again on the object as it is
/// now, back through the dry run.
fn reapply(state: &mut State) -> Vec<Command> {
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    let Some(current) = wizard.conflict.take() else {
        return Vec::new();
    };
    rebase(wizard, current);
    wizard.scroll = 0;
    dry_run(state)
}

/// Conflicts where only the status changed that are re-checked without
/// asking, in a row.
const QUIET_CONFLICTS: u8 = 3;

/// The user's change made on `current` from now on (its resourceVersion
/// is the new precondition).
fn rebase(wizard: &mut Wizard, current: Value) {
    if let Edit::Object(object) = &mut wizard.edit
        && let Some(rv) = current["metadata"].get("resourceVersion").cloned()
        && let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut)
    {
        meta.insert("resourceVersion".into(), rv);
    }
    wizard.base = current;
}

// ---------------------------------------------------------------------------
// Writes

/// Builds the write from the edit and sends its dry run.
fn dry_run(state: &mut State) -> Vec<Command> {
    let readonly = state.readonly;
    let now = state.now;
    state.last_session += 1;
    let id = state.last_session;
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    if readonly {
        wizard.error = Some(WriteError::Readonly.to_string());
        return Vec::new();
    }
    match build_write(wizard, now) {
        Ok(write) => {
            wizard.id = id;
            wizard.write = Some(write.clone());
            wizard.step = Step::Checking;
            wizard.error = None;
            vec![Command::Ops(OpsRequest::DryRun { id, write })]
        }
        Err(why) => {
            wizard.error = Some(clean(&why));
            if wizard.step == Step::Conflict || matches!(wizard.input, Input::None) {
                wizard.step = Step::Menu;
                wizard.kind = None;
            } else {
                wizard.step = Step::Choose;
            }
            Vec::new()
        }
    }
}

/// Sends the confirmed write.
fn apply(state: &mut State) -> Vec<Command> {
    let readonly = state.readonly;
    state.last_session += 1;
    let id = state.last_session;
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    if readonly {
        wizard.error = Some(WriteError::Readonly.to_string());
        return Vec::new();
    }
    let Some(write) = wizard.write.clone() else {
        return Vec::new();
    };
    wizard.id = id;
    wizard.step = Step::Applying;
    wizard.error = None;
    vec![Command::Ops(OpsRequest::Apply { id, write })]
}

/// Where a write on the instance's own object is aimed.
fn object_ref(base: &Value, context: &OpsContext, target: &InstanceRef) -> ObjectRef {
    let crd = context.csd.as_ref().and_then(|c| c.spec.crd_ref.as_ref());
    let text = |v: &Value| v.as_str().map(str::to_owned);
    ObjectRef {
        api_version: text(&base["apiVersion"])
            .or_else(|| crd.map(|c| c.api_version.clone()))
            .unwrap_or_default(),
        kind: text(&base["kind"])
            .or_else(|| crd.map(|c| c.kind.clone()))
            .unwrap_or_default(),
        namespace: Some(target.namespace.clone()),
        name: target.name.clone(),
    }
}

/// The write the wizard's edit makes on its base object.
fn build_write(wizard: &Wizard, now: i64) -> Result<Write, String> {
    let context = wizard
        .context
        .as_deref()
        .ok_or("the context is not read yet")?;
    let kind = wizard.kind.clone().ok_or("no operation chosen")?;
    let target = &wizard.target;
    let base = &wizard.base;
    let object = || object_ref(base, context, target);
    let rv = base["metadata"]["resourceVersion"]
        .as_str()
        .map(str::to_owned);
    let replace = |body: Value| -> Result<(WritePlan, String), String> {
        let paths = crate::domain::ops::changed_paths(base, &body);
        if paths.is_empty() {
            return Err("nothing changed".into());
        }
        let summary = format!("{}: {}", kind.label(), short_list(&paths));
        Ok((
            WritePlan::Replace {
                object: object(),
                body,
            },
            summary,
        ))
    };
    let (plan, summary) = match (&kind, &wizard.edit) {
        (OpKind::Upgrade | OpKind::Rollback, Edit::Version(version)) => {
            let def = context
                .csd
                .as_ref()
                .and_then(|c| c.spec.version_definition.as_ref())
                .ok_or("the service has no versionDefinition")?;
            let body = crate::domain::ops::upgraded_object(base, def, version)?;
            let from =
                crate::domain::version::current_version(def, base).unwrap_or_else(|_| "?".into());
            (
                WritePlan::Replace {
                    object: object(),
                    body,
                },
                format!("{} {from} -> {version}", kind.label()),
            )
        }
        (OpKind::SpecChange | OpKind::EditForm, Edit::Values(values)) => {
            replace(crate::domain::form::apply_values(base, values))?
        }
        (OpKind::EditYaml, Edit::Object(edited)) => {
            let mut body = edited.clone();
            let descriptors = context
                .csd
                .as_ref()
                .map_or(&[][..], |c| &c.spec.descriptors.spec_descriptors[..]);
            unmask(&mut body, base, descriptors);
            // The buffer has no resourceVersion: the precondition is the
            // version the edit started from.
            if let (Some(rv), Some(meta)) =
                (&rv, body.get_mut("metadata").and_then(Value::as_object_mut))
                && !meta.contains_key("resourceVersion")
            {
                meta.insert("resourceVersion".into(), Value::String(rv.clone()));
            }
            replace(body)?
        }
        (OpKind::Action(name), Edit::Values(values)) => {
            let op = context
                .operations
                .iter()
                .find(|o| &o.name == name)
                .ok_or_else(|| format!("unknown operation {name}"))?;
            let body = crate::domain::ops::operation_object(
                &op.api_version,
                &op.kind,
                &target.namespace,
                &target.name,
                op.target_path.as_deref(),
                &operation_spec(values),
                now,
            );
            (
                WritePlan::Create { body },
                format!("{} of {}", op.display_name.to_lowercase(), target.name),
            )
        }
        (OpKind::Restart, _) => {
            let restarted_at = jiff::Timestamp::from_second(now)
                .map_err(|e| format!("clock: {e}"))?
                .to_string();
            (
                WritePlan::Restart {
                    namespace: target.namespace.clone(),
                    selector: format!("app.kubernetes.io/instance={}", target.name),
                    restarted_at,
                },
                "rollout restart".into(),
            )
        }
        (OpKind::Delete, _) => {
            let uid = base["metadata"]["uid"]
                .as_str()
                .map_or_else(|| target.uid.clone(), str::to_owned);
            (
                WritePlan::Delete {
                    object: object(),
                    uid,
                    resource_version: rv.ok_or("the object has no resourceVersion")?,
                },
                format!("delete {}", target.name),
            )
        }
        (OpKind::RemoveFinalizers, _) => {
            let rv = rv.ok_or("the object has no resourceVersion")?;
            let finalizers = base["metadata"]["finalizers"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            (
                WritePlan::MergePatch {
                    object: object(),
                    patch: json!({"metadata": {"finalizers": null, "resourceVersion": rv}}),
                },
                format!("remove finalizers {finalizers}"),
            )
        }
        (
            OpKind::HelmUpgrade,
            Edit::HelmUpgrade {
                version,
                chart,
                values,
            },
        ) => {
            let helm = context.helm.as_ref().ok_or("not a Helm release")?;
            (
                WritePlan::Helm(HelmWrite::Upgrade {
                    release: target.name.clone(),
                    namespace: target.namespace.clone(),
                    chart: chart.clone(),
                    version: version.clone(),
                    values: values.clone(),
                    expected_revision: expected_revision(base, helm.revision),
                }),
                format!("helm upgrade chart {} -> {version}", helm.chart_version),
            )
        }
        (OpKind::HelmRollback, Edit::HelmRevision(revision)) => {
            let helm = context.helm.as_ref().ok_or("not a Helm release")?;
            let expected = expected_revision(base, helm.revision);
            (
                WritePlan::Helm(HelmWrite::Rollback {
                    release: target.name.clone(),
                    namespace: target.namespace.clone(),
                    revision: *revision,
                    expected_revision: expected,
                }),
                format!("helm rollback revision {expected} -> {revision}"),
            )
        }
        _ => return Err(format!("{}: nothing to write", kind.label())),
    };
    Ok(Write {
        target: target.clone(),
        kind,
        plan,
        summary,
    })
}

/// The Helm revision a write expects: the base's (a conflict updates it),
/// else the context's.
fn expected_revision(base: &Value, context_revision: u32) -> u32 {
    base["revision"]
        .as_u64()
        .and_then(|r| u32::try_from(r).ok())
        .unwrap_or(context_revision)
}

fn short_list(paths: &[String]) -> String {
    let mut out = paths.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if paths.len() > 5 {
        out.push_str(", ...");
    }
    out
}

/// The object as the YAML editor shows it: without managedFields, status
/// and resourceVersion (put back on submit).
fn editable_yaml(object: &Value) -> String {
    let mut object = object.clone();
    if let Some(map) = object.as_object_mut() {
        map.remove("status");
        if let Some(meta) = map.get_mut("metadata").and_then(Value::as_object_mut) {
            meta.remove("managedFields");
            meta.remove("resourceVersion");
        }
    }
    crate::cluster::detail::yaml::to_yaml(&object)
}

/// The object with the values of password descriptors under `spec`
/// masked: the editor and the diffs never show them.
pub fn masked(object: &Value, descriptors: &[crate::domain::csd::Descriptor]) -> Value {
    let mut object = object.clone();
    if let Some(spec) = object.get_mut("spec") {
        *spec = crate::domain::descriptors::mask_passwords(spec, descriptors, false);
    }
    object
}

/// Puts back the passwords the user left masked in the editor.
fn unmask(edited: &mut Value, base: &Value, descriptors: &[crate::domain::csd::Descriptor]) {
    use crate::domain::descriptors::MASK;
    for descriptor in descriptors {
        if descriptor.widget() != Some(XDescriptor::Password) {
            continue;
        }
        let Ok(path) = crate::domain::path::FieldPath::parse(&descriptor.path) else {
            continue;
        };
        let original = base.get("spec").and_then(|s| path.get(s)).cloned();
        if let Some(slot) = edited.get_mut("spec").and_then(|s| path.get_mut(s))
            && slot.as_str() == Some(MASK)
            && let Some(original) = original
        {
            *slot = original;
        }
    }
}

fn make_preview(
    before: &Value,
    after: &Value,
    warnings: Vec<String>,
    descriptors: &[crate::domain::csd::Descriptor],
) -> Preview {
    // Helm: the rendered manifest rides along; it is counted, not diffed.
    let strip = |v: &Value| -> (Value, Option<usize>) {
        match v.get("manifest").and_then(Value::as_str) {
            Some(manifest) => {
                let mut v = v.clone();
                if let Some(map) = v.as_object_mut() {
                    map.remove("manifest");
                }
                (v, Some(manifest.lines().count()))
            }
            None => (v.clone(), None),
        }
    };
    let (before, _) = strip(before);
    let (after, manifest_lines) = strip(after);
    let empty = |v: &Value| v.is_null() || v.as_object().is_some_and(|m| m.is_empty());
    let (masked_before, masked_after) = (masked(&before, descriptors), masked(&after, descriptors));
    // A new object (an operation CR) is all additions, not "{}" replaced.
    let lines = if empty(&before) && !empty(&after) {
        let comparable = crate::domain::ops::comparable(&masked_after);
        crate::cluster::detail::yaml::to_yaml(&comparable)
            .lines()
            .map(|l| DiffLine::Added(l.to_owned()))
            .collect()
    } else {
        crate::domain::ops::diff(&masked_before, &masked_after)
    };
    // The summary names changed paths only; the lines show values, masked.
    Preview {
        lines,
        summary: crate::domain::ops::diff_summary(&before, &after),
        warnings: warnings.iter().map(|w| clean(w)).collect(),
        manifest_lines,
    }
}

fn write_failed(state: &mut State, error: WriteError, applying: bool) -> Vec<Command> {
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    let expected = if applying {
        Step::Applying
    } else {
        Step::Checking
    };
    if wizard.step != expected {
        return Vec::new();
    }
    let confirmed = std::mem::take(&mut wizard.reapply_confirmed);
    match error {
        // Only the status or bookkeeping changed (the operator at work):
        // nothing to show the user, so the same change is checked again on
        // the latest object, a few times at most.
        WriteError::Conflict { current, .. }
            if wizard.quiet_conflicts < QUIET_CONFLICTS
                && wizard.context.as_deref().is_some_and(|c| c.helm.is_none())
                && crate::domain::ops::comparable(&wizard.base)
                    == crate::domain::ops::comparable(&current) =>
        {
            wizard.quiet_conflicts += 1;
            wizard.reapply_confirmed = applying || confirmed;
            rebase(wizard, current);
            return dry_run(state);
        }
        WriteError::Conflict { current, .. } => {
            wizard.quiet_conflicts = 0;
            wizard.reapply_confirmed = false;
            wizard.conflict = Some(current);
            wizard.step = Step::Conflict;
            wizard.scroll = 0;
            wizard.error = None;
        }
        WriteError::Invalid { message, causes } if !applying || !causes.is_empty() => {
            let causes: Vec<(String, String)> = causes
                .into_iter()
                .map(|(p, m)| (clean(&p), clean(&m)))
                .collect();
            match &mut wizard.input {
                Input::Form(form) => form.set_errors(&causes),
                Input::Editor(editor) => editor.set_errors(&causes),
                Input::HelmChart {
                    editor: Some(editor),
                    ..
                } => editor.set_errors(&causes),
                _ => {}
            }
            wizard.error = Some(clean(&format!("rejected: {message}")));
            wizard.preview = None;
            wizard.step = if matches!(wizard.input, Input::None) {
                wizard.kind = None;
                Step::Menu
            } else {
                Step::Choose
            };
        }
        other => {
            wizard.error = Some(clean(&other.to_string()));
            if applying {
                // Nothing changed: the preview stays, to confirm again or go back.
                wizard.step = Step::Preview;
            } else if matches!(wizard.input, Input::None) {
                wizard.kind = None;
                wizard.step = Step::Menu;
            } else {
                wizard.step = Step::Choose;
            }
        }
    }
    Vec::new()
}

fn applied(
    state: &mut State,
    after: Value,
    audit: Result<crate::state::ops::AuditRecord, String>,
) -> Vec<Command> {
    let detail_target = state.detail.as_ref().map(|d| d.target.uid.clone());
    let Some(wizard) = &mut state.wizard else {
        return Vec::new();
    };
    if wizard.step != Step::Applying {
        return Vec::new();
    }
    let kind = wizard.kind.clone().unwrap_or(OpKind::EditYaml);
    wizard.step = Step::Progress;
    wizard.scroll = 0;
    wizard.notes.clear();
    match audit {
        Ok(record) => wizard.notes.push(format!(
            "audit log: {} recorded ({})",
            clean(&record.action),
            match record.result {
                crate::state::ops::AuditResult::Applied => "applied".to_owned(),
                crate::state::ops::AuditResult::Failed(why) => format!("failed: {}", clean(&why)),
            }
        )),
        Err(why) => wizard
            .notes
            .push(format!("warning: audit log not written: {}", clean(&why))),
    }
    let mut commands = Vec::new();
    let summary = wizard
        .write
        .as_ref()
        .map_or_else(|| kind.label(), |w| clean(&w.summary));
    state.notice = Some(format!(
        "{}/{}: {summary} applied",
        clean(&wizard.target.namespace),
        clean(&wizard.target.name)
    ));
    match &kind {
        OpKind::Action(_) => {
            let name = after["metadata"]["name"].as_str().map(str::to_owned);
            match name {
                Some(name) => {
                    let object = ObjectRef {
                        api_version: after["apiVersion"].as_str().unwrap_or_default().to_owned(),
                        kind: after["kind"].as_str().unwrap_or_default().to_owned(),
                        namespace: Some(wizard.target.namespace.clone()),
                        name: name.clone(),
                    };
                    wizard.progress = Some(Progress::Running(format!("{} created", clean(&name))));
                    wizard.operation = Some(name);
                    commands.push(Command::Ops(OpsRequest::FollowOperation {
                        id: wizard.id,
                        object,
                    }));
                }
                None => {
                    wizard.progress = Some(Progress::Failed(
                        "the created operation has no name to follow".into(),
                    ));
                }
            }
        }
        OpKind::Delete | OpKind::RemoveFinalizers => {
            wizard.progress = Some(Progress::Running(
                "waiting for the instance to be removed".into(),
            ));
        }
        _ => {
            if kind == OpKind::Upgrade {
                // The version before: a failed upgrade offers to go back.
                wizard.previous_version = wizard
                    .context
                    .as_deref()
                    .and_then(|c| c.csd.as_ref())
                    .and_then(|c| c.spec.version_definition.as_ref())
                    .and_then(|def| {
                        crate::domain::version::current_version(def, &wizard.base).ok()
                    });
            }
            // Progress is judged only once the operator saw the generation
            // this write stored on the instance's object (a restart writes
            // to its workloads instead).
            let own_object = wizard.write.as_ref().is_some_and(|w| {
                matches!(
                    w.plan,
                    WritePlan::Replace { .. } | WritePlan::MergePatch { .. }
                )
            });
            wizard.generation = after["metadata"]["generation"]
                .as_i64()
                .filter(|_| own_object);
            if wizard.context.as_deref().is_some_and(|c| c.helm.is_none()) {
                wizard.base = after;
            } else if let Some(revision) = after.get("revision") {
                wizard.base = json!({ "revision": revision });
            }
            if kind == OpKind::SpecChange {
                wizard.expected_pods = expected_pods(wizard);
            }
            wizard.progress = Some(Progress::Running(
                "waiting for the instance to report".into(),
            ));
            // The progress is read from the detail watch: make sure it
            // follows this instance.
            if detail_target.as_deref() != Some(wizard.target.uid.as_str()) {
                let target = wizard.target.clone();
                if !wizard.started_detail {
                    wizard.previous_detail = state.detail.take().map(Box::new);
                }
                wizard.started_detail = true;
                state.detail = Some(DetailState::new(target.clone()));
                commands.push(Command::WatchDetail(target));
            }
        }
    }
    commands
}

/// The replicas a spec change asked for (its podCount field).
fn expected_pods(wizard: &Wizard) -> Option<usize> {
    let context = wizard.context.as_deref()?;
    let csd = context.csd.as_ref()?;
    let descriptor = csd
        .spec
        .descriptors
        .spec_descriptors
        .iter()
        .find(|d| d.widget() == Some(XDescriptor::PodCount))?;
    let mut value = &wizard.base["spec"];
    for segment in descriptor.path.split('.') {
        value = value.get(segment)?;
    }
    value.as_u64().and_then(|n| usize::try_from(n).ok())
}

fn progress_final(progress: Option<&Progress>) -> bool {
    matches!(progress, Some(Progress::Succeeded(_) | Progress::Failed(_)))
}

/// Takes a judgement of the progress; the end is told on the status line.
fn judge(state: &mut State, judged: Progress) {
    let Some(wizard) = &mut state.wizard else {
        return;
    };
    if wizard.step != Step::Progress || progress_final(wizard.progress.as_ref()) {
        return;
    }
    if wizard.progress.as_ref() == Some(&judged) {
        return;
    }
    let who = format!(
        "{}/{}",
        clean(&wizard.target.namespace),
        clean(&wizard.target.name)
    );
    let label = wizard.kind.as_ref().map_or_else(String::new, OpKind::label);
    match &judged {
        Progress::Succeeded(what) => {
            state.notice = Some(format!("{who}: {label} succeeded: {}", clean(what)));
        }
        Progress::Failed(why) => {
            state.notice = Some(format!("{who}: {label} failed: {}", clean(why)));
        }
        Progress::Running(_) => {}
    }
    wizard.progress = Some(judged);
    state.dirty = true;
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::action::Msg;
    use crate::domain::csd::CustomServiceDefinition;
    use crate::state::ops::{AuditRecord, AuditResult, OperationRun, OperationService};
    use crate::update::update;

    fn target() -> InstanceRef {
        InstanceRef {
            uid: "u1".into(),
            name: "orders".into(),
            namespace: "team-a".into(),
            service: "kafka".into(),
            kind: ServiceKind::Operator,
        }
    }

    fn csd() -> CustomServiceDefinition {
        CustomServiceDefinition::from_value(&json!({
            "apiVersion": "osc.io/v1beta1",
            "kind": "CustomServiceDefinition",
            "metadata": {"name": "kafka"},
            "spec": {
                "displayName": "Kafka",
                "role": "serviceEntity",
                "packageType": "Operator",
                "CRDRef": {
                    "apiVersion": "apiextensions.k8s.io/v1",
                    "kind": "CustomResourceDefinition",
                    "name": "hwfkas.osctest.osctui.dev"
                },
                "versionDefinition": {
                    "description": "Brokers restart one at a time.",
                    "mode": "tag",
                    "path": "spec.image",
                    "tags": ["3.5.2", "3.6.1", "3.7.0"]
                },
                "descriptors": {"specDescriptors": [{
                    "displayName": "Brokers",
                    "path": "replicas",
                    "x-descriptors": ["urn:alm:descriptor:com.tectonic.ui:podCount"]
                }, {
                    "displayName": "Admin password",
                    "path": "adminPassword",
                    "x-descriptors": ["urn:alm:descriptor:com.tectonic.ui:password"]
                }]}
            }
        }))
        .unwrap()
    }

    fn object() -> Value {
        json!({
            "apiVersion": "osctest.osctui.dev/v1",
            "kind": "Hwfka",
            "metadata": {
                "name": "orders", "namespace": "team-a", "uid": "u1",
                "resourceVersion": "42",
                "managedFields": [{"manager": "kubectl"}]
            },
            "spec": {"image": "kafka:3.6.1", "replicas": 3, "adminPassword": "s3cret"},
            "status": {"phase": "Running"}
        })
    }

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "image": {"type": "string"},
                "adminPassword": {"type": "string"},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 9}
            }
        })
    }

    fn backup() -> OperationService {
        OperationService {
            name: "kafka-backup".into(),
            display_name: "Backup".into(),
            description: None,
            api_version: "osctest.osctui.dev/v1".into(),
            kind: "HwfkaBackup".into(),
            target_path: Some("spec.clusterRef".into()),
            spec_schema: Some(json!({
                "type": "object",
                "required": ["clusterRef"],
                "properties": {"clusterRef": {"type": "string"}, "note": {"type": "string"}}
            })),
            descriptors: Vec::new(),
            default_configuration: None,
        }
    }

    fn context(object: Value) -> OpsContext {
        let kinds = [
            OpKind::Upgrade,
            OpKind::Rollback,
            OpKind::SpecChange,
            OpKind::EditForm,
            OpKind::EditYaml,
            OpKind::Action("kafka-backup".into()),
            OpKind::Restart,
            OpKind::Delete,
            OpKind::RemoveFinalizers,
        ];
        OpsContext {
            target: target(),
            object,
            csd: Some(csd()),
            spec_schema: Some(schema()),
            operations: vec![backup()],
            runs: Vec::new(),
            permissions: kinds
                .into_iter()
                .map(|k| {
                    let p = if k == OpKind::Delete {
                        Permission::Denied("RBAC: cannot delete hwfkas in team-a".into())
                    } else {
                        Permission::Allowed
                    };
                    (k, p)
                })
                .collect(),
            secrets: Vec::new(),
            config_maps: Vec::new(),
            helm: None,
            problems: Vec::new(),
        }
    }

    fn state() -> State {
        State {
            view: View::Instances,
            mode: Mode::Normal,
            now: 1_773_495_900,
            ..State::default()
        }
    }

    fn wizard(state: &State) -> &Wizard {
        state.wizard.as_ref().unwrap()
    }

    fn id(state: &State) -> u64 {
        wizard(state).id
    }

    fn ops(state: &mut State, event: OpsEvent) -> Vec<Command> {
        update(state, Msg::Ops(Box::new(event)))
    }

    fn key(state: &mut State, text: &str) -> Vec<Command> {
        update(state, Msg::Key(KeyPress::parse(text).unwrap()))
    }

    fn typed(state: &mut State, text: &str) -> Vec<Command> {
        text.chars()
            .flat_map(|c| update(state, Msg::Key(KeyPress::char(c))))
            .collect()
    }

    /// Opens a wizard and answers its Prepare with `context`.
    fn opened(state: &mut State, action: Action, context: OpsContext) -> Vec<Command> {
        let mut commands = open(state, target(), action);
        let id = id(state);
        assert!(commands.contains(&Command::Ops(OpsRequest::Prepare {
            id,
            target: target()
        })));
        commands.extend(ops(
            state,
            OpsEvent::Prepared {
                id,
                context: Box::new(context),
            },
        ));
        commands
    }

    fn dry_run_write(commands: &[Command]) -> Write {
        commands
            .iter()
            .find_map(|c| match c {
                Command::Ops(OpsRequest::DryRun { write, .. }) => Some(write.clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no dry run in {commands:?}"))
    }

    fn applies(commands: &[Command]) -> bool {
        commands
            .iter()
            .any(|c| matches!(c, Command::Ops(OpsRequest::Apply { .. })))
    }

    fn writes(commands: &[Command]) -> bool {
        commands.iter().any(|c| {
            matches!(
                c,
                Command::Ops(OpsRequest::DryRun { .. } | OpsRequest::Apply { .. })
            )
        })
    }

    fn previewed(state: &mut State, before: Value, after: Value) {
        let id = id(state);
        ops(
            state,
            OpsEvent::Previewed {
                id,
                before,
                after,
                warnings: Vec::new(),
            },
        );
        assert_eq!(wizard(state).step, Step::Preview);
    }

    fn body(write: &Write) -> &Value {
        match &write.plan {
            WritePlan::Replace { body, .. } => body,
            other => panic!("not a replace: {other:?}"),
        }
    }

    fn select(state: &mut State, label: &str) -> Vec<Command> {
        let index = wizard(state)
            .menu
            .iter()
            .position(|e| e.label.starts_with(label))
            .unwrap_or_else(|| panic!("no {label} in the menu"));
        state.wizard.as_mut().unwrap().cursor = index;
        key(state, "Enter")
    }

    #[test]
    fn menu_lists_the_operations_with_permissions() {
        let mut state = state();
        opened(&mut state, Action::OpenOps, context(object()));
        assert_eq!(state.view, View::Operation);
        assert_eq!(state.mode, Mode::Wizard);
        let w = wizard(&state);
        assert_eq!(w.step, Step::Menu);
        let labels: Vec<&str> = w.menu.iter().map(|e| e.label.as_str()).collect();
        assert!(labels.contains(&"Upgrade"));
        assert!(labels.contains(&"Backup"));
        assert!(labels.iter().any(|l| l.starts_with("Change replicas")));
        // No deletion pending: no finalizers entry; no recorded version: no rollback.
        assert!(!labels.contains(&"Remove finalizers"));
        assert!(!labels.iter().any(|l| l.starts_with("Roll back")));
        // A denied entry cannot be chosen.
        let commands = select(&mut state, "Delete");
        assert!(!writes(&commands));
        assert_eq!(wizard(&state).step, Step::Menu);
        assert!(wizard(&state).error.as_deref().unwrap().contains("RBAC"));
    }

    #[test]
    fn readonly_never_sends_a_dry_run_or_a_write() {
        let mut state = state();
        state.readonly = true;
        let mut all = opened(&mut state, Action::OpenOps, context(object()));
        assert!(
            wizard(&state)
                .menu
                .iter()
                .all(|e| e.permission == Permission::Denied("readonly mode".into()))
        );
        for i in 0..wizard(&state).menu.len() {
            state.wizard.as_mut().unwrap().cursor = i;
            all.extend(key(&mut state, "Enter"));
            all.extend(key(&mut state, "Enter"));
        }
        // Asked for directly: refused as well, back on the menu.
        all.extend(key(&mut state, "Esc"));
        all.extend(opened(&mut state, Action::EditYaml, context(object())));
        all.extend(key(&mut state, "ctrl+s"));
        all.extend(key(&mut state, "Enter"));
        assert!(!writes(&all), "{all:?}");
        assert_eq!(wizard(&state).step, Step::Menu);
    }

    #[test]
    fn edit_yaml_round_trip_keeps_the_precondition() {
        let mut state = state();
        // Opened from the list: the wizard watches the instance's detail.
        let commands = opened(&mut state, Action::EditYaml, context(object()));
        assert!(commands.contains(&Command::WatchDetail(target())));
        assert_eq!(state.mode, Mode::Editor);
        let Input::Editor(editor) = &wizard(&state).input else {
            panic!("no editor");
        };
        let text = editor.text();
        assert!(text.contains("kafka:3.6.1"));
        assert!(!text.contains("managedFields"));
        assert!(!text.contains("resourceVersion"));
        assert!(!text.contains("status"));
        // Passwords are masked in the buffer, and kept when left masked.
        assert!(!text.contains("s3cret"));
        assert!(text.contains(crate::domain::descriptors::MASK));
        // Change the image in the buffer.
        let edited = text.replace("kafka:3.6.1", "kafka:3.7.0");
        state.wizard.as_mut().unwrap().input =
            Input::Editor(Box::new(YamlEditor::new(&edited, Some(schema()))));
        let commands = key(&mut state, "ctrl+s");
        let write = dry_run_write(&commands);
        assert_eq!(write.kind, OpKind::EditYaml);
        let body = body(&write);
        assert_eq!(body["metadata"]["resourceVersion"], "42");
        assert_eq!(body["spec"]["image"], "kafka:3.7.0");
        assert_eq!(body["spec"]["adminPassword"], "s3cret");
        assert_eq!(state.mode, Mode::Wizard);
        assert_eq!(wizard(&state).step, Step::Checking);

        previewed(&mut state, object(), body.clone());
        let preview = wizard(&state).preview.clone().unwrap();
        let shown = format!("{:?}", preview.lines);
        assert!(!shown.contains("s3cret"), "{shown}");
        assert!(
            preview.summary.contains("spec.image"),
            "{}",
            preview.summary
        );
        key(&mut state, "Enter");
        assert_eq!(wizard(&state).step, Step::Confirm);
        // Not destructive: `y` applies.
        let commands = typed(&mut state, "y");
        assert!(applies(&commands));
        assert_eq!(wizard(&state).step, Step::Applying);

        // Applied: the progress follows the detail watch of this instance.
        let id = id(&state);
        let mut after = body.clone();
        after["metadata"]["resourceVersion"] = json!("43");
        let commands = ops(
            &mut state,
            OpsEvent::Applied {
                id,
                after,
                audit: Err("disk full".into()),
            },
        );
        // It watches this instance already: no second watch.
        assert!(!commands.contains(&Command::WatchDetail(target())));
        assert_eq!(state.detail.as_ref().unwrap().target, target());
        assert_eq!(state.view, View::Operation);
        let w = wizard(&state);
        assert_eq!(w.step, Step::Progress);
        assert!(w.notes.iter().any(|n| n.contains("disk full")));
        assert!(state.notice.as_deref().unwrap().contains("applied"));

        // Closing stops the detail watch the wizard started.
        let commands = key(&mut state, "Esc");
        assert!(commands.contains(&Command::StopDetail));
        assert!(state.wizard.is_none());
        assert!(state.detail.is_none());
        assert_eq!(state.view, View::Instances);
        assert_eq!(state.mode, Mode::Normal);
    }

    #[test]
    fn preview_failed_returns_to_the_editor_with_the_buffer() {
        let mut state = state();
        opened(&mut state, Action::EditYaml, context(object()));
        let text = match &wizard(&state).input {
            Input::Editor(editor) => editor.text().replace("replicas: 3", "replicas: 12"),
            _ => panic!("no editor"),
        };
        // Without a schema the local check lets it through to the server.
        state.wizard.as_mut().unwrap().input =
            Input::Editor(Box::new(YamlEditor::new(&text, None)));
        key(&mut state, "ctrl+s");
        let id = id(&state);
        ops(
            &mut state,
            OpsEvent::PreviewFailed {
                id,
                error: WriteError::Invalid {
                    message: "spec.replicas: must be at most 9".into(),
                    causes: vec![("spec.replicas".into(), "must be at most 9".into())],
                },
            },
        );
        let w = wizard(&state);
        assert_eq!(w.step, Step::Choose);
        assert_eq!(state.mode, Mode::Editor);
        let Input::Editor(editor) = &w.input else {
            panic!("no editor");
        };
        assert_eq!(editor.text(), text);
        assert!(!editor.errors.is_empty());
        assert!(w.error.as_deref().unwrap().contains("at most 9"));
    }

    #[test]
    fn spec_change_form_conflict_reapplies_on_the_current_object() {
        let mut state = state();
        opened(&mut state, Action::OpenOps, context(object()));
        select(&mut state, "Change replicas");
        let Input::Form(form) = &wizard(&state).input else {
            panic!("no form");
        };
        let field = form
            .form
            .fields
            .iter()
            .position(|f| f.path == "spec.replicas")
            .unwrap();
        state
            .wizard
            .as_mut()
            .map(|w| match &mut w.input {
                Input::Form(form) => form.cursor = field,
                _ => unreachable!(),
            })
            .unwrap();
        key(&mut state, "Backspace");
        typed(&mut state, "5");
        let commands = key(&mut state, "Enter");
        let write = dry_run_write(&commands);
        assert_eq!(body(&write)["spec"]["replicas"], 5);
        assert_eq!(body(&write)["metadata"]["resourceVersion"], "42");

        previewed(&mut state, object(), body(&write).clone());
        key(&mut state, "Enter");
        let commands = key(&mut state, "Enter");
        assert!(applies(&commands));

        // Someone changed the image meanwhile.
        let mut current = object();
        current["metadata"]["resourceVersion"] = json!("50");
        current["spec"]["image"] = json!("kafka:3.6.2");
        let id = id(&state);
        ops(
            &mut state,
            OpsEvent::ApplyFailed {
                id,
                error: WriteError::Conflict {
                    message: "the object has been modified".into(),
                    current: current.clone(),
                },
            },
        );
        assert_eq!(wizard(&state).step, Step::Conflict);
        assert_eq!(wizard(&state).conflict.as_ref(), Some(&current));
        // `r` re-applies the same change on top of the current object.
        let commands = typed(&mut state, "r");
        let write = dry_run_write(&commands);
        let body = body(&write);
        assert_eq!(body["metadata"]["resourceVersion"], "50");
        assert_eq!(body["spec"]["replicas"], 5);
        assert_eq!(body["spec"]["image"], "kafka:3.6.2");
        assert_eq!(wizard(&state).step, Step::Checking);
    }

    #[test]
    fn conflict_esc_returns_to_editing_with_the_input() {
        let mut state = state();
        opened(&mut state, Action::EditYaml, context(object()));
        let text = match &wizard(&state).input {
            Input::Editor(editor) => editor.text().replace("replicas: 3", "replicas: 4"),
            _ => panic!("no editor"),
        };
        state.wizard.as_mut().unwrap().input =
            Input::Editor(Box::new(YamlEditor::new(&text, None)));
        let write = dry_run_write(&key(&mut state, "ctrl+s"));
        previewed(&mut state, object(), body(&write).clone());
        key(&mut state, "Enter");
        key(&mut state, "Enter");
        let mut current = object();
        current["metadata"]["resourceVersion"] = json!("51");
        let id = id(&state);
        ops(
            &mut state,
            OpsEvent::ApplyFailed {
                id,
                error: WriteError::Conflict {
                    message: "modified".into(),
                    current,
                },
            },
        );
        key(&mut state, "Esc");
        assert_eq!(wizard(&state).step, Step::Choose);
        assert_eq!(state.mode, Mode::Editor);
        let Input::Editor(editor) = &wizard(&state).input else {
            panic!("no editor");
        };
        assert_eq!(editor.text(), text);
        // Submitting again takes the current object's version.
        let write = dry_run_write(&key(&mut state, "ctrl+s"));
        assert_eq!(body(&write)["metadata"]["resourceVersion"], "51");
    }

    #[test]
    fn destructive_operations_need_the_name_typed() {
        let mut state = state();
        let mut ctx = context(object());
        ctx.permissions.retain(|(k, _)| *k != OpKind::Delete);
        ctx.permissions.push((OpKind::Delete, Permission::Allowed));
        opened(&mut state, Action::OpenOps, ctx);
        let write = dry_run_write(&select(&mut state, "Delete"));
        assert_eq!(
            write.plan,
            WritePlan::Delete {
                object: ObjectRef {
                    api_version: "osctest.osctui.dev/v1".into(),
                    kind: "Hwfka".into(),
                    namespace: Some("team-a".into()),
                    name: "orders".into(),
                },
                uid: "u1".into(),
                resource_version: "42".into(),
            }
        );
        previewed(&mut state, object(), json!({}));
        key(&mut state, "Enter");
        assert_eq!(wizard(&state).step, Step::Confirm);
        assert!(!applies(&key(&mut state, "Enter")));
        assert!(wizard(&state).error.is_some());
        // Letters bound elsewhere (j, k, ?) are text here.
        typed(&mut state, "jk?");
        assert_eq!(wizard(&state).typed, "jk?");
        assert_eq!(state.mode, Mode::Wizard);
        for _ in 0..3 {
            key(&mut state, "Backspace");
        }
        assert!(!applies(&typed(&mut state, "order")));
        assert!(!applies(&key(&mut state, "Enter")));
        assert!(!applies(&typed(&mut state, "s")));
        assert!(applies(&key(&mut state, "Enter")));
        assert_eq!(wizard(&state).step, Step::Applying);

        // Done when the instance goes.
        let id = id(&state);
        ops(
            &mut state,
            OpsEvent::Applied {
                id,
                after: json!({}),
                audit: Ok(AuditRecord {
                    time: "2026-03-14T13:45:00Z".into(),
                    context: "osc-sandbox".into(),
                    user: "admin".into(),
                    object: "Hwfka team-a/orders".into(),
                    action: "delete".into(),
                    summary: "delete orders".into(),
                    result: AuditResult::Applied,
                }),
            },
        );
        assert!(matches!(
            wizard(&state).progress,
            Some(Progress::Running(_))
        ));
        on_instance_removed(&mut state, "u1");
        assert!(matches!(
            wizard(&state).progress,
            Some(Progress::Succeeded(_))
        ));
    }

    #[test]
    fn remove_finalizers_only_for_a_hanging_deletion() {
        let mut object = object();
        object["metadata"]["deletionTimestamp"] = json!("2026-03-14T13:00:00Z");
        object["metadata"]["finalizers"] = json!(["osctest.osctui.dev/cleanup"]);
        let mut state = state();
        opened(&mut state, Action::OpenOps, context(object));
        let write = dry_run_write(&select(&mut state, "Remove finalizers"));
        let WritePlan::MergePatch { patch, .. } = &write.plan else {
            panic!("not a patch: {:?}", write.plan);
        };
        assert_eq!(
            patch,
            &json!({"metadata": {"finalizers": null, "resourceVersion": "42"}})
        );
        assert!(OpKind::RemoveFinalizers.destructive());
    }

    #[test]
    fn restart_sets_one_timestamp_for_dry_run_and_write() {
        let mut state = state();
        opened(&mut state, Action::OpenOps, context(object()));
        let write = dry_run_write(&select(&mut state, "Restart"));
        assert_eq!(
            write.plan,
            WritePlan::Restart {
                namespace: "team-a".into(),
                selector: "app.kubernetes.io/instance=orders".into(),
                restarted_at: "2026-03-14T13:45:00Z".into(),
            }
        );
        previewed(&mut state, object(), object());
        key(&mut state, "Enter");
        let commands = key(&mut state, "Enter");
        let applied = commands.iter().find_map(|c| match c {
            Command::Ops(OpsRequest::Apply { write, .. }) => Some(write.clone()),
            _ => None,
        });
        assert_eq!(applied, Some(write));
    }

    #[test]
    fn action_creates_the_operation_and_follows_it() {
        let mut state = state();
        opened(&mut state, Action::OpenOps, context(object()));
        select(&mut state, "Backup");
        assert!(matches!(wizard(&state).input, Input::Form(_)));
        let write = dry_run_write(&key(&mut state, "Enter"));
        let WritePlan::Create { body } = &write.plan else {
            panic!("not a create: {:?}", write.plan);
        };
        assert_eq!(body["kind"], "HwfkaBackup");
        assert_eq!(body["spec"]["clusterRef"], "orders");
        previewed(&mut state, json!({}), body.clone());
        let lines = &wizard(&state).preview.as_ref().unwrap().lines;
        assert!(
            lines.iter().all(|l| matches!(l, DiffLine::Added(_))),
            "{lines:?}"
        );
        assert!(lines.contains(&DiffLine::Added("kind: HwfkaBackup".into())));
        key(&mut state, "Enter");
        key(&mut state, "Enter");
        let id = id(&state);
        let mut after = body.clone();
        after["metadata"]["name"] = json!("orders-hwfkabackup-x1");
        let commands = ops(
            &mut state,
            OpsEvent::Applied {
                id,
                after,
                audit: Err("no data dir".into()),
            },
        );
        let followed = commands.iter().find_map(|c| match c {
            Command::Ops(OpsRequest::FollowOperation { id, object }) => Some((*id, object.clone())),
            _ => None,
        });
        let (follow_id, object) = followed.expect("follows the operation");
        assert_eq!(object.name, "orders-hwfkabackup-x1");
        assert_eq!(object.kind, "HwfkaBackup");
        // No detail watch for an action.
        assert!(
            !commands
                .iter()
                .any(|c| matches!(c, Command::WatchDetail(_)))
        );
        let run = |phase: &str| OperationRun {
            kind: "HwfkaBackup".into(),
            name: "orders-hwfkabackup-x1".into(),
            phase: Some(phase.into()),
            message: None,
            created: None,
        };
        ops(
            &mut state,
            OpsEvent::OperationUpdated {
                id: follow_id,
                run: run("Running"),
            },
        );
        assert!(matches!(
            wizard(&state).progress,
            Some(Progress::Running(_))
        ));
        ops(
            &mut state,
            OpsEvent::OperationUpdated {
                id: follow_id,
                run: run("Succeeded"),
            },
        );
        assert!(matches!(
            wizard(&state).progress,
            Some(Progress::Succeeded(_))
        ));
        assert!(state.notice.as_deref().unwrap().contains("succeeded"));
    }

    #[test]
    fn stale_answers_are_ignored() {
        let mut state = state();
        open(&mut state, target(), Action::OpenOps);
        let first = id(&state);
        ops(
            &mut state,
            OpsEvent::Prepared {
                id: first + 100,
                context: Box::new(context(object())),
            },
        );
        assert_eq!(wizard(&state).step, Step::Loading);
        ops(
            &mut state,
            OpsEvent::Prepared {
                id: first,
                context: Box::new(context(object())),
            },
        );
        assert_eq!(wizard(&state).step, Step::Menu);
        dry_run_write(&select(&mut state, "Restart"));
        let asked = id(&state);
        // Walking away from the dry run: its answer no longer counts.
        key(&mut state, "Esc");
        assert_eq!(wizard(&state).step, Step::Menu);
        ops(
            &mut state,
            OpsEvent::Previewed {
                id: asked,
                before: object(),
                after: object(),
                warnings: Vec::new(),
            },
        );
        assert_eq!(wizard(&state).step, Step::Menu);
        assert!(wizard(&state).preview.is_none());
    }

    #[test]
    fn esc_from_the_menu_returns_to_where_it_was_opened() {
        let mut state = state();
        opened(&mut state, Action::OpenOps, context(object()));
        let commands = key(&mut state, "Esc");
        assert!(commands.contains(&Command::Ops(OpsRequest::Cancel)));
        // The detail watch the wizard started goes with it.
        assert!(commands.contains(&Command::StopDetail));
        assert!(state.detail.is_none());
        assert!(state.wizard.is_none());
        assert_eq!(state.view, View::Instances);
        assert_eq!(state.mode, Mode::Normal);

        // From the detail: back to the detail, whose watch stays.
        state.detail = Some(DetailState::new(target()));
        state.view = View::Detail;
        state.mode = Mode::Detail;
        opened(&mut state, Action::StartUpgrade, context(object()));
        let commands = key(&mut state, "Esc");
        assert!(!commands.contains(&Command::StopDetail));
        assert_eq!(state.view, View::Detail);
        assert_eq!(state.mode, Mode::Detail);
        assert!(state.detail.is_some());
    }

    #[test]
    fn upgrade_failure_offers_a_rollback_through_the_same_path() {
        let mut state = state();
        opened(&mut state, Action::StartUpgrade, context(object()));
        let w = wizard(&state);
        assert_eq!(w.step, Step::Choose);
        let Input::Versions {
            choices,
            cursor,
            current,
            ..
        } = &w.input
        else {
            panic!("no picker");
        };
        assert_eq!(current, "3.6.1");
        assert!(choices.iter().any(|c| c.current && c.version == "3.6.1"));
        let target_version = choices[*cursor].version.clone();
        assert_eq!(target_version, "3.7.0");
        let write = dry_run_write(&key(&mut state, "Enter"));
        assert_eq!(write.summary, "upgrade 3.6.1 -> 3.7.0");
        assert_eq!(body(&write)["spec"]["image"], "kafka:3.7.0");
        previewed(&mut state, object(), body(&write).clone());
        key(&mut state, "Enter");
        assert!(applies(&key(&mut state, "Enter")));
        let id = id(&state);
        let mut after = body(&write).clone();
        after["metadata"]["resourceVersion"] = json!("60");
        ops(
            &mut state,
            OpsEvent::Applied {
                id,
                after,
                audit: Err("x".into()),
            },
        );
        // The detail reports a broker that cannot pull the new image.
        let failing = Progress::Failed("orders-kafka-1: ImagePullBackOff".into());
        judge(&mut state, failing);
        assert_eq!(rollback_offered(wizard(&state)), Some("3.6.1"));
        let write = dry_run_write(&typed(&mut state, "r"));
        assert_eq!(write.kind, OpKind::Rollback);
        assert_eq!(body(&write)["spec"]["image"], "kafka:3.6.1");
        assert_eq!(body(&write)["metadata"]["resourceVersion"], "60");
        previewed(&mut state, object(), body(&write).clone());
        key(&mut state, "Enter");
        // Rollback is destructive: typed confirmation.
        assert!(!applies(&key(&mut state, "Enter")));
        typed(&mut state, "orders");
        assert!(applies(&key(&mut state, "Enter")));
    }

    #[test]
    fn helm_upgrade_expects_the_revision_it_started_from() {
        let mut state = state();
        let mut ctx = context(json!({}));
        ctx.csd = None;
        ctx.spec_schema = None;
        ctx.operations.clear();
        ctx.helm = Some(crate::state::ops::HelmOpsContext {
            revision: 3,
            chart: "memcached".into(),
            chart_version: "1.1.0".into(),
            values: json!({"replicaCount": 2}),
            history: vec![
                (
                    3,
                    "1.1.0".into(),
                    "deployed".into(),
                    "Upgrade complete".into(),
                ),
                (
                    2,
                    "1.0.0".into(),
                    "superseded".into(),
                    "Install complete".into(),
                ),
            ],
            available: vec![
                ("1.2.0".into(), "charts/memcached-1.2.0.tgz".into()),
                ("1.1.0".into(), "charts/memcached-1.1.0.tgz".into()),
            ],
            helm_binary: Some("/usr/bin/helm".into()),
        });
        ctx.permissions = vec![
            (OpKind::HelmUpgrade, Permission::Allowed),
            (OpKind::HelmRollback, Permission::Allowed),
        ];
        let mut target = target();
        target.kind = ServiceKind::Helm;
        let mut commands = open(&mut state, target, Action::EditConfig);
        let id = id(&state);
        commands.extend(ops(
            &mut state,
            OpsEvent::Prepared {
                id,
                context: Box::new(ctx),
            },
        ));
        assert!(matches!(
            wizard(&state).input,
            Input::HelmChart {
                cursor: 1,
                editor: None
            }
        ));
        key(&mut state, "Up");
        key(&mut state, "Enter");
        assert_eq!(state.mode, Mode::Editor);
        let write = dry_run_write(&key(&mut state, "ctrl+s"));
        let WritePlan::Helm(HelmWrite::Upgrade {
            version,
            chart,
            values,
            expected_revision,
            ..
        }) = &write.plan
        else {
            panic!("not a helm upgrade: {:?}", write.plan);
        };
        assert_eq!(version, "1.2.0");
        assert_eq!(chart, "charts/memcached-1.2.0.tgz");
        assert_eq!(values, &json!({"replicaCount": 2}));
        assert_eq!(*expected_revision, 3);
        previewed(
            &mut state,
            json!({"replicaCount": 2}),
            json!({"replicaCount": 2, "manifest": "a: 1\nb: 2\n"}),
        );
        assert_eq!(
            wizard(&state).preview.as_ref().unwrap().manifest_lines,
            Some(2)
        );
    }

    /// A healthy snapshot of the instance showing `version`.
    fn snapshot(
        version: &str,
        generation: Option<i64>,
        observed: Option<i64>,
    ) -> Box<crate::state::detail::InstanceDetail> {
        use crate::state::detail::{Field, InstanceDetail, ResourceNode};
        Box::new(InstanceDetail {
            target: target(),
            health: Health::Healthy,
            overview: vec![
                Field {
                    label: "Phase".into(),
                    value: "Running".into(),
                },
                Field {
                    label: "Version".into(),
                    value: version.into(),
                },
            ],
            conditions: Vec::new(),
            spec_masked: String::new(),
            spec_revealed: String::new(),
            resources: vec![ResourceNode {
                depth: 1,
                kind: "Pod".into(),
                name: "orders-kafka-0".into(),
                health: Health::Healthy,
                status: "Running, ready".into(),
                reason: None,
                pod: None,
            }],
            events: Vec::new(),
            dependencies: Vec::new(),
            helm: None,
            problems: Vec::new(),
            generation,
            observed_generation: observed,
        })
    }

    /// Opens the upgrade, picks 3.7.0 and confirms it: the write is out.
    fn upgrade_applying(state: &mut State) -> Write {
        opened(state, Action::StartUpgrade, context(object()));
        let write = dry_run_write(&key(state, "Enter"));
        previewed(state, object(), body(&write).clone());
        key(state, "Enter");
        assert!(applies(&key(state, "Enter")));
        assert_eq!(wizard(state).step, Step::Applying);
        write
    }

    fn progress(state: &State) -> Progress {
        wizard(state).progress.clone().unwrap()
    }

    #[test]
    fn progress_waits_for_the_operator_to_observe_the_written_generation() {
        let mut state = state();
        let write = upgrade_applying(&mut state);
        let id = id(&state);
        let mut after = body(&write).clone();
        after["metadata"]["generation"] = json!(5);
        ops(
            &mut state,
            OpsEvent::Applied {
                id,
                after,
                audit: Err("x".into()),
            },
        );
        assert_eq!(wizard(&state).generation, Some(5));
        // Everything looks done, but the operator has not seen the write.
        update(
            &mut state,
            Msg::DetailUpdated(snapshot("3.7.0", Some(5), Some(4))),
        );
        assert_eq!(
            progress(&state),
            Progress::Running("waiting for the operator to observe generation 5".into())
        );
        update(
            &mut state,
            Msg::DetailUpdated(snapshot("3.7.0", Some(5), Some(5))),
        );
        assert!(
            matches!(progress(&state), Progress::Succeeded(_)),
            "{:?}",
            progress(&state)
        );
    }

    #[test]
    fn change_progress_without_observed_generation_keeps_judging_the_state() {
        let mut state = state();
        opened(&mut state, Action::EditConfig, context(object()));
        let Some(Input::Form(form)) = state.wizard.as_mut().map(|w| &mut w.input) else {
            panic!("no form");
        };
        form.cursor = form
            .form
            .fields
            .iter()
            .position(|f| f.path == "spec.replicas")
            .unwrap();
        key(&mut state, "Backspace");
        typed(&mut state, "4");
        let write = dry_run_write(&key(&mut state, "Enter"));
        previewed(&mut state, object(), body(&write).clone());
        key(&mut state, "Enter");
        assert!(applies(&key(&mut state, "Enter")));
        let id = id(&state);
        let mut after = body(&write).clone();
        after["metadata"]["generation"] = json!(3);
        ops(
            &mut state,
            OpsEvent::Applied {
                id,
                after,
                audit: Err("x".into()),
            },
        );
        // A snapshot of the object before the write: still running.
        update(
            &mut state,
            Msg::DetailUpdated(snapshot("3.6.1", Some(2), None)),
        );
        assert_eq!(
            progress(&state),
            Progress::Running("waiting for the instance to show generation 3".into())
        );
        // The written object, from an operator that reports no
        // observedGeneration: judged on its state as before.
        update(
            &mut state,
            Msg::DetailUpdated(snapshot("3.6.1", Some(3), None)),
        );
        assert!(matches!(progress(&state), Progress::Succeeded(_)));
    }

    #[test]
    fn preflight_runs_again_when_the_detail_arrives() {
        let mut state = state();
        // Another instance's detail was open: the wizard watches its own
        // and puts the other back when it closes.
        let other = InstanceRef {
            uid: "u2".into(),
            name: "payments".into(),
            ..target()
        };
        state.detail = Some(DetailState::new(other.clone()));
        let commands = opened(&mut state, Action::StartUpgrade, context(object()));
        assert!(commands.contains(&Command::WatchDetail(target())));
        let not_changing = |state: &State| {
            let Input::Versions { checks, .. } = &wizard(state).input else {
                panic!("no picker");
            };
            checks
                .iter()
                .find(|c| c.label == "not changing already")
                .unwrap()
                .state
                .clone()
        };
        assert!(matches!(
            not_changing(&state),
            checks::CheckState::Warn(why) if why.contains("not loaded")
        ));
        update(
            &mut state,
            Msg::DetailUpdated(snapshot("3.6.1", Some(1), Some(1))),
        );
        assert_eq!(not_changing(&state), checks::CheckState::Pass);
        // An upgrade already under way blocks it.
        update(
            &mut state,
            Msg::DetailUpdated(snapshot("3.7.0 (running 3.6.1)", Some(2), Some(2))),
        );
        assert!(matches!(not_changing(&state), checks::CheckState::Fail(_)));
        let commands = key(&mut state, "Esc");
        assert!(commands.contains(&Command::WatchDetail(other.clone())));
        assert!(!commands.contains(&Command::StopDetail));
        assert_eq!(state.detail.as_ref().unwrap().target, other);
    }

    /// The example Kafka instance `orders` with its CRD's schema and CSD,
    /// its CPU limit stored as a number.
    fn kafka_context() -> OpsContext {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let read = |path: &str| {
            crate::domain::yaml_documents(&std::fs::read_to_string(root.join(path)).unwrap())
                .unwrap()
        };
        let schema = read("examples/kafka/crds/hwfkas.yaml")[0]["spec"]["versions"][0]["schema"]
            ["openAPIV3Schema"]["properties"]["spec"]
            .clone();
        let csd =
            CustomServiceDefinition::from_value(&read("examples/kafka/csd/kafka.yaml")[0]).unwrap();
        let mut orders = read("examples/kafka/instances/team-a.yaml")
            .into_iter()
            .find(|d| d["metadata"]["name"] == "orders")
            .unwrap();
        orders["metadata"]["uid"] = json!("u1");
        orders["metadata"]["resourceVersion"] = json!("42");
        orders["spec"]["resources"]["limits"]["cpu"] = json!(2);
        let mut ctx = context(orders);
        ctx.csd = Some(csd);
        ctx.spec_schema = Some(schema);
        ctx
    }

    #[test]
    fn an_untouched_kafka_configuration_form_changes_nothing() {
        let mut state = state();
        opened(&mut state, Action::EditConfig, kafka_context());
        let Input::Form(form) = &wizard(&state).input else {
            panic!("no form");
        };
        assert!(form.form.fields.len() > 5);
        let commands = key(&mut state, "Enter");
        assert!(
            !commands
                .iter()
                .any(|c| matches!(c, Command::Ops(OpsRequest::DryRun { .. }))),
            "{commands:?}"
        );
        assert_eq!(wizard(&state).error.as_deref(), Some("nothing changed"));
        assert_eq!(wizard(&state).step, Step::Choose);

        // One field changed: one path in the write.
        let Some(Input::Form(form)) = state.wizard.as_mut().map(|w| &mut w.input) else {
            panic!("no form");
        };
        let at = form
            .form
            .fields
            .iter()
            .position(|f| f.path == "spec.replicas")
            .unwrap();
        form.cursor = at;
        key(&mut state, "Backspace");
        typed(&mut state, "5");
        let write = dry_run_write(&key(&mut state, "Enter"));
        assert_eq!(write.summary, "edit configuration: spec.replicas");
        let Edit::Values(values) = &wizard(&state).edit else {
            panic!("no values");
        };
        assert_eq!(values, &vec![("spec.replicas".to_owned(), Some(json!(5)))]);
        // The number the form would have read back as the string "2" stays.
        assert_eq!(body(&write)["spec"]["resources"]["limits"]["cpu"], json!(2));
    }

    #[test]
    fn scrolling_stays_within_the_body() {
        let mut state = state();
        state.size = (80, 24);
        opened(&mut state, Action::OpenOps, context(object()));
        let commands = select(&mut state, "Restart");
        dry_run_write(&commands);
        previewed(&mut state, object(), object());
        let lines: Vec<DiffLine> = (0..100).map(|i| DiffLine::Same(format!("l{i}"))).collect();
        state
            .wizard
            .as_mut()
            .unwrap()
            .preview
            .as_mut()
            .unwrap()
            .lines = lines;
        for _ in 0..20 {
            key(&mut state, "PageDown");
        }
        // 21 body rows, 2 of them for the summary: lines 81..100 show.
        assert_eq!(wizard(&state).scroll, 81);
        key(&mut state, "PageUp");
        assert_eq!(wizard(&state).scroll, 60);
        for _ in 0..5 {
            key(&mut state, "Down");
        }
        key(&mut state, "Down");
        assert_eq!(wizard(&state).scroll, 66);
        for _ in 0..30 {
            key(&mut state, "Down");
        }
        key(&mut state, "Up");
        assert_eq!(wizard(&state).scroll, 80);
    }

    #[test]
    fn esc_while_applying_leaves_and_the_answer_comes_as_a_notice() {
        let mut state = state();
        upgrade_applying(&mut state);
        let first = id(&state);
        let commands = key(&mut state, "Esc");
        assert!(state.wizard.is_none());
        assert_eq!(state.view, View::Instances);
        assert!(commands.contains(&Command::StopDetail));
        assert!(!applies(&commands));
        let record = AuditRecord {
            time: "2026-03-14T13:45:00Z".into(),
            context: "osc-sandbox".into(),
            user: "admin".into(),
            object: "Hwfka team-a/orders".into(),
            action: "upgrade".into(),
            summary: "upgrade 3.6.1 -> 3.7.0".into(),
            result: AuditResult::Applied,
        };
        ops(
            &mut state,
            OpsEvent::Applied {
                id: first,
                after: object(),
                audit: Ok(record),
            },
        );
        assert_eq!(
            state.notice.as_deref(),
            Some("team-a/orders: upgrade applied (audit recorded)")
        );
        assert!(state.detached_writes.is_empty());

        // A failure is told the same way.
        upgrade_applying(&mut state);
        let id = id(&state);
        key(&mut state, "Esc");
        ops(
            &mut state,
            OpsEvent::ApplyFailed {
                id,
                error: WriteError::Forbidden("RBAC says no".into()),
            },
        );
        assert_eq!(
            state.notice.as_deref(),
            Some("team-a/orders: upgrade failed: forbidden: RBAC says no")
        );
        // Any other answer with that id is not about a detached write.
        ops(
            &mut state,
            OpsEvent::ApplyFailed {
                id,
                error: WriteError::Other("late".into()),
            },
        );
        assert!(state.notice.as_deref().unwrap().contains("RBAC"));
    }

    #[test]
    fn a_conflict_on_the_status_alone_is_checked_again_without_asking() {
        let mut state = state();
        let write = upgrade_applying(&mut state);
        // The operator wrote its status meanwhile: nothing the user sees.
        let mut current = object();
        current["metadata"]["resourceVersion"] = json!("44");
        current["status"]["phase"] = json!("Reconciling");
        let conflict = |current: &Value| WriteError::Conflict {
            message: "the object has been modified".into(),
            current: current.clone(),
        };
        let asked = id(&state);
        let commands = ops(
            &mut state,
            OpsEvent::ApplyFailed {
                id: asked,
                error: conflict(&current),
            },
        );
        let again = dry_run_write(&commands);
        assert_eq!(body(&again)["metadata"]["resourceVersion"], "44");
        assert_eq!(body(&again)["spec"], body(&write)["spec"]);
        assert_eq!(wizard(&state).step, Step::Checking);
        // The same diff on the latest object: applied, confirmed already.
        let asked = id(&state);
        let commands = ops(
            &mut state,
            OpsEvent::Previewed {
                id: asked,
                before: current.clone(),
                after: body(&again).clone(),
                warnings: Vec::new(),
            },
        );
        assert!(applies(&commands), "{commands:?}");
        assert_eq!(wizard(&state).step, Step::Applying);

        // Again and again: after a few, the conflict is shown.
        for n in 45..47 {
            current["metadata"]["resourceVersion"] = json!(n.to_string());
            let asked = id(&state);
            let commands = ops(
                &mut state,
                OpsEvent::ApplyFailed {
                    id: asked,
                    error: conflict(&current),
                },
            );
            let again = dry_run_write(&commands);
            let asked = id(&state);
            let commands = ops(
                &mut state,
                OpsEvent::Previewed {
                    id: asked,
                    before: current.clone(),
                    after: body(&again).clone(),
                    warnings: Vec::new(),
                },
            );
            assert!(applies(&commands));
        }
        let asked = id(&state);
        let commands = ops(
            &mut state,
            OpsEvent::ApplyFailed {
                id: asked,
                error: conflict(&current),
            },
        );
        assert!(commands.is_empty(), "{commands:?}");
        assert_eq!(wizard(&state).step, Step::Conflict);
    }

    #[test]
    fn a_changed_diff_after_a_quiet_conflict_is_confirmed_again() {
        let mut state = state();
        upgrade_applying(&mut state);
        let mut current = object();
        current["metadata"]["resourceVersion"] = json!("44");
        let asked = id(&state);
        let again = dry_run_write(&ops(
            &mut state,
            OpsEvent::ApplyFailed {
                id: asked,
                error: WriteError::Conflict {
                    message: "modified".into(),
                    current: current.clone(),
                },
            },
        ));
        // The server's answer differs (a defaulting webhook, say): shown.
        let mut after = body(&again).clone();
        after["spec"]["replicas"] = json!(4);
        let asked = id(&state);
        let commands = ops(
            &mut state,
            OpsEvent::Previewed {
                id: asked,
                before: current.clone(),
                after,
                warnings: Vec::new(),
            },
        );
        assert!(!applies(&commands));
        assert_eq!(wizard(&state).step, Step::Preview);
        assert!(!wizard(&state).reapply_confirmed);

        // Walking away from the re-check forgets the confirmation too.
        key(&mut state, "Enter");
        assert!(applies(&key(&mut state, "Enter")));
        let asked = id(&state);
        ops(
            &mut state,
            OpsEvent::ApplyFailed {
                id: asked,
                error: WriteError::Conflict {
                    message: "modified".into(),
                    current: current.clone(),
                },
            },
        );
        assert_eq!(wizard(&state).step, Step::Checking);
        key(&mut state, "Esc");
        assert!(!wizard(&state).reapply_confirmed);
    }
}
