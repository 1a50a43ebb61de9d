//! Turning the bytes of a log stream into [`RawLine`]s: splitting lines with
//! a length cap, taking off the API server's timestamp, neutralizing control
//! characters, and skipping what an earlier attempt already delivered.

use crate::domain::text::clean;
use crate::state::logs::RawLine;

/// Longest line kept; the rest of a longer line is dropped and the line
/// marked, so that one absurd line cannot take the memory.
pub(crate) const MAX_LINE: usize = 64 * 1024;

/// What is appended to a line cut at [`MAX_LINE`].
pub(crate) const CUT_MARK: &str = " [… line cut at 64 KiB]";

const NANOS_PER_SECOND: i128 = 1_000_000_000;

/// Where a stream got to: the newest timestamp delivered (nanoseconds since
/// the epoch) and how many lines carried exactly that timestamp, so that a
/// re-opened stream (whose `sinceTime` has whole seconds) can drop what was
/// already shown without dropping distinct lines of the same instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Resume {
    last: Option<(i128, u32)>,
}

impl Resume {
    /// Notes a delivered line's timestamp.
    fn record(&mut self, time: i128) {
        self.last = match self.last {
            Some((t, n)) if t == time => Some((t, n.saturating_add(1))),
            Some((t, n)) if t > time => Some((t, n)),
            _ => Some((time, 1)),
        };
    }

    /// The `sinceTime` to re-open with: the last timestamp's whole second
    /// (rounded down; the API rounds to seconds and rounding up would lose
    /// lines).
    pub(crate) fn since(&self) -> Option<jiff::Timestamp> {
        let (nanos, _) = self.last?;
        let seconds = i64::try_from(nanos.div_euclid(NANOS_PER_SECOND)).ok()?;
        jiff::Timestamp::from_second(seconds).ok()
    }

    /// Whether any line with a timestamp was delivered.
    pub(crate) fn is_set(&self) -> bool {
        self.last.is_some()
    }
}

/// Drops the lines of a re-opened stream up to where [`Resume`] says the
/// previous attempt got.
#[derive(Debug)]
struct Skip {
    until: Option<(i128, u32)>,
    seen_at_last: u32,
}

impl Skip {
    fn keep(&mut self, time: Option<i128>) -> bool {
        let (Some((last, count)), Some(time)) = (self.until, time) else {
            return true;
        };
        if time < last {
            false
        } else if time == last {
            self.seen_at_last += 1;
            self.seen_at_last > count
        } else {
            // Past the resume point: everything from here on is new.
            self.until = None;
            true
        }
    }
}

/// Decodes one attempt of one stream into lines for `source`.
#[derive(Debug)]
pub(crate) struct Decoder {
    source: u32,
    timestamps: bool,
    partial: Vec<u8>,
    cut: bool,
    skip: Skip,
    /// Where the stream is; carried over to the next attempt.
    pub(crate) resume: Resume,
    /// Lines decoded and not yet taken.
    pub(crate) lines: Vec<RawLine>,
    /// Lines decoded and kept in this attempt.
    pub(crate) delivered: u64,
}

impl Decoder {
    /// A decoder for `source`; `timestamps` when each line starts with the
    /// API server's RFC 3339 time; `resume` from the previous attempt, whose
    /// lines are skipped.
    pub(crate) fn new(source: u32, timestamps: bool, resume: Resume) -> Self {
        Self {
            source,
            timestamps,
            partial: Vec::new(),
            cut: false,
            skip: Skip {
                until: resume.last,
                seen_at_last: 0,
            },
            resume,
            lines: Vec::new(),
            delivered: 0,
        }
    }

    /// Feeds bytes as they arrive.
    pub(crate) fn feed(&mut self, mut chunk: &[u8]) {
        while let Some(end) = chunk.iter().position(|&b| b == b'\n') {
            let (head, rest) = chunk.split_at(end);
            if self.partial.is_empty() && !self.cut {
                let (line, cut) = if head.len() > MAX_LINE {
                    (&head[..MAX_LINE], true)
                } else {
                    (head, false)
                };
                self.emit(line, cut);
            } else {
                self.append(head);
                let partial = std::mem::take(&mut self.partial);
                let cut = std::mem::replace(&mut self.cut, false);
                self.emit(&partial, cut);
                // Keep the allocation for the next long line.
                self.partial = partial;
                self.partial.clear();
            }
            chunk = &rest[1..];
        }
        self.append(chunk);
    }

    /// The end of the stream: a last line without a newline still counts.
    pub(crate) fn finish(&mut self) {
        if !self.partial.is_empty() || self.cut {
            let partial = std::mem::take(&mut self.partial);
            let cut = std::mem::replace(&mut self.cut, false);
            self.emit(&partial, cut);
        }
    }

    fn append(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.partial.len());
        if bytes.len() > room {
            self.cut = true;
        }
        self.partial
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
    }

    fn emit(&mut self, line: &[u8], cut: bool) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let (time, text) = if self.timestamps {
            split_timestamp(line)
        } else {
            (None, line)
        };
        if !self.skip.keep(time) {
            return;
        }
        if let Some(time) = time {
            self.resume.record(time);
        }
        let mut text = clean(&String::from_utf8_lossy(text));
        if cut {
            text.push_str(CUT_MARK);
        }
        self.delivered += 1;
        self.lines.push(RawLine {
            source: self.source,
            time_ms: time.and_then(|t| i64::try_from(t.div_euclid(1_000_000)).ok()),
            text,
        });
    }
}

/// Splits "2026-11-28T02:32:20.000277165Z text" into the time in
/// nanoseconds and the text; a line without a valid time is all text.
fn split_timestamp(line: &[u8]) -> (Option<i128>, &[u8]) {
    let Some(space) = line.iter().take(40).position(|&b| b == b' ') else {
        return (None, line);
    };
    let parsed = std::str::from_utf8(&line[..space])
        .ok()
        .and_then(|s| s.parse::<jiff::Timestamp>().ok());
    match parsed {
        Some(time) => (Some(time.as_nanosecond()), &line[space + 1..]),
        None => (None, line),
    }
}

/// Puts lines from several streams in time order, keeping the order of lines
/// with equal times: each stream is already in order, so only a batch mixing
/// streams needs sorting. A line without a time goes with the line before it
/// in its stream (a continuation stays under its line); at the start of a
/// stream's part of the batch it comes first.
pub(crate) fn order(lines: &mut Vec<RawLine>) {
    let Some(first) = lines.first().map(|l| l.source) else {
        return;
    };
    if lines.iter().all(|l| l.source == first) {
        return;
    }
    // Time of the previous line by source (few sources: a short list).
    let mut last: Vec<(u32, i64)> = Vec::new();
    let mut keyed: Vec<(i64, RawLine)> = std::mem::take(lines)
        .into_iter()
        .map(|line| {
            let at = last.iter().position(|(s, _)| *s == line.source);
            let key = match (line.time_ms, at) {
                (Some(t), _) => t,
                (None, Some(at)) => last[at].1,
                (None, None) => i64::MIN,
            };
            match at {
                Some(at) => last[at].1 = key,
                None => last.push((line.source, key)),
            }
            (key, line)
        })
        .collect();
    // Stable: equal times keep their order.
    keyed.sort_by_key(|(key, _)| *key);
    lines.extend(keyed.into_iter().map(|(_, line)| line));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(chunks: &[&[u8]], resume: Resume) -> Decoder {
        let mut d = Decoder::new(3, true, resume);
        for chunk in chunks {
            d.feed(chunk);
        }
        d.finish();
        d
    }

    fn texts(d: &Decoder) -> Vec<&str> {
        d.lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn splits_times_across_chunks() {
        let d = decode(
            &[
                b"2026-11-28T02:32:20.000277165Z hello\n2026-11-28T02:32:2",
                b"1Z wor",
                b"ld\nno time here\n",
                b"2026-11-28T02:32:22.5Z last without newline",
            ],
            Resume::default(),
        );
        assert_eq!(
            texts(&d),
            ["hello", "world", "no time here", "last without newline"]
        );
        let t0 = "2026-11-28T02:32:20Z"
            .parse::<jiff::Timestamp>()
            .unwrap()
            .as_millisecond();
        let times: Vec<_> = d.lines.iter().map(|l| l.time_ms).collect();
        assert_eq!(times, [Some(t0), Some(t0 + 1000), None, Some(t0 + 2500)]);
        assert!(d.lines.iter().all(|l| l.source == 3));
        assert_eq!(d.delivered, 4);
    }

    #[test]
    fn neutralizes_control_characters() {
        let d = decode(
            &[b"2026-11-28T02:32:20Z \x1b[31mred\x1b[0m\tbell\x07\r\n"],
            Resume::default(),
        );
        assert_eq!(texts(&d), ["^[[31mred^[[0m bell^G"]);
        let d = decode(
            &[b"2026-11-28T02:32:20Z bad \xff utf8\n"],
            Resume::default(),
        );
        assert_eq!(texts(&d), ["bad \u{fffd} utf8"]);
    }

    #[test]
    fn caps_absurd_lines() {
        let long = vec![b'x'; MAX_LINE * 3];
        // In one chunk, and spread over several.
        let mut whole = b"2026-11-28T02:32:20Z ".to_vec();
        whole.extend_from_slice(&long);
        whole.extend_from_slice(b"\nnext\n");
        for chunks in [vec![&whole[..]], whole.chunks(1000).collect()] {
            let d = decode(&chunks, Resume::default());
            assert_eq!(d.lines.len(), 2);
            assert!(d.lines[0].text.ends_with(CUT_MARK));
            assert!(d.lines[0].text.len() <= MAX_LINE + CUT_MARK.len());
            assert_eq!(d.lines[1].text, "next");
        }
    }

    #[test]
    fn reattach_skips_what_was_delivered() {
        let first = decode(
            &[b"2026-11-28T02:32:20.1Z a\n2026-11-28T02:32:21.5Z b\n2026-11-28T02:32:21.5Z c\n"],
            Resume::default(),
        );
        let resume = first.resume;
        assert!(resume.is_set());
        // Rounded down to the second, never up.
        assert_eq!(resume.since().unwrap().to_string(), "2026-11-28T02:32:21Z");
        // The server sends again from 02:32:21: b and c are skipped, the
        // third line of the same instant and later lines are new.
        let again = decode(
            &[b"2026-11-28T02:32:21.5Z b\n2026-11-28T02:32:21.5Z c\n2026-11-28T02:32:21.5Z d\n2026-11-28T02:32:22Z e\n"],
            resume,
        );
        assert_eq!(texts(&again), ["d", "e"]);
        // An earlier line seen later does not move the resume point back.
        let mut r = Resume::default();
        r.record(10);
        r.record(5);
        assert_eq!(r.last, Some((10, 1)));
    }

    #[test]
    fn merges_sources_by_time_stably() {
        let line = |source, time_ms, text: &str| RawLine {
            source,
            time_ms,
            text: text.into(),
        };
        let mut lines = vec![
            line(0, Some(5), "a5"),
            line(0, Some(9), "a9"),
            line(1, Some(5), "b5"),
            line(1, Some(7), "b7"),
        ];
        order(&mut lines);
        let texts: Vec<_> = lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(texts, ["a5", "b5", "b7", "a9"]);
        // One source (a file without times) keeps its order.
        let mut one = vec![
            line(2, None, "x"),
            line(2, Some(1), "y"),
            line(2, None, "z"),
        ];
        order(&mut one);
        assert_eq!(one[2].text, "z");
        // Lines without a time stay under their stream's line before them.
        let mut mixed = vec![
            line(0, Some(5), "a5"),
            line(0, None, "a5 continued"),
            line(1, None, "b?"),
            line(1, Some(3), "b3"),
            line(0, Some(8), "a8"),
            line(1, Some(6), "b6"),
            line(1, None, "b6 continued"),
        ];
        order(&mut mixed);
        let texts: Vec<_> = mixed.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(
            texts,
            ["b?", "b3", "a5", "a5 continued", "b6", "b6 continued", "a8"]
        );
    }
}
