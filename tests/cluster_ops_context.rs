//! What a wizard reads before it opens (`osctui::cluster::ops::context`)
//! and how an operation CR is followed, against the sandbox cluster and
//! its seeded instances (examples/README.md).
//!
//! Without a reachable sandbox each test prints "SKIPPED: ..." and returns;
//! with `CI=true` it fails instead.

use std::path::PathBuf;
use std::time::Duration;

use futures::FutureExt as _;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use kube::{Client, ResourceExt as _};
use osctui::action::Msg;
use osctui::cluster::ops::OpsSettings;
use osctui::cluster::ops::access::READONLY_REASON;
use osctui::cluster::ops::context::{self, DELETED_PHASE};
use osctui::state::detail::InstanceRef;
use osctui::state::ops::{ObjectRef, OpKind, OperationRun, OpsContext, OpsEvent, Permission};
use osctui::state::rows::ServiceKind;
use osctui_testkit as common;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The user name of the sandbox's `auditor` kubeconfig.
const AUDITOR: &str = "readonly-e2e";

/// A backup takes 10 s in the example operator; the rest is margin for a
/// busy machine.
const OPERATION_END: Duration = Duration::from_secs(90);

fn instance(namespace: &str, name: &str, service: &str, kind: ServiceKind) -> InstanceRef {
    let uid = match kind {
        ServiceKind::Helm => format!("helm:{namespace}/{name}"),
        ServiceKind::Operator => format!("test:{namespace}/{name}"),
    };
    InstanceRef {
        uid,
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        service: service.to_owned(),
        kind,
    }
}

fn admin() -> OpsSettings {
    OpsSettings {
        kubeconfig: Some(common::sandbox_kubeconfig_path()),
        ..OpsSettings::default()
    }
}

async fn prepared(client: &Client, settings: &OpsSettings, target: InstanceRef) -> OpsContext {
    let started = Instant::now();
    match context::prepare(client.clone(), settings, 41, target).await {
        OpsEvent::Prepared { id: 41, context } => {
            eprintln!("prepared in {:?}", started.elapsed());
            *context
        }
        other => panic!("expected Prepared for request 41, got {other:?}"),
    }
}

fn backups() -> ApiResource {
    let gvk = GroupVersionKind::gvk("osctest.osctui.dev", "v1", "HwfkaBackup");
    ApiResource::from_gvk_with_plural(&gvk, "hwfkabackups")
}

#[tokio::test]
async fn kafka_instance_context() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let target = instance("team-a", "orders", "kafka", ServiceKind::Operator);
    let ctx = prepared(&client, &admin(), target.clone()).await;

    assert_eq!(ctx.target, target);
    assert!(ctx.problems.is_empty(), "{:#?}", ctx.problems);
    let metadata = &ctx.object["metadata"];
    assert_eq!(metadata["name"], "orders");
    assert!(
        metadata["resourceVersion"]
            .as_str()
            .is_some_and(|v| !v.is_empty()),
        "{metadata:#}"
    );
    assert!(metadata.get("managedFields").is_none(), "{metadata:#}");
    assert_eq!(ctx.object["kind"], "Hwfka");
    assert!(ctx.object["spec"]["replicas"].is_u64());

    let csd = ctx.csd.as_ref().expect("the kafka CSD");
    assert_eq!(csd.name, "kafka");
    let versions = csd
        .spec
        .version_definition
        .as_ref()
        .expect("a versionDefinition");
    assert!(versions.tags.len() >= 2, "{versions:?}");
    assert!(versions.path.is_some());

    let schema = ctx.spec_schema.as_ref().expect("the spec schema");
    assert_eq!(schema["properties"]["replicas"]["type"], "integer");

    let names: Vec<&str> = ctx.operations.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, vec!["kafka-backup", "kafka-restore"]);
    for (operation, kind) in ctx.operations.iter().zip(["HwfkaBackup", "HwfkaRestore"]) {
        assert_eq!(operation.kind, kind);
        assert_eq!(operation.api_version, "osctest.osctui.dev/v1");
        assert_eq!(operation.target_path.as_deref(), Some("spec.instanceName"));
        let schema = operation.spec_schema.as_ref().expect("an operation schema");
        assert_eq!(schema["properties"]["instanceName"]["type"], "string");
        assert!(!operation.descriptors.is_empty());
        assert!(operation.default_configuration.is_some());
    }
    let backup = &ctx.operations[0];
    assert_eq!(backup.display_name, "Kafka backup");
    assert_eq!(
        backup
            .spec_schema
            .as_ref()
            .map(|s| &s["properties"]["compress"]["default"]),
        Some(&json!(true))
    );

    // The admin may do everything, and every operation was reviewed.
    let expected = [
        OpKind::Upgrade,
        OpKind::Rollback,
        OpKind::SpecChange,
        OpKind::EditForm,
        OpKind::EditYaml,
        OpKind::Action("kafka-backup".into()),
        OpKind::Action("kafka-restore".into()),
        OpKind::Restart,
        OpKind::Delete,
        OpKind::RemoveFinalizers,
    ];
    for kind in &expected {
        assert_eq!(ctx.permission(kind), Permission::Allowed, "{kind:?}");
    }
    assert_eq!(
        ctx.permissions.len(),
        expected.len(),
        "{:?}",
        ctx.permissions
    );
    assert!(ctx.helm.is_none());

    // Pickers: every namespace has the root CA ConfigMap; Helm's release
    // Secrets (team-a/session-cache is a release) are no choice.
    assert!(
        ctx.config_maps.iter().any(|n| n == "kube-root-ca.crt"),
        "{:?}",
        ctx.config_maps
    );
    assert!(
        ctx.secrets
            .iter()
            .all(|n| !n.starts_with("sh.helm.release")),
        "{:?}",
        ctx.secrets
    );
    let mut sorted = ctx.config_maps.clone();
    sorted.sort();
    assert_eq!(sorted, ctx.config_maps);
}

#[tokio::test]
async fn readonly_denies_every_write_and_sends_no_review() {
    // The auditor may do everything: only the API server's audit log tells
    // whether it wrote (an access review is a create there).
    let Some(client) = common::sandbox_client_for("auditor").await else {
        return;
    };
    let writes = || common::api_writes_by(AUDITOR).expect("the sandbox's audit log");
    let before = writes();
    let settings = OpsSettings {
        readonly: true,
        kubeconfig: Some(common::sandbox_kubeconfig_for("auditor")),
        ..OpsSettings::default()
    };
    let ctx = prepared(
        &client,
        &settings,
        instance("team-a", "orders", "kafka", ServiceKind::Operator),
    )
    .await;
    // The audit log is written as requests complete; give a late line time.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = writes();
    assert_eq!(
        after.len(),
        before.len(),
        "readonly sent: {:#?}",
        &after[before.len().min(after.len())..]
    );
    assert_eq!(ctx.permissions.len(), 10, "{:?}", ctx.permissions);
    for (kind, permission) in &ctx.permissions {
        assert_eq!(
            *permission,
            Permission::Denied(READONLY_REASON.to_owned()),
            "{kind:?}"
        );
        assert!(!permission.allowed());
    }
    // Reading still works.
    assert!(ctx.spec_schema.is_some() && ctx.operations.len() == 2);
}

#[tokio::test]
async fn a_restricted_user_sees_what_it_may_not_do() {
    // viewer: reads all but Secrets, may create HwfkaBackups in team-a and
    // change no Hwfka.
    let Some(client) = common::sandbox_client_for("viewer").await else {
        return;
    };
    let settings = OpsSettings {
        kubeconfig: Some(common::sandbox_kubeconfig_for("viewer")),
        ..OpsSettings::default()
    };
    let ctx = prepared(
        &client,
        &settings,
        instance("team-a", "orders", "kafka", ServiceKind::Operator),
    )
    .await;
    assert_eq!(ctx.object["metadata"]["name"], "orders");
    for kind in [
        OpKind::Upgrade,
        OpKind::EditYaml,
        OpKind::Delete,
        OpKind::RemoveFinalizers,
    ] {
        match ctx.permission(&kind) {
            Permission::Denied(reason) => assert!(
                reason.starts_with("RBAC: user may not ")
                    && reason.contains("hwfkas.osctest.osctui.dev in team-a"),
                "{kind:?}: {reason}"
            ),
            other => panic!("{kind:?}: expected Denied, got {other:?}"),
        }
    }
    assert_eq!(
        ctx.permission(&OpKind::Upgrade),
        Permission::Denied("RBAC: user may not update hwfkas.osctest.osctui.dev in team-a".into())
    );
    assert_eq!(
        ctx.permission(&OpKind::Action("kafka-backup".into())),
        Permission::Allowed
    );
    assert!(!ctx.permission(&OpKind::Restart).allowed());
    // Secrets it may not list: a problem, not a failure.
    assert!(ctx.secrets.is_empty());
    assert!(
        ctx.problems.iter().any(|p| p == "Secrets: forbidden"),
        "{:#?}",
        ctx.problems
    );
    assert!(!ctx.config_maps.is_empty());
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn helm_release_context() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let dir = TempDir(std::env::temp_dir().join(common::unique_name("osctui-charts")));
    std::fs::create_dir_all(&dir.0).unwrap();
    for file in [
        "memcached-1.0.0.tgz",
        "memcached-1.2.0.tgz",
        "redis-1.0.0.tgz",
        "notes.txt",
    ] {
        std::fs::write(dir.0.join(file), b"not a real chart").unwrap();
    }
    let settings = OpsSettings {
        helm_charts: Some(dir.0.clone()),
        ..admin()
    };
    let target = instance("cache", "web-cache", "memcached", ServiceKind::Helm);
    let ctx = prepared(&client, &settings, target).await;

    assert_eq!(ctx.object, json!({}));
    assert!(ctx.spec_schema.is_none());
    assert_eq!(ctx.csd.as_ref().map(|c| c.name.as_str()), Some("memcached"));
    let helm = ctx.helm.as_ref().expect("the Helm context");
    assert_eq!(helm.chart, "memcached");
    // Seeded with 3 revisions; a test that upgrades it adds more.
    assert!(helm.history.len() >= 3, "{:?}", helm.history);
    assert_eq!(helm.history[0].0, helm.revision);
    let revisions: Vec<u32> = helm.history.iter().map(|h| h.0).collect();
    let mut newest_first = revisions.clone();
    newest_first.sort_by(|a, b| b.cmp(a));
    assert_eq!(revisions, newest_first);
    assert_eq!(revisions.last(), Some(&1));
    assert_eq!(helm.history[0].1, helm.chart_version);
    assert!(helm.values.is_object(), "{:#}", helm.values);
    let path = |file: &str| dir.0.join(file).to_string_lossy().into_owned();
    assert_eq!(
        helm.available,
        vec![
            ("1.2.0".to_owned(), path("memcached-1.2.0.tgz")),
            ("1.0.0".to_owned(), path("memcached-1.0.0.tgz")),
        ]
    );

    for kind in [OpKind::HelmUpgrade, OpKind::HelmRollback, OpKind::Restart] {
        assert_eq!(ctx.permission(&kind), Permission::Allowed, "{kind:?}");
    }
    assert!(
        ctx.permissions
            .iter()
            .all(|(k, _)| !matches!(k, OpKind::Upgrade | OpKind::Delete)),
        "{:?}",
        ctx.permissions
    );
    assert!(ctx.problems.is_empty(), "{:#?}", ctx.problems);

    // A release that does not exist is the one thing that fails.
    let missing = instance("cache", "no-such-release", "memcached", ServiceKind::Helm);
    match context::prepare(client.clone(), &settings, 5, missing).await {
        OpsEvent::PrepareFailed { id: 5, error } => {
            assert_eq!(error, "Helm release cache/no-such-release not found");
        }
        other => panic!("expected PrepareFailed, got {other:?}"),
    }
}

#[tokio::test]
async fn a_missing_instance_fails_to_prepare() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let target = instance("team-a", "no-such-kafka", "kafka", ServiceKind::Operator);
    match context::prepare(client.clone(), &admin(), 9, target).await {
        OpsEvent::PrepareFailed { id: 9, error } => {
            assert_eq!(error, "Hwfka team-a/no-such-kafka: not found");
        }
        other => panic!("expected PrepareFailed, got {other:?}"),
    }
    let target = instance("team-a", "orders", "no-such-service", ServiceKind::Operator);
    match context::prepare(client, &admin(), 10, target).await {
        OpsEvent::PrepareFailed { error, .. } => {
            assert_eq!(error, "service no-such-service: CSD not found");
        }
        other => panic!("expected PrepareFailed, got {other:?}"),
    }
}

/// A followed operation CR; the task is aborted when dropped.
struct Follow {
    rx: mpsc::Receiver<Msg>,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for Follow {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl Follow {
    fn start(client: &Client, namespace: &str, name: &str) -> Self {
        let (tx, rx) = mpsc::channel(64);
        let object = ObjectRef {
            api_version: "osctest.osctui.dev/v1".into(),
            kind: "HwfkaBackup".into(),
            namespace: Some(namespace.to_owned()),
            name: name.to_owned(),
        };
        let handle = tokio::spawn(context::follow_operation(client.clone(), 77, object, tx));
        Self { rx, handle }
    }

    /// Every update until the follow ends by itself (its sender dropped);
    /// panics with what was seen when that takes longer than `timeout`.
    async fn until_it_ends(&mut self, timeout: Duration) -> Vec<OperationRun> {
        let deadline = Instant::now() + timeout;
        let mut runs = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(Msg::Ops(event))) => match *event {
                    OpsEvent::OperationUpdated { id: 77, run } => runs.push(run),
                    other => panic!("unexpected {other:?}"),
                },
                Ok(Some(other)) => panic!("unexpected {other:?}"),
                Ok(None) => return runs,
                Err(_) => panic!("the follow did not end within {timeout:?}; seen: {runs:#?}"),
            }
        }
    }

    /// The next update within `timeout`.
    async fn next(&mut self, timeout: Duration) -> OperationRun {
        match tokio::time::timeout(timeout, self.rx.recv()).await {
            Ok(Some(Msg::Ops(event))) => match *event {
                OpsEvent::OperationUpdated { id: 77, run } => run,
                other => panic!("unexpected {other:?}"),
            },
            other => panic!("no update within {timeout:?}: {other:?}"),
        }
    }
}

async fn create_backup(
    client: &Client,
    namespace: &str,
    instance: &str,
    labels: serde_json::Value,
) -> String {
    let api = Api::<DynamicObject>::namespaced_with(client.clone(), namespace, &backups());
    let body: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "osctest.osctui.dev/v1",
        "kind": "HwfkaBackup",
        "metadata": {"generateName": "osctui-test-backup-", "labels": labels},
        "spec": {"instanceName": instance, "compress": true},
    }))
    .unwrap();
    let created = api.create(&PostParams::default(), &body).await.unwrap();
    created.name_any()
}

async fn delete_backup(client: &Client, namespace: &str, name: &str) {
    let api = Api::<DynamicObject>::namespaced_with(client.clone(), namespace, &backups());
    if let Err(e) = api.delete(name, &DeleteParams::default()).await {
        eprintln!("cleanup: could not delete HwfkaBackup {namespace}/{name}: {e}");
    }
}

#[tokio::test]
async fn a_backup_is_followed_until_it_succeeds() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    // On the seeded instance itself (backups only read it), removed after.
    let name = create_backup(&client, "team-a", "orders", json!({})).await;
    let outcome = std::panic::AssertUnwindSafe(async {
        let mut follow = Follow::start(&client, "team-a", &name);
        let runs = follow.until_it_ends(OPERATION_END).await;
        let last = runs.last().expect("updates");
        assert_eq!(last.phase.as_deref(), Some("Succeeded"), "{runs:#?}");
        assert!(last.message.is_some(), "{runs:#?}");
        assert!(
            runs.iter().any(|r| r.phase.as_deref() == Some("Running")),
            "{runs:#?}"
        );
        assert!(
            runs.iter()
                .all(|r| r.name == name && r.kind == "HwfkaBackup")
        );
        // Only changes are sent.
        assert!(runs.windows(2).all(|w| w[0] != w[1]), "{runs:#?}");
        assert!(
            tokio::time::timeout(Duration::from_secs(5), &mut follow.handle)
                .await
                .is_ok()
        );

        // The wizard lists it among the instance's runs, newest first.
        let target = instance("team-a", "orders", "kafka", ServiceKind::Operator);
        let ctx = prepared(&client, &admin(), target).await;
        let run = ctx
            .runs
            .iter()
            .find(|r| r.name == name)
            .unwrap_or_else(|| panic!("{name} not among {:#?}", ctx.runs));
        assert_eq!(run.phase.as_deref(), Some("Succeeded"));
        assert!(run.created.is_some());
        let created: Vec<Option<i64>> = ctx.runs.iter().map(|r| r.created).collect();
        assert!(created.windows(2).all(|w| w[0] >= w[1]), "{created:?}");
    })
    .catch_unwind()
    .await;
    delete_backup(&client, "team-a", &name).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn failures_and_deletions_end_the_follow() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "ops-follow", |client, ns| async move {
        // No such instance: the operator fails the backup.
        let name = create_backup(&client, &ns, "nothing", json!({})).await;
        let runs = Follow::start(&client, &ns, &name)
            .until_it_ends(OPERATION_END)
            .await;
        let last = runs.last().expect("updates");
        assert_eq!(last.phase.as_deref(), Some("Failed"), "{runs:#?}");
        assert!(
            last.message
                .as_deref()
                .is_some_and(|m| m.contains("does not exist")),
            "{runs:#?}"
        );

        // One the operator leaves alone (another controller's label): no
        // status, until it is deleted.
        let labels = json!({"osctest.osctui.dev/controller": "nobody"});
        let name = create_backup(&client, &ns, "nothing", labels).await;
        let mut follow = Follow::start(&client, &ns, &name);
        let first = follow.next(Duration::from_secs(20)).await;
        assert_eq!(
            (first.phase.as_deref(), first.name.as_str()),
            (None, name.as_str())
        );
        assert!(first.created.is_some());
        delete_backup(&client, &ns, &name).await;
        let runs = follow.until_it_ends(Duration::from_secs(20)).await;
        assert_eq!(
            runs.last().and_then(|r| r.phase.as_deref()),
            Some(DELETED_PHASE),
            "{runs:#?}"
        );

        // One that does not exist at all.
        let runs = Follow::start(&client, &ns, "never-created")
            .until_it_ends(Duration::from_secs(20))
            .await;
        assert_eq!(runs.len(), 1, "{runs:#?}");
        assert_eq!(runs[0].phase.as_deref(), Some(DELETED_PHASE));
    })
    .await;
}
