//! Arbitrary names into a compiled mapper (glob trie in both orderings, partial
//! components, regex rules, the cache): lookups never panic, the cached and uncached
//! answers agree, and `explain` names the same winner.
//! The body lives in `statsd_benches::fuzz::mapper_match`, which the replay test
//! (`cargo test -p statsd-benches --test fuzz_replay`) runs on every committed input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| statsd_benches::fuzz::mapper_match(data));
