//! The instance detail: what the cluster layer assembles for one instance
//! (owned data, already reduced to what the tabs show) and the view state of
//! the detail screen (tab, scroll, secrets revealed).

use super::rows::{Health, ServiceKind};

/// Which instance a detail is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct InstanceRef {
    /// Kubernetes uid (Helm: `helm:<namespace>/<release>`, stable across revisions).
    pub uid: String,
    /// Object (or release) name.
    pub name: String,
    /// Namespace.
    pub namespace: String,
    /// CSD name or Helm chart.
    pub service: String,
    /// Operator or Helm.
    pub kind: ServiceKind,
}

/// A tab of the detail screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DetailTab {
    /// Status descriptors, phase, version, conditions.
    Overview,
    /// The spec as YAML (Helm: the values).
    Spec,
    /// Owned resources as a tree.
    Resources,
    /// Events of the instance and its children.
    Events,
    /// Services this instance depends on.
    Dependencies,
    /// Helm only: release revisions.
    History,
    /// Helm only: the chart's notes.
    Notes,
    /// What looks wrong, with the evidence and where to look.
    Diagnosis,
}

impl DetailTab {
    /// Tabs of an operator instance, in order.
    pub const OPERATOR: [DetailTab; 6] = [
        DetailTab::Overview,
        DetailTab::Spec,
        DetailTab::Resources,
        DetailTab::Events,
        DetailTab::Dependencies,
        DetailTab::Diagnosis,
    ];

    /// Tabs of a Helm release, in order.
    pub const HELM: [DetailTab; 7] = [
        DetailTab::Overview,
        DetailTab::Spec,
        DetailTab::Resources,
        DetailTab::Events,
        DetailTab::History,
        DetailTab::Notes,
        DetailTab::Diagnosis,
    ];

    /// Tabs for a kind of service.
    pub fn for_kind(kind: ServiceKind) -> &'static [DetailTab] {
        match kind {
            ServiceKind::Operator => &Self::OPERATOR,
            ServiceKind::Helm => &Self::HELM,
        }
    }

    /// Tab title.
    pub fn title(self, kind: ServiceKind) -> &'static str {
        match (self, kind) {
            (DetailTab::Overview, _) => "Overview",
            (DetailTab::Spec, ServiceKind::Operator) => "Spec",
            (DetailTab::Spec, ServiceKind::Helm) => "Values",
            (DetailTab::Resources, _) => "Resources",
            (DetailTab::Events, _) => "Events",
            (DetailTab::Dependencies, _) => "Dependencies",
            (DetailTab::History, _) => "History",
            (DetailTab::Notes, _) => "Notes",
            (DetailTab::Diagnosis, _) => "Diagnosis",
        }
    }
}

/// One labelled value of the overview (a status descriptor, the phase...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// Label (descriptor display name).
    pub label: String,
    /// Value as text ("-" when absent).
    pub value: String,
}

/// A status condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionRow {
    /// Condition type (Ready, Upgrading...).
    pub type_: String,
    /// "True", "False" or "Unknown".
    pub status: String,
    /// Whether this condition's status is the healthy one (Ready=True,
    /// Failed=False...): decides its colour.
    pub good: bool,
    /// Machine reason.
    pub reason: String,
    /// Human message.
    pub message: String,
    /// Last transition, seconds since the Unix epoch.
    pub last_transition: Option<i64>,
}

/// A node of the owned-resources tree, in display (pre-order) order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceNode {
    /// Nesting depth; 0 for the instance's direct children.
    pub depth: u16,
    /// Kind (StatefulSet, Pod...).
    pub kind: String,
    /// Name.
    pub name: String,
    /// Health of this object.
    pub health: Health,
    /// Short state ("2/3 ready", "Running, 4 restarts", "Bound 1Gi").
    pub status: String,
    /// Why it is unhealthy, when it is (e.g. "CrashLoopBackOff: back-off 5m").
    pub reason: Option<String>,
    /// Pods only: what diagnosis needs beyond the status line.
    pub pod: Option<PodFacts>,
}

/// What diagnosis needs of a pod beyond its tree node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PodFacts {
    /// The first container's name (whose logs a finding leads to).
    pub container: Option<String>,
    /// Sum of container restarts.
    pub restarts: u32,
    /// How a container's previous run ended, when it was killed or failed
    /// ("OOMKilled, exit code 137"), even if the pod is ready again.
    pub last_termination: Option<String>,
    /// The scheduler's reason when the pod cannot be placed
    /// ("0/3 nodes are available: 3 Insufficient cpu.").
    pub unschedulable: Option<String>,
}

/// One event about the instance or a child.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// Last seen, seconds since the Unix epoch.
    pub time: i64,
    /// Whether it is a Warning (else Normal).
    pub warning: bool,
    /// Reason.
    pub reason: String,
    /// "Kind/name" of the object it is about.
    pub object: String,
    /// Message.
    pub message: String,
    /// How many times it was seen.
    pub count: u32,
}

/// An instance this one depends on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyRow {
    /// The service depended on.
    pub service: String,
    /// The instance's namespace/name when known.
    pub instance: Option<String>,
    /// Its health (Unknown when not found).
    pub health: Health,
    /// What was found, in words ("not found in team-b").
    pub note: String,
}

/// One revision of a Helm release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmRevision {
    /// Revision number.
    pub revision: u32,
    /// Release status (deployed, superseded, failed...).
    pub status: String,
    /// chart-version.
    pub chart: String,
    /// App version.
    pub app_version: String,
    /// Last deployed, seconds since the Unix epoch.
    pub updated: Option<i64>,
    /// Helm's description (e.g. "Upgrade complete").
    pub description: String,
}

/// What is shown for a Helm release.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HelmDetail {
    /// Status of the latest revision.
    pub status: String,
    /// Chart name.
    pub chart: String,
    /// Chart version.
    pub chart_version: String,
    /// App version.
    pub app_version: String,
    /// Latest revision number.
    pub revision: u32,
    /// All revisions, newest first.
    pub history: Vec<HelmRevision>,
    /// User-supplied values as YAML.
    pub user_values: String,
    /// Computed values (chart defaults merged with the user's) as YAML,
    /// with password-like keys masked.
    pub computed_values: String,
    /// The same, unmasked; shown only when the user reveals it.
    pub computed_values_revealed: String,
    /// The chart's NOTES.txt as rendered.
    pub notes: String,
    /// Kind/name of every object of the manifest.
    pub manifest_resources: Vec<(String, String)>,
}

/// Everything the detail tabs show, assembled by the cluster layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceDetail {
    /// The instance.
    pub target: InstanceRef,
    /// Health summary (same rule as the instance list).
    pub health: Health,
    /// Overview fields: phase, version, then the status descriptors.
    pub overview: Vec<Field>,
    /// Status conditions.
    pub conditions: Vec<ConditionRow>,
    /// Spec as YAML with password descriptors and secrets masked
    /// (Helm: user-supplied values, masked the same way).
    pub spec_masked: String,
    /// The same, unmasked; shown only when the user reveals it.
    pub spec_revealed: String,
    /// Owned resources, as a pre-order tree.
    pub resources: Vec<ResourceNode>,
    /// Events, newest first.
    pub events: Vec<EventRow>,
    /// Dependencies and their health.
    pub dependencies: Vec<DependencyRow>,
    /// Helm releases only.
    pub helm: Option<HelmDetail>,
    /// What could not be read, in words (e.g. "events: forbidden").
    pub problems: Vec<String>,
    /// The instance's `metadata.generation` (None for Helm releases).
    pub generation: Option<i64>,
    /// The generation the operator last reported it acted on
    /// (`status.observedGeneration`); None when it reports none.
    pub observed_generation: Option<i64>,
}

/// The detail screen's own state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetailState {
    /// What is shown.
    pub target: InstanceRef,
    /// Latest data; None until the first snapshot arrives.
    pub data: Option<Box<InstanceDetail>>,
    /// Why loading failed, if it did.
    pub error: Option<String>,
    /// Tab shown.
    pub tab: DetailTab,
    /// First line shown in the tab body.
    pub scroll: usize,
    /// Secrets and passwords shown in clear.
    pub reveal: bool,
    /// Helm values tab: computed values instead of user-supplied ones.
    pub computed_values: bool,
    /// What looks wrong, worst first; recomputed by `update` when the data
    /// or the services change.
    pub findings: Vec<super::diagnosis::Finding>,
    /// The selected finding on the Diagnosis tab (Enter follows it).
    pub finding_cursor: usize,
}

impl DetailState {
    /// A detail screen waiting for its first snapshot.
    pub fn new(target: InstanceRef) -> Self {
        Self {
            target,
            data: None,
            error: None,
            tab: DetailTab::Overview,
            scroll: 0,
            reveal: false,
            computed_values: false,
            findings: Vec::new(),
            finding_cursor: 0,
        }
    }

    /// The tabs of this instance's kind.
    pub fn tabs(&self) -> &'static [DetailTab] {
        DetailTab::for_kind(self.target.kind)
    }

    /// The YAML the Spec/Values tab shows, honouring reveal and the Helm
    /// computed-values switch.
    pub fn spec_text(&self) -> Option<&str> {
        let data = self.data.as_ref()?;
        let text = match (&data.helm, self.computed_values, self.reveal) {
            (Some(helm), true, false) => &helm.computed_values,
            (Some(helm), true, true) => &helm.computed_values_revealed,
            (_, _, true) => &data.spec_revealed,
            _ => &data.spec_masked,
        };
        Some(text)
    }

    /// The first line to show so that the selected finding (two lines) is
    /// visible in a body of `height` lines, moving `scroll` as little as
    /// possible.
    pub fn scroll_to_finding(&self, height: usize) -> usize {
        super::diagnosis::keep_visible(self.finding_cursor, self.scroll, height)
    }

    /// Number of body lines of the current tab, for scrolling bounds.
    /// Must agree with what the UI draws, line for line.
    pub fn body_lines(&self) -> usize {
        let Some(data) = &self.data else {
            return 0;
        };
        match self.tab {
            DetailTab::Overview => {
                // Fields, a blank line, a heading, then one line per condition.
                data.overview.len() + 2 + data.conditions.len().max(1)
            }
            DetailTab::Spec => self.spec_text().map_or(0, |text| text.lines().count()),
            DetailTab::Resources => data.resources.len().max(1),
            DetailTab::Events => data.events.len().max(1),
            DetailTab::Dependencies => data.dependencies.len().max(1),
            DetailTab::History => data.helm.as_ref().map_or(1, |h| h.history.len().max(1)),
            DetailTab::Notes => data
                .helm
                .as_ref()
                .map_or(1, |h| h.notes.lines().count().max(1)),
            // Two lines a finding (what, then evidence and where to look);
            // one line saying nothing was found.
            DetailTab::Diagnosis => (self.findings.len() * 2).max(1),
        }
    }
}
