//! Number formatting exactly as client_golang writes samples.
//!
//! client_golang's text encoder special-cases 0, 1, -1, NaN and the infinities and otherwise
//! uses Go's `strconv.FormatFloat(v, 'g', -1, 64)`: the shortest digits that round-trip, in
//! scientific form when the decimal exponent is below -4 or at least 6 (`1e+06`, `1.5e-05`).
//! Rust's `{:e}` gives the same shortest digits, so only the layout is re-done here.

use std::io::Write;

/// Writes `v` the way client_golang's 0.0.4 text encoder does.
pub(crate) fn write_go_float(out: &mut Vec<u8>, v: f64) {
    if v == 0.0 {
        out.push(b'0');
    } else if v == 1.0 {
        out.push(b'1');
    } else if v == -1.0 {
        out.extend_from_slice(b"-1");
    } else if v.is_nan() {
        out.extend_from_slice(b"NaN");
    } else if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
    } else if v.fract() == 0.0 && v.abs() < 1e6 {
        // Integers below 10^6 print as plain digits in Go's `%g` too; most counters and
        // counts are such integers, and this skips the float formatting machinery.
        if v < 0.0 {
            out.push(b'-');
        }
        write_integer(out, v.abs() as u64);
    } else if !write_short_decimal(out, v) {
        write_shortest_g(out, v);
    }
}

/// Writes `n` in decimal.
pub(crate) fn write_integer(out: &mut Vec<u8>, n: u64) {
    let mut digits = [0u8; 20];
    let at = put_digits(&mut digits, n);
    out.extend_from_slice(&digits[at..]);
}

/// Writes `n`'s digits at the end of `digits`; returns where they start.
fn put_digits(digits: &mut [u8; 20], mut n: u64) -> usize {
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return at;
        }
    }
}

/// Powers of ten that `f64` holds exactly.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// Writes `v` in the fixed notation of Go's `%g` when `1e-4 <= |v| < 1e6` and `v` is
/// `m / 10^k` for an integer `m` below 10^15, without the `{:e}` round trip (sums of
/// observations, gauges and bucket bounds are mostly such values). Returns `false`, having
/// written nothing, for other values.
///
/// Why this is the shortest representation: `m` and `10^k` are exact in `f64` and IEEE
/// division rounds correctly, so `m / 10^k == v` means the decimal `m·10^-k` parses to `v`.
/// Decimals of at most 15 significant digits map to distinct doubles (`DBL_DIG`), so the
/// smallest such `k` gives the only candidate with that few digits: the shortest one.
/// `round(|v|·10^k)` finds it: the product is off by at most 1/8 below 10^15, and the
/// candidate lies within 0.12 of the exact product.
fn write_short_decimal(out: &mut Vec<u8>, v: f64) -> bool {
    let a = v.abs();
    if !(1e-4..1e6).contains(&a) {
        return false;
    }
    for (k, &scale) in POW10.iter().enumerate().skip(1) {
        let scaled = a * scale;
        if scaled >= 1e15 {
            return false;
        }
        let m = scaled.round();
        if m / scale != a {
            continue;
        }
        let m = m as u64;
        let unit = 10u64.pow(k as u32);
        if v < 0.0 {
            out.push(b'-');
        }
        write_integer(out, m / unit);
        out.push(b'.');
        let mut digits = [0u8; 20];
        let at = put_digits(&mut digits, m % unit + unit);
        // `m % unit + unit` is `1` followed by the k fraction digits, zero-padded.
        out.extend_from_slice(&digits[at + 1..]);
        return true;
    }
    false
}

/// Writes `v` the way client_golang's OpenMetrics encoder does: like [`write_go_float`], but
/// an integral value without exponent gets a `.0` so it reads as a float.
pub(crate) fn write_openmetrics_float(out: &mut Vec<u8>, v: f64) {
    let start = out.len();
    write_go_float(out, v);
    let text = &out[start..];
    let is_word = text.iter().any(|b| b.is_ascii_alphabetic() && *b != b'e');
    if !is_word && !text.iter().any(|b| *b == b'e' || *b == b'.') {
        out.extend_from_slice(b".0");
    }
}

/// Go's `FormatFloat(v, 'g', -1, 64)` for finite, non-zero `v`.
fn write_shortest_g(out: &mut Vec<u8>, v: f64) {
    // `{:e}` prints the shortest round-trip digits as `d[.ddd]e<exp>`.
    let mut scratch = [0u8; 40];
    let len = {
        let mut cursor = std::io::Cursor::new(&mut scratch[..]);
        // 40 bytes always hold an f64 in `{:e}` form (at most 17 digits, sign, exponent).
        let _ = write!(cursor, "{:e}", v.abs());
        cursor.position() as usize
    };
    let text = &scratch[..len];
    let e_at = text.iter().position(|b| *b == b'e').unwrap_or(len);
    let mut digits = [0u8; 24];
    let mut digit_count = 0;
    for &b in &text[..e_at] {
        if b.is_ascii_digit() && digit_count < digits.len() {
            digits[digit_count] = b;
            digit_count += 1;
        }
    }
    let digits = &digits[..digit_count];
    let exp: i32 = std::str::from_utf8(&text[(e_at + 1).min(len)..])
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    if v < 0.0 {
        out.push(b'-');
    }
    if !(-4..6).contains(&exp) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        out.push(b'e');
        out.push(if exp < 0 { b'-' } else { b'+' });
        let magnitude = exp.unsigned_abs();
        if magnitude < 10 {
            out.push(b'0');
        }
        let _ = write!(out, "{magnitude}");
    } else if exp < 0 {
        out.extend_from_slice(b"0.");
        for _ in 0..(-exp - 1) {
            out.push(b'0');
        }
        out.extend_from_slice(digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            out.extend_from_slice(digits);
            for _ in digits.len()..int_len {
                out.push(b'0');
            }
        } else {
            out.extend_from_slice(&digits[..int_len]);
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn go(v: f64) -> String {
        let mut out = Vec::new();
        write_go_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    fn om(v: f64) -> String {
        let mut out = Vec::new();
        write_openmetrics_float(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn matches_go_strconv_g_shortest() {
        // Expected strings are what Go's strconv.FormatFloat(v, 'g', -1, 64) prints.
        let table: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (2.0, "2"),
            (0.3, "0.3"),
            (0.005, "0.005"),
            (2.5, "2.5"),
            (10.0, "10"),
            (100000.0, "100000"),
            (999999.0, "999999"),
            (1_000_000.0, "1e+06"),
            (1_234_567.0, "1.234567e+06"),
            (307200.0, "307200"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (0.000123, "0.000123"),
            (0.0000123, "1.23e-05"),
            (-2.5e-7, "-2.5e-07"),
            (1e21, "1e+21"),
            (1.7976931348623157e308, "1.7976931348623157e+308"),
            (5e-324, "5e-324"),
            (123.456, "123.456"),
            (-42.0, "-42"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for (v, want) in table {
            assert_eq!(go(*v), *want, "formatting {v:?}");
        }
    }

    fn slow(v: f64) -> String {
        let mut out = Vec::new();
        write_shortest_g(&mut out, v);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn short_decimals_match_the_general_formatter() {
        // Values of the fast path's shape (m / 10^k, sums of such), values near its limits
        // and arbitrary bit patterns: every one must print as the `{:e}`-based formatter
        // prints it, or be left to it.
        let mut values = vec![
            1e-4,
            0.000123,
            0.0001000000000001,
            999999.5,
            999999.9999999999,
            0.1 + 0.2,
            0.3,
            2.675,
            1.005,
            0.07,
            123456.789012,
            9.999999999999999e-5,
            5.5,
            0.25,
            0.005,
        ];
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..200_000 {
            let k = (next() % 16) as i32;
            let m = (next() % 1_000_000_000_000_000) as f64;
            values.push(m / 10f64.powi(k));
            values.push((next() % 100_000) as f64 * 0.001 + (next() % 1000) as f64 * 0.25);
            values.push(f64::from_bits(next()));
            values.push(f64::from_bits(0x3f1a_0000_0000_0000 + next() % (1 << 50)));
        }
        for v in values {
            if !v.is_finite() || v == 0.0 || (v.fract() == 0.0 && v.abs() < 1e6) {
                continue;
            }
            for v in [v, -v] {
                let mut out = Vec::new();
                if write_short_decimal(&mut out, v) {
                    assert_eq!(String::from_utf8(out).unwrap(), slow(v), "{v:e}");
                }
            }
        }
    }

    #[test]
    fn openmetrics_marks_integers_as_floats() {
        assert_eq!(om(1.0), "1.0");
        assert_eq!(om(0.0), "0.0");
        assert_eq!(om(-1.0), "-1.0");
        assert_eq!(om(42.0), "42.0");
        assert_eq!(om(0.5), "0.5");
        assert_eq!(om(1e6), "1e+06");
        assert_eq!(om(f64::INFINITY), "+Inf");
        assert_eq!(om(f64::NAN), "NaN");
    }
}
