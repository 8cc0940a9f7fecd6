//! Go duration strings (`time.ParseDuration`): `1m20s`, `1.5h`, `300ms`, `0`.

use std::time::Duration;

/// Parses a Go duration. Returns `None` when the text is not one.
///
/// A negative duration parses (Go accepts it) and is returned as `Some(None)` for
/// "negative": statsd_exporter treats every non-positive TTL as "never expires".
pub(crate) fn parse_go_duration(text: &str) -> Option<Signed> {
    let mut rest = text;
    let negative = match rest.as_bytes().first() {
        Some(b'-') => {
            rest = &rest[1..];
            true
        }
        Some(b'+') => {
            rest = &rest[1..];
            false
        }
        _ => false,
    };
    if rest == "0" {
        return Some(Signed {
            negative: false,
            magnitude: Duration::ZERO,
        });
    }
    if rest.is_empty() {
        return None;
    }
    let mut total_nanos: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let int_part = &rest[..int_len];
        rest = &rest[int_len..];
        let mut frac_part = "";
        if let Some(after_dot) = rest.strip_prefix('.') {
            let frac_len = after_dot.bytes().take_while(u8::is_ascii_digit).count();
            frac_part = &after_dot[..frac_len];
            rest = &after_dot[frac_len..];
        }
        if int_part.is_empty() && frac_part.is_empty() {
            return None;
        }
        let unit_len = rest
            .char_indices()
            .find(|&(_, c)| c == '.' || c.is_ascii_digit())
            .map_or(rest.len(), |(i, _)| i);
        let unit_nanos: u128 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "\u{b5}s" | "\u{3bc}s" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        let whole: u128 = if int_part.is_empty() {
            0
        } else {
            int_part.parse().ok()?
        };
        let mut nanos = whole.checked_mul(unit_nanos)?;
        // Fraction: digits / 10^len, scaled by the unit (Go truncates the same way).
        let mut scale = unit_nanos;
        for digit in frac_part.bytes().take(30) {
            scale /= 10;
            nanos += u128::from(digit - b'0') * scale;
            if scale == 0 {
                break;
            }
        }
        total_nanos = total_nanos.checked_add(nanos)?;
        // Go's limit: the duration must fit an int64 of nanoseconds.
        if total_nanos > i64::MAX as u128 {
            return None;
        }
    }
    let magnitude = Duration::new(
        (total_nanos / 1_000_000_000) as u64,
        (total_nanos % 1_000_000_000) as u32,
    );
    Some(Signed {
        negative: negative && !magnitude.is_zero(),
        magnitude,
    })
}

/// A parsed Go duration: a magnitude and its sign.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Signed {
    pub(crate) negative: bool,
    pub(crate) magnitude: Duration,
}

impl Signed {
    /// Zero means "not set" in statsd_exporter configs.
    pub(crate) fn is_zero(self) -> bool {
        self.magnitude.is_zero()
    }

    /// A TTL: positive durations expire, anything else never does.
    pub(crate) fn positive(self) -> Option<Duration> {
        (!self.negative && !self.magnitude.is_zero()).then_some(self.magnitude)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(text: &str) -> Option<f64> {
        parse_go_duration(text).map(|d| {
            let s = d.magnitude.as_secs_f64();
            if d.negative { -s } else { s }
        })
    }

    #[test]
    fn go_duration_table() {
        assert_eq!(secs("1m20s"), Some(80.0));
        assert_eq!(secs("1m2s"), Some(62.0));
        assert_eq!(secs("10s"), Some(10.0));
        assert_eq!(secs("1.5h"), Some(5400.0));
        assert_eq!(secs("300ms"), Some(0.3));
        assert_eq!(secs("2h45m"), Some(9900.0));
        assert_eq!(secs("1us"), Some(0.000_001));
        assert_eq!(secs("1µs"), Some(0.000_001));
        assert_eq!(secs(".5s"), Some(0.5));
        assert_eq!(secs("0"), Some(0.0));
        assert_eq!(secs("-5s"), Some(-5.0));
        assert_eq!(secs("10"), None);
        assert_eq!(secs(""), None);
        assert_eq!(secs("s"), None);
        assert_eq!(secs("1d"), None);
        assert_eq!(secs("."), None);
        assert_eq!(secs("1 s"), None);
        assert_eq!(secs("9999999999h"), None);
    }
}
