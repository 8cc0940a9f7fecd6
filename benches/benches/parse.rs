//! statsd-proto parsing: the five line shapes, and a 1 MB Mastodon-style stream.
//!
//! Run: `cargo bench -p statsd-benches --bench parse`. Throughput is reported in
//! elements (lines) per second.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use statsd_benches::{PARSE_SHAPES, mastodon_stream};
use statsd_proto::{Item, Parser};

/// Parses a line and reads what statsd-exporter-core's pipeline reads: statsd_exporter's
/// counters (`counts`, `sample_errors`), every tag and every sample (the same work as
/// the `callgrind_parse` driver).
fn consume(parser: &Parser, line: &[u8]) -> f64 {
    let mut acc = 0.0;
    if let Ok(Item::Metric(m)) = parser.parse_line(line) {
        let c = m.counts();
        acc += f64::from(c.samples + c.samples_with_tags + c.tag_errors);
        acc += m.sample_errors().count() as f64;
        for tag in m.tags() {
            acc += tag.value_or_empty().len() as f64;
        }
        for s in m.samples().flatten() {
            acc += s.value() * s.sample_rate();
        }
    }
    acc
}

fn shapes(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_line");
    group.throughput(Throughput::Elements(1));
    for (label, line) in PARSE_SHAPES {
        for (mode, parser) in [
            ("exporter", Parser::new()),
            ("dogstatsd", Parser::dogstatsd()),
        ] {
            group.bench_function(format!("{label}/{mode}"), |b| {
                b.iter(|| consume(&parser, black_box(line)))
            });
        }
    }
    group.finish();
}

fn mastodon(c: &mut Criterion) {
    let stream = mastodon_stream(1, 1 << 20);
    let lines = stream.iter().filter(|&&b| b == b'\n').count() as u64;
    let parser = Parser::new();
    let mut group = c.benchmark_group("parse_stream");
    group.throughput(Throughput::Elements(lines));
    group.bench_function("mastodon_1MB", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for item in parser.packet(black_box(&stream)) {
                if let Ok(Item::Metric(m)) = item {
                    for s in m.samples().flatten() {
                        acc += s.value();
                    }
                }
            }
            acc
        })
    });
    group.finish();
}

criterion_group!(benches, shapes, mastodon);
criterion_main!(benches);
