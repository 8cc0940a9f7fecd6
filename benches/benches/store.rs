//! The Prometheus sink of statsd-exporter-core: samples per second into existing series for
//! each metric type on 1 and 2 threads (`store/record`: found by name and labels;
//! `store/record_hinted`: through a `SeriesHint` per series, as the pipeline records
//! untagged lines), exposition time for 100 000 series, and memory per series (printed once
//! at start-up).
//!
//! Run: `cargo bench -p statsd-benches --bench store`

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use statsd_exporter_core::{
    Event, Format, HistogramOptions, Label, Observer, PrometheusOptions, PrometheusSink,
    SeriesHint, Sink, SummaryOptions, Value,
};

/// Series each thread cycles through (distinct per thread, so threads share shards but not
/// series).
const SERIES_PER_THREAD: usize = 64;
/// Events recorded per clock reading, like one recorder per received packet.
const EVENTS_PER_RECORDER: usize = 32;

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Summary,
    Histogram,
}

impl Kind {
    const ALL: [Kind; 4] = [Kind::Counter, Kind::Gauge, Kind::Summary, Kind::Histogram];

    fn name(self) -> &'static str {
        match self {
            Kind::Counter => "counter",
            Kind::Gauge => "gauge",
            Kind::Summary => "summary",
            Kind::Histogram => "histogram",
        }
    }
}

struct Options {
    summary: SummaryOptions,
    histogram: HistogramOptions,
}

/// Label values `0`..`SERIES_PER_THREAD` for each thread, built once.
fn label_values(thread: usize) -> Vec<(String, String)> {
    (0..SERIES_PER_THREAD)
        .map(|i| (format!("t{thread}"), format!("/api/v1/item/{i}")))
        .collect()
}

/// Records `iterations` events of `kind` into the thread's series; with `hints` (one per
/// series), through them.
fn record(
    sink: &PrometheusSink,
    options: &Options,
    kind: Kind,
    values: &[(String, String)],
    iterations: u64,
    mut hints: Option<&mut [SeriesHint]>,
) {
    let mut i = 0usize;
    let mut remaining = iterations;
    while remaining > 0 {
        let batch = remaining.min(EVENTS_PER_RECORDER as u64);
        let mut recorder = sink.recorder();
        for _ in 0..batch {
            let (thread, path) = &values[i % values.len()];
            let labels = [
                Label::new("thread", thread),
                Label::new("path", path),
                Label::new("code", "200"),
            ];
            let sample = (i % 1000) as f64 * 0.001;
            let value = match kind {
                Kind::Counter => Value::Counter(1.0),
                Kind::Gauge => Value::GaugeSet(sample),
                Kind::Summary => Value::Observe {
                    value: sample,
                    count: 1,
                    observer: Observer::Summary(&options.summary),
                },
                Kind::Histogram => Value::Observe {
                    value: sample,
                    count: 1,
                    observer: Observer::Histogram(&options.histogram),
                },
            };
            let event = Event {
                name: kind.name(),
                labels: &labels,
                value,
                help: "bench",
                ttl: Some(Duration::from_secs(300)),
            };
            let result = match hints.as_deref_mut() {
                Some(hints) => {
                    recorder.record_hinted(black_box(&event), &mut hints[i % values.len()])
                }
                None => recorder.record(black_box(&event)),
            };
            let _ = black_box(result);
            i += 1;
        }
        remaining -= batch;
    }
}

fn bench_record(c: &mut Criterion) {
    let options = Options {
        summary: SummaryOptions::default(),
        histogram: HistogramOptions::default(),
    };
    for hinted in [false, true] {
        let mut group = c.benchmark_group(if hinted {
            "store/record_hinted"
        } else {
            "store/record"
        });
        for kind in Kind::ALL {
            for threads in [1usize, 2] {
                let sink = PrometheusSink::new(PrometheusOptions::default());
                let values: Vec<Vec<(String, String)>> = (0..threads).map(label_values).collect();
                let mut hints: Vec<Vec<SeriesHint>> =
                    vec![vec![SeriesHint::new(); SERIES_PER_THREAD]; threads];
                // Create every series (and warm summaries up, fill the hints) before
                // measuring.
                for (v, h) in values.iter().zip(hints.iter_mut()) {
                    let h = hinted.then_some(h.as_mut_slice());
                    record(&sink, &options, kind, v, 50_000, h);
                }
                group.throughput(Throughput::Elements(threads as u64));
                group.bench_function(
                    BenchmarkId::new(kind.name(), format!("{threads}-thread")),
                    |b| {
                        b.iter_custom(|iterations| {
                            let start = Instant::now();
                            std::thread::scope(|scope| {
                                for (v, h) in values.iter().zip(hints.iter_mut()) {
                                    let (sink, options) = (&sink, &options);
                                    let h = hinted.then_some(h.as_mut_slice());
                                    scope.spawn(move || {
                                        record(sink, options, kind, v, iterations, h)
                                    });
                                }
                            });
                            start.elapsed()
                        });
                    },
                );
            }
        }
        group.finish();
    }
}

/// A store with `n` series: counters only, or a quarter of each type.
fn populated(n: usize, mixed: bool) -> PrometheusSink {
    let options = Options {
        summary: SummaryOptions::default(),
        histogram: HistogramOptions::default(),
    };
    let sink = PrometheusSink::new(PrometheusOptions::default());
    let mut recorder = sink.recorder();
    for i in 0..n {
        let kind = if mixed {
            Kind::ALL[i % 4]
        } else {
            Kind::Counter
        };
        let family = format!("{}_{}", kind.name(), i % 100);
        let id = (i / 100).to_string();
        let labels = [Label::new("instance", &id), Label::new("code", "200")];
        let value = match kind {
            Kind::Counter => Value::Counter(i as f64),
            Kind::Gauge => Value::GaugeSet(i as f64 * 0.5),
            Kind::Summary => Value::Observe {
                value: 0.25,
                count: 1,
                observer: Observer::Summary(&options.summary),
            },
            Kind::Histogram => Value::Observe {
                value: 0.25,
                count: 1,
                observer: Observer::Histogram(&options.histogram),
            },
        };
        recorder
            .record(&Event {
                name: &family,
                labels: &labels,
                value,
                help: "bench",
                ttl: None,
            })
            .expect("no conflicts in the bench corpus");
    }
    sink
}

fn bench_expose(c: &mut Criterion) {
    let mut group = c.benchmark_group("store/expose");
    group.sample_size(20);
    for (label, mixed) in [("100k_counters", false), ("100k_mixed", true)] {
        let sink = populated(100_000, mixed);
        let mut out = Vec::with_capacity(64 << 20);
        sink.expose_metrics(&mut out, Format::Text).unwrap();
        let bytes = out.len();
        group.throughput(Throughput::Elements(100_000));
        group.bench_function(
            BenchmarkId::new(label, format!("{}KiB", bytes / 1024)),
            |b| {
                b.iter(|| {
                    out.clear();
                    sink.expose_metrics(&mut out, Format::Text).unwrap();
                    black_box(out.len())
                })
            },
        );
    }
    group.finish();
}

/// A store with `n` counters shaped like the series `statsd-loadgen --series` creates
/// through the shipped Mastodon mapping (the series whose resident memory
/// `scripts/bench-exporter.sh` counts): `mastodon_controller_status` with five labels, one
/// of them distinct per series (`controller="Bench12345Controller"`).
fn populated_mastodon(n: usize) -> PrometheusSink {
    let sink = PrometheusSink::new(PrometheusOptions::default());
    let mut recorder = sink.recorder();
    for i in 0..n {
        let controller = format!("Bench{i}Controller");
        // The order the pipeline hands them over: the mapping's labels in rule order.
        let labels = [
            Label::new("controller", &controller),
            Label::new("action", "index"),
            Label::new("format", "json"),
            Label::new("status", "200"),
            Label::new("mastodon", "web"),
        ];
        recorder
            .record(&Event {
                name: "mastodon_controller_status",
                labels: &labels,
                value: Value::Counter(1.0),
                help: "bench",
                ttl: None,
            })
            .expect("no conflicts in the bench corpus");
    }
    sink
}

/// Resident memory of this process in bytes (Linux), for the memory-per-series report.
fn resident_bytes() -> Option<u64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// Environment variable that makes the bench binary measure one memory shape and exit: each
/// shape is measured in a fresh process, so memory freed by the previous store (kept by the
/// allocator) does not hide the next one's growth.
const MEMORY_SHAPE_VAR: &str = "STORE_BENCH_MEMORY_SHAPE";

const MEMORY_SHAPES: [&str; 3] = [
    "counters",
    "mixed (¼ each type)",
    "Mastodon controller counters (5 labels)",
];

/// Builds shape `shape` (an index into [`MEMORY_SHAPES`]) and prints its memory per series.
fn report_memory_shape(shape: usize) {
    let before = resident_bytes();
    let sink = match shape {
        0 => populated(100_000, false),
        1 => populated(100_000, true),
        _ => populated_mastodon(100_000),
    };
    let after = resident_bytes();
    let estimate = sink.heap_bytes_estimate() / 100_000;
    let rss = match (before, after) {
        (Some(b), Some(a)) => format!("{} B", a.saturating_sub(b) / 100_000),
        _ => "n/a".to_owned(),
    };
    eprintln!(
        "memory per series, 100 000 {}: heap estimate {estimate} B, resident growth {rss}",
        MEMORY_SHAPES[shape]
    );
    black_box(&sink);
}

/// Prints the heap estimate and the resident-memory growth per series for each shape (each
/// in a child process of this binary; in this one if that cannot be started).
fn report_memory(_: &mut Criterion) {
    if let Some(shape) = std::env::var(MEMORY_SHAPE_VAR)
        .ok()
        .and_then(|s| s.parse::<usize>().ok())
    {
        report_memory_shape(shape);
        std::process::exit(0);
    }
    for shape in 0..MEMORY_SHAPES.len() {
        let child = std::env::current_exe().and_then(|exe| {
            std::process::Command::new(exe)
                .args(["--bench", "no-benchmark-has-this-name"])
                .env(MEMORY_SHAPE_VAR, shape.to_string())
                .status()
        });
        if !child.is_ok_and(|status| status.success()) {
            report_memory_shape(shape);
        }
    }
    let summary_only = {
        let options = SummaryOptions::default();
        let sink = Arc::new(PrometheusSink::new(PrometheusOptions::default()));
        let mut recorder = sink.recorder();
        for i in 0..10_000 {
            let id = i.to_string();
            let labels = [Label::new("i", &id)];
            for v in 0..600 {
                let _ = recorder.record(&Event {
                    name: "s",
                    labels: &labels,
                    value: Value::Observe {
                        value: f64::from(v),
                        count: 1,
                        observer: Observer::Summary(&options),
                    },
                    help: "bench",
                    ttl: None,
                });
            }
        }
        sink.heap_bytes_estimate() / 10_000
    };
    eprintln!(
        "memory per series, 10 000 summaries after 600 observations each: heap estimate {summary_only} B"
    );
}

criterion_group!(benches, report_memory, bench_record, bench_expose);
criterion_main!(benches);
