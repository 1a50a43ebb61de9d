//! The raw YAML editor (tui-textarea): the buffer, and the errors found by
//! the local checks or the server, each pointing at a line. The buffer is
//! never dropped on an error.

use serde_json::Value;
use tui_textarea::TextArea;

use crate::keymap::KeyPress;

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
    pub fn new(_text: &str, _spec_schema: Option<Value>) -> Self {
        todo!("state::editor::YamlEditor::new")
    }

    /// The buffer as text.
    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }

    /// Handles a key in `Mode::Editor`: `Submit` (ctrl+s) checks the text
    /// (YAML, then the schema) and returns the object or marks the errors;
    /// `Cancel` (Esc) leaves; every other key edits the buffer.
    pub fn on_key(
        &mut self,
        _action: Option<crate::action::Action>,
        _key: KeyPress,
    ) -> EditorOutcome {
        todo!("state::editor::YamlEditor::on_key")
    }

    /// Shows errors from elsewhere (the server's dry run), each at the line
    /// of its field path when it can be found.
    pub fn set_errors(&mut self, _errors: &[(String, String)]) {
        todo!("state::editor::YamlEditor::set_errors")
    }
}
