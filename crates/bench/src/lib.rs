//! What the benchmark binaries share: a fast screen wait and the memory
//! and CPU of a process, read from /proc.

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
