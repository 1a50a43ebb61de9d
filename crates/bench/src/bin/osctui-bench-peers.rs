//! Measures osctui and its peers (k9s, kdash, kubectl) side by side on the
//! same sandbox data (bench/seed), each in a pseudo-terminal of the same
//! size: launch to first painted frame and to the complete list, memory,
//! idle CPU and output, key-to-frame latency while scrolling and filtering,
//! and the bytes a one-row change costs; kubectl and the raw LIST time as
//! the floor. Prints one Markdown table (see bench/run, bench/README.md).
//!
//! A tool that fails or times out gets "failed: why" in its cells and the
//! run goes on.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use osctui_bench::flags::Flags;
use osctui_bench::{
    Floor, KeyFrame, PairedFloor, key_to_frame, raw_list, ticks_to_secs, tree_cpu_ticks,
    tree_hwm_kib, tree_rss_kib, wait_fast,
};
use osctui_testkit::pty::Console;

const USAGE: &str = "usage: osctui-bench-peers --kubeconfig FILE --osctui BIN [--k9s BIN] [--kdash BIN] \
[--kubectl BIN] --osctui-instances N --instances N --pods N [--runs 3] [--idle 60] \
[--timeout 300] [--size 160x48] [--small] [--tools osctui,k9s,kdash,kubectl,raw]";

/// Bytes counted after a change in the cluster.
const CHANGE_WINDOW: Duration = Duration::from_secs(3);
/// Scroll keys: blocks of this many down, then as many up.
const SCROLL_BLOCK: usize = 50;
const SCROLL_KEYS: usize = 200;

struct Args {
    kubeconfig: String,
    osctui: PathBuf,
    k9s: Option<PathBuf>,
    kdash: Option<PathBuf>,
    kubectl: Option<PathBuf>,
    osctui_instances: usize,
    instances: usize,
    pods: usize,
    runs: usize,
    idle: u64,
    timeout: Duration,
    cols: u16,
    rows: u16,
    small: bool,
    tools: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    if std::env::args().any(|a| a == "-h" || a == "--help") {
        return Err(USAGE.to_owned());
    }
    let flags = Flags::from_env(&["small"]).map_err(|e| format!("{e}\n{USAGE}"))?;
    let get = |k: &str| flags.get(k).map(str::to_owned);
    let need = |k: &str| flags.need(k).map_err(|e| format!("{e}\n{USAGE}"));
    let num = |k: &str, d: usize| flags.num_or(k, d);
    let size = get("size").unwrap_or_else(|| "160x48".to_owned());
    let (cols, rows) = size
        .split_once('x')
        .and_then(|(c, r)| Some((c.parse().ok()?, r.parse().ok()?)))
        .ok_or_else(|| format!("--size: expected COLSxROWS, got {size}"))?;
    Ok(Args {
        kubeconfig: need("kubeconfig")?,
        osctui: need("osctui")?.into(),
        k9s: get("k9s").map(PathBuf::from),
        kdash: get("kdash").map(PathBuf::from),
        kubectl: get("kubectl").map(PathBuf::from),
        osctui_instances: num("osctui-instances", 0)?,
        instances: num("instances", 0)?,
        pods: num("pods", 0)?,
        runs: num("runs", 3)?.max(1),
        idle: num("idle", 60)? as u64,
        timeout: Duration::from_secs(num("timeout", 300)? as u64),
        cols,
        rows,
        small: flags.switch("small"),
        tools: get("tools")
            .unwrap_or_else(|| "osctui,k9s,kdash,kubectl,raw".to_owned())
            .split(',')
            .map(str::to_owned)
            .collect(),
    })
}

fn main() -> std::process::ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(2);
        }
    };
    let tmp = std::env::temp_dir().join(format!("osctui-bench-peers-{}", std::process::id()));
    let mut table = Table::default();
    run(&args, &tmp, &mut table);
    let _ = std::fs::remove_dir_all(&tmp);
    table.print();
    std::process::ExitCode::SUCCESS
}

/// One list view of one tool, in a pseudo-terminal.
struct View {
    column: String,
    program: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// Keys typed after the first frame to reach the view (kdash's dynamic
    /// resources menu), with a screen to wait for after each.
    navigate: Vec<(Vec<u8>, String)>,
    /// The screen shows the whole list.
    complete: String,
    floor: Floor,
    /// Typed one key at a time after `/`, then checked to have narrowed.
    filter: String,
    /// Key that leaves the filter.
    filter_exit: Vec<u8>,
}

impl View {
    fn complete_on(&self, screen: &str) -> bool {
        self.rows_on(screen) && !screen.to_lowercase().contains("loading")
    }
    /// The list's rows are on screen, perhaps still "loading" more (osctui
    /// shows its instances before the pods behind their health have been
    /// listed; the peers show a list once it is complete).
    fn rows_on(&self, screen: &str) -> bool {
        screen.contains(&self.complete)
    }
}

fn run(args: &Args, tmp: &std::path::Path, table: &mut Table) {
    let want = |t: &str| args.tools.iter().any(|x| x == t);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            table.fail("raw LIST", &format!("no runtime: {e}"));
            return;
        }
    };
    let mut floors = None;
    if want("raw") {
        eprintln!("bench: raw LIST");
        match runtime.block_on(raw_list(&args.kubeconfig, args.runs.max(5))) {
            Ok(raw) => {
                table.set_time(
                    "raw LIST",
                    Row::Complete,
                    raw.parallel,
                    format!(
                        "pods ({}) and instances ({}) in parallel; pods alone {}, instances alone {}",
                        raw.pod_count,
                        raw.instance_count,
                        ms(raw.pods),
                        ms(raw.instances)
                    ),
                );
                table.set_time(
                    "raw LIST",
                    Row::InstancesShown,
                    raw.instances,
                    format!("instances ({}) alone", raw.instance_count),
                );
                floors = Some(raw);
            }
            Err(e) => table.fail("raw LIST", &e),
        }
        if let Some(kubectl) = &args.kubectl {
            match kubectl_raw_parallel(kubectl, &args.kubeconfig, args.runs.max(5)) {
                Ok(d) => table.note(
                    "raw LIST",
                    format!("`kubectl get --raw` of both in parallel: median {}", ms(d)),
                ),
                Err(e) => table.note("raw LIST", format!("kubectl get --raw failed: {e}")),
            }
        }
    }

    // Each launch is also compared with a raw LIST taken just before it.
    let paired = if want("raw") {
        PairedFloor::new(&args.kubeconfig)
            .map_err(|e| table.note("raw LIST", format!("no paired LIST: {e}")))
            .ok()
    } else {
        None
    };
    let views = views(args, tmp);
    for view in &views {
        if !want(view.column.split_whitespace().next().unwrap_or("")) {
            continue;
        }
        eprintln!("bench: {}", view.column);
        if let Err(e) = measure_view(args, view, floors.as_ref(), paired.as_ref(), table) {
            eprintln!("bench: {}: {e}", view.column);
            table.fail(&view.column, &e);
        }
    }

    if want("kubectl")
        && let Some(kubectl) = &args.kubectl
    {
        for (column, resource, floor) in [
            ("kubectl pods", "pods", Floor::Pods),
            ("kubectl benchsvcs", "benchsvcs", Floor::Instances),
        ] {
            eprintln!("bench: {column}");
            match measure_kubectl(kubectl, &args.kubeconfig, resource, args.runs, args.timeout) {
                Ok(m) => {
                    table.set_time(column, Row::FirstFrame, m.first_line, "first line".into());
                    if floor == Floor::Instances {
                        table.set_time(
                            column,
                            Row::InstancesShown,
                            m.last_line,
                            format!(
                                "all lines; {}",
                                floor_ratio(floors.as_ref(), floor, m.last_line)
                            ),
                        );
                    }
                    table.set_time(
                        column,
                        Row::Complete,
                        m.last_line,
                        format!(
                            "{} lines; {}",
                            m.lines,
                            floor_ratio(floors.as_ref(), floor, m.last_line)
                        ),
                    );
                    table.set_kib(
                        column,
                        Row::RssPeak,
                        m.max_rss_kib,
                        "getrusage ru_maxrss".into(),
                    );
                }
                Err(e) => table.fail(column, &e),
            }
        }
    }
}

fn views(args: &Args, tmp: &std::path::Path) -> Vec<View> {
    let mut v = Vec::new();
    let kc = args.kubeconfig.clone();
    let last_instance = format!("bench-{:04}", args.instances.saturating_sub(1));
    let per = args.pods / args.instances.max(1);
    let last_pod = format!("{last_instance}-{}", per.saturating_sub(1));
    let dir = |name: &str| tmp.join(name).to_string_lossy().into_owned();
    v.push(View {
        column: "osctui".into(),
        program: args.osctui.clone(),
        args: vec![
            "--kubeconfig".into(),
            kc.clone(),
            "-c".into(),
            "inst".into(),
        ],
        env: vec![
            ("OSCTUI_CONFIG_DIR".into(), dir("osctui/config")),
            ("OSCTUI_DATA_DIR".into(), dir("osctui/data")),
            // Kept across its launches, like kubectl's and k9s's caches
            // under their HOME: the first launch is the cold one.
            ("OSCTUI_CACHE_DIR".into(), dir("osctui/cache")),
            ("OSCTUI_LOG".into(), dir("osctui/osctui.log")),
        ],
        navigate: Vec::new(),
        complete: format!("{} instances", args.osctui_instances),
        floor: Floor::Both,
        filter: last_instance.clone(),
        filter_exit: b"\x1b".to_vec(),
    });
    if let Some(k9s) = &args.k9s {
        // k9s writes its config, logs and screen dumps under these.
        let env = |name: &str| {
            let base = dir(name);
            vec![
                ("HOME".into(), format!("{base}/home")),
                ("XDG_CONFIG_HOME".into(), format!("{base}/config")),
                ("XDG_DATA_HOME".into(), format!("{base}/data")),
                ("XDG_STATE_HOME".into(), format!("{base}/state")),
                ("XDG_CACHE_HOME".into(), format!("{base}/cache")),
                ("K9S_CONFIG_DIR".into(), format!("{base}/k9s")),
            ]
        };
        for (resource, complete, floor, filter) in [
            (
                "pods",
                format!("pods(all)[{}]", thousands(args.pods)),
                Floor::Pods,
                last_pod.clone(),
            ),
            (
                "benchsvcs",
                format!("benchsvcs(all)[{}]", thousands(args.instances)),
                Floor::Instances,
                last_instance.clone(),
            ),
        ] {
            v.push(View {
                column: format!("k9s {resource}"),
                program: k9s.clone(),
                args: vec![
                    "--kubeconfig".into(),
                    kc.clone(),
                    "-A".into(),
                    "-c".into(),
                    resource.into(),
                ],
                env: env(&format!("k9s-{resource}")),
                navigate: Vec::new(),
                complete,
                floor,
                filter,
                filter_exit: b"\x1b".to_vec(),
            });
        }
    }
    if let Some(kdash) = &args.kdash {
        let env = |name: &str| {
            let base = dir(name);
            vec![
                ("HOME".into(), format!("{base}/home")),
                ("XDG_CONFIG_HOME".into(), format!("{base}/config")),
                ("KUBECONFIG".into(), kc.clone()),
            ]
        };
        v.push(View {
            column: "kdash pods".into(),
            program: kdash.clone(),
            args: Vec::new(),
            env: env("kdash-pods"),
            navigate: Vec::new(),
            complete: format!("Pods (ns: all) [{}]", args.pods),
            floor: Floor::Pods,
            filter: last_pod,
            filter_exit: b"\x1b".to_vec(),
        });
        v.push(View {
            column: "kdash benchsvcs".into(),
            program: kdash.clone(),
            args: Vec::new(),
            env: env("kdash-benchsvcs"),
            // "-" opens the dynamic resources menu; Benchsvc is its only
            // custom kind besides the CSDs, chosen by typing its row.
            navigate: vec![(b"-".to_vec(), "Benchsvc".into())],
            complete: format!("Benchsvc (ns: all) [{}]", args.instances),
            floor: Floor::Instances,
            filter: last_instance,
            filter_exit: b"\x1b".to_vec(),
        });
    }
    v
}

/// 10001 as k9s writes it in a title: 10,001.
fn thousands(n: usize) -> String {
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

/// The screen shows something (any printable character).
fn painted(screen: &str) -> bool {
    screen.chars().any(|c| !c.is_whitespace())
}

fn spawn(view: &View, cols: u16, rows: u16) -> Result<Console, String> {
    for (name, value) in &view.env {
        if name.starts_with("XDG_")
            || name == "HOME"
            || name == "K9S_CONFIG_DIR"
            || name == "OSCTUI_CONFIG_DIR"
            || name == "OSCTUI_DATA_DIR"
        {
            let _ = std::fs::create_dir_all(value);
        }
    }
    // The pty library looks a relative path up in PATH.
    let program = std::fs::canonicalize(&view.program).unwrap_or_else(|_| view.program.clone());
    let args: Vec<&str> = view.args.iter().map(String::as_str).collect();
    let env: Vec<(&str, &str)> = view
        .env
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    Console::spawn(&program, &args, &env, cols, rows)
        .map_err(|e| format!("cannot start {}: {e}", view.program.display()))
}

/// Times from launch to the first frame, to the list's rows on screen, and
/// to the complete list.
struct Launched {
    first: Duration,
    rows: Duration,
    complete: Duration,
}

/// Launches `view` and waits for its complete list.
fn launch(
    view: &View,
    cols: u16,
    rows: u16,
    timeout: Duration,
) -> Result<(Console, Launched), String> {
    let console = spawn(view, cols, rows)?;
    let started = Instant::now();
    wait_fast(&console, Duration::from_secs(30), painted)
        .map_err(|_| "no frame in 30 s".to_owned())?;
    let first = started.elapsed();
    for (keys, screen) in &view.navigate {
        // The menu only answers once the app is up; retry the key.
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            console.send(keys).map_err(|e| e.to_string())?;
            if wait_fast(&console, Duration::from_secs(1), |s| {
                s.contains(screen.as_str())
            })
            .is_ok()
            {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("{screen:?} never shown after {keys:?}"));
            }
        }
        if view.column == "kdash benchsvcs" {
            choose_menu_row(&console, screen)?;
        }
    }
    let failed = |e: String| {
        eprintln!("bench: {}: last screen: {e}", view.column);
        let last = e.lines().skip(1).take(6).collect::<Vec<_>>().join(" / ");
        format!(
            "no complete list ({:?}) within {} s; screen top: {last}",
            view.complete,
            timeout.as_secs()
        )
    };
    wait_fast(&console, timeout, |s| view.rows_on(s)).map_err(failed)?;
    let shown = started.elapsed();
    wait_fast(&console, timeout, |s| view.complete_on(s)).map_err(failed)?;
    Ok((
        console,
        Launched {
            first,
            rows: shown,
            complete: started.elapsed(),
        },
    ))
}

/// Moves kdash's menu cursor down to the row holding `item` and opens it.
/// kdash marks its selected list row with "=> " (its HIGHLIGHT symbol);
/// other blocks (the namespaces) use it too, so the row must hold both.
fn choose_menu_row(console: &Console, item: &str) -> Result<(), String> {
    let selected = format!("=> {item}");
    for _ in 0..200 {
        if console.screen().contents().contains(&selected) {
            console.key_enter().map_err(|e| e.to_string())?;
            return Ok(());
        }
        console.key_down().map_err(|e| e.to_string())?;
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("cannot select {item:?} in the menu"))
}

fn measure_view(
    args: &Args,
    view: &View,
    floors: Option<&osctui_bench::RawList>,
    paired: Option<&PairedFloor>,
    table: &mut Table,
) -> Result<(), String> {
    let column = view.column.as_str();
    let mut first = Vec::new();
    let mut shown = Vec::new();
    let mut complete = Vec::new();
    // (the raw LIST just before a launch, that launch's complete list)
    let mut pairs = Vec::new();
    for _ in 0..args.runs {
        let floor = paired.map(|p| p.once(view.floor));
        let (console, times) = launch(view, args.cols, args.rows, args.timeout)?;
        let c = times.complete;
        first.push(times.first);
        shown.push(times.rows);
        complete.push(c);
        if let Some(Ok(floor)) = floor {
            pairs.push((floor, c));
        }
        let _ = console.kill();
    }
    // Every tool's caches (kubectl's discovery, k9s's, osctui's warm
    // start) live in its own directory for the whole run: launch 1 is cold.
    let (cold_first, cold_shown, cold_complete) = (first[0], shown[0], complete[0]);
    first.sort();
    shown.sort();
    complete.sort();
    let median = |v: &[Duration]| v[v.len() / 2];
    table.set_time(
        column,
        Row::FirstFrame,
        median(&first),
        format!(
            "median of {}, max {}, cold {}",
            args.runs,
            ms(first[first.len() - 1]),
            ms(cold_first)
        ),
    );
    table.set_time(
        column,
        Row::Complete,
        median(&complete),
        format!(
            "median of {}, max {}, cold {}; {}",
            args.runs,
            ms(complete[complete.len() - 1]),
            ms(cold_complete),
            floor_ratio(floors, view.floor, median(&complete))
        ),
    );
    // Instance rows: what an operator reads first. Pods views have none.
    if view.floor != Floor::Pods {
        table.set_time(
            column,
            Row::InstancesShown,
            median(&shown),
            format!(
                "median of {}, max {}, cold {}; {}",
                args.runs,
                ms(shown[shown.len() - 1]),
                ms(cold_shown),
                floor_ratio(floors, Floor::Instances, median(&shown))
            ),
        );
    }
    if !pairs.is_empty() {
        let mut ratios: Vec<f64> = pairs
            .iter()
            .map(|(floor, c)| c.as_secs_f64() / floor.as_secs_f64().max(1e-6))
            .collect();
        ratios.sort_by(f64::total_cmp);
        let mut floors: Vec<Duration> = pairs.iter().map(|(floor, _)| *floor).collect();
        floors.sort();
        table.note(
            column,
            format!(
                "complete list against a raw LIST ({}) taken just before each launch: \
                 ratios {}; median {:.2}x (that LIST's median {})",
                floor_name(view.floor),
                ratios
                    .iter()
                    .map(|r| format!("{r:.2}x"))
                    .collect::<Vec<_>>()
                    .join(", "),
                ratios[ratios.len() / 2],
                ms(floors[floors.len() / 2])
            ),
        );
    }
    if args.small {
        match launch(view, 80, 24, args.timeout) {
            Ok((console, times)) => {
                table.set_time(column, Row::FirstFrameSmall, times.first, "one run".into());
                table.set_time(column, Row::CompleteSmall, times.complete, "one run".into());
                let _ = console.kill();
            }
            Err(e) => {
                table.fail_row(column, Row::CompleteSmall, &e);
            }
        }
    }

    // One long-lived session for memory, idle, changes and keys.
    let (console, _) = launch(view, args.cols, args.rows, args.timeout)?;
    let pid = console.pid().ok_or("no pid")?;
    std::thread::sleep(Duration::from_secs(5));
    table.set_kib(
        column,
        Row::RssSteady,
        tree_rss_kib(pid)?,
        "5 s after the complete list".into(),
    );
    let (cpu0, bytes0) = (tree_cpu_ticks(pid)?, console.bytes_received());
    std::thread::sleep(Duration::from_secs(args.idle));
    let cpu = ticks_to_secs(tree_cpu_ticks(pid)?.saturating_sub(cpu0)) / args.idle as f64 * 100.0;
    let idle_bytes = console.bytes_received() - bytes0;
    table.set(
        column,
        Row::IdleCpu,
        cpu,
        format!("{cpu:.2} %"),
        format!("over {} s", args.idle),
    );
    table.set(
        column,
        Row::IdleBytes,
        idle_bytes as f64,
        format!("{idle_bytes} B"),
        format!("over {} s", args.idle),
    );

    // One object changes in the cluster: bytes in the window after it, less
    // those of the same window just before.
    if let Some(kubectl) = &args.kubectl {
        let stamp = format!(
            "{}",
            std::time::UNIX_EPOCH
                .elapsed()
                .map(|d| d.as_millis())
                .unwrap_or(0)
        );
        let changes: [(Row, Vec<String>); 2] = [
            (
                Row::ChangePod,
                vec![
                    "-n",
                    "bench",
                    "annotate",
                    "pod",
                    "bench-0000-0",
                    "--overwrite",
                ]
                .into_iter()
                .map(str::to_owned)
                .chain([format!("bench.osctui.dev/touch={stamp}")])
                .collect(),
            ),
            (
                Row::ChangeInstance,
                vec![
                    "-n",
                    "bench",
                    "patch",
                    "benchsvc",
                    "bench-0000",
                    "--subresource=status",
                    "--type=merge",
                    "-p",
                ]
                .into_iter()
                .map(str::to_owned)
                // The phase: a column of every instance view (osctui's state,
                // the CRD's printer column in k9s and kubectl).
                .chain([r#"{"status":{"phase":"Degraded"}}"#.to_owned()])
                .collect(),
            ),
        ];
        for (row, change) in changes {
            let b0 = console.bytes_received();
            std::thread::sleep(CHANGE_WINDOW);
            let before = console.bytes_received() - b0;
            let b1 = console.bytes_received();
            let out = Command::new(kubectl)
                .arg("--kubeconfig")
                .arg(&args.kubeconfig)
                .args(&change)
                .output()
                .map_err(|e| e.to_string())?;
            if !out.status.success() {
                table.fail_row(column, row, &String::from_utf8_lossy(&out.stderr));
                continue;
            }
            std::thread::sleep(CHANGE_WINDOW);
            let after = console.bytes_received() - b1;
            let delta = after as i64 - before as i64;
            table.set(
                column,
                row,
                delta as f64,
                format!("{delta} B"),
                format!(
                    "{after} B in {} s after, {before} B before",
                    CHANGE_WINDOW.as_secs()
                ),
            );
        }
        // Put the instance back as seeded.
        let _ = Command::new(kubectl)
            .arg("--kubeconfig")
            .arg(&args.kubeconfig)
            .args([
                "-n",
                "bench",
                "patch",
                "benchsvc",
                "bench-0000",
                "--subresource=status",
                "--type=merge",
                "-p",
            ])
            .arg(r#"{"status":{"phase":"Running"}}"#)
            .output();
        std::thread::sleep(Duration::from_secs(1));
    }

    // Scrolling: blocks of SCROLL_BLOCK down then up, from the top.
    let mut frames: Vec<KeyFrame> = Vec::new();
    let mut silent = 0;
    for i in 0..SCROLL_KEYS {
        let down = (i / SCROLL_BLOCK).is_multiple_of(2);
        let key: &[u8] = if console.screen().application_cursor() {
            if down { b"\x1bOB" } else { b"\x1bOA" }
        } else if down {
            b"\x1b[B"
        } else {
            b"\x1b[A"
        };
        match key_to_frame(&console, key, Duration::from_secs(2)) {
            Ok(f) => frames.push(f),
            Err(_) => silent += 1,
        }
    }
    report_keys(
        table,
        column,
        &frames,
        silent,
        Row::ScrollFirst,
        Row::ScrollChanged,
        Row::ScrollQuiet,
    );
    if !frames.is_empty() {
        let mut bytes: Vec<u64> = frames.iter().map(|f| f.bytes).collect();
        bytes.sort_unstable();
        let m = bytes[bytes.len() / 2];
        table.set(
            column,
            Row::CursorBytes,
            m as f64,
            format!("{m} B"),
            format!("median of {}, max {}", bytes.len(), bytes[bytes.len() - 1]),
        );
    }

    // Filtering: `/`, then the name one key at a time.
    let screen_before = console.screen_text();
    let rows_before = screen_before
        .lines()
        .filter(|l| l.contains("bench-"))
        .count();
    let mut frames = Vec::new();
    let mut silent = 0;
    let _ = key_to_frame(&console, b"/", Duration::from_secs(2));
    std::thread::sleep(Duration::from_millis(200));
    for c in view.filter.chars() {
        match key_to_frame(&console, c.to_string().as_bytes(), Duration::from_secs(2)) {
            Ok(f) => frames.push(f),
            Err(_) => silent += 1,
        }
    }
    report_keys(
        table,
        column,
        &frames,
        silent,
        Row::FilterFirst,
        Row::FilterChanged,
        Row::FilterQuiet,
    );
    // Narrowed: every row naming a bench object names the target (the
    // prompt or title holds the typed text too), and a row besides it.
    let narrowed = wait_fast(&console, Duration::from_secs(5), |s| {
        let bench: Vec<&str> = s.lines().filter(|l| l.contains("bench-")).collect();
        bench.iter().all(|l| l.contains(&view.filter))
            && bench.iter().filter(|l| l.contains(&view.filter)).count() >= 2
    })
    .is_ok();
    table.note(
        column,
        format!(
            "filter {:?}: list narrowed from {rows_before} rows: {}",
            view.filter,
            if narrowed { "yes" } else { "NO" }
        ),
    );
    let _ = console.send(&view.filter_exit);
    std::thread::sleep(Duration::from_millis(300));
    table.set_kib(
        column,
        Row::RssPeak,
        tree_hwm_kib(pid)?,
        "VmHWM at the end of the session".into(),
    );
    let _ = console.kill();
    Ok(())
}

fn report_keys(
    table: &mut Table,
    column: &str,
    frames: &[KeyFrame],
    silent: usize,
    first: Row,
    changed: Row,
    quiet: Row,
) {
    if frames.is_empty() {
        table.fail_row(column, first, &format!("no answer to any of {silent} keys"));
        return;
    }
    let pct = |mut v: Vec<Duration>| -> (Duration, Duration, Duration) {
        v.sort();
        let n = v.len();
        (v[n / 2], v[(n * 99 / 100).min(n - 1)], v[n - 1])
    };
    let silent_note = if silent > 0 {
        format!("; {silent} keys without answer in 2 s")
    } else {
        String::new()
    };
    let (p50, p99, max) = pct(frames.iter().map(|f| f.first_byte).collect());
    table.set_time(
        column,
        first,
        p50,
        format!(
            "p99 {}, max {}, n={}{silent_note}",
            ms(p99),
            ms(max),
            frames.len()
        ),
    );
    let changed_v: Vec<Duration> = frames.iter().filter_map(|f| f.changed).collect();
    if changed_v.is_empty() {
        table.fail_row(column, changed, "screen never changed");
    } else {
        let n = changed_v.len();
        let (p50, p99, max) = pct(changed_v);
        table.set_time(
            column,
            changed,
            p50,
            format!("p99 {}, max {}, n={n}", ms(p99), ms(max)),
        );
    }
    let (p50, p99, max) = pct(frames.iter().map(|f| f.quiet).collect());
    table.set_time(
        column,
        quiet,
        p50,
        format!("p99 {}, max {}", ms(p99), ms(max)),
    );
}

struct KubectlRun {
    first_line: Duration,
    last_line: Duration,
    lines: usize,
    max_rss_kib: u64,
}

/// `kubectl get RESOURCE -A`: times to the first and last line (median of
/// `runs`) and the peak RSS of the process (getrusage through wait4).
fn measure_kubectl(
    kubectl: &PathBuf,
    kubeconfig: &str,
    resource: &str,
    runs: usize,
    timeout: Duration,
) -> Result<KubectlRun, String> {
    let mut firsts = Vec::new();
    let mut lasts = Vec::new();
    let mut lines = 0;
    let mut max_rss = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let mut child = Command::new(kubectl)
            .args(["--kubeconfig", kubeconfig, "get", resource, "-A"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut stderr = child.stderr.take().ok_or("no stderr")?;
        let reader = std::thread::spawn(move || {
            let mut first = None;
            let mut n = 0;
            for line in BufReader::new(stdout).split(b'\n') {
                if line.is_err() {
                    break;
                }
                first.get_or_insert_with(|| started.elapsed());
                n += 1;
            }
            (first, started.elapsed(), n)
        });
        let pid = child.id() as libc::pid_t;
        let waiter = std::thread::spawn(move || {
            let mut status = 0;
            // SAFETY: rusage is plain data, zero is a valid value.
            let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
            // SAFETY: pid is our own child, not yet reaped; both pointers
            // are valid for the call.
            let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
            (r, status, usage.ru_maxrss as u64)
        });
        let deadline = started + timeout;
        while !waiter.is_finished() {
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!("timed out after {} s", timeout.as_secs()));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let (r, status, rss) = waiter.join().map_err(|_| "wait4 panicked")?;
        let (first, last, n) = reader.join().map_err(|_| "reader panicked")?;
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        if r < 0 || status != 0 {
            return Err(format!("kubectl failed: {}", err.trim()));
        }
        firsts.push(first.ok_or("no output")?);
        lasts.push(last);
        lines = n;
        max_rss = max_rss.max(rss);
        // The child was reaped by wait4; dropping `child` does not wait.
        drop(child);
    }
    firsts.sort();
    lasts.sort();
    Ok(KubectlRun {
        first_line: firsts[runs / 2],
        last_line: lasts[runs / 2],
        lines,
        max_rss_kib: max_rss,
    })
}

/// `kubectl get --raw` of pods and instances as two parallel processes.
fn kubectl_raw_parallel(
    kubectl: &PathBuf,
    kubeconfig: &str,
    runs: usize,
) -> Result<Duration, String> {
    let mut times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        let spawn = |url: &str| {
            Command::new(kubectl)
                .args(["--kubeconfig", kubeconfig, "get", "--raw", url])
                .stdout(Stdio::null())
                .spawn()
                .map_err(|e| e.to_string())
        };
        let mut a = spawn("/api/v1/pods")?;
        let mut b = spawn("/apis/bench.osctui.dev/v1/benchsvcs")?;
        let (x, y) = (
            a.wait().map_err(|e| e.to_string())?,
            b.wait().map_err(|e| e.to_string())?,
        );
        if !x.success() || !y.success() {
            return Err("kubectl get --raw failed".into());
        }
        times.push(started.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

fn floor_ratio(floors: Option<&osctui_bench::RawList>, floor: Floor, t: Duration) -> String {
    let Some(raw) = floors else {
        return "no raw LIST".into();
    };
    let base = match floor {
        Floor::Pods => raw.pods,
        Floor::Instances => raw.instances,
        Floor::Both => raw.parallel,
    };
    format!(
        "{:.2}x the {} LIST",
        t.as_secs_f64() / base.as_secs_f64(),
        floor_name(floor)
    )
}

fn floor_name(floor: Floor) -> &'static str {
    match floor {
        Floor::Pods => "pods",
        Floor::Instances => "instances",
        Floor::Both => "pods+instances",
    }
}

fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Row {
    FirstFrame,
    InstancesShown,
    Complete,
    FirstFrameSmall,
    CompleteSmall,
    RssSteady,
    RssPeak,
    IdleCpu,
    IdleBytes,
    ScrollFirst,
    ScrollChanged,
    ScrollQuiet,
    CursorBytes,
    FilterFirst,
    FilterChanged,
    FilterQuiet,
    ChangePod,
    ChangeInstance,
}

impl Row {
    const ALL: [Row; 18] = [
        Row::FirstFrame,
        Row::InstancesShown,
        Row::Complete,
        Row::FirstFrameSmall,
        Row::CompleteSmall,
        Row::RssSteady,
        Row::RssPeak,
        Row::IdleCpu,
        Row::IdleBytes,
        Row::ScrollFirst,
        Row::ScrollChanged,
        Row::ScrollQuiet,
        Row::CursorBytes,
        Row::FilterFirst,
        Row::FilterChanged,
        Row::FilterQuiet,
        Row::ChangePod,
        Row::ChangeInstance,
    ];

    fn label(self) -> &'static str {
        match self {
            Row::FirstFrame => "launch to first painted frame",
            Row::InstancesShown => "launch to the instance rows on screen",
            Row::Complete => "launch to complete list (osctui: with pod health)",
            Row::FirstFrameSmall => "first frame, 80x24",
            Row::CompleteSmall => "complete list, 80x24",
            Row::RssSteady => "RSS steady (list + 5 s)",
            Row::RssPeak => "RSS peak (VmHWM)",
            Row::IdleCpu => "idle CPU (% of a core)",
            Row::IdleBytes => "bytes to the terminal while idle",
            Row::ScrollFirst => "scroll key to first byte, p50",
            Row::ScrollChanged => "scroll key to screen changed, p50",
            Row::ScrollQuiet => "scroll key to output quiet, p50",
            Row::CursorBytes => "bytes for the cursor moving one row",
            Row::FilterFirst => "filter key to first byte, p50",
            Row::FilterChanged => "filter key to screen changed, p50",
            Row::FilterQuiet => "filter key to output quiet, p50",
            Row::ChangePod => "bytes for one pod's annotation changing",
            Row::ChangeInstance => "bytes for one instance's phase changing (a visible row)",
        }
    }
}

/// One cell: the figure (for ratios; lower is better), its text, a note.
struct Cell {
    value: Option<f64>,
    text: String,
    note: String,
}

/// Rows x columns; columns in the order first set.
#[derive(Default)]
struct Table {
    columns: Vec<String>,
    cells: BTreeMap<(Row, String), Cell>,
    failures: BTreeMap<String, String>,
    notes: Vec<(String, String)>,
}

impl Table {
    fn column(&mut self, c: &str) {
        if !self.columns.iter().any(|x| x == c) {
            self.columns.push(c.to_owned());
        }
    }
    fn set(&mut self, c: &str, row: Row, value: f64, text: String, note: String) {
        self.column(c);
        self.cells.insert(
            (row, c.to_owned()),
            Cell {
                value: Some(value),
                text,
                note,
            },
        );
    }
    fn set_time(&mut self, c: &str, row: Row, d: Duration, note: String) {
        self.set(c, row, d.as_secs_f64(), ms(d), note);
    }
    fn set_kib(&mut self, c: &str, row: Row, kib: u64, note: String) {
        self.set(
            c,
            row,
            kib as f64,
            format!("{:.1} MB", kib as f64 / 1024.0),
            note,
        );
    }
    fn fail_row(&mut self, c: &str, row: Row, why: &str) {
        self.column(c);
        let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
        let why: String = why.chars().take(200).collect();
        self.cells.insert(
            (row, c.to_owned()),
            Cell {
                value: None,
                text: format!("failed: {}", why.replace('|', "/")),
                note: String::new(),
            },
        );
    }
    /// The whole tool failed: every row it has no figure for says why.
    fn fail(&mut self, c: &str, why: &str) {
        self.column(c);
        let why = why.split_whitespace().collect::<Vec<_>>().join(" ");
        self.failures.insert(
            c.to_owned(),
            why.chars().take(300).collect::<String>().replace('|', "/"),
        );
    }
    fn note(&mut self, c: &str, note: String) {
        self.column(c);
        self.notes.push((c.to_owned(), note));
    }

    fn print(&self) {
        print!("| measure |");
        for c in &self.columns {
            print!(" {c} |");
        }
        println!();
        print!("| --- |");
        for _ in &self.columns {
            print!(" --- |");
        }
        println!();
        for row in Row::ALL {
            if !self.cells.keys().any(|(r, _)| *r == row) {
                continue;
            }
            // Best peer: the lowest figure of a column other than osctui's
            // and the raw LIST's.
            let best_peer = self
                .columns
                .iter()
                .filter(|c| *c != "osctui" && *c != "raw LIST")
                .filter_map(|c| self.cells.get(&(row, c.clone())).and_then(|x| x.value))
                .filter(|v| *v > 0.0)
                .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.min(v))));
            print!("| {} |", row.label());
            for c in &self.columns {
                match self.cells.get(&(row, c.clone())) {
                    Some(cell) => {
                        let ratio = match (cell.value, best_peer) {
                            (Some(v), Some(b)) if c != "raw LIST" && v > 0.0 => {
                                format!(" ({:.2}x best peer)", v / b)
                            }
                            _ => String::new(),
                        };
                        print!(" {}{ratio}", cell.text);
                        if !cell.note.is_empty() {
                            print!("<br><sub>{}</sub>", cell.note.replace('|', "/"));
                        }
                        print!(" |");
                    }
                    None => match self.failures.get(c) {
                        Some(why) if row == Row::Complete => print!(" failed: {why} |"),
                        Some(_) => print!(" failed |"),
                        None => print!(" – |"),
                    },
                }
            }
            println!();
        }
        if !self.notes.is_empty() {
            println!();
            for (c, n) in &self.notes {
                println!("- {c}: {n}");
            }
        }
    }
}
