//! Public API details: errors, files, explain, metric kinds, reload, robustness.

use proptest::prelude::*;
use statsd_mapper::*;
use statsd_proto::MetricType;

#[test]
fn metric_kinds_from_wire_types() {
    assert_eq!(
        MetricKind::of(MetricType::Counter),
        Some(MetricKind::Counter)
    );
    assert_eq!(MetricKind::of(MetricType::Gauge), Some(MetricKind::Gauge));
    for observer in [
        MetricType::Timer,
        MetricType::Histogram,
        MetricType::Distribution,
    ] {
        assert_eq!(
            MetricKind::try_from(observer).unwrap(),
            MetricKind::Observer
        );
    }
    let err = MetricKind::try_from(MetricType::Set).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::UnsupportedMetricType);
    assert_eq!(err.text(), "s");
    assert_eq!(MetricKind::Gauge.to_string(), "gauge");
}

#[test]
fn from_path_reads_files_and_names_them_in_errors() {
    let dir = std::env::temp_dir().join(format!("statsd-mapper-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("good.yml");
    std::fs::write(&good, "mappings:\n- match: a.*\n  name: a\n").unwrap();
    let config = MapperConfig::from_path(&good).unwrap();
    assert_eq!(config.file(), Some(good.as_path()));
    assert_eq!(config.rules().len(), 1);

    let bad = dir.join("bad.yml");
    std::fs::write(
        &bad,
        "mappings:\n- match: a.*\n  name: a\n  labels:\n    a-b: c\n",
    )
    .unwrap();
    let err = MapperConfig::from_path(&bad).unwrap_err();
    assert_eq!(err.file(), Some(bad.as_path()));
    assert_eq!(
        err.to_string(),
        format!(
            "{}:5:5: invalid label name \"a-b\": label names must match [a-zA-Z_][a-zA-Z0-9_]*",
            bad.display()
        )
    );

    let missing = dir.join("missing.yml");
    let err = MapperConfig::from_path(&missing).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Io);
    assert_eq!(err.line(), 0);
    assert!(
        err.to_string().starts_with(&missing.display().to_string()),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn error_messages_quote_the_offending_text() {
    let cases = [
        (
            "mappings:\n- match: a.b*c.d!\n  name: x\n",
            "2:10: invalid match \"a.b*c.d!\": component 3 \"d!\" contains '!'",
        ),
        (
            "mappings:\n- match: 'a(b'\n  match_type: regex\n  name: x\n",
            "2:10: invalid regex \"a(b\": ",
        ),
        (
            "mappings:\n- match: a.*\n  name: x.y\n",
            "3:9: invalid metric name \"x.y\": ",
        ),
        (
            "mappings:\n- match: a.*\n  name: x\n  observer_type: histogram\n  summary_options: {buf_cap: 3}\n",
            "5:20: conflicting options \"summary_options\": cannot use histogram observer and summary options at the same time",
        ),
    ];
    for (yaml, expected) in cases {
        let err = MapperConfig::from_yaml_str(yaml, None).unwrap_err();
        assert!(
            err.to_string().starts_with(expected),
            "{err}\nexpected prefix: {expected}"
        );
    }
}

#[test]
fn a_failed_reload_leaves_the_running_mapper_alone() {
    let mapper = std::sync::Arc::new(Mapper::new(
        MapperConfig::from_yaml_str("mappings:\n- match: a.*\n  name: a\n", None).unwrap(),
        10,
    ));
    let current = std::sync::RwLock::new(mapper.clone());
    let reload = |yaml: &str| -> Result<(), Error> {
        let next = Mapper::new(MapperConfig::from_yaml_str(yaml, None)?, 10);
        *current.write().unwrap() = std::sync::Arc::new(next);
        Ok(())
    };
    assert!(reload("mappings:\n- match: a.*\n  name: 9bad\n").is_err());
    let mut captures = Captures::new();
    assert_eq!(
        current
            .read()
            .unwrap()
            .map("a.x", MetricKind::Counter, &mut captures)
            .name()
            .to_string(),
        "a"
    );
    reload("mappings:\n- match: a.*\n  name: b\n").unwrap();
    assert_eq!(
        current
            .read()
            .unwrap()
            .map("a.x", MetricKind::Counter, &mut captures)
            .name()
            .to_string(),
        "b"
    );
}

#[test]
fn explain_reports_each_earlier_rule() {
    let yaml = "mappings:\n- match: 'x\\.(.*)'\n  match_type: regex\n  name: rx\n- match: a.b.c\n  name: abc\n- match: a.*\n  name: a_star\n  match_metric_type: gauge\n- match: a.*.d\n  name: a_d\n";
    let mapper = Mapper::new(MapperConfig::from_yaml_str(yaml, None).unwrap(), 0);
    let explanation = mapper.explain("a.b.d", MetricKind::Counter);
    assert_eq!(explanation.winner, Some(3));
    let verdicts: Vec<(usize, Verdict)> = explanation
        .steps
        .iter()
        .map(|s| (s.rule, s.verdict.clone()))
        .collect();
    assert_eq!(
        verdicts,
        [
            (
                1,
                Verdict::Component {
                    index: 2,
                    pattern: "c".into(),
                    name: "d".into()
                }
            ),
            (
                2,
                Verdict::WrongKind {
                    accepts: MetricKind::Gauge
                }
            ),
            (3, Verdict::Matched),
        ]
    );
    let text = explanation.to_string();
    assert!(
        text.contains("rule 3 (line 10) glob \"a.*.d\": matches, wins"),
        "{text}"
    );

    // Unmatched: every rule is listed, globs first, then regexes.
    let explanation = mapper.explain("q", MetricKind::Counter);
    assert_eq!(explanation.winner, None);
    let order: Vec<usize> = explanation.steps.iter().map(|s| s.rule).collect();
    assert_eq!(order, [1, 2, 3, 0]);
    assert_eq!(explanation.steps[3].verdict, Verdict::RegexNoMatch);
    assert!(explanation.to_string().contains("unmapped"));

    // Unordered: a matching but less specific rule is reported as such.
    let yaml = "defaults:\n  glob_disable_ordering: true\nmappings:\n- match: s.*\n  name: any\n- match: s.x\n  name: exact\n";
    let mapper = Mapper::new(MapperConfig::from_yaml_str(yaml, None).unwrap(), 0);
    let explanation = mapper.explain("s.x", MetricKind::Counter);
    assert_eq!(explanation.winner, Some(1));
    assert_eq!(explanation.steps[0].verdict, Verdict::LessSpecific);
    let explanation = mapper.explain("s.y.z", MetricKind::Counter);
    assert_eq!(
        explanation.steps[0].verdict,
        Verdict::ComponentCount {
            pattern: 2,
            name: 3
        }
    );
}

#[test]
fn unmapped_metrics_use_the_defaults() {
    let yaml = "defaults:\n  ttl: 90s\n  observer_type: histogram\n";
    let mapper = Mapper::new(MapperConfig::from_yaml_str(yaml, None).unwrap(), 0);
    let mut captures = Captures::new();
    let mapping = mapper.map("web-1.requests", MetricKind::Observer, &mut captures);
    assert_eq!(mapping.action(), Action::Unmapped);
    assert_eq!(mapping.name().as_str(), Some("web-1.requests"));
    assert_eq!(
        escape_metric_name(&mapping.name().to_string()),
        "web_1_requests"
    );
    assert_eq!(mapping.ttl(), Some(std::time::Duration::from_secs(90)));
    assert_eq!(mapping.observer().observer_type, ObserverType::Histogram);
    assert_eq!(mapping.observer().histogram.buckets, DEFAULT_BUCKETS);
    assert_eq!(mapping.labels().count(), 0);
    assert_eq!(mapping.help(), DEFAULT_HELP);
    assert_eq!(mapping.scale(), None);
    assert!(!mapping.honor_labels());
    assert_eq!(mapping.capture(0), None);

    let empty = Mapper::empty();
    let mapping = empty.map("x", MetricKind::Observer, &mut captures);
    assert_eq!(mapping.observer(), &ObserverOptions::default());
    assert_eq!(mapping.ttl(), None);
}

#[test]
fn rule_accessors_and_honor_labels() {
    let yaml = "mappings:\n- match: 'r\\.(.*)'\n  match_type: regex\n  name: r_$1\n  labels: {a: x}\n  honor_labels: true\n  help: Some help\n  match_metric_type: counter\n";
    let config = MapperConfig::from_yaml_str(yaml, None).unwrap();
    let rule = &config.rules()[0];
    assert_eq!(rule.match_text(), "r\\.(.*)");
    assert_eq!(rule.match_type(), MatchType::Regex);
    assert_eq!(rule.metric_kind(), Some(MetricKind::Counter));
    assert_eq!(rule.name_template(), "r_$1");
    assert_eq!(rule.label_templates().collect::<Vec<_>>(), [("a", "x")]);
    assert_eq!((rule.line(), rule.column()), (2, 10));
    assert_eq!(rule.action(), Action::Map);
    let mapper = Mapper::new(config, 0);
    let mut captures = Captures::new();
    let mapping = mapper.map("r.q", MetricKind::Counter, &mut captures);
    assert!(mapping.honor_labels());
    assert_eq!(mapping.help(), "Some help");
    assert_eq!(mapping.name().as_str(), None);
    assert_eq!(mapping.name().to_string(), "r_q");
    assert_eq!(mapping.labels().next().unwrap().1.as_str(), Some("x"));
}

proptest! {
    /// Any name, any class: no panic, and the cache never changes the answer.
    #[test]
    fn arbitrary_names_map_consistently(name in "\\PC{0,40}|[a-c.*]{0,20}", kind in 0usize..3) {
        let kind = MetricKind::ALL[kind];
        let yaml = "mappings:\n- match: a.*.c\n  name: x_$1\n- match: 'b.{a,c}*'\n  name: y\n- match: '(a+)\\.(.*)'\n  match_type: regex\n  name: z_$2\n";
        let mapper = Mapper::new(MapperConfig::from_yaml_str(yaml, None).unwrap(), 8);
        let mut captures = Captures::new();
        let first = mapper.map(&name, kind, &mut captures).name().to_string();
        let second = mapper.map(&name, kind, &mut captures).name().to_string();
        let uncached = mapper.map_uncached(&name, kind, &mut captures).name().to_string();
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(&first, &uncached);
    }

    /// Any text into the loader: a config or a positioned error, never a panic.
    #[test]
    fn arbitrary_config_text_never_panics(text in "(mappings:\n|- match: |  name: |[a-z*.${}:\\-\\[\\] \n'\"]){0,30}") {
        match MapperConfig::from_yaml_str(&text, None) {
            Ok(config) => {
                let mapper = Mapper::new(config, 4);
                let mut captures = Captures::new();
                let _ = mapper.map("a.b", MetricKind::Counter, &mut captures).name().to_string();
            }
            Err(err) => {
                prop_assert!(!err.to_string().is_empty());
            }
        }
    }
}

/// statsd_exporter's escaping rules, one character at a time.
fn reference_escape(name: &str) -> String {
    let mut out = String::new();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        out.push('_');
    }
    let mut previous = '\0';
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '_' {
            out.push(c);
        } else if !(c == '-' && previous == '-') {
            out.push('_');
        }
        previous = c;
    }
    out
}

proptest! {
    #[test]
    fn escaping_matches_the_character_by_character_rules(name in "[a-c0-9_.\\-😱é ]{0,24}") {
        prop_assert_eq!(escape_metric_name(&name), reference_escape(&name));
    }
}
