use super::*;
use crate::keymap::Keymap;
use crate::state::rows::tests::{row, service};
use crate::state::rows::{Health, InstanceRow};
use crate::state::table::SortColumn;

fn key(text: &str) -> Msg {
    Msg::Key(KeyPress::parse(text).unwrap_or(KeyPress::new(KeyCode::F(12))))
}

fn typed(state: &mut State, text: &str) {
    for c in text.chars() {
        update(state, Msg::Key(KeyPress::char(c)));
    }
}

fn rows() -> Vec<InstanceRow> {
    vec![
        row("1", "alpha", "prod", "kafka", Health::Healthy),
        row("2", "bravo", "dev", "kafka", Health::Failed),
        row("3", "charlie", "dev", "redis", Health::Healthy),
    ]
}

/// A state on the instances view with three rows, dirty flag cleared.
fn loaded() -> State {
    let mut state = State::new(Keymap::default());
    update(
        &mut state,
        Msg::ServicesChanged(vec![service("kafka"), service("redis")]),
    );
    assert!(!state.instances_listed);
    update(&mut state, Msg::InstancesRelisted(rows()));
    assert!(state.instances_listed && !state.synced);
    update(&mut state, key("2"));
    state.take_dirty();
    state
}

fn selected(state: &State) -> Option<String> {
    state
        .table
        .selected(&state.instances)
        .map(|r| r.name.clone())
}

#[test]
fn ctrl_l_asks_for_a_repaint_in_any_mode_and_changes_nothing_else() {
    let mut state = loaded();
    assert_eq!(update(&mut state, key("ctrl+l")), [Command::Redraw]);
    assert!(state.take_dirty(), "a frame must follow");
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(selected(&state).as_deref(), Some("alpha"));
    // While typing a filter it is not a letter.
    update(&mut state, key("/"));
    typed(&mut state, "br");
    assert_eq!(update(&mut state, key("ctrl+l")), [Command::Redraw]);
    assert_eq!(state.mode, Mode::FilterInput);
    assert_eq!(state.filter_input, "br");
    // Nor on the command line.
    update(&mut state, key("Esc"));
    update(&mut state, key(":"));
    assert_eq!(update(&mut state, key("ctrl+l")), [Command::Redraw]);
    assert_eq!(state.command_input, "");
    assert_eq!(state.mode, Mode::CommandInput);
}

#[test]
fn navigation_moves_selection_and_marks_dirty() {
    let mut state = loaded();
    assert_eq!(state.view, View::Instances);
    assert_eq!(selected(&state).as_deref(), Some("alpha"));
    update(&mut state, key("j"));
    assert!(state.take_dirty());
    assert_eq!(selected(&state).as_deref(), Some("bravo"));
    update(&mut state, key("G"));
    assert_eq!(selected(&state).as_deref(), Some("charlie"));
    state.take_dirty();
    update(&mut state, key("Down"));
    assert!(!state.take_dirty(), "moving past the end changes nothing");
    update(&mut state, key("g"));
    assert_eq!(selected(&state).as_deref(), Some("alpha"));
    update(&mut state, key("ctrl+d"));
    assert_eq!(selected(&state).as_deref(), Some("charlie"));
    update(&mut state, key("ctrl+u"));
    assert_eq!(selected(&state).as_deref(), Some("alpha"));
    state.take_dirty();
    update(&mut state, key("k"));
    assert!(!state.take_dirty());
    update(&mut state, key("x"));
    assert!(!state.take_dirty(), "unbound keys change nothing");
}

#[test]
fn services_view_navigates_and_opens_instances() {
    let mut state = loaded();
    update(&mut state, key("1"));
    assert_eq!(state.view, View::Services);
    assert_eq!(state.selected_service.as_deref(), Some("kafka"));
    update(&mut state, key("j"));
    assert_eq!(state.selected_service.as_deref(), Some("redis"));
    update(&mut state, key("G"));
    update(&mut state, key("g"));
    assert_eq!(state.selected_service.as_deref(), Some("kafka"));
    update(&mut state, key("Enter"));
    assert_eq!(state.view, View::Instances);
    assert_eq!(state.table.scope_service(), Some("kafka"));
    assert_eq!(state.table.len(), 2);
    update(&mut state, key("Esc"));
    assert_eq!(state.view, View::Services);
    update(&mut state, key("2"));
    assert_eq!(state.table.scope_service(), None);
    assert_eq!(state.table.len(), 3);
}

#[test]
fn filter_typing_backspace_escape_enter() {
    let mut state = loaded();
    update(&mut state, key("/"));
    assert_eq!(state.mode, Mode::FilterInput);
    typed(&mut state, "dev");
    assert_eq!(state.table.len(), 2);
    // Keys bound in normal mode are text here.
    typed(&mut state, "q");
    assert_eq!(state.filter_input, "devq");
    assert!(state.table.is_empty());
    update(&mut state, key("Backspace"));
    assert_eq!(state.table.len(), 2);
    update(&mut state, key("Enter"));
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(state.filter_input, "dev");
    assert_eq!(state.table.len(), 2);
    // Esc in normal mode clears a kept filter before leaving the view.
    update(&mut state, key("Esc"));
    assert_eq!(state.filter_input, "");
    assert_eq!(state.view, View::Instances);
    update(&mut state, key("/"));
    typed(&mut state, "!kafka");
    assert_eq!(state.table.len(), 1);
    update(&mut state, key("Esc"));
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(state.filter_input, "");
    assert_eq!(state.table.len(), 3);
    update(&mut state, key("/"));
    assert_eq!(update(&mut state, key("ctrl+c")), vec![Command::Quit]);
    update(&mut state, key("alt+x"));
    assert_eq!(state.filter_input, "", "alt+x does not type");
    update(&mut state, key("Backspace"));
    state.take_dirty();
    update(&mut state, key("Backspace"));
    assert!(!state.take_dirty());
}

#[test]
fn sort_toggles_and_selection_stays() {
    let mut state = loaded();
    update(&mut state, key("j"));
    update(&mut state, key("H"));
    assert!(state.take_dirty());
    assert_eq!(state.table.sort().column, SortColumn::Health);
    assert_eq!(selected(&state).as_deref(), Some("bravo"));
    assert_eq!(state.table.cursor(), 2);
    update(&mut state, key("H"));
    assert!(state.table.sort().descending);
    assert_eq!(state.table.cursor(), 0);
    update(&mut state, key("1"));
    update(&mut state, key("A"));
    assert_eq!(
        state.table.sort().column,
        SortColumn::Health,
        "no sort on services"
    );
}

#[test]
fn watch_events_keep_selection_and_dirty_only_when_visible() {
    let mut state = loaded();
    update(&mut state, key("j"));
    state.take_dirty();
    update(
        &mut state,
        Msg::InstancesUpserted(vec![row("0", "aaa", "a", "kafka", Health::Healthy)]),
    );
    assert!(state.take_dirty());
    assert_eq!(selected(&state).as_deref(), Some("bravo"));
    update(
        &mut state,
        Msg::InstancesUpserted(vec![row("0", "aaa", "a", "kafka", Health::Healthy)]),
    );
    assert!(!state.take_dirty(), "identical upsert");
    update(&mut state, Msg::InstanceRemoved("0".into()));
    assert!(state.take_dirty());
    update(&mut state, Msg::InstanceRemoved("0".into()));
    assert!(!state.take_dirty());
    update(&mut state, Msg::InstanceRemoved("2".into()));
    assert_eq!(selected(&state).as_deref(), Some("charlie"));
    update(&mut state, key("1"));
    state.take_dirty();
    update(&mut state, Msg::InstancesRelisted(rows()));
    assert!(state.take_dirty(), "kafka's counts changed");
    let kafka = state.services.get("kafka").map(|s| s.counts.total());
    assert_eq!(kafka, Some(2));
    update(&mut state, Msg::InstancesRelisted(rows()));
    assert!(
        !state.take_dirty(),
        "same counts: nothing visible on the services view"
    );
    update(
        &mut state,
        Msg::ServicesChanged(vec![service("kafka"), service("redis")]),
    );
    assert!(!state.take_dirty());
    update(&mut state, Msg::ServicesChanged(vec![service("redis")]));
    assert!(state.take_dirty());
    assert_eq!(state.selected_service.as_deref(), Some("redis"));
    update(
        &mut state,
        Msg::NamespacesListed(vec!["b".into(), "a".into()]),
    );
    update(
        &mut state,
        Msg::ContextsListed(vec!["y".into(), "x".into()]),
    );
    assert!(!state.take_dirty());
    assert_eq!(state.namespaces, ["a", "b"]);
    assert_eq!(state.contexts, ["x", "y"]);
}

#[test]
fn disconnect_marks_stale_and_keeps_rows() {
    let mut state = loaded();
    let down = |since: i64, error: &str| {
        Msg::Connection(Connection::Disconnected {
            since,
            error: error.into(),
        })
    };
    update(&mut state, down(100, "refused"));
    assert!(state.take_dirty());
    assert_eq!(state.table.len(), 3);
    update(&mut state, down(200, "refused"));
    assert!(!state.take_dirty());
    update(&mut state, down(300, "timeout"));
    assert_eq!(
        state.stale,
        Some(Stale {
            since: 100,
            error: "timeout".into()
        })
    );
    update(&mut state, Msg::Connection(Connection::Connected));
    assert!(state.take_dirty());
    assert_eq!(state.stale, None);
    update(&mut state, Msg::Connection(Connection::Connected));
    assert!(!state.take_dirty());
}

#[test]
fn command_line_executes() {
    let mut state = loaded();
    let run = |state: &mut State, line: &str| {
        update(state, key(":"));
        typed(state, line);
        update(state, key("Enter"))
    };
    assert_eq!(
        run(&mut state, "ns prod"),
        vec![Command::WatchNamespace(Some("prod".into()))]
    );
    assert_eq!(state.namespace.as_deref(), Some("prod"));
    assert!(state.instances.is_empty(), "old namespace rows are dropped");
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(
        run(&mut state, "ns all"),
        vec![Command::WatchNamespace(None)]
    );
    assert_eq!(state.namespace, None);
    assert_eq!(
        run(&mut state, "ctx kind-b"),
        vec![Command::SwitchContext("kind-b".into())]
    );
    assert_eq!(state.context.as_deref(), Some("kind-b"));
    assert!(state.services.rows().is_empty());
    assert_eq!(run(&mut state, "svc"), vec![]);
    assert_eq!(state.view, View::Services);
    update(&mut state, Msg::InstancesRelisted(rows()));
    run(&mut state, "inst redis");
    assert_eq!(state.view, View::Instances);
    assert_eq!(state.table.scope_service(), Some("redis"));
    run(&mut state, "bogus");
    assert!(
        state
            .notice
            .as_deref()
            .is_some_and(|n| n.contains("unknown command"))
    );
    update(&mut state, key(":"));
    assert_eq!(state.notice, None, "a new command clears the old error");
    update(&mut state, key("Esc"));
    run(&mut state, "help");
    assert_eq!(state.mode, Mode::Help);
    update(&mut state, key("Esc"));
    assert_eq!(run(&mut state, "q"), vec![Command::Quit]);
}

#[test]
fn command_input_editing_and_completion() {
    let mut state = loaded();
    update(
        &mut state,
        Msg::NamespacesListed(vec!["prod".into(), "prod-eu".into()]),
    );
    update(&mut state, key(":"));
    assert_eq!(state.mode, Mode::CommandInput);
    typed(&mut state, "ns p");
    update(&mut state, key("Tab"));
    assert_eq!(state.command_input, "ns prod");
    update(&mut state, key("Tab"));
    assert_eq!(state.command_input, "ns prod");
    update(&mut state, key("Tab"));
    assert_eq!(state.command_input, "ns prod-eu");
    update(&mut state, key("Tab"));
    assert_eq!(state.command_input, "ns prod");
    update(&mut state, key("Backspace"));
    assert_eq!(state.command_input, "ns pro");
    assert_eq!(state.completion, None);
    update(&mut state, key("Esc"));
    assert_eq!(state.command_input, "");
    assert_eq!(state.mode, Mode::Normal);
    update(&mut state, key(":"));
    typed(&mut state, "inst r");
    update(&mut state, key("Tab"));
    assert_eq!(state.command_input, "inst redis");
    state.command_input = "zz".into();
    state.take_dirty();
    update(&mut state, key("Tab"));
    assert!(!state.take_dirty(), "nothing to complete");
    update(&mut state, key("Backspace"));
    update(&mut state, key("Backspace"));
    state.take_dirty();
    update(&mut state, key("Backspace"));
    assert!(!state.take_dirty());
    assert_eq!(update(&mut state, key("ctrl+c")), vec![Command::Quit]);
    update(&mut state, key("ctrl+x"));
    assert_eq!(state.command_input, "", "ctrl+x is not text");
}

#[test]
fn help_toggles_and_quit_works_everywhere_it_is_bound() {
    let mut state = loaded();
    update(&mut state, key("?"));
    assert_eq!(state.mode, Mode::Help);
    update(&mut state, key("j"));
    assert_eq!(state.mode, Mode::Help);
    update(&mut state, key("q"));
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(update(&mut state, key("q")), vec![Command::Quit]);
    update(&mut state, key("?"));
    assert_eq!(update(&mut state, key("ctrl+c")), vec![Command::Quit]);
}

#[test]
fn resize_sets_viewport() {
    let mut state = loaded();
    let many: Vec<InstanceRow> = (0..50)
        .map(|i| {
            row(
                &i.to_string(),
                &format!("r{i:02}"),
                "ns",
                "s",
                Health::Healthy,
            )
        })
        .collect();
    update(&mut state, Msg::InstancesRelisted(many));
    update(
        &mut state,
        Msg::Resize {
            width: 100,
            height: 13,
        },
    );
    assert!(state.take_dirty());
    assert_eq!(state.size, (100, 13));
    update(&mut state, key("g"));
    update(&mut state, key("PageDown"));
    assert_eq!(state.table.cursor(), 10);
    update(&mut state, key("PageUp"));
    assert_eq!(state.table.cursor(), 0);
}

fn detail_of(uid: &str, lines: usize) -> Box<crate::state::detail::InstanceDetail> {
    use crate::state::detail::{EventRow, InstanceDetail};
    use crate::state::rows::ServiceKind;
    Box::new(InstanceDetail {
        target: InstanceRef {
            uid: uid.into(),
            name: "alpha".into(),
            namespace: "prod".into(),
            service: "kafka".into(),
            kind: ServiceKind::Operator,
        },
        health: Health::Healthy,
        overview: Vec::new(),
        conditions: Vec::new(),
        spec_masked: (0..lines).map(|i| format!("k{i}: '••••••'\n")).collect(),
        spec_revealed: (0..lines).map(|i| format!("k{i}: v{i}\n")).collect(),
        resources: Vec::new(),
        events: vec![EventRow {
            time: 1_000,
            warning: false,
            reason: "Created".into(),
            object: "Pod/alpha-0".into(),
            message: "created".into(),
            count: 1,
        }],
        dependencies: Vec::new(),
        helm: None,
        problems: Vec::new(),
        generation: None,
        observed_generation: None,
    })
}

#[test]
fn detail_opens_scrolls_switches_tabs_and_closes() {
    use crate::state::detail::DetailTab;
    let mut state = loaded();
    let commands = update(&mut state, key("Enter"));
    assert_eq!(state.view, View::Detail);
    assert_eq!(state.mode, Mode::Detail);
    let Some(Command::WatchDetail(target)) = commands.first() else {
        panic!("expected WatchDetail, got {commands:?}");
    };
    assert_eq!(target.name, "alpha");
    assert_eq!(target.uid, "1");

    // A snapshot for another instance is ignored; ours is taken.
    update(&mut state, Msg::DetailUpdated(detail_of("2", 5)));
    assert!(state.detail.as_ref().is_some_and(|d| d.data.is_none()));
    update(&mut state, Msg::DetailUpdated(detail_of("1", 100)));
    assert!(state.detail.as_ref().is_some_and(|d| d.data.is_some()));

    update(&mut state, key("Tab"));
    let detail = |s: &State| s.detail.clone().unwrap_or_else(|| panic!("no detail"));
    assert_eq!(detail(&state).tab, DetailTab::Spec);
    assert!(
        detail(&state)
            .spec_text()
            .is_some_and(|t| t.contains("••••••"))
    );
    update(&mut state, key("x"));
    assert!(detail(&state).spec_text().is_some_and(|t| t.contains("v7")));
    update(&mut state, key("j"));
    update(&mut state, key("j"));
    assert_eq!(detail(&state).scroll, 2);
    update(&mut state, key("G"));
    // 100 lines on a 24-row screen: 21 body rows, so at most 79.
    assert_eq!(detail(&state).scroll, 79);
    update(&mut state, key("shift+Tab"));
    assert_eq!(detail(&state).tab, DetailTab::Overview);
    assert_eq!(detail(&state).scroll, 0);
    update(&mut state, key("shift+Tab"));
    assert_eq!(detail(&state).tab, DetailTab::Diagnosis);

    // Ages in the detail need a redraw when they tick over.
    state.now = 1_030;
    assert_eq!(state.next_time_change(), Some(1), "loading spinner turns");
    state.synced = true;
    assert_eq!(state.next_time_change(), Some(1));

    let commands = update(&mut state, key("Esc"));
    assert_eq!(commands, vec![Command::StopDetail]);
    assert_eq!(state.view, View::Instances);
    assert_eq!(state.mode, Mode::Normal);
    assert!(state.detail.is_none());
}

#[test]
fn commands_from_the_detail_close_it() {
    let mut state = loaded();
    update(&mut state, key("Enter"));
    update(&mut state, key(":"));
    assert_eq!(state.mode, Mode::CommandInput);
    typed(&mut state, "svc");
    let commands = update(&mut state, key("Enter"));
    assert_eq!(commands, vec![Command::StopDetail]);
    assert_eq!(state.view, View::Services);
    assert_eq!(state.mode, Mode::Normal);
}

#[test]
fn deleted_instance_in_detail_is_reported() {
    let mut state = loaded();
    update(&mut state, key("Enter"));
    update(&mut state, Msg::InstanceRemoved("1".into()));
    assert_eq!(state.notice.as_deref(), Some("prod/alpha was deleted"));
    assert_eq!(state.view, View::Detail, "the last data stays readable");
}

#[test]
fn namespace_picker_switches_watch() {
    let mut state = loaded();
    update(
        &mut state,
        Msg::NamespacesListed(vec!["prod".into(), "dev".into()]),
    );
    update(&mut state, key("n"));
    assert_eq!(state.mode, Mode::Picker);
    let picker = state.picker.clone().unwrap_or_else(|| panic!("no picker"));
    assert_eq!(picker.chosen(), Some(crate::state::picker::ALL_NAMESPACES));
    typed(&mut state, "pro");
    let commands = update(&mut state, key("Enter"));
    assert_eq!(commands, vec![Command::WatchNamespace(Some("prod".into()))]);
    assert_eq!(state.namespace.as_deref(), Some("prod"));
    assert!(state.instances.is_empty(), "old rows dropped");
    assert!(!state.synced);
    assert!(!state.instances_listed, "the old list counts for nothing");
    assert_eq!(state.mode, Mode::Normal);

    // `:ns` alone opens the picker too; Esc leaves everything as it was.
    update(&mut state, key(":"));
    typed(&mut state, "ns");
    update(&mut state, key("Enter"));
    assert_eq!(state.mode, Mode::Picker);
    assert_eq!(update(&mut state, key("Esc")), Vec::new());
    assert_eq!(state.mode, Mode::Normal);
    assert_eq!(state.namespace.as_deref(), Some("prod"));
}

#[test]
fn context_picker_switches_context() {
    let mut state = loaded();
    update(
        &mut state,
        Msg::ContextsListed(vec!["sandbox".into(), "prod".into()]),
    );
    update(&mut state, key("c"));
    update(&mut state, key("Down"));
    let commands = update(&mut state, key("Enter"));
    assert_eq!(commands, vec![Command::SwitchContext("sandbox".into())]);
    assert!(state.services.rows().is_empty());
}

#[test]
fn mouse_selects_opens_and_scrolls() {
    use crate::action::MouseInput;
    let mut state = loaded();
    let top = state.layout().body_top;
    update(
        &mut state,
        Msg::Mouse(MouseInput::Click {
            column: 3,
            row: top + 2,
        }),
    );
    assert_eq!(selected(&state).as_deref(), Some("charlie"));
    let commands = update(
        &mut state,
        Msg::Mouse(MouseInput::Click {
            column: 3,
            row: top + 2,
        }),
    );
    assert!(matches!(commands.first(), Some(Command::WatchDetail(_))));
    update(&mut state, key("Esc"));
    update(&mut state, Msg::Mouse(MouseInput::ScrollUp));
    assert_eq!(selected(&state).as_deref(), Some("alpha"));
    // Clicks outside the body do nothing.
    assert!(
        update(
            &mut state,
            Msg::Mouse(MouseInput::Click { column: 0, row: 0 })
        )
        .is_empty()
    );
}

#[test]
fn no_cluster_hint_until_synced() {
    let mut state = State::default();
    update(
        &mut state,
        Msg::Connection(Connection::Disconnected {
            since: 5,
            error: "connection refused".into(),
        }),
    );
    assert_eq!(state.notice.as_deref(), Some(NO_CLUSTER_HINT));
    assert!(state.stale.is_some());
    assert_eq!(state.layout().body_top, 3);
    update(&mut state, Msg::Connection(Connection::Connected));
    assert_eq!(state.notice, None);
    assert!(state.stale.is_none());
}

#[test]
fn ticks_redraw_only_when_ages_change() {
    let mut state = loaded();
    update(&mut state, Msg::Synced);
    // Rows created at 100 seen at 230: "2m", next label in 50 s.
    update(&mut state, Msg::Tick(230));
    assert!(state.take_dirty());
    assert_eq!(state.next_time_change(), Some(50));
    update(&mut state, Msg::Tick(230));
    assert!(!state.take_dirty());
    update(&mut state, key("1"));
    assert_eq!(state.next_time_change(), None, "services show no ages");
}

#[test]
fn diagnosis_follows_the_detail_and_the_operator() {
    use crate::state::rows::OperatorHealth;
    let mut state = loaded();
    update(&mut state, key("Enter"));
    let mut data = detail_of("1", 3);
    data.health = Health::Deleting;
    update(&mut state, Msg::DetailUpdated(data));
    let findings = |s: &State| {
        s.detail
            .as_ref()
            .map(|d| d.findings.clone())
            .unwrap_or_default()
    };
    assert_eq!(findings(&state).len(), 1);
    assert!(findings(&state)[0].title.contains("being deleted"));

    // The operator goes down: the same deletion is now stuck (OSC FAQ 1).
    let mut kafka = service("kafka");
    kafka.operator = OperatorHealth::NotAvailable {
        reason: "ImagePullBackOff".into(),
    };
    state.take_dirty();
    update(
        &mut state,
        Msg::ServicesChanged(vec![kafka, service("redis")]),
    );
    assert!(findings(&state)[0].title.starts_with("deletion is stuck"));
    assert!(state.take_dirty(), "the diagnosis changed on screen");
}

#[test]
fn rows_of_another_namespace_are_dropped_after_a_switch() {
    let mut state = loaded();
    update(&mut state, key(":"));
    typed(&mut state, "ns prod");
    update(&mut state, key("Enter"));
    // The old all-namespaces watch still had this in flight.
    update(&mut state, Msg::InstancesRelisted(rows()));
    let names: Vec<String> = state
        .instances
        .rows()
        .iter()
        .map(|r| r.name.clone())
        .collect();
    assert_eq!(names, vec!["alpha".to_owned()]);
    update(
        &mut state,
        Msg::InstancesUpserted(vec![row("9", "zulu", "dev", "kafka", Health::Healthy)]),
    );
    assert_eq!(state.instances.len(), 1);
}
