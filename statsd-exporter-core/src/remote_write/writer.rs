//! The remote writer: a collector thread that snapshots the store every interval into
//! batches, and a sender thread that POSTs them with retries and exponential backoff.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::PrometheusSink;
use crate::error::{Error, ErrorKind};
use crate::names::is_valid_label_name;
use crate::remote_write::batch::{Batch, Batcher};
use crate::remote_write::http::{HttpTransport, Transport};
use crate::remote_write::queue::Queue;
use crate::store::lock;

/// How a [`RemoteWriter`] batches, queues and retries.
///
/// ```
/// use std::time::Duration;
/// use statsd_exporter_core::remote_write::RemoteWriteOptions;
///
/// let options = RemoteWriteOptions {
///     interval: Duration::from_secs(30),
///     external_labels: vec![("instance".into(), "web-1".into())],
///     ..RemoteWriteOptions::default()
/// };
/// assert_eq!(options.batch_size, 500);
/// ```
#[derive(Clone, Debug)]
pub struct RemoteWriteOptions {
    /// Time between snapshots of the store (default 15 s, Prometheus' default scrape
    /// interval). Every series is sent at every snapshot, changed or not.
    pub interval: Duration,
    /// Most series (= samples) in one request (default 500, as Prometheus 2.x's
    /// `max_samples_per_send`).
    pub batch_size: usize,
    /// Most batches waiting to be sent (default 100). Bounds memory to about
    /// `queue_capacity` compressed batches while the receiver is down or slow.
    pub queue_capacity: usize,
    /// Labels added to every series, such as `instance` or `cluster` (a series' own label
    /// of the same name wins). Names must be valid and not start with `__`.
    pub external_labels: Vec<(String, String)>,
    /// Retries of one batch after a retryable failure before it is dropped (default 10).
    pub max_retries: u32,
    /// First wait before a retry, doubled after each failure (default 30 ms).
    pub min_backoff: Duration,
    /// Longest wait between retries (default 5 s).
    pub max_backoff: Duration,
}

impl Default for RemoteWriteOptions {
    fn default() -> Self {
        RemoteWriteOptions {
            interval: Duration::from_secs(15),
            batch_size: 500,
            queue_capacity: 100,
            external_labels: Vec::new(),
            max_retries: 10,
            min_backoff: Duration::from_millis(30),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RemoteWriteOptions {
    /// Checks the options; returns the external labels sorted, without duplicates.
    fn validated(&self) -> Result<Vec<(String, String)>, Error> {
        let invalid = |what: String| Err(Error::new(ErrorKind::InvalidOption, what));
        if self.interval.is_zero() {
            return invalid("remote-write interval must be above zero".into());
        }
        if self.batch_size == 0 {
            return invalid("remote-write batch size must be above zero".into());
        }
        if self.queue_capacity == 0 {
            return invalid("remote-write queue capacity must be above zero".into());
        }
        let mut labels = self.external_labels.clone();
        for (name, _) in &labels {
            if !is_valid_label_name(name) {
                return invalid(format!(
                    "external label name {name:?} is not a valid Prometheus label name \
                     ([a-zA-Z_][a-zA-Z0-9_]*, not starting with __)"
                ));
            }
        }
        labels.sort_by(|a, b| a.0.cmp(&b.0));
        if let Some(pair) = labels.windows(2).find(|w| w[0].0 == w[1].0) {
            return invalid(format!("external label {:?} given twice", pair[0].0));
        }
        Ok(labels)
    }
}

struct Shared {
    sink: Arc<PrometheusSink>,
    queue: Queue,
    options: RemoteWriteOptions,
    batcher: Mutex<Batcher>,
    last_timestamp: AtomicI64,
    last_error: Mutex<Option<String>>,
}

/// Pushes the cumulative series of a [`PrometheusSink`] to a Prometheus remote-write 1.0
/// receiver (Prometheus with `--web.enable-remote-write-receiver`, Mimir, Cortex, Thanos
/// Receive, VictoriaMetrics), from two background threads; see the
/// [module documentation](crate::remote_write) for what is sent and the retry and drop
/// policy. Dropping the writer stops both threads (after the request in flight, bounded
/// by the transport's timeout) and discards the batches still queued.
///
/// ```no_run
/// use std::sync::Arc;
/// use std::time::Duration;
/// use statsd_exporter_core::PrometheusSink;
/// use statsd_exporter_core::remote_write::{HttpTransport, RemoteWriteOptions, RemoteWriter};
///
/// let sink = Arc::new(PrometheusSink::default());
/// let transport = HttpTransport::new("http://mimir:9009/api/v1/push", Duration::from_secs(10))?;
/// let options = RemoteWriteOptions {
///     external_labels: vec![("instance".into(), "web-1".into())],
///     ..RemoteWriteOptions::default()
/// };
/// let writer = RemoteWriter::start(Arc::clone(&sink), options, transport)?;
/// // ... record into `sink` from the ingest threads; keep `writer` alive.
/// # Ok::<(), statsd_exporter_core::Error>(())
/// ```
pub struct RemoteWriter {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl std::fmt::Debug for RemoteWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteWriter")
            .field("options", &self.shared.options)
            .field("queued_batches", &self.shared.queue.len())
            .finish()
    }
}

impl RemoteWriter {
    /// Starts the collector and sender threads. The first snapshot is taken one
    /// `interval` from now. Enables the `statsd_exporter_remote_write_*` self-metrics of
    /// `sink`.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidOption`] for a zero interval, batch size or queue capacity, or
    /// an invalid or repeated external label name; [`ErrorKind::Io`] if a thread cannot be
    /// spawned.
    pub fn start(
        sink: Arc<PrometheusSink>,
        options: RemoteWriteOptions,
        transport: impl Transport,
    ) -> Result<RemoteWriter, Error> {
        let external = options.validated()?;
        sink.stats().remote_write.enable();
        let shared = Arc::new(Shared {
            queue: Queue::new(options.queue_capacity),
            batcher: Mutex::new(Batcher::new(options.batch_size, external)),
            sink,
            options,
            last_timestamp: AtomicI64::new(i64::MIN),
            last_error: Mutex::new(None),
        });
        let mut writer = RemoteWriter {
            shared: Arc::clone(&shared),
            threads: Vec::new(),
        };
        let spawn_error = |e| Error::io("spawning a remote-write thread", e);
        let collector = Arc::clone(&shared);
        writer.threads.push(
            std::thread::Builder::new()
                .name("remote-write-collect".into())
                .spawn(move || collect_loop(&collector))
                .map_err(spawn_error)?,
        );
        let sender = Arc::clone(&shared);
        writer.threads.push(
            std::thread::Builder::new()
                .name("remote-write-send".into())
                .spawn(move || send_loop(&sender, transport))
                .map_err(spawn_error)?,
        );
        Ok(writer)
    }

    /// [`start`](RemoteWriter::start) with an [`HttpTransport`] for `url` (`http://` only)
    /// whose connect, read and write timeout is `timeout`.
    ///
    /// # Errors
    ///
    /// Those of [`HttpTransport::new`] and [`start`](RemoteWriter::start).
    pub fn start_http(
        sink: Arc<PrometheusSink>,
        url: &str,
        timeout: Duration,
        options: RemoteWriteOptions,
    ) -> Result<RemoteWriter, Error> {
        RemoteWriter::start(sink, options, HttpTransport::new(url, timeout)?)
    }

    /// Takes a snapshot now, on the calling thread, and queues its batches (the collector
    /// thread does the same every interval). Returns the number of samples queued.
    pub fn collect_now(&self) -> u64 {
        collect(&self.shared, Instant::now() + self.shared.options.interval)
    }

    /// The last error a request failed with, if any request failed yet.
    pub fn last_error(&self) -> Option<String> {
        lock(&self.shared.last_error).clone()
    }
}

impl Drop for RemoteWriter {
    fn drop(&mut self) {
        self.shared.queue.stop();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Milliseconds since the Unix epoch, never below the previous stamp + 1: a wall clock
/// stepping back must not make the receiver reject the next snapshot as out of order.
fn stamp(last: &AtomicI64) -> i64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
    let mut previous = last.load(Ordering::Relaxed);
    loop {
        let stamp = now.max(previous.saturating_add(1));
        match last.compare_exchange(previous, stamp, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return stamp,
            Err(seen) => previous = seen,
        }
    }
}

/// One snapshot into the queue; waits for room until `deadline`. Returns samples queued.
fn collect(shared: &Shared, deadline: Instant) -> u64 {
    let mut batcher = lock(&shared.batcher);
    let timestamp = stamp(&shared.last_timestamp);
    let stats = &shared.sink.stats().remote_write;
    let mut queued = 0;
    batcher.snapshot(&shared.sink, timestamp, |batch: Batch| {
        let samples = batch.samples;
        if shared.queue.push(batch, deadline, stats) {
            queued += samples;
        }
    });
    queued
}

fn collect_loop(shared: &Shared) {
    let interval = shared.options.interval;
    let mut next = Instant::now() + interval;
    while shared.queue.sleep_until(next) {
        next += interval;
        let now = Instant::now();
        if next <= now {
            // A snapshot took longer than the interval: skip the ticks it overran.
            next = now + interval;
        }
        collect(shared, next);
    }
}

fn send_loop(shared: &Shared, mut transport: impl Transport) {
    let stats = &shared.sink.stats().remote_write;
    let options = &shared.options;
    while let Some(batch) = shared.queue.pop(stats) {
        let mut retries = 0;
        let mut backoff = options.min_backoff;
        loop {
            match transport.post(&batch.body) {
                Ok(()) => {
                    stats.requests.inc();
                    stats.samples_sent.add(batch.samples);
                    stats.sent_bytes.add(batch.body.len() as u64);
                    break;
                }
                Err(error) => {
                    stats.requests_failed.inc();
                    let retryable = error.is_retryable();
                    *lock(&shared.last_error) = Some(error.to_string());
                    if !retryable {
                        stats.samples_dropped.add("non_retryable", batch.samples);
                        break;
                    }
                    if retries >= options.max_retries {
                        stats
                            .samples_dropped
                            .add("retries_exhausted", batch.samples);
                        break;
                    }
                    retries += 1;
                    if !shared.queue.sleep(backoff) {
                        return;
                    }
                    backoff = (backoff * 2).min(options.max_backoff.max(options.min_backoff));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_never_go_back() {
        let last = AtomicI64::new(i64::MAX - 10);
        assert_eq!(stamp(&last), i64::MAX - 9);
        assert_eq!(stamp(&last), i64::MAX - 8);
        let last = AtomicI64::new(i64::MIN);
        assert!(stamp(&last) > 1_600_000_000_000);
    }

    #[test]
    fn options_are_checked() {
        let bad = |options: RemoteWriteOptions| options.validated().unwrap_err().to_string();
        let base = RemoteWriteOptions::default;
        assert!(
            bad(RemoteWriteOptions {
                batch_size: 0,
                ..base()
            })
            .contains("batch size")
        );
        assert!(
            bad(RemoteWriteOptions {
                interval: Duration::ZERO,
                ..base()
            })
            .contains("interval")
        );
        assert!(
            bad(RemoteWriteOptions {
                queue_capacity: 0,
                ..base()
            })
            .contains("queue capacity")
        );
        let labels = |pairs: &[(&str, &str)]| RemoteWriteOptions {
            external_labels: pairs
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            ..base()
        };
        assert!(bad(labels(&[("__name__", "x")])).contains("\"__name__\""));
        assert!(bad(labels(&[("a-b", "x")])).contains("\"a-b\""));
        assert!(bad(labels(&[("a", "1"), ("b", "2"), ("a", "3")])).contains("twice"));
        assert_eq!(
            labels(&[("z", "1"), ("a", "2")]).validated().unwrap(),
            [("a".into(), "2".into()), ("z".into(), "1".into())]
        );
    }
}
