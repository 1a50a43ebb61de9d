//! The `/` filter, in the k9s manner: plain case-insensitive substring, `!`
//! inverts, `~` asks for a fuzzy subsequence match with a score.
//!
//! Each row's lowercase haystack is computed once when the row is stored, so a
//! keystroke costs one linear scan over rows without allocating per row.

use super::rows::InstanceRow;

/// Separates fields in a haystack so that a substring cannot span two fields.
const SEP: char = '\u{1}';

/// Builds the lowercase text a row is matched against: name, namespace,
/// service, version and health label.
pub fn haystack(row: &InstanceRow) -> String {
    let mut text =
        String::with_capacity(row.name.len() + row.namespace.len() + row.service.len() + 32);
    for (i, field) in [
        row.name.as_str(),
        row.namespace.as_str(),
        row.service.as_str(),
        row.version.as_deref().unwrap_or(""),
        row.health.label(),
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            text.push(SEP);
        }
        text.extend(field.chars().flat_map(char::to_lowercase));
    }
    text
}

/// How the needle is matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchMode {
    /// Case-insensitive substring.
    Substring,
    /// Case-insensitive subsequence, scored.
    Fuzzy,
}

/// A parsed filter text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    needle: String,
    mode: MatchMode,
    inverted: bool,
}

impl Default for Filter {
    fn default() -> Self {
        Self::parse("")
    }
}

impl Filter {
    /// Parses the text typed after `/`. `!` first inverts; then `~` selects
    /// fuzzy matching. The rest is lowercased once here.
    pub fn parse(text: &str) -> Self {
        let (inverted, rest) = match text.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (mode, rest) = match rest.strip_prefix('~') {
            Some(rest) => (MatchMode::Fuzzy, rest),
            None => (MatchMode::Substring, rest),
        };
        Self {
            needle: rest.chars().flat_map(char::to_lowercase).collect(),
            mode,
            inverted,
        }
    }

    /// Like [`Filter::parse`], with fuzzy forced on by a setting.
    pub fn parse_with(text: &str, fuzzy: bool) -> Self {
        let mut filter = Self::parse(text);
        if fuzzy {
            filter.mode = MatchMode::Fuzzy;
        }
        filter
    }

    /// Whether the filter lets everything through.
    pub fn is_empty(&self) -> bool {
        self.needle.is_empty()
    }

    /// The matching mode.
    pub fn mode(&self) -> MatchMode {
        self.mode
    }

    /// Whether matches are inverted.
    pub fn is_inverted(&self) -> bool {
        self.inverted
    }

    /// Scores a lowercase haystack: `None` when the row is filtered out;
    /// higher is better. Substring and inverted matches all score 0.
    pub fn score(&self, haystack: &str) -> Option<i64> {
        if self.needle.is_empty() {
            return Some(0);
        }
        let found = match self.mode {
            MatchMode::Substring => haystack.contains(self.needle.as_str()).then_some(0),
            MatchMode::Fuzzy => fuzzy_score(&self.needle, haystack),
        };
        match (self.inverted, found) {
            (false, found) => found,
            (true, Some(_)) => None,
            (true, None) => Some(0),
        }
    }

    /// Whether a haystack passes the filter.
    pub fn matches(&self, haystack: &str) -> bool {
        self.score(haystack).is_some()
    }
}

/// Greedy subsequence match: consecutive characters and characters at the
/// start of a word score more; gaps cost a little. No allocation.
pub fn fuzzy_score(needle: &str, haystack: &str) -> Option<i64> {
    let mut wanted = needle.chars().peekable();
    let mut score: i64 = 0;
    let mut previous: Option<char> = None;
    let mut last_match = false;
    for c in haystack.chars() {
        let Some(&w) = wanted.peek() else {
            break;
        };
        if c == w {
            wanted.next();
            score += 1;
            if last_match {
                score += 5;
            }
            let word_start = previous.is_none_or(|p| !p.is_alphanumeric());
            if word_start {
                score += 3;
            }
            last_match = true;
        } else {
            score -= 1;
            last_match = false;
        }
        previous = Some(c);
    }
    wanted.peek().is_none().then_some(score)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::rows::Health;
    use crate::state::rows::tests::row;

    fn hay(name: &str, ns: &str) -> String {
        haystack(&row("u", name, ns, "Kafka", Health::Degraded))
    }

    #[test]
    fn haystack_is_lowercase_and_covers_fields() {
        let h = hay("Orders-DB", "Prod");
        assert_eq!(h, "orders-db\u{1}prod\u{1}kafka\u{1}1.0\u{1}degraded");
    }

    #[test]
    fn substring_is_case_insensitive_and_field_bounded() {
        let h = hay("orders", "prod");
        assert!(Filter::parse("ORD").matches(&h));
        assert!(Filter::parse("degraded").matches(&h));
        assert!(Filter::parse("1.0").matches(&h));
        assert!(!Filter::parse("sprod").matches(&h));
        assert!(Filter::parse("").matches(&h));
        assert_eq!(Filter::parse("ord").score(&h), Some(0));
        assert_eq!(Filter::parse("zzz").score(&h), None);
        assert_eq!(Filter::parse("!zzz").score(&h), Some(0));
        assert!(Filter::default().is_empty());
        assert_eq!(Filter::parse("x").mode(), MatchMode::Substring);
    }

    #[test]
    fn bang_inverts() {
        let h = hay("orders", "prod");
        let f = Filter::parse("!prod");
        assert!(f.is_inverted());
        assert!(!f.matches(&h));
        assert!(Filter::parse("!staging").matches(&h));
        assert!(Filter::parse("!").matches(&h));
    }

    #[test]
    fn tilde_is_fuzzy_with_scores() {
        let h = hay("orders-db", "prod");
        let f = Filter::parse("~odb");
        assert_eq!(f.mode(), MatchMode::Fuzzy);
        assert!(f.matches(&h));
        assert!(!Filter::parse("~zz").matches(&h));
        assert!(!Filter::parse("!~odb").matches(&h));
        assert!(Filter::parse_with("odb", true).matches(&h));
        assert!(!Filter::parse_with("odb", false).matches(&h));
        let tight = fuzzy_score("ord", "orders").unwrap_or(i64::MIN);
        let loose = fuzzy_score("ord", "o-r-d").unwrap_or(i64::MIN);
        assert!(tight > loose, "{tight} <= {loose}");
        assert_eq!(fuzzy_score("abc", "ab"), None);
    }

    #[test]
    fn filters_ten_thousand_rows() {
        let haystacks: Vec<String> = (0..10_000)
            .map(|i| {
                hay(
                    &format!("inst-{i:05}"),
                    if i % 2 == 0 { "prod" } else { "dev" },
                )
            })
            .collect();
        let count = |f: &Filter| haystacks.iter().filter(|h| f.matches(h)).count();
        assert_eq!(count(&Filter::parse("prod")), 5_000);
        assert_eq!(count(&Filter::parse("!prod")), 5_000);
        assert_eq!(count(&Filter::parse("inst-0000")), 10);
        // x999, 9x99, 99x9, 999x (9 each, x != 9) plus 9999.
        assert_eq!(count(&Filter::parse("~i0999")), 37);
    }
}
