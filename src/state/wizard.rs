//! The guided operation in progress: which operation on which instance,
//! the step it is at (menu, form, preview, confirmation, applying,
//! progress, result) and what each step holds. A pure state machine driven
//! by `update::ops`.

use super::detail::InstanceRef;
use super::ops::{OpKind, OpsContext};

/// A guided operation on one instance.
#[derive(Debug, Clone)]
pub struct Wizard {
    /// The instance.
    pub target: InstanceRef,
    /// The operation, once chosen (None: the menu is shown).
    pub kind: Option<OpKind>,
    /// Id of the requests of this wizard; answers with another id are stale.
    pub id: u64,
    /// What the cluster layer read for it; None while loading.
    pub context: Option<Box<OpsContext>>,
}
