//! Kubernetes quantities: just enough to scale resource requests into the
//! simulated usage that the sandbox's KWOK reports for a pod.

/// Parses a quantity ("250m", "2", "1.5Gi", "2e3") into a plain number (cores
/// for CPU, bytes for memory); `None` if it is not one.
pub fn parse(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    if number.is_empty() {
        return None;
    }
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0_f64.powi(2),
        "Gi" => 1024.0_f64.powi(3),
        "Ti" => 1024.0_f64.powi(4),
        "Pi" => 1024.0_f64.powi(5),
        "Ei" => 1024.0_f64.powi(6),
        exp if exp.starts_with(['e', 'E']) => {
            return text
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && *v >= 0.0);
        }
        _ => return None,
    };
    let value = number.parse::<f64>().ok()? * factor;
    (value.is_finite() && value >= 0.0).then_some(value)
}

/// A CPU amount in cores as millicores, at least `1m`.
pub fn format_cpu(cores: f64) -> String {
    let millis = (cores * 1000.0).round().max(1.0);
    format!("{millis:.0}m")
}

/// A memory amount in bytes as whole `Mi` (or `Ki` below one Mi), at least
/// `1Ki`.
pub fn format_memory(bytes: f64) -> String {
    let mib = bytes / (1024.0 * 1024.0);
    if mib >= 1.0 {
        format!("{:.0}Mi", mib.round())
    } else {
        format!("{:.0}Ki", (bytes / 1024.0).round().max(1.0))
    }
}

/// The simulated usage of a container: `cpu_fraction` of its CPU request
/// and `memory_fraction` of its memory request (`kwok.x-k8s.io/usage-cpu`
/// and `usage-memory`). A request that is missing or not a quantity is
/// replaced by `default_cpu` / `default_memory`.
pub fn simulated_usage(
    cpu_request: Option<&str>,
    memory_request: Option<&str>,
    defaults: (&str, &str),
    fractions: (f64, f64),
) -> (String, String) {
    let cpu = cpu_request
        .and_then(parse)
        .or_else(|| parse(defaults.0))
        .unwrap_or(0.5);
    let memory = memory_request
        .and_then(parse)
        .or_else(|| parse(defaults.1))
        .unwrap_or(1024.0 * 1024.0 * 1024.0);
    (
        format_cpu(cpu * fractions.0),
        format_memory(memory * fractions.1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quantities() {
        assert_eq!(parse("250m"), Some(0.25));
        assert_eq!(parse("2"), Some(2.0));
        assert_eq!(parse("2Gi"), Some(2.0 * 1024.0 * 1024.0 * 1024.0));
        assert_eq!(parse("1e3"), Some(1000.0));
        assert_eq!(parse("1.5k"), Some(1500.0));
        assert_eq!(parse("-1"), None);
        assert_eq!(parse("Gi"), None);
        assert_eq!(parse("12Qi"), None);
    }

    #[test]
    fn usage_is_a_fraction_of_the_requests() {
        assert_eq!(
            simulated_usage(Some("500m"), Some("2Gi"), ("1", "1Gi"), (0.4, 0.6)),
            ("200m".to_owned(), "1229Mi".to_owned())
        );
        assert_eq!(
            simulated_usage(Some("1"), Some("4Gi"), ("1", "1Gi"), (0.4, 0.6)),
            ("400m".to_owned(), "2458Mi".to_owned())
        );
        // Missing or broken requests use the defaults.
        assert_eq!(
            simulated_usage(None, Some("lots"), ("250m", "512Mi"), (0.4, 0.6)),
            ("100m".to_owned(), "307Mi".to_owned())
        );
        // Tiny values stay positive.
        assert_eq!(
            simulated_usage(Some("1m"), Some("1Ki"), ("1", "1Gi"), (0.4, 0.6)),
            ("1m".to_owned(), "1Ki".to_owned())
        );
    }
}
