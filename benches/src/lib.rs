//! Shared inputs for the family's criterion benches and callgrind drivers.
//!
//! Each benchmark lives in `benches/benches/`, each instruction-count driver in
//! `benches/src/bin/`; the scripts that run them are in `benches/scripts/`.
#![forbid(unsafe_code)]

pub mod fuzz;

/// The five parser benchmark shapes: `(label, line)`.
///
/// plain counter; timer with a sample rate; DogStatsD with 5 tags; 4 packed values;
/// a full line with rate, tags, container id and timestamp.
pub const PARSE_SHAPES: [(&str, &[u8]); 5] = [
    ("plain", b"foo.bar:1|c"),
    ("timer_rate", b"api.request.duration:320|ms|@0.1"),
    (
        "tags5",
        b"checkout.latency:12.5|d|#env:prod,region:eu-west-1,service:checkout,version:1.4.2,host:web-17",
    ),
    ("packed4", b"queue.wait:1:2.5:3:40|h|#env:prod"),
    (
        "full",
        b"requests.total:100|c|@0.5|#service:web,env:prod|c:ci-3a88cafe|T1700000000",
    ),
];

/// A small deterministic PRNG (xorshift64*), so corpora are identical on every run.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced by a fixed constant).
    pub fn new(seed: u64) -> Rng {
        Rng(if seed == 0 {
            0x9E37_79B9_7F4A_7C15
        } else {
            seed
        })
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// Picks from `(item, weight)` pairs.
    pub fn weighted<'a, T>(&mut self, items: &'a [(T, u32)]) -> &'a T {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut pick = (self.next_u64() % u64::from(total)) as u32;
        for (item, weight) in items {
            if pick < *weight {
                return item;
            }
            pick -= weight;
        }
        &items[0].0
    }
}

/// Formats a float the way Ruby's `Float#to_s` does: shortest digits, always a
/// fraction (`33.0`), exponent form below 1e-4 with two exponent digits (`4.2e-05`).
pub fn ruby_float(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-4 {
        let s = format!("{v:e}");
        let (mantissa, exp) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_string()
        } else {
            format!("{mantissa}.0")
        };
        let (sign, digits) = exp.strip_prefix('-').map_or(("+", exp), |d| ("-", d));
        format!("{mantissa}e{sign}{digits:0>2}")
    } else if v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{v:.1}")
    } else {
        format!("{v}")
    }
}

const CONTROLLERS: [&str; 8] = [
    "ActivityPub.InboxesController",
    "Api.V1.Timelines.HomeController",
    "Api.V1.NotificationsController",
    "WellKnown.WebfingerController",
    "MediaProxyController",
    "StatusesController",
    "Api.V1.Statuses.FavouritedByAccountsController",
    "HealthController",
];
const ACTIONS: [&str; 5] = ["create", "show", "index", "context", "activity"];
const FORMATS: [&str; 4] = ["json", "html", "all", "xml"];
const STATUSES: [&str; 8] = ["200", "202", "200", "302", "404", "401", "410", "500"];
const TABLES: [&str; 8] = [
    "accounts",
    "statuses",
    "follows",
    "notifications",
    "media_attachments",
    "account_stats",
    "status_stats",
    "pg_attribute",
];
const OPS: [&str; 4] = ["select", "insert", "update", "delete"];
const CACHE_OPS: [&str; 6] = [
    "read_hit",
    "read_miss",
    "fetch_hit",
    "generate",
    "write",
    "exist?",
];
const WORKERS: [&str; 6] = [
    "ActivityPub..DeliveryWorker",
    "ActivityPub..ProcessingWorker",
    "FeedInsertWorker",
    "LinkCrawlWorker",
    "Web..PushNotificationWorker",
    "ActiveJob..QueueAdapters..SidekiqAdapter..JobWrapper",
];
const QUEUES: [&str; 6] = ["default", "push", "ingress", "mailers", "pull", "scheduler"];
const SIDEKIQ_GAUGES: [&str; 8] = [
    "dead_size",
    "enqueued",
    "failed",
    "processed",
    "processes_size",
    "retry_size",
    "scheduled_size",
    "workers_size",
];

/// Appends one Mastodon "event" (a web request or a Sidekiq job, with its SQL and
/// cache lines) as statsd-ruby would send it with the nsa gem, `\n`-terminated.
fn mastodon_event(rng: &mut Rng, out: &mut Vec<u8>) {
    use std::fmt::Write as _;
    const NS: &str = "Mastodon.production";
    let mut s = String::new();
    for _ in 0..rng.below(4) {
        let ms = rng.unit() * rng.unit() * 40.0;
        let _ = writeln!(
            s,
            "{NS}.db.tables.{}.queries.{}.duration:{}|ms",
            rng.pick(&TABLES),
            rng.pick(&OPS),
            ruby_float(ms)
        );
    }
    if rng.below(3) == 0 {
        let ms = if rng.below(10) == 0 {
            rng.unit() * 1e-4
        } else {
            rng.unit() * 2.0
        };
        let _ = writeln!(
            s,
            "{NS}.cache.{}.duration:{}|ms",
            rng.pick(&CACHE_OPS),
            ruby_float(ms)
        );
    }
    if rng.below(2) == 0 {
        let key = format!(
            "{NS}.web.{}.{}.{}",
            rng.pick(&CONTROLLERS),
            rng.pick(&ACTIONS),
            rng.pick(&FORMATS)
        );
        let total = rng.unit() * 300.0;
        let db = total * rng.unit();
        let _ = writeln!(s, "{key}.total_duration:{}|ms", ruby_float(total));
        let _ = writeln!(s, "{key}.db_time:{}|ms", ruby_float(db));
        if rng.below(3) == 0 {
            let _ = writeln!(s, "{key}.view_time:1|ms");
        } else {
            let _ = writeln!(s, "{key}.view_time:{}|ms", ruby_float(total - db));
        }
        let _ = writeln!(s, "{key}.status.{}:1|c", rng.pick(&STATUSES));
    } else {
        let worker = rng.pick(&WORKERS);
        if rng.below(20) == 0 {
            let _ = writeln!(s, "{NS}.sidekiq.{worker}.failure:1|c");
        } else {
            let _ = writeln!(
                s,
                "{NS}.sidekiq.{worker}.processing_time:{}|ms",
                rng.below(5000)
            );
            let _ = writeln!(s, "{NS}.sidekiq.{worker}.success:1|c");
        }
        for gauge in SIDEKIQ_GAUGES {
            let _ = writeln!(s, "{NS}.sidekiq.{gauge}:{}|g", rng.below(1_000_000));
        }
        let queue = rng.pick(&QUEUES);
        let _ = writeln!(
            s,
            "{NS}.sidekiq.queues.{queue}.enqueued:{}|g",
            rng.below(500)
        );
        if rng.below(2) == 0 {
            let _ = writeln!(s, "{NS}.sidekiq.queues.{queue}.latency:0|g");
        } else {
            let _ = writeln!(
                s,
                "{NS}.sidekiq.queues.{queue}.latency:{}|g",
                rng.unit() * 10.0
            );
        }
    }
    out.extend_from_slice(s.as_bytes());
}

/// At least `bytes` bytes of Mastodon-style StatsD lines (whole lines, each ending in
/// `\n`), the same for the same seed.
///
/// ```
/// let corpus = statsd_benches::mastodon_stream(7, 4096);
/// assert!(corpus.len() >= 4096 && corpus.ends_with(b"\n"));
/// assert_eq!(corpus, statsd_benches::mastodon_stream(7, 4096));
/// ```
pub fn mastodon_stream(seed: u64, bytes: usize) -> Vec<u8> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(bytes + 4096);
    while out.len() < bytes {
        mastodon_event(&mut rng, &mut out);
    }
    out
}

/// The workspace README's Rust examples, compiled and run as doc tests so they cannot rot.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
