//! Arbitrary names into a compiled mapper (glob trie in both orderings, partial
//! components, regex rules, the cache): lookups never panic, the cached and uncached
//! answers agree, and `explain` names the same winner.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use statsd_mapper::{Captures, Mapper, MapperConfig, MetricKind};

const RULES: &str = r#"
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

fn mappers() -> &'static [Mapper; 3] {
    static MAPPERS: OnceLock<[Mapper; 3]> = OnceLock::new();
    MAPPERS.get_or_init(|| {
        let mastodon = include_str!("../../examples/mastodon/statsd-mapping.yml");
        let unordered = format!("defaults:\n  glob_disable_ordering: true\n{RULES}");
        [
            Mapper::new(MapperConfig::from_yaml_str(RULES, None).unwrap(), 64),
            Mapper::new(MapperConfig::from_yaml_str(&unordered, None).unwrap(), 64),
            Mapper::new(MapperConfig::from_yaml_str(mastodon, None).unwrap(), 64),
        ]
    })
}

fuzz_target!(|data: &[u8]| {
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
    for mapper in mappers() {
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
});
