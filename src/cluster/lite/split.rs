//! Splits a Kubernetes LIST body (`{"kind": ..., "metadata": {...},
//! "items": [{...}, {...}]}`) into its items while the body arrives, chunk
//! by chunk, so that each item can be parsed on its own and the body is
//! never held whole (10,000 pods are ~35 MB of JSON, 50,000 about 180 MB).
//!
//! The splitter only follows the structure (nesting, strings, escapes); each
//! item's own syntax is checked by the parser it is handed to. Memory held:
//! the item being read and the list's `metadata` object.

use std::fmt;

/// What went wrong, where in the body, and the bytes around it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SplitError {
    /// Byte offset in the whole body.
    pub offset: u64,
    pub message: String,
    /// Up to 40 bytes around the offset, control characters made visible.
    pub context: String,
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "list body: {} at byte {}", self.message, self.offset)?;
        if !self.context.is_empty() {
            write!(f, " near `{}`", self.context)?;
        }
        Ok(())
    }
}

impl std::error::Error for SplitError {}

/// Which value of the top-level object is being copied out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Capture {
    None,
    /// An element of `items`.
    Item,
    /// The list's `metadata` (resourceVersion, continue).
    Metadata,
}

/// Incremental splitter of one LIST body.
#[derive(Debug)]
pub struct ItemSplitter {
    /// Open objects and arrays.
    depth: u32,
    in_string: bool,
    /// The previous byte was a backslash inside a string.
    escape: bool,
    /// At depth 1: the next string is a key.
    expect_key: bool,
    /// At depth 1: reading a key's bytes.
    in_key: bool,
    key: Vec<u8>,
    /// Inside the top-level `items` array (depth 2 is its elements).
    in_items: bool,
    capture: Capture,
    buf: Vec<u8>,
    metadata: Option<Vec<u8>>,
    /// The top-level object has been opened / closed.
    started: bool,
    done: bool,
    /// Bytes fed before the current chunk.
    offset: u64,
    items: u64,
}

impl Default for ItemSplitter {
    fn default() -> Self {
        Self::new()
    }
}

fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

fn context_of(chunk: &[u8], at: usize) -> String {
    let start = at.saturating_sub(20);
    let end = (at + 20).min(chunk.len());
    let text = String::from_utf8_lossy(&chunk[start.min(end)..end]);
    text.chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect()
}

impl ItemSplitter {
    pub fn new() -> Self {
        Self {
            depth: 0,
            in_string: false,
            escape: false,
            expect_key: false,
            in_key: false,
            key: Vec::new(),
            in_items: false,
            capture: Capture::None,
            buf: Vec::new(),
            metadata: None,
            started: false,
            done: false,
            offset: 0,
            items: 0,
        }
    }

    /// Items completed so far.
    pub fn items(&self) -> u64 {
        self.items
    }

    fn error(&self, chunk: &[u8], at: usize, message: impl Into<String>) -> SplitError {
        SplitError {
            offset: self.offset + at as u64,
            message: message.into(),
            context: context_of(chunk, at),
        }
    }

    /// Feeds the next bytes of the body; `item` is called with the complete
    /// JSON text of each item as soon as its last byte arrives. An error of
    /// `item` stops the feed and is returned as is.
    pub fn feed<E>(
        &mut self,
        chunk: &[u8],
        mut item: impl FnMut(&[u8]) -> Result<(), E>,
    ) -> Result<(), FeedError<E>> {
        // Start of the part of `chunk` being copied into `buf`.
        let mut copy_from: Option<usize> = (self.capture != Capture::None).then_some(0);
        let mut i = 0;
        let n = chunk.len();
        while i < n {
            if self.in_string {
                if self.escape {
                    // The escaped byte (or the first of \uXXXX, whose hex
                    // digits are never a quote or a backslash).
                    self.escape = false;
                    i += 1;
                    continue;
                }
                // Fast path: jump to the next quote or backslash.
                let rest = &chunk[i..];
                match rest.iter().position(|&b| b == b'"' || b == b'\\') {
                    None => {
                        if self.in_key {
                            self.key.extend_from_slice(rest);
                        }
                        i = n;
                    }
                    Some(p) => {
                        if self.in_key {
                            self.key.extend_from_slice(&rest[..p]);
                        }
                        if rest[p] == b'\\' {
                            self.escape = true;
                        } else {
                            self.in_string = false;
                            self.in_key = false;
                        }
                        i += p + 1;
                    }
                }
                continue;
            }
            let b = chunk[i];
            if self.done {
                if !is_space(b) {
                    return Err(FeedError::Split(self.error(
                        chunk,
                        i,
                        "data after the end of the list",
                    )));
                }
                i += 1;
                continue;
            }
            // Between items only separators may appear.
            if self.depth == 2
                && self.in_items
                && self.capture == Capture::None
                && !matches!(b, b'{' | b']' | b',')
                && !is_space(b)
            {
                return Err(FeedError::Split(self.error(
                    chunk,
                    i,
                    format!("item {} is not an object", self.items),
                )));
            }
            match b {
                b'"' => {
                    self.in_string = true;
                    if self.depth == 1 && self.expect_key {
                        self.in_key = true;
                        self.expect_key = false;
                        self.key.clear();
                    }
                }
                b'{' | b'[' => {
                    if !self.started {
                        if b != b'{' {
                            return Err(FeedError::Split(self.error(
                                chunk,
                                i,
                                "not a JSON object",
                            )));
                        }
                        self.started = true;
                        self.expect_key = true;
                    } else if self.depth == 1 {
                        if b == b'[' && self.key == b"items" {
                            self.in_items = true;
                        } else if b == b'{' && self.key == b"metadata" {
                            self.capture = Capture::Metadata;
                            self.buf.clear();
                            copy_from = Some(i);
                        }
                    } else if self.depth == 2 && self.in_items {
                        // Checked above: this is a `{`.
                        self.capture = Capture::Item;
                        self.buf.clear();
                        copy_from = Some(i);
                    }
                    self.depth += 1;
                }
                b'}' | b']' => {
                    if self.depth == 0 {
                        return Err(FeedError::Split(self.error(
                            chunk,
                            i,
                            format!("unbalanced `{}`", b as char),
                        )));
                    }
                    self.depth -= 1;
                    match self.depth {
                        0 => self.done = true,
                        1 if self.in_items => {
                            if b != b']' {
                                return Err(FeedError::Split(self.error(
                                    chunk,
                                    i,
                                    "items array closed by `}`",
                                )));
                            }
                            self.in_items = false;
                        }
                        1 if self.capture == Capture::Metadata => {
                            if let Some(from) = copy_from.take() {
                                self.buf.extend_from_slice(&chunk[from..=i]);
                            }
                            self.metadata = Some(std::mem::take(&mut self.buf));
                            self.capture = Capture::None;
                        }
                        2 if self.capture == Capture::Item => {
                            self.capture = Capture::None;
                            self.items += 1;
                            let whole: &[u8] = match copy_from.take() {
                                // The item lies in this chunk: no copy.
                                Some(from) if self.buf.is_empty() => &chunk[from..=i],
                                Some(from) => {
                                    self.buf.extend_from_slice(&chunk[from..=i]);
                                    &self.buf
                                }
                                None => &self.buf,
                            };
                            item(whole).map_err(FeedError::Item)?;
                            self.buf.clear();
                        }
                        _ => {}
                    }
                }
                b',' if self.depth == 1 => self.expect_key = true,
                _ if !self.started && !is_space(b) => {
                    return Err(FeedError::Split(self.error(chunk, i, "not a JSON object")));
                }
                _ => {}
            }
            i += 1;
        }
        if let Some(from) = copy_from {
            self.buf.extend_from_slice(&chunk[from..]);
        }
        self.offset += n as u64;
        Ok(())
    }

    /// The body has ended: checks that the list was complete and returns its
    /// `metadata` object's text (None if it had none).
    pub fn finish(self) -> Result<Option<Vec<u8>>, SplitError> {
        if self.done {
            return Ok(self.metadata);
        }
        let message = if !self.started {
            "empty body".to_owned()
        } else if self.in_items {
            format!("body ended inside item {}", self.items)
        } else {
            "body ended before the list was complete".to_owned()
        };
        Err(SplitError {
            offset: self.offset,
            message,
            context: String::new(),
        })
    }
}

/// An error of the splitter or of the item callback.
#[derive(Debug)]
pub enum FeedError<E> {
    Split(SplitError),
    Item(E),
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = r#"{"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"123"},
        "items":[
          {"metadata":{"name":"a\"}{[","annotations":{"x":"\\"}},"status":{"phase":"Running"}},
          {"metadata":{"name":"b\u0022]"},"spec":{"containers":[{"name":"c","args":["[","{"]}]}},
          {"metadata":{"name":"c","labels":{"items":"[]"}},"status":{}}
        ]}
    "#;

    /// Feeds `body` cut at the given positions; returns the items as JSON
    /// values and the metadata.
    fn split_at(
        body: &[u8],
        cuts: &[usize],
    ) -> Result<(Vec<serde_json::Value>, Option<Vec<u8>>), String> {
        let mut splitter = ItemSplitter::new();
        let mut items = Vec::new();
        let mut last = 0;
        for &cut in cuts.iter().chain(std::iter::once(&body.len())) {
            splitter
                .feed(&body[last..cut], |text| {
                    serde_json::from_slice::<serde_json::Value>(text)
                        .map(|v| items.push(v))
                        .map_err(|e| e.to_string())
                })
                .map_err(|e| match e {
                    FeedError::Split(e) => e.to_string(),
                    FeedError::Item(e) => e,
                })?;
            last = cut;
        }
        let metadata = splitter.finish().map_err(|e| e.to_string())?;
        Ok((items, metadata))
    }

    fn names(items: &[serde_json::Value]) -> Vec<String> {
        items
            .iter()
            .map(|v| v["metadata"]["name"].as_str().unwrap_or("?").to_owned())
            .collect()
    }

    #[test]
    fn splits_at_every_position_and_keeps_escapes() {
        let body = BODY.as_bytes();
        let want = vec!["a\"}{[".to_owned(), "b\"]".to_owned(), "c".to_owned()];
        for cut in 0..=body.len() {
            let (items, metadata) =
                split_at(body, &[cut]).unwrap_or_else(|e| panic!("cut {cut}: {e}"));
            assert_eq!(names(&items), want, "cut at {cut}");
            assert_eq!(
                items[0]["metadata"]["annotations"]["x"], "\\",
                "cut at {cut}"
            );
            assert_eq!(
                metadata.as_deref(),
                Some(&br#"{"resourceVersion":"123"}"#[..]),
                "cut at {cut}"
            );
        }
    }

    #[test]
    fn splits_byte_by_byte_and_in_two_cuts() {
        let body = BODY.as_bytes();
        let every: Vec<usize> = (1..body.len()).collect();
        let (items, _) = split_at(body, &every).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(items.len(), 3);
        for a in (0..body.len()).step_by(7) {
            for b in (a..body.len()).step_by(11) {
                let (items, _) = split_at(body, &[a, b]).unwrap_or_else(|e| panic!("{a},{b}: {e}"));
                assert_eq!(items.len(), 3, "cuts {a},{b}");
            }
        }
    }

    #[test]
    fn empty_list_and_list_without_metadata() {
        let (items, metadata) =
            split_at(br#"{"items":[],"metadata":{"resourceVersion":"9"}}"#, &[])
                .unwrap_or_else(|e| panic!("{e}"));
        assert!(items.is_empty());
        assert_eq!(
            metadata.as_deref(),
            Some(&br#"{"resourceVersion":"9"}"#[..])
        );
        let (items, metadata) =
            split_at(br#" {"items":null} "#, &[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(items.is_empty());
        assert!(metadata.is_none());
    }

    #[test]
    fn a_truncated_body_is_an_error_with_the_item_number() {
        let body = BODY.as_bytes();
        let cut = BODY.find(r#"{"metadata":{"name":"c""#).unwrap_or(0) + 5;
        let mut splitter = ItemSplitter::new();
        let fed = splitter.feed(&body[..cut], |_| Ok::<(), ()>(()));
        assert!(fed.is_ok());
        let err = splitter.finish().err().map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(format!("list body: body ended inside item 2 at byte {cut}").as_str())
        );
    }

    #[test]
    fn bad_bytes_are_reported_with_offset_and_context_not_a_panic() {
        let err = split_at(br#"<html>oops</html>"#, &[]).err();
        assert_eq!(
            err.as_deref(),
            Some("list body: not a JSON object at byte 0 near `<html>oops</html>`")
        );
        let err = split_at(br#"{"items":[{"a":1}, 7]}"#, &[]).err();
        assert_eq!(
            err.as_deref(),
            Some(r#"list body: item 1 is not an object at byte 19 near `{"items":[{"a":1}, 7]}`"#)
        );
        let err = split_at(br#"{"items":[]}}"#, &[]).err();
        assert_eq!(
            err.as_deref(),
            Some("list body: data after the end of the list at byte 12 near `{\"items\":[]}}`")
        );
        // A broken item reaches the item parser, which says what is wrong.
        let err = split_at(br#"{"items":[{"a":tru}]}"#, &[5]).err();
        assert!(err.is_some_and(|e| e.contains("expected ident")));
        // Control characters in the context are made visible, not sent on.
        let err = split_at(b"\x1b[2J", &[]).err();
        assert_eq!(
            err.as_deref(),
            Some("list body: not a JSON object at byte 0 near `\u{fffd}[2J`")
        );
    }

    #[test]
    fn holds_only_the_current_item() {
        // 2,000 items fed in 1 KiB chunks: the buffer never grows past one item.
        let item = format!(r#"{{"metadata":{{"name":"{}"}}}}"#, "x".repeat(300));
        let mut body = String::from(r#"{"metadata":{"resourceVersion":"1"},"items":["#);
        for i in 0..2000 {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&item);
        }
        body.push_str("]}");
        let mut splitter = ItemSplitter::new();
        let mut count = 0;
        let mut most = 0;
        for chunk in body.as_bytes().chunks(1024) {
            let fed = splitter.feed(chunk, |text| {
                count += 1;
                most = most.max(text.len());
                Ok::<(), ()>(())
            });
            assert!(fed.is_ok());
            assert!(splitter.buf.capacity() <= 2 * item.len());
        }
        assert_eq!(count, 2000);
        assert_eq!(most, item.len());
        assert!(splitter.finish().is_ok());
    }
}
