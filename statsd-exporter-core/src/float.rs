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
        write_integer(out, v as i64);
    } else {
        write_shortest_g(out, v);
    }
}

fn write_integer(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    out.extend_from_slice(&digits[at..]);
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
