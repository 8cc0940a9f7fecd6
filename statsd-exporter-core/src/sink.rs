//! The [`Sink`] trait: where the pipeline delivers mapped metric events.

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
}

impl<S: Sink + ?Sized> Sink for &mut S {
    fn record(&mut self, event: &Event<'_>) -> Result<(), Rejection> {
        (**self).record(event)
    }
}
