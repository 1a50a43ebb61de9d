//! `kafka-operator`: the example Kafka operator of osctui, run as a local
//! process against a cluster (e.g. the sandbox).
//!
//! ```sh
//! kafka-operator [--kubeconfig FILE] [--context NAME] [--namespace NS]
//! ```
//!
//! It logs to stderr (`RUST_LOG` sets the filter; default `info`) and runs
//! until SIGINT or SIGTERM.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use kafka_operator::{Settings, missing_crds, run};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use tracing::{error, info, warn};
use tracing_subscriber::EnvFilter;

/// The example Kafka operator: reconciles Hwfka, Zookeeper, HwfkaBackup and
/// HwfkaRestore resources (group osctest.osctui.dev).
#[derive(Debug, Parser)]
#[command(version, about, long_about)]
struct Cli {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then the
    /// in-cluster service account).
    #[arg(long, value_name = "FILE")]
    kubeconfig: Option<PathBuf>,

    /// Kubeconfig context (default: the file's current-context).
    #[arg(long, value_name = "NAME")]
    context: Option<String>,

    /// Watch only this namespace (default: all namespaces).
    #[arg(short = 'n', long, value_name = "NS")]
    namespace: Option<String>,

    /// Seconds an upgraded broker may take to become ready before the
    /// upgrade is reported as failed (per instance: annotation
    /// osctest.osctui.dev/progress-deadline-seconds).
    #[arg(long, value_name = "SECONDS", default_value_t = 180)]
    progress_deadline: u64,

    /// Seconds a backup or restore takes.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    operation_seconds: u64,

    /// Reconcile only resources labelled osctest.osctui.dev/controller=ID
    /// (default: only resources without that label).
    #[arg(long, value_name = "ID")]
    controller_id: Option<String>,

    /// Lease renewed while the operator runs, as NAMESPACE/NAME, so that a
    /// console can tell it is alive (the CSDs name it in their
    /// osc.io/operator-lease annotation). "none" turns it off.
    #[arg(
        long,
        value_name = "NAMESPACE/NAME",
        default_value = "osc-system/kafka-operator"
    )]
    heartbeat_lease: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();

    let cli = Cli::parse();
    match operate(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            error!("{message}");
            ExitCode::FAILURE
        }
    }
}

async fn operate(cli: Cli) -> Result<(), String> {
    let client = connect(&cli).await?;
    match missing_crds(&client).await {
        Ok(missing) if missing.is_empty() => {}
        Ok(missing) => warn!(
            ?missing,
            "CRDs are not installed; their controllers wait for them. Install them with \
             `kubectl apply --server-side -f examples/kafka/crds/`"
        ),
        Err(e) => warn!(error = %e, "could not check that the CRDs are installed"),
    }
    let settings = Settings {
        progress_deadline: Duration::from_secs(cli.progress_deadline),
        operation_duration: Duration::from_secs(cli.operation_seconds),
        controller_id: cli.controller_id.clone(),
        ..Settings::default()
    };
    let heartbeat = match cli.heartbeat_lease.split_once('/') {
        _ if cli.heartbeat_lease == "none" => None,
        Some((ns, name)) if !ns.is_empty() && !name.is_empty() => Some(tokio::spawn(
            kafka_operator::heartbeat::run(client.clone(), ns.to_owned(), name.to_owned()),
        )),
        _ => {
            return Err(format!(
                "--heartbeat-lease must be NAMESPACE/NAME or none, not {:?}",
                cli.heartbeat_lease
            ));
        }
    };
    let result = tokio::select! {
        () = run(client, cli.namespace.clone(), settings) => {
            Err("the controllers stopped".to_owned())
        }
        signal = shutdown_signal() => {
            info!(signal, "shutting down");
            Ok(())
        }
    };
    if let Some(task) = heartbeat {
        task.abort();
    }
    result
}

/// A client for the cluster of the kubeconfig, checked by asking the API
/// server for its version.
async fn connect(cli: &Cli) -> Result<Client, String> {
    let options = KubeConfigOptions {
        context: cli.context.clone(),
        ..KubeConfigOptions::default()
    };
    let config = match (&cli.kubeconfig, &cli.context) {
        (Some(path), _) => {
            let kubeconfig = Kubeconfig::read_from(path)
                .map_err(|e| format!("cannot read kubeconfig {}: {e}", path.display()))?;
            Config::from_custom_kubeconfig(kubeconfig, &options)
                .await
                .map_err(|e| format!("kubeconfig {} is not usable: {e}", path.display()))?
        }
        (None, Some(_)) => Config::from_kubeconfig(&options)
            .await
            .map_err(|e| format!("kubeconfig is not usable: {e}"))?,
        (None, None) => Config::infer()
            .await
            .map_err(|e| format!("no usable kubeconfig or in-cluster configuration: {e}"))?,
    };
    let server = config.cluster_url.to_string();
    let client =
        Client::try_from(config).map_err(|e| format!("cannot build a client for {server}: {e}"))?;
    match tokio::time::timeout(Duration::from_secs(15), client.apiserver_version()).await {
        Ok(Ok(version)) => {
            info!(server, version = %version.git_version, "connected");
            Ok(client)
        }
        Ok(Err(e)) => Err(format!("API server {server} did not answer: {e}")),
        Err(_) => Err(format!("API server {server} did not answer within 15s")),
    }
}

/// Resolves on SIGINT or SIGTERM, with the signal's name.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "SIGINT"
    }
}
