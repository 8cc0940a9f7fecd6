//! The pipeline: statsd_exporter's event semantics (its exporter tests, in our words),
//! sample rates, accounting and reloads.

use std::sync::Arc;
use std::time::Duration;

use statsd_exporter_core::{Format, ManualClock, Pipeline, PrometheusOptions, PrometheusSink};
use statsd_mapper::{Mapper, MapperConfig};
use statsd_proto::Parser;

use crate::support::*;

/// A sink, a pipeline over `yaml` (empty: no mapping file) and the sink's clock.
fn setup(yaml: &str) -> (PrometheusSink, Pipeline, ManualClock) {
    let clock = ManualClock::new();
    let sink = PrometheusSink::with_clock(PrometheusOptions::default(), Arc::new(clock.clone()));
    let config = if yaml.is_empty() {
        MapperConfig::empty()
    } else {
        MapperConfig::from_yaml_str(yaml, None).expect("test config is valid")
    };
    let pipeline = Pipeline::new(
        Arc::new(Mapper::new(config, 100)),
        Parser::new().events(false),
        sink.stats().clone(),
    );
    (sink, pipeline, clock)
}

fn send(sink: &PrometheusSink, pipeline: &mut Pipeline, packet: &str) {
    pipeline.process_packet(packet.as_bytes(), &mut sink.recorder());
}

fn value(sink: &PrometheusSink, series: &str) -> Option<String> {
    sample(sink, series)
}

#[test]
fn negative_counter_is_counted_not_recorded() {
    let (sink, mut p, _) = setup("");
    send(&sink, &mut p, "foo:-1|c");
    assert_eq!(value(&sink, "foo"), None);
    assert_eq!(sink.stats().events_error.get("illegal_negative_counter"), 1);
    assert_eq!(
        value(
            &sink,
            "statsd_exporter_events_error_total{reason=\"illegal_negative_counter\"}"
        )
        .as_deref(),
        Some("1")
    );
}

#[test]
fn inconsistent_label_sets_are_all_exported() {
    let yaml = r#"
mappings:
- match: "h.*"
  name: "hist"
  observer_type: histogram
"#;
    let (sink, mut p, _) = setup(yaml);
    send(
        &sink,
        &mut p,
        "c:1|c|#foo:1\nc:1|c|#foo:1,bar:2\ng:1|g|#foo:1\ng:1|g|#foo:1,bar:2",
    );
    send(
        &sink,
        &mut p,
        "h.x:1|ms|#foo:1\nh.x:1|ms|#foo:1,bar:2\ns:1|ms|#foo:1\ns:1|ms|#foo:1,bar:2",
    );
    for series in [
        "c{foo=\"1\"}",
        "c{bar=\"2\",foo=\"1\"}",
        "g{foo=\"1\"}",
        "g{bar=\"2\",foo=\"1\"}",
        "hist_count{foo=\"1\"}",
        "hist_count{bar=\"2\",foo=\"1\"}",
        "s_count{foo=\"1\"}",
        "s_count{bar=\"2\",foo=\"1\"}",
    ] {
        assert_eq!(value(&sink, series).as_deref(), Some("1"), "{series}");
    }
}

#[test]
fn mapping_labels_override_tags() {
    let yaml = r#"
mappings:
- match: "counter.test.*"
  name: "counter_test"
  labels:
    code: "$1"
"#;
    let (sink, mut p, _) = setup(yaml);
    send(
        &sink,
        &mut p,
        "counter.test.200:1|c|#code:should_be_overridden",
    );
    assert_eq!(
        value(&sink, "counter_test{code=\"200\"}").as_deref(),
        Some("1")
    );
    assert_eq!(sink.stats().events_actions.get("map"), 1);
}

#[test]
fn honor_labels_keeps_the_tag() {
    let yaml = r#"
mappings:
- match: ".*"
  match_type: regex
  name: "$0"
  honor_labels: true
  labels:
    some_label: "foo"
    other: "default"
"#;
    let (sink, mut p, _) = setup(yaml);
    send(&sink, &mut p, "some_metric:1|c|#some_label:bar");
    assert_eq!(
        value(&sink, "some_metric{other=\"default\",some_label=\"bar\"}").as_deref(),
        Some("1")
    );
}

#[test]
fn type_conflicts_are_counted_by_name_and_type() {
    let (sink, mut p, _) = setup("");
    send(
        &sink,
        &mut p,
        "m:1|c\nm:2|g\nm:3|ms\nm_count:1|c\nd:1|d\nd_count:1|ms",
    );
    assert_eq!(value(&sink, "m").as_deref(), Some("1"));
    assert_eq!(sink.stats().conflicts("m", "gauge"), 1);
    assert_eq!(sink.stats().conflicts("m", "summary"), 1);
    assert_eq!(sink.stats().conflicts("d_count", "summary"), 1);
    assert_eq!(sink.stats().conflicts("m_count", "counter"), 0);
    assert_eq!(
        value(
            &sink,
            "statsd_exporter_events_conflict_total{metric_name=\"d_count\",type=\"summary\"}"
        )
        .as_deref(),
        Some("1")
    );
    assert_eq!(sink.stats().events.get("counter"), 2);
}

#[test]
fn empty_mapped_name_is_counted() {
    let yaml = r#"
mappings:
- match: ".*_bar"
  match_type: regex
  name: "${1}"
"#;
    let (sink, mut p, _) = setup(yaml);
    send(&sink, &mut p, "foo_bar:1|c");
    assert_eq!(sink.stats().events_error.get("empty_metric_name"), 1);
    assert_eq!(sink.series_count(), 0);
}

#[test]
fn invalid_utf8_loses_only_its_line() {
    let (sink, mut p, _) = setup("");
    let mut packet = b"ok1:1|c\nbad:1|c|#k:".to_vec();
    packet.extend_from_slice(&[0xff, 0xfe]);
    packet.extend_from_slice(b"\nok2:1|c");
    p.process_packet(&packet, &mut sink.recorder());
    p.process_line(b"bad_tcp:1|c|#k:\xff", &mut sink.recorder());
    p.process_line(b"ok3:1|c\n", &mut sink.recorder());
    assert_eq!(value(&sink, "ok1").as_deref(), Some("1"));
    assert_eq!(value(&sink, "ok2").as_deref(), Some("1"));
    assert_eq!(value(&sink, "ok3").as_deref(), Some("1"));
    assert_eq!(sink.stats().sample_errors.get("malformed_line"), 2);
    assert_eq!(sink.stats().lines.get(), 5);
}

#[test]
fn a_stream_line_ends_like_a_packet_line() {
    let (sink, mut p, _) = setup("");
    // One `\r` before the `\n` is the line end; a second one is content (type `c\r`).
    p.process_line(b"crlf:1|c\r\n", &mut sink.recorder());
    p.process_line(b"double:1|c\r\r\n", &mut sink.recorder());
    p.process_packet(b"double_udp:1|c\r\r\n", &mut sink.recorder());
    p.process_line(b"\r\n", &mut sink.recorder());
    assert_eq!(value(&sink, "crlf").as_deref(), Some("1"));
    assert_eq!(value(&sink, "double"), None);
    assert_eq!(value(&sink, "double_udp"), None);
    assert_eq!(sink.stats().sample_errors.get("illegal_event"), 2);
}

#[test]
fn unmapped_observer_is_a_summary_with_default_quantiles() {
    let (sink, mut p, _) = setup("");
    send(&sink, &mut p, "lat:250|ms");
    let lines = user_lines(&sink);
    for want in [
        "# TYPE lat summary",
        "lat{quantile=\"0.5\"} 0.25",
        "lat{quantile=\"0.9\"} 0.25",
        "lat{quantile=\"0.99\"} 0.25",
        "lat_sum 0.25",
        "lat_count 1",
    ] {
        assert!(
            lines.iter().any(|l| l == want),
            "missing {want}: {lines:#?}"
        );
    }
    assert_eq!(sink.stats().events_unmapped.get(), 1);
}

#[test]
fn histogram_units_ms_become_seconds_other_observers_do_not() {
    let yaml = "defaults:\n  observer_type: histogram\n";
    let (sink, mut p, _) = setup(yaml);
    send(&sink, &mut p, "a:300|ms\nb:0.3|h\nc:0.3|d");
    assert_eq!(value(&sink, "a_sum").as_deref(), Some("0.3"));
    assert_eq!(value(&sink, "b_sum").as_deref(), Some("0.3"));
    assert_eq!(value(&sink, "c_sum").as_deref(), Some("0.3"));
    assert_eq!(value(&sink, "a_bucket{le=\"0.5\"}").as_deref(), Some("1"));
    assert_eq!(value(&sink, "a_bucket{le=\"0.25\"}").as_deref(), Some("0"));
}

#[test]
fn counters_add_and_gauges_take_deltas() {
    let (sink, mut p, _) = setup("");
    send(&sink, &mut p, "c:1|c\nc:1|c");
    send(&sink, &mut p, "g:333|g\ng:-10|g\ng:+4|g");
    send(&sink, &mut p, "z:0|g\nz:-1|g");
    assert_eq!(value(&sink, "c").as_deref(), Some("2"));
    assert_eq!(value(&sink, "g").as_deref(), Some("327"));
    assert_eq!(value(&sink, "z").as_deref(), Some("-1"));
}

#[test]
fn scale_multiplies_every_type() {
    let yaml = r#"
mappings:
- match: "scaled.*"
  name: "scaled_$1"
  scale: 1024
- match: "t.*"
  name: "timer_$1"
  scale: 2
"#;
    let (sink, mut p, _) = setup(yaml);
    send(
        &sink,
        &mut p,
        "scaled.c:100|c\nscaled.c:200|c\nscaled.g:1|g\nscaled.g:+1|g\nt.x:500|ms",
    );
    assert_eq!(value(&sink, "scaled_c").as_deref(), Some("307200"));
    assert_eq!(value(&sink, "scaled_g").as_deref(), Some("2048"));
    // 500 ms → 0.5 s, then × 2.
    assert_eq!(value(&sink, "timer_x_sum").as_deref(), Some("1"));
}

#[test]
fn ttl_default_and_per_mapping() {
    let yaml = r#"
defaults:
  ttl: 1s
mappings:
- match: "long.*"
  name: "long_$1"
  ttl: 2s
"#;
    let (sink, mut p, clock) = setup(yaml);
    send(&sink, &mut p, "short:1|g\nlong.s:1|ms");
    clock.advance(Duration::from_millis(1500));
    assert_eq!(sink.expire(), 1);
    assert_eq!(value(&sink, "short"), None);
    assert_eq!(value(&sink, "long_s_count").as_deref(), Some("1"));
    clock.advance(Duration::from_millis(1000));
    assert_eq!(sink.expire(), 1);
    assert_eq!(value(&sink, "long_s_count"), None);
    assert_eq!(
        value(&sink, "statsd_exporter_series_expired_total").as_deref(),
        Some("2")
    );
}

#[test]
fn sample_rates() {
    let (sink, mut p, _) = setup("");
    send(&sink, &mut p, "c:1|c|@0.1\ng:5|g|@0.1");
    send(
        &sink,
        &mut p,
        "t1:1|ms|@0.25\nt2:1|ms|@0.3\nt3:1|ms|@0.7\nt4:1|h|@1",
    );
    assert_eq!(value(&sink, "c").as_deref(), Some("10"));
    assert_eq!(value(&sink, "g").as_deref(), Some("5"));
    assert_eq!(value(&sink, "t1_count").as_deref(), Some("4"));
    assert_eq!(value(&sink, "t2_count").as_deref(), Some("3"));
    assert_eq!(value(&sink, "t3_count").as_deref(), Some("1"));
    assert_eq!(value(&sink, "t4_count").as_deref(), Some("1"));
    assert_eq!(sink.stats().sample_errors.get("invalid_sample_factor"), 0);
    // A tiny rate is one weighted observation, not millions of inserts.
    send(&sink, &mut p, "t5:2|d|@0.000001");
    assert_eq!(value(&sink, "t5_count").as_deref(), Some("1e+06"));
    assert_eq!(value(&sink, "t5_sum").as_deref(), Some("2e+06"));
}

#[test]
fn observer_rate_above_one_records_once_and_is_counted() {
    // statsd_exporter records nothing for `@2`, silently.
    let (sink, mut p, _) = setup("");
    send(&sink, &mut p, "rt:5|ms|@2\nneg:5|ms|@-0.5");
    assert_eq!(value(&sink, "rt_count").as_deref(), Some("1"));
    assert_eq!(value(&sink, "rt_sum").as_deref(), Some("0.005"));
    assert_eq!(value(&sink, "neg_count").as_deref(), Some("1"));
    assert_eq!(sink.stats().sample_errors.get("invalid_sample_factor"), 2);
    // Counters keep statsd_exporter's division.
    send(&sink, &mut p, "c:4|c|@2");
    assert_eq!(value(&sink, "c").as_deref(), Some("2"));
}

#[test]
fn drop_action_and_unmapped_accounting() {
    let yaml = r#"
mappings:
- match: "noisy.*"
  name: "dropped"
  action: drop
- match: "kept.*"
  name: "kept_$1"
"#;
    let (sink, mut p, _) = setup(yaml);
    send(
        &sink,
        &mut p,
        "noisy.a:1|c\nnoisy.b:1|g\nkept.a:1|c\nother:1|c",
    );
    assert_eq!(sink.series_count(), 2);
    assert_eq!(sink.stats().events_actions.get("drop"), 2);
    assert_eq!(sink.stats().events_actions.get("map"), 1);
    assert_eq!(sink.stats().events_unmapped.get(), 1);
    assert_eq!(sink.stats().events.get("counter"), 2);
}

#[test]
fn sets_are_illegal_events() {
    let (sink, mut p, _) = setup("");
    send(&sink, &mut p, "users:1|s\nok:1|c\nnames:alice|s");
    assert_eq!(sink.stats().sample_errors.get("illegal_event"), 1);
    // statsd_exporter parses the value before it looks at the type.
    assert_eq!(sink.stats().sample_errors.get("malformed_value"), 1);
    assert_eq!(sink.series_count(), 1);
}

#[test]
fn le_and_quantile_tags_no_longer_crash_anything() {
    let yaml = "defaults:\n  observer_type: histogram\nmappings:\n- match: \"s.*\"\n  name: \"sum_$1\"\n  observer_type: summary\n";
    let (sink, mut p, _) = setup(yaml);
    send(
        &sink,
        &mut p,
        "h1:1|h|#le:5\ns.x:1|ms|#quantile:0.5\nc:1|c|#le:5\nok:1|h",
    );
    assert_eq!(sink.stats().events_error.get("illegal_label_name"), 2);
    assert_eq!(value(&sink, "c{le=\"5\"}").as_deref(), Some("1"));
    assert_eq!(value(&sink, "ok_count").as_deref(), Some("1"));
}

#[test]
fn parse_accounting_matches_statsd_exporter() {
    let (sink, mut p, _) = setup("");
    send(
        &sink,
        &mut p,
        "a:1|c|#t:1,bad\nb:1|c:2|g\n\nbroken\nc:x|c\n",
    );
    let stats = sink.stats();
    // Six `\n` pieces including the empty one in the middle and the one after the last `\n`.
    assert_eq!(stats.lines.get(), 6);
    assert_eq!(stats.samples.get(), 4);
    assert_eq!(stats.tags.get(), 1);
    assert_eq!(stats.tag_errors.get(), 1);
    assert_eq!(stats.sample_errors.get("malformed_line"), 1);
    assert_eq!(stats.sample_errors.get("malformed_value"), 1);
    assert_eq!(stats.events.get("counter"), 2);
    // `b` is a counter, so its gauge sample is a type conflict, as in statsd_exporter.
    assert_eq!(stats.events.get("gauge"), 0);
    assert_eq!(stats.conflicts("b", "gauge"), 1);
}

#[test]
fn tag_keys_are_escaped_and_name_tags_work() {
    let (sink, mut p, _) = setup("");
    send(
        &sink,
        &mut p,
        "web.req,host.name=a-1:1|c\nsfx.[env=prod]x:1|c\nlib#k=v:1|c",
    );
    assert_eq!(
        value(&sink, "web_req{host_name=\"a-1\"}").as_deref(),
        Some("1")
    );
    assert_eq!(value(&sink, "sfx_x{env=\"prod\"}").as_deref(), Some("1"));
    assert_eq!(value(&sink, "lib{k=\"v\"}").as_deref(), Some("1"));
}

#[test]
fn reload_switches_every_clone() {
    let (sink, p, _) = setup("");
    let mut other = p.clone();
    send(&sink, &mut other.clone(), "a.b:1|c");
    let config =
        MapperConfig::from_yaml_str("mappings:\n- match: \"a.*\"\n  name: \"renamed\"\n", None)
            .unwrap();
    p.set_mapper(Arc::new(Mapper::new(config, 10)));
    send(&sink, &mut other, "a.b:1|c");
    assert_eq!(value(&sink, "a_b").as_deref(), Some("1"));
    assert_eq!(value(&sink, "renamed").as_deref(), Some("1"));
}

#[test]
fn threads_ingest_through_clones() {
    let (sink, p, _) = setup("");
    std::thread::scope(|scope| {
        for t in 0..3 {
            let mut p = p.clone();
            let sink = &sink;
            scope.spawn(move || {
                for i in 0..2000 {
                    let packet = format!("shared:1|c\nper_thread:1|c|#t:{t}\nlat:{i}|ms");
                    p.process_packet(packet.as_bytes(), &mut sink.recorder());
                }
            });
        }
    });
    assert_eq!(value(&sink, "shared").as_deref(), Some("6000"));
    assert_eq!(value(&sink, "per_thread{t=\"2\"}").as_deref(), Some("2000"));
    assert_eq!(value(&sink, "lat_count").as_deref(), Some("6000"));
    assert_eq!(sink.stats().lines.get(), 3 * 2000 * 3);
}

#[test]
fn a_batch_of_datagrams_counts_and_records_like_one_packet_each() {
    let yaml = r#"
mappings:
- match: "api.*.requests"
  name: api_requests_total
  labels: { service: "$1" }
- match: "drop.*"
  action: drop
  name: dropped
"#;
    // Good lines, empty pieces, a parse error, a set, a negative counter, a drop, a
    // conflict and a tagged line.
    let datagrams: [&[u8]; 9] = [
        b"api.users.requests:3|c|#code:200",
        b"api.users.requests:1|c|#code:200\n\nlatency:320|ms",
        b"",
        b"not a line",
        b"uniques:1|s",
        b"neg:-1|c",
        b"drop.me:1|c",
        b"latency:1|c",
        b"load:+2|g\r\nload:-0.5|g",
    ];
    let (one_sink, mut one, _) = setup(yaml);
    for datagram in datagrams {
        one.process_packet(datagram, &mut one_sink.recorder());
    }
    let (batch_sink, mut batch, _) = setup(yaml);
    batch.process_packets(datagrams, &mut batch_sink.recorder());
    let expose = |sink: &PrometheusSink| {
        let mut out = Vec::new();
        sink.expose_metrics(&mut out, statsd_exporter_core::Format::Text)
            .unwrap();
        String::from_utf8(out).unwrap()
    };
    let text = expose(&batch_sink);
    assert_eq!(text, expose(&one_sink));
    assert_eq!(batch_sink.stats().lines.get(), 12);
    assert!(
        text.contains("api_requests_total{code=\"200\",service=\"users\"} 4\n"),
        "{text}"
    );
    assert!(text.contains("load 1.5\n"), "{text}");
    assert!(
        text.contains("statsd_exporter_events_actions_total{action=\"drop\"} 1\n"),
        "{text}"
    );
    // Owned datagrams through an iterator work the same way.
    let (owned_sink, mut owned, _) = setup(yaml);
    let vecs: Vec<Vec<u8>> = datagrams.iter().map(|d| d.to_vec()).collect();
    owned.process_packets(vecs.iter(), &mut owned_sink.recorder());
    assert_eq!(expose(&owned_sink), text);
}

/// Each pipeline keeps the finished mapping of names it has seen (name, labels): repeats,
/// tags merged with kept labels, evictions, a reload and a disabled cache all give the same
/// series as the first sight of a name.
#[test]
fn kept_mappings_give_the_same_series_and_follow_reloads() {
    let yaml = r#"
mappings:
- match: "app.*.hits"
  name: "hits_$1"
  labels: { page: "$1", env: prod }
- match: "app.*.seen"
  name: seen
  honor_labels: true
  labels: { page: "$1" }
"#;
    for cache_size in [0, 8, 1000] {
        let clock = ManualClock::new();
        let sink =
            PrometheusSink::with_clock(PrometheusOptions::default(), Arc::new(clock.clone()));
        let config = MapperConfig::from_yaml_str(yaml, None).unwrap();
        let mut p = Pipeline::new(
            Arc::new(Mapper::new(config, cache_size)),
            Parser::new().events(false),
            sink.stats().clone(),
        );
        // 50 names, sent three times each: more than the small caches hold.
        for _ in 0..3 {
            for i in 0..50 {
                send(
                    &sink,
                    &mut p,
                    &format!("app.p{i}.hits:1|c\napp.p{i}.seen:1|c|#page:tag"),
                );
                send(
                    &sink,
                    &mut p,
                    &format!("app.p{i}.hits:1|c|#env:dev,code:200"),
                );
            }
        }
        for i in [0, 7, 49] {
            assert_eq!(
                value(&sink, &format!("hits_p{i}{{env=\"prod\",page=\"p{i}\"}}")).as_deref(),
                Some("3"),
                "cache size {cache_size}"
            );
            // The mapping's label overrides the tag of the same name.
            assert_eq!(
                value(
                    &sink,
                    &format!("hits_p{i}{{code=\"200\",env=\"prod\",page=\"p{i}\"}}")
                )
                .as_deref(),
                Some("3"),
                "cache size {cache_size}"
            );
        }
        // honor_labels: the tag wins over the kept label.
        assert_eq!(value(&sink, "seen{page=\"tag\"}").as_deref(), Some("150"));
        // A reload: the same pipeline maps the names it has kept the new way.
        let config = MapperConfig::from_yaml_str(
            "mappings:\n- match: \"app.*.hits\"\n  name: renamed\n",
            None,
        )
        .unwrap();
        p.set_mapper(Arc::new(Mapper::new(config, cache_size)));
        send(&sink, &mut p, "app.p0.hits:1|c");
        assert_eq!(value(&sink, "renamed").as_deref(), Some("1"));
        assert_eq!(
            value(&sink, "hits_p0{env=\"prod\",page=\"p0\"}").as_deref(),
            Some("3")
        );
    }
}

/// A scrape during ingest never shows `statsd_exporter_lines_total` ahead of the series:
/// the pipeline publishes a batch's counts after recording it, and the exposition reads the
/// counts before it copies the series. (The exporter's tests wait for `lines_total` and
/// then read the series.) A race test: it can only fail when the order is wrong.
#[test]
fn a_scrape_never_counts_lines_its_series_do_not_show() {
    let (sink, mut p, _) = setup("");
    let sink = Arc::new(sink);
    let ingest = {
        let sink = Arc::clone(&sink);
        std::thread::spawn(move || {
            for _ in 0..20_000 {
                send(&sink, &mut p, "guard:1|c");
            }
        })
    };
    let mut scrapes = 0;
    loop {
        let done = ingest.is_finished();
        let text = expose(&sink, Format::Text);
        let find = |name: &str| -> f64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
                .map_or(0.0, |v| v.parse().expect("a number"))
        };
        let lines = find("statsd_exporter_lines_total");
        let guard = find("guard");
        assert!(
            guard >= lines,
            "scrape {scrapes}: lines_total {lines} but guard {guard}"
        );
        scrapes += 1;
        if done {
            assert_eq!((lines, guard), (20_000.0, 20_000.0));
            break;
        }
    }
    ingest.join().expect("ingest thread");
}

/// A mapper over `yaml` (a test config, valid) with a cache of 100.
fn mapper_for(yaml: &str) -> Arc<Mapper> {
    Arc::new(Mapper::new(
        MapperConfig::from_yaml_str(yaml, None).unwrap(),
        100,
    ))
}

/// A sink that hands out hints and checks the pipeline's side of the bargain: every event
/// it passes with one hint names the same series (name and label set).
#[derive(Default)]
struct HintChecker {
    owner: u64,
    /// Series by token.
    series: Vec<(String, Vec<(String, String)>)>,
    /// Hinted events found by their token, and those that came with an empty hint.
    found: usize,
    fresh: usize,
    /// Events recorded without a hint (tagged lines).
    plain: usize,
}

impl HintChecker {
    fn new() -> Self {
        HintChecker {
            owner: statsd_exporter_core::SeriesHint::new_owner(),
            ..Default::default()
        }
    }
}

fn series_key(event: &statsd_exporter_core::Event<'_>) -> (String, Vec<(String, String)>) {
    let mut labels: Vec<_> = event
        .labels
        .iter()
        .map(|l| (l.name.to_owned(), l.value.to_owned()))
        .collect();
    labels.sort();
    (event.name.to_owned(), labels)
}

impl statsd_exporter_core::Sink for HintChecker {
    fn record(
        &mut self,
        _: &statsd_exporter_core::Event<'_>,
    ) -> Result<(), statsd_exporter_core::Rejection> {
        self.plain += 1;
        Ok(())
    }

    fn record_hinted(
        &mut self,
        event: &statsd_exporter_core::Event<'_>,
        hint: &mut statsd_exporter_core::SeriesHint,
    ) -> Result<(), statsd_exporter_core::Rejection> {
        let key = series_key(event);
        match hint.get(self.owner) {
            Some(token) => {
                assert_eq!(
                    self.series[token as usize], key,
                    "a hint came with another series"
                );
                self.found += 1;
            }
            None => {
                self.series.push(key);
                hint.set(self.owner, (self.series.len() - 1) as u128);
                self.fresh += 1;
            }
        }
        Ok(())
    }

    /// Follows its own hints, checking the name and label count the pipeline passes
    /// instead of the labels.
    fn record_by_hint(
        &mut self,
        event: &statsd_exporter_core::HintedEvent<'_>,
        hint: &statsd_exporter_core::SeriesHint,
    ) -> Option<Result<(), statsd_exporter_core::Rejection>> {
        let token = hint.get(self.owner)?;
        let (name, labels) = &self.series[token as usize];
        assert_eq!(
            (name.as_str(), labels.len()),
            (event.name, event.label_count),
            "a hint came with another series"
        );
        self.found += 1;
        Some(Ok(()))
    }
}

#[test]
fn untagged_lines_pass_their_mapping_hint_and_a_new_mapper_clears_it() {
    let first = r#"
mappings:
- match: "app.*.hits"
  name: "hits"
  labels:
    page: "$1"
"#;
    let second = r#"
mappings:
- match: "app.*.hits"
  name: "page_hits"
  labels:
    path: "/$1"
"#;
    let stats = PrometheusSink::new(PrometheusOptions::default())
        .stats()
        .clone();
    let mut pipeline = Pipeline::new(mapper_for(first), Parser::new(), stats);
    let mut sink = HintChecker::new();
    // Four names (a set of the pipeline's table holds four, so none is evicted), each as
    // a counter and as a gauge (another class, another mapping entry), three rounds.
    for _ in 0..3 {
        for page in ["home", "about", "faq", "blog"] {
            let packet = format!("app.{page}.hits:1|c\napp.{page}.hits:5|g");
            pipeline.process_packet(packet.as_bytes(), &mut sink);
        }
    }
    assert_eq!((sink.fresh, sink.found, sink.plain), (8, 16, 0));

    // Another mapping for the same names: the old hints must not come back (the checker
    // would see `hits` where `page_hits` is meant).
    pipeline.set_mapper(mapper_for(second));
    for page in ["home", "about", "faq", "blog"] {
        pipeline.process_packet(format!("app.{page}.hits:2|c").as_bytes(), &mut sink);
        pipeline.process_packet(format!("app.{page}.hits:2|c").as_bytes(), &mut sink);
    }
    assert_eq!((sink.fresh, sink.found, sink.plain), (12, 20, 0));
    assert!(sink.series[8..].iter().all(|(name, _)| name == "page_hits"));
}

#[test]
fn a_tagged_line_equal_to_the_last_but_for_its_value_passes_its_hint() {
    let yaml = r#"
mappings:
- match: "shop.*.orders"
  name: "orders"
  labels:
    shop: "$1"
"#;
    let mapper = mapper_for(yaml);
    let stats = PrometheusSink::new(PrometheusOptions::default())
        .stats()
        .clone();
    let mut pipeline = Pipeline::new(mapper, Parser::new(), stats);
    let mut sink = HintChecker::new();
    // (line, hint found?) in order; the checker asserts every found hint names the
    // series of the event it came with.
    let steps = [
        ("shop.eu.orders:1|c|#env:prod,zone:a", false),
        ("shop.eu.orders:2|c|#env:prod,zone:a", true),
        ("shop.eu.orders:30.25|c|#env:prod,zone:a", true),
        // Other tags, other series: the kept line is replaced.
        ("shop.eu.orders:1|c|#env:prod,zone:b", false),
        ("shop.eu.orders:1|c|#env:prod,zone:b", true),
        ("shop.eu.orders:1|c|#env:prod,zone:a", false),
        // The same tags in another order, a rate, InfluxDB-style tags: other lines.
        ("shop.eu.orders:1|c|#zone:a,env:prod", false),
        ("shop.eu.orders:1|c|@0.5|#zone:a,env:prod", false),
        ("shop.eu.orders:4|c|@0.5|#zone:a,env:prod", true),
        ("shop.eu.orders,zone=a:1|c", false),
        ("shop.eu.orders,zone=a:7|c", true),
        ("shop.eu.orders,zone=b:7|c", false),
        // Another name keeps its own line.
        ("shop.us.orders,zone=b:7|c", false),
        ("shop.eu.orders,zone=b:8|c", true),
    ];
    let mut found = 0;
    for (i, (line, hit)) in steps.into_iter().enumerate() {
        pipeline.process_packet(line.as_bytes(), &mut sink);
        found += usize::from(hit);
        assert_eq!(sink.found, found, "step {i}: {line}");
        assert_eq!(sink.fresh + sink.found, i + 1, "step {i}: {line}");
    }
    assert_eq!(sink.plain, 0);

    // Packed values (DogStatsD) of a tagged line are recorded without a hint.
    let stats = PrometheusSink::new(PrometheusOptions::default())
        .stats()
        .clone();
    let mapper = mapper_for(yaml);
    let mut pipeline = Pipeline::new(mapper, Parser::dogstatsd(), stats);
    pipeline.process_packet(b"shop.eu.orders:1:2|c|#env:prod", &mut sink);
    pipeline.process_packet(b"shop.eu.orders:1:2|c|#env:prod", &mut sink);
    assert_eq!(sink.plain, 4);
}

#[test]
fn a_packet_whose_only_error_is_a_dropped_series_still_counts_it() {
    // The pipeline adds its per-packet counts to the shared ones at the end of each packet
    // and skips the error counts when none was set: a drop must set them.
    let sink = PrometheusSink::new(PrometheusOptions {
        max_series: Some(1),
        ..PrometheusOptions::default()
    });
    let mut pipeline = Pipeline::new(
        mapper_for("mappings: []\n"),
        Parser::new(),
        sink.stats().clone(),
    );
    for packet in ["a:1|c", "b:1|c", "c:1|g\nd:1|g", "a:2|c"] {
        pipeline.process_packet(packet.as_bytes(), &mut sink.recorder());
    }
    let stats = sink.stats();
    assert_eq!(stats.series_dropped.get("cardinality_limit"), 3);
    assert_eq!(stats.events.get("counter"), 2);
    assert_eq!(stats.lines.get(), 5);
}

/// Gives hints in `record_hinted` but never follows one (`record_by_hint` is the trait's
/// default, `None`), keeping the labels of every event: what a sink that lost a series
/// (expired, or another store) sees.
struct NeverFollows {
    owner: u64,
    events: Vec<(String, Vec<(String, String)>)>,
}

impl statsd_exporter_core::Sink for NeverFollows {
    fn record(
        &mut self,
        event: &statsd_exporter_core::Event<'_>,
    ) -> Result<(), statsd_exporter_core::Rejection> {
        self.events.push(series_key(event));
        Ok(())
    }

    fn record_hinted(
        &mut self,
        event: &statsd_exporter_core::Event<'_>,
        hint: &mut statsd_exporter_core::SeriesHint,
    ) -> Result<(), statsd_exporter_core::Rejection> {
        hint.set(self.owner, self.events.len() as u128);
        self.record(event)
    }
}

#[test]
fn a_repeated_tagged_line_whose_hint_is_not_followed_gets_its_labels_again() {
    let yaml = r#"
mappings:
- match: "shop.*.orders"
  name: "orders"
  labels:
    shop: "$1"
"#;
    let stats = PrometheusSink::new(PrometheusOptions::default())
        .stats()
        .clone();
    let mut pipeline = Pipeline::new(mapper_for(yaml), Parser::new(), stats);
    let mut sink = NeverFollows {
        owner: statsd_exporter_core::SeriesHint::new_owner(),
        events: Vec::new(),
    };
    for value in ["1", "2", "3"] {
        let line = format!("shop.eu.orders:{value}|c|#env:prod,zone:a");
        pipeline.process_packet(line.as_bytes(), &mut sink);
    }
    let expected = (
        "orders".to_owned(),
        vec![
            ("env".to_owned(), "prod".to_owned()),
            ("shop".to_owned(), "eu".to_owned()),
            ("zone".to_owned(), "a".to_owned()),
        ],
    );
    assert_eq!(
        sink.events,
        vec![expected.clone(), expected.clone(), expected]
    );
}

#[test]
fn tag_errors_of_a_repeated_tagged_line_count_every_time() {
    // Strict DogStatsD does not check UTF-8 while parsing: the pipeline finds the bad
    // tag value, drops that tag and counts it, however often the line comes.
    let sink = PrometheusSink::new(PrometheusOptions::default());
    let stats = sink.stats().clone();
    let mut pipeline = Pipeline::new(
        mapper_for("mappings: []\n"),
        Parser::dogstatsd(),
        stats.clone(),
    );
    for value in [b'1', b'2', b'3'] {
        let mut line = b"jobs:".to_vec();
        line.push(value);
        line.extend_from_slice(b"|c|#queue:\xff,env:prod");
        pipeline.process_packet(&line, &mut sink.recorder());
    }
    // A negative counter is refused, and its tags are still checked.
    pipeline.process_packet(b"jobs:-1|c|#queue:\xff,env:prod", &mut sink.recorder());
    assert_eq!(stats.tag_errors.get(), 4);
    let text = expose(&sink, Format::Text);
    assert!(text.contains("jobs{env=\"prod\"} 6\n"), "{text}");
}

/// Forwards to a Prometheus sink without ever using a hint (the trait's default
/// `record_hinted`): the reference the hinted pipeline is compared with.
struct WithoutHints<'a>(&'a PrometheusSink);

impl statsd_exporter_core::Sink for WithoutHints<'_> {
    fn record(
        &mut self,
        event: &statsd_exporter_core::Event<'_>,
    ) -> Result<(), statsd_exporter_core::Rejection> {
        let mut sink = self.0;
        statsd_exporter_core::Sink::record(&mut sink, event)
    }
}

/// One line from small alphabets, so that names, tag sets and values repeat, in other
/// orders and styles, with rates and with type changes (conflicts).
fn hint_line() -> impl proptest::strategy::Strategy<Value = String> {
    use proptest::prelude::*;
    let name = prop::sample::select(vec![
        "shop.eu.orders",
        "shop.us.orders",
        "app.hits",
        "app.hits,zone=a",
        "app.hits,zone=b",
        "app.latency",
    ]);
    let value = prop::sample::select(vec!["1", "2.5", "0", "+3", "-1", "7"]);
    let kind = prop::sample::select(vec!["c", "c", "g", "ms", "h"]);
    let rate = prop::sample::select(vec!["", "", "|@0.5"]);
    let tags = prop::sample::select(vec![
        "",
        "",
        "|#env:prod",
        "|#env:prod,zone:a",
        "|#zone:a,env:prod",
        "|#zone:b,env:prod",
        "|#env:dev,env:prod",
        "|#shop:x",
    ]);
    (name, value, kind, rate, tags).prop_map(|(n, v, k, r, t)| format!("{n}:{v}|{k}{r}{t}"))
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Hints change how a series is found, never which: the same packets through a
    /// pipeline into a sink that takes hints and into one that ignores them expose the
    /// same metrics, counts included. Packets are sent three times over, so names repeat
    /// with other tags, in other orders and with other values.
    #[test]
    fn hints_never_change_what_is_recorded(
        packets in proptest::collection::vec(proptest::collection::vec(hint_line(), 1..6), 1..40)
    ) {
        let yaml = r#"
mappings:
- match: "shop.*.orders"
  name: "orders"
  labels:
    shop: "$1"
- match: "app.*"
  name: "app_$1"
  honor_labels: true
  labels:
    zone: "default"
"#;

        let hinted = PrometheusSink::new(PrometheusOptions::default());
        let plain = PrometheusSink::new(PrometheusOptions::default());
        let mut with = Pipeline::new(mapper_for(yaml), Parser::new(), hinted.stats().clone());
        let mut without = Pipeline::new(mapper_for(yaml), Parser::new(), plain.stats().clone());
        for _ in 0..3 {
            for packet in &packets {
                let packet = packet.join("\n");
                with.process_packet(packet.as_bytes(), &mut hinted.recorder());
                without.process_packet(packet.as_bytes(), &mut WithoutHints(&plain));
            }
        }
        proptest::prop_assert_eq!(expose(&hinted, Format::Text), expose(&plain, Format::Text));
    }
}
