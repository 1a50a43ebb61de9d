//! Judgements over the instance's state for the guided operations: the
//! preflight checks before an upgrade, and whether a write has finished,
//! failed or is still going (read from the detail watch). Pure.

use crate::domain::csd::VersionDefinition;
use crate::domain::text::clean;
use crate::domain::version::{Direction, classify};
use crate::state::detail::{ConditionRow, InstanceDetail, ResourceNode};
use crate::state::rows::Health;

/// State of one preflight check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckState {
    /// Fine.
    Pass,
    /// Allowed, but the user should know (shown in yellow).
    Warn(String),
    /// Blocks the operation (the reason is shown).
    Fail(String),
}

/// A preflight check with its label ("instance healthy").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// What is checked.
    pub label: String,
    /// Result.
    pub state: CheckState,
}

/// What the preflight of an upgrade looks at.
#[derive(Debug, Clone, Copy)]
pub struct PreflightInput<'a> {
    /// The instance's detail, when loaded.
    pub detail: Option<&'a InstanceDetail>,
    /// Health from the instance list.
    pub health: Health,
    /// Version running now.
    pub current: &'a str,
    /// Version chosen.
    pub target: &'a str,
    /// Its versionDefinition.
    pub def: &'a VersionDefinition,
}

/// Preflight checks of an upgrade, in this order: instance healthy
/// (Degraded, Failed or Deleting fail with the first evidence found;
/// Progressing and Unknown warn); not changing already (an
/// Upgrading/Progressing condition True, a phase like Upgrading or
/// Creating, a version not rolled out, pods not all ready; a warning when
/// the detail is not loaded); dependencies healthy (an unknown one warns);
/// target in the tags and different from the current version; a downgrade
/// warned. Messages are sanitized.
pub fn preflight(input: PreflightInput<'_>) -> Vec<Check> {
    let check = |label: &str, state: CheckState| Check {
        label: label.to_owned(),
        state,
    };
    let health = input.detail.map_or(input.health, |d| d.health);
    let evidence = input
        .detail
        .and_then(trouble)
        .map(|e| format!(": {e}"))
        .unwrap_or_default();
    let healthy = match health {
        Health::Healthy => CheckState::Pass,
        Health::Progressing => CheckState::Warn(format!("progressing{evidence}")),
        Health::Unknown => CheckState::Warn("health not known yet".to_owned()),
        Health::Degraded | Health::Failed | Health::Deleting => {
            CheckState::Fail(format!("{}{evidence}", health.label()))
        }
    };
    let mut checks = vec![check("instance healthy", healthy)];

    let changing = match input.detail {
        None => CheckState::Warn("the instance's detail is not loaded: cannot tell".to_owned()),
        Some(detail) => match changing(detail) {
            Some(why) => CheckState::Fail(why),
            None => CheckState::Pass,
        },
    };
    checks.push(check("not changing already", changing));

    let dependencies = match input.detail {
        None => CheckState::Warn("not loaded".to_owned()),
        Some(detail) => dependency_state(detail),
    };
    checks.push(check("dependencies healthy", dependencies));

    let target = clean(input.target);
    let current = clean(input.current);
    let allowed = if !input.def.tags.iter().any(|t| t == input.target) {
        CheckState::Fail(format!(
            "{target} is not one of the versions the service allows"
        ))
    } else if input.target == input.current
        || classify(input.def.mode, input.current, input.target) == Direction::Same
    {
        CheckState::Fail(format!("the instance runs {current} already"))
    } else {
        CheckState::Pass
    };
    checks.push(check("target version allowed", allowed));

    let direction = match classify(input.def.mode, input.current, input.target) {
        Direction::Downgrade => CheckState::Warn(format!(
            "{current} -> {target} is a downgrade: check the service supports it"
        )),
        Direction::Upgrade | Direction::Same => CheckState::Pass,
    };
    checks.push(check("not a downgrade", direction));
    checks
}

/// Condition types whose True means the instance is changing.
const CHANGING_CONDITIONS: [&str; 5] = [
    "Upgrading",
    "Progressing",
    "Reconciling",
    "Updating",
    "Scaling",
];

/// Phases of an instance that is changing (compared without case).
const CHANGING_PHASES: [&str; 10] = [
    "Upgrading",
    "Creating",
    "Pending",
    "Updating",
    "Scaling",
    "Progressing",
    "Reconciling",
    "Restoring",
    "RollingBack",
    "Deleting",
];

/// An overview field's value, when set (not "-").
fn field<'a>(detail: &'a InstanceDetail, label: &str) -> Option<&'a str> {
    detail
        .overview
        .iter()
        .find(|f| f.label.eq_ignore_ascii_case(label))
        .map(|f| f.value.trim())
        .filter(|v| !v.is_empty() && *v != "-")
}

/// (desired, running) from the Version field ("3.7.0 (running 3.6.1)").
fn versions(detail: &InstanceDetail) -> Option<(&str, Option<&str>)> {
    let value = field(detail, "Version")?;
    match value.split_once(" (running ") {
        Some((desired, rest)) => Some((desired.trim(), rest.strip_suffix(')').map(str::trim))),
        None => Some((value, None)),
    }
}

fn is_true(condition: &ConditionRow) -> bool {
    condition.status.eq_ignore_ascii_case("true")
}

fn condition_text(c: &ConditionRow) -> String {
    let mut text = format!("{} is {}", c.type_, c.status);
    if !c.reason.is_empty() {
        text.push_str(&format!(" ({})", c.reason));
    }
    if !c.message.is_empty() {
        text.push_str(&format!(": {}", c.message));
    }
    clean(&text)
}

/// Pods of the instance, not counting those being deleted.
fn pods(detail: &InstanceDetail) -> impl Iterator<Item = &ResourceNode> {
    detail
        .resources
        .iter()
        .filter(|n| n.kind == "Pod" && n.health != Health::Deleting)
}

fn pod_text(pod: &ResourceNode) -> String {
    match &pod.reason {
        Some(reason) => clean(&format!("pod {}: {reason}", pod.name)),
        None => clean(&format!("pod {}: {}", pod.name, pod.status)),
    }
}

/// The first concrete sign of trouble: a failing pod, a pod waiting for a
/// reason, a bad condition, an unhealthy object.
fn trouble(detail: &InstanceDetail) -> Option<String> {
    let bad = |h: Health| matches!(h, Health::Failed | Health::Degraded);
    pods(detail)
        .find(|p| p.health == Health::Failed)
        .or_else(|| pods(detail).find(|p| p.health != Health::Healthy && p.reason.is_some()))
        .or_else(|| pods(detail).find(|p| bad(p.health)))
        .map(pod_text)
        .or_else(|| {
            detail
                .conditions
                .iter()
                .find(|c| !c.good)
                .map(condition_text)
        })
        .or_else(|| {
            detail.resources.iter().find(|n| bad(n.health)).map(|n| {
                let why = n.reason.as_deref().unwrap_or(&n.status);
                clean(&format!("{}/{}: {why}", n.kind, n.name))
            })
        })
}

/// Why the instance is changing already, if it is.
fn changing(detail: &InstanceDetail) -> Option<String> {
    if let Some(c) = detail.conditions.iter().find(|c| {
        is_true(c)
            && CHANGING_CONDITIONS
                .iter()
                .any(|t| c.type_.eq_ignore_ascii_case(t))
    }) {
        return Some(condition_text(c));
    }
    if let Some(phase) = field(detail, "Phase")
        && CHANGING_PHASES
            .iter()
            .any(|p| phase.eq_ignore_ascii_case(p))
    {
        return Some(clean(&format!("phase is {phase}")));
    }
    if let Some((desired, Some(running))) = versions(detail)
        && desired != running
    {
        return Some(clean(&format!(
            "{desired} is not rolled out yet (running {running})"
        )));
    }
    let all: Vec<&ResourceNode> = pods(detail).collect();
    let waiting: Vec<&ResourceNode> = all
        .iter()
        .copied()
        .filter(|p| p.health != Health::Healthy)
        .collect();
    if let Some(first) = waiting.first() {
        return Some(format!(
            "{}/{} pods ready; {}",
            all.len() - waiting.len(),
            all.len(),
            pod_text(first)
        ));
    }
    None
}

fn dependency_state(detail: &InstanceDetail) -> CheckState {
    let describe = |d: &crate::state::detail::DependencyRow| {
        let who = d.instance.as_deref().unwrap_or(&d.service);
        let note = if d.note.is_empty() {
            String::new()
        } else {
            format!(" ({})", d.note)
        };
        clean(&format!("{} {who}: {}{note}", d.service, d.health.label()))
    };
    if let Some(d) = detail
        .dependencies
        .iter()
        .find(|d| !matches!(d.health, Health::Healthy | Health::Unknown))
    {
        return CheckState::Fail(describe(d));
    }
    match detail
        .dependencies
        .iter()
        .find(|d| d.health == Health::Unknown)
    {
        Some(d) => CheckState::Warn(describe(d)),
        None => CheckState::Pass,
    }
}

/// Whether any check blocks.
pub fn blocked(checks: &[Check]) -> bool {
    checks
        .iter()
        .any(|c| matches!(c.state, CheckState::Fail(_)))
}

/// Where a write stands, judged from the instance's state after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// Still going, with what is happening ("2/3 brokers on 3.7.0").
    Running(String),
    /// Done.
    Succeeded(String),
    /// Failed, with the evidence ("broker-1: ImagePullBackOff").
    Failed(String),
}

/// Progress of an upgrade to `target` from the instance's detail: done
/// when the version shown is the target, the instance Healthy and no
/// Upgrading condition True; failed on an UpgradeFailed/Failed condition
/// or a pod failing (ImagePullBackOff, CrashLoopBackOff) on the new version.
/// A snapshot whose desired version is not yet `target` is still running
/// (it predates the write). The pods' versions are not in the detail, so a
/// failing pod counts against this upgrade unless the overview's
/// "Upgrading to" names another version (a rollback's leftovers of the
/// failed upgrade it undoes).
pub fn upgrade_progress(detail: &InstanceDetail, target: &str) -> Progress {
    let target_text = clean(target);
    // A snapshot from before the write still names the old version.
    if let Some((desired, _)) = versions(detail)
        && desired != target
    {
        return Progress::Running(clean(&format!(
            "waiting for the new version to show (still {desired})"
        )));
    }
    // Evidence about another upgrade (the failed one a rollback undoes) is
    // not this upgrade's failure.
    let other_upgrade = field(detail, "Upgrading to").is_some_and(|to| to != target);
    if !other_upgrade {
        if let Some(c) = detail.conditions.iter().find(|c| is_failure_condition(c)) {
            return Progress::Failed(condition_text(c));
        }
        if let Some(pod) = pods(detail).find(|p| p.health == Health::Failed) {
            return Progress::Failed(pod_text(pod));
        }
    }
    let all: Vec<&ResourceNode> = pods(detail).collect();
    let ready = all.iter().filter(|p| p.health == Health::Healthy).count();
    let upgrading = detail
        .conditions
        .iter()
        .find(|c| is_true(c) && c.type_.eq_ignore_ascii_case("Upgrading"));
    let running = versions(detail).and_then(|(_, running)| running);
    let phase_changing = field(detail, "Phase")
        .is_some_and(|p| CHANGING_PHASES.iter().any(|c| p.eq_ignore_ascii_case(c)));
    if detail.health == Health::Healthy
        && upgrading.is_none()
        && running.is_none_or(|r| r == target)
        && !phase_changing
        && ready == all.len()
    {
        return Progress::Succeeded(format!("{ready}/{} pods ready on {target_text}", all.len()));
    }
    // "Brokers upgraded: 2" reads as "2/3 brokers on 3.7.0".
    let counted = detail.overview.iter().find_map(|f| {
        let label = f.label.to_ascii_lowercase();
        let (noun, _) = label
            .split_once(" upgraded")
            .or_else(|| label.split_once(" updated"))?;
        let n: usize = f.value.trim().parse().ok()?;
        Some((n, clean(noun)))
    });
    let mut text = match counted {
        Some((n, noun)) => format!("{n}/{} {noun} on {target_text}", all.len()),
        None => format!("{ready}/{} pods ready", all.len()),
    };
    if let Some(pod) = all
        .iter()
        .find(|p| p.health != Health::Healthy && p.reason.is_some())
    {
        text.push_str(&format!("; {}", pod_text(pod)));
    } else if let Some(phase) = field(detail, "Phase") {
        text.push_str(&clean(&format!("; phase {phase}")));
    }
    Progress::Running(text)
}

/// A condition that says the operator gave up: `Failed`/`UpgradeFailed`
/// True, or `Upgrading` False because it failed.
fn is_failure_condition(c: &ConditionRow) -> bool {
    let failed_type =
        c.type_.eq_ignore_ascii_case("Failed") || c.type_.eq_ignore_ascii_case("UpgradeFailed");
    (failed_type && is_true(c))
        || (c.type_.eq_ignore_ascii_case("Upgrading")
            && c.status.eq_ignore_ascii_case("false")
            && c.reason.contains("Fail"))
}

/// Whether the instance's state may predate a write that stored
/// `generation`: while the operator reports an `observedGeneration` below
/// it (or the snapshot itself shows an older generation), the write is
/// still running whatever the rest of the state says. None when the
/// snapshot may be judged (no generation known, or an operator that
/// reports no observedGeneration on a snapshot of the written object).
pub fn awaiting_generation(detail: &InstanceDetail, generation: Option<i64>) -> Option<Progress> {
    let written = generation?;
    if detail.generation.is_some_and(|g| g < written) {
        return Some(Progress::Running(format!(
            "waiting for the instance to show generation {written}"
        )));
    }
    match detail.observed_generation {
        Some(observed) if observed < written => Some(Progress::Running(format!(
            "waiting for the operator to observe generation {written}"
        ))),
        _ => None,
    }
}

/// Progress of any other change: done when the instance is Healthy with
/// every pod ready (and, for replicas, the expected count of pods); failed
/// on a Failed condition or failing pods.
pub fn change_progress(detail: &InstanceDetail, expected_pods: Option<usize>) -> Progress {
    if let Some(c) = detail.conditions.iter().find(|c| {
        is_true(c) && (c.type_.eq_ignore_ascii_case("Failed") || c.type_.ends_with("Failed"))
    }) {
        return Progress::Failed(condition_text(c));
    }
    if let Some(pod) = pods(detail).find(|p| p.health == Health::Failed) {
        return Progress::Failed(pod_text(pod));
    }
    let all: Vec<&ResourceNode> = pods(detail).collect();
    let ready = all.iter().filter(|p| p.health == Health::Healthy).count();
    let settling = detail.conditions.iter().find(|c| {
        is_true(c)
            && CHANGING_CONDITIONS
                .iter()
                .any(|t| c.type_.eq_ignore_ascii_case(t))
    });
    let count_ok = expected_pods.is_none_or(|n| n == all.len());
    if detail.health == Health::Healthy && ready == all.len() && count_ok && settling.is_none() {
        return Progress::Succeeded(format!("{ready}/{} pods ready", all.len()));
    }
    let mut text = format!("{ready}/{} pods ready", all.len());
    if let Some(n) = expected_pods.filter(|n| *n != all.len()) {
        text.push_str(&format!(" (expecting {n})"));
    }
    if let Some(pod) = all.iter().find(|p| p.health != Health::Healthy) {
        text.push_str(&format!("; {}", pod_text(pod)));
    } else if let Some(c) = settling {
        text.push_str(&format!("; {}", condition_text(c)));
    } else if detail.health != Health::Healthy {
        text.push_str(&format!("; instance {}", detail.health.label()));
    }
    Progress::Running(text)
}

/// Progress of an operation CR from its `status.phase`: Succeeded/Completed
/// done, Failed/Error failed, anything else running.
pub fn operation_progress(phase: Option<&str>, message: Option<&str>) -> Progress {
    let message = message.map(str::trim).filter(|m| !m.is_empty()).map(clean);
    let Some(phase) = phase.map(str::trim).filter(|p| !p.is_empty()) else {
        return Progress::Running(
            message.unwrap_or_else(|| "waiting for the operator to pick it up".to_owned()),
        );
    };
    let is = |names: &[&str]| names.iter().any(|n| phase.eq_ignore_ascii_case(n));
    let with_message = |fallback: String| match &message {
        Some(m) => clean(&format!("{phase}: {m}")),
        None => fallback,
    };
    if is(&["Succeeded", "Completed", "Complete", "Done"]) {
        Progress::Succeeded(with_message(clean(phase)))
    } else if is(&["Failed", "Error"]) {
        Progress::Failed(with_message(clean(phase)))
    } else {
        Progress::Running(with_message(clean(phase)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::csd::VersionMode;
    use crate::state::detail::{DependencyRow, Field, InstanceRef, PodFacts};
    use crate::state::rows::ServiceKind;

    fn field(label: &str, value: &str) -> Field {
        Field {
            label: label.to_owned(),
            value: value.to_owned(),
        }
    }

    fn condition(
        type_: &str,
        status: &str,
        good: bool,
        reason: &str,
        message: &str,
    ) -> ConditionRow {
        ConditionRow {
            type_: type_.to_owned(),
            status: status.to_owned(),
            good,
            reason: reason.to_owned(),
            message: message.to_owned(),
            last_transition: None,
        }
    }

    fn pod(name: &str, health: Health, reason: Option<&str>) -> ResourceNode {
        ResourceNode {
            depth: 1,
            kind: "Pod".to_owned(),
            name: name.to_owned(),
            health,
            status: if health == Health::Healthy {
                "Running, ready".to_owned()
            } else {
                "Running, not ready".to_owned()
            },
            reason: reason.map(str::to_owned),
            pod: Some(PodFacts::default()),
        }
    }

    /// orders in team-a: 3 brokers, Running 3.7.1, all ready.
    fn healthy() -> InstanceDetail {
        InstanceDetail {
            target: InstanceRef {
                uid: "u1".into(),
                name: "orders".into(),
                namespace: "team-a".into(),
                service: "kafka".into(),
                kind: ServiceKind::Operator,
            },
            health: Health::Healthy,
            overview: vec![
                field("Phase", "Running"),
                field("Version", "3.7.1"),
                field("Ready brokers", "3"),
                field("Upgrading to", "-"),
                field("Brokers upgraded", "-"),
            ],
            conditions: vec![
                condition(
                    "Ready",
                    "True",
                    true,
                    "AllBrokersReady",
                    "all 3 brokers are ready",
                ),
                condition(
                    "Upgrading",
                    "False",
                    true,
                    "UpToDate",
                    "no upgrade in progress; version 3.7.1",
                ),
                condition("Failed", "False", true, "NoFailure", ""),
            ],
            spec_masked: String::new(),
            spec_revealed: String::new(),
            resources: vec![
                ResourceNode {
                    depth: 0,
                    kind: "StatefulSet".into(),
                    name: "orders-kafka".into(),
                    health: Health::Healthy,
                    status: "3/3 ready".into(),
                    reason: None,
                    pod: None,
                },
                pod("orders-kafka-0", Health::Healthy, None),
                pod("orders-kafka-1", Health::Healthy, None),
                pod("orders-kafka-2", Health::Healthy, None),
            ],
            events: Vec::new(),
            dependencies: vec![DependencyRow {
                service: "zookeeper".into(),
                instance: Some("team-a/zookeeper".into()),
                health: Health::Healthy,
                note: String::new(),
            }],
            helm: None,
            problems: Vec::new(),
            generation: None,
            observed_generation: None,
        }
    }

    /// Halfway through 3.7.1 -> 3.8.0: broker 2 updated, 1 restarting.
    fn upgrading() -> InstanceDetail {
        let mut d = healthy();
        d.health = Health::Progressing;
        d.overview = vec![
            field("Phase", "Upgrading"),
            field("Version", "3.8.0 (running 3.7.1)"),
            field("Ready brokers", "2"),
            field("Upgrading to", "3.8.0"),
            field("Brokers upgraded", "1"),
        ];
        d.conditions[0] = condition(
            "Ready",
            "False",
            false,
            "RollingUpdate",
            "2 of 3 brokers ready while upgrading from 3.7.1 to 3.8.0",
        );
        d.conditions[1] = condition(
            "Upgrading",
            "True",
            false,
            "RollingUpdate",
            "upgrading from 3.7.1 to 3.8.0: 1 of 3 brokers updated",
        );
        d.resources[2] = pod(
            "orders-kafka-1",
            Health::Progressing,
            Some("ContainerCreating"),
        );
        d
    }

    /// The upgrade to 3.8.0 failed: broker 2 cannot pull its image.
    fn upgrade_failed() -> InstanceDetail {
        let mut d = upgrading();
        d.health = Health::Failed;
        d.overview[0] = field("Phase", "Failed");
        d.overview[4] = field("Brokers upgraded", "0");
        let why = "broker pod orders-kafka-2 (version 3.8.0): ImagePullBackOff";
        d.conditions[1] = condition("Upgrading", "False", false, "UpgradeFailed", why);
        d.conditions[2] = condition("Failed", "True", false, "UpgradeFailed", why);
        d.resources[1] = pod("orders-kafka-0", Health::Healthy, None);
        d.resources[2] = pod("orders-kafka-1", Health::Healthy, None);
        d.resources[3] = pod(
            "orders-kafka-2",
            Health::Failed,
            Some("ImagePullBackOff: Back-off pulling image"),
        );
        d
    }

    fn def() -> VersionDefinition {
        VersionDefinition {
            description: None,
            mode: VersionMode::Tag,
            path: Some("spec.image".into()),
            tags: ["3.6.1", "3.7.1", "3.8.0"].map(String::from).to_vec(),
        }
    }

    fn run(
        detail: Option<&InstanceDetail>,
        health: Health,
        current: &str,
        target: &str,
    ) -> Vec<(String, CheckState)> {
        let def = def();
        preflight(PreflightInput {
            detail,
            health,
            current,
            target,
            def: &def,
        })
        .into_iter()
        .map(|c| (c.label, c.state))
        .collect()
    }

    fn state<'a>(checks: &'a [(String, CheckState)], label: &str) -> &'a CheckState {
        &checks.iter().find(|(l, _)| l == label).unwrap().1
    }

    #[test]
    fn a_healthy_instance_may_upgrade() {
        let d = healthy();
        let checks = run(Some(&d), Health::Healthy, "3.7.1", "3.8.0");
        assert_eq!(
            checks.iter().map(|(l, _)| l.as_str()).collect::<Vec<_>>(),
            [
                "instance healthy",
                "not changing already",
                "dependencies healthy",
                "target version allowed",
                "not a downgrade"
            ]
        );
        assert!(
            checks.iter().all(|(_, s)| *s == CheckState::Pass),
            "{checks:?}"
        );
        let as_checks: Vec<Check> = checks
            .into_iter()
            .map(|(label, state)| Check { label, state })
            .collect();
        assert!(!blocked(&as_checks));
    }

    #[test]
    fn preflight_blocks_with_the_evidence() {
        let d = upgrade_failed();
        let checks = run(Some(&d), Health::Healthy, "3.7.1", "3.8.0");
        assert_eq!(
            state(&checks, "instance healthy"),
            &CheckState::Fail(
                "failed: pod orders-kafka-2: ImagePullBackOff: Back-off pulling image".into()
            )
        );
        assert_eq!(
            state(&checks, "not changing already"),
            &CheckState::Fail("3.8.0 is not rolled out yet (running 3.7.1)".into())
        );

        let d = upgrading();
        let checks = run(Some(&d), Health::Healthy, "3.7.1", "3.8.0");
        assert_eq!(
            state(&checks, "instance healthy"),
            &CheckState::Warn("progressing: pod orders-kafka-1: ContainerCreating".into())
        );
        assert_eq!(
            state(&checks, "not changing already"),
            &CheckState::Fail(
                "Upgrading is True (RollingUpdate): upgrading from 3.7.1 to 3.8.0: 1 of 3 brokers updated"
                    .into()
            )
        );

        // A phase alone, then pods alone, tell it is changing.
        let mut d = healthy();
        d.overview[0] = field("Phase", "Creating");
        assert_eq!(
            state(
                &run(Some(&d), Health::Healthy, "3.7.1", "3.8.0"),
                "not changing already"
            ),
            &CheckState::Fail("phase is Creating".into())
        );
        let mut d = healthy();
        d.resources[3] = pod("orders-kafka-2", Health::Degraded, None);
        assert_eq!(
            state(
                &run(Some(&d), Health::Healthy, "3.7.1", "3.8.0"),
                "not changing already"
            ),
            &CheckState::Fail("2/3 pods ready; pod orders-kafka-2: Running, not ready".into())
        );
    }

    #[test]
    fn dependencies_targets_and_downgrades() {
        let mut d = healthy();
        d.dependencies[0].health = Health::Degraded;
        d.dependencies[0].note = "1 of 3 servers ready".into();
        let checks = run(Some(&d), Health::Healthy, "3.7.1", "3.6.1");
        assert_eq!(
            state(&checks, "dependencies healthy"),
            &CheckState::Fail("zookeeper team-a/zookeeper: degraded (1 of 3 servers ready)".into())
        );
        assert_eq!(
            state(&checks, "not a downgrade"),
            &CheckState::Warn(
                "3.7.1 -> 3.6.1 is a downgrade: check the service supports it".into()
            )
        );
        d.dependencies[0].health = Health::Unknown;
        d.dependencies[0].instance = None;
        d.dependencies[0].note = "not found in team-a".into();
        assert_eq!(
            state(
                &run(Some(&d), Health::Healthy, "3.7.1", "3.8.0"),
                "dependencies healthy"
            ),
            &CheckState::Warn("zookeeper zookeeper: unknown (not found in team-a)".into())
        );

        let d = healthy();
        assert_eq!(
            state(
                &run(Some(&d), Health::Healthy, "3.7.1", "3.9.9"),
                "target version allowed"
            ),
            &CheckState::Fail("3.9.9 is not one of the versions the service allows".into())
        );
        assert_eq!(
            state(
                &run(Some(&d), Health::Healthy, "3.7.1", "3.7.1"),
                "target version allowed"
            ),
            &CheckState::Fail("the instance runs 3.7.1 already".into())
        );
        // Text from the cluster is made inert in messages.
        assert_eq!(
            state(
                &run(Some(&d), Health::Healthy, "3.7.1", "3.9\u{1b}[2J"),
                "target version allowed"
            ),
            &CheckState::Fail("3.9^[[2J is not one of the versions the service allows".into())
        );
    }

    #[test]
    fn preflight_without_detail_uses_the_list_health() {
        let checks = run(None, Health::Healthy, "3.7.1", "3.8.0");
        assert_eq!(state(&checks, "instance healthy"), &CheckState::Pass);
        assert!(matches!(
            state(&checks, "not changing already"),
            CheckState::Warn(_)
        ));
        let checks = run(None, Health::Deleting, "3.7.1", "3.8.0");
        assert_eq!(
            state(&checks, "instance healthy"),
            &CheckState::Fail("deleting".into())
        );
        let as_checks: Vec<Check> = checks
            .into_iter()
            .map(|(label, state)| Check { label, state })
            .collect();
        assert!(blocked(&as_checks));
        let checks = run(None, Health::Unknown, "3.7.1", "3.8.0");
        assert!(matches!(
            state(&checks, "instance healthy"),
            CheckState::Warn(_)
        ));
    }

    #[test]
    fn upgrade_progress_from_start_to_end() {
        // Before the operator saw the new spec.
        assert_eq!(
            upgrade_progress(&healthy(), "3.8.0"),
            Progress::Running("waiting for the new version to show (still 3.7.1)".into())
        );
        assert_eq!(
            upgrade_progress(&upgrading(), "3.8.0"),
            Progress::Running("1/3 brokers on 3.8.0; pod orders-kafka-1: ContainerCreating".into())
        );
        let mut later = upgrading();
        later.overview[4] = field("Brokers upgraded", "2");
        later.resources[2] = pod("orders-kafka-1", Health::Healthy, None);
        assert_eq!(
            upgrade_progress(&later, "3.8.0"),
            Progress::Running("2/3 brokers on 3.8.0; phase Upgrading".into())
        );
        let mut done = healthy();
        done.overview[1] = field("Version", "3.8.0");
        done.overview[3] = field("Upgrading to", "3.8.0");
        done.overview[4] = field("Brokers upgraded", "3");
        assert_eq!(
            upgrade_progress(&done, "3.8.0"),
            Progress::Succeeded("3/3 pods ready on 3.8.0".into())
        );
        // Healthy but a pod still not ready: not done.
        done.resources[1] = pod("orders-kafka-0", Health::Progressing, None);
        assert!(matches!(
            upgrade_progress(&done, "3.8.0"),
            Progress::Running(_)
        ));
    }

    #[test]
    fn upgrade_failures_carry_the_evidence() {
        assert_eq!(
            upgrade_progress(&upgrade_failed(), "3.8.0"),
            Progress::Failed(
                "Upgrading is False (UpgradeFailed): broker pod orders-kafka-2 (version 3.8.0): ImagePullBackOff"
                    .into()
            )
        );
        // An operator without conditions: the failing pod is the evidence.
        let mut plain = upgrade_failed();
        plain.conditions.clear();
        plain.overview.retain(|f| f.label != "Upgrading to");
        assert_eq!(
            upgrade_progress(&plain, "3.8.0"),
            Progress::Failed("pod orders-kafka-2: ImagePullBackOff: Back-off pulling image".into())
        );
        // Rolling back to 3.7.1: the failure of the upgrade to 3.8.0 is not
        // the rollback's.
        let mut rollback = upgrade_failed();
        rollback.overview[1] = field("Version", "3.7.1 (running 3.8.0)");
        let progress = upgrade_progress(&rollback, "3.7.1");
        assert!(matches!(progress, Progress::Running(_)), "{progress:?}");
    }

    #[test]
    fn change_progress_counts_pods() {
        assert_eq!(
            change_progress(&healthy(), None),
            Progress::Succeeded("3/3 pods ready".into())
        );
        assert_eq!(
            change_progress(&healthy(), Some(5)),
            Progress::Running("3/3 pods ready (expecting 5)".into())
        );
        let mut scaling = healthy();
        scaling.health = Health::Progressing;
        scaling.resources.push(pod(
            "orders-kafka-3",
            Health::Progressing,
            Some("ContainerCreating"),
        ));
        assert_eq!(
            change_progress(&scaling, Some(5)),
            Progress::Running(
                "3/4 pods ready (expecting 5); pod orders-kafka-3: ContainerCreating".into()
            )
        );
        let mut crashing = healthy();
        crashing.resources[2] = pod(
            "orders-kafka-1",
            Health::Failed,
            Some("CrashLoopBackOff: back-off 5m"),
        );
        assert_eq!(
            change_progress(&crashing, None),
            Progress::Failed("pod orders-kafka-1: CrashLoopBackOff: back-off 5m".into())
        );
        let mut failed = healthy();
        failed.conditions[2] = condition(
            "Failed",
            "True",
            false,
            "BrokersFailing",
            "0 of 3 brokers ready",
        );
        assert_eq!(
            change_progress(&failed, None),
            Progress::Failed("Failed is True (BrokersFailing): 0 of 3 brokers ready".into())
        );
        // Pods being deleted (scale down) do not count.
        let mut down = healthy();
        down.resources[3].health = Health::Deleting;
        assert_eq!(
            change_progress(&down, Some(2)),
            Progress::Succeeded("2/2 pods ready".into())
        );
        let mut settling = healthy();
        settling.conditions.push(condition(
            "Progressing",
            "True",
            false,
            "Reconciling",
            "applying",
        ));
        assert_eq!(
            change_progress(&settling, None),
            Progress::Running("3/3 pods ready; Progressing is True (Reconciling): applying".into())
        );
    }

    #[test]
    fn operation_phases() {
        assert_eq!(
            operation_progress(Some("Succeeded"), Some("backup written")),
            Progress::Succeeded("Succeeded: backup written".into())
        );
        assert_eq!(
            operation_progress(Some("completed"), None),
            Progress::Succeeded("completed".into())
        );
        assert_eq!(
            operation_progress(
                Some("Failed"),
                Some("Hwfka team-a/orders is not Ready\u{1b}[2J")
            ),
            Progress::Failed("Failed: Hwfka team-a/orders is not Ready^[[2J".into())
        );
        assert_eq!(
            operation_progress(Some("Error"), None),
            Progress::Failed("Error".into())
        );
        assert_eq!(
            operation_progress(Some("Running"), Some("40%")),
            Progress::Running("Running: 40%".into())
        );
        assert_eq!(
            operation_progress(None, None),
            Progress::Running("waiting for the operator to pick it up".into())
        );
        assert_eq!(
            operation_progress(Some(" "), Some("queued")),
            Progress::Running("queued".into())
        );
    }

    #[test]
    fn a_snapshot_is_judged_once_the_written_generation_is_observed() {
        let at = |generation, observed| {
            let mut d = healthy();
            d.generation = generation;
            d.observed_generation = observed;
            d
        };
        let waiting = Some(Progress::Running(
            "waiting for the operator to observe generation 5".into(),
        ));
        assert_eq!(awaiting_generation(&at(Some(5), Some(4)), Some(5)), waiting);
        // Before the write reached the watch at all.
        assert_eq!(
            awaiting_generation(&at(Some(4), None), Some(5)),
            Some(Progress::Running(
                "waiting for the instance to show generation 5".into()
            ))
        );
        assert_eq!(awaiting_generation(&at(Some(5), Some(5)), Some(5)), None);
        assert_eq!(awaiting_generation(&at(Some(6), Some(6)), Some(5)), None);
        // An operator that reports no observedGeneration: judged as before.
        assert_eq!(awaiting_generation(&at(Some(5), None), Some(5)), None);
        // Nothing written to the instance's object (Helm, a restart).
        assert_eq!(awaiting_generation(&at(Some(5), Some(1)), None), None);
        // The healthy snapshot would otherwise read as done.
        assert!(matches!(
            change_progress(&at(Some(5), Some(4)), None),
            Progress::Succeeded(_)
        ));
    }
}
