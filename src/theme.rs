//! Colours and text attributes of the console, read from `themes/*.yaml`.
//!
//! A theme file maps field names to a style (`fg`, `bg`, `modifiers`). Any
//! field a user theme leaves out keeps the default theme's style, so a user
//! file can change one colour without restating the rest. Built-in themes are
//! embedded in the binary.
//!
//! ```yaml
//! # ~/.config/osctui/themes/mine.yaml
//! top_bar: { fg: black, bg: "#5fafd7", modifiers: [bold] }
//! failed: { fg: 203 }
//! selected: { modifiers: [reversed] }
//! ```

use std::fmt;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde_json::Value;

use crate::state::rows::Health;

/// Named styles for everything the console draws.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    /// Background and foreground of the whole screen.
    pub base: Style,
    /// The top bar (row 0).
    pub top_bar: Style,
    /// The stale/disconnected banner.
    pub banner: Style,
    /// Table column headings.
    pub header: Style,
    /// The selected row while the list has the focus.
    pub selected: Style,
    /// The selected row while a pop-up or input line has the focus.
    pub selected_unfocused: Style,
    /// Health: everything ready.
    pub healthy: Style,
    /// Health: rolling out or scaling.
    pub progressing: Style,
    /// Health: running but not fully ready.
    pub degraded: Style,
    /// Health: not working.
    pub failed: Style,
    /// Health: being deleted.
    pub deleting: Style,
    /// Health: not known.
    pub unknown: Style,
    /// Less important text (ages, placeholders, descriptions).
    pub muted: Style,
    /// Emphasis (view name, active filter, headings in bodies).
    pub accent: Style,
    /// Keys in the key hints and the help view.
    pub key_hint: Style,
    /// Status-line notices.
    pub notice: Style,
    /// Errors (load failures, unhealthy reasons).
    pub error: Style,
    /// The active tab of the detail view.
    pub tab_active: Style,
    /// The other tabs.
    pub tab_inactive: Style,
    /// Borders of pop-ups (help, picker).
    pub popup_border: Style,
    /// YAML mapping keys.
    pub yaml_key: Style,
    /// YAML values.
    pub yaml_value: Style,
    /// YAML comments.
    pub yaml_comment: Style,
    /// Warning events.
    pub warning_event: Style,
    /// Masked secret values.
    pub masked: Style,
}

/// Field names as written in theme files, in declaration order.
const FIELDS: [&str; 25] = [
    "base",
    "top_bar",
    "banner",
    "header",
    "selected",
    "selected_unfocused",
    "healthy",
    "progressing",
    "degraded",
    "failed",
    "deleting",
    "unknown",
    "muted",
    "accent",
    "key_hint",
    "notice",
    "error",
    "tab_active",
    "tab_inactive",
    "popup_border",
    "yaml_key",
    "yaml_value",
    "yaml_comment",
    "warning_event",
    "masked",
];

const BUILTINS: [(&str, &str); 4] = [
    ("default", include_str!("../themes/default.yaml")),
    ("light", include_str!("../themes/light.yaml")),
    (
        "high-contrast",
        include_str!("../themes/high-contrast.yaml"),
    ),
    ("monochrome", include_str!("../themes/monochrome.yaml")),
];

const BUILTIN_NAMES: [&str; 4] = ["default", "light", "high-contrast", "monochrome"];

/// Why a theme file was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeError {
    /// The field at fault (`top_bar.fg`), when one is.
    pub field: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ThemeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.field {
            Some(field) => write!(f, "{field}: {}", self.message),
            None => write!(f, "{}", self.message),
        }
    }
}

impl std::error::Error for ThemeError {}

impl Default for Theme {
    fn default() -> Self {
        // The embedded default is tested to parse; this fallback keeps a
        // broken build usable rather than panicking.
        Self::parse_over(Self::plain(), BUILTINS[0].1).unwrap_or_else(|_| Self::plain())
    }
}

impl Theme {
    /// Every style empty except the few that must stand out without colour.
    fn plain() -> Self {
        let empty = Style::new();
        Self {
            base: empty,
            top_bar: Style::new().add_modifier(Modifier::REVERSED),
            banner: Style::new().add_modifier(Modifier::BOLD),
            header: Style::new().add_modifier(Modifier::BOLD),
            selected: Style::new().add_modifier(Modifier::REVERSED),
            selected_unfocused: Style::new().add_modifier(Modifier::UNDERLINED),
            healthy: empty,
            progressing: empty,
            degraded: empty,
            failed: Style::new().add_modifier(Modifier::BOLD),
            deleting: empty,
            unknown: empty,
            muted: empty,
            accent: empty,
            key_hint: Style::new().add_modifier(Modifier::BOLD),
            notice: empty,
            error: Style::new().add_modifier(Modifier::BOLD),
            tab_active: Style::new().add_modifier(Modifier::REVERSED),
            tab_inactive: empty,
            popup_border: empty,
            yaml_key: empty,
            yaml_value: empty,
            yaml_comment: empty,
            warning_event: Style::new().add_modifier(Modifier::BOLD),
            masked: empty,
        }
    }

    /// A built-in theme by name (see [`Theme::builtin_names`]).
    pub fn builtin(name: &str) -> Option<Theme> {
        let (_, text) = BUILTINS.iter().find(|(n, _)| *n == name)?;
        Self::parse_over(Self::plain(), text).ok()
    }

    /// Names of the built-in themes.
    pub fn builtin_names() -> &'static [&'static str] {
        &BUILTIN_NAMES
    }

    /// Reads a theme file. Fields it leaves out come from the default theme;
    /// unknown fields, colours or modifiers are errors naming the field.
    pub fn from_yaml(text: &str) -> Result<Theme, ThemeError> {
        Self::parse_over(Self::default(), text)
    }

    /// The style of a health value.
    pub fn health(&self, health: Health) -> Style {
        match health {
            Health::Healthy => self.healthy,
            Health::Progressing => self.progressing,
            Health::Degraded => self.degraded,
            Health::Failed => self.failed,
            Health::Deleting => self.deleting,
            Health::Unknown => self.unknown,
        }
    }

    fn field_mut(&mut self, name: &str) -> Option<&mut Style> {
        Some(match name {
            "base" => &mut self.base,
            "top_bar" => &mut self.top_bar,
            "banner" => &mut self.banner,
            "header" => &mut self.header,
            "selected" => &mut self.selected,
            "selected_unfocused" => &mut self.selected_unfocused,
            "healthy" => &mut self.healthy,
            "progressing" => &mut self.progressing,
            "degraded" => &mut self.degraded,
            "failed" => &mut self.failed,
            "deleting" => &mut self.deleting,
            "unknown" => &mut self.unknown,
            "muted" => &mut self.muted,
            "accent" => &mut self.accent,
            "key_hint" => &mut self.key_hint,
            "notice" => &mut self.notice,
            "error" => &mut self.error,
            "tab_active" => &mut self.tab_active,
            "tab_inactive" => &mut self.tab_inactive,
            "popup_border" => &mut self.popup_border,
            "yaml_key" => &mut self.yaml_key,
            "yaml_value" => &mut self.yaml_value,
            "yaml_comment" => &mut self.yaml_comment,
            "warning_event" => &mut self.warning_event,
            "masked" => &mut self.masked,
            _ => return None,
        })
    }

    fn parse_over(mut theme: Theme, text: &str) -> Result<Theme, ThemeError> {
        let whole = |message: String| ThemeError {
            field: None,
            message,
        };
        let docs = crate::domain::yaml_documents(text).map_err(|e| whole(e.to_string()))?;
        let root = match docs.as_slice() {
            [] => return Ok(theme),
            [root] => root,
            _ => return Err(whole("expected one YAML document".into())),
        };
        let Value::Object(fields) = root else {
            return Err(whole("expected a mapping of field: style".into()));
        };
        for (name, value) in fields {
            let Some(slot) = theme.field_mut(name) else {
                return Err(ThemeError {
                    field: Some(name.clone()),
                    message: format!("unknown field (known: {})", FIELDS.join(", ")),
                });
            };
            *slot = parse_style(name, value)?;
        }
        Ok(theme)
    }
}

/// One field's style. A field given replaces the default's style whole, so
/// that what the file says is exactly what is drawn.
fn parse_style(field: &str, value: &Value) -> Result<Style, ThemeError> {
    let fail = |sub: &str, message: String| ThemeError {
        field: Some(if sub.is_empty() {
            field.to_owned()
        } else {
            format!("{field}.{sub}")
        }),
        message,
    };
    let Value::Object(parts) = value else {
        return Err(fail(
            "",
            "expected a mapping with fg, bg and/or modifiers".into(),
        ));
    };
    let mut style = Style::new();
    for (key, part) in parts {
        match key.as_str() {
            "fg" => style = style.fg(parse_color(part).map_err(|m| fail("fg", m))?),
            "bg" => style = style.bg(parse_color(part).map_err(|m| fail("bg", m))?),
            "modifiers" => {
                let items: Vec<&Value> = match part {
                    Value::Array(items) => items.iter().collect(),
                    other => vec![other],
                };
                for item in items {
                    let modifier = item
                        .as_str()
                        .and_then(parse_modifier)
                        .ok_or_else(|| {
                            fail(
                                "modifiers",
                                format!(
                                    "unknown modifier {item} (known: bold, dim, italic, underlined, reversed, crossed_out)"
                                ),
                            )
                        })?;
                    style = style.add_modifier(modifier);
                }
            }
            other => {
                return Err(fail(other, "unknown key (known: fg, bg, modifiers)".into()));
            }
        }
    }
    Ok(style)
}

/// A colour: a name (`red`, `light-blue`, `reset`), `#rrggbb`, or a
/// 256-colour index (a number 0-255).
fn parse_color(value: &Value) -> Result<Color, String> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .and_then(|n| u8::try_from(n).ok())
            .map(Color::Indexed)
            .ok_or_else(|| format!("colour index {n} is not in 0-255")),
        Value::String(text) => text.parse::<Color>().map_err(|_| {
            format!("unknown colour '{text}' (use a name such as red, #rrggbb, or 0-255)")
        }),
        other => Err(format!("expected a colour, got {other}")),
    }
}

fn parse_modifier(name: &str) -> Option<Modifier> {
    Some(match name.to_ascii_lowercase().as_str() {
        "bold" => Modifier::BOLD,
        "dim" => Modifier::DIM,
        "italic" => Modifier::ITALIC,
        "underlined" | "underline" => Modifier::UNDERLINED,
        "reversed" | "reverse" => Modifier::REVERSED,
        "crossed_out" | "crossed-out" => Modifier::CROSSED_OUT,
        _ => return None,
    })
}

/// Picks the theme to use. `requested` (from the command line or config)
/// is looked up first as `<user_theme_dir>/<name>.yaml`, then among the
/// built-ins. Without a request, `no_color` (the `NO_COLOR` convention)
/// selects the monochrome theme; an explicit request wins over it. Anything
/// unknown or broken falls back (to monochrome under `no_color`, else the
/// default) with a warning for the user.
pub fn resolve(
    requested: Option<&str>,
    user_theme_dir: Option<&Path>,
    no_color: bool,
) -> (Theme, Vec<String>) {
    let fallback_name = if no_color { "monochrome" } else { "default" };
    let fallback = || Theme::builtin(fallback_name).unwrap_or_default();
    let Some(name) = requested else {
        return (fallback(), Vec::new());
    };
    let mut warnings = Vec::new();
    // A name is a file stem, never a path: keep lookups inside the directory.
    let simple = !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != "..";
    if !simple {
        warnings.push(format!(
            "theme '{name}' is not a theme name; using {fallback_name}"
        ));
        return (fallback(), warnings);
    }
    if let Some(dir) = user_theme_dir {
        let path = dir.join(format!("{name}.yaml"));
        match std::fs::read_to_string(&path) {
            Ok(text) => match Theme::from_yaml(&text) {
                Ok(theme) => return (theme, warnings),
                Err(err) => {
                    warnings.push(format!(
                        "theme {}: {err}; using {fallback_name}",
                        path.display()
                    ));
                    return (fallback(), warnings);
                }
            },
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                warnings.push(format!(
                    "theme {} unreadable: {err}; trying the built-in themes",
                    path.display()
                ));
            }
        }
    }
    match Theme::builtin(name) {
        Some(theme) => (theme, warnings),
        None => {
            warnings.push(format!(
                "unknown theme '{name}' (built-in: {}); using {fallback_name}",
                BUILTIN_NAMES.join(", ")
            ));
            (fallback(), warnings)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn has_colour(style: Style) -> bool {
        style.fg.is_some_and(|c| c != Color::Reset) || style.bg.is_some_and(|c| c != Color::Reset)
    }

    fn all_styles(theme: &Theme) -> Vec<Style> {
        let mut copy = theme.clone();
        FIELDS
            .iter()
            .filter_map(|name| copy.field_mut(name).map(|s| *s))
            .collect()
    }

    #[test]
    fn builtins_parse_completely_and_differ() {
        for (name, text) in BUILTINS {
            let parsed = Theme::parse_over(Theme::plain(), text);
            assert!(parsed.is_ok(), "{name}: {parsed:?}");
            // Every built-in names every field, so none silently inherits.
            let docs = crate::domain::yaml_documents(text).unwrap_or_default();
            let keys = docs
                .first()
                .and_then(Value::as_object)
                .map(|m| m.len())
                .unwrap_or(0);
            assert_eq!(keys, FIELDS.len(), "{name} must set every field");
        }
        assert_eq!(
            Theme::builtin_names(),
            ["default", "light", "high-contrast", "monochrome"]
        );
        let default = Theme::builtin("default");
        assert_eq!(default, Some(Theme::default()));
        assert_ne!(Theme::builtin("light"), default);
        assert_ne!(Theme::builtin("high-contrast"), default);
        assert!(Theme::builtin("nope").is_none());
    }

    #[test]
    fn monochrome_has_no_colour_but_marks_selection() {
        let mono = Theme::builtin("monochrome").unwrap_or_default();
        for style in all_styles(&mono) {
            assert!(!has_colour(style), "{style:?}");
        }
        assert!(mono.selected.add_modifier.contains(Modifier::REVERSED));
        assert_ne!(mono.selected, mono.selected_unfocused);
    }

    #[test]
    fn user_theme_overrides_only_what_it_sets() {
        let text = "top_bar: { fg: black, bg: \"#112233\", modifiers: [bold, italic] }\nfailed: { fg: 203 }\n";
        let theme = Theme::from_yaml(text).unwrap_or_default();
        assert_eq!(
            theme.top_bar,
            Style::new()
                .fg(Color::Black)
                .bg(Color::Rgb(0x11, 0x22, 0x33))
                .add_modifier(Modifier::BOLD | Modifier::ITALIC)
        );
        assert_eq!(theme.failed, Style::new().fg(Color::Indexed(203)));
        assert_eq!(theme.healthy, Theme::default().healthy);
        assert_eq!(theme.health(Health::Failed), theme.failed);
        assert_eq!(Theme::from_yaml(""), Ok(Theme::default()));
        let single = Theme::from_yaml("muted: { modifiers: dim }").unwrap_or_default();
        assert_eq!(single.muted, Style::new().add_modifier(Modifier::DIM));
    }

    #[test]
    fn errors_name_the_field() {
        let err = |text: &str| {
            Theme::from_yaml(text)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(err("topbar: { fg: red }").starts_with("topbar: unknown field"));
        assert!(err("failed: { fg: blu }").starts_with("failed.fg: unknown colour 'blu'"));
        assert!(err("failed: { fg: 300 }").starts_with("failed.fg: colour index 300"));
        assert!(err("failed: { bg: true }").starts_with("failed.bg: expected a colour"));
        assert!(
            err("failed: { modifiers: [blink] }").starts_with("failed.modifiers: unknown modifier")
        );
        assert!(err("failed: { colour: red }").starts_with("failed.colour: unknown key"));
        assert!(err("failed: red").starts_with("failed: expected a mapping"));
        assert!(err("- a").starts_with("expected a mapping"));
        assert!(err("a: [").starts_with("invalid YAML"));
        assert!(err("a: {}\n---\nb: {}\n").starts_with("expected one YAML document"));
        let e = Theme::from_yaml("failed: { fg: blu }").err();
        assert_eq!(e.and_then(|e| e.field).as_deref(), Some("failed.fg"));
    }

    #[test]
    fn resolve_order_and_fallbacks() {
        let dir = std::env::temp_dir().join(format!("osctui-theme-test-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        let _ = std::fs::write(dir.join("mine.yaml"), "failed: { fg: 203 }\n");
        let _ = std::fs::write(dir.join("light.yaml"), "muted: { fg: 1 }\n");
        let _ = std::fs::write(dir.join("broken.yaml"), "failed: { fg: nope }\n");
        let mono = Theme::builtin("monochrome").unwrap_or_default();

        assert_eq!(resolve(None, None, false), (Theme::default(), vec![]));
        assert_eq!(resolve(None, Some(&dir), true), (mono.clone(), vec![]));

        let (theme, warnings) = resolve(Some("mine"), Some(&dir), true);
        assert_eq!(theme.failed, Style::new().fg(Color::Indexed(203)));
        assert!(warnings.is_empty());

        // A user file shadows the built-in of the same name.
        let (theme, _) = resolve(Some("light"), Some(&dir), false);
        assert_eq!(theme.muted, Style::new().fg(Color::Indexed(1)));
        let (theme, _) = resolve(Some("light"), None, false);
        assert_eq!(Some(theme), Theme::builtin("light"));
        let (theme, _) = resolve(Some("high-contrast"), Some(&dir), true);
        assert_eq!(Some(theme), Theme::builtin("high-contrast"));

        let (theme, warnings) = resolve(Some("broken"), Some(&dir), false);
        assert_eq!(theme, Theme::default());
        assert!(
            warnings[0].contains("failed.fg: unknown colour"),
            "{warnings:?}"
        );
        let (theme, warnings) = resolve(Some("nope"), Some(&dir), true);
        assert_eq!(theme, mono);
        assert!(warnings[0].contains("unknown theme 'nope'"), "{warnings:?}");
        let (theme, warnings) = resolve(Some("../etc/passwd"), Some(&dir), false);
        assert_eq!(theme, Theme::default());
        assert_eq!(warnings.len(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
