//! Watcher tasks: each runs one `kube_runtime` watcher (bookmarks on, a
//! short backoff (`watch_backoff`), so reconnection and 410 relists happen inside it),
//! converts every object right away and sends the result to the hub.
//! Pods, the largest list, are read by `list_watch` instead: one LIST parsed
//! item by item as it arrives, then a watch.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use futures::stream::BoxStream;
use futures::{Stream, StreamExt as _};
use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{Event, Namespace, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ListMeta;
use kube::api::{
    Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, VersionMatch,
    WatchEvent as KubeEvent, WatchParams,
};
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt as _;
use kube::runtime::utils::ResetTimerBackoff;
use kube::runtime::watcher::{self, Event as WatchEvent, watcher};
use kube::{Client, Resource, ResourceExt as _};
use serde::de::DeserializeOwned;
use tokio::sync::mpsc::Sender;

use crate::domain::csd::{CustomServiceDefinition, OperatorLocation};
use crate::state::rows::OperatorHealth;

use super::client::{chain_text, is_connection_error, plain_error};
use super::convert::{self, CrdTarget, LeaseInfo, OperatorDeployment, ReleaseInfo};
use super::hub::{Change, CsdEntry, HubEvent, OperatorServiceSpec, WorkloadKind};
use super::lite::PodLite;
use super::lite::split::{FeedError, ItemSplitter};

/// How often a heartbeat Lease is re-checked: nothing changes in the
/// cluster when an operator dies, so time itself must be watched.
const LEASE_RECHECK: Duration = Duration::from_secs(3);

/// A watch that lists with a streaming list (the API server sends the
/// initial objects as watch events from its cache: no large LIST body to
/// hold and parse at once, which halves memory and shortens the first list
/// of 10,000 pods), and falls back to paged LISTs on servers that refuse
/// it (the WatchList feature is off there). Reconnection and 410 relists
/// are the watcher's own, with `watch_backoff`.
pub fn watch_stream<K>(
    api: Api<K>,
    config: watcher::Config,
) -> BoxStream<'static, Result<WatchEvent<K>, watcher::Error>>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    // One value per watch, moved once per event: the size does not matter.
    #[allow(clippy::large_enum_variant)]
    enum Phase<K: Resource + Clone + 'static> {
        Streaming {
            stream: BoxStream<'static, Result<WatchEvent<K>, watcher::Error>>,
            seen_ok: bool,
            api: Api<K>,
            config: watcher::Config,
        },
        Paged(BoxStream<'static, Result<WatchEvent<K>, watcher::Error>>),
    }
    let stream = watcher(api.clone(), config.clone().streaming_lists())
        .backoff(watch_backoff())
        .boxed();
    let start = Phase::Streaming {
        stream,
        seen_ok: false,
        api,
        config,
    };
    futures::stream::unfold(start, |phase| async move {
        let mut phase = phase;
        loop {
            match phase {
                Phase::Streaming {
                    mut stream,
                    seen_ok,
                    api,
                    config,
                } => match stream.next().await {
                    // Refused before anything arrived: this server cannot
                    // stream lists. (A network error here costs nothing:
                    // the paged watcher retries the same way.)
                    Some(Err(err)) if !seen_ok => {
                        tracing::info!(%err, "streaming list refused; using paged LISTs");
                        phase = Phase::Paged(watcher(api, config).backoff(watch_backoff()).boxed());
                    }
                    Some(item) => {
                        let seen_ok = seen_ok || item.is_ok();
                        let next = Phase::Streaming {
                            stream,
                            seen_ok,
                            api,
                            config,
                        };
                        return Some((item, next));
                    }
                    None => return None,
                },
                Phase::Paged(mut stream) => {
                    return stream.next().await.map(|item| (item, Phase::Paged(stream)));
                }
            }
        }
    })
    .boxed()
}

/// A watch whose first list is one unpaged LIST served from the API
/// server's watch cache, parsed item by item while the body arrives
/// (`lite::split`): nothing holds the whole body (a plain LIST reads it
/// all, then parses it), the parse overlaps the server's encoding, and the
/// server encodes one list rather than one watch event per object (a
/// streaming list). Then a watch with bookmarks from the list's resourceVersion,
/// relisting on 410 like the kube watcher; errors go through the default
/// backoff. A body that cannot be read as a list falls back to
/// `watch_stream` for good.
pub fn list_watch<K>(
    api: Api<K>,
    config: watcher::Config,
) -> BoxStream<'static, Result<WatchEvent<K>, watcher::Error>>
where
    K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
{
    type Body = std::pin::Pin<Box<dyn futures::AsyncBufRead + Send>>;
    type Events<K> = BoxStream<'static, kube::Result<kube::core::WatchEvent<K>>>;
    enum State<K> {
        Empty,
        Listing {
            body: Body,
            splitter: ItemSplitter,
            ready: VecDeque<K>,
        },
        Draining {
            ready: VecDeque<K>,
            resource_version: String,
        },
        Listed(String),
        Watching(String, Events<K>),
        Fallback(BoxStream<'static, Result<WatchEvent<K>, watcher::Error>>),
    }
    struct Ctx<K> {
        api: Api<K>,
        config: watcher::Config,
        state: State<K>,
    }

    fn unreadable(message: String) -> watcher::Error {
        use serde::de::Error as _;
        watcher::Error::InitialListFailed(kube::Error::SerdeError(serde_json::Error::custom(
            message,
        )))
    }

    async fn step<K>(ctx: &mut Ctx<K>) -> Option<Result<WatchEvent<K>, watcher::Error>>
    where
        K: Resource + Clone + DeserializeOwned + Debug + Send + 'static,
    {
        use futures::AsyncBufReadExt as _;
        loop {
            match std::mem::replace(&mut ctx.state, State::Empty) {
                State::Empty => {
                    let params = ListParams {
                        label_selector: ctx.config.label_selector.clone(),
                        field_selector: ctx.config.field_selector.clone(),
                        resource_version: Some(LIST_RESOURCE_VERSION.to_owned()),
                        version_match: Some(VersionMatch::NotOlderThan),
                        ..ListParams::default()
                    };
                    let request = kube::core::Request::new(ctx.api.resource_url())
                        .list(&params)
                        .map_err(kube::Error::BuildRequest);
                    let client = ctx.api.clone().into_client();
                    let body = match request {
                        Ok(request) => client.request_stream(request).await,
                        Err(e) => Err(e),
                    };
                    match body {
                        Ok(body) => {
                            ctx.state = State::Listing {
                                body: Box::pin(body),
                                splitter: ItemSplitter::new(),
                                ready: VecDeque::new(),
                            };
                            return Some(Ok(WatchEvent::Init));
                        }
                        Err(e) => return Some(Err(watcher::Error::InitialListFailed(e))),
                    }
                }
                State::Listing {
                    mut body,
                    mut splitter,
                    mut ready,
                } => {
                    if let Some(item) = ready.pop_front() {
                        ctx.state = State::Listing {
                            body,
                            splitter,
                            ready,
                        };
                        return Some(Ok(WatchEvent::InitApply(item)));
                    }
                    let chunk = match body.fill_buf().await {
                        Ok(chunk) => chunk,
                        Err(e) => {
                            return Some(Err(watcher::Error::InitialListFailed(
                                kube::Error::ReadEvents(e),
                            )));
                        }
                    };
                    if chunk.is_empty() {
                        let metadata = match splitter.finish() {
                            Ok(metadata) => metadata,
                            Err(e) => {
                                // A cut-off body: the connection, not the server's format.
                                return Some(Err(watcher::Error::InitialListFailed(
                                    kube::Error::ReadEvents(std::io::Error::new(
                                        std::io::ErrorKind::UnexpectedEof,
                                        e,
                                    )),
                                )));
                            }
                        };
                        let resource_version = metadata
                            .and_then(|m| serde_json::from_slice::<ListMeta>(&m).ok())
                            .and_then(|m| m.resource_version)
                            .filter(|rv| !rv.is_empty());
                        let Some(resource_version) = resource_version else {
                            return Some(Err(watcher::Error::NoResourceVersion));
                        };
                        ctx.state = State::Draining {
                            ready,
                            resource_version,
                        };
                        continue;
                    }
                    let n = chunk.len();
                    let before = splitter.items();
                    let fed = splitter.feed(chunk, |text| {
                        serde_json::from_slice::<K>(text)
                            .map(|item| ready.push_back(item))
                            .map_err(|e| e.to_string())
                    });
                    body.consume_unpin(n);
                    let problem = match fed {
                        Ok(()) => None,
                        Err(FeedError::Split(e)) => Some(e.to_string()),
                        Err(FeedError::Item(e)) => Some(format!(
                            "list body: item {} cannot be read: {e}",
                            before + ready.len() as u64
                        )),
                    };
                    if let Some(problem) = problem {
                        tracing::warn!(problem, "list not readable; using the kube watcher");
                        ctx.state =
                            State::Fallback(watch_stream(ctx.api.clone(), ctx.config.clone()));
                        return Some(Err(unreadable(problem)));
                    }
                    ctx.state = State::Listing {
                        body,
                        splitter,
                        ready,
                    };
                }
                State::Draining {
                    mut ready,
                    resource_version,
                } => match ready.pop_front() {
                    Some(item) => {
                        ctx.state = State::Draining {
                            ready,
                            resource_version,
                        };
                        return Some(Ok(WatchEvent::InitApply(item)));
                    }
                    None => {
                        ctx.state = State::Listed(resource_version);
                        return Some(Ok(WatchEvent::InitDone));
                    }
                },
                State::Listed(resource_version) => {
                    let params = WatchParams {
                        label_selector: ctx.config.label_selector.clone(),
                        field_selector: ctx.config.field_selector.clone(),
                        timeout: ctx.config.timeout,
                        bookmarks: true,
                        send_initial_events: false,
                    };
                    match ctx.api.watch(&params, &resource_version).await {
                        Ok(stream) => {
                            ctx.state = State::Watching(resource_version, stream.boxed());
                        }
                        Err(e) => {
                            ctx.state = State::Listed(resource_version);
                            return Some(Err(watcher::Error::WatchStartFailed(e)));
                        }
                    }
                }
                State::Watching(resource_version, mut stream) => match stream.next().await {
                    Some(Ok(KubeEvent::Added(obj) | KubeEvent::Modified(obj))) => {
                        let rv = obj.resource_version().unwrap_or_default();
                        if rv.is_empty() {
                            return Some(Err(watcher::Error::NoResourceVersion));
                        }
                        ctx.state = State::Watching(rv, stream);
                        return Some(Ok(WatchEvent::Apply(obj)));
                    }
                    Some(Ok(KubeEvent::Deleted(obj))) => {
                        let rv = obj.resource_version().unwrap_or_default();
                        if rv.is_empty() {
                            return Some(Err(watcher::Error::NoResourceVersion));
                        }
                        ctx.state = State::Watching(rv, stream);
                        return Some(Ok(WatchEvent::Delete(obj)));
                    }
                    Some(Ok(KubeEvent::Bookmark(bookmark))) => {
                        ctx.state = State::Watching(bookmark.metadata.resource_version, stream);
                    }
                    Some(Ok(KubeEvent::Error(status))) => {
                        // 410 Gone: the version is too old; list again.
                        if status.code != 410 {
                            ctx.state = State::Watching(resource_version, stream);
                        }
                        return Some(Err(watcher::Error::WatchError(status)));
                    }
                    Some(Err(e)) => {
                        ctx.state = State::Watching(resource_version, stream);
                        return Some(Err(watcher::Error::WatchFailed(e)));
                    }
                    // The server ended the watch (timeout): resume.
                    None => ctx.state = State::Listed(resource_version),
                },
                State::Fallback(mut stream) => {
                    let item = stream.next().await;
                    ctx.state = State::Fallback(stream);
                    return item;
                }
            }
        }
    }

    let ctx = Ctx {
        api,
        config,
        state: State::Empty,
    };
    futures::stream::unfold(ctx, |mut ctx| async move {
        step(&mut ctx).await.map(|item| (item, ctx))
    })
    .backoff(watch_backoff())
    .boxed()
}

/// Retry delays of every watch: 0.5 s doubling to at most 4 s, with jitter,
/// reset after a minute without errors. kube's default grows to 30 s: after
/// an API server came back, the connection banner said "connected" while
/// rows stayed up to a minute old (tests/fault_apiserver.rs measured 22 to
/// 70 s). About twenty watches retrying every 4 s is a light load on a
/// server that is down.
pub fn watch_backoff() -> ResetTimerBackoff<WatchBackoff> {
    ResetTimerBackoff::new(WatchBackoff::default(), Duration::from_secs(60))
}

/// 0.5 s, 1 s, 2 s, then 4 s for ever, each with up to a quarter of jitter
/// so that many watches do not retry in step.
#[derive(Debug, Default, Clone)]
pub struct WatchBackoff {
    tries: u32,
}

impl WatchBackoff {
    const FIRST: Duration = Duration::from_millis(500);
    const MAX: Duration = Duration::from_secs(4);
}

impl Iterator for WatchBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let base = Self::FIRST
            .saturating_mul(1 << self.tries.min(8))
            .min(Self::MAX);
        self.tries = self.tries.saturating_add(1);
        // Cheap jitter: the clock's nanoseconds are random enough here.
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let jitter = base.mul_f64(f64::from(nanos % 1000) / 4000.0);
        Some(base + jitter)
    }
}

impl kube::runtime::utils::Backoff for WatchBackoff {
    fn reset(&mut self) {
        self.tries = 0;
    }
}

/// The resourceVersion of the first LIST: "0" is served from the watch
/// cache as it stands, without waiting for it to catch up with etcd as a
/// consistent read ("") does; the watch that follows brings it up to date.
const LIST_RESOURCE_VERSION: &str = "0";

/// A watcher error, classified: (connection lost?, words).
fn classify(err: &watcher::Error) -> Option<(bool, String)> {
    match err {
        watcher::Error::InitialListFailed(e)
        | watcher::Error::WatchStartFailed(e)
        | watcher::Error::WatchFailed(e) => {
            if is_connection_error(e) {
                Some((true, plain_error(e, "")))
            } else {
                Some((false, chain_text(e)))
            }
        }
        // 410 Gone: the watcher relists by itself; nothing is wrong.
        watcher::Error::WatchError(status) if status.code == 410 => None,
        watcher::Error::WatchError(status) => Some((
            status.code >= 500,
            crate::domain::text::clean(&status.message),
        )),
        watcher::Error::NoResourceVersion => Some((false, err.to_string())),
    }
}

async fn report(tx: &Sender<HubEvent>, source: &str, err: &watcher::Error) -> bool {
    let Some((connection, error)) = classify(err) else {
        return true;
    };
    tracing::debug!(source, error, connection, "watch error");
    tx.send(HubEvent::WatchError {
        source: source.to_owned(),
        error,
        connection,
    })
    .await
    .is_ok()
}

/// Pumps a watcher stream into the hub, converting each object with
/// `convert` and wrapping each change with `wrap`. Ends when the hub is gone.
pub async fn pump<K, T, S>(
    stream: S,
    source: &str,
    tx: Sender<HubEvent>,
    convert: impl Fn(K) -> Option<T>,
    wrap: impl Fn(Change<T>) -> HubEvent,
) where
    S: Stream<Item = Result<WatchEvent<K>, watcher::Error>>,
{
    let mut stream = std::pin::pin!(stream);
    let started = std::time::Instant::now();
    let mut items = 0usize;
    while let Some(item) = stream.next().await {
        let change = match item {
            Ok(WatchEvent::Init) => Some(Change::Init),
            Ok(WatchEvent::InitApply(obj)) => {
                items += 1;
                convert(obj).map(Change::Item)
            }
            Ok(WatchEvent::InitDone) => {
                tracing::debug!(source, items, elapsed = ?started.elapsed(), "list done");
                Some(Change::InitDone)
            }
            Ok(WatchEvent::Apply(obj)) => convert(obj).map(Change::Apply),
            Ok(WatchEvent::Delete(obj)) => convert(obj).map(Change::Delete),
            Err(err) => {
                if !report(&tx, source, &err).await {
                    return;
                }
                None
            }
        };
        if let Some(change) = change
            && tx.send(wrap(change)).await.is_err()
        {
            return;
        }
    }
}

fn api_all<K>(client: &Client, namespace: Option<&str>) -> Api<K>
where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>,
    K::DynamicType: Default,
{
    match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    }
}

fn spawn_metadata<K>(
    set: &mut tokio::task::JoinSet<()>,
    client: &Client,
    namespace: Option<&str>,
    kind: WorkloadKind,
    source: &'static str,
    tx: &Sender<HubEvent>,
) where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + 'static,
    K::DynamicType: Default,
{
    // Metadata only: the owner links are all that is needed.
    let api: Api<PartialObjectMeta<K>> = match namespace {
        Some(ns) => Api::namespaced(client.clone(), ns),
        None => Api::all(client.clone()),
    };
    let stream = watch_stream(api, watcher::Config::default());
    set.spawn(pump(
        stream,
        source,
        tx.clone(),
        |obj: PartialObjectMeta<K>| convert::workload_from_meta(&obj.metadata),
        move |c| HubEvent::Workloads(kind, c),
    ));
}

/// Starts the watches every session needs (CSDs, pods, workloads, events,
/// Helm releases, namespaces).
pub fn spawn_core(
    set: &mut tokio::task::JoinSet<()>,
    client: &Client,
    namespace: Option<&str>,
    tx: &Sender<HubEvent>,
) {
    // CSDs: cluster-scoped, read dynamically (no typed struct to drift).
    let csd_resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("osc.io", "v1beta1", "CustomServiceDefinition"),
        "customservicedefinitions",
    );
    let csds: Api<DynamicObject> = Api::all_with(client.clone(), &csd_resource);
    set.spawn(pump(
        watch_stream(csds, watcher::Config::default()),
        "csds",
        tx.clone(),
        csd_entry,
        HubEvent::Csd,
    ));

    // Pods read lean: identity, owners, labels and status only.
    let pods: Api<PodLite> = api_all(client, namespace);
    set.spawn(pump(
        list_watch(pods, watcher::Config::default()),
        "pods",
        tx.clone(),
        convert::pod_from_object,
        HubEvent::Pods,
    ));

    spawn_metadata::<StatefulSet>(
        set,
        client,
        namespace,
        WorkloadKind::StatefulSet,
        "statefulsets",
        tx,
    );
    spawn_metadata::<Deployment>(
        set,
        client,
        namespace,
        WorkloadKind::Deployment,
        "deployments",
        tx,
    );
    spawn_metadata::<ReplicaSet>(
        set,
        client,
        namespace,
        WorkloadKind::ReplicaSet,
        "replicasets",
        tx,
    );

    let events: Api<Event> = api_all(client, namespace);
    set.spawn(pump(
        watch_stream(events, watcher::Config::default()),
        "events",
        tx.clone(),
        |e: Event| convert::event_from(&e),
        HubEvent::Events,
    ));

    let namespaces: Api<PartialObjectMeta<Namespace>> = Api::all(client.clone());
    set.spawn(pump(
        watch_stream(namespaces, watcher::Config::default()),
        "namespaces",
        tx.clone(),
        |n: PartialObjectMeta<Namespace>| n.metadata.name,
        HubEvent::Namespaces,
    ));

    let secrets: Api<Secret> = api_all(client, namespace);
    set.spawn(releases(secrets, tx.clone()));
}

fn csd_entry(object: DynamicObject) -> Option<CsdEntry> {
    let name = object.metadata.name.clone()?;
    let value = serde_json::to_value(&object).ok()?;
    let csd = match CustomServiceDefinition::from_value(&value) {
        Ok(csd) => {
            if !csd.problems.is_empty() {
                tracing::debug!(csd = %name, problems = ?csd.problems, "CSD read with problems");
            }
            Some(Arc::new(csd))
        }
        Err(e) => {
            tracing::warn!(csd = %name, error = %e, "CSD not usable");
            None
        }
    };
    // Only Operator services go to the warm-start cache, without the
    // managedFields nobody reads.
    let raw = csd
        .as_ref()
        .and_then(|c| OperatorServiceSpec::from_csd(c))
        .map(|_| {
            let mut value = value;
            if let Some(meta) = value.get_mut("metadata").and_then(|m| m.as_object_mut()) {
                meta.remove("managedFields");
            }
            Arc::new(value)
        });
    Some(CsdEntry {
        name: crate::domain::text::clean(&name),
        csd,
        raw,
    })
}

/// Revisions known per release, from the Secrets' `name`/`version` labels.
#[derive(Default)]
struct ReleaseTracker {
    /// (namespace, release) -> revision -> Secret name.
    revisions: HashMap<(String, String), BTreeMap<u64, String>>,
}

fn release_labels(secret: &Secret) -> Option<(String, String, u64, String)> {
    let labels = secret.metadata.labels.as_ref()?;
    let name = labels.get("name")?.clone();
    let revision = labels.get("version")?.parse().ok()?;
    Some((
        secret.metadata.namespace.clone().unwrap_or_default(),
        name,
        revision,
        secret.metadata.name.clone()?,
    ))
}

fn decode(secret: &Secret) -> Option<ReleaseInfo> {
    if secret.type_.as_deref() != Some(crate::domain::helm::RELEASE_SECRET_TYPE) {
        return None;
    }
    let data = secret.data.as_ref()?.get("release")?;
    let namespace = secret.metadata.namespace.as_deref().unwrap_or("");
    let created = secret
        .metadata
        .creation_timestamp
        .as_ref()
        .map(convert::epoch)
        .unwrap_or(0);
    match crate::domain::helm::decode_release_data(&data.0) {
        Ok(release) => Some(convert::release_from(&release, namespace, created)),
        Err(e) => {
            tracing::warn!(
                secret = secret.metadata.name.as_deref().unwrap_or(""),
                namespace,
                error = %e,
                "Helm release not readable"
            );
            // Listed with the reason, not left out.
            Some(convert::unreadable_release(
                &secret.metadata,
                created,
                &e.to_string(),
            ))
        }
    }
}

/// Watches Helm release Secrets (`owner=helm`) and decodes only the latest
/// revision of each release.
async fn releases(api: Api<Secret>, tx: Sender<HubEvent>) {
    let config = watcher::Config::default().labels("owner=helm");
    let mut stream = std::pin::pin!(watch_stream(api.clone(), config));
    let mut tracker = ReleaseTracker::default();
    // During a relist: the newest Secret seen per release.
    let mut buffer: HashMap<(String, String), (u64, Secret)> = HashMap::new();
    let started = std::time::Instant::now();
    while let Some(item) = stream.next().await {
        let changes: Vec<Change<ReleaseInfo>> = match item {
            Ok(WatchEvent::Init) => {
                tracker.revisions.clear();
                buffer.clear();
                vec![Change::Init]
            }
            Ok(WatchEvent::InitApply(secret)) => {
                if let Some((ns, name, revision, secret_name)) = release_labels(&secret) {
                    let key = (ns, name);
                    tracker
                        .revisions
                        .entry(key.clone())
                        .or_default()
                        .insert(revision, secret_name);
                    if buffer.get(&key).is_none_or(|(r, _)| *r <= revision) {
                        buffer.insert(key, (revision, secret));
                    }
                }
                Vec::new()
            }
            Ok(WatchEvent::InitDone) => {
                tracing::debug!(source = "releases", items = buffer.len(), elapsed = ?started.elapsed(), "list done");
                let mut out: Vec<Change<ReleaseInfo>> = buffer
                    .drain()
                    .filter_map(|(_, (_, secret))| decode(&secret))
                    .map(Change::Item)
                    .collect();
                out.push(Change::InitDone);
                out
            }
            Ok(WatchEvent::Apply(secret)) => {
                let Some((ns, name, revision, secret_name)) = release_labels(&secret) else {
                    continue;
                };
                let revisions = tracker.revisions.entry((ns, name)).or_default();
                revisions.insert(revision, secret_name);
                let newest = revisions.keys().next_back().copied();
                if newest == Some(revision) {
                    decode(&secret).map(Change::Apply).into_iter().collect()
                } else {
                    Vec::new()
                }
            }
            Ok(WatchEvent::Delete(secret)) => {
                let Some((ns, name, revision, _)) = release_labels(&secret) else {
                    continue;
                };
                let key = (ns.clone(), name.clone());
                let revisions = tracker.revisions.entry(key.clone()).or_default();
                let was_newest = revisions.keys().next_back().copied() == Some(revision);
                revisions.remove(&revision);
                match revisions.iter().next_back().map(|(_, s)| s.clone()) {
                    None => {
                        tracker.revisions.remove(&key);
                        decode(&secret).map(Change::Delete).into_iter().collect()
                    }
                    Some(previous) if was_newest => {
                        // Rare (rollback of history): read the now-newest one.
                        let ns_api: Api<Secret> = Api::namespaced(api.clone().into_client(), &ns);
                        match ns_api.get_opt(&previous).await {
                            Ok(Some(secret)) => {
                                decode(&secret).map(Change::Apply).into_iter().collect()
                            }
                            Ok(None) => Vec::new(),
                            Err(e) => {
                                tracing::debug!(error = %e, "cannot read previous release revision");
                                Vec::new()
                            }
                        }
                    }
                    Some(_) => Vec::new(),
                }
            }
            Err(err) => {
                if !report(&tx, "releases", &err).await {
                    return;
                }
                Vec::new()
            }
        };
        for change in changes {
            if tx.send(HubEvent::Releases(change)).await.is_err() {
                return;
            }
        }
    }
}

/// Watches an Operator service's CRD (by name) and, once it is known, the
/// service's CRs. A missing CRD yields an empty instance list.
pub async fn service_instances(
    client: Client,
    namespace: Option<String>,
    spec: OperatorServiceSpec,
    generation: u64,
    hint: Option<CrdTarget>,
    tx: Sender<HubEvent>,
) {
    let service = spec.service.clone();
    let source = format!("instances:{service}");
    let send_empty = |tx: Sender<HubEvent>, service: String| async move {
        for change in [Change::Init, Change::InitDone] {
            let _ = tx
                .send(HubEvent::Instances {
                    service: service.clone(),
                    generation,
                    change,
                })
                .await;
        }
    };
    let Some(crd_name) = spec.crd.clone() else {
        tracing::warn!(service, "Operator CSD has no CRDRef");
        send_empty(tx, service).await;
        return;
    };
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let config = watcher::Config::default().fields(&format!("metadata.name={crd_name}"));
    let mut crd_stream = std::pin::pin!(watch_stream(crds, config));
    // None until the first list decides; then the CRD's target, if any.
    let mut current: Option<Option<CrdTarget>> = None;
    let mut seen_in_list = false;
    // Dropping the guard (task aborted or ended) stops the CR watch too.
    let mut instances = AbortOnDrop::default();
    // A warm start lists the CRs now; the CRD list below confirms the
    // target (kept) or corrects it (restarted).
    if let Some(target) = hint {
        instances = spawn_instances(
            &client,
            namespace.as_deref(),
            &spec,
            generation,
            &target,
            &tx,
        );
        current = Some(Some(target));
    }
    while let Some(item) = crd_stream.next().await {
        let (next, seen) = match item {
            Ok(WatchEvent::Init) => {
                seen_in_list = false;
                continue;
            }
            Ok(WatchEvent::InitApply(crd)) => {
                seen_in_list = true;
                (convert::crd_target(&crd), Some(crd))
            }
            Ok(WatchEvent::Apply(crd)) => (convert::crd_target(&crd), Some(crd)),
            Ok(WatchEvent::InitDone) if seen_in_list => continue,
            Ok(WatchEvent::InitDone) | Ok(WatchEvent::Delete(_)) => (None, None),
            Err(err) => {
                if !report(&tx, &source, &err).await {
                    break;
                }
                continue;
            }
        };
        // The hub compares the CRD with the CSD (OSC FAQ 3, CRD drift).
        let crd_event = HubEvent::Crd {
            service: service.clone(),
            generation,
            crd: seen.map(Arc::new),
        };
        if tx.send(crd_event).await.is_err() {
            break;
        }
        if current.as_ref() == Some(&next) {
            continue;
        }
        instances = AbortOnDrop::default();
        current = Some(next.clone());
        match next {
            Some(target) => {
                instances = spawn_instances(
                    &client,
                    namespace.as_deref(),
                    &spec,
                    generation,
                    &target,
                    &tx,
                );
            }
            None => {
                tracing::warn!(service, crd = crd_name, "CRD not found");
                send_empty(tx.clone(), service.clone()).await;
            }
        }
    }
    drop(instances);
}

/// Starts the watch of a service's CRs where its CRD serves them.
fn spawn_instances(
    client: &Client,
    namespace: Option<&str>,
    spec: &OperatorServiceSpec,
    generation: u64,
    target: &CrdTarget,
    tx: &Sender<HubEvent>,
) -> AbortOnDrop {
    let resource = target.api_resource();
    let api: Api<DynamicObject> = match (namespace, target.namespaced) {
        (Some(ns), true) => Api::namespaced_with(client.clone(), ns, &resource),
        _ => Api::all_with(client.clone(), &resource),
    };
    let definition = spec.version_definition.clone();
    let service = spec.service.clone();
    let wrap_service = service.clone();
    let source = format!("instances:{service}");
    let tx = tx.clone();
    AbortOnDrop(Some(tokio::spawn(async move {
        pump(
            watch_stream(api, watcher::Config::default()),
            &source,
            tx,
            move |obj: DynamicObject| {
                convert::instance_from_object(&service, definition.as_ref(), &obj)
            },
            move |change| HubEvent::Instances {
                service: wrap_service.clone(),
                generation,
                change,
            },
        )
        .await;
    })))
}

/// Aborts a task when dropped (a task handle alone does not).
#[derive(Debug, Default)]
pub struct AbortOnDrop(pub Option<tokio::task::JoinHandle<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.abort();
        }
    }
}

/// Follows the health of the operator behind a service.
pub async fn operator_health(
    client: Client,
    service: String,
    location: OperatorLocation,
    generation: u64,
    tx: Sender<HubEvent>,
) {
    match location {
        OperatorLocation::Deployment { namespace, name } => {
            deployment_operator(client, service, namespace, name, generation, tx).await;
        }
        OperatorLocation::Lease { namespace, name } => {
            lease_operator(client, service, namespace, name, generation, tx).await;
        }
    }
}

async fn send_health(
    tx: &Sender<HubEvent>,
    last: &mut Option<OperatorHealth>,
    service: &str,
    generation: u64,
    health: OperatorHealth,
) -> bool {
    if last.as_ref() == Some(&health) {
        return true;
    }
    *last = Some(health.clone());
    tx.send(HubEvent::Operator {
        service: service.to_owned(),
        generation,
        health,
    })
    .await
    .is_ok()
}

type PodStream = BoxStream<'static, Result<WatchEvent<PodLite>, watcher::Error>>;

async fn deployment_operator(
    client: Client,
    service: String,
    namespace: String,
    name: String,
    generation: u64,
    tx: Sender<HubEvent>,
) {
    let location = format!("{namespace}/{name}");
    let source = format!("operator:{service}");
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), &namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut deployment_stream = std::pin::pin!(watch_stream(deployments, config));
    let mut deployment: Option<OperatorDeployment> = None;
    let mut listed = false;
    let mut selector: Option<String> = None;
    let mut pod_stream: Option<PodStream> = None;
    // Pod uid -> why it is not ready (the operator's own pods only).
    let mut pods: HashMap<String, Option<String>> = HashMap::new();
    let mut last = None;
    let mut last_install = None;
    loop {
        let pod_next = async {
            match pod_stream.as_mut() {
                Some(stream) => stream.next().await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            item = deployment_stream.next() => {
                let Some(item) = item else { return };
                match item {
                    Ok(WatchEvent::Init) => {}
                    Ok(WatchEvent::InitApply(d) | WatchEvent::Apply(d)) => {
                        deployment = Some(convert::operator_deployment(&d));
                    }
                    Ok(WatchEvent::InitDone) => listed = true,
                    Ok(WatchEvent::Delete(_)) => deployment = None,
                    Err(err) => {
                        if !report(&tx, &source, &err).await { return; }
                    }
                }
                let wanted = deployment.as_ref().and_then(|d| d.selector.clone());
                if wanted != selector {
                    selector = wanted;
                    pods.clear();
                    pod_stream = selector.as_ref().map(|labels| {
                        let api: Api<PodLite> = Api::namespaced(client.clone(), &namespace);
                        let config = watcher::Config::default().labels(labels);
                        watch_stream(api, config)
                    });
                }
            }
            item = pod_next => {
                match item {
                    Some(Ok(WatchEvent::Init)) => pods.clear(),
                    Some(Ok(WatchEvent::InitApply(p) | WatchEvent::Apply(p))) => {
                        if let Some(info) = convert::pod_from_object(p) {
                            let reason = if info.summary.ready { None } else {
                                Some(info.summary.reason.unwrap_or_else(|| info.summary.phase.clone()))
                            };
                            pods.insert(info.uid, reason);
                        }
                    }
                    Some(Ok(WatchEvent::Delete(p))) => {
                        if let Some(uid) = p.metadata.uid { pods.remove(&uid); }
                    }
                    Some(Ok(WatchEvent::InitDone)) => {}
                    Some(Err(err)) => {
                        if !report(&tx, &source, &err).await { return; }
                    }
                    None => pod_stream = None,
                }
            }
        }
        if !listed {
            continue;
        }
        let mut reasons: Vec<String> = pods.values().flatten().cloned().collect();
        reasons.sort();
        let health = convert::deployment_health(&location, deployment.as_ref(), &reasons);
        if !send_health(&tx, &mut last, &service, generation, health).await {
            return;
        }
        // Where the rollout stands (OSC FAQ 2, an operator stuck installing).
        let install = convert::deployment_install(deployment.as_ref(), &reasons);
        if last_install.as_ref() != Some(&install) {
            last_install = Some(install.clone());
            let event = HubEvent::OperatorInstall {
                service: service.clone(),
                generation,
                install,
            };
            if tx.send(event).await.is_err() {
                return;
            }
        }
    }
}

async fn lease_operator(
    client: Client,
    service: String,
    namespace: String,
    name: String,
    generation: u64,
    tx: Sender<HubEvent>,
) {
    let location = format!("{namespace}/{name}");
    let source = format!("operator:{service}");
    let leases: Api<Lease> = Api::namespaced(client, &namespace);
    let config = watcher::Config::default().fields(&format!("metadata.name={name}"));
    let mut stream = std::pin::pin!(watch_stream(leases, config));
    let mut lease: Option<LeaseInfo> = None;
    let mut listed = false;
    let mut last = None;
    let mut tick = tokio::time::interval(LEASE_RECHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            item = stream.next() => {
                let Some(item) = item else { return };
                match item {
                    Ok(WatchEvent::Init) => {}
                    Ok(WatchEvent::InitApply(l) | WatchEvent::Apply(l)) => {
                        lease = Some(convert::lease_info(&l));
                    }
                    Ok(WatchEvent::InitDone) => listed = true,
                    Ok(WatchEvent::Delete(_)) => lease = None,
                    Err(err) => {
                        if !report(&tx, &source, &err).await { return; }
                    }
                }
            }
            _ = tick.tick() => {}
        }
        if !listed {
            continue;
        }
        let health = convert::lease_health(&location, lease.as_ref(), now());
        if !send_health(&tx, &mut last, &service, generation, health).await {
            return;
        }
    }
}

/// Seconds since the Unix epoch.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// While disconnected: asks the API server for its version every couple of
/// seconds, and reports `Alive` once it answers (a quiet cluster sends no
/// watch events that would say so).
pub async fn probe(client: Client, tx: Sender<HubEvent>) {
    let mut delay = Duration::from_millis(500);
    loop {
        tokio::time::sleep(delay).await;
        let answered =
            tokio::time::timeout(Duration::from_secs(5), client.apiserver_version()).await;
        if matches!(answered, Ok(Ok(_))) {
            let _ = tx.send(HubEvent::Alive).await;
            return;
        }
        delay = (delay * 2).min(Duration::from_secs(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::runtime::utils::Backoff as _;

    #[test]
    fn the_watch_backoff_is_short_and_resets() {
        let mut backoff = WatchBackoff::default();
        let delays: Vec<Duration> = (&mut backoff).take(8).collect();
        let floors = [500, 1000, 2000, 4000, 4000, 4000, 4000, 4000];
        for (delay, floor) in delays.iter().zip(floors) {
            let floor = Duration::from_millis(floor);
            assert!(
                *delay >= floor && *delay <= floor.mul_f64(1.25),
                "{delays:?}"
            );
        }
        backoff.reset();
        assert!(backoff.next() < Some(Duration::from_millis(626)));
    }
}
