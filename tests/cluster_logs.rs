//! The log streams of an instance (`osctui::cluster::logs`) against the
//! sandbox: its seeded instances and test pods whose containers kwok gives
//! the logs of sandbox/.run/sim/ (sandbox/kwok.sh: `logtest` follows a file
//! these tests append to, `logesc` prints escape sequences, `logbulk` has
//! 500,000 lines, any other name the generic current.log).
//!
//! Without a reachable sandbox each test prints "SKIPPED: ..." and returns;
//! with `CI=true` it fails instead.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt as _};
use osctui::action::Msg;
use osctui::cluster::logs;
use osctui::state::detail::InstanceRef;
use osctui::state::logs::{
    LogEvent, LogOptions, LogRequest, LogScope, LogTarget, RawLine, StreamStatus,
};
use osctui::state::rows::ServiceKind;
use osctui_testkit as common;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// Time for pods to be created, scheduled and reported running by kwok.
const POD_RUNNING: Duration = Duration::from_secs(60);
/// Time for a log event once the stream is open.
const EVENT: Duration = Duration::from_secs(30);

fn instance(namespace: &str, name: &str, service: &str, kind: ServiceKind) -> InstanceRef {
    InstanceRef {
        uid: format!("test:{namespace}/{name}"),
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        service: service.to_owned(),
        kind,
    }
}

fn options(follow: bool, tail: Option<i64>) -> LogOptions {
    LogOptions {
        follow,
        previous: false,
        since_seconds: None,
        tail_lines: tail,
    }
}

/// Everything a log session sent so far.
#[derive(Debug, Default)]
struct Seen {
    targets: Option<Vec<LogTarget>>,
    sources: BTreeMap<u32, LogTarget>,
    statuses: BTreeMap<u32, Vec<StreamStatus>>,
    lines: Vec<RawLine>,
    batches: usize,
    notices: Vec<String>,
}

impl Seen {
    fn status(&self, source: u32) -> Option<&StreamStatus> {
        self.statuses.get(&source).and_then(|s| s.last())
    }

    fn texts(&self) -> Vec<&str> {
        self.lines.iter().map(|l| l.text.as_str()).collect()
    }

    /// Every stream has ended (or failed) and at least one was opened.
    fn all_over(&self) -> bool {
        !self.sources.is_empty()
            && self.sources.keys().all(|s| {
                matches!(
                    self.status(*s),
                    Some(StreamStatus::Ended(_) | StreamStatus::Failed(_))
                )
            })
    }

    fn has(&self, text: &str) -> Option<&RawLine> {
        self.lines.iter().find(|l| l.text.contains(text))
    }

    /// The stream announced last.
    fn newest_source(&self) -> Option<u32> {
        self.sources.keys().next_back().copied()
    }
}

/// A running log session; aborted when dropped, as the console does.
struct Session {
    rx: mpsc::Receiver<Msg>,
    handle: tokio::task::JoinHandle<()>,
    session: u64,
    seen: Seen,
}

impl Drop for Session {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl Session {
    fn start(client: &Client, instance: InstanceRef, scope: LogScope, options: LogOptions) -> Self {
        let (tx, rx) = mpsc::channel(64);
        let request = LogRequest {
            session: 7,
            instance,
            scope,
            options,
        };
        let handle = logs::spawn(client.clone(), request, tx);
        Self {
            rx,
            handle,
            session: 7,
            seen: Seen::default(),
        }
    }

    fn take(&mut self, msg: Msg) {
        let Msg::Logs(event) = msg else {
            panic!("not a log event: {msg:?}");
        };
        assert_eq!(event.session(), self.session);
        let seen = &mut self.seen;
        match event {
            LogEvent::Targets { targets, .. } => {
                assert!(targets.windows(2).all(|w| w[0] < w[1]), "{targets:?}");
                seen.targets = Some(targets);
            }
            LogEvent::Source { source, target, .. } => {
                assert!(
                    seen.sources.insert(source, target).is_none(),
                    "source {source} announced twice"
                );
            }
            LogEvent::Lines { lines, .. } => {
                assert!(!lines.is_empty() && lines.len() <= 2000, "{}", lines.len());
                for line in &lines {
                    assert!(
                        seen.sources.contains_key(&line.source),
                        "line of unannounced source {}",
                        line.source
                    );
                }
                // Merged by time within a batch.
                let times: Vec<i64> = lines.iter().filter_map(|l| l.time_ms).collect();
                assert!(
                    times.windows(2).all(|w| w[0] <= w[1]),
                    "batch not in time order"
                );
                seen.batches += 1;
                seen.lines.extend(lines);
            }
            LogEvent::Status { source, status, .. } => {
                assert!(
                    seen.sources.contains_key(&source),
                    "status of unannounced {source}"
                );
                seen.statuses.entry(source).or_default().push(status);
            }
            LogEvent::Notice { text, .. } => seen.notices.push(text),
        }
    }

    /// Whether `check` comes to hold within `timeout`.
    async fn wait(&mut self, timeout: Duration, check: impl Fn(&Seen) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        while !check(&self.seen) {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(msg)) => self.take(msg),
                Ok(None) => panic!("the log task stopped"),
                Err(_) => return false,
            }
        }
        true
    }

    /// Appends `text` to logtest.log until it arrives (a stream opened
    /// with tail 0 may start reading just after the first append).
    async fn append_until_seen(&mut self, text: &str) {
        for _ in 0..10 {
            append_logtest(text);
            if self
                .wait(Duration::from_secs(3), |s| s.has(text).is_some())
                .await
            {
                return;
            }
        }
        self.until(Duration::ZERO, &format!("line {text:?}"), |s| {
            s.has(text).is_some()
        })
        .await;
    }

    /// Waits until `check` holds; panics with what was seen otherwise.
    async fn until(&mut self, timeout: Duration, what: &str, check: impl Fn(&Seen) -> bool) {
        if !self.wait(timeout, &check).await {
            panic!(
                "{what}: not seen within {timeout:?}; seen: targets {:?}, sources {:?}, statuses {:?}, notices {:?}, last lines {:?}",
                self.seen.targets,
                self.seen.sources,
                self.seen.statuses,
                self.seen.notices,
                self.seen.lines.iter().rev().take(5).collect::<Vec<_>>()
            );
        }
    }
}

/// sandbox/.run/sim (or `$OSCTUI_SANDBOX_RUN/sim`).
fn sim_dir() -> PathBuf {
    match std::env::var_os("OSCTUI_SANDBOX_RUN").filter(|v| !v.is_empty()) {
        Some(run) => PathBuf::from(run).join("sim"),
        None => common::workspace_root().join("sandbox/.run/sim"),
    }
}

/// Appends a line to the file `logtest` containers log (CRI format, now).
fn append_logtest(text: &str) {
    let path = sim_dir().join("logtest.log");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (is the sandbox's kwok.sh current?)",
                path.display()
            )
        });
    let now = jiff::Timestamp::now();
    writeln!(file, "{now:.9} stdout F {text}").unwrap();
}

fn pod_manifest(name: &str, instance: &str, containers: &[&str], extra: serde_json::Value) -> Pod {
    let mut pod = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": { "app.kubernetes.io/instance": instance, "app.kubernetes.io/name": "kafka" },
            "annotations": {},
        },
        "spec": {
            "containers": containers.iter().map(|c| json!({"name": c, "image": "registry.invalid/osctui/logs:1"})).collect::<Vec<_>>(),
            "tolerations": [{ "key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule" }],
            "terminationGracePeriodSeconds": 0
        }
    });
    if let Some(annotations) = extra.as_object() {
        pod["metadata"]["annotations"] = json!(annotations);
    }
    serde_json::from_value(pod).unwrap()
}

/// Creates pod `name` of `instance` with `containers` and waits until it
/// runs (unless `running` is false).
async fn create_pod(client: &Client, namespace: &str, pod: Pod, running: bool) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let name = pod.name_any();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    if running {
        common::eventually(
            &format!("pod {namespace}/{name} running"),
            POD_RUNNING,
            Duration::from_millis(200),
            || async {
                let pod = pods.get(&name).await.map_err(|e| e.to_string())?;
                match pod.status.and_then(|s| s.phase) {
                    Some(phase) if phase == "Running" => Ok(()),
                    other => Err(format!("phase {other:?}")),
                }
            },
        )
        .await;
    }
}

// ---------------------------------------------------------------------------

#[tokio::test]
async fn merged_logs_of_a_seeded_instance() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let orders = instance("team-a", "orders", "kafka", ServiceKind::Operator);
    let mut s = Session::start(&client, orders, LogScope::AllPods, options(false, Some(10)));
    s.until(Duration::from_secs(90), "3 streams read to the end", |s| {
        s.sources.len() == 3 && s.all_over()
    })
    .await;
    let pods: Vec<&str> = s.seen.sources.values().map(|t| t.pod.as_str()).collect();
    assert_eq!(pods, ["orders-0", "orders-1", "orders-2"]);
    assert!(
        s.seen
            .sources
            .values()
            .all(|t| t.container == "kafka" && t.file.is_none())
    );
    assert_eq!(s.seen.lines.len(), 30, "10 lines of each pod");
    assert!(
        s.seen
            .lines
            .iter()
            .all(|l| l.time_ms.is_some() && l.text.starts_with("[kafka] "))
    );
    for source in s.seen.sources.keys() {
        assert!(
            s.seen.statuses[source].contains(&StreamStatus::Attached),
            "{:?}",
            s.seen.statuses
        );
        assert_eq!(
            s.seen.status(*source),
            Some(&StreamStatus::Ended("end of log".into()))
        );
    }
    // The three pods log the same file: the same ten times for each.
    for source in s.seen.sources.keys() {
        let times: Vec<i64> = s
            .seen
            .lines
            .iter()
            .filter(|l| l.source == *source)
            .filter_map(|l| l.time_ms)
            .collect();
        assert_eq!(times.len(), 10);
        assert!(times.windows(2).all(|w| w[0] < w[1]));
    }

    // The choices: every broker's stdout and the kafka LogConfig's files.
    s.until(EVENT, "LogConfig files in the targets", |s| {
        s.targets
            .as_ref()
            .is_some_and(|t| t.iter().filter(|t| t.file.is_some()).count() == 9)
    })
    .await;
    let targets = s.seen.targets.clone().unwrap();
    assert_eq!(targets.iter().filter(|t| t.file.is_none()).count(), 3);
    let files: Vec<String> = targets
        .iter()
        .filter(|t| t.pod == "orders-0")
        .filter_map(|t| t.file.as_deref())
        .map(|f| f.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(files, ["controller.log", "gc.out", "server.log"]);
    assert!(s.seen.notices.is_empty(), "{:?}", s.seen.notices);
}

#[tokio::test]
async fn logconfig_file_through_exec() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "logs-file", |client, ns| async move {
        create_pod(
            &client,
            &ns,
            pod_manifest("broker-0", "files", &["kafka"], json!({})),
            true,
        )
        .await;
        let inst = instance(&ns, "files", "kafka", ServiceKind::Operator);
        // The files are found in a pod of a test namespace too.
        let mut all = Session::start(
            &client,
            inst.clone(),
            LogScope::AllPods,
            options(false, Some(1)),
        );
        all.until(EVENT, "the files of broker-0", |s| {
            s.targets
                .as_ref()
                .is_some_and(|t| t.iter().any(|t| t.file.is_some()))
        })
        .await;
        let server = all
            .seen
            .targets
            .as_ref()
            .unwrap()
            .iter()
            .find(|t| {
                t.file
                    .as_deref()
                    .is_some_and(|f| f.ends_with("/opt/kafka/logs/server.log"))
            })
            .cloned()
            .expect("server.log among the targets");
        assert!(
            !all.seen
                .targets
                .as_ref()
                .unwrap()
                .iter()
                .any(|t| t.file.as_deref().is_some_and(|f| f.ends_with(".1"))),
            "server.log.1 is covered by no path"
        );

        let mut file = Session::start(
            &client,
            inst.clone(),
            LogScope::One(server.clone()),
            options(false, None),
        );
        file.until(EVENT, "server.log read to the end", Seen::all_over)
            .await;
        assert_eq!(file.seen.sources.values().collect::<Vec<_>>(), [&server]);
        assert_eq!(file.seen.lines.len(), 4, "{:?}", file.seen.texts());
        assert!(
            file.seen.lines[2]
                .text
                .contains("[KafkaServer id=0] started")
        );
        assert!(file.seen.lines.iter().all(|l| l.time_ms.is_none()));
        assert_eq!(
            file.seen.status(0),
            Some(&StreamStatus::Ended("end of log".into()))
        );

        // A file that is not there: the reason in words.
        let missing = LogTarget {
            file: Some("/nonexistent/osctui.log".into()),
            ..server
        };
        let mut gone = Session::start(&client, inst, LogScope::One(missing), options(false, None));
        gone.until(EVENT, "a failed file stream", |s| {
            matches!(s.status(0), Some(StreamStatus::Failed(_)))
        })
        .await;
        let Some(StreamStatus::Failed(reason)) = gone.seen.status(0) else {
            unreachable!()
        };
        assert!(
            reason.contains("No such file") || reason.contains("cannot open"),
            "{reason}"
        );
    })
    .await;
}

#[tokio::test]
async fn follow_a_logconfig_file() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "logs-tailf", |client, ns| async move {
        // A file of its own in the zookeeper LogConfig's directory (the
        // samples point it into sim/files, see sandbox/README.md).
        let path = sim_dir().join(format!("files/opt/zookeeper/logs/{ns}.log"));
        std::fs::write(&path, "one\ntwo\n").unwrap();
        struct Remove(PathBuf);
        impl Drop for Remove {
            fn drop(&mut self) {
                let _ = std::fs::remove_file(&self.0);
            }
        }
        let _remove = Remove(path.clone());
        let mut pod = pod_manifest("zk-0", "zk", &["zookeeper"], json!({}));
        pod.metadata
            .labels
            .as_mut()
            .unwrap()
            .insert("app.kubernetes.io/name".into(), "zookeeper".into());
        create_pod(&client, &ns, pod, true).await;
        let target = LogTarget {
            pod: "zk-0".into(),
            container: "zookeeper".into(),
            file: Some(path.display().to_string()),
        };
        let inst = instance(&ns, "zk", "zookeeper", ServiceKind::Operator);
        let mut s = Session::start(
            &client,
            inst,
            LogScope::One(target.clone()),
            options(true, None),
        );
        s.until(EVENT, "the file's lines", |s| s.lines.len() == 2)
            .await;
        assert_eq!(s.seen.texts(), ["one", "two"]);
        assert_eq!(s.seen.status(0), Some(&StreamStatus::Attached));
        s.until(EVENT, "the file among the targets", |s| {
            s.targets.as_ref().is_some_and(|t| t.contains(&target))
        })
        .await;
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        writeln!(file, "three \x1b[1mbold").unwrap();
        s.until(EVENT, "the appended line", |s| s.lines.len() == 3)
            .await;
        assert_eq!(s.seen.lines[2].text, "three ^[[1mbold");
        assert_eq!(s.seen.lines[2].time_ms, None);
    })
    .await;
}

#[tokio::test]
async fn follow_and_reattach_when_the_pod_is_replaced() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "logs-follow", |client, ns| async move {
        let sts: StatefulSet = serde_json::from_value(json!({
            "apiVersion": "apps/v1",
            "kind": "StatefulSet",
            "metadata": { "name": "follow" },
            "spec": {
                "replicas": 1,
                "serviceName": "follow",
                "selector": { "matchLabels": { "app.kubernetes.io/instance": "follow" } },
                "template": {
                    "metadata": { "labels": { "app.kubernetes.io/instance": "follow" } },
                    "spec": {
                        "containers": [{ "name": "logtest", "image": "registry.invalid/osctui/logs:1" }],
                        "tolerations": [{ "key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule" }],
                        "terminationGracePeriodSeconds": 0
                    }
                }
            }
        }))
        .unwrap();
        Api::<StatefulSet>::namespaced(client.clone(), &ns)
            .create(&PostParams::default(), &sts)
            .await
            .unwrap();
        let inst = instance(&ns, "follow", "logtest", ServiceKind::Helm);
        let mut s = Session::start(&client, inst, LogScope::AllPods, options(true, Some(0)));
        s.until(POD_RUNNING, "follow-0 attached", |s| s.status(0) == Some(&StreamStatus::Attached)).await;
        assert_eq!(s.seen.sources[&0].pod, "follow-0");
        assert_eq!(s.seen.notices, ["no LogConfig for logtest: stdout only"]);

        let first = format!("first line of {ns}");
        s.append_until_seen(&first).await;
        let line = s.seen.has(&first).unwrap();
        let age = jiff::Timestamp::now().as_millisecond() - line.time_ms.unwrap();
        assert!((0..10_000).contains(&age), "time {:?}", line.time_ms);

        // The pod is deleted; its StatefulSet makes a new one of the same
        // name. Sometimes the controller replaces that one too before it
        // runs (seen in CI): every replaced stream must end, and the last
        // one attach.
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        pods.delete("follow-0", &DeleteParams::default().grace_period(0)).await.unwrap();
        s.until(POD_RUNNING, "the old streams ended, the newest attached", |s| {
            let Some(newest) = s.newest_source().filter(|n| *n > 0) else {
                return false;
            };
            s.status(newest) == Some(&StreamStatus::Attached)
                && (0..newest).all(|old| s.status(old) == Some(&StreamStatus::Ended("pod deleted".into())))
        })
        .await;
        let newest = s.seen.newest_source().unwrap();
        assert_eq!(s.seen.sources[&newest].pod, "follow-0");
        let second = format!("second line of {ns}");
        s.append_until_seen(&second).await;
        assert_eq!(s.seen.has(&second).unwrap().source, newest);
    })
    .await;
}

#[tokio::test]
async fn a_restarted_container_gets_a_new_stream() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "logs-restart", |client, ns| async move {
        create_pod(
            &client,
            &ns,
            pod_manifest("again", "again", &["logtest"], json!({})),
            true,
        )
        .await;
        let inst = instance(&ns, "again", "again", ServiceKind::Helm);
        let mut s = Session::start(&client, inst, LogScope::AllPods, options(true, Some(0)));
        s.until(EVENT, "attached", |s| {
            s.status(0) == Some(&StreamStatus::Attached)
        })
        .await;

        // kwok has no real containers: restart one by its status, as the
        // kubelet would report it.
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        let pod = pods.get("again").await.unwrap();
        let mut statuses =
            serde_json::to_value(pod.status.unwrap().container_statuses.unwrap()).unwrap();
        statuses[0]["restartCount"] = json!(1);
        let patch = json!({"status": {"containerStatuses": statuses}});
        pods.patch_status("again", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .unwrap();

        s.until(EVENT, "the old run ended, the new one attached", |s| {
            s.status(0) == Some(&StreamStatus::Ended("container restarted".into()))
                && s.status(1) == Some(&StreamStatus::Attached)
        })
        .await;
        assert_eq!(s.seen.sources[&1], s.seen.sources[&0]);
        let line = format!("after the restart in {ns}");
        s.append_until_seen(&line).await;
        assert_eq!(s.seen.has(&line).unwrap().source, 1);
    })
    .await;
}

#[tokio::test]
async fn tail_previous_and_since() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "logs-tail", |client, ns| async move {
        create_pod(
            &client,
            &ns,
            pod_manifest("plain", "tail", &["app"], json!({})),
            true,
        )
        .await;
        let inst = instance(&ns, "tail", "tail", ServiceKind::Helm);
        let target = LogTarget {
            pod: "plain".into(),
            container: "app".into(),
            file: None,
        };

        let mut tail = Session::start(
            &client,
            inst.clone(),
            LogScope::One(target.clone()),
            options(false, Some(3)),
        );
        tail.until(EVENT, "3 lines", Seen::all_over).await;
        assert_eq!(tail.seen.lines.len(), 3, "{:?}", tail.seen.texts());
        assert_eq!(tail.seen.texts()[0], "INFO sandbox container line 40");
        assert_eq!(tail.seen.texts()[2], "WARN simulated line on stderr");

        let previous = LogOptions {
            previous: true,
            ..options(false, None)
        };
        let mut prev = Session::start(
            &client,
            inst.clone(),
            LogScope::One(target.clone()),
            previous,
        );
        prev.until(EVENT, "the previous container's lines", Seen::all_over)
            .await;
        assert_eq!(
            prev.seen.texts(),
            [
                "INFO previous container started",
                "ERROR previous container exited: simulated crash (exit code 1)"
            ]
        );

        // current.log was written when kwok started, more than a second ago.
        let recent = LogOptions {
            since_seconds: Some(1),
            ..options(false, None)
        };
        let mut none = Session::start(&client, inst.clone(), LogScope::One(target), recent);
        none.until(EVENT, "an empty stream", Seen::all_over).await;
        assert!(none.seen.lines.is_empty(), "{:?}", none.seen.texts());
    })
    .await;
}

#[tokio::test]
async fn since_keeps_only_recent_lines() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "logs-since", |client, ns| async move {
        create_pod(
            &client,
            &ns,
            pod_manifest("recent", "since", &["logtest"], json!({})),
            true,
        )
        .await;
        let marker = format!("since marker of {ns}");
        append_logtest(&marker);
        let inst = instance(&ns, "since", "since", ServiceKind::Helm);
        let start = jiff::Timestamp::now().as_millisecond();
        let recent = LogOptions {
            since_seconds: Some(20),
            ..options(false, None)
        };
        let mut s = Session::start(&client, inst, LogScope::AllPods, recent);
        s.until(EVENT, "the stream read to the end", Seen::all_over)
            .await;
        assert!(s.seen.has(&marker).is_some(), "{:?}", s.seen.texts());
        // Seconds resolution on the server: allow a little more than 20 s.
        assert!(
            s.seen
                .lines
                .iter()
                .all(|l| l.time_ms.unwrap() >= start - 22_000),
            "an old line came through"
        );
    })
    .await;
}

#[tokio::test]
async fn escape_sequences_arrive_neutralized() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "logs-esc", |client, ns| async move {
        create_pod(&client, &ns, pod_manifest("esc", "esc", &["logesc"], json!({})), true).await;
        let inst = instance(&ns, "esc", "esc", ServiceKind::Helm);
        let mut s = Session::start(&client, inst, LogScope::AllPods, options(false, None));
        s.until(EVENT, "the escape log", Seen::all_over).await;
        let line = s.seen.has("ESCAPE-TEST").expect("the line with escapes").text.clone();
        assert_eq!(
            line,
            "ESCAPE-TEST ^[[31mred^[[0m title^[]0;pwned^G home^[[H bell^G back^Hspace tab here del^?"
        );
        assert!(s.seen.lines.iter().all(|l| !l.text.chars().any(char::is_control)));
    })
    .await;
}

#[tokio::test]
async fn a_pending_pod_waits() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "logs-pending", |client, ns| async move {
        let pod = pod_manifest("stuck", "stuck", &["app"], json!({"sandbox.osctui.dev/fault": "image-pull"}));
        create_pod(&client, &ns, pod, false).await;
        let inst = instance(&ns, "stuck", "stuck", ServiceKind::Helm);
        let mut s = Session::start(&client, inst, LogScope::AllPods, options(true, Some(10)));
        s.until(POD_RUNNING, "the stream waiting on the image", |s| {
            matches!(s.status(0), Some(StreamStatus::Waiting(r)) if r.contains("ImagePull") || r.contains("ErrImage"))
        })
        .await;
        assert!(s.seen.lines.is_empty());
        assert!(s.seen.statuses[&0].iter().all(|st| matches!(st, StreamStatus::Waiting(_))));
    })
    .await;
}

/// Not a timed assertion: prints the sustained rate of a 500,000-line
/// stream through `spawn` into a drained channel.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn throughput_of_a_large_log() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "logs-bulk", |client, ns| async move {
        create_pod(
            &client,
            &ns,
            pod_manifest("bulk", "bulk", &["logbulk"], json!({})),
            true,
        )
        .await;
        let inst = instance(&ns, "bulk", "bulk", ServiceKind::Helm);
        let started = Instant::now();
        let mut s = Session::start(&client, inst, LogScope::AllPods, options(false, None));
        s.until(
            Duration::from_secs(300),
            "the whole bulk log",
            Seen::all_over,
        )
        .await;
        let took = started.elapsed();
        let n = s.seen.lines.len();
        assert_eq!(n, 500_000, "last: {:?}", s.seen.lines.last());
        assert!(
            s.seen.lines[n - 1]
                .text
                .starts_with("bulk line 500000 of 500000")
        );
        let times: Vec<i64> = s.seen.lines.iter().filter_map(|l| l.time_ms).collect();
        assert_eq!(times.len(), n);
        assert!(times.windows(2).all(|w| w[0] <= w[1]));
        eprintln!(
            "THROUGHPUT: {n} lines in {:.2}s = {:.0} lines/s in {} batches",
            took.as_secs_f64(),
            n as f64 / took.as_secs_f64(),
            s.seen.batches
        );
    })
    .await;
}
