//! Measures the real osctui binary in a pseudo-terminal against the sandbox
//! seeded by `bench/seed`: launch to first frame, launch to the complete
//! instance list, memory, idle CPU and output, key-to-frame latency and
//! filter keystrokes; and the raw LIST time of the same objects for
//! comparison. Prints a Markdown table (see bench/console).
//!
//! Usage: osctui-bench BINARY KUBECONFIG EXPECTED_INSTANCES [RUNS] [IDLE_SECONDS]

use std::path::Path;
use std::time::{Duration, Instant};

use osctui_bench::{cpu_ticks, rss_kib, wait_fast};
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
        let (latency, bytes) = key_to_frame(&console, key)?;
        keys.push(latency);
        key_bytes.push(bytes);
    }
    let mut filter = Vec::new();
    console.send_keys("/").map_err(|e| e.to_string())?;
    std::thread::sleep(Duration::from_millis(100));
    for c in "bench-0999".chars() {
        let (latency, _) = key_to_frame(&console, &c.to_string())?;
        filter.push(latency);
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

/// Sends a key and returns the time until the console starts answering,
/// and how many bytes the frame took (once output is quiet for 30 ms).
fn key_to_frame(console: &Console, key: &str) -> Result<(Duration, u64), String> {
    let before = console.bytes_received();
    let started = Instant::now();
    console.send_keys(key).map_err(|e| e.to_string())?;
    while console.bytes_received() == before {
        if started.elapsed() > Duration::from_secs(5) {
            return Err(format!("no frame after key {key:?}"));
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    let latency = started.elapsed();
    let mut last = console.bytes_received();
    loop {
        std::thread::sleep(Duration::from_millis(30));
        let now = console.bytes_received();
        if now == last {
            break;
        }
        last = now;
    }
    Ok((latency, last - before))
}

/// Linux reports CPU time in clock ticks of 1/100 s.
fn ticks_to_secs(ticks: u64) -> f64 {
    ticks as f64 / 100.0
}

struct RawList {
    instances: Duration,
    pods: Duration,
    parallel: Duration,
    instance_count: usize,
    pod_count: usize,
}

/// The API server's own LIST time, for the same objects the console needs
/// for its list: the instances and their pods (median of `runs`).
async fn raw_list(kubeconfig: &str, runs: usize) -> Result<RawList, String> {
    let config = kube::config::Kubeconfig::read_from(kubeconfig).map_err(|e| e.to_string())?;
    let config = kube::Config::from_custom_kubeconfig(config, &Default::default())
        .await
        .map_err(|e| e.to_string())?;
    let client = kube::Client::try_from(config).map_err(|e| e.to_string())?;
    let get = |path: &'static str| {
        let client = client.clone();
        async move {
            let started = Instant::now();
            let request = http::Request::get(path)
                .body(Vec::new())
                .map_err(|e| e.to_string())?;
            let text = client
                .request_text(request)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((
                started.elapsed(),
                text.matches("\"resourceVersion\"")
                    .count()
                    .saturating_sub(1),
            ))
        }
    };
    let instances_path = "/apis/bench.osctui.dev/v1/benchsvcs";
    let pods_path = "/api/v1/pods";
    let (mut a, mut b, mut p) = (Vec::new(), Vec::new(), Vec::new());
    let (mut instance_count, mut pod_count) = (0, 0);
    for _ in 0..runs {
        let (t, n) = get(instances_path).await?;
        a.push(t);
        instance_count = n;
        let (t, n) = get(pods_path).await?;
        b.push(t);
        pod_count = n;
        let started = Instant::now();
        let (x, y) = tokio::join!(get(instances_path), get(pods_path));
        x?;
        y?;
        p.push(started.elapsed());
    }
    a.sort();
    b.sort();
    p.sort();
    Ok(RawList {
        instances: a[runs / 2],
        pods: b[runs / 2],
        parallel: p[runs / 2],
        instance_count,
        pod_count,
    })
}
