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

/// Parses YAML text (one document) into JSON, strictly: YAML 1.2 booleans,
/// aliases limited (an alias bomb is an error, not a hang), duplicate keys
/// refused.
pub fn parse_yaml(_text: &str) -> Result<Value, YamlError> {
    todo!("domain::validate::parse_yaml")
}

/// Checks `spec` against the CRD's `openAPIV3Schema.properties.spec`:
/// types, required, enum, minimum/maximum, minLength/maxLength,
/// minItems/maxItems, unknown fields where the schema does not preserve
/// them, `x-kubernetes-int-or-string`. Paths start with `spec`.
pub fn validate_spec(_spec: &Value, _spec_schema: &Value) -> Vec<Violation> {
    todo!("domain::validate::validate_spec")
}

/// The 1-based line of `path` (`spec.kafka.image`, `spec.listeners[1].port`,
/// as in [`Violation::path`] or a server cause's field) in block YAML text;
/// the nearest existing parent's line when the field itself is absent.
pub fn locate(_yaml: &str, _path: &str) -> Option<usize> {
    todo!("domain::validate::locate")
}
