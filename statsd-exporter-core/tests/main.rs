//! Integration tests of statsd-exporter-core through its public API.

mod exposition;
mod pipeline;
mod store;
mod summary;
mod support;
