//! Text from the cluster is untrusted: names, messages, logs and annotations
//! may carry escape sequences that would move the cursor, retitle the window
//! or rewrite the screen. Everything shown goes through [`sanitize`].

use std::borrow::Cow;

/// Makes text safe for one terminal cell per character: control characters
/// (C0, DEL, C1) become visible `^X`-style or `\u{..}` forms, tabs become a
/// space, and bidirectional overrides are dropped. Newlines are kept only
/// when `keep_newlines` is set (multi-line YAML or notes).
pub fn sanitize_with(text: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !text.chars().any(|c| needs_escape(c, keep_newlines)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !needs_escape(c, keep_newlines) {
            out.push(c);
            continue;
        }
        match c {
            '\t' => out.push(' '),
            '\n' | '\r' => out.push(' '),
            // ESC is the usual start of an attack: show it as the caret form.
            '\u{0}'..='\u{1f}' => {
                out.push('^');
                out.push(char::from(b'@' + c as u8));
            }
            '\u{7f}' => out.push_str("^?"),
            // Bidi overrides and isolates reorder what follows: drop them.
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            other => out.push_str(&format!("\\u{{{:x}}}", other as u32)),
        }
    }
    Cow::Owned(out)
}

/// [`sanitize_with`] for one-line text (names, messages, table cells).
pub fn sanitize(text: &str) -> Cow<'_, str> {
    sanitize_with(text, false)
}

/// Owned one-line sanitized text, for storing in rows.
pub fn clean(text: &str) -> String {
    sanitize(text).into_owned()
}

fn needs_escape(c: char, keep_newlines: bool) -> bool {
    match c {
        '\n' => !keep_newlines,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => true,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_borrowed() {
        assert!(matches!(sanitize("orders-0 ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn escapes_become_inert() {
        assert_eq!(sanitize("a\x1b[2Jb"), "a^[[2Jb");
        assert_eq!(sanitize("\x1b]0;pwned\x07"), "^[]0;pwned^G");
        assert_eq!(sanitize("x\u{9b}31m"), "x\\u{9b}31m");
        assert_eq!(sanitize("del\x7f"), "del^?");
        assert_eq!(sanitize("tab\there"), "tab here");
        assert_eq!(sanitize("two\nlines\r"), "two lines ");
        assert_eq!(sanitize_with("two\nlines", true), "two\nlines");
        assert_eq!(sanitize("evil\u{202e}txt"), "eviltxt");
    }
}
