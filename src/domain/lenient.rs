//! Helpers to read a JSON object field by field, recording a [`Problem`] for
//! each field of the wrong shape instead of failing: an object written by an
//! older or newer package must still show what it can.

use serde_json::{Map, Value};

use super::Problem;

/// Longest string kept from a field; longer ones are reported and dropped, so
/// that a corrupt object cannot flood the screen or memory.
pub(crate) const MAX_STRING: usize = 64 * 1024;

/// Collects problems, each located by a dotted field path.
#[derive(Debug, Default)]
pub(crate) struct Reader {
    pub(crate) problems: Vec<Problem>,
}

pub(crate) fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_owned()
    } else {
        format!("{at}.{key}")
    }
}

impl Reader {
    pub(crate) fn report(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem {
            field: field.into(),
            message: message.into(),
        });
    }

    /// The object at `key`, if present and an object.
    pub(crate) fn object<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Option<&'a Map<String, Value>> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Object(map)) => Some(map),
            Some(other) => {
                self.report(
                    join(at, key),
                    format!("expected an object, found {}", kind(other)),
                );
                None
            }
        }
    }

    /// The array at `key`, if present and an array.
    pub(crate) fn array<'a>(
        &mut self,
        obj: &'a Map<String, Value>,
        key: &str,
        at: &str,
    ) -> Option<&'a Vec<Value>> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Array(items)) => Some(items),
            Some(other) => {
                self.report(
                    join(at, key),
                    format!("expected a list, found {}", kind(other)),
                );
                None
            }
        }
    }

    /// A single-line string at `key`: control characters are reported and
    /// replaced, so that a field can never move the terminal's cursor.
    pub(crate) fn line(&mut self, obj: &Map<String, Value>, key: &str, at: &str) -> Option<String> {
        self.string(obj, key, at, false)
    }

    /// A multi-line text at `key` (newlines and tabs allowed).
    pub(crate) fn text(&mut self, obj: &Map<String, Value>, key: &str, at: &str) -> Option<String> {
        self.string(obj, key, at, true)
    }

    fn string(
        &mut self,
        obj: &Map<String, Value>,
        key: &str,
        at: &str,
        multiline: bool,
    ) -> Option<String> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::String(text)) => self.clean(text, &join(at, key), multiline),
            Some(other) => {
                self.report(
                    join(at, key),
                    format!("expected a string, found {}", kind(other)),
                );
                None
            }
        }
    }

    /// Checks a string's length and characters, see [`Reader::line`].
    pub(crate) fn clean(&mut self, text: &str, field: &str, multiline: bool) -> Option<String> {
        if text.len() > MAX_STRING {
            self.report(
                field,
                format!(
                    "is {} bytes long, more than the {MAX_STRING} accepted",
                    text.len()
                ),
            );
            return None;
        }
        let allowed = |c: char| multiline && (c == '\n' || c == '\t');
        if text.chars().any(|c| c.is_control() && !allowed(c)) {
            self.report(
                field,
                "contains control characters; they are shown as \u{FFFD}",
            );
            return Some(
                text.chars()
                    .map(|c| {
                        if c.is_control() && !allowed(c) {
                            '\u{FFFD}'
                        } else {
                            c
                        }
                    })
                    .collect(),
            );
        }
        Some(text.to_owned())
    }

    /// A list of single-line strings; entries of other types are reported and skipped.
    pub(crate) fn strings(&mut self, obj: &Map<String, Value>, key: &str, at: &str) -> Vec<String> {
        let Some(items) = self.array(obj, key, at) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let field = format!("{}[{i}]", join(at, key));
            match item {
                Value::String(text) => {
                    if let Some(text) = self.clean(text, &field, false) {
                        out.push(text);
                    }
                }
                other => self.report(field, format!("expected a string, found {}", kind(other))),
            }
        }
        out
    }

    /// An integer at `key`.
    pub(crate) fn integer(&mut self, obj: &Map<String, Value>, key: &str, at: &str) -> Option<i64> {
        match obj.get(key) {
            None | Some(Value::Null) => None,
            Some(Value::Number(n)) if n.as_i64().is_some() => n.as_i64(),
            Some(other) => {
                self.report(
                    join(at, key),
                    format!("expected an integer, found {}", kind(other)),
                );
                None
            }
        }
    }
}

/// How a JSON value is named in problems.
pub(crate) fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// What a config object (MonitorConfig, LogConfig) holds once read: its name
/// (none when given inline), its items, and the problems found.
pub(crate) struct ConfigParts<T> {
    pub(crate) name: Option<String>,
    pub(crate) items: Vec<T>,
    pub(crate) problems: Vec<Problem>,
}

/// Reads a whole config object: `metadata.name` and `spec`, whose contents
/// `read_spec` reads.
pub(crate) fn read_config_object<T>(
    object: &Value,
    read_spec: impl FnOnce(&mut Reader, &Map<String, Value>) -> Vec<T>,
) -> ConfigParts<T> {
    let mut r = Reader::default();
    let name = object
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .map(str::to_owned);
    if name.is_none() {
        r.report("metadata.name", "is missing");
    }
    let items = match object.get("spec") {
        Some(Value::Object(spec)) => read_spec(&mut r, spec),
        _ => {
            r.report("spec", "is missing or not an object");
            Vec::new()
        }
    };
    ConfigParts {
        name,
        items,
        problems: r.problems,
    }
}

/// Reads a config's `spec` given inline (in a CSD's capabilityRequirements).
pub(crate) fn read_config_spec<T>(
    spec: &Value,
    read_spec: impl FnOnce(&mut Reader, &Map<String, Value>) -> Vec<T>,
) -> ConfigParts<T> {
    let mut r = Reader::default();
    let items = match spec.as_object() {
        Some(spec) => read_spec(&mut r, spec),
        None => {
            r.report("spec", format!("expected an object, found {}", kind(spec)));
            Vec::new()
        }
    };
    ConfigParts {
        name: None,
        items,
        problems: r.problems,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn wrong_types_become_problems() {
        let obj =
            json!({"a": 1, "b": "x\u{1b}[2J", "c": ["ok", 2], "d": "y".repeat(MAX_STRING + 1)});
        let Value::Object(obj) = obj else {
            unreachable!()
        };
        let mut r = Reader::default();
        assert_eq!(r.line(&obj, "a", "spec"), None);
        assert_eq!(r.line(&obj, "b", "spec").as_deref(), Some("x\u{FFFD}[2J"));
        assert_eq!(r.strings(&obj, "c", "spec"), vec!["ok".to_owned()]);
        assert_eq!(r.line(&obj, "d", "spec"), None);
        assert_eq!(r.problems.len(), 4);
        assert_eq!(r.problems[0].field, "spec.a");
        assert_eq!(r.problems[2].field, "spec.c[1]");
    }
}
