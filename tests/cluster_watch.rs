//! The cluster layer against the sandbox's real API server: the seeded
//! services and instances, live changes within a second, namespace scoping.
//!
//! Without a reachable sandbox each test prints "SKIPPED: ..." and returns;
//! with `CI=true` it fails instead.

use osctui_testkit as common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::FutureExt as _;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, PostParams};
use osctui::action::{Connection, Msg};
use osctui::cluster::{Cluster, ClusterOptions};
use osctui::state::rows::{Health, InstanceRow, OperatorHealth, ServiceKind, ServiceRow};
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// First complete list of a cluster this size.
const SYNC_TIMEOUT: Duration = Duration::from_secs(60);
/// A change made with kubectl must reach the console within this.
const LIVE: Duration = Duration::from_secs(1);

/// What the console would know: instances and services as last sent.
struct Model {
    rx: mpsc::Receiver<Msg>,
    instances: HashMap<String, InstanceRow>,
    services: Vec<ServiceRow>,
    synced: bool,
    disconnected: Option<String>,
    /// Every instance name (namespace/name) any message ever carried.
    ever: HashSet<String>,
    notices: Vec<String>,
}

impl Model {
    fn start(namespace: Option<String>) -> (Cluster, Model) {
        Self::start_with_cache(namespace, None)
    }

    fn start_with_cache(namespace: Option<String>, cache_dir: Option<PathBuf>) -> (Cluster, Model) {
        let (tx, rx) = mpsc::channel(256);
        let opts = ClusterOptions {
            kubeconfig: Some(common::sandbox_kubeconfig_path()),
            namespace,
            cache_dir,
            ..ClusterOptions::default()
        };
        let cluster = Cluster::start(opts, tx);
        let model = Model {
            rx,
            instances: HashMap::new(),
            services: Vec::new(),
            synced: false,
            disconnected: None,
            ever: HashSet::new(),
            notices: Vec::new(),
        };
        (cluster, model)
    }

    fn apply(&mut self, msg: Msg) {
        match msg {
            Msg::InstancesRelisted(rows) => {
                self.ever
                    .extend(rows.iter().map(|r| format!("{}/{}", r.namespace, r.name)));
                self.instances = rows.into_iter().map(|r| (r.uid.clone(), r)).collect();
            }
            Msg::InstancesUpserted(rows) => {
                for row in rows {
                    self.ever.insert(format!("{}/{}", row.namespace, row.name));
                    self.instances.insert(row.uid.clone(), row);
                }
            }
            Msg::Notice(text) => self.notices.push(text),
            Msg::InstanceRemoved(uid) => {
                self.instances.remove(&uid);
            }
            Msg::ServicesChanged(rows) => self.services = rows,
            Msg::Synced => self.synced = true,
            Msg::Connection(Connection::Disconnected { error, .. }) => {
                self.disconnected = Some(error);
            }
            Msg::Connection(Connection::Connected) => self.disconnected = None,
            _ => {}
        }
    }

    /// Applies messages until `done` holds or `timeout` passes; the time
    /// it took, or what was last seen.
    async fn until(
        &mut self,
        timeout: Duration,
        mut done: impl FnMut(&Model) -> bool,
    ) -> Result<Duration, String> {
        let start = Instant::now();
        let deadline = start + timeout;
        loop {
            if self.synced && done(self) {
                return Ok(start.elapsed());
            }
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Ok(Some(msg)) => self.apply(msg),
                Ok(None) => return Err("channel closed".into()),
                Err(_) => {
                    return Err(format!(
                        "synced={} disconnected={:?} instances={:?} services={:?}",
                        self.synced,
                        self.disconnected,
                        self.instances
                            .values()
                            .map(|r| format!(
                                "{}/{} {:?} {:?}",
                                r.namespace, r.name, r.health, r.ready
                            ))
                            .collect::<Vec<_>>(),
                        self.services
                            .iter()
                            .map(|s| format!("{} {:?}", s.name, s.operator))
                            .collect::<Vec<_>>()
                    ));
                }
            }
        }
    }

    fn find(&self, namespace: &str, name: &str) -> Option<&InstanceRow> {
        self.instances
            .values()
            .find(|r| r.namespace == namespace && r.name == name)
    }

    fn service(&self, name: &str) -> Option<&ServiceRow> {
        self.services.iter().find(|s| s.name == name)
    }
}

#[tokio::test]
async fn seeded_services_and_instances_appear() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let (mut cluster, mut model) = Model::start(None);
    let waited = model
        .until(SYNC_TIMEOUT, |m| {
            m.find("team-a", "orders").is_some() && m.find("cache", "web-cache").is_some()
        })
        .await;
    assert!(waited.is_ok(), "sync: {waited:?}");

    let orders = model.find("team-a", "orders").cloned();
    let orders = orders.unwrap_or_else(|| panic!("team-a/orders listed"));
    assert_eq!(orders.service, "kafka");
    assert_eq!(orders.kind, ServiceKind::Operator);
    assert_eq!(orders.version.as_deref(), Some("3.7.1"));
    assert_eq!(orders.health, Health::Healthy);
    assert_eq!(orders.ready, (3, 3));

    let health = |m: &Model, ns: &str, name: &str| m.find(ns, name).map(|r| r.health);
    assert_eq!(
        health(&model, "team-b", "legacy-events"),
        Some(Health::Failed)
    );
    // clickstream upgrades for 10 minutes after the sandbox is seeded.
    let hwfkas = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("osctest.osctui.dev", "v1", "Hwfka"),
        "hwfkas",
    );
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), "team-b", &hwfkas);
    let phase = api.get("clickstream").await.ok().and_then(|o| {
        o.data
            .pointer("/status/phase")
            .and_then(|p| p.as_str())
            .map(str::to_owned)
    });
    let expected = if phase.as_deref() == Some("Upgrading") {
        Health::Progressing
    } else {
        Health::Healthy
    };
    assert_eq!(health(&model, "team-b", "clickstream"), Some(expected));
    assert_eq!(health(&model, "team-a", "sessions"), Some(Health::Deleting));
    assert_eq!(
        model
            .find("team-a", "zookeeper")
            .map(|r| r.service.as_str()),
        Some("zookeeper")
    );

    let web = model.find("cache", "web-cache").cloned();
    let web = web.unwrap_or_else(|| panic!("cache/web-cache listed"));
    assert_eq!(web.uid, "helm:cache/web-cache");
    assert_eq!(web.kind, ServiceKind::Helm);
    assert_eq!(web.service, "memcached");
    assert_eq!(web.version.as_deref(), Some("1.2.0"));
    assert_eq!(web.health, Health::Healthy);
    assert_eq!(web.ready, (2, 2));
    let session_cache = model.find("team-a", "session-cache").map(|r| r.health);
    assert_eq!(session_cache, Some(Health::Failed));

    let kafka = model.service("kafka").cloned();
    let kafka = kafka.unwrap_or_else(|| panic!("kafka service listed"));
    assert_eq!(kafka.kind, ServiceKind::Operator);
    assert_eq!(kafka.display_name, "Kafka");
    assert!(kafka.allowed_versions.contains(&"3.7.1".to_owned()));
    assert!(
        model.service("kafka-backup").is_none(),
        "operation CSDs are not services"
    );
    assert_eq!(
        model.service("memcached").map(|s| s.kind),
        Some(ServiceKind::Helm)
    );

    // Operator health arrives from its own watches, shortly after the sync.
    let operators = model
        .until(Duration::from_secs(20), |m| {
            let redis = m.service("redis").map(|s| s.operator.clone());
            let kafka = m.service("kafka").map(|s| s.operator.clone());
            matches!(redis, Some(OperatorHealth::NotAvailable { reason }) if reason.contains("ImagePullBackOff"))
                && kafka == Some(OperatorHealth::Available)
        })
        .await;
    assert!(operators.is_ok(), "operator health: {operators:?}");
    cluster.shutdown();
}

fn crd_manifest(group: &str, plural: &str, kind: &str) -> CustomResourceDefinition {
    let value = json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": format!("{plural}.{group}")},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": plural, "singular": plural.trim_end_matches('s'), "kind": kind},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {"type": "object",
                    "x-kubernetes-preserve-unknown-fields": true}}
            }]
        }
    });
    serde_json::from_value(value).unwrap_or_else(|e| panic!("static CRD manifest: {e}"))
}

fn csd_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("osc.io", "v1beta1", "CustomServiceDefinition"),
        "customservicedefinitions",
    )
}

fn instance(resource: &ApiResource, name: &str, tag: &str) -> DynamicObject {
    let mut object = DynamicObject::new(name, resource);
    object.data = json!({"spec": {"image": format!("registry.invalid/test/widget:{tag}"), "replicas": 2},
        "status": {"phase": "Running"}});
    object
}

/// A CRD and a CSD of its own, removed when the test ends.
struct OwnService {
    client: Client,
    crd: String,
    csd: String,
}

impl OwnService {
    async fn create(client: &Client, prefix: &str) -> (OwnService, ApiResource) {
        let unique = common::unique_name(prefix);
        let group = format!("{unique}.osctui.test");
        let kind = "Widget";
        let crd = crd_manifest(&group, "widgets", kind);
        let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
        let created = crds.create(&PostParams::default(), &crd).await;
        assert!(created.is_ok(), "create CRD: {created:?}");
        let own = OwnService {
            client: client.clone(),
            crd: format!("widgets.{group}"),
            csd: unique.clone(),
        };
        // Wait until the CRD is served.
        let resource = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk(&group, "v1", kind),
            "widgets",
        );
        let probe: Api<DynamicObject> = Api::all_with(client.clone(), &resource);
        common::eventually(
            "CRD served",
            Duration::from_secs(30),
            Duration::from_millis(200),
            || {
                let probe = probe.clone();
                async move {
                    probe
                        .list(&Default::default())
                        .await
                        .map(|_| ())
                        .map_err(|e| e.to_string())
                }
            },
        )
        .await;
        let csds: Api<DynamicObject> = Api::all_with(client.clone(), &csd_resource());
        let mut csd = DynamicObject::new(&unique, &csd_resource());
        csd.data = json!({"spec": {
            "displayName": "Widgets",
            "role": "serviceEntity",
            "packageType": "Operator",
            "CRDRef": {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
                       "name": own.crd},
            "versionDefinition": {"mode": "tag", "path": "spec.image", "tags": ["1.0.0", "1.1.0"]}
        }});
        let created = csds.create(&PostParams::default(), &csd).await;
        assert!(created.is_ok(), "create CSD: {created:?}");
        (own, resource)
    }

    async fn delete(self) {
        let csds: Api<DynamicObject> = Api::all_with(self.client.clone(), &csd_resource());
        if let Err(e) = csds.delete(&self.csd, &DeleteParams::default()).await {
            eprintln!("cleanup: CSD {}: {e}", self.csd);
        }
        let crds: Api<CustomResourceDefinition> = Api::all(self.client.clone());
        if let Err(e) = crds.delete(&self.crd, &DeleteParams::default()).await {
            eprintln!("cleanup: CRD {}: {e}", self.crd);
        }
    }
}

#[tokio::test]
async fn instance_created_with_the_api_appears_within_a_second() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let (own, resource) = OwnService::create(&client, "cw-live").await;
    let csd = own.csd.clone();
    // The CRD and CSD are removed also when an assertion fails.
    let outcome = std::panic::AssertUnwindSafe(common::with_namespace(
        &client,
        "cw-live",
        |client, ns| async move {
            let (mut cluster, mut model) = Model::start(None);
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &resource);
            // A first instance shows the new service's watch is running.
            let warm = api
                .create(
                    &PostParams::default(),
                    &instance(&resource, "warm", "1.0.0"),
                )
                .await;
            assert!(warm.is_ok(), "create: {warm:?}");
            let seen = model
                .until(SYNC_TIMEOUT, |m| m.find(&ns, "warm").is_some())
                .await;
            assert!(seen.is_ok(), "warm instance: {seen:?}");
            let warm = model.find(&ns, "warm").cloned();
            let warm = warm.unwrap_or_else(|| panic!("listed"));
            assert_eq!(warm.service, csd);
            assert_eq!(warm.version.as_deref(), Some("1.0.0"));
            assert_eq!(warm.ready, (0, 2));
            assert_eq!(
                model.service(&csd).map(|s| s.display_name.as_str()),
                Some("Widgets")
            );

            let created = api
                .create(
                    &PostParams::default(),
                    &instance(&resource, "live", "1.1.0"),
                )
                .await;
            assert!(created.is_ok(), "create: {created:?}");
            let took = model
                .until(LIVE * 3, |m| m.find(&ns, "live").is_some())
                .await;
            let took = took.unwrap_or_else(|e| panic!("live instance not seen: {e}"));
            assert!(took <= LIVE, "created instance seen after {took:?}");
            assert_eq!(
                model
                    .find(&ns, "live")
                    .and_then(|r| r.version.clone())
                    .as_deref(),
                Some("1.1.0")
            );

            let deleted = api.delete("live", &DeleteParams::default()).await;
            assert!(deleted.is_ok(), "delete: {deleted:?}");
            let took = model
                .until(LIVE * 3, |m| m.find(&ns, "live").is_none())
                .await;
            let took = took.unwrap_or_else(|e| panic!("deleted instance still listed: {e}"));
            assert!(took <= LIVE, "deleted instance gone after {took:?}");
            cluster.shutdown();
        },
    ))
    .catch_unwind()
    .await;
    own.delete().await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

#[tokio::test]
async fn namespace_scoping_limits_instances() {
    let Some(_client) = common::sandbox_client().await else {
        return;
    };
    let (mut cluster, mut model) = Model::start(Some("team-b".to_owned()));
    let seen = model
        .until(SYNC_TIMEOUT, |m| m.find("team-b", "clickstream").is_some())
        .await;
    assert!(seen.is_ok(), "team-b: {seen:?}");
    assert!(
        model.instances.values().all(|r| r.namespace == "team-b"),
        "only team-b: {:?}",
        model
            .instances
            .values()
            .map(|r| &r.namespace)
            .collect::<Vec<_>>()
    );
    // Switching to all namespaces relists everything.
    cluster.execute(&osctui::update::Command::WatchNamespace(None));
    model.synced = true;
    let all = model
        .until(SYNC_TIMEOUT, |m| {
            m.find("team-a", "orders").is_some() && m.find("cache", "web-cache").is_some()
        })
        .await;
    assert!(all.is_ok(), "all namespaces: {all:?}");
    cluster.shutdown();
}

/// The warm-start file a session wrote under `cache`, as JSON, once its
/// entry for `service` has a target of `version`.
async fn warm_file(cache: &Path, service: &str, version: &str) -> serde_json::Value {
    let dir = cache.join("warm");
    let mut last = String::new();
    for _ in 0..50 {
        let files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        if let [file] = files.as_slice() {
            let text = std::fs::read_to_string(file).unwrap_or_default();
            let value: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
            let has = value["services"].as_array().is_some_and(|list| {
                list.iter().any(|e| {
                    e["csd"]["metadata"]["name"] == service && e["target"]["version"] == version
                })
            });
            if has {
                return value;
            }
            last = text;
        } else {
            last = format!("{} files in {}", files.len(), dir.display());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no warm-start entry for {service} with version {version}: {last}");
}

/// A start from the warm-start cache lists the cached services' instances
/// at once, corrects a cached target the cluster no longer serves without
/// a notice, and never shows a service whose CSD is gone.
#[tokio::test]
async fn a_warm_start_is_corrected_by_the_cluster() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let (own, resource) = OwnService::create(&client, "cw-warm").await;
    let csd = own.csd.clone();
    let cache = std::env::temp_dir().join(common::unique_name("osctui-warm"));
    let cache_dir = cache.clone();
    let outcome = std::panic::AssertUnwindSafe(common::with_namespace(
        &client,
        "cw-warm",
        |client, ns| async move {
            let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), &ns, &resource);
            let one = api
                .create(&PostParams::default(), &instance(&resource, "one", "1.0.0"))
                .await;
            assert!(one.is_ok(), "create: {one:?}");
            let key = format!("{ns}/one");

            // 1. Cold: the file is written once the lists are whole.
            let (mut cluster, mut model) =
                Model::start_with_cache(Some(ns.clone()), Some(cache.clone()));
            let seen = model
                .until(SYNC_TIMEOUT, |m| m.find(&ns, "one").is_some())
                .await;
            assert!(seen.is_ok(), "cold start: {seen:?}");
            let mut file = warm_file(&cache, &csd, "v1").await;
            cluster.shutdown();
            let entry = file["services"]
                .as_array_mut()
                .and_then(|list| {
                    list.iter_mut()
                        .find(|e| e["csd"]["metadata"]["name"] == csd.as_str())
                })
                .unwrap_or_else(|| panic!("entry"));
            assert_eq!(entry["target"]["plural"], "widgets");
            assert_eq!(entry["target"]["version"], "v1");

            // 2. A cached target the cluster does not serve (v9): the CRD
            //    watch corrects it, the instance is listed, nothing is said.
            entry["target"]["version"] = "v9".into();
            let path = std::fs::read_dir(cache.join("warm"))
                .ok()
                .and_then(|mut d| d.next())
                .and_then(|e| e.ok())
                .map(|e| e.path())
                .unwrap_or_else(|| panic!("warm file"));
            assert!(std::fs::write(&path, file.to_string()).is_ok());
            let (mut cluster, mut model) =
                Model::start_with_cache(Some(ns.clone()), Some(cache.clone()));
            let seen = model
                .until(SYNC_TIMEOUT, |m| m.find(&ns, "one").is_some())
                .await;
            assert!(seen.is_ok(), "wrong cached target: {seen:?}");
            assert!(
                !model.notices.iter().any(|n| n.contains("cannot watch")),
                "a wrong guess must not reach the user: {:?}",
                model.notices
            );
            // The file is rewritten with the served version (or this panics).
            let file = warm_file(&cache, &csd, "v1").await;
            cluster.shutdown();
            assert!(
                !file.to_string().contains("managedFields"),
                "the cache keeps no managedFields"
            );

            // 3. The CSD is deleted (CRD and instance stay): the cached
            //    service starts, but nothing of it is ever shown.
            let csds: Api<DynamicObject> = Api::all_with(client.clone(), &csd_resource());
            let deleted = csds.delete(&csd, &DeleteParams::default()).await;
            assert!(deleted.is_ok(), "delete CSD: {deleted:?}");
            common::eventually(
                "CSD gone",
                Duration::from_secs(10),
                Duration::from_millis(100),
                || {
                    let csds = csds.clone();
                    let csd = csd.clone();
                    async move {
                        match csds.get_opt(&csd).await {
                            Ok(None) => Ok(()),
                            other => Err(format!("{other:?}")),
                        }
                    }
                },
            )
            .await;
            let (mut cluster, mut model) =
                Model::start_with_cache(Some(ns.clone()), Some(cache.clone()));
            let synced = model.until(SYNC_TIMEOUT, |_| true).await;
            assert!(synced.is_ok(), "start without the CSD: {synced:?}");
            // Later flushes too (the cached watch may still be listing).
            let _ = model
                .until(Duration::from_secs(2), |m| m.ever.contains(&key))
                .await;
            cluster.shutdown();
            assert!(
                !model.ever.contains(&key),
                "an instance of a deleted CSD was shown: {:?}",
                model.ever
            );
            assert!(
                model.service(&csd).is_none(),
                "service row of a deleted CSD"
            );
        },
    ))
    .catch_unwind()
    .await;
    own.delete().await;
    let _ = std::fs::remove_dir_all(&cache_dir);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
