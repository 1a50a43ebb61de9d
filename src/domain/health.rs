//! How healthy a pod, a workload or an instance is: one set of rules shared
//! by the instance list, the detail view and (later) diagnosis.

use serde::Deserialize;
use serde_json::Value;

/// Health of an instance. Ordered from best to worst-ish so that sorting by
/// health groups problems together.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Health {
    /// Everything ready.
    Healthy,
    /// Rolling out or scaling.
    Progressing,
    /// Running but not fully ready.
    Degraded,
    /// Not working.
    Failed,
    /// Being deleted.
    Deleting,
    /// Not known (yet).
    Unknown,
}

impl Health {
    /// All values, in display order.
    pub const ALL: [Health; 6] = [
        Health::Healthy,
        Health::Progressing,
        Health::Degraded,
        Health::Failed,
        Health::Deleting,
        Health::Unknown,
    ];

    /// A symbol so health reads without colour.
    pub fn symbol(self) -> char {
        match self {
            Health::Healthy => '✓',
            Health::Progressing => '↻',
            Health::Degraded => '!',
            Health::Failed => '✗',
            Health::Deleting => '⌫',
            Health::Unknown => '?',
        }
    }

    /// A word so health reads without colour; also what the filter matches.
    pub fn label(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Progressing => "progressing",
            Health::Degraded => "degraded",
            Health::Failed => "failed",
            Health::Deleting => "deleting",
            Health::Unknown => "unknown",
        }
    }

    pub(crate) fn index(self) -> usize {
        match self {
            Health::Healthy => 0,
            Health::Progressing => 1,
            Health::Degraded => 2,
            Health::Failed => 3,
            Health::Deleting => 4,
            Health::Unknown => 5,
        }
    }
}

/// What the console keeps of a pod: enough for readiness, restarts and why
/// it is not ready.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodSummary {
    /// Pod phase (Pending, Running, Succeeded, Failed, Unknown).
    pub phase: String,
    /// The Ready condition is True.
    pub ready: bool,
    /// Sum of container restarts.
    pub restarts: u32,
    /// Why it is not ready: a waiting/terminated reason such as
    /// CrashLoopBackOff, ImagePullBackOff, OOMKilled, or the scheduler's
    /// Unschedulable message.
    pub reason: Option<String>,
    /// Being deleted.
    pub deleting: bool,
}

/// The fields of a pod's status that [`PodSummary`] reads. A pod read from
/// a list goes straight into this: serde skips the rest (images, IPs,
/// timestamps) without building or allocating anything for it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PodStatusFields {
    /// Pending, Running, Succeeded, Failed, Unknown.
    pub phase: Option<String>,
    /// Why a failed pod failed (e.g. Evicted).
    pub reason: Option<String>,
    pub conditions: Option<Vec<ConditionFields>>,
    pub init_container_statuses: Option<Vec<ContainerFields>>,
    pub container_statuses: Option<Vec<ContainerFields>>,
}

/// A pod condition: type, status and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ConditionFields {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub status: Option<String>,
    pub reason: Option<String>,
    pub message: Option<String>,
}

/// A container's status: restarts, readiness and its states.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContainerFields {
    /// An int32 in the API; read wide so that nothing valid is refused.
    pub restart_count: Option<i64>,
    pub ready: Option<bool>,
    pub state: Option<ContainerStateFields>,
    pub last_state: Option<ContainerStateFields>,
}

/// A container state's waiting or terminated reason and message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct ContainerStateFields {
    pub waiting: Option<StateReason>,
    pub terminated: Option<StateReason>,
}

/// Why a container waits or ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct StateReason {
    pub reason: Option<String>,
    pub message: Option<String>,
}

impl PodSummary {
    /// Reads a pod object (JSON as the API server returns it). Missing
    /// fields read as not ready; nothing here can fail: a status that is
    /// not an object of the expected shape reads as empty.
    pub fn from_pod(pod: &Value) -> Self {
        let status = PodStatusFields::deserialize(&pod["status"]).unwrap_or_default();
        Self::from_status(&status, !pod["metadata"]["deletionTimestamp"].is_null())
    }

    /// Reads a pod's status fields; `deleting`: it has a deletion timestamp.
    pub fn from_status(status: &PodStatusFields, deleting: bool) -> Self {
        let phase = status.phase.as_deref().unwrap_or("Unknown").to_owned();
        let conditions = || status.conditions.iter().flatten();
        let is = |c: &ConditionFields, kind: &str, value: &str| {
            c.kind.as_deref() == Some(kind) && c.status.as_deref() == Some(value)
        };
        let ready = conditions().any(|c| is(c, "Ready", "True"));
        let mut restarts = 0u32;
        let mut reason = None;
        let statuses = [&status.init_container_statuses, &status.container_statuses]
            .into_iter()
            .flatten()
            .flatten();
        for container in statuses {
            let count = container.restart_count.unwrap_or(0).max(0);
            restarts = restarts.saturating_add(u32::try_from(count).unwrap_or(u32::MAX));
            if reason.is_none() {
                reason = container_reason(container);
            }
        }
        if reason.is_none() && !ready {
            reason = conditions()
                .find(|c| is(c, "PodScheduled", "False"))
                .map(|c| {
                    let why = c.reason.as_deref().unwrap_or("Unschedulable");
                    match c.message.as_deref() {
                        Some(message) if !message.is_empty() => format!("{why}: {message}"),
                        _ => why.to_owned(),
                    }
                });
        }
        if reason.is_none() && phase == "Failed" {
            reason.clone_from(&status.reason);
        }
        Self {
            phase,
            ready,
            restarts,
            reason: reason.map(|r| super::text::clean(&r)),
            deleting,
        }
    }

    /// Health of the pod alone.
    pub fn health(&self) -> Health {
        if self.deleting {
            Health::Deleting
        } else if self.ready || self.phase == "Succeeded" {
            Health::Healthy
        } else if self.phase == "Failed" || self.reason.as_deref().is_some_and(is_failure) {
            Health::Failed
        } else if self.phase == "Pending" {
            Health::Progressing
        } else {
            Health::Degraded
        }
    }

    /// One-line state, e.g. "Running, 1/1 ready, 4 restarts".
    pub fn status_text(&self) -> String {
        let mut text = self.phase.clone();
        text.push_str(if self.ready { ", ready" } else { ", not ready" });
        if self.restarts > 0 {
            text.push_str(&format!(", {} restarts", self.restarts));
        }
        text
    }
}

fn conditions(status: &Value) -> impl Iterator<Item = &Value> {
    status["conditions"].as_array().into_iter().flatten()
}

/// The reason a container is not running well, if any.
fn container_reason(container: &ContainerFields) -> Option<String> {
    let state = container.state.as_ref();
    let waiting = state.and_then(|s| s.waiting.as_ref());
    if let Some(reason) = waiting.and_then(|w| w.reason.as_deref())
        && reason != "ContainerCreating"
        && reason != "PodInitializing"
    {
        return Some(match waiting.and_then(|w| w.message.as_deref()) {
            Some(message) if !message.is_empty() => format!("{reason}: {message}"),
            _ => reason.to_owned(),
        });
    }
    let terminated = state.and_then(|s| s.terminated.as_ref());
    if let Some(reason) = terminated.and_then(|t| t.reason.as_deref())
        && reason != "Completed"
    {
        return Some(reason.to_owned());
    }
    let last = container
        .last_state
        .as_ref()
        .and_then(|s| s.terminated.as_ref());
    if last.and_then(|t| t.reason.as_deref()) == Some("OOMKilled") && container.ready != Some(true)
    {
        return Some("OOMKilled (last run)".to_owned());
    }
    None
}

/// The first container of a pod, for its logs.
pub fn first_container(pod: &Value) -> Option<String> {
    pod["spec"]["containers"][0]["name"]
        .as_str()
        .or_else(|| pod["status"]["containerStatuses"][0]["name"].as_str())
        .map(super::text::clean)
}

/// How a container's previous run ended when it did not end well
/// ("container kafka: OOMKilled, exit code 137"): the first such container.
/// Reported even when the pod is ready again, since it explains restarts.
pub fn last_termination(pod: &Value) -> Option<String> {
    let statuses = ["initContainerStatuses", "containerStatuses"]
        .iter()
        .flat_map(|key| pod["status"][*key].as_array().into_iter().flatten());
    for container in statuses {
        let last = &container["lastState"]["terminated"];
        let Some(reason) = last["reason"].as_str() else {
            continue;
        };
        if reason == "Completed" {
            continue;
        }
        let name = container["name"].as_str().unwrap_or("?");
        let text = match last["exitCode"].as_i64() {
            Some(code) => format!("container {name}: {reason}, exit code {code}"),
            None => format!("container {name}: {reason}"),
        };
        return Some(super::text::clean(&text));
    }
    None
}

/// The scheduler's message for a pod it cannot place (`PodScheduled=False`).
pub fn unschedulable(pod: &Value) -> Option<String> {
    conditions(&pod["status"])
        .find(|c| c["type"] == "PodScheduled" && c["status"] == "False")
        .map(|c| {
            let text = match (c["reason"].as_str(), c["message"].as_str()) {
                (_, Some(message)) if !message.is_empty() => message,
                (Some(reason), _) => reason,
                _ => "Unschedulable",
            };
            super::text::clean(text)
        })
}

/// Reasons that mean the pod will not get better by waiting.
pub fn is_failure(reason: &str) -> bool {
    [
        "CrashLoopBackOff",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "OOMKilled",
        "Error",
    ]
    .iter()
    .any(|r| reason.starts_with(r))
}

/// Health of an operator-managed instance from its status, whether it is
/// being deleted, and its pods (ready, total).
///
/// The phase words operators use vary, so they are matched loosely: the
/// operator's own words decide first, pods refine a healthy phase.
pub fn instance_health(object: &Value, pods: (u32, u32)) -> Health {
    if !object["metadata"]["deletionTimestamp"].is_null() {
        return Health::Deleting;
    }
    let status = &object["status"];
    let phase = status["phase"]
        .as_str()
        .or_else(|| status["state"].as_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let failed_condition = conditions(status).any(|c| {
        let kind = c["type"].as_str().unwrap_or("");
        (matches!(kind, "Failed" | "Degraded" | "UpgradeFailed") && c["status"] == "True")
            || (kind == "Ready" && c["status"] == "False")
    });
    let by_phase = match phase.as_str() {
        "" => None,
        "running" | "ready" | "healthy" | "available" | "succeeded" | "deployed" => {
            Some(Health::Healthy)
        }
        "failed" | "error" | "upgradefailed" | "crashloop" => Some(Health::Failed),
        "deleting" | "terminating" => Some(Health::Deleting),
        "degraded" | "unhealthy" | "warning" => Some(Health::Degraded),
        _ => Some(Health::Progressing),
    };
    let (ready, total) = pods;
    match by_phase {
        Some(Health::Healthy) if failed_condition || ready < total => Health::Degraded,
        Some(health) => health,
        None if total > 0 && ready == total && !failed_condition => Health::Healthy,
        None if total > 0 => Health::Degraded,
        None => Health::Unknown,
    }
}

/// Health of a Helm release from its status and its pods (ready, total).
pub fn release_health(status: &str, pods: (u32, u32)) -> Health {
    let (ready, total) = pods;
    match status {
        "deployed" if ready < total => Health::Degraded,
        "deployed" => Health::Healthy,
        "failed" => Health::Failed,
        "uninstalling" => Health::Deleting,
        s if s.starts_with("pending") => Health::Progressing,
        _ => Health::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn pod_reasons() {
        let crash = json!({"status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}],
            "containerStatuses": [{"restartCount": 7,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m0s"}}}]}});
        let pod = PodSummary::from_pod(&crash);
        assert_eq!(pod.restarts, 7);
        assert_eq!(
            pod.reason.as_deref(),
            Some("CrashLoopBackOff: back-off 5m0s")
        );
        assert_eq!(pod.health(), Health::Failed);

        let pending = json!({"status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "0/3 nodes are available"}]}});
        let pod = PodSummary::from_pod(&pending);
        assert_eq!(
            pod.reason.as_deref(),
            Some("Unschedulable: 0/3 nodes are available")
        );
        assert_eq!(pod.health(), Health::Progressing);

        let ok = json!({"status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"restartCount": 0, "state": {"running": {}}}]}});
        assert_eq!(PodSummary::from_pod(&ok).health(), Health::Healthy);
        assert_eq!(PodSummary::from_pod(&json!({})).health(), Health::Degraded);
    }

    #[test]
    fn instance_rules() {
        let running = json!({"status": {"phase": "Running"}});
        assert_eq!(instance_health(&running, (3, 3)), Health::Healthy);
        assert_eq!(instance_health(&running, (2, 3)), Health::Degraded);
        let upgrading = json!({"status": {"phase": "Upgrading"}});
        assert_eq!(instance_health(&upgrading, (3, 5)), Health::Progressing);
        let failed = json!({"status": {"phase": "Failed"}});
        assert_eq!(instance_health(&failed, (3, 3)), Health::Failed);
        let deleting = json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}});
        assert_eq!(instance_health(&deleting, (0, 0)), Health::Deleting);
        assert_eq!(instance_health(&json!({}), (0, 0)), Health::Unknown);
        assert_eq!(instance_health(&json!({}), (1, 1)), Health::Healthy);
        let not_ready = json!({"status": {"phase": "Running",
            "conditions": [{"type": "Ready", "status": "False"}]}});
        assert_eq!(instance_health(&not_ready, (3, 3)), Health::Degraded);
        assert_eq!(release_health("deployed", (1, 1)), Health::Healthy);
        assert_eq!(release_health("failed", (1, 1)), Health::Failed);
        assert_eq!(
            release_health("pending-upgrade", (0, 1)),
            Health::Progressing
        );
    }

    #[test]
    fn pod_facts_for_diagnosis() {
        let oom = json!({
            "spec": {"containers": [{"name": "redis"}, {"name": "sidecar"}]},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                "containerStatuses": [
                    {"name": "sidecar", "ready": true, "restartCount": 0,
                        "lastState": {"terminated": {"reason": "Completed", "exitCode": 0}}},
                    {"name": "redis", "ready": true, "restartCount": 4,
                        "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}
        });
        assert_eq!(first_container(&oom).as_deref(), Some("redis"));
        assert_eq!(
            last_termination(&oom).as_deref(),
            Some("container redis: OOMKilled, exit code 137")
        );
        assert_eq!(unschedulable(&oom), None);
        // Ready again, so healthy: the OOM kill is a diagnosis finding only.
        assert_eq!(PodSummary::from_pod(&oom).health(), Health::Healthy);

        let pending = json!({
            "spec": {"containers": [{"name": "redis"}]},
            "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled",
                "status": "False", "reason": "Unschedulable",
                "message": "0/3 nodes are available: 3 Insufficient cpu.\u{1b}[2J"}]}
        });
        let message = unschedulable(&pending).unwrap_or_default();
        assert!(message.starts_with("0/3 nodes are available: 3 Insufficient cpu."));
        assert!(!message.contains('\u{1b}'), "{message}");
        assert_eq!(last_termination(&pending), None);
        let bare = json!({"status": {"conditions": [{"type": "PodScheduled", "status": "False"}]}});
        assert_eq!(unschedulable(&bare).as_deref(), Some("Unschedulable"));
        assert_eq!(first_container(&bare), None);
    }
}
