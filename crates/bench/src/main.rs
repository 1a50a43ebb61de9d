//! Measures the real osctui binary in a pseudo-terminal against the sandbox
//! seeded by `bench/seed`: launch to first frame, launch to the complete
//! instance list, memory, idle CPU and output, key-to-frame latency and
//! filter keystrokes; and the raw LIST time of the same objects for
//! comparison. Prints a Markdown table (see bench/console).
//!
//! Usage: osctui-bench BINARY KUBECONFIG EXPECTED_INSTANCES [RUNS] [IDLE_SECONDS]

use std::path::Path;
use std::time::{Duration, Instant};

use osctui_bench::{cpu_ticks, key_to_frame, raw_list, rss_kib, ticks_to_secs, wait_fast};
use osctui_testkit::pty::Console;

const COLS: u16 = 160;
const ROWS: u16 = 48;

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        eprintln!("usage: osctui-bench BINARY KUBECONFIG EXPECTED_INSTANCES [RUNS] [IDLE_SECONDS]");
        return std::process::ExitCode::from(2);
    }
    let runs = args.get(4).and_then(|r| r.parse().ok()).unwrap_or(5);
    let idle = args.get(5).and_then(|r| r.parse().ok()).unwrap_or(60);
    let expected: usize = match args[3].parse() {
        Ok(n) => n,
        Err(_) => {
            eprintln!("EXPECTED_INSTANCES must be a number");
            return std::process::ExitCode::from(2);
        }
    };
    match run(Path::new(&args[1]), &args[2], expected, runs, idle) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("osctui-bench: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run(
    binary: &Path,
    kubeconfig: &str,
    expected: usize,
    runs: usize,
    idle: u64,
) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    let raw = runtime.block_on(raw_list(kubeconfig, runs))?;

    let mut first_frame = Vec::new();
    let mut complete = Vec::new();
    for _ in 0..runs {
        let console = spawn(binary, kubeconfig)?;
        let started = Instant::now();
        wait_fast(&console, Duration::from_secs(10), |s| s.contains("osctui"))?;
        first_frame.push(started.elapsed());
        let needle = format!("{expected} instances");
        wait_fast(&console, Duration::from_secs(120), |s| {
            s.contains(&needle) && !s.contains("loading")
        })?;
        complete.push(started.elapsed());
        let _ = console.send_keys("q");
        let _ = console.exit_status(Duration::from_secs(5));
    }

    // One long-lived console for memory, idle and latency.
    let console = spawn(binary, kubeconfig)?;
    let needle = format!("{expected} instances");
    wait_fast(&console, Duration::from_secs(120), |s| {
        s.contains(&needle) && !s.contains("loading")
    })?;
    std::thread::sleep(Duration::from_secs(2));
    let pid = console.pid().ok_or("no pid")?;
    let rss_loaded = rss_kib(pid)?;
    let (cpu_before, bytes_before) = (cpu_ticks(pid)?, console.bytes_received());
    std::thread::sleep(Duration::from_secs(idle));
    let cpu_idle = ticks_to_secs(cpu_ticks(pid)? - cpu_before) / idle as f64 * 100.0;
    let idle_bytes = console.bytes_received() - bytes_before;

    let mut keys = Vec::new();
    let mut key_bytes = Vec::new();
    for i in 0..300 {
        let key = if (i / 100) % 2 == 0 { "j" } else { "k" };
        let frame = key_to_frame(&console, key.as_bytes(), Duration::from_secs(5))?;
        keys.push(frame.first_byte);
        key_bytes.push(frame.bytes);
    }
    let mut filter = Vec::new();
    console.send_keys("/").map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_millis(100));
    for c in "bench-0999".chars() {
        let frame = key_to_frame(&console, c.to_string().as_bytes(), Duration::from_secs(5))?;
        filter.push(frame.first_byte);
    }
    let screen = console.screen_text();
    let filtered_ok = screen.contains("bench-0999") && !screen.contains("bench-0998");
    console.key_esc().map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_millis(300));
    let rss_after = rss_kib(pid)?;
    let _ = console.send_keys("q");

    first_frame.sort();
    complete.sort();
    keys.sort();
    filter.sort();
    key_bytes.sort_unstable();
    let median = |v: &[Duration]| v[v.len() / 2];
    let p99 = |v: &[Duration]| v[(v.len() * 99 / 100).min(v.len() - 1)];
    let ms = |d: Duration| format!("{:.1} ms", d.as_secs_f64() * 1000.0);
    println!("| measure | osctui | notes |");
    println!("| --- | --- | --- |");
    println!(
        "| raw LIST, instances + pods in parallel (median of {runs}) | {} | instances {} ({} items), pods {} ({} items) |",
        ms(raw.parallel),
        ms(raw.instances),
        raw.instance_count,
        ms(raw.pods),
        raw.pod_count
    );
    println!(
        "| launch to first frame (median of {runs}) | {} | max {} |",
        ms(median(&first_frame)),
        ms(first_frame[runs - 1])
    );
    println!(
        "| launch to complete list of {expected} (median of {runs}) | {} | {:.2}x the raw LIST; max {} |",
        ms(median(&complete)),
        median(&complete).as_secs_f64() / raw.parallel.as_secs_f64(),
        ms(complete[runs - 1])
    );
    println!(
        "| RSS after the list | {:.1} MB | |",
        rss_loaded as f64 / 1024.0
    );
    println!(
        "| RSS after keys and filter | {:.1} MB | |",
        rss_after as f64 / 1024.0
    );
    println!("| idle CPU over {idle} s | {cpu_idle:.2} % of a core | |");
    println!("| bytes written while idle {idle} s | {idle_bytes} | |");
    println!(
        "| key to frame, j/k (300 keys) | p50 {} | p99 {}, max {} |",
        ms(median(&keys)),
        ms(p99(&keys)),
        ms(keys[keys.len() - 1])
    );
    println!(
        "| bytes per j/k frame | median {} | max {} |",
        key_bytes[key_bytes.len() / 2],
        key_bytes[key_bytes.len() - 1]
    );
    println!(
        "| filter keystroke to frame (10 keys) | p50 {} | max {}; narrowed correctly: {filtered_ok} |",
        ms(median(&filter)),
        ms(filter[filter.len() - 1])
    );
    Ok(())
}

fn spawn(binary: &Path, kubeconfig: &str) -> Result<Console, String> {
    let dir = std::env::temp_dir().join(format!("osctui-bench-{}", std::process::id()));
    let _ = std::fs::create_dir_all(&dir);
    Console::spawn(
        binary,
        &["--kubeconfig", kubeconfig, "-c", "inst"],
        &[
            ("OSCTUI_CONFIG_DIR", &dir.to_string_lossy()),
            ("OSCTUI_LOG", &dir.join("osctui.log").to_string_lossy()),
        ],
        COLS,
        ROWS,
    )
    .map_err(|e| format!("cannot start {}: {e}", binary.display()))
}
