//! Versions of instances and upgrades (`versionDefinition`): reading the
//! current version from the image reference, writing a new one, and
//! comparing versions to tell an upgrade from a downgrade.

use std::cmp::Ordering;

use serde_json::Value;

use super::csd::{VersionDefinition, VersionMode};
use super::path::{FieldPath, PathError};

/// Why a version cannot be read or written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VersionError {
    #[error("versionDefinition has no path")]
    NoPath,
    #[error("versionDefinition.path: {0}")]
    BadPath(#[from] PathError),
    #[error("the instance has no value at {0}")]
    Missing(String),
    #[error("the value at {0} is not a string")]
    NotAString(String),
    #[error("the image reference {0:?} has no tag")]
    NoTag(String),
    #[error("the image reference {0:?} is pinned by digest; only url mode can change it")]
    Digest(String),
    #[error("{0:?} is not a valid image tag")]
    InvalidTag(String),
    #[error("the image reference {0:?} is empty or malformed")]
    BadReference(String),
}

/// Whether a move from one version to another is an upgrade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Upgrade,
    Downgrade,
    Same,
}

/// An image tag: `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`, as the OCI distribution spec says.
pub fn is_valid_tag(tag: &str) -> bool {
    let bytes = tag.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 128
        && (bytes[0].is_ascii_alphanumeric() || bytes[0] == b'_')
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// The parts of an image reference `[registry[:port]/]repository[:tag][@digest]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef<'a> {
    /// Everything before the tag: registry, port and repository.
    pub name: &'a str,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

impl<'a> ImageRef<'a> {
    /// Splits a reference. The tag is the text after the last `:` that
    /// follows the last `/`, so a registry port is never taken for a tag.
    pub fn parse(reference: &'a str) -> Option<Self> {
        if reference.is_empty()
            || reference
                .chars()
                .any(|c| c.is_whitespace() || c.is_control())
        {
            return None;
        }
        let (rest, digest) = match reference.split_once('@') {
            Some((rest, digest)) => (rest, Some(digest)),
            None => (reference, None),
        };
        let slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[slash..].rfind(':') {
            Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..])),
            None => (rest, None),
        };
        if name.is_empty() || name.ends_with('/') || tag == Some("") || digest == Some("") {
            return None;
        }
        Some(Self { name, tag, digest })
    }
}

fn version_path(def: &VersionDefinition) -> Result<FieldPath, VersionError> {
    let path = def.path.as_deref().ok_or(VersionError::NoPath)?;
    Ok(FieldPath::parse(path)?)
}

/// The image reference at `versionDefinition.path` of an instance (a whole CR).
pub fn current_reference<'a>(
    def: &VersionDefinition,
    instance: &'a Value,
) -> Result<&'a str, VersionError> {
    let path = version_path(def)?;
    let value = path
        .get(instance)
        .filter(|v| !v.is_null())
        .ok_or_else(|| VersionError::Missing(path.to_string()))?;
    value
        .as_str()
        .ok_or_else(|| VersionError::NotAString(path.to_string()))
}

/// The instance's current version: the tag in `tag` mode, the whole
/// reference in `url` mode.
pub fn current_version(def: &VersionDefinition, instance: &Value) -> Result<String, VersionError> {
    let reference = current_reference(def, instance)?;
    match def.mode {
        VersionMode::Url => Ok(reference.to_owned()),
        VersionMode::Tag => {
            let parsed = ImageRef::parse(reference)
                .ok_or_else(|| VersionError::BadReference(reference.to_owned()))?;
            match parsed.tag {
                Some(tag) => Ok(tag.to_owned()),
                None if parsed.digest.is_some() => Err(VersionError::Digest(reference.to_owned())),
                None => Err(VersionError::NoTag(reference.to_owned())),
            }
        }
    }
}

/// `reference` with its tag replaced by `tag` (or added when it has none).
/// A reference pinned by digest is refused: replacing the tag would leave the
/// digest in charge, and dropping the digest would silently unpin it.
pub fn replace_tag(reference: &str, tag: &str) -> Result<String, VersionError> {
    if !is_valid_tag(tag) {
        return Err(VersionError::InvalidTag(tag.to_owned()));
    }
    let parsed = ImageRef::parse(reference)
        .ok_or_else(|| VersionError::BadReference(reference.to_owned()))?;
    if parsed.digest.is_some() {
        return Err(VersionError::Digest(reference.to_owned()));
    }
    Ok(format!("{}:{tag}", parsed.name))
}

/// The new value for `versionDefinition.path` when moving to `target`.
pub fn new_reference(
    def: &VersionDefinition,
    current: &str,
    target: &str,
) -> Result<String, VersionError> {
    match def.mode {
        VersionMode::Tag => replace_tag(current, target),
        VersionMode::Url => {
            if ImageRef::parse(target).is_none() {
                return Err(VersionError::BadReference(target.to_owned()));
            }
            Ok(target.to_owned())
        }
    }
}

/// A copy of the instance moved to `target`; only `versionDefinition.path` changes.
pub fn apply_version(
    def: &VersionDefinition,
    instance: &Value,
    target: &str,
) -> Result<Value, VersionError> {
    let current = current_reference(def, instance)?;
    let new = new_reference(def, current, target)?;
    let path = version_path(def)?;
    let mut copy = instance.clone();
    match path.get_mut(&mut copy) {
        Some(slot) => *slot = Value::String(new),
        None => return Err(VersionError::Missing(path.to_string())),
    }
    Ok(copy)
}

/// The versions the upgrade dialog offers: the tags other than the current one.
pub fn allowed_targets<'a>(def: &'a VersionDefinition, current: &str) -> Vec<&'a str> {
    def.tags
        .iter()
        .map(String::as_str)
        .filter(|t| *t != current)
        .collect()
}

/// The current version is not covered by the upgrade contract, so no upgrade is offered.
pub fn is_outside_tags(def: &VersionDefinition, current: &str) -> bool {
    !def.tags.iter().any(|t| t == current)
}

/// The version shown for a value of `tags` or a current version: in `url`
/// mode, the tag of the reference (or the reference if it has none).
pub fn display_version(mode: VersionMode, version: &str) -> &str {
    match mode {
        VersionMode::Tag => version,
        VersionMode::Url => ImageRef::parse(version)
            .and_then(|r| r.tag)
            .unwrap_or(version),
    }
}

/// Whether moving from `current` to `target` is an upgrade, by [`compare_versions`].
pub fn classify(mode: VersionMode, current: &str, target: &str) -> Direction {
    match compare_versions(
        display_version(mode, current),
        display_version(mode, target),
    ) {
        Ordering::Less => Direction::Upgrade,
        Ordering::Greater => Direction::Downgrade,
        Ordering::Equal => Direction::Same,
    }
}

/// A tolerant semantic-version comparison: a leading `v` is ignored, missing
/// numeric parts count as 0 (`v1.2` = `1.2.0`), numbers compare as numbers,
/// and a suffix after `-` (`7.4.1-alpine`, `1.0.0-rc.1`) sorts before the bare
/// version, as semver pre-releases do. Build metadata after `+` is ignored.
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (a_core, a_pre) = split_version(a);
    let (b_core, b_pre) = split_version(b);
    let len = a_core.len().max(b_core.len());
    for i in 0..len {
        let x = a_core.get(i).copied().unwrap_or("0");
        let y = b_core.get(i).copied().unwrap_or("0");
        let ord = compare_identifier(x, y);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    match (a_pre, b_pre) {
        (None, None) => Ordering::Equal,
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (Some(x), Some(y)) => {
            let xs: Vec<&str> = x.split('.').collect();
            let ys: Vec<&str> = y.split('.').collect();
            for (p, q) in xs.iter().zip(&ys) {
                let ord = compare_identifier(p, q);
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            xs.len().cmp(&ys.len())
        }
    }
}

fn split_version(v: &str) -> (Vec<&str>, Option<&str>) {
    let v = v.strip_prefix(['v', 'V']).unwrap_or(v);
    let v = v.split_once('+').map_or(v, |(core, _build)| core);
    let (core, pre) = match v.split_once('-') {
        Some((core, pre)) => (core, Some(pre)),
        None => (v, None),
    };
    (core.split('.').collect(), pre)
}

/// Numeric identifiers compare numerically (without overflow: by length,
/// then digits) and sort before alphanumeric ones, which compare as text.
fn compare_identifier(a: &str, b: &str) -> Ordering {
    let numeric = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    match (numeric(a), numeric(b)) {
        (true, true) => {
            let a = a.trim_start_matches('0');
            let b = b.trim_start_matches('0');
            a.len().cmp(&b.len()).then_with(|| a.cmp(b))
        }
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        (false, false) => a.cmp(b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn def(mode: VersionMode, tags: &[&str]) -> VersionDefinition {
        VersionDefinition {
            description: None,
            mode,
            path: Some("spec.image".into()),
            tags: tags.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn image_references() {
        let r = ImageRef::parse("registry.invalid:5000/osctest/kafka:3.6.1").unwrap();
        assert_eq!(
            (r.name, r.tag, r.digest),
            ("registry.invalid:5000/osctest/kafka", Some("3.6.1"), None)
        );
        let r = ImageRef::parse("localhost:5000/kafka").unwrap();
        assert_eq!((r.name, r.tag), ("localhost:5000/kafka", None));
        let r = ImageRef::parse("kafka@sha256:abc").unwrap();
        assert_eq!(
            (r.name, r.tag, r.digest),
            ("kafka", None, Some("sha256:abc"))
        );
        let r = ImageRef::parse("reg:1/k:1.0@sha256:abc").unwrap();
        assert_eq!((r.tag, r.digest), (Some("1.0"), Some("sha256:abc")));
        for bad in ["", "k:", "a b", "reg/", "k@"] {
            assert!(ImageRef::parse(bad).is_none(), "{bad:?}");
        }
    }

    #[test]
    fn current_version_by_mode() {
        let cr = json!({"spec": {"image": "registry.invalid/osctest/kafka:3.6.1"}});
        assert_eq!(
            current_version(&def(VersionMode::Tag, &[]), &cr),
            Ok("3.6.1".into())
        );
        assert_eq!(
            current_version(&def(VersionMode::Url, &[]), &cr),
            Ok("registry.invalid/osctest/kafka:3.6.1".into())
        );
        let tagless = json!({"spec": {"image": "localhost:5000/kafka"}});
        assert!(matches!(
            current_version(&def(VersionMode::Tag, &[]), &tagless),
            Err(VersionError::NoTag(_))
        ));
        let pinned = json!({"spec": {"image": "kafka@sha256:abc"}});
        assert!(matches!(
            current_version(&def(VersionMode::Tag, &[]), &pinned),
            Err(VersionError::Digest(_))
        ));
        assert!(matches!(
            current_version(&def(VersionMode::Tag, &[]), &json!({})),
            Err(VersionError::Missing(_))
        ));
        let number = json!({"spec": {"image": 3}});
        assert!(matches!(
            current_version(&def(VersionMode::Tag, &[]), &number),
            Err(VersionError::NotAString(_))
        ));
        let mut no_path = def(VersionMode::Tag, &[]);
        no_path.path = None;
        assert_eq!(current_version(&no_path, &cr), Err(VersionError::NoPath));
    }

    #[test]
    fn applying_versions() {
        let d = def(VersionMode::Tag, &["3.6.1", "3.7.1"]);
        let cr =
            json!({"spec": {"image": "registry.invalid:5000/osctest/kafka:3.6.1", "replicas": 3}});
        let moved = apply_version(&d, &cr, "3.7.1").unwrap();
        assert_eq!(
            moved["spec"]["image"],
            json!("registry.invalid:5000/osctest/kafka:3.7.1")
        );
        assert_eq!(moved["spec"]["replicas"], json!(3));
        assert_eq!(
            replace_tag("localhost:5000/kafka", "1.0"),
            Ok("localhost:5000/kafka:1.0".into())
        );
        assert!(matches!(
            replace_tag("k:1@sha256:abc", "2"),
            Err(VersionError::Digest(_))
        ));
        assert!(matches!(
            replace_tag("k:1", "bad tag"),
            Err(VersionError::InvalidTag(_))
        ));

        let u = def(VersionMode::Url, &[]);
        let next = "registry.invalid/osctest/kafka-next@sha256:0123";
        assert_eq!(
            apply_version(&u, &cr, next).unwrap()["spec"]["image"],
            json!(next)
        );
        assert!(apply_version(&u, &cr, "").is_err());
    }

    #[test]
    fn targets_and_contract() {
        let d = def(VersionMode::Tag, &["3.5.2", "3.6.1", "3.7.1"]);
        assert_eq!(allowed_targets(&d, "3.6.1"), ["3.5.2", "3.7.1"]);
        assert!(!is_outside_tags(&d, "3.6.1"));
        assert!(is_outside_tags(&d, "3.4.0"));
    }

    #[test]
    fn comparison_is_tolerant() {
        assert_eq!(compare_versions("3.7.0", "3.10.0"), Ordering::Less);
        assert_eq!(compare_versions("v1.2", "1.2.0"), Ordering::Equal);
        assert_eq!(compare_versions("7.4.1-alpine", "7.4.1"), Ordering::Less);
        assert_eq!(compare_versions("7.4.1-alpine", "7.2.5"), Ordering::Greater);
        assert_eq!(
            compare_versions("1.0.0-rc.2", "1.0.0-rc.10"),
            Ordering::Less
        );
        assert_eq!(compare_versions("1.0.0+build5", "1.0.0"), Ordering::Equal);
        assert_eq!(
            compare_versions("99999999999999999999999", "1"),
            Ordering::Greater
        );
        assert_eq!(compare_versions("latest", "1.0"), Ordering::Greater);
        assert_eq!(
            classify(VersionMode::Tag, "3.6.1", "3.7.1"),
            Direction::Upgrade
        );
        assert_eq!(
            classify(VersionMode::Tag, "3.6.1", "3.5.2"),
            Direction::Downgrade
        );
        assert_eq!(
            classify(VersionMode::Tag, "v3.6.1", "3.6.1"),
            Direction::Same
        );
        assert_eq!(
            classify(VersionMode::Url, "r/kafka:3.7.1", "r/kafka-next:4.0.0"),
            Direction::Upgrade
        );
    }

    #[test]
    fn tags() {
        assert!(is_valid_tag("3.7.1"));
        assert!(is_valid_tag("_x-Y.1"));
        assert!(!is_valid_tag(""));
        assert!(!is_valid_tag(".x"));
        assert!(!is_valid_tag("a:b"));
        assert!(!is_valid_tag(&"a".repeat(129)));
    }
}
