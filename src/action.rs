//! The console's two vocabularies: [`Msg`] says what happened (a key, a
//! watch event), [`Action`] what the user intends. Keys become actions only
//! through the keymap, so bindings can change without touching `update`.

use crate::keymap::KeyPress;
use crate::state::rows::{InstanceRow, ServiceRow};
use crate::state::table::SortColumn;

/// A top-level view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum View {
    /// Services (CSDs and charts).
    Services,
    /// Service instances.
    Instances,
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
            Action::Submit => "submit".into(),
            Action::Cancel => "cancel".into(),
            Action::DeleteBack => "delete-back".into(),
            Action::Complete => "complete".into(),
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
            Action::Submit => "accept".into(),
            Action::Cancel => "cancel".into(),
            Action::DeleteBack => "delete character".into(),
            Action::Complete => "complete (repeat to cycle)".into(),
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

/// What happened: input, or news from the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
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
