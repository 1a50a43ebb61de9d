//! Key bindings: (mode, key) -> [`Action`], defaults plus user overrides, and
//! the source of the generated help view.
//!
//! Keys are this crate's own small type, not crossterm's, so the core stays
//! free of UI dependencies; the terminal adapter converts events into it.

use std::fmt;

use serde_json::Value;

use crate::action::{Action, View};
use crate::state::table::SortColumn;

/// A key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyCode {
    /// A printable character (case carries shift).
    Char(char),
    /// Enter / Return.
    Enter,
    /// Escape.
    Esc,
    /// Backspace.
    Backspace,
    /// Tab.
    Tab,
    /// Arrow up.
    Up,
    /// Arrow down.
    Down,
    /// Arrow left.
    Left,
    /// Arrow right.
    Right,
    /// Page up.
    PageUp,
    /// Page down.
    PageDown,
    /// Home.
    Home,
    /// End.
    End,
    /// Delete.
    Delete,
    /// A function key, F1..F12.
    F(u8),
}

const NAMED: [(&str, KeyCode); 14] = [
    ("Enter", KeyCode::Enter),
    ("Esc", KeyCode::Esc),
    ("Backspace", KeyCode::Backspace),
    ("Tab", KeyCode::Tab),
    ("Up", KeyCode::Up),
    ("Down", KeyCode::Down),
    ("Left", KeyCode::Left),
    ("Right", KeyCode::Right),
    ("PageUp", KeyCode::PageUp),
    ("PageDown", KeyCode::PageDown),
    ("Home", KeyCode::Home),
    ("End", KeyCode::End),
    ("Delete", KeyCode::Delete),
    ("Space", KeyCode::Char(' ')),
];

/// A key with its modifiers. Shift is folded into the character for
/// printable keys (`G`, not `shift+g`), so one key has one spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyPress {
    /// The key.
    pub code: KeyCode,
    /// Control held.
    pub ctrl: bool,
    /// Alt held.
    pub alt: bool,
    /// Shift held (non-character keys only).
    pub shift: bool,
}

impl KeyPress {
    /// A key with no modifiers.
    pub fn new(code: KeyCode) -> Self {
        Self {
            code,
            ctrl: false,
            alt: false,
            shift: false,
        }
    }

    /// A plain character key.
    pub fn char(c: char) -> Self {
        Self::new(KeyCode::Char(c))
    }

    /// Control plus a character.
    pub fn ctrl(c: char) -> Self {
        Self {
            ctrl: true,
            ..Self::char(c.to_ascii_lowercase())
        }
    }

    /// Parses `j`, `G`, `Down`, `ctrl+d`, `alt+Enter`, `F5`. Named keys and
    /// modifiers are case-insensitive; a single character is taken as is.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts: Vec<&str> = text.split('+').collect();
        // "+" alone, or "ctrl++", means the plus key.
        if text.ends_with("++") || text == "+" {
            parts.retain(|p| !p.is_empty());
            parts.push("+");
        }
        let Some((last, mods)) = parts.split_last() else {
            return Err(format!("empty key '{text}'"));
        };
        let mut key =
            KeyPress::new(parse_code(last).ok_or_else(|| format!("unknown key '{text}'"))?);
        for m in mods {
            match m.to_ascii_lowercase().as_str() {
                "ctrl" | "control" => key.ctrl = true,
                "alt" => key.alt = true,
                "shift" => key.shift = true,
                _ => return Err(format!("unknown modifier '{m}' in '{text}'")),
            }
        }
        if let KeyCode::Char(c) = key.code {
            if key.shift {
                key.shift = false;
                key.code = KeyCode::Char(c.to_ascii_uppercase());
            }
            if key.ctrl {
                key.code = KeyCode::Char(c.to_ascii_lowercase());
            }
        }
        Ok(key)
    }
}

fn parse_code(text: &str) -> Option<KeyCode> {
    let mut chars = text.chars();
    if let (Some(c), None) = (chars.next(), chars.next()) {
        return Some(KeyCode::Char(c));
    }
    if let Some((_, code)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(text)) {
        return Some(*code);
    }
    let lower = text.to_ascii_lowercase();
    if let Some(Ok(n)) = lower.strip_prefix('f').map(str::parse::<u8>)
        && (1..=12).contains(&n)
    {
        return Some(KeyCode::F(n));
    }
    match lower.as_str() {
        "escape" => Some(KeyCode::Esc),
        "return" => Some(KeyCode::Enter),
        "pgup" => Some(KeyCode::PageUp),
        "pgdown" => Some(KeyCode::PageDown),
        _ => None,
    }
}

impl fmt::Display for KeyPress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            write!(f, "ctrl+")?;
        }
        if self.alt {
            write!(f, "alt+")?;
        }
        if self.shift {
            write!(f, "shift+")?;
        }
        match self.code {
            KeyCode::Char(' ') => write!(f, "Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            code => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == code)
                    .map_or("?", |(n, _)| n);
                write!(f, "{name}")
            }
        }
    }
}

/// A keymap layer: which bindings apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mode {
    /// Browsing a list.
    Normal,
    /// Typing a `/` filter.
    FilterInput,
    /// Typing a `:` command.
    CommandInput,
    /// Reading help.
    Help,
    /// On an instance's detail screen.
    Detail,
    /// Choosing in a pop-up list (namespace, context, log source).
    Picker,
    /// Reading an instance's logs.
    Logs,
    /// Reading an instance's monitoring charts.
    Monitor,
    /// Reading a service's findings.
    Findings,
    /// In a guided operation (menu, form fields, preview, confirmation,
    /// progress).
    Wizard,
    /// Typing in the YAML editor: every key is text but the few bound here.
    Editor,
    /// Reading the audit log.
    Audit,
}

impl Mode {
    /// Every mode.
    pub const ALL: [Mode; 12] = [
        Mode::Normal,
        Mode::FilterInput,
        Mode::CommandInput,
        Mode::Help,
        Mode::Detail,
        Mode::Picker,
        Mode::Logs,
        Mode::Monitor,
        Mode::Findings,
        Mode::Wizard,
        Mode::Editor,
        Mode::Audit,
    ];

    /// Name in keymap files.
    pub fn name(self) -> &'static str {
        match self {
            Mode::Normal => "normal",
            Mode::FilterInput => "filter",
            Mode::CommandInput => "command",
            Mode::Help => "help",
            Mode::Detail => "detail",
            Mode::Picker => "picker",
            Mode::Logs => "logs",
            Mode::Monitor => "monitor",
            Mode::Findings => "findings",
            Mode::Wizard => "wizard",
            Mode::Editor => "editor",
            Mode::Audit => "audit",
        }
    }
}

/// Bad entries of a keymap file; the defaults stay in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeymapError {
    /// One readable line per bad entry.
    pub problems: Vec<String>,
}

impl fmt::Display for KeymapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "keymap file ignored, default keys kept: {}",
            self.problems.join("; ")
        )
    }
}

impl std::error::Error for KeymapError {}

/// (mode, key) -> action, in definition order (which the help view follows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: Vec<(Mode, KeyPress, Action)>,
}

impl Default for Keymap {
    fn default() -> Self {
        let mut bindings = Vec::new();
        let mut bind = |mode: Mode, keys: &[&str], action: Action| {
            for key in keys {
                if let Ok(key) = KeyPress::parse(key) {
                    bindings.push((mode, key, action));
                }
            }
        };
        use Mode::*;
        bind(Normal, &["j", "Down"], Action::MoveDown);
        bind(Normal, &["k", "Up"], Action::MoveUp);
        bind(Normal, &["ctrl+d", "PageDown"], Action::PageDown);
        bind(Normal, &["ctrl+u", "PageUp"], Action::PageUp);
        bind(Normal, &["g", "Home"], Action::Top);
        bind(Normal, &["G", "End"], Action::Bottom);
        bind(Normal, &["Enter"], Action::Open);
        bind(Normal, &["Esc"], Action::Back);
        bind(Normal, &["/"], Action::StartFilter);
        bind(Normal, &[":"], Action::StartCommand);
        bind(Normal, &["1"], Action::SwitchView(View::Services));
        bind(Normal, &["2"], Action::SwitchView(View::Instances));
        bind(Normal, &["N"], Action::ToggleSort(SortColumn::Name));
        bind(Normal, &["P"], Action::ToggleSort(SortColumn::Namespace));
        bind(Normal, &["S"], Action::ToggleSort(SortColumn::Service));
        bind(Normal, &["V"], Action::ToggleSort(SortColumn::Version));
        bind(Normal, &["H"], Action::ToggleSort(SortColumn::Health));
        bind(Normal, &["R"], Action::ToggleSort(SortColumn::Ready));
        bind(Normal, &["A"], Action::ToggleSort(SortColumn::Age));
        bind(Normal, &["E"], Action::ToggleSort(SortColumn::LatestEvent));
        bind(Normal, &["n"], Action::PickNamespace);
        bind(Normal, &["c"], Action::PickContext);
        bind(Normal, &["L"], Action::OpenLogs);
        bind(Normal, &["M"], Action::OpenMonitor);
        bind(Normal, &["d"], Action::Diagnose);
        bind(Normal, &["o"], Action::OpenOps);
        bind(Normal, &["u"], Action::StartUpgrade);
        bind(Normal, &["e"], Action::EditConfig);
        bind(Normal, &["Y"], Action::EditYaml);
        bind(Normal, &["3"], Action::OpenAudit);
        bind(Normal, &["?"], Action::Help);
        bind(Normal, &["q", "ctrl+c"], Action::Quit);
        bind(Detail, &["Tab", "l", "Right"], Action::NextTab);
        bind(Detail, &["shift+Tab", "h", "Left"], Action::PrevTab);
        bind(Detail, &["j", "Down"], Action::MoveDown);
        bind(Detail, &["k", "Up"], Action::MoveUp);
        bind(Detail, &["ctrl+d", "PageDown", "Space"], Action::PageDown);
        bind(Detail, &["ctrl+u", "PageUp"], Action::PageUp);
        bind(Detail, &["g", "Home"], Action::Top);
        bind(Detail, &["G", "End"], Action::Bottom);
        bind(Detail, &["x"], Action::Reveal);
        bind(Detail, &["v"], Action::ToggleComputedValues);
        bind(Detail, &["Enter"], Action::Open);
        bind(Detail, &["L"], Action::OpenLogs);
        bind(Detail, &["M"], Action::OpenMonitor);
        bind(Detail, &["o"], Action::OpenOps);
        bind(Detail, &["u"], Action::StartUpgrade);
        bind(Detail, &["e"], Action::EditConfig);
        bind(Detail, &["Y"], Action::EditYaml);
        bind(Detail, &["3"], Action::OpenAudit);
        bind(Detail, &["Esc", "Backspace"], Action::Back);
        bind(Detail, &[":"], Action::StartCommand);
        bind(Detail, &["?"], Action::Help);
        bind(Detail, &["q", "ctrl+c"], Action::Quit);
        bind(Logs, &["j", "Down"], Action::MoveDown);
        bind(Logs, &["k", "Up"], Action::MoveUp);
        bind(Logs, &["ctrl+d", "PageDown", "Space"], Action::PageDown);
        bind(Logs, &["ctrl+u", "PageUp"], Action::PageUp);
        bind(Logs, &["g", "Home"], Action::Top);
        bind(Logs, &["G", "End"], Action::Bottom);
        bind(Logs, &["f"], Action::ToggleFollow);
        bind(Logs, &["p"], Action::TogglePrevious);
        bind(Logs, &["t"], Action::ToggleTimestamps);
        bind(Logs, &["w"], Action::ToggleWrap);
        bind(Logs, &["J"], Action::TogglePrettyJson);
        bind(Logs, &["s"], Action::CycleSince);
        bind(Logs, &["T"], Action::CycleTail);
        bind(Logs, &["/"], Action::StartFilter);
        bind(Logs, &["n"], Action::NextMatch);
        bind(Logs, &["N"], Action::PrevMatch);
        bind(Logs, &["S", "ctrl+s"], Action::SaveLogs);
        bind(Logs, &["Tab", "o"], Action::PickLogSource);
        bind(Logs, &["M"], Action::OpenMonitor);
        bind(Logs, &["Esc", "Backspace"], Action::Back);
        bind(Logs, &[":"], Action::StartCommand);
        bind(Logs, &["?"], Action::Help);
        bind(Logs, &["q", "ctrl+c"], Action::Quit);
        bind(Monitor, &["Tab", "l", "Right"], Action::NextTab);
        bind(Monitor, &["shift+Tab", "h", "Left"], Action::PrevTab);
        bind(Monitor, &["j", "Down"], Action::MoveDown);
        bind(Monitor, &["k", "Up"], Action::MoveUp);
        bind(Monitor, &["ctrl+d", "PageDown", "Space"], Action::PageDown);
        bind(Monitor, &["ctrl+u", "PageUp"], Action::PageUp);
        bind(Monitor, &["g", "Home"], Action::Top);
        bind(Monitor, &["G", "End"], Action::Bottom);
        bind(Monitor, &["L"], Action::OpenLogs);
        bind(Monitor, &["Esc", "Backspace"], Action::Back);
        bind(Monitor, &[":"], Action::StartCommand);
        bind(Monitor, &["?"], Action::Help);
        bind(Monitor, &["q", "ctrl+c"], Action::Quit);
        bind(Findings, &["j", "Down"], Action::MoveDown);
        bind(Findings, &["k", "Up"], Action::MoveUp);
        bind(Findings, &["ctrl+d", "PageDown", "Space"], Action::PageDown);
        bind(Findings, &["ctrl+u", "PageUp"], Action::PageUp);
        bind(Findings, &["g", "Home"], Action::Top);
        bind(Findings, &["G", "End"], Action::Bottom);
        bind(Findings, &["Enter"], Action::Open);
        bind(Findings, &["Esc", "Backspace"], Action::Back);
        bind(Findings, &[":"], Action::StartCommand);
        bind(Findings, &["?"], Action::Help);
        bind(Findings, &["q", "ctrl+c"], Action::Quit);
        bind(Picker, &["Down", "ctrl+n"], Action::MoveDown);
        bind(Picker, &["Up", "ctrl+p"], Action::MoveUp);
        bind(Picker, &["Enter"], Action::Submit);
        bind(Picker, &["Esc"], Action::Cancel);
        bind(Picker, &["Backspace"], Action::DeleteBack);
        bind(Picker, &["ctrl+c"], Action::Quit);
        for mode in [FilterInput, CommandInput] {
            bind(mode, &["Enter"], Action::Submit);
            bind(mode, &["Esc"], Action::Cancel);
            bind(mode, &["Backspace"], Action::DeleteBack);
            bind(mode, &["ctrl+c"], Action::Quit);
        }
        bind(CommandInput, &["Tab"], Action::Complete);
        // The wizard, editor and audit modes keep their bindings next to
        // the code that handles them.
        crate::update::ops::default_bindings(&mut bind);
        crate::update::audit::default_bindings(&mut bind);
        bind(Help, &["Esc", "?", "q"], Action::Help);
        bind(Help, &["ctrl+c"], Action::Quit);
        // As in shells, less and vim: every mode, the editor included
        // (ctrl+l is not one of its keys).
        for mode in Mode::ALL {
            bind(mode, &["ctrl+l"], Action::Redraw);
        }
        Self { bindings }
    }
}

impl Keymap {
    /// The action bound to a key in a mode.
    pub fn action(&self, mode: Mode, key: KeyPress) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(m, k, _)| *m == mode && *k == key)
            .map(|(_, _, a)| *a)
    }

    /// Keys bound to an action in a mode.
    pub fn keys(&self, mode: Mode, action: Action) -> Vec<KeyPress> {
        self.bindings
            .iter()
            .filter(|(m, _, a)| *m == mode && *a == action)
            .map(|(_, k, _)| *k)
            .collect()
    }

    /// (keys, description) per action of a mode, for the help view.
    pub fn help_entries(&self, mode: Mode) -> Vec<(String, String)> {
        let mut seen: Vec<Action> = Vec::new();
        for (m, _, a) in &self.bindings {
            if *m == mode && !seen.contains(a) {
                seen.push(*a);
            }
        }
        seen.into_iter()
            .map(|a| {
                let keys: Vec<String> =
                    self.keys(mode, a).iter().map(ToString::to_string).collect();
                (keys.join(", "), a.description())
            })
            .collect()
    }

    /// Applies a YAML keymap file (`normal: {move-down: [j, Down]}`): each
    /// named action gets exactly the listed keys in that mode, and those keys
    /// leave other actions. Everything not named keeps its default. If any
    /// entry is bad nothing is applied and every bad entry is reported.
    pub fn apply_yaml(&mut self, text: &str) -> Result<(), KeymapError> {
        let fail = |p: String| KeymapError { problems: vec![p] };
        let docs = crate::domain::yaml_documents(text).map_err(|e| fail(e.to_string()))?;
        let root = match docs.as_slice() {
            [] => return Ok(()),
            [root] => root,
            _ => return Err(fail("expected one YAML document".into())),
        };
        let Value::Object(modes) = root else {
            return Err(fail(
                "expected a mapping of modes (normal, filter, command, help)".into(),
            ));
        };
        let mut problems = Vec::new();
        let mut changes: Vec<(Mode, Action, Vec<KeyPress>)> = Vec::new();
        for (mode_name, actions) in modes {
            let Some(mode) = Mode::ALL.iter().copied().find(|m| m.name() == mode_name) else {
                problems.push(format!(
                    "{mode_name}: unknown mode (expected normal, filter, command, help, detail, picker, logs, monitor or findings)"
                ));
                continue;
            };
            let Value::Object(actions) = actions else {
                problems.push(format!("{mode_name}: expected a mapping of action: keys"));
                continue;
            };
            for (action_name, keys) in actions {
                let at = format!("{mode_name}.{action_name}");
                let Some(action) = Action::from_name(action_name) else {
                    problems.push(format!("{at}: unknown action"));
                    continue;
                };
                let texts: Vec<&Value> = match keys {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                let mut parsed = Vec::new();
                for key in texts {
                    match key.as_str().map(KeyPress::parse) {
                        Some(Ok(key)) => parsed.push(key),
                        Some(Err(e)) => problems.push(format!("{at}: {e}")),
                        None => problems.push(format!("{at}: keys must be strings, got {key}")),
                    }
                }
                changes.push((mode, action, parsed));
            }
        }
        if !problems.is_empty() {
            return Err(KeymapError { problems });
        }
        for (mode, action, keys) in changes {
            self.bindings
                .retain(|(m, k, a)| *m != mode || (*a != action && !keys.contains(k)));
            self.bindings
                .extend(keys.into_iter().map(|k| (mode, k, action)));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> KeyPress {
        KeyPress::parse(text).unwrap_or(KeyPress::new(KeyCode::F(12)))
    }

    #[test]
    fn parses_and_prints_keys() {
        assert_eq!(key("j"), KeyPress::char('j'));
        assert_eq!(key("G"), KeyPress::char('G'));
        assert_eq!(key("shift+g"), KeyPress::char('G'));
        assert_eq!(key("ctrl+d"), KeyPress::ctrl('d'));
        assert_eq!(key("Ctrl+D"), KeyPress::ctrl('d'));
        assert_eq!(key("down"), KeyPress::new(KeyCode::Down));
        assert_eq!(key("escape"), KeyPress::new(KeyCode::Esc));
        assert_eq!(key("return"), KeyPress::new(KeyCode::Enter));
        assert_eq!(key("pgup"), KeyPress::new(KeyCode::PageUp));
        assert_eq!(key("pgdown"), KeyPress::new(KeyCode::PageDown));
        assert_eq!(key("F5"), KeyPress::new(KeyCode::F(5)));
        assert_eq!(key("+"), KeyPress::char('+'));
        assert_eq!(key("ctrl++").to_string(), "ctrl++");
        assert_eq!(key("alt+shift+Tab").to_string(), "alt+shift+Tab");
        assert_eq!(key("Space").to_string(), "Space");
        assert_eq!(key("F1").to_string(), "F1");
        assert_eq!(key("ctrl+d").to_string(), "ctrl+d");
        assert!(KeyPress::parse("F13").is_err());
        assert!(KeyPress::parse("hyper+j").is_err());
        assert!(KeyPress::parse("Dwn").is_err());
        assert!(KeyPress::parse("").is_err());
    }

    #[test]
    fn defaults_cover_every_mode() {
        let map = Keymap::default();
        assert_eq!(map.action(Mode::Normal, key("j")), Some(Action::MoveDown));
        assert_eq!(
            map.action(Mode::Normal, key("Down")),
            Some(Action::MoveDown)
        );
        assert_eq!(
            map.action(Mode::Normal, key("ctrl+d")),
            Some(Action::PageDown)
        );
        assert_eq!(map.action(Mode::Normal, key("G")), Some(Action::Bottom));
        assert_eq!(
            map.action(Mode::Normal, key("/")),
            Some(Action::StartFilter)
        );
        assert_eq!(
            map.action(Mode::Normal, key(":")),
            Some(Action::StartCommand)
        );
        assert_eq!(map.action(Mode::Normal, key("?")), Some(Action::Help));
        assert_eq!(map.action(Mode::Normal, key("q")), Some(Action::Quit));
        assert_eq!(map.action(Mode::FilterInput, key("q")), None);
        assert_eq!(
            map.action(Mode::FilterInput, key("Esc")),
            Some(Action::Cancel)
        );
        assert_eq!(
            map.action(Mode::CommandInput, key("Tab")),
            Some(Action::Complete)
        );
        assert_eq!(map.action(Mode::Help, key("q")), Some(Action::Help));
        let names: Vec<&str> = Mode::ALL.iter().map(|m| m.name()).collect();
        assert_eq!(
            names,
            [
                "normal", "filter", "command", "help", "detail", "picker", "logs", "monitor",
                "findings", "wizard", "editor", "audit"
            ]
        );
        // Every mode has a way back or out.
        for mode in Mode::ALL {
            assert!(
                !map.keys(mode, Action::Quit).is_empty() || mode == Mode::Help,
                "{mode:?} has no quit key"
            );
        }
        assert_eq!(map.action(Mode::Logs, key("f")), Some(Action::ToggleFollow));
        assert_eq!(map.action(Mode::Monitor, key("L")), Some(Action::OpenLogs));
        assert_eq!(map.action(Mode::Normal, key("d")), Some(Action::Diagnose));
        assert_eq!(
            map.action(Mode::Detail, key("shift+Tab")),
            Some(Action::PrevTab)
        );
        assert_eq!(map.action(Mode::Detail, key("x")), Some(Action::Reveal));
        assert_eq!(map.action(Mode::Picker, key("Enter")), Some(Action::Submit));
        assert_eq!(
            map.action(Mode::Normal, key("n")),
            Some(Action::PickNamespace)
        );
        // Every mode has a way out, and a way to put a garbled screen back.
        for mode in Mode::ALL {
            assert!(
                map.action(mode, key("ctrl+c")).is_some(),
                "{} has no ctrl+c",
                mode.name()
            );
            assert_eq!(
                map.action(mode, key("ctrl+l")),
                Some(Action::Redraw),
                "{}",
                mode.name()
            );
        }
    }

    #[test]
    fn help_lists_keys_per_action() {
        let map = Keymap::default();
        let help = map.help_entries(Mode::Normal);
        assert_eq!(help[0], ("j, Down".to_string(), "move down".to_string()));
        assert!(help.iter().any(|(k, d)| k == "A" && d == "sort by age"));
        assert_eq!(map.help_entries(Mode::Help).len(), 3);
        assert_eq!(
            map.keys(Mode::Normal, Action::Quit),
            [key("q"), key("ctrl+c")]
        );
    }

    #[test]
    fn user_file_overrides_only_named_bindings() {
        let mut map = Keymap::default();
        let yaml = "normal:\n  move-down: [n, Down]\n  quit: j\nfilter:\n  cancel: ctrl+g\n";
        assert_eq!(map.apply_yaml(yaml), Ok(()));
        assert_eq!(map.action(Mode::Normal, key("n")), Some(Action::MoveDown));
        assert_eq!(map.action(Mode::Normal, key("j")), Some(Action::Quit));
        assert_eq!(map.action(Mode::Normal, key("q")), None);
        assert_eq!(map.action(Mode::Normal, key("k")), Some(Action::MoveUp));
        assert_eq!(map.action(Mode::FilterInput, key("Esc")), None);
        assert_eq!(
            map.action(Mode::FilterInput, key("ctrl+g")),
            Some(Action::Cancel)
        );
        assert_eq!(
            map.action(Mode::CommandInput, key("Esc")),
            Some(Action::Cancel)
        );
        assert_eq!(map.apply_yaml(""), Ok(()));
    }

    #[test]
    fn bad_file_lists_problems_and_keeps_defaults() {
        let mut map = Keymap::default();
        let yaml =
            "normal:\n  move-down: Dwn\n  jump: x\n  quit: [1]\nsideways:\n  quit: q\nhelp: q\n";
        let err = map
            .apply_yaml(yaml)
            .err()
            .unwrap_or(KeymapError { problems: vec![] });
        assert_eq!(err.problems.len(), 5, "{err}");
        let text = err.to_string();
        assert!(
            text.contains("normal.move-down: unknown key 'Dwn'"),
            "{text}"
        );
        assert!(text.contains("normal.jump: unknown action"), "{text}");
        assert!(text.contains("normal.quit: keys must be strings"), "{text}");
        assert!(text.contains("sideways: unknown mode"), "{text}");
        assert!(text.contains("help: expected a mapping"), "{text}");
        assert_eq!(map, Keymap::default());
        assert!(map.apply_yaml("normal: [\n").is_err());
        assert!(map.apply_yaml("- a\n").is_err());
        assert!(map.apply_yaml("a: 1\n---\nb: 2\n").is_err());
        assert_eq!(map, Keymap::default());
    }
}
