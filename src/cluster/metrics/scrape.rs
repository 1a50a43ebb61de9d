//! Reading the MonitorConfig's charts: the exporters of the selected pods
//! (through the API server's pod proxy, else a port-forward), or
//! Prometheus through the API server's service proxy.
//!
//! Evaluation follows what the charts' PromQL does: a chart's `name`
//! selects series, summed over every matching series of every pod, split
//! by the level's `groupLabel`; counters become a rate per second between
//! two scrapes. Like Prometheus's Kubernetes discovery, every scraped series
//! also carries its pod's `pod` and `namespace` labels (unless it has its
//! own), so `groupLabel: pod` works on exporters that do not know their pod.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::time::Duration;

use futures::StreamExt as _;
use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::Api;
use serde_json::Value;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::time::Instant;

use super::config::Plan;
use crate::domain::prometheus::{self, Exposition, Selector};
use crate::domain::text::clean;
use crate::state::detail::InstanceRef;
use crate::state::monitor::{MetricsEvent, ScrapedValue};

/// Longest wait for one way of reading one exporter.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read from an exporter or Prometheus.
const MAX_ANSWER: usize = 8 * 1024 * 1024;
/// Exporters read at the same time.
const PARALLEL: usize = 8;

/// Where a chart's values come from.
#[derive(Debug, Clone)]
pub(super) enum Source {
    /// The series a `name` selects, from the exporters.
    Exporter(Selector),
    /// A PromQL query for Prometheus.
    Prometheus(String),
    /// Cannot be read (said once after the layout).
    Nothing,
}

/// How an exporter was reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Via {
    PodProxy,
    PortForward,
}

impl Via {
    fn words(self) -> &'static str {
        match self {
            Via::PodProxy => "pod proxy",
            Via::PortForward => "port-forward",
        }
    }
}

/// One exporter page of one pod.
#[derive(Debug)]
pub(super) struct Page {
    /// Items of the plan whose selector covers the pod.
    pub items: Vec<usize>,
    /// Pod name (the `pod` label).
    pub pod: String,
    /// Namespace (the `namespace` label).
    pub namespace: String,
    /// When it was read, seconds on a monotonic clock.
    pub at: f64,
    /// The exposition.
    pub page: Exposition,
}

/// The last value of one counter sum of one pod, for rates.
type RateKey = (usize, usize, String, Option<String>);

/// Counter values of the previous scrape.
#[derive(Debug, Default)]
pub(super) struct Rates {
    last: HashMap<RateKey, (f64, f64)>,
}

/// The exporter reading of a session: which way works for each pod, and
/// the counters of the last round.
pub(super) struct Scraper {
    client: Client,
    namespace: String,
    ways: HashMap<String, Via>,
    rates: Rates,
    started: Instant,
}

impl Scraper {
    pub(super) fn new(client: Client, namespace: String) -> Self {
        Self {
            client,
            namespace,
            ways: HashMap::new(),
            rates: Rates::default(),
            started: Instant::now(),
        }
    }

    /// One round over every chart of `plan`: `Scraped` with what could be
    /// read, or `ScrapeMissing` when nothing could.
    pub(super) async fn round(
        &mut self,
        plan: &Plan,
        target: &InstanceRef,
        pods: &[Pod],
    ) -> MetricsEvent {
        let wants_exporters = plan
            .levels
            .iter()
            .any(|l| l.metrics.iter().any(|m| matches!(m, Source::Exporter(_))));
        let wants_prometheus = plan
            .levels
            .iter()
            .any(|l| l.metrics.iter().any(|m| matches!(m, Source::Prometheus(_))));
        let client = self.client.clone();
        let exporters = async {
            if wants_exporters {
                Some(self.scrape_exporters(plan, target, pods).await)
            } else {
                None
            }
        };
        let prometheus = async {
            match (&plan.prometheus, wants_prometheus) {
                (Some(address), true) => Some(query_all(&client, plan, address).await),
                _ => None,
            }
        };
        let (exporters, prometheus) = tokio::join!(exporters, prometheus);

        let mut values = Vec::new();
        let mut ways: BTreeSet<&str> = BTreeSet::new();
        let mut first_error = None;
        match exporters {
            Some(Ok((pages, used))) => {
                values.extend(evaluate(plan, &pages, &mut self.rates));
                ways.extend(used.into_iter().map(Via::words));
            }
            Some(Err(e)) => first_error = Some(e),
            None => {}
        }
        match prometheus {
            Some(Ok(found)) => {
                values.extend(found);
                ways.insert("Prometheus");
            }
            Some(Err(e)) => {
                first_error.get_or_insert(e);
            }
            None => {}
        }
        if ways.is_empty() {
            return MetricsEvent::ScrapeMissing {
                session: 0,
                reason: first_error.unwrap_or_else(|| "nothing to read".to_owned()),
            };
        }
        if let Some(e) = first_error {
            tracing::info!(error = e, "part of the charts could not be read");
        }
        values.sort_by(|a, b| (a.level, a.metric, &a.group).cmp(&(b.level, b.metric, &b.group)));
        MetricsEvent::Scraped {
            session: 0,
            at: crate::cluster::watch::now(),
            values,
            via: ways.into_iter().collect::<Vec<_>>().join(" and "),
        }
    }

    /// Reads the exporter of every running pod an item with exporter charts
    /// selects. Ok with the pages and the ways used when at least one pod
    /// answered; otherwise the first error.
    async fn scrape_exporters(
        &mut self,
        plan: &Plan,
        target: &InstanceRef,
        pods: &[Pod],
    ) -> Result<(Vec<Page>, BTreeSet<Via>), String> {
        // The items that have exporter charts.
        let wanted: BTreeSet<usize> = plan
            .levels
            .iter()
            .filter(|l| l.metrics.iter().any(|m| matches!(m, Source::Exporter(_))))
            .map(|l| l.item)
            .collect();
        // One read per pod, port and path, whatever number of items ask.
        let mut reads: BTreeMap<(String, u16, String), Vec<usize>> = BTreeMap::new();
        for pod in pods.iter().filter(|p| is_running(p)) {
            let Some(name) = pod.metadata.name.clone() else {
                continue;
            };
            let labels = pod.metadata.labels.clone().unwrap_or_default();
            for &index in &wanted {
                let Some(item) = plan.items.get(index) else {
                    continue;
                };
                if !item.label_selector.matches(&labels) {
                    continue;
                }
                let key = (
                    name.clone(),
                    item.prometheus.exporter_port,
                    item.prometheus.path.clone(),
                );
                reads.entry(key).or_default().push(index);
            }
        }
        if reads.is_empty() {
            return Err(format!(
                "no running pod of {}/{} matches the MonitorConfig's labelSelector",
                clean(&target.namespace),
                clean(&target.name)
            ));
        }
        let started = self.started;
        // Owned parts only: the futures must be Send for any lifetime.
        let jobs: Vec<_> = reads
            .into_iter()
            .map(|((pod, port, path), items)| {
                let prefer = self.ways.get(&pod).copied();
                (
                    self.client.clone(),
                    self.namespace.clone(),
                    pod,
                    port,
                    path,
                    items,
                    prefer,
                )
            })
            .collect();
        let results: Vec<_> = futures::stream::iter(jobs)
            .map(
                |(client, namespace, pod, port, path, items, prefer)| async move {
                    let read = fetch(&client, &namespace, &pod, port, &path, prefer).await;
                    (pod, items, read, started.elapsed().as_secs_f64())
                },
            )
            .buffer_unordered(PARALLEL)
            .collect()
            .await;

        let mut pages = Vec::new();
        let mut used = BTreeSet::new();
        let mut errors = Vec::new();
        let mut seen = HashSet::new();
        for (pod, items, read, at) in results {
            seen.insert(pod.clone());
            match read {
                Ok((text, via)) => {
                    self.ways.insert(pod.clone(), via);
                    used.insert(via);
                    let page = prometheus::parse(&text);
                    if page.skipped > 0 {
                        tracing::debug!(pod, skipped = page.skipped, "unreadable exporter lines");
                    }
                    pages.push(Page {
                        items,
                        pod,
                        namespace: self.namespace.clone(),
                        at,
                        page,
                    });
                }
                Err(e) => {
                    self.ways.remove(&pod);
                    errors.push((pod, e));
                }
            }
        }
        self.ways.retain(|pod, _| seen.contains(pod));
        if pages.is_empty() {
            errors.sort();
            return Err(errors
                .into_iter()
                .next()
                .map_or_else(|| "no exporter answered".to_owned(), |(_, e)| e));
        }
        for (pod, e) in &errors {
            tracing::info!(pod, error = e, "exporter not read");
        }
        pages.sort_by(|a, b| a.pod.cmp(&b.pod));
        Ok((pages, used))
    }
}

fn is_running(pod: &Pod) -> bool {
    pod.metadata.deletion_timestamp.is_none()
        && pod.status.as_ref().and_then(|s| s.phase.as_deref()) == Some("Running")
}

/// Reads `path` of `port` of `pod`, the remembered way first, then the
/// other. The error names both attempts.
async fn fetch(
    client: &Client,
    namespace: &str,
    pod: &str,
    port: u16,
    path: &str,
    prefer: Option<Via>,
) -> Result<(String, Via), String> {
    let order = match prefer {
        Some(Via::PortForward) => [Via::PortForward, Via::PodProxy],
        _ => [Via::PodProxy, Via::PortForward],
    };
    let mut failures = Vec::new();
    for via in order {
        let attempt = async {
            match via {
                Via::PodProxy => pod_proxy(client, namespace, pod, port, path).await,
                Via::PortForward => port_forward(client, namespace, pod, port, path).await,
            }
        };
        let result = tokio::time::timeout(SCRAPE_TIMEOUT, attempt)
            .await
            .unwrap_or_else(|_| Err(format!("no answer within {}s", SCRAPE_TIMEOUT.as_secs())));
        match result {
            Ok(text) => return Ok((text, via)),
            Err(e) => failures.push(format!("{}: {e}", via.words())),
        }
    }
    // The order tried depends on the past; the message should not.
    failures.sort();
    Err(format!(
        "exporter port {port} of {}/{} unreachable: {}",
        clean(namespace),
        clean(pod),
        failures.join("; ")
    ))
}

/// GET through the API server's pod proxy.
async fn pod_proxy(
    client: &Client,
    namespace: &str,
    pod: &str,
    port: u16,
    path: &str,
) -> Result<String, String> {
    let url = format!("/api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy{path}");
    get_through_api(client, &url).await
}

/// A GET of `url` on the API server, the answer capped at [`MAX_ANSWER`].
async fn get_through_api(client: &Client, url: &str) -> Result<String, String> {
    use futures::AsyncReadExt as _;
    // kube builds the request (and knows the http crate); only its URI is ours.
    let mut request = kube::core::Request::new("/")
        .get("x", &kube::api::GetParams::default())
        .map_err(|e| clean(&e.to_string()))?;
    *request.uri_mut() = url.parse().map_err(|e| format!("{}: {e}", clean(url)))?;
    let stream = client
        .request_stream(request)
        .await
        .map_err(|e| proxy_error(&e))?;
    let mut body = Vec::new();
    let cap = u64::try_from(MAX_ANSWER).unwrap_or(u64::MAX) + 1;
    Box::pin(stream)
        .take(cap)
        .read_to_end(&mut body)
        .await
        .map_err(|e| clean(&e.to_string()))?;
    if body.len() > MAX_ANSWER {
        return Err(format!(
            "the answer is larger than {} MiB",
            MAX_ANSWER >> 20
        ));
    }
    Ok(String::from_utf8_lossy(&body).into_owned())
}

fn proxy_error(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) if !status.message.is_empty() => {
            format!("{} ({})", clean(status.message.trim()), status.code)
        }
        kube::Error::Api(status) => format!("HTTP {}", status.code),
        other => clean(&other.to_string()),
    }
}

/// An HTTP/1.0 GET over a port-forward of the pod: the answer ends where
/// the connection does (or where its Content-Length says).
async fn port_forward(
    client: &Client,
    namespace: &str,
    pod: &str,
    port: u16,
    path: &str,
) -> Result<String, String> {
    let api: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let mut forwarder = api
        .portforward(pod, &[port])
        .await
        .map_err(|e| proxy_error(&e))?;
    let error = forwarder.take_error(port);
    let Some(mut stream) = forwarder.take_stream(port) else {
        forwarder.abort();
        return Err("no stream for the port".to_owned());
    };
    let request = format!(
        "GET {path} HTTP/1.0\r\nHost: localhost:{port}\r\n\
         Accept: text/plain;version=0.0.4\r\nUser-Agent: osctui\r\n\r\n"
    );
    let exchange = async {
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| clean(&e.to_string()))?;
        let mut answer = Vec::new();
        let mut chunk = vec![0u8; 64 * 1024];
        loop {
            let n = stream
                .read(&mut chunk)
                .await
                .map_err(|e| clean(&e.to_string()))?;
            if n == 0 {
                break;
            }
            answer.extend_from_slice(chunk.get(..n).unwrap_or_default());
            if answer.len() > MAX_ANSWER + 64 * 1024 {
                return Err(format!(
                    "the answer is larger than {} MiB",
                    MAX_ANSWER >> 20
                ));
            }
            if is_complete(&answer) {
                break;
            }
        }
        Ok(answer)
    };
    let answer = exchange.await;
    forwarder.abort();
    let answer = answer?;
    if answer.is_empty() {
        // The reason (nothing listens, no such port) comes on the error channel.
        let reason = match error {
            Some(error) => tokio::time::timeout(Duration::from_secs(1), error)
                .await
                .ok()
                .flatten(),
            None => None,
        };
        return Err(reason.map_or_else(
            || "the connection closed without an answer".to_owned(),
            |r| clean(&r),
        ));
    }
    http_body(&answer)
}

/// Whether an HTTP answer with a Content-Length has all of its body.
fn is_complete(answer: &[u8]) -> bool {
    let Some(end) = header_end(answer) else {
        return false;
    };
    let head = String::from_utf8_lossy(answer.get(..end.0).unwrap_or_default());
    content_length(&head).is_some_and(|len| answer.len() >= end.1 + len)
}

/// Where the header ends and where the body starts.
fn header_end(answer: &[u8]) -> Option<(usize, usize)> {
    let crlf = answer.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = answer.windows(2).position(|w| w == b"\n\n");
    match (crlf, lf) {
        (Some(a), Some(b)) if b < a => Some((b, b + 2)),
        (Some(a), _) => Some((a, a + 4)),
        (None, Some(b)) => Some((b, b + 2)),
        (None, None) => None,
    }
}

fn content_length(head: &str) -> Option<usize> {
    head.lines().skip(1).find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim()
            .eq_ignore_ascii_case("content-length")
            .then(|| value.trim().parse().ok())
            .flatten()
    })
}

/// The body of an HTTP answer, or why there is none.
pub(super) fn http_body(answer: &[u8]) -> Result<String, String> {
    let Some((head_end, body_start)) = header_end(answer) else {
        return Err("not an HTTP answer".to_owned());
    };
    let head = String::from_utf8_lossy(answer.get(..head_end).unwrap_or_default());
    let status_line = head.lines().next().unwrap_or_default();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    let code: u16 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(0);
    if !version.starts_with("HTTP/") || code == 0 {
        return Err(format!("not an HTTP answer: {}", clean(status_line)));
    }
    if !(200..300).contains(&code) {
        return Err(format!(
            "HTTP {}",
            clean(status_line.get(version.len() + 1..).unwrap_or_default())
        ));
    }
    let chunked = head.lines().skip(1).any(|line| {
        line.split_once(':').is_some_and(|(name, value)| {
            name.trim().eq_ignore_ascii_case("transfer-encoding")
                && value.to_ascii_lowercase().contains("chunked")
        })
    });
    if chunked {
        return Err("a chunked answer to an HTTP/1.0 request".to_owned());
    }
    let mut body = answer.get(body_start..).unwrap_or_default();
    if let Some(len) = content_length(&head) {
        body = body.get(..len).unwrap_or(body);
    }
    Ok(String::from_utf8_lossy(body).into_owned())
}

/// The values of every exporter chart of `plan` from this round's pages.
pub(super) fn evaluate(plan: &Plan, pages: &[Page], rates: &mut Rates) -> Vec<ScrapedValue> {
    let mut out = Vec::new();
    let mut fresh = HashMap::new();
    for (level_index, level) in plan.levels.iter().enumerate() {
        for (metric_index, source) in level.metrics.iter().enumerate() {
            let Source::Exporter(selector) = source else {
                continue;
            };
            // group -> (sum, whether any value is known)
            let mut groups: BTreeMap<Option<String>, Option<f64>> = BTreeMap::new();
            for page in pages.iter().filter(|p| p.items.contains(&level.item)) {
                let mut sums: BTreeMap<Option<String>, f64> = BTreeMap::new();
                let mut counter = false;
                for sample in &page.page.samples {
                    if !selector_matches(selector, sample, page) || !sample.value.is_finite() {
                        continue;
                    }
                    let group = match &level.group_label {
                        None => None,
                        Some(label) => match group_value(label, sample, page) {
                            Some(value) => Some(value),
                            // Not split by that label: not on this chart.
                            None => continue,
                        },
                    };
                    counter |= page.page.is_counter(&sample.name);
                    *sums.entry(group).or_default() += sample.value;
                }
                for (group, sum) in sums {
                    let value = if counter {
                        let key = (level_index, metric_index, page.pod.clone(), group.clone());
                        let rate = rates.last.get(&key).and_then(|&(last, at)| {
                            let dt = page.at - at;
                            // A counter that went down was reset (a restart).
                            let grown = if sum >= last { sum - last } else { sum };
                            (dt > 0.0).then(|| grown / dt)
                        });
                        fresh.insert(key, (sum, page.at));
                        rate
                    } else {
                        Some(sum)
                    };
                    let entry = groups.entry(group).or_default();
                    if let Some(value) = value {
                        *entry = Some(entry.unwrap_or(0.0) + value);
                    }
                }
            }
            for (group, value) in groups {
                if let Some(value) = value {
                    out.push(ScrapedValue {
                        level: level_index,
                        metric: metric_index,
                        group: group.map(|g| clean(&g)),
                        value,
                    });
                }
            }
        }
    }
    // Pods and series that are gone are forgotten.
    rates.last = fresh;
    out
}

/// A selector matched against a series with its pod's target labels.
fn selector_matches(selector: &Selector, sample: &prometheus::Sample, page: &Page) -> bool {
    if selector.matches(sample) {
        return true;
    }
    // Only when a matcher names a target label the series lacks.
    let needs_target = selector.matchers.iter().any(|m| {
        (m.label == "pod" || m.label == "namespace") && !sample.labels.contains_key(&m.label)
    });
    if !needs_target {
        return false;
    }
    let mut with_target = sample.clone();
    with_target
        .labels
        .entry("pod".to_owned())
        .or_insert_with(|| page.pod.clone());
    with_target
        .labels
        .entry("namespace".to_owned())
        .or_insert_with(|| page.namespace.clone());
    selector.matches(&with_target)
}

/// The value of the group label for a series: its own label, else the
/// pod's target label.
fn group_value(label: &str, sample: &prometheus::Sample, page: &Page) -> Option<String> {
    if let Some(value) = sample.labels.get(label) {
        return Some(value.clone());
    }
    match label {
        "pod" => Some(page.pod.clone()),
        "namespace" => Some(page.namespace.clone()),
        _ => None,
    }
}

/// `namespace/service:port` split, or why it cannot be.
pub(super) fn service_address(address: &str) -> Result<(&str, &str, &str), String> {
    let bad = || format!("prometheus {address:?} is not NAMESPACE/SERVICE:PORT");
    let (namespace, rest) = address.split_once('/').ok_or_else(bad)?;
    let (service, port) = rest.rsplit_once(':').ok_or_else(bad)?;
    let ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    };
    if ok(namespace) && ok(service) && ok(port) {
        Ok((namespace, service, port))
    } else {
        Err(bad())
    }
}

/// Percent-encodes a query parameter value.
pub(super) fn encode_query(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Runs every Prometheus chart's query. Ok when at least one answered.
async fn query_all(
    client: &Client,
    plan: &Plan,
    address: &str,
) -> Result<Vec<ScrapedValue>, String> {
    let (namespace, service, port) = service_address(address).map_err(|e| clean(&e))?;
    let base =
        format!("/api/v1/namespaces/{namespace}/services/{service}:{port}/proxy/api/v1/query");
    let mut queries = Vec::new();
    for (level_index, level) in plan.levels.iter().enumerate() {
        for (metric_index, source) in level.metrics.iter().enumerate() {
            if let Source::Prometheus(query) = source {
                queries.push((level_index, metric_index, level.group_label.clone(), query));
            }
        }
    }
    // Owned parts only: the futures must be Send for any lifetime.
    let jobs: Vec<_> = queries
        .into_iter()
        .map(|(level, metric, group_label, query)| {
            let url = format!("{base}?query={}", encode_query(query));
            (client.clone(), level, metric, group_label, url)
        })
        .collect();
    let results: Vec<_> = futures::stream::iter(jobs)
        .map(|(client, level, metric, group_label, url)| async move {
            let answer = tokio::time::timeout(SCRAPE_TIMEOUT, get_through_api(&client, &url))
                .await
                .unwrap_or_else(|_| Err(format!("no answer within {}s", SCRAPE_TIMEOUT.as_secs())))
                .and_then(|text| query_result(&text, group_label.as_deref()));
            (level, metric, answer)
        })
        .buffer_unordered(PARALLEL)
        .collect()
        .await;
    let mut values = Vec::new();
    let mut first_error = None;
    let mut answered = false;
    for (level, metric, answer) in results {
        match answer {
            Ok(groups) => {
                answered = true;
                values.extend(groups.into_iter().map(|(group, value)| ScrapedValue {
                    level,
                    metric,
                    group,
                    value,
                }));
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    if answered {
        Ok(values)
    } else {
        Err(format!(
            "Prometheus {}: {}",
            clean(address),
            first_error.unwrap_or_else(|| "no query".to_owned())
        ))
    }
}

/// The values of a Prometheus `/api/v1/query` answer (a vector or a
/// scalar), summed per value of `group_label`.
pub(super) fn query_result(
    text: &str,
    group_label: Option<&str>,
) -> Result<Vec<(Option<String>, f64)>, String> {
    let answer: Value =
        serde_json::from_str(text).map_err(|_| "the answer is not Prometheus JSON".to_owned())?;
    if answer.get("status").and_then(Value::as_str) != Some("success") {
        let error = answer
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("the query failed");
        return Err(clean(error));
    }
    let data = answer.get("data").unwrap_or(&Value::Null);
    let number = |pair: &Value| -> Option<f64> {
        let value: f64 = pair.get(1)?.as_str()?.parse().ok()?;
        value.is_finite().then_some(value)
    };
    let mut groups: BTreeMap<Option<String>, f64> = BTreeMap::new();
    match data.get("resultType").and_then(Value::as_str) {
        Some("vector") => {
            let results = data
                .get("result")
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            for result in results {
                let Some(value) = result.get("value").and_then(number) else {
                    continue;
                };
                let group = match group_label {
                    None => None,
                    Some(label) => match result
                        .get("metric")
                        .and_then(|m| m.get(label))
                        .and_then(Value::as_str)
                    {
                        Some(g) => Some(clean(g)),
                        None => continue,
                    },
                };
                *groups.entry(group).or_default() += value;
            }
        }
        Some("scalar") => {
            if let Some(value) = data.get("result").and_then(number) {
                groups.insert(None, value);
            }
        }
        other => {
            return Err(format!(
                "a {} result, not a vector",
                clean(other.unwrap_or("missing"))
            ));
        }
    }
    Ok(groups.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::metrics::config::Plan;
    use crate::domain::monitor::MonitorConfig;
    use serde_json::json;

    fn plan() -> Plan {
        let config = MonitorConfig::from_spec(&json!({"monitorConfigItems": [{
            "prometheus": {"exporterPort": 9308},
            "displayOptions": {"levels": [
                {"name": "Cluster", "metrics": [
                    {"title": "in", "name": "msgs_total"},
                    {"title": "lag", "name": "lag"},
                    {"title": "p99", "name": "t{request=\"Produce\",quantile=\"0.99\"}"},
                    {"title": "absent", "name": "nothing_here"},
                    {"title": "this pod", "name": "lag{pod=\"b-1\"}"},
                ]},
                {"name": "Broker", "groupLabel": "pod", "metrics": [
                    {"title": "in", "name": "msgs_total"},
                    {"title": "lag", "name": "lag"},
                ]},
                {"name": "Topic", "groupLabel": "topic", "metrics": [
                    {"title": "in", "name": "msgs_total"},
                    {"title": "lag", "name": "lag"},
                ]},
            ]}
        }]}));
        assert!(config.problems.is_empty(), "{:?}", config.problems);
        Plan::new(&config, None)
    }

    fn page(pod: &str, at: f64, orders: f64, audit: f64, lag: f64) -> Page {
        let text = format!(
            "# TYPE msgs_total counter\n\
             msgs_total{{topic=\"orders\"}} {orders}\n\
             msgs_total{{topic=\"audit\"}} {audit}\n\
             lag {lag}\n\
             lag NaN\n\
             t{{request=\"Produce\",quantile=\"0.99\"}} 9\n\
             t{{request=\"Produce\",quantile=\"0.5\"}} 2\n\
             t{{request=\"Fetch\",quantile=\"0.99\"}} 500\n"
        );
        Page {
            items: vec![0],
            pod: pod.to_owned(),
            namespace: "team-a".to_owned(),
            at,
            page: prometheus::parse(&text),
        }
    }

    fn value(
        values: &[ScrapedValue],
        level: usize,
        metric: usize,
        group: Option<&str>,
    ) -> Option<f64> {
        values
            .iter()
            .find(|v| v.level == level && v.metric == metric && v.group.as_deref() == group)
            .map(|v| v.value)
    }

    #[test]
    fn gauges_at_once_counters_as_rates_from_the_second_scrape() {
        let plan = plan();
        let mut rates = Rates::default();
        let first = evaluate(
            &plan,
            &[
                page("b-0", 0.0, 1000.0, 100.0, 1.0),
                page("b-1", 0.0, 5000.0, 0.0, 2.0),
            ],
            &mut rates,
        );
        // No rate yet; the gauges are there, summed and split.
        assert_eq!(value(&first, 0, 0, None), None);
        assert_eq!(value(&first, 0, 1, None), Some(3.0));
        assert_eq!(value(&first, 0, 2, None), Some(9.0 + 9.0));
        assert_eq!(value(&first, 0, 3, None), None);
        assert_eq!(value(&first, 1, 1, Some("b-0")), Some(1.0));
        assert_eq!(value(&first, 1, 1, Some("b-1")), Some(2.0));
        // A matcher on the pod's target label.
        assert_eq!(value(&first, 0, 4, None), Some(2.0));
        // `lag` has no topic label: not on the Topic level's charts.
        assert!(first.iter().all(|v| !(v.level == 2 && v.metric == 1)));
        assert!(first.iter().all(|v| !(v.level == 2 && v.metric == 0)));

        let second = evaluate(
            &plan,
            &[
                page("b-0", 10.0, 2000.0, 150.0, 1.0),
                page("b-1", 10.0, 5500.0, 20.0, 4.0),
            ],
            &mut rates,
        );
        // (1000 + 50 + 500 + 20) / 10 s
        assert_eq!(value(&second, 0, 0, None), Some(157.0));
        assert_eq!(value(&second, 1, 0, Some("b-0")), Some(105.0));
        assert_eq!(value(&second, 1, 0, Some("b-1")), Some(52.0));
        assert_eq!(value(&second, 2, 0, Some("orders")), Some(150.0));
        assert_eq!(value(&second, 2, 0, Some("audit")), Some(7.0));
        assert_eq!(value(&second, 1, 1, Some("b-1")), Some(4.0));
        assert_eq!(value(&second, 0, 4, None), Some(4.0));

        // b-1 restarted (its counters went down), b-0 went away.
        let third = evaluate(&plan, &[page("b-1", 20.0, 100.0, 0.0, 0.0)], &mut rates);
        assert_eq!(value(&third, 0, 0, None), Some(10.0));
        assert_eq!(value(&third, 1, 0, Some("b-0")), None);
        assert_eq!(rates.last.len(), 1 + 1 + 2);
    }

    #[test]
    fn pages_of_other_items_are_not_used() {
        let plan = plan();
        let mut rates = Rates::default();
        let mut other = page("b-0", 0.0, 1.0, 1.0, 1.0);
        other.items = vec![1];
        assert!(evaluate(&plan, &[other], &mut rates).is_empty());
    }

    #[test]
    fn group_labels_from_the_series_win_over_the_target() {
        let plan = plan();
        let mut rates = Rates::default();
        let mut own = page("b-0", 0.0, 1.0, 1.0, 1.0);
        own.page = prometheus::parse("lag{pod=\"inner\"} 3\n");
        let values = evaluate(&plan, &[own], &mut rates);
        assert_eq!(value(&values, 1, 1, Some("inner")), Some(3.0));
        assert_eq!(value(&values, 1, 1, Some("b-0")), None);
        // Label values from pods are made safe.
        let mut escape = page("b-0", 0.0, 1.0, 1.0, 1.0);
        escape.page = prometheus::parse("lag{pod=\"a\u{1b}b\"} 5\n");
        let values = evaluate(&plan, &[escape], &mut rates);
        assert_eq!(value(&values, 1, 1, Some("a^[b")), Some(5.0));
    }

    #[test]
    fn http_answers() {
        assert_eq!(
            http_body(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nup 1\n").as_deref(),
            Ok("up 1\n")
        );
        assert_eq!(
            http_body(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nup 1\nmore").as_deref(),
            Ok("up 1")
        );
        assert_eq!(
            http_body(b"HTTP/1.0 200 OK\n\nbare\n").as_deref(),
            Ok("bare\n")
        );
        assert_eq!(
            http_body(b"HTTP/1.0 404 Not Found\r\n\r\nno").unwrap_err(),
            "HTTP 404 Not Found"
        );
        assert!(http_body(b"SSH-2.0-OpenSSH\r\n\r\n").is_err());
        assert!(http_body(b"HTTP/1.0 200 OK\r\nContent-").is_err());
        assert!(http_body(b"").is_err());
        assert!(
            http_body(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nup 1\r\n0\r\n\r\n"
            )
            .is_err()
        );
        // Content-Length larger than what came: what came.
        assert_eq!(
            http_body(b"HTTP/1.0 200 OK\r\nContent-Length: 99\r\n\r\nup").as_deref(),
            Ok("up")
        );
        assert!(is_complete(
            b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nup"
        ));
        assert!(!is_complete(
            b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nup"
        ));
        assert!(!is_complete(b"HTTP/1.0 200 OK\r\n\r\nup"));
    }

    #[test]
    fn prometheus_answers() {
        let vector = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"pod":"b-0"},"value":[1700000000.1,"1.5"]},
            {"metric":{"pod":"b-1"},"value":[1700000000.1,"2"]},
            {"metric":{"pod":"b-1","x":"y"},"value":[1700000000.1,"1"]},
            {"metric":{},"value":[1700000000.1,"NaN"]},
            {"metric":{},"value":[1700000000.1,"4"]}]}}"#;
        assert_eq!(
            query_result(vector, Some("pod")).unwrap(),
            [(Some("b-0".to_owned()), 1.5), (Some("b-1".to_owned()), 3.0)]
        );
        assert_eq!(query_result(vector, None).unwrap(), [(None, 8.5)]);
        let scalar = r#"{"status":"success","data":{"resultType":"scalar","result":[1,"7"]}}"#;
        assert_eq!(query_result(scalar, None).unwrap(), [(None, 7.0)]);
        let error = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 4"}"#;
        assert_eq!(
            query_result(error, None).unwrap_err(),
            "parse error at char 4"
        );
        assert!(query_result("<html>", None).is_err());
        let matrix = r#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(query_result(matrix, None).unwrap_err().contains("matrix"));
    }

    #[test]
    fn addresses_and_queries() {
        assert_eq!(
            service_address("monitoring/prometheus-k8s:9090"),
            Ok(("monitoring", "prometheus-k8s", "9090"))
        );
        assert_eq!(service_address("m/p:web"), Ok(("m", "p", "web")));
        for bad in [
            "prometheus:9090",
            "m/p",
            "m/:1",
            "/p:1",
            "m/p:",
            "m/p q:1",
            "m/p:1/x",
        ] {
            assert!(service_address(bad).is_err(), "{bad}");
        }
        assert_eq!(
            encode_query("sum by (pod) (rate(x{a=\"b\"}[1m]))"),
            "sum%20by%20%28pod%29%20%28rate%28x%7Ba%3D%22b%22%7D%5B1m%5D%29%29"
        );
        assert_eq!(encode_query("é"), "%C3%A9");
    }
}
