//! The terminal: raw mode, alternate screen, mouse, and putting everything
//! back however the console ends (return, error, panic or signal).

use std::io::{Stdout, Write};
use std::mem::ManuallyDrop;
use std::sync::atomic::{AtomicBool, Ordering};

use crossterm::event::{
    DisableMouseCapture, EnableMouseCapture, KeyCode as CtKey, KeyEvent, KeyEventKind,
    KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::{Position, Rect};
use ratatui::{Frame, Terminal};

use crate::action::MouseInput;
use crate::keymap::{KeyCode, KeyPress};

mod frame;

/// The backend osctui draws on.
pub type Backend = CrosstermBackend<FrameWriter>;

/// What the backend writes to. A frame's bytes are collected and leave in
/// one write when flushed, which matters over a slow SSH link.
pub struct FrameWriter {
    out: Stdout,
    buf: Vec<u8>,
}

impl FrameWriter {
    fn new() -> Self {
        Self {
            out: std::io::stdout(),
            buf: Vec::with_capacity(64 * 1024),
        }
    }
}

impl Write for FrameWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let written = self
            .out
            .write_all(&self.buf)
            .and_then(|()| self.out.flush());
        self.buf.clear();
        written
    }
}

/// Whether $TERM's terminfo entry says the terminal erases in the current
/// background colour (`bce`: xterm, tmux, VTE, kitty, alacritty, the Linux
/// console; not GNU screen). Without an entry, it is assumed not to.
fn erases_in_background() -> bool {
    terminfo::Database::from_env()
        .ok()
        .and_then(|db| db.get::<terminfo::capability::BackColorErase>())
        .is_some_and(|bce| bce.0)
}

/// Takes over the terminal; restores it when dropped.
pub struct TerminalGuard {
    /// The ratatui terminal (dropped by the guard, see its `Drop`).
    pub terminal: ManuallyDrop<Terminal<Backend>>,
    /// The frame on screen (empty before the first) and the cursor shown
    /// with it (None: hidden), so an identical frame is not sent again.
    shown: Buffer,
    shown_cursor: Option<Position>,
    /// Whether the terminal erases in the current background (terminfo
    /// `bce`), so a coloured row end can be erased instead of drawn. Read
    /// after the first frame is out (None before), to keep the terminfo
    /// lookup (about half a millisecond) off the time to the first frame.
    bce: Option<bool>,
    /// A frame's bytes, kept to reuse the allocation.
    bytes: Vec<u8>,
    /// The next frame clears the terminal and draws every cell: what is on
    /// screen is no longer known to be `shown` (ctrl+l).
    repaint: bool,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, with mouse reporting, and
    /// installs a panic hook that restores the terminal before the report
    /// is printed.
    pub fn enter() -> std::io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = FrameWriter::new();
        // Frames start from the default colours: the shell may have left
        // others set (`ESC[m`).
        let setup = crossterm::execute!(out, EnterAlternateScreen, EnableMouseCapture)
            .and_then(|()| out.write_all(b"\x1b[m"));
        if let Err(err) = setup {
            restore();
            return Err(err);
        }
        match Terminal::new(CrosstermBackend::new(out)) {
            Ok(mut terminal) => {
                let _ = terminal.hide_cursor();
                Ok(Self {
                    terminal: ManuallyDrop::new(terminal),
                    shown: Buffer::empty(Rect::ZERO),
                    shown_cursor: None,
                    bce: None,
                    bytes: Vec::with_capacity(64 * 1024),
                    repaint: false,
                })
            }
            Err(err) => {
                restore();
                Err(err)
            }
        }
    }
}

impl TerminalGuard {
    /// Makes the next `present` clear the terminal and send the whole frame,
    /// with the cursor and mouse modes set again: for a screen garbled by
    /// another program writing to the terminal, or by line noise.
    pub fn repaint_next(&mut self) {
        self.repaint = true;
    }

    /// Renders a frame with `render` (which returns where the cursor goes,
    /// None: hidden) and sends what changed as one synchronized update, so
    /// the terminal shows it whole. A frame identical to the one on screen
    /// sends nothing at all: a watch change that alters nothing visible
    /// costs no bytes. Returns whether anything was written.
    pub fn present(
        &mut self,
        render: impl FnOnce(&mut Frame) -> Option<Position>,
    ) -> std::io::Result<bool> {
        let terminal = &mut *self.terminal;
        terminal.autoresize()?;
        let cursor = render(&mut terminal.get_frame());
        let current = terminal.current_buffer_mut();
        let repaint = std::mem::take(&mut self.repaint);
        if !repaint
            && current.area == self.shown.area
            && current.content == self.shown.content
            && cursor == self.shown_cursor
        {
            // The next frame renders on a blank buffer, as after a draw.
            current.reset();
            return Ok(false);
        }
        // The terminal holds `shown`; after a resize (ratatui cleared the
        // screen) or at the start (a fresh alternate screen) it is blank.
        if repaint || current.area != self.shown.area {
            self.shown = Buffer::empty(current.area);
        }
        self.bytes.clear();
        if repaint {
            frame::clear_screen(&mut self.bytes);
        }
        let steps = frame::plan_frame(&self.shown, current, self.bce.unwrap_or(false));
        frame::encode(&steps, current.area, &mut self.bytes);
        self.shown.content.clone_from(&current.content);
        let backend = terminal.backend_mut();
        crossterm::queue!(backend, crossterm::terminal::BeginSynchronizedUpdate)?;
        backend.write_all(&self.bytes)?;
        // Writing cells moves the terminal's cursor: a shown one is put
        // back every frame; hiding it is sent only when that changes.
        if repaint {
            // Whatever garbled the screen may have changed these too.
            crossterm::queue!(terminal.backend_mut(), EnableMouseCapture)?;
        }
        match cursor {
            Some(position) => {
                if repaint || self.shown_cursor.is_none() {
                    terminal.show_cursor()?;
                }
                terminal.set_cursor_position(position)?;
            }
            None if repaint || self.shown_cursor.is_some() => terminal.hide_cursor()?,
            None => {}
        }
        self.shown_cursor = cursor;
        terminal.swap_buffers();
        let backend = terminal.backend_mut();
        crossterm::queue!(backend, crossterm::terminal::EndSynchronizedUpdate)?;
        backend.flush()?;
        if self.bce.is_none() {
            self.bce = Some(erases_in_background());
        }
        Ok(true)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = self.terminal.backend_mut().flush();
        if !is_gone() && self.terminal.show_cursor().is_ok() {
            // SAFETY: dropped once, here; the guard is going away and the
            // field is never used again.
            unsafe { ManuallyDrop::drop(&mut self.terminal) };
        }
        // Otherwise the terminal is gone (an SSH session dropped): ratatui's
        // own Drop would report the hidden cursor with eprintln!, which
        // panics on the dead terminal and aborts the process
        // (tests/e2e_signals.rs). It is left undropped: the process is ending.
        restore();
    }
}

/// Puts the terminal back. Safe to call more than once.
pub fn restore() {
    let mut out = std::io::stdout();
    let _ = crossterm::execute!(
        out,
        crossterm::terminal::EndSynchronizedUpdate,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
    let _ = disable_raw_mode();
}

/// Set once a read or write on the terminal failed: it is gone (an SSH
/// session dropped, the pty closed).
static GONE: AtomicBool = AtomicBool::new(false);

/// Records that the terminal is gone, so nothing more is written to it.
pub fn mark_gone() {
    GONE.store(true, Ordering::Relaxed);
}

/// Whether a read or write on the terminal has failed.
pub fn is_gone() -> bool {
    GONE.load(Ordering::Relaxed)
}

/// Whether stderr is a terminal that has hung up (poll reports POLLHUP or
/// POLLERR on a closed pty). Catches a panic that comes before any read or
/// write noticed the loss.
fn stderr_hung_up() -> bool {
    let mut fd = libc::pollfd {
        fd: libc::STDERR_FILENO,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd, zero timeout.
    let ready = unsafe { libc::poll(&mut fd, 1, 0) };
    ready > 0 && fd.revents & (libc::POLLHUP | libc::POLLERR) != 0
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        if is_gone() || stderr_hung_up() {
            // The report hooks print with `eprintln!`, which panics on a dead
            // terminal; a panic inside the panic hook aborts the process
            // (SIGABRT). The report goes to the log instead.
            tracing::error!(panic = %info, "panic after the terminal was gone");
            return;
        }
        restore();
        previous(info);
    }));
}

/// A crossterm key event as the keymap's key, or None for releases and
/// keys the console does not use.
pub fn key_press(event: KeyEvent) -> Option<KeyPress> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let mods = event.modifiers;
    let (code, shift) = match event.code {
        // Shift is part of the character already (`G`).
        CtKey::Char(c) => (KeyCode::Char(c), false),
        CtKey::Enter => (KeyCode::Enter, mods.contains(KeyModifiers::SHIFT)),
        CtKey::Esc => (KeyCode::Esc, mods.contains(KeyModifiers::SHIFT)),
        CtKey::Backspace => (KeyCode::Backspace, mods.contains(KeyModifiers::SHIFT)),
        CtKey::Tab => (KeyCode::Tab, mods.contains(KeyModifiers::SHIFT)),
        CtKey::BackTab => (KeyCode::Tab, true),
        CtKey::Up => (KeyCode::Up, mods.contains(KeyModifiers::SHIFT)),
        CtKey::Down => (KeyCode::Down, mods.contains(KeyModifiers::SHIFT)),
        CtKey::Left => (KeyCode::Left, mods.contains(KeyModifiers::SHIFT)),
        CtKey::Right => (KeyCode::Right, mods.contains(KeyModifiers::SHIFT)),
        CtKey::PageUp => (KeyCode::PageUp, mods.contains(KeyModifiers::SHIFT)),
        CtKey::PageDown => (KeyCode::PageDown, mods.contains(KeyModifiers::SHIFT)),
        CtKey::Home => (KeyCode::Home, mods.contains(KeyModifiers::SHIFT)),
        CtKey::End => (KeyCode::End, mods.contains(KeyModifiers::SHIFT)),
        CtKey::Delete => (KeyCode::Delete, mods.contains(KeyModifiers::SHIFT)),
        CtKey::F(n) if (1..=12).contains(&n) => (KeyCode::F(n), mods.contains(KeyModifiers::SHIFT)),
        _ => return None,
    };
    let ctrl = mods.contains(KeyModifiers::CONTROL);
    // Ctrl+letter arrives lowercase from most terminals; fold it so that
    // `ctrl+d` matches whatever the terminal sent.
    let code = match code {
        KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
        other => other,
    };
    Some(KeyPress {
        code,
        ctrl,
        alt: mods.contains(KeyModifiers::ALT),
        shift,
    })
}

/// A crossterm mouse event as a gesture the console uses.
pub fn mouse_input(event: MouseEvent) -> Option<MouseInput> {
    match event.kind {
        MouseEventKind::Down(MouseButton::Left) => Some(MouseInput::Click {
            column: event.column,
            row: event.row,
        }),
        MouseEventKind::ScrollUp => Some(MouseInput::ScrollUp),
        MouseEventKind::ScrollDown => Some(MouseInput::ScrollDown),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_convert_like_the_keymap_spells_them() {
        let ev = |code, mods| KeyEvent::new(code, mods);
        let parse = |s: &str| KeyPress::parse(s).ok();
        assert_eq!(
            key_press(ev(CtKey::Char('G'), KeyModifiers::SHIFT)),
            parse("G")
        );
        assert_eq!(
            key_press(ev(CtKey::Char('d'), KeyModifiers::CONTROL)),
            parse("ctrl+d")
        );
        assert_eq!(
            key_press(ev(CtKey::Char('D'), KeyModifiers::CONTROL)),
            parse("ctrl+d")
        );
        assert_eq!(
            key_press(ev(CtKey::BackTab, KeyModifiers::SHIFT)),
            parse("shift+Tab")
        );
        assert_eq!(
            key_press(ev(CtKey::Enter, KeyModifiers::NONE)),
            parse("Enter")
        );
        let mut release = ev(CtKey::Char('j'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(key_press(release), None);
    }
}
