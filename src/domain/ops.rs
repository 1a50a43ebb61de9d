//! Pure rules of the guided operations: the versions an upgrade may go to,
//! the objects each write sends, and the diff shown before it.

use serde_json::{Map, Value};

use crate::cluster::detail::yaml::to_yaml;
use crate::domain::csd::{VersionDefinition, VersionMode};
use crate::domain::path::{FieldPath, Segment};
use crate::domain::version::{
    Direction, ImageRef, apply_version, classify, compare_versions, display_version,
};

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
pub fn version_choices(def: &VersionDefinition, current: &str) -> Vec<VersionChoice> {
    let mut choices: Vec<VersionChoice> = def
        .tags
        .iter()
        .map(|tag| VersionChoice {
            version: tag.clone(),
            current: tag == current,
            direction: classify(def.mode, current, tag),
        })
        .collect();
    // Stable: tags that compare equal keep the CSD's order.
    choices.sort_by(|a, b| {
        compare_versions(
            display_version(def.mode, &b.version),
            display_version(def.mode, &a.version),
        )
    });
    choices
}

/// The object after an upgrade to `target` (image at
/// `versionDefinition.path` by its mode; a string `version` field next to
/// the image in the object, as `spec.version` beside `spec.image`, follows
/// with the target's tag). Keeps resourceVersion.
pub fn upgraded_object(
    object: &Value,
    def: &VersionDefinition,
    target: &str,
) -> Result<Value, String> {
    let mut upgraded = apply_version(def, object, target).map_err(|e| e.to_string())?;
    let path = def
        .path
        .as_deref()
        .and_then(|p| FieldPath::parse(p).ok())
        .ok_or_else(|| "versionDefinition has no usable path".to_owned())?;
    // `spec.version` next to `spec.image`: the operator may read either, so
    // both must name the target.
    if let Some((Segment::Field(last), parent)) = path.0.split_last()
        && last != "version"
    {
        let version = match def.mode {
            VersionMode::Tag => Some(target),
            VersionMode::Url => ImageRef::parse(target).and_then(|r| r.tag),
        };
        let sibling = FieldPath(parent.to_vec()).get_mut(&mut upgraded);
        if let (Some(version), Some(Value::Object(map))) = (version, sibling)
            && let Some(slot @ Value::String(_)) = map.get_mut("version")
        {
            *slot = Value::String(version.to_owned());
        }
    }
    Ok(upgraded)
}

/// The version to roll back to: `status.upgrade.fromVersion` (or
/// `status.previousVersion`) when the instance records it, else None; also
/// None when it is the version running now (`status.currentVersion`), as
/// after a rollback that completed.
pub fn rollback_version(object: &Value) -> Option<String> {
    let status = object.get("status")?;
    let running = status["currentVersion"].as_str().map(str::trim);
    [
        &status["upgrade"]["fromVersion"],
        &status["previousVersion"],
    ]
    .into_iter()
    .filter_map(Value::as_str)
    .map(str::trim)
    .find(|v| !v.is_empty())
    .filter(|v| Some(*v) != running)
    .map(str::to_owned)
}

/// A new operation CR (`apiVersion`, `kind`, `metadata.name`
/// `<instance>-<kind lowercased>-<UTC time of created_at>`, namespace) with
/// `spec` and the target instance's name at `target_path`. The console
/// names it (rather than `generateName`) so that the name the dry run
/// previews is the name the object gets.
pub fn operation_object(
    api_version: &str,
    kind: &str,
    namespace: &str,
    instance: &str,
    target_path: Option<&str>,
    spec: &Value,
    created_at: i64,
) -> Value {
    let stamp = jiff::Timestamp::from_second(created_at)
        .map(|t| t.strftime("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_else(|_| created_at.to_string());
    let mut base = format!("{instance}-{}", kind.to_ascii_lowercase());
    // Room for "-" and the stamp in a name of at most 253.
    let room = MAX_NAME.saturating_sub(stamp.len() + 1);
    if base.len() > room {
        let mut cut = room;
        while !base.is_char_boundary(cut) {
            cut -= 1;
        }
        base.truncate(cut);
    }
    let name = format!("{}-{stamp}", base.trim_end_matches('-'));
    let spec = if spec.is_object() {
        spec.clone()
    } else {
        Value::Object(Map::new())
    };
    let mut object = serde_json::json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {"name": name, "namespace": namespace},
        "spec": spec,
    });
    if let Some(target) = target_path {
        // `spec.instanceName` from the root; a bare `instanceName` is below spec.
        let full = if target.starts_with("spec.") || target.starts_with("metadata.") {
            target.to_owned()
        } else {
            format!("spec.{target}")
        };
        object = crate::domain::form::apply_values(
            &object,
            &[(full, Some(Value::String(instance.to_owned())))],
        );
    }
    object
}

/// Longest object name.
const MAX_NAME: usize = 253;

/// The object without what a diff must not show: `metadata.managedFields`,
/// `resourceVersion`, `generation`, `uid`, `creationTimestamp`, the
/// last-applied annotation, and `status`.
pub fn comparable(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Value::Object(root) = &mut copy {
        root.remove("status");
        if let Some(Value::Object(metadata)) = root.get_mut("metadata") {
            for key in [
                "managedFields",
                "resourceVersion",
                "generation",
                "uid",
                "creationTimestamp",
                "selfLink",
            ] {
                metadata.remove(key);
            }
            if let Some(Value::Object(annotations)) = metadata.get_mut("annotations") {
                annotations.remove(LAST_APPLIED);
                if annotations.is_empty() {
                    metadata.remove("annotations");
                }
            }
        }
    }
    copy
}

/// The annotation `kubectl apply` keeps a whole copy of the object in.
const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

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
/// [`comparable`]; empty when nothing differs. The YAML is the detail
/// view's (keys sorted, control characters escaped), so lines are safe to
/// draw. Callers mask password fields first
/// ([`crate::domain::descriptors::mask_passwords`]) when the diff is shown.
pub fn diff(before: &Value, after: &Value) -> Vec<DiffLine> {
    // Nothing (a create's "before", a delete's "after") has no lines, not
    // a line saying `{}`.
    let text_of = |value: &Value| {
        let value = comparable(value);
        let empty = value.is_null() || value.as_object().is_some_and(serde_json::Map::is_empty);
        if empty {
            String::new()
        } else {
            to_yaml(&value)
        }
    };
    let old = text_of(before);
    let new = text_of(after);
    let text = similar::TextDiff::from_lines(&old, &new);
    let total = old.lines().count();
    let mut out = Vec::new();
    // Old-text line where the previous group ended.
    let mut shown_to = 0;
    for group in text.grouped_ops(3) {
        let Some(first) = group.first() else {
            continue;
        };
        let start = first.old_range().start;
        if start > shown_to {
            out.push(DiffLine::Skipped(start - shown_to));
        }
        for op in &group {
            for change in text.iter_changes(op) {
                let line = change.value().trim_end_matches('\n').to_owned();
                out.push(match change.tag() {
                    similar::ChangeTag::Equal => DiffLine::Same(line),
                    similar::ChangeTag::Insert => DiffLine::Added(line),
                    similar::ChangeTag::Delete => DiffLine::Removed(line),
                });
            }
            shown_to = op.old_range().end;
        }
    }
    if !out.is_empty() && total > shown_to {
        out.push(DiffLine::Skipped(total - shown_to));
    }
    out
}

/// The leaf paths that differ (`spec.image`, `spec.replicas`), sorted,
/// after [`comparable`]; list elements as `spec.list[1]`, map keys that are
/// not plain names as `spec.config[log.retention.hours]`.
pub fn changed_paths(before: &Value, after: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk_changes(&comparable(before), &comparable(after), "", &mut out);
    out.sort();
    out.dedup();
    out
}

fn child_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    match (parent.is_empty(), plain) {
        (true, true) => key.to_owned(),
        (false, true) => format!("{parent}.{key}"),
        (_, false) => format!("{parent}[{}]", crate::domain::text::clean(key)),
    }
}

fn walk_changes(before: &Value, after: &Value, path: &str, out: &mut Vec<String>) {
    // A new or removed object is named by its leaves.
    let empty = Value::Object(Map::new());
    let (before, after) = match (before, after) {
        (Value::Null, Value::Object(m)) if !m.is_empty() => (&empty, after),
        (Value::Object(m), Value::Null) if !m.is_empty() => (before, &empty),
        _ => (before, after),
    };
    match (before, after) {
        (Value::Object(a), Value::Object(b)) => {
            for key in a.keys().chain(b.keys().filter(|k| !a.contains_key(*k))) {
                let null = Value::Null;
                let x = a.get(key).unwrap_or(&null);
                let y = b.get(key).unwrap_or(&null);
                walk_changes(x, y, &child_path(path, key), out);
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            for i in 0..a.len().max(b.len()) {
                let null = Value::Null;
                walk_changes(
                    a.get(i).unwrap_or(&null),
                    b.get(i).unwrap_or(&null),
                    &format!("{path}[{i}]"),
                    out,
                );
            }
        }
        (x, y) if x != y => out.push(path.to_owned()),
        _ => {}
    }
}

/// "+2 -2 lines: spec.image, spec.version" (at most 5 paths, then "...").
pub fn diff_summary(before: &Value, after: &Value) -> String {
    let lines = diff(before, after);
    let added = lines
        .iter()
        .filter(|l| matches!(l, DiffLine::Added(_)))
        .count();
    let removed = lines
        .iter()
        .filter(|l| matches!(l, DiffLine::Removed(_)))
        .count();
    let paths = changed_paths(before, after);
    if paths.is_empty() && added == 0 && removed == 0 {
        return "no changes".to_owned();
    }
    let mut shown: Vec<&str> = paths
        .iter()
        .take(MAX_SUMMARY_PATHS)
        .map(String::as_str)
        .collect();
    if paths.len() > MAX_SUMMARY_PATHS {
        shown.push("...");
    }
    format!("+{added} -{removed} lines: {}", shown.join(", "))
}

/// Paths named in a summary before "...".
const MAX_SUMMARY_PATHS: usize = 5;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_create_and_a_delete_have_no_empty_side() {
        let object =
            serde_json::json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a"}});
        let created = diff(&serde_json::json!({}), &object);
        assert!(
            created.iter().all(|l| matches!(l, DiffLine::Added(_))),
            "{created:?}"
        );
        assert!(diff_summary(&serde_json::json!({}), &object).starts_with("+4 -0 lines"));
        let deleted = diff(&object, &serde_json::Value::Null);
        assert!(
            deleted.iter().all(|l| matches!(l, DiffLine::Removed(_))),
            "{deleted:?}"
        );
    }
    use crate::domain::csd::CustomServiceDefinition;
    use crate::domain::yaml_documents;
    use serde_json::json;

    fn example(path: &str) -> Vec<Value> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        yaml_documents(&std::fs::read_to_string(root.join(path)).unwrap()).unwrap()
    }

    fn kafka_def() -> VersionDefinition {
        let csd = CustomServiceDefinition::from_value(&example("examples/kafka/csd/kafka.yaml")[0])
            .unwrap();
        csd.spec.version_definition.unwrap()
    }

    /// The orders instance as the API server returns it.
    fn orders() -> Value {
        let mut cr = example("examples/kafka/instances/team-a.yaml")
            .into_iter()
            .find(|d| d["metadata"]["name"] == "orders")
            .unwrap();
        cr["metadata"]["resourceVersion"] = json!("4711");
        cr["metadata"]["uid"] = json!("0f0e");
        cr["metadata"]["generation"] = json!(3);
        cr["metadata"]["creationTimestamp"] = json!("2026-11-01T10:00:00Z");
        cr["metadata"]["managedFields"] = json!([{"manager": "kubectl"}]);
        cr["metadata"]["annotations"] = json!({LAST_APPLIED: "{...}"});
        cr["status"] = json!({"phase": "Running", "currentVersion": "3.7.1"});
        cr
    }

    #[test]
    fn choices_are_newest_first_with_current_and_downgrades() {
        let def = VersionDefinition {
            tags: ["3.6.1", "3.5.2", "3.7.1", "3.7.0"]
                .map(String::from)
                .to_vec(),
            ..kafka_def()
        };
        let choices = version_choices(&def, "3.6.1");
        let seen: Vec<(&str, bool, Direction)> = choices
            .iter()
            .map(|c| (c.version.as_str(), c.current, c.direction))
            .collect();
        assert_eq!(
            seen,
            [
                ("3.7.1", false, Direction::Upgrade),
                ("3.7.0", false, Direction::Upgrade),
                ("3.6.1", true, Direction::Same),
                ("3.5.2", false, Direction::Downgrade),
            ]
        );
        // Every tag of the Kafka example, the running one marked once.
        let kafka = version_choices(&kafka_def(), "3.7.1");
        assert_eq!(kafka.len(), kafka_def().tags.len());
        assert_eq!(kafka.iter().filter(|c| c.current).count(), 1);
        // Numbers compare as numbers, not text; url mode by the tags.
        let def = VersionDefinition {
            mode: VersionMode::Url,
            tags: vec!["r/k:3.9.0".into(), "r/k:3.10.0".into(), "r/k:3.8.0".into()],
            ..kafka_def()
        };
        let order: Vec<String> = version_choices(&def, "r/k:3.9.0")
            .into_iter()
            .map(|c| format!("{}{}", c.version, if c.current { "*" } else { "" }))
            .collect();
        assert_eq!(order, ["r/k:3.10.0", "r/k:3.9.0*", "r/k:3.8.0"]);
        assert!(version_choices(&VersionDefinition::default(), "1").is_empty());
    }

    #[test]
    fn upgrades_change_the_image_and_the_version_beside_it() {
        let def = kafka_def();
        let up = upgraded_object(&orders(), &def, "3.7.0").unwrap();
        assert_eq!(
            up["spec"]["image"],
            json!("registry.invalid/osctest/kafka:3.7.0")
        );
        assert_eq!(up["spec"]["version"], json!("3.7.0"));
        assert_eq!(up["metadata"]["resourceVersion"], json!("4711"));
        assert_eq!(
            changed_paths(&orders(), &up),
            ["spec.image", "spec.version"]
        );

        // No version field: only the image.
        let mut bare = orders();
        bare["spec"].as_object_mut().unwrap().remove("version");
        let up = upgraded_object(&bare, &def, "3.7.0").unwrap();
        assert!(up["spec"].get("version").is_none());
        // A non-string version is left alone.
        let mut numeric = orders();
        numeric["spec"]["version"] = json!(3);
        assert_eq!(
            upgraded_object(&numeric, &def, "3.7.0").unwrap()["spec"]["version"],
            json!(3)
        );

        // Url mode: the tag of the new reference.
        let url = VersionDefinition {
            mode: VersionMode::Url,
            ..def.clone()
        };
        let up =
            upgraded_object(&orders(), &url, "registry.invalid/osctest/kafka-next:4.0.0").unwrap();
        assert_eq!(up["spec"]["version"], json!("4.0.0"));
        let pinned = upgraded_object(&orders(), &url, "registry.invalid/k@sha256:0123").unwrap();
        assert_eq!(pinned["spec"]["version"], json!("3.7.1"));

        // Errors are words.
        let err = upgraded_object(&orders(), &def, "bad tag").unwrap_err();
        assert!(err.contains("not a valid image tag"), "{err}");
        let no_path = VersionDefinition { path: None, ..def };
        assert!(upgraded_object(&orders(), &no_path, "3.7.0").is_err());
    }

    #[test]
    fn rollback_reads_the_recorded_version() {
        let mut cr = orders();
        assert_eq!(rollback_version(&cr), None);
        cr["status"]["previousVersion"] = json!("3.5.2");
        assert_eq!(rollback_version(&cr).as_deref(), Some("3.5.2"));
        cr["status"]["upgrade"] =
            json!({"fromVersion": "3.6.1", "toVersion": "3.7.1", "updatedBrokers": 1});
        assert_eq!(rollback_version(&cr).as_deref(), Some("3.6.1"));
        cr["status"]["upgrade"]["fromVersion"] = json!("  ");
        assert_eq!(rollback_version(&cr).as_deref(), Some("3.5.2"));
        assert_eq!(rollback_version(&json!({"spec": {}})), None);
        // Rolled back already: 3.6.1 runs again.
        cr["status"]["upgrade"]["fromVersion"] = json!("3.6.1");
        cr["status"]["currentVersion"] = json!("3.6.1");
        assert_eq!(rollback_version(&cr), None);
    }

    #[test]
    fn operation_objects_aim_at_the_instance() {
        let object = operation_object(
            "osctest.osctui.dev/v1",
            "HwfkaBackup",
            "team-a",
            "orders",
            Some("spec.instanceName"),
            &json!({"compress": true, "instanceName": "kafka-sample"}),
            1_795_838_400,
        );
        assert_eq!(
            object,
            json!({
                "apiVersion": "osctest.osctui.dev/v1",
                "kind": "HwfkaBackup",
                "metadata": {"name": "orders-hwfkabackup-20261128-040000", "namespace": "team-a"},
                "spec": {"compress": true, "instanceName": "orders"},
            })
        );
        let bare = operation_object(
            "v1",
            "Restore",
            "ns",
            "db",
            Some("target.name"),
            &Value::Null,
            0,
        );
        assert_eq!(bare["spec"], json!({"target": {"name": "db"}}));
        let untargeted =
            operation_object("v1", "Restore", "ns", &"x".repeat(300), None, &json!({}), 0);
        assert_eq!(untargeted["spec"], json!({}));
        let name = untargeted["metadata"]["name"].as_str().unwrap();
        assert_eq!(name.len(), MAX_NAME);
        assert!(name.ends_with("-19700101-000000"), "{name}");
    }

    #[test]
    fn comparable_drops_server_bookkeeping() {
        let c = comparable(&orders());
        assert!(c.get("status").is_none());
        assert_eq!(
            c["metadata"],
            json!({"name": "orders", "namespace": "team-a"})
        );
        let mut annotated = orders();
        annotated["metadata"]["annotations"]["team"] = json!("a");
        assert_eq!(
            comparable(&annotated)["metadata"]["annotations"],
            json!({"team": "a"})
        );
        assert_eq!(comparable(&json!("x")), json!("x"));
    }

    #[test]
    fn diffs_show_changes_with_context() {
        let before = orders();
        let after = upgraded_object(&before, &kafka_def(), "3.7.0").unwrap();
        let lines = diff(&before, &after);
        let text: Vec<String> = lines
            .iter()
            .map(|l| match l {
                DiffLine::Same(s) => format!(" {s}"),
                DiffLine::Added(s) => format!("+{s}"),
                DiffLine::Removed(s) => format!("-{s}"),
                DiffLine::Skipped(n) => format!("@{n}"),
            })
            .collect();
        let expected = [
            "@10",
            "     log.retention.hours: \"168\"",
            "     min.insync.replicas: \"2\"",
            "     num.partitions: \"6\"",
            "-  image: registry.invalid/osctest/kafka:3.7.1",
            "+  image: registry.invalid/osctest/kafka:3.7.0",
            "   replicas: 3",
            "   resources:",
            "     limits:",
            "@4",
            "       memory: 2Gi",
            "   storage:",
            "     size: 20Gi",
            "-  version: \"3.7.1\"",
            "+  version: \"3.7.0\"",
            "   zookeeperRef:",
            "     name: zookeeper",
        ];
        assert_eq!(text, expected, "{}", text.join("\n"));
        assert_eq!(
            diff_summary(&before, &after),
            "+2 -2 lines: spec.image, spec.version"
        );
        // Bookkeeping alone is no change.
        let mut touched = before.clone();
        touched["metadata"]["resourceVersion"] = json!("4712");
        touched["status"]["phase"] = json!("Upgrading");
        assert_eq!(diff(&before, &touched), []);
        assert_eq!(diff_summary(&before, &touched), "no changes");
        assert!(changed_paths(&before, &touched).is_empty());
    }

    #[test]
    fn changed_paths_name_leaves() {
        let before = json!({"spec": {"a": 1, "list": [1, 2], "m": {"x.y": "1", "keep": true}}});
        let after = json!({"spec": {"a": 2, "list": [1, 3, 4], "m": {"x.y": "2", "keep": true}, "new": {"b": 1}}});
        assert_eq!(
            changed_paths(&before, &after),
            [
                "spec.a",
                "spec.list[1]",
                "spec.list[2]",
                "spec.m[x.y]",
                "spec.new.b",
            ]
        );
        let many = json!({"spec": {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 1}});
        let summary = diff_summary(&json!({"spec": {}}), &many);
        assert_eq!(
            summary,
            "+7 -1 lines: spec.a, spec.b, spec.c, spec.d, spec.e, ..."
        );
    }
}
