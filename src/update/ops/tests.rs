//! Unit tests of the operation wizard's update logic.

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

/// The write of the current session applied, its audit record not written.
fn applied_unaudited(state: &mut State, id: u64, after: Value, audit_error: &str) -> Vec<Command> {
    let audit = Err(audit_error.into());
    ops(state, OpsEvent::Applied { id, after, audit })
}

/// The current session's write refused: `current` changed meanwhile.
fn conflicted(state: &mut State, current: &Value) -> Vec<Command> {
    let id = id(state);
    let error = WriteError::Conflict {
        message: "the object has been modified".into(),
        current: current.clone(),
    };
    ops(state, OpsEvent::ApplyFailed { id, error })
}

/// The current session's dry run answered, without warnings.
fn answered(state: &mut State, before: Value, after: Value) -> Vec<Command> {
    let id = id(state);
    let warnings = Vec::new();
    ops(
        state,
        OpsEvent::Previewed {
            id,
            before,
            after,
            warnings,
        },
    )
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

/// The YAML editor open on `object()` with "replicas: 3" made `replicas`,
/// without a schema: the local check lets it through to the server. Returns
/// the edited text.
fn yaml_edited(state: &mut State, replicas: &str) -> String {
    opened(state, Action::EditYaml, context(object()));
    let text = match &wizard(state).input {
        Input::Editor(editor) => editor.text().replace("replicas: 3", replicas),
        _ => panic!("no editor"),
    };
    state.wizard.as_mut().unwrap().input = Input::Editor(Box::new(YamlEditor::new(&text, None)));
    text
}

fn previewed(state: &mut State, before: Value, after: Value) {
    answered(state, before, after);
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
    let commands = applied_unaudited(&mut state, id, after, "disk full");
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
    let text = yaml_edited(&mut state, "replicas: 12");
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
    conflicted(&mut state, &current);
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
    let text = yaml_edited(&mut state, "replicas: 4");
    let write = dry_run_write(&key(&mut state, "ctrl+s"));
    previewed(&mut state, object(), body(&write).clone());
    key(&mut state, "Enter");
    key(&mut state, "Enter");
    let mut current = object();
    current["metadata"]["resourceVersion"] = json!("51");
    conflicted(&mut state, &current);
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
    let commands = applied_unaudited(&mut state, id, after, "no data dir");
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
    applied_unaudited(&mut state, id, after, "x");
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
    applied_unaudited(&mut state, id, after, "x");
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
    applied_unaudited(&mut state, id, after, "x");
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
        crate::domain::yaml_documents(&std::fs::read_to_string(root.join(path)).unwrap()).unwrap()
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
    let commands = conflicted(&mut state, &current);
    let again = dry_run_write(&commands);
    assert_eq!(body(&again)["metadata"]["resourceVersion"], "44");
    assert_eq!(body(&again)["spec"], body(&write)["spec"]);
    assert_eq!(wizard(&state).step, Step::Checking);
    // The same diff on the latest object: applied, confirmed already.
    let commands = answered(&mut state, current.clone(), body(&again).clone());
    assert!(applies(&commands), "{commands:?}");
    assert_eq!(wizard(&state).step, Step::Applying);

    // Again and again: after a few, the conflict is shown.
    for n in 45..47 {
        current["metadata"]["resourceVersion"] = json!(n.to_string());
        let commands = conflicted(&mut state, &current);
        let again = dry_run_write(&commands);
        let commands = answered(&mut state, current.clone(), body(&again).clone());
        assert!(applies(&commands));
    }
    let commands = conflicted(&mut state, &current);
    assert!(commands.is_empty(), "{commands:?}");
    assert_eq!(wizard(&state).step, Step::Conflict);
}

#[test]
fn a_changed_diff_after_a_quiet_conflict_is_confirmed_again() {
    let mut state = state();
    upgrade_applying(&mut state);
    let mut current = object();
    current["metadata"]["resourceVersion"] = json!("44");
    let again = dry_run_write(&conflicted(&mut state, &current));
    // The server's answer differs (a defaulting webhook, say): shown.
    let mut after = body(&again).clone();
    after["spec"]["replicas"] = json!(4);
    let commands = answered(&mut state, current.clone(), after);
    assert!(!applies(&commands));
    assert_eq!(wizard(&state).step, Step::Preview);
    assert!(!wizard(&state).reapply_confirmed);

    // Walking away from the re-check forgets the confirmation too.
    key(&mut state, "Enter");
    assert!(applies(&key(&mut state, "Enter")));
    conflicted(&mut state, &current);
    assert_eq!(wizard(&state).step, Step::Checking);
    key(&mut state, "Esc");
    assert!(!wizard(&state).reapply_confirmed);
}
