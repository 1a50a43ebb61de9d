//! `MonitorConfig` (`osc.io/v1`): where an instance's pods expose metrics and
//! which charts the console draws, read leniently like the CSD.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::Problem;
use super::lenient::{ConfigParts, Reader, join, kind, read_config_object, read_config_spec};
use super::selector::LabelSelector;

/// Most items a MonitorConfig may have.
const MAX_ITEMS: usize = 16;

/// A MonitorConfig object.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorConfig {
    /// `metadata.name`, when read from an object; `None` for an inline spec.
    pub name: Option<String>,
    pub items: Vec<MonitorConfigItem>,
    pub problems: Vec<Problem>,
}

/// `spec.monitorConfigItems[]`: one group of pods that expose metrics the same way.
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorConfigItem {
    pub label_selector: LabelSelector,
    pub prometheus: Prometheus,
    pub levels: Vec<Level>,
}

/// `prometheus`: the metrics endpoint of the pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prometheus {
    pub exporter_port: u16,
    /// HTTP path, `/metrics` by default (ext).
    pub path: String,
}

/// `displayOptions.levels[]`: one tab of charts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Level {
    pub name: String,
    pub group_label: Option<String>,
    /// Titles of the metrics shown when the level opens; `None`: all.
    pub selected_metrics: Option<Vec<String>>,
    pub metrics: Vec<Metric>,
}

/// `metrics[]`: one chart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metric {
    pub title: String,
    /// PromQL for a Prometheus server (ext).
    pub query: Option<String>,
    /// A series selector the console evaluates itself (ext).
    pub name: Option<String>,
    pub unit: Option<String>,
}

impl MonitorConfig {
    /// Reads a MonitorConfig object (with `metadata` and `spec`).
    pub fn from_object(object: &Value) -> Self {
        Self::from_parts(read_config_object(object, |r, spec| {
            read_spec(r, spec, "spec")
        }))
    }

    /// Reads the `spec` given inline in a CSD's `capabilityRequirements`.
    pub fn from_spec(spec: &Value) -> Self {
        Self::from_parts(read_config_spec(spec, |r, spec| read_spec(r, spec, "spec")))
    }

    fn from_parts(parts: ConfigParts<MonitorConfigItem>) -> Self {
        Self {
            name: parts.name,
            items: parts.items,
            problems: parts.problems,
        }
    }
}

fn read_spec(r: &mut Reader, spec: &Map<String, Value>, at: &str) -> Vec<MonitorConfigItem> {
    let field = join(at, "monitorConfigItems");
    let items = r
        .array(spec, "monitorConfigItems", at)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if items.is_empty() {
        r.report(&field, "lists no item");
    }
    if items.len() > MAX_ITEMS {
        r.report(
            &field,
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
        let Some(prometheus) = read_prometheus(r, obj, &at) else {
            continue;
        };
        out.push(MonitorConfigItem {
            label_selector,
            prometheus,
            levels: read_levels(r, obj, &at),
        });
    }
    out
}

fn read_prometheus(r: &mut Reader, obj: &Map<String, Value>, at: &str) -> Option<Prometheus> {
    let Some(p) = r.object(obj, "prometheus", at) else {
        r.report(join(at, "prometheus"), "is missing; the item is ignored");
        return None;
    };
    let at = join(at, "prometheus");
    let port = r
        .integer(p, "exporterPort", &at)
        .and_then(|n| u16::try_from(n).ok())
        .filter(|n| *n > 0);
    let Some(exporter_port) = port else {
        r.report(
            join(&at, "exporterPort"),
            "must be a port number from 1 to 65535; the item is ignored",
        );
        return None;
    };
    let path = match r.line(p, "path", &at) {
        None => "/metrics".to_owned(),
        Some(path) if path.starts_with('/') => path,
        Some(path) => {
            r.report(
                join(&at, "path"),
                format!("{path:?} does not start with /; /metrics is used"),
            );
            "/metrics".to_owned()
        }
    };
    Some(Prometheus {
        exporter_port,
        path,
    })
}

fn read_levels(r: &mut Reader, obj: &Map<String, Value>, at: &str) -> Vec<Level> {
    let Some(display) = r.object(obj, "displayOptions", at) else {
        return Vec::new();
    };
    let at = join(at, "displayOptions");
    let Some(items) = r.array(display, "levels", &at) else {
        return Vec::new();
    };
    let mut names = BTreeSet::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{at}.levels[{i}]");
        let Some(level) = item.as_object() else {
            r.report(at, format!("expected an object, found {}", kind(item)));
            continue;
        };
        let Some(name) = r.line(level, "name", &at).filter(|n| !n.is_empty()) else {
            r.report(join(&at, "name"), "is missing; the level is ignored");
            continue;
        };
        if !names.insert(name.clone()) {
            r.report(
                join(&at, "name"),
                format!("level {name:?} appears twice; ignored"),
            );
            continue;
        }
        let metrics = read_metrics(r, level, &at);
        let selected_metrics = if level.contains_key("selectedMetrics") {
            let selected = r.strings(level, "selectedMetrics", &at);
            let known: Vec<String> = selected
                .into_iter()
                .filter(|title| {
                    let found = metrics.iter().any(|m| &m.title == title);
                    if !found {
                        r.report(
                            join(&at, "selectedMetrics"),
                            format!("{title:?} is not the title of a metric of this level"),
                        );
                    }
                    found
                })
                .collect();
            Some(known)
        } else {
            None
        };
        out.push(Level {
            name,
            group_label: r.line(level, "groupLabel", &at),
            selected_metrics,
            metrics,
        });
    }
    out
}

fn read_metrics(r: &mut Reader, level: &Map<String, Value>, at: &str) -> Vec<Metric> {
    let Some(items) = r.array(level, "metrics", at) else {
        return Vec::new();
    };
    let mut titles = BTreeSet::new();
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("{at}.metrics[{i}]");
        let Some(m) = item.as_object() else {
            r.report(at, format!("expected an object, found {}", kind(item)));
            continue;
        };
        let Some(title) = r.line(m, "title", &at).filter(|t| !t.is_empty()) else {
            r.report(join(&at, "title"), "is missing; the metric is ignored");
            continue;
        };
        if !titles.insert(title.clone()) {
            r.report(
                join(&at, "title"),
                format!("{title:?} appears twice; ignored"),
            );
            continue;
        }
        let query = r.text(m, "query", &at);
        let name = r.line(m, "name", &at);
        if query.is_none() && name.is_none() {
            r.report(&at, "has neither query nor name; ignored");
            continue;
        }
        out.push(Metric {
            title,
            query,
            name,
            unit: r.line(m, "unit", &at),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yaml_documents;
    use serde_json::json;
    use std::collections::BTreeMap;

    #[test]
    fn reads_the_kafka_example() {
        let path = format!(
            "{}/examples/kafka/config/kafka-monitor.yaml",
            env!("CARGO_MANIFEST_DIR")
        );
        let docs = yaml_documents(&std::fs::read_to_string(path).unwrap()).unwrap();
        let config = MonitorConfig::from_object(&docs[0]);
        assert!(config.problems.is_empty(), "{:?}", config.problems);
        assert_eq!(config.name.as_deref(), Some("kafka-monitor"));
        let item = &config.items[0];
        assert_eq!(
            item.prometheus,
            Prometheus {
                exporter_port: 9308,
                path: "/metrics".into()
            }
        );
        assert_eq!(item.levels.len(), 2);
        assert_eq!(item.levels[1].group_label.as_deref(), Some("pod"));
        assert_eq!(
            item.levels[0].selected_metrics.as_ref().map(Vec::len),
            Some(2)
        );
        assert!(
            item.levels[0]
                .metrics
                .iter()
                .all(|m| m.name.is_some() && m.query.is_some())
        );
        let pod: BTreeMap<String, String> =
            [("app.kubernetes.io/name".to_owned(), "kafka".to_owned())].into();
        assert!(item.label_selector.matches(&pod));
    }

    #[test]
    fn malformed_configs_become_problems() {
        let config = MonitorConfig::from_object(
            &json!({"metadata": {}, "spec": {"monitorConfigItems": [
                5,
                {"prometheus": {"exporterPort": 70000}},
                {"prometheus": {"exporterPort": "80"}},
                {},
                {"prometheus": {"exporterPort": 80, "path": "metrics"}, "displayOptions": {"levels": [
                    {"name": "A", "selectedMetrics": ["x", "ghost"], "metrics": [
                        {"title": "x", "name": "up"}, {"title": "x", "name": "dup"},
                        {"title": "noquery"}, {"name": "notitle"}, "bad"]},
                    {"name": "A"}, {"groupLabel": "pod"}, 7
                ]}}
            ]}}),
        );
        assert_eq!(config.name, None);
        assert_eq!(config.items.len(), 1);
        let item = &config.items[0];
        assert_eq!(item.prometheus.path, "/metrics");
        assert_eq!(item.levels.len(), 1);
        assert_eq!(item.levels[0].metrics.len(), 1);
        assert_eq!(item.levels[0].selected_metrics, Some(vec!["x".to_owned()]));
        assert!(config.problems.len() >= 13, "{:#?}", config.problems);

        let empty = MonitorConfig::from_spec(&json!({}));
        assert!(empty.items.is_empty() && !empty.problems.is_empty());
        assert!(!MonitorConfig::from_spec(&json!("x")).problems.is_empty());
        assert!(
            !MonitorConfig::from_object(&json!({"metadata": {"name": "m"}}))
                .problems
                .is_empty()
        );
        let many =
            json!({"monitorConfigItems": vec![json!({"prometheus": {"exporterPort": 1}}); 20]});
        let many = MonitorConfig::from_spec(&many);
        assert_eq!(many.items.len(), MAX_ITEMS);
        assert_eq!(many.problems.len(), 1);
    }
}
