//! The [`Sink`] trait: where the pipeline delivers mapped metric events.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use statsd_mapper::{HistogramOptions, SummaryOptions};

/// A label of an event: both strings are borrowed from the packet, the mapping or a buffer
/// of the pipeline, so building an event allocates nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label<'a> {
    /// The label name (already a valid Prometheus label name when it comes from the pipeline).
    pub name: &'a str,
    /// The label value (any UTF-8 text).
    pub value: &'a str,
}

impl<'a> Label<'a> {
    /// A label from its name and value.
    pub const fn new(name: &'a str, value: &'a str) -> Self {
        Label { name, value }
    }
}

/// Which observer an observation goes to, with the options used if its series is new.
#[derive(Clone, Copy, Debug)]
pub enum Observer<'a> {
    /// A summary (statsd_exporter's default observer).
    Summary(&'a SummaryOptions),
    /// A histogram with classic buckets.
    Histogram(&'a HistogramOptions),
}

/// What an event does to its series.
#[derive(Clone, Copy, Debug)]
pub enum Value<'a> {
    /// Add to a counter. Never negative when it comes from the pipeline (negative increments
    /// are rejected before reaching a sink; NaN passes, as in statsd_exporter).
    Counter(f64),
    /// Set a gauge.
    GaugeSet(f64),
    /// Add a (possibly negative) delta to a gauge (`+4|g`, `-3|g`).
    GaugeAdd(f64),
    /// `count` observations of `value` (a sample with rate `1/count`; see the crate docs on
    /// sample rates). `count` is at least 1.
    Observe {
        /// The observed value, already converted (ms → s) and scaled.
        value: f64,
        /// How many identical observations this event stands for.
        count: u64,
        /// Summary or histogram, with its options.
        observer: Observer<'a>,
    },
}

impl Value<'_> {
    /// statsd_exporter's `type` label value for this event in
    /// `statsd_exporter_events_total` (`counter`, `gauge`, `observer`).
    pub fn event_type(&self) -> &'static str {
        match self {
            Value::Counter(_) => "counter",
            Value::GaugeSet(_) | Value::GaugeAdd(_) => "gauge",
            Value::Observe { .. } => "observer",
        }
    }

    /// statsd_exporter's `type` label value for this event in
    /// `statsd_exporter_events_conflict_total` (`counter`, `gauge`, `summary`, `histogram`).
    pub fn conflict_type(&self) -> &'static str {
        match self {
            Value::Counter(_) => "counter",
            Value::GaugeSet(_) | Value::GaugeAdd(_) => "gauge",
            Value::Observe {
                observer: Observer::Summary(_),
                ..
            } => "summary",
            Value::Observe {
                observer: Observer::Histogram(_),
                ..
            } => "histogram",
        }
    }
}

/// One mapped metric event, borrowed from the pipeline's buffers.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    /// The Prometheus metric name (escaped, never empty when it comes from the pipeline).
    pub name: &'a str,
    /// Labels in no particular order; a name appears at most once when the event comes from
    /// the pipeline (sinks that accept events from elsewhere should let the last one win).
    pub labels: &'a [Label<'a>],
    /// What to do to the series.
    pub value: Value<'a>,
    /// The HELP text of the metric (used when the metric is first created).
    pub help: &'a str,
    /// How long the series lives without samples; `None` means forever.
    pub ttl: Option<Duration>,
}

/// Why a sink refused an event. The pipeline counts each under statsd_exporter's self-metric
/// for it (see the crate docs, "Accounting").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Rejection {
    /// The name is taken by a metric of another type, or one of the names the event's metric
    /// would expose (`x_count`, `x_bucket`, ...) collides with another metric.
    /// Counted in `statsd_exporter_events_conflict_total{metric_name,type}`.
    Conflict,
    /// A label name is not a valid Prometheus label name, is reserved (`__` prefix), or is
    /// `le` on a histogram or `quantile` on a summary. Counted in
    /// `statsd_exporter_events_error_total{reason="illegal_label_name"}`.
    IllegalLabelName,
    /// The metric name is not a valid Prometheus name. Counted in
    /// `statsd_exporter_events_error_total{reason="illegal_metric_name"}`.
    IllegalMetricName,
    /// A counter increment below zero. Counted in
    /// `statsd_exporter_events_error_total{reason="illegal_negative_counter"}`.
    NegativeCounter,
    /// The series is new and the total series limit is reached. Counted in
    /// `statsd_exporter_series_dropped_total{reason="cardinality_limit"}`.
    CardinalityLimit,
    /// The series is new and its metric's series limit is reached. Counted in
    /// `statsd_exporter_series_dropped_total{reason="metric_cardinality_limit"}`.
    MetricCardinalityLimit,
}

impl Rejection {
    /// The `reason` label this rejection is counted under.
    pub fn reason(self) -> &'static str {
        match self {
            Rejection::Conflict => "conflict",
            Rejection::IllegalLabelName => "illegal_label_name",
            Rejection::IllegalMetricName => "illegal_metric_name",
            Rejection::NegativeCounter => "illegal_negative_counter",
            Rejection::CardinalityLimit => "cardinality_limit",
            Rejection::MetricCardinalityLimit => "metric_cardinality_limit",
        }
    }
}

/// A destination for mapped metric events.
///
/// The pipeline calls [`record`](Sink::record) once per event, in packet order, with every
/// statsd_exporter transformation already applied (rate, unit, scale, mapping labels). An
/// implementation should not allocate for a series it already knows; the event and its
/// strings are borrowed and only valid during the call.
///
/// A sink for your own backend, counting events per metric type:
///
/// ```
/// use statsd_exporter_core::{Event, Rejection, Sink, Value};
///
/// #[derive(Default)]
/// struct Tally { counters: f64, gauges: usize, observations: u64 }
///
/// impl Sink for Tally {
///     fn record(&mut self, event: &Event<'_>) -> Result<(), Rejection> {
///         match event.value {
///             Value::Counter(v) => self.counters += v,
///             Value::GaugeSet(_) | Value::GaugeAdd(_) => self.gauges += 1,
///             Value::Observe { count, .. } => self.observations += count,
///         }
///         Ok(())
///     }
/// }
///
/// let mut tally = Tally::default();
/// let event = Event {
///     name: "requests",
///     labels: &[],
///     value: Value::Counter(2.0),
///     help: "Requests served.",
///     ttl: None,
/// };
/// tally.record(&event).unwrap();
/// assert_eq!(tally.counters, 2.0);
/// ```
pub trait Sink {
    /// Applies one event.
    ///
    /// # Errors
    ///
    /// Returns the [`Rejection`] reason when the event is refused; the pipeline counts it and
    /// carries on with the next event.
    fn record(&mut self, event: &Event<'_>) -> Result<(), Rejection>;

    /// Applies one event whose series the caller has seen before, with the [`SeriesHint`]
    /// the sink left last time, so that the sink can find the series again without
    /// hashing and comparing its name and labels.
    ///
    /// The caller promises that every event it passes with one hint (since the hint was
    /// made or last [cleared](SeriesHint::clear)) has the same name and the same set of
    /// labels; value, help and TTL may differ. The pipeline keeps one hint per finished
    /// mapping and passes it for lines without tags, whose labels are the mapping's.
    ///
    /// The default forwards to [`record`](Sink::record) and leaves the hint alone; the
    /// [`PrometheusSink`](crate::PrometheusSink) overrides it.
    ///
    /// # Errors
    ///
    /// As [`record`](Sink::record).
    fn record_hinted(&mut self, event: &Event<'_>, hint: &mut SeriesHint) -> Result<(), Rejection> {
        let _ = hint;
        self.record(event)
    }

    /// Applies an event through `hint` alone, without the text of its labels, when the
    /// hint still names the event's series in this sink: returns `Some` with the outcome
    /// [`record_hinted`](Sink::record_hinted) would have had. Returns `None` when the sink
    /// cannot tell from the hint (an empty, foreign or stale hint, or a sink without this
    /// shortcut): the caller then builds the full [`Event`] and calls `record_hinted`,
    /// which leaves the hint naming the series. Nothing is recorded when it returns `None`.
    ///
    /// The caller makes `record_hinted`'s promise: every event passed with one hint has the
    /// same name and the same set of labels, and `event.label_count` is the number of
    /// labels the full event carries. The pipeline uses it for every hinted line, so a
    /// line whose series the sink still knows costs no label list.
    ///
    /// The default returns `None` (existing sinks keep working unchanged); the
    /// [`PrometheusSink`](crate::PrometheusSink) overrides it.
    ///
    /// ```
    /// use statsd_exporter_core::{Event, HintedEvent, Label, PrometheusSink, SeriesHint, Sink, Value};
    ///
    /// let sink = PrometheusSink::default();
    /// let labels = [Label::new("code", "200")];
    /// let event = Event { name: "hits", labels: &labels, value: Value::Counter(1.0), help: "Hits.", ttl: None };
    /// let mut hint = SeriesHint::new();
    /// let mut recorder = sink.recorder();
    /// // An empty hint names nothing: build the event and record it with the hint.
    /// let quick = HintedEvent { name: "hits", label_count: 1, value: Value::Counter(2.0), ttl: None };
    /// assert_eq!(recorder.record_by_hint(&quick, &hint), None);
    /// recorder.record_hinted(&event, &mut hint).unwrap();
    /// // Now the hint names the series: no labels needed.
    /// assert_eq!(recorder.record_by_hint(&quick, &hint), Some(Ok(())));
    /// # let mut out = Vec::new();
    /// # sink.expose_metrics(&mut out, statsd_exporter_core::Format::Text).unwrap();
    /// # assert!(String::from_utf8(out).unwrap().contains("hits{code=\"200\"} 3\n"));
    /// ```
    fn record_by_hint(
        &mut self,
        event: &HintedEvent<'_>,
        hint: &SeriesHint,
    ) -> Option<Result<(), Rejection>> {
        let _ = (event, hint);
        None
    }
}

/// What [`Sink::record_by_hint`] receives: an [`Event`] of a series the caller holds a
/// [`SeriesHint`] for, with the number of its labels instead of their text (and no help
/// text, which only a new metric needs).
#[derive(Clone, Copy, Debug)]
pub struct HintedEvent<'a> {
    /// The Prometheus metric name, as in [`Event::name`].
    pub name: &'a str,
    /// How many labels the full event carries.
    pub label_count: usize,
    /// The sample, as in [`Event::value`].
    pub value: Value<'a>,
    /// As in [`Event::ttl`].
    pub ttl: Option<Duration>,
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn record(&mut self, event: &Event<'_>) -> Result<(), Rejection> {
        (**self).record(event)
    }

    fn record_hinted(&mut self, event: &Event<'_>, hint: &mut SeriesHint) -> Result<(), Rejection> {
        (**self).record_hinted(event, hint)
    }

    fn record_by_hint(
        &mut self,
        event: &HintedEvent<'_>,
        hint: &SeriesHint,
    ) -> Option<Result<(), Rejection>> {
        (**self).record_by_hint(event, hint)
    }
}

/// Where a sink found a series last time: a token the sink writes and the caller keeps
/// between events of that series (see [`Sink::record_hinted`]).
///
/// A hint belongs to one sink instance, named by an owner number from
/// [`SeriesHint::new_owner`]; a sink reads back only the tokens it wrote itself, so a hint
/// handed to another sink (or to one that has since forgotten the series) costs a normal
/// lookup and nothing else. What the token means is the sink's business: the
/// [`PrometheusSink`](crate::PrometheusSink) stores where the series lives and which
/// generation of that place it is, so a series that expired is never mistaken for its
/// successor.
///
/// ```
/// use statsd_exporter_core::SeriesHint;
///
/// let owner = SeriesHint::new_owner();
/// let mut hint = SeriesHint::new();
/// assert_eq!(hint.get(owner), None);
/// hint.set(owner, 42);
/// assert_eq!(hint.get(owner), Some(42));
/// assert_eq!(hint.get(SeriesHint::new_owner()), None, "another sink's hint");
/// hint.clear();
/// assert_eq!(hint.get(owner), None);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SeriesHint {
    /// 0 when empty: [`new_owner`](Self::new_owner) never returns 0.
    owner: u64,
    token: u128,
}

impl SeriesHint {
    /// An empty hint.
    pub const fn new() -> Self {
        SeriesHint { owner: 0, token: 0 }
    }

    /// A number for a sink instance to own hints by: distinct from every other number
    /// this function returns in the process, and never 0.
    pub fn new_owner() -> u64 {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }

    /// The token `owner` stored, if it was `owner` that stored the last one.
    #[inline]
    pub fn get(&self, owner: u64) -> Option<u128> {
        (self.owner == owner && owner != 0).then_some(self.token)
    }

    /// Stores `token` for `owner`, replacing whatever the hint held.
    #[inline]
    pub fn set(&mut self, owner: u64, token: u128) {
        *self = SeriesHint { owner, token };
    }

    /// Forgets the token: the next event recorded with this hint is looked up in full.
    /// Callers clear a hint when the series it stands for changes.
    #[inline]
    pub fn clear(&mut self) {
        *self = SeriesHint::new();
    }
}
