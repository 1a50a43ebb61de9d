//! The service's MonitorConfig: found through its CSD's
//! `capabilityRequirements` (a cluster-scoped `monitorconfigs.osc.io/v1`
//! object by `name`, or an inline `spec`), turned into the layout the view
//! draws and the plan of what to read for each chart.

use k8s_openapi::api::core::v1::Pod;
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};

use super::REQUEST_TIMEOUT;
use super::scrape::{Scraper, Source};
use crate::domain::csd::{CapabilityKind, CustomServiceDefinition};
use crate::domain::monitor::{MonitorConfig, MonitorConfigItem};
use crate::domain::prometheus::Selector;
use crate::domain::text::clean;
use crate::state::detail::InstanceRef;
use crate::state::monitor::{LevelLayout, MetricLayout, MetricsEvent};

fn csd_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("osc.io", "v1beta1", "CustomServiceDefinition");
    ApiResource::from_gvk_with_plural(&gvk, "customservicedefinitions")
}

fn monitor_config_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("osc.io", "v1", "MonitorConfig");
    ApiResource::from_gvk_with_plural(&gvk, "monitorconfigs")
}

/// What is known of the MonitorConfig so far.
pub(super) struct Monitor {
    prometheus: Option<String>,
    state: State,
}

enum State {
    /// Not read yet, or the last attempt failed in a way a retry may cure.
    Unresolved,
    /// The service has none: said once, nothing more to do.
    Absent,
    /// Read; the layout has been sent.
    Ready(Plan),
}

/// How a MonitorConfig was found.
enum Resolved {
    Config(MonitorConfig),
    /// It will not appear by retrying (no CSD, no requirement).
    Absent(String),
    /// A failure worth retrying next round (forbidden, not created yet).
    Failed(String),
}

impl Monitor {
    pub(super) fn new(prometheus: Option<String>) -> Self {
        Self {
            prometheus,
            state: State::Unresolved,
        }
    }

    /// One round: resolves the MonitorConfig while it is not known, then
    /// reads the charts. Sessions are set by the caller.
    pub(super) async fn round(
        &mut self,
        client: &Client,
        target: &InstanceRef,
        pods: Result<&[Pod], &String>,
        scraper: &mut Scraper,
    ) -> Vec<MetricsEvent> {
        let mut events = Vec::new();
        if matches!(self.state, State::Unresolved) {
            match resolve(client, target).await {
                Resolved::Config(config) => {
                    let plan = Plan::new(&config, self.prometheus.as_deref());
                    events.push(MetricsEvent::Layout {
                        session: 0,
                        levels: plan.layout.clone(),
                    });
                    if let Some(reason) = plan.skipped_reason() {
                        events.push(MetricsEvent::ScrapeMissing { session: 0, reason });
                    }
                    self.state = State::Ready(plan);
                }
                Resolved::Absent(reason) => {
                    self.state = State::Absent;
                    return vec![MetricsEvent::ScrapeMissing { session: 0, reason }];
                }
                Resolved::Failed(reason) => {
                    return vec![MetricsEvent::ScrapeMissing { session: 0, reason }];
                }
            }
        }
        let State::Ready(plan) = &self.state else {
            return events;
        };
        if !plan.reads_anything() {
            return events;
        }
        let pods = match pods {
            Ok(pods) => pods,
            Err(reason) => {
                events.push(MetricsEvent::ScrapeMissing {
                    session: 0,
                    reason: reason.clone(),
                });
                return events;
            }
        };
        events.push(scraper.round(plan, target, pods).await);
        events
    }
}

/// Finds and reads the MonitorConfig of `target`'s service.
async fn resolve(client: &Client, target: &InstanceRef) -> Resolved {
    let service = clean(&target.service);
    let none = || format!("no MonitorConfig for {service}");
    let csds = Api::<DynamicObject>::all_with(client.clone(), &csd_resource());
    let object = match tokio::time::timeout(REQUEST_TIMEOUT, csds.get_opt(&target.service)).await {
        Ok(Ok(Some(object))) => object,
        // A Helm chart usually has no CSD at all.
        Ok(Ok(None)) => return Resolved::Absent(none()),
        Ok(Err(e)) => {
            return Resolved::Failed(format!(
                "the CSD of {service} cannot be read: {}",
                super::describe(&e)
            ));
        }
        Err(_) => {
            return Resolved::Failed(format!(
                "the CSD of {service} was not read within {}s",
                REQUEST_TIMEOUT.as_secs()
            ));
        }
    };
    let csd = match serde_json::to_value(&object)
        .map_err(|e| e.to_string())
        .and_then(|v| CustomServiceDefinition::from_value(&v).map_err(|e| e.to_string()))
    {
        Ok(csd) => csd,
        Err(e) => {
            return Resolved::Absent(format!(
                "{}: its CSD cannot be read ({})",
                none(),
                clean(&e)
            ));
        }
    };
    let Some(requirement) = csd
        .spec
        .capability_requirements
        .iter()
        .find(|r| r.kind == CapabilityKind::MonitorConfig)
    else {
        return Resolved::Absent(none());
    };
    if let Some(spec) = &requirement.spec {
        return usable(MonitorConfig::from_spec(spec), &service);
    }
    let Some(name) = &requirement.name else {
        return Resolved::Absent(format!(
            "{}: the CSD's MonitorConfig requirement gives neither name nor spec",
            none()
        ));
    };
    let configs = Api::<DynamicObject>::all_with(client.clone(), &monitor_config_resource());
    match tokio::time::timeout(REQUEST_TIMEOUT, configs.get_opt(name)).await {
        Ok(Ok(Some(object))) => match serde_json::to_value(&object) {
            Ok(value) => usable(MonitorConfig::from_object(&value), &service),
            Err(e) => Resolved::Failed(clean(&e.to_string())),
        },
        // It may be created later: look again next round.
        Ok(Ok(None)) => Resolved::Failed(format!(
            "MonitorConfig {} of {service} does not exist",
            clean(name)
        )),
        Ok(Err(e)) => Resolved::Failed(format!(
            "MonitorConfig {} of {service} cannot be read: {}",
            clean(name),
            super::describe(&e)
        )),
        Err(_) => Resolved::Failed(format!(
            "MonitorConfig {} of {service} was not read within {}s",
            clean(name),
            REQUEST_TIMEOUT.as_secs()
        )),
    }
}

/// A config without a usable item is as good as none.
fn usable(config: MonitorConfig, service: &str) -> Resolved {
    if config.items.is_empty() {
        let problems: Vec<String> = config
            .problems
            .iter()
            .map(|p| clean(&p.to_string()))
            .collect();
        return Resolved::Absent(format!(
            "the MonitorConfig of {service} has no usable item ({})",
            problems.join("; ")
        ));
    }
    for problem in &config.problems {
        tracing::info!(service, %problem, "MonitorConfig problem");
    }
    Resolved::Config(config)
}

/// What to read for the charts of a MonitorConfig.
#[derive(Debug, Clone)]
pub(super) struct Plan {
    /// The config's items (pod selector, exporter port and path).
    pub items: Vec<MonitorConfigItem>,
    /// One per level of the layout, in the same order.
    pub levels: Vec<PlannedLevel>,
    /// What the view draws.
    pub layout: Vec<LevelLayout>,
    /// Charts that cannot be read: (title, why).
    pub skipped: Vec<(String, Skip)>,
    /// `namespace/service:port` of Prometheus, when configured.
    pub prometheus: Option<String>,
}

/// Why a chart is not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Skip {
    /// Only a PromQL query, and no Prometheus is configured.
    NeedsPrometheus,
    /// A `name` the console cannot evaluate itself (and no Prometheus).
    BadName(String),
}

/// A level of the layout and where its charts come from.
#[derive(Debug, Clone)]
pub(super) struct PlannedLevel {
    /// Index into [`Plan::items`].
    pub item: usize,
    /// Label whose value splits a chart into lines (raw, for matching).
    pub group_label: Option<String>,
    /// One per chart.
    pub metrics: Vec<Source>,
}

impl Plan {
    /// The plan for `config`; with `prometheus`, every chart that has a
    /// query is read from Prometheus, the others from the exporters.
    pub(super) fn new(config: &MonitorConfig, prometheus: Option<&str>) -> Self {
        let mut levels = Vec::new();
        let mut layout = Vec::new();
        let mut skipped = Vec::new();
        for (item_index, item) in config.items.iter().enumerate() {
            for level in &item.levels {
                let mut sources = Vec::new();
                let mut charts = Vec::new();
                for metric in &level.metrics {
                    let source = match (&metric.query, &metric.name, prometheus) {
                        (Some(query), _, Some(_)) => Source::Prometheus(query.clone()),
                        (_, Some(name), _) => match Selector::parse(name) {
                            Ok(selector) => Source::Exporter(selector),
                            Err(e) => {
                                skipped.push((clean(&metric.title), Skip::BadName(clean(&e))));
                                Source::Nothing
                            }
                        },
                        _ => {
                            skipped.push((clean(&metric.title), Skip::NeedsPrometheus));
                            Source::Nothing
                        }
                    };
                    sources.push(source);
                    charts.push(MetricLayout {
                        title: clean(&metric.title),
                        unit: metric.unit.as_deref().map(clean),
                        selected: level
                            .selected_metrics
                            .as_ref()
                            .is_none_or(|s| s.contains(&metric.title)),
                    });
                }
                levels.push(PlannedLevel {
                    item: item_index,
                    group_label: level.group_label.clone(),
                    metrics: sources,
                });
                layout.push(LevelLayout {
                    name: clean(&level.name),
                    group_label: level.group_label.as_deref().map(clean),
                    metrics: charts,
                });
            }
        }
        Self {
            items: config.items.clone(),
            levels,
            layout,
            skipped,
            prometheus: prometheus.map(str::to_owned),
        }
    }

    /// Whether any chart can be read at all.
    pub(super) fn reads_anything(&self) -> bool {
        self.levels
            .iter()
            .flat_map(|l| &l.metrics)
            .any(|m| !matches!(m, Source::Nothing))
    }

    /// The charts left out, in words, once after the layout.
    pub(super) fn skipped_reason(&self) -> Option<String> {
        if self.skipped.is_empty() {
            return None;
        }
        let total: usize = self.layout.iter().map(|l| l.metrics.len()).sum();
        let needs = self
            .skipped
            .iter()
            .filter(|(_, why)| *why == Skip::NeedsPrometheus)
            .count();
        let mut parts = Vec::new();
        if needs > 0 {
            let charts = if needs == 1 {
                "chart needs"
            } else {
                "charts need"
            };
            parts.push(format!(
                "{needs} of {total} {charts} Prometheus (a PromQL query only), which is not \
                 configured (prometheus: NAMESPACE/SERVICE:PORT in the config file)"
            ));
        }
        for (title, why) in &self.skipped {
            if let Skip::BadName(e) = why {
                parts.push(format!(
                    "chart {title:?} cannot be read without a PromQL query: {e}"
                ));
            }
        }
        Some(parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yaml_documents;
    use serde_json::json;

    fn kafka() -> MonitorConfig {
        let path = format!(
            "{}/examples/kafka/config/kafka-monitor.yaml",
            env!("CARGO_MANIFEST_DIR")
        );
        let docs = yaml_documents(&std::fs::read_to_string(path).unwrap()).unwrap();
        MonitorConfig::from_object(&docs[0])
    }

    #[test]
    fn the_kafka_layout_and_its_sources() {
        let plan = Plan::new(&kafka(), None);
        let names: Vec<&str> = plan.layout.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["Cluster", "Broker"]);
        let cluster = &plan.layout[0];
        assert_eq!(cluster.group_label, None);
        assert_eq!(cluster.metrics.len(), 4);
        assert_eq!(cluster.metrics[0].title, "Messages in per second");
        assert_eq!(cluster.metrics[0].unit.as_deref(), Some("msg/s"));
        let selected: Vec<bool> = cluster.metrics.iter().map(|m| m.selected).collect();
        assert_eq!(selected, [true, true, false, false]);
        assert_eq!(plan.layout[1].group_label.as_deref(), Some("pod"));
        assert_eq!(plan.levels[1].item, 0);
        // Every chart has a name: all read from the exporters.
        assert!(
            plan.levels
                .iter()
                .flat_map(|l| &l.metrics)
                .all(|m| matches!(m, Source::Exporter(_)))
        );
        assert_eq!(plan.skipped_reason(), None);
        // With Prometheus, the queries win.
        let with = Plan::new(&kafka(), Some("monitoring/prometheus:9090"));
        assert!(
            matches!(&with.levels[0].metrics[0], Source::Prometheus(q) if q.starts_with("sum(rate("))
        );
    }

    #[test]
    fn charts_that_need_prometheus_are_counted() {
        let config = MonitorConfig::from_spec(&json!({"monitorConfigItems": [{
            "prometheus": {"exporterPort": 9000},
            "displayOptions": {"levels": [{"name": "L", "selectedMetrics": ["a"], "metrics": [
                {"title": "a", "name": "up"},
                {"title": "b", "query": "sum(up)"},
                {"title": "c", "query": "max(up)"},
                {"title": "d", "name": "up{job=~\"x.*\"}"},
            ]}]}
        }]}));
        assert!(config.problems.is_empty(), "{:?}", config.problems);
        let plan = Plan::new(&config, None);
        assert!(plan.reads_anything());
        let reason = plan.skipped_reason().unwrap();
        assert!(
            reason.starts_with("2 of 4 charts need Prometheus"),
            "{reason}"
        );
        assert!(reason.contains("chart \"d\""), "{reason}");
        assert!(reason.contains("regular-expression"), "{reason}");
        let selected: Vec<bool> = plan.layout[0].metrics.iter().map(|m| m.selected).collect();
        assert_eq!(selected, [true, false, false, false]);

        // Prometheus runs the queries; the selector it cannot help with.
        let with = Plan::new(&config, Some("m/p:9090"));
        let reason = with.skipped_reason().unwrap();
        assert!(reason.starts_with("chart \"d\" cannot be read"), "{reason}");
        let only_queries = MonitorConfig::from_spec(&json!({"monitorConfigItems": [{
            "prometheus": {"exporterPort": 9000},
            "displayOptions": {"levels": [{"name": "L", "metrics": [
                {"title": "b", "query": "sum(up)"}]}]}
        }]}));
        let plan = Plan::new(&only_queries, None);
        assert!(!plan.reads_anything());
        assert!(
            plan.skipped_reason()
                .unwrap()
                .starts_with("1 of 1 chart needs")
        );
    }

    #[test]
    fn titles_from_the_cluster_are_made_safe() {
        let config = MonitorConfig::from_spec(&json!({"monitorConfigItems": [{
            "prometheus": {"exporterPort": 9000},
            "displayOptions": {"levels": [{"name": "L\u{1b}[2J", "metrics": [
                {"title": "t\u{7}", "name": "up", "unit": "u\u{1b}"}]}]}
        }]}));
        let plan = Plan::new(&config, None);
        let layout = &plan.layout[0];
        let texts = [
            layout.name.as_str(),
            layout.metrics[0].title.as_str(),
            layout.metrics[0].unit.as_deref().unwrap_or_default(),
        ];
        for text in texts {
            assert!(!text.chars().any(char::is_control), "{text:?}");
            assert!(text.len() > 1, "{text:?}");
        }
        assert!(plan.layout[0].metrics[0].selected);
    }
}
