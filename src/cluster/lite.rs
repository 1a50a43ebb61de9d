//! A pod as the console reads it from a watch: metadata without
//! managedFields and annotations, the status as JSON, and no spec at all.
//! Pods are the largest list the console reads (10,000 pods are ~35 MB of
//! JSON); skipping what is never shown makes parsing several times cheaper
//! and keeps nothing of it in memory. `split` cuts a LIST body into items
//! while it arrives, so that the body is never held whole.

pub mod split;

use std::borrow::Cow;
use std::collections::BTreeMap;

use k8s_openapi::NamespaceResourceScope;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference, Time};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A pod with only what the instance list needs.
#[derive(Debug, Clone, Deserialize)]
pub struct PodLite {
    /// Identity, labels, owners, deletion; nothing else.
    #[serde(deserialize_with = "lean_meta", default)]
    pub metadata: ObjectMeta,
    /// The status as sent (phase, conditions, container statuses).
    #[serde(default)]
    pub status: Option<Value>,
}

/// The metadata fields kept; serde skips the others without allocating.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LeanMeta {
    name: Option<String>,
    namespace: Option<String>,
    uid: Option<String>,
    resource_version: Option<String>,
    creation_timestamp: Option<Time>,
    deletion_timestamp: Option<Time>,
    #[serde(default)]
    labels: Option<BTreeMap<String, String>>,
    #[serde(default)]
    owner_references: Option<Vec<OwnerReference>>,
}

fn lean_meta<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ObjectMeta, D::Error> {
    let lean = LeanMeta::deserialize(deserializer)?;
    Ok(ObjectMeta {
        name: lean.name,
        namespace: lean.namespace,
        uid: lean.uid,
        resource_version: lean.resource_version,
        creation_timestamp: lean.creation_timestamp,
        deletion_timestamp: lean.deletion_timestamp,
        labels: lean.labels,
        owner_references: lean.owner_references,
        ..ObjectMeta::default()
    })
}

impl kube::Resource for PodLite {
    type DynamicType = ();
    type Scope = NamespaceResourceScope;

    fn kind(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("Pod")
    }

    fn group(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("")
    }

    fn version(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("v1")
    }

    fn plural(_: &()) -> Cow<'_, str> {
        Cow::Borrowed("pods")
    }

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn meta_mut(&mut self) -> &mut ObjectMeta {
        &mut self.metadata
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_what_is_needed_and_drops_the_rest() {
        let text = r#"{
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "orders-0", "namespace": "team-a", "uid": "u1",
                "resourceVersion": "42",
                "labels": {"app.kubernetes.io/instance": "orders"},
                "annotations": {"big": "xxxxxxxx"},
                "managedFields": [{"manager": "kubelet", "fieldsV1": {"f:status": {}}}],
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet",
                    "name": "orders", "uid": "s1", "controller": true}]},
            "spec": {"containers": [{"name": "kafka", "image": "x"}]},
            "status": {"phase": "Running"}
        }"#;
        let pod: Result<PodLite, _> = serde_json::from_str(text);
        let pod = pod.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pod.metadata.name.as_deref(), Some("orders-0"));
        assert_eq!(pod.metadata.resource_version.as_deref(), Some("42"));
        assert!(pod.metadata.annotations.is_none());
        assert!(pod.metadata.managed_fields.is_none());
        assert_eq!(pod.metadata.owner_references.map(|o| o.len()), Some(1));
        assert_eq!(
            pod.status.map(|s| s["phase"].clone()),
            Some(Value::from("Running"))
        );
    }
}
