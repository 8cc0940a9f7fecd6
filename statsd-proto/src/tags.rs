//! Tags: name-embedded styles (InfluxDB, Librato, SignalFX), DogStatsD `|#` tags and
//! the `|c:` container id, walked lazily in statsd_exporter's order.

use crate::scan::split_item;

/// One tag: a key and, except for DogStatsD valueless tags in strict mode, a value.
///
/// Keys and values are the raw bytes of the line: statsd_exporter escapes tag keys
/// into Prometheus label names (`tag.with.dots` → `tag_with_dots`) after parsing; that
/// is the exporter's job, not the parser's. In [`Compat::StatsdExporter`](crate::Compat)
/// mode the bytes are valid UTF-8 (the whole line was checked).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tag<'a> {
    key: &'a [u8],
    value: Option<&'a [u8]>,
}

impl<'a> Tag<'a> {
    /// A tag from its parts (used by the encoder and in tests).
    pub const fn new(key: &'a [u8], value: Option<&'a [u8]>) -> Tag<'a> {
        Tag { key, value }
    }

    /// The key, never empty.
    pub fn key(&self) -> &'a [u8] {
        self.key
    }

    /// The value; `None` only for a valueless DogStatsD tag (`#env`) in strict mode
    /// (statsd_exporter mode drops those and counts a tag error).
    pub fn value(&self) -> Option<&'a [u8]> {
        self.value
    }

    /// The value, or `b""` for a valueless tag.
    pub fn value_or_empty(&self) -> &'a [u8] {
        self.value.unwrap_or(b"")
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

/// Splits one `k<sep>v` tag. `Err(())` means statsd_exporter counts a tag error.
#[inline]
pub(crate) fn split_tag(tag: &[u8], sep: u8, allow_valueless: bool) -> Result<Tag<'_>, ()> {
    match memchr_small(sep, tag) {
        Some(i) => {
            let (key, value) = (&tag[..i], &tag[i + 1..]);
            if key.is_empty() || (value.is_empty() && !allow_valueless) {
                Err(())
            } else {
                Ok(Tag {
                    key,
                    value: Some(value),
                })
            }
        }
        None if allow_valueless && !tag.is_empty() => Ok(Tag {
            key: tag,
            value: None,
        }),
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
            name: ListIter { rest: name_section },
            dog: ListIter::default(),
            fields,
            dogstatsd,
            container_tag,
            strict,
        }
    }

    /// The same walk without the `container_id` tags made from `|c:` fields.
    pub(crate) fn without_container(mut self) -> Tags<'a> {
        self.container_tag = false;
        self
    }

    /// An iterator that yields nothing.
    pub fn empty() -> Tags<'a> {
        Tags::new(&[], &[], false, false, false)
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
                    Ok(Tag {
                        key,
                        value: Some(value),
                    })
                }
            }
            // No `:`: a valueless tag (a tag only in strict DogStatsD mode).
            None if self.strict && !item.is_empty() => Ok(Tag {
                key: item,
                value: None,
            }),
            None => Err(()),
        })
    }
}

impl<'a> Iterator for Tags<'a> {
    type Item = Tag<'a>;

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
                self.dog = ListIter { rest: &f[1..] };
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
                return Some(Tag {
                    key: b"container_id",
                    value: Some(id),
                });
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
