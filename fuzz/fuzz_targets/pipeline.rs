//! Arbitrary packets through the whole pipeline into the Prometheus sink: nothing may
//! panic, and both expositions must stay valid for `promtool check metrics` (see `check`),
//! whatever names, tags and types arrive.
//! The body lives in `statsd_benches::fuzz::pipeline`, which the replay test
//! (`cargo test -p statsd-benches --test fuzz_replay`) runs on every committed input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| statsd_benches::fuzz::pipeline(data));
