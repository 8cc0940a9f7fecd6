//! Zero heap allocations per lookup: a counting global allocator around `Mapper::map`
//! (glob trie, regex set, cache hits), including expanding the name and the labels into
//! reused `String`s and escaping the name.
//!
//! Its own test binary because it installs a `#[global_allocator]`; the count is per
//! thread, so the test harness's own threads do not disturb it.

use counting_allocator::{CountingAllocator, allocations};
use statsd_mapper::{Captures, Mapper, MapperConfig, MetricKind, escape_metric_name_into};

#[global_allocator]
static GLOBAL: CountingAllocator = CountingAllocator;

const MASTODON: &str = include_str!("../../examples/mastodon/statsd-mapping.yml");

/// Names through every kind of rule: depth 1–4 controllers (globs), namespaced workers
/// (regex rules), database, cache, queues, statistics, and an unmapped name.
const NAMES: [(&str, MetricKind); 10] = [
    (
        "Mastodon.production.web.Api.V1.Timelines.HomeController.show.json.status.200",
        MetricKind::Counter,
    ),
    (
        "Mastodon.production.web.HomeController.index.html.total_duration",
        MetricKind::Observer,
    ),
    (
        "Mastodon.production.web.ActivityPub.InboxesController.create.json.db_time",
        MetricKind::Observer,
    ),
    (
        "Mastodon.production.db.tables.statuses.queries.select.duration",
        MetricKind::Observer,
    ),
    (
        "Mastodon.production.cache.read_hit.duration",
        MetricKind::Observer,
    ),
    (
        "Mastodon.production.sidekiq.FeedInsertWorker.success",
        MetricKind::Counter,
    ),
    (
        "Mastodon.production.sidekiq.ActivityPub..DeliveryWorker.processing_time",
        MetricKind::Observer,
    ),
    (
        "Mastodon.production.sidekiq.queues.push.latency",
        MetricKind::Gauge,
    ),
    ("Mastodon.production.sidekiq.retry_size", MetricKind::Gauge),
    ("some.other-app.metric", MetricKind::Counter),
];

/// What an exporter does with a lookup: map, then expand and escape name and labels.
fn consume(
    mapper: &Mapper,
    cached: bool,
    captures: &mut Captures,
    name_out: &mut String,
    value_out: &mut String,
) -> usize {
    let mut total = 0;
    for (name, kind) in NAMES {
        let mapping = if cached {
            mapper.map(name, kind, captures)
        } else {
            mapper.map_uncached(name, kind, captures)
        };
        value_out.clear();
        mapping.name().write_to(value_out);
        name_out.clear();
        escape_metric_name_into(value_out, name_out);
        total += name_out.len();
        for (key, value) in mapping.labels() {
            value_out.clear();
            value.write_to(value_out);
            total += key.len() + value_out.len();
        }
        total += mapping.help().len() + usize::from(mapping.ttl().is_some());
    }
    total
}

fn assert_no_allocations(mapper: &Mapper, cached: bool, what: &str) {
    let mut captures = Captures::new();
    let mut name_out = String::with_capacity(256);
    let mut value_out = String::with_capacity(256);
    // Warm-up: regex caches (per thread), capture buffers and, when cached, the entries.
    let expected = consume(mapper, cached, &mut captures, &mut name_out, &mut value_out);
    consume(mapper, cached, &mut captures, &mut name_out, &mut value_out);
    let before = allocations();
    for _ in 0..100 {
        assert_eq!(
            consume(mapper, cached, &mut captures, &mut name_out, &mut value_out),
            expected
        );
    }
    let allocated = allocations() - before;
    assert_eq!(
        allocated, 0,
        "{what}: {allocated} allocations in 1000 lookups"
    );
}

#[test]
fn lookups_do_not_allocate() {
    let before = allocations();
    let probe = std::hint::black_box(vec![1u8; 8]);
    assert!(
        allocations() > before,
        "the counting allocator is installed"
    );
    drop(probe);

    let uncached = Mapper::new(MapperConfig::from_yaml_str(MASTODON, None).unwrap(), 0);
    assert_no_allocations(&uncached, false, "uncached, glob and regex rules");
    let cached = Mapper::new(MapperConfig::from_yaml_str(MASTODON, None).unwrap(), 1000);
    assert_no_allocations(&cached, true, "cache hits");

    // Wildcards inside components go through globset matchers.
    let partial = "mappings:\n- match: 'http.{get,post}.*_count'\n  name: http_$1\n  labels: {route: \"$2\"}\n";
    let partial = Mapper::new(MapperConfig::from_yaml_str(partial, None).unwrap(), 0);
    let mut captures = Captures::new();
    let mut out = String::with_capacity(64);
    let mut run = |out: &mut String| {
        let mapping = partial.map("http.get.users_count", MetricKind::Counter, &mut captures);
        out.clear();
        mapping.name().write_to(out);
        assert_eq!(out, "http_get");
    };
    run(&mut out);
    let before = allocations();
    for _ in 0..100 {
        run(&mut out);
    }
    assert_eq!(allocations() - before, 0, "partial components");
}
