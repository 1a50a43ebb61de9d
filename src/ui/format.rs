//! Text formatting shared by the views: ages, clock times, truncation to a
//! number of terminal cells.

use std::borrow::Cow;

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// The ellipsis put where text was cut.
pub const ELLIPSIS: char = '…';

/// Age of an elapsed number of seconds, like kubectl (45s, 12m, 5h, 3d, 2y).
pub fn age(seconds: i64) -> String {
    crate::state::age::format_age(seconds, 0)
}

/// Age of a moment (seconds since the epoch) seen from `now`. The same
/// function decides when the event loop redraws for ages.
pub fn age_since(now: i64, then: i64) -> String {
    crate::state::age::format_age(now, then)
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
