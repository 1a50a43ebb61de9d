//! The objects the operator owns, built from the custom resources: pure
//! functions, applied by the reconcilers with server-side apply.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::{
    StatefulSet, StatefulSetPersistentVolumeClaimRetentionPolicy, StatefulSetSpec,
    StatefulSetUpdateStrategy,
};
use k8s_openapi::api::core::v1::{
    ConfigMap, ConfigMapVolumeSource, Container, ContainerPort, EmptyDirVolumeSource, EnvVar,
    EnvVarSource, ObjectFieldSelector, PersistentVolumeClaim, PersistentVolumeClaimSpec, PodSpec,
    PodTemplateSpec, Probe, ResourceRequirements, Service, ServicePort, ServiceSpec,
    TCPSocketAction, Toleration, Volume, VolumeMount, VolumeResourceRequirements,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta, OwnerReference};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;

use crate::crd::{QuantityValue, ResourceSpec};
use crate::properties::{KAFKA_PORT, LOG_DIRS, METRICS_PORT};
use crate::quantity;
use crate::status::VERSION_ANNOTATION;
use crate::version::{Release, label_value};

/// Field manager of everything the operator writes.
pub const MANAGER: &str = "kafka-operator";
/// Finalizer on every Hwfka: its PVCs are deleted before it goes.
pub const FINALIZER: &str = "osctest.osctui.dev/cleanup";

/// Sandbox knob: pods rendered for this version crash-loop.
pub const FAIL_VERSION_ANNOTATION: &str = "sandbox.osctui.dev/fail-version";
/// The sandbox's KWOK fault annotation on pods.
pub const FAULT_ANNOTATION: &str = "sandbox.osctui.dev/fault";
/// KWOK weight of the pod-ready stage (`"0"`: never becomes ready).
pub const POD_READY_WEIGHT_ANNOTATION: &str = "pod-ready.stage.kwok.x-k8s.io/weight";
/// Sandbox knob: annotations of the custom resource with these prefixes are
/// copied onto the pod template (KWOK stage delays).
pub const KWOK_STAGE_PREFIXES: [&str; 2] = [
    "pod-create.stage.kwok.x-k8s.io/",
    "pod-ready.stage.kwok.x-k8s.io/",
];
/// KWOK's simulated CPU usage of a pod.
pub const USAGE_CPU_ANNOTATION: &str = "kwok.x-k8s.io/usage-cpu";
/// KWOK's simulated memory usage of a pod.
pub const USAGE_MEMORY_ANNOTATION: &str = "kwok.x-k8s.io/usage-memory";
/// Override of the progress deadline of an upgrade, in seconds.
pub const PROGRESS_DEADLINE_ANNOTATION: &str = "osctest.osctui.dev/progress-deadline-seconds";
/// Override of the pods' `terminationGracePeriodSeconds`.
pub const GRACE_PERIOD_ANNOTATION: &str = "osctest.osctui.dev/termination-grace-period-seconds";
/// Pod annotation: fingerprint of `server.properties`, so a configuration
/// change rolls the brokers.
pub const CONFIG_HASH_ANNOTATION: &str = "osctest.osctui.dev/config-hash";

/// Default `terminationGracePeriodSeconds` of the pods.
pub const DEFAULT_GRACE_PERIOD_SECONDS: i64 = 30;
/// Share of the CPU and memory requests reported as used.
pub const USAGE_FRACTIONS: (f64, f64) = (0.4, 0.6);

/// The labels that select the pods of an instance.
pub fn selector_labels(app: &str, instance: &str) -> BTreeMap<String, String> {
    [
        ("app.kubernetes.io/name", app),
        ("app.kubernetes.io/instance", instance),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// The label selector (as text) of the pods or PVCs of an instance.
pub fn selector_text(app: &str, instance: &str) -> String {
    selector_labels(app, instance)
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The labels of every object of an instance.
pub fn labels(app: &str, instance: &str, version: &str) -> BTreeMap<String, String> {
    let mut labels = selector_labels(app, instance);
    labels.insert(
        "app.kubernetes.io/managed-by".to_owned(),
        MANAGER.to_owned(),
    );
    let version = label_value(version);
    if !version.is_empty() {
        labels.insert("app.kubernetes.io/version".to_owned(), version);
    }
    labels
}

/// The sandbox annotations of the pods of a custom resource with
/// `annotations`, rendered for `version`: KWOK stage knobs copied over, and
/// a crash loop when `version` is the resource's fail-version.
pub fn sandbox_pod_annotations(
    annotations: &BTreeMap<String, String>,
    version: &str,
) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = annotations
        .iter()
        .filter(|(k, _)| KWOK_STAGE_PREFIXES.iter().any(|p| k.starts_with(p)))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if annotations
        .get(FAIL_VERSION_ANNOTATION)
        .is_some_and(|v| v.trim() == version)
    {
        out.insert(FAULT_ANNOTATION.to_owned(), "crashloop".to_owned());
        out.insert(POD_READY_WEIGHT_ANNOTATION.to_owned(), "0".to_owned());
    }
    out
}

/// A whole number of seconds from an annotation, if present and valid.
pub fn seconds_annotation(annotations: &BTreeMap<String, String>, key: &str) -> Option<u64> {
    annotations.get(key)?.trim().parse().ok()
}

/// `ResourceRequirements` of a container from `spec.resources`.
pub fn resource_requirements(spec: Option<&ResourceSpec>) -> Option<ResourceRequirements> {
    let spec = spec?;
    let convert = |map: &Option<BTreeMap<String, QuantityValue>>| {
        map.as_ref().filter(|m| !m.is_empty()).map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), Quantity(v.as_quantity())))
                .collect::<BTreeMap<_, _>>()
        })
    };
    let requirements = ResourceRequirements {
        requests: convert(&spec.requests),
        limits: convert(&spec.limits),
        ..ResourceRequirements::default()
    };
    (requirements.requests.is_some() || requirements.limits.is_some()).then_some(requirements)
}

/// The simulated usage annotations of a container with `resources`: a
/// share of its requests (else its limits, else `defaults`).
pub fn usage_annotations(
    resources: Option<&ResourceRequirements>,
    defaults: (&str, &str),
) -> BTreeMap<String, String> {
    let amount = |name: &str| {
        resources.and_then(|r| {
            r.requests
                .as_ref()
                .and_then(|m| m.get(name))
                .or_else(|| r.limits.as_ref().and_then(|m| m.get(name)))
                .map(|q| q.0.clone())
        })
    };
    let (cpu, memory) = quantity::simulated_usage(
        amount("cpu").as_deref(),
        amount("memory").as_deref(),
        defaults,
        USAGE_FRACTIONS,
    );
    [
        (USAGE_CPU_ANNOTATION.to_owned(), cpu),
        (USAGE_MEMORY_ANNOTATION.to_owned(), memory),
    ]
    .into()
}

fn meta(
    name: String,
    namespace: &str,
    labels: BTreeMap<String, String>,
    owner: &OwnerReference,
) -> ObjectMeta {
    ObjectMeta {
        name: Some(name),
        namespace: Some(namespace.to_owned()),
        labels: Some(labels),
        owner_references: Some(vec![owner.clone()]),
        ..ObjectMeta::default()
    }
}

fn port(name: &str, port: i32) -> ContainerPort {
    ContainerPort {
        name: Some(name.to_owned()),
        container_port: port,
        protocol: Some("TCP".to_owned()),
        ..ContainerPort::default()
    }
}

fn service_port(name: &str, port: i32) -> ServicePort {
    ServicePort {
        name: Some(name.to_owned()),
        port,
        target_port: Some(IntOrString::String(name.to_owned())),
        protocol: Some("TCP".to_owned()),
        ..ServicePort::default()
    }
}

fn env(name: &str, value: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value: Some(value.to_owned()),
        ..EnvVar::default()
    }
}

fn env_from_field(name: &str, path: &str) -> EnvVar {
    EnvVar {
        name: name.to_owned(),
        value_from: Some(EnvVarSource {
            field_ref: Some(ObjectFieldSelector {
                field_path: path.to_owned(),
                ..ObjectFieldSelector::default()
            }),
            ..EnvVarSource::default()
        }),
        ..EnvVar::default()
    }
}

fn tcp_probe(port: &str, initial_delay: i32) -> Probe {
    Probe {
        tcp_socket: Some(TCPSocketAction {
            port: IntOrString::String(port.to_owned()),
            ..TCPSocketAction::default()
        }),
        initial_delay_seconds: Some(initial_delay),
        period_seconds: Some(10),
        ..Probe::default()
    }
}

/// The sandbox's simulated nodes may carry KWOK's usual taint.
fn kwok_toleration() -> Toleration {
    Toleration {
        key: Some("kwok.x-k8s.io/node".to_owned()),
        operator: Some("Exists".to_owned()),
        effect: Some("NoSchedule".to_owned()),
        ..Toleration::default()
    }
}

/// A headless Service of an instance's pods.
fn headless_service(
    name: String,
    namespace: &str,
    labels: BTreeMap<String, String>,
    selector: BTreeMap<String, String>,
    owner: &OwnerReference,
    ports: Vec<ServicePort>,
) -> Service {
    Service {
        metadata: meta(name, namespace, labels, owner),
        spec: Some(ServiceSpec {
            cluster_ip: Some("None".to_owned()),
            selector: Some(selector),
            ports: Some(ports),
            publish_not_ready_addresses: Some(true),
            ..ServiceSpec::default()
        }),
        ..Service::default()
    }
}

// ---------------------------------------------------------------------------
// Kafka
// ---------------------------------------------------------------------------

/// Name of the ConfigMap of a Hwfka.
pub fn kafka_config_map_name(instance: &str) -> String {
    format!("{instance}-config")
}

/// Name of the headless Service of a Hwfka or Zookeeper.
pub fn headless_service_name(instance: &str) -> String {
    format!("{instance}-headless")
}

/// The `<name>-config` ConfigMap holding `server.properties`.
pub fn kafka_config_map(
    instance: &str,
    namespace: &str,
    version: &str,
    owner: &OwnerReference,
    server_properties: String,
) -> ConfigMap {
    ConfigMap {
        metadata: meta(
            kafka_config_map_name(instance),
            namespace,
            labels("kafka", instance, version),
            owner,
        ),
        data: Some([("server.properties".to_owned(), server_properties)].into()),
        ..ConfigMap::default()
    }
}

/// The `<name>-headless` Service of the brokers.
pub fn kafka_service(
    instance: &str,
    namespace: &str,
    version: &str,
    owner: &OwnerReference,
) -> Service {
    headless_service(
        headless_service_name(instance),
        namespace,
        labels("kafka", instance, version),
        selector_labels("kafka", instance),
        owner,
        vec![
            service_port("kafka", KAFKA_PORT),
            service_port("metrics", METRICS_PORT),
        ],
    )
}

/// Everything the broker StatefulSet is made from.
#[derive(Clone, Debug)]
pub struct KafkaPlan<'a> {
    pub instance: &'a str,
    pub namespace: &'a str,
    pub owner: &'a OwnerReference,
    pub release: &'a Release,
    pub replicas: i32,
    pub resources: Option<ResourceRequirements>,
    /// Size of each broker's volume (a quantity).
    pub storage_size: String,
    /// `None`: the cluster's default StorageClass.
    pub storage_class: Option<String>,
    /// Annotations of the Hwfka (for the sandbox knobs).
    pub annotations: &'a BTreeMap<String, String>,
    /// Fingerprint of `server.properties`.
    pub config_hash: String,
    pub grace_period_seconds: i64,
}

/// The pod annotations of the brokers.
pub fn kafka_pod_annotations(plan: &KafkaPlan<'_>) -> BTreeMap<String, String> {
    let mut annotations = usage_annotations(plan.resources.as_ref(), ("500m", "1Gi"));
    annotations.insert(VERSION_ANNOTATION.to_owned(), plan.release.version.clone());
    annotations.insert(CONFIG_HASH_ANNOTATION.to_owned(), plan.config_hash.clone());
    annotations.extend(sandbox_pod_annotations(
        plan.annotations,
        &plan.release.version,
    ));
    annotations
}

/// The `<name>` StatefulSet of the brokers.
pub fn kafka_statefulset(plan: &KafkaPlan<'_>) -> StatefulSet {
    let instance = plan.instance;
    let version = &plan.release.version;
    let labels = labels("kafka", instance, version);
    let selector = selector_labels("kafka", instance);
    let service = headless_service_name(instance);
    let mut pod_labels = labels.clone();
    pod_labels.insert(
        "app.kubernetes.io/component".to_owned(),
        "broker".to_owned(),
    );

    let advertised = format!(
        "PLAINTEXT://$(POD_NAME).{service}.$(POD_NAMESPACE).svc.cluster.local:{KAFKA_PORT}"
    );
    let container = Container {
        name: "kafka".to_owned(),
        image: Some(plan.release.image.clone()),
        image_pull_policy: Some("IfNotPresent".to_owned()),
        command: Some(vec![
            "/opt/kafka/bin/kafka-server-start.sh".to_owned(),
            "/etc/kafka/server.properties".to_owned(),
        ]),
        args: Some(vec![
            "--override".to_owned(),
            "broker.id=$(KAFKA_BROKER_ID)".to_owned(),
            "--override".to_owned(),
            format!("advertised.listeners={advertised}"),
        ]),
        env: Some(vec![
            env_from_field("POD_NAME", "metadata.name"),
            env_from_field("POD_NAMESPACE", "metadata.namespace"),
            env_from_field(
                "KAFKA_BROKER_ID",
                "metadata.labels['apps.kubernetes.io/pod-index']",
            ),
            env("KAFKA_VERSION", version),
            env("KAFKA_JMX_EXPORTER_PORT", &METRICS_PORT.to_string()),
        ]),
        ports: Some(vec![
            port("kafka", KAFKA_PORT),
            port("metrics", METRICS_PORT),
        ]),
        resources: plan.resources.clone(),
        readiness_probe: Some(tcp_probe("kafka", 10)),
        liveness_probe: Some(tcp_probe("kafka", 60)),
        volume_mounts: Some(vec![
            VolumeMount {
                name: "data".to_owned(),
                mount_path: LOG_DIRS.to_owned(),
                ..VolumeMount::default()
            },
            VolumeMount {
                name: "config".to_owned(),
                mount_path: "/etc/kafka".to_owned(),
                read_only: Some(true),
                ..VolumeMount::default()
            },
        ]),
        ..Container::default()
    };

    // Claim templates cannot change once the StatefulSet exists, so their
    // labels leave out the version.
    let mut claim_labels = selector.clone();
    claim_labels.insert(
        "app.kubernetes.io/managed-by".to_owned(),
        MANAGER.to_owned(),
    );
    let claim = PersistentVolumeClaim {
        metadata: ObjectMeta {
            name: Some("data".to_owned()),
            labels: Some(claim_labels),
            ..ObjectMeta::default()
        },
        spec: Some(PersistentVolumeClaimSpec {
            access_modes: Some(vec!["ReadWriteOnce".to_owned()]),
            storage_class_name: plan.storage_class.clone(),
            resources: Some(VolumeResourceRequirements {
                requests: Some(
                    [("storage".to_owned(), Quantity(plan.storage_size.clone()))].into(),
                ),
                ..VolumeResourceRequirements::default()
            }),
            ..PersistentVolumeClaimSpec::default()
        }),
        ..PersistentVolumeClaim::default()
    };

    StatefulSet {
        metadata: meta(instance.to_owned(), plan.namespace, labels, plan.owner),
        spec: Some(StatefulSetSpec {
            replicas: Some(plan.replicas),
            service_name: Some(service),
            pod_management_policy: Some("Parallel".to_owned()),
            update_strategy: Some(StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".to_owned()),
                ..StatefulSetUpdateStrategy::default()
            }),
            selector: LabelSelector {
                match_labels: Some(selector),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels),
                    annotations: Some(kafka_pod_annotations(plan)),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    volumes: Some(vec![Volume {
                        name: "config".to_owned(),
                        config_map: Some(ConfigMapVolumeSource {
                            name: kafka_config_map_name(instance),
                            ..ConfigMapVolumeSource::default()
                        }),
                        ..Volume::default()
                    }]),
                    termination_grace_period_seconds: Some(plan.grace_period_seconds),
                    tolerations: Some(vec![kwok_toleration()]),
                    ..PodSpec::default()
                }),
            },
            volume_claim_templates: Some(vec![claim]),
            persistent_volume_claim_retention_policy: Some(
                StatefulSetPersistentVolumeClaimRetentionPolicy {
                    when_deleted: Some("Delete".to_owned()),
                    when_scaled: Some("Retain".to_owned()),
                },
            ),
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

/// The size and class of the `data` claim template of an existing
/// StatefulSet. Claim templates cannot be changed, so the operator keeps
/// them as they were created.
pub fn existing_claim(sts: &StatefulSet) -> Option<(String, Option<String>)> {
    let claim = sts
        .spec
        .as_ref()?
        .volume_claim_templates
        .as_ref()?
        .iter()
        .find(|c| c.metadata.name.as_deref() == Some("data"))?;
    let spec = claim.spec.as_ref()?;
    let size = spec
        .resources
        .as_ref()?
        .requests
        .as_ref()?
        .get("storage")?
        .0
        .clone();
    Some((size, spec.storage_class_name.clone()))
}

// ---------------------------------------------------------------------------
// ZooKeeper
// ---------------------------------------------------------------------------

/// ZooKeeper's client port.
pub const ZOOKEEPER_CLIENT_PORT: i32 = 2181;

/// The `<name>-headless` Service of a ZooKeeper ensemble.
pub fn zookeeper_service(
    instance: &str,
    namespace: &str,
    version: &str,
    owner: &OwnerReference,
) -> Service {
    headless_service(
        headless_service_name(instance),
        namespace,
        labels("zookeeper", instance, version),
        selector_labels("zookeeper", instance),
        owner,
        vec![
            service_port("client", ZOOKEEPER_CLIENT_PORT),
            service_port("server", 2888),
            service_port("election", 3888),
        ],
    )
}

/// Everything the ZooKeeper StatefulSet is made from.
#[derive(Clone, Debug)]
pub struct ZookeeperPlan<'a> {
    pub instance: &'a str,
    pub namespace: &'a str,
    pub owner: &'a OwnerReference,
    pub release: &'a Release,
    pub replicas: i32,
    pub annotations: &'a BTreeMap<String, String>,
    pub grace_period_seconds: i64,
}

/// The `<name>` StatefulSet of a ZooKeeper ensemble.
pub fn zookeeper_statefulset(plan: &ZookeeperPlan<'_>) -> StatefulSet {
    let instance = plan.instance;
    let version = &plan.release.version;
    let labels = labels("zookeeper", instance, version);
    let selector = selector_labels("zookeeper", instance);
    let service = headless_service_name(instance);
    let mut pod_labels = labels.clone();
    pod_labels.insert(
        "app.kubernetes.io/component".to_owned(),
        "server".to_owned(),
    );
    let servers: Vec<String> = (0..plan.replicas.max(1))
        .map(|i| {
            format!(
                "server.{}={instance}-{i}.{service}.{}.svc.cluster.local:2888:3888;{ZOOKEEPER_CLIENT_PORT}",
                i + 1,
                plan.namespace
            )
        })
        .collect();
    let resources = ResourceRequirements {
        requests: Some(
            [
                ("cpu".to_owned(), Quantity("250m".to_owned())),
                ("memory".to_owned(), Quantity("512Mi".to_owned())),
            ]
            .into(),
        ),
        limits: Some([("memory".to_owned(), Quantity("1Gi".to_owned()))].into()),
        ..ResourceRequirements::default()
    };
    let mut annotations = usage_annotations(Some(&resources), ("250m", "512Mi"));
    annotations.insert(VERSION_ANNOTATION.to_owned(), version.clone());
    annotations.extend(sandbox_pod_annotations(plan.annotations, version));

    let container = Container {
        name: "zookeeper".to_owned(),
        image: Some(plan.release.image.clone()),
        image_pull_policy: Some("IfNotPresent".to_owned()),
        env: Some(vec![
            env_from_field(
                "ZOO_POD_INDEX",
                "metadata.labels['apps.kubernetes.io/pod-index']",
            ),
            env("ZOO_SERVERS", &servers.join(" ")),
            env("ZOO_DATA_DIR", "/data"),
            env("ZOO_VERSION", version),
        ]),
        ports: Some(vec![
            port("client", ZOOKEEPER_CLIENT_PORT),
            port("server", 2888),
            port("election", 3888),
        ]),
        resources: Some(resources),
        readiness_probe: Some(tcp_probe("client", 5)),
        liveness_probe: Some(tcp_probe("client", 30)),
        volume_mounts: Some(vec![VolumeMount {
            name: "data".to_owned(),
            mount_path: "/data".to_owned(),
            ..VolumeMount::default()
        }]),
        ..Container::default()
    };

    StatefulSet {
        metadata: meta(instance.to_owned(), plan.namespace, labels, plan.owner),
        spec: Some(StatefulSetSpec {
            replicas: Some(plan.replicas),
            service_name: Some(service),
            pod_management_policy: Some("Parallel".to_owned()),
            update_strategy: Some(StatefulSetUpdateStrategy {
                type_: Some("RollingUpdate".to_owned()),
                ..StatefulSetUpdateStrategy::default()
            }),
            selector: LabelSelector {
                match_labels: Some(selector),
                ..LabelSelector::default()
            },
            template: PodTemplateSpec {
                metadata: Some(ObjectMeta {
                    labels: Some(pod_labels),
                    annotations: Some(annotations),
                    ..ObjectMeta::default()
                }),
                spec: Some(PodSpec {
                    containers: vec![container],
                    volumes: Some(vec![Volume {
                        name: "data".to_owned(),
                        empty_dir: Some(EmptyDirVolumeSource::default()),
                        ..Volume::default()
                    }]),
                    termination_grace_period_seconds: Some(plan.grace_period_seconds),
                    tolerations: Some(vec![kwok_toleration()]),
                    ..PodSpec::default()
                }),
            },
            ..StatefulSetSpec::default()
        }),
        ..StatefulSet::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn owner() -> OwnerReference {
        OwnerReference {
            api_version: "osctest.osctui.dev/v1".into(),
            kind: "Hwfka".into(),
            name: "orders".into(),
            uid: "uid-1".into(),
            controller: Some(true),
            block_owner_deletion: Some(true),
        }
    }

    #[test]
    fn sandbox_knobs_become_pod_annotations() {
        let annotations: BTreeMap<String, String> = [
            ("sandbox.osctui.dev/fail-version", "3.7.0"),
            ("pod-create.stage.kwok.x-k8s.io/delay", "0s"),
            ("pod-ready.stage.kwok.x-k8s.io/jitter-delay", "0s"),
            ("unrelated.example/thing", "x"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let healthy = sandbox_pod_annotations(&annotations, "3.6.1");
        assert_eq!(
            healthy.keys().collect::<Vec<_>>(),
            [
                "pod-create.stage.kwok.x-k8s.io/delay",
                "pod-ready.stage.kwok.x-k8s.io/jitter-delay"
            ]
        );
        let failing = sandbox_pod_annotations(&annotations, "3.7.0");
        assert_eq!(
            failing.get(FAULT_ANNOTATION).map(String::as_str),
            Some("crashloop")
        );
        assert_eq!(
            failing.get(POD_READY_WEIGHT_ANNOTATION).map(String::as_str),
            Some("0")
        );
    }

    #[test]
    fn broker_statefulset_has_the_promised_shape() {
        let release = Release {
            image: "registry.invalid/osctest/kafka:3.6.1".into(),
            version: "3.6.1".into(),
        };
        let owner = owner();
        let annotations = BTreeMap::new();
        let resources = resource_requirements(Some(&ResourceSpec {
            requests: Some(
                [
                    ("cpu".to_owned(), QuantityValue::String("500m".into())),
                    ("memory".to_owned(), QuantityValue::String("2Gi".into())),
                ]
                .into(),
            ),
            limits: Some([("cpu".to_owned(), QuantityValue::Int(2))].into()),
        }));
        let sts = kafka_statefulset(&KafkaPlan {
            instance: "orders",
            namespace: "team-a",
            owner: &owner,
            release: &release,
            replicas: 3,
            resources,
            storage_size: "20Gi".into(),
            storage_class: None,
            annotations: &annotations,
            config_hash: "abc".into(),
            grace_period_seconds: 30,
        });
        let value = serde_json::to_value(&sts).expect("serializes");
        assert_eq!(value["apiVersion"], "apps/v1");
        assert_eq!(value["kind"], "StatefulSet");
        assert_eq!(value["metadata"]["ownerReferences"][0]["controller"], true);
        assert_eq!(
            value["metadata"]["labels"]["app.kubernetes.io/version"],
            "3.6.1"
        );
        assert_eq!(
            value["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "kafka-operator"
        );
        let spec = &value["spec"];
        assert_eq!(spec["serviceName"], "orders-headless");
        assert_eq!(spec["replicas"], 3);
        assert_eq!(spec["podManagementPolicy"], "Parallel");
        assert_eq!(spec["updateStrategy"]["type"], "RollingUpdate");
        assert_eq!(
            spec["persistentVolumeClaimRetentionPolicy"]["whenDeleted"],
            "Delete"
        );
        let container = &spec["template"]["spec"]["containers"][0];
        assert_eq!(container["name"], "kafka");
        assert_eq!(container["image"], "registry.invalid/osctest/kafka:3.6.1");
        assert_eq!(container["resources"]["requests"]["cpu"], "500m");
        assert_eq!(container["resources"]["limits"]["cpu"], "2");
        assert_eq!(container["ports"][0]["containerPort"], 9092);
        assert_eq!(container["ports"][1]["containerPort"], 9308);
        assert_eq!(container["volumeMounts"][0]["name"], "data");
        let pod_annotations = &spec["template"]["metadata"]["annotations"];
        assert_eq!(pod_annotations["kwok.x-k8s.io/usage-cpu"], "200m");
        assert_eq!(pod_annotations["kwok.x-k8s.io/usage-memory"], "1229Mi");
        assert_eq!(pod_annotations["osctest.osctui.dev/version"], "3.6.1");
        let claim = &spec["volumeClaimTemplates"][0];
        assert_eq!(claim["metadata"]["name"], "data");
        assert!(
            claim["metadata"]["labels"]
                .get("app.kubernetes.io/version")
                .is_none(),
            "claim template labels must not change with the version: {claim}"
        );
        assert_eq!(claim["spec"]["resources"]["requests"]["storage"], "20Gi");
        assert!(claim["spec"].get("storageClassName").is_none());
        assert_eq!(
            existing_claim(&sts),
            Some(("20Gi".to_owned(), None)),
            "the claim template reads back"
        );
    }

    #[test]
    fn headless_service_has_kafka_and_metrics_ports() {
        let service = kafka_service("orders", "team-a", "3.6.1", &owner());
        let value = serde_json::to_value(&service).expect("serializes");
        assert_eq!(value["metadata"]["name"], "orders-headless");
        assert_eq!(value["spec"]["clusterIP"], "None");
        assert_eq!(value["spec"]["ports"][0]["name"], "kafka");
        assert_eq!(value["spec"]["ports"][0]["port"], 9092);
        assert_eq!(value["spec"]["ports"][1]["name"], "metrics");
        assert_eq!(value["spec"]["ports"][1]["port"], 9308);
        assert_eq!(
            value["spec"]["selector"],
            serde_json::json!({"app.kubernetes.io/name": "kafka", "app.kubernetes.io/instance": "orders"})
        );
    }

    #[test]
    fn selector_text_is_a_label_selector() {
        assert_eq!(
            selector_text("kafka", "orders"),
            "app.kubernetes.io/instance=orders,app.kubernetes.io/name=kafka"
        );
    }
}
