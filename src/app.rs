//! The one event loop: input, cluster messages, signals and the clock go
//! through `update`; after draining whatever is pending, one frame is drawn,
//! and only if something visible changed. Nothing here waits on the network.

use std::time::Duration;

use color_eyre::eyre::{Context as _, Result};
use crossterm::event::Event;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::mpsc;

use crate::action::Msg;
use crate::cluster::{Cluster, ClusterOptions};
use crate::state::State;
use crate::terminal::{self, TerminalGuard};
use crate::theme::Theme;
use crate::update::{Command, update};

/// Capacity of the cluster -> loop channel. Watchers wait when it is full,
/// which bounds memory when the UI falls behind a burst.
const CHANNEL: usize = 4096;

/// At most this many messages are applied before a frame is drawn, so a
/// flood of watch events cannot starve the screen.
const DRAIN_LIMIT: usize = 10_000;

/// And for at most this long: under a flood of log lines a key's frame must
/// not wait behind the whole backlog (it waits at most this much).
const DRAIN_BUDGET: Duration = Duration::from_millis(8);

/// Why the loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The user quit.
    Quit,
    /// SIGTERM, SIGHUP (the SSH session dropped) or SIGINT.
    Signal(&'static str),
    /// The terminal's input closed.
    InputClosed,
}

/// Runs the console until the user quits or a signal arrives. The
/// terminal is restored on every way out.
pub async fn run(mut state: State, theme: Theme, options: ClusterOptions) -> Result<Exit> {
    // Handlers first: a signal that arrives once the terminal is taken over
    // must go through the restore, not kill the process with the screen
    // left on the alternate buffer (tests/e2e_signals.rs).
    let mut sigterm = signal(SignalKind::terminate()).wrap_err("SIGTERM handler")?;
    let mut sighup = signal(SignalKind::hangup()).wrap_err("SIGHUP handler")?;
    let mut sigint = signal(SignalKind::interrupt()).wrap_err("SIGINT handler")?;
    let mut guard = TerminalGuard::enter().wrap_err("could not take over the terminal")?;
    // crossterm makes its input reader on first use. Made after the first
    // frame, it could find the terminal already gone (an SSH drop): its
    // `EventStream::new` then panicked ("reader source not set") and the
    // panic report, written to the dead terminal, aborted the process
    // (tests/e2e_signals.rs). Made here, it is there for good.
    crossterm::event::poll(Duration::ZERO).wrap_err("could not read the terminal")?;
    let size = guard
        .terminal
        .size()
        .wrap_err("could not read the terminal size")?;
    update(
        &mut state,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    update(&mut state, Msg::Tick(unix_now()));
    // The first frame goes out before any network call. The terminal may
    // already be gone (closed while the frame was being written).
    if let Err(err) = draw(&mut guard, &state, &theme) {
        terminal_gone(&err);
        return Ok(Exit::InputClosed);
    }
    state.take_dirty();

    let (tx, mut rx) = mpsc::channel::<Msg>(CHANNEL);
    let notices = tx.clone();
    let mut cluster = Cluster::start(options, tx);
    // Input has its own thread and channel, so the loop can drain keys
    // without blocking.
    let (input_tx, mut input_rx) = mpsc::channel::<InputEvent>(256);
    spawn_input(input_tx).wrap_err("could not start the input reader")?;

    let exit = loop {
        let wake = state.next_time_change().map(|secs| {
            Duration::from_millis(u64::try_from(secs).unwrap_or(1) * 1000 - sub_second())
        });
        let first = tokio::select! {
            biased;
            _ = sigterm.recv() => break Exit::Signal("SIGTERM"),
            _ = sighup.recv() => break Exit::Signal("SIGHUP"),
            _ = sigint.recv() => break Exit::Signal("SIGINT"),
            event = input_rx.recv() => match event {
                Some(InputEvent::Msg(msg)) => Some(msg),
                Some(InputEvent::Closed) | None => break Exit::InputClosed,
            },
            msg = rx.recv() => msg,
            () = sleep_for(wake) => Some(Msg::Tick(unix_now())),
        };
        let mut quit = false;
        let mut repaint = false;
        let mut input_closed = false;
        let mut apply = |state: &mut State, msg: Msg, cluster: &mut Cluster| {
            for command in update(state, msg) {
                match command {
                    Command::Quit => quit = true,
                    Command::Redraw => repaint = true,
                    Command::SaveLogs { file_name, text } => {
                        save_in_background(file_name, text, notices.clone());
                    }
                    other => cluster.execute(&other),
                }
            }
        };
        if let Some(msg) = first {
            apply(&mut state, msg, &mut cluster);
        }
        // Drain the backlog (input first: keys must not wait behind watch
        // events), then draw once.
        let mut drained = 0;
        let drain_started = std::time::Instant::now();
        while drained < DRAIN_LIMIT && drain_started.elapsed() < DRAIN_BUDGET {
            let next = match input_rx.try_recv() {
                Ok(InputEvent::Msg(msg)) => msg,
                Ok(InputEvent::Closed) => {
                    input_closed = true;
                    break;
                }
                Err(_) => match rx.try_recv() {
                    Ok(msg) => msg,
                    Err(_) => break,
                },
            };
            apply(&mut state, next, &mut cluster);
            drained += 1;
        }
        if quit {
            break Exit::Quit;
        }
        if input_closed {
            break Exit::InputClosed;
        }
        if repaint {
            guard.repaint_next();
        }
        if state.take_dirty() {
            // Ages are drawn relative to state.now: keep it current.
            state.now = unix_now();
            // A draw that fails once the terminal is gone (an SSH session
            // dropped, EIO) ends the console like a closed input, rather
            // than as an error whose report would be written to the same
            // dead terminal (and abort the process).
            if let Err(err) = draw(&mut guard, &state, &theme) {
                terminal_gone(&err);
                break Exit::InputClosed;
            }
        }
    };
    cluster.shutdown();
    drop(guard);
    Ok(exit)
}

/// Writes a file of the log view into `<data dir>/logs/` off the event
/// loop, and tells the user where it went (or why it did not).
fn save_in_background(file_name: String, text: String, notices: mpsc::Sender<Msg>) {
    tokio::task::spawn_blocking(move || {
        let notice = match crate::config::save_file("logs", &file_name, &text) {
            Ok(path) => format!("saved {} lines to {}", text.lines().count(), path.display()),
            Err(err) => format!("could not save the logs: {err}"),
        };
        let _ = notices.blocking_send(Msg::Notice(notice));
    });
}

/// A plain I/O error, not an error report: building a report captures a
/// backtrace (seconds of symbolizing under `RUST_BACKTRACE=1`), which once
/// held a hung-up console past its exit deadline (tests/e2e_signals.rs).
fn draw(guard: &mut TerminalGuard, state: &State, theme: &Theme) -> std::io::Result<()> {
    guard
        .present(|frame| crate::ui::draw_screen(frame, state, theme))
        .map(|_| ())
}

/// A draw failed: the terminal is gone (an SSH session dropped, EIO). The
/// console ends like a closed input, not with an error whose report would
/// be written to the same dead terminal.
fn terminal_gone(err: &std::io::Error) {
    terminal::mark_gone();
    tracing::warn!(error = %err, "drawing failed; the terminal is gone");
}

/// What the input task forwards.
enum InputEvent {
    /// A key, mouse gesture or resize.
    Msg(Msg),
    /// The terminal's input ended or failed.
    Closed,
}

/// Reads terminal events on a thread of its own and forwards the ones the
/// console uses. Not a tokio task (crossterm's `EventStream` reads on the
/// polling worker): on a hung-up terminal crossterm's reader retries EOF
/// and EIO forever, and a runtime worker caught in that loop kept the
/// runtime from shutting down, so the process never exited after an SSH
/// drop (tests/e2e_signals.rs); with one worker it would stall the whole
/// runtime. A plain thread caught there ends with the process. The thread
/// ends by itself once the loop has dropped the receiver.
fn spawn_input(tx: mpsc::Sender<InputEvent>) -> std::io::Result<()> {
    let reader = move || {
        loop {
            let forward = match crossterm::event::read() {
                Ok(event) => match input_msg(event) {
                    Some(msg) => InputEvent::Msg(msg),
                    None => continue,
                },
                Err(err) => {
                    tracing::warn!(%err, "terminal input error");
                    terminal::mark_gone();
                    InputEvent::Closed
                }
            };
            let closed = matches!(forward, InputEvent::Closed);
            if tx.blocking_send(forward).is_err() || closed {
                return;
            }
        }
    };
    std::thread::Builder::new()
        .name("osctui-input".into())
        .spawn(reader)
        .map(drop)
}

fn input_msg(event: Event) -> Option<Msg> {
    match event {
        Event::Key(key) => terminal::key_press(key).map(Msg::Key),
        Event::Mouse(mouse) => terminal::mouse_input(mouse).map(Msg::Mouse),
        Event::Resize(width, height) => Some(Msg::Resize { width, height }),
        _ => None,
    }
}

async fn sleep_for(wake: Option<Duration>) {
    match wake {
        Some(duration) => tokio::time::sleep(duration).await,
        None => std::future::pending().await,
    }
}

/// Seconds since the Unix epoch.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// Milliseconds already gone in the current second, so wake-ups land just
/// after a second boundary, when age labels change.
fn sub_second() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::from(d.subsec_millis()))
        .min(999)
}
