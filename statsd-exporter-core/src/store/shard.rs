//! One shard of the series store: a hash index over a slab of series, and a min-heap of
//! expiry deadlines with lazy invalidation.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::expose::{LabelArena, LabelText};
use crate::histogram::HistogramState;
use crate::sink::{Label, Value};
use crate::store::SortedLabels;
use crate::store::family::{Family, FamilyKind};
use crate::store::index::Index;
use crate::summary::{Sample, SummaryState};

const NO_SLOT: u32 = u32::MAX;

/// Series with up to this many labels remember their event's label order (4 bits each).
const HINTED_LABELS: usize = 16;

/// An owned label of a stored series. The name is shared by every series of the metric
/// (interned in its [`Family`]), which saves memory and lets the scrape's sort compare
/// names by pointer.
#[derive(Debug)]
pub(crate) struct OwnedLabel {
    pub(crate) name: Arc<str>,
    pub(crate) value: Box<str>,
}

#[derive(Debug)]
pub(crate) enum SeriesValue {
    Counter(f64),
    Gauge(f64),
    Summary(Box<SummaryState>),
    Histogram(Box<HistogramState>),
}

#[derive(Debug)]
pub(crate) struct Series {
    hash: u64,
    /// Next series in the same hash chain.
    next: u32,
    pub(crate) family: Arc<Family>,
    pub(crate) labels: Arc<[OwnedLabel]>,
    /// The labels as the exposition writes and sorts them, built once, in the shard's
    /// [`LabelArena`].
    pub(crate) text: LabelText,
    pub(crate) value: SeriesValue,
    last_seen: u64,
    /// Time to live in ms; 0 = forever.
    ttl: u64,
    /// Deadline of this series' live heap entry; 0 = none.
    queued_deadline: u64,
    /// Nibble `i`: the stored position of the last matching event's label `i` (a
    /// permutation of the stored positions; see [`Series::is`]).
    order: u64,
}

impl Series {
    /// Whether this series has name `name` and exactly the labels `labels` (in any order).
    ///
    /// Clients send a series' tags in the same order every time, so the series remembers
    /// where each of the event's labels sat among its own ones last time (`order`) and
    /// first compares at those places only: one name and one value comparison per label.
    /// Only a different order (or more than [`HINTED_LABELS`] labels) takes the scan.
    #[inline]
    fn is<'l, 'a: 'l>(
        &mut self,
        hash: u64,
        name: &str,
        labels: impl ExactSizeIterator<Item = &'l Label<'a>> + Clone,
    ) -> bool {
        let stored = &*self.labels;
        if self.hash != hash || stored.len() != labels.len() || !same(&self.family.name, name) {
            return false;
        }
        if stored.len() <= HINTED_LABELS {
            // `order` is a permutation of the stored positions (see `scan`), so n matches
            // at n distinct places mean the same set.
            let mut order = self.order;
            let mut hit = true;
            for label in labels.clone() {
                let at = (order & 15) as usize;
                order >>= 4;
                match stored.get(at) {
                    Some(s) if same(&s.name, label.name) && same(&s.value, label.value) => {}
                    _ => {
                        hit = false;
                        break;
                    }
                }
            }
            if hit {
                return true;
            }
        }
        self.scan(labels)
    }

    /// The order-independent comparison: each label is looked for at its own position
    /// first, then among all stored labels; a bit mask makes sure no stored label is
    /// matched twice, so equal lengths mean the same set. A match records the order for
    /// [`is`](Self::is).
    #[inline(never)]
    fn scan<'l, 'a: 'l>(&mut self, labels: impl ExactSizeIterator<Item = &'l Label<'a>>) -> bool {
        let stored = &*self.labels;
        // Beyond 64 labels only positional matches are tried: sorted input still matches.
        let scan = stored.len() <= 64;
        let mut used = 0u64;
        let mut order = 0u64;
        for (i, label) in labels.enumerate() {
            let at = if stored.get(i).is_some_and(|s| same(&s.name, label.name)) {
                i
            } else if scan {
                match stored.iter().position(|s| same(&s.name, label.name)) {
                    Some(at) => at,
                    None => return false,
                }
            } else {
                return false;
            };
            if !same(&stored[at].value, label.value) {
                return false;
            }
            if scan {
                let bit = 1u64 << at;
                if used & bit != 0 {
                    return false;
                }
                used |= bit;
            }
            if i < HINTED_LABELS {
                order |= (at as u64) << (4 * i);
            }
        }
        if stored.len() <= HINTED_LABELS {
            self.order = order;
        }
        true
    }

    /// Applies an event whose kind the family accepts.
    #[inline]
    fn apply(&mut self, value: &Value<'_>, now: u64, scratch: &mut Vec<Sample>) {
        match (&mut self.value, value) {
            (SeriesValue::Counter(c), Value::Counter(v)) => *c += v,
            (SeriesValue::Gauge(g), Value::GaugeSet(v)) => *g = *v,
            (SeriesValue::Gauge(g), Value::GaugeAdd(v)) => *g += v,
            (SeriesValue::Summary(s), Value::Observe { value, count, .. }) => {
                if let FamilyKind::Summary(config) = &self.family.kind {
                    s.observe(config, *value, *count, now, scratch);
                }
            }
            (SeriesValue::Histogram(h), Value::Observe { value, count, .. }) => {
                if let FamilyKind::Histogram(config) = &self.family.kind {
                    h.observe(config, *value, *count);
                }
            }
            _ => {}
        }
    }

    /// Approximate heap bytes owned by this series alone.
    pub(crate) fn heap_bytes(&self) -> usize {
        let labels: usize = self
            .labels
            .iter()
            .map(|l| l.value.len() + std::mem::size_of::<OwnedLabel>())
            .sum();
        labels
            + 16
            + match &self.value {
                SeriesValue::Counter(_) | SeriesValue::Gauge(_) => 0,
                SeriesValue::Summary(s) => std::mem::size_of::<SummaryState>() + s.heap_bytes(),
                SeriesValue::Histogram(h) => std::mem::size_of::<HistogramState>() + h.heap_bytes(),
            }
    }
}

/// String equality (the hash already matched, so this is a confirmation). Strings up to
/// 32 bytes, which most names and label values are, are compared with two or four
/// overlapping word loads instead of a `memcmp` call.
#[inline]
pub(crate) fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let len = a.len();
    if len != b.len() {
        return false;
    }
    match len {
        0 => true,
        // Differences or-ed together, not `&&`: one branch instead of one per load.
        1..=3 => (a[0] ^ b[0]) | (a[len / 2] ^ b[len / 2]) | (a[len - 1] ^ b[len - 1]) == 0,
        4..=7 => (word4(a) ^ word4(b)) | (word4(&a[len - 4..]) ^ word4(&b[len - 4..])) == 0,
        8..=16 => (word8(a) ^ word8(b)) | (word8(&a[len - 8..]) ^ word8(&b[len - 8..])) == 0,
        // Metric names are often this long (`mastodon_controller_status`): four words
        // instead of a `bcmp` call.
        17..=32 => {
            (word8(a) ^ word8(b))
                | (word8(&a[8..]) ^ word8(&b[8..]))
                | (word8(&a[len - 16..]) ^ word8(&b[len - 16..]))
                | (word8(&a[len - 8..]) ^ word8(&b[len - 8..]))
                == 0
        }
        _ => a == b,
    }
}

#[inline]
fn word4(bytes: &[u8]) -> u32 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&bytes[..4]);
    u32::from_ne_bytes(word)
}

#[inline]
fn word8(bytes: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&bytes[..8]);
    u64::from_ne_bytes(word)
}

#[derive(Debug, Default)]
struct Slot {
    generation: u32,
    series: Option<Series>,
}

/// What a lookup found.
pub(crate) enum Lookup {
    /// The series exists and took the event.
    Applied,
    /// The series exists with another type.
    Conflict,
    /// No such series.
    Missing,
}

#[derive(Debug, Default)]
pub(crate) struct Shard {
    index: Index,
    slots: Vec<Slot>,
    free: Vec<u32>,
    expiry: BinaryHeap<Reverse<(u64, u32, u32)>>,
    pub(crate) scratch: Vec<Sample>,
    live: usize,
    /// The live series' label texts (and garbage of removed ones, up to half of it).
    texts: LabelArena,
}

impl Shard {
    /// Finds the series and applies the event to it.
    #[inline]
    pub(crate) fn apply<'l, 'a: 'l>(
        &mut self,
        hash: u64,
        name: &str,
        labels: impl ExactSizeIterator<Item = &'l Label<'a>> + Clone,
        value: &Value<'_>,
        ttl: u64,
        now: u64,
    ) -> Lookup {
        let mut cursor = self.index.get(hash).unwrap_or(NO_SLOT);
        while cursor != NO_SLOT {
            let slot = &mut self.slots[cursor as usize];
            let generation = slot.generation;
            let Some(series) = slot.series.as_mut() else {
                break;
            };
            if series.is(hash, name, labels.clone()) {
                if !series.family.kind.accepts(value) {
                    return Lookup::Conflict;
                }
                series.apply(value, now, &mut self.scratch);
                series.last_seen = now;
                if series.ttl != ttl {
                    series.ttl = ttl;
                    Self::queue_if_needed(&mut self.expiry, series, cursor, generation);
                }
                return Lookup::Applied;
            }
            cursor = series.next;
        }
        Lookup::Missing
    }

    /// Makes sure a series with a TTL has a heap entry no later than its real deadline.
    fn queue_if_needed(
        heap: &mut BinaryHeap<Reverse<(u64, u32, u32)>>,
        series: &mut Series,
        slot: u32,
        generation: u32,
    ) {
        if series.ttl == 0 {
            return;
        }
        let deadline = series.last_seen.saturating_add(series.ttl);
        if series.queued_deadline == 0 || deadline < series.queued_deadline {
            series.queued_deadline = deadline;
            heap.push(Reverse((deadline, slot, generation)));
        }
    }

    /// Inserts a new series (the caller checked it is missing and admitted it).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        family: Arc<Family>,
        labels: SortedLabels<'_, '_>,
        value: &Value<'_>,
        ttl: u64,
        now: u64,
    ) {
        let state = match &family.kind {
            FamilyKind::Counter => SeriesValue::Counter(0.0),
            FamilyKind::Gauge => SeriesValue::Gauge(0.0),
            FamilyKind::Summary(config) => {
                SeriesValue::Summary(Box::new(SummaryState::new(config, now)))
            }
            FamilyKind::Histogram(config) => {
                SeriesValue::Histogram(Box::new(HistogramState::new(config)))
            }
        };
        let text = self.texts.push(labels.iter().map(|l| (l.name, l.value)));
        let order = labels.event_order();
        let labels: Arc<[OwnedLabel]> = labels
            .iter()
            .map(|l| OwnedLabel {
                name: family.intern_label_name(l.name),
                value: l.value.into(),
            })
            .collect();
        let slot = match self.free.pop() {
            Some(slot) => slot,
            None => {
                self.slots.push(Slot::default());
                (self.slots.len() - 1) as u32
            }
        };
        let next = self.index.insert(hash, slot).unwrap_or(NO_SLOT);
        let mut series = Series {
            hash,
            next,
            family,
            labels,
            text,
            value: state,
            last_seen: now,
            ttl,
            queued_deadline: 0,
            order,
        };
        series.apply(value, now, &mut self.scratch);
        let entry = &mut self.slots[slot as usize];
        Self::queue_if_needed(&mut self.expiry, &mut series, slot, entry.generation);
        entry.series = Some(series);
        self.live += 1;
    }

    /// Removes the series whose deadline passed (`last_seen + ttl < now`) and calls `removed`
    /// with each one's family name. Costs O(log n) per heap entry popped; an entry is popped
    /// at most once per TTL period of its series.
    pub(crate) fn expire(&mut self, now: u64, mut removed: impl FnMut(&Family)) -> usize {
        let mut count = 0;
        while let Some(&Reverse((deadline, slot, generation))) = self.expiry.peek() {
            if deadline >= now {
                break;
            }
            self.expiry.pop();
            let entry = &mut self.slots[slot as usize];
            if entry.generation != generation {
                continue;
            }
            let Some(series) = entry.series.as_mut() else {
                continue;
            };
            if series.queued_deadline != deadline {
                continue; // superseded by an earlier entry
            }
            series.queued_deadline = 0;
            if series.ttl == 0 {
                continue;
            }
            let real = series.last_seen.saturating_add(series.ttl);
            if real >= now {
                series.queued_deadline = real;
                self.expiry.push(Reverse((real, slot, generation)));
                continue;
            }
            let series = self.remove(slot);
            removed(&series.family);
            count += 1;
        }
        count
    }

    fn remove(&mut self, slot: u32) -> Series {
        let entry = &mut self.slots[slot as usize];
        let series = entry.series.take().expect("remove is called on live slots");
        entry.generation = entry.generation.wrapping_add(1);
        let head = self.index.get(series.hash).unwrap_or(NO_SLOT);
        if head == slot {
            if series.next == NO_SLOT {
                self.index.remove(series.hash);
            } else {
                self.index.insert(series.hash, series.next);
            }
        } else {
            let mut cursor = head;
            while cursor != NO_SLOT {
                let Some(s) = self.slots[cursor as usize].series.as_mut() else {
                    break;
                };
                if s.next == slot {
                    s.next = series.next;
                    break;
                }
                cursor = s.next;
            }
        }
        self.free.push(slot);
        self.live -= 1;
        if self.texts.release(series.text) {
            let live = self.slots.iter_mut().filter_map(|s| s.series.as_mut());
            self.texts.compact(live.map(|s| &mut s.text));
        }
        series
    }

    /// All live series, mutable (summaries need a flush to answer).
    pub(crate) fn series_mut(&mut self) -> impl Iterator<Item = &mut Series> {
        self.slots.iter_mut().filter_map(|s| s.series.as_mut())
    }

    pub(crate) fn live(&self) -> usize {
        self.live
    }

    /// The label texts of this shard's series ([`Series::text`] points into it), with
    /// some garbage: what a scrape copies.
    pub(crate) fn label_bytes(&self) -> &[u8] {
        self.texts.bytes()
    }

    /// Approximate heap bytes of this shard's own structures plus its series.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.index.heap_bytes()
            + self.slots.capacity() * std::mem::size_of::<Slot>()
            + self.free.capacity() * 4
            + self.expiry.capacity() * std::mem::size_of::<(u64, u32, u32)>()
            + self.texts.heap_bytes()
            + self
                .slots
                .iter()
                .filter_map(|s| s.series.as_ref())
                .map(Series::heap_bytes)
                .sum::<usize>()
    }
}

#[cfg(test)]
mod tests {
    use super::same;

    #[test]
    fn same_compares_every_byte_of_every_length() {
        let text = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
        for len in 0..text.len() {
            let a = &text[..len];
            // A copy in another allocation: equality must not rest on pointer identity.
            let copy = String::from(a);
            assert!(same(a, copy.as_str()));
            for at in 0..len {
                let mut b = a.as_bytes().to_vec();
                b[at] = b'_';
                assert!(!same(a, std::str::from_utf8(&b).unwrap()), "{len} {at}");
            }
            assert!(!same(a, &text[..len + 1]));
        }
    }
}
