//! 16-byte blocks as bit masks: SSE2 on x86-64, SWAR elsewhere.
//!
//! The hot path's byte scans want, for a run of bytes, one bit per byte that equals
//! a delimiter: the name scan (its `:`, the tag delimiters `# , [ ]`, non-ASCII
//! bytes), the `|#` list's mask pass (`:`, `,`, `|`, `#`), the `|c:` container id's
//! end and a packet's line ends. SSE2 gives that for 16 bytes in two instructions
//! (`pcmpeqb` compares the 16 lanes, `pmovmskb` gathers their results into the low
//! 16 bits of a register; `pmovmskb` of the bytes themselves gives the non-ASCII
//! lanes), where the portable word-at-a-time code needs about six operations and a
//! multiplication per 8 bytes and per delimiter. LLVM does not turn portable byte
//! comparisons into these instructions (every form tried gave partly scalar code of
//! 30–80 instructions per 16 bytes), and `std::arch` offers them only as
//! `#[target_feature(enable = "sse2")]` functions, which need `unsafe` to call even
//! where the target enables SSE2.
//!
//! The interface is three functions of a `&[u8; 16]` ([`eq_masks`]: one mask per
//! byte of a list, one load serving every test; [`eq_any_mask`]: lanes equal to any
//! of them; [`high_mask`]: non-ASCII lanes) and two ways to get blocks from a slice
//! ([`block_at`] for whole blocks, [`last_block`] for the last 1–15 bytes: the last
//! 16 bytes of the slice with the lanes already read shifted out of the masks, or a
//! zero-padded copy of a shorter slice). Callers shift each mask right by the
//! `skip` that [`last_block`] returns.
//!
//! # Safety
//!
//! This module holds the crate's only `unsafe` code: three `unsafe` blocks, in
//! `sse2::eq_masks`, `sse2::eq_any_mask` and `sse2::high_mask`, each the call of one
//! `#[target_feature(enable = "sse2")]` function of this module and nothing else.
//! Those functions have safe signatures (a `&[u8; 16]` and bytes in, integers out)
//! and safe bodies (`std::arch` calls by value; the block is read as two
//! `i64::from_le_bytes`, which LLVM fuses into one `movdqu`): no raw pointer, no
//! transmute, no memory access but through the reference. The one requirement such a
//! call has is that the CPU running it supports SSE2, and SSE2 is part of the x86-64
//! baseline (every x86-64 CPU has it); the SSE2 code is compiled only under
//! `cfg(all(target_arch = "x86_64", target_feature = "sse2"))`, so a target without
//! it (a custom target spec, say) gets the portable code instead. The crate denies
//! `unsafe_code`; each block allows it alone, with a `SAFETY` comment.
//!
//! # Portable form and tests
//!
//! Elsewhere the same functions are built from the word-at-a-time (SWAR) tests of
//! [`crate::scan`] (an exact per-lane equality, then one multiplication gathers the 8
//! lane bits of a word). The unit tests compile the portable form on every target
//! and compare both forms with a byte loop (fixed blocks with the delimiters'
//! neighbours in every lane, and proptests); `RUSTFLAGS="--cfg
//! statsd_proto_portable" cargo test -p statsd-proto` builds the portable form on
//! x86-64 too and runs the whole suite on it.

#[cfg(any(
    test,
    not(all(
        target_arch = "x86_64",
        target_feature = "sse2",
        not(statsd_proto_portable)
    ))
))]
use crate::scan::{HIGH, splat};

/// Bytes per block.
pub(crate) const WIDTH: usize = 16;

/// A run of 16 bytes; lane `k` (bit `k` of a mask) is byte `k`.
pub(crate) type Block = [u8; WIDTH];

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "sse2",
    not(statsd_proto_portable)
))]
pub(crate) use sse2::{eq_any_mask, eq_masks, high_mask};
#[cfg(not(all(
    target_arch = "x86_64",
    target_feature = "sse2",
    not(statsd_proto_portable)
)))]
pub(crate) use swar::{eq_any_mask, eq_masks, high_mask};

/// The block of `s` starting at `i`, when `s` has 16 bytes there.
#[inline(always)]
pub(crate) fn block_at(s: &[u8], i: usize) -> Option<&Block> {
    s.get(i..i + WIDTH)?.try_into().ok()
}

/// The block holding the last `s.len() - i` bytes of `s` (1 to 15 of them, `i` past
/// the whole blocks read), and how many of its low lanes come before `i`: shift its
/// masks right by that many bits, and the lanes past the end of `s` are 0.
///
/// A slice of 16 bytes or more gives its last 16 bytes (the lanes before `i` were
/// read already); a shorter one, zero-padded, from two word loads (no
/// variable-length copy, which is a `memcpy` call).
#[inline(always)]
pub(crate) fn last_block(s: &[u8], i: usize) -> (Block, u32) {
    let mut b = [0u8; WIDTH];
    match s.len().checked_sub(WIDTH) {
        Some(at) => {
            b.copy_from_slice(&s[at..]);
            (b, (i - at) as u32)
        }
        None => {
            let (lo, hi) = b.split_at_mut(8);
            lo.copy_from_slice(&crate::scan::load(s, 0).to_le_bytes());
            hi.copy_from_slice(&crate::scan::load(s, 8).to_le_bytes());
            (b, 0)
        }
    }
}

/// The block as two little-endian words.
#[inline(always)]
fn words(b: &Block) -> [u64; 2] {
    let [
        l0,
        l1,
        l2,
        l3,
        l4,
        l5,
        l6,
        l7,
        h0,
        h1,
        h2,
        h3,
        h4,
        h5,
        h6,
        h7,
    ] = *b;
    [
        u64::from_le_bytes([l0, l1, l2, l3, l4, l5, l6, l7]),
        u64::from_le_bytes([h0, h1, h2, h3, h4, h5, h6, h7]),
    ]
}

#[cfg(all(
    target_arch = "x86_64",
    target_feature = "sse2",
    not(statsd_proto_portable)
))]
mod sse2 {
    use super::{Block, words};
    use core::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set_epi64x, _mm_set1_epi8,
        _mm_setzero_si128,
    };

    /// The block in a vector register. Two 8-byte loads that LLVM fuses into one
    /// `movdqu`: no raw pointer needed.
    #[inline]
    #[target_feature(enable = "sse2")]
    fn vector(b: &Block) -> __m128i {
        let [lo, hi] = words(b);
        _mm_set_epi64x(hi as i64, lo as i64)
    }

    /// Lane equality with `c`, all bits of an equal lane set (`pcmpeqb`).
    #[inline]
    #[target_feature(enable = "sse2")]
    fn equal(v: __m128i, c: u8) -> __m128i {
        _mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8))
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn eq_masks_sse2<const N: usize>(b: &Block, bytes: [u8; N]) -> [u32; N] {
        let v = vector(b);
        bytes.map(|c| _mm_movemask_epi8(equal(v, c)) as u32)
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn eq_any_mask_sse2<const N: usize>(b: &Block, bytes: [u8; N]) -> u32 {
        let v = vector(b);
        let any = bytes
            .into_iter()
            .fold(_mm_setzero_si128(), |any, c| _mm_or_si128(any, equal(v, c)));
        _mm_movemask_epi8(any) as u32
    }

    #[inline]
    #[target_feature(enable = "sse2")]
    fn high_mask_sse2(b: &Block) -> u32 {
        // `pmovmskb` gathers each lane's high bit: exactly the non-ASCII lanes.
        _mm_movemask_epi8(vector(b)) as u32
    }

    /// For each byte of `bytes`, the mask of the lanes of `b` equal to it (one load
    /// serves every test: `movdqu`, then `pcmpeqb` and `pmovmskb` per byte).
    #[inline(always)]
    pub(crate) fn eq_masks<const N: usize>(b: &Block, bytes: [u8; N]) -> [u32; N] {
        // SAFETY: the one requirement of a `#[target_feature(enable = "sse2")]`
        // function is a CPU with SSE2, which every x86-64 CPU has (this module is
        // compiled only when the target enables `sse2`). The callee takes a reference
        // and values and touches no memory but through the reference.
        #[allow(unsafe_code)]
        unsafe {
            eq_masks_sse2(b, bytes)
        }
    }

    /// The mask of the lanes of `b` equal to any byte of `bytes`.
    #[inline(always)]
    pub(crate) fn eq_any_mask<const N: usize>(b: &Block, bytes: [u8; N]) -> u32 {
        // SAFETY: as in `eq_masks`: SSE2 is part of the x86-64 baseline, and the
        // callee takes a reference and values only.
        #[allow(unsafe_code)]
        unsafe {
            eq_any_mask_sse2(b, bytes)
        }
    }

    /// The mask of the lanes of `b` with the high bit set (non-ASCII bytes).
    #[inline(always)]
    pub(crate) fn high_mask(b: &Block) -> u32 {
        // SAFETY: as in `eq_masks`: SSE2 is part of the x86-64 baseline, and the
        // callee takes a reference only.
        #[allow(unsafe_code)]
        unsafe {
            high_mask_sse2(b)
        }
    }
}

/// The same functions from 8-byte words: an exact per-lane equality test, then one
/// multiplication gathers the 8 lane bits.
#[cfg(any(
    test,
    not(all(
        target_arch = "x86_64",
        target_feature = "sse2",
        not(statsd_proto_portable)
    ))
))]
mod swar {
    use super::{Block, HIGH, splat, words};

    const LO7: u64 = !HIGH;

    /// High bit set in each lane of `w` equal to `c`, exactly (no borrows).
    #[inline(always)]
    fn equal(w: u64, c: u8) -> u64 {
        let v = w ^ splat(c);
        !(((v & LO7) + LO7) | v | LO7)
    }

    /// The high bits of the 8 lanes of `m` as 8 bits, lane 0 lowest: one
    /// multiplication gathers them in the top byte.
    #[inline(always)]
    fn gather(m: u64) -> u32 {
        (((m >> 7).wrapping_mul(0x0102_0408_1020_4080)) >> 56) as u32
    }

    /// Lane masks of both words, lane 0 lowest.
    #[inline(always)]
    fn mask(b: &Block, lanes: impl Fn(u64) -> u64) -> u32 {
        let [lo, hi] = words(b);
        gather(lanes(lo)) | gather(lanes(hi)) << 8
    }

    #[inline(always)]
    pub(crate) fn eq_masks<const N: usize>(b: &Block, bytes: [u8; N]) -> [u32; N] {
        bytes.map(|c| mask(b, |w| equal(w, c)))
    }

    #[inline(always)]
    pub(crate) fn eq_any_mask<const N: usize>(b: &Block, bytes: [u8; N]) -> u32 {
        mask(b, |w| bytes.iter().fold(0, |any, &c| any | equal(w, c)))
    }

    #[inline(always)]
    pub(crate) fn high_mask(b: &Block) -> u32 {
        mask(b, |w| w & HIGH)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The masks as a byte loop computes them.
    fn naive(b: &Block, bytes: &[u8]) -> u32 {
        (0..WIDTH)
            .filter(|&k| bytes.contains(&b[k]))
            .map(|k| 1 << k)
            .sum()
    }

    fn naive_high(b: &Block) -> u32 {
        (0..WIDTH).filter(|&k| b[k] >= 0x80).map(|k| 1 << k).sum()
    }

    /// Both implementations (the portable one is compiled for tests everywhere)
    /// against the byte loop.
    fn check(b: &Block, bytes: [u8; 4]) {
        let [a, c, d, e] = bytes;
        let expected = [
            naive(b, &[a]),
            naive(b, &[c]),
            naive(b, &[d]),
            naive(b, &[e]),
        ];
        assert_eq!(eq_masks(b, bytes), expected, "{b:?} {bytes:?}");
        assert_eq!(swar::eq_masks(b, bytes), expected, "{b:?} {bytes:?}");
        assert_eq!(eq_any_mask(b, bytes), naive(b, &bytes), "{b:?} {bytes:?}");
        assert_eq!(swar::eq_any_mask(b, bytes), naive(b, &bytes));
        assert_eq!(eq_any_mask(b, [a]), expected[0]);
        assert_eq!(swar::eq_any_mask(b, [a]), expected[0]);
        assert_eq!(high_mask(b), naive_high(b), "{b:?}");
        assert_eq!(swar::high_mask(b), naive_high(b), "{b:?}");
    }

    #[test]
    fn masks_like_a_byte_loop() {
        // The neighbours of the delimiters (the SWAR tests' borrow cases), 0, 0x7F,
        // 0x80 and 0xFF in every lane.
        let lanes = [
            b':', b';', b'|', b'}', b',', b'-', b'#', b'$', 0, 0x7F, 0x80, 0xFF, b'a',
        ];
        for &x in &lanes {
            for k in 0..WIDTH {
                for &fill in &[b'a', b':', 0xFF] {
                    let mut b = [fill; WIDTH];
                    b[k] = x;
                    if k + 1 < WIDTH {
                        b[k + 1] = x ^ 1;
                    }
                    check(&b, [b':', b',', b'|', b'#']);
                    check(&b, [x, x ^ 1, 0, 0xFF]);
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn masks_like_a_byte_loop_on_random_blocks(
            b in proptest::array::uniform16(proptest::prelude::any::<u8>()),
            bytes in proptest::array::uniform4(proptest::prelude::any::<u8>()),
        ) {
            check(&b, bytes);
            check(&b, [b':', b',', b'|', b'#']);
        }

        #[test]
        fn masks_like_a_byte_loop_on_delimiter_blocks(
            b in proptest::array::uniform16(proptest::sample::select(&b":;|},-#$a\x00\x80\xff"[..])),
        ) {
            check(&b, [b':', b',', b'|', b'#']);
            check(&b, [b'#', b',', b'[', b']']);
        }
    }

    #[test]
    fn block_at_and_last_block_cover_a_slice() {
        let hay: Vec<u8> = (1..=40).collect();
        for len in 0..=hay.len() {
            let s = &hay[..len];
            // Whole blocks, then the rest through `last_block`: every byte once.
            let mut seen = Vec::new();
            let mut i = 0;
            while let Some(b) = block_at(s, i) {
                seen.extend_from_slice(b);
                i += WIDTH;
            }
            if i < len {
                let (b, skip) = last_block(s, i);
                let rest = &b[skip as usize..];
                let n = len - i;
                seen.extend_from_slice(&rest[..n]);
                // The lanes past the end are zero.
                assert!(rest[n..].iter().all(|&x| x == 0), "len {len}");
            }
            assert_eq!(seen, s, "len {len}");
        }
    }
}
