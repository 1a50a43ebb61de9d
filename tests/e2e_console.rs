//! End to end: the real `osctui` binary in a pseudo-terminal against the
//! sandbox with its samples (`sandbox/up --samples`), read off the screen.

use std::path::Path;
use std::time::{Duration, Instant};

use kube::api::{Api, DeleteParams, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use osctui_testkit::pty::ok;
use osctui_testkit::pty::{Console, OsctuiSession};

/// Generous: the first frames wait for the watches' first lists.
const LOAD: Duration = Duration::from_secs(30);
const STEP: Duration = Duration::from_secs(5);

/// Starts the console on the sandbox, or returns None when the sandbox is
/// not there (which fails under CI=true, inside `sandbox_client`).
async fn console(args: &[&str], cols: u16, rows: u16) -> Option<(kube::Client, Console)> {
    let binary = Path::new(env!("CARGO_BIN_EXE_osctui"));
    let session = OsctuiSession::start(binary, args, cols, rows).await?;
    Some((session.client, session.console))
}

/// Esc, then a pause: an Esc followed at once by another key reads as
/// Alt+key, as in any terminal.
fn esc(console: &Console) {
    let _ = console.key_esc();
    std::thread::sleep(Duration::from_millis(150));
}

#[tokio::test(flavor = "multi_thread")]
async fn seeded_instances_are_listed_filtered_and_opened() {
    let Some((_client, console)) = console(&[], 120, 40).await else {
        return;
    };
    // The services view comes first, with the sample services.
    let screen = ok(console.wait_for("Memcached", LOAD));
    for service in ["Kafka", "ZooKeeper", "Redis"] {
        assert!(screen.contains(service), "{service} missing:\n{screen}");
    }
    // The instances of every service.
    let _ = console.send_keys("2");
    let screen = ok(console.wait_for("legacy-events", LOAD));
    for name in [
        "orders",
        "payments",
        "audit-log",
        "clickstream",
        "web-cache",
        "sessions",
    ] {
        assert!(screen.contains(name), "{name} missing:\n{screen}");
    }
    // The rows may come before the pods are listed (HEALTH reads
    // "… loading"); the health follows with the full sync.
    ok(
        console.wait_until("legacy-events reading failed", LOAD, |s| {
            s.lines()
                .any(|l| l.contains("legacy-events") && l.contains("failed"))
        }),
    );

    // A filter narrows them; `!` inverts it.
    let _ = console.send_keys("/team-b");
    ok(console.wait_gone("orders", STEP));
    let screen = ok(console.wait_for("audit-log", STEP));
    assert!(!screen.contains("payments"), "{screen}");
    esc(&console);
    ok(console.wait_for("orders", STEP));
    let _ = console.send_keys("/!kafka");
    ok(console.wait_gone("clickstream", STEP));
    ok(console.wait_for("web-cache", STEP));
    esc(&console);

    // The detail of one instance: overview, then the spec with the
    // admin password masked until revealed.
    let _ = console.send_keys("/orders");
    let _ = console.key_enter();
    ok(console.wait_gone("payments", STEP));
    let _ = console.key_enter();
    let screen = ok(console.wait_for("Overview", STEP));
    assert!(
        screen.contains("team-a/orders") || screen.contains("orders"),
        "{screen}"
    );
    let screen = ok(console.wait_for("3.7.1", LOAD));
    assert!(screen.contains("Running"), "{screen}");
    let _ = console.key_tab();
    let screen = ok(console.wait_for("adminPassword", STEP));
    assert!(screen.contains("••••"), "password not masked:\n{screen}");
    let _ = console.key_tab();
    ok(console.wait_for("StatefulSet", STEP));
    esc(&console);
    ok(console.wait_gone("StatefulSet", STEP));

    let _ = console.send_keys("q");
    assert!(
        console.exit_status(STEP).is_some(),
        "osctui did not exit on q:\n{}",
        console.screen_text()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn instance_created_and_deleted_with_the_api_shows_up_and_goes() {
    let Some((client, console)) = console(&["-n", "team-b"], 100, 30).await else {
        return;
    };
    let _ = console.send_keys("2");
    ok(console.wait_for("rate-limits", LOAD));

    let gvk = GroupVersionKind::gvk("osctest.osctui.dev", "v1", "Hwredis");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "hwredises");
    let api: Api<DynamicObject> = Api::namespaced_with(client, "team-b", &resource);
    let name = osctui_testkit::unique_name("e2e-redis");
    let mut object = DynamicObject::new(&name, &resource);
    object.data = serde_json::json!({
        "spec": {"image": "registry.invalid/osctest/redis:7.4.1", "replicas": 1}
    });
    let started = Instant::now();
    api.create(&PostParams::default(), &object)
        .await
        .unwrap_or_else(|err| panic!("create {name}: {err}"));
    let created = console.wait_for(&name, STEP);
    let appeared = started.elapsed();
    let deleted = api.delete(&name, &DeleteParams::default()).await;
    let created = ok(created);
    assert!(created.contains("redis"), "{created}");
    assert!(deleted.is_ok(), "delete {name}: {deleted:?}");
    let started = Instant::now();
    ok(console.wait_gone(&name, STEP));
    let gone = started.elapsed();
    eprintln!("instance appeared after {appeared:?}, disappeared after {gone:?}");
    // The target is 1 s (the hub flushes within 50 ms); the margin is for
    // a loaded CI machine running other tests at the same time.
    assert!(
        appeared < Duration::from_secs(3),
        "appeared after {appeared:?}"
    );
    assert!(gone < Duration::from_secs(3), "disappeared after {gone:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fits_80x24_and_help_comes_from_the_keymap() {
    let Some((_client, console)) = console(&[], 80, 24).await else {
        return;
    };
    ok(console.wait_for("Kafka", LOAD));
    let _ = console.send_keys("?");
    let screen = ok(console.wait_for("quit", STEP));
    assert!(screen.contains("filter"), "{screen}");
    esc(&console);
    let _ = console.send_keys(":ns team-a");
    let _ = console.key_enter();
    let _ = console.send_keys("2");
    let screen = ok(console.wait_for("payments", LOAD));
    assert!(
        !screen.contains("audit-log"),
        "team-b leaked into team-a:\n{screen}"
    );
    for line in screen.lines() {
        assert!(line.chars().count() <= 80, "line wider than 80: {line}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn diagnosis_explains_the_seeded_failures() {
    let Some((_client, console)) = console(&["-c", "inst"], 140, 40).await else {
        return;
    };
    ok(console.wait_for("legacy-events", LOAD));

    // A failed upgrade: the crash-looping broker and the failed condition.
    let _ = console.send_keys("/legacy-events");
    let _ = console.key_enter();
    let _ = console.key_enter();
    ok(console.wait_for("Conditions", LOAD));
    let _ = console.send_keys("h");
    let screen = ok(console.wait_for("critical", LOAD));
    assert!(screen.contains("CrashLoopBackOff"), "{screen}");
    assert!(screen.contains("condition Failed is True"), "{screen}");
    esc(&console);
    esc(&console);

    // OSC FAQ 1: a deletion held by finalizers while the operator is down.
    let _ = console.send_keys("/sessions");
    let _ = console.key_enter();
    ok(console.wait_gone("legacy-events", STEP));
    let _ = console.key_enter();
    ok(console.wait_for("Overview", STEP));
    let _ = console.send_keys("h");
    let screen = ok(console.wait_for("deletion is stuck", LOAD));
    assert!(screen.contains("ImagePullBackOff"), "{screen}");
}

/// Colours of the first `cols` cells of a row.
fn row_colours(console: &Console, row: u16, cols: u16) -> Vec<(vt100::Color, vt100::Color)> {
    let screen = console.screen();
    (0..cols)
        .filter_map(|col| screen.cell(row, col))
        .map(|cell| (cell.fgcolor(), cell.bgcolor()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_l_puts_back_a_screen_another_program_garbled() {
    let Some((_client, console)) = console(&["-c", "inst"], 100, 30).await else {
        return;
    };
    let before = ok(console.wait_for("legacy-events", LOAD));
    // The title's start (its end counts instances, which other tests of
    // this file create and delete meanwhile).
    let title: String = before
        .lines()
        .next()
        .unwrap_or_default()
        .chars()
        .take(20)
        .collect();
    let orders_row = before
        .lines()
        .position(|l| l.contains("orders"))
        .unwrap_or_else(|| panic!("no orders row:\n{before}"));
    let title_colours = row_colours(&console, 0, 20);

    // Another program writes to the terminal (as `wall` does): over the
    // title, in colours it leaves set, and the orders row erased.
    let garbage = format!(
        "\x1b[1;1H\x1b[41;1mWALL: system going down\x1b[{};1H\x1b[2K",
        orders_row + 1
    );
    console
        .write_to_terminal(garbage.as_bytes())
        .unwrap_or_else(|e| panic!("writing to the terminal: {e}"));
    ok(console.wait_for("WALL: system going down", STEP));

    // ctrl+l: the whole screen again.
    console
        .send(b"\x0c")
        .unwrap_or_else(|e| panic!("typing ctrl+l: {e}"));
    let after = ok(console.wait_until(
        "the title and the orders row back, the message gone",
        STEP,
        |screen| {
            !screen.contains("WALL:")
                && screen.starts_with(&title)
                && screen.lines().any(|l| l.contains("orders"))
        },
    ));
    assert!(after.contains("legacy-events"), "{after}");
    assert_eq!(
        row_colours(&console, 0, 20),
        title_colours,
        "the title's colours are not back"
    );
}
