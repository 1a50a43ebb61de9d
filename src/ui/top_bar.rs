//! Row 0: where the console is (view, context, namespace), whether the data
//! is live, read-only mode and counts; and the stale banner below it.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};

use super::format;
use super::widgets::{self, Piece};
use crate::action::View;
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

const SEPARATOR: &str = " │ ";

/// A part of the bar; lower `priority` survives longer when narrow.
struct Part {
    text: String,
    style: Style,
    priority: u8,
    right: bool,
}

/// Draws the top bar on row 0.
pub fn draw(buf: &mut Buffer, area: Rect, state: &State, theme: &Theme) {
    let Some(rect) = widgets::row(area, area.y) else {
        return;
    };
    buf.set_style(rect, theme.top_bar);
    let bar = theme.top_bar;
    let bold = bar.add_modifier(Modifier::BOLD);
    let mut parts = vec![
        Part {
            text: "osctui".into(),
            style: bold,
            priority: 5,
            right: false,
        },
        Part {
            text: view_title(state),
            style: bold,
            priority: 0,
            right: false,
        },
    ];
    if let Some(context) = context(state) {
        parts.push(Part {
            text: format!("ctx: {context}"),
            style: bar,
            priority: 3,
            right: false,
        });
    }
    parts.push(Part {
        text: format!("ns: {}", state.namespace.as_deref().unwrap_or("all")),
        style: bar,
        priority: 2,
        right: false,
    });
    if let Some(counts) = counts(state) {
        parts.push(Part {
            text: counts,
            style: bar,
            priority: 4,
            right: false,
        });
    }
    if state.readonly {
        parts.push(Part {
            text: "READONLY".into(),
            style: bold,
            priority: 0,
            right: true,
        });
    }
    let (text, style, priority) = if state.stale.is_some() {
        ("DISCONNECTED", theme.banner, 0)
    } else if !state.synced {
        ("loading…", bar, 1)
    } else {
        ("● connected", bar, 3)
    };
    parts.push(Part {
        text: text.into(),
        style,
        priority,
        right: true,
    });

    let width = usize::from(rect.width).saturating_sub(2);
    let keep = fitting(&parts, width);
    let pieces = |right: bool| -> Vec<Piece> {
        let mut out: Vec<Piece> = Vec::new();
        for (part, _) in parts
            .iter()
            .zip(&keep)
            .filter(|(p, k)| **k && p.right == right)
        {
            if !out.is_empty() {
                out.push((SEPARATOR.into(), bar));
            }
            out.push((part.text.clone(), part.style));
        }
        out
    };
    let left = pieces(false);
    let right = pieces(true);
    let right_width = u16::try_from(widgets::pieces_width(&right)).unwrap_or(u16::MAX);
    let written = widgets::put(buf, rect.x + 1, rect.y, &left, rect.width.saturating_sub(1));
    let right_x = rect.right().saturating_sub(right_width + 1);
    if right_x > rect.x + 1 + written {
        widgets::put(buf, right_x, rect.y, &right, right_width);
    }
}

/// Which parts fit in `width`, keeping the most important ones; the view
/// title is always kept (and cut if need be).
fn fitting(parts: &[Part], width: usize) -> Vec<bool> {
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| parts[i].priority);
    let mut keep = vec![false; parts.len()];
    // Left and right groups are at least two cells apart.
    let mut used = 2;
    for i in order {
        let cost = format::width(&parts[i].text) + format::width(SEPARATOR);
        if used + cost <= width || i == 1 {
            keep[i] = true;
            used += cost;
        } else {
            // Stop at the first part that does not fit, so that a short
            // unimportant part never shows while a more important one is gone.
            break;
        }
    }
    keep
}

fn view_title(state: &State) -> String {
    match state.view {
        View::Services => "Services".into(),
        View::Instances => match state.table.scope_service() {
            Some(service) => format!("Instances of {service}"),
            None => "Instances".into(),
        },
        View::Detail => match &state.detail {
            Some(detail) => {
                let t = &detail.target;
                let text = format!("{}/{} ({})", t.namespace, t.name, t.service);
                crate::domain::text::sanitize(&text).into_owned()
            }
            None => "Detail".into(),
        },
        View::Logs => match &state.logs {
            Some(logs) => instance_title("Logs", &logs.request.instance),
            None => "Logs".into(),
        },
        View::Monitor => match &state.monitor {
            Some(monitor) => instance_title("Monitoring", &monitor.request.instance),
            None => "Monitoring".into(),
        },
        View::ServiceDiagnosis => match &state.findings {
            Some(findings) => {
                let text = format!("Diagnosis of {}", findings.service);
                crate::domain::text::sanitize(&text).into_owned()
            }
            None => "Diagnosis".into(),
        },
        View::Operation => crate::ui::ops::title(state),
        View::Audit => "Audit log".into(),
    }
}

fn instance_title(what: &str, target: &crate::state::detail::InstanceRef) -> String {
    let text = format!("{what} of {}/{}", target.namespace, target.name);
    crate::domain::text::sanitize(&text).into_owned()
}

fn context(state: &State) -> Option<String> {
    let cluster = state.cluster.as_ref();
    let text = state
        .context
        .as_deref()
        .or_else(|| cluster.and_then(|c| c.context.as_deref()))
        .or_else(|| cluster.map(|c| c.server.as_str()))?;
    Some(crate::domain::text::sanitize(text).into_owned())
}

fn counts(state: &State) -> Option<String> {
    match state.view {
        View::Services => {
            let shown = state.visible_services().len();
            let total = state.services.rows().len();
            Some(if shown == total {
                format!("{total} services")
            } else {
                format!("{shown} of {total} services")
            })
        }
        View::Instances => {
            let shown = state.table.len();
            let total = state.instances.len();
            Some(if shown == total {
                format!("{total} instances")
            } else {
                format!("{shown} of {total} instances")
            })
        }
        View::Audit => crate::ui::audit::count(state),
        View::Detail | View::Logs | View::Monitor | View::ServiceDiagnosis | View::Operation => {
            None
        }
    }
}

/// Draws the stale banner on the row above the headings.
pub fn draw_banner(
    buf: &mut Buffer,
    area: Rect,
    layout: &ScreenLayout,
    state: &State,
    theme: &Theme,
) {
    let Some(stale) = &state.stale else { return };
    let Some(rect) = widgets::row(area, layout.heading_row.saturating_sub(1)) else {
        return;
    };
    buf.set_style(rect, theme.banner);
    let time = format::clock(stale.since);
    let error = crate::domain::text::sanitize(&stale.error);
    let width = usize::from(rect.width).saturating_sub(2);
    // The error is what the user needs most, so the words around it are
    // short and it gets all the room left; before the first sync there is
    // no data to call stale.
    let narrow = width < 100;
    let (head, tail) = if state.synced && narrow {
        (
            format!("⚠ unreachable since {time}: "),
            " · data kept, reconnecting",
        )
    } else if state.synced {
        (
            format!("⚠ API server unreachable since {time} UTC: "),
            " · last data kept, reconnecting",
        )
    } else {
        ("⚠ cannot reach the API server: ".to_owned(), " · retrying")
    };
    let room = width.saturating_sub(format::width(&head) + format::width(tail));
    let text = format!("{head}{}{tail}", format::truncate(&error, room.max(8)));
    widgets::put(
        buf,
        rect.x + 1,
        rect.y,
        &[(text, theme.banner)],
        rect.width.saturating_sub(1),
    );
}
