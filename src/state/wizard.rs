//! The guided operation in progress: which operation on which instance,
//! the step it is at (menu, form, preview, confirmation, applying,
//! progress, result) and what each step holds. A pure state machine driven
//! by `update::ops`.

use serde_json::Value;

use super::checks::{Check, Progress};
use super::detail::InstanceRef;
use super::editor::YamlEditor;
use super::form::FormState;
use super::ops::{OpKind, OpsContext, Permission, Write};
use crate::action::View;
use crate::domain::ops::{DiffLine, VersionChoice};

/// A guided operation on one instance.
#[derive(Debug, Clone)]
pub struct Wizard {
    /// The instance.
    pub target: InstanceRef,
    /// The operation, once chosen (None: the menu is shown).
    pub kind: Option<OpKind>,
    /// Id of the requests of this wizard; answers with another id are stale.
    /// Every new request (dry run, write) takes a fresh id, so the answer
    /// to one the user walked away from is dropped.
    pub id: u64,
    /// What the cluster layer read for it; None while loading.
    pub context: Option<Box<OpsContext>>,
    /// The step shown.
    pub step: Step,
    /// The view the wizard was opened from (Esc at the first step).
    pub return_to: View,
    /// The wizard started the detail watch (to follow the progress) and
    /// stops it when it closes.
    pub started_detail: bool,
    /// The operation asked for directly (`u`, `e`, `Y`): Esc from its first
    /// step closes instead of going back to the menu.
    pub direct: bool,
    /// The operations offered, with their permission (the menu).
    pub menu: Vec<MenuEntry>,
    /// Menu cursor.
    pub cursor: usize,
    /// The object the user's change is made on: the context's object, then
    /// the one stored by a write, or the current one after a conflict.
    pub base: Value,
    /// The first step's input (picker, form, editor), kept across the
    /// preview so going back never loses what was typed.
    pub input: Input,
    /// The user's change as data, re-applied on top of a newer object
    /// after a conflict.
    pub edit: Edit,
    /// The write being previewed, confirmed or applied.
    pub write: Option<Write>,
    /// The dry run's result.
    pub preview: Option<Preview>,
    /// Text typed at a destructive confirmation.
    pub typed: String,
    /// First line shown in scrolled bodies (preview, conflict, progress).
    pub scroll: usize,
    /// Following the write: the judged progress.
    pub progress: Option<Progress>,
    /// The operation CR created by an action (followed by name).
    pub operation: Option<String>,
    /// Replicas expected after a spec change, when known.
    pub expected_pods: Option<usize>,
    /// The version running before an upgrade this wizard applied: a failed
    /// upgrade offers to roll back to it.
    pub previous_version: Option<String>,
    /// The last write failed or was refused: why (shown on the step).
    pub error: Option<String>,
    /// The object as it is now, after a conflict (diffed against `base`).
    pub conflict: Option<Value>,
    /// Notes shown with the result (audit record, warnings).
    pub notes: Vec<String>,
}

impl Wizard {
    /// A wizard waiting for its context.
    pub fn new(target: InstanceRef, id: u64, return_to: View) -> Self {
        Self {
            target,
            kind: None,
            id,
            context: None,
            step: Step::Loading,
            return_to,
            started_detail: false,
            direct: false,
            menu: Vec::new(),
            cursor: 0,
            base: Value::Null,
            input: Input::None,
            edit: Edit::None,
            write: None,
            preview: None,
            typed: String::new(),
            scroll: 0,
            progress: None,
            operation: None,
            expected_pods: None,
            previous_version: None,
            error: None,
            conflict: None,
            notes: Vec::new(),
        }
    }

    /// Whether the step reads typed characters as text (a form, a typed
    /// confirmation): letters bound to actions must not act there.
    pub fn typing(&self) -> bool {
        match self.step {
            Step::Choose => matches!(self.input, Input::Form(_)),
            Step::Confirm => self.kind.as_ref().is_some_and(OpKind::destructive),
            _ => false,
        }
    }

    /// Whether the step is the YAML editor (`Mode::Editor`).
    pub fn editing_yaml(&self) -> bool {
        self.step == Step::Choose
            && matches!(
                self.input,
                Input::Editor(_)
                    | Input::HelmChart {
                        editor: Some(_),
                        ..
                    }
            )
    }
}

/// Where a wizard stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Reading the context.
    Loading,
    /// The context could not be read: why.
    LoadFailed(String),
    /// The operations menu.
    Menu,
    /// The first step of an operation: version picker, form, editor.
    Choose,
    /// The dry run was sent.
    Checking,
    /// The dry run's diff.
    Preview,
    /// Confirmation (typed for destructive operations).
    Confirm,
    /// The write was sent.
    Applying,
    /// Following the write until it succeeds or fails.
    Progress,
    /// The object changed meanwhile: what changed, re-apply or edit.
    Conflict,
}

/// One entry of the operations menu.
#[derive(Debug, Clone, PartialEq)]
pub struct MenuEntry {
    /// The operation.
    pub kind: OpKind,
    /// What the menu shows ("Upgrade", "Backup").
    pub label: String,
    /// Whether it may be chosen (Denied: greyed with the reason).
    pub permission: Permission,
}

/// The first step's input.
#[derive(Debug, Clone)]
pub enum Input {
    /// Nothing to fill in (restart, delete, rollback...).
    None,
    /// The upgrade's version picker with the preflight checks of the
    /// version under the cursor.
    Versions {
        /// Versions, newest first.
        choices: Vec<VersionChoice>,
        /// Cursor.
        cursor: usize,
        /// Version running now.
        current: String,
        /// Preflight of the version under the cursor.
        checks: Vec<Check>,
    },
    /// A form (spec change, configuration, action).
    Form(Box<FormState>),
    /// The YAML editor (edit YAML).
    Editor(Box<YamlEditor>),
    /// Helm upgrade: a chart version, then the values in the editor.
    HelmChart {
        /// Cursor in `context.helm.available`.
        cursor: usize,
        /// The values editor, once a version is chosen.
        editor: Option<Box<YamlEditor>>,
    },
    /// Helm rollback: a revision of the history.
    Revisions {
        /// Cursor in `context.helm.history` (revisions other than the
        /// latest).
        cursor: usize,
    },
}

/// The user's change, as data, so it can be made again on a newer object.
#[derive(Debug, Clone, PartialEq)]
pub enum Edit {
    /// Nothing beyond the operation itself (restart, delete...).
    None,
    /// Go to this version (upgrade, rollback).
    Version(String),
    /// Set these fields (forms): (path, value; None unsets).
    Values(Vec<(String, Option<Value>)>),
    /// This whole object (YAML).
    Object(Value),
    /// Helm: this chart version (with its reference) and these values.
    HelmUpgrade {
        /// Chart version.
        version: String,
        /// Chart reference.
        chart: String,
        /// User values.
        values: Value,
    },
    /// Helm: back to this revision.
    HelmRevision(u32),
}

/// What the dry run showed.
#[derive(Debug, Clone, PartialEq)]
pub struct Preview {
    /// The diff lines.
    pub lines: Vec<DiffLine>,
    /// "+2 -2 lines: spec.image".
    pub summary: String,
    /// Server warnings.
    pub warnings: Vec<String>,
    /// Helm: lines of the rendered manifest.
    pub manifest_lines: Option<usize>,
}
