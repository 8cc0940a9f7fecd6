//! Self-metrics under statsd_exporter's names and reason labels, so that existing dashboards
//! and alerts keep working.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::remote_write::RemoteWriteStats;
use crate::store::lock;

/// A monotonically increasing self-metric.
#[derive(Debug, Default)]
pub struct Counter(AtomicU64);

impl Counter {
    /// Adds one.
    #[inline]
    pub fn inc(&self) {
        self.add(1);
    }

    /// Adds `n` (nothing happens for 0, without touching the shared cache line).
    #[inline]
    pub fn add(&self, n: u64) {
        if n > 0 {
            self.0.fetch_add(n, Ordering::Relaxed);
        }
    }

    /// The current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A self-metric that can go up and down.
#[derive(Debug, Default)]
pub struct Gauge(AtomicU64);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, value: f64) {
        self.0.store(value.to_bits(), Ordering::Relaxed);
    }

    /// The current value.
    pub fn get(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
}

/// statsd_exporter's parse-error reasons (`statsd_exporter_sample_errors_total{reason}`).
pub const SAMPLE_ERROR_REASONS: [&str; 9] = [
    "malformed_line",
    "mixed_tagging_styles",
    "not_enough_parts_after_colon",
    "invalid_extended_aggregate_type",
    "malformed_component",
    "malformed_value",
    "invalid_sample_factor",
    "malformed_container_id",
    "illegal_event",
];

/// Reasons of `statsd_exporter_events_error_total{reason}`: statsd_exporter's two, then
/// this crate's two for events it refuses instead of crashing on.
pub const EVENT_ERROR_REASONS: [&str; 4] = [
    "illegal_negative_counter",
    "empty_metric_name",
    "illegal_label_name",
    "illegal_metric_name",
];

/// Reasons of `statsd_exporter_series_dropped_total{reason}` (new in this crate).
pub const SERIES_DROPPED_REASONS: [&str; 2] = ["cardinality_limit", "metric_cardinality_limit"];

/// `statsd_exporter_events_total{type}` label values.
pub const EVENT_TYPES: [&str; 3] = ["counter", "gauge", "observer"];

/// How many distinct `metric_name` values `statsd_exporter_events_conflict_total` keeps;
/// further names are counted under `metric_name="_other"` so a flood of conflicting unique
/// names cannot grow memory without bound.
pub const MAX_CONFLICT_NAMES: usize = 1000;

/// Counters indexed by a fixed reason list, with a side table for reasons outside it.
///
/// Reading the pipeline's accounting, e.g. for a log line or your own metrics:
///
/// ```
/// use statsd_exporter_core::{Pipeline, PrometheusSink, SAMPLE_ERROR_REASONS};
/// use statsd_mapper::Mapper;
/// use statsd_proto::Parser;
/// use std::sync::Arc;
///
/// let sink = PrometheusSink::default();
/// let stats = sink.stats().clone();
/// let mut pipeline = Pipeline::new(Arc::new(Mapper::empty()), Parser::new().events(false), stats.clone());
/// pipeline.process_packet(b"ok:1|c\nbroken\nusers:42|s\nt:5|ms", &mut sink.recorder());
///
/// assert_eq!(stats.sample_errors.get("malformed_line"), 1);
/// assert_eq!(stats.sample_errors.get("illegal_event"), 1); // sets are not exported
/// let errors: u64 = SAMPLE_ERROR_REASONS.iter().map(|r| stats.sample_errors.get(r)).sum();
/// assert_eq!(errors, 2);
/// assert_eq!((stats.events.get("counter"), stats.events.get("observer")), (1, 1));
/// ```
#[derive(Debug)]
pub struct ReasonCounters<const N: usize> {
    reasons: &'static [&'static str; N],
    counts: [Counter; N],
    other: Mutex<BTreeMap<&'static str, u64>>,
}

impl<const N: usize> ReasonCounters<N> {
    pub(crate) fn new(reasons: &'static [&'static str; N]) -> Self {
        ReasonCounters {
            reasons,
            counts: std::array::from_fn(|_| Counter::default()),
            other: Mutex::new(BTreeMap::new()),
        }
    }

    /// Adds `n` to the counter of `reason`.
    pub fn add(&self, reason: &'static str, n: u64) {
        if n == 0 {
            return;
        }
        match self.reasons.iter().position(|r| *r == reason) {
            Some(i) => self.counts[i].add(n),
            None => *lock(&self.other).entry(reason).or_default() += n,
        }
    }

    /// Adds `n` to the counter at `index` of the fixed reason list (ignored if out of range).
    pub fn add_at(&self, index: usize, n: u64) {
        if let Some(c) = self.counts.get(index) {
            c.add(n);
        }
    }

    /// The count for `reason`.
    pub fn get(&self, reason: &str) -> u64 {
        match self.reasons.iter().position(|r| *r == reason) {
            Some(i) => self.counts[i].get(),
            None => lock(&self.other).get(reason).copied().unwrap_or(0),
        }
    }

    fn nonzero(&self) -> Vec<(&'static str, u64)> {
        let mut out: Vec<(&'static str, u64)> = self
            .reasons
            .iter()
            .zip(&self.counts)
            .map(|(r, c)| (*r, c.get()))
            .filter(|(_, v)| *v > 0)
            .collect();
        out.extend(lock(&self.other).iter().map(|(r, v)| (*r, *v)));
        out
    }
}

/// Every self-metric of statsd_exporter (listener, parser, mapper and exporter stages) plus
/// this crate's store metrics. Exposed together with the series of the
/// [`PrometheusSink`](crate::PrometheusSink) that owns it.
///
/// Counters whose only dimension is a label (`…{reason}`, `…{type}`) appear once a label value
/// has been counted, as with client_golang vectors; unlabelled ones always appear.
///
/// ```
/// use statsd_exporter_core::Stats;
/// let stats = Stats::default();
/// stats.udp_packets.inc();
/// stats.sample_errors.add("malformed_line", 2);
/// assert_eq!(stats.sample_errors.get("malformed_line"), 2);
/// ```
#[derive(Debug)]
pub struct Stats {
    /// `statsd_exporter_lines_total`
    pub lines: Counter,
    /// `statsd_exporter_samples_total`
    pub samples: Counter,
    /// `statsd_exporter_sample_errors_total{reason}`
    pub sample_errors: ReasonCounters<9>,
    /// `statsd_exporter_tags_total`
    pub tags: Counter,
    /// `statsd_exporter_tag_errors_total`
    pub tag_errors: Counter,
    /// `statsd_exporter_events_total{type}` (indexed like [`EVENT_TYPES`])
    pub events: ReasonCounters<3>,
    /// `statsd_exporter_events_unmapped_total`
    pub events_unmapped: Counter,
    /// `statsd_exporter_events_actions_total{action}` (`map`, `drop`)
    pub events_actions: ReasonCounters<2>,
    /// `statsd_exporter_events_error_total{reason}`
    pub events_error: ReasonCounters<4>,
    conflicts: Mutex<BTreeMap<(Box<str>, &'static str), u64>>,
    /// `statsd_exporter_series_dropped_total{reason}` (new)
    pub series_dropped: ReasonCounters<2>,
    /// `statsd_exporter_series_expired_total` (new): series removed by TTL.
    pub series_expired: Counter,
    /// `statsd_exporter_udp_packets_total`
    pub udp_packets: Counter,
    /// `statsd_exporter_udp_packet_drops_total`
    pub udp_packet_drops: Counter,
    /// `statsd_exporter_tcp_connections_total`
    pub tcp_connections: Counter,
    /// `statsd_exporter_tcp_connection_errors_total`
    pub tcp_connection_errors: Counter,
    /// `statsd_exporter_tcp_too_long_lines_total`
    pub tcp_too_long_lines: Counter,
    /// `statsd_exporter_unixgram_packets_total`
    pub unixgram_packets: Counter,
    /// `statsd_exporter_event_queue_flushed_total`
    pub event_queue_flushed: Counter,
    /// `statsd_exporter_config_reloads_total{outcome}` (`success`, `failure`)
    pub config_reloads: ReasonCounters<2>,
    /// `statsd_exporter_loaded_mappings`
    pub loaded_mappings: Gauge,
    /// `statsd_metric_mapper_cache_length`
    pub mapper_cache_length: Gauge,
    /// `statsd_metric_mapper_cache_gets_total`
    pub mapper_cache_gets: Counter,
    /// `statsd_metric_mapper_cache_hits_total`
    pub mapper_cache_hits: Counter,
    build_info: Mutex<Vec<(&'static str, String)>>,
    /// `statsd_exporter_remote_write_*` (new): exposed once a remote writer runs.
    pub remote_write: RemoteWriteStats,
}

static ACTIONS: [&str; 2] = ["map", "drop"];
static OUTCOMES: [&str; 2] = ["success", "failure"];

impl Default for Stats {
    fn default() -> Self {
        Stats {
            lines: Counter::default(),
            samples: Counter::default(),
            sample_errors: ReasonCounters::new(&SAMPLE_ERROR_REASONS),
            tags: Counter::default(),
            tag_errors: Counter::default(),
            events: ReasonCounters::new(&EVENT_TYPES),
            events_unmapped: Counter::default(),
            events_actions: ReasonCounters::new(&ACTIONS),
            events_error: ReasonCounters::new(&EVENT_ERROR_REASONS),
            conflicts: Mutex::new(BTreeMap::new()),
            series_dropped: ReasonCounters::new(&SERIES_DROPPED_REASONS),
            series_expired: Counter::default(),
            udp_packets: Counter::default(),
            udp_packet_drops: Counter::default(),
            tcp_connections: Counter::default(),
            tcp_connection_errors: Counter::default(),
            tcp_too_long_lines: Counter::default(),
            unixgram_packets: Counter::default(),
            event_queue_flushed: Counter::default(),
            config_reloads: ReasonCounters::new(&OUTCOMES),
            loaded_mappings: Gauge::default(),
            mapper_cache_length: Gauge::default(),
            mapper_cache_gets: Counter::default(),
            mapper_cache_hits: Counter::default(),
            build_info: Mutex::new(Vec::new()),
            remote_write: RemoteWriteStats::default(),
        }
    }
}

/// One self-metric family, ready to encode.
pub(crate) struct StatFamily {
    pub(crate) name: &'static str,
    pub(crate) help: &'static str,
    pub(crate) counter: bool,
    /// (label pairs, value)
    pub(crate) samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

/// Names of every self-metric and whether it is a counter.
const FAMILIES: [(&str, bool, &str); 32] = [
    (
        "statsd_exporter_config_reloads_total",
        true,
        "The number of configuration reloads.",
    ),
    (
        "statsd_exporter_event_queue_flushed_total",
        true,
        "Number of times events queue was flushed to exporter.",
    ),
    (
        "statsd_exporter_events_actions_total",
        true,
        "The total number of StatsD events by action.",
    ),
    (
        "statsd_exporter_events_conflict_total",
        true,
        "The total number of StatsD events with conflicting names.",
    ),
    (
        "statsd_exporter_events_error_total",
        true,
        "The total number of StatsD events discarded due to errors.",
    ),
    (
        "statsd_exporter_events_total",
        true,
        "The total number of StatsD events seen.",
    ),
    (
        "statsd_exporter_events_unmapped_total",
        true,
        "The total number of StatsD events no mapping was found for.",
    ),
    (
        "statsd_exporter_lines_total",
        true,
        "The total number of StatsD lines received.",
    ),
    (
        "statsd_exporter_loaded_mappings",
        false,
        "The current number of configured metric mappings.",
    ),
    (
        "statsd_exporter_metrics_total",
        false,
        "The total number of metrics.",
    ),
    (
        "statsd_exporter_sample_errors_total",
        true,
        "The total number of errors parsing StatsD samples.",
    ),
    (
        "statsd_exporter_samples_total",
        true,
        "The total number of StatsD samples received.",
    ),
    (
        "statsd_exporter_series_dropped_total",
        true,
        "The total number of new series refused by a cardinality limit.",
    ),
    (
        "statsd_exporter_series_expired_total",
        true,
        "The total number of series removed because their TTL passed.",
    ),
    (
        "statsd_exporter_tag_errors_total",
        true,
        "The number of errors parsing DogStatsD tags.",
    ),
    (
        "statsd_exporter_tags_total",
        true,
        "The total number of DogStatsD tags processed.",
    ),
    (
        "statsd_exporter_tcp_connection_errors_total",
        true,
        "The number of errors encountered reading from TCP.",
    ),
    (
        "statsd_exporter_tcp_connections_total",
        true,
        "The total number of TCP connections handled.",
    ),
    (
        "statsd_exporter_tcp_too_long_lines_total",
        true,
        "The number of lines discarded due to being too long.",
    ),
    (
        "statsd_exporter_udp_packet_drops_total",
        true,
        "The total number of dropped StatsD packets which received over UDP.",
    ),
    (
        "statsd_exporter_udp_packets_total",
        true,
        "The total number of StatsD packets received over UDP.",
    ),
    (
        "statsd_exporter_unixgram_packets_total",
        true,
        "The total number of StatsD packets received over Unixgram.",
    ),
    (
        "statsd_metric_mapper_cache_gets_total",
        true,
        "The count of total metric cache gets.",
    ),
    (
        "statsd_metric_mapper_cache_hits_total",
        true,
        "The count of total metric cache hits.",
    ),
    (
        "statsd_metric_mapper_cache_length",
        false,
        "The count of unique metrics currently cached.",
    ),
    (
        "statsd_exporter_remote_write_samples_sent_total",
        true,
        "Samples in remote-write requests the receiver accepted.",
    ),
    (
        "statsd_exporter_remote_write_samples_dropped_total",
        true,
        "Samples given up by remote write, by reason (queue_full, non_retryable, retries_exhausted).",
    ),
    (
        "statsd_exporter_remote_write_requests_total",
        true,
        "Remote-write requests the receiver accepted.",
    ),
    (
        "statsd_exporter_remote_write_requests_failed_total",
        true,
        "Remote-write request attempts that failed (every retry counts).",
    ),
    (
        "statsd_exporter_remote_write_sent_bytes_total",
        true,
        "Compressed bytes of remote-write requests the receiver accepted.",
    ),
    (
        "statsd_exporter_remote_write_queue_batches",
        false,
        "Remote-write batches waiting to be sent.",
    ),
    (
        "statsd_exporter_build_info",
        false,
        "A metric with a constant '1' value labeled by version, revision, branch, goversion from which statsd_exporter was built, and the goos and goarch for the build.",
    ),
];

impl Stats {
    /// Counts an event refused for a type or name conflict, under its metric name and the
    /// conflict type (`counter`, `gauge`, `summary`, `histogram`).
    pub fn conflict(&self, metric_name: &str, kind: &'static str) {
        let mut map = lock(&self.conflicts);
        if let Some(count) = map.get_mut(&(Box::<str>::from(metric_name), kind)) {
            *count += 1;
            return;
        }
        let name: Box<str> = if map.len() < MAX_CONFLICT_NAMES {
            metric_name.into()
        } else {
            "_other".into()
        };
        *map.entry((name, kind)).or_default() += 1;
    }

    /// Sets the labels of `statsd_exporter_build_info` (a gauge with value 1, exposed once
    /// this is called), e.g. `[("version", "0.1.0"), ("revision", "abc123")]`.
    ///
    /// ```
    /// use statsd_exporter_core::{Format, PrometheusSink};
    /// let sink = PrometheusSink::default();
    /// sink.stats().set_build_info(&[("version", "0.1.0"), ("goversion", "rustc 1.95")]);
    /// let mut out = Vec::new();
    /// sink.expose_metrics(&mut out, Format::Text).unwrap();
    /// let text = String::from_utf8(out).unwrap();
    /// assert!(text.contains("statsd_exporter_build_info{goversion=\"rustc 1.95\",version=\"0.1.0\"} 1\n"));
    /// ```
    pub fn set_build_info(&self, labels: &[(&'static str, &str)]) {
        let mut sorted: Vec<(&'static str, String)> =
            labels.iter().map(|(k, v)| (*k, (*v).to_owned())).collect();
        sorted.sort_by_key(|(k, _)| *k);
        *lock(&self.build_info) = sorted;
    }

    /// The conflict count for a metric name and type.
    pub fn conflicts(&self, metric_name: &str, kind: &str) -> u64 {
        lock(&self.conflicts)
            .iter()
            .find(|((n, k), _)| &**n == metric_name && *k == kind)
            .map_or(0, |(_, v)| *v)
    }

    /// Samples of one remote-write family: none until a writer runs, then every reason.
    fn remote_write_samples(&self, name: &str) -> Vec<(Vec<(&'static str, String)>, f64)> {
        let rw = &self.remote_write;
        if !rw.is_enabled() {
            return Vec::new();
        }
        let plain = |v: u64| vec![(Vec::new(), v as f64)];
        match name {
            "statsd_exporter_remote_write_samples_sent_total" => plain(rw.samples_sent.get()),
            "statsd_exporter_remote_write_samples_dropped_total" => {
                crate::remote_write::REMOTE_WRITE_DROP_REASONS
                    .iter()
                    .map(|r| {
                        (
                            vec![("reason", (*r).to_string())],
                            rw.samples_dropped.get(r) as f64,
                        )
                    })
                    .collect()
            }
            "statsd_exporter_remote_write_requests_total" => plain(rw.requests.get()),
            "statsd_exporter_remote_write_requests_failed_total" => plain(rw.requests_failed.get()),
            "statsd_exporter_remote_write_sent_bytes_total" => plain(rw.sent_bytes.get()),
            "statsd_exporter_remote_write_queue_batches" => {
                vec![(Vec::new(), rw.queue_batches.get())]
            }
            _ => Vec::new(),
        }
    }

    /// Names the store must refuse to user events, and whether each is a counter.
    pub(crate) fn reserved_names() -> impl Iterator<Item = (&'static str, bool)> {
        FAMILIES.iter().map(|(n, c, _)| (*n, *c))
    }

    /// The families to expose, sorted by name, skipping labelled ones with no sample.
    pub(crate) fn families(&self, vectors: [(&'static str, usize); 4]) -> Vec<StatFamily> {
        let mut out = Vec::new();
        for (name, counter, help) in FAMILIES {
            let plain = |v: f64| vec![(Vec::new(), v)];
            let by = |label: &'static str, pairs: Vec<(&'static str, u64)>| {
                pairs
                    .into_iter()
                    .map(|(value, n)| (vec![(label, value.to_string())], n as f64))
                    .collect::<Vec<_>>()
            };
            let samples = match name {
                "statsd_exporter_config_reloads_total" => {
                    by("outcome", self.config_reloads.nonzero())
                }
                "statsd_exporter_event_queue_flushed_total" => {
                    plain(self.event_queue_flushed.get() as f64)
                }
                "statsd_exporter_events_actions_total" => {
                    by("action", self.events_actions.nonzero())
                }
                "statsd_exporter_events_conflict_total" => lock(&self.conflicts)
                    .iter()
                    .map(|((n, t), v)| {
                        (
                            vec![("metric_name", n.to_string()), ("type", t.to_string())],
                            *v as f64,
                        )
                    })
                    .collect(),
                "statsd_exporter_events_error_total" => by("reason", self.events_error.nonzero()),
                "statsd_exporter_events_total" => by("type", self.events.nonzero()),
                "statsd_exporter_events_unmapped_total" => plain(self.events_unmapped.get() as f64),
                "statsd_exporter_lines_total" => plain(self.lines.get() as f64),
                "statsd_exporter_loaded_mappings" => plain(self.loaded_mappings.get()),
                "statsd_exporter_metrics_total" => vectors
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(t, n)| (vec![("type", t.to_string())], *n as f64))
                    .collect(),
                "statsd_exporter_sample_errors_total" => by("reason", self.sample_errors.nonzero()),
                "statsd_exporter_samples_total" => plain(self.samples.get() as f64),
                "statsd_exporter_series_dropped_total" => {
                    by("reason", self.series_dropped.nonzero())
                }
                "statsd_exporter_series_expired_total" => plain(self.series_expired.get() as f64),
                "statsd_exporter_tag_errors_total" => plain(self.tag_errors.get() as f64),
                "statsd_exporter_tags_total" => plain(self.tags.get() as f64),
                "statsd_exporter_tcp_connection_errors_total" => {
                    plain(self.tcp_connection_errors.get() as f64)
                }
                "statsd_exporter_tcp_connections_total" => plain(self.tcp_connections.get() as f64),
                "statsd_exporter_tcp_too_long_lines_total" => {
                    plain(self.tcp_too_long_lines.get() as f64)
                }
                "statsd_exporter_udp_packet_drops_total" => {
                    plain(self.udp_packet_drops.get() as f64)
                }
                "statsd_exporter_udp_packets_total" => plain(self.udp_packets.get() as f64),
                "statsd_exporter_unixgram_packets_total" => {
                    plain(self.unixgram_packets.get() as f64)
                }
                "statsd_metric_mapper_cache_gets_total" => {
                    plain(self.mapper_cache_gets.get() as f64)
                }
                "statsd_metric_mapper_cache_hits_total" => {
                    plain(self.mapper_cache_hits.get() as f64)
                }
                "statsd_metric_mapper_cache_length" => plain(self.mapper_cache_length.get()),
                remote if remote.starts_with("statsd_exporter_remote_write_") => {
                    self.remote_write_samples(remote)
                }
                "statsd_exporter_build_info" => {
                    let labels = lock(&self.build_info).clone();
                    if labels.is_empty() {
                        Vec::new()
                    } else {
                        vec![(labels, 1.0)]
                    }
                }
                _ => Vec::new(),
            };
            if !samples.is_empty() {
                out.push(StatFamily {
                    name,
                    help,
                    counter,
                    samples,
                });
            }
        }
        out.sort_by_key(|f| f.name);
        out
    }
}
