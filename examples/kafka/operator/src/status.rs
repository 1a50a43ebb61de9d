//! Status derivation: from what the cluster shows (the StatefulSet, its
//! pods, the dependency) to the status, Events and repairs of an instance.
//!
//! Everything here is pure, so that every rule can be unit tested; the
//! reconcilers gather the inputs and carry out the outputs.

use std::collections::BTreeSet;
use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::jiff::Timestamp;

use crate::conditions::{self, Wanted};
use crate::crd::{HwfkaStatus, UpgradeStatus, ZookeeperStatus};

/// Pod annotation holding the version the pod was rendered for (the label
/// `app.kubernetes.io/version` may have to be shortened; this is exact).
pub const VERSION_ANNOTATION: &str = "osctest.osctui.dev/version";
/// Label the StatefulSet controller puts on each pod: its revision.
pub const REVISION_LABEL: &str = "controller-revision-hash";

/// Reasons of a waiting container that mean it will not start by itself.
pub const FAILING_REASONS: [&str; 6] = [
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
];

/// `status.phase` of a Hwfka or a Zookeeper.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    Pending,
    Creating,
    Running,
    Upgrading,
    Degraded,
    Failed,
    Deleting,
}

impl Phase {
    /// The value written into `status.phase`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "Pending",
            Self::Creating => "Creating",
            Self::Running => "Running",
            Self::Upgrading => "Upgrading",
            Self::Degraded => "Degraded",
            Self::Failed => "Failed",
            Self::Deleting => "Deleting",
        }
    }

    /// The phase of a `status.phase` value; `None` if unknown.
    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Creating,
            Self::Running,
            Self::Upgrading,
            Self::Degraded,
            Self::Failed,
            Self::Deleting,
        ]
        .into_iter()
        .find(|p| p.as_str() == text)
    }
}

/// What the operator sees of one pod.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodView {
    pub name: String,
    /// The StatefulSet revision of the pod (`controller-revision-hash`).
    pub revision: Option<String>,
    /// The version it was rendered for ([`VERSION_ANNOTATION`]).
    pub version: Option<String>,
    /// Condition `Ready` is `True`.
    pub ready: bool,
    /// It has a `deletionTimestamp`.
    pub terminating: bool,
    /// Why it cannot start by itself: a container waiting with one of
    /// [`FAILING_REASONS`], or the pod phase `Failed`.
    pub failing: Option<String>,
    pub created: Option<Timestamp>,
}

impl PodView {
    /// Reads the fields the operator needs; missing data gives defaults.
    pub fn from_pod(pod: &Pod) -> Self {
        let meta = &pod.metadata;
        let status = pod.status.as_ref();
        let ready = status
            .and_then(|s| s.conditions.as_ref())
            .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
        let waiting = status
            .into_iter()
            .flat_map(|s| {
                s.init_container_statuses
                    .iter()
                    .flatten()
                    .chain(s.container_statuses.iter().flatten())
            })
            .filter_map(|c| {
                let waiting = c.state.as_ref()?.waiting.as_ref()?;
                let reason = waiting.reason.as_deref()?;
                FAILING_REASONS
                    .contains(&reason)
                    .then(|| format!("container {} waiting in {reason}", c.name))
            })
            .next();
        let failing = waiting.or_else(|| {
            (status.and_then(|s| s.phase.as_deref()) == Some("Failed"))
                .then(|| "pod phase Failed".to_owned())
        });
        Self {
            name: meta.name.clone().unwrap_or_default(),
            revision: meta
                .labels
                .as_ref()
                .and_then(|l| l.get(REVISION_LABEL).cloned()),
            version: meta
                .annotations
                .as_ref()
                .and_then(|a| a.get(VERSION_ANNOTATION).cloned()),
            ready,
            terminating: meta.deletion_timestamp.is_some(),
            failing,
            created: meta.creation_timestamp.as_ref().map(|t| t.0),
        }
    }

    /// The ordinal at the end of a StatefulSet pod's name.
    pub fn ordinal(&self) -> Option<u32> {
        self.name.rsplit('-').next()?.parse().ok()
    }

    /// Why the pod is stuck, if it is not ready and either failing or not
    /// ready for longer than `deadline` since it was created.
    pub fn problem(&self, now: Timestamp, deadline: Duration) -> Option<String> {
        if self.ready || self.terminating {
            return None;
        }
        if let Some(failing) = &self.failing {
            return Some(failing.clone());
        }
        let created = self.created?;
        let age = now.duration_since(created);
        let deadline_secs = i64::try_from(deadline.as_secs()).unwrap_or(i64::MAX);
        (age.as_secs() > deadline_secs).then(|| {
            format!(
                "not Ready {}s after it was created (progress deadline {deadline_secs}s)",
                age.as_secs()
            )
        })
    }
}

/// What the operator sees of the StatefulSet.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StatefulSetView {
    /// The StatefulSet controller has seen the current spec
    /// (`status.observedGeneration >= metadata.generation`), so the
    /// revisions below are up to date.
    pub observed: bool,
    pub update_revision: Option<String>,
}

impl StatefulSetView {
    pub fn from_statefulset(sts: &StatefulSet) -> Self {
        let status = sts.status.as_ref();
        let observed = match (
            sts.metadata.generation,
            status.and_then(|s| s.observed_generation),
        ) {
            (Some(generation), Some(observed)) => observed >= generation,
            _ => false,
        };
        Self {
            observed,
            update_revision: status.and_then(|s| s.update_revision.clone()),
        }
    }
}

/// A pod the operator deletes so that the StatefulSet recreates it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repair {
    pub pod: String,
    pub why: String,
}

/// Pods that are stuck at a revision that is no longer wanted. A
/// StatefulSet does not replace a pod that never became ready (e.g. after
/// a roll back from a version that crashes), so the operator deletes it
/// and the StatefulSet recreates it at its update revision.
pub fn repairs(
    pods: &[PodView],
    statefulset: Option<&StatefulSetView>,
    now: Timestamp,
    deadline: Duration,
) -> Vec<Repair> {
    let Some(update_revision) = statefulset
        .filter(|s| s.observed)
        .and_then(|s| s.update_revision.as_deref())
    else {
        return Vec::new();
    };
    pods.iter()
        .filter(|p| p.revision.as_deref().is_some_and(|r| r != update_revision))
        .filter_map(|p| {
            let problem = p.problem(now, deadline)?;
            Some(Repair {
                pod: p.name.clone(),
                why: format!(
                    "{problem} at revision {}, not at the update revision {update_revision}",
                    p.revision.as_deref().unwrap_or("?")
                ),
            })
        })
        .collect()
}

/// Counts over the pods of an instance.
#[derive(Clone, Debug, Default)]
struct Census {
    /// Pods not being deleted.
    existing: i32,
    /// Of those, the ready ones.
    ready: i32,
    /// All `replicas` pods exist, are ready and run this one version.
    uniform_version: Option<String>,
    /// Versions of the ready pods.
    ready_versions: BTreeSet<String>,
    /// Pods that are stuck: (name, problem).
    broken: Vec<(String, String)>,
}

fn census(pods: &[PodView], replicas: i32, now: Timestamp, deadline: Duration) -> Census {
    let live: Vec<&PodView> = pods.iter().filter(|p| !p.terminating).collect();
    let existing = i32::try_from(live.len()).unwrap_or(i32::MAX);
    let ready_pods: Vec<&&PodView> = live.iter().filter(|p| p.ready).collect();
    let ready = i32::try_from(ready_pods.len()).unwrap_or(i32::MAX);
    let ready_versions: BTreeSet<String> = ready_pods
        .iter()
        .filter_map(|p| p.version.clone())
        .collect();
    let uniform_version = if existing == replicas
        && ready == replicas
        && ready_versions.len() == 1
        && ready_pods.iter().all(|p| p.version.is_some())
    {
        ready_versions.iter().next().cloned()
    } else {
        None
    };
    let broken = live
        .iter()
        .filter_map(|p| Some((p.name.clone(), p.problem(now, deadline)?)))
        .collect();
    Census {
        existing,
        ready,
        uniform_version,
        ready_versions,
        broken,
    }
}

/// The version every ready pod runs: the one version of all pods once they
/// all exist and are ready; otherwise what was reported before (an upgrade
/// that is half done, or failed, has not changed it); otherwise, the first
/// time, the version of the ready pods if they agree.
fn current_version(census: &Census, previous: Option<&str>) -> Option<String> {
    census
        .uniform_version
        .clone()
        .or_else(|| previous.map(str::to_owned))
        .or_else(|| {
            (census.ready_versions.len() == 1)
                .then(|| census.ready_versions.iter().next().cloned())
                .flatten()
        })
}

/// "the broker is ready", "all 3 brokers are ready".
fn every_one_ready(n: i32, noun: &str) -> String {
    if n == 1 {
        format!("the {noun} is ready")
    } else {
        format!("all {n} {noun}s are ready")
    }
}

fn describe_broken(broken: &[(String, String)]) -> String {
    broken
        .iter()
        .map(|(pod, problem)| format!("pod {pod}: {problem}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// An Event the reconciler publishes on the instance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedEvent {
    pub warning: bool,
    pub reason: &'static str,
    pub note: String,
    /// A pod the event is also about (`related`).
    pub pod: Option<String>,
}

impl PlannedEvent {
    fn normal(reason: &'static str, note: String) -> Self {
        Self {
            warning: false,
            reason,
            note,
            pod: None,
        }
    }

    fn warning(reason: &'static str, note: String) -> Self {
        Self {
            warning: true,
            reason,
            note,
            pod: None,
        }
    }
}

/// Everything the Hwfka status is derived from.
#[derive(Clone, Debug)]
pub struct HwfkaObservation<'a> {
    /// `metadata.generation` of the Hwfka.
    pub generation: Option<i64>,
    /// The version the spec asks for (the tag of `spec.image`).
    pub target_version: &'a str,
    /// `spec.replicas`.
    pub replicas: i32,
    /// The status written before.
    pub previous: Option<&'a HwfkaStatus>,
    pub statefulset: Option<&'a StatefulSetView>,
    pub pods: &'a [PodView],
    /// Why the Zookeeper is not usable, if it is not.
    pub dependency_problem: Option<String>,
    /// Why the configuration is incomplete, if it is.
    pub config_problem: Option<String>,
    pub now: Timestamp,
    /// How long an updated broker may take to become ready.
    pub progress_deadline: Duration,
}

/// The outcome of [`derive_hwfka`].
#[derive(Clone, Debug)]
pub struct HwfkaDerived {
    pub phase: Phase,
    pub status: HwfkaStatus,
    pub events: Vec<PlannedEvent>,
    pub repairs: Vec<Repair>,
}

impl HwfkaDerived {
    /// Nothing is changing: the instance is Running and Ready.
    pub fn settled(&self) -> bool {
        self.phase == Phase::Running && conditions::is_true(&self.status.conditions, "Ready")
    }
}

/// Derives the status of a Hwfka, the Events of what changed since the
/// previous status, and the pods to delete.
pub fn derive_hwfka(o: &HwfkaObservation<'_>) -> HwfkaDerived {
    let previous = o.previous.cloned().unwrap_or_default();
    let previous_phase = previous.phase.as_deref().and_then(Phase::parse);
    let previous_upgrade = previous.upgrade.clone();
    let previous_upgrade_failed = conditions::find(&previous.conditions, "Failed")
        .is_some_and(|c| c.status == "True" && c.reason == "UpgradeFailed");
    let replicas = o.replicas.max(0);
    let target = o.target_version.to_owned();
    let census = census(o.pods, replicas, o.now, o.progress_deadline);
    let current = current_version(&census, previous.current_version.as_deref());
    let upgrading = current.as_deref().is_some_and(|c| c != target);
    let all_ready = census.existing == replicas && census.ready == replicas;

    // Brokers that run the target version and are ready, lowest ordinal
    // first (the StatefulSet updates the highest ordinal first, so the
    // first is the one updated last).
    let mut updated_pods: Vec<&PodView> = o
        .pods
        .iter()
        .filter(|p| !p.terminating && p.ready && p.version.as_deref() == Some(target.as_str()))
        .collect();
    updated_pods.sort_by_key(|p| p.ordinal());
    let updated = i32::try_from(updated_pods.len()).unwrap_or(i32::MAX);
    let previous_updated = previous_upgrade
        .as_ref()
        .and_then(|u| u.updated_brokers)
        .unwrap_or(0);

    // The same upgrade as before: same versions on both ends.
    let continuing = previous_upgrade.as_ref().is_some_and(|u| {
        u.to_version.as_deref() == Some(target.as_str())
            && u.from_version.as_deref() == current.as_deref()
    });
    // An upgrade that was running (or had failed) is complete now.
    let completed = !upgrading
        && matches!(previous_phase, Some(Phase::Upgrading | Phase::Failed))
        && all_ready
        && previous_upgrade.as_ref().is_some_and(|u| {
            u.to_version.as_deref() == Some(target.as_str())
                && u.from_version.as_deref() != Some(target.as_str())
        });
    // A failed upgrade is being rolled back: the target is its old version.
    let rolling_back = !upgrading
        && previous_upgrade_failed
        && previous_upgrade
            .as_ref()
            .is_some_and(|u| u.from_version.as_deref() == Some(target.as_str()));

    let upgrade = if upgrading {
        Some(UpgradeStatus {
            from_version: current.clone(),
            to_version: Some(target.clone()),
            updated_brokers: Some(updated),
            started_at: if continuing {
                previous_upgrade.as_ref().and_then(|u| u.started_at.clone())
            } else {
                Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(o.now))
            },
        })
    } else if completed {
        previous_upgrade.clone().map(|u| UpgradeStatus {
            updated_brokers: Some(updated),
            ..u
        })
    } else {
        previous_upgrade.clone()
    };

    // An updated broker that is stuck fails the upgrade; once failed, the
    // upgrade stays failed until the spec changes (a crash-looping broker
    // is briefly up now and then) or it completes after all.
    let upgrade_failure = if upgrading {
        o.pods
            .iter()
            .filter(|p| p.version.as_deref() == Some(target.as_str()))
            .find_map(|p| {
                p.problem(o.now, o.progress_deadline)
                    .map(|problem| format!("broker pod {} (version {target}): {problem}", p.name))
            })
            .or_else(|| {
                (continuing && previous_upgrade_failed)
                    .then(|| {
                        conditions::find(&previous.conditions, "Failed").map(|c| c.message.clone())
                    })
                    .flatten()
            })
    } else {
        None
    };

    let creating = matches!(
        previous_phase,
        None | Some(Phase::Pending | Phase::Creating)
    );
    let all_broken = census.existing > 0
        && census.ready == 0
        && census.broken.len() == usize::try_from(census.existing).unwrap_or(usize::MAX);
    let phase = if upgrade_failure.is_some() {
        Phase::Failed
    } else if upgrading {
        Phase::Upgrading
    } else if all_ready {
        Phase::Running
    } else if all_broken {
        Phase::Failed
    } else if creating {
        if census.existing == 0 {
            Phase::Pending
        } else {
            Phase::Creating
        }
    } else {
        Phase::Degraded
    };

    let from = current.as_deref().unwrap_or("?");
    let ready_text = format!("{} of {replicas} brokers ready", census.ready);
    let broken_text = describe_broken(&census.broken);
    let with_broken = |text: String| {
        if broken_text.is_empty() {
            text
        } else {
            format!("{text}; {broken_text}")
        }
    };

    let ready_condition = if let Some(problem) = &o.dependency_problem {
        Wanted::new("Ready", false, "DependencyNotReady", problem.clone())
    } else if let Some(problem) = &o.config_problem {
        Wanted::new("Ready", false, "ConfigNotFound", problem.clone())
    } else if let Some(failure) = &upgrade_failure {
        Wanted::new("Ready", false, "UpgradeFailed", failure.clone())
    } else if all_ready {
        Wanted::new(
            "Ready",
            true,
            "AllBrokersReady",
            every_one_ready(replicas, "broker"),
        )
    } else if upgrading {
        Wanted::new(
            "Ready",
            false,
            "RollingUpdate",
            format!("{ready_text} while upgrading from {from} to {target}"),
        )
    } else {
        Wanted::new(
            "Ready",
            false,
            "BrokersNotReady",
            with_broken(ready_text.clone()),
        )
    };
    let upgrading_condition = if let Some(failure) = &upgrade_failure {
        Wanted::new("Upgrading", false, "UpgradeFailed", failure.clone())
    } else if upgrading {
        Wanted::new(
            "Upgrading",
            true,
            "RollingUpdate",
            format!("upgrading from {from} to {target}: {updated} of {replicas} brokers updated"),
        )
    } else {
        Wanted::new(
            "Upgrading",
            false,
            "UpToDate",
            format!("no upgrade in progress; version {target}"),
        )
    };
    let degraded_condition = if phase == Phase::Degraded {
        Wanted::new(
            "Degraded",
            true,
            "BrokersNotReady",
            with_broken(ready_text.clone()),
        )
    } else {
        let reason = match phase {
            Phase::Pending | Phase::Creating => "Creating",
            Phase::Upgrading => "RollingUpdate",
            Phase::Failed => "Failed",
            _ => "AllBrokersReady",
        };
        Wanted::new("Degraded", false, reason, ready_text.clone())
    };
    let failed_condition = if let Some(failure) = &upgrade_failure {
        Wanted::new("Failed", true, "UpgradeFailed", failure.clone())
    } else if phase == Phase::Failed {
        Wanted::new(
            "Failed",
            true,
            "BrokersFailing",
            with_broken(ready_text.clone()),
        )
    } else {
        Wanted::new("Failed", false, "NoFailure", "")
    };

    let mut events = Vec::new();
    if upgrading && !continuing {
        events.push(PlannedEvent::normal(
            "UpgradeStarted",
            format!("upgrading from {from} to {target}, one broker at a time ({replicas} brokers)"),
        ));
    }
    if ((upgrading && continuing) || completed) && updated > previous_updated {
        let names: Vec<&str> = updated_pods.iter().map(|p| p.name.as_str()).collect();
        events.push(PlannedEvent {
            pod: updated_pods.first().map(|p| p.name.clone()),
            ..PlannedEvent::normal(
                "BrokerUpgraded",
                format!(
                    "{updated} of {replicas} brokers run {target} ({})",
                    names.join(", ")
                ),
            )
        });
    }
    if completed {
        let from = previous_upgrade
            .as_ref()
            .and_then(|u| u.from_version.as_deref())
            .unwrap_or("?");
        events.push(PlannedEvent::normal(
            "UpgradeSucceeded",
            format!("all {replicas} brokers run {target} (upgraded from {from})"),
        ));
    }
    if let Some(failure) = &upgrade_failure
        && !(continuing && previous_upgrade_failed)
    {
        events.push(PlannedEvent::warning(
            "UpgradeFailed",
            format!("upgrade from {from} to {target} failed: {failure}"),
        ));
    }
    if rolling_back {
        let failed = previous_upgrade
            .as_ref()
            .and_then(|u| u.to_version.as_deref())
            .unwrap_or("?");
        events.push(PlannedEvent::normal(
            "RollbackStarted",
            format!("rolling back to {target} after the failed upgrade to {failed}"),
        ));
    }
    if previous_phase != Some(phase) {
        match phase {
            Phase::Degraded => events.push(PlannedEvent::warning(
                "Degraded",
                with_broken(ready_text.clone()),
            )),
            Phase::Failed if upgrade_failure.is_none() => events.push(PlannedEvent::warning(
                "BrokersFailing",
                with_broken(ready_text.clone()),
            )),
            Phase::Running if !completed => events.push(PlannedEvent::normal(
                if creating { "Created" } else { "Recovered" },
                format!("{}, running {target}", every_one_ready(replicas, "broker")),
            )),
            _ => {}
        }
    }

    let status = HwfkaStatus {
        phase: Some(phase.as_str().to_owned()),
        current_version: current.clone(),
        target_version: Some(target.clone()),
        ready_replicas: Some(census.ready),
        replicas: Some(census.existing),
        observed_generation: o.generation,
        conditions: conditions::merge(
            &previous.conditions,
            vec![
                ready_condition,
                upgrading_condition,
                degraded_condition,
                failed_condition,
            ],
            o.generation,
            o.now,
        ),
        upgrade,
    };
    HwfkaDerived {
        phase,
        status,
        events,
        repairs: repairs(o.pods, o.statefulset, o.now, o.progress_deadline),
    }
}

/// Everything the Zookeeper status is derived from.
#[derive(Clone, Debug)]
pub struct ZookeeperObservation<'a> {
    pub generation: Option<i64>,
    pub target_version: &'a str,
    pub replicas: i32,
    pub previous: Option<&'a ZookeeperStatus>,
    pub statefulset: Option<&'a StatefulSetView>,
    pub pods: &'a [PodView],
    pub now: Timestamp,
    pub progress_deadline: Duration,
}

/// The outcome of [`derive_zookeeper`].
#[derive(Clone, Debug)]
pub struct ZookeeperDerived {
    pub phase: Phase,
    pub status: ZookeeperStatus,
    pub repairs: Vec<Repair>,
}

/// Derives the status of a Zookeeper (simpler than a Hwfka's: no upgrade
/// record, one `Ready` condition).
pub fn derive_zookeeper(o: &ZookeeperObservation<'_>) -> ZookeeperDerived {
    let previous = o.previous.cloned().unwrap_or_default();
    let previous_phase = previous.phase.as_deref().and_then(Phase::parse);
    let replicas = o.replicas.max(0);
    let target = o.target_version;
    let census = census(o.pods, replicas, o.now, o.progress_deadline);
    let current = current_version(&census, previous.current_version.as_deref());
    let upgrading = current.as_deref().is_some_and(|c| c != target);
    let all_ready = census.existing == replicas && census.ready == replicas;
    let upgrade_failure = upgrading
        .then(|| {
            o.pods
                .iter()
                .filter(|p| p.version.as_deref() == Some(target))
                .find_map(|p| {
                    p.problem(o.now, o.progress_deadline).map(|problem| {
                        format!("server pod {} (version {target}): {problem}", p.name)
                    })
                })
        })
        .flatten();
    let creating = matches!(
        previous_phase,
        None | Some(Phase::Pending | Phase::Creating)
    );
    let all_broken = census.existing > 0
        && census.ready == 0
        && census.broken.len() == usize::try_from(census.existing).unwrap_or(usize::MAX);
    let phase = if upgrade_failure.is_some() || all_broken {
        Phase::Failed
    } else if upgrading {
        Phase::Upgrading
    } else if all_ready {
        Phase::Running
    } else if creating {
        if census.existing == 0 {
            Phase::Pending
        } else {
            Phase::Creating
        }
    } else {
        Phase::Degraded
    };
    let ready_text = format!("{} of {replicas} servers ready", census.ready);
    let broken_text = describe_broken(&census.broken);
    let detail = if broken_text.is_empty() {
        ready_text.clone()
    } else {
        format!("{ready_text}; {broken_text}")
    };
    let ready_condition = if let Some(failure) = upgrade_failure {
        Wanted::new("Ready", false, "UpgradeFailed", failure)
    } else if all_ready {
        Wanted::new(
            "Ready",
            true,
            "AllServersReady",
            every_one_ready(replicas, "server"),
        )
    } else if upgrading {
        Wanted::new("Ready", false, "RollingUpdate", detail)
    } else {
        Wanted::new("Ready", false, "ServersNotReady", detail)
    };
    ZookeeperDerived {
        phase,
        status: ZookeeperStatus {
            phase: Some(phase.as_str().to_owned()),
            ready_replicas: Some(census.ready),
            current_version: current,
            observed_generation: o.generation,
            conditions: conditions::merge(
                &previous.conditions,
                vec![ready_condition],
                o.generation,
                o.now,
            ),
        },
        repairs: repairs(o.pods, o.statefulset, o.now, o.progress_deadline),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEADLINE: Duration = Duration::from_secs(180);

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + second).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn pod(ordinal: u32, version: &str, revision: &str, ready: bool) -> PodView {
        PodView {
            name: format!("orders-{ordinal}"),
            revision: Some(revision.to_owned()),
            version: Some(version.to_owned()),
            ready,
            terminating: false,
            failing: None,
            created: Some(at(0)),
        }
    }

    fn crashing(mut pod: PodView) -> PodView {
        pod.ready = false;
        pod.failing = Some("container kafka waiting in CrashLoopBackOff".to_owned());
        pod
    }

    fn sts(update_revision: &str) -> StatefulSetView {
        StatefulSetView {
            observed: true,
            update_revision: Some(update_revision.to_owned()),
        }
    }

    /// Derives with the defaults of a 3-broker cluster at `now`.
    fn derive(
        target: &str,
        previous: Option<&HwfkaStatus>,
        pods: &[PodView],
        statefulset: Option<&StatefulSetView>,
        now: i64,
    ) -> HwfkaDerived {
        derive_hwfka(&HwfkaObservation {
            generation: Some(2),
            target_version: target,
            replicas: 3,
            previous,
            statefulset,
            pods,
            dependency_problem: None,
            config_problem: None,
            now: at(now),
            progress_deadline: DEADLINE,
        })
    }

    fn condition<'a>(status: &'a HwfkaStatus, type_: &str) -> (&'a str, &'a str, &'a str) {
        let c = conditions::find(&status.conditions, type_)
            .unwrap_or_else(|| panic!("no {type_} condition in {status:?}"));
        (c.status.as_str(), c.reason.as_str(), c.message.as_str())
    }

    fn reasons(events: &[PlannedEvent]) -> Vec<&'static str> {
        events.iter().map(|e| e.reason).collect()
    }

    fn running_at(version: &str) -> HwfkaStatus {
        let pods = [
            pod(0, version, "a", true),
            pod(1, version, "a", true),
            pod(2, version, "a", true),
        ];
        derive(version, None, &pods, Some(&sts("a")), 10).status
    }

    #[test]
    fn a_new_instance_goes_pending_creating_running() {
        let pending = derive("3.6.1", None, &[], None, 0);
        assert_eq!(pending.phase, Phase::Pending);
        assert_eq!(pending.status.current_version, None);
        assert_eq!(condition(&pending.status, "Ready").0, "False");

        let pods = [
            pod(0, "3.6.1", "a", true),
            pod(1, "3.6.1", "a", false),
            pod(2, "3.6.1", "a", false),
        ];
        let creating = derive("3.6.1", Some(&pending.status), &pods, Some(&sts("a")), 2);
        assert_eq!(creating.phase, Phase::Creating);
        assert_eq!(creating.status.ready_replicas, Some(1));
        assert_eq!(creating.status.replicas, Some(3));
        assert_eq!(
            condition(&creating.status, "Ready"),
            ("False", "BrokersNotReady", "1 of 3 brokers ready")
        );
        assert!(creating.events.is_empty(), "{:?}", creating.events);

        let pods = [
            pod(0, "3.6.1", "a", true),
            pod(1, "3.6.1", "a", true),
            pod(2, "3.6.1", "a", true),
        ];
        let running = derive("3.6.1", Some(&creating.status), &pods, Some(&sts("a")), 4);
        assert_eq!(running.phase, Phase::Running);
        assert!(running.settled());
        assert_eq!(running.status.current_version.as_deref(), Some("3.6.1"));
        assert_eq!(running.status.target_version.as_deref(), Some("3.6.1"));
        assert_eq!(running.status.observed_generation, Some(2));
        assert_eq!(
            condition(&running.status, "Ready"),
            ("True", "AllBrokersReady", "all 3 brokers are ready")
        );
        assert_eq!(condition(&running.status, "Degraded").0, "False");
        assert_eq!(condition(&running.status, "Failed").0, "False");
        assert_eq!(condition(&running.status, "Upgrading").0, "False");
        assert_eq!(reasons(&running.events), ["Created"]);
        assert!(running.repairs.is_empty());
    }

    #[test]
    fn a_rolling_upgrade_counts_updated_brokers_and_reports_events() {
        let start = running_at("3.6.1");

        // The spec asks for 3.7.0; the StatefulSet has not replaced anyone.
        let old = [
            pod(0, "3.6.1", "a", true),
            pod(1, "3.6.1", "a", true),
            pod(2, "3.6.1", "a", true),
        ];
        let started = derive("3.7.0", Some(&start), &old, Some(&sts("b")), 20);
        assert_eq!(started.phase, Phase::Upgrading);
        assert_eq!(started.status.current_version.as_deref(), Some("3.6.1"));
        assert_eq!(started.status.target_version.as_deref(), Some("3.7.0"));
        let upgrade = started.status.upgrade.clone().unwrap_or_default();
        assert_eq!(upgrade.from_version.as_deref(), Some("3.6.1"));
        assert_eq!(upgrade.to_version.as_deref(), Some("3.7.0"));
        assert_eq!(upgrade.updated_brokers, Some(0));
        assert!(upgrade.started_at.is_some());
        assert_eq!(condition(&started.status, "Upgrading").0, "True");
        assert_eq!(condition(&started.status, "Upgrading").1, "RollingUpdate");
        assert_eq!(reasons(&started.events), ["UpgradeStarted"]);
        assert!(
            started.repairs.is_empty(),
            "healthy old brokers are left alone"
        );

        // Broker 2 replaced and ready.
        let step1 = [
            pod(0, "3.6.1", "a", true),
            pod(1, "3.6.1", "a", true),
            pod(2, "3.7.0", "b", true),
        ];
        let one = derive("3.7.0", Some(&started.status), &step1, Some(&sts("b")), 30);
        assert_eq!(one.phase, Phase::Upgrading);
        assert_eq!(one.status.current_version.as_deref(), Some("3.6.1"));
        let upgrade1 = one.status.upgrade.clone().unwrap_or_default();
        assert_eq!(upgrade1.updated_brokers, Some(1));
        assert_eq!(upgrade1.started_at, upgrade.started_at, "startedAt is kept");
        assert_eq!(reasons(&one.events), ["BrokerUpgraded"]);
        assert_eq!(one.events[0].pod.as_deref(), Some("orders-2"));

        // Broker 1 being replaced: not ready, nothing new to report.
        let step2 = [
            pod(0, "3.6.1", "a", true),
            pod(1, "3.7.0", "b", false),
            pod(2, "3.7.0", "b", true),
        ];
        let between = derive("3.7.0", Some(&one.status), &step2, Some(&sts("b")), 31);
        assert_eq!(between.phase, Phase::Upgrading);
        assert_eq!(
            between
                .status
                .upgrade
                .as_ref()
                .and_then(|u| u.updated_brokers),
            Some(1)
        );
        assert!(between.events.is_empty(), "{:?}", between.events);
        assert_eq!(condition(&between.status, "Ready").1, "RollingUpdate");

        // All three on 3.7.0 and ready.
        let done_pods = [
            pod(0, "3.7.0", "b", true),
            pod(1, "3.7.0", "b", true),
            pod(2, "3.7.0", "b", true),
        ];
        let done = derive(
            "3.7.0",
            Some(&between.status),
            &done_pods,
            Some(&sts("b")),
            40,
        );
        assert_eq!(done.phase, Phase::Running);
        assert_eq!(done.status.current_version.as_deref(), Some("3.7.0"));
        assert_eq!(
            done.status.upgrade.as_ref().and_then(|u| u.updated_brokers),
            Some(3)
        );
        assert_eq!(
            reasons(&done.events),
            ["BrokerUpgraded", "UpgradeSucceeded"]
        );
        assert_eq!(
            condition(&done.status, "Upgrading"),
            ("False", "UpToDate", "no upgrade in progress; version 3.7.0")
        );
        assert_eq!(condition(&done.status, "Ready").0, "True");

        // Nothing changes: no events, same status.
        let again = derive("3.7.0", Some(&done.status), &done_pods, Some(&sts("b")), 50);
        assert!(again.events.is_empty(), "{:?}", again.events);
        assert_eq!(again.status, done.status);
    }

    #[test]
    fn a_crashing_updated_broker_fails_the_upgrade_and_a_rollback_repairs_it() {
        let start = running_at("3.6.1");
        let broken = [
            pod(0, "3.6.1", "a", true),
            pod(1, "3.6.1", "a", true),
            crashing(pod(2, "3.7.0", "b", false)),
        ];
        let failed = derive("3.7.0", Some(&start), &broken, Some(&sts("b")), 30);
        assert_eq!(failed.phase, Phase::Failed);
        assert_eq!(failed.status.current_version.as_deref(), Some("3.6.1"));
        let (status, reason, message) = condition(&failed.status, "Failed");
        assert_eq!((status, reason), ("True", "UpgradeFailed"));
        assert!(message.contains("orders-2"), "{message}");
        assert!(message.contains("CrashLoopBackOff"), "{message}");
        assert_eq!(condition(&failed.status, "Ready").1, "UpgradeFailed");
        assert_eq!(condition(&failed.status, "Upgrading").1, "UpgradeFailed");
        assert!(reasons(&failed.events).contains(&"UpgradeFailed"));
        assert!(failed.events.iter().any(|e| e.warning));
        assert!(
            failed.repairs.is_empty(),
            "the broken pod is at the update revision"
        );

        // The crash loop shows no waiting reason for a moment: still failed,
        // and the warning is not repeated.
        let flapping = [
            pod(0, "3.6.1", "a", true),
            pod(1, "3.6.1", "a", true),
            pod(2, "3.7.0", "b", false),
        ];
        let still = derive(
            "3.7.0",
            Some(&failed.status),
            &flapping,
            Some(&sts("b")),
            35,
        );
        assert_eq!(still.phase, Phase::Failed);
        assert!(!reasons(&still.events).contains(&"UpgradeFailed"));

        // Roll back: the spec is at 3.6.1 again, the StatefulSet's update
        // revision is "a" again, broker 2 is stuck at "b".
        let rollback = derive("3.6.1", Some(&still.status), &broken, Some(&sts("a")), 40);
        assert_eq!(rollback.phase, Phase::Degraded);
        assert_eq!(condition(&rollback.status, "Failed").0, "False");
        assert_eq!(condition(&rollback.status, "Degraded").0, "True");
        assert!(reasons(&rollback.events).contains(&"RollbackStarted"));
        assert_eq!(rollback.repairs.len(), 1, "{:?}", rollback.repairs);
        assert_eq!(rollback.repairs[0].pod, "orders-2");
        assert!(rollback.repairs[0].why.contains("CrashLoopBackOff"));

        // Until the StatefulSet has seen the rolled-back spec, nothing is deleted.
        let unobserved = StatefulSetView {
            observed: false,
            update_revision: Some("b".to_owned()),
        };
        let early = derive("3.6.1", Some(&still.status), &broken, Some(&unobserved), 40);
        assert!(early.repairs.is_empty());

        let healed = [
            pod(0, "3.6.1", "a", true),
            pod(1, "3.6.1", "a", true),
            pod(2, "3.6.1", "a", true),
        ];
        let back = derive(
            "3.6.1",
            Some(&rollback.status),
            &healed,
            Some(&sts("a")),
            50,
        );
        assert_eq!(back.phase, Phase::Running);
        assert_eq!(back.status.current_version.as_deref(), Some("3.6.1"));
        assert_eq!(condition(&back.status, "Ready").0, "True");
        assert_eq!(reasons(&back.events), ["Recovered"]);
        // The record of the failed upgrade stays.
        assert_eq!(
            back.status
                .upgrade
                .as_ref()
                .and_then(|u| u.to_version.as_deref()),
            Some("3.7.0")
        );
    }

    #[test]
    fn an_updated_broker_not_ready_past_the_deadline_fails_the_upgrade() {
        let start = running_at("3.6.1");
        let slow = [
            pod(0, "3.6.1", "a", true),
            pod(1, "3.6.1", "a", true),
            pod(2, "3.7.0", "b", false),
        ];
        let waiting = derive("3.7.0", Some(&start), &slow, Some(&sts("b")), 100);
        assert_eq!(waiting.phase, Phase::Upgrading);
        let late = derive("3.7.0", Some(&waiting.status), &slow, Some(&sts("b")), 181);
        assert_eq!(late.phase, Phase::Failed);
        let message = condition(&late.status, "Failed").2;
        assert!(
            message.contains("orders-2") && message.contains("progress deadline"),
            "{message}"
        );
    }

    #[test]
    fn fewer_ready_brokers_is_degraded_and_recovers() {
        let start = running_at("3.6.1");
        let pods = [
            pod(0, "3.6.1", "a", true),
            crashing(pod(1, "3.6.1", "a", false)),
            pod(2, "3.6.1", "a", true),
        ];
        let degraded = derive("3.6.1", Some(&start), &pods, Some(&sts("a")), 20);
        assert_eq!(degraded.phase, Phase::Degraded);
        let (status, reason, message) = condition(&degraded.status, "Degraded");
        assert_eq!((status, reason), ("True", "BrokersNotReady"));
        assert!(
            message.contains("2 of 3") && message.contains("orders-1"),
            "{message}"
        );
        assert_eq!(condition(&degraded.status, "Ready").1, "BrokersNotReady");
        assert_eq!(degraded.status.current_version.as_deref(), Some("3.6.1"));
        assert_eq!(reasons(&degraded.events), ["Degraded"]);
        assert!(
            degraded.repairs.is_empty(),
            "a pod at the update revision is the StatefulSet's"
        );

        // A deleted pod also counts as missing.
        let mut gone = pods.to_vec();
        gone[1].terminating = true;
        let still = derive("3.6.1", Some(&degraded.status), &gone, Some(&sts("a")), 21);
        assert_eq!(still.phase, Phase::Degraded);
        assert_eq!(still.status.replicas, Some(2));
        assert!(still.events.is_empty());
    }

    #[test]
    fn every_broker_failing_is_failed() {
        let pods = [
            crashing(pod(0, "3.6.1", "a", false)),
            crashing(pod(1, "3.6.1", "a", false)),
            crashing(pod(2, "3.6.1", "a", false)),
        ];
        let derived = derive("3.6.1", None, &pods, Some(&sts("a")), 20);
        assert_eq!(derived.phase, Phase::Failed);
        assert_eq!(condition(&derived.status, "Failed").1, "BrokersFailing");
        assert_eq!(reasons(&derived.events), ["BrokersFailing"]);
    }

    #[test]
    fn a_missing_zookeeper_makes_ready_false_but_brokers_run() {
        let pods = [
            pod(0, "3.6.1", "a", true),
            pod(1, "3.6.1", "a", true),
            pod(2, "3.6.1", "a", true),
        ];
        let derived = derive_hwfka(&HwfkaObservation {
            generation: Some(1),
            target_version: "3.6.1",
            replicas: 3,
            previous: None,
            statefulset: Some(&sts("a")),
            pods: &pods,
            dependency_problem: Some("Zookeeper team-a/zk not found".to_owned()),
            config_problem: None,
            now: at(0),
            progress_deadline: DEADLINE,
        });
        assert_eq!(derived.phase, Phase::Running);
        assert!(!derived.settled());
        assert_eq!(
            condition(&derived.status, "Ready"),
            (
                "False",
                "DependencyNotReady",
                "Zookeeper team-a/zk not found"
            )
        );
    }

    #[test]
    fn pods_are_read_from_the_cluster_shape() {
        let pod: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": "orders-2",
                "labels": {"controller-revision-hash": "orders-7d9"},
                "annotations": {"osctest.osctui.dev/version": "3.7.0"},
                "creationTimestamp": "2026-01-01T00:00:00Z"
            },
            "status": {
                "phase": "Running",
                "conditions": [{"type": "Ready", "status": "False"}],
                "containerStatuses": [{
                    "name": "kafka", "image": "x", "imageID": "", "ready": false, "restartCount": 5,
                    "state": {"waiting": {"reason": "CrashLoopBackOff"}}
                }]
            }
        }))
        .expect("a valid pod");
        let view = PodView::from_pod(&pod);
        assert_eq!(view.name, "orders-2");
        assert_eq!(view.ordinal(), Some(2));
        assert_eq!(view.revision.as_deref(), Some("orders-7d9"));
        assert_eq!(view.version.as_deref(), Some("3.7.0"));
        assert!(!view.ready && !view.terminating);
        assert_eq!(
            view.failing.as_deref(),
            Some("container kafka waiting in CrashLoopBackOff")
        );

        let empty = PodView::from_pod(&Pod::default());
        assert_eq!(empty, PodView::default());
    }

    #[test]
    fn zookeeper_status_follows_its_servers() {
        let pods = [pod(0, "3.9.2", "a", true)];
        let derived = derive_zookeeper(&ZookeeperObservation {
            generation: Some(1),
            target_version: "3.9.2",
            replicas: 1,
            previous: None,
            statefulset: Some(&sts("a")),
            pods: &pods,
            now: at(0),
            progress_deadline: DEADLINE,
        });
        assert_eq!(derived.phase, Phase::Running);
        assert_eq!(derived.status.ready_replicas, Some(1));
        assert_eq!(derived.status.current_version.as_deref(), Some("3.9.2"));
        assert!(conditions::is_true(&derived.status.conditions, "Ready"));

        let none = derive_zookeeper(&ZookeeperObservation {
            generation: Some(1),
            target_version: "3.9.2",
            replicas: 3,
            previous: Some(&derived.status),
            statefulset: None,
            pods: &[],
            now: at(5),
            progress_deadline: DEADLINE,
        });
        assert_eq!(none.phase, Phase::Degraded);
        assert!(!conditions::is_true(&none.status.conditions, "Ready"));
    }

    #[test]
    fn phases_round_trip() {
        for phase in [
            Phase::Pending,
            Phase::Creating,
            Phase::Running,
            Phase::Upgrading,
            Phase::Degraded,
            Phase::Failed,
            Phase::Deleting,
        ] {
            assert_eq!(Phase::parse(phase.as_str()), Some(phase));
        }
        assert_eq!(Phase::parse("Exploded"), None);
    }
}
