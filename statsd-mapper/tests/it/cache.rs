//! The lookup cache: same answers as without it, bounded, safe for concurrent readers.

use std::sync::Arc;

use statsd_mapper::*;

const RULES: &str =
    "mappings:\n- match: aa.bb.*.*\n  name: aa_bb_${1}_total\n  labels:\n    second: \"$2\"\n";

/// statsd_exporter issue 273: a cached result must not leak captures between names
/// that share a rule.
#[test]
fn cached_results_keep_their_own_captures() {
    let names = [
        "aa.bb.aa.myapp",
        "aa.bb.bb.myapp",
        "aa.bb.cc.myapp",
        "aa.bb.dd.myapp",
    ];
    for capacity in [0, 1, 4, 1000] {
        let mapper = Mapper::new(MapperConfig::from_yaml_str(RULES, None).unwrap(), capacity);
        let mut captures = Captures::new();
        for _round in 0..10 {
            for name in names {
                let mapping = mapper.map(name, MetricKind::Counter, &mut captures);
                let expected = format!("aa_bb_{}_total", &name[6..8]);
                assert_eq!(mapping.name().to_string(), expected, "capacity {capacity}");
                let labels: Vec<String> = mapping.labels().map(|(_, v)| v.to_string()).collect();
                assert_eq!(labels, ["myapp"]);
            }
        }
    }
}

#[test]
fn cache_is_bounded_and_caches_misses() {
    let mapper = Mapper::new(MapperConfig::from_yaml_str(RULES, None).unwrap(), 64);
    let mut captures = Captures::new();
    for i in 0..10_000 {
        let name = format!("unmapped.{i}");
        assert_eq!(
            mapper.map(&name, MetricKind::Gauge, &mut captures).action(),
            Action::Unmapped
        );
    }
    let len = mapper.cached_len();
    assert!(len > 0 && len <= 64, "cache holds {len} entries");
    // The class is part of the key.
    let mapper = Mapper::new(
        MapperConfig::from_yaml_str(
            "mappings:\n- match: x.*\n  name: x\n  match_metric_type: gauge\n",
            None,
        )
        .unwrap(),
        16,
    );
    assert_eq!(
        mapper.map("x.y", MetricKind::Gauge, &mut captures).action(),
        Action::Map
    );
    assert_eq!(
        mapper
            .map("x.y", MetricKind::Counter, &mut captures)
            .action(),
        Action::Unmapped
    );
    assert_eq!(
        mapper.map("x.y", MetricKind::Gauge, &mut captures).action(),
        Action::Map
    );
    assert_eq!(mapper.cached_len(), 2);
    assert_eq!(Mapper::new(MapperConfig::empty(), 0).cached_len(), 0);
}

#[test]
fn concurrent_readers_agree_with_the_uncached_answer() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Mapper>();
    assert_send_sync::<MapperConfig>();
    assert_send_sync::<Error>();

    let yaml = format!(
        "{}\n",
        include_str!("../../../examples/mastodon/statsd-mapping.yml")
    );
    let mapper = Arc::new(Mapper::new(
        MapperConfig::from_yaml_str(&yaml, None).unwrap(),
        128,
    ));
    let names = crate::it::mastodon::mastodon_names();
    let expected: Vec<(Option<usize>, String)> = {
        let mut captures = Captures::new();
        names
            .iter()
            .map(|(n, k)| {
                let m = mapper.map_uncached(n, *k, &mut captures);
                (
                    m.rule().map(Rule::index),
                    m.labels().map(|(_, v)| v.to_string()).collect(),
                )
            })
            .collect()
    };
    let names = Arc::new(names);
    let expected = Arc::new(expected);
    let threads: Vec<_> = (0..4)
        .map(|t| {
            let (mapper, names, expected) = (mapper.clone(), names.clone(), expected.clone());
            std::thread::spawn(move || {
                let mut captures = Captures::new();
                for round in 0..3 {
                    for (i, (name, kind)) in names.iter().enumerate().skip((t * 7 + round) % 5) {
                        let m = mapper.map(name, *kind, &mut captures);
                        let got = (
                            m.rule().map(Rule::index),
                            m.labels().map(|(_, v)| v.to_string()).collect::<String>(),
                        );
                        assert_eq!(got, expected[i], "{name}");
                    }
                }
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
}
