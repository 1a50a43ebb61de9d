//! Diagnosis of one instance, and of one service: findings with a severity,
//! the evidence, and where to look next, derived from what the detail already
//! holds (pods and their reasons, conditions, events, Helm history) plus what
//! the hub knows of the service (operator health and rollout, CRD drift,
//! allowed versions). The OSC FAQ cases read as their answer: what happened
//! and what to do.
//!
//! Computed in `update` when the detail or the services change, never per
//! frame; pure, so every rule is a unit test.

use super::detail::ResourceNode;
use super::detail::{DetailTab, InstanceDetail};
use super::rows::{
    CrdState, Health, InstanceRow, OperatorHealth, OperatorInstall, ServiceKind, ServiceRow,
};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The instance does not work, or will not recover by itself.
    Critical,
    /// Something is wrong or about to be.
    Warning,
    /// Worth knowing.
    Info,
}

impl Severity {
    /// A symbol so severity reads without colour.
    pub fn symbol(self) -> char {
        match self {
            Severity::Critical => '✗',
            Severity::Warning => '!',
            Severity::Info => 'i',
        }
    }

    /// A word for the severity.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// The health colour a finding of this severity is drawn in.
    pub fn health(self) -> Health {
        match self {
            Severity::Critical => Health::Failed,
            Severity::Warning => Health::Degraded,
            Severity::Info => Health::Unknown,
        }
    }
}

/// Where a finding leads.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LookAt {
    /// A tab of this detail.
    Tab(DetailTab),
    /// The services view (the operator's row).
    Services,
    /// The instance's logs: one pod's when named, else all of them.
    Logs {
        /// The pod, when the finding is about one.
        pod: Option<String>,
    },
    /// The instances of the service.
    Instances,
    /// One instance's detail, on its Diagnosis tab.
    Instance {
        /// Its uid.
        uid: String,
        /// "namespace/name", for the hint.
        label: String,
    },
}

impl LookAt {
    /// Words for the hint ("Resources", "the logs of pod x").
    pub fn label(&self, kind: ServiceKind) -> String {
        match self {
            LookAt::Tab(tab) => tab.title(kind).to_owned(),
            LookAt::Services => "the services view (operator)".to_owned(),
            LookAt::Logs { pod: Some(pod) } => format!("the logs of {pod}"),
            LookAt::Logs { pod: None } => "the logs".to_owned(),
            LookAt::Instances => "the service's instances".to_owned(),
            LookAt::Instance { label, .. } => format!("the diagnosis of {label}"),
        }
    }
}

/// One thing found wrong (or worth knowing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// How bad.
    pub severity: Severity,
    /// What, in a line.
    pub title: String,
    /// Why we think so: the reason, message or status seen.
    pub evidence: String,
    /// Where to look next.
    pub look_at: LookAt,
}

/// What diagnosis needs beyond the detail itself.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// The operator of the instance's service, when known.
    pub operator: Option<&'a OperatorHealth>,
    /// Versions the service allows (empty: not declared).
    pub allowed_versions: &'a [String],
    /// The instance's version, when known.
    pub version: Option<&'a str>,
    /// The rollout of the service's operator (FAQ 2), when known.
    pub install: Option<&'a OperatorInstall>,
    /// The service's CRD against its CSD (FAQ 3), when known.
    pub crd: Option<&'a CrdState>,
}

/// A pod restarting more than this, even if ready now, is worth a warning.
pub const RESTART_WARNING: u32 = 3;

/// The FAQ 2 finding of an operator that is down, worded by its rollout.
/// Titles stay short enough for an 80-column screen; the evidence says why.
fn operator_finding(reason: &str, install: Option<&OperatorInstall>) -> Finding {
    match install {
        Some(OperatorInstall::Stuck { reason: why }) => Finding {
            severity: Severity::Critical,
            title: "the operator is stuck installing: fix the cause below and it resumes"
                .to_owned(),
            evidence: format!("past its progress deadline: {why}"),
            look_at: LookAt::Services,
        },
        Some(OperatorInstall::Installing { reason: why }) => Finding {
            severity: Severity::Warning,
            title: "the operator is still installing: nothing is reconciled yet".to_owned(),
            evidence: why.clone(),
            look_at: LookAt::Services,
        },
        _ => Finding {
            severity: Severity::Critical,
            title: "the service's operator is not running: changes are not reconciled".to_owned(),
            evidence: reason.to_owned(),
            look_at: LookAt::Services,
        },
    }
}

/// The FAQ 3 finding of a CRD older than the package, if any.
fn crd_finding(crd: &CrdState) -> Option<Finding> {
    match crd {
        CrdState::Missing { crd } => Some(Finding {
            severity: Severity::Critical,
            title: "the service's CRD is not installed: apply the CRD of the service package"
                .to_owned(),
            evidence: format!("CRD {crd} not found in the cluster"),
            look_at: LookAt::Services,
        }),
        CrdState::Drift {
            crd,
            version,
            missing,
        } => Some(Finding {
            severity: Severity::Warning,
            title: "the CRD is older than the package: apply the package's CRD".to_owned(),
            evidence: format!("{crd} {version} lacks: {}", missing.join(", ")),
            look_at: LookAt::Services,
        }),
        CrdState::Unreadable { crd, reason } => Some(Finding {
            severity: Severity::Info,
            title: "the service's CRD could not be compared with its CSD".to_owned(),
            evidence: format!("{crd}: {reason}"),
            look_at: LookAt::Services,
        }),
        CrdState::Unknown | CrdState::Current => None,
    }
}

/// Findings about one pod of the instance.
fn pod_findings(node: &ResourceNode, findings: &mut Vec<Finding>) {
    let facts = node.pod.clone().unwrap_or_default();
    let name = format!("Pod/{}", node.name);
    let logs = LookAt::Logs {
        pod: Some(node.name.clone()),
    };
    let oom = facts
        .last_termination
        .as_deref()
        .filter(|t| t.contains("OOMKilled"));
    let restarts = match facts.restarts {
        0 => String::new(),
        1 => "; 1 restart".to_owned(),
        n => format!("; {n} restarts"),
    };
    let last_run = facts
        .last_termination
        .as_ref()
        .map(|t| format!("; last run: {t}"))
        .unwrap_or_default();
    if node.health != Health::Healthy
        && node.health != Health::Deleting
        && let Some(message) = facts.unschedulable.as_deref().or_else(|| {
            node.reason
                .as_deref()
                .and_then(|r| r.strip_prefix("Unschedulable: "))
        })
    {
        findings.push(Finding {
            severity: Severity::Critical,
            title: format!("{name} is Pending: no node fits it; lower its requests or add nodes"),
            evidence: format!("scheduler: {message}"),
            look_at: LookAt::Tab(DetailTab::Events),
        });
        return;
    }
    let severity = match node.health {
        Health::Failed => Severity::Critical,
        Health::Degraded => Severity::Warning,
        Health::Progressing if node.reason.is_some() => Severity::Warning,
        _ => {
            if let Some(oom) = oom {
                findings.push(Finding {
                    severity: Severity::Warning,
                    title: format!("{name} was OOMKilled and restarted: raise its memory limit"),
                    evidence: format!("{oom}{restarts}"),
                    look_at: logs,
                });
            } else if facts.restarts > RESTART_WARNING && node.health == Health::Healthy {
                findings.push(Finding {
                    severity: Severity::Warning,
                    title: format!("{name} restarted {} times", facts.restarts),
                    evidence: format!("{}{last_run}", node.status),
                    look_at: logs,
                });
            }
            return;
        }
    };
    let reason = node.reason.as_deref().unwrap_or("");
    let (title, look_at) = if reason.starts_with("CrashLoopBackOff") {
        (
            format!("{name} is crash looping: its logs say why it exits"),
            logs,
        )
    } else if reason.starts_with("ImagePullBackOff") || reason.starts_with("ErrImagePull") {
        (
            format!("{name} cannot pull its image: check the image and registry access"),
            LookAt::Tab(DetailTab::Events),
        )
    } else if reason.contains("OOMKilled") || oom.is_some() {
        (
            format!("{name} was OOMKilled: raise its memory limit"),
            logs,
        )
    } else {
        (
            format!("{name} is {}", node.health.label()),
            LookAt::Tab(DetailTab::Resources),
        )
    };
    let evidence = if reason.is_empty() {
        format!("{}{last_run}", node.status)
    } else {
        format!("{reason} ({}){last_run}", node.status)
    };
    findings.push(Finding {
        severity,
        title,
        evidence,
        look_at,
    });
}

/// The first line to show so that finding `cursor` (two lines a finding)
/// is visible in a body of `height` lines, moving `scroll` as little as possible.
pub fn keep_visible(cursor: usize, scroll: usize, height: usize) -> usize {
    let top = cursor * 2;
    let height = height.max(2);
    if top < scroll {
        top
    } else if top + 2 > scroll + height {
        top + 2 - height
    } else {
        scroll
    }
}

/// Findings for an instance, worst first.
pub fn diagnose(data: &InstanceDetail, context: Context<'_>) -> Vec<Finding> {
    let mut findings = Vec::new();
    let operator_down = match context.operator {
        Some(OperatorHealth::NotAvailable { reason }) => Some(reason.as_str()),
        _ => None,
    };

    if data.health == Health::Deleting {
        match operator_down {
            // OSC FAQ 1: a deletion that hangs because the operator that
            // must remove the finalizers is not running.
            Some(reason) => findings.push(Finding {
                severity: Severity::Critical,
                title: "deletion is stuck: its finalizers wait for an operator that is not running"
                    .to_owned(),
                evidence: format!("operator: {reason}"),
                look_at: LookAt::Services,
            }),
            None => findings.push(Finding {
                severity: Severity::Info,
                title: "the instance is being deleted".to_owned(),
                evidence: "its finalizers are still being processed".to_owned(),
                look_at: LookAt::Tab(DetailTab::Events),
            }),
        }
    } else if let Some(reason) = operator_down {
        // OSC FAQ 2: nothing reconciles while the operator is down.
        findings.push(operator_finding(reason, context.install));
    }
    if let Some(finding) = context.crd.and_then(crd_finding) {
        findings.push(finding);
    }

    for node in &data.resources {
        if node.kind == "Pod" {
            pod_findings(node, &mut findings);
            continue;
        }
        let severity = match node.health {
            Health::Failed => Severity::Critical,
            Health::Degraded => Severity::Warning,
            Health::Progressing if node.reason.is_some() => Severity::Warning,
            _ => continue,
        };
        findings.push(Finding {
            severity,
            title: format!("{}/{} is {}", node.kind, node.name, node.health.label()),
            evidence: match &node.reason {
                Some(reason) => format!("{reason} ({})", node.status),
                None => node.status.clone(),
            },
            look_at: LookAt::Tab(DetailTab::Resources),
        });
    }

    for condition in data.conditions.iter().filter(|c| !c.good) {
        let severity = match condition.type_.as_str() {
            "Failed" | "UpgradeFailed" | "Ready" | "Available" => Severity::Critical,
            _ => Severity::Warning,
        };
        let reason = if condition.reason.is_empty() {
            String::new()
        } else {
            format!(" ({})", condition.reason)
        };
        findings.push(Finding {
            severity,
            title: format!(
                "condition {} is {}{reason}",
                condition.type_, condition.status
            ),
            evidence: if condition.message.is_empty() {
                "no message".to_owned()
            } else {
                condition.message.clone()
            },
            look_at: LookAt::Tab(DetailTab::Overview),
        });
    }

    // Warning events, one finding per reason: how many, and the newest.
    let mut reasons: Vec<(&str, u32, &str, &str)> = Vec::new();
    for event in data.events.iter().filter(|e| e.warning) {
        match reasons.iter_mut().find(|(r, ..)| *r == event.reason) {
            Some(entry) => entry.1 = entry.1.saturating_add(event.count.max(1)),
            // Events are newest first, so the first seen is the newest.
            None => reasons.push((
                &event.reason,
                event.count.max(1),
                &event.object,
                &event.message,
            )),
        }
    }
    for (reason, count, object, message) in reasons {
        findings.push(Finding {
            severity: Severity::Warning,
            title: format!(
                "{count} warning event{} {reason}",
                if count == 1 { "" } else { "s" }
            ),
            evidence: format!("newest, on {object}: {message}"),
            look_at: LookAt::Tab(DetailTab::Events),
        });
    }

    if let Some(version) = context.version
        && !context.allowed_versions.is_empty()
        && !context.allowed_versions.iter().any(|v| v == version)
    {
        findings.push(Finding {
            severity: Severity::Warning,
            title: format!("version {version} is not one the service allows"),
            evidence: format!("allowed: {}", context.allowed_versions.join(", ")),
            look_at: LookAt::Tab(DetailTab::Spec),
        });
    }

    if let Some(helm) = &data.helm
        && helm.status == "failed"
    {
        let description = helm
            .history
            .first()
            .map(|r| r.description.clone())
            .unwrap_or_default();
        findings.push(Finding {
            severity: Severity::Critical,
            title: format!("Helm revision {} failed", helm.revision),
            evidence: if description.is_empty() {
                "no description".to_owned()
            } else {
                description
            },
            look_at: LookAt::Tab(DetailTab::History),
        });
    }

    for problem in &data.problems {
        findings.push(Finding {
            severity: Severity::Info,
            title: "part of the instance could not be read".to_owned(),
            evidence: problem.clone(),
            look_at: LookAt::Tab(DetailTab::Overview),
        });
    }

    // Worst first; the order within a severity is the order of the rules.
    findings.sort_by_key(|f| f.severity);
    findings
}

/// Findings about a service: its operator (FAQ 2), its CSD and CRD
/// (FAQ 3), versions outside the allowed tags, and its instances by health
/// with the failing ones named; worst first. `instances` are the service's.
pub fn diagnose_service(service: &ServiceRow, instances: &[&InstanceRow]) -> Vec<Finding> {
    let mut findings = Vec::new();
    if let OperatorHealth::NotAvailable { reason } = &service.operator {
        findings.push(operator_finding(reason, Some(&service.install)));
    }
    for problem in &service.problems {
        findings.push(Finding {
            severity: Severity::Warning,
            title: "the CSD has a defect: the field was ignored or defaulted".to_owned(),
            evidence: problem.clone(),
            look_at: LookAt::Services,
        });
    }
    if let Some(finding) = crd_finding(&service.crd) {
        findings.push(finding);
    }

    let mut sorted: Vec<&InstanceRow> = instances.to_vec();
    // Worst health first, then by namespace/name for a stable order.
    let rank = |h: Health| match h {
        Health::Failed => 0,
        Health::Deleting => 1,
        Health::Degraded => 2,
        Health::Progressing => 3,
        Health::Unknown => 4,
        Health::Healthy => 5,
    };
    sorted.sort_by(|a, b| {
        rank(a.health)
            .cmp(&rank(b.health))
            .then_with(|| a.namespace.cmp(&b.namespace))
            .then_with(|| a.name.cmp(&b.name))
    });
    for row in &sorted {
        let severity = match row.health {
            Health::Failed => Severity::Critical,
            Health::Degraded | Health::Deleting => Severity::Warning,
            _ => continue,
        };
        let label = format!("{}/{}", row.namespace, row.name);
        let title = if row.kind == ServiceKind::Helm && row.health == Health::Failed {
            format!("Helm release {label}: its latest revision failed")
        } else {
            format!("{label} is {}", row.health.label())
        };
        findings.push(Finding {
            severity,
            title,
            evidence: row
                .latest_event
                .clone()
                .unwrap_or_else(|| format!("{}/{} pods ready", row.ready.0, row.ready.1)),
            look_at: LookAt::Instance {
                uid: row.uid.clone(),
                label,
            },
        });
    }
    if !service.allowed_versions.is_empty() {
        for row in &sorted {
            let Some(version) = &row.version else {
                continue;
            };
            if service.allowed_versions.iter().any(|v| v == version) {
                continue;
            }
            let label = format!("{}/{}", row.namespace, row.name);
            findings.push(Finding {
                severity: Severity::Warning,
                title: format!("{label} runs version {version}, not one the service allows"),
                evidence: format!("allowed: {}", service.allowed_versions.join(", ")),
                look_at: LookAt::Instance {
                    uid: row.uid.clone(),
                    label,
                },
            });
        }
    }
    // The overall picture last: how many instances in each health.
    let mut counts: Vec<String> = Vec::new();
    for health in Health::ALL {
        let n = sorted.iter().filter(|r| r.health == health).count();
        if n > 0 {
            counts.push(format!("{n} {}", health.label()));
        }
    }
    findings.push(Finding {
        severity: Severity::Info,
        title: format!(
            "{} instance{} in view",
            sorted.len(),
            if sorted.len() == 1 { "" } else { "s" }
        ),
        evidence: if counts.is_empty() {
            "none".to_owned()
        } else {
            counts.join(", ")
        },
        look_at: LookAt::Instances,
    });
    findings.sort_by_key(|f| f.severity);
    findings
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::detail::{
        ConditionRow, EventRow, HelmDetail, HelmRevision, InstanceRef, PodFacts, ResourceNode,
    };
    use crate::state::rows::tests::{row, service};

    fn pod(
        name: &str,
        health: Health,
        status: &str,
        reason: Option<&str>,
        facts: PodFacts,
    ) -> ResourceNode {
        ResourceNode {
            depth: 1,
            kind: "Pod".into(),
            name: name.into(),
            health,
            status: status.into(),
            reason: reason.map(Into::into),
            pod: Some(facts),
        }
    }

    #[test]
    fn pending_pod_shows_the_schedulers_reason() {
        let mut data = detail(ServiceKind::Operator, Health::Progressing);
        data.resources.push(pod(
            "bulk-0",
            Health::Progressing,
            "Pending, not ready",
            Some("Unschedulable: 0/3 nodes are available: 3 Insufficient cpu."),
            PodFacts {
                unschedulable: Some("0/3 nodes are available: 3 Insufficient cpu.".into()),
                ..PodFacts::default()
            },
        ));
        let findings = diagnose(&data, Context::default());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Critical);
        assert!(
            findings[0]
                .title
                .starts_with("Pod/bulk-0 is Pending: no node fits it")
        );
        assert_eq!(
            findings[0].evidence,
            "scheduler: 0/3 nodes are available: 3 Insufficient cpu."
        );
        assert_eq!(findings[0].look_at, LookAt::Tab(DetailTab::Events));
    }

    #[test]
    fn oom_killed_and_restarting_pods_are_flagged_even_when_ready() {
        let mut data = detail(ServiceKind::Operator, Health::Healthy);
        let oom = PodFacts {
            container: Some("exporter".into()),
            restarts: 4,
            last_termination: Some("container exporter: OOMKilled, exit code 137".into()),
            unschedulable: None,
        };
        data.resources.push(pod(
            "a-0",
            Health::Healthy,
            "Running, ready, 4 restarts",
            None,
            oom.clone(),
        ));
        let restarted = PodFacts {
            restarts: RESTART_WARNING + 1,
            ..PodFacts::default()
        };
        data.resources.push(pod(
            "a-1",
            Health::Healthy,
            "Running, ready",
            None,
            restarted,
        ));
        let calm = PodFacts {
            restarts: RESTART_WARNING,
            ..PodFacts::default()
        };
        data.resources
            .push(pod("a-2", Health::Healthy, "Running, ready", None, calm));
        data.resources.push(pod(
            "a-3",
            Health::Failed,
            "Running, not ready, 4 restarts",
            Some("OOMKilled (last run)"),
            oom,
        ));
        let findings = diagnose(&data, Context::default());
        let titles: Vec<&str> = findings.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Pod/a-3 was OOMKilled: raise its memory limit",
                "Pod/a-0 was OOMKilled and restarted: raise its memory limit",
                "Pod/a-1 restarted 4 times",
            ]
        );
        assert_eq!(
            findings[1].evidence,
            "container exporter: OOMKilled, exit code 137; 4 restarts"
        );
        assert_eq!(
            findings[1].look_at,
            LookAt::Logs {
                pod: Some("a-0".into())
            }
        );
    }

    #[test]
    fn image_pull_leads_to_events() {
        let mut data = detail(ServiceKind::Helm, Health::Failed);
        data.resources.push(pod(
            "web-1",
            Health::Failed,
            "Pending, not ready",
            Some("ImagePullBackOff: Back-off pulling image"),
            PodFacts::default(),
        ));
        let findings = diagnose(&data, Context::default());
        assert!(findings[0].title.contains("cannot pull its image"));
        assert_eq!(findings[0].look_at, LookAt::Tab(DetailTab::Events));
    }

    #[test]
    fn operator_stuck_installing_and_crd_drift_explain_an_instance() {
        let data = detail(ServiceKind::Operator, Health::Unknown);
        let down = OperatorHealth::NotAvailable {
            reason: "ImagePullBackOff (deployment not available)".into(),
        };
        let stuck = OperatorInstall::Stuck {
            reason: "ImagePullBackOff: Back-off pulling image; Deployment does not have minimum availability.".into(),
        };
        let drift = CrdState::Drift {
            crd: "hwredises.osctest.osctui.dev".into(),
            version: "v1".into(),
            missing: vec!["spec.persistence.mode".into(), "status.role".into()],
        };
        let findings = diagnose(
            &data,
            Context {
                operator: Some(&down),
                install: Some(&stuck),
                crd: Some(&drift),
                ..Context::default()
            },
        );
        assert_eq!(findings.len(), 2);
        assert!(
            findings[0]
                .title
                .starts_with("the operator is stuck installing")
        );
        assert!(
            findings[0]
                .evidence
                .starts_with("past its progress deadline: ImagePullBackOff")
        );
        assert_eq!(findings[1].severity, Severity::Warning);
        assert!(
            findings[1]
                .title
                .starts_with("the CRD is older than the package")
        );
        assert_eq!(
            findings[1].evidence,
            "hwredises.osctest.osctui.dev v1 lacks: spec.persistence.mode, status.role"
        );
        let installing = OperatorInstall::Installing {
            reason: "pending".into(),
        };
        let missing = CrdState::Missing { crd: "x.y".into() };
        let findings = diagnose(
            &data,
            Context {
                operator: Some(&down),
                install: Some(&installing),
                crd: Some(&missing),
                ..Context::default()
            },
        );
        assert_eq!(findings[0].severity, Severity::Critical);
        assert!(
            findings[0]
                .title
                .starts_with("the service's CRD is not installed")
        );
        assert!(
            findings[1]
                .title
                .starts_with("the operator is still installing")
        );
    }

    #[test]
    fn service_findings_name_the_failing_instances_worst_first() {
        let mut redis = service("redis");
        redis.kind = ServiceKind::Operator;
        redis.allowed_versions = vec!["7.2.5".into(), "7.4.1".into()];
        redis.operator = OperatorHealth::NotAvailable {
            reason: "ImagePullBackOff".into(),
        };
        redis.install = OperatorInstall::Stuck {
            reason: "ImagePullBackOff: back-off".into(),
        };
        redis.crd = CrdState::Drift {
            crd: "hwredises.osctest.osctui.dev".into(),
            version: "v1".into(),
            missing: vec!["spec.persistence.mode".into()],
        };
        redis.problems = vec!["spec.role: unknown role".into()];
        let mut sessions = row("u1", "sessions", "team-a", "redis", Health::Deleting);
        sessions.version = Some("7.2.5".into());
        let mut broken = row("u2", "broken", "team-b", "redis", Health::Failed);
        broken.version = Some("6.0.0".into());
        broken.latest_event = Some("Back-off restarting failed container".into());
        let mut fine = row("u3", "fine", "team-a", "redis", Health::Healthy);
        fine.version = Some("7.4.1".into());
        let findings = diagnose_service(&redis, &[&fine, &sessions, &broken]);
        let titles: Vec<&str> = findings.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(titles.len(), 7, "{titles:#?}");
        assert!(titles[0].starts_with("the operator is stuck installing"));
        assert_eq!(titles[1], "team-b/broken is failed");
        assert!(titles[2].starts_with("the CSD has a defect"));
        assert!(titles[3].starts_with("the CRD is older"));
        assert_eq!(titles[4], "team-a/sessions is deleting");
        assert_eq!(
            titles[5],
            "team-b/broken runs version 6.0.0, not one the service allows"
        );
        assert_eq!(titles[6], "3 instances in view");
        assert_eq!(findings[6].evidence, "1 healthy, 1 failed, 1 deleting");
        assert_eq!(findings[1].evidence, "Back-off restarting failed container");
        assert_eq!(
            findings[1].look_at,
            LookAt::Instance {
                uid: "u2".into(),
                label: "team-b/broken".into()
            }
        );
        assert_eq!(findings[6].look_at, LookAt::Instances);

        let mut cache = service("memcached");
        cache.allowed_versions = Vec::new();
        let mut release = row("helm:a/web", "web", "a", "memcached", Health::Failed);
        release.kind = ServiceKind::Helm;
        let findings = diagnose_service(&cache, &[&release]);
        assert_eq!(
            findings[0].title,
            "Helm release a/web: its latest revision failed"
        );
        assert_eq!(findings[0].evidence, "1/1 pods ready");
        assert_eq!(findings.len(), 2);
    }

    fn detail(kind: ServiceKind, health: Health) -> InstanceDetail {
        InstanceDetail {
            target: InstanceRef {
                uid: "u".into(),
                name: "legacy-events".into(),
                namespace: "team-b".into(),
                service: "kafka".into(),
                kind,
            },
            health,
            overview: Vec::new(),
            conditions: Vec::new(),
            spec_masked: String::new(),
            spec_revealed: String::new(),
            resources: Vec::new(),
            events: Vec::new(),
            dependencies: Vec::new(),
            helm: None,
            problems: Vec::new(),
            generation: None,
            observed_generation: None,
        }
    }

    fn event(reason: &str, message: &str, count: u32, warning: bool) -> EventRow {
        EventRow {
            time: 0,
            warning,
            reason: reason.into(),
            object: "Pod/legacy-events-2".into(),
            message: message.into(),
            count,
        }
    }

    #[test]
    fn healthy_instance_has_no_findings() {
        let data = detail(ServiceKind::Operator, Health::Healthy);
        let available = OperatorHealth::Available;
        let context = Context {
            operator: Some(&available),
            allowed_versions: &["3.7.1".to_owned()],
            version: Some("3.7.1"),
            install: Some(&OperatorInstall::Installed),
            crd: Some(&CrdState::Current),
        };
        assert_eq!(diagnose(&data, context), Vec::new());
    }

    #[test]
    fn failed_upgrade_is_explained_worst_first() {
        let mut data = detail(ServiceKind::Operator, Health::Failed);
        data.resources.push(ResourceNode {
            depth: 1,
            kind: "Pod".into(),
            name: "legacy-events-2".into(),
            health: Health::Failed,
            status: "Running, not ready, 5 restarts".into(),
            reason: Some("CrashLoopBackOff: back-off 2m40s".into()),
            pod: Some(PodFacts {
                container: Some("kafka".into()),
                restarts: 5,
                last_termination: Some("container kafka: Error, exit code 1".into()),
                unschedulable: None,
            }),
        });
        data.resources.push(ResourceNode {
            depth: 0,
            kind: "ConfigMap".into(),
            name: "cfg".into(),
            health: Health::Healthy,
            status: "1 key".into(),
            reason: None,
            pod: None,
        });
        data.conditions.push(ConditionRow {
            type_: "Degraded".into(),
            status: "True".into(),
            good: false,
            reason: "BrokersNotReady".into(),
            message: "2 of 3 brokers ready".into(),
            last_transition: None,
        });
        data.conditions.push(ConditionRow {
            type_: "Failed".into(),
            status: "True".into(),
            good: false,
            reason: "UpgradeFailed".into(),
            message: "broker pod legacy-events-2 is crash looping".into(),
            last_transition: None,
        });
        data.events = vec![
            event("BackOff", "Back-off restarting failed container", 12, true),
            event("Created", "created", 1, false),
            event("BackOff", "older", 3, true),
        ];
        let findings = diagnose(&data, Context::default());
        let titles: Vec<&str> = findings.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Pod/legacy-events-2 is crash looping: its logs say why it exits",
                "condition Failed is True (UpgradeFailed)",
                "condition Degraded is True (BrokersNotReady)",
                "15 warning events BackOff",
            ]
        );
        assert_eq!(findings[0].severity, Severity::Critical);
        assert!(findings[0].evidence.starts_with("CrashLoopBackOff"));
        assert!(
            findings[0]
                .evidence
                .contains("last run: container kafka: Error")
        );
        assert_eq!(
            findings[0].look_at,
            LookAt::Logs {
                pod: Some("legacy-events-2".into())
            }
        );
        assert!(findings[3].evidence.contains("Back-off restarting"));
        assert_eq!(findings[3].look_at, LookAt::Tab(DetailTab::Events));
    }

    #[test]
    fn deletion_stuck_on_a_dead_operator() {
        let data = detail(ServiceKind::Operator, Health::Deleting);
        let down = OperatorHealth::NotAvailable {
            reason: "ImagePullBackOff: registry.invalid/redis-operator".into(),
        };
        let findings = diagnose(
            &data,
            Context {
                operator: Some(&down),
                ..Context::default()
            },
        );
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Critical);
        assert!(findings[0].title.starts_with("deletion is stuck"));
        assert!(findings[0].evidence.contains("ImagePullBackOff"));
        assert_eq!(findings[0].look_at, LookAt::Services);

        let live = detail(ServiceKind::Operator, Health::Unknown);
        let findings = diagnose(
            &live,
            Context {
                operator: Some(&down),
                ..Context::default()
            },
        );
        assert!(findings[0].title.contains("operator is not running"));
    }

    #[test]
    fn version_outside_tags_and_failed_release() {
        let mut data = detail(ServiceKind::Helm, Health::Failed);
        data.helm = Some(HelmDetail {
            status: "failed".into(),
            chart: "memcached".into(),
            chart_version: "1.2.0".into(),
            app_version: "1.6.31".into(),
            revision: 2,
            history: vec![HelmRevision {
                revision: 2,
                status: "failed".into(),
                chart: "memcached-1.2.0".into(),
                app_version: "1.6.31".into(),
                updated: None,
                description: "Upgrade \"session-cache\" failed: timed out".into(),
            }],
            user_values: String::new(),
            computed_values: String::new(),
            computed_values_revealed: String::new(),
            notes: String::new(),
            manifest_resources: Vec::new(),
        });
        data.problems.push("events: forbidden".into());
        let allowed = ["1.0.0".to_owned(), "1.1.0".to_owned()];
        let findings = diagnose(
            &data,
            Context {
                allowed_versions: &allowed,
                version: Some("1.2.0"),
                ..Context::default()
            },
        );
        let titles: Vec<&str> = findings.iter().map(|f| f.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Helm revision 2 failed",
                "version 1.2.0 is not one the service allows",
                "part of the instance could not be read",
            ]
        );
        assert!(findings[0].evidence.contains("timed out"));
        assert_eq!(findings[1].evidence, "allowed: 1.0.0, 1.1.0");
    }
}

/// The service diagnosis view's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceFindings {
    /// CSD name or Helm chart.
    pub service: String,
    /// What looks wrong, worst first.
    pub findings: Vec<Finding>,
    /// First line shown.
    pub scroll: usize,
    /// The selected finding (Enter follows it).
    pub cursor: usize,
}
