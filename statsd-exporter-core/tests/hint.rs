//! `Sink::record_hinted` on the Prometheus store: a hint finds its series again without a
//! lookup, and a stale or foreign hint never puts a value into the wrong series.

use std::time::Duration;

use statsd_exporter_core::{
    Format, HintedEvent, HistogramOptions, Label, Observer, PrometheusOptions, PrometheusSink,
    Rejection, SeriesHint, Sink, SummaryOptions, Value,
};

use crate::support::*;

fn one_shard() -> PrometheusOptions {
    // One shard: a removed series' slot is the next new series' slot.
    PrometheusOptions {
        shards: 1,
        ..PrometheusOptions::default()
    }
}

#[test]
fn hinted_and_unhinted_recording_expose_the_same() {
    let summary_options = SummaryOptions::default();
    let histogram_options = HistogramOptions::default();
    let (plain, plain_clock) = sink_with_clock(PrometheusOptions::default());
    let (fast, fast_clock) = sink_with_clock(PrometheusOptions::default());
    // Series: name and its label set in two orders.
    type Orders<'a> = [[(&'a str, &'a str); 2]; 2];
    let series: [(&str, Orders<'_>); 5] = [
        (
            "requests_total",
            [
                [("code", "200"), ("path", "/a")],
                [("path", "/a"), ("code", "200")],
            ],
        ),
        (
            "requests_total",
            [
                [("code", "500"), ("path", "/a")],
                [("path", "/a"), ("code", "500")],
            ],
        ),
        (
            "queue",
            [[("q", "x"), ("host", "h")], [("host", "h"), ("q", "x")]],
        ),
        (
            "latency",
            [
                [("code", "200"), ("path", "/a")],
                [("path", "/a"), ("code", "200")],
            ],
        ),
        (
            "size",
            [
                [("code", "200"), ("path", "/b")],
                [("path", "/b"), ("code", "200")],
            ],
        ),
    ];
    let mut hints = [SeriesHint::new(); 5];
    for i in 0..3_000usize {
        let s = i % series.len();
        let (name, orders) = &series[s];
        let labels = &orders[i / series.len() % 2];
        let x = (i % 97) as f64 * 0.25;
        let value = match s {
            0 | 1 => Value::Counter(x),
            2 if i % 3 == 0 => Value::GaugeSet(x),
            2 => Value::GaugeAdd(-x),
            3 => Value::Observe {
                value: x,
                count: 1 + (i % 3) as u64,
                observer: Observer::Summary(&summary_options),
            },
            _ => Value::Observe {
                value: x,
                count: 1,
                observer: Observer::Histogram(&histogram_options),
            },
        };
        // A TTL that expires the idle gauge part-way through on both stores alike.
        let ttl = (s == 2 && i < 1_000).then(|| Duration::from_secs(5));
        let want = record(&plain, name, labels, value, ttl);
        let got = hinted(&fast, &mut hints[s], name, labels, value, ttl);
        assert_eq!(got, want, "event {i}");
        if i % 500 == 499 {
            for clock in [&plain_clock, &fast_clock] {
                clock.advance(Duration::from_secs(3));
            }
            assert_eq!(plain.expire(), fast.expire());
        }
    }
    assert!(hints.iter().all(|h| *h != SeriesHint::new()));
    assert_eq!(fast.series_count(), 5);
    let text = expose(&fast, Format::Text);
    assert!(
        text.contains("latency_count{code=\"200\",path=\"/a\"} 1200\n"),
        "{text}"
    );
    assert_eq!(text, expose(&plain, Format::Text));
    assert_eq!(
        expose(&fast, Format::OpenMetrics),
        expose(&plain, Format::OpenMetrics)
    );
}

#[test]
fn a_hint_to_an_expired_series_never_reaches_the_series_in_its_slot() {
    let (sink, clock) = sink_with_clock(one_shard());
    let ttl = Some(Duration::from_secs(1));
    let mut a = SeriesHint::new();
    hinted(&sink, &mut a, "m", &[("k", "a")], Value::Counter(1.0), ttl).unwrap();
    let first = a;
    assert_ne!(
        first,
        SeriesHint::new(),
        "a successful record leaves a hint"
    );
    clock.advance(Duration::from_secs(2));
    assert_eq!(sink.expire(), 1);
    // Same name, same label names, only the value differs: takes the freed slot.
    record(&sink, "m", &[("k", "b")], Value::Counter(10.0), ttl).unwrap();
    hinted(&sink, &mut a, "m", &[("k", "a")], Value::Counter(2.0), ttl).unwrap();
    assert_eq!(sample(&sink, "m{k=\"b\"}").as_deref(), Some("10"));
    assert_eq!(sample(&sink, "m{k=\"a\"}").as_deref(), Some("2"));
    assert_ne!(a, first, "the hint names the new series");
    // The refreshed hint finds the new series.
    let refreshed = a;
    hinted(&sink, &mut a, "m", &[("k", "a")], Value::Counter(3.0), ttl).unwrap();
    assert_eq!(a, refreshed);
    assert_eq!(sample(&sink, "m{k=\"a\"}").as_deref(), Some("5"));
    assert_eq!(sample(&sink, "m{k=\"b\"}").as_deref(), Some("10"));
    assert_eq!(sink.series_count(), 2);

    // Both expire and their slots are taken again, many times over: the old hints stay
    // stale.
    for round in 0..50 {
        clock.advance(Duration::from_secs(2));
        assert_eq!(sink.expire(), 2, "round {round}");
        record(&sink, "m", &[("k", "b")], Value::Counter(1.0), ttl).unwrap();
        let (mut stale, mut older) = (first, refreshed);
        hinted(
            &sink,
            &mut stale,
            "m",
            &[("k", "a")],
            Value::Counter(7.0),
            ttl,
        )
        .unwrap();
        hinted(
            &sink,
            &mut older,
            "m",
            &[("k", "a")],
            Value::Counter(1.0),
            ttl,
        )
        .unwrap();
        assert_eq!(
            sample(&sink, "m{k=\"b\"}").as_deref(),
            Some("1"),
            "round {round}"
        );
        assert_eq!(
            sample(&sink, "m{k=\"a\"}").as_deref(),
            Some("8"),
            "round {round}"
        );
        assert_eq!(stale, older, "both hints now name the new series");
    }
}

#[test]
fn a_hint_from_another_store_is_ignored() {
    let (one, _) = sink_with_clock(one_shard());
    let (two, _) = sink_with_clock(one_shard());
    // Both stores put their first series in the same shard and slot.
    counter(&two, "m", &[("k", "b")], 10.0).unwrap();
    let mut hint = SeriesHint::new();
    hinted(
        &one,
        &mut hint,
        "m",
        &[("k", "a")],
        Value::Counter(1.0),
        None,
    )
    .unwrap();
    let from_one = hint;
    hinted(
        &two,
        &mut hint,
        "m",
        &[("k", "a")],
        Value::Counter(2.0),
        None,
    )
    .unwrap();
    assert_eq!(sample(&two, "m{k=\"b\"}").as_deref(), Some("10"));
    assert_eq!(sample(&two, "m{k=\"a\"}").as_deref(), Some("2"));
    assert_eq!(sample(&one, "m{k=\"a\"}").as_deref(), Some("1"));
    assert_ne!(hint, from_one, "the hint now belongs to the second store");
    // Written by a hand that is not a store's: ignored as well.
    let mut forged = SeriesHint::new();
    forged.set(SeriesHint::new_owner(), 0);
    hinted(
        &two,
        &mut forged,
        "m",
        &[("k", "a")],
        Value::Counter(1.0),
        None,
    )
    .unwrap();
    assert_eq!(sample(&two, "m{k=\"a\"}").as_deref(), Some("3"));
    assert_eq!(sample(&two, "m{k=\"b\"}").as_deref(), Some("10"));
}

#[test]
fn a_hint_passed_for_another_metric_name_is_not_followed() {
    // A caller bug the store can catch cheaply: the name (and the label count) are
    // checked on the hinted path; the label values are the caller's promise.
    let sink = PrometheusSink::new(one_shard());
    let mut hint = SeriesHint::new();
    hinted(
        &sink,
        &mut hint,
        "a",
        &[("k", "v")],
        Value::Counter(1.0),
        None,
    )
    .unwrap();
    hinted(
        &sink,
        &mut hint,
        "b",
        &[("k", "v")],
        Value::Counter(5.0),
        None,
    )
    .unwrap();
    hinted(
        &sink,
        &mut hint,
        "b",
        &[("k", "v"), ("j", "w")],
        Value::Counter(6.0),
        None,
    )
    .unwrap();
    assert_eq!(sample(&sink, "a{k=\"v\"}").as_deref(), Some("1"));
    assert_eq!(sample(&sink, "b{k=\"v\"}").as_deref(), Some("5"));
    assert_eq!(sample(&sink, "b{j=\"w\",k=\"v\"}").as_deref(), Some("6"));
}

#[test]
fn conflicts_and_negative_counters_through_a_hint_are_refused() {
    let sink = PrometheusSink::default();
    let mut hint = SeriesHint::new();
    hinted(
        &sink,
        &mut hint,
        "m",
        &[("k", "v")],
        Value::Counter(1.0),
        None,
    )
    .unwrap();
    let set = hint;
    assert_eq!(
        hinted(
            &sink,
            &mut hint,
            "m",
            &[("k", "v")],
            Value::GaugeSet(5.0),
            None
        ),
        Err(Rejection::Conflict)
    );
    let summary_options = SummaryOptions::default();
    let observe = Value::Observe {
        value: 1.0,
        count: 1,
        observer: Observer::Summary(&summary_options),
    };
    assert_eq!(
        hinted(&sink, &mut hint, "m", &[("k", "v")], observe, None),
        Err(Rejection::Conflict)
    );
    assert_eq!(
        hinted(
            &sink,
            &mut hint,
            "m",
            &[("k", "v")],
            Value::Counter(-1.0),
            None
        ),
        Err(Rejection::NegativeCounter)
    );
    assert_eq!(hint, set, "a refusal leaves the hint alone");
    hinted(
        &sink,
        &mut hint,
        "m",
        &[("k", "v")],
        Value::Counter(2.0),
        None,
    )
    .unwrap();
    assert_eq!(sample(&sink, "m{k=\"v\"}").as_deref(), Some("3"));
    assert_eq!(sink.series_count(), 1);
}

#[test]
fn a_refused_event_leaves_an_empty_hint_empty() {
    let sink = PrometheusSink::new(PrometheusOptions {
        max_series: Some(1),
        ..PrometheusOptions::default()
    });
    counter(&sink, "taken", &[], 1.0).unwrap();
    let mut hint = SeriesHint::new();
    for (name, labels, want) in [
        ("1bad", &[][..], Rejection::IllegalMetricName),
        ("m", &[("__x", "v")][..], Rejection::IllegalLabelName),
        ("m", &[("k", "v")][..], Rejection::CardinalityLimit),
    ] {
        assert_eq!(
            hinted(&sink, &mut hint, name, labels, Value::Counter(1.0), None),
            Err(want)
        );
        assert_eq!(hint, SeriesHint::new());
    }
}

#[test]
fn the_store_reference_records_through_hints_too() {
    let (sink, clock) = sink_with_clock(one_shard());
    let labels = [Label::new("k", "v"), Label::new("j", "w")];
    let reversed = [labels[1], labels[0]];
    let mut hint = SeriesHint::new();
    let ttl = Some(Duration::from_secs(1));
    (&sink)
        .record_hinted(&event("g", &labels, Value::GaugeSet(1.0), ttl), &mut hint)
        .unwrap();
    let first = hint;
    // The hinted path refreshes the series' TTL like any sample.
    for _ in 0..5 {
        clock.advance(Duration::from_millis(600));
        (&sink)
            .record_hinted(&event("g", &reversed, Value::GaugeAdd(1.0), ttl), &mut hint)
            .unwrap();
        assert_eq!(sink.expire(), 0);
    }
    assert_eq!(hint, first);
    assert_eq!(sample(&sink, "g{j=\"w\",k=\"v\"}").as_deref(), Some("6"));
    // A TTL changed through the hint takes effect: forever now.
    (&sink)
        .record_hinted(&event("g", &labels, Value::GaugeAdd(1.0), None), &mut hint)
        .unwrap();
    clock.advance(Duration::from_secs(60));
    assert_eq!(sink.expire(), 0);
    // And back to a short one: expires.
    (&sink)
        .record_hinted(&event("g", &labels, Value::GaugeAdd(1.0), ttl), &mut hint)
        .unwrap();
    clock.advance(Duration::from_secs(2));
    assert_eq!(sink.expire(), 1);
    assert_eq!(sink.series_count(), 0);
}

/// `record_by_hint` (through a recorder and through the store reference) with the label
/// count instead of the labels: applied only when the hint still names a series with that
/// name and label count; otherwise `None` and nothing recorded.
#[test]
fn record_by_hint_applies_only_through_a_live_hint() {
    let (sink, clock) = sink_with_clock(one_shard());
    let ttl = Some(Duration::from_secs(1));
    let quick = |name, label_count, value| HintedEvent {
        name,
        label_count,
        value,
        ttl,
    };
    let mut hint = SeriesHint::new();
    // An empty hint: nothing to follow.
    let by_hint = sink
        .recorder()
        .record_by_hint(&quick("m", 1, Value::Counter(1.0)), &hint);
    assert_eq!(by_hint, None);
    assert_eq!(sink.series_count(), 0);
    hinted(
        &sink,
        &mut hint,
        "m",
        &[("k", "a")],
        Value::Counter(1.0),
        ttl,
    )
    .unwrap();
    let by_hint = sink
        .recorder()
        .record_by_hint(&quick("m", 1, Value::Counter(2.0)), &hint);
    assert_eq!(by_hint, Some(Ok(())));
    assert_eq!(
        (&sink).record_by_hint(&quick("m", 1, Value::Counter(4.0)), &hint),
        Some(Ok(()))
    );
    assert_eq!(sample(&sink, "m{k=\"a\"}").as_deref(), Some("7"));
    // Another name or label count, another store: not followed, nothing recorded.
    let mut recorder = sink.recorder();
    assert_eq!(
        recorder.record_by_hint(&quick("n", 1, Value::Counter(1.0)), &hint),
        None
    );
    assert_eq!(
        recorder.record_by_hint(&quick("m", 2, Value::Counter(1.0)), &hint),
        None
    );
    let (other, _) = sink_with_clock(one_shard());
    assert_eq!(
        other
            .recorder()
            .record_by_hint(&quick("m", 1, Value::Counter(1.0)), &hint),
        None
    );
    // The series' type is checked as on every path; a negative counter is refused.
    assert_eq!(
        recorder.record_by_hint(&quick("m", 1, Value::GaugeSet(1.0)), &hint),
        Some(Err(Rejection::Conflict))
    );
    assert_eq!(
        recorder.record_by_hint(&quick("m", 1, Value::Counter(-1.0)), &hint),
        Some(Err(Rejection::NegativeCounter))
    );
    assert_eq!(sample(&sink, "m{k=\"a\"}").as_deref(), Some("7"));
    assert_eq!(sample(&sink, "n{k=\"a\"}"), None);
    // Expired, its slot taken by another series: stale, and the other series untouched.
    clock.advance(Duration::from_secs(2));
    assert_eq!(sink.expire(), 1);
    record(&sink, "m", &[("k", "b")], Value::Counter(10.0), ttl).unwrap();
    let by_hint = sink
        .recorder()
        .record_by_hint(&quick("m", 1, Value::Counter(1.0)), &hint);
    assert_eq!(by_hint, None);
    assert_eq!(sample(&sink, "m{k=\"b\"}").as_deref(), Some("10"));
    assert_eq!(sample(&sink, "m{k=\"a\"}"), None);
}

/// A sink that does not override `record_by_hint` (and a `&mut` of one) answers `None`.
#[test]
fn record_by_hint_defaults_to_none() {
    struct Plain(usize);
    impl Sink for Plain {
        fn record(&mut self, _: &statsd_exporter_core::Event<'_>) -> Result<(), Rejection> {
            self.0 += 1;
            Ok(())
        }
    }
    let mut plain = Plain(0);
    let mut hint = SeriesHint::new();
    hint.set(SeriesHint::new_owner(), 1);
    let event = HintedEvent {
        name: "m",
        label_count: 0,
        value: Value::Counter(1.0),
        ttl: None,
    };
    assert_eq!(plain.record_by_hint(&event, &hint), None);
    // Through the `&mut S` forwarding impl.
    fn forwarded(
        mut sink: impl Sink,
        event: &HintedEvent<'_>,
        hint: &SeriesHint,
    ) -> Option<Result<(), Rejection>> {
        sink.record_by_hint(event, hint)
    }
    assert_eq!(forwarded(&mut plain, &event, &hint), None);
    assert_eq!(plain.0, 0);
}
