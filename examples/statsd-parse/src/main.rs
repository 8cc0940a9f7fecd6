//! Reads StatsD packets from files or stdin and prints what the parser found.
//!
//! ```text
//! statsd-parse [--dogstatsd] [--no-dogstatsd-tags] [--no-influxdb-tags]
//!              [--no-librato-tags] [--no-signalfx-tags] [--no-events] [FILE…]
//! ```
//!
//! Each input (a file, or stdin when no file or `-` is given) is read as one stream of
//! `\n`-separated lines. For every sample, event and service check one line is printed;
//! for every error, its reason (statsd_exporter's vocabulary) and byte offset in the
//! input. A summary with counts by reason goes to the end. The exit status is 0 when
//! every input could be read (parse errors are findings, not failures), 2 otherwise.

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Read, Write};
use std::process::ExitCode;

use statsd_proto::{ErrorKind, Item, Metric, Parser};

const USAGE: &str = "usage: statsd-parse [--dogstatsd] [--no-dogstatsd-tags] [--no-influxdb-tags] \
[--no-librato-tags] [--no-signalfx-tags] [--no-events] [FILE...]";

#[derive(Default)]
struct Summary {
    lines: usize,
    metrics: usize,
    samples: usize,
    events: usize,
    service_checks: usize,
    tag_errors: u64,
    errors: BTreeMap<&'static str, u64>,
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).escape_debug().to_string()
}

/// Tracks line numbers for increasing byte offsets in one input.
struct Lines<'a> {
    input: &'a [u8],
    offset: usize,
    line: usize,
}

impl Lines<'_> {
    fn at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.input.len());
        if offset < self.offset {
            self.offset = 0;
            self.line = 1;
        }
        self.line += memchr_count(&self.input[self.offset..offset]);
        self.offset = offset;
        self.line
    }
}

fn memchr_count(bytes: &[u8]) -> usize {
    bytes.iter().filter(|&&b| b == b'\n').count()
}

fn print_metric(
    out: &mut impl Write,
    name: &str,
    line_no: usize,
    m: &Metric<'_>,
    summary: &mut Summary,
) -> io::Result<()> {
    summary.metrics += 1;
    let tags: Vec<String> = m
        .tags()
        .map(|t| match t.value() {
            Some(v) => format!("{}={}", text(t.key()), text(v)),
            None => text(t.key()),
        })
        .collect();
    let tags = if tags.is_empty() {
        String::new()
    } else {
        format!(" tags={}", tags.join(","))
    };
    let metric_name = text(&m.name().to_vec());
    for kind in m.sample_errors() {
        *summary.errors.entry(kind.as_str()).or_default() += 1;
    }
    for sample in m.samples() {
        match sample {
            Ok(s) => {
                summary.samples += 1;
                write!(
                    out,
                    "{name}:{line_no}: {} {metric_name} {}",
                    s.kind(),
                    s.value()
                )?;
                if s.is_relative() {
                    write!(out, " (delta)")?;
                }
                if s.sample_rate() != 1.0 {
                    write!(out, " @{}", s.sample_rate())?;
                }
                if let Some(ts) = s.timestamp() {
                    write!(out, " T{ts}")?;
                }
                writeln!(out, "{tags}")?;
            }
            Err(e) => writeln!(
                out,
                "{name}:{line_no}: error {} at byte {}",
                e.kind(),
                e.offset()
            )?,
        }
    }
    // Unparsable `@rate` fields: statsd_exporter counts them and keeps the sample.
    let bad_rates = m
        .sample_errors()
        .filter(|k| *k == ErrorKind::InvalidSampleFactor)
        .count();
    let failed_samples = m
        .samples()
        .filter(|s| matches!(s, Err(e) if e.kind() == ErrorKind::InvalidSampleFactor))
        .count();
    for _ in failed_samples..bad_rates {
        writeln!(
            out,
            "{name}:{line_no}: warning invalid_sample_factor (rate ignored)"
        )?;
    }
    summary.tag_errors += u64::from(m.tag_errors());
    Ok(())
}

fn report(
    out: &mut impl Write,
    parser: &Parser,
    name: &str,
    input: &[u8],
    summary: &mut Summary,
) -> io::Result<()> {
    summary.lines +=
        memchr_count(input) + usize::from(!input.is_empty() && !input.ends_with(b"\n"));
    let mut lines = Lines {
        input,
        offset: 0,
        line: 1,
    };
    let base = input.as_ptr() as usize;
    for result in parser.packet(input) {
        match result {
            Err(e) => {
                *summary.errors.entry(e.kind().as_str()).or_default() += 1;
                summary.tag_errors += u64::from(e.tag_errors());
                let line_no = lines.at(e.offset());
                writeln!(
                    out,
                    "{name}:{line_no}: error {} at byte {}",
                    e.kind(),
                    e.offset()
                )?;
            }
            Ok(item) => {
                let line_no = lines.at(item.line().as_ptr() as usize - base);
                match &item {
                    Item::Metric(m) => print_metric(out, name, line_no, m, summary)?,
                    Item::Event(e) => {
                        summary.events += 1;
                        writeln!(
                            out,
                            "{name}:{line_no}: event {:?} {:?}",
                            text(e.title()),
                            text(&e.text_unescaped())
                        )?;
                    }
                    Item::ServiceCheck(sc) => {
                        summary.service_checks += 1;
                        writeln!(
                            out,
                            "{name}:{line_no}: service_check {} status={}",
                            text(sc.name()),
                            sc.status().as_str()
                        )?;
                    }
                }
            }
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut dogstatsd = false;
    let mut off = Vec::new();
    let mut files = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--dogstatsd" => dogstatsd = true,
            "--no-dogstatsd-tags"
            | "--no-influxdb-tags"
            | "--no-librato-tags"
            | "--no-signalfx-tags"
            | "--no-events" => off.push(arg),
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            flag if flag.starts_with("--") => {
                eprintln!("statsd-parse: unknown option {flag}\n{USAGE}");
                return ExitCode::from(2);
            }
            _ => files.push(arg),
        }
    }
    let mut parser = if dogstatsd {
        Parser::dogstatsd()
    } else {
        Parser::new()
    };
    for flag in &off {
        parser = match flag.as_str() {
            "--no-dogstatsd-tags" => parser.dogstatsd_tags(false),
            "--no-influxdb-tags" => parser.influxdb_tags(false),
            "--no-librato-tags" => parser.librato_tags(false),
            "--no-signalfx-tags" => parser.signalfx_tags(false),
            _ => parser.events(false),
        };
    }
    if files.is_empty() {
        files.push("-".to_string());
    }
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut summary = Summary::default();
    let mut failed = false;
    for file in &files {
        let (name, data) = if file == "-" {
            let mut buf = Vec::new();
            ("<stdin>", io::stdin().read_to_end(&mut buf).map(|_| buf))
        } else {
            (file.as_str(), std::fs::read(file))
        };
        match data {
            Ok(data) => {
                if report(&mut out, &parser, name, &data, &mut summary).is_err() {
                    return ExitCode::SUCCESS; // stdout closed (e.g. piped into `head`)
                }
            }
            Err(e) => {
                eprintln!("statsd-parse: {name}: {e}");
                failed = true;
            }
        }
    }
    let errors: u64 = summary.errors.values().sum();
    let by_reason: Vec<String> = summary
        .errors
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    let _ = writeln!(
        out,
        "summary: lines={} metrics={} samples={} events={} service_checks={} errors={} tag_errors={}{}",
        summary.lines,
        summary.metrics,
        summary.samples,
        summary.events,
        summary.service_checks,
        errors,
        summary.tag_errors,
        if by_reason.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_reason.join(" "))
        }
    );
    let _ = out.flush();
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
