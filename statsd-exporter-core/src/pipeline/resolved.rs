//! Each pipeline's cache of finished mappings: for a (class, StatsD name) seen before, the
//! escaped metric name and the expanded mapping labels, ready to go into an event.
//!
//! The mapper's cache says which rule matched and where the captures are; turning that
//! into an event still took a UTF-8 check of the name, the expansion of the name and
//! every label template, and escaping: about a third of the cost of a Mastodon line.
//! StatsD names repeat (a Mastodon instance sends a few hundred distinct ones), so each
//! pipeline (one per receive thread or TCP connection) keeps the finished strings.
//! Lookups compare the raw bytes of the name with the stored one, which was valid UTF-8
//! when it was stored, so a hit skips the UTF-8 check too.
//!
//! A 4-way set-associative table, grown on demand up to its capacity; when a set is full
//! one way is overwritten and its buffers are reused, so after warm-up nothing is
//! allocated. Emptied when the pipeline picks up a new mapper.
//!
//! Memory: a sender controls how many pipelines exist (one per TCP connection) and what
//! their entries hold, so the tables of all clones of one pipeline draw from one shared
//! [`Allowance`] of heap bytes ([`SHARED_BYTES`]). Every byte a table allocates (its ways,
//! every buffer an entry grows) is charged there and given back when the table is dropped
//! or rebuilt; once the allowance is used up, new names are mapped without being kept.
//! A table can overshoot by at most the entry it is filling.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use statsd_mapper::MetricKind;

use crate::sink::SeriesHint;

const WAYS: usize = 4;
/// Sets allocated at the first insert.
const FIRST_SETS: usize = 16;
/// Longest StatsD name kept (longer ones are resolved every time): bounds the memory a
/// sender of huge distinct names can pin in every pipeline.
pub(crate) const MAX_NAME: usize = 256;
/// Most bytes of strings one entry keeps.
const MAX_TEXT: usize = 1024;
/// Longest tagged line (without its value) whose hint an entry keeps.
pub(crate) const MAX_TAGGED_LINE: usize = 512;
/// Heap bytes the tables of all clones of one pipeline may hold together: room for tens of
/// thousands of typical entries (a Mastodon name and its labels take about 300 bytes), and
/// a bound on what 1024 TCP connections sending distinct names can pin.
pub(crate) const SHARED_BYTES: usize = 32 << 20;

/// Heap bytes in use by every table of one pipeline family; see the module docs.
#[derive(Debug)]
pub(crate) struct Allowance {
    used: AtomicUsize,
    limit: usize,
}

impl Allowance {
    pub(crate) fn new(limit: usize) -> Arc<Allowance> {
        Arc::new(Allowance {
            used: AtomicUsize::new(0),
            limit,
        })
    }

    /// Bytes charged now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }

    fn exhausted(&self) -> bool {
        self.used.load(Ordering::Relaxed) >= self.limit
    }

    /// Charges `bytes` if they fit under the limit.
    fn try_charge(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    /// Charges `bytes` whatever the limit (growth of an entry already being filled).
    fn charge(&self, bytes: usize) {
        self.used.fetch_add(bytes, Ordering::Relaxed);
    }

    fn release(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// One finished mapping. Every string has a buffer of its own, so that building an event
/// from it is copying pointers; an overwritten entry reuses them.
#[derive(Debug, Default)]
pub(crate) struct Entry {
    /// `hash | 1`; 0 marks an empty way.
    tag: u64,
    kind: u8,
    /// The key.
    statsd_name: String,
    /// The escaped metric name (empty when the mapping expanded to nothing).
    name: String,
    /// Label names and values; only the first `label_count` are this entry's.
    labels: Vec<(String, String)>,
    label_count: usize,
    /// The matching rule's index; `None` when unmapped.
    pub(crate) rule: Option<u32>,
    /// Where the sink found this mapping's series last time, for lines without tags
    /// (whose series is the mapping's name and labels): see [`Sink::record_hinted`].
    ///
    /// [`Sink::record_hinted`]: crate::Sink::record_hinted
    pub(crate) hint: SeriesHint,
    /// The last tagged line of this name that the sink gave a hint for, without its value
    /// (`before ++ after`, split at `tagged_split`), that hint and the line's label count:
    /// a line equal to it but for the value has the same tags, so the same labels and
    /// series, and needs no tag walk while the sink still knows the hint.
    tagged_line: Vec<u8>,
    tagged_split: usize,
    tagged_hint: SeriesHint,
    tagged_label_count: usize,
}

impl Entry {
    /// Starts filling this entry for `name` (the cache key).
    pub(crate) fn start(&mut self, name: &str, rule: Option<u32>) {
        self.statsd_name.clear();
        self.statsd_name.push_str(name);
        self.name.clear();
        self.label_count = 0;
        self.rule = rule;
        self.hint.clear();
        self.tagged_line.clear();
        self.tagged_hint.clear();
    }

    /// The hint and label count kept for a tagged line equal to `before ++ value ++ after`
    /// but for the value, if this is such a line.
    #[inline]
    pub(crate) fn tagged_hint(&self, before: &[u8], after: &[u8]) -> Option<(SeriesHint, usize)> {
        let (kept_before, kept_after) = self.tagged_line.split_at_checked(self.tagged_split)?;
        (kept_before == before && kept_after == after && self.tagged_hint != SeriesHint::new())
            .then_some((self.tagged_hint, self.tagged_label_count))
    }

    /// The buffer the escaped metric name is written to.
    pub(crate) fn name_buffer(&mut self) -> &mut String {
        &mut self.name
    }

    /// Appends a label: `key`, then whatever `value` writes into the value's buffer.
    pub(crate) fn push_label(&mut self, key: &str, value: impl FnOnce(&mut String)) {
        if self.label_count == self.labels.len() {
            self.labels.push(Default::default());
        }
        let (k, v) = &mut self.labels[self.label_count];
        k.clear();
        k.push_str(key);
        v.clear();
        value(v);
        self.label_count += 1;
    }

    /// The escaped metric name (empty when the mapping expanded to nothing).
    #[inline]
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// The mapping's labels, in rule order.
    #[inline]
    pub(crate) fn labels(&self) -> &[(String, String)] {
        &self.labels[..self.label_count.min(self.labels.len())]
    }

    /// Heap bytes this entry's buffers hold (capacities, not lengths).
    fn heap_bytes(&self) -> usize {
        self.statsd_name.capacity()
            + self.name.capacity()
            + self.tagged_line.capacity()
            + self.labels.capacity() * size_of::<(String, String)>()
            + self
                .labels
                .iter()
                .map(|(k, v)| k.capacity() + v.capacity())
                .sum::<usize>()
    }

    /// Bytes kept in the strings.
    fn text_len(&self) -> usize {
        self.statsd_name.len()
            + self.name.len()
            + self
                .labels()
                .iter()
                .map(|(k, v)| k.len() + v.len())
                .sum::<usize>()
    }

    #[inline]
    fn is(&self, tag: u64, kind: u8, name: &[u8]) -> bool {
        self.tag == tag && self.kind == kind && self.statsd_name.as_bytes() == name
    }
}

/// The cache; see the module docs.
#[derive(Debug)]
pub(crate) struct Resolved {
    ways: Vec<Entry>,
    /// Sets in `ways` minus one (`ways.len() / WAYS - 1`), when there are any.
    mask: usize,
    /// Most entries (rounded down to whole sets); 0 disables the cache.
    capacity: usize,
    filled: usize,
    /// Where mappings that are not kept are built (not charged: one entry per table).
    spare: Entry,
    /// Shared with the other tables of the pipeline family.
    allowance: Arc<Allowance>,
    /// Bytes this table has charged to `allowance`.
    charged: usize,
    /// `heap_bytes` of the way handed out by [`slot`](Self::slot), before it was filled.
    filling_from: usize,
}

impl Drop for Resolved {
    fn drop(&mut self) {
        self.allowance.release(self.charged);
    }
}

/// A name's place in the cache: its tag and class.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Key {
    tag: u64,
    kind: u8,
}

impl Resolved {
    /// An empty table of at most `capacity` entries, charging its memory to `allowance`.
    pub(crate) fn new(capacity: usize, allowance: Arc<Allowance>) -> Resolved {
        Resolved {
            ways: Vec::new(),
            mask: 0,
            capacity: capacity / WAYS * WAYS,
            filled: 0,
            spare: Entry::default(),
            allowance,
            charged: 0,
            filling_from: 0,
        }
    }

    /// Forgets every entry (the mapper changed); keeps the buffers when the capacity
    /// stays the same.
    pub(crate) fn reset(&mut self, capacity: usize) {
        if capacity / WAYS * WAYS != self.capacity {
            *self = Resolved::new(capacity, Arc::clone(&self.allowance));
            return;
        }
        for way in &mut self.ways {
            way.tag = 0;
        }
        self.filled = 0;
    }

    /// The key of `name` of class `kind`; `None` when such a name is never kept.
    #[inline]
    pub(crate) fn key(&self, kind: MetricKind, name: &[u8]) -> Option<Key> {
        if self.capacity == 0 || name.len() > MAX_NAME {
            return None;
        }
        Some(Key {
            tag: hash(name, kind as u64) | 1,
            kind: kind as u8,
        })
    }

    #[inline]
    fn set(&self, tag: u64) -> usize {
        ((tag >> 32) as usize & self.mask) * WAYS
    }

    /// Where the finished mapping of `name` is kept, if it is.
    #[inline]
    pub(crate) fn find(&self, key: Key, name: &[u8]) -> Option<usize> {
        if self.ways.is_empty() {
            return None;
        }
        let set = self.set(key.tag);
        self.ways[set..set + WAYS]
            .iter()
            .position(|way| way.is(key.tag, key.kind, name))
            .map(|way| set + way)
    }

    /// The entry at `index` (from [`find`](Self::find) or [`slot`](Self::slot)).
    #[inline]
    pub(crate) fn entry(&self, index: usize) -> &Entry {
        self.ways.get(index).unwrap_or(&self.spare)
    }

    /// The entry at `index`, to update its hint.
    #[inline]
    pub(crate) fn entry_mut(&mut self, index: usize) -> &mut Entry {
        match self.ways.get_mut(index) {
            Some(entry) => entry,
            None => &mut self.spare,
        }
    }

    /// Keeps `hint` for tagged lines of entry `index` equal to `before ++ value ++ after`
    /// but for the value (see [`Entry::tagged_hint`]); the bytes are charged to the
    /// allowance, and not kept when it is used up or the line is longer than
    /// [`MAX_TAGGED_LINE`]. `label_count` is the number of labels the line's series has.
    pub(crate) fn remember_tagged(
        &mut self,
        index: usize,
        before: &[u8],
        after: &[u8],
        hint: SeriesHint,
        label_count: usize,
    ) {
        let Some(entry) = self.ways.get_mut(index) else {
            return;
        };
        entry.tagged_label_count = label_count;
        if entry.tagged_line.len() == before.len() + after.len()
            && entry.tagged_line.starts_with(before)
            && entry.tagged_line.ends_with(after)
            && entry.tagged_split == before.len()
        {
            entry.tagged_hint = hint;
            return;
        }
        let needed = before.len() + after.len();
        let grow = needed.saturating_sub(entry.tagged_line.capacity());
        if needed > MAX_TAGGED_LINE || (grow > 0 && !self.allowance.try_charge(grow)) {
            entry.tagged_line.clear();
            entry.tagged_hint.clear();
            return;
        }
        let before_capacity = entry.tagged_line.capacity();
        entry.tagged_line.clear();
        entry.tagged_line.reserve_exact(needed);
        entry.tagged_line.extend_from_slice(before);
        entry.tagged_line.extend_from_slice(after);
        entry.tagged_split = before.len();
        entry.tagged_hint = hint;
        // `try_charge` took `grow`; settle what the allocator actually gave.
        let actual = entry.tagged_line.capacity() - before_capacity;
        if actual >= grow {
            self.allowance.charge(actual - grow);
        } else {
            self.allowance.release(grow - actual);
        }
        self.charged += actual;
    }

    /// An entry to fill for `key` (`None`: build in the spare entry, not kept). Call
    /// [`commit`](Self::commit) once it is filled.
    pub(crate) fn slot(&mut self, key: Option<Key>) -> (usize, &mut Entry) {
        let Some(key) = key else {
            return (usize::MAX, &mut self.spare);
        };
        let total = self.ways.len();
        if total < self.capacity && self.filled >= total / 2 {
            self.grow();
        }
        if self.ways.is_empty() || self.allowance.exhausted() {
            return (usize::MAX, &mut self.spare);
        }
        let set = self.set(key.tag);
        let ways = &self.ways[set..set + WAYS];
        let way = ways
            .iter()
            .position(|w| w.tag == 0)
            // A full set: overwrite the way chosen by other bits of the hash.
            .unwrap_or((key.tag >> 1) as usize % WAYS);
        let index = set + way;
        let entry = &mut self.ways[index];
        if entry.tag != 0 {
            self.filled -= 1;
        }
        entry.tag = 0;
        entry.kind = key.kind;
        self.filling_from = entry.heap_bytes();
        (index, entry)
    }

    /// Charges what filling the slot allocated and makes it visible to
    /// [`find`](Self::find).
    pub(crate) fn commit(&mut self, index: usize, key: Option<Key>) {
        let Some(entry) = self.ways.get_mut(index) else {
            return;
        };
        // Buffers only grow, so this is what the fill allocated.
        let grown = entry.heap_bytes().saturating_sub(self.filling_from);
        self.allowance.charge(grown);
        self.charged += grown;
        if let Some(key) = key
            && entry.text_len() <= MAX_TEXT
        {
            entry.tag = key.tag;
            self.filled += 1;
        }
    }

    /// Twice as many sets (the first call allocates [`FIRST_SETS`]); entries move to
    /// their new sets.
    fn grow(&mut self) {
        let sets = (self.ways.len() / WAYS * 2)
            .max(FIRST_SETS)
            .min((self.capacity / WAYS).max(1))
            .next_power_of_two();
        let table_bytes = |ways: usize| ways * size_of::<Entry>();
        if !self.allowance.try_charge(table_bytes(sets * WAYS)) {
            return;
        }
        let old = std::mem::take(&mut self.ways);
        self.allowance.release(table_bytes(old.len()));
        self.charged = self.charged - table_bytes(old.len()) + table_bytes(sets * WAYS);
        // The buffers of entries that find no way in the new table are freed.
        let mut freed = 0;
        self.ways = (0..sets * WAYS).map(|_| Entry::default()).collect();
        self.mask = sets - 1;
        self.filled = 0;
        for entry in old {
            let set = self.set(entry.tag);
            match self.ways[set..set + WAYS].iter_mut().find(|w| w.tag == 0) {
                Some(slot) if entry.tag != 0 => {
                    *slot = entry;
                    self.filled += 1;
                }
                _ => freed += entry.heap_bytes(),
            }
        }
        self.allowance.release(freed);
        self.charged -= freed;
    }
}

/// Folded-multiply hash of a name (16 bytes per multiply), as in wyhash and foldhash.
///
/// Every read is a whole 8-byte word (the last words of a name overlap the ones before
/// them, as in foldhash) or, below 8 bytes, a 4-byte word or single bytes: copying a
/// partial word into a zeroed buffer took a `memcpy` call per name, a quarter of the
/// lookup.
#[inline]
fn hash(bytes: &[u8], seed: u64) -> u64 {
    const K0: u64 = 0x243f_6a88_85a3_08d3;
    const K1: u64 = 0x1319_8a2e_0370_7344;
    const K2: u64 = 0xa409_3822_299f_31d0;
    let fold = |a: u64, b: u64| {
        let product = u128::from(a) * u128::from(b);
        (product as u64) ^ ((product >> 64) as u64)
    };
    let word = |chunk: Option<&[u8; 8]>| chunk.map_or(0, |c| u64::from_le_bytes(*c));
    let half = |chunk: Option<&[u8; 4]>| chunk.map_or(0, |c| u64::from(u32::from_le_bytes(*c)));
    let len = bytes.len();
    let mut h = seed ^ K2 ^ (len as u64).wrapping_mul(K0);
    let (a, b) = if len > 16 {
        // Every whole 16 bytes but the last; the last 16 bytes (overlapping) below.
        let (pairs, _) = bytes[..len - 1].as_chunks::<16>();
        for pair in pairs {
            let (a, b) = pair.split_at(8);
            h = fold(word(a.first_chunk()) ^ h ^ K0, word(b.first_chunk()) ^ K1);
        }
        let tail = bytes.last_chunk::<16>().map(|t| t.split_at(8));
        (
            word(tail.and_then(|(a, _)| a.first_chunk())),
            word(tail.and_then(|(_, b)| b.first_chunk())),
        )
    } else if len >= 8 {
        (word(bytes.first_chunk()), word(bytes.last_chunk()))
    } else if len >= 4 {
        (half(bytes.first_chunk()), half(bytes.last_chunk()))
    } else if let (Some(first), Some(last)) = (bytes.first(), bytes.last()) {
        let middle = bytes.get(len / 2).copied().unwrap_or(0);
        (
            u64::from(*first) | u64::from(middle) << 8 | u64::from(*last) << 16,
            0,
        )
    } else {
        (0, 0)
    };
    h = fold(a ^ h ^ K0, b ^ K1);
    fold(h ^ K2, K0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill(cache: &mut Resolved, name: &str, rule: u32) {
        let key = cache.key(MetricKind::Counter, name.as_bytes());
        let (index, entry) = cache.slot(key);
        entry.start(name, Some(rule));
        entry.name_buffer().push_str("metric");
        entry.push_label("k", |out| out.push_str(name));
        cache.commit(index, key);
        assert_eq!(cache.entry(index).name(), "metric");
    }

    #[test]
    fn entries_come_back_and_stay_bounded() {
        let mut cache = Resolved::new(64, Allowance::new(SHARED_BYTES));
        for i in 0..1000 {
            fill(&mut cache, &format!("name.{i}"), i);
        }
        assert_eq!(cache.ways.len(), 64);
        assert!(cache.filled <= 64);
        let mut hits = 0;
        for i in 0..1000 {
            let name = format!("name.{i}");
            let key = cache.key(MetricKind::Counter, name.as_bytes()).unwrap();
            if let Some(index) = cache.find(key, name.as_bytes()) {
                let entry = cache.entry(index);
                hits += 1;
                assert_eq!(entry.rule, Some(i));
                assert_eq!(entry.name(), "metric");
                assert_eq!(entry.labels(), [("k".to_string(), name.clone())]);
            }
        }
        assert!(hits > 32 && hits <= 64, "{hits}");
        // The class is part of the key.
        let key = cache.key(MetricKind::Gauge, b"name.999").unwrap();
        assert!(cache.find(key, b"name.999").is_none());
        cache.reset(64);
        assert_eq!(cache.ways.len(), 64);
        let key = cache.key(MetricKind::Counter, b"name.999").unwrap();
        assert!(cache.find(key, b"name.999").is_none());
    }

    #[test]
    fn long_names_and_a_zero_capacity_are_not_kept() {
        let mut cache = Resolved::new(64, Allowance::new(SHARED_BYTES));
        assert!(
            cache
                .key(MetricKind::Counter, &[b'a'; MAX_NAME + 1])
                .is_none()
        );
        assert!(cache.key(MetricKind::Counter, &[b'a'; MAX_NAME]).is_some());
        let (index, entry) = cache.slot(None);
        entry.start("x", None);
        cache.commit(index, None);
        assert_eq!(cache.entry(index).name(), "");
        assert!(cache.ways.is_empty());
        assert!(
            Resolved::new(0, Allowance::new(SHARED_BYTES))
                .key(MetricKind::Counter, b"short")
                .is_none()
        );
    }

    #[test]
    fn tables_share_one_allowance_and_give_it_back() {
        let allowance = Allowance::new(64 * 1024);
        let mut tables: Vec<Resolved> = (0..8)
            .map(|_| Resolved::new(1024, Arc::clone(&allowance)))
            .collect();
        let long = "x".repeat(200);
        for (t, table) in tables.iter_mut().enumerate() {
            for i in 0..1000 {
                fill(table, &format!("{long}.{t}.{i}"), i);
            }
        }
        // Each table overshoots by at most the entry it was filling when the allowance ran
        // out (a few hundred bytes here).
        let used = allowance.used();
        assert!(used <= 64 * 1024 + 8 * 2048, "{used}");
        assert!(used >= 60 * 1024, "the allowance was not used: {used}");
        let kept: usize = tables.iter().map(|t| t.filled).sum();
        assert!(
            kept < 8 * 1000 / 4,
            "{kept} entries kept past the allowance"
        );
        // A name that is not kept still comes back filled from `slot` (the spare entry).
        let key = tables[0].key(MetricKind::Counter, b"fresh");
        let (index, entry) = tables[0].slot(key);
        entry.start("fresh", Some(7));
        tables[0].commit(index, key);
        assert_eq!(tables[0].entry(index).rule, Some(7));
        // The first table took most of it; dropping it gives that back.
        tables.remove(0);
        assert!(
            allowance.used() < used / 2,
            "{} of {used}",
            allowance.used()
        );
        tables.clear();
        assert_eq!(allowance.used(), 0);
    }

    #[test]
    fn every_byte_of_a_name_changes_its_hash() {
        // Names of every length up to past two 16-byte blocks; flipping any one byte
        // (including the ones only read by the overlapping last words) changes the hash.
        for len in 0..=40 {
            let name: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
            let base = hash(&name, 0);
            assert_ne!(base, hash(&name, 1), "len {len}: the seed (class) counts");
            for at in 0..len {
                let mut other = name.clone();
                other[at] ^= 0x20;
                assert_ne!(base, hash(&other, 0), "len {len}, byte {at}");
            }
            if len > 0 {
                assert_ne!(
                    base,
                    hash(&name[..len - 1], 0),
                    "len {len}: the length counts"
                );
            }
        }
    }

    #[test]
    fn charges_match_the_heap_held() {
        let allowance = Allowance::new(SHARED_BYTES);
        let mut table = Resolved::new(64, Arc::clone(&allowance));
        for i in 0..500 {
            fill(&mut table, &format!("name.{i}"), i);
        }
        let held: usize = table.ways.len() * size_of::<Entry>()
            + table.ways.iter().map(Entry::heap_bytes).sum::<usize>();
        assert_eq!(allowance.used(), held);
        table.reset(32);
        assert_eq!(allowance.used(), 0);
    }

    #[test]
    fn tagged_lines_are_kept_charged_and_bounded() {
        let allowance = Allowance::new(SHARED_BYTES);
        let mut table = Resolved::new(64, Arc::clone(&allowance));
        let owner = SeriesHint::new_owner();
        let mut hint = SeriesHint::new();
        for i in 0..300usize {
            let name = format!("name.{i}");
            fill(&mut table, &name, i as u32);
            let key = table.key(MetricKind::Counter, name.as_bytes()).unwrap();
            let Some(index) = table.find(key, name.as_bytes()) else {
                continue;
            };
            hint.set(owner, i as u128);
            // Longer and longer lines (regrowth), one past the bound.
            let after = "|c|#tag:".to_owned() + &"x".repeat(i * 2);
            table.remember_tagged(index, b"name:", after.as_bytes(), hint, 3);
            let kept = table.entry(index).tagged_hint(b"name:", after.as_bytes());
            assert_eq!(
                kept,
                (5 + after.len() <= MAX_TAGGED_LINE).then_some((hint, 3)),
                "{i}"
            );
            assert_eq!(table.entry(index).tagged_hint(b"name:", b"|c"), None);
            // The same line again only replaces the hint.
            hint.set(owner, 1_000 + i as u128);
            table.remember_tagged(index, b"name:", after.as_bytes(), hint, 4);
            if kept.is_some() {
                let again = table.entry(index).tagged_hint(b"name:", after.as_bytes());
                assert_eq!(again, Some((hint, 4)));
            }
        }
        let held: usize = table.ways.len() * size_of::<Entry>()
            + table.ways.iter().map(Entry::heap_bytes).sum::<usize>();
        assert_eq!(allowance.used(), held);
        drop(table);
        assert_eq!(allowance.used(), 0);
    }
}
