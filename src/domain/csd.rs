//! The `CustomServiceDefinition` (CSD, `osc.io/v1beta1`): what a service is,
//! read leniently from the object as the API server returns it.
//!
//! The API server already enforces the CSD schema, but a console must also
//! cope with objects written under an older schema, so a field of the wrong
//! shape is recorded as a [`Problem`] and the rest of the CSD is still used.
//! Only a CSD without a usable `metadata.name` or `spec` is refused.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::Problem;
use super::descriptors::XDescriptor;
use super::lenient::{Reader, join, kind};
use super::path::FieldPath;

/// Annotation naming the Deployment that runs a package's operator (ext).
pub const OPERATOR_DEPLOYMENT_ANNOTATION: &str = "osc.io/operator-deployment";
/// Annotation naming the Lease renewed by an operator running outside the cluster (ext).
pub const OPERATOR_LEASE_ANNOTATION: &str = "osc.io/operator-lease";

/// A CSD that cannot be used at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CsdError {
    #[error("the object is not a JSON object")]
    NotAnObject,
    #[error("metadata.name is missing or not a usable name")]
    MissingName,
    #[error("CSD {0}: spec is missing or not an object")]
    MissingSpec(String),
}

/// A CSD as the console uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomServiceDefinition {
    /// `metadata.name`: how other objects refer to the service.
    pub name: String,
    /// `metadata.annotations` whose values are strings.
    pub annotations: BTreeMap<String, String>,
    /// Where the operator runs, from the annotations (ext).
    pub operator: Option<OperatorLocation>,
    pub spec: CsdSpec,
    /// Every defect found while reading; the fields concerned were dropped or defaulted.
    pub problems: Vec<Problem>,
}

/// `spec` of a CSD.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CsdSpec {
    pub crd_ref: Option<CrdRef>,
    pub display_name: String,
    pub description: Option<String>,
    pub role: Role,
    pub package_type: PackageType,
    pub helm: Option<HelmChart>,
    pub version_definition: Option<VersionDefinition>,
    pub descriptors: Descriptors,
    pub capability_requirements: Vec<CapabilityRequirement>,
    pub service_entity_dependencies: Vec<Dependency>,
    /// An example instance: a whole CR, or a values document for Helm packages.
    pub default_configuration: Option<Value>,
    pub provider: Option<Provider>,
    pub operation_of: Option<String>,
    pub target_path: Option<String>,
}

/// `spec.CRDRef`: the CRD whose CRs are the instances (or the actions).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrdRef {
    pub api_version: String,
    pub kind: String,
    /// `<plural>.<group>`.
    pub name: String,
}

/// `spec.role`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Role {
    /// The CRs are instances of the service.
    #[default]
    ServiceEntity,
    /// The CRs are operations actions on instances of `operationOf`.
    Operation,
}

/// `spec.packageType` (ext).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PackageType {
    #[default]
    Operator,
    Helm,
}

/// `spec.helm` (ext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmChart {
    /// The chart name; a release belongs to the service when its chart has this name.
    pub chart: String,
    pub repository: Option<String>,
}

/// `spec.versionDefinition`: the upgrade contract.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VersionDefinition {
    /// Warning shown when an upgrade starts.
    pub description: Option<String>,
    pub mode: VersionMode,
    /// From the CR's root to the image reference.
    pub path: Option<String>,
    /// Versions that can all upgrade to one another, without duplicates.
    pub tags: Vec<String>,
}

/// `versionDefinition.mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum VersionMode {
    /// Upgrades replace the image tag only.
    #[default]
    Tag,
    /// Upgrades replace the whole image reference.
    Url,
}

/// `spec.descriptors`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Descriptors {
    pub spec_descriptors: Vec<Descriptor>,
    pub status_descriptors: Vec<Descriptor>,
}

/// One descriptor: how a field is labelled and shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub display_name: Option<String>,
    pub description: Option<String>,
    /// Relative to `spec` or `status` (or to the values of a Helm release).
    pub path: String,
    /// The URNs as written.
    pub x_descriptors: Vec<String>,
}

impl Descriptor {
    /// The widget the console uses, after the precedence rules; `None` means
    /// "according to the schema type".
    pub fn widget(&self) -> Option<XDescriptor> {
        XDescriptor::resolve(&self.x_descriptors)
    }

    /// The label: `displayName`, else the path.
    pub fn label(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.path)
    }
}

/// `spec.capabilityRequirements[]`.
#[derive(Debug, Clone, PartialEq)]
pub struct CapabilityRequirement {
    pub api_version: String,
    pub kind: CapabilityKind,
    pub default_path: Option<String>,
    /// Name of the cluster-scoped object holding the configuration (ext).
    pub name: Option<String>,
    /// The configuration inline (ext).
    pub spec: Option<Value>,
}

/// The kinds of capability a CSD can require.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapabilityKind {
    MonitorConfig,
    LogConfig,
}

/// `spec.serviceEntityDependencies[]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dependency {
    /// CSD name of the service depended on.
    pub service: String,
    pub api_version: Option<String>,
    pub kind: Option<String>,
    pub default_path: Option<String>,
}

/// `spec.provider` (ext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provider {
    pub name: String,
    pub contact: String,
}

/// Where a package's operator runs, from the CSD's annotations (ext).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorLocation {
    /// Healthy when this Deployment is Available.
    Deployment { namespace: String, name: String },
    /// Healthy when this Lease was renewed within its duration.
    Lease { namespace: String, name: String },
}

impl CustomServiceDefinition {
    /// Reads a CSD object (`apiVersion`, `kind`, `metadata`, `spec`).
    pub fn from_value(object: &Value) -> Result<Self, CsdError> {
        let obj = object.as_object().ok_or(CsdError::NotAnObject)?;
        let metadata = obj
            .get("metadata")
            .and_then(Value::as_object)
            .ok_or(CsdError::MissingName)?;
        let name = metadata
            .get("name")
            .and_then(Value::as_str)
            .filter(|name| is_object_name(name))
            .ok_or(CsdError::MissingName)?
            .to_owned();
        let spec = obj
            .get("spec")
            .and_then(Value::as_object)
            .ok_or_else(|| CsdError::MissingSpec(name.clone()))?;

        let mut r = Reader::default();
        if let Some(kind) = obj.get("kind").and_then(Value::as_str)
            && kind != "CustomServiceDefinition"
        {
            r.report(
                "kind",
                format!("expected CustomServiceDefinition, found {kind:?}"),
            );
        }
        let annotations = read_annotations(&mut r, metadata);
        let operator = operator_location(&mut r, &annotations);
        let spec = read_spec(&mut r, spec);
        Ok(Self {
            name,
            annotations,
            operator,
            spec,
            problems: r.problems,
        })
    }

    /// The CSD is listed as a service (operation CSDs are not).
    pub fn is_service(&self) -> bool {
        self.spec.role == Role::ServiceEntity
    }
}

/// A Kubernetes object name: 1 to 253 characters of `a-z0-9.-`, which
/// also keeps control characters out of every place a name is shown.
fn is_object_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
}

fn read_annotations(r: &mut Reader, metadata: &Map<String, Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Some(annotations) = r.object(metadata, "annotations", "metadata") {
        for (key, value) in annotations {
            let field = format!("metadata.annotations[{key}]");
            match value {
                Value::String(text) => {
                    if let Some(text) = r.clean(text, &field, true) {
                        out.insert(key.clone(), text);
                    }
                }
                other => r.report(field, format!("expected a string, found {}", kind(other))),
            }
        }
    }
    out
}

fn operator_location(
    r: &mut Reader,
    annotations: &BTreeMap<String, String>,
) -> Option<OperatorLocation> {
    let parse = |r: &mut Reader, key: &str| -> Option<(String, String)> {
        let value = annotations.get(key)?;
        let parsed = value
            .split_once('/')
            .filter(|(ns, name)| is_object_name(ns) && is_object_name(name));
        if parsed.is_none() {
            r.report(
                format!("metadata.annotations[{key}]"),
                format!("expected <namespace>/<name>, found {value:?}"),
            );
        }
        parsed.map(|(ns, name)| (ns.to_owned(), name.to_owned()))
    };
    let deployment = parse(r, OPERATOR_DEPLOYMENT_ANNOTATION);
    let lease = parse(r, OPERATOR_LEASE_ANNOTATION);
    match (deployment, lease) {
        (Some((namespace, name)), lease) => {
            if lease.is_some() {
                r.report(
                    format!("metadata.annotations[{OPERATOR_LEASE_ANNOTATION}]"),
                    format!("ignored: {OPERATOR_DEPLOYMENT_ANNOTATION} is set too"),
                );
            }
            Some(OperatorLocation::Deployment { namespace, name })
        }
        (None, Some((namespace, name))) => Some(OperatorLocation::Lease { namespace, name }),
        (None, None) => None,
    }
}

fn read_spec(r: &mut Reader, spec: &Map<String, Value>) -> CsdSpec {
    const AT: &str = "spec";
    let display_name = match r.line(spec, "displayName", AT) {
        Some(name) if !name.trim().is_empty() => {
            if name.chars().count() > 128 {
                r.report("spec.displayName", "is longer than 128 characters");
            }
            name
        }
        _ => {
            r.report("spec.displayName", "is missing or empty");
            String::new()
        }
    };
    let role = match r.line(spec, "role", AT).as_deref() {
        None | Some("serviceEntity") => Role::ServiceEntity,
        Some("operation") => Role::Operation,
        Some(other) => {
            r.report(
                "spec.role",
                format!("unknown role {other:?}; read as serviceEntity"),
            );
            Role::ServiceEntity
        }
    };
    let package_type = match r.line(spec, "packageType", AT).as_deref() {
        None | Some("Operator") => PackageType::Operator,
        Some("Helm") => PackageType::Helm,
        Some(other) => {
            r.report(
                "spec.packageType",
                format!("unknown package type {other:?}; read as Operator"),
            );
            PackageType::Operator
        }
    };
    let out = CsdSpec {
        crd_ref: read_crd_ref(r, spec),
        display_name,
        description: r.text(spec, "description", AT),
        role,
        package_type,
        helm: read_helm(r, spec),
        version_definition: read_version_definition(r, spec),
        descriptors: read_descriptors(r, spec),
        capability_requirements: read_capabilities(r, spec),
        service_entity_dependencies: read_dependencies(r, spec),
        default_configuration: match spec.get("defaultConfiguration") {
            None | Some(Value::Null) => None,
            Some(value) => Some(value.clone()),
        },
        provider: read_provider(r, spec),
        operation_of: r.line(spec, "operationOf", AT),
        target_path: r.line(spec, "targetPath", AT),
    };
    check_rules(r, &out);
    out
}

fn read_crd_ref(r: &mut Reader, spec: &Map<String, Value>) -> Option<CrdRef> {
    const AT: &str = "spec.CRDRef";
    let obj = r.object(spec, "CRDRef", "spec")?;
    let api_version = r.line(obj, "apiVersion", AT);
    let kind = r.line(obj, "kind", AT);
    let Some(name) = r.line(obj, "name", AT).filter(|name| is_object_name(name)) else {
        r.report("spec.CRDRef.name", "is missing or not a CRD name");
        return None;
    };
    if kind
        .as_deref()
        .is_some_and(|k| k != "CustomResourceDefinition")
    {
        r.report("spec.CRDRef.kind", "expected CustomResourceDefinition");
    }
    Some(CrdRef {
        api_version: api_version.unwrap_or_else(|| "apiextensions.k8s.io/v1".to_owned()),
        kind: kind.unwrap_or_else(|| "CustomResourceDefinition".to_owned()),
        name,
    })
}

fn read_helm(r: &mut Reader, spec: &Map<String, Value>) -> Option<HelmChart> {
    let obj = r.object(spec, "helm", "spec")?;
    let Some(chart) = r.line(obj, "chart", "spec.helm").filter(|c| !c.is_empty()) else {
        r.report("spec.helm.chart", "is missing");
        return None;
    };
    Some(HelmChart {
        chart,
        repository: r.line(obj, "repository", "spec.helm"),
    })
}

fn read_version_definition(r: &mut Reader, spec: &Map<String, Value>) -> Option<VersionDefinition> {
    const AT: &str = "spec.versionDefinition";
    let obj = r.object(spec, "versionDefinition", "spec")?;
    let mode = match r.line(obj, "mode", AT).as_deref() {
        None | Some("tag") => VersionMode::Tag,
        Some("url") => VersionMode::Url,
        Some(other) => {
            r.report(
                "spec.versionDefinition.mode",
                format!("unknown mode {other:?}; read as tag"),
            );
            VersionMode::Tag
        }
    };
    let mut seen = BTreeSet::new();
    let mut tags = Vec::new();
    for tag in r.strings(obj, "tags", AT) {
        if seen.insert(tag.clone()) {
            tags.push(tag);
        } else {
            r.report(
                "spec.versionDefinition.tags",
                format!("{tag:?} appears twice"),
            );
        }
    }
    let path = r.line(obj, "path", AT);
    if let Some(path) = &path
        && let Err(err) = FieldPath::parse(path)
    {
        r.report("spec.versionDefinition.path", err.to_string());
    }
    Some(VersionDefinition {
        description: r.text(obj, "description", AT),
        mode,
        path,
        tags,
    })
}

fn read_descriptors(r: &mut Reader, spec: &Map<String, Value>) -> Descriptors {
    let Some(obj) = r.object(spec, "descriptors", "spec") else {
        return Descriptors::default();
    };
    Descriptors {
        spec_descriptors: read_descriptor_list(r, obj, "specDescriptors"),
        status_descriptors: read_descriptor_list(r, obj, "statusDescriptors"),
    }
}

fn read_descriptor_list(r: &mut Reader, obj: &Map<String, Value>, key: &str) -> Vec<Descriptor> {
    let Some(items) = r.array(obj, key, "spec.descriptors") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("spec.descriptors.{key}[{i}]");
        let Some(d) = item.as_object() else {
            r.report(at, format!("expected an object, found {}", kind(item)));
            continue;
        };
        let Some(path) = r.line(d, "path", &at) else {
            r.report(join(&at, "path"), "is missing; the descriptor is ignored");
            continue;
        };
        if let Err(err) = FieldPath::parse(&path) {
            r.report(
                join(&at, "path"),
                format!("{err}; the descriptor is ignored"),
            );
            continue;
        }
        let x_descriptors = r.strings(d, "x-descriptors", &at);
        for (j, urn) in x_descriptors.iter().enumerate() {
            if !urn.starts_with("urn:") {
                r.report(
                    format!("{at}.x-descriptors[{j}]"),
                    "does not start with urn:",
                );
            }
        }
        out.push(Descriptor {
            display_name: r.line(d, "displayName", &at),
            description: r.text(d, "description", &at),
            path,
            x_descriptors,
        });
    }
    out
}

fn read_capabilities(r: &mut Reader, spec: &Map<String, Value>) -> Vec<CapabilityRequirement> {
    let Some(items) = r.array(spec, "capabilityRequirements", "spec") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("spec.capabilityRequirements[{i}]");
        let Some(c) = item.as_object() else {
            r.report(at, format!("expected an object, found {}", kind(item)));
            continue;
        };
        let kind = match r.line(c, "kind", &at).as_deref() {
            Some("MonitorConfig") => CapabilityKind::MonitorConfig,
            Some("LogConfig") => CapabilityKind::LogConfig,
            other => {
                r.report(
                    join(&at, "kind"),
                    format!("expected MonitorConfig or LogConfig, found {other:?}; ignored"),
                );
                continue;
            }
        };
        let name = r.line(c, "name", &at);
        let spec = r.object(c, "spec", &at).map(|m| Value::Object(m.clone()));
        if name.is_some() && spec.is_some() {
            r.report(&at, "has both name and spec; name is used");
        }
        out.push(CapabilityRequirement {
            api_version: r
                .line(c, "apiVersion", &at)
                .unwrap_or_else(|| "osc.io/v1".to_owned()),
            kind,
            default_path: r.line(c, "defaultPath", &at),
            spec: if name.is_some() { None } else { spec },
            name,
        });
    }
    out
}

fn read_dependencies(r: &mut Reader, spec: &Map<String, Value>) -> Vec<Dependency> {
    let Some(items) = r.array(spec, "serviceEntityDependencies", "spec") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let at = format!("spec.serviceEntityDependencies[{i}]");
        let Some(d) = item.as_object() else {
            r.report(at, format!("expected an object, found {}", kind(item)));
            continue;
        };
        let Some(service) = r.line(d, "service", &at).filter(|s| is_object_name(s)) else {
            r.report(
                join(&at, "service"),
                "is missing or not a CSD name; ignored",
            );
            continue;
        };
        out.push(Dependency {
            service,
            api_version: r.line(d, "apiVersion", &at),
            kind: r.line(d, "kind", &at),
            default_path: r.line(d, "defaultPath", &at),
        });
    }
    out
}

fn read_provider(r: &mut Reader, spec: &Map<String, Value>) -> Option<Provider> {
    let obj = r.object(spec, "provider", "spec")?;
    let name = r.line(obj, "name", "spec.provider");
    let contact = r.line(obj, "contact", "spec.provider");
    match (name, contact) {
        (Some(name), Some(contact)) => Some(Provider { name, contact }),
        _ => {
            r.report("spec.provider", "needs both name and contact");
            None
        }
    }
}

/// The cross-field rules of docs/csd.md section 11, which the API server
/// enforces today but an object written before the rules existed may break.
fn check_rules(r: &mut Reader, spec: &CsdSpec) {
    match spec.package_type {
        PackageType::Operator => {
            if spec.crd_ref.is_none() {
                r.report("spec.CRDRef", "is required for an Operator package");
            }
            if spec.helm.is_some() {
                r.report("spec.helm", "is only for Helm packages; ignored");
            }
            if let Some(vd) = &spec.version_definition
                && vd.path.is_none()
            {
                r.report(
                    "spec.versionDefinition.path",
                    "is required for an Operator package",
                );
            }
        }
        PackageType::Helm => {
            if spec.helm.is_none() {
                r.report("spec.helm", "is required for a Helm package");
            }
            if spec.role == Role::Operation {
                r.report("spec.role", "an operation must be an Operator package");
            }
        }
    }
    match spec.role {
        Role::Operation => {
            if spec.operation_of.is_none() {
                r.report("spec.operationOf", "is required when role is operation");
            }
            match &spec.target_path {
                None => r.report("spec.targetPath", "is required when role is operation"),
                Some(path) => {
                    if let Err(err) = FieldPath::parse(path) {
                        r.report("spec.targetPath", err.to_string());
                    }
                }
            }
        }
        Role::ServiceEntity => {
            if spec.operation_of.is_some() {
                r.report("spec.operationOf", "is only for role operation; ignored");
            }
            if spec.target_path.is_some() {
                r.report("spec.targetPath", "is only for role operation; ignored");
            }
        }
    }
    if let Some(vd) = &spec.version_definition {
        if vd.tags.is_empty() {
            r.report("spec.versionDefinition.tags", "lists no version");
        }
        if vd.mode == VersionMode::Tag && spec.package_type == PackageType::Operator {
            for tag in vd.tags.iter().filter(|t| !super::version::is_valid_tag(t)) {
                r.report(
                    "spec.versionDefinition.tags",
                    format!("{tag:?} is not an image tag"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yaml_documents;
    use serde_json::json;

    fn example(path: &str) -> Vec<Value> {
        let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(&full).unwrap();
        yaml_documents(&text).unwrap()
    }

    fn csd(path: &str) -> CustomServiceDefinition {
        let docs = example(path);
        assert_eq!(docs.len(), 1);
        CustomServiceDefinition::from_value(&docs[0]).unwrap()
    }

    #[test]
    fn every_example_csd_parses_without_problems() {
        for path in [
            "examples/kafka/csd/kafka.yaml",
            "examples/kafka/csd/kafka-backup.yaml",
            "examples/kafka/csd/kafka-restore.yaml",
            "examples/kafka/csd/zookeeper.yaml",
            "examples/memcached/csd/memcached.yaml",
            "examples/redis/csd/redis.yaml",
        ] {
            let csd = csd(path);
            assert!(csd.problems.is_empty(), "{path}: {:?}", csd.problems);
            assert!(!csd.spec.display_name.is_empty());
        }
    }

    #[test]
    fn kafka_fields() {
        let k = csd("examples/kafka/csd/kafka.yaml");
        assert_eq!(k.name, "kafka");
        assert_eq!(
            k.operator,
            Some(OperatorLocation::Lease {
                namespace: "osc-system".into(),
                name: "kafka-operator".into()
            })
        );
        assert_eq!(
            k.spec.crd_ref.as_ref().map(|c| c.name.as_str()),
            Some("hwfkas.osctest.osctui.dev")
        );
        let vd = k.spec.version_definition.as_ref().unwrap();
        assert_eq!(vd.mode, VersionMode::Tag);
        assert_eq!(vd.path.as_deref(), Some("spec.image"));
        assert_eq!(vd.tags, ["3.5.2", "3.6.1", "3.7.0", "3.7.1", "3.8.0"]);
        assert_eq!(k.spec.descriptors.spec_descriptors.len(), 8);
        assert_eq!(k.spec.descriptors.status_descriptors.len(), 6);
        assert_eq!(k.spec.capability_requirements.len(), 2);
        assert_eq!(
            k.spec.capability_requirements[0].kind,
            CapabilityKind::MonitorConfig
        );
        assert_eq!(
            k.spec.capability_requirements[0].name.as_deref(),
            Some("kafka-monitor")
        );
        assert_eq!(k.spec.service_entity_dependencies[0].service, "zookeeper");
        assert_eq!(
            k.spec.provider.as_ref().map(|p| p.contact.as_str()),
            Some("examples@osctui.dev")
        );
        assert!(k.spec.default_configuration.is_some());
        assert!(k.is_service());
    }

    #[test]
    fn operation_and_helm_examples() {
        let b = csd("examples/kafka/csd/kafka-backup.yaml");
        assert_eq!(b.spec.role, Role::Operation);
        assert_eq!(b.spec.operation_of.as_deref(), Some("kafka"));
        assert!(b.spec.target_path.is_some());
        assert!(!b.is_service());

        let m = csd("examples/memcached/csd/memcached.yaml");
        assert_eq!(m.spec.package_type, PackageType::Helm);
        assert_eq!(
            m.spec.helm.as_ref().map(|h| h.chart.as_str()),
            Some("memcached")
        );
        assert!(m.spec.crd_ref.is_none());
        let log = &m.spec.capability_requirements[0];
        assert_eq!(log.kind, CapabilityKind::LogConfig);
        assert!(log.spec.is_some() && log.name.is_none());

        let redis = csd("examples/redis/csd/redis.yaml");
        assert_eq!(
            redis.operator,
            Some(OperatorLocation::Deployment {
                namespace: "osc-system".into(),
                name: "redis-operator".into()
            })
        );
    }

    #[test]
    fn unusable_csds_are_refused() {
        assert_eq!(
            CustomServiceDefinition::from_value(&json!("x")),
            Err(CsdError::NotAnObject)
        );
        assert_eq!(
            CustomServiceDefinition::from_value(&json!({"spec": {}})),
            Err(CsdError::MissingName)
        );
        assert_eq!(
            CustomServiceDefinition::from_value(
                &json!({"metadata": {"name": "Bad Name"}, "spec": {}})
            ),
            Err(CsdError::MissingName)
        );
        assert_eq!(
            CustomServiceDefinition::from_value(&json!({"metadata": {"name": "a"}, "spec": []})),
            Err(CsdError::MissingSpec("a".into()))
        );
    }

    #[test]
    fn malformed_fields_become_problems() {
        let obj = json!({
            "metadata": {"name": "bad", "annotations": {
                "osc.io/operator-deployment": "no-slash", "other": 5}},
            "spec": {
                "displayName": "x\u{7}y",
                "description": "z".repeat(100_000),
                "role": "boss",
                "packageType": 3,
                "CRDRef": {"name": 7},
                "versionDefinition": {"mode": "zip", "path": "spec..image", "tags": [3.1, "1.0", "1.0", "bad tag"]},
                "descriptors": {"specDescriptors": [
                    "nope",
                    {"displayName": "no path"},
                    {"path": "a[", "x-descriptors": ["urn:x"]},
                    {"path": "ok", "x-descriptors": ["nourn", 5]}
                ], "statusDescriptors": {}},
                "capabilityRequirements": [{"kind": "Other"}, {"kind": "LogConfig", "name": "l", "spec": {}}],
                "serviceEntityDependencies": [{"service": ""}, 3],
                "provider": {"name": "p"},
                "operationOf": "kafka"
            }
        });
        let csd = CustomServiceDefinition::from_value(&obj).unwrap();
        let fields: Vec<&str> = csd.problems.iter().map(|p| p.field.as_str()).collect();
        for expected in [
            "metadata.annotations[other]",
            "metadata.annotations[osc.io/operator-deployment]",
            "spec.displayName",
            "spec.description",
            "spec.role",
            "spec.packageType",
            "spec.CRDRef.name",
            "spec.CRDRef",
            "spec.versionDefinition.mode",
            "spec.versionDefinition.path",
            "spec.versionDefinition.tags[0]",
            "spec.versionDefinition.tags",
            "spec.descriptors.specDescriptors[0]",
            "spec.descriptors.specDescriptors[1].path",
            "spec.descriptors.specDescriptors[2].path",
            "spec.descriptors.specDescriptors[3].x-descriptors[0]",
            "spec.descriptors.specDescriptors[3].x-descriptors[1]",
            "spec.descriptors.statusDescriptors",
            "spec.capabilityRequirements[0].kind",
            "spec.capabilityRequirements[1]",
            "spec.serviceEntityDependencies[0].service",
            "spec.serviceEntityDependencies[1]",
            "spec.provider",
            "spec.operationOf",
        ] {
            assert!(
                fields.contains(&expected),
                "missing problem for {expected}: {fields:?}"
            );
        }
        assert_eq!(csd.spec.display_name, "x\u{FFFD}y");
        assert_eq!(csd.spec.description, None);
        assert_eq!(csd.spec.role, Role::ServiceEntity);
        assert_eq!(csd.operator, None);
        let vd = csd.spec.version_definition.unwrap();
        assert_eq!(vd.tags, ["1.0", "bad tag"]);
        assert_eq!(csd.spec.descriptors.spec_descriptors.len(), 1);
        assert_eq!(csd.spec.capability_requirements.len(), 1);
        assert!(csd.spec.capability_requirements[0].spec.is_none());
        for problem in &csd.problems {
            assert!(!problem.to_string().is_empty());
        }
    }

    #[test]
    fn empty_spec_is_read_with_problems() {
        let csd =
            CustomServiceDefinition::from_value(&json!({"metadata": {"name": "e"}, "spec": {}}))
                .unwrap();
        assert_eq!(csd.spec.role, Role::ServiceEntity);
        assert!(csd.problems.iter().any(|p| p.field == "spec.displayName"));
        assert!(csd.problems.iter().any(|p| p.field == "spec.CRDRef"));
    }

    #[test]
    fn both_operator_annotations_prefer_the_deployment() {
        let csd = CustomServiceDefinition::from_value(&json!({
            "metadata": {"name": "x", "annotations": {
                OPERATOR_DEPLOYMENT_ANNOTATION: "ns/dep", OPERATOR_LEASE_ANNOTATION: "ns/lease"}},
            "spec": {"displayName": "X", "CRDRef": {"name": "xs.example.com"}}
        }))
        .unwrap();
        assert!(matches!(
            csd.operator,
            Some(OperatorLocation::Deployment { .. })
        ));
        assert_eq!(csd.problems.len(), 1);
    }
}
