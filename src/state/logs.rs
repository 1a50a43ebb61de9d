//! The log view: what the cluster layer streams for one instance (its
//! pods' stdout merged, one container, or a LogConfig file read through
//! exec) and the view's own state (line cap, follow, search, wrap).
//!
//! CONTRACT (shared by update/logs.rs, ui/logs.rs and cluster/logs.rs):
//! the types down to `LogEvent` are the wire between the cluster task and
//! `update`; `LogView` is owned by update/logs.rs and drawn by ui/logs.rs.

use std::borrow::Cow;
use std::collections::{BTreeMap, VecDeque};

use super::detail::InstanceRef;
use unicode_width::UnicodeWidthChar;

/// Lines kept when the configuration does not say otherwise: the oldest
/// are dropped beyond it, and the view says how many.
pub const DEFAULT_LINE_CAP: usize = 50_000;

/// Newest stored lines an incoming batch may be merged into by time (see
/// [`LogView::ingest`]): enough for the initial backlogs of 40 streams
/// (tail 500 each), and a bound on the work of one batch.
pub const MERGE_WINDOW: usize = 20_000;

/// One stream that can be shown: a container's stdout/stderr, or a file
/// inside it named by the service's LogConfig.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LogTarget {
    /// Pod name.
    pub pod: String,
    /// Container name.
    pub container: String,
    /// A LogConfig path inside the container; None for stdout/stderr.
    pub file: Option<String>,
}

impl LogTarget {
    /// "pod/container" or "pod/container:/path/file.log".
    pub fn label(&self) -> String {
        match &self.file {
            Some(file) => format!("{}/{}:{file}", self.pod, self.container),
            None => format!("{}/{}", self.pod, self.container),
        }
    }
}

/// Which streams the view shows.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum LogScope {
    /// stdout of every container of every pod of the instance, merged.
    AllPods,
    /// One stream.
    One(LogTarget),
}

/// How the streams are read (a change restarts them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LogOptions {
    /// Keep reading new lines.
    pub follow: bool,
    /// The previous (terminated) container's logs instead.
    pub previous: bool,
    /// Only lines newer than this many seconds.
    pub since_seconds: Option<i64>,
    /// Only the last this many lines of each stream at the start.
    pub tail_lines: Option<i64>,
}

impl Default for LogOptions {
    fn default() -> Self {
        Self {
            follow: true,
            previous: false,
            since_seconds: None,
            tail_lines: Some(500),
        }
    }
}

/// What the cluster layer is asked to stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogRequest {
    /// Ties every [`LogEvent`] to this request; older sessions are dropped.
    pub session: u64,
    /// The instance whose pods are read.
    pub instance: InstanceRef,
    /// Which streams.
    pub scope: LogScope,
    /// How.
    pub options: LogOptions,
}

/// One line as received. The cluster layer has already neutralized
/// control characters and escape sequences in `text` (domain::text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLine {
    /// Index of the stream it came from (see [`LogEvent::Source`]).
    pub source: u32,
    /// The line's timestamp from the API server, milliseconds since the
    /// Unix epoch, when it had one.
    pub time_ms: Option<i64>,
    /// The line, without its trailing newline.
    pub text: String,
}

/// The state of one stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamStatus {
    /// Not started yet (the pod is not running, the container is waiting).
    Waiting(String),
    /// Reading.
    Attached,
    /// The stream ended and is being opened again (pod restarted or
    /// replaced, connection lost).
    Reattaching(String),
    /// Finished for good (not following, pod deleted).
    Ended(String),
    /// Could not be read (forbidden, no such file, exec refused).
    Failed(String),
}

/// News from the log task of one session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogEvent {
    /// Every stream that can be chosen right now (all containers of all
    /// pods, plus the LogConfig files found in them), sorted.
    Targets {
        /// Session.
        session: u64,
        /// The choices.
        targets: Vec<LogTarget>,
    },
    /// A stream was opened and will send lines as `source`.
    Source {
        /// Session.
        session: u64,
        /// Its index, stable for the session.
        source: u32,
        /// What it reads.
        target: LogTarget,
    },
    /// New lines, in the order to show them.
    Lines {
        /// Session.
        session: u64,
        /// The lines.
        lines: Vec<RawLine>,
    },
    /// A stream changed state.
    Status {
        /// Session.
        session: u64,
        /// Stream index.
        source: u32,
        /// Its state.
        status: StreamStatus,
    },
    /// Something to say about the session as a whole ("no LogConfig for
    /// this service: stdout only").
    Notice {
        /// Session.
        session: u64,
        /// The text.
        text: String,
    },
}

impl LogEvent {
    /// The session it belongs to.
    pub fn session(&self) -> u64 {
        match self {
            LogEvent::Targets { session, .. }
            | LogEvent::Source { session, .. }
            | LogEvent::Lines { session, .. }
            | LogEvent::Status { session, .. }
            | LogEvent::Notice { session, .. } => *session,
        }
    }
}

/// How severe a line is, detected once when it arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LogLevel {
    /// No level found.
    Unknown,
    /// debug, trace.
    Debug,
    /// info, notice.
    Info,
    /// warn, warning.
    Warn,
    /// error, fatal, panic, critical.
    Error,
}

/// One stored line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Index of the stream it came from.
    pub source: u32,
    /// Milliseconds since the Unix epoch, when the line had a time.
    pub time_ms: Option<i64>,
    /// Severity found in the text.
    pub level: LogLevel,
    /// The text (already neutralized by the cluster layer).
    pub text: String,
}

impl LogLine {
    /// A stored line from a received one (detects the level).
    pub fn from_raw(raw: RawLine) -> Self {
        Self {
            source: raw.source,
            time_ms: raw.time_ms,
            level: detect_level(&raw.text),
            text: raw.text,
        }
    }
}

/// One stream of the session and what the view shows for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceState {
    /// What it reads.
    pub target: LogTarget,
    /// Its state.
    pub status: StreamStatus,
    /// Short label in the merged view (the pod name's distinguishing part).
    pub label: String,
}

/// Cells of the timestamp column ("HH:MM:SS.mmm ").
pub const TIME_WIDTH: usize = 13;
/// Cells continuation rows are indented by when there is no label column.
pub const CONTINUATION_INDENT: usize = 2;
/// Most cells of the pod label column.
pub const LABEL_MAX: usize = 18;

/// One screen row of a stored line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineRow<'a> {
    /// The "N older lines dropped" notice above the first kept line.
    Dropped,
    /// A piece of the line's text; `first` for the row that carries the
    /// timestamp and pod label.
    Text {
        /// The row that starts the line.
        first: bool,
        /// The text on this row.
        text: Cow<'a, str>,
    },
}

/// The log view's state (owned by update/logs.rs, drawn by ui/logs.rs).
///
/// Lines are numbered by a sequence that keeps growing as lines arrive
/// (`first_seq` is the number of `lines[0]`), so a position survives the
/// oldest lines being dropped under the cap.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogView {
    /// What is being streamed (its session tells current events from old).
    pub request: LogRequest,
    /// The view to go back to.
    pub return_to: crate::action::View,
    /// The lines kept, oldest first.
    pub lines: VecDeque<LogLine>,
    /// Most lines kept.
    pub cap: usize,
    /// Sequence number of `lines[0]`.
    pub first_seq: u64,
    /// Lines dropped under the cap this session.
    pub dropped: u64,
    /// Streams of the session by index.
    pub sources: BTreeMap<u32, SourceState>,
    /// Width of the pod label column (0: none).
    pub label_width: usize,
    /// The choices of the source picker (latest `LogEvent::Targets`).
    pub targets: Vec<LogTarget>,
    /// At the end: new lines scroll into view.
    pub pinned: bool,
    /// When not pinned: sequence number of the line at the top.
    pub top: u64,
    /// When not pinned: rows of the top line scrolled past.
    pub top_row: usize,
    /// Lines arrived since the view was paused.
    pub new_below: u64,
    /// Show timestamps.
    pub timestamps: bool,
    /// Wrap long lines (else cut with '…').
    pub wrap: bool,
    /// Show JSON lines pretty-printed.
    pub pretty_json: bool,
    /// The search (case-insensitive substring); empty for none.
    pub search: String,
    /// Sequence number of the match n/N last went to (the next one is
    /// searched from there, even when it is not the top line).
    pub search_at: Option<u64>,
    /// Lines matching the query being typed (shown on the bottom line).
    pub typing_matches: usize,
    /// The instances filter text, put back when the view closes (the
    /// bottom line shows `filter_input`, which the search uses meanwhile).
    pub saved_filter: String,
}

impl LogView {
    /// An empty view for a request.
    pub fn new(request: LogRequest, return_to: crate::action::View, cap: usize) -> Self {
        Self {
            request,
            return_to,
            lines: VecDeque::new(),
            cap: cap.max(1),
            first_seq: 0,
            dropped: 0,
            sources: BTreeMap::new(),
            label_width: 0,
            targets: Vec::new(),
            pinned: true,
            top: 0,
            top_row: 0,
            new_below: 0,
            timestamps: false,
            wrap: true,
            pretty_json: false,
            search: String::new(),
            search_at: None,
            typing_matches: 0,
            saved_filter: String::new(),
        }
    }

    /// Forgets the lines and streams (a new session starts).
    pub fn clear(&mut self) {
        self.lines.clear();
        self.first_seq = 0;
        self.dropped = 0;
        self.sources.clear();
        self.label_width = 0;
        self.pinned = true;
        self.top = 0;
        self.top_row = 0;
        self.new_below = 0;
        self.search_at = None;
    }

    /// Whether several streams are merged (the pod label column shows).
    pub fn merged(&self) -> bool {
        self.request.scope == LogScope::AllPods
    }

    /// Stores lines under the cap, in time order with the newest stored
    /// lines. O(lines + moved), `moved` at most [`MERGE_WINDOW`]: nothing
    /// else is recomputed.
    ///
    /// Why merge here rather than only in the cluster task: the streams of
    /// the merged view deliver their backlogs in separate batches (each
    /// stream attaches on its own, a status change flushes what is
    /// pending, a batch is cut at 2,000 lines), and a pod that starts or
    /// reattaches later sends lines older than the newest shown. Holding
    /// the first flush would cover only the first case and delay every
    /// view; merging an incoming batch into the tail of the buffer covers
    /// all of them without waiting. In the steady state a batch is newer
    /// than everything stored and is simply appended.
    ///
    /// Order: by `time_ms`; ties keep arrival order (stored lines first,
    /// and each batch's own order); a line without a time stays right
    /// after the line before it in its batch (at the start of a batch: after
    /// everything stored); a stored line without a time is never passed.
    /// Lines are only merged into the last [`MERGE_WINDOW`] stored lines;
    /// older ones are shown where they are. A paused view keeps the same
    /// line at its top (lines merged above it are not "new below"), and
    /// the search goes on from the same line.
    pub fn ingest(&mut self, lines: Vec<RawLine>) {
        if lines.is_empty() {
            return;
        }
        let count = lines.len() as u64;
        // The time each incoming line is ordered by.
        let mut keys = Vec::with_capacity(lines.len());
        let mut previous = i64::MAX;
        for line in &lines {
            previous = line.time_ms.unwrap_or(previous);
            keys.push(previous);
        }
        let oldest = keys.iter().copied().min().unwrap_or(i64::MAX);
        // Stored lines the batch goes (partly) before: the newest ones,
        // back to the first that is not newer than the oldest incoming.
        let limit = self.lines.len().saturating_sub(MERGE_WINDOW);
        let mut split = self.lines.len();
        while split > limit && self.lines[split - 1].time_ms.is_some_and(|t| t > oldest) {
            split -= 1;
        }
        // Positions by sequence number: the paused top line and the last
        // search match, moved along when lines go in before them.
        let base = self.first_seq + split as u64;
        let old_top = (!self.pinned).then_some(self.top);
        let old_search_at = self.search_at;
        let (mut top, mut search_at) = (old_top, old_search_at);
        let mut below = count;
        let tail: Vec<LogLine> = self.lines.drain(split..).collect();
        let mut tail = tail.into_iter().enumerate().peekable();
        let mut incoming = lines.into_iter().zip(keys).peekable();
        let mut placed = 0u64; // incoming lines placed so far
        loop {
            let take_stored = match (tail.peek(), incoming.peek()) {
                (Some((_, stored)), Some((_, key))) => stored.time_ms.is_some_and(|t| t <= *key),
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if take_stored {
                let Some((at, line)) = tail.next() else { break };
                let old_seq = base + at as u64;
                let new_seq = old_seq + placed;
                if old_top == Some(old_seq) {
                    top = Some(new_seq);
                    below = count - placed;
                }
                if old_search_at == Some(old_seq) {
                    search_at = Some(new_seq);
                }
                self.push(line);
            } else {
                let Some((raw, _)) = incoming.next() else {
                    break;
                };
                self.push(LogLine::from_raw(raw));
                placed += 1;
            }
        }
        self.search_at = search_at;
        if let Some(top) = top {
            self.top = top;
            self.new_below += below;
            // The top line itself may have been dropped.
            if self.top < self.first_seq {
                self.top = self.first_seq;
                self.top_row = 0;
            }
        }
    }

    /// Appends one line, dropping the oldest beyond the cap.
    fn push(&mut self, line: LogLine) {
        if self.lines.len() >= self.cap {
            self.lines.pop_front();
            self.first_seq += 1;
            self.dropped += 1;
        }
        self.lines.push_back(line);
    }

    /// Records a stream and recomputes the short pod labels.
    pub fn add_source(&mut self, source: u32, target: LogTarget) {
        self.sources.insert(
            source,
            SourceState {
                target,
                status: StreamStatus::Attached,
                label: String::new(),
            },
        );
        self.relabel();
    }

    /// Labels: what is left of each pod name after the part all pods share
    /// (cut at a '-'), plus the container when a pod has several streams.
    fn relabel(&mut self) {
        let pods: Vec<&str> = self
            .sources
            .values()
            .map(|s| s.target.pod.as_str())
            .collect();
        let mut common = pods.first().map_or(0, |p| p.len());
        for pod in &pods {
            common = common.min(common_prefix(pods[0], pod));
        }
        let shared = pods.first().map_or("", |p| &p[..common]);
        // Cut back to just after a '-' so a label never starts mid-word,
        // and keep one more part when that leaves very little ("0" says
        // less than "kafka-0").
        let mut cut = shared.rfind('-').map_or(0, |at| at + 1);
        let shortest = pods.iter().map(|p| p.len() - cut.min(p.len())).min();
        if shortest.is_some_and(|n| n < 4) && cut > 0 {
            cut = shared[..cut - 1].rfind('-').map_or(0, |at| at + 1);
        }
        let mut per_pod: BTreeMap<&str, usize> = BTreeMap::new();
        for s in self.sources.values() {
            *per_pod.entry(s.target.pod.as_str()).or_default() += 1;
        }
        let labels: Vec<(u32, String)> = self
            .sources
            .iter()
            .map(|(index, s)| {
                let pod = &s.target.pod;
                let mut label = match pod.get(cut..) {
                    Some(rest) if !rest.is_empty() => rest.to_owned(),
                    _ => pod.clone(),
                };
                if per_pod.get(pod.as_str()).copied().unwrap_or(0) > 1 {
                    label.push('/');
                    label.push_str(&s.target.container);
                }
                (*index, crate::domain::text::clean(&label))
            })
            .collect();
        let mut width = 0;
        for (index, label) in labels {
            width = width.max(unicode_width::UnicodeWidthStr::width(label.as_str()));
            if let Some(s) = self.sources.get_mut(&index) {
                s.label = label;
            }
        }
        self.label_width = width.min(LABEL_MAX);
    }

    /// Cells left for the text of a line on a screen `total` cells wide:
    /// one cell of margin, the timestamp and pod label columns.
    pub fn text_width(&self, total: u16) -> usize {
        let mut used = 1;
        if self.timestamps {
            used += TIME_WIDTH;
        }
        if self.labels_shown() {
            used += self.label_width + 1;
        } else {
            // Continuation rows are indented instead, so a wrapped line
            // does not read as several.
            used += CONTINUATION_INDENT;
        }
        usize::from(total).saturating_sub(used).max(1)
    }

    /// Whether the pod label column is drawn (merged scope, streams known).
    pub fn labels_shown(&self) -> bool {
        self.merged() && self.label_width > 0
    }

    /// How many screen rows line `index` takes.
    pub fn row_count(&self, index: usize, text_width: usize) -> usize {
        let notice = usize::from(index == 0 && self.dropped > 0);
        if !self.wrap && !self.pretty_json {
            return 1 + notice;
        }
        self.line_rows(index, text_width).len()
    }

    /// The screen rows of line `index` (only called for lines near the
    /// viewport: wrapping and pretty-printing are done on demand).
    pub fn line_rows(&self, index: usize, text_width: usize) -> Vec<LineRow<'_>> {
        let mut rows = Vec::new();
        if index == 0 && self.dropped > 0 {
            rows.push(LineRow::Dropped);
        }
        let Some(line) = self.lines.get(index) else {
            return rows;
        };
        let pretty = self.pretty_json.then(|| pretty_json(&line.text)).flatten();
        let mut texts: Vec<Cow<'_, str>> = Vec::new();
        match pretty {
            Some(pretty) => {
                for part in pretty.lines() {
                    if self.wrap {
                        texts.extend(
                            wrap(part, text_width)
                                .into_iter()
                                .map(|c| Cow::Owned(c.to_owned())),
                        );
                    } else {
                        texts.push(Cow::Owned(part.to_owned()));
                    }
                }
            }
            None if self.wrap => {
                texts.extend(wrap(&line.text, text_width).into_iter().map(Cow::Borrowed))
            }
            None => texts.push(Cow::Borrowed(line.text.as_str())),
        }
        rows.extend(
            texts
                .into_iter()
                .enumerate()
                .map(|(i, text)| LineRow::Text {
                    first: i == 0,
                    text,
                }),
        );
        rows
    }

    /// The sequence number of line `index`.
    pub fn seq(&self, index: usize) -> u64 {
        self.first_seq + index as u64
    }

    /// The position at the end: the line and row at the top when the last
    /// row is at the bottom of `height` rows.
    pub fn end_top(&self, text_width: usize, height: usize) -> (usize, usize) {
        let mut rows = 0;
        for index in (0..self.lines.len()).rev() {
            rows += self.row_count(index, text_width);
            if rows >= height {
                return (index, rows - height);
            }
        }
        (0, 0)
    }

    /// The line and row at the top of the viewport.
    pub fn top_position(&self, text_width: usize, height: usize) -> (usize, usize) {
        if self.pinned || self.lines.is_empty() {
            return self.end_top(text_width, height);
        }
        let index = self.top.saturating_sub(self.first_seq) as usize;
        let index = index.min(self.lines.len() - 1);
        let last = self.row_count(index, text_width).saturating_sub(1);
        (index, self.top_row.min(last))
    }

    /// Whether a viewport starting at (`index`, `row`) shows the last row.
    fn shows_end(&self, index: usize, row: usize, text_width: usize, height: usize) -> bool {
        let mut rows = 0;
        for i in index..self.lines.len() {
            rows += self.row_count(i, text_width);
            if i == index {
                rows -= row.min(rows);
            }
            if rows > height {
                return false;
            }
        }
        true
    }

    /// Scrolls by `delta` rows (negative: up). Scrolling up pauses;
    /// reaching the end again resumes following. Returns whether the view
    /// moved or changed state.
    pub fn scroll(&mut self, delta: isize, text_width: usize, height: usize) -> bool {
        if self.lines.is_empty() {
            return false;
        }
        let (mut index, mut row) = self.top_position(text_width, height);
        let before = (index, row);
        if delta < 0 {
            let mut n = delta.unsigned_abs();
            while n > 0 {
                if row >= n {
                    row -= n;
                    break;
                }
                n -= row;
                if index == 0 {
                    row = 0;
                    break;
                }
                index -= 1;
                n -= 1;
                row = self.row_count(index, text_width) - 1;
            }
        } else {
            let mut n = delta.unsigned_abs();
            let (end_index, end_row) = self.end_top(text_width, height);
            while n > 0 && (index, row) < (end_index, end_row) {
                let rows = self.row_count(index, text_width);
                if row + 1 < rows {
                    row += 1;
                } else {
                    index += 1;
                    row = 0;
                }
                n -= 1;
            }
        }
        if (index, row) == before {
            return false;
        }
        self.set_top(index, row, text_width, height)
    }

    /// Puts line `index` (row `row`) at the top; pins when that shows the
    /// end. Returns whether anything changed.
    pub fn set_top(&mut self, index: usize, row: usize, text_width: usize, height: usize) -> bool {
        let was = (self.pinned, self.top, self.top_row);
        if self.shows_end(index, row, text_width, height) {
            self.pin();
        } else {
            if self.pinned {
                self.new_below = 0;
            }
            self.pinned = false;
            self.top = self.seq(index);
            self.top_row = row;
        }
        was != (self.pinned, self.top, self.top_row)
    }

    /// Follows the end again.
    pub fn pin(&mut self) {
        self.pinned = true;
        self.new_below = 0;
        self.top = 0;
        self.top_row = 0;
    }

    /// Index of the first line matching `query` in `range` order.
    pub fn find(&self, query: &str, mut indices: impl Iterator<Item = usize>) -> Option<usize> {
        let needle = query.to_lowercase();
        indices.find(|&i| {
            self.lines
                .get(i)
                .is_some_and(|l| contains_ci(&l.text, &needle))
        })
    }

    /// Lines matching `query`.
    pub fn count_matches(&self, query: &str) -> usize {
        if query.is_empty() {
            return 0;
        }
        let needle = query.to_lowercase();
        self.lines
            .iter()
            .filter(|l| contains_ci(&l.text, &needle))
            .count()
    }

    /// A short account of the streams ("3 streams attached, 1 reattaching:
    /// pod restarted").
    pub fn streams_summary(&self) -> String {
        let mut attached = 0;
        let mut others: Vec<(&str, usize, &str)> = Vec::new();
        for s in self.sources.values() {
            let (kind, reason) = match &s.status {
                StreamStatus::Attached => {
                    attached += 1;
                    continue;
                }
                StreamStatus::Waiting(r) => ("waiting", r),
                StreamStatus::Reattaching(r) => ("reattaching", r),
                StreamStatus::Ended(r) => ("ended", r),
                StreamStatus::Failed(r) => ("failed", r),
            };
            match others.iter_mut().find(|(k, _, _)| *k == kind) {
                Some(entry) => entry.1 += 1,
                None => others.push((kind, 1, reason.as_str())),
            }
        }
        let mut parts = Vec::new();
        if attached > 0 {
            let s = if attached == 1 { "" } else { "s" };
            parts.push(format!("{attached} stream{s} attached"));
        }
        for (kind, n, reason) in others {
            if reason.is_empty() {
                parts.push(format!("{n} {kind}"));
            } else {
                parts.push(format!("{n} {kind}: {reason}"));
            }
        }
        parts.join(", ")
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((at, _), _)| at)
}

/// Splits text into pieces of at most `width` cells (at least one piece),
/// at a space when there is one in the second half of the piece.
pub fn wrap(text: &str, width: usize) -> Vec<&str> {
    let width = width.max(1);
    let mut out = Vec::new();
    let mut start = 0;
    let mut used = 0;
    // Just after the last space of the piece, with the cells up to it.
    let mut space: Option<(usize, usize)> = None;
    for (at, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        if used + w > width && at > start {
            match space {
                Some((after, cells)) if cells * 2 > width => {
                    out.push(&text[start..after]);
                    start = after;
                    used -= cells;
                }
                _ => {
                    out.push(&text[start..at]);
                    start = at;
                    used = 0;
                }
            }
            space = None;
        }
        used += w;
        if c == ' ' {
            space = Some((at + 1, used));
        }
    }
    if start < text.len() || out.is_empty() {
        out.push(&text[start..]);
    }
    out
}

/// The line pretty-printed when it is a JSON object, its fields in their
/// order (re-indented from the text, not re-serialized, so nothing is
/// reordered or reformatted).
pub fn pretty_json(text: &str) -> Option<String> {
    let text = text.trim();
    if !text.starts_with('{') {
        return None;
    }
    // Only well-formed objects; the re-indenting below relies on it.
    serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text).ok()?;
    const INDENT: &str = "  ";
    let mut out = String::with_capacity(text.len() * 2);
    let mut depth = 0usize;
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        for _ in 0..depth {
            out.push_str(INDENT);
        }
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                out.push('"');
                let mut escaped = false;
                for c in chars.by_ref() {
                    out.push(c);
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        break;
                    }
                }
            }
            '{' | '[' => {
                out.push(c);
                while chars.next_if(|c| c.is_whitespace()).is_some() {}
                let close = if c == '{' { '}' } else { ']' };
                if chars.next_if_eq(&close).is_some() {
                    out.push(close);
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(',');
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Some(out)
}

/// Whether `hay` contains `needle_lower` (already lowercase), ignoring
/// case, without allocating for ASCII needles.
pub fn contains_ci(hay: &str, needle_lower: &str) -> bool {
    if needle_lower.is_empty() {
        return true;
    }
    if needle_lower.is_ascii() {
        return find_ascii_ci(hay.as_bytes(), needle_lower.as_bytes()).is_some();
    }
    hay.to_lowercase().contains(needle_lower)
}

/// Byte ranges in `text` matching `needle_lower`, ignoring case (for the
/// highlight; ASCII needles only map to exact byte ranges, others are
/// searched char by char).
pub fn match_ranges(text: &str, needle_lower: &str) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    if needle_lower.is_empty() {
        return out;
    }
    if needle_lower.is_ascii() {
        let bytes = text.as_bytes();
        let mut from = 0;
        while let Some(at) = find_ascii_ci(&bytes[from..], needle_lower.as_bytes()) {
            let start = from + at;
            let end = start + needle_lower.len();
            out.push(start..end);
            from = end;
        }
        return out;
    }
    let needle: Vec<char> = needle_lower.chars().collect();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i + needle.len() <= chars.len() {
        let hit = needle
            .iter()
            .enumerate()
            .all(|(k, n)| chars[i + k].1.to_lowercase().eq(std::iter::once(*n)));
        if hit {
            let start = chars[i].0;
            let last = i + needle.len() - 1;
            let end = chars[last].0 + chars[last].1.len_utf8();
            out.push(start..end);
            i += needle.len();
        } else {
            i += 1;
        }
    }
    out
}

fn find_ascii_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    if needle.len() > hay.len() {
        return None;
    }
    let last = hay.len() - needle.len();
    // For a letter, `b | 0x20` folds case in one step (the hot loop).
    let fold = if first.is_ascii_alphabetic() { 0x20 } else { 0 };
    let mut i = 0;
    while i <= last {
        let at = hay[i..=last].iter().position(|&b| b | fold == first)?;
        let start = i + at;
        if hay[start + 1..start + needle.len()].eq_ignore_ascii_case(rest) {
            return Some(start);
        }
        i = start + 1;
    }
    None
}

/// Bytes of a line looked at for a level: levels come early.
const LEVEL_SCAN: usize = 256;

/// The level of a line: a JSON `level`/`severity`/`lvl` field, a klog
/// prefix (`E0312 ...`), `level=warn`, or a word such as ERROR, WARN,
/// [info] near the start. Lower-case words count only after `level=`, in
/// brackets or opening the line before a ':', so prose ("no error") is not
/// taken for a level.
pub fn detect_level(text: &str) -> LogLevel {
    let head = &text.as_bytes()[..text.len().min(LEVEL_SCAN)];
    let trimmed = text.trim_start();
    if trimmed.starts_with('{') {
        for key in ["\"level\"", "\"severity\"", "\"lvl\"", "\"loglevel\""] {
            if let Some(level) = json_level(text.as_bytes(), key.as_bytes()) {
                return level;
            }
        }
    }
    if let Some(level) = klog_level(head) {
        return level;
    }
    let mut i = 0;
    while i < head.len() {
        if !head[i].is_ascii_alphabetic() {
            i += 1;
            continue;
        }
        let start = i;
        while i < head.len() && head[i].is_ascii_alphabetic() {
            i += 1;
        }
        // A word inside a longer identifier ("warnings_total", "x2error")
        // is not a level.
        let before = start.checked_sub(1).map(|b| head[b]);
        let after = head.get(i).copied();
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
            || after.is_some_and(|a| a.is_ascii_digit() || a == b'_')
        {
            continue;
        }
        let word = &head[start..i];
        let Some(level) = level_word(word) else {
            continue;
        };
        let upper = word.iter().all(u8::is_ascii_uppercase);
        let bracketed = before == Some(b'[') && after == Some(b']');
        let keyed = before == Some(b'=') && {
            let key = &head[..start - 1];
            [&b"level"[..], b"lvl", b"severity"]
                .iter()
                .any(|k| key.len() >= k.len() && key[key.len() - k.len()..].eq_ignore_ascii_case(k))
        };
        // "error: ...", "panic: ..." opening the line.
        let leading = start == 0 && after == Some(b':');
        if upper || bracketed || keyed || leading {
            return level;
        }
    }
    LogLevel::Unknown
}

fn level_word(word: &[u8]) -> Option<LogLevel> {
    const WORDS: [(&str, LogLevel); 16] = [
        ("error", LogLevel::Error),
        ("err", LogLevel::Error),
        ("fatal", LogLevel::Error),
        ("panic", LogLevel::Error),
        ("critical", LogLevel::Error),
        ("crit", LogLevel::Error),
        ("emerg", LogLevel::Error),
        ("alert", LogLevel::Error),
        ("warn", LogLevel::Warn),
        ("warning", LogLevel::Warn),
        ("info", LogLevel::Info),
        ("notice", LogLevel::Info),
        ("debug", LogLevel::Debug),
        ("trace", LogLevel::Debug),
        ("dbug", LogLevel::Debug),
        ("eror", LogLevel::Error),
    ];
    WORDS
        .iter()
        .find(|(w, _)| word.eq_ignore_ascii_case(w.as_bytes()))
        .map(|(_, l)| *l)
}

/// `"level": "warn"` (or a bunyan-style number) in a JSON line.
fn json_level(text: &[u8], key: &[u8]) -> Option<LogLevel> {
    let at = text
        .windows(key.len())
        .position(|w| w.eq_ignore_ascii_case(key))?;
    let mut i = at + key.len();
    let skip = |i: &mut usize| {
        while *i < text.len() && text[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    skip(&mut i);
    if text.get(i) != Some(&b':') {
        return None;
    }
    i += 1;
    skip(&mut i);
    match text.get(i)? {
        b'"' => {
            let start = i + 1;
            let len = text[start..].iter().position(|&b| b == b'"')?;
            level_word(&text[start..start + len])
        }
        b'0'..=b'9' => {
            let len = text[i..].iter().take_while(|b| b.is_ascii_digit()).count();
            let n: u32 = std::str::from_utf8(&text[i..i + len]).ok()?.parse().ok()?;
            Some(match n {
                50.. => LogLevel::Error,
                40..=49 => LogLevel::Warn,
                30..=39 => LogLevel::Info,
                _ => LogLevel::Debug,
            })
        }
        _ => None,
    }
}

/// klog's `E0312 12:00:00.000000 ...` prefix.
fn klog_level(head: &[u8]) -> Option<LogLevel> {
    let level = match head.first()? {
        b'E' | b'F' => LogLevel::Error,
        b'W' => LogLevel::Warn,
        b'I' => LogLevel::Info,
        _ => return None,
    };
    let digits = head.get(1..5)?;
    (digits.iter().all(u8::is_ascii_digit) && head.get(5) == Some(&b' ')).then_some(level)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::rows::ServiceKind;

    fn view(cap: usize) -> LogView {
        let request = LogRequest {
            session: 1,
            instance: InstanceRef {
                uid: "u".into(),
                name: "orders".into(),
                namespace: "team-a".into(),
                service: "kafka".into(),
                kind: ServiceKind::Operator,
            },
            scope: LogScope::AllPods,
            options: LogOptions::default(),
        };
        LogView::new(request, crate::action::View::Instances, cap)
    }

    fn raw(source: u32, time_ms: Option<i64>, text: &str) -> RawLine {
        RawLine {
            source,
            time_ms,
            text: text.into(),
        }
    }

    /// A stream's backlog: `n` lines `step` ms apart from `start`,
    /// named "<name><time>".
    fn backlog(source: u32, name: &str, start: i64, step: i64, n: usize) -> Vec<RawLine> {
        (0..n as i64)
            .map(|i| {
                let t = start + i * step;
                raw(source, Some(t), &format!("{name}{t}"))
            })
            .collect()
    }

    fn texts(v: &LogView) -> Vec<&str> {
        v.lines.iter().map(|l| l.text.as_str()).collect()
    }

    /// Every stored line's time, checked to be in order.
    fn assert_in_time_order(v: &LogView) {
        let times: Vec<i64> = v.lines.iter().filter_map(|l| l.time_ms).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "{times:?}");
    }

    #[test]
    fn backlogs_in_separate_batches_interleave() {
        let mut v = view(1_000);
        // Three pods logging every 3 ms, shifted by one: their backlogs
        // come one after the other.
        v.ingest(backlog(0, "a", 0, 3, 500));
        v.ingest(backlog(1, "b", 1, 3, 500));
        v.ingest(backlog(2, "c", 2, 3, 500));
        assert_eq!(v.lines.len(), 1_000);
        assert_eq!(v.dropped, 500);
        assert_eq!(v.first_seq, 500);
        assert_in_time_order(&v);
        // The newest 1,000 of 1,500 lines, taking turns.
        assert_eq!(&texts(&v)[..4], ["c500", "a501", "b502", "c503"]);
        assert_eq!(texts(&v)[999], "c1499");
        // Later lines are simply appended.
        v.ingest(backlog(0, "a", 1_500, 3, 2));
        assert_eq!(&texts(&v)[998..], ["a1500", "a1503"]);
    }

    #[test]
    fn ties_keep_arrival_order() {
        let mut v = view(100);
        v.ingest(vec![raw(0, Some(5), "a5"), raw(0, Some(7), "a7")]);
        v.ingest(vec![
            raw(1, Some(5), "b5"),
            raw(1, Some(5), "b5 again"),
            raw(1, Some(7), "b7"),
        ]);
        // Stored lines before incoming ones of the same time; the batch
        // keeps its own order.
        assert_eq!(texts(&v), ["a5", "b5", "b5 again", "a7", "b7"]);
    }

    #[test]
    fn lines_without_a_time_keep_their_place() {
        let mut v = view(100);
        v.ingest(vec![raw(0, Some(10), "a10"), raw(0, None, "a10 more")]);
        // A stored line without a time is never passed: an older batch
        // goes after it.
        v.ingest(vec![raw(1, Some(5), "b5")]);
        assert_eq!(texts(&v), ["a10", "a10 more", "b5"]);
        v.ingest(vec![raw(0, Some(20), "a20")]);
        // An untimed incoming line follows the line before it in its batch.
        v.ingest(vec![raw(1, Some(15), "b15"), raw(1, None, "b15 more")]);
        assert_eq!(texts(&v)[3..], ["b15", "b15 more", "a20"]);
        // One at the start of a batch goes after everything stored, and
        // so does the rest of its batch.
        v.ingest(vec![raw(1, None, "b?"), raw(1, Some(16), "b16")]);
        assert_eq!(texts(&v)[5..], ["a20", "b?", "b16"]);
        // A file without times: arrival order.
        let mut file = view(100);
        file.ingest(vec![raw(0, None, "x"), raw(0, None, "y")]);
        file.ingest(vec![raw(0, None, "z")]);
        assert_eq!(texts(&file), ["x", "y", "z"]);
    }

    #[test]
    fn the_cap_counts_what_a_merge_drops() {
        let mut v = view(10);
        v.ingest(backlog(0, "a", 0, 2, 8));
        v.ingest(backlog(1, "b", 1, 2, 8));
        // 16 lines, 10 kept: the 6 oldest of the merged order went.
        assert_eq!(v.lines.len(), 10);
        assert_eq!(v.dropped, 6);
        assert_eq!(v.first_seq, 6);
        assert_eq!(texts(&v)[0], "a6");
        assert_eq!(texts(&v)[9], "b15");
        assert_in_time_order(&v);
        // A batch bigger than the cap: only its newest lines stay.
        v.ingest(backlog(2, "c", 4, 1, 30));
        assert_eq!(v.lines.len(), 10);
        assert_eq!(v.dropped, 6 + 30);
        assert_eq!(v.first_seq, 36);
        assert_eq!(texts(&v)[9], "c33");
        assert_in_time_order(&v);
    }

    #[test]
    fn a_paused_view_keeps_its_place() {
        let mut v = view(1_000);
        v.ingest(backlog(0, "a", 0, 10, 20)); // a0 .. a190
        // Paused with a100 at the top (its second row), the last search
        // match on a150.
        v.pinned = false;
        v.top = v.seq(10);
        v.top_row = 1;
        v.search_at = Some(v.seq(15));
        // 20 lines of another pod, 5 ms after each of a's.
        v.ingest(backlog(1, "b", 5, 10, 20));
        assert!(!v.pinned);
        let top = (v.top - v.first_seq) as usize;
        assert_eq!(v.lines[top].text, "a100", "the same line at the top");
        assert_eq!(v.top_row, 1);
        let at = v.search_at.map(|s| (s - v.first_seq) as usize);
        assert_eq!(at.map(|i| v.lines[i].text.as_str()), Some("a150"));
        // b5..b95 went above the top line: only the 10 below are new.
        assert_eq!(v.new_below, 10);
        assert_in_time_order(&v);
        // Appending counts every line.
        v.ingest(backlog(1, "b", 1_000, 1, 3));
        assert_eq!(v.new_below, 13);
        let top = (v.top - v.first_seq) as usize;
        assert_eq!(v.lines[top].text, "a100");
    }

    #[test]
    fn a_paused_top_line_dropped_under_the_cap_moves_to_the_oldest() {
        let mut v = view(10);
        v.ingest(backlog(0, "a", 0, 10, 10));
        v.pinned = false;
        v.top = v.seq(1);
        v.ingest(backlog(1, "b", 5, 10, 10));
        assert_eq!(v.first_seq, 10);
        assert_eq!(v.top, v.first_seq);
        assert_eq!(v.top_row, 0);
        assert_in_time_order(&v);
    }

    #[test]
    fn only_the_newest_lines_are_merged_into() {
        let mut v = view(MERGE_WINDOW * 2);
        v.ingest(backlog(0, "a", 0, 2, MERGE_WINDOW + 10));
        v.ingest(vec![raw(1, Some(1), "b1")]);
        // Older than every stored line, but it goes only as far back as
        // the window reaches.
        let at = texts(&v).iter().position(|t| *t == "b1");
        assert_eq!(at, Some(10));
    }
}
