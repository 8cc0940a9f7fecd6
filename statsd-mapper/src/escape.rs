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

/// Whether [`escape_metric_name`] leaves `name` unchanged: `name` is already a valid
/// Prometheus metric name without `:` (`[A-Za-z_][A-Za-z0-9_]*`, or empty). Allocates
/// nothing; lets a caller keep borrowing a name that needs no escaping.
///
/// ```
/// use statsd_mapper::escapes_to_itself;
///
/// assert!(escapes_to_itself("http_requests"));
/// assert!(!escapes_to_itself("http.requests"));
/// assert!(!escapes_to_itself("5xx"));
/// ```
#[inline]
pub fn escapes_to_itself(name: &str) -> bool {
    is_clean(name)
}

/// Byte classes: `[A-Za-z0-9_]`, `-`, another character's first byte, a UTF-8
/// continuation byte (part of the character before it).
const VALID: u8 = 0;
const DASH: u8 = 1;
const OTHER: u8 = 2;
const CONTINUATION: u8 = 3;

static CLASS: [u8; 256] = {
    let mut table = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let byte = b as u8;
        table[b] = if byte.is_ascii_alphanumeric() || byte == b'_' {
            VALID
        } else if byte == b'-' {
            DASH
        } else if byte >= 0x80 && byte < 0xC0 {
            CONTINUATION
        } else {
            OTHER
        };
        b += 1;
    }
    table
};

/// Each byte's replacement when the name is ASCII without `-`: itself or `_`.
static REPLACEMENT: [u8; 256] = {
    let mut table = [b'_'; 256];
    let mut b = 0;
    while b < 256 {
        if CLASS[b] == VALID {
            table[b] = b as u8;
        }
        b += 1;
    }
    table
};

/// True when [`escape_metric_name`] would return the input unchanged.
#[inline]
pub(crate) fn is_clean(name: &str) -> bool {
    let bytes = name.as_bytes();
    match bytes.first() {
        None => true,
        Some(first) if first.is_ascii_digit() => false,
        Some(_) => bytes.iter().all(|&b| CLASS[usize::from(b)] == VALID),
    }
}

/// Byte-level: runs of valid bytes are copied whole; one `_` per other character (its
/// continuation bytes are skipped), one per run of `-`. Only ASCII bytes and the first
/// byte of a character end a run, so every slice boundary is a character boundary.
fn write_escaped(name: &str, out: &mut String) {
    let bytes = name.as_bytes();
    if bytes.is_ascii() && !bytes.contains(&b'-') {
        // The common case (dotted ASCII names): one byte out per byte in, through a
        // table, in one pass without per-run copies.
        let mut buffer = std::mem::take(out).into_bytes();
        buffer.reserve(bytes.len() + 1);
        if bytes.first().is_some_and(u8::is_ascii_digit) {
            buffer.push(b'_');
        }
        buffer.extend(bytes.iter().map(|&b| REPLACEMENT[usize::from(b)]));
        *out = String::from_utf8(buffer)
            .unwrap_or_else(|err| String::from_utf8_lossy(err.as_bytes()).into_owned());
        return;
    }
    out.reserve(bytes.len() + 1);
    if bytes.first().is_some_and(u8::is_ascii_digit) {
        out.push('_');
    }
    let mut run_start = 0;
    let mut previous_dash = false;
    let mut i = 0;
    while i < bytes.len() {
        let class = CLASS[usize::from(bytes[i])];
        if class == VALID {
            i += 1;
            continue;
        }
        if i > run_start {
            // A valid character came between this one and any earlier `-`.
            previous_dash = false;
            out.push_str(&name[run_start..i]);
        }
        i += 1;
        if class == DASH {
            if !previous_dash {
                out.push('_');
            }
            previous_dash = true;
        } else {
            out.push('_');
            previous_dash = false;
            while i < bytes.len() && CLASS[usize::from(bytes[i])] == CONTINUATION {
                i += 1;
            }
        }
        run_start = i;
    }
    out.push_str(&name[run_start..]);
}
