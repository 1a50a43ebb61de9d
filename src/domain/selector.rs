//! Kubernetes label selectors (`matchLabels`, `matchExpressions`), read
//! leniently and matched against a pod's labels, to find the pods a
//! MonitorConfig or LogConfig item covers.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::lenient::{Reader, join, kind};

/// A label selector. An empty one matches every pod.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector {
    pub match_labels: BTreeMap<String, String>,
    pub match_expressions: Vec<Requirement>,
    /// A part of the selector could not be read. Such a selector matches
    /// nothing: covering too few pods is safer than covering all of them.
    pub invalid: bool,
}

/// One entry of `matchExpressions`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub key: String,
    pub operator: Operator,
    pub values: BTreeSet<String>,
}

/// The operators of `matchExpressions`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    In,
    NotIn,
    Exists,
    DoesNotExist,
}

impl LabelSelector {
    /// Whether a pod with these labels is selected.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        if self.invalid {
            return false;
        }
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|r| r.matches(labels))
    }

    /// Reads `labelSelector` of `obj`; a missing selector is empty.
    pub(crate) fn read(r: &mut Reader, obj: &Map<String, Value>, at: &str) -> Self {
        let at = join(at, "labelSelector");
        let Some(sel) = obj.get("labelSelector") else {
            return Self::default();
        };
        let mut out = Self::default();
        let Some(sel) = sel.as_object() else {
            if !sel.is_null() {
                r.report(&at, format!("expected an object, found {}", kind(sel)));
                out.invalid = true;
            }
            return out;
        };
        let problems_before = r.problems.len();
        if let Some(labels) = r.object(sel, "matchLabels", &at) {
            for (key, value) in labels {
                match value.as_str() {
                    Some(value) => {
                        out.match_labels.insert(key.clone(), value.to_owned());
                    }
                    None => r.report(
                        format!("{at}.matchLabels[{key}]"),
                        format!("expected a string, found {}", kind(value)),
                    ),
                }
            }
        }
        if let Some(items) = r.array(sel, "matchExpressions", &at) {
            for (i, item) in items.iter().enumerate() {
                let field = format!("{at}.matchExpressions[{i}]");
                if let Some(req) = Requirement::read(r, item, &field) {
                    out.match_expressions.push(req);
                }
            }
        }
        out.invalid = r.problems.len() > problems_before;
        out
    }
}

impl Requirement {
    fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        let value = labels.get(&self.key);
        match self.operator {
            Operator::In => value.is_some_and(|v| self.values.contains(v)),
            Operator::NotIn => value.is_none_or(|v| !self.values.contains(v)),
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
        }
    }

    fn read(r: &mut Reader, item: &Value, at: &str) -> Option<Self> {
        let Some(obj) = item.as_object() else {
            r.report(at, format!("expected an object, found {}", kind(item)));
            return None;
        };
        let key = r.line(obj, "key", at).filter(|k| !k.is_empty());
        let operator = match r.line(obj, "operator", at).as_deref() {
            Some("In") => Operator::In,
            Some("NotIn") => Operator::NotIn,
            Some("Exists") => Operator::Exists,
            Some("DoesNotExist") => Operator::DoesNotExist,
            other => {
                r.report(join(at, "operator"), format!("unknown operator {other:?}"));
                return None;
            }
        };
        let Some(key) = key else {
            r.report(join(at, "key"), "is missing");
            return None;
        };
        let values: BTreeSet<String> = r.strings(obj, "values", at).into_iter().collect();
        let needs_values = matches!(operator, Operator::In | Operator::NotIn);
        if needs_values && values.is_empty() {
            r.report(join(at, "values"), "In and NotIn need at least one value");
            return None;
        }
        if !needs_values && !values.is_empty() {
            r.report(join(at, "values"), "Exists and DoesNotExist take no values");
            return None;
        }
        Some(Self {
            key,
            operator,
            values,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value) -> (LabelSelector, usize) {
        let obj = json!({"labelSelector": value});
        let mut r = Reader::default();
        let sel = LabelSelector::read(&mut r, obj.as_object().unwrap(), "item");
        (sel, r.problems.len())
    }

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn matches_labels_and_expressions() {
        let (sel, problems) = read(json!({
            "matchLabels": {"app": "kafka"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "canary", "operator": "DoesNotExist"},
                {"key": "zone", "operator": "NotIn", "values": ["z1"]},
                {"key": "app", "operator": "Exists"}
            ]
        }));
        assert_eq!(problems, 0);
        assert!(sel.matches(&labels(&[("app", "kafka"), ("tier", "a")])));
        assert!(sel.matches(&labels(&[("app", "kafka"), ("tier", "b"), ("zone", "z2")])));
        assert!(!sel.matches(&labels(&[("app", "kafka"), ("tier", "c")])));
        assert!(!sel.matches(&labels(&[("app", "kafka"), ("tier", "a"), ("canary", "1")])));
        assert!(!sel.matches(&labels(&[("app", "kafka"), ("tier", "a"), ("zone", "z1")])));
        assert!(!sel.matches(&labels(&[("app", "zk"), ("tier", "a")])));
    }

    #[test]
    fn empty_or_missing_selects_everything() {
        assert!(read(json!({})).0.matches(&labels(&[("a", "b")])));
        assert!(read(Value::Null).0.matches(&BTreeMap::new()));
    }

    #[test]
    fn malformed_selectors_select_nothing() {
        for bad in [
            json!("app=kafka"),
            json!({"matchLabels": {"app": 1}}),
            json!({"matchLabels": []}),
            json!({"matchExpressions": [{"key": "a", "operator": "In"}]}),
            json!({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]}),
            json!({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]}),
            json!({"matchExpressions": [{"operator": "Exists"}]}),
            json!({"matchExpressions": [3]}),
        ] {
            let (sel, problems) = read(bad.clone());
            assert!(problems > 0, "{bad}");
            assert!(
                !sel.matches(&labels(&[("a", "x"), ("app", "kafka")])),
                "{bad}"
            );
        }
    }
}
