//! The metrics task of the monitoring view (`osctui::cluster::metrics`)
//! against the sandbox: usage from the real metrics-server (which reads
//! kwok's simulated usage, set by the pods' `kwok.x-k8s.io/usage-*`
//! annotations), and the Kafka MonitorConfig's charts scraped from the
//! simulated exporter that kwok's port-forward runs (sandbox/sim-exporter;
//! the sandbox's pod IPs are loopback addresses, which the API server's pod
//! proxy refuses, so the port-forward is the way that works there).
//!
//! Without a reachable sandbox each test prints "SKIPPED: ..." and returns;
//! with `CI=true` it fails instead.

use std::time::Duration;

use k8s_openapi::api::apps::v1::StatefulSet;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, PostParams};
use kube::{Client, ResourceExt as _};
use osctui::action::Msg;
use osctui::cluster::metrics;
use osctui::domain::quantity;
use osctui::state::detail::InstanceRef;
use osctui::state::monitor::{MetricsEvent, MetricsRequest, PodUsage, ScrapedValue};
use osctui::state::rows::ServiceKind;
use osctui_testkit as common;
use serde_json::json;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// metrics-server has a sample of a long-running pod at once; a fresh
/// sandbox may need a scrape or two (15 s each).
const FIRST_USAGE: Duration = Duration::from_secs(60);
/// Two scrape rounds (10 s apart) and slack for a busy machine.
const TWO_ROUNDS: Duration = Duration::from_secs(60);

fn instance(namespace: &str, name: &str, service: &str, kind: ServiceKind) -> InstanceRef {
    InstanceRef {
        uid: format!("test:{namespace}/{name}"),
        name: name.to_owned(),
        namespace: namespace.to_owned(),
        service: service.to_owned(),
        kind,
    }
}

/// A running metrics task; aborted when dropped, as the console does.
struct Task {
    rx: mpsc::Receiver<Msg>,
    handle: tokio::task::JoinHandle<()>,
    session: u64,
    seen: Vec<String>,
}

impl Drop for Task {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

impl Task {
    fn start(client: &Client, target: InstanceRef, session: u64) -> Self {
        Self::with_prometheus(client, target, session, None)
    }

    fn with_prometheus(
        client: &Client,
        target: InstanceRef,
        session: u64,
        prometheus: Option<String>,
    ) -> Self {
        let (tx, rx) = mpsc::channel(64);
        let request = MetricsRequest {
            session,
            instance: target,
        };
        let handle = metrics::spawn(client.clone(), request, tx, prometheus);
        Self {
            rx,
            handle,
            session,
            seen: Vec::new(),
        }
    }

    /// The first event for which `check` gives a value within `timeout`;
    /// panics with the events seen otherwise.
    async fn until<T>(
        &mut self,
        timeout: Duration,
        what: &str,
        mut check: impl FnMut(&MetricsEvent) -> Option<T>,
    ) -> T {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, self.rx.recv()).await {
                Ok(Some(Msg::Metrics(event))) => {
                    assert_eq!(event.session(), self.session, "{event:?}");
                    if let Some(found) = check(&event) {
                        return found;
                    }
                    self.seen.push(format!("{event:?}"));
                }
                Ok(Some(other)) => panic!("{what}: unexpected message {other:?}"),
                Ok(None) => panic!("{what}: the task ended; seen: {:#?}", self.seen),
                Err(_) => panic!(
                    "{what}: not seen within {timeout:?}; seen: {:#?}",
                    self.seen
                ),
            }
        }
    }
}

fn close(actual: f64, expected: f64, tolerance: f64) -> bool {
    (actual - expected).abs() <= tolerance
}

/// Sum of one resource over the containers of a pod template.
fn template_sum(sts: &StatefulSet, kind: &str, resource: &str) -> Option<f64> {
    let containers = &sts.spec.as_ref()?.template.spec.as_ref()?.containers;
    containers
        .iter()
        .map(|c| {
            let resources = c.resources.as_ref()?;
            let map = match kind {
                "requests" => resources.requests.as_ref(),
                _ => resources.limits.as_ref(),
            }?;
            quantity::parse(&map.get(resource)?.0)
        })
        .sum()
}

#[tokio::test]
async fn orders_usage_comes_from_metrics_server() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let target = instance("team-a", "orders", "kafka", ServiceKind::Operator);
    let mut task = Task::start(&client, target, 41);
    let started = Instant::now();
    let (at, usage) = task
        .until(
            FIRST_USAGE,
            "usage of the three brokers",
            |event| match event {
                MetricsEvent::Usage { at, pods, .. } if pods.len() == 3 => {
                    Some((*at, pods.clone()))
                }
                _ => None,
            },
        )
        .await;
    eprintln!(
        "first full usage after {:.1}s: {usage:#?}",
        started.elapsed().as_secs_f64()
    );
    assert!((at - osctui::cluster::watch::now()).abs() < 30, "at {at}");
    let names: Vec<&str> = usage.iter().map(|p| p.pod.as_str()).collect();
    assert_eq!(names, ["orders-0", "orders-1", "orders-2"]);

    let pods: Api<Pod> = Api::namespaced(client.clone(), "team-a");
    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), "team-a");
    let sts = sets.get("orders").await.expect("StatefulSet team-a/orders");
    for PodUsage {
        pod,
        cpu_millis,
        memory_bytes,
        cpu_request_millis,
        cpu_limit_millis,
        memory_request_bytes,
        memory_limit_bytes,
    } in &usage
    {
        let live = pods.get(pod).await.expect("the pod");
        let annotation = |key: &str| {
            live.annotations()
                .get(key)
                .and_then(|q| quantity::parse(q))
                .unwrap_or_else(|| panic!("{pod}: annotation {key}"))
        };
        // kwok reports the annotated usage; metrics-server's CPU is a rate
        // over its last two scrapes, so it may be off by a little.
        let cpu = annotation("kwok.x-k8s.io/usage-cpu") * 1000.0;
        assert!(
            close(*cpu_millis, cpu, (cpu * 0.03).max(3.0)),
            "{pod}: cpu {cpu_millis}m, annotated {cpu}m"
        );
        let memory = annotation("kwok.x-k8s.io/usage-memory");
        assert!(
            close(*memory_bytes, memory, memory * 0.01),
            "{pod}: memory {memory_bytes}, annotated {memory}"
        );
        let millis = |v: Option<f64>| v.map(|c| c * 1000.0);
        assert_eq!(
            *cpu_request_millis,
            millis(template_sum(&sts, "requests", "cpu")),
            "{pod}"
        );
        assert_eq!(
            *cpu_limit_millis,
            millis(template_sum(&sts, "limits", "cpu")),
            "{pod}"
        );
        assert_eq!(
            *memory_request_bytes,
            template_sum(&sts, "requests", "memory"),
            "{pod}"
        );
        assert_eq!(
            *memory_limit_bytes,
            template_sum(&sts, "limits", "memory"),
            "{pod}"
        );
        assert!(cpu_request_millis.is_some() && memory_limit_bytes.is_some());
    }
}

fn value_of(values: &[ScrapedValue], level: usize, metric: usize) -> Vec<(Option<String>, f64)> {
    values
        .iter()
        .filter(|v| v.level == level && v.metric == metric)
        .map(|v| (v.group.clone(), v.value))
        .collect()
}

#[tokio::test]
async fn kafka_charts_through_port_forward() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    let target = instance("team-a", "orders", "kafka", ServiceKind::Operator);
    let mut task = Task::start(&client, target, 42);
    let started = Instant::now();
    let levels = task
        .until(Duration::from_secs(30), "the layout", |event| match event {
            MetricsEvent::Layout { levels, .. } => Some(levels.clone()),
            _ => None,
        })
        .await;
    let names: Vec<&str> = levels.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["Cluster", "Broker"]);
    let cluster: Vec<(&str, Option<&str>, bool)> = levels[0]
        .metrics
        .iter()
        .map(|m| (m.title.as_str(), m.unit.as_deref(), m.selected))
        .collect();
    assert_eq!(
        cluster,
        [
            ("Messages in per second", Some("msg/s"), true),
            ("Under-replicated partitions", Some("partitions"), true),
            ("Offline partitions", Some("partitions"), false),
            ("Active controllers", None, false),
        ]
    );
    assert_eq!(levels[1].group_label.as_deref(), Some("pod"));
    assert_eq!(levels[1].metrics.len(), 5);
    assert_eq!(levels[1].metrics[0].title, "Bytes in per second");

    // The first round has the gauges; the rates need a second.
    let (values, via) = task
        .until(
            TWO_ROUNDS,
            "a scrape with a message rate",
            |event| match event {
                MetricsEvent::Scraped { values, via, .. } if !value_of(values, 0, 0).is_empty() => {
                    Some((values.clone(), via.clone()))
                }
                MetricsEvent::ScrapeMissing { reason, .. } => panic!("scrape missing: {reason}"),
                _ => None,
            },
        )
        .await;
    eprintln!(
        "rates after {:.1}s via {via}: {values:#?}",
        started.elapsed().as_secs_f64()
    );
    assert_eq!(via, "port-forward");
    let rate = value_of(&values, 0, 0);
    assert_eq!(rate.len(), 1, "{rate:?}");
    let (group, messages) = &rate[0];
    assert_eq!(*group, None);
    // sim-exporter: each broker takes 100 to 160 msg/s.
    assert!(
        (3.0 * 95.0..=3.0 * 165.0).contains(messages),
        "messages in: {messages}/s"
    );
    // One active controller among the three brokers, no offline partition.
    assert_eq!(value_of(&values, 0, 3), [(None, 1.0)]);
    assert_eq!(value_of(&values, 0, 2), [(None, 0.0)]);
    // The Broker level: one line per pod.
    let bytes_in = value_of(&values, 1, 0);
    let pods: Vec<Option<&str>> = bytes_in.iter().map(|(g, _)| g.as_deref()).collect();
    assert_eq!(pods, [Some("orders-0"), Some("orders-1"), Some("orders-2")]);
    assert!(bytes_in.iter().all(|(_, v)| *v > 0.0), "{bytes_in:?}");
    // The p99 produce latency of each broker, a gauge.
    let latency = value_of(&values, 1, 2);
    assert_eq!(latency.len(), 3, "{latency:?}");
    assert!(
        latency.iter().all(|(_, ms)| (1.0..100.0).contains(ms)),
        "{latency:?}"
    );
}

#[tokio::test]
async fn services_without_monitor_config() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    for (target, service) in [
        (
            instance("cache", "web-cache", "memcached", ServiceKind::Helm),
            "memcached",
        ),
        (
            instance("team-a", "zookeeper", "zookeeper", ServiceKind::Operator),
            "zookeeper",
        ),
    ] {
        let mut task = Task::start(&client, target, 43);
        let reason = task
            .until(
                Duration::from_secs(30),
                "no MonitorConfig",
                |event| match event {
                    MetricsEvent::ScrapeMissing { reason, .. } => Some(reason.clone()),
                    MetricsEvent::Layout { .. } | MetricsEvent::Scraped { .. } => {
                        panic!("{service}: {event:?}")
                    }
                    _ => None,
                },
            )
            .await;
        assert_eq!(reason, format!("no MonitorConfig for {service}"));
        // The usage is read all the same.
        task.until(FIRST_USAGE, "usage", |event| match event {
            MetricsEvent::Usage { pods, .. } if !pods.is_empty() => Some(()),
            _ => None,
        })
        .await;
    }
}

#[tokio::test]
async fn pods_without_an_exporter_name_the_port() {
    let Some(client) = common::sandbox_client().await else {
        return;
    };
    common::with_namespace(&client, "metrics", |client, namespace| async move {
        // A Kafka broker of an instance outside the sample namespaces: the
        // MonitorConfig selects it, but nothing serves its port 9308.
        let pod: Pod = serde_json::from_value(json!({
            "metadata": {
                "name": "lonely-0",
                "labels": {
                    "app.kubernetes.io/instance": "lonely",
                    "app.kubernetes.io/name": "kafka"
                }
            },
            "spec": {
                "containers": [{
                    "name": "kafka",
                    "image": "registry.invalid/osctest/kafka:3.7.1",
                    "ports": [{"name": "metrics", "containerPort": 9308}]
                }],
                "tolerations": [{ "key": "kwok.x-k8s.io/node", "operator": "Exists", "effect": "NoSchedule" }],
                "terminationGracePeriodSeconds": 0
            }
        }))
        .expect("a valid pod");
        let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
        pods.create(&PostParams::default(), &pod)
            .await
            .expect("create the pod");
        common::eventually(
            "the pod running",
            Duration::from_secs(60),
            Duration::from_millis(200),
            || async {
                let pod = pods.get("lonely-0").await.map_err(|e| e.to_string())?;
                let phase = pod.status.and_then(|s| s.phase);
                match phase.as_deref() {
                    Some("Running") => Ok(()),
                    other => Err(format!("phase {other:?}")),
                }
            },
        )
        .await;

        let target = instance(&namespace, "lonely", "kafka", ServiceKind::Operator);
        let mut task = Task::start(&client, target, 44);
        task.until(Duration::from_secs(30), "the layout", |event| {
            matches!(event, MetricsEvent::Layout { .. }).then_some(())
        })
        .await;
        let started = Instant::now();
        let reason = task
            .until(Duration::from_secs(30), "the scrape failing", |event| match event {
                MetricsEvent::ScrapeMissing { reason, .. } => Some(reason.clone()),
                MetricsEvent::Scraped { .. } => panic!("scraped: {event:?}"),
                _ => None,
            })
            .await;
        eprintln!(
            "failed after {:.1}s: {reason}",
            started.elapsed().as_secs_f64()
        );
        let head = format!("exporter port 9308 of {namespace}/lonely-0 unreachable: ");
        assert!(reason.starts_with(&head), "{reason}");
        // Both ways, each with its reason.
        assert!(reason.contains("pod proxy: "), "{reason}");
        assert!(reason.contains("; port-forward: "), "{reason}");
        assert!(reason.contains("9308"), "{reason}");
        assert!(!reason.chars().any(char::is_control), "{reason:?}");
    })
    .await;
}

/// A stand-in for the API server, for what the sandbox cannot show: the pod
/// proxy answering (the sandbox's pod IPs are loopback addresses, which the
/// API server refuses to proxy to), Prometheus behind the service proxy,
/// and metrics.k8s.io failing, then recovering. Answers one request per
/// connection.
mod fake {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use serde_json::{Value, json};
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    use tokio::net::TcpListener;

    /// What the fake server saw.
    #[derive(Default)]
    pub struct Seen {
        /// Requests by path (without the query).
        pub paths: Vec<String>,
        /// Decoded `query` parameters of Prometheus queries.
        pub queries: Vec<String>,
        /// Exporter reads per pod.
        pub scrapes: HashMap<String, u32>,
    }

    /// Starts the server; returns its URL and what it sees.
    pub async fn start() -> (String, Arc<Mutex<Seen>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let shared = seen.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let seen = shared.clone();
                tokio::spawn(async move {
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") {
                        match socket.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let target = head.split(' ').nth(1).unwrap_or_default().to_owned();
                    let (code, body) = answer(&target, &seen);
                    let reply = format!(
                        "HTTP/1.1 {code} X\r\nContent-Type: application/json\r\n\
                         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = socket.write_all(reply.as_bytes()).await;
                    let _ = socket.shutdown().await;
                });
            }
        });
        (url, seen)
    }

    fn status(code: u16, reason: &str, message: &str) -> (u16, String) {
        let body = json!({"kind": "Status", "apiVersion": "v1", "status": "Failure",
            "message": message, "reason": reason, "code": code});
        (code, body.to_string())
    }

    /// Undoes percent-encoding (what the console does to a query).
    fn decode(text: &str) -> String {
        let mut out = Vec::new();
        let mut rest = text.as_bytes();
        while let Some((&b, tail)) = rest.split_first() {
            let hex = tail
                .get(..2)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            match (b, hex) {
                (b'%', Some(decoded)) => {
                    out.push(decoded);
                    rest = &tail[2..];
                }
                _ => {
                    out.push(b);
                    rest = tail;
                }
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }

    fn pod(name: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "shop",
                "labels": {"app": "cart", "app.kubernetes.io/instance": "cart"}},
            "spec": {"containers": [{"name": "app", "resources": {
                "requests": {"cpu": "100m", "memory": "128Mi"},
                "limits": {"cpu": "1", "memory": "256Mi"}}}]},
            "status": {"phase": "Running"}})
    }

    fn answer(target: &str, seen: &Mutex<Seen>) -> (u16, String) {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut seen = seen.lock().expect("lock");
        seen.paths.push(path.to_owned());
        match path {
            "/api/v1/namespaces/shop/pods" => {
                let list = json!({"kind": "PodList", "apiVersion": "v1", "metadata": {},
                    "items": [pod("cart-0"), pod("cart-1")]});
                (200, list.to_string())
            }
            "/apis/metrics.k8s.io/v1beta1/namespaces/shop/pods" => {
                // Not there at first, as before metrics-server is installed
                // (a 503 would be retried by kube until the round's timeout).
                let asked = seen.paths.iter().filter(|p| **p == path).count();
                if asked == 1 {
                    return status(
                        404,
                        "NotFound",
                        "the server could not find the requested resource",
                    );
                }
                let metrics = |name: &str, cpu: &str| {
                    json!({"metadata": {"name": name, "namespace": "shop"},
                        "timestamp": "2026-11-28T00:00:00Z", "window": "10s",
                        "containers": [{"name": "app", "usage": {"cpu": cpu, "memory": "100Mi"}}]})
                };
                let list = json!({"kind": "PodMetricsList", "apiVersion": "metrics.k8s.io/v1beta1",
                    "metadata": {}, "items": [metrics("cart-0", "150m"), metrics("cart-1", "50000000n")]});
                (200, list.to_string())
            }
            "/apis/osc.io/v1beta1/customservicedefinitions/cart" => {
                let csd = json!({"apiVersion": "osc.io/v1beta1", "kind": "CustomServiceDefinition",
                    "metadata": {"name": "cart"},
                    "spec": {"displayName": "Cart", "capabilityRequirements": [{
                        "apiVersion": "osc.io/v1", "kind": "MonitorConfig",
                        "spec": {"monitorConfigItems": [{
                            "labelSelector": {"matchLabels": {"app": "cart"}},
                            "prometheus": {"exporterPort": 9100},
                            "displayOptions": {"levels": [
                                {"name": "Shop", "metrics": [
                                    {"title": "Queue", "name": "queue_depth"},
                                    {"title": "Orders", "name": "orders_total",
                                     "query": "sum(rate(orders_total[1m]))", "unit": "orders/s"}]},
                                {"name": "Pods", "groupLabel": "pod", "metrics": [
                                    {"title": "Orders", "name": "orders_total"}]}]}}]}}]}});
                (200, csd.to_string())
            }
            "/api/v1/namespaces/shop/pods/cart-0:9100/proxy/metrics"
            | "/api/v1/namespaces/shop/pods/cart-1:9100/proxy/metrics" => {
                let pod = if path.contains("cart-0") {
                    "cart-0"
                } else {
                    "cart-1"
                };
                let n = seen.scrapes.entry(pod.to_owned()).or_default();
                *n += 1;
                // 50 orders between two reads; queue depth 3 and 4.
                let page = format!(
                    "# TYPE orders_total counter\norders_total {}\nqueue_depth {}\n",
                    1000 + 50 * *n,
                    if pod == "cart-0" { 3 } else { 4 }
                );
                (200, page)
            }
            "/api/v1/namespaces/mon/services/prom:9090/proxy/api/v1/query" => {
                let asked = query.strip_prefix("query=").map(decode).unwrap_or_default();
                seen.queries.push(asked);
                let answer = json!({"status": "success", "data": {"resultType": "vector",
                    "result": [{"metric": {}, "value": [1_700_000_000.0, "42.5"]}]}});
                (200, answer.to_string())
            }
            _ => status(
                404,
                "NotFound",
                "the server could not find the requested resource",
            ),
        }
    }
}

#[tokio::test]
async fn pod_proxy_prometheus_and_recovery_on_a_fake_api_server() {
    let (url, seen) = fake::start().await;
    let config = kube::Config::new(url.parse().expect("url"));
    let client = Client::try_from(config).expect("client");
    let mut task = Task::with_prometheus(
        &client,
        instance("shop", "cart", "cart", ServiceKind::Operator),
        7,
        Some("mon/prom:9090".to_owned()),
    );
    let mut events = Vec::new();
    // Two rounds, 10 s apart.
    let deadline = Instant::now() + Duration::from_secs(25);
    while events
        .iter()
        .filter(|e| matches!(e, MetricsEvent::Scraped { .. }))
        .count()
        < 2
    {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, task.rx.recv()).await {
            Ok(Some(Msg::Metrics(event))) => events.push(event),
            other => panic!("{other:?} after {events:#?}"),
        }
    }
    assert!(events.iter().all(|e| e.session() == 7));
    let first_usage = events.iter().find(|e| {
        matches!(
            e,
            MetricsEvent::UsageMissing { .. } | MetricsEvent::Usage { .. }
        )
    });
    assert_eq!(
        first_usage,
        Some(&MetricsEvent::UsageMissing {
            session: 7,
            reason: "metrics.k8s.io is not served: metrics-server is not installed".to_owned()
        })
    );
    // Recovered in the second round.
    let usage = events
        .iter()
        .find_map(|e| match e {
            MetricsEvent::Usage { pods, .. } => Some(pods.clone()),
            _ => None,
        })
        .expect("a Usage after the 404");
    assert_eq!(usage.len(), 2);
    assert_eq!(usage[0].pod, "cart-0");
    assert!((usage[0].cpu_millis - 150.0).abs() < 1e-9);
    assert!((usage[1].cpu_millis - 50.0).abs() < 1e-9);
    assert_eq!(usage[1].memory_bytes, 100.0 * 1024.0 * 1024.0);
    assert_eq!(usage[0].cpu_limit_millis, Some(1000.0));
    assert_eq!(usage[0].memory_request_bytes, Some(128.0 * 1024.0 * 1024.0));

    let layout = events
        .iter()
        .find_map(|e| match e {
            MetricsEvent::Layout { levels, .. } => Some(levels.clone()),
            _ => None,
        })
        .expect("a layout");
    assert_eq!(layout.len(), 2);
    assert_eq!(layout[0].metrics[1].unit.as_deref(), Some("orders/s"));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, MetricsEvent::ScrapeMissing { .. })),
        "{events:#?}"
    );
    let scraped: Vec<(Vec<ScrapedValue>, String)> = events
        .iter()
        .filter_map(|e| match e {
            MetricsEvent::Scraped { values, via, .. } => Some((values.clone(), via.clone())),
            _ => None,
        })
        .collect();
    for (values, via) in &scraped {
        assert_eq!(via, "Prometheus and pod proxy");
        // The gauge from both pods' exporters, the query from Prometheus.
        assert_eq!(value_of(values, 0, 0), [(None, 7.0)]);
        assert_eq!(value_of(values, 0, 1), [(None, 42.5)]);
    }
    // The per-pod counter has a rate from the second round on: 50 orders
    // in about 10 s.
    assert!(value_of(&scraped[0].0, 1, 0).is_empty());
    let rates = value_of(&scraped[1].0, 1, 0);
    let pods: Vec<Option<&str>> = rates.iter().map(|(g, _)| g.as_deref()).collect();
    assert_eq!(pods, [Some("cart-0"), Some("cart-1")]);
    for (_, rate) in &rates {
        assert!((4.0..6.5).contains(rate), "{rates:?}");
    }
    let seen = seen.lock().expect("lock");
    assert_eq!(seen.queries, ["sum(rate(orders_total[1m]))"; 2]);
    // The pod proxy worked, so no port-forward was tried.
    assert!(seen.paths.iter().all(|p| !p.ends_with("/portforward")));
    assert_eq!(seen.scrapes.values().copied().collect::<Vec<_>>(), [2, 2]);
}
