//! Any bytes as one line, in both modes: no panic, and the line parses the same way
//! alone as inside a packet.
//! The body lives in `statsd_benches::fuzz::parse_line`, which the replay test
//! (`cargo test -p statsd-benches --test fuzz_replay`) runs on every committed input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| statsd_benches::fuzz::parse_line(data));
