//! A small YAML writer for what the Spec and Values tabs show: block style,
//! two-space indent, strings quoted only when a reader could take them for
//! something else. Written here rather than with a serializer so that the
//! output is also safe for the terminal: every control or bidi character
//! ends up escaped inside a double-quoted string.

use serde_json::{Map, Value};

/// `value` as a YAML document (ending with a newline).
pub(crate) fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(&mut out, map, 0),
        Value::Array(items) if !items.is_empty() => write_seq(&mut out, items, 0),
        other => {
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
    out
}

fn pad(out: &mut String, indent: usize) {
    out.extend(std::iter::repeat_n(' ', indent));
}

fn write_map(out: &mut String, map: &Map<String, Value>, indent: usize) {
    for (key, value) in map {
        pad(out, indent);
        out.push_str(&quote_if_needed(key));
        out.push(':');
        write_after_indicator(out, value, indent + 2);
    }
}

fn write_seq(out: &mut String, items: &[Value], indent: usize) {
    for item in items {
        pad(out, indent);
        out.push('-');
        match item {
            // A mapping or sequence in a sequence starts on the dash line:
            // render it one level deeper, then pull its first line up.
            Value::Object(map) if !map.is_empty() => {
                let mut nested = String::new();
                write_map(&mut nested, map, indent + 2);
                out.push(' ');
                out.push_str(&nested[indent + 2..]);
            }
            Value::Array(inner) if !inner.is_empty() => {
                let mut nested = String::new();
                write_seq(&mut nested, inner, indent + 2);
                out.push(' ');
                out.push_str(&nested[indent + 2..]);
            }
            other => write_after_indicator(out, other, indent + 2),
        }
    }
}

/// What follows `key:` or `-`: a nested block on the next lines, a literal
/// block for multi-line text, or a scalar on the same line.
fn write_after_indicator(out: &mut String, value: &Value, child_indent: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, child_indent);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_seq(out, items, child_indent);
        }
        Value::String(text) if is_literal_block(text) => {
            let body = text.strip_suffix('\n');
            out.push_str(if body.is_some() { " |\n" } else { " |-\n" });
            for line in body.unwrap_or(text).split('\n') {
                if !line.is_empty() {
                    pad(out, child_indent);
                    out.push_str(line);
                }
                out.push('\n');
            }
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

/// Multi-line text that reads back unchanged as a `|` or `|-` block.
fn is_literal_block(text: &str) -> bool {
    text.contains('\n')
        && !text.ends_with("\n\n")
        // A first line starting with a space would need an indentation indicator.
        && !text.starts_with([' ', '\n'])
        && !text.chars().any(|c| c != '\n' && needs_escape(c))
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => quote_if_needed(s),
        Value::Array(_) => "[]".to_owned(),
        Value::Object(_) => "{}".to_owned(),
    }
}

/// Characters shown escaped: C0 and C1 controls, DEL, bidi overrides.
fn needs_escape(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

/// YAML 1.1 readers still take these words for booleans or null.
const RESERVED: [&str; 12] = [
    "true", "false", "null", "~", "yes", "no", "on", "off", "y", "n", ".inf", ".nan",
];

fn needs_quotes(text: &str) -> bool {
    let Some(first) = text.chars().next() else {
        return true;
    };
    if RESERVED.iter().any(|w| text.eq_ignore_ascii_case(w))
        || text.eq_ignore_ascii_case("-.inf")
        || text.eq_ignore_ascii_case("+.inf")
    {
        return true;
    }
    // Anything that could read as a number (1, 3.7, 1e3, 0x1f, 1_000, 1:20)
    // in YAML 1.1 or 1.2; over-quoting a version like 3.7.1 is harmless.
    if (first.is_ascii_digit() || matches!(first, '+' | '-' | '.'))
        && text.chars().all(|c| {
            c.is_ascii_hexdigit()
                || matches!(c, '.' | '_' | '+' | '-' | ':' | 'x' | 'X' | 'o' | 'O')
        })
    {
        return true;
    }
    if "-?:,[]{}#&*!|>'\"%@`".contains(first) || first.is_whitespace() {
        return true;
    }
    text.ends_with(char::is_whitespace)
        || text.ends_with(':')
        || text.contains(": ")
        || text.contains(" #")
        || text.chars().any(|c| c == '\t' || needs_escape(c))
}

fn quote_if_needed(text: &str) -> String {
    if !needs_quotes(text) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if needs_escape(c) && (c as u32) < 0x100 => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if needs_escape(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::yaml_documents;
    use serde_json::json;

    #[test]
    fn block_style_with_two_space_indent() {
        let value = json!({
            "replicas": 3,
            "image": "registry.invalid/osctest/kafka:3.7.1",
            "resources": {"limits": {"cpu": "2", "memory": "4Gi"}},
            "list": ["a", {"name": "x", "port": 80}, [1, 2]],
            "empty": {},
            "none": [],
            "flag": true,
            "nothing": null
        });
        let text = to_yaml(&value);
        assert_eq!(
            text,
            "empty: {}\nflag: true\nimage: registry.invalid/osctest/kafka:3.7.1\n\
             list:\n  - a\n  - name: x\n    port: 80\n  - - 1\n    - 2\n\
             none: []\nnothing: null\nreplicas: 3\n\
             resources:\n  limits:\n    cpu: \"2\"\n    memory: 4Gi\n"
        );
        assert_eq!(yaml_documents(&text).unwrap_or_default(), vec![value]);
    }

    #[test]
    fn strings_are_quoted_when_a_reader_would_misread_them() {
        for plain in ["4Gi", "500m", "lz4", "orders-admin", "a b", "•••"] {
            assert_eq!(quote_if_needed(plain), plain);
        }
        for (text, quoted) in [
            ("", "\"\""),
            ("yes", "\"yes\""),
            ("No", "\"No\""),
            ("3.7.1", "\"3.7.1\""),
            ("168", "\"168\""),
            ("- x", "\"- x\""),
            ("a: b", "\"a: b\""),
            ("x #y", "\"x #y\""),
            (" lead", "\" lead\""),
            ("say \"hi\"", "say \"hi\""),
            ("*ref", "\"*ref\""),
        ] {
            assert_eq!(quote_if_needed(text), quoted, "{text}");
        }
    }

    #[test]
    fn control_characters_are_escaped_and_round_trip() {
        let value = json!({"evil\u{1b}[2J": "a\u{1b}]0;x\u{7}b\u{202e}c", "tab": "a\tb"});
        let text = to_yaml(&value);
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{202e}'),
            "{text}"
        );
        assert!(text.contains("\\x1b"));
        assert_eq!(yaml_documents(&text).unwrap_or_default(), vec![value]);
    }

    #[test]
    fn multi_line_text_uses_literal_blocks() {
        let value =
            json!({"notes": "line one\n\n  indented\nlast\n", "raw": "a\nb", "odd": " x\ny"});
        let text = to_yaml(&value);
        assert!(
            text.contains("notes: |\n  line one\n\n    indented\n  last\n"),
            "{text}"
        );
        assert!(text.contains("raw: |-\n  a\n  b\n"), "{text}");
        assert!(text.contains("odd: \" x\\ny\""), "{text}");
        assert_eq!(yaml_documents(&text).unwrap_or_default(), vec![value]);
    }

    #[test]
    fn scalars_at_the_root() {
        assert_eq!(to_yaml(&json!({})), "{}\n");
        assert_eq!(to_yaml(&json!(null)), "null\n");
        assert_eq!(to_yaml(&json!(["x"])), "- x\n");
    }
}
