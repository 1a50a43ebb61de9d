//! Faults of the API server (issue 8): it is killed (SIGKILL) and started
//! again under a log follow and under an apply, and a watch comes back to a
//! server that answers 410 Gone. Against the sandbox: `sandbox/apiserver`
//! kills and starts the real kube-apiserver (etcd keeps running), and
//! `osctui_testkit::faults::Proxy` stands between a client and the server
//! where the network must fail in a particular way.
//!
//! The tests of this binary hold `faults::exclusive()`: one at a time, so
//! no other test here sees the server gone. Each `Stopped` guard starts the
//! server again (and waits for `/readyz`) however the test ends. Without a
//! reachable sandbox each test prints "SKIPPED: ..." and returns; with
//! `CI=true` it fails instead.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, DeleteParams, DynamicObject, PostParams, WatchEvent, WatchParams};
use kube::{Client, ResourceExt as _};
use osctui::action::Msg;
use osctui::cluster::logs;
use osctui::cluster::ops::{OpsSettings, write};
use osctui::state::detail::InstanceRef;
use osctui::state::logs::{LogEvent, LogOptions, LogRequest, LogScope, RawLine, StreamStatus};
use osctui::state::ops::{ObjectRef, OpKind, OpsEvent, Write, WriteError, WritePlan};
use osctui::state::rows::ServiceKind;
use osctui_testkit as common;
use osctui_testkit::faults::{self, Component, Proxy, Stopped};
use osctui_testkit::pty::{Console, OsctuiSession};
use osctui_testkit::pty::{ok, pause};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Pods to be created and reported running by kwok.
const POD_RUNNING: Duration = Duration::from_secs(60);
/// The first frames wait for the watches' first lists.
const LOAD: Duration = Duration::from_secs(30);
/// A step of the console (a dry run, a banner, a re-attach).
const STEP: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(200);
/// A watch refused for a while backs off (at most 4 s between tries:
/// `cluster::watch::watch_backoff`) before it meets the 410 and relists;
/// the margin is for a loaded machine.
const RELIST: Duration = Duration::from_secs(45);
const COLS: u16 = 160;
const ROWS: u16 = 50;

fn keys(console: &Console, text: &str) {
    console
        .send_keys(text)
        .unwrap_or_else(|e| panic!("typing {text:?}: {e}"));
    pause(60);
}

/// Esc, then a pause: an Esc followed at once by another key reads as
/// Alt+key.
fn esc(console: &Console) {
    let _ = console.key_esc();
    pause(200);
}

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_osctui"))
}

// ---------------------------------------------------------------------------
// 1. A log follow across an API server restart
// ---------------------------------------------------------------------------

/// sandbox/.run/sim (or `$OSCTUI_SANDBOX_RUN/sim`).
fn sim_dir() -> PathBuf {
    common::sandbox_run_dir().join("sim")
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

/// What a log session sent.
#[derive(Debug, Default)]
struct Seen {
    statuses: BTreeMap<u32, Vec<StreamStatus>>,
    lines: Vec<RawLine>,
}

impl Seen {
    fn last_status(&self) -> Option<&StreamStatus> {
        self.statuses.values().last().and_then(|s| s.last())
    }

    fn count(&self, text: &str) -> usize {
        self.lines.iter().filter(|l| l.text == text).count()
    }
}

struct LogSession {
    rx: mpsc::Receiver<Msg>,
    handle: tokio::task::JoinHandle<()>,
    seen: Seen,
}

impl Drop for LogSession {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl LogSession {
    async fn until(&mut self, timeout: Duration, what: &str, check: impl Fn(&Seen) -> bool) {
        let deadline = tokio::time::Instant::now() + timeout;
        while !check(&self.seen) {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(Msg::Logs(event))) => match event {
                    LogEvent::Lines { lines, .. } => self.seen.lines.extend(lines),
                    LogEvent::Status { source, status, .. } => {
                        self.seen.statuses.entry(source).or_default().push(status);
                    }
                    _ => {}
                },
                Ok(Some(other)) => panic!("not a log event: {other:?}"),
                Ok(None) => panic!("the log task stopped"),
                Err(_) => panic!(
                    "{what}: not seen within {timeout:?}; statuses {:?}, last lines {:?}",
                    self.seen.statuses,
                    self.seen.lines.iter().rev().take(5).collect::<Vec<_>>()
                ),
            }
        }
    }

    /// Appends `text` until it arrives (a stream opened with tail 0 may
    /// start reading just after the first append; each try is a new line,
    /// so only the first copy that arrives is kept in mind).
    async fn append_until_seen(&mut self, text: &str) {
        append_logtest(text);
        self.until(STEP, &format!("line {text:?}"), |s| s.count(text) > 0)
            .await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_followed_log_reattaches_after_an_api_server_restart_without_duplicates() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let _one_at_a_time = faults::exclusive().await;
    common::with_namespace(&client, "fault-logs", |client, ns| async move {
        let pod: Pod = serde_json::from_value(json!({
            "apiVersion": "v1",
            "kind": "Pod",
            "metadata": {
                "name": "follow-0",
                "labels": { "app.kubernetes.io/instance": "follow", "app.kubernetes.io/name": "kafka" }
            },
            "spec": {
                "containers": [{ "name": "logtest", "image": "registry.invalid/osctui/logs:1" }],
                "tolerations": [{ "key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule" }],
                "terminationGracePeriodSeconds": 0
            }
        }))
        .unwrap();
        let pods: Api<Pod> = Api::namespaced(client.clone(), &ns);
        pods.create(&PostParams::default(), &pod).await.unwrap();
        common::eventually("pod follow-0 running", POD_RUNNING, POLL, || async {
            let pod = pods.get("follow-0").await.map_err(|e| e.to_string())?;
            match pod.status.and_then(|s| s.phase) {
                Some(phase) if phase == "Running" => Ok(()),
                other => Err(format!("phase {other:?}")),
            }
        })
        .await;

        let (tx, rx) = mpsc::channel(64);
        let request = LogRequest {
            session: 1,
            instance: InstanceRef {
                uid: format!("test:{ns}/follow"),
                name: "follow".into(),
                namespace: ns.clone(),
                service: "logtest".into(),
                kind: ServiceKind::Helm,
            },
            scope: LogScope::AllPods,
            options: LogOptions {
                follow: true,
                previous: false,
                since_seconds: None,
                tail_lines: Some(0),
            },
        };
        let mut s = LogSession {
            handle: logs::spawn(client.clone(), request, tx),
            rx,
            seen: Seen::default(),
        };
        s.until(POD_RUNNING, "the stream attached", |s| {
            s.last_status() == Some(&StreamStatus::Attached)
        })
        .await;
        // The lines are this test's own: the file is shared by every
        // `logtest` container.
        let line = |n: &str| format!("{ns} line {n}");
        s.append_until_seen(&line("a1")).await;
        s.append_until_seen(&line("a2")).await;

        let stopped = Instant::now();
        let mut server = Stopped::stop(Component::ApiServer);
        s.until(STEP, "the stream shown as re-attaching", |s| {
            matches!(s.last_status(), Some(StreamStatus::Reattaching(_)))
        })
        .await;
        let interrupted = stopped.elapsed();
        let reason = format!("{:?}", s.seen.last_status());
        // Written while the server is down: they must come after it.
        append_logtest(&line("b1"));
        pause(1100);
        append_logtest(&line("b2"));

        let started = Instant::now();
        let took = server.start();
        s.until(Duration::from_secs(45), "lines b1 and b2 after the restart", |s| {
            s.count(&line("b1")) > 0 && s.count(&line("b2")) > 0
        })
        .await;
        let caught_up = started.elapsed();
        s.until(STEP, "attached again", |s| {
            s.last_status() == Some(&StreamStatus::Attached)
        })
        .await;
        s.append_until_seen(&line("c1")).await;
        // Late copies would come within a batch window or two.
        pause(500);
        while let Ok(Msg::Logs(LogEvent::Lines { lines, .. })) = s.rx.try_recv() {
            s.seen.lines.extend(lines);
        }

        let mine: Vec<&str> = s
            .seen
            .lines
            .iter()
            .map(|l| l.text.as_str())
            .filter(|t| t.starts_with(&ns))
            .collect();
        let expected: Vec<String> = ["a1", "a2", "b1", "b2", "c1"].map(line).to_vec();
        assert_eq!(
            mine, expected,
            "every line once, in order, none lost across the restart"
        );
        eprintln!(
            "re-attaching shown {interrupted:?} after the kill began ({reason}); \
             the server was ready {took:?} after its start began, the lines written \
             while it was down arrived {caught_up:?} after it"
        );
    })
    .await;
}

// ---------------------------------------------------------------------------
// 2. The API server killed during an apply
// ---------------------------------------------------------------------------

const GROUP: &str = "osctest.osctui.dev";

/// The namespace's Redis instances (`Hwredis`): a kind of the samples that
/// nothing reconciles (its operator is stuck installing), so no status
/// write races the test's own writes.
fn redises(client: &Client, ns: &str) -> Api<DynamicObject> {
    common::osctest_api(client, ns, "Hwredis", "hwredises")
}

/// Creates the Redis instance `ns/name` (one replica, one annotation).
async fn create_redis(api: &Api<DynamicObject>, ns: &str, name: &str) -> DynamicObject {
    let redis: DynamicObject = serde_json::from_value(json!({
        "apiVersion": format!("{GROUP}/v1"),
        "kind": "Hwredis",
        "metadata": {
            "name": name,
            "namespace": ns,
            "annotations": {"osctui.test/note": "a fault test's instance"}
        },
        "spec": {"image": "registry.invalid/osctest/redis:7.4.1", "replicas": 1}
    }))
    .unwrap();
    api.create(&PostParams::default(), &redis).await.unwrap()
}

/// Where the API server's audit log ends now: [`writes_of`] reads what
/// comes after (the whole log takes seconds to parse).
fn audit_end() -> u64 {
    std::fs::metadata(common::audit_log_path()).map_or(0, |m| m.len())
}

/// Writes of the Redis instance `ns/name` by the sandbox's admin logged
/// after `since` (see [`audit_end`]) that were meant to store something
/// (no dry runs): (verb, response code).
fn writes_of(since: u64, ns: &str, name: &str) -> Vec<(String, u16)> {
    use std::io::{Read as _, Seek as _, SeekFrom};
    let path = common::audit_log_path();
    let mut file = std::fs::File::open(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (an API server without an audit log?)",
            path.display()
        )
    });
    let len = file.metadata().map_or(0, |m| m.len());
    // Rotated meanwhile: the new file is all new.
    let from = if len < since { 0 } else { since };
    file.seek(SeekFrom::Start(from)).unwrap();
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes).unwrap();
    String::from_utf8_lossy(&bytes)
        .lines()
        .filter_map(common::ApiWrite::parse)
        .filter(|w| {
            w.user == "admin"
                && w.resource == "hwredises"
                && w.namespace == ns
                && w.name == name
                && w.changes_state()
        })
        .map(|w| (w.verb, w.code))
        .collect()
}

fn stored_writes(writes: &[(String, u16)]) -> usize {
    writes
        .iter()
        .filter(|(_, code)| (200..300).contains(code))
        .count()
}

/// Waits until the audit log holds `n` writes of `ns/name` (the log is
/// written when a response completes).
async fn until_writes(since: u64, ns: &str, name: &str, n: usize) -> Vec<(String, u16)> {
    common::eventually(
        &format!("{n} write(s) of {ns}/{name} in the audit log"),
        STEP,
        POLL,
        || async {
            let writes = writes_of(since, ns, name);
            if writes.len() >= n {
                Ok(writes)
            } else {
                Err(format!("{writes:?}"))
            }
        },
    )
    .await
}

/// Everything the error of a failed write shows must be readable: words,
/// no control characters, not a Rust debug dump.
fn assert_readable(error: &str) {
    assert!(!error.trim().is_empty(), "an empty error");
    assert!(
        !error.chars().any(char::is_control),
        "control characters in {error:?}"
    );
    assert!(
        !error.contains("Error {") && !error.contains("kind:"),
        "a debug dump: {error:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_whose_answer_is_lost_is_stored_once_and_the_buffer_survives() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let _one_at_a_time = faults::exclusive().await;
    common::with_namespace(&client, "fault-apply", |client, ns| async move {
        let api = redises(&client, &ns);
        create_redis(&api, &ns, "cache").await;
        let proxy = Proxy::for_sandbox().unwrap();
        let home = std::env::temp_dir().join(common::unique_name("osctui-fault-apply"));
        let kubeconfig = proxy.kubeconfig(&home).unwrap();
        let session = OsctuiSession::start_as(
            binary(),
            &kubeconfig,
            &["-n", &ns, "-c", "inst"],
            COLS,
            ROWS,
        )
        .await
        .expect("the sandbox answered a moment ago");
        let console = &session.console;
        ok(console.wait_for("cache", LOAD));
        keys(console, "/cache");
        let _ = console.key_enter();
        pause(300);

        // The YAML editor: a new annotation under `annotations:`.
        keys(console, "Y");
        let screen = ok(console.wait_for("Edit the object", STEP));
        let line = screen
            .lines()
            .find_map(|l| {
                let l = l.trim_start_matches(|c: char| !c.is_ascii_digit());
                let (n, rest) = l.split_once(' ')?;
                (rest.trim() == "annotations:").then(|| n.parse::<usize>().ok())?
            })
            .unwrap_or_else(|| panic!("no `annotations:` line:\n{screen}"));
        for _ in 1..line {
            let _ = console.key_down();
        }
        keys(console, "\x1b[F");
        let _ = console.key_enter();
        keys(console, "    osctui.test/fault: written-once");
        keys(console, "\x13");
        ok(console.wait_for("Dry run passed", STEP));
        let _ = console.key_enter();
        ok(console.wait_for("Apply this change?", STEP));
        let since = audit_end();

        // The request reaches the server; its answer never comes back: the
        // server dies first.
        proxy.set_stall_responses(true);
        keys(console, "y");
        let writes = until_writes(since, &ns, "cache", 1).await;
        let screen_while_stalled = console.screen_text();
        let mut server = Stopped::stop(Component::ApiServer);
        proxy.cut_all();
        proxy.set_stall_responses(false);
        assert_eq!(
            writes,
            [("update".to_owned(), 200)],
            "the server stored the edit"
        );

        // The console says the apply failed, and keeps the change.
        let screen = ok(
            console.wait_until("the apply's error", Duration::from_secs(60), |s| {
                s.lines().any(|l| l.trim_start().starts_with("✗ "))
            }),
        );
        let error = screen
            .lines()
            .find(|l| l.trim_start().starts_with("✗ "))
            .unwrap_or_else(|| panic!("no error line:\n{screen}"))
            .to_owned();
        assert_readable(&error);
        assert!(
            error.contains("may have been stored"),
            "the error must not suggest that nothing happened: {error}"
        );
        assert!(console.is_alive(), "{screen}");
        eprintln!(
            "while the answer was held back:\n{screen_while_stalled}\nafter the kill:\n{screen}"
        );
        esc(console);
        let screen = ok(console.wait_for("Edit the object", STEP));
        assert!(
            screen.contains("osctui.test/fault: written-once"),
            "the buffer survives the lost apply:\n{screen}"
        );

        // The server is back; applying the same buffer again is refused
        // by its resourceVersion precondition: no second write.
        let took = server.start();
        keys(console, "\x13");
        let screen = ok(console.wait_until("a preview or a conflict", STEP, |s| {
            s.contains("Dry run passed") || s.contains("Conflict: the object changed")
        }));
        let stored = api.get("cache").await.unwrap();
        assert_eq!(
            stored
                .annotations()
                .get("osctui.test/fault")
                .map(String::as_str),
            Some("written-once")
        );
        if screen.contains("Dry run passed") {
            // Rebased without a conflict: the dry run shows no change left.
            let _ = console.key_enter();
            ok(console.wait_for("Apply this change?", STEP));
            keys(console, "y");
            pause(3000);
        }
        let writes = writes_of(since, &ns, "cache");
        assert_eq!(
            stored_writes(&writes),
            1,
            "stored once: {writes:?}\n{screen}"
        );
        eprintln!(
            "lost answer: {error:?}; retry answered {:?}; server start {took:?}",
            screen
                .lines()
                .find(|l| l.contains("Conflict") || l.contains("Dry run"))
                .unwrap_or_default()
                .trim()
        );
    })
    .await;
}

fn redis_ref(ns: &str) -> ObjectRef {
    ObjectRef {
        api_version: format!("{GROUP}/v1"),
        kind: "Hwredis".into(),
        namespace: Some(ns.into()),
        name: "cache".into(),
    }
}

fn replace(ns: &str, uid: &str, body: Value) -> Write {
    Write {
        target: InstanceRef {
            uid: uid.into(),
            name: "cache".into(),
            namespace: ns.into(),
            service: "redis".into(),
            kind: ServiceKind::Operator,
        },
        kind: OpKind::EditYaml,
        plan: WritePlan::Replace {
            object: redis_ref(ns),
            body,
        },
        summary: "edit YAML".into(),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_apply_while_the_api_server_is_down_stores_nothing_and_a_retry_stores_once() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let _one_at_a_time = faults::exclusive().await;
    common::with_namespace(&client, "fault-apply-down", |client, ns| async move {
        let api = redises(&client, &ns);
        create_redis(&api, &ns, "cache").await;
        let data = std::env::temp_dir().join(common::unique_name("osctui-fault-data"));
        // SAFETY: only this test of the binary reads OSCTUI_DATA_DIR (the
        // audit file of write::apply), and it holds the lock.
        unsafe { std::env::set_var("OSCTUI_DATA_DIR", &data) };
        let settings = OpsSettings {
            kubeconfig: Some(common::sandbox_kubeconfig_path()),
            ..OpsSettings::default()
        };
        let now = api.get("cache").await.unwrap();
        let uid = now.uid().unwrap_or_default();
        let mut body = serde_json::to_value(&now).unwrap();
        body["spec"]["replicas"] = json!(2);
        let edit = replace(&ns, &uid, body);
        // As the console does: a dry run first (which also learns the
        // resource), then the write, here with the server gone.
        let preview = write::dry_run(client.clone(), &settings, 1, edit.clone()).await;
        assert!(matches!(preview, OpsEvent::Previewed { .. }), "{preview:?}");
        let since = audit_end();

        let mut server = Stopped::stop(Component::ApiServer);
        let started = Instant::now();
        let answer = write::apply(client.clone(), &settings, 1, edit.clone()).await;
        let failed_after = started.elapsed();
        let OpsEvent::ApplyFailed { error, .. } = answer else {
            panic!("an apply with the server down: {answer:?}");
        };
        assert!(matches!(error, WriteError::Other(_)), "{error:?}");
        assert_readable(&error.to_string());
        // The console cannot know whether a request it sent was stored.
        assert!(
            error.to_string().contains("may have been stored"),
            "{error}"
        );
        server.start();
        assert_eq!(
            writes_of(since, &ns, "cache"),
            Vec::<(String, u16)>::new(),
            "nothing reached the server"
        );

        // The retry of the same edit: stored once.
        let answer = write::apply(client.clone(), &settings, 2, edit.clone()).await;
        let OpsEvent::Applied { after, .. } = answer else {
            panic!("the retry: {answer:?}");
        };
        assert_eq!(after["spec"]["replicas"], 2);
        // And again (a second press): refused by the precondition.
        let answer = write::apply(client.clone(), &settings, 3, edit).await;
        assert!(
            matches!(
                answer,
                OpsEvent::ApplyFailed {
                    error: WriteError::Conflict { .. },
                    ..
                }
            ),
            "{answer:?}"
        );
        let writes = until_writes(since, &ns, "cache", 2).await;
        assert_eq!(
            writes,
            [("update".to_owned(), 200), ("update".to_owned(), 409)],
        );
        eprintln!("with the server down the apply failed in {failed_after:?}: {error}");
        let _ = std::fs::remove_dir_all(&data);
    })
    .await;
}

// ---------------------------------------------------------------------------
// 3. A watch that expired: 410 Gone from the real server
// ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread")]
async fn a_watch_that_expired_relists_and_the_rows_are_right() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let _one_at_a_time = faults::exclusive().await;
    common::with_namespace(&client, "fault-410", |client, ns| async move {
        let api = redises(&client, &ns);
        for name in ["rd-keep", "rd-gone"] {
            create_redis(&api, &ns, name).await;
        }
        let proxy = Proxy::for_sandbox().unwrap();
        let home = std::env::temp_dir().join(common::unique_name("osctui-fault-410"));
        let kubeconfig = proxy.kubeconfig(&home).unwrap();
        let session = OsctuiSession::start_as(
            binary(),
            &kubeconfig,
            &["-n", &ns, "-c", "inst"],
            COLS,
            ROWS,
        )
        .await
        .expect("the sandbox answered a moment ago");
        let console = &session.console;
        ok(console.wait_until("both instances listed", LOAD, |s| {
            s.contains("rd-keep") && s.contains("rd-gone")
        }));
        let list_rv = api
            .list_metadata(&Default::default())
            .await
            .unwrap()
            .metadata
            .resource_version
            .unwrap_or_default();

        // The console's network goes; meanwhile one instance is deleted,
        // one created, and the server restarts: its watch cache starts
        // after those changes, so a watch from before them gets 410.
        proxy.set_refusing(true);
        proxy.cut_all();
        ok(console.wait_for("unreachable", STEP));
        api.delete("rd-gone", &DeleteParams::default())
            .await
            .unwrap();
        create_redis(&api, &ns, "rd-new").await;
        common::eventually("rd-gone deleted", STEP, POLL, || async {
            match api.get_opt("rd-gone").await {
                Ok(None) => Ok(()),
                Ok(Some(_)) => Err("still there".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
        let mut server = Stopped::stop(Component::ApiServer);
        server.start();
        // The real server's answer to a watch from before: 410 Gone.
        let expired = raw_watch_status(&client, &ns, &list_rv).await;
        assert!(
            expired.starts_with("ERROR code 410"),
            "a watch from resourceVersion {list_rv} after the restart: {expired}"
        );

        let back = Instant::now();
        proxy.set_refusing(false);
        ok(console.wait_gone("unreachable", RELIST));
        let banner_gone = back.elapsed();
        let screen = ok(
            console.wait_until("the rows after the relist", RELIST, |s| {
                s.contains("rd-keep")
                    && s.contains("rd-new")
                    && !s.contains("rd-gone")
                    && !s.contains("unreachable")
            }),
        );
        let relisted = back.elapsed();
        assert!(console.is_alive(), "{screen}");
        eprintln!(
            "server 410 for rv {list_rv}: {expired}; stale banner gone {banner_gone:?} and \
             rows right {relisted:?} after the network came back"
        );
        let _ = std::fs::remove_dir_all(&home);
    })
    .await;
}

/// The first event of a watch of the namespace's Redis instances from
/// `resource_version`, as the server sends it (a 410 is an ERROR event).
async fn raw_watch_status(client: &Client, ns: &str, resource_version: &str) -> String {
    use futures::StreamExt as _;
    let api = redises(client, ns);
    let params = WatchParams::default().timeout(2);
    let first = tokio::time::timeout(Duration::from_secs(10), async {
        match api.watch(&params, resource_version).await {
            Ok(stream) => match stream.boxed().next().await {
                Some(Ok(WatchEvent::Error(e))) => {
                    format!("ERROR code {} {}: {}", e.code, e.reason, e.message)
                }
                Some(Ok(other)) => format!("an event: {other:?}"),
                Some(Err(e)) => format!("error: {e}"),
                None => "no event".to_owned(),
            },
            Err(e) => format!("error: {e}"),
        }
    })
    .await;
    first.unwrap_or_else(|_| "no answer within 10s".to_owned())
}
