//! Helm writes through the `helm` binary: upgrade (values file in a private
//! temporary directory) and rollback, each first with `--dry-run=server`;
//! the release's revision checked before the write (conflict).
//!
//! `helm` is found through `OSCTUI_HELM`, else `PATH`, and is pointed at the
//! console's kubeconfig and context. Values never appear on a command line
//! (other users could read them in the process list): they go to a file in
//! a directory only the user can read, removed afterwards. Output is
//! captured in that directory too, so a chatty `helm` cannot block on a full
//! pipe, and every run is bounded by [`HELM_TIMEOUT`].

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::domain::text::clean;
use crate::state::ops::{HelmWrite, WriteError};

use super::OpsSettings;

/// The bound on one `helm` run (an upgrade makes many requests).
pub const HELM_TIMEOUT: Duration = Duration::from_secs(60);

/// The `helm` binary: `OSCTUI_HELM`, else the first `helm` on `PATH`.
pub fn helm_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("OSCTUI_HELM").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let paths = std::env::var_os("PATH")?;
    std::env::split_paths(&paths)
        .map(|dir| dir.join("helm"))
        .find(|candidate| candidate.is_file())
}

/// A directory only the user can read, removed when dropped.
struct PrivateDir(PathBuf);

impl PrivateDir {
    fn new() -> Result<Self, WriteError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let path =
            std::env::temp_dir().join(format!("osctui-helm-{}-{nanos:x}-{n}", std::process::id()));
        let mut builder = std::fs::DirBuilder::new();
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt as _;
            builder.mode(0o700);
        }
        // `create` (not `create_all`) fails if the name exists: never reuse
        // a directory someone else prepared.
        builder.create(&path).map_err(|e| {
            WriteError::Other(format!("helm: cannot create a private directory: {e}"))
        })?;
        Ok(Self(path))
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Refuses names that `helm` would read as flags or that are not
/// Kubernetes names at all.
fn check_name(what: &str, name: &str) -> Result<(), WriteError> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.');
    if ok {
        Ok(())
    } else {
        Err(WriteError::Other(format!(
            "helm: invalid {what} {}",
            clean(name)
        )))
    }
}

/// Runs `helm ARGS` (plus kubeconfig and context) with output captured in
/// `dir`; stdout on success, else the error with stderr in it.
fn run_blocking(
    settings: &OpsSettings,
    binary: &Path,
    dir: &PrivateDir,
    args: &[OsString],
) -> Result<String, WriteError> {
    let out_path = dir.file("stdout");
    let err_path = dir.file("stderr");
    let open = |p: &Path| {
        std::fs::File::create(p)
            .map_err(|e| WriteError::Other(format!("helm: cannot capture its output: {e}")))
    };
    let mut command = Command::new(binary);
    command.args(args);
    if let Some(kubeconfig) = &settings.kubeconfig {
        command.arg("--kubeconfig").arg(kubeconfig);
    }
    if let Some(context) = &settings.context {
        command.arg("--kube-context").arg(context);
    }
    command
        .stdin(Stdio::null())
        .stdout(open(&out_path)?)
        .stderr(open(&err_path)?);
    let mut child = command
        .spawn()
        .map_err(|e| WriteError::Other(format!("helm: cannot run {}: {e}", binary.display())))?;
    let deadline = Instant::now() + HELM_TIMEOUT;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(WriteError::Other(format!(
                    "helm {} did not finish within {}s (stopped)",
                    args.first()
                        .map(|a| a.to_string_lossy())
                        .unwrap_or_default(),
                    HELM_TIMEOUT.as_secs()
                )));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(WriteError::Other(format!("helm: {e}"))),
        }
    };
    let stdout = std::fs::read(&out_path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    if status.success() {
        return Ok(stdout);
    }
    let stderr = std::fs::read(&err_path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let stderr = stderr.trim();
    let text = if stderr.is_empty() {
        stdout.trim()
    } else {
        stderr
    };
    Err(WriteError::Other(clean(&format!(
        "helm {} failed ({status}): {text}",
        args.first()
            .map(|a| a.to_string_lossy())
            .unwrap_or_default()
    ))))
}

/// [`run_blocking`] off the async runtime, in a fresh private directory;
/// `values`, when given, is written to `values.yaml` there first and its
/// path is appended as `-f`.
async fn run(
    settings: &OpsSettings,
    args: Vec<OsString>,
    values: Option<Value>,
) -> Result<String, WriteError> {
    let binary = helm_binary().ok_or_else(|| {
        WriteError::Other("helm not found (set OSCTUI_HELM or put helm on PATH)".into())
    })?;
    let settings = settings.clone();
    tokio::task::spawn_blocking(move || {
        let dir = PrivateDir::new()?;
        let mut args = args;
        if let Some(values) = values {
            let path = dir.file("values.yaml");
            // JSON is YAML: no conversion that could change a value.
            let text = serde_json::to_vec_pretty(&values)
                .map_err(|e| WriteError::Other(format!("helm: values: {e}")))?;
            write_private(&path, &text).map_err(|e| {
                WriteError::Other(format!("helm: cannot write the values file: {e}"))
            })?;
            args.push("-f".into());
            args.push(path.into_os_string());
        }
        run_blocking(&settings, &binary, &dir, &args)
    })
    .await
    .map_err(|e| WriteError::Other(format!("helm: {e}")))?
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    options.open(path)?.write_all(bytes)
}

fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

fn parse_json(what: &str, text: &str) -> Result<Value, WriteError> {
    serde_json::from_str(text)
        .map_err(|e| WriteError::Other(format!("helm {what}: unreadable output: {e}")))
}

/// The release's latest revision (`helm history --max 1`).
pub async fn latest_revision(
    settings: &OpsSettings,
    release: &str,
    namespace: &str,
) -> Result<u32, WriteError> {
    check_name("release", release)?;
    check_name("namespace", namespace)?;
    let out = run(
        settings,
        os(&[
            "history", release, "-n", namespace, "-o", "json", "--max", "1",
        ]),
        None,
    )
    .await
    .map_err(|e| match e {
        WriteError::Other(m) if m.contains("release: not found") => WriteError::NotFound(m),
        other => other,
    })?;
    let history = parse_json("history", &out)?;
    history
        .as_array()
        .and_then(|entries| entries.iter().filter_map(|e| e["revision"].as_u64()).max())
        .and_then(|r| u32::try_from(r).ok())
        .ok_or_else(|| {
            WriteError::NotFound(format!(
                "helm release {}/{}",
                clean(namespace),
                clean(release)
            ))
        })
}

/// The user-supplied values of one revision (`{}` when none).
async fn values_of(
    settings: &OpsSettings,
    release: &str,
    namespace: &str,
    revision: u32,
) -> Result<Value, WriteError> {
    let revision = revision.to_string();
    let out = run(
        settings,
        os(&[
            "get",
            "values",
            release,
            "-n",
            namespace,
            "--revision",
            &revision,
            "-o",
            "json",
        ]),
        None,
    )
    .await?;
    Ok(match parse_json("get values", &out)? {
        Value::Null => json!({}),
        values => values,
    })
}

/// The rendered manifest of one revision.
async fn manifest_of(
    settings: &OpsSettings,
    release: &str,
    namespace: &str,
    revision: u32,
) -> Result<String, WriteError> {
    let revision = revision.to_string();
    run(
        settings,
        os(&[
            "get",
            "manifest",
            release,
            "-n",
            namespace,
            "--revision",
            &revision,
        ]),
        None,
    )
    .await
}

/// The conflict check: the release must still be at `expected`.
async fn check_revision(
    settings: &OpsSettings,
    release: &str,
    namespace: &str,
    expected: u32,
) -> Result<u32, WriteError> {
    let now = latest_revision(settings, release, namespace).await?;
    if now == expected {
        Ok(now)
    } else {
        Err(WriteError::Conflict {
            message: format!(
                "release {} is at revision {now}, not {expected}: it changed meanwhile",
                clean(release)
            ),
            current: json!({ "revision": now }),
        })
    }
}

fn upgrade_args(
    release: &str,
    namespace: &str,
    chart: &str,
    version: &str,
) -> Result<Vec<OsString>, WriteError> {
    check_name("release", release)?;
    check_name("namespace", namespace)?;
    if chart.is_empty() || chart.starts_with('-') {
        return Err(WriteError::Other(format!(
            "helm: invalid chart {}",
            clean(chart)
        )));
    }
    if version.starts_with('-') {
        return Err(WriteError::Other(format!(
            "helm: invalid version {}",
            clean(version)
        )));
    }
    let mut args = os(&["upgrade", release, chart, "-n", namespace]);
    if !version.is_empty() {
        args.extend(os(&["--version", version]));
    }
    Ok(args)
}

/// Dry run: `(before, after)`. Upgrade: before `{"values", "revision"}`,
/// after `{"values", "manifest"}` as the server-side dry run rendered them;
/// rollback: the values (and manifest) of the revision gone back to.
pub async fn dry_run(
    settings: &OpsSettings,
    write: &HelmWrite,
) -> Result<(Value, Value), WriteError> {
    match write {
        HelmWrite::Upgrade {
            release,
            namespace,
            chart,
            version,
            values,
            expected_revision,
        } => {
            let mut args = upgrade_args(release, namespace, chart, version)?;
            let revision = check_revision(settings, release, namespace, *expected_revision).await?;
            let old = values_of(settings, release, namespace, revision).await?;
            args.extend(os(&["--dry-run=server", "-o", "json"]));
            let out = run(settings, args, Some(values.clone())).await?;
            let rendered = parse_json("upgrade --dry-run", &out)?;
            let manifest = rendered["manifest"].as_str().unwrap_or_default().to_owned();
            let after_values = match &rendered["config"] {
                Value::Null => values.clone(),
                config => config.clone(),
            };
            Ok((
                json!({ "values": old, "revision": revision }),
                json!({ "values": after_values, "manifest": manifest }),
            ))
        }
        HelmWrite::Rollback {
            release,
            namespace,
            revision,
            expected_revision,
        } => {
            check_name("release", release)?;
            check_name("namespace", namespace)?;
            let now = check_revision(settings, release, namespace, *expected_revision).await?;
            let rev = revision.to_string();
            run(
                settings,
                os(&["rollback", release, &rev, "-n", namespace, "--dry-run"]),
                None,
            )
            .await?;
            let old = values_of(settings, release, namespace, now).await?;
            let target = values_of(settings, release, namespace, *revision).await?;
            let manifest = manifest_of(settings, release, namespace, *revision).await?;
            Ok((
                json!({ "values": old, "revision": now }),
                json!({ "values": target, "manifest": manifest }),
            ))
        }
    }
}

/// The write, after the revision check: `{"revision": N}` of the new
/// revision.
pub async fn apply(settings: &OpsSettings, write: &HelmWrite) -> Result<Value, WriteError> {
    match write {
        HelmWrite::Upgrade {
            release,
            namespace,
            chart,
            version,
            values,
            expected_revision,
        } => {
            let mut args = upgrade_args(release, namespace, chart, version)?;
            check_revision(settings, release, namespace, *expected_revision).await?;
            args.extend(os(&["--wait=false", "-o", "json"]));
            let out = run(settings, args, Some(values.clone())).await?;
            let stored = parse_json("upgrade", &out)?;
            let revision = match stored["version"].as_u64() {
                Some(v) => v,
                None => u64::from(latest_revision(settings, release, namespace).await?),
            };
            Ok(json!({ "revision": revision }))
        }
        HelmWrite::Rollback {
            release,
            namespace,
            revision,
            expected_revision,
        } => {
            check_name("release", release)?;
            check_name("namespace", namespace)?;
            check_revision(settings, release, namespace, *expected_revision).await?;
            let rev = revision.to_string();
            run(
                settings,
                os(&["rollback", release, &rev, "-n", namespace, "--wait=false"]),
                None,
            )
            .await?;
            let now = latest_revision(settings, release, namespace).await?;
            Ok(json!({ "revision": now }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_look_like_flags_are_refused() {
        assert!(check_name("release", "memcached-1").is_ok());
        assert!(check_name("release", "--kubeconfig=/x").is_err());
        assert!(check_name("release", "").is_err());
        assert!(check_name("namespace", "Team A").is_err());
        assert!(upgrade_args("r", "ns", "-f", "1.0.0").is_err());
        assert!(upgrade_args("r", "ns", "chart.tgz", "--set=x").is_err());
    }

    #[test]
    fn private_dir_is_private_and_removed() {
        let dir = PrivateDir::new().unwrap();
        let path = dir.0.clone();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o700);
        }
        write_private(&dir.file("values.yaml"), b"a: 1").unwrap();
        drop(dir);
        assert!(!path.exists());
    }
}
