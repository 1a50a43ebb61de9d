//! Forms generated from a CRD's `openAPIV3Schema` refined by the CSD's spec
//! descriptors: which fields, of which kind, with which label, default and
//! current value; and how typed text becomes the object again. Pure.

use serde_json::{Map, Value};

use crate::domain::csd::Descriptor;
use crate::domain::descriptors::XDescriptor;
use crate::domain::path::{FieldPath, Segment};
use crate::domain::text::clean;

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

/// How deep below `spec` objects are flattened into leaf fields; deeper
/// objects are edited as one `Structured` value.
const MAX_DEPTH: usize = 4;

/// The configuration form of an instance: every spec field the schema
/// knows, descriptors first in their order (with their labels and widgets),
/// then the other leaf fields; `hidden` descriptors left out; nested
/// objects flattened to leaves down to a reasonable depth, the rest
/// `Structured`. Without a schema (`null`), the other fields come from the
/// object's current spec and their kinds from their values.
pub fn config_form(spec_schema: &Value, descriptors: &[Descriptor], object: &Value) -> Form {
    let mut b = Builder::new(spec_schema, object);
    for descriptor in descriptors {
        b.descriptor(descriptor);
    }
    b.rest();
    Form { fields: b.fields }
}

/// The spec-change form: the `podCount` fields and the requests/limits
/// (cpu, memory) under each `resourceRequirements` field, plus storage
/// sizes the descriptors name. Without such descriptors, `spec.replicas`
/// and `spec.resources` when the schema has them.
pub fn spec_change_form(spec_schema: &Value, descriptors: &[Descriptor], object: &Value) -> Form {
    let mut b = Builder::new(spec_schema, object);
    for descriptor in descriptors {
        match descriptor.widget() {
            Some(XDescriptor::PodCount | XDescriptor::ResourceRequirements) => {
                b.descriptor(descriptor);
            }
            Some(XDescriptor::Hidden) => {}
            _ if names_storage_size(descriptor) => b.storage_size(descriptor),
            _ => {}
        }
    }
    if b.fields.is_empty() {
        let props = &spec_schema["properties"];
        if props["replicas"]["type"] == "integer" {
            b.synthetic("replicas", XDescriptor::PodCount);
        }
        if props["resources"]["type"] == "object" {
            b.synthetic("resources", XDescriptor::ResourceRequirements);
        }
    }
    Form { fields: b.fields }
}

/// The form of an operation CR (Backup, Restore): its spec schema and
/// descriptors, starting from its `defaultConfiguration` (a whole CR, or a
/// bare spec); the target path is left out (the console fills it).
pub fn operation_form(
    spec_schema: Option<&Value>,
    descriptors: &[Descriptor],
    default_configuration: Option<&Value>,
    target_path: Option<&str>,
) -> Form {
    let object = match default_configuration {
        Some(dc) if dc.get("spec").is_some() => dc.clone(),
        Some(dc) if dc.is_object() => serde_json::json!({ "spec": dc }),
        _ => serde_json::json!({ "spec": {} }),
    };
    let null = Value::Null;
    let mut form = config_form(spec_schema.unwrap_or(&null), descriptors, &object);
    if let Some(target) = target_path {
        // `spec.instanceName` (from the root) or `instanceName` (from spec).
        let full = if target.starts_with("spec.") {
            target.to_owned()
        } else {
            format!("spec.{target}")
        };
        form.fields.retain(|f| f.path != full);
    }
    form
}

/// Parses what the user typed into a field. Empty text means "unset"
/// (`Ok(None)`). The error says what was expected ("a whole number
/// between 1 and 9"). Text and passwords are kept as typed; other kinds
/// ignore surrounding spaces.
pub fn parse_input(kind: &FieldKind, text: &str) -> Result<Option<Value>, String> {
    if matches!(kind, FieldKind::Text | FieldKind::Password) {
        return Ok((!text.is_empty()).then(|| Value::String(text.to_owned())));
    }
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match kind {
        FieldKind::Text | FieldKind::Password => Ok(Some(Value::String(text.to_owned()))),
        FieldKind::Integer { min, max } => {
            let expected = || integer_expectation(*min, *max);
            let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(expected());
            }
            let n: i64 = text.parse().map_err(|_| expected())?;
            if min.is_some_and(|m| n < m) || max.is_some_and(|m| n > m) {
                return Err(expected());
            }
            Ok(Some(Value::from(n)))
        }
        FieldKind::Number => {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(Some(Value::from(n)));
            }
            // Rust also reads "inf" and "NaN", which JSON cannot hold.
            text.parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .filter(|_| {
                    text.bytes()
                        .all(|b| b.is_ascii_digit() || b"+-.eE".contains(&b))
                })
                .map(|n| Some(Value::Number(n)))
                .ok_or_else(|| "a number, such as 0.5 or 10".to_owned())
        }
        FieldKind::Boolean => match text {
            "true" => Ok(Some(Value::Bool(true))),
            "false" => Ok(Some(Value::Bool(false))),
            _ => Err("true or false".to_owned()),
        },
        FieldKind::Choice(options) => {
            if let Some(exact) = options.iter().find(|o| o.as_str() == text) {
                return Ok(Some(Value::String(exact.clone())));
            }
            // A different case is accepted when it names one option only.
            let mut folded = options.iter().filter(|o| o.eq_ignore_ascii_case(text));
            match (folded.next(), folded.next()) {
                (Some(one), None) => Ok(Some(Value::String(one.clone()))),
                _ => Err(format!("one of: {}", options.join(", "))),
            }
        }
        FieldKind::SecretRef | FieldKind::ConfigMapRef => {
            let what = if *kind == FieldKind::SecretRef {
                "a Secret"
            } else {
                "a ConfigMap"
            };
            if is_object_name(text) {
                Ok(Some(Value::String(text.to_owned())))
            } else {
                Err(format!(
                    "the name of {what}: lowercase letters, digits, '-' and '.'"
                ))
            }
        }
        FieldKind::Quantity => {
            let valid = !text.contains(char::is_whitespace)
                && !text.starts_with('-')
                && crate::domain::quantity::parse(text).is_some();
            if valid {
                Ok(Some(Value::String(text.to_owned())))
            } else {
                Err("a quantity such as 500m, 2, 512Mi or 10Gi".to_owned())
            }
        }
        FieldKind::Structured => crate::domain::validate::parse_yaml(text)
            .map(|v| (!v.is_null()).then_some(v))
            .map_err(|e| format!("flow YAML such as {{a: 1}} or [x, y]: {}", e.message)),
    }
}

fn integer_expectation(min: Option<i64>, max: Option<i64>) -> String {
    match (min, max) {
        (Some(lo), Some(hi)) => format!("a whole number between {lo} and {hi}"),
        (Some(lo), None) => format!("a whole number of at least {lo}"),
        (None, Some(hi)) => format!("a whole number of at most {hi}"),
        (None, None) => "a whole number".to_owned(),
    }
}

/// A Kubernetes object name (DNS subdomain): 1 to 253 characters of
/// `a-z0-9.-`, starting and ending with a letter or digit.
fn is_object_name(name: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = name.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 253
        && bytes.first().copied().is_some_and(alnum)
        && bytes.last().copied().is_some_and(alnum)
        && bytes.iter().all(|&b| alnum(b) || b == b'-' || b == b'.')
}

/// The text a field starts with (its current value, else nothing).
/// Scalars as they are; objects and lists as one line of flow YAML that
/// [`parse_input`] reads back to the same value.
pub fn initial_text(field: &FormField) -> String {
    match &field.current {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) if field.kind != FieldKind::Structured => s.clone(),
        Some(value @ (Value::Number(_) | Value::Bool(_))) => value.to_string(),
        Some(value) => flow(value),
    }
}

/// One-line flow YAML: keys plain when that reads back the same, strings
/// always double-quoted (JSON escapes are valid YAML escapes).
fn flow(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let items: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    let key = flow_key(k);
                    // YAML caps implicit keys at 1024 characters; a longer
                    // key only reads back as an explicit `? key` entry.
                    if key.chars().count() > IMPLICIT_KEY_LIMIT {
                        format!("? {key}: {}", flow(v))
                    } else {
                        format!("{key}: {}", flow(v))
                    }
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(flow).collect();
            format!("[{}]", items.join(", "))
        }
        other => other.to_string(),
    }
}

/// Keys written longer than this use the explicit `? key` form. Below
/// YAML's 1024-character limit for implicit keys, with room for the `: `.
const IMPLICIT_KEY_LIMIT: usize = 1000;

fn flow_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_.-/".contains(&b))
        && key.bytes().next().is_some_and(|b| b.is_ascii_alphabetic())
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "y" | "n" | "yes" | "no" | "on" | "off"
        );
    if plain {
        key.to_owned()
    } else {
        Value::String(key.to_owned()).to_string()
    }
}

/// `base` with each (path, value) set in order; None removes the field
/// (and the objects that removal leaves empty, below the top level).
/// Intermediate objects are created as needed, replacing scalars in the
/// way; a list index past the end appends (padding with nulls). Paths that
/// do not parse are skipped.
pub fn apply_values(base: &Value, values: &[(String, Option<Value>)]) -> Value {
    let mut out = base.clone();
    for (path, value) in values {
        let Ok(path) = FieldPath::parse(path) else {
            continue;
        };
        match value {
            Some(value) => set_path(&mut out, &path.0, value.clone()),
            None => {
                remove_path(&mut out, &path.0, true);
            }
        }
    }
    out
}

fn set_path(slot: &mut Value, segments: &[Segment], value: Value) {
    let Some((first, rest)) = segments.split_first() else {
        *slot = value;
        return;
    };
    let next = match first {
        Segment::Field(name) => {
            if !slot.is_object() {
                *slot = Value::Object(Map::new());
            }
            let Value::Object(map) = slot else { return };
            map.entry(name.clone()).or_insert(Value::Null)
        }
        Segment::Index(i) => {
            if !slot.is_array() {
                *slot = Value::Array(Vec::new());
            }
            let Value::Array(items) = slot else { return };
            if items.len() <= *i {
                items.resize(i + 1, Value::Null);
            }
            &mut items[*i]
        }
    };
    set_path(next, rest, value);
}

/// Removes the value at `segments`; returns whether anything was removed.
/// Objects below the top level that the removal leaves empty go too.
fn remove_path(slot: &mut Value, segments: &[Segment], is_root: bool) -> bool {
    let Some((first, rest)) = segments.split_first() else {
        return false;
    };
    if rest.is_empty() {
        return match (first, slot) {
            (Segment::Field(name), Value::Object(map)) => map.remove(name).is_some(),
            (Segment::Index(i), Value::Array(items)) if *i < items.len() => {
                items.remove(*i);
                true
            }
            _ => false,
        };
    }
    let child = match (first, &mut *slot) {
        (Segment::Field(name), Value::Object(map)) => map.get_mut(name),
        (Segment::Index(i), Value::Array(items)) => items.get_mut(*i),
        _ => None,
    };
    let Some(child) = child else {
        return false;
    };
    let removed = remove_path(child, rest, false);
    let emptied = child.as_object().is_some_and(Map::is_empty);
    if removed
        && emptied
        && !is_root
        && let (Segment::Field(name), Value::Object(map)) = (first, slot)
    {
        map.remove(name);
    }
    removed
}

/// Whether a descriptor names a storage size (`storage.size`,
/// `storageSize`, "Storage size").
fn names_storage_size(descriptor: &Descriptor) -> bool {
    let path = descriptor.path.to_ascii_lowercase();
    let label = descriptor
        .display_name
        .as_deref()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let last = path.rsplit('.').next().unwrap_or_default();
    (path.contains("storage") || path.contains("volume") || label.contains("storage"))
        && (last.contains("size") || last == "storage" || label.contains("size"))
}

/// The schema of the field at `segments` below `schema`: through
/// `properties`, array `items` and map `additionalProperties`.
fn schema_at<'a>(schema: &'a Value, segments: &[Segment]) -> Option<&'a Value> {
    segments
        .iter()
        .try_fold(schema, |s, segment| match segment {
            Segment::Field(name) => s["properties"]
                .get(name)
                .or_else(|| s.get("additionalProperties").filter(|a| a.is_object())),
            Segment::Index(_) => s.get("items").filter(|i| i.is_object()),
        })
}

fn string_list(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|items| items.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// The schema's bound as a whole number (exclusive bounds moved inwards).
fn bound(schema: &Value, key: &str, exclusive: &str, step: i64) -> Option<i64> {
    let value = schema.get(key)?;
    let n = value.as_i64().or_else(|| {
        let f = value.as_f64()?;
        // A fractional bound of an integer field: the nearest whole number inside.
        let inside = if step > 0 { f.ceil() } else { f.floor() };
        (inside.abs() < 9.0e15).then_some(inside as i64)
    })?;
    Some(if schema[exclusive] == true {
        n.saturating_add(step)
    } else {
        n
    })
}

/// A string field whose pattern is the Kubernetes quantity pattern.
fn looks_quantity(schema: &Value) -> bool {
    schema["pattern"]
        .as_str()
        .is_some_and(|p| p.contains("[KMGTPE]i"))
}

/// How a leaf is edited, by its schema.
fn kind_for_schema(schema: &Value) -> FieldKind {
    if schema["x-kubernetes-int-or-string"] == true {
        return if looks_quantity(schema) {
            FieldKind::Quantity
        } else {
            // Typed as flow YAML: `3` stays a number, `25%` a string.
            FieldKind::Structured
        };
    }
    if let Some(options) = schema["enum"].as_array()
        && !options.is_empty()
        && options.iter().all(Value::is_string)
    {
        return FieldKind::Choice(
            string_list(&schema["enum"])
                .into_iter()
                .map(str::to_owned)
                .collect(),
        );
    }
    match schema["type"].as_str() {
        Some("string") if looks_quantity(schema) => FieldKind::Quantity,
        Some("string") => FieldKind::Text,
        Some("integer") => FieldKind::Integer {
            min: bound(schema, "minimum", "exclusiveMinimum", 1),
            max: bound(schema, "maximum", "exclusiveMaximum", -1),
        },
        Some("number") => FieldKind::Number,
        Some("boolean") => FieldKind::Boolean,
        _ => FieldKind::Structured,
    }
}

/// How a leaf is edited when there is no schema: by its current value.
fn kind_for_value(value: Option<&Value>) -> FieldKind {
    match value {
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => FieldKind::Integer {
            min: None,
            max: None,
        },
        Some(Value::Number(_)) => FieldKind::Number,
        Some(Value::Bool(_)) => FieldKind::Boolean,
        None | Some(Value::Null | Value::String(_)) => FieldKind::Text,
        Some(_) => FieldKind::Structured,
    }
}

/// An object schema whose properties are listed field by field.
fn flattenable(schema: &Value) -> bool {
    schema["x-kubernetes-int-or-string"] != true
        && matches!(schema["type"].as_str(), Some("object") | None)
        && schema["properties"]
            .as_object()
            .is_some_and(|p| !p.is_empty())
}

/// A property name a dotted path can carry.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && !name
            .chars()
            .any(|c| matches!(c, '.' | '[' | ']') || c.is_whitespace() || c.is_control())
}

/// `child` is `parent` or below it (`a.b` under `a`; `a.bc` is not).
fn is_under(child: &str, parent: &str) -> bool {
    child == parent
        || child
            .strip_prefix(parent)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

fn last_segment(path: &str) -> String {
    match FieldPath::parse(path)
        .ok()
        .and_then(|p| p.0.last().cloned())
    {
        Some(Segment::Field(name)) => name,
        _ => path.to_owned(),
    }
}

/// Builds the fields of a form, remembering which paths descriptors took.
struct Builder<'a> {
    schema: &'a Value,
    object: &'a Value,
    fields: Vec<FormField>,
    /// Descriptor paths (relative to spec) already in the form.
    covered: Vec<String>,
    /// Hidden descriptor paths: left out with everything below them.
    hidden: Vec<String>,
}

impl<'a> Builder<'a> {
    fn new(schema: &'a Value, object: &'a Value) -> Self {
        Self {
            schema,
            object,
            fields: Vec::new(),
            covered: Vec::new(),
            hidden: Vec::new(),
        }
    }

    fn current(&self, rel: &str) -> Option<Value> {
        let path = FieldPath::parse(rel).ok()?;
        FieldPath::under("spec", &path)
            .get(self.object)
            .filter(|v| !v.is_null())
            .cloned()
    }

    /// Required when every object from `spec` down requires the next step,
    /// or an optional object on the way is present (then its required
    /// fields are required).
    fn required(&self, rel: &str) -> bool {
        let Ok(path) = FieldPath::parse(rel) else {
            return false;
        };
        let mut schema = self.schema;
        let mut value = self.object.get("spec");
        let mut needed = true;
        for segment in &path.0 {
            let Segment::Field(name) = segment else {
                // A list element: required when it exists.
                needed = value.is_some();
                schema = match schema.get("items") {
                    Some(items) => items,
                    None => return false,
                };
                value = None;
                continue;
            };
            let here = (needed || value.is_some())
                && string_list(&schema["required"]).contains(&name.as_str());
            let Some(next) = schema["properties"].get(name) else {
                return false;
            };
            schema = next;
            value = value.and_then(|v| v.get(name)).filter(|v| !v.is_null());
            needed = here;
        }
        needed
    }

    fn leaf(
        &self,
        rel: &str,
        label: String,
        description: Option<String>,
        kind: FieldKind,
    ) -> FormField {
        let schema = FieldPath::parse(rel)
            .ok()
            .and_then(|p| schema_at(self.schema, &p.0));
        let description =
            description.or_else(|| schema.and_then(|s| s["description"].as_str()).map(clean));
        FormField {
            path: format!("spec.{rel}"),
            label,
            description,
            kind,
            required: self.required(rel),
            default: schema.and_then(|s| s.get("default")).cloned(),
            current: self.current(rel),
        }
    }

    fn descriptor(&mut self, d: &Descriptor) {
        let Ok(path) = FieldPath::parse(&d.path) else {
            return;
        };
        let rel = d.path.as_str();
        let widget = d.widget();
        if widget == Some(XDescriptor::Hidden) {
            self.hidden.push(rel.to_owned());
            return;
        }
        if self.taken(rel) {
            return;
        }
        let label = d
            .display_name
            .as_deref()
            .map_or_else(|| last_segment(rel), clean);
        let description = d.description.as_deref().map(clean);
        let schema = schema_at(self.schema, &path.0);
        let kind = match widget {
            Some(XDescriptor::PodCount) => {
                let (min, max) = match schema.map(kind_for_schema) {
                    Some(FieldKind::Integer { min, max }) => (min, max),
                    _ => (None, None),
                };
                FieldKind::Integer {
                    min: min.or(Some(0)),
                    max,
                }
            }
            Some(XDescriptor::ResourceRequirements) => {
                for (group, resource, text) in [
                    ("requests", "cpu", "CPU request"),
                    ("requests", "memory", "memory request"),
                    ("limits", "cpu", "CPU limit"),
                    ("limits", "memory", "memory limit"),
                ] {
                    let child = format!("{rel}.{group}.{resource}");
                    let field = self.leaf(
                        &child,
                        format!("{label}: {text}"),
                        description.clone(),
                        FieldKind::Quantity,
                    );
                    self.fields.push(field);
                }
                self.covered.push(rel.to_owned());
                return;
            }
            Some(XDescriptor::Password) => FieldKind::Password,
            Some(XDescriptor::Select(options)) => FieldKind::Choice(options),
            Some(XDescriptor::Secret) => FieldKind::SecretRef,
            Some(XDescriptor::ConfigMap) => FieldKind::ConfigMapRef,
            _ => match schema {
                // A descriptor on an object: its leaves, under its label.
                Some(s) if flattenable(s) => {
                    let mut leaves = Vec::new();
                    self.collect(s, rel, 1, &mut leaves);
                    for mut field in leaves {
                        field.label = format!("{label}: {}", field.label);
                        self.fields.push(field);
                    }
                    self.covered.push(rel.to_owned());
                    return;
                }
                Some(s) => kind_for_schema(s),
                None => kind_for_value(self.current(rel).as_ref()),
            },
        };
        let field = self.leaf(rel, label, description, kind);
        self.fields.push(field);
        self.covered.push(rel.to_owned());
    }

    /// A spec-change field for a descriptor naming a storage size.
    fn storage_size(&mut self, d: &Descriptor) {
        let rel = d.path.as_str();
        if FieldPath::parse(rel).is_err() || self.covered.iter().any(|c| c == rel) {
            return;
        }
        self.covered.push(rel.to_owned());
        let label = d
            .display_name
            .as_deref()
            .map_or_else(|| last_segment(rel), clean);
        let field = self.leaf(
            rel,
            label,
            d.description.as_deref().map(clean),
            FieldKind::Quantity,
        );
        self.fields.push(field);
    }

    /// A field as if a descriptor with this widget named it.
    fn synthetic(&mut self, rel: &str, widget: XDescriptor) {
        let urn = match widget {
            XDescriptor::PodCount => "urn:alm:descriptor:com.tectonic.ui:podCount",
            _ => "urn:alm:descriptor:com.tectonic.ui:resourceRequirements",
        };
        self.descriptor(&Descriptor {
            display_name: None,
            description: None,
            path: rel.to_owned(),
            x_descriptors: vec![urn.to_owned()],
        });
    }

    /// Whether `rel` lies under a hidden field or under one a descriptor
    /// took already.
    fn taken(&self, rel: &str) -> bool {
        self.hidden.iter().any(|h| is_under(rel, h))
            || self.covered.iter().any(|c| is_under(rel, c))
    }

    /// Whether a field a descriptor took lies under `rel`.
    fn holds_descriptor(&self, rel: &str) -> bool {
        self.covered.iter().any(|c| is_under(c, rel))
    }

    /// Leaves below `schema` (at `prefix`) that no descriptor took.
    fn collect(&self, schema: &Value, prefix: &str, depth: usize, out: &mut Vec<FormField>) {
        let Some(properties) = schema["properties"].as_object() else {
            return;
        };
        for (name, prop) in properties {
            if !plain_name(name) {
                continue;
            }
            let rel = join(prefix, name);
            if self.taken(&rel) {
                continue;
            }
            let holds_descriptor = self.holds_descriptor(&rel);
            if flattenable(prop) && (depth < MAX_DEPTH || holds_descriptor) {
                self.collect(prop, &rel, depth + 1, out);
            } else if !holds_descriptor {
                // A map or list holding a descriptor field is left out, so
                // that one value is not edited in two places.
                out.push(self.leaf(&rel, name.clone(), None, kind_for_schema(prop)));
            }
        }
    }

    /// Leaves of the current value below `prefix`, for a form without schema.
    fn collect_values(&self, value: &Value, prefix: &str, depth: usize, out: &mut Vec<FormField>) {
        let Some(map) = value.as_object() else {
            return;
        };
        for (name, child) in map {
            if !plain_name(name) {
                continue;
            }
            let rel = join(prefix, name);
            if self.taken(&rel) {
                continue;
            }
            let holds_descriptor = self.holds_descriptor(&rel);
            let nested = child.as_object().is_some_and(|m| !m.is_empty());
            if nested && (depth < MAX_DEPTH || holds_descriptor) {
                self.collect_values(child, &rel, depth + 1, out);
            } else if !holds_descriptor {
                out.push(self.leaf(&rel, name.clone(), None, kind_for_value(Some(child))));
            }
        }
    }

    /// Every other leaf, after the descriptors.
    fn rest(&mut self) {
        let mut out = Vec::new();
        if self.schema["properties"]
            .as_object()
            .is_some_and(|p| !p.is_empty())
        {
            self.collect(self.schema, "", 0, &mut out);
        } else if let Some(spec) = self.object.get("spec") {
            self.collect_values(spec, "", 0, &mut out);
        }
        self.fields.extend(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::csd::CustomServiceDefinition;
    use crate::domain::yaml_documents;
    use serde_json::json;

    fn example(path: &str) -> Vec<Value> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        yaml_documents(&std::fs::read_to_string(root.join(path)).unwrap()).unwrap()
    }

    fn spec_schema(crd: &str) -> Value {
        example(crd)[0]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
            .clone()
    }

    fn csd(path: &str) -> CustomServiceDefinition {
        CustomServiceDefinition::from_value(&example(path)[0]).unwrap()
    }

    fn orders() -> Value {
        example("examples/kafka/instances/team-a.yaml")
            .into_iter()
            .find(|d| d["metadata"]["name"] == "orders")
            .unwrap()
    }

    fn paths(form: &Form) -> Vec<&str> {
        form.fields.iter().map(|f| f.path.as_str()).collect()
    }

    fn get<'a>(form: &'a Form, path: &str) -> &'a FormField {
        form.fields
            .iter()
            .find(|f| f.path == path)
            .unwrap_or_else(|| panic!("no field {path} in {:?}", paths(form)))
    }

    #[test]
    fn integers_are_whole_and_bounded() {
        let kind = FieldKind::Integer {
            min: Some(1),
            max: Some(9),
        };
        assert_eq!(parse_input(&kind, "3"), Ok(Some(json!(3))));
        assert_eq!(parse_input(&kind, " 9 "), Ok(Some(json!(9))));
        assert_eq!(parse_input(&kind, ""), Ok(None));
        assert_eq!(parse_input(&kind, "   "), Ok(None));
        for bad in [
            "0",
            "10",
            "3.5",
            "three",
            "1e3",
            "-",
            "99999999999999999999",
        ] {
            assert_eq!(
                parse_input(&kind, bad),
                Err("a whole number between 1 and 9".to_owned()),
                "{bad}"
            );
        }
        let open = FieldKind::Integer {
            min: Some(0),
            max: None,
        };
        assert_eq!(
            parse_input(&open, "-1"),
            Err("a whole number of at least 0".to_owned())
        );
        assert_eq!(parse_input(&open, "12345"), Ok(Some(json!(12345))));
        let any = FieldKind::Integer {
            min: None,
            max: None,
        };
        assert_eq!(parse_input(&any, "-7"), Ok(Some(json!(-7))));
        assert_eq!(parse_input(&any, "x"), Err("a whole number".to_owned()));
    }

    #[test]
    fn numbers_booleans_and_choices() {
        assert_eq!(parse_input(&FieldKind::Number, "0.5"), Ok(Some(json!(0.5))));
        assert_eq!(parse_input(&FieldKind::Number, "3"), Ok(Some(json!(3))));
        for bad in ["inf", "NaN", "1,5", "x"] {
            assert!(parse_input(&FieldKind::Number, bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_input(&FieldKind::Boolean, "true"),
            Ok(Some(json!(true)))
        );
        assert_eq!(
            parse_input(&FieldKind::Boolean, "false"),
            Ok(Some(json!(false)))
        );
        // YAML 1.2: nothing else is a boolean.
        for bad in ["yes", "no", "on", "True", "1"] {
            assert_eq!(
                parse_input(&FieldKind::Boolean, bad),
                Err("true or false".to_owned()),
                "{bad}"
            );
        }
        let choice = FieldKind::Choice(vec!["none".into(), "gzip".into(), "lz4".into()]);
        assert_eq!(parse_input(&choice, "gzip"), Ok(Some(json!("gzip"))));
        assert_eq!(parse_input(&choice, "GZIP"), Ok(Some(json!("gzip"))));
        assert_eq!(
            parse_input(&choice, "brotli"),
            Err("one of: none, gzip, lz4".to_owned())
        );
        // Two options differing in case only: the exact one is needed.
        let cased = FieldKind::Choice(vec!["A".into(), "a".into()]);
        assert_eq!(parse_input(&cased, "a"), Ok(Some(json!("a"))));
        assert!(parse_input(&FieldKind::Choice(vec!["A".into(), "a".into()]), "x").is_err());
    }

    #[test]
    fn text_quantities_and_names() {
        assert_eq!(
            parse_input(&FieldKind::Text, " two words "),
            Ok(Some(json!(" two words ")))
        );
        assert_eq!(parse_input(&FieldKind::Text, ""), Ok(None));
        assert_eq!(
            parse_input(&FieldKind::Password, "p@ss word"),
            Ok(Some(json!("p@ss word")))
        );
        for good in ["500m", "2", "2Gi", "1.5", "10Gi", "100k"] {
            assert_eq!(
                parse_input(&FieldKind::Quantity, good),
                Ok(Some(json!(good))),
                "{good}"
            );
        }
        for bad in ["2 Gi", "two", "-1", "1GB", "Gi"] {
            assert!(parse_input(&FieldKind::Quantity, bad).is_err(), "{bad}");
        }
        assert_eq!(
            parse_input(&FieldKind::SecretRef, "kafka-admin"),
            Ok(Some(json!("kafka-admin")))
        );
        assert_eq!(
            parse_input(&FieldKind::ConfigMapRef, "Kafka_Config"),
            Err("the name of a ConfigMap: lowercase letters, digits, '-' and '.'".to_owned())
        );
        assert!(parse_input(&FieldKind::SecretRef, "-x").is_err());
        assert!(parse_input(&FieldKind::SecretRef, &"a".repeat(254)).is_err());
    }

    #[test]
    fn long_map_keys_round_trip() {
        // Around YAML's 1024-character cap on implicit keys, plain and
        // quoted, nested, and with escapes that lengthen the quoted form.
        for len in [
            990, 998, 999, 1000, 1001, 1020, 1022, 1023, 1024, 1025, 1100, 5000,
        ] {
            for key in [
                "a".repeat(len),
                format!("{} x", "a".repeat(len - 2)),
                "\u{1}".repeat(len / 6),
            ] {
                let value = json!({ key.clone(): 1, "inner": { key: [1, {"k": 2}] } });
                let field = FormField {
                    path: "spec.x".into(),
                    label: "x".into(),
                    description: None,
                    kind: FieldKind::Structured,
                    required: false,
                    default: None,
                    current: Some(value.clone()),
                };
                let shown = initial_text(&field);
                assert_eq!(
                    parse_input(&FieldKind::Structured, &shown),
                    Ok(Some(value)),
                    "key of {len}: {}",
                    &shown[..80]
                );
            }
        }
        // What the fuzzer found: a key typed in the explicit form.
        let typed = format!("{{? \"{}\": 1}}", "a".repeat(1100));
        let value = parse_input(&FieldKind::Structured, &typed)
            .unwrap()
            .unwrap();
        let field = FormField {
            path: "spec.x".into(),
            label: "x".into(),
            description: None,
            kind: FieldKind::Structured,
            required: false,
            default: None,
            current: Some(value.clone()),
        };
        assert_eq!(
            parse_input(&FieldKind::Structured, &initial_text(&field)),
            Ok(Some(value))
        );
    }

    #[test]
    fn structured_values_round_trip_as_flow_yaml() {
        let value = json!({
            "log.retention.hours": "168",
            "true": "quoted key",
            "n": 3,
            "list": ["x", "y z", "a\u{1b}b"],
            "nested": {"on": false, "empty": {}},
        });
        let field = FormField {
            path: "spec.config".into(),
            label: "config".into(),
            description: None,
            kind: FieldKind::Structured,
            required: false,
            default: None,
            current: Some(value.clone()),
        };
        let text = initial_text(&field);
        assert!(!text.contains('\n') && !text.contains('\u{1b}'), "{text}");
        assert!(text.contains("log.retention.hours: \"168\""), "{text}");
        assert_eq!(parse_input(&FieldKind::Structured, &text), Ok(Some(value)));
        assert_eq!(
            parse_input(&FieldKind::Structured, "{a: 1, b: [x, y]}"),
            Ok(Some(json!({"a": 1, "b": ["x", "y"]})))
        );
        assert_eq!(
            parse_input(&FieldKind::Structured, "25%"),
            Ok(Some(json!("25%")))
        );
        assert_eq!(parse_input(&FieldKind::Structured, "3"), Ok(Some(json!(3))));
        let err = parse_input(&FieldKind::Structured, "{a: [1, 2}").unwrap_err();
        assert!(
            err.starts_with("flow YAML such as {a: 1} or [x, y]"),
            "{err}"
        );
        // A string stays itself; numbers and booleans print plainly.
        let mut scalar = field.clone();
        scalar.kind = FieldKind::Text;
        scalar.current = Some(json!("registry.invalid/kafka:3.7.1"));
        assert_eq!(initial_text(&scalar), "registry.invalid/kafka:3.7.1");
        scalar.current = Some(json!(3));
        assert_eq!(initial_text(&scalar), "3");
        scalar.current = Some(json!(true));
        assert_eq!(initial_text(&scalar), "true");
        scalar.current = None;
        assert_eq!(initial_text(&scalar), "");
    }

    #[test]
    fn applying_values() {
        let base = json!({"metadata": {"name": "x", "resourceVersion": "7"},
                          "spec": {"replicas": 3, "resources": {"limits": {"cpu": "2"}},
                                   "listeners": [{"port": 1}], "image": "k"}});
        let out = apply_values(
            &base,
            &[
                ("spec.replicas".into(), Some(json!(5))),
                ("spec.storage.size".into(), Some(json!("20Gi"))),
                ("spec.resources.limits.cpu".into(), None),
                ("spec.listeners[0].port".into(), Some(json!(2))),
                ("spec.listeners[2].port".into(), Some(json!(3))),
                ("spec.image.tag".into(), Some(json!("t"))),
                ("spec..bad".into(), Some(json!(1))),
                ("spec.missing.deep".into(), None),
            ],
        );
        assert_eq!(out["spec"]["replicas"], json!(5));
        assert_eq!(out["spec"]["storage"]["size"], json!("20Gi"));
        // The emptied `limits` and `resources` go; nothing else is touched.
        assert!(out["spec"].get("resources").is_none(), "{out}");
        assert_eq!(
            out["spec"]["listeners"],
            json!([{"port": 2}, null, {"port": 3}])
        );
        assert_eq!(out["spec"]["image"], json!({"tag": "t"}));
        assert!(out["spec"].get("missing").is_none());
        assert_eq!(out["metadata"], base["metadata"]);
        // A top-level object stays even when emptied.
        let emptied = apply_values(&json!({"spec": {"a": 1}}), &[("spec.a".into(), None)]);
        assert_eq!(emptied, json!({"spec": {}}));
        // An object that was empty before and is not on a removed path stays.
        let kept = apply_values(
            &json!({"spec": {"a": {}, "b": 1}}),
            &[("spec.b".into(), None)],
        );
        assert_eq!(kept, json!({"spec": {"a": {}}}));
        assert_eq!(
            apply_values(
                &json!({"spec": {"l": [1, 2, 3]}}),
                &[("spec.l[1]".into(), None)]
            ),
            json!({"spec": {"l": [1, 3]}})
        );
    }

    #[test]
    fn kafka_configuration_form() {
        let schema = spec_schema("examples/kafka/crds/hwfkas.yaml");
        let csd = csd("examples/kafka/csd/kafka.yaml");
        let form = config_form(&schema, &csd.spec.descriptors.spec_descriptors, &orders());
        assert_eq!(
            paths(&form),
            [
                // Descriptors first, in their order.
                "spec.replicas",
                "spec.resources.requests.cpu",
                "spec.resources.requests.memory",
                "spec.resources.limits.cpu",
                "spec.resources.limits.memory",
                "spec.storage.size",
                "spec.adminPassword",
                "spec.compression",
                "spec.configMapRef",
                "spec.config",
                "spec.zookeeperRef.name",
                // Then every other leaf of the schema.
                "spec.image",
                "spec.storage.storageClassName",
                "spec.version",
                "spec.zookeeperRef.namespace",
            ]
        );
        let replicas = get(&form, "spec.replicas");
        assert_eq!(replicas.label, "Brokers");
        assert_eq!(
            replicas.description.as_deref(),
            Some("Number of Kafka brokers.")
        );
        assert_eq!(
            replicas.kind,
            FieldKind::Integer {
                min: Some(1),
                max: Some(9)
            }
        );
        assert_eq!(replicas.default, Some(json!(3)));
        assert_eq!(replicas.current, Some(json!(3)));
        assert!(!replicas.required);

        let cpu = get(&form, "spec.resources.limits.cpu");
        assert_eq!(cpu.kind, FieldKind::Quantity);
        assert_eq!(cpu.label, "Resources: CPU limit");
        assert_eq!(cpu.current, Some(json!("2")));
        assert_eq!(get(&form, "spec.storage.size").kind, FieldKind::Quantity);
        assert_eq!(get(&form, "spec.storage.size").default, Some(json!("10Gi")));
        assert_eq!(get(&form, "spec.adminPassword").kind, FieldKind::Password);
        assert_eq!(
            get(&form, "spec.compression").kind,
            FieldKind::Choice(
                ["none", "gzip", "snappy", "lz4", "zstd"]
                    .map(String::from)
                    .to_vec()
            )
        );
        assert_eq!(get(&form, "spec.compression").current, Some(json!("lz4")));
        assert_eq!(
            get(&form, "spec.configMapRef").kind,
            FieldKind::ConfigMapRef
        );
        assert_eq!(get(&form, "spec.configMapRef").current, None);
        assert_eq!(get(&form, "spec.config").kind, FieldKind::Structured);
        let zk = get(&form, "spec.zookeeperRef.name");
        assert_eq!((zk.kind.clone(), zk.required), (FieldKind::Text, true));
        assert!(get(&form, "spec.version").required);
        assert!(!get(&form, "spec.zookeeperRef.namespace").required);
        // Schema descriptions for fields no descriptor describes.
        assert!(
            get(&form, "spec.image")
                .description
                .as_deref()
                .is_some_and(|d| d.starts_with("Broker image reference"))
        );
        assert_eq!(get(&form, "spec.image").label, "image");
    }

    #[test]
    fn hidden_descriptors_and_descriptor_objects() {
        let schema = spec_schema("examples/kafka/crds/hwfkas.yaml");
        let d = |path: &str, urns: &[&str], name: Option<&str>| Descriptor {
            display_name: name.map(str::to_owned),
            description: None,
            path: path.to_owned(),
            x_descriptors: urns.iter().map(|u| (*u).to_owned()).collect(),
        };
        let descriptors = [
            d(
                "image",
                &["urn:alm:descriptor:com.tectonic.ui:hidden"],
                None,
            ),
            d("zookeeperRef", &[], Some("ZK\u{1b}[2J")),
            d(
                "storage",
                &[
                    "urn:alm:descriptor:com.tectonic.ui:hidden",
                    "urn:alm:descriptor:text",
                ],
                None,
            ),
            d(
                "adminPassword",
                &["urn:alm:descriptor:io.kubernetes:Secret"],
                None,
            ),
        ];
        let form = config_form(&schema, &descriptors, &orders());
        let all = paths(&form);
        assert!(!all.iter().any(|p| p.starts_with("spec.image")), "{all:?}");
        assert!(
            !all.iter().any(|p| p.starts_with("spec.storage")),
            "{all:?}"
        );
        assert_eq!(
            &all[..3],
            [
                "spec.zookeeperRef.name",
                "spec.zookeeperRef.namespace",
                "spec.adminPassword"
            ]
        );
        // Labels from the cluster are made inert.
        assert_eq!(form.fields[0].label, "ZK^[[2J: name");
        assert_eq!(get(&form, "spec.adminPassword").kind, FieldKind::SecretRef);
        assert_eq!(
            all.iter()
                .filter(|p| p.starts_with("spec.zookeeperRef"))
                .count(),
            2
        );
    }

    #[test]
    fn kafka_spec_change_form() {
        let schema = spec_schema("examples/kafka/crds/hwfkas.yaml");
        let csd = csd("examples/kafka/csd/kafka.yaml");
        let form = spec_change_form(&schema, &csd.spec.descriptors.spec_descriptors, &orders());
        assert_eq!(
            paths(&form),
            [
                "spec.replicas",
                "spec.resources.requests.cpu",
                "spec.resources.requests.memory",
                "spec.limits.cpu"
                    .replace("spec.", "spec.resources.")
                    .as_str(),
                "spec.resources.limits.memory",
                "spec.storage.size",
            ]
        );
        assert_eq!(get(&form, "spec.storage.size").kind, FieldKind::Quantity);
        assert_eq!(get(&form, "spec.storage.size").current, Some(json!("20Gi")));
        assert_eq!(get(&form, "spec.storage.size").label, "Storage size");
        // Without descriptors: replicas and resources from the schema.
        let bare = spec_change_form(&schema, &[], &orders());
        assert_eq!(bare.fields.len(), 5);
        assert_eq!(bare.fields[0].path, "spec.replicas");
        assert_eq!(
            bare.fields[0].kind,
            FieldKind::Integer {
                min: Some(1),
                max: Some(9)
            }
        );
        assert_eq!(bare.fields[1].label, "resources: CPU request");
        assert!(
            spec_change_form(&json!({"type": "object"}), &[], &orders())
                .fields
                .is_empty()
        );
    }

    #[test]
    fn operation_forms_leave_the_target_out() {
        let backup = csd("examples/kafka/csd/kafka-backup.yaml");
        let schema = spec_schema("examples/kafka/crds/hwfkabackups.yaml");
        let form = operation_form(
            Some(&schema),
            &backup.spec.descriptors.spec_descriptors,
            backup.spec.default_configuration.as_ref(),
            backup.spec.target_path.as_deref(),
        );
        assert_eq!(paths(&form), ["spec.destination", "spec.compress"]);
        let compress = get(&form, "spec.compress");
        assert_eq!(compress.kind, FieldKind::Boolean);
        assert_eq!(compress.current, Some(json!(true)));
        assert_eq!(compress.default, Some(json!(true)));
        assert_eq!(compress.label, "Compress");
        assert_eq!(get(&form, "spec.destination").current, None);

        let restore = csd("examples/kafka/csd/kafka-restore.yaml");
        let schema = spec_schema("examples/kafka/crds/hwfkarestores.yaml");
        let form = operation_form(
            Some(&schema),
            &restore.spec.descriptors.spec_descriptors,
            restore.spec.default_configuration.as_ref(),
            Some("instanceName"),
        );
        assert_eq!(paths(&form), ["spec.backupName"]);
        assert_eq!(form.fields[0].current, Some(json!("backup-sample")));
        assert!(form.fields[0].required);

        // No schema, a bare spec as the default: kinds from the values.
        let form = operation_form(None, &[], Some(&json!({"keep": 3, "dryRun": false})), None);
        assert_eq!(
            form.fields
                .iter()
                .map(|f| (f.path.as_str(), f.kind.clone()))
                .collect::<Vec<_>>(),
            [
                ("spec.dryRun", FieldKind::Boolean),
                (
                    "spec.keep",
                    FieldKind::Integer {
                        min: None,
                        max: None
                    }
                ),
            ]
        );
        assert!(operation_form(None, &[], None, None).fields.is_empty());
    }

    #[test]
    fn schemaless_forms_follow_the_values() {
        let object = json!({"spec": {"replicaCount": 2, "auth": {"password": "p", "enabled": true},
                                      "ratio": 0.5, "tags": ["a"]}});
        let descriptors = [Descriptor {
            display_name: Some("Password".into()),
            description: None,
            path: "auth.password".into(),
            x_descriptors: vec!["urn:alm:descriptor:com.tectonic.ui:password".into()],
        }];
        let form = config_form(&Value::Null, &descriptors, &object);
        assert_eq!(
            form.fields
                .iter()
                .map(|f| (f.path.as_str(), f.kind.clone()))
                .collect::<Vec<_>>(),
            [
                ("spec.auth.password", FieldKind::Password),
                ("spec.auth.enabled", FieldKind::Boolean),
                ("spec.ratio", FieldKind::Number),
                (
                    "spec.replicaCount",
                    FieldKind::Integer {
                        min: None,
                        max: None
                    }
                ),
                ("spec.tags", FieldKind::Structured),
            ]
        );
    }

    /// A form submitted untouched changes nothing: every field's starting
    /// text parses back to its current value, for every example instance.
    #[test]
    fn untouched_forms_round_trip() {
        let mut checked = 0;
        for (crd, csd_path, instances) in [
            (
                "examples/kafka/crds/hwfkas.yaml",
                "examples/kafka/csd/kafka.yaml",
                "examples/kafka/instances/team-a.yaml",
            ),
            (
                "examples/kafka/crds/hwfkas.yaml",
                "examples/kafka/csd/kafka.yaml",
                "examples/kafka/instances/team-b.yaml",
            ),
            (
                "examples/redis/crds/hwredises.yaml",
                "examples/redis/csd/redis.yaml",
                "examples/redis/instances/instances.yaml",
            ),
        ] {
            let schema = spec_schema(crd);
            let csd = csd(csd_path);
            let kind = csd
                .spec
                .crd_ref
                .as_ref()
                .map(|_| csd.spec.default_configuration.as_ref().unwrap()["kind"].clone());
            for object in example(instances)
                .into_iter()
                .filter(|o| Some(&o["kind"]) == kind.as_ref())
            {
                let descriptors = &csd.spec.descriptors.spec_descriptors;
                for form in [
                    config_form(&schema, descriptors, &object),
                    spec_change_form(&schema, descriptors, &object),
                ] {
                    let mut values = Vec::new();
                    for field in &form.fields {
                        let parsed = parse_input(&field.kind, &initial_text(field));
                        assert_eq!(parsed, Ok(field.current.clone()), "{}", field.path);
                        values.push((field.path.clone(), parsed.unwrap()));
                        checked += 1;
                    }
                    assert_eq!(apply_values(&object, &values), object);
                }
            }
        }
        assert!(checked > 50, "{checked}");
    }

    #[test]
    fn schema_kinds() {
        let int_or_string = json!({"x-kubernetes-int-or-string": true});
        assert_eq!(kind_for_schema(&int_or_string), FieldKind::Structured);
        let exclusive =
            json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true, "maximum": 10.5});
        assert_eq!(
            kind_for_schema(&exclusive),
            FieldKind::Integer {
                min: Some(1),
                max: Some(10)
            }
        );
        assert_eq!(
            kind_for_schema(&json!({"type": "integer", "enum": [1, 2]})),
            FieldKind::Integer {
                min: None,
                max: None
            }
        );
        assert_eq!(
            kind_for_schema(
                &json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
            ),
            FieldKind::Structured
        );
        assert_eq!(
            kind_for_schema(&json!({"type": "array"})),
            FieldKind::Structured
        );
        assert_eq!(
            kind_for_schema(&json!({"type": "number"})),
            FieldKind::Number
        );
    }
}
