//! Integration tests of statsd-mapper through its public API (one test binary; the
//! allocation-counting test is `tests/alloc.rs`, its own binary).

mod it {
    mod api;
    mod cache;
    mod config;
    mod differential;
    mod go_oracle;
    pub(crate) mod mastodon;
    mod regex_set;
    mod table;
}
