//! Series identity: a seeded 64-bit hash of the name and the sorted label pairs, computed
//! from borrowed strings so that finding an existing series allocates nothing.

use std::hash::{BuildHasherDefault, Hasher};

use crate::sink::Label;

/// Multiplier of rustc's FxHash (v2): cheap and good enough once finished with a mixer.
const K: u64 = 0xf135_7aea_2e62_a9c5;

/// Hashes a series key. The seed is random per store so that crafted names cannot aim at
/// one bucket chain across restarts; collisions are resolved by comparing the key in place.
#[derive(Clone, Copy)]
pub(crate) struct SeriesHasher {
    state: u64,
}

impl SeriesHasher {
    pub(crate) fn new(seed: u64) -> Self {
        SeriesHasher { state: seed }
    }

    #[inline]
    fn add(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(K).rotate_left(23);
    }

    #[inline]
    fn bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            self.add(u64::from_le_bytes(word));
        }
        let rest = chunks.remainder();
        let mut word = [0u8; 8];
        word[..rest.len()].copy_from_slice(rest);
        // The length ends the string, so ("ab", "c") and ("a", "bc") differ.
        self.add(u64::from_le_bytes(word) ^ ((bytes.len() as u64) << 56));
    }

    /// The hash of a name and its labels (sorted by name, unique).
    #[inline]
    pub(crate) fn series(mut self, name: &str, labels: &[Label<'_>]) -> u64 {
        self.bytes(name.as_bytes());
        for label in labels {
            self.bytes(label.name.as_bytes());
            self.bytes(label.value.as_bytes());
        }
        self.add(labels.len() as u64);
        fmix64(self.state)
    }

    /// The hash of a label-name set (statsd_exporter keys its vectors by this).
    pub(crate) fn label_names<'a>(mut self, names: impl Iterator<Item = &'a str>) -> u64 {
        for name in names {
            self.bytes(name.as_bytes());
        }
        fmix64(self.state)
    }
}

/// MurmurHash3's finaliser: every input bit affects every output bit, so both the shard
/// (high bits) and the table bucket (low bits) are well spread.
#[inline]
fn fmix64(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// A `Hasher` for keys that already are hashes.
#[derive(Default)]
pub(crate) struct PrehashedHasher(u64);

impl Hasher for PrehashedHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are used; fold anything else in rather than panic.
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

pub(crate) type Prehashed = BuildHasherDefault<PrehashedHasher>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_boundaries_matter() {
        let h = SeriesHasher::new(7);
        let a = h.series("m", &[Label::new("ab", "c")]);
        let b = h.series("m", &[Label::new("a", "bc")]);
        let c = h.series("ma", &[Label::new("b", "c")]);
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, h.series("m", &[Label::new("ab", "c")]));
    }

    #[test]
    fn label_name_hash_ignores_values() {
        let h = SeriesHasher::new(1);
        let x = h.label_names(["a", "b"].into_iter());
        assert_eq!(x, h.label_names(["a", "b"].into_iter()));
        assert_ne!(x, h.label_names(["a", "c"].into_iter()));
    }
}
