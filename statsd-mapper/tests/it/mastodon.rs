//! The project's Mastodon mapping (`examples/mastodon/statsd-mapping.yml`) on the names
//! Mastodon 4.0–4.2 sends.

use std::collections::BTreeMap;

use statsd_mapper::*;

pub(crate) const MAPPING: &str = include_str!("../../../examples/mastodon/statsd-mapping.yml");
const REGEX_ONLY: &str = include_str!("../data/mastodon-regex-only.yml");

/// Everything a mapping decides, as owned values.
#[derive(Debug, PartialEq)]
struct Outcome {
    action: Action,
    name: String,
    labels: BTreeMap<String, String>,
}

fn outcome(mapper: &Mapper, name: &str, kind: MetricKind) -> Outcome {
    let mut captures = Captures::new();
    let mapping = mapper.map(name, kind, &mut captures);
    Outcome {
        action: mapping.action(),
        name: mapping.name().to_string(),
        labels: mapping
            .labels()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn mapper(text: &str) -> Mapper {
    Mapper::new(
        MapperConfig::from_yaml_str(text, None).expect("mapping loads"),
        0,
    )
}

#[test]
fn example_mapping_loads_without_warnings() {
    let config = MapperConfig::from_yaml_str(MAPPING, Some("statsd-mapping.yml".as_ref())).unwrap();
    assert!(config.warnings().is_empty(), "{:?}", config.warnings());
    assert!(
        config
            .rules()
            .iter()
            .filter(|r| r.match_type() == MatchType::Glob)
            .count()
            >= 20
    );
}

#[test]
fn example_mapping_on_real_names() {
    let mapper = mapper(MAPPING);
    let web = |controller: &str, action: &str, format: &str| {
        labels(&[
            ("controller", controller),
            ("action", action),
            ("format", format),
            ("mastodon", "web"),
        ])
    };
    let mut status = web("Api.V1.Timelines.HomeController", "show", "json");
    status.insert("status".into(), "200".into());
    let cases: Vec<(&str, MetricKind, &str, BTreeMap<String, String>)> = vec![
        (
            "Mastodon.production.web.Api.V1.Timelines.HomeController.show.json.status.200",
            MetricKind::Counter,
            "mastodon_controller_status",
            status,
        ),
        (
            "Mastodon.production.web.HomeController.index.html.total_duration",
            MetricKind::Observer,
            "mastodon_controller_duration",
            web("HomeController", "index", "html"),
        ),
        (
            "Mastodon.production.web.ActivityPub.InboxesController.create.json.view_time",
            MetricKind::Observer,
            "mastodon_controller_view_time",
            web("ActivityPub.InboxesController", "create", "json"),
        ),
        (
            "Mastodon.production.web.Api.V1.StatusesController.context.json.db_time",
            MetricKind::Observer,
            "mastodon_controller_db_time",
            web("Api.V1.StatusesController", "context", "json"),
        ),
        (
            // A MIME type with a dot adds a component: the controller takes it, as with IPng.
            "Mastodon.production.web.Api.V1.Statuses.FavouritedByAccountsController.index.application/vnd.api+json.total_duration",
            MetricKind::Observer,
            "mastodon_controller_duration",
            web(
                "Api.V1.Statuses.FavouritedByAccountsController.index",
                "application/vnd",
                "api+json",
            ),
        ),
        (
            "Mastodon.production.db.tables.statuses.queries.select.duration",
            MetricKind::Observer,
            "mastodon_db_operation",
            labels(&[
                ("table", "statuses"),
                ("operation", "select"),
                ("mastodon", "db"),
            ]),
        ),
        (
            "Mastodon.production.db.tables.(SELECT.queries.select.duration",
            MetricKind::Observer,
            "mastodon_db_operation",
            labels(&[
                ("table", "(SELECT"),
                ("operation", "select"),
                ("mastodon", "db"),
            ]),
        ),
        (
            "Mastodon.production.cache.exist?.duration",
            MetricKind::Observer,
            "mastodon_cache_duration",
            labels(&[("operation", "exist?"), ("mastodon", "cache")]),
        ),
        (
            "Mastodon.production.sidekiq.ActivityPub..DeliveryWorker.failure",
            MetricKind::Counter,
            "mastodon_sidekiq_worker_failure_total",
            labels(&[
                ("worker", "ActivityPub..DeliveryWorker"),
                ("mastodon", "sidekiq"),
            ]),
        ),
        (
            "Mastodon.production.sidekiq.FeedInsertWorker.processing_time",
            MetricKind::Observer,
            "mastodon_sidekiq_worker_processing_time",
            labels(&[("worker", "FeedInsertWorker"), ("mastodon", "sidekiq")]),
        ),
        (
            "Mastodon.production.sidekiq.queues.ingress.latency",
            MetricKind::Gauge,
            "mastodon_sidekiq_queue_latency",
            labels(&[("queue", "ingress"), ("mastodon", "sidekiq")]),
        ),
        (
            "Mastodon.production.sidekiq.retry_size",
            MetricKind::Gauge,
            "mastodon_sidekiq_retry_size",
            labels(&[("mastodon", "sidekiq")]),
        ),
    ];
    for (name, kind, expected_name, expected_labels) in cases {
        let got = outcome(&mapper, name, kind);
        assert_eq!(
            got,
            Outcome {
                action: Action::Map,
                name: expected_name.into(),
                labels: expected_labels
            },
            "{name}"
        );
    }
    let other = outcome(
        &mapper,
        "Mastodon.staging.web.X.y.z.db_time",
        MetricKind::Observer,
    );
    assert_eq!(other.action, Action::Unmapped);
}

/// Realistic Mastodon names: every controller depth, formats, statuses, tables, cache
/// operations, plain and namespaced workers (with nsa's `..`), queues and statistics.
pub(crate) fn mastodon_names() -> Vec<(String, MetricKind)> {
    const NS: &str = "Mastodon.production";
    let controllers = [
        "HomeController",
        "HealthController",
        "ActivityPub.InboxesController",
        "WellKnown.WebfingerController",
        "Api.V1.StatusesController",
        "Api.V1.Timelines.HomeController",
        "Api.V1.Statuses.FavouritedByAccountsController",
    ];
    let actions = ["show", "index", "create", "context"];
    let formats = ["json", "html", "all", "xml", "image/x-icon"];
    let statuses = ["200", "202", "302", "404", "429", "500"];
    let tables = ["accounts", "statuses", "pg_attribute", "(SELECT", "public"];
    let operations = ["select", "insert", "update", "delete"];
    let cache_ops = [
        "read_hit",
        "read_miss",
        "fetch_hit",
        "generate",
        "write",
        "exist?",
        "read_multi",
    ];
    let workers = [
        "FeedInsertWorker",
        "LinkCrawlWorker",
        "ActivityPub..DeliveryWorker",
        "Web..PushNotificationWorker",
        "Scheduler..Trends..RefreshScheduler",
        "ActiveJob..QueueAdapters..SidekiqAdapter..JobWrapper",
    ];
    let queues = ["default", "push", "ingress", "mailers", "pull", "scheduler"];
    let stats = [
        "dead_size",
        "enqueued",
        "failed",
        "processed",
        "processes_size",
        "retry_size",
        "scheduled_size",
        "workers_size",
    ];
    let mut names = Vec::new();
    for c in controllers {
        for a in actions {
            for f in formats {
                for suffix in ["total_duration", "db_time", "view_time"] {
                    names.push((
                        format!("{NS}.web.{c}.{a}.{f}.{suffix}"),
                        MetricKind::Observer,
                    ));
                }
                for s in statuses {
                    names.push((
                        format!("{NS}.web.{c}.{a}.{f}.status.{s}"),
                        MetricKind::Counter,
                    ));
                }
            }
        }
    }
    for t in tables {
        for o in operations {
            names.push((
                format!("{NS}.db.tables.{t}.queries.{o}.duration"),
                MetricKind::Observer,
            ));
        }
    }
    for op in cache_ops {
        names.push((format!("{NS}.cache.{op}.duration"), MetricKind::Observer));
    }
    for w in workers {
        names.push((
            format!("{NS}.sidekiq.{w}.processing_time"),
            MetricKind::Observer,
        ));
        names.push((format!("{NS}.sidekiq.{w}.success"), MetricKind::Counter));
        names.push((format!("{NS}.sidekiq.{w}.failure"), MetricKind::Counter));
    }
    for q in queues {
        names.push((
            format!("{NS}.sidekiq.queues.{q}.enqueued"),
            MetricKind::Gauge,
        ));
        names.push((
            format!("{NS}.sidekiq.queues.{q}.latency"),
            MetricKind::Gauge,
        ));
    }
    for s in stats {
        names.push((format!("{NS}.sidekiq.{s}"), MetricKind::Gauge));
    }
    names
}

#[test]
fn glob_mapping_agrees_with_regex_formulation() {
    let globs = mapper(MAPPING);
    let regexes = mapper(REGEX_ONLY);
    let names = mastodon_names();
    assert!(names.len() > 1000);
    for (name, kind) in &names {
        let ours = outcome(&globs, name, *kind);
        assert_eq!(ours.action, Action::Map, "{name}");
        assert_eq!(ours, outcome(&regexes, name, *kind), "{name}");
    }
}
