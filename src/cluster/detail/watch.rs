//! The watches behind a detail: each runs in its own task and forwards
//! what it sees, already reduced to owned data, over one channel; the
//! detail loop keeps the latest state of each in a [`Stores`].

use std::collections::{BTreeMap, HashMap};
use std::fmt::Debug;

use futures::StreamExt as _;
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::core::v1::{ConfigMap, Event, PersistentVolumeClaim, Pod, Secret, Service};
use kube::api::{Api, ApiResource, DynamicObject};
use kube::core::{PartialObjectMeta, Status};
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Client, Resource};
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use super::events::{EventRecord, event_record};
use crate::domain::helm::{HelmRelease, decode_release_secret};
use crate::domain::text::clean;

/// The kinds of owned objects watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Kind {
    StatefulSet,
    Deployment,
    ReplicaSet,
    Pod,
    Service,
    PersistentVolumeClaim,
    ConfigMap,
    Secret,
}

impl Kind {
    pub(crate) const ALL: [Kind; 8] = [
        Kind::StatefulSet,
        Kind::Deployment,
        Kind::ReplicaSet,
        Kind::Pod,
        Kind::Service,
        Kind::PersistentVolumeClaim,
        Kind::ConfigMap,
        Kind::Secret,
    ];

    /// The Kubernetes kind.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::StatefulSet => "StatefulSet",
            Kind::Deployment => "Deployment",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Pod => "Pod",
            Kind::Service => "Service",
            Kind::PersistentVolumeClaim => "PersistentVolumeClaim",
            Kind::ConfigMap => "ConfigMap",
            Kind::Secret => "Secret",
        }
    }

    fn api_resource(self) -> ApiResource {
        match self {
            Kind::StatefulSet => ApiResource::erase::<StatefulSet>(&()),
            Kind::Deployment => ApiResource::erase::<Deployment>(&()),
            Kind::ReplicaSet => ApiResource::erase::<ReplicaSet>(&()),
            Kind::Pod => ApiResource::erase::<Pod>(&()),
            Kind::Service => ApiResource::erase::<Service>(&()),
            Kind::PersistentVolumeClaim => ApiResource::erase::<PersistentVolumeClaim>(&()),
            Kind::ConfigMap => ApiResource::erase::<ConfigMap>(&()),
            Kind::Secret => ApiResource::erase::<Secret>(&()),
        }
    }
}

/// Which watch an update comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Source {
    /// The instance's own object (operator instances).
    Instance,
    /// Owned objects of one kind.
    Owned(Kind),
    /// Events of the namespace.
    Events,
    /// Helm release Secrets.
    Releases,
    /// The instance of the n-th dependency, for one generation of its
    /// watch (restarted when the spec names another instance).
    Dependency(usize, u32),
}

impl Source {
    /// How a failure of this watch is named in the problems list.
    pub(crate) fn label(self) -> String {
        match self {
            Source::Instance => "instance".to_owned(),
            Source::Owned(kind) => match kind {
                Kind::PersistentVolumeClaim => "persistentvolumeclaims".to_owned(),
                other => format!("{}s", other.name().to_ascii_lowercase()),
            },
            Source::Events => "events".to_owned(),
            Source::Releases => "helm release secrets".to_owned(),
            Source::Dependency(..) => "dependency".to_owned(),
        }
    }
}

/// What a watch keeps of one object.
#[derive(Debug)]
pub(crate) enum Payload {
    /// The object as JSON, managedFields dropped.
    Object(Value),
    /// An Event, reduced.
    Event(EventRecord),
    /// A decoded Helm release (or why it could not be decoded, with the
    /// Secret's name).
    Release(Box<Result<HelmRelease, String>>),
}

#[derive(Debug)]
enum Change {
    Init,
    InitApply(String, Payload),
    InitDone,
    Apply(String, Payload),
    Delete(String),
    Error(String),
}

/// One thing a watch saw.
#[derive(Debug)]
pub(crate) struct Update {
    /// The watch.
    pub source: Source,
    change: Change,
}

#[cfg(test)]
impl Update {
    /// An object added or changed, as a watch would report it.
    pub(crate) fn applied(source: Source, key: &str, object: Value) -> Self {
        Self {
            source,
            change: Change::Apply(key.to_owned(), Payload::Object(object)),
        }
    }

    /// An initial list of nothing, done.
    pub(crate) fn listed_empty(source: Source) -> Self {
        Self {
            source,
            change: Change::InitDone,
        }
    }
}

/// The latest state of one watch.
#[derive(Debug, Default)]
pub(crate) struct SourceStore {
    /// Objects by uid.
    pub items: BTreeMap<String, Payload>,
    pending: Option<BTreeMap<String, Payload>>,
    /// The initial list has completed at least once.
    pub synced: bool,
    /// The watch's last error, until it recovers.
    pub error: Option<String>,
}

impl SourceStore {
    /// The watch has either listed or failed: nothing more to wait for.
    pub(crate) fn settled(&self) -> bool {
        self.synced || self.error.is_some()
    }

    /// The JSON objects it holds.
    pub(crate) fn objects(&self) -> impl Iterator<Item = &Value> {
        self.items.values().filter_map(|p| match p {
            Payload::Object(v) => Some(v),
            _ => None,
        })
    }
}

/// The state of every watch of a detail.
#[derive(Debug, Default)]
pub(crate) struct Stores(HashMap<Source, SourceStore>);

static EMPTY: std::sync::LazyLock<SourceStore> = std::sync::LazyLock::new(SourceStore::default);

impl Stores {
    /// The events of the namespace, as watched.
    pub(crate) fn events(&self) -> impl Iterator<Item = &EventRecord> {
        self.get(Source::Events)
            .items
            .values()
            .filter_map(|p| match p {
                Payload::Event(record) => Some(record),
                _ => None,
            })
    }

    /// Applies one update.
    pub(crate) fn apply(&mut self, update: Update) {
        let store = self.0.entry(update.source).or_default();
        match update.change {
            // A relist: objects gone while disconnected disappear at InitDone.
            Change::Init => store.pending = Some(BTreeMap::new()),
            Change::InitApply(key, payload) => {
                match &mut store.pending {
                    Some(pending) => pending.insert(key, payload),
                    None => store.items.insert(key, payload),
                };
            }
            Change::InitDone => {
                if let Some(pending) = store.pending.take() {
                    store.items = pending;
                }
                store.synced = true;
                store.error = None;
            }
            Change::Apply(key, payload) => {
                store.items.insert(key, payload);
                store.error = None;
            }
            Change::Delete(key) => {
                store.items.remove(&key);
            }
            Change::Error(error) => store.error = Some(error),
        }
    }

    /// The store of a watch (empty if it has reported nothing).
    pub(crate) fn get(&self, source: Source) -> &SourceStore {
        self.0.get(&source).unwrap_or(&EMPTY)
    }

    /// Forgets a watch (it was replaced).
    pub(crate) fn remove(&mut self, source: Source) {
        self.0.remove(&source);
    }

    /// Errors of the watches, as "what: why", sorted.
    pub(crate) fn problems(&self, label: impl Fn(Source) -> Option<String>) -> Vec<String> {
        let mut problems: Vec<(Source, String)> = self
            .0
            .iter()
            .filter_map(|(source, store)| {
                let error = store.error.as_ref()?;
                Some((*source, format!("{}: {error}", label(*source)?)))
            })
            .collect();
        problems.sort();
        problems.into_iter().map(|(_, p)| p).collect()
    }
}

/// A Kubernetes API error in a few words ("forbidden", "not found").
pub(crate) fn describe_kube(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => describe_status(status),
        other => clean(&other.to_string()),
    }
}

fn describe_status(status: &Status) -> String {
    match status.code {
        401 => "unauthorized".to_owned(),
        403 => "forbidden".to_owned(),
        404 => "not found".to_owned(),
        _ if !status.message.is_empty() => clean(&status.message),
        _ => clean(&status.reason),
    }
}

fn describe_watch(error: &watcher::Error) -> String {
    match error {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => describe_kube(e),
        watcher::Error::WatchError(status) => describe_status(status),
        other => clean(&other.to_string()),
    }
}

type Convert<K> = fn(K) -> Option<(String, Payload)>;

/// The running watches of a detail; dropping it stops them all.
pub(crate) struct Watches {
    client: Client,
    set: JoinSet<()>,
    tx: mpsc::Sender<Update>,
}

impl Watches {
    /// No watches yet, and the channel their updates arrive on.
    pub(crate) fn new(client: Client) -> (Self, mpsc::Receiver<Update>) {
        let (tx, rx) = mpsc::channel(256);
        let set = JoinSet::new();
        (Self { client, set, tx }, rx)
    }

    /// The channel watches report on, to feed updates by hand in tests.
    #[cfg(test)]
    pub(crate) fn sender(&self) -> mpsc::Sender<Update> {
        self.tx.clone()
    }

    /// Starts one watch.
    fn spawn<K>(
        &mut self,
        source: Source,
        api: Api<K>,
        config: watcher::Config,
        convert: Convert<K>,
    ) -> AbortHandle
    where
        K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    {
        let tx = self.tx.clone();
        self.set.spawn(async move {
            let mut stream = std::pin::pin!(
                watcher(api, config).backoff(crate::cluster::watch::watch_backoff())
            );
            while let Some(item) = stream.next().await {
                let change = match item {
                    Ok(watcher::Event::Init) => Change::Init,
                    Ok(watcher::Event::InitDone) => Change::InitDone,
                    Ok(watcher::Event::InitApply(object)) => match convert(object) {
                        Some((key, payload)) => Change::InitApply(key, payload),
                        None => continue,
                    },
                    Ok(watcher::Event::Apply(object)) => match convert(object) {
                        Some((key, payload)) => Change::Apply(key, payload),
                        None => continue,
                    },
                    Ok(watcher::Event::Delete(object)) => match convert(object) {
                        Some((key, _)) => Change::Delete(key),
                        None => continue,
                    },
                    Err(error) => Change::Error(describe_watch(&error)),
                };
                if tx.send(Update { source, change }).await.is_err() {
                    return;
                }
            }
        })
    }

    /// Watches objects of `resource` in `namespace`, selected by labels
    /// and/or fields.
    pub(crate) fn objects(
        &mut self,
        source: Source,
        resource: &ApiResource,
        namespace: &str,
        labels: Option<&str>,
        fields: Option<&str>,
    ) -> AbortHandle {
        let api = Api::<DynamicObject>::namespaced_with(self.client.clone(), namespace, resource);
        let mut config = watcher::Config::default();
        if let Some(labels) = labels {
            config = config.labels(labels);
        }
        if let Some(fields) = fields {
            config = config.fields(fields);
        }
        self.spawn(source, api, config, object_payload)
    }

    /// Watches every owned kind in `namespace` by label selector; Secrets
    /// metadata-only, so that no secret data is ever read.
    pub(crate) fn owned(&mut self, namespace: &str, labels: &str) {
        for kind in Kind::ALL {
            let source = Source::Owned(kind);
            if kind == Kind::Secret {
                let api =
                    Api::<PartialObjectMeta<Secret>>::namespaced(self.client.clone(), namespace);
                let config = watcher::Config::default().labels(labels);
                self.spawn(source, api, config, meta_payload);
            } else {
                self.objects(source, &kind.api_resource(), namespace, Some(labels), None);
            }
        }
    }

    /// Watches the Events of `namespace`.
    pub(crate) fn events(&mut self, namespace: &str) {
        let resource = ApiResource::erase::<Event>(&());
        let api = Api::<DynamicObject>::namespaced_with(self.client.clone(), namespace, &resource);
        self.spawn(
            Source::Events,
            api,
            watcher::Config::default(),
            event_payload,
        );
    }

    /// Watches the release Secrets of a Helm release.
    pub(crate) fn releases(&mut self, namespace: &str, release: &str) {
        let resource = ApiResource::erase::<Secret>(&());
        let api = Api::<DynamicObject>::namespaced_with(self.client.clone(), namespace, &resource);
        let config = watcher::Config::default().labels(&format!("owner=helm,name={release}"));
        self.spawn(Source::Releases, api, config, release_payload);
    }
}

fn key_of(metadata: &kube::api::ObjectMeta) -> Option<String> {
    metadata.uid.clone().or_else(|| metadata.name.clone())
}

fn object_payload(mut object: DynamicObject) -> Option<(String, Payload)> {
    // managedFields are large and never shown.
    object.metadata.managed_fields = None;
    let key = key_of(&object.metadata)?;
    let value = serde_json::to_value(&object).ok()?;
    Some((key, Payload::Object(value)))
}

fn meta_payload(object: PartialObjectMeta<Secret>) -> Option<(String, Payload)> {
    let mut metadata = object.metadata;
    metadata.managed_fields = None;
    // Annotations may hold a copy of the data (last-applied-configuration).
    metadata.annotations = None;
    let key = key_of(&metadata)?;
    let value = serde_json::json!({ "metadata": serde_json::to_value(&metadata).ok()? });
    Some((key, Payload::Object(value)))
}

fn event_payload(object: DynamicObject) -> Option<(String, Payload)> {
    let key = key_of(&object.metadata)?;
    let value = serde_json::to_value(&object).ok()?;
    Some((key, Payload::Event(event_record(&value))))
}

fn release_payload(object: DynamicObject) -> Option<(String, Payload)> {
    let key = key_of(&object.metadata)?;
    let name = clean(object.metadata.name.as_deref().unwrap_or(""));
    let value = serde_json::to_value(&object).ok()?;
    let release = decode_release_secret(&value).map_err(|e| format!("{name}: {e}"));
    Some((key, Payload::Release(Box::new(release))))
}
