//! Ages as kubectl shows them (45s, 12m, 5h, 3d, 2y), and when a shown age
//! next changes, so the event loop can redraw exactly then and stay idle
//! otherwise.

/// Short age of something created at `then`, seen at `now` (seconds since
/// the Unix epoch). Clocks may disagree a little: the future reads as 0s.
pub fn format_age(now: i64, then: i64) -> String {
    let secs = now.saturating_sub(then).max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3_600 => format!("{}m", secs / 60),
        3_600..86_400 => format!("{}h", secs / 3_600),
        86_400..31_536_000 => format!("{}d", secs / 86_400),
        _ => format!("{}y", secs / 31_536_000),
    }
}

/// Seconds until [`format_age`] of `then` shows something else.
pub fn next_change(now: i64, then: i64) -> i64 {
    let secs = now.saturating_sub(then).max(0);
    let unit = match secs {
        0..60 => 1,
        60..3_600 => 60,
        3_600..86_400 => 3_600,
        86_400..31_536_000 => 86_400,
        _ => 31_536_000,
    };
    unit - secs % unit
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_kubectl() {
        assert_eq!(format_age(100, 100), "0s");
        assert_eq!(format_age(100, 200), "0s");
        assert_eq!(format_age(159, 100), "59s");
        assert_eq!(format_age(160, 100), "1m");
        assert_eq!(format_age(100 + 3_599, 100), "59m");
        assert_eq!(format_age(100 + 7_200, 100), "2h");
        assert_eq!(format_age(100 + 3 * 86_400, 100), "3d");
        assert_eq!(format_age(100 + 2 * 31_536_000, 100), "2y");
    }

    #[test]
    fn next_change_lands_on_a_new_label() {
        for age in [0, 1, 59, 60, 61, 119, 3_599, 3_600, 86_399, 86_400] {
            let step = next_change(age, 0);
            assert!(step >= 1);
            assert_ne!(format_age(age + step, 0), format_age(age, 0), "age {age}");
            assert_eq!(
                format_age(age + step - 1, 0),
                format_age(age, 0),
                "age {age}"
            );
        }
    }
}
