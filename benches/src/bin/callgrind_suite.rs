//! Instruction-count driver for the regression check: one hot-path operation, N times.
//!
//! `callgrind_suite <row> <n>` (or `callgrind_suite --list`). Every row does its setup
//! (parser, mapper, store, one warm-up call so that buffers have grown), then repeats the
//! operation n times on the same deterministic input. `benches/scripts/callgrind-check.sh`
//! runs it under `valgrind --tool=callgrind` with n = 0 and n = N; `(Ir(N) - Ir(0)) / N` is
//! the cost of one operation, free of start-up and setup.
//!
//! Rows:
//! - `parse_plain`: parse `foo.bar:1|c` (statsd_exporter defaults), take its counters and
//!   read its sample, as statsd-exporter-core's pipeline does;
//! - `parse_dogstatsd_tags5`: the same for a DogStatsD line with 5 tags, walking every tag;
//! - `map_glob_uncached`: the project's Mastodon mapping, a web status counter that a
//!   glob rule maps, without the cache; expands the name and every label value;
//! - `map_regex_uncached`: the same mapping, a Sidekiq worker timer nested deeper than any
//!   glob rule reaches, mapped by a regex rule after every glob missed; expands as above;
//! - `map_cache_hit`: the glob name again, through a warm cache of 1000 entries;
//! - `record_counter_existing`: record a counter increment with five labels into a
//!   series that exists (statsd-exporter-core's Prometheus store, fixed clock).

use std::hint::black_box;
use std::sync::Arc;

use statsd_exporter_core::{
    Event, Label, ManualClock, PrometheusOptions, PrometheusSink, Sink, Value,
};
use statsd_mapper::{Captures, Mapper, MapperConfig, MatchType, MetricKind};
use statsd_proto::{Item, Parser};

/// The project's Mastodon mapping, compiled in so that the input never changes under us.
const MASTODON_MAPPING: &str = include_str!("../../../examples/mastodon/statsd-mapping.yml");
const PLAIN: &[u8] = b"foo.bar:1|c";
const TAGS5: &[u8] =
    b"checkout.latency:12.5|d|#env:prod,region:eu-west-1,service:checkout,version:1.4.2,host:web-17";
const GLOB_NAME: &str = "Mastodon.production.web.HomeController.index.html.status.200";
/// Nested deeper than any glob rule of the mapping reaches: only a regex rule maps it.
const REGEX_NAME: &str = "Mastodon.production.sidekiq.A..B..C..D..E..Worker.processing_time";

const ROWS: [&str; 6] = [
    "parse_plain",
    "parse_dogstatsd_tags5",
    "map_glob_uncached",
    "map_regex_uncached",
    "map_cache_hit",
    "record_counter_existing",
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("--list") {
        for row in ROWS {
            println!("{row}");
        }
        return;
    }
    let usage = "usage: callgrind_suite <row> <n> | callgrind_suite --list";
    let (Some(row), Some(n)) = (args.get(1), args.get(2).and_then(|n| n.parse::<u64>().ok()))
    else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    match row.as_str() {
        "parse_plain" => parse(PLAIN, n),
        "parse_dogstatsd_tags5" => parse(TAGS5, n),
        "map_glob_uncached" => map(GLOB_NAME, MetricKind::Counter, MatchType::Glob, 0, n),
        "map_regex_uncached" => map(REGEX_NAME, MetricKind::Observer, MatchType::Regex, 0, n),
        "map_cache_hit" => map(GLOB_NAME, MetricKind::Counter, MatchType::Glob, 1000, n),
        "record_counter_existing" => record(n),
        other => {
            eprintln!("unknown row {other}\n{usage}");
            std::process::exit(2);
        }
    }
}

/// Parses `line`, then does what statsd-exporter-core's pipeline does with a metric line:
/// takes statsd_exporter's counters (`counts`, `sample_errors`), walks every tag and sample.
fn parse(line: &[u8], n: u64) {
    let parser = Parser::new();
    let once = |acc: &mut f64| {
        if let Ok(Item::Metric(ref m)) = parser.parse_line(black_box(line)) {
            let c = m.counts();
            *acc += f64::from(c.samples + c.samples_with_tags + c.tag_errors);
            *acc += m.sample_errors().count() as f64;
            for tag in m.tags() {
                *acc += tag.value_or_empty().len() as f64;
            }
            for sample in m.samples().flatten() {
                *acc += sample.value() * sample.sample_rate();
            }
        }
    };
    let mut acc = 0.0;
    once(&mut acc);
    for _ in 0..n {
        once(&mut acc);
    }
    black_box(acc);
}

/// Maps `name` and expands the metric name and label values into reused buffers; the row
/// fails if a rule of another match type maps it (the mapping changed under the row).
fn map(name: &str, kind: MetricKind, expected: MatchType, cache: usize, n: u64) {
    let config =
        MapperConfig::from_yaml_str(MASTODON_MAPPING, None).expect("the Mastodon mapping loads");
    let mapper = Mapper::new(config, cache);
    let mut captures = Captures::new();
    let mut metric = String::with_capacity(128);
    let mut value = String::with_capacity(128);
    let mut once = || {
        let mapping = if cache > 0 {
            mapper.map(black_box(name), kind, &mut captures)
        } else {
            mapper.map_uncached(black_box(name), kind, &mut captures)
        };
        assert_eq!(
            mapping.rule().map(|r| r.match_type()),
            Some(expected),
            "{name} must be mapped by a {expected:?} rule"
        );
        metric.clear();
        mapping.name().write_to(&mut metric);
        for (_, v) in mapping.labels() {
            value.clear();
            v.write_to(&mut value);
        }
        black_box((&metric, &value));
    };
    once();
    for _ in 0..n {
        once();
    }
}

/// Records a counter increment into an existing series.
fn record(n: u64) {
    let sink =
        PrometheusSink::with_clock(PrometheusOptions::default(), Arc::new(ManualClock::new()));
    let labels = [
        Label::new("controller", "HomeController"),
        Label::new("action", "index"),
        Label::new("format", "html"),
        Label::new("status", "200"),
        Label::new("mastodon", "web"),
    ];
    let event = Event {
        name: "mastodon_controller_status",
        labels: &labels,
        value: Value::Counter(1.0),
        help: "Requests by status.",
        ttl: None,
    };
    let mut recorder = sink.recorder();
    recorder
        .record(&event)
        .expect("the first sample creates the series");
    for _ in 0..n {
        black_box(recorder.record(black_box(&event))).expect("recorded");
    }
    assert_eq!(sink.series_count(), 1);
}
