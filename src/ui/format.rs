//! Text formatting shared by the views: ages, clock times, truncation to a
//! number of terminal cells.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The ellipsis put where text was cut.
pub const ELLIPSIS: char = '…';

/// An age the way kubectl prints it: `45s`, `5m`, `3h`, `2d`, `3y`.
/// Negative ages (clock skew) read as `0s`.
pub fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s}s"),
        60..=3_599 => format!("{}m", s / 60),
        3_600..=86_399 => format!("{}h", s / 3_600),
        86_400..=31_535_999 => format!("{}d", s / 86_400),
        _ => format!("{}y", s / 31_536_000),
    }
}

/// Age of a moment (seconds since the epoch) seen from `now`.
pub fn age_since(now: i64, then: i64) -> String {
    age(now.saturating_sub(then))
}

/// Time of day, `HH:MM:SS` in UTC, of seconds since the epoch.
pub fn clock(epoch_seconds: i64) -> String {
    let s = epoch_seconds.rem_euclid(86_400);
    format!("{:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60)
}

/// Cells a text takes on screen.
pub fn width(text: &str) -> usize {
    text.width()
}

/// The longest start of `text` that fits in `max` cells.
pub fn head(text: &str, max: usize) -> &str {
    let mut used = 0;
    for (at, c) in text.char_indices() {
        used += c.width().unwrap_or(0);
        if used > max {
            return &text[..at];
        }
    }
    text
}

/// Cuts text to at most `max` cells, ending with '…' when cut.
pub fn truncate(text: &str, max: usize) -> Cow<'_, str> {
    if text.width() <= max {
        return Cow::Borrowed(text);
    }
    if max == 0 {
        return Cow::Borrowed("");
    }
    let mut out = head(text, max - 1).to_owned();
    out.push(ELLIPSIS);
    Cow::Owned(out)
}

/// Text cut or padded with spaces to exactly `cells` cells.
pub fn fit(text: &str, cells: usize) -> String {
    let cut = truncate(text, cells);
    let pad = cells.saturating_sub(cut.width());
    let mut out = String::with_capacity(cut.len() + pad);
    out.push_str(&cut);
    out.extend(std::iter::repeat_n(' ', pad));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_like_kubectl() {
        assert_eq!(age(-5), "0s");
        assert_eq!(age(45), "45s");
        assert_eq!(age(300), "5m");
        assert_eq!(age(3 * 3600 + 59), "3h");
        assert_eq!(age(2 * 86_400 + 7), "2d");
        assert_eq!(age(800 * 86_400), "2y");
        assert_eq!(age_since(100, 40), "1m");
    }

    #[test]
    fn clock_is_utc_time_of_day() {
        assert_eq!(clock(0), "00:00:00");
        assert_eq!(clock(86_400 + 3_600 * 13 + 62), "13:01:02");
        assert_eq!(clock(-1), "23:59:59");
    }

    #[test]
    fn truncates_by_cells() {
        assert_eq!(truncate("orders", 10), "orders");
        assert_eq!(truncate("orders", 6), "orders");
        assert_eq!(truncate("orders", 5), "orde…");
        assert_eq!(truncate("orders", 1), "…");
        assert_eq!(truncate("orders", 0), "");
        // A wide character that does not fit whole is dropped.
        assert_eq!(truncate("ab漢字", 4), "ab…");
        assert_eq!(fit("ab", 4), "ab  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(width("✓ ok"), 4);
        assert_eq!(head("ab漢字", 3), "ab");
        assert_eq!(head("ab", 3), "ab");
    }
}
