//! Zero heap allocations per metric line: a counting global allocator around the
//! parser for the five benchmark shapes (parse, walk every tag and sample, count).
//!
//! Its own test binary because it installs a `#[global_allocator]`; the count is
//! per thread, so the test harness's own threads do not disturb it.

use counting_allocator::{CountingAllocator, allocations};
use statsd_proto::{Item, Parser};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

/// The five shapes of the benchmarks, and a few more real-world ones.
const SHAPES: [&[u8]; 10] = [
    b"foo.bar:1|c",
    b"api.request.duration:320|ms|@0.1",
    b"checkout.latency:12.5|d|#env:prod,region:eu-west-1,service:checkout,version:1.4.2,host:web-17",
    b"queue.wait:1:2.5:3:40|h|#env:prod",
    b"requests.total:100|c|@0.5|#service:web,env:prod|c:ci-3a88cafe|T1700000000",
    b"Mastodon.production.web.Api.V1.Timelines.HomeController.show.json.total_duration:33.85667900927365|ms",
    b"foo:200|ms:300|ms:5|c|@0.1:6|g",
    b"foo.[env=prod,dc=ams]bar:1|c",
    b"many.values:1:2:3:4:5:6:7:8:9:10:11:12|h|#env:prod",
    b"_e{5,4}:title|text|#env:prod",
];

/// Parses and walks a line the way an exporter would.
fn consume(parser: &Parser, line: &[u8]) -> f64 {
    let mut acc = 0.0;
    match parser.parse_line(line) {
        Ok(Item::Metric(m)) => {
            for tag in m.tags() {
                acc += (tag.key().len() + tag.value_or_empty().len()) as f64;
            }
            for s in m.samples().flatten() {
                acc += s.value() * s.sample_rate() + s.observation_count() as f64;
            }
            let c = m.counts();
            acc += f64::from(c.samples + c.tag_errors + c.samples_with_tags);
            acc += m.sample_errors().count() as f64;
            acc += m.name().len() as f64;
        }
        Ok(_) => acc += 1.0,
        Err(e) => acc += e.offset() as f64,
    }
    acc
}

#[test]
fn zero_allocations_per_line() {
    for parser in [Parser::new(), Parser::dogstatsd()] {
        // Warm up anything lazily initialised (memchr's CPU feature detection).
        for line in SHAPES {
            consume(&parser, line);
        }
        for line in SHAPES {
            let before = allocations();
            let mut acc = 0.0;
            for _ in 0..100 {
                acc += consume(&parser, std::hint::black_box(line));
            }
            let n = allocations() - before;
            assert_eq!(
                n,
                0,
                "{} allocations for 100 × {:?} ({:?}), acc {acc}",
                n,
                String::from_utf8_lossy(line),
                parser.compat()
            );
        }
    }
}

#[test]
fn packets_do_not_allocate_either() {
    let mut packet = Vec::new();
    for line in SHAPES {
        packet.extend_from_slice(line);
        packet.extend_from_slice(b"\r\n");
    }
    packet.extend_from_slice(b"garbage\n_e{2,2}:hi|yo|#a\n_sc|x|0|m:ok\nfoo:1o|c\n");
    let parser = Parser::new();
    let before = allocations();
    let mut items = 0;
    for item in parser.packet(std::hint::black_box(&packet)) {
        items += 1;
        if let Ok(Item::Metric(m)) = item {
            items += m.tags().count() + m.samples().count();
        }
    }
    assert_eq!(allocations() - before, 0);
    assert!(items > 12);
}

#[test]
fn the_counter_counts() {
    // The harness must be able to fail: a Vec allocates.
    let before = allocations();
    let v: Vec<u8> = std::hint::black_box(vec![1, 2, 3]);
    assert_eq!(v.len(), 3);
    assert!(allocations() > before);
}
