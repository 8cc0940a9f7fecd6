//! Any bytes after `_e{` as a DogStatsD event: no panic; a parsed event re-encodes to
//! a line that parses to the same title and text.
//! The body lives in `statsd_benches::fuzz::parse_event`, which the replay test
//! (`cargo test -p statsd-benches --test fuzz_replay`) runs on every committed input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| statsd_benches::fuzz::parse_event(data));
