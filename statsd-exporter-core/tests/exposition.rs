//! Both exposition formats against golden files, and `promtool check metrics` on them.

use std::path::PathBuf;
use std::process::Command;

use statsd_exporter_core::{
    Event, Format, HistogramOptions, Label, Observer, PrometheusOptions, PrometheusSink, Quantile,
    Sink, SummaryOptions, Value,
};

use crate::support::*;

/// HELP text exercising both escapes of the text format and the quote escape of OpenMetrics.
const TRICKY_HELP: &str = "Help with a backslash \\ and a\nnewline and \"quotes\".";

/// A store holding one of everything the exposition has to get right.
fn populated() -> PrometheusSink {
    populated_with_help(TRICKY_HELP)
}

/// [`populated`] with another HELP text for the `escapes` gauge.
fn populated_with_help(escapes_help: &str) -> PrometheusSink {
    let sink = PrometheusSink::default();
    let mut r = sink.recorder();
    let mut send = |name: &str, labels: &[(&str, &str)], value: Value<'_>, help: &str| {
        let labels: Vec<Label<'_>> = labels.iter().map(|(n, v)| Label::new(n, v)).collect();
        r.record(&Event {
            name,
            labels: &labels,
            value,
            help,
            ttl: None,
        })
        .unwrap();
    };
    let histogram = HistogramOptions {
        buckets: vec![0.1, 1.0, 2.5, 1e6],
        ..HistogramOptions::default()
    };
    let summary = SummaryOptions {
        quantiles: vec![
            Quantile {
                quantile: 0.5,
                error: 0.05,
            },
            Quantile {
                quantile: 0.99,
                error: 0.001,
            },
        ],
        ..SummaryOptions::default()
    };
    send(
        "requests",
        &[("code", "200"), ("path", "/a")],
        Value::Counter(1_000_000.0),
        HELP,
    );
    send(
        "requests",
        &[("code", "500"), ("path", "/a")],
        Value::Counter(2.5),
        HELP,
    );
    send("requests", &[("code", "200")], Value::Counter(3.0), HELP);
    send(
        "escapes",
        &[
            ("quote", "say \"hi\""),
            ("slash", "a\\b"),
            ("newline", "x\ny"),
            ("utf8", "é😱"),
        ],
        Value::GaugeSet(-0.000012),
        escapes_help,
    );
    send(
        "temperature",
        &[],
        Value::GaugeSet(f64::INFINITY),
        "Degrees.",
    );
    send("nan_requests", &[], Value::Counter(f64::NAN), HELP);
    send("big_value", &[], Value::GaugeSet(1.5e300), HELP);
    for v in [0.05, 0.5, 0.7, 3.0, 2e6] {
        send(
            "latency_seconds",
            &[("route", "x")],
            Value::Observe {
                value: v,
                count: 1,
                observer: Observer::Histogram(&histogram),
            },
            "Latency.",
        );
    }
    send(
        "latency_seconds",
        &[("route", "y")],
        Value::Observe {
            value: 0.1,
            count: 4,
            observer: Observer::Histogram(&histogram),
        },
        "Latency.",
    );
    for v in [1.0, 2.0, 3.0, 4.0] {
        send(
            "timer",
            &[("job", "a")],
            Value::Observe {
                value: v,
                count: 1,
                observer: Observer::Summary(&summary),
            },
            HELP,
        );
    }
    send(
        "timer",
        &[],
        Value::Observe {
            value: 0.25,
            count: 1,
            observer: Observer::Summary(&summary),
        },
        HELP,
    );
    let stats = sink.stats();
    stats.lines.add(12);
    stats.samples.add(11);
    stats.sample_errors.add("malformed_line", 1);
    stats.events.add("counter", 4);
    stats.events_error.add("illegal_negative_counter", 1);
    stats.conflict("requests", "gauge");
    stats.events_actions.add("map", 3);
    stats.config_reloads.add("success", 1);
    stats.loaded_mappings.set(3.0);
    sink
}

fn data_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// Compares with a golden file; `UPDATE_GOLDEN=1` rewrites it instead.
fn assert_golden(name: &str, actual: &str) {
    let path = data_path(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let expected =
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(
        actual,
        expected,
        "exposition differs from {}",
        path.display()
    );
}

#[test]
fn text_format_matches_golden_file() {
    assert_golden("exposition.prom", &expose(&populated(), Format::Text));
}

#[test]
fn openmetrics_format_matches_golden_file() {
    assert_golden("exposition.om", &expose(&populated(), Format::OpenMetrics));
}

#[test]
fn exposition_is_deterministic() {
    let a = expose(&populated(), Format::Text);
    let b = expose(&populated(), Format::Text);
    assert_eq!(a, b);
}

/// Counter values by (name, label pairs sorted by name).
type SeriesTable = std::collections::BTreeMap<(String, Vec<(String, String)>), u64>;

/// The text exposition's user lines as a reference implementation writes them: families
/// by name, series by label pairs (name, then value, pair by pair; a shorter list first).
fn reference_lines(series: &SeriesTable) -> Vec<String> {
    let mut lines = Vec::new();
    let mut family = "";
    for ((name, labels), value) in series {
        if name != family {
            family = name;
            lines.push(format!("# HELP {name} {HELP}"));
            lines.push(format!("# TYPE {name} counter"));
        }
        let rendered: Vec<String> = labels
            .iter()
            .map(|(n, v)| {
                let v = v
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                format!("{n}=\"{v}\"")
            })
            .collect();
        if rendered.is_empty() {
            lines.push(format!("{name} {value}"));
        } else {
            lines.push(format!("{name}{{{}}} {value}", rendered.join(",")));
        }
    }
    lines
}

#[test]
fn series_order_matches_a_reference_sort_through_expiry_and_reuse() {
    // Label values that stress the sort key: shared prefixes longer than 8 bytes, NUL,
    // bytes that escape, prefixes of each other, non-ASCII; label sets of 0 to 3 pairs.
    // Half of the series expire and new ones take their slots and label-text space.
    use std::collections::BTreeMap;
    use std::time::Duration;
    let values = [
        "",
        "a",
        "a\0",
        "a\0b",
        "ab",
        "aaaaaaaaaaaaaaaa1",
        "aaaaaaaaaaaaaaaa",
        "aaaaaaaaaaaaaaab",
        "x\"y",
        "back\\slash",
        "new\nline",
        "é",
        "z",
        "0",
        "10",
        "9",
    ];
    // One shard, so that the expired series' label text is most of its arena and gets
    // compacted away.
    let (sink, clock) = sink_with_clock(PrometheusOptions {
        shards: 1,
        ..Default::default()
    });
    let mut expected = SeriesTable::new();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move |n: usize| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state % n as u64) as usize
    };
    for round in 0..2 {
        for i in 0..3000 {
            let name = ["m_a", "m_b", "m", "m_aa"][next(4)];
            let mut labels: Vec<(String, String)> = Vec::new();
            for label in ["code", "instance", "path"] {
                if next(3) > 0 {
                    labels.push((label.to_string(), values[next(values.len())].to_string()));
                }
            }
            let ttl = (round == 0 && i % 4 != 0).then_some(Duration::from_secs(10));
            let pairs: Vec<(&str, &str)> = labels
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            record(&sink, name, &pairs, Value::Counter(1.0), ttl).unwrap();
            *expected.entry((name.to_string(), labels)).or_default() += 1;
        }
        if round == 0 {
            // Series touched with a TTL go; the others stay (a series recorded both ways
            // keeps the TTL of its last sample).
            clock.advance(Duration::from_secs(11));
            let before = sink.series_count();
            let expired = sink.expire();
            assert!(
                expired * 2 > before,
                "only {expired} of {before} series expired"
            );
        }
        let _ = expose(&sink, Format::Text);
        if round == 0 {
            let live: std::collections::HashSet<String> = user_lines(&sink)
                .into_iter()
                .filter(|l| !l.starts_with('#'))
                .map(|l| l.rsplit_once(' ').unwrap().0.to_string())
                .collect();
            expected.retain(|(name, labels), _| {
                let line = reference_lines(&BTreeMap::from([((name.clone(), labels.clone()), 0)]));
                live.contains(line[2].rsplit_once(' ').unwrap().0)
            });
        }
    }
    assert_eq!(user_lines(&sink), reference_lines(&expected));
}

#[test]
fn streaming_writer_sees_the_same_bytes() {
    // Big enough to cross the internal flush threshold several times.
    let sink = PrometheusSink::default();
    for i in 0..5000 {
        counter(&sink, "c", &[("i", &i.to_string())], 1.0).unwrap();
    }
    struct Chunks(Vec<u8>, usize);
    impl std::io::Write for Chunks {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.1 += 1;
            self.0.extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut chunks = Chunks(Vec::new(), 0);
    sink.expose_metrics(&mut chunks, Format::Text).unwrap();
    assert!(chunks.1 > 1, "expected several writes, got {}", chunks.1);
    assert_eq!(
        String::from_utf8(chunks.0).unwrap(),
        expose(&sink, Format::Text)
    );
}

/// Runs `promtool check metrics` on `text`; returns (exit code, findings).
fn promtool_check(text: &str) -> (i32, Vec<String>) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool is required for this test (Debian package `prometheus`; scripts/install-deps.sh installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let mut findings: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .chain(String::from_utf8_lossy(&output.stderr).lines())
        .map(str::to_owned)
        .filter(|l| !l.is_empty())
        .collect();
    findings.sort();
    (output.status.code().unwrap_or(-1), findings)
}

/// Reads an expected-findings file (one finding a line, `#` comments).
fn expected_findings(name: &str) -> Vec<String> {
    std::fs::read_to_string(data_path(name))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[test]
fn promtool_parses_the_text_format_and_lints_only_statsd_names() {
    let (code, findings) = promtool_check(&expose(&populated(), Format::Text));
    // Exit code 1 would be a parse error; 3 is "lint findings", and the only findings are
    // the naming conventions that statsd_exporter-compatible names break.
    assert_eq!(code, 3, "{findings:#?}");
    assert_eq!(findings, expected_findings("promtool-findings.txt"));
}

#[test]
fn promtool_parses_the_openmetrics_format() {
    // promtool 2.x reads only the 0.0.4 grammar, which has no `\"` escape in HELP (OpenMetrics
    // requires it), so this check uses HELP texts without quotes. Read as 0.0.4, OpenMetrics
    // counters are `_total` samples without HELP: those are the expected findings.
    let text = expose(
        &populated_with_help("Plain help \\ with\nescapes."),
        Format::OpenMetrics,
    );
    assert!(text.ends_with("# EOF\n"));
    let (code, findings) = promtool_check(&text);
    assert_eq!(code, 3, "{findings:#?}");
    assert_eq!(
        findings,
        expected_findings("promtool-findings-openmetrics.txt")
    );
}

#[test]
fn promtool_never_finds_parse_errors_in_hostile_traffic() {
    use statsd_exporter_core::Pipeline;
    use statsd_mapper::{Mapper, MapperConfig};
    use statsd_proto::Parser;
    let sink = PrometheusSink::default();
    let config = MapperConfig::from_yaml_str(
        "mappings:\n- match: \"h.*\"\n  name: \"h_$1\"\n  observer_type: histogram\n",
        None,
    )
    .unwrap();
    let mut pipeline = Pipeline::new(
        std::sync::Arc::new(Mapper::new(config, 16)),
        Parser::new().events(false),
        sink.stats().clone(),
    );
    let names = [
        "x",
        "x_count",
        "x_sum",
        "x_bucket",
        "h.a",
        "h.a_bucket",
        "q",
        "u.n-i.c😱de",
        "[k=v]n",
    ];
    let values = ["1", "-1", "+0.5", "NaN", "1e300", "0"];
    let kinds = ["c", "g", "ms", "h", "d"];
    let tags = [
        "",
        "|#le:1",
        "|#quantile:0.5",
        "|#k:a\"b\\\\c",
        "|#k:line\\nbreak",
        "|#é:v",
    ];
    for name in names {
        for value in values {
            for kind in kinds {
                for tag in tags {
                    let line = format!("{name}:{value}|{kind}{tag}");
                    pipeline.process_packet(line.as_bytes(), &mut sink.recorder());
                }
            }
        }
    }
    for format in [Format::Text, Format::OpenMetrics] {
        let text = expose(&sink, format);
        if format == Format::OpenMetrics && text.contains("\\\"") {
            // promtool reads only the 0.0.4 grammar (see promtool_parses_the_openmetrics_format).
            continue;
        }
        let (code, findings) = promtool_check(&text);
        assert!(
            code == 0 || code == 3,
            "promtool exit {code}: {findings:#?}"
        );
        assert!(
            findings.iter().all(|f| !f.contains("error")),
            "{findings:#?}"
        );
    }
}
