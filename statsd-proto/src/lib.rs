//! Zero-copy StatsD and DogStatsD parser and encoder.
//!
//! (Work in progress: the full parser lands with issue 2.)
#![forbid(unsafe_code)]

mod kind;

pub use kind::MetricType;
