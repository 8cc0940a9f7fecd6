//! The StatsD to Prometheus pipeline: a [`Sink`] trait, a sharded Prometheus series store
//! ([`PrometheusSink`]) and text exposition.
//!
//! (Manual in progress.)
#![forbid(unsafe_code)]

mod clock;
mod expose;
mod float;
mod histogram;
mod names;
mod pipeline;
mod sink;
mod stats;
mod store;
mod summary;

pub use clock::{Clock, ManualClock, SystemClock};
pub use expose::Format;
pub use pipeline::Pipeline;
pub use sink::{Event, Label, Observer, Rejection, Sink, Value};
pub use stats::{
    Counter, EVENT_ERROR_REASONS, EVENT_TYPES, Gauge, MAX_CONFLICT_NAMES, ReasonCounters,
    SAMPLE_ERROR_REASONS, SERIES_DROPPED_REASONS, Stats,
};
/// Observer options are the mapper's resolved options: the pipeline hands them through as
/// they are, so recording never converts or copies them.
pub use statsd_mapper::{
    HistogramOptions, ObserverOptions, ObserverType, Quantile, SummaryOptions,
};
pub use store::{PrometheusOptions, PrometheusSink, Recorder};
