//! A warm start: what the last session learned about the cluster's Operator
//! services (their CSDs and where their CRs are served), kept on disk so the
//! next start lists their instances at once, in parallel with everything
//! else, instead of after two round trips (the CSD list, then the CRD).
//!
//! It is only a hint. The CSD and CRD watches still run; a service the
//! cluster no longer has is dropped before anything is shown, and a CRD
//! that moved restarts its instance watch. A missing, unreadable or foreign
//! file costs the round trips and nothing else.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::csd::CustomServiceDefinition;

use super::convert::CrdTarget;
use super::hub::OperatorServiceSpec;

/// Format of the file; another number is ignored.
const FORMAT: u32 = 1;
/// A file larger than this is not read (CSDs are kilobytes each).
const MAX_BYTES: u64 = 8 * 1024 * 1024;

/// One Operator service as it was last seen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    /// The CSD as the API server sent it.
    pub csd: Arc<serde_json::Value>,
    /// Where its CRs were served; None if the CRD had not been seen.
    pub target: Option<CrdTarget>,
}

#[derive(Serialize, Deserialize)]
struct File {
    format: u32,
    /// [`key`]: whose view of which cluster this is.
    key: String,
    services: Vec<Entry>,
}

/// A service to start before the CSD list arrives.
#[derive(Debug, Clone, PartialEq)]
pub struct WarmService {
    /// What its tasks depend on, read from the cached CSD by the same code
    /// as a live one, so an unchanged CSD gives an equal spec.
    pub spec: OperatorServiceSpec,
    /// Where to list its CRs before the CRD watch confirms it.
    pub target: Option<CrdTarget>,
}

/// What a cache belongs to: the API server, the user (another user may
/// see other services) and the namespace watched.
pub fn key(server: &str, user: Option<&str>, namespace: Option<&str>) -> String {
    format!(
        "{server}\n{}\n{}",
        user.unwrap_or(""),
        namespace.unwrap_or("*")
    )
}

/// The file of one key in the cache directory.
pub fn path(cache_dir: &Path, key: &str) -> PathBuf {
    cache_dir
        .join("warm")
        .join(format!("{:016x}.json", fnv1a(key)))
}

/// Reads the services cached under `key`; nothing if the file is missing,
/// too large, unreadable or another key's.
pub fn load(path: &Path, key: &str) -> Vec<WarmService> {
    match read(path, key) {
        Ok(services) => services,
        Err(reason) => {
            tracing::debug!(path = %path.display(), reason, "no warm start");
            Vec::new()
        }
    }
}

fn read(path: &Path, key: &str) -> Result<Vec<WarmService>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if meta.len() > MAX_BYTES {
        return Err(format!("{} bytes", meta.len()));
    }
    let text = std::fs::read(path).map_err(|e| e.to_string())?;
    let file: File = serde_json::from_slice(&text).map_err(|e| e.to_string())?;
    if file.format != FORMAT || file.key != key {
        return Err("written for another format or key".into());
    }
    Ok(file
        .services
        .into_iter()
        .filter_map(|entry| {
            let csd = CustomServiceDefinition::from_value(&entry.csd).ok()?;
            Some(WarmService {
                spec: OperatorServiceSpec::from_csd(&csd)?,
                target: entry.target,
            })
        })
        .collect())
}

/// Replaces the file (write to a temporary file, then rename, so a reader
/// never sees half of it). Failures are logged: the cache is optional.
pub fn save(path: &Path, key: &str, services: Vec<Entry>) {
    let file = File {
        format: FORMAT,
        key: key.to_owned(),
        services,
    };
    let result = (|| -> std::io::Result<()> {
        let dir = path
            .parent()
            .ok_or_else(|| std::io::Error::other("no parent"))?;
        std::fs::create_dir_all(dir)?;
        let text = serde_json::to_vec(&file).map_err(std::io::Error::other)?;
        let partial = path.with_extension(format!("json.{}", std::process::id()));
        std::fs::write(&partial, text)?;
        std::fs::rename(&partial, path)
    })();
    if let Err(err) = result {
        tracing::debug!(path = %path.display(), error = %err, "warm start not saved");
    }
}

/// FNV-1a: a file name that stays the same across builds (std's hasher
/// does not promise that).
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn operator_csd(name: &str, crd: &str) -> serde_json::Value {
        json!({
            "apiVersion": "osc.io/v1beta1",
            "kind": "CustomServiceDefinition",
            "metadata": {"name": name, "resourceVersion": "7"},
            "spec": {
                "role": "serviceEntity",
                "packageType": "Operator",
                "CRDRef": {"name": crd},
                "versionDefinition": {"mode": "tag", "path": "spec.image", "tags": ["1", "2"]},
            }
        })
    }

    fn target() -> CrdTarget {
        CrdTarget {
            group: "bench.osc.io".into(),
            version: "v1".into(),
            kind: "Benchsvc".into(),
            plural: "benchsvcs".into(),
            namespaced: true,
        }
    }

    #[test]
    fn a_saved_service_reads_back_as_the_spec_a_live_csd_gives() {
        let dir = std::env::temp_dir().join(format!("osctui-warm-{}", std::process::id()));
        let path = dir.join("a.json");
        let csd = operator_csd("benchsvc", "benchsvcs.bench.osc.io");
        let live = CustomServiceDefinition::from_value(&csd).unwrap_or_else(|e| panic!("{e:?}"));
        let entry = Entry {
            csd: Arc::new(csd),
            target: Some(target()),
        };
        let mine = key("https://127.0.0.1:6443", Some("admin"), None);
        save(&path, &mine, vec![entry]);
        let warm = load(&path, &mine);
        assert_eq!(warm.len(), 1);
        assert_eq!(
            Some(&warm[0].spec),
            OperatorServiceSpec::from_csd(&live).as_ref()
        );
        assert_eq!(warm[0].target, Some(target()));
        // Another server, user or namespace never reads it.
        for other in [
            key("https://10.0.0.1:6443", Some("admin"), None),
            key("https://127.0.0.1:6443", Some("viewer"), None),
            key("https://127.0.0.1:6443", Some("admin"), Some("bench")),
        ] {
            assert!(load(&path, &other).is_empty(), "{other}");
        }
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_damaged_or_missing_file_is_no_warm_start() {
        let dir = std::env::temp_dir().join(format!("osctui-warm-bad-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("bad.json");
        assert!(load(&path, "s").is_empty());
        for text in ["", "{", "[]", "{\"format\": 1}", "\u{0}\u{1}"] {
            let _ = std::fs::write(&path, text);
            assert!(load(&path, "s").is_empty(), "{text:?}");
        }
        // A CSD that no longer reads as an Operator service is skipped.
        let file = json!({"format": 1, "key": "s", "services": [
            {"csd": {"metadata": {"name": "x"}, "spec": {"role": "operation"}}, "target": null},
            {"csd": 42, "target": null},
        ]});
        let _ = std::fs::write(&path, file.to_string());
        assert!(load(&path, "s").is_empty());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn the_file_name_follows_the_key() {
        let dir = Path::new("/c");
        let a = key("https://a", None, None);
        assert_eq!(path(dir, &a), path(dir, &a));
        assert_ne!(
            path(dir, &a),
            path(dir, &key("https://a", None, Some("bench")))
        );
        assert_ne!(path(dir, &a), path(dir, &key("https://b", None, None)));
        assert_eq!(
            path(dir, &a).parent(),
            Some(Path::new("/c/warm")),
            "under the cache directory"
        );
    }
}
