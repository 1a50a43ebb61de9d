//! Operations actions: `HwfkaBackup` and `HwfkaRestore`.
//!
//! Each runs once: `Pending` (or no status) → `Running`, with
//! `status.progress` rising from 0 to 100 over
//! [`Settings::operation_duration`](crate::Settings) → `Succeeded`; or
//! `Failed` with a message. Progress is computed from `status.startedAt`, so
//! an operator restart does not start over. `Succeeded` and `Failed` are
//! final.

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use kube::Resource;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::{Action, Error as ControllerError};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use serde_json::json;
use tracing::info;

use crate::conditions::{self, Wanted};
use crate::crd::{API_VERSION, Hwfka, HwfkaBackup, HwfkaRestore, OperationStatus};
use crate::resources::MANAGER;
use crate::{Context, Error, controller, error_policy, name_and_namespace, now, object_key};

/// How often a running action is looked at.
const TICK: Duration = Duration::from_secs(1);

/// Why an action cannot run (or go on).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Condition reason, CamelCase.
    pub reason: &'static str,
    pub message: String,
}

/// What an action says about itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Texts {
    /// While it runs, e.g. "backing up Hwfka orders to pvc://...".
    pub running: String,
    /// When it is done.
    pub done: String,
}

/// A change of phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    Started,
    Succeeded,
    Failed,
}

/// The next status of an action, and what changed.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    pub status: OperationStatus,
    pub transition: Option<Transition>,
    /// Look again after this long; `None` once final.
    pub requeue: Option<Duration>,
}

/// Whether an action's phase is final.
pub fn is_final(status: Option<&OperationStatus>) -> bool {
    matches!(
        status.and_then(|s| s.phase.as_deref()),
        Some("Succeeded" | "Failed")
    )
}

/// Whether an action has started (`Running` or final).
pub fn has_started(status: Option<&OperationStatus>) -> bool {
    matches!(
        status.and_then(|s| s.phase.as_deref()),
        Some("Running" | "Succeeded" | "Failed")
    )
}

fn conditions_for(
    previous: &OperationStatus,
    phase: &str,
    reason: &'static str,
    message: &str,
    generation: Option<i64>,
    now: Timestamp,
) -> Vec<k8s_openapi::apimachinery::pkg::apis::meta::v1::Condition> {
    let wanted = |type_: &'static str| {
        let on = phase == type_;
        Wanted::new(
            type_,
            on,
            if on { reason } else { "NotInPhase" },
            if on {
                message.to_owned()
            } else {
                String::new()
            },
        )
    };
    conditions::merge(
        &previous.conditions,
        vec![wanted("Running"), wanted("Succeeded"), wanted("Failed")],
        generation,
        now,
    )
}

/// One step of an action: start it, move its progress, finish or fail it.
/// `problem` is what stops it (checked by the caller: before the start, the
/// target must exist and be ready; while it runs, it must still exist).
pub fn advance(
    previous: Option<&OperationStatus>,
    problem: Option<Problem>,
    texts: &Texts,
    generation: Option<i64>,
    now: Timestamp,
    duration: Duration,
) -> Step {
    let prev = previous.cloned().unwrap_or_default();
    if is_final(previous) {
        return Step {
            status: prev,
            transition: None,
            requeue: None,
        };
    }
    let started = has_started(previous);
    if let Some(problem) = problem {
        let message = if started {
            format!("failed after it started: {}", problem.message)
        } else {
            problem.message.clone()
        };
        return Step {
            status: OperationStatus {
                phase: Some("Failed".to_owned()),
                progress: prev.progress,
                message: Some(message.clone()),
                started_at: prev.started_at.clone(),
                completed_at: Some(Time(now)),
                conditions: conditions_for(
                    &prev,
                    "Failed",
                    problem.reason,
                    &message,
                    generation,
                    now,
                ),
            },
            transition: Some(Transition::Failed),
            requeue: None,
        };
    }
    let started_at = match (&prev.started_at, started) {
        (Some(at), true) => at.0,
        _ => now,
    };
    let elapsed = now.duration_since(started_at).as_secs_f64().max(0.0);
    let total = duration.as_secs_f64();
    if started && elapsed >= total {
        return Step {
            status: OperationStatus {
                phase: Some("Succeeded".to_owned()),
                progress: Some(100),
                message: Some(texts.done.clone()),
                started_at: Some(Time(started_at)),
                completed_at: Some(Time(now)),
                conditions: conditions_for(
                    &prev,
                    "Succeeded",
                    "Completed",
                    &texts.done,
                    generation,
                    now,
                ),
            },
            transition: Some(Transition::Succeeded),
            requeue: None,
        };
    }
    let progress = if total > 0.0 {
        ((elapsed / total) * 100.0).floor().clamp(0.0, 99.0)
    } else {
        99.0
    };
    // A whole number between 0 and 99: the conversion is exact.
    let progress = progress as i32;
    let message = format!("{} ({progress}%)", texts.running);
    Step {
        status: OperationStatus {
            phase: Some("Running".to_owned()),
            progress: Some(progress),
            message: Some(message.clone()),
            started_at: Some(Time(started_at)),
            completed_at: None,
            conditions: conditions_for(&prev, "Running", "InProgress", &message, generation, now),
        },
        transition: (!started).then_some(Transition::Started),
        requeue: Some(TICK),
    }
}

/// Checks the target instance: it must exist, and be Ready for the action
/// to start.
async fn check_instance(
    ctx: &Context,
    namespace: &str,
    instance: &str,
    started: bool,
) -> Result<(Option<Hwfka>, Option<Problem>), Error> {
    if instance.is_empty() {
        return Ok((
            None,
            Some(Problem {
                reason: "InstanceNotFound",
                message: "spec.instanceName is empty".to_owned(),
            }),
        ));
    }
    let hwfkas: Api<Hwfka> = Api::namespaced(ctx.client.clone(), namespace);
    let Some(hwfka) = hwfkas.get_opt(instance).await? else {
        return Ok((
            None,
            Some(Problem {
                reason: "InstanceNotFound",
                message: format!("Hwfka {namespace}/{instance} does not exist"),
            }),
        ));
    };
    let problem = if hwfka.meta().deletion_timestamp.is_some() {
        Some(Problem {
            reason: "InstanceDeleting",
            message: format!("Hwfka {namespace}/{instance} is being deleted"),
        })
    } else if started {
        None
    } else {
        let status = hwfka.status.clone().unwrap_or_default();
        if conditions::is_true(&status.conditions, "Ready") {
            None
        } else {
            let why = conditions::find(&status.conditions, "Ready")
                .map(|c| format!("{}: {}", c.reason, c.message))
                .unwrap_or_else(|| "no Ready condition yet".to_owned());
            Some(Problem {
                reason: "InstanceNotReady",
                message: format!(
                    "Hwfka {namespace}/{instance} is not Ready (phase {}; {why})",
                    status.phase.as_deref().unwrap_or("unknown")
                ),
            })
        }
    };
    Ok((Some(hwfka), problem))
}

/// What differs between a backup and a restore.
struct Kind {
    /// "Backup" or "Restore": Event reasons start with it.
    name: &'static str,
}

/// Writes the step's status and publishes its Events.
async fn finish_step<K>(
    ctx: &Context,
    kind: &Kind,
    api: &Api<K>,
    object: &K,
    previous: Option<&OperationStatus>,
    step: &Step,
    target: Option<&Hwfka>,
) -> Result<Action, Error>
where
    K: Resource<DynamicType = ()>,
    K: Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let (name, namespace) = name_and_namespace(object)?;
    if previous != Some(&step.status) {
        api.patch_status(
            &name,
            &PatchParams::apply(MANAGER).force(),
            &Patch::Apply(json!({
                "apiVersion": API_VERSION,
                "kind": K::kind(&()),
                "status": step.status,
            })),
        )
        .await?;
    }
    if let Some(transition) = step.transition {
        let (suffix, warning) = match transition {
            Transition::Started => ("Started", false),
            Transition::Succeeded => ("Succeeded", false),
            Transition::Failed => ("Failed", true),
        };
        let reason = format!("{}{suffix}", kind.name);
        let message = step.status.message.clone().unwrap_or_default();
        info!(
            object = %format!("{namespace}/{name}"),
            kind = %K::kind(&()),
            %reason,
            %message,
            "operation"
        );
        let reference = object.object_ref(&());
        ctx.publish(&reference, warning, &reason, kind.name, &message, None)
            .await;
        if let Some(hwfka) = target {
            let note = format!("{} {name}: {message}", K::kind(&()));
            ctx.publish(
                &hwfka.object_ref(&()),
                warning,
                &reason,
                kind.name,
                &note,
                Some(reference),
            )
            .await;
        }
    }
    Ok(step
        .requeue
        .map_or_else(Action::await_change, Action::requeue))
}

/// The HwfkaBackup controller.
pub(crate) fn run_backups(
    ctx: Arc<Context>,
    namespace: Option<&str>,
) -> impl Stream<Item = Result<(ObjectRef<HwfkaBackup>, Action), ControllerError<Error, watcher::Error>>>
{
    controller::<HwfkaBackup>(&ctx.client, namespace, &ctx.settings).run(
        reconcile_backup,
        error_policy,
        ctx,
    )
}

/// The HwfkaRestore controller.
pub(crate) fn run_restores(
    ctx: Arc<Context>,
    namespace: Option<&str>,
) -> impl Stream<Item = Result<(ObjectRef<HwfkaRestore>, Action), ControllerError<Error, watcher::Error>>>
{
    controller::<HwfkaRestore>(&ctx.client, namespace, &ctx.settings).run(
        reconcile_restore,
        error_policy,
        ctx,
    )
}

async fn reconcile_backup(obj: Arc<HwfkaBackup>, ctx: Arc<Context>) -> Result<Action, Error> {
    let key = object_key(obj.as_ref());
    let result = backup(obj.as_ref(), &ctx).await;
    if result.is_ok() {
        ctx.succeeded(&key);
    }
    result
}

async fn backup(cached: &HwfkaBackup, ctx: &Context) -> Result<Action, Error> {
    let (name, namespace) = name_and_namespace(cached)?;
    let backups: Api<HwfkaBackup> = Api::namespaced(ctx.client.clone(), &namespace);
    let Some(backup) = backups.get_opt(&name).await? else {
        return Ok(Action::await_change());
    };
    let previous = backup.status.as_ref();
    if is_final(previous) {
        return Ok(Action::await_change());
    }
    let instance = backup.spec.instance_name.clone();
    let (target, problem) =
        check_instance(ctx, &namespace, &instance, has_started(previous)).await?;
    let destination = backup
        .spec
        .destination
        .clone()
        .filter(|d| !d.is_empty())
        .unwrap_or_else(|| format!("pvc://kafka-backups/{namespace}/{instance}/{name}"));
    let compressed = if backup.spec.compress.unwrap_or(true) {
        ", compressed"
    } else {
        ""
    };
    let texts = Texts {
        running: format!("backing up Hwfka {instance} to {destination}{compressed}"),
        done: format!(
            "backed up the topics and consumer offsets of Hwfka {instance} to {destination}{compressed}"
        ),
    };
    let step = advance(
        previous,
        problem,
        &texts,
        backup.meta().generation,
        now(),
        ctx.settings.operation_duration,
    );
    finish_step(
        ctx,
        &Kind { name: "Backup" },
        &backups,
        &backup,
        previous,
        &step,
        target.as_ref(),
    )
    .await
}

async fn reconcile_restore(obj: Arc<HwfkaRestore>, ctx: Arc<Context>) -> Result<Action, Error> {
    let key = object_key(obj.as_ref());
    let result = restore(obj.as_ref(), &ctx).await;
    if result.is_ok() {
        ctx.succeeded(&key);
    }
    result
}

/// Why the backup named by a restore cannot be used, if it cannot.
async fn backup_problem(
    ctx: &Context,
    namespace: &str,
    backup_name: &str,
    instance: &str,
) -> Result<Option<Problem>, Error> {
    let not_usable = |message: String| {
        Ok(Some(Problem {
            reason: "BackupNotUsable",
            message,
        }))
    };
    if backup_name.is_empty() {
        return not_usable("spec.backupName is empty".to_owned());
    }
    let backups: Api<HwfkaBackup> = Api::namespaced(ctx.client.clone(), namespace);
    let Some(backup) = backups.get_opt(backup_name).await? else {
        return not_usable(format!(
            "HwfkaBackup {namespace}/{backup_name} does not exist"
        ));
    };
    if backup.spec.instance_name != instance {
        return not_usable(format!(
            "HwfkaBackup {namespace}/{backup_name} is a backup of Hwfka {}, not of {instance}",
            backup.spec.instance_name
        ));
    }
    let phase = backup.status.as_ref().and_then(|s| s.phase.as_deref());
    if phase != Some("Succeeded") {
        return not_usable(format!(
            "HwfkaBackup {namespace}/{backup_name} has not succeeded (phase {})",
            phase.unwrap_or("Pending")
        ));
    }
    Ok(None)
}

async fn restore(cached: &HwfkaRestore, ctx: &Context) -> Result<Action, Error> {
    let (name, namespace) = name_and_namespace(cached)?;
    let restores: Api<HwfkaRestore> = Api::namespaced(ctx.client.clone(), &namespace);
    let Some(restore) = restores.get_opt(&name).await? else {
        return Ok(Action::await_change());
    };
    let previous = restore.status.as_ref();
    if is_final(previous) {
        return Ok(Action::await_change());
    }
    let instance = restore.spec.instance_name.clone();
    let backup_name = restore.spec.backup_name.clone();
    let started = has_started(previous);
    let (target, instance_problem) = check_instance(ctx, &namespace, &instance, started).await?;
    let problem = if started {
        instance_problem
    } else {
        match backup_problem(ctx, &namespace, &backup_name, &instance).await? {
            Some(problem) => Some(problem),
            None => instance_problem,
        }
    };
    let texts = Texts {
        running: format!("restoring Hwfka {instance} from HwfkaBackup {backup_name}"),
        done: format!(
            "restored the topics and consumer offsets of Hwfka {instance} from HwfkaBackup {backup_name}"
        ),
    };
    let step = advance(
        previous,
        problem,
        &texts,
        restore.meta().generation,
        now(),
        ctx.settings.operation_duration,
    );
    finish_step(
        ctx,
        &Kind { name: "Restore" },
        &restores,
        &restore,
        previous,
        &step,
        target.as_ref(),
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    const DURATION: Duration = Duration::from_secs(10);

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_700_000_000 + second).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn texts() -> Texts {
        Texts {
            running: "backing up Hwfka orders".to_owned(),
            done: "backed up Hwfka orders".to_owned(),
        }
    }

    fn phase(step: &Step) -> &str {
        step.status.phase.as_deref().unwrap_or("")
    }

    #[test]
    fn an_action_runs_from_start_to_success_by_the_clock() {
        let start = advance(None, None, &texts(), Some(1), at(0), DURATION);
        assert_eq!(phase(&start), "Running");
        assert_eq!(start.status.progress, Some(0));
        assert_eq!(start.status.started_at, Some(Time(at(0))));
        assert_eq!(start.transition, Some(Transition::Started));
        assert_eq!(start.requeue, Some(TICK));
        assert!(conditions::is_true(&start.status.conditions, "Running"));

        let mut progress = vec![0];
        let mut status = start.status;
        for second in [1, 2, 5, 9] {
            let step = advance(Some(&status), None, &texts(), Some(1), at(second), DURATION);
            assert_eq!(phase(&step), "Running");
            assert_eq!(step.transition, None);
            assert_eq!(
                step.status.started_at,
                Some(Time(at(0))),
                "startedAt is kept"
            );
            progress.push(step.status.progress.unwrap_or(-1));
            status = step.status;
        }
        assert_eq!(progress, [0, 10, 20, 50, 90]);

        let done = advance(Some(&status), None, &texts(), Some(1), at(10), DURATION);
        assert_eq!(phase(&done), "Succeeded");
        assert_eq!(done.status.progress, Some(100));
        assert_eq!(done.status.completed_at, Some(Time(at(10))));
        assert_eq!(
            done.status.message.as_deref(),
            Some("backed up Hwfka orders")
        );
        assert_eq!(done.transition, Some(Transition::Succeeded));
        assert_eq!(done.requeue, None);
        assert!(conditions::is_true(&done.status.conditions, "Succeeded"));
        assert!(!conditions::is_true(&done.status.conditions, "Running"));

        // Final: nothing changes any more.
        let after = advance(
            Some(&done.status),
            None,
            &texts(),
            Some(1),
            at(30),
            DURATION,
        );
        assert_eq!(after.status, done.status);
        assert_eq!(after.transition, None);
    }

    #[test]
    fn a_problem_before_the_start_fails_the_action_with_its_message() {
        let problem = Problem {
            reason: "BackupNotUsable",
            message: "HwfkaBackup team-a/nope does not exist".to_owned(),
        };
        let failed = advance(None, Some(problem), &texts(), Some(1), at(0), DURATION);
        assert_eq!(phase(&failed), "Failed");
        assert_eq!(
            failed.status.message.as_deref(),
            Some("HwfkaBackup team-a/nope does not exist")
        );
        assert_eq!(failed.transition, Some(Transition::Failed));
        let condition = conditions::find(&failed.status.conditions, "Failed");
        assert_eq!(
            condition.map(|c| c.reason.as_str()),
            Some("BackupNotUsable")
        );
        assert!(is_final(Some(&failed.status)));
    }

    #[test]
    fn a_problem_while_running_fails_the_action() {
        let start = advance(None, None, &texts(), Some(1), at(0), DURATION);
        let problem = Problem {
            reason: "InstanceNotFound",
            message: "Hwfka team-a/orders does not exist".to_owned(),
        };
        let failed = advance(
            Some(&start.status),
            Some(problem),
            &texts(),
            Some(1),
            at(3),
            DURATION,
        );
        assert_eq!(phase(&failed), "Failed");
        let message = failed.status.message.clone().unwrap_or_default();
        assert!(
            message.contains("after it started") && message.contains("does not exist"),
            "{message}"
        );
        assert_eq!(failed.status.started_at, Some(Time(at(0))));
    }

    #[test]
    fn a_restarted_operator_continues_from_started_at() {
        let status = OperationStatus {
            phase: Some("Running".to_owned()),
            progress: Some(10),
            started_at: Some(Time(at(0))),
            ..OperationStatus::default()
        };
        let step = advance(Some(&status), None, &texts(), Some(1), at(60), DURATION);
        assert_eq!(phase(&step), "Succeeded");
        assert_eq!(step.status.started_at, Some(Time(at(0))));
    }
}
