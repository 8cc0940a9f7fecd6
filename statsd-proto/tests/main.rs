//! Integration tests of statsd-proto (one binary; the allocation test is `alloc.rs`).

mod it;
