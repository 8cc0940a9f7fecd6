//! Runs the scenario table `tests/data/mapper.yaml` and the escaping table
//! `tests/data/escape.yaml` through the public API: uncached, with a cache, and with a
//! tiny cache that evicts all the time, each twice (the second pass hits the cache).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Deserialize;
use statsd_mapper::*;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Scenario {
    group: String,
    scenario: String,
    config: String,
    #[serde(default)]
    cases: Vec<Case>,
    error: Option<ExpectedError>,
    #[serde(default)]
    warnings: Vec<ExpectedWarning>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedError {
    kind: String,
    line: u64,
    column: u64,
    text: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectedWarning {
    kind: String,
    line: u64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    #[serde(rename = "type")]
    kind: String,
    name: String,
    expect: String,
    rule: Option<usize>,
    ttl: Option<String>,
    scale: Option<serde_saphyr::Spanned<ScaleValue>>,
    help: Option<String>,
    observer: Option<String>,
    buckets: Option<Vec<f64>>,
    quantiles: Option<Vec<(f64, f64)>>,
    max_age: Option<String>,
    age_buckets: Option<u32>,
    buf_cap: Option<u32>,
    native_factor: Option<ScaleValue>,
    capture0: Option<String>,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq)]
#[serde(untagged)]
enum ScaleValue {
    Number(f64),
    None(NoneWord),
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq)]
#[serde(rename_all = "lowercase")]
enum NoneWord {
    None,
}

impl ScaleValue {
    fn as_option(self) -> Option<f64> {
        match self {
            ScaleValue::Number(n) => Some(n),
            ScaleValue::None(_) => None,
        }
    }
}

fn kind_of(text: &str) -> MetricKind {
    match text {
        "counter" => MetricKind::Counter,
        "gauge" => MetricKind::Gauge,
        "observer" => MetricKind::Observer,
        other => panic!("unknown type {other:?} in table"),
    }
}

fn go_duration(text: &str) -> Duration {
    // The table only uses h/m/s combinations.
    let mut total = 0u64;
    let mut number = 0u64;
    for c in text.chars() {
        match c {
            '0'..='9' => number = number * 10 + u64::from(c as u8 - b'0'),
            'h' => (total, number) = (total + number * 3600, 0),
            'm' => (total, number) = (total + number * 60, 0),
            's' => (total, number) = (total + number, 0),
            _ => panic!("bad duration {text:?} in table"),
        }
    }
    Duration::from_secs(total)
}

/// `name{a="x",b="y"}` → (name, labels).
fn parse_expected(text: &str) -> (String, BTreeMap<String, String>) {
    let Some((name, rest)) = text.split_once('{') else {
        return (text.to_string(), BTreeMap::new());
    };
    let body = rest.strip_suffix('}').expect("labels end with }");
    let mut labels = BTreeMap::new();
    let mut remaining = body;
    while !remaining.is_empty() {
        let (key, after) = remaining.split_once("=\"").expect("label=\"value\"");
        let end = after.find('"').expect("closing quote");
        labels.insert(key.to_string(), after[..end].to_string());
        remaining = after[end + 1..].trim_start_matches(',');
    }
    (name.to_string(), labels)
}

fn check_case(mapper: &Mapper, case: &Case, context: &str, cached: bool) {
    let kind = kind_of(&case.kind);
    let mut captures = Captures::new();
    let mapping = if cached {
        mapper.map(&case.name, kind, &mut captures)
    } else {
        mapper.map_uncached(&case.name, kind, &mut captures)
    };
    let context = format!("{context}: {} {}", case.kind, case.name);
    match case.expect.as_str() {
        "unmapped" => assert_eq!(mapping.action(), Action::Unmapped, "{context}"),
        "drop" => assert_eq!(mapping.action(), Action::Drop, "{context}"),
        expected => {
            assert_eq!(mapping.action(), Action::Map, "{context}");
            let (name, labels) = parse_expected(expected);
            assert_eq!(mapping.name().to_string(), name, "{context}");
            let mut written = String::new();
            mapping.name().write_to(&mut written);
            assert_eq!(written, name, "{context}: write_to agrees with Display");
            let actual: BTreeMap<String, String> = mapping
                .labels()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(actual, labels, "{context}");
        }
    }
    if let Some(rule) = case.rule {
        assert_eq!(mapping.rule().map(Rule::index), Some(rule), "{context}");
    }
    if let Some(ttl) = &case.ttl {
        let expected = (ttl != "none").then(|| go_duration(ttl));
        assert_eq!(mapping.ttl(), expected, "{context}: ttl");
    }
    if let Some(scale) = &case.scale {
        assert_eq!(mapping.scale(), scale.value.as_option(), "{context}: scale");
    }
    if let Some(help) = &case.help {
        assert_eq!(mapping.help(), help, "{context}: help");
    }
    let observer = mapping.observer();
    if let Some(observer_type) = &case.observer {
        assert_eq!(
            observer.observer_type.as_str(),
            observer_type,
            "{context}: observer type"
        );
    }
    if let Some(buckets) = &case.buckets {
        assert_eq!(&observer.histogram.buckets, buckets, "{context}: buckets");
    }
    if let Some(quantiles) = &case.quantiles {
        let actual: Vec<(f64, f64)> = observer
            .summary
            .quantiles
            .iter()
            .map(|q| (q.quantile, q.error))
            .collect();
        assert_eq!(&actual, quantiles, "{context}: quantiles");
    }
    if let Some(max_age) = &case.max_age {
        assert_eq!(
            observer.summary.max_age,
            go_duration(max_age),
            "{context}: max_age"
        );
    }
    if let Some(age_buckets) = case.age_buckets {
        assert_eq!(
            observer.summary.age_buckets, age_buckets,
            "{context}: age_buckets"
        );
    }
    if let Some(buf_cap) = case.buf_cap {
        assert_eq!(observer.summary.buf_cap, buf_cap, "{context}: buf_cap");
    }
    if let Some(factor) = case.native_factor {
        assert_eq!(
            observer.histogram.native_bucket_factor,
            factor.as_option(),
            "{context}: native factor"
        );
    }
    if let Some(whole) = &case.capture0 {
        assert_eq!(
            mapping.capture(0),
            Some(whole.as_str()),
            "{context}: capture 0"
        );
    }
    // explain agrees with map.
    let explanation = mapper.explain(&case.name, kind);
    assert_eq!(
        explanation.winner,
        mapping.rule().map(Rule::index),
        "{context}: explain winner"
    );
}

fn scenarios() -> Vec<Scenario> {
    let text = include_str!("../data/mapper.yaml");
    serde_saphyr::from_str(text).expect("tests/data/mapper.yaml parses")
}

#[test]
fn scenario_table() {
    let scenarios = scenarios();
    let mut cases = 0;
    for scenario in &scenarios {
        let context = format!("[{}] {}", scenario.group, scenario.scenario);
        let loaded = MapperConfig::from_yaml_str(&scenario.config, Some("table.yml".as_ref()));
        if let Some(expected) = &scenario.error {
            let err = loaded.expect_err(&context);
            assert_eq!(
                format!("{:?}", err.kind()),
                expected.kind,
                "{context}: {err}"
            );
            assert_eq!(
                (err.line(), err.column()),
                (expected.line, expected.column),
                "{context}: {err}"
            );
            if let Some(text) = &expected.text {
                assert_eq!(err.text(), text, "{context}: {err}");
            }
            assert!(err.to_string().starts_with(&format!(
                "table.yml:{}:{}: ",
                expected.line, expected.column
            )));
            continue;
        }
        let config = loaded.unwrap_or_else(|err| panic!("{context}: {err}"));
        let warnings: Vec<(String, u64)> = config
            .warnings()
            .iter()
            .map(|w| (format!("{:?}", w.kind()), w.line()))
            .collect();
        let expected: Vec<(String, u64)> = scenario
            .warnings
            .iter()
            .map(|w| (w.kind.clone(), w.line))
            .collect();
        assert_eq!(
            warnings,
            expected,
            "{context}: warnings {:?}",
            config.warnings()
        );
        let uncached = Mapper::new(
            MapperConfig::from_yaml_str(&scenario.config, None).unwrap(),
            0,
        );
        let cached = Mapper::new(
            MapperConfig::from_yaml_str(&scenario.config, None).unwrap(),
            1000,
        );
        let tiny = Mapper::new(config, 1);
        for round in 0..2 {
            for case in &scenario.cases {
                check_case(&uncached, case, &context, false);
                check_case(&uncached, case, &context, true);
                check_case(
                    &cached,
                    case,
                    &format!("{context} (cached, round {round})"),
                    true,
                );
                check_case(
                    &tiny,
                    case,
                    &format!("{context} (tiny cache, round {round})"),
                    true,
                );
            }
        }
        cases += scenario.cases.len();
    }
    assert!(
        scenarios.len() >= 50 && cases >= 90,
        "table shrank: {} scenarios, {cases} cases",
        scenarios.len()
    );
}

#[test]
fn escape_table() {
    let table: Vec<(String, String)> = serde_saphyr::from_str(include_str!("../data/escape.yaml"))
        .expect("tests/data/escape.yaml parses");
    assert!(table.len() >= 20);
    let mut buffer = String::new();
    for (input, expected) in &table {
        assert_eq!(
            escape_metric_name(input),
            expected.as_str(),
            "escape {input:?}"
        );
        buffer.clear();
        escape_metric_name_into(input, &mut buffer);
        assert_eq!(&buffer, expected, "escape_into {input:?}");
        let borrowed = matches!(escape_metric_name(input), std::borrow::Cow::Borrowed(_));
        assert_eq!(borrowed, input == expected, "fast path for {input:?}");
    }
}
