//! Components other than the API server going away under a running console
//! (issue 8): metrics-server (`sandbox/metrics-server stop|start`) while
//! the monitoring view is open, and the example Kafka operator
//! (`sandbox/kafka-operator stop|start`) in the middle of an upgrade. The
//! real `osctui` binary in a pty against the sandbox with its samples. And
//! the example operator itself after API server restarts, since every test
//! that creates an instance depends on it.
//!
//! The tests hold `faults::exclusive()` (one at a time) and each `Stopped`
//! guard starts its component again, and waits until it serves, however
//! the test ends. Without a reachable sandbox each test prints
//! "SKIPPED: ..." and returns; with `CI=true` it fails instead.

use std::path::Path;
use std::time::{Duration, Instant};

use osctui_testkit as common;
use osctui_testkit::faults::{self, Component, Stopped};
use osctui_testkit::pty::{Console, OsctuiSession};
use osctui_testkit::pty::{ok, pause};

const LOAD: Duration = Duration::from_secs(30);
const STEP: Duration = Duration::from_secs(20);

fn keys(console: &Console, text: &str) {
    console
        .send_keys(text)
        .unwrap_or_else(|e| panic!("typing {text:?}: {e}"));
    pause(60);
}

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_osctui"))
}

/// The three brokers of team-a/orders with their simulated CPU usage.
fn usage_shown(screen: &str) -> bool {
    ["orders-0", "orders-1", "orders-2"]
        .iter()
        .all(|pod| screen.contains(pod))
        && screen.contains("200m")
        && screen.contains("of request")
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_server_down_is_said_plainly_and_the_view_recovers() {
    if common::sandbox_client().await.is_none() {
        return;
    }
    let _one_at_a_time = faults::exclusive().await;
    let session = OsctuiSession::start(binary(), &["-n", "team-a", "-c", "inst"], 140, 40)
        .await
        .expect("the sandbox answered a moment ago");
    let console = &session.console;
    ok(console.wait_for("orders", LOAD));
    keys(console, "/orders");
    let _ = console.key_enter();
    pause(300);
    keys(console, "M");
    ok(console.wait_for("Monitoring of team-a/orders", STEP));
    ok(console.wait_until("usage of the three brokers", LOAD, usage_shown));
    ok(console.wait_for("via port-forward", LOAD));

    let stopped_at = Instant::now();
    let mut metrics_server = Stopped::stop(Component::MetricsServer);
    // The next round (every 10 s) reads metrics.k8s.io and gets 503.
    let screen = ok(console.wait_until(
        "metrics-server reported unavailable",
        Duration::from_secs(40),
        |s| s.contains("metrics-server is unavailable") || s.contains("metrics unavailable"),
    ));
    let noticed = stopped_at.elapsed();
    let said = screen
        .lines()
        .find(|l| l.contains("metrics-server") || l.contains("metrics unavailable"))
        .unwrap_or_default()
        .trim()
        .to_owned();
    // The rest works: the exporters' charts are still read, and keys move
    // between the MonitorConfig's levels.
    assert!(screen.contains("via port-forward"), "{screen}");
    let _ = console.key_tab();
    ok(console.wait_until("the Cluster level's charts", LOAD, |s| {
        s.contains("Messages in per second") && s.contains("msg/s")
    }));
    // Back to the Resources level (Tab goes round): still said there.
    let _ = console.key_tab();
    pause(200);
    let _ = console.key_tab();
    ok(console.wait_until("the Resources level again", STEP, |s| {
        s.contains("metrics-server is unavailable") || s.contains("metrics unavailable")
    }));
    assert!(console.is_alive());

    let took = metrics_server.start();
    let back = Instant::now();
    let screen = ok(console.wait_until(
        "usage again after metrics-server is back",
        Duration::from_secs(40),
        |s| usage_shown(s) && !s.contains("metrics-server is unavailable"),
    ));
    let recovered = back.elapsed();
    assert!(!screen.contains("metrics unavailable"), "{screen}");
    eprintln!(
        "said {said:?} {noticed:?} after the stop began; metrics-server served again \
         {took:?} after its start began, the view showed usage {recovered:?} after that"
    );
}

// ---------------------------------------------------------------------------

/// Moves the cursor of a list onto the line containing `label`.
fn move_to(console: &Console, label: &str) {
    let on = |screen: &str| {
        screen
            .lines()
            .find(|l| l.trim_start().starts_with('›'))
            .is_some_and(|l| l.contains(label))
    };
    for key in ["j", "k"] {
        for _ in 0..8 {
            if on(&console.screen_text()) {
                return;
            }
            keys(console, key);
            pause(100);
        }
    }
    let screen = console.screen_text();
    assert!(on(&screen), "no line {label:?} under the cursor:\n{screen}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upgrade_whose_operator_stops_stalls_honestly_and_finishes_when_it_returns() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let _one_at_a_time = faults::exclusive().await;
    common::with_namespace(&client, "fault-operator", |client, ns| async move {
        let fixture = Instant::now();
        let hwfkas = common::scratch_kafka(&client, &ns, "kafka", "3.7.0", 1).await;
        let fixture = fixture.elapsed();
        let session = OsctuiSession::start(binary(), &["-n", &ns, "-c", "inst"], 160, 50)
            .await
            .expect("the sandbox answered a moment ago");
        let console = &session.console;
        ok(console.wait_for("kafka", LOAD));
        keys(console, "/kafka");
        let _ = console.key_enter();
        pause(300);

        keys(console, "u");
        ok(console.wait_for("Preflight for", STEP));
        move_to(console, "3.7.1");
        let _ = console.key_enter();
        let screen = ok(console.wait_for("Dry run passed", STEP));
        assert!(
            screen.contains("Change: upgrade 3.7.0 -> 3.7.1"),
            "{screen}"
        );
        let _ = console.key_enter();
        ok(console.wait_for("Apply this change?", STEP));

        // The operator goes away; the upgrade is written without it.
        let mut operator = Stopped::stop(Component::KafkaOperator);
        keys(console, "y");
        let screen = ok(console.wait_for("Progress:", STEP));
        // For a while nothing reconciles: the view must not claim success
        // (nor failure) and must say what it waits for.
        let stalled_for = Duration::from_secs(10);
        let until = Instant::now() + stalled_for;
        while Instant::now() < until {
            let s = console.screen_text();
            assert!(
                !s.contains("Result: succeeded") && !s.contains("Result: failed"),
                "a result while the operator is stopped:\n{s}"
            );
            pause(250);
        }
        let stalled = console.screen_text();
        let progress = stalled
            .lines()
            .find(|l| l.contains("Progress:"))
            .unwrap_or_default()
            .trim()
            .to_owned();
        assert!(
            progress.contains("waiting"),
            "the progress says what it waits for: {progress:?}\n{stalled}"
        );
        let hwfka = hwfkas.get("kafka").await.unwrap();
        let status = &hwfka.data["status"];
        assert_eq!(
            status["currentVersion"], "3.7.0",
            "nothing moved without the operator: {status}"
        );
        assert!(console.is_alive(), "{screen}");

        let took = operator.start();
        let back = Instant::now();
        let screen = ok(console.wait_for("Result: succeeded", Duration::from_secs(120)));
        let finished = back.elapsed();
        assert!(screen.contains("3.7.1"), "{screen}");
        common::until_kafka_running(&hwfkas, "kafka", "3.7.1", 1, STEP).await;
        eprintln!(
            "fixture {fixture:?}; stalled {stalled_for:?} showing {progress:?}; operator start \
             {took:?}; succeeded {finished:?} after it was back"
        );
    })
    .await;
}

// ---------------------------------------------------------------------------

/// The sandbox's example operator after an API server restart, as the
/// `fault_apiserver` tests leave it: it must take a new instance within
/// seconds, or each later test that creates one waits out its timeout. It
/// once saw none for over three minutes: after a restart each watch of a
/// controller got "410 Expired" in turn, and kube-runtime paused all of the
/// controller's watches for up to 30 s after each.
#[tokio::test(flavor = "multi_thread")]
async fn the_example_operator_takes_a_new_instance_soon_after_an_api_server_restart() {
    if common::sandbox_client().await.is_none() {
        return;
    }
    let _one_at_a_time = faults::exclusive().await;
    // Down long enough for the operator's retries to back off.
    let mut api_server = Stopped::stop(Component::ApiServer);
    tokio::time::sleep(Duration::from_secs(20)).await;
    api_server.start();
    // A new client: the connections of one made before are gone.
    let client = common::sandbox_client()
        .await
        .expect("the API server was ready a moment ago");
    common::with_namespace(&client, "fault-restart", |client, ns| async move {
        let created = Instant::now();
        let hwfkas = common::create_kafka(&client, &ns, "kafka", "3.7.0", 1).await;
        // The operator's part: its first status. Running needs the
        // StatefulSet controller too, which recovers at its own pace.
        common::eventually(
            "a status from the operator",
            Duration::from_secs(30),
            Duration::from_millis(250),
            || async {
                let hwfka = hwfkas.get("kafka").await.map_err(|e| e.to_string())?;
                match hwfka.data["status"]["phase"].as_str() {
                    Some(_) => Ok(()),
                    None => Err(format!("status {}", hwfka.data["status"])),
                }
            },
        )
        .await;
        let first_status = created.elapsed();
        common::until_kafka_running(&hwfkas, "kafka", "3.7.0", 1, Duration::from_secs(180)).await;
        eprintln!(
            "after an API server restart: the operator's first status {first_status:?}, \
             Running {:?} after the instance was created",
            created.elapsed()
        );
    })
    .await;
}
