//! Integration tests of statsd-mapper through its public API.

mod config;
mod table;
