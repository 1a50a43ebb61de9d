//! The owned-resources tree: one line per object (health, short state, why
//! it is unhealthy) and their placement by ownerReferences.

use std::collections::{BTreeMap, HashSet};

use serde_json::Value;

use crate::domain::health::{Health, PodSummary, first_container, last_termination, unschedulable};
use crate::domain::text::clean;
use crate::state::detail::{PodFacts, ResourceNode};

/// An object of the tree before placement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TreeObject {
    /// Kubernetes uid.
    pub uid: String,
    /// Uids of its owners (ownerReferences).
    pub owners: Vec<String>,
    /// The line shown (depth set by placement).
    pub node: ResourceNode,
}

/// Display order of kinds: workloads, pods, services, PVCs, configmaps,
/// secrets, then anything else.
pub(crate) fn kind_rank(kind: &str) -> u8 {
    match kind {
        "StatefulSet" => 0,
        "Deployment" => 1,
        "DaemonSet" => 2,
        "ReplicaSet" => 3,
        "Job" => 4,
        "Pod" => 5,
        "Service" => 6,
        "PersistentVolumeClaim" => 7,
        "ConfigMap" => 8,
        "Secret" => 9,
        _ => 10,
    }
}

fn u32_at(value: &Value) -> Option<u32> {
    value.as_u64().map(|n| u32::try_from(n).unwrap_or(u32::MAX))
}

fn str_at(value: &Value) -> &str {
    value.as_str().unwrap_or("")
}

/// Reads any object of the watched kinds into a tree object; `kind` is the
/// watched kind (metadata-only objects carry no usable `kind`).
pub(crate) fn summarize(kind: &str, object: &Value) -> TreeObject {
    let metadata = &object["metadata"];
    let owners = metadata["ownerReferences"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|owner| owner["uid"].as_str().map(str::to_owned))
        .collect();
    let mut facts = None;
    let (health, status, reason) = match kind {
        "StatefulSet" => stateful_set(object),
        "Deployment" => deployment(object),
        "ReplicaSet" => replica_set(object),
        "Pod" => {
            let pod = PodSummary::from_pod(object);
            facts = Some(PodFacts {
                container: first_container(object),
                restarts: pod.restarts,
                last_termination: last_termination(object),
                unschedulable: unschedulable(object),
            });
            let health = pod.health();
            let reason = if health == Health::Healthy {
                None
            } else {
                pod.reason.clone()
            };
            (health, pod.status_text(), reason)
        }
        "Service" => (Health::Healthy, service(object), None),
        "PersistentVolumeClaim" => pvc(object),
        "ConfigMap" => {
            let keys = ["data", "binaryData"]
                .iter()
                .filter_map(|k| object[*k].as_object())
                .map(serde_json::Map::len)
                .sum::<usize>();
            let plural = if keys == 1 { "" } else { "s" };
            (Health::Healthy, format!("{keys} key{plural}"), None)
        }
        // Watched metadata-only: nothing about its contents is known.
        "Secret" => (Health::Healthy, "contents not read".to_owned(), None),
        _ => (Health::Unknown, "-".to_owned(), None),
    };
    let deleting = !metadata["deletionTimestamp"].is_null();
    let (health, reason) = if deleting {
        (
            Health::Deleting,
            reason.or_else(|| Some("being deleted".to_owned())),
        )
    } else {
        (health, reason)
    };
    TreeObject {
        uid: str_at(&metadata["uid"]).to_owned(),
        owners,
        node: ResourceNode {
            depth: 0,
            kind: kind.to_owned(),
            name: clean(str_at(&metadata["name"])),
            health,
            status: clean(&status),
            reason: reason.map(|r| clean(&r)),
            pod: facts,
        },
    }
}

type Summary = (Health, String, Option<String>);

/// The spec is not yet acted on by its controller.
fn generation_pending(object: &Value) -> bool {
    match (
        object["metadata"]["generation"].as_i64(),
        object["status"]["observedGeneration"].as_i64(),
    ) {
        (Some(generation), Some(observed)) => observed < generation,
        _ => false,
    }
}

fn stateful_set(object: &Value) -> Summary {
    let status = &object["status"];
    let replicas = u32_at(&object["spec"]["replicas"]).unwrap_or(1);
    let ready = u32_at(&status["readyReplicas"]).unwrap_or(0);
    let current = str_at(&status["currentRevision"]);
    let update = str_at(&status["updateRevision"]);
    let mut text = format!("{ready}/{replicas} ready");
    let revision = if current.is_empty() { update } else { current };
    if !revision.is_empty() {
        text.push_str(&format!(", revision {revision}"));
    }
    let rolling = !current.is_empty() && !update.is_empty() && current != update;
    if rolling {
        let updated = u32_at(&status["updatedReplicas"]).unwrap_or(0);
        text.push_str(&format!(", updating to {update} ({updated}/{replicas})"));
    }
    let not_ready = replicas.saturating_sub(ready);
    if rolling || generation_pending(object) {
        let why = if not_ready > 0 {
            format!("rolling out, {not_ready} not ready")
        } else {
            "rolling out".to_owned()
        };
        (Health::Progressing, text, Some(why))
    } else if not_ready > 0 {
        (
            Health::Degraded,
            text,
            Some(format!("{not_ready} of {replicas} pods not ready")),
        )
    } else {
        (Health::Healthy, text, None)
    }
}

fn deployment(object: &Value) -> Summary {
    let status = &object["status"];
    let replicas = u32_at(&object["spec"]["replicas"]).unwrap_or(1);
    let ready = u32_at(&status["readyReplicas"]).unwrap_or(0);
    let updated = u32_at(&status["updatedReplicas"]).unwrap_or(0);
    let text = format!("{ready}/{replicas} ready, {updated} up-to-date");
    let condition = |kind: &str| {
        status["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|c| c["type"] == kind)
            .cloned()
    };
    let message = |c: &Value| {
        let reason = str_at(&c["reason"]);
        match str_at(&c["message"]) {
            "" => reason.to_owned(),
            message => format!("{reason}: {message}"),
        }
    };
    if let Some(c) = condition("Progressing")
        && c["reason"] == "ProgressDeadlineExceeded"
    {
        return (Health::Failed, text, Some(message(&c)));
    }
    if let Some(c) = condition("ReplicaFailure")
        && c["status"] == "True"
    {
        return (Health::Failed, text, Some(message(&c)));
    }
    if updated < replicas || generation_pending(object) {
        return (Health::Progressing, text, Some("rolling out".to_owned()));
    }
    if ready < replicas {
        let why = condition("Available")
            .filter(|c| c["status"] == "False")
            .map(|c| message(&c))
            .unwrap_or_else(|| format!("{} of {replicas} pods not ready", replicas - ready));
        return (Health::Degraded, text, Some(why));
    }
    (Health::Healthy, text, None)
}

fn replica_set(object: &Value) -> Summary {
    let replicas = u32_at(&object["spec"]["replicas"]).unwrap_or(1);
    let ready = u32_at(&object["status"]["readyReplicas"]).unwrap_or(0);
    let text = format!("{ready}/{replicas} ready");
    if ready < replicas {
        let why = format!("{} of {replicas} pods not ready", replicas - ready);
        (Health::Degraded, text, Some(why))
    } else {
        (Health::Healthy, text, None)
    }
}

/// Old ReplicaSets a Deployment keeps for rollback: scaled to zero with no
/// pods left, they would only clutter the tree.
pub(crate) fn is_idle_replica_set(object: &Value) -> bool {
    object["spec"]["replicas"].as_u64() == Some(0)
        && object["status"]["replicas"].as_u64().unwrap_or(0) == 0
}

fn service(object: &Value) -> String {
    let spec = &object["spec"];
    let kind = spec["type"].as_str().unwrap_or("ClusterIP");
    let ports: Vec<String> = spec["ports"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| {
            let port = p["port"].as_u64().unwrap_or(0);
            let protocol = p["protocol"].as_str().unwrap_or("TCP");
            format!("{port}/{protocol}")
        })
        .collect();
    let headless = if spec["clusterIP"] == "None" {
        " (headless)"
    } else {
        ""
    };
    if ports.is_empty() {
        format!("{kind}{headless}")
    } else {
        format!("{kind}{headless} {}", ports.join(","))
    }
}

fn pvc(object: &Value) -> Summary {
    let phase = object["status"]["phase"].as_str().unwrap_or("Pending");
    let size = object["status"]["capacity"]["storage"]
        .as_str()
        .or_else(|| object["spec"]["resources"]["requests"]["storage"].as_str())
        .unwrap_or("");
    let text = if size.is_empty() {
        phase.to_owned()
    } else {
        format!("{phase} {size}")
    };
    match phase {
        "Bound" => (Health::Healthy, text, None),
        "Lost" => (Health::Failed, text, Some("its volume is lost".to_owned())),
        _ => (
            Health::Progressing,
            text,
            Some("waiting for a volume".to_owned()),
        ),
    }
}

/// Places objects by ownerReferences, in pre-order: an object whose owner is
/// among `objects` goes below it, every other one (owned by the instance
/// itself, or only labelled) at depth 0. Siblings are sorted by kind order,
/// then name.
pub(crate) fn build_tree(objects: Vec<TreeObject>) -> Vec<ResourceNode> {
    let uids: HashSet<&str> = objects.iter().map(|o| o.uid.as_str()).collect();
    let mut children: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut roots = Vec::new();
    for (index, object) in objects.iter().enumerate() {
        let parent = object
            .owners
            .iter()
            .find(|owner| **owner != object.uid && uids.contains(owner.as_str()));
        match parent {
            Some(parent) => children.entry(parent.as_str()).or_default().push(index),
            None => roots.push(index),
        }
    }
    let order = |indices: &mut Vec<usize>| {
        indices.sort_by(|a, b| {
            let (a, b) = (&objects[*a].node, &objects[*b].node);
            (kind_rank(&a.kind), &a.kind, &a.name).cmp(&(kind_rank(&b.kind), &b.kind, &b.name))
        });
    };
    order(&mut roots);
    for list in children.values_mut() {
        order(list);
    }
    let mut out = Vec::with_capacity(objects.len());
    let mut visited = vec![false; objects.len()];
    let visit = |root: usize, out: &mut Vec<ResourceNode>, visited: &mut Vec<bool>| {
        let mut stack = vec![(root, 0u16)];
        while let Some((index, depth)) = stack.pop() {
            if std::mem::replace(&mut visited[index], true) {
                continue;
            }
            let mut node = objects[index].node.clone();
            node.depth = depth;
            out.push(node);
            if let Some(kids) = children.get(objects[index].uid.as_str()) {
                // Reversed so that the first child is popped first.
                stack.extend(kids.iter().rev().map(|k| (*k, depth.saturating_add(1))));
            }
        }
    };
    for root in roots {
        visit(root, &mut out, &mut visited);
    }
    // Owner cycles (never made by Kubernetes, but possible in data) leave
    // objects unreached: show them at the top level rather than lose them.
    for index in 0..objects.len() {
        if !visited[index] {
            visit(index, &mut out, &mut visited);
        }
    }
    out
}

/// (ready, total) pods in a tree.
pub(crate) fn pod_counts(nodes: &[ResourceNode]) -> (u32, u32) {
    let pods = nodes.iter().filter(|n| n.kind == "Pod");
    let (mut ready, mut total) = (0u32, 0u32);
    for pod in pods {
        total = total.saturating_add(1);
        if pod.health == Health::Healthy {
            ready = ready.saturating_add(1);
        }
    }
    (ready, total)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(kind: &str, uid: &str, name: &str, owners: &[&str]) -> TreeObject {
        let refs: Vec<Value> = owners.iter().map(|o| json!({"uid": o})).collect();
        summarize(
            kind,
            &json!({"metadata": {"uid": uid, "name": name, "ownerReferences": refs}}),
        )
    }

    #[test]
    fn tree_in_pre_order_sorted_by_kind_then_name() {
        let objects = vec![
            object("ConfigMap", "cm", "orders-config", &["cr"]),
            object("Pod", "p1", "orders-1", &["sts"]),
            object("PersistentVolumeClaim", "pvc0", "data-orders-0", &[]),
            object("Pod", "p0", "orders-0", &["sts"]),
            object("Service", "svc", "orders-headless", &["cr"]),
            object("StatefulSet", "sts", "orders", &["cr"]),
            object("Deployment", "dep", "exporter", &["cr"]),
            object("ReplicaSet", "rs", "exporter-abc", &["dep"]),
            object("Pod", "p2", "exporter-abc-x", &["rs"]),
            object("Secret", "sec", "orders-admin", &["cr"]),
        ];
        let tree = build_tree(objects);
        let shape: Vec<(u16, &str, &str)> = tree
            .iter()
            .map(|n| (n.depth, n.kind.as_str(), n.name.as_str()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (0, "StatefulSet", "orders"),
                (1, "Pod", "orders-0"),
                (1, "Pod", "orders-1"),
                (0, "Deployment", "exporter"),
                (1, "ReplicaSet", "exporter-abc"),
                (2, "Pod", "exporter-abc-x"),
                (0, "Service", "orders-headless"),
                (0, "PersistentVolumeClaim", "data-orders-0"),
                (0, "ConfigMap", "orders-config"),
                (0, "Secret", "orders-admin"),
            ]
        );
    }

    #[test]
    fn owner_cycles_do_not_lose_objects() {
        let tree = build_tree(vec![
            object("Pod", "a", "a", &["b"]),
            object("Pod", "b", "b", &["a"]),
        ]);
        assert_eq!(tree.len(), 2);
    }

    #[test]
    fn summaries_per_kind() {
        let sts = summarize(
            "StatefulSet",
            &json!({"metadata": {"name": "orders", "uid": "u"},
                "spec": {"replicas": 3},
                "status": {"readyReplicas": 3, "currentRevision": "orders-66", "updateRevision": "orders-66"}}),
        );
        assert_eq!(sts.node.status, "3/3 ready, revision orders-66");
        assert_eq!(sts.node.health, Health::Healthy);

        let rolling = summarize(
            "StatefulSet",
            &json!({"spec": {"replicas": 3},
                "status": {"readyReplicas": 2, "updatedReplicas": 1,
                    "currentRevision": "a", "updateRevision": "b"}}),
        );
        assert_eq!(rolling.node.health, Health::Progressing);
        assert!(rolling.node.status.contains("updating to b (1/3)"));

        let pod = summarize(
            "Pod",
            &json!({"status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{"restartCount": 4,
                    "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 5m"}}}]}}),
        );
        assert_eq!(pod.node.health, Health::Failed);
        assert_eq!(
            pod.node.reason.as_deref(),
            Some("CrashLoopBackOff: back-off 5m")
        );

        let pvc = summarize(
            "PersistentVolumeClaim",
            &json!({"status": {"phase": "Bound", "capacity": {"storage": "1Gi"}}}),
        );
        assert_eq!(pvc.node.status, "Bound 1Gi");
        let svc = summarize(
            "Service",
            &json!({"spec": {"clusterIP": "None", "ports": [{"port": 9092, "protocol": "TCP"}, {"port": 9308}]}}),
        );
        assert_eq!(svc.node.status, "ClusterIP (headless) 9092/TCP,9308/TCP");
        let cm = summarize("ConfigMap", &json!({"data": {"a": "1", "b": "2"}}));
        assert_eq!(cm.node.status, "2 keys");
        let deleting = summarize(
            "ConfigMap",
            &json!({"metadata": {"deletionTimestamp": "2026-01-01T00:00:00Z"}}),
        );
        assert_eq!(deleting.node.health, Health::Deleting);
        let failed = summarize(
            "Deployment",
            &json!({"spec": {"replicas": 1}, "status": {"updatedReplicas": 1, "conditions": [
                {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
                 "message": "took too long"}]}}),
        );
        assert_eq!(failed.node.health, Health::Failed);
        assert_eq!(
            failed.node.reason.as_deref(),
            Some("ProgressDeadlineExceeded: took too long")
        );
        let evil = summarize("Pod", &json!({"metadata": {"name": "x\u{1b}[2J"}}));
        assert_eq!(evil.node.name, "x^[[2J");
    }

    #[test]
    fn counts_pods() {
        let tree = build_tree(vec![
            summarize(
                "Pod",
                &json!({"metadata": {"uid": "a"}, "status": {"phase": "Running",
                "conditions": [{"type": "Ready", "status": "True"}]}}),
            ),
            summarize("Pod", &json!({"metadata": {"uid": "b"}})),
            summarize("Service", &json!({"metadata": {"uid": "c"}})),
        ]);
        assert_eq!(pod_counts(&tree), (1, 2));
    }

    #[test]
    fn pods_carry_what_diagnosis_needs() {
        let pending = summarize(
            "Pod",
            &json!({"metadata": {"uid": "p", "name": "bulk-0"},
                "spec": {"containers": [{"name": "redis"}]},
                "status": {"phase": "Pending", "conditions": [{"type": "PodScheduled",
                    "status": "False", "reason": "Unschedulable",
                    "message": "0/3 nodes are available: 3 Insufficient cpu."}]}}),
        );
        let facts = pending.node.pod.unwrap_or_else(|| panic!("pod facts"));
        assert_eq!(facts.container.as_deref(), Some("redis"));
        assert_eq!(
            facts.unschedulable.as_deref(),
            Some("0/3 nodes are available: 3 Insufficient cpu.")
        );
        let oom = summarize(
            "Pod",
            &json!({"metadata": {"uid": "q", "name": "bulk-1"},
                "spec": {"containers": [{"name": "redis"}]},
                "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}],
                    "containerStatuses": [{"name": "redis", "ready": true, "restartCount": 4,
                        "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]}}),
        );
        assert_eq!(oom.node.health, Health::Healthy);
        let facts = oom.node.pod.unwrap_or_else(|| panic!("pod facts"));
        assert_eq!(facts.restarts, 4);
        assert_eq!(
            facts.last_termination.as_deref(),
            Some("container redis: OOMKilled, exit code 137")
        );
        let map = summarize("ConfigMap", &json!({"metadata": {"uid": "c", "name": "x"}}));
        assert_eq!(map.node.pod, None);
    }
}
