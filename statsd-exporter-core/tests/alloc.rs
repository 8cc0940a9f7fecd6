//! A sample for an existing series allocates nothing: parse, map and record, counted by a
//! global allocator. Its own test binary because it installs a `#[global_allocator]`; the
//! count is per thread, so the harness's other threads do not disturb it.

use counting_allocator::{CountingAllocator, allocations};
use std::sync::Arc;

use statsd_exporter_core::{
    Event, HistogramOptions, Label, Observer, Pipeline, PrometheusSink, SeriesHint, Sink,
    SummaryOptions, Value,
};
use statsd_mapper::{Mapper, MapperConfig};
use statsd_proto::Parser;

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const CONFIG: &str = r#"
mappings:
- match: "app.*.requests"
  name: "app_requests_total"
  labels:
    service: "$1"
    env: "prod"
- match: "app.*.latency"
  name: "app_latency_seconds"
  observer_type: histogram
  labels:
    service: "$1"
- match: "app.*.duration"
  name: "app_duration_seconds"
  labels:
    service: "$1"
"#;

/// Every metric type, mapped and unmapped, with every tag style, escaped tag keys and a
/// sample rate.
const PACKET: &[u8] = b"app.users.requests:1|c|#code:200,host.name:web-1\n\
app.users.latency:12|ms|@0.5|#code:200\n\
app.users.duration:7|ms|#code:200\n\
queue.depth:+3|g\n\
unmapped.thing,region=eu:2|c\n\
sfx.[env=prod]gauge:4|g\n\
dist:1.5|d|#a:b";

#[test]
fn parse_map_record_of_existing_series_does_not_allocate() {
    let sink = PrometheusSink::default();
    let mapper = Mapper::new(MapperConfig::from_yaml_str(CONFIG, None).unwrap(), 1000);
    let mut pipeline = Pipeline::new(
        Arc::new(mapper),
        Parser::new().events(false),
        sink.stats().clone(),
    );
    // Warm-up: series are created, the mapper cache fills, buffers and summary streams
    // reach their working size.
    for _ in 0..20_000 {
        pipeline.process_packet(PACKET, &mut sink.recorder());
    }
    let series = sink.series_count();
    let before = allocations();
    for _ in 0..10_000 {
        pipeline.process_packet(PACKET, &mut sink.recorder());
    }
    let allocated = allocations() - before;
    assert_eq!(sink.series_count(), series);
    assert_eq!(sink.stats().events.get("counter"), 30_000 * 2);
    assert_eq!(allocated, 0, "{allocated} allocations in 10 000 packets");
    // The batch entry (one line per datagram, as Mastodon sends them) allocates nothing
    // either.
    let datagrams: Vec<&[u8]> = PACKET.split(|b| *b == b'\n').collect();
    let batch = [datagrams.as_slice(); 4].concat();
    let before = allocations();
    for _ in 0..2_500 {
        pipeline.process_packets(&batch, &mut sink.recorder());
    }
    let allocated = allocations() - before;
    assert_eq!(sink.series_count(), series);
    assert_eq!(sink.stats().events.get("counter"), 40_000 * 2);
    assert_eq!(allocated, 0, "{allocated} allocations in 2 500 batches");
}

#[test]
fn recording_into_existing_series_does_not_allocate() {
    let sink = PrometheusSink::default();
    let summary = SummaryOptions::default();
    let labels = [Label::new("b", "2"), Label::new("a", "1")];
    let events = [
        Value::Counter(1.0),
        Value::GaugeSet(2.0),
        Value::GaugeAdd(1.0),
        Value::Observe {
            value: 0.3,
            count: 1,
            observer: Observer::Summary(&summary),
        },
    ];
    let names = ["c", "g", "g", "s"];
    let record = |i: usize| {
        let event = Event {
            name: names[i % 4],
            labels: &labels,
            value: events[i % 4],
            help: "help",
            ttl: Some(std::time::Duration::from_secs(60)),
        };
        sink.recorder().record(&event).unwrap();
    };
    for i in 0..100_000 {
        record(i);
    }
    let before = allocations();
    for i in 0..40_000 {
        record(i);
    }
    assert_eq!(allocations() - before, 0);
}

#[test]
fn recording_through_hints_does_not_allocate() {
    let sink = PrometheusSink::default();
    let summary = SummaryOptions::default();
    let histogram = HistogramOptions::default();
    let labels = [Label::new("b", "2"), Label::new("a", "1")];
    let events = [
        Value::Counter(1.0),
        Value::GaugeSet(2.0),
        Value::GaugeAdd(1.0),
        Value::Observe {
            value: 0.3,
            count: 1,
            observer: Observer::Summary(&summary),
        },
        Value::Observe {
            value: 0.3,
            count: 2,
            observer: Observer::Histogram(&histogram),
        },
    ];
    let names = ["c", "g", "g", "s", "h"];
    // One hint per series, as the pipeline keeps one per mapping.
    let mut hints = [SeriesHint::new(); 4];
    let hint_of = [0, 1, 1, 2, 3];
    let mut record = |i: usize| {
        let k = i % events.len();
        let event = Event {
            name: names[k],
            labels: &labels,
            value: events[k],
            help: "help",
            ttl: Some(std::time::Duration::from_secs(60)),
        };
        sink.recorder()
            .record_hinted(&event, &mut hints[hint_of[k]])
            .unwrap();
    };
    for i in 0..100_000 {
        record(i);
    }
    let before = allocations();
    for i in 0..50_000 {
        record(i);
    }
    assert_eq!(allocations() - before, 0);
    assert_eq!(sink.series_count(), 4);
    assert!(hints.iter().all(|h| *h != SeriesHint::new()));
}
