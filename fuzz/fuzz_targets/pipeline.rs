//! Arbitrary packets through the whole pipeline into the Prometheus sink: nothing may
//! panic, and both expositions must stay valid for `promtool check metrics` (see `check`),
//! whatever names, tags and types arrive.
#![no_main]

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use statsd_exporter_core::{Format, ManualClock, Pipeline, PrometheusOptions, PrometheusSink};
use statsd_mapper::{Mapper, MapperConfig};
use statsd_proto::Parser;

const CONFIG: &str = r#"
defaults:
  ttl: 1s
mappings:
- match: "a.*.*"
  name: "a_$1"
  labels: { second: "$2", le: "x" }
- match: "h.*"
  name: "h"
  observer_type: histogram
  histogram_options: { buckets: [1, 0.5, 10] }
- match: "s.*"
  name: "s_$1"
  observer_type: summary
  summary_options: { quantiles: [{ quantile: 0.5, error: 0.1 }], max_age: 2s, age_buckets: 2, buf_cap: 3 }
- match: "d.*"
  name: "dropped"
  action: drop
- match: "(.*)_count$"
  match_type: regex
  name: "${1}"
  honor_labels: true
  labels: { quantile: "q" }
"#;

/// What `promtool check metrics` (the Go text parser) would reject, plus the invariants a
/// scrape relies on: metric and label names in the legal alphabet, label values quoted with
/// only `\\`, `\"` and `\n` escapes, no label named twice, a value Go's `ParseFloat` reads,
/// one `# TYPE` per family, every sample inside the family its `# TYPE` opened, no series
/// exposed twice.
fn check(text: &str, format: Format) {
    let mut families = HashSet::new();
    let mut series_seen = HashSet::new();
    let mut family = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap_or("");
            assert!(valid_metric_name(name), "TYPE of bad name: {line}");
            assert!(
                families.insert(name.to_owned()),
                "two TYPE lines for {name}"
            );
            family = name.to_owned();
        } else if line.starts_with("# ") {
            continue;
        } else {
            let (series, value) = line.rsplit_once(' ').expect("sample line has a value");
            assert!(valid_value(value), "bad value: {line}");
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, Some(labels)),
                None => (series, None),
            };
            assert!(valid_metric_name(name), "bad metric name: {line}");
            let suffix = name
                .strip_prefix(family.as_str())
                .unwrap_or_else(|| panic!("sample {name} outside its family {family}: {line}"));
            assert!(
                ["", "_bucket", "_sum", "_count", "_total", "_created"].contains(&suffix),
                "sample {name} outside its family {family}"
            );
            if let Some(labels) = labels {
                let labels = labels.strip_suffix('}').expect("label set closes");
                check_labels(labels, line);
            }
            assert!(
                series_seen.insert(series.to_owned()),
                "series exposed twice: {line}"
            );
        }
    }
    if format == Format::OpenMetrics {
        assert!(text.ends_with("# EOF\n"));
    }
}

fn valid_metric_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b':')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':')
}

fn valid_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

fn valid_value(value: &str) -> bool {
    matches!(value, "NaN" | "+Inf" | "-Inf") || value.parse::<f64>().is_ok()
}

/// `name="value",...` with escapes only `\\`, `\"`, `\n`; no raw newline; no name twice.
fn check_labels(mut rest: &str, line: &str) {
    let mut names = HashSet::new();
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").expect("label has =\"");
        assert!(valid_label_name(name), "bad label name {name:?}: {line}");
        assert_ne!(name, "__name__", "reserved label name: {line}");
        assert!(names.insert(name), "label {name} twice: {line}");
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next().expect("label value closes") {
                (_, '\\') => {
                    let (_, escaped) = chars.next().expect("escape has a character");
                    assert!(matches!(escaped, '\\' | '"' | 'n'), "bad escape: {line}");
                }
                (i, '"') => break i,
                (_, '\n') => panic!("raw newline in a label value"),
                _ => {}
            }
        };
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

/// Compiled once: loading the YAML per input would dominate the run. Only the mapper's
/// cache carries over between inputs, and a cached mapping equals an uncached one (the
/// `mapper_match` target checks that).
fn mapper() -> &'static Arc<Mapper> {
    static MAPPER: OnceLock<Arc<Mapper>> = OnceLock::new();
    MAPPER.get_or_init(|| {
        Arc::new(Mapper::new(
            MapperConfig::from_yaml_str(CONFIG, None).expect("valid config"),
            8,
        ))
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&options, packet)) = data.split_first() else {
        return;
    };
    let clock = ManualClock::new();
    let sink = PrometheusSink::with_clock(
        PrometheusOptions {
            max_series: Some(usize::from(options & 0x3f) + 1),
            max_series_per_metric: (options & 0x40 != 0).then_some(3),
            shards: 4,
        },
        Arc::new(clock.clone()),
    );
    let parser = if options & 0x80 != 0 {
        Parser::dogstatsd()
    } else {
        Parser::new().events(false)
    };
    let mut pipeline = Pipeline::new(Arc::clone(mapper()), parser, sink.stats().clone());
    for (i, chunk) in packet.split(|b| *b == 0).enumerate() {
        pipeline.process_packet(chunk, &mut sink.recorder());
        pipeline.process_line(chunk, &mut &sink);
        if i % 3 == 2 {
            clock.advance(Duration::from_millis(700));
            sink.expire();
        }
    }
    for format in [Format::Text, Format::OpenMetrics] {
        let mut out = Vec::new();
        sink.expose_metrics(&mut out, format)
            .expect("writing to a Vec");
        let text = String::from_utf8(out).expect("exposition is UTF-8");
        check(&text, format);
    }
});
