//! Property tests: round trips through the encoder, no panics on any bytes, and a
//! packet parses to the same items as its lines one by one.

use proptest::prelude::*;
use statsd_proto::{
    Compat, Item, MetricFields, MetricType, Name, Parser, Sample, Tag, encode_metric,
};

/// A metric described by plain data, the `x` of `parse(encode(x)) == x`.
#[derive(Clone, Debug)]
struct Spec {
    name: String,
    kind: MetricType,
    values: Vec<f64>,
    relative: bool,
    rate: f64,
    timestamp: Option<u64>,
    tags: Vec<(String, String)>,
    container: Option<String>,
}

fn value() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-1_000_000i64..1_000_000).prop_map(|v| v as f64),
        (-1e6f64..1e6),
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        Just(f64::INFINITY),
        Just(0.5e-5),
    ]
}

fn rate() -> impl Strategy<Value = f64> {
    prop_oneof![Just(1.0), Just(0.5), Just(0.1), Just(2.0), (1e-6f64..1.0),]
}

fn kind() -> impl Strategy<Value = MetricType> {
    proptest::sample::select(MetricType::ALL.to_vec())
}

/// Specs that statsd_exporter mode can represent (see the encoder's limits).
fn exporter_spec() -> impl Strategy<Value = Spec> {
    (
        "[a-zA-Z_][a-zA-Z0-9_.]{0,20}",
        kind(),
        prop::collection::vec(value(), 1..5),
        any::<bool>(),
        rate(),
        prop::option::of(1u64..u64::MAX),
        prop::collection::vec(("[a-z][a-z0-9_.]{0,8}", "[a-zA-Z0-9_./-]{1,10}"), 0..5),
        prop::option::of("[a-z0-9-]{1,12}"),
    )
        .prop_map(
            |(name, kind, mut values, relative, rate, timestamp, tags, container)| {
                let relative = relative && kind == MetricType::Gauge;
                if kind == MetricType::Gauge && !relative {
                    // A negative absolute gauge is a delta on the statsd wire.
                    values.iter_mut().for_each(|v| *v = v.abs());
                }
                let packed = values.len() == 1 || kind.is_observer();
                Spec {
                    name,
                    kind,
                    values,
                    relative,
                    rate,
                    timestamp,
                    tags,
                    container: container.filter(|_| packed),
                }
            },
        )
}

/// Specs for strict DogStatsD mode: one sample, or packed observer values.
fn dogstatsd_spec() -> impl Strategy<Value = Spec> {
    (
        exporter_spec(),
        prop::collection::vec(("[a-z][a-z0-9_]{0,6}", "[a-z0-9:]{0,6}"), 0..4),
    )
        .prop_map(|(mut spec, tags)| {
            if spec.kind == MetricType::Set {
                spec.values.truncate(1);
            }
            spec.relative = false;
            spec.tags = tags;
            spec
        })
}

fn encode(spec: &Spec, compat: Compat) -> Vec<u8> {
    let samples: Vec<Sample<'_>> = spec
        .values
        .iter()
        .map(|&v| {
            Sample::new(b"", v, spec.kind)
                .with_sample_rate(spec.rate)
                .with_timestamp(spec.timestamp)
                .with_relative(spec.relative)
        })
        .collect();
    let tags = spec.tags.iter().map(|(k, v)| {
        Tag::new(
            k.as_bytes(),
            if v.is_empty() {
                None
            } else {
                Some(v.as_bytes())
            },
        )
    });
    let fields = MetricFields {
        container_id: spec.container.as_deref().map(str::as_bytes),
        compat,
        ..MetricFields::default()
    };
    let mut out = Vec::new();
    let written = encode_metric(
        &mut out,
        Name::new(spec.name.as_bytes(), b""),
        samples.iter().copied(),
        tags,
        &fields,
    );
    assert_eq!(written, spec.values.len());
    out
}

fn check(spec: &Spec, parser: Parser) -> Result<(), TestCaseError> {
    let line = encode(spec, parser.compat());
    let shown = String::from_utf8_lossy(&line).into_owned();
    let metric = parser
        .parse_metric(&line)
        .map_err(|e| TestCaseError::fail(format!("{shown}: {e}")))?;
    prop_assert!(metric.name() == spec.name.as_bytes(), "{}", shown);
    let samples: Vec<Sample<'_>> = metric.samples().filter_map(Result::ok).collect();
    prop_assert_eq!(samples.len(), spec.values.len(), "{}", shown);
    for (s, &v) in samples.iter().zip(&spec.values) {
        prop_assert_eq!(s.kind(), spec.kind, "{}", shown);
        prop_assert_eq!(s.value(), v, "{}", shown);
        prop_assert_eq!(s.is_relative(), spec.relative, "{}", shown);
        prop_assert_eq!(s.sample_rate(), spec.rate, "{}", shown);
        prop_assert_eq!(s.timestamp(), spec.timestamp, "{}", shown);
    }
    let mut want: Vec<(Vec<u8>, Vec<u8>)> = spec
        .tags
        .iter()
        .map(|(k, v)| (k.clone().into_bytes(), v.clone().into_bytes()))
        .collect();
    if let (Some(c), Compat::StatsdExporter) = (&spec.container, parser.compat()) {
        want.push((b"container_id".to_vec(), c.clone().into_bytes()));
    }
    let got: Vec<(Vec<u8>, Vec<u8>)> = metric
        .tags()
        .map(|t| (t.key().to_vec(), t.value_or_empty().to_vec()))
        .collect();
    prop_assert_eq!(got, want, "{}", shown);
    prop_assert_eq!(
        metric.container_id(),
        spec.container.as_deref().map(str::as_bytes)
    );
    prop_assert_eq!(metric.tag_errors(), 0);
    // Encoding the parsed line gives the same bytes again.
    let mut again = Vec::new();
    metric.encode(&mut again);
    prop_assert_eq!(String::from_utf8_lossy(&again), shown);
    Ok(())
}

/// Bytes that look like StatsD: the grammar's punctuation, letters, digits.
fn statsd_like() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        proptest::sample::select(b"ab09:|#@,.=[]_{}-+ceTgms\r\n\xc3\xa9\xff ".to_vec()),
        0..80,
    )
}

fn all_parsers() -> Vec<Parser> {
    let mut parsers = Vec::new();
    for bits in 0..64u8 {
        let p = Parser::new()
            .dogstatsd_tags(bits & 1 != 0)
            .influxdb_tags(bits & 2 != 0)
            .librato_tags(bits & 4 != 0)
            .signalfx_tags(bits & 8 != 0)
            .events(bits & 16 != 0);
        parsers.push(if bits & 32 != 0 {
            p.with_compat(Compat::DogStatsd)
        } else {
            p
        });
    }
    parsers
}

/// Walks everything an item offers, so that every lazy path runs.
fn walk(item: &Item<'_>) -> usize {
    let mut n = 0;
    let mut out = Vec::new();
    item.encode(&mut out);
    match item {
        Item::Metric(m) => {
            n += m.tags().count() + m.samples().count() + m.sample_errors().count();
            let c = m.counts();
            n += (c.samples + c.tag_errors + c.samples_with_tags) as usize;
            for s in m.samples().flatten() {
                n += s.observation_count().min(1) as usize;
            }
        }
        Item::Event(e) => n += e.tags().count() + e.text_unescaped().len(),
        Item::ServiceCheck(s) => n += s.tags().count(),
    }
    n + out.len()
}

/// The comparable content of a parse result, with offsets made line-relative.
fn summary(result: &Result<Item<'_>, statsd_proto::Error>, line_start: usize) -> String {
    match result {
        Err(e) => format!(
            "err {} {} {}",
            e.kind(),
            e.offset() - line_start,
            e.tag_errors()
        ),
        Ok(item) => {
            let mut s = String::from_utf8_lossy(item.line()).into_owned();
            if let Item::Metric(m) = item {
                for r in m.samples() {
                    s += &match r {
                        Ok(x) => format!(" ok {:?}", x),
                        Err(e) => format!(" err {} {}", e.kind(), e.offset() - line_start),
                    };
                }
                s += &format!(" {:?} {:?}", m.counts(), m.tags().collect::<Vec<_>>());
            }
            let mut enc = Vec::new();
            item.encode(&mut enc);
            s + &String::from_utf8_lossy(&enc)
        }
    }
}

proptest! {
    #[test]
    fn exporter_mode_round_trips(spec in exporter_spec()) {
        check(&spec, Parser::new())?;
    }

    #[test]
    fn dogstatsd_mode_round_trips(spec in dogstatsd_spec()) {
        check(&spec, Parser::dogstatsd())?;
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        for parser in all_parsers() {
            for item in parser.packet(&bytes).flatten() {
                walk(&item);
            }
            let _ = parser.parse_event(&bytes);
            let _ = parser.parse_service_check(&bytes);
        }
    }

    #[test]
    fn statsd_like_bytes_never_panic(bytes in statsd_like()) {
        for parser in all_parsers() {
            for item in parser.packet(&bytes).flatten() {
                walk(&item);
            }
            let mut ev = b"_e{3,4}:".to_vec();
            ev.extend_from_slice(&bytes);
            let _ = parser.parse_event(&ev).map(|e| walk(&Item::Event(e)));
            let mut sc = b"_sc|".to_vec();
            sc.extend_from_slice(&bytes);
            let _ = parser.parse_service_check(&sc).map(|s| walk(&Item::ServiceCheck(s)));
        }
    }

    #[test]
    fn packet_equals_its_lines(lines in prop::collection::vec(
        prop_oneof![
            statsd_like().prop_map(|l| l.into_iter().filter(|&b| b != b'\n').collect::<Vec<u8>>()),
            exporter_spec().prop_map(|s| encode(&s, Compat::StatsdExporter)),
        ],
        0..8,
    ), crlf in any::<bool>()) {
        let sep: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        let packet = lines.join(sep);
        for parser in [Parser::new(), Parser::dogstatsd()] {
            let from_packet: Vec<_> = parser.packet(&packet).collect();
            let mut expected = Vec::new();
            let mut starts = Vec::new();
            let mut at = 0;
            for raw in packet.split(|&b| b == b'\n') {
                // Each line parses as it would alone: `parse_line` removes the one `\r`.
                if !matches!(raw, [] | [b'\r']) {
                    expected.push(parser.parse_line(raw));
                    starts.push(at);
                }
                at += raw.len() + 1;
            }
            prop_assert_eq!(from_packet.len(), expected.len());
            for ((p, l), start) in from_packet.iter().zip(&expected).zip(&starts) {
                prop_assert_eq!(summary(p, *start), summary(l, 0));
                // A metric knows where its line starts in the packet.
                if let Ok(Item::Metric(m)) = p {
                    prop_assert_eq!(m.offset(), *start);
                }
            }
        }
    }

    #[test]
    fn events_round_trip(
        title in "[a-z|é ]{1,12}",
        text in "[a-z|é ]{0,12}",
        ts in prop::option::of(any::<i64>()),
        host in prop::option::of("[a-z0-9.]{1,8}"),
        tags in prop::collection::vec("[a-z]{1,4}(:[a-z0-9]{1,4})?", 0..3),
    ) {
        let mut line = format!("_e{{{},{}}}:{title}|{text}", title.len(), text.len());
        if let Some(ts) = ts { line += &format!("|d:{ts}"); }
        if let Some(h) = &host { line += &format!("|h:{h}"); }
        if !tags.is_empty() { line += &format!("|#{}", tags.join(",")); }
        for parser in [Parser::new(), Parser::dogstatsd()] {
            let e = parser.parse_event(line.as_bytes()).map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
            prop_assert_eq!(e.title(), title.as_bytes());
            prop_assert_eq!(e.text(), text.as_bytes());
            prop_assert_eq!(e.timestamp(), ts);
            prop_assert_eq!(e.hostname(), host.as_deref().map(str::as_bytes));
            prop_assert_eq!(e.tags().count(), tags.len());
            let mut out = Vec::new();
            e.encode(&mut out);
            prop_assert_eq!(String::from_utf8_lossy(&out), line.as_str());
        }
    }

    #[test]
    fn service_checks_round_trip(
        name in "[a-z.]{1,12}",
        status in 0u8..4,
        host in prop::option::of("[a-z0-9.]{1,8}"),
        tags in prop::collection::vec("[a-z]{1,4}(:[a-z0-9]{1,4})?", 0..3),
        message in prop::option::of("[a-z |#:]{0,16}"),
    ) {
        let mut line = format!("_sc|{name}|{status}");
        if let Some(h) = &host { line += &format!("|h:{h}"); }
        if !tags.is_empty() { line += &format!("|#{}", tags.join(",")); }
        if let Some(m) = &message { line += &format!("|m:{m}"); }
        for parser in [Parser::new(), Parser::dogstatsd()] {
            let sc = parser.parse_service_check(line.as_bytes()).map_err(|e| TestCaseError::fail(format!("{line}: {e}")))?;
            prop_assert_eq!(sc.name(), name.as_bytes());
            prop_assert_eq!(sc.status().as_str(), status.to_string());
            prop_assert_eq!(sc.message(), message.as_deref().map(str::as_bytes));
            prop_assert_eq!(sc.tags().count(), tags.len());
            let mut out = Vec::new();
            sc.encode(&mut out);
            prop_assert_eq!(String::from_utf8_lossy(&out), line.as_str());
        }
    }
}
