//! Time as the store sees it: an injectable clock, so TTL and summary ageing are testable.

use std::fmt::Debug;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// A source of monotonic time for TTL expiry and summary age buckets.
///
/// The store reads it once per [`Recorder`](crate::Recorder) (one batch of events), once per
/// scrape and once per [`expire`](crate::PrometheusSink::expire) call, never per event.
///
/// ```
/// use statsd_exporter_core::{Clock, ManualClock};
/// use std::time::Duration;
///
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(clock.now() - start, Duration::from_secs(2));
/// ```
pub trait Clock: Send + Sync + Debug {
    /// The current instant; must never go backwards.
    fn now(&self) -> Instant;
}

/// The real monotonic clock ([`Instant::now`]).
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }
}

/// A clock that only moves when told to: for tests of TTL and summary ageing.
///
/// Clones share the same time, so a test can keep one and hand another to the store.
///
/// A TTL test without sleeping:
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use statsd_exporter_core::{Event, ManualClock, PrometheusOptions, PrometheusSink, Sink, Value};
///
/// let clock = ManualClock::new();
/// let sink = PrometheusSink::with_clock(PrometheusOptions::default(), Arc::new(clock.clone()));
/// let event = Event {
///     name: "sessions",
///     labels: &[],
///     value: Value::GaugeSet(3.0),
///     help: "Open sessions.",
///     ttl: Some(Duration::from_secs(30)),
/// };
/// sink.recorder().record(&event).unwrap();
///
/// clock.advance(Duration::from_secs(29));
/// assert_eq!(sink.expire(), 0);
/// clock.advance(Duration::from_secs(2));
/// assert_eq!(sink.expire(), 1); // one series removed
/// assert_eq!(sink.series_count(), 0);
/// ```
#[derive(Clone, Debug)]
pub struct ManualClock {
    base: Instant,
    offset_nanos: Arc<AtomicU64>,
}

impl ManualClock {
    /// A clock standing at an arbitrary fixed instant.
    pub fn new() -> Self {
        ManualClock {
            base: Instant::now(),
            offset_nanos: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) {
        let nanos = u64::try_from(by.as_nanos()).unwrap_or(u64::MAX);
        self.offset_nanos.fetch_add(nanos, Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.base + Duration::from_nanos(self.offset_nanos.load(Ordering::SeqCst))
    }
}

/// Milliseconds since the store's creation: the store's internal time unit.
pub(crate) fn millis_since(epoch: Instant, now: Instant) -> u64 {
    u64::try_from(now.saturating_duration_since(epoch).as_millis()).unwrap_or(u64::MAX)
}

/// A duration in the store's millisecond unit, at least 1 ms for any non-zero duration.
#[inline]
pub(crate) fn duration_millis(d: Duration) -> u64 {
    if d.is_zero() {
        0
    } else {
        // u64 arithmetic: `as_millis` is u128, which costs more than the rest of a sample.
        d.as_secs()
            .saturating_mul(1000)
            .saturating_add(u64::from(d.subsec_millis()))
            .max(1)
    }
}
