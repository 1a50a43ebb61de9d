//! The example Kafka operator of osctui.
//!
//! It reconciles four custom resources of the group `osctest.osctui.dev`
//! (CRDs in `examples/kafka/crds/`):
//!
//! - `Hwfka`: a Kafka cluster, as a ConfigMap, a headless Service and a
//!   StatefulSet of brokers with one PersistentVolumeClaim each; rolling
//!   upgrades with failure detection and roll back; a finalizer that deletes
//!   the volumes;
//! - `Zookeeper`: a ZooKeeper ensemble (headless Service and StatefulSet);
//! - `HwfkaBackup` and `HwfkaRestore`: operations actions that run once,
//!   reporting their progress.
//!
//! [`run`] starts the four controllers against a cluster; the
//! `kafka-operator` binary wraps it. Tests run it in-process, restricted to
//! their own namespace.

pub mod conditions;
pub mod crd;
pub mod heartbeat;
mod hwfka;
pub mod operation;
pub mod properties;
pub mod quantity;
pub mod resources;
pub mod status;
pub mod version;
mod zookeeper;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::api::core::v1::ObjectReference;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::jiff::Timestamp;
use kube::api::Api;
use kube::runtime::controller::{Action, Controller, Error as ControllerError};
use kube::runtime::events::{Event, EventType, Recorder, Reporter};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Client, Resource, ResourceExt as _};
use serde::de::DeserializeOwned;
use tracing::{debug, info, warn};

pub use crate::resources::{FINALIZER, MANAGER};

/// The CRDs the operator needs.
pub const CRD_NAMES: [&str; 4] = [
    "hwfkas.osctest.osctui.dev",
    "zookeepers.osctest.osctui.dev",
    "hwfkabackups.osctest.osctui.dev",
    "hwfkarestores.osctest.osctui.dev",
];

/// Label that assigns a custom resource to one operator process: an
/// operator started with a controller id reconciles only the resources
/// labelled with that id; one started without reconciles only the
/// resources without the label. Tests use it to keep a shared operator
/// away from their resources.
pub const CONTROLLER_LABEL: &str = "osctest.osctui.dev/controller";

/// Why a reconcile failed; it is retried with a growing delay.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("Kubernetes API request failed: {0}")]
    Kube(#[from] kube::Error),
    #[error("finalizer {FINALIZER}: {0}")]
    Finalizer(#[source] Box<kube::runtime::finalizer::Error<Error>>),
    #[error("the object has no {0}")]
    Missing(&'static str),
}

/// Timings of the operator.
#[derive(Clone, Debug)]
pub struct Settings {
    /// How long an updated broker may take to become ready before the
    /// upgrade counts as failed (annotation
    /// `osctest.osctui.dev/progress-deadline-seconds` overrides it per
    /// instance).
    pub progress_deadline: Duration,
    /// How long a backup or restore runs.
    pub operation_duration: Duration,
    /// Reconcile interval of an instance that is changing.
    pub busy_requeue: Duration,
    /// Reconcile interval of an instance that is Running and Ready.
    pub settled_requeue: Duration,
    /// See [`CONTROLLER_LABEL`].
    pub controller_id: Option<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            progress_deadline: Duration::from_secs(180),
            operation_duration: Duration::from_secs(10),
            busy_requeue: Duration::from_secs(2),
            settled_requeue: Duration::from_secs(60),
            controller_id: None,
        }
    }
}

/// What every reconcile gets.
pub(crate) struct Context {
    pub client: Client,
    pub settings: Settings,
    reporter: Reporter,
    /// Consecutive failures per object, for the retry delay.
    failures: Mutex<HashMap<String, u32>>,
}

impl Context {
    fn new(client: Client, settings: Settings) -> Self {
        Self {
            client,
            settings,
            reporter: Reporter::from(MANAGER),
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// Publishes an Event about `regarding`. A failure is logged, not
    /// returned: Events are informative.
    pub async fn publish(
        &self,
        regarding: &ObjectReference,
        warning: bool,
        reason: &str,
        action: &str,
        note: &str,
        related: Option<ObjectReference>,
    ) {
        // A fresh recorder per Event: the recorder's cache would turn a
        // second Event with the same reason into a repeat of the first, with
        // the first one's note.
        let recorder = Recorder::new(self.client.clone(), self.reporter.clone());
        let event = Event {
            type_: if warning {
                EventType::Warning
            } else {
                EventType::Normal
            },
            reason: reason.to_owned(),
            note: Some(conditions::truncate(note, 1000)),
            action: action.to_owned(),
            secondary: related,
        };
        match recorder.publish(&event, regarding).await {
            Ok(()) => debug!(
                object = regarding.name.as_deref().unwrap_or("?"),
                reason, note, "published event"
            ),
            Err(e) => warn!(
                object = regarding.name.as_deref().unwrap_or("?"),
                reason,
                error = %e,
                "could not publish event"
            ),
        }
    }

    /// The delay before retrying a failed reconcile of `key`: 1 s, doubling
    /// with each consecutive failure, at most 60 s.
    fn next_retry(&self, key: &str) -> Duration {
        let mut failures = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = failures.entry(key.to_owned()).or_insert(0);
        *count = count.saturating_add(1);
        retry_delay(*count)
    }

    /// Forgets the failures of `key` after a successful reconcile.
    fn succeeded(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }
}

/// 1 s after the first failure, doubling, at most 60 s.
fn retry_delay(failures: u32) -> Duration {
    let exponent = failures.saturating_sub(1).min(6);
    Duration::from_secs((1u64 << exponent).min(60))
}

/// `kind/namespace/name` of an object, for logs and the retry bookkeeping.
fn object_key<K: Resource<DynamicType = ()>>(obj: &K) -> String {
    format!(
        "{}/{}/{}",
        K::kind(&()),
        obj.meta().namespace.as_deref().unwrap_or(""),
        obj.meta().name.as_deref().unwrap_or("")
    )
}

/// What the controllers do with a failed reconcile: log it, retry later.
fn error_policy<K: Resource<DynamicType = ()>>(
    obj: Arc<K>,
    error: &Error,
    ctx: Arc<Context>,
) -> Action {
    let key = object_key(obj.as_ref());
    let delay = ctx.next_retry(&key);
    warn!(object = %key, error = %error, retry_in_s = delay.as_secs(), "reconcile failed");
    Action::requeue(delay)
}

/// Logs what a controller stream yields (reconcile failures are logged by
/// [`error_policy`] already).
async fn log_result<K, QErr>(
    controller: &'static str,
    result: Result<(ObjectRef<K>, Action), ControllerError<Error, QErr>>,
) where
    K: Resource,
    QErr: std::error::Error,
{
    match result {
        Ok((object, action)) => debug!(controller, %object, ?action, "reconciled"),
        Err(ControllerError::ReconcilerFailed(..)) => {}
        Err(ControllerError::ObjectNotFound(object)) => {
            debug!(controller, %object, "object gone before its reconcile")
        }
        Err(e) => warn!(controller, error = %e, "controller error"),
    }
}

/// An API of a namespaced kind: in one namespace, or in all.
pub(crate) fn api<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

/// A controller of the custom resources of kind `K` this operator is
/// responsible for ([`primary_watch`]), with [`trigger_backoff`].
pub(crate) fn controller<K>(
    client: &Client,
    namespace: Option<&str>,
    settings: &Settings,
) -> Controller<K>
where
    K: Resource<Scope = NamespaceResourceScope, DynamicType = ()>
        + Clone
        + DeserializeOwned
        + std::fmt::Debug
        + Send
        + Sync
        + 'static,
{
    Controller::new(api::<K>(client, namespace), primary_watch(settings))
        .trigger_backoff(trigger_backoff())
}

/// The pause after a watch error. kube-runtime pauses all the watches of a
/// controller after an error of any one of them, by default with
/// client-go's backoff: 0.8 s doubling up to 30 s, reset only by an event
/// in between. After an API server restart each watch resumes from a
/// resourceVersion the new server's cache no longer has and gets one
/// "410 Expired" in turn, so with six watches the Hwfka controller saw no
/// new instance for over three minutes (measured: 195 s after two
/// restarts). Capped at 2 s, a lost server is still asked only every 2 s.
fn trigger_backoff() -> watcher::ExponentialBackoff {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(200))
        .with_max_delay(Duration::from_secs(2))
        .with_factor(2.0)
        .with_jitter()
        .without_max_times()
        .into()
}

/// Watch settings of the custom resources this operator is responsible for
/// (see [`CONTROLLER_LABEL`]).
pub(crate) fn primary_watch(settings: &Settings) -> watcher::Config {
    watcher::Config::default().labels(&controller_selector(settings.controller_id.as_deref()))
}

/// The label selector of [`primary_watch`].
fn controller_selector(controller_id: Option<&str>) -> String {
    match controller_id {
        Some(id) => format!("{CONTROLLER_LABEL}={id}"),
        None => format!("!{CONTROLLER_LABEL}"),
    }
}

/// Watch settings of the objects the operator owns, for one app.
pub(crate) fn owned_watch(app: &str) -> watcher::Config {
    watcher::Config::default().labels(&format!(
        "app.kubernetes.io/managed-by={MANAGER},app.kubernetes.io/name={app}"
    ))
}

/// Now, in whole seconds (what Kubernetes stores of a time).
pub(crate) fn now() -> Timestamp {
    let now = Timestamp::now();
    Timestamp::from_second(now.as_second()).unwrap_or(now)
}

/// An ObjectReference to a pod in `namespace`.
pub(crate) fn pod_reference(namespace: &str, name: &str) -> ObjectReference {
    ObjectReference {
        api_version: Some("v1".to_owned()),
        kind: Some("Pod".to_owned()),
        namespace: Some(namespace.to_owned()),
        name: Some(name.to_owned()),
        ..ObjectReference::default()
    }
}

/// The CRDs of [`CRD_NAMES`] that the cluster does not have. An error if
/// they cannot be read (e.g. no permission).
pub async fn missing_crds(client: &Client) -> Result<Vec<&'static str>, kube::Error> {
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut missing = Vec::new();
    for name in CRD_NAMES {
        if crds.get_opt(name).await?.is_none() {
            missing.push(name);
        }
    }
    Ok(missing)
}

/// Runs the controllers of Hwfka, Zookeeper, HwfkaBackup and HwfkaRestore
/// until the future is dropped: in `namespace` only, or in all namespaces.
pub async fn run(client: Client, namespace: Option<String>, settings: Settings) {
    let ctx = Arc::new(Context::new(client, settings));
    let namespace = namespace.as_deref();
    info!(
        namespace = namespace.unwrap_or("<all>"),
        resources = %controller_selector(ctx.settings.controller_id.as_deref()),
        "starting controllers for Hwfka, Zookeeper, HwfkaBackup, HwfkaRestore"
    );
    futures::join!(
        hwfka::run(ctx.clone(), namespace).for_each(|r| log_result("hwfka", r)),
        zookeeper::run(ctx.clone(), namespace).for_each(|r| log_result("zookeeper", r)),
        operation::run_backups(ctx.clone(), namespace).for_each(|r| log_result("hwfkabackup", r)),
        operation::run_restores(ctx.clone(), namespace).for_each(|r| log_result("hwfkarestore", r)),
    );
}

/// The name and namespace of an object, or [`Error::Missing`].
pub(crate) fn name_and_namespace<K: Resource>(obj: &K) -> Result<(String, String), Error> {
    let name = obj
        .meta()
        .name
        .clone()
        .ok_or(Error::Missing("metadata.name"))?;
    let namespace = obj
        .meta()
        .namespace
        .clone()
        .ok_or(Error::Missing("metadata.namespace"))?;
    Ok((name, namespace))
}

/// Names of objects, for messages.
pub(crate) fn names<K: Resource>(objects: &[K]) -> Vec<String> {
    objects.iter().map(|o| o.name_any()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_are_capped() {
        let delays: Vec<u64> = (1..=9).map(|n| retry_delay(n).as_secs()).collect();
        assert_eq!(delays, [1, 2, 4, 8, 16, 32, 60, 60, 60]);
        assert_eq!(retry_delay(0).as_secs(), 1);
    }

    #[test]
    fn controller_selector_splits_resources_between_operators() {
        assert_eq!(controller_selector(None), "!osctest.osctui.dev/controller");
        assert_eq!(
            controller_selector(Some("test-1")),
            "osctest.osctui.dev/controller=test-1"
        );
    }
}
