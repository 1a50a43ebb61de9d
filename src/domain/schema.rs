//! Drift between a CSD and the CRD in the cluster (OSC FAQ case 3, "CRD not
//! updated after a new package version"): the descriptor paths and
//! `versionDefinition.path` that the CRD's schema does not have.

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps, JSONSchemaPropsOrArray, JSONSchemaPropsOrBool,
};

use super::csd::{CustomServiceDefinition, PackageType, Role};
use super::path::{FieldPath, Segment};

/// Which part of the CSD a finding is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSource {
    /// `spec.descriptors.specDescriptors[index]`.
    SpecDescriptor {
        index: usize,
        display_name: Option<String>,
    },
    /// `spec.descriptors.statusDescriptors[index]`.
    StatusDescriptor {
        index: usize,
        display_name: Option<String>,
    },
    /// `spec.versionDefinition.path`.
    VersionDefinition,
    /// `spec.targetPath` of an operation CSD.
    TargetPath,
}

/// One CSD path that the CRD schema does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftFinding {
    pub source: PathSource,
    /// The path from the CR's root, e.g. `spec.persistence.mode`.
    pub path: String,
}

/// Why drift cannot be checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("the CRD has no version that is both served and the storage version")]
    NoServedStorageVersion,
    #[error("version {0} of the CRD has no openAPIV3Schema")]
    NoSchema(String),
}

/// The CRD version whose schema the console checks against: the served storage version.
pub fn storage_schema(
    crd: &CustomResourceDefinition,
) -> Result<(&str, &JSONSchemaProps), SchemaError> {
    let version = crd
        .spec
        .versions
        .iter()
        .find(|v| v.served && v.storage)
        .ok_or(SchemaError::NoServedStorageVersion)?;
    let schema = version
        .schema
        .as_ref()
        .and_then(|s| s.open_api_v3_schema.as_ref())
        .ok_or_else(|| SchemaError::NoSchema(version.name.clone()))?;
    Ok((&version.name, schema))
}

/// The CSD paths missing from the CRD's served storage version, in CSD order.
/// Helm packages have no CRD, so they never drift.
pub fn detect_drift(
    csd: &CustomServiceDefinition,
    crd: &CustomResourceDefinition,
) -> Result<Vec<DriftFinding>, SchemaError> {
    if csd.spec.package_type == PackageType::Helm {
        return Ok(Vec::new());
    }
    let (_, root) = storage_schema(crd)?;
    let mut checks: Vec<(PathSource, String)> = Vec::new();
    for (index, d) in csd.spec.descriptors.spec_descriptors.iter().enumerate() {
        let source = PathSource::SpecDescriptor {
            index,
            display_name: d.display_name.clone(),
        };
        checks.push((source, format!("spec.{}", d.path)));
    }
    for (index, d) in csd.spec.descriptors.status_descriptors.iter().enumerate() {
        let source = PathSource::StatusDescriptor {
            index,
            display_name: d.display_name.clone(),
        };
        checks.push((source, format!("status.{}", d.path)));
    }
    if let Some(path) = csd
        .spec
        .version_definition
        .as_ref()
        .and_then(|v| v.path.as_ref())
    {
        checks.push((PathSource::VersionDefinition, path.clone()));
    }
    if csd.spec.role == Role::Operation
        && let Some(path) = &csd.spec.target_path
    {
        checks.push((PathSource::TargetPath, path.clone()));
    }
    Ok(checks
        .into_iter()
        .filter(|(_, path)| !schema_has_path(root, path))
        .map(|(source, path)| DriftFinding { source, path })
        .collect())
}

/// Whether `path` (from the CR's root) can exist under `root`. A malformed
/// path cannot. Below a field that keeps unknown fields, or a map
/// (`additionalProperties`), every path can.
pub fn schema_has_path(root: &JSONSchemaProps, path: &str) -> bool {
    let Ok(path) = FieldPath::parse(path) else {
        return false;
    };
    let mut current = vec![root];
    for segment in &path.0 {
        let mut next = Vec::new();
        for schema in current.iter().flat_map(|s| alternatives(s)) {
            if schema.x_kubernetes_preserve_unknown_fields == Some(true) {
                return true;
            }
            match segment {
                Segment::Field(name) => {
                    if let Some(child) = schema.properties.as_ref().and_then(|p| p.get(name)) {
                        next.push(child);
                    } else {
                        match &schema.additional_properties {
                            Some(JSONSchemaPropsOrBool::Schema(child)) => next.push(child),
                            Some(JSONSchemaPropsOrBool::Bool(true)) => return true,
                            _ => {}
                        }
                    }
                }
                Segment::Index(i) => match &schema.items {
                    Some(JSONSchemaPropsOrArray::Schema(child)) => next.push(child),
                    Some(JSONSchemaPropsOrArray::Schemas(list)) => {
                        if let Some(child) = list.get(*i) {
                            next.push(child);
                        }
                    }
                    None => {}
                },
            }
        }
        if next.is_empty() {
            return false;
        }
        current = next;
    }
    true
}

/// A schema and the schemas it combines with `allOf`, `anyOf` and `oneOf`,
/// any of which may declare the field.
fn alternatives(schema: &JSONSchemaProps) -> Vec<&JSONSchemaProps> {
    let mut out = vec![schema];
    for list in [&schema.all_of, &schema.any_of, &schema.one_of]
        .into_iter()
        .flatten()
    {
        out.extend(list.iter());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yaml_documents;

    fn load(path: &str) -> serde_json::Value {
        let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(full).unwrap();
        yaml_documents(&text).unwrap().remove(0)
    }

    fn crd(path: &str) -> CustomResourceDefinition {
        serde_json::from_value(load(path)).unwrap()
    }

    fn csd(path: &str) -> CustomServiceDefinition {
        CustomServiceDefinition::from_value(&load(path)).unwrap()
    }

    fn paths(findings: &[DriftFinding]) -> Vec<&str> {
        findings.iter().map(|f| f.path.as_str()).collect()
    }

    #[test]
    fn redis_csd_v2_against_crd_v1() {
        let findings = detect_drift(
            &csd("examples/redis/csd/redis.yaml"),
            &crd("examples/redis/crds/hwredises.yaml"),
        )
        .unwrap();
        assert_eq!(
            paths(&findings),
            ["spec.persistence.mode", "status.role", "status.masterHost"]
        );
        assert_eq!(
            findings[0].source,
            PathSource::SpecDescriptor {
                index: 2,
                display_name: Some("Persistence".into())
            }
        );
        assert!(matches!(
            findings[1].source,
            PathSource::StatusDescriptor { index: 2, .. }
        ));
    }

    #[test]
    fn kafka_csd_against_old_and_current_crd() {
        let kafka = csd("examples/kafka/csd/kafka.yaml");
        let old = detect_drift(&kafka, &crd("examples/kafka/crds-old/hwfkas.v0.yaml")).unwrap();
        assert_eq!(
            paths(&old),
            [
                "spec.compression",
                "spec.configMapRef",
                "status.upgrade.toVersion",
                "status.upgrade.updatedBrokers"
            ]
        );
        let current = detect_drift(&kafka, &crd("examples/kafka/crds/hwfkas.yaml")).unwrap();
        assert_eq!(current, []);
    }

    #[test]
    fn every_example_csd_matches_its_crd() {
        for (csd_path, crd_path) in [
            (
                "examples/kafka/csd/kafka-backup.yaml",
                "examples/kafka/crds/hwfkabackups.yaml",
            ),
            (
                "examples/kafka/csd/kafka-restore.yaml",
                "examples/kafka/crds/hwfkarestores.yaml",
            ),
            (
                "examples/kafka/csd/zookeeper.yaml",
                "examples/kafka/crds/zookeepers.yaml",
            ),
        ] {
            assert_eq!(
                detect_drift(&csd(csd_path), &crd(crd_path)).unwrap(),
                [],
                "{csd_path}"
            );
        }
    }

    #[test]
    fn version_and_target_paths_are_checked() {
        let mut kafka = csd("examples/kafka/csd/kafka.yaml");
        if let Some(vd) = kafka.spec.version_definition.as_mut() {
            vd.path = Some("spec.kafka.image".into());
        }
        let findings = detect_drift(&kafka, &crd("examples/kafka/crds/hwfkas.yaml")).unwrap();
        assert_eq!(
            findings,
            [DriftFinding {
                source: PathSource::VersionDefinition,
                path: "spec.kafka.image".into()
            }]
        );

        let mut backup = csd("examples/kafka/csd/kafka-backup.yaml");
        backup.spec.target_path = Some("spec.target".into());
        let findings =
            detect_drift(&backup, &crd("examples/kafka/crds/hwfkabackups.yaml")).unwrap();
        assert_eq!(paths(&findings), ["spec.target"]);
        assert_eq!(findings[0].source, PathSource::TargetPath);

        let memcached = csd("examples/memcached/csd/memcached.yaml");
        let any_crd = crd("examples/redis/crds/hwredises.yaml");
        assert_eq!(detect_drift(&memcached, &any_crd), Ok(Vec::new()));
    }

    #[test]
    fn missing_version_and_paths() {
        let mut c = crd("examples/redis/crds/hwredises.yaml");
        let kafka = csd("examples/kafka/csd/kafka.yaml");
        let (_, root) = storage_schema(&c).unwrap();
        assert!(schema_has_path(root, "spec.resources.limits.cpu"));
        assert!(!schema_has_path(root, "spec..x"));
        assert!(!schema_has_path(root, "spec.image[0]"));
        c.spec.versions[0].served = false;
        assert_eq!(
            detect_drift(&kafka, &c),
            Err(SchemaError::NoServedStorageVersion)
        );
        c.spec.versions[0].served = true;
        c.spec.versions[0].schema = None;
        assert!(matches!(
            detect_drift(&kafka, &c),
            Err(SchemaError::NoSchema(_))
        ));
    }
}
