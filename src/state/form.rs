//! A form being filled in: the fields of a [`crate::domain::form::Form`],
//! the text typed into each, the cursor, pickers for Secrets and
//! ConfigMaps, masked passwords, and the errors found on submit.

use serde_json::Value;

use crate::domain::form::Form;
use crate::keymap::KeyPress;

/// What a key did to the form.
#[derive(Debug, Clone, PartialEq)]
pub enum FormOutcome {
    /// Keep editing; whether anything visible changed.
    Continue(bool),
    /// The user submitted it: the values of every field, each as
    /// (path, value; None = unset). Only returned when every field parses;
    /// otherwise the errors are shown on the fields and `Continue(true)`.
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

impl FormState {
    /// A form starting from each field's current value.
    pub fn new(form: Form, secrets: Vec<String>, config_maps: Vec<String>) -> Self {
        let _ = (&form, &secrets, &config_maps);
        todo!("state::form::FormState::new")
    }

    /// Handles a key (raw, for typing) and its action in `Mode::Wizard`
    /// (`MoveUp`/`MoveDown` between fields, `Submit`, `Cancel`, `Reveal`).
    pub fn on_key(
        &mut self,
        _action: Option<crate::action::Action>,
        _key: KeyPress,
    ) -> FormOutcome {
        todo!("state::form::FormState::on_key")
    }

    /// Marks errors by path (schema violations, server causes) on the
    /// fields they belong to; paths no field has go to the first field.
    pub fn set_errors(&mut self, _errors: &[(String, String)]) {
        todo!("state::form::FormState::set_errors")
    }
}
