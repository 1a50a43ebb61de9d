//! The OSC domain model: pure types, parsing and checks over plain data.
//!
//! Nothing here talks to a cluster, draws, or does I/O, so that every rule the
//! console applies to CSDs, versions, descriptors and Helm releases can be
//! tested without a cluster.

pub mod csd;
pub mod descriptors;
pub mod form;
pub mod health;
pub mod helm;
pub mod logconfig;
pub mod monitor;
pub mod ops;
pub mod path;
pub mod prometheus;
pub mod quantity;
pub mod schema;
pub mod selector;
pub mod text;
pub mod validate;
pub mod version;

mod lenient;

use serde_json::Value;

/// A defect found while reading an object leniently: the console shows it on
/// the object instead of refusing the whole object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted location of the field, from the object's root (`spec.role`).
    pub field: String,
    /// What is wrong, in words a user understands.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.field, self.message)
    }
}

/// A YAML stream that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("invalid YAML: {0}")]
pub struct YamlError(String);

/// Reads every document of a YAML stream (YAML 1.2: only `true`/`false` are
/// booleans) as JSON values, the form the API server returns objects in.
/// Empty documents are dropped.
pub fn yaml_documents(text: &str) -> Result<Vec<Value>, YamlError> {
    let mut options = serde_saphyr::options! { strict_booleans: true };
    // An alias bomb ("billion laughs") in a config, keymap or theme file or
    // a Helm manifest is refused in milliseconds; the default limits took
    // seconds to trip (found by crates/fuzz). Real files use few aliases.
    options.alias_limits.max_total_replayed_events = 20_000;
    options.alias_limits.max_replay_stack_depth = 16;
    options.alias_limits.max_alias_expansions_per_anchor = 100;
    let docs: Vec<Value> = serde_saphyr::from_multiple_with_options(text, options)
        .map_err(|err| YamlError(err.to_string()))?;
    Ok(docs.into_iter().filter(|doc| !doc.is_null()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_is_strict_1_2_and_multi_document() {
        let docs = yaml_documents("a: yes\nb: true\n---\nc: 3.10\n---\n").unwrap_or_default();
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0]["a"], Value::from("yes"));
        assert_eq!(docs[0]["b"], Value::from(true));
        assert!(docs[1]["c"].is_number());
    }

    #[test]
    fn broken_yaml_is_an_error() {
        assert!(yaml_documents("a: [1, 2\n").is_err());
    }

    #[test]
    fn an_alias_bomb_is_refused_quickly() {
        let mut bomb = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for i in 1..10 {
            let row = vec![format!("*a{}", i - 1); 9].join(", ");
            bomb.push_str(&format!("a{i}: &a{i} [{row}]\n"));
        }
        let started = std::time::Instant::now();
        assert!(yaml_documents(&bomb).is_err());
        // Over a second before the alias limits (and in release builds).
        assert!(started.elapsed() < std::time::Duration::from_millis(500));
        // A few aliases still read.
        let docs = yaml_documents("base: &b {x: 1}\nother: *b\n").unwrap_or_default();
        assert_eq!(docs[0]["other"]["x"], Value::from(1));
    }
}

/// Every example manifest of the repository read through the domain model,
/// so that a change to the examples or to the parsers that breaks the other
/// shows up here.
#[cfg(test)]
mod example_tests {
    use std::path::{Path, PathBuf};

    use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
    use serde_json::Value;

    use super::csd::CustomServiceDefinition;
    use super::descriptors::{Base, mask_passwords, resolve_path};
    use super::logconfig::LogConfig;
    use super::monitor::MonitorConfig;
    use super::version::{current_version, is_outside_tags};
    use super::yaml_documents;

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            // Helm templates are Go templates, not YAML.
            if path.is_dir() && !path.ends_with("templates") && !path.ends_with("target") {
                yaml_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                out.push(path);
            }
        }
    }

    fn all_documents() -> Vec<(PathBuf, Value)> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        yaml_files(&root.join("examples"), &mut files);
        yaml_files(&root.join("deploy"), &mut files);
        files.sort();
        assert!(files.len() >= 25, "found only {files:?}");
        let mut docs = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let parsed =
                yaml_documents(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            docs.extend(parsed.into_iter().map(|doc| (file.clone(), doc)));
        }
        docs
    }

    #[test]
    fn every_example_manifest_parses() {
        let docs = all_documents();
        let mut csds = Vec::new();
        let mut counts = std::collections::BTreeMap::<String, usize>::new();
        for (file, doc) in &docs {
            let kind = doc
                .get("kind")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let file = file.display();
            match kind.as_str() {
                "CustomServiceDefinition" => {
                    let csd = CustomServiceDefinition::from_value(doc).unwrap();
                    assert!(csd.problems.is_empty(), "{file}: {:?}", csd.problems);
                    csds.push(csd);
                }
                "MonitorConfig" => {
                    let config = MonitorConfig::from_object(doc);
                    assert!(config.problems.is_empty(), "{file}: {:?}", config.problems);
                }
                "LogConfig" => {
                    let config = LogConfig::from_object(doc);
                    assert!(config.problems.is_empty(), "{file}: {:?}", config.problems);
                }
                "CustomResourceDefinition" => {
                    let crd: CustomResourceDefinition = serde_json::from_value(doc.clone())
                        .unwrap_or_else(|e| panic!("{file}: {e}"));
                    assert!(super::schema::storage_schema(&crd).is_ok(), "{file}");
                }
                _ => {}
            }
            *counts.entry(kind).or_default() += 1;
        }
        assert_eq!(counts.get("CustomServiceDefinition"), Some(&6));
        assert_eq!(counts.get("CustomResourceDefinition"), Some(&9));

        // Every example instance has a version its CSD can read, inside `tags`
        // (the sandbox puts instances outside the contract on purpose, not the examples).
        let mut checked = 0;
        for (file, doc) in &docs {
            let kind = doc.get("kind").and_then(Value::as_str);
            let Some(csd) = csds.iter().find(|c| {
                c.spec.crd_ref.is_some()
                    && c.spec
                        .default_configuration
                        .as_ref()
                        .and_then(|d| d.get("kind"))
                        .and_then(Value::as_str)
                        == kind
            }) else {
                continue;
            };
            let Some(def) = &csd.spec.version_definition else {
                continue;
            };
            let version =
                current_version(def, doc).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            assert!(
                !is_outside_tags(def, &version),
                "{}: {version}",
                file.display()
            );
            checked += 1;
        }
        // 4 Hwfka, 2 Zookeeper, 2 Hwredis instances.
        assert_eq!(checked, 8);
    }

    #[test]
    fn memcached_descriptors_point_into_the_chart_values() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let values = &yaml_documents(
            &std::fs::read_to_string(root.join("examples/memcached/chart/values.yaml")).unwrap(),
        )
        .unwrap()[0];
        let csd_doc = &yaml_documents(
            &std::fs::read_to_string(root.join("examples/memcached/csd/memcached.yaml")).unwrap(),
        )
        .unwrap()[0];
        let csd = CustomServiceDefinition::from_value(csd_doc).unwrap();
        for d in &csd.spec.descriptors.spec_descriptors {
            assert!(
                matches!(resolve_path(values, Base::Root, &d.path), Ok(Some(_))),
                "{}",
                d.path
            );
        }
        let mut with_password = values.clone();
        with_password["auth"]["password"] = Value::from("s3cret");
        let masked = mask_passwords(
            &with_password,
            &csd.spec.descriptors.spec_descriptors,
            false,
        );
        assert_eq!(
            masked["auth"]["password"],
            Value::from(super::descriptors::MASK)
        );
        assert_eq!(masked["replicaCount"], values["replicaCount"]);
    }
}
