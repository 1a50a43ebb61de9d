//! The audit log view: the local records of every write, newest first,
//! with a filter.

use super::ops::{AuditRecord, AuditResult};
use crate::action::View;

/// The audit view.
#[derive(Debug, Clone)]
pub struct AuditView {
    /// Records, oldest first, as read; None while loading.
    pub records: Option<Vec<AuditRecord>>,
    /// Lines of the log that could not be read.
    pub problems: Vec<String>,
    /// Filter text.
    pub filter: String,
    /// Selected row among the filtered records.
    pub cursor: usize,
    /// The filter is being typed (keys go to it).
    pub editing_filter: bool,
    /// First filtered record on screen.
    pub scroll: usize,
    /// Where the log is, for the empty view ("the audit log is <path>").
    pub path: Option<String>,
    /// The view it was opened from, where Back returns.
    pub return_to: View,
}

impl Default for AuditView {
    fn default() -> Self {
        Self {
            records: None,
            problems: Vec::new(),
            filter: String::new(),
            cursor: 0,
            editing_filter: false,
            scroll: 0,
            path: None,
            return_to: View::Instances,
        }
    }
}

impl AuditView {
    /// The records passing the filter, newest first. The filter is a
    /// case-insensitive substring of any field (time, context, user,
    /// object, action, summary, result).
    pub fn filtered(&self) -> Vec<&AuditRecord> {
        let Some(records) = &self.records else {
            return Vec::new();
        };
        let needle = self.filter.trim().to_lowercase();
        records
            .iter()
            .rev()
            .filter(|r| needle.is_empty() || matches(r, &needle))
            .collect()
    }

    /// The selected record, if any.
    pub fn selected(&self) -> Option<&AuditRecord> {
        self.filtered().get(self.cursor).copied()
    }

    /// Moves the cursor to `to` (clamped) and scrolls so it stays within
    /// `height` rows; whether it moved.
    pub fn move_to(&mut self, to: usize, height: usize) -> bool {
        let last = self.filtered().len().saturating_sub(1);
        let to = to.min(last);
        let before = (self.cursor, self.scroll);
        self.cursor = to;
        self.scroll = keep_visible(self.cursor, self.scroll, height);
        before != (self.cursor, self.scroll)
    }
}

/// The scroll that keeps `cursor` within `height` rows, moving as little
/// as possible from `scroll`.
pub fn keep_visible(cursor: usize, scroll: usize, height: usize) -> usize {
    let height = height.max(1);
    if cursor < scroll {
        cursor
    } else if cursor >= scroll + height {
        cursor + 1 - height
    } else {
        scroll
    }
}

/// Rows of records in a body of `body_height` rows: two are kept for the
/// selected record in full and for the filter and the problems met
/// reading the log.
pub fn record_rows(body_height: usize) -> usize {
    body_height.saturating_sub(2).max(1)
}

/// The result in words, as shown and as filtered on.
pub fn result_label(result: &AuditResult) -> String {
    match result {
        AuditResult::Applied => "applied".into(),
        AuditResult::Failed(why) => format!("failed: {why}"),
    }
}

fn matches(record: &AuditRecord, needle: &str) -> bool {
    [
        record.time.as_str(),
        &record.context,
        &record.user,
        &record.object,
        &record.action,
        &record.summary,
        &result_label(&record.result),
    ]
    .iter()
    .any(|field| field.to_lowercase().contains(needle))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A record for tests.
    pub(crate) fn record(time: &str, user: &str, action: &str, result: AuditResult) -> AuditRecord {
        AuditRecord {
            time: time.into(),
            context: "osc-sandbox".into(),
            user: user.into(),
            object: "HwFka team-a/orders".into(),
            action: action.into(),
            summary: "+1 -1 lines: spec.version".into(),
            result,
        }
    }

    fn view() -> AuditView {
        AuditView {
            records: Some(vec![
                record(
                    "2026-03-14T10:00:00Z",
                    "alice",
                    "upgrade",
                    AuditResult::Applied,
                ),
                record(
                    "2026-03-14T11:00:00Z",
                    "bob",
                    "restart",
                    AuditResult::Failed("Conflict: object changed".into()),
                ),
                record(
                    "2026-03-14T12:00:00Z",
                    "alice",
                    "edit YAML",
                    AuditResult::Applied,
                ),
            ]),
            ..AuditView::default()
        }
    }

    #[test]
    fn newest_first() {
        let v = view();
        let actions: Vec<&str> = v.filtered().iter().map(|r| r.action.as_str()).collect();
        assert_eq!(actions, ["edit YAML", "restart", "upgrade"]);
        assert_eq!(v.selected().map(|r| r.action.as_str()), Some("edit YAML"));
    }

    #[test]
    fn filter_matches_any_field_ignoring_case() {
        let mut v = view();
        v.filter = "ALICE".into();
        assert_eq!(v.filtered().len(), 2);
        v.filter = "conflict".into();
        let hits: Vec<&str> = v.filtered().iter().map(|r| r.user.as_str()).collect();
        assert_eq!(hits, ["bob"], "the failure reason is searched too");
        v.filter = "failed".into();
        assert_eq!(v.filtered().len(), 1);
        v.filter = "11:00".into();
        assert_eq!(v.filtered().len(), 1);
        v.filter = "nothing like it".into();
        assert!(v.filtered().is_empty());
        assert!(v.selected().is_none());
    }

    #[test]
    fn loading_has_no_rows() {
        assert!(AuditView::default().filtered().is_empty());
    }

    #[test]
    fn moving_clamps_and_scrolls() {
        let mut v = view();
        assert!(v.move_to(10, 2));
        assert_eq!((v.cursor, v.scroll), (2, 1));
        assert!(!v.move_to(2, 2));
        assert!(v.move_to(0, 2));
        assert_eq!((v.cursor, v.scroll), (0, 0));
    }
}
