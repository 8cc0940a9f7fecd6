//! The fuzz targets' bodies, in one place: each `fuzz/fuzz_targets/<name>.rs` calls the
//! function of that name, and `benches/tests/fuzz_replay.rs` replays every committed seed and
//! regression input through the same function, so a campaign and the test suite check the
//! same invariants. Each function panics when an invariant breaks.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use statsd_exporter_core::{Format, ManualClock, Pipeline, PrometheusOptions, PrometheusSink};
use statsd_mapper::{Captures, Mapper, MapperConfig, MetricKind};
use statsd_proto::{Compat, Item, Parser};

/// Any bytes as a packet (first byte: parser options), through every parser configuration: no panic, every item walks and re-encodes, and a re-encoded metric without separator bytes in its text parses again.
pub fn parse_packet(data: &[u8]) {
    let Some((&flags, packet)) = data.split_first() else {
        return;
    };
    let mut parser = Parser::new()
        .dogstatsd_tags(flags & 1 != 0)
        .influxdb_tags(flags & 2 != 0)
        .librato_tags(flags & 4 != 0)
        .signalfx_tags(flags & 8 != 0)
        .events(flags & 16 != 0);
    if flags & 32 != 0 {
        parser = parser.with_compat(Compat::DogStatsd);
    }
    let mut out = Vec::new();
    for item in parser.packet(packet).flatten() {
        out.clear();
        item.encode(&mut out);
        if let Item::Metric(m) = &item {
            let _ = (m.tags().count(), m.counts(), m.sample_errors().count());
            for s in m.samples().flatten() {
                let _ = s.observation_count();
            }
            let plain = |b: &[u8]| !b.iter().any(|c| b",#[]|:=@\r".contains(c));
            let name = m.name().to_vec();
            let clean = !name.is_empty()
                && plain(&name)
                && m.tags()
                    .all(|t| plain(t.key()) && plain(t.value_or_empty()))
                && m.container_id().is_none_or(plain);
            if clean && !out.is_empty() {
                assert!(
                    parser.parse_line(&out).is_ok(),
                    "{:?}",
                    String::from_utf8_lossy(&out)
                );
            }
        }
    }
}

/// One line through `Parser::parse_line`: no panic, and it parses exactly as the same line inside a packet.
pub fn parse_line(line: &[u8]) {
    if line.contains(&b'\n') || line.is_empty() {
        return;
    }
    for parser in [Parser::new(), Parser::dogstatsd()] {
        let alone = parser.parse_line(line);
        let mut packet = parser.packet(line);
        let inside = packet.next();
        assert_eq!(alone.is_ok(), matches!(inside, Some(Ok(_))));
        if let Ok(Item::Metric(m)) = &alone {
            let _ = (
                m.tags().count(),
                m.tag_errors(),
                m.has_tags(),
                m.name().to_vec(),
            );
        }
    }
}

/// Any bytes as a DogStatsD event: no panic, and an event that parses re-encodes to a line that parses to the same event.
pub fn parse_event(data: &[u8]) {
    let mut line = b"_e{".to_vec();
    line.extend_from_slice(data);
    for parser in [Parser::new(), Parser::dogstatsd()] {
        if let Ok(event) = parser.parse_event(&line) {
            let _ = (event.tags().count(), event.text_unescaped());
            let mut out = Vec::new();
            event.encode(&mut out);
            let again = parser.parse_event(&out).expect("re-encoded event parses");
            assert_eq!((again.title(), again.text()), (event.title(), event.text()));
        }
    }
}

/// Any bytes as a DogStatsD service check: no panic, and a check that parses re-encodes to a line that parses to the same check.
pub fn parse_service_check(data: &[u8]) {
    let mut line = b"_sc|".to_vec();
    line.extend_from_slice(data);
    for parser in [Parser::new(), Parser::dogstatsd()] {
        if let Ok(check) = parser.parse_service_check(&line) {
            let _ = (check.tags().count(), check.message_unescaped());
            let mut out = Vec::new();
            check.encode(&mut out);
            let again = parser
                .parse_service_check(&out)
                .expect("re-encoded check parses");
            assert_eq!(
                (again.name(), again.status(), again.message()),
                (check.name(), check.status(), check.message())
            );
        }
    }
}

/// Any bytes as a mapping YAML file: loading never panics; a config that loads compiles into a mapper that maps a few names.
pub fn mapper_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match MapperConfig::from_yaml_str(text, None) {
        Ok(config) => {
            for warning in config.warnings() {
                let _ = warning.to_string();
            }
            let mapper = Mapper::new(config, 16);
            let mut captures = Captures::new();
            let mut out = String::new();
            for name in ["a", "a.b", "a.b.c", "", ".", "*.*", "x.y.z.w"] {
                for kind in MetricKind::ALL {
                    let mapping = mapper.map(name, kind, &mut captures);
                    out.clear();
                    mapping.name().write_to(&mut out);
                    for (_, value) in mapping.labels() {
                        value.write_to(&mut out);
                    }
                    let _ = mapper.explain(name, kind).to_string();
                }
            }
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
}

const MATCH_RULES: &str = r#"
mappings:
- match: a.*.c
  name: a_c
  labels: {mid: "$1", all: "$0"}
- match: a.b
  name: a_b
- match: "*.*.*"
  name: three_$1
  labels: {x: "${2}_$3%"}
- match: "http.{get,post}.*_count"
  name: http
  labels: {m: "$1", r: "$2"}
  match_metric_type: counter
- match: 'svc\.(?P<name>[a-z]+)\.(\d+)'
  match_type: regex
  name: svc
  labels: {n: "${name}", code: "$2", whole: "$0", d: "$$"}
- match: '(.*)'
  match_type: regex
  name: rest
  labels: {all: "$1"}
  match_metric_type: gauge
"#;

fn match_mappers() -> &'static [Mapper; 3] {
    static MAPPERS: OnceLock<[Mapper; 3]> = OnceLock::new();
    MAPPERS.get_or_init(|| {
        let mastodon = include_str!("../../examples/mastodon/statsd-mapping.yml");
        let unordered = format!("defaults:\n  glob_disable_ordering: true\n{MATCH_RULES}");
        [
            Mapper::new(MapperConfig::from_yaml_str(MATCH_RULES, None).unwrap(), 64),
            Mapper::new(MapperConfig::from_yaml_str(&unordered, None).unwrap(), 64),
            Mapper::new(MapperConfig::from_yaml_str(mastodon, None).unwrap(), 64),
        ]
    })
}

/// Any name through compiled mappers (ordered, unordered, regex): no panic, lookups agree with and without the cache, and expansion stays inside the name.
pub fn mapper_match(data: &[u8]) {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(name) = std::str::from_utf8(rest) else {
        return;
    };
    let kind = MetricKind::ALL[usize::from(selector) % 3];
    let mut captures = Captures::new();
    let mut first = String::new();
    let mut second = String::new();
    for mapper in match_mappers() {
        let cached = mapper.map(name, kind, &mut captures);
        let rule = cached.rule().map(|r| r.index());
        first.clear();
        cached.name().write_to(&mut first);
        for (_, value) in cached.labels() {
            value.write_to(&mut first);
        }
        let uncached = mapper.map_uncached(name, kind, &mut captures);
        assert_eq!(uncached.rule().map(|r| r.index()), rule);
        second.clear();
        uncached.name().write_to(&mut second);
        for (_, value) in uncached.labels() {
            value.write_to(&mut second);
        }
        assert_eq!(first, second);
        assert_eq!(mapper.explain(name, kind).winner, rule);
        let _ = statsd_mapper::escape_metric_name(&first);
    }
}

const CONFIG: &str = r#"
defaults:
  ttl: 1s
mappings:
- match: "a.*.*"
  name: "a_$1"
  labels: { second: "$2", le: "x" }
- match: "h.*"
  name: "h"
  observer_type: histogram
  histogram_options: { buckets: [1, 0.5, 10] }
- match: "s.*"
  name: "s_$1"
  observer_type: summary
  summary_options: { quantiles: [{ quantile: 0.5, error: 0.1 }], max_age: 2s, age_buckets: 2, buf_cap: 3 }
- match: "d.*"
  name: "dropped"
  action: drop
- match: "(.*)_count$"
  match_type: regex
  name: "${1}"
  honor_labels: true
  labels: { quantile: "q" }
"#;

/// What `promtool check metrics` (the Go text parser) would reject, plus the invariants a
/// scrape relies on: metric and label names in the legal alphabet, label values quoted with
/// only `\\`, `\"` and `\n` escapes, no label named twice, a value Go's `ParseFloat` reads,
/// one `# TYPE` per family, every sample inside the family its `# TYPE` opened, no series
/// exposed twice.
fn check(text: &str, format: Format) {
    let mut families = StrSet::default();
    let mut series_seen = StrSet::default();
    let mut family = "";
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let name = rest.split(' ').next().unwrap_or("");
            assert!(valid_metric_name(name), "TYPE of bad name: {line}");
            assert!(families.insert(name), "two TYPE lines for {name}");
            family = name;
        } else if line.starts_with("# ") {
            continue;
        } else {
            let (series, value) = line.rsplit_once(' ').expect("sample line has a value");
            assert!(valid_value(value), "bad value: {line}");
            let (name, labels) = match series.split_once('{') {
                Some((name, labels)) => (name, Some(labels)),
                None => (series, None),
            };
            assert!(valid_metric_name(name), "bad metric name: {line}");
            let suffix = name
                .strip_prefix(family)
                .unwrap_or_else(|| panic!("sample {name} outside its family {family}: {line}"));
            assert!(
                ["", "_bucket", "_sum", "_count", "_total", "_created"].contains(&suffix),
                "sample {name} outside its family {family}"
            );
            if let Some(labels) = labels {
                let labels = labels.strip_suffix('}').expect("label set closes");
                check_labels(labels, line);
            }
            assert!(series_seen.insert(series), "series exposed twice: {line}");
        }
    }
    if format == Format::OpenMetrics {
        assert!(text.ends_with("# EOF\n"));
    }
}

/// A set of borrowed strings hashed with FNV-1a: the check hashes every series of every
/// exposition, hundreds of short strings per input, where SipHash (the std default, resistant
/// to hash flooding, which a checker of its own output does not need) took a tenth of the
/// pipeline target's time.
type StrSet<'a> = HashSet<&'a str, BuildHasherDefault<Fnv>>;

/// The label names of one series: the first few in an array (no allocation per line), the
/// rest in a set.
#[derive(Default)]
struct LabelNames<'a> {
    few: [&'a str; 16],
    len: usize,
    many: StrSet<'a>,
}

impl<'a> LabelNames<'a> {
    /// False when `name` is already there.
    fn insert(&mut self, name: &'a str) -> bool {
        let few = self.len.min(self.few.len());
        if self.few[..few].contains(&name) || self.many.contains(name) {
            return false;
        }
        match self.few.get_mut(self.len) {
            Some(slot) => *slot = name,
            None => {
                self.many.insert(name);
            }
        }
        self.len += 1;
        true
    }
}

/// 64-bit FNV-1a.
struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = (self.0 ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3);
        }
    }
}

/// Byte classes of the Prometheus name alphabets: may start a metric name, may follow in one,
/// may start a label name, may follow in one. Names are checked by table lookups folded with `&`, one comparison
/// per name instead of several per byte: the fuzzer's comparison tracing made the per-byte
/// version a fifth of the pipeline target's time.
const METRIC_START: u8 = 1;
const NAME_REST: u8 = 2;
const LABEL_START: u8 = 4;
const LABEL_REST: u8 = 8;
const CLASSES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        let alpha = c.is_ascii_alphabetic();
        let mut class = 0;
        if alpha || c == b'_' || c == b':' {
            class |= METRIC_START;
        }
        if alpha || c.is_ascii_digit() || c == b'_' || c == b':' {
            class |= NAME_REST;
        }
        if alpha || c == b'_' {
            class |= LABEL_START;
        }
        if alpha || c.is_ascii_digit() || c == b'_' {
            class |= LABEL_REST;
        }
        table[b] = class;
        b += 1;
    }
    table
};

/// Whether every byte of `rest` is in `class`.
fn all_in(rest: &[u8], class: u8) -> bool {
    rest.iter()
        .fold(class, |acc, b| acc & CLASSES[usize::from(*b)])
        == class
}

fn valid_metric_name(name: &str) -> bool {
    match name.as_bytes().split_first() {
        Some((first, rest)) => {
            CLASSES[usize::from(*first)] & METRIC_START != 0 && all_in(rest, NAME_REST)
        }
        None => false,
    }
}

fn valid_label_name(name: &str) -> bool {
    match name.as_bytes().split_first() {
        Some((first, rest)) => {
            CLASSES[usize::from(*first)] & LABEL_START != 0 && all_in(rest, LABEL_REST)
        }
        None => false,
    }
}

fn valid_value(value: &str) -> bool {
    matches!(value, "NaN" | "+Inf" | "-Inf") || value.parse::<f64>().is_ok()
}

/// `name="value",...` with escapes only `\\`, `\"`, `\n`; no raw newline; no name twice.
fn check_labels(mut rest: &str, line: &str) {
    let mut names = LabelNames::default();
    while !rest.is_empty() {
        let (name, after) = rest.split_once("=\"").expect("label has =\"");
        assert!(valid_label_name(name), "bad label name {name:?}: {line}");
        assert_ne!(name, "__name__", "reserved label name: {line}");
        assert!(names.insert(name), "label {name} twice: {line}");
        // The closing quote is the first `"` not escaped; between escapes, the text holds no
        // raw newline. (`str::find` of one char is a memchr.)
        let mut from = 0;
        let end = loop {
            let quote = from + after[from..].find('"').expect("label value closes");
            match after[from..quote].find('\\') {
                Some(slash) => {
                    let escaped = after.as_bytes().get(from + slash + 1);
                    assert!(
                        matches!(escaped, Some(b'\\' | b'"' | b'n')),
                        "bad escape: {line}"
                    );
                    assert!(
                        !after[from..from + slash].contains('\n'),
                        "raw newline: {line}"
                    );
                    from += slash + 2;
                }
                None => {
                    assert!(!after[from..quote].contains('\n'), "raw newline: {line}");
                    break quote;
                }
            }
        };
        rest = &after[end + 1..];
        rest = rest.strip_prefix(',').unwrap_or(rest);
    }
}

fn pipeline_mapper() -> &'static Arc<Mapper> {
    static MAPPER: OnceLock<Arc<Mapper>> = OnceLock::new();
    MAPPER.get_or_init(|| {
        Arc::new(Mapper::new(
            MapperConfig::from_yaml_str(CONFIG, None).expect("valid config"),
            8,
        ))
    })
}

/// Arbitrary packets through the whole pipeline into the Prometheus sink: no panic, and both exposition formats stay valid the way `promtool check metrics` checks them.
pub fn pipeline(data: &[u8]) {
    let Some((&options, packet)) = data.split_first() else {
        return;
    };
    let clock = ManualClock::new();
    let sink = PrometheusSink::with_clock(
        PrometheusOptions {
            max_series: Some(usize::from(options & 0x3f) + 1),
            max_series_per_metric: (options & 0x40 != 0).then_some(3),
            shards: 4,
        },
        Arc::new(clock.clone()),
    );
    let parser = if options & 0x80 != 0 {
        Parser::dogstatsd()
    } else {
        Parser::new().events(false)
    };
    let mut pipeline = Pipeline::new(Arc::clone(pipeline_mapper()), parser, sink.stats().clone());
    for (i, chunk) in packet.split(|b| *b == 0).enumerate() {
        pipeline.process_packet(chunk, &mut sink.recorder());
        pipeline.process_line(chunk, &mut &sink);
        if i % 3 == 2 {
            clock.advance(Duration::from_millis(700));
            sink.expire();
        }
    }
    for format in [Format::Text, Format::OpenMetrics] {
        // Sized for the self-metrics every exposition carries: no regrowth per input.
        let mut out = Vec::with_capacity(32 * 1024);
        sink.expose_metrics(&mut out, format)
            .expect("writing to a Vec");
        let text = String::from_utf8(out).expect("exposition is UTF-8");
        check(&text, format);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_check_accepts_valid_text_and_rejects_every_violation() {
        let good = "# HELP a x\n# TYPE a counter\na{x=\"q\\\"\\\\\\n\",y=\"\",z_1=\"é\"} 1\na 2\na_total{x=\"\\\"\"} NaN\n# TYPE b:c histogram\nb:c_bucket{le=\"+Inf\"} -Inf\n";
        check(good, Format::Text);
        check(&format!("{good}# EOF\n"), Format::OpenMetrics);
        let bad = [
            "# TYPE a counter\na{x=\"1\",x=\"2\"} 1\n",
            "# TYPE a counter\na{1x=\"1\"} 1\n",
            "# TYPE a counter\na{x:y=\"1\"} 1\n",
            "# TYPE a counter\na{__name__=\"1\"} 1\n",
            "# TYPE a counter\na{x=\"\\t\"} 1\n",
            "# TYPE a counter\na{x=\"\\\"} 1\n",
            "# TYPE a counter\na{x=\"1} 1\n",
            "# TYPE a counter\na 1\na 2\n",
            "# TYPE a counter\nb 1\n",
            "# TYPE a counter\na_x 1\n",
            "# TYPE a counter\na 1x\n",
            "# TYPE 1a counter\n1a 1\n",
            "# TYPE a counter\n# TYPE a gauge\n",
        ];
        for text in bad {
            let failed = std::panic::catch_unwind(|| check(text, Format::Text)).is_err();
            assert!(failed, "accepted: {text:?}");
        }
        let no_eof =
            std::panic::catch_unwind(|| check("# TYPE a gauge\na 1\n", Format::OpenMetrics));
        assert!(no_eof.is_err());
    }
}
