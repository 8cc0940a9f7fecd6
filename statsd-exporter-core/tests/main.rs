//! Integration tests of statsd-exporter-core through its public API.

mod exposition;
mod store;
mod summary;
mod support;
