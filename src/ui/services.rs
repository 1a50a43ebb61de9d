//! The services view: one row per CSD or Helm chart, with its operator's
//! health and its instances counted by health.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::list_focused;
use super::widgets::{self, Column, Piece};
use crate::state::rows::{Health, HealthCounts, OperatorHealth, ServiceRow};
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

/// Draws headings at `layout.heading_row` and one service per body row.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    body: Rect,
    layout: &ScreenLayout,
    state: &State,
    theme: &Theme,
) {
    let services = state.visible_services();
    let cursor = state.service_cursor();
    let height = usize::from(body.height);
    // The state keeps no scroll offset for the (short) services list: keep
    // the selection on screen.
    let offset = if height == 0 {
        0
    } else {
        cursor.saturating_sub(height - 1)
    };
    let page: Vec<&ServiceRow> = services.iter().skip(offset).take(height).copied().collect();
    // The total after the per-health counts only on wide screens.
    let with_total = area.width >= 120;
    let known = Known::of(state);
    let rows: Vec<Vec<Vec<Piece>>> = page
        .iter()
        .map(|s| cells(s, theme, with_total, known))
        .collect();

    let ideal = |i: usize, floor: u16| -> u16 {
        rows.iter()
            .map(|r| widgets::pieces_width(&r[i]))
            .max()
            .map_or(floor, |w| u16::try_from(w).unwrap_or(u16::MAX).max(floor))
    };
    // Whole names and whole providers, or none; the operator's reason is
    // what tells the user why a service is broken, so it comes before
    // versions and provider.
    let name_w = ideal(0, 8).min(24);
    let columns = [
        Column::new("NAME", name_w, name_w, 0),
        Column::new("TYPE", 8, 8, 3),
        Column::new("PROVIDER", ideal(2, 8), ideal(2, 8), 5),
        Column::new("VERSIONS", 10, ideal(3, 10), 4).flex(),
        Column::new("OPERATOR", 24, ideal(4, 11), 2),
        Column::new("INSTANCES", 9, ideal(5, 9), 1),
    ];
    let gap = if area.width >= 120 { 2 } else { 1 };
    let widths = widgets::layout_columns(&columns, area.width.saturating_sub(1), gap);

    widgets::draw_headings(buf, area, layout, &columns, &widths, gap, theme.header);

    if page.is_empty() {
        let text = if !state.synced {
            "loading…".to_owned()
        } else if state.filter_input.is_empty() {
            "no services found: no CSD or Helm release is visible".to_owned()
        } else {
            format!("no service matches filter '{}'", state.filter_input)
        };
        widgets::body_message(buf, body, (text, theme.muted));
        return;
    }

    let selected_style = if list_focused(state) {
        theme.selected
    } else {
        theme.selected_unfocused
    };
    for (i, cells) in rows.iter().enumerate() {
        let y = body.y + u16::try_from(i).unwrap_or(u16::MAX);
        let Some(rect) = widgets::row(body, y) else {
            break;
        };
        let selected = offset + i == cursor;
        let style = selected.then_some(selected_style);
        if let Some(style) = style {
            buf.set_style(rect, style);
        }
        let inner = Rect {
            x: rect.x + 1,
            width: rect.width - 1,
            ..rect
        };
        let cells = match widths[5] {
            // Counts without the total when the column is narrow.
            Some(w) if usize::from(w) < widgets::pieces_width(&cells[5]) => {
                let mut narrow = cells.clone();
                narrow[5] = counts(&page[i].counts, theme, false, known);
                narrow
            }
            _ => cells.clone(),
        };
        widgets::draw_cells(buf, inner, &widths, gap, &cells, style);
    }
}

/// How much is known of the instances, for their counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Known {
    /// Their first list is not in.
    Nothing,
    /// They are listed but their pods are not: no health yet.
    Rows,
    /// Everything has listed.
    Health,
}

impl Known {
    fn of(state: &State) -> Self {
        if state.synced {
            Self::Health
        } else if state.instances_listed {
            Self::Rows
        } else {
            Self::Nothing
        }
    }
}

fn cells(service: &ServiceRow, theme: &Theme, with_total: bool, known: Known) -> Vec<Vec<Piece>> {
    let operator: Piece = match &service.operator {
        OperatorHealth::Available => ("✓ available".into(), theme.healthy),
        OperatorHealth::NotAvailable { reason } => (format!("✗ {reason}"), theme.failed),
        OperatorHealth::Unknown => ("-".into(), theme.muted),
    };
    let versions = if service.allowed_versions.is_empty() {
        ("-".to_owned(), theme.muted)
    } else {
        (service.allowed_versions.join(", "), theme.base)
    };
    vec![
        vec![(service.display_name.clone(), theme.base)],
        vec![(service.kind.label().to_owned(), theme.base)],
        vec![(service.provider.clone(), theme.base)],
        vec![versions],
        vec![operator],
        counts(&service.counts, theme, with_total, known),
    ]
}

/// "✓3 ↻1 ✗1", each count in its health's style; with the total appended
/// ("(5)") when asked; "0" for none. Before the health is known: "5 …"
/// once the instances are listed (and "0" for none), "…" before that.
fn counts(counts: &HealthCounts, theme: &Theme, with_total: bool, known: Known) -> Vec<Piece> {
    match (known, counts.total()) {
        (Known::Health, _) => {}
        (Known::Nothing, _) => return vec![("…".into(), theme.muted)],
        (Known::Rows, 0) => return vec![("0".into(), theme.muted)],
        (Known::Rows, n) => return vec![(format!("{n} …"), theme.muted)],
    }
    let mut out: Vec<Piece> = Vec::new();
    for health in Health::ALL {
        let n = counts.get(health);
        if n == 0 {
            continue;
        }
        if !out.is_empty() {
            out.push((" ".into(), theme.base));
        }
        out.push((format!("{}{n}", health.symbol()), theme.health(health)));
    }
    if out.is_empty() {
        return vec![("0".into(), theme.muted)];
    }
    if with_total {
        out.push((format!(" ({})", counts.total()), theme.muted));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_without_colour() {
        let mut c = HealthCounts::default();
        for h in [
            Health::Healthy,
            Health::Healthy,
            Health::Failed,
            Health::Progressing,
        ] {
            c.add(h);
        }
        let theme = Theme::default();
        let text = |p: Vec<Piece>| p.into_iter().map(|(t, _)| t).collect::<String>();
        let none = HealthCounts::default();
        assert_eq!(
            text(counts(&c, &theme, true, Known::Health)),
            "✓2 ↻1 ✗1 (4)"
        );
        assert_eq!(text(counts(&c, &theme, false, Known::Health)), "✓2 ↻1 ✗1");
        assert_eq!(text(counts(&none, &theme, true, Known::Health)), "0");
        // Instances listed before their health: the total, then "…"; a
        // service with none has none, health or not.
        assert_eq!(text(counts(&c, &theme, true, Known::Rows)), "4 …");
        assert_eq!(text(counts(&none, &theme, true, Known::Rows)), "0");
        // Nothing listed yet: a count of 0 would be a guess.
        assert_eq!(text(counts(&c, &theme, true, Known::Nothing)), "…");
        assert_eq!(text(counts(&none, &theme, true, Known::Nothing)), "…");
    }
}
