//! Golden screens of the log view: states built through `update` (open
//! with `L`, `LogEvent`s as the cluster layer sends them, keys), drawn on
//! ratatui's `TestBackend` and compared with `tests/snapshots/` (re-bless
//! with `INSTA_UPDATE=always cargo test --test ui_logs` and read the diff).
//!
//! Under each screen, the styled runs of the body rows are listed (pod
//! colours, levels, search highlights), since the text alone hides them.

mod support;

use osctui::action::Msg;
use osctui::domain::text::clean;
use osctui::state::State;
use osctui::state::logs::{LogEvent, LogTarget, RawLine, StreamStatus};
use osctui::state::rows::{Health, InstanceRow, ServiceKind};
use osctui::theme::Theme;
use osctui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::style::{Color, Style};
use support::{NOW, keys, typed};

const PODS: [&str; 3] = ["orders-kafka-0", "orders-kafka-1", "orders-kafka-2"];

/// The log view of team-a/orders at this size, three pods attached.
fn opened(width: u16, height: u16, cap: usize) -> State {
    let mut state = support::connected(width, height);
    state.log_line_cap = cap;
    update(
        &mut state,
        Msg::InstancesRelisted(vec![InstanceRow {
            uid: "u-orders".into(),
            name: "orders".into(),
            namespace: "team-a".into(),
            service: "kafka".into(),
            kind: ServiceKind::Operator,
            version: Some("3.7.1".into()),
            health: Health::Healthy,
            ready: (3, 3),
            created: NOW - 86_400,
            latest_event: None,
        }]),
    );
    update(&mut state, Msg::Synced);
    keys(&mut state, &["2", "L"]);
    let session = state.last_session;
    for (i, pod) in PODS.iter().enumerate() {
        send(
            &mut state,
            LogEvent::Source {
                session,
                source: i as u32,
                target: target(pod),
            },
        );
    }
    let targets = PODS.iter().map(|p| target(p)).collect();
    send(&mut state, LogEvent::Targets { session, targets });
    state
}

fn target(pod: &str) -> LogTarget {
    LogTarget {
        pod: pod.into(),
        container: "kafka".into(),
        file: None,
    }
}

fn send(state: &mut State, event: LogEvent) {
    update(state, Msg::Logs(event));
}

/// Lines as the cluster layer sends them: text through `clean`, a time
/// 1.25 s apart, sources in turn.
fn lines(state: &mut State, texts: &[&str]) {
    lines_of(state, PODS.len(), texts);
}

/// [`lines`] from the first `sources` streams.
fn lines_of(state: &mut State, sources: usize, texts: &[&str]) {
    let session = state.last_session;
    let lines = texts
        .iter()
        .enumerate()
        .map(|(i, text)| RawLine {
            source: (i % sources) as u32,
            time_ms: (i % 5 != 4).then_some((NOW - 600) * 1_000 + i as i64 * 1_250),
            text: clean(text),
        })
        .collect();
    send(state, LogEvent::Lines { session, lines });
}

const KAFKA: [&str; 12] = [
    "[2026-03-14 13:35:00,000] INFO [KafkaServer id=0] started (kafka.server.KafkaServer)",
    "[2026-03-14 13:35:01,250] INFO [KafkaServer id=1] started (kafka.server.KafkaServer)",
    "[2026-03-14 13:35:02,500] WARN [ReplicaFetcher replicaId=2] Connection to node 0 could not be established",
    "[2026-03-14 13:35:03,750] ERROR [Controller id=0] Failed to elect leader for partition orders-3",
    "level=debug msg=\"fetch session cache miss\" partition=orders-1",
    "[2026-03-14 13:35:06,250] INFO [Log partition=orders-0] Rolled new log segment at offset 48213",
    "panic: runtime error: invalid memory address or nil pointer dereference",
    "[2026-03-14 13:35:08,750] INFO [GroupCoordinator 1]: Stabilized group checkout generation 14",
    "FATAL: could not open /var/lib/kafka/data/meta.properties",
    "[2026-03-14 13:35:11,250] INFO [KafkaServer id=2] started (kafka.server.KafkaServer)",
    "a plain line without any level",
    "[2026-03-14 13:35:13,750] WARN [Producer clientId=orders] Got error produce response with correlation id 42 on topic-partition orders-2, retrying",
];

fn numbered(from: usize, to: usize) -> Vec<String> {
    (from..to)
        .map(|i| format!("INFO request {i} handled in {} ms", i % 97))
        .collect()
}

fn push_numbered(state: &mut State, from: usize, to: usize) {
    let texts = numbered(from, to);
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    lines(state, &refs);
}

/// What a cell's style adds to the base style, with the theme's name for
/// it when one matches ("error", "highlight"); None for plain text.
fn describe(style: Style, theme: &Theme) -> Option<String> {
    let base = theme.base;
    let own = |s: Style| {
        (
            s.fg.filter(|c| Some(*c) != base.fg && *c != Color::Reset),
            s.bg.filter(|c| Some(*c) != base.bg && *c != Color::Reset),
            s.add_modifier,
        )
    };
    let cell = own(style);
    if cell == (None, None, ratatui::style::Modifier::empty()) {
        return None;
    }
    let named = [
        ("highlight", theme.selected),
        ("error", theme.error),
        ("warning", theme.warning_event),
        ("muted", theme.muted),
        ("notice", theme.notice),
        ("accent", theme.accent),
    ];
    let names: Vec<&str> = named
        .iter()
        .filter(|(_, s)| own(*s) == cell)
        .map(|(n, _)| *n)
        .collect();
    let mut text = String::new();
    if let Some(fg) = cell.0 {
        text.push_str(&format!("fg {fg:?} "));
    }
    if let Some(bg) = cell.1 {
        text.push_str(&format!("bg {bg:?} "));
    }
    if !cell.2.is_empty() {
        text.push_str(&format!("{:?} ", cell.2));
    }
    if !names.is_empty() {
        text.push_str(&format!("({})", names.join("/")));
    }
    Some(text.trim_end().to_owned())
}

fn render(state: &State, theme: &Theme) -> String {
    let (width, height) = state.size;
    let mut terminal =
        Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| match e {});
    terminal
        .draw(|frame| osctui::ui::draw(frame, state, theme))
        .unwrap_or_else(|e| match e {});
    let buffer = terminal.backend().buffer();
    let layout = state.layout();
    let mut notes = Vec::new();
    for y in layout.body_top..layout.bottom_row.min(height) {
        let mut runs: Vec<String> = Vec::new();
        let mut x = 0;
        while x < width {
            let style = buffer[(x, y)].style();
            let start = x;
            while x < width && buffer[(x, y)].style() == style {
                x += 1;
            }
            let text: String = (start..x).map(|c| buffer[(c, y)].symbol()).collect();
            if text.trim().is_empty() {
                continue;
            }
            if let Some(name) = describe(style, theme) {
                runs.push(format!("{start}-{}: {name}", x - 1));
            }
        }
        if !runs.is_empty() {
            notes.push(format!("row {y}: {}", runs.join(", ")));
        }
    }
    format!("{}\n{}", terminal.backend(), notes.join("\n"))
}

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn snap(name: &str, build: impl Fn(u16, u16) -> State) {
    snap_with(name, &Theme::default(), build);
}

fn snap_with(name: &str, theme: &Theme, build: impl Fn(u16, u16) -> State) {
    for (w, h) in SIZES {
        let state = build(w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), render(&state, theme));
    }
}

fn merged(w: u16, h: u16) -> State {
    let mut state = opened(w, h, 50_000);
    lines(&mut state, &KAFKA);
    state
}

#[test]
fn merged_with_levels_and_pod_labels() {
    snap("logs_merged", merged);
}

#[test]
fn merged_monochrome_has_no_pod_colours() {
    let mono = Theme::builtin("monochrome").expect("built-in theme");
    snap_with("logs_merged_monochrome", &mono, merged);
}

#[test]
fn timestamps_on() {
    snap("logs_timestamps", |w, h| {
        let mut state = merged(w, h);
        keys(&mut state, &["t"]);
        state
    });
}

#[test]
fn paused_with_new_lines_below() {
    snap("logs_paused", |w, h| {
        let mut state = opened(w, h, 50_000);
        push_numbered(&mut state, 0, 200);
        keys(&mut state, &["ctrl+u", "k"]);
        push_numbered(&mut state, 200, 1_434);
        state
    });
}

#[test]
fn dropped_lines_notice() {
    snap("logs_dropped", |w, h| {
        let mut state = opened(w, h, 100);
        push_numbered(&mut state, 0, 1_334);
        keys(&mut state, &["g"]);
        state
    });
}

#[test]
fn search_highlight() {
    snap("logs_search", |w, h| {
        let mut state = merged(w, h);
        keys(&mut state, &["g", "/"]);
        typed(&mut state, "kafkaserver");
        keys(&mut state, &["Enter"]);
        state
    });
}

#[test]
fn search_typing_shows_the_query() {
    snap("logs_search_typing", |w, h| {
        let mut state = merged(w, h);
        keys(&mut state, &["/"]);
        typed(&mut state, "error");
        state
    });
}

#[test]
fn wrap_on_and_off() {
    let long = |w, h| {
        let mut state = opened(w, h, 50_000);
        let text = format!(
            "WARN slow request: {} end",
            (0..40)
                .map(|i| format!("k{i}=v{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        lines(&mut state, &["INFO before", &text, "INFO after"]);
        state
    };
    snap("logs_wrap_on", long);
    snap("logs_wrap_off", |w, h| {
        let mut state = long(w, h);
        keys(&mut state, &["w"]);
        state
    });
}

#[test]
fn pretty_json() {
    snap("logs_pretty_json", |w, h| {
        let mut state = opened(w, h, 50_000);
        lines(
            &mut state,
            &[
                r#"{"ts":"2026-03-14T13:35:00Z","level":"error","msg":"commit failed","partition":{"topic":"orders","id":3},"replicas":[0,1,2],"empty":{}}"#,
                "not json: {\"level\":\"info\"}",
                r#"{"level":"info","msg":"ok"}"#,
            ],
        );
        keys(&mut state, &["J"]);
        state
    });
}

#[test]
fn escape_sequences_are_shown_neutralized() {
    snap("logs_escapes", |w, h| {
        let mut state = opened(w, h, 50_000);
        lines(
            &mut state,
            &[
                "\u{1b}[31mERROR\u{1b}[0m colored by the app",
                "title change \u{1b}]0;owned\u{7} and bell",
                "bidi \u{202e}txet desrever\u{202c} gone, tab\there",
            ],
        );
        state
    });
}

#[test]
fn one_stream_has_no_pod_column() {
    snap("logs_one_stream", |w, h| {
        let mut state = merged(w, h);
        keys(&mut state, &["Tab"]);
        typed(&mut state, "kafka-1");
        keys(&mut state, &["Enter"]);
        let session = state.last_session;
        send(
            &mut state,
            LogEvent::Source {
                session,
                source: 0,
                target: target("orders-kafka-1"),
            },
        );
        lines_of(&mut state, 1, &KAFKA[..4]);
        state
    });
}

#[test]
fn options_show_in_the_heading() {
    snap("logs_options", |w, h| {
        let mut state = opened(w, h, 50_000);
        // Each option restarts the streams: a new session, nothing kept.
        keys(&mut state, &["p", "s", "s", "T", "f"]);
        let session = state.last_session;
        send(
            &mut state,
            LogEvent::Source {
                session,
                source: 0,
                target: target("orders-kafka-0"),
            },
        );
        send(
            &mut state,
            LogEvent::Status {
                session,
                source: 0,
                status: StreamStatus::Ended("container terminated".into()),
            },
        );
        lines_of(&mut state, 1, &KAFKA[6..9]);
        state
    });
}

#[test]
fn waiting_and_failed_streams() {
    snap("logs_waiting", |w, h| {
        let mut state = opened(w, h, 50_000);
        let session = state.last_session;
        let statuses = [
            StreamStatus::Waiting("ContainerCreating".into()),
            StreamStatus::Reattaching("pod restarted".into()),
            StreamStatus::Failed("forbidden: cannot get pods/log".into()),
        ];
        for (source, status) in statuses.into_iter().enumerate() {
            send(
                &mut state,
                LogEvent::Status {
                    session,
                    source: source as u32,
                    status,
                },
            );
        }
        state
    });
}

#[test]
fn tiny_sizes_do_not_panic() {
    let theme = Theme::default();
    for w in 1..=20 {
        for h in 1..=5 {
            let mut state = merged(w, h);
            render(&state, &theme);
            keys(&mut state, &["t", "J", "k", "k"]);
            render(&state, &theme);
            keys(&mut state, &["w", "/"]);
            typed(&mut state, "e");
            render(&state, &theme);
        }
    }
}

/// Not a timing assert: prints what taking in 100k lines (50k cap) and
/// drawing a 160x48 frame over 50k lines cost, for the record
/// (`cargo test --release --test ui_logs figures -- --nocapture`).
#[test]
fn figures_ingest_and_draw() {
    use std::time::Instant;
    let theme = Theme::default();
    let mut state = opened(160, 48, 50_000);
    let session = state.last_session;
    let batches: Vec<Vec<RawLine>> = (0..100)
        .map(|b| {
            (0..1_000)
                .map(|i| RawLine {
                    source: (i % 3) as u32,
                    time_ms: Some(NOW * 1_000 + (b * 1_000 + i) as i64),
                    text: format!(
                        "[2026-03-14 13:35:00,000] INFO [Broker {i}] request {b}-{i} handled in {} ms",
                        i % 97
                    ),
                })
                .collect()
        })
        .collect();
    let started = Instant::now();
    for lines in batches {
        send(&mut state, LogEvent::Lines { session, lines });
    }
    let ingest = started.elapsed();
    let logs = state.logs.as_ref().expect("log view open");
    assert_eq!(logs.lines.len(), 50_000);
    assert_eq!(logs.dropped, 50_000);

    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap_or_else(|e| match e {});
    let mut frame = |state: &State| {
        let started = Instant::now();
        terminal
            .draw(|frame| osctui::ui::draw(frame, state, &theme))
            .unwrap_or_else(|e| match e {});
        started.elapsed()
    };
    let at_end = frame(&state);
    keys(&mut state, &["t", "J", "g", "PageDown"]);
    let options = frame(&state);
    keys(&mut state, &["/"]);
    let started = Instant::now();
    typed(&mut state, "broker 99]");
    let typing = started.elapsed() / 10;
    keys(&mut state, &["Enter"]);
    let started = Instant::now();
    keys(&mut state, &["n"]);
    let next = started.elapsed();
    let searched = frame(&state);
    println!(
        "ingest 100k lines: {:.1} ms; frame at the end: {:.2} ms; frame with \
         timestamps+json in the middle: {:.2} ms; search keystroke over 50k: {:.2} ms; \
         n: {:.2} ms; frame with highlights: {:.2} ms",
        ingest.as_secs_f64() * 1e3,
        at_end.as_secs_f64() * 1e3,
        options.as_secs_f64() * 1e3,
        typing.as_secs_f64() * 1e3,
        next.as_secs_f64() * 1e3,
        searched.as_secs_f64() * 1e3,
    );
}
