//! Metric lines: `name:value[:value…]|type[|field…]`.

use smallvec::SmallVec;

use crate::error::{Error, ErrorKind};
use crate::kind::MetricType;
use crate::name::Name;
use crate::number::{parse_f64, parse_u64};
use crate::options::Parser;
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
    container_id: Option<&'a [u8]>,
    external_data: Option<&'a [u8]>,
    cardinality: Option<&'a [u8]>,
    samples: SmallVec<[Slot<'a>; 4]>,
    /// Samples whose DogStatsD tags statsd_exporter parsed (tag errors repeat per sample).
    tag_passes: u32,
    parser: Parser,
}

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
        self.samples
            .iter()
            .map(move |s| s.result.map_err(|e| e.shifted(base)))
    }

    /// Where the line starts in the buffer given to the entry point (0 for
    /// [`Parser::parse_line`], the line's offset for [`Parser::packet`]).
    pub fn offset(&self) -> usize {
        self.offset
    }

    pub(crate) fn set_offset(&mut self, offset: usize) {
        self.offset = offset;
    }

    /// Number of samples (good and bad).
    pub fn sample_count(&self) -> usize {
        self.samples.len()
    }

    /// Every sample error statsd_exporter counts for this line, in its order: for each
    /// sample, one `invalid_sample_factor` per unparsable `@` field (the sample is kept),
    /// then the sample's own error if it failed.
    pub fn sample_errors(&self) -> impl Iterator<Item = ErrorKind> + '_ {
        self.samples.iter().flat_map(|s| {
            core::iter::repeat_n(ErrorKind::InvalidSampleFactor, usize::from(s.invalid_rates))
                .chain(s.result.err().map(|e| e.kind()))
        })
    }

    /// The tags, lazily, in statsd_exporter's order (see [`Tags`]).
    pub fn tags(&self) -> Tags<'a> {
        Tags::new(
            self.name_tags.section,
            self.fields,
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
        if self.parser.dogstatsd_tags && self.tag_passes > 0 {
            let mut per_pass = 0;
            for field in self.fields.split(|&b| b == b'|') {
                if let [b'#', list @ ..] = field {
                    per_pass += count_list(list, b':', true, self.parser.strict()).1;
                }
            }
            errors += per_pass * self.tag_passes;
        }
        errors
    }

    /// What statsd_exporter's parser counts for this line.
    pub fn counts(&self) -> LineCounts {
        let processed = self.samples.iter().filter(|s| s.processed).count() as u32;
        LineCounts {
            samples: self.samples.len() as u32,
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

/// Where in the line the rest after the name starts, and what a first pass found.
struct Scan {
    /// First `|` in the rest.
    first_pipe: Option<usize>,
    /// A `:` before the first `|` (packed values).
    packed: bool,
    /// Position of the first `|#`.
    dog_tags: Option<usize>,
    /// A `|c:` field exists.
    container: bool,
}

/// One scalar pass over the rest of a short line (cheaper than one memchr per question).
#[inline]
fn scan(rest: &[u8]) -> Scan {
    let mut s = Scan {
        first_pipe: None,
        packed: false,
        dog_tags: None,
        container: false,
    };
    // `|` seen since the start or the last `:`: a `|c:` right after a value is the
    // type `c` of a multi-metric line (`a:1|c:2|ms`), not a container id field.
    let mut pipes_in_sample = 0u32;
    for (i, &b) in rest.iter().enumerate() {
        if b == b'|' {
            if s.first_pipe.is_none() {
                s.first_pipe = Some(i);
            }
            match rest.get(i + 1) {
                Some(b'#') if s.dog_tags.is_none() => s.dog_tags = Some(i),
                Some(b'c') if pipes_in_sample > 0 && rest.get(i + 2) == Some(&b':') => {
                    s.container = true
                }
                _ => {}
            }
            pipes_in_sample += 1;
        } else if b == b':' {
            s.packed |= s.first_pipe.is_none();
            pipes_in_sample = 0;
        }
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

/// statsd_exporter's field loop (line.go: components 3..6). `base` is the offset of
/// `fields` in the line; `fields` starts with `|` or is empty.
fn fields_compat<'a>(fields: &'a [u8], base: usize, kind: &[u8]) -> Fields<'a> {
    let mut out = Fields {
        result: Ok(()),
        empty: false,
        processed: fields,
        rate: 1.0,
        invalid_rates: 0,
        timestamp: None,
        container_id: None,
    };
    if fields.is_empty() {
        return out;
    }
    let body = &fields[1..];
    if body.is_empty()
        || body.first() == Some(&b'|')
        || body.last() == Some(&b'|')
        || contains_pair(body, b'|', b'|')
    {
        out.empty = true;
        out.result = Err(Error::new(ErrorKind::MalformedComponent, base));
        out.processed = &[];
        return out;
    }
    let counter = kind == b"c";
    let mut pos = 0;
    while pos < body.len() {
        let end = memchr_small(b'|', &body[pos..]).map_or(body.len(), |e| pos + e);
        let field = &body[pos..end];
        let at = base + 1 + pos;
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
                    out.processed = &fields[..1 + pos];
                    return out;
                }
            }
            b'T' => out.timestamp = parse_u64(&field[1..]),
            _ => {
                out.result = Err(Error::new(ErrorKind::InvalidSampleFactor, at));
                out.processed = &fields[..1 + pos];
                return out;
            }
        }
        pos = end + 1;
    }
    out
}

fn contains_pair(s: &[u8], a: u8, b: u8) -> bool {
    s.windows(2).any(|w| w[0] == a && w[1] == b)
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
    pub fn parse_metric<'a>(&self, line: &'a [u8]) -> Result<Metric<'a>, Error> {
        let line = match line {
            [rest @ .., b'\r'] => rest,
            _ => line,
        };
        if self.strict() {
            self.metric_strict(line)
        } else {
            self.metric_compat(line)
        }
    }

    fn name_part<'a>(&self, line: &'a [u8]) -> Result<NamePart<'a>, Error> {
        let colon = match memchr_small(b':', line) {
            Some(0) => return Err(Error::new(ErrorKind::MalformedLine, 0)),
            Some(i) => i,
            None => return Err(Error::new(ErrorKind::MalformedLine, line.len())),
        };
        if !self.strict()
            && !line.is_ascii()
            && let Err(e) = core::str::from_utf8(line)
        {
            return Err(Error::new(ErrorKind::MalformedLine, e.valid_up_to()));
        }
        let (head, tail, name_tags) = split_name(
            &line[..colon],
            self.signalfx_tags,
            self.librato_tags,
            self.influxdb_tags,
        );
        Ok((colon, head, tail, name_tags))
    }

    fn metric_compat<'a>(&self, line: &'a [u8]) -> Result<Metric<'a>, Error> {
        let (colon, head, tail, name_tags) = self.name_part(line)?;
        let line_err = |kind, at| Err(Error::new(kind, at).with_tag_errors(name_tags.errors));
        let rest_at = colon + 1;
        let rest = &line[rest_at..];
        let sc = scan(rest);
        if let Some(at) = sc.dog_tags
            && name_tags.valid > 0
        {
            return line_err(ErrorKind::MixedTaggingStyles, rest_at + at);
        }
        let Some(p1) = sc.first_pipe else {
            return line_err(ErrorKind::NotEnoughPartsAfterColon, line.len());
        };
        let mut metric = Metric {
            line,
            offset: 0,
            head,
            tail,
            name_tags,
            fields: &[],
            container_id: None,
            external_data: None,
            cardinality: None,
            samples: SmallVec::new(),
            tag_passes: 0,
            parser: *self,
        };
        if sc.packed || sc.dog_tags.is_some() || sc.container {
            // One shared suffix for every value.
            let values = &rest[..p1];
            let suffix = &rest[p1..];
            let kind_end = memchr_small(b'|', &suffix[1..]).map_or(suffix.len(), |e| e + 1);
            let kind_text = &suffix[1..kind_end];
            if sc.packed && !matches!(kind_text, b"ms" | b"h" | b"d") {
                return line_err(ErrorKind::InvalidExtendedAggregateType, rest_at + p1 + 1);
            }
            let fields_at = rest_at + p1 + kind_end;
            let field_text = &suffix[kind_end..];
            let components = 2 + field_text.iter().filter(|&&b| b == b'|').count();
            let mut shared: Option<Fields<'a>> = None;
            let mut start = 0;
            loop {
                let end = if sc.packed {
                    memchr_small(b':', &values[start..]).map_or(values.len(), |e| start + e)
                } else {
                    values.len()
                };
                let value = &values[start..end];
                let slot = if components > 6 {
                    bad_slot(ErrorKind::MalformedComponent, rest_at + start)
                } else {
                    match parse_f64(value) {
                        None => bad_slot(ErrorKind::MalformedValue, rest_at + start),
                        Some(v) => {
                            let f = *shared.get_or_insert_with(|| {
                                fields_compat(field_text, fields_at, kind_text)
                            });
                            if !f.empty {
                                metric.tag_passes += 1;
                            }
                            finish_slot(value, v, kind_text, rest_at + p1 + 1, &f)
                        }
                    }
                };
                metric.samples.push(slot);
                if end >= values.len() {
                    break;
                }
                start = end + 1;
            }
            if let Some(f) = shared {
                metric.fields = f.processed;
                metric.container_id = f.container_id;
            }
        } else {
            // statsd_exporter multi-metric lines: `a:1|c:2|ms`, each sample self-contained.
            let mut start = 0;
            loop {
                let end = memchr_small(b':', &rest[start..]).map_or(rest.len(), |e| start + e);
                let sample = &rest[start..end];
                metric.samples.push(sample_compat(sample, rest_at + start));
                if end >= rest.len() {
                    break;
                }
                start = end + 1;
            }
        }
        Ok(metric)
    }

    fn metric_strict<'a>(&self, line: &'a [u8]) -> Result<Metric<'a>, Error> {
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
        let mut metric = Metric {
            line,
            offset: 0,
            head,
            tail,
            name_tags,
            fields,
            container_id: None,
            external_data: None,
            cardinality: None,
            samples: SmallVec::new(),
            tag_passes: 1,
            parser: *self,
        };
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
        let make = |raw: &'a [u8], value: f64| Slot {
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
        };
        if kind == MetricType::Set {
            // Set members are strings: no packing, the value need not be a number.
            if values.is_empty() {
                return Err(Error::new(ErrorKind::MalformedValue, rest_at));
            }
            metric
                .samples
                .push(make(values, parse_f64(values).unwrap_or(f64::NAN)));
            return Ok(metric);
        }
        let mut start = 0;
        for value in values.split(|&b| b == b':') {
            let at = rest_at + start;
            start += value.len() + 1;
            if value.is_empty() {
                continue; // the Agent skips empty packed values (`1::2`)
            }
            match parse_f64(value) {
                Some(v) => metric.samples.push(make(value, v)),
                None => return Err(Error::new(ErrorKind::MalformedValue, at)),
            }
        }
        if metric.samples.is_empty() {
            return Err(Error::new(ErrorKind::MalformedValue, rest_at));
        }
        Ok(metric)
    }
}

fn bad_slot<'a>(kind: ErrorKind, at: usize) -> Slot<'a> {
    Slot {
        result: Err(Error::new(kind, at)),
        invalid_rates: 0,
        processed: false,
    }
}

/// Turns a parsed value and the field outcome into a sample slot.
fn finish_slot<'a>(
    raw: &'a [u8],
    value: f64,
    kind_text: &[u8],
    kind_at: usize,
    f: &Fields<'a>,
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
    }
}

/// One self-contained sample of a statsd_exporter multi-metric line (`1|c|@0.1`).
fn sample_compat(sample: &[u8], at: usize) -> Slot<'_> {
    let Some(p) = memchr_small(b'|', sample) else {
        return bad_slot(ErrorKind::MalformedComponent, at);
    };
    let after = &sample[p + 1..];
    let kind_end = memchr_small(b'|', after).unwrap_or(after.len());
    let fields = &after[kind_end..];
    if fields.iter().filter(|&&b| b == b'|').count() > 4 {
        return bad_slot(ErrorKind::MalformedComponent, at);
    }
    let raw = &sample[..p];
    let Some(value) = parse_f64(raw) else {
        return bad_slot(ErrorKind::MalformedValue, at);
    };
    let kind_text = &after[..kind_end];
    let f = fields_compat(fields, at + p + 1 + kind_end, kind_text);
    finish_slot(raw, value, kind_text, at + p + 1, &f)
}
