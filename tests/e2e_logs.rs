//! End to end: the log and monitoring views of the real `osctui` binary in
//! a pseudo-terminal against the sandbox with its samples. The sandbox's
//! pods log from files (sandbox/kwok.sh), its metrics come from the real
//! metrics-server, and the Kafka exporters answer through a port-forward.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use osctui_testkit::pty::ok;
use osctui_testkit::pty::{Console, OsctuiSession};

/// Generous: the first frames wait for the watches' first lists.
const LOAD: Duration = Duration::from_secs(30);
const STEP: Duration = Duration::from_secs(10);

/// Esc, then a pause: an Esc followed at once by another key reads as
/// Alt+key, as in any terminal.
fn esc(console: &Console) {
    let _ = console.key_esc();
    std::thread::sleep(Duration::from_millis(150));
}

/// Selects `name` in the instances view (the filter leaves it alone) and
/// presses `key` on it.
fn on_instance(console: &Console, name: &str, key: &str) {
    ok(console.wait_for(name, LOAD));
    let _ = console.send_keys(&format!("/{name}"));
    let _ = console.key_enter();
    std::thread::sleep(Duration::from_millis(300));
    let _ = console.send_keys(key);
}

async fn start(args: &[&str], cols: u16, rows: u16) -> Option<OsctuiSession> {
    OsctuiSession::start(Path::new(env!("CARGO_BIN_EXE_osctui")), args, cols, rows).await
}

/// The files the sandbox's simulated containers log from.
fn sim_dir() -> PathBuf {
    match std::env::var_os("OSCTUI_SANDBOX_RUN").filter(|v| !v.is_empty()) {
        Some(run) => PathBuf::from(run).join("sim"),
        None => osctui_testkit::workspace_root().join("sandbox/.run/sim"),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn logs_of_an_instance_merged_searched_switched_and_saved() {
    let Some(session) = start(&["-n", "team-a", "-c", "inst"], 140, 40).await else {
        return;
    };
    let console = &session.console;
    on_instance(console, "orders", "L");
    ok(console.wait_for("Logs of team-a/orders", STEP));
    // All three brokers merged, each line marked with its pod.
    let screen = ok(console.wait_for("3 streams", LOAD));
    assert!(screen.contains("all pods"), "{screen}");
    let screen = ok(console.wait_for("Rolled new log segment", LOAD));
    assert!(!screen.contains('\u{1b}'), "{screen}");

    // Search: highlighted matches, and n moves between them.
    let _ = console.send_keys("/rebalance");
    ok(console.wait_for("/rebalance", STEP));
    let _ = console.key_enter();
    std::thread::sleep(Duration::from_millis(200));
    let _ = console.send_keys("n");
    ok(console.wait_for("Preparing to rebalance", STEP));
    // Back to the start and search backwards from there: it wraps.
    let _ = console.send_keys("g");
    let _ = console.send_keys("N");
    let screen = ok(console.wait_for("search wrapped", STEP));
    assert!(screen.contains("rebalance"), "{screen}");

    // Save what is loaded: a file in the data directory, lines marked.
    let _ = console.send_keys("S");
    let screen = ok(console.wait_for("saved", STEP));
    assert!(screen.contains("lines to"), "{screen}");
    let dir = session.home.join("data/logs");
    let saved = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .next()
        .unwrap_or_else(|| panic!("nothing saved in {}", dir.display()));
    let text = std::fs::read_to_string(saved.path()).unwrap_or_default();
    for pod in ["orders-0", "orders-1", "orders-2"] {
        assert!(text.contains(&format!("[{pod}/kafka]")), "{pod}: {text}");
    }
    assert!(text.contains("KafkaServer"), "{text}");

    // The source picker: one broker's stdout, then a LogConfig file read
    // through exec.
    let _ = console.key_tab();
    let screen = ok(console.wait_for("all pods (merged)", STEP));
    assert!(screen.contains("orders-1/kafka"), "{screen}");
    let _ = console.send_keys("orders-1/kafka");
    std::thread::sleep(Duration::from_millis(200));
    let _ = console.key_enter();
    ok(console.wait_until("one broker's stream", STEP, |s| {
        s.contains("orders-1/kafka") && s.contains("1 stream") && s.contains("Rolled new log")
    }));
    let _ = console.key_tab();
    ok(console.wait_for("all pods (merged)", STEP));
    // Typing narrows the picker: the first server.log is orders-0's.
    let _ = console.send_keys("server.log");
    std::thread::sleep(Duration::from_millis(200));
    let _ = console.key_enter();
    ok(console.wait_until("the LogConfig file", LOAD, |s| {
        s.contains("server.log") && s.contains("1 stream attached")
    }));

    // The previous container of one broker.
    let _ = console.key_tab();
    ok(console.wait_for("all pods (merged)", STEP));
    let _ = console.send_keys("orders-2/kafka");
    std::thread::sleep(Duration::from_millis(200));
    let _ = console.key_enter();
    // Its stdout, not one of its files (whose labels start the same).
    ok(console.wait_for("orders-2/kafka · ", STEP));
    let _ = console.send_keys("p");
    let screen = ok(console.wait_for("simulated crash", LOAD));
    assert!(screen.contains("previous container"), "{screen}");

    // Back where we came from, with the instances filter as it was.
    esc(console);
    let screen = ok(console.wait_gone("Logs of", STEP));
    assert!(screen.contains("orders"), "{screen}");
    let _ = console.send_keys("q");
    assert!(console.exit_status(STEP).is_some(), "osctui did not quit");
}

#[tokio::test(flavor = "multi_thread")]
async fn escape_sequences_in_followed_logs_reach_the_screen_inert() {
    let Some(session) = start(&["-n", "team-c", "-c", "inst"], 140, 40).await else {
        return;
    };
    let console = &session.console;
    on_instance(console, "edge-cache", "L");
    ok(console.wait_for("Logs of team-c/edge-cache", STEP));
    // The sidecar's hostile line is drawn with its controls made visible.
    let screen = ok(console.wait_for("ESCAPE-TEST", LOAD));
    assert!(screen.contains("^[[31mred^[[0m"), "{screen}");
    assert!(screen.contains("^[]0;pwned"), "{screen}");
    // Nothing from the log moved the cursor home and drew over the top bar.
    let first_row = screen.lines().next().unwrap_or_default();
    assert!(first_row.contains("osctui"), "{screen}");

    // Following: a line appended to the container's log shows up live,
    // neutralized too.
    let marker = osctui_testkit::unique_name("followed");
    let path = sim_dir().join("escape.log");
    let mut seen = false;
    for _ in 0..5 {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let now = jiff::Timestamp::now();
        writeln!(
            file,
            "{now:.9} stdout F {marker} \u{1b}[2J\u{1b}[1;1Hcleared?"
        )
        .unwrap_or_default();
        if console.wait_for(&marker, Duration::from_secs(3)).is_ok() {
            seen = true;
            break;
        }
    }
    let screen = console.screen_text();
    assert!(seen, "the appended line never arrived: {screen}");
    assert!(screen.contains("^[[2J^[[1;1Hcleared?"), "{screen}");
    assert!(
        screen.contains("ESCAPE-TEST"),
        "the screen was cleared: {screen}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn monitoring_reads_metrics_server_and_the_exporters() {
    let Some(session) = start(&["-n", "team-a", "-c", "inst"], 140, 40).await else {
        return;
    };
    let console = &session.console;
    on_instance(console, "orders", "M");
    ok(console.wait_for("Monitoring of team-a/orders", STEP));
    // CPU and memory of each broker from metrics.k8s.io, against requests
    // and limits (the brokers' simulated usage is 200m and 1229Mi).
    let screen = ok(console.wait_until("usage of the three brokers", LOAD, |s| {
        ["orders-0", "orders-1", "orders-2"]
            .iter()
            .all(|pod| s.contains(pod))
            && s.contains("200m")
            && s.contains("of request")
    }));
    assert!(screen.contains("Resources"), "{screen}");
    // The MonitorConfig's levels are tabs; its charts are read through a
    // port-forward (the sandbox's pods are not reachable by pod proxy).
    let screen = ok(console.wait_for("via port-forward", LOAD));
    assert!(screen.contains("Cluster"), "{screen}");
    let _ = console.key_tab();
    let screen = ok(console.wait_until("the Cluster level's charts", LOAD, |s| {
        s.contains("Messages in per second") && s.contains("msg/s")
    }));
    assert!(screen.contains("Active controllers"), "{screen}");

    // L goes to the logs, Esc back to the list.
    let _ = console.send_keys("L");
    ok(console.wait_for("Logs of team-a/orders", STEP));
    esc(console);
    ok(console.wait_gone("Logs of", STEP));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_line_cap_drops_the_oldest_lines_and_says_so() {
    let binary = Path::new(env!("CARGO_BIN_EXE_osctui"));
    // The smallest cap the configuration takes, against a sidecar with
    // 500,000 lines (sandbox/samples: team-c/edge-cache's access log).
    if osctui_testkit::sandbox_client().await.is_none() {
        return;
    }
    let home = std::env::temp_dir().join(osctui_testkit::unique_name("osctui-e2e-cap"));
    let config = home.join("config");
    std::fs::create_dir_all(&config).unwrap_or_default();
    std::fs::write(config.join("config.yaml"), "logLines: 1000\n").unwrap_or_default();
    let kubeconfig = osctui_testkit::sandbox_kubeconfig_path();
    let kubeconfig = kubeconfig.to_string_lossy().into_owned();
    let console = Console::spawn(
        binary,
        &["--kubeconfig", &kubeconfig, "-n", "team-c", "-c", "inst"],
        &[
            ("OSCTUI_CONFIG_DIR", &config.to_string_lossy()),
            ("OSCTUI_LOG", &home.join("osctui.log").to_string_lossy()),
            ("NO_COLOR", ""),
        ],
        140,
        40,
    )
    .unwrap_or_else(|err| panic!("cannot start osctui in a pty: {err}"));
    on_instance(&console, "edge-cache", "L");
    ok(console.wait_for("Logs of team-c/edge-cache", STEP));
    ok(console.wait_for("tail 500", LOAD));
    // Tail 500 → 5000: three streams, 5,000 access-log lines, a cap of 1,000.
    let _ = console.send_keys("T");
    // About 5,050 lines in all: 4,0xx of them dropped.
    ok(console.wait_until("the cap at work", LOAD, |s| {
        s.contains("tail 5000") && s.contains("1,000 lines (+4,0") && s.contains("dropped)")
    }));
    // At the top, the view says what is gone.
    let _ = console.send_keys("g");
    let screen = ok(console.wait_for("older lines dropped (cap 1,000)", STEP));
    assert!(!screen.contains("bulk line 1 of"), "{screen}");
}
