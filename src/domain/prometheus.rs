//! The Prometheus text exposition format (what an exporter's `/metrics`
//! answers), and the series selectors a MonitorConfig metric's `name` holds
//! (`kafka_x_total`, `kafka_y{request="Produce",quantile="0.99"}`).
//!
//! The text comes from pods, so it is untrusted: the parser never panics,
//! skips (and counts) the lines it cannot read instead of refusing the
//! whole page, and keeps going on anything else.

use std::collections::{BTreeMap, HashMap};

/// A metric family's type, from its `# TYPE` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricType {
    /// Only goes up (or resets to zero when the process restarts).
    Counter,
    /// Goes up and down.
    Gauge,
    /// `_bucket`, `_sum` and `_count` series.
    Histogram,
    /// Quantile series plus `_sum` and `_count`.
    Summary,
    /// `untyped`, or a type this parser does not know.
    Untyped,
}

/// One sample line: `name{labels} value [timestamp]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Series name.
    pub name: String,
    /// Labels, unescaped.
    pub labels: BTreeMap<String, String>,
    /// The value (may be NaN or infinite).
    pub value: f64,
    /// Milliseconds since the Unix epoch, when the exporter gave one.
    pub timestamp_ms: Option<i64>,
}

/// A parsed exposition.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    /// The samples, in the page's order.
    pub samples: Vec<Sample>,
    /// `# TYPE` of each family.
    pub types: HashMap<String, MetricType>,
    /// `# HELP` of each family, unescaped.
    pub help: HashMap<String, String>,
    /// Lines that could not be read and were skipped.
    pub skipped: usize,
}

impl Exposition {
    /// Whether the series `name` only goes up, so that its rate is what a
    /// chart shows: a counter family (`foo` or, OpenMetrics style, `foo`
    /// for `foo_total`), any `*_total` series, and the `_sum`, `_count` and
    /// `_bucket` series of histograms and summaries.
    pub fn is_counter(&self, name: &str) -> bool {
        if name.ends_with("_total") {
            return true;
        }
        if self.types.get(name) == Some(&MetricType::Counter) {
            return true;
        }
        ["_sum", "_count", "_bucket"].iter().any(|suffix| {
            name.strip_suffix(suffix).is_some_and(|family| {
                matches!(
                    self.types.get(family),
                    Some(MetricType::Histogram | MetricType::Summary)
                )
            })
        })
    }
}

/// Reads an exposition. Never fails: unreadable lines are counted in
/// [`Exposition::skipped`].
pub fn parse(text: &str) -> Exposition {
    let mut out = Exposition::default();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let line = line.trim_start_matches([' ', '\t']);
        if line.is_empty() {
            continue;
        }
        if let Some(comment) = line.strip_prefix('#') {
            match comment_line(comment) {
                Comment::Help(name, text) => {
                    out.help.insert(name, text);
                }
                Comment::Type(name, kind) => {
                    out.types.insert(name, kind);
                }
                Comment::Eof => break,
                Comment::Other => {}
                Comment::Bad => out.skipped += 1,
            }
            continue;
        }
        match sample_line(line) {
            Some(sample) => out.samples.push(sample),
            None => out.skipped += 1,
        }
    }
    out
}

enum Comment {
    Help(String, String),
    Type(String, MetricType),
    Eof,
    Other,
    Bad,
}

/// A comment line after its `#`.
fn comment_line(rest: &str) -> Comment {
    let rest = rest.trim_start_matches([' ', '\t']);
    let (keyword, rest) = split_word(rest);
    match keyword {
        "HELP" => {
            let (name, text) = split_word(rest);
            if !is_metric_name(name) {
                return Comment::Bad;
            }
            Comment::Help(name.to_owned(), unescape_help(text))
        }
        "TYPE" => {
            let (name, rest) = split_word(rest);
            let (kind, extra) = split_word(rest);
            if !is_metric_name(name) || kind.is_empty() || !extra.trim().is_empty() {
                return Comment::Bad;
            }
            let kind = match kind {
                "counter" => MetricType::Counter,
                "gauge" => MetricType::Gauge,
                "histogram" | "gaugehistogram" => MetricType::Histogram,
                "summary" => MetricType::Summary,
                _ => MetricType::Untyped,
            };
            Comment::Type(name.to_owned(), kind)
        }
        "EOF" if rest.trim().is_empty() => Comment::Eof,
        _ => Comment::Other,
    }
}

/// The first word and the rest after the blanks that follow it.
fn split_word(text: &str) -> (&str, &str) {
    let end = text.find([' ', '\t']).unwrap_or(text.len());
    let (word, rest) = text.split_at(end);
    (word, rest.trim_start_matches([' ', '\t']))
}

fn unescape_help(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('\\') => out.push('\\'),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

fn is_name_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_' || c == ':'
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

fn is_metric_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(is_name_start) && chars.all(is_name_char)
}

fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A reader over one line that only ever stops on character boundaries.
struct Cursor<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        if self.peek() == Some(c) {
            self.pos += c.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
    }

    /// A run of characters for which `ok` holds.
    fn take_while(&mut self, ok: impl Fn(char) -> bool) -> &'a str {
        let start = self.pos;
        while self.peek().is_some_and(&ok) {
            self.bump();
        }
        self.text.get(start..self.pos).unwrap_or("")
    }

    /// A metric name.
    fn name(&mut self) -> Option<&'a str> {
        if !self.peek().is_some_and(is_name_start) {
            return None;
        }
        Some(self.take_while(is_name_char))
    }

    /// A double-quoted label value after its opening quote, unescaped.
    fn quoted(&mut self) -> Option<String> {
        let mut out = String::new();
        loop {
            match self.bump()? {
                '"' => return Some(out),
                '\\' => match self.bump()? {
                    'n' => out.push('\n'),
                    '\\' => out.push('\\'),
                    '"' => out.push('"'),
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                },
                c => out.push(c),
            }
        }
    }

    /// `{name="value", ...}` after the opening brace, up to and with the
    /// closing one. `op` reads the operator between name and value.
    fn label_list<T>(
        &mut self,
        mut op: impl FnMut(&mut Self) -> Option<T>,
    ) -> Option<Vec<(String, T, String)>> {
        let mut out = Vec::new();
        loop {
            self.skip_blanks();
            if self.eat('}') {
                return Some(out);
            }
            let name = self.take_while(|c| c.is_ascii_alphanumeric() || c == '_');
            if !is_label_name(name) {
                return None;
            }
            self.skip_blanks();
            let op = op(self)?;
            self.skip_blanks();
            if !self.eat('"') {
                return None;
            }
            let value = self.quoted()?;
            out.push((name.to_owned(), op, value));
            self.skip_blanks();
            if self.eat(',') {
                continue;
            }
            self.skip_blanks();
            if self.eat('}') {
                return Some(out);
            }
            return None;
        }
    }
}

fn sample_line(line: &str) -> Option<Sample> {
    let mut cur = Cursor::new(line);
    let name = cur.name()?.to_owned();
    let mut labels = BTreeMap::new();
    if cur.eat('{') {
        let list = cur.label_list(|c| c.eat('=').then_some(()))?;
        for (label, (), value) in list {
            if labels.insert(label, value).is_some() {
                // A label given twice: which one would be meant?
                return None;
            }
        }
    }
    let before = cur.pos;
    cur.skip_blanks();
    if cur.pos == before {
        return None;
    }
    let value = parse_value(cur.take_while(|c| c != ' ' && c != '\t'))?;
    cur.skip_blanks();
    let timestamp = cur.take_while(|c| c != ' ' && c != '\t');
    let timestamp_ms = if timestamp.is_empty() {
        None
    } else {
        Some(timestamp.parse::<i64>().ok()?)
    };
    cur.skip_blanks();
    if !cur.rest().is_empty() {
        return None;
    }
    Some(Sample {
        name,
        labels,
        value,
        timestamp_ms,
    })
}

/// A sample value: a float, `NaN`, `+Inf`, `-Inf`.
fn parse_value(text: &str) -> Option<f64> {
    match text {
        "NaN" | "nan" => return Some(f64::NAN),
        "+Inf" | "Inf" | "+inf" | "inf" => return Some(f64::INFINITY),
        "-Inf" | "-inf" => return Some(f64::NEG_INFINITY),
        _ => {}
    }
    // Rust also reads "infinity" and "nan" in any case; the format does not.
    if !text
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return None;
    }
    text.parse().ok()
}

/// How a matcher compares a label's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchOp {
    /// `=`
    Equal,
    /// `!=`
    NotEqual,
}

/// One `label="value"` of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matcher {
    /// Label name (`__name__` is the series name).
    pub label: String,
    /// Comparison.
    pub op: MatchOp,
    /// Value compared with; a missing label counts as "".
    pub value: String,
}

/// A series selector: `name`, `name{l="v",m!="w"}` or `{__name__="name"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The series name, when given before the braces.
    pub name: Option<String>,
    /// The label matchers.
    pub matchers: Vec<Matcher>,
}

impl Selector {
    /// Reads a selector. Regular-expression matchers (`=~`, `!~`) are
    /// refused: the console compares label values itself.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let mut cur = Cursor::new(text);
        let name = cur.name().map(str::to_owned);
        let mut matchers = Vec::new();
        cur.skip_blanks();
        if cur.eat('{') {
            let mut regex = false;
            let list = cur
                .label_list(|c| {
                    if c.eat('=') {
                        if c.eat('~') {
                            regex = true;
                            return None;
                        }
                        Some(MatchOp::Equal)
                    } else if c.eat('!') {
                        if c.eat('~') {
                            regex = true;
                            return None;
                        }
                        c.eat('=').then_some(MatchOp::NotEqual)
                    } else {
                        None
                    }
                })
                .ok_or_else(|| {
                    if regex {
                        format!("{text:?}: regular-expression matchers (=~, !~) are not supported")
                    } else {
                        format!("{text:?} is not a series selector (name{{label=\"value\"}})")
                    }
                })?;
            matchers = list
                .into_iter()
                .map(|(label, op, value)| Matcher { label, op, value })
                .collect();
        }
        cur.skip_blanks();
        if !cur.rest().is_empty() {
            return Err(format!(
                "{text:?} is not a series selector (name{{label=\"value\"}})"
            ));
        }
        let named = name.is_some()
            || matchers
                .iter()
                .any(|m| m.label == "__name__" && m.op == MatchOp::Equal);
        if !named {
            return Err(format!("{text:?} names no series"));
        }
        Ok(Self { name, matchers })
    }

    /// Whether `sample` is one of the selected series.
    pub fn matches(&self, sample: &Sample) -> bool {
        if self.name.as_ref().is_some_and(|n| *n != sample.name) {
            return false;
        }
        self.matchers.iter().all(|m| {
            let actual = if m.label == "__name__" {
                sample.name.as_str()
            } else {
                sample.labels.get(&m.label).map_or("", String::as_str)
            };
            match m.op {
                MatchOp::Equal => actual == m.value,
                MatchOp::NotEqual => actual != m.value,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "\
# HELP http_requests_total The total number of HTTP requests.
# TYPE http_requests_total counter
http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000
http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000

# Escaping in label values:
msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9

# Minimalistic line:
metric_without_timestamp_and_labels 12.47

# A weird metric from before the epoch:
something_weird{problem=\"division by zero\"} +Inf -3982045

# A histogram, which has a pretty complex representation in the text format:
# HELP http_request_duration_seconds A histogram of the request duration.
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le=\"0.05\"} 24054
http_request_duration_seconds_bucket{le=\"+Inf\"} 144320
http_request_duration_seconds_sum 53423
http_request_duration_seconds_count 144320

# TYPE rpc_duration_seconds summary
rpc_duration_seconds{quantile=\"0.99\"} 76656
rpc_duration_seconds_sum 1.7560473e+07
rpc_duration_seconds_count 2693
# TYPE temperature gauge
temperature{room=\"a\",} NaN
temperature{ room = \"b\" } -Inf
";

    #[test]
    fn reads_the_format_reference_example() {
        let page = parse(PAGE);
        assert_eq!(page.skipped, 0, "{page:#?}");
        assert_eq!(page.samples.len(), 14);
        let first = &page.samples[0];
        assert_eq!(first.name, "http_requests_total");
        assert_eq!(first.labels["method"], "post");
        assert_eq!(first.labels["code"], "200");
        assert_eq!(first.value, 1027.0);
        assert_eq!(first.timestamp_ms, Some(1_395_066_363_000));
        assert_eq!(page.samples[1].value, 3.0);
        let msdos = &page.samples[2];
        assert_eq!(msdos.labels["path"], "C:\\DIR\\FILE.TXT");
        assert_eq!(msdos.labels["error"], "Cannot find file:\n\"FILE.TXT\"");
        assert_eq!(msdos.value, 1.458255915e9);
        assert_eq!(page.samples[3].labels.len(), 0);
        assert_eq!(page.samples[4].value, f64::INFINITY);
        assert_eq!(page.samples[4].timestamp_ms, Some(-3_982_045));
        assert_eq!(page.samples[6].labels["le"], "+Inf");
        assert_eq!(page.samples[10].value, 1.7560473e7);
        assert!(page.samples[12].value.is_nan());
        assert_eq!(page.samples[12].labels["room"], "a");
        assert_eq!(page.samples[13].value, f64::NEG_INFINITY);
        assert_eq!(page.samples[13].labels["room"], "b");
        assert_eq!(
            page.help["http_requests_total"],
            "The total number of HTTP requests."
        );
        assert_eq!(
            page.types["http_request_duration_seconds"],
            MetricType::Histogram
        );
        assert_eq!(page.types["temperature"], MetricType::Gauge);
    }

    #[test]
    fn counters_by_type_and_by_name() {
        let page = parse(PAGE);
        assert!(page.is_counter("http_requests_total"));
        assert!(page.is_counter("anything_total"));
        assert!(page.is_counter("http_request_duration_seconds_count"));
        assert!(page.is_counter("http_request_duration_seconds_bucket"));
        assert!(page.is_counter("rpc_duration_seconds_sum"));
        assert!(!page.is_counter("rpc_duration_seconds"));
        assert!(!page.is_counter("temperature"));
        assert!(!page.is_counter("metric_without_timestamp_and_labels"));
        let typed = parse("# TYPE requests counter\nrequests 5\n");
        assert!(typed.is_counter("requests"));
    }

    #[test]
    fn bad_lines_are_skipped_and_counted() {
        let page = parse(
            "good 1\n\
             1bad 2\n\
             no_value\n\
             no_value_after_labels{a=\"b\"}\n\
             bad_value x\n\
             bad_value_inf infinity\n\
             bad_ts 1 notatime\n\
             trailing 1 2 3\n\
             unclosed{a=\"b\" 1\n\
             unquoted{a=b} 1\n\
             dup{a=\"1\",a=\"2\"} 1\n\
             bad_label{1a=\"x\"} 1\n\
             open_quote{a=\"x} 1\n\
             glued{a=\"x\"}1\n\
             # TYPE\n\
             # TYPE 9bad counter\n\
             # TYPE too many words\n\
             # HELP\n\
             # just a comment\n\
             also_good{a=\"é\\u\"} 2e-3\r\n\
             # EOF\n\
             after_eof 1\n",
        );
        let names: Vec<&str> = page.samples.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["good", "also_good"]);
        assert_eq!(page.samples[1].labels["a"], "é\\u");
        assert_eq!(page.samples[1].value, 0.002);
        assert_eq!(page.skipped, 17);
    }

    /// A tiny deterministic generator, so the fuzz test needs no crate and
    /// fails the same way every time.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn random_bytes_and_truncations_never_panic() {
        // Every prefix and suffix of a valid page.
        for (i, _) in PAGE.char_indices() {
            let head = parse(&PAGE[..i]);
            let tail = parse(&PAGE[i..]);
            assert!(head.samples.len() + tail.samples.len() <= 15);
        }
        // Random bytes, and the page with random bytes overwritten, biased
        // towards the characters the grammar cares about.
        let alphabet = b"{}=\",\\ \t\n#abc_:019.+-eInNf~!\r\xc3\xa9\xff";
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for round in 0..3000 {
            let mut bytes = if round % 2 == 0 {
                PAGE.as_bytes().to_vec()
            } else {
                Vec::new()
            };
            let len = (rng.next() % 300) as usize;
            for _ in 0..len {
                let b = if rng.next().is_multiple_of(4) {
                    rng.next() as u8
                } else {
                    alphabet[(rng.next() % alphabet.len() as u64) as usize]
                };
                if bytes.is_empty() || rng.next().is_multiple_of(3) {
                    bytes.push(b);
                } else {
                    let at = (rng.next() % bytes.len() as u64) as usize;
                    bytes[at] = b;
                }
            }
            let text = String::from_utf8_lossy(&bytes);
            let page = parse(&text);
            let lines = text.split('\n').count();
            assert!(page.samples.len() + page.skipped <= lines);
            for sample in &page.samples {
                let _ = Selector::parse(&sample.name).map(|s| s.matches(sample));
            }
            let _ = Selector::parse(&text);
        }
    }

    #[test]
    fn selectors_match_names_and_labels() {
        let page = parse(
            "t{request=\"Produce\",quantile=\"0.99\"} 7\n\
             t{request=\"Produce\",quantile=\"0.5\"} 2\n\
             t{request=\"Fetch\",quantile=\"0.99\"} 9\n\
             u 1\n",
        );
        let pick = |text: &str| -> Vec<f64> {
            let selector = Selector::parse(text).unwrap();
            page.samples
                .iter()
                .filter(|s| selector.matches(s))
                .map(|s| s.value)
                .collect()
        };
        assert_eq!(pick("t"), [7.0, 2.0, 9.0]);
        assert_eq!(pick("t{request=\"Produce\",quantile=\"0.99\"}"), [7.0]);
        assert_eq!(pick(" t { request != \"Produce\" } "), [9.0]);
        assert_eq!(pick("t{missing=\"\"}"), [7.0, 2.0, 9.0]);
        assert_eq!(pick("{__name__=\"u\"}"), [1.0]);
        assert_eq!(pick("t{}"), [7.0, 2.0, 9.0]);
    }

    #[test]
    fn selectors_that_cannot_be_read() {
        for bad in [
            "",
            "{a=\"b\"}",
            "t{a=b}",
            "t{a=\"b\"",
            "t x",
            "9t",
            "t{a!\"b\"}",
        ] {
            assert!(Selector::parse(bad).is_err(), "{bad:?}");
        }
        let regex = Selector::parse("t{a=~\"b.*\"}").unwrap_err();
        assert!(regex.contains("regular-expression"), "{regex}");
        assert!(
            Selector::parse("t{a!~\"b\"}")
                .unwrap_err()
                .contains("regular")
        );
    }
}
