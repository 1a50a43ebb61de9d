//! Versions and image references.
//!
//! The CSD's `versionDefinition` says the image at `spec.image` counts: its
//! tag is the version that runs (docs/csd.md, section 5). `spec.version` is
//! used only when `spec.image` is empty, to build the default image.

/// Repository of the Kafka broker images used when `spec.image` is empty.
pub const KAFKA_REPOSITORY: &str = "registry.invalid/osctest/kafka";
/// Repository of the ZooKeeper images used when `spec.image` is empty.
pub const ZOOKEEPER_REPOSITORY: &str = "registry.invalid/osctest/zookeeper";

/// The tag of an image reference: the text after the last `:` that follows
/// the last `/`, ignoring a digest (`@sha256:...`). `None` if there is none.
pub fn image_tag(image: &str) -> Option<&str> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let name_start = without_digest.rfind('/').map_or(0, |i| i + 1);
    let last_segment = &without_digest[name_start..];
    let colon = last_segment.rfind(':')?;
    let tag = &last_segment[colon + 1..];
    (!tag.is_empty()).then_some(tag)
}

/// What runs: the image reference and the version it stands for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Release {
    /// The image reference put into the pod template.
    pub image: String,
    /// The version: the image's tag, else `spec.version`.
    pub version: String,
}

/// The release of a resource with `spec.image` and `spec.version`: the image
/// if set (its tag is the version; an image without a tag falls back to
/// `spec.version` as the version), else `<repository>:<spec.version>`.
pub fn release(image: Option<&str>, version: &str, repository: &str) -> Release {
    let version = version.trim();
    match image.map(str::trim).filter(|i| !i.is_empty()) {
        Some(image) => Release {
            image: image.to_owned(),
            version: image_tag(image).unwrap_or(version).to_owned(),
        },
        None => Release {
            image: format!("{repository}:{version}"),
            version: version.to_owned(),
        },
    }
}

/// A version made safe as a label value: at most 63 characters of
/// `[A-Za-z0-9._-]`, starting and ending with an alphanumeric character
/// (others are replaced by `_` or trimmed). Empty if nothing is left.
pub fn label_value(version: &str) -> String {
    let mapped: String = version
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(63)
        .collect();
    mapped
        .trim_matches(|c: char| !c.is_ascii_alphanumeric())
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_is_the_text_after_the_last_colon_of_the_last_segment() {
        assert_eq!(
            image_tag("registry.invalid/osctest/kafka:3.7.1"),
            Some("3.7.1")
        );
        assert_eq!(image_tag("kafka:3.6.1"), Some("3.6.1"));
        // A registry port is not a tag.
        assert_eq!(image_tag("registry.invalid:5000/osctest/kafka"), None);
        assert_eq!(
            image_tag("registry.invalid:5000/osctest/kafka:3.5.2"),
            Some("3.5.2")
        );
        assert_eq!(image_tag("kafka"), None);
        assert_eq!(image_tag("kafka:"), None);
        assert_eq!(
            image_tag("registry.invalid/kafka:3.7.0@sha256:0123abcd"),
            Some("3.7.0")
        );
        assert_eq!(image_tag("registry.invalid/kafka@sha256:0123abcd"), None);
    }

    #[test]
    fn image_tag_wins_over_spec_version() {
        assert_eq!(
            release(
                Some("registry.invalid/osctest/kafka:3.6.1"),
                "3.7.1",
                KAFKA_REPOSITORY
            ),
            Release {
                image: "registry.invalid/osctest/kafka:3.6.1".into(),
                version: "3.6.1".into()
            }
        );
    }

    #[test]
    fn empty_image_is_built_from_spec_version() {
        for image in [None, Some(""), Some("  ")] {
            assert_eq!(
                release(image, "3.7.1", KAFKA_REPOSITORY),
                Release {
                    image: "registry.invalid/osctest/kafka:3.7.1".into(),
                    version: "3.7.1".into()
                },
                "image {image:?}"
            );
        }
    }

    #[test]
    fn image_without_tag_falls_back_to_spec_version() {
        assert_eq!(
            release(
                Some("registry.invalid/kafka@sha256:00ff"),
                "3.5.2",
                KAFKA_REPOSITORY
            ),
            Release {
                image: "registry.invalid/kafka@sha256:00ff".into(),
                version: "3.5.2".into()
            }
        );
    }

    #[test]
    fn label_values_are_valid() {
        assert_eq!(label_value("3.7.1"), "3.7.1");
        assert_eq!(label_value("3.7.1+build/5"), "3.7.1_build_5");
        assert_eq!(label_value("-x-"), "x");
        assert_eq!(label_value(&"9".repeat(100)).len(), 63);
        assert_eq!(label_value("+"), "");
    }
}
