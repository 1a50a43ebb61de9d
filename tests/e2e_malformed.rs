//! End to end: malformed objects in a real cluster (the sandbox) reach the
//! real `osctui` binary inert. A scratch namespace and a uniquely named
//! CRD and CSD get: a service whose definition lacks what it should have
//! (no version definition; descriptors that point at fields of the wrong
//! type; a default configuration of the wrong shape with a 128 KiB string)
//! and carries terminal escape sequences in every text the CRD lets
//! through (the CSD CRD validates the rest: types, required fields, a
//! 4096-byte description); an instance whose spec and status have the wrong
//! types (and a 128 KiB string); a pod whose annotations and an Event whose reason and message
//! carry escape sequences (OSC 52 clipboard write, CSI clear screen and
//! cursor movement, C1 controls, a bidi override); a Helm release Secret
//! whose payload is not base64. The console must not panic, must keep
//! answering keys, must show the rows, and no injected escape sequence may
//! reach the terminal as written (checked on the raw bytes of the pty).
//!
//! The CSD and the CRD are cluster-scoped, so every test running at the
//! same time sees them: one test in this binary, unique names, and a guard
//! that deletes them whatever happens. Other test binaries do not run at
//! the same time in CI.

use std::path::Path;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event, Pod, Secret};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::Api;
use kube::api::{DeleteParams, DynamicObject, PostParams};
use kube::core::{ApiResource, GroupVersionKind};
use osctui_testkit::pty::ok;
use osctui_testkit::pty::{Console, OsctuiSession};
use serde_json::json;

const LOAD: Duration = Duration::from_secs(40);
const STEP: Duration = Duration::from_secs(8);

/// OSC 52: "put OSCTUI on the clipboard", the most harmful of them.
const OSC52: &str = "\u{1b}]52;c;T1NDVFVJ\u{7}";
/// Clear the screen, framed so that only a raw pass-through forms it.
const CLEAR: &str = "Q\u{1b}[2JQ";
/// Cursor to row 1 column 1, framed the same way.
const HOME: &str = "W\u{1b}[1;1HW";
/// C1 CSI (U+009B) with a colour, and a right-to-left override.
const C1_AND_BIDI: &str = "\u{9b}31m\u{202e}";

fn evil(text: &str) -> String {
    format!("{text}{OSC52}{CLEAR}{HOME}{C1_AND_BIDI}")
}

/// Deletes the cluster-scoped objects (and the namespace) on every way out,
/// from a runtime of its own: Drop cannot await.
struct Cleanup {
    csd: String,
    crd: String,
    namespace: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (csd, crd, namespace) = (self.csd.clone(), self.crd.clone(), self.namespace.clone());
        let done = std::thread::spawn(move || {
            let Ok(runtime) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            runtime.block_on(async move {
                let Some(client) = osctui_testkit::sandbox_client().await else {
                    return;
                };
                let csds: Api<DynamicObject> = Api::all_with(client.clone(), &csd_resource());
                let _ = csds.delete(&csd, &DeleteParams::default()).await;
                let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
                let _ = crds.delete(&crd, &DeleteParams::default()).await;
                osctui_testkit::delete_namespace(&client, &namespace).await;
            });
        });
        let _ = done.join();
    }
}

fn csd_resource() -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("osc.io", "v1beta1", "CustomServiceDefinition"),
        "customservicedefinitions",
    )
}

/// Esc, then a pause: an Esc followed at once by another key reads as
/// Alt+key.
fn esc(console: &Console) {
    let _ = console.key_esc();
    std::thread::sleep(Duration::from_millis(150));
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_objects_are_shown_inert() {
    let Some(client) = osctui_testkit::sandbox_client().await else {
        return;
    };
    let id = osctui_testkit::unique_name("malformed");
    // A short tag that fits in a column: the last characters of the id.
    let tag: String = id
        .chars()
        .rev()
        .take(5)
        .collect::<String>()
        .chars()
        .rev()
        .collect();
    let group = format!("{id}.osctui.dev");
    let crd_name = format!("evilthings.{group}");
    let namespace = osctui_testkit::create_namespace(&client, "malformed").await;
    let _cleanup = Cleanup {
        csd: id.clone(),
        crd: crd_name.clone(),
        namespace: namespace.clone(),
    };

    // The instances' CRD: anything goes in spec and status.
    let crds: Api<CustomResourceDefinition> = Api::all(client.clone());
    let crd: CustomResourceDefinition = serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": crd_name},
        "spec": {
            "group": group,
            "scope": "Namespaced",
            "names": {"plural": "evilthings", "singular": "evilthing", "kind": "EvilThing"},
            "versions": [{
                "name": "v1", "served": true, "storage": true,
                "schema": {"openAPIV3Schema": {
                    "type": "object",
                    "properties": {
                        "spec": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
                        "status": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
                    }
                }}
            }]
        }
    }))
    .unwrap();
    crds.create(&PostParams::default(), &crd).await.unwrap();

    // The service: no versionDefinition, descriptors whose paths point at
    // fields of the wrong type, escapes in every text, a huge description.
    let csds: Api<DynamicObject> = Api::all_with(client.clone(), &csd_resource());
    let mut csd = DynamicObject::new(&id, &csd_resource());
    csd.data = json!({
        "spec": {
            "displayName": evil(&format!("Malformed{tag}")),
            // The CRD caps the description at 4096 bytes.
            "description": evil(&"d".repeat(4000)),
            "role": "serviceEntity",
            "packageType": "Operator",
            "provider": {"name": evil("Mallory"), "contact": evil("mallory@invalid")},
            "CRDRef": {
                "apiVersion": "apiextensions.k8s.io/v1",
                "kind": "CustomResourceDefinition",
                "name": crd_name
            },
            "descriptors": {
                "specDescriptors": [
                    {"path": "replicas", "displayName": evil("Brokers"),
                     "x-descriptors": ["urn:alm:descriptor:com.tectonic.ui:podCount"]},
                    {"path": "resources", "displayName": "Resources",
                     "x-descriptors": ["urn:alm:descriptor:com.tectonic.ui:resourceRequirements"]}
                ],
                "statusDescriptors": [
                    {"path": "phase", "displayName": "Phase",
                     "x-descriptors": ["urn:alm:descriptor:text"]},
                    {"path": "readyReplicas", "displayName": "Ready",
                     "x-descriptors": ["urn:alm:descriptor:com.tectonic.ui:podCount"]}
                ]
            },
            // Free-form in the CRD: the wrong shape, and 128 KiB of text.
            "defaultConfiguration": {
                "spec": "not an object",
                "metadata": [1, 2, 3],
                "huge": evil(&"h".repeat(128 * 1024))
            }
        }
    });
    csds.create(&PostParams::default(), &csd).await.unwrap();

    // The instance, once its CRD serves: wrong types everywhere.
    let instance_resource = ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk(&group, "v1", "EvilThing"),
        "evilthings",
    );
    let instances: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), &namespace, &instance_resource);
    let mut instance = DynamicObject::new("evil-thing", &instance_resource);
    instance.data = json!({
        "spec": {"replicas": "three", "resources": [evil("cpu")], "version": {"x": 1}},
        "status": {
            "phase": {"nested": [evil(&"p".repeat(128 * 1024))]},
            "readyReplicas": "many",
            "conditions": evil("not a list"),
            "currentVersion": 3.5
        }
    });
    let created = osctui_testkit::eventually(
        "the EvilThing CRD to serve",
        Duration::from_secs(30),
        Duration::from_millis(300),
        || {
            let instances = instances.clone();
            let instance = instance.clone();
            async move {
                instances
                    .create(&PostParams::default(), &instance)
                    .await
                    .map_err(|e| e.to_string())
            }
        },
    )
    .await;
    let uid = created.metadata.uid.clone().unwrap();

    // A pod of the instance with escapes in its annotations, and an Event
    // about the instance with escapes in its reason and message.
    let pods: Api<Pod> = Api::namespaced(client.clone(), &namespace);
    let pod: Pod = serde_json::from_value(json!({
        "metadata": {
            "name": "evil-thing-0",
            "labels": {"app": "evil-thing"},
            "annotations": {"note": evil("annotation")},
            "ownerReferences": [{
                "apiVersion": format!("{group}/v1"), "kind": "EvilThing",
                "name": "evil-thing", "uid": uid
            }]
        },
        "spec": {"containers": [{"name": "main", "image": "registry.invalid/evil:1"}]}
    }))
    .unwrap();
    pods.create(&PostParams::default(), &pod).await.unwrap();
    let events: Api<Event> = Api::namespaced(client.clone(), &namespace);
    let now = k8s_openapi::jiff::Timestamp::now();
    let event: Event = serde_json::from_value(json!({
        "metadata": {"name": "evil-thing.1"},
        "involvedObject": {
            "apiVersion": format!("{group}/v1"), "kind": "EvilThing",
            "name": "evil-thing", "namespace": namespace, "uid": uid
        },
        "reason": "EvilReason",
        "message": evil(&format!("EventMessage{tag}")),
        "type": "Warning",
        "count": 1,
        "firstTimestamp": now.to_string(),
        "lastTimestamp": now.to_string(),
        "source": {"component": evil("mallory")}
    }))
    .unwrap();
    events.create(&PostParams::default(), &event).await.unwrap();

    // A Helm release Secret whose payload is not base64 (nor gzip, nor JSON).
    let secrets: Api<Secret> = Api::namespaced(client.clone(), &namespace);
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {
            "name": "sh.helm.release.v1.broken.v1",
            "labels": {"owner": "helm", "name": "broken", "version": "1", "status": "deployed"}
        },
        "type": "helm.sh/release.v1",
        "stringData": {"release": evil("%%% not base64 %%%")}
    }))
    .unwrap();
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();

    // The console, on everything.
    let binary = Path::new(env!("CARGO_BIN_EXE_osctui"));
    let Some(session) = OsctuiSession::start(binary, &[], 250, 45).await else {
        return;
    };
    let console = &session.console;

    // The service is listed, its name neutralized.
    let screen = ok(console.wait_for(&format!("Malformed{tag}"), LOAD));
    assert!(screen.contains("Kafka"), "{screen}");
    // The Helm release that cannot be decoded is listed, saying why.
    let _ = console.send_keys("2");
    let _ = console.send_keys("/broken");
    let _ = console.key_enter();
    let screen = ok(console.wait_for("Helm release not readable", LOAD));
    eprintln!("unreadable release:\n{screen}");
    assert!(screen.contains(&namespace), "{screen}");
    esc(console);
    // Its instance is listed, with the wrong-typed status shown as text.
    let _ = console.send_keys("/evil-thing");
    let _ = console.key_enter();
    // The row (the filter line alone does not show the namespace).
    let screen = ok(console.wait_for(&namespace, LOAD));
    eprintln!("instances:\n{screen}");
    // Its detail opens, with the event.
    let _ = console.key_enter();
    ok(console.wait_for("Overview", STEP));
    // The wrong-typed status: a string where a count belongs is shown as
    // the text it is.
    let screen = ok(console.wait_for("many", LOAD));
    eprintln!("overview:\n{screen}");
    // The fields it cannot read say why instead of a bare "-".
    for problem in [
        "status.phase is an object, expected text",
        "status.conditions is text, expected a list",
    ] {
        assert!(screen.contains(problem), "{problem} not shown:\n{screen}");
    }
    // The spec, wrong types and all.
    let _ = console.key_tab();
    let screen = ok(console.wait_for("three", STEP));
    eprintln!("spec:\n{screen}");
    // The spec's escapes are shown as escapes, not obeyed.
    assert!(screen.contains("\\x1b]52;c;T1NDVFVJ"), "{screen}");
    // Resources (the pod is the instance's by its owner reference only,
    // which this tab does not follow: it counts in READY above).
    let _ = console.key_tab();
    ok(console.wait_for("Resources", STEP));
    // The event, its message neutralized.
    let _ = console.key_tab();
    let screen = ok(console.wait_for(&format!("EventMessage{tag}"), LOAD));
    eprintln!("events:\n{screen}");
    esc(console);
    esc(console);

    // Keys still work: back to the services, then quit.
    let _ = console.send_keys("1");
    ok(console.wait_for("ZooKeeper", STEP));
    let _ = console.send_keys("q");
    let status = console.exit_status(STEP);
    assert!(
        status.as_ref().is_some_and(|s| s.success()),
        "osctui did not exit cleanly: {status:?}\n{}",
        console.screen_text()
    );

    // No injected sequence reached the terminal as written (the texts
    // around them did: this is the stream they would have been in).
    let raw = console.raw_output();
    assert!(find(&raw, format!("EventMessage{tag}").as_bytes()).is_some());
    for (what, needle) in [
        ("OSC 52", "\u{1b}]52"),
        ("clear screen", CLEAR),
        ("cursor home", HOME),
        ("C1 CSI", "\u{9b}"),
        ("bidi override", "\u{202e}"),
        ("BEL", "\u{7}"),
    ] {
        if let Some(at) = find(&raw, needle.as_bytes()) {
            let from = at.saturating_sub(80);
            panic!(
                "{what} reached the terminal raw at byte {at}: {:?}",
                String::from_utf8_lossy(&raw[from..(at + 40).min(raw.len())])
            );
        }
    }
    let _ = std::fs::remove_dir_all(&session.home);
}
