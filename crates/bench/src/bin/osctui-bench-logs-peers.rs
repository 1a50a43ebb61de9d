//! Logs side by side: osctui, k9s, kdash and `kubectl logs -f` following
//! the same container (`logstream`, which kwok serves from a file this
//! program appends to; see bench/logs --peers), measured the same way.
//!
//! Every written line carries a sequence number (`seq=000000042`), so a
//! tool's progress is read from what it shows, not from its own counters:
//! the pseudo-terminal's screen (vt100) for the three consoles and for
//! `kubectl-terminal` (`kubectl logs -f` printing to the same terminal, as
//! an operator runs it), the pipe for kubectl. Per tool, one after another
//! on the same data:
//!
//! 1. the file is emptied and given a backlog of `--backlog` lines; the
//!    tool is started and brought to the pod (instance, pod list, container
//!    list), then the key that opens the logs is pressed (for kubectl:
//!    the command starts). Measured: time to the first `seq=` on screen,
//!    and to the newest backlog line;
//! 2. for each offered rate, a writer thread appends at that rate for
//!    `--seconds`; every 50 ms the newest sequence on screen is read. The
//!    sustained rate is that newest sequence's progress per second after a
//!    5 s warm-up; lag = lines written minus the newest shown, as the
//!    median of the samples after the warm-up and once more the moment
//!    writing stops; then the time for the newest written line to show.
//!    CPU of the tool over the window, RSS peak while streaming, and the
//!    bytes a terminal tool wrote per second (what a slow link must carry);
//! 3. memory: RSS every 5 s over `--memory-minutes` at `--memory-rate`.
//!
//! Every tool is given the same tail (`--tail`, osctui's default 500):
//! k9s through its config (logger.tail), kdash with --log-tail-lines,
//! kubectl with --tail. Prints a Markdown table (ratio to the best peer in
//! each cell) and the details per tool.
//!
//! Usage (all `--name value`): --osctui --k9s --kdash --kubectl --kube-rs BIN
//! (each needed only when its tool is measured) --kubeconfig --namespace --instance --pod --container --stream-file
//! --backlog LINES --tail N --rates A,B --seconds S --memory-minutes M
//! --memory-rate R [--tools osctui,k9s,kdash,kubectl,…] [--rounds N] [--kwok-pid P]
//! [--apiserver-pid P] [--osctui-log-lines N]
//!
//! `--osctui-log-lines` sets osctui's line cap (`logLines`, default 50,000)
//! for a comparison at another tool's cap (kdash keeps 10,000).

use std::collections::HashMap;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use osctui_bench::flags::Flags;
use osctui_bench::{cpu_ticks, rss_kib, wait_fast};
use osctui_testkit::pty::Console;

const COLS: u16 = 160;
const ROWS: u16 = 48;
/// Left out of a stream's sustained rate.
const WARM_UP: Duration = Duration::from_secs(5);
/// Between two looks at the screen while streaming.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// Longest wait for the first line after the key.
const FIRST_LINE_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for the newest backlog line after the first line showed.
const NEWEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest wait for the newest written line once writing stopped.
const CATCH_UP_TIMEOUT: Duration = Duration::from_secs(30);
/// `kubectl-timestamps` is `kubectl logs -f --timestamps`: the request
/// osctui makes (it orders and resumes streams by the API server's
/// timestamps), for telling the server's cost from the console's.
/// `kube-rs` and `kube-rs-http2` are not peers but references: a bare
/// kube-rs reader (osctui-bench-bare-log) that decodes and shows nothing, over
/// HTTP/1.1 as kube-rs speaks it, or with HTTP/2 offered. What it cannot keep
/// up with, no console on kube-rs can. `kubectl-terminal` is `kubectl logs
/// -f` in the pseudo-terminal, every line printed, as an operator runs it;
/// plain `kubectl` writes to a pipe and draws nothing (the floor).
const TOOLS: [&str; 8] = [
    "osctui",
    "k9s",
    "kdash",
    "kubectl",
    "kubectl-terminal",
    "kubectl-timestamps",
    "kube-rs",
    "kube-rs-http2",
];

/// Tools that are references, left out of "the best peer".
const REFERENCES: [&str; 2] = ["kube-rs", "kube-rs-http2"];

fn main() -> std::process::ExitCode {
    match Args::parse().and_then(|args| run(&args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("osctui-bench-logs-peers: {err}");
            std::process::ExitCode::FAILURE
        }
    }
}

struct Args {
    bins: HashMap<&'static str, PathBuf>,
    kubeconfig: String,
    namespace: String,
    instance: String,
    pod: String,
    container: String,
    stream_file: PathBuf,
    backlog: u64,
    tail: u64,
    rates: Vec<u64>,
    seconds: u64,
    memory_minutes: u64,
    memory_rate: u64,
    tools: Vec<&'static str>,
    /// Times every tool is measured, in turns.
    rounds: u64,
    kwok_pid: Option<u32>,
    apiserver_pid: Option<u32>,
    /// osctui's `logLines`; None: its default.
    osctui_log_lines: Option<u64>,
}

impl Args {
    fn parse() -> Result<Args, String> {
        let flags = Flags::from_env(&[])?;
        let rates = flags.need_nums("rates")?;
        let wanted = flags
            .get("tools")
            .map_or_else(|| TOOLS.join(","), str::to_owned);
        let mut tools = Vec::new();
        for name in wanted.split(',') {
            let tool = TOOLS
                .iter()
                .find(|t| **t == name.trim())
                .ok_or_else(|| format!("unknown tool {name:?} (one of {})", TOOLS.join(", ")))?;
            tools.push(*tool);
        }
        let mut bins = HashMap::new();
        for tool in &tools {
            let binary = match *tool {
                "kubectl-timestamps" | "kubectl-terminal" => "kubectl",
                "kube-rs-http2" => "kube-rs",
                other => other,
            };
            let path = flags.need(binary)?;
            // The pty harness resolves a relative path through PATH; the
            // link's own name stays (the sandbox's kubectl is a multi-call
            // binary that reads it).
            let path = std::path::absolute(&path).map_err(|e| format!("--{tool} {path}: {e}"))?;
            bins.insert(*tool, path);
        }
        Ok(Args {
            bins,
            kubeconfig: flags.need("kubeconfig")?,
            namespace: flags.need("namespace")?,
            instance: flags.need("instance")?,
            pod: flags.need("pod")?,
            container: flags.need("container")?,
            stream_file: flags.need("stream-file")?.into(),
            backlog: flags.need_num::<u64>("backlog")?.max(1),
            tail: flags.need_num("tail")?,
            rates,
            seconds: flags.need_num("seconds")?,
            memory_minutes: flags.need_num("memory-minutes")?,
            memory_rate: flags.need_num("memory-rate")?,
            tools,
            rounds: flags.num_or::<u64>("rounds", 1)?.max(1),
            kwok_pid: flags.lenient_num("kwok-pid"),
            apiserver_pid: flags.lenient_num("apiserver-pid"),
            osctui_log_lines: flags
                .get("osctui-log-lines")
                .map(|_| flags.need_num("osctui-log-lines"))
                .transpose()?,
        })
    }
}

// ------------------------------------------------------------------ tools

/// A tool showing the logs: a console in a pseudo-terminal, or kubectl
/// writing to a pipe.
enum Viewer {
    Pty(Console),
    Pipe(PipeReader),
}

impl Viewer {
    fn pid(&self) -> Option<u32> {
        match self {
            Viewer::Pty(c) => c.pid(),
            Viewer::Pipe(p) => Some(p.child_pid),
        }
    }

    /// The highest sequence number shown so far (on screen now, or read
    /// from the pipe).
    fn newest(&self) -> Option<u64> {
        match self {
            Viewer::Pty(c) => newest_seq(&c.screen_text()),
            Viewer::Pipe(p) => match p.newest.load(Ordering::Relaxed) {
                0 => None,
                n => Some(n),
            },
        }
    }

    /// Bytes the tool has written to its terminal (`None`: a pipe).
    fn terminal_bytes(&self) -> Option<u64> {
        match self {
            Viewer::Pty(c) => Some(c.bytes_received()),
            Viewer::Pipe(_) => None,
        }
    }

    fn alive(&self) -> bool {
        match self {
            Viewer::Pty(c) => c.is_alive(),
            Viewer::Pipe(p) => !p.ended.load(Ordering::Relaxed),
        }
    }

    fn describe(&self) -> String {
        match self {
            Viewer::Pty(c) => format!("screen:\n{}", c.screen_text()),
            Viewer::Pipe(p) => format!("stderr: {}", lock(&p.stderr)),
        }
    }
}

/// `kubectl logs -f` (or the bare reader) read line by line from its
/// standard output.
struct PipeReader {
    child: Child,
    child_pid: u32,
    newest: Arc<AtomicU64>,
    ended: Arc<AtomicBool>,
    stderr: Arc<Mutex<String>>,
}

impl Drop for PipeReader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A tool brought up to the point where one key (or, for kubectl, the
/// command) opens the logs.
enum Ready {
    Pty(Console, &'static str),
    /// A command writing the log to a pipe: kubectl (with `--timestamps` or
    /// not) or the bare reader.
    Pipe(String),
}

/// Config, data and cache directories of the tools under test.
fn base_dir() -> PathBuf {
    std::env::temp_dir().join(format!("osctui-bench-logs-peers-{}", std::process::id()))
}

fn temp_dir(tool: &str) -> PathBuf {
    base_dir().join(tool)
}

fn dir_str(dir: &Path, sub: &str) -> Result<String, String> {
    let d = dir.join(sub);
    std::fs::create_dir_all(&d).map_err(|e| format!("cannot create {}: {e}", d.display()))?;
    Ok(d.to_string_lossy().into_owned())
}

fn prepare(tool: &str, args: &Args) -> Result<Ready, String> {
    let bin = args
        .bins
        .get(tool)
        .ok_or_else(|| format!("no binary for {tool}"))?;
    let dir = temp_dir(tool);
    let spawn = |argv: &[&str], env: &[(&str, &str)]| {
        Console::spawn(bin, argv, env, COLS, ROWS)
            .map_err(|e| format!("cannot start {}: {e}", bin.display()))
    };
    match tool {
        "osctui" => {
            let home = dir_str(&dir, "home")?;
            if let Some(lines) = args.osctui_log_lines {
                std::fs::write(
                    Path::new(&home).join("config.yaml"),
                    format!("logLines: {lines}\n"),
                )
                .map_err(|e| format!("cannot write osctui's config: {e}"))?;
            }
            let log = dir.join("osctui.log").to_string_lossy().into_owned();
            let c = spawn(
                &[
                    "--kubeconfig",
                    &args.kubeconfig,
                    "-n",
                    &args.namespace,
                    "-c",
                    "inst",
                ],
                &[
                    ("OSCTUI_CONFIG_DIR", &home),
                    ("OSCTUI_DATA_DIR", &home),
                    ("OSCTUI_LOG", &log),
                ],
            )?;
            wait_fast(&c, Duration::from_secs(60), |s| s.contains(&args.instance))?;
            settle();
            // `L` on the (only) instance: the logs of its pod's containers.
            Ok(Ready::Pty(c, "L"))
        }
        "k9s" => {
            let config = dir_str(&dir, "k9s")?;
            // The same tail as the others; the rest is k9s's default
            // (buffer 5,000 lines, autoscroll on).
            std::fs::write(
                Path::new(&config).join("config.yaml"),
                format!(
                    "k9s:\n  skipLatestRevCheck: true\n  logger:\n    tail: {}\n",
                    args.tail
                ),
            )
            .map_err(|e| format!("cannot write the k9s config: {e}"))?;
            let (cfg, data, state, cache) = (
                dir_str(&dir, "xdg-config")?,
                dir_str(&dir, "xdg-data")?,
                dir_str(&dir, "xdg-state")?,
                dir_str(&dir, "xdg-cache")?,
            );
            let c = spawn(
                &[
                    "--kubeconfig",
                    &args.kubeconfig,
                    "-n",
                    &args.namespace,
                    "-c",
                    "pods",
                ],
                &[
                    ("K9S_CONFIG_DIR", &config),
                    ("XDG_CONFIG_HOME", &cfg),
                    ("XDG_DATA_HOME", &data),
                    ("XDG_STATE_HOME", &state),
                    ("XDG_CACHE_HOME", &cache),
                ],
            )?;
            wait_fast(&c, Duration::from_secs(60), |s| {
                s.lines()
                    .any(|l| l.contains(&args.pod) && l.contains("Running"))
            })?;
            settle();
            // The pod (the only one) is selected; `l` opens its logs, of
            // its only container.
            Ok(Ready::Pty(c, "l"))
        }
        "kdash" => {
            let (cfg, data, state, cache) = (
                dir_str(&dir, "xdg-config")?,
                dir_str(&dir, "xdg-data")?,
                dir_str(&dir, "xdg-state")?,
                dir_str(&dir, "xdg-cache")?,
            );
            let home = dir_str(&dir, "home")?;
            let tail = args.tail.to_string();
            let c = spawn(
                &["--log-tail-lines", &tail],
                &[
                    ("KUBECONFIG", &args.kubeconfig),
                    ("HOME", &home),
                    ("XDG_CONFIG_HOME", &cfg),
                    ("XDG_DATA_HOME", &data),
                    ("XDG_STATE_HOME", &state),
                    ("XDG_CACHE_HOME", &cache),
                ],
            )?;
            // The pods tab lists every namespace's pods: once loaded,
            // filter to ours (`/`), Enter opens the pod (its containers);
            // Enter on the (only) container opens its logs.
            wait_fast(&c, Duration::from_secs(60), |s| s.contains("Running"))?;
            settle();
            send(&c, "/")?;
            settle();
            send(&c, &args.pod)?;
            wait_fast(&c, Duration::from_secs(20), |s| s.contains(&args.pod))?;
            settle();
            c.key_enter().map_err(|e| e.to_string())?;
            wait_fast(&c, Duration::from_secs(20), |s| {
                s.lines()
                    .any(|l| l.contains(&args.container) && !l.contains(&args.pod))
            })?;
            settle();
            Ok(Ready::Pty(c, "\r"))
        }
        "kubectl-terminal" => {
            // The shell waits for the key, then becomes kubectl (the same
            // process, so its CPU and RSS are kubectl's): the clock starts
            // at the key, as for the consoles, and kubectl's start counts.
            let tail = args.tail.to_string();
            let kubectl = bin.to_string_lossy().into_owned();
            let mut argv = vec![
                "-c",
                "stty -echo; IFS= read -r _; exec \"$0\" \"$@\"",
                &kubectl,
            ];
            argv.extend(kubectl_logs(args, &tail));
            let c = Console::spawn(Path::new("/bin/sh"), &argv, &[], COLS, ROWS)
                .map_err(|e| format!("cannot start /bin/sh: {e}"))?;
            settle();
            Ok(Ready::Pty(c, "\r"))
        }
        "kubectl" | "kubectl-timestamps" | "kube-rs" | "kube-rs-http2" => {
            Ok(Ready::Pipe(tool.to_owned()))
        }
        other => Err(format!("unknown tool {other}")),
    }
}

/// Lets a screen's last redraw and the tool's own refresh settle.
fn settle() {
    std::thread::sleep(Duration::from_millis(700));
}

/// Opens the logs: the key, or kubectl's start. Returns the viewer and the
/// instant the clock starts.
fn open(ready: Ready, args: &Args) -> Result<(Viewer, Instant), String> {
    match ready {
        Ready::Pty(c, key) => {
            let at = Instant::now();
            send(&c, key)?;
            Ok((Viewer::Pty(c), at))
        }
        Ready::Pipe(tool) => {
            let bin = args
                .bins
                .get(tool.as_str())
                .ok_or_else(|| format!("no binary for {tool}"))?;
            let tail = args.tail.to_string();
            let argv: Vec<&str> = match tool.as_str() {
                "kube-rs" | "kube-rs-http2" => {
                    let mut argv = vec![
                        "--kubeconfig",
                        &args.kubeconfig,
                        "--namespace",
                        &args.namespace,
                        "--pod",
                        &args.pod,
                        "--container",
                        &args.container,
                        "--tail",
                        &tail,
                        "--print",
                    ];
                    if tool == "kube-rs-http2" {
                        argv.push("--http2");
                    }
                    argv
                }
                _ => {
                    let mut argv = kubectl_logs(args, &tail);
                    if tool == "kubectl-timestamps" {
                        argv.push("--timestamps");
                    }
                    argv
                }
            };
            let at = Instant::now();
            let mut child = Command::new(bin)
                .args(&argv)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot start {}: {e}", bin.display()))?;
            let child_pid = child.id();
            let newest = Arc::new(AtomicU64::new(0));
            let ended = Arc::new(AtomicBool::new(false));
            let stderr = Arc::new(Mutex::new(String::new()));
            let out = child.stdout.take().ok_or("no stdout")?;
            let err = child.stderr.take().ok_or("no stderr")?;
            let (n2, e2) = (newest.clone(), ended.clone());
            std::thread::spawn(move || {
                let mut reader = BufReader::with_capacity(1 << 20, out);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    match reader.read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {
                            if let Some(seq) = newest_seq(&String::from_utf8_lossy(&line)) {
                                n2.fetch_max(seq, Ordering::Relaxed);
                            }
                        }
                    }
                }
                e2.store(true, Ordering::Relaxed);
            });
            let s2 = stderr.clone();
            std::thread::spawn(move || {
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut BufReader::new(err), &mut text);
                *lock(&s2) = text;
            });
            Ok((
                Viewer::Pipe(PipeReader {
                    child,
                    child_pid,
                    newest,
                    ended,
                    stderr,
                }),
                at,
            ))
        }
    }
}

/// `kubectl logs -f` of the container, with the tail every tool gets.
fn kubectl_logs<'a>(args: &'a Args, tail: &'a str) -> Vec<&'a str> {
    vec![
        "--kubeconfig",
        &args.kubeconfig,
        "-n",
        &args.namespace,
        "logs",
        "-f",
        "--tail",
        tail,
        "-c",
        &args.container,
        &args.pod,
    ]
}

fn send(console: &Console, keys: &str) -> Result<(), String> {
    console.send_keys(keys).map_err(|e| e.to_string())
}

/// The highest `seq=NNNNNNNNN` (nine digits, so a cut-off one is never
/// read) in `text`.
fn newest_seq(text: &str) -> Option<u64> {
    let mut best = None;
    let mut rest = text;
    while let Some(at) = rest.find("seq=") {
        let digits = &rest[at + 4..];
        let n = digits.bytes().take_while(u8::is_ascii_digit).count();
        if n == 9
            && let Ok(v) = digits[..9].parse::<u64>()
        {
            best = best.max(Some(v));
        }
        rest = &rest[at + 4..];
    }
    best
}

// ---------------------------------------------------------------- results

/// What one tool did.
#[derive(Default)]
struct Outcome {
    first_line: Option<Duration>,
    newest_backlog: Option<Duration>,
    /// Per offered rate.
    streams: Vec<Stream>,
    memory: Option<Memory>,
    notes: Vec<String>,
}

struct Stream {
    offered: u64,
    writer_managed: f64,
    /// Lines/s of the newest sequence shown, after the warm-up.
    rate: f64,
    /// Behind the writer the moment it stopped.
    lag_end: u64,
    /// Median of the samples after the warm-up.
    lag_median: u64,
    lag_max: u64,
    catch_up: Option<Duration>,
    cpu: f64,
    rss_peak: u64,
    /// Bytes written to the terminal per second over the window (tools in
    /// a pseudo-terminal).
    terminal_rate: Option<f64>,
    others_cpu: String,
}

struct Memory {
    before: u64,
    peak: u64,
    end: u64,
    slope: Option<f64>,
    lag_end: u64,
    cpu: f64,
}

/// Every round of one tool.
type Rounds = Vec<Result<Outcome, String>>;

fn run(args: &Args) -> Result<(), String> {
    let mut outcomes: Vec<(&str, Rounds)> = args.tools.iter().map(|t| (*t, Vec::new())).collect();
    // Round by round, every tool in each: a change in the machine's load
    // over the run then falls on all of them, not on the last one measured.
    for round in 1..=args.rounds {
        for (tool, rounds) in &mut outcomes {
            eprintln!(
                "osctui-bench-logs-peers: measuring {tool} (round {round} of {})",
                args.rounds
            );
            let started = Instant::now();
            let outcome = measure(tool, args);
            if let Err(e) = &outcome {
                eprintln!("osctui-bench-logs-peers: {tool} failed: {e}");
            }
            eprintln!(
                "osctui-bench-logs-peers: {tool} done in {:.0} s",
                started.elapsed().as_secs_f64()
            );
            rounds.push(outcome);
        }
    }
    let _ = std::fs::remove_dir_all(base_dir());
    print_table(args, &outcomes);
    Ok(())
}

fn measure(tool: &'static str, args: &Args) -> Result<Outcome, String> {
    // The same data for every tool: an empty file and a fresh backlog.
    std::fs::write(&args.stream_file, backlog_text(args.backlog))
        .map_err(|e| format!("cannot write {}: {e}", args.stream_file.display()))?;
    let ready = prepare(tool, args)?;
    let (viewer, clock) = open(ready, args)?;
    let pid = viewer.pid().ok_or("no pid")?;
    let mut out = Outcome::default();

    // ------------------------------------------------------ first line
    loop {
        let newest = viewer.newest();
        if out.first_line.is_none() && newest.is_some() {
            out.first_line = Some(clock.elapsed());
        }
        if newest.is_some_and(|n| n >= args.backlog) {
            out.newest_backlog = Some(clock.elapsed());
            break;
        }
        if let Some(first) = out.first_line
            && clock.elapsed() > first + NEWEST_TIMEOUT
        {
            // Lines show, but not the newest (seen with k9s: the view
            // left part-way through the tail until more lines come).
            out.notes.push(format!(
                "the newest backlog line (seq {}) was not on screen {NEWEST_TIMEOUT:?} after the first line (newest shown: {}); {}",
                args.backlog,
                newest.unwrap_or(0),
                viewer.describe().lines().take(12).collect::<Vec<_>>().join(" ⏎ ")
            ));
            break;
        }
        if clock.elapsed() > FIRST_LINE_TIMEOUT || !viewer.alive() {
            return Err(format!(
                "{tool}: the newest backlog line (seq {}) not shown after {:?}; {}",
                args.backlog,
                clock.elapsed(),
                viewer.describe()
            ));
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    std::thread::sleep(Duration::from_secs(1));

    // -------------------------------------------------------- streams
    let mut next_seq = args.backlog + 1;
    for &rate in &args.rates {
        let (stream, written) = stream(&viewer, args, pid, rate, next_seq)?;
        next_seq += written;
        out.streams.push(stream);
    }

    // --------------------------------------------------------- memory
    if args.memory_minutes > 0 {
        out.memory = Some(memory(&viewer, args, pid, next_seq)?);
    }
    if let Viewer::Pty(c) = &viewer {
        out.notes.push(format!(
            "{} bytes written to the terminal in all",
            thousands(c.bytes_received())
        ));
    }
    Ok(out)
}

/// The start of a stream's measured window.
struct WindowStart {
    at: Instant,
    /// The newest sequence shown.
    newest: u64,
    /// CPU ticks of the tool, and of kwok and the API server.
    cpu: u64,
    others: [Option<u64>; 2],
    /// Written to the terminal so far (tools in a pseudo-terminal).
    bytes: Option<u64>,
}

/// Streams at `rate` from sequence `first`; returns the figures and the
/// lines written.
fn stream(
    viewer: &Viewer,
    args: &Args,
    pid: u32,
    rate: u64,
    first: u64,
) -> Result<(Stream, u64), String> {
    let length = Duration::from_secs(args.seconds);
    let others = [args.kwok_pid, args.apiserver_pid];
    let writer = Writer::start(&args.stream_file, rate, length, first)?;
    let started = Instant::now();
    // Where the measured window starts: after the warm-up.
    let mut window: Option<WindowStart> = None;
    let mut last = (started, first - 1, None);
    let mut lags = Vec::new();
    let mut lag_max = 0;
    let mut rss_peak = 0;
    let mut next_rss = started;
    while started.elapsed() < length {
        let newest = viewer.newest().unwrap_or(0);
        let now = Instant::now();
        let written = first - 1 + writer.written();
        if started.elapsed() >= WARM_UP {
            if window.is_none() {
                window = Some(WindowStart {
                    at: now,
                    newest,
                    cpu: cpu_ticks(pid)?,
                    others: others.map(ticks),
                    bytes: viewer.terminal_bytes(),
                });
            }
            let lag = written.saturating_sub(newest);
            lags.push(lag);
            lag_max = lag_max.max(lag);
        }
        if now >= next_rss {
            rss_peak = rss_peak.max(rss_kib(pid)?);
            next_rss += Duration::from_secs(1);
            dump(viewer, rate, started.elapsed(), written);
        }
        last = (now, newest, viewer.terminal_bytes());
        std::thread::sleep(SAMPLE_EVERY);
    }
    let cpu_end = cpu_ticks(pid)?;
    let others_end = others.map(ticks);
    let written = writer.stop()?;
    // Read the moment the writer is done, not at the last sample (up to
    // 50 ms earlier, which would count lines no tool could have shown).
    let shown_at_stop = viewer.newest().unwrap_or(0);
    let stopped = Instant::now();
    let managed = written as f64 / started.elapsed().as_secs_f64();
    let WindowStart {
        at: t0,
        newest: n0,
        cpu: c0,
        others: o0,
        bytes: b0,
    } = window.ok_or("the stream is shorter than its warm-up")?;
    let (t1, n1, b1) = last;
    let secs = t1.duration_since(t0).as_secs_f64().max(1e-3);
    let newest_written = first - 1 + written;
    let lag_end = newest_written.saturating_sub(shown_at_stop.max(n1));
    lags.sort_unstable();
    let lag_median = lags.get(lags.len() / 2).copied().unwrap_or(0);
    let terminal_rate = b0.zip(b1).map(|(a, b)| b.saturating_sub(a) as f64 / secs);
    let mut catch_up = None;
    while stopped.elapsed() < CATCH_UP_TIMEOUT {
        if viewer.newest().is_some_and(|n| n >= newest_written) {
            catch_up = Some(stopped.elapsed());
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    let pct = |a: u64, b: u64| b.saturating_sub(a) as f64 / secs;
    let names = ["kwok", "kube-apiserver"];
    let others_cpu = (0..2)
        .filter_map(|i| match (o0[i], others_end[i]) {
            (Some(a), Some(b)) => Some(format!("{} {:.0} %", names[i], pct(a, b))),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(", ");
    Ok((
        Stream {
            offered: rate,
            writer_managed: managed,
            rate: n1.saturating_sub(n0) as f64 / secs,
            lag_end,
            lag_median,
            lag_max,
            catch_up,
            cpu: pct(c0, cpu_end),
            rss_peak,
            terminal_rate,
            others_cpu,
        },
        written,
    ))
}

/// With OSCTUI_BENCH_DUMP=<dir>: the screen once a second, to check by eye
/// what the newest sequence was read from.
fn dump(viewer: &Viewer, rate: u64, at: Duration, written: u64) {
    let (Some(dir), Viewer::Pty(c)) = (std::env::var_os("OSCTUI_BENCH_DUMP"), viewer) else {
        return;
    };
    let file = Path::new(&dir).join(format!(
        "{}-{rate}-{:03}.txt",
        c.pid().unwrap_or(0),
        at.as_secs()
    ));
    let _ = std::fs::write(
        file,
        format!("written up to seq {written}\n{}", c.screen_text()),
    );
}

fn ticks(pid: Option<u32>) -> Option<u64> {
    pid.and_then(|p| cpu_ticks(p).ok())
}

/// RSS every 5 s over a long stream.
fn memory(viewer: &Viewer, args: &Args, pid: u32, first: u64) -> Result<Memory, String> {
    let length = Duration::from_secs(args.memory_minutes * 60);
    let before = rss_kib(pid)?;
    let cpu0 = cpu_ticks(pid)?;
    let writer = Writer::start(&args.stream_file, args.memory_rate, length, first)?;
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
    let end = rss_kib(pid)?;
    samples.push((started.elapsed().as_secs_f64(), end));
    let cpu = (cpu_ticks(pid)?.saturating_sub(cpu0)) as f64 / started.elapsed().as_secs_f64();
    let newest = viewer.newest().unwrap_or(0);
    let written = writer.stop()?;
    // After the first minute: the buffers fill in seconds, the allocator
    // settles after that.
    let later: Vec<(f64, f64)> = samples
        .iter()
        .filter(|s| s.0 >= 60.0)
        .map(|s| (s.0 / 60.0, s.1 as f64 / 1024.0))
        .collect();
    Ok(Memory {
        before,
        peak: samples.iter().map(|s| s.1).max().unwrap_or(0),
        end,
        slope: slope(&later),
        lag_end: (first - 1 + written).saturating_sub(newest),
        cpu,
    })
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

// ----------------------------------------------------------------- writer

/// One CRI log line with sequence number `k`.
fn line(out: &mut String, at: jiff::Timestamp, k: u64) {
    use std::fmt::Write as _;
    let _ = writeln!(
        out,
        "{at:.9} stdout F seq={k:09} INFO [worker-{}] processed request id={:08x} in {} ms",
        k % 8,
        k.wrapping_mul(2_654_435_761) % 4_294_967_296,
        k % 97
    );
}

/// `n` lines, 1 ms apart, ending now.
fn backlog_text(n: u64) -> String {
    let now = jiff::Timestamp::now();
    let mut out = String::new();
    for k in 1..=n {
        let back = jiff::SignedDuration::from_millis((n - k) as i64);
        line(&mut out, now.checked_sub(back).unwrap_or(now), k);
    }
    out
}

/// Appends lines to the stream file at a fixed rate, in a thread.
struct Writer {
    stop: Arc<AtomicBool>,
    written: Arc<AtomicU64>,
    thread: JoinHandle<Result<(), String>>,
}

impl Writer {
    fn start(path: &Path, rate: u64, length: Duration, first: u64) -> Result<Writer, String> {
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
                // Lines due by now, in a batch every 5 ms (a busy logger).
                let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
                buf.clear();
                let now = jiff::Timestamp::now();
                for i in 0..due.saturating_sub(n) {
                    // Distinct, ordered times within a batch.
                    let at = now
                        .checked_add(jiff::SignedDuration::from_nanos(i as i64))
                        .unwrap_or(now);
                    line(&mut buf, at, first + n + i);
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

// ------------------------------------------------------------------ table

/// One measure across the tools: per tool, the figure of each round (None:
/// failed or not measured), whether lower is better, and how to print a
/// figure.
struct Measure {
    name: String,
    values: Vec<Vec<Option<f64>>>,
    lower_better: bool,
    show: fn(f64) -> String,
    ratio: bool,
}

/// The median of the rounds that have a figure, the smallest and the
/// largest, and how many rounds had one.
#[derive(Debug, PartialEq)]
struct Summary {
    median: f64,
    min: f64,
    max: f64,
    count: usize,
}

fn summarize(values: &[Option<f64>]) -> Option<Summary> {
    let mut v: Vec<f64> = values.iter().flatten().copied().collect();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let median = match n {
        0 => return None,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    };
    Some(Summary {
        median,
        min: v[0],
        max: v[n - 1],
        count: n,
    })
}

fn print_table(args: &Args, outcomes: &[(&str, Rounds)]) {
    let mut measures = Vec::new();
    let col = |f: &dyn Fn(&Outcome) -> Option<f64>| -> Vec<Vec<Option<f64>>> {
        outcomes
            .iter()
            .map(|(_, rounds)| rounds.iter().map(|o| o.as_ref().ok().and_then(f)).collect())
            .collect()
    };
    measures.push(Measure {
        name: "first log line after the key (ms)".into(),
        values: col(&|o| o.first_line.map(millis)),
        lower_better: true,
        show: |v| format!("{v:.0} ms"),
        ratio: true,
    });
    measures.push(Measure {
        name: format!("newest backlog line (seq {}) on screen (ms)", args.backlog),
        values: col(&|o| o.newest_backlog.map(millis)),
        lower_better: true,
        show: |v| format!("{v:.0} ms"),
        ratio: true,
    });
    for (i, &rate) in args.rates.iter().enumerate() {
        let at = |f: fn(&Stream) -> Option<f64>| col(&move |o| o.streams.get(i).and_then(f));
        let r = thousands(rate);
        measures.push(Measure {
            name: format!("sustained rate at {r} lines/s offered (lines/s, higher is better)"),
            values: at(|s| Some(s.rate)),
            lower_better: false,
            show: |v| format!("{v:.0}"),
            ratio: true,
        });
        measures.push(Measure {
            name: format!("median lag while streaming at {r}/s (lines)"),
            values: at(|s| Some(s.lag_median as f64)),
            lower_better: true,
            show: |v| thousands(v as u64),
            ratio: false,
        });
        measures.push(Measure {
            name: format!("lag when writing stopped at {r}/s (lines)"),
            values: at(|s| Some(s.lag_end as f64)),
            lower_better: true,
            show: |v| thousands(v as u64),
            ratio: false,
        });
        measures.push(Measure {
            name: format!("newest line shown after writing stopped at {r}/s"),
            values: at(|s| s.catch_up.map(millis)),
            lower_better: true,
            show: |v| format!("{v:.0} ms"),
            ratio: true,
        });
        measures.push(Measure {
            name: format!("CPU at {r}/s (% of a core)"),
            values: at(|s| Some(s.cpu)),
            lower_better: true,
            show: |v| format!("{v:.0} %"),
            ratio: true,
        });
        measures.push(Measure {
            name: format!("bytes to the terminal at {r}/s (KB/s)"),
            values: at(|s| s.terminal_rate.map(|b| b / 1000.0)),
            lower_better: true,
            show: |v| format!("{v:.0} KB/s"),
            ratio: true,
        });
        measures.push(Measure {
            name: format!("peak RSS at {r}/s (MB)"),
            values: at(|s| Some(s.rss_peak as f64 / 1024.0)),
            lower_better: true,
            show: |v| format!("{v:.1} MB"),
            ratio: true,
        });
    }
    if args.memory_minutes > 0 {
        let m = format!(
            "after {} min at {}/s",
            args.memory_minutes,
            thousands(args.memory_rate)
        );
        let at = |f: fn(&Memory) -> Option<f64>| col(&move |o| o.memory.as_ref().and_then(f));
        measures.push(Measure {
            name: format!("RSS {m} (MB)"),
            values: at(|m| Some(m.end as f64 / 1024.0)),
            lower_better: true,
            show: |v| format!("{v:.1} MB"),
            ratio: true,
        });
        measures.push(Measure {
            name: format!("RSS peak over the {} min (MB)", args.memory_minutes),
            values: at(|m| Some(m.peak as f64 / 1024.0)),
            lower_better: true,
            show: |v| format!("{v:.1} MB"),
            ratio: true,
        });
        measures.push(Measure {
            name: "RSS slope after the first minute (MB/min)".into(),
            values: at(|m| m.slope),
            lower_better: true,
            show: |v| format!("{v:+.2}"),
            ratio: false,
        });
        measures.push(Measure {
            name: format!("CPU over the {} min (% of a core)", args.memory_minutes),
            values: at(|m| Some(m.cpu)),
            lower_better: true,
            show: |v| format!("{v:.0} %"),
            ratio: true,
        });
        measures.push(Measure {
            name: format!("lag at the end of the {} min (lines)", args.memory_minutes),
            values: at(|m| Some(m.lag_end as f64)),
            lower_better: true,
            show: |v| thousands(v as u64),
            ratio: false,
        });
    }

    let names: Vec<&str> = outcomes.iter().map(|(t, _)| *t).collect();
    println!("| measure | {} |", names.join(" | "));
    println!("| --- |{}", " --- |".repeat(names.len()));
    for m in &measures {
        let summaries: Vec<Option<Summary>> = m.values.iter().map(|v| summarize(v)).collect();
        // The best of the peers (every tool but osctui), by median.
        let peers = summaries
            .iter()
            .zip(&names)
            .filter(|(_, n)| **n != "osctui" && !REFERENCES.contains(*n))
            .filter_map(|(s, _)| s.as_ref().map(|s| s.median));
        let best = if m.lower_better {
            peers.fold(None, |b: Option<f64>, v| Some(b.map_or(v, |b| b.min(v))))
        } else {
            peers.fold(None, |b: Option<f64>, v| Some(b.map_or(v, |b| b.max(v))))
        };
        let cells: Vec<String> = summaries
            .iter()
            .map(|s| {
                let Some(s) = s else {
                    return "—".into();
                };
                let mut cell = (m.show)(s.median);
                // Below 1 (ms, %, …) a ratio says nothing.
                if let Some(b) = best.filter(|b| m.ratio && *b >= 1.0) {
                    cell.push_str(&format!(" ({:.2}×)", s.median / b));
                }
                if args.rounds > 1 {
                    cell.push_str(&format!(" [{}–{}]", (m.show)(s.min), (m.show)(s.max)));
                }
                if s.count < args.rounds as usize {
                    cell.push_str(&format!(" ({} of {} rounds)", s.count, args.rounds));
                }
                cell
            })
            .collect();
        println!("| {} | {} |", m.name, cells.join(" | "));
    }
    println!();
    println!(
        "Ratios: figure ÷ the best peer's (k9s, kdash, kubectl to a pipe or a terminal; kube-rs is a reference, not a peer); \
         for the rate higher is better, elsewhere lower. — = not measured (see below).{}",
        if args.rounds > 1 {
            format!(
                " Each figure is the median of {} rounds (the tools take turns, round by round), [smallest–largest].",
                args.rounds
            )
        } else {
            String::new()
        }
    );
    println!();
    for (round, (tool, outcome)) in outcomes.iter().flat_map(|(tool, rounds)| {
        rounds
            .iter()
            .enumerate()
            .map(move |(i, o)| (i + 1, (tool, o)))
    }) {
        let tool = if args.rounds > 1 {
            format!("{tool}, round {round}")
        } else {
            tool.to_string()
        };
        match outcome {
            Err(e) => println!("- **{tool}** failed: {}", e.replace('\n', "\n  ")),
            Ok(o) => {
                let mut parts = Vec::new();
                for s in &o.streams {
                    parts.push(format!(
                        "at {} offered the writer managed {:.0}/s, the tool showed {:.0}/s, {} lines behind in the median, at most {}, {} behind when writing stopped, newest line shown {} later; {}",
                        thousands(s.offered),
                        s.writer_managed,
                        s.rate,
                        thousands(s.lag_median),
                        thousands(s.lag_max),
                        thousands(s.lag_end),
                        s.catch_up.map_or(format!("not within {CATCH_UP_TIMEOUT:?}"), |d| format!("{:.0} ms", d.as_secs_f64() * 1000.0)),
                        s.others_cpu
                    ));
                }
                if let Some(m) = &o.memory {
                    parts.push(format!(
                        "memory: {:.1} MB before the long stream, peak {:.1} MB, end {:.1} MB",
                        m.before as f64 / 1024.0,
                        m.peak as f64 / 1024.0,
                        m.end as f64 / 1024.0
                    ));
                }
                parts.extend(o.notes.iter().cloned());
                println!("- **{tool}**: {}", parts.join("; "));
            }
        }
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
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
    fn reads_the_newest_sequence() {
        let screen = "x seq=000000012 a\nseq=000000100 b\n seq=00000009 cut\nseq=000000099";
        assert_eq!(newest_seq(screen), Some(100));
        assert_eq!(newest_seq("no numbers seq= here"), None);
    }

    #[test]
    fn written_lines_carry_their_sequence() {
        let text = backlog_text(3);
        assert_eq!(text.lines().count(), 3);
        assert_eq!(newest_seq(&text), Some(3));
        assert!(text.lines().all(|l| l.contains(" stdout F seq=")));
    }

    #[test]
    fn a_summary_is_the_median_of_the_rounds_that_have_a_figure() {
        let s = summarize(&[Some(3.0), None, Some(1.0), Some(10.0)]);
        assert_eq!(
            s,
            Some(Summary {
                median: 3.0,
                min: 1.0,
                max: 10.0,
                count: 3
            })
        );
        let even = summarize(&[Some(4.0), Some(2.0)]).map(|s| s.median);
        assert_eq!(even, Some(3.0));
        assert_eq!(summarize(&[None, None]), None);
    }

    #[test]
    fn slope_of_a_line() {
        let s = slope(&[(0.0, 1.0), (1.0, 3.0), (2.0, 5.0)]);
        assert!(s.is_some_and(|s| (s - 2.0).abs() < 1e-9));
    }
}
