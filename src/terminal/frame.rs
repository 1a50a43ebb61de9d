//! The bytes of a frame: what changed since the frame on screen, in as few
//! bytes as the terminal allows. Over a slow SSH link every frame's bytes
//! are latency, and a cursor move (two rows restyled) is the frame an
//! operator sends most.
//!
//! ratatui's crossterm backend writes each change on its own: the 16 basic
//! colours as 256-colour indexes (`ESC[38;5;3m` where `ESC[33m` is the same
//! colour), both colours when one changes, each attribute separately, and
//! every row's padding as spaces. This writes what ncurses writes for an
//! xterm: the short colour forms, one SGR with only what changed, a
//! relative move when it is shorter, and a row's blank end as one erase to
//! the end of the line (`ESC[K`), in the background colour when the
//! terminal erases with it (terminfo `bce`).

use ratatui::buffer::{Buffer, Cell};
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier};
use unicode_width::UnicodeWidthStr as _;

/// One thing to send, in screen order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Step {
    /// Draw a cell.
    Draw(u16, u16, Cell),
    /// Erase from here to the end of the row, in this background.
    EraseToEnd(u16, u16, Color),
}

/// Fewer changed blanks than this at a row's end are drawn: an erase
/// (`ESC[K`) costs three bytes.
const ERASE_FROM: usize = 4;

/// Modifiers that show on a blank cell, which an erase would not keep.
const SHOWS_ON_BLANK: Modifier = Modifier::REVERSED
    .union(Modifier::UNDERLINED)
    .union(Modifier::CROSSED_OUT);

/// Whether a cell shows as nothing but its background.
fn is_blank(cell: &Cell) -> bool {
    cell.symbol() == " " && !cell.modifier.intersects(SHOWS_ON_BLANK)
}

/// The changes from `shown` to `next` (the same area, the whole width of
/// the terminal), with a row's changed blank end (blank cells of one
/// background, to the right edge) replaced by one erase to the end of the
/// line. The background must be the default unless the terminal erases in
/// the current one (`bce`). A row losing the cursor's highlight is the
/// usual case: its padding was 38 to 59 of the ~420 bytes of a cursor move.
pub(super) fn plan_frame(shown: &Buffer, next: &Buffer, bce: bool) -> Vec<Step> {
    let area = next.area;
    let width = usize::from(area.width);
    // Where each row's blank end starts (`width`: none) and its background.
    let blank_ends: Vec<(usize, Color)> = (0..area.height)
        .map(|row| {
            let cells = &next.content[usize::from(row) * width..][..width];
            let Some(last) = cells.last().filter(|c| is_blank(c)) else {
                return (width, Color::Reset);
            };
            if last.bg != Color::Reset && !bce {
                return (width, Color::Reset);
            }
            let mut from = width;
            while from > 0 && is_blank(&cells[from - 1]) && cells[from - 1].bg == last.bg {
                from -= 1;
            }
            // A wide character covers the cell after it: keep that drawn.
            if from > 0 && from < width && cells[from - 1].symbol().width() > 1 {
                from += 1;
            }
            (from, last.bg)
        })
        .collect();
    let mut steps = Vec::new();
    // The changed cells of the current row's blank end.
    let mut blanks: Vec<(u16, u16, Cell)> = Vec::new();
    for (x, y, cell) in shown.diff(next) {
        if blanks.first().is_some_and(|&(_, row, _)| row != y) {
            settle_blanks(&mut steps, &mut blanks, &blank_ends, area);
        }
        let (from, _) = blank_ends[usize::from(y - area.y)];
        if usize::from(x - area.x) >= from {
            blanks.push((x, y, cell.clone()));
        } else {
            steps.push(Step::Draw(x, y, cell.clone()));
        }
    }
    settle_blanks(&mut steps, &mut blanks, &blank_ends, area);
    steps
}

/// Enough changed blanks at a row's end become one erase from the first;
/// fewer are drawn.
fn settle_blanks(
    steps: &mut Vec<Step>,
    blanks: &mut Vec<(u16, u16, Cell)>,
    blank_ends: &[(usize, Color)],
    area: Rect,
) {
    match blanks.first() {
        Some(&(x, y, _)) if blanks.len() >= ERASE_FROM => {
            let (_, bg) = blank_ends[usize::from(y - area.y)];
            steps.push(Step::EraseToEnd(x, y, bg));
            blanks.clear();
        }
        _ => steps.extend(blanks.drain(..).map(|(x, y, cell)| Step::Draw(x, y, cell))),
    }
}

/// How the terminal draws the next character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Pen {
    fg: Color,
    bg: Color,
    underline: Color,
    modifier: Modifier,
}

impl Pen {
    /// After `ESC[m`: what each frame starts and ends with.
    const DEFAULT: Pen = Pen {
        fg: Color::Reset,
        bg: Color::Reset,
        underline: Color::Reset,
        modifier: Modifier::empty(),
    };

    fn of(cell: &Cell) -> Pen {
        Pen {
            fg: cell.fg,
            bg: cell.bg,
            underline: cell.underline_color,
            modifier: cell.modifier,
        }
    }
}

/// Writes `steps` for a screen of `area` whose pen is the default (and
/// leaves it so), the cursor anywhere.
pub(super) fn encode(steps: &[Step], area: Rect, out: &mut Vec<u8>) {
    let mut pen = Pen::DEFAULT;
    // Where the terminal's cursor is, when that is certain.
    let mut at: Option<(u16, u16)> = None;
    for step in steps {
        match step {
            Step::Draw(x, y, cell) => {
                move_to(out, &mut at, *x, *y);
                set_pen(out, &mut pen, Pen::of(cell));
                let symbol = cell.symbol();
                out.extend_from_slice(symbol.as_bytes());
                // After a wide character (its width may differ between
                // terminals) or the last column (the wrap is pending), the
                // next move is absolute.
                at = (symbol.width() == 1 && *x + 1 < area.right()).then_some((*x + 1, *y));
            }
            Step::EraseToEnd(x, y, bg) => {
                move_to(out, &mut at, *x, *y);
                let mut erase = pen;
                erase.bg = *bg;
                erase.modifier.remove(SHOWS_ON_BLANK);
                set_pen(out, &mut pen, erase);
                out.extend_from_slice(b"\x1b[K");
            }
        }
    }
    if pen != Pen::DEFAULT {
        out.extend_from_slice(b"\x1b[m");
    }
}

/// Clears the whole screen to the default colours, for a frame that is then
/// planned against a blank buffer (a repaint).
pub(super) fn clear_screen(out: &mut Vec<u8>) {
    out.extend_from_slice(b"\x1b[m\x1b[2J");
}

/// Moves the cursor to (x, y) unless it is there: forward on the same row
/// when that is shorter, else absolute (the column left out when it is 1).
fn move_to(out: &mut Vec<u8>, at: &mut Option<(u16, u16)>, x: u16, y: u16) {
    use std::io::Write as _;
    if *at == Some((x, y)) {
        return;
    }
    // Writing to a Vec cannot fail.
    let _ = match *at {
        Some((from, row)) if row == y && from < x && x - from < 1000 => match x - from {
            1 => write!(out, "\x1b[C"),
            n => write!(out, "\x1b[{n}C"),
        },
        _ if x == 0 => write!(out, "\x1b[{}H", y + 1),
        _ => write!(out, "\x1b[{};{}H", y + 1, x + 1),
    };
    *at = Some((x, y));
}

/// One SGR taking the pen from `pen` to `to`: only what changed, or a reset
/// and what `to` has, whichever is shorter.
fn set_pen(out: &mut Vec<u8>, pen: &mut Pen, to: Pen) {
    if *pen == to {
        return;
    }
    let changes = sgr_changes(*pen, to);
    // `ESC[m` resets everything, like `ESC[0m`.
    let reset = if to == Pen::DEFAULT {
        String::new()
    } else {
        sgr_from_reset(to)
    };
    let params = if reset.len() < changes.len() {
        reset
    } else {
        changes
    };
    out.extend_from_slice(b"\x1b[");
    out.extend_from_slice(params.as_bytes());
    out.push(b'm');
    *pen = to;
}

/// SGR parameters for the changes from `from` to `to`.
fn sgr_changes(from: Pen, to: Pen) -> String {
    let mut params = Vec::new();
    let removed = from.modifier - to.modifier;
    // Bold and dim share one reset (22), so do the two blinks (25): what
    // stays of a pair is set again.
    let mut added = to.modifier - from.modifier;
    let intensity = Modifier::BOLD | Modifier::DIM;
    let blink = Modifier::SLOW_BLINK | Modifier::RAPID_BLINK;
    for (mods, off) in [
        (intensity, "22"),
        (Modifier::ITALIC, "23"),
        (Modifier::UNDERLINED, "24"),
        (blink, "25"),
        (Modifier::REVERSED, "27"),
        (Modifier::HIDDEN, "28"),
        (Modifier::CROSSED_OUT, "29"),
    ] {
        if removed.intersects(mods) {
            params.push(off.to_owned());
            added |= to.modifier & mods;
        }
    }
    params.extend(modifier_params(added));
    if from.fg != to.fg {
        params.push(colour(to.fg, Layer::Fg));
    }
    if from.bg != to.bg {
        params.push(colour(to.bg, Layer::Bg));
    }
    if from.underline != to.underline {
        params.push(colour(to.underline, Layer::Underline));
    }
    params.join(";")
}

/// SGR parameters for `to` from scratch: a reset, then what `to` has.
fn sgr_from_reset(to: Pen) -> String {
    let mut params = vec!["0".to_owned()];
    params.extend(modifier_params(to.modifier));
    for (c, layer) in [
        (to.fg, Layer::Fg),
        (to.bg, Layer::Bg),
        (to.underline, Layer::Underline),
    ] {
        if c != Color::Reset {
            params.push(colour(c, layer));
        }
    }
    params.join(";")
}

fn modifier_params(modifier: Modifier) -> impl Iterator<Item = String> {
    [
        (Modifier::BOLD, "1"),
        (Modifier::DIM, "2"),
        (Modifier::ITALIC, "3"),
        (Modifier::UNDERLINED, "4"),
        (Modifier::SLOW_BLINK, "5"),
        (Modifier::RAPID_BLINK, "6"),
        (Modifier::REVERSED, "7"),
        (Modifier::HIDDEN, "8"),
        (Modifier::CROSSED_OUT, "9"),
    ]
    .into_iter()
    .filter(move |(m, _)| modifier.contains(*m))
    .map(|(_, p)| p.to_owned())
}

#[derive(Clone, Copy)]
enum Layer {
    Fg,
    Bg,
    Underline,
}

/// A colour's SGR parameters: the 16 basic colours in their short forms
/// (30-37 and 90-97, 40-47 and 100-107: the same palette entries as
/// `38;5;0`-`15`), the rest as 256-colour indexes or RGB.
fn colour(c: Color, layer: Layer) -> String {
    let (reset, extended, base, bright) = match layer {
        Layer::Fg => (39, 38, 30, 90),
        Layer::Bg => (49, 48, 40, 100),
        // No short forms for the underline colour.
        Layer::Underline => (59, 58, 0, 0),
    };
    let index = match c {
        Color::Reset => return reset.to_string(),
        Color::Rgb(r, g, b) => return format!("{extended};2;{r};{g};{b}"),
        Color::Black => 0,
        Color::Red => 1,
        Color::Green => 2,
        Color::Yellow => 3,
        Color::Blue => 4,
        Color::Magenta => 5,
        Color::Cyan => 6,
        Color::Gray => 7,
        Color::DarkGray => 8,
        Color::LightRed => 9,
        Color::LightGreen => 10,
        Color::LightYellow => 11,
        Color::LightBlue => 12,
        Color::LightMagenta => 13,
        Color::LightCyan => 14,
        Color::White => 15,
        Color::Indexed(i) => i,
    };
    match (layer, index) {
        (Layer::Underline, _) => format!("{extended};5;{index}"),
        (_, 0..=7) => (base + u16::from(index)).to_string(),
        (_, 8..=15) => (bright + u16::from(index) - 8).to_string(),
        _ => format!("{extended};5;{index}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Style;

    const HIGHLIGHT: Style = Style::new().fg(Color::Black).bg(Color::LightCyan);

    /// A 40x3 buffer with `rows` written from the left, each in its style,
    /// a highlighted row coloured to the edge.
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

    fn bytes_of(shown: &Buffer, next: &Buffer, bce: bool) -> Vec<u8> {
        let mut out = Vec::new();
        encode(&plan_frame(shown, next, bce), next.area, &mut out);
        out
    }

    /// What a terminal emulator shows after `shown` was drawn from a blank
    /// screen and then the frame to `next`.
    fn screen_after(shown: &Buffer, next: &Buffer, bce: bool) -> Vec<String> {
        let mut parser = vt100::Parser::new(3.try_into().unwrap(), 40.try_into().unwrap(), 0);
        parser.process(&bytes_of(&Buffer::empty(shown.area), shown, bce));
        parser.process(&bytes_of(shown, next, bce));
        read_screen(&parser)
    }

    /// The parser's screen in [`expected`]'s form.
    fn read_screen(parser: &vt100::Parser) -> Vec<String> {
        let screen = parser.screen();
        grid(|x, y| {
            let cell = screen.cell(y, x).unwrap();
            let text = if cell.has_contents() {
                cell.contents()
            } else {
                " "
            };
            let fg = (text != " ").then(|| vt_colour(cell.fgcolor()));
            let modes = [cell.bold(), cell.italic(), cell.underline(), cell.inverse()];
            (text.to_owned(), fg, vt_colour(cell.bgcolor()), modes)
        })
    }

    fn vt_colour(c: vt100::Color) -> Option<u8> {
        match c {
            vt100::Color::Default => None,
            vt100::Color::Idx(i) => Some(i),
            vt100::Color::Rgb(r, g, b) => Some(r ^ g ^ b),
        }
    }

    /// [`screen_after`]'s form of a buffer.
    fn expected(buffer: &Buffer) -> Vec<String> {
        let idx = |c: Color| match c {
            Color::Reset => None,
            Color::Indexed(i) => Some(i),
            Color::Rgb(r, g, b) => Some(r ^ g ^ b),
            named => colour(named, Layer::Underline)[5..].parse().ok(),
        };
        grid(|x, y| {
            let cell = &buffer[(x, y)];
            let text = cell.symbol();
            let fg = (text != " ").then(|| idx(cell.fg));
            let m = cell.modifier;
            let modes = [
                m.contains(Modifier::BOLD),
                m.contains(Modifier::ITALIC),
                m.contains(Modifier::UNDERLINED),
                m.contains(Modifier::REVERSED),
            ];
            (text.to_owned(), fg, idx(cell.bg), modes)
        })
    }

    /// The 40x3 rows, each cell as its text and its colours and modes when
    /// they are set.
    fn grid(
        cell: impl Fn(u16, u16) -> (String, Option<Option<u8>>, Option<u8>, [bool; 4]),
    ) -> Vec<String> {
        (0..3)
            .map(|y| {
                (0..40)
                    .map(|x| {
                        let (text, fg, bg, modes) = cell(x, y);
                        let mut s = text;
                        if let Some(Some(fg)) = fg {
                            s += &format!("<f{fg}>");
                        }
                        if let Some(bg) = bg {
                            s += &format!("<b{bg}>");
                        }
                        if modes.iter().any(|m| *m) {
                            s += &format!("<{modes:?}>");
                        }
                        s
                    })
                    .collect()
            })
            .collect()
    }

    fn erases(steps: &[Step]) -> Vec<(u16, u16, Color)> {
        steps
            .iter()
            .filter_map(|s| match s {
                Step::EraseToEnd(x, y, bg) => Some((*x, *y, *bg)),
                Step::Draw(..) => None,
            })
            .collect()
    }

    fn draws_on(steps: &[Step], row: u16) -> usize {
        steps
            .iter()
            .filter(|s| matches!(s, Step::Draw(_, y, _) if *y == row))
            .count()
    }

    /// Three rows, the highlight moving from the first to the second.
    fn highlight_moves_down() -> (Buffer, Buffer) {
        let plain = Style::new();
        let shown = frame(&[("first", HIGHLIGHT), ("second", plain), ("third", plain)]);
        let next = frame(&[("first", plain), ("second", HIGHLIGHT), ("third", plain)]);
        (shown, next)
    }

    #[test]
    fn a_repaint_puts_back_a_screen_another_program_garbled() {
        let (shown, _) = highlight_moves_down();
        let mut parser = vt100::Parser::new(3.try_into().unwrap(), 40.try_into().unwrap(), 0);
        parser.process(&bytes_of(&Buffer::empty(shown.area), &shown, false));
        // Someone else's output: text over the rows, a colour left set.
        parser.process(b"\x1b[2;3H\x1b[41;1mwall: system going down\r\nnoise");
        assert_ne!(read_screen(&parser), expected(&shown));
        // Planned against what osctui drew, nothing would be sent.
        assert!(plan_frame(&shown, &shown, false).is_empty());
        let mut out = Vec::new();
        clear_screen(&mut out);
        encode(
            &plan_frame(&Buffer::empty(shown.area), &shown, false),
            shown.area,
            &mut out,
        );
        parser.process(&out);
        assert_eq!(read_screen(&parser), expected(&shown));
    }

    #[test]
    fn a_row_losing_the_highlight_ends_with_one_erase() {
        let (shown, next) = highlight_moves_down();
        let steps = plan_frame(&shown, &next, false);
        assert_eq!(erases(&steps), [(5, 0, Color::Reset)]);
        // Row 0: only its text is drawn; row 1: all 40 cells (no bce).
        assert_eq!(draws_on(&steps, 0), 5);
        assert_eq!(draws_on(&steps, 1), 40);
        assert_eq!(screen_after(&shown, &next, false), expected(&next));
    }

    #[test]
    fn with_bce_the_highlighted_row_ends_with_an_erase_in_its_colour() {
        let (shown, next) = highlight_moves_down();
        let steps = plan_frame(&shown, &next, true);
        assert_eq!(
            erases(&steps),
            [(5, 0, Color::Reset), (6, 1, Color::LightCyan)]
        );
        assert_eq!(screen_after(&shown, &next, true), expected(&next));
        // Each row: where it starts, its colours, its text, one erase.
        assert_eq!(
            String::from_utf8_lossy(&bytes_of(&shown, &next, true)),
            "\x1b[1Hfirst\x1b[K\x1b[2H\x1b[30;106msecond\x1b[K\x1b[m"
        );
    }

    #[test]
    fn a_few_blanks_are_drawn_and_reversed_ends_are_never_erased() {
        let plain = Style::new();
        // 40 - 37 = 3 changed blanks: fewer than ERASE_FROM.
        let long = "x".repeat(37);
        let shown = frame(&[(&long, HIGHLIGHT), ("b", plain), ("c", plain)]);
        let reversed = Style::new().add_modifier(Modifier::REVERSED);
        let mut next = frame(&[(&long, plain), ("b", plain), ("c", plain)]);
        next.set_style(Rect::new(0, 2, 40, 1), reversed);
        let steps = plan_frame(&shown, &next, true);
        assert!(erases(&steps).is_empty(), "{steps:?}");
        assert_eq!(screen_after(&shown, &next, true), expected(&next));
    }

    #[test]
    fn a_wide_character_before_the_blank_end_stays_whole() {
        let plain = Style::new();
        let shown = frame(&[("名前", HIGHLIGHT), ("", plain), ("", plain)]);
        let next = frame(&[("名前", plain), ("", plain), ("", plain)]);
        let steps = plan_frame(&shown, &next, false);
        // 前 covers cells 2 and 3, and cell 3 is blank in the buffer: the
        // erase starts after it, not on it.
        assert_eq!(erases(&steps), [(4, 0, Color::Reset)]);
        assert_eq!(screen_after(&shown, &next, false), expected(&next));
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
        assert_eq!(screen_after(&shown, &next, false), expected(&next));
    }

    #[test]
    fn styles_change_in_one_sgr_with_only_what_changed() {
        let plain = Style::new();
        let mut shown = frame(&[("", plain), ("", plain), ("", plain)]);
        let mut next = shown.clone();
        let dark = Style::new().fg(Color::Indexed(245)).bg(Color::Rgb(1, 2, 3));
        let styles = [
            Style::new().fg(Color::Yellow),
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            dark,
            dark.add_modifier(Modifier::DIM),
            dark.add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::ITALIC),
            Style::new()
                .fg(Color::White)
                .add_modifier(Modifier::UNDERLINED | Modifier::REVERSED),
            Style::new().fg(Color::White).bg(Color::Blue),
        ];
        for (i, style) in styles.iter().enumerate() {
            let x = u16::try_from(i).unwrap_or(0) * 2;
            next.set_string(x, 0, "ab", *style);
            shown.set_string(x, 1, "cd", *style);
            next.set_string(39 - x - 1, 2, "ef", *style);
        }
        assert_eq!(screen_after(&shown, &next, false), expected(&next));
        let bytes = bytes_of(&Buffer::empty(next.area), &next, false);
        let text = String::from_utf8_lossy(&bytes);
        // Only what changed (bold and dim share their reset, 22), or a
        // reset and the rest when that is shorter.
        assert!(
            text.starts_with(
                "\x1b[1H\x1b[33mab\x1b[1mab\x1b[0;38;5;245;48;2;1;2;3mab\x1b[2mab\x1b[22;1mab\
                 \x1b[0;1;3mab\x1b[0;4;7;97mab\x1b[0;97;44mab"
            ),
            "{text:?}"
        );
    }

    #[test]
    fn the_cursor_moves_the_shortest_way_and_a_reset_is_esc_m() {
        let plain = Style::new();
        let shown = frame(&[("", plain), ("", plain), ("", plain)]);
        let mut next = shown.clone();
        next.set_string(0, 0, "a", plain);
        next.set_string(5, 0, "b", Style::new().fg(Color::Yellow));
        next.set_string(6, 1, "c", plain);
        next.set_string(39, 1, "d", plain);
        next.set_string(0, 2, "e", plain);
        let bytes = bytes_of(&shown, &next, false);
        assert_eq!(
            String::from_utf8_lossy(&bytes),
            "\x1b[1Ha\x1b[4C\x1b[33mb\x1b[2;7H\x1b[mc\x1b[32Cd\x1b[3He"
        );
        assert_eq!(screen_after(&shown, &next, false), expected(&next));
    }
}
