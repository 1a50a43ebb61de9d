//! Small drawing helpers shared by the views: clipped rows, styled cells
//! cut to a width, a column layout that drops columns when narrow, and a
//! centred pop-up frame.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Widget};

use super::format::{self, ELLIPSIS};

/// A styled piece of a cell.
pub type Piece = (String, Style);

/// The one-row rect at screen row `y`, if that row is on screen.
pub fn row(area: Rect, y: u16) -> Option<Rect> {
    (y >= area.y && y < area.bottom() && area.width > 0).then_some(Rect {
        x: area.x,
        y,
        width: area.width,
        height: 1,
    })
}

/// One line on the body's first row, one cell in, in place of a list or
/// page that has nothing to show ("loading…", "no instance selected").
pub fn body_message(buf: &mut Buffer, body: Rect, line: Piece) {
    if let Some(rect) = row(body, body.y) {
        put(buf, rect.x + 1, rect.y, &[line], rect.width - 1);
    }
}

/// Writes styled pieces from `x` on row `y`, cut to `max` cells with '…'.
/// Returns the cells written.
pub fn put(buf: &mut Buffer, x: u16, y: u16, pieces: &[Piece], max: u16) -> u16 {
    let bounds = buf.area;
    if y < bounds.y || y >= bounds.bottom() || x >= bounds.right() {
        return 0;
    }
    let max = max.min(bounds.right() - x);
    let line = Line::from(cut(pieces, usize::from(max)));
    buf.set_line(x, y, &line, max).0.saturating_sub(x)
}

/// Styled pieces cut to at most `max` cells; the last kept piece ends with
/// '…' when something was cut.
pub fn cut(pieces: &[Piece], max: usize) -> Vec<Span<'static>> {
    let total: usize = pieces.iter().map(|(t, _)| format::width(t)).sum();
    let mut out = Vec::with_capacity(pieces.len());
    if total <= max {
        out.extend(pieces.iter().map(|(t, s)| Span::styled(t.clone(), *s)));
        return out;
    }
    if max == 0 {
        return out;
    }
    let mut left = max - 1;
    let mut last_style = pieces.first().map(|(_, s)| *s).unwrap_or_default();
    for (text, style) in pieces {
        if left == 0 {
            break;
        }
        let w = format::width(text);
        last_style = *style;
        if w <= left {
            out.push(Span::styled(text.clone(), *style));
            left -= w;
        } else {
            // Keep what fits of this piece in `left` cells, then the '…'.
            let mut piece = format::head(text, left).to_owned();
            piece.push(ELLIPSIS);
            out.push(Span::styled(piece, *style));
            return out;
        }
    }
    out.push(Span::styled(ELLIPSIS.to_string(), last_style));
    out
}

/// Cells taken by a cell's pieces.
pub fn pieces_width(pieces: &[Piece]) -> usize {
    pieces.iter().map(|(t, _)| format::width(t)).sum()
}

/// Draws the column headings of a table on the layout's heading row.
pub fn draw_headings(
    buf: &mut Buffer,
    area: Rect,
    layout: &crate::state::ScreenLayout,
    columns: &[Column],
    widths: &[Option<u16>],
    gap: u16,
    style: Style,
) {
    let Some(rect) = row(area, layout.heading_row) else {
        return;
    };
    if layout.heading_row >= layout.bottom_row {
        return;
    }
    let heads: Vec<Vec<Piece>> = columns
        .iter()
        .map(|c| vec![(c.title.clone(), style)])
        .collect();
    let inner = Rect {
        x: rect.x + 1,
        width: rect.width.saturating_sub(1),
        ..rect
    };
    draw_cells(buf, inner, widths, gap, &heads, None);
}

/// A table column as the layout sees it.
#[derive(Debug, Clone)]
pub struct Column {
    /// Heading text.
    pub title: String,
    /// Fewest cells it is shown with; below this it is hidden.
    pub min: u16,
    /// Cells it would like (its widest visible content).
    pub ideal: u16,
    /// Lower keeps the column longer and grows it first.
    pub priority: u8,
    /// Takes whatever width is left (at most one column).
    pub flex: bool,
}

impl Column {
    /// A column whose `min` and `ideal` are at least its heading's width.
    pub fn new(title: impl Into<String>, min: u16, ideal: u16, priority: u8) -> Self {
        let title = title.into();
        let heading = u16::try_from(format::width(&title)).unwrap_or(u16::MAX);
        let min = min.max(heading);
        Self {
            title,
            min,
            ideal: ideal.max(min),
            priority,
            flex: false,
        }
    }

    /// Marks the column as taking the remaining width.
    pub fn flex(mut self) -> Self {
        self.flex = true;
        self
    }
}

/// Widths of the columns (None: hidden) for a total width: the most
/// important columns that fit at their minimum are kept, then grown toward
/// their ideal by priority, and the flex column takes the rest. The first
/// column by priority is always kept, cut to the width if need be.
pub fn layout_columns(columns: &[Column], width: u16, gap: u16) -> Vec<Option<u16>> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| columns[i].priority);
    let mut widths: Vec<Option<u16>> = vec![None; columns.len()];
    let mut used: u16 = 0;
    for (n, &i) in order.iter().enumerate() {
        let extra = if used == 0 { 0 } else { gap };
        let need = columns[i].min.saturating_add(extra);
        if n == 0 {
            let w = columns[i].min.min(width);
            widths[i] = Some(w);
            used = w;
        } else if used.saturating_add(need) <= width {
            widths[i] = Some(columns[i].min);
            used += need;
        }
    }
    let mut spare = width.saturating_sub(used);
    for &i in &order {
        if let Some(w) = widths[i] {
            let grow = columns[i].ideal.saturating_sub(w).min(spare);
            widths[i] = Some(w + grow);
            spare -= grow;
        }
    }
    if let Some(i) = columns.iter().position(|c| c.flex)
        && let Some(w) = widths[i]
    {
        widths[i] = Some(w + spare);
    }
    widths
}

/// Draws one table row: each shown column's pieces cut and padded to its
/// width, `gap` cells apart, from `rect.x`. `row_style` is laid under the
/// whole row and patched over each piece (so a selected row reads as one).
pub fn draw_cells(
    buf: &mut Buffer,
    rect: Rect,
    widths: &[Option<u16>],
    gap: u16,
    cells: &[Vec<Piece>],
    row_style: Option<Style>,
) {
    if let Some(style) = row_style {
        buf.set_style(rect, style);
    }
    let mut x = rect.x;
    let right = rect.right();
    let mut first = true;
    for (width, pieces) in widths.iter().zip(cells) {
        let Some(width) = *width else { continue };
        if !first {
            x = x.saturating_add(gap);
        }
        first = false;
        if x >= right {
            break;
        }
        let max = width.min(right - x);
        let styled: Vec<Piece> = match row_style {
            Some(row) => pieces
                .iter()
                .map(|(t, s)| (t.clone(), s.patch(row)))
                .collect(),
            None => pieces.clone(),
        };
        put(buf, x, rect.y, &styled, max);
        x = x.saturating_add(width);
    }
}

/// A rect of `width` x `height` centred in `area` (clamped to it).
pub fn centered(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

/// Clears `rect` and draws a bordered pop-up frame with a title; returns
/// the inner area (empty when too small for a border).
pub fn popup(buf: &mut Buffer, rect: Rect, title: &str, border: Style, base: Style) -> Rect {
    Clear.render(rect, buf);
    buf.set_style(rect, base);
    if rect.width < 3 || rect.height < 3 {
        return Rect { height: 0, ..rect };
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(border)
        .title(Span::styled(format!(" {title} "), border));
    let inner = block.inner(rect);
    block.render(rect, buf);
    inner
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(min: u16, ideal: u16, priority: u8) -> Column {
        Column::new("", min, ideal, priority)
    }

    #[test]
    fn columns_drop_by_priority_and_grow() {
        let cols = [
            col(10, 14, 0),
            col(6, 9, 2),
            col(5, 5, 1),
            col(10, 10, 3).flex(),
        ];
        assert_eq!(
            layout_columns(&cols, 80, 1),
            vec![Some(14), Some(9), Some(5), Some(49)]
        );
        // 10 + 1 + 5 + 1 + 6 = 23: the flex column no longer fits.
        assert_eq!(
            layout_columns(&cols, 25, 1),
            vec![Some(12), Some(6), Some(5), None]
        );
        assert_eq!(layout_columns(&cols, 4, 1), vec![Some(4), None, None, None]);
        assert_eq!(layout_columns(&cols, 0, 1), vec![Some(0), None, None, None]);
        assert_eq!(Column::new("HEALTH", 1, 1, 0).min, 6);
    }

    #[test]
    fn cut_marks_the_cut() {
        let pieces: Vec<Piece> = vec![("✓3".into(), Style::new()), (" ✗1".into(), Style::new())];
        let text = |v: Vec<Span>| v.iter().map(|s| s.content.to_string()).collect::<String>();
        assert_eq!(text(cut(&pieces, 10)), "✓3 ✗1");
        assert_eq!(text(cut(&pieces, 4)), "✓3 …");
        assert_eq!(text(cut(&pieces, 2)), "✓…");
        assert_eq!(text(cut(&pieces, 0)), "");
        assert_eq!(pieces_width(&pieces), 5);
    }
}
