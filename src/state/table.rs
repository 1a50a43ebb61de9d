//! The instance table: filtered, sorted view over the store, with a selection
//! that follows the same row (by uid) through changes, and a viewport.

use std::cmp::Ordering;

use super::filter::{Filter, MatchMode};
use super::rows::{InstanceRow, InstanceStore};

/// A sortable column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortColumn {
    /// Instance name.
    Name,
    /// Namespace.
    Namespace,
    /// Service (CSD or chart).
    Service,
    /// Version (rows without one sort first).
    Version,
    /// Health, best first.
    Health,
    /// Ready ratio, least ready first.
    Ready,
    /// Age, youngest first.
    Age,
    /// Latest event text.
    LatestEvent,
}

impl SortColumn {
    /// Every column, in display order.
    pub const ALL: [SortColumn; 8] = [
        SortColumn::Name,
        SortColumn::Namespace,
        SortColumn::Service,
        SortColumn::Version,
        SortColumn::Health,
        SortColumn::Ready,
        SortColumn::Age,
        SortColumn::LatestEvent,
    ];

    /// Column heading, also used in keymap files (`sort-name`).
    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Name => "name",
            SortColumn::Namespace => "namespace",
            SortColumn::Service => "service",
            SortColumn::Version => "version",
            SortColumn::Health => "health",
            SortColumn::Ready => "ready",
            SortColumn::Age => "age",
            SortColumn::LatestEvent => "event",
        }
    }

    /// Compares two rows on this column only.
    fn compare(self, a: &InstanceRow, b: &InstanceRow) -> Ordering {
        match self {
            SortColumn::Name => a.name.cmp(&b.name),
            SortColumn::Namespace => a.namespace.cmp(&b.namespace),
            SortColumn::Service => a.service.cmp(&b.service),
            SortColumn::Version => a.version.cmp(&b.version),
            SortColumn::Health => a.health.cmp(&b.health),
            SortColumn::Ready => ratio(a.ready).total_cmp(&ratio(b.ready)),
            // Younger (created later) first when ascending by age.
            SortColumn::Age => b.created.cmp(&a.created),
            SortColumn::LatestEvent => a.latest_event.cmp(&b.latest_event),
        }
    }
}

fn ratio((ready, desired): (u32, u32)) -> f64 {
    if desired == 0 {
        1.0
    } else {
        f64::from(ready) / f64::from(desired)
    }
}

/// Sort order of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    /// The column.
    pub column: SortColumn,
    /// Whether reversed. The namespace/name tie-break stays ascending.
    pub descending: bool,
}

/// Filtered and sorted indices into an [`InstanceStore`], a selection by uid
/// and a viewport. Call [`InstanceTable::refresh`] after every store change:
/// the indices are only valid for the store revision they were built from.
#[derive(Debug, Clone)]
pub struct InstanceTable {
    sort: Sort,
    filter: Filter,
    scope_service: Option<String>,
    visible: Vec<usize>,
    selected: Option<String>,
    cursor: usize,
    offset: usize,
    height: usize,
}

impl Default for InstanceTable {
    fn default() -> Self {
        Self::new()
    }
}

impl InstanceTable {
    /// An empty table sorted by name ascending.
    pub fn new() -> Self {
        Self {
            sort: Sort {
                column: SortColumn::Name,
                descending: false,
            },
            filter: Filter::default(),
            scope_service: None,
            visible: Vec::new(),
            selected: None,
            cursor: 0,
            offset: 0,
            height: 1,
        }
    }

    /// The current sort.
    pub fn sort(&self) -> Sort {
        self.sort
    }

    /// The current filter.
    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// The service the table is limited to, if any.
    pub fn scope_service(&self) -> Option<&str> {
        self.scope_service.as_deref()
    }

    /// Sets the filter and recomputes.
    pub fn set_filter(&mut self, filter: Filter, store: &InstanceStore) {
        self.filter = filter;
        self.refresh(store);
    }

    /// Limits the table to one service's instances (or all) and recomputes.
    pub fn set_scope(&mut self, service: Option<String>, store: &InstanceStore) {
        self.scope_service = service;
        self.refresh(store);
    }

    /// Same column flips the direction; another column sorts ascending.
    pub fn toggle_sort(&mut self, column: SortColumn, store: &InstanceStore) {
        self.sort = if self.sort.column == column {
            Sort {
                column,
                descending: !self.sort.descending,
            }
        } else {
            Sort {
                column,
                descending: false,
            }
        };
        self.refresh(store);
    }

    /// Recomputes the visible rows and puts the cursor back on the selected
    /// uid; if that row is gone, the cursor stays at the same position.
    pub fn refresh(&mut self, store: &InstanceStore) {
        let rows = store.rows();
        let fuzzy = self.filter.mode() == MatchMode::Fuzzy && !self.filter.is_inverted();
        let mut scored: Vec<(usize, i64)> = Vec::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            if let Some(scope) = &self.scope_service
                && &row.service != scope
            {
                continue;
            }
            if let Some(score) = self.filter.score(store.haystack(i)) {
                scored.push((i, score));
            }
        }
        let sort = self.sort;
        scored.sort_by(|&(ia, sa), &(ib, sb)| {
            let (a, b) = (&rows[ia], &rows[ib]);
            let by_score = if fuzzy { sb.cmp(&sa) } else { Ordering::Equal };
            let by_column = sort.column.compare(a, b);
            let by_column = if sort.descending {
                by_column.reverse()
            } else {
                by_column
            };
            by_score
                .then(by_column)
                .then_with(|| a.namespace.cmp(&b.namespace))
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.uid.cmp(&b.uid))
        });
        self.visible.clear();
        self.visible.extend(scored.iter().map(|&(i, _)| i));

        let found = self
            .selected
            .as_deref()
            .and_then(|uid| self.visible.iter().position(|&i| rows[i].uid == uid));
        self.cursor = match found {
            Some(pos) => pos,
            None => self.cursor.min(self.visible.len().saturating_sub(1)),
        };
        self.remember(store);
        self.scroll_into_view();
    }

    fn remember(&mut self, store: &InstanceStore) {
        self.selected = self
            .visible
            .get(self.cursor)
            .and_then(|&i| store.rows().get(i))
            .map(|row| row.uid.clone());
    }

    fn scroll_into_view(&mut self) {
        let height = self.height.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + height {
            self.offset = self.cursor + 1 - height;
        }
        let max_offset = self.visible.len().saturating_sub(height);
        self.offset = self.offset.min(max_offset);
    }

    /// Number of visible rows.
    pub fn len(&self) -> usize {
        self.visible.len()
    }

    /// Whether no row is visible.
    pub fn is_empty(&self) -> bool {
        self.visible.is_empty()
    }

    /// Visible rows in order.
    pub fn rows<'a>(&'a self, store: &'a InstanceStore) -> impl Iterator<Item = &'a InstanceRow> {
        self.visible.iter().filter_map(|&i| store.rows().get(i))
    }

    /// Visible rows inside the viewport, for drawing.
    pub fn page<'a>(&'a self, store: &'a InstanceStore) -> impl Iterator<Item = &'a InstanceRow> {
        self.rows(store).skip(self.offset).take(self.height.max(1))
    }

    /// The selected row.
    pub fn selected<'a>(&self, store: &'a InstanceStore) -> Option<&'a InstanceRow> {
        self.selected.as_deref().and_then(|uid| store.get(uid))
    }

    /// The selected uid.
    pub fn selected_uid(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    /// Cursor position among visible rows.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// First visible row of the viewport.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Sets the viewport height (rows that fit on screen).
    pub fn set_height(&mut self, height: usize) {
        self.height = height.max(1);
        self.scroll_into_view();
    }

    /// Moves the cursor by `delta`, clamped to the rows. Returns whether it moved.
    pub fn move_by(&mut self, delta: isize, store: &InstanceStore) -> bool {
        if self.visible.is_empty() {
            return false;
        }
        let last = self.visible.len() - 1;
        let target = self.cursor.saturating_add_signed(delta).min(last);
        self.jump(target, store)
    }

    /// One viewport down.
    pub fn page_down(&mut self, store: &InstanceStore) -> bool {
        self.move_by(self.height.max(1) as isize, store)
    }

    /// One viewport up.
    pub fn page_up(&mut self, store: &InstanceStore) -> bool {
        self.move_by(-(self.height.max(1) as isize), store)
    }

    /// First row.
    pub fn home(&mut self, store: &InstanceStore) -> bool {
        self.jump(0, store)
    }

    /// Last row.
    pub fn end(&mut self, store: &InstanceStore) -> bool {
        self.jump(self.visible.len().saturating_sub(1), store)
    }

    fn jump(&mut self, target: usize, store: &InstanceStore) -> bool {
        if self.visible.is_empty() || target == self.cursor {
            return false;
        }
        self.cursor = target;
        self.remember(store);
        self.scroll_into_view();
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::rows::Health;
    use crate::state::rows::tests::row;

    fn store_of(rows: Vec<InstanceRow>) -> InstanceStore {
        let mut store = InstanceStore::new();
        store.replace_all(rows);
        store
    }

    fn names(table: &InstanceTable, store: &InstanceStore) -> Vec<String> {
        table.rows(store).map(|r| r.name.clone()).collect()
    }

    fn three() -> InstanceStore {
        let mut a = row("1", "alpha", "prod", "kafka", Health::Failed);
        a.created = 10;
        a.ready = (0, 3);
        a.version = Some("2.0".into());
        a.latest_event = Some("b".into());
        let mut b = row("2", "bravo", "dev", "redis", Health::Healthy);
        b.created = 30;
        b.ready = (2, 2);
        b.version = None;
        b.latest_event = Some("a".into());
        let mut c = row("3", "charlie", "dev", "kafka", Health::Degraded);
        c.created = 20;
        c.ready = (1, 2);
        store_of(vec![a, b, c])
    }

    #[test]
    fn sorts_by_every_column_both_ways() {
        let store = three();
        let mut t = InstanceTable::new();
        t.refresh(&store);
        assert_eq!(t.sort().column, SortColumn::Name);
        let expect = [
            (SortColumn::Name, ["alpha", "bravo", "charlie"]),
            (SortColumn::Namespace, ["bravo", "charlie", "alpha"]),
            (SortColumn::Service, ["charlie", "alpha", "bravo"]),
            (SortColumn::Version, ["bravo", "charlie", "alpha"]),
            (SortColumn::Health, ["bravo", "charlie", "alpha"]),
            (SortColumn::Ready, ["alpha", "charlie", "bravo"]),
            (SortColumn::Age, ["bravo", "charlie", "alpha"]),
            (SortColumn::LatestEvent, ["charlie", "bravo", "alpha"]),
        ];
        for (column, order) in expect {
            t.toggle_sort(column, &store);
            if column == SortColumn::Name {
                // Name was already the column: first toggle flips it.
                t.toggle_sort(column, &store);
            }
            assert_eq!(names(&t, &store), order, "{}", column.label());
            t.toggle_sort(column, &store);
            assert!(t.sort().descending);
            let mut reversed = order.to_vec();
            reversed.reverse();
            if column == SortColumn::Namespace {
                // bravo and charlie tie on "dev": the tie-break stays ascending.
                reversed = vec!["alpha", "bravo", "charlie"];
            }
            if column == SortColumn::Service {
                // alpha and charlie tie on "kafka": dev before prod still.
                reversed = vec!["bravo", "charlie", "alpha"];
            }
            assert_eq!(names(&t, &store), reversed, "{} desc", column.label());
        }
        assert_eq!(SortColumn::ALL.len(), 8);
    }

    #[test]
    fn ties_break_on_namespace_then_name() {
        let store = store_of(vec![
            row("1", "b", "y", "s", Health::Healthy),
            row("2", "a", "y", "s", Health::Healthy),
            row("3", "z", "x", "s", Health::Healthy),
        ]);
        let mut t = InstanceTable::new();
        t.toggle_sort(SortColumn::Health, &store);
        assert_eq!(names(&t, &store), ["z", "a", "b"]);
        t.toggle_sort(SortColumn::Health, &store);
        assert_eq!(names(&t, &store), ["z", "a", "b"]);
    }

    #[test]
    fn selection_follows_uid_through_changes() {
        let mut store = three();
        let mut t = InstanceTable::new();
        t.refresh(&store);
        assert!(t.move_by(1, &store));
        assert_eq!(t.selected_uid(), Some("2"));
        // Re-sort: bravo moves, the selection goes with it.
        t.toggle_sort(SortColumn::Namespace, &store);
        assert_eq!(t.cursor(), 0);
        assert_eq!(t.selected(&store).map(|r| r.name.as_str()), Some("bravo"));
        // Insert a row before it.
        store.upsert(row("0", "aaa", "a", "kafka", Health::Healthy));
        t.refresh(&store);
        assert_eq!(t.selected_uid(), Some("2"));
        assert_eq!(t.cursor(), 1);
        // Filter keeps it when it still matches.
        t.set_filter(Filter::parse("redis"), &store);
        assert_eq!(t.selected_uid(), Some("2"));
        assert_eq!(t.len(), 1);
        // Filtered away: the cursor clamps and picks what is there.
        t.set_filter(Filter::parse("kafka"), &store);
        assert_eq!(t.len(), 3);
        assert_eq!(t.cursor(), 0);
        assert_eq!(t.selected_uid(), Some("0"));
        // Removed: the next row at the same position is selected.
        store.remove("0");
        t.refresh(&store);
        assert_eq!(t.cursor(), 0);
        assert!(t.selected_uid().is_some());
        t.set_filter(Filter::parse("nothing"), &store);
        assert!(t.is_empty());
        assert_eq!(t.selected_uid(), None);
        assert!(!t.move_by(1, &store));
    }

    #[test]
    fn scope_limits_to_one_service() {
        let store = three();
        let mut t = InstanceTable::new();
        t.set_scope(Some("kafka".into()), &store);
        assert_eq!(t.scope_service(), Some("kafka"));
        assert_eq!(names(&t, &store), ["alpha", "charlie"]);
        t.set_scope(None, &store);
        assert_eq!(t.len(), 3);
    }

    #[test]
    fn fuzzy_orders_by_score_first() {
        let store = store_of(vec![
            row("1", "a-x-b-x-c", "ns", "s", Health::Healthy),
            row("2", "zabc", "ns", "s", Health::Healthy),
        ]);
        let mut t = InstanceTable::new();
        t.set_filter(Filter::parse("~abc"), &store);
        assert_eq!(t.filter().mode(), MatchMode::Fuzzy);
        assert_eq!(names(&t, &store), ["zabc", "a-x-b-x-c"]);
    }

    #[test]
    fn paging_and_viewport() {
        let rows = (0..25)
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
        let store = store_of(rows);
        let mut t = InstanceTable::default();
        t.refresh(&store);
        t.set_height(10);
        assert!(t.page_down(&store));
        assert_eq!(t.cursor(), 10);
        assert_eq!(t.offset(), 1);
        assert!(t.end(&store));
        assert_eq!(t.cursor(), 24);
        assert_eq!(t.offset(), 15);
        assert_eq!(t.page(&store).count(), 10);
        assert_eq!(t.page(&store).next().map(|r| r.name.as_str()), Some("r15"));
        assert!(!t.page_down(&store));
        assert!(t.page_up(&store));
        assert_eq!(t.cursor(), 14);
        assert!(t.home(&store));
        assert_eq!(t.offset(), 0);
        assert!(!t.home(&store));
        assert!(!t.move_by(-1, &store));
    }
}
