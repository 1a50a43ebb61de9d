//! A pop-up list to choose a namespace or a kube context, with type-ahead
//! filtering.

use super::filter::Filter;

/// What a picker chooses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PickerKind {
    /// A namespace (the first item is "all namespaces").
    Namespace,
    /// A kube context.
    Context,
    /// A stream of the log view (all pods, a container or a file).
    LogSource,
}

impl PickerKind {
    /// Title of the pop-up.
    pub fn title(self) -> &'static str {
        match self {
            PickerKind::Namespace => "namespace",
            PickerKind::Context => "context",
            PickerKind::LogSource => "log source",
        }
    }
}

/// The item of a namespace picker that means all namespaces.
pub const ALL_NAMESPACES: &str = "(all namespaces)";

/// An open picker.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picker {
    /// What it picks.
    pub kind: PickerKind,
    /// Every item.
    pub items: Vec<String>,
    /// Text typed to narrow the items.
    pub query: String,
    /// Index into [`Picker::visible`].
    pub cursor: usize,
    /// The item in force now, marked in the list.
    pub current: Option<String>,
}

impl Picker {
    /// A picker over these items, with the cursor on the current one.
    pub fn new(kind: PickerKind, items: Vec<String>, current: Option<String>) -> Self {
        let cursor = current
            .as_ref()
            .and_then(|c| items.iter().position(|i| i == c))
            .unwrap_or(0);
        Self {
            kind,
            items,
            query: String::new(),
            cursor,
            current,
        }
    }

    /// Items passing the query, in order.
    pub fn visible(&self) -> Vec<&str> {
        let filter = Filter::parse(&self.query);
        self.items
            .iter()
            .filter(|i| filter.matches(&i.to_lowercase()))
            .map(String::as_str)
            .collect()
    }

    /// The item under the cursor.
    pub fn chosen(&self) -> Option<&str> {
        self.visible().get(self.cursor).copied()
    }

    /// Moves the cursor, staying in bounds. Returns whether it moved.
    pub fn move_by(&mut self, delta: isize) -> bool {
        let last = self.visible().len().saturating_sub(1);
        let target = self.cursor.saturating_add_signed(delta).min(last);
        let moved = target != self.cursor;
        self.cursor = target;
        moved
    }

    /// Changes the query and keeps the cursor in bounds.
    pub fn set_query(&mut self, query: String) {
        // An item typed in full is the one meant (a pod's stdout, not its
        // files whose names start the same); else stay on the same item
        // while it still matches; else the first match, not whatever now
        // sits at the cursor.
        let before = self.chosen().map(str::to_owned);
        self.query = query;
        let visible = self.visible();
        let exact = visible
            .iter()
            .position(|v| v.eq_ignore_ascii_case(&self.query));
        self.cursor = exact
            .or_else(|| before.and_then(|item| visible.iter().position(|v| *v == item)))
            .unwrap_or(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrowing_moves_to_the_first_match_unless_the_choice_still_matches() {
        let items = vec!["a/x".to_owned(), "b/x".to_owned(), "b/y".to_owned()];
        let mut picker = Picker::new(PickerKind::LogSource, items, Some("b/y".into()));
        assert_eq!(picker.chosen(), Some("b/y"));
        picker.set_query("b".into());
        assert_eq!(picker.chosen(), Some("b/y"));
        picker.set_query("x".into());
        assert_eq!(picker.chosen(), Some("a/x"));
        // Typed in full, an item wins over a longer one it starts.
        let items = vec!["p/c".to_owned(), "p/c:/logs/a.log".to_owned()];
        let mut picker = Picker::new(PickerKind::LogSource, items, Some("p/c:/logs/a.log".into()));
        picker.set_query("p/c".into());
        assert_eq!(picker.chosen(), Some("p/c"));
    }

    #[test]
    fn narrows_and_chooses() {
        let items = vec![
            ALL_NAMESPACES.to_owned(),
            "team-a".to_owned(),
            "team-b".to_owned(),
            "osc-system".to_owned(),
        ];
        let mut picker = Picker::new(PickerKind::Namespace, items, Some("team-b".into()));
        assert_eq!(picker.chosen(), Some("team-b"));
        picker.set_query("team".into());
        assert_eq!(picker.visible(), vec!["team-a", "team-b"]);
        assert_eq!(picker.chosen(), Some("team-b"));
        assert!(picker.move_by(-1));
        assert_eq!(picker.chosen(), Some("team-a"));
        assert!(!picker.move_by(-5));
        picker.set_query("zzz".into());
        assert_eq!(picker.chosen(), None);
    }
}
