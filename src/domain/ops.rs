//! Pure rules of the guided operations: the versions an upgrade may go to,
//! the objects each write sends, and the diff shown before it.

use serde_json::Value;

use crate::domain::csd::VersionDefinition;
use crate::domain::version::Direction;

/// A version offered by the upgrade picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionChoice {
    /// The tag.
    pub version: String,
    /// It is the version running now (shown, not choosable).
    pub current: bool,
    /// Upgrade, downgrade (flagged) or same.
    pub direction: Direction,
}

/// Every tag of `versionDefinition.tags`, newest first, the current one
/// marked and downgrades flagged.
pub fn version_choices(_def: &VersionDefinition, _current: &str) -> Vec<VersionChoice> {
    todo!("domain::ops::version_choices")
}

/// The object after an upgrade to `target` (image at
/// `versionDefinition.path` by its mode; a `spec.version` field, when the
/// schema has one next to the image, follows). Keeps resourceVersion.
pub fn upgraded_object(
    _object: &Value,
    _def: &VersionDefinition,
    _target: &str,
) -> Result<Value, String> {
    todo!("domain::ops::upgraded_object")
}

/// The version to roll back to: `status.upgrade.fromVersion` (or
/// `status.previousVersion`) when the instance records it, else None.
pub fn rollback_version(_object: &Value) -> Option<String> {
    todo!("domain::ops::rollback_version")
}

/// A new operation CR (`apiVersion`, `kind`, `metadata.generateName`
/// `<instance>-<kind lowercased>-`, namespace) with `spec` and the target
/// instance's name at `target_path`.
pub fn operation_object(
    _api_version: &str,
    _kind: &str,
    _namespace: &str,
    _instance: &str,
    _target_path: Option<&str>,
    _spec: &Value,
) -> Value {
    todo!("domain::ops::operation_object")
}

/// The object without what a diff must not show: `metadata.managedFields`,
/// `resourceVersion`, `generation`, `uid`, `creationTimestamp`, the
/// last-applied annotation, and `status`.
pub fn comparable(_object: &Value) -> Value {
    todo!("domain::ops::comparable")
}

/// One line of a diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLine {
    /// Unchanged context.
    Same(String),
    /// Only in the new object.
    Added(String),
    /// Only in the old object.
    Removed(String),
    /// N unchanged lines left out.
    Skipped(usize),
}

/// Unified diff (3 lines of context) of the two objects' YAML, after
/// [`comparable`].
pub fn diff(_before: &Value, _after: &Value) -> Vec<DiffLine> {
    todo!("domain::ops::diff")
}

/// The leaf paths that differ (`spec.image`, `spec.replicas`), sorted.
pub fn changed_paths(_before: &Value, _after: &Value) -> Vec<String> {
    todo!("domain::ops::changed_paths")
}

/// "+2 -2 lines: spec.image, spec.version" (at most 5 paths, then "...").
pub fn diff_summary(_before: &Value, _after: &Value) -> String {
    todo!("domain::ops::diff_summary")
}
