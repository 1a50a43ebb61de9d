//! The detail view of one instance: a row of tabs, then the tab's body
//! scrolled by `detail.scroll`. Body line `i` is the `i`-th of the
//! [`DetailState::body_lines`] lines the state counts, drawn at body row
//! `i - scroll`; only the lines on screen are built.

use std::borrow::Cow;
use std::ops::Range;

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::format;
use super::widgets::{self, Piece};
use crate::domain::text::{sanitize, sanitize_with};
use crate::state::detail::{DetailState, DetailTab, InstanceDetail, ResourceNode};
use crate::state::rows::Health;
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

/// What masked values look like in the spec the cluster layer prepares.
const MASK: &str = "••••••";

/// Draws the tabs row and the visible part of the current tab.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    body: Rect,
    layout: &ScreenLayout,
    state: &State,
    theme: &Theme,
) {
    let Some(detail) = &state.detail else {
        widgets::body_message(buf, body, ("no instance selected".into(), theme.muted));
        return;
    };
    if layout.heading_row < layout.bottom_row {
        draw_tabs(buf, area, layout.heading_row, detail, theme);
    }
    let Some(data) = &detail.data else {
        let line = match &detail.error {
            Some(error) => (format!("could not load: {}", sanitize(error)), theme.error),
            None => (
                format!(
                    "loading {}/{} …",
                    detail.target.namespace, detail.target.name
                ),
                theme.muted,
            ),
        };
        widgets::body_message(buf, body, line);
        return;
    };
    let start = detail.scroll;
    let range = start..start.saturating_add(usize::from(body.height));
    for (i, line) in lines(detail, data, state.now, theme, range)
        .iter()
        .enumerate()
    {
        let y = body.y + u16::try_from(i).unwrap_or(u16::MAX);
        let Some(rect) = widgets::row(body, y) else {
            break;
        };
        widgets::put(buf, rect.x + 1, rect.y, line, rect.width - 1);
    }
}

fn draw_tabs(buf: &mut Buffer, area: Rect, y: u16, detail: &DetailState, theme: &Theme) {
    let Some(rect) = widgets::row(area, y) else {
        return;
    };
    let kind = detail.target.kind;
    let mut tabs: Vec<Piece> = Vec::new();
    for tab in detail.tabs() {
        if !tabs.is_empty() {
            tabs.push((" ".into(), theme.base));
        }
        let style = if *tab == detail.tab {
            theme.tab_active
        } else {
            theme.tab_inactive
        };
        tabs.push((format!(" {} ", tab.title(kind)), style));
    }
    let written = widgets::put(buf, rect.x + 1, rect.y, &tabs, rect.width - 1);

    // Right of the tabs: health, or what went wrong while refreshing.
    let status: Vec<Piece> = match (&detail.error, &detail.data) {
        (Some(error), Some(_)) => vec![(format!("⚠ {}", sanitize(error)), theme.error)],
        (_, Some(data)) => {
            let mut status = health_pieces(data.health, theme);
            if !data.problems.is_empty() {
                let problems = data
                    .problems
                    .iter()
                    .map(|p| sanitize(p))
                    .collect::<Vec<_>>();
                status.push((format!("  ⚠ {}", problems.join("; ")), theme.notice));
            }
            status
        }
        _ => Vec::new(),
    };
    let from = rect.x + 1 + written + 3;
    let room = rect.right().saturating_sub(from + 1);
    let need = u16::try_from(widgets::pieces_width(&status)).unwrap_or(u16::MAX);
    if room >= 4 {
        let x = rect.right().saturating_sub(need.min(room) + 1);
        widgets::put(buf, x, rect.y, &status, room);
    }
}

fn health_pieces(health: Health, theme: &Theme) -> Vec<Piece> {
    let style = theme.health(health);
    vec![(format!("{} {}", health.symbol(), health.label()), style)]
}

/// The lines of the current tab within `range` (line indices as counted
/// by [`DetailState::body_lines`]).
pub fn lines(
    detail: &DetailState,
    data: &InstanceDetail,
    now: i64,
    theme: &Theme,
    range: Range<usize>,
) -> Vec<Vec<Piece>> {
    let take = range.end.saturating_sub(range.start);
    let skip = range.start;
    match detail.tab {
        DetailTab::Overview => overview(data, now, theme)
            .into_iter()
            .skip(skip)
            .take(take)
            .collect(),
        DetailTab::Spec => detail
            .spec_text()
            .map(|text| {
                text.lines()
                    .skip(skip)
                    .take(take)
                    .map(|l| yaml_line(l, theme))
                    .collect()
            })
            .unwrap_or_default(),
        DetailTab::Resources => or_empty(
            resources(&data.resources, skip, take, theme),
            data.resources.is_empty(),
            "no owned resources found",
            &range,
            theme,
        ),
        DetailTab::Events => or_empty(
            events(data, now, skip, take, theme),
            data.events.is_empty(),
            "no events",
            &range,
            theme,
        ),
        DetailTab::Dependencies => or_empty(
            dependencies(data, skip, take, theme),
            data.dependencies.is_empty(),
            "no dependencies declared",
            &range,
            theme,
        ),
        DetailTab::History => {
            let history = data
                .helm
                .as_ref()
                .map(|h| h.history.as_slice())
                .unwrap_or(&[]);
            or_empty(
                history_lines(history, now, skip, take, theme),
                history.is_empty(),
                "no release history",
                &range,
                theme,
            )
        }
        DetailTab::Diagnosis => or_empty(
            diagnosis(detail, skip, take, theme),
            detail.findings.is_empty(),
            "✓ nothing wrong found: pods ready, conditions good, no warning events",
            &range,
            theme,
        ),
        DetailTab::Notes => {
            let notes = data.helm.as_ref().map(|h| h.notes.as_str()).unwrap_or("");
            let lines: Vec<Vec<Piece>> = notes
                .lines()
                .skip(skip)
                .take(take)
                .map(|l| vec![(sanitize_with(l, true).into_owned(), theme.base)])
                .collect();
            or_empty(
                lines,
                notes.lines().next().is_none(),
                "no notes",
                &range,
                theme,
            )
        }
    }
}

/// Two lines a finding: severity and what; then the evidence and where to
/// look, indented.
fn diagnosis(detail: &DetailState, skip: usize, take: usize, theme: &Theme) -> Vec<Vec<Piece>> {
    finding_lines(
        &detail.findings,
        detail.target.kind,
        detail.finding_cursor,
        skip,
        take,
        theme,
    )
}

/// The lines of a list of findings, two a finding (severity and what, then
/// the evidence and where Enter leads); the selected finding's first line is
/// highlighted and marked. Shared with the service diagnosis view.
pub(crate) fn finding_lines(
    findings: &[crate::state::diagnosis::Finding],
    kind: crate::state::rows::ServiceKind,
    cursor: usize,
    skip: usize,
    take: usize,
    theme: &Theme,
) -> Vec<Vec<Piece>> {
    findings
        .iter()
        .enumerate()
        .flat_map(|(i, finding)| {
            let selected = i == cursor;
            let style = if selected {
                theme.selected
            } else {
                theme.health(finding.severity.health())
            };
            let head = vec![
                (
                    format!(
                        "{}{} {:<8} ",
                        if selected { '▶' } else { ' ' },
                        finding.severity.symbol(),
                        finding.severity.label()
                    ),
                    style,
                ),
                (sanitize(&finding.title).into_owned(), style),
            ];
            let evidence = vec![
                ("            ".to_owned(), theme.base),
                (sanitize(&finding.evidence).into_owned(), theme.base),
                (
                    format!("  → {}", sanitize(&finding.look_at.label(kind))),
                    theme.muted,
                ),
            ];
            [head, evidence]
        })
        .skip(skip)
        .take(take)
        .collect()
}

/// A list tab with nothing in it still has one line saying so.
fn or_empty(
    lines: Vec<Vec<Piece>>,
    empty: bool,
    text: &str,
    range: &Range<usize>,
    theme: &Theme,
) -> Vec<Vec<Piece>> {
    if empty && range.start == 0 && range.end > 0 {
        vec![vec![(text.to_owned(), theme.muted)]]
    } else {
        lines
    }
}

/// Fields aligned on their labels, a blank line, "Conditions", and one line
/// per condition. Small, so built whole.
fn overview(data: &InstanceDetail, now: i64, theme: &Theme) -> Vec<Vec<Piece>> {
    let mut out = Vec::with_capacity(data.overview.len() + 2 + data.conditions.len());
    let label_width = data
        .overview
        .iter()
        .map(|f| format::width(&f.label))
        .max()
        .unwrap_or(0);
    for field in &data.overview {
        let label = format::fit(&format!("{}:", sanitize(&field.label)), label_width + 1);
        let value = sanitize(&field.value).into_owned();
        let style = if value == "-" {
            theme.muted
        } else {
            theme.base
        };
        out.push(vec![
            (label, theme.accent),
            (" ".into(), theme.base),
            (value, style),
        ]);
    }
    out.push(Vec::new());
    out.push(vec![("Conditions".into(), theme.header)]);
    if data.conditions.is_empty() {
        out.push(vec![("no conditions reported".into(), theme.muted)]);
        return out;
    }
    let width = |f: &dyn Fn(&crate::state::detail::ConditionRow) -> usize| {
        data.conditions.iter().map(f).max().unwrap_or(0)
    };
    let type_w = width(&|c| format::width(&c.type_));
    let status_w = width(&|c| format::width(&c.status));
    let reason_w = width(&|c| format::width(&c.reason));
    for c in &data.conditions {
        let status_style = if c.good { theme.healthy } else { theme.failed };
        let age = c
            .last_transition
            .map_or_else(|| "-".to_owned(), |t| format::age_since(now, t));
        out.push(vec![
            (format::fit(&sanitize(&c.type_), type_w + 2), theme.base),
            (format::fit(&sanitize(&c.status), status_w), status_style),
            ("  ".into(), theme.base),
            (format::fit(&sanitize(&c.reason), reason_w + 2), theme.base),
            (format::fit(&age, 5), theme.muted),
            (sanitize(&c.message).into_owned(), theme.muted),
        ]);
    }
    out
}

/// One line of YAML, coloured simply: comments, `key:` and values, with
/// masked values in their own style.
pub fn yaml_line(line: &str, theme: &Theme) -> Vec<Piece> {
    let line = sanitize_with(line, true);
    let trimmed = line.trim_start();
    let indent = &line[..line.len() - trimmed.len()];
    let mut out: Vec<Piece> = vec![(indent.to_owned(), theme.base)];
    if trimmed.starts_with('#') {
        out.push((trimmed.to_owned(), theme.yaml_comment));
        out.retain(|(text, _)| !text.is_empty());
        return out;
    }
    let mut rest = trimmed;
    while let Some(after) = rest.strip_prefix("- ") {
        out.push(("- ".into(), theme.muted));
        rest = after;
    }
    let quoted_or_flow = rest.starts_with(['"', '\'', '{', '[']);
    let key_end = if quoted_or_flow {
        None
    } else {
        rest.find(": ")
            .or_else(|| rest.ends_with(':').then(|| rest.len() - 1))
    };
    if let Some(end) = key_end {
        out.push((rest[..end].to_owned(), theme.yaml_key));
        out.push((":".into(), theme.muted));
        rest = &rest[end + 1..];
    }
    // A comment after a value starts at " #".
    let (value, comment) = match rest.find(" #") {
        Some(at) => (&rest[..at], &rest[at..]),
        None => (rest, ""),
    };
    let mut value = value;
    while let Some(at) = value.find(MASK) {
        if at > 0 {
            out.push((value[..at].to_owned(), theme.yaml_value));
        }
        out.push((MASK.into(), theme.masked));
        value = &value[at + MASK.len()..];
    }
    if !value.is_empty() {
        out.push((value.to_owned(), theme.yaml_value));
    }
    if !comment.is_empty() {
        out.push((comment.to_owned(), theme.yaml_comment));
    }
    out.retain(|(text, _)| !text.is_empty());
    out
}

/// Tree guides for node `i`: `│  ` for each ancestor level that has more
/// siblings below, then `├─ ` or `└─ `.
fn tree_prefix(nodes: &[ResourceNode], i: usize) -> String {
    let depth = nodes[i].depth;
    // Whether a later node sits at `level` before the tree climbs above it.
    let continues = |level: u16| {
        nodes[i + 1..]
            .iter()
            .take_while(|n| n.depth >= level)
            .any(|n| n.depth == level)
    };
    let mut prefix = String::with_capacity(usize::from(depth) * 3 + 3);
    for level in 0..depth {
        prefix.push_str(if continues(level) { "│  " } else { "   " });
    }
    prefix.push_str(if continues(depth) {
        "├─ "
    } else {
        "└─ "
    });
    prefix
}

fn resources(nodes: &[ResourceNode], skip: usize, take: usize, theme: &Theme) -> Vec<Vec<Piece>> {
    let end = nodes.len().min(skip.saturating_add(take));
    let shown = skip.min(end)..end;
    let names: Vec<String> = shown
        .clone()
        .map(|i| {
            let n = &nodes[i];
            format!(
                "{}{}/{}",
                tree_prefix(nodes, i),
                sanitize(&n.kind),
                sanitize(&n.name)
            )
        })
        .collect();
    // Widths over the whole tree, so columns stay put while scrolling.
    let name_w = nodes
        .iter()
        .map(|n| {
            3 * (usize::from(n.depth) + 1) + format::width(&n.kind) + 1 + format::width(&n.name)
        })
        .max()
        .unwrap_or(0);
    shown
        .zip(names)
        .map(|(i, name)| {
            let n = &nodes[i];
            let health = theme.health(n.health);
            let cut = name.find(|c: char| !"│├└─ ".contains(c)).unwrap_or(0);
            let (guides, label) = name.split_at(cut);
            let pad = name_w.saturating_sub(format::width(&name)) + 2;
            let mut line = vec![
                (guides.to_owned(), theme.muted),
                (format!("{label}{}", " ".repeat(pad)), theme.base),
                (n.health.symbol().to_string(), health),
                (format!(" {}", sanitize(&n.status)), theme.base),
            ];
            if let Some(reason) = &n.reason {
                line.push((format!("  {}", sanitize(reason)), theme.error));
            }
            line
        })
        .collect()
}

fn events(
    data: &InstanceDetail,
    now: i64,
    skip: usize,
    take: usize,
    theme: &Theme,
) -> Vec<Vec<Piece>> {
    // Widths over the whole list, so columns stay put while scrolling.
    let all = data.events.iter();
    let page = all.clone().skip(skip).take(take);
    let reason_w = all
        .clone()
        .map(|e| format::width(&e.reason))
        .max()
        .unwrap_or(0);
    let object_w = all
        .clone()
        .map(|e| format::width(&e.object))
        .max()
        .unwrap_or(0);
    page.map(|e| {
        let (kind, style) = if e.warning {
            ("Warning", theme.warning_event)
        } else {
            ("Normal", theme.muted)
        };
        let mut line = vec![
            (format::fit(&format::age_since(now, e.time), 5), theme.muted),
            (format::fit(kind, 9), style),
            (format::fit(&sanitize(&e.reason), reason_w + 2), style),
            (format::fit(&sanitize(&e.object), object_w + 2), theme.muted),
            (sanitize(&e.message).into_owned(), theme.base),
        ];
        if e.count > 1 {
            line.push((format!(" ×{}", e.count), theme.muted));
        }
        line
    })
    .collect()
}

fn dependencies(data: &InstanceDetail, skip: usize, take: usize, theme: &Theme) -> Vec<Vec<Piece>> {
    // Widths over the whole list, so columns stay put while scrolling.
    let all = data.dependencies.iter();
    let page = all.clone().skip(skip).take(take);
    let service_w = all
        .clone()
        .map(|d| format::width(&d.service))
        .max()
        .unwrap_or(0);
    let instance_w = all
        .clone()
        .map(|d| d.instance.as_deref().map_or(1, format::width))
        .max()
        .unwrap_or(0);
    page.map(|d| {
        let instance: Cow<'_, str> = d.instance.as_deref().map_or(Cow::Borrowed("-"), sanitize);
        let health = format!("{} {}", d.health.symbol(), d.health.label());
        vec![
            (
                format::fit(&sanitize(&d.service), service_w + 2),
                theme.accent,
            ),
            (format::fit(&instance, instance_w + 2), theme.base),
            (format::fit(&health, 15), theme.health(d.health)),
            (sanitize(&d.note).into_owned(), theme.muted),
        ]
    })
    .collect()
}

fn history_lines(
    history: &[crate::state::detail::HelmRevision],
    now: i64,
    skip: usize,
    take: usize,
    theme: &Theme,
) -> Vec<Vec<Piece>> {
    // Widths over the whole list, so columns stay put while scrolling.
    let all = history.iter();
    let page = all.clone().skip(skip).take(take);
    let status_w = all
        .clone()
        .map(|h| format::width(&h.status))
        .max()
        .unwrap_or(0);
    let chart_w = all
        .clone()
        .map(|h| format::width(&h.chart))
        .max()
        .unwrap_or(0);
    let app_w = all
        .clone()
        .map(|h| format::width(&h.app_version))
        .max()
        .unwrap_or(0);
    page.map(|h| {
        let updated = h.updated.map_or_else(
            || "-".to_owned(),
            |t| format!("{} ago", format::age_since(now, t)),
        );
        let status_style = match h.status.as_str() {
            "deployed" => theme.healthy,
            "failed" => theme.failed,
            s if s.starts_with("pending") => theme.progressing,
            _ => theme.muted,
        };
        vec![
            (format::fit(&format!("#{}", h.revision), 5), theme.accent),
            (format::fit(&updated, 9), theme.muted),
            (
                format::fit(&sanitize(&h.status), status_w + 2),
                status_style,
            ),
            (format::fit(&sanitize(&h.chart), chart_w + 2), theme.base),
            (
                format::fit(&format!("app {}", sanitize(&h.app_version)), app_w + 6),
                theme.base,
            ),
            (sanitize(&h.description).into_owned(), theme.muted),
        ]
    })
    .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::rows::Health;

    fn node(depth: u16, name: &str) -> ResourceNode {
        ResourceNode {
            depth,
            kind: "Pod".into(),
            name: name.into(),
            health: Health::Healthy,
            status: "Running".into(),
            reason: None,
            pod: None,
        }
    }

    #[test]
    fn tree_guides_follow_depth() {
        let nodes = [
            node(0, "sts"),
            node(1, "p0"),
            node(1, "p1"),
            node(0, "svc"),
            node(1, "ep"),
        ];
        let prefixes: Vec<String> = (0..nodes.len()).map(|i| tree_prefix(&nodes, i)).collect();
        assert_eq!(prefixes, ["├─ ", "│  ├─ ", "│  └─ ", "└─ ", "   └─ "]);
    }

    #[test]
    fn yaml_is_split_into_keys_values_comments_and_masks() {
        let theme = Theme::default();
        let text = |line: &str| {
            yaml_line(line, &theme)
                .into_iter()
                .map(|(t, s)| {
                    let tag = if s == theme.yaml_key {
                        "K"
                    } else if s == theme.masked {
                        "M"
                    } else if s == theme.yaml_comment {
                        "C"
                    } else {
                        "."
                    };
                    format!("{tag}[{t}]")
                })
                .collect::<String>()
        };
        assert_eq!(text("  replicas: 3"), ".[  ]K[replicas].[:].[ 3]");
        assert_eq!(
            text("  password: ••••••"),
            ".[  ]K[password].[:].[ ]M[••••••]"
        );
        assert_eq!(text("# top"), "C[# top]");
        assert_eq!(text("- name: a # why"), ".[- ]K[name].[:].[ a]C[ # why]");
        assert_eq!(text("storage:"), "K[storage].[:]");
        assert_eq!(text("- \"a: b\""), ".[- ].[\"a: b\"]");
        assert_eq!(text("\tkey: \u{1b}[31m"), ".[ ]K[key].[:].[ ^[[31m]");
    }
}
