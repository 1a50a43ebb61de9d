//! The service diagnosis view: a heading that counts the findings by
//! severity, then two lines a finding (what; the evidence and where Enter
//! leads), scrolled by `findings.scroll`, the selected one highlighted.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;

use super::widgets::{self, Piece};
use crate::domain::text::sanitize;
use crate::state::diagnosis::Severity;
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

/// Draws the view's heading row and body.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    body: Rect,
    layout: &ScreenLayout,
    state: &State,
    theme: &Theme,
) {
    let Some(open) = &state.findings else {
        return;
    };
    let kind = state
        .services
        .get(&open.service)
        .map_or(crate::state::rows::ServiceKind::Operator, |s| s.kind);
    if layout.heading_row < layout.bottom_row
        && let Some(rect) = widgets::row(area, layout.heading_row)
    {
        let count = |severity: Severity| {
            open.findings
                .iter()
                .filter(|f| f.severity == severity)
                .count()
        };
        let mut heading: Vec<Piece> = vec![(
            format!("{} ({}) ", sanitize(&open.service), kind.label()),
            theme.header,
        )];
        for severity in [Severity::Critical, Severity::Warning] {
            let n = count(severity);
            let style = if n > 0 {
                theme.health(severity.health())
            } else {
                theme.muted
            };
            heading.push((
                format!(" {} {n} {} ", severity.symbol(), severity.label()),
                style,
            ));
        }
        widgets::put(buf, rect.x + 1, rect.y, &heading, rect.width - 1);
    }
    let lines = super::detail::finding_lines(
        &open.findings,
        kind,
        open.cursor,
        open.scroll,
        usize::from(body.height),
        theme,
    );
    for (i, line) in lines.iter().enumerate() {
        let y = body.y + u16::try_from(i).unwrap_or(u16::MAX);
        let Some(rect) = widgets::row(body, y) else {
            break;
        };
        widgets::put(buf, rect.x + 1, rect.y, line, rect.width - 1);
    }
}
