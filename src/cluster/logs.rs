//! Log streams of one instance for the log view.
//!
//! One session task per [`LogRequest`]: it watches the instance's pods, keeps
//! one stream per wanted (pod, container) or file open (each read by its own
//! attempt task, see `stream`), re-opens streams that end while their
//! container still runs, follows restarts and replaced pods, and gathers the
//! lines of all streams into time-ordered batches. The channel to the app is
//! bounded and every send is awaited, so a slow consumer slows the reading
//! instead of filling memory.

mod files;
mod line;
mod stream;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use kube::runtime::{WatchStreamExt as _, watcher};
use kube::{Api, Client, ResourceExt as _};
use tokio::sync::mpsc::{self, Sender};
use tokio::task::{AbortHandle, JoinHandle};
use tokio::time::Instant;

use crate::action::Msg;
use crate::domain::logconfig::LogConfig;
use crate::domain::text::clean;
use crate::state::detail::InstanceRef;
use crate::state::logs::{LogEvent, LogRequest, LogScope, LogTarget, RawLine, StreamStatus};
use crate::state::rows::ServiceKind;

use stream::{Attempt, Done, Outcome};

/// At most one batch of lines is sent per window, and a line waits at most
/// this long. The first lines after a quiet window go at once (the backlog
/// when the view opens, each line of a slow log); under a flood the batches
/// come at this pace, which bounds the frames drawn for it.
const BATCH_WINDOW: Duration = Duration::from_millis(50);
/// Most lines in one [`LogEvent::Lines`].
const BATCH_LINES: usize = 2000;
/// Back-off between attempts of a stream: first, and most.
const BACKOFF_FIRST: Duration = Duration::from_secs(1);
const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// Messages from the attempt tasks in flight (each up to 1,000 lines).
const INTERNAL_QUEUE: usize = 16;

/// Streams what `request` asks for as [`Msg::Logs`] events until aborted.
pub fn spawn(client: kube::Client, request: LogRequest, tx: Sender<Msg>) -> JoinHandle<()> {
    tokio::spawn(async move {
        let (itx, irx) = mpsc::channel(INTERNAL_QUEUE);
        let mut session = Session::new(client, request, tx, itx);
        // `Err` only means the app stopped listening.
        let _ = session.run(irx).await;
    })
}

/// News from the helper tasks of a session.
#[derive(Debug)]
enum Internal {
    /// Lines of one attempt, in stream order.
    Lines(Vec<RawLine>),
    /// An attempt opened its stream.
    Attached { source: u32, attempt: u64 },
    /// An attempt is over.
    Done(Done),
    /// The service's LogConfig (`None`: it has none).
    Config(Result<Option<LogConfig>, String>),
    /// The LogConfig files found in a pod.
    Files {
        uid: String,
        pod: String,
        container: String,
        result: Result<Vec<String>, String>,
    },
}

/// The app stopped listening.
struct Closed;

/// A Kubernetes API error in a few words.
fn describe_kube(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => match status.code {
            401 => "unauthorized".to_owned(),
            403 => "forbidden".to_owned(),
            404 => "not found".to_owned(),
            _ if !status.message.is_empty() => clean(&status.message),
            _ => clean(&status.reason),
        },
        other => clean(&other.to_string()),
    }
}

/// Which run of a container a stream reads: a change means it restarted.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Run {
    restarts: i32,
    container_id: Option<String>,
}

impl Run {
    fn replaced_by(&self, now: &Run) -> bool {
        now.restarts != self.restarts
            || matches!((&self.container_id, &now.container_id), (Some(a), Some(b)) if a != b)
    }
}

/// One stream of the session (its index is its source number).
struct Stream {
    target: LogTarget,
    pod_uid: String,
    run: Run,
    status: Option<StreamStatus>,
    /// The running attempt (or its back-off wait).
    task: Option<AbortHandle>,
    attempt: u64,
    /// Attempts started; the first one reads with the request's tail/since.
    attempts: u32,
    resume: Option<line::Resume>,
    backoff: Duration,
    /// Over for good (pod gone, container replaced, not following).
    finished: bool,
}

/// What the pod watch says about one container.
enum State {
    Running,
    /// Not running now, but it ran (terminated or waiting to restart):
    /// its log can be read.
    Stopped(String),
    /// Never ran yet (Pending, pulling, ImagePullBackOff...).
    Waiting(String),
}

fn container_status<'a>(pod: &'a Pod, container: &str) -> Option<&'a ContainerStatus> {
    pod.status
        .as_ref()?
        .container_statuses
        .as_ref()?
        .iter()
        .find(|s| s.name == container)
}

fn container_state(pod: &Pod, container: &str) -> State {
    let phase = pod
        .status
        .as_ref()
        .and_then(|s| s.phase.clone())
        .unwrap_or_else(|| "Pending".to_owned());
    let Some(status) = container_status(pod, container) else {
        return State::Waiting(format!("pod {}", clean(&phase)));
    };
    let state = status.state.as_ref();
    if state.and_then(|s| s.running.as_ref()).is_some() {
        return State::Running;
    }
    let ran = status.restart_count > 0
        || status
            .last_state
            .as_ref()
            .and_then(|s| s.terminated.as_ref())
            .is_some();
    if let Some(t) = state.and_then(|s| s.terminated.as_ref()) {
        let reason = t.reason.as_deref().unwrap_or("terminated");
        return State::Stopped(format!("container {}", clean(reason)));
    }
    let reason = state
        .and_then(|s| s.waiting.as_ref())
        .and_then(|w| w.reason.clone())
        .unwrap_or_else(|| format!("pod {phase}"));
    if ran {
        State::Stopped(clean(&reason))
    } else {
        State::Waiting(clean(&reason))
    }
}

fn run_of(pod: &Pod, container: &str) -> Run {
    let status = container_status(pod, container);
    Run {
        restarts: status.map_or(0, |s| s.restart_count),
        container_id: status.and_then(|s| s.container_id.clone()),
    }
}

fn containers(pod: &Pod) -> impl Iterator<Item = &str> {
    pod.spec
        .iter()
        .flat_map(|s| s.containers.iter().map(|c| c.name.as_str()))
}

/// What the LogConfig side knows.
enum Config {
    Loading,
    Known(Option<LogConfig>),
}

struct Session {
    client: Client,
    api: Api<Pod>,
    request: LogRequest,
    tx: Sender<Msg>,
    itx: Sender<Internal>,
    /// The instance's pods by name (once the first list is in).
    pods: BTreeMap<String, Pod>,
    listed: bool,
    streams: Vec<Stream>,
    attempts: u64,
    pending: Vec<RawLine>,
    flush_at: Option<Instant>,
    /// When lines were last sent.
    flushed_at: Option<Instant>,
    config: Config,
    /// LogConfig files by pod uid: (pod, container, files).
    files: BTreeMap<String, (String, String, Vec<String>)>,
    /// Pods (by uid) whose files are being or have been listed.
    listing: BTreeMap<String, AbortHandle>,
    config_task: Option<AbortHandle>,
    targets: Option<Vec<LogTarget>>,
    notices: BTreeSet<String>,
    /// Said once when a single target's pod is not there.
    missing_said: bool,
}

impl Drop for Session {
    /// Aborting the session task drops the session: its helpers stop too.
    fn drop(&mut self) {
        for s in &self.streams {
            if let Some(task) = &s.task {
                task.abort();
            }
        }
        for task in self.listing.values().chain(&self.config_task) {
            task.abort();
        }
    }
}

impl Session {
    fn new(client: Client, request: LogRequest, tx: Sender<Msg>, itx: Sender<Internal>) -> Self {
        Self {
            api: Api::namespaced(client.clone(), &request.instance.namespace),
            client,
            request,
            tx,
            itx,
            pods: BTreeMap::new(),
            listed: false,
            streams: Vec::new(),
            attempts: 0,
            pending: Vec::new(),
            flush_at: None,
            flushed_at: None,
            config: Config::Loading,
            files: BTreeMap::new(),
            listing: BTreeMap::new(),
            config_task: None,
            targets: None,
            notices: BTreeSet::new(),
            missing_said: false,
        }
    }

    fn session(&self) -> u64 {
        self.request.session
    }

    async fn send(&self, event: LogEvent) -> Result<(), Closed> {
        self.tx.send(Msg::Logs(event)).await.map_err(|_| Closed)
    }

    async fn run(&mut self, mut irx: mpsc::Receiver<Internal>) -> Result<(), Closed> {
        self.start_config().await?;
        let selector = super::instance_selector(&self.request.instance);
        let mut pods = watcher(
            self.api.clone(),
            watcher::Config::default().labels(&selector),
        )
        .backoff(super::watch::watch_backoff())
        .boxed();
        let mut fresh: Option<BTreeMap<String, Pod>> = None;
        loop {
            let flush_at = self.flush_at;
            tokio::select! {
                event = pods.next() => match event {
                    Some(Ok(event)) => self.pod_event(event, &mut fresh).await?,
                    Some(Err(e)) => {
                        // The watcher retries with back-off by itself; say
                        // why nothing comes (once per distinct reason).
                        let text = format!("watching the pods: {}", clean(&e.to_string()));
                        self.notice(text).await?;
                    }
                    None => return Ok(()),
                },
                Some(msg) = irx.recv() => self.internal(msg).await?,
                () = sleep_until(flush_at), if flush_at.is_some() => self.flush().await?,
            }
        }
    }

    async fn pod_event(
        &mut self,
        event: watcher::Event<Pod>,
        fresh: &mut Option<BTreeMap<String, Pod>>,
    ) -> Result<(), Closed> {
        match event {
            watcher::Event::Init => *fresh = Some(BTreeMap::new()),
            watcher::Event::InitApply(pod) => {
                if let Some(fresh) = fresh.as_mut() {
                    fresh.insert(pod.name_any(), pod);
                }
            }
            watcher::Event::InitDone => {
                self.pods = fresh.take().unwrap_or_default();
                self.listed = true;
                self.reconcile().await?;
            }
            watcher::Event::Apply(pod) => {
                self.pods.insert(pod.name_any(), pod);
                if self.listed {
                    self.reconcile().await?;
                }
            }
            watcher::Event::Delete(pod) => {
                let name = pod.name_any();
                // A newer pod of the same name may already be in.
                if self.pods.get(&name).is_some_and(|p| p.uid() == pod.uid()) {
                    self.pods.remove(&name);
                }
                if self.listed {
                    self.reconcile().await?;
                }
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ streams

    /// The (pod, container, file) streams the scope wants now.
    fn wanted(&self) -> Vec<(String, LogTarget)> {
        let mut out = Vec::new();
        for (name, pod) in &self.pods {
            let uid = pod.uid().unwrap_or_default();
            match &self.request.scope {
                LogScope::AllPods => {
                    for container in containers(pod) {
                        out.push((
                            uid.clone(),
                            LogTarget {
                                pod: name.clone(),
                                container: container.to_owned(),
                                file: None,
                            },
                        ));
                    }
                }
                LogScope::One(target) if &target.pod == name => {
                    out.push((uid.clone(), target.clone()));
                }
                LogScope::One(_) => {}
            }
        }
        out
    }

    /// Brings the streams in line with the pods: new pods and restarted
    /// containers get new streams, gone ones end, waiting ones start.
    async fn reconcile(&mut self) -> Result<(), Closed> {
        let wanted = self.wanted();
        let follow = self.request.options.follow;
        for (uid, target) in &wanted {
            let Some(pod) = self.pods.get(&target.pod) else {
                continue;
            };
            let run = run_of(pod, &target.container);
            let state = container_state(pod, &target.container);
            let mut current = self
                .streams
                .iter()
                .position(|s| !s.finished && &s.pod_uid == uid && &s.target == target);
            if let Some(i) = current
                && self.streams[i].run.replaced_by(&run)
            {
                if self.streams[i].attempts == 0 {
                    // Never read: the same stream simply waits on.
                    self.streams[i].run = run.clone();
                } else {
                    self.end(i, "container restarted").await?;
                    current = None;
                }
            }
            let i = match current {
                Some(i) => i,
                None if self
                    .streams
                    .iter()
                    .any(|s| &s.pod_uid == uid && &s.target == target && s.run == run) =>
                {
                    // This run was read already and is over (not following).
                    continue;
                }
                None => self.add(uid, target, run).await?,
            };
            let stream = &self.streams[i];
            if stream.task.is_some() {
                continue;
            }
            let runnable = match (&state, &target.file) {
                (State::Running, _) => true,
                // A stopped container's log can be read once; files need
                // a running container for exec.
                (State::Stopped(_), None) => stream.attempts == 0,
                _ => self.request.options.previous && stream.attempts == 0 && target.file.is_none(),
            };
            if runnable && (stream.attempts == 0 || follow) {
                self.start(i, Duration::ZERO, None).await?;
            } else if stream.attempts == 0 {
                let status = match state {
                    State::Waiting(reason) | State::Stopped(reason) => {
                        StreamStatus::Waiting(reason)
                    }
                    State::Running => StreamStatus::Waiting("container running".to_owned()),
                };
                self.set_status(i, status).await?;
            }
        }
        // Streams whose pod is gone.
        for i in 0..self.streams.len() {
            let s = &self.streams[i];
            if !s.finished
                && !self
                    .pods
                    .values()
                    .any(|p| p.uid().as_deref() == Some(&s.pod_uid))
            {
                self.end(i, "pod deleted").await?;
            }
        }
        if let LogScope::One(target) = &self.request.scope
            && wanted.is_empty()
            && self.streams.is_empty()
            && !self.missing_said
        {
            self.missing_said = true;
            let text = format!("{} is not there (yet)", clean(&target.label()));
            self.notice(text).await?;
        }
        self.start_listings();
        self.send_targets().await
    }

    async fn add(&mut self, uid: &str, target: &LogTarget, run: Run) -> Result<usize, Closed> {
        let source = u32::try_from(self.streams.len()).unwrap_or(u32::MAX);
        self.streams.push(Stream {
            target: target.clone(),
            pod_uid: uid.to_owned(),
            run,
            status: None,
            task: None,
            attempt: 0,
            attempts: 0,
            resume: None,
            backoff: BACKOFF_FIRST,
            finished: false,
        });
        self.flush().await?;
        self.send(LogEvent::Source {
            session: self.session(),
            source,
            target: target.clone(),
        })
        .await?;
        Ok(self.streams.len() - 1)
    }

    /// Starts an attempt of stream `i` after `delay`, announcing `status`
    /// (if any) meanwhile.
    async fn start(
        &mut self,
        i: usize,
        delay: Duration,
        status: Option<StreamStatus>,
    ) -> Result<(), Closed> {
        self.attempts += 1;
        let attempt = self.attempts;
        let stream = &mut self.streams[i];
        stream.attempt = attempt;
        stream.attempts += 1;
        let task = tokio::spawn(stream::run(Attempt {
            api: self.api.clone(),
            source: u32::try_from(i).unwrap_or(u32::MAX),
            attempt,
            target: stream.target.clone(),
            options: self.request.options,
            resume: stream.resume,
            delay,
            out: self.itx.clone(),
        }));
        stream.task = Some(task.abort_handle());
        if let Some(status) = status {
            self.set_status(i, status).await?;
        }
        Ok(())
    }

    /// Ends stream `i` for good.
    async fn end(&mut self, i: usize, reason: &str) -> Result<(), Closed> {
        let stream = &mut self.streams[i];
        if let Some(task) = stream.task.take() {
            task.abort();
        }
        stream.finished = true;
        self.set_status(i, StreamStatus::Ended(reason.to_owned()))
            .await
    }

    async fn set_status(&mut self, i: usize, status: StreamStatus) -> Result<(), Closed> {
        if self.streams[i].status.as_ref() == Some(&status) {
            return Ok(());
        }
        // Lines read before the change are shown before it.
        self.flush().await?;
        self.streams[i].status = Some(status.clone());
        self.send(LogEvent::Status {
            session: self.session(),
            source: u32::try_from(i).unwrap_or(u32::MAX),
            status,
        })
        .await
    }

    /// An attempt ended: open the stream again if it should go on.
    async fn attempt_done(&mut self, done: Done) -> Result<(), Closed> {
        let i = done.source as usize;
        let Some(stream) = self.streams.get_mut(i) else {
            return Ok(());
        };
        if stream.attempt != done.attempt || stream.finished {
            return Ok(());
        }
        stream.task = None;
        stream.resume = Some(done.resume);
        stream.backoff = if done.delivered {
            BACKOFF_FIRST
        } else {
            // Nothing new came: wait longer each time, never spin.
            (stream.backoff * 2).min(BACKOFF_MAX)
        };
        let delay = if done.delivered {
            BACKOFF_FIRST
        } else {
            stream.backoff
        };
        let target = stream.target.clone();
        let uid = stream.pod_uid.clone();
        let pod = self
            .pods
            .get(&target.pod)
            .filter(|p| p.uid().as_deref() == Some(uid.as_str()));
        let exists = pod.is_some();
        let running =
            pod.is_some_and(|p| matches!(container_state(p, &target.container), State::Running));
        let follow = self.request.options.follow && !self.request.options.previous;
        match done.outcome {
            Outcome::Ended if follow && running => {
                self.start(
                    i,
                    delay,
                    Some(StreamStatus::Reattaching("stream ended".to_owned())),
                )
                .await
            }
            Outcome::Ended if follow && exists => {
                // Open again when the pod watch sees it running.
                self.set_status(i, StreamStatus::Waiting("container not running".to_owned()))
                    .await
            }
            Outcome::Ended => {
                let reason = if exists { "end of log" } else { "pod deleted" };
                self.end(i, reason).await
            }
            // Opened again after the back-off (a lost connection, an API
            // server restarting): shown as re-attaching, not as an end.
            Outcome::Failed(reason) if follow && running => {
                let delay = self.streams[i].backoff;
                self.start(i, delay, Some(StreamStatus::Reattaching(reason)))
                    .await
            }
            Outcome::Failed(reason) => {
                self.set_status(i, StreamStatus::Failed(reason)).await?;
                // Following a pod that is still there: the pod watch
                // starts it again once the container runs.
                self.streams[i].finished = !(follow && exists);
                Ok(())
            }
        }
    }

    // -------------------------------------------------------------- lines

    async fn internal(&mut self, msg: Internal) -> Result<(), Closed> {
        match msg {
            Internal::Lines(lines) => {
                // Lines of an attempt that was replaced meanwhile are dropped.
                let current = lines.first().is_some_and(|l| {
                    self.streams
                        .get(l.source as usize)
                        .is_some_and(|s| !s.finished)
                });
                if current {
                    self.pending.extend(lines);
                    if self.flush_at.is_none() {
                        // Right away after a quiet window, else when the
                        // current window ends.
                        let now = Instant::now();
                        let due = self.flushed_at.map_or(now, |t| t + BATCH_WINDOW);
                        self.flush_at = Some(due.max(now));
                    }
                }
                if self.pending.len() >= BATCH_LINES
                    || self.flush_at.is_some_and(|t| t <= Instant::now())
                {
                    self.flush().await?;
                }
            }
            Internal::Attached { source, attempt } => {
                let i = source as usize;
                if self
                    .streams
                    .get(i)
                    .is_some_and(|s| s.attempt == attempt && !s.finished)
                {
                    self.set_status(i, StreamStatus::Attached).await?;
                }
            }
            Internal::Done(done) => self.attempt_done(done).await?,
            Internal::Config(result) => self.config_known(result).await?,
            Internal::Files {
                uid,
                pod,
                container,
                result,
            } => match result {
                Ok(files) => {
                    self.files.insert(uid, (pod, container, files));
                    self.send_targets().await?;
                }
                Err(e) => {
                    let text = format!("log files of pod {}: {e}", clean(&pod));
                    self.notice(text).await?;
                }
            },
        }
        Ok(())
    }

    /// Sends what is pending, in batches of at most [`BATCH_LINES`], each
    /// in time order. A batch may hold lines older than earlier ones (each
    /// stream sends its backlog when it attaches, a status change flushes):
    /// the view merges them into place (`LogView::ingest`), so nothing is
    /// held back here waiting for slower streams.
    async fn flush(&mut self) -> Result<(), Closed> {
        self.flush_at = None;
        if !self.pending.is_empty() {
            self.flushed_at = Some(Instant::now());
        }
        while !self.pending.is_empty() {
            let mut lines = if self.pending.len() > BATCH_LINES {
                let rest = self.pending.split_off(BATCH_LINES);
                std::mem::replace(&mut self.pending, rest)
            } else {
                std::mem::take(&mut self.pending)
            };
            line::order(&mut lines);
            self.send(LogEvent::Lines {
                session: self.session(),
                lines,
            })
            .await?;
        }
        Ok(())
    }

    async fn notice(&mut self, text: String) -> Result<(), Closed> {
        if !self.notices.insert(text.clone()) {
            return Ok(());
        }
        self.flush().await?;
        self.send(LogEvent::Notice {
            session: self.session(),
            text,
        })
        .await
    }

    // -------------------------------------------------------------- files

    async fn start_config(&mut self) -> Result<(), Closed> {
        let instance: &InstanceRef = &self.request.instance;
        if instance.kind != ServiceKind::Operator {
            // Helm releases have no CSD, hence no LogConfig.
            self.config = Config::Known(None);
            let text = format!("no LogConfig for {}: stdout only", clean(&instance.service));
            return self.notice(text).await;
        }
        let client = self.client.clone();
        let service = instance.service.clone();
        let out = self.itx.clone();
        let task = tokio::spawn(async move {
            let result = files::load(&client, &service).await;
            let _ = out.send(Internal::Config(result)).await;
        });
        self.config_task = Some(task.abort_handle());
        Ok(())
    }

    async fn config_known(
        &mut self,
        result: Result<Option<LogConfig>, String>,
    ) -> Result<(), Closed> {
        let service = clean(&self.request.instance.service);
        match result {
            Ok(Some(config)) => self.config = Config::Known(Some(config)),
            Ok(None) => {
                self.config = Config::Known(None);
                self.notice(format!("no LogConfig for {service}: stdout only"))
                    .await?;
            }
            Err(e) => {
                self.config = Config::Known(None);
                self.notice(format!("LogConfig of {service}: {e}; stdout only"))
                    .await?;
            }
        }
        self.start_listings();
        Ok(())
    }

    /// Lists the LogConfig files of running pods not listed yet.
    fn start_listings(&mut self) {
        let Config::Known(Some(config)) = &self.config else {
            return;
        };
        for pod in self.pods.values() {
            let Some(uid) = pod.uid() else { continue };
            if self.listing.contains_key(&uid) {
                continue;
            }
            let Some(container) = containers(pod).next().map(str::to_owned) else {
                continue;
            };
            if !matches!(container_state(pod, &container), State::Running) {
                continue;
            }
            let paths = files::paths_for(config, pod.labels());
            if paths.is_empty() {
                continue;
            }
            let api = self.api.clone();
            let out = self.itx.clone();
            let name = pod.name_any();
            let key = uid.clone();
            let task = tokio::spawn(async move {
                let result = files::list(&api, &name, &container, &paths).await;
                let _ = out
                    .send(Internal::Files {
                        uid,
                        pod: name,
                        container,
                        result,
                    })
                    .await;
            });
            self.listing.insert(key, task.abort_handle());
        }
        // Pods gone: their files are no choice any more.
        let live: BTreeSet<String> = self.pods.values().filter_map(|p| p.uid()).collect();
        self.files.retain(|uid, _| live.contains(uid));
    }

    /// Sends the choices when they changed.
    async fn send_targets(&mut self) -> Result<(), Closed> {
        let mut targets: Vec<LogTarget> = Vec::new();
        for (name, pod) in &self.pods {
            for container in containers(pod) {
                targets.push(LogTarget {
                    pod: name.clone(),
                    container: container.to_owned(),
                    file: None,
                });
            }
        }
        for (pod, container, files) in self.files.values() {
            if !self.pods.contains_key(pod) {
                continue;
            }
            for file in files {
                targets.push(LogTarget {
                    pod: pod.clone(),
                    container: container.clone(),
                    file: Some(file.clone()),
                });
            }
        }
        targets.sort();
        targets.dedup();
        if self.targets.as_ref() == Some(&targets) {
            return Ok(());
        }
        self.targets = Some(targets.clone());
        self.send(LogEvent::Targets {
            session: self.session(),
            targets,
        })
        .await
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(status: serde_json::Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "p", "uid": "u"},
            "spec": {"containers": [{"name": "app"}, {"name": "side"}]},
            "status": status,
        }))
        .unwrap()
    }

    fn describe(state: State) -> String {
        match state {
            State::Running => "running".into(),
            State::Stopped(r) => format!("stopped: {r}"),
            State::Waiting(r) => format!("waiting: {r}"),
        }
    }

    #[test]
    fn container_states_from_the_pod() {
        let p = pod(json!({"phase": "Pending"}));
        assert_eq!(describe(container_state(&p, "app")), "waiting: pod Pending");
        let p = pod(json!({"phase": "Pending", "containerStatuses": [
            {"name": "app", "restartCount": 0, "image": "i", "imageID": "", "ready": false,
             "state": {"waiting": {"reason": "ImagePullBackOff"}}},
        ]}));
        assert_eq!(
            describe(container_state(&p, "app")),
            "waiting: ImagePullBackOff"
        );
        let p = pod(json!({"phase": "Running", "containerStatuses": [
            {"name": "app", "restartCount": 3, "image": "i", "imageID": "", "ready": false,
             "state": {"waiting": {"reason": "CrashLoopBackOff\u{1b}[2J"}}},
            {"name": "side", "restartCount": 0, "image": "i", "imageID": "", "ready": true,
             "state": {"running": {}}},
        ]}));
        // It ran before: its log can be read; the reason is neutralized.
        assert_eq!(
            describe(container_state(&p, "app")),
            "stopped: CrashLoopBackOff^[[2J"
        );
        assert_eq!(describe(container_state(&p, "side")), "running");
        assert_eq!(run_of(&p, "app").restarts, 3);
        assert_eq!(containers(&p).collect::<Vec<_>>(), ["app", "side"]);
        let p = pod(json!({"phase": "Succeeded", "containerStatuses": [
            {"name": "app", "restartCount": 0, "image": "i", "imageID": "", "ready": false,
             "state": {"terminated": {"exitCode": 0, "reason": "Completed"}}},
        ]}));
        assert_eq!(
            describe(container_state(&p, "app")),
            "stopped: container Completed"
        );
    }

    #[test]
    fn a_new_run_is_a_restart() {
        let run = |restarts, id: Option<&str>| Run {
            restarts,
            container_id: id.map(str::to_owned),
        };
        // The first start gives the container an id: the same run.
        assert!(!run(0, None).replaced_by(&run(0, Some("kwok://a"))));
        assert!(run(0, Some("kwok://a")).replaced_by(&run(0, Some("kwok://b"))));
        assert!(run(0, None).replaced_by(&run(1, None)));
        assert!(!run(2, Some("x")).replaced_by(&run(2, Some("x"))));
    }
}
