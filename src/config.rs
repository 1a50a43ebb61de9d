//! The user's configuration: `config.yaml` and `keys.yaml` in the XDG config
//! directory (`$XDG_CONFIG_HOME/osctui`, else `~/.config/osctui`; or
//! `$OSCTUI_CONFIG_DIR`), plus user themes in its `themes/` folder.
//!
//! A bad file never stops the console: what can be read is used, the rest
//! falls back to defaults, and every problem is reported as a readable line.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::keymap::Keymap;

/// Settings from `config.yaml`. Every field is optional; the command line
/// wins over the file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settings {
    /// Theme name (built-in or `themes/<name>.yaml`).
    pub theme: Option<String>,
    /// Namespace to start in (absent: all namespaces).
    pub namespace: Option<String>,
    /// Never send a write request.
    pub readonly: bool,
    /// Most log lines kept in memory by the log view (`logLines`).
    pub log_lines: Option<usize>,
    /// Prometheus for MonitorConfig queries (`prometheus`), as
    /// `namespace/service:port`, reached through the API server's service proxy.
    pub prometheus: Option<String>,
    /// Where Helm upgrades find chart versions (`helmCharts`): a directory
    /// of packaged charts (`<chart>-<version>.tgz`).
    pub helm_charts: Option<PathBuf>,
}

/// Everything read from the config directory.
#[derive(Debug, Clone)]
pub struct UserConfig {
    /// The directory read (it may not exist).
    pub dir: Option<PathBuf>,
    /// Settings.
    pub settings: Settings,
    /// Default keys with the user's overrides.
    pub keymap: Keymap,
    /// One line per problem found (file and what is wrong).
    pub problems: Vec<String>,
}

impl UserConfig {
    /// Directory of user themes.
    pub fn theme_dir(&self) -> Option<PathBuf> {
        self.dir.as_ref().map(|d| d.join("themes"))
    }
}

/// The config directory: `$OSCTUI_CONFIG_DIR`, else the XDG one.
pub fn config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OSCTUI_CONFIG_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("dev", "osctui", "osctui").map(|d| d.config_dir().to_owned())
}

/// The data directory: `$OSCTUI_DATA_DIR`, else the XDG one
/// (`$XDG_DATA_HOME/osctui`, else `~/.local/share/osctui`).
pub fn data_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OSCTUI_DATA_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("dev", "osctui", "osctui").map(|d| d.data_dir().to_owned())
}

/// The cache directory: `$OSCTUI_CACHE_DIR`, else the XDG one
/// (`$XDG_CACHE_HOME/osctui`, else `~/.cache/osctui`). Nothing in it is
/// needed: a missing or unreadable cache only costs time.
pub fn cache_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OSCTUI_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::ProjectDirs::from("dev", "osctui", "osctui").map(|d| d.cache_dir().to_owned())
}

/// Writes `text` to a new file `name` in the data directory's `folder`
/// (created if needed), never replacing an existing file. Returns its path.
pub fn save_file(folder: &str, name: &str, text: &str) -> std::io::Result<PathBuf> {
    use std::io::Write;
    let dir = data_dir()
        .ok_or_else(|| std::io::Error::other("no data directory (set OSCTUI_DATA_DIR)"))?
        .join(folder);
    std::fs::create_dir_all(&dir)?;
    // Only a plain file name: nothing from the cluster may pick a directory.
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let safe = safe.trim_start_matches('.');
    let (stem, ext) = safe.rsplit_once('.').unwrap_or((safe, "txt"));
    for n in 0..1000 {
        let file = if n == 0 {
            format!("{stem}.{ext}")
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(file);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut out) => {
                out.write_all(text.as_bytes())?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::other("too many files of that name"))
}

/// Reads the config directory (a missing directory or file is not an error).
pub fn load(dir: Option<&Path>) -> UserConfig {
    let mut problems = Vec::new();
    let mut settings = Settings::default();
    let mut keymap = Keymap::default();
    if let Some(dir) = dir {
        let path = dir.join("config.yaml");
        if let Some(text) = read_optional(&path, &mut problems) {
            settings = parse_settings(&text).unwrap_or_else(|errors| {
                for error in errors {
                    problems.push(format!("{}: {error}", path.display()));
                }
                Settings::default()
            });
        }
        let path = dir.join("keys.yaml");
        if let Some(text) = read_optional(&path, &mut problems)
            && let Err(err) = keymap.apply_yaml(&text)
        {
            problems.push(format!("{}: {err}", path.display()));
        }
    }
    UserConfig {
        dir: dir.map(Path::to_owned),
        settings,
        keymap,
        problems,
    }
}

/// Files larger than this are refused rather than parsed.
const MAX_FILE: u64 = 1024 * 1024;

fn read_optional(path: &Path, problems: &mut Vec<String>) -> Option<String> {
    match std::fs::metadata(path) {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return None,
        Err(err) => {
            problems.push(format!("{}: cannot read: {err}", path.display()));
            return None;
        }
        Ok(meta) if meta.len() > MAX_FILE => {
            problems.push(format!("{}: larger than 1 MiB, ignored", path.display()));
            return None;
        }
        Ok(_) => {}
    }
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(err) => {
            problems.push(format!("{}: cannot read: {err}", path.display()));
            None
        }
    }
}

/// `namespace/service:port`, e.g. `monitoring/prometheus-k8s:9090`.
fn is_service_address(text: &str) -> bool {
    let Some((namespace, rest)) = text.split_once('/') else {
        return false;
    };
    let Some((service, port)) = rest.rsplit_once(':') else {
        return false;
    };
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    };
    name_ok(namespace)
        && name_ok(service)
        && (port.parse::<u16>().is_ok_and(|p| p > 0) || name_ok(port))
}

/// Parses `config.yaml`. Returns every problem when any field is bad, so
/// the user can fix them all at once.
pub fn parse_settings(text: &str) -> Result<Settings, Vec<String>> {
    let docs = crate::domain::yaml_documents(text).map_err(|e| vec![e.to_string()])?;
    let root = match docs.as_slice() {
        [] => return Ok(Settings::default()),
        [root] => root,
        _ => return Err(vec!["expected one YAML document".into()]),
    };
    let Value::Object(fields) = root else {
        return Err(vec![
            "expected a mapping (theme, namespace, readonly, logLines, prometheus, helmCharts)"
                .into(),
        ]);
    };
    let mut settings = Settings::default();
    let mut problems = Vec::new();
    for (key, value) in fields {
        match (key.as_str(), value) {
            ("theme", Value::String(name)) => settings.theme = Some(name.clone()),
            ("namespace", Value::String(name)) => settings.namespace = Some(name.clone()),
            ("namespace", Value::Null) => settings.namespace = None,
            ("readonly", Value::Bool(on)) => settings.readonly = *on,
            ("logLines", Value::Number(n)) if n.as_u64().is_some_and(|n| (1_000..=10_000_000).contains(&n)) => {
                settings.log_lines = n.as_u64().and_then(|n| usize::try_from(n).ok());
            }
            ("logLines", other) => problems.push(format!(
                "logLines: expected a number of lines from 1000 to 10000000, got {other}"
            )),
            ("prometheus", Value::String(service)) if is_service_address(service) => {
                settings.prometheus = Some(service.clone());
            }
            ("prometheus", other) => problems.push(format!(
                "prometheus: expected NAMESPACE/SERVICE:PORT (reached through the API server's service proxy), got {other}"
            )),
            ("helmCharts", Value::String(dir)) if !dir.is_empty() => {
                settings.helm_charts = Some(PathBuf::from(dir));
            }
            ("helmCharts", other) => problems.push(format!(
                "helmCharts: expected a directory of packaged charts, got {other}"
            )),
            ("theme" | "namespace", other) => {
                problems.push(format!("{key}: expected a string, got {other}"));
            }
            ("readonly", other) => {
                problems.push(format!("readonly: expected true or false, got {other}"));
            }
            (other, _) => problems.push(format!(
                "{other}: unknown setting (known: theme, namespace, readonly, logLines, prometheus, helmCharts)"
            )),
        }
    }
    if problems.is_empty() {
        Ok(settings)
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;
    use crate::keymap::{KeyPress, Mode};

    #[test]
    fn settings_parse_and_report() {
        let ok = parse_settings(
            "theme: light\nnamespace: team-a\nreadonly: true\nlogLines: 20000\nprometheus: monitoring/prometheus-k8s:9090\n",
        );
        assert_eq!(
            ok,
            Ok(Settings {
                theme: Some("light".into()),
                namespace: Some("team-a".into()),
                readonly: true,
                log_lines: Some(20_000),
                prometheus: Some("monitoring/prometheus-k8s:9090".into()),
                helm_charts: None,
            })
        );
        let bad = parse_settings("logLines: 5\nprometheus: http://prom:9090\n")
            .err()
            .unwrap_or_default();
        assert_eq!(bad.len(), 2, "{bad:?}");
        assert_eq!(parse_settings(""), Ok(Settings::default()));
        // YAML 1.2: `yes` is a string, not a boolean.
        let bad = parse_settings("readonly: yes\ncolour: red\n")
            .err()
            .unwrap_or_default();
        assert_eq!(bad.len(), 2, "{bad:?}");
        let has = |text: &str| bad.iter().any(|p| p.contains(text));
        assert!(has("readonly: expected true or false"), "{bad:?}");
        assert!(has("colour: unknown setting"), "{bad:?}");
        assert!(parse_settings("[1, 2]").is_err());
        assert!(parse_settings("theme: [").is_err());
    }

    #[test]
    fn loads_directory_and_keeps_defaults_on_errors() {
        let dir = std::env::temp_dir().join(format!("osctui-config-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert!(std::fs::create_dir_all(&dir).is_ok());
        let missing = load(Some(&dir));
        assert!(missing.problems.is_empty());
        assert_eq!(missing.settings, Settings::default());

        let _ = std::fs::write(dir.join("config.yaml"), "theme: light\n");
        let _ = std::fs::write(dir.join("keys.yaml"), "normal:\n  move-down: [J]\n");
        let good = load(Some(&dir));
        assert!(good.problems.is_empty(), "{:?}", good.problems);
        assert_eq!(good.settings.theme.as_deref(), Some("light"));
        assert_eq!(
            good.keymap.action(Mode::Normal, KeyPress::char('J')),
            Some(Action::MoveDown)
        );
        assert_eq!(good.theme_dir(), Some(dir.join("themes")));

        let _ = std::fs::write(dir.join("config.yaml"), "theme: [unclosed\n");
        let _ = std::fs::write(dir.join("keys.yaml"), "normal:\n  fly: [x]\n");
        let bad = load(Some(&dir));
        assert_eq!(bad.problems.len(), 2, "{:?}", bad.problems);
        assert!(bad.problems[0].contains("config.yaml"));
        assert!(bad.problems[1].contains("keys.yaml"));
        assert_eq!(bad.settings, Settings::default());
        assert_eq!(
            bad.keymap.action(Mode::Normal, KeyPress::char('j')),
            Some(Action::MoveDown)
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
