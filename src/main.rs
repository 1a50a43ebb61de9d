//! osctui: a terminal console for operating service instances on Kubernetes.
//!
//! This is the first, minimal entry point: it connects to a cluster (honouring
//! `--kubeconfig`, `--context` and `--namespace`) and prints the API server
//! version and the node count. The interactive terminal UI comes later.

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use color_eyre::eyre::{Context as _, Result, eyre};
use color_eyre::{Section as _, SectionExt as _};
use k8s_openapi::api::core::v1::Node;
use kube::api::{Api, ListParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// What to tell a user whose cluster cannot be reached.
const SANDBOX_HINT: &str = "for a local test cluster, run `sandbox/up` from the repository root, \
then `export KUBECONFIG=$PWD/sandbox/.run/kubeconfig` (or pass --kubeconfig)";

/// Terminal console for operating service instances on Kubernetes.
///
/// For now osctui only checks the connection: it prints the API server
/// version and the number of nodes. The interactive terminal UI is not
/// implemented yet.
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// Path of the kubeconfig file to use (default: $KUBECONFIG, then ~/.kube/config,
    /// then the in-cluster service account).
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,

    /// Kubeconfig context to use (default: the file's current-context).
    #[arg(long, value_name = "NAME")]
    context: Option<String>,

    /// Namespace to operate in (default: the context's namespace, else "default").
    #[arg(short = 'n', long, value_name = "NAME")]
    namespace: Option<String>,

    /// Seconds to wait for the API server before giving up.
    #[arg(long, value_name = "SECONDS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    color_eyre::install()?;
    let _log_guard = init_tracing();
    let cli = Cli::parse();
    run(cli).await
}

/// Diagnostics go to a file, never to the terminal (the console will own the
/// screen): `osctui.log` in the user's state directory (on Linux
/// `$XDG_STATE_HOME/osctui`, else `~/.local/state/osctui`), or the file named
/// by `OSCTUI_LOG`. Filtered by `RUST_LOG` (default: warnings). The writer is
/// non-blocking so logging never stalls the runtime; the guard flushes it.
/// If no log file can be opened, logging is off: it is not worth failing for.
fn init_tracing() -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let path = log_path()?;
    let dir = path.parent()?;
    std::fs::create_dir_all(dir).ok()?;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let (writer, guard) = tracing_appender::non_blocking(file);
    // kube-client logs request failures at ERROR; those are already part of
    // the error osctui reports, so they are off unless RUST_LOG asks for them.
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,kube_client=off"));
    // A second subscriber can only be set if something else already set one;
    // logging is not essential, so that is ignored.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(writer)
        .with_ansi(false)
        .try_init();
    Some(guard)
}

/// Where the diagnostics log goes.
fn log_path() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OSCTUI_LOG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(path));
    }
    let dirs = directories::ProjectDirs::from("dev", "osctui", "osctui")?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.data_local_dir());
    Some(dir.join("osctui.log"))
}

async fn run(cli: Cli) -> Result<()> {
    let timeout = Duration::from_secs(cli.timeout);
    let config = load_config(&cli).await?;
    let server = config.cluster_url.to_string();
    let namespace = config.default_namespace.clone();
    tracing::debug!(%server, %namespace, "connecting");

    let client = Client::try_from(config)
        .wrap_err_with(|| format!("could not build a Kubernetes client for {server}"))?;

    let version = match tokio::time::timeout(timeout, client.apiserver_version()).await {
        Err(_elapsed) => {
            return Err(eyre!(
                "cluster unreachable: the API server at {server} did not answer within {}s",
                cli.timeout
            )
            .suggestion(SANDBOX_HINT));
        }
        Ok(Err(kube::Error::Api(status))) => {
            return Err(eyre!(
                "the API server at {server} refused the version request: {} ({})",
                status.message,
                status.reason
            )
            .suggestion("check the credentials of the kubeconfig context"));
        }
        Ok(Err(err @ kube::Error::SerdeError(_))) => {
            return Err(color_eyre::Report::new(err).wrap_err(format!(
                "the server at {server} answered, but not like a Kubernetes API server"
            )));
        }
        Ok(Err(err)) => {
            return Err(color_eyre::Report::new(err)
                .wrap_err(format!(
                    "cluster unreachable: cannot reach the API server at {server}"
                ))
                .suggestion(SANDBOX_HINT));
        }
        Ok(Ok(version)) => version,
    };

    let nodes: Api<Node> = Api::all(client);
    let node_count =
        match tokio::time::timeout(timeout, nodes.list_metadata(&ListParams::default())).await {
            Err(_elapsed) => {
                return Err(eyre!(
                    "the API server at {server} did not list nodes within {}s",
                    cli.timeout
                ));
            }
            Ok(Err(err)) => {
                return Err(color_eyre::Report::new(err)
                    .wrap_err(format!("could not list nodes on {server}")));
            }
            Ok(Ok(list)) => list.items.len(),
        };

    println!("server:     {server}");
    println!(
        "version:    {} (v{}.{}, {})",
        version.git_version, version.major, version.minor, version.platform
    );
    println!("namespace:  {namespace}");
    println!("nodes:      {node_count}");
    Ok(())
}

/// Builds the client configuration from the command line.
async fn load_config(cli: &Cli) -> Result<Config> {
    let options = KubeConfigOptions {
        context: cli.context.clone(),
        ..KubeConfigOptions::default()
    };

    let mut config = match (&cli.kubeconfig, &cli.context) {
        (Some(path), _) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .wrap_err_with(|| format!("could not read kubeconfig {}", path.display()))
                .suggestion(SANDBOX_HINT)?;
            Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .wrap_err_with(|| format!("kubeconfig {} is not usable", path.display()))
                .with_section(|| {
                    cli.context
                        .clone()
                        .unwrap_or_else(|| "(current-context)".to_owned())
                        .header("Context:")
                })?
        }
        (None, Some(context)) => Config::from_kubeconfig(&options)
            .await
            .wrap_err_with(|| {
                format!("could not load context {context:?} from $KUBECONFIG or ~/.kube/config")
            })
            .suggestion(SANDBOX_HINT)?,
        (None, None) => Config::infer()
            .await
            .wrap_err("no Kubernetes configuration found ($KUBECONFIG, ~/.kube/config, in-cluster)")
            .suggestion(SANDBOX_HINT)?,
    };

    let timeout = Duration::from_secs(cli.timeout);
    config.connect_timeout = Some(timeout);
    if let Some(namespace) = &cli.namespace {
        config.default_namespace = namespace.clone();
    }
    Ok(config)
}
