//! The detail of a Helm release, read from Helm's release Secrets.

use std::collections::HashSet;

use kube::Client;
use tokio::sync::mpsc::Sender;

use super::events::select_events;
use super::helm::{helm_detail, overview, user_values};
use super::objects::{TreeObject, build_tree, is_idle_replica_set, pod_counts, summarize};
use super::operator::{INSTANCE_LABEL, is_permanent, load_csd};
use super::watch::{Kind, Payload, Source, Stores, Watches};
use super::{Outcome, View, drive};
use crate::action::Msg;
use crate::domain::csd::Descriptor;
use crate::domain::health::{Health, release_health};
use crate::domain::helm::HelmRelease;
use crate::domain::text::clean;
use crate::state::detail::{InstanceDetail, InstanceRef, ResourceNode};

struct ReleaseView {
    target: InstanceRef,
    /// Spec descriptors of the chart's CSD, if it has one.
    descriptors: Vec<Descriptor>,
}

/// Starts the watches of a release and runs the detail loop.
pub(super) async fn run(
    client: Client,
    target: InstanceRef,
    tx: &Sender<Msg>,
) -> Result<(), String> {
    // A chart need not have a CSD: without one, values are masked by key
    // name only.
    let descriptors = load_csd(&client, &target.service)
        .await
        .map(|csd| csd.spec.descriptors.spec_descriptors)
        .unwrap_or_default();
    let (mut watches, rx) = Watches::new(client);
    let namespace = target.namespace.clone();
    watches.releases(&namespace, &target.name);
    watches.owned(&namespace, &format!("{INSTANCE_LABEL}={}", target.name));
    watches.events(&namespace);
    let mut view = ReleaseView {
        target,
        descriptors,
    };
    drive(&mut view, watches, rx, tx).await
}

/// Kinds watched, so that a manifest object of one of them that is not
/// found is really missing (other kinds are simply not looked for).
fn is_watched(kind: &str) -> bool {
    Kind::ALL.iter().any(|k| k.name() == kind)
}

impl View for ReleaseView {
    fn ready(&self, stores: &Stores) -> bool {
        stores.get(Source::Releases).settled()
            && stores.get(Source::Events).settled()
            && Kind::ALL
                .iter()
                .all(|kind| stores.get(Source::Owned(*kind)).settled())
    }

    fn build(&mut self, stores: &Stores) -> Outcome {
        let secrets = stores.get(Source::Releases);
        let what = format!(
            "Helm release {}/{}",
            self.target.namespace, self.target.name
        );
        if !secrets.synced {
            return match &secrets.error {
                Some(error) if is_permanent(error) => {
                    Outcome::Fail(clean(&format!("{what}: {error}")))
                }
                _ => Outcome::Wait,
            };
        }
        let mut problems = Vec::new();
        let mut releases: Vec<&HelmRelease> = Vec::new();
        for payload in secrets.items.values() {
            if let Payload::Release(decoded) = payload {
                match decoded.as_ref() {
                    Ok(release) => releases.push(release),
                    Err(error) => problems.push(clean(&format!("release record {error}"))),
                }
            }
        }
        let Some(latest) = releases.iter().copied().max_by_key(|r| r.revision) else {
            return Outcome::Fail(clean(&format!("{what} not found")));
        };
        let Some(helm) = helm_detail(&releases, &self.descriptors) else {
            return Outcome::Fail(clean(&format!("{what} not found")));
        };

        let mut tree_objects: Vec<TreeObject> = Vec::new();
        for kind in Kind::ALL {
            for object in stores.get(Source::Owned(kind)).objects() {
                if kind == Kind::ReplicaSet && is_idle_replica_set(object) {
                    continue;
                }
                tree_objects.push(summarize(kind.name(), object));
            }
        }
        let uids: HashSet<String> = tree_objects.iter().map(|o| o.uid.clone()).collect();
        let mut names: HashSet<(String, String)> = tree_objects
            .iter()
            .map(|o| (o.node.kind.clone(), o.node.name.clone()))
            .collect();
        // Objects of the manifest that are not in the namespace show as such.
        for (kind, name) in &helm.manifest_resources {
            if is_watched(kind) && !names.contains(&(kind.clone(), name.clone())) {
                tree_objects.push(TreeObject {
                    uid: format!("missing:{kind}/{name}"),
                    owners: Vec::new(),
                    node: ResourceNode {
                        depth: 0,
                        kind: kind.clone(),
                        name: name.clone(),
                        health: Health::Unknown,
                        status: "not found".to_owned(),
                        reason: Some("in the release's manifest, not in the namespace".to_owned()),
                        pod: None,
                    },
                });
            }
            names.insert((kind.clone(), name.clone()));
        }
        let resources = build_tree(tree_objects);
        let health = release_health(&helm.status, pod_counts(&resources));
        let events = select_events(stores.events(), &uids, &names);
        problems.extend(stores.problems(|source| Some(source.label())));
        let (spec_masked, spec_revealed) = user_values(latest, &self.descriptors);
        Outcome::Show(Box::new(InstanceDetail {
            target: self.target.clone(),
            health,
            overview: overview(&helm, latest),
            conditions: Vec::new(),
            spec_masked,
            spec_revealed,
            resources,
            events,
            dependencies: Vec::new(),
            helm: Some(helm),
            problems,
            generation: None,
            observed_generation: None,
        }))
    }
}
