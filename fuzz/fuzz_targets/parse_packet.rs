//! Any bytes as a packet, through every parser configuration: no panic, and every
//! item can be walked and re-encoded; a re-encoded metric parses again.
//! The body lives in `statsd_benches::fuzz::parse_packet`, which the replay test
//! (`cargo test -p statsd-benches --test fuzz_replay`) runs on every committed input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| statsd_benches::fuzz::parse_packet(data));
