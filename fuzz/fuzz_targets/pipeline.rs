//! Arbitrary packets through the whole pipeline into the Prometheus sink: nothing may
//! panic, and both expositions must stay well-formed (UTF-8, one `# TYPE` per family,
//! every sample line `name[{labels}] value`), whatever names, tags and types arrive.
#![no_main]

use std::collections::HashSet;
use std::sync::Arc;
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

fn check(text: &str, format: Format) {
    let mut families = HashSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap_or("");
            assert!(
                families.insert(name.to_owned()),
                "two TYPE lines for {name}"
            );
        } else if line.starts_with("# ") {
            continue;
        } else {
            let (series, value) = line.rsplit_once(' ').expect("sample line has a value");
            assert!(!series.is_empty() && !value.is_empty(), "{line}");
            assert!(!series.contains('\n'));
        }
    }
    if format == Format::OpenMetrics {
        assert!(text.ends_with("# EOF\n"));
    }
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
    let mapper = Mapper::new(
        MapperConfig::from_yaml_str(CONFIG, None).expect("valid config"),
        8,
    );
    let mut pipeline = Pipeline::new(Arc::new(mapper), parser, sink.stats().clone());
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
