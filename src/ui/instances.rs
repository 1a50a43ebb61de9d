//! The instances view: the filtered, sorted table of the state, drawn one
//! row per body row from `layout.body_top`, only the rows on screen.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{self, Column, Piece};
use super::{format, list_focused};
use crate::domain::text::sanitize;
use crate::state::rows::InstanceRow;
use crate::state::table::SortColumn;
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

/// Longest health cell: symbol, space, "progressing".
const HEALTH_WIDE: u16 = 13;
/// Longest usual age label ("364d"; older ones widen the column).
const AGE_WIDE: u16 = 4;

/// Draws headings at `layout.heading_row` and the visible page of the table.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    body: Rect,
    layout: &ScreenLayout,
    state: &State,
    theme: &Theme,
) {
    let page: Vec<&InstanceRow> = state.table.page(&state.instances).collect();
    let show_namespace = state.namespace.is_none();
    let rows: Vec<Vec<Vec<Piece>>> = page
        .iter()
        .map(|row| cells(row, state.now, theme, show_namespace, state.synced))
        .collect();

    let ideal = |i: usize, floor: u16| -> u16 {
        rows.iter()
            .map(|r| widgets::pieces_width(&r[i]))
            .max()
            .map_or(floor, |w| u16::try_from(w).unwrap_or(u16::MAX).max(floor))
    };
    let sort = state.table.sort();
    let title = |column: SortColumn, text: &str| -> String {
        if sort.column == column {
            format!("{text}{}", if sort.descending { "▼" } else { "▲" })
        } else {
            text.to_owned()
        }
    };
    // Columns in display order; a hidden namespace column stays in the list
    // (never shown) so that indices line up with the cells. Health and age
    // ask for their widest label whatever the page holds: one instance
    // turning "degraded" or an age reaching "10d" must not move every column
    // to its right (a one-row change redrew the whole table, 2.3 KB).
    let mut columns = vec![
        Column::new(title(SortColumn::Name, "NAME"), 10, ideal(0, 10), 0),
        Column::new(title(SortColumn::Namespace, "NAMESPACE"), 6, ideal(1, 6), 2),
        Column::new(title(SortColumn::Service, "SERVICE"), 6, ideal(2, 6), 3),
        Column::new(title(SortColumn::Version, "VERSION"), 5, ideal(3, 5), 5),
        Column::new(
            title(SortColumn::Health, "HEALTH"),
            6,
            ideal(4, HEALTH_WIDE),
            1,
        ),
        Column::new(title(SortColumn::Ready, "READY"), 5, ideal(5, 5), 4),
        Column::new(title(SortColumn::Age, "AGE"), 3, ideal(6, AGE_WIDE), 6),
        Column::new(title(SortColumn::LatestEvent, "EVENT"), 12, 12, 7).flex(),
    ];
    if !show_namespace {
        columns[1].min = u16::MAX;
        columns[1].priority = u8::MAX;
    }
    let gap = if area.width >= 120 { 2 } else { 1 };
    let widths = widgets::layout_columns(&columns, area.width.saturating_sub(1), gap);

    widgets::draw_headings(buf, area, layout, &columns, &widths, gap, theme.header);

    if page.is_empty() {
        widgets::body_message(buf, body, (empty_text(state), theme.muted));
        return;
    }

    let selected_style = if list_focused(state) {
        theme.selected
    } else {
        theme.selected_unfocused
    };
    // Symbol alone when the health column got less than the widest label.
    let narrow_health = widths[4].is_some_and(|w| w < ideal(4, 0).min(HEALTH_WIDE));
    let first = state.table.offset();
    for (i, mut cells) in rows.into_iter().enumerate() {
        let y = body.y + u16::try_from(i).unwrap_or(u16::MAX);
        let Some(rect) = widgets::row(body, y) else {
            break;
        };
        if narrow_health {
            cells[4].truncate(1);
        }
        let style = (first + i == state.table.cursor()).then_some(selected_style);
        let inner = Rect {
            x: rect.x + 1,
            width: rect.width - 1,
            ..rect
        };
        if let Some(style) = style {
            buf.set_style(rect, style);
        }
        widgets::draw_cells(buf, inner, &widths, gap, &cells, style);
    }
}

fn empty_text(state: &State) -> String {
    if !state.synced {
        return "loading…".into();
    }
    if !state.filter_input.is_empty() {
        return format!(
            "no instance matches filter '{}'",
            sanitize(&state.filter_input)
        );
    }
    let place = match &state.namespace {
        Some(ns) => format!(" in namespace {}", sanitize(ns)),
        None => String::new(),
    };
    match state.table.scope_service() {
        Some(service) => format!("no instances of {}{place}", sanitize(service)),
        None => format!("no instances{place}"),
    }
}

/// The cells of a row, in column order (name, namespace, service, version,
/// health, ready, age, event). Health is two pieces so that the label can
/// be dropped when narrow. Until `synced`, the rows are known before their
/// pods (cluster::hub::HubState::preview_due): health reads "… loading"
/// and readiness "…", never a guess from half a list.
fn cells(
    row: &InstanceRow,
    now: i64,
    theme: &Theme,
    show_namespace: bool,
    synced: bool,
) -> Vec<Vec<Piece>> {
    let health = theme.health(row.health);
    let (ready, desired) = row.ready;
    let ready_style = if ready < desired {
        theme.degraded
    } else {
        theme.base
    };
    let (health_cell, ready_cell) = if synced {
        (
            vec![
                (row.health.symbol().to_string(), health),
                (format!(" {}", row.health.label()), health),
            ],
            vec![(format!("{ready}/{desired}"), ready_style)],
        )
    } else {
        (
            vec![
                ("…".to_owned(), theme.muted),
                (" loading".into(), theme.muted),
            ],
            vec![("…".to_owned(), theme.muted)],
        )
    };
    vec![
        vec![(row.name.clone(), theme.base)],
        if show_namespace {
            vec![(row.namespace.clone(), theme.base)]
        } else {
            Vec::new()
        },
        vec![(row.service.clone(), theme.base)],
        vec![match &row.version {
            Some(v) => (v.clone(), theme.base),
            None => ("-".into(), theme.muted),
        }],
        health_cell,
        ready_cell,
        vec![(format::age_since(now, row.created), theme.muted)],
        vec![match &row.latest_event {
            Some(e) => (e.clone(), theme.base),
            None => (String::new(), theme.base),
        }],
    ]
}
