//! Renders README screenshots: runs the real osctui in a pseudo-terminal
//! against the sandbox with its samples, walks through the main views
//! (lists, detail, logs, monitoring, diagnosis) and writes one PNG per view.
//!
//! Usage: osctui-shots BINARY KUBECONFIG OUT_DIR (see screenshots/render).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use osctui_testkit::pty::Console;

/// One step of the walk: keys to send, text to wait for, and the PNG to
/// write once it is on screen (None: just a step).
struct Scene {
    keys: &'static [&'static str],
    wait_for: &'static str,
    file: Option<&'static str>,
    /// How long `wait_for` may take (live metrics need several scrapes).
    timeout_secs: u64,
    /// Extra wait after `wait_for` showed, before the PNG (more readings).
    settle_secs: u64,
}

/// A step of the walk that waits at most 30 s and writes `file` (if any)
/// as soon as the text shows.
const fn scene(
    keys: &'static [&'static str],
    wait_for: &'static str,
    file: Option<&'static str>,
) -> Scene {
    Scene {
        keys,
        wait_for,
        file,
        timeout_secs: 30,
        settle_secs: 0,
    }
}

/// Scrolls a view down by 24 rows, one `j` at a time.
const DOWN_24: [&str; 24] = ["j"; 24];

const SCENES: &[Scene] = &[
    scene(&[], "Memcached", Some("services.png")),
    scene(&["2"], "legacy-events", Some("instances.png")),
    scene(&["/team-b"], "matches", Some("filter.png")),
    scene(
        &["\x1b", "/legacy", "\r", "\r"],
        "Conditions",
        Some("detail-overview.png"),
    ),
    scene(&["\t", "\t"], "StatefulSet", Some("detail-resources.png")),
    scene(&["\t"], "Warning", Some("detail-events.png")),
    scene(&["\x1b", "\x1b", "/orders", "\r", "\r"], "Conditions", None),
    scene(&["\t"], "adminPassword", Some("detail-spec.png")),
    scene(
        &["\x1b", "\x1b", "/web-cache", "\r", "\r"],
        "deployed",
        None,
    ),
    scene(
        &["\t", "\t", "\t", "\t"],
        "superseded",
        Some("helm-history.png"),
    ),
    scene(&["\x1b", "\x1b", "?"], "quit", Some("help.png")),
    scene(
        &["\x1b", "n"],
        "all namespaces",
        Some("namespace-picker.png"),
    ),
    // The log view of a Kafka instance: all pods merged by time, with
    // timestamps, unwrapped, scrolled to some errors, ERROR searched.
    scene(&["\x1b", "/orders", "\r", "L"], "3 streams attached", None),
    scene(&["t", "w", "g"], "tail 500", None),
    scene(&DOWN_24, "paused", None),
    scene(&["/ERROR", "\r"], "/ERROR", Some("logs.png")),
    // Its monitoring, from the log view: wait for a few readings so that
    // the sparklines have some length.
    Scene {
        keys: &["M"],
        wait_for: "8 readings",
        file: Some("monitoring.png"),
        timeout_secs: 150,
        settle_secs: 0,
    },
    Scene {
        keys: &["\t"],
        wait_for: "Messages in per second",
        file: Some("monitoring-level.png"),
        timeout_secs: 30,
        settle_secs: 5,
    },
    // The diagnosis of an instance with a Pending and an OOMKilled pod,
    // the OOMKilled finding selected (Enter would open its logs).
    scene(
        &["\x1b", "\x1b", "/bulk-cache", "\r", "d"],
        "OOMKilled",
        None,
    ),
    scene(
        &["j", "j", "j"],
        "go to the logs of bulk-cache-1",
        Some("detail-diagnosis.png"),
    ),
    // A sidecar writing escape sequences: shown inert.
    scene(
        &["\x1b", "\x1b", "/edge-cache", "\r", "L"],
        "ESCAPE-TEST",
        Some("logs-escapes.png"),
    ),
    // The diagnosis of a service whose operator is stuck installing.
    scene(
        &["\x1b", "\x1b", "\x1b", "/Redis", "\r", "d"],
        "stuck installing",
        Some("service-diagnosis.png"),
    ),
];

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, binary, kubeconfig, out] = args.as_slice() else {
        eprintln!("usage: osctui-shots BINARY KUBECONFIG OUT_DIR");
        return ExitCode::from(2);
    };
    match run(Path::new(binary), kubeconfig, &PathBuf::from(out)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("osctui-shots: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(binary: &Path, kubeconfig: &str, out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let fonts = osctui_shots::Fonts::load().map_err(|e| e.to_string())?;
    let config = std::env::temp_dir().join(format!("osctui-shots-{}", std::process::id()));
    std::fs::create_dir_all(&config).map_err(|e| e.to_string())?;
    let console = Console::spawn(
        binary,
        &["--kubeconfig", kubeconfig],
        &[
            ("OSCTUI_CONFIG_DIR", &config.to_string_lossy()),
            ("OSCTUI_LOG", &config.join("osctui.log").to_string_lossy()),
            ("OSCTUI_DATA_DIR", &config.join("data").to_string_lossy()),
            ("COLORTERM", "truecolor"),
        ],
        120,
        32,
    )
    .map_err(|e| format!("cannot start {}: {e}", binary.display()))?;
    for scene in SCENES {
        for keys in scene.keys {
            console.send_keys(keys).map_err(|e| e.to_string())?;
            // Let each key land before the next (Esc is a prefix of
            // escape sequences).
            std::thread::sleep(Duration::from_millis(150));
        }
        console.wait_for(scene.wait_for, Duration::from_secs(scene.timeout_secs))?;
        // Let the frame settle (later snapshots of the same data).
        std::thread::sleep(Duration::from_millis(600) + Duration::from_secs(scene.settle_secs));
        if let Some(file) = scene.file {
            let path = out.join(file);
            fonts
                .render_png(&console.screen(), &path)
                .map_err(|e| e.to_string())?;
            println!("wrote {}", path.display());
        }
    }
    let _ = console.send_keys("q");
    let _ = std::fs::remove_dir_all(&config);
    Ok(())
}
