//! Integration tests: the `statsd-mapper` binary run on the project's Mastodon mapping
//! (`examples/mastodon/statsd-mapping.yml`) and on variants of it made by the tests.

mod bench;
mod cases;
mod check;
mod explain;
mod support;
