//! The rows the console lists, and the stores that hold them.
//!
//! Watchers convert cluster objects into these owned rows off the UI path, so
//! the stores hold only what the views show and can be tested without a cluster.

use std::collections::HashMap;

/// How a service is installed: by an operator (CSD) or as a Helm chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ServiceKind {
    /// Managed by an operator described by a CSD.
    Operator,
    /// Installed from a Helm chart.
    Helm,
}

impl ServiceKind {
    /// Short label for the kind column.
    pub fn label(self) -> &'static str {
        match self {
            ServiceKind::Operator => "operator",
            ServiceKind::Helm => "helm",
        }
    }
}

pub use crate::domain::health::Health;

/// One service instance as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceRow {
    /// Kubernetes uid: the identity that survives renames of nothing else.
    pub uid: String,
    /// Object name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// CSD name or Helm chart.
    pub service: String,
    /// Operator or Helm.
    pub kind: ServiceKind,
    /// Service version, when known.
    pub version: Option<String>,
    /// Health summary.
    pub health: Health,
    /// (ready, desired) replicas or pods.
    pub ready: (u32, u32),
    /// Creation time, seconds since the Unix epoch.
    pub created: i64,
    /// Message of the latest event, when any.
    pub latest_event: Option<String>,
}

/// Health of the operator behind a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OperatorHealth {
    /// The operator is running.
    Available,
    /// The operator is not running, with the reason shown to the user.
    NotAvailable {
        /// Why, in words.
        reason: String,
    },
    /// Not known (Helm services, or not checked yet).
    Unknown,
}

/// Where the rollout of an operator's Deployment stands (OSC FAQ 2, an
/// operator stuck "installing"). Only Deployment-run operators have one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum OperatorInstall {
    /// Not known (no Deployment, a Lease heartbeat, a Helm service).
    #[default]
    Unknown,
    /// The Deployment completed its rollout and is Available.
    Installed,
    /// Not Available yet, still within its progress deadline.
    Installing {
        /// Why it is not available yet (the pod's reason first).
        reason: String,
    },
    /// Not Available and past its progress deadline
    /// (`Progressing=False ProgressDeadlineExceeded`): it will not finish by itself.
    Stuck {
        /// Why (the pod's reason first, then the Deployment's message).
        reason: String,
    },
}

/// How the CRD in the cluster compares with what the service's CSD expects
/// (OSC FAQ 3, "CRD not updated after a new package version").
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CrdState {
    /// Not checked (Helm services, or not seen yet).
    #[default]
    Unknown,
    /// The CRD serves what the CSD uses.
    Current,
    /// The CRD the CSD names is not in the cluster.
    Missing {
        /// `CRDRef.name`.
        crd: String,
    },
    /// The CRD lacks versions or fields the CSD uses.
    Drift {
        /// `CRDRef.name`.
        crd: String,
        /// The CRD's served storage version checked.
        version: String,
        /// What is missing, in words (`version v2 not served`, `spec.persistence.mode`).
        missing: Vec<String>,
    },
    /// The CRD cannot be checked (no served storage version, no schema).
    Unreadable {
        /// `CRDRef.name`.
        crd: String,
        /// Why, in words.
        reason: String,
    },
}

/// Instance counts per health, indexed like [`Health::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HealthCounts([u32; 6]);

impl HealthCounts {
    /// Count of instances with this health.
    pub fn get(&self, health: Health) -> u32 {
        self.0[health.index()]
    }

    /// Adds one instance with this health.
    pub fn add(&mut self, health: Health) {
        self.0[health.index()] = self.0[health.index()].saturating_add(1);
    }

    /// Total number of instances.
    pub fn total(&self) -> u32 {
        self.0.iter().fold(0u32, |acc, n| acc.saturating_add(*n))
    }
}

/// One service (CSD or chart) as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceRow {
    /// CSD or chart name: what instances refer to.
    pub name: String,
    /// Human name.
    pub display_name: String,
    /// Operator or Helm.
    pub kind: ServiceKind,
    /// Who provides it.
    pub provider: String,
    /// Versions that may be installed.
    pub allowed_versions: Vec<String>,
    /// Operator state.
    pub operator: OperatorHealth,
    /// The operator Deployment's rollout (FAQ 2).
    pub install: OperatorInstall,
    /// The CRD against the CSD (FAQ 3).
    pub crd: CrdState,
    /// What was wrong in the CSD as read (fields dropped or defaulted).
    pub problems: Vec<String>,
    /// Instance counts by health.
    pub counts: HealthCounts,
}

/// Instances keyed by uid. Rows live in a vector next to their precomputed
/// filter haystack, so that a keystroke in the filter scans memory linearly
/// without allocating. The revision increases on every change so derived
/// views (filter, sort) know when to recompute.
#[derive(Debug, Clone, Default)]
pub struct InstanceStore {
    rows: Vec<InstanceRow>,
    haystacks: Vec<String>,
    index: HashMap<String, usize>,
    revision: u64,
}

impl InstanceStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Inserts or replaces a row by uid. Returns true if anything changed.
    pub fn upsert(&mut self, row: InstanceRow) -> bool {
        let haystack = crate::state::filter::haystack(&row);
        match self.index.get(&row.uid) {
            Some(&i) if self.rows[i] == row => return false,
            Some(&i) => {
                self.rows[i] = row;
                self.haystacks[i] = haystack;
            }
            None => {
                self.index.insert(row.uid.clone(), self.rows.len());
                self.rows.push(row);
                self.haystacks.push(haystack);
            }
        }
        self.revision += 1;
        true
    }

    /// Removes a row by uid. Returns true if it was present.
    pub fn remove(&mut self, uid: &str) -> bool {
        let Some(i) = self.index.remove(uid) else {
            return false;
        };
        self.rows.swap_remove(i);
        self.haystacks.swap_remove(i);
        if let Some(moved) = self.rows.get(i) {
            self.index.insert(moved.uid.clone(), i);
        }
        self.revision += 1;
        true
    }

    /// Replaces everything after a relist: rows not in `rows` disappear.
    /// A uid given twice keeps its last row.
    pub fn replace_all(&mut self, rows: Vec<InstanceRow>) {
        self.rows.clear();
        self.haystacks.clear();
        self.index.clear();
        for row in rows {
            self.upsert(row);
        }
        self.revision += 1;
    }

    /// A row by uid.
    pub fn get(&self, uid: &str) -> Option<&InstanceRow> {
        self.index.get(uid).map(|&i| &self.rows[i])
    }

    /// All rows, in storage order (indices used by the table).
    pub fn rows(&self) -> &[InstanceRow] {
        &self.rows
    }

    /// Lowercase filter haystack of the row at the same index.
    pub fn haystack(&self, index: usize) -> &str {
        self.haystacks.get(index).map(String::as_str).unwrap_or("")
    }

    /// All rows, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &InstanceRow> {
        self.rows.iter()
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Changes so far; never decreases.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// Counts instances of one service by health, for the services view.
    pub fn counts_for(&self, service: &str) -> HealthCounts {
        let mut counts = HealthCounts::default();
        for row in self.rows.iter().filter(|r| r.service == service) {
            counts.add(row.health);
        }
        counts
    }
}

/// Services, kept sorted by name (there are few of them).
#[derive(Debug, Clone, Default)]
pub struct ServiceStore {
    rows: Vec<ServiceRow>,
    revision: u64,
}

impl ServiceStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces all services. Counts are the store's own (see
    /// [`ServiceStore::recount`]), so a service that stays keeps its counts.
    /// Returns true if anything changed.
    pub fn replace_all(&mut self, mut rows: Vec<ServiceRow>) -> bool {
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        for row in &mut rows {
            if let Some(old) = self.get(&row.name) {
                row.counts = old.counts;
            }
        }
        if rows == self.rows {
            return false;
        }
        self.rows = rows;
        self.revision += 1;
        true
    }

    /// Recounts instances per service and health from the instance store
    /// (one pass over the instances, so the services view never counts per
    /// frame). Counts cover the namespace being watched. Returns true if
    /// any count changed.
    pub fn recount(&mut self, instances: &InstanceStore) -> bool {
        let mut counts: HashMap<&str, HealthCounts> = HashMap::new();
        for row in instances.iter() {
            counts
                .entry(row.service.as_str())
                .or_default()
                .add(row.health);
        }
        let mut changed = false;
        for service in &mut self.rows {
            let fresh = counts
                .get(service.name.as_str())
                .copied()
                .unwrap_or_default();
            if service.counts != fresh {
                service.counts = fresh;
                changed = true;
            }
        }
        if changed {
            self.revision += 1;
        }
        changed
    }

    /// A service by name.
    pub fn get(&self, name: &str) -> Option<&ServiceRow> {
        self.rows.iter().find(|r| r.name == name)
    }

    /// All services, sorted by name.
    pub fn rows(&self) -> &[ServiceRow] {
        &self.rows
    }

    /// Service names, sorted, for command completion.
    pub fn names(&self) -> Vec<String> {
        self.rows.iter().map(|r| r.name.clone()).collect()
    }

    /// Changes so far; never decreases.
    pub fn revision(&self) -> u64 {
        self.revision
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn row(
        uid: &str,
        name: &str,
        ns: &str,
        service: &str,
        health: Health,
    ) -> InstanceRow {
        InstanceRow {
            uid: uid.to_string(),
            name: name.to_string(),
            namespace: ns.to_string(),
            service: service.to_string(),
            kind: ServiceKind::Operator,
            version: Some("1.0".to_string()),
            health,
            ready: (1, 1),
            created: 100,
            latest_event: None,
        }
    }

    pub(crate) fn service(name: &str) -> ServiceRow {
        ServiceRow {
            name: name.to_string(),
            display_name: name.to_uppercase(),
            kind: ServiceKind::Helm,
            provider: "acme".to_string(),
            allowed_versions: vec!["1.0".to_string()],
            operator: OperatorHealth::Unknown,
            install: OperatorInstall::Unknown,
            crd: CrdState::Unknown,
            problems: Vec::new(),
            counts: HealthCounts::default(),
        }
    }

    #[test]
    fn health_has_distinct_symbols_and_labels() {
        let mut symbols: Vec<char> = Health::ALL.iter().map(|h| h.symbol()).collect();
        let mut labels: Vec<&str> = Health::ALL.iter().map(|h| h.label()).collect();
        symbols.sort();
        symbols.dedup();
        labels.sort();
        labels.dedup();
        assert_eq!(symbols.len(), 6);
        assert_eq!(labels.len(), 6);
        assert_eq!(ServiceKind::Helm.label(), "helm");
        assert_eq!(ServiceKind::Operator.label(), "operator");
    }

    #[test]
    fn store_upsert_remove_relist_bump_revision() {
        let mut store = InstanceStore::new();
        assert!(store.is_empty());
        assert!(store.upsert(row("1", "a", "ns", "kafka", Health::Healthy)));
        assert_eq!(store.revision(), 1);
        assert!(!store.upsert(row("1", "a", "ns", "kafka", Health::Healthy)));
        assert_eq!(store.revision(), 1);
        assert!(store.upsert(row("1", "a", "ns", "kafka", Health::Failed)));
        assert_eq!(store.get("1").map(|r| r.health), Some(Health::Failed));
        assert!(store.upsert(row("2", "b", "ns", "kafka", Health::Healthy)));
        assert_eq!(store.len(), 2);
        let counts = store.counts_for("kafka");
        assert_eq!(counts.get(Health::Failed), 1);
        assert_eq!(counts.total(), 2);
        assert!(store.remove("1"));
        assert!(!store.remove("1"));
        store.replace_all(vec![row("3", "c", "ns", "redis", Health::Healthy)]);
        assert_eq!(store.iter().count(), 1);
        assert!(store.get("2").is_none());
        assert!(store.revision() > 5);
        assert_eq!(store.haystack(0), "c\u{1}ns\u{1}redis\u{1}1.0\u{1}healthy");
        assert_eq!(store.haystack(7), "");
    }

    #[test]
    fn remove_keeps_index_consistent() {
        let mut store = InstanceStore::new();
        for uid in ["1", "2", "3"] {
            store.upsert(row(uid, uid, "ns", "kafka", Health::Healthy));
        }
        assert!(store.remove("1"));
        assert_eq!(store.get("3").map(|r| r.name.as_str()), Some("3"));
        assert_eq!(store.get("2").map(|r| r.name.as_str()), Some("2"));
        assert_eq!(store.rows().len(), 2);
        assert!(store.remove("3"));
        assert!(store.remove("2"));
        assert!(store.is_empty());
    }

    #[test]
    fn service_store_sorts_and_detects_changes() {
        let mut store = ServiceStore::new();
        assert!(store.replace_all(vec![service("redis"), service("kafka")]));
        assert!(!store.replace_all(vec![service("kafka"), service("redis")]));
        assert_eq!(store.names(), vec!["kafka", "redis"]);
        assert_eq!(store.rows().len(), 2);
        assert_eq!(
            store.get("redis").map(|s| s.display_name.as_str()),
            Some("REDIS")
        );
        assert_eq!(store.revision(), 1);
    }

    #[test]
    fn service_counts_follow_instances() {
        let mut services = ServiceStore::new();
        services.replace_all(vec![service("kafka"), service("redis")]);
        let mut instances = InstanceStore::new();
        instances.upsert(row("1", "a", "ns", "kafka", Health::Healthy));
        instances.upsert(row("2", "b", "ns", "kafka", Health::Failed));
        instances.upsert(row("3", "c", "ns", "other", Health::Failed));
        assert!(services.recount(&instances));
        assert!(!services.recount(&instances));
        let kafka = services.get("kafka").map(|s| s.counts).unwrap_or_default();
        assert_eq!(kafka.total(), 2);
        assert_eq!(kafka.get(Health::Failed), 1);
        assert_eq!(services.get("redis").map(|s| s.counts.total()), Some(0));
        assert_eq!(services.revision(), 2);
        assert!(!services.replace_all(vec![service("redis"), service("kafka")]));
        assert_eq!(services.get("kafka").map(|s| s.counts.total()), Some(2));
    }
}
