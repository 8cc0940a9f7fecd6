//! Integration tests of statsd-exporter-core through its public API.

mod exposition;
mod hint;
mod pipeline;
mod remote_write;
mod robustness;
mod store;
mod summary;
mod support;
