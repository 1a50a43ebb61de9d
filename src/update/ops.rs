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

/// The health of the wizard's target and its loaded detail, if the detail
/// view holds that same instance; unknown and none without a wizard.
fn target_facts(state: &State) -> (Health, Option<Box<InstanceDetail>>) {
    let Some(wizard) = &state.wizard else {
        return (Health::Unknown, None);
    };
    let health = state
        .instances
        .get(&wizard.target.uid)
        .map_or(Health::Unknown, |r| r.health);
    let detail = state
        .detail
        .as_ref()
        .filter(|d| d.target.uid == wizard.target.uid)
        .and_then(|d| d.data.clone());
    (health, detail)
}

/// Starts an operation: its first step, or the dry run when it has
/// nothing to fill in. An operation that may not be done stays on the menu
/// with the reason.
fn choose(state: &mut State, kind: OpKind) -> Vec<Command> {
    let readonly = state.readonly;
    let (preflight_health, detail) = target_facts(state);
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
    let (health, detail) = target_facts(state);
    let Some(wizard) = &mut state.wizard else {
        return;
    };
    let def = wizard
        .context
        .as_deref()
        .and_then(|c| c.csd.as_ref())
        .and_then(|c| c.spec.version_definition.as_ref());
    if let Some(def) = def {
        refresh_preflight(&mut wizard.input, def, detail.as_deref(), health);
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
    let (health, detail) = target_facts(state);
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

/// A new session id for a write and the wizard that sends it; none without
/// a wizard, and none in read-only mode, where the wizard says why.
fn write_session(state: &mut State) -> Option<(u64, &mut Wizard)> {
    state.last_session += 1;
    let id = state.last_session;
    let wizard = state.wizard.as_mut()?;
    if state.readonly {
        wizard.error = Some(WriteError::Readonly.to_string());
        return None;
    }
    Some((id, wizard))
}

/// Builds the write from the edit and sends its dry run.
fn dry_run(state: &mut State) -> Vec<Command> {
    let now = state.now;
    let Some((id, wizard)) = write_session(state) else {
        return Vec::new();
    };
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
    let Some((id, wizard)) = write_session(state) else {
        return Vec::new();
    };
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
mod tests;
