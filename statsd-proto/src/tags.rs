//! Tags: name-embedded styles (InfluxDB, Librato, SignalFX), DogStatsD `|#` tags and
//! the `|c:` container id, walked lazily in statsd_exporter's order.

use crate::scan::{eq, first, load, splat, split_item};
use crate::simd::{Block, WIDTH, block_at, eq_masks, high_mask, last_block};

/// One tag: a key and, except for DogStatsD valueless tags in strict mode, a value.
///
/// Keys and values are the raw bytes of the line: statsd_exporter escapes tag keys
/// into Prometheus label names (`tag.with.dots` → `tag_with_dots`) after parsing; that
/// is the exporter's job, not the parser's. In [`Compat::StatsdExporter`](crate::Compat)
/// mode the bytes are valid UTF-8 (the whole line was checked).
#[derive(Clone, Copy)]
pub struct Tag<'a> {
    key: &'a [u8],
    /// The value, `b""` for a valueless tag: [`Tag::value_or_empty`], the exporter's
    /// read, is then a field (an `Option` costs it a test and a select a tag).
    value: &'a [u8],
    valueless: bool,
}

impl<'a> Tag<'a> {
    /// A tag from its parts (used by the encoder and in tests).
    #[inline(always)]
    pub const fn new(key: &'a [u8], value: Option<&'a [u8]>) -> Tag<'a> {
        match value {
            Some(value) => Tag {
                key,
                value,
                valueless: false,
            },
            None => Tag {
                key,
                value: b"",
                valueless: true,
            },
        }
    }

    /// The key, never empty.
    pub fn key(&self) -> &'a [u8] {
        self.key
    }

    /// The value; `None` only for a valueless DogStatsD tag (`#env`) in strict mode
    /// (statsd_exporter mode drops those and counts a tag error).
    pub fn value(&self) -> Option<&'a [u8]> {
        (!self.valueless).then_some(self.value)
    }

    /// The value, or `b""` for a valueless tag.
    pub fn value_or_empty(&self) -> &'a [u8] {
        self.value
    }

    /// The key as text.
    ///
    /// # Errors
    /// When the key is not UTF-8 (possible only in strict DogStatsD mode).
    pub fn key_str(&self) -> Result<&'a str, core::str::Utf8Error> {
        core::str::from_utf8(self.key)
    }

    /// The value as text (`""` when valueless).
    ///
    /// # Errors
    /// When the value is not UTF-8 (possible only in strict DogStatsD mode).
    pub fn value_str(&self) -> Result<&'a str, core::str::Utf8Error> {
        core::str::from_utf8(self.value_or_empty())
    }
}

// By hand, equal to the derived impls over `(key, value())`: a valueless tag and
// one with an empty value stay different, and `Debug` prints the same as before.
impl PartialEq for Tag<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key && self.value() == other.value()
    }
}

impl Eq for Tag<'_> {}

impl core::hash::Hash for Tag<'_> {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.key.hash(state);
        self.value().hash(state);
    }
}

impl core::fmt::Debug for Tag<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Tag")
            .field("key", &self.key)
            .field("value", &self.value())
            .finish()
    }
}

/// Splits one `k<sep>v` tag. `Err(())` means statsd_exporter counts a tag error.
#[inline]
pub(crate) fn split_tag(tag: &[u8], sep: u8, allow_valueless: bool) -> Result<Tag<'_>, ()> {
    match memchr_small(sep, tag) {
        Some(i) => {
            let (key, value) = (&tag[..i], &tag[i + 1..]);
            if key.is_empty() || (value.is_empty() && !allow_valueless) {
                Err(())
            } else {
                Ok(Tag::new(key, Some(value)))
            }
        }
        None if allow_valueless && !tag.is_empty() => Ok(Tag::new(tag, None)),
        None => Err(()),
    }
}

/// A word-at-a-time search: tags are short, and memchr's dispatch costs more there.
#[inline]
pub(crate) fn memchr_small(needle: u8, haystack: &[u8]) -> Option<usize> {
    crate::scan::find(haystack, needle)
}

/// Where name-embedded tags were found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct NameTags<'a> {
    /// The tag list (`k=v,k2=v2`), empty when there is none.
    pub(crate) section: &'a [u8],
    /// Number of valid tags.
    pub(crate) valid: u32,
    /// Number of tag errors (including a lone or reversed SignalFX bracket).
    pub(crate) errors: u32,
}

/// How many valid tags of a `|#` list [`TagIndex`] keeps positions for.
const INDEX_CAP: usize = 8;
/// The colon slot of a valueless tag.
const NO_VALUE: u8 = u8::MAX;

/// The valid tags of one `|#` list and its tag-error count, found in the single pass
/// over the line, so that neither [`Tags`] nor the counters split the list again.
///
/// Compact (32 bytes, offsets only) because it lives in every `Metric`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct TagIndex {
    /// `[key start, colon or NO_VALUE, end]` of each valid tag, relative to the list.
    spans: [[u8; 3]; INDEX_CAP],
    /// Offset of the list (after `|#`, up to the `|` that ends it) in the line.
    pub(crate) start: u32,
    /// Length of the list.
    len: u8,
    /// Number of valid tags, when `complete`.
    count: u8,
    /// The spans are complete (at most `INDEX_CAP` valid tags, list shorter than 255).
    pub(crate) complete: bool,
}

/// What [`index_list`] found.
#[derive(Default)]
pub(crate) struct ListScan<'a> {
    pub(crate) index: TagIndex,
    /// The list (after `|#`, up to the `|` that ends it).
    pub(crate) list: &'a [u8],
    /// Number of valid tags.
    pub(crate) valid: u32,
    /// Number of tag errors (statsd_exporter counts them once per sample reaching them).
    pub(crate) errors: u32,
    /// OR of the words read (for the caller's non-ASCII check).
    pub(crate) bits: u64,
}

impl ListScan<'_> {
    /// Judges the item `s[item..end]` (`colon`: its first `:`, or `usize::MAX`) exactly
    /// as [`Tags`] and [`count_list`] do, and records it.
    #[inline(always)]
    fn push(&mut self, s: &[u8], item: usize, colon: usize, end: usize, strict: bool) {
        // The DogStatsD `#`-per-tag quirk: one leading `#` of an item is dropped.
        let body = item + usize::from(s.get(item) == Some(&b'#'));
        if strict && body == end {
            return; // strict mode skips empty tags silently
        }
        let ok = if colon < end {
            colon > body && (strict || colon + 1 < end)
        } else {
            strict // a valueless tag
        };
        if !ok {
            self.errors += 1;
            return;
        }
        if let Some(span) = self.index.spans.get_mut(self.valid as usize) {
            let colon = if colon < end { colon as u8 } else { NO_VALUE };
            *span = [body as u8, colon, end as u8];
        }
        self.valid += 1;
    }
}

impl TagIndex {
    /// The `k`-th valid tag (`k < count`, `complete`) of `list`.
    #[cfg(test)]
    fn tag<'a>(&self, list: &'a [u8], k: usize) -> Tag<'a> {
        span_tag(list, self.spans[k])
    }
}

/// The tag at `span` (`[key start, colon or NO_VALUE, end]`) of `list`.
#[cfg(test)]
fn span_tag(list: &[u8], span: [u8; 3]) -> Tag<'_> {
    let [key, colon, end] = span;
    let (key, colon, end) = (key as usize, colon as usize, end as usize);
    if colon == NO_VALUE as usize {
        Tag::new(list.get(key..end).unwrap_or_default(), None)
    } else {
        Tag::new(
            list.get(key..colon).unwrap_or_default(),
            Some(list.get(colon + 1..end).unwrap_or_default()),
        )
    }
}

/// Indexes the `|#` list at the start of `s` (the bytes after `|#`): one word-at-a-time
/// pass that stops at the `|` ending the list. The caller sets `index.start`.
#[inline(always)]
pub(crate) fn index_list(s: &[u8], strict: bool) -> ListScan<'_> {
    let (pc, pk, pp) = (splat(b','), splat(b':'), splat(b'|'));
    let mut index = ListScan {
        index: TagIndex::default(),
        list: &[],
        valid: 0,
        errors: 0,
        bits: 0,
    };
    let (mut item, mut colon, mut bits) = (0usize, usize::MAX, 0);
    let mut i = 0;
    let end = 'scan: loop {
        let w = match s.get(i..i + 8) {
            Some(chunk) => u64::from_le_bytes(chunk.try_into().unwrap_or_default()),
            None if i < s.len() => load(s, i),
            None => break s.len(),
        };
        bits |= w;
        let mut m = eq(w, pc) | eq(w, pk) | eq(w, pp);
        while m != 0 {
            let lane = first(m);
            m &= m - 1;
            let pos = i + lane;
            // Lanes above a match may be flagged falsely: look at the byte.
            match (w >> (8 * lane)) as u8 {
                b':' if colon == usize::MAX => colon = pos,
                b',' => {
                    index.push(s, item, colon, pos, strict);
                    (item, colon) = (pos + 1, usize::MAX);
                }
                b'|' => break 'scan pos,
                _ => {}
            }
        }
        i += 8;
    };
    // The text after the last `,` is an item only when non-empty.
    if item < end {
        index.push(s, item, colon, end, strict);
    }
    index.list = &s[..end];
    index.bits = bits;
    index.index.complete = index.valid as usize <= INDEX_CAP && end < NO_VALUE as usize;
    index.index.len = end as u8;
    index.index.count = index.valid as u8;
    index
}

/// Longest `|#` list [`mask_list`] reads (one bit per byte and one for its end in a `u128`).
const MASK_CAP: usize = 127;

/// The blocks [`mask_list`] reads at most: `MASK_CAP` bytes and the byte after.
const BLOCKS: usize = (MASK_CAP + 1) / WIDTH;

/// A clean `|#` list found by [`mask_list`]: every item a tag with a key and a value.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MaskScan<'a> {
    /// The list (after `|#`, up to the `|` that ends it).
    pub(crate) list: &'a [u8],
    /// One bit per byte of the list at each tag's first `:` and at the `,` (or the
    /// list's end) after it, so that a tag is two `trailing_zeros`.
    pub(crate) delims: u128,
    /// The non-ASCII lanes of the blocks read (for the caller's check; it may include
    /// bytes after the list).
    pub(crate) high: u32,
}

/// The `delims` of [`MaskScan`] from the `:` and `,` masks of a list whose end is
/// the one bit of `end_bit` (below the mask's top), or `None` when the list is not
/// clean. A macro for
/// the two widths: `u64` for lists of up to 63 bytes, `u128` for longer ones.
macro_rules! clean_delims {
    ($t:ty, $colons:expr, $commas:expr, $end_bit:expr, $strict:expr) => {{
        let end_bit: $t = $end_bit;
        // Colons past the end need no clearing: no carry below runs past the end.
        let colons: $t = $colons;
        let commas: $t = $commas & (end_bit - 1);
        let bounds = commas | end_bit;
        // Each item's first byte: the text after the last `,` is an item only when
        // non-empty.
        let after_bounds: $t = (commas << 1) | 1;
        let starts = after_bounds & (end_bit - 1);
        // Where each item's carry stops: its first `:`, or its end when it has none.
        let delims = colons | bounds;
        let stops = (!delims).wrapping_add(starts) & delims;
        let firsts = stops & colons;
        // An item without `:` (or empty), a `:` first (no key), and outside strict
        // mode a first `:` last (no value).
        let mut bad = (stops & bounds) | (firsts & starts);
        if !$strict {
            bad |= firsts & (bounds >> 1);
        }
        // Each tag ends at the `,` after it, or at the list's end unless a `,` ends it
        // (in a clean list only the list's end can follow a `,` or start it).
        let ends = bounds & !after_bounds;
        (bad == 0).then_some(firsts | ends)
    }};
}

/// Reads the `|#` list at the start of `s` (the bytes after `|#`, up to a `|`) when
/// it is clean — every item a tag with a key and a value (strict mode: the value may
/// be empty), so statsd_exporter counts no tag error — without visiting its items:
/// one pass turns the list into bit masks (a bit per byte) of its `:` and `,`, and
/// one addition on those masks finds every item's first `:` at once (a carry started
/// at each item's first byte runs over the bytes that are neither `:` nor `,` and
/// stops at the first one that is). `None` for any other list, for one of more than
/// [`MASK_CAP`] bytes and for one with a `#` (the `#`-per-tag quirk): [`index_list`]
/// counts those.
#[inline(always)]
pub(crate) fn mask_list(s: &[u8], strict: bool) -> Option<MaskScan<'_>> {
    // 16 bits of mask per block: a 2-byte store each, no shifting of wide masks.
    let (mut colon_bits, mut comma_bits) = ([[0u8; 2]; BLOCKS], [[0u8; 2]; BLOCKS]);
    let (mut high, mut hash) = (0u32, 0u32);
    let mut end = usize::MAX;
    // One block at block index `k`, its first `skip` lanes already read: its masks;
    // the list's end if a `|` is in it. Bytes after the list's end are flagged too:
    // cleared below, and a `#` there only sends the list to `index_list`.
    macro_rules! block {
        ($k:expr, $b:expr, $skip:expr) => {{
            let (k, b, skip): (usize, &Block, u32) = ($k, $b, $skip);
            let [colon, comma, pipe, h] = eq_masks(b, [b':', b',', b'|', b'#']);
            high |= high_mask(b) >> skip;
            hash |= h >> skip;
            colon_bits[k] = ((colon >> skip) as u16).to_le_bytes();
            comma_bits[k] = ((comma >> skip) as u16).to_le_bytes();
            let pipe = pipe >> skip;
            if pipe != 0 {
                end = WIDTH * k + pipe.trailing_zeros() as usize;
            }
        }};
    }
    // Whole blocks, then the last 1–15 bytes (see `last_block`).
    let mut k = 0;
    while k < BLOCKS {
        let Some(b) = block_at(s, WIDTH * k) else {
            break;
        };
        block!(k, b, 0);
        if end != usize::MAX {
            break;
        }
        k += 1;
    }
    if end == usize::MAX && k < BLOCKS && WIDTH * k < s.len() {
        let (b, skip) = last_block(s, WIDTH * k);
        block!(k, &b, skip);
    }
    if end == usize::MAX && s.len() <= MASK_CAP {
        end = s.len(); // a list at the line's end, its last block read whole
    }
    if end > MASK_CAP || hash != 0 {
        return None;
    }
    // Lists of up to 63 bytes (nearly all) in one machine word.
    let delims = if end < 64 {
        let [[c0, c1], [c2, c3], [c4, c5], [c6, c7], ..] = colon_bits;
        let [[m0, m1], [m2, m3], [m4, m5], [m6, m7], ..] = comma_bits;
        let colons = u64::from_le_bytes([c0, c1, c2, c3, c4, c5, c6, c7]);
        let commas = u64::from_le_bytes([m0, m1, m2, m3, m4, m5, m6, m7]);
        u128::from(clean_delims!(u64, colons, commas, 1 << end, strict)?)
    } else {
        let colons = u128::from_le_bytes(*colon_bits.as_flattened().first_chunk()?);
        let commas = u128::from_le_bytes(*comma_bits.as_flattened().first_chunk()?);
        // `end` is 64 to 127: the end's bit built in the high half alone (a variable
        // 128-bit shift is about 7 instructions, and `end_bit - 1` then 4 more).
        let end_bit = u128::from(1u64.wrapping_shl((end - 64) as u32)) << 64;
        clean_delims!(u128, colons, commas, end_bit, strict)?
    };
    Some(MaskScan {
        list: &s[..end],
        delims,
        high,
    })
}

/// Counts the valid tags and the tag errors of a `,`-separated list exactly the way
/// statsd_exporter does (a trailing `,` is not an empty tag; `,,` is).
pub(crate) fn count_list(list: &[u8], sep: u8, strip_hash: bool, strict: bool) -> (u32, u32) {
    let (mut valid, mut errors) = (0, 0);
    let mut iter = ListIter { rest: list };
    while let Some(item) = iter.next_item() {
        let item = match item.first() {
            Some(b'#') if strip_hash => &item[1..],
            _ => item,
        };
        if strict && item.is_empty() {
            continue; // strict mode skips empty tags silently
        }
        match split_tag(item, sep, strict) {
            Ok(_) => valid += 1,
            Err(()) => errors += 1,
        }
    }
    (valid, errors)
}

/// Iterates the items of a `,`-separated list like statsd_exporter's loop: the
/// text after the last `,` is an item only when non-empty.
#[derive(Clone, Copy, Debug, Default)]
struct ListIter<'a> {
    rest: &'a [u8],
}

impl<'a> ListIter<'a> {
    #[inline]
    fn next_item(&mut self) -> Option<&'a [u8]> {
        if self.rest.is_empty() {
            return None;
        }
        match memchr_small(b',', self.rest) {
            Some(i) => {
                let item = &self.rest[..i];
                self.rest = &self.rest[i + 1..];
                Some(item)
            }
            None => {
                let item = self.rest;
                self.rest = &[];
                Some(item)
            }
        }
    }
}

/// Lazy iterator over a metric's tags, in the order statsd_exporter writes them into
/// its label map: name-embedded tags first, then the fields after the type from left
/// to right (each `|#` list in order; in statsd_exporter mode each `|c:<id>` as a
/// `container_id` tag). When a key repeats, the **last** one wins, as in
/// statsd_exporter's map. Invalid tags (empty, keyless, valueless in statsd_exporter
/// mode) are skipped; [`Metric::tag_errors`](crate::Metric::tag_errors) counts them.
///
/// ```
/// use statsd_proto::Parser;
///
/// let m = Parser::new().parse_metric(b"foo:1|c|#a:1,#b:x:y,bad|c:abc").unwrap();
/// let tags: Vec<(&[u8], &[u8])> = m.tags().map(|t| (t.key(), t.value_or_empty())).collect();
/// assert_eq!(tags, [(&b"a"[..], &b"1"[..]), (b"b", b"x:y"), (b"container_id", b"abc")]);
/// assert_eq!(m.tag_errors(), 1);
/// ```
#[derive(Clone, Debug)]
pub struct Tags<'a> {
    repr: TagsRepr<'a>,
}

/// The two ways to walk tags: the tags of one `|#` list described by bit masks (then
/// an optional `container_id` tag), or a walk over the name's tags and the fields.
#[derive(Clone, Debug)]
enum TagsRepr<'a> {
    Masked(Masked<'a>),
    Walk(Walk<'a>),
}

/// The tags of a fast-path line: its clean list (see [`MaskScan`]), then the
/// container id tag.
#[derive(Clone, Debug)]
struct Masked<'a> {
    list: &'a [u8],
    /// Each tag's first `:` and end, lowest first (tags already yielded removed):
    /// bits 0–63 of the list's masks, then bits 64–127. Two words rather than a
    /// `u128`: a step tests and clears one of them (a `u128` costs two a step).
    low: u64,
    high: u64,
    /// Where the next tag starts in `list`. A `usize`: a `u32` shares a 64-bit slot
    /// of the `Tags` enum with the general walk's fields, and each step then masks and
    /// merges the slot's other half.
    start: usize,
    /// The `container_id` tag to yield after the list (statsd_exporter mode).
    container: Option<&'a [u8]>,
}

impl<'a> Iterator for Masked<'a> {
    type Item = Tag<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Tag<'a>> {
        let (low, high) = (self.low, self.high);
        let (colon, end) = if low != 0 {
            let rest = low & low.wrapping_sub(1);
            if rest != 0 {
                // A tag in the low half (every tag of a list under 64 bytes).
                self.low = rest & rest.wrapping_sub(1);
                (
                    low.trailing_zeros() as usize,
                    rest.trailing_zeros() as usize,
                )
            } else {
                // The low half's last bit is a `:`, its tag ends in the high half.
                self.low = 0;
                self.high = high & high.wrapping_sub(1);
                (
                    low.trailing_zeros() as usize,
                    64 + high.trailing_zeros() as usize,
                )
            }
        } else if high != 0 {
            let rest = high & high.wrapping_sub(1);
            self.high = rest & rest.wrapping_sub(1);
            (
                64 + high.trailing_zeros() as usize,
                64 + rest.trailing_zeros() as usize,
            )
        } else {
            return self
                .container
                .take()
                .map(|id| Tag::new(b"container_id", Some(id)));
        };
        let start = self.start;
        self.start = end + 1;
        // The masks give `start <= colon < end <= list.len()`; the `min`s state it
        // for the compiler, which then drops the slices' bounds checks (a `min` is
        // two instructions, a checked `get` and its default about five).
        let tag = self.list.get(..end).unwrap_or(self.list);
        let (head, value) = tag.split_at((colon + 1).min(tag.len()));
        // `head` is the tag's text up to its `:`, the `:` included.
        let key = head.split_last().map_or(head, |(_, key)| key);
        Some(Tag::new(key.get(start..).unwrap_or_default(), Some(value)))
    }
}

/// The general walk over the name's tags and the fields after the type. It splits
/// `|#` lists again (the general path keeps no index: a smaller `Tags` costs every
/// line less than the index saves the few lines that take this path).
#[derive(Clone, Debug)]
struct Walk<'a> {
    name: ListIter<'a>,
    dog: ListIter<'a>,
    fields: &'a [u8],
    dogstatsd: bool,
    container_tag: bool,
    strict: bool,
}

impl<'a> Tags<'a> {
    pub(crate) fn new(
        name_section: &'a [u8],
        fields: &'a [u8],
        dogstatsd: bool,
        container_tag: bool,
        strict: bool,
    ) -> Tags<'a> {
        Tags {
            repr: TagsRepr::Walk(Walk::new(
                name_section,
                fields,
                dogstatsd,
                container_tag,
                strict,
            )),
        }
    }

    /// The tags of the clean `|#` list `list` that `delims` describes (see
    /// [`MaskScan`]), then a `container_id` tag when `container` is given.
    #[inline(always)]
    pub(crate) fn masked(list: &'a [u8], delims: u128, container: Option<&'a [u8]>) -> Tags<'a> {
        Tags {
            repr: TagsRepr::Masked(Masked {
                list,
                low: delims as u64,
                high: (delims >> 64) as u64,
                start: 0,
                container,
            }),
        }
    }

    /// The same walk without the `container_id` tags made from `|c:` fields.
    pub(crate) fn without_container(mut self) -> Tags<'a> {
        match &mut self.repr {
            TagsRepr::Masked(it) => it.container = None,
            TagsRepr::Walk(it) => it.container_tag = false,
        }
        self
    }

    /// An iterator that yields nothing.
    pub fn empty() -> Tags<'a> {
        Tags::masked(&[], 0, None)
    }
}

impl<'a> Iterator for Tags<'a> {
    type Item = Tag<'a>;

    #[inline]
    fn next(&mut self) -> Option<Tag<'a>> {
        match &mut self.repr {
            TagsRepr::Masked(it) => it.next(),
            TagsRepr::Walk(it) => it.next(),
        }
    }
}

impl<'a> Walk<'a> {
    fn new(
        name_section: &'a [u8],
        fields: &'a [u8],
        dogstatsd: bool,
        container_tag: bool,
        strict: bool,
    ) -> Walk<'a> {
        Walk {
            name: ListIter { rest: name_section },
            dog: ListIter::default(),
            fields,
            dogstatsd,
            container_tag,
            strict,
        }
    }

    /// The next item of the current `|#` list, split in one pass over its bytes.
    #[inline]
    fn next_dog_tag(&mut self) -> Option<Result<Tag<'a>, ()>> {
        let rest = self.dog.rest;
        if rest.is_empty() {
            return None;
        }
        let body = match rest[0] {
            b'#' => &rest[1..],
            _ => rest,
        };
        let (end, colon, last) = split_item(body, b':');
        if last {
            // A `|` ends the list: the next fields start there. (The list runs to the
            // end of the fields, so the field's end is never searched for separately.)
            self.dog.rest = &[];
            self.fields = &body[end..];
        } else {
            self.dog.rest = body.get(end + 1..).unwrap_or(&[]);
        }
        let item = &body[..end];
        Some(match colon {
            Some(k) => {
                let (key, value) = (&item[..k], &item[k + 1..]);
                if key.is_empty() || (value.is_empty() && !self.strict) {
                    Err(())
                } else {
                    Ok(Tag::new(key, Some(value)))
                }
            }
            // No `:`: a valueless tag (a tag only in strict DogStatsD mode).
            None if self.strict && !item.is_empty() => Ok(Tag::new(item, None)),
            None => Err(()),
        })
    }
}

impl<'a> Iterator for Walk<'a> {
    type Item = Tag<'a>;

    #[inline]
    fn next(&mut self) -> Option<Tag<'a>> {
        while let Some(item) = self.name.next_item() {
            if let Ok(tag) = split_tag(item, b'=', false) {
                return Some(tag);
            }
        }
        loop {
            while let Some(tag) = self.next_dog_tag() {
                if let Ok(tag) = tag {
                    return Some(tag);
                }
            }
            // The next field; a `|#` list is walked in place, up to the `|` that ends
            // it, so its end is never searched for separately.
            let mut f = self.fields;
            while let [b'|', rest @ ..] = f {
                f = rest;
            }
            let &first = f.first()?;
            if first == b'#' && self.dogstatsd {
                let list = &f[1..];
                self.dog = ListIter { rest: list };
                self.fields = &[];
                continue;
            }
            let end = memchr_small(b'|', f).unwrap_or(f.len());
            let (field, rest) = f.split_at(end);
            self.fields = rest;
            if let [b'c', b':', id @ ..] = field
                && self.container_tag
                && !id.is_empty()
            {
                return Some(Tag::new(b"container_id", Some(id)));
            }
        }
    }
}

/// Splits name-embedded tags off a metric name, following statsd_exporter's order:
/// SignalFX brackets first (both present: parse inside, name = before + after, and
/// stop; one bracket, or `]` before `[`: one tag error, name unchanged, no other style
/// tried), then the first `#` (Librato) or `,` (InfluxDB) starts the tag list.
///
/// Returns `(head, tail, tags)`: the name is `head` followed by `tail`.
pub(crate) fn split_name<'a>(
    name: &'a [u8],
    signalfx: bool,
    librato: bool,
    influxdb: bool,
) -> (&'a [u8], &'a [u8], NameTags<'a>) {
    if signalfx {
        let open = memchr_small(b'[', name);
        let close = memchr_small(b']', name);
        match (open, close) {
            (Some(o), Some(c)) if o < c => {
                let section = &name[o + 1..c];
                let (valid, errors) = count_list(section, b'=', false, false);
                return (
                    &name[..o],
                    &name[c + 1..],
                    NameTags {
                        section,
                        valid,
                        errors,
                    },
                );
            }
            (None, None) => {}
            // One bracket, or `]…[` (which crashes statsd_exporter 0.30): a bad tag section.
            _ => {
                return (
                    name,
                    &[],
                    NameTags {
                        section: &[],
                        valid: 0,
                        errors: 1,
                    },
                );
            }
        }
    }
    if librato || influxdb {
        let found = name
            .iter()
            .position(|&b| (b == b'#' && librato) || (b == b',' && influxdb));
        if let Some(i) = found {
            let section = &name[i + 1..];
            let (valid, errors) = count_list(section, b'=', false, false);
            return (
                &name[..i],
                &[],
                NameTags {
                    section,
                    valid,
                    errors,
                },
            );
        }
    }
    (name, &[], NameTags::default())
}

#[cfg(test)]
mod index_tests {
    use super::*;

    /// The value stored as bytes and a flag behaves as the `Option` it replaced.
    #[test]
    fn tag_value_as_an_option() {
        use std::hash::BuildHasher;
        let (valueless, empty) = (Tag::new(b"k", None), Tag::new(b"k", Some(b"")));
        assert_eq!(
            (valueless.value(), valueless.value_or_empty()),
            (None, &b""[..])
        );
        assert_eq!(
            (empty.value(), empty.value_or_empty()),
            (Some(&b""[..]), &b""[..])
        );
        assert_ne!(valueless, empty);
        assert_eq!(valueless, Tag::new(b"k", None));
        assert_eq!(format!("{valueless:?}"), "Tag { key: [107], value: None }");
        assert_eq!(format!("{empty:?}"), "Tag { key: [107], value: Some([]) }");
        let hasher = std::collections::hash_map::RandomState::new();
        let derived = |key: &[u8], value: Option<&[u8]>| hasher.hash_one((key, value));
        assert_eq!(hasher.hash_one(valueless), derived(b"k", None));
        assert_eq!(hasher.hash_one(empty), derived(b"k", Some(b"")));
    }

    #[test]
    fn index_list_like_count_list() {
        let lists: [&[u8]; 16] = [
            b"env:prod,region:eu-west-1,service:checkout,version:1.4.2,host:web-17",
            b"a:b,,c,#d:e,f:,:g,#,#:x",
            b"k:v,-x:y,:;:z,|}",
            b"a:;b,c:d|e:f",
            b"very_long_key_name_here:value,another_long_key:v2:v3,x",
            b"abcdefg,:abcdefg:,abcdefgh:i,jklmnopq",
            b"",
            b",",
            b":",
            b"#",
            b"a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9",
            b"env:prod|c:abc",
            b",-,-,-,-:-,-",
            b"k:v,",
            b"k:v,,",
            b"x:y:z,#k:,#:v,ok:1",
        ];
        for list in lists {
            check_index(list);
        }
    }

    proptest::proptest! {
        /// Random lists over the delimiters and the false-positive neighbours of the
        /// word-at-a-time test (`-` after `,`, `;` after `:`, `}` after `|`).
        #[test]
        fn index_list_like_count_list_on_random_lists(list in "[a:;,#|}\u{e9}\\-]{0,40}") {
            check_index(list.as_bytes());
        }
    }

    #[test]
    fn mask_list_like_count_list() {
        let long = b"a:1,".repeat(40);
        for list in [
            &long[..],
            &long[..124],
            &long[..127],
            &long[..128],
            b"k:v,x:y|#a:b",
        ] {
            check_index(list);
        }
        // A tag's `:` at each byte around the masks' two 64-bit halves (the walk's
        // 64-bit steps: both delimiters low, the `:` low and the end high, both high).
        for colon in 58..70 {
            let mut list = b"a:b,".repeat(colon / 4);
            list.resize(colon, b'k');
            list.extend_from_slice(b":value,x:y");
            check_index(&list);
            list.truncate(colon + 3);
            check_index(&list);
        }
    }

    proptest::proptest! {
        /// Random lists over the delimiters, the false-positive neighbours of the
        /// word-at-a-time tests and non-ASCII bytes, up to past `MASK_CAP`.
        #[test]
        fn mask_list_like_count_list_on_random_lists(list in "([a:;,|}\u{e9}\\-]{0,12}|[a:,]{0,130})#?[a:,]{0,4}") {
            check_index(list.as_bytes());
        }
    }

    proptest::proptest! {
        /// Lists of tags with keys and values (clean ones, and their near misses: an
        /// empty value, a second `:`, a trailing `,`), from short to past `MASK_CAP`.
        #[test]
        fn mask_list_reads_clean_lists(list in "([a-z]{1,9}:[a-z:.\\-]{0,9},){0,15}[a-z]{0,5}:?[a-z]{0,4},?(\\|c:x)?") {
            check_index(list.as_bytes());
        }
    }

    /// The index and the masks agree with `count_list` and with the unindexed walk.
    fn check_index(list: &[u8]) {
        for strict in [false, true] {
            let end = list.iter().position(|&b| b == b'|').unwrap_or(list.len());
            let text = String::from_utf8_lossy(list);
            let (valid, errors) = count_list(&list[..end], b':', true, strict);
            let mut walk = Tags::new(&[], list, true, false, strict);
            if let TagsRepr::Walk(w) = &mut walk.repr {
                w.fields = &[];
                w.dog = ListIter { rest: &list[..end] };
            }
            let walked: Vec<_> = walk.collect();
            let mut items = ListIter { rest: &list[..end] };
            let mut empty_items = false;
            while let Some(item) = items.next_item() {
                empty_items |= item.is_empty();
            }
            // Clean: every item is a tag with a value (empty items are errors, or
            // skipped in strict mode).
            let clean = errors == 0 && !empty_items && walked.iter().all(|t| t.value().is_some());
            let Some(scan) = mask_list(list, strict) else {
                // Refused: not clean, too long, or a `#` in the words read.
                assert!(
                    !clean || end > MASK_CAP || list.contains(&b'#'),
                    "{text} {strict}"
                );
                continue;
            };
            assert!(clean, "{text} {strict}");
            assert_eq!(scan.list, &list[..end]);
            if !list[..end].is_ascii() {
                assert_ne!(scan.high, 0);
            }
            let masked: Vec<_> = Tags::masked(scan.list, scan.delims, None).collect();
            assert_eq!(masked, walked, "{text} {strict}");
            assert_eq!(masked.len(), valid as usize, "{text} {strict}");
        }
        check_index_list(list);
    }

    /// The index agrees with `count_list` and with the unindexed walk.
    fn check_index_list(list: &[u8]) {
        {
            for strict in [false, true] {
                let scan = index_list(list, strict);
                let end = list.iter().position(|&b| b == b'|').unwrap_or(list.len());
                assert_eq!(scan.list, &list[..end]);
                // (Bytes after the `|` in the same word may count too: only conservative.)
                if !list[..end].is_ascii() {
                    assert_ne!(scan.bits & crate::scan::HIGH, 0);
                }
                let (valid, errors) = count_list(&list[..end], b':', true, strict);
                let text = String::from_utf8_lossy(list);
                assert_eq!(
                    (scan.valid, scan.errors),
                    (valid, errors),
                    "{text} {strict}"
                );
                if scan.index.complete {
                    let mut walk = Tags::new(&[], list, true, false, strict);
                    if let TagsRepr::Walk(w) = &mut walk.repr {
                        w.fields = &[];
                        w.dog = ListIter { rest: &list[..end] };
                    }
                    let indexed: Vec<_> = (0..scan.index.count as usize)
                        .map(|k| scan.index.tag(scan.list, k))
                        .collect();
                    assert_eq!(indexed, walk.collect::<Vec<_>>(), "{text} {strict}");
                }
            }
        }
    }
}
