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
use ratatui::backend::ClearType;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::{Position, Rect};
use ratatui::{Frame, Terminal};
use unicode_width::UnicodeWidthStr as _;

use crate::action::MouseInput;
use crate::keymap::{KeyCode, KeyPress};

/// The backend osctui draws on.
pub type Backend = CrosstermBackend<FrameWriter>;

/// What the backend writes to. A frame's bytes are collected and leave in
/// one write when flushed, which matters over a slow SSH link, with the
/// redundant resets ratatui ends every frame with squeezed out.
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
        squeeze_resets(&mut self.buf);
        let written = self
            .out
            .write_all(&self.buf)
            .and_then(|()| self.out.flush());
        self.buf.clear();
        written
    }
}

/// ratatui's crossterm backend ends each frame by resetting foreground,
/// background and underline colours, then every attribute; SGR 0 alone
/// resets all of them. 16 of the 20 bytes go (a cursor move is ~430 B).
fn squeeze_resets(buf: &mut Vec<u8>) {
    const LONG: &[u8] = b"\x1b[39m\x1b[49m\x1b[59m\x1b[0m";
    const KEEP: usize = 4; // "\x1b[0m"
    let mut from = 0;
    while let Some(at) = buf[from..]
        .windows(LONG.len())
        .position(|w| w == LONG)
        .map(|p| p + from)
    {
        buf.drain(at..at + LONG.len() - KEEP);
        from = at + KEEP;
    }
}

/// What to send for a frame: the changed cells to draw, and where to erase
/// to the end of the line instead of drawing the blanks that follow.
#[derive(Debug, Default, PartialEq)]
struct FramePlan {
    cells: Vec<(u16, u16, Cell)>,
    erase: Vec<Position>,
}

/// Fewer changed blanks than this are drawn: moving the cursor and erasing
/// costs about as many bytes.
const ERASE_FROM: usize = 12;

/// The changes from `shown` to `next` (the same size), where a row's changed
/// cells that lie in its blank end (default colours, to the right edge) are
/// replaced by one erase to the end of the line. A row losing the cursor's
/// highlight is the usual case: its padding was 38 to 59 of the ~420 bytes
/// of a cursor move.
fn plan_frame(shown: &Buffer, next: &Buffer) -> FramePlan {
    let area = next.area;
    let width = usize::from(area.width);
    // Where each row's blank end starts (`width`: none).
    let blank_from: Vec<usize> = (0..area.height)
        .map(|row| {
            let cells = &next.content[usize::from(row) * width..][..width];
            let mut from = width;
            while from > 0 && cells[from - 1] == Cell::EMPTY {
                from -= 1;
            }
            // A wide character covers the cell after it: keep that drawn.
            if from > 0 && from < width && cells[from - 1].symbol().width() > 1 {
                from += 1;
            }
            from
        })
        .collect();
    let mut plan = FramePlan::default();
    // The changed cells of the current row's blank end.
    let mut blanks: Vec<(u16, u16, Cell)> = Vec::new();
    for (x, y, cell) in shown.diff(next) {
        if blanks.first().is_some_and(|&(_, row, _)| row != y) {
            settle_blanks(&mut plan, &mut blanks);
        }
        let in_blank_end = usize::from(x - area.x) >= blank_from[usize::from(y - area.y)];
        if in_blank_end {
            blanks.push((x, y, cell.clone()));
        } else {
            plan.cells.push((x, y, cell.clone()));
        }
    }
    settle_blanks(&mut plan, &mut blanks);
    plan
}

/// Enough changed blanks at a row's end become one erase from the first;
/// fewer are drawn.
fn settle_blanks(plan: &mut FramePlan, blanks: &mut Vec<(u16, u16, Cell)>) {
    match blanks.first() {
        Some(&(x, y, _)) if blanks.len() >= ERASE_FROM => {
            plan.erase.push(Position { x, y });
            blanks.clear();
        }
        _ => plan.cells.append(blanks),
    }
}

/// Takes over the terminal; restores it when dropped.
pub struct TerminalGuard {
    /// The ratatui terminal (dropped by the guard, see its `Drop`).
    pub terminal: ManuallyDrop<Terminal<Backend>>,
    /// The frame on screen (empty before the first) and the cursor shown
    /// with it (None: hidden), so an identical frame is not sent again.
    shown: Buffer,
    shown_cursor: Option<Position>,
}

impl TerminalGuard {
    /// Enters raw mode and the alternate screen, with mouse reporting, and
    /// installs a panic hook that restores the terminal before the report
    /// is printed.
    pub fn enter() -> std::io::Result<Self> {
        install_panic_hook();
        enable_raw_mode()?;
        let mut out = FrameWriter::new();
        let setup = crossterm::execute!(out, EnterAlternateScreen, EnableMouseCapture);
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
        if current.area == self.shown.area
            && current.content == self.shown.content
            && cursor == self.shown_cursor
        {
            // The next frame renders on a blank buffer, as after a draw.
            current.reset();
            return Ok(false);
        }
        // Same size: the terminal holds `shown`, so the diff against it is
        // the one ratatui would send, and blank row ends can be erased.
        let plan = (current.area == self.shown.area).then(|| plan_frame(&self.shown, current));
        self.shown.area = current.area;
        self.shown.content.clone_from(&current.content);
        crossterm::queue!(
            terminal.backend_mut(),
            crossterm::terminal::BeginSynchronizedUpdate
        )?;
        match plan {
            Some(plan) => {
                use ratatui::backend::Backend as _;
                let backend = terminal.backend_mut();
                backend.draw(plan.cells.iter().map(|(x, y, cell)| (*x, *y, cell)))?;
                // draw ends with every attribute reset, so the erase is in
                // the default colours, like the blank cells it stands for.
                for position in plan.erase {
                    backend.set_cursor_position(position)?;
                    backend.clear_region(ClearType::UntilNewLine)?;
                }
            }
            None => terminal.flush()?,
        }
        // Writing cells moves the terminal's cursor: a shown one is put
        // back every frame; hiding it is sent only when that changes.
        match cursor {
            Some(position) => {
                if self.shown_cursor.is_none() {
                    terminal.show_cursor()?;
                }
                terminal.set_cursor_position(position)?;
            }
            None if self.shown_cursor.is_some() => terminal.hide_cursor()?,
            None => {}
        }
        self.shown_cursor = cursor;
        terminal.swap_buffers();
        let backend = terminal.backend_mut();
        crossterm::queue!(backend, crossterm::terminal::EndSynchronizedUpdate)?;
        backend.flush()?;
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
    use ratatui::style::{Color, Style};

    const HIGHLIGHT: Style = Style::new().fg(Color::Black).bg(Color::Cyan);

    /// A 40x3 buffer with `rows` written from the left, each in its style.
    fn frame(rows: &[(&str, Style)]) -> Buffer {
        let mut buffer = Buffer::empty(Rect::new(0, 0, 40, 3));
        for (y, (text, style)) in rows.iter().enumerate() {
            let y = u16::try_from(y).unwrap_or(u16::MAX);
            if *style == HIGHLIGHT {
                buffer.set_style(Rect::new(0, y, 40, 1), *style);
            }
            buffer.set_string(0, y, text, *style);
        }
        buffer
    }

    /// What a terminal shows after `shown` and then the plan to `next`:
    /// the bytes the backend writes, read back by a terminal emulator.
    fn screen_after(shown: &Buffer, next: &Buffer) -> Vec<String> {
        use ratatui::backend::Backend as _;
        let mut bytes = Vec::<u8>::new();
        let mut backend = CrosstermBackend::new(&mut bytes);
        let everything = Buffer::empty(shown.area).diff(shown);
        backend.draw(everything.into_iter()).unwrap();
        let plan = plan_frame(shown, next);
        backend
            .draw(plan.cells.iter().map(|(x, y, cell)| (*x, *y, cell)))
            .unwrap();
        for position in plan.erase {
            backend.set_cursor_position(position).unwrap();
            backend.clear_region(ClearType::UntilNewLine).unwrap();
        }
        let mut parser = vt100::Parser::new(3.try_into().unwrap(), 40.try_into().unwrap(), 0);
        parser.process(&bytes);
        let screen = parser.screen();
        grid(|x, y| {
            let cell = screen.cell(y, x).unwrap();
            let text = if cell.has_contents() {
                cell.contents()
            } else {
                " "
            };
            (text.to_owned(), cell.bgcolor() != vt100::Color::Default)
        })
    }

    /// [`screen_after`]'s form of a buffer.
    fn expected(buffer: &Buffer) -> Vec<String> {
        grid(|x, y| {
            let cell = &buffer[(x, y)];
            (cell.symbol().to_owned(), cell.bg != Color::Reset)
        })
    }

    /// The 40x3 rows of (text, whether a background is set) per cell, the
    /// background shown as '#' after each cell's text.
    fn grid(cell: impl Fn(u16, u16) -> (String, bool)) -> Vec<String> {
        (0..3)
            .map(|y| {
                (0..40)
                    .map(|x| {
                        let (text, coloured) = cell(x, y);
                        format!("{text}{}", if coloured { '#' } else { ' ' })
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn a_row_losing_the_highlight_ends_with_one_erase() {
        let plain = Style::new();
        let shown = frame(&[("first", HIGHLIGHT), ("second", plain), ("third", plain)]);
        let next = frame(&[("first", plain), ("second", HIGHLIGHT), ("third", plain)]);
        let plan = plan_frame(&shown, &next);
        assert_eq!(plan.erase, [Position { x: 5, y: 0 }]);
        // Row 0: only its text is drawn; row 1: all 40 cells (highlighted).
        assert_eq!(plan.cells.iter().filter(|c| c.1 == 0).count(), 5);
        assert_eq!(plan.cells.iter().filter(|c| c.1 == 1).count(), 40);
        assert_eq!(screen_after(&shown, &next), expected(&next));
    }

    #[test]
    fn a_few_blanks_are_drawn_and_coloured_ends_are_never_erased() {
        let plain = Style::new();
        // 40 - 30 = 10 changed blanks: fewer than ERASE_FROM.
        let long = "x".repeat(30);
        let shown = frame(&[(&long, HIGHLIGHT), ("b", plain), ("c", plain)]);
        let next = frame(&[(&long, plain), ("b", plain), ("c", HIGHLIGHT)]);
        let plan = plan_frame(&shown, &next);
        assert!(plan.erase.is_empty(), "{:?}", plan.erase);
        assert_eq!(screen_after(&shown, &next), expected(&next));
    }

    #[test]
    fn a_wide_character_before_the_blank_end_stays_whole() {
        let plain = Style::new();
        let shown = frame(&[("名前", HIGHLIGHT), ("", plain), ("", plain)]);
        let next = frame(&[("名前", plain), ("", plain), ("", plain)]);
        let plan = plan_frame(&shown, &next);
        // 前 covers cells 2 and 3, and cell 3 is blank in the buffer: the
        // erase starts after it, not on it.
        assert_eq!(plan.erase, [Position { x: 4, y: 0 }]);
        assert_eq!(screen_after(&shown, &next), expected(&next));
    }

    #[test]
    fn text_that_goes_away_is_erased_and_new_text_drawn() {
        let plain = Style::new();
        let shown = frame(&[
            ("a long line of old text here", plain),
            ("keep", plain),
            ("", plain),
        ]);
        let next = frame(&[("short", plain), ("keep", plain), ("new text", plain)]);
        assert_eq!(screen_after(&shown, &next), expected(&next));
    }

    #[test]
    fn the_frame_end_resets_are_squeezed_to_one() {
        let mut buf = b"\x1b[2;1Hab\x1b[39m\x1b[49m\x1b[59m\x1b[0m\x1b[?2026l".to_vec();
        squeeze_resets(&mut buf);
        assert_eq!(buf, b"\x1b[2;1Hab\x1b[0m\x1b[?2026l");
        // Twice in one buffer (two frames), and nothing else touched.
        let mut two = [&b"x\x1b[39m\x1b[49m\x1b[59m\x1b[0m"[..]; 2].concat();
        squeeze_resets(&mut two);
        assert_eq!(two, b"x\x1b[0mx\x1b[0m");
        let mut other = b"\x1b[39m\x1b[49mtext\x1b[0m".to_vec();
        squeeze_resets(&mut other);
        assert_eq!(other, b"\x1b[39m\x1b[49mtext\x1b[0m");
    }

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
