//! The service diagnosis view (findings about the service selected in the
//! services view), and following a finding from it or from the Diagnosis
//! tab of an instance's detail: Enter goes where the finding points.

use super::{Command, View};
use crate::action::Action;
use crate::keymap::Mode;
use crate::state::State;
use crate::state::detail::DetailTab;
use crate::state::diagnosis::{Finding, LookAt, ServiceFindings, diagnose_service, keep_visible};
use crate::state::logs::{LogScope, LogTarget};
use crate::state::rows::InstanceRow;

/// The findings about `service` from the stores (cheap: a pass over the
/// instances).
fn compute(state: &State, service: &str) -> Option<Vec<Finding>> {
    let row = state.services.get(service)?;
    let instances: Vec<&InstanceRow> = state
        .instances
        .iter()
        .filter(|r| r.service == service)
        .collect();
    Some(diagnose_service(row, &instances))
}

/// Opens the diagnosis of the service selected in the services view.
pub(super) fn open(state: &mut State) -> Vec<Command> {
    let Some(service) = state.selected_service.clone() else {
        return Vec::new();
    };
    let Some(findings) = compute(state, &service) else {
        return Vec::new();
    };
    state.findings = Some(ServiceFindings {
        service,
        findings,
        scroll: 0,
        cursor: 0,
    });
    state.view = View::ServiceDiagnosis;
    state.notice = None;
    super::set_mode(state, Mode::Findings);
    state.dirty = true;
    Vec::new()
}

/// Recomputes the open view's findings after services or instances changed.
pub(super) fn refresh(state: &mut State) {
    let Some(open) = &state.findings else {
        return;
    };
    // A service that disappeared keeps its last findings on screen.
    let Some(fresh) = compute(state, &open.service) else {
        return;
    };
    let height = state.viewport_height();
    if let Some(open) = &mut state.findings
        && open.findings != fresh
    {
        open.findings = fresh;
        open.cursor = open.cursor.min(open.findings.len().saturating_sub(1));
        open.scroll = keep_visible(open.cursor, open.scroll, height);
        state.dirty |= state.view == View::ServiceDiagnosis;
    }
}

/// Back to the services view.
pub(super) fn close(state: &mut State) -> Vec<Command> {
    if let Some(open) = state.findings.take() {
        state.selected_service = Some(open.service);
    }
    if state.view == View::ServiceDiagnosis {
        state.view = View::Services;
        super::set_mode(state, Mode::Normal);
    }
    state.dirty = true;
    Vec::new()
}

/// The cursor after a movement key over `len` findings, or None if the
/// action is not a movement.
fn moved(cursor: usize, len: usize, action: Action, height: usize) -> Option<usize> {
    let last = len.saturating_sub(1);
    let page = (height / 2).max(1);
    Some(match action {
        Action::MoveDown => cursor.saturating_add(1).min(last),
        Action::MoveUp => cursor.saturating_sub(1),
        Action::PageDown => cursor.saturating_add(page).min(last),
        Action::PageUp => cursor.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return None,
    })
}

/// A key in [`crate::keymap::Mode::Findings`].
pub(super) fn on_key(state: &mut State, action: Option<Action>) -> Vec<Command> {
    let Some(action) = action else {
        return Vec::new();
    };
    let height = state.viewport_height();
    let Some(open) = &mut state.findings else {
        return close(state);
    };
    if let Some(cursor) = moved(open.cursor, open.findings.len(), action, height) {
        if cursor != open.cursor {
            open.cursor = cursor;
            open.scroll = keep_visible(cursor, open.scroll, height);
            state.dirty = true;
        }
        return Vec::new();
    }
    match action {
        Action::Open => {
            let service = open.service.clone();
            let Some(look_at) = open.findings.get(open.cursor).map(|f| f.look_at.clone()) else {
                return Vec::new();
            };
            follow_from_service(state, &service, look_at)
        }
        Action::Back => close(state),
        Action::StartCommand | Action::Help | Action::Quit => super::on_action(state, action),
        _ => Vec::new(),
    }
}

/// Enter on a finding of the service diagnosis.
fn follow_from_service(state: &mut State, service: &str, look_at: LookAt) -> Vec<Command> {
    match look_at {
        LookAt::Instance { uid, .. } => {
            let mut commands = close(state);
            commands.extend(super::switch_view(
                state,
                View::Instances,
                Some(Some(service.to_owned())),
            ));
            if !select_instance(state, &uid) {
                return commands;
            }
            commands.extend(super::open_detail(state));
            if let Some(detail) = &mut state.detail {
                detail.tab = DetailTab::Diagnosis;
            }
            commands
        }
        LookAt::Instances => {
            let mut commands = close(state);
            commands.extend(super::switch_view(
                state,
                View::Instances,
                Some(Some(service.to_owned())),
            ));
            commands
        }
        // The operator, the CSD and the CRD are the service's own row.
        LookAt::Services | LookAt::Tab(_) | LookAt::Logs { .. } => close(state),
    }
}

/// Moves the instance table's selection to `uid`; false if it is not listed.
fn select_instance(state: &mut State, uid: &str) -> bool {
    let Some(at) = state
        .table
        .rows(&state.instances)
        .position(|r| r.uid == uid)
    else {
        return false;
    };
    let delta = at as isize - state.table.cursor() as isize;
    state.table.move_by(delta, &state.instances);
    state.table.selected_uid() == Some(uid)
}

/// A key on the Diagnosis tab of the detail: movement keys move the
/// selected finding, Enter follows it. None for the keys the detail
/// handles as on any tab.
pub(super) fn on_detail_diagnosis(state: &mut State, action: Action) -> Option<Vec<Command>> {
    let height = state.viewport_height();
    let detail = state.detail.as_mut()?;
    if let Some(cursor) = moved(detail.finding_cursor, detail.findings.len(), action, height) {
        if cursor != detail.finding_cursor {
            detail.finding_cursor = cursor;
            detail.scroll = detail.scroll_to_finding(height);
            state.dirty = true;
        }
        return Some(Vec::new());
    }
    if action != Action::Open {
        return None;
    }
    let look_at = detail
        .findings
        .get(detail.finding_cursor)
        .map(|f| f.look_at.clone())?;
    Some(follow_from_detail(state, look_at))
}

/// Enter on a finding of an instance's Diagnosis tab.
fn follow_from_detail(state: &mut State, look_at: LookAt) -> Vec<Command> {
    let Some(detail) = &mut state.detail else {
        return Vec::new();
    };
    match look_at {
        LookAt::Tab(tab) => {
            if detail.tabs().contains(&tab) {
                detail.tab = tab;
                detail.scroll = 0;
                state.dirty = true;
            }
            Vec::new()
        }
        LookAt::Logs { pod } => {
            let target = detail.target.clone();
            let container = pod.as_ref().and_then(|pod| {
                detail
                    .data
                    .as_ref()?
                    .resources
                    .iter()
                    .find(|n| n.kind == "Pod" && &n.name == pod)?
                    .pod
                    .as_ref()?
                    .container
                    .clone()
            });
            match (pod, container) {
                (Some(pod), Some(container)) => super::logs::open_at(
                    state,
                    target,
                    LogScope::One(LogTarget {
                        pod,
                        container,
                        file: None,
                    }),
                ),
                _ => super::logs::open(state, target),
            }
        }
        LookAt::Services | LookAt::Instances | LookAt::Instance { .. } => {
            let service = detail.target.service.clone();
            let mut commands = super::leave_detail(state);
            commands.extend(super::switch_view(state, View::Services, None));
            let cursor = state.service_cursor();
            state.selected_service = Some(service);
            state.fix_service_selection(cursor);
            state.dirty = true;
            commands
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Msg;
    use crate::keymap::{KeyPress, Keymap};
    use crate::state::detail::{InstanceDetail, InstanceRef, PodFacts, ResourceNode};
    use crate::state::rows::tests::{row, service};
    use crate::state::rows::{Health, OperatorHealth, ServiceKind};
    use crate::update::update;

    fn key(state: &mut State, text: &str) -> Vec<Command> {
        let Ok(key) = KeyPress::parse(text) else {
            panic!("bad key {text}")
        };
        update(state, Msg::Key(key))
    }

    /// Kafka (operator down) with a healthy and a failed instance, on the
    /// instances view.
    fn loaded() -> State {
        let mut state = State::new(Keymap::default());
        let mut kafka = service("kafka");
        kafka.kind = ServiceKind::Operator;
        kafka.operator = OperatorHealth::NotAvailable {
            reason: "ImagePullBackOff".into(),
        };
        update(
            &mut state,
            Msg::ServicesChanged(vec![kafka, service("redis")]),
        );
        update(
            &mut state,
            Msg::InstancesRelisted(vec![
                row("1", "alpha", "prod", "kafka", Health::Healthy),
                row("2", "bravo", "dev", "kafka", Health::Failed),
            ]),
        );
        state
    }

    fn crash_looping(uid: &str, container: Option<&str>) -> Box<InstanceDetail> {
        Box::new(InstanceDetail {
            target: InstanceRef {
                uid: uid.into(),
                name: "bravo".into(),
                namespace: "dev".into(),
                service: "kafka".into(),
                kind: ServiceKind::Operator,
            },
            health: Health::Failed,
            overview: Vec::new(),
            conditions: Vec::new(),
            spec_masked: String::new(),
            spec_revealed: String::new(),
            resources: vec![ResourceNode {
                depth: 0,
                kind: "Pod".into(),
                name: "bravo-0".into(),
                health: Health::Failed,
                status: "Running, not ready, 5 restarts".into(),
                reason: Some("CrashLoopBackOff: back-off".into()),
                pod: Some(PodFacts {
                    container: container.map(Into::into),
                    restarts: 5,
                    ..PodFacts::default()
                }),
            }],
            events: Vec::new(),
            dependencies: Vec::new(),
            helm: None,
            problems: Vec::new(),
            generation: None,
            observed_generation: None,
        })
    }

    #[test]
    fn service_diagnosis_opens_follows_and_closes() {
        let mut state = loaded();
        key(&mut state, "d");
        assert_eq!(state.view, View::ServiceDiagnosis);
        assert_eq!(state.mode, Mode::Findings);
        let titles = |s: &State| -> Vec<String> {
            s.findings
                .as_ref()
                .map(|f| f.findings.iter().map(|x| x.title.clone()).collect())
                .unwrap_or_default()
        };
        assert_eq!(
            titles(&state),
            [
                "the service's operator is not running: changes are not reconciled",
                "dev/bravo is failed",
                "2 instances in view",
            ]
        );
        // Instances change: the open view follows.
        update(
            &mut state,
            Msg::InstancesUpserted(vec![row("1", "alpha", "prod", "kafka", Health::Degraded)]),
        );
        assert_eq!(titles(&state)[2], "prod/alpha is degraded");
        // Esc: back on the services view, on the same service.
        key(&mut state, "Esc");
        assert_eq!(state.view, View::Services);
        assert_eq!(state.mode, Mode::Normal);
        assert!(state.findings.is_none());
        assert_eq!(state.selected_service.as_deref(), Some("kafka"));

        // Enter on the failed instance: its detail, on the Diagnosis tab.
        key(&mut state, "d");
        key(&mut state, "j");
        let commands = key(&mut state, "Enter");
        assert_eq!(state.view, View::Detail);
        assert_eq!(state.table.scope_service(), Some("kafka"));
        let Some(Command::WatchDetail(target)) = commands.first() else {
            panic!("expected WatchDetail, got {commands:?}");
        };
        assert_eq!(target.uid, "2");
        assert_eq!(
            state.detail.as_ref().map(|d| d.tab),
            Some(DetailTab::Diagnosis)
        );
    }

    #[test]
    fn detail_findings_are_selected_and_followed() {
        let mut state = loaded();
        key(&mut state, "2");
        key(&mut state, "j");
        key(&mut state, "d");
        update(
            &mut state,
            Msg::DetailUpdated(crash_looping("2", Some("kafka"))),
        );
        let findings = state.detail.as_ref().map_or(0, |d| d.findings.len());
        assert_eq!(findings, 2, "operator down, crash loop");
        // j moves the selection, not the scroll, and stops at the last.
        key(&mut state, "j");
        key(&mut state, "j");
        assert_eq!(state.detail.as_ref().map(|d| d.finding_cursor), Some(1));
        // Enter on the crash loop: that pod's logs, first container.
        let commands = key(&mut state, "Enter");
        let Some(Command::StreamLogs(request)) = commands.first() else {
            panic!("expected StreamLogs, got {commands:?}");
        };
        assert_eq!(request.instance.uid, "2");
        assert_eq!(
            request.scope,
            LogScope::One(LogTarget {
                pod: "bravo-0".into(),
                container: "kafka".into(),
                file: None,
            })
        );
    }

    #[test]
    fn the_operator_finding_leads_to_the_services_view() {
        let mut state = loaded();
        key(&mut state, "2");
        key(&mut state, "j");
        key(&mut state, "d");
        update(&mut state, Msg::DetailUpdated(crash_looping("2", None)));
        assert_eq!(state.detail.as_ref().map(|d| d.finding_cursor), Some(0));
        let commands = key(&mut state, "Enter");
        assert!(commands.contains(&Command::StopDetail), "{commands:?}");
        assert_eq!(state.view, View::Services);
        assert_eq!(state.mode, Mode::Normal);
        assert_eq!(state.selected_service.as_deref(), Some("kafka"));
    }

    #[test]
    fn the_selected_finding_stays_visible() {
        assert_eq!(keep_visible(0, 0, 10), 0);
        assert_eq!(keep_visible(4, 0, 10), 0);
        // Finding 5 is lines 10 and 11: a body of 10 lines starts at 2.
        assert_eq!(keep_visible(5, 0, 10), 2);
        assert_eq!(keep_visible(1, 6, 10), 2);
        // A body shorter than a finding still shows its first line.
        assert_eq!(keep_visible(3, 0, 1), 6);
    }

    #[test]
    fn movement_stays_within_the_findings() {
        assert_eq!(moved(0, 3, Action::MoveUp, 10), Some(0));
        assert_eq!(moved(2, 3, Action::MoveDown, 10), Some(2));
        assert_eq!(moved(0, 3, Action::Bottom, 10), Some(2));
        assert_eq!(moved(0, 0, Action::Bottom, 10), Some(0));
        assert_eq!(moved(0, 20, Action::PageDown, 10), Some(5));
        assert_eq!(moved(1, 3, Action::Open, 10), None);
    }
}
