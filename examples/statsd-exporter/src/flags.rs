//! Command-line flags, parsed the way kingpin (statsd_exporter's flag library) parses them.
//!
//! Accepted forms: `--flag=value`, `--flag value`, `--bool-flag`, `--no-bool-flag`,
//! `--bool-flag=true|false`, `-h`, `--help`, `--version`, and `--` to stop. Every flag of
//! statsd_exporter 0.30 is known by its exact name and default; flags that mean nothing in
//! this design are accepted and reported by [`Flags::ignored`] so that `main` logs them once.

mod remote_write;

use std::fmt;
use std::time::Duration;

pub use remote_write::RemoteWriteFlags;

/// How a flag takes its value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// Takes a value (`--flag=v` or `--flag v`).
    Value,
    /// A switch: `--flag`, `--no-flag`, `--flag=false`.
    Bool,
    /// Takes a value and may be repeated; the values are kept in order, joined by
    /// [`LIST_SEPARATOR`] (a byte no command-line argument can contain).
    List,
}

/// Joins the values of a repeated flag.
const LIST_SEPARATOR: char = '\0';

/// One row of the flag table: name (without `--`), kind, default shown in `--help`, help text.
struct Spec {
    name: &'static str,
    kind: Kind,
    default: &'static str,
    help: &'static str,
}

const fn value(name: &'static str, default: &'static str, help: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Value,
        default,
        help,
    }
}

const fn list(name: &'static str, default: &'static str, help: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::List,
        default,
        help,
    }
}

const fn switch(name: &'static str, default: &'static str, help: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Bool,
        default,
        help,
    }
}

/// Flags whose meaning statsd_exporter defines but which this design has no use for:
/// there is no event queue (each receive thread maps and records a whole batch itself)
/// and no UDP packet queue (the kernel socket buffer is the queue; see `--statsd.read-buffer`).
const IGNORED: &[&str] = &[
    "statsd.cache-type",
    "statsd.event-queue-size",
    "statsd.event-flush-threshold",
    "statsd.event-flush-interval",
    "statsd.udp-packet-queue-size",
    "debug.dump-fsm",
];

/// The flag table, in `--help` order.
const SPECS: &[Spec] = &[
    value(
        "web.listen-address",
        ":9102",
        "Address on which to expose metrics and the web interface.",
    ),
    value(
        "web.telemetry-path",
        "/metrics",
        "Path under which to expose metrics.",
    ),
    switch(
        "web.enable-openmetrics",
        "false",
        "New: answer OpenMetrics 1.0 text when the scraper's Accept header asks for it (counters then gain _total in Prometheus).",
    ),
    switch(
        "web.enable-lifecycle",
        "false",
        "Enable shutdown and reload via HTTP request (PUT or POST /-/quit, /-/reload).",
    ),
    value(
        "web.max-connections",
        "64",
        "New: most HTTP connections served at once; more are answered 503 and closed.",
    ),
    value(
        "statsd.listen-udp",
        ":9125",
        "The UDP address on which to receive statsd metric lines. \"\" disables it.",
    ),
    value(
        "statsd.listen-tcp",
        ":9125",
        "The TCP address on which to receive statsd metric lines. \"\" disables it.",
    ),
    value(
        "statsd.listen-unixgram",
        "",
        "The Unixgram socket path to receive statsd metric lines in datagram. \"\" disables it.",
    ),
    value(
        "statsd.unixsocket-mode",
        "755",
        "The permission mode of the unix socket (octal).",
    ),
    value(
        "statsd.mapping-config",
        "",
        "Metric mapping configuration file name.",
    ),
    value(
        "statsd.read-buffer",
        "0",
        "Size (in bytes) of the operating system's receive buffer (SO_RCVBUF) of the UDP and unixgram sockets. 0: UDP asks for 8 MiB (with SO_RCVBUFFORCE when the process has CAP_NET_ADMIN, else capped by the kernel at net.core.rmem_max), unixgram keeps the system default.",
    ),
    value(
        "statsd.cache-size",
        "1000",
        "Maximum size of your metric mapping cache. 0 disables the cache.",
    ),
    value(
        "statsd.cache-type",
        "lru",
        "Metric mapping cache type. Valid options are \"lru\" and \"random\". Accepted; the mapper's sharded cache always evicts at random (no lock on a hit).",
    ),
    value(
        "statsd.event-queue-size",
        "10000",
        "Accepted for compatibility; unused (no event queue: each receive thread records its own batch).",
    ),
    value(
        "statsd.event-flush-threshold",
        "1000",
        "Accepted for compatibility; unused (see --statsd.event-queue-size).",
    ),
    value(
        "statsd.event-flush-interval",
        "200ms",
        "Accepted for compatibility; unused (see --statsd.event-queue-size).",
    ),
    value(
        "statsd.udp-packet-queue-size",
        "10000",
        "Accepted for compatibility; unused (the kernel socket buffer is the queue; see --statsd.read-buffer).",
    ),
    value(
        "statsd.max-series",
        "1000000",
        "New: most series kept; a sample that would create one more is dropped and counted in statsd_exporter_series_dropped_total. 0: no limit (statsd_exporter's behaviour).",
    ),
    value(
        "statsd.max-series-per-metric",
        "0",
        "New: most series per metric name (dropped and counted beyond it). 0: no limit.",
    ),
    value(
        "statsd.udp-listener-threads",
        "0",
        "New: number of UDP receive threads, each with its own SO_REUSEPORT socket; 0 means one per CPU.",
    ),
    value(
        "statsd.tcp-max-line-length",
        "1048576",
        "New: longest TCP line kept, in bytes; a longer line is skipped and counted, the connection stays open.",
    ),
    value(
        "statsd.tcp-idle-timeout",
        "5m",
        "New: close a TCP connection that sends nothing for this long (counted in statsd_exporter_tcp_idle_timeouts_total); an unfinished line is dropped. 0: never (statsd_exporter's behaviour).",
    ),
    switch(
        "statsd.parse-dogstatsd-tags",
        "true",
        "Parse DogStatsd style tags.",
    ),
    switch(
        "statsd.parse-influxdb-tags",
        "true",
        "Parse InfluxDB style tags.",
    ),
    switch(
        "statsd.parse-librato-tags",
        "true",
        "Parse Librato style tags.",
    ),
    switch(
        "statsd.parse-signalfx-tags",
        "true",
        "Parse SignalFX style tags.",
    ),
    value(
        "statsd.relay.address",
        "",
        "The UDP relay target address (host:port).",
    ),
    value(
        "statsd.relay.packet-length",
        "1400",
        "Maximum relay output packet length to avoid fragmentation.",
    ),
    value(
        "statsd.mapping-explain",
        "",
        "New: a StatsD line (name:value|type); print which mapping rule maps it and to what, then exit.",
    ),
    value(
        "debug.dump-fsm",
        "",
        "Accepted for compatibility; unused (there is no FSM to dump: globs compile to a trie).",
    ),
    value(
        "remote-write.url",
        "",
        "New: push every series with Prometheus remote write 1.0 to this http:// URL (Prometheus' /api/v1/write, Mimir's /api/v1/push, ...). \"\" disables it.",
    ),
    value(
        "remote-write.interval",
        "15s",
        "New: time between two remote-write snapshots of all series.",
    ),
    value(
        "remote-write.batch-size",
        "500",
        "New: most series in one remote-write request.",
    ),
    value(
        "remote-write.queue-capacity",
        "100",
        "New: most remote-write requests waiting while the receiver is slow or down; past it the oldest is dropped and counted.",
    ),
    value(
        "remote-write.timeout",
        "10s",
        "New: connect, read and write timeout of a remote-write request.",
    ),
    value(
        "remote-write.max-retries",
        "10",
        "New: retries of a failed remote-write request (connection error, 5xx, 429) before it is dropped and counted; waits double from 30ms to 5s between them.",
    ),
    value(
        "remote-write.basic-auth.username",
        "",
        "New: basic-auth user name of remote-write requests (needs --remote-write.basic-auth.password-file).",
    ),
    value(
        "remote-write.basic-auth.password-file",
        "",
        "New: file holding the basic-auth password of remote-write requests (one trailing newline is ignored).",
    ),
    list(
        "remote-write.label",
        "",
        "New: name=value label added to every pushed series, such as instance=web-1; repeatable. A series' own label of that name wins.",
    ),
    switch("check-config", "false", "Check configuration and exit."),
    value(
        "log.level",
        "info",
        "Only log messages with the given severity or above. One of: [debug, info, warn, error].",
    ),
    value(
        "log.format",
        "logfmt",
        "Output format of log messages. One of: [logfmt, json].",
    ),
];

/// Log severity, as promslog names it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
pub enum Level {
    /// `debug`
    Debug,
    /// `info`
    Info,
    /// `warn`
    Warn,
    /// `error`
    Error,
}

impl Level {
    /// The promslog name of this level.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// Log line format.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LogFormat {
    /// `key=value` pairs.
    Logfmt,
    /// One JSON object per line.
    Json,
}

/// The mapping cache flavour (`--statsd.cache-type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum CacheType {
    /// Least recently used.
    Lru,
    /// Random replacement.
    Random,
}

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    /// Run the exporter with these flags.
    Run(Box<Flags>),
    /// Print the help text to stdout and exit 0.
    Help,
    /// Print the version to stdout and exit 0.
    Version,
}

/// Every flag value after parsing; defaults are statsd_exporter's.
#[derive(Debug, Clone)]
pub struct Flags {
    /// `--web.listen-address`
    pub web_listen_address: String,
    /// `--web.telemetry-path`
    pub telemetry_path: String,
    /// `--web.enable-lifecycle`
    pub enable_lifecycle: bool,
    /// `--web.max-connections`
    pub web_max_connections: usize,
    /// `--web.enable-openmetrics`
    pub enable_openmetrics: bool,
    /// `--statsd.max-series` (0 = no limit)
    pub max_series: usize,
    /// `--statsd.max-series-per-metric` (0 = no limit)
    pub max_series_per_metric: usize,
    /// `--statsd.listen-udp`
    pub listen_udp: String,
    /// `--statsd.listen-tcp`
    pub listen_tcp: String,
    /// `--statsd.listen-unixgram`
    pub listen_unixgram: String,
    /// `--statsd.unixsocket-mode`, parsed from octal.
    pub unixsocket_mode: u32,
    /// `--statsd.mapping-config`
    pub mapping_config: Option<String>,
    /// `--statsd.read-buffer`
    pub read_buffer: usize,
    /// `--statsd.cache-size`
    pub cache_size: usize,
    /// `--statsd.udp-listener-threads` (0 = one per CPU).
    pub udp_listener_threads: usize,
    /// `--statsd.tcp-max-line-length`
    pub tcp_max_line_length: usize,
    /// `--statsd.tcp-idle-timeout` (`None` for 0: never).
    pub tcp_idle_timeout: Option<Duration>,
    /// `--[no-]statsd.parse-dogstatsd-tags`
    pub parse_dogstatsd_tags: bool,
    /// `--[no-]statsd.parse-influxdb-tags`
    pub parse_influxdb_tags: bool,
    /// `--[no-]statsd.parse-librato-tags`
    pub parse_librato_tags: bool,
    /// `--[no-]statsd.parse-signalfx-tags`
    pub parse_signalfx_tags: bool,
    /// `--statsd.relay.address`
    pub relay_address: Option<String>,
    /// `--statsd.relay.packet-length`
    pub relay_packet_length: usize,
    /// `--statsd.mapping-explain`
    pub mapping_explain: Option<String>,
    /// `--check-config`
    pub check_config: bool,
    /// `--log.level`
    pub log_level: Level,
    /// `--log.format`
    pub log_format: LogFormat,
    /// `--remote-write.*` (`None` without `--remote-write.url`).
    pub remote_write: Option<RemoteWriteFlags>,
    /// Flags given on the command line that this design does not use (logged once at start).
    pub ignored: Vec<&'static str>,
}

/// A command-line error, worded like kingpin's.
#[derive(Debug, PartialEq, Eq)]
pub struct FlagError(String);

impl fmt::Display for FlagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FlagError {}

fn err<T>(message: String) -> Result<T, FlagError> {
    Err(FlagError(message))
}

/// Parses the arguments after the program name.
///
/// # Errors
/// An unknown flag, a missing value, a positional argument or a value that does not parse.
pub fn parse<I: IntoIterator<Item = String>>(args: I) -> Result<Command, FlagError> {
    let mut values: Vec<Option<String>> = SPECS.iter().map(|_| None).collect();
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        if arg == "--" {
            if let Some(extra) = args.next() {
                return err(format!("unexpected {extra}"));
            }
            break;
        }
        if arg == "-h" || arg == "--help" {
            return Ok(Command::Help);
        }
        if arg == "--version" {
            return Ok(Command::Version);
        }
        let Some(body) = arg.strip_prefix("--") else {
            return err(format!("unexpected {arg}"));
        };
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (body, None),
        };
        if let Some(index) = SPECS.iter().position(|s| s.name == name) {
            let spec = &SPECS[index];
            let v = match (spec.kind, inline) {
                (_, Some(v)) => v,
                (Kind::Bool, None) => "true".to_string(),
                (Kind::Value | Kind::List, None) => match args.next() {
                    Some(v) => v,
                    None => return err(format!("expected argument for flag '--{name}'")),
                },
            };
            values[index] = match (spec.kind, values[index].take()) {
                (Kind::List, Some(earlier)) => Some(format!("{earlier}{LIST_SEPARATOR}{v}")),
                _ => Some(v),
            };
            continue;
        }
        if let Some(positive) = name.strip_prefix("no-")
            && let Some(index) = SPECS
                .iter()
                .position(|s| s.name == positive && s.kind == Kind::Bool)
        {
            if inline.is_some() {
                return err(format!("unexpected value for flag '--{name}'"));
            }
            values[index] = Some("false".to_string());
            continue;
        }
        return err(format!("unknown long flag '--{name}'"));
    }
    Ok(Command::Run(Box::new(build(&values)?)))
}

/// Resolves the raw strings (given or default) into typed values.
fn build(values: &[Option<String>]) -> Result<Flags, FlagError> {
    let get = |name: &str| -> (&'static str, String) {
        let i = SPECS
            .iter()
            .position(|s| s.name == name)
            .expect("flag in table");
        (
            SPECS[i].name,
            values[i]
                .clone()
                .unwrap_or_else(|| SPECS[i].default.to_string()),
        )
    };
    let string = |name: &str| get(name).1;
    let optional = |name: &str| Some(get(name).1).filter(|v| !v.is_empty());
    let number = |name: &str| -> Result<usize, FlagError> {
        let (n, v) = get(name);
        v.parse::<usize>().or_else(|_| {
            err(format!(
                "invalid value {v:?} for flag '--{n}': expected a non-negative integer"
            ))
        })
    };
    let boolean = |name: &str| -> Result<bool, FlagError> {
        let (n, v) = get(name);
        match v.as_str() {
            "true" | "1" | "t" | "T" | "TRUE" | "True" => Ok(true),
            "false" | "0" | "f" | "F" | "FALSE" | "False" => Ok(false),
            _ => err(format!(
                "invalid value {v:?} for flag '--{n}': expected true or false"
            )),
        }
    };
    let (_, mode) = get("statsd.unixsocket-mode");
    let unixsocket_mode = u32::from_str_radix(&mode, 8)
        .ok()
        .filter(|m| *m <= 0o7777)
        .ok_or_else(|| FlagError(format!("invalid value {mode:?} for flag '--statsd.unixsocket-mode': expected an octal mode such as 755")))?;
    let _cache_type = match string("statsd.cache-type").as_str() {
        "lru" => CacheType::Lru,
        "random" => CacheType::Random,
        other => {
            return err(format!(
                "enum value must be one of lru,random, got '{other}'"
            ));
        }
    };
    let (_, interval) = get("statsd.event-flush-interval");
    let _event_flush_interval = parse_duration(&interval)
        .ok_or_else(|| FlagError(format!("invalid value {interval:?} for flag '--statsd.event-flush-interval': expected a duration such as 200ms")))?;
    let log_level = match string("log.level").as_str() {
        "debug" => Level::Debug,
        "info" => Level::Info,
        "warn" => Level::Warn,
        "error" => Level::Error,
        other => return err(format!("unrecognized log level {other}")),
    };
    let log_format = match string("log.format").as_str() {
        "logfmt" => LogFormat::Logfmt,
        "json" => LogFormat::Json,
        other => return err(format!("unrecognized log format {other}")),
    };
    let (_, idle) = get("statsd.tcp-idle-timeout");
    let tcp_idle_timeout = parse_duration(&idle)
        .ok_or_else(|| FlagError(format!("invalid value {idle:?} for flag '--statsd.tcp-idle-timeout': expected a duration such as 5m, or 0 for never")))?;
    let tcp_idle_timeout = Some(tcp_idle_timeout).filter(|t| !t.is_zero());
    let relay_packet_length = number("statsd.relay.packet-length")?;
    if !(2..=65_507).contains(&relay_packet_length) {
        return err(format!(
            "invalid value {relay_packet_length} for flag '--statsd.relay.packet-length': expected 2 to 65507"
        ));
    }
    let remote_write = remote_write::build(&get)?;
    let ignored = IGNORED
        .iter()
        .copied()
        .filter(|name| {
            values[SPECS
                .iter()
                .position(|s| s.name == *name)
                .expect("flag in table")]
            .is_some()
        })
        .collect();
    Ok(Flags {
        web_listen_address: string("web.listen-address"),
        telemetry_path: string("web.telemetry-path"),
        enable_lifecycle: boolean("web.enable-lifecycle")?,
        web_max_connections: number("web.max-connections")?.max(1),
        enable_openmetrics: boolean("web.enable-openmetrics")?,
        max_series: number("statsd.max-series")?,
        max_series_per_metric: number("statsd.max-series-per-metric")?,
        listen_udp: string("statsd.listen-udp"),
        listen_tcp: string("statsd.listen-tcp"),
        listen_unixgram: string("statsd.listen-unixgram"),
        unixsocket_mode,
        mapping_config: optional("statsd.mapping-config"),
        read_buffer: number("statsd.read-buffer")?,
        cache_size: number("statsd.cache-size")?,
        udp_listener_threads: number("statsd.udp-listener-threads")?,
        tcp_max_line_length: number("statsd.tcp-max-line-length")?.max(1),
        tcp_idle_timeout,
        parse_dogstatsd_tags: boolean("statsd.parse-dogstatsd-tags")?,
        parse_influxdb_tags: boolean("statsd.parse-influxdb-tags")?,
        parse_librato_tags: boolean("statsd.parse-librato-tags")?,
        parse_signalfx_tags: boolean("statsd.parse-signalfx-tags")?,
        relay_address: optional("statsd.relay.address"),
        relay_packet_length,
        mapping_explain: optional("statsd.mapping-explain"),
        check_config: boolean("check-config")?,
        log_level,
        log_format,
        remote_write,
        ignored,
    })
}

/// Parses a Go duration (`200ms`, `1s`, `1m30s`, `1.5h`, `0`).
pub fn parse_duration(text: &str) -> Option<Duration> {
    if text == "0" {
        return Some(Duration::ZERO);
    }
    let mut rest = text;
    let mut total = 0f64;
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return None;
        }
        let number: f64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return None,
        };
        rest = &rest[unit_len..];
        total += number * seconds;
    }
    Some(Duration::from_secs_f64(total))
}

/// The `--help` text (kingpin layout: usage line, then one entry per flag).
pub fn help() -> String {
    let mut out = String::from(
        "usage: statsd-exporter [<flags>]\n\n\
         A drop-in replacement for Prometheus' statsd_exporter: receives StatsD and DogStatsD \
         lines over UDP, TCP and unixgram, maps them with a statsd_exporter mapping file and \
         serves them to Prometheus.\n\nFlags:\n  -h, --help  Show context-sensitive help.\n",
    );
    for spec in SPECS {
        let flag = match spec.kind {
            Kind::Bool => format!("--[no-]{}", spec.name),
            Kind::Value => format!("--{}=<value>", spec.name),
            Kind::List => format!("--{}=<value> ...", spec.name),
        };
        let default = if spec.default.is_empty() || spec.default == "false" {
            String::new()
        } else {
            format!(" (default: {})", spec.default)
        };
        out.push_str(&format!("      {flag}\n          {}{default}\n", spec.help));
    }
    out.push_str("      --version  Show application version.\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Flags, FlagError> {
        match parse(args.iter().map(|s| s.to_string()))? {
            Command::Run(flags) => Ok(*flags),
            other => panic!("expected Run, got {other:?}"),
        }
    }

    #[test]
    fn defaults_are_statsd_exporters() {
        let f = run(&[]).unwrap();
        assert_eq!(f.web_listen_address, ":9102");
        assert_eq!(f.telemetry_path, "/metrics");
        assert_eq!(f.listen_udp, ":9125");
        assert_eq!(f.listen_tcp, ":9125");
        assert_eq!(f.listen_unixgram, "");
        assert_eq!(f.unixsocket_mode, 0o755);
        assert_eq!(f.mapping_config, None);
        assert_eq!(f.cache_size, 1000);
        assert!(
            f.parse_dogstatsd_tags
                && f.parse_influxdb_tags
                && f.parse_librato_tags
                && f.parse_signalfx_tags
        );
        assert_eq!(f.relay_address, None);
        assert_eq!(f.relay_packet_length, 1400);
        assert_eq!((f.max_series, f.max_series_per_metric), (1_000_000, 0));
        assert_eq!(f.tcp_idle_timeout, Some(Duration::from_secs(300)));
        assert!(!f.enable_lifecycle && !f.check_config);
        assert_eq!(f.log_level, Level::Info);
        assert_eq!(f.log_format, LogFormat::Logfmt);
        assert!(f.ignored.is_empty());
    }

    #[test]
    fn both_value_forms_and_negation() {
        let f = run(&[
            "--statsd.mapping-config=/etc/statsd-exporter/conf.yaml",
            "--web.listen-address",
            "127.0.0.1:1",
            "--no-statsd.parse-signalfx-tags",
            "--statsd.parse-librato-tags=false",
            "--web.enable-lifecycle",
            "--statsd.listen-udp=",
            "--statsd.unixsocket-mode=0600",
            "--log.format=json",
            "--log.level",
            "debug",
        ])
        .unwrap();
        assert_eq!(
            f.mapping_config.as_deref(),
            Some("/etc/statsd-exporter/conf.yaml")
        );
        assert_eq!(f.web_listen_address, "127.0.0.1:1");
        assert!(!f.parse_signalfx_tags && !f.parse_librato_tags && f.parse_dogstatsd_tags);
        assert!(f.enable_lifecycle);
        assert_eq!(f.listen_udp, "");
        assert_eq!(f.unixsocket_mode, 0o600);
        assert_eq!(f.log_format, LogFormat::Json);
        assert_eq!(f.log_level, Level::Debug);
    }

    #[test]
    fn unused_flags_are_accepted_and_reported() {
        let f = run(&[
            "--statsd.event-queue-size=5",
            "--statsd.udp-packet-queue-size",
            "7",
            "--statsd.event-flush-interval=1s",
        ])
        .unwrap();
        assert_eq!(
            f.ignored,
            vec![
                "statsd.event-queue-size",
                "statsd.event-flush-interval",
                "statsd.udp-packet-queue-size"
            ]
        );
    }

    #[test]
    fn errors_are_kingpin_worded() {
        let cases: &[(&[&str], &str)] = &[
            (&["--nope"], "unknown long flag '--nope'"),
            (
                &["--no-statsd.listen-udp"],
                "unknown long flag '--no-statsd.listen-udp'",
            ),
            (
                &["--web.listen-address"],
                "expected argument for flag '--web.listen-address'",
            ),
            (&["positional"], "unexpected positional"),
            (
                &["--statsd.cache-type=fifo"],
                "enum value must be one of lru,random, got 'fifo'",
            ),
            (&["--log.level=loud"], "unrecognized log level loud"),
            (&["--log.format=xml"], "unrecognized log format xml"),
        ];
        for (args, want) in cases {
            assert_eq!(run(args).unwrap_err().to_string(), *want, "{args:?}");
        }
        assert!(run(&["--statsd.unixsocket-mode=9"]).is_err());
        assert!(run(&["--statsd.cache-size=-1"]).is_err());
        assert!(run(&["--statsd.event-flush-interval=soon"]).is_err());
        assert_eq!(
            run(&["--statsd.tcp-idle-timeout=soon"])
                .unwrap_err()
                .to_string(),
            "invalid value \"soon\" for flag '--statsd.tcp-idle-timeout': expected a duration such as 5m, or 0 for never"
        );
        assert_eq!(
            run(&["--statsd.tcp-idle-timeout=0"])
                .unwrap()
                .tcp_idle_timeout,
            None
        );
        assert_eq!(
            run(&["--statsd.tcp-idle-timeout=1m30s"])
                .unwrap()
                .tcp_idle_timeout,
            Some(Duration::from_secs(90))
        );
        assert!(run(&["--web.enable-lifecycle=maybe"]).is_err());
    }

    #[test]
    fn help_version_and_double_dash() {
        assert!(matches!(parse(["--help".to_string()]), Ok(Command::Help)));
        assert!(matches!(parse(["-h".to_string()]), Ok(Command::Help)));
        assert!(matches!(
            parse(["--version".to_string()]),
            Ok(Command::Version)
        ));
        assert!(run(&["--"]).is_ok());
        let text = help();
        for spec in SPECS {
            assert!(text.contains(spec.name), "{}", spec.name);
        }
        assert!(text.contains("--[no-]statsd.parse-dogstatsd-tags"));
    }

    #[test]
    fn go_durations() {
        assert_eq!(parse_duration("200ms"), Some(Duration::from_millis(200)));
        assert_eq!(parse_duration("1m30s"), Some(Duration::from_secs(90)));
        assert_eq!(parse_duration("1.5s"), Some(Duration::from_millis(1500)));
        assert_eq!(parse_duration("0"), Some(Duration::ZERO));
        assert_eq!(parse_duration(""), None);
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("ms"), None);
    }
}
