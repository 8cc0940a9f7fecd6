//! A small structured logger writing promslog-shaped lines to stderr.
//!
//! `--log.format=logfmt` gives `time=… level=INFO msg="…" key=value`; `--log.format=json`
//! gives one JSON object per line with the same keys. Logging happens at start-up, on
//! reload and on rare errors only, never per line, so a lock on stderr is fine.

use std::fmt::{Display, Write as _};
use std::io::Write as _;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::flags::{Level, LogFormat};

static CONFIG: OnceLock<(Level, LogFormat)> = OnceLock::new();

/// Sets the level and format; later calls are ignored.
pub fn init(level: Level, format: LogFormat) {
    let _ = CONFIG.set((level, format));
}

fn config() -> (Level, LogFormat) {
    *CONFIG.get().unwrap_or(&(Level::Info, LogFormat::Logfmt))
}

/// Logs `msg` with key/value pairs at `level`, if the level is enabled.
pub fn log(level: Level, msg: &str, fields: &[(&str, &dyn Display)]) {
    let (min, format) = config();
    if level < min {
        return;
    }
    let line = format_line(format, &timestamp(SystemTime::now()), level, msg, fields);
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
}

/// Logs at debug level.
pub fn debug(msg: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Debug, msg, fields);
}

/// Logs at info level.
pub fn info(msg: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Info, msg, fields);
}

/// Logs at warn level.
pub fn warn(msg: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Warn, msg, fields);
}

/// Logs at error level.
pub fn error(msg: &str, fields: &[(&str, &dyn Display)]) {
    log(Level::Error, msg, fields);
}

fn format_line(
    format: LogFormat,
    time: &str,
    level: Level,
    msg: &str,
    fields: &[(&str, &dyn Display)],
) -> String {
    let level = level.as_str().to_ascii_uppercase();
    let mut out = String::with_capacity(128);
    match format {
        LogFormat::Logfmt => {
            let _ = write!(out, "time={time} level={level} msg=");
            push_logfmt_value(&mut out, msg);
            for (key, value) in fields {
                let _ = write!(out, " {key}=");
                push_logfmt_value(&mut out, &value.to_string());
            }
        }
        LogFormat::Json => {
            let _ = write!(out, "{{\"time\":\"{time}\",\"level\":\"{level}\",\"msg\":");
            push_json_string(&mut out, msg);
            for (key, value) in fields {
                out.push(',');
                push_json_string(&mut out, key);
                out.push(':');
                push_json_string(&mut out, &value.to_string());
            }
            out.push('}');
        }
    }
    out.push('\n');
    out
}

fn push_logfmt_value(out: &mut String, value: &str) {
    let needs_quotes = value.is_empty()
        || value
            .chars()
            .any(|c| c == ' ' || c == '=' || c == '"' || c.is_control());
    if needs_quotes {
        push_json_string(out, value);
    } else {
        out.push_str(value);
    }
}

fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// RFC 3339 UTC with milliseconds, e.g. `2026-11-25T15:30:49.123Z`.
pub fn timestamp(now: SystemTime) -> String {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let rem = secs % 86_400;
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// Days since 1970-01-01 to (year, month, day), Howard Hinnant's algorithm.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = UNIX_EPOCH + Duration::from_millis(1_795_620_649_123);
        assert_eq!(timestamp(t), "2026-11-25T15:30:49.123Z");
        assert_eq!(timestamp(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(timestamp(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn logfmt_quotes_only_when_needed() {
        let n = 3;
        let line = format_line(
            LogFormat::Logfmt,
            "T",
            Level::Warn,
            "bad thing",
            &[("addr", &":9125"), ("n", &n), ("path", &"a b")],
        );
        assert_eq!(
            line,
            "time=T level=WARN msg=\"bad thing\" addr=:9125 n=3 path=\"a b\"\n"
        );
    }

    #[test]
    fn json_escapes() {
        let line = format_line(
            LogFormat::Json,
            "T",
            Level::Info,
            "q\"x\n",
            &[("k", &"\u{1}")],
        );
        assert_eq!(
            line,
            "{\"time\":\"T\",\"level\":\"INFO\",\"msg\":\"q\\\"x\\n\",\"k\":\"\\u0001\"}\n"
        );
    }
}
