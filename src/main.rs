//! osctui: a terminal console for operating service instances on Kubernetes.
//!
//! CLI -> error hooks -> logging -> user config -> theme -> terminal ->
//! event loop -> terminal restored.

use std::io::IsTerminal as _;
use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;
use color_eyre::eyre::{Result, bail};

use osctui::cluster::ClusterOptions;
use osctui::state::State;

/// Terminal console for operating OSC service instances on Kubernetes.
///
/// Lists services (CustomServiceDefinitions and Helm charts) and their
/// instances, live from the cluster, with each instance's status, spec,
/// owned resources, events and dependencies.
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

    /// Watch one namespace (default: all namespaces, or `namespace` in
    /// config.yaml).
    #[arg(
        short = 'n',
        long,
        value_name = "NAME",
        conflicts_with = "all_namespaces"
    )]
    namespace: Option<String>,

    /// Watch all namespaces, whatever config.yaml says.
    #[arg(short = 'A', long)]
    all_namespaces: bool,

    /// Never send a request that writes.
    #[arg(long)]
    readonly: bool,

    /// Colour theme: default, light, high-contrast, monochrome, or a file
    /// name (without .yaml) in the config directory's themes/ folder.
    #[arg(long, value_name = "NAME")]
    theme: Option<String>,

    /// A `:` command to run at start, e.g. `inst`, `inst kafka`, `svc`.
    #[arg(short = 'c', long, value_name = "COMMAND")]
    command: Option<String>,

    /// Seconds to wait for the API server on each attempt.
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    timeout: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    color_eyre::install()?;
    let _log_guard = init_tracing();
    let cli = Cli::parse();
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        bail!("osctui is interactive: run it in a terminal (stdin and stdout must be a TTY)");
    }

    let config = osctui::config::load(osctui::config::config_dir().as_deref());
    for problem in &config.problems {
        tracing::warn!(%problem, "config");
    }
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let requested = cli.theme.clone().or_else(|| config.settings.theme.clone());
    let theme_dir = config.theme_dir();
    let (theme, theme_warnings) =
        osctui::theme::resolve(requested.as_deref(), theme_dir.as_deref(), no_color);

    let namespace = if cli.all_namespaces {
        None
    } else {
        cli.namespace.clone().or(config.settings.namespace.clone())
    };

    let mut state = State::new(config.keymap.clone());
    state.readonly = cli.readonly || config.settings.readonly;
    if let Some(cap) = config.settings.log_lines {
        state.log_line_cap = cap;
    }
    state.namespace = namespace.clone();
    state.context = cli.context.clone();
    let problems: Vec<String> = config
        .problems
        .iter()
        .chain(&theme_warnings)
        .cloned()
        .collect();
    if !problems.is_empty() {
        // The status line shows the first problem; all of them are logged.
        state.notice = Some(format!(
            "{} (defaults used{})",
            problems[0],
            if problems.len() > 1 {
                format!("; {} more in the log", problems.len() - 1)
            } else {
                String::new()
            }
        ));
    }

    if let Some(line) = &cli.command {
        // Only view commands make sense before the watches start; a
        // namespace or context change is already covered by the flags.
        match osctui::command::parse(line) {
            Ok(
                osctui::command::CommandLine::Services | osctui::command::CommandLine::Instances(_),
            ) => {
                let _ = osctui::update::run_command_line(&mut state, line);
            }
            Ok(_) => bail!(
                "--command takes a view command (svc, inst [SERVICE]); use -n and --context for the rest"
            ),
            Err(err) => bail!("--command {line:?}: {err}"),
        }
    }

    let options = ClusterOptions {
        kubeconfig: cli.kubeconfig.clone(),
        context: cli.context.clone(),
        namespace,
        timeout: Duration::from_secs(cli.timeout),
        prometheus: config.settings.prometheus.clone(),
        readonly: state.readonly,
        helm_charts: config.settings.helm_charts.clone(),
        cache_dir: osctui::config::cache_dir(),
    };
    let exit = osctui::app::run(state, theme, options).await?;
    tracing::info!(?exit, "osctui stopped");
    Ok(())
}

/// Diagnostics go to a file, never to the terminal (the console owns the
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
    // The default queue holds 128,000 lines, allocated and touched up
    // front: 4 MB and about 1.5 ms before the first frame. Diagnostics are
    // a few lines a minute; a full queue drops lines rather than wait.
    let (writer, guard) = tracing_appender::non_blocking::NonBlockingBuilder::default()
        .buffered_lines_limit(1024)
        .lossy(true)
        .finish(file);
    // kube-client logs request failures at ERROR; the console shows them as
    // a banner already, so they are off unless RUST_LOG asks for them.
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
