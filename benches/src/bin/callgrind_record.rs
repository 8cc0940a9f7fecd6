//! Instruction-count driver for statsd-exporter-core's Prometheus store.
//!
//! `callgrind_record <row> <n>` (or `callgrind_record --list`). Every row builds its store
//! on a fixed clock ([`ManualClock`]), creates its series and warms them up (summaries past
//! several hot-buffer flushes), then repeats its operation n times on deterministic input.
//! `benches/scripts/callgrind-record.sh` runs it under `valgrind --tool=callgrind` with
//! n = 0 and n = N; `(Ir(N) - Ir(0)) / N` is the cost of one operation.
//!
//! Rows:
//! - `counter`, `gauge`, `histogram`, `summary`: one sample into an existing series,
//!   cycling over 64 series of one metric with three labels given out of name order
//!   (as the pipeline hands them over: tags first, then mapping labels), one recorder
//!   (clock reading) per 32 samples. Observations cycle through 1 000 distinct values;
//!   the summary uses statsd_exporter's default objectives (3 quantiles, 5 age buckets,
//!   `buf_cap` 500), so the row includes its share of the buffer flushes.
//! - `counter_hinted`, `gauge_hinted`, `histogram_hinted`, `summary_hinted`: the same
//!   samples recorded with `Sink::record_hinted` and one `SeriesHint` per series (what the
//!   pipeline does for a line without tags): the store finds the series from the hint.
//! - `expose_counters`: one text exposition of 100 000 counter series (100 metrics ×
//!   1 000 label sets of two labels); divide by 100 000 for the cost per series.
//! - `expose_mixed`: the same with a quarter of each type.
//! - `expose_summaries`: one text exposition of 2 000 summaries (default objectives) of
//!   600 observations each, so each answers its quantiles from a full stream; divide by
//!   2 000 for the cost per series.
//! - `pipeline_datagram`, `pipeline_batch`: one Mastodon-shaped line (parse, map with the
//!   shipped Mastodon mapping, record) sent as Mastodon's client sends it, one line per
//!   datagram; `pipeline_datagram` hands each datagram to `Pipeline::process_packet`,
//!   `pipeline_batch` hands 32 at a time to `Pipeline::process_packets` (what one
//!   `recvmmsg` returns), both with one recorder per 32 datagrams. The lines come from
//!   `statsd_benches::mastodon_stream` (fixed seed); the op is one line.
//! - `pipeline_tagged`: one DogStatsD line with five tags and no mapping, one line per
//!   datagram (40 names, each sent with one to three tag sets, interleaved at random with a
//!   fixed seed): the tag walk, escaping and label merging of a tagged line.

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use statsd_exporter_core::{
    Event, Format, HistogramOptions, Label, ManualClock, Observer, Pipeline, PrometheusOptions,
    PrometheusSink, SeriesHint, Sink, SummaryOptions, Value,
};
use statsd_mapper::{Mapper, MapperConfig};
use statsd_proto::Parser;

const ROWS: [&str; 14] = [
    "counter",
    "gauge",
    "histogram",
    "summary",
    "counter_hinted",
    "gauge_hinted",
    "histogram_hinted",
    "summary_hinted",
    "expose_counters",
    "expose_mixed",
    "expose_summaries",
    "pipeline_datagram",
    "pipeline_batch",
    "pipeline_tagged",
];
const MASTODON_MAPPING: &str = include_str!("../../../examples/mastodon/statsd-mapping.yml");
const SERIES: usize = 64;
const EVENTS_PER_RECORDER: u64 = 32;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--list") {
        for row in ROWS {
            println!("{row}");
        }
        return;
    }
    let usage = "usage: callgrind_record <row> <n> | callgrind_record --list";
    let (Some(row), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let options = (SummaryOptions::default(), HistogramOptions::default());
    match row.as_str() {
        "counter" | "gauge" | "histogram" | "summary" => record::<false>(row, &options, n),
        "counter_hinted" | "gauge_hinted" | "histogram_hinted" | "summary_hinted" => {
            let kind = row.strip_suffix("_hinted").unwrap_or(row);
            record::<true>(kind, &options, n);
        }
        "expose_counters" => expose(false, &options, n),
        "expose_mixed" => expose(true, &options, n),
        "expose_summaries" => expose_summaries(&options, n),
        "pipeline_datagram" => pipeline(false, n),
        "pipeline_batch" => pipeline(true, n),
        "pipeline_tagged" => pipeline_tagged(n),
        other => {
            eprintln!("unknown row {other}\n{usage}");
            std::process::exit(2);
        }
    }
}

fn value<'a>(kind: &str, i: u64, options: &'a (SummaryOptions, HistogramOptions)) -> Value<'a> {
    let sample = (i % 1000) as f64 * 0.001;
    match kind {
        "counter" => Value::Counter(1.0),
        "gauge" => Value::GaugeSet(sample),
        "histogram" => Value::Observe {
            value: sample,
            count: 1,
            observer: Observer::Histogram(&options.1),
        },
        _ => Value::Observe {
            value: sample,
            count: 1,
            observer: Observer::Summary(&options.0),
        },
    }
}

/// `HINTED` is a constant so that the plain rows' loop is what it was before hinted rows
/// existed.
fn record<const HINTED: bool>(kind: &str, options: &(SummaryOptions, HistogramOptions), n: u64) {
    let sink =
        PrometheusSink::with_clock(PrometheusOptions::default(), Arc::new(ManualClock::new()));
    let paths: Vec<String> = (0..SERIES).map(|i| format!("/api/v1/item/{i}")).collect();
    let mut hints = [SeriesHint::new(); SERIES];
    let mut run = |start: u64, count: u64| {
        let mut i = start;
        let end = start + count;
        while i < end {
            let mut recorder = sink.recorder();
            let batch_end = end.min(i + EVENTS_PER_RECORDER);
            while i < batch_end {
                let labels = [
                    Label::new("path", &paths[i as usize % SERIES]),
                    Label::new("code", "200"),
                    Label::new("service", "web"),
                ];
                let event = Event {
                    name: kind,
                    labels: &labels,
                    value: value(kind, i, options),
                    help: "bench",
                    ttl: Some(Duration::from_secs(300)),
                };
                let result = if HINTED {
                    let hint = &mut hints[i as usize % SERIES];
                    recorder.record_hinted(black_box(&event), hint)
                } else {
                    recorder.record(black_box(&event))
                };
                black_box(result).expect("recorded");
                i += 1;
            }
        }
    };
    // Create every series and run each summary through several buffer flushes.
    let warm_up = SERIES as u64 * 2_000;
    run(0, warm_up);
    run(warm_up, n);
    assert_eq!(sink.series_count(), SERIES);
}

fn expose(mixed: bool, options: &(SummaryOptions, HistogramOptions), n: u64) {
    let sink =
        PrometheusSink::with_clock(PrometheusOptions::default(), Arc::new(ManualClock::new()));
    let kinds = ["counter", "gauge", "summary", "histogram"];
    let mut recorder = sink.recorder();
    for i in 0..100_000u64 {
        let kind = if mixed {
            kinds[i as usize % 4]
        } else {
            "counter"
        };
        let family = format!("{kind}_{}", i % 100);
        let id = (i / 100).to_string();
        let labels = [Label::new("instance", &id), Label::new("code", "200")];
        recorder
            .record(&Event {
                name: &family,
                labels: &labels,
                value: value(kind, i, options),
                help: "bench",
                ttl: None,
            })
            .expect("no conflicts in this corpus");
    }
    expose_n_times(&sink, 64 << 20, n);
}

/// 2 000 summary series of 600 observations each (values cycling over 1 000), exposed.
fn expose_summaries(options: &(SummaryOptions, HistogramOptions), n: u64) {
    let sink =
        PrometheusSink::with_clock(PrometheusOptions::default(), Arc::new(ManualClock::new()));
    let mut recorder = sink.recorder();
    for i in 0..2_000u64 {
        let id = i.to_string();
        let labels = [Label::new("instance", &id)];
        for j in 0..600u64 {
            recorder
                .record(&Event {
                    name: "latency",
                    labels: &labels,
                    value: value("summary", i * 7 + j * 13, options),
                    help: "bench",
                    ttl: None,
                })
                .expect("no conflicts in this corpus");
        }
    }
    expose_n_times(&sink, 4 << 20, n);
}

/// Exposes `sink` once before measuring (summaries flush, buffers grow), then `n` times
/// into a buffer of `capacity` bytes.
fn expose_n_times(sink: &PrometheusSink, capacity: usize, n: u64) {
    let mut out = Vec::with_capacity(capacity);
    sink.expose_metrics(&mut out, Format::Text)
        .expect("exposed");
    for _ in 0..n {
        out.clear();
        sink.expose_metrics(&mut out, Format::Text)
            .expect("exposed");
        black_box(out.len());
    }
}

fn pipeline(batched: bool, n: u64) {
    let sink =
        PrometheusSink::with_clock(PrometheusOptions::default(), Arc::new(ManualClock::new()));
    let config = MapperConfig::from_yaml_str(MASTODON_MAPPING, None).expect("mapping loads");
    let mut pipeline = Pipeline::new(
        Arc::new(Mapper::new(config, 10_000)),
        Parser::new().events(false),
        sink.stats().clone(),
    );
    let corpus = statsd_benches::mastodon_stream(42, 1 << 20);
    let datagrams: Vec<&[u8]> = corpus
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut run = |start: u64, count: u64| {
        let mut i = start as usize;
        let end = (start + count) as usize;
        while i < end {
            let batch_end = end.min(i + EVENTS_PER_RECORDER as usize);
            let batch: [&[u8]; EVENTS_PER_RECORDER as usize] =
                std::array::from_fn(|k| datagrams[(i + k) % datagrams.len()]);
            let batch = &batch[..batch_end - i];
            let mut recorder = sink.recorder();
            if batched {
                pipeline.process_packets(black_box(batch), &mut recorder);
            } else {
                for datagram in batch {
                    pipeline.process_packet(black_box(datagram), &mut recorder);
                }
            }
            i = batch_end;
        }
    };
    // Every line of the corpus once: series exist, the mapper cache is warm.
    let warm_up = datagrams.len() as u64;
    run(0, warm_up);
    run(warm_up, n);
    black_box(sink.series_count());
}

/// DogStatsD lines with tags: 40 names, each sent with one to three tag sets, interleaved.
fn pipeline_tagged(n: u64) {
    let sink =
        PrometheusSink::with_clock(PrometheusOptions::default(), Arc::new(ManualClock::new()));
    let mut pipeline = Pipeline::new(
        Arc::new(Mapper::new(MapperConfig::empty(), 10_000)),
        Parser::new().events(false),
        sink.stats().clone(),
    );
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let lines: Vec<Vec<u8>> = (0..4096)
        .map(|_| {
            let metric = next(40);
            let sets = 1 + metric % 3;
            let set = next(sets);
            let kind = ["c", "ms", "g", "c"][(metric % 4) as usize];
            format!(
                "app.service.metric_{metric}:{}|{kind}|#env:prod,service:checkout,host:web-{set},region:eu-west-1,version:1.{metric}",
                next(1000)
            )
            .into_bytes()
        })
        .collect();
    let mut run = |start: u64, count: u64| {
        let mut i = start as usize;
        let end = (start + count) as usize;
        while i < end {
            let batch_end = end.min(i + EVENTS_PER_RECORDER as usize);
            let mut recorder = sink.recorder();
            for k in i..batch_end {
                pipeline.process_packet(black_box(&lines[k % lines.len()]), &mut recorder);
            }
            i = batch_end;
        }
    };
    run(0, lines.len() as u64);
    run(lines.len() as u64, n);
    black_box(sink.series_count());
}
