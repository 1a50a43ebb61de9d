//! Dependencies of an operator instance on instances of other services.

use serde_json::Value;

use crate::domain::health::{Health, instance_health};
use crate::domain::text::clean;
use crate::state::detail::DependencyRow;

/// Deepest spec level searched for a reference.
const MAX_DEPTH: usize = 3;

fn normalize(text: &str) -> String {
    text.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The name of the instance of `service` that `spec` refers to: a field
/// `<service>Ref` holding a name, or `<service>Ref.name`
/// (`zookeeperRef.name` for the zookeeper service). The CSD does not say
/// which field it is, so the key's prefix is matched with the service name.
pub(crate) fn referenced_name(spec: &Value, service: &str) -> Option<String> {
    fn search(value: &Value, service: &str, depth: usize) -> Option<String> {
        let map = value.as_object()?;
        for (key, value) in map {
            let key = normalize(key);
            if let Some(prefix) = key.strip_suffix("ref")
                && !prefix.is_empty()
                && (prefix.starts_with(service) || service.starts_with(prefix))
            {
                let name = value.as_str().or_else(|| value["name"].as_str());
                if let Some(name) = name.filter(|n| !n.is_empty()) {
                    return Some(name.to_owned());
                }
            }
        }
        if depth + 1 < MAX_DEPTH {
            map.values()
                .find_map(|child| search(child, service, depth + 1))
        } else {
            None
        }
    }
    let service = normalize(service);
    if service.is_empty() {
        return None;
    }
    search(spec, &service, 0)
}

/// What is known of a dependency's instance.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lookup<'a> {
    /// Its service could not be resolved (no CSD, no CRD): why.
    Unresolvable(&'a str),
    /// The spec names no instance of it.
    NoReference,
    /// The watch has not answered yet.
    Loading,
    /// The watch failed: why.
    Failed(&'a str),
    /// Listed, and not there.
    Missing,
    /// The instance object.
    Found(&'a Value),
}

/// One row of the Dependencies tab.
pub(crate) fn dependency_row(
    service: &str,
    namespace: &str,
    name: Option<&str>,
    lookup: Lookup<'_>,
) -> DependencyRow {
    let instance = name.map(|n| clean(&format!("{namespace}/{n}")));
    let (health, note) = match lookup {
        Lookup::Unresolvable(why) => (Health::Unknown, why.to_owned()),
        Lookup::NoReference => (
            Health::Unknown,
            "the spec names no instance of it".to_owned(),
        ),
        Lookup::Loading => (Health::Unknown, "loading".to_owned()),
        Lookup::Failed(why) => (Health::Unknown, why.to_owned()),
        Lookup::Missing => (Health::Unknown, format!("not found in {namespace}")),
        Lookup::Found(object) => {
            // Its pods are not watched: the replica counts of its status
            // stand in for them.
            let status = &object["status"];
            let ready = status["readyReplicas"].as_u64();
            let total = object["spec"]["replicas"]
                .as_u64()
                .or_else(|| status["replicas"].as_u64());
            let pods = match (ready, total) {
                (ready, Some(total)) => (
                    u32::try_from(ready.unwrap_or(0)).unwrap_or(u32::MAX),
                    u32::try_from(total).unwrap_or(u32::MAX),
                ),
                _ => (0, 0),
            };
            let health = instance_health(object, pods);
            let phase = status["phase"].as_str().unwrap_or("found");
            let note = if pods.1 > 0 {
                format!("{phase}, {}/{} ready", pods.0, pods.1)
            } else {
                phase.to_owned()
            };
            (health, note)
        }
    };
    DependencyRow {
        service: clean(service),
        instance,
        health,
        note: clean(&note),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_references_by_service_name() {
        let spec = json!({"replicas": 3, "zookeeperRef": {"name": "zk-main"}});
        assert_eq!(
            referenced_name(&spec, "zookeeper").as_deref(),
            Some("zk-main")
        );
        let flat = json!({"zookeeper_ref": "zk"});
        assert_eq!(referenced_name(&flat, "zookeeper").as_deref(), Some("zk"));
        let nested = json!({"deps": {"kafkaClusterRef": {"name": "k"}}});
        assert_eq!(referenced_name(&nested, "kafka").as_deref(), Some("k"));
        assert_eq!(referenced_name(&spec, "redis"), None);
        assert_eq!(
            referenced_name(&json!({"zookeeperRef": {}}), "zookeeper"),
            None
        );
    }

    #[test]
    fn rows() {
        let zk = json!({"spec": {"replicas": 3},
            "status": {"phase": "Running", "readyReplicas": 3}});
        let row = dependency_row("zookeeper", "team-a", Some("zookeeper"), Lookup::Found(&zk));
        assert_eq!(row.health, Health::Healthy);
        assert_eq!(row.instance.as_deref(), Some("team-a/zookeeper"));
        assert_eq!(row.note, "Running, 3/3 ready");
        let missing = dependency_row("zookeeper", "team-b", Some("zk"), Lookup::Missing);
        assert_eq!(missing.note, "not found in team-b");
        assert_eq!(missing.health, Health::Unknown);
    }
}
