//! Golden screens of the guided operations (the operation view): the menu
//! with a denied entry, the upgrade picker with its preflight and warning,
//! the preview diff, the typed confirmation, the progress (running, and
//! failed with the roll back offered) and the conflict view. States are
//! built through `update` with fake contexts and answers; re-bless with
//! `INSTA_UPDATE=always cargo test --test ui_ops` and read the diff.

mod support;

use osctui::action::Msg;
use osctui::domain::csd::CustomServiceDefinition;
use osctui::keymap::Mode;
use osctui::state::State;
use osctui::state::detail::{
    ConditionRow, EventRow, Field, InstanceDetail, InstanceRef, ResourceNode,
};
use osctui::state::ops::{
    OpKind, OperationService, OpsContext, OpsEvent, OpsRequest, Permission, WriteError, WritePlan,
};
use osctui::state::rows::{Health, InstanceRow, ServiceKind};
use osctui::theme::Theme;
use osctui::update::{Command, update};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::{Value, json};
use support::{NOW, keys, typed};

fn target() -> InstanceRef {
    InstanceRef {
        uid: "u-orders".into(),
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
                "description": "Brokers are restarted one at a time; producers and consumers \
                    see leadership moves while it runs. Check that no partition is \
                    under-replicated before you start.",
                "mode": "tag",
                "path": "spec.image",
                "tags": ["3.5.2", "3.6.1", "3.7.0", "3.8.0"]
            },
            "descriptors": {"specDescriptors": [{
                "displayName": "Brokers",
                "path": "replicas",
                "x-descriptors": ["urn:alm:descriptor:com.tectonic.ui:podCount"]
            }]}
        }
    }))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn object() -> Value {
    json!({
        "apiVersion": "osctest.osctui.dev/v1",
        "kind": "Hwfka",
        "metadata": {
            "name": "orders", "namespace": "team-a", "uid": "u-orders",
            "resourceVersion": "42"
        },
        "spec": {"image": "kafka:3.6.1", "replicas": 3, "storage": {"size": "10Gi"}},
    })
}

fn context() -> OpsContext {
    let allowed = [
        OpKind::Upgrade,
        OpKind::Rollback,
        OpKind::SpecChange,
        OpKind::EditForm,
        OpKind::EditYaml,
        OpKind::Action("kafka-backup".into()),
        OpKind::Restart,
    ];
    let mut permissions: Vec<(OpKind, Permission)> = allowed
        .into_iter()
        .map(|k| (k, Permission::Allowed))
        .collect();
    permissions.push((
        OpKind::Delete,
        Permission::Denied("RBAC: cannot delete hwfkas in team-a".into()),
    ));
    OpsContext {
        target: target(),
        object: object(),
        csd: Some(csd()),
        spec_schema: Some(json!({
            "type": "object",
            "properties": {
                "image": {"type": "string"},
                "replicas": {"type": "integer", "minimum": 1},
                "storage": {"type": "object", "properties": {"size": {"type": "string"}}}
            }
        })),
        operations: vec![OperationService {
            name: "kafka-backup".into(),
            display_name: "Backup".into(),
            description: None,
            api_version: "osctest.osctui.dev/v1".into(),
            kind: "HwfkaBackup".into(),
            target_path: Some("spec.clusterRef".into()),
            spec_schema: None,
            descriptors: Vec::new(),
            default_configuration: None,
        }],
        runs: Vec::new(),
        permissions,
        secrets: Vec::new(),
        config_maps: Vec::new(),
        helm: None,
        problems: Vec::new(),
    }
}

fn row(health: Health) -> InstanceRow {
    InstanceRow {
        uid: "u-orders".into(),
        name: "orders".into(),
        namespace: "team-a".into(),
        service: "kafka".into(),
        kind: ServiceKind::Operator,
        version: Some("3.6.1".into()),
        health,
        ready: (3, 3),
        created: NOW - 86_400,
        latest_event: None,
    }
}

fn wizard_id(state: &State) -> u64 {
    state.wizard.as_ref().map_or(0, |w| w.id)
}

fn ops(state: &mut State, event: OpsEvent) -> Vec<Command> {
    update(state, Msg::Ops(Box::new(event)))
}

/// The instances view with `orders` selected, the operation opened with
/// `key` and its context read.
fn opened(width: u16, height: u16, key: &str, health: Health) -> State {
    opened_with(width, height, key, health, context())
}

fn opened_with(width: u16, height: u16, key: &str, health: Health, ctx: OpsContext) -> State {
    let mut state = support::connected(width, height);
    update(&mut state, Msg::InstancesRelisted(vec![row(health)]));
    update(&mut state, Msg::Synced);
    keys(&mut state, &["2", key]);
    assert_eq!(state.mode, Mode::Wizard);
    let id = wizard_id(&state);
    ops(
        &mut state,
        OpsEvent::Prepared {
            id,
            context: Box::new(ctx),
        },
    );
    state
}

fn dry_run_body(commands: &[Command]) -> Value {
    commands
        .iter()
        .find_map(|c| match c {
            Command::Ops(OpsRequest::DryRun { write, .. }) => match &write.plan {
                WritePlan::Replace { body, .. } => Some(body.clone()),
                _ => Some(json!({})),
            },
            _ => None,
        })
        .unwrap_or_else(|| panic!("no dry run in {commands:?}"))
}

fn previewed(state: &mut State, before: Value, after: Value, warnings: Vec<String>) {
    let id = wizard_id(state);
    ops(
        state,
        OpsEvent::Previewed {
            id,
            before,
            after,
            warnings,
        },
    );
}

/// The upgrade to 3.7.0 chosen and previewed.
fn upgrade_previewed(width: u16, height: u16) -> State {
    let mut state = opened(width, height, "u", Health::Healthy);
    // The picker starts on the newest (3.8.0); one down is 3.7.0.
    keys(&mut state, &["Down"]);
    let commands = update(&mut state, support::key("Enter"));
    let after = dry_run_body(&commands);
    previewed(
        &mut state,
        object(),
        after,
        vec!["osctest.osctui.dev/v1 Hwfka is deprecated; use v2".into()],
    );
    state
}

/// The upgrade applied and followed: the detail reports these pods.
fn upgrade_progress(width: u16, height: u16, failing: bool) -> State {
    let mut state = upgrade_previewed(width, height);
    keys(&mut state, &["Enter", "Enter"]);
    let id = wizard_id(&state);
    let mut after = object();
    after["spec"]["image"] = json!("kafka:3.7.0");
    after["metadata"]["resourceVersion"] = json!("43");
    ops(
        &mut state,
        OpsEvent::Applied {
            id,
            after,
            audit: Ok(osctui::state::ops::AuditRecord {
                time: "2026-03-14T13:45:00Z".into(),
                context: "osc-sandbox".into(),
                user: "admin".into(),
                object: "Hwfka team-a/orders".into(),
                action: "upgrade".into(),
                summary: "upgrade 3.6.1 -> 3.7.0".into(),
                result: osctui::state::ops::AuditResult::Applied,
            }),
        },
    );
    // The wizard watches the instance's detail since it opened.
    assert_eq!(state.detail.as_ref().map(|d| &d.target), Some(&target()));
    update(&mut state, Msg::DetailUpdated(Box::new(detail(failing))));
    state
}

fn detail(failing: bool) -> InstanceDetail {
    let pod = |name: &str, health, status: &str, reason: Option<&str>| ResourceNode {
        depth: 1,
        kind: "Pod".into(),
        name: name.into(),
        health,
        status: status.into(),
        reason: reason.map(str::to_owned),
        pod: None,
    };
    let (second, reason) = if failing {
        (
            pod(
                "orders-kafka-1",
                Health::Failed,
                "0/1",
                Some("ImagePullBackOff"),
            ),
            "ImagePullBackOff",
        )
    } else {
        (
            pod(
                "orders-kafka-1",
                Health::Progressing,
                "0/1",
                Some("ContainerCreating"),
            ),
            "Pulling",
        )
    };
    InstanceDetail {
        target: target(),
        health: Health::Progressing,
        overview: vec![
            Field {
                label: "Phase".into(),
                value: "Upgrading".into(),
            },
            Field {
                label: "Version".into(),
                value: "3.7.0 (running 3.6.1)".into(),
            },
        ],
        conditions: vec![ConditionRow {
            type_: "Upgrading".into(),
            status: "True".into(),
            good: false,
            reason: "RollingBrokers".into(),
            message: "broker 1 of 3".into(),
            last_transition: Some(NOW - 60),
        }],
        spec_masked: String::new(),
        spec_revealed: String::new(),
        resources: vec![
            ResourceNode {
                depth: 0,
                kind: "StatefulSet".into(),
                name: "orders-kafka".into(),
                health: Health::Progressing,
                status: "2/3".into(),
                reason: None,
                pod: None,
            },
            pod("orders-kafka-0", Health::Healthy, "1/1", None),
            second,
            pod("orders-kafka-2", Health::Healthy, "1/1", None),
        ],
        events: vec![
            EventRow {
                time: NOW - 30,
                warning: failing,
                reason: reason.into(),
                object: "Pod/orders-kafka-1".into(),
                message: "image kafka:3.7.0".into(),
                count: 1,
            },
            EventRow {
                time: NOW - 50,
                warning: false,
                reason: "Killing".into(),
                object: "Pod/orders-kafka-1".into(),
                message: "Stopping container kafka".into(),
                count: 1,
            },
        ],
        dependencies: Vec::new(),
        helm: None,
        problems: Vec::new(),
        generation: None,
        observed_generation: None,
    }
}

fn conflict(width: u16, height: u16) -> State {
    let mut state = upgrade_previewed(width, height);
    keys(&mut state, &["Enter", "Enter"]);
    let id = wizard_id(&state);
    let mut current = object();
    current["metadata"]["resourceVersion"] = json!("57");
    current["spec"]["replicas"] = json!(5);
    ops(
        &mut state,
        OpsEvent::ApplyFailed {
            id,
            error: WriteError::Conflict {
                message: "the object has been modified".into(),
                current,
            },
        },
    );
    state
}

fn typed_confirmation(width: u16, height: u16) -> State {
    // A rollback is destructive: it is offered once the object records the
    // version it came from.
    let mut ctx = context();
    ctx.object["status"] = json!({"upgrade": {"fromVersion": "3.5.2"}});
    let mut state = opened_with(width, height, "o", Health::Healthy, ctx);
    let index = state
        .wizard
        .as_ref()
        .and_then(|w| w.menu.iter().position(|e| e.kind == OpKind::Rollback))
        .unwrap_or_else(|| panic!("no rollback entry"));
    for _ in 0..index {
        keys(&mut state, &["Down"]);
    }
    keys(&mut state, &["Enter"]);
    let mut after = object();
    after["spec"]["image"] = json!("kafka:3.5.2");
    previewed(&mut state, object(), after, Vec::new());
    keys(&mut state, &["Enter"]);
    typed(&mut state, "ord");
    state
}

fn render(state: &State, theme: &Theme) -> String {
    let (width, height) = state.size;
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| match e {});
    terminal
        .draw(|frame| osctui::ui::draw(frame, state, theme))
        .unwrap_or_else(|e| match e {});
    format!("{}", terminal.backend())
}

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 36)];

fn snap(name: &str, build: impl Fn(u16, u16) -> State) {
    let theme = Theme::default();
    for (w, h) in SIZES {
        let state = build(w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&state, &theme));
    }
}

#[test]
fn menu_with_a_denied_entry() {
    snap("ops_menu", |w, h| opened(w, h, "o", Health::Healthy));
}

#[test]
fn upgrade_picker_with_preflight_and_warning() {
    snap("ops_upgrade_picker", |w, h| {
        let mut state = opened(w, h, "u", Health::Degraded);
        // Down to the downgrade: flagged, and its preflight says so.
        keys(&mut state, &["Down", "Down", "Down"]);
        state
    });
}

#[test]
fn preview_diff() {
    snap("ops_preview", upgrade_previewed);
}

#[test]
fn typed_confirmation_of_a_rollback() {
    snap("ops_typed_confirmation", typed_confirmation);
}

#[test]
fn progress_running() {
    snap("ops_progress_running", |w, h| upgrade_progress(w, h, false));
}

#[test]
fn progress_failed_offers_roll_back() {
    snap("ops_progress_failed", |w, h| upgrade_progress(w, h, true));
    let state = upgrade_progress(80, 24, true);
    assert!(
        state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("failed"))
    );
}

#[test]
fn spec_change_form() {
    snap("ops_spec_form", |w, h| {
        let mut state = opened(w, h, "o", Health::Healthy);
        keys(&mut state, &["Down", "Enter"]);
        assert_eq!(
            state.wizard.as_ref().and_then(|w| w.kind.clone()),
            Some(OpKind::SpecChange)
        );
        state
    });
}

#[test]
fn help_opens_and_closes_over_the_wizard() {
    let mut state = opened(80, 24, "o", Health::Healthy);
    keys(&mut state, &["?"]);
    assert_eq!(state.mode, Mode::Help);
    let screen = render(&state, &Theme::default());
    assert!(screen.contains("Tab") || screen.contains("tab"), "{screen}");
    keys(&mut state, &["?"]);
    assert_eq!(state.mode, Mode::Wizard);
    assert!(state.wizard.is_some());
}

#[test]
fn conflict_view() {
    snap("ops_conflict", conflict);
}

#[test]
fn operation_view_never_panics_when_tiny() {
    let theme = Theme::default();
    let builders: [&dyn Fn(u16, u16) -> State; 8] = [
        &|w, h| opened(w, h, "o", Health::Healthy),
        &|w, h| {
            let mut state = opened(w, h, "o", Health::Healthy);
            keys(&mut state, &["?"]);
            state
        },
        &|w, h| {
            let mut state = opened(w, h, "o", Health::Healthy);
            keys(&mut state, &["Down", "Enter"]);
            state
        },
        &|w, h| opened(w, h, "u", Health::Degraded),
        &upgrade_previewed,
        &typed_confirmation,
        &|w, h| upgrade_progress(w, h, true),
        &conflict,
    ];
    for build in builders {
        let states = [build(80, 24), build(20, 5)];
        for state in &states {
            for w in 1..=20u16 {
                for h in 1..=6u16 {
                    let mut terminal =
                        Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| match e {});
                    terminal
                        .draw(|frame| osctui::ui::draw(frame, state, &theme))
                        .unwrap_or_else(|e| match e {});
                }
            }
        }
    }
}
