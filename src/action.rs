//! The console's two vocabularies: [`Msg`] says what happened (a key, a
//! watch event), [`Action`] what the user intends. Keys become actions only
//! through the keymap, so bindings can change without touching `update`.

use crate::keymap::KeyPress;
use crate::state::detail::InstanceDetail;
use crate::state::logs::LogEvent;
use crate::state::monitor::MetricsEvent;
use crate::state::ops::OpsEvent;
use crate::state::rows::{InstanceRow, ServiceRow};
use crate::state::table::SortColumn;

/// A top-level view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// Services (CSDs and charts).
    Services,
    /// Service instances.
    Instances,
    /// One instance in detail.
    Detail,
    /// Logs of an instance (its pods merged, one container or a file).
    Logs,
    /// CPU, memory and MonitorConfig metrics of an instance.
    Monitor,
    /// Findings about one service (operator, CRD, instances).
    ServiceDiagnosis,
    /// A guided operation on an instance (menu, form, preview, progress).
    Operation,
    /// The local audit log of writes.
    Audit,
}

/// What the user intends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Cursor one row up.
    MoveUp,
    /// Cursor one row down.
    MoveDown,
    /// One screen up.
    PageUp,
    /// One screen down.
    PageDown,
    /// First row.
    Top,
    /// Last row.
    Bottom,
    /// Open the selection (a service's instances).
    Open,
    /// Back to the previous view.
    Back,
    /// Start typing a `/` filter.
    StartFilter,
    /// Start typing a `:` command.
    StartCommand,
    /// Sort by a column, or flip its direction.
    ToggleSort(SortColumn),
    /// Show or hide help.
    Help,
    /// Leave the console.
    Quit,
    /// Go to a view.
    SwitchView(View),
    /// Accept the input line.
    Submit,
    /// Abandon the input line.
    Cancel,
    /// Delete the character before the cursor.
    DeleteBack,
    /// Complete the command line (Tab cycles).
    Complete,
    /// Detail: next tab.
    NextTab,
    /// Detail: previous tab.
    PrevTab,
    /// Detail: show or mask secrets and passwords.
    Reveal,
    /// Detail (Helm): user-supplied or computed values.
    ToggleComputedValues,
    /// Open the namespace picker.
    PickNamespace,
    /// Open the context picker.
    PickContext,
    /// Logs of the selected (or shown) instance.
    OpenLogs,
    /// Monitoring of the selected (or shown) instance.
    OpenMonitor,
    /// Diagnosis of the selected service, or of the selected instance.
    Diagnose,
    /// Logs: follow new lines on or off.
    ToggleFollow,
    /// Logs: the previous container's logs on or off.
    TogglePrevious,
    /// Logs: show timestamps.
    ToggleTimestamps,
    /// Logs: wrap long lines.
    ToggleWrap,
    /// Logs: pretty-print JSON lines.
    TogglePrettyJson,
    /// Logs: cycle the "since" window.
    CycleSince,
    /// Logs: cycle how many lines each stream starts with.
    CycleTail,
    /// Logs: next search match.
    NextMatch,
    /// Logs: previous search match.
    PrevMatch,
    /// Logs: save the loaded lines to a file.
    SaveLogs,
    /// Logs: choose the pod, container or file shown.
    PickLogSource,
    /// The operations menu of the selected (or shown) instance.
    OpenOps,
    /// Upgrade the selected (or shown) instance.
    StartUpgrade,
    /// Edit the instance's configuration through a form.
    EditConfig,
    /// Edit the instance as YAML.
    EditYaml,
    /// Open the audit log.
    OpenAudit,
    /// Read again what a view shows (the audit log).
    Reload,
    /// Clear the terminal and draw the whole screen again (after another
    /// program or line noise garbled it).
    Redraw,
}

impl Action {
    /// Every action, for name lookup.
    pub fn all() -> Vec<Action> {
        let mut all = vec![
            Action::MoveUp,
            Action::MoveDown,
            Action::PageUp,
            Action::PageDown,
            Action::Top,
            Action::Bottom,
            Action::Open,
            Action::Back,
            Action::StartFilter,
            Action::StartCommand,
            Action::Help,
            Action::Quit,
            Action::SwitchView(View::Services),
            Action::SwitchView(View::Instances),
            Action::Submit,
            Action::Cancel,
            Action::DeleteBack,
            Action::Complete,
            Action::NextTab,
            Action::PrevTab,
            Action::Reveal,
            Action::ToggleComputedValues,
            Action::PickNamespace,
            Action::PickContext,
            Action::OpenLogs,
            Action::OpenMonitor,
            Action::Diagnose,
            Action::ToggleFollow,
            Action::TogglePrevious,
            Action::ToggleTimestamps,
            Action::ToggleWrap,
            Action::TogglePrettyJson,
            Action::CycleSince,
            Action::CycleTail,
            Action::NextMatch,
            Action::PrevMatch,
            Action::SaveLogs,
            Action::PickLogSource,
            Action::OpenOps,
            Action::StartUpgrade,
            Action::EditConfig,
            Action::EditYaml,
            Action::OpenAudit,
            Action::Reload,
            Action::Redraw,
        ];
        all.extend(SortColumn::ALL.iter().map(|c| Action::ToggleSort(*c)));
        all
    }

    /// The name used in keymap files (`move-down`, `sort-age`).
    pub fn name(self) -> String {
        match self {
            Action::MoveUp => "move-up".into(),
            Action::MoveDown => "move-down".into(),
            Action::PageUp => "page-up".into(),
            Action::PageDown => "page-down".into(),
            Action::Top => "top".into(),
            Action::Bottom => "bottom".into(),
            Action::Open => "open".into(),
            Action::Back => "back".into(),
            Action::StartFilter => "filter".into(),
            Action::StartCommand => "command".into(),
            Action::ToggleSort(column) => format!("sort-{}", column.label()),
            Action::Help => "help".into(),
            Action::Quit => "quit".into(),
            Action::SwitchView(View::Services) => "view-services".into(),
            Action::SwitchView(View::Instances) => "view-instances".into(),
            Action::SwitchView(View::Detail) => "view-detail".into(),
            Action::SwitchView(View::Logs) => "view-logs".into(),
            Action::SwitchView(View::Monitor) => "view-monitor".into(),
            Action::SwitchView(View::ServiceDiagnosis) => "view-service-diagnosis".into(),
            Action::Submit => "submit".into(),
            Action::Cancel => "cancel".into(),
            Action::DeleteBack => "delete-back".into(),
            Action::Complete => "complete".into(),
            Action::NextTab => "next-tab".into(),
            Action::PrevTab => "previous-tab".into(),
            Action::Reveal => "reveal".into(),
            Action::ToggleComputedValues => "computed-values".into(),
            Action::PickNamespace => "pick-namespace".into(),
            Action::PickContext => "pick-context".into(),
            Action::OpenLogs => "logs".into(),
            Action::OpenMonitor => "monitor".into(),
            Action::Diagnose => "diagnose".into(),
            Action::ToggleFollow => "follow".into(),
            Action::TogglePrevious => "previous".into(),
            Action::ToggleTimestamps => "timestamps".into(),
            Action::ToggleWrap => "wrap".into(),
            Action::TogglePrettyJson => "pretty-json".into(),
            Action::CycleSince => "since".into(),
            Action::CycleTail => "tail".into(),
            Action::NextMatch => "next-match".into(),
            Action::PrevMatch => "previous-match".into(),
            Action::SaveLogs => "save".into(),
            Action::PickLogSource => "pick-source".into(),
            Action::SwitchView(View::Operation) => "view-operation".into(),
            Action::SwitchView(View::Audit) => "view-audit".into(),
            Action::OpenOps => "operations".into(),
            Action::StartUpgrade => "upgrade".into(),
            Action::EditConfig => "edit".into(),
            Action::EditYaml => "edit-yaml".into(),
            Action::OpenAudit => "audit".into(),
            Action::Reload => "reload".into(),
            Action::Redraw => "redraw".into(),
        }
    }

    /// The action with this keymap-file name.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::all().into_iter().find(|a| a.name() == name)
    }

    /// What it does, for the generated help view.
    pub fn description(self) -> String {
        match self {
            Action::MoveUp => "move up".into(),
            Action::MoveDown => "move down".into(),
            Action::PageUp => "page up".into(),
            Action::PageDown => "page down".into(),
            Action::Top => "go to first row".into(),
            Action::Bottom => "go to last row".into(),
            Action::Open => "open selection".into(),
            Action::Back => "go back".into(),
            Action::StartFilter => "filter rows (!invert, ~fuzzy)".into(),
            Action::StartCommand => "command line".into(),
            Action::ToggleSort(column) => format!("sort by {}", column.label()),
            Action::Help => "toggle help".into(),
            Action::Quit => "quit".into(),
            Action::SwitchView(View::Services) => "show services".into(),
            Action::SwitchView(View::Instances) => "show instances".into(),
            Action::SwitchView(View::Detail) => "show detail".into(),
            Action::SwitchView(View::Logs) => "show logs".into(),
            Action::SwitchView(View::Monitor) => "show monitoring".into(),
            Action::SwitchView(View::ServiceDiagnosis) => "show service diagnosis".into(),
            Action::Submit => "accept".into(),
            Action::Cancel => "cancel".into(),
            Action::DeleteBack => "delete character".into(),
            Action::Complete => "complete (repeat to cycle)".into(),
            Action::NextTab => "next tab".into(),
            Action::PrevTab => "previous tab".into(),
            Action::Reveal => "show/mask secrets".into(),
            Action::ToggleComputedValues => "user/computed values (Helm)".into(),
            Action::PickNamespace => "choose namespace".into(),
            Action::PickContext => "choose context".into(),
            Action::OpenLogs => "logs of the instance".into(),
            Action::OpenMonitor => "monitoring of the instance".into(),
            Action::Diagnose => "diagnosis (service or instance)".into(),
            Action::ToggleFollow => "follow new lines on/off".into(),
            Action::TogglePrevious => "previous container's logs on/off".into(),
            Action::ToggleTimestamps => "timestamps on/off".into(),
            Action::ToggleWrap => "wrap long lines on/off".into(),
            Action::TogglePrettyJson => "pretty-print JSON lines on/off".into(),
            Action::CycleSince => "since: all, 5m, 1h, 24h".into(),
            Action::CycleTail => "start with the last 100, 500, 5000 or all lines".into(),
            Action::NextMatch => "next match".into(),
            Action::PrevMatch => "previous match".into(),
            Action::SaveLogs => "save loaded lines to a file".into(),
            Action::PickLogSource => "choose pod, container or file".into(),
            Action::SwitchView(View::Operation) => "show the operation".into(),
            Action::SwitchView(View::Audit) => "show the audit log".into(),
            Action::OpenOps => "operations on the instance".into(),
            Action::StartUpgrade => "upgrade the instance".into(),
            Action::EditConfig => "edit the configuration (form)".into(),
            Action::EditYaml => "edit the instance as YAML".into(),
            Action::OpenAudit => "audit log of changes".into(),
            Action::Reload => "read again".into(),
            Action::Redraw => "redraw the screen".into(),
        }
    }
}

/// State of the connection to the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// Watches are running.
    Connected,
    /// Watches failed; data on screen is stale since then.
    Disconnected {
        /// When, in seconds since the Unix epoch.
        since: i64,
        /// The error, in words.
        error: String,
    },
}

/// A mouse gesture, in screen cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MouseInput {
    /// Left button pressed at (column, row).
    Click {
        /// Column.
        column: u16,
        /// Row.
        row: u16,
    },
    /// Wheel up.
    ScrollUp,
    /// Wheel down.
    ScrollDown,
}

/// What the cluster layer knows about where it is connected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterInfo {
    /// Kube context in use (None: in-cluster or a kubeconfig without one).
    pub context: Option<String>,
    /// API server URL.
    pub server: String,
    /// User name of the context, when known.
    pub user: Option<String>,
}

/// What happened: input, or news from the cluster.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A key was pressed.
    Key(KeyPress),
    /// The terminal was resized.
    Resize {
        /// Columns.
        width: u16,
        /// Rows.
        height: u16,
    },
    /// Instances were added or changed.
    InstancesUpserted(Vec<InstanceRow>),
    /// An instance was deleted (by uid).
    InstanceRemoved(String),
    /// The watch relisted: this is now the whole set.
    InstancesRelisted(Vec<InstanceRow>),
    /// The set of services changed.
    ServicesChanged(Vec<ServiceRow>),
    /// The namespaces that exist, for completion.
    NamespacesListed(Vec<String>),
    /// The kube contexts available, for completion.
    ContextsListed(Vec<String>),
    /// The connection changed.
    Connection(Connection),
    /// A mouse gesture.
    Mouse(MouseInput),
    /// The clock moved on (seconds since the Unix epoch): ages and spinners.
    Tick(i64),
    /// Every watch has delivered its first complete list.
    Synced,
    /// Which cluster the console is connected to.
    Cluster(ClusterInfo),
    /// A new snapshot of the instance shown in detail.
    DetailUpdated(Box<InstanceDetail>),
    /// The detail of this instance (uid) could not be loaded.
    DetailFailed {
        /// Instance uid.
        uid: String,
        /// Why, in words.
        error: String,
    },
    /// Something to tell the user on the status line.
    Notice(String),
    /// News from the log streams of the log view.
    Logs(LogEvent),
    /// News from the metrics task of the monitoring view.
    Metrics(MetricsEvent),
    /// Answers to the guided operations' requests.
    Ops(Box<OpsEvent>),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let all = Action::all();
        let mut names: Vec<String> = all.iter().map(|a| a.name()).collect();
        for action in &all {
            assert_eq!(Action::from_name(&action.name()), Some(*action));
            assert!(!action.description().is_empty());
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), all.len());
        assert_eq!(
            Action::from_name("sort-age"),
            Some(Action::ToggleSort(SortColumn::Age))
        );
        assert_eq!(Action::from_name("nope"), None);
    }
}
