//! Dry runs and writes: replace with the resourceVersion precondition,
//! merge patches carrying it, creates, deletes with uid and resourceVersion
//! preconditions, rollout restarts, and Helm (through [`super::helm`]).
//! A 409 is answered with the object as it is now; a 422 with its causes.
//! Every write is recorded ([`crate::audit`] and an Event on the instance).

use kube::Client;

use crate::state::ops::{OpsEvent, Write, WriteError};

use super::OpsSettings;

/// Server-side dry run: `Previewed` or `PreviewFailed`.
pub async fn dry_run(_client: Client, settings: &OpsSettings, id: u64, _write: Write) -> OpsEvent {
    let error = if settings.readonly {
        WriteError::Readonly
    } else {
        WriteError::Other("not implemented yet".into())
    };
    OpsEvent::PreviewFailed { id, error }
}

/// The write: `Applied` or `ApplyFailed`, recorded either way.
pub async fn apply(_client: Client, settings: &OpsSettings, id: u64, _write: Write) -> OpsEvent {
    let error = if settings.readonly {
        WriteError::Readonly
    } else {
        WriteError::Other("not implemented yet".into())
    };
    OpsEvent::ApplyFailed { id, error }
}
