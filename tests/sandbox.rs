//! Integration tests against the local sandbox cluster (`sandbox/up`): a real
//! Kubernetes API server with three KWOK-simulated nodes and metrics-server.
//!
//! Without a reachable sandbox each test prints "SKIPPED: ..." and returns;
//! with `CI=true` it fails instead. The helpers are in the workspace's
//! `osctui-testkit` crate (`crates/testkit`).

use osctui_testkit as common;

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::time::Duration;

use futures::{AsyncBufReadExt as _, TryStreamExt as _};
use k8s_openapi::api::core::v1::{Event, Node, Pod};
use kube::api::{
    Api, ApiResource, AttachParams, DynamicObject, GroupVersionKind, ListParams, LogParams,
    PostParams,
};
use kube::runtime::wait::{await_condition, conditions::is_pod_running};
use kube::{Client, ResourceExt as _};
use serde_json::json;
use tokio::io::AsyncReadExt as _;

/// The sandbox runs exactly this many simulated nodes.
const EXPECTED_NODES: usize = 3;
/// Image of the test pod; nothing pulls it, the nodes are simulated.
const TEST_IMAGE: &str = "registry.example/app:1";
const CONTAINER: &str = "app";
/// Time for a new pod to be scheduled and reported Running.
const POD_RUNNING_TIMEOUT: Duration = Duration::from_secs(60);
/// Time for log and exec requests to answer.
const IO_TIMEOUT: Duration = Duration::from_secs(30);
/// metrics-server scrapes periodically and needs two scrapes for a rate.
const METRICS_TIMEOUT: Duration = Duration::from_secs(90);
const METRICS_RETRY: Duration = Duration::from_secs(5);

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/// A single-container pod. The sandbox's KWOK reports a pod's CPU and memory
/// usage from these `kwok.x-k8s.io/usage-*` annotations; the toleration lets
/// it land on KWOK nodes that carry KWOK's usual taint.
fn test_pod(name: &str) -> Pod {
    serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "labels": { "app.kubernetes.io/name": "osctui-test" },
            "annotations": {
                "kwok.x-k8s.io/usage-cpu": "50m",
                "kwok.x-k8s.io/usage-memory": "32Mi"
            }
        },
        "spec": {
            "containers": [{
                "name": CONTAINER,
                "image": TEST_IMAGE,
                "resources": {
                    "requests": { "cpu": "100m", "memory": "64Mi" },
                    "limits": { "cpu": "200m", "memory": "128Mi" }
                }
            }],
            "tolerations": [{ "key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule" }],
            "terminationGracePeriodSeconds": 0
        }
    }))
    .expect("the static test pod manifest is a valid Pod")
}

/// Creates the test pod in `namespace` and waits until it is Running.
/// Returns the pods API of that namespace and the pod as last seen.
async fn start_running_pod(client: &Client, namespace: &str) -> (Api<Pod>, Pod) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let name = common::unique_name("pod");
    match tokio::time::timeout(
        IO_TIMEOUT,
        pods.create(&PostParams::default(), &test_pod(&name)),
    )
    .await
    {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => panic!("could not create pod {namespace}/{name}: {e}"),
        Err(_) => panic!("creating pod {namespace}/{name} did not finish within {IO_TIMEOUT:?}"),
    }

    let waited = tokio::time::timeout(
        POD_RUNNING_TIMEOUT,
        await_condition(pods.clone(), &name, is_pod_running()),
    )
    .await;
    match waited {
        Ok(Ok(Some(pod))) => (pods, pod),
        Ok(Ok(None)) => panic!("pod {namespace}/{name} was deleted while waiting for Running"),
        Ok(Err(e)) => panic!("watching pod {namespace}/{name} failed: {e}"),
        Err(_) => {
            let seen = describe_pod(client, &pods, namespace, &name).await;
            panic!(
                "pod {namespace}/{name} not Running within {}s; seen: {seen}",
                POD_RUNNING_TIMEOUT.as_secs()
            )
        }
    }
}

/// One line about a pod's state and its events, for failure messages.
async fn describe_pod(client: &Client, pods: &Api<Pod>, namespace: &str, name: &str) -> String {
    let pod = match tokio::time::timeout(IO_TIMEOUT, pods.get(name)).await {
        Ok(Ok(pod)) => pod,
        Ok(Err(e)) => return format!("(could not read the pod: {e})"),
        Err(_) => return "(reading the pod timed out)".to_owned(),
    };
    let status = pod.status.unwrap_or_default();
    let conditions: Vec<String> = status
        .conditions
        .unwrap_or_default()
        .into_iter()
        .map(|c| format!("{}={}", c.type_, c.status))
        .collect();
    let containers: Vec<String> = status
        .container_statuses
        .unwrap_or_default()
        .into_iter()
        .map(|c| format!("{}: ready={} state={:?}", c.name, c.ready, c.state))
        .collect();
    let events: Api<Event> = Api::namespaced(client.clone(), namespace);
    let selector = format!("involvedObject.name={name}");
    let events = match tokio::time::timeout(
        IO_TIMEOUT,
        events.list(&ListParams::default().fields(&selector)),
    )
    .await
    {
        Ok(Ok(list)) => list
            .items
            .into_iter()
            .map(|e| {
                format!(
                    "{}: {}",
                    e.reason.unwrap_or_default(),
                    e.message.unwrap_or_default()
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
        Ok(Err(e)) => format!("(could not list events: {e})"),
        Err(_) => "(listing events timed out)".to_owned(),
    };
    format!(
        "phase={:?} node={:?} conditions=[{}] containers=[{}] events=[{}]",
        status.phase,
        pod.spec.and_then(|s| s.node_name),
        conditions.join(", "),
        containers.join("; "),
        events
    )
}

fn metrics_resource(kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", kind),
        plural,
    )
}

/// The numeric (cpu cores, memory bytes) of a metrics `usage` object.
fn usage_numbers(usage: &serde_json::Value) -> Result<(f64, f64), String> {
    let number = |key: &str| -> Result<f64, String> {
        let text = usage
            .get(key)
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("usage has no {key}: {usage}"))?;
        common::parse_quantity(text).ok_or_else(|| format!("usage {key}={text:?} is not a number"))
    };
    Ok((number("cpu")?, number("memory")?))
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[tokio::test]
async fn nodes_are_three_ready_loopback_nodes() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let nodes: Api<Node> = Api::all(client);
    let list = tokio::time::timeout(IO_TIMEOUT, nodes.list(&ListParams::default()))
        .await
        .expect("listing nodes timed out")
        .expect("listing nodes failed");
    let names: Vec<String> = list.items.iter().map(|n| n.name_any()).collect();
    assert_eq!(
        list.items.len(),
        EXPECTED_NODES,
        "expected {EXPECTED_NODES} nodes, saw {names:?}"
    );

    for node in &list.items {
        let name = node.name_any();
        let status = node.status.clone().unwrap_or_default();

        let conditions = status.conditions.unwrap_or_default();
        let ready: Vec<&str> = conditions
            .iter()
            .filter(|c| c.type_ == "Ready")
            .map(|c| c.status.as_str())
            .collect();
        assert_eq!(
            ready,
            ["True"],
            "node {name}: expected one Ready=True condition, saw conditions {:?}",
            conditions
                .iter()
                .map(|c| format!("{}={}", c.type_, c.status))
                .collect::<Vec<_>>()
        );

        // Every address that is an IP must be loopback; names are only allowed
        // as Hostname entries. At least one InternalIP must be present.
        let addresses = status.addresses.unwrap_or_default();
        let seen: Vec<String> = addresses
            .iter()
            .map(|a| format!("{}={}", a.type_, a.address))
            .collect();
        assert!(
            addresses.iter().any(|a| a.type_ == "InternalIP"),
            "node {name} has no InternalIP address; addresses: {seen:?}"
        );
        for address in &addresses {
            match address.address.parse::<IpAddr>() {
                Ok(ip) => assert!(
                    ip.is_loopback(),
                    "node {name}: address {}={ip} is not a loopback address (127.0.0.0/8); \
                     addresses: {seen:?}",
                    address.type_
                ),
                Err(_) => assert_eq!(
                    address.type_, "Hostname",
                    "node {name}: address {}={:?} is not an IP address; addresses: {seen:?}",
                    address.type_, address.address
                ),
            }
        }
    }
}

#[tokio::test]
async fn pod_reaches_running() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "running", |client, namespace| async move {
        let (_pods, pod) = start_running_pod(&client, &namespace).await;
        let name = pod.name_any();
        let phase = pod.status.as_ref().and_then(|s| s.phase.clone());
        assert_eq!(phase.as_deref(), Some("Running"), "pod {name}: phase");
        let node = pod.spec.as_ref().and_then(|s| s.node_name.clone());
        assert!(node.is_some(), "pod {name} is Running but has no node");
        let image = pod
            .spec
            .as_ref()
            .and_then(|s| s.containers.first())
            .and_then(|c| c.image.clone());
        assert_eq!(image.as_deref(), Some(TEST_IMAGE), "pod {name}: image");
        // Pod IPs come from a loopback CIDR, so whatever dials a pod stays on
        // this machine.
        if let Some(ip) = pod.status.as_ref().and_then(|s| s.pod_ip.clone()) {
            let parsed = ip.parse::<IpAddr>();
            assert!(
                parsed.as_ref().is_ok_and(|ip| ip.is_loopback()),
                "pod {name}: pod IP {ip:?} is not a loopback address ({parsed:?})"
            );
        }
    })
    .await;
}

#[tokio::test]
async fn pod_logs_follow_current_and_previous() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "logs", |client, namespace| async move {
        let (pods, pod) = start_running_pod(&client, &namespace).await;
        let name = pod.name_any();

        // Follow: at least one line arrives.
        let follow = LogParams {
            container: Some(CONTAINER.to_owned()),
            follow: true,
            ..LogParams::default()
        };
        let first_line = common::eventually(
            &format!("a followed log line of pod {namespace}/{name}"),
            IO_TIMEOUT,
            Duration::from_secs(2),
            || async {
                let stream = pods
                    .log_stream(&name, &follow)
                    .await
                    .map_err(|e| format!("log_stream failed: {e}"))?;
                let mut lines = std::pin::pin!(stream.lines());
                match lines.try_next().await {
                    Ok(Some(line)) => Ok(line),
                    Ok(None) => Err("the log stream ended without a line".to_owned()),
                    Err(e) => Err(format!("reading the log stream failed: {e}")),
                }
            },
        )
        .await;
        eprintln!("followed log line: {first_line:?}");

        // Current logs, not followed.
        let current = LogParams {
            container: Some(CONTAINER.to_owned()),
            ..LogParams::default()
        };
        let text = common::eventually(
            &format!("non-empty logs of pod {namespace}/{name}"),
            IO_TIMEOUT,
            Duration::from_secs(2),
            || async {
                match pods.logs(&name, &current).await {
                    Ok(text) if !text.trim().is_empty() => Ok(text),
                    Ok(text) => Err(format!("empty logs: {text:?}")),
                    Err(e) => Err(format!("logs failed: {e}")),
                }
            },
        )
        .await;
        assert!(!text.trim().is_empty(), "logs of {name} are empty");

        // Logs of the previous container instance.
        let previous = LogParams {
            container: Some(CONTAINER.to_owned()),
            previous: true,
            ..LogParams::default()
        };
        let text = common::eventually(
            &format!("non-empty previous logs of pod {namespace}/{name}"),
            IO_TIMEOUT,
            Duration::from_secs(2),
            || async {
                match pods.logs(&name, &previous).await {
                    Ok(text) if !text.trim().is_empty() => Ok(text),
                    Ok(text) => Err(format!("empty previous logs: {text:?}")),
                    Err(e) => Err(format!("previous logs failed: {e}")),
                }
            },
        )
        .await;
        assert!(!text.trim().is_empty(), "previous logs of {name} are empty");
    })
    .await;
}

#[tokio::test]
async fn pod_exec_echoes_to_stdout() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "exec", |client, namespace| async move {
        let (pods, pod) = start_running_pod(&client, &namespace).await;
        let name = pod.name_any();

        let params = AttachParams::default()
            .container(CONTAINER)
            .stdout(true)
            .stderr(true);
        let mut process = tokio::time::timeout(
            IO_TIMEOUT,
            pods.exec(&name, ["sh", "-c", "echo hello-from-exec"], &params),
        )
        .await
        .unwrap_or_else(|_| {
            panic!("exec in {namespace}/{name} did not start within {IO_TIMEOUT:?}")
        })
        .unwrap_or_else(|e| panic!("exec in {namespace}/{name} failed: {e}"));

        let status = process.take_status();
        let mut stdout_reader = process.stdout();
        let mut stderr_reader = process.stderr();
        let read_all = async {
            let mut stdout = String::new();
            let mut stderr = String::new();
            let out = async {
                match stdout_reader.as_mut() {
                    Some(r) => r.read_to_string(&mut stdout).await.map(|_| ()),
                    None => Ok(()),
                }
            };
            let err = async {
                match stderr_reader.as_mut() {
                    Some(r) => r.read_to_string(&mut stderr).await.map(|_| ()),
                    None => Ok(()),
                }
            };
            let status = async {
                match status {
                    Some(s) => s.await,
                    None => None,
                }
            };
            let (out, err, status) = tokio::join!(out, err, status);
            (out, err, status, stdout, stderr)
        };
        let (out, err, status, stdout, stderr) = tokio::time::timeout(IO_TIMEOUT, read_all)
            .await
            .unwrap_or_else(|_| {
                panic!("exec in {namespace}/{name} did not finish within {IO_TIMEOUT:?}")
            });
        out.unwrap_or_else(|e| panic!("reading exec stdout failed: {e}"));
        err.unwrap_or_else(|e| panic!("reading exec stderr failed: {e}"));
        let joined = tokio::time::timeout(IO_TIMEOUT, process.join()).await;

        assert!(
            stdout.contains("hello-from-exec"),
            "exec stdout {stdout:?} lacks hello-from-exec (stderr {stderr:?}, status {status:?})"
        );
        if let Some(status) = &status {
            assert_eq!(
                status.status.as_deref(),
                Some("Success"),
                "exec status: {status:?} (stderr {stderr:?})"
            );
        }
        assert!(
            matches!(joined, Ok(Ok(()))),
            "exec session did not close cleanly: {joined:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn node_metrics_report_cpu_and_memory() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let nodes: Api<Node> = Api::all(client.clone());
    let node_names: Vec<String> =
        tokio::time::timeout(IO_TIMEOUT, nodes.list_metadata(&ListParams::default()))
            .await
            .expect("listing nodes timed out")
            .expect("listing nodes failed")
            .items
            .iter()
            .map(|n| n.name_any())
            .collect();
    assert!(!node_names.is_empty(), "the sandbox has no nodes");

    let resource = metrics_resource("NodeMetrics", "nodes");
    let node_metrics: Api<DynamicObject> = Api::all_with(client, &resource);
    let usage = common::eventually(
        "NodeMetrics with cpu and memory for every node",
        METRICS_TIMEOUT,
        METRICS_RETRY,
        || async {
            let list = node_metrics
                .list(&ListParams::default())
                .await
                .map_err(|e| format!("listing metrics.k8s.io/v1beta1 nodes failed: {e}"))?;
            let mut usage = BTreeMap::new();
            for item in &list.items {
                let numbers = usage_numbers(&item.data["usage"])
                    .map_err(|e| format!("node {}: {e}", item.name_any()))?;
                usage.insert(item.name_any(), numbers);
            }
            let missing: Vec<&String> = node_names
                .iter()
                .filter(|n| !usage.contains_key(*n))
                .collect();
            if missing.is_empty() {
                Ok(usage)
            } else {
                Err(format!("no metrics yet for {missing:?}; have {usage:?}"))
            }
        },
    )
    .await;
    for (node, (cpu, memory)) in &usage {
        eprintln!("node {node}: cpu {cpu} cores, memory {memory} bytes");
        assert!(*cpu >= 0.0, "node {node}: negative cpu usage {cpu}");
        assert!(
            *memory >= 0.0,
            "node {node}: negative memory usage {memory}"
        );
    }
}

#[tokio::test]
async fn pod_metrics_report_cpu_and_memory() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "metrics", |client, namespace| async move {
        let (_pods, pod) = start_running_pod(&client, &namespace).await;
        let name = pod.name_any();

        let resource = metrics_resource("PodMetrics", "pods");
        let pod_metrics: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), &namespace, &resource);
        let (cpu, memory) = common::eventually(
            &format!("PodMetrics with cpu and memory for {namespace}/{name}"),
            METRICS_TIMEOUT,
            METRICS_RETRY,
            || async {
                let metrics = pod_metrics
                    .get(&name)
                    .await
                    .map_err(|e| format!("getting metrics.k8s.io/v1beta1 pod failed: {e}"))?;
                let containers = metrics.data["containers"]
                    .as_array()
                    .ok_or_else(|| format!("no containers list in {}", metrics.data))?;
                let container = containers
                    .iter()
                    .find(|c| c["name"] == CONTAINER)
                    .ok_or_else(|| format!("no container {CONTAINER:?} in {}", metrics.data))?;
                usage_numbers(&container["usage"])
            },
        )
        .await;
        eprintln!("pod {namespace}/{name}: cpu {cpu} cores, memory {memory} bytes");
        // The pod asks for a simulated usage of 50m / 32Mi (its annotations).
        assert!(cpu > 0.0, "pod {name}: cpu usage {cpu} is not positive");
        assert!(
            memory > 0.0,
            "pod {name}: memory usage {memory} is not positive"
        );
    })
    .await;
}
