//! The operator's heartbeat: a Lease it renews while it runs. The operator
//! is a process outside the cluster, so there is no Deployment whose health
//! a console could read; the CSDs name this Lease instead (annotation
//! `osc.io/operator-lease`), and a Lease not renewed within its duration
//! means the operator is gone.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;
use tracing::{info, warn};

/// How long the Lease counts as held after a renewal.
pub const LEASE_SECONDS: i32 = 30;
/// How often it is renewed: well within its duration.
const RENEW_EVERY: Duration = Duration::from_secs(10);

/// The Lease object for one renewal.
pub fn lease_patch(name: &str, holder: &str, now: Timestamp) -> serde_json::Value {
    json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {
            "name": name,
            "labels": {"app.kubernetes.io/name": "kafka-operator"},
        },
        "spec": {
            "holderIdentity": holder,
            "leaseDurationSeconds": LEASE_SECONDS,
            "renewTime": MicroTime(now),
        },
    })
}

/// Renews `namespace/name` until the task is dropped. A namespace that does
/// not exist yet, or any other error, is logged and retried: the heartbeat
/// never stops the controllers.
pub async fn run(client: Client, namespace: String, name: String) {
    let leases: Api<Lease> = Api::namespaced(client, &namespace);
    let holder = format!(
        "{}-{}",
        std::env::var("HOSTNAME").unwrap_or_else(|_| "kafka-operator".to_owned()),
        std::process::id()
    );
    let params = PatchParams::apply("kafka-operator").force();
    let mut failing = false;
    loop {
        let patch = lease_patch(&name, &holder, Timestamp::now());
        match leases.patch(&name, &params, &Patch::Apply(&patch)).await {
            Ok(_) if failing => {
                info!(lease = %format!("{namespace}/{name}"), "heartbeat renewed again");
                failing = false;
            }
            Ok(_) => {}
            Err(e) => {
                if !failing {
                    warn!(lease = %format!("{namespace}/{name}"), error = %e, "cannot renew the heartbeat lease; retrying");
                }
                failing = true;
            }
        }
        tokio::time::sleep(RENEW_EVERY).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lease_names_its_holder_duration_and_renewal() {
        let now: Timestamp = "2026-01-02T03:04:05.678901Z"
            .parse()
            .expect("a valid timestamp");
        let patch = lease_patch("kafka-operator", "host-42", now);
        assert_eq!(patch["spec"]["holderIdentity"], "host-42");
        assert_eq!(patch["spec"]["leaseDurationSeconds"], LEASE_SECONDS);
        assert_eq!(patch["spec"]["renewTime"], "2026-01-02T03:04:05.678901Z");
        assert_eq!(patch["metadata"]["name"], "kafka-operator");
    }
}
