//! The guided operations against the cluster: reading an instance's
//! [`OpsContext`](crate::state::ops::OpsContext) (object, CSD, CRD schema,
//! operation CSDs, permissions by SelfSubjectAccessReview), server-side dry
//! runs, writes with preconditions, Helm through the `helm` binary, and the
//! audit trail (a local JSON-lines file and an Event on the instance).
//! In readonly mode no request that writes is ever sent from here.

pub mod access;
pub mod context;
pub mod helm;
pub mod write;

use std::path::PathBuf;

use tokio::sync::mpsc;

use crate::action::Msg;
use crate::state::ops::{OpsEvent, OpsRequest};

use super::watch::AbortOnDrop;
use super::{Cluster, ClusterOptions};

/// What the ops task needs besides the client.
#[derive(Debug, Clone, Default)]
pub struct OpsSettings {
    /// Refuse every write and dry run.
    pub readonly: bool,
    /// The kube context (for the audit record).
    pub context: Option<String>,
    /// Directory of packaged Helm charts.
    pub helm_charts: Option<PathBuf>,
    /// `--kubeconfig` (None: `KUBECONFIG` or `~/.kube/config`), passed to
    /// `helm` so it talks to the same cluster as the console.
    pub kubeconfig: Option<PathBuf>,
}

impl OpsSettings {
    /// From the console's cluster options.
    pub fn from_options(opts: &ClusterOptions) -> Self {
        Self {
            readonly: opts.readonly,
            // The context in force, for the audit record: --context, else
            // the kubeconfig's current one.
            context: opts.context.clone().or_else(|| {
                super::client::read_kubeconfig(opts)
                    .ok()
                    .flatten()
                    .and_then(|k| k.current_context)
            }),
            helm_charts: opts.helm_charts.clone(),
            kubeconfig: opts.kubeconfig.clone(),
        }
    }
}

impl Cluster {
    /// Carries out one request of the guided operations; answers arrive as
    /// [`crate::action::Msg::Ops`].
    pub(crate) fn ops_request(&mut self, request: OpsRequest) {
        let tx = self.tx.clone();
        let settings = self.ops_settings.clone();
        match request {
            OpsRequest::Cancel => self.ops = AbortOnDrop::default(),
            OpsRequest::LoadAudit => {
                tokio::spawn(async move {
                    let (records, problems) = tokio::task::spawn_blocking(crate::audit::load)
                        .await
                        .unwrap_or_else(|e| {
                            (Vec::new(), vec![format!("reading the audit log: {e}")])
                        });
                    send(&tx, OpsEvent::Audit { records, problems }).await;
                });
            }
            OpsRequest::Prepare { id, target } => {
                self.ops = self.with_client(move |client| {
                    tokio::spawn(async move {
                        let event = context::prepare(client, &settings, id, target).await;
                        send(&tx, event).await;
                    })
                });
            }
            OpsRequest::FollowOperation { id, object } => {
                self.ops = self.with_client(move |client| {
                    tokio::spawn(
                        async move { context::follow_operation(client, id, object, tx).await },
                    )
                });
            }
            OpsRequest::DryRun { id, write } => {
                self.ops = self.with_client(move |client| {
                    tokio::spawn(async move {
                        let event = write::dry_run(client, &settings, id, write).await;
                        send(&tx, event).await;
                    })
                });
            }
            // Detached: a write that started finishes and is recorded even
            // if the wizard is closed meanwhile.
            OpsRequest::Apply { id, write } => {
                let mut guard = self.with_client(move |client| {
                    tokio::spawn(async move {
                        let event = write::apply(client, &settings, id, write).await;
                        send(&tx, event).await;
                    })
                });
                // Dropping the handle without aborting detaches the task.
                drop(guard.0.take());
            }
        }
    }
}

async fn send(tx: &mpsc::Sender<Msg>, event: OpsEvent) {
    let _ = tx.send(Msg::Ops(Box::new(event))).await;
}
