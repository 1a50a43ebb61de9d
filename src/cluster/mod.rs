//! Everything that talks to Kubernetes. Watchers turn cluster objects into
//! owned rows and send them to the event loop as [`crate::action::Msg`];
//! this module never touches the console state.
//!
//! Tasks and channels:
//!
//! ```text
//! Cluster (handle, owned by the app)
//!   └─ supervisor task: loads config, builds the client, restarts sessions
//!        ├─ control channel <- Cluster::execute (WatchNamespace, SwitchContext)
//!        └─ session = hub task (owns every cache; Msg -> app, coalesced)
//!             ├─ core watchers: CSDs, pods, STS/Deploy/RS metadata, events,
//!             │  Helm release Secrets, namespaces        ─┐
//!             ├─ per Operator service: CRD watch -> CR watch  ├─ HubEvent channel -> hub
//!             ├─ per Operator service: operator health    ─┘
//!             └─ while disconnected: reachability probe
//!   └─ detail task (crate::cluster::detail::spawn), replaced per WatchDetail
//! ```

pub mod client;
pub mod convert;
pub mod detail;
pub mod hub;
pub mod lite;
pub mod logs;
pub mod metrics;
pub mod ops;
pub mod warm;
pub mod watch;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kube::Client;
use tokio::sync::{mpsc, watch as tokio_watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::action::{Connection, Msg};
use crate::update::Command;

pub use client::{ClusterError, ClusterOptions, list_contexts, load_config};

use hub::{HubEvent, HubState, OperatorServiceSpec};
use watch::AbortOnDrop;

/// Shortest time between two flushes of coalesced changes.
const FLUSH_INTERVAL: Duration = Duration::from_millis(50);
/// Capacity of the channel from watcher tasks to the hub.
const HUB_CHANNEL: usize = 1024;
/// Longest wait between two attempts to load the configuration.
const MAX_RETRY: Duration = Duration::from_secs(30);

/// The label selector of an instance's pods: every object an operator
/// creates for an instance, and every object of a Helm release, carries
/// `app.kubernetes.io/instance=<name>`.
pub(crate) fn instance_selector(target: &crate::state::detail::InstanceRef) -> String {
    format!("app.kubernetes.io/instance={}", target.name)
}

/// Requests from the [`Cluster`] handle to its supervisor task.
#[derive(Debug)]
enum Control {
    Namespace(Option<String>),
    Context(String),
}

/// The console's connection to a cluster: a handle on background tasks that
/// watch it and send [`Msg`]s. Dropping it (or [`Cluster::shutdown`]) stops
/// them all.
pub struct Cluster {
    control: mpsc::UnboundedSender<Control>,
    client: tokio_watch::Receiver<Option<Client>>,
    tx: mpsc::Sender<Msg>,
    /// Bumped on every namespace or context switch: news of an older
    /// session is dropped instead of reaching the screen.
    epoch: Arc<AtomicU64>,
    supervisor: AbortOnDrop,
    detail: AbortOnDrop,
    logs: AbortOnDrop,
    metrics: AbortOnDrop,
    /// Prometheus (`namespace/service:port`) for MonitorConfig queries, when configured.
    prometheus: Option<String>,
    /// The guided operations' task (context reads, dry runs); writes run
    /// detached so that closing a wizard never cuts one in half.
    ops: AbortOnDrop,
    /// What the ops task needs to know (readonly, context, Helm charts).
    ops_settings: ops::OpsSettings,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("connected", &self.client.borrow().is_some())
            .field("detail", &self.detail.0.is_some())
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// Starts connecting in the background and returns at once, so the
    /// first frame never waits on the network. Must be called within a
    /// Tokio runtime.
    pub fn start(opts: ClusterOptions, tx: mpsc::Sender<Msg>) -> Cluster {
        let prometheus = opts.prometheus.clone();
        let ops_settings = ops::OpsSettings::from_options(&opts);
        let (control, control_rx) = mpsc::unbounded_channel();
        let (client_tx, client_rx) = tokio_watch::channel(None);
        let epoch = Arc::new(AtomicU64::new(0));
        let supervisor = tokio::spawn(supervise(
            opts,
            tx.clone(),
            control_rx,
            client_tx,
            epoch.clone(),
        ));
        Cluster {
            control,
            client: client_rx,
            tx,
            epoch,
            supervisor: AbortOnDrop(Some(supervisor)),
            detail: AbortOnDrop::default(),
            logs: AbortOnDrop::default(),
            metrics: AbortOnDrop::default(),
            prometheus,
            ops: AbortOnDrop::default(),
            ops_settings,
        }
    }

    /// Carries out a side effect asked for by `update`.
    pub fn execute(&mut self, command: &Command) {
        match command {
            Command::WatchNamespace(namespace) => {
                self.epoch.fetch_add(1, Ordering::SeqCst);
                let _ = self.control.send(Control::Namespace(namespace.clone()));
            }
            Command::SwitchContext(context) => {
                self.epoch.fetch_add(1, Ordering::SeqCst);
                // The detail, log and metrics tasks belong to the old cluster.
                self.detail = AbortOnDrop::default();
                self.logs = AbortOnDrop::default();
                self.metrics = AbortOnDrop::default();
                self.ops = AbortOnDrop::default();
                self.ops_settings.context = Some(context.clone());
                let _ = self.control.send(Control::Context(context.clone()));
            }
            Command::WatchDetail(target) => {
                let target = target.clone();
                let tx = self.tx.clone();
                self.detail = self.with_client(move |client| detail::spawn(client, target, tx));
            }
            Command::StreamLogs(request) => {
                let request = request.clone();
                let tx = self.tx.clone();
                self.logs = self.with_client(move |client| logs::spawn(client, request, tx));
            }
            Command::StopLogs => self.logs = AbortOnDrop::default(),
            Command::WatchMetrics(request) => {
                let request = request.clone();
                let tx = self.tx.clone();
                let prometheus = self.prometheus.clone();
                self.metrics =
                    self.with_client(move |client| metrics::spawn(client, request, tx, prometheus));
            }
            Command::StopMetrics => self.metrics = AbortOnDrop::default(),
            Command::StopDetail => self.detail = AbortOnDrop::default(),
            Command::Ops(request) => self.ops_request(request.clone()),
            // Files and quitting are the event loop's business.
            Command::SaveLogs { .. } | Command::Redraw | Command::Quit => {}
        }
    }

    /// Runs `start` with the client now, or once the first client exists
    /// (aborting the returned guard aborts either).
    fn with_client<F>(&self, start: F) -> AbortOnDrop
    where
        F: FnOnce(Client) -> tokio::task::JoinHandle<()> + Send + 'static,
    {
        let current = self.client.borrow().clone();
        let handle = match current {
            Some(client) => start(client),
            None => {
                let mut clients = self.client.clone();
                tokio::spawn(async move {
                    let client = match clients.wait_for(Option::is_some).await {
                        Ok(client) => client.clone(),
                        Err(_) => return,
                    };
                    let Some(client) = client else { return };
                    // The guard aborts the inner task if this one is aborted.
                    let mut inner = AbortOnDrop(Some(start(client)));
                    if let Some(handle) = inner.0.as_mut() {
                        let _ = handle.await;
                    }
                })
            }
        };
        AbortOnDrop(Some(handle))
    }

    /// Stops every background task.
    pub fn shutdown(&mut self) {
        self.detail = AbortOnDrop::default();
        self.logs = AbortOnDrop::default();
        self.metrics = AbortOnDrop::default();
        self.ops = AbortOnDrop::default();
        self.supervisor = AbortOnDrop::default();
    }
}

async fn supervise(
    mut opts: ClusterOptions,
    tx: mpsc::Sender<Msg>,
    mut control: mpsc::UnboundedReceiver<Control>,
    client_tx: tokio_watch::Sender<Option<Client>>,
    epoch: Arc<AtomicU64>,
) {
    let mut retry = Duration::from_secs(1);
    loop {
        let started = Instant::now();
        let _ = tx.send(Msg::ContextsListed(list_contexts(&opts))).await;
        let loaded = load_config(&opts)
            .await
            .and_then(|(config, info)| Ok((client::build_client(config)?, info)));
        let (client, info) = match loaded {
            Ok(pair) => pair,
            Err(e) => {
                tracing::warn!(error = %e, "cannot connect");
                let _ = tx
                    .send(Msg::Connection(Connection::Disconnected {
                        since: watch::now(),
                        error: crate::domain::text::clean(&e.to_string()),
                    }))
                    .await;
                // Wait, unless the user picks another context meanwhile.
                tokio::select! {
                    () = tokio::time::sleep(retry) => {}
                    request = control.recv() => match request {
                        None => return,
                        Some(Control::Namespace(ns)) => opts.namespace = ns,
                        Some(Control::Context(name)) => opts.context = Some(name),
                    },
                }
                retry = (retry * 2).min(MAX_RETRY);
                continue;
            }
        };
        retry = Duration::from_secs(1);
        tracing::debug!(elapsed = ?started.elapsed(), "kubeconfig read, client built");
        let server = info.server.clone();
        let user = info.user.clone();
        let _ = tx.send(Msg::Cluster(info)).await;
        client_tx.send_replace(Some(client.clone()));
        loop {
            let warm = opts.cache_dir.as_deref().map(|dir| {
                let key = warm::key(&server, user.as_deref(), opts.namespace.as_deref());
                WarmCache {
                    path: warm::path(dir, &key),
                    key,
                }
            });
            let session = AbortOnDrop(Some(tokio::spawn(gated_session(
                client.clone(),
                opts.namespace.clone(),
                server.clone(),
                warm,
                tx.clone(),
                epoch.clone(),
            ))));
            match control.recv().await {
                None => return,
                Some(Control::Namespace(ns)) => {
                    opts.namespace = ns;
                    drop(session);
                }
                Some(Control::Context(name)) => {
                    opts.context = Some(name);
                    drop(session);
                    client_tx.send_replace(None);
                    break;
                }
            }
        }
    }
}

/// Capacity of a session's own channel, in front of the app's.
const SESSION_CHANNEL: usize = 1024;

/// Runs a session's hub behind a gate: its messages reach the app only
/// while the epoch is the one it started in. After a namespace or context
/// switch, nothing the old session still had in flight can land on top of
/// the new session's data.
async fn gated_session(
    client: Client,
    namespace: Option<String>,
    server: String,
    warm: Option<WarmCache>,
    tx: mpsc::Sender<Msg>,
    epoch: Arc<AtomicU64>,
) {
    let mine = epoch.load(Ordering::SeqCst);
    let (session_tx, mut session_rx) = mpsc::channel::<Msg>(SESSION_CHANNEL);
    let forward = async move {
        while let Some(msg) = session_rx.recv().await {
            if epoch.load(Ordering::SeqCst) != mine || tx.send(msg).await.is_err() {
                break;
            }
        }
    };
    tokio::join!(
        run_hub(client, namespace, server, warm, session_tx),
        forward
    );
}

/// A session's warm-start file (`warm`).
struct WarmCache {
    path: std::path::PathBuf,
    key: String,
}

/// Tasks of one Operator service.
struct ServiceTasks {
    spec: OperatorServiceSpec,
    _instances: AbortOnDrop,
    _operator: AbortOnDrop,
}

/// The hub of one session: starts the watchers, applies their news to the
/// caches and flushes coalesced messages.
async fn run_hub(
    client: Client,
    namespace: Option<String>,
    server: String,
    warm: Option<WarmCache>,
    tx: mpsc::Sender<Msg>,
) {
    let session_started = Instant::now();
    let (events_tx, mut events) = mpsc::channel::<HubEvent>(HUB_CHANNEL);
    let mut core = JoinSet::new();
    watch::spawn_core(&mut core, &client, namespace.as_deref(), &events_tx);
    let mut state = HubState::new();
    let mut services = OperatorServices {
        tasks: HashMap::new(),
        generation: 0,
        client: client.clone(),
        namespace: namespace.clone(),
        tx: events_tx.clone(),
    };
    let mut disconnected = false;
    // Dropping the guard stops the probe.
    let mut _probe = AbortOnDrop::default();
    let mut reported: std::collections::HashSet<String> = std::collections::HashSet::new();
    let mut flush_at: Option<Instant> = None;
    let mut last_flush = Instant::now();
    // Operator services known from the last session start listing their
    // instances now, beside the core watches (super::warm).
    let mut warm_saved: Option<Vec<warm::Entry>> = None;
    if let Some(cache) = &warm {
        for service in warm::load(&cache.path, &cache.key) {
            services.start(&mut state, service.spec, service.target);
        }
    }

    loop {
        let due = async {
            match flush_at {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            biased;
            () = due => {
                flush_at = None;
                last_flush = Instant::now();
                for msg in state.flush() {
                    if matches!(msg, Msg::Synced) {
                        tracing::debug!(elapsed = ?session_started.elapsed(), "first complete list sent");
                    }
                    if tx.send(msg).await.is_err() {
                        return;
                    }
                }
                // Keep the warm start current once the lists are whole.
                if let Some(cache) = &warm && state.is_synced() {
                    let entries = state.warm_entries();
                    if warm_saved.as_ref() != Some(&entries) {
                        warm_saved = Some(entries.clone());
                        let (path, key) = (cache.path.clone(), cache.key.clone());
                        tokio::task::spawn_blocking(move || warm::save(&path, &key, entries));
                    }
                }
            }
            event = events.recv() => {
                let Some(event) = event else { return };
                match &event {
                    HubEvent::WatchError { source, error, connection } => {
                        if *connection {
                            if !disconnected {
                                disconnected = true;
                                let error = client::plain_words(error, &server);
                                tracing::info!(error, "disconnected");
                                let msg = Msg::Connection(Connection::Disconnected {
                                    since: watch::now(),
                                    error,
                                });
                                if tx.send(msg).await.is_err() {
                                    return;
                                }
                                _probe = AbortOnDrop(Some(tokio::spawn(watch::probe(
                                    client.clone(),
                                    events_tx.clone(),
                                ))));
                            }
                        } else if state.unconfirmed_warm_watch(source) {
                            // A warm start guessed where a service's CRs are
                            // served and the guess was refused (the CRD moved
                            // or went): the CRD watch corrects it. A real
                            // refusal comes again, after the CRD is seen.
                            tracing::debug!(source, error, "warm-start watch refused");
                        } else {
                            // An answer such as 403: this source will not
                            // list; say so once and do not wait for it.
                            if !state.is_synced() {
                                state.source_failed(source);
                            }
                            if reported.insert(source.clone()) {
                                tracing::warn!(source, error, "watch refused");
                                let text = format!("cannot watch {source}: {error}");
                                let _ = tx.send(Msg::Notice(text)).await;
                            }
                        }
                    }
                    _ => {
                        if disconnected {
                            disconnected = false;
                            _probe = AbortOnDrop::default();
                            tracing::info!("connected again");
                            if tx.send(Msg::Connection(Connection::Connected)).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                let csd_change = matches!(event, HubEvent::Csd(_));
                state.apply(event);
                // Before the first CSD list completes, the services known
                // are the warm start's: keep them running until then.
                if csd_change && state.csds_listed() {
                    services.reconcile(&mut state);
                }
                if state.first_list_due() || state.preview_due() {
                    // The first complete list (and the instances before it)
                    // go out at once: coalescing is for the changes after
                    // it, and waiting here added up to FLUSH_INTERVAL to the
                    // time to a complete list.
                    flush_at = Some(Instant::now());
                } else if flush_at.is_none() && state.has_output() {
                    flush_at = Some((last_flush + FLUSH_INTERVAL).max(Instant::now()));
                }
            }
        }
    }
}

/// The watch tasks of the Operator services of one session.
struct OperatorServices {
    tasks: HashMap<String, ServiceTasks>,
    /// Bumped for every start, so news of stopped tasks is told apart.
    generation: u64,
    client: Client,
    namespace: Option<String>,
    tx: mpsc::Sender<HubEvent>,
}

impl OperatorServices {
    /// Starts, restarts and stops the tasks after the CSDs changed.
    fn reconcile(&mut self, state: &mut HubState) {
        let wanted = state.operator_services();
        self.tasks.retain(|name, tasks| {
            let keep = wanted.iter().any(|w| w == &tasks.spec);
            if !keep {
                state.end_service(name);
            }
            keep
        });
        for spec in wanted {
            if !self.tasks.contains_key(&spec.service) {
                self.start(state, spec, None);
            }
        }
    }

    /// Starts the tasks of one service; `hint` is where its CRs were
    /// served last time (a warm start), listed before the CRD confirms it.
    fn start(
        &mut self,
        state: &mut HubState,
        spec: OperatorServiceSpec,
        hint: Option<convert::CrdTarget>,
    ) {
        self.generation += 1;
        let generation = self.generation;
        state.begin_service(&spec.service, generation);
        let instances = tokio::spawn(watch::service_instances(
            self.client.clone(),
            self.namespace.clone(),
            spec.clone(),
            generation,
            hint,
            self.tx.clone(),
        ));
        let operator = spec.operator.clone().map(|location| {
            tokio::spawn(watch::operator_health(
                self.client.clone(),
                spec.service.clone(),
                location,
                generation,
                self.tx.clone(),
            ))
        });
        self.tasks.insert(
            spec.service.clone(),
            ServiceTasks {
                spec,
                _instances: AbortOnDrop(Some(instances)),
                _operator: AbortOnDrop(operator),
            },
        );
    }
}
