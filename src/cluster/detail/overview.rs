//! The Overview tab of an operator instance: phase, version, status
//! descriptors and conditions.

use serde_json::Value;

use crate::domain::csd::CustomServiceDefinition;
use crate::domain::descriptors::{Base, XDescriptor, resolve_path};
use crate::domain::text::clean;
use crate::domain::version::current_version;
use crate::state::detail::{ConditionRow, Field};

/// Longest value shown in one overview line; the rest is cut with "…".
const MAX_VALUE_CHARS: usize = 200;

/// Seconds since the Unix epoch of an RFC 3339 timestamp.
pub(crate) fn parse_time(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(|t| t.as_second())
}

/// A value on one line: scalars as they are, arrays and objects in a compact
/// flow form (`[a, b]`, `{k: v}`).
pub(crate) fn compact(value: &Value) -> String {
    fn write(out: &mut String, value: &Value) {
        match value {
            Value::Null => out.push('-'),
            Value::String(s) => out.push_str(s),
            Value::Bool(_) | Value::Number(_) => out.push_str(&value.to_string()),
            Value::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write(out, item);
                }
                out.push(']');
            }
            Value::Object(map) => {
                out.push('{');
                for (i, (key, item)) in map.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(key);
                    out.push_str(": ");
                    write(out, item);
                }
                out.push('}');
            }
        }
    }
    let mut out = String::new();
    write(&mut out, value);
    let mut text = clean(&out);
    if text.chars().count() > MAX_VALUE_CHARS {
        text = text.chars().take(MAX_VALUE_CHARS - 1).collect();
        text.push('…');
    }
    text
}

/// Phase, Version, then one field per status descriptor (conditions and
/// hidden ones left out, as are descriptors repeating Phase or Version).
pub(crate) fn operator_fields(csd: &CustomServiceDefinition, cr: &Value) -> Vec<Field> {
    let status = &cr["status"];
    let phase = status["phase"]
        .as_str()
        .or_else(|| status["state"].as_str())
        .map_or_else(|| "-".to_owned(), clean);
    let desired = csd
        .spec
        .version_definition
        .as_ref()
        .and_then(|def| current_version(def, cr).ok());
    let running = status["currentVersion"].as_str();
    let version = match (desired, running) {
        (Some(desired), Some(running)) if desired != running => {
            format!("{desired} (running {running})")
        }
        (Some(desired), _) => desired,
        (None, Some(running)) => running.to_owned(),
        (None, None) => "-".to_owned(),
    };
    let mut fields = vec![
        Field {
            label: "Phase".to_owned(),
            value: phase,
        },
        Field {
            label: "Version".to_owned(),
            value: clean(&version),
        },
    ];
    for descriptor in &csd.spec.descriptors.status_descriptors {
        if matches!(
            descriptor.widget(),
            Some(XDescriptor::Conditions | XDescriptor::Hidden)
        ) || descriptor.path == "conditions"
        {
            continue;
        }
        let label = clean(descriptor.label());
        if fields.iter().any(|f| f.label.eq_ignore_ascii_case(&label)) {
            continue;
        }
        let value = match resolve_path(cr, Base::Status, &descriptor.path) {
            Ok(Some(value)) if !value.is_null() => compact(value),
            _ => "-".to_owned(),
        };
        fields.push(Field { label, value });
    }
    fields
}

/// The status fields the overview reads whose type is wrong (an operator
/// bug, or a hand edit): shown as problems, so that a "-" or "no
/// conditions" is not taken for the truth.
pub(crate) fn status_problems(cr: &Value) -> Vec<String> {
    let status = &cr["status"];
    let kind = |value: &Value| match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "text",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    };
    let mut out = Vec::new();
    if !status.is_null() && !status.is_object() {
        out.push(format!("status is {}, expected an object", kind(status)));
        return out;
    }
    for field in ["phase", "state", "currentVersion"] {
        let value = &status[field];
        if !value.is_null() && !value.is_string() {
            out.push(format!("status.{field} is {}, expected text", kind(value)));
        }
    }
    let conditions = &status["conditions"];
    if !conditions.is_null() && !conditions.is_array() {
        out.push(format!(
            "status.conditions is {}, expected a list",
            kind(conditions)
        ));
    }
    out
}

/// Condition types whose True means trouble (or "not settled yet").
fn is_negative_type(kind: &str) -> bool {
    let kind = kind.to_ascii_lowercase();
    [
        "fail",
        "degrad",
        "error",
        "progressing",
        "upgrading",
        "reconciling",
        "stalled",
        "pressure",
        "unavailable",
        "unhealthy",
        "notready",
        "terminating",
        "deleting",
        "blocked",
    ]
    .iter()
    .any(|word| kind.contains(word))
}

/// Whether a condition's status is the healthy one: True for Ready-like
/// types, False for Failed-like ones; Unknown never is.
pub(crate) fn condition_good(kind: &str, status: &str) -> bool {
    match status {
        "True" => !is_negative_type(kind),
        "False" => is_negative_type(kind),
        _ => false,
    }
}

/// `status.conditions` as rows.
pub(crate) fn conditions(cr: &Value) -> Vec<ConditionRow> {
    cr["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| {
            let type_ = c["type"].as_str()?;
            let status = c["status"].as_str().unwrap_or("Unknown");
            Some(ConditionRow {
                type_: clean(type_),
                status: clean(status),
                good: condition_good(type_, status),
                reason: clean(c["reason"].as_str().unwrap_or("")),
                message: clean(c["message"].as_str().unwrap_or("")),
                last_transition: c["lastTransitionTime"].as_str().and_then(parse_time),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn kafka_csd() -> CustomServiceDefinition {
        let text = include_str!("../../../examples/kafka/csd/kafka.yaml");
        let docs = crate::domain::yaml_documents(text).unwrap_or_default();
        CustomServiceDefinition::from_value(&docs[0]).unwrap()
    }

    #[test]
    fn condition_goodness() {
        assert!(condition_good("Ready", "True"));
        assert!(!condition_good("Ready", "False"));
        assert!(condition_good("Available", "True"));
        assert!(condition_good("Failed", "False"));
        assert!(!condition_good("Failed", "True"));
        assert!(condition_good("UpgradeFailed", "False"));
        assert!(condition_good("Degraded", "False"));
        assert!(condition_good("Progressing", "False"));
        assert!(condition_good("Upgrading", "False"));
        assert!(!condition_good("Ready", "Unknown"));
    }

    #[test]
    fn fields_and_conditions_of_a_kafka_instance() {
        let cr = json!({
            "spec": {"image": "registry.invalid/osctest/kafka:3.7.1"},
            "status": {
                "phase": "Running", "currentVersion": "3.7.1", "readyReplicas": 3,
                "upgrade": {"toVersion": "3.8.0"},
                "conditions": [
                    {"type": "Ready", "status": "True", "reason": "AllBrokersReady",
                     "message": "all 3 brokers are ready", "lastTransitionTime": "2026-11-27T23:45:16Z"},
                    {"type": "Failed", "status": "False", "reason": "NoFailure"}
                ]
            }
        });
        let fields = operator_fields(&kafka_csd(), &cr);
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|f| (f.label.as_str(), f.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            vec![
                ("Phase", "Running"),
                ("Version", "3.7.1"),
                ("Ready brokers", "3"),
                ("Upgrading to", "3.8.0"),
                ("Brokers upgraded", "-"),
            ]
        );
        let rows = conditions(&cr);
        assert_eq!(rows.len(), 2);
        assert!(rows[0].good && rows[1].good);
        assert_eq!(rows[0].last_transition, Some(1_795_823_116));
        assert_eq!(rows[1].last_transition, None);
    }

    #[test]
    fn version_shows_a_running_upgrade() {
        let cr = json!({"spec": {"image": "x/kafka:3.6.1"},
            "status": {"phase": "Upgrading", "currentVersion": "3.5.2"}});
        let fields = operator_fields(&kafka_csd(), &cr);
        assert_eq!(fields[1].value, "3.6.1 (running 3.5.2)");
    }

    #[test]
    fn wrong_status_types_are_problems() {
        let cr = json!({"status": {
            "phase": {"nested": [1]},
            "currentVersion": 3.5,
            "conditions": "not a list",
            "readyReplicas": "many"
        }});
        assert_eq!(
            status_problems(&cr),
            [
                "status.phase is an object, expected text",
                "status.currentVersion is a number, expected text",
                "status.conditions is text, expected a list",
            ]
        );
        assert_eq!(
            status_problems(&json!({"status": [1]})),
            ["status is a list, expected an object"]
        );
        let fine = json!({"status": {"phase": "Running", "conditions": []}});
        assert!(status_problems(&fine).is_empty());
        assert!(status_problems(&json!({})).is_empty());
    }

    #[test]
    fn compact_values() {
        assert_eq!(
            compact(&json!([1, "a", {"b": [true]}])),
            "[1, a, {b: [true]}]"
        );
        assert_eq!(compact(&json!("x\u{1b}y")), "x^[y");
        assert_eq!(
            compact(&json!("a".repeat(500))).chars().count(),
            MAX_VALUE_CHARS
        );
        assert_eq!(
            parse_time("2026-11-27T23:45:16.5+01:00"),
            Some(1_795_819_516)
        );
        assert_eq!(parse_time("garbage"), None);
    }
}
