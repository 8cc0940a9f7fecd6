//! statsd_exporter-compatible mapping: YAML rules compiled into a glob trie and a regex set.
//!
//! (Work in progress: the mapper lands with issue 3.)
#![forbid(unsafe_code)]
