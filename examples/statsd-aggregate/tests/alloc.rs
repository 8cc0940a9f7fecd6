//! The sink allocates nothing for a series it has seen: parse, map and record through the
//! pipeline into `IntervalAggregate`, counted by a global allocator. Its own test binary
//! because it installs a `#[global_allocator]`; the count is per thread, so the harness's
//! other threads do not disturb it.

use counting_allocator::{CountingAllocator, allocations};
use std::sync::Arc;

use statsd_aggregate::IntervalAggregate;
use statsd_exporter_core::{Pipeline, Stats};
use statsd_mapper::{Mapper, MapperConfig};
use statsd_proto::Parser;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const MAPPING: &str = r#"mappings:
- match: "web.*.*.status.*"
  name: web_requests
  labels: {controller: "$1", action: "$2", status: "$3"}
- match: "web.*.*.duration"
  name: web_duration_seconds
  observer_type: histogram
  labels: {controller: "$1", action: "$2"}
"#;

/// Every aggregate kind, mapped and unmapped, tags in both orders, a duplicate tag and a
/// sample rate.
const PACKET: &[u8] = b"web.Home.index.status.200:1|c|#host:a,zone:eu\n\
web.Home.index.status.200:1|c|#zone:eu,host:a\n\
web.Home.index.duration:120|ms|@0.5\n\
queue.depth:+3|g|#queue:mail,queue:push\n\
users.online:7|g\n\
api.latency:12|d|#env:prod";

#[test]
fn recording_into_known_series_does_not_allocate() {
    let mapper = Mapper::new(MapperConfig::from_yaml_str(MAPPING, None).unwrap(), 1000);
    let mut pipeline = Pipeline::new(
        Arc::new(mapper),
        Parser::new().events(false),
        Arc::new(Stats::default()),
    );
    let mut aggregate = IntervalAggregate::new();

    // Warm up: creates the series, the mapper cache entries and the reused buffers.
    pipeline.process_packet(PACKET, &mut aggregate);
    assert_eq!(aggregate.len(), 5);

    let before = allocations();
    for _ in 0..100 {
        pipeline.process_packet(PACKET, &mut aggregate);
    }
    assert_eq!(allocations() - before, 0, "allocations in 100 packets");

    // A flush keeps the series (they were active), so the next interval allocates nothing
    // either; the flush itself writes into a buffer that is already large enough.
    let mut out = Vec::with_capacity(4096);
    assert_eq!(aggregate.flush(&mut out).unwrap(), 5);
    let before = allocations();
    pipeline.process_packet(PACKET, &mut aggregate);
    assert_eq!(allocations() - before, 0, "allocations after a flush");

    // The counting is live: a new series allocates its key.
    let before = allocations();
    pipeline.process_packet(b"brand.new:1|c", &mut aggregate);
    assert!(allocations() - before > 0);
}
