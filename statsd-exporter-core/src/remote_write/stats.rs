//! The remote-write self-metrics. Always compiled (the names are reserved in every store,
//! so enabling the feature never changes which user metrics are accepted); exposed once a
//! writer runs.

use std::sync::atomic::{AtomicBool, Ordering};

use crate::stats::{Counter, Gauge, ReasonCounters};

/// Reasons of `statsd_exporter_remote_write_samples_dropped_total{reason}`: the queue was
/// full (the oldest batch made room for the newest), the receiver refused the batch with
/// a 4xx other than 429, or every retry failed.
pub const REMOTE_WRITE_DROP_REASONS: [&str; 3] =
    ["queue_full", "non_retryable", "retries_exhausted"];

/// Counters of a remote writer, part of [`Stats`](crate::Stats) (field `remote_write`).
///
/// | metric | meaning |
/// |---|---|
/// | `statsd_exporter_remote_write_samples_sent_total` | samples in batches the receiver accepted |
/// | `statsd_exporter_remote_write_samples_dropped_total{reason}` | samples given up, by [`REMOTE_WRITE_DROP_REASONS`] |
/// | `statsd_exporter_remote_write_requests_total` | requests the receiver accepted (2xx) |
/// | `statsd_exporter_remote_write_requests_failed_total` | attempts that failed (each retry counts) |
/// | `statsd_exporter_remote_write_sent_bytes_total` | compressed request bodies accepted |
/// | `statsd_exporter_remote_write_queue_batches` (gauge) | batches waiting to be sent |
///
/// ```
/// use statsd_exporter_core::Stats;
/// let stats = Stats::default();
/// stats.remote_write.samples_dropped.add("queue_full", 500);
/// assert_eq!(stats.remote_write.samples_dropped.get("queue_full"), 500);
/// ```
#[derive(Debug)]
pub struct RemoteWriteStats {
    /// `statsd_exporter_remote_write_samples_sent_total`
    pub samples_sent: Counter,
    /// `statsd_exporter_remote_write_samples_dropped_total{reason}`
    pub samples_dropped: ReasonCounters<3>,
    /// `statsd_exporter_remote_write_requests_total`
    pub requests: Counter,
    /// `statsd_exporter_remote_write_requests_failed_total`
    pub requests_failed: Counter,
    /// `statsd_exporter_remote_write_sent_bytes_total`
    pub sent_bytes: Counter,
    /// `statsd_exporter_remote_write_queue_batches`
    pub queue_batches: Gauge,
    enabled: AtomicBool,
}

impl Default for RemoteWriteStats {
    fn default() -> Self {
        RemoteWriteStats {
            samples_sent: Counter::default(),
            samples_dropped: ReasonCounters::new(&REMOTE_WRITE_DROP_REASONS),
            requests: Counter::default(),
            requests_failed: Counter::default(),
            sent_bytes: Counter::default(),
            queue_batches: Gauge::default(),
            enabled: AtomicBool::new(false),
        }
    }
}

impl RemoteWriteStats {
    /// Makes the exposition include these metrics (a remote writer calls it when it
    /// starts; without one they would only be zeros).
    pub fn enable(&self) {
        self.enabled.store(true, Ordering::Relaxed);
    }

    /// Whether [`enable`](RemoteWriteStats::enable) was called.
    pub fn is_enabled(&self) -> bool {
        self.enabled.load(Ordering::Relaxed)
    }
}
