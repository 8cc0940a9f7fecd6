//! Metric lines: `name:value[:value…]|type[|field…]`.

use crate::error::{Error, ErrorKind};
use crate::kind::MetricType;
use crate::name::Name;
use crate::number::{parse_f64, parse_u64};
use crate::options::Parser;
use crate::scan::{HIGH, eq, find, first, load, splat};
use crate::tags::{NameTags, Tags, count_list, memchr_small, split_name};

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
    pub fn observation_count(&self) -> u64 {
        if !self.kind.is_observer() {
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
    line: &'a [u8],
    /// Offset of the line in the buffer given to the entry point.
    offset: usize,
    head: &'a [u8],
    tail: &'a [u8],
    name_tags: NameTags<'a>,
    /// The shared fields after the type (tags, container id…), processed part only.
    fields: &'a [u8],
    /// `fields` may hold tags (a `|#` list or, in statsd_exporter mode, a `|c:` id):
    /// when not, [`Metric::tags`] skips them without a look.
    field_tags: bool,
    container_id: Option<&'a [u8]>,
    external_data: Option<&'a [u8]>,
    cardinality: Option<&'a [u8]>,
    /// How to produce the samples: they are decoded lazily, which keeps `Metric`
    /// small (no per-line copy of a sample array) and costs nothing until asked.
    values: Values<'a>,
    /// Number of samples.
    count: u32,
    parser: Parser,
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
        kind_text: &'a [u8],
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
    timestamp: Option<u64>,
}

/// Produces the samples of a metric, one [`Slot`] at a time.
#[derive(Clone, Debug)]
struct SlotIter<'a> {
    values: Values<'a>,
    pos: usize,
    left: u32,
}

impl<'a> Iterator for SlotIter<'a> {
    type Item = Slot<'a>;

    #[inline]
    fn next(&mut self) -> Option<Slot<'a>> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let start = self.pos;
        Some(match self.values {
            Values::None => return None,
            Values::Shared {
                values,
                values_at,
                packed,
                too_many_components,
                kind_text,
                kind_at,
                fields,
            } => {
                let end = if packed {
                    find(&values[start..], b':').map_or(values.len(), |e| start + e)
                } else {
                    values.len()
                };
                self.pos = end + 1;
                let value = &values[start..end];
                let at = values_at as usize + start;
                if too_many_components {
                    bad_slot(ErrorKind::MalformedComponent, at)
                } else {
                    match (parse_f64(value), fields) {
                        (Some(v), Some(f)) => {
                            finish_slot(value, v, kind_text, kind_at as usize, &f)
                        }
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
                let (raw, value) = if kind == MetricType::Set {
                    (values, parse_f64(values).unwrap_or(f64::NAN))
                } else {
                    // Skip the empty items the Agent skips (`1::2`).
                    let mut start = start;
                    while values.get(start) == Some(&b':') {
                        start += 1;
                    }
                    let end = find(&values[start..], b':').map_or(values.len(), |e| start + e);
                    self.pos = end + 1;
                    let raw = &values[start..end];
                    (raw, parse_f64(raw).unwrap_or(f64::NAN))
                };
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

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left as usize, Some(self.left as usize))
    }
}

impl ExactSizeIterator for SlotIter<'_> {}

impl<'a> Metric<'a> {
    /// The whole line (without line terminator).
    pub fn line(&self) -> &'a [u8] {
        self.line
    }

    /// The name, with name-embedded tags removed.
    pub fn name(&self) -> Name<'a> {
        Name::new(self.head, self.tail)
    }

    /// The samples, in line order: `Ok` for a good one, `Err` with the reason and the
    /// offset for a bad one. A set (`s`) is `Ok` here: statsd_exporter counts it as
    /// `illegal_event` at event building, and that is the consumer's decision.
    pub fn samples(&self) -> impl ExactSizeIterator<Item = Result<Sample<'a>, Error>> + Clone + '_ {
        let base = self.offset;
        self.slots()
            .map(move |s| s.result.map_err(|e| e.shifted(base)))
    }

    fn slots(&self) -> SlotIter<'a> {
        SlotIter {
            values: self.values,
            pos: 0,
            left: self.count,
        }
    }

    /// Where the line starts in the buffer given to the entry point (0 for
    /// [`Parser::parse_line`], the line's offset for [`Parser::packet`]).
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// An empty metric for `line`, to be filled by the parser.
    #[inline(always)]
    pub(crate) fn blank(line: &'a [u8], parser: Parser) -> Metric<'a> {
        Metric {
            line,
            offset: 0,
            head: &[],
            tail: &[],
            name_tags: NameTags::default(),
            fields: &[],
            field_tags: false,
            container_id: None,
            external_data: None,
            cardinality: None,
            values: Values::None,
            count: 0,
            parser,
        }
    }

    pub(crate) fn set_offset(&mut self, offset: usize) {
        self.offset = offset;
    }

    /// Number of samples (good and bad).
    pub fn sample_count(&self) -> usize {
        self.count as usize
    }

    /// Every sample error statsd_exporter counts for this line, in its order: for each
    /// sample, one `invalid_sample_factor` per unparsable `@` field (the sample is kept),
    /// then the sample's own error if it failed.
    pub fn sample_errors(&self) -> impl Iterator<Item = ErrorKind> + '_ {
        self.slots().flat_map(|s| {
            core::iter::repeat_n(ErrorKind::InvalidSampleFactor, usize::from(s.invalid_rates))
                .chain(s.result.err().map(|e| e.kind()))
        })
    }

    /// The tags, lazily, in statsd_exporter's order (see [`Tags`]).
    pub fn tags(&self) -> Tags<'a> {
        Tags::new(
            self.name_tags.section,
            if self.field_tags { self.fields } else { &[] },
            self.parser.dogstatsd_tags,
            !self.parser.strict(),
            self.parser.strict(),
        )
    }

    /// True when the line carries at least one valid tag (in statsd_exporter mode the
    /// `|c:` container id counts, as it becomes the `container_id` label).
    pub fn has_tags(&self) -> bool {
        self.tags().next().is_some()
    }

    /// The tag errors statsd_exporter counts for this line (empty, keyless or valueless
    /// tags, a lone or reversed SignalFX bracket). Scans the tags.
    pub fn tag_errors(&self) -> u32 {
        let mut errors = self.name_tags.errors;
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

    /// What statsd_exporter's parser counts for this line.
    pub fn counts(&self) -> LineCounts {
        let processed = self.slots().filter(|s| s.processed).count() as u32;
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
        self.container_id
    }

    /// DogStatsD 1.5 external data from `|e:…` (strict DogStatsD mode only).
    pub fn external_data(&self) -> Option<&'a [u8]> {
        self.external_data
    }

    /// DogStatsD 1.6 cardinality from `|card:…` (strict DogStatsD mode only), raw.
    /// See [`Cardinality::from_bytes`] for the Agent's reading.
    pub fn cardinality(&self) -> Option<&'a [u8]> {
        self.cardinality
    }

    /// The parser options this line was parsed with.
    pub fn parser(&self) -> Parser {
        self.parser
    }
}

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
}

/// The colon ending the name, whether the name holds a tag delimiter (`[ ] # ,`),
/// and the OR of the words scanned (for the ASCII check).
#[inline(always)]
fn scan_name(line: &[u8]) -> (Option<usize>, bool, u64) {
    let colon = splat(b':');
    let mut bits = 0;
    let mut special = 0;
    let mut i = 0;
    while i < line.len() {
        let w = load(line, i);
        bits |= w;
        let c = eq(w, colon);
        let t = maybe_name_tag(w);
        if c != 0 {
            // Only delimiters before the colon belong to the name.
            let below = c ^ (c - 1);
            return (Some(i + first(c)), special != 0 || t & below != 0, bits);
        }
        special |= t;
        i += 8;
    }
    (None, special != 0, bits)
}

/// High bit set in every lane that may start name-embedded tags: each `#`, `,`, `[`
/// and `]` lane is flagged (exactly, no borrows between lanes), and so are the rare
/// punctuation bytes below `-` and the backslash. A false positive only costs a call to the
/// exact `split_name`; half the operations of four equality tests.
#[inline(always)]
fn maybe_name_tag(w: u64) -> u64 {
    const LO7: u64 = !HIGH;
    let x7 = w & LO7;
    let ascii = !w & HIGH;
    // Lanes below `-` (0x2D): `#` 0x23, `,` 0x2C. `x7 + 0x53` stays below 0x100.
    let low = !(x7 + splat(0x80 - 0x2D));
    // Lanes in 0x5B..=0x5D: `[`, backslash, `]` (bit hacks' `hasbetween`, exact for ASCII).
    let brackets = (splat(127 + 0x5E) - x7) & (x7 + splat(127 - 0x5A));
    (low | brackets) & ascii
}

/// One pass over the rest of the line, word by word, visiting only `|` and `:`.
#[inline(always)]
fn scan_rest(rest: &[u8]) -> Scan {
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
                    Some(b'#') if s.dog_tags.is_none() => s.dog_tags = Some(pos),
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
        i += 8;
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
            timestamp: self.timestamp,
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
        // Filled in place: a `Metric` is a few hundred bytes, and building it in a local
        // then moving it into the result costs a memcpy per line.
        let mut out = Ok(Metric::blank(line, *self));
        if let Ok(metric) = &mut out
            && let Err(e) = self.fill_metric(line, metric)
        {
            out = Err(e);
        }
        out
    }

    /// Parses a metric line (without `\r`) into a blank `Metric`.
    #[inline(always)]
    pub(crate) fn fill_metric<'a>(
        &self,
        line: &'a [u8],
        metric: &mut Metric<'a>,
    ) -> Result<(), Error> {
        if self.strict() {
            self.metric_strict(line, metric)
        } else {
            self.metric_compat(line, metric)
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
    fn metric_compat<'a>(&self, line: &'a [u8], metric: &mut Metric<'a>) -> Result<(), Error> {
        let (colon, special, name_bits) = scan_name(line);
        let colon = match colon {
            Some(0) => return Err(Error::new(ErrorKind::MalformedLine, 0)),
            Some(i) => i,
            None => return Err(Error::new(ErrorKind::MalformedLine, line.len())),
        };
        let rest_at = colon + 1;
        let rest = &line[rest_at..];
        let sc = scan_rest(rest);
        // One non-ASCII byte anywhere: statsd_exporter wants the whole line to be UTF-8.
        if (name_bits | sc.bits) & HIGH != 0
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
        metric.head = head;
        metric.tail = tail;
        metric.name_tags = name_tags;
        if !sc.colon || sc.packed || sc.dog_tags.is_some() || sc.container {
            // One shared suffix for every value (a single value when there is no `:`).
            let p1 = sc.pipes[0] as usize;
            let values = &rest[..p1];
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
                metric.fields = f.processed;
                metric.field_tags = sc.dog_tags.is_some() || f.container_id.is_some();
                metric.container_id = f.container_id;
                f.outcome()
            });
            metric.count = if sc.packed {
                1 + sc.colons_in_values as u32
            } else {
                1
            };
            metric.values = Values::Shared {
                values,
                values_at: rest_at as u32,
                packed: sc.packed,
                too_many_components: components > 6,
                kind_text,
                kind_at: (rest_at + p1 + 1) as u32,
                fields,
            };
        } else {
            // statsd_exporter multi-metric lines: `a:1|c:2|ms`, each sample self-contained.
            metric.count = 1 + sc.colons as u32;
            metric.values = Values::Split {
                rest,
                rest_at: rest_at as u32,
            };
        }
        Ok(())
    }

    fn metric_strict<'a>(&self, line: &'a [u8], metric: &mut Metric<'a>) -> Result<(), Error> {
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
        metric.head = head;
        metric.tail = tail;
        metric.name_tags = name_tags;
        metric.fields = fields;
        metric.field_tags = true;
        let mut rate = 1.0;
        let mut timestamp = None;
        let mut pos = 0;
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
                [b'c', b':', id @ ..] => metric.container_id = Some(id),
                [b'e', b':', data @ ..] => metric.external_data = Some(data),
                [b'c', b'a', b'r', b'd', b':', card @ ..] => metric.cardinality = Some(card),
                _ => {} // `#` tags are walked lazily; unknown fields are ignored.
            }
        }
        let count = if kind == MetricType::Set {
            // Set members are strings: no packing, the value need not be a number.
            if values.is_empty() {
                return Err(Error::new(ErrorKind::MalformedValue, rest_at));
            }
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
                if parse_f64(value).is_none() {
                    return Err(Error::new(ErrorKind::MalformedValue, at));
                }
                count += 1;
            }
            if count == 0 {
                return Err(Error::new(ErrorKind::MalformedValue, rest_at));
            }
            count
        };
        metric.count = count;
        metric.values = Values::Strict {
            values,
            kind,
            rate,
            timestamp,
        };
        Ok(())
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
    kind_text: &[u8],
    kind_at: usize,
    f: &FieldOutcome,
) -> Slot<'a> {
    let result = match f.result {
        Err(e) => Err(e),
        Ok(()) => match MetricType::from_bytes(kind_text) {
            Some(kind) => Ok(Sample {
                raw,
                value,
                rate: f.rate,
                timestamp: f.timestamp,
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
    finish_slot(raw, value, kind_text, at + p + 1, &f)
}

#[cfg(test)]
mod name_scan_tests {
    use super::*;

    #[test]
    fn maybe_name_tag_flags_every_delimiter() {
        for b in 0..=255u8 {
            for lane in 0..8 {
                let w = load(b"abcdefgh", 0) & !(0xFF << (8 * lane)) | u64::from(b) << (8 * lane);
                let flagged = maybe_name_tag(w) & (0x80 << (8 * lane)) != 0;
                if matches!(b, b'#' | b',' | b'[' | b']') {
                    assert!(flagged, "{b:#x} in lane {lane}");
                }
                // Letters, digits, `.`, `_`, `-` and non-ASCII bytes are never flagged.
                if b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | 0x80..) {
                    assert!(!flagged, "{b:#x} in lane {lane}");
                }
            }
        }
    }

    #[test]
    fn scan_name_like_a_loop() {
        let names: [&[u8]; 9] = [
            b"foo.bar:1|c",
            b"a,b=c:1|c",
            b"abcdefghijk#x=y:1|c",
            b"abcdefgh:1|c,#[]",
            b"na[k=v]me:1",
            b"\xc3\xa9t\xc3\xa9:1|c",
            b"no colon here, at all",
            b"x]y[z:1|c",
            b"abcdefghijklmnopqrstuvwxyz0123456789_-.:",
        ];
        for line in names {
            let (colon, special, _) = scan_name(line);
            let naive = line.iter().position(|&b| b == b':');
            assert_eq!(colon, naive);
            let name = &line[..naive.unwrap_or(line.len())];
            if name.iter().any(|b| b"#,[]".contains(b)) {
                assert!(special, "{:?}", String::from_utf8_lossy(line));
            }
        }
    }
}
