//! Mastodon-shaped StatsD lines, as nsa + statsd-ruby put them on the wire for Mastodon 4.0–4.2
//! (namespace `Mastodon.production`, one metric per datagram, no tags, no sample rates).
//!
//! The mix imitates a busy instance: web requests (four lines each, after their SQL and cache
//! timings) and Sidekiq jobs (processing time, success or failure, eight `Sidekiq::Stats`
//! gauges, then the queue's `enqueued` and `latency`). A fixed seed makes runs comparable.

pub use statsd_benches::Rng;

const NS: &str = "Mastodon.production";

/// A controller, its action, the format and the status code it answers with.
type Request = (&'static str, &'static str, &'static str, &'static str);

/// Requests with weights: the heavy endpoints first.
const REQUESTS: &[(Request, u32)] = &[
    (
        ("ActivityPub.InboxesController", "create", "json", "202"),
        40,
    ),
    (
        ("ActivityPub.InboxesController", "create", "html", "202"),
        6,
    ),
    (
        ("ActivityPub.InboxesController", "create", "json", "401"),
        3,
    ),
    (
        ("Api.V1.Timelines.HomeController", "show", "json", "200"),
        12,
    ),
    (
        ("Api.V1.Timelines.HomeController", "show", "json", "206"),
        1,
    ),
    (
        ("Api.V1.NotificationsController", "index", "json", "200"),
        8,
    ),
    (("WellKnown.WebfingerController", "show", "json", "200"), 6),
    (("WellKnown.WebfingerController", "show", "json", "404"), 2),
    (("MediaProxyController", "show", "all", "302"), 5),
    (("StatusesController", "show", "html", "200"), 3),
    (("StatusesController", "show", "json", "410"), 1),
    (("AccountsController", "show", "html", "200"), 2),
    (("Api.V1.StatusesController", "create", "json", "422"), 1),
    (
        (
            "Api.V1.Statuses.FavouritedByAccountsController",
            "index",
            "json",
            "200",
        ),
        1,
    ),
    (("HealthController", "show", "all", "200"), 2),
    (("Api.V1.AccountsController", "follow", "json", "429"), 1),
    (("HomeController", "index", "html", "500"), 1),
];

const TABLES: &[(&str, u32)] = &[
    ("accounts", 20),
    ("statuses", 20),
    ("follows", 6),
    ("notifications", 5),
    ("media_attachments", 4),
    ("oauth_access_tokens", 4),
    ("account_stats", 3),
    ("status_stats", 3),
    ("users", 3),
    ("pg_attribute", 1),
    ("(SELECT", 1),
];

const OPERATIONS: &[(&str, u32)] = &[("select", 20), ("insert", 3), ("update", 3), ("delete", 1)];

const CACHE: &[(&str, u32)] = &[
    ("read_hit", 20),
    ("read_miss", 5),
    ("fetch_hit", 8),
    ("generate", 3),
    ("write", 5),
    ("delete", 1),
    ("exist?", 1),
];

/// (worker, queue, failure percentage).
const JOBS: &[((&str, &str, u32), u32)] = &[
    (("ActivityPub..DeliveryWorker", "push", 5), 30),
    (("ActivityPub..ProcessingWorker", "ingress", 1), 20),
    (("FeedInsertWorker", "default", 0), 15),
    (("LinkCrawlWorker", "pull", 2), 4),
    (("Web..PushNotificationWorker", "push", 3), 3),
    (
        (
            "ActiveJob..QueueAdapters..SidekiqAdapter..JobWrapper",
            "mailers",
            1,
        ),
        2,
    ),
    (("Scheduler..Trends..RefreshScheduler", "scheduler", 0), 1),
];

/// A Ruby-looking float of milliseconds (long shortest-repr digits, sometimes tiny).
fn millis(rng: &mut Rng, scale: f64) -> String {
    let value = rng.unit() * scale;
    if rng.below(200) == 0 {
        "4.2e-05".to_string()
    } else {
        format!("{value:?}")
    }
}

/// Appends the lines of one web request.
fn request(rng: &mut Rng, out: &mut Vec<String>) {
    let (controller, action, format, status) = *rng.weighted(REQUESTS);
    for _ in 0..rng.below(4) {
        let table = rng.weighted(TABLES);
        let op = rng.weighted(OPERATIONS);
        out.push(format!(
            "{NS}.db.tables.{table}.queries.{op}.duration:{}|ms",
            millis(rng, 5.0)
        ));
    }
    if rng.below(2) == 0 {
        out.push(format!(
            "{NS}.cache.{}.duration:{}|ms",
            rng.weighted(CACHE),
            millis(rng, 2.0)
        ));
    }
    let key = format!("{NS}.web.{controller}.{action}.{format}");
    out.push(format!("{key}.total_duration:{}|ms", millis(rng, 300.0)));
    out.push(format!(
        "{key}.db_time:{}|ms",
        if rng.below(10) == 0 {
            "0.0".to_string()
        } else {
            millis(rng, 50.0)
        }
    ));
    out.push(format!(
        "{key}.view_time:{}|ms",
        if status == "202" {
            "1".to_string()
        } else {
            millis(rng, 80.0)
        }
    ));
    out.push(format!("{key}.status.{status}:1|c"));
}

/// Appends the lines of one Sidekiq job.
fn job(rng: &mut Rng, out: &mut Vec<String>, processed: &mut u64, failed: &mut u64) {
    let (worker, queue, failure_percent) = *rng.weighted(JOBS);
    for _ in 0..rng.below(3) {
        let table = rng.weighted(TABLES);
        let op = rng.weighted(OPERATIONS);
        out.push(format!(
            "{NS}.db.tables.{table}.queries.{op}.duration:{}|ms",
            millis(rng, 5.0)
        ));
    }
    *processed += 1;
    if (rng.below(100) as u32) < failure_percent {
        *failed += 1;
        out.push(format!("{NS}.sidekiq.{worker}.failure:1|c"));
    } else {
        out.push(format!(
            "{NS}.sidekiq.{worker}.processing_time:{}|ms",
            1 + rng.below(2000)
        ));
        out.push(format!("{NS}.sidekiq.{worker}.success:1|c"));
    }
    out.push(format!("{NS}.sidekiq.dead_size:{}|g", 10 + rng.below(5)));
    out.push(format!("{NS}.sidekiq.enqueued:{}|g", rng.below(500)));
    out.push(format!("{NS}.sidekiq.failed:{}|g", 12_000 + *failed));
    out.push(format!(
        "{NS}.sidekiq.processed:{}|g",
        3_000_000 + *processed
    ));
    out.push(format!("{NS}.sidekiq.processes_size:{}|g", 2));
    out.push(format!("{NS}.sidekiq.retry_size:{}|g", rng.below(40)));
    out.push(format!("{NS}.sidekiq.scheduled_size:{}|g", rng.below(300)));
    out.push(format!("{NS}.sidekiq.workers_size:{}|g", rng.below(25)));
    out.push(format!(
        "{NS}.sidekiq.queues.{queue}.enqueued:{}|g",
        rng.below(100)
    ));
    let latency = if rng.below(3) == 0 {
        "0".to_string()
    } else {
        format!("{:?}", rng.unit() * 5.0)
    };
    out.push(format!("{NS}.sidekiq.queues.{queue}.latency:{latency}|g"));
}

/// At least `count` lines of interleaved requests and jobs (whole requests and jobs only).
pub fn lines(seed: u64, count: usize) -> Vec<String> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(count + 32);
    let (mut processed, mut failed) = (0, 0);
    while out.len() < count {
        if rng.below(3) == 0 {
            job(&mut rng, &mut out, &mut processed, &mut failed);
        } else {
            request(&mut rng, &mut out);
        }
    }
    out
}

/// `count` lines, each its own series under the Mastodon mapping: the status counter of a
/// controller `Bench<i>Controller`, or with `timers` its request duration (a summary).
pub fn distinct_series(count: usize, timers: bool) -> Vec<String> {
    (0..count)
        .map(|i| {
            if timers {
                format!(
                    "{NS}.web.Bench{i}Controller.index.json.total_duration:{}|ms",
                    1 + i % 300
                )
            } else {
                format!("{NS}.web.Bench{i}Controller.index.json.status.200:1|c")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distinct_series_lines_are_distinct_and_well_formed() {
        for timers in [false, true] {
            let lines = distinct_series(1000, timers);
            let names: std::collections::HashSet<&str> =
                lines.iter().map(|l| l.split(':').next().unwrap()).collect();
            assert_eq!(names.len(), 1000);
            let kind = if timers { "|ms" } else { "|c" };
            assert!(
                lines
                    .iter()
                    .all(|l| l.starts_with("Mastodon.production.web.Bench") && l.ends_with(kind))
            );
        }
    }

    #[test]
    fn every_pattern_appears_and_lines_are_well_formed() {
        let lines = lines(1, 20_000);
        assert!(lines.len() >= 20_000);
        for needle in [
            ".web.ActivityPub.InboxesController.create.json.status.202:1|c",
            ".total_duration:",
            ".db_time:0.0|ms",
            ".view_time:1|ms",
            ".db.tables.(SELECT.queries.",
            ".cache.exist?.duration:",
            ".sidekiq.ActivityPub..DeliveryWorker.failure:1|c",
            ".sidekiq.FeedInsertWorker.processing_time:",
            ".sidekiq.retry_size:",
            ".sidekiq.scheduled_size:",
            ".sidekiq.queues.push.latency:0|g",
            "4.2e-05|ms",
        ] {
            assert!(lines.iter().any(|l| l.contains(needle)), "{needle}");
        }
        for line in &lines {
            assert!(line.starts_with("Mastodon.production."), "{line}");
            let (_, rest) = line.rsplit_once(':').unwrap();
            let (value, kind) = rest.split_once('|').unwrap();
            assert!(value.parse::<f64>().is_ok(), "{line}");
            assert!(matches!(kind, "ms" | "c" | "g"), "{line}");
        }
        assert_eq!(lines, super::lines(1, 20_000), "deterministic for a seed");
    }
}
