//! The operation view: the operations menu, each wizard's steps (form,
//! preview diff, confirmation), the progress of a write and its result.
//!
//! The heading row carries the step indicator; the body is a list of
//! styled lines per step (the form and the editor draw themselves below
//! the lines that introduce them). Long bodies (diffs, progress) scroll by
//! `wizard.scroll`, clamped here to what there is.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::format;
use super::widgets::{self, Piece};
use crate::action::Action;
use crate::domain::ops::DiffLine;
use crate::domain::text::sanitize;
use crate::state::checks::{CheckState, Progress};
use crate::state::detail::InstanceDetail;
use crate::state::ops::{OpKind, Permission, WritePlan};
use crate::state::wizard::{Input, Step, Wizard};
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

type Line = Vec<Piece>;

/// Draws the operation view.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    body: Rect,
    layout: &ScreenLayout,
    state: &State,
    theme: &Theme,
) {
    let Some(wizard) = &state.wizard else {
        return;
    };
    if layout.heading_row < layout.bottom_row
        && let Some(rect) = widgets::row(area, layout.heading_row)
        && rect.width > 1
    {
        widgets::put(
            buf,
            rect.x + 1,
            rect.y,
            &step_indicator(wizard, theme),
            rect.width - 1,
        );
    }
    if body.width < 2 || body.height == 0 {
        return;
    }
    let inner = Rect {
        x: body.x + 1,
        width: body.width - 1,
        ..body
    };
    let width = usize::from(inner.width);
    let (fixed, scrolled) = lines(wizard, state, width, theme);
    // The form and the editor take the rows under their introduction.
    let component = wizard.step == Step::Choose
        && matches!(
            wizard.input,
            Input::Form(_)
                | Input::Editor(_)
                | Input::HelmChart {
                    editor: Some(_),
                    ..
                }
        );
    let mut y = inner.y;
    for line in &fixed {
        if y >= inner.bottom() {
            return;
        }
        widgets::put(buf, inner.x, y, line, inner.width);
        y += 1;
    }
    if component {
        let rest = Rect {
            y,
            height: inner.bottom().saturating_sub(y),
            ..inner
        };
        if rest.height == 0 {
            return;
        }
        match &wizard.input {
            Input::Form(form) => super::form::draw_form(buf, rest, form, theme),
            Input::Editor(editor) => super::editor::draw_editor(buf, rest, editor, theme),
            Input::HelmChart {
                editor: Some(editor),
                ..
            } => super::editor::draw_editor(buf, rest, editor, theme),
            _ => {}
        }
        return;
    }
    let room = usize::from(inner.bottom().saturating_sub(y));
    let start = scroll_start(wizard, scrolled.len(), room);
    for line in scrolled.iter().skip(start).take(room) {
        widgets::put(buf, inner.x, y, line, inner.width);
        y += 1;
    }
}

/// The first scrolled line shown: the menu and pickers keep their cursor
/// in sight, the other bodies follow `wizard.scroll` within bounds.
fn scroll_start(wizard: &Wizard, len: usize, room: usize) -> usize {
    let max = len.saturating_sub(room);
    let cursor = match (&wizard.step, &wizard.input) {
        (Step::Menu, _) => Some(wizard.cursor),
        (Step::Choose, Input::Versions { cursor, .. })
        | (Step::Choose, Input::HelmChart { cursor, .. })
        | (Step::Choose, Input::Revisions { cursor }) => Some(*cursor),
        _ => None,
    };
    match cursor {
        // Pickers list their entries first in the scrolled part.
        Some(cursor) if room > 0 => cursor.saturating_sub(room - 1).min(max),
        Some(_) => 0,
        None => wizard.scroll.min(max),
    }
}

/// The view's title ("Upgrade team-a/orders").
pub fn title(state: &State) -> String {
    let Some(wizard) = &state.wizard else {
        return "Operation".into();
    };
    let what = match &wizard.kind {
        None => "Operations".to_owned(),
        Some(OpKind::Action(name)) => wizard
            .context
            .as_deref()
            .and_then(|c| c.operations.iter().find(|o| &o.name == name))
            .map_or_else(|| name.clone(), |o| o.display_name.clone()),
        Some(kind) => capitalized(&kind.label()),
    };
    let text = format!("{what} {}/{}", wizard.target.namespace, wizard.target.name);
    sanitize(&text).into_owned()
}

fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// Key hints of the bottom line at the current step.
pub fn hints(state: &State) -> Vec<(Action, &'static str)> {
    let Some(wizard) = &state.wizard else {
        return Vec::new();
    };
    if wizard.editing_yaml() {
        return vec![
            (Action::Submit, "check & preview"),
            (Action::Cancel, "back"),
        ];
    }
    match wizard.step {
        Step::Loading | Step::LoadFailed(_) => vec![(Action::Back, "close")],
        Step::Menu => vec![
            (Action::Submit, "choose"),
            (Action::Back, "close"),
            (Action::Help, "help"),
        ],
        Step::Choose => match wizard.input {
            Input::Form(_) => vec![
                (Action::MoveDown, "next field"),
                (Action::Submit, "check & preview"),
                (Action::Reveal, "reveal"),
                (Action::Back, "back"),
            ],
            _ => vec![
                (Action::Submit, "choose"),
                (Action::Back, "back"),
                (Action::Help, "help"),
            ],
        },
        Step::Checking => vec![(Action::Back, "back")],
        Step::Preview => vec![
            (Action::Submit, "continue"),
            (Action::PageDown, "scroll"),
            (Action::Back, "back to edit"),
        ],
        Step::Confirm => vec![(Action::Submit, "apply"), (Action::Back, "back")],
        // The write goes on in the background; its answer comes as a notice.
        Step::Applying => vec![(Action::Back, "leave (the write goes on)")],
        Step::Progress => vec![(Action::PageDown, "scroll"), (Action::Back, "close")],
        Step::Conflict => vec![(Action::PageDown, "scroll"), (Action::Back, "back to edit")],
    }
}

fn step_indicator(wizard: &Wizard, theme: &Theme) -> Line {
    if matches!(
        wizard.step,
        Step::Loading | Step::LoadFailed(_) | Step::Menu
    ) {
        return vec![("Choose an operation".into(), theme.header)];
    }
    let current = match wizard.step {
        Step::Choose => 0,
        Step::Checking | Step::Preview | Step::Conflict => 1,
        Step::Confirm | Step::Applying => 2,
        _ => 3,
    };
    let mut out = Vec::new();
    for (i, name) in ["Choose", "Preview", "Confirm", "Progress"]
        .iter()
        .enumerate()
    {
        if i > 0 {
            out.push((" · ".into(), theme.muted));
        }
        let style = if i == current {
            theme.tab_active
        } else {
            theme.tab_inactive
        };
        out.push((format!("{} {name}", i + 1), style));
    }
    out
}

/// The body of the step: lines that stay (introductions, errors) and
/// lines that scroll.
fn lines(wizard: &Wizard, state: &State, width: usize, theme: &Theme) -> (Vec<Line>, Vec<Line>) {
    let mut fixed: Vec<Line> = Vec::new();
    let mut scrolled: Vec<Line> = Vec::new();
    if let Some(error) = &wizard.error {
        for l in wrap(error, width.saturating_sub(2)) {
            fixed.push(vec![("✗ ".into(), theme.error), (l, theme.error)]);
        }
    }
    let who = format!(
        "{}/{}",
        sanitize(&wizard.target.namespace),
        sanitize(&wizard.target.name)
    );
    match &wizard.step {
        Step::Loading => fixed.push(vec![(format!("reading {who}…"), theme.muted)]),
        Step::LoadFailed(why) => {
            fixed.push(vec![(
                format!("could not read {who}: {}", sanitize(why)),
                theme.error,
            )]);
        }
        Step::Menu => menu_lines(wizard, width, theme, &mut fixed, &mut scrolled),
        Step::Choose => choose_lines(wizard, width, theme, &mut fixed, &mut scrolled),
        Step::Checking => {
            summary_line(wizard, theme, &mut fixed);
            fixed.push(vec![(
                "checking with the server (dry run)…".into(),
                theme.muted,
            )]);
        }
        Step::Preview => {
            summary_line(wizard, theme, &mut fixed);
            if let Some(preview) = &wizard.preview {
                fixed.push(vec![
                    ("Dry run passed: ".into(), theme.healthy),
                    (sanitize(&preview.summary).into_owned(), theme.base),
                ]);
                if let Some(n) = preview.manifest_lines {
                    fixed.push(vec![(format!("rendered manifest: {n} lines"), theme.muted)]);
                }
                for warning in &preview.warnings {
                    fixed.push(vec![
                        ("! ".into(), theme.degraded),
                        (sanitize(warning).into_owned(), theme.degraded),
                    ]);
                }
                diff_lines(&preview.lines, theme, &mut scrolled);
            }
        }
        Step::Confirm => confirm_lines(wizard, width, theme, &mut fixed),
        Step::Applying => {
            summary_line(wizard, theme, &mut fixed);
            fixed.push(vec![("applying…".into(), theme.muted)]);
        }
        Step::Progress => progress_lines(wizard, state, theme, &mut fixed, &mut scrolled),
        Step::Conflict => {
            fixed.push(vec![(
                "Conflict: the object changed since the wizard read it.".into(),
                theme.degraded,
            )]);
            fixed.push(vec![
                ("r".into(), theme.key_hint),
                (" re-apply your change on top of it  ".into(), theme.muted),
                ("Esc".into(), theme.key_hint),
                (" back to editing".into(), theme.muted),
            ]);
            fixed.push(vec![("What changed meanwhile:".into(), theme.header)]);
            if let Some(current) = &wizard.conflict {
                let descriptors = wizard
                    .context
                    .as_deref()
                    .and_then(|c| c.csd.as_ref())
                    .map_or(&[][..], |c| &c.spec.descriptors.spec_descriptors[..]);
                let diff = crate::domain::ops::diff(
                    &crate::update::ops::masked(&wizard.base, descriptors),
                    &crate::update::ops::masked(current, descriptors),
                );
                diff_lines(&diff, theme, &mut scrolled);
            }
        }
    }
    (fixed, scrolled)
}

fn summary_line(wizard: &Wizard, theme: &Theme, out: &mut Vec<Line>) {
    if let Some(write) = &wizard.write {
        out.push(vec![
            ("Change: ".into(), theme.header),
            (sanitize(&write.summary).into_owned(), theme.accent),
        ]);
    }
}

fn menu_lines(
    wizard: &Wizard,
    width: usize,
    theme: &Theme,
    fixed: &mut Vec<Line>,
    scrolled: &mut Vec<Line>,
) {
    if let Some(context) = wizard.context.as_deref() {
        for problem in &context.problems {
            fixed.push(vec![(format!("! {}", sanitize(problem)), theme.degraded)]);
        }
    }
    let label_width = wizard
        .menu
        .iter()
        .map(|e| format::width(&e.label))
        .max()
        .unwrap_or(0)
        .min(width / 2);
    for (i, entry) in wizard.menu.iter().enumerate() {
        let selected = i == wizard.cursor;
        let marker = if selected { "› " } else { "  " };
        let label = format::fit(&entry.label, label_width);
        let line = match &entry.permission {
            Permission::Denied(why) => vec![
                (marker.into(), theme.muted),
                (label, theme.muted),
                (format!("  denied: {}", sanitize(why)), theme.muted),
            ],
            Permission::Unknown(why) => vec![
                (marker.into(), theme.base),
                (label, if selected { theme.selected } else { theme.base }),
                (format!("  (unchecked: {})", sanitize(why)), theme.muted),
            ],
            Permission::Allowed => vec![
                (marker.into(), theme.base),
                (label, if selected { theme.selected } else { theme.base }),
            ],
        };
        scrolled.push(line);
    }
}

fn choose_lines(
    wizard: &Wizard,
    width: usize,
    theme: &Theme,
    fixed: &mut Vec<Line>,
    scrolled: &mut Vec<Line>,
) {
    let context = wizard.context.as_deref();
    match &wizard.input {
        Input::Versions {
            choices,
            cursor,
            current,
            checks,
        } => {
            fixed.push(vec![
                ("Running: ".into(), theme.header),
                (sanitize(current).into_owned(), theme.base),
            ]);
            let description = context
                .and_then(|c| c.csd.as_ref())
                .and_then(|c| c.spec.version_definition.as_ref())
                .and_then(|d| d.description.as_deref());
            if let Some(text) = description {
                warning_box(text, width, theme, fixed);
            }
            let chosen = choices.get(*cursor).map(|c| c.version.clone());
            if let Some(chosen) = &chosen {
                fixed.push(vec![(
                    format!("Preflight for {}:", sanitize(chosen)),
                    theme.header,
                )]);
                for check in checks {
                    let (mark, style, why) = match &check.state {
                        CheckState::Pass => ("✓", theme.healthy, None),
                        CheckState::Warn(w) => ("!", theme.degraded, Some(w)),
                        CheckState::Fail(w) => ("✗", theme.failed, Some(w)),
                    };
                    let mut line = vec![
                        (format!("  {mark} "), style),
                        (sanitize(&check.label).into_owned(), theme.base),
                    ];
                    if let Some(why) = why {
                        line.push((format!(": {}", sanitize(why)), style));
                    }
                    fixed.push(line);
                }
                if crate::state::checks::blocked(checks) {
                    fixed.push(vec![(
                        "  blocked: the upgrade cannot start until the failing check passes".into(),
                        theme.failed,
                    )]);
                }
            }
            fixed.push(vec![("Version:".into(), theme.header)]);
            for (i, choice) in choices.iter().enumerate() {
                let selected = i == *cursor;
                let mut line = vec![
                    (if selected { "› " } else { "  " }.into(), theme.base),
                    (
                        sanitize(&choice.version).into_owned(),
                        if selected { theme.selected } else { theme.base },
                    ),
                ];
                if choice.current {
                    line.push(("  current".into(), theme.muted));
                } else if choice.direction == crate::domain::version::Direction::Downgrade {
                    line.push(("  downgrade".into(), theme.degraded));
                }
                scrolled.push(line);
            }
        }
        Input::Form(_) => {
            fixed.push(vec![(
                "Fill in the fields; Enter checks them and asks the server for a preview.".into(),
                theme.muted,
            )]);
        }
        Input::Editor(_) => {
            fixed.push(vec![(
                "Edit the object (passwords left as ••• are kept); ctrl+s: check & preview.".into(),
                theme.muted,
            )]);
        }
        Input::HelmChart { cursor, editor } => {
            let helm = context.and_then(|c| c.helm.as_ref());
            match (editor, helm) {
                (Some(_), Some(helm)) => {
                    let version = helm.available.get(*cursor).map_or("?", |(v, _)| v.as_str());
                    fixed.push(vec![(
                        format!(
                            "Values for chart {} {} (ctrl+s: preview):",
                            sanitize(&helm.chart),
                            sanitize(version)
                        ),
                        theme.header,
                    )]);
                }
                (None, Some(helm)) => {
                    fixed.push(vec![(
                        format!("Chart {} version:", sanitize(&helm.chart)),
                        theme.header,
                    )]);
                    if helm.available.is_empty() {
                        fixed.push(vec![(
                            "no chart versions are configured (setting helmCharts)".into(),
                            theme.muted,
                        )]);
                    }
                    for (i, (version, _)) in helm.available.iter().enumerate() {
                        let selected = i == *cursor;
                        let mut line = vec![
                            (if selected { "› " } else { "  " }.into(), theme.base),
                            (
                                sanitize(version).into_owned(),
                                if selected { theme.selected } else { theme.base },
                            ),
                        ];
                        if *version == helm.chart_version {
                            line.push(("  current".into(), theme.muted));
                        }
                        scrolled.push(line);
                    }
                }
                _ => {}
            }
        }
        Input::Revisions { cursor } => {
            if let Some(helm) = context.and_then(|c| c.helm.as_ref()) {
                fixed.push(vec![(
                    format!("Roll back from revision {} to:", helm.revision),
                    theme.header,
                )]);
                for (i, (revision, version, status, description)) in
                    crate::update::ops::rollback_revisions(helm).enumerate()
                {
                    let selected = i == *cursor;
                    scrolled.push(vec![
                        (if selected { "› " } else { "  " }.into(), theme.base),
                        (
                            format!("revision {revision}"),
                            if selected { theme.selected } else { theme.base },
                        ),
                        (
                            format!(
                                "  {}  {}  {}",
                                sanitize(version),
                                sanitize(status),
                                sanitize(description)
                            ),
                            theme.muted,
                        ),
                    ]);
                }
            }
        }
        Input::None => {}
    }
}

fn warning_box(text: &str, width: usize, theme: &Theme, out: &mut Vec<Line>) {
    let inner = width.saturating_sub(4).max(1);
    let bar = "─".repeat(width.saturating_sub(11));
    out.push(vec![(format!("┌ Warning {bar}"), theme.degraded)]);
    for l in text.lines().flat_map(|l| wrap(l, inner)) {
        out.push(vec![("│ ".into(), theme.degraded), (l, theme.base)]);
    }
    out.push(vec![(
        format!("└{}", "─".repeat(bar.chars().count() + 9)),
        theme.degraded,
    )]);
}

fn diff_lines(diff: &[DiffLine], theme: &Theme, out: &mut Vec<Line>) {
    for line in diff {
        out.push(match line {
            DiffLine::Same(t) => vec![(format!("  {}", sanitize(t)), theme.base)],
            DiffLine::Added(t) => vec![(format!("+ {}", sanitize(t)), theme.healthy)],
            DiffLine::Removed(t) => vec![(format!("- {}", sanitize(t)), theme.failed)],
            DiffLine::Skipped(n) => vec![(format!("  ⋯ {n} unchanged lines"), theme.muted)],
        });
    }
}

fn confirm_lines(wizard: &Wizard, width: usize, theme: &Theme, out: &mut Vec<Line>) {
    summary_line(wizard, theme, out);
    if let Some(preview) = &wizard.preview {
        out.push(vec![
            ("Diff: ".into(), theme.header),
            (sanitize(&preview.summary).into_owned(), theme.base),
        ]);
    }
    let kind = wizard.kind.clone();
    if kind == Some(OpKind::RemoveFinalizers) {
        let finalizers = match wizard.write.as_ref().map(|w| &w.plan) {
            Some(WritePlan::MergePatch { .. }) => wizard.base["metadata"]["finalizers"]
                .as_array()
                .map(|f| {
                    f.iter()
                        .filter_map(|v| v.as_str())
                        .map(|s| sanitize(s).into_owned())
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            _ => String::new(),
        };
        let text = format!(
            "Removing the finalizers ({finalizers}) lets Kubernetes delete the object now: \
             the operator's clean-up will not run: PVCs, Secrets, Services and other \
             resources it made may be left behind and must be removed by hand."
        );
        warning_box(&text, width, theme, out);
    } else if kind == Some(OpKind::Delete) {
        warning_box(
            "Deleting the instance lets its operator remove what it made; data on its \
             volumes may be lost.",
            width,
            theme,
            out,
        );
    }
    if kind.as_ref().is_some_and(OpKind::destructive) {
        out.push(vec![(
            format!(
                "Type the instance's name ({}) and press Enter to confirm:",
                sanitize(&wizard.target.name)
            ),
            theme.header,
        )]);
        out.push(vec![
            ("> ".into(), theme.accent),
            (sanitize(&wizard.typed).into_owned(), theme.base),
            ("▏".into(), theme.accent),
        ]);
    } else {
        out.push(vec![
            ("Apply this change?  ".into(), theme.header),
            ("Enter".into(), theme.key_hint),
            (" or ".into(), theme.muted),
            ("y".into(), theme.key_hint),
            (" to apply, ".into(), theme.muted),
            ("Esc".into(), theme.key_hint),
            (" to go back".into(), theme.muted),
        ]);
    }
}

fn progress_lines(
    wizard: &Wizard,
    state: &State,
    theme: &Theme,
    fixed: &mut Vec<Line>,
    scrolled: &mut Vec<Line>,
) {
    summary_line(wizard, theme, fixed);
    match &wizard.progress {
        Some(Progress::Running(what)) => fixed.push(vec![
            ("Progress: ".into(), theme.header),
            (format!("running: {}", sanitize(what)), theme.progressing),
        ]),
        Some(Progress::Succeeded(what)) => fixed.push(vec![
            ("Result: ".into(), theme.header),
            (format!("succeeded: {}", sanitize(what)), theme.healthy),
        ]),
        Some(Progress::Failed(why)) => fixed.push(vec![
            ("Result: ".into(), theme.header),
            (format!("failed: {}", sanitize(why)), theme.failed),
        ]),
        None => {}
    }
    if let Some(version) = crate::update::ops::rollback_offered(wizard) {
        fixed.push(vec![
            ("r".into(), theme.key_hint),
            (
                format!(
                    " roll back to {} (previewed and confirmed first)",
                    sanitize(version)
                ),
                theme.base,
            ),
        ]);
    }
    if let Some(name) = &wizard.operation {
        fixed.push(vec![
            ("Operation: ".into(), theme.header),
            (sanitize(name).into_owned(), theme.base),
        ]);
    }
    for note in &wizard.notes {
        let style = if note.starts_with("warning") {
            theme.degraded
        } else {
            theme.muted
        };
        fixed.push(vec![(note.clone(), style)]);
    }
    let data = state
        .detail
        .as_ref()
        .filter(|d| d.target.uid == wizard.target.uid)
        .and_then(|d| d.data.as_deref());
    if let Some(data) = data {
        detail_lines(data, state.now, theme, scrolled);
    }
}

/// Pods (the resources tree), conditions and the latest events.
fn detail_lines(data: &InstanceDetail, now: i64, theme: &Theme, out: &mut Vec<Line>) {
    if !data.resources.is_empty() {
        out.push(vec![("Resources".into(), theme.header)]);
        for node in &data.resources {
            let mut line = vec![
                ("  ".repeat(usize::from(node.depth) + 1), theme.base),
                (
                    format!("{} ", node.health.symbol()),
                    theme.health(node.health),
                ),
                (
                    format!("{}/{}", sanitize(&node.kind), sanitize(&node.name)),
                    theme.base,
                ),
                (
                    format!("  {}", sanitize(&node.status)),
                    theme.health(node.health),
                ),
            ];
            if let Some(reason) = &node.reason {
                line.push((format!("  {}", sanitize(reason)), theme.muted));
            }
            out.push(line);
        }
    }
    if !data.conditions.is_empty() {
        out.push(vec![("Conditions".into(), theme.header)]);
        for c in &data.conditions {
            let style = if c.good {
                theme.healthy
            } else {
                theme.degraded
            };
            out.push(vec![
                (
                    format!("  {}={}", sanitize(&c.type_), sanitize(&c.status)),
                    style,
                ),
                (
                    format!("  {} {}", sanitize(&c.reason), sanitize(&c.message)),
                    theme.muted,
                ),
            ]);
        }
    }
    if !data.events.is_empty() {
        out.push(vec![("Latest events".into(), theme.header)]);
        let mut events: Vec<_> = data.events.iter().collect();
        events.sort_by_key(|e| std::cmp::Reverse(e.time));
        for e in events.into_iter().take(5) {
            let style = if e.warning {
                theme.warning_event
            } else {
                theme.base
            };
            out.push(vec![
                (
                    format!("  {:>4} ", format::age_since(now, e.time)),
                    theme.muted,
                ),
                (sanitize(&e.reason).into_owned(), style),
                (format!("  {}", sanitize(&e.message)), theme.base),
            ]);
        }
    }
}

/// Words wrapped to `width` cells (long words cut by the drawing).
fn wrap(text: &str, width: usize) -> Vec<String> {
    let text = sanitize(text);
    let width = width.max(1);
    let mut out = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && format::width(&line) + 1 + format::width(word) > width {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || out.is_empty() {
        out.push(line);
    }
    out
}
