//! Permissions by SelfSubjectAccessReview, cached briefly per (context,
//! verb, group, resource, namespace, name); readonly mode denies every
//! write without asking.
//!
//! What each operation needs (the rule is written down in [`needs`]):
//!
//! | operation | verb | resource |
//! | --- | --- | --- |
//! | upgrade, rollback, spec change, edit (form or YAML) | `update` | the instance's CR |
//! | an action of an operation CSD | `create` | the operation CRs in the namespace |
//! | restart | `patch` | `statefulsets.apps` and `deployments.apps` in the namespace |
//! | delete | `delete` | the instance's CR |
//! | remove finalizers | `patch` | the instance's CR |
//! | Helm upgrade, Helm rollback | `update` and `create` | `secrets` in the namespace |

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
    SubjectAccessReviewStatus,
};
use kube::Client;
use kube::api::{Api, PostParams};

use super::OpsSettings;
use super::context::{REQUEST_TIMEOUT, describe_error};
use crate::domain::text::clean;
use crate::state::ops::{OpKind, Permission};

/// Why every write is refused in readonly mode.
pub const READONLY_REASON: &str = "readonly mode (--readonly)";

/// How long an answer of the API server is reused.
const CACHE_FOR: Duration = Duration::from_secs(30);

/// A resource kind as RBAC names it: API group (empty for the core group)
/// and plural.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Resource {
    /// API group; empty for the core group.
    pub group: String,
    /// Plural resource name (`hwfkas`).
    pub plural: String,
}

impl Resource {
    /// A resource of `group`.
    pub fn new(group: &str, plural: &str) -> Self {
        Self {
            group: group.to_owned(),
            plural: plural.to_owned(),
        }
    }

    /// The resource a CRD named `<plural>.<group>` serves (CRD names are
    /// always that); None for a name without a dot.
    pub fn of_crd(crd_name: &str) -> Option<Self> {
        let (plural, group) = crd_name.split_once('.')?;
        (!plural.is_empty() && !group.is_empty()).then(|| Self::new(group, plural))
    }
}

/// One question for the API server: may the user do `verb` on this?
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Check {
    /// `update`, `create`, `patch`, `delete`.
    pub verb: String,
    /// Group and plural.
    pub resource: Resource,
    /// Namespace; None for cluster-scoped resources.
    pub namespace: Option<String>,
    /// One object; None for every object (creates, restarts).
    pub name: Option<String>,
}

impl Check {
    fn new(verb: &str, resource: &Resource, namespace: &str, name: Option<&str>) -> Self {
        Self {
            verb: verb.to_owned(),
            resource: resource.clone(),
            namespace: Some(namespace.to_owned()),
            name: name.map(str::to_owned),
        }
    }

    /// "update hwfkas.osctest.osctui.dev in team-a".
    pub fn describe(&self) -> String {
        let Resource { group, plural } = &self.resource;
        let resource = if group.is_empty() {
            plural.clone()
        } else {
            format!("{plural}.{group}")
        };
        match &self.namespace {
            Some(namespace) => format!("{} {resource} in {namespace}", self.verb),
            None => format!("{} {resource}", self.verb),
        }
    }
}

/// What the operations on one instance touch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject {
    /// Namespace of the instance.
    pub namespace: String,
    /// Name of the instance (CR or release).
    pub name: String,
    /// The resource of the instance's CR; None for a Helm release.
    pub instance: Option<Resource>,
    /// The operation CSDs of the service, each with its CRs' resource.
    pub operations: Vec<(String, Resource)>,
}

/// Every operation that applies to `subject`, with what it needs. Operator
/// instances: the CR operations, restart and the actions. Helm releases:
/// the Helm operations (Helm keeps each revision in a Secret of the
/// release's namespace: an upgrade or a rollback creates the new revision's
/// Secret and updates the previous one's status, hence `create` and
/// `update` on secrets; the chart's own objects are checked by the server
/// during the dry run), restart and the actions.
pub fn needs(subject: &Subject) -> Vec<(OpKind, Vec<Check>)> {
    let ns = subject.namespace.as_str();
    let mut out = Vec::new();
    match &subject.instance {
        Some(cr) => {
            let update = Check::new("update", cr, ns, Some(&subject.name));
            for kind in [
                OpKind::Upgrade,
                OpKind::Rollback,
                OpKind::SpecChange,
                OpKind::EditForm,
                OpKind::EditYaml,
            ] {
                out.push((kind, vec![update.clone()]));
            }
        }
        None => {
            let secrets = Resource::new("", "secrets");
            let helm = vec![
                Check::new("update", &secrets, ns, None),
                Check::new("create", &secrets, ns, None),
            ];
            out.push((OpKind::HelmUpgrade, helm.clone()));
            out.push((OpKind::HelmRollback, helm));
        }
    }
    for (name, resource) in &subject.operations {
        out.push((
            OpKind::Action(name.clone()),
            vec![Check::new("create", resource, ns, None)],
        ));
    }
    out.push((
        OpKind::Restart,
        vec![
            Check::new("patch", &Resource::new("apps", "statefulsets"), ns, None),
            Check::new("patch", &Resource::new("apps", "deployments"), ns, None),
        ],
    ));
    if let Some(cr) = &subject.instance {
        out.push((
            OpKind::Delete,
            vec![Check::new("delete", cr, ns, Some(&subject.name))],
        ));
        out.push((
            OpKind::RemoveFinalizers,
            vec![Check::new("patch", cr, ns, Some(&subject.name))],
        ));
    }
    out
}

/// Reviews every check of `needs` (each distinct check once, cached for
/// 30 s) and answers one permission per operation. In readonly mode every
/// operation is denied and nothing is sent.
pub async fn review(
    client: &Client,
    settings: &OpsSettings,
    needs: Vec<(OpKind, Vec<Check>)>,
) -> Vec<(OpKind, Permission)> {
    if settings.readonly {
        return needs
            .into_iter()
            .map(|(kind, _)| (kind, Permission::Denied(READONLY_REASON.to_owned())))
            .collect();
    }
    // The kubeconfig file is part of the context's identity: the same
    // context name in another file may be another user.
    let context = format!(
        "{}#{}",
        settings
            .kubeconfig
            .as_deref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        settings.context.as_deref().unwrap_or_default()
    );
    let mut distinct: Vec<&Check> = Vec::new();
    for (_, checks) in &needs {
        for check in checks {
            if !distinct.contains(&check) {
                distinct.push(check);
            }
        }
    }
    let answers: HashMap<&Check, Permission> = join_all(distinct.into_iter().map(|check| {
        let context = context.as_str();
        async move {
            let key = (context.to_owned(), check.clone());
            if let Some(known) = cached(&key, Instant::now()) {
                return (check, known);
            }
            let answer = ask(client, check).await;
            remember(key, &answer, Instant::now());
            (check, answer)
        }
    }))
    .await
    .into_iter()
    .collect();
    needs
        .iter()
        .map(|(kind, checks)| {
            let results: Vec<Permission> = checks
                .iter()
                .map(|check| {
                    answers
                        .get(check)
                        .cloned()
                        .unwrap_or_else(|| Permission::Unknown("not reviewed".to_owned()))
                })
                .collect();
            (kind.clone(), combine(&results))
        })
        .collect()
}

/// One permission from the answers to its checks: denied when any is (all
/// reasons), unknown when any review failed, else allowed.
pub fn combine(results: &[Permission]) -> Permission {
    let denied: Vec<&str> = results
        .iter()
        .filter_map(|p| match p {
            Permission::Denied(reason) => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    if !denied.is_empty() {
        return Permission::Denied(denied.join("; "));
    }
    results
        .iter()
        .find(|p| matches!(p, Permission::Unknown(_)))
        .cloned()
        .unwrap_or(Permission::Allowed)
}

/// One SelfSubjectAccessReview.
async fn ask(client: &Client, check: &Check) -> Permission {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                verb: Some(check.verb.clone()),
                group: Some(check.resource.group.clone()),
                resource: Some(check.resource.plural.clone()),
                namespace: check.namespace.clone(),
                name: check.name.clone(),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let api = Api::<SelfSubjectAccessReview>::all(client.clone());
    let params = PostParams::default();
    let request = api.create(&params, &review);
    match tokio::time::timeout(REQUEST_TIMEOUT, request).await {
        Err(_) => Permission::Unknown(format!(
            "access review timed out after {} s",
            REQUEST_TIMEOUT.as_secs()
        )),
        Ok(Err(error)) => {
            Permission::Unknown(format!("access review failed: {}", describe_error(&error)))
        }
        Ok(Ok(answer)) => interpret(check, answer.status.as_ref()),
    }
}

/// The permission an access review's status grants.
pub fn interpret(check: &Check, status: Option<&SubjectAccessReviewStatus>) -> Permission {
    let Some(status) = status else {
        return Permission::Unknown("the access review came back without an answer".to_owned());
    };
    if status.allowed {
        return Permission::Allowed;
    }
    let mut reason = format!("RBAC: user may not {}", check.describe());
    let server: Vec<&str> = [&status.reason, &status.evaluation_error]
        .into_iter()
        .filter_map(|text| text.as_deref().map(str::trim).filter(|t| !t.is_empty()))
        .collect();
    if !server.is_empty() {
        reason = format!("{reason} ({})", server.join("; "));
    }
    Permission::Denied(clean(&reason))
}

type Key = (String, Check);

/// Answers of the API server, process-wide: every wizard opened within
/// [`CACHE_FOR`] reuses them.
static CACHE: LazyLock<Mutex<HashMap<Key, (Instant, Permission)>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn cached(key: &Key, now: Instant) -> Option<Permission> {
    let cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache
        .get(key)
        .filter(|(at, _)| now.saturating_duration_since(*at) < CACHE_FOR)
        .map(|(_, permission)| permission.clone())
}

/// Keeps a decision; a failed review is not kept, so it is asked again.
fn remember(key: Key, permission: &Permission, now: Instant) {
    if matches!(permission, Permission::Unknown(_)) {
        return;
    }
    let mut cache = CACHE
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache.retain(|_, (at, _)| now.saturating_duration_since(*at) < CACHE_FOR);
    cache.insert(key, (now, permission.clone()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::ops::context::tests::fake_api;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn subject(instance: bool) -> Subject {
        Subject {
            namespace: "team-a".into(),
            name: "orders".into(),
            instance: instance.then(|| Resource::new("osctest.osctui.dev", "hwfkas")),
            operations: vec![(
                "kafka-backup".into(),
                Resource::new("osctest.osctui.dev", "hwfkabackups"),
            )],
        }
    }

    fn checks_of(needs: &[(OpKind, Vec<Check>)], kind: &OpKind) -> Vec<String> {
        needs
            .iter()
            .find(|(k, _)| k == kind)
            .map(|(_, checks)| {
                checks
                    .iter()
                    .map(|c| format!("{} {:?}", c.describe(), c.name))
                    .collect()
            })
            .unwrap_or_default()
    }

    #[test]
    fn what_each_operation_needs() {
        let needs = needs(&subject(true));
        let kinds: Vec<OpKind> = needs.iter().map(|(k, _)| k.clone()).collect();
        assert_eq!(
            kinds,
            vec![
                OpKind::Upgrade,
                OpKind::Rollback,
                OpKind::SpecChange,
                OpKind::EditForm,
                OpKind::EditYaml,
                OpKind::Action("kafka-backup".into()),
                OpKind::Restart,
                OpKind::Delete,
                OpKind::RemoveFinalizers,
            ]
        );
        assert_eq!(
            checks_of(&needs, &OpKind::Upgrade),
            vec!["update hwfkas.osctest.osctui.dev in team-a Some(\"orders\")"]
        );
        assert_eq!(
            checks_of(&needs, &OpKind::Action("kafka-backup".into())),
            vec!["create hwfkabackups.osctest.osctui.dev in team-a None"]
        );
        assert_eq!(
            checks_of(&needs, &OpKind::Restart),
            vec![
                "patch statefulsets.apps in team-a None",
                "patch deployments.apps in team-a None"
            ]
        );
        assert_eq!(
            checks_of(&needs, &OpKind::Delete),
            vec!["delete hwfkas.osctest.osctui.dev in team-a Some(\"orders\")"]
        );
        assert_eq!(
            checks_of(&needs, &OpKind::RemoveFinalizers),
            vec!["patch hwfkas.osctest.osctui.dev in team-a Some(\"orders\")"]
        );

        let helm = needs_helm();
        assert_eq!(
            checks_of(&helm, &OpKind::HelmUpgrade),
            vec![
                "update secrets in team-a None",
                "create secrets in team-a None"
            ]
        );
        assert!(checks_of(&helm, &OpKind::Upgrade).is_empty());
        assert!(checks_of(&helm, &OpKind::Delete).is_empty());
        assert!(!checks_of(&helm, &OpKind::HelmRollback).is_empty());
    }

    fn needs_helm() -> Vec<(OpKind, Vec<Check>)> {
        needs(&subject(false))
    }

    #[test]
    fn crd_names_give_the_resource() {
        assert_eq!(
            Resource::of_crd("hwfkas.osctest.osctui.dev"),
            Some(Resource::new("osctest.osctui.dev", "hwfkas"))
        );
        assert_eq!(Resource::of_crd("nodots"), None);
        assert_eq!(Resource::of_crd(".x"), None);
    }

    #[test]
    fn answers_are_combined_and_explained() {
        let check = Check::new(
            "update",
            &Resource::new("osctest.osctui.dev", "hwfkas"),
            "team-a",
            Some("orders"),
        );
        let status = |allowed: bool, reason: Option<&str>| SubjectAccessReviewStatus {
            allowed,
            reason: reason.map(str::to_owned),
            ..SubjectAccessReviewStatus::default()
        };
        assert_eq!(
            interpret(&check, Some(&status(true, Some("RBAC: allowed")))),
            Permission::Allowed
        );
        assert_eq!(
            interpret(&check, Some(&status(false, None))),
            Permission::Denied(
                "RBAC: user may not update hwfkas.osctest.osctui.dev in team-a".into()
            )
        );
        assert_eq!(
            interpret(&check, Some(&status(false, Some("no \u{1b}[2J rule")))),
            Permission::Denied(
                "RBAC: user may not update hwfkas.osctest.osctui.dev in team-a (no ^[[2J rule)"
                    .into()
            )
        );
        assert!(matches!(interpret(&check, None), Permission::Unknown(_)));

        let a = Permission::Denied("a".into());
        let b = Permission::Denied("b".into());
        let u = Permission::Unknown("u".into());
        assert_eq!(
            combine(&[Permission::Allowed, a.clone(), u.clone(), b]),
            Permission::Denied("a; b".into())
        );
        assert_eq!(combine(&[Permission::Allowed, u.clone()]), u);
        assert_eq!(combine(&[Permission::Allowed]), Permission::Allowed);
    }

    #[test]
    fn the_cache_forgets_after_30_seconds_and_keeps_no_failures() {
        let key = (
            "cache-test".to_owned(),
            Check::new("get", &Resource::new("", "pods"), "x", None),
        );
        let t0 = Instant::now();
        remember(key.clone(), &Permission::Unknown("net".into()), t0);
        assert_eq!(cached(&key, t0), None);
        remember(key.clone(), &Permission::Allowed, t0);
        assert_eq!(
            cached(&key, t0 + Duration::from_secs(29)),
            Some(Permission::Allowed)
        );
        assert_eq!(cached(&key, t0 + Duration::from_secs(31)), None);
    }

    /// A fake API server that answers every SelfSubjectAccessReview:
    /// allowed unless the verb is `delete`. Counts the requests.
    async fn review_server() -> (Client, Arc<AtomicUsize>) {
        let count = Arc::new(AtomicUsize::new(0));
        let counted = count.clone();
        let client = fake_api(move |_, _, body| {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut review: serde_json::Value = serde_json::from_slice(body).unwrap_or_default();
            let verb = review["spec"]["resourceAttributes"]["verb"].clone();
            review["status"] = serde_json::json!({"allowed": verb != "delete"});
            (201, review.to_string())
        })
        .await;
        (client, count)
    }

    #[tokio::test]
    async fn reviews_are_sent_once_per_check_and_never_in_readonly_mode() {
        let (client, count) = review_server().await;
        let subject = subject(true);
        let settings = OpsSettings {
            readonly: true,
            context: Some("review-test".into()),
            ..OpsSettings::default()
        };
        let denied = review(&client, &settings, needs(&subject)).await;
        assert_eq!(denied.len(), 9);
        assert!(
            denied
                .iter()
                .all(|(_, p)| *p == Permission::Denied(READONLY_REASON.into()))
        );
        assert_eq!(count.load(Ordering::SeqCst), 0, "readonly sent a review");

        let settings = OpsSettings {
            readonly: false,
            ..settings
        };
        let answered = review(&client, &settings, needs(&subject)).await;
        // update, create, 2 x patch workloads, delete, patch CR.
        assert_eq!(count.load(Ordering::SeqCst), 6);
        let permission = |kind: OpKind| {
            answered
                .iter()
                .find(|(k, _)| *k == kind)
                .map(|(_, p)| p.clone())
        };
        assert_eq!(permission(OpKind::Upgrade), Some(Permission::Allowed));
        assert_eq!(permission(OpKind::Restart), Some(Permission::Allowed));
        assert_eq!(
            permission(OpKind::Delete),
            Some(Permission::Denied(
                "RBAC: user may not delete hwfkas.osctest.osctui.dev in team-a".into()
            ))
        );
        // Within 30 s the answers come from the cache.
        let again = review(&client, &settings, needs(&subject)).await;
        assert_eq!(again, answered);
        assert_eq!(count.load(Ordering::SeqCst), 6);
    }

    #[tokio::test]
    async fn a_failed_review_leaves_the_operation_offered() {
        // Nothing listens there.
        let url = "http://127.0.0.1:9".parse().unwrap();
        let client = Client::try_from(kube::Config::new(url)).unwrap();
        let settings = OpsSettings {
            context: Some("unreachable-test".into()),
            ..OpsSettings::default()
        };
        let answered = review(&client, &settings, needs(&subject(true))).await;
        assert!(
            answered
                .iter()
                .all(|(_, p)| matches!(p, Permission::Unknown(r) if r.starts_with("access review failed")) && p.allowed()),
            "{answered:?}"
        );
    }
}
