//! `osctui-fuzz`: fuzzes every parser target for a while and reports, per
//! target, executions, corpus size, panics and hangs. Exits non-zero on
//! any panic or hang and saves each such input under
//! `target/fuzz-crashes/<target>/`.
//!
//! ```text
//! cargo run --release -p osctui-fuzz -- --seconds 60 [--seed S] [TARGET...]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use osctui_fuzz::{Budget, FindingKind, InFlight, hash, run, targets};

/// A call still running after this long is stuck for good: the watchdog
/// saves its input and ends the process (it cannot be interrupted).
const STUCK: Duration = Duration::from_secs(30);

struct Options {
    seconds: u64,
    seed: u64,
    only: Vec<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        seconds: 10,
        seed: 1,
        only: Vec::new(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<u64, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("{name} takes a whole number"))
        };
        match arg.as_str() {
            "--seconds" => options.seconds = number("--seconds")?,
            "--seed" => options.seed = number("--seed")?,
            "--replay" => {
                let (Some(name), Some(file)) = (args.next(), args.next()) else {
                    return Err("--replay takes TARGET FILE".into());
                };
                replay(&name, &file);
            }
            "--list" => {
                for t in targets::all() {
                    println!("{}", t.name);
                }
                std::process::exit(0);
            }
            "-h" | "--help" => {
                println!(
                    "usage: osctui-fuzz [--seconds N (per target, default 10)] [--seed S] [--list] [TARGET...]\n       osctui-fuzz --replay TARGET FILE   (runs one saved input, with the panic's backtrace)"
                );
                std::process::exit(0);
            }
            name if !name.starts_with('-') => options.only.push(name.to_owned()),
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(options)
}

/// Runs one saved input on a target, panics printed as usual, and exits.
fn replay(name: &str, file: &str) -> ! {
    let Some(target) = targets::all().into_iter().find(|t| t.name == name) else {
        eprintln!("osctui-fuzz: unknown target {name} (see --list)");
        std::process::exit(2);
    };
    let input = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(err) => {
            eprintln!("osctui-fuzz: {file}: {err}");
            std::process::exit(2);
        }
    };
    let started = std::time::Instant::now();
    let class = (target.call)(&input);
    println!("{name}: {class} in {:?}", started.elapsed());
    std::process::exit(0);
}

fn crash_dir(target: &str) -> PathBuf {
    let base = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| targets::workspace_root().join("target"));
    base.join("fuzz-crashes").join(target)
}

fn save(target: &str, kind: &str, input: &[u8]) -> Option<PathBuf> {
    let dir = crash_dir(target);
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(format!("{kind}-{:016x}", hash(input)));
    std::fs::write(&path, input).ok()?;
    Some(path)
}

/// Ends the process with the input of a call that never returns.
fn watchdog(in_flight: Arc<Mutex<InFlight>>) {
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_secs(1));
            let stuck = in_flight.lock().ok().and_then(|f| {
                f.call
                    .as_ref()
                    .filter(|(_, _, started)| started.elapsed() > STUCK)
                    .map(|(name, input, _)| (*name, Arc::clone(input)))
            });
            if let Some((name, input)) = stuck {
                let path = save(name, "stuck", &input);
                eprintln!(
                    "{name}: a call has not returned after {STUCK:?}: input saved to {}",
                    path.map_or("(could not save)".into(), |p| p.display().to_string())
                );
                std::process::exit(2);
            }
        }
    });
}

/// A message cut to a readable length (the input is saved in full).
fn short(message: &str) -> String {
    const MAX: usize = 400;
    if message.chars().count() <= MAX {
        return message.to_owned();
    }
    let head: String = message.chars().take(MAX / 2).collect();
    let tail: Vec<char> = message.chars().rev().take(MAX / 2).collect();
    let tail: String = tail.into_iter().rev().collect();
    format!("{head} [...] {tail}")
}

fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("osctui-fuzz: {e}");
            return ExitCode::from(2);
        }
    };
    let in_flight = Arc::new(Mutex::new(InFlight::default()));
    watchdog(Arc::clone(&in_flight));
    let all = targets::all();
    for name in &options.only {
        if !all.iter().any(|t| t.name == name) {
            eprintln!("osctui-fuzz: unknown target {name} (see --list)");
            return ExitCode::from(2);
        }
    }
    println!(
        "{:<20} {:>10} {:>8} {:>6} {:>7} {:>7} {:>6} {:>9}",
        "target", "execs", "execs/s", "seeds", "corpus", "classes", "panics", "hangs"
    );
    let mut failed = false;
    let mut total = 0;
    for target in all
        .iter()
        .filter(|t| options.only.is_empty() || options.only.iter().any(|n| n == t.name))
    {
        let report = run(
            target,
            Budget::Time(Duration::from_secs(options.seconds)),
            options.seed,
            Some(&in_flight),
        );
        total += report.executions;
        let rate = report.executions as f64 / report.elapsed.as_secs_f64().max(1e-9);
        println!(
            "{:<20} {:>10} {:>8.0} {:>6} {:>7} {:>7} {:>6} {:>9}   slowest {:?}",
            report.target,
            report.executions,
            rate,
            report.seeds,
            report.corpus,
            report.classes,
            report.panics,
            report.hangs,
            report.slowest
        );
        for finding in &report.findings {
            failed = true;
            let kind = match finding.kind {
                FindingKind::Panic => "panic",
                FindingKind::Hang => "hang",
            };
            let path = save(&report.target, kind, &finding.input);
            println!(
                "    {kind}: {} -> {}",
                short(&finding.message),
                path.map_or("(could not save)".into(), |p| p.display().to_string())
            );
        }
        failed |= report.panics > 0 || report.hangs > 0;
    }
    println!("total executions: {total}");
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
