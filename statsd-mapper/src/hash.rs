//! Small, fast, non-cryptographic hashing for component and cache keys.
//!
//! Keys are metric names sent by trusted applications; SipHash's DoS resistance costs
//! more than a trie lookup itself. [`FastHasher`] is the FxHash mixing step used by
//! rustc (for `HashMap`s); [`hash_bytes`] hashes a whole name 16 bytes per multiply
//! (the folded multiply of wyhash and foldhash), for the cache.

use core::hash::{BuildHasherDefault, Hasher};

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
const K0: u64 = 0x243f_6a88_85a3_08d3;
const K1: u64 = 0x1319_8a2e_0370_7344;

/// FxHash-style hasher: a rotate, xor and multiply per 8 bytes.
#[derive(Default, Clone, Copy)]
pub(crate) struct FastHasher {
    hash: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(load(chunk));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            self.add(tail_word(bytes, bytes.len() - rest.len()) ^ ((rest.len() as u64) << 56));
        }
    }

    #[inline]
    fn write_u8(&mut self, byte: u8) {
        self.add(u64::from(byte));
    }

    #[inline]
    fn write_usize(&mut self, value: usize) {
        self.add(value as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// `BuildHasher` for `HashMap`s keyed by names.
pub(crate) type FastBuildHasher = BuildHasherDefault<FastHasher>;

/// Eight bytes, little-endian. `chunk` must hold at least 8 bytes.
#[inline(always)]
pub(crate) fn load(chunk: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&chunk[..8]);
    u64::from_le_bytes(word)
}

/// `bytes[from..]` (at most 8 bytes) as a little-endian word, zero-padded. Reads the
/// last eight bytes of `bytes` at once when there are that many (no byte loop).
#[inline(always)]
pub(crate) fn tail_word(bytes: &[u8], from: usize) -> u64 {
    let len = bytes.len();
    debug_assert!(len - from <= 8);
    if len >= 8 {
        let shift = 8 * (8 - (len - from)) as u32;
        load(&bytes[len - 8..]).checked_shr(shift).unwrap_or(0)
    } else {
        bytes[from..]
            .iter()
            .rev()
            .fold(0u64, |word, &b| (word << 8) | u64::from(b))
    }
}

#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a).wrapping_mul(u128::from(b));
    (product as u64) ^ ((product >> 64) as u64)
}

/// Hashes `bytes` (and `seed`): one folded 64×64→128 multiply per 16 bytes.
#[inline]
pub(crate) fn hash_bytes(bytes: &[u8], seed: u64) -> u64 {
    let mut hash = seed ^ (bytes.len() as u64).wrapping_mul(K0);
    let (chunks, rest) = bytes.as_chunks::<16>();
    for chunk in chunks {
        let [a, b] = *chunk.as_chunks::<8>().0 else {
            unreachable!("16 bytes are two words")
        };
        hash = fold(u64::from_le_bytes(a) ^ hash, u64::from_le_bytes(b) ^ K1);
    }
    let rest = rest.len();
    if rest > 0 {
        let from = bytes.len() - rest;
        let (a, b) = if rest > 8 {
            (load(&bytes[from..]), tail_word(bytes, from + 8))
        } else {
            (tail_word(bytes, from), 0)
        };
        hash = fold(a ^ hash, b ^ K1);
    }
    fold(hash, SEED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_word_pads_with_zeros() {
        assert_eq!(tail_word(b"abc", 1), u64::from_le_bytes(*b"bc\0\0\0\0\0\0"));
        assert_eq!(
            tail_word(b"0123456789", 7),
            u64::from_le_bytes(*b"789\0\0\0\0\0")
        );
        assert_eq!(tail_word(b"01234567", 0), u64::from_le_bytes(*b"01234567"));
        assert_eq!(tail_word(b"01234567", 8), 0);
    }

    #[test]
    fn hash_depends_on_every_byte_and_the_length() {
        let base = b"Mastodon.production.web.Api.V1.Timelines.HomeController.show.json";
        let h = hash_bytes(base, 0);
        for i in 0..base.len() {
            let mut changed = base.to_vec();
            changed[i] ^= 1;
            assert_ne!(hash_bytes(&changed, 0), h, "byte {i}");
        }
        for len in 0..base.len() {
            assert_ne!(hash_bytes(&base[..len], 0), h);
        }
        assert_ne!(hash_bytes(b"a\0", 0), hash_bytes(b"a", 0));
        assert_ne!(hash_bytes(base, 1), h);
    }
}
