//! Pure conversions from cluster objects to the small records the watch hub
//! keeps. They run in the watcher tasks, off the UI path: each keeps only
//! what a row needs (managedFields, specs and schemas are dropped here).

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Event;
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use kube::api::{ApiResource, DynamicObject};
use serde_json::{Map, Value, json};

use crate::domain::csd::CustomServiceDefinition;
use crate::domain::csd::VersionDefinition;
use crate::domain::health::PodSummary;
use crate::domain::helm::HelmRelease;
use crate::domain::text::clean;
use crate::state::rows::{CrdState, OperatorHealth, OperatorInstall};

/// Label Helm charts (and most operators) put on what belongs to an instance.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";
/// Longest event text kept per event (the list shows one line).
const MAX_EVENT_TEXT: usize = 240;

/// What the hub keeps of one custom resource that is an instance.
#[derive(Debug, Clone, PartialEq)]
pub struct InstanceInfo {
    /// Kubernetes uid.
    pub uid: String,
    /// Object name.
    pub name: String,
    /// Namespace ("" for cluster-scoped CRs).
    pub namespace: String,
    /// CSD name.
    pub service: String,
    /// Creation time, seconds since the Unix epoch.
    pub created: i64,
    /// Version from `versionDefinition`, else `status.currentVersion`.
    pub version: Option<String>,
    /// `spec.replicas`, the desired pod count.
    pub replicas: Option<u32>,
    /// Only what `instance_health` reads: deletionTimestamp, phase/state,
    /// condition types and statuses.
    pub slim: Value,
}

/// Seconds since the Unix epoch of a Kubernetes timestamp.
pub fn epoch(time: &Time) -> i64 {
    time.0.as_second()
}

fn created(meta: &ObjectMeta) -> i64 {
    meta.creation_timestamp.as_ref().map(epoch).unwrap_or(0)
}

/// The uid of the controlling owner (or the first owner).
pub fn controller_uid(meta: &ObjectMeta) -> Option<String> {
    let owners = meta.owner_references.as_ref()?;
    owners
        .iter()
        .find(|o| o.controller == Some(true))
        .or_else(|| owners.first())
        .map(|o| o.uid.clone())
}

/// The `app.kubernetes.io/instance` label.
pub fn instance_label(meta: &ObjectMeta) -> Option<String> {
    meta.labels.as_ref()?.get(INSTANCE_LABEL).cloned()
}

/// Converts a CR of an Operator service to what the hub keeps.
pub fn instance_from_object(
    service: &str,
    version_definition: Option<&VersionDefinition>,
    object: &DynamicObject,
) -> Option<InstanceInfo> {
    let meta = &object.metadata;
    let uid = meta.uid.clone()?;
    let name = meta.name.clone()?;
    let data = &object.data;
    let version = version_definition
        .and_then(|def| crate::domain::version::current_version(def, data).ok())
        .or_else(|| {
            data.pointer("/status/currentVersion")
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .map(|v| clean(&v));
    let replicas = data
        .pointer("/spec/replicas")
        .and_then(Value::as_u64)
        .map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    Some(InstanceInfo {
        uid,
        name: clean(&name),
        namespace: clean(meta.namespace.as_deref().unwrap_or("")),
        service: service.to_owned(),
        created: created(meta),
        version,
        replicas,
        slim: slim_status(meta, data),
    })
}

fn slim_status(meta: &ObjectMeta, data: &Value) -> Value {
    let mut status = Map::new();
    for key in ["phase", "state"] {
        if let Some(text) = data
            .pointer(&format!("/status/{key}"))
            .and_then(Value::as_str)
        {
            status.insert(key.to_owned(), Value::String(text.to_owned()));
        }
    }
    if let Some(conditions) = data.pointer("/status/conditions").and_then(Value::as_array) {
        let slim: Vec<Value> = conditions
            .iter()
            .map(|c| json!({"type": c["type"], "status": c["status"]}))
            .collect();
        status.insert("conditions".to_owned(), Value::Array(slim));
    }
    let deletion = meta
        .deletion_timestamp
        .as_ref()
        .map(|t| Value::from(epoch(t)))
        .unwrap_or(Value::Null);
    json!({"metadata": {"deletionTimestamp": deletion}, "status": Value::Object(status)})
}

/// What the hub keeps of a pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodInfo {
    /// Kubernetes uid.
    pub uid: String,
    /// Namespace.
    pub namespace: String,
    /// Controlling owner's uid.
    pub owner: Option<String>,
    /// `app.kubernetes.io/instance`.
    pub instance_label: Option<String>,
    /// Readiness and trouble.
    pub summary: PodSummary,
}

/// Converts a pod (read as a dynamic object, so that only its status is
/// parsed into JSON values and the spec is dropped right away).
pub fn pod_from_object(pod: super::lite::PodLite) -> Option<PodInfo> {
    let super::lite::PodLite { metadata, status } = pod;
    let uid = metadata.uid.clone()?;
    let deleting = metadata.deletion_timestamp.is_some();
    Some(PodInfo {
        uid,
        namespace: metadata.namespace.clone().unwrap_or_default(),
        owner: controller_uid(&metadata),
        instance_label: instance_label(&metadata),
        summary: PodSummary::from_status(&status.unwrap_or_default(), deleting),
    })
}

/// What the hub keeps of a StatefulSet, Deployment or ReplicaSet: its owner
/// link, for the Pod -> ... -> CR chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkloadInfo {
    /// Kubernetes uid.
    pub uid: String,
    /// Namespace.
    pub namespace: String,
    /// Controlling owner's uid.
    pub owner: Option<String>,
    /// `app.kubernetes.io/instance`.
    pub instance_label: Option<String>,
}

/// Converts workload metadata.
pub fn workload_from_meta(meta: &ObjectMeta) -> Option<WorkloadInfo> {
    Some(WorkloadInfo {
        uid: meta.uid.clone()?,
        namespace: meta.namespace.clone().unwrap_or_default(),
        owner: controller_uid(meta),
        instance_label: instance_label(meta),
    })
}

/// What the hub keeps of an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventInfo {
    /// The event's own uid.
    pub uid: String,
    /// uid of the object it is about.
    pub involved: String,
    /// When it last happened, seconds since the Unix epoch.
    pub time: i64,
    /// "Reason: message", cleaned and shortened.
    pub text: String,
}

/// Converts a core/v1 event.
pub fn event_from(event: &Event) -> Option<EventInfo> {
    let uid = event.metadata.uid.clone()?;
    let involved = event.involved_object.uid.clone()?;
    let time = [
        event.last_timestamp.as_ref().map(epoch),
        event
            .series
            .as_ref()
            .and_then(|s| s.last_observed_time.as_ref())
            .map(|t| t.0.as_second()),
        event.event_time.as_ref().map(|t| t.0.as_second()),
        event.first_timestamp.as_ref().map(epoch),
        event.metadata.creation_timestamp.as_ref().map(epoch),
    ]
    .into_iter()
    .flatten()
    .max()
    .unwrap_or(0);
    let reason = event.reason.as_deref().unwrap_or("").trim();
    let message = event.message.as_deref().unwrap_or("").trim();
    let text = match (reason.is_empty(), message.is_empty()) {
        (false, false) => format!("{reason}: {message}"),
        (false, true) => reason.to_owned(),
        (true, _) => message.to_owned(),
    };
    let mut text = clean(&text);
    if text.chars().count() > MAX_EVENT_TEXT {
        text = text.chars().take(MAX_EVENT_TEXT - 1).collect();
        text.push('…');
    }
    Some(EventInfo {
        uid,
        involved,
        time,
        text,
    })
}

/// What the hub keeps of the latest revision of a Helm release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseInfo {
    /// Namespace.
    pub namespace: String,
    /// Release name.
    pub name: String,
    /// Chart name.
    pub chart: String,
    /// Chart version.
    pub chart_version: String,
    /// Helm's status word (deployed, failed, pending-upgrade, ...).
    pub status: String,
    /// Revision number.
    pub revision: u64,
    /// First deployment time, seconds since the Unix epoch.
    pub created: i64,
    /// Why the release could not be read (its Secret's payload is not a
    /// Helm release): the row says so instead of the release vanishing.
    pub problem: Option<String>,
}

impl ReleaseInfo {
    /// The stable row id: "helm:<namespace>/<release>".
    pub fn key(&self) -> String {
        release_key(&self.namespace, &self.name)
    }
}

/// The stable row id of a release.
pub fn release_key(namespace: &str, name: &str) -> String {
    format!("helm:{namespace}/{name}")
}

/// Reduces a decoded release; `fallback_created` (the Secret's creation
/// time) is used when Helm recorded no first deployment time.
pub fn release_from(release: &HelmRelease, namespace: &str, fallback_created: i64) -> ReleaseInfo {
    let created = release
        .first_deployed
        .as_deref()
        .and_then(|t| t.parse::<k8s_openapi::jiff::Timestamp>().ok())
        .map(|t| t.as_second())
        .unwrap_or(fallback_created);
    let namespace = if release.namespace.is_empty() {
        namespace
    } else {
        &release.namespace
    };
    ReleaseInfo {
        namespace: clean(namespace),
        name: clean(&release.name),
        chart: clean(&release.chart_name),
        chart_version: clean(&release.chart_version),
        status: clean(release.status.as_str()),
        revision: release.revision,
        created,
        problem: None,
    }
}

/// The row of a release whose Secret could not be decoded: what its labels
/// say (Helm writes `name`, `version` and `status` on every release Secret),
/// chart unknown, and the reason.
pub fn unreadable_release(
    meta: &k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta,
    created: i64,
    error: &str,
) -> ReleaseInfo {
    let label = |key: &str| {
        meta.labels
            .as_ref()
            .and_then(|l| l.get(key))
            .map(|v| clean(v))
    };
    let name = label("name")
        .or_else(|| meta.name.as_deref().map(clean))
        .unwrap_or_default();
    ReleaseInfo {
        namespace: clean(meta.namespace.as_deref().unwrap_or("")),
        name,
        chart: "?".to_owned(),
        chart_version: String::new(),
        status: "unreadable".to_owned(),
        revision: label("version").and_then(|v| v.parse().ok()).unwrap_or(0),
        created,
        problem: Some(clean(&format!("Helm release not readable: {error}"))),
    }
}

/// Where an Operator service's CRs are served, from its CRD.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CrdTarget {
    /// The dynamic API resource (group, version, kind, plural).
    pub group: String,
    /// Storage (else first served) version.
    pub version: String,
    /// Kind.
    pub kind: String,
    /// Plural.
    pub plural: String,
    /// Namespaced, or cluster-scoped.
    pub namespaced: bool,
}

impl CrdTarget {
    /// The resource for dynamic `Api`s.
    pub fn api_resource(&self) -> ApiResource {
        let gvk = kube::api::GroupVersionKind::gvk(&self.group, &self.version, &self.kind);
        ApiResource::from_gvk_with_plural(&gvk, &self.plural)
    }
}

/// Reads where a CRD's objects are served.
pub fn crd_target(crd: &CustomResourceDefinition) -> Option<CrdTarget> {
    let spec = &crd.spec;
    let version = spec
        .versions
        .iter()
        .find(|v| v.storage && v.served)
        .or_else(|| spec.versions.iter().find(|v| v.served))?;
    Some(CrdTarget {
        group: spec.group.clone(),
        version: version.name.clone(),
        kind: spec.names.kind.clone(),
        plural: spec.names.plural.clone(),
        namespaced: spec.scope != "Cluster",
    })
}

/// What the operator-health task keeps of the operator's Deployment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorDeployment {
    /// The Available condition is True.
    pub available: bool,
    /// The Available condition's message (or reason), when not available.
    pub message: Option<String>,
    /// `spec.selector.matchLabels` as a label selector string.
    pub selector: Option<String>,
    /// `Progressing` is False with `ProgressDeadlineExceeded`: the rollout
    /// gave up waiting (the deployment controller's own verdict).
    pub deadline_exceeded: bool,
    /// `Progressing` says the current ReplicaSet became available once
    /// (`NewReplicaSetAvailable`): the operator was installed, then went down.
    pub rolled_out: bool,
}

/// Reduces the operator's Deployment.
pub fn operator_deployment(deployment: &Deployment) -> OperatorDeployment {
    let condition = deployment
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Available"));
    let available = condition.is_some_and(|c| c.status == "True");
    let message = condition
        .filter(|_| !available)
        .and_then(|c| c.message.clone().or_else(|| c.reason.clone()))
        .map(|m| clean(&m));
    let selector = deployment
        .spec
        .as_ref()
        .and_then(|s| s.selector.match_labels.as_ref())
        .filter(|labels| !labels.is_empty())
        .map(selector_string);
    let progressing = deployment
        .status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .and_then(|cs| cs.iter().find(|c| c.type_ == "Progressing"));
    let progress_reason = progressing.and_then(|c| c.reason.as_deref());
    OperatorDeployment {
        available,
        message,
        selector,
        deadline_exceeded: progressing.is_some_and(|c| c.status == "False")
            && progress_reason == Some("ProgressDeadlineExceeded"),
        rolled_out: progress_reason == Some("NewReplicaSetAvailable"),
    }
}

fn selector_string(labels: &BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// Health of an operator run by a Deployment, given the trouble of its pods.
pub fn deployment_health(
    location: &str,
    deployment: Option<&OperatorDeployment>,
    pod_reasons: &[String],
) -> OperatorHealth {
    let Some(deployment) = deployment else {
        return OperatorHealth::NotAvailable {
            reason: format!("deployment {location} not found"),
        };
    };
    if deployment.available {
        return OperatorHealth::Available;
    }
    let mut reason = match &deployment.message {
        Some(message) => format!("deployment {location} not available: {message}"),
        None => format!("deployment {location} not available"),
    };
    // The pod's reason (ImagePullBackOff, CrashLoopBackOff...) says why;
    // it goes first so a narrow column still shows it.
    if let Some(pod) = pod_reasons.first() {
        reason = format!("{pod} ({reason})");
    }
    OperatorHealth::NotAvailable { reason }
}

/// Where the rollout of an operator's Deployment stands (OSC FAQ 2): an
/// operator that has not become Available since it was installed (or last
/// changed) is "installing"; past its progress deadline it is stuck.
pub fn deployment_install(
    deployment: Option<&OperatorDeployment>,
    pod_reasons: &[String],
) -> OperatorInstall {
    let Some(deployment) = deployment else {
        return OperatorInstall::Unknown;
    };
    if deployment.available {
        return OperatorInstall::Installed;
    }
    // Available before and down now is an outage, not an install.
    if deployment.rolled_out {
        return OperatorInstall::Installed;
    }
    let mut parts: Vec<&str> = pod_reasons.iter().take(1).map(String::as_str).collect();
    if let Some(message) = &deployment.message {
        parts.push(message);
    }
    let reason = if parts.is_empty() {
        "no pod has become ready".to_owned()
    } else {
        parts.join("; ")
    };
    if deployment.deadline_exceeded {
        OperatorInstall::Stuck { reason }
    } else {
        OperatorInstall::Installing { reason }
    }
}

/// How the CRD a CSD names compares with what the CSD uses (OSC FAQ 3):
/// the version its `defaultConfiguration` is written in must be served, and
/// the descriptor and version paths must exist in the storage schema.
/// `crd` is None when the CRD is not in the cluster.
pub fn crd_state(
    csd: &CustomServiceDefinition,
    crd: Option<&CustomResourceDefinition>,
) -> CrdState {
    let name = csd
        .spec
        .crd_ref
        .as_ref()
        .map(|r| clean(&r.name))
        .unwrap_or_default();
    let Some(crd) = crd else {
        return CrdState::Missing { crd: name };
    };
    let mut missing = Vec::new();
    // The example CR is written for the package's version of the CRD.
    if let Some(version) = csd
        .spec
        .default_configuration
        .as_ref()
        .and_then(|c| c.get("apiVersion"))
        .and_then(Value::as_str)
        .and_then(|v| v.rsplit_once('/'))
        .map(|(_, v)| v)
        && !crd
            .spec
            .versions
            .iter()
            .any(|v| v.served && v.name == version)
    {
        missing.push(format!("version {} not served", clean(version)));
    }
    match crate::domain::schema::detect_drift(csd, crd) {
        Ok(found) => {
            missing.extend(found.into_iter().map(|f| clean(&f.path)));
            if missing.is_empty() {
                return CrdState::Current;
            }
            let version = crate::domain::schema::storage_schema(crd)
                .map(|(v, _)| clean(v))
                .unwrap_or_default();
            CrdState::Drift {
                crd: name,
                version,
                missing,
            }
        }
        Err(err) => CrdState::Unreadable {
            crd: name,
            reason: err.to_string(),
        },
    }
}

/// What the operator-health task keeps of a heartbeat Lease.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeaseInfo {
    /// Last renewal (or acquisition), seconds since the Unix epoch.
    pub renewed: Option<i64>,
    /// `leaseDurationSeconds`.
    pub duration: i64,
}

/// Reduces a Lease.
pub fn lease_info(lease: &Lease) -> LeaseInfo {
    let spec = lease.spec.as_ref();
    let renewed = spec
        .and_then(|s| s.renew_time.as_ref().or(s.acquire_time.as_ref()))
        .map(|t| t.0.as_second());
    let duration = spec
        .and_then(|s| s.lease_duration_seconds)
        .map(i64::from)
        .unwrap_or(15);
    LeaseInfo { renewed, duration }
}

/// Health of an operator that renews a Lease, at `now`.
pub fn lease_health(location: &str, lease: Option<&LeaseInfo>, now: i64) -> OperatorHealth {
    let Some(lease) = lease else {
        return OperatorHealth::NotAvailable {
            reason: format!("heartbeat lease {location} not found"),
        };
    };
    let Some(renewed) = lease.renewed else {
        return OperatorHealth::NotAvailable {
            reason: format!("heartbeat lease {location} never renewed"),
        };
    };
    if renewed.saturating_add(lease.duration) >= now {
        OperatorHealth::Available
    } else {
        OperatorHealth::NotAvailable {
            reason: format!(
                "heartbeat lease not renewed for {}",
                human_duration(now - renewed)
            ),
        }
    }
}

/// "45s", "5m", "3h", "2d".
pub fn human_duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::health::Health;

    #[test]
    fn an_unreadable_release_keeps_its_labels_and_says_why() {
        let meta: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta =
            serde_json::from_value(serde_json::json!({
                "name": "sh.helm.release.v1.web.v7",
                "namespace": "cache",
                "labels": {"owner": "helm", "name": "web\u{1b}[2J", "version": "7"}
            }))
            .unwrap();
        let row = unreadable_release(&meta, 42, "invalid base64 at \u{1b}]52;c;x");
        assert_eq!(row.key(), "helm:cache/web^[[2J");
        assert_eq!(row.revision, 7);
        assert_eq!(row.created, 42);
        assert_eq!(row.status, "unreadable");
        let problem = row.problem.unwrap_or_default();
        assert!(problem.starts_with("Helm release not readable: invalid base64"));
        assert!(!problem.contains('\u{1b}'), "{problem}");
        // Without labels: the Secret's own name.
        let bare: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta =
            serde_json::from_value(serde_json::json!({"name": "odd", "namespace": "x"})).unwrap();
        assert_eq!(unreadable_release(&bare, 0, "e").name, "odd");
    }

    fn dynamic(value: Value) -> DynamicObject {
        serde_json::from_value(value).unwrap_or_else(|e| panic!("test object: {e}"))
    }

    fn kafka_def() -> VersionDefinition {
        VersionDefinition {
            path: Some("spec.image".into()),
            tags: vec!["3.5.2".into(), "3.6.1".into()],
            ..VersionDefinition::default()
        }
    }

    #[test]
    fn instance_keeps_only_what_the_row_needs() {
        let object = dynamic(json!({
            "apiVersion": "osctest.osctui.dev/v1", "kind": "Hwfka",
            "metadata": {"name": "clickstream", "namespace": "team-b", "uid": "u1",
                "creationTimestamp": "2026-11-27T23:45:03Z",
                "managedFields": [{"manager": "x"}]},
            "spec": {"image": "registry.invalid/osctest/kafka:3.6.1", "replicas": 5,
                "config": {"big": "x"}},
            "status": {"phase": "Upgrading", "currentVersion": "3.5.2",
                "conditions": [{"type": "Ready", "status": "False", "message": "long"}]}
        }));
        let info = instance_from_object("kafka", Some(&kafka_def()), &object);
        let info = info.unwrap_or_else(|| panic!("converted"));
        assert_eq!(info.uid, "u1");
        assert_eq!(info.version.as_deref(), Some("3.6.1"));
        assert_eq!(info.replicas, Some(5));
        assert_eq!(info.created, 1_795_823_103);
        assert_eq!(
            info.slim,
            json!({"metadata": {"deletionTimestamp": null},
                   "status": {"phase": "Upgrading",
                              "conditions": [{"type": "Ready", "status": "False"}]}})
        );
        assert_eq!(
            crate::domain::health::instance_health(&info.slim, (4, 5)),
            Health::Progressing
        );
        // Without a version definition the status version is used.
        let info = instance_from_object("kafka", None, &object);
        assert_eq!(info.and_then(|i| i.version).as_deref(), Some("3.5.2"));
    }

    #[test]
    fn deleting_instance_and_missing_uid() {
        let object = dynamic(json!({
            "apiVersion": "v1", "kind": "X",
            "metadata": {"name": "s", "namespace": "a", "uid": "u",
                "deletionTimestamp": "2026-11-27T23:45:05Z"},
            "spec": {"image": "redis:7.2.5"}
        }));
        let info = instance_from_object("redis", Some(&kafka_def()), &object);
        let slim = info.map(|i| i.slim).unwrap_or(Value::Null);
        assert_eq!(
            crate::domain::health::instance_health(&slim, (0, 0)),
            Health::Deleting
        );
        let no_uid = dynamic(json!({"apiVersion": "v1", "kind": "X", "metadata": {"name": "s"}}));
        assert!(instance_from_object("redis", None, &no_uid).is_none());
    }

    #[test]
    fn pod_summary_and_links() {
        let pod: super::super::lite::PodLite = serde_json::from_value(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "p", "namespace": "osc-system", "uid": "p1",
                "labels": {"app.kubernetes.io/instance": "web"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet",
                    "name": "rs", "uid": "rs1", "controller": true}]},
            "spec": {"containers": [{"name": "c", "image": "x"}]},
            "status": {"phase": "Pending", "containerStatuses": [{"restartCount": 0,
                "state": {"waiting": {"reason": "ImagePullBackOff",
                    "message": "Back-off pulling image \u{1b}[31m"}}}]}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let info = pod_from_object(pod).unwrap_or_else(|| panic!("converted"));
        assert_eq!(info.owner.as_deref(), Some("rs1"));
        assert_eq!(info.instance_label.as_deref(), Some("web"));
        assert_eq!(
            info.summary.reason.as_deref(),
            Some("ImagePullBackOff: Back-off pulling image ^[[31m")
        );
        assert!(!info.summary.ready);
    }

    #[test]
    fn event_text_is_reason_and_message() {
        let event: Event = serde_json::from_value(json!({
            "metadata": {"name": "e", "namespace": "a", "uid": "e1",
                "creationTimestamp": "2026-11-27T23:45:03Z"},
            "involvedObject": {"uid": "u1", "kind": "Hwfka", "name": "x"},
            "reason": "UpgradeFailed", "message": "brokers\ncrash",
            "lastTimestamp": "2026-11-27T23:50:00Z"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let info = event_from(&event).unwrap_or_else(|| panic!("converted"));
        assert_eq!(info.text, "UpgradeFailed: brokers crash");
        assert_eq!(info.involved, "u1");
        assert_eq!(info.time, 1_795_823_400);
    }

    #[test]
    fn release_from_the_sandbox_fixture() {
        let secret: Value = serde_json::from_str(include_str!(
            "../domain/testdata/helm-release-web-cache.v3.json"
        ))
        .unwrap_or_else(|e| panic!("{e}"));
        let release =
            crate::domain::helm::decode_release_secret(&secret).unwrap_or_else(|e| panic!("{e}"));
        let info = release_from(&release, "cache", 7);
        assert_eq!(info.name, "web-cache");
        assert_eq!(info.chart, "memcached");
        assert_eq!(info.key(), "helm:cache/web-cache");
        assert!(info.created > 7);
        assert_eq!(
            crate::domain::health::release_health(&info.status, (2, 2)),
            Health::Healthy
        );
    }

    #[test]
    fn operator_health_from_deployment_and_lease() {
        let deployment: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "redis-operator", "namespace": "osc-system"},
            "spec": {"selector": {"matchLabels": {"app": "redis-operator"}},
                "template": {}},
            "status": {"conditions": [{"type": "Available", "status": "False",
                "reason": "MinimumReplicasUnavailable",
                "message": "Deployment does not have minimum availability."}]}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let reduced = operator_deployment(&deployment);
        assert_eq!(reduced.selector.as_deref(), Some("app=redis-operator"));
        let health = deployment_health(
            "osc-system/redis-operator",
            Some(&reduced),
            &["ImagePullBackOff: Back-off".to_owned()],
        );
        assert_eq!(
            health,
            OperatorHealth::NotAvailable {
                reason: "ImagePullBackOff: Back-off (deployment osc-system/redis-operator not \
                         available: Deployment does not have minimum availability.)"
                    .into()
            }
        );
        let lease = LeaseInfo {
            renewed: Some(1000),
            duration: 30,
        };
        assert_eq!(
            lease_health("x/y", Some(&lease), 1020),
            OperatorHealth::Available
        );
        assert_eq!(
            lease_health("x/y", Some(&lease), 1300),
            OperatorHealth::NotAvailable {
                reason: "heartbeat lease not renewed for 5m".into()
            }
        );
    }

    #[test]
    fn crd_target_prefers_storage_version() {
        let crd: CustomResourceDefinition = serde_json::from_value(json!({
            "metadata": {"name": "hwfkas.osctest.osctui.dev"},
            "spec": {"group": "osctest.osctui.dev", "scope": "Namespaced",
                "names": {"kind": "Hwfka", "plural": "hwfkas"},
                "versions": [
                    {"name": "v1alpha1", "served": true, "storage": false},
                    {"name": "v1", "served": true, "storage": true}]}
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let target = crd_target(&crd).unwrap_or_else(|| panic!("target"));
        assert_eq!(target.version, "v1");
        assert!(target.namespaced);
        assert_eq!(target.api_resource().plural, "hwfkas");
    }

    fn example(path: &str) -> serde_json::Value {
        let full = format!("{}/{path}", env!("CARGO_MANIFEST_DIR"));
        let text = std::fs::read_to_string(full).unwrap_or_else(|e| panic!("{e}"));
        crate::domain::yaml_documents(&text)
            .unwrap_or_else(|e| panic!("{e}"))
            .remove(0)
    }

    #[test]
    fn crd_state_finds_the_redis_drift_and_a_missing_version() {
        let redis = CustomServiceDefinition::from_value(&example("examples/redis/csd/redis.yaml"))
            .unwrap_or_else(|e| panic!("{e:?}"));
        let crd: CustomResourceDefinition =
            serde_json::from_value(example("examples/redis/crds/hwredises.yaml"))
                .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            crd_state(&redis, Some(&crd)),
            CrdState::Drift {
                crd: "hwredises.osctest.osctui.dev".into(),
                version: "v1".into(),
                missing: vec![
                    "spec.persistence.mode".into(),
                    "status.role".into(),
                    "status.masterHost".into()
                ],
            }
        );
        assert_eq!(
            crd_state(&redis, None),
            CrdState::Missing {
                crd: "hwredises.osctest.osctui.dev".into()
            }
        );
        // A package written for v2 of the CRD: the cluster's serves only v1.
        let mut value = example("examples/kafka/csd/kafka.yaml");
        value["spec"]["defaultConfiguration"]["apiVersion"] = json!("osctest.osctui.dev/v2");
        let kafka = CustomServiceDefinition::from_value(&value).unwrap_or_else(|e| panic!("{e:?}"));
        let current: CustomResourceDefinition =
            serde_json::from_value(example("examples/kafka/crds/hwfkas.yaml"))
                .unwrap_or_else(|e| panic!("{e}"));
        match crd_state(&kafka, Some(&current)) {
            CrdState::Drift { missing, .. } => assert_eq!(missing, ["version v2 not served"]),
            other => panic!("{other:?}"),
        }
        let kafka = CustomServiceDefinition::from_value(&example("examples/kafka/csd/kafka.yaml"))
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(crd_state(&kafka, Some(&current)), CrdState::Current);
    }

    #[test]
    fn deployment_install_tells_installing_stuck_and_down_apart() {
        let deployment = |conditions: serde_json::Value| -> OperatorDeployment {
            let d: Deployment = serde_json::from_value(json!({
                "metadata": {"name": "op", "namespace": "ns"},
                "spec": {"selector": {}, "template": {}},
                "status": {"conditions": conditions}
            }))
            .unwrap_or_else(|e| panic!("{e}"));
            operator_deployment(&d)
        };
        let unavailable = json!({"type": "Available", "status": "False",
            "reason": "MinimumReplicasUnavailable",
            "message": "Deployment does not have minimum availability."});
        let pulling = ["ImagePullBackOff: Back-off pulling image".to_owned()];
        let stuck = deployment(
            json!([unavailable, {"type": "Progressing", "status": "False",
            "reason": "ProgressDeadlineExceeded",
            "message": "ReplicaSet \"op-1\" has timed out progressing."}]),
        );
        assert!(stuck.deadline_exceeded);
        assert_eq!(
            deployment_install(Some(&stuck), &pulling),
            OperatorInstall::Stuck {
                reason: "ImagePullBackOff: Back-off pulling image; Deployment does not have \
                         minimum availability."
                    .into()
            }
        );
        let installing = deployment(json!([unavailable, {"type": "Progressing",
            "status": "True", "reason": "ReplicaSetUpdated"}]));
        assert_eq!(
            deployment_install(Some(&installing), &[]),
            OperatorInstall::Installing {
                reason: "Deployment does not have minimum availability.".into()
            }
        );
        // Rolled out once, down now: an outage, not an install.
        let down = deployment(json!([unavailable, {"type": "Progressing",
            "status": "True", "reason": "NewReplicaSetAvailable"}]));
        assert_eq!(
            deployment_install(Some(&down), &pulling),
            OperatorInstall::Installed
        );
        let up = deployment(json!([{"type": "Available", "status": "True"}]));
        assert_eq!(
            deployment_install(Some(&up), &[]),
            OperatorInstall::Installed
        );
        assert_eq!(deployment_install(None, &[]), OperatorInstall::Unknown);
    }
}
