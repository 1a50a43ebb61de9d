//! Dry runs and writes of the guided operations
//! (`osctui::cluster::ops::write`) against the sandbox cluster: scratch
//! Kafka instances (copies of examples/kafka/instances, reconciled by the
//! sandbox's Kafka operator) and a scratch Helm release of
//! examples/memcached/chart, each in its own namespace.
//!
//! Without a reachable sandbox each test prints "SKIPPED: ..." and returns;
//! with `CI=true` it fails instead. The readonly test needs no sandbox.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Event;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, PostParams};
use kube::{Client, ResourceExt as _};
use osctui::cluster::ops::{OpsSettings, write};
use osctui::state::detail::InstanceRef;
use osctui::state::ops::{
    AuditResult, HelmWrite, ObjectRef, OpKind, OpsEvent, Write, WriteError, WritePlan,
};
use osctui::state::rows::ServiceKind;
use osctui_testkit as common;
use serde_json::{Value, json};

const GROUP: &str = "osctest.osctui.dev";
const VERSION: &str = "v1";

/// The process-wide environment every test shares, set once before any
/// test reads the environment: a private data directory (audit log) and
/// the sandbox's helm binary.
fn setup() -> &'static PathBuf {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("osctui-ops-write-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let helm = std::env::var_os("HOME").and_then(|home| {
            let cache = Path::new(&home).join(".cache/osctui-sandbox");
            let mut dirs: Vec<_> = std::fs::read_dir(cache)
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("helm-"))
                })
                .collect();
            dirs.sort();
            dirs.into_iter()
                .map(|d| d.join("helm"))
                .find(|h| h.is_file())
        });
        // SAFETY: runs once, before this test binary's tests read the
        // environment (every test calls setup() first; the others wait
        // in get_or_init).
        unsafe {
            std::env::set_var("OSCTUI_DATA_DIR", &dir);
            if std::env::var_os("OSCTUI_HELM").is_none()
                && let Some(helm) = helm
            {
                std::env::set_var("OSCTUI_HELM", helm);
            }
        }
        dir
    })
}

fn settings() -> OpsSettings {
    OpsSettings {
        kubeconfig: Some(common::sandbox_kubeconfig_path()),
        ..OpsSettings::default()
    }
}

fn resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(GROUP, VERSION, kind), plural)
}

fn hwfkas(client: &Client, ns: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), ns, &resource("Hwfka", "hwfkas"))
}

fn object_ref(ns: &str, name: &str) -> ObjectRef {
    ObjectRef {
        api_version: format!("{GROUP}/{VERSION}"),
        kind: "Hwfka".into(),
        namespace: Some(ns.into()),
        name: name.into(),
    }
}

fn target(ns: &str, name: &str, uid: &str) -> InstanceRef {
    InstanceRef {
        uid: uid.into(),
        name: name.into(),
        namespace: ns.into(),
        service: "kafka".into(),
        kind: ServiceKind::Operator,
    }
}

fn write_of(target: InstanceRef, kind: OpKind, plan: WritePlan, summary: &str) -> Write {
    Write {
        target,
        kind,
        plan,
        summary: summary.into(),
    }
}

/// Creates the example ZooKeeper and the Hwfka `orders` (one replica) of
/// team-a in `ns`, named [`SCRATCH`]; waits for the operator's finalizer and StatefulSet.
/// The scratch Kafka instance's name.
const SCRATCH: &str = "scratch-kafka";

async fn scratch_kafka(client: &Client, ns: &str) -> Value {
    let path = common::workspace_root().join("examples/kafka/instances/team-a.yaml");
    let text = std::fs::read_to_string(path).unwrap();
    let docs = osctui::domain::yaml_documents(&text).unwrap();
    for kind in ["Zookeeper", "Hwfka"] {
        let mut doc = docs
            .iter()
            .find(|d| {
                d["kind"] == kind && (kind == "Zookeeper" || d["metadata"]["name"] == "orders")
            })
            .unwrap()
            .clone();
        doc["metadata"]["namespace"] = json!(ns);
        if kind == "Hwfka" {
            // Not "orders": the end-to-end tests look team-a/orders up by
            // name, and this namespace may still be deleting then.
            doc["metadata"]["name"] = json!(SCRATCH);
        }
        doc["spec"]["replicas"] = json!(1);
        let plural = if kind == "Hwfka" {
            "hwfkas"
        } else {
            "zookeepers"
        };
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), ns, &resource(kind, plural));
        let object: DynamicObject = serde_json::from_value(doc).unwrap();
        api.create(&PostParams::default(), &object).await.unwrap();
    }
    let api = hwfkas(client, ns);
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), ns);
    common::eventually(
        "the operator's finalizer and StatefulSet of the scratch Hwfka",
        Duration::from_secs(60),
        Duration::from_millis(300),
        || async {
            let cr = api.get(SCRATCH).await.map_err(|e| e.to_string())?;
            if cr.finalizers().is_empty() {
                return Err("no finalizer yet".into());
            }
            let listed = sets
                .list(
                    &ListParams::default().labels(&format!("app.kubernetes.io/instance={SCRATCH}")),
                )
                .await
                .map_err(|e| e.to_string())?;
            if listed.items.is_empty() {
                return Err("no StatefulSet yet".into());
            }
            Ok(())
        },
    )
    .await;
    current(client, ns).await
}

/// The scratch Hwfka now, as JSON.
async fn current(client: &Client, ns: &str) -> Value {
    serde_json::to_value(hwfkas(client, ns).get(SCRATCH).await.unwrap()).unwrap()
}

/// Applies the write built from the object as it is now, again while the
/// operator's status writes make it conflict.
async fn apply_fresh(
    client: &Client,
    ns: &str,
    build: impl Fn(&Value) -> Write,
) -> (Value, Result<osctui::state::ops::AuditRecord, String>) {
    let mut last = None;
    for _ in 0..10 {
        let now = current(client, ns).await;
        match write::apply(client.clone(), &settings(), 1, build(&now)).await {
            OpsEvent::Applied { after, audit, .. } => return (after, audit),
            OpsEvent::ApplyFailed {
                error: WriteError::Conflict { .. },
                ..
            } => {
                last = Some("conflict".to_owned());
                tokio::time::sleep(Duration::from_millis(300)).await;
            }
            other => panic!("apply failed: {other:?}"),
        }
    }
    panic!("apply kept conflicting: {last:?}");
}

/// The same for a dry run.
async fn preview_fresh(
    client: &Client,
    ns: &str,
    build: impl Fn(&Value) -> Write,
) -> Result<(Value, Value, Value), WriteError> {
    for _ in 0..10 {
        let now = current(client, ns).await;
        match write::dry_run(client.clone(), &settings(), 1, build(&now)).await {
            OpsEvent::Previewed { before, after, .. } => return Ok((now, before, after)),
            OpsEvent::PreviewFailed {
                error: WriteError::Conflict { .. },
                ..
            } => tokio::time::sleep(Duration::from_millis(300)).await,
            OpsEvent::PreviewFailed { error, .. } => return Err(error),
            other => panic!("unexpected answer: {other:?}"),
        }
    }
    panic!("dry run kept conflicting");
}

fn replace(ns: &str, uid: &str, body: Value) -> Write {
    write_of(
        target(ns, SCRATCH, uid),
        OpKind::EditYaml,
        WritePlan::Replace {
            object: object_ref(ns, SCRATCH),
            body,
        },
        "edit YAML",
    )
}

/// Events on the instance with `reason`.
async fn events_with_reason(client: &Client, ns: &str, reason: &str) -> Vec<Event> {
    let events: Api<Event> = Api::namespaced(client.clone(), ns);
    events
        .list(&ListParams::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.reason.as_deref() == Some(reason))
        .collect()
}

fn audit_records() -> Vec<osctui::state::ops::AuditRecord> {
    let (records, problems) = osctui::audit::load_from(&setup().join("audit.jsonl"));
    assert!(problems.is_empty(), "{problems:?}");
    records
}

/// A "server" that only counts the connections made to it.
struct Counter {
    listener: TcpListener,
}

impl Counter {
    fn new() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        Self { listener }
    }

    fn client(&self) -> Client {
        let url = format!("http://{}", self.listener.local_addr().unwrap());
        let config = kube::Config::new(url.parse().unwrap());
        Client::try_from(config).unwrap()
    }

    /// Connections made so far (accepted and dropped).
    fn connections(&self) -> usize {
        let mut n = 0;
        while self.listener.accept().is_ok() {
            n += 1;
        }
        n
    }
}

#[tokio::test]
async fn readonly_sends_nothing() {
    setup();
    let counter = Counter::new();
    let client = counter.client();
    let readonly = OpsSettings {
        readonly: true,
        ..OpsSettings::default()
    };
    let plans = vec![
        WritePlan::Replace {
            object: object_ref("ns", SCRATCH),
            body: json!({"metadata": {"name": SCRATCH, "resourceVersion": "1"}}),
        },
        WritePlan::Create {
            body: json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x", "namespace": "ns"}}),
        },
        WritePlan::Restart {
            namespace: "ns".into(),
            selector: "app=x".into(),
            restarted_at: "2026-01-01T00:00:00Z".into(),
        },
        WritePlan::Helm(HelmWrite::Rollback {
            release: "r".into(),
            namespace: "ns".into(),
            revision: 1,
            expected_revision: 2,
        }),
    ];
    let before = audit_records().len();
    for plan in plans {
        let w = write_of(target("ns", SCRATCH, "u"), OpKind::Restart, plan, "s");
        let answer = tokio::time::timeout(
            Duration::from_secs(5),
            write::dry_run(client.clone(), &readonly, 1, w.clone()),
        )
        .await
        .unwrap();
        assert!(
            matches!(
                answer,
                OpsEvent::PreviewFailed {
                    error: WriteError::Readonly,
                    ..
                }
            ),
            "{answer:?}"
        );
        let answer = tokio::time::timeout(
            Duration::from_secs(5),
            write::apply(client.clone(), &readonly, 2, w),
        )
        .await
        .unwrap();
        assert!(
            matches!(
                answer,
                OpsEvent::ApplyFailed {
                    error: WriteError::Readonly,
                    ..
                }
            ),
            "{answer:?}"
        );
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(counter.connections(), 0, "readonly mode sent requests");
    assert_eq!(
        audit_records().len(),
        before,
        "readonly mode wrote to the audit log"
    );

    // The control: the same client without readonly does reach the counter.
    let w = write_of(
        target("ns", SCRATCH, "u"),
        OpKind::EditYaml,
        WritePlan::Replace {
            object: object_ref("ns", SCRATCH),
            body: json!({"metadata": {"name": SCRATCH, "resourceVersion": "1"}}),
        },
        "s",
    );
    let _ = tokio::time::timeout(
        Duration::from_secs(2),
        write::dry_run(client.clone(), &OpsSettings::default(), 3, w),
    )
    .await;
    assert!(
        counter.connections() > 0,
        "the counter does not see requests"
    );
}

#[tokio::test]
async fn replace_previews_conflicts_and_rejects() {
    setup();
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "ops-replace", |client, ns| async move {
        let cr = scratch_kafka(&client, &ns).await;
        let uid = cr["metadata"]["uid"].as_str().unwrap().to_owned();

        // Dry run: replicas dropped from the body come back defaulted (3),
        // and nothing is stored.
        let (read, before, after) = preview_fresh(&client, &ns, |now| {
            let mut body = now.clone();
            body["spec"].as_object_mut().unwrap().remove("replicas");
            replace(&ns, &uid, body)
        })
        .await
        .unwrap();
        assert_eq!(before["spec"]["replicas"], 1, "{before}");
        assert_eq!(after["spec"]["replicas"], 3, "defaulted: {after}");
        assert!(after["metadata"].get("managedFields").is_none());
        let stored = current(&client, &ns).await;
        assert_eq!(stored["spec"]["replicas"], 1);
        // Only the operator's status writes may have moved it.
        assert!(
            stored["metadata"]["resourceVersion"] == read["metadata"]["resourceVersion"]
                || stored["metadata"]["generation"] == read["metadata"]["generation"],
            "the dry run changed the object: {read} -> {stored}"
        );
        assert_eq!(stored["metadata"]["generation"], read["metadata"]["generation"]);

        // A schema violation: replicas above the CRD's maximum of 9.
        let error = preview_fresh(&client, &ns, |now| {
            let mut body = now.clone();
            body["spec"]["replicas"] = json!(42);
            replace(&ns, &uid, body)
        })
        .await
        .unwrap_err();
        match error {
            WriteError::Invalid { causes, .. } => assert!(
                causes.iter().any(|(field, _)| field.contains("spec.replicas")),
                "{causes:?}"
            ),
            other => panic!("expected Invalid, got {other:?}"),
        }

        // A stale resourceVersion: a conflict with the object as it is now.
        let stale = current(&client, &ns).await;
        let (stored, audit) = apply_fresh(&client, &ns, |now| {
            let mut body = now.clone();
            body["spec"]["config"]["num.partitions"] = json!("12");
            replace(&ns, &uid, body)
        })
        .await;
        assert_eq!(stored["spec"]["config"]["num.partitions"], "12");
        let record = audit.unwrap();
        assert_eq!(record.result, AuditResult::Applied);
        assert_eq!(record.object, format!("Hwfka {ns}/{SCRATCH}"));
        assert_eq!(record.action, "edit YAML");
        // The identity from the SelfSubjectReview, not the fallback.
        assert!(!record.user.is_empty() && record.user != "unknown", "{record:?}");
        let mut body = stale.clone();
        body["spec"]["replicas"] = json!(2);
        let answer = write::apply(client.clone(), &settings(), 7, replace(&ns, &uid, body)).await;
        let OpsEvent::ApplyFailed {
            error: WriteError::Conflict { current: now, .. },
            ..
        } = answer
        else {
            panic!("expected a conflict, got {answer:?}");
        };
        assert_eq!(now["spec"]["config"]["num.partitions"], "12", "{now}");
        assert_ne!(now["metadata"]["resourceVersion"], stale["metadata"]["resourceVersion"]);
        assert!(now["metadata"].get("managedFields").is_none());

        // A Replace without resourceVersion is refused.
        let mut body = current(&client, &ns).await;
        body["metadata"].as_object_mut().unwrap().remove("resourceVersion");
        let answer = write::dry_run(client.clone(), &settings(), 8, replace(&ns, &uid, body)).await;
        assert!(
            matches!(&answer, OpsEvent::PreviewFailed { error: WriteError::Other(m), .. } if m.contains("resourceVersion")),
            "{answer:?}"
        );

        // Recorded: both writes in the audit log, Events on the instance.
        let records = audit_records();
        let mine: Vec<_> = records
            .iter()
            .filter(|r| r.object == format!("Hwfka {ns}/{SCRATCH}"))
            .collect();
        // (apply_fresh may have met conflicts of its own: recorded too.)
        assert!(mine.len() >= 2, "{mine:?}");
        assert!(mine.iter().any(|r| r.result == AuditResult::Applied));
        assert!(
            matches!(&mine[mine.len() - 1].result, AuditResult::Failed(m) if m.contains("conflict")),
            "{mine:?}"
        );
        assert!(mine.iter().all(|r| r.time.ends_with('Z') && r.context.is_empty()));
        let events = events_with_reason(&client, &ns, "OsctuiEditYAML").await;
        assert_eq!(events.len(), mine.len(), "{events:?}");
        assert!(events.iter().all(|e| {
            e.involved_object.name.as_deref() == Some(SCRATCH)
                && e.involved_object.kind.as_deref() == Some("Hwfka")
                && e.involved_object.uid.as_deref() == Some(uid.as_str())
                && e.reporting_component.as_deref() == Some("osctui")
        }));
        assert!(events.iter().any(|e| e.type_.as_deref() == Some("Warning")));
    })
    .await;
}

#[tokio::test]
async fn create_delete_patch_and_restart() {
    setup();
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "ops-writes", |client, ns| async move {
        let cr = scratch_kafka(&client, &ns).await;
        let uid = cr["metadata"]["uid"].as_str().unwrap().to_owned();
        // The console's id of an instance is its uid; a test id is not.
        let instance = target(&ns, SCRATCH, &uid);

        // Create an operation CR: the dry run shows the defaults, stores nothing.
        let backup = json!({
            "apiVersion": format!("{GROUP}/{VERSION}"),
            "kind": "HwfkaBackup",
            "metadata": {"name": "nightly", "namespace": ns},
            "spec": {"instanceName": SCRATCH},
        });
        let create = write_of(
            instance.clone(),
            OpKind::Action("kafka-backup".into()),
            WritePlan::Create { body: backup },
            "backup",
        );
        let backups: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            &ns,
            &resource("HwfkaBackup", "hwfkabackups"),
        );
        match write::dry_run(client.clone(), &settings(), 1, create.clone()).await {
            OpsEvent::Previewed { before, after, .. } => {
                assert_eq!(before, json!({}));
                assert_eq!(after["spec"]["compress"], true, "{after}");
            }
            other => panic!("{other:?}"),
        }
        assert!(backups.get_opt("nightly").await.unwrap().is_none());
        match write::apply(client.clone(), &settings(), 2, create.clone()).await {
            OpsEvent::Applied { after, audit, .. } => {
                assert_eq!(after["metadata"]["name"], "nightly");
                let record = audit.unwrap();
                assert_eq!(record.action, "action kafka-backup");
                assert_eq!(record.object, format!("Hwfka {ns}/{SCRATCH}"));
            }
            other => panic!("{other:?}"),
        }
        assert!(backups.get_opt("nightly").await.unwrap().is_some());
        // A name that exists already is never overwritten.
        let answer = write::apply(client.clone(), &settings(), 3, create).await;
        let OpsEvent::ApplyFailed {
            error: WriteError::Conflict { current: existing, .. },
            ..
        } = answer
        else {
            panic!("expected a conflict: {answer:?}");
        };
        assert_eq!(existing["metadata"]["name"], "nightly", "{existing}");
        let events = events_with_reason(&client, &ns, "OsctuiActionKafkaBackup").await;
        assert_eq!(events.len(), 2, "{events:?}");

        // Delete with a wrong uid: a conflict, nothing deleted.
        let now = current(&client, &ns).await;
        let delete = |uid: &str, rv: &str| {
            write_of(
                instance.clone(),
                OpKind::Delete,
                WritePlan::Delete {
                    object: object_ref(&ns, SCRATCH),
                    uid: uid.into(),
                    resource_version: rv.into(),
                },
                "delete",
            )
        };
        let rv = now["metadata"]["resourceVersion"].as_str().unwrap();
        let answer = write::apply(client.clone(), &settings(), 4, delete("not-the-uid", rv)).await;
        let OpsEvent::ApplyFailed {
            error: WriteError::Conflict { current: seen, .. },
            ..
        } = answer
        else {
            panic!("expected a conflict: {answer:?}");
        };
        assert_eq!(seen["metadata"]["uid"], uid.as_str());
        assert!(current(&client, &ns).await["metadata"]["deletionTimestamp"].is_null());
        // The dry run of the right delete shows the object going, stores nothing.
        let now = current(&client, &ns).await;
        let rv = now["metadata"]["resourceVersion"].as_str().unwrap().to_owned();
        match write::dry_run(client.clone(), &settings(), 5, delete(&uid, &rv)).await {
            OpsEvent::Previewed { before, after, .. } => {
                assert_eq!(before["metadata"]["name"], SCRATCH);
                assert_eq!(after, json!({}));
            }
            OpsEvent::PreviewFailed {
                error: WriteError::Conflict { .. },
                ..
            } => {} // the operator wrote its status meanwhile
            other => panic!("{other:?}"),
        }
        assert!(current(&client, &ns).await["metadata"]["deletionTimestamp"].is_null());

        // Remove the finalizers (the operator adds its own back later).
        let (after, _) = apply_fresh(&client, &ns, |now| {
            write_of(
                instance.clone(),
                OpKind::RemoveFinalizers,
                WritePlan::MergePatch {
                    object: object_ref(&ns, SCRATCH),
                    patch: json!({"metadata": {
                        "finalizers": null,
                        "resourceVersion": now["metadata"]["resourceVersion"],
                    }}),
                },
                "remove finalizers",
            )
        })
        .await;
        assert!(after["metadata"]["finalizers"].is_null(), "{after}");
        // A patch without resourceVersion is refused.
        let unguarded = write_of(
            instance.clone(),
            OpKind::RemoveFinalizers,
            WritePlan::MergePatch {
                object: object_ref(&ns, SCRATCH),
                patch: json!({"metadata": {"finalizers": null}}),
            },
            "remove finalizers",
        );
        let answer = write::apply(client.clone(), &settings(), 6, unguarded).await;
        assert!(
            matches!(&answer, OpsEvent::ApplyFailed { error: WriteError::Other(m), .. } if m.contains("resourceVersion")),
            "{answer:?}"
        );

        // Rollout restart: the StatefulSet's pod template gets the stamp.
        let stamp = "2026-11-28T05:00:00Z";
        let restart = write_of(
            instance.clone(),
            OpKind::Restart,
            WritePlan::Restart {
                namespace: ns.clone(),
                selector: format!("app.kubernetes.io/instance={SCRATCH}"),
                restarted_at: stamp.into(),
            },
            "restart",
        );
        match write::dry_run(client.clone(), &settings(), 7, restart.clone()).await {
            OpsEvent::Previewed { before, after, .. } => {
                assert_eq!(after["workloads"][0]["kind"], "StatefulSet", "{after}");
                assert_eq!(after["workloads"][0]["restartedAt"], stamp);
                assert!(before["workloads"][0]["restartedAt"].is_null(), "{before}");
            }
            other => panic!("{other:?}"),
        }
        let mut applied = None;
        for _ in 0..10 {
            match write::apply(client.clone(), &settings(), 8, restart.clone()).await {
                OpsEvent::Applied { after, .. } => {
                    applied = Some(after);
                    break;
                }
                OpsEvent::ApplyFailed {
                    error: WriteError::Conflict { .. },
                    ..
                } => tokio::time::sleep(Duration::from_millis(300)).await,
                other => panic!("{other:?}"),
            }
        }
        let after = applied.expect("the restart kept conflicting");
        let name = after["workloads"][0]["name"].as_str().unwrap().to_owned();
        let sets: Api<StatefulSet> = Api::namespaced(client.clone(), &ns);
        let set = sets.get(&name).await.unwrap();
        let annotations = set
            .spec
            .and_then(|s| s.template.metadata)
            .and_then(|m| m.annotations)
            .unwrap_or_default();
        assert_eq!(annotations.get(write::RESTARTED_AT).map(String::as_str), Some(stamp));
        assert!(!events_with_reason(&client, &ns, "OsctuiRestart").await.is_empty());
    })
    .await;
}

/// Runs the sandbox's helm against the sandbox; panics with its stderr.
fn helm(args: &[&str]) -> String {
    let binary = std::env::var_os("OSCTUI_HELM").expect("no helm binary for the test");
    let out = std::process::Command::new(binary)
        .args(args)
        .arg("--kubeconfig")
        .arg(common::sandbox_kubeconfig_path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "helm {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Packages examples/memcached/chart as `version` into `dir`.
fn package(dir: &Path, version: &str) -> String {
    let chart = common::workspace_root().join("examples/memcached/chart");
    let binary = std::env::var_os("OSCTUI_HELM").unwrap();
    let out = std::process::Command::new(binary)
        .arg("package")
        .arg(&chart)
        .args(["--version", version, "-d"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join(format!("memcached-{version}.tgz"))
        .to_string_lossy()
        .into_owned()
}

#[tokio::test]
async fn helm_upgrade_and_rollback() {
    setup();
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    if std::env::var_os("OSCTUI_HELM").is_none() {
        assert!(!common::in_ci(), "no helm binary");
        eprintln!("SKIPPED: no helm binary (sandbox cache or OSCTUI_HELM)");
        return;
    }
    common::with_namespace(&client, "ops-helm", |client, ns| async move {
        let charts = setup().join(format!("charts-{ns}"));
        std::fs::create_dir_all(&charts).unwrap();
        let first = package(&charts, "1.0.0");
        let second = package(&charts, "1.1.0");
        helm(&[
            "install",
            "cache",
            &first,
            "-n",
            &ns,
            "--set",
            "replicaCount=1",
        ]);
        let release = InstanceRef {
            uid: format!("helm:{ns}/cache"),
            name: "cache".into(),
            namespace: ns.clone(),
            service: "memcached".into(),
            kind: ServiceKind::Helm,
        };
        let upgrade = |expected_revision: u32| {
            write_of(
                release.clone(),
                OpKind::HelmUpgrade,
                WritePlan::Helm(HelmWrite::Upgrade {
                    release: "cache".into(),
                    namespace: ns.clone(),
                    chart: second.clone(),
                    version: "1.1.0".into(),
                    values: json!({"replicaCount": 2}),
                    expected_revision,
                }),
                "helm upgrade 1.0.0 -> 1.1.0",
            )
        };
        match write::dry_run(client.clone(), &settings(), 1, upgrade(1)).await {
            OpsEvent::Previewed { before, after, .. } => {
                assert_eq!(before["revision"], 1);
                assert_eq!(before["values"]["replicaCount"], 1, "{before}");
                assert_eq!(after["values"]["replicaCount"], 2, "{after}");
                let manifest = after["manifest"].as_str().unwrap();
                assert!(manifest.contains("replicas: 2"), "{manifest}");
            }
            other => panic!("{other:?}"),
        }
        let history = helm(&["history", "cache", "-n", &ns, "-o", "json"]);
        assert_eq!(
            serde_json::from_str::<Value>(&history)
                .unwrap()
                .as_array()
                .unwrap()
                .len(),
            1
        );

        match write::apply(client.clone(), &settings(), 2, upgrade(1)).await {
            OpsEvent::Applied { after, audit, .. } => {
                assert_eq!(after, json!({"revision": 2}));
                let record = audit.unwrap();
                assert_eq!(record.object, format!("HelmRelease {ns}/cache"));
                assert_eq!(record.action, "helm upgrade");
            }
            other => panic!("{other:?}"),
        }
        let values = helm(&["get", "values", "cache", "-n", &ns, "-o", "json"]);
        assert_eq!(
            serde_json::from_str::<Value>(&values).unwrap()["replicaCount"],
            2
        );
        // Started from revision 1, but it is at 2 now: a conflict.
        match write::apply(client.clone(), &settings(), 3, upgrade(1)).await {
            OpsEvent::ApplyFailed {
                error: WriteError::Conflict { current, .. },
                ..
            } => assert_eq!(current, json!({"revision": 2})),
            other => panic!("{other:?}"),
        }
        let rollback = write_of(
            release.clone(),
            OpKind::HelmRollback,
            WritePlan::Helm(HelmWrite::Rollback {
                release: "cache".into(),
                namespace: ns.clone(),
                revision: 1,
                expected_revision: 2,
            }),
            "helm rollback to 1",
        );
        match write::dry_run(client.clone(), &settings(), 4, rollback.clone()).await {
            OpsEvent::Previewed { before, after, .. } => {
                assert_eq!(before["values"]["replicaCount"], 2, "{before}");
                assert_eq!(after["values"]["replicaCount"], 1, "{after}");
            }
            other => panic!("{other:?}"),
        }
        match write::apply(client.clone(), &settings(), 5, rollback).await {
            OpsEvent::Applied { after, .. } => assert_eq!(after, json!({"revision": 3})),
            other => panic!("{other:?}"),
        }
        let values = helm(&["get", "values", "cache", "-n", &ns, "-o", "json"]);
        assert_eq!(
            serde_json::from_str::<Value>(&values).unwrap()["replicaCount"],
            1
        );
        let events = events_with_reason(&client, &ns, "OsctuiHelmUpgrade").await;
        assert_eq!(events.len(), 2, "{events:?}");
        assert!(
            events
                .iter()
                .all(|e| e.involved_object.kind.as_deref() == Some("Secret"))
        );
        assert!(
            !events_with_reason(&client, &ns, "OsctuiHelmRollback")
                .await
                .is_empty()
        );
        let _ = std::fs::remove_dir_all(&charts);
    })
    .await;
}
