//! Series identity: a seeded 64-bit hash of the name and the sorted label pairs, computed
//! from borrowed strings so that finding an existing series allocates nothing.

use crate::sink::Label;

/// Multiplier of rustc's FxHash (v2): cheap and good enough once finished with a mixer.
const K: u64 = 0xf135_7aea_2e62_a9c5;

/// Hashes a series key. The seed is random per store so that crafted names cannot aim at
/// one bucket chain across restarts; collisions are resolved by comparing the key in place.
#[derive(Clone, Copy)]
pub(crate) struct SeriesHasher {
    state: u64,
    /// A second secret for the other operand of each multiplication, so that no string
    /// chosen without knowing the seeds can zero a product.
    secret: u64,
}

impl SeriesHasher {
    pub(crate) fn new(seed: u64) -> Self {
        SeriesHasher {
            state: seed,
            secret: fmix64(seed ^ K3) | 1,
        }
    }

    #[inline]
    fn add(&mut self, word: u64) {
        self.state = (self.state ^ word).wrapping_mul(K).rotate_left(23);
    }

    #[inline]
    fn bytes(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            self.add(read_u64(chunk));
        }
        // The length ends the string, so ("ab", "c") and ("a", "bc") differ.
        self.add(read_tail(chunks.remainder()) ^ ((bytes.len() as u64) << 56));
    }

    /// The hash of a name and its labels (unique names), independent of the labels'
    /// order: each pair is hashed on its own and the pair hashes are added. So finding an
    /// existing series needs no sorting; the key is still compared exactly afterwards.
    ///
    /// Strings are hashed whole with folded multiplications (foldhash's construction):
    /// a label whose name and value have up to 8 bytes each (most do) is 16 bytes or fewer
    /// and costs one multiplication; a longer one chains its value's hash on its name's.
    #[inline(always)]
    pub(crate) fn series<'l, 'a: 'l>(
        self,
        name: &str,
        labels: impl Iterator<Item = &'l Label<'a>>,
    ) -> u64 {
        let mut sum = 0u64;
        let mut count = 0u64;
        for label in labels {
            sum = sum.wrapping_add(pair(
                self.state,
                self.secret,
                label.name.as_bytes(),
                label.value.as_bytes(),
            ));
            count += 1;
        }
        let h = string(self.state ^ count, self.secret, name.as_bytes());
        fold(h ^ sum, self.secret ^ K2)
    }
    /// The hash of a label-name set (statsd_exporter keys its vectors by this).
    pub(crate) fn label_names<'a>(mut self, names: impl Iterator<Item = &'a str>) -> u64 {
        for name in names {
            self.bytes(name.as_bytes());
        }
        fmix64(self.state)
    }
}

#[inline]
fn read_u64(chunk: &[u8]) -> u64 {
    let mut word = [0u8; 8];
    word.copy_from_slice(&chunk[..8]);
    u64::from_le_bytes(word)
}

#[inline]
fn read_u32(chunk: &[u8]) -> u64 {
    let mut word = [0u8; 4];
    word.copy_from_slice(&chunk[..4]);
    u64::from(u32::from_le_bytes(word))
}

/// Up to 7 bytes as one word, with fixed-size (possibly overlapping) loads instead of a
/// variable-length copy, which would be a `memcpy` call. Same length, different bytes →
/// different words.
#[inline]
fn read_tail(rest: &[u8]) -> u64 {
    let len = rest.len();
    if len >= 4 {
        read_u32(rest) | (read_u32(&rest[len - 4..]) << 32)
    } else if len > 0 {
        u64::from(rest[0]) | (u64::from(rest[len / 2]) << 8) | (u64::from(rest[len - 1]) << 16)
    } else {
        0
    }
}

/// The hash of one label. Name and value of up to 8 bytes each are one word each (same
/// length, different bytes: different word) and share one folded multiplication, with
/// both lengths in it; longer labels hash the name, then the value seeded with it.
#[inline(always)]
fn pair(seed: u64, secret: u64, name: &[u8], value: &[u8]) -> u64 {
    let (name_len, value_len) = (name.len(), value.len());
    if name_len <= 8 && value_len <= 8 {
        let lens = ((name_len as u64) << 8 | value_len as u64).wrapping_mul(K);
        fold(short(name) ^ seed ^ K3, short(value) ^ secret ^ lens)
    } else {
        string(string(seed, secret, name), secret, value)
    }
}

/// Up to 8 bytes as one word (fixed-size, possibly overlapping loads).
#[inline]
fn short(bytes: &[u8]) -> u64 {
    let len = bytes.len();
    if len >= 4 {
        read_u32(bytes) | (read_u32(&bytes[len - 4..]) << 32)
    } else {
        read_tail(bytes)
    }
}

/// Second multiplier (the fractional digits of pi, as in foldhash).
const K2: u64 = 0x243f_6a88_85a3_08d3;
const K3: u64 = 0x1319_8a2e_0370_7344;

/// The folded multiplication: both halves of the 128-bit product xored, so every input bit
/// reaches the result (one `mul` instruction on x86-64 and aarch64).
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let product = u128::from(a) * u128::from(b);
    (product as u64) ^ ((product >> 64) as u64)
}

/// A seeded hash of one string. Up to 16 bytes: two (possibly overlapping) fixed-size loads
/// and one folded multiplication, no loop; longer strings fold 16 bytes at a time. The
/// length is mixed in, so overlapping loads of different lengths do not collide.
#[inline]
fn string(seed: u64, secret: u64, bytes: &[u8]) -> u64 {
    let len = bytes.len();
    let (a, b, seed) = if len <= 16 {
        if len >= 8 {
            (read_u64(bytes), read_u64(&bytes[len - 8..]), seed)
        } else if len >= 4 {
            (read_u32(bytes), read_u32(&bytes[len - 4..]), seed)
        } else {
            (read_tail(bytes), 0, seed)
        }
    } else {
        long(seed, secret, bytes)
    };
    fold(a ^ seed ^ K2, b ^ secret ^ (len as u64).wrapping_mul(K))
}

/// The loop of [`string`] for strings longer than 16 bytes: returns the last 16 bytes and
/// a seed that folded every 16-byte block before them.
fn long(mut seed: u64, secret: u64, bytes: &[u8]) -> (u64, u64, u64) {
    let len = bytes.len();
    let mut at = 0;
    while len - at > 16 {
        seed = fold(
            read_u64(&bytes[at..]) ^ seed ^ K2,
            read_u64(&bytes[at + 8..]) ^ secret,
        );
        at += 16;
    }
    (
        read_u64(&bytes[len - 16..]),
        read_u64(&bytes[len - 8..]),
        seed,
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_boundaries_matter() {
        let h = SeriesHasher::new(7);
        let a = h.series("m", [Label::new("ab", "c")].iter());
        let b = h.series("m", [Label::new("a", "bc")].iter());
        let c = h.series("ma", [Label::new("b", "c")].iter());
        assert_ne!(a, b);
        assert_ne!(a, c);
        assert_eq!(a, h.series("m", [Label::new("ab", "c")].iter()));
        let ab = [Label::new("a", "1"), Label::new("b", "2")];
        let ba = [Label::new("b", "2"), Label::new("a", "1")];
        assert_eq!(h.series("m", ab.iter()), h.series("m", ba.iter()));
        let swapped = [Label::new("a", "2"), Label::new("b", "1")];
        assert_ne!(h.series("m", ab.iter()), h.series("m", swapped.iter()));
        // Short labels (one multiplication) and long ones (two), at every length split.
        let text = "abcdefghijklmnopq";
        let mut seen = std::collections::HashSet::new();
        for split in 0..=text.len() {
            let (name, value) = text.split_at(split);
            assert!(seen.insert(h.series("m", [Label::new(name, value)].iter())));
        }
        for len in 0..=9 {
            let (name, value) = ("n", &text[..len]);
            assert!(seen.insert(h.series("m", [Label::new(name, value)].iter())));
            assert!(seen.insert(h.series("m", [Label::new(value, name)].iter())));
        }
    }

    #[test]
    fn label_name_hash_ignores_values() {
        let h = SeriesHasher::new(1);
        let x = h.label_names(["a", "b"].into_iter());
        assert_eq!(x, h.label_names(["a", "b"].into_iter()));
        assert_ne!(x, h.label_names(["a", "c"].into_iter()));
    }
}
