//! End to end: how the real `osctui` binary ends when its session does.
//! SIGTERM and SIGHUP make it exit at once with the terminal restored (main
//! screen, cursor shown, mouse reporting off); closing the terminal (an SSH
//! session that drops: the kernel sends SIGHUP and reads return EOF/EIO)
//! ends it too, with nothing of its process group left running; and a panic
//! restores the terminal before its report is printed.
//!
//! None of these need the sandbox: the console is pointed at an API server
//! that refuses connections, which it shows as a banner and keeps running.

use std::io::{self, Read};
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use osctui_testkit::pty::{Console, vt100};

/// "Promptly": the process must be gone this soon after the signal.
const EXIT: Duration = Duration::from_secs(2);
/// The first frame (no network call comes before it).
const START: Duration = Duration::from_secs(20);

/// A private home and a kubeconfig whose API server refuses connections.
fn home() -> PathBuf {
    let home = std::env::temp_dir().join(osctui_testkit::unique_name("osctui-signals"));
    std::fs::create_dir_all(home.join("config")).unwrap();
    std::fs::write(
        home.join("kubeconfig"),
        "apiVersion: v1\nkind: Config\ncurrent-context: nowhere\n\
         clusters: [{name: nowhere, cluster: {server: 'https://127.0.0.1:9'}}]\n\
         users: [{name: nobody, user: {token: none}}]\n\
         contexts: [{name: nowhere, context: {cluster: nowhere, user: nobody}}]\n",
    )
    .unwrap();
    home
}

fn env_of(home: &Path) -> Vec<(String, String)> {
    vec![
        (
            "OSCTUI_CONFIG_DIR".into(),
            home.join("config").display().to_string(),
        ),
        (
            "OSCTUI_DATA_DIR".into(),
            home.join("data").display().to_string(),
        ),
        (
            "OSCTUI_LOG".into(),
            home.join("osctui.log").display().to_string(),
        ),
        ("NO_COLOR".into(), String::new()),
    ]
}

fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_osctui"))
}

/// Starts osctui in a testkit console and waits for its first frame on the
/// alternate screen.
fn start() -> (Console, PathBuf) {
    let home = home();
    let kubeconfig = home.join("kubeconfig").display().to_string();
    let env = env_of(&home);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let console = Console::spawn(binary(), &["--kubeconfig", &kubeconfig], &env, 100, 30)
        .unwrap_or_else(|err| panic!("cannot start osctui in a pty: {err}"));
    let deadline = Instant::now() + START;
    loop {
        let screen = console.screen();
        if screen.alternate_screen() && !console.screen_text().trim().is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline && console.is_alive(),
            "no first frame on the alternate screen:\n{}",
            console.screen_text()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    (console, home)
}

/// Whether any process of the group `pgid` is still there.
fn group_alive(pgid: u32) -> bool {
    let Ok(pgid) = i32::try_from(pgid) else {
        return false;
    };
    // SAFETY: signal 0 only checks for existence; nothing is delivered.
    unsafe { libc::kill(-pgid, 0) == 0 }
}

fn signal_ends_and_restores(signal: libc::c_int, name: &str) {
    let (console, home) = start();
    let pid = console.pid().expect("the child's pid");
    let sent = Instant::now();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(i32::try_from(pid).unwrap(), signal) },
        0
    );
    let status = console.exit_status(EXIT);
    let took = sent.elapsed();
    assert!(
        status.is_some(),
        "osctui still running {took:?} after {name}:\n{}",
        console.screen_text()
    );
    eprintln!("{name}: exited in {took:?} with {status:?}");
    // Let the reader take the last bytes.
    let deadline = Instant::now() + EXIT;
    while !console.output_ended() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let screen = console.screen();
    assert!(
        !screen.alternate_screen(),
        "{name}: still on the alternate screen"
    );
    assert!(!screen.hide_cursor(), "{name}: the cursor is still hidden");
    assert_eq!(
        screen.mouse_protocol_mode(),
        vt100::MouseProtocolMode::None,
        "{name}: mouse reporting left on"
    );
    assert!(
        !group_alive(pid),
        "{name}: a process of osctui's group is still running"
    );
    // A signal is a normal way out: no error report on the shell's screen.
    let text = console.screen_text();
    assert!(!text.contains("Error"), "{name}: {text}");
    let _ = std::fs::remove_dir_all(home);
}

#[test]
fn sigterm_exits_promptly_and_restores_the_terminal() {
    signal_ends_and_restores(libc::SIGTERM, "SIGTERM");
}

#[test]
fn sighup_exits_promptly_and_restores_the_terminal() {
    signal_ends_and_restores(libc::SIGHUP, "SIGHUP");
}

/// A pseudo-terminal whose master side this test alone holds (one file
/// descriptor, no reader thread with a copy), so closing it is a real
/// hang-up, as when sshd goes away.
struct RawPty {
    master: Option<OwnedFd>,
    parser: vt100::Parser,
    child: std::process::Child,
}

impl RawPty {
    fn spawn(program: &Path, args: &[&str], env: &[(String, String)]) -> io::Result<Self> {
        let (mut master, mut slave) = (0, 0);
        let size = libc::winsize {
            ws_row: 30,
            ws_col: 100,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: openpty writes two descriptors into the given ints; the
        // name and termios pointers may be null.
        let rc = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                &size,
            )
        };
        if rc != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both descriptors were just opened and are owned here only.
        let (master, slave) =
            unsafe { (OwnedFd::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        // The child must not inherit the master, or closing ours hangs up nothing.
        // SAFETY: fcntl on a descriptor we own.
        unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env("TERM", "xterm-256color")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::from(slave.try_clone()?))
            .stdout(Stdio::from(slave.try_clone()?))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec: a new
        // session whose controlling terminal is the pty (stdin).
        unsafe {
            cmd.pre_exec(|| {
                if libc::setsid() == -1 {
                    return Err(io::Error::last_os_error());
                }
                if libc::ioctl(0, libc::TIOCSCTTY, 0) == -1 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn()?;
        // `cmd` holds copies of the slave: drop them so only the child has one.
        drop(cmd);
        Ok(Self {
            master: Some(master),
            parser: vt100::Parser::new(
                std::num::NonZeroU16::new(30).expect("rows"),
                std::num::NonZeroU16::new(100).expect("cols"),
                0,
            ),
            child,
        })
    }

    /// Reads what the child wrote until `done` holds or `timeout` passes.
    fn pump_until(&mut self, timeout: Duration, done: impl Fn(&vt100::Screen) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let Some(master) = &self.master else {
            return false;
        };
        let mut file = std::fs::File::from(master.try_clone().expect("dup the master"));
        let mut buf = [0u8; 8192];
        while Instant::now() < deadline {
            if done(self.parser.screen()) {
                return true;
            }
            let mut poll = libc::pollfd {
                fd: file.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one valid pollfd.
            let ready = unsafe { libc::poll(&mut poll, 1, 50) };
            if ready > 0 {
                match file.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => self.parser.process(&buf[..n]),
                }
            }
        }
        // `file` (a copy of the master) is closed here.
        done(self.parser.screen())
    }

    /// Closes the master side: the terminal is gone.
    fn hang_up(&mut self) {
        self.master = None;
    }

    fn wait(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for RawPty {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn closing_the_terminal_ends_the_process() {
    let home = home();
    let kubeconfig = home.join("kubeconfig").display().to_string();
    let mut pty = RawPty::spawn(binary(), &["--kubeconfig", &kubeconfig], &env_of(&home))
        .expect("start osctui in a pty");
    let pid = pty.child.id();
    assert!(
        pty.pump_until(START, |s| s.alternate_screen()
            && !s.contents().trim().is_empty()),
        "no first frame:\n{}",
        pty.parser.screen().contents()
    );
    let closed = Instant::now();
    pty.hang_up();
    let status = pty.wait(EXIT);
    let took = closed.elapsed();
    assert!(
        status.is_some(),
        "osctui still running {took:?} after its terminal closed"
    );
    eprintln!("hang-up: exited in {took:?} with {status:?}");
    // A clean exit, not an abort or an error: ratatui's Drop once panicked
    // writing to the dead terminal; crossterm's input reader, made after
    // the first frame, panicked when the terminal was already gone and the
    // panic report's own write aborted; a first frame cut short returned
    // an error (status 1).
    assert!(
        status.is_some_and(|s| s.success()),
        "osctui did not exit cleanly after its terminal closed: {status:?}"
    );
    assert!(
        !group_alive(pid),
        "a process of osctui's group is still running"
    );
    let _ = std::fs::remove_dir_all(home);
}

/// Set in the environment of the child run of [`panic_child`].
const PANIC_CHILD: &str = "OSCTUI_SIGNALS_PANIC_CHILD";

/// Not a test of its own: the body of the child process that
/// [`a_panic_restores_the_terminal_before_its_report`] starts in a pty. It
/// takes over the terminal as the console does, leaks the guard so that
/// only the panic hook can put the terminal back, and panics.
#[test]
#[ignore = "the child process of a_panic_restores_the_terminal_before_its_report"]
fn panic_child() {
    if std::env::var_os(PANIC_CHILD).is_none() {
        return;
    }
    let guard = osctui::terminal::TerminalGuard::enter().expect("take over the terminal");
    std::mem::forget(guard);
    std::thread::sleep(Duration::from_millis(200));
    panic!("deliberate panic for the terminal restore test");
}

#[test]
fn a_panic_restores_the_terminal_before_its_report() {
    let me = std::env::current_exe().expect("the test binary");
    let console = Console::spawn(
        &me,
        &[
            "--exact",
            "panic_child",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ],
        &[(PANIC_CHILD, "1")],
        100,
        30,
    )
    .expect("start the child in a pty");
    let status = console.exit_status(START).expect("the child ends");
    assert!(!status.success(), "the child's panic should fail it");
    let deadline = Instant::now() + EXIT;
    while !console.output_ended() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    let screen = console.screen();
    assert!(
        !screen.alternate_screen(),
        "left on the alternate screen after a panic"
    );
    assert!(!screen.hide_cursor(), "cursor hidden after a panic");
    assert_eq!(screen.mouse_protocol_mode(), vt100::MouseProtocolMode::None);
    // The report is readable on the main screen (printed after the restore).
    let text = console.screen_text();
    assert!(
        text.contains("deliberate panic for the terminal restore test"),
        "the panic report is not on the main screen:\n{text}"
    );
}
