//! The Zookeeper controller: a headless Service and a StatefulSet of
//! servers; the owned objects are garbage collected with it.

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::runtime::controller::{Action, Error as ControllerError};
use kube::runtime::reflector::ObjectRef;
use kube::runtime::watcher;
use kube::{Resource as _, ResourceExt as _};
use serde_json::json;
use tracing::info;

use crate::crd::{API_VERSION, Zookeeper};
use crate::resources::{
    self, DEFAULT_GRACE_PERIOD_SECONDS, GRACE_PERIOD_ANNOTATION, MANAGER,
    PROGRESS_DEADLINE_ANNOTATION, ZookeeperPlan,
};
use crate::status::{self, Phase, PodView, StatefulSetView, ZookeeperObservation};
use crate::version::{self, ZOOKEEPER_REPOSITORY};
use crate::{
    Context, Error, api, controller, error_policy, name_and_namespace, now, object_key, owned_watch,
};

/// The Zookeeper controller, as a stream of reconcile results.
pub(crate) fn run(
    ctx: Arc<Context>,
    namespace: Option<&str>,
) -> impl Stream<Item = Result<(ObjectRef<Zookeeper>, Action), ControllerError<Error, watcher::Error>>>
{
    let client = &ctx.client;
    controller::<Zookeeper>(client, namespace, &ctx.settings)
        .owns(
            api::<StatefulSet>(client, namespace),
            owned_watch("zookeeper"),
        )
        .owns(api::<Service>(client, namespace), owned_watch("zookeeper"))
        .watches(
            api::<Pod>(client, namespace),
            owned_watch("zookeeper"),
            |pod| {
                let instance = pod.labels().get("app.kubernetes.io/instance")?;
                let namespace = pod.namespace()?;
                Some(ObjectRef::<Zookeeper>::new(instance).within(&namespace))
            },
        )
        .run(reconcile, error_policy, ctx)
}

async fn reconcile(obj: Arc<Zookeeper>, ctx: Arc<Context>) -> Result<Action, Error> {
    let key = object_key(obj.as_ref());
    let result = apply(obj.as_ref(), &ctx).await;
    if result.is_ok() {
        ctx.succeeded(&key);
    }
    result
}

async fn apply(cached: &Zookeeper, ctx: &Context) -> Result<Action, Error> {
    let (name, namespace) = name_and_namespace(cached)?;
    let client = &ctx.client;
    let zookeepers: Api<Zookeeper> = Api::namespaced(client.clone(), &namespace);
    let Some(zookeeper) = zookeepers.get_opt(&name).await? else {
        return Ok(Action::await_change());
    };
    if zookeeper.meta().deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let owner = zookeeper
        .controller_owner_ref(&())
        .ok_or(Error::Missing("metadata.uid"))?;
    let annotations = zookeeper.annotations().clone();
    let release = version::release(
        zookeeper.spec.image.as_deref(),
        &zookeeper.spec.version,
        ZOOKEEPER_REPOSITORY,
    );
    let replicas = zookeeper.spec.replicas.unwrap_or(3).max(0);
    let grace_period_seconds = resources::seconds_annotation(&annotations, GRACE_PERIOD_ANNOTATION)
        .and_then(|s| i64::try_from(s).ok())
        .unwrap_or(DEFAULT_GRACE_PERIOD_SECONDS);
    let progress_deadline =
        resources::seconds_annotation(&annotations, PROGRESS_DEADLINE_ANNOTATION)
            .map_or(ctx.settings.progress_deadline, Duration::from_secs);

    let apply = PatchParams::apply(MANAGER).force();
    let service = resources::zookeeper_service(&name, &namespace, &release.version, &owner);
    Api::<Service>::namespaced(client.clone(), &namespace)
        .patch(
            &resources::headless_service_name(&name),
            &apply,
            &Patch::Apply(&service),
        )
        .await?;
    let desired = resources::zookeeper_statefulset(&ZookeeperPlan {
        instance: &name,
        namespace: &namespace,
        owner: &owner,
        release: &release,
        replicas,
        annotations: &annotations,
        grace_period_seconds,
    });
    let statefulset = Api::<StatefulSet>::namespaced(client.clone(), &namespace)
        .patch(&name, &apply, &Patch::Apply(&desired))
        .await?;

    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let pod_list = pods
        .list(&ListParams::default().labels(&resources::selector_text("zookeeper", &name)))
        .await?;
    let views: Vec<PodView> = pod_list.items.iter().map(PodView::from_pod).collect();
    let statefulset_view = StatefulSetView::from_statefulset(&statefulset);
    let derived = status::derive_zookeeper(&ZookeeperObservation {
        generation: zookeeper.meta().generation,
        target_version: &release.version,
        replicas,
        previous: zookeeper.status.as_ref(),
        statefulset: Some(&statefulset_view),
        pods: &views,
        now: now(),
        progress_deadline,
    });

    let regarding = zookeeper.object_ref(&());
    for repair in &derived.repairs {
        match pods
            .delete(&repair.pod, &DeleteParams::default().grace_period(1))
            .await
        {
            Ok(_) => {
                ctx.publish(
                    &regarding,
                    false,
                    "ServerReplaced",
                    "Repair",
                    &format!(
                        "deleted server pod {} so that it is recreated at the current revision: {}",
                        repair.pod, repair.why
                    ),
                    Some(crate::pod_reference(&namespace, &repair.pod)),
                )
                .await;
            }
            Err(kube::Error::Api(status)) if status.is_not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }

    if zookeeper.status.as_ref() != Some(&derived.status) {
        zookeepers
            .patch_status(
                &name,
                &apply,
                &Patch::Apply(json!({
                    "apiVersion": API_VERSION,
                    "kind": Zookeeper::KIND,
                    "status": derived.status,
                })),
            )
            .await?;
        let previous_phase = zookeeper.status.as_ref().and_then(|s| s.phase.as_deref());
        if previous_phase != Some(derived.phase.as_str()) {
            info!(
                instance = %format!("{namespace}/{name}"),
                from = previous_phase.unwrap_or("-"),
                to = derived.phase.as_str(),
                "phase changed"
            );
            let message = crate::conditions::find(&derived.status.conditions, "Ready")
                .map(|c| c.message.clone())
                .unwrap_or_default();
            match derived.phase {
                Phase::Running => {
                    ctx.publish(&regarding, false, "Ready", "Reconcile", &message, None)
                        .await;
                }
                Phase::Degraded | Phase::Failed => {
                    ctx.publish(
                        &regarding,
                        true,
                        derived.phase.as_str(),
                        "Reconcile",
                        &message,
                        None,
                    )
                    .await;
                }
                _ => {}
            }
        }
    }

    Ok(Action::requeue(if derived.phase == Phase::Running {
        ctx.settings.settled_requeue
    } else {
        ctx.settings.busy_requeue
    }))
}
