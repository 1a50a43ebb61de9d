//! A form being filled in: the fields of a [`crate::domain::form::Form`],
//! the text typed into each, the cursor, pickers for Secrets and
//! ConfigMaps, masked passwords, and the errors found on submit.

use serde_json::Value;

use crate::action::Action;
use crate::domain::form::{FieldKind, Form, initial_text, parse_input};
use crate::keymap::{KeyCode, KeyPress};

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormOutcome {
    /// Keep editing; whether anything visible changed.
    Continue(bool),
    /// The user submitted it: the values of the fields whose text differs
    /// from the text they started with, each as (path, value; None =
    /// unset). A field left as it was is not sent, even when its text
    /// parses to a value of another type than the object holds (`cpu: 2`
    /// read back as the quantity "2"). Only returned when every field
    /// parses; otherwise the errors are shown on the fields and
    /// `Continue(true)`. [`FormState::all_values`] has every field.
    Submit(Vec<(String, Option<Value>)>),
    /// The user left the form (Esc).
    Cancel,
}

/// A form on screen.
#[derive(Debug, Clone)]
pub struct FormState {
    /// The fields.
    pub form: Form,
    /// Text of each field, in the form's order.
    pub inputs: Vec<String>,
    /// The text each field started with (what "changed" is judged against).
    pub initial: Vec<String>,
    /// The field with the cursor.
    pub cursor: usize,
    /// Passwords shown in clear.
    pub reveal: bool,
    /// Per field, what is wrong with it (parse errors, schema violations,
    /// server causes), shown under the field.
    pub errors: Vec<Option<String>>,
    /// Secret names, for SecretRef fields.
    pub secrets: Vec<String>,
    /// ConfigMap names, for ConfigMapRef fields.
    pub config_maps: Vec<String>,
}

/// The mask shown for a password, whatever its length (the length is a
/// hint worth hiding too).
pub const MASK: &str = "••••••••";

impl FormState {
    /// A form starting from each field's current value.
    pub fn new(form: Form, secrets: Vec<String>, config_maps: Vec<String>) -> Self {
        let inputs: Vec<String> = form.fields.iter().map(initial_text).collect();
        let errors = vec![None; inputs.len()];
        Self {
            form,
            initial: inputs.clone(),
            inputs,
            cursor: 0,
            reveal: false,
            errors,
            secrets,
            config_maps,
        }
    }

    /// Whether any field shows an error.
    pub fn has_errors(&self) -> bool {
        self.errors.iter().any(Option::is_some)
    }

    /// The text shown for field `index`: passwords masked unless revealed
    /// (an empty password shows as empty, so "unset" stays visible).
    pub fn shown_text(&self, index: usize) -> String {
        let text = self.inputs.get(index).map_or("", String::as_str);
        let masked = self
            .form
            .fields
            .get(index)
            .is_some_and(|f| f.kind == FieldKind::Password);
        if masked && !self.reveal && !text.is_empty() {
            MASK.to_owned()
        } else {
            text.to_owned()
        }
    }

    /// The values a cycling field steps through (booleans, choices, picker
    /// names), with "unset" first when the field may be left out; None when
    /// the field is typed.
    pub fn options(&self, index: usize) -> Option<Vec<String>> {
        let field = self.form.fields.get(index)?;
        let mut options: Vec<String> = match &field.kind {
            FieldKind::Boolean => vec!["true".into(), "false".into()],
            FieldKind::Choice(choices) => choices.clone(),
            FieldKind::SecretRef => self.secrets.clone(),
            FieldKind::ConfigMapRef => self.config_maps.clone(),
            _ => return None,
        };
        if !field.required {
            options.insert(0, String::new());
        }
        Some(options)
    }

    /// Handles a key (raw, for typing) and its action in `Mode::Wizard`
    /// (`MoveUp`/`MoveDown` between fields, `Submit`, `Cancel`, `Reveal`).
    pub fn on_key(&mut self, action: Option<Action>, key: KeyPress) -> FormOutcome {
        // Printable characters type, whatever they might be bound to
        // elsewhere: a form has to accept every letter.
        if let KeyCode::Char(c) = key.code
            && !key.ctrl
            && !key.alt
            && !c.is_control()
        {
            return FormOutcome::Continue(self.type_char(c));
        }
        match action {
            Some(Action::MoveUp) => return FormOutcome::Continue(self.move_by(-1)),
            Some(Action::MoveDown) => return FormOutcome::Continue(self.move_by(1)),
            Some(Action::Submit) => return self.submit(),
            Some(Action::Back | Action::Cancel) => return FormOutcome::Cancel,
            Some(Action::Reveal) => {
                self.reveal = !self.reveal;
                return FormOutcome::Continue(true);
            }
            Some(Action::DeleteBack) => return FormOutcome::Continue(self.delete_back()),
            _ => {}
        }
        let changed = match key.code {
            KeyCode::Backspace => self.delete_back(),
            KeyCode::Tab if key.shift => self.move_by(-1),
            KeyCode::Tab => self.move_by(1),
            KeyCode::Up => self.move_by(-1),
            KeyCode::Down => self.move_by(1),
            KeyCode::Left => self.cycle(-1),
            KeyCode::Right => self.cycle(1),
            KeyCode::Enter => return self.submit(),
            _ => false,
        };
        FormOutcome::Continue(changed)
    }

    fn move_by(&mut self, delta: isize) -> bool {
        let last = self.inputs.len().saturating_sub(1);
        let to = self.cursor.saturating_add_signed(delta).min(last);
        let changed = to != self.cursor;
        self.cursor = to;
        changed
    }

    fn type_char(&mut self, c: char) -> bool {
        let Some(field) = self.form.fields.get(self.cursor) else {
            return false;
        };
        match field.kind {
            // Booleans and choices are picked, not typed: Space steps on.
            FieldKind::Boolean | FieldKind::Choice(_) => c == ' ' && self.cycle(1),
            _ => {
                let Some(input) = self.inputs.get_mut(self.cursor) else {
                    return false;
                };
                input.push(c);
                self.touched();
                true
            }
        }
    }

    fn delete_back(&mut self) -> bool {
        let Some(input) = self.inputs.get_mut(self.cursor) else {
            return false;
        };
        if input.pop().is_none() {
            return false;
        }
        self.touched();
        true
    }

    /// Steps a cycling field to the next (`delta` 1) or previous option.
    fn cycle(&mut self, delta: isize) -> bool {
        let Some(options) = self.options(self.cursor).filter(|o| !o.is_empty()) else {
            return false;
        };
        let Some(input) = self.inputs.get_mut(self.cursor) else {
            return false;
        };
        let len = options.len();
        let next = match options.iter().position(|o| o == input) {
            Some(at) => (at + len).saturating_add_signed(delta) % len,
            // Text that is no option (typed, or an old value): start over.
            None if delta > 0 => 0,
            None => len - 1,
        };
        if options[next] == *input {
            return false;
        }
        *input = options[next].clone();
        self.touched();
        true
    }

    /// The field under the cursor changed: its old error no longer applies.
    fn touched(&mut self) {
        if let Some(error) = self.errors.get_mut(self.cursor) {
            *error = None;
        }
    }

    /// Whether field `index` holds other text than it started with.
    pub fn changed(&self, index: usize) -> bool {
        self.inputs.get(index) != self.initial.get(index)
    }

    /// Parses field `index` as typed (text and passwords are kept exactly;
    /// `parse_input` ignores spaces around other kinds).
    fn parse(&self, index: usize) -> Result<Option<Value>, String> {
        let (Some(field), Some(text)) = (self.form.fields.get(index), self.inputs.get(index))
        else {
            return Err("no such field".to_owned());
        };
        let value = parse_input(&field.kind, text)?;
        if value.is_none() && field.required {
            return Err("a value is required".to_owned());
        }
        Ok(value)
    }

    /// The value of every field that parses, each as (path, value; None =
    /// unset), changed or not: what an operation CR created from the form
    /// is made of.
    pub fn all_values(&self) -> Vec<(String, Option<Value>)> {
        (0..self.form.fields.len())
            .filter_map(|i| Some((self.form.fields[i].path.clone(), self.parse(i).ok()?)))
            .collect()
    }

    /// Parses every field; errors go on their fields and the cursor to the
    /// first of them. The values of the changed fields are submitted.
    fn submit(&mut self) -> FormOutcome {
        let mut values = Vec::with_capacity(self.inputs.len());
        let mut first_error = None;
        for i in 0..self.form.fields.len() {
            match self.parse(i) {
                Ok(value) => {
                    if let Some(error) = self.errors.get_mut(i) {
                        *error = None;
                    }
                    if self.changed(i) {
                        values.push((self.form.fields[i].path.clone(), value));
                    }
                }
                Err(message) => {
                    if let Some(error) = self.errors.get_mut(i) {
                        *error = Some(message);
                    }
                    first_error.get_or_insert(i);
                }
            }
        }
        match first_error {
            Some(at) => {
                self.cursor = at;
                FormOutcome::Continue(true)
            }
            None => FormOutcome::Submit(values),
        }
    }

    /// Marks errors by path (schema violations, server causes) on the
    /// fields they belong to; paths no field has go to the first field.
    pub fn set_errors(&mut self, errors: &[(String, String)]) {
        let mut first = None;
        for (path, message) in errors {
            let best = self
                .form
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| is_prefix(&f.path, path))
                .max_by_key(|(_, f)| f.path.len())
                .map(|(i, _)| i);
            let (at, text) = match best {
                Some(i) if self.form.fields[i].path == *path => (i, message.clone()),
                // Say which part of the field it is about.
                Some(i) => (i, format!("{path}: {message}")),
                None if path.is_empty() => (0, message.clone()),
                None => (0, format!("{path}: {message}")),
            };
            let Some(slot) = self.errors.get_mut(at) else {
                continue;
            };
            *slot = Some(match slot.take() {
                Some(before) => format!("{before}; {text}"),
                None => text,
            });
            first = Some(first.map_or(at, |f: usize| f.min(at)));
        }
        if let Some(at) = first {
            self.cursor = at;
        }
    }
}

/// Whether `prefix` is `path` or one of its parents (`spec.a` of
/// `spec.a.b` and of `spec.a[0]`, not of `spec.ab`).
fn is_prefix(prefix: &str, path: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('.') || rest.starts_with('['),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::form::FormField;
    use serde_json::json;

    fn field(path: &str, kind: FieldKind, required: bool, current: Option<Value>) -> FormField {
        FormField {
            path: path.into(),
            label: path.rsplit('.').next().unwrap_or(path).into(),
            description: None,
            kind,
            required,
            default: None,
            current,
        }
    }

    fn sample() -> FormState {
        let form = Form {
            fields: vec![
                field(
                    "spec.replicas",
                    FieldKind::Integer {
                        min: Some(1),
                        max: Some(9),
                    },
                    true,
                    Some(json!(3)),
                ),
                field("spec.tls", FieldKind::Boolean, false, Some(json!(true))),
                field(
                    "spec.mode",
                    FieldKind::Choice(vec!["fast".into(), "safe".into()]),
                    true,
                    Some(json!("safe")),
                ),
                field(
                    "spec.password",
                    FieldKind::Password,
                    false,
                    Some(json!("s3cret")),
                ),
                field("spec.credentials", FieldKind::SecretRef, false, None),
                field("spec.config", FieldKind::Structured, false, None),
            ],
        };
        FormState::new(
            form,
            vec!["kafka-admin".into(), "tls-cert".into()],
            Vec::new(),
        )
    }

    fn press(form: &mut FormState, text: &str) -> FormOutcome {
        form.on_key(None, KeyPress::parse(text).unwrap())
    }

    fn typed(form: &mut FormState, text: &str) {
        for c in text.chars() {
            form.on_key(None, KeyPress::char(c));
        }
    }

    #[test]
    fn starts_from_current_values() {
        let form = sample();
        assert_eq!(form.inputs[0], "3");
        assert_eq!(form.inputs[2], "safe");
        assert_eq!(form.inputs[4], "");
        assert_eq!(form.errors, vec![None; 6]);
    }

    #[test]
    fn moves_between_fields_and_stops_at_the_ends() {
        let mut form = sample();
        assert_eq!(
            form.on_key(Some(Action::MoveUp), KeyPress::new(KeyCode::Up)),
            FormOutcome::Continue(false)
        );
        form.on_key(Some(Action::MoveDown), KeyPress::new(KeyCode::Tab));
        assert_eq!(form.cursor, 1);
        press(&mut form, "Tab");
        assert_eq!(form.cursor, 2);
        press(&mut form, "shift+Tab");
        assert_eq!(form.cursor, 1);
        for _ in 0..10 {
            press(&mut form, "Down");
        }
        assert_eq!(form.cursor, 5);
    }

    #[test]
    fn typing_edits_the_field_under_the_cursor_even_bound_letters() {
        let mut form = sample();
        press(&mut form, "Backspace");
        typed(&mut form, "7q");
        assert_eq!(form.inputs[0], "7q");
        form.on_key(Some(Action::DeleteBack), KeyPress::new(KeyCode::Backspace));
        assert_eq!(form.inputs[0], "7");
        // `j` might be bound to MoveDown elsewhere: it still types.
        form.cursor = 5;
        form.on_key(Some(Action::MoveDown), KeyPress::char('j'));
        assert_eq!(form.inputs[5], "j");
        assert_eq!(form.cursor, 5);
    }

    #[test]
    fn booleans_choices_and_pickers_cycle() {
        let mut form = sample();
        form.cursor = 1;
        press(&mut form, "Right");
        assert_eq!(form.inputs[1], "false");
        press(&mut form, "Space");
        // Not required: unset comes round.
        assert_eq!(form.inputs[1], "");
        typed(&mut form, "x");
        assert_eq!(form.inputs[1], "", "a boolean is not typed");
        form.cursor = 2;
        press(&mut form, "Right");
        assert_eq!(form.inputs[2], "fast");
        press(&mut form, "Left");
        assert_eq!(form.inputs[2], "safe");
        form.cursor = 4;
        press(&mut form, "Right");
        assert_eq!(form.inputs[4], "kafka-admin");
        press(&mut form, "Right");
        assert_eq!(form.inputs[4], "tls-cert");
        // A secret may also be typed (one created later).
        press(&mut form, "Backspace");
        assert_eq!(form.inputs[4], "tls-cer");
    }

    #[test]
    fn passwords_are_masked_until_revealed() {
        let mut form = sample();
        assert_eq!(form.shown_text(3), MASK);
        assert_eq!(form.shown_text(0), "3");
        form.on_key(Some(Action::Reveal), KeyPress::ctrl('r'));
        assert_eq!(form.shown_text(3), "s3cret");
        form.on_key(Some(Action::Reveal), KeyPress::ctrl('r'));
        assert_eq!(form.shown_text(3), MASK);
    }

    #[test]
    fn leaving_cancels() {
        let mut form = sample();
        let esc = KeyPress::new(KeyCode::Esc);
        assert_eq!(form.on_key(Some(Action::Back), esc), FormOutcome::Cancel);
        assert_eq!(form.on_key(Some(Action::Cancel), esc), FormOutcome::Cancel);
    }

    #[test]
    fn submit_returns_only_the_changed_fields() {
        let mut form = sample();
        let enter = KeyPress::new(KeyCode::Enter);
        assert_eq!(
            form.on_key(Some(Action::Submit), enter),
            FormOutcome::Submit(Vec::new()),
            "an untouched form changes nothing"
        );
        // Edited and edited back: unchanged.
        press(&mut form, "Backspace");
        typed(&mut form, "3");
        form.cursor = 2;
        press(&mut form, "Right");
        form.cursor = 3;
        typed(&mut form, " ");
        let FormOutcome::Submit(values) = form.on_key(Some(Action::Submit), enter) else {
            panic!("the form is valid: {:?}", form.errors);
        };
        assert_eq!(
            values,
            vec![
                ("spec.mode".to_owned(), Some(json!("fast"))),
                // Passwords are kept exactly, trailing space included.
                ("spec.password".to_owned(), Some(json!("s3cret "))),
            ]
        );
        let all = form.all_values();
        let paths: Vec<&str> = all.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            [
                "spec.replicas",
                "spec.tls",
                "spec.mode",
                "spec.password",
                "spec.credentials",
                "spec.config"
            ]
        );
        assert_eq!(all[0].1, Some(json!(3)));
        assert_eq!(all[1].1, Some(json!(true)));
        assert_eq!(all[4].1, None);
    }

    #[test]
    fn an_untouched_field_of_another_type_is_not_sent() {
        // `cpu: 2` reads back as the quantity "2": not a change of the user's.
        let form = Form {
            fields: vec![field(
                "spec.resources.requests.cpu",
                FieldKind::Quantity,
                false,
                Some(json!(2)),
            )],
        };
        let mut form = FormState::new(form, Vec::new(), Vec::new());
        let enter = KeyPress::new(KeyCode::Enter);
        assert_eq!(
            form.on_key(Some(Action::Submit), enter),
            FormOutcome::Submit(Vec::new())
        );
        typed(&mut form, "5");
        assert_eq!(
            form.on_key(Some(Action::Submit), enter),
            FormOutcome::Submit(vec![(
                "spec.resources.requests.cpu".to_owned(),
                Some(json!("25"))
            )])
        );
    }

    #[test]
    fn submit_marks_errors_and_moves_to_the_first() {
        let mut form = sample();
        form.inputs[0] = "12".into();
        form.inputs[5] = "{unclosed".into();
        form.cursor = 3;
        let enter = KeyPress::new(KeyCode::Enter);
        assert_eq!(
            form.on_key(Some(Action::Submit), enter),
            FormOutcome::Continue(true)
        );
        assert_eq!(form.cursor, 0);
        assert!(form.errors[0].is_some(), "12 is above the maximum 9");
        assert!(form.errors[5].is_some(), "unclosed flow mapping");
        assert!(form.errors[1..5].iter().all(Option::is_none));
        // Fixing the field clears its error.
        press(&mut form, "Backspace");
        assert!(form.errors[0].is_none());
    }

    #[test]
    fn a_required_field_left_empty_is_an_error() {
        let mut form = sample();
        form.inputs[0].clear();
        assert_eq!(
            form.on_key(Some(Action::Submit), KeyPress::new(KeyCode::Enter)),
            FormOutcome::Continue(true)
        );
        assert_eq!(form.errors[0].as_deref(), Some("a value is required"));
    }

    #[test]
    fn errors_go_to_the_longest_matching_field() {
        let mut form = sample();
        form.cursor = 5;
        form.set_errors(&[
            ("spec.config.retention".into(), "must be a string".into()),
            ("spec.tls".into(), "must be a boolean".into()),
            ("spec.tlsExtra".into(), "unknown field".into()),
            ("metadata.name".into(), "immutable".into()),
        ]);
        assert_eq!(form.errors[1].as_deref(), Some("must be a boolean"));
        assert_eq!(
            form.errors[5].as_deref(),
            Some("spec.config.retention: must be a string")
        );
        // `spec.tlsExtra` is no child of `spec.tls`: both land on the first field.
        assert_eq!(
            form.errors[0].as_deref(),
            Some("spec.tlsExtra: unknown field; metadata.name: immutable")
        );
        assert_eq!(form.cursor, 0);
    }
}
