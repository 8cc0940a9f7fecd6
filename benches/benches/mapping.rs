//! statsd-mapper lookups. Bench ids reuse the names of statsd_exporter's Go benchmarks
//! (`pkg/mapper/mapper_benchmark_test.go`) where the setup is comparable, so the numbers
//! can be put side by side; the Go suite's "Glob10Rules" really has 100 rules, ours has
//! what the name says.
//!
//! Every iteration does what the exporter does per line: look the name up, then expand
//! the metric name and every label value into reused `String`s.
//!
//! Run: `cargo bench -p statsd-benches --bench mapping`

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use statsd_mapper::{Captures, Mapper, MapperConfig, MetricKind, escape_metric_name};
use statsd_proto::MetricType;

const MASTODON: &str = include_str!("../../examples/mastodon/statsd-mapping.yml");

struct Harness {
    captures: Captures,
    name: String,
    value: String,
}

impl Harness {
    fn new() -> Harness {
        Harness {
            captures: Captures::new(),
            name: String::with_capacity(256),
            value: String::with_capacity(256),
        }
    }

    #[inline]
    fn run(&mut self, mapper: &Mapper, cached: bool, name: &str, kind: MetricKind) -> usize {
        let mapping = if cached {
            mapper.map(name, kind, &mut self.captures)
        } else {
            mapper.map_uncached(name, kind, &mut self.captures)
        };
        self.name.clear();
        mapping.name().write_to(&mut self.name);
        let mut total = self.name.len();
        for (key, value) in mapping.labels() {
            self.value.clear();
            value.write_to(&mut self.value);
            total += key.len() + self.value.len();
        }
        total
    }
}

fn load(yaml: &str, cache: usize) -> Mapper {
    Mapper::new(
        MapperConfig::from_yaml_str(yaml, None).expect("bench config loads"),
        cache,
    )
}

/// `count` rules `metric<i>.*` (statsd_exporter's benchmark shape).
fn metric_n_globs(count: usize) -> String {
    let mut yaml = String::from("mappings:\n");
    for i in 1..=count {
        yaml.push_str(&format!(
            "- match: metric{i}.*\n  name: metric_{i}\n  labels:\n    label: \"$1\"\n"
        ));
    }
    yaml
}

/// `count` rules `metric<i>\.([^.]*)` as regexes.
fn metric_n_regexes(count: usize) -> String {
    let mut yaml = String::from("defaults:\n  match_type: regex\nmappings:\n");
    for i in 1..=count {
        yaml.push_str(&format!(
            "- match: 'metric{i}\\.([^.]*)'\n  name: metric_{i}\n  labels:\n    label: \"$1\"\n"
        ));
    }
    yaml
}

/// 10 000 distinct rules in the shapes real configs have: per-service request
/// metrics, per-host system metrics, per-queue job metrics, with literal and `*`
/// components at different depths and lengths from 3 to 6.
fn realistic_globs(count: usize) -> (String, Vec<String>) {
    let mut yaml = String::from("mappings:\n");
    let mut names = Vec::new();
    for i in 0..count {
        let (pattern, name, example) = match i % 5 {
            0 => (
                format!("svc{i}.http.*.*.latency"),
                format!("svc{i}_http_latency"),
                format!("svc{i}.http.get.users.latency"),
            ),
            1 => (
                format!("host.web{i}.cpu.*"),
                format!("host_cpu_{i}"),
                format!("host.web{i}.cpu.user"),
            ),
            2 => (
                format!("jobs.queue{i}.*.duration"),
                format!("job_duration_{i}"),
                format!("jobs.queue{i}.MailWorker.duration"),
            ),
            3 => (
                format!("app{i}.*.db.*.*.count"),
                format!("app_db_{i}"),
                format!("app{i}.eu.db.users.select.count"),
            ),
            _ => (
                format!("cache.*.shard{i}.hits"),
                format!("cache_hits_{i}"),
                format!("cache.read.shard{i}.hits"),
            ),
        };
        yaml.push_str(&format!(
            "- match: {pattern}\n  name: {name}\n  labels:\n    first: \"$1\"\n"
        ));
        names.push(example);
    }
    (yaml, names)
}

/// statsd_exporter's 4-rule benchmark config (3 captures, 12 captures, `*.*`), in globs.
const FOUR_GLOBS: &str = r#"
mappings:
- match: test.dispatcher.*.*.*
  name: dispatch_events
  labels: {processor: "$1", action: "$2", result: "$3", job: test_dispatcher}
- match: "*.signup.*.*"
  name: signup_events
  labels: {provider: "$2", job: "${1}_server", outcome: "$3"}
- match: request_time.*.*.*.*.*.*.*.*.*.*.*.*
  name: tyk_http_request
  labels: {method_and_path: "${1}", response_code: "${2}", apikey: "${3}", apiversion: "${4}", apiname: "${5}", apiid: "${6}", ipv4_t1: "${7}", ipv4_t2: "${8}", ipv4_t3: "${9}", ipv4_t4: "${10}", orgid: "${11}", oauthid: "${12}"}
- match: "*.*"
  name: catchall
  labels: {first: "$1", second: "$2", third: "$3", joined: "$1-$2-$3"}
"#;

const FOUR_NAMES: [&str; 5] = [
    "test.dispatcher.FooProcessor.send.success",
    "foo.signup.facebook.failure",
    "request_time.get/threads/1/posts.200.00000000.nonversioned.discussions.a11bbcdf0ac64ec243658dc64b7100fb.172.20.0.1.12ba97b7eaa1a50001000001.",
    "foo.bar",
    "foo.bar.baz",
];

const TWELVE_GLOB: &str = r#"
mappings:
- match: metric.*.*.*.*.*.*.*.*.*.*.*.*
  name: metric_multi
  labels: {label: "$1-$2-$3-$4-$5-$6-$7-$8-$9-${10}-${11}-${12}"}
"#;

const TWELVE_REGEX: &str = r#"
mappings:
- match: 'metric\.([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)\.([^.]*)'
  match_type: regex
  name: metric_multi
  labels: {label: "$1-$2-$3-$4-$5-$6-$7-$8-$9-${10}-${11}-${12}"}
"#;

const TWELVE_NAME: &str = "metric.a.b.c.d.e.f.g.h.i.j.k.l";

/// Mastodon names with their real weights, from the shared load-generator corpus.
fn mastodon_names() -> Vec<(String, MetricKind)> {
    let corpus = statsd_benches::mastodon_stream(42, 256 * 1024);
    let text = String::from_utf8(corpus).expect("corpus is UTF-8");
    text.lines()
        .filter_map(|line| {
            let (name, rest) = line.split_once(':')?;
            let kind = MetricType::from_bytes(rest.rsplit('|').next()?.as_bytes())
                .and_then(MetricKind::of)?;
            Some((name.to_string(), kind))
        })
        .collect()
}

fn bench_globs(c: &mut Criterion) {
    let mut group = c.benchmark_group("mapper");
    let mut h = Harness::new();

    let four = load(FOUR_GLOBS, 0);
    // Like the Go benchmark: all five names per iteration.
    group.bench_function("Glob", |b| {
        b.iter(|| {
            FOUR_NAMES
                .iter()
                .map(|n| h.run(&four, false, black_box(n), MetricKind::Counter))
                .sum::<usize>()
        })
    });
    let four_unordered = load(
        &format!("defaults:\n  glob_disable_ordering: true\n{FOUR_GLOBS}"),
        0,
    );
    group.bench_function("GlobNoOrdering", |b| {
        b.iter(|| {
            FOUR_NAMES
                .iter()
                .map(|n| h.run(&four_unordered, false, black_box(n), MetricKind::Counter))
                .sum::<usize>()
        })
    });

    let one = load(&metric_n_globs(1), 0);
    group.bench_function("Glob1Rule", |b| {
        b.iter(|| h.run(&one, false, black_box("metric1.a"), MetricKind::Counter))
    });
    let hundred = load(&metric_n_globs(100), 0);
    group.bench_function("Glob100Rules", |b| {
        b.iter(|| {
            h.run(
                &hundred,
                false,
                black_box("metric100.a"),
                MetricKind::Counter,
            )
        })
    });
    group.bench_function("Glob100RulesNoMatch", |b| {
        b.iter(|| {
            h.run(
                &hundred,
                false,
                black_box("metricnomatchy.a"),
                MetricKind::Counter,
            )
        })
    });
    let hundred_cached = load(&metric_n_globs(100), 1000);
    group.bench_function("Glob100RulesCached", |b| {
        b.iter(|| {
            h.run(
                &hundred_cached,
                true,
                black_box("metric100.a"),
                MetricKind::Counter,
            )
        })
    });

    let (yaml, names) = realistic_globs(10_000);
    let ten_thousand = load(&yaml, 0);
    let probes: Vec<&str> = [0usize, 1, 2, 3, 4, 4998, 5001, 9999]
        .iter()
        .map(|&i| names[i].as_str())
        .collect();
    let (one_yaml, one_names) = realistic_globs(5);
    let five = load(&one_yaml, 0);
    let five_probes: Vec<&str> = one_names.iter().map(String::as_str).collect();
    // One name per iteration, cycling through the probes.
    let mut i = 0;
    group.bench_function("GlobRealistic5Rules", |b| {
        b.iter(|| {
            i = (i + 1) % five_probes.len();
            h.run(&five, false, black_box(five_probes[i]), MetricKind::Counter)
        })
    });
    group.bench_function("GlobRealistic10000Rules", |b| {
        b.iter(|| {
            i = (i + 1) % probes.len();
            h.run(
                &ten_thousand,
                false,
                black_box(probes[i]),
                MetricKind::Counter,
            )
        })
    });
    let ten_thousand_metric = load(&metric_n_globs(10_000), 0);
    group.bench_function("Glob10000Rules", |b| {
        b.iter(|| {
            h.run(
                &ten_thousand_metric,
                false,
                black_box("metric5000.a"),
                MetricKind::Counter,
            )
        })
    });

    let twelve = load(TWELVE_GLOB, 0);
    group.bench_function("GlobMultipleCaptures", |b| {
        b.iter(|| h.run(&twelve, false, black_box(TWELVE_NAME), MetricKind::Counter))
    });
    group.finish();
}

fn bench_regexes(c: &mut Criterion) {
    let mut group = c.benchmark_group("mapper");
    let mut h = Harness::new();
    let ten = load(&metric_n_regexes(10), 0);
    group.bench_function("Regex10RulesAverage", |b| {
        b.iter(|| h.run(&ten, false, black_box("metric5.a"), MetricKind::Counter))
    });
    let hundred = load(&metric_n_regexes(100), 0);
    group.bench_function("Regex100RulesAverage", |b| {
        b.iter(|| {
            h.run(
                &hundred,
                false,
                black_box("metric50.a"),
                MetricKind::Counter,
            )
        })
    });
    group.bench_function("Regex100RulesWorst", |b| {
        b.iter(|| {
            h.run(
                &hundred,
                false,
                black_box("metric100.a"),
                MetricKind::Counter,
            )
        })
    });
    let twelve = load(TWELVE_REGEX, 0);
    group.bench_function("RegexMultipleCaptures", |b| {
        b.iter(|| h.run(&twelve, false, black_box(TWELVE_NAME), MetricKind::Counter))
    });
    group.finish();
}

fn bench_mastodon(c: &mut Criterion) {
    let mut group = c.benchmark_group("mapper");
    let mut h = Harness::new();
    let names = mastodon_names();
    let uncached = load(MASTODON, 0);
    let cached = load(MASTODON, 10_000);
    // One name per iteration, cycling through the corpus in order (realistic mix).
    let mut i = 0;
    group.bench_function("Mastodon", |b| {
        b.iter(|| {
            i = (i + 1) % names.len();
            let (name, kind) = &names[i];
            h.run(&uncached, false, black_box(name), *kind)
        })
    });
    for (name, kind) in &names {
        h.run(&cached, true, name, *kind);
    }
    group.bench_function("MastodonCached", |b| {
        b.iter(|| {
            i = (i + 1) % names.len();
            let (name, kind) = &names[i];
            h.run(&cached, true, black_box(name), *kind)
        })
    });
    // A single cache hit without expansion: the cost of the cache itself.
    let mut captures = Captures::new();
    let hit = "Mastodon.production.web.Api.V1.Timelines.HomeController.show.json.status.200";
    group.bench_function("CacheHit", |b| {
        b.iter(|| {
            cached
                .map(black_box(hit), MetricKind::Counter, &mut captures)
                .capture_count()
        })
    });
    group.bench_function("EscapeMetricName", |b| {
        b.iter(|| {
            escape_metric_name(black_box(
                "Mastodon.production.web.HomeController.index.html.total_duration",
            ))
            .len()
        })
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
        .sample_size(30)
}

criterion_group! { name = benches; config = config(); targets = bench_globs, bench_regexes, bench_mastodon }
criterion_main!(benches);
