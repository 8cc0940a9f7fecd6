//! A shard's index from series hash to the first slot of that hash's chain: open
//! addressing with linear probing over `(hash, slot)` buckets.
//!
//! The keys already are good 64-bit hashes, so a lookup is one masked load and one
//! comparison when the series sits in its home bucket (most do at a load of at most ¾),
//! where a general map probes control bytes first and then the bucket: two cache lines
//! and about twenty more instructions per sample. Removal shifts the following entries
//! back (no tombstones), so probe sequences never grow with churn.

/// Marks a free bucket (never a slot number: slots are `u32` indexes below it).
const EMPTY: u32 = u32::MAX;

#[derive(Debug, Default)]
pub(crate) struct Index {
    /// `(hash, slot)`, `slot == EMPTY` for a free bucket; the length is 0 or a power of two.
    buckets: Box<[(u64, u32)]>,
    len: usize,
}

impl Index {
    #[inline]
    fn mask(&self) -> usize {
        self.buckets.len().wrapping_sub(1)
    }

    /// The slot stored for `hash`.
    #[inline]
    pub(crate) fn get(&self, hash: u64) -> Option<u32> {
        let mask = self.mask();
        let mut at = hash as usize & mask;
        loop {
            let &(h, slot) = self.buckets.get(at)?;
            if slot == EMPTY {
                return None;
            }
            if h == hash {
                return Some(slot);
            }
            at = (at + 1) & mask;
        }
    }

    /// Stores `slot` for `hash`; returns the slot it replaces.
    pub(crate) fn insert(&mut self, hash: u64, slot: u32) -> Option<u32> {
        debug_assert_ne!(slot, EMPTY);
        if (self.len + 1) * 4 > self.buckets.len() * 3 {
            self.grow();
        }
        let mask = self.mask();
        let mut at = hash as usize & mask;
        loop {
            let bucket = &mut self.buckets[at];
            if bucket.1 == EMPTY {
                *bucket = (hash, slot);
                self.len += 1;
                return None;
            }
            if bucket.0 == hash {
                return Some(std::mem::replace(&mut bucket.1, slot));
            }
            at = (at + 1) & mask;
        }
    }

    /// Removes `hash`; returns its slot.
    pub(crate) fn remove(&mut self, hash: u64) -> Option<u32> {
        let mask = self.mask();
        let mut at = hash as usize & mask;
        let removed = loop {
            let &(h, slot) = self.buckets.get(at)?;
            if slot == EMPTY {
                return None;
            }
            if h == hash {
                break slot;
            }
            at = (at + 1) & mask;
        };
        // Backward shift: an entry after the hole moves into it unless its home bucket lies
        // (cyclically) after the hole, where a lookup starting at home would not pass it.
        let mut hole = at;
        let mut next = at;
        loop {
            next = (next + 1) & mask;
            let (h, slot) = self.buckets[next];
            if slot == EMPTY {
                break;
            }
            let home = h as usize & mask;
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(hole) & mask {
                self.buckets[hole] = (h, slot);
                hole = next;
            }
        }
        self.buckets[hole] = (0, EMPTY);
        self.len -= 1;
        Some(removed)
    }

    #[cold]
    fn grow(&mut self) {
        let capacity = (self.buckets.len() * 2).max(8);
        let old = std::mem::replace(&mut self.buckets, vec![(0, EMPTY); capacity].into());
        self.len = 0;
        for (hash, slot) in old.iter().copied().filter(|b| b.1 != EMPTY) {
            self.insert(hash, slot);
        }
    }

    /// Heap bytes of the buckets.
    pub(crate) fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.buckets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn behaves_like_a_map_under_churn() {
        let mut index = Index::default();
        let mut model: HashMap<u64, u32> = HashMap::new();
        let mut state = 0x853c_49e6_748f_ea9bu64;
        for step in 0..200_000u32 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            // Few distinct low bits among many keys: long probe runs that wrap around,
            // and removals in the middle of them.
            let key = (state % 512) | ((state >> 40) % 4) << 20;
            match state >> 61 {
                0..=3 => assert_eq!(index.insert(key, step), model.insert(key, step)),
                4..=5 => assert_eq!(index.remove(key), model.remove(&key)),
                _ => assert_eq!(index.get(key), model.get(&key).copied()),
            }
            assert_eq!(index.len, model.len());
        }
        for (key, slot) in &model {
            assert_eq!(index.get(*key), Some(*slot));
        }
        assert_eq!(Index::default().get(7), None);
        assert_eq!(Index::default().remove(7), None);
    }
}
