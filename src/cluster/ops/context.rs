//! Reads the [`OpsContext`] of an instance: the CR (managedFields dropped),
//! its CSD, the CRD's storage schema of `spec`, the operation CSDs of the
//! service with their CRDs' schemas, the operation CRs already aimed at
//! the instance, Secret and ConfigMap names for pickers, the Helm release,
//! and the permissions (through [`super::access`]).

use kube::Client;
use tokio::sync::mpsc;

use crate::action::Msg;
use crate::state::detail::InstanceRef;
use crate::state::ops::{ObjectRef, OpsEvent};

use super::OpsSettings;

/// Reads everything; answers `Prepared` or `PrepareFailed` (only when the
/// instance itself cannot be read; other gaps go to `problems`).
pub async fn prepare(
    _client: Client,
    _settings: &OpsSettings,
    id: u64,
    _target: InstanceRef,
) -> OpsEvent {
    OpsEvent::PrepareFailed {
        id,
        error: "not implemented yet".into(),
    }
}

/// Watches one operation CR and sends `OperationUpdated` whenever its
/// phase or message changes, until it reaches an end phase or is deleted.
pub async fn follow_operation(
    _client: Client,
    _id: u64,
    _object: ObjectRef,
    _tx: mpsc::Sender<Msg>,
) {
}
