//! One shard of the series store: a hash index over a slab of series, and a min-heap of
//! expiry deadlines with lazy invalidation.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;

use crate::expose::{KeyFields, LabelArena, LabelText, field_is, take_key_field};
use crate::histogram::HistogramState;
use crate::sink::{Label, Observer, Value};
use crate::store::SortedLabels;
use crate::store::family::{Family, FamilyKind};
use crate::store::index::Index;
use crate::summary::{Sample, SummaryState};

const NO_SLOT: u32 = u32::MAX;

/// Series with up to this many labels remember their event's label order (4 bits each).
const HINTED_LABELS: usize = 16;

/// An event's labels by position: the event's own slice, or its sorted view.
pub(crate) trait LabelList {
    fn count(&self) -> usize;
    /// Name and value of label `i`.
    fn label(&self, i: usize) -> Option<(&str, &str)>;
}

impl LabelList for [Label<'_>] {
    #[inline]
    fn count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn label(&self, i: usize) -> Option<(&str, &str)> {
        self.get(i).map(|l| (l.name, l.value))
    }
}

impl LabelList for SortedLabels<'_, '_> {
    #[inline]
    fn count(&self) -> usize {
        self.len()
    }

    #[inline]
    fn label(&self, i: usize) -> Option<(&str, &str)> {
        self.get(i).map(|l| (l.name, l.value))
    }
}

#[derive(Debug)]
pub(crate) enum SeriesValue {
    Counter(f64),
    Gauge(f64),
    Summary(Box<SummaryState>),
    Histogram(Box<HistogramState>),
}

/// A stored series. Its label names and values exist once, as its sort key in the shard's
/// [`LabelArena`] (`text`): lookups compare events against that key in place, so a series
/// owns no heap block of its own unless it is a summary or a histogram.
#[derive(Debug)]
pub(crate) struct Series {
    hash: u64,
    /// Next series in the same hash chain.
    next: u32,
    /// How many labels the series has.
    label_count: u32,
    pub(crate) family: Arc<Family>,
    /// The labels: sort key (names and values, the only copy) and the block the exposition
    /// writes, in the shard's [`LabelArena`].
    pub(crate) text: LabelText,
    pub(crate) value: SeriesValue,
    last_seen: u64,
    /// Time to live in ms; 0 = forever.
    ttl: u64,
    /// Deadline of this series' live heap entry; 0 = none.
    queued_deadline: u64,
    /// Nibble `p`: which of the last matching event's labels is the series' label `p` (in
    /// name order); see [`Series::is`].
    order: u64,
}

impl Series {
    /// Whether this series has name `name` and exactly the labels `labels` (in any order);
    /// `arena` is its shard's label arena.
    ///
    /// Clients send a series' tags in the same order every time, so the series remembers
    /// which event label matched each of its own labels last time (`order`) and first
    /// walks its key once, comparing each field with that label's name or value in place.
    /// Only a different order (or more than [`HINTED_LABELS`] labels, or a value with a
    /// NUL byte) takes the scan.
    #[inline(always)]
    fn is<L: LabelList + ?Sized>(
        &mut self,
        arena: &LabelArena,
        hash: u64,
        name: &str,
        labels: &L,
    ) -> bool {
        let count = labels.count();
        if self.hash != hash || self.label_count as usize != count || !same(&self.family.name, name)
        {
            return false;
        }
        let key = arena.key(self.text);
        if count <= HINTED_LABELS {
            // The stored names are distinct and each of the `count` event labels matches
            // at most one of them, so matching every key field in turn, and the key ending
            // right there, means the same set.
            let mut order = self.order;
            let mut rest = key;
            let mut hit = true;
            for _ in 0..count {
                let Some((name, value)) = labels.label((order & 15) as usize) else {
                    hit = false;
                    break;
                };
                order >>= 4;
                if !(take_key_field(&mut rest, name) & take_key_field(&mut rest, value)) {
                    hit = false;
                    break;
                }
            }
            if hit && rest.is_empty() {
                return true;
            }
        }
        self.scan(key, labels)
    }

    /// The order-independent comparison: each stored label (in key order) is looked for at
    /// the same position of the event first, then among all its labels; a bit mask makes
    /// sure no event label is matched twice, so equal counts mean the same set. A match
    /// records the order for [`is`](Self::is).
    #[inline(never)]
    fn scan<L: LabelList + ?Sized>(&mut self, key: &[u8], labels: &L) -> bool {
        let count = labels.count();
        // Beyond 64 labels only positional matches are tried: sorted input still matches.
        let scan = count <= 64;
        let named = |i: usize, field: &[u8]| {
            labels
                .label(i)
                .is_some_and(|(name, _)| field_is(field, name.as_bytes()))
        };
        let mut fields = KeyFields::new(key);
        let mut used = 0u64;
        let mut order = 0u64;
        for stored in 0..count {
            let (Some(name), Some(value)) = (fields.next(), fields.next()) else {
                return false;
            };
            let at = if named(stored, name) {
                stored
            } else if scan {
                match (0..count).find(|&i| named(i, name)) {
                    Some(at) => at,
                    None => return false,
                }
            } else {
                return false;
            };
            if !labels
                .label(at)
                .is_some_and(|(_, v)| field_is(value, v.as_bytes()))
            {
                return false;
            }
            if scan {
                let bit = 1u64 << at;
                if used & bit != 0 {
                    return false;
                }
                used |= bit;
            }
            if stored < HINTED_LABELS {
                order |= (at as u64 & 15) << (4 * stored);
            }
        }
        if fields.next().is_some() {
            return false;
        }
        if count <= HINTED_LABELS {
            self.order = order;
        }
        true
    }

    /// Applies an event if the series' family accepts it (see [`FamilyKind::accepts`]);
    /// returns false, having changed nothing, if not. One dispatch on the value and the
    /// series' state instead of a check of the family's kind and then a dispatch: a
    /// series' state always has its family's kind.
    #[inline(always)]
    fn apply(&mut self, value: &Value<'_>, now: u64, scratch: &mut Vec<Sample>) -> bool {
        match (&mut self.value, value) {
            (SeriesValue::Counter(c), Value::Counter(v)) => *c += v,
            (SeriesValue::Gauge(g), Value::GaugeSet(v)) => *g = *v,
            (SeriesValue::Gauge(g), Value::GaugeAdd(v)) => *g += v,
            (
                SeriesValue::Summary(s),
                Value::Observe {
                    value,
                    count,
                    observer: Observer::Summary(_),
                },
            ) => match &self.family.kind {
                FamilyKind::Summary(config) => s.observe(config, *value, *count, now, scratch),
                _ => return false,
            },
            (
                SeriesValue::Histogram(h),
                Value::Observe {
                    value,
                    count,
                    observer: Observer::Histogram(_),
                },
            ) => match &self.family.kind {
                FamilyKind::Histogram(config) => h.observe(config, *value, *count),
                _ => return false,
            },
            _ => return false,
        }
        true
    }

    /// Approximate heap bytes owned by this series alone (its labels are in the shard's
    /// arena, the series itself in the shard's slots).
    pub(crate) fn heap_bytes(&self) -> usize {
        match &self.value {
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
    same_bytes(a.as_bytes(), b.as_bytes())
}

/// [`same`] on bytes.
#[inline]
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
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
    /// How many series this slot has lost (removed); bumped on every removal, so a
    /// [`Place`] taken before names a series that no longer exists. 64 bits never wrap
    /// (the slot costs the same: [`Series`] is 8-byte aligned).
    generation: u64,
    series: Option<Series>,
}

/// Where a series lives in its shard: its slot and that slot's generation while the
/// series is there. Slots never move, and a removal bumps the generation, so a place
/// names one series for good (what a [`SeriesHint`](crate::SeriesHint) token encodes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub(crate) slot: u32,
    pub(crate) generation: u64,
}

/// What a lookup found.
pub(crate) enum Lookup {
    /// The series exists and took the event; it lives at this place.
    Applied(Place),
    /// The series exists with another type.
    Conflict,
    /// No such series.
    Missing,
}

/// What a lookup by [`Place`] found.
pub(crate) enum Placed {
    /// The series is still there and took the event.
    Applied,
    /// The series is still there with another type.
    Conflict,
    /// The series is gone (or the place is not this shard's): look it up by its key.
    Stale,
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
    #[inline(always)]
    pub(crate) fn apply<L: LabelList + ?Sized>(
        &mut self,
        hash: u64,
        name: &str,
        labels: &L,
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
            if series.is(&self.texts, hash, name, labels) {
                let applied = Self::hit(
                    series,
                    value,
                    ttl,
                    now,
                    &mut self.scratch,
                    &mut self.expiry,
                    cursor,
                    generation,
                );
                if !applied {
                    return Lookup::Conflict;
                }
                return Lookup::Applied(Place {
                    slot: cursor,
                    generation,
                });
            }
            cursor = series.next;
        }
        Lookup::Missing
    }

    /// Applies the event to the series at `place` if it is still there, named `name`
    /// with `label_count` labels. The caller vouches for the labels (see
    /// [`SeriesHint`](crate::SeriesHint)); the name and the count are checked because they
    /// cost a few instructions and turn a hint passed for another metric into a lookup.
    #[inline]
    pub(crate) fn apply_at(
        &mut self,
        place: Place,
        name: &str,
        label_count: usize,
        value: &Value<'_>,
        ttl: u64,
        now: u64,
    ) -> Placed {
        let Some(slot) = self.slots.get_mut(place.slot as usize) else {
            return Placed::Stale;
        };
        if slot.generation != place.generation {
            return Placed::Stale;
        }
        let Some(series) = slot.series.as_mut() else {
            return Placed::Stale;
        };
        if series.label_count as usize != label_count || !same(&series.family.name, name) {
            return Placed::Stale;
        }
        let applied = Self::hit(
            series,
            value,
            ttl,
            now,
            &mut self.scratch,
            &mut self.expiry,
            place.slot,
            place.generation,
        );
        if applied {
            Placed::Applied
        } else {
            Placed::Conflict
        }
    }

    /// A sample for an existing series: the value, the time it was last seen, and its
    /// expiry if the TTL changed; false (a conflict, nothing changed) if the series'
    /// family does not accept the value.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn hit(
        series: &mut Series,
        value: &Value<'_>,
        ttl: u64,
        now: u64,
        scratch: &mut Vec<Sample>,
        expiry: &mut BinaryHeap<Reverse<(u64, u32, u32)>>,
        slot: u32,
        generation: u64,
    ) -> bool {
        if !series.apply(value, now, scratch) {
            return false;
        }
        series.last_seen = now;
        if series.ttl != ttl {
            series.ttl = ttl;
            Self::queue_if_needed(expiry, series, slot, generation);
        }
        true
    }

    /// Makes sure a series with a TTL has a heap entry no later than its real deadline.
    fn queue_if_needed(
        heap: &mut BinaryHeap<Reverse<(u64, u32, u32)>>,
        series: &mut Series,
        slot: u32,
        generation: u64,
    ) {
        if series.ttl == 0 {
            return;
        }
        let deadline = series.last_seen.saturating_add(series.ttl);
        if series.queued_deadline == 0 || deadline < series.queued_deadline {
            series.queued_deadline = deadline;
            // The heap keeps the generation's low 32 bits (16-byte entries); a stale entry
            // also has to carry the series' exact deadline to be acted on.
            heap.push(Reverse((deadline, slot, generation as u32)));
        }
    }

    /// Inserts a new series (the caller checked it is missing and admitted it); returns
    /// where it lives.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        family: Arc<Family>,
        labels: SortedLabels<'_, '_>,
        value: &Value<'_>,
        ttl: u64,
        now: u64,
    ) -> Place {
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
        let label_count = u32::try_from(labels.len()).unwrap_or(u32::MAX);
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
            label_count,
            family,
            text,
            value: state,
            last_seen: now,
            ttl,
            queued_deadline: 0,
            order,
        };
        // The caller admitted the series under a family that accepts the value.
        series.apply(value, now, &mut self.scratch);
        let entry = &mut self.slots[slot as usize];
        let generation = entry.generation;
        Self::queue_if_needed(&mut self.expiry, &mut series, slot, generation);
        entry.series = Some(series);
        self.live += 1;
        Place { slot, generation }
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
            if entry.generation as u32 != generation {
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

    /// All live series, mutable, with the arena their labels are in.
    pub(crate) fn series_and_labels(&mut self) -> (impl Iterator<Item = &mut Series>, &LabelArena) {
        let series = self.slots.iter_mut().filter_map(|s| s.series.as_mut());
        (series, &self.texts)
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
    use super::{Series, Slot, same};

    #[test]
    fn a_slot_is_its_series_and_one_word() {
        // The 64-bit generation sits where a 32-bit one left padding: memory per series
        // does not grow with it.
        assert_eq!(
            std::mem::size_of::<Slot>(),
            std::mem::size_of::<Series>() + 8
        );
    }

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
