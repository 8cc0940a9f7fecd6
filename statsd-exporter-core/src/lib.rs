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
mod options;
mod sink;
mod stats;
mod store;
mod summary;

pub use clock::{Clock, ManualClock, SystemClock};
pub use expose::Format;
pub use options::{HistogramOptions, Objective, SummaryOptions};
pub use sink::{Event, Label, Observer, Rejection, Sink, Value};
pub use stats::{
    Counter, EVENT_ERROR_REASONS, EVENT_TYPES, Gauge, MAX_CONFLICT_NAMES, ReasonCounters,
    SAMPLE_ERROR_REASONS, SERIES_DROPPED_REASONS, Stats,
};
pub use store::{PrometheusOptions, PrometheusSink, Recorder};

/// Labels of one event, sorted, in a stack buffer (spills to the heap past 16).
pub(crate) type Labels<'a> = smallvec::SmallVec<[Label<'a>; 16]>;
