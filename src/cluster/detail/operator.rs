//! The detail of an operator-managed instance (a CR described by a CSD).

use std::collections::HashSet;

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use serde_json::Value;
use tokio::sync::mpsc::Sender;
use tokio::task::AbortHandle;

use super::deps::{Lookup, dependency_row, referenced_name};
use super::events::select_events;
use super::objects::{build_tree, is_idle_replica_set, pod_counts, summarize};
use super::overview::{conditions, operator_fields};
use super::watch::{Kind, Source, Stores, Update, Watches, describe_kube};
use super::yaml::to_yaml;
use super::{Outcome, View, drive};
use crate::action::Msg;
use crate::domain::csd::{CrdRef, CustomServiceDefinition};
use crate::domain::descriptors::mask_passwords;
use crate::domain::health::instance_health;
use crate::domain::text::{clean, sanitize_with};
use crate::state::detail::{InstanceDetail, InstanceRef};

/// The label every object of an instance carries.
pub(super) const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

fn csd_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("osc.io", "v1beta1", "CustomServiceDefinition");
    ApiResource::from_gvk_with_plural(&gvk, "customservicedefinitions")
}

/// Reads the CSD named `name`.
pub(super) async fn load_csd(
    client: &Client,
    name: &str,
) -> Result<CustomServiceDefinition, String> {
    let api = Api::<DynamicObject>::all_with(client.clone(), &csd_resource());
    let object = api
        .get(name)
        .await
        .map_err(|e| format!("service {}: CSD {}", clean(name), describe_kube(&e)))?;
    let value = serde_json::to_value(&object).map_err(|e| e.to_string())?;
    CustomServiceDefinition::from_value(&value).map_err(|e| clean(&format!("service {name}: {e}")))
}

/// The API resource of a CSD's CRD (its storage version).
async fn resolve_crd(client: &Client, crd_ref: &CrdRef) -> Result<ApiResource, String> {
    let api = Api::<CustomResourceDefinition>::all(client.clone());
    let crd = api
        .get(&crd_ref.name)
        .await
        .map_err(|e| format!("CRD {}: {}", clean(&crd_ref.name), describe_kube(&e)))?;
    let spec = &crd.spec;
    let version = spec
        .versions
        .iter()
        .find(|v| v.storage)
        .or_else(|| spec.versions.iter().find(|v| v.served))
        .ok_or_else(|| format!("CRD {}: no served version", clean(&crd_ref.name)))?;
    let gvk = GroupVersionKind::gvk(&spec.group, &version.name, &spec.names.kind);
    Ok(ApiResource::from_gvk_with_plural(&gvk, &spec.names.plural))
}

/// The API resource of the instances of service `service`.
async fn service_resource(client: &Client, service: &str) -> Result<ApiResource, String> {
    let csd = load_csd(client, service).await?;
    let crd_ref = csd
        .spec
        .crd_ref
        .as_ref()
        .ok_or_else(|| format!("service {}: its CSD names no CRD", clean(service)))?;
    resolve_crd(client, crd_ref).await
}

/// One dependency of the instance and the watch of its instance.
struct Dep {
    service: String,
    resource: Result<ApiResource, String>,
    /// The instance the spec names, when it names one.
    name: Option<String>,
    generation: u32,
    watch: Option<AbortHandle>,
}

struct OperatorView {
    target: InstanceRef,
    csd: CustomServiceDefinition,
    kind: String,
    deps: Vec<Dep>,
    /// The instance as last seen, kept if it disappears.
    last_cr: Option<Value>,
}

/// Loads the CSD and CRD, starts the watches and runs the detail loop.
pub(super) async fn run(
    client: Client,
    target: InstanceRef,
    tx: &Sender<Msg>,
) -> Result<(), String> {
    let csd = load_csd(&client, &target.service).await?;
    let crd_ref = csd
        .spec
        .crd_ref
        .clone()
        .ok_or_else(|| format!("service {}: its CSD names no CRD", clean(&target.service)))?;
    let resource = resolve_crd(&client, &crd_ref).await?;
    let mut deps = Vec::new();
    for dependency in &csd.spec.service_entity_dependencies {
        deps.push(Dep {
            service: dependency.service.clone(),
            resource: service_resource(&client, &dependency.service).await,
            name: None,
            generation: 0,
            watch: None,
        });
    }
    let (mut watches, rx) = Watches::new(client);
    let namespace = target.namespace.clone();
    let by_name = format!("metadata.name={}", target.name);
    watches.objects(
        Source::Instance,
        &resource,
        &namespace,
        None,
        Some(&by_name),
    );
    watches.owned(&namespace, &format!("{INSTANCE_LABEL}={}", target.name));
    watches.events(&namespace);
    let mut view = OperatorView {
        target,
        csd,
        kind: resource.kind.clone(),
        deps,
        last_cr: None,
    };
    drive(&mut view, watches, rx, tx).await
}

/// Errors that retrying will not cure; others (a connection lost while
/// opening) are retried by the watch's backoff.
pub(super) fn is_permanent(error: &str) -> bool {
    matches!(error, "forbidden" | "unauthorized" | "not found")
}

impl OperatorView {
    fn instance<'a>(&'a self, stores: &'a Stores) -> Option<&'a Value> {
        stores.get(Source::Instance).objects().next()
    }
}

impl View for OperatorView {
    fn accept(&self, update: &Update) -> bool {
        // Updates of a replaced dependency watch may still be queued.
        match update.source {
            Source::Dependency(index, generation) => self
                .deps
                .get(index)
                .is_some_and(|dep| dep.generation == generation && dep.watch.is_some()),
            _ => true,
        }
    }

    fn after(&mut self, source: Source, stores: &mut Stores, watches: &mut Watches) {
        if source != Source::Instance {
            return;
        }
        let Some(cr) = stores.get(Source::Instance).objects().next() else {
            return;
        };
        self.last_cr = Some(cr.clone());
        let names: Vec<Option<String>> = self
            .deps
            .iter()
            .map(|dep| referenced_name(&cr["spec"], &dep.service))
            .collect();
        for ((index, dep), name) in self.deps.iter_mut().enumerate().zip(names) {
            if name == dep.name {
                continue;
            }
            if let Some(watch) = dep.watch.take() {
                watch.abort();
            }
            stores.remove(Source::Dependency(index, dep.generation));
            dep.generation = dep.generation.wrapping_add(1);
            dep.name = name;
            if let (Some(name), Ok(resource)) = (&dep.name, &dep.resource) {
                let source = Source::Dependency(index, dep.generation);
                let by_name = format!("metadata.name={name}");
                let handle = watches.objects(
                    source,
                    resource,
                    &self.target.namespace,
                    None,
                    Some(&by_name),
                );
                dep.watch = Some(handle);
            }
        }
    }

    fn ready(&self, stores: &Stores) -> bool {
        let owned = Kind::ALL
            .iter()
            .all(|kind| stores.get(Source::Owned(*kind)).settled());
        let deps = self.deps.iter().enumerate().all(|(index, dep)| {
            dep.watch.is_none()
                || stores
                    .get(Source::Dependency(index, dep.generation))
                    .settled()
        });
        stores.get(Source::Instance).settled()
            && stores.get(Source::Events).settled()
            && owned
            && deps
    }

    fn build(&mut self, stores: &Stores) -> Outcome {
        let instance = stores.get(Source::Instance);
        let what = format!(
            "{} {}/{}",
            self.kind, self.target.namespace, self.target.name
        );
        if !instance.synced {
            return match &instance.error {
                Some(error) if self.last_cr.is_none() && is_permanent(error) => {
                    Outcome::Fail(clean(&format!("{what}: {error}")))
                }
                _ => Outcome::Wait,
            };
        }
        let mut problems = Vec::new();
        let cr = match (self.instance(stores), &self.last_cr) {
            (Some(cr), _) => cr,
            (None, Some(last)) => {
                problems.push(clean(&format!("{what} no longer exists")));
                last
            }
            (None, None) => return Outcome::Fail(clean(&format!("{what} not found"))),
        };
        let cr_uid = cr["metadata"]["uid"].as_str().unwrap_or("").to_owned();

        let mut tree_objects = Vec::new();
        for kind in Kind::ALL {
            for object in stores.get(Source::Owned(kind)).objects() {
                if kind == Kind::ReplicaSet && is_idle_replica_set(object) {
                    continue;
                }
                tree_objects.push(summarize(kind.name(), object));
            }
        }
        let mut uids: HashSet<String> = tree_objects.iter().map(|o| o.uid.clone()).collect();
        uids.insert(cr_uid);
        let mut names: HashSet<(String, String)> = tree_objects
            .iter()
            .map(|o| (o.node.kind.clone(), o.node.name.clone()))
            .collect();
        names.insert((self.kind.clone(), self.target.name.clone()));
        let resources = build_tree(tree_objects);
        let health = instance_health(cr, pod_counts(&resources));

        let events = select_events(stores.events(), &uids, &names);

        let dependencies = self
            .deps
            .iter()
            .enumerate()
            .map(|(index, dep)| {
                let store = stores.get(Source::Dependency(index, dep.generation));
                let lookup = match (&dep.resource, &dep.name) {
                    (Err(why), _) => Lookup::Unresolvable(why),
                    (Ok(_), None) => Lookup::NoReference,
                    (Ok(_), Some(_)) => match store.objects().next() {
                        Some(object) => Lookup::Found(object),
                        None if store.synced => Lookup::Missing,
                        None => match &store.error {
                            Some(error) => Lookup::Failed(error),
                            None => Lookup::Loading,
                        },
                    },
                };
                dependency_row(
                    &dep.service,
                    &self.target.namespace,
                    dep.name.as_deref(),
                    lookup,
                )
            })
            .collect();

        let spec = cr
            .get("spec")
            .cloned()
            .unwrap_or(Value::Object(Default::default()));
        let descriptors = &self.csd.spec.descriptors.spec_descriptors;
        let spec_yaml = |reveal: bool| {
            let shown = mask_passwords(&spec, descriptors, reveal);
            sanitize_with(&to_yaml(&shown), true).into_owned()
        };

        let kind_label = self.kind.to_ascii_lowercase();
        problems.extend(super::overview::status_problems(cr));
        problems.extend(stores.problems(|source| match source {
            Source::Instance => Some(kind_label.clone()),
            // Shown on the dependency's row instead.
            Source::Dependency(..) => None,
            other => Some(other.label()),
        }));

        Outcome::Show(Box::new(InstanceDetail {
            target: self.target.clone(),
            health,
            overview: operator_fields(&self.csd, cr),
            conditions: conditions(cr),
            spec_masked: spec_yaml(false),
            spec_revealed: spec_yaml(true),
            resources,
            events,
            dependencies,
            helm: None,
            problems,
            generation: cr["metadata"]["generation"].as_i64(),
            observed_generation: cr["status"]["observedGeneration"].as_i64(),
        }))
    }
}
