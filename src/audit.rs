//! The local audit log: one JSON object per line in
//! `<data dir>/audit.jsonl` (see [`crate::config::data_dir`]), appended
//! with a single write per record so concurrent consoles do not interleave
//! lines; read back for the audit view, with unreadable lines reported,
//! never fatal.

use std::path::PathBuf;

use crate::state::ops::AuditRecord;

/// Where the log is (None: no data directory).
pub fn path() -> Option<PathBuf> {
    crate::config::data_dir().map(|d| d.join("audit.jsonl"))
}

/// Appends one record.
pub fn append(_record: &AuditRecord) -> std::io::Result<PathBuf> {
    Err(std::io::Error::other("not implemented yet"))
}

/// Every record, oldest first, and the problems met (one per bad line).
pub fn load() -> (Vec<AuditRecord>, Vec<String>) {
    (Vec::new(), Vec::new())
}
