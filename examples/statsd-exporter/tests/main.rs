//! End-to-end tests of the `statsd-exporter` binary: the built executable is started on free
//! loopback ports and driven over its sockets, next to a real Prometheus server, the Ruby
//! `statsd` client and a Python DogStatsD client where a test says so.

mod support;

mod cli;
mod endpoints;
mod listeners;
mod real_components;
mod remote_write;
mod robustness;

mod attack;
mod faults;
mod flood;
mod hostile;
