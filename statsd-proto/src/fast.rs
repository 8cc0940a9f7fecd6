//! The fast path: the metric lines real clients send, in one pass and a compact form.
//!
//! A line qualifies when nothing about it needs statsd_exporter's error bookkeeping:
//! a name without tag delimiters, values that all parse, a known type, and at most
//! four well-formed fields after it (`@rate`, one `#` tag list, one `c:` container
//! id, `T` timestamp), ASCII only in statsd_exporter mode. Such a line has no sample
//! errors, every sample reaches the fields, and the counters follow from the tag
//! list alone, so [`Fast`] stores what the accessors return instead of the general
//! form's bookkeeping (and is written and read with half the stores and loads).
//! Anything else returns `None` here and takes the general path, which gives the
//! same answers for these lines (the `fast_equals_general` tests compare the two).

use crate::kind::MetricType;
use crate::metric::{Sample, Span, scan_name};
use crate::number::{parse_f64, parse_f64_prefix, parse_u64_prefix};
use crate::options::Parser;
use crate::scan::{HIGH, find, find_or_end_ascii, find2};
use crate::tags::{Tags, index_list, mask_list};

/// How many values of a line are kept parsed (the others are parsed again, and are
/// known to parse, when the samples are walked).
const KEPT: usize = 4;

/// `Fast::timestamp` of a line without one: `parse_u64_prefix` reads at most 19
/// digits, which stay below it.
const NO_TIMESTAMP: u64 = u64::MAX;

/// A metric line that took the fast path (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Fast<'a> {
    pub(crate) line: &'a [u8],
    pub(crate) offset: usize,
    /// `f64::to_bits` of the first `KEPT` values.
    parsed: [u64; KEPT],
    rate: f64,
    /// The `T` timestamp, or `NO_TIMESTAMP` (above any 19-digit one the fast path
    /// reads).
    timestamp: u64,
    /// The clean `|#` list's tags (see `MaskScan::delims`), when `indexed_tags`.
    delims: u128,
    /// The `|#` list, if any.
    list: Span,
    container_id: Span,
    /// The name is `line[..name_end]`; the values follow its `:`.
    name_end: u32,
    /// The `|` after the values.
    values_end: u32,
    count: u32,
    /// statsd_exporter's tag errors for the whole line (list errors × samples).
    tag_errors: u32,
    pub(crate) parser: Parser,
    kind: MetricType,
    /// The fields hold a `#` list or a `c:` id, which the tag walk visits.
    field_tags: bool,
    has_tags: bool,
    /// The tags are the indexed list's, then the container id's: no field walk.
    indexed_tags: bool,
}

impl Parser {
    /// Parses `line` (without `\r`) on the fast path, or returns `None` when the line
    /// needs the general one. Only for parsers that read DogStatsD tags.
    #[inline(always)]
    pub(crate) fn fast_metric<'a>(&self, line: &'a [u8]) -> Option<Fast<'a>> {
        let strict = self.strict();
        // The name: no tag delimiters (then every tag style leaves it whole).
        let (colon, special, name_non_ascii) = scan_name(line);
        let colon = colon?;
        if colon == 0 || special || (!strict && name_non_ascii) {
            return None;
        }
        // The values, each up to a `:` or the `|` before the type; all must parse.
        let mut parsed = [0u64; KEPT];
        let mut count = 0usize;
        let mut pos = colon + 1;
        loop {
            let rest = line.get(pos..)?;
            // Parsed and delimited in one pass; an exotic value (`1e-05`, `NaN`) stops
            // the pass early and is delimited, then parsed, on its own.
            let (end, value) = match parse_f64_prefix(rest) {
                (end, value) if matches!(rest.get(end), Some(b':' | b'|')) => (end, value?),
                _ => {
                    let end = find2(rest, b':', b'|')?;
                    (end, parse_f64(&rest[..end])?)
                }
            };
            if let Some(slot) = parsed.get_mut(count) {
                *slot = value.to_bits();
            }
            count += 1;
            pos += end + 1;
            if rest[end] == b'|' {
                break;
            }
        }
        let values_end = pos - 1;
        // The type, ended by a `|` or the line's end (`c:` would be a multi-metric line).
        let (kind, len) = match (line.get(pos), line.get(pos + 1)) {
            (Some(b'c'), _) => (MetricType::Counter, 1),
            (Some(b'g'), _) => (MetricType::Gauge, 1),
            (Some(b'm'), Some(b's')) => (MetricType::Timer, 2),
            (Some(b'h'), _) => (MetricType::Histogram, 1),
            (Some(b'd'), _) => (MetricType::Distribution, 1),
            // Strict mode keeps set members as text: the general path handles them.
            (Some(b's'), _) if !strict => (MetricType::Set, 1),
            _ => return None,
        };
        let fields_start = pos + len;
        if !matches!(line.get(fields_start), None | Some(b'|')) {
            return None;
        }
        // statsd_exporter packs only observer types (else a line error).
        if count > 1 && !strict && !kind.is_observer() {
            return None;
        }
        // The fields: `|@rate`, `|#tags`, `|c:id`, `|T<unix>`, at most four.
        // Plain variables with "absent" values rather than options of tuples: fewer
        // discriminants to carry through the loop and to unpack after it.
        let mut rate = 1.0;
        let mut timestamp = NO_TIMESTAMP;
        let mut list = Span::NONE;
        // The list's tags: any valid one, its errors, its masks (`masked`: the list is
        // clean and `delims` describes it; a line without a list is masked too).
        let (mut dog_tagged, mut dog_errors, mut delims, mut masked) = (false, 0u32, 0u128, true);
        let mut container_id = Span::NONE;
        let mut fields = 0;
        let mut p = fields_start;
        while p < line.len() {
            fields += 1;
            if fields > 4 {
                return None; // statsd_exporter: more than 6 components
            }
            let f = p + 1;
            let rest = line.get(f + 1..)?;
            match line[f] {
                b'#' => {
                    if list.is_some() {
                        return None; // the counters then walk every list
                    }
                    // Masks for a short list without `#` (nearly all), else the index.
                    let (len, non_ascii) = match mask_list(rest, strict) {
                        Some(scan) => {
                            dog_tagged = !scan.list.is_empty();
                            delims = scan.delims;
                            (scan.list.len(), scan.high != 0)
                        }
                        None => {
                            let scan = index_list(rest, strict);
                            dog_tagged = scan.valid > 0;
                            dog_errors = scan.errors;
                            masked = false;
                            (scan.list.len(), scan.bits & HIGH != 0)
                        }
                    };
                    if !strict && non_ascii {
                        return None; // statsd_exporter checks UTF-8
                    }
                    // (Spans are u32: a longer line takes the general path.)
                    u32::try_from(line.len()).ok()?;
                    list = Span::at(f + 1, f + 1 + len);
                    p = f + 1 + len;
                }
                b'@' => {
                    let (end, r) = match parse_f64_prefix(rest) {
                        (end, r) if matches!(rest.get(end), None | Some(b'|')) => (end, r?),
                        _ => {
                            let end = find(rest, b'|').unwrap_or(rest.len());
                            (end, parse_f64(&rest[..end])?)
                        }
                    };
                    let r = if r == 0.0 { 1.0 } else { r };
                    // statsd_exporter multiplies a counter's rates; otherwise the last wins.
                    if !strict && kind == MetricType::Counter {
                        rate *= r;
                    } else {
                        rate = r;
                    }
                    p = f + 1 + end;
                }
                b'T' => {
                    // Anything but 1 to 19 digits takes the general path.
                    let (end, t) = parse_u64_prefix(rest);
                    if !matches!(rest.get(end), None | Some(b'|')) {
                        return None;
                    }
                    match t {
                        Some(t) if t > 0 || !strict => timestamp = t,
                        _ => return None,
                    }
                    p = f + 1 + end;
                }
                b'c' if rest.first() == Some(&b':') => {
                    let id = &rest[1..];
                    let (end, non_ascii) = find_or_end_ascii(id, b'|');
                    // statsd_exporter wants an id, and UTF-8 (checked by the general path).
                    if container_id.is_some() || (!strict && (end == 0 || non_ascii)) {
                        return None;
                    }
                    u32::try_from(line.len()).ok()?;
                    container_id = Span::at(f + 2, f + 2 + end);
                    p = f + 2 + end;
                }
                // An empty or unknown field, or a malformed container id.
                _ => return None,
            }
        }
        let field_tags = list.is_some() || container_id.is_some();
        // The masks give the tags when the list is clean and comes before the id.
        let container_after =
            !container_id.is_some() || !list.is_some() || container_id.start > list.start;
        let indexed_tags = masked && container_after;
        let count = u32::try_from(count).ok()?;
        Some(Fast {
            line,
            offset: 0,
            parsed,
            rate,
            timestamp,
            delims,
            list,
            container_id,
            name_end: colon as u32,
            values_end: values_end as u32,
            count,
            // statsd_exporter parses the list once per sample.
            tag_errors: dog_errors.saturating_mul(count),
            parser: *self,
            kind,
            field_tags,
            has_tags: dog_tagged || (!strict && container_id.is_some()),
            indexed_tags,
        })
    }
}

impl<'a> Fast<'a> {
    #[inline(always)]
    pub(crate) fn name(&self) -> &'a [u8] {
        self.line.get(..self.name_end as usize).unwrap_or_default()
    }

    #[inline(always)]
    pub(crate) fn sample_count(&self) -> u32 {
        self.count
    }

    #[inline(always)]
    pub(crate) fn has_tags(&self) -> bool {
        self.has_tags
    }

    #[inline(always)]
    pub(crate) fn tag_errors(&self) -> u32 {
        self.tag_errors
    }

    #[inline(always)]
    pub(crate) fn container_id(&self) -> Option<&'a [u8]> {
        self.container_id.get(self.line)
    }

    #[inline(always)]
    pub(crate) fn tags(&self) -> Tags<'a> {
        if !self.field_tags {
            return Tags::empty();
        }
        if self.indexed_tags {
            let strict = self.parser.strict();
            // statsd_exporter mode: the container id is the `container_id` tag.
            let container = if strict { None } else { self.container_id() };
            let list = self.list.get(self.line).unwrap_or_default();
            return Tags::masked(list, self.delims, container);
        }
        self.walk_tags()
    }

    /// Where the fields after the type start (a `|`, or the line's end).
    #[inline(always)]
    fn fields_start(&self) -> usize {
        let kind_len = if self.kind == MetricType::Timer { 2 } else { 1 };
        self.values_end as usize + 1 + kind_len
    }

    /// The general walk over the fields (an incomplete index, or the container id
    /// first). Inlined, like `Full::tags`: a call would write the caller's `Tags`
    /// through memory (even when it was in memory anyway, the call cost tagged lines
    /// more, `tags5` −14, `packed4` and the full line −3, than the inlined code cost
    /// the others, plain +5, timer +1).
    #[inline(always)]
    fn walk_tags(&self) -> Tags<'a> {
        let fields = self.line.get(self.fields_start()..).unwrap_or_default();
        let strict = self.parser.strict();
        Tags::new(&[], fields, true, !strict, strict)
    }

    #[inline(always)]
    pub(crate) fn samples(&self) -> FastSamples<'_, 'a> {
        let start = self.name_end as usize + 1;
        FastSamples {
            metric: self,
            values: self
                .line
                .get(start..self.values_end as usize)
                .unwrap_or_default(),
            pos: 0,
            k: 0,
        }
    }
}

/// The samples of a [`Fast`] line: all good, sharing rate, timestamp and type.
#[derive(Clone, Debug)]
pub(crate) struct FastSamples<'m, 'a> {
    metric: &'m Fast<'a>,
    /// The values (`1:2.5:3`).
    values: &'a [u8],
    /// Start of the next value in `values`.
    pos: usize,
    /// Index of the next sample. A `usize`: a `u32` shares a 64-bit slot of the
    /// samples enum with the general iterator's fields, masked and merged each step.
    k: usize,
}

impl<'a> Iterator for FastSamples<'_, 'a> {
    type Item = Sample<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Sample<'a>> {
        let m = self.metric;
        let count = m.count as usize;
        if self.k == count {
            return None;
        }
        let k = self.k;
        self.k += 1;
        let rest = self.values.get(self.pos..).unwrap_or_default();
        let end = if self.k == count {
            rest.len() // the last value (or the only one) ends with the values
        } else {
            // Packed values are short (`1:2.5:3`): a byte loop costs less than a
            // word-at-a-time search's set-up.
            rest.iter().position(|&b| b == b':').unwrap_or(rest.len())
        };
        self.pos += end + 1;
        let raw = rest.get(..end).unwrap_or_default();
        let value = match m.parsed.get(k) {
            Some(&bits) => f64::from_bits(bits),
            // Past `KEPT`: parsed again (it parsed during the parse).
            None => parse_f64(raw).unwrap_or(f64::NAN),
        };
        let relative = !m.parser.strict()
            && m.kind == MetricType::Gauge
            && matches!(raw.first(), Some(b'+' | b'-'));
        Some(Sample::from_parts(
            raw,
            value,
            m.rate,
            (m.timestamp != NO_TIMESTAMP).then_some(m.timestamp),
            m.kind,
            relative,
        ))
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = (self.metric.count as usize).saturating_sub(self.k);
        (left, Some(left))
    }
}

impl ExactSizeIterator for FastSamples<'_, '_> {}
