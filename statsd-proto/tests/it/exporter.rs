//! The statsd_exporter tables: `tests/data/{lines,packets,errors}.txt`.
//!
//! Each case is parsed, then turned into statsd_exporter's events with a small
//! reference of its event building (counters divided by the rate, timers in seconds,
//! observers repeated `observation_count()` times, sets refused) so that the
//! expectations read like upstream's tests: `C name value {labels}`,
//! `G name value [rel] {labels}`, `O name value {labels} xN`, and `! reason` for every
//! error statsd_exporter counts.

use std::collections::BTreeMap;

use statsd_proto::{Compat, ErrorKind, Item, MetricType, Parser};

use super::table::{self, Case};

/// statsd_exporter's `EscapeMetricName`, for label keys.
fn escape(key: &[u8]) -> String {
    let key = String::from_utf8_lossy(key);
    let mut out = String::new();
    let mut prev_dash = false;
    for (i, c) in key.chars().enumerate() {
        if i == 0 && c.is_ascii_digit() {
            out.push('_');
        }
        if c == '-' {
            if !prev_dash {
                out.push('_');
            }
            prev_dash = true;
            continue;
        }
        prev_dash = false;
        out.push(if c.is_ascii_alphanumeric() || c == '_' {
            c
        } else {
            '_'
        });
    }
    out
}

pub fn parser_for(flags: &str) -> Parser {
    let mut parser = Parser::new();
    for flag in flags.split_whitespace() {
        parser = match flag {
            "all" => parser,
            "strict" => parser.with_compat(Compat::DogStatsd),
            "dogstatsd" => Parser::dogstatsd(),
            "no-dogstatsd" => parser.dogstatsd_tags(false),
            "no-influxdb" => parser.influxdb_tags(false),
            "no-librato" => parser.librato_tags(false),
            "no-signalfx" => parser.signalfx_tags(false),
            "no-events" => parser.events(false),
            other => panic!("unknown flag {other}"),
        };
    }
    parser
}

fn num(v: f64) -> String {
    format!("{v}")
}

#[derive(Default, Debug, PartialEq)]
struct Counters {
    lines: usize,
    samples: u32,
    tags: u32,
    tag_errors: u32,
}

/// Renders a packet as statsd_exporter would see it.
fn render(parser: &Parser, packet: &[u8]) -> (Vec<String>, Counters, Vec<String>) {
    let mut out = Vec::new();
    let mut offsets = Vec::new();
    let mut counters = Counters {
        lines: statsd_proto::line_count(packet),
        ..Counters::default()
    };
    for result in parser.packet(packet) {
        let metric = match result {
            Err(e) => {
                out.push(format!("! {}", e.kind()));
                offsets.push(format!("{}@{}", e.kind(), e.offset()));
                counters.tag_errors += e.tag_errors();
                continue;
            }
            Ok(Item::Metric(m)) => m,
            Ok(Item::Event(e)) => {
                out.push(format!("E {}", String::from_utf8_lossy(e.title())));
                continue;
            }
            Ok(Item::ServiceCheck(s)) => {
                out.push(format!("S {}", String::from_utf8_lossy(s.name())));
                continue;
            }
        };
        let counts = metric.counts();
        counters.samples += counts.samples;
        counters.tags += counts.samples_with_tags;
        counters.tag_errors += counts.tag_errors;
        let mut labels = BTreeMap::new();
        for tag in metric.tags() {
            labels.insert(
                escape(tag.key()),
                String::from_utf8_lossy(tag.value_or_empty()).into_owned(),
            );
        }
        let labels = if labels.is_empty() {
            String::new()
        } else {
            let inner: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!(" {{{}}}", inner.join(","))
        };
        let name = String::from_utf8_lossy(&metric.name().to_vec()).into_owned();
        let mut errors = metric.sample_errors();
        for sample in metric.samples() {
            let sample = match sample {
                Err(e) => {
                    offsets.push(format!("{}@{}", e.kind(), e.offset()));
                    continue;
                }
                Ok(s) => s,
            };
            let value = sample.value();
            match sample.kind() {
                MetricType::Counter => out.push(format!(
                    "C {name} {}{labels}",
                    num(value / sample.sample_rate())
                )),
                MetricType::Gauge => {
                    let rel = if sample.is_relative() { " rel" } else { "" };
                    out.push(format!("G {name} {}{rel}{labels}", num(value)))
                }
                MetricType::Set => out.push("! illegal_event".to_string()),
                kind => {
                    let value = if kind == MetricType::Timer {
                        value / 1000.0
                    } else {
                        value
                    };
                    let n = sample.observation_count();
                    if n > 0 {
                        let times = if n > 1 {
                            format!(" x{n}")
                        } else {
                            String::new()
                        };
                        out.push(format!("O {name} {}{labels}{times}", num(value)));
                    }
                }
            }
        }
        for e in errors.by_ref() {
            out.push(format!("! {e}"));
        }
    }
    (out, counters, offsets)
}

fn run_file(file: &str, text: &str) -> usize {
    let cases = table::parse(text);
    let mut failures = Vec::new();
    for case in &cases {
        if let Err(msg) = run_case(case) {
            failures.push(format!("{}: {msg}", case.name(file)));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failing cases:\n{}",
        failures.len(),
        failures.join("\n")
    );
    cases.len()
}

fn run_case(case: &Case) -> Result<(), String> {
    let input = table::unescape(case.get("in"));
    let flag_sets: Vec<&str> = if case.all("flags").is_empty() {
        vec!["all"]
    } else {
        case.all("flags")
    };
    for flags in flag_sets {
        let parser = parser_for(flags);
        let (mut got, counters, offsets) = render(&parser, &input);
        let mut want: Vec<String> = case
            .all("out")
            .iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.to_string())
            .collect();
        // Errors are compared as a multiset: their order across samples is not part of the spec.
        let split = |v: &mut Vec<String>| {
            let errs: Vec<String> = v.iter().filter(|s| s.starts_with('!')).cloned().collect();
            v.retain(|s| !s.starts_with('!'));
            let mut errs = errs;
            errs.sort();
            errs
        };
        let (got_errs, want_errs) = (split(&mut got), split(&mut want));
        if got != want || got_errs != want_errs {
            return Err(format!(
                "[{flags}] events {got:?} errors {got_errs:?}, want {want:?} {want_errs:?}"
            ));
        }
        let count = case.get("count");
        if !count.is_empty() {
            let kv = table::key_values(count);
            let field = |k: &str, v: u32| kv.get(k).is_none_or(|w| w.parse::<u32>().unwrap() == v);
            if !(field("samples", counters.samples)
                && field("tags", counters.tags)
                && field("tag_errors", counters.tag_errors)
                && field("lines", counters.lines as u32))
            {
                return Err(format!("[{flags}] counters {counters:?}, want {count}"));
            }
        }
        if case.fields.iter().any(|(k, _)| k == "at") {
            let at = case.get("at");
            let want: Vec<&str> = at.split_whitespace().collect();
            if offsets != want {
                return Err(format!("[{flags}] offsets {offsets:?}, want {want:?}"));
            }
        }
    }
    Ok(())
}

#[test]
fn lines_table() {
    let n = run_file("lines.txt", include_str!("../data/lines.txt"));
    assert!(n > 60, "only {n} cases");
}

#[test]
fn packets_table() {
    let n = run_file("packets.txt", include_str!("../data/packets.txt"));
    assert!(n > 5, "only {n} cases");
}

#[test]
fn errors_table() {
    run_file("errors.txt", include_str!("../data/errors.txt"));
    // Every reason the parser can produce appears in the table.
    let text = include_str!("../data/errors.txt");
    for kind in ErrorKind::ALL {
        assert!(
            text.contains(&format!("! {}", kind.as_str())),
            "no case for {kind}"
        );
    }
}
