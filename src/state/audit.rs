//! The audit log view: the local records of every write, newest first,
//! with a filter.

use super::ops::AuditRecord;

/// The audit view.
#[derive(Debug, Clone, Default)]
pub struct AuditView {
    /// Records, oldest first, as read; None while loading.
    pub records: Option<Vec<AuditRecord>>,
    /// Lines of the log that could not be read.
    pub problems: Vec<String>,
    /// Filter text.
    pub filter: String,
    /// Selected row among the filtered records.
    pub cursor: usize,
}
