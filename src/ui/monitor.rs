//! The monitoring view: a row of tabs (Resources, then the MonitorConfig's
//! levels), then the tab's body scrolled by `monitor.scroll`. Body row `i`
//! draws the `i`-th [`MonitorLine`] of [`MonitorView::lines`], the list
//! `update` scrolls by, so both agree on the length.
//!
//! Sparklines are one cell per reading, newest on the right next to the
//! value, so they grow leftwards as the view stays open; each
//! is scaled to its own highest value (a chart's groups share one scale),
//! while the text beside it says how the latest value compares with the
//! requests and limits.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;

use super::format;
use super::widgets::{self, Piece};
use crate::domain::text::sanitize;
use crate::state::monitor::{MonitorLine, MonitorTab, MonitorView, Series, UsageHistory, wrap};
use crate::state::{ScreenLayout, State};
use crate::theme::Theme;

/// Bars from lowest to highest.
const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
/// Cells kept right of a resource sparkline: value and "x% of request /
/// y% of limit".
const RESOURCE_TEXT: usize = 2 + 4 + 1 + 7 + 2 + 34;
/// Cells for a chart's value and unit right of its sparkline.
const CHART_VALUE: usize = 1 + 8 + 1 + 10;
/// Narrower than this, a sparkline says too little: it is left out.
const MIN_SPARK: usize = 6;
/// Share of the limit from which usage is shown as degraded, then failed.
const NEAR_LIMIT: f64 = 0.7;
const AT_LIMIT: f64 = 0.9;

/// Draws the view's heading row and body.
pub fn draw(
    buf: &mut Buffer,
    area: Rect,
    body: Rect,
    layout: &ScreenLayout,
    state: &State,
    theme: &Theme,
) {
    let Some(monitor) = &state.monitor else {
        widgets::body_message(buf, body, ("no instance monitored".into(), theme.muted));
        return;
    };
    if layout.heading_row < layout.bottom_row {
        draw_tabs(buf, area, layout.heading_row, monitor, theme);
    }
    let width = usize::from(body.width.saturating_sub(2));
    let lines = monitor.lines(width);
    for (i, line) in lines
        .iter()
        .skip(monitor.scroll)
        .take(usize::from(body.height))
        .enumerate()
    {
        let y = body.y + u16::try_from(i).unwrap_or(u16::MAX);
        let Some(rect) = widgets::row(body, y) else {
            break;
        };
        let pieces = line_pieces(monitor, *line, width, theme);
        widgets::put(buf, rect.x + 1, rect.y, &pieces, rect.width - 1);
    }
}

fn draw_tabs(buf: &mut Buffer, area: Rect, y: u16, monitor: &MonitorView, theme: &Theme) {
    let Some(rect) = widgets::row(area, y) else {
        return;
    };
    let mut tabs: Vec<Piece> = Vec::new();
    for tab in monitor.tabs() {
        if !tabs.is_empty() {
            tabs.push((" ".into(), theme.base));
        }
        let style = if tab == monitor.tab {
            theme.tab_active
        } else {
            theme.tab_inactive
        };
        let title = match tab {
            MonitorTab::Resources => "Resources".to_owned(),
            MonitorTab::Level(i) => monitor
                .level(i)
                .map_or_else(String::new, |l| sanitize(&l.name).into_owned()),
        };
        tabs.push((format!(" {title} "), style));
    }
    let written = widgets::put(buf, rect.x + 1, rect.y, &tabs, rect.width - 1);

    // Right of the tabs: how the MonitorConfig metrics are read.
    let status: Vec<Piece> = match (&monitor.scrape_missing, &monitor.via) {
        (Some(_), _) if monitor.layout.is_some() => {
            vec![("✗ metrics unavailable".to_owned(), theme.error)]
        }
        (None, Some(via)) => vec![(format!("via {}", sanitize(via)), theme.muted)],
        _ => Vec::new(),
    };
    let from = rect.x + 1 + written + 3;
    let room = rect.right().saturating_sub(from + 1);
    let need = u16::try_from(widgets::pieces_width(&status)).unwrap_or(u16::MAX);
    if room >= 4 {
        let x = rect.right().saturating_sub(need.min(room) + 1);
        widgets::put(buf, x, rect.y, &status, room);
    }
}

/// The pieces of one body line, for a body `width` cells wide.
pub fn line_pieces(
    monitor: &MonitorView,
    line: MonitorLine,
    width: usize,
    theme: &Theme,
) -> Vec<Piece> {
    match line {
        MonitorLine::Blank => Vec::new(),
        MonitorLine::WaitingUsage => vec![(
            "waiting for the first reading of CPU and memory…".to_owned(),
            theme.muted,
        )],
        MonitorLine::UsageMissing(row) => {
            wrapped_row(monitor.usage_message(), row, width, theme.error)
        }
        MonitorLine::TotalHeading => total_heading(monitor, theme),
        MonitorLine::TotalCpu => resource_row(&monitor.total, Resource::Cpu, width, theme),
        MonitorLine::TotalMemory => resource_row(&monitor.total, Resource::Memory, width, theme),
        MonitorLine::PodHeading(i) => pod_heading(monitor, i, theme),
        MonitorLine::PodCpu(i) => monitor.pods.get(i).map_or_else(Vec::new, |pod| {
            resource_row(&pod.usage, Resource::Cpu, width, theme)
        }),
        MonitorLine::PodMemory(i) => monitor.pods.get(i).map_or_else(Vec::new, |pod| {
            resource_row(&pod.usage, Resource::Memory, width, theme)
        }),
        MonitorLine::ScrapeFooter(row) => match monitor.scrape_message() {
            Some(message) => wrapped_row(Some(message), row, width, theme.error),
            None => scrape_footer(monitor, theme),
        },
        MonitorLine::ScrapeMissing(row) => {
            wrapped_row(monitor.scrape_message(), row, width, theme.failed)
        }
        MonitorLine::WaitingScrape => vec![(
            "waiting for the first scrape of the exporters…".to_owned(),
            theme.muted,
        )],
        MonitorLine::NoCharts => vec![("this level has no metrics".to_owned(), theme.muted)],
        MonitorLine::ChartTitle(level, metric) => chart_title(monitor, level, metric, theme),
        MonitorLine::ChartSeries(level, metric, group) => {
            chart_series(monitor, level, metric, group, width, theme)
        }
        MonitorLine::ChartEmpty(_, _) => {
            let text = if monitor.scrapes == 0 {
                "no value yet"
            } else {
                "no value in the recent scrapes"
            };
            vec![(format!("    {text}"), theme.muted)]
        }
        MonitorLine::OtherMetrics => vec![(
            "── other metrics (not in selectedMetrics) ──".to_owned(),
            theme.muted,
        )],
    }
}

fn total_heading(monitor: &MonitorView, theme: &Theme) -> Vec<Piece> {
    let cpu = &monitor.total.cpu;
    let pods = monitor.pods.len();
    let mut text = format!(
        "Instance total · {pods} pod{}",
        if pods == 1 { "" } else { "s" }
    );
    let readings = cpu.len();
    text.push_str(&format!(
        " · {readings} reading{}",
        if readings == 1 { "" } else { "s" }
    ));
    if cpu.span() > 0 {
        text.push_str(&format!(" over {}", format::age(cpu.span())));
    }
    vec![(text, theme.header)]
}

fn pod_heading(monitor: &MonitorView, i: usize, theme: &Theme) -> Vec<Piece> {
    let Some(pod) = monitor.pods.get(i) else {
        return Vec::new();
    };
    let mut pieces = vec![(sanitize(&pod.name).into_owned(), theme.accent)];
    if pod.usage.cpu.is_empty() {
        pieces.push(("  no reading yet".to_owned(), theme.muted));
    } else if pod.missed > 0 {
        pieces.push(("  missing from the latest reading".to_owned(), theme.notice));
    }
    pieces
}

/// Row `row` of a message wrapped to `width`.
fn wrapped_row(message: Option<String>, row: usize, width: usize, style: Style) -> Vec<Piece> {
    let Some(message) = message else {
        return Vec::new();
    };
    wrap(&message, width)
        .into_iter()
        .nth(row)
        .map_or_else(Vec::new, |text| vec![(text, style)])
}

fn scrape_footer(monitor: &MonitorView, theme: &Theme) -> Vec<Piece> {
    let Some(levels) = &monitor.layout else {
        return vec![(
            "MonitorConfig metrics: reading the MonitorConfig…".to_owned(),
            theme.muted,
        )];
    };
    let names: Vec<String> = levels
        .iter()
        .map(|l| sanitize(&l.name).into_owned())
        .collect();
    let mut text = format!("MonitorConfig metrics: {}", names.join(", "));
    if let Some(via) = &monitor.via {
        text.push_str(&format!(" (via {})", sanitize(via)));
    }
    text.push_str(" — Tab for the levels");
    vec![(text, theme.muted)]
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Resource {
    Cpu,
    Memory,
}

/// `  CPU ▁▂▃▅  25m  5% of request / 2% of limit`
fn resource_row(
    usage: &UsageHistory,
    resource: Resource,
    width: usize,
    theme: &Theme,
) -> Vec<Piece> {
    let (label, series, request, limit) = match resource {
        Resource::Cpu => (
            "CPU",
            &usage.cpu,
            usage.allocation.cpu_request_millis,
            usage.allocation.cpu_limit_millis,
        ),
        Resource::Memory => (
            "MEM",
            &usage.memory,
            usage.allocation.memory_request_bytes,
            usage.allocation.memory_limit_bytes,
        ),
    };
    let Some(latest) = series.latest() else {
        return Vec::new();
    };
    let style = pressure_style(latest, limit, theme);
    let shown = match resource {
        Resource::Cpu => cpu(latest),
        Resource::Memory => bytes(latest),
    };
    let spark = spark_width(width, RESOURCE_TEXT);
    let mut pieces = vec![(format!("  {label:<4}"), theme.muted)];
    if spark > 0 {
        let max = series.points().map(|p| p.1).fold(0.0, f64::max);
        pieces.push((sparkline(series, spark, max), style));
        pieces.push((" ".into(), theme.base));
    }
    pieces.push((format!("{shown:>7}"), style));
    pieces.push(("  ".into(), theme.base));
    pieces.push((share_text(latest, request, limit), theme.muted));
    pieces
}

/// "5% of request / 2% of limit", "no request / no limit".
pub fn share_text(value: f64, request: Option<f64>, limit: Option<f64>) -> String {
    let part = |of: Option<f64>, what: &str| match of {
        Some(of) if of > 0.0 => format!("{} of {what}", percent(value / of)),
        _ => format!("no {what}"),
    };
    format!("{} / {}", part(request, "request"), part(limit, "limit"))
}

fn percent(ratio: f64) -> String {
    let p = ratio * 100.0;
    if p > 0.0 && p < 1.0 {
        "<1%".to_owned()
    } else {
        format!("{p:.0}%")
    }
}

/// How close to its limit a value is, as a colour: healthy below 70 %,
/// degraded to 90 %, failed from there (a memory limit OOM-kills, a CPU
/// limit throttles). Without a limit nothing is close to it.
pub fn pressure_style(value: f64, limit: Option<f64>, theme: &Theme) -> Style {
    match limit {
        Some(limit) if limit > 0.0 => {
            let ratio = value / limit;
            if ratio >= AT_LIMIT {
                theme.failed
            } else if ratio >= NEAR_LIMIT {
                theme.degraded
            } else {
                theme.healthy
            }
        }
        _ => theme.base,
    }
}

fn chart_title(monitor: &MonitorView, level: usize, metric: usize, theme: &Theme) -> Vec<Piece> {
    let Some(chart) = monitor.chart(level, metric) else {
        return Vec::new();
    };
    let (first, others) = monitor.chart_order(level);
    // Marked only when the level picks some metrics over others.
    let marked = chart.selected && !others.is_empty() && first.contains(&metric);
    let mut pieces = Vec::new();
    if marked {
        pieces.push(("★ ".to_owned(), theme.accent));
    }
    pieces.push((sanitize(&chart.title).into_owned(), theme.header));
    if let Some(unit) = &chart.unit {
        pieces.push((format!("  {}", sanitize(unit)), theme.muted));
    }
    if let Some(label) = monitor.level(level).and_then(|l| l.group_label.as_deref()) {
        pieces.push((format!("  per {}", sanitize(label)), theme.muted));
    }
    pieces
}

fn chart_series(
    monitor: &MonitorView,
    level: usize,
    metric: usize,
    group: usize,
    width: usize,
    theme: &Theme,
) -> Vec<Piece> {
    let groups = monitor.groups(level, metric);
    let Some(series) = groups.get(group) else {
        return Vec::new();
    };
    let unit = monitor
        .chart(level, metric)
        .and_then(|c| c.unit.as_deref())
        .unwrap_or("");
    // The group column fits the longest group name, within a quarter of
    // the width.
    let group_width = groups
        .iter()
        .filter_map(|g| g.group.as_deref())
        .map(|g| format::width(&sanitize(g)))
        .max()
        .map_or(0, |w| w.min(width / 4).max(4) + 2);
    let mut pieces = vec![("    ".to_owned(), theme.base)];
    if group_width > 0 {
        let name = series.group.as_deref().map(sanitize).unwrap_or_default();
        pieces.push((format::fit(&name, group_width - 2), theme.base));
        pieces.push(("  ".to_owned(), theme.base));
    }
    let spark = spark_width(width, 4 + group_width + CHART_VALUE);
    if spark > 0 {
        // A chart's groups share one scale, so they compare at a glance.
        let max = groups
            .iter()
            .flat_map(|g| g.series.points().rev().take(spark).map(|p| p.1))
            .fold(0.0, f64::max);
        pieces.push((sparkline(&series.series, spark, max), theme.progressing));
        pieces.push((" ".into(), theme.base));
    }
    let (value, unit) = match series.series.latest() {
        Some(v) => value_with_unit(v, unit),
        None => ("–".to_owned(), String::new()),
    };
    pieces.push((format!("{value:>8}"), theme.accent));
    if !unit.is_empty() {
        // "126Ki/s", "126 msg/s".
        let gap = if unit.starts_with('/') { "" } else { " " };
        pieces.push((format!("{gap}{}", sanitize(&unit)), theme.muted));
    }
    pieces
}

fn spark_width(width: usize, reserved: usize) -> usize {
    let room = width.saturating_sub(reserved);
    if room < MIN_SPARK {
        0
    } else {
        room.min(crate::state::monitor::HISTORY_POINTS)
    }
}

/// The last `width` points of a series as bars scaled from 0 to `max`,
/// right-aligned in `width` cells: the newest reading sits next to the
/// value printed after it, and the line grows leftwards as the view stays
/// open. Scaling from 0 (not from the lowest value) keeps a steady series
/// steady rather than magnifying noise.
pub fn sparkline(series: &Series, width: usize, max: f64) -> String {
    let skip = series.len().saturating_sub(width);
    let drawn = series.len() - skip;
    let mut out: String = std::iter::repeat_n(' ', width - drawn).collect();
    out.extend(series.points().skip(skip).map(|(_, v)| bar(v, max)));
    out
}

fn bar(value: f64, max: f64) -> char {
    if max.is_nan() || max <= 0.0 || !value.is_finite() || value <= 0.0 {
        return BARS[0];
    }
    let level = (value / max * (BARS.len() - 1) as f64).round();
    let level = (level.max(0.0) as usize).min(BARS.len() - 1);
    BARS[level]
}

/// Millicores like Kubernetes quantities: "25m", "1.25" (cores).
pub fn cpu(millis: f64) -> String {
    if millis >= 1000.0 {
        trim_zeros(format!("{:.2}", millis / 1000.0))
    } else if millis > 0.0 && millis < 1.0 {
        format!("{millis:.1}m")
    } else {
        format!("{millis:.0}m")
    }
}

/// Bytes in binary units like Kubernetes quantities: "48Mi", "1.5Gi".
pub fn bytes(value: f64) -> String {
    const UNITS: [&str; 6] = ["", "Ki", "Mi", "Gi", "Ti", "Pi"];
    let mut v = value.max(0.0);
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        return format!("{v:.0}B");
    }
    let number = if v < 10.0 {
        trim_zeros(format!("{v:.1}"))
    } else {
        format!("{v:.0}")
    };
    format!("{number}{}", UNITS[unit])
}

/// A MonitorConfig value and the unit to write after it: byte units are
/// shown in binary multiples ("3.2Mi" "/s"), other numbers shortened
/// ("120", "4.5", "12.3k").
pub fn value_with_unit(value: f64, unit: &str) -> (String, String) {
    let lower = unit.to_ascii_lowercase();
    match lower.as_str() {
        "bytes" | "byte" | "b" => (bytes(value), String::new()),
        "bytes/s" | "b/s" | "bytes/sec" | "bytes per second" => (bytes(value), "/s".to_owned()),
        _ => (number(value), unit.to_owned()),
    }
}

fn number(v: f64) -> String {
    let a = v.abs();
    let scaled =
        |div: f64, suffix: &str| format!("{}{suffix}", trim_zeros(format!("{:.1}", v / div)));
    if a >= 1e9 {
        scaled(1e9, "G")
    } else if a >= 1e6 {
        scaled(1e6, "M")
    } else if a >= 1e4 {
        scaled(1e3, "k")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        trim_zeros(format!("{v:.1}"))
    } else {
        trim_zeros(format!("{v:.2}"))
    }
}

fn trim_zeros(text: String) -> String {
    if !text.contains('.') {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_read_like_kubernetes() {
        assert_eq!(cpu(25.4), "25m");
        assert_eq!(cpu(1250.0), "1.25");
        assert_eq!(cpu(2000.0), "2");
        assert_eq!(cpu(0.4), "0.4m");
        assert_eq!(bytes(48.0 * 1024.0 * 1024.0), "48Mi");
        assert_eq!(bytes(1.5 * 1024.0 * 1024.0 * 1024.0), "1.5Gi");
        assert_eq!(bytes(512.0), "512B");
        assert_eq!(
            value_with_unit(121.6, "msg/s"),
            ("122".into(), "msg/s".into())
        );
        assert_eq!(value_with_unit(4.5, "ms"), ("4.5".into(), "ms".into()));
        assert_eq!(
            value_with_unit(12_345.0, ""),
            ("12.3k".into(), String::new())
        );
        assert_eq!(
            value_with_unit(3.0 * 1024.0 * 1024.0, "bytes/s"),
            ("3Mi".into(), "/s".into())
        );
    }

    #[test]
    fn shares_and_pressure() {
        let theme = Theme::default();
        assert_eq!(
            share_text(25.0, Some(500.0), Some(1000.0)),
            "5% of request / 2% of limit"
        );
        assert_eq!(share_text(25.0, None, None), "no request / no limit");
        assert_eq!(
            share_text(2.0, Some(500.0), None),
            "<1% of request / no limit"
        );
        assert_eq!(pressure_style(100.0, Some(1000.0), &theme), theme.healthy);
        assert_eq!(pressure_style(750.0, Some(1000.0), &theme), theme.degraded);
        assert_eq!(pressure_style(950.0, Some(1000.0), &theme), theme.failed);
        assert_eq!(pressure_style(950.0, None, &theme), theme.base);
    }

    #[test]
    fn sparkline_scales_pads_and_keeps_the_newest() {
        let mut series = Series::default();
        for (i, v) in [0.0, 10.0, 20.0, 40.0].into_iter().enumerate() {
            series.push(i as i64 * 10, v);
        }
        assert_eq!(sparkline(&series, 6, 40.0), "  ▁▃▅█");
        assert_eq!(sparkline(&series, 2, 40.0), "▅█");
        assert_eq!(sparkline(&series, 0, 40.0), "");
        assert_eq!(sparkline(&Series::default(), 3, 0.0), "   ");
    }
}
