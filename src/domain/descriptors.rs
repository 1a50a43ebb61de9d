//! x-descriptor URNs (how a field is shown and edited), descriptor paths, and
//! masking of password fields.

use serde_json::Value;

use super::csd::Descriptor;
use super::path::{FieldPath, PathError};

const TECTONIC: &str = "urn:alm:descriptor:com.tectonic.ui:";

/// What is shown instead of a password that is not revealed. Its length is
/// fixed so that the mask says nothing about the password's length.
pub const MASK: &str = "••••••••";

/// A widget hint. One URN parses to one value; [`XDescriptor::resolve`]
/// combines the URNs of a descriptor into the widget used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XDescriptor {
    /// A replica stepper.
    PodCount,
    /// CPU and memory requests and limits.
    ResourceRequirements,
    /// A masked value.
    Password,
    /// A choice list with these options, in order.
    Select(Vec<String>),
    /// Left out of forms and details.
    Hidden,
    /// A picker of the namespace's Secrets.
    Secret,
    /// A picker of the namespace's ConfigMaps.
    ConfigMap,
    /// Plain text.
    Text,
    /// A URL shown as a link.
    Link,
    /// A table of conditions.
    Conditions,
    /// A URN the console does not know; ignored.
    Unknown(String),
}

impl XDescriptor {
    /// Parses one URN.
    pub fn parse(urn: &str) -> Self {
        if let Some(rest) = urn.strip_prefix(TECTONIC) {
            match rest {
                "podCount" => return Self::PodCount,
                "resourceRequirements" => return Self::ResourceRequirements,
                "password" => return Self::Password,
                "hidden" => return Self::Hidden,
                _ => {
                    if let Some(option) = rest.strip_prefix("select:")
                        && !option.is_empty()
                    {
                        return Self::Select(vec![option.to_owned()]);
                    }
                }
            }
        }
        match urn {
            "urn:alm:descriptor:io.kubernetes:Secret" => Self::Secret,
            "urn:alm:descriptor:io.kubernetes:ConfigMap" => Self::ConfigMap,
            "urn:alm:descriptor:text" => Self::Text,
            "urn:alm:descriptor:com.huawei.ui:link" => Self::Link,
            "urn:alm:descriptor:io.kubernetes.conditions" => Self::Conditions,
            other => Self::Unknown(other.to_owned()),
        }
    }

    /// The widget for a descriptor's URNs (docs/csd.md section 4): `hidden`
    /// wins, then `password`; `select` options are collected together;
    /// otherwise the first recognised URN. `None`: no recognised URN, so the
    /// field is shown according to its schema type.
    pub fn resolve<S: AsRef<str>>(urns: &[S]) -> Option<Self> {
        let parsed: Vec<Self> = urns.iter().map(|u| Self::parse(u.as_ref())).collect();
        if parsed.contains(&Self::Hidden) {
            return Some(Self::Hidden);
        }
        if parsed.contains(&Self::Password) {
            return Some(Self::Password);
        }
        let options: Vec<String> = parsed
            .iter()
            .filter_map(|x| match x {
                Self::Select(options) => Some(options.clone()),
                _ => None,
            })
            .flatten()
            .collect();
        if !options.is_empty() {
            return Some(Self::Select(options));
        }
        parsed.into_iter().find(|x| !matches!(x, Self::Unknown(_)))
    }
}

/// What a descriptor path is relative to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// `specDescriptors`: below `spec` of a CR.
    Spec,
    /// `statusDescriptors`: below `status` of a CR.
    Status,
    /// The root of the value given (the values of a Helm release).
    Root,
}

/// The value a descriptor points at in a whole object (CR, or Helm values
/// for [`Base::Root`]). `Ok(None)`: the field is not set.
pub fn resolve_path<'a>(
    object: &'a Value,
    base: Base,
    path: &str,
) -> Result<Option<&'a Value>, PathError> {
    let relative = FieldPath::parse(path)?;
    let full = match base {
        Base::Spec => FieldPath::under("spec", &relative),
        Base::Status => FieldPath::under("status", &relative),
        Base::Root => relative,
    };
    Ok(full.get(object))
}

/// A copy of `spec` (a CR's `spec`, or Helm values) with the value of every
/// password descriptor replaced by [`MASK`], unless `reveal` is set. Fields
/// that are absent, null or empty stay as they are, so that "not set" remains
/// visible.
pub fn mask_passwords(spec: &Value, spec_descriptors: &[Descriptor], reveal: bool) -> Value {
    let mut copy = spec.clone();
    if reveal {
        return copy;
    }
    for descriptor in spec_descriptors {
        if descriptor.widget() != Some(XDescriptor::Password) {
            continue;
        }
        let Ok(path) = FieldPath::parse(&descriptor.path) else {
            continue;
        };
        if let Some(slot) = path.get_mut(&mut copy)
            && !slot.is_null()
            && slot.as_str() != Some("")
        {
            *slot = Value::String(MASK.to_owned());
        }
    }
    copy
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn descriptor(path: &str, urns: &[&str]) -> Descriptor {
        Descriptor {
            display_name: None,
            description: None,
            path: path.to_owned(),
            x_descriptors: urns.iter().map(|u| (*u).to_owned()).collect(),
        }
    }

    #[test]
    fn parses_every_known_urn() {
        let cases = [
            (
                "urn:alm:descriptor:com.tectonic.ui:podCount",
                XDescriptor::PodCount,
            ),
            (
                "urn:alm:descriptor:com.tectonic.ui:resourceRequirements",
                XDescriptor::ResourceRequirements,
            ),
            (
                "urn:alm:descriptor:com.tectonic.ui:password",
                XDescriptor::Password,
            ),
            (
                "urn:alm:descriptor:com.tectonic.ui:select:gzip",
                XDescriptor::Select(vec!["gzip".into()]),
            ),
            (
                "urn:alm:descriptor:com.tectonic.ui:hidden",
                XDescriptor::Hidden,
            ),
            (
                "urn:alm:descriptor:io.kubernetes:Secret",
                XDescriptor::Secret,
            ),
            (
                "urn:alm:descriptor:io.kubernetes:ConfigMap",
                XDescriptor::ConfigMap,
            ),
            ("urn:alm:descriptor:text", XDescriptor::Text),
            ("urn:alm:descriptor:com.huawei.ui:link", XDescriptor::Link),
            (
                "urn:alm:descriptor:io.kubernetes.conditions",
                XDescriptor::Conditions,
            ),
        ];
        for (urn, expected) in cases {
            assert_eq!(XDescriptor::parse(urn), expected, "{urn}");
        }
        for unknown in [
            "urn:alm:descriptor:com.tectonic.ui:select:",
            "urn:x",
            "",
            "podCount",
        ] {
            assert_eq!(
                XDescriptor::parse(unknown),
                XDescriptor::Unknown(unknown.into())
            );
        }
    }

    #[test]
    fn precedence() {
        let sel = |o: &str| format!("urn:alm:descriptor:com.tectonic.ui:select:{o}");
        let text = "urn:alm:descriptor:text";
        let password = "urn:alm:descriptor:com.tectonic.ui:password";
        let hidden = "urn:alm:descriptor:com.tectonic.ui:hidden";
        assert_eq!(
            XDescriptor::resolve(&[text, password, hidden]),
            Some(XDescriptor::Hidden)
        );
        assert_eq!(
            XDescriptor::resolve(&[text, password]),
            Some(XDescriptor::Password)
        );
        assert_eq!(
            XDescriptor::resolve(&[text.to_owned(), sel("a"), sel("b")]),
            Some(XDescriptor::Select(vec!["a".into(), "b".into()]))
        );
        assert_eq!(
            XDescriptor::resolve(&["urn:x", "urn:alm:descriptor:io.kubernetes:Secret", text]),
            Some(XDescriptor::Secret)
        );
        assert_eq!(XDescriptor::resolve(&["urn:x"]), None);
        assert_eq!(XDescriptor::resolve::<&str>(&[]), None);
    }

    #[test]
    fn paths_are_relative_to_spec_or_status() {
        let cr = json!({"spec": {"storage": {"size": "10Gi"}, "listeners": [{"port": 9092}]},
                        "status": {"phase": "Running"}});
        assert_eq!(
            resolve_path(&cr, Base::Spec, "storage.size"),
            Ok(Some(&json!("10Gi")))
        );
        assert_eq!(
            resolve_path(&cr, Base::Spec, "listeners[0].port"),
            Ok(Some(&json!(9092)))
        );
        assert_eq!(
            resolve_path(&cr, Base::Status, "phase"),
            Ok(Some(&json!("Running")))
        );
        assert_eq!(resolve_path(&cr, Base::Status, "missing"), Ok(None));
        assert_eq!(
            resolve_path(&cr, Base::Root, "spec.storage.size"),
            Ok(Some(&json!("10Gi")))
        );
        assert!(resolve_path(&cr, Base::Spec, "a..b").is_err());
    }

    #[test]
    fn masks_passwords_unless_revealed() {
        let spec = json!({"adminPassword": "hunter2", "auth": {"password": "p"}, "empty": null, "replicas": 3, "blank": ""});
        let descriptors = [
            descriptor(
                "adminPassword",
                &["urn:alm:descriptor:com.tectonic.ui:password"],
            ),
            descriptor(
                "auth.password",
                &[
                    "urn:alm:descriptor:text",
                    "urn:alm:descriptor:com.tectonic.ui:password",
                ],
            ),
            descriptor("empty", &["urn:alm:descriptor:com.tectonic.ui:password"]),
            descriptor(
                "missing.x",
                &["urn:alm:descriptor:com.tectonic.ui:password"],
            ),
            descriptor("replicas", &["urn:alm:descriptor:com.tectonic.ui:podCount"]),
            descriptor("blank", &["urn:alm:descriptor:com.tectonic.ui:password"]),
        ];
        let masked = mask_passwords(&spec, &descriptors, false);
        assert_eq!(masked["adminPassword"], json!(MASK));
        assert_eq!(masked["auth"]["password"], json!(MASK));
        assert_eq!(masked["empty"], Value::Null);
        assert_eq!(masked["replicas"], json!(3));
        assert_eq!(masked["blank"], json!(""));
        assert!(masked.get("missing").is_none());
        assert_eq!(mask_passwords(&spec, &descriptors, true), spec);
    }
}
