//! The service's LogConfig (from its CSD) and the files it names, found in
//! each pod through exec.

use k8s_openapi::api::core::v1::Pod;
use kube::api::{ApiResource, AttachParams, DynamicObject, GroupVersionKind};
use kube::{Api, Client};
use tokio::io::AsyncReadExt as _;

use super::describe_kube;
use crate::domain::csd::{CapabilityKind, CustomServiceDefinition};
use crate::domain::logconfig::{LogConfig, LogPath};
use crate::domain::text::clean;

/// Most bytes of a listing read (a directory with very many files).
const MAX_LISTING: u64 = 1 << 20;

/// Prints the regular files among its arguments and, for directories, the
/// regular files directly inside (POSIX sh: busybox, dash, bash).
const LIST_SCRIPT: &str = r#"for p; do if [ -d "$p" ]; then for f in "$p"*; do [ -f "$f" ] && echo "$f"; done; elif [ -f "$p" ]; then echo "$p"; fi; done"#;

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

/// The LogConfig of CSD `service`: `Ok(None)` when it requires none.
pub(super) async fn load(client: &Client, service: &str) -> Result<Option<LogConfig>, String> {
    let csds = Api::<DynamicObject>::all_with(
        client.clone(),
        &resource(
            "osc.io",
            "v1beta1",
            "CustomServiceDefinition",
            "customservicedefinitions",
        ),
    );
    let object = csds
        .get(service)
        .await
        .map_err(|e| format!("its CSD: {}", describe_kube(&e)))?;
    let value = serde_json::to_value(&object).map_err(|e| clean(&e.to_string()))?;
    let csd = CustomServiceDefinition::from_value(&value).map_err(|e| clean(&e.to_string()))?;
    let Some(requirement) = csd
        .spec
        .capability_requirements
        .iter()
        .find(|c| c.kind == CapabilityKind::LogConfig)
    else {
        return Ok(None);
    };
    if let Some(name) = &requirement.name {
        let configs = Api::<DynamicObject>::all_with(
            client.clone(),
            &resource("osc.io", "v1", "LogConfig", "logconfigs"),
        );
        let object = configs
            .get(name)
            .await
            .map_err(|e| format!("LogConfig {}: {}", clean(name), describe_kube(&e)))?;
        let value = serde_json::to_value(&object).map_err(|e| clean(&e.to_string()))?;
        return Ok(Some(LogConfig::from_object(&value)));
    }
    Ok(requirement.spec.as_ref().map(LogConfig::from_spec))
}

/// The paths of `config` that apply to a pod with `labels`.
pub(super) fn paths_for(
    config: &LogConfig,
    labels: &std::collections::BTreeMap<String, String>,
) -> Vec<LogPath> {
    let mut paths: Vec<LogPath> = Vec::new();
    for item in &config.items {
        if item.label_selector.matches(labels) {
            for path in &item.log_paths {
                if !paths.contains(path) {
                    paths.push(path.clone());
                }
            }
        }
    }
    paths
}

/// The files in `container` of `pod` that `paths` cover, sorted.
pub(super) async fn list(
    api: &Api<Pod>,
    pod: &str,
    container: &str,
    paths: &[LogPath],
) -> Result<Vec<String>, String> {
    let mut command = vec![
        "sh".to_owned(),
        "-c".to_owned(),
        LIST_SCRIPT.to_owned(),
        "sh".to_owned(),
    ];
    command.extend(paths.iter().map(|p| p.0.clone()));
    let params = AttachParams::default()
        .container(container)
        .stdin(false)
        .stdout(true)
        .stderr(false);
    let mut process = api
        .exec(pod, command, &params)
        .await
        .map_err(|e| format!("exec: {}", describe_kube(&e)))?;
    let mut out = Vec::new();
    if let Some(stdout) = process.stdout() {
        stdout
            .take(MAX_LISTING)
            .read_to_end(&mut out)
            .await
            .map_err(|e| clean(&format!("exec: {e}")))?;
    }
    if let Some(status) = process.take_status()
        && let Some(s) = status.await
        && s.status.as_deref() == Some("Failure")
        // The script's status is that of its last test: a missing last path
        // is no failure. Only exec itself failing is.
        && s.reason.as_deref() != Some("NonZeroExitCode")
    {
        return Err(clean(s.message.as_deref().unwrap_or("exec failed")));
    }
    Ok(covered(&String::from_utf8_lossy(&out), paths))
}

/// The listed files that a path covers. Names with control characters are
/// left out: they could not be shown as they are nor safely changed.
fn covered(listing: &str, paths: &[LogPath]) -> Vec<String> {
    let mut files: Vec<String> = listing
        .lines()
        .filter(|f| !f.chars().any(char::is_control))
        .filter(|f| paths.iter().any(|p| p.covers(f)))
        .map(str::to_owned)
        .collect();
    files.sort();
    files.dedup();
    files
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_covered_files_only() {
        let paths = [
            LogPath("/opt/kafka/logs/server.log".into()),
            LogPath("/opt/kafka/logs/".into()),
        ];
        let listing = "/opt/kafka/logs/server.log\n/opt/kafka/logs/gc.out\n/opt/kafka/logs/server.log.1\n/opt/kafka/logs/controller.log\n/opt/kafka/logs/server.log\n/opt/kafka/logs/bad\x1b.log\n";
        assert_eq!(
            covered(listing, &paths),
            [
                "/opt/kafka/logs/controller.log",
                "/opt/kafka/logs/gc.out",
                "/opt/kafka/logs/server.log"
            ]
        );
    }

    #[test]
    fn selects_paths_by_labels() {
        let config = LogConfig::from_spec(&serde_json::json!({"logConfigItems": [
            {"labelSelector": {"matchLabels": {"app": "a"}}, "logPaths": ["/a/", "/both.log"]},
            {"labelSelector": {"matchLabels": {"app": "b"}}, "logPaths": ["/b/", "/both.log"]},
        ]}));
        let labels = [("app".to_owned(), "a".to_owned())].into();
        let paths: Vec<_> = paths_for(&config, &labels)
            .into_iter()
            .map(|p| p.0)
            .collect();
        assert_eq!(paths, ["/a/", "/both.log"]);
        assert!(paths_for(&config, &Default::default()).is_empty());
    }
}
