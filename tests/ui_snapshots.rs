//! Golden-screen tests of the UI: real states built through `update` from
//! sandbox-like data, drawn on ratatui's `TestBackend` and compared with the
//! snapshots in `tests/snapshots/` (insta; re-bless with
//! `INSTA_UPDATE=always cargo test --test ui_snapshots` and read the diff).

mod support;

use osctui::action::{Connection, Msg};
use osctui::keymap::{Keymap, Mode};
use osctui::state::State;
use osctui::state::detail::{
    ConditionRow, DependencyRow, EventRow, Field, HelmDetail, HelmRevision, InstanceDetail,
    InstanceRef, ResourceNode,
};
use osctui::state::rows::{
    Health, HealthCounts, InstanceRow, OperatorHealth, ServiceKind, ServiceRow,
};
use osctui::theme::Theme;
use osctui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::{NOW, keys, typed};

const MINUTE: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;

fn service(
    name: &str,
    display: &str,
    kind: ServiceKind,
    versions: &[&str],
    operator: OperatorHealth,
) -> ServiceRow {
    ServiceRow {
        name: name.into(),
        display_name: display.into(),
        kind,
        provider: "osc-examples".into(),
        allowed_versions: versions.iter().map(|v| (*v).to_owned()).collect(),
        operator,
        install: Default::default(),
        crd: Default::default(),
        problems: Vec::new(),
        counts: HealthCounts::default(),
    }
}

fn services() -> Vec<ServiceRow> {
    vec![
        service(
            "kafka",
            "Apache Kafka",
            ServiceKind::Operator,
            &["3.4.0", "3.5.2", "3.6.1", "3.7.1"],
            OperatorHealth::Available,
        ),
        service(
            "redis",
            "Redis",
            ServiceKind::Operator,
            &["7.0.15", "7.2.4"],
            OperatorHealth::NotAvailable {
                reason: "ImagePullBackOff: registry.invalid/redis-operator".into(),
            },
        ),
        service(
            "zookeeper",
            "Apache ZooKeeper",
            ServiceKind::Operator,
            &["3.8.4", "3.9.2"],
            OperatorHealth::Available,
        ),
        service(
            "memcached",
            "Memcached",
            ServiceKind::Helm,
            &["1.2.0", "1.3.0"],
            OperatorHealth::Unknown,
        ),
    ]
}

#[allow(clippy::too_many_arguments)]
fn instance(
    uid: &str,
    ns: &str,
    name: &str,
    service: &str,
    kind: ServiceKind,
    version: &str,
    health: Health,
    ready: (u32, u32),
    age: i64,
    event: Option<&str>,
) -> InstanceRow {
    InstanceRow {
        uid: uid.into(),
        name: name.into(),
        namespace: ns.into(),
        service: service.into(),
        kind,
        version: Some(version.into()),
        health,
        ready,
        created: NOW - age,
        latest_event: event.map(str::to_owned),
    }
}

fn instances() -> Vec<InstanceRow> {
    use Health::*;
    use ServiceKind::*;
    vec![
        instance(
            "u-orders",
            "team-a",
            "orders",
            "kafka",
            Operator,
            "3.7.1",
            Healthy,
            (3, 3),
            12 * DAY,
            Some("Reconciled: all brokers ready"),
        ),
        instance(
            "u-payments",
            "team-a",
            "payments",
            "kafka",
            Operator,
            "3.6.1",
            Healthy,
            (3, 3),
            5 * DAY,
            None,
        ),
        instance(
            "u-audit",
            "team-b",
            "audit-log",
            "kafka",
            Operator,
            "3.7.1",
            Degraded,
            (2, 3),
            3 * HOUR,
            Some("Pod audit-log-kafka-2 not ready"),
        ),
        instance(
            "u-click",
            "team-b",
            "clickstream",
            "kafka",
            Operator,
            "3.5.2",
            Progressing,
            (3, 5),
            45 * MINUTE,
            Some("Upgrading to 3.6.1"),
        ),
        instance(
            "u-legacy",
            "team-b",
            "legacy-events",
            "kafka",
            Operator,
            "3.4.0",
            Failed,
            (0, 3),
            30 * DAY,
            Some("Back-off restarting failed container"),
        ),
        instance(
            "u-sessions",
            "team-a",
            "sessions",
            "redis",
            Operator,
            "7.2.4",
            Deleting,
            (1, 1),
            2 * HOUR,
            Some("Deleting: waiting for finalizer redis.osc.dev/cleanup"),
        ),
        instance(
            "u-webcache",
            "cache",
            "web-cache",
            "memcached",
            Helm,
            "1.2.0",
            Healthy,
            (1, 1),
            4 * DAY,
            None,
        ),
        instance(
            "u-sesscache",
            "team-a",
            "session-cache",
            "memcached",
            Helm,
            "1.2.0",
            Failed,
            (0, 1),
            50,
            Some("Failed to pull image \"memcached:1.6.99\""),
        ),
    ]
}

/// A connected, synced console on the services view at this size.
fn base(width: u16, height: u16) -> State {
    let mut state = support::connected(width, height);
    update(&mut state, Msg::ServicesChanged(services()));
    update(&mut state, Msg::InstancesRelisted(instances()));
    update(
        &mut state,
        Msg::NamespacesListed(vec![
            "cache".into(),
            "default".into(),
            "osc-system".into(),
            "team-a".into(),
            "team-b".into(),
        ]),
    );
    update(
        &mut state,
        Msg::ContextsListed(vec!["osc-sandbox".into(), "prod-eu-1".into()]),
    );
    update(&mut state, Msg::Synced);
    state
}

fn render(state: &State, theme: &Theme) -> String {
    let (width, height) = state.size;
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| match e {});
    terminal
        .draw(|frame| osctui::ui::draw(frame, state, theme))
        .unwrap_or_else(|e| match e {});
    // The selection is drawn by style only: note where it is under the
    // text (first column of each row in the selected style).
    let buffer = terminal.backend().buffer();
    let mut marks = Vec::new();
    for y in 0..height {
        for x in 0..width {
            let bg = Some(buffer[(x, y)].bg);
            let kind = if bg == theme.selected.bg {
                "selected"
            } else if bg == theme.selected_unfocused.bg {
                "selected (unfocused)"
            } else {
                continue;
            };
            marks.push(format!("{kind}: row {y} from column {x}"));
            break;
        }
    }
    format!("{}\n{}", terminal.backend(), marks.join("\n"))
}

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// Snapshots a scenario at 80x24 and 160x48.
fn snap(name: &str, build: impl Fn(u16, u16) -> State) {
    let theme = Theme::default();
    for (w, h) in SIZES {
        let state = build(w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&state, &theme));
    }
}

fn clickstream_detail() -> InstanceDetail {
    let target = InstanceRef {
        uid: "u-click".into(),
        name: "clickstream".into(),
        namespace: "team-b".into(),
        service: "kafka".into(),
        kind: ServiceKind::Operator,
    };
    let field = |label: &str, value: &str| Field {
        label: label.into(),
        value: value.into(),
    };
    let node =
        |depth, kind: &str, name: &str, health, status: &str, reason: Option<&str>| ResourceNode {
            depth,
            kind: kind.into(),
            name: name.into(),
            health,
            status: status.into(),
            reason: reason.map(str::to_owned),
            pod: None,
        };
    let event = |age: i64, warning, reason: &str, object: &str, message: &str, count| EventRow {
        time: NOW - age,
        warning,
        reason: reason.into(),
        object: object.into(),
        message: message.into(),
        count,
    };
    let spec = |password: &str| {
        format!(
            "# Apache Kafka instance\nversion: 3.6.1\nreplicas: 5\nstorage:\n  size: 20Gi\n  class: standard\nlisteners:\n  - name: plain\n    port: 9092\n    tls: false\n  - name: tls\n    port: 9093\n    tls: true\nauth:\n  adminUser: admin\n  adminPassword: {password}\nconfig:\n  log.retention.hours: \"168\"  # one week\n"
        )
    };
    InstanceDetail {
        target,
        health: Health::Progressing,
        overview: vec![
            field("Phase", "Upgrading"),
            field("Version", "3.5.2 → 3.6.1"),
            field("Brokers", "3/5 ready"),
            field(
                "Bootstrap servers",
                "clickstream-kafka-bootstrap.team-b.svc:9092",
            ),
            field("Storage", "20Gi (standard)"),
            field("Last backup", "-"),
        ],
        conditions: vec![
            ConditionRow {
                type_: "Ready".into(),
                status: "False".into(),
                good: false,
                reason: "BrokersNotReady".into(),
                message: "2 of 5 brokers are not ready".into(),
                last_transition: Some(NOW - 10 * MINUTE),
            },
            ConditionRow {
                type_: "Upgrading".into(),
                status: "True".into(),
                good: true,
                reason: "RollingUpdate".into(),
                message: "Upgrading to 3.6.1 (broker 3 of 5)".into(),
                last_transition: Some(NOW - 12 * MINUTE),
            },
            ConditionRow {
                type_: "Failed".into(),
                status: "False".into(),
                good: true,
                reason: "".into(),
                message: "".into(),
                last_transition: Some(NOW - 45 * MINUTE),
            },
        ],
        spec_masked: spec("••••••"),
        spec_revealed: spec("s3cr3t-adm1n"),
        resources: vec![
            node(
                0,
                "StatefulSet",
                "clickstream-kafka",
                Health::Progressing,
                "3/5 ready",
                None,
            ),
            node(
                1,
                "Pod",
                "clickstream-kafka-0",
                Health::Healthy,
                "Running, ready",
                None,
            ),
            node(
                1,
                "Pod",
                "clickstream-kafka-1",
                Health::Healthy,
                "Running, ready",
                None,
            ),
            node(
                1,
                "Pod",
                "clickstream-kafka-2",
                Health::Healthy,
                "Running, ready",
                None,
            ),
            node(
                1,
                "Pod",
                "clickstream-kafka-3",
                Health::Progressing,
                "Pending, not ready",
                Some("Unschedulable: 0/3 nodes are available: 3 Insufficient memory"),
            ),
            node(
                1,
                "Pod",
                "clickstream-kafka-4",
                Health::Failed,
                "Running, not ready, 4 restarts",
                Some("CrashLoopBackOff: back-off 5m0s"),
            ),
            node(
                0,
                "Service",
                "clickstream-kafka-bootstrap",
                Health::Healthy,
                "ClusterIP 10.96.12.7",
                None,
            ),
            node(
                0,
                "ConfigMap",
                "clickstream-kafka-config",
                Health::Healthy,
                "3 keys",
                None,
            ),
        ],
        events: vec![
            event(
                2 * MINUTE,
                true,
                "BackOff",
                "Pod/clickstream-kafka-4",
                "Back-off restarting failed container kafka",
                12,
            ),
            event(
                5 * MINUTE,
                true,
                "FailedScheduling",
                "Pod/clickstream-kafka-3",
                "0/3 nodes are available: 3 Insufficient memory",
                4,
            ),
            event(
                12 * MINUTE,
                false,
                "Upgrading",
                "Kafka/clickstream",
                "Upgrading to 3.6.1",
                1,
            ),
            event(
                45 * MINUTE,
                false,
                "Created",
                "StatefulSet/clickstream-kafka",
                "created pod clickstream-kafka-0",
                1,
            ),
        ],
        dependencies: vec![
            DependencyRow {
                service: "zookeeper".into(),
                instance: None,
                health: Health::Unknown,
                note: "not found in team-b".into(),
            },
            DependencyRow {
                service: "kafka".into(),
                instance: Some("team-a/orders".into()),
                health: Health::Healthy,
                note: "mirror source".into(),
            },
        ],
        helm: None,
        problems: Vec::new(),
        generation: None,
        observed_generation: None,
    }
}

fn session_cache_detail() -> InstanceDetail {
    let target = InstanceRef {
        uid: "u-sesscache".into(),
        name: "session-cache".into(),
        namespace: "team-a".into(),
        service: "memcached".into(),
        kind: ServiceKind::Helm,
    };
    let field = |label: &str, value: &str| Field {
        label: label.into(),
        value: value.into(),
    };
    let user_values = |password: &str| {
        format!("image:\n  tag: 1.6.99\nauth:\n  enabled: true\n  password: {password}\n")
    };
    let computed = |password: &str| {
        format!(
            "# computed: chart defaults merged with user values\nreplicaCount: 1\nimage:\n  repository: memcached\n  tag: 1.6.99\n  pullPolicy: IfNotPresent\nauth:\n  enabled: true\n  username: app\n  password: {password}\nresources:\n  requests:\n    memory: 64Mi\n    cpu: 50m\nservice:\n  port: 11211\n"
        )
    };
    InstanceDetail {
        target,
        health: Health::Failed,
        overview: vec![
            field("Status", "failed"),
            field("Chart", "memcached"),
            field("Chart version", "1.2.0"),
            field("App version", "1.6.21"),
            field("Revision", "2"),
            field("Pods", "0/1 ready"),
        ],
        conditions: Vec::new(),
        spec_masked: user_values("••••••"),
        spec_revealed: user_values("hunter2"),
        resources: vec![
            ResourceNode {
                depth: 0,
                kind: "Deployment".into(),
                name: "session-cache-memcached".into(),
                health: Health::Failed,
                status: "0/1 ready".into(),
                reason: None,
                pod: None,
            },
            ResourceNode {
                depth: 1,
                kind: "Pod".into(),
                name: "session-cache-memcached-7d9c-x2k4q".into(),
                health: Health::Failed,
                status: "Pending, not ready".into(),
                reason: Some("ImagePullBackOff: Back-off pulling image \"memcached:1.6.99\"".into()),
                pod: None,
            },
            ResourceNode {
                depth: 0,
                kind: "Service".into(),
                name: "session-cache-memcached".into(),
                health: Health::Healthy,
                status: "ClusterIP 10.96.40.2".into(),
                reason: None,
                pod: None,
            },
        ],
        events: vec![EventRow {
            time: NOW - 30,
            warning: true,
            reason: "Failed".into(),
            object: "Pod/session-cache-memcached-7d9c-x2k4q".into(),
            message: "Failed to pull image \"memcached:1.6.99\": not found".into(),
            count: 3,
        }],
        dependencies: Vec::new(),
        helm: Some(HelmDetail {
            status: "failed".into(),
            chart: "memcached".into(),
            chart_version: "1.2.0".into(),
            app_version: "1.6.21".into(),
            revision: 2,
            history: vec![
                HelmRevision {
                    revision: 2,
                    status: "failed".into(),
                    chart: "memcached-1.2.0".into(),
                    app_version: "1.6.21".into(),
                    updated: Some(NOW - 40),
                    description: "Upgrade \"session-cache\" failed: context deadline exceeded".into(),
                },
                HelmRevision {
                    revision: 1,
                    status: "superseded".into(),
                    chart: "memcached-1.1.0".into(),
                    app_version: "1.6.21".into(),
                    updated: Some(NOW - 3 * DAY),
                    description: "Install complete".into(),
                },
            ],
            user_values: user_values("••••••"),
            computed_values: computed("••••••"),
            computed_values_revealed: computed("hunter2"),
            notes: "Memcached can be reached at:\n  session-cache-memcached.team-a.svc.cluster.local:11211\n\nFrom a pod in the cluster:\n  echo stats | nc session-cache-memcached 11211\n".into(),
            manifest_resources: vec![
                ("Deployment".into(), "session-cache-memcached".into()),
                ("Service".into(), "session-cache-memcached".into()),
            ],
        }),
        problems: Vec::new(),
        generation: None,
        observed_generation: None,
    }
}

/// The instances view with the selection on `name` (typed as a filter,
/// accepted, then cleared with nothing but the selection left).
fn select(state: &mut State, name: &str) {
    keys(state, &["2", "/"]);
    typed(state, name);
    keys(state, &["Enter"]);
}

fn detail_of(width: u16, height: u16, name: &str, data: InstanceDetail, tabs: usize) -> State {
    let mut state = base(width, height);
    select(&mut state, name);
    keys(&mut state, &["Enter"]);
    assert_eq!(state.mode, Mode::Detail, "detail did not open for {name}");
    update(&mut state, Msg::DetailUpdated(Box::new(data)));
    for _ in 0..tabs {
        keys(&mut state, &["Tab"]);
    }
    state
}

fn operator_detail(width: u16, height: u16, tabs: usize) -> State {
    detail_of(width, height, "clickstream", clickstream_detail(), tabs)
}

fn helm_detail(width: u16, height: u16, tabs: usize) -> State {
    detail_of(width, height, "session-cache", session_cache_detail(), tabs)
}

#[test]
fn services_view() {
    snap("services", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["j"]);
        state
    });
}

#[test]
fn instances_all_namespaces() {
    snap("instances_all", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["2", "j", "j"]);
        state
    });
}

#[test]
fn instances_one_namespace_sorted_by_age() {
    snap("instances_team_b", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["2", ":"]);
        typed(&mut state, "ns team-b");
        keys(&mut state, &["Enter"]);
        let rows = instances()
            .into_iter()
            .filter(|r| r.namespace == "team-b")
            .collect();
        update(&mut state, Msg::InstancesRelisted(rows));
        update(&mut state, Msg::Synced);
        keys(&mut state, &["A", "A"]);
        state
    });
}

#[test]
fn instances_of_one_service_readonly() {
    snap("instances_kafka_readonly", |w, h| {
        let mut state = base(w, h);
        state.readonly = true;
        keys(&mut state, &["Enter", "G"]);
        state
    });
}

#[test]
fn filter_typing() {
    snap("filter_typing", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["2", "/"]);
        typed(&mut state, "team-b");
        state
    });
}

#[test]
fn filter_applied_and_nothing_matches() {
    snap("filter_no_match", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["2", "/"]);
        typed(&mut state, "rabbitmq");
        keys(&mut state, &["Enter"]);
        state
    });
}

#[test]
fn command_typing_with_completion() {
    snap("command_completion", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["2", ":"]);
        typed(&mut state, "ns team");
        // First Tab fills "team-", the second starts cycling.
        keys(&mut state, &["Tab", "Tab", "Tab"]);
        state
    });
}

#[test]
fn command_error_notice() {
    snap("notice", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &[":"]);
        typed(&mut state, "scale kafka");
        keys(&mut state, &["Enter"]);
        state
    });
}

#[test]
fn help_overlay() {
    snap("help", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["2", "?"]);
        state
    });
    snap("help_from_detail", |w, h| {
        let mut state = operator_detail(w, h, 0);
        keys(&mut state, &["?"]);
        state
    });
}

#[test]
fn namespace_picker() {
    snap("picker_namespace", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["2", "n", "Down", "Down"]);
        state
    });
    snap("picker_context_query", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["c"]);
        typed(&mut state, "prod");
        state
    });
}

#[test]
fn stale_banner() {
    snap("stale", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["2"]);
        update(
            &mut state,
            Msg::Connection(Connection::Disconnected {
                since: NOW - 95,
                error:
                    "error trying to connect: tcp connect error: Connection refused (os error 111)"
                        .into(),
            }),
        );
        state
    });
}

#[test]
fn loading_before_first_list() {
    snap("loading", |w, h| {
        let mut state = State::new(Keymap::default());
        update(
            &mut state,
            Msg::Resize {
                width: w,
                height: h,
            },
        );
        keys(&mut state, &["2"]);
        state
    });
}

/// The instances have listed, the pods not yet (a big cluster): names,
/// versions and ages are shown, health and readiness read "…", the top bar
/// still says loading, and the services view counts without health.
#[test]
fn instances_known_before_their_pods() {
    for (view, name) in [
        ("2", "instances_before_pods"),
        ("1", "services_before_pods"),
    ] {
        snap(name, |w, h| {
            let mut state = support::connected(w, h);
            update(&mut state, Msg::ServicesChanged(services()));
            let preview = instances()
                .into_iter()
                .map(|mut row| {
                    row.health = osctui::domain::health::Health::Unknown;
                    row.ready = (0, 0);
                    row.latest_event = None;
                    row
                })
                .collect();
            update(&mut state, Msg::InstancesRelisted(preview));
            keys(&mut state, &[view]);
            state
        });
    }
}

#[test]
fn operator_detail_tabs() {
    let names = [
        "overview",
        "spec",
        "resources",
        "events",
        "dependencies",
        "diagnosis",
    ];
    for (tabs, name) in names.iter().enumerate() {
        snap(&format!("detail_operator_{name}"), |w, h| {
            operator_detail(w, h, tabs)
        });
    }
    snap("detail_operator_spec_revealed", |w, h| {
        let mut state = operator_detail(w, h, 1);
        keys(&mut state, &["x"]);
        state
    });
    // Short enough to scroll: body lines 3.. are drawn from the body top.
    let mut state = operator_detail(80, 12, 1);
    keys(&mut state, &["j", "j", "j"]);
    assert_eq!(state.detail.as_ref().map(|d| d.scroll), Some(3));
    insta::assert_snapshot!(
        "detail_operator_spec_scrolled_80x12",
        render(&state, &Theme::default())
    );
}

#[test]
fn helm_detail_tabs() {
    let names = [
        "overview",
        "values",
        "resources",
        "events",
        "history",
        "notes",
        "diagnosis",
    ];
    for (tabs, name) in names.iter().enumerate() {
        snap(&format!("detail_helm_{name}"), |w, h| {
            helm_detail(w, h, tabs)
        });
    }
    snap("detail_helm_computed_values", |w, h| {
        let mut state = helm_detail(w, h, 1);
        keys(&mut state, &["v"]);
        state
    });
}

#[test]
fn detail_loading_and_failed() {
    snap("detail_loading", |w, h| {
        let mut state = base(w, h);
        select(&mut state, "orders");
        keys(&mut state, &["Enter"]);
        state
    });
    snap("detail_failed", |w, h| {
        let mut state = base(w, h);
        select(&mut state, "orders");
        keys(&mut state, &["Enter"]);
        update(
            &mut state,
            Msg::DetailFailed {
                uid: "u-orders".into(),
                error: "kafkas.osc.dev \"orders\" is forbidden: User \"dev\" cannot get resource"
                    .into(),
            },
        );
        state
    });
}

/// Every scenario above, for the no-panic and theme sweeps.
fn every_view(width: u16, height: u16) -> Vec<State> {
    let mut states = vec![base(width, height)];
    let mut push = |list: &[&str]| {
        let mut s = base(width, height);
        keys(&mut s, list);
        states.push(s);
    };
    push(&["2"]);
    push(&["2", "/", "x"]);
    push(&["2", ":", "n", "s", " ", "Tab", "Tab"]);
    push(&["?"]);
    push(&["n"]);
    push(&["c"]);
    for tabs in 0..5 {
        states.push(operator_detail(width, height, tabs));
    }
    for tabs in 0..6 {
        states.push(helm_detail(width, height, tabs));
    }
    let mut help = operator_detail(width, height, 0);
    keys(&mut help, &["?"]);
    states.push(help);
    let mut stale = base(width, height);
    update(
        &mut stale,
        Msg::Connection(Connection::Disconnected {
            since: NOW,
            error: "refused".into(),
        }),
    );
    states.push(stale);
    states
}

#[test]
fn tiny_sizes_never_panic() {
    let theme = Theme::default();
    for w in 1..=20u16 {
        for h in 1..=5u16 {
            // Laid out for the size drawn, and for a stale size (a resize
            // not processed yet).
            for state in every_view(w, h).into_iter().chain(every_view(80, 24)) {
                let mut terminal =
                    Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| match e {});
                terminal
                    .draw(|frame| osctui::ui::draw(frame, &state, &theme))
                    .unwrap_or_else(|e| match e {});
            }
        }
    }
}

#[test]
fn every_builtin_theme_draws_every_view() {
    for name in Theme::builtin_names() {
        let theme = Theme::builtin(name).unwrap_or_else(|| panic!("{name}"));
        for state in every_view(80, 24) {
            let text = render(&state, &theme);
            assert!(text.contains("osctui") || text.contains('/'), "{name}");
        }
    }
}

/// The table must draw exactly one row per viewport line, from
/// `layout.body_top`, because clicks are mapped by the same layout.
#[test]
fn instances_fill_the_viewport_row_for_row() {
    for (w, h) in [(80, 24), (160, 48), (40, 10)] {
        let mut state = base(w, h);
        let many: Vec<InstanceRow> = (0..200)
            .map(|i| {
                instance(
                    &format!("u{i}"),
                    "team-a",
                    &format!("inst-{i:03}"),
                    "kafka",
                    ServiceKind::Operator,
                    "3.7.1",
                    Health::Healthy,
                    (1, 1),
                    DAY,
                    None,
                )
            })
            .collect();
        update(&mut state, Msg::InstancesRelisted(many));
        keys(&mut state, &["2", "ctrl+d", "j"]);
        let text = render(&state, &Theme::default());
        let lines: Vec<&str> = text.lines().collect();
        let layout = state.layout();
        let first = usize::from(layout.body_top);
        let height = state.viewport_height();
        let drawn: Vec<&str> = lines
            .iter()
            .filter(|l| l.contains("inst-"))
            .copied()
            .collect();
        assert_eq!(drawn.len(), height, "{w}x{h}:\n{text}");
        let expected_first = format!("inst-{:03}", state.table.offset());
        assert!(
            lines[first].contains(&expected_first),
            "{w}x{h}: {}",
            lines[first]
        );
        let last = first + height - 1;
        let expected_last = format!("inst-{:03}", state.table.offset() + height - 1);
        assert!(
            lines[last].contains(&expected_last),
            "{w}x{h}: {}",
            lines[last]
        );
        assert!(!lines[usize::from(layout.bottom_row)].contains("inst-"));
        assert!(lines[usize::from(layout.heading_row)].contains("NAME▲"));
    }
}

/// Body line i of a detail tab is drawn at body row i - scroll, and the
/// number of lines agrees with `DetailState::body_lines`.
#[test]
fn detail_lines_agree_with_body_lines() {
    let theme = Theme::default();
    for (detail, tabs) in [(true, 5), (false, 6)] {
        for tab in 0..tabs {
            // Six rows leave a body of three: short enough to scroll.
            let mut state = if detail {
                operator_detail(160, 6, tab)
            } else {
                helm_detail(160, 6, tab)
            };
            let Some(d) = state.detail.as_ref() else {
                panic!("no detail")
            };
            let Some(data) = d.data.as_ref() else {
                panic!("no data")
            };
            let all = osctui::ui::detail::lines(d, data, NOW, &theme, 0..usize::MAX);
            assert_eq!(all.len(), d.body_lines(), "tab {:?}", d.tab);
            // Scrolled by one: the second line comes first.
            keys(&mut state, &["j"]);
            let Some(d) = state.detail.as_ref() else {
                panic!("no detail")
            };
            let Some(data) = d.data.as_ref() else {
                panic!("no data")
            };
            if d.body_lines() > 1 && d.scroll == 1 {
                let page = osctui::ui::detail::lines(d, data, NOW, &theme, 1..3);
                assert_eq!(page.first(), all.get(1));
            }
        }
    }
}

/// Services where Redis's operator is stuck installing and its CRD is
/// older than its package (OSC FAQ 2 and 3).
fn services_with_faq_cases() -> Vec<ServiceRow> {
    let mut rows = services();
    for row in rows.iter_mut().filter(|r| r.name == "redis") {
        row.install = osctui::state::rows::OperatorInstall::Stuck {
            reason: "ImagePullBackOff: Back-off pulling image; Deployment does not have \
                     minimum availability."
                .into(),
        };
        row.crd = osctui::state::rows::CrdState::Drift {
            crd: "hwredises.osctest.osctui.dev".into(),
            version: "v1".into(),
            missing: vec!["spec.persistence.mode".into(), "status.role".into()],
        };
    }
    rows
}

#[test]
fn diagnosis_tab_with_a_selected_finding() {
    snap("detail_operator_diagnosis_selected", |w, h| {
        let mut state = operator_detail(w, h, 5);
        keys(&mut state, &["j"]);
        assert_eq!(state.detail.as_ref().map(|d| d.finding_cursor), Some(1));
        state
    });
    // Every drawn line agrees with the count the scrolling uses, and the
    // selection moving down scrolls the body so that it stays visible.
    let theme = Theme::default();
    let mut state = operator_detail(160, 6, 5);
    let total = state.detail.as_ref().map_or(0, |d| d.body_lines());
    let findings = state.detail.as_ref().map_or(0, |d| d.findings.len());
    assert!(findings >= 2, "the example has findings to move over");
    for _ in 0..findings {
        keys(&mut state, &["j"]);
    }
    let Some(d) = state.detail.as_ref() else {
        panic!("no detail")
    };
    let Some(data) = d.data.as_ref() else {
        panic!("no data")
    };
    assert_eq!(
        osctui::ui::detail::lines(d, data, NOW, &theme, 0..usize::MAX).len(),
        total
    );
    assert_eq!(d.finding_cursor, findings - 1);
    let body = state.viewport_height();
    assert!(d.scroll + body >= total, "the last finding is on screen");
}

#[test]
fn service_diagnosis_view() {
    snap("service_diagnosis_redis", |w, h| {
        let mut state = base(w, h);
        update(&mut state, Msg::ServicesChanged(services_with_faq_cases()));
        typed(&mut state, "/redis");
        keys(&mut state, &["Enter", "d"]);
        assert_eq!(state.mode, Mode::Findings);
        state
    });
    snap("service_diagnosis_kafka_selected", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["d", "j"]);
        state
    });
    // Enter on a failing instance opens its detail on the Diagnosis tab.
    let mut state = base(80, 24);
    keys(&mut state, &["d"]);
    let target = state.findings.as_ref().and_then(|f| {
        f.findings
            .iter()
            .position(|x| matches!(x.look_at, osctui::state::diagnosis::LookAt::Instance { .. }))
    });
    let Some(target) = target else {
        panic!("kafka has a failing instance in the examples")
    };
    for _ in 0..target {
        keys(&mut state, &["j"]);
    }
    keys(&mut state, &["Enter"]);
    assert_eq!(state.mode, Mode::Detail);
    assert_eq!(
        state.detail.as_ref().map(|d| d.tab),
        Some(osctui::state::detail::DetailTab::Diagnosis)
    );
    keys(&mut state, &["Esc", "Esc"]);
    assert_eq!(state.mode, Mode::Normal);

    // Any size, down to 1x1, draws without panicking, selection moved or not.
    let theme = Theme::default();
    for (w, h) in [(1, 1), (2, 2), (10, 3), (30, 5), (80, 4)] {
        let mut service = base(w, h);
        update(
            &mut service,
            Msg::ServicesChanged(services_with_faq_cases()),
        );
        keys(&mut service, &["d", "G"]);
        let _ = render(&service, &theme);
        let mut detail = operator_detail(w, h, 5);
        keys(&mut detail, &["G"]);
        let _ = render(&detail, &theme);
    }
}
