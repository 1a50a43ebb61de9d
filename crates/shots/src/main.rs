//! Renders README screenshots: runs the real osctui in a pseudo-terminal
//! against the sandbox with its samples and writes one PNG per view. Two
//! walks:
//!
//! - `views` (the default): the main views (lists, detail, logs,
//!   monitoring, diagnosis), read only;
//! - `ops`: the guided operations. On the samples it only previews (dry
//!   runs, then Esc: nothing is written); the real upgrade, its failure and
//!   the rollback run on the scratch instance `demo/inventory` that
//!   screenshots/render creates before this walk and deletes after it.
//!
//! Usage: osctui-shots BINARY KUBECONFIG OUT_DIR [views|ops] (see
//! screenshots/render).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use osctui_shots::Fonts;
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

/// Keys as the terminal sends them.
const ESC: &str = "\x1b";
const ENTER: &str = "\r";
const BACKSPACE: &str = "\x7f";
const DOWN: &str = "\x1b[B";
const END: &str = "\x1b[F";
const CTRL_S: &str = "\x13";

/// The scratch instance of the ops walk (made by screenshots/render).
const SCRATCH: &str = "inventory";

/// Dry runs and the first read of a wizard's context take a few seconds.
const STEP: u64 = 45;
/// A real upgrade or rollback of the scratch instance: pods are replaced
/// one at a time.
const ROLL: u64 = 180;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (binary, kubeconfig, out, walk) = match args.as_slice() {
        [_, binary, kubeconfig, out] => (binary, kubeconfig, out, "views"),
        [_, binary, kubeconfig, out, walk] => (binary, kubeconfig, out, walk.as_str()),
        _ => {
            eprintln!("usage: osctui-shots BINARY KUBECONFIG OUT_DIR [views|ops]");
            return ExitCode::from(2);
        }
    };
    let walk: fn(&Shooter) -> Result<(), String> = match walk {
        "views" => views,
        "ops" => ops,
        other => {
            eprintln!("osctui-shots: unknown walk {other:?} (views or ops)");
            return ExitCode::from(2);
        }
    };
    match run(Path::new(binary), kubeconfig, &PathBuf::from(out), walk) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("osctui-shots: {err}");
            ExitCode::FAILURE
        }
    }
}

fn run(
    binary: &Path,
    kubeconfig: &str,
    out: &Path,
    walk: fn(&Shooter) -> Result<(), String>,
) -> Result<(), String> {
    std::fs::create_dir_all(out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let fonts = Fonts::load().map_err(|e| e.to_string())?;
    // A fresh configuration and data directory: no saved state, and an
    // audit log with only this walk's writes.
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
    let shooter = Shooter {
        console,
        fonts,
        out: out.to_owned(),
    };
    let result = walk(&shooter);
    let _ = shooter.console.send_keys("q");
    drop(shooter);
    let _ = std::fs::remove_dir_all(&config);
    result
}

/// The console being walked and where its screens go.
struct Shooter {
    console: Console,
    fonts: Fonts,
    out: PathBuf,
}

impl Shooter {
    /// Sends keys one at a time.
    fn keys(&self, keys: &[&str]) -> Result<(), String> {
        for key in keys {
            self.console.send_keys(key).map_err(|e| e.to_string())?;
            // Let each key land before the next (Esc is a prefix of
            // escape sequences).
            std::thread::sleep(Duration::from_millis(150));
        }
        Ok(())
    }

    /// Types text (one key at a time).
    fn typed(&self, text: &str) -> Result<(), String> {
        let keys: Vec<String> = text.chars().map(String::from).collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        self.keys(&keys)
    }

    /// Waits until `text` is on screen; returns the screen's text.
    fn wait(&self, text: &str, secs: u64) -> Result<String, String> {
        self.console.wait_for(text, Duration::from_secs(secs))
    }

    /// Sends `keys`, then waits for `text`.
    fn step(&self, keys: &[&str], text: &str, secs: u64) -> Result<String, String> {
        self.keys(keys)?;
        self.wait(text, secs)
    }

    /// Writes the screen to `file` once it has stopped changing (no half
    /// drawn frame), waiting at most a few seconds for that.
    fn shot(&self, file: &str) -> Result<(), String> {
        let mut last = self.console.screen_text();
        for _ in 0..20 {
            std::thread::sleep(Duration::from_millis(400));
            let now = self.console.screen_text();
            if now == last {
                break;
            }
            last = now;
        }
        let path = self.out.join(file);
        self.fonts
            .render_png(&self.console.screen(), &path)
            .map_err(|e| e.to_string())?;
        println!("wrote {}", path.display());
        Ok(())
    }

    /// Moves the cursor (`›`) of a menu or picker to the entry starting
    /// with `label`, with `j`/`k`, and waits until it is there.
    fn select(&self, label: &str) -> Result<(), String> {
        let selected = |line: &str| {
            line.trim_start()
                .strip_prefix("› ")
                .is_some_and(|rest| rest.starts_with(label))
        };
        let screen = self.console.screen_text();
        let cursor = screen
            .lines()
            .position(|l| l.trim_start().starts_with("› "));
        let wanted = screen
            .lines()
            .position(|l| selected(l) || l.trim_start().starts_with(label));
        let (Some(cursor), Some(wanted)) = (cursor, wanted) else {
            return Err(format!("no entry {label:?} to select on screen:\n{screen}"));
        };
        let (key, times) = if wanted >= cursor {
            ("j", wanted - cursor)
        } else {
            ("k", cursor - wanted)
        };
        self.keys(&vec![key; times])?;
        self.console.wait_until(
            &format!("the cursor on {label:?}"),
            Duration::from_secs(5),
            |s| s.lines().any(selected),
        )?;
        Ok(())
    }

    /// In a form: erases the focused field's end with `erase` (Backspace
    /// keys) and types `value`, then waits until the field shows it.
    fn typed_field_value(&self, erase: &[&str], value: &str) -> Result<(), String> {
        self.keys(erase)?;
        self.typed(value)?;
        self.wait(&format!("{value}▏"), 5)?;
        Ok(())
    }
}

/// The main views, read only.
fn views(shooter: &Shooter) -> Result<(), String> {
    for scene in SCENES {
        shooter.keys(scene.keys)?;
        shooter
            .console
            .wait_for(scene.wait_for, Duration::from_secs(scene.timeout_secs))?;
        // Let the frame settle (later snapshots of the same data).
        std::thread::sleep(Duration::from_millis(600) + Duration::from_secs(scene.settle_secs));
        if let Some(file) = scene.file {
            let path = shooter.out.join(file);
            shooter
                .fonts
                .render_png(&shooter.console.screen(), &path)
                .map_err(|e| e.to_string())?;
            println!("wrote {}", path.display());
        }
    }
    Ok(())
}

/// The guided operations: previews on the samples (each left with Esc
/// before its confirmation), then a real upgrade that fails and its
/// rollback on the scratch instance, and the audit log of both.
fn ops(s: &Shooter) -> Result<(), String> {
    s.wait("Memcached", 30)?;
    s.step(&["2"], "legacy-events", 30)?;

    // The operations menu of team-a/orders, opened from its detail (the
    // detail is loaded: the preflight checks can judge).
    s.step(&["/orders", ENTER, ENTER], "Conditions", 30)?;
    s.step(&["o"], "Choose an operation", STEP)?;
    s.wait("Kafka restore", STEP)?;
    s.shot("ops-menu.png")?;

    // Spec change: one more broker with more memory, previewed, then
    // back out.
    s.select("Change replicas/resources")?;
    s.step(&[ENTER], "Fill in the fields", STEP)?;
    s.typed_field_value(&[BACKSPACE], "4")?;
    s.keys(&["\t", "\t"])?;
    s.typed_field_value(&[BACKSPACE; 3], "3Gi")?;
    s.shot("ops-spec-form.png")?;
    s.step(&[ENTER], "Dry run passed", STEP)?;
    s.shot("ops-preview-spec.png")?;
    s.step(&[ESC], "Fill in the fields", STEP)?;
    s.step(&[ESC], "Choose an operation", STEP)?;

    // The YAML editor: a value the schema refuses, marked at its line.
    s.select("Edit YAML")?;
    let screen = s.step(&[ENTER], "ctrl+s: check & preview", STEP)?;
    let line = editor_line(&screen, "replicas:")
        .ok_or_else(|| format!("no replicas line in the editor:\n{screen}"))?;
    s.keys(&vec![DOWN; line.saturating_sub(1)])?;
    s.keys(&[END, BACKSPACE])?;
    s.typed("12")?;
    s.step(&[CTRL_S], "✗ line", STEP)?;
    s.shot("ops-yaml-error.png")?;
    s.step(&[ESC], "Choose an operation", STEP)?;

    // An action of the service: a backup, previewed, nothing created.
    s.select("Kafka backup")?;
    s.step(&[ENTER], "Fill in the fields", STEP)?;
    s.step(&[ENTER], "Dry run passed", STEP)?;
    s.shot("ops-action-preview.png")?;
    s.step(&[ESC], "Fill in the fields", STEP)?;
    s.step(&[ESC], "Choose an operation", STEP)?;
    s.step(&[ESC], "Conditions", STEP)?;

    // The upgrade picker of team-a/payments (3.6.1): the service's
    // warning, the preflight of the chosen target, and its dry run.
    s.step(&[ESC, ESC, "/payments", ENTER, ENTER], "Conditions", 30)?;
    s.step(&["u"], "Preflight for", STEP)?;
    s.select("3.7.1")?;
    s.wait("Preflight for 3.7.1", 5)?;
    s.shot("ops-upgrade.png")?;
    s.step(&[ENTER], "Dry run passed", STEP)?;
    s.shot("ops-preview-upgrade.png")?;
    s.step(&[ESC], "Preflight for", STEP)?;
    s.step(&[ESC], "Conditions", STEP)?;

    // A real upgrade of the scratch instance to 3.8.0, whose image the
    // sandbox does not have: it fails, and is rolled back.
    s.step(
        &[ESC, ESC, &format!("/{SCRATCH}"), ENTER, ENTER],
        "Conditions",
        30,
    )?;
    s.step(&["u"], "Preflight for", STEP)?;
    s.select("3.8.0")?;
    s.wait("Preflight for 3.8.0", 5)?;
    s.step(&[ENTER], "Dry run passed", STEP)?;
    s.step(&[ENTER], "Apply this change?", STEP)?;
    s.step(&["y"], "Result: failed", ROLL)?;
    s.wait("roll back to 3.7.1", 5)?;
    s.shot("ops-progress-failed.png")?;
    s.step(&["r"], "Dry run passed", STEP)?;
    s.step(&[ENTER], "Type the instance's name", STEP)?;
    s.typed(SCRATCH)?;
    s.step(&[ENTER], "Result: succeeded", ROLL)?;
    s.shot("ops-progress-rollback.png")?;

    // Both writes in the audit log.
    // (The audit view is opened from the lists, not from a detail.)
    s.step(&[ESC], "Conditions", STEP)?;
    s.step(&[ESC], "│ Instances │", STEP)?;
    s.step(&["3"], "Audit log", STEP)?;
    s.wait("rollback", 10)?;
    s.shot("ops-audit.png")?;
    Ok(())
}

/// The number of the editor's line whose text starts with `key` (after
/// indentation), read from its gutter ("  21   replicas: 3").
fn editor_line(screen: &str, key: &str) -> Option<usize> {
    screen.lines().find_map(|line| {
        let line = line.trim_start_matches(['▶', ' ']);
        let (number, text) = line.split_once(' ')?;
        let number = number.parse().ok()?;
        text.trim_start().starts_with(key).then_some(number)
    })
}

#[cfg(test)]
mod tests {
    use super::editor_line;

    #[test]
    fn editor_line_reads_the_gutter_of_the_line_with_the_key() {
        let screen = " osctui │ Edit YAML team-a/orders\n\
                      \x20 19   image: registry.invalid/osctest/kafka:3.7.1\n\
                      \x20 20   replicas: 3\n\
                      ▶ 21   resources:";
        assert_eq!(editor_line(screen, "replicas:"), Some(20));
        assert_eq!(editor_line(screen, "resources:"), Some(21));
        assert_eq!(editor_line(screen, "storage:"), None);
    }
}
