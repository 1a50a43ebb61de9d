//! Shared helpers for integration tests that run against the local sandbox
//! cluster (`sandbox/up`), used by every crate of the workspace that has
//! such tests.
//!
//! Every sandbox test starts with
//!
//! ```ignore
//! let Some(client) = osctui_testkit::sandbox_client().await else { return; };
//! ```
//!
//! Without a reachable sandbox the test is skipped loudly on a developer's
//! machine, and fails when `CI=true` (CI must never pass by skipping).

pub mod faults;
pub mod pty;

use std::future::Future;
use std::io::Write as _;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::FutureExt as _;
use k8s_openapi::api::core::v1::{Namespace, Pod, ServiceAccount};
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, ObjectMeta,
    PostParams,
};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};

/// Environment variable that overrides where the sandbox kubeconfig is.
pub const KUBECONFIG_ENV: &str = "OSCTUI_SANDBOX_KUBECONFIG";

/// How long to wait for the API server when checking that it is reachable.
const REACHABILITY_TIMEOUT: Duration = Duration::from_secs(10);

/// Label put on every namespace the tests create, so leftovers can be found
/// (`kubectl get ns -l osctui.test/owner=integration-tests`).
pub const TEST_LABEL: (&str, &str) = ("osctui.test/owner", "integration-tests");

/// Path of the sandbox kubeconfig: `$OSCTUI_SANDBOX_KUBECONFIG`, else
/// `$OSCTUI_SANDBOX_RUN/kubeconfig` (the sandbox's own override of its state
/// directory), else `<workspace root>/sandbox/.run/kubeconfig`.
pub fn sandbox_kubeconfig_path() -> PathBuf {
    let non_empty = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
    if let Some(path) = non_empty(KUBECONFIG_ENV) {
        PathBuf::from(path)
    } else if let Some(run_dir) = non_empty("OSCTUI_SANDBOX_RUN") {
        PathBuf::from(run_dir).join("kubeconfig")
    } else {
        workspace_root().join("sandbox/.run/kubeconfig")
    }
}

/// The root of the workspace this crate is built in (it lives in
/// `<root>/crates/testkit`).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .and_then(Path::parent)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// True when running in CI, where a missing sandbox is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// A client for the sandbox cluster, or `None` (after a loud message on
/// stderr) when it is not reachable outside CI. In CI an unreachable sandbox
/// panics, so the test fails.
pub async fn sandbox_client() -> Option<Client> {
    let path = sandbox_kubeconfig_path();
    match connect(&path).await {
        Ok(client) => Some(client),
        Err(reason) => {
            let message = format!(
                "sandbox not reachable at {}: {reason}; start it with sandbox/up \
                 (or point {KUBECONFIG_ENV} at its kubeconfig)",
                path.display()
            );
            if in_ci() {
                panic!("CI=true and {message}");
            }
            // Written to the real stderr, not through eprintln!, which the
            // test harness captures and hides for passing tests.
            let test = std::thread::current()
                .name()
                .unwrap_or("<unnamed test>")
                .to_owned();
            let banner = "*".repeat(72);
            let _ = writeln!(
                std::io::stderr(),
                "\n{banner}\nSKIPPED {test}: {message}\n{banner}"
            );
            None
        }
    }
}

/// Builds a client from the kubeconfig at `path` and checks that the API
/// server answers a version request.
async fn connect(path: &Path) -> Result<Client, String> {
    if !path.exists() {
        return Err("kubeconfig file does not exist".to_owned());
    }
    let kubeconfig =
        Kubeconfig::read_from(path).map_err(|e| format!("cannot read kubeconfig: {e}"))?;
    let mut config = Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .map_err(|e| format!("kubeconfig is not usable: {e}"))?;
    config.connect_timeout = Some(REACHABILITY_TIMEOUT);
    let server = config.cluster_url.to_string();
    let client =
        Client::try_from(config).map_err(|e| format!("cannot build client for {server}: {e}"))?;
    match tokio::time::timeout(REACHABILITY_TIMEOUT, client.apiserver_version()).await {
        Ok(Ok(_version)) => Ok(client),
        Ok(Err(e)) => Err(format!("API server {server} did not answer /version: {e}")),
        Err(_) => Err(format!(
            "API server {server} did not answer /version within {}s",
            REACHABILITY_TIMEOUT.as_secs()
        )),
    }
}

/// A DNS-1123 label (at most 63 characters) that is unique per call: the
/// prefix, then the process id, a clock-derived part and a counter.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let clock = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() & 0xff_ffff)
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let suffix = format!("{:x}-{clock:x}{n}", std::process::id());
    let prefix: String = prefix
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .take(63 - 1 - suffix.len())
        .collect();
    format!("{}-{suffix}", prefix.trim_matches('-'))
}

/// Creates a throwaway namespace `osctui-test-<prefix>-<unique>`.
pub async fn create_namespace(client: &Client, prefix: &str) -> String {
    let name = unique_name(&format!("osctui-test-{prefix}"));
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            labels: Some([(TEST_LABEL.0.to_owned(), TEST_LABEL.1.to_owned())].into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    match tokio::time::timeout(
        Duration::from_secs(30),
        namespaces.create(&PostParams::default(), &ns),
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!("could not create test namespace {name}: {e}"),
        Err(_) => panic!("creating test namespace {name} did not finish within 30s"),
    }
    // Pods are refused until the controller-manager has created the
    // namespace's default ServiceAccount, which it does a moment later (and
    // later still on a busy machine).
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &name);
    eventually(
        "the default ServiceAccount of a test namespace",
        Duration::from_secs(30),
        Duration::from_millis(100),
        || async {
            match accounts.get_opt("default").await {
                Ok(Some(_)) => Ok(()),
                Ok(None) => Err("not created yet".to_owned()),
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await;
    name
}

/// Deletes a test namespace, best effort: its pods are force-deleted first
/// (simulated nodes have no kubelet to confirm a graceful delete), then the
/// namespace. Failures are reported on stderr, never panic; nothing waits for
/// the namespace to be gone.
pub async fn delete_namespace(client: &Client, name: &str) {
    let cleanup = async {
        let pods: Api<Pod> = Api::namespaced(client.clone(), name);
        if let Err(e) = pods
            .delete_collection(
                &DeleteParams::default().grace_period(0),
                &ListParams::default(),
            )
            .await
        {
            eprintln!("cleanup: could not delete pods in namespace {name}: {e}");
        }
        let namespaces: Api<Namespace> = Api::all(client.clone());
        if let Err(e) = namespaces.delete(name, &DeleteParams::default()).await {
            eprintln!("cleanup: could not delete namespace {name}: {e}");
        }
    };
    if tokio::time::timeout(Duration::from_secs(30), cleanup)
        .await
        .is_err()
    {
        eprintln!("cleanup: deleting namespace {name} did not finish within 30s");
    }
}

/// Runs `body` with a clone of `client` and the name of a fresh namespace,
/// and deletes the namespace afterwards, also when `body` panics (a failed
/// assertion); the panic is then re-raised.
pub async fn with_namespace<F, Fut>(client: &Client, prefix: &str, body: F)
where
    F: FnOnce(Client, String) -> Fut,
    Fut: Future<Output = ()>,
{
    let name = create_namespace(client, prefix).await;
    let outcome = AssertUnwindSafe(body(client.clone(), name.clone()))
        .catch_unwind()
        .await;
    delete_namespace(client, &name).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// Retries `attempt` every `interval` until it returns `Ok` or `timeout` has
/// passed; then panics with `what` and the last error seen. Each attempt is
/// itself bounded by the time left.
pub async fn eventually<T, F, Fut>(
    what: &str,
    timeout: Duration,
    interval: Duration,
    mut attempt: F,
) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    let mut tries = 0u32;
    loop {
        tries += 1;
        let left = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .max(Duration::from_secs(1));
        let last = match tokio::time::timeout(left, attempt()).await {
            Ok(Ok(value)) => return value,
            Ok(Err(seen)) => seen,
            Err(_) => format!("attempt did not finish within {}s", left.as_secs()),
        };
        if tokio::time::Instant::now() + interval >= deadline {
            panic!(
                "{what}: not seen within {}s ({tries} attempts); last seen: {last}",
                timeout.as_secs()
            );
        }
        tokio::time::sleep(interval).await;
    }
}

/// Parses a Kubernetes quantity ("250m", "12345n", "64Mi", "1.5", "2e3")
/// into a plain number; `None` if it is not one.
pub fn parse_quantity(text: &str) -> Option<f64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
        .unwrap_or(text.len());
    let (number, suffix) = text.split_at(split);
    if number.is_empty() {
        return None;
    }
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024.0,
        "Mi" => 1024.0 * 1024.0,
        "Gi" => 1024.0 * 1024.0 * 1024.0,
        "Ti" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "Pi" => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        "Ei" => 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0 * 1024.0,
        exp if exp.starts_with(['e', 'E']) => return text.parse::<f64>().ok(),
        _ => return None,
    };
    let value = number.parse::<f64>().ok()? * factor;
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The helpers that the sandbox tests rely on; runs without a sandbox.
    #[test]
    fn helpers_parse_quantities_and_make_unique_names() {
        assert_eq!(parse_quantity("250m"), Some(0.25));
        assert_eq!(parse_quantity("64Mi"), Some(64.0 * 1024.0 * 1024.0));
        assert_eq!(parse_quantity("1500000n"), Some(0.0015));
        assert_eq!(parse_quantity("2"), Some(2.0));
        assert_eq!(parse_quantity("1e3"), Some(1000.0));
        assert_eq!(parse_quantity("lots"), None);
        assert_eq!(parse_quantity("12Qi"), None);

        let a = unique_name("osctui-test-Some_Prefix");
        let b = unique_name("osctui-test-Some_Prefix");
        assert_ne!(a, b, "names must differ between calls");
        for name in [&a, &b] {
            assert!(name.len() <= 63, "{name:?} is longer than a DNS label");
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name:?} is not a DNS label"
            );
        }
        let long = unique_name(&"x".repeat(100));
        assert!(long.len() <= 63, "{long:?} is longer than a DNS label");
    }

    #[test]
    fn workspace_root_is_the_repository_root() {
        let root = workspace_root();
        let manifest = std::fs::read_to_string(root.join("Cargo.toml"))
            .unwrap_or_else(|e| panic!("no Cargo.toml in {}: {e}", root.display()));
        assert!(
            manifest.contains("[workspace]"),
            "{} is not the workspace root",
            root.display()
        );
    }
}

// ---------------------------------------------------------------------------
// Users and the audit log of the sandbox
// ---------------------------------------------------------------------------

/// The sandbox's state directory: `$OSCTUI_SANDBOX_RUN`, else
/// `<workspace root>/sandbox/.run` (as in sandbox/lib.sh).
pub fn sandbox_run_dir() -> PathBuf {
    match std::env::var_os("OSCTUI_SANDBOX_RUN").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => workspace_root().join("sandbox/.run"),
    }
}

/// Path of the kubeconfig of one of the sandbox's restricted or special
/// users, `<run dir>/kubeconfig-<user>`, made by sandbox/up:
///
/// - `viewer` (user name `viewer`): reads everything but Secrets; in
///   `team-a` it may create HwfkaBackups, and it may change no Hwfka;
/// - `auditor` (user name `readonly-e2e`, group `system:masters`): may do
///   everything, so that only the audit log shows whether a client wrote.
///
/// Panics under `CI=true` when the file does not exist (CI must not skip);
/// elsewhere it returns the path anyway and [`sandbox_client_for`] skips.
pub fn sandbox_kubeconfig_for(user: &str) -> PathBuf {
    let path = sandbox_run_dir().join(format!("kubeconfig-{user}"));
    if in_ci() && !path.exists() {
        panic!(
            "CI=true and the sandbox kubeconfig of user {user:?} does not exist at {}; \
             sandbox/up makes it (viewer, auditor)",
            path.display()
        );
    }
    path
}

/// A client for the sandbox acting as `user` (see [`sandbox_kubeconfig_for`]),
/// or `None` after a loud message when the sandbox or that kubeconfig is not
/// there outside CI; under `CI=true` that panics instead.
pub async fn sandbox_client_for(user: &str) -> Option<Client> {
    let path = sandbox_kubeconfig_for(user);
    match connect(&path).await {
        Ok(client) => Some(client),
        Err(reason) => {
            let message = format!(
                "sandbox not reachable as user {user:?} with {}: {reason}; \
                 start it with sandbox/up, which makes that kubeconfig",
                path.display()
            );
            if in_ci() {
                panic!("CI=true and {message}");
            }
            let test = std::thread::current()
                .name()
                .unwrap_or("<unnamed test>")
                .to_owned();
            let banner = "*".repeat(72);
            let _ = writeln!(
                std::io::stderr(),
                "\n{banner}\nSKIPPED {test}: {message}\n{banner}"
            );
            None
        }
    }
}

/// The sandbox API server's audit log (`--audit-log-path`): one JSON line
/// per completed write request (create, update, patch, delete,
/// deletecollection), none for reads. Rotated copies
/// (`apiserver-audit-<time>.log`) sit next to it.
pub fn audit_log_path() -> PathBuf {
    sandbox_run_dir().join("apiserver-audit.log")
}

/// One write request as the API server's audit log recorded it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiWrite {
    /// `create`, `update`, `patch`, `delete` or `deletecollection`.
    pub verb: String,
    /// The resource, with its subresource if any (`pods/status`).
    pub resource: String,
    /// The namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// The object's name, empty for a create without one or a collection.
    pub name: String,
    /// The authenticated user name (a certificate's CN).
    pub user: String,
    /// The client's User-Agent header.
    pub user_agent: String,
    /// The API group, empty for the core group.
    pub api_group: String,
    /// The request path and query.
    pub request_uri: String,
    /// A server-side dry run (`dryRun=All`): nothing was stored.
    pub dry_run: bool,
    /// The HTTP status code answered (403 for a write RBAC refused).
    pub code: u16,
    /// When the request was received (RFC 3339, microseconds).
    pub received: String,
}

impl ApiWrite {
    /// True for requests that change what is stored: not a dry run, and not
    /// one of the review "creates" (access and token reviews) that only ask
    /// a question.
    pub fn changes_state(&self) -> bool {
        const REVIEWS: [&str; 6] = [
            "selfsubjectaccessreviews",
            "selfsubjectrulesreviews",
            "selfsubjectreviews",
            "subjectaccessreviews",
            "localsubjectaccessreviews",
            "tokenreviews",
        ];
        !self.dry_run && !REVIEWS.contains(&self.resource.as_str())
    }

    /// Parses one audit log line; `None` if it is not an audit event of a
    /// request (e.g. a line cut short while the server writes it).
    pub fn parse(line: &str) -> Option<ApiWrite> {
        let event: serde_json::Value = serde_json::from_str(line).ok()?;
        let text = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_owned();
        let object = &event["objectRef"];
        let mut resource = text(&object["resource"]);
        if let Some(sub) = object["subresource"].as_str() {
            resource = format!("{resource}/{sub}");
        }
        let request_uri = text(&event["requestURI"]);
        let dry_run = request_uri
            .split_once('?')
            .is_some_and(|(_, query)| query.split('&').any(|p| p.starts_with("dryRun=")));
        Some(ApiWrite {
            verb: event["verb"].as_str()?.to_owned(),
            resource,
            namespace: text(&object["namespace"]),
            name: text(&object["name"]),
            user: event["user"]["username"].as_str()?.to_owned(),
            user_agent: text(&event["userAgent"]),
            api_group: text(&object["apiGroup"]),
            request_uri,
            dry_run,
            code: event["responseStatus"]["code"]
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(0),
            received: text(&event["requestReceivedTimestamp"]),
        })
    }
}

/// Every write request of `user` (the authenticated name: `viewer`,
/// `readonly-e2e`, `admin`) in the sandbox's audit log and its rotated
/// copies, oldest first. Allowed and refused requests both count; see
/// [`ApiWrite::changes_state`] to leave out dry runs and access reviews.
pub fn api_writes_by(user: &str) -> std::io::Result<Vec<ApiWrite>> {
    let current = audit_log_path();
    let dir = current
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if name.starts_with("apiserver-audit") && name.ends_with(".log") {
            files.push(dir.join(name.as_ref()));
        }
    }
    if !files.contains(&current) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            format!(
                "no audit log at {}: the sandbox's API server runs without one \
                 (restart it with sandbox/apiserver restart)",
                current.display()
            ),
        ));
    }
    let mut writes = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file)?;
        writes.extend(
            text.lines()
                .filter_map(ApiWrite::parse)
                .filter(|w| w.user == user),
        );
    }
    writes.sort_by(|a, b| a.received.cmp(&b.received));
    Ok(writes)
}

#[cfg(test)]
mod audit_tests {
    use super::*;

    /// Lines as kube-apiserver v1.36 writes them (trimmed of fields unused).
    const CREATE_REFUSED: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"a","stage":"ResponseComplete","requestURI":"/apis/osctest.osctui.dev/v1/namespaces/team-b/hwfkabackups?dryRun=All","verb":"create","user":{"username":"viewer","groups":["system:authenticated"]},"userAgent":"osctui/0.1","objectRef":{"resource":"hwfkabackups","namespace":"team-b","apiGroup":"osctest.osctui.dev","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","reason":"Forbidden","code":403},"requestReceivedTimestamp":"2026-11-28T05:23:16.912336Z"}"#;
    const STATUS_PATCH: &str = r#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/team-a/pods/orders-0/status","verb":"patch","user":{"username":"kwok-controller"},"objectRef":{"resource":"pods","namespace":"team-a","name":"orders-0","apiVersion":"v1","subresource":"status"},"responseStatus":{"code":200},"requestReceivedTimestamp":"2026-11-28T05:23:17.000001Z"}"#;

    #[test]
    fn audit_lines_parse_into_writes() {
        let refused = ApiWrite::parse(CREATE_REFUSED).expect("a valid line");
        assert_eq!(
            (
                refused.verb.as_str(),
                refused.resource.as_str(),
                refused.namespace.as_str(),
                refused.name.as_str(),
                refused.user.as_str(),
                refused.user_agent.as_str(),
                refused.code,
                refused.dry_run,
            ),
            (
                "create",
                "hwfkabackups",
                "team-b",
                "",
                "viewer",
                "osctui/0.1",
                403,
                true
            )
        );
        assert!(!refused.changes_state(), "a dry run stores nothing");
        let status = ApiWrite::parse(STATUS_PATCH).expect("a valid line");
        assert_eq!(status.resource, "pods/status");
        assert_eq!(status.name, "orders-0");
        assert!(!status.dry_run);
        assert!(status.changes_state());
    }

    #[test]
    fn questions_and_broken_lines_are_told_apart() {
        let review = STATUS_PATCH
            .replace(
                r#""resource":"pods""#,
                r#""resource":"selfsubjectaccessreviews""#,
            )
            .replace(r#","subresource":"status""#, "");
        let review = ApiWrite::parse(&review).expect("a valid line");
        assert_eq!(review.resource, "selfsubjectaccessreviews");
        assert!(!review.changes_state(), "an access review only asks");
        // A line the server is still writing, and one without a user.
        assert_eq!(ApiWrite::parse(&STATUS_PATCH[..80]), None);
        assert_eq!(ApiWrite::parse(r#"{"verb":"create"}"#), None);
    }
}

/// The API group and version of the sandbox's example operator (osctest),
/// whose Kafka (`Hwfka`) and ZooKeeper instances the operation tests use.
pub const OSCTEST_API: (&str, &str) = ("osctest.osctui.dev", "v1");

/// Wait and I/O bounds of [`scratch_kafka`].
const SCRATCH_START_TIMEOUT: Duration = Duration::from_secs(180);
const SCRATCH_POLL: Duration = Duration::from_millis(500);
const SCRATCH_IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The objects of kind `kind` (plural `plural`) of the example operator in
/// `namespace`.
pub fn osctest_api(
    client: &Client,
    namespace: &str,
    kind: &str,
    plural: &str,
) -> Api<DynamicObject> {
    let (group, version) = OSCTEST_API;
    let resource =
        ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
    Api::namespaced_with(client.clone(), namespace, &resource)
}

/// Creates `object` through `api`; panics (with its name) when that fails.
async fn create_dynamic(api: &Api<DynamicObject>, object: serde_json::Value) {
    let object: DynamicObject =
        serde_json::from_value(object).expect("the static test manifest is a valid object");
    let name = object.metadata.name.clone().unwrap_or_default();
    match tokio::time::timeout(
        SCRATCH_IO_TIMEOUT,
        api.create(&PostParams::default(), &object),
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!("could not create {name}: {e}"),
        Err(_) => panic!("creating {name} did not finish within {SCRATCH_IO_TIMEOUT:?}"),
    }
}

/// [`create_kafka`], then waits until the instance reports phase Running at
/// `version`, Ready and not Failed, with `brokers` replicas. Returns the API
/// of the namespace's Kafka instances.
pub async fn scratch_kafka(
    client: &Client,
    namespace: &str,
    name: &str,
    version: &str,
    brokers: i64,
) -> Api<DynamicObject> {
    let hwfkas = create_kafka(client, namespace, name, version, brokers).await;
    until_kafka_running(&hwfkas, name, version, brokers, SCRATCH_START_TIMEOUT).await;
    hwfkas
}

/// Creates a Kafka instance `name` with `brokers` brokers at `version`
/// (image `registry.invalid/osctest/kafka:<version>`) and its ZooKeeper
/// `zookeeper` (one server) in the scratch `namespace`, made quick to roll
/// (pods created without delay, deleted without a grace period). Returns
/// the API of the namespace's Kafka instances; waits for nothing.
pub async fn create_kafka(
    client: &Client,
    namespace: &str,
    name: &str,
    version: &str,
    brokers: i64,
) -> Api<DynamicObject> {
    let (group, api_version) = OSCTEST_API;
    let api_version = format!("{group}/{api_version}");
    create_dynamic(
        &osctest_api(client, namespace, "Zookeeper", "zookeepers"),
        serde_json::json!({
            "apiVersion": api_version,
            "kind": "Zookeeper",
            "metadata": {"name": "zookeeper", "namespace": namespace},
            "spec": {
                "version": "3.9.2",
                "image": "registry.invalid/osctest/zookeeper:3.9.2",
                "replicas": 1
            }
        }),
    )
    .await;
    let hwfkas = osctest_api(client, namespace, "Hwfka", "hwfkas");
    create_dynamic(
        &hwfkas,
        serde_json::json!({
            "apiVersion": api_version,
            "kind": "Hwfka",
            "metadata": {
                "name": name,
                "namespace": namespace,
                "annotations": {
                    "pod-create.stage.kwok.x-k8s.io/delay": "0s",
                    "pod-create.stage.kwok.x-k8s.io/jitter-delay": "0s",
                    "osctest.osctui.dev/termination-grace-period-seconds": "0"
                }
            },
            "spec": {
                "version": version,
                "image": format!("registry.invalid/osctest/kafka:{version}"),
                "replicas": brokers,
                "zookeeperRef": {"name": "zookeeper"},
                "storage": {"size": "1Gi"}
            }
        }),
    )
    .await;
    hwfkas
}

/// Waits (at most `timeout`) until the Kafka instance `name` of `api`
/// reports phase Running at `version`, Ready and not Failed, with `brokers`
/// replicas in its spec.
pub async fn until_kafka_running(
    api: &Api<DynamicObject>,
    name: &str,
    version: &str,
    brokers: i64,
    timeout: Duration,
) {
    let condition_true = |hwfka: &DynamicObject, kind: &str| {
        hwfka.data["status"]["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == kind && c["status"] == "True")
    };
    eventually(
        &format!("Hwfka {name} Running at {version} with {brokers} brokers, Ready, not Failed"),
        timeout,
        SCRATCH_POLL,
        || async {
            let hwfka = api.get(name).await.map_err(|e| e.to_string())?;
            let status = &hwfka.data["status"];
            let done = status["phase"] == "Running"
                && status["currentVersion"] == version
                && condition_true(&hwfka, "Ready")
                && !condition_true(&hwfka, "Failed")
                && hwfka.data["spec"]["replicas"] == brokers;
            if done {
                Ok(())
            } else {
                Err(format!("status {status}"))
            }
        },
    )
    .await;
}
