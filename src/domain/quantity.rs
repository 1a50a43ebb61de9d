//! Kubernetes resource quantities ("250m", "1.5", "48Mi", "1Gi", "2e3",
//! "100k") as plain numbers, for CPU and memory figures.
//!
//! The console only needs the value to draw and compare it, so a quantity
//! becomes an `f64` (CPU in cores, memory in bytes); the exact decimal
//! arithmetic of the API server is not needed for that.

/// The value of a quantity: `Some(0.25)` for "250m", `Some(50331648.0)` for
/// "48Mi". `None` when the text is not a quantity (empty, a bad number or
/// an unknown suffix) or the value is not finite.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    // The number: an optional sign, digits with at most one point.
    let bytes = text.as_bytes();
    let mut end = usize::from(matches!(bytes.first(), Some(b'+' | b'-')));
    let digits_from = end;
    let mut points = 0;
    while let Some(&b) = bytes.get(end) {
        match b {
            b'0'..=b'9' => {}
            b'.' => points += 1,
            _ => break,
        }
        end += 1;
    }
    let (number, suffix) = text.split_at(end);
    let mantissa = &number[digits_from..];
    if points > 1 || !mantissa.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let number: f64 = number.parse().ok()?;
    let factor = factor(suffix)?;
    let value = number * factor;
    value.is_finite().then_some(value)
}

/// The multiplier a suffix stands for: binary (Ki…Ei), decimal SI (n…E),
/// or a decimal exponent ("e3", "E-2").
fn factor(suffix: &str) -> Option<f64> {
    const KI: f64 = 1024.0;
    let f = match suffix {
        "" => 1.0,
        "Ki" => KI,
        "Mi" => KI * KI,
        "Gi" => KI * KI * KI,
        "Ti" => KI * KI * KI * KI,
        "Pi" => KI * KI * KI * KI * KI,
        "Ei" => KI * KI * KI * KI * KI * KI,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        _ => {
            let exponent = suffix
                .strip_prefix('e')
                .or_else(|| suffix.strip_prefix('E'))?;
            let digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let exponent: i32 = exponent.parse().ok()?;
            10f64.powi(exponent)
        }
    };
    Some(f)
}

/// CPU in millicores ("250m" → 250, "2" → 2000).
pub fn cpu_millis(text: &str) -> Option<f64> {
    parse(text).map(|cores| cores * 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() <= b.abs() * 1e-12)
    }

    #[test]
    fn decimal_binary_and_exponent_forms() {
        assert!(close(parse("250m"), 0.25));
        assert!(close(parse("1.5"), 1.5));
        assert!(close(parse("48Mi"), 48.0 * 1024.0 * 1024.0));
        assert!(close(parse("1Gi"), 1024.0 * 1024.0 * 1024.0));
        assert!(close(parse("2e3"), 2000.0));
        assert!(close(parse("2E3"), 2000.0));
        assert!(close(parse("15e-1"), 1.5));
        assert!(close(parse("100k"), 100_000.0));
        assert!(close(parse("12345n"), 12345e-9));
        assert!(close(parse("7u"), 7e-6));
        assert!(close(parse("3M"), 3e6));
        assert!(close(parse("1E"), 1e18));
        assert!(close(parse("4Ki"), 4096.0));
        assert!(close(parse(".5"), 0.5));
        assert!(close(parse("5."), 5.0));
        assert!(close(parse("+1"), 1.0));
        assert!(close(parse("-2m"), -0.002));
        assert!(close(parse(" 64Mi\n"), 64.0 * 1024.0 * 1024.0));
        assert_eq!(parse("0"), Some(0.0));
    }

    #[test]
    fn cpu_in_millicores() {
        assert!(close(cpu_millis("250m"), 250.0));
        assert!(close(cpu_millis("2"), 2000.0));
        assert!(close(cpu_millis("123456789n"), 123.456789));
    }

    #[test]
    fn rejects_what_is_not_a_quantity() {
        for bad in [
            "", "m", "Mi", ".", "+", "1..2", "1.2.3", "1x", "1mi", "1MiB", "e3", "1e", "1e+",
            "1ee3", "1e3.5", "--1", "1 Mi", "1e99999", "NaN", "inf", "1Ki2",
        ] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }
}
