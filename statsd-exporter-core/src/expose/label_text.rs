//! A series' labels as bytes, built once when the series is created so that a scrape only
//! copies them: the rendered exposition block and an order-preserving sort key, kept per
//! shard in one arena.
//!
//! The sort key is also the only stored copy of a series' label names and values: finding
//! a series compares an event's labels against it in place ([`key_field`], [`KeyFields`]).

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

    /// The sort key of `text`: the series' label names and values (see [`KeyFields`]).
    #[inline]
    pub(crate) fn key(&self, text: LabelText) -> &[u8] {
        self.bytes
            .get(text.at..text.at + text.key_len())
            .unwrap_or_default()
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

/// Whether the key field at the start of `rest` is `text`; moves `rest` past that field
/// either way (as if it had `text`'s length), so a walk over a key takes one bounds check
/// per field.
///
/// Exact for text without NUL bytes, which are escaped in the key (label names never have
/// one); a NUL in `text` can match only across a field's end mark, so the caller also
/// checks that the series has as many labels as the event and that the walk ends exactly
/// at the key's end, and [`field_is`] decides the rest. Fields of up to 32 bytes compare
/// with two or four overlapping word loads and one load of the end mark, no `memcmp` call.
#[inline(always)]
pub(crate) fn take_key_field(rest: &mut &[u8], text: &str) -> bool {
    let text = text.as_bytes();
    // Two checks that need no arithmetic (an added length could wrap, as far as the
    // compiler knows), and the content's length is the text's by construction.
    let Some((content, after)) = rest.split_at_checked(text.len()) else {
        return false;
    };
    let Some((end, after)) = after.split_first_chunk::<2>() else {
        return false;
    };
    *rest = after;
    crate::store::shard::same_bytes(content, text) & (*end == KEY_END)
}

/// Whether the escaped key field `escaped` (without its end mark) is `raw`.
pub(crate) fn field_is(escaped: &[u8], raw: &[u8]) -> bool {
    let mut rest = escaped;
    for (i, part) in raw.split(|b| *b == 0).enumerate() {
        if i > 0 {
            match rest.strip_prefix(&KEY_NUL[..]) {
                Some(r) => rest = r,
                None => return false,
            }
        }
        match rest.strip_prefix(part) {
            Some(r) => rest = r,
            None => return false,
        }
    }
    rest.is_empty()
}

/// Appends the text an escaped key field stands for.
pub(crate) fn unescape_field(escaped: &[u8], out: &mut Vec<u8>) {
    let mut rest = escaped;
    while let Some(nul) = memchr::memchr(0, rest) {
        out.extend_from_slice(&rest[..nul]);
        out.push(0);
        rest = rest.get(nul + 2..).unwrap_or_default();
    }
    out.extend_from_slice(rest);
}

/// The fields of a sort key in order (name, value, name, value, …), still escaped and
/// without their end marks.
#[derive(Clone)]
pub(crate) struct KeyFields<'a> {
    rest: &'a [u8],
}

impl<'a> KeyFields<'a> {
    pub(crate) fn new(key: &'a [u8]) -> Self {
        KeyFields { rest: key }
    }
}

impl<'a> Iterator for KeyFields<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let mut from = 0;
        loop {
            let nul = from + memchr::memchr(0, self.rest.get(from..)?)?;
            match self.rest.get(nul + 1) {
                Some(1) => {
                    let field = &self.rest[..nul];
                    self.rest = &self.rest[nul + 2..];
                    return Some(field);
                }
                // An escaped NUL inside the field.
                Some(_) => from = nul + 2,
                None => return None,
            }
        }
    }
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
    fn key_fields_give_back_every_name_and_value() {
        let labels = [
            ("a", ""),
            ("b", "x\0y\0"),
            ("c", "\0"),
            ("d", "plain"),
            ("e", "é\u{1}\u{ff}"),
        ];
        let mut arena = LabelArena::default();
        arena.push([("z", "first")].into_iter());
        let text = arena.push(labels.iter().copied());
        let key = arena.key(text);
        let fields: Vec<&[u8]> = KeyFields::new(key).collect();
        assert_eq!(fields.len(), 2 * labels.len());
        let mut at = 0;
        for (pair, (name, value)) in fields.chunks(2).zip(labels) {
            assert!(field_is(pair[0], name.as_bytes()));
            assert!(field_is(pair[1], value.as_bytes()));
            let mut decoded = Vec::new();
            unescape_field(pair[1], &mut decoded);
            assert_eq!(decoded, value.as_bytes());
            // The in-place comparison: exact without NUL, a sure "no" with one.
            let mut rest = &key[at..];
            assert!(take_key_field(&mut rest, name));
            at += name.len() + 2;
            let mut rest = &key[at..];
            if take_key_field(&mut rest, value) {
                assert!(!value.contains('\0'));
            } else {
                assert!(value.contains('\0'), "{value:?}");
            }
            at += pair[1].len() + 2;
            assert!(!field_is(pair[1], b"other"));
            let mut rest = &key[at - pair[1].len() - 2..];
            assert!(!take_key_field(&mut rest, "other"));
        }
        assert_eq!(at, key.len());
        // A prefix of a field is not the field.
        assert!(!field_is(fields[7], b"plai"));
        assert!(!take_key_field(&mut &key[..], ""));
    }

    #[test]
    fn key_field_compares_every_byte_and_the_end_mark_at_every_length() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789";
        for len in 0..text.len() {
            let field = &text[..len];
            let mut arena = LabelArena::default();
            let t = arena.push([("n", field), ("m", "after")].into_iter());
            let key = &arena.key(t)[3..]; // after `n` and its end mark
            let is = |text: &str| {
                let mut rest = key;
                let same = take_key_field(&mut rest, text);
                // The walk moves by the text's length whatever the answer.
                assert_eq!(rest.len() + text.len() + 2, key.len());
                same
            };
            assert!(is(field), "{len}");
            // Only the field itself left: the same answer.
            let mut rest = &key[..len + 2];
            assert!(take_key_field(&mut rest, field) && rest.is_empty(), "{len}");
            for i in 0..len {
                let mut other = field.as_bytes().to_vec();
                other[i] = b'_';
                assert!(!is(std::str::from_utf8(&other).unwrap()), "{len} {i}");
            }
            // A prefix or an extension of the field is another field.
            if len > 0 {
                assert!(!is(&field[..len - 1]), "{len}");
            }
            assert!(!is(&text[..len + 1]), "{len}");
            // Past the end of the key: no.
            assert!(!take_key_field(&mut &key[..len + 1], field), "{len}");
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
