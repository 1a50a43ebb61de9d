//! The raw YAML editor (tui-textarea): the buffer, and the errors found by
//! the local checks or the server, each pointing at a line. The buffer is
//! never dropped on an error.

use ratatui::style::Style;
use serde_json::Value;
use tui_textarea::{Input, Key, TextArea};

use crate::action::Action;
use crate::domain::text::sanitize;
use crate::domain::validate::{locate, parse_yaml, validate_spec};
use crate::keymap::{KeyCode, KeyPress};

/// An error shown in the editor, at a line when one is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EditorError {
    /// 1-based line.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// What a key did to the editor.
#[derive(Debug, Clone, PartialEq)]
pub enum EditorOutcome {
    /// Keep editing; whether anything visible changed.
    Continue(bool),
    /// The user asked to go on (ctrl+s): the text parsed and passed the
    /// local schema checks; here is the object.
    Submit(Value),
    /// The user left the editor (Esc).
    Cancel,
}

/// The YAML editor.
#[derive(Debug, Clone)]
pub struct YamlEditor {
    /// The buffer.
    pub textarea: TextArea<'static>,
    /// Errors of the last check, sorted by line.
    pub errors: Vec<EditorError>,
    /// The schema of `spec` for the local checks, when known.
    pub spec_schema: Option<Value>,
}

impl YamlEditor {
    /// An editor holding `text`.
    pub fn new(text: &str, spec_schema: Option<Value>) -> Self {
        // The text comes from the cluster: control characters would reach
        // the terminal as they are. Valid YAML has none apart from tabs,
        // which the textarea expands itself.
        let lines: Vec<String> = text
            .lines()
            .map(|line| {
                line.split('\t')
                    .map(|part| sanitize(part).into_owned())
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect();
        let mut textarea = TextArea::new(lines);
        // Line numbers on; their colours are the theme's, set when drawn.
        textarea.set_line_number_style(Style::default());
        textarea.set_cursor_line_style(Style::default());
        textarea.set_tab_length(2);
        Self {
            textarea,
            errors: Vec::new(),
            spec_schema,
        }
    }

    /// The buffer as text.
    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    /// Whether a 1-based line has an error.
    pub fn line_has_error(&self, line: usize) -> bool {
        self.errors.iter().any(|e| e.line == Some(line))
    }

    /// Handles a key in `Mode::Editor`: `Submit` (ctrl+s) checks the text
    /// (YAML, then the schema) and returns the object or marks the errors;
    /// `Cancel` (Esc) leaves; every other key edits the buffer.
    pub fn on_key(&mut self, action: Option<Action>, key: KeyPress) -> EditorOutcome {
        match action {
            Some(Action::Submit) => return self.check(),
            Some(Action::Cancel | Action::Back) => return EditorOutcome::Cancel,
            // Quit and the like are the caller's.
            Some(_) if key.ctrl => return EditorOutcome::Continue(false),
            _ => {}
        }
        let input = to_input(key);
        let before = self.textarea.cursor();
        let edited = self.textarea.input(input);
        EditorOutcome::Continue(edited || self.textarea.cursor() != before)
    }

    /// Parses and checks the buffer: the object, or the errors marked.
    fn check(&mut self) -> EditorOutcome {
        let text = self.text();
        let object = match parse_yaml(&text) {
            Ok(object) => object,
            Err(error) => {
                if let Some(line) = error.line {
                    self.jump_to(line);
                }
                self.errors = vec![EditorError {
                    line: error.line,
                    message: error.message,
                }];
                return EditorOutcome::Continue(true);
            }
        };
        if !object.is_object() {
            self.errors = vec![EditorError {
                line: Some(1),
                message: "the document must be a mapping (apiVersion, kind, metadata, spec)".into(),
            }];
            return EditorOutcome::Continue(true);
        }
        if let Some(schema) = &self.spec_schema {
            let spec = object.get("spec").cloned().unwrap_or(Value::Null);
            let violations: Vec<(String, String)> = validate_spec(&spec, schema)
                .into_iter()
                .map(|v| (v.path, v.message))
                .collect();
            if !violations.is_empty() {
                self.set_errors(&violations);
                return EditorOutcome::Continue(true);
            }
        }
        self.errors.clear();
        EditorOutcome::Submit(object)
    }

    /// Shows errors from elsewhere (the server's dry run), each at the line
    /// of its field path when it can be found.
    pub fn set_errors(&mut self, errors: &[(String, String)]) {
        let text = self.text();
        let mut marked: Vec<EditorError> = errors
            .iter()
            .map(|(path, message)| EditorError {
                line: if path.is_empty() {
                    None
                } else {
                    locate(&text, path)
                },
                message: if path.is_empty() {
                    message.clone()
                } else {
                    format!("{path}: {message}")
                },
            })
            .collect();
        // By line, errors without one last; the sort is stable.
        marked.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
        self.errors = marked;
        if let Some(line) = self.errors.first().and_then(|e| e.line) {
            self.jump_to(line);
        }
    }

    /// Puts the cursor at the start of a 1-based line.
    pub fn jump_to(&mut self, line: usize) {
        let row = u16::try_from(line.saturating_sub(1)).unwrap_or(u16::MAX);
        self.textarea
            .move_cursor(tui_textarea::CursorMove::Jump(row, 0));
    }
}

/// Our key as the textarea's input.
fn to_input(key: KeyPress) -> Input {
    let code = match key.code {
        KeyCode::Char(c) => Key::Char(c),
        KeyCode::Enter => Key::Enter,
        KeyCode::Esc => Key::Esc,
        KeyCode::Backspace => Key::Backspace,
        KeyCode::Tab => Key::Tab,
        KeyCode::Up => Key::Up,
        KeyCode::Down => Key::Down,
        KeyCode::Left => Key::Left,
        KeyCode::Right => Key::Right,
        KeyCode::PageUp => Key::PageUp,
        KeyCode::PageDown => Key::PageDown,
        KeyCode::Home => Key::Home,
        KeyCode::End => Key::End,
        KeyCode::Delete => Key::Delete,
        KeyCode::F(n) => Key::F(n),
    };
    Input {
        key: code,
        ctrl: key.ctrl,
        alt: key.alt,
        shift: key.shift,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const KAFKA: &str = "apiVersion: osc.example.com/v1\nkind: HwFka\nmetadata:\n  name: orders\nspec:\n  version: 3.6.1\n  replicas: 3\n  storage:\n    size: 20Gi\n";

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "version": {"type": "string"},
                "replicas": {"type": "integer", "minimum": 1, "maximum": 9},
                "storage": {
                    "type": "object",
                    "properties": {"size": {"type": "string"}}
                }
            }
        })
    }

    fn ctrl_s() -> (Option<Action>, KeyPress) {
        (Some(Action::Submit), KeyPress::ctrl('s'))
    }

    fn submit(editor: &mut YamlEditor) -> EditorOutcome {
        let (action, key) = ctrl_s();
        editor.on_key(action, key)
    }

    #[test]
    fn typing_edits_the_buffer() {
        let mut editor = YamlEditor::new("a: 1\n", None);
        assert_eq!(editor.text(), "a: 1");
        let end = KeyPress::new(KeyCode::End);
        assert_eq!(editor.on_key(None, end), EditorOutcome::Continue(true));
        for c in "0".chars() {
            editor.on_key(None, KeyPress::char(c));
        }
        editor.on_key(None, KeyPress::new(KeyCode::Enter));
        for c in "b: 2".chars() {
            editor.on_key(None, KeyPress::char(c));
        }
        assert_eq!(editor.text(), "a: 10\nb: 2");
        editor.on_key(None, KeyPress::new(KeyCode::Backspace));
        assert_eq!(editor.text(), "a: 10\nb: ");
    }

    #[test]
    fn control_characters_from_the_cluster_are_neutralized() {
        let editor = YamlEditor::new("name: \u{1b}]0;owned\u{7}\n\tkey: x", None);
        assert_eq!(editor.textarea.lines()[0], "name: ^[]0;owned^G");
        assert_eq!(editor.textarea.lines()[1], "\tkey: x");
    }

    #[test]
    fn esc_leaves_and_quit_is_not_typed() {
        let mut editor = YamlEditor::new(KAFKA, None);
        let esc = KeyPress::new(KeyCode::Esc);
        assert_eq!(
            editor.on_key(Some(Action::Cancel), esc),
            EditorOutcome::Cancel
        );
        assert_eq!(
            editor.on_key(Some(Action::Quit), KeyPress::ctrl('c')),
            EditorOutcome::Continue(false)
        );
        assert_eq!(editor.text(), KAFKA.trim_end());
    }

    #[test]
    fn valid_text_submits_the_object() {
        let mut editor = YamlEditor::new(KAFKA, Some(schema()));
        let EditorOutcome::Submit(object) = submit(&mut editor) else {
            panic!("valid: {:?}", editor.errors);
        };
        assert_eq!(object["spec"]["replicas"], json!(3));
        assert!(editor.errors.is_empty());
    }

    #[test]
    fn invalid_yaml_keeps_the_buffer_and_points_at_the_line() {
        let broken = KAFKA.replace("  replicas: 3", "  replicas: [3");
        let mut editor = YamlEditor::new(&broken, Some(schema()));
        assert_eq!(submit(&mut editor), EditorOutcome::Continue(true));
        assert_eq!(editor.text(), broken.trim_end());
        assert_eq!(editor.errors.len(), 1);
        let line = editor.errors[0].line.expect("a line");
        assert!(
            (7..=9).contains(&line),
            "the unclosed sequence starts on line 7: {:?}",
            editor.errors
        );
    }

    #[test]
    fn a_schema_violation_points_at_the_line_of_the_field() {
        let text = KAFKA.replace("replicas: 3", "replicas: 12");
        let mut editor = YamlEditor::new(&text, Some(schema()));
        assert_eq!(submit(&mut editor), EditorOutcome::Continue(true));
        assert_eq!(editor.errors.len(), 1, "{:?}", editor.errors);
        assert_eq!(editor.errors[0].line, Some(7));
        assert!(
            editor.errors[0].message.starts_with("spec.replicas: "),
            "{:?}",
            editor.errors
        );
        assert!(editor.line_has_error(7));
        assert_eq!(editor.textarea.cursor(), (6, 0), "the cursor goes there");
        assert_eq!(editor.text(), text.trim_end());
    }

    #[test]
    fn an_alias_bomb_is_refused() {
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (prev, name) in ["a", "b", "c", "d", "e", "f", "g", "h", "i"]
            .iter()
            .zip(["b", "c", "d", "e", "f", "g", "h", "i", "j"])
        {
            let refs = vec![format!("*{prev}"); 10].join(", ");
            bomb.push_str(&format!("{name}: &{name} [{refs}]\n"));
        }
        let mut editor = YamlEditor::new(&bomb, None);
        assert_eq!(submit(&mut editor), EditorOutcome::Continue(true));
        assert_eq!(editor.errors.len(), 1);
        assert_eq!(editor.text(), bomb.trim_end());
    }

    #[test]
    fn a_scalar_document_is_refused() {
        let mut editor = YamlEditor::new("just text", None);
        assert_eq!(submit(&mut editor), EditorOutcome::Continue(true));
        assert_eq!(editor.errors[0].line, Some(1));
    }

    #[test]
    fn server_causes_land_on_their_lines() {
        let mut editor = YamlEditor::new(KAFKA, None);
        editor.set_errors(&[
            ("".into(), "admission webhook denied the request".into()),
            ("spec.storage.size".into(), "cannot shrink".into()),
            ("spec.replicas".into(), "must be odd".into()),
        ]);
        let lines: Vec<Option<usize>> = editor.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [Some(7), Some(9), None]);
        assert_eq!(editor.errors[0].message, "spec.replicas: must be odd");
        assert_eq!(
            editor.errors[2].message,
            "admission webhook denied the request"
        );
    }
}
