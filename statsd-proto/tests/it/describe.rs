//! The DogStatsD tables (`tests/data/{dogstatsd,events}.txt`): every item is described
//! field by field, so the expectations show exactly what the parser returned.
//!
//! - metric sample: `M name kind value [rel] [@rate] [T<ts>] [tags=k:v,k] [c=..] [e=..] [card=..]`
//! - event: `E title=.. text=.. [d=..] [h=..] [k=..] [p=..] [s=..] [t=..] [tags=..] [c=..] [e=..] [card=..]`
//! - service check: `S name=.. status=.. [d=..] [h=..] [m=..] [tags=..] [c=..] [e=..] [card=..]`
//! - error: `! reason@offset`

use statsd_proto::{Item, Tags};

use super::exporter::parser_for;
use super::table::{self, Case};

fn s(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace('\n', "<NL>")
}

fn tags(t: Tags<'_>) -> String {
    let all: Vec<String> = t
        .map(|t| match t.value() {
            Some(v) => format!("{}:{}", s(t.key()), s(v)),
            None => s(t.key()),
        })
        .collect();
    if all.is_empty() {
        String::new()
    } else {
        format!(" tags={}", all.join(","))
    }
}

fn opt(key: &str, v: Option<&[u8]>) -> String {
    v.map_or(String::new(), |v| format!(" {key}={}", s(v)))
}

pub fn describe(flags: &str, input: &[u8]) -> Vec<String> {
    let parser = parser_for(flags);
    let mut out = Vec::new();
    for result in parser.packet(input) {
        match result {
            Err(e) => out.push(format!("! {}@{}", e.kind(), e.offset())),
            Ok(Item::Metric(m)) => {
                let extra = format!(
                    "{}{}{}{}",
                    tags(m.tags()),
                    opt("c", m.container_id()),
                    opt("e", m.external_data()),
                    opt("card", m.cardinality())
                );
                for sample in m.samples() {
                    match sample {
                        Err(e) => out.push(format!("! {}@{}", e.kind(), e.offset())),
                        Ok(x) => {
                            let mut line =
                                format!("M {} {} {}", s(&m.name().to_vec()), x.kind(), x.value());
                            if x.is_relative() {
                                line.push_str(" rel");
                            }
                            if x.sample_rate() != 1.0 {
                                line.push_str(&format!(" @{}", x.sample_rate()));
                            }
                            if let Some(ts) = x.timestamp() {
                                line.push_str(&format!(" T{ts}"));
                            }
                            if x.kind() == statsd_proto::MetricType::Set {
                                line.push_str(&format!(" raw={}", s(x.raw_value())));
                            }
                            line.push_str(&extra);
                            out.push(line);
                        }
                    }
                }
            }
            Ok(Item::Event(e)) => {
                let mut line = format!("E title={} text={}", s(e.title()), s(&e.text_unescaped()));
                if let Some(d) = e.timestamp() {
                    line.push_str(&format!(" d={d}"));
                }
                line.push_str(&opt("h", e.hostname()));
                line.push_str(&opt("k", e.aggregation_key()));
                line.push_str(&opt("p", e.priority().map(|p| p.as_str().as_bytes())));
                line.push_str(&opt("s", e.source_type()));
                line.push_str(&opt("t", e.alert_type().map(|t| t.as_str().as_bytes())));
                line.push_str(&tags(e.tags()));
                line.push_str(&opt("c", e.container_id()));
                line.push_str(&opt("e", e.external_data()));
                line.push_str(&opt("card", e.cardinality()));
                out.push(line);
            }
            Ok(Item::ServiceCheck(c)) => {
                let mut line = format!("S name={} status={}", s(c.name()), c.status().as_str());
                if let Some(d) = c.timestamp() {
                    line.push_str(&format!(" d={d}"));
                }
                line.push_str(&opt("h", c.hostname()));
                line.push_str(&opt("m", c.message_unescaped().as_deref()));
                line.push_str(&tags(c.tags()));
                line.push_str(&opt("c", c.container_id()));
                line.push_str(&opt("e", c.external_data()));
                line.push_str(&opt("card", c.cardinality()));
                out.push(line);
            }
        }
    }
    out
}

fn run(file: &str, text: &str) -> usize {
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
    let flag_sets = if case.all("flags").is_empty() {
        vec!["dogstatsd"]
    } else {
        case.all("flags")
    };
    let want: Vec<&str> = case
        .all("out")
        .into_iter()
        .filter(|s| !s.is_empty())
        .collect();
    for flags in flag_sets {
        let got = describe(flags, &input);
        if got != want {
            return Err(format!("[{flags}]\n   got  {got:?}\n   want {want:?}"));
        }
    }
    Ok(())
}

#[test]
fn dogstatsd_table() {
    let n = run("dogstatsd.txt", include_str!("../data/dogstatsd.txt"));
    assert!(n > 20, "only {n} cases");
}

#[test]
fn events_table() {
    let n = run("events.txt", include_str!("../data/events.txt"));
    assert!(n > 15, "only {n} cases");
}
