//! Pseudo-terminal test harness: run a program (typically the `osctui`
//! binary) in a real pseudo-terminal, type at it, and read its screen back
//! through a vt100 emulator.
//!
//! ```ignore
//! use std::path::Path;
//! use std::time::Duration;
//! use osctui_testkit::pty::Console;
//!
//! let console = Console::spawn(Path::new(env!("CARGO_BIN_EXE_osctui")), &[], &[], 120, 40)?;
//! console.wait_for("Instances", Duration::from_secs(10))?;
//! console.key_down()?;
//! console.key_enter()?;
//! let screen = console.wait_for("Details", Duration::from_secs(5))?;
//! ```
//!
//! A background thread reads everything the child writes and feeds it to a
//! [`vt100::Parser`]; every query method looks at that parser's current
//! state. The emulator answers the two queries a terminal application may
//! block on at start-up (cursor position report, `ESC [ 6 n`, and primary
//! device attributes, `ESC [ c`), as a real terminal would.
//!
//! Dropping a [`Console`] kills the child (and its process group) and joins
//! the reader thread, waiting at most [`READER_JOIN_TIMEOUT`] for it.

use std::io::{self, Read, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize};

pub use portable_pty::ExitStatus;
pub use vt100;

/// How often the `wait_*` methods look at the screen again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(20);

/// The longest [`Console`]'s `Drop` (and [`Console::kill`]) waits for the
/// reader thread to finish before leaving it detached.
pub const READER_JOIN_TIMEOUT: Duration = Duration::from_secs(2);

/// Value of `TERM` given to the child unless `env` overrides it.
pub const DEFAULT_TERM: &str = "xterm-256color";

/// Locks a mutex, recovering the data if another thread panicked while
/// holding it (the harness state stays meaningful in that case).
fn lock<T: ?Sized>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// vt100 callbacks that collect the replies a real terminal would send back
/// to the application for the queries it makes.
#[derive(Default)]
struct Replies {
    pending: Vec<u8>,
}

impl vt100::Callbacks for Replies {
    fn unhandled_csi(
        &mut self,
        screen: &mut vt100::Screen,
        i1: Option<u8>,
        _i2: Option<u8>,
        params: &[&[u16]],
        c: char,
    ) {
        let first = params.first().and_then(|p| p.first()).copied();
        match (i1, c, first) {
            // DSR 6: cursor position report, 1-based.
            (None, 'n', Some(6)) => {
                let (row, col) = screen.cursor_position();
                self.pending.extend_from_slice(
                    format!("\x1b[{};{}R", u32::from(row) + 1, u32::from(col) + 1).as_bytes(),
                );
            }
            // DSR 5: device status, "OK".
            (None, 'n', Some(5)) => self.pending.extend_from_slice(b"\x1b[0n"),
            // DA1: a VT102-class terminal.
            (None, 'c', None | Some(0)) => self.pending.extend_from_slice(b"\x1b[?6c"),
            _ => {}
        }
    }
}

/// State shared between the [`Console`] and its reader thread.
struct Shared {
    parser: Mutex<vt100::Parser<Replies>>,
    bytes: AtomicU64,
    first_output: OnceLock<Duration>,
    reader_done: AtomicBool,
    /// Every byte the child wrote, as written (up to [`RAW_CAP`]).
    raw: Mutex<Vec<u8>>,
}

/// The most raw output a [`Console`] keeps (see [`Console::raw_output`]).
pub const RAW_CAP: usize = 64 * 1024 * 1024;

/// A child process running in a pseudo-terminal, with a vt100 parser fed by
/// a background reader thread with everything the child writes.
///
/// All methods take `&self`, so a `Console` can be shared between threads.
pub struct Console {
    shared: Arc<Shared>,
    master: Mutex<Box<dyn MasterPty + Send>>,
    writer: Arc<Mutex<Box<dyn Write + Send>>>,
    child: Mutex<Box<dyn Child + Send + Sync>>,
    exit: OnceLock<ExitStatus>,
    pid: Option<u32>,
    reader: Mutex<Option<JoinHandle<()>>>,
    spawned_at: Instant,
    program: String,
}

impl std::fmt::Debug for Console {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Console")
            .field("program", &self.program)
            .field("pid", &self.pid)
            .field("bytes_received", &self.bytes_received())
            .finish_non_exhaustive()
    }
}

fn size_of(cols: u16, rows: u16) -> io::Result<(std::num::NonZeroU16, std::num::NonZeroU16)> {
    match (
        std::num::NonZeroU16::new(cols),
        std::num::NonZeroU16::new(rows),
    ) {
        (Some(c), Some(r)) => Ok((c, r)),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("terminal size must be non-zero, got {cols}x{rows}"),
        )),
    }
}

fn pty_error(what: &str, err: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("{what}: {err:#}"))
}

impl Console {
    /// Starts `program` with `args` in a new pseudo-terminal of `cols` x
    /// `rows` cells.
    ///
    /// The child inherits this process's environment and working directory,
    /// with `TERM=xterm-256color` and then every `(name, value)` of `env`
    /// added on top (so `env` may override `TERM`). The child is a session
    /// leader with the pseudo-terminal as its controlling terminal.
    pub fn spawn(
        program: &Path,
        args: &[&str],
        env: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> io::Result<Console> {
        let (ncols, nrows) = size_of(cols, rows)?;
        let pty_system = portable_pty::native_pty_system();
        let pair = pty_system
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| pty_error("cannot open a pseudo-terminal", e))?;

        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        if let Ok(cwd) = std::env::current_dir() {
            cmd.cwd(cwd);
        }
        cmd.env("TERM", DEFAULT_TERM);
        for (name, value) in env {
            cmd.env(name, value);
        }

        let spawned_at = Instant::now();
        let child = pair
            .slave
            .spawn_command(cmd)
            .map_err(|e| pty_error(&format!("cannot start {}", program.display()), e))?;
        // Only the child may hold the slave side open, or reading the master
        // would never report the end of output.
        drop(pair.slave);
        let pid = child.process_id();

        let mut reader = pair
            .master
            .try_clone_reader()
            .map_err(|e| pty_error("cannot read the pseudo-terminal", e))?;
        let writer = pair
            .master
            .take_writer()
            .map_err(|e| pty_error("cannot write the pseudo-terminal", e))?;
        let writer: Arc<Mutex<Box<dyn Write + Send>>> = Arc::new(Mutex::new(writer));

        let shared = Arc::new(Shared {
            parser: Mutex::new(vt100::Parser::new_with_callbacks(
                nrows,
                ncols,
                0,
                Replies::default(),
            )),
            bytes: AtomicU64::new(0),
            first_output: OnceLock::new(),
            reader_done: AtomicBool::new(false),
            raw: Mutex::new(Vec::new()),
        });

        let thread_shared = Arc::clone(&shared);
        let thread_writer = Arc::clone(&writer);
        let handle = std::thread::Builder::new()
            .name("pty-reader".into())
            .spawn(move || {
                let mut buf = [0u8; 8192];
                loop {
                    match reader.read(&mut buf) {
                        // EOF, or EIO once every slave descriptor is closed.
                        Ok(0) => break,
                        Ok(n) => {
                            let _ = thread_shared.first_output.set(spawned_at.elapsed());
                            let replies = {
                                let mut parser = lock(&thread_shared.parser);
                                thread_shared.bytes.fetch_add(n as u64, Ordering::SeqCst);
                                parser.process(&buf[..n]);
                                let mut raw = lock(&thread_shared.raw);
                                let room = RAW_CAP.saturating_sub(raw.len());
                                raw.extend_from_slice(&buf[..n.min(room)]);
                                std::mem::take(&mut parser.callbacks_mut().pending)
                            };
                            if !replies.is_empty() {
                                let mut w = lock(&thread_writer);
                                let _ = w.write_all(&replies).and_then(|()| w.flush());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
                thread_shared.reader_done.store(true, Ordering::SeqCst);
            })?;

        Ok(Console {
            shared,
            master: Mutex::new(pair.master),
            writer,
            child: Mutex::new(child),
            exit: OnceLock::new(),
            pid,
            reader: Mutex::new(Some(handle)),
            spawned_at,
            program: program.display().to_string(),
        })
    }

    /// The visible screen as text: one line per row joined by `'\n'`, each
    /// with its trailing spaces removed (wide characters appear once).
    pub fn screen_text(&self) -> String {
        let parser = lock(&self.shared.parser);
        let screen = parser.screen();
        let (_, cols) = screen.size();
        screen
            .rows(0, cols.get())
            .map(|row| row.trim_end().to_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Waits until the screen contains `needle`; returns that screen's text
    /// ([`Console::screen_text`]). On timeout, or when the child's output
    /// has ended without it, the error message includes the whole screen.
    pub fn wait_for(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        self.wait_until(&format!("{needle:?} on screen"), timeout, |s| {
            s.contains(needle)
        })
    }

    /// Waits until the screen no longer contains `needle`; returns that
    /// screen's text. Errors as [`Console::wait_for`].
    pub fn wait_gone(&self, needle: &str, timeout: Duration) -> Result<String, String> {
        self.wait_until(&format!("{needle:?} gone from screen"), timeout, |s| {
            !s.contains(needle)
        })
    }

    /// Waits until `pred` holds for the screen's text, looking every
    /// [`POLL_INTERVAL`]; returns that text. `what` describes the condition
    /// in the error message, which also has the whole screen. Fails early
    /// when the child's output has ended (the screen can no longer change).
    pub fn wait_until(
        &self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Result<String, String> {
        let deadline = Instant::now() + timeout;
        loop {
            // Read the flag before the screen: if output had ended, this
            // screen is final.
            let ended = self.shared.reader_done.load(Ordering::SeqCst);
            let text = self.screen_text();
            if pred(&text) {
                return Ok(text);
            }
            if ended {
                return Err(self.failure(what, "the child's output ended", &text));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(self.failure(what, &format!("timed out after {timeout:?}"), &text));
            }
            std::thread::sleep(POLL_INTERVAL.min(deadline - now));
        }
    }

    fn failure(&self, what: &str, why: &str, text: &str) -> String {
        let state = match self.try_exit_status() {
            Some(status) => format!("exited: {status}"),
            None => "running".to_owned(),
        };
        let (rows, cols) = {
            let parser = lock(&self.shared.parser);
            let (r, c) = parser.screen().size();
            (r.get(), c.get())
        };
        let rule = "-".repeat(usize::from(cols));
        let mut msg = format!(
            "waiting for {what}: {why} ({} {state}, {} bytes received, {:?} since spawn); \
             screen {cols}x{rows}:\n+{rule}+\n",
            self.program,
            self.bytes_received(),
            self.since_spawn(),
        );
        for line in text.split('\n') {
            msg.push('|');
            msg.push_str(line);
            msg.push('\n');
        }
        msg.push('+');
        msg.push_str(&rule);
        msg.push('+');
        msg
    }

    /// Writes `bytes` to the terminal, as if typed (the child reads them from
    /// its standard input).
    pub fn send(&self, bytes: &[u8]) -> io::Result<()> {
        let mut w = lock(&self.writer);
        w.write_all(bytes)?;
        w.flush()
    }

    /// Writes `bytes` to the pseudo-terminal's device, as another program
    /// sharing the terminal would (`wall`, a background job, `echo >
    /// /dev/pts/N`): they reach the screen without the child knowing.
    pub fn write_to_terminal(&self, bytes: &[u8]) -> io::Result<()> {
        use std::os::unix::fs::OpenOptionsExt as _;
        let path = lock(&self.master)
            .tty_name()
            .ok_or_else(|| io::Error::other("the pseudo-terminal has no device name"))?;
        // O_NOCTTY: the device must not become this process's terminal.
        let mut tty = std::fs::OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NOCTTY)
            .open(&path)?;
        tty.write_all(bytes)?;
        tty.flush()
    }

    /// Types `text` as is (no key translation; `"\r"` is Enter).
    pub fn send_keys(&self, text: &str) -> io::Result<()> {
        self.send(text.as_bytes())
    }

    /// Presses Enter (`CR`).
    pub fn key_enter(&self) -> io::Result<()> {
        self.send(b"\r")
    }

    /// Presses Escape (`ESC`).
    pub fn key_esc(&self) -> io::Result<()> {
        self.send(b"\x1b")
    }

    /// Presses Tab (`HT`).
    pub fn key_tab(&self) -> io::Result<()> {
        self.send(b"\t")
    }

    /// Presses the Down arrow: `ESC [ B`, or `ESC O B` when the child has
    /// turned on application cursor keys (DECCKM), as xterm does.
    pub fn key_down(&self) -> io::Result<()> {
        self.send(&self.cursor_key(b'B'))
    }

    /// Presses the Up arrow: `ESC [ A`, or `ESC O A` in application cursor
    /// key mode.
    pub fn key_up(&self) -> io::Result<()> {
        self.send(&self.cursor_key(b'A'))
    }

    fn cursor_key(&self, final_byte: u8) -> [u8; 3] {
        let application = lock(&self.shared.parser).screen().application_cursor();
        [0x1b, if application { b'O' } else { b'[' }, final_byte]
    }

    /// Resizes the terminal to `cols` x `rows`: the emulator's screen first,
    /// then the pseudo-terminal (which sends `SIGWINCH` to the child).
    pub fn resize(&self, cols: u16, rows: u16) -> io::Result<()> {
        let (ncols, nrows) = size_of(cols, rows)?;
        lock(&self.shared.parser)
            .screen_mut()
            .set_size(nrows, ncols);
        lock(&self.master)
            .resize(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| pty_error("cannot resize the pseudo-terminal", e))
    }

    /// Total number of bytes the child has written to the terminal so far
    /// (after the terminal's output processing, e.g. `\n` -> `\r\n`).
    pub fn bytes_received(&self) -> u64 {
        self.shared.bytes.load(Ordering::SeqCst)
    }

    /// Everything the child has written so far, byte for byte, before the
    /// emulator interpreted it (at most [`RAW_CAP`] bytes): for checking
    /// which escape sequences reached the terminal.
    pub fn raw_output(&self) -> Vec<u8> {
        lock(&self.shared.raw).clone()
    }

    /// Time from spawning to the first byte of output, if any came yet.
    pub fn first_output_after(&self) -> Option<Duration> {
        self.shared.first_output.get().copied()
    }

    /// Time elapsed since the child was spawned.
    pub fn since_spawn(&self) -> Duration {
        self.spawned_at.elapsed()
    }

    /// A copy of the emulator's current screen (cells with their colours and
    /// attributes), e.g. for rendering a screenshot.
    pub fn screen(&self) -> vt100::Screen {
        lock(&self.shared.parser).screen().clone()
    }

    /// The child's process id, if the platform reports one.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Whether the child's output has ended (it exited and every process
    /// holding the terminal closed it); the screen can no longer change.
    pub fn output_ended(&self) -> bool {
        self.shared.reader_done.load(Ordering::SeqCst)
    }

    fn try_exit_status(&self) -> Option<ExitStatus> {
        if let Some(status) = self.exit.get() {
            return Some(status.clone());
        }
        match lock(&self.child).try_wait() {
            Ok(Some(status)) => Some(self.exit.get_or_init(|| status).clone()),
            _ => None,
        }
    }

    /// Waits up to `timeout` for the child to exit; its exit status, or
    /// `None` if it is still running.
    pub fn exit_status(&self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_exit_status() {
                return Some(status);
            }
            let now = Instant::now();
            if now >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10).min(deadline - now));
        }
    }

    /// Whether the child is still running.
    pub fn is_alive(&self) -> bool {
        self.try_exit_status().is_none()
    }

    /// Kills the child with `SIGKILL`, together with every process of its
    /// process group and of the terminal's foreground process group, reaps
    /// it, and joins the reader thread (waiting at most
    /// [`READER_JOIN_TIMEOUT`]). Calling it again is harmless.
    pub fn kill(&self) -> io::Result<()> {
        let mut result = Ok(());
        if self.exit.get().is_none() {
            let foreground = lock(&self.master).process_group_leader();
            let groups = self
                .pid
                .and_then(|p| i32::try_from(p).ok())
                .into_iter()
                .chain(foreground)
                .filter(|&g| g > 1);
            for group in groups {
                // SAFETY: kill(2) with a negative pid only sends a signal to
                // a process group; it touches no memory of this process.
                unsafe {
                    libc::kill(-group, libc::SIGKILL);
                }
            }
            let mut child = lock(&self.child);
            // The group kill covers the child; this is for platforms
            // where it has no process group of its own.
            if let Err(e) = child.kill()
                && child.try_wait().ok().flatten().is_none()
            {
                result = Err(e);
            }
            if let Ok(status) = child.wait() {
                let _ = self.exit.set(status);
            }
        }
        self.join_reader();
        result
    }

    fn join_reader(&self) {
        let Some(handle) = lock(&self.reader).take() else {
            return;
        };
        let deadline = Instant::now() + READER_JOIN_TIMEOUT;
        while !handle.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if handle.is_finished() {
            let _ = handle.join();
        }
        // Otherwise some process still holds the terminal open: leave the
        // thread detached; it ends when that process closes it.
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.kill();
    }
}

/// The osctui binary started on the sandbox for an end-to-end test, with a
/// private home: its own config, data directory and log file, so the
/// developer's settings never change what a test sees.
pub struct OsctuiSession {
    /// The console in its pseudo-terminal.
    pub console: Console,
    /// A client of the same sandbox, for arranging what the test needs.
    pub client: kube::Client,
    /// The private home (`config/`, `data/`, `osctui.log`).
    pub home: std::path::PathBuf,
}

impl OsctuiSession {
    /// Starts `binary` (the test's `env!("CARGO_BIN_EXE_osctui")`) with
    /// `--kubeconfig <sandbox>` plus `args`, without colours (`NO_COLOR`).
    /// None when the sandbox is not there (which fails under CI=true, in
    /// [`crate::sandbox_client`]).
    pub async fn start(binary: &Path, args: &[&str], cols: u16, rows: u16) -> Option<Self> {
        let kubeconfig = crate::sandbox_kubeconfig_path();
        Self::start_as(binary, &kubeconfig, args, cols, rows).await
    }

    /// As [`OsctuiSession::start`], with another kubeconfig of the sandbox
    /// (a restricted user's); `client` stays the administrator's.
    pub async fn start_as(
        binary: &Path,
        kubeconfig: &Path,
        args: &[&str],
        cols: u16,
        rows: u16,
    ) -> Option<Self> {
        let client = crate::sandbox_client().await?;
        let kubeconfig = kubeconfig.to_string_lossy().into_owned();
        let mut all = vec!["--kubeconfig", kubeconfig.as_str()];
        all.extend_from_slice(args);
        let home = std::env::temp_dir().join(crate::unique_name("osctui-e2e"));
        let config = home.join("config");
        let _ = std::fs::create_dir_all(&config);
        let console = Console::spawn(
            binary,
            &all,
            &[
                ("OSCTUI_CONFIG_DIR", &config.to_string_lossy()),
                ("OSCTUI_DATA_DIR", &home.join("data").to_string_lossy()),
                ("OSCTUI_CACHE_DIR", &home.join("cache").to_string_lossy()),
                ("OSCTUI_LOG", &home.join("osctui.log").to_string_lossy()),
                ("NO_COLOR", ""),
            ],
            cols,
            rows,
        )
        .unwrap_or_else(|err| panic!("cannot start osctui in a pty: {err}"));
        Some(Self {
            console,
            client,
            home,
        })
    }
}

/// The screen text of a wait that must succeed, or the test fails with
/// what was on screen instead.
pub fn ok(result: Result<String, String>) -> String {
    result.unwrap_or_else(|err| panic!("{err}"))
}

/// Lets the console draw before the next key.
pub fn pause(ms: u64) {
    std::thread::sleep(std::time::Duration::from_millis(ms));
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: Duration = Duration::from_secs(10);

    fn sh(script: &str, cols: u16, rows: u16) -> Console {
        Console::spawn(Path::new("/bin/sh"), &["-c", script], &[], cols, rows).unwrap()
    }

    #[test]
    fn wait_for_sees_output_and_colours() {
        let c = sh(r"printf '\033[31mhello\033[0m world\n'; sleep 5", 40, 5);
        let text = c.wait_for("hello world", T).unwrap();
        assert_eq!(text.lines().next(), Some("hello world"));
        let screen = c.screen();
        let cell = screen.cell(0, 0).unwrap();
        assert_eq!(cell.contents(), "h");
        assert_eq!(cell.fgcolor(), vt100::Color::Idx(1));
        assert_eq!(screen.cell(0, 6).unwrap().fgcolor(), vt100::Color::Default);
        assert!(c.is_alive());
    }

    #[test]
    fn wait_for_times_out_with_screen_dump() {
        let c = sh("printf 'something else'; sleep 5", 20, 3);
        c.wait_for("else", T).unwrap();
        let err = c
            .wait_for("never there", Duration::from_millis(100))
            .unwrap_err();
        assert!(err.contains("timed out after 100ms"), "{err}");
        assert!(err.contains("|something else\n"), "{err}");
        assert!(err.contains("\"never there\" on screen"), "{err}");
    }

    #[test]
    fn wait_fails_early_when_output_ends() {
        let c = sh("printf bye", 20, 3);
        let started = Instant::now();
        let err = c.wait_for("never there", T).unwrap_err();
        assert!(err.contains("output ended"), "{err}");
        assert!(err.contains("|bye"), "{err}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn send_keys_reaches_the_child() {
        let c = sh(
            r#"printf 'name? '; read line; printf 'got:%s\n' "$line"; sleep 5"#,
            40,
            5,
        );
        c.wait_for("name?", T).unwrap();
        c.send_keys("abc").unwrap();
        c.key_enter().unwrap();
        let text = c.wait_for("got:abc", T).unwrap();
        // The terminal echoes what was typed.
        assert!(text.starts_with("name? abc\ngot:abc"), "{text}");
        c.wait_until("two lines", T, |s| s.lines().count() >= 2)
            .unwrap();
    }

    #[test]
    fn keys_use_xterm_sequences() {
        let script = r"stty raw -echo; printf 'ready\n'; head -c 5 | od -An -tx1; \
                       printf '\033[?1h'; printf 'app\n'; head -c 3 | od -An -tx1; sleep 5";
        let c = sh(script, 60, 8);
        c.wait_for("ready", T).unwrap();
        c.key_down().unwrap();
        c.key_tab().unwrap();
        c.key_esc().unwrap();
        c.wait_for("1b 5b 42 09 1b", T).unwrap();
        c.wait_for("app", T).unwrap();
        c.key_up().unwrap();
        c.wait_for("1b 4f 41", T).unwrap();
    }

    #[test]
    fn resize_changes_pty_and_screen() {
        let c = sh("stty size; read x; stty size; sleep 5", 80, 24);
        c.wait_for("24 80", T).unwrap();
        c.resize(100, 30).unwrap();
        let (rows, cols) = c.screen().size();
        assert_eq!((rows.get(), cols.get()), (30, 100));
        c.key_enter().unwrap();
        c.wait_for("30 100", T).unwrap();
        assert!(c.resize(0, 10).is_err());
    }

    #[test]
    fn counts_bytes_and_times_first_output() {
        let c = sh("sleep 0.05; printf abcdef", 20, 3);
        c.wait_for("abcdef", T).unwrap();
        assert_eq!(c.exit_status(T).map(|s| s.exit_code()), Some(0));
        let deadline = Instant::now() + T;
        while !c.output_ended() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(c.bytes_received(), 6);
        let first = c.first_output_after().unwrap();
        assert!(first >= Duration::from_millis(40), "{first:?}");
        assert!(first <= c.since_spawn());
    }

    #[test]
    fn env_and_term_reach_the_child() {
        let c = Console::spawn(
            Path::new("/bin/sh"),
            &["-c", r#"printf '%s/%s\n' "$TERM" "$OSCTUI_PTY_TEST""#],
            &[("OSCTUI_PTY_TEST", "yes")],
            40,
            3,
        )
        .unwrap();
        c.wait_for("xterm-256color/yes", T).unwrap();
    }

    #[test]
    fn answers_cursor_position_queries() {
        // Ask for the cursor position and print the reply's bytes.
        let script = r"stty raw -echo; printf 'abc\033[6n'; head -c 6 | od -An -c; sleep 5";
        let c = sh(script, 40, 5);
        // Row 1, column 4: ESC [ 1 ; 4 R
        c.wait_for("033   [   1   ;   4   R", T).unwrap();
    }

    #[test]
    fn exit_status_and_is_alive() {
        let c = sh("exit 3", 20, 3);
        let status = c.exit_status(T).unwrap();
        assert_eq!(status.exit_code(), 3);
        assert!(!c.is_alive());
        assert!(c.first_output_after().is_none());
    }

    #[test]
    fn kill_and_drop_do_not_hang() {
        // The shell ignores SIGHUP and has a background child holding the
        // terminal open: only the process-group SIGKILL ends both.
        let c = sh("trap '' HUP; sleep 30 & printf started; wait", 20, 3);
        c.wait_for("started", T).unwrap();
        let started = Instant::now();
        c.kill().unwrap();
        assert!(!c.is_alive());
        assert!(c.output_ended());
        drop(c);
        assert!(started.elapsed() < Duration::from_secs(1));

        let c = sh("sleep 30", 20, 3);
        let started = Instant::now();
        drop(c);
        assert!(started.elapsed() < Duration::from_secs(1));
    }

    #[test]
    fn spawn_reports_missing_program() {
        let err = Console::spawn(Path::new("/nonexistent/program"), &[], &[], 20, 3).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/program"), "{err}");
        assert!(Console::spawn(Path::new("/bin/sh"), &[], &[], 0, 3).is_err());
    }
}
