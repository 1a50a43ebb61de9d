//! Judgements over the instance's state for the guided operations: the
//! preflight checks before an upgrade, and whether a write has finished,
//! failed or is still going (read from the detail watch). Pure.

use crate::domain::csd::VersionDefinition;
use crate::state::detail::InstanceDetail;
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

/// Preflight checks of an upgrade: instance healthy; not changing already
/// (an Upgrading/Progressing condition True, a phase like Upgrading or
/// Creating, pods not all ready); dependencies healthy; target in the tags
/// and different from the current version; a downgrade warned.
pub fn preflight(_input: PreflightInput<'_>) -> Vec<Check> {
    todo!("domain::ops::preflight")
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
pub fn upgrade_progress(_detail: &InstanceDetail, _target: &str) -> Progress {
    todo!("domain::ops::upgrade_progress")
}

/// Progress of any other change: done when the instance is Healthy with
/// every pod ready (and, for replicas, the expected count of pods); failed
/// on a Failed condition or failing pods.
pub fn change_progress(_detail: &InstanceDetail, _expected_pods: Option<usize>) -> Progress {
    todo!("domain::ops::change_progress")
}

/// Progress of an operation CR from its `status.phase`: Succeeded/Completed
/// done, Failed/Error failed, anything else running.
pub fn operation_progress(_phase: Option<&str>, _message: Option<&str>) -> Progress {
    todo!("domain::ops::operation_progress")
}
