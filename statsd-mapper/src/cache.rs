//! A bounded cache of lookup results keyed by (metric class, name), read without locks.
//!
//! A fixed-size, 4-way set-associative table. The name is hashed once
//! ([`hash_bytes`], 16 bytes per multiply) to pick a set; the set's four tags sit
//! together, and a hit compares the key word by word and copies the capture ranges
//! into the caller's buffer, without allocating.
//!
//! Each set is a sequence lock: readers take no lock and write nothing (no atomic
//! read-modify-write, so readers on different cores never bounce a cache line between
//! them). A reader loads the set's sequence number, reads the entry, then checks that
//! the number has not changed and was even (no writer in between); otherwise it treats
//! the lookup as a miss. Entries live in atomics (relaxed loads are plain loads), which
//! keeps this free of `unsafe`. A writer (a miss) claims the set with one
//! compare-and-swap that makes the number odd; if another writer holds it the insert is
//! simply skipped. When the set is full one of its four ways is overwritten, so there is
//! no recency bookkeeping that would need a write on every hit (statsd_exporter's
//! `random` cache makes the same trade). Misses are cached too.
//!
//! Keys live inline: names up to [`KEY_BYTES`] bytes whose result has at most
//! [`MAX_SPANS`] capture ranges are cached; others are looked up every time. Capacity is
//! rounded up to a power of two; each entry takes about 270 bytes.

use std::sync::atomic::{AtomicU64, Ordering, fence};

use crate::captures::{Span, SpanVec};
use crate::hash::{hash_bytes, load, tail_word};
use crate::kind::MetricKind;

const WAYS: usize = 4;
const KEY_WORDS: usize = 16;
/// Longest cached name.
pub(crate) const KEY_BYTES: usize = KEY_WORDS * 8;
/// Most capture ranges (whole match included) of a cached result.
pub(crate) const MAX_SPANS: usize = 16;
const NO_RULE: u64 = u32::MAX as u64;

#[derive(Debug)]
struct Way {
    /// rule (bits 0..32, `u32::MAX` = unmapped) | name length (32..48) | class (48..56)
    /// | number of spans (56..64).
    meta: AtomicU64,
    /// The name, little-endian words, zero-padded.
    key: [AtomicU64; KEY_WORDS],
    spans: [AtomicU64; MAX_SPANS],
}

#[derive(Debug)]
struct Set {
    /// Even: stable; odd: a writer is changing the set.
    seq: AtomicU64,
    /// Hash of each way's key with the low bit set; 0 = empty.
    tags: [AtomicU64; WAYS],
    ways: [Way; WAYS],
}

impl Set {
    fn new() -> Set {
        Set {
            seq: AtomicU64::new(0),
            tags: [const { AtomicU64::new(0) }; WAYS],
            ways: std::array::from_fn(|_| Way {
                meta: AtomicU64::new(0),
                key: [const { AtomicU64::new(0) }; KEY_WORDS],
                spans: [const { AtomicU64::new(0) }; MAX_SPANS],
            }),
        }
    }
}

#[derive(Debug)]
pub(crate) struct Cache {
    sets: Box<[Set]>,
    /// `sets - 1` (a power of two minus one).
    mask: usize,
}

/// What the cache knows about a name.
pub(crate) enum Cached {
    /// Not in the cache.
    Unknown,
    /// Looked up before: the rule (or `None` for unmapped); captures copied out.
    Known(Option<u32>),
}

/// Length and class as they sit in bits 32..56 of `Way::meta`.
#[inline(always)]
fn identity(kind: MetricKind, len: usize) -> u64 {
    (len as u64) | ((kind as u64) << 16)
}

/// Whether the way's key words equal `bytes` (whose length is already known to match).
#[inline(always)]
fn key_equals(key: &[AtomicU64; KEY_WORDS], bytes: &[u8]) -> bool {
    let (chunks, rest) = bytes.as_chunks::<8>();
    let mut diff = 0;
    for (chunk, word) in chunks.iter().zip(key) {
        diff |= u64::from_le_bytes(*chunk) ^ word.load(Ordering::Relaxed);
    }
    let full = chunks.len();
    if !rest.is_empty() {
        diff |= tail_word(bytes, full * 8) ^ key[full].load(Ordering::Relaxed);
    }
    diff == 0
}

impl Cache {
    pub(crate) fn new(capacity: usize) -> Cache {
        let total = capacity.max(WAYS).next_power_of_two();
        let sets = total / WAYS;
        Cache {
            sets: (0..sets).map(|_| Set::new()).collect(),
            mask: sets - 1,
        }
    }

    #[inline(always)]
    fn hash(kind: MetricKind, name: &str) -> u64 {
        hash_bytes(name.as_bytes(), kind as u64)
    }

    #[inline]
    pub(crate) fn get(&self, kind: MetricKind, name: &str, out: &mut SpanVec) -> Cached {
        let bytes = name.as_bytes();
        if bytes.len() > KEY_BYTES {
            return Cached::Unknown;
        }
        let hash = Cache::hash(kind, name);
        let set = &self.sets[hash as usize & self.mask];
        let tag = hash | 1;
        let before = set.seq.load(Ordering::Acquire);
        if before & 1 != 0 {
            return Cached::Unknown;
        }
        for w in 0..WAYS {
            if set.tags[w].load(Ordering::Relaxed) != tag {
                continue;
            }
            let way = &set.ways[w];
            let meta = way.meta.load(Ordering::Relaxed);
            if (meta >> 32) & 0xff_ffff != identity(kind, bytes.len())
                || !key_equals(&way.key, bytes)
            {
                continue;
            }
            let count = ((meta >> 56) as usize).min(MAX_SPANS);
            out.clear();
            out.extend(
                way.spans[..count]
                    .iter()
                    .map(|span| Span::from_bits(span.load(Ordering::Relaxed))),
            );
            // Order the loads above before the second read of the sequence number.
            fence(Ordering::Acquire);
            if set.seq.load(Ordering::Relaxed) != before {
                return Cached::Unknown;
            }
            let rule = meta as u32;
            return Cached::Known((rule != u32::MAX).then_some(rule));
        }
        Cached::Unknown
    }

    pub(crate) fn insert(
        &self,
        kind: MetricKind,
        name: &str,
        rule: Option<u32>,
        captures: &[Span],
    ) {
        let bytes = name.as_bytes();
        if bytes.len() > KEY_BYTES || captures.len() > MAX_SPANS {
            return;
        }
        let hash = Cache::hash(kind, name);
        let set = &self.sets[hash as usize & self.mask];
        let tag = hash | 1;
        let before = set.seq.load(Ordering::Relaxed);
        if before & 1 != 0
            || set
                .seq
                .compare_exchange(before, before + 1, Ordering::Acquire, Ordering::Relaxed)
                .is_err()
        {
            // Another writer is busy with this set: the cache is best effort.
            return;
        }
        // The odd sequence number becomes visible before any of the stores below.
        fence(Ordering::Release);
        let identity = identity(kind, bytes.len());
        let same = |w: usize| {
            set.tags[w].load(Ordering::Relaxed) == tag
                && (set.ways[w].meta.load(Ordering::Relaxed) >> 32) & 0xff_ffff == identity
                && key_equals(&set.ways[w].key, bytes)
        };
        let index = (0..WAYS)
            .find(|&w| same(w))
            .or_else(|| (0..WAYS).find(|&w| set.tags[w].load(Ordering::Relaxed) == 0))
            // A full set: overwrite the way chosen by other hash bits.
            .unwrap_or((hash >> 32) as usize % WAYS);
        let way = &set.ways[index];
        let rule = rule.map_or(NO_RULE, u64::from);
        way.meta.store(
            rule | (identity << 32) | ((captures.len() as u64) << 56),
            Ordering::Relaxed,
        );
        let mut chunks = bytes.chunks_exact(8);
        for (chunk, word) in (&mut chunks).zip(&way.key) {
            word.store(load(chunk), Ordering::Relaxed);
        }
        let full = bytes.len() / 8;
        if !chunks.remainder().is_empty() {
            way.key[full].store(tail_word(bytes, full * 8), Ordering::Relaxed);
        }
        for (span, slot) in captures.iter().zip(&way.spans) {
            slot.store(span.to_bits(), Ordering::Relaxed);
        }
        set.tags[index].store(tag, Ordering::Relaxed);
        set.seq.store(before + 2, Ordering::Release);
    }

    /// Number of cached names.
    pub(crate) fn len(&self) -> usize {
        self.sets
            .iter()
            .flat_map(|set| &set.tags)
            .filter(|tag| tag.load(Ordering::Relaxed) != 0)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_return_what_was_inserted() {
        let cache = Cache::new(8);
        let mut out = SpanVec::new();
        let name = "Mastodon.production.web.HomeController.index.html.status.200";
        assert!(matches!(
            cache.get(MetricKind::Counter, name, &mut out),
            Cached::Unknown
        ));
        let spans = [Span::new(0, name.len()), Span::new(24, 38)];
        cache.insert(MetricKind::Counter, name, Some(7), &spans);
        assert!(matches!(
            cache.get(MetricKind::Counter, name, &mut out),
            Cached::Known(Some(7))
        ));
        assert_eq!(&out[..], &spans);
        // Class, length and every byte are part of the key.
        assert!(matches!(
            cache.get(MetricKind::Gauge, name, &mut out),
            Cached::Unknown
        ));
        assert!(matches!(
            cache.get(MetricKind::Counter, &name[..name.len() - 1], &mut out),
            Cached::Unknown
        ));
        cache.insert(MetricKind::Gauge, "short", None, &[]);
        assert!(matches!(
            cache.get(MetricKind::Gauge, "short", &mut out),
            Cached::Known(None)
        ));
        assert!(out.is_empty());
        assert!(matches!(
            cache.get(MetricKind::Gauge, "shorT", &mut out),
            Cached::Unknown
        ));
        assert_eq!(cache.len(), 2);
    }

    #[test]
    fn long_names_and_many_captures_are_not_cached() {
        let cache = Cache::new(8);
        let mut out = SpanVec::new();
        let long = "a".repeat(KEY_BYTES + 1);
        cache.insert(MetricKind::Counter, &long, Some(1), &[]);
        assert!(matches!(
            cache.get(MetricKind::Counter, &long, &mut out),
            Cached::Unknown
        ));
        let longest = "a".repeat(KEY_BYTES);
        cache.insert(MetricKind::Counter, &longest, Some(1), &[]);
        assert!(matches!(
            cache.get(MetricKind::Counter, &longest, &mut out),
            Cached::Known(Some(1))
        ));
        let many = [Span::new(0, 1); MAX_SPANS + 1];
        cache.insert(MetricKind::Counter, "many", Some(2), &many);
        assert!(matches!(
            cache.get(MetricKind::Counter, "many", &mut out),
            Cached::Unknown
        ));
    }

    #[test]
    fn a_full_set_evicts_and_stays_bounded() {
        let cache = Cache::new(4);
        let mut out = SpanVec::new();
        for i in 0..100 {
            cache.insert(MetricKind::Counter, &format!("name.{i}"), Some(i), &[]);
        }
        assert_eq!(cache.len(), 4);
        let hits = (0..100)
            .filter(|i| {
                matches!(
                    cache.get(MetricKind::Counter, &format!("name.{i}"), &mut out),
                    Cached::Known(Some(r)) if r == *i
                )
            })
            .count();
        assert_eq!(hits, 4);
    }
}
