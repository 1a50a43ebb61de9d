//! Renders README screenshots: runs the real osctui in a pseudo-terminal
//! against the sandbox with its samples, walks through the main views and
//! writes one PNG per view.
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
}

const SCENES: &[Scene] = &[
    Scene {
        keys: &[],
        wait_for: "Memcached",
        file: Some("services.png"),
    },
    Scene {
        keys: &["2"],
        wait_for: "legacy-events",
        file: Some("instances.png"),
    },
    Scene {
        keys: &["/team-b"],
        wait_for: "matches",
        file: Some("filter.png"),
    },
    Scene {
        keys: &["\x1b", "/legacy", "\r", "\r"],
        wait_for: "Conditions",
        file: Some("detail-overview.png"),
    },
    Scene {
        keys: &["\t", "\t"],
        wait_for: "StatefulSet",
        file: Some("detail-resources.png"),
    },
    Scene {
        keys: &["\t"],
        wait_for: "Warning",
        file: Some("detail-events.png"),
    },
    Scene {
        keys: &["\t", "\t"],
        wait_for: "critical",
        file: Some("detail-diagnosis.png"),
    },
    Scene {
        keys: &["\x1b", "\x1b", "/orders", "\r", "\r"],
        wait_for: "Conditions",
        file: None,
    },
    Scene {
        keys: &["\t"],
        wait_for: "adminPassword",
        file: Some("detail-spec.png"),
    },
    Scene {
        keys: &["\x1b", "\x1b", "/web-cache", "\r", "\r"],
        wait_for: "deployed",
        file: None,
    },
    Scene {
        keys: &["\t", "\t", "\t", "\t"],
        wait_for: "superseded",
        file: Some("helm-history.png"),
    },
    Scene {
        keys: &["\x1b", "\x1b", "?"],
        wait_for: "quit",
        file: Some("help.png"),
    },
    Scene {
        keys: &["\x1b", "n"],
        wait_for: "all namespaces",
        file: Some("namespace-picker.png"),
    },
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
        console.wait_for(scene.wait_for, Duration::from_secs(30))?;
        // Let the frame settle (later snapshots of the same data).
        std::thread::sleep(Duration::from_millis(600));
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
