//! Metric lines: `name:value[:value…]|type[|field…]`.

use crate::error::{Error, ErrorKind};
use crate::fast::{Fast, FastSamples};
use crate::kind::MetricType;
use crate::name::Name;
use crate::number::{parse_f64, parse_u64};
use crate::options::Parser;
use crate::scan::{HIGH, eq, find, first, load, splat};
use crate::simd::{Block, WIDTH, block_at, eq_any_mask, high_mask, last_block};
use crate::tags::{ListScan, NameTags, Tags, count_list, index_list, memchr_small, split_name};

/// One value of a metric line, with everything statsd_exporter needs to turn it into
/// events: the value, the type, the gauge-delta flag, the sample rate and timestamp.
///
/// ```
/// use statsd_proto::{MetricType, Parser};
///
/// let m = Parser::new().parse_metric(b"lat:320|ms|@0.1").unwrap();
/// let s = m.samples().next().unwrap().unwrap();
/// assert_eq!((s.value(), s.kind(), s.sample_rate()), (320.0, MetricType::Timer, 0.1));
/// assert_eq!(s.observation_count(), 10);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sample<'a> {
    raw: &'a [u8],
    value: f64,
    rate: f64,
    timestamp: Option<u64>,
    kind: MetricType,
    relative: bool,
}

impl<'a> Sample<'a> {
    /// The value as sent (`1.0e-05`, `+4`, or a set member).
    pub fn raw_value(&self) -> &'a [u8] {
        self.raw
    }

    /// The value. `NaN` and `±inf` are passed through as sent. In strict DogStatsD
    /// mode a set member that is not a number reads as `NaN` (see [`Sample::raw_value`]).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The metric type.
    pub fn kind(&self) -> MetricType {
        self.kind
    }

    /// True for a gauge delta (`+4`, `-3`): statsd_exporter mode only. In strict
    /// DogStatsD mode signed gauges are absolute values, so this is always false.
    pub fn is_relative(&self) -> bool {
        self.relative
    }

    /// The sample rate as statsd_exporter applies it: `1.0` when absent, unparsable
    /// or `0`. For counters, several `@` fields multiply (statsd_exporter divides the
    /// value by each); for other types the last one wins.
    pub fn sample_rate(&self) -> f64 {
        self.rate
    }

    /// The `T` timestamp in Unix seconds, when present and a valid integer. (In
    /// statsd_exporter mode a bad `T` field is accepted and ignored, as upstream does.)
    pub fn timestamp(&self) -> Option<u64> {
        self.timestamp
    }

    /// How many identical observations statsd_exporter records for this sample:
    /// `int(1/rate)` truncated (`@0.3` → 3, `@0.7` → 1), and 0 for a rate above 1,
    /// a negative or NaN rate, or when `1/rate` overflows Go's `int` (statsd_exporter
    /// then records nothing, without an error). 1 for non-observer types.
    ///
    /// The count is not capped here: `@0.000001` asks for a million observations.
    /// A consumer that wants a bound (or weighted observations) applies it itself.
    #[inline]
    pub fn observation_count(&self) -> u64 {
        // Rate 1 (no `@` field: nearly every line) needs no division or range checks.
        if !self.kind.is_observer() || self.rate == 1.0 {
            return 1;
        }
        let q = 1.0 / self.rate;
        // `q < 2^63` is false for NaN, so NaN and Go's overflow case both give 0.
        if (0.0..TWO_POW_63).contains(&q) {
            q as u64
        } else {
            0
        }
    }

    /// A sample from every part (the fast path).
    #[inline(always)]
    pub(crate) fn from_parts(
        raw: &'a [u8],
        value: f64,
        rate: f64,
        timestamp: Option<u64>,
        kind: MetricType,
        relative: bool,
    ) -> Sample<'a> {
        Sample {
            raw,
            value,
            rate,
            timestamp,
            kind,
            relative,
        }
    }

    /// A sample from its parts (for the encoder and tests); `raw` must print `value`.
    pub fn new(raw: &'a [u8], value: f64, kind: MetricType) -> Sample<'a> {
        Sample {
            raw,
            value,
            rate: 1.0,
            timestamp: None,
            kind,
            relative: false,
        }
    }

    /// Sets the sample rate.
    pub fn with_sample_rate(mut self, rate: f64) -> Sample<'a> {
        self.rate = rate;
        self
    }

    /// Sets the timestamp.
    pub fn with_timestamp(mut self, timestamp: Option<u64>) -> Sample<'a> {
        self.timestamp = timestamp;
        self
    }

    /// Marks a gauge value as a delta.
    pub fn with_relative(mut self, relative: bool) -> Sample<'a> {
        self.relative = relative;
        self
    }
}

/// 2^63: Go's `int(x)` overflows from here on.
const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Per-sample bookkeeping for statsd_exporter's counters.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Slot<'a> {
    result: Result<Sample<'a>, Error>,
    /// Unparsable `@` fields: counted as `invalid_sample_factor`, sample kept.
    invalid_rates: u8,
    /// The fields were all processed (statsd_exporter counts `tags_total` here).
    processed: bool,
    /// The fields were looked at (statsd_exporter parsed the `|#` tags once more).
    reached: bool,
}

/// Count of what statsd_exporter's parser would count for one line.
///
/// ```
/// use statsd_proto::Parser;
///
/// let m = Parser::new().parse_metric(b"foo:200|ms:300|ms:5|c|@0.1:6|g").unwrap();
/// let c = m.counts();
/// assert_eq!((c.samples, c.samples_with_tags, c.tag_errors), (4, 0, 0));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineCounts {
    /// `statsd_exporter_samples_total`: samples attempted, good or bad.
    pub samples: u32,
    /// `statsd_exporter_tags_total`: samples that reached event building with ≥ 1 label.
    pub samples_with_tags: u32,
    /// `statsd_exporter_tag_errors_total`: bad tags, counted as often as statsd_exporter
    /// parses them (DogStatsD tags once per sample that reaches them).
    pub tag_errors: u32,
}

/// A parsed metric line, borrowing from the datagram.
///
/// A line holds one or more samples (`a:1:2:3|d`, or statsd_exporter's `a:1|c:2|ms`);
/// each sample is parsed on its own and may fail on its own. Tags are walked lazily
/// with [`Metric::tags`].
///
/// ```
/// use statsd_proto::{MetricType, Parser};
///
/// let m = Parser::new().parse_metric(b"page.views:15|c|#env:dev,region:eu|T1656581400").unwrap();
/// assert_eq!(m.name(), &b"page.views"[..]);
/// assert_eq!(m.tags().count(), 2);
/// let s = m.samples().next().unwrap().unwrap();
/// assert_eq!((s.kind(), s.value(), s.timestamp()), (MetricType::Counter, 15.0, Some(1656581400)));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Metric<'a> {
    repr: Repr<'a>,
}

/// The two forms of a parsed line: the fast path's compact one for the lines real
/// clients send (see `fast.rs`), and the general one for everything else.
#[derive(Clone, Debug, PartialEq)]
enum Repr<'a> {
    Fast(Fast<'a>),
    Full(Full<'a>),
}

/// The general form of a parsed metric line (any line, with statsd_exporter's
/// bookkeeping for bad samples, name-embedded tags and multi-metric lines).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Full<'a> {
    line: &'a [u8],
    /// Offset of the line in the buffer given to the entry point.
    offset: usize,
    head: &'a [u8],
    /// Spans rather than slices keep a `Metric` within 256 bytes, which the compiler
    /// moves with register copies instead of a `memcpy` call.
    tail: Span,
    name_section: Span,
    /// The name carries at least one valid tag.
    name_tagged: bool,
    name_errors: u32,
    /// The shared fields after the type (tags, container id…), processed part only.
    fields: &'a [u8],
    /// `fields` may hold tags (a `|#` list or, in statsd_exporter mode, a `|c:` id):
    /// when not, [`Metric::tags`] skips them without a look.
    field_tags: bool,
    container_id: Span,
    external_data: Span,
    cardinality: Span,
    /// How to produce the samples: they are decoded lazily, which keeps `Metric`
    /// small (no per-line copy of a sample array) and costs nothing until asked.
    values: Values<'a>,
    /// Number of samples.
    count: u32,
    parser: Parser,
    /// statsd_exporter's counters, worked out during the parse.
    summary: Summary,
    /// `f64::to_bits` of the first values, parsed once during the parse (see `Summary::parsed`).
    parsed: [u64; PARSED_CAP],
}

/// A part of the line, as offsets; `Span::NONE` for an absent field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Span {
    pub(crate) start: u32,
    end: u32,
}

impl Span {
    pub(crate) const NONE: Span = Span {
        start: u32::MAX,
        end: 0,
    };
    const EMPTY: Span = Span { start: 0, end: 0 };

    /// The span `start..end` of a line shorter than 2^32 bytes (the caller checks).
    #[inline(always)]
    pub(crate) fn at(start: usize, end: usize) -> Span {
        Span {
            start: start as u32,
            end: end as u32,
        }
    }

    /// The span of `part`, a subslice of `line`.
    #[inline(always)]
    pub(crate) fn of(line: &[u8], part: &[u8]) -> Span {
        let start = (part.as_ptr() as usize).wrapping_sub(line.as_ptr() as usize);
        let start = u32::try_from(start).unwrap_or(u32::MAX);
        Span {
            start,
            end: start.saturating_add(part.len() as u32),
        }
    }

    #[inline(always)]
    fn of_opt(line: &[u8], part: Option<&[u8]>) -> Span {
        part.map_or(Span::NONE, |p| Span::of(line, p))
    }

    #[inline(always)]
    pub(crate) fn is_some(self) -> bool {
        self.start != u32::MAX
    }

    #[inline(always)]
    pub(crate) fn get(self, line: &[u8]) -> Option<&[u8]> {
        line.get(self.start as usize..self.end as usize)
    }

    #[inline(always)]
    fn slice(self, line: &[u8]) -> &[u8] {
        self.get(line).unwrap_or_default()
    }
}

/// How many values of a line are kept parsed in a `Metric`.
const PARSED_CAP: usize = 4;

/// What the parse already knows about statsd_exporter's counters for the line, so that
/// [`Metric::counts`], [`Metric::tag_errors`] and [`Metric::sample_errors`] need no
/// second pass over values or tags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Summary {
    /// `processed`, `reached`, `dog_tagged` and `dog_errors` are exact (there is at most
    /// one `|#` list and the line is not a multi-metric line); otherwise the counters
    /// walk the samples and fields.
    exact: bool,
    /// No sample errors at all (`sample_errors` yields nothing).
    clean: bool,
    /// Samples whose fields were all processed.
    processed: u32,
    /// Samples whose fields were looked at (they pay the `|#` tag errors once each).
    reached: u32,
    /// Tag errors of the `|#` list in the processed fields, per sample reaching it.
    dog_errors: u32,
    /// That list has a valid tag.
    dog_tagged: bool,
    /// Bit k: value k (k < `PARSED_CAP`) parsed, and `Metric::parsed[k]` holds it
    /// (strict mode: holds the value or NaN, every bit set).
    parsed: u8,
}

/// Where a metric's samples come from.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Values<'a> {
    /// No samples (a blank metric).
    None,
    /// statsd_exporter lines whose values share one suffix: a single value, packed
    /// values (`a:1:2|h`), or `|#`/`|c:` lines. `fields` is `None` only when no value
    /// parses (then every sample fails before the fields are looked at).
    Shared {
        values: &'a [u8],
        values_at: u32,
        packed: bool,
        too_many_components: bool,
        kind: Option<MetricType>,
        kind_at: u32,
        fields: Option<FieldOutcome>,
    },
    /// statsd_exporter multi-metric lines (`a:1|c:2|ms`): every sample self-contained.
    Split { rest: &'a [u8], rest_at: u32 },
    /// Strict DogStatsD: every value already checked; one set member when `set`.
    Strict {
        values: &'a [u8],
        kind: MetricType,
        rate: f64,
        timestamp: Option<u64>,
    },
}

/// The part of [`Fields`] that every sample of a shared-suffix line repeats.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FieldOutcome {
    result: Result<(), Error>,
    empty: bool,
    rate: f64,
    invalid_rates: u8,
    /// The timestamp, when `has_timestamp` (an `Option<u64>` would make it 8 bytes
    /// longer, and `Metric` past 256 bytes).
    has_timestamp: bool,
    timestamp: u64,
}

impl FieldOutcome {
    #[inline(always)]
    fn timestamp(&self) -> Option<u64> {
        self.has_timestamp.then_some(self.timestamp)
    }
}

/// Produces the samples of a metric, one [`Slot`] at a time.
#[derive(Clone, Debug)]
struct SlotIter<'m, 'a> {
    metric: &'m Full<'a>,
    pos: usize,
    /// Index of the next sample.
    k: u32,
    left: u32,
}

impl<'a> SlotIter<'_, 'a> {
    /// Value `k` as parsed during the parse, or parsed now (past `PARSED_CAP`).
    #[inline(always)]
    fn value(&self, k: usize, raw: &[u8]) -> Option<f64> {
        match self.metric.parsed.get(k) {
            Some(&bits) if self.metric.summary.parsed & (1 << k) != 0 => Some(f64::from_bits(bits)),
            Some(_) => None,
            None => parse_f64(raw),
        }
    }
}

impl<'a> Iterator for SlotIter<'_, 'a> {
    type Item = Slot<'a>;

    #[inline(always)]
    fn next(&mut self) -> Option<Slot<'a>> {
        if self.left == 0 {
            return None;
        }
        self.next_slot()
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl<'a> SlotIter<'_, 'a> {
    /// The next slot (`left > 0`).
    fn next_slot(&mut self) -> Option<Slot<'a>> {
        self.left -= 1;
        let k = self.k as usize;
        self.k += 1;
        let start = self.pos;
        Some(match *self.metric.values_ref() {
            Values::None => return None,
            Values::Shared {
                values,
                values_at,
                packed,
                too_many_components,
                kind,
                kind_at,
                fields,
            } => {
                let end = if packed {
                    find(&values[start..], b':').map_or(values.len(), |e| start + e)
                } else {
                    values.len()
                };
                self.pos = end + 1;
                let raw = &values[start..end];
                let at = values_at as usize + start;
                if too_many_components {
                    bad_slot(ErrorKind::MalformedComponent, at)
                } else {
                    match (self.value(k, raw), fields) {
                        (Some(v), Some(f)) => finish_slot(raw, v, kind, kind_at as usize, &f),
                        _ => bad_slot(ErrorKind::MalformedValue, at),
                    }
                }
            }
            Values::Split { rest, rest_at } => {
                let end = find(&rest[start..], b':').map_or(rest.len(), |e| start + e);
                self.pos = end + 1;
                sample_compat(&rest[start..end], rest_at as usize + start)
            }
            Values::Strict {
                values,
                kind,
                rate,
                timestamp,
            } => {
                let raw = if kind == MetricType::Set {
                    values
                } else {
                    // Skip the empty items the Agent skips (`1::2`).
                    let mut start = start;
                    while values.get(start) == Some(&b':') {
                        start += 1;
                    }
                    let end = find(&values[start..], b':').map_or(values.len(), |e| start + e);
                    self.pos = end + 1;
                    &values[start..end]
                };
                let value = self.value(k, raw).unwrap_or(f64::NAN);
                Slot {
                    result: Ok(Sample {
                        raw,
                        value,
                        rate,
                        timestamp,
                        kind,
                        relative: false,
                    }),
                    invalid_rates: 0,
                    processed: true,
                    reached: true,
                }
            }
        })
    }
}

impl ExactSizeIterator for SlotIter<'_, '_> {}

/// The samples of a metric: shared-suffix lines (nearly all) are decoded here
/// directly, the others through [`Slot`]s.
#[derive(Clone, Debug)]
struct SampleIter<'m, 'a> {
    slots: SlotIter<'m, 'a>,
    base: usize,
}

impl<'a> Iterator for SampleIter<'_, 'a> {
    type Item = Result<Sample<'a>, Error>;

    #[inline]
    fn next(&mut self) -> Option<Result<Sample<'a>, Error>> {
        let it = &mut self.slots;
        let Values::Shared {
            values,
            values_at,
            packed,
            too_many_components,
            kind,
            kind_at,
            fields,
        } = &it.metric.values
        else {
            let base = self.base;
            return it.next().map(|s| s.result.map_err(|e| e.shifted(base)));
        };
        if it.left == 0 {
            return None;
        }
        it.left -= 1;
        let k = it.k as usize;
        it.k += 1;
        let start = it.pos;
        let end = if *packed {
            find(&values[start..], b':').map_or(values.len(), |e| start + e)
        } else {
            values.len()
        };
        it.pos = end + 1;
        let raw = &values[start..end];
        let at = *values_at as usize + start;
        let result = if *too_many_components {
            Err(Error::new(ErrorKind::MalformedComponent, at))
        } else {
            match (it.value(k, raw), fields) {
                (Some(value), Some(f)) => match (f.result, *kind) {
                    (Ok(()), Some(kind)) => Ok(Sample {
                        raw,
                        value,
                        rate: f.rate,
                        timestamp: f.timestamp(),
                        kind,
                        relative: kind == MetricType::Gauge
                            && matches!(raw.first(), Some(b'+' | b'-')),
                    }),
                    (Ok(()), None) => Err(Error::new(ErrorKind::IllegalEvent, *kind_at as usize)),
                    (Err(e), _) => Err(e),
                },
                _ => Err(Error::new(ErrorKind::MalformedValue, at)),
            }
        };
        Some(result.map_err(|e| e.shifted(self.base)))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.slots.size_hint()
    }
}

impl ExactSizeIterator for SampleIter<'_, '_> {}

impl<'a> Full<'a> {
    /// The name, with name-embedded tags removed.
    pub fn name(&self) -> Name<'a> {
        Name::new(self.head, self.tail.slice(self.line))
    }

    /// The samples, in line order: `Ok` for a good one, `Err` with the reason and the
    /// offset for a bad one. A set (`s`) is `Ok` here: statsd_exporter counts it as
    /// `illegal_event` at event building, and that is the consumer's decision.
    #[inline]
    fn sample_iter(&self) -> SampleIter<'_, 'a> {
        SampleIter {
            slots: self.slots(),
            base: self.offset,
        }
    }

    fn slots(&self) -> SlotIter<'_, 'a> {
        SlotIter {
            metric: self,
            pos: 0,
            k: 0,
            left: self.count,
        }
    }

    /// An empty metric for `line`, to be filled by the parser.
    #[inline(always)]
    pub(crate) fn blank(line: &'a [u8], parser: Parser) -> Full<'a> {
        Full {
            line,
            offset: 0,
            head: &[],
            tail: Span::EMPTY,
            name_section: Span::EMPTY,
            name_tagged: false,
            name_errors: 0,
            fields: &[],
            field_tags: false,
            container_id: Span::NONE,
            external_data: Span::NONE,
            cardinality: Span::NONE,
            values: Values::None,
            count: 0,
            parser,
            summary: Summary::default(),
            parsed: [0; PARSED_CAP],
        }
    }

    #[inline(always)]
    fn values_ref(&self) -> &Values<'a> {
        &self.values
    }

    #[inline(always)]
    fn set_name(&mut self, head: &'a [u8], tail: &'a [u8], tags: &NameTags<'a>) {
        self.head = head;
        self.tail = Span::of(self.line, tail);
        self.name_section = Span::of(self.line, tags.section);
        self.name_tagged = tags.valid > 0;
        self.name_errors = tags.errors;
    }

    /// Keeps value `k` when it parsed and there is room; returns whether it parsed.
    #[inline(always)]
    fn keep_parsed(&mut self, k: usize, value: Option<f64>) -> bool {
        keep_parsed(&mut self.parsed, &mut self.summary, k, value)
    }

    /// Number of samples (good and bad).
    pub fn sample_count(&self) -> usize {
        self.count as usize
    }

    /// Every sample error statsd_exporter counts for this line, in its order: for each
    /// sample, one `invalid_sample_factor` per unparsable `@` field (the sample is kept),
    /// then the sample's own error if it failed.
    pub fn sample_errors(&self) -> impl Iterator<Item = ErrorKind> + '_ {
        let mut slots = self.slots();
        if self.summary.clean {
            slots.left = 0; // known during the parse: nothing to report
        }
        slots.flat_map(|s| {
            core::iter::repeat_n(ErrorKind::InvalidSampleFactor, usize::from(s.invalid_rates))
                .chain(s.result.err().map(|e| e.kind()))
        })
    }

    /// The tags, lazily, in statsd_exporter's order (see [`Tags`]). Inlined, so that
    /// no call writes the caller's `Tags` through memory: a fast-path line's masked
    /// walk then stays in registers (`tags5` −19, every shape −13 to −18, with the
    /// masked walk's position a `usize`).
    #[inline]
    pub fn tags(&self) -> Tags<'a> {
        Tags::new(
            self.name_section.slice(self.line),
            if self.field_tags { self.fields } else { &[] },
            self.parser.dogstatsd_tags,
            !self.parser.strict(),
            self.parser.strict(),
        )
    }

    /// True when the line carries at least one valid tag (in statsd_exporter mode the
    /// `|c:` container id counts, as it becomes the `container_id` label). Known from the
    /// parse for lines with at most one `|#` list.
    pub fn has_tags(&self) -> bool {
        if self.summary.exact {
            self.name_tagged
                || self.summary.dog_tagged
                || (!self.parser.strict() && self.container_id.is_some())
        } else {
            self.tags().next().is_some()
        }
    }

    /// The tag errors statsd_exporter counts for this line (empty, keyless or valueless
    /// tags, a lone or reversed SignalFX bracket). Known from the parse for lines with
    /// at most one `|#` list; otherwise the tags are scanned.
    pub fn tag_errors(&self) -> u32 {
        if self.summary.exact {
            return self.name_errors + self.summary.dog_errors * self.summary.reached;
        }
        let mut errors = self.name_errors;
        if self.parser.dogstatsd_tags && !self.fields.is_empty() {
            let mut per_pass = 0;
            for field in self.fields.split(|&b| b == b'|') {
                if let [b'#', list @ ..] = field {
                    per_pass += count_list(list, b':', true, self.parser.strict()).1;
                }
            }
            if per_pass > 0 {
                // statsd_exporter parses the tags again for every sample that reaches them.
                let passes = self.slots().filter(|s| s.reached).count() as u32;
                errors += per_pass * passes;
            }
        }
        errors
    }

    /// What statsd_exporter's parser counts for this line. Worked out during the parse
    /// (no second pass over values or tags) unless the line has several `|#` lists or
    /// is a multi-metric line (`a:1|c:2|ms`).
    #[inline]
    pub fn counts(&self) -> LineCounts {
        let processed = if self.summary.exact {
            self.summary.processed
        } else {
            self.slots().filter(|s| s.processed).count() as u32
        };
        LineCounts {
            samples: self.count,
            samples_with_tags: if processed > 0 && self.has_tags() {
                processed
            } else {
                0
            },
            tag_errors: self.tag_errors(),
        }
    }

    /// The DogStatsD container id from `|c:<id>` (last one wins), raw: `abc`,
    /// `ci-abc`, `in-123`, `ci-abc,in-123`. In statsd_exporter mode it is also the
    /// `container_id` tag.
    pub fn container_id(&self) -> Option<&'a [u8]> {
        self.container_id.get(self.line)
    }

    /// DogStatsD 1.5 external data from `|e:…` (strict DogStatsD mode only).
    pub fn external_data(&self) -> Option<&'a [u8]> {
        self.external_data.get(self.line)
    }

    /// DogStatsD 1.6 cardinality from `|card:…` (strict DogStatsD mode only), raw.
    /// See [`Cardinality::from_bytes`] for the Agent's reading.
    pub fn cardinality(&self) -> Option<&'a [u8]> {
        self.cardinality.get(self.line)
    }
}

impl<'a> Metric<'a> {
    #[inline(always)]
    pub(crate) fn full(full: Full<'a>) -> Metric<'a> {
        Metric {
            repr: Repr::Full(full),
        }
    }

    #[inline(always)]
    pub(crate) fn fast(fast: Fast<'a>) -> Metric<'a> {
        Metric {
            repr: Repr::Fast(fast),
        }
    }

    /// The whole line (without line terminator).
    #[inline]
    pub fn line(&self) -> &'a [u8] {
        match &self.repr {
            Repr::Fast(f) => f.line,
            Repr::Full(m) => m.line,
        }
    }

    /// The name, with name-embedded tags removed.
    #[inline]
    pub fn name(&self) -> Name<'a> {
        match &self.repr {
            Repr::Fast(f) => Name::new(f.name(), &[]),
            Repr::Full(m) => m.name(),
        }
    }

    /// The samples, in line order: `Ok` for a good one, `Err` with the reason and the
    /// offset for a bad one. A set (`s`) is `Ok` here: statsd_exporter counts it as
    /// `illegal_event` at event building, and that is the consumer's decision.
    #[inline]
    pub fn samples(&self) -> impl ExactSizeIterator<Item = Result<Sample<'a>, Error>> + Clone + '_ {
        match &self.repr {
            Repr::Fast(f) => Samples::Fast(f.samples()),
            Repr::Full(m) => Samples::Full(m.sample_iter()),
        }
    }

    /// Where the line starts in the buffer given to the entry point (0 for
    /// [`Parser::parse_line`], the line's offset for [`Parser::packet`]).
    #[inline]
    pub fn offset(&self) -> usize {
        match &self.repr {
            Repr::Fast(f) => f.offset,
            Repr::Full(m) => m.offset,
        }
    }

    pub(crate) fn set_offset(&mut self, offset: usize) {
        match &mut self.repr {
            Repr::Fast(f) => f.offset = offset,
            Repr::Full(m) => m.offset = offset,
        }
    }

    /// Number of samples (good and bad).
    #[inline]
    pub fn sample_count(&self) -> usize {
        match &self.repr {
            Repr::Fast(f) => f.sample_count() as usize,
            Repr::Full(m) => m.sample_count(),
        }
    }

    /// Every sample error statsd_exporter counts for this line, in its order: for each
    /// sample, one `invalid_sample_factor` per unparsable `@` field (the sample is kept),
    /// then the sample's own error if it failed.
    #[inline]
    pub fn sample_errors(&self) -> impl Iterator<Item = ErrorKind> + '_ {
        // A fast-path line has no sample errors.
        match &self.repr {
            Repr::Fast(_) => None,
            Repr::Full(m) => Some(m.sample_errors()),
        }
        .into_iter()
        .flatten()
    }

    /// The tags, lazily, in statsd_exporter's order (see [`Tags`]).
    #[inline]
    pub fn tags(&self) -> Tags<'a> {
        match &self.repr {
            Repr::Fast(f) => f.tags(),
            Repr::Full(m) => m.tags(),
        }
    }

    /// True when the line carries at least one valid tag (in statsd_exporter mode the
    /// `|c:` container id counts, as it becomes the `container_id` label). Known from the
    /// parse for lines with at most one `|#` list.
    #[inline]
    pub fn has_tags(&self) -> bool {
        match &self.repr {
            Repr::Fast(f) => f.has_tags(),
            Repr::Full(m) => m.has_tags(),
        }
    }

    /// The tag errors statsd_exporter counts for this line (empty, keyless or valueless
    /// tags, a lone or reversed SignalFX bracket). Known from the parse for lines with
    /// at most one `|#` list; otherwise the tags are scanned.
    #[inline]
    pub fn tag_errors(&self) -> u32 {
        match &self.repr {
            Repr::Fast(f) => f.tag_errors(),
            Repr::Full(m) => m.tag_errors(),
        }
    }

    /// What statsd_exporter's parser counts for this line. Worked out during the parse
    /// (no second pass over values or tags) unless the line has several `|#` lists or
    /// is a multi-metric line (`a:1|c:2|ms`).
    #[inline]
    pub fn counts(&self) -> LineCounts {
        match &self.repr {
            // Every sample of a fast-path line is good and processes its fields.
            Repr::Fast(f) => LineCounts {
                samples: f.sample_count(),
                samples_with_tags: if f.has_tags() { f.sample_count() } else { 0 },
                tag_errors: f.tag_errors(),
            },
            Repr::Full(m) => m.counts(),
        }
    }

    /// The DogStatsD container id from `|c:<id>` (last one wins), raw: `abc`,
    /// `ci-abc`, `in-123`, `ci-abc,in-123`. In statsd_exporter mode it is also the
    /// `container_id` tag.
    #[inline]
    pub fn container_id(&self) -> Option<&'a [u8]> {
        match &self.repr {
            Repr::Fast(f) => f.container_id(),
            Repr::Full(m) => m.container_id(),
        }
    }

    /// DogStatsD 1.5 external data from `|e:…` (strict DogStatsD mode only).
    #[inline]
    pub fn external_data(&self) -> Option<&'a [u8]> {
        match &self.repr {
            Repr::Fast(_) => None,
            Repr::Full(m) => m.external_data(),
        }
    }

    /// DogStatsD 1.6 cardinality from `|card:…` (strict DogStatsD mode only), raw.
    /// See [`Cardinality::from_bytes`] for the Agent's reading.
    #[inline]
    pub fn cardinality(&self) -> Option<&'a [u8]> {
        match &self.repr {
            Repr::Fast(_) => None,
            Repr::Full(m) => m.cardinality(),
        }
    }

    /// The parser options this line was parsed with.
    #[inline]
    pub fn parser(&self) -> Parser {
        match &self.repr {
            Repr::Fast(f) => f.parser,
            Repr::Full(m) => m.parser,
        }
    }
}

/// The samples of either form of a [`Metric`].
#[derive(Clone, Debug)]
enum Samples<'m, 'a> {
    Fast(FastSamples<'m, 'a>),
    Full(SampleIter<'m, 'a>),
}

impl<'a> Iterator for Samples<'_, 'a> {
    type Item = Result<Sample<'a>, Error>;

    #[inline(always)]
    fn next(&mut self) -> Option<Result<Sample<'a>, Error>> {
        match self {
            Samples::Fast(it) => it.next().map(Ok),
            Samples::Full(it) => it.next(),
        }
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match self {
            Samples::Fast(it) => it.size_hint(),
            Samples::Full(it) => it.size_hint(),
        }
    }
}

impl ExactSizeIterator for Samples<'_, '_> {}

/// DogStatsD 1.6 tag cardinality (`|card:`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Cardinality {
    /// `none`
    None,
    /// `low`
    Low,
    /// `orchestrator`
    Orchestrator,
    /// `high`
    High,
}

impl Cardinality {
    /// Reads the value case-insensitively like the Agent; unknown values give `None`
    /// (the Agent does not treat them as errors).
    ///
    /// ```
    /// use statsd_proto::Cardinality;
    /// assert_eq!(Cardinality::from_bytes(b"HIGH"), Some(Cardinality::High));
    /// assert_eq!(Cardinality::from_bytes(b"huge"), None);
    /// ```
    pub fn from_bytes(text: &[u8]) -> Option<Cardinality> {
        [
            (&b"none"[..], Cardinality::None),
            (b"low", Cardinality::Low),
            (b"orchestrator", Cardinality::Orchestrator),
            (b"high", Cardinality::High),
        ]
        .into_iter()
        .find(|(t, _)| t.eq_ignore_ascii_case(text))
        .map(|(_, c)| c)
    }

    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            Cardinality::None => "none",
            Cardinality::Low => "low",
            Cardinality::Orchestrator => "orchestrator",
            Cardinality::High => "high",
        }
    }
}

/// The colon position, the name halves and the name-embedded tags.
type NamePart<'a> = (usize, &'a [u8], &'a [u8], NameTags<'a>);

/// What one pass over the text after the name found.
struct Scan {
    /// Positions of the first 8 `|` (relative to the rest of the line).
    pipes: [u32; 8],
    /// Number of `|` in the rest of the line (may exceed 8).
    npipes: usize,
    /// Any `:` in the rest of the line.
    colon: bool,
    /// Number of `:` in the rest of the line (before any `|#`).
    colons: usize,
    /// Number of `:` before the first `|`.
    colons_in_values: usize,
    /// A `:` before the first `|` (packed values).
    packed: bool,
    /// Position of the first `|#`.
    dog_tags: Option<usize>,
    /// A `|c:` container field (not the type `c` of a multi-metric sample).
    container: bool,
    /// OR of every word scanned: its high bits show non-ASCII bytes.
    bits: u64,
    /// A second `|#` list (the counters then walk the fields).
    extra_lists: bool,
}

/// The colon ending the name, whether the name holds a tag delimiter (`[ ] # ,`),
/// and whether it holds a non-ASCII byte (the bytes after the colon may count too).
#[inline(always)]
pub(crate) fn scan_name(line: &[u8]) -> (Option<usize>, bool, bool) {
    let (mut high, mut special) = (0u32, 0u32);
    let mut i = 0;
    // One block at `i`, its first `skip` lanes already read.
    macro_rules! block {
        ($b:expr, $skip:expr) => {{
            let (b, skip): (&Block, u32) = ($b, $skip);
            let c = eq_any_mask(b, [b':']) >> skip;
            let t = eq_any_mask(b, [b'#', b',', b'[', b']']) >> skip;
            high |= high_mask(b) >> skip;
            if c != 0 {
                // Only delimiters before the colon belong to the name.
                let below = c ^ (c - 1);
                let at = i + c.trailing_zeros() as usize;
                return (Some(at), special != 0 || t & below != 0, high != 0);
            }
            special |= t;
        }};
    }
    // Whole blocks, then the last 1–15 bytes (see `last_block`); a line shorter than a
    // block is one zero-padded block.
    if line.len() < WIDTH {
        let (b, _) = last_block(line, 0);
        block!(&b, 0);
        return (None, special != 0, high != 0);
    }
    while let Some(b) = block_at(line, i) {
        block!(b, 0);
        i += WIDTH;
    }
    if i < line.len() {
        let (b, skip) = last_block(line, i);
        block!(&b, skip);
    }
    (None, special != 0, high != 0)
}

/// One pass over the rest of the line, word by word, visiting only `|` and `:`.
#[inline(always)]
fn scan_rest<'a>(rest: &'a [u8], list: &mut Option<ListScan<'a>>) -> Scan {
    let mut s = Scan {
        pipes: [0; 8],
        npipes: 0,
        colon: false,
        colons: 0,
        colons_in_values: 0,
        packed: false,
        dog_tags: None,
        container: false,
        bits: 0,
        extra_lists: false,
    };
    // `|` seen since the start or the last `:`: a `|c:` right after a value is the
    // type `c` of a multi-metric line (`a:1|c:2|ms`), not a container id field.
    let mut pipes_in_sample = 0u32;
    let (pipe, colon) = (splat(b'|'), splat(b':'));
    let mut i = 0;
    while i < rest.len() {
        let w = load(rest, i);
        s.bits |= w;
        // After `|#` the line is one sample and colons no longer matter.
        let colons = if s.dog_tags.is_none() {
            eq(w, colon)
        } else {
            0
        };
        let mut m = eq(w, pipe) | colons;
        let mut next = i + 8;
        while m != 0 {
            let pos = i + first(m);
            m &= m - 1;
            let byte = rest.get(pos).copied();
            if byte == Some(b'|') {
                if let Some(slot) = s.pipes.get_mut(s.npipes) {
                    *slot = pos as u32;
                }
                s.npipes += 1;
                match rest.get(pos + 1) {
                    Some(b'#') if s.dog_tags.is_none() => {
                        s.dog_tags = Some(pos);
                        // The list is indexed here, and the scan goes on at its end.
                        let index = index_list(&rest[pos + 2..], false);
                        s.bits |= index.bits;
                        next = pos + 2 + index.list.len();
                        *list = Some(index);
                        pipes_in_sample += 1;
                        break;
                    }
                    Some(b'#') => s.extra_lists = true,
                    Some(b'c') if pipes_in_sample > 0 && rest.get(pos + 2) == Some(&b':') => {
                        s.container = true
                    }
                    _ => {}
                }
                pipes_in_sample += 1;
            } else if byte == Some(b':') && s.dog_tags.is_none() {
                // After `|#` colons no longer matter: the line is one sample.
                s.colon = true;
                s.colons += 1;
                s.colons_in_values += usize::from(s.npipes == 0);
                s.packed |= s.npipes == 0;
                pipes_in_sample = 0;
            }
        }
        i = next;
    }
    s
}

/// What the fields after the type produced (shared by all samples of a packed line).
#[derive(Clone, Copy)]
struct Fields<'a> {
    /// `Err` when a field fails the sample; `processed` is how far processing got.
    result: Result<(), Error>,
    /// An empty field was found: statsd_exporter fails before processing any field.
    empty: bool,
    processed: &'a [u8],
    rate: f64,
    invalid_rates: u8,
    timestamp: Option<u64>,
    container_id: Option<&'a [u8]>,
}

impl Fields<'_> {
    fn outcome(&self) -> FieldOutcome {
        FieldOutcome {
            result: self.result,
            empty: self.empty,
            rate: self.rate,
            invalid_rates: self.invalid_rates,
            has_timestamp: self.timestamp.is_some(),
            timestamp: self.timestamp.unwrap_or(0),
        }
    }
}

/// statsd_exporter's field loop (line.go: components 3..6). `base` is the offset of
/// `fields` in the line; `fields` starts with `|` or is empty; `bounds` holds the
/// position of every `|` in `fields` (at most 4: more is `malformed_component`).
#[inline(always)]
fn fields_compat<'a>(fields: &'a [u8], base: usize, kind: &[u8], bounds: &[u32]) -> Fields<'a> {
    let mut out = Fields {
        result: Ok(()),
        empty: false,
        processed: fields,
        rate: 1.0,
        invalid_rates: 0,
        timestamp: None,
        container_id: None,
    };
    let field = |k: usize| {
        let start = bounds[k] as usize + 1;
        let end = bounds.get(k + 1).map_or(fields.len(), |&e| e as usize);
        (start, fields.get(start..end).unwrap_or(&[]))
    };
    for (k, &bound) in bounds.iter().enumerate() {
        if field(k).1.is_empty() {
            out.empty = true;
            out.result = Err(Error::new(
                ErrorKind::MalformedComponent,
                base + bound as usize,
            ));
            out.processed = &[];
            return out;
        }
    }
    let counter = kind == b"c";
    for k in 0..bounds.len() {
        let (start, field) = field(k);
        let at = base + start;
        match field[0] {
            b'@' => {
                let rate = match parse_f64(&field[1..]) {
                    Some(r) => r,
                    None => {
                        out.invalid_rates = out.invalid_rates.saturating_add(1);
                        1.0
                    }
                };
                let rate = if rate == 0.0 { 1.0 } else { rate };
                if counter {
                    out.rate *= rate
                } else {
                    out.rate = rate
                }
            }
            b'#' => {}
            b'c' => {
                if field.len() > 2 && field[1] == b':' {
                    out.container_id = Some(&field[2..]);
                } else {
                    out.result = Err(Error::new(ErrorKind::MalformedContainerId, at));
                    out.processed = &fields[..start];
                    return out;
                }
            }
            b'T' => out.timestamp = parse_u64(&field[1..]),
            _ => {
                out.result = Err(Error::new(ErrorKind::InvalidSampleFactor, at));
                out.processed = &fields[..start];
                return out;
            }
        }
    }
    out
}

/// Positions of every `|` in `fields`, up to `N` (enough for a valid sample).
fn pipe_bounds(fields: &[u8]) -> ([u32; 5], usize) {
    let mut bounds = [0u32; 5];
    let mut n = 0;
    let mut pos = 0;
    while let Some(i) = find(&fields[pos..], b'|') {
        if n == bounds.len() {
            return (bounds, n + 1);
        }
        bounds[n] = (pos + i) as u32;
        n += 1;
        pos += i + 1;
    }
    (bounds, n)
}

impl Parser {
    /// Parses one metric line (no events or service checks; a trailing `\r` is removed).
    ///
    /// # Errors
    /// A line-level problem (`malformed_line`, `mixed_tagging_styles`,
    /// `not_enough_parts_after_colon`, `invalid_extended_aggregate_type`, and in strict
    /// DogStatsD mode also `illegal_event`, `malformed_value`, `invalid_sample_factor`,
    /// `malformed_timestamp`). Problems with one sample of a good line are reported
    /// per sample by [`Metric::samples`].
    ///
    /// ```
    /// use statsd_proto::{ErrorKind, Parser};
    ///
    /// let m = Parser::new().parse_metric(b"foo:1|c:bad|ms").unwrap();
    /// let kinds: Vec<_> = m.samples().map(|s| s.map(|s| s.value()).map_err(|e| e.kind())).collect();
    /// assert_eq!(kinds, [Ok(1.0), Err(ErrorKind::MalformedValue)]);
    /// ```
    #[inline]
    pub fn parse_metric<'a>(&self, line: &'a [u8]) -> Result<Metric<'a>, Error> {
        let line = match line {
            [rest @ .., b'\r'] => rest,
            _ => line,
        };
        self.metric(line, |m| m)
    }

    /// Parses a metric line (without `\r`). The `Metric` is built in a local that
    /// the optimiser splits into registers once everything is inlined, so that it is
    /// written once, straight into the caller's result.
    #[inline(always)]
    pub(crate) fn metric<'a, T>(
        &self,
        line: &'a [u8],
        wrap: impl FnOnce(Metric<'a>) -> T,
    ) -> Result<T, Error> {
        if self.dogstatsd_tags
            && let Some(fast) = self.fast_metric(line)
        {
            return Ok(wrap(Metric::fast(fast)));
        }
        self.metric_general(line, wrap)
    }

    /// Parses a metric line (without `\r`) on the general path.
    #[inline(always)]
    pub(crate) fn metric_general<'a, T>(
        &self,
        line: &'a [u8],
        wrap: impl FnOnce(Metric<'a>) -> T,
    ) -> Result<T, Error> {
        if self.strict() {
            self.metric_strict(line).map(|m| wrap(Metric::full(m)))
        } else {
            self.metric_compat(line, wrap)
        }
    }

    fn name_part<'a>(&self, line: &'a [u8]) -> Result<NamePart<'a>, Error> {
        let colon = match find(line, b':') {
            Some(0) => return Err(Error::new(ErrorKind::MalformedLine, 0)),
            Some(i) => i,
            None => return Err(Error::new(ErrorKind::MalformedLine, line.len())),
        };
        let (head, tail, name_tags) = split_name(
            &line[..colon],
            self.signalfx_tags,
            self.librato_tags,
            self.influxdb_tags,
        );
        Ok((colon, head, tail, name_tags))
    }

    #[inline(always)]
    fn metric_compat<'a, T>(
        &self,
        line: &'a [u8],
        wrap: impl FnOnce(Metric<'a>) -> T,
    ) -> Result<T, Error> {
        let (colon, special, name_non_ascii) = scan_name(line);
        let colon = match colon {
            Some(0) => return Err(Error::new(ErrorKind::MalformedLine, 0)),
            Some(i) => i,
            None => return Err(Error::new(ErrorKind::MalformedLine, line.len())),
        };
        let rest_at = colon + 1;
        let rest = &line[rest_at..];
        // The first `|#` list, indexed in the same pass (kept out of `Scan`, which is
        // returned by value).
        let mut list = None;
        let sc = scan_rest(rest, &mut list);
        // One non-ASCII byte anywhere: statsd_exporter wants the whole line to be UTF-8.
        if (name_non_ascii || sc.bits & HIGH != 0)
            && let Err(e) = core::str::from_utf8(line)
        {
            return Err(Error::new(ErrorKind::MalformedLine, e.valid_up_to()));
        }
        let name = &line[..colon];
        let (head, tail, name_tags) = if special {
            split_name(
                name,
                self.signalfx_tags,
                self.librato_tags,
                self.influxdb_tags,
            )
        } else {
            (name, &[][..], NameTags::default())
        };
        let line_err = |kind, at| Err(Error::new(kind, at).with_tag_errors(name_tags.errors));
        if let Some(at) = sc.dog_tags
            && name_tags.valid > 0
        {
            return line_err(ErrorKind::MixedTaggingStyles, rest_at + at);
        }
        if sc.npipes == 0 {
            return line_err(ErrorKind::NotEnoughPartsAfterColon, line.len());
        }
        // Everything is kept in locals and the `Metric` is written once at the end,
        // straight into the caller's result (filling a blank one in a local costs a
        // 256-byte copy per line).
        let mut fields_seen: &[u8] = &[];
        let mut field_tags = false;
        let mut container_id = Span::NONE;
        let mut summary = Summary::default();
        let mut parsed = [0u64; PARSED_CAP];
        let count;
        let values;
        if !sc.colon || sc.packed || sc.dog_tags.is_some() || sc.container {
            // One shared suffix for every value (a single value when there is no `:`).
            let p1 = sc.pipes[0] as usize;
            let value_text = &rest[..p1];
            let kind_end = if sc.npipes >= 2 {
                sc.pipes[1] as usize
            } else {
                rest.len()
            };
            let kind_text = &rest[p1 + 1..kind_end];
            if sc.packed && !matches!(kind_text, b"ms" | b"h" | b"d") {
                return line_err(ErrorKind::InvalidExtendedAggregateType, rest_at + p1 + 1);
            }
            let field_text = &rest[kind_end..];
            let fields_at = rest_at + kind_end;
            let components = 1 + sc.npipes;
            // Field bounds relative to `field_text` (only needed when ≤ 6 components).
            let mut bounds = [0u32; 4];
            let nb = sc.npipes.saturating_sub(1).min(4);
            for (b, &p) in bounds.iter_mut().zip(&sc.pipes[1..]).take(nb) {
                *b = p - kind_end as u32;
            }
            // statsd_exporter looks at the fields only for samples whose value parses;
            // they are the same for every value, so they are read once here. (When no
            // value parses, every sample fails first and nothing counts them.)
            let fields = (components <= 6).then(|| {
                let f = fields_compat(field_text, fields_at, kind_text, &bounds[..nb]);
                fields_seen = f.processed;
                field_tags = sc.dog_tags.is_some() || f.container_id.is_some();
                container_id = Span::of_opt(line, f.container_id);
                f.outcome()
            });
            count = if sc.packed {
                1 + sc.colons_in_values as u32
            } else {
                1
            };
            let kind = MetricType::from_bytes(kind_text);
            summary.exact = !self.dogstatsd_tags || !sc.extra_lists;
            if let Some(f) = fields {
                // Every value is parsed once here: the counters need to know which
                // parse, and the samples reuse the first `PARSED_CAP`.
                let good = if sc.packed {
                    let mut good = 0;
                    for (k, value) in value_text.split(|&b| b == b':').enumerate() {
                        good +=
                            u32::from(keep_parsed(&mut parsed, &mut summary, k, parse_f64(value)));
                    }
                    good
                } else {
                    u32::from(keep_parsed(
                        &mut parsed,
                        &mut summary,
                        0,
                        parse_f64(value_text),
                    ))
                };
                summary.processed = if f.result.is_ok() { good } else { 0 };
                summary.reached = if f.empty { 0 } else { good };
                summary.clean =
                    good == count && f.result.is_ok() && kind.is_some() && f.invalid_rates == 0;
                // The indexed list counts if it lies in the processed fields.
                if let Some(at) = sc.dog_tags
                    && let Some(list) = &list
                    && self.dogstatsd_tags
                    && at >= kind_end
                    && at < kind_end + fields_seen.len()
                {
                    summary.dog_tagged = list.valid > 0;
                    summary.dog_errors = list.errors;
                }
            }
            values = Values::Shared {
                values: value_text,
                values_at: rest_at as u32,
                packed: sc.packed,
                too_many_components: components > 6,
                kind,
                kind_at: (rest_at + p1 + 1) as u32,
                fields,
            };
        } else {
            // statsd_exporter multi-metric lines: `a:1|c:2|ms`, each sample self-contained.
            count = 1 + sc.colons as u32;
            values = Values::Split {
                rest,
                rest_at: rest_at as u32,
            };
        }
        // Wrapped here, so that the metric is written once, into the caller's result.
        Ok(wrap(Metric::full(Full {
            line,
            offset: 0,
            head,
            tail: if special {
                Span::of(line, tail)
            } else {
                Span::EMPTY
            },
            name_section: if special {
                Span::of(line, name_tags.section)
            } else {
                Span::EMPTY
            },
            name_tagged: name_tags.valid > 0,
            name_errors: name_tags.errors,
            fields: fields_seen,
            field_tags,
            container_id,
            external_data: Span::NONE,
            cardinality: Span::NONE,
            values,
            count,
            parser: *self,
            summary,
            parsed,
        })))
    }

    #[inline(always)]
    fn metric_strict<'a>(&self, line: &'a [u8]) -> Result<Full<'a>, Error> {
        let mut m = Full::blank(line, *self);
        let metric = &mut m;
        let (colon, head, tail, name_tags) = self.name_part(line)?;
        let rest_at = colon + 1;
        let rest = &line[rest_at..];
        let Some(p1) = memchr_small(b'|', rest) else {
            return Err(Error::new(ErrorKind::NotEnoughPartsAfterColon, line.len()));
        };
        let values = &rest[..p1];
        let after = &rest[p1 + 1..];
        let kind_end = memchr_small(b'|', after).unwrap_or(after.len());
        let kind_at = rest_at + p1 + 1;
        let Some(kind) = MetricType::from_bytes(&after[..kind_end]) else {
            return Err(Error::new(ErrorKind::IllegalEvent, kind_at));
        };
        let fields = &after[kind_end..];
        metric.set_name(head, tail, &name_tags);
        metric.fields = fields;
        metric.field_tags = true;
        let mut rate = 1.0;
        let mut timestamp = None;
        let mut pos = 0;
        let mut lists = 0u32;
        let fields_at = kind_at + kind_end;
        for field in fields.split(|&b| b == b'|') {
            let at = fields_at + pos;
            pos += field.len() + 1;
            match field {
                [b'@', r @ ..] => match parse_f64(r) {
                    Some(r) => rate = if r == 0.0 { 1.0 } else { r },
                    None => return Err(Error::new(ErrorKind::InvalidSampleFactor, at)),
                },
                [b'T', t @ ..] => match parse_u64(t) {
                    Some(t) if t > 0 => timestamp = Some(t),
                    _ => return Err(Error::new(ErrorKind::MalformedTimestamp, at)),
                },
                [b'c', b':', id @ ..] => metric.container_id = Span::of(line, id),
                [b'e', b':', data @ ..] => metric.external_data = Span::of(line, data),
                [b'c', b'a', b'r', b'd', b':', card @ ..] => {
                    metric.cardinality = Span::of(line, card)
                }
                [b'#', list @ ..] if self.dogstatsd_tags => {
                    if lists == 0 {
                        let scan = index_list(list, true);
                        metric.summary.dog_tagged = scan.valid > 0;
                        metric.summary.dog_errors = scan.errors;
                    }
                    lists += 1;
                }
                _ => {} // unknown fields are ignored.
            }
        }
        let count = if kind == MetricType::Set {
            // Set members are strings: no packing, the value need not be a number.
            if values.is_empty() {
                return Err(Error::new(ErrorKind::MalformedValue, rest_at));
            }
            metric.keep_parsed(0, Some(parse_f64(values).unwrap_or(f64::NAN)));
            1
        } else {
            let mut count = 0;
            let mut start = 0;
            for value in values.split(|&b| b == b':') {
                let at = rest_at + start;
                start += value.len() + 1;
                if value.is_empty() {
                    continue; // the Agent skips empty packed values (`1::2`)
                }
                let parsed = parse_f64(value);
                if !metric.keep_parsed(count, parsed) {
                    return Err(Error::new(ErrorKind::MalformedValue, at));
                }
                count += 1;
            }
            if count == 0 {
                return Err(Error::new(ErrorKind::MalformedValue, rest_at));
            }
            count
        };
        metric.count = count as u32;
        // Every sample is good and reaches the fields.
        metric.summary.exact = lists <= 1;
        metric.summary.clean = true;
        metric.summary.processed = count as u32;
        metric.summary.reached = count as u32;
        metric.values = Values::Strict {
            values,
            kind,
            rate,
            timestamp,
        };
        Ok(m)
    }
}

/// Keeps value `k` in `parsed` when it parsed and there is room (marking it in
/// `summary`); returns whether it parsed.
#[inline(always)]
fn keep_parsed(
    parsed: &mut [u64; PARSED_CAP],
    summary: &mut Summary,
    k: usize,
    value: Option<f64>,
) -> bool {
    match value {
        Some(v) => {
            if let Some(slot) = parsed.get_mut(k) {
                *slot = v.to_bits();
                summary.parsed |= 1 << k;
            }
            true
        }
        None => false,
    }
}

fn bad_slot<'a>(kind: ErrorKind, at: usize) -> Slot<'a> {
    Slot {
        result: Err(Error::new(kind, at)),
        invalid_rates: 0,
        processed: false,
        reached: false,
    }
}

/// Turns a parsed value and the field outcome into a sample slot.
fn finish_slot<'a>(
    raw: &'a [u8],
    value: f64,
    kind: Option<MetricType>,
    kind_at: usize,
    f: &FieldOutcome,
) -> Slot<'a> {
    let result = match f.result {
        Err(e) => Err(e),
        Ok(()) => match kind {
            Some(kind) => Ok(Sample {
                raw,
                value,
                rate: f.rate,
                timestamp: f.timestamp(),
                kind,
                relative: kind == MetricType::Gauge && matches!(raw.first(), Some(b'+' | b'-')),
            }),
            None => Err(Error::new(ErrorKind::IllegalEvent, kind_at)),
        },
    };
    Slot {
        result,
        invalid_rates: if f.empty { 0 } else { f.invalid_rates },
        processed: f.result.is_ok(),
        reached: !f.empty,
    }
}

/// One self-contained sample of a statsd_exporter multi-metric line (`1|c|@0.1`).
fn sample_compat(sample: &[u8], at: usize) -> Slot<'_> {
    let Some(p) = find(sample, b'|') else {
        return bad_slot(ErrorKind::MalformedComponent, at);
    };
    let after = &sample[p + 1..];
    let kind_end = find(after, b'|').unwrap_or(after.len());
    let fields = &after[kind_end..];
    let (bounds, nb) = pipe_bounds(fields);
    if nb > 4 {
        return bad_slot(ErrorKind::MalformedComponent, at);
    }
    let raw = &sample[..p];
    let Some(value) = parse_f64(raw) else {
        return bad_slot(ErrorKind::MalformedValue, at);
    };
    let kind_text = &after[..kind_end];
    let f = fields_compat(fields, at + p + 1 + kind_end, kind_text, &bounds[..nb]).outcome();
    finish_slot(
        raw,
        value,
        MetricType::from_bytes(kind_text),
        at + p + 1,
        &f,
    )
}

#[cfg(test)]
mod name_scan_tests {
    use super::*;

    #[test]
    fn scan_name_like_a_loop() {
        let names: [&[u8]; 11] = [
            b"foo.bar:1|c",
            b"a,b=c:1|c",
            b"abcdefghijk#x=y:1|c",
            b"abcdefgh:1|c,#[]",
            b"na[k=v]me:1",
            b"\xc3\xa9t\xc3\xa9:1|c",
            b"no colon here, at all",
            b"x]y[z:1|c",
            b"abcdefghijklmnopqrstuvwxyz0123456789_-.:",
            b"abcdefghijklmnopqrstuvwxyz0123[x]456789abcdefghijklmnopqrstuvwxyz:1|c",
            b"abcdefghijklmno\xc3\xa9pqrstuvwxyz,0123456789abcdefghijklmnopqrst:1|c#",
        ];
        // Every truncation too: the colon and the delimiters in whole words and in the
        // zero-padded last word.
        for line in names
            .iter()
            .flat_map(|l| (0..=l.len()).map(|end| &l[..end]))
        {
            let (colon, special, non_ascii) = scan_name(line);
            let naive = line.iter().position(|&b| b == b':');
            assert_eq!(colon, naive);
            let name = &line[..naive.unwrap_or(line.len())];
            let text = String::from_utf8_lossy(line);
            assert_eq!(
                special,
                name.iter().any(|b| b"#,[]".contains(b)),
                "{text:?}"
            );
            if !name.is_ascii() {
                assert!(non_ascii, "{text:?}");
            }
        }
    }

    proptest::proptest! {
        /// Names over the delimiters and a non-ASCII letter, from none to several
        /// blocks long, with and without a colon.
        #[test]
        fn scan_name_like_a_loop_on_random_lines(line in "[a.#,\\[\\]\u{e9}]{0,70}(:[a:#,\\[\\]\u{e9}]{0,20})?") {
            let line = line.as_bytes();
            let (colon, special, non_ascii) = scan_name(line);
            let naive = line.iter().position(|&b| b == b':');
            proptest::prop_assert_eq!(colon, naive);
            let name = &line[..naive.unwrap_or(line.len())];
            proptest::prop_assert_eq!(special, name.iter().any(|b| b"#,[]".contains(b)));
            proptest::prop_assert!(non_ascii || name.is_ascii());
        }
    }
}

#[cfg(test)]
mod summary_tests {
    use super::*;

    /// The same metric on the general path with everything the parse worked out
    /// forgotten, so that the counters walk the samples, fields and tags as they do
    /// without a summary.
    fn walked<'a>(m: &Metric<'a>) -> Metric<'a> {
        let mut w = m.clone();
        if let Repr::Full(f) = &mut w.repr {
            f.summary.exact = false;
            f.summary.clean = false;
        }
        w
    }

    /// Every accessor of `m` and `w` agrees.
    fn same(m: &Metric<'_>, w: &Metric<'_>, text: &str) {
        assert_eq!(m.line(), w.line(), "{text:?}");
        assert_eq!(m.name(), w.name(), "{text:?}");
        assert_eq!(m.offset(), w.offset(), "{text:?}");
        assert_eq!(m.sample_count(), w.sample_count(), "{text:?}");
        assert_eq!(m.samples().len(), w.samples().len(), "{text:?}");
        assert_eq!(m.counts(), w.counts(), "{text:?}");
        assert_eq!(m.has_tags(), w.has_tags(), "{text:?}");
        assert_eq!(m.tag_errors(), w.tag_errors(), "{text:?}");
        assert!(m.sample_errors().eq(w.sample_errors()), "{text:?}");
        assert!(m.tags().eq(w.tags()), "{text:?}");
        // Bitwise, so that NaN values compare too.
        let bits = |s: Result<Sample<'_>, Error>| {
            s.map(|s| {
                let parts = (
                    s.raw_value().to_vec(),
                    s.kind(),
                    s.is_relative(),
                    s.timestamp(),
                );
                (parts, s.value().to_bits(), s.sample_rate().to_bits())
            })
        };
        assert!(m.samples().map(bits).eq(w.samples().map(bits)), "{text:?}");
        assert_eq!(m.container_id(), w.container_id(), "{text:?}");
        assert_eq!(m.external_data(), w.external_data(), "{text:?}");
        assert_eq!(m.cardinality(), w.cardinality(), "{text:?}");
        assert_eq!(m.parser(), w.parser(), "{text:?}");
    }

    /// The metric as parsed, the general path's and its walked form all agree, and
    /// the fast path takes only lines the general path accepts. Returns whether the
    /// fast path took the line.
    /// The parser modes the summary tests compare in.
    const SUMMARY_MODES: [Parser; 3] = [
        Parser::new(),
        Parser::dogstatsd(),
        Parser::new().dogstatsd_tags(false),
    ];

    fn check(parser: Parser, line: &[u8]) -> bool {
        let text = String::from_utf8_lossy(line);
        // `parse_metric` removes one trailing `\r` before either path.
        let stripped = match line {
            [rest @ .., b'\r'] => rest,
            _ => line,
        };
        let general = parser.metric_general(stripped, |m| m);
        let Ok(m) = parser.parse_metric(line) else {
            assert!(general.is_err(), "{text:?}");
            return false;
        };
        let general = general.unwrap();
        same(&m, &general, &text);
        same(&m, &walked(&general), &text);
        matches!(m.repr, Repr::Fast(_))
    }

    #[test]
    fn summary_equals_the_walk_on_examples() {
        for line in [
            &b"foo:1|c|#a:b,,c,#d:e,f:|c:id"[..],
            b"foo:1:2:x|h|#a:b,c:d|@0.5|#e:f",
            b"foo:1|#a:b|c:x",
            b"foo:1|c|@x|#a:b,k",
            b"foo:1|c|x|#a:b",
            b"foo:1|c|#a:b,#,|c:|T5",
            b"foo:1|c|#,a:b,",
            b"foo,x=y,z:1|c",
            b"foo:1|c||#a:b",
            b"foo:1|c|#a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9,j:10,k:11,l:12,m:13,n:14,o:15,p:16,q:17",
            b"foo:1:2:3:4:5:6:7:8:9:10|d|#a:b",
            b"foo:1|c:2|ms|#a:b",
            b"foo:1|c|c:abc",
            b"foo:1|g|#a:b|T12|@0.1|c:x|x",
            b"foo:1|c|#a:b\r",
            b"foo:1|c\r\r",
        ] {
            for parser in SUMMARY_MODES {
                check(parser, line);
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn summary_equals_the_walk(line in "[a-c]{1,3}([,#][a-c=]{0,4})?:[0-9x.+:]{0,6}(\\|[a-c#:,@T0-9.|]{0,12}){1,5}") {
            for parser in SUMMARY_MODES {
                check(parser, line.as_bytes());
            }
        }

        /// Lines built from the fields the fast path reads, with the near misses it
        /// must hand to the general path (bad values and rates, empty and unknown
        /// fields, a second list or id, non-ASCII bytes, too many fields).
        #[test]
        fn fast_equals_general(
            name in "[a-z.]{1,12}|[a-z]{1,3}[,#\\[\\]][a-z=]{0,4}|\u{e9}x",
            values in proptest::collection::vec(
                "[0-9]{1,20}|[+-]?[0-9]{0,6}\\.[0-9]{0,17}|[0-9]e-?[0-9]|NaN|-?inf|x|",
                1..7,
            ),
            kind in "c|g|ms|h|d|s|m|cc|c:2",
            fields in proptest::collection::vec(
                "@(0|0\\.[0-9]{1,3}|1e-2|x|)|T[0-9]{0,12}|Tx|c:[a-z0-9:\u{e9}-]{0,10}|c|#([#a-z:]{0,6},?){0,10}|e:x|card:low|\u{e9}|",
                0..6,
            ),
        ) {
            let mut line = format!("{name}:{}|{kind}", values.join(":"));
            for field in &fields {
                line.push('|');
                line.push_str(field);
            }
            for parser in [Parser::new(), Parser::dogstatsd(), Parser::new().signalfx_tags(false)] {
                check(parser, line.as_bytes());
            }
        }
    }

    #[test]
    fn fast_path_takes_the_common_shapes() {
        for line in [
            &b"foo.bar:1|c"[..],
            b"api.request.duration:320|ms|@0.1",
            b"checkout.latency:12.5|d|#env:prod,region:eu-west-1,service:checkout,version:1.4.2,host:web-17",
            b"queue.wait:1:2.5:3:40|h|#env:prod",
            b"requests.total:100|c|@0.5|#service:web,env:prod|c:ci-3a88cafe|T1700000000",
            b"g:-3|g|@0.5|@0.5",
            b"c:1|c|@0.5|@0|T7",
            b"many:1:2:3:4:5:6:7:8|d",
            b"tags:1|ms|#a:1,b:2,c:3,d:4,e:5,f:6,g:7,h:8,i:9,j:10",
            b"bad.tags:1|c|#,a,:b,c:,#d:e",
            b"f:1e-05|ms|#k:v|c:x:y",
        ] {
            let text = String::from_utf8_lossy(line);
            assert!(check(Parser::new(), line), "{text}");
            assert!(check(Parser::dogstatsd(), line), "{text}");
        }
        // Lines only the general path reads in statsd_exporter mode.
        for line in [
            &b"a,k=v:1|c"[..],
            b"a:1|c:2|ms",
            b"a:1:2|c",
            b"a:x|c",
            b"a:1|C",
            b"a:1|c||T5",
            b"a:1|c|",
            b"a:1|c|@x",
            b"a:1|c|#a:b|#c:d",
            b"a:1|c|c:",
            b"a:1|c|cx",
            b"a:1|c|Tx",
            b"a:1|c|\xff",
            b"a:1|c|#k:\xc3\xa9",
            b"a:1|c|@1|@1|@1|@1|@1",
            b"\xc3\xa9:1|c",
        ] {
            let text = String::from_utf8_lossy(line);
            assert!(!check(Parser::new(), line), "{text}");
        }
        // Packed values ending past byte 255 of the values (their ends are searched).
        for n in [14, 15, 16, 17, 40] {
            let values = vec!["12345678901.2345"; n].join(":");
            for line in [format!("p:{values}|d"), format!("p:{values}:7|ms|#k:v")] {
                assert!(check(Parser::new(), line.as_bytes()), "{line}");
                assert!(check(Parser::dogstatsd(), line.as_bytes()), "{line}");
            }
        }
        // Strict DogStatsD mode: a zero timestamp and set members are line errors or text.
        assert!(check(Parser::new(), b"c:1|c|T0"));
        assert!(!check(Parser::dogstatsd(), b"c:1|c|T0"));
        // The largest timestamp the fast path reads (19 digits), and one it leaves to
        // the general path (20 digits, u64::MAX).
        for parser in [Parser::new(), Parser::dogstatsd()] {
            assert!(check(parser, b"c:1|c|T9999999999999999999"));
            assert!(!check(parser, b"c:1|c|T18446744073709551615"));
            let m = parser.parse_metric(b"c:1|c|T9999999999999999999").unwrap();
            let s = m.samples().next().unwrap().unwrap();
            assert_eq!(s.timestamp(), Some(9_999_999_999_999_999_999));
            let m = parser.parse_metric(b"c:1|c").unwrap();
            assert_eq!(m.samples().next().unwrap().unwrap().timestamp(), None);
        }
        assert!(check(Parser::new(), b"s:7|s"));
        assert!(!check(Parser::dogstatsd(), b"s:7|s"));
        // Not read by the fast path without DogStatsD tags.
        assert!(!check(Parser::new().dogstatsd_tags(false), b"foo.bar:1|c"));
    }
}
#[cfg(test)]
#[test]
fn metric_stays_small() {
    // Past 256 bytes every parsed line pays `memcpy` calls to move its `Metric`
    // (measured with benches/scripts/callgrind-parse.sh): keep the spans compact.
    assert!(size_of::<Metric>() <= 256, "{}", size_of::<Metric>());
    assert!(size_of::<Result<crate::Item, Error>>() <= 256);
}
