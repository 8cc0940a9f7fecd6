//! Metric name escaping, exactly as statsd_exporter's `EscapeMetricName`.

use std::borrow::Cow;

/// Turns any text into a valid Prometheus metric name the way statsd_exporter does.
///
/// Keeps `[A-Za-z0-9_]`; prepends `_` when the name starts with a digit; replaces every
/// other character (a whole UTF-8 character, so one emoji becomes one `_`) with `_`, except
/// that a run of `-` becomes a single `_`. It does not lowercase and adds no suffix.
/// A name that needs no change is returned borrowed, without allocating.
///
/// statsd_exporter applies it to unmapped names, to mapped names after templating and to
/// tag keys.
///
/// ```
/// use statsd_mapper::escape_metric_name;
///
/// assert_eq!(escape_metric_name("clean"), "clean");
/// assert!(matches!(escape_metric_name("clean"), std::borrow::Cow::Borrowed(_)));
/// assert_eq!(escape_metric_name("0starts_with_digit"), "_0starts_with_digit");
/// assert_eq!(escape_metric_name("with---multiple-dashes"), "with_multiple_dashes");
/// assert_eq!(escape_metric_name("test.web-server.foo.bar"), "test_web_server_foo_bar");
/// assert_eq!(escape_metric_name("with😱emoji"), "with_emoji");
/// ```
pub fn escape_metric_name(name: &str) -> Cow<'_, str> {
    if is_clean(name) {
        return Cow::Borrowed(name);
    }
    let mut out = String::with_capacity(name.len() + 1);
    write_escaped(name, &mut out);
    Cow::Owned(out)
}

/// Appends the escaped form of `name` to `out` (see [`escape_metric_name`]).
///
/// Reusing `out` across calls avoids allocating once it has grown.
///
/// ```
/// use statsd_mapper::escape_metric_name_into;
///
/// let mut out = String::new();
/// escape_metric_name_into("with.*.multiple", &mut out);
/// assert_eq!(out, "with___multiple");
/// ```
pub fn escape_metric_name_into(name: &str, out: &mut String) {
    if is_clean(name) {
        out.push_str(name);
    } else {
        write_escaped(name, out);
    }
}

#[inline]
fn is_valid_byte(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'_'
}

/// True when [`escape_metric_name`] would return the input unchanged.
#[inline]
pub(crate) fn is_clean(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        None => true,
        Some(first) if first.is_ascii_digit() => false,
        Some(_) => bytes.iter().all(|&b| is_valid_byte(b)),
    }
}

fn write_escaped(name: &str, out: &mut String) {
    let bytes = name.as_bytes();
    out.reserve(bytes.len() + 1);
    if bytes.first().is_some_and(u8::is_ascii_digit) {
        out.push('_');
    }
    // Copy runs of valid bytes whole; one `_` per other character, one per run of `-`.
    let mut run_start = 0;
    let mut previous_dash = false;
    for (i, c) in name.char_indices() {
        if c.is_ascii_alphanumeric() || c == '_' {
            previous_dash = false;
            continue;
        }
        out.push_str(&name[run_start..i]);
        run_start = i + c.len_utf8();
        if !(c == '-' && previous_dash) {
            out.push('_');
        }
        previous_dash = c == '-';
    }
    out.push_str(&name[run_start..]);
}
