//! A bounded, sharded cache of lookup results keyed by (metric class, name).
//!
//! Each shard is a fixed-size, 4-way set-associative table behind a `RwLock`: the name
//! is hashed once, picks the shard and the set, and a hit compares at most four slots
//! and copies the capture ranges into the caller's buffer, without allocating. A miss
//! inserts under the write lock (allocating the key); when the set is full one of its
//! four slots is overwritten, so there is no recency bookkeeping that would need a write
//! on every hit (statsd_exporter's `random` cache makes the same trade). Misses are cached
//! too. Capacity is rounded up to a power of two.

use std::sync::RwLock;

use smallvec::SmallVec;

use crate::captures::{Span, SpanVec};
use crate::hash::hash_str;
use crate::kind::MetricKind;

const MAX_SHARDS: usize = 16;
const WAYS: usize = 4;

#[derive(Debug)]
struct Slot {
    hash: u64,
    kind: MetricKind,
    key: Box<str>,
    rule: u32,
    captures: SmallVec<[Span; 8]>,
}

#[derive(Debug)]
struct Shard {
    slots: Vec<Option<Slot>>,
}

#[derive(Debug)]
pub(crate) struct Cache {
    shards: Box<[RwLock<Shard>]>,
    /// `slots per shard - 1`.
    mask: usize,
}

/// What the cache knows about a name.
pub(crate) enum Cached {
    /// Not in the cache.
    Unknown,
    /// Looked up before: the rule (or `None` for unmapped); captures copied out.
    Known(Option<u32>),
}

impl Cache {
    pub(crate) fn new(capacity: usize) -> Cache {
        let total = capacity.max(WAYS).next_power_of_two();
        let shard_count = (total / WAYS).clamp(1, MAX_SHARDS).next_power_of_two();
        let per_shard = total / shard_count;
        let shards = (0..shard_count)
            .map(|_| {
                RwLock::new(Shard {
                    slots: (0..per_shard).map(|_| None).collect(),
                })
            })
            .collect();
        Cache {
            shards,
            mask: per_shard - 1,
        }
    }

    #[inline]
    fn hash(kind: MetricKind, name: &str) -> u64 {
        hash_str(name) ^ (kind as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    #[inline]
    fn shard(&self, hash: u64) -> &RwLock<Shard> {
        // The shard count is a power of two.
        &self.shards[(hash >> 56) as usize & (self.shards.len() - 1)]
    }

    #[inline]
    pub(crate) fn get(&self, kind: MetricKind, name: &str, out: &mut SpanVec) -> Cached {
        let hash = Cache::hash(kind, name);
        let Ok(shard) = self.shard(hash).read() else {
            return Cached::Unknown;
        };
        let base = hash as usize;
        for way in 0..WAYS {
            if let Some(slot) = &shard.slots[(base + way) & self.mask]
                && slot.hash == hash
                && slot.kind == kind
                && *slot.key == *name
            {
                out.clear();
                out.extend_from_slice(&slot.captures);
                return Cached::Known((slot.rule != u32::MAX).then_some(slot.rule));
            }
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
        let hash = Cache::hash(kind, name);
        let Ok(mut shard) = self.shard(hash).write() else {
            return;
        };
        let base = hash as usize;
        let free = (0..WAYS)
            .map(|way| (base + way) & self.mask)
            .find(|&i| match &shard.slots[i] {
                None => true,
                Some(slot) => slot.hash == hash && slot.kind == kind && *slot.key == *name,
            });
        // A full set: overwrite the way chosen by other hash bits (spreads evictions).
        let index = free.unwrap_or((base + (hash >> 32) as usize % WAYS) & self.mask);
        shard.slots[index] = Some(Slot {
            hash,
            kind,
            key: name.into(),
            rule: rule.unwrap_or(u32::MAX),
            captures: captures.iter().copied().collect(),
        });
    }

    /// Number of cached names.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .filter_map(|s| s.read().ok())
            .map(|s| s.slots.iter().filter(|slot| slot.is_some()).count())
            .sum()
    }
}
