//! Helpers shared by the hostile-input, flood and fault suites: `promtool` on every
//! exposition, counters read by name, raw packet senders.

use std::collections::HashSet;
use std::io::Write;
use std::net::{SocketAddr, UdpSocket};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{Exporter, require_program, sample_value};

/// Fails unless `promtool check metrics` parses `text` (exit 0, or 3 for naming lints that
/// statsd_exporter-compatible names break; 1 is a parse error), and unless no series is
/// exposed twice and no label is named twice (a scrape would reject either).
pub fn assert_valid_exposition(text: &str) {
    let promtool = require_program(
        "promtool",
        &["promtool", "/usr/bin/promtool"],
        "Debian package `prometheus`",
    );
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run promtool");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let findings = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let code = output.status.code();
    assert!(
        matches!(code, Some(0 | 3)) && !findings.contains("error"),
        "promtool rejects /metrics (exit {code:?}): {findings}\n--- exposition (first 4000 bytes):\n{}",
        text.chars().take(4000).collect::<String>()
    );
    let mut seen = HashSet::new();
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let (series, _) = line.rsplit_once(' ').expect("sample line has a value");
        assert!(seen.insert(series), "series exposed twice: {line}");
    }
}

/// The value of `sample` in `text`, 0 when absent (a counter never incremented).
pub fn counter(text: &str, sample: &str) -> f64 {
    sample_value(text, sample).unwrap_or(0.0)
}

/// `statsd_exporter_sample_errors_total{reason="…"}`.
pub fn sample_errors(text: &str, reason: &str) -> f64 {
    counter(
        text,
        &format!("statsd_exporter_sample_errors_total{{reason=\"{reason}\"}}"),
    )
}

/// `statsd_exporter_events_error_total{reason="…"}`.
pub fn event_errors(text: &str, reason: &str) -> f64 {
    counter(
        text,
        &format!("statsd_exporter_events_error_total{{reason=\"{reason}\"}}"),
    )
}

/// Every drop counter, summed: parse errors by reason, exporter-stage errors by reason,
/// conflicts, cardinality drops.
pub fn drops(text: &str) -> f64 {
    text.lines()
        .filter(|l| {
            l.starts_with("statsd_exporter_sample_errors_total{")
                || l.starts_with("statsd_exporter_events_error_total{")
                || l.starts_with("statsd_exporter_events_conflict_total{")
                || l.starts_with("statsd_exporter_series_dropped_total{")
        })
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum()
}

/// Polls `/metrics` until `accept` holds, or fails after 10 s with the last text.
pub fn wait_until(exporter: &Exporter, what: &str, accept: impl Fn(&str) -> bool) -> String {
    wait_until_for(exporter, what, Duration::from_secs(10), accept)
}

/// [`wait_until`] with its own deadline.
pub fn wait_until_for(
    exporter: &Exporter,
    what: &str,
    patience: Duration,
    accept: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + patience;
    loop {
        let text = exporter.metrics();
        if accept(&text) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{what} never happened; self-metrics of the last /metrics:\n{}\nlog:\n{}",
            text.lines()
                .filter(|l| l.starts_with("statsd_"))
                .collect::<Vec<_>>()
                .join("\n"),
            exporter.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One UDP socket for many datagrams.
pub struct Sender {
    socket: UdpSocket,
    target: SocketAddr,
}

impl Sender {
    pub fn new(target: SocketAddr) -> Sender {
        Sender {
            socket: UdpSocket::bind("127.0.0.1:0").unwrap(),
            target,
        }
    }

    pub fn send(&self, payload: &[u8]) {
        self.socket.send_to(payload, self.target).unwrap();
    }
}

/// The exporter's resident memory now and at its peak, in KiB (`VmRSS`, `VmHWM`).
pub fn memory_kib(exporter: &Exporter) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{}/status", exporter.child.id()))
        .expect("read /proc/<pid>/status");
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {name} in /proc status"))
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// A deterministic xorshift stream for reproducible garbage.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
