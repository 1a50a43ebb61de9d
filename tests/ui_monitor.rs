//! Golden-screen tests of the monitoring view: states built through
//! `update` from the `MetricsEvent`s the metrics task sends (three Kafka
//! brokers at ~25m CPU and ~48Mi against requests 500m/1Gi and limits
//! 1/2Gi; ~120 messages/s per topic), drawn on ratatui's `TestBackend`
//! and compared with `tests/snapshots/` (re-bless with
//! `INSTA_UPDATE=always cargo test --test ui_monitor` and read the diff).

mod support;

use osctui::action::Msg;
use osctui::state::State;
use osctui::state::detail::{InstanceDetail, InstanceRef, ResourceNode};
use osctui::state::monitor::{
    LevelLayout, MetricLayout, MetricsEvent, MonitorLine, PodUsage, ScrapedValue,
};
use osctui::state::rows::{Health, InstanceRow, ServiceKind};
use osctui::theme::Theme;
use osctui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use support::{NOW, keys};

const MI: f64 = 1024.0 * 1024.0;
const GI: f64 = 1024.0 * MI;
const PODS: [&str; 3] = ["orders-kafka-0", "orders-kafka-1", "orders-kafka-2"];
const TOPICS: [&str; 3] = ["orders", "payments", "shipments"];

fn orders() -> InstanceRow {
    InstanceRow {
        uid: "u-orders".into(),
        name: "orders".into(),
        namespace: "team-a".into(),
        service: "kafka".into(),
        kind: ServiceKind::Operator,
        version: Some("3.7.1".into()),
        health: Health::Healthy,
        ready: (3, 3),
        created: NOW - 12 * 86_400,
        latest_event: None,
    }
}

/// A connected console at this size on the instances view with `orders`
/// selected.
fn base(width: u16, height: u16) -> State {
    let mut state = support::connected(width, height);
    update(&mut state, Msg::InstancesRelisted(vec![orders()]));
    update(&mut state, Msg::Synced);
    keys(&mut state, &["2"]);
    state
}

/// The monitoring view of `orders`, opened from the instances list, with
/// its session.
fn monitoring(width: u16, height: u16) -> (State, u64) {
    let mut state = base(width, height);
    keys(&mut state, &["M"]);
    let session = state.last_session;
    assert!(state.monitor.is_some(), "M opens the monitoring view");
    (state, session)
}

fn pod(name: &str, cpu: f64, memory_mi: f64) -> PodUsage {
    PodUsage {
        pod: name.into(),
        cpu_millis: cpu,
        memory_bytes: memory_mi * MI,
        cpu_request_millis: Some(500.0),
        cpu_limit_millis: Some(1000.0),
        memory_request_bytes: Some(GI),
        memory_limit_bytes: Some(2.0 * GI),
    }
}

/// Twelve readings, 10 s apart, of the three brokers; broker 2 climbs
/// towards its CPU limit (a hot partition) so the colours show.
fn readings(state: &mut State, session: u64) {
    for i in 0..12_i64 {
        let wave = [0.0, 3.0, 5.0, 2.0, -2.0, -4.0][(i % 6) as usize];
        let pods = vec![
            pod(PODS[0], 25.0 + wave, 48.0 + (i % 3) as f64),
            pod(PODS[1], 23.0 - wave / 2.0, 46.0),
            pod(PODS[2], 60.0 + 75.0 * i as f64, 51.0 + i as f64),
        ];
        update(
            state,
            Msg::Metrics(MetricsEvent::Usage {
                session,
                at: NOW - 110 + i * 10,
                pods,
            }),
        );
    }
}

fn layout() -> Vec<LevelLayout> {
    let chart = |title: &str, unit: &str, selected| MetricLayout {
        title: title.into(),
        unit: Some(unit.into()),
        selected,
    };
    vec![
        LevelLayout {
            name: "broker".into(),
            group_label: None,
            metrics: vec![
                chart("Messages in", "msg/s", true),
                chart("Under-replicated partitions", "partitions", true),
            ],
        },
        LevelLayout {
            name: "topics".into(),
            group_label: Some("topic".into()),
            metrics: vec![
                chart("Messages in", "msg/s", true),
                chart("Bytes in", "bytes/s", true),
                chart("Fetch requests", "req/s", false),
            ],
        },
    ]
}

fn send_layout(state: &mut State, session: u64) {
    update(
        state,
        Msg::Metrics(MetricsEvent::Layout {
            session,
            levels: layout(),
        }),
    );
}

/// Twelve scrapes: ~120 msg/s per topic, ~1 KiB per message.
fn scrapes(state: &mut State, session: u64) {
    for i in 0..12_i64 {
        let mut values = Vec::new();
        let mut total = 0.0;
        for (t, topic) in TOPICS.iter().enumerate() {
            let rate = 120.0 + ((i * 7 + t as i64 * 5) % 13) as f64 - 6.0 + t as f64 * 4.0;
            total += rate;
            let group = Some((*topic).to_owned());
            values.push(ScrapedValue {
                level: 1,
                metric: 0,
                group: group.clone(),
                value: rate,
            });
            values.push(ScrapedValue {
                level: 1,
                metric: 1,
                group: group.clone(),
                value: rate * 1024.0,
            });
            values.push(ScrapedValue {
                level: 1,
                metric: 2,
                group,
                value: 8.0 + t as f64,
            });
        }
        values.push(ScrapedValue {
            level: 0,
            metric: 0,
            group: None,
            value: total,
        });
        values.push(ScrapedValue {
            level: 0,
            metric: 1,
            group: None,
            value: 0.0,
        });
        update(
            state,
            Msg::Metrics(MetricsEvent::Scraped {
                session,
                at: NOW - 110 + i * 10,
                values,
                via: "pod proxy".into(),
            }),
        );
    }
}

/// The MonitorConfig metrics of the current session fail.
fn scrape_missing(state: &mut State, reason: &str) {
    let session = state.last_session;
    update(
        state,
        Msg::Metrics(MetricsEvent::ScrapeMissing {
            session,
            reason: reason.into(),
        }),
    );
}

/// The screen as text, then where the usage colours are (the first cell
/// of each row drawn in the healthy, degraded or failed style).
fn render(state: &State, theme: &Theme) -> String {
    let (width, height) = state.size;
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| match e {});
    terminal
        .draw(|frame| osctui::ui::draw(frame, state, theme))
        .unwrap_or_else(|e| match e {});
    let buffer = terminal.backend().buffer();
    let mut marks = Vec::new();
    for y in 0..height {
        let mut kinds = Vec::new();
        for x in 0..width {
            let fg = Some(buffer[(x, y)].fg);
            let kind = if fg == theme.failed.fg {
                "failed"
            } else if fg == theme.degraded.fg {
                "degraded"
            } else if fg == theme.healthy.fg {
                "healthy"
            } else {
                continue;
            };
            if !kinds.contains(&kind) {
                kinds.push(kind);
                marks.push(format!("{kind}: row {y} from column {x}"));
            }
        }
    }
    format!("{}\n{}", terminal.backend(), marks.join("\n"))
}

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snap(name: &str, build: impl Fn(u16, u16) -> State) {
    let theme = Theme::default();
    for (w, h) in SIZES {
        let state = build(w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&state, &theme));
    }
}

fn resources(w: u16, h: u16) -> State {
    let (mut state, s) = monitoring(w, h);
    readings(&mut state, s);
    send_layout(&mut state, s);
    scrapes(&mut state, s);
    state
}

#[test]
fn monitor_resources() {
    snap("monitor_resources", resources);
}

#[test]
fn monitor_waiting() {
    snap("monitor_waiting", |w, h| monitoring(w, h).0);
}

/// Opened from the detail, which knows the pods: they are listed although
/// metrics.k8s.io cannot be read; the MonitorConfig metrics still work.
#[test]
fn monitor_metrics_missing() {
    snap("monitor_metrics_missing", |w, h| {
        let mut state = base(w, h);
        keys(&mut state, &["Enter"]);
        let target = InstanceRef {
            uid: "u-orders".into(),
            name: "orders".into(),
            namespace: "team-a".into(),
            service: "kafka".into(),
            kind: ServiceKind::Operator,
        };
        let resources = std::iter::once(("StatefulSet", "orders-kafka"))
            .chain(PODS.iter().map(|p| ("Pod", *p)))
            .map(|(kind, name)| ResourceNode {
                depth: u16::from(kind == "Pod"),
                kind: kind.into(),
                name: name.into(),
                health: Health::Healthy,
                status: "Running".into(),
                reason: None,
                pod: None,
            })
            .collect();
        let data = InstanceDetail {
            target,
            health: Health::Healthy,
            overview: Vec::new(),
            conditions: Vec::new(),
            spec_masked: String::new(),
            spec_revealed: String::new(),
            resources,
            events: Vec::new(),
            dependencies: Vec::new(),
            helm: None,
            problems: Vec::new(),
            generation: None,
            observed_generation: None,
        };
        update(&mut state, Msg::DetailUpdated(Box::new(data)));
        keys(&mut state, &["M"]);
        let s = state.last_session;
        update(
            &mut state,
            Msg::Metrics(MetricsEvent::UsageMissing {
                session: s,
                reason: "metrics.k8s.io is not served: metrics-server is not installed".into(),
            }),
        );
        send_layout(&mut state, s);
        scrapes(&mut state, s);
        state
    });
}

#[test]
fn monitor_level_with_groups() {
    snap("monitor_level_topics", |w, h| {
        let mut state = resources(w, h);
        keys(&mut state, &["Tab"]);
        keys(&mut state, &["Tab"]);
        state
    });
    snap("monitor_level_broker", |w, h| {
        let mut state = resources(w, h);
        keys(&mut state, &["Tab"]);
        state
    });
}

const UNREACHABLE: &str =
    "exporter orders-kafka-0:9308 unreachable through the pod proxy: connection refused";

#[test]
fn monitor_scrape_missing() {
    snap("monitor_scrape_missing_level", |w, h| {
        let mut state = resources(w, h);
        scrape_missing(&mut state, UNREACHABLE);
        keys(&mut state, &["Tab"]);
        keys(&mut state, &["Tab"]);
        state
    });
    snap("monitor_scrape_missing_resources", |w, h| {
        let mut state = resources(w, h);
        scrape_missing(&mut state, UNREACHABLE);
        state
    });
}

#[test]
fn monitor_without_monitorconfig() {
    snap("monitor_no_monitorconfig", |w, h| {
        let (mut state, s) = monitoring(w, h);
        readings(&mut state, s);
        scrape_missing(&mut state, "no MonitorConfig for this service");
        state
    });
}

/// Every line the state counts is drawn at its row, and scrolled to the
/// end the last line shows on the last body row.
#[test]
fn scrolled_to_the_end_shows_the_last_line() {
    let mut state = resources(80, 12);
    keys(&mut state, &["G"]);
    let text = render(&state, &Theme::default());
    let monitor = state.monitor.as_ref().unwrap_or_else(|| panic!("open"));
    assert_eq!(
        monitor.lines(78).last(),
        Some(&MonitorLine::ScrapeFooter(0))
    );
    let rows: Vec<&str> = text.lines().collect();
    let body_bottom = usize::from(state.layout().bottom_row) - 1;
    assert!(
        rows[body_bottom].contains("MonitorConfig metrics: broker, topics"),
        "{text}"
    );
}

/// One bar per reading, in order.
#[test]
fn sparklines_follow_the_readings() {
    let (mut state, s) = monitoring(80, 24);
    readings(&mut state, s);
    let text = render(&state, &Theme::default());
    let cpu_row = text
        .lines()
        .find(|l| l.contains("CPU") && l.contains("1"))
        .unwrap_or_else(|| panic!("{text}"));
    let bars = cpu_row.chars().filter(|c| ('▁'..='█').contains(c)).count();
    assert_eq!(bars, 12, "{cpu_row}");
    // The third broker's CPU rises steadily: its bars never go down.
    let broker2 = text
        .lines()
        .skip_while(|l| !l.contains(PODS[2]))
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    let levels: Vec<char> = broker2
        .chars()
        .filter(|c| ('▁'..='█').contains(c))
        .collect();
    assert!(levels.windows(2).all(|w| w[0] <= w[1]), "{broker2}");
    assert_eq!(levels.last(), Some(&'█'));
}

/// No panic and nothing drawn outside the screen at tiny sizes, in every
/// tab and state.
#[test]
fn tiny_screens_do_not_panic() {
    let theme = Theme::default();
    for w in 1..=20 {
        for h in 1..=5 {
            let mut states = vec![monitoring(w, h).0, resources(w, h)];
            let mut level = resources(w, h);
            keys(&mut level, &["Tab"]);
            keys(&mut level, &["Tab"]);
            keys(&mut level, &["G"]);
            states.push(level);
            let mut missing = resources(w, h);
            scrape_missing(&mut missing, UNREACHABLE);
            keys(&mut missing, &["Tab"]);
            states.push(missing);
            for state in states {
                render(&state, &theme);
            }
        }
    }
}
