//! Dry runs and writes: replace with the resourceVersion precondition,
//! merge patches carrying it, creates, deletes with uid and resourceVersion
//! preconditions, rollout restarts, and Helm (through [`super::helm`]).
//! A 409 is answered with the object as it is now; a 422 with its causes.
//! Every write is recorded ([`crate::audit`] and an Event on the instance).
//!
//! In readonly mode both entry points answer `Readonly` before anything
//! else: not even discovery or a read is sent.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, ObjectMeta, Patch,
    PatchParams, PostParams, Preconditions,
};
use kube::discovery::Scope;
use kube::{Client, Resource as _, ResourceExt as _};
use serde_json::{Value, json};

use crate::domain::csd::CustomServiceDefinition;
use crate::domain::text::clean;
use crate::state::detail::InstanceRef;
use crate::state::ops::{
    AuditRecord, AuditResult, ObjectRef, OpsEvent, Write, WriteError, WritePlan,
};
use crate::state::rows::ServiceKind;

use super::{OpsSettings, helm};

/// The bound on every request to the API server.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The field manager of every write (shown in managedFields).
pub const FIELD_MANAGER: &str = "osctui";

/// The annotation a rollout restart sets on the pod template.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// Server-side dry run: `Previewed` or `PreviewFailed`.
pub async fn dry_run(client: Client, settings: &OpsSettings, id: u64, write: Write) -> OpsEvent {
    if settings.readonly {
        return OpsEvent::PreviewFailed {
            id,
            error: WriteError::Readonly,
        };
    }
    match preview(&client, settings, &write.plan).await {
        Ok((before, after)) => OpsEvent::Previewed {
            id,
            before,
            after,
            warnings: Vec::new(),
        },
        Err(error) => OpsEvent::PreviewFailed { id, error },
    }
}

/// The write: `Applied` or `ApplyFailed`, recorded either way (not in
/// readonly mode, where nothing is sent and nothing happened).
pub async fn apply(client: Client, settings: &OpsSettings, id: u64, write: Write) -> OpsEvent {
    if settings.readonly {
        return OpsEvent::ApplyFailed {
            id,
            error: WriteError::Readonly,
        };
    }
    let outcome = execute(&client, settings, &write.plan).await;
    let instance = instance_object(&client, settings, &write).await;
    let result = match &outcome {
        Ok(_) => AuditResult::Applied,
        Err(e) => AuditResult::Failed(e.to_string()),
    };
    let summary = match &outcome {
        Ok((before, after)) => {
            let diff = crate::domain::ops::diff_summary(before, after);
            if diff.is_empty() {
                write.summary.clone()
            } else {
                format!("{} ({diff})", write.summary)
            }
        }
        Err(_) => write.summary.clone(),
    };
    let record = AuditRecord {
        time: jiff::Timestamp::now()
            .round(jiff::Unit::Second)
            .map_or_else(|_| jiff::Timestamp::now().to_string(), |t| t.to_string()),
        context: settings.context.clone().unwrap_or_default(),
        user: identity(&client, settings).await,
        object: audit_object(&write.target, instance.as_ref()),
        action: write.kind.label(),
        summary: clean(&summary),
        result,
    };
    let audit = {
        let line = record.clone();
        tokio::task::spawn_blocking(move || crate::audit::append(&line))
            .await
            .map_err(|e| e.to_string())
            .and_then(|r| r.map_err(|e| e.to_string()))
            .map(|_| record.clone())
            .map_err(|e| format!("the audit log could not be written: {e}"))
    };
    if let Err(e) = record_event(&client, &write, instance.as_ref(), &record).await {
        tracing::warn!("the Event of {} could not be created: {e}", record.object);
    }
    match outcome {
        Ok((_, after)) => OpsEvent::Applied { id, after, audit },
        Err(error) => OpsEvent::ApplyFailed { id, error },
    }
}

/// Runs one request with the timeout, mapping its error.
async fn timed<T>(
    what: &str,
    request: impl Future<Output = Result<T, kube::Error>>,
) -> Result<T, WriteError> {
    match tokio::time::timeout(REQUEST_TIMEOUT, request).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(map_error(what, e)),
        Err(_) => Err(WriteError::Other(format!(
            "{what}: no answer within {}s",
            REQUEST_TIMEOUT.as_secs()
        ))),
    }
}

/// The API server's refusal as a [`WriteError`]; a conflict's `current` is
/// filled in by the caller (it needs the API).
fn map_error(what: &str, error: kube::Error) -> WriteError {
    let kube::Error::Api(status) = error else {
        return WriteError::Other(clean(&format!("{what}: {error}")));
    };
    let message = clean(if status.message.is_empty() {
        &status.reason
    } else {
        &status.message
    });
    match status.code {
        409 => WriteError::Conflict {
            message,
            current: Value::Null,
        },
        400 | 422 => WriteError::Invalid {
            message,
            causes: status
                .details
                .as_ref()
                .map(|d| {
                    d.causes
                        .iter()
                        .map(|c| (clean(&c.field), clean(&c.message)))
                        .collect()
                })
                .unwrap_or_default(),
        },
        403 => WriteError::Forbidden(message),
        404 => WriteError::NotFound(message),
        code => WriteError::Other(format!("{what}: {message} ({code})")),
    }
}

/// Drops what nobody wants in a diff.
fn strip(mut value: Value) -> Value {
    if let Some(meta) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
    }
    value
}

fn to_value<T: serde::Serialize>(object: &T) -> Result<Value, WriteError> {
    serde_json::to_value(object)
        .map(strip)
        .map_err(|e| WriteError::Other(format!("encoding the object: {e}")))
}

type ResourceKey = (String, String, String);

/// Discovery answers, per context, apiVersion and kind.
static RESOURCES: LazyLock<Mutex<HashMap<ResourceKey, (ApiResource, bool)>>> =
    LazyLock::new(Mutex::default);

/// The resource of `api_version`/`kind` and whether it is namespaced.
async fn resolve(
    client: &Client,
    settings: &OpsSettings,
    api_version: &str,
    kind: &str,
) -> Result<(ApiResource, bool), WriteError> {
    let key = (
        settings.context.clone().unwrap_or_default(),
        api_version.to_owned(),
        kind.to_owned(),
    );
    if let Some(found) = RESOURCES.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Ok(found);
    }
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, kind);
    let what = format!("discovering {}", clean(&format!("{kind}.{api_version}")));
    // Only discovery's own answer means the kind is not served; a lost
    // connection must not read as "not found".
    let answer =
        tokio::time::timeout(REQUEST_TIMEOUT, kube::discovery::pinned_kind(client, &gvk)).await;
    let (resource, caps) = match answer {
        Ok(Ok(found)) => found,
        Ok(Err(e @ kube::Error::Discovery(_))) => {
            return Err(WriteError::NotFound(clean(&format!("{what}: {e}"))));
        }
        Ok(Err(e)) => return Err(map_error(&what, e)),
        Err(_) => {
            return Err(WriteError::Other(format!(
                "{what}: no answer within {}s",
                REQUEST_TIMEOUT.as_secs()
            )));
        }
    };
    let found = (resource, matches!(caps.scope, Scope::Namespaced));
    if let Ok(mut map) = RESOURCES.lock() {
        map.insert(key, found.clone());
    }
    Ok(found)
}

/// The dynamic API of `object`'s resource in its namespace.
async fn object_api(
    client: &Client,
    settings: &OpsSettings,
    object: &ObjectRef,
) -> Result<Api<DynamicObject>, WriteError> {
    let (resource, namespaced) =
        resolve(client, settings, &object.api_version, &object.kind).await?;
    match (namespaced, &object.namespace) {
        (true, Some(ns)) => Ok(Api::namespaced_with(client.clone(), ns, &resource)),
        (true, None) => Err(WriteError::Other(format!(
            "{} {} needs a namespace",
            clean(&object.kind),
            clean(&object.name)
        ))),
        (false, _) => Ok(Api::all_with(client.clone(), &resource)),
    }
}

/// The object as it is now (managedFields dropped).
async fn read(api: &Api<DynamicObject>, name: &str) -> Result<Value, WriteError> {
    let object = timed(&format!("reading {}", clean(name)), api.get(name)).await?;
    to_value(&object)
}

/// A conflict gets the object as it is now; anything else passes.
async fn with_current(api: &Api<DynamicObject>, name: &str, error: WriteError) -> WriteError {
    match error {
        WriteError::Conflict { message, current } if current.is_null() => {
            let current = read(api, name).await.unwrap_or(Value::Null);
            WriteError::Conflict { message, current }
        }
        other => other,
    }
}

fn resource_version(value: &Value) -> Option<&str> {
    value["metadata"]["resourceVersion"]
        .as_str()
        .filter(|rv| !rv.is_empty())
}

fn post_params(dry_run: bool) -> PostParams {
    PostParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.to_owned()),
    }
}

fn patch_params(dry_run: bool) -> PatchParams {
    PatchParams {
        dry_run,
        field_manager: Some(FIELD_MANAGER.to_owned()),
        ..PatchParams::default()
    }
}

fn dynamic(body: &Value) -> Result<DynamicObject, WriteError> {
    serde_json::from_value(body.clone())
        .map_err(|e| WriteError::Other(format!("the object is not a Kubernetes object: {e}")))
}

/// The dry run of a plan: (before, after).
async fn preview(
    client: &Client,
    settings: &OpsSettings,
    plan: &WritePlan,
) -> Result<(Value, Value), WriteError> {
    match plan {
        WritePlan::Helm(write) => helm::dry_run(settings, write).await,
        WritePlan::Restart {
            namespace,
            selector,
            restarted_at,
        } => restart(client, namespace, selector, restarted_at, true).await,
        WritePlan::Create { body } => Ok((json!({}), create(client, settings, body, true).await?)),
        WritePlan::Delete { object, .. } => {
            let api = object_api(client, settings, object).await?;
            let before = read(&api, &object.name).await?;
            send(client, settings, plan, true).await?;
            Ok((before, json!({})))
        }
        WritePlan::Replace { object, .. } | WritePlan::MergePatch { object, .. } => {
            let api = object_api(client, settings, object).await?;
            let before = read(&api, &object.name).await?;
            let after = send(client, settings, plan, true).await?;
            Ok((before, after))
        }
    }
}

/// The write of a plan: (before, after), `before` as read just before the
/// write (for the audit's diff summary; `{}` when it could not be read).
async fn execute(
    client: &Client,
    settings: &OpsSettings,
    plan: &WritePlan,
) -> Result<(Value, Value), WriteError> {
    match plan {
        WritePlan::Helm(write) => {
            let before = match write {
                crate::state::ops::HelmWrite::Upgrade {
                    expected_revision, ..
                }
                | crate::state::ops::HelmWrite::Rollback {
                    expected_revision, ..
                } => json!({ "revision": expected_revision }),
            };
            Ok((before, helm::apply(settings, write).await?))
        }
        WritePlan::Restart {
            namespace,
            selector,
            restarted_at,
        } => restart(client, namespace, selector, restarted_at, false).await,
        WritePlan::Create { body } => Ok((json!({}), create(client, settings, body, false).await?)),
        WritePlan::Delete { object, .. }
        | WritePlan::Replace { object, .. }
        | WritePlan::MergePatch { object, .. } => {
            // Refuse a plan without precondition before reading anything.
            check_precondition(plan)?;
            let api = object_api(client, settings, object).await?;
            let before = read(&api, &object.name).await.unwrap_or_else(|_| json!({}));
            let after = send(client, settings, plan, false).await?;
            Ok((before, after))
        }
    }
}

fn check_precondition(plan: &WritePlan) -> Result<(), WriteError> {
    let refuse = |what: &str| {
        Err(WriteError::Other(format!(
            "refused: {what} without metadata.resourceVersion (no precondition)"
        )))
    };
    match plan {
        WritePlan::Replace { body, .. } if resource_version(body).is_none() => refuse("a replace"),
        WritePlan::MergePatch { patch, .. } if resource_version(patch).is_none() => {
            refuse("a merge patch")
        }
        WritePlan::Delete {
            uid,
            resource_version,
            ..
        } if uid.is_empty() || resource_version.is_empty() => Err(WriteError::Other(
            "refused: a delete without uid and resourceVersion (no precondition)".into(),
        )),
        _ => Ok(()),
    }
}

/// Replace, merge patch or delete of one object, dry or not: the object
/// as the server stored (or would store) it; `{}` for a finished delete.
async fn send(
    client: &Client,
    settings: &OpsSettings,
    plan: &WritePlan,
    dry_run: bool,
) -> Result<Value, WriteError> {
    check_precondition(plan)?;
    let (object, what) = match plan {
        WritePlan::Replace { object, .. } => (object, "replace"),
        WritePlan::MergePatch { object, .. } => (object, "patch"),
        WritePlan::Delete { object, .. } => (object, "delete"),
        _ => return Err(WriteError::Other("not a write of one object".into())),
    };
    let api = object_api(client, settings, object).await?;
    let name = &object.name;
    let what = format!("{what} {} {}", clean(&object.kind), clean(name));
    let result = match plan {
        WritePlan::Replace { body, .. } => {
            let body = dynamic(body)?;
            if body.metadata.name.as_deref() != Some(name.as_str()) {
                return Err(WriteError::Other(format!(
                    "refused: the new object is not named {}",
                    clean(name)
                )));
            }
            timed(&what, api.replace(name, &post_params(dry_run), &body))
                .await
                .and_then(|o| to_value(&o))
        }
        WritePlan::MergePatch { patch, .. } => timed(
            &what,
            api.patch(name, &patch_params(dry_run), &Patch::Merge(patch)),
        )
        .await
        .and_then(|o| to_value(&o)),
        WritePlan::Delete {
            uid,
            resource_version,
            ..
        } => {
            let params = DeleteParams {
                dry_run,
                preconditions: Some(Preconditions {
                    uid: Some(uid.clone()),
                    resource_version: Some(resource_version.clone()),
                }),
                ..DeleteParams::default()
            };
            match timed(&what, api.delete(name, &params)).await {
                // Still there (finalizers): as it is now, deletionTimestamp set.
                Ok(either) if !dry_run => match either.left() {
                    Some(object) => to_value(&object),
                    None => Ok(json!({})),
                },
                Ok(_) => Ok(json!({})),
                Err(e) => Err(e),
            }
        }
        _ => Err(WriteError::Other("not a write of one object".into())),
    };
    match result {
        Ok(value) => Ok(value),
        Err(e) => Err(match with_current(&api, name, e).await {
            // The request went out and its answer was lost (a broken
            // connection, a timeout): it may have been stored. Applying
            // again is safe (the precondition refuses a second write), but
            // the user must not be told nothing happened.
            WriteError::Other(m) if !dry_run => WriteError::Other(format!(
                "{m} (no answer: the change may have been stored; check before applying again)"
            )),
            other => other,
        }),
    }
}

/// Creates `body` (dry or not): the object as stored.
async fn create(
    client: &Client,
    settings: &OpsSettings,
    body: &Value,
    dry_run: bool,
) -> Result<Value, WriteError> {
    let object = dynamic(body)?;
    let types = object
        .types
        .as_ref()
        .ok_or_else(|| WriteError::Other("the object names no apiVersion and kind".into()))?;
    let target = ObjectRef {
        api_version: types.api_version.clone(),
        kind: types.kind.clone(),
        namespace: object.metadata.namespace.clone(),
        name: object.metadata.name.clone().unwrap_or_default(),
    };
    let api = object_api(client, settings, &target).await?;
    let what = format!("create {} {}", clean(&target.kind), clean(&target.name));
    match timed(&what, api.create(&post_params(dry_run), &object)).await {
        Ok(created) => to_value(&created),
        // AlreadyExists: the conflict shows the object that has the name.
        Err(e) => Err(with_current(&api, &target.name, e).await),
    }
}

/// One workload of a rollout restart, as shown in the preview.
fn workload(kind: &str, name: &str, restarted_at: Option<&String>) -> Value {
    json!({ "kind": kind, "name": name, "restartedAt": restarted_at })
}

/// Sets the restart annotation on the pod template of every StatefulSet
/// and Deployment matching `selector` (each patch carries the workload's
/// resourceVersion): `({"workloads": before}, {"workloads": after})`.
async fn restart(
    client: &Client,
    namespace: &str,
    selector: &str,
    restarted_at: &str,
    dry_run: bool,
) -> Result<(Value, Value), WriteError> {
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), namespace);
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let params = ListParams::default().labels(selector);
    let listed_sets = timed("listing StatefulSets", sets.list(&params)).await?;
    let listed_deployments = timed("listing Deployments", deployments.list(&params)).await?;
    if listed_sets.items.is_empty() && listed_deployments.items.is_empty() {
        return Err(WriteError::NotFound(format!(
            "no StatefulSet or Deployment in {} matches {}",
            clean(namespace),
            clean(selector)
        )));
    }
    let mut seen = (Vec::new(), Vec::new());
    let set_restarted =
        |s: &StatefulSet| restarted(s.spec.as_ref().and_then(|s| s.template.metadata.as_ref()));
    restart_each(
        &sets,
        &listed_sets.items,
        set_restarted,
        restarted_at,
        dry_run,
        &mut seen,
    )
    .await?;
    let deployment_restarted =
        |d: &Deployment| restarted(d.spec.as_ref().and_then(|s| s.template.metadata.as_ref()));
    restart_each(
        &deployments,
        &listed_deployments.items,
        deployment_restarted,
        restarted_at,
        dry_run,
        &mut seen,
    )
    .await?;
    let (before, after) = seen;
    Ok((
        json!({ "workloads": before }),
        json!({ "workloads": after }),
    ))
}

/// The restart annotation of a pod template's metadata.
fn restarted(meta: Option<&ObjectMeta>) -> Option<String> {
    meta.and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(RESTARTED_AT))
        .cloned()
}

/// Patches the restart annotation onto the pod template of each of `items`
/// through `api` (each patch carries the workload's resourceVersion),
/// adding each one's annotation as listed to `seen.0` and as stored to
/// `seen.1`; `restarted` reads it from a workload.
async fn restart_each<K>(
    api: &Api<K>,
    items: &[K],
    restarted: impl Fn(&K) -> Option<String>,
    restarted_at: &str,
    dry_run: bool,
    seen: &mut (Vec<Value>, Vec<Value>),
) -> Result<(), WriteError>
where
    K: kube::Resource<DynamicType = ()> + Clone + serde::de::DeserializeOwned + std::fmt::Debug,
{
    let kind = K::kind(&());
    let (before, after) = seen;
    for item in items {
        let name = item.name_any();
        before.push(workload(&kind, &name, restarted(item).as_ref()));
        let patch = json!({
            "metadata": { "resourceVersion": item.resource_version() },
            "spec": { "template": { "metadata": { "annotations": { RESTARTED_AT: restarted_at } } } }
        });
        let what = format!("restart {kind} {}", clean(&name));
        let stored = timed(
            &what,
            api.patch(&name, &patch_params(dry_run), &Patch::Merge(&patch)),
        )
        .await
        .map_err(|e| restart_conflict(e, before))?;
        after.push(workload(&kind, &name, restarted(&stored).as_ref()));
    }
    Ok(())
}

/// A workload changed between the list and its patch: the conflict shows
/// the workloads as listed (the wizard starts again from a fresh list).
fn restart_conflict(error: WriteError, listed: &[Value]) -> WriteError {
    match error {
        WriteError::Conflict { message, .. } => WriteError::Conflict {
            message,
            current: json!({ "workloads": listed }),
        },
        other => other,
    }
}

/// The user as the cluster knows them, per context (SelfSubjectReview).
static IDENTITIES: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Mutex::default);

async fn identity(client: &Client, settings: &OpsSettings) -> String {
    let key = settings.context.clone().unwrap_or_default();
    if let Some(user) = IDENTITIES.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return user;
    }
    let api: Api<SelfSubjectReview> = Api::all(client.clone());
    let review = timed(
        "SelfSubjectReview",
        api.create(&PostParams::default(), &SelfSubjectReview::default()),
    )
    .await;
    match review
        .ok()
        .and_then(|r| r.status)
        .and_then(|s| s.user_info)
        .and_then(|u| u.username)
    {
        Some(user) => {
            let user = clean(&user);
            if let Ok(mut map) = IDENTITIES.lock() {
                map.insert(key, user.clone());
            }
            user
        }
        None => "unknown".to_owned(),
    }
}

/// The instance as an object the Event can point at.
struct Instance {
    api_version: String,
    kind: String,
    name: String,
    uid: Option<String>,
}

/// Operator: the CR (its kind from the plan when the plan is about the
/// instance, else from the service's CSD). Helm: the latest release Secret.
async fn instance_object(
    client: &Client,
    settings: &OpsSettings,
    write: &Write,
) -> Option<Instance> {
    let target = &write.target;
    if target.kind == ServiceKind::Helm {
        return release_secret(client, target).await;
    }
    let own = match &write.plan {
        WritePlan::Replace { object, .. }
        | WritePlan::MergePatch { object, .. }
        | WritePlan::Delete { object, .. }
            if object.name == target.name
                && object.namespace.as_deref() == Some(target.namespace.as_str()) =>
        {
            Some((object.api_version.clone(), object.kind.clone()))
        }
        _ => None,
    };
    let (api_version, kind) = match own {
        Some(found) => found,
        None => service_kind(client, settings, &target.service).await?,
    };
    // A Kubernetes uid (the console's ids for operator instances are).
    let uid = (!target.uid.contains(':')).then(|| target.uid.clone());
    Some(Instance {
        api_version,
        kind,
        name: target.name.clone(),
        uid,
    })
}

/// The instances' (apiVersion, kind) of each service, per context.
/// (context, service) -> (apiVersion, kind).
type ServiceKinds = HashMap<(String, String), (String, String)>;

static SERVICE_KINDS: LazyLock<Mutex<ServiceKinds>> = LazyLock::new(Mutex::default);

/// The apiVersion and kind of a service's instances: the storage version
/// of the CRD its CSD names.
async fn service_kind(
    client: &Client,
    settings: &OpsSettings,
    service: &str,
) -> Option<(String, String)> {
    let key = (
        settings.context.clone().unwrap_or_default(),
        service.to_owned(),
    );
    if let Some(found) = SERVICE_KINDS.lock().ok().and_then(|m| m.get(&key).cloned()) {
        return Some(found);
    }
    let gvk = GroupVersionKind::gvk("osc.io", "v1beta1", "CustomServiceDefinition");
    let resource = ApiResource::from_gvk_with_plural(&gvk, "customservicedefinitions");
    let api = Api::<DynamicObject>::all_with(client.clone(), &resource);
    let csd = timed("reading the CSD", api.get(service)).await.ok()?;
    let csd = CustomServiceDefinition::from_value(&serde_json::to_value(&csd).ok()?).ok()?;
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd = timed("reading the CRD", crds.get(&csd.spec.crd_ref?.name))
        .await
        .ok()?;
    let version = crd.spec.versions.iter().find(|v| v.storage)?;
    let group = &crd.spec.group;
    let api_version = if group.is_empty() {
        version.name.clone()
    } else {
        format!("{group}/{}", version.name)
    };
    let found = (api_version, crd.spec.names.kind);
    if let Ok(mut map) = SERVICE_KINDS.lock() {
        map.insert(key, found.clone());
    }
    Some(found)
}

/// The Secret of the release's latest revision.
async fn release_secret(client: &Client, target: &InstanceRef) -> Option<Instance> {
    let api: Api<Secret> = Api::namespaced(client.clone(), &target.namespace);
    let params = ListParams::default().labels(&format!("owner=helm,name={}", target.name));
    let list = timed("listing release Secrets", api.list_metadata(&params))
        .await
        .ok()?;
    let latest = list.items.into_iter().max_by_key(|s| {
        s.labels()
            .get("version")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    })?;
    Some(Instance {
        api_version: "v1".into(),
        kind: "Secret".into(),
        name: latest.name_any(),
        uid: latest.meta().uid.clone(),
    })
}

/// `Kind namespace/name` of the instance for the audit log.
fn audit_object(target: &InstanceRef, instance: Option<&Instance>) -> String {
    let kind = match (target.kind, instance) {
        (ServiceKind::Helm, _) => "HelmRelease".to_owned(),
        (ServiceKind::Operator, Some(i)) => i.kind.clone(),
        (ServiceKind::Operator, None) => target.service.clone(),
    };
    clean(&format!("{kind} {}/{}", target.namespace, target.name))
}

/// "helm upgrade" -> "OsctuiHelmUpgrade".
fn event_reason(action: &str) -> String {
    let mut reason = String::from("Osctui");
    for word in action.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            reason.push(first.to_ascii_uppercase());
            reason.extend(chars);
        }
    }
    reason
}

/// The Event on the instance (or its release Secret); skipped when the
/// instance could not be identified.
async fn record_event(
    client: &Client,
    write: &Write,
    instance: Option<&Instance>,
    record: &AuditRecord,
) -> Result<(), String> {
    let target = &write.target;
    let Some(instance) = instance else {
        return Err("the instance's kind is unknown (no Event)".into());
    };
    let (event_type, result) = match &record.result {
        AuditResult::Applied => ("Normal", "applied".to_owned()),
        AuditResult::Failed(why) => ("Warning", format!("failed: {why}")),
    };
    let mut message = format!("{}: {result} (by {})", record.summary, record.user);
    if message.len() > 1000 {
        let mut end = 1000;
        while !message.is_char_boundary(end) {
            end -= 1;
        }
        message.truncate(end);
    }
    let now = Time(jiff::Timestamp::now());
    let event = Event {
        metadata: ObjectMeta {
            generate_name: Some("osctui-".into()),
            namespace: Some(target.namespace.clone()),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            api_version: Some(instance.api_version.clone()),
            kind: Some(instance.kind.clone()),
            name: Some(instance.name.clone()),
            namespace: Some(target.namespace.clone()),
            uid: instance.uid.clone(),
            ..ObjectReference::default()
        },
        reason: Some(event_reason(&record.action)),
        message: Some(message),
        type_: Some(event_type.into()),
        source: Some(EventSource {
            component: Some(FIELD_MANAGER.into()),
            host: None,
        }),
        reporting_component: Some(FIELD_MANAGER.into()),
        reporting_instance: Some(FIELD_MANAGER.into()),
        first_timestamp: Some(now.clone()),
        last_timestamp: Some(now),
        count: Some(1),
        ..Event::default()
    };
    let api: Api<Event> = Api::namespaced(client.clone(), &target.namespace);
    timed(
        "creating the Event",
        api.create(&PostParams::default(), &event),
    )
    .await
    .map(|_| ())
    .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_camel_case() {
        assert_eq!(event_reason("upgrade"), "OsctuiUpgrade");
        assert_eq!(event_reason("helm upgrade"), "OsctuiHelmUpgrade");
        assert_eq!(
            event_reason("action kafka-backup"),
            "OsctuiActionKafkaBackup"
        );
        assert_eq!(event_reason("edit YAML"), "OsctuiEditYAML");
    }

    #[test]
    fn writes_without_precondition_are_refused() {
        let object = ObjectRef {
            api_version: "v1".into(),
            kind: "ConfigMap".into(),
            namespace: Some("a".into()),
            name: "b".into(),
        };
        let replace = WritePlan::Replace {
            object: object.clone(),
            body: json!({"metadata": {"name": "b"}}),
        };
        assert!(check_precondition(&replace).is_err());
        let patch = WritePlan::MergePatch {
            object: object.clone(),
            patch: json!({"metadata": {"resourceVersion": "7"}, "data": {"k": "v"}}),
        };
        assert!(check_precondition(&patch).is_ok());
        let delete = WritePlan::Delete {
            object,
            uid: String::new(),
            resource_version: "7".into(),
        };
        assert!(check_precondition(&delete).is_err());
    }

    #[test]
    fn api_errors_map_to_write_errors() {
        let status = |code: u16, causes: Vec<kube::core::response::StatusCause>| {
            kube::Error::Api(Box::new(kube::core::Status {
                code,
                message: "bad \u{1b}[2Jthing".into(),
                details: Some(kube::core::response::StatusDetails {
                    name: String::new(),
                    group: String::new(),
                    kind: String::new(),
                    uid: String::new(),
                    causes,
                    retry_after_seconds: 0,
                }),
                ..Default::default()
            }))
        };
        let cause = kube::core::response::StatusCause {
            field: "spec.replicas".into(),
            message: "must be <= 9".into(),
            reason: "FieldValueInvalid".into(),
        };
        match map_error("x", status(422, vec![cause])) {
            WriteError::Invalid { message, causes } => {
                assert!(!message.contains('\u{1b}'));
                assert_eq!(
                    causes,
                    vec![("spec.replicas".into(), "must be <= 9".into())]
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            map_error("x", status(409, vec![])),
            WriteError::Conflict { .. }
        ));
        assert!(matches!(
            map_error("x", status(403, vec![])),
            WriteError::Forbidden(_)
        ));
        assert!(matches!(
            map_error("x", status(404, vec![])),
            WriteError::NotFound(_)
        ));
        assert!(matches!(
            map_error("x", status(500, vec![])),
            WriteError::Other(_)
        ));
    }
}
