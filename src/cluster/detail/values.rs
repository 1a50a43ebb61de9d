//! Helm values: masking by key name and Helm's merge of chart defaults with
//! the user's values.

use serde_json::Value;

use crate::domain::csd::Descriptor;
use crate::domain::descriptors::{MASK, mask_passwords};

/// Words that make a key's value secret: a chart has no descriptors to say
/// which values are passwords, so the key name is the only hint.
const SECRET_WORDS: [&str; 4] = ["password", "secret", "token", "key"];

/// Whether a values key names something secret.
pub(crate) fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    SECRET_WORDS.iter().any(|word| key.contains(word))
}

/// A copy of `values` where everything below a secret-looking key is
/// replaced by the mask. Null and empty values stay, so "not set" shows.
pub(crate) fn mask_secret_keys(values: &Value) -> Value {
    match values {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| {
                    let value = if is_secret_key(key) {
                        mask_all(value)
                    } else {
                        mask_secret_keys(value)
                    };
                    (key.clone(), value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_secret_keys).collect()),
        other => other.clone(),
    }
}

/// Values with secret-looking keys masked, and the password descriptors
/// of the chart's CSD (paths from the values' root) when it has one.
pub(crate) fn mask_values(values: &Value, descriptors: &[Descriptor]) -> Value {
    mask_passwords(&mask_secret_keys(values), descriptors, false)
}

fn mask_all(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::String(s) if s.is_empty() => value.clone(),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(key, value)| (key.clone(), mask_all(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(mask_all).collect()),
        _ => Value::String(MASK.to_owned()),
    }
}

/// Helm's computed values: the chart's defaults with the user's values
/// merged in, maps recursively; a user `null` deletes the default.
pub(crate) fn deep_merge(defaults: &Value, user: &Value) -> Value {
    match (defaults, user) {
        (Value::Object(base), Value::Object(over)) => {
            let mut merged = base.clone();
            for (key, value) in over {
                if value.is_null() {
                    merged.remove(key);
                } else if let Some(existing) = base.get(key) {
                    merged.insert(key.clone(), deep_merge(existing, value));
                } else {
                    merged.insert(key.clone(), value.clone());
                }
            }
            Value::Object(merged)
        }
        // No user values at all: the defaults.
        (_, Value::Null) => defaults.clone(),
        (_, other) => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn masks_by_key_name() {
        let values = json!({
            "auth": {"password": "s3cret", "username": "admin", "existingSecret": ""},
            "apiToken": 1234,
            "tls": {"privateKey": {"pem": "x", "n": null}},
            "replicaCount": 2,
            "items": [{"sshKey": "abc", "name": "n"}]
        });
        let masked = mask_secret_keys(&values);
        assert_eq!(masked["auth"]["password"], json!(MASK));
        assert_eq!(masked["auth"]["username"], json!("admin"));
        assert_eq!(masked["auth"]["existingSecret"], json!(""));
        assert_eq!(masked["apiToken"], json!(MASK));
        assert_eq!(masked["tls"]["privateKey"]["pem"], json!(MASK));
        assert_eq!(masked["tls"]["privateKey"]["n"], json!(null));
        assert_eq!(masked["replicaCount"], json!(2));
        assert_eq!(masked["items"][0]["sshKey"], json!(MASK));
        assert_eq!(masked["items"][0]["name"], json!("n"));
        assert!(is_secret_key("PASSWORD") && is_secret_key("clientSecret"));
        assert!(!is_secret_key("replicas"));
    }

    #[test]
    fn descriptors_mask_too() {
        let descriptor = Descriptor {
            display_name: None,
            description: None,
            path: "auth.pin".to_owned(),
            x_descriptors: vec!["urn:alm:descriptor:com.tectonic.ui:password".to_owned()],
        };
        let values = json!({"auth": {"pin": "1234", "user": "u", "password": "p"}});
        let masked = mask_values(&values, &[descriptor]);
        assert_eq!(
            masked,
            json!({"auth": {"pin": MASK, "user": "u", "password": MASK}})
        );
    }

    #[test]
    fn merges_like_helm() {
        let defaults = json!({
            "replicaCount": 1,
            "image": {"repository": "memcached", "tag": "1.6"},
            "resources": {"limits": {"cpu": "1"}},
            "extra": "x",
            "list": [1, 2]
        });
        let user = json!({
            "replicaCount": 3,
            "image": {"tag": "1.7"},
            "resources": null,
            "list": [9],
            "new": true
        });
        assert_eq!(
            deep_merge(&defaults, &user),
            json!({
                "replicaCount": 3,
                "image": {"repository": "memcached", "tag": "1.7"},
                "extra": "x",
                "list": [9],
                "new": true
            })
        );
        assert_eq!(deep_merge(&defaults, &Value::Null), defaults);
    }
}
