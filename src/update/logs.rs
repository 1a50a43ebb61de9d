//! The log view's behaviour: opening it, taking in [`LogEvent`]s under the
//! line cap, keys (scroll, follow, options, search, save), the source picker.
//!
//! Positions are kept in stored lines (see [`LogView`]); screen rows are
//! only computed for the lines around the viewport, so taking in a batch
//! of lines costs O(lines) whatever the display options.

use super::Command;
use crate::action::{Action, View};
use crate::keymap::{KeyPress, Mode};
use crate::state::State;
use crate::state::detail::InstanceRef;
use crate::state::logs::{LogEvent, LogOptions, LogRequest, LogScope, LogView};

/// The first item of the source picker.
pub const ALL_PODS: &str = "all pods (merged)";

/// `s` cycles through these (seconds).
const SINCE_STEPS: [Option<i64>; 4] = [None, Some(300), Some(3_600), Some(86_400)];
/// `T` cycles through these (lines per stream).
const TAIL_STEPS: [Option<i64>; 4] = [Some(100), Some(500), Some(5_000), None];

/// Opens the log view of `target` (all pods merged) and starts streaming.
pub(super) fn open(state: &mut State, target: InstanceRef) -> Vec<Command> {
    open_at(state, target, LogScope::AllPods)
}

/// Opens the log view of `target` on one scope (a finding of the diagnosis
/// leads to its pod's logs).
pub(super) fn open_at(state: &mut State, target: InstanceRef, scope: LogScope) -> Vec<Command> {
    let mut commands = Vec::new();
    let mut return_to = state.view;
    let mut saved_filter = None;
    // The monitoring view is left, not stacked: back returns to where it
    // came from.
    if let Some(monitor) = state.monitor.take() {
        commands.push(Command::StopMetrics);
        return_to = monitor.return_to;
    }
    // Opening again (another scope) keeps where the first one came from.
    if let Some(old) = state.logs.take() {
        return_to = old.return_to;
        saved_filter = Some(old.saved_filter);
    }
    if matches!(return_to, View::Logs | View::Monitor) {
        return_to = View::Instances;
    }
    state.last_session += 1;
    let request = LogRequest {
        session: state.last_session,
        instance: target,
        scope,
        options: LogOptions::default(),
    };
    let mut view = LogView::new(request.clone(), return_to, state.log_line_cap);
    view.saved_filter = saved_filter.unwrap_or_else(|| std::mem::take(&mut state.filter_input));
    state.logs = Some(view);
    state.view = View::Logs;
    state.notice = None;
    super::set_mode(state, Mode::Logs);
    state.dirty = true;
    commands.push(Command::StreamLogs(request));
    commands
}

/// Closes the log view, stops the streams, returns to the view it came from.
pub(super) fn close(state: &mut State) -> Vec<Command> {
    let Some(logs) = state.logs.take() else {
        return Vec::new();
    };
    let back = super::return_view(state, logs.return_to);
    if state.view == View::Logs {
        state.view = back;
    }
    // The instances filter was set aside while the search used the line.
    state.filter_input = logs.saved_filter;
    super::set_mode(state, super::base_mode(state));
    state.dirty = true;
    vec![Command::StopLogs]
}

/// News from the streams.
pub(super) fn on_event(state: &mut State, event: LogEvent) -> Vec<Command> {
    let width = state.size.0;
    let height = state.viewport_height();
    let Some(logs) = &mut state.logs else {
        return Vec::new();
    };
    if event.session() != logs.request.session {
        return Vec::new();
    }
    let visible = state.view == View::Logs;
    match event {
        LogEvent::Targets { targets, .. } => {
            // Only the picker shows them.
            logs.targets = targets;
        }
        LogEvent::Source { source, target, .. } => {
            logs.add_source(source, target);
            state.dirty |= visible;
        }
        LogEvent::Lines { lines, .. } => {
            if lines.is_empty() {
                return Vec::new();
            }
            logs.ingest(lines);
            // A paused view whose top line was dropped may now show the end.
            if !logs.pinned {
                let tw = logs.text_width(width);
                let (index, row) = logs.top_position(tw, height);
                logs.set_top(index, row, tw, height);
            }
            state.dirty |= visible;
        }
        LogEvent::Status { source, status, .. } => {
            if let Some(s) = logs.sources.get_mut(&source)
                && s.status != status
            {
                s.status = status;
                state.dirty |= visible;
            }
        }
        LogEvent::Notice { text, .. } => {
            state.notice = Some(crate::domain::text::clean(&text));
            state.dirty = true;
        }
    }
    Vec::new()
}

/// Starts a new session of the same view with other options or scope:
/// the buffer is cleared (the display settings and the search stay).
fn restart(state: &mut State, change: impl FnOnce(&mut LogRequest)) -> Vec<Command> {
    state.last_session += 1;
    let session = state.last_session;
    let Some(logs) = &mut state.logs else {
        return Vec::new();
    };
    change(&mut logs.request);
    logs.request.session = session;
    logs.clear();
    state.dirty = true;
    vec![Command::StreamLogs(logs.request.clone())]
}

fn next_in<T: PartialEq + Copy>(steps: &[T], current: T) -> T {
    let at = steps.iter().position(|s| *s == current);
    at.map_or(steps[0], |at| steps[(at + 1) % steps.len()])
}

/// A key in [`crate::keymap::Mode::Logs`].
pub(super) fn on_key(state: &mut State, action: Option<Action>) -> Vec<Command> {
    let Some(action) = action else {
        return Vec::new();
    };
    let width = state.size.0;
    let height = state.viewport_height();
    let Some(logs) = &mut state.logs else {
        return close(state);
    };
    let tw = logs.text_width(width);
    // Notices ("search wrapped") last until the next key, like less.
    if state.notice.take().is_some() {
        state.dirty = true;
    }
    if matches!(
        action,
        Action::MoveDown
            | Action::MoveUp
            | Action::PageDown
            | Action::PageUp
            | Action::Top
            | Action::Bottom
    ) {
        // Moving by hand: the next search starts from what is shown.
        logs.search_at = None;
    }
    let changed = match action {
        Action::MoveDown => logs.scroll(1, tw, height),
        Action::MoveUp => logs.scroll(-1, tw, height),
        Action::PageDown => logs.scroll(height as isize, tw, height),
        Action::PageUp => logs.scroll(-(height as isize), tw, height),
        Action::Top => !logs.lines.is_empty() && logs.set_top(0, 0, tw, height),
        Action::Bottom => {
            let moved = !logs.pinned;
            logs.pin();
            moved
        }
        Action::ToggleFollow => return restart(state, |r| r.options.follow = !r.options.follow),
        Action::TogglePrevious => {
            return restart(state, |r| r.options.previous = !r.options.previous);
        }
        Action::CycleSince => {
            return restart(state, |r| {
                r.options.since_seconds = next_in(&SINCE_STEPS, r.options.since_seconds);
            });
        }
        Action::CycleTail => {
            return restart(state, |r| {
                r.options.tail_lines = next_in(&TAIL_STEPS, r.options.tail_lines);
            });
        }
        Action::ToggleTimestamps => {
            logs.timestamps = !logs.timestamps;
            keep_top_line(logs, width, height);
            true
        }
        Action::ToggleWrap => {
            logs.wrap = !logs.wrap;
            keep_top_line(logs, width, height);
            true
        }
        Action::TogglePrettyJson => {
            logs.pretty_json = !logs.pretty_json;
            keep_top_line(logs, width, height);
            true
        }
        Action::StartFilter => {
            // The bottom line edits `filter_input`; the instances filter
            // was set aside when the view opened.
            state.filter_input = logs.search.clone();
            logs.typing_matches = logs.count_matches(&state.filter_input);
            super::set_mode(state, Mode::FilterInput);
            state.dirty = true;
            return Vec::new();
        }
        Action::NextMatch => {
            step_match(state, true);
            return Vec::new();
        }
        Action::PrevMatch => {
            step_match(state, false);
            return Vec::new();
        }
        Action::SaveLogs => return save(state),
        Action::PickLogSource => {
            super::open_picker(state, crate::state::picker::PickerKind::LogSource);
            return Vec::new();
        }
        Action::OpenMonitor => {
            let target = logs.request.instance.clone();
            let mut commands = close(state);
            commands.extend(super::monitor::open(state, target));
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

/// After a display option changed, the same line stays at the top (its
/// rows may have changed, so start at its first one).
fn keep_top_line(logs: &mut LogView, width: u16, height: usize) {
    if logs.pinned || logs.lines.is_empty() {
        return;
    }
    let tw = logs.text_width(width);
    let index = logs.top.saturating_sub(logs.first_seq) as usize;
    logs.set_top(index.min(logs.lines.len() - 1), 0, tw, height);
}

/// A key while typing a search (`/` in the log view).
pub(super) fn on_search_key(
    state: &mut State,
    action: Option<Action>,
    key: KeyPress,
) -> Vec<Command> {
    let Some(logs) = &mut state.logs else {
        super::set_mode(state, super::base_mode(state));
        return Vec::new();
    };
    match action {
        Some(Action::Submit) => {
            logs.search = std::mem::take(&mut state.filter_input);
            logs.search_at = None;
            logs.typing_matches = 0;
            super::set_mode(state, Mode::Logs);
            state.dirty = true;
            if let Some(logs) = &state.logs
                && !logs.search.is_empty()
            {
                jump_to_match(state, true, true);
            }
        }
        Some(Action::Cancel) => {
            logs.search.clear();
            logs.search_at = None;
            logs.typing_matches = 0;
            state.filter_input.clear();
            super::set_mode(state, Mode::Logs);
            state.dirty = true;
        }
        Some(Action::DeleteBack) => {
            if state.filter_input.pop().is_some() {
                logs.typing_matches = logs.count_matches(&state.filter_input);
                state.dirty = true;
            }
        }
        Some(Action::Quit) => return vec![Command::Quit],
        _ => {
            if let Some(c) = super::typed_char(key) {
                state.filter_input.push(c);
                logs.typing_matches = logs.count_matches(&state.filter_input);
                state.dirty = true;
            }
        }
    }
    Vec::new()
}

/// n / N.
fn step_match(state: &mut State, forward: bool) {
    let has_search = state.logs.as_ref().is_some_and(|l| !l.search.is_empty());
    if !has_search {
        state.notice = Some("no search: press / to search".into());
        state.dirty = true;
        return;
    }
    jump_to_match(state, forward, false);
}

/// Moves to the next (or previous) line matching the search, from the top
/// line (`inclusive`: the top line itself counts), wrapping around.
fn jump_to_match(state: &mut State, forward: bool, inclusive: bool) {
    let width = state.size.0;
    let height = state.viewport_height();
    let Some(logs) = &mut state.logs else {
        return;
    };
    let len = logs.lines.len();
    let tw = logs.text_width(width);
    let (top, _) = logs.top_position(tw, height);
    // From the match last gone to while it is still kept, else the top.
    let (top, inclusive) = match logs.search_at {
        Some(seq) if seq >= logs.first_seq && !inclusive => {
            ((seq - logs.first_seq) as usize, false)
        }
        _ => (top, inclusive),
    };
    let query = logs.search.clone();
    let found = if forward {
        let from = if inclusive { top } else { top + 1 };
        logs.find(&query, from..len)
            .map(|i| (i, false))
            .or_else(|| logs.find(&query, 0..from.min(len)).map(|i| (i, true)))
    } else {
        logs.find(&query, (0..top).rev())
            .map(|i| (i, false))
            .or_else(|| logs.find(&query, (top..len).rev()).map(|i| (i, true)))
    };
    let shown = crate::domain::text::clean(&query);
    match found {
        Some((index, wrapped)) => {
            logs.set_top(index, 0, tw, height);
            logs.search_at = Some(logs.seq(index));
            // At the end the match is on screen, just not at the top.
            state.notice = wrapped.then(|| "search wrapped".to_owned());
        }
        None => state.notice = Some(format!("no match for {shown}")),
    }
    state.dirty = true;
}

/// Every loaded line as text, for `S`.
pub(crate) fn save_text(logs: &LogView) -> String {
    let mut out = String::new();
    for line in &logs.lines {
        let label = logs
            .sources
            .get(&line.source)
            .map_or_else(|| format!("stream {}", line.source), |s| s.target.label());
        out.push('[');
        out.push_str(&label);
        out.push_str("] ");
        if let Some(ms) = line.time_ms {
            out.push_str(&rfc3339_ms(ms));
            out.push(' ');
        }
        out.push_str(&line.text);
        out.push('\n');
    }
    out
}

/// `2026-03-14T13:45:00.123Z`.
pub(crate) fn rfc3339_ms(ms: i64) -> String {
    let (date, rest) = civil(ms.div_euclid(1_000));
    format!("{date}T{rest}.{:03}Z", ms.rem_euclid(1_000))
}

/// (`YYYY-MM-DD`, `HH:MM:SS`) of seconds since the epoch, UTC.
fn civil(seconds: i64) -> (String, String) {
    let days = seconds.div_euclid(86_400);
    let s = seconds.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!("{:02}:{:02}:{:02}", s / 3_600, s / 60 % 60, s % 60),
    )
}

fn save(state: &mut State) -> Vec<Command> {
    let Some(logs) = &state.logs else {
        return Vec::new();
    };
    if logs.lines.is_empty() {
        state.notice = Some("no lines to save".into());
        state.dirty = true;
        return Vec::new();
    }
    let (date, time) = civil(state.now);
    let stamp = format!("{}-{}", date.replace('-', ""), time.replace(':', ""));
    let target = &logs.request.instance;
    // config::save_file keeps only safe characters of the name.
    let file_name = format!("{}-{}-{stamp}.log", target.namespace, target.name);
    vec![Command::SaveLogs {
        file_name,
        text: save_text(logs),
    }]
}

/// Items of the source picker and the current one.
pub(super) fn source_choices(state: &State) -> (Vec<String>, Option<String>) {
    let Some(logs) = &state.logs else {
        return (Vec::new(), None);
    };
    let mut items = vec![ALL_PODS.to_owned()];
    items.extend(
        logs.targets
            .iter()
            .map(|t| crate::domain::text::clean(&t.label())),
    );
    let current = match &logs.request.scope {
        LogScope::AllPods => ALL_PODS.to_owned(),
        LogScope::One(target) => crate::domain::text::clean(&target.label()),
    };
    (items, Some(current))
}

/// The user chose a source in the picker (an item of [`source_choices`]).
pub(super) fn choose_source(state: &mut State, label: &str) -> Vec<Command> {
    let Some(logs) = &state.logs else {
        return Vec::new();
    };
    let scope = if label == ALL_PODS {
        LogScope::AllPods
    } else {
        match logs
            .targets
            .iter()
            .find(|t| crate::domain::text::clean(&t.label()) == label)
        {
            Some(target) => LogScope::One(target.clone()),
            None => return Vec::new(),
        }
    };
    if scope == logs.request.scope {
        return Vec::new();
    }
    restart(state, |r| r.scope = scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Msg;
    use crate::keymap::{KeyCode, Keymap};
    use crate::state::logs::{LogLevel, LogTarget, RawLine, StreamStatus, detect_level};
    use crate::state::rows::ServiceKind;
    use crate::update::update;

    fn key(text: &str) -> Msg {
        Msg::Key(KeyPress::parse(text).unwrap_or(KeyPress::new(KeyCode::F(12))))
    }

    fn instance() -> InstanceRef {
        InstanceRef {
            uid: "u-orders".into(),
            name: "orders".into(),
            namespace: "team-a".into(),
            service: "kafka".into(),
            kind: ServiceKind::Operator,
        }
    }

    fn target(pod: &str) -> LogTarget {
        LogTarget {
            pod: pod.into(),
            container: "kafka".into(),
            file: None,
        }
    }

    /// A state on the log view of orders (80x24: 21 body rows), session 1,
    /// two pods announced.
    fn opened() -> State {
        let mut state = State::new(Keymap::default());
        state.view = View::Instances;
        let commands = open(&mut state, instance());
        assert!(matches!(commands.as_slice(), [Command::StreamLogs(r)] if r.session == 1));
        for (i, pod) in ["orders-kafka-0", "orders-kafka-1"].iter().enumerate() {
            event(
                &mut state,
                LogEvent::Source {
                    session: 1,
                    source: i as u32,
                    target: target(pod),
                },
            );
        }
        state.take_dirty();
        state
    }

    fn session(state: &State) -> u64 {
        state.logs.as_ref().map_or(0, |l| l.request.session)
    }

    fn event(state: &mut State, event: LogEvent) -> Vec<Command> {
        update(state, Msg::Logs(event))
    }

    /// Lines one millisecond apart, after every line pushed before.
    fn push(state: &mut State, texts: &[String]) {
        let session = session(state);
        let start = state
            .logs
            .as_ref()
            .map_or(0, |l| l.first_seq + l.lines.len() as u64) as i64;
        let lines = texts
            .iter()
            .enumerate()
            .map(|(i, t)| RawLine {
                source: (i % 2) as u32,
                time_ms: Some(1_773_495_900_000 + start + i as i64),
                text: t.clone(),
            })
            .collect();
        event(state, LogEvent::Lines { session, lines });
    }

    fn numbered(from: usize, to: usize) -> Vec<String> {
        (from..to).map(|i| format!("line {i}")).collect()
    }

    fn logs(state: &State) -> &LogView {
        state.logs.as_ref().expect("log view open")
    }

    /// Text of the line at the top of the viewport.
    fn top_text(state: &State) -> String {
        let logs = logs(state);
        let tw = logs.text_width(state.size.0);
        let (index, _) = logs.top_position(tw, state.viewport_height());
        logs.lines[index].text.clone()
    }

    #[test]
    fn open_and_close_return_where_they_came_from() {
        let mut state = State::new(Keymap::default());
        state.view = View::Instances;
        state.filter_input = "kaf".into();
        open(&mut state, instance());
        assert_eq!(state.view, View::Logs);
        assert_eq!(state.mode, Mode::Logs);
        assert_eq!(state.filter_input, "", "the search line starts empty");
        assert_eq!(update(&mut state, key("Esc")), vec![Command::StopLogs]);
        assert!(state.logs.is_none());
        assert_eq!(state.view, View::Instances);
        assert_eq!(state.mode, Mode::Normal);
        assert_eq!(state.filter_input, "kaf", "the instances filter is back");

        // From the detail: back to the detail.
        state.detail = Some(crate::state::detail::DetailState::new(instance()));
        state.view = View::Detail;
        state.mode = Mode::Detail;
        let commands = update(&mut state, key("L"));
        assert!(matches!(commands.as_slice(), [Command::StreamLogs(r)] if r.session == 2));
        close(&mut state);
        assert_eq!((state.view, state.mode), (View::Detail, Mode::Detail));

        // From the monitoring view: it is closed, and back leads to where
        // the monitor came from.
        state.monitor = Some(crate::state::monitor::MonitorView::new(
            crate::state::monitor::MetricsRequest {
                session: 3,
                instance: instance(),
            },
            View::Detail,
            Vec::new(),
        ));
        state.last_session = 3;
        state.view = View::Monitor;
        let commands = open(&mut state, instance());
        assert_eq!(commands[0], Command::StopMetrics);
        assert!(matches!(&commands[1], Command::StreamLogs(r) if r.session == 4));
        assert!(state.monitor.is_none());
        assert_eq!(logs(&state).return_to, View::Detail);
    }

    #[test]
    fn other_sessions_are_ignored() {
        let mut state = opened();
        event(
            &mut state,
            LogEvent::Lines {
                session: 7,
                lines: vec![RawLine {
                    source: 0,
                    time_ms: None,
                    text: "stale".into(),
                }],
            },
        );
        event(
            &mut state,
            LogEvent::Notice {
                session: 0,
                text: "old".into(),
            },
        );
        assert!(logs(&state).lines.is_empty());
        assert_eq!(state.notice, None);
        assert!(!state.take_dirty(), "nothing visible changed");
        event(
            &mut state,
            LogEvent::Notice {
                session: 1,
                text: "no LogConfig: stdout only".into(),
            },
        );
        assert_eq!(state.notice.as_deref(), Some("no LogConfig: stdout only"));
        event(
            &mut state,
            LogEvent::Status {
                session: 1,
                source: 1,
                status: StreamStatus::Reattaching("pod restarted".into()),
            },
        );
        assert_eq!(
            logs(&state).streams_summary(),
            "1 stream attached, 1 reattaching: pod restarted"
        );
    }

    #[test]
    fn the_cap_drops_the_oldest_and_counts_them() {
        let mut state = State::new(Keymap::default());
        state.log_line_cap = 100;
        open(&mut state, instance());
        push(&mut state, &numbered(0, 70));
        push(&mut state, &numbered(70, 250));
        let logs = logs(&state);
        assert_eq!(logs.lines.len(), 100);
        assert_eq!(logs.dropped, 150);
        assert_eq!(logs.lines[0].text, "line 150");
        assert_eq!(logs.lines[99].text, "line 249");
        assert_eq!(logs.first_seq, 150);
    }

    #[test]
    fn follow_pause_and_resume() {
        let mut state = opened();
        push(&mut state, &numbered(0, 100));
        assert!(state.take_dirty());
        let height = state.viewport_height();
        assert_eq!(height, 21);
        assert!(logs(&state).pinned);
        assert_eq!(top_text(&state), "line 79", "the last 21 lines are shown");
        // Scrolling up pauses; new lines are counted, not scrolled to.
        update(&mut state, key("k"));
        assert!(!logs(&state).pinned);
        assert_eq!(top_text(&state), "line 78");
        push(&mut state, &numbered(100, 105));
        assert!(state.take_dirty(), "the counter of new lines changed");
        assert_eq!(logs(&state).new_below, 5);
        assert_eq!(top_text(&state), "line 78", "the view stays put");
        // Like less: a page up, back down; the end resumes.
        update(&mut state, key("PageUp"));
        assert_eq!(top_text(&state), "line 57");
        update(&mut state, key("g"));
        assert_eq!(top_text(&state), "line 0");
        update(&mut state, key("PageDown"));
        assert_eq!(top_text(&state), "line 21");
        update(&mut state, key("G"));
        assert!(logs(&state).pinned);
        assert_eq!(logs(&state).new_below, 0);
        push(&mut state, &numbered(105, 106));
        assert_eq!(top_text(&state), "line 85", "following again");
        // Scrolling down to the end resumes as well.
        update(&mut state, key("k"));
        update(&mut state, key("k"));
        assert!(!logs(&state).pinned);
        update(&mut state, key("j"));
        update(&mut state, key("j"));
        assert!(logs(&state).pinned);
        state.take_dirty();
        update(&mut state, key("j"));
        assert!(!state.take_dirty(), "nothing below the end");
    }

    #[test]
    fn a_second_pods_backlog_merges_in_time_order() {
        let mut state = opened();
        let session = session(&state);
        let backlog = |source: u32, name: &str, start: i64| -> Vec<RawLine> {
            (0..100)
                .map(|i| RawLine {
                    source,
                    time_ms: Some(start + i * 10),
                    text: format!("{name} {i}"),
                })
                .collect()
        };
        event(
            &mut state,
            LogEvent::Lines {
                session,
                lines: backlog(0, "kafka-0", 0),
            },
        );
        // Paused on "kafka-0 40" when kafka-1's backlog comes.
        update(&mut state, key("g"));
        for _ in 0..40 {
            update(&mut state, key("j"));
        }
        assert_eq!(top_text(&state), "kafka-0 40");
        event(
            &mut state,
            LogEvent::Lines {
                session,
                lines: backlog(1, "kafka-1", 5),
            },
        );
        assert_eq!(top_text(&state), "kafka-0 40", "the view stays put");
        // kafka-1 0..39 went above it; 40..99 are below.
        assert_eq!(logs(&state).new_below, 60);
        let texts: Vec<&str> = logs(&state).lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(&texts[..3], ["kafka-0 0", "kafka-1 0", "kafka-0 1"]);
        assert_eq!(&texts[198..], ["kafka-0 99", "kafka-1 99"]);
        // Following, the merged lines just show.
        update(&mut state, key("G"));
        assert!(logs(&state).pinned);
        assert_eq!(top_text(&state), "kafka-1 89");
    }

    #[test]
    fn wrapped_lines_scroll_by_rows() {
        let mut state = opened();
        state.size = (40, 8); // 5 body rows
        let long = "x".repeat(60); // 2 rows at 40 - 1 - 8 = 31 cells
        push(
            &mut state,
            &[long.clone(), "a".into(), long, "b".into(), "c".into()],
        );
        let logs_view = logs(&state);
        let tw = logs_view.text_width(40);
        assert_eq!(tw, 31);
        assert_eq!(logs_view.row_count(0, tw), 2);
        // 7 rows in all; the end shows the last 5: row 1 of line 0 onwards
        // is skipped, i.e. the top is line 1.
        assert_eq!(logs_view.top_position(tw, 5), (1, 0));
        update(&mut state, key("k"));
        assert_eq!(logs(&state).top_position(tw, 5), (0, 1));
        update(&mut state, key("k"));
        assert_eq!(logs(&state).top_position(tw, 5), (0, 0));
        update(&mut state, key("w"));
        assert_eq!(logs(&state).row_count(0, tw), 1);
        assert!(logs(&state).pinned, "5 one-row lines fit: at the end");
    }

    #[test]
    fn search_next_previous_and_wrap() {
        let mut state = opened();
        let mut texts = numbered(0, 60);
        texts[10] = "ERROR broker 1 unreachable".into();
        texts[30] = "error: Broker 2 unreachable".into();
        texts[55] = "broker 3 UNREACHABLE".into();
        push(&mut state, &texts);
        update(&mut state, key("g"));
        update(&mut state, key("/"));
        assert_eq!(state.mode, Mode::FilterInput);
        for c in "Unreach".chars() {
            update(&mut state, Msg::Key(KeyPress::char(c)));
        }
        assert_eq!(logs(&state).typing_matches, 3);
        assert!(logs(&state).search.is_empty(), "kept only on Enter");
        assert!(
            state.table.filter().is_empty(),
            "instances filter untouched"
        );
        update(&mut state, key("Enter"));
        assert_eq!(state.mode, Mode::Logs);
        assert_eq!(logs(&state).search, "Unreach");
        assert_eq!(state.filter_input, "");
        assert_eq!(top_text(&state), "ERROR broker 1 unreachable");
        update(&mut state, key("n"));
        assert_eq!(top_text(&state), "error: Broker 2 unreachable");
        assert_eq!(state.notice, None);
        // The third match is near the end: the view pins there.
        update(&mut state, key("n"));
        assert!(logs(&state).pinned);
        update(&mut state, key("n"));
        assert_eq!(top_text(&state), "ERROR broker 1 unreachable");
        assert_eq!(state.notice.as_deref(), Some("search wrapped"));
        update(&mut state, key("N"));
        // Back to the last match: it is near the end, so the view pins.
        assert!(logs(&state).pinned);
        assert_eq!(top_text(&state), "line 39");
        assert_eq!(state.notice.as_deref(), Some("search wrapped"));
        update(&mut state, key("N"));
        assert_eq!(top_text(&state), "error: Broker 2 unreachable");
        assert_eq!(state.notice, None);
        // No match at all.
        update(&mut state, key("/"));
        assert_eq!(state.filter_input, "Unreach", "the search is edited");
        for _ in 0..7 {
            update(&mut state, key("Backspace"));
        }
        for c in "zebra".chars() {
            update(&mut state, Msg::Key(KeyPress::char(c)));
        }
        assert_eq!(logs(&state).typing_matches, 0);
        update(&mut state, key("Enter"));
        assert_eq!(state.notice.as_deref(), Some("no match for zebra"));
        // Esc while typing clears it.
        update(&mut state, key("/"));
        update(&mut state, key("Esc"));
        assert!(logs(&state).search.is_empty());
        assert_eq!(state.mode, Mode::Logs);
        update(&mut state, key("n"));
        assert_eq!(
            state.notice.as_deref(),
            Some("no search: press / to search")
        );
    }

    #[test]
    fn option_keys_restart_with_a_new_session() {
        let mut state = opened();
        push(&mut state, &numbered(0, 10));
        let expect = |state: &mut State, k: &str, check: &dyn Fn(&LogOptions) -> bool| {
            let before = session(state);
            let commands = update(state, key(k));
            let [Command::StreamLogs(request)] = commands.as_slice() else {
                panic!("{k}: {commands:?}");
            };
            assert_eq!(request.session, before + 1, "{k}");
            assert_eq!(session(state), before + 1);
            assert!(check(&request.options), "{k}: {:?}", request.options);
            assert!(logs(state).lines.is_empty(), "{k}: the buffer is cleared");
            assert!(logs(state).sources.is_empty());
        };
        expect(&mut state, "f", &|o| !o.follow);
        expect(&mut state, "f", &|o| o.follow);
        expect(&mut state, "p", &|o| o.previous);
        expect(&mut state, "s", &|o| o.since_seconds == Some(300));
        expect(&mut state, "s", &|o| o.since_seconds == Some(3_600));
        expect(&mut state, "s", &|o| o.since_seconds == Some(86_400));
        expect(&mut state, "s", &|o| o.since_seconds.is_none());
        expect(&mut state, "T", &|o| o.tail_lines == Some(5_000));
        expect(&mut state, "T", &|o| o.tail_lines.is_none());
        expect(&mut state, "T", &|o| o.tail_lines == Some(100));
        // Old-session lines no longer land.
        push(&mut state, &numbered(0, 3));
        assert_eq!(logs(&state).lines.len(), 3);
        let old = LogEvent::Lines {
            session: 1,
            lines: vec![RawLine {
                source: 0,
                time_ms: None,
                text: "late".into(),
            }],
        };
        event(&mut state, old);
        assert_eq!(logs(&state).lines.len(), 3);
        // Display toggles restart nothing.
        for k in ["t", "w", "J"] {
            assert!(update(&mut state, key(k)).is_empty());
        }
        let view = logs(&state);
        assert!(view.timestamps && !view.wrap && view.pretty_json);
    }

    #[test]
    fn save_writes_every_line_with_its_source() {
        let mut state = opened();
        state.now = 1_773_495_900; // 2026-03-14 13:45:00
        let lines = vec![
            RawLine {
                source: 0,
                time_ms: Some(1_773_495_899_123),
                text: "started".into(),
            },
            RawLine {
                source: 1,
                time_ms: None,
                text: "no time".into(),
            },
        ];
        event(&mut state, LogEvent::Lines { session: 1, lines });
        let commands = update(&mut state, key("S"));
        assert_eq!(
            commands,
            vec![Command::SaveLogs {
                file_name: "team-a-orders-20260314-134500.log".into(),
                text: "[orders-kafka-0/kafka] 2026-03-14T13:44:59.123Z started\n\
                       [orders-kafka-1/kafka] no time\n"
                    .into(),
            }]
        );
        assert_eq!(update(&mut state, key("ctrl+s")).len(), 1);
        assert_eq!(rfc3339_ms(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_ms(951_825_600_000), "2000-02-29T12:00:00.000Z");
        assert_eq!(rfc3339_ms(-1), "1969-12-31T23:59:59.999Z");
    }

    #[test]
    fn source_picker_round_trip() {
        let mut state = opened();
        let mut file = target("orders-kafka-0");
        file.file = Some("/var/log/kafka/server.log".into());
        event(
            &mut state,
            LogEvent::Targets {
                session: 1,
                targets: vec![target("orders-kafka-0"), file, target("orders-kafka-1")],
            },
        );
        update(&mut state, key("Tab"));
        assert_eq!(state.mode, Mode::Picker);
        let (items, current) = source_choices(&state);
        assert_eq!(
            items,
            vec![
                ALL_PODS,
                "orders-kafka-0/kafka",
                "orders-kafka-0/kafka:/var/log/kafka/server.log",
                "orders-kafka-1/kafka",
            ]
        );
        assert_eq!(current.as_deref(), Some(ALL_PODS));
        state.picker = None;
        state.mode = Mode::Logs;
        let commands = choose_source(&mut state, "orders-kafka-0/kafka:/var/log/kafka/server.log");
        let [Command::StreamLogs(request)] = commands.as_slice() else {
            panic!("{commands:?}");
        };
        let LogScope::One(chosen) = &request.scope else {
            panic!("{request:?}");
        };
        assert_eq!(chosen.file.as_deref(), Some("/var/log/kafka/server.log"));
        assert_eq!(request.session, 2);
        assert_eq!(
            source_choices(&state).1.as_deref(),
            Some("orders-kafka-0/kafka:/var/log/kafka/server.log")
        );
        assert!(choose_source(&mut state, "no such stream").is_empty());
        let commands = choose_source(&mut state, ALL_PODS);
        assert!(
            matches!(commands.as_slice(), [Command::StreamLogs(r)] if r.scope == LogScope::AllPods)
        );
        assert!(
            choose_source(&mut state, ALL_PODS).is_empty(),
            "already shown"
        );
    }

    #[test]
    fn levels_are_detected() {
        use LogLevel::*;
        let table = [
            ("ERROR could not connect", Error),
            ("2026-03-14 13:45:00 [kafka] WARN disk 91% full", Warn),
            (
                "[2026-03-14 13:45:00,123] INFO [KafkaServer id=0] started",
                Info,
            ),
            ("time=2026 level=warn msg=\"slow\"", Warn),
            ("ts=1 lvl=error msg=boom", Error),
            ("level=DEBUG something", Debug),
            ("panic: runtime error: index out of range", Error),
            ("error: no such host", Error),
            ("the error: is prose", Unknown),
            ("PANIC: out of range", Error),
            ("FATAL: password authentication failed", Error),
            ("[debug] cache miss", Debug),
            ("TRACE entering loop", Debug),
            ("CRITICAL disk failure", Error),
            ("{\"level\":\"error\",\"msg\":\"boom\"}", Error),
            (
                "{\"ts\":1, \"severity\" : \"WARNING\", \"msg\":\"x\"}",
                Warn,
            ),
            ("{\"lvl\":\"info\"}", Info),
            ("{\"level\":50,\"msg\":\"bunyan\"}", Error),
            (
                "E0314 13:45:00.000000       1 controller.go:42] failed",
                Error,
            ),
            (
                "W0314 13:45:00.000000       1 reflector.go:1] watch closed",
                Warn,
            ),
            ("no error here, all fine", Unknown),
            ("warnings_total 3", Unknown),
            ("ERRORS: 0", Unknown),
            ("", Unknown),
            ("plain text", Unknown),
        ];
        for (text, level) in table {
            assert_eq!(detect_level(text), level, "{text}");
        }
    }

    #[test]
    fn json_lines_pretty_print_over_several_rows() {
        let mut state = opened();
        let json = r#"{"level":"info","msg":"started","broker":{"id":0,"rack":"a"}}"#;
        push(
            &mut state,
            &[json.into(), "not json {".into(), "[1,2]".into()],
        );
        update(&mut state, key("J"));
        let view = logs(&state);
        let tw = view.text_width(80);
        // {, level, msg, broker: {, id, rack, }, } = 8 rows.
        assert_eq!(view.row_count(0, tw), 8);
        assert_eq!(view.row_count(1, tw), 1);
        assert_eq!(view.row_count(2, tw), 1, "only objects are pretty-printed");
        assert_eq!(
            crate::state::logs::pretty_json(r#"{"b":1,"a":[],"c":{"d":"x,y:{"}}"#).as_deref(),
            Some("{\n  \"b\": 1,\n  \"a\": [],\n  \"c\": {\n    \"d\": \"x,y:{\"\n  }\n}"),
            "fields keep their order; strings are left alone"
        );
        let rows = view.line_rows(0, tw);
        assert_eq!(
            rows[1],
            crate::state::logs::LineRow::Text {
                first: false,
                text: "  \"level\": \"info\",".into()
            }
        );
    }

    #[test]
    fn case_insensitive_matching() {
        use crate::state::logs::{contains_ci, match_ranges};
        assert!(contains_ci("Broker UNREACHABLE", "unreach"));
        assert!(contains_ci("x", ""));
        assert!(!contains_ci("broke", "broker"));
        assert!(contains_ci("[1] ok", "[1]"));
        assert!(!contains_ci("@", "`"), "case folding is for letters only");
        assert!(contains_ci("Größe ÜBER alles", "über"));
        assert_eq!(
            match_ranges("Error error ERROR", "error"),
            [0..5, 6..11, 12..17]
        );
        assert_eq!(match_ranges("ÜBER über", "über"), [0..5, 6..11]);
        assert_eq!(match_ranges("aaaa", "aa"), [0..2, 2..4]);
        assert!(match_ranges("abc", "").is_empty());
    }

    #[test]
    fn wrapping_prefers_spaces() {
        use crate::state::logs::wrap;
        assert_eq!(wrap("", 10), [""]);
        assert_eq!(wrap("abcdefghij", 4), ["abcd", "efgh", "ij"]);
        assert_eq!(
            wrap("hello wonderful world", 10),
            ["hello ", "wonderful ", "world"]
        );
        // A space early in the piece is not worth a short row.
        assert_eq!(wrap("a bcdefghijk", 6), ["a bcde", "fghijk"]);
        assert_eq!(wrap("日本語テキスト", 5), ["日本", "語テ", "キス", "ト"]);
    }

    #[test]
    fn labels_are_the_distinguishing_part_of_pod_names() {
        let state = opened();
        let labels: Vec<_> = logs(&state)
            .sources
            .values()
            .map(|s| s.label.clone())
            .collect();
        assert_eq!(
            labels,
            ["kafka-0", "kafka-1"],
            "a bare \"0\" says too little"
        );
        let mut state = opened();
        event(
            &mut state,
            LogEvent::Source {
                session: 1,
                source: 2,
                target: LogTarget {
                    pod: "orders-zookeeper-0".into(),
                    container: "zk".into(),
                    file: None,
                },
            },
        );
        let labels: Vec<_> = logs(&state)
            .sources
            .values()
            .map(|s| s.label.clone())
            .collect();
        assert_eq!(labels, ["kafka-0", "kafka-1", "zookeeper-0"]);
        assert_eq!(logs(&state).label_width, 11);
    }

    #[test]
    fn ingest_is_linear() {
        // Not a timing assert: 100k lines through update with a 50k cap,
        // printed for the record (cargo test -- --nocapture).
        let mut state = opened();
        let batch: Vec<String> = (0..1_000)
            .map(|i| format!("2026-03-14 13:45:00 INFO [broker-{i}] request handled in {i} ms"))
            .collect();
        let started = std::time::Instant::now();
        for _ in 0..100 {
            push(&mut state, &batch);
        }
        let spent = started.elapsed();
        assert_eq!(logs(&state).lines.len(), 50_000);
        assert_eq!(logs(&state).dropped, 50_000);
        println!("ingest 100k lines: {:.1} ms", spent.as_secs_f64() * 1e3);
        let started = std::time::Instant::now();
        assert_eq!(logs(&state).count_matches("BROKER-999]"), 50);
        println!(
            "search 50k lines: {:.2} ms",
            started.elapsed().as_secs_f64() * 1e3
        );
        // The worst case of the time merge: every batch older than all
        // stored lines, so each one is merged into the whole window.
        let mut state = opened();
        let session = session(&state);
        let batches: Vec<Vec<RawLine>> = (0..100)
            .rev()
            .map(|b| {
                (0..1_000)
                    .map(|i| RawLine {
                        source: (i % 2) as u32,
                        time_ms: Some(b * 1_000 + i),
                        text: format!("2026-03-14 13:45:00 INFO [broker-{i}] request {b}"),
                    })
                    .collect()
            })
            .collect();
        let started = std::time::Instant::now();
        for lines in batches {
            event(&mut state, LogEvent::Lines { session, lines });
        }
        let spent = started.elapsed();
        let merged = logs(&state);
        assert_eq!(merged.lines.len(), 50_000);
        assert_eq!(merged.dropped, 50_000);
        let window = crate::state::logs::MERGE_WINDOW;
        println!(
            "ingest 100k lines, each batch merged into {window}: {:.1} ms",
            spent.as_secs_f64() * 1e3
        );
    }
}
