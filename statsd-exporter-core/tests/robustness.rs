//! Garbage and hostile input through the whole pipeline: nothing panics, and the exposition
//! stays well-formed (one family per name, every sample under its family) whatever arrives.

use std::collections::HashSet;
use std::sync::Arc;

use proptest::prelude::*;
use statsd_exporter_core::{Format, Pipeline, PrometheusOptions, PrometheusSink};
use statsd_mapper::{Mapper, MapperConfig};
use statsd_proto::Parser;

const CONFIG: &str = r#"
defaults:
  observer_type: histogram
mappings:
- match: "a.*"
  name: "a_$1"
  labels: { le: "x" }
- match: "s.*"
  name: "s_$1"
  observer_type: summary
- match: "(.*)_count$"
  match_type: regex
  name: "${1}"
"#;

fn pipeline(sink: &PrometheusSink, parser: Parser) -> Pipeline {
    let config = MapperConfig::from_yaml_str(CONFIG, None).unwrap();
    Pipeline::new(
        Arc::new(Mapper::new(config, 16)),
        parser,
        sink.stats().clone(),
    )
}

/// Checks the structure of a text exposition; returns the number of families.
fn assert_well_formed(text: &str, format: Format) -> usize {
    let mut families = HashSet::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a name and a type");
            assert!(
                families.insert(name.to_owned()),
                "two TYPE lines for {name}:\n{text}"
            );
            current = Some((name.to_owned(), kind.to_owned()));
        } else if line.starts_with("# ") {
            continue;
        } else {
            let (family, kind) = current.as_ref().expect("sample before any TYPE");
            let name_end = line.find(['{', ' ']).expect("sample has a value");
            let sample_name = &line[..name_end];
            let suffix = sample_name
                .strip_prefix(family.as_str())
                .unwrap_or_else(|| panic!("{line} outside {family}"));
            let allowed: &[&str] = match (kind.as_str(), format) {
                ("counter", Format::OpenMetrics) => &["_total"],
                ("summary", _) => &["", "_sum", "_count"],
                ("histogram", _) => &["_bucket", "_sum", "_count"],
                _ => &[""],
            };
            assert!(allowed.contains(&suffix), "{line} in {kind} {family}");
        }
    }
    families.len()
}

fn statsd_line() -> impl Strategy<Value = String> {
    let name = prop::sample::select(vec![
        "a.b",
        "a.b_count",
        "x",
        "x_count",
        "x_sum",
        "x_bucket",
        "s.t",
        "s.t_count",
        "le",
        "9lives",
        "[k=v]",
        "we ird.na-me",
        "statsd_exporter_lines_total",
        "",
    ]);
    let value = prop::sample::select(vec!["1", "-1", "+2", "0", "NaN", "1e309", "abc", "0.5"]);
    let kind = prop::sample::select(vec!["c", "g", "ms", "h", "d", "s", "x"]);
    let extra = prop::sample::select(vec![
        "",
        "|@0.1",
        "|@2",
        "|@-1",
        "|@0",
        "|#le:1",
        "|#quantile:0.5",
        "|#__name__:x",
        "|#a:1,a:2",
        "|#k:v",
        "|c:abc",
        "|T123",
    ]);
    (name, value, kind, extra).prop_map(|(n, v, k, e)| format!("{n}:{v}|{k}{e}"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn arbitrary_bytes_never_break_anything(packets in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 1..8)) {
        let sink = PrometheusSink::new(PrometheusOptions { max_series: Some(50), shards: 4, ..Default::default() });
        let mut p = pipeline(&sink, Parser::new());
        let mut dog = pipeline(&sink, Parser::dogstatsd());
        for packet in &packets {
            p.process_packet(packet, &mut sink.recorder());
            dog.process_line(packet, &mut sink.recorder());
        }
        for format in [Format::Text, Format::OpenMetrics] {
            let mut out = Vec::new();
            sink.expose_metrics(&mut out, format).unwrap();
            assert_well_formed(std::str::from_utf8(&out).unwrap(), format);
        }
    }

    #[test]
    fn hostile_statsd_lines_keep_the_exposition_valid(lines in prop::collection::vec(statsd_line(), 1..40)) {
        let sink = PrometheusSink::new(PrometheusOptions { max_series: Some(20), ..Default::default() });
        let mut p = pipeline(&sink, Parser::new().events(false));
        p.process_packet(lines.join("\n").as_bytes(), &mut sink.recorder());
        let mut out = Vec::new();
        sink.expose_metrics(&mut out, Format::Text).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_well_formed(&text, Format::Text);
        prop_assert!(sink.series_count() <= 20);
    }
}
