//! `LogConfig` (`osc.io/v1`): which files inside an instance's containers
//! are its logs, read leniently like the CSD.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::Problem;
use super::lenient::{ConfigParts, Reader, join, kind, read_config_object, read_config_spec};
use super::selector::LabelSelector;

/// Most items a LogConfig may have.
const MAX_ITEMS: usize = 16;

/// File name endings that a directory entry of `logPaths` stands for.
const LOG_SUFFIXES: [&str; 3] = [".log", ".out", ".trace"];

/// A LogConfig object.
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfig {
    /// `metadata.name`, when read from an object; `None` for an inline spec.
    pub name: Option<String>,
    pub items: Vec<LogConfigItem>,
    pub problems: Vec<Problem>,
}

/// `spec.logConfigItems[]`: one group of pods that write logs to the same places.
#[derive(Debug, Clone, PartialEq)]
pub struct LogConfigItem {
    pub label_selector: LabelSelector,
    /// Absolute, without duplicates, at least one.
    pub log_paths: Vec<LogPath>,
}

/// One entry of `logPaths`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPath(pub String);

impl LogPath {
    /// A path ending in `/` is a directory.
    pub fn is_directory(&self) -> bool {
        self.0.ends_with('/')
    }

    /// Whether `file` (an absolute path found in a container) is covered: the
    /// path itself, or a `*.log`, `*.out` or `*.trace` file directly in the directory.
    pub fn covers(&self, file: &str) -> bool {
        if !self.is_directory() {
            return file == self.0;
        }
        file.strip_prefix(&self.0).is_some_and(|name| {
            !name.contains('/')
                && LOG_SUFFIXES
                    .iter()
                    .any(|s| name.len() > s.len() && name.ends_with(s))
        })
    }
}

impl LogConfig {
    /// Reads a LogConfig object (with `metadata` and `spec`).
    pub fn from_object(object: &Value) -> Self {
        Self::from_parts(read_config_object(object, read_spec))
    }

    /// Reads the `spec` given inline in a CSD's `capabilityRequirements`.
    pub fn from_spec(spec: &Value) -> Self {
        Self::from_parts(read_config_spec(spec, read_spec))
    }

    fn from_parts(parts: ConfigParts<LogConfigItem>) -> Self {
        Self {
            name: parts.name,
            items: parts.items,
            problems: parts.problems,
        }
    }
}

fn read_spec(r: &mut Reader, spec: &Map<String, Value>) -> Vec<LogConfigItem> {
    let field = "spec.logConfigItems";
    let items = r
        .array(spec, "logConfigItems", "spec")
        .map(Vec::as_slice)
        .unwrap_or_default();
    if items.is_empty() {
        r.report(field, "lists no item");
    }
    if items.len() > MAX_ITEMS {
        r.report(
            field,
            format!(
                "has {} items; only the first {MAX_ITEMS} are used",
                items.len()
            ),
        );
    }
    let mut out = Vec::new();
    for (i, item) in items.iter().take(MAX_ITEMS).enumerate() {
        let at = format!("{field}[{i}]");
        let Some(obj) = item.as_object() else {
            r.report(at, format!("expected an object, found {}", kind(item)));
            continue;
        };
        let label_selector = LabelSelector::read(r, obj, &at);
        let mut seen = BTreeSet::new();
        let mut log_paths = Vec::new();
        for path in r.strings(obj, "logPaths", &at) {
            if !path.starts_with('/') {
                r.report(
                    join(&at, "logPaths"),
                    format!("{path:?} is not an absolute path; ignored"),
                );
            } else if !seen.insert(path.clone()) {
                r.report(join(&at, "logPaths"), format!("{path:?} appears twice"));
            } else {
                log_paths.push(LogPath(path));
            }
        }
        if log_paths.is_empty() {
            r.report(
                join(&at, "logPaths"),
                "lists no usable path; the item is ignored",
            );
            continue;
        }
        out.push(LogConfigItem {
            label_selector,
            log_paths,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yaml_documents;
    use serde_json::json;

    #[test]
    fn reads_every_example_logconfig() {
        for file in ["kafka-logs.yaml", "zookeeper-logs.yaml"] {
            let path = format!(
                "{}/examples/kafka/config/{file}",
                env!("CARGO_MANIFEST_DIR")
            );
            let docs = yaml_documents(&std::fs::read_to_string(path).unwrap()).unwrap();
            let config = LogConfig::from_object(&docs[0]);
            assert!(config.problems.is_empty(), "{file}: {:?}", config.problems);
            assert!(!config.items.is_empty() && config.name.is_some());
        }
    }

    #[test]
    fn directories_cover_log_files_directly_inside() {
        let dir = LogPath("/opt/kafka/logs/".into());
        assert!(dir.is_directory());
        assert!(dir.covers("/opt/kafka/logs/server.log"));
        assert!(dir.covers("/opt/kafka/logs/gc.out"));
        assert!(dir.covers("/opt/kafka/logs/x.trace"));
        assert!(!dir.covers("/opt/kafka/logs/sub/server.log"));
        assert!(!dir.covers("/opt/kafka/logs/.log"));
        assert!(!dir.covers("/opt/kafka/logs/notes.txt"));
        let file = LogPath("/var/log/app.txt".into());
        assert!(file.covers("/var/log/app.txt") && !file.covers("/var/log/other.log"));
    }

    #[test]
    fn malformed_configs_become_problems() {
        let config = LogConfig::from_spec(&json!({"logConfigItems": [
            "x",
            {"logPaths": ["relative/path", 3]},
            {"labelSelector": {"matchLabels": {"a": "b"}}, "logPaths": ["/a/", "/a/", "/b\u{1}"]}
        ]}));
        assert_eq!(config.items.len(), 1);
        assert_eq!(config.items[0].log_paths.len(), 2);
        assert!(config.problems.len() >= 6, "{:#?}", config.problems);
        assert!(!LogConfig::from_object(&json!({})).problems.is_empty());
        assert!(!LogConfig::from_spec(&json!(null)).problems.is_empty());
    }
}
