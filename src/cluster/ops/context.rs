//! Reads the [`OpsContext`] of an instance: the CR (managedFields dropped),
//! its CSD, the CRD's storage schema of `spec`, the operation CSDs of the
//! service with their CRDs' schemas, the operation CRs already aimed at
//! the instance, Secret and ConfigMap names for pickers, the Helm release,
//! and the permissions (through [`super::access`]).
//!
//! Also follows one operation CR until it ends ([`follow_operation`]).
//! Every request is bounded by [`REQUEST_TIMEOUT`], so a dead API server
//! gets an answer to the wizard within seconds.

use std::cmp::Reverse;
use std::future::Future;
use std::path::Path;
use std::time::Duration;

use futures::StreamExt as _;
use futures::future::join_all;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::{
    CustomResourceDefinition, JSONSchemaProps,
};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use kube::runtime::{WatchStreamExt as _, watcher};
use serde_json::Value;
use tokio::sync::mpsc;

use super::OpsSettings;
use super::access::{self, Resource, Subject};
use crate::action::Msg;
use crate::cluster::client::plain_error;
use crate::domain::csd::{CustomServiceDefinition, Role};
use crate::domain::helm::{HelmRelease, RELEASE_SECRET_TYPE, decode_release_data};
use crate::domain::path::FieldPath;
use crate::domain::schema::storage_schema;
use crate::domain::text::clean;
use crate::domain::version::compare_versions;
use crate::state::detail::InstanceRef;
use crate::state::ops::{
    HelmOpsContext, ObjectRef, OpKind, OperationRun, OperationService, OpsContext, OpsEvent,
    Permission,
};
use crate::state::rows::ServiceKind;

/// Longest wait for one request to the API server.
pub(super) const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Longest time to read a whole context.
const PREPARE_TIMEOUT: Duration = Duration::from_secs(20);

/// Between two attempts to find the resource of a followed operation CR.
const FOLLOW_RETRY: Duration = Duration::from_secs(2);

/// Phases after which an operation CR changes no more.
const END_PHASES: [&str; 4] = ["Succeeded", "Completed", "Failed", "Error"];

/// The phase reported when a followed operation CR is gone.
pub const DELETED_PHASE: &str = "Deleted";

/// Environment variable naming the `helm` binary (else it is looked up
/// on the `PATH` by [`super::helm::helm_binary`]).
const HELM_ENV: &str = "OSCTUI_HELM";

/// Helm's release Secrets are named so; they are no choice for a picker.
const RELEASE_SECRET_PREFIX: &str = "sh.helm.release.v1.";

/// Reads everything; answers `Prepared` or `PrepareFailed` (only when the
/// instance itself cannot be read; other gaps go to `problems`).
pub async fn prepare(
    client: Client,
    settings: &OpsSettings,
    id: u64,
    target: InstanceRef,
) -> OpsEvent {
    let read = async {
        match target.kind {
            ServiceKind::Operator => operator_context(&client, settings, target).await,
            ServiceKind::Helm => helm_context(&client, settings, target).await,
        }
    };
    // Each request is bounded; this bounds a server that dies between them.
    match tokio::time::timeout(PREPARE_TIMEOUT, read).await {
        Ok(Ok(context)) => OpsEvent::Prepared {
            id,
            context: Box::new(context),
        },
        Ok(Err(error)) => OpsEvent::PrepareFailed { id, error },
        Err(_) => OpsEvent::PrepareFailed {
            id,
            error: format!(
                "the API server did not answer within {} s",
                PREPARE_TIMEOUT.as_secs()
            ),
        },
    }
}

/// A failed request: the HTTP code when the server answered, and words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Failure {
    code: Option<u16>,
    text: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A Kubernetes API error in a few words ("forbidden", "not found").
pub(super) fn describe_error(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => match status.code {
            401 => "unauthorized".to_owned(),
            403 => "forbidden".to_owned(),
            404 => "not found".to_owned(),
            _ if !status.message.is_empty() => clean(&status.message),
            _ => clean(&status.reason),
        },
        other => clean(&plain_error(other, "")),
    }
}

/// One request, bounded by [`REQUEST_TIMEOUT`].
async fn bounded<T>(request: impl Future<Output = Result<T, kube::Error>>) -> Result<T, Failure> {
    match tokio::time::timeout(REQUEST_TIMEOUT, request).await {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(error)) => Err(Failure {
            code: match &error {
                kube::Error::Api(status) => Some(status.code),
                _ => None,
            },
            text: describe_error(&error),
        }),
        Err(_) => Err(Failure {
            code: None,
            text: format!("no answer within {} s", REQUEST_TIMEOUT.as_secs()),
        }),
    }
}

fn csd_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("osc.io", "v1beta1", "CustomServiceDefinition");
    ApiResource::from_gvk_with_plural(&gvk, "customservicedefinitions")
}

/// A CR as JSON, without its managedFields (large, never shown, and not
/// to be sent back); resourceVersion stays: it is every write's
/// precondition.
fn object_value(object: &DynamicObject) -> Value {
    let mut value = serde_json::to_value(object).unwrap_or_default();
    if let Some(metadata) = value.get_mut("metadata").and_then(Value::as_object_mut) {
        metadata.remove("managedFields");
    }
    value
}

/// The CSD named `service` and every CSD (for the operation CSDs), read
/// together. The first is required; a failed list is a problem.
async fn read_csds(
    client: &Client,
    service: &str,
) -> (
    Result<Value, Failure>,
    Result<Vec<CustomServiceDefinition>, String>,
) {
    let api = Api::<DynamicObject>::all_with(client.clone(), &csd_resource());
    let params = ListParams::default();
    let (one, all) = tokio::join!(bounded(api.get(service)), bounded(api.list(&params)));
    let all = all
        .map(|list| {
            list.items
                .iter()
                .filter_map(|item| CustomServiceDefinition::from_value(&object_value(item)).ok())
                .collect()
        })
        .map_err(|e| format!("actions: CSDs: {e}"));
    (one.map(|object| object_value(&object)), all)
}

/// The operation CSDs acting on `service`, by name.
fn operation_csds(
    all: Vec<CustomServiceDefinition>,
    service: &str,
) -> Vec<CustomServiceDefinition> {
    let mut out: Vec<CustomServiceDefinition> = all
        .into_iter()
        .filter(|csd| {
            csd.spec.role == Role::Operation && csd.spec.operation_of.as_deref() == Some(service)
        })
        .collect();
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

/// A CRD found: the resource of its CRs and the schema of their `spec`.
struct Resolved {
    resource: ApiResource,
    spec_schema: Option<Value>,
    problems: Vec<String>,
}

/// `openAPIV3Schema.properties.spec`, as JSON.
fn spec_schema(schema: &JSONSchemaProps) -> Option<Value> {
    let spec = schema.properties.as_ref()?.get("spec")?;
    serde_json::to_value(spec).ok()
}

/// The resource of a CRD's CRs (its storage version, else a served one).
fn crd_resource(crd: &CustomResourceDefinition) -> Option<ApiResource> {
    let spec = &crd.spec;
    let version = spec
        .versions
        .iter()
        .find(|v| v.served && v.storage)
        .or_else(|| spec.versions.iter().find(|v| v.served))?;
    let gvk = GroupVersionKind::gvk(&spec.group, &version.name, &spec.names.kind);
    Some(ApiResource::from_gvk_with_plural(&gvk, &spec.names.plural))
}

/// Reads the CRD named `crd_name`. A user who may not read CRDs (they are
/// cluster-scoped) still gets the resource through discovery, which every
/// authenticated user may read, only without the schema.
async fn resolve_crd(client: &Client, crd_name: &str) -> Result<Resolved, String> {
    let what = format!("CRD {}", clean(crd_name));
    match bounded(Api::<CustomResourceDefinition>::all(client.clone()).get(crd_name)).await {
        Ok(crd) => {
            let resource =
                crd_resource(&crd).ok_or_else(|| format!("{what}: no served version"))?;
            let mut problems = Vec::new();
            let spec_schema = match storage_schema(&crd) {
                Ok((_, schema)) => spec_schema(schema),
                Err(e) => {
                    problems.push(format!("{what}: {e}"));
                    None
                }
            };
            Ok(Resolved {
                resource,
                spec_schema,
                problems,
            })
        }
        // Only when the server answered (forbidden): one that does not
        // answer will not answer discovery either.
        Err(failure) if failure.code.is_some() => {
            let resource = discover(client, crd_name)
                .await
                .map_err(|e| format!("{what}: {failure}; discovery: {e}"))?;
            Ok(Resolved {
                resource,
                spec_schema: None,
                problems: vec![format!("{what}: {failure} (no schema)")],
            })
        }
        Err(failure) => Err(format!("{what}: {failure}")),
    }
}

/// The resource a CRD named `<plural>.<group>` serves, by discovery.
async fn discover(client: &Client, crd_name: &str) -> Result<ApiResource, String> {
    let Resource { group, plural } =
        Resource::of_crd(crd_name).ok_or_else(|| "not a CRD name".to_owned())?;
    let api_group = bounded(kube::discovery::group(client, &group))
        .await
        .map_err(|e| e.to_string())?;
    api_group
        .recommended_resources()
        .into_iter()
        .map(|(resource, _)| resource)
        .find(|resource| resource.plural == plural)
        .ok_or_else(|| format!("the API server serves no {plural} in {group}"))
}

/// The operation CSDs with their resolved CRDs; those whose CRD cannot be
/// found at all are left out with a problem.
async fn read_operations(
    client: &Client,
    csds: Vec<CustomServiceDefinition>,
    problems: &mut Vec<String>,
) -> Vec<(OperationService, ApiResource)> {
    let resolved = join_all(csds.iter().map(|csd| async move {
        match &csd.spec.crd_ref {
            Some(crd_ref) => resolve_crd(client, &crd_ref.name).await,
            None => Err("its CSD names no CRD".to_owned()),
        }
    }))
    .await;
    let mut out = Vec::new();
    for (csd, resolved) in csds.into_iter().zip(resolved) {
        match resolved {
            Ok(resolved) => {
                problems.extend(resolved.problems);
                let spec = csd.spec;
                out.push((
                    OperationService {
                        name: csd.name,
                        display_name: spec.display_name,
                        description: spec.description,
                        api_version: resolved.resource.api_version.clone(),
                        kind: resolved.resource.kind.clone(),
                        target_path: spec.target_path,
                        spec_schema: resolved.spec_schema,
                        descriptors: spec.descriptors.spec_descriptors,
                        default_configuration: spec.default_configuration,
                    },
                    resolved.resource,
                ));
            }
            Err(e) => problems.push(format!("action {}: {e}", csd.name)),
        }
    }
    out
}

/// The resource RBAC knows an API resource as.
fn rbac_resource(resource: &ApiResource) -> Resource {
    Resource::new(&resource.group, &resource.plural)
}

/// The state of an operation CR: `status.phase`, and `status.message` or
/// else the message of its last condition that has one.
pub fn operation_run(kind: &str, object: &Value) -> OperationRun {
    let status = &object["status"];
    let text = |value: &Value| {
        value
            .as_str()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(clean)
    };
    let message = text(&status["message"]).or_else(|| {
        status["conditions"]
            .as_array()?
            .iter()
            .rev()
            .find_map(|c| text(&c["message"]))
    });
    OperationRun {
        kind: clean(kind),
        name: clean(object["metadata"]["name"].as_str().unwrap_or_default()),
        phase: text(&status["phase"]),
        message,
        created: object["metadata"]["creationTimestamp"]
            .as_str()
            .and_then(|t| t.parse::<jiff::Timestamp>().ok())
            .map(jiff::Timestamp::as_second),
    }
}

/// Whether `object` aims at the instance named `instance` (its name at
/// `target_path`, a path from the CR's root).
fn aims_at(object: &Value, target_path: &str, instance: &str) -> bool {
    FieldPath::parse(target_path)
        .ok()
        .and_then(|path| {
            path.get(object)
                .and_then(Value::as_str)
                .map(|n| n == instance)
        })
        .unwrap_or(false)
}

/// The operation CRs of the namespace aimed at the instance, newest first.
async fn read_runs(
    client: &Client,
    namespace: &str,
    instance: &str,
    operations: &[(OperationService, ApiResource)],
) -> (Vec<OperationRun>, Vec<String>) {
    let lists = join_all(operations.iter().map(|(operation, resource)| async move {
        // Without a target path nothing says which instance a CR is for.
        let target_path = operation.target_path.as_deref()?;
        let api = Api::<DynamicObject>::namespaced_with(client.clone(), namespace, resource);
        let list = bounded(api.list(&ListParams::default()))
            .await
            .map(|list| {
                list.items
                    .iter()
                    .map(object_value)
                    .filter(|object| aims_at(object, target_path, instance))
                    .map(|object| operation_run(&resource.kind, &object))
                    .collect::<Vec<_>>()
            })
            .map_err(|e| clean(&format!("{} CRs: {e}", resource.kind)));
        Some(list)
    }))
    .await;
    let mut runs = Vec::new();
    let mut problems = Vec::new();
    for list in lists.into_iter().flatten() {
        match list {
            Ok(found) => runs.extend(found),
            Err(problem) => problems.push(problem),
        }
    }
    runs.sort_by(|a, b| {
        Reverse(a.created)
            .cmp(&Reverse(b.created))
            .then_with(|| a.name.cmp(&b.name))
    });
    (runs, problems)
}

/// The names of the Secrets and ConfigMaps of the namespace (metadata
/// only), for pickers; a list that fails is a problem.
async fn read_pickers(client: &Client, namespace: &str) -> (Vec<String>, Vec<String>, Vec<String>) {
    let secrets = Api::<Secret>::namespaced(client.clone(), namespace);
    let config_maps = Api::<ConfigMap>::namespaced(client.clone(), namespace);
    let params = ListParams::default();
    let (secrets, config_maps) = tokio::join!(
        bounded(secrets.list_metadata(&params)),
        bounded(config_maps.list_metadata(&params))
    );
    let mut problems = Vec::new();
    let mut names = |list: Result<Vec<Option<String>>, Failure>, what: &str| match list {
        Ok(names) => {
            let mut names: Vec<String> = names
                .into_iter()
                .flatten()
                .filter(|name| !name.starts_with(RELEASE_SECRET_PREFIX))
                .map(|name| clean(&name))
                .collect();
            names.sort();
            names
        }
        Err(e) => {
            problems.push(format!("{what}: {e}"));
            Vec::new()
        }
    };
    let secrets = names(
        secrets.map(|l| l.items.into_iter().map(|o| o.metadata.name).collect()),
        "Secrets",
    );
    let config_maps = names(
        config_maps.map(|l| l.items.into_iter().map(|o| o.metadata.name).collect()),
        "ConfigMaps",
    );
    (secrets, config_maps, problems)
}

/// What both kinds of instance read once the instance itself is known.
struct Extras {
    runs: Vec<OperationRun>,
    secrets: Vec<String>,
    config_maps: Vec<String>,
    permissions: Vec<(OpKind, Permission)>,
    problems: Vec<String>,
}

async fn read_extras(
    client: &Client,
    settings: &OpsSettings,
    target: &InstanceRef,
    instance: Option<Resource>,
    operations: &[(OperationService, ApiResource)],
) -> Extras {
    let subject = Subject {
        namespace: target.namespace.clone(),
        name: target.name.clone(),
        instance,
        operations: operations
            .iter()
            .map(|(operation, resource)| (operation.name.clone(), rbac_resource(resource)))
            .collect(),
    };
    let ((runs, mut problems), (secrets, config_maps, picker_problems), permissions) = tokio::join!(
        read_runs(client, &target.namespace, &target.name, operations),
        read_pickers(client, &target.namespace),
        access::review(client, settings, access::needs(&subject)),
    );
    problems.extend(picker_problems);
    Extras {
        runs,
        secrets,
        config_maps,
        permissions,
        problems,
    }
}

async fn operator_context(
    client: &Client,
    settings: &OpsSettings,
    target: InstanceRef,
) -> Result<OpsContext, String> {
    let service = clean(&target.service);
    let (csd, all) = read_csds(client, &target.service).await;
    let csd = csd.map_err(|e| format!("service {service}: CSD {e}"))?;
    let csd = CustomServiceDefinition::from_value(&csd)
        .map_err(|e| clean(&format!("service {service}: {e}")))?;
    let crd_name = csd
        .spec
        .crd_ref
        .as_ref()
        .map(|r| r.name.clone())
        .ok_or_else(|| format!("service {service}: its CSD names no CRD"))?;
    let mut problems = Vec::new();
    let operation_csds = match all {
        Ok(all) => operation_csds(all, &target.service),
        Err(problem) => {
            problems.push(problem);
            Vec::new()
        }
    };
    let (resolved, operations) = tokio::join!(resolve_crd(client, &crd_name), async {
        let mut found = Vec::new();
        let operations = read_operations(client, operation_csds, &mut found).await;
        (operations, found)
    });
    let resolved = resolved.map_err(|e| format!("service {service}: {e}"))?;
    problems.extend(resolved.problems);
    let (operations, operation_problems) = operations;
    problems.extend(operation_problems);

    let api = Api::<DynamicObject>::namespaced_with(
        client.clone(),
        &target.namespace,
        &resolved.resource,
    );
    let object = bounded(api.get(&target.name)).await.map_err(|e| {
        clean(&format!(
            "{} {}/{}: {e}",
            resolved.resource.kind, target.namespace, target.name
        ))
    })?;
    let object = object_value(&object);

    let extras = read_extras(
        client,
        settings,
        &target,
        Some(rbac_resource(&resolved.resource)),
        &operations,
    )
    .await;
    problems.extend(extras.problems);
    Ok(OpsContext {
        target,
        object,
        csd: Some(csd),
        spec_schema: resolved.spec_schema,
        operations: operations.into_iter().map(|(o, _)| o).collect(),
        runs: extras.runs,
        permissions: extras.permissions,
        secrets: extras.secrets,
        config_maps: extras.config_maps,
        helm: None,
        problems,
    })
}

/// Decodes the release Secrets of one release; the undecodable ones are
/// problems.
fn decode_releases(secrets: &[Secret]) -> (Vec<HelmRelease>, Vec<String>) {
    let mut releases = Vec::new();
    let mut problems = Vec::new();
    for secret in secrets {
        if secret.type_.as_deref() != Some(RELEASE_SECRET_TYPE) {
            continue;
        }
        let name = secret.metadata.name.as_deref().unwrap_or_default();
        let decoded = secret
            .data
            .as_ref()
            .and_then(|data| data.get("release"))
            .ok_or_else(|| "the Secret has no data.release".to_owned())
            .and_then(|data| decode_release_data(&data.0).map_err(|e| e.to_string()));
        match decoded {
            Ok(release) => releases.push(release),
            Err(e) => problems.push(clean(&format!("release record {name}: {e}"))),
        }
    }
    (releases, problems)
}

/// The Helm part of the context from the release's revisions; None when
/// there is none.
pub fn helm_ops_context(
    releases: &[HelmRelease],
    available: Vec<(String, String)>,
    helm_binary: Option<String>,
) -> Option<HelmOpsContext> {
    let latest = releases.iter().max_by_key(|r| r.revision)?;
    let mut revisions: Vec<&HelmRelease> = releases.iter().collect();
    revisions.sort_by_key(|r| Reverse(r.revision));
    let revision = |r: &HelmRelease| u32::try_from(r.revision).unwrap_or(u32::MAX);
    Some(HelmOpsContext {
        revision: revision(latest),
        chart: clean(&latest.chart_name),
        chart_version: clean(&latest.chart_version),
        values: if latest.values.is_null() {
            Value::Object(serde_json::Map::new())
        } else {
            latest.values.clone()
        },
        history: revisions
            .into_iter()
            .map(|r| {
                (
                    revision(r),
                    clean(&r.chart_version),
                    clean(r.status.as_str()),
                    clean(r.description.as_deref().unwrap_or_default()),
                )
            })
            .collect(),
        available,
        helm_binary,
    })
}

/// The packaged versions of `chart` in `dir` (`<chart>-<version>.tgz`),
/// newest first, each with the file's full path as its chart reference.
/// A file of another chart whose name starts the same
/// (`memcached-exporter-1.0.0.tgz`) is not taken: the version must start
/// with a digit (or `v` and a digit).
pub fn chart_versions(dir: &Path, chart: &str) -> Result<Vec<(String, String)>, String> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| clean(&format!("Helm charts {}: {e}", dir.display())))?;
    let prefix = format!("{chart}-");
    let mut out: Vec<(String, String)> = Vec::new();
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let Some(file_name) = file_name.to_str() else {
            continue;
        };
        let Some(version) = file_name
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix(".tgz"))
        else {
            continue;
        };
        let digits = version.strip_prefix('v').unwrap_or(version);
        if !digits.starts_with(|c: char| c.is_ascii_digit())
            || version.chars().any(|c| c.is_control() || c.is_whitespace())
        {
            continue;
        }
        let path = entry.path();
        let Some(reference) = path.to_str() else {
            continue;
        };
        out.push((version.to_owned(), reference.to_owned()));
    }
    out.sort_by(|a, b| compare_versions(&b.0, &a.0).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

async fn helm_context(
    client: &Client,
    settings: &OpsSettings,
    target: InstanceRef,
) -> Result<OpsContext, String> {
    let what = clean(&format!(
        "Helm release {}/{}",
        target.namespace, target.name
    ));
    let secrets = Api::<Secret>::namespaced(client.clone(), &target.namespace);
    let by_release = ListParams::default().labels(&format!("owner=helm,name={}", target.name));
    let (list, (csd, all)) = tokio::join!(
        bounded(secrets.list(&by_release)),
        read_csds(client, &target.service)
    );
    let list = list.map_err(|e| format!("{what}: {e}"))?;
    let (releases, mut problems) = decode_releases(&list.items);

    // A chart need not have a CSD.
    let csd = match csd {
        Ok(value) => match CustomServiceDefinition::from_value(&value) {
            Ok(csd) => Some(csd),
            Err(e) => {
                problems.push(clean(&e.to_string()));
                None
            }
        },
        Err(failure) if failure.code == Some(404) => None,
        Err(failure) => {
            problems.push(clean(&format!("CSD {}: {failure}", target.service)));
            None
        }
    };

    let available = match (
        &settings.helm_charts,
        releases.iter().max_by_key(|r| r.revision),
    ) {
        (Some(dir), Some(latest)) => match chart_versions(dir, &latest.chart_name) {
            Ok(found) => found,
            Err(problem) => {
                problems.push(problem);
                Vec::new()
            }
        },
        _ => Vec::new(),
    };
    // The same lookup as the Helm writes use, so what is offered works.
    let helm_binary = super::helm::helm_binary().map(|p| p.to_string_lossy().into_owned());
    if helm_binary.is_none()
        && let Some(named) = std::env::var_os(HELM_ENV).filter(|v| !v.is_empty())
    {
        problems.push(clean(&format!(
            "{HELM_ENV}={}: no such file",
            named.to_string_lossy()
        )));
    }
    let helm = helm_ops_context(&releases, available, helm_binary)
        .ok_or_else(|| format!("{what} not found"))?;

    let operation_csds = match all {
        Ok(all) => operation_csds(all, &target.service),
        Err(problem) => {
            problems.push(problem);
            Vec::new()
        }
    };
    let operations = read_operations(client, operation_csds, &mut problems).await;
    let extras = read_extras(client, settings, &target, None, &operations).await;
    problems.extend(extras.problems);
    Ok(OpsContext {
        target,
        object: Value::Object(serde_json::Map::new()),
        csd,
        spec_schema: None,
        operations: operations.into_iter().map(|(o, _)| o).collect(),
        runs: extras.runs,
        permissions: extras.permissions,
        secrets: extras.secrets,
        config_maps: extras.config_maps,
        helm: Some(helm),
        problems,
    })
}

/// Whether an operation in `phase` is over.
pub fn is_end_phase(phase: Option<&str>) -> bool {
    phase.is_some_and(|phase| END_PHASES.iter().any(|end| end.eq_ignore_ascii_case(phase)))
}

/// `group/version` (or `v1`) and kind as a GroupVersionKind.
fn gvk_of(object: &ObjectRef) -> GroupVersionKind {
    let (group, version) = object
        .api_version
        .split_once('/')
        .unwrap_or(("", object.api_version.as_str()));
    GroupVersionKind::gvk(group, version, &object.kind)
}

/// Watches one operation CR and sends `OperationUpdated` whenever its
/// phase or message changes, until it reaches an end phase or is deleted
/// (then a run with phase [`DELETED_PHASE`]). A watch that fails is
/// retried with backoff; the failure is told as the run's message.
pub async fn follow_operation(client: Client, id: u64, object: ObjectRef, tx: mpsc::Sender<Msg>) {
    let send = |run: OperationRun| {
        let tx = tx.clone();
        async move {
            tx.send(Msg::Ops(Box::new(OpsEvent::OperationUpdated { id, run })))
                .await
                .is_ok()
        }
    };
    let mut last = OperationRun {
        kind: clean(&object.kind),
        name: clean(&object.name),
        phase: None,
        message: None,
        created: None,
    };
    let gvk = gvk_of(&object);
    let mut note: Option<String> = None;
    let resource = loop {
        match bounded(kube::discovery::pinned_kind(&client, &gvk)).await {
            Ok((resource, _)) => break resource,
            Err(failure) => {
                let text = clean(&format!(
                    "cannot follow {}: {failure} (retrying)",
                    object.kind
                ));
                if note.as_ref() != Some(&text) {
                    let mut shown = last.clone();
                    shown.message = Some(text.clone());
                    note = Some(text);
                    if !send(shown).await {
                        return;
                    }
                }
                tokio::time::sleep(FOLLOW_RETRY).await;
            }
        }
    };
    let api = match &object.namespace {
        Some(namespace) => Api::<DynamicObject>::namespaced_with(client, namespace, &resource),
        None => Api::<DynamicObject>::all_with(client, &resource),
    };
    let config = watcher::Config::default().fields(&format!("metadata.name={}", object.name));
    let mut events = watcher(api, config)
        .backoff(crate::cluster::watch::watch_backoff())
        .boxed();
    // Whether the current (re)list found the object.
    let mut seen = false;
    let mut sent: Option<OperationRun> = None;
    while let Some(event) = events.next().await {
        let shown = match event {
            Ok(watcher::Event::Init) => {
                seen = false;
                continue;
            }
            Ok(watcher::Event::InitApply(found) | watcher::Event::Apply(found)) => {
                seen = true;
                last = operation_run(&resource.kind, &object_value(&found));
                last.clone()
            }
            Ok(watcher::Event::InitDone) if seen => continue,
            Ok(watcher::Event::InitDone | watcher::Event::Delete(_)) => {
                let mut gone = last;
                gone.phase = Some(DELETED_PHASE.to_owned());
                send(gone).await;
                return;
            }
            // The CR's last state with the failure as its message; the
            // watch retries with backoff.
            Err(error) => {
                let mut shown = last.clone();
                shown.message = Some(clean(&format!("watch failed: {error} (retrying)")));
                shown
            }
        };
        if sent.as_ref() != Some(&shown) {
            if !send(shown.clone()).await {
                return;
            }
            sent = Some(shown.clone());
        }
        if is_end_phase(shown.phase.as_deref()) {
            return;
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::domain::helm::ReleaseStatus;
    use serde_json::json;
    use tokio::io::{AsyncBufReadExt as _, AsyncReadExt as _, AsyncWriteExt as _, BufReader};

    /// A fake API server on a local port: `answer(method, path without
    /// the query, body)` gives each response's status code and JSON body.
    pub(in crate::cluster::ops) async fn fake_api<F>(answer: F) -> Client
    where
        F: Fn(&str, &str, &[u8]) -> (u16, String) + Send + Sync + 'static,
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let answer = std::sync::Arc::new(answer);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut stream = BufReader::new(stream);
                    loop {
                        let mut request = String::new();
                        if stream.read_line(&mut request).await.unwrap_or(0) == 0 {
                            return;
                        }
                        let mut length = 0usize;
                        let mut line = String::new();
                        loop {
                            line.clear();
                            if stream.read_line(&mut line).await.unwrap_or(0) == 0 {
                                return;
                            }
                            let lower = line.to_ascii_lowercase();
                            if let Some(value) = lower.strip_prefix("content-length:") {
                                length = value.trim().parse().unwrap_or(0);
                            }
                            if line == "\r\n" {
                                break;
                            }
                        }
                        let mut body = vec![0; length];
                        if stream.read_exact(&mut body).await.is_err() {
                            return;
                        }
                        let mut parts = request.split_whitespace();
                        let method = parts.next().unwrap_or_default();
                        let target = parts.next().unwrap_or_default();
                        let path = target.split('?').next().unwrap_or_default();
                        let (code, text) = answer(method, path, &body);
                        let response = format!(
                            "HTTP/1.1 {code} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
                            text.len()
                        );
                        if stream
                            .get_mut()
                            .write_all(response.as_bytes())
                            .await
                            .is_err()
                        {
                            return;
                        }
                    }
                });
            }
        });
        let url = format!("http://{address}").parse().unwrap();
        Client::try_from(kube::Config::new(url)).unwrap()
    }

    fn status(code: u16, reason: &str) -> String {
        json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
               "message": format!("{reason} (test)"), "reason": reason, "code": code})
        .to_string()
    }

    /// A user who may not read CRDs nor Secrets and ConfigMaps: the CR's
    /// resource comes from discovery, the gaps are problems.
    #[tokio::test]
    async fn without_the_crd_discovery_finds_the_resource() {
        let client = fake_api(|method, path, _| match (method, path) {
            ("GET", "/apis/osc.io/v1beta1/customservicedefinitions/kafka") => (
                200,
                json!({"apiVersion": "osc.io/v1beta1", "kind": "CustomServiceDefinition",
                       "metadata": {"name": "kafka"},
                       "spec": {"displayName": "Kafka", "CRDRef": {"name": "hwfkas.osctest.osctui.dev"}}})
                .to_string(),
            ),
            ("GET", "/apis/osc.io/v1beta1/customservicedefinitions") => (
                200,
                json!({"apiVersion": "osc.io/v1beta1", "kind": "CustomServiceDefinitionList",
                       "metadata": {}, "items": []})
                .to_string(),
            ),
            ("GET", "/apis") => (
                200,
                json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": [{
                    "name": "osctest.osctui.dev",
                    "versions": [{"groupVersion": "osctest.osctui.dev/v1", "version": "v1"}],
                    "preferredVersion": {"groupVersion": "osctest.osctui.dev/v1", "version": "v1"}}]})
                .to_string(),
            ),
            ("GET", "/apis/osctest.osctui.dev/v1") => (
                200,
                json!({"kind": "APIResourceList", "apiVersion": "v1",
                       "groupVersion": "osctest.osctui.dev/v1",
                       "resources": [{"name": "hwfkas", "singularName": "hwfka", "namespaced": true,
                                      "kind": "Hwfka", "verbs": ["get", "list", "update"]}]})
                .to_string(),
            ),
            ("GET", "/apis/osctest.osctui.dev/v1/namespaces/team-a/hwfkas/orders") => (
                200,
                json!({"apiVersion": "osctest.osctui.dev/v1", "kind": "Hwfka",
                       "metadata": {"name": "orders", "namespace": "team-a", "resourceVersion": "42",
                                    "managedFields": [{"manager": "kubectl"}]},
                       "spec": {"replicas": 3}})
                .to_string(),
            ),
            ("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews") => (
                201,
                json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                       "spec": {}, "status": {"allowed": true}})
                .to_string(),
            ),
            _ => (403, status(403, "Forbidden")),
        })
        .await;
        let target = InstanceRef {
            uid: "u".into(),
            name: "orders".into(),
            namespace: "team-a".into(),
            service: "kafka".into(),
            kind: ServiceKind::Operator,
        };
        let settings = OpsSettings {
            context: Some("discovery-test".into()),
            ..OpsSettings::default()
        };
        let OpsEvent::Prepared { id: 3, context } = prepare(client, &settings, 3, target).await
        else {
            panic!("not prepared");
        };
        assert_eq!(
            context.object,
            json!({"apiVersion": "osctest.osctui.dev/v1", "kind": "Hwfka",
                   "metadata": {"name": "orders", "namespace": "team-a", "resourceVersion": "42"},
                   "spec": {"replicas": 3}})
        );
        assert_eq!(context.spec_schema, None);
        assert_eq!(
            context.problems,
            vec![
                "CRD hwfkas.osctest.osctui.dev: forbidden (no schema)",
                "Secrets: forbidden",
                "ConfigMaps: forbidden",
            ]
        );
        assert!(context.operations.is_empty() && context.runs.is_empty());
        assert_eq!(context.permission(&OpKind::Upgrade), Permission::Allowed);
    }

    #[test]
    fn runs_read_phase_and_message() {
        let object = json!({
            "metadata": {"name": "orders-backup-x", "creationTimestamp": "2026-11-28T05:00:00Z"},
            "spec": {"instanceName": "orders"},
            "status": {"phase": "Running", "conditions": [
                {"type": "Running", "message": "first"},
                {"type": "Done", "message": "copying\u{1b}[2J 40%"}
            ]}
        });
        let run = operation_run("HwfkaBackup", &object);
        assert_eq!(run.name, "orders-backup-x");
        assert_eq!(run.phase.as_deref(), Some("Running"));
        assert_eq!(run.message.as_deref(), Some("copying^[[2J 40%"));
        assert_eq!(run.created, Some(1_795_842_000));
        assert!(aims_at(&object, "spec.instanceName", "orders"));
        assert!(!aims_at(&object, "spec.instanceName", "payments"));
        assert!(!aims_at(&object, "spec.other", "orders"));
        assert!(!aims_at(&object, "", "orders"));

        let bare = operation_run(
            "HwfkaBackup",
            &json!({"metadata": {"name": "b"}, "status": {"message": " "}}),
        );
        assert_eq!((bare.phase, bare.message, bare.created), (None, None, None));

        assert!(is_end_phase(Some("Succeeded")));
        assert!(is_end_phase(Some("failed")));
        assert!(is_end_phase(Some("Completed")));
        assert!(!is_end_phase(Some("Running")));
        assert!(!is_end_phase(None));
    }

    #[test]
    fn api_versions_split_into_group_and_version() {
        let object = |api_version: &str| ObjectRef {
            api_version: api_version.into(),
            kind: "K".into(),
            namespace: None,
            name: "n".into(),
        };
        let gvk = gvk_of(&object("osctest.osctui.dev/v1"));
        assert_eq!(
            (gvk.group.as_str(), gvk.version.as_str()),
            ("osctest.osctui.dev", "v1")
        );
        let gvk = gvk_of(&object("v1"));
        assert_eq!((gvk.group.as_str(), gvk.version.as_str()), ("", "v1"));
    }

    fn release(revision: u64, status: ReleaseStatus, version: &str) -> HelmRelease {
        HelmRelease {
            name: "web-cache".into(),
            namespace: "cache".into(),
            revision,
            status,
            chart_name: "memcached".into(),
            chart_version: version.into(),
            app_version: None,
            values: json!({"replicaCount": revision}),
            chart_values: json!({}),
            notes: None,
            manifest: String::new(),
            first_deployed: None,
            last_deployed: None,
            description: Some(format!("step {revision}")),
        }
    }

    #[test]
    fn helm_context_newest_first() {
        let releases = [
            release(1, ReleaseStatus::Superseded, "1.0.0"),
            release(3, ReleaseStatus::Deployed, "1.2.0"),
            release(2, ReleaseStatus::Failed, "1.1.0"),
        ];
        let helm = helm_ops_context(&releases, Vec::new(), None).unwrap();
        assert_eq!(helm.revision, 3);
        assert_eq!(helm.chart, "memcached");
        assert_eq!(helm.chart_version, "1.2.0");
        assert_eq!(helm.values, json!({"replicaCount": 3}));
        assert_eq!(
            helm.history,
            vec![
                (3, "1.2.0".into(), "deployed".into(), "step 3".into()),
                (2, "1.1.0".into(), "failed".into(), "step 2".into()),
                (1, "1.0.0".into(), "superseded".into(), "step 1".into()),
            ]
        );
        assert!(helm_ops_context(&[], Vec::new(), None).is_none());
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("osctui-ctx-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn chart_versions_from_a_directory() {
        let dir = temp_dir("charts");
        for file in [
            "memcached-1.10.0.tgz",
            "memcached-1.2.0.tgz",
            "memcached-1.9.1.tgz",
            "memcached-exporter-1.0.0.tgz",
            "memcached-2.0.0.tar",
            "redis-9.0.0.tgz",
            "memcached-v0.1.0.tgz",
        ] {
            std::fs::write(dir.join(file), b"").unwrap();
        }
        let found = chart_versions(&dir, "memcached").unwrap();
        let versions: Vec<&str> = found.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(versions, vec!["1.10.0", "1.9.1", "1.2.0", "v0.1.0"]);
        assert_eq!(
            found[0].1,
            dir.join("memcached-1.10.0.tgz").to_str().unwrap()
        );
        assert!(chart_versions(&dir.join("missing"), "memcached").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn a_dead_server_fails_prepare_quickly() {
        let url = "http://127.0.0.1:9".parse().unwrap();
        let client = Client::try_from(kube::Config::new(url)).unwrap();
        let target = InstanceRef {
            uid: "u".into(),
            name: "orders".into(),
            namespace: "team-a".into(),
            service: "kafka".into(),
            kind: ServiceKind::Operator,
        };
        let started = std::time::Instant::now();
        let event = prepare(client, &OpsSettings::default(), 7, target).await;
        assert!(
            matches!(&event, OpsEvent::PrepareFailed { id: 7, error } if error.starts_with("service kafka: CSD ")),
            "{event:?}"
        );
        assert!(started.elapsed() < REQUEST_TIMEOUT + Duration::from_secs(2));
    }
}
