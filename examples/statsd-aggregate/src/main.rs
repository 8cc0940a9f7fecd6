//! `statsd-aggregate`: reads StatsD from stdin or a UDP socket, maps it with an optional
//! statsd_exporter mapping file, and prints per-interval aggregates as JSON lines. A template
//! for downstream exporters; see README.md.

use std::io::{self, BufRead, BufWriter, Write};
use std::net::UdpSocket;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use statsd_aggregate::IntervalAggregate;
use statsd_exporter_core::{EVENT_TYPES, Pipeline, SAMPLE_ERROR_REASONS, Stats};
use statsd_mapper::{Mapper, MapperConfig};
use statsd_proto::Parser;

const USAGE: &str = "usage: statsd-aggregate [--mapping FILE] [--udp ADDR] [--interval SECONDS]

Reads StatsD lines from stdin (one aggregate at end of input) or, with --udp, datagrams
from ADDR (one aggregate every --interval, default 10 seconds), maps them with the
statsd_exporter mapping FILE, and prints one JSON line per series and interval.";

struct Options {
    mapping: Option<String>,
    udp: Option<String>,
    interval: Duration,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        mapping: None,
        udp: None,
        interval: Duration::from_secs(10),
    };
    while let Some(arg) = args.next() {
        let mut value = |flag: &str| args.next().ok_or(format!("{flag} needs a value"));
        match arg.as_str() {
            "--mapping" => options.mapping = Some(value("--mapping")?),
            "--udp" => options.udp = Some(value("--udp")?),
            "--interval" => {
                let text = value("--interval")?;
                options.interval = text
                    .parse::<f64>()
                    .ok()
                    .and_then(|s| Duration::try_from_secs_f64(s).ok())
                    .filter(|d| !d.is_zero())
                    .ok_or(format!(
                        "--interval: not a positive number of seconds: {text:?}"
                    ))?;
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(options)
}

fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("statsd-aggregate: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&options) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("statsd-aggregate: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(options: &Options) -> Result<(), String> {
    // The mapping: errors name file, line and column (statsd_mapper::Error's Display).
    let config = match &options.mapping {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
            let config = MapperConfig::from_yaml_str(&text, Some(path.as_ref()))
                .map_err(|e| e.to_string())?;
            for warning in config.warnings() {
                eprintln!("{path}:{warning}");
            }
            config
        }
        None => MapperConfig::empty(),
    };
    // The pipeline: parse (DogStatsD events off, as statsd_exporter counts them as errors),
    // map, then hand each event to our sink. Stats are the statsd_exporter self-metrics.
    let stats = Arc::new(Stats::default());
    let mapper = Arc::new(Mapper::new(config, 1000));
    let mut pipeline = Pipeline::new(mapper, Parser::new().events(false), stats.clone());
    let mut aggregate = IntervalAggregate::new();
    let mut out = BufWriter::new(io::stdout().lock());

    match &options.udp {
        None => read_stdin(&mut pipeline, &mut aggregate)?,
        Some(addr) => {
            return serve_udp(
                addr,
                options.interval,
                &mut pipeline,
                &mut aggregate,
                &mut out,
            );
        }
    }
    aggregate.flush(&mut out).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    eprintln!("{}", summary(&stats));
    Ok(())
}

/// Stream lines (like statsd_exporter's TCP listener): one line at a time, no size limit.
fn read_stdin(pipeline: &mut Pipeline, aggregate: &mut IntervalAggregate) -> Result<(), String> {
    let mut input = io::stdin().lock();
    let mut line = Vec::new();
    loop {
        line.clear();
        if input
            .read_until(b'\n', &mut line)
            .map_err(|e| e.to_string())?
            == 0
        {
            return Ok(());
        }
        // Without its `\n`; a `\r` of a `\r\n` end is the parser's to remove.
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        pipeline.process_line(text, aggregate);
    }
}

/// Datagrams until killed, one aggregate every `interval` (also when nothing arrived).
fn serve_udp(
    addr: &str,
    interval: Duration,
    pipeline: &mut Pipeline,
    aggregate: &mut IntervalAggregate,
    out: &mut impl Write,
) -> Result<(), String> {
    let socket = UdpSocket::bind(addr).map_err(|e| format!("{addr}: {e}"))?;
    let local = socket.local_addr().map_err(|e| e.to_string())?;
    eprintln!("listening on udp {local}");
    let mut buffer = vec![0; 65_535];
    let mut next_flush = Instant::now() + interval;
    loop {
        let now = Instant::now();
        if now >= next_flush {
            aggregate.flush(out).map_err(|e| e.to_string())?;
            out.flush().map_err(|e| e.to_string())?;
            next_flush += interval;
            continue;
        }
        socket
            .set_read_timeout(Some(next_flush - now))
            .map_err(|e| e.to_string())?;
        match socket.recv(&mut buffer) {
            Ok(n) => {
                pipeline.stats().udp_packets.inc();
                pipeline.process_packet(&buffer[..n], aggregate);
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("udp {local}: {e}")),
        }
    }
}

/// The pipeline's accounting in one line, for stderr.
fn summary(stats: &Stats) -> String {
    let errors: u64 = SAMPLE_ERROR_REASONS
        .iter()
        .map(|r| stats.sample_errors.get(r))
        .sum();
    let events: u64 = EVENT_TYPES.iter().map(|t| stats.events.get(t)).sum();
    let mut line = format!(
        "lines={} samples={} sample_errors={errors} events={events} unmapped={} dropped={}",
        stats.lines.get(),
        stats.samples.get(),
        stats.events_unmapped.get(),
        stats.events_actions.get("drop"),
    );
    for reason in SAMPLE_ERROR_REASONS {
        let n = stats.sample_errors.get(reason);
        if n > 0 {
            line.push_str(&format!(" {reason}={n}"));
        }
    }
    line
}
