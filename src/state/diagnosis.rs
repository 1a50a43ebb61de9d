//! Diagnosis of one instance: findings with a severity, the evidence, and
//! the tab that shows more, derived from what the detail already holds
//! (pods and their reasons, conditions, events, Helm history) plus the
//! service's operator health and allowed versions.
//!
//! Computed in `update` when the detail or the services change, never per
//! frame; pure, so every rule is a unit test.

use super::detail::{DetailTab, InstanceDetail};
use super::rows::{Health, OperatorHealth, ServiceKind};

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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LookAt {
    /// A tab of this detail.
    Tab(DetailTab),
    /// The services view (the operator's row).
    Services,
}

impl LookAt {
    /// Words for the hint ("see Resources").
    pub fn label(self, kind: ServiceKind) -> String {
        match self {
            LookAt::Tab(tab) => tab.title(kind).to_owned(),
            LookAt::Services => "the services view (operator)".to_owned(),
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
            // OSC FAQ: a deletion that hangs because the operator that
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
        // OSC FAQ: the operator is stuck installing; nothing reconciles.
        findings.push(Finding {
            severity: Severity::Critical,
            title: "the service's operator is not running: changes are not reconciled".to_owned(),
            evidence: reason.to_owned(),
            look_at: LookAt::Services,
        });
    }

    for node in &data.resources {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::detail::{
        ConditionRow, EventRow, HelmDetail, HelmRevision, InstanceRef, ResourceNode,
    };

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
        });
        data.resources.push(ResourceNode {
            depth: 0,
            kind: "ConfigMap".into(),
            name: "cfg".into(),
            health: Health::Healthy,
            status: "1 key".into(),
            reason: None,
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
                "Pod/legacy-events-2 is failed",
                "condition Failed is True (UpgradeFailed)",
                "condition Degraded is True (BrokersNotReady)",
                "15 warning events BackOff",
            ]
        );
        assert_eq!(findings[0].severity, Severity::Critical);
        assert!(findings[0].evidence.starts_with("CrashLoopBackOff"));
        assert_eq!(findings[0].look_at, LookAt::Tab(DetailTab::Resources));
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
                operator: None,
                allowed_versions: &allowed,
                version: Some("1.2.0"),
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
