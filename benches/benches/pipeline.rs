//! statsd-exporter-core end to end: packet bytes → parse → map → Prometheus sink, on 1 and
//! 2 threads (each thread its own `Pipeline` clone, one shared sink), per line.
//!
//! Inputs: `mastodon` and `dogstatsd_unmapped` pack lines into ~1400-byte datagrams (one
//! `process_packet` each); `mastodon_datagrams` sends one line per datagram as Mastodon's
//! client does, 32 datagrams per `process_packets` call (one `recvmmsg` batch).
//!
//! Run: `cargo bench -p statsd-benches --bench pipeline`

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use statsd_exporter_core::{Pipeline, PrometheusOptions, PrometheusSink};
use statsd_mapper::{Mapper, MapperConfig};
use statsd_proto::Parser;

const MASTODON: &str = include_str!("../../examples/mastodon/statsd-mapping.yml");

/// Mastodon-shaped lines (what its StatsD client sends), rotated through a few controllers,
/// tables and workers so that every rule family and a realistic number of series is hit.
fn mastodon_lines() -> Vec<String> {
    let controllers = [
        "HomeController",
        "Api.V1.Timelines.HomeController",
        "Api.V1.StatusesController",
        "AccountsController",
    ];
    let tables = ["statuses", "accounts", "follows", "media_attachments"];
    let workers = [
        "FeedInsertWorker",
        "ActivityPub..DeliveryWorker",
        "LinkCrawlWorker",
        "PushUpdateWorker",
    ];
    let mut lines = Vec::new();
    for i in 0..4 {
        let c = controllers[i];
        lines.push(format!(
            "Mastodon.production.web.{c}.index.json.total_duration:{}|ms",
            20 + i * 7
        ));
        lines.push(format!(
            "Mastodon.production.web.{c}.index.json.db_time:{}.5|ms",
            3 + i
        ));
        lines.push(format!(
            "Mastodon.production.web.{c}.index.json.view_time:{}.25|ms",
            5 + i
        ));
        lines.push(format!(
            "Mastodon.production.web.{c}.index.json.status.200:1|c"
        ));
        lines.push(format!(
            "Mastodon.production.db.tables.{}.queries.select.duration:{}.1|ms",
            tables[i],
            1 + i
        ));
        lines.push(format!(
            "Mastodon.production.sidekiq.{}.processing_time:{}|ms",
            workers[i],
            40 + i
        ));
        lines.push(format!(
            "Mastodon.production.sidekiq.{}.success:1|c",
            workers[i]
        ));
        lines.push("Mastodon.production.cache.read_multi.duration:0.4|ms".to_owned());
        lines.push(format!(
            "Mastodon.production.sidekiq.queues.default.enqueued:{i}|g"
        ));
    }
    lines
}

/// DogStatsD-style unmapped lines with tags.
fn tagged_lines() -> Vec<String> {
    (0..32)
        .map(|i| match i % 4 {
            0 => format!(
                "checkout.requests:1|c|#env:prod,region:eu-west-1,route:/cart/{}",
                i % 8
            ),
            1 => format!(
                "checkout.latency:{}.5|ms|@0.5|#env:prod,route:/cart/{}",
                i,
                i % 8
            ),
            2 => format!("checkout.queue_depth:{}|g|#env:prod", i),
            _ => format!(
                "checkout.payload_bytes:{}|d|#env:prod,route:/cart/{}",
                100 + i,
                i % 8
            ),
        })
        .collect()
}

/// Joins lines into datagrams of at most ~1400 bytes, as a StatsD client batches them.
fn packets(lines: &[String]) -> (Vec<Vec<u8>>, u64) {
    let mut packets = Vec::new();
    let mut current = Vec::new();
    for line in lines {
        if !current.is_empty() && current.len() + line.len() + 1 > 1400 {
            packets.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(b'\n');
        }
        current.extend_from_slice(line.as_bytes());
    }
    packets.push(current);
    (packets, lines.len() as u64)
}

fn bench_pipeline(c: &mut Criterion) {
    let mut group = c.benchmark_group("pipeline");
    let inputs = [
        ("mastodon", MASTODON, mastodon_lines(), false),
        ("dogstatsd_unmapped", "", tagged_lines(), false),
        ("mastodon_datagrams", MASTODON, mastodon_lines(), true),
    ];
    for (label, yaml, lines, one_per_datagram) in inputs {
        let (packets, lines_per_round) = if one_per_datagram {
            let datagrams: Vec<Vec<u8>> = lines.iter().map(|l| l.clone().into_bytes()).collect();
            (datagrams, lines.len() as u64)
        } else {
            packets(&lines)
        };
        for threads in [1usize, 2] {
            let config = if yaml.is_empty() {
                MapperConfig::empty()
            } else {
                MapperConfig::from_yaml_str(yaml, None).unwrap()
            };
            let sink = PrometheusSink::new(PrometheusOptions::default());
            let pipeline = Pipeline::new(
                Arc::new(Mapper::new(config, 1000)),
                Parser::new().events(false),
                sink.stats().clone(),
            );
            let round = |p: &mut Pipeline, rounds: u64| {
                for _ in 0..rounds {
                    if one_per_datagram {
                        for batch in packets.chunks(32) {
                            p.process_packets(black_box(batch), &mut sink.recorder());
                        }
                    } else {
                        for packet in &packets {
                            p.process_packet(black_box(packet), &mut sink.recorder());
                        }
                    }
                }
            };
            round(&mut pipeline.clone(), 2000);
            group.throughput(Throughput::Elements(lines_per_round * threads as u64));
            group.bench_function(BenchmarkId::new(label, format!("{threads}-thread")), |b| {
                b.iter_custom(|iterations| {
                    let mut workers: Vec<Pipeline> =
                        (0..threads).map(|_| pipeline.clone()).collect();
                    let start = Instant::now();
                    std::thread::scope(|scope| {
                        for worker in &mut workers {
                            let round = &round;
                            scope.spawn(move || round(worker, iterations));
                        }
                    });
                    start.elapsed()
                });
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench_pipeline);
criterion_main!(benches);
