//! Integration tests of statsd-mapper through its public API (one test binary; the
//! allocation-counting test is `tests/alloc.rs`, its own binary).

mod it {
    mod config;
    mod differential;
    mod mastodon;
    mod table;
}
