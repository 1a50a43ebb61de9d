//! A pod as the console reads it from a watch: metadata without
//! managedFields and annotations, the status fields the health rules read,
//! and no spec at all.
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

use crate::domain::health::PodStatusFields;

/// A pod with only what the instance list needs.
#[derive(Debug, Clone, Deserialize)]
pub struct PodLite {
    /// Identity, labels, owners, deletion; nothing else.
    #[serde(deserialize_with = "lean_meta", default)]
    pub metadata: ObjectMeta,
    /// Phase, conditions and container states; nothing else.
    #[serde(default)]
    pub status: Option<PodStatusFields>,
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
            "status": {"phase": "Running", "hostIP": "10.0.0.1", "qosClass": "BestEffort",
                "conditions": [{"type": "Ready", "status": "True",
                    "lastTransitionTime": "2026-11-28T10:00:00Z"}],
                "containerStatuses": [{"name": "kafka", "image": "x", "imageID": "y",
                    "ready": true, "restartCount": 3,
                    "state": {"running": {"startedAt": "2026-11-28T10:00:00Z"}}}]}
        }"#;
        let pod: Result<PodLite, _> = serde_json::from_str(text);
        let pod = pod.unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(pod.metadata.name.as_deref(), Some("orders-0"));
        assert_eq!(pod.metadata.resource_version.as_deref(), Some("42"));
        assert!(pod.metadata.annotations.is_none());
        assert!(pod.metadata.managed_fields.is_none());
        assert_eq!(pod.metadata.owner_references.map(|o| o.len()), Some(1));
        let status = pod.status.unwrap_or_default();
        assert_eq!(status.phase.as_deref(), Some("Running"));
        let containers = status.container_statuses.unwrap_or_default();
        assert_eq!(containers.len(), 1);
        assert_eq!(containers[0].restart_count, Some(3));
    }

    /// The summary of a pod read lean is the summary of the same pod read
    /// whole, for each rule: crash loop, unschedulable, failed, OOM killed,
    /// deleting, ready.
    #[test]
    fn a_lean_pod_sums_up_like_the_whole_pod() {
        use crate::domain::health::PodSummary;
        let pods = [
            r#"{"status": {"phase": "Running", "containerStatuses": [{"restartCount": 7,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off"}}}]}}"#,
            r#"{"status": {"phase": "Pending", "conditions": [{"type": "PodScheduled",
                "status": "False", "reason": "Unschedulable", "message": "0/3 nodes"}]}}"#,
            r#"{"status": {"phase": "Failed", "reason": "Evicted"}}"#,
            r#"{"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "False"}],
                "initContainerStatuses": [{"restartCount": 1, "state": {"terminated": {"reason": "Completed"}}}],
                "containerStatuses": [{"ready": false, "restartCount": 2,
                "lastState": {"terminated": {"reason": "OOMKilled"}}}]}}"#,
            r#"{"metadata": {"deletionTimestamp": "2026-11-28T10:00:00Z", "uid": "u"},
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}"#,
            r#"{"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}"#,
        ];
        for text in pods {
            let whole: serde_json::Value = serde_json::from_str(text).unwrap_or_default();
            let lean: PodLite = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}"));
            let deleting = lean.metadata.deletion_timestamp.is_some();
            let from_lean = PodSummary::from_status(&lean.status.unwrap_or_default(), deleting);
            assert_eq!(from_lean, PodSummary::from_pod(&whole), "{text}");
            assert!(from_lean.reason.is_some() || from_lean.ready, "{text}");
        }
    }
}
