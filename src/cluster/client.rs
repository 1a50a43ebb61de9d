//! Where the console connects: kubeconfig and context selection, the
//! client's timeouts, and errors put in plain words.

use std::error::Error as StdError;
use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::action::ClusterInfo;

/// How to reach the cluster, from the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterOptions {
    /// `--kubeconfig`; None: `KUBECONFIG`, else `~/.kube/config`, else in-cluster.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`; None: the kubeconfig's current context.
    pub context: Option<String>,
    /// Namespace to watch; None = all namespaces.
    pub namespace: Option<String>,
    /// Connect timeout, also the bound on one-shot requests.
    pub timeout: Duration,
    /// Prometheus (config `prometheus`, `namespace/service:port`) for
    /// MonitorConfig queries through the API server's service proxy.
    pub prometheus: Option<String>,
    /// `--readonly`: the cluster layer refuses every write request itself,
    /// whatever the UI asks (defence in depth).
    pub readonly: bool,
    /// Directory of packaged Helm charts for Helm upgrades (`helmCharts`).
    pub helm_charts: Option<PathBuf>,
    /// Where the warm-start cache lives (`super::warm`); None: no cache.
    pub cache_dir: Option<PathBuf>,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            kubeconfig: None,
            context: None,
            namespace: None,
            timeout: Duration::from_secs(10),
            prometheus: None,
            readonly: false,
            helm_charts: None,
            cache_dir: None,
        }
    }
}

/// Why the console cannot connect, in words a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    /// The kubeconfig file named by `--kubeconfig` or `KUBECONFIG` is unusable.
    #[error("cannot read kubeconfig {path}: {reason}")]
    Kubeconfig {
        /// The file (or "KUBECONFIG").
        path: String,
        /// Why.
        reason: String,
    },
    /// The requested context is not in the kubeconfig.
    #[error("context {0:?} is not in the kubeconfig")]
    UnknownContext(String),
    /// No kubeconfig and not running in a cluster.
    #[error(
        "no kubeconfig found (--kubeconfig, KUBECONFIG or ~/.kube/config) and not running in a cluster"
    )]
    NoConfig,
    /// The kubeconfig names a context but it cannot be turned into a client config.
    #[error("kubeconfig context is not usable: {0}")]
    InvalidContext(String),
    /// The HTTP client could not be built (TLS material, proxy).
    #[error("cannot build the Kubernetes client: {0}")]
    Client(String),
}

/// Reads the kubeconfig the options point at: `--kubeconfig`, else
/// `KUBECONFIG`/`~/.kube/config`. `Ok(None)` when there is none at all.
pub(crate) fn read_kubeconfig(opts: &ClusterOptions) -> Result<Option<Kubeconfig>, ClusterError> {
    if let Some(path) = &opts.kubeconfig {
        return Kubeconfig::read_from(path)
            .map(Some)
            .map_err(|e| ClusterError::Kubeconfig {
                path: path.display().to_string(),
                reason: chain_text(&e),
            });
    }
    match Kubeconfig::from_env() {
        Ok(Some(config)) => return Ok(Some(config)),
        Ok(None) => {}
        Err(e) => {
            return Err(ClusterError::Kubeconfig {
                path: "KUBECONFIG".to_owned(),
                reason: chain_text(&e),
            });
        }
    }
    let Some(home) = directories::BaseDirs::new().map(|d| d.home_dir().join(".kube/config")) else {
        return Ok(None);
    };
    if !home.exists() {
        return Ok(None);
    }
    Kubeconfig::read_from(&home)
        .map(Some)
        .map_err(|e| ClusterError::Kubeconfig {
            path: home.display().to_string(),
            reason: chain_text(&e),
        })
}

/// Loads the client configuration and says where it points. Honours
/// `--kubeconfig`, then `KUBECONFIG`/`~/.kube/config`, then the in-cluster
/// service account; and `--context`. Timeouts are set so that no request
/// hangs silently (watches have their own idle timeout in the watcher).
pub async fn load_config(
    opts: &ClusterOptions,
) -> Result<(kube::Config, ClusterInfo), ClusterError> {
    let (mut config, info) = match read_kubeconfig(opts)? {
        Some(kubeconfig) => {
            let context = opts
                .context
                .clone()
                .or_else(|| kubeconfig.current_context.clone());
            if let Some(name) = &opts.context
                && !kubeconfig.contexts.iter().any(|c| &c.name == name)
            {
                return Err(ClusterError::UnknownContext(name.clone()));
            }
            let user = context.as_ref().and_then(|name| {
                kubeconfig
                    .contexts
                    .iter()
                    .find(|c| &c.name == name)
                    .and_then(|c| c.context.as_ref())
                    .and_then(|c| c.user.clone())
            });
            let options = KubeConfigOptions {
                context: opts.context.clone(),
                ..KubeConfigOptions::default()
            };
            let config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| ClusterError::InvalidContext(chain_text(&e)))?;
            let server = config.cluster_url.to_string();
            (
                config,
                ClusterInfo {
                    context,
                    server: clean_url(&server),
                    user,
                },
            )
        }
        None => {
            let config = kube::Config::incluster().map_err(|_| ClusterError::NoConfig)?;
            let server = config.cluster_url.to_string();
            (
                config,
                ClusterInfo {
                    context: None,
                    server: clean_url(&server),
                    user: None,
                },
            )
        }
    };
    config.connect_timeout = Some(opts.timeout);
    config.write_timeout = Some(opts.timeout);
    // No read timeout: it would cut long-lived watch streams, which the
    // watcher guards with its own idle timeout instead.
    config.read_timeout = None;
    Ok((config, info))
}

/// The context names of the kubeconfig the options point at (empty when
/// there is none or it cannot be read), for completion.
pub fn list_contexts(opts: &ClusterOptions) -> Vec<String> {
    match read_kubeconfig(opts) {
        Ok(Some(config)) => {
            let mut names: Vec<String> = config
                .contexts
                .iter()
                .map(|c| crate::domain::text::clean(&c.name))
                .collect();
            names.sort();
            names.dedup();
            names
        }
        Ok(None) => Vec::new(),
        Err(e) => {
            tracing::debug!(error = %e, "cannot list contexts");
            Vec::new()
        }
    }
}

/// Builds the client from a loaded configuration.
pub fn build_client(config: kube::Config) -> Result<kube::Client, ClusterError> {
    kube::Client::try_from(config).map_err(|e| ClusterError::Client(chain_text(&e)))
}

fn clean_url(url: &str) -> String {
    crate::domain::text::clean(url.trim_end_matches('/'))
}

/// An error and its sources, joined, without repeating a source's text that
/// the outer message already contains.
pub(crate) fn chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let part = cause.to_string();
        if !text.contains(&part) {
            text.push_str(": ");
            text.push_str(&part);
        }
        source = cause.source();
    }
    crate::domain::text::clean(&text)
}

/// Whether an error means the API server could not be reached (as opposed
/// to an answer such as 403 or 404, which says nothing about the connection).
pub(crate) fn is_connection_error(err: &kube::Error) -> bool {
    match err {
        kube::Error::Api(status) => status.code >= 500 || status.code == 0,
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        other => find_io_error(other).is_some(),
    }
}

fn find_io_error<'a>(err: &'a (dyn StdError + 'static)) -> Option<&'a std::io::Error> {
    let mut current: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            return Some(io);
        }
        current = e.source();
    }
    None
}

/// A connection error in plain words with the server, e.g.
/// "connection refused (https://127.0.0.1:22440)".
pub fn plain_error(err: &(dyn StdError + 'static), server: &str) -> String {
    use std::io::ErrorKind;
    let full = chain_text(err);
    let lower = full.to_ascii_lowercase();
    let what = match find_io_error(err).map(std::io::Error::kind) {
        Some(ErrorKind::ConnectionRefused) => "connection refused".to_owned(),
        Some(ErrorKind::ConnectionReset) => "connection reset by the server".to_owned(),
        Some(ErrorKind::TimedOut) => "timed out".to_owned(),
        Some(ErrorKind::UnexpectedEof) | Some(ErrorKind::BrokenPipe) => {
            "connection closed by the server".to_owned()
        }
        _ if lower.contains("connection refused") => "connection refused".to_owned(),
        _ if lower.contains("timed out") || lower.contains("elapsed") => "timed out".to_owned(),
        _ if lower.contains("dns error") || lower.contains("failed to lookup") => {
            "server name not found (DNS)".to_owned()
        }
        _ if lower.contains("certificate") => format!("TLS certificate problem: {full}"),
        _ if lower.contains("401") || lower.contains("unauthorized") => {
            "not authorized: credentials rejected or expired".to_owned()
        }
        _ => full,
    };
    if server.is_empty() {
        what
    } else {
        format!("{what} ({server})")
    }
}

/// `text`, followed by the server in parentheses when known.
pub fn plain_words(text: &str, server: &str) -> String {
    if server.is_empty() || text.contains(server) {
        text.to_owned()
    } else {
        format!("{text} ({server})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_words_for_refused_connections() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "os error 111");
        assert_eq!(
            plain_error(&io, "https://127.0.0.1:1"),
            "connection refused (https://127.0.0.1:1)"
        );
        let io = std::io::Error::other("something \u{1b}[2J odd");
        assert_eq!(plain_error(&io, ""), "something ^[[2J odd");
    }

    #[tokio::test]
    async fn missing_kubeconfig_is_a_readable_error() {
        let opts = ClusterOptions {
            kubeconfig: Some(PathBuf::from("/nonexistent/osctui/kubeconfig")),
            ..ClusterOptions::default()
        };
        let err = load_config(&opts).await.err().map(|e| e.to_string());
        assert!(
            err.as_deref()
                .is_some_and(|e| e.starts_with("cannot read kubeconfig /nonexistent")),
            "{err:?}"
        );
        assert!(list_contexts(&opts).is_empty());
    }

    #[tokio::test]
    async fn unknown_context_is_refused() {
        let dir = std::env::temp_dir().join(format!("osctui-kc-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join("config");
        let yaml = "apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: a\n  context:\n    cluster: c\n    user: u\n- name: b\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n";
        assert!(std::fs::write(&path, yaml).is_ok());
        let mut opts = ClusterOptions {
            kubeconfig: Some(path.clone()),
            ..ClusterOptions::default()
        };
        assert_eq!(list_contexts(&opts), vec!["a", "b"]);
        let info = load_config(&opts).await.ok().map(|(_, info)| info);
        assert_eq!(
            info,
            Some(ClusterInfo {
                context: Some("a".into()),
                server: "https://127.0.0.1:1".into(),
                user: Some("u".into()),
            })
        );
        opts.context = Some("zz".into());
        assert!(matches!(
            load_config(&opts).await,
            Err(ClusterError::UnknownContext(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
