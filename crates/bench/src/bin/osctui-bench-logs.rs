//! Measures the log view of the real osctui binary in a pseudo-terminal
//! against the sandbox (see bench/logs, which creates the pod whose
//! containers `logbulk` and `logstream` kwok serves from files):
//!
//! 1. backlog: `tail all` of the merged streams (the 500,000-line bulk
//!    file), from the key press until the heading counts every line
//!    (kept + dropped); once quietly, once with a key probe every 100 ms;
//! 2. live: the `logstream` container while a writer thread appends to its
//!    file at fixed offered rates: the sustained ingested rate from the
//!    heading's counts, key-to-frame latency of `t` (timestamps on every
//!    line), bytes written to the terminal, CPU of osctui, kwok and the API
//!    server;
//! 3. memory: RSS every 5 s over a long stream.
//!
//! Prints a Markdown table. Usage (all `--name value`): --binary --kubeconfig
//! --namespace --stream-file --backlog LINES --raw-ms MS --rates A,B,..
//! --seconds S --memory-minutes M --memory-rate R [--kwok-pid P]
//! [--apiserver-pid P]

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use osctui_bench::flags::Flags;
use osctui_bench::{cpu_ticks, rss_kib, wait_fast};
use osctui_testkit::pty::Console;

const COLS: u16 = 160;
const ROWS: u16 = 48;
/// Warm-up of a live stream left out of its sustained rate.
const WARM_UP: Duration = Duration::from_secs(5);
/// Between two key probes.
const PROBE_EVERY: Duration = Duration::from_millis(100);
/// Longest wait for a key's frame before the probe counts as a stall.
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

fn main() -> std::process::ExitCode {
    match Args::parse().and_then(|args| run(&args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("osctui-bench-logs: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

struct Args {
    binary: PathBuf,
    kubeconfig: String,
    namespace: String,
    stream_file: PathBuf,
    backlog: u64,
    raw_ms: u64,
    rates: Vec<u64>,
    seconds: u64,
    memory_minutes: u64,
    memory_rate: u64,
    kwok_pid: Option<u32>,
    apiserver_pid: Option<u32>,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let flags = Flags::from_env(&[])?;
        Ok(Args {
            binary: flags.need("binary")?.into(),
            kubeconfig: flags.need("kubeconfig")?,
            namespace: flags.need("namespace")?,
            stream_file: flags.need("stream-file")?.into(),
            backlog: flags.need_num("backlog")?,
            raw_ms: flags.need_num("raw-ms")?,
            rates: flags.need_nums("rates")?,
            seconds: flags.need_num("seconds")?,
            memory_minutes: flags.need_num("memory-minutes")?,
            memory_rate: flags.need_num("memory-rate")?,
            kwok_pid: flags.lenient_num("kwok-pid"),
            apiserver_pid: flags.lenient_num("apiserver-pid"),
        })
    }
}

/// One row of the result table.
struct Row(String, String, String);

fn run(args: &Args) -> Result<(), String> {
    let console = spawn(args)?;
    let pid = console.pid().ok_or("no pid")?;
    let mut rows = Vec::new();
    let cpu = CpuWatch::new(pid, args.kwok_pid, args.apiserver_pid);

    // ---------------------------------------------------------- backlog
    wait_fast(&console, Duration::from_secs(60), |s| {
        s.contains("logbench")
    })?;
    std::thread::sleep(Duration::from_millis(500));
    send(&console, "L")?;
    wait_fast(&console, Duration::from_secs(20), |s| tail_of(s).is_some())?;
    let mut lost_keys = cycle_tail(&console, "tail 5000")?;
    // The 5,000 lines arrive before the clock starts.
    wait_fast(&console, Duration::from_secs(60), |s| {
        total_lines(s).is_some_and(|n| n >= 5_000)
    })?;
    rows.push(backlog(&console, args, &cpu, false)?);
    let rss_backlog = rss_kib(pid)?;
    // Round the tail options once more (all → 100 → 500 → 5000 → all),
    // this time probing keys while the backlog pours in.
    lost_keys += cycle_tail(&console, "tail 5000")?;
    wait_fast(&console, Duration::from_secs(60), |s| {
        total_lines(s).is_some_and(|n| n >= 5_000)
    })?;
    rows.push(backlog(&console, args, &cpu, true)?);
    if lost_keys > 0 {
        rows.push(Row(
            "`T` presses without effect within 5 s".into(),
            lost_keys.to_string(),
            "pressed again; see the report".into(),
        ));
    }
    rows.push(Row(
        "RSS after the backlog (line cap full)".into(),
        mb(rss_backlog),
        "VmRSS of the osctui process".into(),
    ));

    // ------------------------------------------------------------- live
    console.key_tab().map_err(|e| e.to_string())?;
    wait_fast(&console, Duration::from_secs(10), |s| {
        s.contains("all pods (merged)")
    })?;
    send(&console, "logstream")?;
    std::thread::sleep(Duration::from_millis(300));
    console.key_enter().map_err(|e| e.to_string())?;
    wait_fast(&console, Duration::from_secs(20), |s| {
        heading(s).is_some_and(|h| h.contains("logbench-0/logstream"))
    })?;
    std::thread::sleep(Duration::from_secs(2));
    let mut written_before = 0;
    for &rate in &args.rates {
        let (row, written) = live(
            &console,
            args,
            &cpu,
            rate,
            Duration::from_secs(args.seconds),
            written_before,
        )?;
        written_before += written;
        rows.extend(row);
    }

    // ----------------------------------------------------------- memory
    if args.memory_minutes > 0 {
        rows.extend(memory(&console, args, pid, written_before)?);
    }
    let _ = send(&console, "q");
    let _ = console.exit_status(Duration::from_secs(5));
    let _ = std::fs::remove_dir_all(temp_dir());

    println!("| measure | osctui | notes |");
    println!("| --- | --- | --- |");
    for Row(a, b, c) in rows {
        println!("| {a} | {b} | {c} |");
    }
    Ok(())
}

/// The tail option in the heading ("tail 500").
fn tail_of(screen: &str) -> Option<String> {
    let h = heading(screen)?;
    let at = h.rfind("tail ")?;
    Some(h[at..].split(" · ").next()?.trim().to_owned())
}

/// Presses `T` until the heading shows `target`; returns how many presses
/// changed nothing within 5 s (and were repeated).
fn cycle_tail(console: &Console, target: &str) -> Result<u32, String> {
    let mut lost = 0;
    for _ in 0..12 {
        let now = tail_of(&console.screen_text());
        if now.as_deref() == Some(target) {
            return Ok(lost);
        }
        send(console, "T")?;
        let changed = wait_fast(console, Duration::from_secs(5), |s| {
            tail_of(s).is_some_and(|t| Some(&t) != now.as_ref())
        });
        if changed.is_err() {
            lost += 1;
        }
    }
    Err(format!(
        "the heading never showed {target:?}; screen:\n{}",
        console.screen_text()
    ))
}

/// Cycles to `tail all` and times the backlog until every line is counted.
fn backlog(console: &Console, args: &Args, cpu: &CpuWatch, probe: bool) -> Result<Row, String> {
    let cpu_before = cpu.sample();
    let bytes_before = console.bytes_received();
    let started = Instant::now();
    send(console, "T")?;
    let mut sent_at = started;
    let mut lost = 0;
    let mut first_line = None;
    let mut last_total = 0;
    let mut last_change = Instant::now();
    let mut probes = Probes::default();
    let mut next_probe = Instant::now() + PROBE_EVERY;
    let done_at = loop {
        let screen = console.screen_text();
        let all = heading(&screen).is_some_and(|h| h.contains("tail all"));
        let total = if all {
            total_lines(&screen).unwrap_or(0)
        } else {
            0
        };
        if total != last_total {
            if first_line.is_none() {
                first_line = Some(started.elapsed());
            }
            last_total = total;
            last_change = Instant::now();
        }
        if total >= args.backlog {
            break started.elapsed();
        }
        if last_change.elapsed() > Duration::from_secs(20) && all {
            // Lines went missing: report what arrived, when it stopped.
            break last_change.duration_since(started);
        }
        if started.elapsed() > Duration::from_secs(600) {
            return Err(format!("backlog not in after 600 s; screen:\n{screen}"));
        }
        if !all && sent_at.elapsed() > Duration::from_secs(5) {
            // The key changed nothing: press it again (and say so).
            send(console, "T")?;
            sent_at = Instant::now();
            lost += 1;
        }
        if probe && all && Instant::now() >= next_probe {
            probes.probe(console)?;
            next_probe = Instant::now() + PROBE_EVERY;
        }
        std::thread::sleep(Duration::from_micros(500));
    };
    let secs = done_at.as_secs_f64();
    let used = cpu.sample().since(&cpu_before, secs);
    let raw = args.raw_ms as f64 / 1000.0;
    let bytes = console.bytes_received() - bytes_before;
    let what = if probe {
        "backlog `tail all` with `t` pressed every 100 ms"
    } else {
        "backlog `tail all`, no keys"
    };
    let mut notes = format!(
        "{} of {} lines in {:.2} s; first line after {}; `kubectl logs --timestamps` {:.2} s = {:.0} lines/s; CPU {used}; {:.0} KB/s to the terminal",
        thousands(last_total),
        thousands(args.backlog),
        secs,
        ms(first_line.unwrap_or_default()),
        raw,
        args.backlog as f64 / raw,
        bytes as f64 / secs / 1000.0,
    );
    if probe {
        notes.push_str(&format!("; key to frame {}", probes.summary()));
    }
    if lost > 0 {
        notes.push_str(&format!(
            "; `T` pressed {lost} more time(s): no effect within 5 s"
        ));
    }
    Ok(Row(
        what.into(),
        format!("{:.0} lines/s", last_total as f64 / secs),
        notes,
    ))
}

/// Streams at `rate` for `length`; returns its rows and the lines written.
fn live(
    console: &Console,
    args: &Args,
    cpu: &CpuWatch,
    rate: u64,
    length: Duration,
    written_before: u64,
) -> Result<(Vec<Row>, u64), String> {
    let writer = Writer::start(&args.stream_file, rate, length)?;
    let started = Instant::now();
    let mut probes = Probes::default();
    // (total at, when, bytes, cpu) once warmed up.
    let mut window_start = None;
    let mut last = (0, started, 0, cpu.sample());
    while started.elapsed() < length {
        if window_start.is_none() && started.elapsed() >= WARM_UP {
            let screen = console.screen_text();
            let total = total_lines(&screen).unwrap_or(0);
            window_start = Some((
                total,
                Instant::now(),
                console.bytes_received(),
                cpu.sample(),
                writer.written(),
            ));
        }
        // Before the first line there is nothing for `t` to change.
        if total_lines(&console.screen_text()).is_some_and(|n| n > written_before) {
            probes.probe(console)?;
        }
        std::thread::sleep(PROBE_EVERY);
        last = (
            total_lines(&console.screen_text()).unwrap_or(0),
            Instant::now(),
            console.bytes_received(),
            cpu.sample(),
        );
    }
    let written = writer.stop()?;
    let offered_real = written as f64 / started.elapsed().as_secs_f64();
    let (t0, at0, b0, c0, w0) = window_start.ok_or("stream shorter than its warm-up")?;
    let (t1, at1, b1, c1) = last;
    let secs = at1.duration_since(at0).as_secs_f64();
    let ingested = t1.saturating_sub(t0) as f64 / secs;
    let lag_at_end = (written_before + written).saturating_sub(t1);
    let lag_at_warm_up = (written_before + w0).saturating_sub(t0);
    // How long the view needs to count every line written.
    let caught_up = Instant::now();
    let want = written_before + written;
    let catch_up = match wait_fast(console, Duration::from_secs(60), |s| {
        total_lines(s).is_some_and(|n| n >= want)
    }) {
        Ok(()) => ms(caught_up.elapsed()),
        Err(_) => format!(
            "not within 60 s ({} of {} counted)",
            thousands(total_lines(&console.screen_text()).unwrap_or(0)),
            thousands(want)
        ),
    };
    let rows = vec![
        Row(
            format!(
                "live stream, {} lines/s offered, {} s",
                thousands(rate),
                length.as_secs()
            ),
            format!("{:.0} lines/s ingested", ingested),
            format!(
                "writer managed {:.0} lines/s; behind by {} lines after the warm-up, {} when writing stopped; all counted {catch_up} later; CPU {}",
                offered_real,
                thousands(lag_at_warm_up),
                thousands(lag_at_end),
                c1.since(&c0, secs)
            ),
        ),
        Row(
            format!("key to frame (`t`) at {} lines/s", thousands(rate)),
            format!("p50 {}", ms(probes.quantile(0.5))),
            probes.summary(),
        ),
        Row(
            format!("terminal output at {} lines/s", thousands(rate)),
            format!("{:.0} KB/s", (b1 - b0) as f64 / secs / 1000.0),
            format!(
                "{:.1} KB per frame-worth of 100 ms",
                (b1 - b0) as f64 / secs / 10_000.0
            ),
        ),
    ];
    Ok((rows, written))
}

/// RSS every 5 s over a long stream.
fn memory(
    console: &Console,
    args: &Args,
    pid: u32,
    written_before: u64,
) -> Result<Vec<Row>, String> {
    let length = Duration::from_secs(args.memory_minutes * 60);
    let rss_before = rss_kib(pid)?;
    let writer = Writer::start(&args.stream_file, args.memory_rate, length)?;
    let started = Instant::now();
    let mut samples: Vec<(f64, u64)> = Vec::new();
    let mut next = started;
    while started.elapsed() < length {
        if Instant::now() >= next {
            samples.push((started.elapsed().as_secs_f64(), rss_kib(pid)?));
            next += Duration::from_secs(5);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    samples.push((started.elapsed().as_secs_f64(), rss_kib(pid)?));
    let written = writer.stop()?;
    let counted = total_lines(&console.screen_text()).unwrap_or(0);
    let peak = samples.iter().map(|s| s.1).max().unwrap_or(0);
    let end = samples.last().map_or(0, |s| s.1);
    // The slope after the first minute (the cap fills in seconds; the
    // allocator settles after that).
    let later: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.0 >= 60.0)
        .map(|s| (s.0 / 60.0, s.1 as f64 / 1024.0))
        .collect();
    let slope = slope(&later);
    Ok(vec![Row(
        format!(
            "memory over {} min at {} lines/s",
            args.memory_minutes,
            thousands(args.memory_rate)
        ),
        format!("end {}", mb(end)),
        format!(
            "before the stream {}, first sample {}, peak {}; slope after the first minute {}; {} samples; {} of {} lines counted",
            mb(rss_before),
            mb(samples.first().map_or(0, |s| s.1)),
            mb(peak),
            slope.map_or("n/a".into(), |s| format!("{s:+.2} MB/min")),
            samples.len(),
            thousands(counted.saturating_sub(written_before)),
            thousands(written),
        ),
    )])
}

/// Least-squares slope of (x, y).
fn slope(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (sxx > 0.0).then(|| sxy / sxx)
}

/// Appends CRI lines to the stream file at a fixed rate, in a thread.
struct Writer {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    thread: JoinHandle<Result<(), String>>,
}

impl Writer {
    fn start(path: &Path, rate: u64, length: Duration) -> Result<Writer, String> {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(path)
            .map_err(|e| format!("cannot open {}: {e}", path.display()))?;
        let stop = Arc::new(AtomicBool::new(false));
        let written = Arc::new(AtomicU64::new(0));
        let (stop2, written2) = (stop.clone(), written.clone());
        let thread = std::thread::spawn(move || {
            let started = Instant::now();
            let mut n: u64 = 0;
            let mut buf = String::new();
            while !stop2.load(Ordering::Relaxed) && started.elapsed() < length {
                // Lines due by now (every 5 ms a batch, like a busy logger).
                let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
                buf.clear();
                let now = jiff::Timestamp::now();
                for i in 0..due.saturating_sub(n) {
                    // Distinct, ordered times within a batch.
                    let at = now
                        .checked_add(jiff::SignedDuration::from_nanos(i as i64))
                        .unwrap_or(now);
                    let k = n + i + 1;
                    buf.push_str(&format!(
                        "{at:.9} stdout F stream line {k} at {rate}/s: INFO [worker-{}] processed request id={:08x} in {} ms\n",
                        k % 8,
                        k.wrapping_mul(2_654_435_761) % 4_294_967_296,
                        k % 97
                    ));
                }
                if !buf.is_empty() {
                    file.write_all(buf.as_bytes()).map_err(|e| e.to_string())?;
                    n = due;
                    written2.store(n, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            Ok(())
        });
        Ok(Writer {
            stop,
            written,
            thread,
        })
    }

    fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    fn stop(self) -> Result<u64, String> {
        self.stop.store(true, Ordering::Relaxed);
        self.thread
            .join()
            .map_err(|_| "the writer panicked".to_owned())??;
        Ok(self.written.load(Ordering::Relaxed))
    }
}

/// Key-to-frame latencies of `t` (timestamps on/off, visible on every line).
#[derive(Default)]
struct Probes {
    samples: Vec<Duration>,
    /// Probes whose change never showed (counted at the timeout).
    stalls: u32,
}

impl Probes {
    fn probe(&mut self, console: &Console) -> Result<(), String> {
        let screen_before = console.screen_text();
        let before = shows_timestamps(&screen_before);
        let started = Instant::now();
        send(console, "t")?;
        loop {
            if shows_timestamps(&console.screen_text()) != before {
                self.samples.push(started.elapsed());
                return Ok(());
            }
            if started.elapsed() > PROBE_TIMEOUT {
                // Counted as a stall; the screens go to a file to look at.
                self.stalls += 1;
                let file = std::env::temp_dir().join(format!(
                    "osctui-bench-logs-stall-{}-{}.txt",
                    std::process::id(),
                    self.stalls
                ));
                let _ = std::fs::write(
                    &file,
                    format!(
                        "before `t`:\n{screen_before}\n\n{PROBE_TIMEOUT:?} after:\n{}\n",
                        console.screen_text()
                    ),
                );
                eprintln!(
                    "osctui-bench-logs: no change within {PROBE_TIMEOUT:?} of `t`; screens in {}",
                    file.display()
                );
                self.samples.push(started.elapsed());
                return Ok(());
            }
            std::thread::sleep(Duration::from_micros(200));
        }
    }

    fn quantile(&self, q: f64) -> Duration {
        let mut v = self.samples.clone();
        v.sort();
        if v.is_empty() {
            return Duration::ZERO;
        }
        v[((v.len() as f64 * q) as usize).min(v.len() - 1)]
    }

    fn summary(&self) -> String {
        format!(
            "p50 {}, p95 {}, p99 {}, max {} ({} keys, {} without a change within 10 s)",
            ms(self.quantile(0.5)),
            ms(self.quantile(0.95)),
            ms(self.quantile(0.99)),
            ms(self.quantile(1.0)),
            self.samples.len(),
            self.stalls
        )
    }
}

/// CPU time of osctui and, when known, kwok and the API server.
struct CpuWatch {
    pids: [(&'static str, Option<u32>); 3],
}

struct CpuSample([Option<u64>; 3], [&'static str; 3]);

impl CpuWatch {
    fn new(osctui: u32, kwok: Option<u32>, apiserver: Option<u32>) -> CpuWatch {
        CpuWatch {
            pids: [
                ("osctui", Some(osctui)),
                ("kwok", kwok),
                ("kube-apiserver", apiserver),
            ],
        }
    }

    fn sample(&self) -> CpuSample {
        CpuSample(
            self.pids
                .map(|(_, pid)| pid.and_then(|p| cpu_ticks(p).ok())),
            self.pids.map(|(name, _)| name),
        )
    }
}

impl CpuSample {
    /// "osctui 45 %, kwok 80 %, …" of a core over `secs`.
    fn since(&self, before: &CpuSample, secs: f64) -> String {
        let mut parts = Vec::new();
        for i in 0..3 {
            if let (Some(a), Some(b)) = (before.0[i], self.0[i]) {
                let pct = (b.saturating_sub(a)) as f64 / 100.0 / secs * 100.0;
                parts.push(format!("{} {pct:.0} %", self.1[i]));
            }
        }
        parts.join(", ")
    }
}

/// Config, data and log directory of the console under test.
fn temp_dir() -> PathBuf {
    std::env::temp_dir().join(format!("osctui-bench-logs-{}", std::process::id()))
}

fn spawn(args: &Args) -> Result<Console, String> {
    let dir = temp_dir();
    let _ = std::fs::create_dir_all(&dir);
    Console::spawn(
        &args.binary,
        &[
            "--kubeconfig",
            &args.kubeconfig,
            "-n",
            &args.namespace,
            "-c",
            "inst",
        ],
        &[
            ("OSCTUI_CONFIG_DIR", &dir.to_string_lossy()),
            ("OSCTUI_DATA_DIR", &dir.to_string_lossy()),
            ("OSCTUI_LOG", &dir.join("osctui.log").to_string_lossy()),
        ],
        COLS,
        ROWS,
    )
    .map_err(|e| format!("cannot start {}: {e}", args.binary.display()))
}

fn send(console: &Console, keys: &str) -> Result<(), String> {
    console.send_keys(keys).map_err(|e| e.to_string())
}

/// The log view's heading row: "<scope> · following · N lines · … · tail X".
fn heading(screen: &str) -> Option<&str> {
    screen
        .lines()
        .take(4)
        .find(|l| l.contains(" · ") && l.contains(" line") && l.contains("tail "))
}

/// Lines kept plus lines dropped, from the heading ("N lines (+M dropped)").
fn total_lines(screen: &str) -> Option<u64> {
    let h = heading(screen)?;
    let number = |s: &str| -> Option<u64> {
        let digits: String = s.chars().filter(|c| *c != ',').collect();
        digits.parse().ok()
    };
    let at = h.find(" line")?;
    let kept = number(h[..at].rsplit(' ').next()?)?;
    let dropped = match h[at..].split_once("(+") {
        Some((_, rest)) => number(rest.split(' ').next()?)?,
        None => 0,
    };
    Some(kept + dropped)
}

/// Whether body rows begin with a clock ("12:34:56.789 ").
fn shows_timestamps(screen: &str) -> bool {
    screen.lines().skip(2).any(|l| {
        let b = l.trim_start().as_bytes();
        b.len() > 13
            && b[2] == b':'
            && b[5] == b':'
            && b[8] == b'.'
            && b[12] == b' '
            && [0, 1, 3, 4, 6, 7, 9, 10, 11]
                .iter()
                .all(|&i| b[i].is_ascii_digit())
    })
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn mb(kib: u64) -> String {
    format!("{:.1} MB", kib as f64 / 1024.0)
}

fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_heading_counts() {
        let screen = " osctui\n all pods · following · 50,000 lines (+450,000 dropped) · 2 streams · tail all\n x";
        assert_eq!(total_lines(screen), Some(500_000));
        let screen = " logbench-0/logstream · following · 1 line · tail all";
        assert_eq!(total_lines(screen), Some(1));
        assert_eq!(total_lines(" bulk line 3 of 9"), None);
    }

    #[test]
    fn tells_timestamps_on_from_off() {
        assert!(shows_timestamps("a\nb\n 02:53:27.001 bulk line 2"));
        assert!(!shows_timestamps("a\nb\n bulk line 2 02:53:27.001 x"));
    }

    #[test]
    fn slope_of_a_line() {
        let s = slope(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]);
        assert!(s.is_some_and(|s| (s - 2.0).abs() < 1e-9));
        assert_eq!(slope(&[(0.0, 1.0)]), None);
    }
}
