//! What the benchmark binaries share: their flag parser, a fast screen wait
//! and the memory and CPU of a process, read from /proc.

pub mod flags;

use std::time::{Duration, Instant};

use osctui_testkit::pty::Console;

/// Polls the screen every 0.5 ms (the harness's own wait polls at 20 ms,
/// too coarse for these figures).
pub fn wait_fast(
    console: &Console,
    timeout: Duration,
    pred: impl Fn(&str) -> bool,
) -> Result<(), String> {
    let started = Instant::now();
    loop {
        if pred(&console.screen_text()) {
            return Ok(());
        }
        if started.elapsed() > timeout {
            return Err(format!("timed out; screen:\n{}", console.screen_text()));
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// Resident memory of `pid`, KiB (VmRSS).
pub fn rss_kib(pid: u32) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| "no VmRSS".to_owned())
}

/// utime + stime of `pid` in clock ticks (1/100 s on Linux).
pub fn cpu_ticks(pid: u32) -> Result<u64, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).map_err(|e| e.to_string())?;
    // Fields after the command name (which may contain spaces).
    let rest = stat.rsplit_once(')').map(|(_, r)| r).ok_or("bad stat")?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let field = |i: usize| -> Result<u64, String> {
        fields
            .get(i)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| "bad stat".to_owned())
    };
    Ok(field(11)? + field(12)?)
}

/// Linux reports CPU time in clock ticks of 1/100 s.
pub fn ticks_to_secs(ticks: u64) -> f64 {
    ticks as f64 / 100.0
}

/// `pid` and every process descended from it (a TUI may start helpers,
/// e.g. a shell or a plugin), read from /proc.
pub fn process_tree(pid: u32) -> Vec<u32> {
    let mut parents: Vec<(u32, u32)> = Vec::new();
    if let Ok(entries) = std::fs::read_dir("/proc") {
        for entry in entries.flatten() {
            let Some(child) = entry.file_name().to_str().and_then(|n| n.parse().ok()) else {
                continue;
            };
            let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
                continue;
            };
            // The parent is the second field after the command name.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, r)| r.split_whitespace().nth(1))
                .and_then(|p| p.parse().ok());
            if let Some(ppid) = ppid {
                parents.push((child, ppid));
            }
        }
    }
    let mut tree = vec![pid];
    let mut i = 0;
    while i < tree.len() {
        let parent = tree[i];
        tree.extend(
            parents
                .iter()
                .filter(|&&(_, p)| p == parent)
                .map(|&(c, _)| c),
        );
        i += 1;
    }
    tree
}

fn status_kib(pid: u32, field: &str) -> Result<u64, String> {
    let status =
        std::fs::read_to_string(format!("/proc/{pid}/status")).map_err(|e| e.to_string())?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("no {field}"))
}

/// Resident memory of `pid` and its descendants, KiB (sum of VmRSS).
pub fn tree_rss_kib(pid: u32) -> Result<u64, String> {
    tree_sum(pid, rss_kib)
}

/// `read` of `pid` plus that of its descendants; a descendant that exits
/// meanwhile counts as 0.
fn tree_sum(pid: u32, read: impl Fn(u32) -> Result<u64, String>) -> Result<u64, String> {
    let mut total = read(pid)?;
    for child in process_tree(pid).into_iter().skip(1) {
        total += read(child).unwrap_or(0);
    }
    Ok(total)
}

/// Peak resident memory of `pid` and its descendants, KiB: the sum of each
/// process's VmHWM (an upper bound when the peaks were not simultaneous).
pub fn tree_hwm_kib(pid: u32) -> Result<u64, String> {
    tree_sum(pid, |p| status_kib(p, "VmHWM:"))
}

/// CPU time of `pid` and its live descendants, clock ticks.
pub fn tree_cpu_ticks(pid: u32) -> Result<u64, String> {
    tree_sum(pid, cpu_ticks)
}

/// What a key press cost: the time to the first byte of the answer, to the
/// screen showing something different, and to the output going quiet
/// (30 ms without a byte), and the bytes written until then.
#[derive(Clone, Copy, Debug)]
pub struct KeyFrame {
    pub first_byte: Duration,
    /// `None` when the screen (text and attributes) did not change.
    pub changed: Option<Duration>,
    pub quiet: Duration,
    pub bytes: u64,
}

/// Sends `key` and times the answer ([`KeyFrame`]); an error when nothing
/// is written within `timeout`.
pub fn key_to_frame(console: &Console, key: &[u8], timeout: Duration) -> Result<KeyFrame, String> {
    let screen_before = console.screen().contents_formatted();
    let before = console.bytes_received();
    let started = Instant::now();
    console.send(key).map_err(|e| e.to_string())?;
    while console.bytes_received() == before {
        if started.elapsed() > timeout {
            return Err(format!("no answer to key {key:?} within {timeout:?}"));
        }
        std::thread::sleep(Duration::from_micros(100));
    }
    let first_byte = started.elapsed();
    let mut changed = None;
    let mut last = console.bytes_received();
    let mut last_at = started.elapsed();
    loop {
        if changed.is_none() && console.screen().contents_formatted() != screen_before {
            changed = Some(started.elapsed());
        }
        std::thread::sleep(Duration::from_micros(200));
        let now = console.bytes_received();
        if now != last {
            last = now;
            last_at = started.elapsed();
        } else if started.elapsed() - last_at > Duration::from_millis(30) {
            break;
        }
        if started.elapsed() > timeout {
            break;
        }
    }
    Ok(KeyFrame {
        first_byte,
        changed,
        quiet: last_at,
        bytes: last - before,
    })
}

/// Times of the API server's own LISTs of the benchmark objects.
pub struct RawList {
    pub instances: Duration,
    pub pods: Duration,
    pub parallel: Duration,
    pub instance_count: usize,
    pub pod_count: usize,
}

/// Which of the benchmark's LISTs a figure is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Floor {
    Pods,
    Instances,
    Both,
}

const PODS_PATH: &str = "/api/v1/pods";
const INSTANCES_PATH: &str = "/apis/bench.osctui.dev/v1/benchsvcs";

/// The raw LIST taken once right before each launch of a tool, so that a
/// launch and its floor see the same moment of a machine whose LIST time
/// drifts by hundreds of milliseconds between minutes (docs/performance.md).
/// One client with its connections kept: the LIST's own time, as
/// [`raw_list`] measures it.
pub struct PairedFloor {
    runtime: tokio::runtime::Runtime,
    client: kube::Client,
}

impl PairedFloor {
    pub fn new(kubeconfig: &str) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let client = runtime.block_on(client_for(kubeconfig))?;
        let floor = Self { runtime, client };
        // The connections are opened here, not in the first pair.
        floor.once(Floor::Both)?;
        Ok(floor)
    }

    /// One LIST of `floor` (both in parallel for [`Floor::Both`]).
    pub fn once(&self, floor: Floor) -> Result<Duration, String> {
        let client = &self.client;
        self.runtime.block_on(async {
            let started = Instant::now();
            match floor {
                Floor::Pods => drop(list_text(client, PODS_PATH).await?),
                Floor::Instances => drop(list_text(client, INSTANCES_PATH).await?),
                Floor::Both => {
                    let (a, b) = tokio::join!(
                        list_text(client, INSTANCES_PATH),
                        list_text(client, PODS_PATH)
                    );
                    a?;
                    b?;
                }
            }
            Ok(started.elapsed())
        })
    }
}

async fn client_for(kubeconfig: &str) -> Result<kube::Client, String> {
    let config = kube::config::Kubeconfig::read_from(kubeconfig).map_err(|e| e.to_string())?;
    let config = kube::Config::from_custom_kubeconfig(config, &Default::default())
        .await
        .map_err(|e| e.to_string())?;
    kube::Client::try_from(config).map_err(|e| e.to_string())
}

/// A LIST's whole body as text.
async fn list_text(client: &kube::Client, path: &str) -> Result<String, String> {
    let request = http::Request::get(path)
        .body(Vec::new())
        .map_err(|e| e.to_string())?;
    client
        .request_text(request)
        .await
        .map_err(|e| e.to_string())
}

/// The API server's own LIST time, for the same objects the console needs
/// for its list: the instances and their pods, each alone and both in
/// parallel (median of `runs`), through one in-process client.
pub async fn raw_list(kubeconfig: &str, runs: usize) -> Result<RawList, String> {
    let runs = runs.max(1);
    let client = client_for(kubeconfig).await?;
    let get = |path: &'static str| {
        let client = client.clone();
        async move {
            let started = Instant::now();
            let text = list_text(&client, path).await?;
            Ok::<_, String>((
                started.elapsed(),
                text.matches("\"resourceVersion\"")
                    .count()
                    .saturating_sub(1),
            ))
        }
    };
    let (instances_path, pods_path) = (INSTANCES_PATH, PODS_PATH);
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
