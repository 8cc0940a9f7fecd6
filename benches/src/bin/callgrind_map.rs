//! Instruction-count driver for statsd-mapper: N lookups (with name and label
//! expansion, as in `benches/benches/mapping.rs`) of one scenario.
//!
//! `callgrind_map <scenario> <n>` with scenario one of `glob1`, `glob100`, `glob10000`,
//! `realistic10000`, `regex100worst`, `mastodon`, `mastodon_cached`, `cache_hit` (lookups
//! only, all hits), `escape` (`escape_metric_name_into` alone on the Mastodon names,
//! which all need escaping), `regex_long_anchored` (a 2 KB web status name that only the
//! Mastodon mapping's anchored regex rule maps), `regex_long_unanchored` (a 2 KB name
//! whose match, by an unanchored rule, is its last 7 bytes), `load_regex100` and
//! `load_mastodon` (one operation: load the config, then map one name by a regex rule,
//! which compiles that rule's own regex). Run it under
//! `valgrind --tool=callgrind` with n = 0 and n = 20000; the difference divided by n is
//! the cost of one lookup:
//!
//! ```text
//! cargo build --profile callgrind -p statsd-benches --bin callgrind_map
//! for n in 0 20000; do valgrind --tool=callgrind --callgrind-out-file=/dev/null \
//!     target/callgrind/callgrind_map mastodon $n 2>&1 | grep Collected; done
//! ```

use std::hint::black_box;

use statsd_mapper::{Captures, Mapper, MapperConfig, MetricKind, escape_metric_name_into};
use statsd_proto::MetricType;

const MASTODON: &str = include_str!("../../../examples/mastodon/statsd-mapping.yml");

fn load(yaml: &str, cache: usize) -> Mapper {
    Mapper::new(
        MapperConfig::from_yaml_str(yaml, None).expect("config loads"),
        cache,
    )
}

fn metric_n(count: usize, regex: bool) -> String {
    let mut yaml = String::from(if regex {
        "defaults:\n  match_type: regex\nmappings:\n"
    } else {
        "mappings:\n"
    });
    for i in 1..=count {
        let pattern = if regex {
            format!("'metric{i}\\.([^.]*)'")
        } else {
            format!("metric{i}.*")
        };
        yaml.push_str(&format!(
            "- match: {pattern}\n  name: metric_{i}\n  labels:\n    label: \"$1\"\n"
        ));
    }
    yaml
}

fn realistic(count: usize) -> (String, Vec<String>) {
    let mut yaml = String::from("mappings:\n");
    let mut names = Vec::new();
    for i in 0..count {
        let (pattern, example) = match i % 5 {
            0 => (
                format!("svc{i}.http.*.*.latency"),
                format!("svc{i}.http.get.users.latency"),
            ),
            1 => (
                format!("host.web{i}.cpu.*"),
                format!("host.web{i}.cpu.user"),
            ),
            2 => (
                format!("jobs.queue{i}.*.duration"),
                format!("jobs.queue{i}.MailWorker.duration"),
            ),
            3 => (
                format!("app{i}.*.db.*.*.count"),
                format!("app{i}.eu.db.users.select.count"),
            ),
            _ => (
                format!("cache.*.shard{i}.hits"),
                format!("cache.read.shard{i}.hits"),
            ),
        };
        yaml.push_str(&format!(
            "- match: {pattern}\n  name: rule_{i}\n  labels:\n    first: \"$1\"\n"
        ));
        names.push(example);
    }
    (yaml, names)
}

fn mastodon_names() -> Vec<(String, MetricKind)> {
    let text = String::from_utf8(statsd_benches::mastodon_stream(42, 64 * 1024)).expect("UTF-8");
    text.lines()
        .filter_map(|line| {
            let (name, rest) = line.split_once(':')?;
            let kind = MetricType::from_bytes(rest.rsplit('|').next()?.as_bytes())
                .and_then(MetricKind::of)?;
            Some((name.to_string(), kind))
        })
        .collect()
}

/// A 2 KB web status name: too deep for the Mastodon mapping's glob rules.
fn long_web_status() -> String {
    format!(
        "Mastodon.production.web.{}Controller.index.html.status.200",
        "Api.".repeat(500)
    )
}

/// One rule that matches only at the end of a name, and a 2 KB name it matches.
const TAIL_RULE: &str = "mappings:\n- match: '([a-z]+)\\.([0-9]+)$'\n  match_type: regex\n  name: tail\n  labels: {word: \"$1\", number: \"$2\"}\n";

fn long_tail_name() -> String {
    format!("{}abc.123", "-".repeat(2000))
}

/// `n` times: load `yaml`, then map `name`, which a regex rule maps.
fn load_and_map(yaml: &str, name: &str, n: usize) {
    for _ in 0..n {
        let mapper = load(black_box(yaml), 0);
        let mut captures = Captures::new();
        let mapping = mapper.map(name, MetricKind::Observer, &mut captures);
        assert!(mapping.rule().is_some(), "{name} must be mapped");
        black_box(mapping.capture_count());
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: callgrind_map <glob1|glob100|glob10000|realistic10000|regex100worst|mastodon|mastodon_cached|cache_hit|escape|regex_long_anchored|regex_long_unanchored|load_regex100|load_mastodon> <n>";
    let (Some(scenario), Some(n)) = (
        args.get(1),
        args.get(2).and_then(|n| n.parse::<usize>().ok()),
    ) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let counter = |name: &str| vec![(name.to_string(), MetricKind::Counter)];
    match scenario.as_str() {
        "load_regex100" => return load_and_map(&metric_n(100, true), "metric100.a", n),
        "load_mastodon" => {
            let name = "Mastodon.production.sidekiq.A..B..Worker.processing_time";
            return load_and_map(MASTODON, name, n);
        }
        _ => {}
    }
    let (mapper, names, cached) = match scenario.as_str() {
        "glob1" => (load(&metric_n(1, false), 0), counter("metric1.a"), false),
        "glob100" => (
            load(&metric_n(100, false), 0),
            counter("metric100.a"),
            false,
        ),
        "glob10000" => (
            load(&metric_n(10_000, false), 0),
            counter("metric5000.a"),
            false,
        ),
        "realistic10000" => {
            let (yaml, names) = realistic(10_000);
            let picked = [0usize, 1, 2, 3, 4, 4998, 5001, 9999]
                .iter()
                .map(|&i| (names[i].clone(), MetricKind::Counter))
                .collect();
            (load(&yaml, 0), picked, false)
        }
        "regex100worst" => (load(&metric_n(100, true), 0), counter("metric100.a"), false),
        "regex_long_anchored" => (load(MASTODON, 0), counter(&long_web_status()), false),
        "regex_long_unanchored" => (load(TAIL_RULE, 0), counter(&long_tail_name()), false),
        "mastodon" => (load(MASTODON, 0), mastodon_names(), false),
        "mastodon_cached" | "cache_hit" | "escape" => {
            (load(MASTODON, 100_000), mastodon_names(), true)
        }
        other => {
            eprintln!("unknown scenario {other}\n{usage}");
            std::process::exit(2);
        }
    };
    let mut captures = Captures::new();
    let mut out = String::with_capacity(256);
    // Warm up every name once so that N = 0 and N > 0 differ only by the lookups.
    for (name, kind) in &names {
        let _ = if cached {
            mapper.map(name, *kind, &mut captures)
        } else {
            mapper.map_uncached(name, *kind, &mut captures)
        };
    }
    let mut total = 0usize;
    if scenario == "escape" {
        for i in 0..n {
            let (name, _) = &names[i % names.len()];
            out.clear();
            escape_metric_name_into(black_box(name), &mut out);
            total += out.len();
        }
        black_box(total);
        return;
    }
    if scenario == "cache_hit" {
        // The cache alone: lookups that hit, without expanding anything.
        for i in 0..n {
            let (name, kind) = &names[i % names.len()];
            total += mapper
                .map(black_box(name), *kind, &mut captures)
                .capture_count();
        }
        black_box(total);
        return;
    }
    for i in 0..n {
        let (name, kind) = &names[i % names.len()];
        let mapping = if cached {
            mapper.map(black_box(name), *kind, &mut captures)
        } else {
            mapper.map_uncached(black_box(name), *kind, &mut captures)
        };
        out.clear();
        mapping.name().write_to(&mut out);
        for (key, value) in mapping.labels() {
            value.write_to(&mut out);
            total += key.len();
        }
        total += out.len();
    }
    black_box(total);
}
