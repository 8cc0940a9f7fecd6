//! Word-at-a-time (SWAR) byte searches for the hot path.
//!
//! Lines are short (10–200 bytes), where memchr's per-call dispatch costs more than
//! the search itself (about 50 instructions per call, dogstatsd.md §3.2). These
//! helpers look at 8 bytes per step with plain integer arithmetic, exactly (no
//! false positives), and treat the bytes past the end as zero; `find_or_end_ascii`
//! looks at 16 bytes per step with [`crate::simd`]'s masks.

#[cfg(test)]
const LO7: u64 = 0x7F7F_7F7F_7F7F_7F7F;
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;
const ONES: u64 = 0x0101_0101_0101_0101;

use crate::simd::{Block, WIDTH, block_at, eq_masks, high_mask, last_block};

/// The 8 bytes at `i` (zero-padded past the end), little-endian.
#[inline(always)]
pub(crate) fn load(s: &[u8], i: usize) -> u64 {
    let mut b = [0u8; 8];
    if let Some(chunk) = s.get(i..i + 8) {
        b.copy_from_slice(chunk);
    } else if let Some(last) = s.len().checked_sub(8).and_then(|at| s.get(at..))
        && i < s.len()
    {
        // The last word of a slice of 8 bytes or more: read its last 8 bytes and shift
        // the ones already seen out (zeros come in from the top), instead of a
        // variable-length copy, which is a `memcpy` call.
        b.copy_from_slice(last);
        return u64::from_le_bytes(b) >> (8 * (i + 8 - s.len()));
    } else if let Some(tail) = s.get(i..) {
        b[..tail.len()].copy_from_slice(tail);
    }
    u64::from_le_bytes(b)
}

/// The byte `b` in every lane.
#[inline(always)]
pub(crate) const fn splat(b: u8) -> u64 {
    ONES * b as u64
}

/// High bit set in each lane of `w` equal to the lane of `pattern`.
///
/// The lowest flagged lane is always a real match; lanes above a real match may be
/// flagged falsely (a borrow from the match, when the next byte is `pattern ^ 1`), so
/// callers that walk every flagged lane check the byte (see [`eq_exact`]).
#[inline(always)]
pub(crate) fn eq(w: u64, pattern: u64) -> u64 {
    let v = w ^ pattern;
    v.wrapping_sub(ONES) & !v & HIGH
}

/// Like [`eq`], but every flagged lane is a real match (three more operations).
#[cfg(test)]
pub(crate) fn eq_exact(w: u64, pattern: u64) -> u64 {
    let v = w ^ pattern;
    !(((v & LO7) + LO7) | v | LO7)
}

/// Index (0–7) of the lowest lane flagged in a non-zero mask.
#[inline(always)]
pub(crate) fn first(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// Position of the first `a` or `b` in `s`: whole words, then a byte loop for the
/// last 0–7 bytes (cheaper than building a padded word).
#[inline(always)]
pub(crate) fn find2(s: &[u8], a: u8, b: u8) -> Option<usize> {
    let (pa, pb) = (splat(a), splat(b));
    let mut i = 0;
    while let Some(chunk) = s.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let m = eq(w, pa) | eq(w, pb);
        if m != 0 {
            return Some(i + first(m));
        }
        i += 8;
    }
    s[i..].iter().position(|&c| c == a || c == b).map(|p| i + p)
}

/// Splits off the first item of a `,`-separated list that ends at a `|` (or the end)
/// in one pass: returns the index of the `,` or `|` ending it (or `s.len()`), the first
/// `sep` before that, if any, and whether a `|` ended it (then the list is over).
#[inline]
pub(crate) fn split_item(s: &[u8], sep: u8) -> (usize, Option<usize>, bool) {
    let (pc, pp, ps) = (splat(b','), splat(b'|'), splat(sep));
    let mut key_end = None;
    let mut i = 0;
    while let Some(chunk) = s.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let mut m = eq(w, pc) | eq(w, pp) | eq(w, ps);
        while m != 0 {
            let lane = first(m);
            m &= m - 1;
            // Lanes above a match may be flagged falsely: check the byte.
            match chunk[lane] {
                b',' => return (i + lane, key_end, false),
                b'|' => return (i + lane, key_end, true),
                b if b == sep && key_end.is_none() => key_end = Some(i + lane),
                _ => {}
            }
        }
        i += 8;
    }
    for (k, &b) in s[i..].iter().enumerate() {
        match b {
            b',' => return (i + k, key_end, false),
            b'|' => return (i + k, key_end, true),
            b if b == sep && key_end.is_none() => key_end = Some(i + k),
            _ => {}
        }
    }
    (s.len(), key_end, false)
}

/// Position of the first `a` in `s` (or `s.len()`), and whether a byte before it is
/// non-ASCII. One pass, 16 bytes a step, for a field that must be ASCII.
#[inline(always)]
pub(crate) fn find_or_end_ascii(s: &[u8], a: u8) -> (usize, bool) {
    let mut high = 0;
    let mut i = 0;
    // One block at `i`, its first `skip` lanes already read.
    macro_rules! block {
        ($b:expr, $skip:expr) => {{
            let (b, skip): (&Block, u32) = ($b, $skip);
            let [m] = eq_masks(b, [a]);
            let (m, h) = (m >> skip, high_mask(b) >> skip);
            if m != 0 {
                // Only the bytes before the match count.
                return (i + m.trailing_zeros() as usize, high | (h & (m - 1)) != 0);
            }
            high |= h;
        }};
    }
    // Whole blocks, then the last 1–15 bytes (see `last_block`).
    while let Some(b) = block_at(s, i) {
        block!(b, 0);
        i += WIDTH;
    }
    if i < s.len() {
        let (b, skip) = last_block(s, i);
        block!(&b, skip);
    }
    (s.len(), high != 0)
}

/// Position of the first `a` in `s`.
#[inline(always)]
pub(crate) fn find(s: &[u8], a: u8) -> Option<usize> {
    find2(s, a, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_like_position() {
        let hay = b"abc:def|ghij,klmnopqrstu|vw:xyz}|;:";
        for needle in [b':', b'|', b',', b'}', b';', b'x', b'?', 0] {
            for start in 0..hay.len() {
                let s = &hay[start..];
                assert_eq!(
                    find(s, needle),
                    s.iter().position(|&c| c == needle),
                    "{needle} {start}"
                );
            }
        }
        assert_eq!(find2(b"aaaa:aaaa,", b',', b':'), Some(4));
        assert_eq!(find2(b"", b',', b':'), None);
    }

    #[test]
    fn find_or_end_ascii_like_a_loop() {
        let hay = b"ci-3a88cafe|T17\xc3\xa9|x|abcdefghijklmnop\xff|abcdefghijklmnopqrstuvwxyz|";
        for start in 0..hay.len() {
            for end in start..=hay.len() {
                let s = &hay[start..end];
                let at = s.iter().position(|&b| b == b'|').unwrap_or(s.len());
                let (found, non_ascii) = find_or_end_ascii(s, b'|');
                assert_eq!(
                    (found, non_ascii),
                    (at, !s[..at].is_ascii()),
                    "{start} {end}"
                );
            }
        }
    }

    #[test]
    fn load_pads_with_zeros() {
        let hay: Vec<u8> = (1..=20).collect();
        for len in 0..=hay.len() {
            let s = &hay[..len];
            for i in 0..len + 9 {
                let mut b = [0u8; 8];
                for (k, slot) in b.iter_mut().enumerate() {
                    *slot = s.get(i + k).copied().unwrap_or(0);
                }
                assert_eq!(load(s, i), u64::from_le_bytes(b), "len {len} at {i}");
            }
        }
    }

    #[test]
    fn split_item_like_a_loop() {
        for s in [
            &b"env:prod,region:eu-west-1"[..],
            b"a:b:c",
            b"novalue,k:v",
            b",x",
            b"",
            b"key-with-dashes;and;semis:v-,w",
            b"long_key_name_here:long:value:with:colons,next",
            b"abcdefgh:,",
            b"abcdefg,:",
            b"abcdefghijklmno:",
            b"k:v",
            b",",
            b":",
            b"k:v|c:x,y",
            b"key:value}|x",
            b"abcdefgh|:,",
            b"|",
            b"a:b,c|d",
        ] {
            let end = s
                .iter()
                .position(|&b| b == b',' || b == b'|')
                .unwrap_or(s.len());
            let key = s[..end].iter().position(|&b| b == b':');
            assert_eq!(
                split_item(s, b':'),
                (end, key, s.get(end) == Some(&b'|')),
                "{:?}",
                String::from_utf8_lossy(s)
            );
        }
    }

    #[test]
    fn eq_lowest_lane_is_exact() {
        // `|}` and `:;` are the false positives of the cheaper zero-byte test.
        let w = load(b"|}:;||}}", 0);
        assert_eq!(eq_exact(w, splat(b'|')), 0x0000_8080_0000_0080);
        assert_eq!(eq_exact(w, splat(b'}')), 0x8080_0000_0000_8000);
        assert_eq!(eq(w, splat(b'|')) & 0xFF, 0x80);
        assert_eq!(first(eq(w, splat(b':'))), 2);
        // Every lane flagged exactly is also flagged by the cheap test.
        for pattern in [b'|', b'}', b':', b';'] {
            let (cheap, exact) = (eq(w, splat(pattern)), eq_exact(w, splat(pattern)));
            assert_eq!(cheap & exact, exact);
            assert_eq!(first(cheap), first(exact));
        }
    }
}
