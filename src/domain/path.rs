//! Dotted field paths as CSDs write them (`storage.size`, `listeners[0].port`,
//! `spec.image`): parsing, reading and writing them in a JSON value.

use serde_json::Value;

/// Longest path accepted; real paths are a few dozen characters.
const MAX_PATH: usize = 1024;

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// A field of an object.
    Field(String),
    /// An element of a list.
    Index(usize),
}

/// A path that cannot be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("the path is empty")]
    Empty,
    #[error("the path is longer than {MAX_PATH} characters")]
    TooLong,
    #[error("the path has an empty part")]
    EmptyPart,
    #[error("the path has a malformed index `[{0}]`")]
    BadIndex(String),
    #[error("the path contains control characters or spaces")]
    BadCharacter,
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldPath(pub Vec<Segment>);

impl FieldPath {
    /// Parses `a.b[0].c`.
    pub fn parse(text: &str) -> Result<Self, PathError> {
        if text.is_empty() {
            return Err(PathError::Empty);
        }
        if text.len() > MAX_PATH {
            return Err(PathError::TooLong);
        }
        if text.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(PathError::BadCharacter);
        }
        let mut segments = Vec::new();
        for part in text.split('.') {
            let (name, mut rest) = match part.find('[') {
                Some(i) => (&part[..i], &part[i..]),
                None => (part, ""),
            };
            if name.contains(']') {
                return Err(PathError::BadIndex(name.to_owned()));
            }
            if name.is_empty() {
                // `[0]` alone is allowed only as the continuation of a field.
                if segments.is_empty() || rest.is_empty() {
                    return Err(PathError::EmptyPart);
                }
            } else {
                segments.push(Segment::Field(name.to_owned()));
            }
            while !rest.is_empty() {
                // `rest` must be `[digits]...`; checking the `[` first keeps
                // the slicing below on character boundaries.
                let Some(after_open) = rest.strip_prefix('[') else {
                    return Err(PathError::BadIndex(rest.to_owned()));
                };
                let Some(close) = after_open.find(']') else {
                    return Err(PathError::BadIndex(rest.to_owned()));
                };
                let inner = &after_open[..close];
                let index = inner
                    .parse::<usize>()
                    .map_err(|_| PathError::BadIndex(inner.to_owned()))?;
                segments.push(Segment::Index(index));
                rest = &after_open[close + 1..];
            }
        }
        Ok(Self(segments))
    }

    /// The same path below `prefix` (`spec` + `replicas` = `spec.replicas`).
    pub fn under(prefix: &str, rest: &Self) -> Self {
        let mut segments = vec![Segment::Field(prefix.to_owned())];
        segments.extend(rest.0.iter().cloned());
        Self(segments)
    }

    /// The value at this path, if every step exists.
    pub fn get<'a>(&self, root: &'a Value) -> Option<&'a Value> {
        self.0
            .iter()
            .try_fold(root, |value, segment| match segment {
                Segment::Field(name) => value.as_object()?.get(name),
                Segment::Index(i) => value.as_array()?.get(*i),
            })
    }

    /// The value at this path, for changing it in place.
    pub fn get_mut<'a>(&self, root: &'a mut Value) -> Option<&'a mut Value> {
        self.0
            .iter()
            .try_fold(root, |value, segment| match segment {
                Segment::Field(name) => value.as_object_mut()?.get_mut(name),
                Segment::Index(i) => value.as_array_mut()?.get_mut(*i),
            })
    }
}

impl std::fmt::Display for FieldPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (i, segment) in self.0.iter().enumerate() {
            match segment {
                Segment::Field(name) if i == 0 => write!(f, "{name}")?,
                Segment::Field(name) => write!(f, ".{name}")?,
                Segment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_and_prints() {
        let path = FieldPath::parse("listeners[0].port").unwrap();
        assert_eq!(
            path.0,
            vec![
                Segment::Field("listeners".into()),
                Segment::Index(0),
                Segment::Field("port".into())
            ]
        );
        assert_eq!(path.to_string(), "listeners[0].port");
        assert_eq!(FieldPath::parse("a[1][2]").unwrap().0.len(), 3);
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "a..b",
            ".a",
            "a.",
            "a[x]",
            "a[1",
            "a]b",
            "a b",
            "a\u{0}",
            "[0]",
            "a[0]]",
            "a[0]é]",
            "a[0]x",
            "a[]",
            "a[-1]",
            "a[99999999999999999999999]",
        ] {
            assert!(FieldPath::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(FieldPath::parse(&"a".repeat(5000)), Err(PathError::TooLong));
    }

    #[test]
    fn reads_and_writes() {
        let mut v = json!({"a": {"b": [{"c": 1}]}});
        let path = FieldPath::parse("a.b[0].c").unwrap();
        assert_eq!(path.get(&v), Some(&json!(1)));
        if let Some(slot) = path.get_mut(&mut v) {
            *slot = json!(2);
        }
        assert_eq!(v["a"]["b"][0]["c"], json!(2));
        assert_eq!(FieldPath::parse("a.x").unwrap().get(&v), None);
        assert_eq!(FieldPath::parse("a.b[5]").unwrap().get(&v), None);
    }
}
