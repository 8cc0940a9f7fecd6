//! A tiny reader for the `tests/data/*.txt` case tables.
//!
//! A table is a list of cases separated by blank lines. Each case is `key: value`
//! lines; a key may repeat (`out:`). Lines starting with `#` are comments. Inputs use
//! the escapes `\n`, `\r`, `\t`, `\\` and `\xNN`, so any byte can be written.

use std::collections::BTreeMap;

/// One case: its keys in order, and the line number it starts on.
#[derive(Debug, Default)]
pub struct Case {
    pub line: usize,
    pub fields: Vec<(String, String)>,
}

impl Case {
    /// The single value of `key` (empty when absent).
    pub fn get(&self, key: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str())
    }

    /// Every value of a repeated key.
    pub fn all(&self, key: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A label for failure messages.
    pub fn name(&self, file: &str) -> String {
        format!("{file}:{} ({})", self.line, self.get("case"))
    }
}

/// Parses a table file's text.
pub fn parse(text: &str) -> Vec<Case> {
    let mut cases = Vec::new();
    let mut current = Case::default();
    for (n, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        if line.is_empty() {
            if !current.fields.is_empty() {
                cases.push(std::mem::take(&mut current));
            }
            continue;
        }
        if line.starts_with('#') {
            continue;
        }
        let (key, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("line {}: expected `key: value`, got {line:?}", n + 1));
        if current.fields.is_empty() {
            current.line = n + 1;
        }
        let value = value.strip_prefix(' ').unwrap_or(value);
        current
            .fields
            .push((key.trim().to_string(), value.to_string()));
    }
    if !current.fields.is_empty() {
        cases.push(current);
    }
    cases
}

/// Decodes the input escapes.
pub fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() {
            match bytes[i + 1] {
                b'n' => out.push(b'\n'),
                b'r' => out.push(b'\r'),
                b't' => out.push(b'\t'),
                b'\\' => out.push(b'\\'),
                b'x' => {
                    let hex = &text[i + 2..i + 4];
                    out.push(u8::from_str_radix(hex, 16).expect("bad \\x escape"));
                    i += 2;
                }
                other => panic!("unknown escape \\{}", other as char),
            }
            i += 2;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    out
}

/// Parses `k=v k2=v2` into a map.
pub fn key_values(text: &str) -> BTreeMap<String, String> {
    text.split_whitespace()
        .map(|kv| {
            let (k, v) = kv.split_once('=').expect("expected k=v");
            (k.to_string(), v.to_string())
        })
        .collect()
}
