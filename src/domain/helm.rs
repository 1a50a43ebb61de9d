//! Helm releases, read from Helm's own records: the release Secrets
//! (`type: helm.sh/release.v1`, `sh.helm.release.v1.<name>.v<revision>`).
//!
//! The Secret's `data.release` is, as the API returns it, base64 of the
//! Secret bytes; those bytes are Helm's base64 of a gzip of the release JSON.

use std::io::Read;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use flate2::read::GzDecoder;
use serde::Deserialize;
use serde_json::Value;

/// Largest decompressed release accepted. A real release is a few hundred
/// KiB at most (a Secret holds 1 MiB compressed); this refuses zip bombs.
pub const MAX_RELEASE_BYTES: u64 = 32 * 1024 * 1024;

/// The Secret type Helm 3 stores releases under.
pub const RELEASE_SECRET_TYPE: &str = "helm.sh/release.v1";

const GZIP_MAGIC: [u8; 3] = [0x1f, 0x8b, 0x08];

/// Why a release Secret cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum HelmError {
    #[error("the Secret is not a Helm release (type {0:?})")]
    NotARelease(String),
    #[error("the Secret has no data.release")]
    MissingRelease,
    #[error("data.release is not valid base64: {0}")]
    Base64(#[from] base64::DecodeError),
    #[error("the release is not valid gzip: {0}")]
    Gzip(std::io::Error),
    #[error("the release is larger than {MAX_RELEASE_BYTES} bytes once decompressed")]
    TooLarge,
    #[error("the release is not valid release JSON: {0}")]
    Json(#[from] serde_json::Error),
}

/// The status of a release, as Helm writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReleaseStatus {
    Unknown,
    Deployed,
    Uninstalled,
    Superseded,
    Failed,
    Uninstalling,
    PendingInstall,
    PendingUpgrade,
    PendingRollback,
    /// A status this console does not know (a newer Helm).
    Other(String),
}

impl ReleaseStatus {
    fn parse(text: &str) -> Self {
        match text {
            "" | "unknown" => Self::Unknown,
            "deployed" => Self::Deployed,
            "uninstalled" => Self::Uninstalled,
            "superseded" => Self::Superseded,
            "failed" => Self::Failed,
            "uninstalling" => Self::Uninstalling,
            "pending-install" => Self::PendingInstall,
            "pending-upgrade" => Self::PendingUpgrade,
            "pending-rollback" => Self::PendingRollback,
            other => Self::Other(other.to_owned()),
        }
    }

    /// As Helm spells it.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unknown => "unknown",
            Self::Deployed => "deployed",
            Self::Uninstalled => "uninstalled",
            Self::Superseded => "superseded",
            Self::Failed => "failed",
            Self::Uninstalling => "uninstalling",
            Self::PendingInstall => "pending-install",
            Self::PendingUpgrade => "pending-upgrade",
            Self::PendingRollback => "pending-rollback",
            Self::Other(other) => other,
        }
    }

    /// An operation on the release is in progress (the console blocks others).
    pub fn is_pending(&self) -> bool {
        matches!(
            self,
            Self::PendingInstall
                | Self::PendingUpgrade
                | Self::PendingRollback
                | Self::Uninstalling
        )
    }
}

/// One revision of a Helm release.
#[derive(Debug, Clone, PartialEq)]
pub struct HelmRelease {
    pub name: String,
    pub namespace: String,
    /// The revision (Helm's `version`).
    pub revision: u64,
    pub status: ReleaseStatus,
    pub chart_name: String,
    pub chart_version: String,
    pub app_version: Option<String>,
    /// The values the user supplied (Helm's `config`).
    pub values: Value,
    /// The chart's default values.
    pub chart_values: Value,
    /// Rendered NOTES.txt.
    pub notes: Option<String>,
    /// The rendered manifest.
    pub manifest: String,
    /// RFC 3339 timestamps as Helm wrote them.
    pub first_deployed: Option<String>,
    pub last_deployed: Option<String>,
    pub description: Option<String>,
}

#[derive(Deserialize)]
struct RawRelease {
    #[serde(default)]
    name: String,
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    version: u64,
    #[serde(default)]
    info: RawInfo,
    #[serde(default)]
    chart: RawChart,
    #[serde(default)]
    config: Value,
    #[serde(default)]
    manifest: String,
}

#[derive(Deserialize, Default)]
struct RawInfo {
    #[serde(default)]
    first_deployed: Option<String>,
    #[serde(default)]
    last_deployed: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    notes: Option<String>,
}

#[derive(Deserialize, Default)]
struct RawChart {
    #[serde(default)]
    metadata: RawChartMetadata,
    #[serde(default)]
    values: Value,
}

#[derive(Deserialize, Default)]
struct RawChartMetadata {
    #[serde(default)]
    name: String,
    #[serde(default)]
    version: String,
    #[serde(default, rename = "appVersion")]
    app_version: Option<String>,
}

/// Reads a release Secret as the API server returns it in JSON (`data`
/// values base64-encoded).
pub fn decode_release_secret(secret: &Value) -> Result<HelmRelease, HelmError> {
    let kind = secret
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind != RELEASE_SECRET_TYPE {
        return Err(HelmError::NotARelease(kind.chars().take(64).collect()));
    }
    let encoded = secret
        .pointer("/data/release")
        .and_then(Value::as_str)
        .ok_or(HelmError::MissingRelease)?;
    decode_release_data(&STANDARD.decode(encoded)?)
}

/// Reads the bytes of a release Secret's `release` key (already decoded
/// from the API's base64, as a typed `Secret` holds them).
pub fn decode_release_data(data: &[u8]) -> Result<HelmRelease, HelmError> {
    let compressed = STANDARD.decode(data.trim_ascii())?;
    let json = if compressed.starts_with(&GZIP_MAGIC) {
        let mut out = Vec::new();
        GzDecoder::new(compressed.as_slice())
            .take(MAX_RELEASE_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(HelmError::Gzip)?;
        if out.len() as u64 > MAX_RELEASE_BYTES {
            return Err(HelmError::TooLarge);
        }
        out
    } else {
        // Helm also reads releases stored without compression.
        compressed
    };
    let raw: RawRelease = serde_json::from_slice(&json)?;
    Ok(HelmRelease {
        name: raw.name,
        namespace: raw.namespace,
        revision: raw.version,
        status: ReleaseStatus::parse(&raw.info.status),
        chart_name: raw.chart.metadata.name,
        chart_version: raw.chart.metadata.version,
        app_version: raw.chart.metadata.app_version.filter(|v| !v.is_empty()),
        values: raw.config,
        chart_values: raw.chart.values,
        notes: raw.info.notes.filter(|n| !n.is_empty()),
        manifest: raw.manifest,
        first_deployed: raw.info.first_deployed.filter(|t| !t.is_empty()),
        last_deployed: raw.info.last_deployed.filter(|t| !t.is_empty()),
        description: raw.info.description.filter(|d| !d.is_empty()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use serde_json::json;
    use std::io::Write;

    /// A release Secret fetched from the sandbox with
    /// `kubectl -n cache get secret sh.helm.release.v1.web-cache.v3 -o json`
    /// (the example memcached chart, installed by the real `helm`).
    const WEB_CACHE_V3: &str = include_str!("testdata/helm-release-web-cache.v3.json");

    fn encode(payload: &[u8], gzip: bool) -> Value {
        let body = if gzip {
            let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
            enc.write_all(payload).unwrap();
            enc.finish().unwrap()
        } else {
            payload.to_vec()
        };
        let helm = STANDARD.encode(body);
        json!({"type": RELEASE_SECRET_TYPE, "data": {"release": STANDARD.encode(helm)}})
    }

    #[test]
    fn decodes_a_real_release() {
        let secret: Value = serde_json::from_str(WEB_CACHE_V3).unwrap();
        let r = decode_release_secret(&secret).unwrap();
        assert_eq!(r.name, "web-cache");
        assert_eq!(r.namespace, "cache");
        assert_eq!(r.revision, 3);
        assert_eq!(r.status, ReleaseStatus::Deployed);
        assert_eq!(r.chart_name, "memcached");
        assert_eq!(r.chart_version, "1.2.0");
        assert_eq!(r.app_version.as_deref(), Some("1.6.31"));
        assert_eq!(r.values["replicaCount"], json!(2));
        assert_eq!(r.values["memcached"]["maxMemoryMB"], json!(128));
        assert_eq!(r.chart_values["memcached"]["maxMemoryMB"], json!(64));
        assert!(
            r.notes
                .as_deref()
                .unwrap_or_default()
                .contains("web-cache-memcached.cache.svc:11211")
        );
        assert!(r.manifest.contains("kind: Deployment"));
        assert_eq!(r.description.as_deref(), Some("Upgrade complete"));
        assert!(r.first_deployed.is_some() && r.last_deployed.is_some());
        assert!(!r.status.is_pending());
    }

    #[test]
    fn decodes_plain_and_gzip_payloads_and_statuses() {
        let release = json!({"name": "r", "namespace": "n", "version": 7,
            "info": {"status": "pending-upgrade", "notes": ""},
            "chart": {"metadata": {"name": "c", "version": "1.0.0"}}});
        let bytes = serde_json::to_vec(&release).unwrap();
        for gzip in [true, false] {
            let r = decode_release_secret(&encode(&bytes, gzip)).unwrap();
            assert_eq!((r.name.as_str(), r.revision), ("r", 7));
            assert_eq!(r.status, ReleaseStatus::PendingUpgrade);
            assert!(r.status.is_pending());
            assert_eq!(r.notes, None);
            assert_eq!(r.app_version, None);
        }
        for status in [
            "deployed",
            "failed",
            "superseded",
            "uninstalled",
            "uninstalling",
            "pending-install",
            "pending-rollback",
            "unknown",
            "weird",
        ] {
            assert_eq!(ReleaseStatus::parse(status).as_str(), status);
        }
    }

    #[test]
    fn refuses_malformed_secrets() {
        assert!(matches!(
            decode_release_secret(&json!({"type": "Opaque"})),
            Err(HelmError::NotARelease(_))
        ));
        assert!(matches!(
            decode_release_secret(&json!({"type": RELEASE_SECRET_TYPE, "data": {}})),
            Err(HelmError::MissingRelease)
        ));
        assert!(matches!(
            decode_release_secret(&json!({"type": RELEASE_SECRET_TYPE, "data": {"release": "!!"}})),
            Err(HelmError::Base64(_))
        ));
        assert!(matches!(
            decode_release_secret(&encode(b"not json", false)),
            Err(HelmError::Json(_))
        ));
        assert!(matches!(
            decode_release_secret(&encode(b"{\"version\": \"x\"}", true)),
            Err(HelmError::Json(_))
        ));
        let mut truncated = GzEncoder::new(Vec::new(), Compression::fast());
        truncated.write_all(&[b'x'; 4096]).unwrap();
        let mut truncated = truncated.finish().unwrap();
        truncated.truncate(12);
        let secret = json!({"type": RELEASE_SECRET_TYPE,
            "data": {"release": STANDARD.encode(STANDARD.encode(truncated))}});
        assert!(matches!(
            decode_release_secret(&secret),
            Err(HelmError::Gzip(_))
        ));
    }

    #[test]
    fn refuses_zip_bombs() {
        let mut enc = GzEncoder::new(Vec::new(), Compression::best());
        let zeros = vec![b' '; 1024 * 1024];
        for _ in 0..(MAX_RELEASE_BYTES / (1024 * 1024) + 1) {
            enc.write_all(&zeros).unwrap();
        }
        let bomb = enc.finish().unwrap();
        assert!(bomb.len() < 100 * 1024);
        let data = STANDARD.encode(bomb);
        assert!(matches!(
            decode_release_data(data.as_bytes()),
            Err(HelmError::TooLarge)
        ));
    }
}
