//! The local audit log: one JSON object per line in
//! `<data dir>/audit.jsonl` (see [`crate::config::data_dir`]), appended
//! with a single write per record so concurrent consoles do not interleave
//! lines; read back for the audit view, with unreadable lines reported,
//! never fatal.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::state::ops::AuditRecord;

/// Where the log is (None: no data directory).
pub fn path() -> Option<PathBuf> {
    crate::config::data_dir().map(|d| d.join("audit.jsonl"))
}

/// Appends one record to the log in the data directory.
pub fn append(record: &AuditRecord) -> std::io::Result<PathBuf> {
    let path =
        path().ok_or_else(|| std::io::Error::other("no data directory (set OSCTUI_DATA_DIR)"))?;
    append_to(&path, record)?;
    Ok(path)
}

/// Appends one record to the log at `path`, creating the file (mode 0600
/// on Unix: it names users and objects) and its directories if needed.
pub fn append_to(path: &Path, record: &AuditRecord) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut line = serde_json::to_string(record).map_err(std::io::Error::other)?;
    line.push('\n');
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    // One write of the whole line: with O_APPEND, lines of concurrent
    // writers do not interleave.
    file.write_all(line.as_bytes())
}

/// Every record of the log in the data directory, oldest first, and the
/// problems met (one per bad line). No log yet: nothing, no problem.
pub fn load() -> (Vec<AuditRecord>, Vec<String>) {
    match path() {
        Some(path) => load_from(&path),
        None => (
            Vec::new(),
            vec!["no data directory (set OSCTUI_DATA_DIR)".to_owned()],
        ),
    }
}

/// Every record of the log at `path`, oldest first, and the problems met.
pub fn load_from(path: &Path) -> (Vec<AuditRecord>, Vec<String>) {
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return (Vec::new(), Vec::new()),
        Err(e) => {
            return (
                Vec::new(),
                vec![crate::domain::text::clean(&format!(
                    "reading {}: {e}",
                    path.display()
                ))],
            );
        }
    };
    let mut records = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<AuditRecord>(line) {
            Ok(record) => records.push(record),
            Err(e) => problems.push(format!("line {}: {e}", n + 1)),
        }
    }
    (records, problems)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::ops::AuditResult;

    fn record(action: &str, result: AuditResult) -> AuditRecord {
        AuditRecord {
            time: "2026-11-28T05:00:00Z".into(),
            context: "sandbox".into(),
            user: "alice".into(),
            object: "Hwfka team-a/orders".into(),
            action: action.into(),
            summary: "replicas 3 -> 5".into(),
            result,
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("osctui-audit-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn appends_and_loads_in_order() {
        let dir = temp_dir("order");
        let path = dir.join("nested/audit.jsonl");
        let first = record("upgrade", AuditResult::Applied);
        let second = record("delete", AuditResult::Failed("conflict: changed".into()));
        append_to(&path, &first).unwrap();
        append_to(&path, &second).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.ends_with('\n'));
        let (records, problems) = load_from(&path);
        assert_eq!(records, vec![first, second]);
        assert!(problems.is_empty(), "{problems:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn bad_lines_are_problems_not_fatal() {
        let dir = temp_dir("bad");
        let path = dir.join("audit.jsonl");
        append_to(&path, &record("restart", AuditResult::Applied)).unwrap();
        let mut text = std::fs::read_to_string(&path).unwrap();
        text.push_str("{not json\n\n");
        std::fs::write(&path, &text).unwrap();
        append_to(&path, &record("upgrade", AuditResult::Applied)).unwrap();
        let (records, problems) = load_from(&path);
        assert_eq!(
            records
                .iter()
                .map(|r| r.action.as_str())
                .collect::<Vec<_>>(),
            ["restart", "upgrade"]
        );
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].starts_with("line 2: "), "{problems:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_missing_log_is_empty() {
        let dir = temp_dir("missing");
        let (records, problems) = load_from(&dir.join("audit.jsonl"));
        assert!(records.is_empty());
        assert!(problems.is_empty());
    }

    #[test]
    fn concurrent_appends_keep_whole_lines() {
        let dir = temp_dir("concurrent");
        let path = dir.join("audit.jsonl");
        let threads: Vec<_> = (0..8)
            .map(|t| {
                let path = path.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let mut r = record("restart", AuditResult::Applied);
                        r.summary = format!("{t}-{i} {}", "x".repeat(2000));
                        append_to(&path, &r).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let (records, problems) = load_from(&path);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(records.len(), 200);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
