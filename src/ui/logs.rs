//! The logs view: a status heading (scope, follow or paused, options,
//! line count, streams), then the lines around the position, each with an
//! optional timestamp, a short pod label in the pod's colour (merged
//! scope) and its text styled by level, search matches highlighted.
//!
//! Only the lines on screen are laid out (wrapped, pretty-printed): the
//! state's [`LogView::top_position`] says where to start.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};

use super::format;
use super::widgets::{self, Piece};
use crate::domain::text::sanitize;
use crate::keymap::Mode;
use crate::state::logs::{
    CONTINUATION_INDENT, LineRow, LogLevel, LogLine, LogScope, LogView, TIME_WIDTH,
};
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

/// Pod colours, the same in every theme; hashed by pod name so a pod keeps
/// its colour across sessions.
const POD_COLORS: [Color; 8] = [
    Color::Cyan,
    Color::Magenta,
    Color::Green,
    Color::Blue,
    Color::LightYellow,
    Color::LightCyan,
    Color::LightMagenta,
    Color::LightGreen,
];

/// Draws the view's heading row and body.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    body: Rect,
    layout: &ScreenLayout,
    state: &State,
    theme: &Theme,
) {
    let Some(logs) = &state.logs else {
        widgets::body_message(buf, body, ("no log view open".into(), theme.muted));
        return;
    };
    if layout.heading_row < layout.bottom_row
        && let Some(rect) = widgets::row(area, layout.heading_row)
    {
        let pieces = heading(logs, theme);
        widgets::put(
            buf,
            rect.x + 1,
            rect.y,
            &pieces,
            rect.width.saturating_sub(1),
        );
    }
    if body.height == 0 || body.width == 0 {
        return;
    }
    if logs.lines.is_empty() {
        draw_empty(buf, body, logs, theme);
        return;
    }
    let height = usize::from(body.height);
    let text_width = logs.text_width(body.width);
    let (start, skip) = logs.top_position(text_width, height);
    // While the search is typed, its matches show as it grows.
    let needle = if state.mode == Mode::FilterInput {
        state.filter_input.to_lowercase()
    } else {
        logs.search.to_lowercase()
    };
    let colored = has_colour(theme);
    let mut y = body.y;
    let mut skip = skip;
    'lines: for index in start..logs.lines.len() {
        let Some(line) = logs.lines.get(index) else {
            break;
        };
        for row in logs.line_rows(index, text_width) {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            if y >= body.bottom() {
                break 'lines;
            }
            let pieces = match row {
                LineRow::Dropped => vec![(
                    format!(
                        "{} older lines dropped (cap {})",
                        thousands(logs.dropped),
                        thousands(logs.cap as u64)
                    ),
                    theme.notice,
                )],
                LineRow::Text { first, text } => {
                    let mut pieces = prefix(logs, line, first, colored, theme);
                    highlight(
                        &mut pieces,
                        &text,
                        &needle,
                        level_style(line.level, theme),
                        theme,
                    );
                    pieces
                }
            };
            widgets::put(buf, body.x + 1, y, &pieces, body.width.saturating_sub(1));
            y += 1;
        }
    }
}

/// "all pods · following · tail 500 · 1,234 lines · 3 streams attached".
fn heading(logs: &LogView, theme: &Theme) -> Vec<Piece> {
    let sep = || (" · ".to_owned(), theme.muted);
    let scope = match &logs.request.scope {
        LogScope::AllPods => "all pods".to_owned(),
        LogScope::One(target) => sanitize(&target.label()).into_owned(),
    };
    let mut pieces: Vec<Piece> = vec![(scope, theme.accent), sep()];
    let options = logs.request.options;
    if !logs.pinned {
        let n = logs.new_below;
        let s = if n == 1 { "" } else { "s" };
        let text = if n == 0 {
            "paused (G to resume)".to_owned()
        } else {
            format!("paused — {} new line{s} below (G to resume)", thousands(n))
        };
        pieces.push((text, theme.notice));
    } else if options.follow {
        pieces.push(("following".into(), theme.base));
    } else {
        pieces.push(("not following".into(), theme.muted));
    }
    // Reading a terminated container's lines must not go unnoticed.
    if options.previous {
        pieces.push(sep());
        pieces.push(("previous container".into(), theme.notice));
    }
    pieces.push(sep());
    let n = logs.lines.len() as u64;
    // Over the cap, say how many went: the count alone would look stuck.
    let dropped = if logs.dropped > 0 {
        format!(" (+{} dropped)", thousands(logs.dropped))
    } else {
        String::new()
    };
    pieces.push((
        format!(
            "{} line{}{dropped}",
            thousands(n),
            if n == 1 { "" } else { "s" }
        ),
        theme.base,
    ));
    let streams = logs.streams_summary();
    if !streams.is_empty() {
        pieces.push(sep());
        let failing = logs
            .sources
            .values()
            .any(|s| !matches!(s.status, crate::state::logs::StreamStatus::Attached));
        let style = if failing { theme.notice } else { theme.muted };
        pieces.push((sanitize(&streams).into_owned(), style));
    }
    let mut flags = Vec::new();
    if let Some(since) = options.since_seconds {
        flags.push(format!("since {}", since_label(since)));
    }
    flags.push(match options.tail_lines {
        Some(n) => format!("tail {n}"),
        None => "tail all".into(),
    });
    for flag in flags {
        pieces.push(sep());
        pieces.push((flag, theme.base));
    }
    if !logs.search.is_empty() {
        pieces.push(sep());
        pieces.push((format!("/{}", sanitize(&logs.search)), theme.accent));
    }
    pieces
}

/// Before the first line: say what the streams are doing.
fn draw_empty(buf: &mut Buffer, body: Rect, logs: &LogView, theme: &Theme) {
    let waiting = if logs.sources.is_empty() {
        "waiting for the streams…"
    } else {
        "no lines yet"
    };
    let mut rows: Vec<Vec<Piece>> = vec![vec![(waiting.to_owned(), theme.muted)]];
    for s in logs.sources.values() {
        use crate::state::logs::StreamStatus::*;
        let (word, reason, style) = match &s.status {
            Attached => ("attached", "", theme.muted),
            Waiting(r) => ("waiting", r.as_str(), theme.muted),
            Reattaching(r) => ("reattaching", r.as_str(), theme.notice),
            Ended(r) => ("ended", r.as_str(), theme.muted),
            Failed(r) => ("failed", r.as_str(), theme.error),
        };
        let mut text = format!("{}: {word}", s.target.label());
        if !reason.is_empty() {
            text.push_str(": ");
            text.push_str(reason);
        }
        rows.push(vec![(sanitize(&text).into_owned(), style)]);
    }
    for (i, pieces) in rows.iter().enumerate() {
        let y = body.y.saturating_add(u16::try_from(i).unwrap_or(u16::MAX));
        if y >= body.bottom() {
            break;
        }
        widgets::put(buf, body.x + 1, y, pieces, body.width.saturating_sub(1));
    }
}

/// Timestamp and pod label columns (blank on continuation rows).
fn prefix(logs: &LogView, line: &LogLine, first: bool, colored: bool, theme: &Theme) -> Vec<Piece> {
    let mut pieces = Vec::new();
    if logs.timestamps {
        let text = match (first, line.time_ms) {
            (true, Some(ms)) => format!("{} ", clock_ms(ms)),
            _ => " ".repeat(TIME_WIDTH),
        };
        pieces.push((text, theme.muted));
    }
    if logs.labels_shown() {
        let source = logs.sources.get(&line.source);
        let label = match (first, source) {
            (true, Some(s)) => format::fit(&s.label, logs.label_width),
            (true, None) => format::fit("?", logs.label_width),
            (false, _) => " ".repeat(logs.label_width),
        };
        let style = match source {
            Some(s) if colored => Style::new().fg(pod_colour(&s.target.pod)),
            _ => theme.muted,
        };
        pieces.push((label, style));
        pieces.push((" ".into(), theme.base));
    } else if !first {
        pieces.push((" ".repeat(CONTINUATION_INDENT), theme.base));
    }
    pieces
}

/// Appends `text` with the search matches in the highlight style.
fn highlight(pieces: &mut Vec<Piece>, text: &str, needle: &str, style: Style, theme: &Theme) {
    let text = sanitize(text);
    let mut at = 0;
    for range in crate::state::logs::match_ranges(&text, needle) {
        if range.start > at {
            pieces.push((text[at..range.start].to_owned(), style));
        }
        pieces.push((text[range.clone()].to_owned(), theme.selected));
        at = range.end;
    }
    if at < text.len() || at == 0 {
        pieces.push((text[at..].to_owned(), style));
    }
}

fn level_style(level: LogLevel, theme: &Theme) -> Style {
    match level {
        LogLevel::Error => theme.error,
        LogLevel::Warn => theme.warning_event,
        LogLevel::Debug => theme.muted,
        LogLevel::Info | LogLevel::Unknown => theme.base,
    }
}

/// Whether the theme uses colour at all (the monochrome theme, chosen for
/// NO_COLOR, has none): pod colours are left out without it.
fn has_colour(theme: &Theme) -> bool {
    [theme.healthy, theme.failed, theme.error, theme.muted]
        .iter()
        .any(|s| s.fg.is_some() || s.bg.is_some())
}

/// The pod's colour: FNV-1a of its name, so it is stable everywhere.
pub fn pod_colour(pod: &str) -> Color {
    let mut hash: u32 = 0x811c_9dc5;
    for b in pod.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    POD_COLORS[hash as usize % POD_COLORS.len()]
}

/// 300 → "5m", 86400 → "24h".
fn since_label(seconds: i64) -> String {
    match seconds {
        s if s % 3_600 == 0 => format!("{}h", s / 3_600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// `HH:MM:SS.mmm` in UTC.
fn clock_ms(ms: i64) -> String {
    format!(
        "{}.{:03}",
        format::clock(ms.div_euclid(1_000)),
        ms.rem_euclid(1_000)
    )
}

/// 1234567 → "1,234,567".
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
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
    fn numbers_and_clock() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234), "1,234");
        assert_eq!(thousands(50_000), "50,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(clock_ms(1_773_495_900_042), "13:45:00.042");
        assert_eq!(clock_ms(-1), "23:59:59.999");
    }

    #[test]
    fn pod_colours_are_stable_and_spread() {
        assert_eq!(pod_colour("orders-kafka-0"), pod_colour("orders-kafka-0"));
        let colours: std::collections::HashSet<_> = (0..6)
            .map(|i| pod_colour(&format!("orders-kafka-{i}")))
            .collect();
        assert!(colours.len() >= 3, "{colours:?}");
        assert!(has_colour(&Theme::default()));
        let mono = Theme::builtin("monochrome").expect("builtin theme");
        assert!(!has_colour(&mono));
    }
}
