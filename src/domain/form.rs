//! Forms generated from a CRD's `openAPIV3Schema` refined by the CSD's spec
//! descriptors: which fields, of which kind, with which label, default and
//! current value; and how typed text becomes the object again. Pure.

use serde_json::Value;

use crate::domain::csd::Descriptor;

/// How a field is edited and parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldKind {
    /// Free text (schema `string`).
    Text,
    /// Whole number, with the schema's bounds.
    Integer {
        /// `minimum`.
        min: Option<i64>,
        /// `maximum`.
        max: Option<i64>,
    },
    /// Any number.
    Number,
    /// `true` / `false` (YAML 1.2: nothing else).
    Boolean,
    /// One of these (schema `enum` or `select:` descriptors).
    Choice(Vec<String>),
    /// Masked text (`password` descriptor).
    Password,
    /// A Secret's name in the instance's namespace (picker).
    SecretRef,
    /// A ConfigMap's name in the instance's namespace (picker).
    ConfigMapRef,
    /// A Kubernetes quantity (`500m`, `2Gi`; int-or-string).
    Quantity,
    /// Anything else (objects, arrays, maps): edited as one line of
    /// flow YAML/JSON (`{a: 1}`, `[x, y]`).
    Structured,
}

/// One field of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct FormField {
    /// Path from the object's root (`spec.resources.requests.cpu`).
    pub path: String,
    /// Label (descriptor display name, else the last path segment).
    pub label: String,
    /// Help (descriptor or schema description).
    pub description: Option<String>,
    /// How it is edited.
    pub kind: FieldKind,
    /// The schema requires it.
    pub required: bool,
    /// The schema's default.
    pub default: Option<Value>,
    /// The object's current value.
    pub current: Option<Value>,
}

/// A form: fields in display order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Form {
    /// Fields.
    pub fields: Vec<FormField>,
}

/// The configuration form of an instance: every spec field the schema
/// knows, descriptors first in their order (with their labels and widgets),
/// then the other leaf fields; `hidden` descriptors left out; nested
/// objects flattened to leaves down to a reasonable depth, the rest
/// `Structured`.
pub fn config_form(_spec_schema: &Value, _descriptors: &[Descriptor], _object: &Value) -> Form {
    todo!("domain::form::config_form")
}

/// The spec-change form: the `podCount` fields and the requests/limits
/// (cpu, memory) under each `resourceRequirements` field, plus storage
/// sizes the descriptors name.
pub fn spec_change_form(
    _spec_schema: &Value,
    _descriptors: &[Descriptor],
    _object: &Value,
) -> Form {
    todo!("domain::form::spec_change_form")
}

/// The form of an operation CR (Backup, Restore): its spec schema and
/// descriptors, starting from its `defaultConfiguration`; the target path
/// is left out (the console fills it).
pub fn operation_form(
    _spec_schema: Option<&Value>,
    _descriptors: &[Descriptor],
    _default_configuration: Option<&Value>,
    _target_path: Option<&str>,
) -> Form {
    todo!("domain::form::operation_form")
}

/// Parses what the user typed into a field. Empty text means "unset"
/// (`Ok(None)`). The error says what was expected ("a whole number
/// between 1 and 9").
pub fn parse_input(_kind: &FieldKind, _text: &str) -> Result<Option<Value>, String> {
    todo!("domain::form::parse_input")
}

/// The text a field starts with (its current value, else nothing).
pub fn initial_text(_field: &FormField) -> String {
    todo!("domain::form::initial_text")
}

/// `base` with each (path, value) set; None removes the field.
/// Intermediate objects are created as needed.
pub fn apply_values(_base: &Value, _values: &[(String, Option<Value>)]) -> Value {
    todo!("domain::form::apply_values")
}
