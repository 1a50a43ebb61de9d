//! Local checks of an edit before anything is sent: strict YAML parsing
//! with the line of the error, validation of a spec against the CRD's
//! structural schema, and the line of a field in the YAML text, so an error
//! points at where to fix it. Pure.

use serde_json::Value;

/// YAML that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// One schema violation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Path from the object's root (`spec.replicas`, `spec.listeners[1].port`).
    pub path: String,
    /// What is wrong ("must be at most 9", "required", "must be one of ...").
    pub message: String,
}

/// Largest text accepted: the API server refuses objects above ~1.5 MiB.
const MAX_YAML_BYTES: usize = 3 * 1024 * 1024;

/// The parser's limits: an object of a few thousand lines needs far less,
/// and an alias bomb ("billion laughs") hits them within milliseconds.
fn yaml_options() -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = Some(MAX_YAML_BYTES);
    budget.max_events = 200_000;
    budget.max_nodes = 100_000;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_depth = 64;
    budget.max_documents = 2;
    let mut options = serde_saphyr::options! {
        strict_booleans: true,
        // `defaultMode: 0644` means 420, as kubectl reads it.
        legacy_octal_numbers: true,
        with_snippet: false,
        duplicate_keys: serde_saphyr::options::DuplicateKeyPolicy::Error,
        budget: Some(budget),
    };
    options.alias_limits.max_total_replayed_events = 20_000;
    options.alias_limits.max_replay_stack_depth = 16;
    options.alias_limits.max_alias_expansions_per_anchor = 100;
    options
}

/// Parses YAML text (one document) into JSON, strictly: YAML 1.2 booleans,
/// aliases limited (an alias bomb is an error, not a hang), duplicate keys
/// refused, a leading-zero number octal as kubectl reads it. Empty text is
/// `null`; a second document is an error.
pub fn parse_yaml(text: &str) -> Result<Value, YamlError> {
    if text.len() > MAX_YAML_BYTES {
        return Err(YamlError {
            line: None,
            message: format!("the text is larger than {} MiB", MAX_YAML_BYTES >> 20),
        });
    }
    let docs: Vec<Value> =
        serde_saphyr::from_multiple_with_options(text, yaml_options()).map_err(|err| {
            let line = err
                .location()
                .map(|l| l.line())
                .filter(|&l| l > 0)
                .and_then(|l| usize::try_from(l).ok());
            YamlError {
                line,
                message: one_line(&err.to_string()),
            }
        })?;
    let mut docs = docs.into_iter().filter(|d| !d.is_null());
    match (docs.next(), docs.next()) {
        (None, _) => Ok(Value::Null),
        (Some(doc), None) => Ok(doc),
        (Some(_), Some(_)) => Err(YamlError {
            line: second_document_line(text),
            message: "more than one document: edit one object at a time".to_owned(),
        }),
    }
}

/// The parser's message on one line, without a trailing location that the
/// line number already gives.
fn one_line(message: &str) -> String {
    let first = message.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let first = first.split(" at line ").next().unwrap_or(first);
    // Advice meant for the program, not for the user.
    let first = first.replace(", set DuplicateKeyPolicy in Options if acceptable", "");
    crate::domain::text::clean(first.trim())
}

/// The line of the second `---` separator (a first one may open the text).
fn second_document_line(text: &str) -> Option<usize> {
    let mut seen_content = false;
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") {
            if seen_content {
                return Some(i + 1);
            }
        } else if !line.trim().is_empty() && !line.trim_start().starts_with('#') {
            seen_content = true;
        }
    }
    None
}

/// Most violations reported: past that the text is too broken to list them all.
const MAX_VIOLATIONS: usize = 100;

/// Deepest nesting checked (the parser refuses deeper documents anyway).
const MAX_DEPTH: usize = 64;

/// Checks `spec` against the CRD's `openAPIV3Schema.properties.spec`:
/// types, required, enum, minimum/maximum, minLength/maxLength,
/// minItems/maxItems, min/maxProperties, unknown fields where the schema
/// does not preserve them, `x-kubernetes-int-or-string`, `allOf`/`anyOf`/
/// `oneOf`. Paths start with `spec`; a map key that is not a plain name is
/// written `spec.config[log.retention.hours]`. `pattern` is checked only
/// when it is the Kubernetes quantity pattern (there is no regex crate in
/// the build; the server's dry run checks the others), `format` not at all.
/// A null value counts as absent, as the API server prunes it.
pub fn validate_spec(spec: &Value, spec_schema: &Value) -> Vec<Violation> {
    let mut out = Vec::new();
    check(spec, spec_schema, "spec", 0, &mut out);
    out.truncate(MAX_VIOLATIONS);
    out
}

fn push(out: &mut Vec<Violation>, path: &str, message: String) {
    if out.len() < MAX_VIOLATIONS {
        out.push(Violation {
            path: path.to_owned(),
            message,
        });
    }
}

/// The path of a map entry: dotted when the key is a plain name.
fn child_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if plain {
        format!("{parent}.{key}")
    } else {
        format!("{parent}[{}]", crate::domain::text::clean(key))
    }
}

/// Words for what a value is ("a string", "a whole number").
fn describe(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "true/false",
        Value::Number(n) if n.is_i64() || n.is_u64() => "a whole number",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

/// A whole number, as the API server counts it (`3.0` is one).
fn is_integer(value: &Value) -> bool {
    match value {
        Value::Number(n) => {
            n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
        }
        _ => false,
    }
}

/// Whether `value` has the schema's `type`; the expectation in words if not.
fn type_error(value: &Value, schema: &Value) -> Option<&'static str> {
    if schema["x-kubernetes-int-or-string"] == true {
        return (!(is_integer(value) || value.is_string())).then_some("a whole number or a string");
    }
    let (ok, expected) = match schema["type"].as_str()? {
        "string" => (value.is_string(), "a string"),
        "integer" => (is_integer(value), "a whole number"),
        "number" => (value.is_number(), "a number"),
        "boolean" => (value.is_boolean(), "true or false"),
        "object" => (value.is_object(), "a mapping"),
        "array" => (value.is_array(), "a list"),
        _ => return None,
    };
    (!ok).then_some(expected)
}

/// The violations of `value` alone against `schema`, without recording them
/// (for anyOf/oneOf branches).
fn violations_of(value: &Value, schema: &Value, path: &str, depth: usize) -> Vec<Violation> {
    let mut out = Vec::new();
    check(value, schema, path, depth, &mut out);
    out
}

fn number_text(value: &Value) -> String {
    match value.as_f64() {
        Some(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
        _ => value.to_string(),
    }
}

fn check(value: &Value, schema: &Value, path: &str, depth: usize, out: &mut Vec<Violation>) {
    if depth > MAX_DEPTH || out.len() >= MAX_VIOLATIONS || !schema.is_object() || value.is_null() {
        return;
    }
    if let Some(expected) = type_error(value, schema) {
        push(
            out,
            path,
            format!("must be {expected}, found {}", describe(value)),
        );
        return;
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.is_empty()
        && !options.contains(value)
    {
        let list: Vec<String> = options
            .iter()
            .map(|o| match o {
                Value::String(s) => crate::domain::text::clean(s),
                other => other.to_string(),
            })
            .collect();
        push(out, path, format!("must be one of: {}", list.join(", ")));
    }
    check_bounds(value, schema, path, out);
    for branch in schema["allOf"].as_array().into_iter().flatten() {
        check(value, branch, path, depth + 1, out);
    }
    if let Some(branches) = schema["anyOf"].as_array().filter(|b| !b.is_empty())
        && !branches
            .iter()
            .any(|b| violations_of(value, b, path, depth + 1).is_empty())
    {
        push(
            out,
            path,
            "matches none of the forms the schema allows".to_owned(),
        );
    }
    if let Some(branches) = schema["oneOf"].as_array().filter(|b| !b.is_empty()) {
        let matching = branches
            .iter()
            .filter(|b| violations_of(value, b, path, depth + 1).is_empty())
            .count();
        if matching != 1 {
            push(
                out,
                path,
                format!("must match exactly one allowed form, matches {matching}"),
            );
        }
    }
    match value {
        Value::Object(map) => check_object(map, schema, path, depth, out),
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items").filter(|s| s.is_object()) {
                for (i, item) in items.iter().enumerate() {
                    check(item, item_schema, &format!("{path}[{i}]"), depth + 1, out);
                }
            }
        }
        _ => {}
    }
}

fn check_bounds(value: &Value, schema: &Value, path: &str, out: &mut Vec<Violation>) {
    let limit = |key: &str| schema[key].as_u64().and_then(|n| usize::try_from(n).ok());
    if let Some(n) = value.as_f64() {
        if let Some(min) = schema["minimum"].as_f64() {
            let exclusive = schema["exclusiveMinimum"] == true;
            if n < min || (exclusive && n == min) {
                let word = if exclusive { "more than" } else { "at least" };
                push(
                    out,
                    path,
                    format!("must be {word} {}", number_text(&schema["minimum"])),
                );
            }
        }
        if let Some(max) = schema["maximum"].as_f64() {
            let exclusive = schema["exclusiveMaximum"] == true;
            if n > max || (exclusive && n == max) {
                let word = if exclusive { "less than" } else { "at most" };
                push(
                    out,
                    path,
                    format!("must be {word} {}", number_text(&schema["maximum"])),
                );
            }
        }
        if let Some(step) = schema["multipleOf"].as_f64()
            && step > 0.0
            && (n / step).fract() != 0.0
        {
            push(
                out,
                path,
                format!(
                    "must be a multiple of {}",
                    number_text(&schema["multipleOf"])
                ),
            );
        }
    }
    let count = |n: usize, what: &str| {
        if n == 1 {
            format!("1 {what}")
        } else {
            format!("{n} {what}s")
        }
    };
    let (size, what) = match value {
        Value::String(s) => (s.chars().count(), "character"),
        Value::Array(items) => (items.len(), "item"),
        Value::Object(map) => (map.len(), "field"),
        _ => return,
    };
    let (min_key, max_key) = match value {
        Value::String(_) => ("minLength", "maxLength"),
        Value::Array(_) => ("minItems", "maxItems"),
        _ => ("minProperties", "maxProperties"),
    };
    if let Some(min) = limit(min_key)
        && size < min
    {
        let message = if min == 1 && what == "character" {
            "must not be empty".to_owned()
        } else {
            format!("must have at least {}", count(min, what))
        };
        push(out, path, message);
    }
    if let Some(max) = limit(max_key)
        && size > max
    {
        push(
            out,
            path,
            format!("must have at most {} (has {size})", count(max, what)),
        );
    }
    if let Value::String(s) = value
        && schema["pattern"]
            .as_str()
            .is_some_and(|p| p.contains("[KMGTPE]i"))
        && (s.contains(char::is_whitespace) || crate::domain::quantity::parse(s).is_none())
    {
        push(
            out,
            path,
            "must be a quantity such as 500m, 2, 512Mi or 10Gi".to_owned(),
        );
    }
}

fn check_object(
    map: &serde_json::Map<String, Value>,
    schema: &Value,
    path: &str,
    depth: usize,
    out: &mut Vec<Violation>,
) {
    for name in schema["required"].as_array().into_iter().flatten() {
        if let Some(name) = name.as_str()
            && map.get(name).is_none_or(Value::is_null)
        {
            push(out, &child_path(path, name), "required".to_owned());
        }
    }
    let properties = schema["properties"].as_object();
    let additional = &schema["additionalProperties"];
    let preserve = schema["x-kubernetes-preserve-unknown-fields"] == true
        || schema["x-kubernetes-embedded-resource"] == true;
    for (key, item) in map {
        let item_path = child_path(path, key);
        if let Some(prop) = properties.and_then(|p| p.get(key)) {
            check(item, prop, &item_path, depth + 1, out);
        } else if additional.is_object() {
            check(item, additional, &item_path, depth + 1, out);
        } else if *additional == true || preserve {
            // Kept as written.
        } else if properties.is_some() || *additional == false {
            let known: Vec<&str> = properties
                .map(|p| p.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let hint = if known.is_empty() {
                String::new()
            } else {
                format!(" (known: {})", known.join(", "))
            };
            push(
                out,
                &item_path,
                format!("unknown field: the schema does not have it{hint}"),
            );
        }
    }
}

/// One step of a located path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

/// `spec.listeners[1].port` / `spec.config[log.retention.hours]` as steps.
fn steps(path: &str) -> Option<Vec<Step>> {
    let mut out = Vec::new();
    let mut chars = path.chars().peekable();
    let mut key = String::new();
    while let Some(c) = chars.next() {
        match c {
            '.' => {
                if !key.is_empty() {
                    out.push(Step::Key(std::mem::take(&mut key)));
                }
            }
            '[' => {
                if !key.is_empty() {
                    out.push(Step::Key(std::mem::take(&mut key)));
                }
                let mut inner = String::new();
                loop {
                    match chars.next() {
                        Some(']') => break,
                        Some(c) => inner.push(c),
                        None => return None,
                    }
                }
                let unquoted = inner
                    .strip_prefix(['"', '\''])
                    .and_then(|i| i.strip_suffix(['"', '\'']))
                    .unwrap_or(&inner);
                match inner.parse::<usize>() {
                    Ok(i) => out.push(Step::Index(i)),
                    Err(_) => out.push(Step::Key(unquoted.to_owned())),
                }
            }
            c => key.push(c),
        }
    }
    if !key.is_empty() {
        out.push(Step::Key(key));
    }
    (!out.is_empty()).then_some(out)
}

/// An open node of the block structure: where it starts and what it is.
struct Frame {
    column: usize,
    step: Step,
}

/// The key of a `key: value` / `key:` line and what follows the colon;
/// None when the text is not a mapping entry.
fn split_key(text: &str) -> Option<(String, &str)> {
    let (key, rest) = if let Some(body) = text.strip_prefix('"') {
        let mut key = String::new();
        let mut escaped = false;
        let mut end = None;
        for (i, c) in body.char_indices() {
            if escaped {
                key.push(match c {
                    'n' => '\n',
                    't' => '\t',
                    other => other,
                });
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                end = Some(i + 1);
                break;
            } else {
                key.push(c);
            }
        }
        (key, &body[end?..])
    } else if let Some(body) = text.strip_prefix('\'') {
        let mut key = String::new();
        let mut iter = body.char_indices().peekable();
        let mut end = None;
        while let Some((i, c)) = iter.next() {
            if c == '\'' {
                if iter.peek().is_some_and(|(_, n)| *n == '\'') {
                    key.push('\'');
                    iter.next();
                } else {
                    end = Some(i + 1);
                    break;
                }
            } else {
                key.push(c);
            }
        }
        (key, &body[end?..])
    } else {
        // A plain key ends at the first ": " (or a colon ending the line).
        let bytes = text.as_bytes();
        let colon = (0..bytes.len()).find(|&i| {
            bytes[i] == b':' && bytes.get(i + 1).is_none_or(|b| *b == b' ' || *b == b'\t')
        })?;
        let key = text[..colon].trim_end();
        if key.is_empty() || key.starts_with(['#', '[', '{', '&', '*', '!', '|', '>', '?']) {
            return None;
        }
        (key.to_owned(), &text[colon..])
    };
    let rest = rest.trim_start();
    let rest = rest.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, rest.trim()))
}

/// The value after a colon or dash opens nothing on the next lines: it is
/// a scalar or a flow collection (continuation lines are its own).
fn inline_value(rest: &str) -> bool {
    let rest = rest.trim();
    // Anchors and tags before a block: `key: &a`, `key: !!map`.
    let mut words = rest.split_whitespace();
    match words.next() {
        None => false,
        Some(w) if w.starts_with('#') => false,
        Some(w) if w.starts_with(['&', '!']) => words.next().is_some_and(|w| !w.starts_with('#')),
        Some(_) => true,
    }
}

/// A block scalar indicator (`|`, `>-`, `|2+`), which makes the following
/// more-indented lines text.
fn block_scalar(rest: &str) -> bool {
    let rest = rest.split('#').next().unwrap_or("").trim();
    let rest = rest
        .split_whitespace()
        .filter(|w| !w.starts_with(['&', '!']))
        .collect::<Vec<_>>()
        .join("");
    rest.starts_with(['|', '>'])
        && rest[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
}

/// The 1-based line of `path` (`spec.kafka.image`, `spec.listeners[1].port`,
/// `spec.config[log.retention.hours]`, as in [`Violation::path`] or a server
/// cause's field) in block YAML text; the nearest existing parent's line
/// when the field itself is absent; None when not even the first step is
/// there. Flow collections (`{a: 1}`) are not looked into: their line is
/// the nearest parent's.
pub fn locate(yaml: &str, path: &str) -> Option<usize> {
    let target = steps(path)?;
    let mut frames: Vec<Frame> = Vec::new();
    let mut best: Option<(usize, usize)> = None;
    // Lines more indented than this belong to a scalar, not to the structure.
    let mut text_below: Option<usize> = None;
    let mut started = false;
    for (number, raw) in yaml.lines().enumerate() {
        let line_no = number + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        let trimmed = raw.trim_start_matches(' ');
        let indent = raw.len() - trimmed.len();
        if trimmed.trim().is_empty() {
            continue;
        }
        if let Some(limit) = text_below {
            if indent > limit {
                continue;
            }
            text_below = None;
        }
        if trimmed.starts_with('#') || (indent == 0 && trimmed.starts_with('%')) {
            continue;
        }
        if indent == 0 && (trimmed.starts_with("---") || trimmed.starts_with("...")) {
            if started {
                break;
            }
            continue;
        }
        started = true;
        let mut column = indent;
        let mut text = trimmed;
        // Sequence items, possibly several on one line (`- - a`).
        while text == "-" || text.starts_with("- ") {
            frames.retain(|f| f.column <= column);
            // The previous sibling item at this column sets the index.
            let index = match frames.last() {
                Some(Frame {
                    column: c,
                    step: Step::Index(i),
                }) if *c == column => {
                    let next = i + 1;
                    frames.pop();
                    next
                }
                _ => 0,
            };
            frames.push(Frame {
                column,
                step: Step::Index(index),
            });
            record(&frames, &target, line_no, &mut best);
            if best.is_some_and(|(_, len)| len == target.len()) {
                return best.map(|(line, _)| line);
            }
            let after = &text[1..];
            let rest = after.trim_start_matches(' ');
            column += 1 + (after.len() - rest.len());
            text = rest;
            if text.is_empty() {
                break;
            }
        }
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        match split_key(text) {
            Some((key, rest)) => {
                frames.retain(|f| f.column < column);
                frames.push(Frame {
                    column,
                    step: Step::Key(key),
                });
                record(&frames, &target, line_no, &mut best);
                if best.is_some_and(|(_, len)| len == target.len()) {
                    return best.map(|(line, _)| line);
                }
                if block_scalar(rest) || inline_value(rest) {
                    text_below = Some(column);
                }
            }
            None => {
                // A scalar item or a flow collection: its continuation lines
                // are more indented than the item itself.
                text_below = Some(column.saturating_sub(1));
            }
        }
    }
    best.map(|(line, _)| line)
}

/// Keeps the line of the longest prefix of `target` the open frames form.
fn record(frames: &[Frame], target: &[Step], line: usize, best: &mut Option<(usize, usize)>) {
    let len = frames.len();
    if len > target.len() || frames.iter().zip(target).any(|(f, t)| f.step != *t) {
        return;
    }
    if best.is_none_or(|(_, best_len)| len > best_len) {
        *best = Some((line, len));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kafka_spec_schema() -> Value {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(root.join("examples/kafka/crds/hwfkas.yaml")).unwrap();
        let crd = parse_yaml(&text).unwrap();
        crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"].clone()
    }

    fn orders_spec() -> Value {
        json!({
            "version": "3.7.1",
            "image": "registry.invalid/osctest/kafka:3.7.1",
            "replicas": 3,
            "resources": {"requests": {"cpu": "500m", "memory": "2Gi"},
                          "limits": {"cpu": "2", "memory": 4}},
            "storage": {"size": "20Gi"},
            "config": {"log.retention.hours": "168"},
            "zookeeperRef": {"name": "zookeeper"},
            "adminPassword": "x",
            "compression": "lz4",
        })
    }

    fn messages(violations: &[Violation]) -> Vec<(String, String)> {
        violations
            .iter()
            .map(|v| (v.path.clone(), v.message.clone()))
            .collect()
    }

    #[test]
    fn yaml_is_parsed_strictly_with_the_line_of_errors() {
        assert_eq!(
            parse_yaml("a: yes\nb: true\nc: 0644\nd: 10\n"),
            Ok(json!({"a": "yes", "b": true, "c": 420, "d": 10}))
        );
        assert_eq!(parse_yaml(""), Ok(Value::Null));
        assert_eq!(parse_yaml("---\na: 1\n"), Ok(json!({"a": 1})));
        let dup = parse_yaml("spec:\n  replicas: 3\n  replicas: 4\n").unwrap_err();
        assert_eq!(dup.line, Some(3));
        assert_eq!(dup.message, "duplicate mapping key: replicas");
        let unclosed = parse_yaml("spec:\n  a: [1, 2\n").unwrap_err();
        assert_eq!(unclosed.line, Some(2));
        assert!(unclosed.message.contains("bracket"), "{}", unclosed.message);
        let bad_indent = parse_yaml("a:\n  b: 1\n c: 2\n").unwrap_err();
        assert_eq!(bad_indent.line, Some(3));
        assert!(
            !bad_indent.message.contains("at line"),
            "{}",
            bad_indent.message
        );
        let two = parse_yaml("a: 1\n---\nb: 2\n").unwrap_err();
        assert_eq!(two.line, Some(2));
        let escape = parse_yaml("a: \"\\e[2J\n").unwrap_err();
        assert!(!escape.message.contains('\u{1b}'));
        let huge = "a".repeat(MAX_YAML_BYTES + 1);
        assert_eq!(parse_yaml(&huge).unwrap_err().line, None);
    }

    #[test]
    fn an_alias_bomb_fails_fast() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        let names: Vec<char> = ('b'..='j').collect();
        let mut previous = 'a';
        for name in names {
            let refs = vec![format!("*{previous}"); 10].join(", ");
            text.push_str(&format!("{name}: &{name} [{refs}]\n"));
            previous = name;
        }
        let started = std::time::Instant::now();
        let err = parse_yaml(&text).unwrap_err();
        // 10^10 nodes if expanded; refused within a fraction of a second.
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        assert!(err.message.contains("alias"), "{}", err.message);
        // A few ordinary aliases are fine.
        assert_eq!(
            parse_yaml("a: &x {k: 1}\nb: *x\n"),
            Ok(json!({"a": {"k": 1}, "b": {"k": 1}}))
        );
    }

    #[test]
    fn the_kafka_example_is_valid() {
        assert_eq!(validate_spec(&orders_spec(), &kafka_spec_schema()), []);
        // An integer written as 3.0 is a whole number, as for the server.
        let mut spec = orders_spec();
        spec["replicas"] = json!(3.0);
        assert_eq!(validate_spec(&spec, &kafka_spec_schema()), []);
        // Null counts as absent (pruned by the server).
        spec["compression"] = Value::Null;
        assert_eq!(validate_spec(&spec, &kafka_spec_schema()), []);
    }

    /// Every example instance and operation default is valid against its
    /// CRD (no false alarms), and so is each CSD's defaultConfiguration.
    #[test]
    fn every_example_object_is_valid() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut docs = Vec::new();
        for dir in ["examples/kafka", "examples/redis"] {
            for sub in ["crds", "csd", "instances"] {
                let Ok(entries) = std::fs::read_dir(root.join(dir).join(sub)) else {
                    continue;
                };
                for entry in entries.flatten() {
                    let text = std::fs::read_to_string(entry.path()).unwrap();
                    docs.extend(crate::domain::yaml_documents(&text).unwrap());
                }
            }
        }
        let mut schemas = std::collections::BTreeMap::new();
        for doc in &docs {
            if doc["kind"] == "CustomResourceDefinition" {
                let kind = doc["spec"]["names"]["kind"].as_str().unwrap().to_owned();
                let schema = doc["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]
                    ["spec"]
                    .clone();
                schemas.insert(kind, schema);
            }
        }
        let mut objects: Vec<Value> = docs
            .iter()
            .filter(|d| d["kind"] != "CustomServiceDefinition")
            .cloned()
            .collect();
        objects.extend(
            docs.iter()
                .filter(|d| d["kind"] == "CustomServiceDefinition")
                .filter_map(|d| d["spec"].get("defaultConfiguration").cloned()),
        );
        let mut checked = 0;
        for object in objects {
            let Some(schema) = object["kind"].as_str().and_then(|k| schemas.get(k)) else {
                continue;
            };
            let found = validate_spec(&object["spec"], schema);
            assert_eq!(found, [], "{}", object["metadata"]);
            checked += 1;
        }
        assert!(checked >= 10, "{checked}");
    }

    #[test]
    fn kafka_violations_are_precise() {
        let schema = kafka_spec_schema();
        type Case = (&'static str, Value, Vec<(&'static str, &'static str)>);
        let cases: Vec<Case> = vec![
            (
                "/replicas",
                json!(10),
                vec![("spec.replicas", "must be at most 9")],
            ),
            (
                "/replicas",
                json!(0),
                vec![("spec.replicas", "must be at least 1")],
            ),
            (
                "/replicas",
                json!("3"),
                vec![("spec.replicas", "must be a whole number, found a string")],
            ),
            (
                "/replicas",
                json!(2.5),
                vec![("spec.replicas", "must be a whole number, found a number")],
            ),
            (
                "/compression",
                json!("brotli"),
                vec![(
                    "spec.compression",
                    "must be one of: none, gzip, snappy, lz4, zstd",
                )],
            ),
            (
                "/config/log.retention.hours",
                json!(168),
                vec![(
                    "spec.config[log.retention.hours]",
                    "must be a string, found a whole number",
                )],
            ),
            (
                "/resources/requests/cpu",
                json!(true),
                vec![(
                    "spec.resources.requests.cpu",
                    "must be a whole number or a string, found true/false",
                )],
            ),
            (
                "/storage/size",
                json!("10 GB"),
                vec![(
                    "spec.storage.size",
                    "must be a quantity such as 500m, 2, 512Mi or 10Gi",
                )],
            ),
            (
                "/version",
                json!(""),
                vec![("spec.version", "must not be empty")],
            ),
            (
                "/zookeeperRef",
                json!({}),
                vec![("spec.zookeeperRef.name", "required")],
            ),
            (
                "/storage",
                json!({"size": "1Gi", "class": "fast"}),
                vec![(
                    "spec.storage.class",
                    "unknown field: the schema does not have it (known: size, storageClassName)",
                )],
            ),
            (
                "/zookeeperRef/namespace",
                json!("n".repeat(64)),
                vec![(
                    "spec.zookeeperRef.namespace",
                    "must have at most 63 characters (has 64)",
                )],
            ),
            (
                "/resources",
                json!([]),
                vec![("spec.resources", "must be a mapping, found a list")],
            ),
        ];
        for (pointer, value, expected) in cases {
            let mut spec = orders_spec();
            let (parent, key) = pointer.rsplit_once('/').unwrap();
            let parent = if parent.is_empty() { "" } else { parent };
            spec.pointer_mut(parent).unwrap()[key] = value.clone();
            let expected: Vec<(String, String)> = expected
                .into_iter()
                .map(|(p, m)| (p.to_owned(), m.to_owned()))
                .collect();
            assert_eq!(
                messages(&validate_spec(&spec, &schema)),
                expected,
                "{pointer} = {value}"
            );
        }
        // Missing required fields and unknown top-level fields together.
        let spec = json!({"replica": 3, "zookeeperRef": {"name": "zk"}});
        let found = messages(&validate_spec(&spec, &schema));
        assert_eq!(found[0], ("spec.version".to_owned(), "required".to_owned()));
        assert_eq!(found[1].0, "spec.replica");
        assert!(found[1].1.starts_with("unknown field"), "{found:?}");
        assert_eq!(found.len(), 2);
    }

    #[test]
    fn generic_schema_rules() {
        let schema = json!({
            "type": "object",
            "properties": {
                "listeners": {"type": "array", "minItems": 1, "maxItems": 2,
                              "items": {"type": "object", "required": ["port"],
                                        "properties": {"port": {"type": "integer", "minimum": 1,
                                                                 "exclusiveMaximum": true, "maximum": 65536}}}},
                "ratio": {"type": "number", "multipleOf": 0.5},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                "strict": {"type": "object", "additionalProperties": false},
                "either": {"anyOf": [{"type": "integer"}, {"type": "string", "enum": ["auto"]}]},
                "one": {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "integer", "maximum": 10}]},
                "port": {"x-kubernetes-int-or-string": true},
            },
        });
        let spec = json!({
            "listeners": [{"port": 9092}, {"port": 65536}, {}],
            "ratio": 0.75,
            "free": {"anything": [1, {"x": true}]},
            "strict": {"a": 1},
            "either": "manual",
            "one": 5,
            "port": "http",
        });
        assert_eq!(
            messages(&validate_spec(&spec, &schema)),
            [
                ("spec.either", "matches none of the forms the schema allows"),
                ("spec.listeners", "must have at most 2 items (has 3)"),
                ("spec.listeners[1].port", "must be less than 65536"),
                ("spec.listeners[2].port", "required"),
                ("spec.one", "must match exactly one allowed form, matches 2"),
                ("spec.ratio", "must be a multiple of 0.5"),
                (
                    "spec.strict.a",
                    "unknown field: the schema does not have it"
                ),
            ]
            .map(|(p, m)| (p.to_owned(), m.to_owned()))
        );
        assert_eq!(
            messages(&validate_spec(&json!({"listeners": []}), &schema)),
            [(
                "spec.listeners".to_owned(),
                "must have at least 1 item".to_owned()
            )]
        );
        // Many violations stop at the cap.
        let many: serde_json::Map<String, Value> =
            (0..500).map(|i| (format!("k{i}"), json!(i))).collect();
        let found = validate_spec(&json!({"strict": many}), &schema);
        assert_eq!(found.len(), MAX_VIOLATIONS);
    }

    const ORDERS: &str = r#"apiVersion: osctest.osctui.dev/v1
kind: Hwfka
metadata:
  name: orders
  annotations:
    "example.com/with.dots": "x"
spec:
  version: "3.7.1"
  # a comment at the wrong depth
  image: registry.invalid/osctest/kafka:3.7.1
  notes: |
    replicas: 99
    not: a key
  listeners:
  - name: plain
    port: 9092
  - name: tls
    port: 9093
    options:
      - a
      - b: 1
        c: 2
  config:
    'log.retention.hours': "168"
    "num.partitions": "6"
  long: this value goes
    on the next line: still text
  flow: {a: 1,
    b: 2}
  replicas: 3
"#;

    #[test]
    fn locating_fields_in_yaml() {
        let cases = [
            ("spec", Some(7)),
            ("spec.version", Some(8)),
            ("spec.image", Some(10)),
            ("spec.replicas", Some(30)),
            ("spec.listeners", Some(14)),
            ("spec.listeners[0]", Some(15)),
            ("spec.listeners[0].port", Some(16)),
            ("spec.listeners[1].name", Some(17)),
            ("spec.listeners[1].port", Some(18)),
            ("spec.listeners[1].options[1].c", Some(22)),
            ("spec.listeners[1].options[0]", Some(20)),
            ("spec.config[log.retention.hours]", Some(24)),
            ("spec.config[num.partitions]", Some(25)),
            ("metadata.annotations[example.com/with.dots]", Some(6)),
            ("spec.flow.b", Some(28)),
            // Absent: the nearest parent.
            ("spec.listeners[5].port", Some(14)),
            ("spec.storage.size", Some(7)),
            ("spec.notes.replicas", Some(11)),
            ("status.phase", None),
            ("", None),
        ];
        for (path, line) in cases {
            assert_eq!(locate(ORDERS, path), line, "{path}");
        }
    }

    #[test]
    fn locating_in_indented_sequences_and_documents() {
        let text = "---\nspec:\n  items:\n    - - x\n      - y\n    - k: v\n      j: w\n---\nspec:\n  other: 1\n";
        assert_eq!(locate(text, "spec.items[0][1]"), Some(5));
        assert_eq!(locate(text, "spec.items[1].j"), Some(7));
        // Only the first document counts.
        assert_eq!(locate(text, "spec.other"), Some(2));
        assert_eq!(locate("a:\n  b: >-\n    c: 1\n  d: 2\n", "a.d"), Some(4));
        assert_eq!(locate("a:\n  b: >-\n    c: 1\n  d: 2\n", "a.b.c"), Some(2));
        assert_eq!(locate("a:\r\n  b: 1\r\n  c: 2\r\n", "a.c"), Some(3));
    }

    /// Every leaf of every example manifest (first document of each file)
    /// is found on a line that names its key, and nothing panics on text
    /// that is not YAML at all.
    #[test]
    fn locating_every_leaf_of_the_examples() {
        fn leaves(value: &Value, path: String, out: &mut Vec<(String, Option<String>)>) {
            match value {
                Value::Object(map) if !map.is_empty() => {
                    for (k, v) in map {
                        let plain = k
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
                        let child = match (path.is_empty(), plain) {
                            (true, true) => k.clone(),
                            (false, true) => format!("{path}.{k}"),
                            _ => format!("{path}[{k}]"),
                        };
                        leaves(v, child, out);
                    }
                }
                Value::Array(items) if !items.is_empty() => {
                    for (i, v) in items.iter().enumerate() {
                        leaves(v, format!("{path}[{i}]"), out);
                    }
                }
                _ => {
                    let key = path
                        .rsplit(['.', '['])
                        .next()
                        .map(|k| k.trim_end_matches(']').to_owned());
                    let key = key.filter(|k| k.parse::<usize>().is_err());
                    out.push((path, key));
                }
            }
        }
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut checked = 0;
        for dir in [
            "examples/kafka/crds",
            "examples/kafka/csd",
            "examples/kafka/instances",
        ] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap().flatten() {
                let text = std::fs::read_to_string(entry.path()).unwrap();
                let first = text.split("\n---\n").next().unwrap();
                let doc = parse_yaml(first).unwrap();
                let mut found = Vec::new();
                leaves(&doc, String::new(), &mut found);
                let lines: Vec<&str> = first.lines().collect();
                for (path, key) in found {
                    let line = locate(first, &path)
                        .unwrap_or_else(|| panic!("{}: {path}", entry.path().display()));
                    if let Some(key) = key {
                        assert!(
                            lines[line - 1].contains(&key),
                            "{}: {path} at line {line}: {}",
                            entry.path().display(),
                            lines[line - 1]
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > 500, "{checked}");
        for garbage in [
            "- - -",
            ":",
            "- : x",
            "\"unterminated: 1",
            "'a'' b': 2\n  - x",
            "{[}]",
            "? a\n: b",
            "-\n -\n  -",
        ] {
            let _ = locate(garbage, "a.b[0]");
            let _ = locate(garbage, "a");
        }
        assert_eq!(locate("'a'' b': 2\n", "[a' b]"), Some(1));
    }

    #[test]
    fn path_steps() {
        assert_eq!(
            steps("spec.listeners[1].port"),
            Some(vec![
                Step::Key("spec".into()),
                Step::Key("listeners".into()),
                Step::Index(1),
                Step::Key("port".into()),
            ])
        );
        assert_eq!(
            steps("spec.config['a.b']"),
            Some(vec![
                Step::Key("spec".into()),
                Step::Key("config".into()),
                Step::Key("a.b".into())
            ])
        );
        assert_eq!(steps("a[1"), None);
        assert_eq!(steps(""), None);
    }
}
