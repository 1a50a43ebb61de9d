//! The Kafka operator against the sandbox cluster (`sandbox/up`).
//!
//! Each test gets a fresh namespace (deleted afterwards), applies the CRDs of
//! `examples/kafka/crds/` with server-side apply, and runs the operator's
//! controllers in-process, restricted to that namespace and to resources
//! labelled with its controller id (so an operator started by
//! `sandbox/samples` leaves them alone). Pods start at once or after a short
//! KWOK delay (the `pod-*.stage.kwok.x-k8s.io/*` annotations the operator
//! copies onto its pods).
//!
//! Without a reachable sandbox each test prints "SKIPPED: ..." and returns;
//! with `CI=true` it fails instead (see the `osctui-testkit` crate).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{FutureExt as _, StreamExt as _};
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, Event, PersistentVolumeClaim, Pod, Service};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kafka_operator::crd::{
    Hwfka, HwfkaBackup, HwfkaBackupSpec, HwfkaRestore, HwfkaRestoreSpec, HwfkaSpec,
    OperationStatus, QuantityValue, ResourceSpec, StorageSpec, Zookeeper, ZookeeperRef,
    ZookeeperSpec,
};
use kafka_operator::{CONTROLLER_LABEL, FINALIZER, Settings};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams, PostParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt as _};
use osctui_testkit as testkit;
use serde_json::json;

/// Field manager of what the tests apply.
const TEST_MANAGER: &str = "osctui-tests";
/// Time for the API server to answer one request.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// Time for a new instance to become Running and Ready.
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// Interval between looks at an object.
const POLL: Duration = Duration::from_millis(500);

const OLD_IMAGE: &str = "registry.invalid/osctest/kafka:3.6.1";
const NEW_IMAGE: &str = "registry.invalid/osctest/kafka:3.7.0";

// ---------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------

/// Runs `body` in a fresh namespace with the operator running for it. The
/// Hwfkas are deleted while the operator still runs (their finalizer needs
/// it), also when `body` panics; then the operator stops and the namespace
/// goes.
async fn with_operator<F, Fut>(prefix: &str, body: F)
where
    F: FnOnce(Client, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(client) = testkit::sandbox_client().await else {
        return;
    };
    let _ = tracing_subscriber::fmt()
        .with_test_writer()
        .with_ansi(false)
        .with_env_filter("kafka_operator=debug")
        .try_init();
    testkit::with_namespace(&client, prefix, |client, namespace| async move {
        install_crds(&client).await;
        let settings = Settings {
            controller_id: Some(namespace.clone()),
            ..Settings::default()
        };
        let operator = tokio::spawn(kafka_operator::run(
            client.clone(),
            Some(namespace.clone()),
            settings,
        ));
        let outcome = AssertUnwindSafe(body(client.clone(), namespace.clone()))
            .catch_unwind()
            .await;
        remove_instances(&client, &namespace).await;
        operator.abort();
        if let Err(panic) = outcome {
            std::panic::resume_unwind(panic);
        }
    })
    .await;
}

/// Applies the CRDs of `examples/kafka/crds/` (server-side apply, so it is
/// idempotent and safe when tests run at once) and waits until they are
/// established.
async fn install_crds(client: &Client) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crds");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        4,
        "expected 4 CRD files in {}: {files:?}",
        dir.display()
    );
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    for file in files {
        let text = std::fs::read_to_string(&file)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", file.display()));
        let crd: serde_json::Value = serde_saphyr::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not YAML: {e}", file.display()));
        let name = crd["metadata"]["name"]
            .as_str()
            .unwrap_or_else(|| panic!("{} has no metadata.name", file.display()))
            .to_owned();
        let applied = tokio::time::timeout(
            IO_TIMEOUT,
            crds.patch(
                &name,
                &PatchParams::apply(TEST_MANAGER).force(),
                &Patch::Apply(&crd),
            ),
        )
        .await;
        match applied {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("applying CRD {name} from {} failed: {e}", file.display()),
            Err(_) => panic!("applying CRD {name} did not finish within {IO_TIMEOUT:?}"),
        }
        match tokio::time::timeout(
            Duration::from_secs(60),
            await_condition(crds.clone(), &name, conditions::is_crd_established()),
        )
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("watching CRD {name} failed: {e}"),
            Err(_) => panic!("CRD {name} not Established within 60s"),
        }
    }
}

/// Deletes every Hwfka of the namespace and waits until they are gone (the
/// operator removes its finalizer); strips the finalizers of those still
/// there after 60 s, so the namespace can go.
async fn remove_instances(client: &Client, namespace: &str) {
    let hwfkas: Api<Hwfka> = Api::namespaced(client.clone(), namespace);
    if let Err(e) = hwfkas
        .delete_collection(&DeleteParams::default(), &ListParams::default())
        .await
    {
        eprintln!("cleanup: could not delete the Hwfkas of {namespace}: {e}");
    }
    let gone = tokio::time::timeout(Duration::from_secs(60), async {
        loop {
            match hwfkas.list_metadata(&ListParams::default()).await {
                Ok(list) if list.items.is_empty() => return,
                Ok(_) | Err(_) => tokio::time::sleep(POLL).await,
            }
        }
    })
    .await;
    if gone.is_err() {
        eprintln!(
            "cleanup: Hwfkas of {namespace} still there after 60s; removing their finalizers"
        );
        if let Ok(list) = hwfkas.list_metadata(&ListParams::default()).await {
            for h in list.items {
                let _ = hwfkas
                    .patch(
                        &h.name_any(),
                        &PatchParams::default(),
                        &Patch::Merge(json!({"metadata": {"finalizers": null}})),
                    )
                    .await;
            }
        }
    }
}

/// Annotations that make the pods of an instance start at once (ready after
/// `ready_delay`) and stop within a second.
fn fast_pods(ready_delay: &str, ready_jitter: &str) -> BTreeMap<String, String> {
    [
        ("pod-create.stage.kwok.x-k8s.io/delay", "0s"),
        ("pod-create.stage.kwok.x-k8s.io/jitter-delay", "0s"),
        ("pod-ready.stage.kwok.x-k8s.io/delay", ready_delay),
        ("pod-ready.stage.kwok.x-k8s.io/jitter-delay", ready_jitter),
        ("osctest.osctui.dev/termination-grace-period-seconds", "1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// Labels the resource for this test's operator.
fn assign<K: Resource>(resource: &mut K, namespace: &str) {
    resource
        .meta_mut()
        .labels
        .get_or_insert_with(BTreeMap::new)
        .insert(CONTROLLER_LABEL.to_owned(), namespace.to_owned());
    resource.meta_mut().namespace = Some(namespace.to_owned());
}

async fn create<K>(api: &Api<K>, object: &K) -> K
where
    K: Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let name = object.meta().name.clone().unwrap_or_default();
    match tokio::time::timeout(IO_TIMEOUT, api.create(&PostParams::default(), object)).await {
        Ok(Ok(created)) => created,
        Ok(Err(e)) => panic!("creating {name} failed: {e}"),
        Err(_) => panic!("creating {name} did not finish within {IO_TIMEOUT:?}"),
    }
}

/// Creates a one-server Zookeeper `name`.
async fn create_zookeeper(client: &Client, namespace: &str, name: &str) -> Zookeeper {
    let mut zookeeper = Zookeeper::new(
        name,
        ZookeeperSpec {
            version: "3.9.2".to_owned(),
            image: Some("registry.invalid/osctest/zookeeper:3.9.2".to_owned()),
            replicas: Some(1),
        },
    );
    zookeeper.metadata.annotations = Some(fast_pods("0s", "0s"));
    assign(&mut zookeeper, namespace);
    create(&Api::namespaced(client.clone(), namespace), &zookeeper).await
}

/// A Hwfka `name` at 3.6.1 with `replicas` brokers of 1Gi each that keeps
/// its metadata in the Zookeeper `zookeeper`.
fn hwfka(
    namespace: &str,
    name: &str,
    zookeeper: &str,
    replicas: i32,
    annotations: BTreeMap<String, String>,
) -> Hwfka {
    let quantities = |pairs: &[(&str, &str)]| {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), QuantityValue::String((*v).to_owned())))
            .collect::<BTreeMap<_, _>>()
    };
    let mut hwfka = Hwfka::new(
        name,
        HwfkaSpec {
            version: "3.6.1".to_owned(),
            image: Some(OLD_IMAGE.to_owned()),
            replicas: Some(replicas),
            resources: Some(ResourceSpec {
                requests: Some(quantities(&[("cpu", "500m"), ("memory", "1Gi")])),
                limits: Some(quantities(&[("cpu", "1"), ("memory", "2Gi")])),
            }),
            storage: Some(StorageSpec {
                size: Some("1Gi".to_owned()),
                storage_class_name: None,
            }),
            config: Some(
                [("num.partitions".to_owned(), "6".to_owned())]
                    .into_iter()
                    .collect(),
            ),
            zookeeper_ref: ZookeeperRef {
                name: zookeeper.to_owned(),
                namespace: None,
            },
            compression: Some("lz4".to_owned()),
            ..HwfkaSpec::default()
        },
    );
    hwfka.metadata.annotations = Some(annotations);
    assign(&mut hwfka, namespace);
    hwfka
}

/// One line about a Hwfka's status, for failure messages.
fn describe(h: &Hwfka) -> String {
    let Some(s) = &h.status else {
        return "no status".to_owned();
    };
    let conditions: Vec<String> = s
        .conditions
        .iter()
        .map(|c| format!("{}={} ({}: {})", c.type_, c.status, c.reason, c.message))
        .collect();
    format!(
        "phase={:?} current={:?} target={:?} ready={:?}/{:?} observedGeneration={:?} \
         (generation {:?}) upgrade={:?} conditions=[{}]",
        s.phase,
        s.current_version,
        s.target_version,
        s.ready_replicas,
        s.replicas,
        s.observed_generation,
        h.metadata.generation,
        s.upgrade,
        conditions.join("; ")
    )
}

fn condition<'a>(
    h: &'a Hwfka,
    type_: &str,
) -> Option<&'a k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    h.status
        .as_ref()
        .and_then(|s| s.conditions.iter().find(|c| c.type_ == type_))
}

/// Waits until the Hwfka `name` satisfies `ready`, reporting its status.
async fn wait_hwfka(
    api: &Api<Hwfka>,
    name: &str,
    what: &str,
    timeout: Duration,
    ready: impl Fn(&Hwfka) -> bool,
) -> Hwfka {
    testkit::eventually(&format!("Hwfka {name}: {what}"), timeout, POLL, || async {
        let h = api
            .get(name)
            .await
            .map_err(|e| format!("reading the Hwfka failed: {e}"))?;
        if ready(&h) { Ok(h) } else { Err(describe(&h)) }
    })
    .await
}

/// Running, Ready, every broker ready, at `version`, status up to date.
fn running_at(version: &'static str, replicas: i32) -> impl Fn(&Hwfka) -> bool {
    move |h: &Hwfka| {
        let Some(s) = &h.status else { return false };
        s.phase.as_deref() == Some("Running")
            && condition(h, "Ready").is_some_and(|c| c.status == "True")
            && s.ready_replicas == Some(replicas)
            && s.replicas == Some(replicas)
            && s.current_version.as_deref() == Some(version)
            && s.observed_generation.is_some()
            && s.observed_generation == h.metadata.generation
    }
}

/// Creates a Zookeeper `zk` and a Hwfka `name`, and waits until the Hwfka
/// is Running and Ready at 3.6.1.
async fn running_instance(
    client: &Client,
    namespace: &str,
    name: &str,
    replicas: i32,
    annotations: BTreeMap<String, String>,
) -> Hwfka {
    create_zookeeper(client, namespace, "zk").await;
    let api: Api<Hwfka> = Api::namespaced(client.clone(), namespace);
    create(&api, &hwfka(namespace, name, "zk", replicas, annotations)).await;
    wait_hwfka(
        &api,
        name,
        "Running and Ready at 3.6.1",
        READY_TIMEOUT,
        running_at("3.6.1", replicas),
    )
    .await
}

async fn set_image(api: &Api<Hwfka>, name: &str, image: &str) {
    let patched = tokio::time::timeout(
        IO_TIMEOUT,
        api.patch(
            name,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"image": image}})),
        ),
    )
    .await;
    match patched {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!("setting spec.image of {name} to {image} failed: {e}"),
        Err(_) => panic!("setting spec.image of {name} did not finish within {IO_TIMEOUT:?}"),
    }
}

/// The Events about the object `name` of `kind`, as (type, reason, note).
async fn events_about(
    client: &Client,
    namespace: &str,
    kind: &str,
    name: &str,
) -> Result<Vec<(String, String, String)>, String> {
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let selector = format!("involvedObject.kind={kind},involvedObject.name={name}");
    let list = events
        .list(&ListParams::default().fields(&selector))
        .await
        .map_err(|e| format!("listing events failed: {e}"))?;
    Ok(list
        .items
        .into_iter()
        .map(|e| {
            (
                e.type_.unwrap_or_default(),
                e.reason.unwrap_or_default(),
                e.message.unwrap_or_default(),
            )
        })
        .collect())
}

/// Waits until Events with each of `reasons` exist about the object.
async fn wait_events(
    client: &Client,
    namespace: &str,
    kind: &str,
    name: &str,
    reasons: &[&str],
) -> Vec<(String, String, String)> {
    testkit::eventually(
        &format!("Events {reasons:?} about {kind} {name}"),
        Duration::from_secs(30),
        POLL,
        || async {
            let events = events_about(client, namespace, kind, name).await?;
            let missing: Vec<&&str> = reasons
                .iter()
                .filter(|r| !events.iter().any(|(_, reason, _)| reason == **r))
                .collect();
            if missing.is_empty() {
                Ok(events)
            } else {
                Err(format!("missing {missing:?}; have {events:?}"))
            }
        },
    )
    .await
}

async fn get<K>(api: &Api<K>, name: &str) -> K
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    match tokio::time::timeout(IO_TIMEOUT, api.get(name)).await {
        Ok(Ok(object)) => object,
        Ok(Err(e)) => panic!("reading {name} failed: {e}"),
        Err(_) => panic!("reading {name} did not finish within {IO_TIMEOUT:?}"),
    }
}

async fn pods_of(client: &Client, namespace: &str, instance: &str) -> Vec<Pod> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let selector = format!("app.kubernetes.io/name=kafka,app.kubernetes.io/instance={instance}");
    match tokio::time::timeout(
        IO_TIMEOUT,
        pods.list(&ListParams::default().labels(&selector)),
    )
    .await
    {
        Ok(Ok(list)) => list.items,
        Ok(Err(e)) => panic!("listing the pods of {instance} failed: {e}"),
        Err(_) => panic!("listing the pods of {instance} did not finish within {IO_TIMEOUT:?}"),
    }
}

fn image_of(pod: &Pod) -> String {
    pod.spec
        .as_ref()
        .and_then(|s| s.containers.first())
        .and_then(|c| c.image.clone())
        .unwrap_or_default()
}

/// Waits until the PVCs `data-<name>-<i>` are all Bound.
async fn wait_claims_bound(client: &Client, namespace: &str, name: &str, replicas: i32) {
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), namespace);
    testkit::eventually(
        &format!("PVCs of {name} Bound"),
        Duration::from_secs(60),
        POLL,
        || async {
            let list = claims
                .list(&ListParams::default())
                .await
                .map_err(|e| format!("listing PVCs failed: {e}"))?;
            let phases: BTreeMap<String, String> = list
                .items
                .iter()
                .map(|c| {
                    let phase = c.status.as_ref().and_then(|s| s.phase.clone());
                    (c.name_any(), phase.unwrap_or_default())
                })
                .collect();
            let all_bound = (0..replicas).all(|i| {
                phases.get(&format!("data-{name}-{i}")).map(String::as_str) == Some("Bound")
            });
            if all_bound {
                Ok(())
            } else {
                Err(format!("PVC phases: {phases:?}"))
            }
        },
    )
    .await;
}

// ---------------------------------------------------------------------------
// Observers for the rolling upgrade
// ---------------------------------------------------------------------------

/// What a watch on the brokers saw.
#[derive(Debug, Default)]
struct BrokerWatch {
    /// The initial list is complete.
    synced: bool,
    /// Current pods by name: (ready and not terminating, image).
    pods: HashMap<String, (bool, String)>,
    /// Most brokers unavailable at once, and what was seen then.
    worst: (i32, String),
}

/// Watches the pods of an instance, recording the most brokers (of
/// `replicas`) that were unavailable at any one time.
fn watch_brokers(
    client: &Client,
    namespace: &str,
    instance: &str,
    replicas: i32,
) -> (Arc<Mutex<BrokerWatch>>, tokio::task::JoinHandle<()>) {
    let state = Arc::new(Mutex::new(BrokerWatch::default()));
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let config = watcher::Config::default().labels(&format!(
        "app.kubernetes.io/name=kafka,app.kubernetes.io/instance={instance}"
    ));
    let shared = state.clone();
    let task = tokio::spawn(async move {
        let mut initial: HashMap<String, (bool, String)> = HashMap::new();
        let mut stream = std::pin::pin!(watcher(pods, config));
        while let Some(event) = stream.next().await {
            let Ok(event) = event else { continue };
            let mut s = shared
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let view = |p: &Pod| {
                let ready = p.metadata.deletion_timestamp.is_none()
                    && p.status
                        .as_ref()
                        .and_then(|s| s.conditions.as_ref())
                        .is_some_and(|cs| {
                            cs.iter().any(|c| c.type_ == "Ready" && c.status == "True")
                        });
                (ready, image_of(p))
            };
            match event {
                watcher::Event::Init => initial.clear(),
                watcher::Event::InitApply(p) => {
                    initial.insert(p.name_any(), view(&p));
                }
                watcher::Event::InitDone => {
                    s.pods = std::mem::take(&mut initial);
                    s.synced = true;
                }
                watcher::Event::Apply(p) => {
                    s.pods.insert(p.name_any(), view(&p));
                }
                watcher::Event::Delete(p) => {
                    s.pods.remove(&p.name_any());
                }
            }
            if s.synced {
                let ready = s.pods.values().filter(|(ready, _)| *ready).count();
                let unavailable = replicas - i32::try_from(ready).unwrap_or(i32::MAX);
                if unavailable > s.worst.0 {
                    let mut seen: Vec<String> = s
                        .pods
                        .iter()
                        .map(|(name, (ready, image))| format!("{name} ready={ready} {image}"))
                        .collect();
                    seen.sort();
                    s.worst = (unavailable, seen.join(", "));
                }
            }
        }
    });
    (state, task)
}

/// Watches a Hwfka, recording the status of every change.
fn watch_statuses(
    api: &Api<Hwfka>,
    name: &str,
) -> (Arc<Mutex<Vec<Hwfka>>>, tokio::task::JoinHandle<()>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let stream = watcher(api.clone(), config);
    let shared = seen.clone();
    let task = tokio::spawn(async move {
        let mut stream = std::pin::pin!(stream);
        while let Some(event) = stream.next().await {
            if let Ok(watcher::Event::Apply(h) | watcher::Event::InitApply(h)) = event {
                shared
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(h);
            }
        }
    });
    (seen, task)
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

/// A new Hwfka becomes a ConfigMap, a headless Service and a StatefulSet of
/// three brokers with bound volumes, and reports Running and Ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hwfka_reconciles_brokers_config_service_and_volumes() {
    with_operator("kafka-reconcile", |client, ns| async move {
        let h = running_instance(&client, &ns, "orders", 3, fast_pods("0s", "0s")).await;
        let uid = h.metadata.uid.clone().unwrap_or_default();
        let s = h.status.clone().unwrap_or_default();
        assert_eq!(
            s.target_version.as_deref(),
            Some("3.6.1"),
            "{}",
            describe(&h)
        );
        let ready = condition(&h, "Ready").map(|c| c.reason.clone());
        assert_eq!(
            ready.as_deref(),
            Some("AllBrokersReady"),
            "{}",
            describe(&h)
        );
        for type_ in ["Upgrading", "Degraded", "Failed"] {
            let status = condition(&h, type_).map(|c| c.status.clone());
            assert_eq!(
                status.as_deref(),
                Some("False"),
                "{type_}: {}",
                describe(&h)
            );
        }
        assert!(
            h.finalizers().iter().any(|f| f == FINALIZER),
            "finalizer {FINALIZER} missing: {:?}",
            h.finalizers()
        );
        let owned_by_hwfka =
            |refs: Option<&Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference>>| {
                refs.is_some_and(|refs| {
                    refs.iter()
                        .any(|r| r.kind == "Hwfka" && r.uid == uid && r.controller == Some(true))
                })
            };
        let expected_labels = [
            ("app.kubernetes.io/name", "kafka"),
            ("app.kubernetes.io/instance", "orders"),
            ("app.kubernetes.io/managed-by", "kafka-operator"),
            ("app.kubernetes.io/version", "3.6.1"),
        ];

        // The StatefulSet.
        let sts: StatefulSet = get(&Api::namespaced(client.clone(), &ns), "orders").await;
        assert!(
            owned_by_hwfka(sts.metadata.owner_references.as_ref()),
            "StatefulSet owner: {:?}",
            sts.metadata.owner_references
        );
        for (k, v) in expected_labels {
            assert_eq!(
                sts.labels().get(k).map(String::as_str),
                Some(v),
                "StatefulSet label {k}: {:?}",
                sts.labels()
            );
        }
        let spec = sts.spec.clone().unwrap_or_default();
        assert_eq!(spec.replicas, Some(3));
        assert_eq!(spec.service_name.as_deref(), Some("orders-headless"));
        assert_eq!(spec.pod_management_policy.as_deref(), Some("Parallel"));
        assert_eq!(
            spec.update_strategy
                .as_ref()
                .and_then(|u| u.type_.as_deref()),
            Some("RollingUpdate")
        );
        assert_eq!(
            spec.persistent_volume_claim_retention_policy
                .as_ref()
                .and_then(|p| p.when_deleted.as_deref()),
            Some("Delete")
        );
        let pod_spec = spec.template.spec.clone().unwrap_or_default();
        let container = pod_spec.containers.first().cloned().unwrap_or_default();
        assert_eq!(container.name, "kafka");
        assert_eq!(container.image.as_deref(), Some(OLD_IMAGE));
        let ports: Vec<i32> = container
            .ports
            .iter()
            .flatten()
            .map(|p| p.container_port)
            .collect();
        assert_eq!(ports, [9092, 9308]);
        let requests = container
            .resources
            .as_ref()
            .and_then(|r| r.requests.clone())
            .unwrap_or_default();
        assert_eq!(requests.get("cpu").map(|q| q.0.as_str()), Some("500m"));
        assert_eq!(requests.get("memory").map(|q| q.0.as_str()), Some("1Gi"));
        assert!(
            container
                .volume_mounts
                .iter()
                .flatten()
                .any(|m| m.name == "data"),
            "no data volume mount: {:?}",
            container.volume_mounts
        );
        let claim = spec
            .volume_claim_templates
            .iter()
            .flatten()
            .next()
            .cloned()
            .unwrap_or_default();
        assert_eq!(claim.metadata.name.as_deref(), Some("data"));
        let size = claim
            .spec
            .as_ref()
            .and_then(|s| s.resources.as_ref())
            .and_then(|r| r.requests.as_ref())
            .and_then(|r| r.get("storage"))
            .map(|q| q.0.clone());
        assert_eq!(size.as_deref(), Some("1Gi"));
        let statefulsets: Api<StatefulSet> = Api::namespaced(client.clone(), &ns);
        testkit::eventually(
            "StatefulSet orders to report 3 ready replicas",
            Duration::from_secs(30),
            POLL,
            || async {
                let sts = statefulsets
                    .get("orders")
                    .await
                    .map_err(|e| format!("reading the StatefulSet failed: {e}"))?;
                let status = sts.status.unwrap_or_default();
                if status.ready_replicas == Some(3) {
                    Ok(())
                } else {
                    Err(format!("StatefulSet status {status:?}"))
                }
            },
        )
        .await;

        // The headless Service.
        let svc: Service = get(&Api::namespaced(client.clone(), &ns), "orders-headless").await;
        assert!(
            owned_by_hwfka(svc.metadata.owner_references.as_ref()),
            "Service owner"
        );
        let svc_spec = svc.spec.clone().unwrap_or_default();
        assert_eq!(svc_spec.cluster_ip.as_deref(), Some("None"));
        let svc_ports: Vec<(String, i32)> = svc_spec
            .ports
            .iter()
            .flatten()
            .map(|p| (p.name.clone().unwrap_or_default(), p.port))
            .collect();
        assert_eq!(
            svc_ports,
            [("kafka".to_owned(), 9092), ("metrics".to_owned(), 9308)]
        );

        // The ConfigMap.
        let cm: ConfigMap = get(&Api::namespaced(client.clone(), &ns), "orders-config").await;
        assert!(
            owned_by_hwfka(cm.metadata.owner_references.as_ref()),
            "ConfigMap owner"
        );
        let properties = cm
            .data
            .as_ref()
            .and_then(|d| d.get("server.properties"))
            .cloned()
            .unwrap_or_default();
        for line in [
            "num.partitions=6",
            "compression.type=lz4",
            "log.dirs=/var/lib/kafka/data",
            &format!("zookeeper.connect=zk-headless.{ns}.svc.cluster.local:2181/{ns}/orders"),
        ] {
            assert!(
                properties.lines().any(|l| l == line),
                "server.properties lacks {line:?}:\n{properties}"
            );
        }

        // The volumes.
        wait_claims_bound(&client, &ns, "orders", 3).await;

        // The brokers: simulated usage from the requests (40% cpu, 60% memory).
        let pods = pods_of(&client, &ns, "orders").await;
        assert_eq!(
            pods.len(),
            3,
            "pods: {:?}",
            pods.iter().map(|p| p.name_any()).collect::<Vec<_>>()
        );
        for pod in &pods {
            let annotations = pod.annotations();
            assert_eq!(
                annotations
                    .get("kwok.x-k8s.io/usage-cpu")
                    .map(String::as_str),
                Some("200m"),
                "pod {}",
                pod.name_any()
            );
            assert_eq!(
                annotations
                    .get("kwok.x-k8s.io/usage-memory")
                    .map(String::as_str),
                Some("614Mi"),
                "pod {}",
                pod.name_any()
            );
            assert_eq!(image_of(pod), OLD_IMAGE);
        }

        // The Zookeeper.
        let zk: Zookeeper = get(&Api::namespaced(client.clone(), &ns), "zk").await;
        let zs = zk.status.clone().unwrap_or_default();
        assert_eq!(
            zs.phase.as_deref(),
            Some("Running"),
            "Zookeeper status {zs:?}"
        );
        assert_eq!(zs.ready_replicas, Some(1));
        assert_eq!(zs.current_version.as_deref(), Some("3.9.2"));
        assert_eq!(zs.observed_generation, zk.metadata.generation);
        let zk_sts: StatefulSet = get(&Api::namespaced(client.clone(), &ns), "zk").await;
        let zk_container = zk_sts
            .spec
            .and_then(|s| s.template.spec)
            .and_then(|s| s.containers.first().cloned())
            .unwrap_or_default();
        assert_eq!(zk_container.name, "zookeeper");
        let _: Service = get(&Api::namespaced(client.clone(), &ns), "zk-headless").await;

        wait_events(&client, &ns, "Hwfka", "orders", &["Created"]).await;
    })
    .await;
}

/// A Hwfka whose Zookeeper does not exist still gets its brokers but is not
/// Ready (DependencyNotReady), refuses backups, and becomes Ready once the
/// Zookeeper runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hwfka_without_its_zookeeper_is_not_ready_until_it_runs() {
    with_operator("kafka-dependency", |client, ns| async move {
        let api: Api<Hwfka> = Api::namespaced(client.clone(), &ns);
        create(
            &api,
            &hwfka(&ns, "events", "zk-later", 1, fast_pods("0s", "0s")),
        )
        .await;
        let h = wait_hwfka(
            &api,
            "events",
            "brokers ready but Ready=False (DependencyNotReady)",
            READY_TIMEOUT,
            |h| {
                h.status
                    .as_ref()
                    .is_some_and(|s| s.ready_replicas == Some(1))
                    && condition(h, "Ready")
                        .is_some_and(|c| c.status == "False" && c.reason == "DependencyNotReady")
            },
        )
        .await;
        let message = condition(&h, "Ready")
            .map(|c| c.message.clone())
            .unwrap_or_default();
        assert!(
            message.contains("zk-later") && message.contains("not found"),
            "Ready message {message:?} does not say that Zookeeper zk-later is missing"
        );

        // An action on an instance that is not Ready fails, saying why.
        let backups: Api<HwfkaBackup> = Api::namespaced(client.clone(), &ns);
        let mut backup = HwfkaBackup::new(
            "too-early",
            HwfkaBackupSpec {
                instance_name: "events".into(),
                ..HwfkaBackupSpec::default()
            },
        );
        assign(&mut backup, &ns);
        create(&backups, &backup).await;
        let failed = wait_operation(&backups, "too-early", "Failed", Duration::from_secs(30)).await;
        let message = failed.message.clone().unwrap_or_default();
        assert!(
            message.contains("events") && message.contains("not Ready"),
            "backup message {message:?}"
        );

        create_zookeeper(&client, &ns, "zk-later").await;
        wait_hwfka(
            &api,
            "events",
            "Running and Ready once the Zookeeper runs",
            READY_TIMEOUT,
            running_at("3.6.1", 1),
        )
        .await;
    })
    .await;
}

/// 3.6.1 → 3.7.0: one broker at a time, highest ordinal first, never more
/// than one unavailable; Upgrading with updatedBrokers counting up; then
/// Running and Ready at 3.7.0, with Events.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_upgrade_replaces_one_broker_at_a_time() {
    with_operator("kafka-upgrade", |client, ns| async move {
        // Brokers become ready 1-2 s after they start, so every step can be
        // seen.
        running_instance(&client, &ns, "orders", 3, fast_pods("1s", "2s")).await;
        let api: Api<Hwfka> = Api::namespaced(client.clone(), &ns);
        let (brokers, broker_task) = watch_brokers(&client, &ns, "orders", 3);
        let (statuses, status_task) = watch_statuses(&api, "orders");
        // Let both watches list what exists before anything changes.
        testkit::eventually(
            "the broker watch to sync",
            Duration::from_secs(10),
            Duration::from_millis(100),
            || async {
                let synced = brokers
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .synced;
                if synced {
                    Ok(())
                } else {
                    Err("not synced".to_owned())
                }
            },
        )
        .await;

        set_image(&api, "orders", NEW_IMAGE).await;
        let done = wait_hwfka(
            &api,
            "orders",
            "Running and Ready at 3.7.0",
            Duration::from_secs(120),
            running_at("3.7.0", 3),
        )
        .await;
        broker_task.abort();
        status_task.abort();

        let s = done.status.clone().unwrap_or_default();
        assert_eq!(s.target_version.as_deref(), Some("3.7.0"));
        let upgrade = s.upgrade.clone().unwrap_or_default();
        assert_eq!(
            upgrade.from_version.as_deref(),
            Some("3.6.1"),
            "{}",
            describe(&done)
        );
        assert_eq!(
            upgrade.to_version.as_deref(),
            Some("3.7.0"),
            "{}",
            describe(&done)
        );
        assert_eq!(upgrade.updated_brokers, Some(3), "{}", describe(&done));
        assert!(upgrade.started_at.is_some(), "{}", describe(&done));
        for pod in pods_of(&client, &ns, "orders").await {
            assert_eq!(image_of(&pod), NEW_IMAGE, "pod {}", pod.name_any());
        }

        // What the status said on the way.
        let seen: Vec<Hwfka> = statuses
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let phases: Vec<String> = seen
            .iter()
            .filter_map(|h| h.status.as_ref()?.phase.clone())
            .collect();
        assert!(
            phases.iter().any(|p| p == "Upgrading"),
            "never saw phase Upgrading; phases: {phases:?}"
        );
        let mut updated: Vec<i32> = seen
            .iter()
            .filter_map(|h| {
                let u = h.status.as_ref()?.upgrade.as_ref()?;
                (u.to_version.as_deref() == Some("3.7.0")).then_some(u.updated_brokers)?
            })
            .collect();
        updated.dedup();
        assert!(
            updated.windows(2).all(|w| w[1] == w[0] + 1),
            "updatedBrokers did not rise one broker at a time: {updated:?}"
        );
        for n in 1..=3 {
            assert!(
                updated.contains(&n),
                "updatedBrokers never was {n}: {updated:?}"
            );
        }

        // What the brokers did.
        let (unavailable, when) = {
            let watch = brokers
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            watch.worst.clone()
        };
        assert!(
            unavailable <= 1,
            "{unavailable} brokers were unavailable at once: {when}"
        );

        let events = wait_events(
            &client,
            &ns,
            "Hwfka",
            "orders",
            &["UpgradeStarted", "BrokerUpgraded", "UpgradeSucceeded"],
        )
        .await;
        let upgraded = events
            .iter()
            .filter(|(_, reason, _)| reason == "BrokerUpgraded")
            .count();
        assert!(
            upgraded >= 3,
            "expected a BrokerUpgraded event per broker, saw {events:?}"
        );
    })
    .await;
}

/// An upgrade to a version whose brokers crash fails (Failed/UpgradeFailed,
/// naming the broker) with the other brokers left running; setting the old
/// image back brings the instance back to Running and Ready.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_upgrade_is_reported_and_rolled_back() {
    with_operator("kafka-rollback", |client, ns| async move {
        let mut annotations = fast_pods("0s", "0s");
        annotations.insert(
            "sandbox.osctui.dev/fail-version".to_owned(),
            "3.7.0".to_owned(),
        );
        running_instance(&client, &ns, "orders", 3, annotations).await;
        let api: Api<Hwfka> = Api::namespaced(client.clone(), &ns);

        set_image(&api, "orders", NEW_IMAGE).await;
        let failed = wait_hwfka(
            &api,
            "orders",
            "phase Failed with Failed=True (UpgradeFailed)",
            Duration::from_secs(90),
            |h| {
                h.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Failed")
                    && condition(h, "Failed")
                        .is_some_and(|c| c.status == "True" && c.reason == "UpgradeFailed")
            },
        )
        .await;
        let message = condition(&failed, "Failed")
            .map(|c| c.message.clone())
            .unwrap_or_default();
        assert!(
            message.contains("orders-2") && message.contains("CrashLoopBackOff"),
            "the failure message {message:?} does not name broker orders-2 and its reason"
        );
        let s = failed.status.clone().unwrap_or_default();
        assert_eq!(
            s.current_version.as_deref(),
            Some("3.6.1"),
            "{}",
            describe(&failed)
        );
        assert_eq!(
            s.target_version.as_deref(),
            Some("3.7.0"),
            "{}",
            describe(&failed)
        );
        let images: BTreeMap<String, String> = pods_of(&client, &ns, "orders")
            .await
            .iter()
            .map(|p| (p.name_any(), image_of(p)))
            .collect();
        assert_eq!(
            images.get("orders-0").map(String::as_str),
            Some(OLD_IMAGE),
            "pods: {images:?}"
        );
        assert_eq!(
            images.get("orders-1").map(String::as_str),
            Some(OLD_IMAGE),
            "pods: {images:?}"
        );
        let events = wait_events(
            &client,
            &ns,
            "Hwfka",
            "orders",
            &["UpgradeStarted", "UpgradeFailed"],
        )
        .await;
        assert!(
            events.iter().any(|(t, r, note)| t == "Warning"
                && r == "UpgradeFailed"
                && note.contains("orders-2")),
            "no Warning UpgradeFailed event naming orders-2: {events:?}"
        );

        // Roll back.
        set_image(&api, "orders", OLD_IMAGE).await;
        let back = wait_hwfka(
            &api,
            "orders",
            "Running and Ready at 3.6.1 after the roll back",
            Duration::from_secs(90),
            running_at("3.6.1", 3),
        )
        .await;
        let failed_condition = condition(&back, "Failed").map(|c| c.status.clone());
        assert_eq!(
            failed_condition.as_deref(),
            Some("False"),
            "{}",
            describe(&back)
        );
        for pod in pods_of(&client, &ns, "orders").await {
            assert_eq!(image_of(&pod), OLD_IMAGE, "pod {}", pod.name_any());
        }
        wait_events(&client, &ns, "Hwfka", "orders", &["RollbackStarted"]).await;
    })
    .await;
}

/// Waits until the action `name` reaches `phase`.
async fn wait_operation<K>(
    api: &Api<K>,
    name: &str,
    phase: &str,
    timeout: Duration,
) -> OperationStatus
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + serde::Serialize,
{
    testkit::eventually(
        &format!("{name} to reach phase {phase}"),
        timeout,
        POLL,
        || async {
            let object = api
                .get(name)
                .await
                .map_err(|e| format!("reading {name} failed: {e}"))?;
            let value = serde_json::to_value(&object).map_err(|e| e.to_string())?;
            let status: OperationStatus =
                serde_json::from_value(value["status"].clone()).unwrap_or_default();
            if status.phase.as_deref() == Some(phase) {
                Ok(status)
            } else {
                Err(format!("status {status:?}"))
            }
        },
    )
    .await
}

/// Follows an action until it is final, returning the progress values seen
/// and the final status.
async fn follow_operation<K>(api: &Api<K>, name: &str) -> (Vec<i32>, OperationStatus)
where
    K: Resource + Clone + serde::de::DeserializeOwned + std::fmt::Debug + serde::Serialize,
{
    let progress = Arc::new(Mutex::new(Vec::new()));
    let status = testkit::eventually(
        &format!("{name} to finish"),
        Duration::from_secs(60),
        Duration::from_millis(300),
        || async {
            let object = api
                .get(name)
                .await
                .map_err(|e| format!("reading {name} failed: {e}"))?;
            let value = serde_json::to_value(&object).map_err(|e| e.to_string())?;
            let status: OperationStatus =
                serde_json::from_value(value["status"].clone()).unwrap_or_default();
            if let Some(p) = status.progress {
                progress
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(p);
            }
            match status.phase.as_deref() {
                Some("Succeeded" | "Failed") => Ok(status),
                _ => Err(format!("status {status:?}")),
            }
        },
    )
    .await;
    let mut seen = progress
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    seen.dedup();
    (seen, status)
}

/// A backup runs to 100% and Succeeds; a restore from it too; a restore
/// from a backup that does not exist, and a backup of an instance that does
/// not exist, Fail with a message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_run_to_completion() {
    with_operator("kafka-backup", |client, ns| async move {
        running_instance(&client, &ns, "orders", 1, fast_pods("0s", "0s")).await;
        let backups: Api<HwfkaBackup> = Api::namespaced(client.clone(), &ns);
        let restores: Api<HwfkaRestore> = Api::namespaced(client.clone(), &ns);

        let mut ghost = HwfkaBackup::new(
            "ghost-backup",
            HwfkaBackupSpec {
                instance_name: "ghost".into(),
                ..HwfkaBackupSpec::default()
            },
        );
        assign(&mut ghost, &ns);
        create(&backups, &ghost).await;
        let mut backup = HwfkaBackup::new(
            "nightly",
            HwfkaBackupSpec {
                instance_name: "orders".into(),
                destination: Some("pvc://kafka-backups/orders/nightly".into()),
                compress: Some(true),
            },
        );
        assign(&mut backup, &ns);
        create(&backups, &backup).await;
        let mut missing = HwfkaRestore::new(
            "from-nothing",
            HwfkaRestoreSpec {
                instance_name: "orders".into(),
                backup_name: "nope".into(),
            },
        );
        assign(&mut missing, &ns);
        create(&restores, &missing).await;

        let ghost_status =
            wait_operation(&backups, "ghost-backup", "Failed", Duration::from_secs(30)).await;
        let message = ghost_status.message.clone().unwrap_or_default();
        assert!(
            message.contains("ghost") && message.contains("does not exist"),
            "backup of a missing instance: {message:?}"
        );
        let missing_status =
            wait_operation(&restores, "from-nothing", "Failed", Duration::from_secs(30)).await;
        let message = missing_status.message.clone().unwrap_or_default();
        assert!(
            message.contains("nope") && message.contains("does not exist"),
            "restore of a missing backup: {message:?}"
        );
        let failed = missing_status
            .conditions
            .iter()
            .find(|c| c.type_ == "Failed");
        assert_eq!(
            failed.map(|c| c.status.as_str()),
            Some("True"),
            "{missing_status:?}"
        );

        let (progress, done) = follow_operation(&backups, "nightly").await;
        assert_eq!(
            done.phase.as_deref(),
            Some("Succeeded"),
            "backup status {done:?}"
        );
        assert_eq!(done.progress, Some(100), "backup status {done:?}");
        assert!(
            done.started_at.is_some() && done.completed_at.is_some(),
            "backup status {done:?}"
        );
        assert!(
            done.message
                .as_deref()
                .is_some_and(|m| m.contains("pvc://kafka-backups/orders/nightly")),
            "backup message {:?}",
            done.message
        );
        assert!(
            progress.windows(2).all(|w| w[0] < w[1]),
            "progress went down: {progress:?}"
        );
        assert!(
            progress.iter().any(|p| *p > 0 && *p < 100),
            "no progress between 0 and 100 seen: {progress:?}"
        );
        assert_eq!(progress.last(), Some(&100), "progress: {progress:?}");
        let succeeded = done.conditions.iter().find(|c| c.type_ == "Succeeded");
        assert_eq!(
            succeeded.map(|c| c.status.as_str()),
            Some("True"),
            "{done:?}"
        );

        let mut restore = HwfkaRestore::new(
            "back-to-nightly",
            HwfkaRestoreSpec {
                instance_name: "orders".into(),
                backup_name: "nightly".into(),
            },
        );
        assign(&mut restore, &ns);
        create(&restores, &restore).await;
        let (progress, restored) = follow_operation(&restores, "back-to-nightly").await;
        assert_eq!(
            restored.phase.as_deref(),
            Some("Succeeded"),
            "restore status {restored:?}"
        );
        assert_eq!(restored.progress, Some(100), "restore status {restored:?}");
        assert_eq!(progress.last(), Some(&100), "progress: {progress:?}");

        wait_events(
            &client,
            &ns,
            "HwfkaBackup",
            "nightly",
            &["BackupStarted", "BackupSucceeded"],
        )
        .await;
        wait_events(
            &client,
            &ns,
            "HwfkaRestore",
            "from-nothing",
            &["RestoreFailed"],
        )
        .await;
        wait_events(
            &client,
            &ns,
            "Hwfka",
            "orders",
            &[
                "BackupStarted",
                "BackupSucceeded",
                "RestoreStarted",
                "RestoreSucceeded",
            ],
        )
        .await;
    })
    .await;
}

/// Deleting a Hwfka: the operator deletes its volumes and lets its
/// finalizer go; the resource and its PVCs disappear.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_hwfka_removes_its_volumes_then_its_finalizer() {
    with_operator("kafka-delete", |client, ns| async move {
        running_instance(&client, &ns, "orders", 3, fast_pods("0s", "0s")).await;
        wait_claims_bound(&client, &ns, "orders", 3).await;
        let api: Api<Hwfka> = Api::namespaced(client.clone(), &ns);
        let h = get(&api, "orders").await;
        assert!(
            h.finalizers().iter().any(|f| f == FINALIZER),
            "finalizers: {:?}",
            h.finalizers()
        );
        let uid = h.metadata.uid.clone().unwrap_or_default();

        match tokio::time::timeout(IO_TIMEOUT, api.delete("orders", &DeleteParams::default())).await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("deleting Hwfka orders failed: {e}"),
            Err(_) => panic!("deleting Hwfka orders did not finish within {IO_TIMEOUT:?}"),
        }
        match tokio::time::timeout(
            Duration::from_secs(60),
            await_condition(api.clone(), "orders", conditions::is_deleted(&uid)),
        )
        .await
        {
            Ok(Ok(_)) => {}
            Ok(Err(e)) => panic!("watching Hwfka orders failed: {e}"),
            Err(_) => {
                let still = api.get_opt("orders").await.ok().flatten();
                panic!(
                    "Hwfka orders still exists 60s after its deletion: finalizers {:?}, {}",
                    still.as_ref().map(|h| h.finalizers().to_vec()),
                    still.as_ref().map(describe).unwrap_or_default()
                );
            }
        }

        let claims: Api<PersistentVolumeClaim> = Api::namespaced(client.clone(), &ns);
        testkit::eventually(
            "the PVCs of orders to be gone",
            Duration::from_secs(90),
            POLL,
            || async {
                let list = claims
                    .list(&ListParams::default().labels("app.kubernetes.io/instance=orders"))
                    .await
                    .map_err(|e| format!("listing PVCs failed: {e}"))?;
                if list.items.is_empty() {
                    Ok(())
                } else {
                    Err(format!(
                        "PVCs left: {:?}",
                        list.items
                            .iter()
                            .map(|c| format!(
                                "{} (deleting: {})",
                                c.name_any(),
                                c.metadata.deletion_timestamp.is_some()
                            ))
                            .collect::<Vec<_>>()
                    ))
                }
            },
        )
        .await;

        let events = wait_events(&client, &ns, "Hwfka", "orders", &["Deleting"]).await;
        assert!(
            events
                .iter()
                .any(|(_, r, note)| r == "Deleting" && note.contains("data-orders-0")),
            "the Deleting event does not name the PVCs: {events:?}"
        );
    })
    .await;
}
