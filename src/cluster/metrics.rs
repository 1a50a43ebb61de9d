//! Metrics of one instance for the monitoring view.
//!
//! One task per open monitoring view ([`spawn`]), aborted when the view
//! closes. Every [`ROUND`] (the first at once) it:
//!
//! - lists the instance's pods ([`crate::cluster::instance_selector`]) and
//!   reads their PodMetrics from metrics.k8s.io ([`usage`]): a
//!   [`MetricsEvent::Usage`] with one entry per pod that metrics-server has
//!   a sample of (a pod it has none of yet is left out, so the view can say
//!   "no sample yet" for it), or [`MetricsEvent::UsageMissing`] in words;
//! - resolves the service's MonitorConfig from its CSD once ([`config`]):
//!   [`MetricsEvent::Layout`] when there is one, else a
//!   [`MetricsEvent::ScrapeMissing`] "no MonitorConfig for …";
//! - scrapes the exporters of the pods each MonitorConfig item selects, or
//!   asks Prometheus ([`scrape`]): [`MetricsEvent::Scraped`] with the values
//!   of that round, or [`MetricsEvent::ScrapeMissing`] when nothing could
//!   be read.
//!
//! Errors never end the task: each round tries again, so the view recovers
//! by itself when metrics-server or an exporter comes back.

mod config;
mod scrape;
mod usage;

use std::time::Duration;

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, ListParams};
use tokio::sync::mpsc::Sender;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

use crate::action::Msg;
use crate::domain::text::clean;
use crate::state::detail::InstanceRef;
use crate::state::monitor::{MetricsEvent, MetricsRequest};

/// Time between two readings: metrics-server's own resolution is 15 s on
/// most clusters, and exporters are usually scraped every 10 to 30 s.
pub const ROUND: Duration = Duration::from_secs(10);

/// Longest wait for one API request of a round (a list, a query).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(8);

/// Reads metrics.k8s.io and the MonitorConfig's exporters (or Prometheus)
/// for `request`, as [`Msg::Metrics`] events until aborted.
///
/// `prometheus` is the configured Prometheus (`namespace/service:port`,
/// reached through the API server's service proxy); with it, every chart
/// that has a PromQL `query` is read from Prometheus.
pub fn spawn(
    client: Client,
    request: MetricsRequest,
    tx: Sender<Msg>,
    prometheus: Option<String>,
) -> JoinHandle<()> {
    tokio::spawn(run(client, request, tx, prometheus))
}

async fn run(client: Client, request: MetricsRequest, tx: Sender<Msg>, prometheus: Option<String>) {
    let session = request.session;
    let target = request.instance;
    let mut monitor = config::Monitor::new(prometheus);
    let mut scraper = scrape::Scraper::new(client.clone(), target.namespace.clone());
    let mut ticker = tokio::time::interval(ROUND);
    // A slow round (unreachable exporters) delays the next instead of
    // being followed by a burst.
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let pods = list_pods(&client, &target).await;
        let (usage, scraped) = tokio::join!(
            usage::read(&client, &target, pods.as_deref()),
            monitor.round(&client, &target, pods.as_deref(), &mut scraper),
        );
        let events = std::iter::once(usage).chain(scraped);
        for event in events {
            let event = with_session(event, session);
            if tx.send(Msg::Metrics(event)).await.is_err() {
                // The app is gone.
                return;
            }
        }
    }
}

/// The instance's pods, sorted by name; an error in words.
async fn list_pods(client: &Client, target: &InstanceRef) -> Result<Vec<Pod>, String> {
    let api: Api<Pod> = Api::namespaced(client.clone(), &target.namespace);
    let params = ListParams::default().labels(&super::instance_selector(target));
    let listed = tokio::time::timeout(REQUEST_TIMEOUT, api.list(&params))
        .await
        .map_err(|_| format!("no answer within {}s", REQUEST_TIMEOUT.as_secs()))
        .and_then(|r| r.map_err(|e| describe(&e)));
    match listed {
        Ok(list) => {
            let mut pods = list.items;
            pods.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
            Ok(pods)
        }
        Err(e) => Err(format!(
            "the pods of {}/{} cannot be listed: {e}",
            clean(&target.namespace),
            clean(&target.name)
        )),
    }
}

/// The events are built without their session; it is set here.
fn with_session(mut event: MetricsEvent, id: u64) -> MetricsEvent {
    match &mut event {
        MetricsEvent::Usage { session, .. }
        | MetricsEvent::UsageMissing { session, .. }
        | MetricsEvent::Layout { session, .. }
        | MetricsEvent::Scraped { session, .. }
        | MetricsEvent::ScrapeMissing { session, .. } => *session = id,
    }
    event
}

/// A failed request in words: the API server's message, else the error.
fn describe(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) if !status.message.is_empty() => clean(&status.message),
        kube::Error::Api(status) => format!("HTTP {}", status.code),
        other => clean(&other.to_string()),
    }
}
