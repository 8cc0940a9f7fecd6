//! The Prometheus series store: sharded, lock-per-shard, allocation-free for known series.

pub(crate) mod family;
pub(crate) mod hash;
pub(crate) mod index;
pub(crate) mod shard;

use parking_lot::Mutex;
use std::hash::{BuildHasher, RandomState};
use std::sync::{Arc, MutexGuard};
use std::time::Instant;

use crate::Event;
use crate::clock::{Clock, SystemClock, duration_millis, millis_since};
use crate::names::{is_valid_label_name, is_valid_metric_name};
use crate::sink::{HintedEvent, Label, Observer, Rejection, SeriesHint, Sink, Value};
use crate::stats::Stats;
use family::{Limits, Registry};
use hash::SeriesHasher;
use shard::{Lookup, Place, Placed, Shard};

/// Settings of a [`PrometheusSink`].
///
/// ```
/// use statsd_exporter_core::PrometheusOptions;
/// let options = PrometheusOptions {
///     max_series: Some(100_000),
///     max_series_per_metric: Some(10_000),
///     ..PrometheusOptions::default()
/// };
/// assert_eq!(options.shards, 64);
/// ```
#[derive(Clone, Debug)]
pub struct PrometheusOptions {
    /// Most series kept at once; a sample that would create one more is dropped and counted
    /// (`statsd_exporter_series_dropped_total{reason="cardinality_limit"}`). `None`: no limit
    /// (statsd_exporter's behaviour).
    pub max_series: Option<usize>,
    /// Most series per metric name (reason `metric_cardinality_limit`). `None`: no limit.
    pub max_series_per_metric: Option<usize>,
    /// Number of independently locked shards (rounded up to a power of two, at least 1).
    /// More shards mean less contention between ingest threads.
    pub shards: usize,
}

impl Default for PrometheusOptions {
    fn default() -> Self {
        PrometheusOptions {
            max_series: None,
            max_series_per_metric: None,
            shards: 64,
        }
    }
}

/// A Prometheus registry for mapped StatsD events: counters, gauges, summaries and
/// histograms with runtime names and label sets, TTL, cardinality limits and text exposition.
///
/// It is `Sync`: share it (`Arc`) between ingest threads and the scrape handler. Each thread
/// records through a [`Recorder`] (one clock reading per batch) or through `&PrometheusSink`
/// directly (one clock reading per event).
///
/// ```
/// use statsd_exporter_core::{Event, Format, Label, PrometheusSink, Sink, Value};
///
/// let sink = PrometheusSink::default();
/// let mut recorder = sink.recorder();
/// recorder.record(&Event {
///     name: "requests",
///     labels: &[Label::new("code", "200")],
///     value: Value::Counter(3.0),
///     help: "Requests served.",
///     ttl: None,
/// })?;
/// let mut out = Vec::new();
/// sink.expose_metrics(&mut out, Format::Text).unwrap();
/// let text = String::from_utf8(out).unwrap();
/// assert!(text.contains("# TYPE requests counter\nrequests{code=\"200\"} 3\n"));
/// # Ok::<(), statsd_exporter_core::Rejection>(())
/// ```
///
/// # Hinted recording
///
/// A caller that records into the same series again and again (the [`Pipeline`] does for
/// lines without tags: one hint per cached mapping) can keep a [`SeriesHint`] per series
/// and call [`Sink::record_hinted`]: the store then goes straight to the series' slot
/// instead of hashing the name and labels and comparing them with the stored key. The
/// first event, and any event whose hint is empty, stale or from another store, takes the
/// normal path, which leaves the hint naming the series it recorded into (a refused event
/// leaves the hint as it was).
///
/// The caller promises that all events passed with one hint have the same name and the
/// same label set (in any order). The store checks what is cheap to check: the hint's
/// owner (each store has its own number), the slot's generation (bumped whenever a series
/// is removed from the slot: a series that expired is never confused with one that took
/// its slot, however often the slot is reused), that the series is live, its name and its
/// number of labels. It does not compare the labels themselves: an event passed with the
/// hint that has the same name and as many labels, but other ones, lands in the hinted
/// series.
///
/// ```
/// use statsd_exporter_core::{Event, Label, PrometheusSink, SeriesHint, Sink, Value};
///
/// let sink = PrometheusSink::default();
/// let labels = [Label::new("code", "200")];
/// let mut hint = SeriesHint::new(); // one per series the caller keeps recording into
/// for _ in 0..3 {
///     let event = Event {
///         name: "requests",
///         labels: &labels,
///         value: Value::Counter(1.0),
///         help: "Requests served.",
///         ttl: None,
///     };
///     sink.recorder().record_hinted(&event, &mut hint)?;
/// }
/// assert_ne!(hint, SeriesHint::new(), "the first record filled the hint");
/// # let mut out = Vec::new();
/// # sink.expose_metrics(&mut out, statsd_exporter_core::Format::Text).unwrap();
/// # assert!(String::from_utf8(out).unwrap().contains("requests{code=\"200\"} 3\n"));
/// # Ok::<(), statsd_exporter_core::Rejection>(())
/// ```
///
/// [`Pipeline`]: crate::Pipeline
#[derive(Debug)]
pub struct PrometheusSink {
    /// parking_lot's mutex: its uncontended lock and unlock are inline atomics, where
    /// std's (with the poisoning this store would ignore anyway) cost the exporter about
    /// 45 instructions a line (`scripts/callgrind-exporter.sh`: 1,288 -> 1,240-1,246).
    shards: Box<[Mutex<Shard>]>,
    shard_shift: u32,
    registry: Mutex<Registry>,
    limits: Limits,
    hasher: SeriesHasher,
    clock: Arc<dyn Clock>,
    epoch: Instant,
    stats: Arc<Stats>,
    /// This store's [`SeriesHint`] owner number: hints written by another store are
    /// ignored.
    hint_owner: u64,
}

impl std::fmt::Debug for Limits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limits")
            .field("max_series", &self.max_series)
            .field("max_series_per_metric", &self.max_series_per_metric)
            .finish()
    }
}

impl std::fmt::Debug for SeriesHasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeriesHasher")
    }
}

impl Default for PrometheusSink {
    fn default() -> Self {
        Self::new(PrometheusOptions::default())
    }
}

impl PrometheusSink {
    /// A store on the system clock, with a fresh [`Stats`].
    pub fn new(options: PrometheusOptions) -> Self {
        Self::with_clock(options, Arc::new(SystemClock))
    }

    /// A store on the given clock (see [`ManualClock`](crate::ManualClock) for tests).
    pub fn with_clock(options: PrometheusOptions, clock: Arc<dyn Clock>) -> Self {
        let shards = options.shards.max(1).next_power_of_two();
        let bits = shards.trailing_zeros();
        // Each reserved counter name reserves its `_total` stem too.
        let mut registry = Registry::with_capacity(2 * Stats::reserved_names().count());
        for (name, counter) in Stats::reserved_names() {
            registry.reserve(name, counter);
        }
        PrometheusSink {
            shards: (0..shards).map(|_| Mutex::new(Shard::default())).collect(),
            // With one shard the shift would be 64 (overflow): `checked_shr` maps it to 0.
            shard_shift: 64 - bits,
            registry: Mutex::new(registry),
            limits: Limits {
                max_series: options.max_series,
                max_series_per_metric: options.max_series_per_metric,
            },
            hasher: SeriesHasher::new(RandomState::new().hash_one(0x5eed_u64)),
            epoch: clock.now(),
            clock,
            stats: Arc::new(Stats::default()),
            hint_owner: SeriesHint::new_owner(),
        }
    }

    /// Reserves a metric name for a family the embedding program exposes next to this store
    /// (process metrics, listener counters): events with that name are refused and counted
    /// as conflicts, so `/metrics` never holds two families of one name. A name ending in
    /// `_total` is taken as a counter and its stem is reserved too (the OpenMetrics family
    /// name). The store's own self-metric names are always reserved. Call it before
    /// recording: a name that already holds series is left as it is.
    ///
    /// ```
    /// use statsd_exporter_core::{Format, Pipeline, PrometheusSink};
    /// use statsd_mapper::Mapper;
    /// use statsd_proto::Parser;
    /// use std::sync::Arc;
    ///
    /// let sink = PrometheusSink::default();
    /// sink.reserve_name("process_cpu_seconds_total");
    /// let mut pipeline = Pipeline::new(Arc::new(Mapper::empty()), Parser::new(), sink.stats().clone());
    /// pipeline.process_packet(b"process_cpu_seconds_total:1|c\nprocess_cpu_seconds:1|g", &mut sink.recorder());
    /// assert_eq!(sink.series_count(), 0);
    /// assert_eq!(sink.stats().conflicts("process_cpu_seconds_total", "counter"), 1);
    /// ```
    pub fn reserve_name(&self, name: &str) {
        self.registry.lock().reserve(name, name.ends_with("_total"));
    }

    /// The self-metrics exposed with this store's series. Give a clone to the
    /// [`Pipeline`](crate::Pipeline) and to listeners so that their counts show up here.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// A recorder that stamps every event it records with the time of this call.
    ///
    /// Reading the clock costs about as much as recording a counter sample, so take one
    /// recorder per received packet or batch rather than per event.
    pub fn recorder(&self) -> Recorder<'_> {
        Recorder {
            sink: self,
            now: self.now_millis(),
        }
    }

    fn now_millis(&self) -> u64 {
        millis_since(self.epoch, self.clock.now())
    }

    /// The shard a series hash belongs to.
    #[inline]
    fn shard_index(&self, hash: u64) -> usize {
        // Bits 26..32 (for 64 shards) pick the shard: the shard's index takes its home
        // bucket from the low bits, which must still differ within a shard.
        hash.rotate_left(32)
            .checked_shr(self.shard_shift)
            .unwrap_or(0) as usize
    }

    /// Records one event at time `now` (ms since the store's epoch); returns where its
    /// series lives, if `F` wants to know.
    ///
    /// An existing series is found without sorting the labels (the series hash does not
    /// depend on their order, and the comparison matches them in any order); only a miss
    /// sorts and deduplicates them, then looks again and creates the series.
    #[inline]
    fn record_at<F: Found>(&self, event: &Event<'_>, now: u64) -> Result<F, Rejection> {
        if let Value::Counter(v) = event.value
            && v < 0.0
        {
            return Err(Rejection::NegativeCounter);
        }
        let ttl = event.ttl.map_or(0, duration_millis);
        let hash = self.hasher.series(event.name, event.labels.iter());
        let shard = self.shard_index(hash);
        // Bound first: the shard guard must be dropped before the slow path locks again.
        let lookup =
            self.shards[shard]
                .lock()
                .apply(hash, event.name, event.labels, &event.value, ttl, now);
        match lookup {
            Lookup::Applied(place) => Ok(F::found(SeriesAt { shard, place })),
            Lookup::Conflict => Err(Rejection::Conflict),
            Lookup::Missing => with_sorted_labels(event.labels, |labels| {
                self.record_new(event, labels, ttl, now).map(F::found)
            }),
        }
    }

    /// [`record_at`](Self::record_at) through a hint: the series the hint names, if this
    /// store wrote it and the series still lives there; otherwise a full lookup, which
    /// leaves the hint naming the series it found or created.
    #[inline]
    fn record_hinted_at(
        &self,
        event: &Event<'_>,
        hint: &mut SeriesHint,
        now: u64,
    ) -> Result<(), Rejection> {
        // `apply_hinted` inlined by hand: through it (an `Option<Result>` to unpack) this
        // path cost 11 more instructions (callgrind-record.sh counter_hinted 230 -> 241).
        if let Some(token) = hint.get(self.hint_owner) {
            if let Value::Counter(v) = event.value
                && v < 0.0
            {
                return Err(Rejection::NegativeCounter);
            }
            let at = SeriesAt::from_token(token);
            if let Some(shard) = self.shards.get(at.shard) {
                let ttl = event.ttl.map_or(0, duration_millis);
                let placed = shard.lock().apply_at(
                    at.place,
                    event.name,
                    event.labels.len(),
                    &event.value,
                    ttl,
                    now,
                );
                match placed {
                    Placed::Applied => return Ok(()),
                    Placed::Conflict => return Err(Rejection::Conflict),
                    Placed::Stale => {}
                }
            }
        }
        let at: SeriesAt = self.record_at(event, now)?;
        hint.set(self.hint_owner, at.token());
        Ok(())
    }

    /// [`Sink::record_by_hint`] at time `now`.
    #[inline]
    fn record_by_hint_at(
        &self,
        event: &HintedEvent<'_>,
        hint: &SeriesHint,
        now: u64,
    ) -> Option<Result<(), Rejection>> {
        self.apply_hinted(
            event.name,
            event.label_count,
            &event.value,
            event.ttl,
            hint,
            now,
        )
    }

    /// The series `hint` names, if this store wrote the hint and the series still lives
    /// there with this name and label count: the value applied to it. `None` otherwise
    /// (nothing recorded). Fields rather than an event: both callers' events stay where
    /// they are.
    #[inline(always)]
    fn apply_hinted(
        &self,
        name: &str,
        label_count: usize,
        value: &Value<'_>,
        ttl: Option<std::time::Duration>,
        hint: &SeriesHint,
        now: u64,
    ) -> Option<Result<(), Rejection>> {
        let token = hint.get(self.hint_owner)?;
        if let Value::Counter(v) = value
            && *v < 0.0
        {
            return Some(Err(Rejection::NegativeCounter));
        }
        let at = SeriesAt::from_token(token);
        let shard = self.shards.get(at.shard)?;
        let ttl = ttl.map_or(0, duration_millis);
        let placed = shard
            .lock()
            .apply_at(at.place, name, label_count, value, ttl, now);
        match placed {
            Placed::Applied => Some(Ok(())),
            Placed::Conflict => Some(Err(Rejection::Conflict)),
            Placed::Stale => None,
        }
    }

    /// The slow path: labels sorted and deduplicated (last wins); the series may exist
    /// after all (duplicate label names, or another thread created it meanwhile).
    #[cold]
    fn record_new(
        &self,
        event: &Event<'_>,
        labels: SortedLabels<'_, '_>,
        ttl: u64,
        now: u64,
    ) -> Result<SeriesAt, Rejection> {
        let hash = self.hasher.series(event.name, labels.iter());
        let index = self.shard_index(hash);
        let mut shard = self.shards[index].lock();
        let place = match shard.apply(hash, event.name, &labels, &event.value, ttl, now) {
            Lookup::Applied(place) => place,
            Lookup::Conflict => return Err(Rejection::Conflict),
            Lookup::Missing => {
                self.check_names(event, labels)?;
                let label_set = self.hasher.label_names(labels.iter().map(|l| l.name));
                let family = self.registry.lock().admit_series(
                    event.name,
                    event.help,
                    &event.value,
                    label_set,
                    &self.limits,
                )?;
                shard.insert(hash, family, labels, &event.value, ttl, now)
            }
        };
        Ok(SeriesAt {
            shard: index,
            place,
        })
    }

    /// Name checks for a new series (never run for an existing one).
    fn check_names(
        &self,
        event: &Event<'_>,
        labels: SortedLabels<'_, '_>,
    ) -> Result<(), Rejection> {
        if !is_valid_metric_name(event.name) {
            return Err(Rejection::IllegalMetricName);
        }
        let forbidden = match event.value {
            Value::Observe {
                observer: Observer::Summary(_),
                ..
            } => Some("quantile"),
            Value::Observe {
                observer: Observer::Histogram(_),
                ..
            } => Some("le"),
            _ => None,
        };
        for label in labels.iter() {
            if !is_valid_label_name(label.name) || Some(label.name) == forbidden {
                return Err(Rejection::IllegalLabelName);
            }
        }
        Ok(())
    }

    /// Removes every series whose TTL passed without a sample, using the store's clock.
    /// Returns how many were removed. Call it periodically (statsd_exporter: every second).
    ///
    /// The cost is proportional to the number of expired series (plus series refreshed
    /// since their last check, at most once per TTL period each), not to the store's size.
    /// A metric name whose last series expires is released: it may come back with another
    /// type.
    pub fn expire(&self) -> usize {
        let now = self.now_millis();
        let mut total = 0;
        let mut gone: Vec<Box<str>> = Vec::new();
        for shard in self.shards.iter() {
            let mut shard = shard.lock();
            let removed = shard.expire(now, |family| gone.push(family.name.clone()));
            if removed > 0 {
                let mut registry = self.registry.lock();
                for name in gone.drain(..) {
                    registry.release_series(&name);
                }
            }
            total += removed;
        }
        self.stats.series_expired.add(total as u64);
        total
    }

    /// Number of live series.
    pub fn series_count(&self) -> usize {
        self.shards.iter().map(|s| s.lock().live()).sum()
    }

    /// An estimate of the heap bytes held by the series (labels, values, summary streams and
    /// index structures), for capacity planning. It walks every shard.
    pub fn heap_bytes_estimate(&self) -> usize {
        self.shards.iter().map(|s| s.lock().heap_bytes()).sum()
    }

    pub(crate) fn now_for_scrape(&self) -> u64 {
        self.now_millis()
    }

    pub(crate) fn shards(&self) -> &[Mutex<Shard>] {
        &self.shards
    }

    pub(crate) fn vectors_by_type(&self) -> [(&'static str, usize); 4] {
        self.registry.lock().vectors_by_type()
    }
}

/// Where a series lives in the store: what a [`SeriesHint`] token of a [`PrometheusSink`]
/// holds. The slot's generation (64 bits, never reused) is what makes a hint safe: a series
/// that expired leaves its slot with a newer generation, so a hint naming it no longer
/// matches even when another series has taken the slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SeriesAt {
    shard: usize,
    place: Place,
}

impl SeriesAt {
    /// Generation in the high 64 bits, shard and slot (32 bits each) in the low ones.
    #[inline]
    fn token(self) -> u128 {
        (u128::from(self.place.generation) << 64)
            | (u128::from(self.shard as u32) << 32)
            | u128::from(self.place.slot)
    }

    #[inline]
    fn from_token(token: u128) -> Self {
        SeriesAt {
            shard: (token >> 32) as u32 as usize,
            place: Place {
                slot: token as u32,
                generation: (token >> 64) as u64,
            },
        }
    }
}

/// What [`PrometheusSink::record_at`] returns: nothing for a plain record (so that path
/// carries no place around), the place for a hinted one.
trait Found {
    fn found(at: SeriesAt) -> Self;
}

impl Found for () {
    #[inline(always)]
    fn found(_: SeriesAt) -> Self {}
}

impl Found for SeriesAt {
    #[inline(always)]
    fn found(at: SeriesAt) -> Self {
        at
    }
}

/// Locks a std mutex (the self-metrics, the remote-write queue), recovering from poisoning:
/// the data behind them stays usable after a panic elsewhere, and a scrape must keep working.
/// (The shards and the registry use parking_lot's mutex, which has no poisoning.)
pub(crate) fn lock<T>(mutex: &std::sync::Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Whether label name `a` sorts before `b`; most label names differ in their first byte,
/// which this compares inline before falling back to a full comparison.
#[inline]
fn name_lt(a: &str, b: &str) -> bool {
    match (a.as_bytes().first(), b.as_bytes().first()) {
        (Some(x), Some(y)) if x != y => x < y,
        _ => a < b,
    }
}

/// Label lists up to this long are sorted in a stack array; longer ones allocate.
const STACK_LABELS: usize = 16;

/// An event's labels in name order, without copying them: a permutation of indexes.
#[derive(Clone, Copy)]
pub(crate) struct SortedLabels<'s, 'a> {
    labels: &'s [Label<'a>],
    order: &'s [u32],
}

impl<'s, 'a> SortedLabels<'s, 'a> {
    #[inline]
    pub(crate) fn iter(
        &self,
    ) -> impl ExactSizeIterator<Item = &'s Label<'a>> + Clone + use<'s, 'a> {
        let labels = self.labels;
        self.order.iter().map(move |&i| &labels[i as usize])
    }

    /// How many labels remain (duplicates removed).
    #[inline]
    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }

    /// Label `i` in name order.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<&'s Label<'a>> {
        let labels = self.labels;
        self.order.get(i).and_then(|&at| labels.get(at as usize))
    }

    /// For each sorted position (up to 16), the event's label that sits there, one nibble
    /// each: the label order a series remembers to compare against. (When duplicates were
    /// removed the event has more labels than the series and never matches positionally.)
    pub(crate) fn event_order(&self) -> u64 {
        let mut order = 0u64;
        for (sorted, &event) in self.order.iter().enumerate().take(16) {
            order |= (u64::from(event) & 15) << (4 * sorted);
        }
        order
    }
}

/// Sorts `labels` by name (last of equal names winning) and calls `f` with the result.
/// Up to [`STACK_LABELS`] labels the permutation lives on the stack, not the heap.
#[inline]
fn with_sorted_labels<'a, R>(labels: &[Label<'a>], f: impl FnOnce(SortedLabels<'_, 'a>) -> R) -> R {
    let mut stack = [0u32; STACK_LABELS];
    let mut heap = Vec::new();
    let order: &mut [u32] = if labels.len() <= STACK_LABELS {
        &mut stack[..labels.len()]
    } else {
        heap.resize(labels.len(), 0);
        &mut heap
    };
    for (i, slot) in order.iter_mut().enumerate() {
        *slot = i as u32;
    }
    let len = sort_labels(labels, order);
    f(SortedLabels {
        labels,
        order: &order[..len],
    })
}

/// Sorts the permutation `order` by label name; among equal names keeps the last one.
/// Returns how many entries of `order` remain.
#[inline]
fn sort_labels(labels: &[Label<'_>], order: &mut [u32]) -> usize {
    let name = |i: u32| labels[i as usize].name;
    // Insertion sort: label lists are short, and it is stable, so among equal names the
    // event's last one ends up last.
    for i in 1..order.len() {
        let mut j = i;
        while j > 0 && name_lt(name(order[j]), name(order[j - 1])) {
            order.swap(j, j - 1);
            j -= 1;
        }
    }
    if !order
        .windows(2)
        .any(|w| shard::same(name(w[0]), name(w[1])))
    {
        return order.len();
    }
    let mut write = 0;
    for read in 0..order.len() {
        if read + 1 < order.len() && shard::same(name(order[read + 1]), name(order[read])) {
            continue;
        }
        order[write] = order[read];
        write += 1;
    }
    write
}

/// Records events into a [`PrometheusSink`] with one clock reading for the whole batch.
///
/// Create one per packet (or per batch of packets) with [`PrometheusSink::recorder`].
#[derive(Debug)]
pub struct Recorder<'a> {
    sink: &'a PrometheusSink,
    now: u64,
}

impl Sink for Recorder<'_> {
    #[inline]
    fn record(&mut self, event: &Event<'_>) -> Result<(), Rejection> {
        self.sink.record_at(event, self.now)
    }

    /// Finds the series through `hint` when the hint came from this store and its series
    /// is still in place (no hashing, no label comparison), else as
    /// [`record`](Sink::record), leaving the hint naming the series recorded into.
    #[inline]
    fn record_hinted(&mut self, event: &Event<'_>, hint: &mut SeriesHint) -> Result<(), Rejection> {
        self.sink.record_hinted_at(event, hint, self.now)
    }

    /// Applies the event to the series `hint` names when this store wrote the hint and
    /// the series is still in place (same checks as [`record_hinted`](Sink::record_hinted)
    /// makes before its full lookup); `None` otherwise, having recorded nothing.
    #[inline]
    fn record_by_hint(
        &mut self,
        event: &HintedEvent<'_>,
        hint: &SeriesHint,
    ) -> Option<Result<(), Rejection>> {
        self.sink.record_by_hint_at(event, hint, self.now)
    }
}

impl Sink for &PrometheusSink {
    fn record(&mut self, event: &Event<'_>) -> Result<(), Rejection> {
        self.record_at(event, self.now_millis())
    }

    /// As [`Recorder::record_hinted`], reading the clock.
    fn record_hinted(&mut self, event: &Event<'_>, hint: &mut SeriesHint) -> Result<(), Rejection> {
        self.record_hinted_at(event, hint, self.now_millis())
    }

    /// As [`Recorder::record_by_hint`], reading the clock.
    fn record_by_hint(
        &mut self,
        event: &HintedEvent<'_>,
        hint: &SeriesHint,
    ) -> Option<Result<(), Rejection>> {
        self.record_by_hint_at(event, hint, self.now_millis())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_labels_keep_the_last() {
        let labels = [
            Label::new("b", "1"),
            Label::new("a", "x"),
            Label::new("b", "2"),
        ];
        let sorted = with_sorted_labels(&labels, |l| l.iter().copied().collect::<Vec<_>>());
        assert_eq!(sorted, [Label::new("a", "x"), Label::new("b", "2")]);
        let many: Vec<Label<'_>> = (0..40)
            .rev()
            .map(|i| {
                Label::new(
                    ["a", "b", "c", "d"][i % 4],
                    if i < 4 { "last" } else { "v" },
                )
            })
            .collect();
        let sorted = with_sorted_labels(&many, |l| l.iter().copied().collect::<Vec<_>>());
        let names: Vec<&str> = sorted.iter().map(|l| l.name).collect();
        assert_eq!(names, ["a", "b", "c", "d"]);
        assert!(sorted.iter().all(|l| l.value == "last"));
    }

    #[test]
    fn remembered_label_order_never_matches_another_series() {
        let sink = PrometheusSink::default();
        let mut recorder = sink.recorder();
        let mut add = |labels: &[Label<'_>]| {
            recorder
                .record(&Event {
                    name: "m",
                    labels,
                    value: Value::Counter(1.0),
                    help: "",
                    ttl: None,
                })
                .unwrap();
        };
        // Stored sorted as {a, b, c}; the series learns the order (c, a, b).
        add(&[
            Label::new("c", "3"),
            Label::new("a", "1"),
            Label::new("b", "2"),
        ]);
        add(&[
            Label::new("c", "3"),
            Label::new("a", "1"),
            Label::new("b", "2"),
        ]);
        // Same names in the learnt order, values moved: other series.
        add(&[
            Label::new("c", "1"),
            Label::new("a", "3"),
            Label::new("b", "2"),
        ]);
        add(&[
            Label::new("c", "3"),
            Label::new("a", "2"),
            Label::new("b", "1"),
        ]);
        // Another order of the first series, then the learnt one again.
        add(&[
            Label::new("b", "2"),
            Label::new("c", "3"),
            Label::new("a", "1"),
        ]);
        add(&[
            Label::new("c", "3"),
            Label::new("a", "1"),
            Label::new("b", "2"),
        ]);
        // A repeated name of the right length is not the set.
        add(&[
            Label::new("c", "3"),
            Label::new("a", "1"),
            Label::new("a", "1"),
        ]);
        assert_eq!(sink.series_count(), 4);
        let mut out = Vec::new();
        sink.expose_metrics(&mut out, crate::Format::Text).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("m{a=\"1\",b=\"2\",c=\"3\"} 4\n"), "{text}");
        assert!(text.contains("m{a=\"1\",c=\"3\"} 1\n"), "{text}");
    }

    #[test]
    fn label_order_and_duplicates_find_the_same_series() {
        let sink = PrometheusSink::default();
        let mut recorder = sink.recorder();
        let mut add = |labels: &[Label<'_>]| {
            recorder
                .record(&Event {
                    name: "m",
                    labels,
                    value: Value::Counter(1.0),
                    help: "",
                    ttl: None,
                })
                .unwrap();
        };
        add(&[Label::new("a", "x"), Label::new("b", "2")]);
        add(&[Label::new("b", "2"), Label::new("a", "x")]);
        add(&[
            Label::new("b", "1"),
            Label::new("a", "x"),
            Label::new("b", "2"),
        ]);
        assert_eq!(sink.series_count(), 1);
        // Same length, a repeated name: not the stored {a, b} set.
        add(&[Label::new("a", "x"), Label::new("a", "x")]);
        add(&[Label::new("a", "x")]);
        assert_eq!(sink.series_count(), 2);
        let mut out = Vec::new();
        sink.expose_metrics(&mut out, crate::Format::Text).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("m{a=\"x\",b=\"2\"} 3\n"), "{text}");
        assert!(text.contains("m{a=\"x\"} 2\n"), "{text}");
    }
}
