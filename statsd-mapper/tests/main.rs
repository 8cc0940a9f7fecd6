//! Integration tests of statsd-mapper through its public API.

mod config;
mod mastodon;
mod table;
