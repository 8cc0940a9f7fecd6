//! Any bytes after `_sc|` as a DogStatsD service check: no panic; a parsed check
//! re-encodes to a line that parses to the same name, status and message.
//! The body lives in `statsd_benches::fuzz::parse_service_check`, which the replay test
//! (`cargo test -p statsd-benches --test fuzz_replay`) runs on every committed input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| statsd_benches::fuzz::parse_service_check(data));
