//! End to end: every broken state seeded in the sandbox (`sandbox/samples`)
//! is diagnosed, with its evidence, by the real `osctui` binary in a
//! pseudo-terminal; Enter on a finding goes where it points.

use std::path::Path;
use std::time::Duration;

use osctui_testkit::pty::ok;
use osctui_testkit::pty::{Console, OsctuiSession};

/// Generous: the first frames wait for the watches' first lists.
const LOAD: Duration = Duration::from_secs(30);
const STEP: Duration = Duration::from_secs(5);

/// Starts the console on the sandbox, or returns None when the sandbox is
/// not there (which fails under CI=true, inside `sandbox_client`).
async fn console(args: &[&str], cols: u16, rows: u16) -> Option<Console> {
    let binary = Path::new(env!("CARGO_BIN_EXE_osctui"));
    let session = OsctuiSession::start(binary, args, cols, rows).await?;
    Some(session.console)
}

/// Esc, then a pause: an Esc followed at once by another key reads as
/// Alt+key, as in any terminal.
fn esc(console: &Console) {
    let _ = console.key_esc();
    std::thread::sleep(Duration::from_millis(150));
}

/// Opens the Diagnosis tab of the instance `name` from the instances view
/// (the filter leaves it alone in the list; `d` opens its diagnosis).
fn diagnose(console: &Console, name: &str) -> String {
    let _ = console.send_keys(&format!("/{name}"));
    let _ = console.key_enter();
    std::thread::sleep(Duration::from_millis(300));
    let _ = console.send_keys("d");
    ok(console.wait_for("Diagnosis", LOAD));
    ok(console.wait_for("▶", LOAD))
}

#[tokio::test(flavor = "multi_thread")]
async fn pending_and_oom_killed_pods_are_explained_and_lead_to_logs() {
    let Some(console) = console(&["-c", "inst"], 160, 40).await else {
        return;
    };
    ok(console.wait_for("bulk-cache", LOAD));
    diagnose(&console, "bulk-cache");
    // The scheduler's own words, and the OOM kill of a pod that is ready again.
    let screen = ok(console.wait_for("Insufficient cpu", LOAD));
    assert!(
        screen.contains("Pod/bulk-cache-0 is Pending: no node fits it"),
        "{screen}"
    );
    let screen = ok(console.wait_for("OOMKilled, exit code 137", LOAD));
    assert!(
        screen.contains("Pod/bulk-cache-1 was OOMKilled and restarted"),
        "{screen}"
    );
    // Its operator (Redis) is stuck installing: the FAQ answer is there too.
    assert!(
        screen.contains("the operator is stuck installing"),
        "{screen}"
    );

    // Select the OOM finding and follow it: the pod's logs.
    let mut screen = console.screen_text();
    for _ in 0..12 {
        if screen
            .lines()
            .any(|l| l.contains('▶') && l.contains("was OOMKilled"))
        {
            break;
        }
        let _ = console.send_keys("j");
        std::thread::sleep(Duration::from_millis(200));
        screen = console.screen_text();
    }
    assert!(
        screen
            .lines()
            .any(|l| l.contains('▶') && l.contains("was OOMKilled")),
        "{screen}"
    );
    assert!(
        screen.contains("⏎ go to the logs of bulk-cache-1"),
        "{screen}"
    );
    let _ = console.key_enter();
    ok(console.wait_for("Logs of team-c/bulk-cache", STEP));
}

#[tokio::test(flavor = "multi_thread")]
async fn seeded_failures_of_instances_are_diagnosed() {
    let Some(console) = console(&["-c", "inst"], 160, 40).await else {
        return;
    };
    ok(console.wait_for("legacy-events", LOAD));

    // A failed upgrade: the crash-looping broker, its condition and events.
    diagnose(&console, "legacy-events");
    let screen = ok(console.wait_for("crash looping", LOAD));
    assert!(screen.contains("CrashLoopBackOff"), "{screen}");
    assert!(screen.contains("condition Failed is True"), "{screen}");
    assert!(screen.contains("warning event"), "{screen}");
    esc(&console);
    esc(&console);

    // OSC FAQ 1: a deletion held by finalizers while the operator is down.
    diagnose(&console, "sessions");
    let screen = ok(console.wait_for("deletion is stuck", LOAD));
    assert!(screen.contains("ImagePullBackOff"), "{screen}");
    // Enter on it leads to the services view, on Redis.
    assert!(screen.contains("go to the services view"), "{screen}");
    let _ = console.key_enter();
    let screen = ok(console.wait_for("PROVIDER", STEP));
    assert!(
        screen
            .lines()
            .any(|l| l.contains("redis") && l.contains("ImagePullBackOff")),
        "{screen}"
    );
    let _ = console.send_keys(":inst\r");
    ok(console.wait_for("legacy-events", STEP));

    // A failed Helm release.
    diagnose(&console, "session-cache");
    let screen = ok(console.wait_for("Helm revision 2 failed", LOAD));
    assert!(screen.contains("critical"), "{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_service_view_explains_a_stuck_operator_and_an_old_crd() {
    let Some(console) = console(&["-c", "svc"], 160, 40).await else {
        return;
    };
    ok(console.wait_for("redis", LOAD));
    let _ = console.send_keys("/redis");
    let _ = console.key_enter();
    std::thread::sleep(Duration::from_millis(300));
    let _ = console.send_keys("d");
    ok(console.wait_for("Diagnosis of redis", LOAD));
    // OSC FAQ 2 with the pod's reason, and OSC FAQ 3 with the missing fields.
    let screen = ok(console.wait_for("the operator is stuck installing", LOAD));
    assert!(screen.contains("ImagePullBackOff"), "{screen}");
    let screen = ok(console.wait_for("the CRD is older than the package", LOAD));
    assert!(
        screen.contains("hwredises.osctest.osctui.dev v1 lacks: spec.persistence.mode"),
        "{screen}"
    );
    // The instances stuck deleting are named, and lead to their diagnosis.
    assert!(screen.contains("team-a/sessions is deleting"), "{screen}");
    let mut screen = screen;
    for _ in 0..12 {
        if screen
            .lines()
            .any(|l| l.contains('▶') && l.contains("team-a/sessions is deleting"))
        {
            break;
        }
        let _ = console.send_keys("j");
        std::thread::sleep(Duration::from_millis(200));
        screen = console.screen_text();
    }
    let _ = console.key_enter();
    ok(console.wait_for("deletion is stuck", LOAD));
    esc(&console);
    esc(&console);

    // The Kafka service: the failed instance is named with its event.
    let _ = console.send_keys(":svc\r");
    ok(console.wait_for("PROVIDER", STEP));
    let _ = console.send_keys("/kafka");
    let _ = console.key_enter();
    std::thread::sleep(Duration::from_millis(300));
    let _ = console.send_keys("d");
    let screen = ok(console.wait_for("team-b/legacy-events is failed", LOAD));
    assert!(screen.contains("instances in view"), "{screen}");
}

/// The cluster layer alone: the evidence of OSC FAQ 2 and 3 for the seeded
/// Redis service reaches its service row (what both diagnoses read).
#[tokio::test(flavor = "multi_thread")]
async fn the_hub_reports_redis_stuck_installing_with_an_old_crd() {
    use osctui::action::Msg;
    use osctui::cluster::{Cluster, ClusterOptions};
    use osctui::state::rows::{CrdState, OperatorInstall};

    if osctui_testkit::sandbox_client().await.is_none() {
        return;
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let _cluster = Cluster::start(
        ClusterOptions {
            kubeconfig: Some(osctui_testkit::sandbox_kubeconfig_path()),
            ..ClusterOptions::default()
        },
        tx,
    );
    let deadline = tokio::time::Instant::now() + LOAD;
    let mut last = None;
    while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let Msg::ServicesChanged(rows) = msg else {
            continue;
        };
        let Some(redis) = rows.into_iter().find(|r| r.name == "redis") else {
            continue;
        };
        let stuck = matches!(&redis.install, OperatorInstall::Stuck { reason }
            if reason.contains("ImagePullBackOff"));
        let drift = matches!(&redis.crd, CrdState::Drift { missing, .. }
            if missing.iter().any(|m| m == "spec.persistence.mode"));
        if stuck && drift {
            return;
        }
        last = Some(redis);
    }
    panic!("redis never showed as stuck installing with CRD drift; last row: {last:#?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_hub_finds_no_drift_where_there_is_none() {
    use osctui::action::Msg;
    use osctui::cluster::{Cluster, ClusterOptions};
    use osctui::state::rows::{CrdState, OperatorInstall};

    if osctui_testkit::sandbox_client().await.is_none() {
        return;
    }
    let (tx, mut rx) = tokio::sync::mpsc::channel(256);
    let _cluster = Cluster::start(
        ClusterOptions {
            kubeconfig: Some(osctui_testkit::sandbox_kubeconfig_path()),
            ..ClusterOptions::default()
        },
        tx,
    );
    let deadline = tokio::time::Instant::now() + LOAD;
    let mut last = None;
    while let Ok(Some(msg)) = tokio::time::timeout_at(deadline, rx.recv()).await {
        let Msg::ServicesChanged(rows) = msg else {
            continue;
        };
        let Some(kafka) = rows.into_iter().find(|r| r.name == "kafka") else {
            continue;
        };
        if kafka.crd == CrdState::Current {
            // The Kafka operator runs as a sandbox process (a heartbeat
            // Lease, not a Deployment): no rollout to report.
            assert_eq!(kafka.install, OperatorInstall::Unknown);
            assert!(kafka.problems.is_empty(), "{:?}", kafka.problems);
            return;
        }
        last = Some(kafka);
    }
    panic!("kafka's CRD never showed as current; last row: {last:#?}");
}
