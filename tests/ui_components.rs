//! Golden-screen tests of the pieces of the guided operations: the form,
//! the YAML editor and the audit view, drawn on ratatui's `TestBackend`
//! from the Kafka example (CRD, CSD, instance), compared with the
//! snapshots in `tests/snapshots/` (re-bless with
//! `INSTA_UPDATE=always cargo test --test ui_components` and read the diff).

mod support;

use osctui::action::{Action, Msg, View};
use osctui::domain::csd::CustomServiceDefinition;
use osctui::domain::form::{FieldKind, config_form};
use osctui::domain::validate::parse_yaml;
use osctui::keymap::{KeyCode, KeyPress, Mode};
use osctui::state::State;
use osctui::state::audit::AuditView;
use osctui::state::editor::{EditorOutcome, YamlEditor};
use osctui::state::form::{FormOutcome, FormState};
use osctui::state::ops::{AuditRecord, AuditResult};
use osctui::theme::Theme;
use osctui::ui::{editor::draw_editor, form::draw_form};
use osctui::update::update;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use serde_json::Value;
use support::connected;

fn workspace_file(path: &str) -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    std::fs::read_to_string(format!("{root}/{path}")).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The `spec` schema of the Hwfka CRD's storage version.
fn kafka_spec_schema() -> Value {
    let crd = parse_yaml(&workspace_file("examples/kafka/crds/hwfkas.yaml")).unwrap();
    let version = crd["spec"]["versions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["storage"] == Value::Bool(true))
        .unwrap()
        .clone();
    version["schema"]["openAPIV3Schema"]["properties"]["spec"].clone()
}

/// The `orders` Kafka instance of team-a.
fn kafka_orders() -> Value {
    workspace_file("examples/kafka/instances/team-a.yaml")
        .split("\n---\n")
        .map(|doc| parse_yaml(doc).unwrap())
        .find(|doc| doc["kind"] == "Hwfka" && doc["metadata"]["name"] == "orders")
        .unwrap()
}

/// The configuration form of `orders`, as the wizard builds it.
fn kafka_form() -> FormState {
    let csd = parse_yaml(&workspace_file("examples/kafka/csd/kafka.yaml")).unwrap();
    let csd = CustomServiceDefinition::from_value(&csd).unwrap();
    let form = config_form(
        &kafka_spec_schema(),
        &csd.spec.descriptors.spec_descriptors,
        &kafka_orders(),
    );
    FormState::new(
        form,
        vec!["orders-admin".into(), "orders-tls".into()],
        vec!["orders-extra".into()],
    )
}

fn field_index(form: &FormState, path: &str) -> usize {
    form.form
        .fields
        .iter()
        .position(|f| f.path == path)
        .unwrap_or_else(|| panic!("no field {path}"))
}

/// The instance as the YAML editor starts with it.
fn kafka_yaml() -> String {
    let text = workspace_file("examples/kafka/instances/team-a.yaml");
    let start = text.find("kind: Hwfka").unwrap();
    let end = text[start..].find("\n---\n").unwrap() + start;
    format!("apiVersion: osctest.osctui.dev/v1\n{}\n", &text[start..end])
}

/// The text of a buffer, then where the error and selected styles start on
/// each row (the text alone does not show them).
fn describe(buffer: &Buffer, theme: &Theme) -> String {
    let area = buffer.area;
    let mut lines = Vec::new();
    for y in area.y..area.bottom() {
        let mut line = String::new();
        for x in area.x..area.right() {
            line.push_str(buffer[(x, y)].symbol());
        }
        lines.push(format!("\"{line}\""));
    }
    let mut marks = Vec::new();
    for y in area.y..area.bottom() {
        for (name, style) in [
            ("selected", theme.selected),
            ("error", theme.error),
            ("masked", theme.masked),
        ] {
            let hit = (area.x..area.right()).find(|&x| {
                let cell = &buffer[(x, y)];
                if name == "selected" {
                    style.bg.is_some_and(|bg| cell.bg == bg)
                } else {
                    style.fg.is_some_and(|fg| cell.fg == fg) && cell.symbol() != " "
                }
            });
            if let Some(x) = hit {
                marks.push(format!("{name}: row {y} from column {x}"));
            }
        }
    }
    format!("{}\n{}", lines.join("\n"), marks.join("\n"))
}

/// Draws one component alone on a `w`x`h` screen.
fn component(w: u16, h: u16, draw: impl Fn(&mut Buffer, Rect, &Theme)) -> String {
    let theme = Theme::default();
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| match e {});
    terminal
        .draw(|frame| {
            let area = frame.area();
            frame.buffer_mut().set_style(area, theme.base);
            draw(frame.buffer_mut(), area, &theme);
        })
        .unwrap_or_else(|e| match e {});
    describe(terminal.backend().buffer(), &theme)
}

/// Draws the whole console.
fn screen(state: &State) -> String {
    let theme = Theme::default();
    let (w, h) = state.size;
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap_or_else(|e| match e {});
    terminal
        .draw(|frame| osctui::ui::draw(frame, state, &theme))
        .unwrap_or_else(|e| match e {});
    describe(terminal.backend().buffer(), &theme)
}

fn press(form: &mut FormState, text: &str) -> FormOutcome {
    let key = KeyPress::parse(text).unwrap();
    let action = match key.code {
        KeyCode::Enter => Some(Action::Submit),
        KeyCode::Down | KeyCode::Tab => Some(Action::MoveDown),
        KeyCode::Up => Some(Action::MoveUp),
        _ if key.ctrl && key.code == KeyCode::Char('r') => Some(Action::Reveal),
        _ => None,
    };
    form.on_key(action, key)
}

#[test]
fn kafka_config_form() {
    let form = kafka_form();
    // Every descriptor is there with its label, the current values filled in.
    let labels: Vec<&str> = form.form.fields.iter().map(|f| f.label.as_str()).collect();
    assert!(labels.contains(&"Brokers"), "{labels:?}");
    assert_eq!(form.inputs[field_index(&form, "spec.replicas")], "3");
    insta::assert_snapshot!(
        "form_kafka_80x24",
        component(80, 24, |buf, area, theme| draw_form(
            buf, area, &form, theme
        ))
    );
    insta::assert_snapshot!(
        "form_kafka_120x40",
        component(120, 40, |buf, area, theme| draw_form(
            buf, area, &form, theme
        ))
    );
}

#[test]
fn form_with_an_error() {
    let mut form = kafka_form();
    let replicas = field_index(&form, "spec.replicas");
    form.cursor = replicas;
    press(&mut form, "Backspace");
    for c in "12".chars() {
        form.on_key(None, KeyPress::char(c));
    }
    form.cursor = 0;
    assert_eq!(press(&mut form, "Enter"), FormOutcome::Continue(true));
    assert_eq!(form.cursor, replicas, "the cursor goes to the error");
    assert!(form.errors[replicas].is_some());
    insta::assert_snapshot!(
        "form_kafka_error_80x24",
        component(80, 24, |buf, area, theme| draw_form(
            buf, area, &form, theme
        ))
    );
}

#[test]
fn form_password_masked_and_revealed() {
    let mut form = kafka_form();
    let at = form
        .form
        .fields
        .iter()
        .position(|f| f.kind == FieldKind::Password)
        .expect("the admin password descriptor");
    form.cursor = at;
    let masked = component(80, 24, |buf, area, theme| {
        draw_form(buf, area, &form, theme)
    });
    assert!(!masked.contains("orders-admin-example"));
    insta::assert_snapshot!("form_kafka_password_masked_80x24", masked);
    press(&mut form, "ctrl+r");
    let revealed = component(80, 24, |buf, area, theme| {
        draw_form(buf, area, &form, theme)
    });
    assert!(revealed.contains("orders-admin-example"));
    insta::assert_snapshot!("form_kafka_password_revealed_80x24", revealed);
}

fn submit(editor: &mut YamlEditor) -> EditorOutcome {
    editor.on_key(Some(Action::Submit), KeyPress::ctrl('s'))
}

#[test]
fn editor_with_a_yaml_error() {
    let text = kafka_yaml().replace("  replicas: 3", "  replicas: [3");
    let mut editor = YamlEditor::new(&text, Some(kafka_spec_schema()));
    assert_eq!(submit(&mut editor), EditorOutcome::Continue(true));
    assert_eq!(editor.errors.len(), 1);
    insta::assert_snapshot!(
        "editor_yaml_error_80x24",
        component(80, 24, |buf, area, theme| draw_editor(
            buf, area, &editor, theme
        ))
    );
}

#[test]
fn editor_with_a_schema_error() {
    let text = kafka_yaml()
        .replace("  replicas: 3", "  replicas: 12")
        .replace("compression: lz4", "compression: brotli");
    let mut editor = YamlEditor::new(&text, Some(kafka_spec_schema()));
    assert_eq!(submit(&mut editor), EditorOutcome::Continue(true));
    assert_eq!(editor.errors.len(), 2, "{:?}", editor.errors);
    let shown = component(80, 24, |buf, area, theme| {
        draw_editor(buf, area, &editor, theme)
    });
    assert!(shown.contains("line 9: spec.replicas"), "{shown}");
    insta::assert_snapshot!("editor_schema_error_80x24", shown);
    insta::assert_snapshot!(
        "editor_schema_error_120x40",
        component(120, 40, |buf, area, theme| draw_editor(
            buf, area, &editor, theme
        ))
    );
}

fn record(time: &str, user: &str, object: &str, action: &str, summary: &str) -> AuditRecord {
    AuditRecord {
        time: time.into(),
        context: "osc-sandbox".into(),
        user: user.into(),
        object: object.into(),
        action: action.into(),
        summary: summary.into(),
        result: AuditResult::Applied,
    }
}

/// The audit view open on a console with these records.
fn audit_screen(width: u16, height: u16, records: Vec<AuditRecord>) -> State {
    let mut state = connected(width, height);
    update(&mut state, Msg::Synced);
    update(&mut state, Msg::Key(KeyPress::char('3')));
    assert_eq!(state.view, View::Audit);
    assert_eq!(state.mode, Mode::Audit);
    let audit = state.audit.get_or_insert_with(AuditView::default);
    audit.records = Some(records);
    // The data directory differs between machines.
    audit.path = Some("/home/op/.local/share/osctui/audit.jsonl".into());
    state
}

fn records() -> Vec<AuditRecord> {
    let mut failed = record(
        "2026-03-14T12:40:00Z",
        "bob@example.com",
        "Hwfka team-a/payments",
        "restart",
        "annotation osctest.osctui.dev/restartedAt",
    );
    failed.result = AuditResult::Failed("Conflict: the object has been modified".into());
    vec![
        record(
            "2026-03-14T09:12:03Z",
            "alice@example.com",
            "Hwfka team-a/orders",
            "upgrade",
            "+2 -2 lines: spec.version, spec.image",
        ),
        record(
            "2026-03-14T10:30:00Z",
            "alice@example.com",
            "Hwfka team-a/orders",
            "edit configuration",
            "+1 -1 lines: spec.replicas",
        ),
        failed,
        record(
            "2026-03-14T13:01:59Z",
            "carol\u{1b}[31m",
            "Zookeeper team-a/zookeeper",
            "backup",
            "created HwfkaBackup team-a/orders-20260314",
        ),
    ]
}

#[test]
fn audit_view_with_records() {
    let mut state = audit_screen(80, 24, records());
    if let Some(audit) = &mut state.audit {
        audit.problems = vec!["line 3: expected value at line 1 column 1".into()];
    }
    let shown = screen(&state);
    assert!(!shown.contains('\u{1b}'), "the escape is neutralized");
    insta::assert_snapshot!("audit_records_80x24", shown);
    insta::assert_snapshot!(
        "audit_records_120x40",
        screen(&audit_screen(120, 40, records()))
    );
    // A filter typed in the view.
    for k in ["/", "c", "o", "n", "f", "l"] {
        update(&mut state, Msg::Key(KeyPress::parse(k).unwrap()));
    }
    insta::assert_snapshot!("audit_filtered_80x24", screen(&state));
}

#[test]
fn audit_view_empty() {
    insta::assert_snapshot!(
        "audit_empty_80x24",
        screen(&audit_screen(80, 24, Vec::new()))
    );
}

/// Every component at every small size: nothing panics, nothing is drawn
/// outside the area.
#[test]
fn tiny_sizes_do_not_panic() {
    let mut form = kafka_form();
    form.set_errors(&[("spec.replicas".into(), "must be at most 9".into())]);
    let mut editor = YamlEditor::new(
        &kafka_yaml().replace("replicas: 3", "replicas: 12"),
        Some(kafka_spec_schema()),
    );
    submit(&mut editor);
    assert!(!editor.errors.is_empty());
    for w in 1..=20 {
        for h in 1..=5 {
            component(w, h, |buf, area, theme| draw_form(buf, area, &form, theme));
            component(w, h, |buf, area, theme| {
                draw_editor(buf, area, &editor, theme)
            });
            // An area at an offset, partly off the buffer.
            component(w, h, |buf, area, theme| {
                let off = Rect::new(area.x + w / 2, area.y + h / 2, w, h);
                draw_form(buf, off, &form, theme);
                draw_editor(buf, off, &editor, theme);
            });
            let mut state = audit_screen(w, h, records());
            state.audit.as_mut().unwrap().problems = vec!["line 1: bad".into()];
            screen(&state);
            update(&mut state, Msg::Key(KeyPress::char('/')));
            screen(&state);
            screen(&audit_screen(w, h, Vec::new()));
        }
    }
}

/// A form taller than its area scrolls to keep the focused field and its
/// error in view.
#[test]
fn form_scrolls_to_the_cursor() {
    let mut form = kafka_form();
    let last = form.form.fields.len() - 1;
    form.cursor = last;
    let label = form.form.fields[last].label.clone();
    let path = form.form.fields[last].path.clone();
    form.set_errors(&[(path, "must be a DNS label".into())]);
    let shown = component(60, 6, |buf, area, theme| draw_form(buf, area, &form, theme));
    assert!(shown.contains(&format!("› {label}")), "{shown}");
    assert!(shown.contains("✗ must be a DNS label"), "{shown}");
    assert!(
        !shown.contains("Brokers"),
        "the first field scrolled away: {shown}"
    );
}
