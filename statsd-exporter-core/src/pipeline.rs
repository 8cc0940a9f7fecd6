//! Packet bytes → `statsd-proto` → `statsd-mapper` → a [`Sink`], with statsd_exporter's
//! event semantics and accounting.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use smallvec::SmallVec;
use statsd_mapper::{
    Action, Captures, DEFAULT_HELP, Mapper, MetricKind, ObserverType, Rule,
    escape_metric_name_into, escapes_to_itself,
};
use statsd_proto::{ErrorKind, Item, Metric, MetricType, Parser, Sample};

use crate::sink::{Event, HintedEvent, Label, Observer, Rejection, SeriesHint, Sink, Value};
use crate::stats::{EVENT_ERROR_REASONS, EVENT_TYPES, SERIES_DROPPED_REASONS, Stats};

mod resolved;

use resolved::{Allowance, Resolved};

/// Most finished mappings one pipeline keeps (fewer when the mapper's cache is smaller):
/// one pipeline runs per receive thread and per TCP connection. All clones' tables
/// together hold at most [`resolved::SHARED_BYTES`] of heap.
const RESOLVED_CAPACITY: usize = 1024;

/// What every clone of a pipeline shares.
#[derive(Debug)]
struct Shared {
    parser: Parser,
    mapper: RwLock<Arc<Mapper>>,
    /// Bumped on every [`Pipeline::set_mapper`]; clones compare it once per packet.
    generation: AtomicU64,
    stats: Arc<Stats>,
    /// The heap all clones' tables of finished mappings may hold together.
    resolved_allowance: Arc<Allowance>,
}

/// The StatsD pipeline: parses packets, maps each sample, applies statsd_exporter's event
/// rules and hands the events to a [`Sink`], counting everything under statsd_exporter's
/// self-metrics.
///
/// A `Pipeline` carries per-thread scratch buffers, so give each ingest thread its own
/// [`clone`](Clone::clone): clones share the parser options, the mapper (swapped for all of
/// them by [`set_mapper`](Pipeline::set_mapper)) and the [`Stats`]. After warm-up, a packet
/// whose series already exist is processed without allocating.
///
/// Each clone also keeps the *finished* mapping of the StatsD names it has seen (escaped
/// metric name, expanded mapping labels), so that a repeated name costs one hash and one
/// byte comparison instead of a UTF-8 check, a mapper lookup, template expansion and
/// escaping. It holds at most the mapper's cache capacity (`--statsd.cache-size`) or 1024
/// names, whichever is smaller, names up to 256 bytes, and is emptied when the mapper
/// changes; a mapper without a cache turns it off too.
///
/// Per line, the pipeline's own work around the parser and the store is one newline
/// search ([`statsd_proto::find_line_end`], which also counts the line), one hash and byte comparison in the
/// finished-mapping table, the value conversion and per-packet counts (added to the shared
/// [`Stats`] once per packet or batch, never per line). A line whose mapping keeps a
/// [`SeriesHint`] the sink still recognises goes to [`Sink::record_by_hint`] with its label
/// count only; the event's label list is built only when the sink cannot follow the hint.
/// Measured with the Mastodon mapping (`LINES=30000 scripts/callgrind-exporter.sh` at
/// `1fabb39`): 1 276 instructions a line from the TCP read to the store, of which
/// `Pipeline::sample` (finished-mapping lookup, value, store) is about 610: ~145 the
/// store's hinted hit (summary buffer included), ~26 its lock, ~49 the share of the
/// summary buffer flushes and ~35 the first sight of each of the run's 212 names (mapping,
/// template expansion, kept entry), which longer runs spread thinner.
///
/// ```
/// use std::sync::Arc;
/// use statsd_exporter_core::{Format, Pipeline, PrometheusSink};
/// use statsd_mapper::{Mapper, MapperConfig};
/// use statsd_proto::Parser;
///
/// let yaml = r#"
/// mappings:
/// - match: "api.*.requests"
///   name: api_requests_total
///   labels: { service: "$1" }
/// "#;
/// let mapper = Arc::new(Mapper::new(MapperConfig::from_yaml_str(yaml, None)?, 1000));
/// let sink = PrometheusSink::default();
/// let mut pipeline = Pipeline::new(mapper, Parser::new().events(false), sink.stats().clone());
///
/// pipeline.process_packet(b"api.users.requests:3|c|#code:200\nlatency:320|ms", &mut sink.recorder());
///
/// let mut out = Vec::new();
/// sink.expose_metrics(&mut out, Format::Text).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains("api_requests_total{code=\"200\",service=\"users\"} 3\n"));
/// assert!(text.contains("latency_sum 0.32\n"));
/// assert!(text.contains("statsd_exporter_events_total{type=\"observer\"} 1\n"));
/// # Ok::<(), statsd_mapper::Error>(())
/// ```
#[derive(Debug)]
pub struct Pipeline {
    shared: Arc<Shared>,
    mapper: Arc<Mapper>,
    generation: u64,
    captures: Captures,
    /// Escaped names and expanded label values of the sample being processed.
    arena: String,
    /// A templated name before escaping; a SignalFX-split StatsD name.
    scratch: String,
    name: String,
    /// Finished mappings of names seen before.
    resolved: Resolved,
}

impl Clone for Pipeline {
    /// Another handle on the same parser, mapper and stats, with its own scratch buffers.
    fn clone(&self) -> Self {
        Pipeline::from_shared(self.shared.clone())
    }
}

/// A string of the event being built: borrowed from the packet or the mapping, or a range
/// of the arena.
#[derive(Clone, Copy, Debug)]
enum Text<'a> {
    Borrowed(&'a str),
    Arena(u32, u32),
}

impl<'a> Text<'a> {
    #[inline]
    fn get<'b>(self, arena: &'b str) -> &'b str
    where
        'a: 'b,
    {
        match self {
            Text::Borrowed(s) => s,
            Text::Arena(start, end) => arena.get(start as usize..end as usize).unwrap_or(""),
        }
    }
}

/// `text` escaped like statsd_exporter's `EscapeMetricName`: `text` itself when nothing
/// changes (most tag names), else written into the arena (which does not allocate once it
/// has grown, unlike an owned `Cow`).
#[inline]
fn escaped<'a>(text: &'a str, arena: &mut String) -> Text<'a> {
    if escapes_to_itself(text) {
        return Text::Borrowed(text);
    }
    let start = arena.len() as u32;
    escape_metric_name_into(text, arena);
    Text::Arena(start, arena.len() as u32)
}

/// Per-packet counts, added to the shared [`Stats`] once per packet so that ingest threads
/// do not fight over the counters' cache lines for every line.
#[derive(Default)]
struct Tally {
    lines: u64,
    samples: u64,
    tags: u64,
    tag_errors: u64,
    sample_errors: [u64; ErrorKind::ALL.len()],
    events: [u64; EVENT_TYPES.len()],
    unmapped: u64,
    map: u64,
    drop: u64,
    event_errors: [u64; EVENT_ERROR_REASONS.len()],
    dropped: [u64; SERIES_DROPPED_REASONS.len()],
    /// Set with any count of the three arrays above: most packets have none, and walking
    /// them cost about half of a flush (~80 instructions, once per packet).
    errors: bool,
}

impl Tally {
    #[inline]
    fn sample_error(&mut self, kind: ErrorKind) {
        if let Some(i) = ErrorKind::ALL.iter().position(|k| *k == kind) {
            self.sample_errors[i] += 1;
            self.errors = true;
        }
    }

    #[inline]
    fn event_error(&mut self, reason: &str) {
        if let Some(i) = EVENT_ERROR_REASONS.iter().position(|r| *r == reason) {
            self.event_errors[i] += 1;
            self.errors = true;
        }
    }

    #[inline]
    fn series_dropped(&mut self, i: usize) {
        if let Some(n) = self.dropped.get_mut(i) {
            *n += 1;
            self.errors = true;
        }
    }

    fn flush(&self, stats: &Stats) {
        stats.lines.add(self.lines);
        stats.samples.add(self.samples);
        stats.tags.add(self.tags);
        stats.tag_errors.add(self.tag_errors);
        for (i, n) in self.events.iter().enumerate() {
            stats.events.add_at(i, *n);
        }
        stats.events_unmapped.add(self.unmapped);
        stats.events_actions.add_at(0, self.map);
        stats.events_actions.add_at(1, self.drop);
        if !self.errors {
            return;
        }
        for (kind, n) in ErrorKind::ALL.iter().zip(self.sample_errors) {
            stats.sample_errors.add(kind.as_str(), n);
        }
        for (i, n) in self.event_errors.iter().enumerate() {
            stats.events_error.add_at(i, *n);
        }
        for (i, n) in self.dropped.iter().enumerate() {
            stats.series_dropped.add_at(i, *n);
        }
    }
}

impl Pipeline {
    /// A pipeline over `mapper`, parsing with `parser`, counting into `stats` (pass the
    /// [`PrometheusSink::stats`](crate::PrometheusSink::stats) of the sink whose `/metrics`
    /// should show the counts).
    ///
    /// For statsd_exporter's exact error counts, turn the parser's DogStatsD event and
    /// service-check support off (`Parser::new().events(false)`): the pipeline ignores
    /// events and service checks, while statsd_exporter counts them as bad lines.
    pub fn new(mapper: Arc<Mapper>, parser: Parser, stats: Arc<Stats>) -> Self {
        Pipeline::from_shared(Arc::new(Shared {
            parser,
            mapper: RwLock::new(mapper),
            generation: AtomicU64::new(0),
            stats,
            resolved_allowance: Allowance::new(resolved::SHARED_BYTES),
        }))
    }

    fn from_shared(shared: Arc<Shared>) -> Self {
        let (mapper, generation) = Self::current(&shared);
        let resolved = Resolved::new(
            mapper.cache_capacity().min(RESOLVED_CAPACITY),
            Arc::clone(&shared.resolved_allowance),
        );
        Pipeline {
            shared,
            mapper,
            generation,
            captures: Captures::new(),
            arena: String::new(),
            scratch: String::new(),
            name: String::new(),
            resolved,
        }
    }

    fn current(shared: &Shared) -> (Arc<Mapper>, u64) {
        let mapper = shared
            .mapper
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        (mapper.clone(), shared.generation.load(Ordering::Acquire))
    }

    /// Replaces the mapper (a configuration reload) for this pipeline and all its clones;
    /// each picks it up at the start of its next packet. Existing series keep the options
    /// they were created with (as in statsd_exporter); TTLs follow the new mapping at the
    /// next sample of each series.
    pub fn set_mapper(&self, mapper: Arc<Mapper>) {
        let mut slot = self
            .shared
            .mapper
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = mapper;
        self.shared.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The mapper this pipeline uses now.
    pub fn mapper(&self) -> &Arc<Mapper> {
        &self.mapper
    }

    /// The parser options.
    pub fn parser(&self) -> Parser {
        self.shared.parser
    }

    /// The counters this pipeline adds to.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.shared.stats
    }

    #[inline]
    fn refresh_mapper(&mut self) {
        if self.shared.generation.load(Ordering::Acquire) != self.generation {
            (self.mapper, self.generation) = Self::current(&self.shared);
            // Finished mappings belong to the old mapper.
            self.resolved
                .reset(self.mapper.cache_capacity().min(RESOLVED_CAPACITY));
        }
    }

    /// Processes one UDP or unixgram datagram: every `\n`-separated line (a trailing `\r`
    /// is removed), counting `statsd_exporter_lines_total` the way statsd_exporter does for
    /// datagrams (every piece, including empty ones).
    pub fn process_packet<S: Sink + ?Sized>(&mut self, packet: &[u8], sink: &mut S) {
        self.refresh_mapper();
        let mut tally = Tally::default();
        self.lines(packet, sink, &mut tally);
        tally.flush(&self.shared.stats);
    }

    /// Processes a batch of datagrams (what one `recvmmsg` call returns), exactly as
    /// [`process_packet`](Self::process_packet) on each in turn, but with the per-datagram
    /// costs paid once per batch: the mapper generation check and the flush of the counts
    /// into the shared [`Stats`] (a handful of atomic additions, contended between ingest
    /// threads). StatsD clients like Mastodon's send one line per datagram, so these
    /// costs would otherwise be paid per line.
    ///
    /// Accepts any iterable of byte slices: `&[&[u8]]`, `&[Vec<u8>]`, an iterator.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use statsd_exporter_core::{Pipeline, PrometheusSink};
    /// use statsd_mapper::Mapper;
    /// use statsd_proto::Parser;
    ///
    /// let sink = PrometheusSink::default();
    /// let mut pipeline = Pipeline::new(Arc::new(Mapper::empty()), Parser::new(), sink.stats().clone());
    /// let datagrams: [&[u8]; 3] = [b"hits:1|c", b"hits:2|c\nload:0.5|g", b"bad line"];
    /// pipeline.process_packets(&datagrams, &mut sink.recorder());
    /// assert_eq!(sink.series_count(), 2);
    /// assert_eq!(sink.stats().lines.get(), 4);
    /// ```
    pub fn process_packets<P, S>(&mut self, packets: impl IntoIterator<Item = P>, sink: &mut S)
    where
        P: AsRef<[u8]>,
        S: Sink + ?Sized,
    {
        self.refresh_mapper();
        let mut tally = Tally::default();
        for packet in packets {
            self.lines(packet.as_ref(), sink, &mut tally);
        }
        tally.flush(&self.shared.stats);
    }

    /// Processes one line of a stream (TCP): counts one line, as statsd_exporter does per
    /// line read.
    pub fn process_line<S: Sink + ?Sized>(&mut self, line: &[u8], sink: &mut S) {
        self.refresh_mapper();
        let mut tally = Tally {
            lines: 1,
            ..Tally::default()
        };
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        // `parse_line` removes the one `\r` of a `\r\n` end itself, as for packets.
        if !matches!(line, [] | [b'\r']) {
            let item = self.shared.parser.parse_line(line);
            self.item(&item, sink, &mut tally);
        }
        tally.flush(&self.shared.stats);
    }

    /// Every line of `packet`, split as `Parser::packet` splits it (on `\n`; empty lines
    /// and lines that are only `\r` skipped), and counted as `line_count` counts them
    /// (every piece, empty ones included) in the same walk: one newline search per line,
    /// where `line_count` followed by `Parser::packet` searched the packet twice.
    #[inline]
    fn lines<S: Sink + ?Sized>(&mut self, packet: &[u8], sink: &mut S, tally: &mut Tally) {
        let parser = self.shared.parser;
        let mut rest = packet;
        loop {
            tally.lines += 1;
            let (line, next) = match statsd_proto::find_line_end(rest) {
                Some(end) => (&rest[..end], Some(&rest[end + 1..])),
                None => (rest, None),
            };
            // `parse_line` removes the one `\r` of a `\r\n` end itself.
            if !matches!(line, [] | [b'\r']) {
                let item = parser.parse_line(line);
                self.item(&item, sink, tally);
            }
            match next {
                Some(next) => rest = next,
                None => break,
            }
        }
    }

    #[inline]
    fn item<S: Sink + ?Sized>(
        &mut self,
        item: &Result<Item<'_>, statsd_proto::Error>,
        sink: &mut S,
        tally: &mut Tally,
    ) {
        match item {
            Ok(Item::Metric(metric)) => self.metric(metric, sink, tally),
            // statsd_exporter has no events or service checks; a Prometheus sink has no
            // place for them either.
            Ok(Item::Event(_) | Item::ServiceCheck(_)) => {}
            Err(error) => {
                tally.sample_error(error.kind());
                tally.tag_errors += u64::from(error.tag_errors());
            }
        }
    }

    fn metric<S: Sink + ?Sized>(&mut self, metric: &Metric<'_>, sink: &mut S, tally: &mut Tally) {
        let counts = metric.counts();
        tally.samples += u64::from(counts.samples);
        tally.tags += u64::from(counts.samples_with_tags);
        tally.tag_errors += u64::from(counts.tag_errors);
        // `for_each` (internal iteration) rather than a `for` loop: on a fast-path line
        // the flattened iterator is empty, and `for_each` finds that with one check.
        metric
            .sample_errors()
            .for_each(|kind| tally.sample_error(kind));

        let raw_name = metric.name().as_contiguous();
        metric.samples().for_each(|sample| {
            // A bad sample is counted by `sample_errors()` above.
            if let Ok(sample) = sample {
                self.sample(metric, raw_name, &sample, sink, tally);
            }
        });
    }

    /// One good sample of `metric`: mapped, turned into an event, recorded.
    ///
    /// Out of line: inlined into the line loop, its loop-invariant parts were hoisted
    /// and spilled to the stack for every line, though nearly every line has one sample.
    #[inline(never)]
    fn sample<S: Sink + ?Sized>(
        &mut self,
        metric: &Metric<'_>,
        raw_name: Option<&[u8]>,
        sample: &Sample<'_>,
        sink: &mut S,
        tally: &mut Tally,
    ) {
        let Pipeline {
            mapper,
            captures,
            arena,
            scratch,
            name: name_buffer,
            shared,
            resolved,
            ..
        } = self;
        let mapper: &Mapper = mapper;
        if sample.kind() == MetricType::Set {
            // statsd_exporter: "no support for StatsD sets".
            tally.sample_error(ErrorKind::IllegalEvent);
            return;
        }
        let Some(kind) = MetricKind::of(sample.kind()) else {
            return;
        };
        // The finished mapping: kept by this pipeline when the name was seen before
        // (no UTF-8 check, lookup, expansion or escaping), else resolved and kept.
        let key = raw_name.and_then(|bytes| resolved.key(kind, bytes));
        let found = match (key, raw_name) {
            (Some(key), Some(bytes)) => resolved.find(key, bytes),
            _ => None,
        };
        let index = match found {
            Some(index) => index,
            None => resolve(
                resolved,
                key,
                mapper,
                captures,
                scratch,
                name_buffer,
                metric,
                kind,
            ),
        };
        let entry = resolved.entry(index);
        let rule = entry
            .rule
            .and_then(|r| mapper.config().rules().get(r as usize));
        arena.clear();

        let action = rule.map_or(Action::Unmapped, Rule::action);
        if action == Action::Drop {
            tally.drop += 1;
            return;
        }
        let name = entry.name();
        if name.is_empty() {
            tally.event_error("empty_metric_name");
            return;
        }
        match action {
            Action::Map => tally.map += 1,
            _ => tally.unmapped += 1,
        }

        // A tagged line's labels are built in the arena, and only when the sink needs
        // them (below); an untagged line's are the mapping's, as kept.
        let tagged = metric.has_tags();
        let honor = rule.is_some_and(Rule::honor_labels);

        // The value, as statsd_exporter computes it.
        let defaults = mapper.config().defaults();
        let scale = rule.and_then(Rule::scale).unwrap_or(1.0);
        let observer = rule.map_or(defaults.observer(), Rule::observer);
        let value = match kind {
            MetricKind::Counter => {
                let v = sample.value() / sample.sample_rate() * scale;
                if v < 0.0 {
                    tally.event_error("illegal_negative_counter");
                    if tagged {
                        // Its tags are walked all the same, so that their errors count.
                        let mut unused = SmallVec::new();
                        tagged_labels(metric, entry.labels(), honor, arena, tally, &mut unused);
                    }
                    return;
                }
                Value::Counter(v)
            }
            MetricKind::Gauge if sample.is_relative() => Value::GaugeAdd(sample.value() * scale),
            MetricKind::Gauge => Value::GaugeSet(sample.value() * scale),
            MetricKind::Observer => {
                let mut v = sample.value();
                if sample.kind() == MetricType::Timer {
                    v /= 1000.0;
                }
                let mut count = sample.observation_count();
                if count == 0 {
                    // A rate above 1, negative or NaN: statsd_exporter silently records
                    // nothing. The sample did happen, so record it once and count the
                    // bad rate like an unparsable one.
                    tally.sample_error(ErrorKind::InvalidSampleFactor);
                    count = 1;
                }
                let observer = match observer.observer_type {
                    ObserverType::Histogram => Observer::Histogram(&observer.histogram),
                    ObserverType::Summary => Observer::Summary(&observer.summary),
                };
                Value::Observe {
                    value: v * scale,
                    count,
                    observer,
                }
            }
        };

        let ttl = rule.map_or(defaults.ttl(), Rule::ttl);
        // An untagged line's series is its mapping's: the sink may remember where it is.
        // A tagged line's is too when the line equals, but for its value, the last tagged
        // line of this name: its tags are the same, so are its labels (and their count),
        // and they are not even walked while the sink still knows that series.
        let tagged_key = if tagged && metric.sample_count() == 1 {
            around(metric.line(), sample.raw_value())
        } else {
            None
        };
        let (mut hint, hinted, known_label_count) = match (tagged, tagged_key) {
            (false, _) => (entry.hint, true, entry.labels().len()),
            (true, Some((before, after))) => match entry.tagged_hint(before, after) {
                Some((hint, label_count)) => (hint, true, label_count),
                None => (SeriesHint::new(), true, 0),
            },
            (true, None) => (SeriesHint::new(), false, 0),
        };
        // A hint the sink still recognises needs no label list: the common case.
        let quick = if hinted && hint != SeriesHint::new() {
            let event = HintedEvent {
                name,
                label_count: known_label_count,
                value,
                ttl,
            };
            sink.record_by_hint(&event, &hint)
        } else {
            None
        };
        // Followed, the hint is unchanged: nothing to keep below.
        let followed = quick.is_some();
        // Filled in place: returned by value, the inline array was copied (768 bytes).
        let mut tagged_buffer = SmallVec::new();
        let tag_errors_before = tally.tag_errors;
        let outcome = match quick {
            Some(outcome) => outcome,
            None => {
                if tagged {
                    tagged_labels(
                        metric,
                        entry.labels(),
                        honor,
                        arena,
                        tally,
                        &mut tagged_buffer,
                    );
                }
                let arena: &str = arena;
                let mut event_labels: SmallVec<[Label<'_>; 16]> = SmallVec::new();
                // Pushes, not `extend`: its reserve-then-write is a call that is not inlined.
                if tagged {
                    for (k, v) in tagged_buffer.iter() {
                        event_labels.push(Label::new(k.get(arena), v.get(arena)));
                    }
                } else {
                    for (k, v) in entry.labels() {
                        event_labels.push(Label::new(k, v));
                    }
                }
                let event = Event {
                    name,
                    labels: &event_labels,
                    value,
                    help: rule.and_then(Rule::help).unwrap_or(DEFAULT_HELP),
                    ttl,
                };
                if hinted {
                    sink.record_hinted(&event, &mut hint)
                } else {
                    sink.record(&event)
                }
            }
        };
        match outcome {
            Ok(()) => {
                // Indexed like EVENT_TYPES.
                let i = match value {
                    Value::Counter(_) => 0,
                    Value::GaugeSet(_) | Value::GaugeAdd(_) => 1,
                    Value::Observe { .. } => 2,
                };
                tally.events[i] += 1;
            }
            Err(Rejection::Conflict) => shared.stats.conflict(name, value.conflict_type()),
            Err(r @ (Rejection::CardinalityLimit | Rejection::MetricCardinalityLimit)) => {
                if let Some(i) = SERIES_DROPPED_REASONS.iter().position(|x| *x == r.reason()) {
                    tally.series_dropped(i);
                }
            }
            Err(r) => tally.event_error(r.reason()),
        }
        let label_count = tagged_buffer.len();
        // The labels borrow the entry.
        drop(tagged_buffer);
        match tagged_key {
            _ if followed => {}
            _ if !tagged => {
                let entry = resolved.entry_mut(index);
                if entry.hint != hint {
                    entry.hint = hint;
                }
            }
            // A line with tag errors (strict DogStatsD mode's invalid UTF-8) is not kept:
            // a repeat that skipped the tag walk would not count them.
            Some((before, after))
                if hint != SeriesHint::new() && tally.tag_errors == tag_errors_before =>
            {
                resolved.remember_tagged(index, before, after, hint, label_count);
            }
            _ => {}
        }
    }
}

/// `part` (a slice of `line`'s bytes) as a `&str` of `line`, or `None` when it is not
/// within `line` or does not start and end on character boundaries.
#[inline]
fn within<'l>(line: &'l str, part: &[u8]) -> Option<&'l str> {
    if part.is_empty() {
        return Some("");
    }
    let start = (part.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    let text = line.get(start..start.checked_add(part.len())?)?;
    (text.as_ptr() == part.as_ptr()).then_some(text)
}

/// `line` split around `value` (a slice of it), or `None` when `value` is not within it.
#[inline]
fn around<'l>(line: &'l [u8], value: &[u8]) -> Option<(&'l [u8], &'l [u8])> {
    // Addresses, not pointers: no unsafe, and a value from elsewhere is simply not found.
    let start = (value.as_ptr() as usize).checked_sub(line.as_ptr() as usize)?;
    let end = start.checked_add(value.len())?;
    (line.get(start..end)? == value).then(|| (&line[..start], &line[end..]))
}

/// Maps a name not kept in `resolved` and builds its finished mapping there (kept when
/// `key` is `Some`): the escaped metric name and the expanded mapping labels. Returns its
/// index for [`Resolved::entry`]. Out of line: the common case is a hit.
#[allow(clippy::too_many_arguments)]
#[inline(never)]
fn resolve(
    resolved: &mut Resolved,
    key: Option<resolved::Key>,
    mapper: &Mapper,
    captures: &mut Captures,
    scratch: &mut String,
    name_buffer: &mut String,
    metric: &Metric<'_>,
    kind: MetricKind,
) -> usize {
    let mut key = key;
    let statsd_name: &str = match metric.name().as_contiguous() {
        Some(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => text,
            Err(_) => {
                // Kept under the raw bytes, a lossy name would never be found again.
                key = None;
                name_buffer.clear();
                name_buffer.push_str(&String::from_utf8_lossy(bytes));
                name_buffer
            }
        },
        None => {
            let (head, tail) = metric.name().parts();
            name_buffer.clear();
            name_buffer.push_str(&String::from_utf8_lossy(head));
            name_buffer.push_str(&String::from_utf8_lossy(tail));
            name_buffer
        }
    };
    let mapping = mapper.map(statsd_name, kind, captures);
    let (index, entry) = resolved.slot(key);
    entry.start(statsd_name, mapping.rule().map(|r| r.index() as u32));
    let action = mapping.action();
    if action != Action::Drop {
        let out = entry.name_buffer();
        match mapping.name().as_str() {
            // A mapping's constant name passed the mapper's load-time check
            // (`[A-Za-z_][A-Za-z0-9_]*`), which escaping leaves unchanged.
            // The unmapped default name is the StatsD name, which needs escaping.
            Some(constant) if action == Action::Map => out.push_str(constant),
            Some(constant) => escape_metric_name_into(constant, out),
            None => {
                scratch.clear();
                mapping.name().write_to(scratch);
                escape_metric_name_into(scratch, out);
            }
        }
        for (label, value) in mapping.labels() {
            entry.push_label(label, |out| value.write_to(out));
        }
    }
    resolved.commit(index, key);
    index
}

/// A tagged line's labels: its tags (keys escaped into `arena`, last one wins), then the
/// mapping's labels, which override tags unless `honor_labels` makes them defaults.
#[inline]
fn tagged_labels<'b>(
    metric: &'b Metric<'_>,
    mapping: &'b [(String, String)],
    honor: bool,
    arena: &mut String,
    tally: &mut Tally,
    labels: &mut SmallVec<[(Text<'b>, Text<'b>); 16]>,
) {
    // One UTF-8 check for the whole line, then each tag's text is sliced out of it: a
    // check per key and value cost about 80 instructions each.
    let line = std::str::from_utf8(metric.line()).ok();
    for tag in metric.tags() {
        let key = line.and_then(|line| within(line, tag.key()));
        let value = line.and_then(|line| within(line, tag.value_or_empty()));
        let (key, value) = match (key, value) {
            (Some(key), Some(value)) => (key, value),
            // Not sliced out of the line: checked on their own.
            _ => match (tag.key_str(), tag.value_str()) {
                (Ok(key), Ok(value)) => (key, value),
                _ => {
                    // Only possible in strict DogStatsD mode, which does not check UTF-8.
                    tally.tag_errors += 1;
                    continue;
                }
            },
        };
        let key = escaped(key, arena);
        upsert(labels, arena, key, Text::Borrowed(value), true);
    }
    for (key, value) in mapping {
        upsert(
            labels,
            arena,
            Text::Borrowed(key),
            Text::Borrowed(value),
            !honor,
        );
    }
}

/// Sets `key` to `value`: replaces an existing label of that name when `replace`, keeps it
/// otherwise; appends a new one.
#[inline(always)]
fn upsert<'a>(
    labels: &mut SmallVec<[(Text<'a>, Text<'a>); 16]>,
    arena: &str,
    key: Text<'a>,
    value: Text<'a>,
    replace: bool,
) {
    let wanted = key.get(arena).as_bytes();
    // Lengths and first bytes first: tag names rarely repeat, and a byte comparison of
    // every pair was a `memcmp` call each.
    let same = |k: &Text<'_>| {
        let k = k.get(arena).as_bytes();
        k.len() == wanted.len() && k.first() == wanted.first() && k == wanted
    };
    match labels.iter_mut().find(|(k, _)| same(k)) {
        Some(existing) if replace => existing.1 = value,
        Some(_) => {}
        None => labels.push((key, value)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use statsd_proto::line_count;

    /// Records the name and value of every event.
    #[derive(Default)]
    struct Names(Vec<(String, f64)>);

    impl Sink for Names {
        fn record(&mut self, event: &Event<'_>) -> Result<(), Rejection> {
            let value = match event.value {
                Value::Counter(v) | Value::GaugeSet(v) | Value::GaugeAdd(v) => v,
                Value::Observe { value, .. } => value,
            };
            self.0.push((event.name.to_string(), value));
            Ok(())
        }
    }

    /// What `Parser::packet` and `line_count` make of `packet`: the metrics' names and
    /// values, the line count, the errors.
    fn reference(packet: &[u8]) -> (Vec<(String, f64)>, u64, u64) {
        let mut names = Vec::new();
        let mut errors = 0;
        for item in Parser::new().events(false).packet(packet) {
            match item {
                Ok(Item::Metric(metric)) => {
                    let name = metric.name().as_contiguous().unwrap().to_vec();
                    let name = String::from_utf8(name).unwrap();
                    for sample in metric.samples().flatten() {
                        names.push((name.clone(), sample.value()));
                    }
                    errors += metric.sample_errors().count() as u64;
                }
                Ok(_) => {}
                Err(_) => errors += 1,
            }
        }
        (names, line_count(packet) as u64, errors)
    }

    #[test]
    fn packets_split_and_count_like_the_parser() {
        // Pieces around the newline search's 16-byte steps and its hand-over to memchr
        // after 128 bytes (`statsd_proto::find_line_end`), empty pieces, `\r`
        // ends and a bad line, joined with `\n` in many orders, with and without a final
        // `\n`.
        let long = format!("{}:2|g", "n".repeat(61));
        let longer = format!("{}:3|c\r", "m".repeat(130));
        let pieces: [&[u8]; 9] = [
            b"a:1|c",
            b"",
            b"\r",
            b"b:2|g\r",
            b"bad",
            b"c:3|c\r\r",
            long.as_bytes(),
            longer.as_bytes(),
            b"d.e.f:4.5|g",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = |bound: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % bound as u64) as usize
        };
        let mut packets: Vec<Vec<u8>> = vec![b"".to_vec(), b"\n".to_vec(), b"\n\n".to_vec()];
        for _ in 0..400 {
            let mut packet = Vec::new();
            for i in 0..1 + next(6) {
                if i > 0 {
                    packet.push(b'\n');
                }
                packet.extend_from_slice(pieces[next(pieces.len())]);
            }
            if next(2) == 0 {
                packet.push(b'\n');
            }
            packets.push(packet);
        }
        let mapper = Arc::new(Mapper::empty());
        for packet in &packets {
            let (names, lines, errors) = reference(packet);
            let stats = Arc::new(Stats::default());
            let mut pipeline = Pipeline::new(
                Arc::clone(&mapper),
                Parser::new().events(false),
                Arc::clone(&stats),
            );
            let mut sink = Names::default();
            pipeline.process_packet(packet, &mut sink);
            let shown = String::from_utf8_lossy(packet);
            let names: Vec<_> = names
                .into_iter()
                .map(|(name, value)| (name.replace('.', "_"), value))
                .collect();
            assert_eq!(sink.0, names, "{shown:?}");
            assert_eq!(stats.lines.get(), lines, "{shown:?}");
            let sample_errors: u64 = ErrorKind::ALL
                .iter()
                .map(|k| stats.sample_errors.get(k.as_str()))
                .sum();
            assert_eq!(sample_errors, errors, "{shown:?}");
        }
        // A batch counts the same as its packets one by one.
        let stats = Arc::new(Stats::default());
        let mut pipeline = Pipeline::new(mapper, Parser::new().events(false), stats.clone());
        pipeline.process_packets(&packets, &mut Names::default());
        let lines: u64 = packets.iter().map(|p| line_count(p) as u64).sum();
        assert_eq!(stats.lines.get(), lines);
    }
}
