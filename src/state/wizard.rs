//! The guided operation in progress: which operation on which instance,
//! the step it is at (menu, form, preview, confirmation, applying,
//! progress, result) and what each step holds. A pure state machine driven
//! by `update::ops`.

use serde_json::Value;

use super::checks::{Check, Progress};
use super::detail::{DetailState, InstanceDetail, InstanceRef};
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
    /// The wizard started the detail watch (for the preflight, to follow
    /// the progress) and stops it when it closes.
    pub started_detail: bool,
    /// The detail that was open before the wizard started its own (put
    /// back, and watched again, when the wizard closes).
    pub previous_detail: Option<Box<DetailState>>,
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
    /// `metadata.generation` of the object the write stored: until the
    /// operator reports it observed (`status.observedGeneration`), the
    /// instance's state predates the change.
    pub generation: Option<i64>,
    /// The version running before an upgrade this wizard applied: a failed
    /// upgrade offers to roll back to it.
    pub previous_version: Option<String>,
    /// The last write failed or was refused: why (shown on the step).
    pub error: Option<String>,
    /// The object as it is now, after a conflict (diffed against `base`).
    pub conflict: Option<Value>,
    /// Conflicts met in a row where only the status or bookkeeping changed
    /// (the operator writing its status): each is re-checked on the latest
    /// object without asking, a few times, before the conflict is shown.
    pub quiet_conflicts: u8,
    /// The confirmed write met such a conflict: once its dry run on the
    /// latest object shows the same diff, it is applied without asking
    /// again.
    pub reapply_confirmed: bool,
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
            previous_detail: None,
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
            generation: None,
            previous_version: None,
            error: None,
            conflict: None,
            quiet_conflicts: 0,
            reapply_confirmed: false,
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

    /// Lines that stay above the scrolled part at this step, at most (the
    /// error wrapped to `width` cells).
    fn fixed_lines(&self, width: usize) -> usize {
        let error = self.error.as_deref().map_or(0, |e| wrapped_lines(e, width));
        let summary = usize::from(self.write.is_some());
        error
            + match self.step {
                Step::Preview => self.preview.as_ref().map_or(0, |p| {
                    summary + 1 + usize::from(p.manifest_lines.is_some()) + p.warnings.len()
                }),
                Step::Conflict => 3,
                Step::Progress => {
                    summary
                        + usize::from(self.progress.is_some())
                        + usize::from(
                            matches!(self.progress, Some(Progress::Failed(_)))
                                && self.kind == Some(OpKind::Upgrade)
                                && self.previous_version.is_some(),
                        )
                        + usize::from(self.operation.is_some())
                        + self.notes.len()
                }
                _ => 0,
            }
    }

    /// The largest useful `scroll` of the step's body of `scrolled` lines
    /// on a screen whose body is `size` (width, height) cells: the last
    /// line at the bottom.
    pub fn max_scroll(&self, scrolled: usize, size: (usize, usize)) -> usize {
        let (width, height) = size;
        // The body is drawn one column in; errors wrap two cells narrower.
        let room = height.saturating_sub(self.fixed_lines(width.saturating_sub(3)));
        scrolled.saturating_sub(room)
    }

    /// Lines of the progress step's scrolled part for this `detail`: its
    /// resources, conditions and latest events, each under a heading.
    pub fn progress_lines(detail: &InstanceDetail) -> usize {
        let section = |n: usize| if n == 0 { 0 } else { n + 1 };
        section(detail.resources.len())
            + section(detail.conditions.len())
            + section(detail.events.len().min(LATEST_EVENTS))
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

/// Events shown on the progress step (the latest).
pub const LATEST_EVENTS: usize = 5;

/// Lines `text` takes wrapped at words to `width` cells (at least one
/// line), as the operation view wraps it, or more.
fn wrapped_lines(text: &str, width: usize) -> usize {
    let width = width.max(1);
    let (mut lines, mut line) = (1, 0usize);
    for word in text.split_whitespace() {
        // Wide characters counted as two cells: never fewer lines than drawn.
        let len: usize = word.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
        if line > 0 && line + 1 + len > width {
            lines += 1;
            line = 0;
        }
        line += if line > 0 { len + 1 } else { len };
    }
    lines
}

/// A write whose wizard was closed while it was being applied: its answer
/// is told on the status line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DetachedWrite {
    /// The request id of the write.
    pub id: u64,
    /// `namespace/name` of the instance, sanitized.
    pub who: String,
    /// The operation's label ("upgrade").
    pub label: String,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapped_lines_count_as_the_view_wraps() {
        assert_eq!(wrapped_lines("", 10), 1);
        assert_eq!(wrapped_lines("rejected: spec.replicas", 30), 1);
        // "rejected:" | "spec.replicas" | "must be" | "at most 9"
        assert_eq!(
            wrapped_lines("rejected: spec.replicas must be at most 9", 13),
            4
        );
        // A word longer than the width takes its own line (cut when drawn).
        assert_eq!(wrapped_lines("a verylongwordindeed b", 5), 3);
        // Wide characters take two cells.
        assert_eq!(wrapped_lines("日本語 日本語", 8), 2);
    }

    #[test]
    fn the_largest_scroll_leaves_the_last_line_at_the_bottom() {
        let target = InstanceRef {
            uid: "u".into(),
            name: "n".into(),
            namespace: "ns".into(),
            service: "s".into(),
            kind: crate::state::rows::ServiceKind::Operator,
        };
        let mut wizard = Wizard::new(target, 1, View::Instances);
        wizard.step = Step::Conflict;
        // Three fixed lines: 20 rows leave 17 for 40 lines.
        assert_eq!(wizard.max_scroll(40, (80, 20)), 23);
        assert_eq!(wizard.max_scroll(10, (80, 20)), 0);
        // An error wrapped on two lines takes two more rows.
        wizard.error = Some("word ".repeat(20));
        assert_eq!(wizard.max_scroll(40, (80, 20)), 25);
        assert_eq!(wizard.max_scroll(40, (0, 0)), 40);
    }
}
