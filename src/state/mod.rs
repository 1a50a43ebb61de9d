//! The model: stores, the instance table, filter, and the console state that
//! `update` changes and the UI only reads.

pub mod age;
pub mod audit;
pub mod checks;
pub mod detail;
pub mod diagnosis;
pub mod editor;
pub mod filter;
pub mod form;
pub mod logs;
pub mod monitor;
pub mod ops;
pub mod picker;
pub mod rows;
pub mod table;
pub mod wizard;

use crate::action::{ClusterInfo, View};
use crate::keymap::{Keymap, Mode};
use detail::DetailState;
use filter::Filter;
use picker::Picker;
use rows::{InstanceStore, ServiceRow, ServiceStore};
use table::InstanceTable;

/// Where things are on screen. The UI draws by it and `update` maps mouse
/// clicks by it, so both agree on which row is where.
///
/// ```text
/// row 0            top bar: context, namespace, connection, readonly
/// row 1 (if stale) banner: disconnected since..., data is stale
/// next row         table column headings, or the detail's tabs
/// body_top..       table rows / tab body (body_height rows)
/// last row         filter or command line, notice, or key hints
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScreenLayout {
    /// Whether the stale banner is shown.
    pub banner: bool,
    /// Row of the column headings or tabs.
    pub heading_row: u16,
    /// First row of the body.
    pub body_top: u16,
    /// Rows of the body (at least 1).
    pub body_height: u16,
    /// The bottom line.
    pub bottom_row: u16,
}

/// Why the data on screen may be out of date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stale {
    /// Since when, seconds since the Unix epoch.
    pub since: i64,
    /// The connection error.
    pub error: String,
}

/// Tab-cycling state of the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionCycle {
    /// Candidates being cycled.
    pub candidates: Vec<String>,
    /// Index of the candidate shown.
    pub index: usize,
}

/// Everything the console shows; changed only by `update`.
#[derive(Debug, Clone)]
pub struct State {
    /// Instances from the watch.
    pub instances: InstanceStore,
    /// Services from the watch.
    pub services: ServiceStore,
    /// Filtered, sorted instance view with its selection.
    pub table: InstanceTable,
    /// Name of the selected service in the services view.
    pub selected_service: Option<String>,
    /// The view shown.
    pub view: View,
    /// The keymap layer in force.
    pub mode: Mode,
    /// Mode to return to when help closes.
    pub mode_before_help: Mode,
    /// Text typed after `/`.
    pub filter_input: String,
    /// Text typed after `:`.
    pub command_input: String,
    /// Tab cycling in progress, if any.
    pub completion: Option<CompletionCycle>,
    /// Namespace watched; None means all.
    pub namespace: Option<String>,
    /// Kube context, once known or chosen.
    pub context: Option<String>,
    /// Known namespaces, for completion.
    pub namespaces: Vec<String>,
    /// Known contexts, for completion.
    pub contexts: Vec<String>,
    /// Set while disconnected: the data is kept on screen but marked stale.
    pub stale: Option<Stale>,
    /// A message for the status line (e.g. a command error).
    pub notice: Option<String>,
    /// Key bindings.
    pub keymap: Keymap,
    /// Terminal size (columns, rows).
    pub size: (u16, u16),
    /// The instance shown on the detail view.
    pub detail: Option<DetailState>,
    /// An open namespace or context picker.
    pub picker: Option<Picker>,
    /// No write is ever sent; shown in the top bar.
    pub readonly: bool,
    /// Where the console is connected, once known.
    pub cluster: Option<ClusterInfo>,
    /// Every watch has delivered its first list; until then "loading".
    pub synced: bool,
    /// The instances have listed, perhaps before the pods and so without
    /// their health: a service with none reads 0, not "…".
    pub instances_listed: bool,
    /// The log view, while open.
    pub logs: Option<logs::LogView>,
    /// The monitoring view, while open.
    pub monitor: Option<monitor::MonitorView>,
    /// The service diagnosis view, while open.
    pub findings: Option<diagnosis::ServiceFindings>,
    /// The guided operation in progress, while open.
    pub wizard: Option<wizard::Wizard>,
    /// Writes still out when their wizard was closed: their answer is told
    /// on the status line.
    pub detached_writes: Vec<wizard::DetachedWrite>,
    /// The audit log view, while open.
    pub audit: Option<audit::AuditView>,
    /// Most log lines kept in memory (config `logLines`).
    pub log_line_cap: usize,
    /// Last session number handed to a log or metrics request.
    pub last_session: u64,
    /// The clock, seconds since the Unix epoch (ages are computed from it,
    /// so a frame is a pure function of the state).
    pub now: i64,
    /// Something visible changed since the last draw.
    pub dirty: bool,
}

impl Default for State {
    fn default() -> Self {
        Self::new(Keymap::default())
    }
}

impl State {
    /// A fresh state on the services view.
    pub fn new(keymap: Keymap) -> Self {
        let mut state = Self {
            instances: InstanceStore::new(),
            services: ServiceStore::new(),
            table: InstanceTable::new(),
            selected_service: None,
            view: View::Services,
            mode: Mode::Normal,
            mode_before_help: Mode::Normal,
            filter_input: String::new(),
            command_input: String::new(),
            completion: None,
            namespace: None,
            context: None,
            namespaces: Vec::new(),
            contexts: Vec::new(),
            stale: None,
            notice: None,
            keymap,
            size: (80, 24),
            detail: None,
            picker: None,
            readonly: false,
            cluster: None,
            synced: false,
            instances_listed: false,
            logs: None,
            monitor: None,
            findings: None,
            detached_writes: Vec::new(),
            wizard: None,
            audit: None,
            log_line_cap: logs::DEFAULT_LINE_CAP,
            last_session: 0,
            now: 0,
            dirty: true,
        };
        // Until the first Resize, page by what fits the assumed size.
        let height = state.viewport_height();
        state.table.set_height(height);
        state
    }

    /// Returns whether a redraw is due and clears the flag (called by the
    /// event loop after draining messages).
    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    /// The filter currently typed.
    pub fn filter(&self) -> Filter {
        Filter::parse(&self.filter_input)
    }

    /// Services passing the filter, sorted by name. There are few services,
    /// so their haystacks are built on demand.
    pub fn visible_services(&self) -> Vec<&ServiceRow> {
        let filter = self.filter();
        self.services
            .rows()
            .iter()
            .filter(|s| {
                let hay = format!("{}\u{1}{}\u{1}{}", s.name, s.display_name, s.provider);
                filter.matches(&hay.to_lowercase())
            })
            .collect()
    }

    /// Position of the selected service among the visible ones.
    pub fn service_cursor(&self) -> usize {
        let visible = self.visible_services();
        self.selected_service
            .as_deref()
            .and_then(|name| visible.iter().position(|s| s.name == name))
            .unwrap_or(0)
    }

    /// Re-anchors the service selection after services or the filter
    /// changed: keeps the same name when visible, else the same position.
    pub fn fix_service_selection(&mut self, previous_cursor: usize) {
        let visible = self.visible_services();
        let keep = self
            .selected_service
            .as_deref()
            .is_some_and(|name| visible.iter().any(|s| s.name == name));
        if !keep {
            let at = previous_cursor.min(visible.len().saturating_sub(1));
            self.selected_service = visible.get(at).map(|s| s.name.clone());
        }
    }

    /// Seconds until something drawn would look different only because time
    /// passed (an age label ticks over, the loading spinner turns): the event
    /// loop sleeps that long, and not at all when nothing depends on time.
    pub fn next_time_change(&self) -> Option<i64> {
        if !self.synced {
            return Some(1);
        }
        let now = self.now;
        let soonest =
            |times: &mut dyn Iterator<Item = i64>| times.map(|t| age::next_change(now, t)).min();
        match self.view {
            View::Services
            | View::Logs
            | View::Monitor
            | View::ServiceDiagnosis
            | View::Operation
            | View::Audit => None,
            View::Instances => soonest(&mut self.table.page(&self.instances).map(|r| r.created)),
            View::Detail => {
                let data = self.detail.as_ref()?.data.as_ref()?;
                let mut times = data
                    .events
                    .iter()
                    .map(|e| e.time)
                    .chain(data.conditions.iter().filter_map(|c| c.last_transition))
                    .chain(
                        data.helm
                            .iter()
                            .flat_map(|h| h.history.iter().filter_map(|r| r.updated)),
                    );
                soonest(&mut times)
            }
        }
    }

    /// Where things go on the screen for its current size.
    pub fn layout(&self) -> ScreenLayout {
        let height = self.size.1.max(1);
        let banner = self.stale.is_some();
        let heading_row = 1 + u16::from(banner);
        let body_top = heading_row + 1;
        let bottom_row = height.saturating_sub(1);
        ScreenLayout {
            banner,
            heading_row,
            body_top,
            body_height: bottom_row.saturating_sub(body_top).max(1),
            bottom_row,
        }
    }

    /// Table viewport height for the current terminal size.
    pub fn viewport_height(&self) -> usize {
        usize::from(self.layout().body_height)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rows::tests::service;

    #[test]
    fn services_filter_and_selection() {
        let mut state = State::default();
        assert!(state.take_dirty());
        assert!(!state.take_dirty());
        state
            .services
            .replace_all(vec![service("kafka"), service("redis"), service("rabbit")]);
        state.fix_service_selection(0);
        assert_eq!(state.selected_service.as_deref(), Some("kafka"));
        state.selected_service = Some("redis".into());
        assert_eq!(state.service_cursor(), 2);
        state.filter_input = "r".into();
        assert_eq!(state.visible_services().len(), 2);
        state.filter_input = "kaf".into();
        state.fix_service_selection(1);
        assert_eq!(state.selected_service.as_deref(), Some("kafka"));
        assert_eq!(state.filter(), Filter::parse("kaf"));
        assert_eq!(state.viewport_height(), 21);
        state.stale = Some(Stale {
            since: 0,
            error: "refused".into(),
        });
        assert_eq!(state.viewport_height(), 20);
        assert_eq!(state.layout().body_top, 3);
        state.size = (10, 2);
        assert_eq!(state.viewport_height(), 1);
    }
}
