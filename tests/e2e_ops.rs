//! End to end: the guided operations of issue 6, driven through the real
//! `osctui` binary in a pseudo-terminal against the sandbox. An upgrade to
//! a tag whose image is missing fails and is rolled back; a conflicting
//! change is shown and re-applied on top; the YAML editor keeps its buffer
//! through a parse error and a rejection only the server knows; a
//! restricted user is refused what RBAC forbids and may still run a backup;
//! `--readonly` sends no write request at all; a delete needs the
//! instance's name typed.
//!
//! Tests that write do so in a scratch namespace of their own, deleted
//! afterwards also when they fail. Without a reachable sandbox each test
//! prints "SKIPPED: ..." and returns; with `CI=true` it fails instead.

use osctui_testkit as common;
use osctui_testkit::pty::{ok, pause};

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::core::v1::Event;
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams};
use kube::{Client, ResourceExt as _};
use osctui_testkit::pty::{Console, OsctuiSession};
use serde_json::{Value, json};

/// Images of the versions the tests move between.
const GOOD_IMAGE: &str = "registry.invalid/osctest/kafka:3.7.1";
const MISSING_IMAGE: &str = "registry.invalid/osctest/kafka:3.8.0";
/// Creating a scratch instance: PVCs, the StatefulSet, pods one at a time.
const START_TIMEOUT: Duration = Duration::from_secs(180);
/// An upgrade, a rollback or a scale: pods are deleted and created again.
const ROLL_TIMEOUT: Duration = Duration::from_secs(120);
/// The first frames wait for the watches' first lists.
const LOAD: Duration = Duration::from_secs(30);
/// A dry run, an access review, a step of the wizard.
const STEP: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(500);
const IO_TIMEOUT: Duration = Duration::from_secs(30);
const COLS: u16 = 160;
const ROWS: u16 = 50;

// Keys as a terminal sends them.
const BACKSPACE: &str = "\x7f";
const CTRL_S: &str = "\x13";
const DELETE: &str = "\x1b[3~";
const HOME: &str = "\x1b[H";
const END: &str = "\x1b[F";

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_osctui"))
}

/// Sends keys, then a short pause so the console draws before the next.
fn keys(console: &Console, text: &str) {
    console
        .send_keys(text)
        .unwrap_or_else(|e| panic!("cannot type {text:?}: {e}"));
    pause(120);
}

fn enter(console: &Console) {
    console.key_enter().unwrap_or_else(|e| panic!("{e}"));
    pause(150);
}

/// Esc, then a pause: an Esc followed at once by another key reads as
/// Alt+key, as in any terminal.
fn esc(console: &Console) {
    let _ = console.key_esc();
    pause(300);
}

/// Selects the instance `name` in the instances view (the filter leaves it
/// alone in the list).
fn select_instance(console: &Console, name: &str) {
    ok(console.wait_for(name, LOAD));
    keys(console, &format!("/{name}"));
    enter(console);
    pause(300);
}

/// Esc until the instances view is back (at most four; one more would
/// leave it for the services view).
fn back_to_instances(console: &Console) {
    for _ in 0..4 {
        if console
            .screen_text()
            .lines()
            .next()
            .is_some_and(|l| l.contains("│ Instances │"))
        {
            return;
        }
        esc(console);
    }
    ok(console.wait_for("│ Instances │", STEP));
}

/// The line of the menu or list that carries the cursor `›`.
fn cursor_line(screen: &str) -> Option<&str> {
    screen.lines().find(|l| l.trim_start().starts_with('›'))
}

/// Moves the cursor of the operations menu onto the entry starting with
/// `label` (denied entries can be selected too; choosing them is refused).
fn move_to(console: &Console, label: &str) -> String {
    let on = |screen: &str| {
        cursor_line(screen)
            .and_then(|l| l.trim_start().strip_prefix('›'))
            .is_some_and(|l| l.trim_start().starts_with(label))
    };
    for key in ["k", "j"] {
        for _ in 0..12 {
            let screen = console.screen_text();
            if on(&screen) {
                return screen;
            }
            keys(console, key);
        }
    }
    let screen = console.screen_text();
    assert!(on(&screen), "no menu entry {label:?}:\n{screen}");
    screen
}

/// The line of `screen` that starts (after indentation) with `start` and
/// contains `text`.
fn has_line(screen: &str, start: &str, text: &str) -> bool {
    screen
        .lines()
        .any(|l| l.trim_start().starts_with(start) && l.contains(text))
}

/// Waits for the preview of a dry run. A conflict on the way is answered
/// with `r` (re-apply on top), at most `conflicts` times; the screens of
/// those conflicts are returned with the preview.
fn preview_through_conflicts(console: &Console, conflicts: usize) -> (String, Vec<String>) {
    let mut seen = Vec::new();
    loop {
        let screen = ok(console.wait_until("a preview or a conflict", STEP, |s| {
            s.contains("Dry run passed") || s.contains("Conflict: the object changed")
        }));
        if screen.contains("Dry run passed") {
            return (screen, seen);
        }
        assert!(
            seen.len() < conflicts,
            "more than {conflicts} conflicts in a row:\n{screen}"
        );
        seen.push(screen);
        keys(console, "r");
    }
}

/// A bug this file found once and that was fixed: it must not come back.
fn regression(what: &str) -> ! {
    panic!("regression: {what}");
}

fn hwfkas(client: &Client, namespace: &str) -> Api<DynamicObject> {
    common::osctest_api(client, namespace, "Hwfka", "hwfkas")
}

fn backups(client: &Client, namespace: &str) -> Api<DynamicObject> {
    common::osctest_api(client, namespace, "HwfkaBackup", "hwfkabackups")
}

async fn get(api: &Api<DynamicObject>, name: &str) -> DynamicObject {
    match tokio::time::timeout(IO_TIMEOUT, api.get(name)).await {
        Ok(Ok(object)) => object,
        Ok(Err(e)) => panic!("could not read {name}: {e}"),
        Err(_) => panic!("reading {name} did not finish within {IO_TIMEOUT:?}"),
    }
}

/// Waits until `kafka` reports Running at `version`, Ready, with
/// `replicas` brokers.
async fn until_running(client: &Client, namespace: &str, version: &str, replicas: i64) {
    let api = hwfkas(client, namespace);
    common::until_kafka_running(&api, "kafka", version, replicas, START_TIMEOUT).await;
}

/// Runs `body`, then `cleanup`, also when `body` panics (the panic is then
/// raised again).
async fn and_then_cleanup<B, C>(body: B, cleanup: C)
where
    B: Future<Output = ()> + Send + 'static,
    C: Future<Output = ()>,
{
    let outcome = tokio::spawn(body).await;
    cleanup.await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the test body did not finish: {error}"),
        }
    }
}

/// The records of the console's local audit log (`<data>/audit.jsonl`).
fn audit_records(home: &Path) -> Vec<Value> {
    let path = home.join("data/audit.jsonl");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad record {l:?}: {e}")))
        .collect()
}

/// Reasons of the Events on the object `name` in `namespace`.
async fn event_reasons(
    client: &Client,
    namespace: &str,
    name: &str,
) -> Result<Vec<String>, String> {
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let list = events
        .list(&ListParams::default())
        .await
        .map_err(|e| e.to_string())?;
    Ok(list
        .items
        .into_iter()
        .filter(|e| e.involved_object.name.as_deref() == Some(name))
        .filter_map(|e| e.reason)
        .collect())
}

async fn start(namespace: &str, kubeconfig: Option<&Path>, extra: &[&str]) -> OsctuiSession {
    let mut args = extra.to_vec();
    args.extend_from_slice(&["-n", namespace, "-c", "inst"]);
    let session = match kubeconfig {
        Some(path) => OsctuiSession::start_as(binary(), path, &args, COLS, ROWS).await,
        None => OsctuiSession::start(binary(), &args, COLS, ROWS).await,
    };
    session.expect("the sandbox answered a moment ago")
}

#[tokio::test(flavor = "multi_thread")]
async fn upgrade_to_a_missing_tag_fails_and_is_rolled_back() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "e2e-upgrade", |client, ns| async move {
        common::scratch_kafka(&client, &ns, "kafka", "3.7.1", 1).await;
        let session = start(&ns, None, &[]).await;
        let console = &session.console;
        select_instance(console, "kafka");

        // Choose: 3.8.0 is the newest, first in the list.
        keys(console, "u");
        // Waits for the whole frame: the preflight is drawn above the list,
        // and a frame read halfway through its drawing has no cursor yet.
        let screen = ok(console.wait_until("3.8.0 under the cursor", STEP, |s| {
            s.contains("Preflight for 3.8.0") && cursor_line(s).is_some()
        }));
        assert!(screen.contains("Upgrade"), "{screen}");
        assert!(
            cursor_line(&screen).is_some_and(|l| l.contains("3.8.0")),
            "{screen}"
        );
        enter(console);

        // Preview: the server's dry run, as a diff of the image.
        let screen = ok(console.wait_for("Dry run passed", STEP));
        assert!(
            has_line(&screen, "- ", &format!("image: {GOOD_IMAGE}")),
            "{screen}"
        );
        assert!(
            has_line(&screen, "+ ", &format!("image: {MISSING_IMAGE}")),
            "{screen}"
        );
        assert!(
            screen.contains("Change: upgrade 3.7.1 -> 3.8.0"),
            "{screen}"
        );
        enter(console);
        ok(console.wait_for("Apply this change?", STEP));
        keys(console, "y");

        // Progress: the broker cannot pull its image.
        let screen = ok(console.wait_for("Result: failed", ROLL_TIMEOUT));
        assert!(screen.contains("ImagePullBackOff"), "{screen}");
        assert!(screen.contains("r roll back to 3.7.1"), "{screen}");
        assert!(
            screen.contains("audit log: upgrade recorded (applied)"),
            "{screen}"
        );

        // Roll back: previewed, then confirmed by typing the name.
        keys(console, "r");
        // The operator has written the status since the upgrade's write, so
        // the rollback's first dry run meets a 409; only bookkeeping
        // changed, so the console rebases on its own and shows no conflict.
        let (screen, conflicts) = preview_through_conflicts(console, 2);
        if !conflicts.is_empty() {
            regression(&format!(
                "the rollback hit {} conflict(s) first:\n{}",
                conflicts.len(),
                conflicts.join("\n----\n")
            ));
        }
        assert!(
            screen.contains("Change: rollback 3.8.0 -> 3.7.1"),
            "{screen}"
        );
        assert!(
            has_line(&screen, "- ", &format!("image: {MISSING_IMAGE}")),
            "{screen}"
        );
        assert!(
            has_line(&screen, "+ ", &format!("image: {GOOD_IMAGE}")),
            "{screen}"
        );
        enter(console);
        ok(console.wait_for("Type the instance's name (kafka)", STEP));
        // `y` is not enough for a rollback.
        keys(console, "y");
        enter(console);
        ok(console.wait_for("type the instance's name exactly", STEP));
        keys(console, BACKSPACE);
        keys(console, "kafka");
        enter(console);
        let screen = ok(console.wait_for("Result: succeeded", ROLL_TIMEOUT));
        assert!(screen.contains("on 3.7.1"), "{screen}");
        assert!(
            screen.contains("audit log: rollback recorded (applied)"),
            "{screen}"
        );
        until_running(&client, &ns, "3.7.1", 1).await;
        let hwfka = get(&hwfkas(&client, &ns), "kafka").await;
        assert_eq!(hwfka.data["spec"]["image"], GOOD_IMAGE);

        // The local audit log and the instance's Events.
        let records = audit_records(&session.home);
        // The operator may write the status between the rollback's dry run
        // and its write: the server refuses that write with a 409, the
        // console re-checks and writes again without asking, and the
        // refused attempt is recorded honestly. Those records aside, the
        // log holds the upgrade and the rollback, applied.
        let quietly_retried = |r: &Value| {
            r["result"]["failed"]
                .as_str()
                .is_some_and(|f| f.starts_with("conflict:"))
        };
        let summary: Vec<(&str, &str, &str)> = records
            .iter()
            .filter(|r| !quietly_retried(r))
            .map(|r| {
                (
                    r["action"].as_str().unwrap_or_default(),
                    r["result"].as_str().unwrap_or_default(),
                    r["object"].as_str().unwrap_or_default(),
                )
            })
            .collect();
        let object = format!("Hwfka {ns}/kafka");
        assert_eq!(
            summary,
            [
                ("upgrade", "applied", object.as_str()),
                ("rollback", "applied", object.as_str())
            ],
            "{records:#?}"
        );
        common::eventually(
            "Events OsctuiUpgrade and OsctuiRollback on the instance",
            STEP,
            POLL,
            || async {
                let reasons = event_reasons(&client, &ns, "kafka").await?;
                let has = |r: &str| reasons.iter().any(|x| x == r);
                if has("OsctuiUpgrade") && has("OsctuiRollback") {
                    Ok(())
                } else {
                    Err(format!("reasons {reasons:?}"))
                }
            },
        )
        .await;
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_conflict_shows_what_changed_and_reapplies_on_top() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "e2e-conflict", |client, ns| async move {
        common::scratch_kafka(&client, &ns, "kafka", "3.7.1", 1).await;
        let session = start(&ns, None, &[]).await;
        let console = &session.console;
        select_instance(console, "kafka");

        keys(console, "o");
        ok(console.wait_for("Choose an operation", STEP));
        move_to(console, "Change replicas");
        enter(console);
        let screen = ok(console.wait_for("Fill in the fields", STEP));
        assert!(
            cursor_line(&screen).is_some_and(|l| l.contains("Brokers") && l.contains('1')),
            "{screen}"
        );
        keys(console, BACKSPACE);
        keys(console, "2");

        // Meanwhile someone else changes the configuration.
        let api = hwfkas(&client, &ns);
        let patch = json!({"spec": {"config": {"log.retention.hours": "48"}}});
        api.patch("kafka", &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .expect("the concurrent change");
        // Let the operator write its status for that generation, so the
        // object the conflict shows is the latest.
        tokio::time::sleep(Duration::from_secs(3)).await;

        enter(console);
        let screen = ok(console.wait_for("Conflict: the object changed", STEP));
        assert!(screen.contains("What changed meanwhile:"), "{screen}");
        assert!(
            has_line(&screen, "+ ", "log.retention.hours: \"48\""),
            "{screen}"
        );
        assert!(
            screen.contains("r re-apply your change on top of it"),
            "{screen}"
        );

        // Re-applied on top: the preview changes only the replicas and
        // keeps the other change.
        keys(console, "r");
        // When the operator writes the status after the conflict was read,
        // `r` meets a second 409 in which only bookkeeping changed: the
        // console rebases on its own instead of showing an empty conflict.
        let (screen, conflicts) = preview_through_conflicts(console, 2);
        if !conflicts.is_empty() {
            regression(&format!(
                "re-applying hit {} more conflict(s):\n{}",
                conflicts.len(),
                conflicts.join("\n----\n")
            ));
        }
        assert!(has_line(&screen, "- ", "replicas: 1"), "{screen}");
        assert!(has_line(&screen, "+ ", "replicas: 2"), "{screen}");
        assert!(
            !has_line(&screen, "- ", "log.retention.hours"),
            "the other change must stay:\n{screen}"
        );
        enter(console);
        ok(console.wait_for("Apply this change?", STEP));
        keys(console, "y");
        ok(console.wait_for("Result: succeeded", ROLL_TIMEOUT));

        let hwfka = get(&api, "kafka").await;
        assert_eq!(hwfka.data["spec"]["replicas"], 2, "{:#?}", hwfka.data);
        assert_eq!(
            hwfka.data["spec"]["config"]["log.retention.hours"], "48",
            "{:#?}",
            hwfka.data
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_yaml_keeps_the_buffer_and_the_dry_run_catches_a_cel_rule() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "e2e-yaml", |client, ns| async move {
        common::scratch_kafka(&client, &ns, "kafka", "3.7.1", 1).await;
        let api = hwfkas(&client, &ns);
        let session = start(&ns, None, &[]).await;
        let console = &session.console;
        select_instance(console, "kafka");

        keys(console, "Y");
        let screen = ok(console.wait_for("Edit the object", STEP));
        assert!(
            screen.contains("1 apiVersion: osctest.osctui.dev/v1"),
            "{screen}"
        );
        let before = get(&api, "kafka").await;

        // An unclosed flow sequence on a new first line.
        keys(console, "bad: [");
        enter(console);
        keys(console, CTRL_S);
        let screen = ok(console.wait_for("✗ line ", STEP));
        let error = screen
            .lines()
            .find(|l| l.contains("✗ line "))
            .unwrap_or_default()
            .to_owned();
        assert!(
            error
                .split("✗ line ")
                .nth(1)
                .and_then(|rest| rest.split(':').next())
                .is_some_and(|n| n.parse::<u32>().is_ok()),
            "the error names its line: {error:?}\n{screen}"
        );
        assert!(screen.contains("1 bad: ["), "the buffer is kept:\n{screen}");
        assert!(screen.contains("Edit YAML"), "{screen}");

        // Fixed: the first line and its line break deleted.
        for _ in 0..12 {
            console.key_up().unwrap_or_else(|e| panic!("{e}"));
        }
        keys(console, HOME);
        for _ in 0.."bad: [\n".len() {
            keys(console, DELETE);
        }
        // The ZooKeeper reference (the last line) changed: only the
        // server's transition rule knows that is not allowed.
        for _ in 0..60 {
            console.key_down().unwrap_or_else(|e| panic!("{e}"));
        }
        keys(console, END);
        let screen = console.screen_text();
        assert!(
            screen
                .lines()
                .rev()
                .find(|l| l.contains("name:"))
                .is_some_and(|l| l.contains("name: zookeeper")),
            "the last line is the reference:\n{screen}"
        );
        for _ in 0.."zookeeper".len() {
            keys(console, BACKSPACE);
        }
        keys(console, "other-zk");
        let screen = console.screen_text();
        assert!(
            screen.contains("1 apiVersion: osctest.osctui.dev/v1"),
            "{screen}"
        );
        assert!(!screen.contains("bad: ["), "{screen}");
        keys(console, CTRL_S);
        let screen = ok(console.wait_for("zookeeperRef cannot be", STEP));
        assert!(screen.contains("rejected"), "{screen}");
        assert!(
            screen.contains("name: other-zk"),
            "the buffer is kept:\n{screen}"
        );
        assert!(
            screen.contains("Edit YAML"),
            "still in the editor:\n{screen}"
        );
        assert!(
            screen
                .lines()
                .any(|l| l.contains('▶') && l.contains("zookeeperRef")),
            "the server's cause points at its line:\n{screen}"
        );

        // Nothing was written.
        let after = get(&api, "kafka").await;
        assert_eq!(after.resource_version(), before.resource_version());
        assert_eq!(after.data["spec"]["zookeeperRef"]["name"], "zookeeper");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_restricted_user_cannot_upgrade_but_may_run_a_backup() {
    if common::sandbox_client_for("viewer").await.is_none() {
        return;
    }
    let Some(admin) = common::sandbox_client().await else {
        return;
    };
    let destination = format!("s3://backups/{}", common::unique_name("e2e"));
    let viewer_hwfka_writes = || -> usize {
        common::api_writes_by("viewer")
            .expect("the sandbox's audit log")
            .iter()
            .filter(|w| w.resource == "hwfkas" && w.changes_state())
            .count()
    };
    let writes_before = viewer_hwfka_writes();
    let body = {
        let destination = destination.clone();
        let admin = admin.clone();
        async move {
            let kubeconfig = common::sandbox_kubeconfig_for("viewer");
            let session = start("team-a", Some(&kubeconfig), &[]).await;
            let console = &session.console;
            select_instance(console, "orders");
            keys(console, "o");
            let screen = ok(console.wait_for("Kafka backup", STEP));
            let denied = "denied: RBAC: user may not update hwfkas.osctest.osctui.dev in team-a";
            for entry in ["Upgrade", "Edit configuration", "Edit YAML"] {
                assert!(
                    screen
                        .lines()
                        .any(|l| l.contains(entry) && l.contains(denied)),
                    "{entry} denied:\n{screen}"
                );
            }
            assert!(
                screen
                    .lines()
                    .any(|l| l.contains("Kafka backup") && !l.contains("denied")),
                "{screen}"
            );

            // Choosing a denied entry stays in the menu with the reason.
            move_to(console, "Upgrade");
            enter(console);
            let screen = ok(console.wait_for("✗ Upgrade: RBAC", STEP));
            assert!(screen.contains("Choose an operation"), "{screen}");
            // `u` is refused as well, in the same menu.
            back_to_instances(console);
            keys(console, "u");
            let screen = ok(console.wait_for("✗ upgrade: RBAC", STEP));
            assert!(!screen.contains("Preflight for"), "{screen}");
            assert!(screen.contains("Choose an operation"), "{screen}");
            back_to_instances(console);

            // The backup is allowed.
            keys(console, "o");
            ok(console.wait_for("Kafka backup", STEP));
            move_to(console, "Kafka backup");
            enter(console);
            ok(console.wait_for("Destination", STEP));
            keys(console, &destination);
            enter(console);
            let screen = ok(console.wait_for("Dry run passed", STEP));
            assert!(has_line(&screen, "+ ", "kind: HwfkaBackup"), "{screen}");
            assert!(
                has_line(&screen, "+ ", &format!("destination: {destination}")),
                "{screen}"
            );
            let previewed_name = screen
                .lines()
                .find_map(|l| l.trim().strip_prefix("+   name: "))
                .map(str::to_owned);
            enter(console);
            ok(console.wait_for("Apply this change?", STEP));
            keys(console, "y");
            let screen = ok(console.wait_for("Result: succeeded", ROLL_TIMEOUT));
            let name = screen
                .lines()
                .find_map(|l| l.trim().strip_prefix("Operation: "))
                .map(|n| n.trim().to_owned())
                .unwrap_or_else(|| panic!("the backup's name:\n{screen}"));
            let backup = get(&backups(&admin, "team-a"), &name).await;
            assert_eq!(backup.data["spec"]["destination"], destination.as_str());
            assert_eq!(
                backup.data["status"]["phase"], "Succeeded",
                "{:#?}",
                backup.data
            );
            // The preview shows the name the backup gets (the console names
            // it; a generateName would give the dry run a name of its own).
            if previewed_name.as_deref().is_some_and(|p| p != name) {
                regression(&format!(
                    "the preview showed name {previewed_name:?}, the backup is {name:?}"
                ));
            }

            // Recorded locally as done by the viewer.
            let records = audit_records(&session.home);
            let summary: Vec<(&str, &str, &str)> = records
                .iter()
                .map(|r| {
                    (
                        r["action"].as_str().unwrap_or_default(),
                        r["result"].as_str().unwrap_or_default(),
                        r["user"].as_str().unwrap_or_default(),
                    )
                })
                .collect();
            assert_eq!(
                summary,
                [("action kafka-backup", "applied", "viewer")],
                "{records:#?}"
            );
        }
    };
    let cleanup = async {
        let api = backups(&admin, "team-a");
        if let Ok(list) = api.list(&ListParams::default()).await {
            for backup in list
                .items
                .iter()
                .filter(|b| b.data["spec"]["destination"] == destination.as_str())
            {
                if let Err(e) = api
                    .delete(&backup.name_any(), &DeleteParams::default())
                    .await
                {
                    eprintln!("cleanup: could not delete {}: {e}", backup.name_any());
                }
            }
        }
    };
    and_then_cleanup(body, cleanup).await;
    assert_eq!(
        viewer_hwfka_writes(),
        writes_before,
        "the viewer wrote a Hwfka"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn readonly_sends_no_write_request() {
    if common::sandbox_client_for("auditor").await.is_none() {
        return;
    }
    let user = "readonly-e2e";
    let writes = || common::api_writes_by(user).expect("the sandbox's audit log");
    let received = |w: &common::ApiWrite| {
        w.received
            .parse::<jiff::Timestamp>()
            .unwrap_or_else(|e| panic!("a timestamp in {w:?}: {e}"))
    };
    // Only this session's time counts: the user's requests from other
    // tests (tests/sandbox_ops.rs) are left out, as long as they do not run
    // in the same seconds.
    let started = jiff::Timestamp::now();

    {
        let kubeconfig = common::sandbox_kubeconfig_for("auditor");
        let session = start("team-a", Some(&kubeconfig), &["--readonly"]).await;
        let console = &session.console;
        select_instance(console, "orders");
        keys(console, "o");
        ok(console.wait_for("Choose an operation", STEP));
        let screen = ok(console.wait_for("Delete orders", STEP));
        let entries: Vec<&str> = screen
            .lines()
            .skip_while(|l| !l.contains("Choose an operation"))
            .skip(1)
            .filter(|l| l.starts_with("   ") || l.trim_start().starts_with('›'))
            .filter(|l| !l.trim().is_empty())
            .collect();
        assert!(entries.len() >= 5, "{screen}");
        for entry in &entries {
            assert!(entry.contains("denied: readonly"), "{entry:?} in\n{screen}");
        }
        move_to(console, "Upgrade");
        enter(console);
        ok(console.wait_for("✗ Upgrade: readonly mode", STEP));
        // Each way into a write is refused in the menu; Enter, y and
        // ctrl+s go no further.
        back_to_instances(console);
        for (open, refused) in [
            ("u", "✗ upgrade: readonly mode"),
            ("e", "✗ edit configuration: readonly mode"),
            ("Y", "✗ edit YAML: readonly mode"),
        ] {
            keys(console, open);
            let screen = ok(console.wait_for(refused, STEP));
            assert!(screen.contains("READONLY"), "{screen}");
            for key in ["\r", "y", "\r", CTRL_S, "\r"] {
                keys(console, key);
            }
            let screen = console.screen_text();
            assert!(screen.contains("Choose an operation"), "{screen}");
            back_to_instances(console);
        }
        keys(console, "3");
        ok(console.wait_for("Audit log", STEP));
        esc(console);
        keys(console, "q");
        assert!(
            console.exit_status(Duration::from_secs(10)).is_some(),
            "q quits:\n{}",
            console.screen_text()
        );
    }
    let ended = jiff::Timestamp::now();
    // Whatever the console sent has been logged by now (the API server's
    // log backend writes before it answers).
    tokio::time::sleep(Duration::from_secs(3)).await;
    let sent: Vec<_> = writes()
        .into_iter()
        .filter(|w| (started..=ended).contains(&received(w)))
        .collect();
    assert!(sent.is_empty(), "--readonly sent write requests: {sent:#?}");

    // Control: the same steps without --readonly are seen in the log (the
    // menu's access reviews at least), so the check above could fail.
    let control_started = jiff::Timestamp::now();
    {
        let kubeconfig = common::sandbox_kubeconfig_for("auditor");
        let session = start("team-a", Some(&kubeconfig), &[]).await;
        let console = &session.console;
        select_instance(console, "orders");
        keys(console, "o");
        let screen = ok(console.wait_for("Delete orders", STEP));
        assert!(!screen.contains("denied"), "{screen}");
        back_to_instances(console);
        keys(console, "q");
        let _ = console.exit_status(Duration::from_secs(10));
    }
    let control_ended = jiff::Timestamp::now();
    common::eventually(
        "the requests of a session without --readonly in the audit log",
        STEP,
        POLL,
        || async {
            let seen = writes()
                .iter()
                .filter(|w| (control_started..=control_ended).contains(&received(w)))
                .count();
            if seen > 0 {
                Ok(())
            } else {
                Err("none in the log".to_owned())
            }
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delete_needs_the_typed_name_and_is_in_the_audit_view() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "e2e-delete", |client, ns| async move {
        common::scratch_kafka(&client, &ns, "kafka", "3.7.1", 1).await;
        let session = start(&ns, None, &[]).await;
        let console = &session.console;
        select_instance(console, "kafka");

        keys(console, "o");
        ok(console.wait_for("Choose an operation", STEP));
        move_to(console, "Delete kafka");
        enter(console);
        // The delete's dry run, if it shows one, then the typed name.
        let screen = ok(console.wait_until("the confirmation", STEP, |s| {
            s.contains("Type the instance's name") || s.contains("⏎ continue")
        }));
        if !screen.contains("Type the instance's name") {
            enter(console);
        }
        ok(console.wait_for("Type the instance's name (kafka)", STEP));
        keys(console, "kafk");
        enter(console);
        ok(console.wait_for("type the instance's name exactly", STEP));
        assert!(
            hwfkas(&client, &ns)
                .get_opt("kafka")
                .await
                .ok()
                .flatten()
                .is_some(),
            "a wrong name deletes nothing"
        );
        keys(console, "a");
        enter(console);
        let screen = ok(console.wait_for("Result: succeeded", ROLL_TIMEOUT));
        assert!(screen.contains("the instance is gone"), "{screen}");
        common::eventually("Hwfka kafka gone", STEP, POLL, || async {
            match hwfkas(&client, &ns).get_opt("kafka").await {
                Ok(None) => Ok(()),
                Ok(Some(_)) => Err("still there".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;

        // The audit view lists this session's record.
        back_to_instances(console);
        keys(console, "3");
        let screen = ok(console.wait_for("Audit log", STEP));
        // The OBJECT column is cut short: the row shows the start of the
        // namespace; the selected record's whole line is below the table.
        let row_start = format!("Hwfka {}", &ns[..20]);
        assert!(
            screen
                .lines()
                .any(|l| l.contains(&row_start) && l.contains("delete") && l.contains("applied")),
            "{screen}"
        );
        assert!(
            screen.contains("delete by admin: applied — delete kafka"),
            "{screen}"
        );
        let records = audit_records(&session.home);
        assert_eq!(records.len(), 1, "{records:#?}");
        assert_eq!(records[0]["action"], "delete");
        assert_eq!(records[0]["result"], "applied");
        assert_eq!(records[0]["object"], format!("Hwfka {ns}/kafka"));
        // Without --context, the record names the kubeconfig's current
        // context, as the header does.
        if records[0]["context"] != "osctui-sandbox" {
            regression(&format!(
                "audit record context {}, expected \"osctui-sandbox\"",
                records[0]["context"]
            ));
        }
    })
    .await;
}
