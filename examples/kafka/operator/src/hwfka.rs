//! The Hwfka controller: brokers, rolling upgrades, status, clean up.

use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::{ConfigMap, PersistentVolumeClaim, Pod, Service};
use kube::api::{Api, DeleteParams, ListParams, Patch, PatchParams};
use kube::runtime::controller::{Action, Error as ControllerError};
use kube::runtime::finalizer::{Event as FinalizerEvent, finalizer};
use kube::runtime::reflector::{ObjectRef, Store};
use kube::runtime::watcher;
use kube::{Resource as _, ResourceExt as _};
use serde_json::json;
use tracing::{info, warn};

use crate::crd::{API_VERSION, Hwfka, Zookeeper};
use crate::properties::{self, Sources};
use crate::resources::{
    self, DEFAULT_GRACE_PERIOD_SECONDS, FINALIZER, GRACE_PERIOD_ANNOTATION, KafkaPlan, MANAGER,
    PROGRESS_DEADLINE_ANNOTATION,
};
use crate::status::{self, HwfkaObservation, Phase, PodView, StatefulSetView};
use crate::version::{self, KAFKA_REPOSITORY};
use crate::{
    Context, Error, api, controller, error_policy, name_and_namespace, now, object_key,
    owned_watch, primary_watch,
};

/// Default size of a broker's volume (the CRD's default too).
const DEFAULT_STORAGE_SIZE: &str = "10Gi";

/// The Hwfka controller, as a stream of reconcile results.
pub(crate) fn run(
    ctx: Arc<Context>,
    namespace: Option<&str>,
) -> impl Stream<Item = Result<(ObjectRef<Hwfka>, Action), ControllerError<Error, watcher::Error>>>
{
    let client = &ctx.client;
    let controller = controller::<Hwfka>(client, namespace, &ctx.settings);
    let store = controller.store();
    controller
        .owns(api::<StatefulSet>(client, namespace), owned_watch("kafka"))
        .owns(api::<Service>(client, namespace), owned_watch("kafka"))
        .owns(api::<ConfigMap>(client, namespace), owned_watch("kafka"))
        .watches(api::<Pod>(client, namespace), owned_watch("kafka"), |pod| {
            broker_owner(&pod)
        })
        .watches(
            api::<Zookeeper>(client, namespace),
            primary_watch(&ctx.settings),
            move |zookeeper| users_of(&store, &zookeeper),
        )
        .run(reconcile, error_policy, ctx)
}

/// The Hwfka a broker pod belongs to (by its instance label).
fn broker_owner(pod: &Pod) -> Option<ObjectRef<Hwfka>> {
    let instance = pod.labels().get("app.kubernetes.io/instance")?;
    let namespace = pod.namespace()?;
    Some(ObjectRef::new(instance).within(&namespace))
}

/// The Hwfkas that use a Zookeeper.
fn users_of(store: &Store<Hwfka>, zookeeper: &Zookeeper) -> Vec<ObjectRef<Hwfka>> {
    let (Some(name), Some(namespace)) = (
        zookeeper.meta().name.as_deref(),
        zookeeper.meta().namespace.as_deref(),
    ) else {
        return Vec::new();
    };
    store
        .state()
        .iter()
        .filter(|h| {
            let reference = &h.spec.zookeeper_ref;
            let ref_namespace = reference
                .namespace
                .as_deref()
                .filter(|n| !n.is_empty())
                .or(h.meta().namespace.as_deref());
            reference.name == name && ref_namespace == Some(namespace)
        })
        .map(|h| ObjectRef::from_obj(h.as_ref()))
        .collect()
}

async fn reconcile(obj: Arc<Hwfka>, ctx: Arc<Context>) -> Result<Action, Error> {
    let key = object_key(obj.as_ref());
    let (name, namespace) = name_and_namespace(obj.as_ref())?;
    let hwfkas: Api<Hwfka> = Api::namespaced(ctx.client.clone(), &namespace);
    // Without the finalizer in the cached copy, the finalizer helper adds
    // it with a patch that tests the current list: use a fresh copy, since
    // the cache may not have seen the finalizer added a moment ago.
    let obj = if obj.finalizers().iter().any(|f| f == FINALIZER) {
        obj
    } else {
        match hwfkas.get_opt(&name).await? {
            Some(fresh) => Arc::new(fresh),
            None => return Ok(Action::await_change()),
        }
    };
    let result = finalizer(&hwfkas, FINALIZER, obj, |event| async {
        match event {
            FinalizerEvent::Apply(hwfka) => apply(&hwfkas, &hwfka, &ctx).await,
            FinalizerEvent::Cleanup(hwfka) => cleanup(&hwfkas, &hwfka, &ctx).await,
        }
    })
    .await
    .map_err(|e| Error::Finalizer(Box::new(e)));
    if result.is_ok() {
        ctx.succeeded(&key);
    }
    result
}

/// Why the referenced Zookeeper cannot be used, if it cannot.
async fn zookeeper_problem(ctx: &Context, namespace: &str, name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("spec.zookeeperRef.name is empty".to_owned());
    }
    let zookeepers: Api<Zookeeper> = Api::namespaced(ctx.client.clone(), namespace);
    match zookeepers.get_opt(name).await {
        Ok(None) => Some(format!("Zookeeper {namespace}/{name} not found")),
        Ok(Some(zookeeper)) => {
            let phase = zookeeper.status.as_ref().and_then(|s| s.phase.as_deref());
            match phase {
                Some("Running") => None,
                Some(phase) => Some(format!(
                    "Zookeeper {namespace}/{name} is {phase}, not Running"
                )),
                None => Some(format!("Zookeeper {namespace}/{name} has no status yet")),
            }
        }
        Err(e) => Some(format!("cannot read Zookeeper {namespace}/{name}: {e}")),
    }
}

/// Brings the owned objects to the spec and writes the status.
async fn apply(hwfkas: &Api<Hwfka>, cached: &Hwfka, ctx: &Context) -> Result<Action, Error> {
    let (name, namespace) = name_and_namespace(cached)?;
    // A fresh copy: the watch cache may lag behind this operator's own
    // status writes, and Events are derived from the previous status.
    let Some(hwfka) = hwfkas.get_opt(&name).await? else {
        return Ok(Action::await_change());
    };
    if hwfka.meta().deletion_timestamp.is_some() {
        return Ok(Action::requeue(Duration::from_secs(1)));
    }
    let owner = hwfka
        .controller_owner_ref(&())
        .ok_or(Error::Missing("metadata.uid"))?;
    let annotations = hwfka.annotations().clone();
    let spec = &hwfka.spec;
    let release = version::release(spec.image.as_deref(), &spec.version, KAFKA_REPOSITORY);
    let replicas = spec.replicas.unwrap_or(3).max(0);
    let client = &ctx.client;

    // The dependency and the configuration.
    let zookeeper_namespace = spec
        .zookeeper_ref
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| namespace.clone());
    let zookeeper_name = spec.zookeeper_ref.name.clone();
    let dependency_problem = zookeeper_problem(ctx, &zookeeper_namespace, &zookeeper_name).await;
    let (extra_config, config_problem) =
        match spec.config_map_ref.as_deref().filter(|c| !c.is_empty()) {
            None => (None, None),
            Some(config_map) => {
                let config_maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace);
                match config_maps.get_opt(config_map).await? {
                    Some(cm) => (Some(cm.data.unwrap_or_default()), None),
                    None => (
                        None,
                        Some(format!(
                            "ConfigMap {namespace}/{config_map} (spec.configMapRef) not found"
                        )),
                    ),
                }
            }
        };
    let zookeeper_connect = properties::zookeeper_connect(
        &zookeeper_name,
        &zookeeper_namespace,
        &format!("{namespace}/{name}"),
    );
    let server_properties = properties::render(&Sources {
        replicas,
        config_map: extra_config.as_ref(),
        config: spec.config.as_ref(),
        compression: spec.compression.as_deref(),
        zookeeper_connect: &zookeeper_connect,
    });
    let config_hash = properties::fingerprint(&server_properties);

    // The owned objects, by server-side apply.
    let apply = PatchParams::apply(MANAGER).force();
    let config_map = resources::kafka_config_map(
        &name,
        &namespace,
        &release.version,
        &owner,
        server_properties,
    );
    Api::<ConfigMap>::namespaced(client.clone(), &namespace)
        .patch(
            &resources::kafka_config_map_name(&name),
            &apply,
            &Patch::Apply(&config_map),
        )
        .await?;
    let service = resources::kafka_service(&name, &namespace, &release.version, &owner);
    Api::<Service>::namespaced(client.clone(), &namespace)
        .patch(
            &resources::headless_service_name(&name),
            &apply,
            &Patch::Apply(&service),
        )
        .await?;

    let statefulsets: Api<StatefulSet> = Api::namespaced(client.clone(), &namespace);
    let existing = statefulsets.get_opt(&name).await?;
    let wanted_size = spec
        .storage
        .as_ref()
        .and_then(|s| s.size.clone())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| DEFAULT_STORAGE_SIZE.to_owned());
    let wanted_class = spec
        .storage
        .as_ref()
        .and_then(|s| s.storage_class_name.clone())
        .filter(|c| !c.is_empty());
    // Claim templates cannot change: keep those the StatefulSet has.
    let (storage_size, storage_class) = match existing.as_ref().and_then(resources::existing_claim)
    {
        Some((size, class)) => {
            if size != wanted_size || class != wanted_class {
                warn!(
                    instance = %format!("{namespace}/{name}"),
                    %size, wanted = %wanted_size,
                    "spec.storage changed, but volumes of a StatefulSet cannot be changed; keeping them"
                );
            }
            (size, class)
        }
        None => (wanted_size, wanted_class),
    };
    let grace_period_seconds = resources::seconds_annotation(&annotations, GRACE_PERIOD_ANNOTATION)
        .and_then(|s| i64::try_from(s).ok())
        .unwrap_or(DEFAULT_GRACE_PERIOD_SECONDS);
    let progress_deadline =
        resources::seconds_annotation(&annotations, PROGRESS_DEADLINE_ANNOTATION)
            .map_or(ctx.settings.progress_deadline, Duration::from_secs);
    let desired = resources::kafka_statefulset(&KafkaPlan {
        instance: &name,
        namespace: &namespace,
        owner: &owner,
        release: &release,
        replicas,
        resources: resources::resource_requirements(spec.resources.as_ref()),
        storage_size,
        storage_class,
        annotations: &annotations,
        config_hash,
        grace_period_seconds,
    });
    let statefulset = statefulsets
        .patch(&name, &apply, &Patch::Apply(&desired))
        .await?;

    // What runs.
    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let pod_list = pods
        .list(&ListParams::default().labels(&resources::selector_text("kafka", &name)))
        .await?;
    let views: Vec<PodView> = pod_list.items.iter().map(PodView::from_pod).collect();
    let statefulset_view = StatefulSetView::from_statefulset(&statefulset);
    let derived = status::derive_hwfka(&HwfkaObservation {
        generation: hwfka.meta().generation,
        target_version: &release.version,
        replicas,
        previous: hwfka.status.as_ref(),
        statefulset: Some(&statefulset_view),
        pods: &views,
        dependency_problem,
        config_problem,
        now: now(),
        progress_deadline,
    });

    // Brokers stuck at a revision that is no longer wanted.
    let regarding = hwfka.object_ref(&());
    for repair in &derived.repairs {
        info!(instance = %format!("{namespace}/{name}"), pod = %repair.pod, why = %repair.why, "deleting stuck broker");
        match pods
            .delete(&repair.pod, &DeleteParams::default().grace_period(1))
            .await
        {
            Ok(_) => {
                ctx.publish(
                    &regarding,
                    false,
                    "BrokerReplaced",
                    "Repair",
                    &format!(
                        "deleted broker pod {} so that it is recreated at the current revision: {}",
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

    if hwfka.status.as_ref() != Some(&derived.status) {
        hwfkas
            .patch_status(
                &name,
                &apply,
                &Patch::Apply(json!({
                    "apiVersion": API_VERSION,
                    "kind": Hwfka::KIND,
                    "status": derived.status,
                })),
            )
            .await?;
        let previous_phase = hwfka.status.as_ref().and_then(|s| s.phase.as_deref());
        if previous_phase != Some(derived.phase.as_str()) {
            info!(
                instance = %format!("{namespace}/{name}"),
                from = previous_phase.unwrap_or("-"),
                to = derived.phase.as_str(),
                ready = derived.status.ready_replicas.unwrap_or(0),
                replicas,
                version = derived.status.current_version.as_deref().unwrap_or("-"),
                "phase changed"
            );
        }
    }
    for event in &derived.events {
        ctx.publish(
            &regarding,
            event.warning,
            event.reason,
            "Reconcile",
            &event.note,
            event
                .pod
                .as_deref()
                .map(|pod| crate::pod_reference(&namespace, pod)),
        )
        .await;
    }

    Ok(Action::requeue(if derived.settled() {
        ctx.settings.settled_requeue
    } else {
        ctx.settings.busy_requeue
    }))
}

/// On deletion: phase Deleting, the brokers' volumes deleted, an Event;
/// then the finalizer goes and the owned objects are garbage collected.
async fn cleanup(hwfkas: &Api<Hwfka>, hwfka: &Hwfka, ctx: &Context) -> Result<Action, Error> {
    let (name, namespace) = name_and_namespace(hwfka)?;
    let phase = hwfka.status.as_ref().and_then(|s| s.phase.as_deref());
    if phase != Some(Phase::Deleting.as_str()) {
        let merge = PatchParams {
            field_manager: Some(MANAGER.to_owned()),
            ..PatchParams::default()
        };
        match hwfkas
            .patch_status(
                &name,
                &merge,
                &Patch::Merge(json!({"status": {"phase": Phase::Deleting.as_str()}})),
            )
            .await
        {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.is_not_found() => {
                return Ok(Action::await_change());
            }
            Err(e) => return Err(e.into()),
        }
    }
    let claims: Api<PersistentVolumeClaim> = Api::namespaced(ctx.client.clone(), &namespace);
    let selector = ListParams::default().labels(&resources::selector_text("kafka", &name));
    let list = claims.list(&selector).await?;
    let claim_names = crate::names(&list.items);
    if !claim_names.is_empty() {
        claims
            .delete_collection(&DeleteParams::background(), &selector)
            .await?;
    }
    let note = if claim_names.is_empty() {
        format!("deleting Hwfka {name}: no PersistentVolumeClaims to delete")
    } else {
        format!(
            "deleting Hwfka {name}: deleted PersistentVolumeClaims {}",
            claim_names.join(", ")
        )
    };
    info!(instance = %format!("{namespace}/{name}"), claims = ?claim_names, "cleaned up");
    ctx.publish(
        &hwfka.object_ref(&()),
        false,
        "Deleting",
        "Cleanup",
        &note,
        None,
    )
    .await;
    Ok(Action::await_change())
}
