//! The StatsD to Prometheus pipeline: a `Sink` trait, a series store and text exposition.
//!
//! (Work in progress: lands with issue 4.)
#![forbid(unsafe_code)]
