//! The monitoring view's behaviour: opening it, folding [`MetricsEvent`]s
//! into histories, keys (levels, scroll).
//!
//! Histories are bounded ([`HISTORY_POINTS`]); a pod or a chart's group
//! absent from [`MISSES_BEFORE_DROP`] readings in a row is dropped, so a
//! restarted pod's old name goes away while one slow reading does not make
//! a pod flicker. Events of an older session (a view closed since) are
//! ignored.

use super::Command;
use crate::action::{Action, View};
use crate::state::State;
use crate::state::detail::InstanceRef;
use crate::state::monitor::{
    Allocation, GroupHistory, LevelLayout, MISSES_BEFORE_DROP, MetricsEvent, MetricsRequest,
    MonitorTab, MonitorView, PodHistory, PodUsage, ScrapedValue, UsageHistory,
};

/// Opens the monitoring view of `target` and starts reading metrics.
pub(super) fn open(state: &mut State, target: InstanceRef) -> Vec<Command> {
    let mut commands = Vec::new();
    let mut return_to = state.view;
    // One reading view at a time: the logs give way, and the monitor goes
    // back to where the logs came from.
    if let Some(logs) = state.logs.take() {
        commands.push(Command::StopLogs);
        return_to = logs.return_to;
    }
    if let Some(old) = state.monitor.take() {
        return_to = old.return_to;
    }
    if matches!(return_to, View::Logs | View::Monitor) {
        return_to = View::Instances;
    }
    state.last_session += 1;
    let request = MetricsRequest {
        session: state.last_session,
        instance: target.clone(),
    };
    state.monitor = Some(MonitorView::new(
        request.clone(),
        return_to,
        known_pods(state, &target),
    ));
    state.view = View::Monitor;
    super::set_mode(state, crate::keymap::Mode::Monitor);
    state.notice = None;
    state.dirty = true;
    commands.push(Command::WatchMetrics(request));
    commands
}

/// Pods the detail already knows for the instance: listed before (or
/// without) any reading from metrics.k8s.io.
fn known_pods(state: &State, target: &InstanceRef) -> Vec<String> {
    let Some(detail) = &state.detail else {
        return Vec::new();
    };
    if detail.target.uid != target.uid {
        return Vec::new();
    }
    detail.data.as_ref().map_or_else(Vec::new, |data| {
        data.resources
            .iter()
            .filter(|r| r.kind == "Pod")
            .map(|r| r.name.clone())
            .collect()
    })
}

/// Closes the view, stops the metrics task, returns to where it came from.
pub(super) fn close(state: &mut State) -> Vec<Command> {
    let Some(monitor) = state.monitor.take() else {
        return Vec::new();
    };
    let back = super::return_view(state, monitor.return_to);
    if state.view == View::Monitor {
        state.view = back;
    }
    let mode = super::base_mode(state);
    super::set_mode(state, mode);
    state.dirty = true;
    vec![Command::StopMetrics]
}

/// News from the metrics task.
pub(super) fn on_event(state: &mut State, event: MetricsEvent) -> Vec<Command> {
    let body = state.viewport_height();
    let width = body_width(state);
    let Some(monitor) = &mut state.monitor else {
        return Vec::new();
    };
    if event.session() != monitor.request.session {
        return Vec::new();
    }
    let changed = match event {
        MetricsEvent::Usage { at, pods, .. } => {
            take_usage(monitor, at, &pods);
            true
        }
        MetricsEvent::UsageMissing { reason, .. } => {
            let changed = !monitor.usage_seen || monitor.usage_missing.as_ref() != Some(&reason);
            monitor.usage_seen = true;
            monitor.usage_missing = Some(reason);
            changed
        }
        MetricsEvent::Layout { levels, .. } => take_layout(monitor, levels),
        MetricsEvent::Scraped {
            at, values, via, ..
        } => {
            take_scrape(monitor, at, &values);
            monitor.scrapes += 1;
            monitor.scrape_missing = None;
            monitor.via = Some(via);
            true
        }
        MetricsEvent::ScrapeMissing { reason, .. } => {
            let changed = monitor.scrape_missing.as_ref() != Some(&reason);
            monitor.scrape_missing = Some(reason);
            changed
        }
    };
    if changed {
        clamp_scroll(monitor, body, width);
        state.dirty = true;
    }
    Vec::new()
}

/// Adds a reading: every pod in it gets a point, pods missing from it
/// count a miss, and the instance total gets the sums.
fn take_usage(monitor: &mut MonitorView, at: i64, pods: &[PodUsage]) {
    monitor.usage_seen = true;
    monitor.usage_missing = None;
    for pod in &mut monitor.pods {
        pod.missed += 1;
    }
    for reading in pods {
        let at_index = match monitor
            .pods
            .binary_search_by(|p| p.name.as_str().cmp(&reading.pod))
        {
            Ok(i) => i,
            Err(i) => {
                monitor.pods.insert(
                    i,
                    PodHistory {
                        name: reading.pod.clone(),
                        usage: UsageHistory::default(),
                        missed: 0,
                    },
                );
                i
            }
        };
        let pod = &mut monitor.pods[at_index];
        pod.missed = 0;
        pod.usage.cpu.push(at, reading.cpu_millis);
        pod.usage.memory.push(at, reading.memory_bytes);
        pod.usage.allocation = Allocation::of(reading);
    }
    monitor.pods.retain(|p| p.missed < MISSES_BEFORE_DROP);
    // An instance without pods has no usage to sum (a zero would read as
    // "idle").
    if pods.is_empty() {
        return;
    }
    let total = &mut monitor.total;
    total.cpu.push(at, pods.iter().map(|p| p.cpu_millis).sum());
    total
        .memory
        .push(at, pods.iter().map(|p| p.memory_bytes).sum());
    // A total request (limit) only means something when every pod has one.
    let sum = |f: fn(&PodUsage) -> Option<f64>| pods.iter().map(f).sum::<Option<f64>>();
    total.allocation = Allocation {
        cpu_request_millis: sum(|p| p.cpu_request_millis),
        cpu_limit_millis: sum(|p| p.cpu_limit_millis),
        memory_request_bytes: sum(|p| p.memory_request_bytes),
        memory_limit_bytes: sum(|p| p.memory_limit_bytes),
    };
}

/// Takes the MonitorConfig's layout; an identical one (sent again after a
/// restart of the task) keeps the histories. Returns whether it changed.
fn take_layout(monitor: &mut MonitorView, levels: Vec<LevelLayout>) -> bool {
    if monitor.layout.as_ref() == Some(&levels) {
        return false;
    }
    monitor.charts = levels
        .iter()
        .map(|level| vec![Vec::new(); level.metrics.len()])
        .collect();
    if let MonitorTab::Level(i) = monitor.tab
        && i >= levels.len()
    {
        monitor.tab = MonitorTab::Resources;
        monitor.scroll = 0;
    }
    monitor.layout = Some(levels);
    true
}

/// Adds a scrape. Values for the same chart and group in one scrape (e.g.
/// one per partition of a topic) are summed; groups absent from it count a
/// miss.
fn take_scrape(monitor: &mut MonitorView, at: i64, values: &[ScrapedValue]) {
    let mut sums: Vec<(usize, usize, Option<&str>, f64)> = Vec::new();
    for v in values {
        if !v.value.is_finite() {
            continue;
        }
        let group = v.group.as_deref();
        match sums
            .iter_mut()
            .find(|(l, m, g, _)| *l == v.level && *m == v.metric && *g == group)
        {
            Some(entry) => entry.3 += v.value,
            None => sums.push((v.level, v.metric, group, v.value)),
        }
    }
    for chart in monitor.charts.iter_mut().flatten() {
        for group in chart.iter_mut() {
            group.missed += 1;
        }
    }
    for (level, metric, group, value) in sums {
        // Values for charts the layout does not have are dropped.
        let Some(chart) = monitor
            .charts
            .get_mut(level)
            .and_then(|l| l.get_mut(metric))
        else {
            continue;
        };
        let at_index = match chart.binary_search_by(|g| g.group.as_deref().cmp(&group)) {
            Ok(i) => i,
            Err(i) => {
                chart.insert(
                    i,
                    GroupHistory {
                        group: group.map(str::to_owned),
                        series: Default::default(),
                        missed: 0,
                    },
                );
                i
            }
        };
        let series = &mut chart[at_index];
        series.missed = 0;
        series.series.push(at, value);
    }
    for chart in monitor.charts.iter_mut().flatten() {
        chart.retain(|g| g.missed < MISSES_BEFORE_DROP);
    }
}

fn clamp_scroll(monitor: &mut MonitorView, body: usize, width: usize) {
    let max = monitor.lines(width).len().saturating_sub(body);
    monitor.scroll = monitor.scroll.min(max);
}

/// A key in [`crate::keymap::Mode::Monitor`].
pub(super) fn on_key(state: &mut State, action: Option<Action>) -> Vec<Command> {
    let Some(action) = action else {
        return Vec::new();
    };
    let body = state.viewport_height();
    let width = body_width(state);
    let Some(monitor) = &mut state.monitor else {
        // Nothing to show: behave like Back.
        return close_or_leave(state);
    };
    let max = monitor.lines(width).len().saturating_sub(body);
    let scroll_to = |monitor: &mut MonitorView, to: usize| {
        let to = to.min(max);
        let moved = monitor.scroll != to;
        monitor.scroll = to;
        moved
    };
    let changed = match action {
        Action::MoveDown => scroll_to(monitor, monitor.scroll.saturating_add(1)),
        Action::MoveUp => scroll_to(monitor, monitor.scroll.saturating_sub(1)),
        Action::PageDown => scroll_to(monitor, monitor.scroll.saturating_add(body)),
        Action::PageUp => scroll_to(monitor, monitor.scroll.saturating_sub(body)),
        Action::Top => scroll_to(monitor, 0),
        Action::Bottom => scroll_to(monitor, usize::MAX),
        Action::NextTab | Action::PrevTab => {
            let tabs = monitor.tabs();
            let at = tabs.iter().position(|t| *t == monitor.tab).unwrap_or(0);
            let next = if action == Action::NextTab {
                (at + 1) % tabs.len()
            } else {
                (at + tabs.len() - 1) % tabs.len()
            };
            let moved = tabs[next] != monitor.tab;
            monitor.tab = tabs[next];
            if moved {
                monitor.scroll = 0;
            }
            moved
        }
        Action::OpenLogs => {
            let target = monitor.request.instance.clone();
            let mut commands = close(state);
            commands.extend(super::logs::open(state, target));
            return commands;
        }
        Action::Back | Action::Cancel => return close(state),
        Action::StartCommand | Action::Help | Action::Quit => {
            return super::on_action(state, action);
        }
        _ => false,
    };
    state.dirty |= changed;
    Vec::new()
}

/// Cells of the body text, as `ui::monitor` draws it (one column of
/// margin on each side).
fn body_width(state: &State) -> usize {
    usize::from(state.size.0).saturating_sub(2)
}

fn close_or_leave(state: &mut State) -> Vec<Command> {
    if state.view == View::Monitor {
        state.view = View::Instances;
    }
    let mode = super::base_mode(state);
    super::set_mode(state, mode);
    state.dirty = true;
    vec![Command::StopMetrics]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Msg;
    use crate::keymap::{KeyPress, Mode};
    use crate::state::monitor::{HISTORY_POINTS, MetricLayout, MonitorLine};
    use crate::state::rows::ServiceKind;
    use crate::update::update;

    const MI: f64 = 1024.0 * 1024.0;
    const GI: f64 = 1024.0 * MI;

    fn target() -> InstanceRef {
        InstanceRef {
            uid: "u-orders".into(),
            name: "orders".into(),
            namespace: "team-a".into(),
            service: "kafka".into(),
            kind: ServiceKind::Operator,
        }
    }

    fn key(state: &mut State, text: &str) -> Vec<Command> {
        let press = KeyPress::parse(text).unwrap_or_else(|e| panic!("{e}"));
        update(state, Msg::Key(press))
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

    fn usage(session: u64, at: i64, pods: Vec<PodUsage>) -> Msg {
        Msg::Metrics(MetricsEvent::Usage { session, at, pods })
    }

    fn layout() -> Vec<LevelLayout> {
        let chart = |title: &str, selected| MetricLayout {
            title: title.into(),
            unit: Some("msg/s".into()),
            selected,
        };
        vec![
            LevelLayout {
                name: "broker".into(),
                group_label: None,
                metrics: vec![chart("Messages in", true)],
            },
            LevelLayout {
                name: "topics".into(),
                group_label: Some("topic".into()),
                metrics: vec![chart("Messages in", true), chart("Bytes in", false)],
            },
        ]
    }

    fn value(level: usize, metric: usize, group: Option<&str>, value: f64) -> ScrapedValue {
        ScrapedValue {
            level,
            metric,
            group: group.map(str::to_owned),
            value,
        }
    }

    fn scraped(session: u64, at: i64, values: Vec<ScrapedValue>) -> Msg {
        Msg::Metrics(MetricsEvent::Scraped {
            session,
            at,
            values,
            via: "pod proxy".into(),
        })
    }

    /// A state on the monitoring view opened from the instances list.
    fn monitoring() -> (State, u64) {
        let mut state = State {
            view: View::Instances,
            ..State::default()
        };
        let commands = open(&mut state, target());
        let session = state.last_session;
        assert_eq!(
            commands,
            vec![Command::WatchMetrics(MetricsRequest {
                session,
                instance: target()
            })]
        );
        state.take_dirty();
        (state, session)
    }

    fn view(state: &State) -> &MonitorView {
        state
            .monitor
            .as_ref()
            .unwrap_or_else(|| panic!("no monitor"))
    }

    #[test]
    fn open_and_close_return_to_the_list_or_the_detail() {
        let (mut state, session) = monitoring();
        assert_eq!(session, 1);
        assert_eq!((state.view, state.mode), (View::Monitor, Mode::Monitor));
        assert_eq!(view(&state).return_to, View::Instances);
        assert_eq!(key(&mut state, "Esc"), vec![Command::StopMetrics]);
        assert_eq!((state.view, state.mode), (View::Instances, Mode::Normal));
        assert!(state.monitor.is_none());

        // From the detail: back to the detail, in its mode.
        state.detail = Some(crate::state::detail::DetailState::new(target()));
        state.view = View::Detail;
        state.mode = Mode::Detail;
        let commands = key(&mut state, "M");
        assert_eq!(state.last_session, 2, "a new session per opening");
        assert!(matches!(commands.as_slice(), [Command::WatchMetrics(r)] if r.session == 2));
        assert_eq!(key(&mut state, "Backspace"), vec![Command::StopMetrics]);
        assert_eq!((state.view, state.mode), (View::Detail, Mode::Detail));
    }

    #[test]
    fn opening_from_the_logs_closes_them_and_returns_where_they_came_from() {
        let mut state = State {
            detail: Some(crate::state::detail::DetailState::new(target())),
            ..State::default()
        };
        let request = crate::state::logs::LogRequest {
            session: 7,
            instance: target(),
            scope: crate::state::logs::LogScope::AllPods,
            options: Default::default(),
        };
        state.logs = Some(crate::state::logs::LogView::new(request, View::Detail, 100));
        state.last_session = 7;
        state.view = View::Logs;
        state.mode = Mode::Logs;
        let commands = open(&mut state, target());
        assert_eq!(commands.first(), Some(&Command::StopLogs));
        assert!(matches!(commands.get(1), Some(Command::WatchMetrics(r)) if r.session == 8));
        assert!(state.logs.is_none());
        assert_eq!(view(&state).return_to, View::Detail);
        close(&mut state);
        assert_eq!((state.view, state.mode), (View::Detail, Mode::Detail));
    }

    #[test]
    fn opening_logs_from_monitoring_closes_the_monitor() {
        let (mut state, _) = monitoring();
        let commands = key(&mut state, "L");
        assert_eq!(commands.first(), Some(&Command::StopMetrics));
        assert!(state.monitor.is_none());
        assert_ne!(state.view, View::Monitor);
    }

    #[test]
    fn events_of_other_sessions_are_ignored() {
        let (mut state, session) = monitoring();
        update(
            &mut state,
            usage(session + 1, 100, vec![pod("orders-kafka-0", 25.0, 48.0)]),
        );
        update(
            &mut state,
            usage(session - 1, 100, vec![pod("orders-kafka-0", 25.0, 48.0)]),
        );
        assert!(!state.take_dirty());
        assert!(view(&state).pods.is_empty());
        assert!(!view(&state).usage_seen);
        update(
            &mut state,
            usage(session, 100, vec![pod("orders-kafka-0", 25.0, 48.0)]),
        );
        assert!(state.take_dirty());
        assert_eq!(view(&state).pods.len(), 1);
    }

    #[test]
    fn totals_sum_the_pods_and_their_allocations() {
        let (mut state, s) = monitoring();
        let pods = vec![
            pod("orders-kafka-2", 27.0, 50.0),
            pod("orders-kafka-0", 25.0, 48.0),
            pod("orders-kafka-1", 23.0, 46.0),
        ];
        update(&mut state, usage(s, 100, pods.clone()));
        let m = view(&state);
        let names: Vec<&str> = m.pods.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["orders-kafka-0", "orders-kafka-1", "orders-kafka-2"]
        );
        assert_eq!(m.total.cpu.latest(), Some(75.0));
        assert_eq!(m.total.memory.latest(), Some(144.0 * MI));
        assert_eq!(m.total.allocation.cpu_request_millis, Some(1500.0));
        assert_eq!(m.total.allocation.memory_limit_bytes, Some(6.0 * GI));
        // One pod without a limit: the instance has no total limit.
        let mut unlimited = pods;
        unlimited[0].cpu_limit_millis = None;
        update(&mut state, usage(s, 110, unlimited));
        let m = view(&state);
        assert_eq!(m.total.allocation.cpu_limit_millis, None);
        assert_eq!(m.total.allocation.cpu_request_millis, Some(1500.0));
        assert_eq!(m.total.cpu.len(), 2);
        assert_eq!(m.total.cpu.span(), 10);
    }

    #[test]
    fn histories_are_bounded_and_keep_the_newest() {
        let (mut state, s) = monitoring();
        update(
            &mut state,
            Msg::Metrics(MetricsEvent::Layout {
                session: s,
                levels: layout(),
            }),
        );
        for i in 0..(HISTORY_POINTS as i64 + 20) {
            update(
                &mut state,
                usage(s, i * 10, vec![pod("orders-kafka-0", i as f64, 48.0)]),
            );
            update(
                &mut state,
                scraped(s, i * 10, vec![value(0, 0, None, i as f64)]),
            );
        }
        let m = view(&state);
        let cpu = &m.pods[0].usage.cpu;
        assert_eq!(cpu.len(), HISTORY_POINTS);
        assert_eq!(cpu.points().next(), Some((200, 20.0)));
        assert_eq!(cpu.latest(), Some(HISTORY_POINTS as f64 + 19.0));
        assert_eq!(m.total.cpu.len(), HISTORY_POINTS);
        assert_eq!(m.groups(0, 0)[0].series.len(), HISTORY_POINTS);
    }

    #[test]
    fn pods_that_stop_reporting_are_dropped_after_a_few_readings() {
        let (mut state, s) = monitoring();
        let three = vec![
            pod("orders-kafka-0", 25.0, 48.0),
            pod("orders-kafka-1", 25.0, 48.0),
            pod("orders-kafka-2", 25.0, 48.0),
        ];
        update(&mut state, usage(s, 0, three.clone()));
        let two = vec![three[0].clone(), three[2].clone()];
        for i in 1..MISSES_BEFORE_DROP {
            update(&mut state, usage(s, i64::from(i) * 10, two.clone()));
            assert_eq!(view(&state).pods.len(), 3, "kept after {i} missed");
            assert_eq!(view(&state).pods[1].missed, i);
        }
        update(&mut state, usage(s, 100, two.clone()));
        let names: Vec<&str> = view(&state).pods.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["orders-kafka-0", "orders-kafka-2"]);
        // A new pod appears at once.
        let mut back = two;
        back.push(pod("orders-kafka-1", 30.0, 40.0));
        update(&mut state, usage(s, 110, back));
        assert_eq!(view(&state).pods.len(), 3);
        assert_eq!(view(&state).pods[1].usage.cpu.len(), 1);
    }

    #[test]
    fn known_pods_come_from_the_detail_until_readings_arrive() {
        let mut state = State::default();
        let mut detail = crate::state::detail::DetailState::new(target());
        let mut data = crate::state::detail::InstanceDetail {
            target: target(),
            health: crate::state::rows::Health::Healthy,
            overview: Vec::new(),
            conditions: Vec::new(),
            spec_masked: String::new(),
            spec_revealed: String::new(),
            resources: Vec::new(),
            events: Vec::new(),
            dependencies: Vec::new(),
            helm: None,
            problems: Vec::new(),
            generation: None,
            observed_generation: None,
        };
        for (kind, name) in [("StatefulSet", "orders-kafka"), ("Pod", "orders-kafka-0")] {
            data.resources.push(crate::state::detail::ResourceNode {
                depth: 0,
                kind: kind.into(),
                name: name.into(),
                health: crate::state::rows::Health::Healthy,
                status: String::new(),
                reason: None,
                pod: None,
            });
        }
        detail.data = Some(Box::new(data));
        state.detail = Some(detail);
        state.view = View::Detail;
        open(&mut state, target());
        let s = state.last_session;
        let names: Vec<&str> = view(&state).pods.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["orders-kafka-0"]);
        update(
            &mut state,
            Msg::Metrics(MetricsEvent::UsageMissing {
                session: s,
                reason: "metrics.k8s.io is not served".into(),
            }),
        );
        let lines = view(&state).lines(78);
        assert_eq!(lines[0], MonitorLine::UsageMissing(0));
        assert!(lines.contains(&MonitorLine::PodHeading(0)));
        assert!(!lines.contains(&MonitorLine::PodCpu(0)));
    }

    #[test]
    fn missing_sources_and_waiting_states() {
        let (mut state, s) = monitoring();
        let lines = view(&state).lines(78);
        assert_eq!(lines.first(), Some(&MonitorLine::WaitingUsage));
        assert_eq!(lines.last(), Some(&MonitorLine::ScrapeFooter(0)));

        let missing = |reason: &str| {
            Msg::Metrics(MetricsEvent::UsageMissing {
                session: s,
                reason: reason.into(),
            })
        };
        update(&mut state, missing("metrics-server is not installed"));
        assert!(state.take_dirty());
        assert_eq!(view(&state).lines(78)[0], MonitorLine::UsageMissing(0));
        update(&mut state, missing("metrics-server is not installed"));
        assert!(!state.take_dirty(), "the same reason again changes nothing");
        // A reading clears it.
        update(
            &mut state,
            usage(s, 10, vec![pod("orders-kafka-0", 25.0, 48.0)]),
        );
        assert_eq!(view(&state).usage_missing, None);
        assert_eq!(view(&state).lines(78)[0], MonitorLine::TotalHeading);

        // No MonitorConfig: no level tabs, the reason in the footer.
        update(
            &mut state,
            Msg::Metrics(MetricsEvent::ScrapeMissing {
                session: s,
                reason: "no MonitorConfig for this service".into(),
            }),
        );
        assert_eq!(view(&state).tabs(), [MonitorTab::Resources]);
        assert_eq!(
            view(&state).scrape_missing.as_deref(),
            Some("no MonitorConfig for this service")
        );
        key(&mut state, "Tab");
        assert_eq!(view(&state).tab, MonitorTab::Resources);

        // With a layout, the level tab leads with the reason; a scrape
        // clears it.
        update(
            &mut state,
            Msg::Metrics(MetricsEvent::Layout {
                session: s,
                levels: layout(),
            }),
        );
        key(&mut state, "Tab");
        assert_eq!(view(&state).lines(78)[0], MonitorLine::ScrapeMissing(0));
        update(&mut state, scraped(s, 20, vec![value(0, 0, None, 120.0)]));
        assert_eq!(view(&state).scrape_missing, None);
        assert_eq!(view(&state).via.as_deref(), Some("pod proxy"));
        assert_eq!(view(&state).lines(78)[0], MonitorLine::ChartTitle(0, 0));
    }

    #[test]
    fn tabs_cycle_through_the_levels_both_ways() {
        let (mut state, s) = monitoring();
        key(&mut state, "Tab");
        assert!(!state.take_dirty(), "one tab: nothing to cycle");
        update(
            &mut state,
            Msg::Metrics(MetricsEvent::Layout {
                session: s,
                levels: layout(),
            }),
        );
        state.take_dirty();
        let mut seen = Vec::new();
        for k in ["Tab", "l", "Right"] {
            key(&mut state, k);
            assert!(state.take_dirty());
            seen.push(view(&state).tab);
        }
        assert_eq!(
            seen,
            [
                MonitorTab::Level(0),
                MonitorTab::Level(1),
                MonitorTab::Resources
            ]
        );
        key(&mut state, "shift+Tab");
        assert_eq!(view(&state).tab, MonitorTab::Level(1));
        key(&mut state, "h");
        key(&mut state, "Left");
        assert_eq!(view(&state).tab, MonitorTab::Resources);
        // A smaller layout moves off a level that no longer exists.
        key(&mut state, "shift+Tab");
        let mut one = layout();
        one.truncate(1);
        update(
            &mut state,
            Msg::Metrics(MetricsEvent::Layout {
                session: s,
                levels: one,
            }),
        );
        assert_eq!(view(&state).tab, MonitorTab::Resources);
    }

    #[test]
    fn groups_are_sorted_summed_and_dropped_when_gone() {
        let (mut state, s) = monitoring();
        update(
            &mut state,
            Msg::Metrics(MetricsEvent::Layout {
                session: s,
                levels: layout(),
            }),
        );
        update(
            &mut state,
            scraped(
                s,
                10,
                vec![
                    value(1, 0, Some("payments"), 60.0),
                    value(1, 0, Some("orders"), 120.0),
                    value(1, 0, Some("payments"), 58.0),
                    value(5, 0, Some("ghost"), 1.0),
                    value(1, 1, Some("orders"), f64::NAN),
                ],
            ),
        );
        let m = view(&state);
        let groups: Vec<(Option<&str>, Option<f64>)> = m
            .groups(1, 0)
            .iter()
            .map(|g| (g.group.as_deref(), g.series.latest()))
            .collect();
        assert_eq!(
            groups,
            [
                (Some("orders"), Some(120.0)),
                (Some("payments"), Some(118.0))
            ]
        );
        assert!(m.groups(1, 1).is_empty(), "NaN is no value");
        for i in 0..MISSES_BEFORE_DROP {
            update(
                &mut state,
                scraped(
                    s,
                    20 + i64::from(i),
                    vec![value(1, 0, Some("orders"), 121.0)],
                ),
            );
        }
        assert_eq!(view(&state).groups(1, 0).len(), 1);
        // Charts the layout does not know of are ignored, the layout again
        // keeps the histories.
        update(
            &mut state,
            Msg::Metrics(MetricsEvent::Layout {
                session: s,
                levels: layout(),
            }),
        );
        assert_eq!(
            view(&state).groups(1, 0)[0].series.len(),
            1 + MISSES_BEFORE_DROP as usize
        );
    }

    #[test]
    fn selected_metrics_come_first() {
        let (mut state, s) = monitoring();
        let mut levels = layout();
        levels[1].metrics[0].selected = false;
        levels[1].metrics[1].selected = true;
        update(
            &mut state,
            Msg::Metrics(MetricsEvent::Layout { session: s, levels }),
        );
        assert_eq!(view(&state).chart_order(1), (vec![1], vec![0]));
        assert_eq!(view(&state).chart_order(0), (vec![0], vec![]));
        key(&mut state, "Tab");
        key(&mut state, "Tab");
        let lines = view(&state).lines(78);
        let titles: Vec<&MonitorLine> = lines
            .iter()
            .filter(|l| matches!(l, MonitorLine::ChartTitle(..) | MonitorLine::OtherMetrics))
            .collect();
        assert_eq!(
            titles,
            [
                &MonitorLine::ChartTitle(1, 1),
                &MonitorLine::OtherMetrics,
                &MonitorLine::ChartTitle(1, 0)
            ]
        );
    }

    #[test]
    fn scrolling_stays_within_the_body() {
        let (mut state, s) = monitoring();
        update(
            &mut state,
            Msg::Resize {
                width: 80,
                height: 10,
            },
        );
        let pods: Vec<PodUsage> = (0..6)
            .map(|i| pod(&format!("orders-kafka-{i}"), 25.0, 48.0))
            .collect();
        update(&mut state, usage(s, 10, pods));
        let lines = view(&state).lines(78).len();
        let body = state.viewport_height();
        assert!(lines > body);
        state.take_dirty();
        key(&mut state, "k");
        assert!(!state.take_dirty(), "already at the top");
        key(&mut state, "j");
        assert_eq!(view(&state).scroll, 1);
        key(&mut state, "G");
        assert_eq!(view(&state).scroll, lines - body);
        key(&mut state, "PageDown");
        assert_eq!(view(&state).scroll, lines - body);
        key(&mut state, "PageUp");
        assert_eq!(view(&state).scroll, (lines - body).saturating_sub(body));
        key(&mut state, "g");
        assert_eq!(view(&state).scroll, 0);
        // Pods going away pull the scroll back.
        key(&mut state, "G");
        for i in 0..MISSES_BEFORE_DROP {
            update(
                &mut state,
                usage(
                    s,
                    20 + i64::from(i),
                    vec![pod("orders-kafka-0", 25.0, 48.0)],
                ),
            );
        }
        let lines = view(&state).lines(78).len();
        assert_eq!(view(&state).scroll, lines.saturating_sub(body));
    }
}
