//! What the detail shows of a Helm release, from its decoded revisions.

use serde_json::Value;

use super::overview::parse_time;
use super::values::{deep_merge, mask_values};
use super::yaml::to_yaml;
use crate::domain::csd::Descriptor;
use crate::domain::helm::HelmRelease;
use crate::domain::text::{clean, sanitize_with};
use crate::domain::yaml_documents;
use crate::state::detail::{Field, HelmDetail, HelmRevision};

/// Multi-line text from the cluster, made safe line by line.
pub(crate) fn multi_line(text: &str) -> String {
    sanitize_with(text, true).into_owned()
}

fn values_yaml(values: &Value) -> String {
    let values = if values.is_null() {
        Value::Object(serde_json::Map::new())
    } else {
        values.clone()
    };
    multi_line(&to_yaml(&values))
}

/// Kind and name of every object of a rendered manifest (List items too).
pub(crate) fn manifest_objects(manifest: &str) -> Vec<(String, String)> {
    fn push(out: &mut Vec<(String, String)>, doc: &Value) {
        if let Some(items) = doc["items"].as_array()
            && doc["kind"].as_str().is_some_and(|k| k.ends_with("List"))
        {
            for item in items {
                push(out, item);
            }
            return;
        }
        if let (Some(kind), Some(name)) = (doc["kind"].as_str(), doc["metadata"]["name"].as_str()) {
            out.push((clean(kind), clean(name)));
        }
    }
    let mut out = Vec::new();
    // A manifest that does not parse (templating gone wrong) lists nothing
    // rather than failing the whole detail.
    for doc in yaml_documents(manifest).unwrap_or_default() {
        push(&mut out, &doc);
    }
    out
}

fn chart_label(release: &HelmRelease) -> String {
    clean(&format!("{}-{}", release.chart_name, release.chart_version))
}

fn format_time(text: &str) -> String {
    match text.parse::<jiff::Timestamp>() {
        Ok(time) => time.strftime("%Y-%m-%d %H:%M:%S UTC").to_string(),
        Err(_) => clean(text),
    }
}

/// The release detail, from all its revisions (any order); `None` when
/// there is none. `descriptors`: the spec descriptors of the chart's CSD.
pub(crate) fn helm_detail(
    releases: &[&HelmRelease],
    descriptors: &[Descriptor],
) -> Option<HelmDetail> {
    let latest = releases.iter().max_by_key(|r| r.revision)?;
    let mut history: Vec<HelmRevision> = releases
        .iter()
        .map(|r| HelmRevision {
            revision: u32::try_from(r.revision).unwrap_or(u32::MAX),
            status: clean(r.status.as_str()),
            chart: chart_label(r),
            app_version: clean(r.app_version.as_deref().unwrap_or("-")),
            updated: r.last_deployed.as_deref().and_then(parse_time),
            description: clean(r.description.as_deref().unwrap_or("")),
        })
        .collect();
    history.sort_by_key(|h| std::cmp::Reverse(h.revision));
    let computed = deep_merge(&latest.chart_values, &latest.values);
    Some(HelmDetail {
        status: clean(latest.status.as_str()),
        chart: clean(&latest.chart_name),
        chart_version: clean(&latest.chart_version),
        app_version: clean(latest.app_version.as_deref().unwrap_or("-")),
        revision: u32::try_from(latest.revision).unwrap_or(u32::MAX),
        history,
        user_values: values_yaml(&mask_values(&latest.values, descriptors)),
        computed_values: values_yaml(&mask_values(&computed, descriptors)),
        computed_values_revealed: values_yaml(&computed),
        notes: multi_line(latest.notes.as_deref().unwrap_or("").trim_end()),
        manifest_resources: manifest_objects(&latest.manifest),
    })
}

/// User values, masked and revealed (the Values tab).
pub(crate) fn user_values(release: &HelmRelease, descriptors: &[Descriptor]) -> (String, String) {
    (
        values_yaml(&mask_values(&release.values, descriptors)),
        values_yaml(&release.values),
    )
}

/// The Overview fields of a release.
pub(crate) fn overview(helm: &HelmDetail, latest: &HelmRelease) -> Vec<Field> {
    let field = |label: &str, value: String| Field {
        label: label.to_owned(),
        value: if value.is_empty() {
            "-".to_owned()
        } else {
            value
        },
    };
    vec![
        field("Status", helm.status.clone()),
        field("Chart", helm.chart.clone()),
        field("Chart version", helm.chart_version.clone()),
        field("App version", helm.app_version.clone()),
        field("Revision", helm.revision.to_string()),
        field(
            "Last deployed",
            latest
                .last_deployed
                .as_deref()
                .map(format_time)
                .unwrap_or_default(),
        ),
        field(
            "Description",
            clean(latest.description.as_deref().unwrap_or("")),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::descriptors::MASK;
    use crate::domain::helm::ReleaseStatus;
    use serde_json::json;

    fn release(revision: u64, status: ReleaseStatus, version: &str) -> HelmRelease {
        HelmRelease {
            name: "web-cache".into(),
            namespace: "cache".into(),
            revision,
            status,
            chart_name: "memcached".into(),
            chart_version: version.into(),
            app_version: Some("1.6.31".into()),
            values: json!({"replicaCount": 2, "auth": {"password": "pw"}}),
            chart_values: json!({"replicaCount": 1, "image": {"tag": "1.6"}, "auth": {"password": ""}}),
            notes: Some("Connect to\n  memcached:11211\n".into()),
            manifest:
                "---\n# Source: x\napiVersion: v1\nkind: Service\nmetadata:\n  name: web-cache\n\
                       ---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-cache\n"
                    .into(),
            first_deployed: Some("2026-11-27T23:00:00Z".into()),
            last_deployed: Some("2026-11-27T23:10:00.5+00:00".into()),
            description: Some("Upgrade complete".into()),
        }
    }

    #[test]
    fn detail_of_three_revisions() {
        let r1 = release(1, ReleaseStatus::Superseded, "1.0.0");
        let r3 = release(3, ReleaseStatus::Deployed, "1.2.0");
        let r2 = release(2, ReleaseStatus::Superseded, "1.1.0");
        let detail = helm_detail(&[&r1, &r3, &r2], &[]).unwrap();
        assert_eq!(detail.revision, 3);
        assert_eq!(detail.status, "deployed");
        assert_eq!(
            detail
                .history
                .iter()
                .map(|h| h.revision)
                .collect::<Vec<_>>(),
            vec![3, 2, 1]
        );
        assert_eq!(detail.history[1].chart, "memcached-1.1.0");
        assert_eq!(detail.history[0].updated, Some(1_795_821_000));
        assert!(detail.user_values.contains(MASK));
        assert!(!detail.user_values.contains("pw"));
        assert!(detail.computed_values.contains("tag: \"1.6\""));
        assert!(detail.computed_values.contains("replicaCount: 2"));
        assert!(detail.computed_values_revealed.contains("password: pw"));
        assert_eq!(detail.notes, "Connect to\n  memcached:11211");
        assert_eq!(
            detail.manifest_resources,
            vec![
                ("Service".to_owned(), "web-cache".to_owned()),
                ("Deployment".to_owned(), "web-cache".to_owned())
            ]
        );
        let fields = overview(&detail, &r3);
        assert_eq!(fields[5].value, "2026-11-27 23:10:00 UTC");
        assert_eq!(fields[6].value, "Upgrade complete");
        let (masked, revealed) = user_values(&r3, &[]);
        assert!(masked.contains(MASK) && revealed.contains("password: pw"));
        assert!(helm_detail(&[], &[]).is_none());
    }

    #[test]
    fn manifest_lists_are_flattened() {
        let objects = manifest_objects(
            "kind: ConfigMapList\nitems:\n  - kind: ConfigMap\n    metadata: {name: a}\n",
        );
        assert_eq!(objects, vec![("ConfigMap".to_owned(), "a".to_owned())]);
        assert!(manifest_objects("a: [").is_empty());
    }
}
