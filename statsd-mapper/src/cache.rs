//! A bounded, sharded cache of lookup results keyed by (metric class, name).
//!
//! A hit takes one shard's read lock, finds the entry without building an owned key
//! and copies the capture ranges into the caller's buffer: no allocation. A miss inserts
//! under the write lock (allocating the key). When a shard is full an arbitrary entry is
//! evicted, like statsd_exporter's `random` cache: there is no recency bookkeeping that
//! would need a write on every hit. Misses are cached too.

use std::collections::HashMap;
use std::sync::RwLock;

use smallvec::SmallVec;

use crate::captures::{Span, SpanVec};
use crate::hash::{FastBuildHasher, hash_str};
use crate::kind::MetricKind;

const MAX_SHARDS: usize = 16;

#[derive(Clone, Debug)]
struct Entry {
    rule: u32,
    captures: SmallVec<[Span; 8]>,
}

type Shard = [HashMap<Box<str>, Entry, FastBuildHasher>; 3];

#[derive(Debug)]
pub(crate) struct Cache {
    shards: Box<[RwLock<Shard>]>,
    per_shard: usize,
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
        let shard_count = capacity.clamp(1, MAX_SHARDS);
        let per_shard = capacity.div_ceil(shard_count);
        let shards = (0..shard_count)
            .map(|_| RwLock::new(Default::default()))
            .collect();
        Cache { shards, per_shard }
    }

    #[inline]
    fn shard(&self, name: &str) -> &RwLock<Shard> {
        let hash = hash_str(name);
        &self.shards[(hash >> 32) as usize % self.shards.len()]
    }

    #[inline]
    pub(crate) fn get(&self, kind: MetricKind, name: &str, out: &mut SpanVec) -> Cached {
        let Ok(shard) = self.shard(name).read() else {
            return Cached::Unknown;
        };
        match shard[kind.index()].get(name) {
            Some(entry) => {
                out.clear();
                out.extend_from_slice(&entry.captures);
                Cached::Known((entry.rule != u32::MAX).then_some(entry.rule))
            }
            None => Cached::Unknown,
        }
    }

    pub(crate) fn insert(
        &self,
        kind: MetricKind,
        name: &str,
        rule: Option<u32>,
        captures: &[Span],
    ) {
        let Ok(mut shard) = self.shard(name).write() else {
            return;
        };
        let len: usize = shard.iter().map(HashMap::len).sum();
        if len >= self.per_shard {
            for map in shard.iter_mut() {
                let mut first = true;
                if map
                    .extract_if(|_, _| std::mem::take(&mut first))
                    .next()
                    .is_some()
                {
                    break;
                }
            }
        }
        let entry = Entry {
            rule: rule.unwrap_or(u32::MAX),
            captures: captures.iter().copied().collect(),
        };
        shard[kind.index()].insert(name.into(), entry);
    }

    /// Number of cached names.
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .filter_map(|s| s.read().ok())
            .map(|s| s.iter().map(HashMap::len).sum::<usize>())
            .sum()
    }
}
