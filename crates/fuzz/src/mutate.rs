//! Mutations: byte-level (flips, truncation, insertions, splices), line
//! level (duplication, swaps, indentation), YAML-aware (deep nesting, alias
//! bombs, anchors, tags, control characters, huge strings) and
//! structure-aware on the parsed document (type swaps, extreme numbers,
//! removed or repeated entries), re-serialised as JSON (which is YAML).

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Number, Value};

use crate::rng::Rng;

/// What an input is, which decides the mutations that make sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Plain text (log lines, metric pages, field input).
    Text,
    /// YAML (or JSON) documents: structure-aware mutations apply.
    Yaml,
    /// A Helm release payload: base64 of (gzip of) the release JSON.
    HelmPayload,
}

/// Bytes that mean something to one of the parsers.
const SPECIAL: &[u8] = b"\0\x1b\x7f\xff\n\r\t :-[]{},&*!|>\"'#%@`?\\=~+.0123456789eE";

/// Text that terminals, YAML or the parsers treat specially.
const TOKENS: &[&str] = &[
    "\x1b[2J",
    "\x1b]0;pwned\x07",
    "\x1b[31m",
    "\u{9b}31m",
    "\u{202e}",
    "\u{2066}",
    "\r",
    "\t",
    "\0",
    "\u{feff}",
    "\u{fffd}",
    "é",
    "𝄞",
    "!!binary ",
    "!!str ",
    "!!int ",
    "!!float ",
    "!!map ",
    "!custom ",
    "&a ",
    "*a",
    "<<: *a\n",
    "? ",
    "--- ",
    "\n---\n",
    "...\n",
    "%YAML 1.2\n",
    "%TAG ! tag:x,2000:\n",
    "|-\n",
    ">+\n",
    "~",
    "null",
    "true",
    "yes",
    "0x1F",
    "0o17",
    "0644",
    ".inf",
    "-.inf",
    ".nan",
    "1e308",
    "-9223372036854775809",
    "18446744073709551616",
    "1.7976931348623157e309",
    "{}",
    "[]",
    "\"\\u0000\\ud800\"",
    "'it''s'",
    "[*a, *a]",
    "{le=\"+Inf\"}",
    "NaN",
    "# comment\n",
    "500m",
    "2Gi",
    "1e3Ki",
    "-1",
    "ctrl+alt+shift+F12",
    "F0",
];

/// Applies one random mutation to `input`; `other` is another corpus entry
/// for splicing.
pub fn mutate(input: &mut Vec<u8>, other: &[u8], kind: Kind, rng: &mut Rng) {
    match kind {
        Kind::HelmPayload if rng.one_in(2) => helm_payload(input, rng),
        Kind::Yaml | Kind::HelmPayload if rng.one_in(3) => {
            if !structural(input, rng) {
                text(input, other, rng);
            }
        }
        Kind::Yaml if rng.one_in(3) => yaml(input, rng),
        _ => text(input, other, rng),
    }
}

/// Byte and line mutations.
fn text(input: &mut Vec<u8>, other: &[u8], rng: &mut Rng) {
    let len = input.len();
    match rng.below(12) {
        // Flip a bit.
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        // Set a byte to one that means something.
        1 if len > 0 => {
            let i = rng.below(len);
            input[i] = *rng.pick(SPECIAL);
        }
        // Insert a special byte or a token.
        2 => {
            let at = rng.below(len + 1);
            let token = rng.pick(TOKENS).as_bytes();
            input.splice(at..at, token.iter().copied());
        }
        // Truncate.
        3 if len > 0 => input.truncate(rng.below(len)),
        // Delete a range.
        4 if len > 0 => {
            let at = rng.below(len);
            let n = rng.length(len - at);
            input.drain(at..(at + n).min(len));
        }
        // Duplicate a line, possibly many times.
        5 => {
            let lines = split_lines(input);
            if lines.is_empty() {
                return;
            }
            let line = rng.pick(&lines).clone();
            let most = crate::MAX_INPUT / line.len().max(1);
            let times = if rng.one_in(8) {
                rng.length(5000).min(most.max(1))
            } else {
                1
            };
            let at = rng.below(lines.len() + 1);
            let mut out = lines;
            for _ in 0..times {
                out.insert(at, line.clone());
            }
            *input = out.concat();
        }
        // Swap two lines.
        6 => {
            let mut lines = split_lines(input);
            if lines.len() > 1 {
                let (a, b) = (rng.below(lines.len()), rng.below(lines.len()));
                lines.swap(a, b);
                *input = lines.concat();
            }
        }
        // Change the indentation of a line.
        7 => {
            let mut lines = split_lines(input);
            if !lines.is_empty() {
                let i = rng.below(lines.len());
                if rng.one_in(2) {
                    let pad = vec![b' '; rng.length(40)];
                    lines[i].splice(0..0, pad);
                } else {
                    let spaces = lines[i].iter().take_while(|&&b| b == b' ').count();
                    lines[i].drain(..spaces.min(rng.length(8)));
                }
                *input = lines.concat();
            }
        }
        // Splice with another corpus entry.
        8 if !other.is_empty() => {
            let cut = rng.below(len + 1);
            let from = rng.below(other.len());
            let take = rng.length(other.len() - from);
            input.truncate(cut);
            input.extend_from_slice(&other[from..from + take]);
        }
        // A huge string.
        9 => {
            let at = rng.below(len + 1);
            let unit = *rng.pick(&[b"A".as_slice(), "é".as_bytes(), b"\x1b[", b"\\n", b"9"]);
            let n = rng.length(256 * 1024 / unit.len());
            input.splice(at..at, unit.repeat(n));
        }
        // Invalid UTF-8.
        10 => {
            let at = rng.below(len + 1);
            let bad = *rng.pick(&[
                b"\xc3".as_slice(),
                b"\xed\xa0\x80",
                b"\xf4\x90\x80\x80",
                b"\x80",
            ]);
            input.splice(at..at, bad.iter().copied());
        }
        // Replace a run of digits with an extreme number.
        _ => {
            if let Some(at) = input.iter().position(|b| b.is_ascii_digit()).map(|first| {
                let starts: Vec<usize> = (first..len)
                    .filter(|&i| {
                        input[i].is_ascii_digit() && (i == 0 || !input[i - 1].is_ascii_digit())
                    })
                    .collect();
                *rng.pick(&starts)
            }) {
                let end = (at..len)
                    .find(|&i| !input[i].is_ascii_digit())
                    .unwrap_or(len);
                let n = *rng.pick(&[
                    "0",
                    "-1",
                    "99999999999999999999999",
                    "9223372036854775807",
                    "4294967296",
                    "65536",
                    "1e400",
                    "0.5",
                ]);
                input.splice(at..end, n.bytes());
            }
        }
    }
}

/// YAML-specific text mutations: nesting, alias bombs, anchors.
fn yaml(input: &mut Vec<u8>, rng: &mut Rng) {
    match rng.below(5) {
        // Deep flow nesting at a random place.
        0 => {
            let depth = rng.length(20_000);
            let (open, close) = if rng.one_in(2) {
                ("[", "]")
            } else {
                ("{a: ", "}")
            };
            let at = rng.below(input.len() + 1);
            let mut nest = open.repeat(depth);
            if rng.one_in(2) {
                nest.push_str(&close.repeat(depth));
            }
            input.splice(at..at, nest.into_bytes());
        }
        // Deep block nesting appended.
        1 => {
            let depth = rng.length(3000);
            let mut out = String::from("\nnest:\n");
            for i in 0..depth {
                out.push_str(&" ".repeat(i + 2));
                out.push_str("k:\n");
            }
            input.extend_from_slice(out.as_bytes());
        }
        // A "billion laughs" alias bomb, as the whole text or as a field.
        2 => {
            let levels = 3 + rng.below(8);
            let mut bomb = String::from(
                "a0: &a0 [\"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\", \"lol\"]\n",
            );
            for i in 1..levels {
                let prev = format!("*a{}", i - 1);
                let row = [prev.as_str(); 9].join(", ");
                bomb.push_str(&format!("a{i}: &a{i} [{row}]\n"));
            }
            if rng.one_in(2) {
                *input = bomb.into_bytes();
            } else {
                input.extend_from_slice(b"\n");
                input.extend_from_slice(bomb.as_bytes());
            }
        }
        // Anchor a value and alias it elsewhere (merge keys, unknown anchors).
        3 => {
            let lines = split_lines(input);
            if lines.is_empty() {
                return;
            }
            let mut lines = lines;
            let i = rng.below(lines.len());
            if let Some(colon) = lines[i].windows(2).position(|w| w == b": ") {
                lines[i].splice(colon + 2..colon + 2, b"&x ".iter().copied());
            }
            let j = rng.below(lines.len());
            let alias = *rng.pick(&[
                b"<<: *x\n".as_slice(),
                b"y: *x\n",
                b"y: *nope\n",
                b"*x: 1\n",
            ]);
            let indent: Vec<u8> = lines[j]
                .iter()
                .take_while(|&&b| b == b' ')
                .copied()
                .collect();
            lines.insert(j, [indent.as_slice(), alias].concat());
            *input = lines.concat();
        }
        // Many documents.
        _ => {
            let copy = input.clone();
            for _ in 0..rng.length(8) {
                input.extend_from_slice(b"\n---\n");
                input.extend_from_slice(&copy);
            }
        }
    }
}

/// Parses the input, changes one node and writes it back as JSON. False
/// when the input does not parse.
fn structural(input: &mut Vec<u8>, rng: &mut Rng) -> bool {
    let Ok(text) = std::str::from_utf8(input) else {
        return false;
    };
    let Ok(mut docs) = osctui::domain::yaml_documents(text) else {
        return false;
    };
    if docs.is_empty() {
        return false;
    }
    let which = rng.below(docs.len());
    let doc = &mut docs[which];
    let count = count_nodes(doc);
    let target = rng.below(count);
    let mut seen = 0;
    change_nth(doc, target, &mut seen, rng);
    let texts: Vec<String> = docs.iter().map(|d| d.to_string()).collect();
    *input = texts.join("\n---\n").into_bytes();
    true
}

fn count_nodes(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count_nodes).sum(),
        Value::Object(map) => map.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Walks the tree in pre-order and changes node number `target`.
fn change_nth(value: &mut Value, target: usize, seen: &mut usize, rng: &mut Rng) -> bool {
    if *seen == target {
        change(value, rng);
        return true;
    }
    *seen += 1;
    match value {
        Value::Array(items) => items.iter_mut().any(|v| change_nth(v, target, seen, rng)),
        Value::Object(map) => map.values_mut().any(|v| change_nth(v, target, seen, rng)),
        _ => false,
    }
}

/// A new value in place of `value`: another type, an extreme, a copy.
fn change(value: &mut Value, rng: &mut Rng) {
    *value = match rng.below(14) {
        0 => Value::Null,
        1 => Value::Bool(rng.one_in(2)),
        2 => Value::Number(Number::from(*rng.pick(&[
            0i64,
            -1,
            i64::MIN,
            i64::MAX,
            65_536,
        ]))),
        3 => Value::Number(Number::from(u64::MAX)),
        4 => Number::from_f64(*rng.pick(&[0.5, -0.0, 1e308, -1e-308, 2.5e9]))
            .map_or(Value::Null, Value::Number),
        5 => Value::String(String::new()),
        6 => Value::String((*rng.pick(TOKENS)).to_owned()),
        7 => Value::String("x".repeat(rng.length(256 * 1024))),
        8 => Value::String(value.to_string()),
        9 => Value::Array(vec![value.take()]),
        10 => {
            let mut map = Map::new();
            map.insert("k".to_owned(), value.take());
            Value::Object(map)
        }
        // Deep nesting in the document itself.
        11 => {
            let mut v = value.take();
            for _ in 0..rng.length(200) {
                v = Value::Array(vec![v]);
            }
            v
        }
        // Repeat the entries of a collection.
        12 => match value.take() {
            Value::Array(items) if !items.is_empty() => {
                let size = Value::Array(items.clone()).to_string().len();
                let n = rng
                    .length(2000)
                    .min((crate::MAX_INPUT / size.max(1)).max(1));
                Value::Array(
                    items
                        .iter()
                        .cycle()
                        .take(items.len() * n)
                        .cloned()
                        .collect(),
                )
            }
            Value::Object(map) => {
                let mut out = map.clone();
                for (k, v) in &map {
                    out.insert(format!("{k}{}", rng.below(100)), v.clone());
                }
                Value::Object(out)
            }
            other => other,
        },
        // Drop an entry.
        _ => match value.take() {
            Value::Array(mut items) if !items.is_empty() => {
                let i = rng.below(items.len());
                items.remove(i);
                Value::Array(items)
            }
            Value::Object(mut map) if !map.is_empty() => {
                let keys: Vec<String> = map.keys().cloned().collect();
                map.remove(rng.pick(&keys));
                Value::Object(map)
            }
            other => other,
        },
    };
}

/// Decodes a Helm payload to its JSON, mutates that, and encodes it back
/// (gzip or not), so mutations reach the release reader past base64 and
/// gzip. Leaves undecodable inputs to the byte mutations.
fn helm_payload(input: &mut Vec<u8>, rng: &mut Rng) {
    let Ok(raw) = STANDARD.decode(input.trim_ascii()) else {
        let mut dummy = Rng::new(rng.next_u64());
        text(input, &[], &mut dummy);
        return;
    };
    let mut json = Vec::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut dec = flate2::read::GzDecoder::new(raw.as_slice()).take(8 << 20);
        if dec.read_to_end(&mut json).is_err() {
            json = raw;
        }
    } else {
        json = raw;
    }
    if !structural(&mut json, rng) {
        text(&mut json, &[], rng);
    }
    let body = if rng.one_in(3) {
        json
    } else {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        if enc.write_all(&json).is_err() {
            return;
        }
        match enc.finish() {
            Ok(bytes) => bytes,
            Err(_) => return,
        }
    };
    *input = STANDARD.encode(body).into_bytes();
}

/// Lines with their line endings.
fn split_lines(input: &[u8]) -> Vec<Vec<u8>> {
    input
        .split_inclusive(|&b| b == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_change_inputs_and_are_deterministic() {
        let seed = b"a: 1\nb:\n  c: [x, y]\n".to_vec();
        let run = |s: u64| {
            let mut rng = Rng::new(s);
            let mut out = Vec::new();
            for _ in 0..200 {
                let mut input = seed.clone();
                mutate(&mut input, b"other: 2\n", Kind::Yaml, &mut rng);
                out.push(input);
            }
            out
        };
        let a = run(1);
        assert_eq!(a, run(1));
        let changed = a.iter().filter(|i| **i != seed).count();
        assert!(changed > 150, "only {changed} of 200 inputs changed");
        // Structure-aware mutations produce JSON that still parses.
        assert!(a.iter().any(|i| i.starts_with(b"{")));
    }

    #[test]
    fn helm_payloads_stay_decodable() {
        let json = br#"{"name":"r","version":1}"#;
        let mut input = STANDARD.encode(json).into_bytes();
        let mut rng = Rng::new(3);
        for _ in 0..20 {
            helm_payload(&mut input, &mut rng);
        }
        assert!(STANDARD.decode(&input).is_ok());
    }
}
