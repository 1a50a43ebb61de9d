//! CPU and memory of an instance's pods from metrics.k8s.io (what
//! `kubectl top pod` shows), with the requests and limits of their specs.

use k8s_openapi::api::core::v1::{Container, Pod, ResourceRequirements};
use kube::Client;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use serde_json::Value;

use super::REQUEST_TIMEOUT;
use crate::domain::quantity;
use crate::domain::text::clean;
use crate::state::detail::InstanceRef;
use crate::state::monitor::{MetricsEvent, PodUsage};

fn pod_metrics_resource() -> ApiResource {
    let gvk = GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "PodMetrics");
    ApiResource::from_gvk_with_plural(&gvk, "pods")
}

/// One reading: `Usage`, or `UsageMissing` with the reason in words. The
/// session is set by the caller.
pub(super) async fn read(
    client: &Client,
    target: &InstanceRef,
    pods: Result<&[Pod], &String>,
) -> MetricsEvent {
    let pods = match pods {
        Ok(pods) => pods,
        Err(reason) => {
            return MetricsEvent::UsageMissing {
                session: 0,
                reason: reason.clone(),
            };
        }
    };
    let api = Api::<DynamicObject>::namespaced_with(
        client.clone(),
        &target.namespace,
        &pod_metrics_resource(),
    );
    let params = ListParams::default().labels(&crate::cluster::instance_selector(target));
    let listed = match tokio::time::timeout(REQUEST_TIMEOUT, api.list(&params)).await {
        Ok(Ok(list)) => list.items,
        Ok(Err(e)) => {
            return MetricsEvent::UsageMissing {
                session: 0,
                reason: missing_reason(&e),
            };
        }
        Err(_) => {
            return MetricsEvent::UsageMissing {
                session: 0,
                // kube retries 503 (an aggregated API whose server is
                // down) until the timeout: that is what a timeout means
                // here, since the pods were just listed.
                reason: format!(
                    "metrics-server is unavailable (metrics.k8s.io gave no answer within {}s)",
                    REQUEST_TIMEOUT.as_secs()
                ),
            };
        }
    };
    let at = crate::cluster::watch::now();
    let pods = pods
        .iter()
        .filter_map(|pod| {
            let name = pod.metadata.name.as_deref()?;
            let metrics = listed
                .iter()
                .find(|m| m.metadata.name.as_deref() == Some(name))?;
            Some(pod_usage(pod, &metrics.data))
        })
        .collect();
    MetricsEvent::Usage {
        session: 0,
        at,
        pods,
    }
}

/// Why metrics.k8s.io cannot be read, in words a user can act on.
pub(super) fn missing_reason(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => {
            let message = clean(&status.message);
            match status.code {
                404 => "metrics.k8s.io is not served: metrics-server is not installed".to_owned(),
                503 => format!("metrics-server is unavailable ({message})"),
                403 => format!("forbidden: {message}"),
                401 => format!("unauthorized: {message}"),
                code => format!("metrics.k8s.io answered {code}: {message}"),
            }
        }
        other => format!(
            "metrics.k8s.io cannot be read: {}",
            clean(&other.to_string())
        ),
    }
}

/// A pod's usage from its PodMetrics (`containers[].usage`) and its
/// requests and limits from its spec.
pub(super) fn pod_usage(pod: &Pod, metrics: &Value) -> PodUsage {
    let containers = metrics
        .get("containers")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let usage = |resource: &str| -> f64 {
        containers
            .iter()
            .filter_map(|c| c.get("usage")?.get(resource)?.as_str())
            .filter_map(quantity::parse)
            .sum()
    };
    let spec = pod.spec.as_ref();
    let specified = |kind: Kind, resource: &str| -> Option<f64> {
        let spec = spec?;
        // Pod-level resources, when set, are what the pod is held to.
        if let Some(value) = spec
            .resources
            .as_ref()
            .and_then(|r| kind.of(r))
            .and_then(|m| m.get(resource))
        {
            return quantity::parse(&value.0);
        }
        sum_of_containers(&spec.containers, kind, resource)
    };
    PodUsage {
        pod: clean(pod.metadata.name.as_deref().unwrap_or_default()),
        cpu_millis: usage("cpu") * 1000.0,
        memory_bytes: usage("memory"),
        cpu_request_millis: specified(Kind::Requests, "cpu").map(|c| c * 1000.0),
        cpu_limit_millis: specified(Kind::Limits, "cpu").map(|c| c * 1000.0),
        memory_request_bytes: specified(Kind::Requests, "memory"),
        memory_limit_bytes: specified(Kind::Limits, "memory"),
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Requests,
    Limits,
}

impl Kind {
    fn of(
        self,
        r: &ResourceRequirements,
    ) -> Option<
        &std::collections::BTreeMap<
            String,
            k8s_openapi::apimachinery::pkg::api::resource::Quantity,
        >,
    > {
        match self {
            Kind::Requests => r.requests.as_ref(),
            Kind::Limits => r.limits.as_ref(),
        }
    }
}

/// The sum over the containers, or `None` unless every container sets it
/// (a partial sum would pass for the pod's whole figure). A container with
/// a limit but no request gets its limit as request, as the API server
/// defaults it.
fn sum_of_containers(containers: &[Container], kind: Kind, resource: &str) -> Option<f64> {
    if containers.is_empty() {
        return None;
    }
    containers
        .iter()
        .map(|c| {
            let resources = c.resources.as_ref()?;
            let own = kind.of(resources).and_then(|m| m.get(resource));
            let value = match (own, kind) {
                (Some(q), _) => q,
                (None, Kind::Requests) => Kind::Limits.of(resources)?.get(resource)?,
                (None, Kind::Limits) => return None,
            };
            quantity::parse(&value.0)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(spec: Value) -> Pod {
        serde_json::from_value(json!({
            "metadata": {"name": "orders-0"},
            "spec": spec,
        }))
        .unwrap()
    }

    const MI: f64 = 1024.0 * 1024.0;

    #[test]
    fn sums_usage_and_resources_of_the_containers() {
        let pod = pod(json!({"containers": [
            {"name": "kafka", "resources": {
                "requests": {"cpu": "500m", "memory": "2Gi"},
                "limits": {"cpu": "2", "memory": "4Gi"}}},
            {"name": "exporter", "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"memory": "128Mi"}}},
        ]}));
        let metrics = json!({"containers": [
            {"name": "kafka", "usage": {"cpu": "200123456n", "memory": "1229Mi"}},
            {"name": "exporter", "usage": {"cpu": "5m", "memory": "20Mi"}},
        ]});
        let usage = pod_usage(&pod, &metrics);
        assert_eq!(usage.pod, "orders-0");
        assert!((usage.cpu_millis - 205.123456).abs() < 1e-6, "{usage:?}");
        assert_eq!(usage.memory_bytes, 1249.0 * MI);
        assert_eq!(usage.cpu_request_millis, Some(550.0));
        // The exporter sets no CPU limit: the pod has none.
        assert_eq!(usage.cpu_limit_millis, None);
        assert_eq!(usage.memory_request_bytes, Some(2048.0 * MI + 64.0 * MI));
        assert_eq!(usage.memory_limit_bytes, Some(4096.0 * MI + 128.0 * MI));
    }

    #[test]
    fn a_limit_alone_is_also_the_request_and_pod_resources_win() {
        let only_limits = pod(json!({"containers": [
            {"name": "a", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}},
        ]}));
        let usage = pod_usage(&only_limits, &json!({}));
        assert_eq!(usage.cpu_request_millis, Some(1000.0));
        assert_eq!(usage.memory_request_bytes, Some(1024.0 * MI));
        assert_eq!(usage.cpu_millis, 0.0);

        let pod_level = pod(json!({
            "resources": {"requests": {"cpu": "3"}},
            "containers": [{"name": "a"}, {"name": "b"}],
        }));
        let usage = pod_usage(&pod_level, &json!({}));
        assert_eq!(usage.cpu_request_millis, Some(3000.0));
        assert_eq!(usage.memory_request_bytes, None);
        assert_eq!(usage.cpu_limit_millis, None);
    }

    #[test]
    fn bad_quantities_and_missing_parts_are_not_numbers() {
        let pod = pod(json!({"containers": [
            {"name": "a", "resources": {"requests": {"cpu": "lots"}}},
        ]}));
        let metrics = json!({"containers": [
            {"usage": {"cpu": "x", "memory": "10Mi"}}, {"usage": 5}, "odd",
        ]});
        let usage = pod_usage(&pod, &metrics);
        assert_eq!(usage.cpu_request_millis, None);
        assert_eq!(usage.cpu_millis, 0.0);
        assert_eq!(usage.memory_bytes, 10.0 * MI);
        let bare: Pod = serde_json::from_value(json!({"metadata": {}})).unwrap();
        assert_eq!(pod_usage(&bare, &json!(null)).memory_limit_bytes, None);
    }

    fn api_error(code: u16, message: &str) -> kube::Error {
        kube::Error::Api(
            kube::core::Status::failure(message, "")
                .with_code(code)
                .boxed(),
        )
    }

    #[test]
    fn reasons_in_words() {
        assert_eq!(
            missing_reason(&api_error(
                404,
                "the server could not find the requested resource"
            )),
            "metrics.k8s.io is not served: metrics-server is not installed"
        );
        assert_eq!(
            missing_reason(&api_error(
                503,
                "the server is currently unable to handle the request"
            )),
            "metrics-server is unavailable (the server is currently unable to handle the request)"
        );
        assert_eq!(
            missing_reason(&api_error(
                403,
                "pods.metrics.k8s.io is forbidden: \u{1b}[2J"
            )),
            "forbidden: pods.metrics.k8s.io is forbidden: ^[[2J"
        );
        assert!(missing_reason(&api_error(500, "boom")).contains("500: boom"));
    }
}
