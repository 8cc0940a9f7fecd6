//! The Prometheus series store: types, label sets, conflicts, TTL and cardinality limits.

use std::time::Duration;

use statsd_exporter_core::{
    Event, Format, HistogramOptions, Label, Observer, PrometheusOptions, PrometheusSink, Rejection,
    Sink, SummaryOptions, Value,
};

use crate::support::*;

#[test]
fn counter_adds_up() {
    let sink = PrometheusSink::default();
    counter(&sink, "foo", &[], 1.0).unwrap();
    counter(&sink, "foo", &[], 1.0).unwrap();
    assert_eq!(sample(&sink, "foo").as_deref(), Some("2"));
}

#[test]
fn gauge_sets_and_adds_deltas() {
    let sink = PrometheusSink::default();
    gauge(&sink, "foo", &[], 333.0).unwrap();
    record(&sink, "foo", &[], Value::GaugeAdd(-10.0), None).unwrap();
    record(&sink, "foo", &[], Value::GaugeAdd(4.0), None).unwrap();
    assert_eq!(sample(&sink, "foo").as_deref(), Some("327"));
}

#[test]
fn negative_counter_is_refused() {
    let sink = PrometheusSink::default();
    assert_eq!(
        counter(&sink, "foo", &[], -1.0),
        Err(Rejection::NegativeCounter)
    );
    assert_eq!(sink.series_count(), 0);
}

#[test]
fn one_name_may_carry_different_label_sets_for_every_type() {
    let sink = PrometheusSink::default();
    counter(&sink, "c", &[("foo", "1")], 1.0).unwrap();
    counter(&sink, "c", &[("foo", "1"), ("bar", "2")], 1.0).unwrap();
    gauge(&sink, "g", &[("foo", "1")], 1.0).unwrap();
    gauge(&sink, "g", &[("foo", "1"), ("bar", "2")], 1.0).unwrap();
    histogram(&sink, "h", &[("foo", "1")], 1.0).unwrap();
    histogram(&sink, "h", &[("foo", "1"), ("bar", "2")], 1.0).unwrap();
    summary(&sink, "s", &[("foo", "1")], 1.0).unwrap();
    summary(&sink, "s", &[("foo", "1"), ("bar", "2")], 1.0).unwrap();
    assert_eq!(sink.series_count(), 8);
    let lines = user_lines(&sink);
    for want in [
        "c{bar=\"2\",foo=\"1\"} 1",
        "c{foo=\"1\"} 1",
        "g{bar=\"2\",foo=\"1\"} 1",
        "g{foo=\"1\"} 1",
        "h_count{bar=\"2\",foo=\"1\"} 1",
        "h_count{foo=\"1\"} 1",
        "s_count{bar=\"2\",foo=\"1\"} 1",
        "s_count{foo=\"1\"} 1",
    ] {
        assert!(
            lines.iter().any(|l| l == want),
            "missing {want} in {lines:#?}"
        );
    }
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("# TYPE c ")).count(),
        1
    );
}

#[test]
fn label_order_and_duplicates_do_not_split_series() {
    let sink = PrometheusSink::default();
    counter(&sink, "c", &[("a", "1"), ("b", "2")], 1.0).unwrap();
    counter(&sink, "c", &[("b", "2"), ("a", "1")], 1.0).unwrap();
    counter(&sink, "c", &[("b", "0"), ("a", "1"), ("b", "2")], 1.0).unwrap();
    assert_eq!(sink.series_count(), 1);
    assert_eq!(sample(&sink, "c{a=\"1\",b=\"2\"}").as_deref(), Some("3"));
}

#[test]
fn labels_with_nul_bytes_in_any_order_find_their_series_and_read_back() {
    // A series keeps its labels only as its escaped sort key: values with NUL bytes must
    // still compare equal to the event's, in every order, and come back unescaped.
    let sink = PrometheusSink::default();
    let labels = [("a", "x\0y"), ("b", "\0"), ("c", "plain"), ("d", "")];
    let mut sent = 0.0;
    for start in 0..labels.len() {
        let mut rotated = labels.to_vec();
        rotated.rotate_left(start);
        counter(&sink, "nul", &rotated, 1.0).unwrap();
        rotated.reverse();
        counter(&sink, "nul", &rotated, 1.0).unwrap();
        sent += 2.0;
    }
    // One byte more or less in a NUL value is another series.
    counter(
        &sink,
        "nul",
        &[("a", "x\0"), ("b", "\0"), ("c", "plain"), ("d", "")],
        1.0,
    )
    .unwrap();
    counter(
        &sink,
        "nul",
        &[("a", "x\0y"), ("b", "\0\0"), ("c", "plain"), ("d", "")],
        1.0,
    )
    .unwrap();
    assert_eq!(sink.series_count(), 3);
    let mut seen = Vec::new();
    sink.visit_samples(|s| {
        if s.name() == "nul" {
            let labels: Vec<(String, String)> = s
                .labels()
                .map(|(n, v)| (n.to_owned(), v.to_owned()))
                .collect();
            seen.push((labels, s.value()));
        }
    });
    let owned = |l: &[(&str, &str)]| -> Vec<(String, String)> {
        l.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    };
    assert!(seen.contains(&(owned(&labels), sent)), "{seen:?}");
    assert_eq!(seen.len(), 3);
}

#[test]
fn long_label_lists_in_any_order_find_their_series() {
    // Up to 16 labels a series remembers the event's order; up to 64 it scans; beyond,
    // only the sorted slow path matches. Every order must reach the one series.
    for n in [15usize, 16, 17, 64, 65, 70] {
        let sink = PrometheusSink::default();
        let names: Vec<String> = (0..n).map(|i| format!("l{i:02}")).collect();
        let values: Vec<String> = (0..n).map(|i| format!("v{}", i * 7 % 5)).collect();
        let mut labels: Vec<(&str, &str)> = names
            .iter()
            .map(String::as_str)
            .zip(values.iter().map(String::as_str))
            .collect();
        counter(&sink, "wide", &labels, 1.0).unwrap();
        counter(&sink, "wide", &labels, 1.0).unwrap();
        labels.reverse();
        counter(&sink, "wide", &labels, 1.0).unwrap();
        labels.rotate_left(n / 3);
        counter(&sink, "wide", &labels, 1.0).unwrap();
        counter(&sink, "wide", &labels, 1.0).unwrap();
        assert_eq!(sink.series_count(), 1, "{n} labels");
        // The same names with one value changed: another series.
        labels[n / 2].1 = "other";
        counter(&sink, "wide", &labels, 1.0).unwrap();
        assert_eq!(sink.series_count(), 2, "{n} labels");
        let text = expose(&sink, Format::Text);
        assert!(text.lines().any(|l| l.ends_with("} 5")), "{n} labels");
    }
}

/// Which kind of event to send in a conflict case.
#[derive(Clone, Copy, Debug)]
enum Kind {
    C,
    G,
    H,
    S,
}

fn send(
    sink: &PrometheusSink,
    kind: Kind,
    name: &str,
    labels: &[(&str, &str)],
) -> Result<(), Rejection> {
    match kind {
        Kind::C => counter(sink, name, labels, 1.0),
        Kind::G => gauge(sink, name, labels, 1.0),
        Kind::H => histogram(sink, name, labels, 1.0),
        Kind::S => summary(sink, name, labels, 1.0),
    }
}

/// (first event, second event, is the second accepted?)
type Case = ((Kind, &'static str), (Kind, &'static str), bool);

#[test]
fn conflicts_first_one_wins_second_is_refused() {
    use Kind::*;
    // (first, second, accepted?) — statsd_exporter's TestConflictingMetrics cases, its
    // over-broad gauge rule, and the observer-vs-observer collisions it misses.
    let cases: &[Case] = &[
        ((C, "m"), (G, "m"), false),
        ((G, "m"), (C, "m"), false),
        ((H, "m"), (C, "m_count"), false),
        ((H, "m"), (C, "m_sum"), false),
        ((H, "m"), (C, "m_bucket"), false),
        ((H, "m"), (G, "m_count"), false),
        ((H, "m"), (G, "m_sum"), false),
        ((H, "m"), (G, "m_bucket"), false),
        ((C, "m"), (H, "m"), false),
        ((C, "m_sum"), (H, "m"), false),
        ((C, "m_count"), (H, "m"), false),
        ((C, "m_bucket"), (H, "m"), false),
        ((C, "m"), (S, "m"), false),
        ((C, "m_count"), (S, "m"), false),
        ((C, "m_sum"), (S, "m"), false),
        ((S, "m"), (C, "m_count"), false),
        ((S, "m"), (G, "m_sum"), false),
        ((S, "m"), (H, "m"), false),
        ((H, "m"), (S, "m"), false),
        // Observer-vs-observer: statsd_exporter accepts these and breaks /metrics.
        ((S, "m"), (S, "m_count"), false),
        ((S, "m_count"), (S, "m"), false),
        ((H, "m"), (H, "m_bucket"), false),
        ((H, "m_sum"), (S, "m"), false),
        ((S, "m"), (H, "m_sum"), false),
        // Over-broad upstream rule kept for compatibility: gauge `m` blocks counter `m_count`.
        ((G, "m"), (C, "m_count"), false),
        ((G, "m"), (G, "m_sum"), false),
        // ...but a counter `m` does not, and unrelated suffixes never do.
        ((C, "m"), (C, "m_count"), true),
        ((C, "m"), (G, "m_sum"), true),
        ((S, "m"), (C, "m_bucket"), false),
        ((C, "m"), (C, "m_bucket"), true),
        ((G, "m_count"), (G, "m"), true),
        ((C, "m"), (C, "m"), true),
    ];
    for &((k1, n1), (k2, n2), accepted) in cases {
        for labels in [&[][..], &[("x", "1")][..]] {
            let sink = PrometheusSink::default();
            send(&sink, k1, n1, &[]).unwrap();
            let result = send(&sink, k2, n2, labels);
            if accepted {
                assert_eq!(result, Ok(()), "{k1:?} {n1} then {k2:?} {n2} {labels:?}");
            } else {
                assert_eq!(
                    result,
                    Err(Rejection::Conflict),
                    "{k1:?} {n1} then {k2:?} {n2} {labels:?}"
                );
            }
            // The first metric is untouched and the exposition has one family per name.
            let text = expose(&sink, statsd_exporter_core::Format::Text);
            let mut types: Vec<&str> = text.lines().filter(|l| l.starts_with("# TYPE ")).collect();
            let before = types.len();
            types.dedup();
            assert_eq!(before, types.len());
        }
    }
}

#[test]
fn conflicts_on_existing_series_are_refused_without_touching_it() {
    let sink = PrometheusSink::default();
    counter(&sink, "m", &[("a", "1")], 5.0).unwrap();
    assert_eq!(
        gauge(&sink, "m", &[("a", "1")], 1.0),
        Err(Rejection::Conflict)
    );
    assert_eq!(
        gauge(&sink, "m", &[("a", "2")], 1.0),
        Err(Rejection::Conflict)
    );
    assert_eq!(sample(&sink, "m{a=\"1\"}").as_deref(), Some("5"));
}

#[test]
fn self_metric_names_are_reserved() {
    let sink = PrometheusSink::default();
    for name in [
        "statsd_exporter_lines_total",
        "statsd_exporter_loaded_mappings",
    ] {
        assert_eq!(counter(&sink, name, &[], 1.0), Err(Rejection::Conflict));
        assert_eq!(gauge(&sink, name, &[], 1.0), Err(Rejection::Conflict));
    }
    // The `_total` stem is OpenMetrics' family name of the counter: reserved as well.
    assert_eq!(
        gauge(&sink, "statsd_exporter_tag_errors", &[], 1.0),
        Err(Rejection::Conflict)
    );
    assert_eq!(
        summary(&sink, "statsd_exporter_lines", &[], 1.0),
        Err(Rejection::Conflict)
    );
    assert_eq!(
        summary(&sink, "statsd_exporter_lines_seen", &[], 1.0),
        Ok(())
    );
    // A summary whose `_count` would shadow a self-metric is refused too.
    assert_eq!(
        summary(&sink, "statsd_exporter_udp_packets_total", &[], 1.0),
        Err(Rejection::Conflict)
    );
}

#[test]
fn names_that_would_share_an_openmetrics_family_or_sample_are_conflicts() {
    // (first, second): the second is refused whichever type the first has, because
    // OpenMetrics exposes a counter `x_total` as family `x`, and a counter `x` as sample
    // `x_total`. Found by the pipeline fuzz target (two `# TYPE x` lines).
    type Record = fn(&PrometheusSink, &str, &[(&str, &str)], f64) -> Result<(), Rejection>;
    let cases: &[(&str, Record, &str, Record)] = &[
        ("x_total", counter, "x", gauge),
        ("x_total", counter, "x", counter),
        ("x_total", counter, "x", summary),
        ("x_total", counter, "x", histogram),
        ("x", gauge, "x_total", counter),
        ("x", counter, "x_total", counter),
        ("x", histogram, "x_total", counter),
        ("x", counter, "x_total", gauge),
        ("x", counter, "x_total", summary),
        ("x_total", gauge, "x", counter),
        ("_total", counter, "_total_total", counter),
        ("_total_total", counter, "_total", counter),
    ];
    for (first, record_first, second, record_second) in cases {
        let sink = PrometheusSink::default();
        assert_eq!(record_first(&sink, first, &[], 1.0), Ok(()), "{first}");
        assert_eq!(
            record_second(&sink, second, &[], 1.0),
            Err(Rejection::Conflict),
            "{second} after {first}"
        );
        for format in [Format::Text, Format::OpenMetrics] {
            let text = expose(&sink, format);
            let user_types = text
                .lines()
                .filter(|l| l.starts_with("# TYPE ") && !l.starts_with("# TYPE statsd_"))
                .count();
            assert_eq!(user_types, 1, "{text}");
        }
    }
    // Names that share nothing in either format still coexist.
    let sink = PrometheusSink::default();
    assert_eq!(gauge(&sink, "x_total", &[], 1.0), Ok(()));
    assert_eq!(gauge(&sink, "x", &[], 1.0), Ok(()));
    assert_eq!(counter(&sink, "y", &[], 1.0), Ok(()));
    assert_eq!(counter(&sink, "y_total_total", &[], 1.0), Ok(()));
    // A counter named `_total` keeps its name as its OpenMetrics family (nothing is left
    // without the suffix).
    let sink = PrometheusSink::default();
    assert_eq!(counter(&sink, "_total", &[], 4.0), Ok(()));
    let text = expose(&sink, Format::OpenMetrics);
    assert!(
        text.contains("# TYPE _total counter\n_total_total 4"),
        "{text}"
    );
}

#[test]
fn le_and_quantile_tags_are_refused_where_they_would_clash() {
    let sink = PrometheusSink::default();
    assert_eq!(
        histogram(&sink, "h", &[("le", "5")], 1.0),
        Err(Rejection::IllegalLabelName)
    );
    assert_eq!(
        summary(&sink, "s", &[("quantile", "0.5")], 1.0),
        Err(Rejection::IllegalLabelName)
    );
    // Harmless elsewhere: counters and gauges may carry them, summaries may carry `le`.
    assert_eq!(
        counter(&sink, "c", &[("le", "5"), ("quantile", "1")], 1.0),
        Ok(())
    );
    assert_eq!(summary(&sink, "s", &[("le", "5")], 1.0), Ok(()));
    assert_eq!(histogram(&sink, "h", &[("quantile", "5")], 1.0), Ok(()));
    assert_eq!(sink.series_count(), 3);
}

#[test]
fn invalid_names_are_refused() {
    let sink = PrometheusSink::default();
    assert_eq!(
        counter(&sink, "c", &[("__name__", "x")], 1.0),
        Err(Rejection::IllegalLabelName)
    );
    assert_eq!(
        counter(&sink, "c", &[("a-b", "x")], 1.0),
        Err(Rejection::IllegalLabelName)
    );
    assert_eq!(
        counter(&sink, "c", &[("", "x")], 1.0),
        Err(Rejection::IllegalLabelName)
    );
    assert_eq!(
        counter(&sink, "a.b", &[], 1.0),
        Err(Rejection::IllegalMetricName)
    );
    assert_eq!(
        counter(&sink, "", &[], 1.0),
        Err(Rejection::IllegalMetricName)
    );
    assert_eq!(
        counter(&sink, "9x", &[], 1.0),
        Err(Rejection::IllegalMetricName)
    );
    assert_eq!(sink.series_count(), 0);
}

#[test]
fn options_are_fixed_by_the_first_series_of_a_name() {
    let sink = PrometheusSink::default();
    let first = HistogramOptions {
        buckets: vec![1.0],
        ..HistogramOptions::default()
    };
    let second = HistogramOptions {
        buckets: vec![2.0, 3.0],
        ..HistogramOptions::default()
    };
    for (labels, options) in [
        ([Label::new("a", "1")], &first),
        ([Label::new("a", "2")], &second),
    ] {
        sink.recorder()
            .record(&Event {
                name: "h",
                labels: &labels,
                value: Value::Observe {
                    value: 1.0,
                    count: 1,
                    observer: Observer::Histogram(options),
                },
                help: if options == &first { "first" } else { "second" },
                ttl: None,
            })
            .unwrap();
    }
    let lines = user_lines(&sink);
    assert!(lines.contains(&"# HELP h first".to_owned()));
    assert!(
        lines.contains(&"h_bucket{a=\"2\",le=\"1\"} 1".to_owned()),
        "{lines:#?}"
    );
    assert!(!lines.iter().any(|l| l.contains("le=\"2\"")));
}

#[test]
fn ttl_expires_idle_series_and_resets_them() {
    // statsd_exporter's TestTtlExpiration: a gauge with ttl 1 s, a summary with ttl 2 s.
    let (sink, clock) = sink_with_clock(PrometheusOptions::default());
    let options = SummaryOptions::default();
    let observe = Value::Observe {
        value: 1.0,
        count: 1,
        observer: Observer::Summary(&options),
    };
    record(
        &sink,
        "g",
        &[],
        Value::GaugeSet(5.0),
        Some(Duration::from_secs(1)),
    )
    .unwrap();
    record(&sink, "s", &[], observe, Some(Duration::from_secs(2))).unwrap();
    assert_eq!(sink.expire(), 0);
    clock.advance(Duration::from_millis(1500));
    assert_eq!(sink.expire(), 1);
    assert_eq!(sample(&sink, "g"), None);
    assert_eq!(sample(&sink, "s_count").as_deref(), Some("1"));
    clock.advance(Duration::from_millis(1000));
    assert_eq!(sink.expire(), 1);
    assert_eq!(sink.series_count(), 0);
    assert_eq!(sink.stats().series_expired.get(), 2);
    // Coming back starts from zero, and the released name may change type.
    record(&sink, "g", &[], Value::Counter(1.0), None).unwrap();
    assert_eq!(sample(&sink, "g").as_deref(), Some("1"));
}

#[test]
fn ttl_is_refreshed_by_every_sample() {
    let (sink, clock) = sink_with_clock(PrometheusOptions::default());
    let ttl = Some(Duration::from_secs(10));
    for _ in 0..5 {
        record(&sink, "c", &[], Value::Counter(1.0), ttl).unwrap();
        clock.advance(Duration::from_secs(6));
        assert_eq!(sink.expire(), 0);
    }
    assert_eq!(sample(&sink, "c").as_deref(), Some("5"));
    clock.advance(Duration::from_secs(5));
    assert_eq!(sink.expire(), 1);
}

#[test]
fn ttl_follows_the_latest_sample() {
    // A reload that shortens (or sets) a TTL applies to existing series at their next sample.
    let (sink, clock) = sink_with_clock(PrometheusOptions::default());
    record(&sink, "c", &[], Value::Counter(1.0), None).unwrap();
    record(
        &sink,
        "c",
        &[],
        Value::Counter(1.0),
        Some(Duration::from_secs(60)),
    )
    .unwrap();
    record(
        &sink,
        "c",
        &[],
        Value::Counter(1.0),
        Some(Duration::from_secs(1)),
    )
    .unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(sink.expire(), 1);
    // Lengthening works too: the early heap entry is re-queued, not acted on.
    record(
        &sink,
        "d",
        &[],
        Value::Counter(1.0),
        Some(Duration::from_secs(1)),
    )
    .unwrap();
    record(
        &sink,
        "d",
        &[],
        Value::Counter(1.0),
        Some(Duration::from_secs(60)),
    )
    .unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(sink.expire(), 0);
    record(&sink, "d", &[], Value::Counter(1.0), None).unwrap();
    clock.advance(Duration::from_secs(600));
    assert_eq!(sink.expire(), 0);
    assert_eq!(sink.series_count(), 1);
}

#[test]
fn ttl_on_many_series_expires_exactly_the_idle_ones() {
    let (sink, clock) = sink_with_clock(PrometheusOptions {
        shards: 4,
        ..PrometheusOptions::default()
    });
    let ttl = Some(Duration::from_secs(5));
    for i in 0..1000 {
        let v = i.to_string();
        record(&sink, "c", &[("i", &v)], Value::Counter(1.0), ttl).unwrap();
    }
    clock.advance(Duration::from_secs(3));
    for i in (0..1000).step_by(2) {
        let v = i.to_string();
        record(&sink, "c", &[("i", &v)], Value::Counter(1.0), ttl).unwrap();
    }
    clock.advance(Duration::from_secs(3));
    assert_eq!(sink.expire(), 500);
    assert_eq!(sink.series_count(), 500);
    clock.advance(Duration::from_secs(3));
    assert_eq!(sink.expire(), 500);
    assert_eq!(sink.series_count(), 0);
}

#[test]
fn cardinality_limit_drops_new_series_and_keeps_old_ones() {
    let sink = PrometheusSink::new(PrometheusOptions {
        max_series: Some(3),
        ..PrometheusOptions::default()
    });
    for i in 0..3 {
        counter(&sink, "c", &[("i", &i.to_string())], 1.0).unwrap();
    }
    assert_eq!(
        counter(&sink, "c", &[("i", "new")], 1.0),
        Err(Rejection::CardinalityLimit)
    );
    assert_eq!(
        gauge(&sink, "other", &[], 1.0),
        Err(Rejection::CardinalityLimit)
    );
    counter(&sink, "c", &[("i", "0")], 1.0).unwrap();
    assert_eq!(sample(&sink, "c{i=\"0\"}").as_deref(), Some("2"));
    assert_eq!(sink.series_count(), 3);
}

#[test]
fn per_metric_limit_applies_per_name() {
    let sink = PrometheusSink::new(PrometheusOptions {
        max_series_per_metric: Some(2),
        ..PrometheusOptions::default()
    });
    counter(&sink, "a", &[("i", "1")], 1.0).unwrap();
    counter(&sink, "a", &[("i", "2")], 1.0).unwrap();
    assert_eq!(
        counter(&sink, "a", &[("i", "3")], 1.0),
        Err(Rejection::MetricCardinalityLimit)
    );
    counter(&sink, "b", &[("i", "3")], 1.0).unwrap();
}

#[test]
fn expiry_makes_room_under_the_limit() {
    let (sink, clock) = sink_with_clock(PrometheusOptions {
        max_series: Some(1),
        ..PrometheusOptions::default()
    });
    record(
        &sink,
        "a",
        &[],
        Value::Counter(1.0),
        Some(Duration::from_secs(1)),
    )
    .unwrap();
    assert_eq!(
        counter(&sink, "b", &[], 1.0),
        Err(Rejection::CardinalityLimit)
    );
    clock.advance(Duration::from_secs(2));
    sink.expire();
    counter(&sink, "b", &[], 1.0).unwrap();
}

#[test]
fn a_flood_of_unique_names_stays_bounded() {
    // upstream #350: unique names or tag values must not grow memory past the limit.
    let sink = PrometheusSink::new(PrometheusOptions {
        max_series: Some(1000),
        ..PrometheusOptions::default()
    });
    for i in 0..20_000 {
        let name = format!("flood_{i}");
        let tag = format!("v{i}");
        let _ = counter(&sink, &name, &[("t", &tag)], 1.0);
    }
    let after_first = sink.heap_bytes_estimate();
    for i in 20_000..40_000 {
        let _ = counter(&sink, "flood_0", &[("t", &format!("v{i}"))], 1.0);
        let _ = gauge(&sink, &format!("flood_{i}"), &[], 1.0);
    }
    assert_eq!(sink.series_count(), 1000);
    assert_eq!(sink.heap_bytes_estimate(), after_first);
    assert_eq!(
        user_lines(&sink)
            .iter()
            .filter(|l| l.starts_with("# TYPE"))
            .count(),
        1000
    );
}

#[test]
fn concurrent_ingest_loses_nothing() {
    let sink = PrometheusSink::new(PrometheusOptions {
        shards: 8,
        ..PrometheusOptions::default()
    });
    std::thread::scope(|scope| {
        for t in 0..4 {
            let sink = &sink;
            scope.spawn(move || {
                for i in 0..5_000 {
                    counter(sink, "shared", &[], 1.0).unwrap();
                    counter(
                        sink,
                        "mine",
                        &[("t", &t.to_string()), ("i", &(i % 50).to_string())],
                        1.0,
                    )
                    .unwrap();
                    if i % 1000 == 0 {
                        let _ = expose(sink, statsd_exporter_core::Format::Text);
                    }
                }
            });
        }
    });
    assert_eq!(sample(&sink, "shared").as_deref(), Some("20000"));
    assert_eq!(sink.series_count(), 1 + 4 * 50);
    assert_eq!(
        sample(&sink, "mine{i=\"7\",t=\"3\"}").as_deref(),
        Some("100")
    );
}
