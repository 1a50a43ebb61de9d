//! The custom resources of the example: `Hwfka`, `Zookeeper`, `HwfkaBackup`
//! and `HwfkaRestore` (group `osctest.osctui.dev`, version `v1`).
//!
//! The CRD manifests in `examples/kafka/crds/` are the source of truth; these
//! types mirror them by hand (no schema generation) and are lenient when
//! reading: every field has a default, so an object the API server accepted
//! always deserializes.

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, ObjectMeta, Time};
use kube::Resource;
use kube::core::NamespaceResourceScope;
use serde::{Deserialize, Serialize};

/// API group of the example's resources.
pub const GROUP: &str = "osctest.osctui.dev";
/// API version of the example's resources.
pub const VERSION: &str = "v1";
/// `apiVersion` of the example's resources.
pub const API_VERSION: &str = "osctest.osctui.dev/v1";

macro_rules! namespaced_resource {
    ($ty:ident, $kind:literal, $plural:literal) => {
        impl Resource for $ty {
            type DynamicType = ();
            type Scope = NamespaceResourceScope;

            fn kind(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($kind)
            }
            fn group(_: &()) -> Cow<'_, str> {
                Cow::Borrowed(GROUP)
            }
            fn version(_: &()) -> Cow<'_, str> {
                Cow::Borrowed(VERSION)
            }
            fn api_version(_: &()) -> Cow<'_, str> {
                Cow::Borrowed(API_VERSION)
            }
            fn plural(_: &()) -> Cow<'_, str> {
                Cow::Borrowed($plural)
            }
            fn meta(&self) -> &ObjectMeta {
                &self.metadata
            }
            fn meta_mut(&mut self) -> &mut ObjectMeta {
                &mut self.metadata
            }
        }

        impl $ty {
            /// The `kind` of this resource.
            pub const KIND: &'static str = $kind;
        }
    };
}

/// A value of a resource map (`requests`, `limits`): the CRD allows an
/// integer or a string (a Kubernetes quantity).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum QuantityValue {
    /// A whole number, e.g. `2` (CPUs).
    Int(i64),
    /// Any other number (not allowed by the schema, accepted when reading).
    Float(f64),
    /// A quantity such as `500m` or `2Gi`.
    String(String),
}

impl QuantityValue {
    /// The value as a quantity string.
    pub fn as_quantity(&self) -> String {
        match self {
            Self::Int(n) => n.to_string(),
            Self::Float(f) => f.to_string(),
            Self::String(s) => s.clone(),
        }
    }
}

// ---------------------------------------------------------------------------
// Hwfka
// ---------------------------------------------------------------------------

/// One Kafka cluster.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Hwfka {
    #[serde(rename = "apiVersion", default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: HwfkaSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<HwfkaStatus>,
}
namespaced_resource!(Hwfka, "Hwfka", "hwfkas");

impl Hwfka {
    /// A new Hwfka with `apiVersion` and `kind` set, ready to be created.
    pub fn new(name: &str, spec: HwfkaSpec) -> Self {
        Self {
            api_version: API_VERSION.to_owned(),
            kind: Self::KIND.to_owned(),
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            spec,
            status: None,
        }
    }
}

/// `Hwfka.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HwfkaSpec {
    /// Kafka version; the tag of `image` wins when `image` is set.
    #[serde(default)]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Option<ResourceSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage: Option<StorageSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub zookeeper_ref: ZookeeperRef,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map_ref: Option<String>,
}

/// `Hwfka.spec.resources`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ResourceSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requests: Option<BTreeMap<String, QuantityValue>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<BTreeMap<String, QuantityValue>>,
}

/// `Hwfka.spec.storage`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StorageSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
}

/// `Hwfka.spec.zookeeperRef`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ZookeeperRef {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
}

/// `Hwfka.status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HwfkaStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<UpgradeStatus>,
}

/// `Hwfka.status.upgrade`: the running or last upgrade.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_brokers: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
}

// ---------------------------------------------------------------------------
// Zookeeper
// ---------------------------------------------------------------------------

/// One ZooKeeper ensemble.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Zookeeper {
    #[serde(rename = "apiVersion", default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ZookeeperSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ZookeeperStatus>,
}
namespaced_resource!(Zookeeper, "Zookeeper", "zookeepers");

impl Zookeeper {
    /// A new Zookeeper with `apiVersion` and `kind` set, ready to be created.
    pub fn new(name: &str, spec: ZookeeperSpec) -> Self {
        Self {
            api_version: API_VERSION.to_owned(),
            kind: Self::KIND.to_owned(),
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            spec,
            status: None,
        }
    }
}

/// `Zookeeper.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ZookeeperSpec {
    #[serde(default)]
    pub version: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
}

/// `Zookeeper.status`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ZookeeperStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

// ---------------------------------------------------------------------------
// HwfkaBackup and HwfkaRestore
// ---------------------------------------------------------------------------

/// One backup of a Hwfka instance.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HwfkaBackup {
    #[serde(rename = "apiVersion", default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: HwfkaBackupSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OperationStatus>,
}
namespaced_resource!(HwfkaBackup, "HwfkaBackup", "hwfkabackups");

impl HwfkaBackup {
    /// A new HwfkaBackup with `apiVersion` and `kind` set, ready to be created.
    pub fn new(name: &str, spec: HwfkaBackupSpec) -> Self {
        Self {
            api_version: API_VERSION.to_owned(),
            kind: Self::KIND.to_owned(),
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            spec,
            status: None,
        }
    }
}

/// `HwfkaBackup.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HwfkaBackupSpec {
    #[serde(default)]
    pub instance_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub destination: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compress: Option<bool>,
}

/// One restore of a Hwfka instance from a HwfkaBackup.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HwfkaRestore {
    #[serde(rename = "apiVersion", default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: HwfkaRestoreSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<OperationStatus>,
}
namespaced_resource!(HwfkaRestore, "HwfkaRestore", "hwfkarestores");

impl HwfkaRestore {
    /// A new HwfkaRestore with `apiVersion` and `kind` set, ready to be created.
    pub fn new(name: &str, spec: HwfkaRestoreSpec) -> Self {
        Self {
            api_version: API_VERSION.to_owned(),
            kind: Self::KIND.to_owned(),
            metadata: ObjectMeta {
                name: Some(name.to_owned()),
                ..ObjectMeta::default()
            },
            spec,
            status: None,
        }
    }
}

/// `HwfkaRestore.spec`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HwfkaRestoreSpec {
    #[serde(default)]
    pub instance_name: String,
    #[serde(default)]
    pub backup_name: String,
}

/// The status of an operations action (`HwfkaBackup`, `HwfkaRestore`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationStatus {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hwfka_reads_the_example_shape_and_tolerates_missing_fields() {
        let h: Hwfka = serde_json::from_value(json!({
            "apiVersion": "osctest.osctui.dev/v1",
            "kind": "Hwfka",
            "metadata": {"name": "orders", "namespace": "team-a"},
            "spec": {
                "version": "3.7.1",
                "image": "registry.invalid/osctest/kafka:3.7.1",
                "replicas": 3,
                "resources": {"requests": {"cpu": "500m", "memory": "2Gi"}, "limits": {"cpu": 2}},
                "storage": {"size": "20Gi"},
                "config": {"num.partitions": "6"},
                "zookeeperRef": {"name": "zookeeper"},
                "compression": "lz4",
                "someFutureField": true
            },
            "status": {"phase": "Running", "upgrade": {"fromVersion": "3.6.1", "updatedBrokers": 2}}
        }))
        .expect("the example Hwfka deserializes");
        assert_eq!(h.spec.zookeeper_ref.name, "zookeeper");
        let limits = h.spec.resources.and_then(|r| r.limits).unwrap_or_default();
        assert_eq!(
            limits.get("cpu").map(QuantityValue::as_quantity).as_deref(),
            Some("2")
        );
        let status = h.status.unwrap_or_default();
        assert_eq!(status.upgrade.and_then(|u| u.updated_brokers), Some(2));

        let bare: Hwfka = serde_json::from_value(json!({"metadata": {"name": "x"}}))
            .expect("a Hwfka without spec still deserializes");
        assert_eq!(bare.spec, HwfkaSpec::default());
    }

    #[test]
    fn new_objects_carry_api_version_and_kind() {
        let value = serde_json::to_value(HwfkaBackup::new("b", HwfkaBackupSpec::default()))
            .expect("serializes");
        assert_eq!(value["apiVersion"], API_VERSION);
        assert_eq!(value["kind"], "HwfkaBackup");
        assert_eq!(value["metadata"]["name"], "b");
        assert!(value.get("status").is_none(), "no status key: {value}");
    }
}
