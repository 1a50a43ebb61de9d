//! End to end: the API server goes away under a running console and comes
//! back. A separate test binary, so nothing else runs while the sandbox's
//! API server is down (cargo runs test binaries one after another).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use osctui_testkit::pty::Console;

fn apiserver(action: &str) {
    let script = osctui_testkit::workspace_root().join("sandbox/apiserver");
    let status = Command::new(&script)
        .arg(action)
        .status()
        .unwrap_or_else(|err| panic!("cannot run {} {action}: {err}", script.display()));
    assert!(
        status.success(),
        "sandbox/apiserver {action} failed: {status}"
    );
}

/// Starts the API server again whatever happens to the test.
struct RestartOnDrop;

impl Drop for RestartOnDrop {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let script = osctui_testkit::workspace_root().join("sandbox/apiserver");
            let _ = Command::new(script).arg("start").status();
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stale_banner_while_the_api_server_is_down() {
    if osctui_testkit::sandbox_client().await.is_none() {
        return;
    }
    let kubeconfig = osctui_testkit::sandbox_kubeconfig_path();
    let home = std::env::temp_dir().join(osctui_testkit::unique_name("osctui-e2e-stale"));
    let _ = std::fs::create_dir_all(home.join("config"));
    let console = Console::spawn(
        Path::new(env!("CARGO_BIN_EXE_osctui")),
        &[
            "--kubeconfig",
            &kubeconfig.to_string_lossy(),
            "--timeout",
            "3",
        ],
        &[
            ("OSCTUI_CONFIG_DIR", &home.join("config").to_string_lossy()),
            ("OSCTUI_LOG", &home.join("osctui.log").to_string_lossy()),
        ],
        100,
        30,
    )
    .unwrap_or_else(|err| panic!("cannot start osctui: {err}"));
    let _ = console.send_keys("2");
    console
        .wait_for("legacy-events", Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("{e}"));

    let _guard = RestartOnDrop;
    // Timed from the moment the script starts killing the server (the
    // script itself waits until the port is closed).
    let stopped = Instant::now();
    apiserver("stop");
    let screen = console
        .wait_for("unreachable", Duration::from_secs(30))
        .unwrap_or_else(|e| panic!("no stale banner after the API server stopped: {e}"));
    let noticed = stopped.elapsed();
    // The last data stays on screen.
    assert!(screen.contains("legacy-events"), "{screen}");
    assert!(screen.contains("orders"), "{screen}");
    // Keys still work while disconnected.
    let _ = console.send_keys("/orders");
    console
        .wait_gone("legacy-events", Duration::from_secs(5))
        .unwrap_or_else(|e| panic!("filter while disconnected: {e}"));
    let _ = console.key_esc();

    // Timed from the start command (it waits for /readyz, about 3 s).
    let started = Instant::now();
    apiserver("start");
    console
        .wait_gone("unreachable", Duration::from_secs(60))
        .unwrap_or_else(|e| panic!("stale banner did not clear: {e}"));
    let recovered = started.elapsed();
    let screen = console
        .wait_for("legacy-events", Duration::from_secs(10))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(console.is_alive(), "{screen}");
    eprintln!("banner after {noticed:?}; cleared {recovered:?} after the API server was back");
}
