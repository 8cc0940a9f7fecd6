//! Number parsing for values, sample rates and timestamps.
//!
//! Values are parsed exactly (same result as `str::parse::<f64>`). Plain decimals
//! whose digits form an integer up to 2^53 (every integer and most floats real
//! clients print, Ruby's 16-digit ones included) take an integer fast path: one
//! division of two exact numbers is correctly rounded (Clinger's fast path). Digits that
//! form an integer above 2^53 but fit 19 digits (the 17-digit shortest repr that Ruby, Go
//! and Rust print for most doubles) are rounded exactly from a 128-bit quotient. Everything
//! else (exponents, longer digit strings, `NaN`, `inf`) goes through `str::parse::<f64>`.

/// Powers of ten for the fraction digits (at most 19 are ever used); 32 entries so
/// that a masked index needs no bounds check.
const POW10: [f64; 32] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31,
];

/// 2^53: every integer up to here is an exact `f64`.
const EXACT: u64 = 1 << 53;

/// Parses a float the way [`str::parse::<f64>`] does (accepting `NaN`, `inf`,
/// `infinity` in any case, with an optional sign; rejecting hex floats, `_` and
/// spaces). Returns `None` on error.
#[inline]
pub(crate) fn parse_f64(text: &[u8]) -> Option<f64> {
    match parse_f64_prefix(text) {
        (end, value) if end == text.len() => value,
        _ => parse_slow(text),
    }
}

/// Reads the plain decimal at the start of `text` (a sign, digits, one `.`) up to the
/// first byte that cannot continue it, so that a caller can parse a value and find
/// its end in one pass: returns that position `end` and `parse_f64(&text[..end])`.
#[inline(always)]
pub(crate) fn parse_f64_prefix(text: &[u8]) -> (usize, Option<f64>) {
    // One comparison for a value that starts with a digit (`+` and `-` sort below).
    let (negative, start) = match text.first() {
        Some(&c) if c < b'0' => match c {
            b'-' => (true, 1),
            b'+' => (false, 1),
            _ => (false, 0),
        },
        _ => (false, 0),
    };
    // The integer digits, then the fraction's: two tight loops (no per-digit
    // bookkeeping of a dot seen).
    let mut mantissa: u64 = 0;
    let mut end = start;
    accumulate_digits(text, &mut end, &mut mantissa);
    let mut fraction = 0;
    let dot = text.get(end) == Some(&b'.');
    if dot {
        end += 1;
        let digits = end;
        accumulate_digits(text, &mut end, &mut mantissa);
        fraction = end - digits;
    }
    // Digits read (the dot is not one).
    let count = end - start - usize::from(dot);
    // At most 19 digits cannot overflow u64; the mantissa must be an exact f64 (it
    // is with up to 15 digits: one test for the values clients send).
    if count.wrapping_sub(1) >= 15 && (count.wrapping_sub(1) >= 19 || mantissa > EXACT) {
        if count <= 19 && mantissa > EXACT {
            // 16 to 19 digits, more than 53 bits: the shortest repr of most doubles
            // (Ruby's and Go's `%v` of a random float), exactly rounded below.
            let value = long_quotient(mantissa, fraction);
            return (end, Some(if negative { -value } else { value }));
        }
        return (end, parse_slow(&text[..end]));
    }
    // Both operands are exact, so the quotient is correctly rounded. (`fraction` counts
    // digits, at most 19 here.)
    // The mantissa is below 2^63 here (2^53 at most, or 15 digits): the signed
    // conversion is one instruction, the unsigned one six.
    let value = (mantissa as i64) as f64 / POW10[fraction & 31];
    (end, Some(if negative { -value } else { value }))
}

/// `mantissa / 10^fraction`, correctly rounded (to nearest, ties to even), for a
/// mantissa above 2^53 (so not an exact `f64`) and at most 19 fraction digits.
///
/// `mantissa · 2^64 / 10^fraction` is computed in 128-bit integers: its quotient has at
/// least 54 significant bits (the mantissa is above 2^53, the divisor below 2^64) and the
/// remainder says whether anything is left below them, which is all that rounding needs.
/// About a third of the instructions `str::parse::<f64>` spends on these digits.
#[inline(never)]
fn long_quotient(mantissa: u64, fraction: usize) -> f64 {
    const POW10_U64: [u64; 20] = {
        let mut table = [1u64; 20];
        let mut i = 1;
        while i < 20 {
            table[i] = table[i - 1] * 10;
            i += 1;
        }
        table
    };
    let divisor = u128::from(POW10_U64[fraction.min(19)]);
    let numerator = u128::from(mantissa) << 64;
    let quotient = numerator / divisor;
    let inexact = numerator % divisor != 0;
    // Keep 53 bits; `shift` (at least 1) bits go.
    let bits = 128 - quotient.leading_zeros();
    let shift = bits - 53;
    let mut kept = (quotient >> shift) as u64;
    let rest = quotient & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    if rest > half || (rest == half && (inexact || kept & 1 == 1)) {
        kept += 1;
    }
    // `kept` may have reached 2^53: still exact as an f64.
    let scale = f64::from_bits(((1023 + i64::from(shift) - 64) as u64) << 52);
    kept as f64 * scale
}

/// Appends the decimal digits at `text[*end..]` to `mantissa` (wrapping: the caller
/// counts the digits and rejects more than 19), moving `end` past them.
#[inline(always)]
fn accumulate_digits(text: &[u8], end: &mut usize, mantissa: &mut u64) {
    while let Some(&b) = text.get(*end) {
        let d = b.wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        *mantissa = mantissa.wrapping_mul(10).wrapping_add(u64::from(d));
        *end += 1;
    }
}

/// Reads the unsigned decimal integer at the start of `text` up to the first
/// non-digit: returns that position and `parse_u64` of the digits (`None` for no
/// digits or more than 19, which the caller hands to [`parse_u64`]).
#[inline(always)]
pub(crate) fn parse_u64_prefix(text: &[u8]) -> (usize, Option<u64>) {
    let mut n: u64 = 0;
    let mut end = 0;
    // Eight digits at a time while they last (Unix timestamps have ten).
    while let Some(chunk) = text.get(end..end + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        if !eight_digits(w) {
            break;
        }
        n = n
            .wrapping_mul(100_000_000)
            .wrapping_add(eight_digits_value(w));
        end += 8;
    }
    while let Some(&b) = text.get(end) {
        let d = b.wrapping_sub(b'0');
        if d >= 10 {
            break;
        }
        n = n.wrapping_mul(10).wrapping_add(u64::from(d));
        end += 1;
    }
    (end, (1..=19).contains(&end).then_some(n))
}

/// True when all 8 bytes of `w` are ASCII digits: each high nibble is 3, also after
/// adding 6 (a lane that carries into the next fails its own test first).
#[inline(always)]
fn eight_digits(w: u64) -> bool {
    const HIGH_NIBBLES: u64 = 0xF0F0_F0F0_F0F0_F0F0;
    (w & HIGH_NIBBLES) | ((w.wrapping_add(0x0606_0606_0606_0606) & HIGH_NIBBLES) >> 4)
        == 0x3333_3333_3333_3333
}

/// The number 8 ASCII digits spell (first digit in the lowest byte), in three
/// multiplications: pairs, then quads, then the whole.
#[inline(always)]
fn eight_digits_value(w: u64) -> u64 {
    let v = w.wrapping_sub(0x3030_3030_3030_3030);
    let v = v.wrapping_mul(10).wrapping_add(v >> 8);
    let low = (v & 0x0000_00FF_0000_00FF).wrapping_mul(100 + (1_000_000 << 32));
    let high = ((v >> 16) & 0x0000_00FF_0000_00FF).wrapping_mul(1 + (10_000 << 32));
    low.wrapping_add(high) >> 32
}

#[cold]
fn parse_slow(text: &[u8]) -> Option<f64> {
    // A `+` before `nan`/`inf` is fine for std; nothing else std accepts is wrong for us.
    std::str::from_utf8(text).ok()?.parse::<f64>().ok()
}

/// Parses an unsigned decimal integer (no sign, at least one digit, no overflow).
#[inline]
pub(crate) fn parse_u64(text: &[u8]) -> Option<u64> {
    if text.is_empty() {
        return None;
    }
    if text.len() <= 19 {
        // 19 digits cannot overflow a u64: no overflow checks per digit.
        let mut n: u64 = 0;
        for &b in text {
            let d = b.wrapping_sub(b'0');
            if d >= 10 {
                return None;
            }
            n = n * 10 + u64::from(d);
        }
        return Some(n);
    }
    let mut n: u64 = 0;
    for &b in text {
        let d = b.wrapping_sub(b'0');
        if d >= 10 {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(d))?;
    }
    Some(n)
}

/// Parses a signed decimal integer (optional `-` or `+`).
pub(crate) fn parse_i64(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let n = parse_u64(digits)?;
    if negative {
        0i64.checked_sub_unsigned(n)
    } else {
        i64::try_from(n).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_path_matches_std() {
        for text in [
            "0",
            "1",
            "-1",
            "+4",
            "264",
            "0.5",
            "0.1",
            "3.504892110824585",
            "33.85667900927365",
            "1.",
            ".5",
            "-0",
            "999999999999999",
            "0.000001",
            "123456.789012345",
        ] {
            assert_eq!(
                parse_f64(text.as_bytes()).map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits),
                "{text}"
            );
        }
    }

    #[test]
    fn slow_path_forms() {
        assert_eq!(parse_f64(b"1.0e-05"), Some(1.0e-05));
        assert_eq!(parse_f64(b"0.21143299999999998"), Some(0.21143299999999998));
        assert_eq!(parse_f64(b"1E+3"), Some(1000.0));
        assert!(parse_f64(b"NaN").unwrap().is_nan());
        assert_eq!(parse_f64(b"-Inf"), Some(f64::NEG_INFINITY));
        assert_eq!(parse_f64(b"infinity"), Some(f64::INFINITY));
        for bad in [
            "", ".", "-", "+", "0x1p-2", "1_000", " 1", "1 ", "1o", "--1", "1.2.3", "e5",
        ] {
            assert_eq!(parse_f64(bad.as_bytes()), None, "{bad}");
        }
    }

    #[test]
    fn long_mantissas_round_like_std() {
        for text in [
            "123.45678901234567",
            "0.12345678901234568",
            "9007199254740993",
            "9007199254740993.0",
            "900719925474099.35",
            "18446744073709551615",
            "1844674407370955161.5",
            "0.9999999999999999999",
            "4503599627370497.5",
            "9007199254740992.5",
            "9007199254740993.5",
            "-271.82818284590452",
            "0.0012345678901234567",
        ] {
            let ours = parse_f64(text.as_bytes()).map(f64::to_bits);
            assert_eq!(ours, text.parse::<f64>().ok().map(f64::to_bits), "{text}");
        }
    }

    proptest::proptest! {
        #[test]
        fn long_mantissas_match_std(digits in "[1-9][0-9]{15,18}", point in 0usize..20) {
            let point = point.min(digits.len());
            let text = format!("{}.{}", &digits[..digits.len() - point], &digits[digits.len() - point..]);
            proptest::prop_assert_eq!(
                parse_f64(text.as_bytes()).map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits),
                "{}", text
            );
        }

        #[test]
        fn shortest_reprs_of_doubles_match_std(bits in 0u64..0x7FF0_0000_0000_0000) {
            let text = format!("{:?}", f64::from_bits(bits));
            proptest::prop_assert_eq!(
                parse_f64(text.as_bytes()).map(f64::to_bits),
                Some(bits),
                "{}", text
            );
        }
    }

    proptest::proptest! {
        #[test]
        fn matches_std_on_decimals(text in "[+-]?[0-9]{0,21}(\\.[0-9]{0,21})?([eE][+-]?[0-9]{1,3})?") {
            proptest::prop_assert_eq!(
                parse_f64(text.as_bytes()).map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits)
            );
        }

        #[test]
        fn prefix_matches_std(text in "[+-]?[0-9]{0,21}(\\.[0-9]{0,21})?[|:.e]?[0-9|]{0,3}") {
            let bytes = text.as_bytes();
            let (end, value) = parse_f64_prefix(bytes);
            proptest::prop_assert_eq!(
                value.map(f64::to_bits),
                text[..end].parse::<f64>().ok().map(f64::to_bits)
            );
        }
    }

    #[test]
    fn prefixes_stop_at_the_first_other_byte() {
        for text in [
            "1|c",
            "12.5:3",
            "-0.5|",
            "+4",
            "1.2.3",
            "1e5|",
            "",
            "-",
            ".",
            "x",
            "9007199254740993|",
            "12345678901234567890:",
            "0.000001|@",
        ] {
            let bytes = text.as_bytes();
            let (end, value) = parse_f64_prefix(bytes);
            let naive = bytes
                .iter()
                .enumerate()
                .position(|(i, &b)| {
                    !(b.is_ascii_digit()
                        || ((b == b'+' || b == b'-') && i == 0)
                        || (b == b'.' && !bytes[..i].contains(&b'.')))
                })
                .unwrap_or(bytes.len());
            assert_eq!(end, naive, "{text}");
            assert_eq!(
                value.map(f64::to_bits),
                parse_f64(&bytes[..end]).map(f64::to_bits),
                "{text}"
            );
        }
        for (text, expected) in [
            ("1700000000|c", (10, Some(1_700_000_000))),
            ("0", (1, Some(0))),
            ("", (0, None)),
            ("x1", (0, None)),
            (
                "9999999999999999999|",
                (19, Some(9_999_999_999_999_999_999)),
            ),
            ("18446744073709551615", (20, None)),
        ] {
            assert_eq!(parse_u64_prefix(text.as_bytes()), expected, "{text}");
        }
    }

    #[test]
    fn eight_digits_at_once() {
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = format!("{:08}", x % 100_000_000);
            let w = u64::from_le_bytes(digits.as_bytes().try_into().unwrap());
            assert!(eight_digits(w), "{digits}");
            assert_eq!(eight_digits_value(w), x % 100_000_000, "{digits}");
            // Any other byte in any lane fails the test.
            let lane = (x >> 40) as usize % 8;
            let byte = (x >> 48) as u8;
            if !byte.is_ascii_digit() {
                let mut bytes = digits.into_bytes();
                bytes[lane] = byte;
                assert!(!eight_digits(u64::from_le_bytes(bytes.try_into().unwrap())));
            }
        }
        for b in 0..=255u8 {
            for lane in 0..8 {
                let mut bytes = *b"12345678";
                bytes[lane] = b;
                assert_eq!(eight_digits(u64::from_le_bytes(bytes)), b.is_ascii_digit());
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn u64_prefix_like_a_loop(text in "[0-9]{0,24}[|x:]?[0-9]{0,3}") {
            let bytes = text.as_bytes();
            let end = bytes.iter().position(|b| !b.is_ascii_digit()).unwrap_or(bytes.len());
            let expected = if (1..=19).contains(&end) { text[..end].parse::<u64>().ok() } else { None };
            proptest::prop_assert_eq!(parse_u64_prefix(bytes), (end, expected));
        }
    }

    #[test]
    fn integers() {
        assert_eq!(parse_u64(b"1656581400"), Some(1656581400));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(
            parse_u64(b"9999999999999999999"),
            Some(9_999_999_999_999_999_999)
        );
        assert_eq!(parse_u64(b"99999999999999999999"), None);
        assert_eq!(parse_u64(b"1x"), None);
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_i64(b"-5"), Some(-5));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
    }
}
