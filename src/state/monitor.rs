//! The monitoring view: CPU and memory of an instance's pods from
//! metrics.k8s.io against their requests and limits, and the service's
//! MonitorConfig metrics scraped from its exporters, kept as short
//! histories for sparklines over the time the view has been open.
//!
//! CONTRACT (shared by update/monitor.rs, ui/monitor.rs and
//! cluster/metrics.rs): the types down to `MetricsEvent` are the wire
//! between the cluster task and `update`.

use std::collections::VecDeque;

use unicode_width::UnicodeWidthChar;

use super::detail::InstanceRef;
use crate::domain::text::sanitize;

/// What the cluster layer is asked to watch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricsRequest {
    /// Ties every [`MetricsEvent`] to this request.
    pub session: u64,
    /// The instance.
    pub instance: InstanceRef,
}

/// One pod's resource usage and what it asked for.
#[derive(Debug, Clone, PartialEq)]
pub struct PodUsage {
    /// Pod name.
    pub pod: String,
    /// CPU in use, millicores (sum of the containers).
    pub cpu_millis: f64,
    /// Memory in use (working set), bytes.
    pub memory_bytes: f64,
    /// Sum of the containers' CPU requests, millicores, when all set one.
    pub cpu_request_millis: Option<f64>,
    /// Sum of the CPU limits, millicores, when all set one.
    pub cpu_limit_millis: Option<f64>,
    /// Sum of the memory requests, bytes.
    pub memory_request_bytes: Option<f64>,
    /// Sum of the memory limits, bytes.
    pub memory_limit_bytes: Option<f64>,
}

/// A chart of the MonitorConfig, in its level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetricLayout {
    /// `metrics[].title`.
    pub title: String,
    /// Unit for the axis ("msg/s").
    pub unit: Option<String>,
    /// Shown when the level opens (`selectedMetrics`).
    pub selected: bool,
}

/// A level (tab) of the MonitorConfig.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelLayout {
    /// `levels[].name`.
    pub name: String,
    /// `groupLabel`: series are split by this label's value.
    pub group_label: Option<String>,
    /// Charts, in the config's order.
    pub metrics: Vec<MetricLayout>,
}

/// One value of one chart at one scrape.
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapedValue {
    /// Index into the layout's levels.
    pub level: usize,
    /// Index into that level's metrics.
    pub metric: usize,
    /// The group label's value, when the level has one.
    pub group: Option<String>,
    /// The value (counters already turned into a rate per second).
    pub value: f64,
}

/// News from the metrics task of one session.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricsEvent {
    /// A reading of metrics.k8s.io for every pod of the instance.
    Usage {
        /// Session.
        session: u64,
        /// When, seconds since the Unix epoch.
        at: i64,
        /// One entry per pod.
        pods: Vec<PodUsage>,
    },
    /// metrics.k8s.io cannot be read, in words (not installed, forbidden).
    UsageMissing {
        /// Session.
        session: u64,
        /// Why.
        reason: String,
    },
    /// The charts the MonitorConfig asks for.
    Layout {
        /// Session.
        session: u64,
        /// The levels.
        levels: Vec<LevelLayout>,
    },
    /// One scrape of the exporters (or one Prometheus query round).
    Scraped {
        /// Session.
        session: u64,
        /// When, seconds since the Unix epoch.
        at: i64,
        /// The values found.
        values: Vec<ScrapedValue>,
        /// How they were read ("pod proxy", "port-forward", "Prometheus").
        via: String,
    },
    /// The MonitorConfig metrics cannot be read, in words (no
    /// MonitorConfig, exporter unreachable).
    ScrapeMissing {
        /// Session.
        session: u64,
        /// Why.
        reason: String,
    },
}

impl MetricsEvent {
    /// The session it belongs to.
    pub fn session(&self) -> u64 {
        match self {
            MetricsEvent::Usage { session, .. }
            | MetricsEvent::UsageMissing { session, .. }
            | MetricsEvent::Layout { session, .. }
            | MetricsEvent::Scraped { session, .. }
            | MetricsEvent::ScrapeMissing { session, .. } => *session,
        }
    }
}

/// Points kept per series: at one reading every ~10 s, half an hour.
pub const HISTORY_POINTS: usize = 180;

/// Readings a pod (or a chart's group) may be absent from before it is
/// dropped: one missed reading is often a restart or a slow scrape.
pub const MISSES_BEFORE_DROP: u32 = 3;

/// A bounded history of one value, oldest first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Series {
    points: VecDeque<(i64, f64)>,
}

impl Series {
    /// Adds a point, forgetting the oldest beyond [`HISTORY_POINTS`].
    pub fn push(&mut self, at: i64, value: f64) {
        if self.points.len() == HISTORY_POINTS {
            self.points.pop_front();
        }
        self.points.push_back((at, value));
    }

    /// The points, oldest first: (seconds since the epoch, value).
    pub fn points(&self) -> impl DoubleEndedIterator<Item = (i64, f64)> + ExactSizeIterator + '_ {
        self.points.iter().copied()
    }

    /// The latest value.
    pub fn latest(&self) -> Option<f64> {
        self.points.back().map(|p| p.1)
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.points.len()
    }

    /// Whether there is no point yet.
    pub fn is_empty(&self) -> bool {
        self.points.is_empty()
    }

    /// Seconds between the first and the last point.
    pub fn span(&self) -> i64 {
        match (self.points.front(), self.points.back()) {
            (Some(first), Some(last)) => last.0 - first.0,
            _ => 0,
        }
    }
}

/// What a pod (or the instance) asked for: requests and limits.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Allocation {
    /// CPU request, millicores.
    pub cpu_request_millis: Option<f64>,
    /// CPU limit, millicores.
    pub cpu_limit_millis: Option<f64>,
    /// Memory request, bytes.
    pub memory_request_bytes: Option<f64>,
    /// Memory limit, bytes.
    pub memory_limit_bytes: Option<f64>,
}

impl Allocation {
    /// What a pod's reading says it asked for.
    pub fn of(pod: &PodUsage) -> Self {
        Self {
            cpu_request_millis: pod.cpu_request_millis,
            cpu_limit_millis: pod.cpu_limit_millis,
            memory_request_bytes: pod.memory_request_bytes,
            memory_limit_bytes: pod.memory_limit_bytes,
        }
    }
}

/// CPU and memory histories of one pod, or of the instance.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UsageHistory {
    /// CPU in use, millicores.
    pub cpu: Series,
    /// Memory in use, bytes.
    pub memory: Series,
    /// Requests and limits at the latest reading.
    pub allocation: Allocation,
}

/// One pod on the Resources tab.
#[derive(Debug, Clone, PartialEq)]
pub struct PodHistory {
    /// Pod name (from the cluster: sanitize before drawing).
    pub name: String,
    /// Its usage over time.
    pub usage: UsageHistory,
    /// Readings in a row it was absent from.
    pub missed: u32,
}

/// One series of a chart: the whole chart, or one value of the level's
/// group label (a topic, a queue).
#[derive(Debug, Clone, PartialEq)]
pub struct GroupHistory {
    /// The group label's value; None for a chart without groups.
    pub group: Option<String>,
    /// Its values over time.
    pub series: Series,
    /// Scrapes in a row it was absent from.
    pub missed: u32,
}

/// A tab of the monitoring view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorTab {
    /// CPU and memory from metrics.k8s.io.
    Resources,
    /// A level of the MonitorConfig, by index into the layout.
    Level(usize),
}

/// A line of the current tab's body, in order: the UI draws one screen
/// row per line, and scrolling counts them, so both agree on the length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MonitorLine {
    /// An empty row.
    Blank,
    /// No Usage event nor failure yet.
    WaitingUsage,
    /// Row `n` of [`MonitorView::usage_message`], wrapped to the width.
    UsageMissing(usize),
    /// The instance total's heading (pod count, time covered).
    TotalHeading,
    /// The instance total's CPU.
    TotalCpu,
    /// The instance total's memory.
    TotalMemory,
    /// A pod's name.
    PodHeading(usize),
    /// A pod's CPU.
    PodCpu(usize),
    /// A pod's memory.
    PodMemory(usize),
    /// The state of the MonitorConfig metrics, at the foot of Resources:
    /// row `n` of it, wrapped to the width when it is a failure.
    ScrapeFooter(usize),
    /// Row `n` of [`MonitorView::scrape_message`] (level tabs).
    ScrapeMissing(usize),
    /// No scrape has arrived yet (level tabs).
    WaitingScrape,
    /// The level has no charts.
    NoCharts,
    /// A chart's title row: (level, metric).
    ChartTitle(usize, usize),
    /// One series of a chart: (level, metric, index into its groups).
    ChartSeries(usize, usize, usize),
    /// A chart without any value in the recent scrapes.
    ChartEmpty(usize, usize),
    /// Separates the selected metrics from the others.
    OtherMetrics,
}

/// The monitoring view's state (owned by update/monitor.rs, drawn by
/// ui/monitor.rs).
#[derive(Debug, Clone, PartialEq)]
pub struct MonitorView {
    /// What is being read.
    pub request: MetricsRequest,
    /// The view to go back to.
    pub return_to: crate::action::View,
    /// The tab shown.
    pub tab: MonitorTab,
    /// First body line on screen.
    pub scroll: usize,
    /// Whether a Usage or UsageMissing event has arrived.
    pub usage_seen: bool,
    /// Why metrics.k8s.io cannot be read, until a reading arrives again.
    pub usage_missing: Option<String>,
    /// Pods, sorted by name.
    pub pods: Vec<PodHistory>,
    /// The instance: sums over its pods at each reading.
    pub total: UsageHistory,
    /// The MonitorConfig's levels, once known.
    pub layout: Option<Vec<LevelLayout>>,
    /// Per level, per chart: its series, sorted by group.
    pub charts: Vec<Vec<Vec<GroupHistory>>>,
    /// Why the MonitorConfig metrics cannot be read, until a scrape works.
    pub scrape_missing: Option<String>,
    /// How the latest scrape was read ("pod proxy").
    pub via: Option<String>,
    /// Scrapes received.
    pub scrapes: u64,
}

impl MonitorView {
    /// A view of `request` with nothing read yet; `pods` are names known
    /// beforehand (from the detail), listed until readings replace them.
    pub fn new(request: MetricsRequest, return_to: crate::action::View, pods: Vec<String>) -> Self {
        let mut pods: Vec<PodHistory> = pods
            .into_iter()
            .map(|name| PodHistory {
                name,
                usage: UsageHistory::default(),
                missed: 0,
            })
            .collect();
        pods.sort_by(|a, b| a.name.cmp(&b.name));
        pods.dedup_by(|a, b| a.name == b.name);
        Self {
            request,
            return_to,
            tab: MonitorTab::Resources,
            scroll: 0,
            usage_seen: false,
            usage_missing: None,
            pods,
            total: UsageHistory::default(),
            layout: None,
            charts: Vec::new(),
            scrape_missing: None,
            via: None,
            scrapes: 0,
        }
    }

    /// The tabs: Resources, then one per MonitorConfig level.
    pub fn tabs(&self) -> Vec<MonitorTab> {
        let levels = self.layout.as_ref().map_or(0, Vec::len);
        std::iter::once(MonitorTab::Resources)
            .chain((0..levels).map(MonitorTab::Level))
            .collect()
    }

    /// The lines of the current tab's body, for a body `width` cells wide
    /// (failures are wrapped to it: they are what the user must read).
    pub fn lines(&self, width: usize) -> Vec<MonitorLine> {
        match self.tab {
            MonitorTab::Resources => self.resource_lines(width),
            MonitorTab::Level(level) => self.level_lines(level, width),
        }
    }

    /// Why metrics.k8s.io cannot be read, as shown.
    pub fn usage_message(&self) -> Option<String> {
        let reason = self.usage_missing.as_deref()?;
        Some(format!("✗ CPU and memory: {}", sanitize(reason)))
    }

    /// Why the MonitorConfig metrics cannot be read, as shown.
    pub fn scrape_message(&self) -> Option<String> {
        let reason = self.scrape_missing.as_deref()?;
        Some(format!("✗ MonitorConfig metrics: {}", sanitize(reason)))
    }

    fn resource_lines(&self, width: usize) -> Vec<MonitorLine> {
        use MonitorLine::*;
        let mut lines = Vec::new();
        if self.usage_missing.is_some() {
            let rows = self.usage_message().map_or(1, |m| wrap(&m, width).len());
            lines.extend((0..rows).map(UsageMissing));
            lines.push(Blank);
        } else if !self.usage_seen {
            lines.extend([WaitingUsage, Blank]);
        }
        if !self.total.cpu.is_empty() {
            lines.extend([TotalHeading, TotalCpu, TotalMemory]);
        }
        for i in 0..self.pods.len() {
            if !lines.is_empty() && lines.last() != Some(&Blank) {
                lines.push(Blank);
            }
            lines.push(PodHeading(i));
            if !self.pods[i].usage.cpu.is_empty() {
                lines.extend([PodCpu(i), PodMemory(i)]);
            }
        }
        if !lines.is_empty() && lines.last() != Some(&Blank) {
            lines.push(Blank);
        }
        let rows = self.scrape_message().map_or(1, |m| wrap(&m, width).len());
        lines.extend((0..rows).map(ScrapeFooter));
        lines
    }

    fn level_lines(&self, level: usize, width: usize) -> Vec<MonitorLine> {
        use MonitorLine::*;
        let mut lines = Vec::new();
        let Some(layout) = self.layout.as_ref().and_then(|l| l.get(level)) else {
            return lines;
        };
        if self.scrape_missing.is_some() {
            let rows = self.scrape_message().map_or(1, |m| wrap(&m, width).len());
            lines.extend((0..rows).map(ScrapeMissing));
            lines.push(Blank);
        } else if self.scrapes == 0 {
            lines.extend([WaitingScrape, Blank]);
        }
        if layout.metrics.is_empty() {
            lines.push(NoCharts);
            return lines;
        }
        let (first, others) = self.chart_order(level);
        for (i, &metric) in first.iter().enumerate() {
            if i > 0 {
                lines.push(Blank);
            }
            self.chart_lines(level, metric, &mut lines);
        }
        if !others.is_empty() {
            lines.extend([Blank, OtherMetrics]);
            for &metric in &others {
                lines.push(Blank);
                self.chart_lines(level, metric, &mut lines);
            }
        }
        lines
    }

    fn chart_lines(&self, level: usize, metric: usize, lines: &mut Vec<MonitorLine>) {
        lines.push(MonitorLine::ChartTitle(level, metric));
        let groups = self.groups(level, metric);
        if groups.is_empty() {
            lines.push(MonitorLine::ChartEmpty(level, metric));
        }
        lines.extend((0..groups.len()).map(|g| MonitorLine::ChartSeries(level, metric, g)));
    }

    /// The level's charts in display order, as (shown first, the others).
    /// The selected metrics come first in the config's order, then the
    /// others under a separator. The others are shown, not folded: a level
    /// has a handful of charts, and scrolling is cheaper to discover than a
    /// key to unfold them. Without any selected metric, or with all of
    /// them selected, everything is "first" in the config's order.
    pub fn chart_order(&self, level: usize) -> (Vec<usize>, Vec<usize>) {
        let Some(layout) = self.level(level) else {
            return (Vec::new(), Vec::new());
        };
        let (selected, others): (Vec<usize>, Vec<usize>) =
            (0..layout.metrics.len()).partition(|&m| layout.metrics[m].selected);
        if selected.is_empty() || others.is_empty() {
            return ((0..layout.metrics.len()).collect(), Vec::new());
        }
        (selected, others)
    }

    /// The series of one chart (empty when unknown).
    pub fn groups(&self, level: usize, metric: usize) -> &[GroupHistory] {
        self.charts
            .get(level)
            .and_then(|l| l.get(metric))
            .map_or(&[], Vec::as_slice)
    }

    /// The chart's layout.
    pub fn chart(&self, level: usize, metric: usize) -> Option<&MetricLayout> {
        self.layout.as_ref()?.get(level)?.metrics.get(metric)
    }

    /// The level's layout.
    pub fn level(&self, level: usize) -> Option<&LevelLayout> {
        self.layout.as_ref()?.get(level)
    }
}

/// Splits text into rows of at most `width` cells, at spaces when it can
/// (a word longer than a row is cut). Always at least one row.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut rows = vec![String::new()];
    let mut used = 0;
    for word in text.split(' ') {
        let word_width: usize = word.chars().map(|c| c.width().unwrap_or(0)).sum();
        if used > 0 && used + 1 + word_width > width {
            rows.push(String::new());
            used = 0;
        }
        let Some(row) = rows.last_mut() else {
            break;
        };
        if used > 0 {
            row.push(' ');
            used += 1;
        }
        for c in word.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && used > 0 {
                rows.push(String::new());
                used = 0;
            }
            if let Some(row) = rows.last_mut() {
                row.push(c);
            }
            used += w;
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_at_spaces_and_cuts_long_words() {
        assert_eq!(
            wrap("✗ exporter down: refused", 12),
            ["✗ exporter", "down:", "refused"]
        );
        assert_eq!(wrap("abcdefgh", 3), ["abc", "def", "gh"]);
        assert_eq!(wrap("", 5), [""]);
        assert_eq!(wrap("a b", 0), ["a", "b"]);
    }
}
