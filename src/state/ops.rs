//! The contract of guided operations between the pure side (`update`, the
//! wizards) and the cluster side (`cluster::ops`): what a wizard asks for
//! ([`OpsRequest`]), what comes back ([`OpsEvent`]), and the owned data both
//! speak in. Every write goes through one path: a [`Write`] is first dry-run
//! on the server, shown as a diff, confirmed, then applied with a
//! precondition and recorded.

use serde_json::Value;

use super::detail::InstanceRef;
use crate::domain::csd::{CustomServiceDefinition, Descriptor};

/// An operation the user can start on an instance.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// Change the version (image at `versionDefinition.path`).
    Upgrade,
    /// Go back to the version before the last upgrade.
    Rollback,
    /// Replicas and resources (`podCount`, `resourceRequirements`).
    SpecChange,
    /// The spec through a form generated from the CRD schema and descriptors.
    EditForm,
    /// The whole object as YAML in an editor.
    EditYaml,
    /// Create a CR of an operation CSD (Backup, Restore...) aimed at the
    /// instance: the operation CSD's name.
    Action(String),
    /// Rollout restart of the instance's workloads.
    Restart,
    /// Delete the instance (typed confirmation: its name).
    Delete,
    /// Remove the finalizers of an instance whose deletion hangs (FAQ 1).
    RemoveFinalizers,
    /// Helm: upgrade to another chart version and/or values.
    HelmUpgrade,
    /// Helm: roll back to an earlier revision.
    HelmRollback,
}

impl OpKind {
    /// Short name for menus, notices and the audit log ("upgrade").
    pub fn label(&self) -> String {
        match self {
            OpKind::Upgrade => "upgrade".into(),
            OpKind::Rollback => "rollback".into(),
            OpKind::SpecChange => "change spec".into(),
            OpKind::EditForm => "edit configuration".into(),
            OpKind::EditYaml => "edit YAML".into(),
            OpKind::Action(name) => format!("action {name}"),
            OpKind::Restart => "restart".into(),
            OpKind::Delete => "delete".into(),
            OpKind::RemoveFinalizers => "remove finalizers".into(),
            OpKind::HelmUpgrade => "helm upgrade".into(),
            OpKind::HelmRollback => "helm rollback".into(),
        }
    }

    /// Whether the confirmation must be typed (the instance's name).
    pub fn destructive(&self) -> bool {
        matches!(
            self,
            OpKind::Delete | OpKind::RemoveFinalizers | OpKind::Rollback | OpKind::HelmRollback
        )
    }
}

/// A Kubernetes object a write is aimed at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectRef {
    /// `group/version` or `v1`.
    pub api_version: String,
    /// Kind (the cluster layer finds the resource through discovery).
    pub kind: String,
    /// Namespace; None for cluster-scoped objects.
    pub namespace: Option<String>,
    /// Name.
    pub name: String,
}

/// What a write does, as data. Every variant carries its precondition.
#[derive(Debug, Clone, PartialEq)]
pub enum WritePlan {
    /// Replace the whole object with `body`. `body.metadata.resourceVersion`
    /// is the precondition: a change made meanwhile fails with a conflict.
    Replace {
        /// The object.
        object: ObjectRef,
        /// The new object, resourceVersion included.
        body: Value,
    },
    /// A JSON merge patch that includes `metadata.resourceVersion` (the
    /// precondition), e.g. `{"metadata":{"finalizers":null,"resourceVersion":"42"}}`.
    MergePatch {
        /// The object.
        object: ObjectRef,
        /// The patch.
        patch: Value,
    },
    /// Create a new object (an operation CR). `body` names its kind and
    /// namespace; a name that exists already fails (never overwrites).
    Create {
        /// The object to create.
        body: Value,
    },
    /// Delete with uid and resourceVersion preconditions.
    Delete {
        /// The object.
        object: ObjectRef,
        /// Its uid.
        uid: String,
        /// Its resourceVersion.
        resource_version: String,
    },
    /// Rollout restart: set `kubectl.kubernetes.io/restartedAt` on the pod
    /// template of every StatefulSet and Deployment of the instance
    /// (selected by `app.kubernetes.io/instance=<name>`).
    Restart {
        /// Namespace.
        namespace: String,
        /// Label selector of the workloads.
        selector: String,
        /// The timestamp to set (RFC 3339), decided by the wizard so the
        /// dry run and the write set the same value.
        restarted_at: String,
    },
    /// Through the `helm` binary.
    Helm(HelmWrite),
}

/// A Helm write, run through the `helm` binary (dry run: `--dry-run=server`).
#[derive(Debug, Clone, PartialEq)]
pub enum HelmWrite {
    /// `helm upgrade RELEASE CHART --version V -f values.yaml`.
    Upgrade {
        /// Release name.
        release: String,
        /// Namespace.
        namespace: String,
        /// Chart reference: a packaged chart file (`.../memcached-1.2.0.tgz`)
        /// or `repo/chart`.
        chart: String,
        /// Chart version.
        version: String,
        /// The complete user-supplied values (not merged with the old ones).
        values: Value,
        /// The revision the wizard started from: a newer one means someone
        /// else changed the release meanwhile (the conflict check).
        expected_revision: u32,
    },
    /// `helm rollback RELEASE REVISION`.
    Rollback {
        /// Release name.
        release: String,
        /// Namespace.
        namespace: String,
        /// The revision to go back to.
        revision: u32,
        /// The revision the wizard started from (conflict check).
        expected_revision: u32,
    },
}

/// One write: what, on which instance, why.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    /// The instance it is about (audit, Event).
    pub target: InstanceRef,
    /// Which operation.
    pub kind: OpKind,
    /// What it does.
    pub plan: WritePlan,
    /// One line for the audit record and the Event
    /// ("upgrade 3.6.1 -> 3.7.0", "replicas 3 -> 5").
    pub summary: String,
}

/// May the user do it? (SelfSubjectAccessReview, cached briefly.)
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permission {
    /// Allowed.
    Allowed,
    /// Denied, with the reason shown next to the disabled action
    /// ("readonly mode", "RBAC: cannot update hwfkas in team-a").
    Denied(String),
    /// The review itself failed; the action stays offered (the write will
    /// be refused by the server if it must be).
    Unknown(String),
}

impl Permission {
    /// Whether the action may be offered.
    pub fn allowed(&self) -> bool {
        !matches!(self, Permission::Denied(_))
    }
}

/// An operation CSD (`role: operation`) of the instance's service.
#[derive(Debug, Clone, PartialEq)]
pub struct OperationService {
    /// The operation CSD's name (`kafka-backup`).
    pub name: String,
    /// Its display name ("Backup").
    pub display_name: String,
    /// Description, when any.
    pub description: Option<String>,
    /// The operation CR's `apiVersion`.
    pub api_version: String,
    /// The operation CR's kind (`HwfkaBackup`).
    pub kind: String,
    /// Where the target instance's name goes in the CR (`spec.clusterRef`).
    pub target_path: Option<String>,
    /// `openAPIV3Schema.properties.spec` of its CRD, as JSON.
    pub spec_schema: Option<Value>,
    /// Its spec descriptors.
    pub descriptors: Vec<Descriptor>,
    /// Its `defaultConfiguration`, the starting point of the form.
    pub default_configuration: Option<Value>,
}

/// An operation CR that exists for the instance (to follow its status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationRun {
    /// Kind.
    pub kind: String,
    /// Name.
    pub name: String,
    /// `status.phase` ("Running", "Succeeded", "Failed"...), when set.
    pub phase: Option<String>,
    /// `status.message` or the last condition's message.
    pub message: Option<String>,
    /// Created, seconds since the Unix epoch.
    pub created: Option<i64>,
}

/// A Helm release, as the Helm wizards need it.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmOpsContext {
    /// Latest revision.
    pub revision: u32,
    /// Chart name.
    pub chart: String,
    /// Chart version deployed now.
    pub chart_version: String,
    /// User-supplied values of the latest revision.
    pub values: Value,
    /// Revisions, newest first: (revision, chart version, status, description).
    pub history: Vec<(u32, String, String, String)>,
    /// Chart versions available to upgrade to, each with its chart
    /// reference for `helm upgrade` (from the `helmCharts` setting).
    pub available: Vec<(String, String)>,
    /// Where the `helm` binary is; None: not found (Helm writes disabled
    /// with that reason).
    pub helm_binary: Option<String>,
}

/// Everything the wizards of one instance need, read once when one opens.
#[derive(Debug, Clone, PartialEq)]
pub struct OpsContext {
    /// The instance.
    pub target: InstanceRef,
    /// The CR as read (managedFields dropped), resourceVersion included.
    /// Helm: `{}`.
    pub object: Value,
    /// The service's CSD, when it has one.
    pub csd: Option<CustomServiceDefinition>,
    /// `openAPIV3Schema.properties.spec` of the CRD's storage version.
    pub spec_schema: Option<Value>,
    /// Operation CSDs acting on the service.
    pub operations: Vec<OperationService>,
    /// Operation CRs already aimed at this instance, newest first.
    pub runs: Vec<OperationRun>,
    /// Whether each operation may be done (every kind that applies to
    /// this instance, reviewed once when the context is read).
    pub permissions: Vec<(OpKind, Permission)>,
    /// Secret names in the namespace (for Secret pickers).
    pub secrets: Vec<String>,
    /// ConfigMap names in the namespace (for ConfigMap pickers).
    pub config_maps: Vec<String>,
    /// Helm releases only.
    pub helm: Option<HelmOpsContext>,
    /// Problems met while reading (shown, never fatal): "CRD: forbidden".
    pub problems: Vec<String>,
}

impl OpsContext {
    /// The permission of one operation (Unknown when not reviewed).
    pub fn permission(&self, kind: &OpKind) -> Permission {
        self.permissions
            .iter()
            .find(|(k, _)| k == kind)
            .map_or_else(
                || Permission::Unknown("not reviewed".into()),
                |(_, p)| p.clone(),
            )
    }
}

/// Why a dry run or a write did not go through.
#[derive(Debug, Clone, PartialEq)]
pub enum WriteError {
    /// 409: the object changed since it was read. `current` is the object
    /// now (the wizard shows what changed meanwhile and can re-apply the
    /// user's edit on top of it).
    Conflict {
        /// The server's message.
        message: String,
        /// The object as it is now (Helm: `{"revision": N}`).
        current: Value,
    },
    /// 422 or a rejected dry run: schema, CEL rule or webhook. Each cause
    /// is (field path as the server gives it, message).
    Invalid {
        /// The server's message.
        message: String,
        /// Field causes.
        causes: Vec<(String, String)>,
    },
    /// 403.
    Forbidden(String),
    /// `--readonly`: nothing was sent.
    Readonly,
    /// 404: the object is gone.
    NotFound(String),
    /// Anything else (network, timeout, helm failed), in words.
    Other(String),
}

impl std::fmt::Display for WriteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteError::Conflict { message, .. } => write!(f, "conflict: {message}"),
            WriteError::Invalid { message, .. } => write!(f, "rejected: {message}"),
            WriteError::Forbidden(m) => write!(f, "forbidden: {m}"),
            WriteError::Readonly => write!(f, "readonly mode: nothing was sent"),
            WriteError::NotFound(m) => write!(f, "not found: {m}"),
            WriteError::Other(m) => write!(f, "{m}"),
        }
    }
}

/// The outcome recorded for a write.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum AuditResult {
    /// The API server (or helm) accepted it.
    #[serde(rename = "applied")]
    Applied,
    /// It was refused or failed; why.
    #[serde(rename = "failed")]
    Failed(String),
}

/// One line of the local audit log (`<data dir>/audit.jsonl`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditRecord {
    /// RFC 3339 UTC.
    pub time: String,
    /// Kube context (empty when none).
    pub context: String,
    /// The user as the cluster knows them (SelfSubjectReview), else the
    /// kubeconfig user.
    pub user: String,
    /// `Kind namespace/name` of the instance.
    pub object: String,
    /// The operation's label ("upgrade").
    pub action: String,
    /// The write's summary plus a diff summary ("+3 -1 lines: spec.image").
    pub summary: String,
    /// Applied or failed.
    pub result: AuditResult,
}

/// What a wizard asks of the cluster layer. Each answer carries the same
/// `id`, so an answer for a wizard that was closed meanwhile is dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum OpsRequest {
    /// Read the [`OpsContext`] of an instance (object, CSD, schema,
    /// operations, permissions, pickers, Helm release).
    Prepare {
        /// Request id.
        id: u64,
        /// The instance.
        target: InstanceRef,
    },
    /// Server-side dry run of a write: [`OpsEvent::Previewed`] or
    /// [`OpsEvent::PreviewFailed`]. Never sent in readonly mode.
    DryRun {
        /// Request id.
        id: u64,
        /// The write.
        write: Write,
    },
    /// The write itself: [`OpsEvent::Applied`] or [`OpsEvent::ApplyFailed`];
    /// recorded in the audit log and as an Event on the instance either way.
    Apply {
        /// Request id.
        id: u64,
        /// The write.
        write: Write,
    },
    /// Follow an operation CR (created by the wizard) until it ends:
    /// [`OpsEvent::OperationUpdated`] on every change of its status.
    FollowOperation {
        /// Request id.
        id: u64,
        /// The operation CR.
        object: ObjectRef,
    },
    /// Read the audit log: [`OpsEvent::Audit`].
    LoadAudit,
    /// Stop the running ops task (the wizard closed).
    Cancel,
}

/// What comes back from the cluster layer.
#[derive(Debug, Clone, PartialEq)]
pub enum OpsEvent {
    /// The context of a wizard.
    Prepared {
        /// Request id.
        id: u64,
        /// The context.
        context: Box<OpsContext>,
    },
    /// The context could not be read.
    PrepareFailed {
        /// Request id.
        id: u64,
        /// Why, in words.
        error: String,
    },
    /// The dry run passed: the object before, and after as the server
    /// would store it (defaults applied). Helm: the values before and
    /// after, plus the rendered manifest under `"manifest"`.
    Previewed {
        /// Request id.
        id: u64,
        /// Before.
        before: Value,
        /// After.
        after: Value,
        /// Server warnings (deprecations), if any.
        warnings: Vec<String>,
    },
    /// The dry run failed.
    PreviewFailed {
        /// Request id.
        id: u64,
        /// Why.
        error: WriteError,
    },
    /// The write went through.
    Applied {
        /// Request id.
        id: u64,
        /// The object as stored (Helm: `{"revision": N}`).
        after: Value,
        /// The audit record written; None with the reason when it could
        /// not be written (shown as a warning, the write stands).
        audit: Result<AuditRecord, String>,
    },
    /// The write failed (nothing changed).
    ApplyFailed {
        /// Request id.
        id: u64,
        /// Why.
        error: WriteError,
    },
    /// The status of a followed operation CR changed.
    OperationUpdated {
        /// Request id.
        id: u64,
        /// Its state now.
        run: OperationRun,
    },
    /// The audit log, oldest first, with the problems met reading it.
    Audit {
        /// Records.
        records: Vec<AuditRecord>,
        /// Lines that could not be read, in words.
        problems: Vec<String>,
    },
}
