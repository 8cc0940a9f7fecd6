//! A series' labels as bytes, built once when the series is created so that a scrape only
//! copies them: the rendered exposition block and an order-preserving sort key, kept per
//! shard in one arena.

/// Byte that ends each string of a sort key (after escaping, see [`push_key_string`]).
const KEY_END: [u8; 2] = [0x00, 0x01];
/// How a NUL byte inside a label value is written in a sort key.
const KEY_NUL: [u8; 2] = [0x00, 0xFF];

/// Where a series' labels sit in its shard's label arena ([`LabelArena`]), in the two byte
/// forms a scrape needs, one after the other: the sort key, then the rendered block.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LabelText {
    at: usize,
    key_len: u32,
    rendered_len: u32,
}

impl LabelText {
    /// Where the key starts in the arena.
    pub(crate) fn at(&self) -> usize {
        self.at
    }

    pub(crate) fn key_len(&self) -> usize {
        self.key_len as usize
    }

    pub(crate) fn rendered_len(&self) -> usize {
        self.rendered_len as usize
    }

    pub(crate) fn len(&self) -> usize {
        self.key_len() + self.rendered_len()
    }
}

/// The label texts of one shard's series, back to back, so that a scrape copies them with
/// one `memcpy` instead of chasing a pointer per series. Removed series leave garbage,
/// compacted away once it is half of the arena (amortised O(1) per removal).
#[derive(Debug, Default)]
pub(crate) struct LabelArena {
    bytes: Vec<u8>,
    garbage: usize,
}

impl LabelArena {
    /// Appends both forms of labels sorted by name.
    pub(crate) fn push<'a>(
        &mut self,
        labels: impl Iterator<Item = (&'a str, &'a str)> + Clone,
    ) -> LabelText {
        let at = self.bytes.len();
        for (name, value) in labels.clone() {
            push_key_string(&mut self.bytes, name);
            push_key_string(&mut self.bytes, value);
        }
        let key_len = self.bytes.len() - at;
        render_labels(&mut self.bytes, labels);
        LabelText {
            at,
            key_len: key_len as u32,
            rendered_len: (self.bytes.len() - at - key_len) as u32,
        }
    }

    /// Marks a series' text as garbage; returns whether the arena should be compacted.
    pub(crate) fn release(&mut self, text: LabelText) -> bool {
        self.garbage += text.len();
        self.garbage >= 4096 && self.garbage * 2 >= self.bytes.len()
    }

    /// Rewrites the arena with only the texts `live` yields, updating them in place.
    pub(crate) fn compact<'t>(&mut self, live: impl Iterator<Item = &'t mut LabelText>) {
        let mut bytes = Vec::with_capacity(self.bytes.len() - self.garbage);
        for text in live {
            let at = bytes.len();
            bytes.extend_from_slice(&self.bytes[text.at..text.at + text.len()]);
            text.at = at;
        }
        self.bytes = bytes;
        self.garbage = 0;
    }

    /// Every text, live or garbage: what a scrape copies.
    pub(crate) fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    #[cfg(test)]
    fn key(&self, text: LabelText) -> &[u8] {
        &self.bytes[text.at..text.at + text.key_len()]
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        self.bytes.capacity()
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
        let mut arena = LabelArena::default();
        let texts: Vec<LabelText> = sets.iter().map(|s| arena.push(s.iter().copied())).collect();
        for (a, ka) in sets.iter().zip(&texts) {
            for (b, kb) in sets.iter().zip(&texts) {
                let order = arena.key(*ka).cmp(arena.key(*kb));
                assert_eq!(order, pairs_cmp(a, b), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn rendered_block_escapes_values() {
        let mut arena = LabelArena::default();
        arena.push([("z", "first")].into_iter());
        let t = arena.push([("a", "x\"y\\z\nw"), ("b", "plain")].into_iter());
        let rendered = &arena.bytes()[t.at() + t.key_len()..t.at() + t.len()];
        assert_eq!(rendered, br#"a="x\"y\\z\nw",b="plain""#);
    }

    #[test]
    fn compaction_keeps_live_texts() {
        let mut arena = LabelArena::default();
        let mut texts: Vec<(String, LabelText)> = (0..2000)
            .map(|i| {
                let value = format!("value-{i}");
                let text = arena.push([("name", value.as_str())].into_iter());
                (value, text)
            })
            .collect();
        let mut compact = false;
        for (_, text) in texts.drain(..1500) {
            compact |= arena.release(text);
        }
        assert!(compact);
        arena.compact(texts.iter_mut().map(|(_, t)| t));
        assert!(arena.bytes().len() < 500 * 40);
        for (value, text) in &texts {
            let mut expected = Vec::new();
            render_labels(&mut expected, [("name", value.as_str())].into_iter());
            let rendered = &arena.bytes()[text.at() + text.key_len()..text.at() + text.len()];
            assert_eq!(rendered, &expected[..]);
        }
    }
}
