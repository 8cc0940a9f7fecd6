//! A series' labels as bytes, built once when the series is created so that a scrape only
//! copies them: the rendered exposition block and an order-preserving sort key.

/// Byte that ends each string of a sort key (after escaping, see [`push_key_string`]).
const KEY_END: [u8; 2] = [0x00, 0x01];
/// How a NUL byte inside a label value is written in a sort key.
const KEY_NUL: [u8; 2] = [0x00, 0xFF];

/// A series' labels in the two byte forms a scrape needs, in one allocation:
/// `key ++ rendered`.
#[derive(Debug)]
pub(crate) struct LabelText {
    bytes: Box<[u8]>,
    key_len: u32,
}

impl LabelText {
    /// Builds both forms from labels sorted by name.
    pub(crate) fn new<'a>(labels: impl Iterator<Item = (&'a str, &'a str)> + Clone) -> Self {
        let mut bytes = Vec::new();
        for (name, value) in labels.clone() {
            push_key_string(&mut bytes, name);
            push_key_string(&mut bytes, value);
        }
        let key_len = bytes.len() as u32;
        render_labels(&mut bytes, labels);
        LabelText {
            bytes: bytes.into_boxed_slice(),
            key_len,
        }
    }

    /// Bytes whose lexicographic order is the exposition order of label sets: pair by
    /// pair, name then value, a shorter list first when one is a prefix of the other.
    pub(crate) fn key(&self) -> &[u8] {
        &self.bytes[..self.key_len as usize]
    }

    /// `name="value",...` with exposition escaping, without braces.
    pub(crate) fn rendered(&self) -> &[u8] {
        &self.bytes[self.key_len as usize..]
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.len()
    }
}

/// Appends `text` so that byte order of keys equals string order of the texts, field by
/// field: NUL is escaped as `00 FF` and every string ends with `00 01`, which sorts below
/// any byte a longer string could continue with.
fn push_key_string(out: &mut Vec<u8>, text: &str) {
    for part in text.as_bytes().split(|b| *b == 0).enumerate() {
        if part.0 > 0 {
            out.extend_from_slice(&KEY_NUL);
        }
        out.extend_from_slice(part.1);
    }
    out.extend_from_slice(&KEY_END);
}

/// Writes `name="value"` pairs separated by commas, escaping `\`, `"` and newline in values
/// (the same in the text format and OpenMetrics).
pub(crate) fn render_labels<'a>(
    out: &mut Vec<u8>,
    labels: impl Iterator<Item = (&'a str, &'a str)>,
) {
    for (i, (name, value)) in labels.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b"=\"");
        let value = value.as_bytes();
        if !value.iter().any(|b| matches!(b, b'\\' | b'"' | b'\n')) {
            out.extend_from_slice(value);
        } else {
            for &b in value {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'"' => out.extend_from_slice(b"\\\""),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    _ => out.push(b),
                }
            }
        }
        out.push(b'"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cmp::Ordering;

    fn pairs_cmp(a: &[(&str, &str)], b: &[(&str, &str)]) -> Ordering {
        for (x, y) in a.iter().zip(b) {
            let o = x.0.cmp(y.0).then_with(|| x.1.cmp(y.1));
            if o != Ordering::Equal {
                return o;
            }
        }
        a.len().cmp(&b.len())
    }

    #[test]
    fn key_order_is_pairwise_label_order() {
        let texts = [
            "", "a", "a1", "a\0", "a\0b", "ab", "b", "\0", "é", "z\u{1}", "A",
        ];
        let mut sets: Vec<Vec<(&str, &str)>> = vec![vec![]];
        for n in texts {
            for v in texts {
                sets.push(vec![(n, v)]);
                for v2 in ["", "x\0", "x"] {
                    sets.push(vec![(n, v), ("m", v2)]);
                }
            }
        }
        for a in &sets {
            let ka = LabelText::new(a.iter().copied());
            for b in &sets {
                let kb = LabelText::new(b.iter().copied());
                assert_eq!(ka.key().cmp(kb.key()), pairs_cmp(a, b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn rendered_block_escapes_values() {
        let t = LabelText::new([("a", "x\"y\\z\nw"), ("b", "plain")].into_iter());
        assert_eq!(t.rendered(), br#"a="x\"y\\z\nw",b="plain""#);
    }
}
