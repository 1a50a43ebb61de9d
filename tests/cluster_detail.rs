//! The instance detail watcher (`osctui::cluster::detail`) against the
//! sandbox cluster and its seeded instances (examples/README.md).
//!
//! Without a reachable sandbox each test prints "SKIPPED: ..." and returns;
//! with `CI=true` it fails instead.

use std::time::Duration;

use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams,
};
use kube::{Client, ResourceExt as _};
use osctui::action::Msg;
use osctui::cluster::detail;
use osctui::domain::descriptors::MASK;
use osctui::state::detail::{InstanceDetail, InstanceRef};
use osctui::state::rows::{Health, ServiceKind};
use osctui_testkit as common;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Time for the first snapshot: CSD and CRD lookups, then every watch's
/// initial list.
const FIRST_SNAPSHOT: Duration = Duration::from_secs(20);

fn operator(namespace: &str, name: &str, service: &str) -> InstanceRef {
    InstanceRef {
        uid: format!("test:{namespace}/{name}"),
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        service: service.to_owned(),
        kind: ServiceKind::Operator,
    }
}

/// A running detail watch; aborted when dropped, as the console does.
struct Watch {
    rx: mpsc::Receiver<Msg>,
    handle: tokio::task::JoinHandle<()>,
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl Watch {
    fn start(client: &Client, target: InstanceRef) -> Self {
        let (tx, rx) = mpsc::channel(64);
        let handle = detail::spawn(client.clone(), target, tx);
        Self { rx, handle }
    }

    /// The next message within `timeout`.
    async fn next(&mut self, timeout: Duration) -> Option<Msg> {
        tokio::time::timeout(timeout, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// The first snapshot satisfying `check` within `timeout`; panics with
    /// what was last seen otherwise.
    async fn until(
        &mut self,
        timeout: Duration,
        what: &str,
        check: impl Fn(&InstanceDetail) -> bool,
    ) -> Box<InstanceDetail> {
        let deadline = Instant::now() + timeout;
        let mut last = String::from("nothing");
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Some(Msg::DetailUpdated(detail)) => {
                    if check(&detail) {
                        return detail;
                    }
                    last = format!("{detail:#?}");
                }
                Some(Msg::DetailFailed { error, .. }) => panic!("{what}: detail failed: {error}"),
                Some(_) => {}
                None => panic!("{what}: not seen within {timeout:?}; last snapshot: {last}"),
            }
        }
    }
}

#[tokio::test]
async fn kafka_instance_in_detail() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let mut watch = Watch::start(&client, operator("team-a", "orders", "kafka"));
    // The seeded brokers may still be starting when the sandbox is fresh.
    let detail = watch
        .until(
            Duration::from_secs(90),
            "orders with 3 pods and events",
            |d| d.resources.iter().filter(|n| n.kind == "Pod").count() == 3 && !d.events.is_empty(),
        )
        .await;

    let field = |label: &str| {
        detail
            .overview
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.value.clone())
    };
    assert_eq!(
        field("Phase").as_deref(),
        Some("Running"),
        "{:#?}",
        detail.overview
    );
    assert_eq!(field("Version").as_deref(), Some("3.7.1"));
    assert_eq!(field("Ready brokers").as_deref(), Some("3"));
    assert_eq!(detail.health, Health::Healthy);
    // The example operator reports the generation it acted on.
    let generation = detail.generation.expect("metadata.generation");
    let observed = detail
        .observed_generation
        .expect("status.observedGeneration");
    assert!(generation >= 1 && observed >= 1, "{generation} {observed}");
    let ready = detail
        .conditions
        .iter()
        .find(|c| c.type_ == "Ready")
        .expect("a Ready condition");
    assert!(ready.good && ready.status == "True" && ready.last_transition.is_some());
    assert!(
        detail.conditions.iter().all(|c| c.good),
        "{:#?}",
        detail.conditions
    );

    // The StatefulSet with its three pods below it, then the rest.
    let sts = detail
        .resources
        .iter()
        .position(|n| n.kind == "StatefulSet" && n.name == "orders")
        .expect("StatefulSet orders");
    assert_eq!(detail.resources[sts].depth, 0);
    assert!(
        detail.resources[sts]
            .status
            .starts_with("3/3 ready, revision ")
    );
    let pods: Vec<&str> = detail.resources[sts + 1..sts + 4]
        .iter()
        .filter(|n| n.kind == "Pod" && n.depth == 1)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(pods, ["orders-0", "orders-1", "orders-2"]);
    let pvcs: Vec<_> = detail
        .resources
        .iter()
        .filter(|n| n.kind == "PersistentVolumeClaim")
        .collect();
    assert_eq!(pvcs.len(), 3, "{:#?}", detail.resources);
    assert!(pvcs.iter().all(|p| p.status.starts_with("Bound")));
    assert!(detail.resources.iter().any(|n| n.kind == "Service"));
    assert!(detail.resources.iter().any(|n| n.kind == "ConfigMap"));
    // Nothing of the other instances of the namespace.
    assert!(!detail.resources.iter().any(|n| n.name.contains("payments")));

    assert!(detail.events.windows(2).all(|w| w[0].time >= w[1].time));
    assert!(
        detail.events.iter().all(|e| e.object.contains("orders")),
        "{:#?}",
        detail.events
    );

    assert_eq!(detail.dependencies.len(), 1);
    let zk = &detail.dependencies[0];
    assert_eq!(zk.service, "zookeeper");
    assert_eq!(zk.instance.as_deref(), Some("team-a/zookeeper"));
    assert_eq!(zk.health, Health::Healthy, "{zk:?}");

    assert!(
        detail
            .spec_masked
            .contains(&format!("adminPassword: {MASK}"))
    );
    assert!(!detail.spec_masked.contains("orders-admin-example"));
    assert!(
        detail
            .spec_revealed
            .contains("adminPassword: orders-admin-example")
    );
    assert!(
        detail
            .spec_revealed
            .contains("zookeeperRef:\n  name: zookeeper\n")
    );
    assert!(detail.problems.is_empty(), "{:?}", detail.problems);

    // Nothing changes: no identical snapshot is sent again.
    match watch.next(Duration::from_millis(600)).await {
        Some(Msg::DetailUpdated(again)) => assert_ne!(again, detail),
        Some(other) => panic!("unexpected {other:?}"),
        None => {}
    }
}

#[tokio::test]
async fn failed_upgrade_shows_crash_looping_pods() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let mut watch = Watch::start(&client, operator("team-b", "legacy-events", "kafka"));
    let detail = watch
        .until(Duration::from_secs(90), "a crash-looping broker", |d| {
            d.resources.iter().any(|n| {
                n.kind == "Pod"
                    && n.health == Health::Failed
                    && n.reason
                        .as_deref()
                        .is_some_and(|r| r.starts_with("CrashLoopBackOff"))
            })
        })
        .await;
    assert_eq!(detail.health, Health::Failed);
    assert!(
        detail
            .overview
            .iter()
            .any(|f| f.label == "Phase" && f.value == "Failed")
    );
    assert!(detail.conditions.iter().any(|c| !c.good));
    assert!(detail.events.iter().any(|e| e.warning));
}

#[tokio::test]
async fn helm_release_history_notes_and_values() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let target = InstanceRef {
        uid: "helm:cache/web-cache".to_owned(),
        name: "web-cache".to_owned(),
        namespace: "cache".to_owned(),
        service: "memcached".to_owned(),
        kind: ServiceKind::Helm,
    };
    let mut watch = Watch::start(&client, target);
    let detail = watch.until(FIRST_SNAPSHOT, "web-cache", |_| true).await;
    let helm = detail.helm.as_ref().expect("Helm detail");
    assert_eq!(
        (detail.generation, detail.observed_generation),
        (None, None)
    );
    let revisions: Vec<u32> = helm.history.iter().map(|h| h.revision).collect();
    assert_eq!(revisions, [3, 2, 1]);
    assert_eq!(helm.revision, 3);
    assert_eq!(helm.status, "deployed");
    assert_eq!(helm.chart, "memcached");
    assert_eq!(helm.chart_version, "1.2.0");
    assert_eq!(helm.history[0].status, "deployed");
    assert_eq!(helm.history[1].status, "superseded");
    assert!(helm.history.iter().all(|h| h.updated.is_some()));
    assert!(!helm.notes.trim().is_empty());
    assert!(!helm.computed_values.trim().is_empty());
    assert!(
        helm.computed_values.contains("replicaCount"),
        "{}",
        helm.computed_values
    );
    assert!(!helm.manifest_resources.is_empty());
    assert!(detail.spec_masked.ends_with('\n'));
    assert!(
        detail
            .overview
            .iter()
            .any(|f| f.label == "Chart version" && f.value == "1.2.0"),
        "{:#?}",
        detail.overview
    );
    assert!(
        detail.resources.iter().any(|n| n.kind == "Deployment"),
        "{:#?}",
        detail.resources
    );
    assert!(
        detail
            .resources
            .iter()
            .any(|n| n.kind == "Pod" && n.depth >= 1)
    );
}

#[tokio::test]
async fn failed_helm_revision_is_latest() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let target = InstanceRef {
        uid: "helm:team-a/session-cache".to_owned(),
        name: "session-cache".to_owned(),
        namespace: "team-a".to_owned(),
        service: "memcached".to_owned(),
        kind: ServiceKind::Helm,
    };
    let mut watch = Watch::start(&client, target);
    let detail = watch.until(FIRST_SNAPSHOT, "session-cache", |_| true).await;
    let helm = detail.helm.as_ref().expect("Helm detail");
    assert_eq!(helm.revision, 2);
    assert_eq!(helm.status, "failed");
    assert_eq!(detail.health, Health::Failed);
    assert!(!detail.resources.iter().any(|n| n.name.contains("orders")));
}

#[tokio::test]
async fn stuck_deletion_and_missing_things() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let mut sessions = Watch::start(&client, operator("team-a", "sessions", "redis"));
    let detail = sessions.until(FIRST_SNAPSHOT, "sessions", |_| true).await;
    assert_eq!(detail.health, Health::Deleting);

    let mut missing = Watch::start(&client, operator("team-a", "no-such-instance", "kafka"));
    match missing.next(FIRST_SNAPSHOT).await {
        Some(Msg::DetailFailed { uid, error }) => {
            assert_eq!(uid, "test:team-a/no-such-instance");
            assert!(error.contains("not found"), "{error}");
        }
        other => panic!("expected DetailFailed, got {other:?}"),
    }
    let mut no_csd = Watch::start(&client, operator("team-a", "orders", "no-such-service"));
    match no_csd.next(FIRST_SNAPSHOT).await {
        Some(Msg::DetailFailed { error, .. }) => assert!(error.contains("not found"), "{error}"),
        other => panic!("expected DetailFailed, got {other:?}"),
    }
}

fn hwredis() -> ApiResource {
    let gvk = GroupVersionKind::gvk("osctest.osctui.dev", "v1", "Hwredis");
    ApiResource::from_gvk_with_plural(&gvk, "hwredises")
}

#[tokio::test]
async fn changes_show_up_within_a_second() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "detail", |client, ns| async move {
        // A Redis instance: its operator never runs, so nothing but this
        // test touches it (and no finalizer holds up the cleanup).
        let api = Api::<DynamicObject>::namespaced_with(client.clone(), &ns, &hwredis());
        let cr: DynamicObject = serde_json::from_value(json!({
            "apiVersion": "osctest.osctui.dev/v1",
            "kind": "Hwredis",
            "metadata": {"name": "cache"},
            "spec": {"image": "registry.invalid/osctest/redis:7.4.1", "replicas": 1}
        }))
        .expect("valid object");
        let cr = api
            .create(&PostParams::default(), &cr)
            .await
            .expect("create Hwredis");
        let configs = Api::<k8s_openapi::api::core::v1::ConfigMap>::namespaced(client.clone(), &ns);
        let config = serde_json::from_value(json!({
            "metadata": {
                "name": "cache-config",
                "labels": {"app.kubernetes.io/instance": "cache"},
                "ownerReferences": [{"apiVersion": "osctest.osctui.dev/v1", "kind": "Hwredis",
                    "name": "cache", "uid": cr.uid().unwrap_or_default()}]
            },
            "data": {"redis.conf": "maxmemory 64mb"}
        }))
        .expect("valid object");
        configs
            .create(&PostParams::default(), &config)
            .await
            .expect("create ConfigMap");

        let mut watch = Watch::start(&client, operator(&ns, "cache", "redis"));
        let first = watch
            .until(FIRST_SNAPSHOT, "the test instance", |d| {
                d.resources.iter().any(|n| n.name == "cache-config")
            })
            .await;
        assert!(first.spec_revealed.contains("replicas: 1"));
        let node = first
            .resources
            .iter()
            .find(|n| n.name == "cache-config")
            .expect("ConfigMap");
        assert_eq!((node.depth, node.status.as_str()), (0, "1 key"));

        let patch = json!({"spec": {"replicas": 2}});
        api.patch("cache", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("patch");
        let patched = Instant::now();
        let updated = watch
            .until(Duration::from_secs(1), "the patched spec", |d| {
                d.spec_revealed.contains("replicas: 2")
            })
            .await;
        assert!(patched.elapsed() <= Duration::from_secs(1));
        assert!(updated.spec_masked.contains("replicas: 2"));

        configs
            .delete("cache-config", &Default::default())
            .await
            .expect("delete ConfigMap");
        watch
            .until(Duration::from_secs(1), "the ConfigMap gone", |d| {
                !d.resources.iter().any(|n| n.name == "cache-config")
            })
            .await;

        api.delete("cache", &Default::default())
            .await
            .expect("delete");
        watch
            .until(Duration::from_secs(2), "the instance gone", |d| {
                d.problems.iter().any(|p| p.contains("no longer exists"))
            })
            .await;
    })
    .await;
}
