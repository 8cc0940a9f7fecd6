//! Arbitrary bytes into the mapping-config loader: it must return a config or a typed
//! error with a position, never panic; a config that loads must map without panicking.
//! The body lives in `statsd_benches::fuzz::mapper_config`, which the replay test
//! (`cargo test -p statsd-benches --test fuzz_replay`) runs on every committed input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| statsd_benches::fuzz::mapper_config(data));
