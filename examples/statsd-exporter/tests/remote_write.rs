//! `--remote-write.*` end to end: the exporter pushes Mastodon-shaped traffic into a real
//! Prometheus started with its remote-write receiver, and keeps ingesting and serving
//! `/metrics` with bounded memory when the receiver is down or slow.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crate::support::{Exporter, Prometheus, mastodon_mapping, sample_value};

/// What nsa + statsd-ruby send for a few Mastodon requests, jobs and queue gauges
/// (namespace `Mastodon.production`), as newline-terminated stream lines.
fn mastodon_lines() -> String {
    let mut lines = String::new();
    let web = "Mastodon.production.web.ActivityPub.InboxesController.create.json";
    for _ in 0..5 {
        lines.push_str(&format!("{web}.total_duration:12.5|ms\n"));
        lines.push_str(&format!("{web}.status.202:1|c\n"));
    }
    for _ in 0..4 {
        lines.push_str("Mastodon.production.db.tables.statuses.queries.select.duration:1.5|ms\n");
    }
    for _ in 0..2 {
        lines.push_str("Mastodon.production.sidekiq.FeedInsertWorker.success:1|c\n");
    }
    lines.push_str("Mastodon.production.sidekiq.queues.push.latency:3.5|g\n");
    lines.push_str("Mastodon.production.sidekiq.retry_size:17|g\n");
    lines
}

#[test]
fn mastodon_traffic_reaches_a_real_prometheus_through_remote_write() {
    let receiver = Prometheus::start_receiver();
    let exporter = Exporter::start(&[
        &format!("--statsd.mapping-config={}", mastodon_mapping().display()),
        &format!(
            "--remote-write.url=http://{}/api/v1/write",
            receiver.address
        ),
        "--remote-write.interval=1s",
        "--remote-write.label=instance=exporter-it",
        "--remote-write.label=cluster=ci",
    ]);
    exporter.send_tcp(mastodon_lines().as_bytes());
    exporter.wait_for_sample(
        r#"mastodon_sidekiq_worker_success_total{mastodon="sidekiq",worker="FeedInsertWorker"}"#,
        2.0,
    );

    let at = r#"instance="exporter-it",cluster="ci""#;
    let inbox = r#"controller="ActivityPub.InboxesController",action="create",format="json""#;
    for (expr, want) in [
        (
            format!(r#"mastodon_controller_status{{{inbox},status="202",{at}}}"#),
            5.0,
        ),
        (
            format!(r#"mastodon_controller_duration_count{{{inbox},{at}}}"#),
            5.0,
        ),
        (
            format!(r#"mastodon_controller_duration_sum{{{inbox},{at}}}"#),
            0.0625,
        ),
        (
            format!(r#"mastodon_controller_duration{{{inbox},quantile="0.99",{at}}}"#),
            0.0125,
        ),
        (
            format!(
                r#"mastodon_db_operation{{table="statuses",operation="select",quantile="0.5",{at}}}"#
            ),
            0.0015,
        ),
        (
            format!(r#"mastodon_db_operation_count{{table="statuses",{at}}}"#),
            4.0,
        ),
        (
            format!(r#"mastodon_sidekiq_worker_success_total{{worker="FeedInsertWorker",{at}}}"#),
            2.0,
        ),
        (
            format!(r#"mastodon_sidekiq_queue_latency{{queue="push",{at}}}"#),
            3.5,
        ),
        (format!(r#"mastodon_sidekiq_retry_size{{{at}}}"#), 17.0),
        // The exporter's own counters travel with the series.
        (
            format!(r#"statsd_exporter_events_total{{type="counter",{at}}}"#),
            7.0,
        ),
    ] {
        receiver.expect_value(&expr, want);
    }
    // Every pushed Mastodon series carries the external labels.
    let unlabelled = receiver.query(r#"{__name__=~"mastodon_.+",instance!="exporter-it"}"#);
    assert!(unlabelled.contains("\"result\":[]"), "{unlabelled}");

    let metrics = exporter.metrics();
    assert!(
        sample_value(&metrics, "statsd_exporter_remote_write_requests_total")
            .is_some_and(|v| v >= 1.0),
        "{metrics}"
    );
    assert_eq!(
        sample_value(
            &metrics,
            "statsd_exporter_remote_write_requests_failed_total"
        ),
        Some(0.0),
        "{metrics}\n{}",
        receiver.log()
    );
    for reason in ["queue_full", "non_retryable", "retries_exhausted"] {
        assert_eq!(
            sample_value(
                &metrics,
                &format!(
                    "statsd_exporter_remote_write_samples_dropped_total{{reason=\"{reason}\"}}"
                )
            ),
            Some(0.0),
            "{metrics}"
        );
    }
}

/// Resident set size of a process, from `/proc/<pid>/status`.
fn rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmRSS:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

fn metric(exporter: &Exporter, sample: &str) -> f64 {
    let metrics = exporter.metrics();
    sample_value(&metrics, sample).unwrap_or_else(|| panic!("no {sample} in {metrics}"))
}

fn wait_metric(exporter: &Exporter, sample: &str, accept: impl Fn(f64) -> bool) -> f64 {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let value = metric(exporter, sample);
        if accept(value) {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "{sample} stayed at {value}; log:\n{}",
            exporter.stderr()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `count` distinct counters, one line each.
fn many_series(prefix: &str, count: usize) -> String {
    (0..count).map(|i| format!("{prefix}.{i}:1|c\n")).collect()
}

const QUEUE_BATCHES: &str = "statsd_exporter_remote_write_queue_batches";
const DROPPED_QUEUE_FULL: &str =
    "statsd_exporter_remote_write_samples_dropped_total{reason=\"queue_full\"}";
const DROPPED_RETRIES: &str =
    "statsd_exporter_remote_write_samples_dropped_total{reason=\"retries_exhausted\"}";
const FAILED: &str = "statsd_exporter_remote_write_requests_failed_total";
const SENT: &str = "statsd_exporter_remote_write_samples_sent_total";

#[test]
fn receiver_down_ingest_goes_on_memory_stays_bounded_drops_are_counted() {
    // A port nothing listens on.
    let closed = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/api/v1/write", closed.local_addr().unwrap());
    drop(closed);
    let exporter = Exporter::start(&[
        &format!("--remote-write.url={url}"),
        "--remote-write.interval=100ms",
        "--remote-write.batch-size=1000",
        "--remote-write.queue-capacity=2",
        "--remote-write.timeout=200ms",
        "--remote-write.label=instance=down",
    ]);
    // 20 000 series: a snapshot is 20 batches, ten times what the queue may hold.
    exporter.send_tcp(many_series("down.load", 20_000).as_bytes());
    exporter.wait_for_sample("down_load_19999", 1.0);
    wait_metric(&exporter, DROPPED_QUEUE_FULL, |v| v > 0.0);
    wait_metric(&exporter, FAILED, |v| v > 0.0);
    let settled = rss_bytes(exporter.child.id());

    // Up to thirty more snapshots of 20 000 samples while ingest goes on.
    let dropped_before = metric(&exporter, DROPPED_QUEUE_FULL);
    for round in 0..6 {
        exporter.send_tcp(b"down.ingest:1|c\n");
        std::thread::sleep(Duration::from_millis(500));
        assert!(metric(&exporter, QUEUE_BATCHES) <= 2.0);
        exporter.wait_for_sample("down_ingest", f64::from(round + 1));
    }
    let dropped = metric(&exporter, DROPPED_QUEUE_FULL) - dropped_before;
    // Drops go on at every snapshot (about 30 in 3 s here; at least two even on a slow
    // machine running the debug build).
    assert!(dropped >= 40_000.0, "dropped only {dropped}");
    let grown = rss_bytes(exporter.child.id()).saturating_sub(settled);
    // Unbounded, 30 snapshots of 20 000 samples would be tens of MiB of queued requests.
    assert!(
        grown < 8 << 20,
        "RSS grew by {grown} bytes while the receiver was down"
    );
    assert_eq!(metric(&exporter, SENT), 0.0);
    let metrics = exporter.metrics();
    assert_eq!(sample_value(&metrics, "down_load_0"), Some(1.0));
}

/// A receiver that reads each request, waits `delay`, then answers 503.
fn slow_failing_receiver(delay: Duration) -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let requests = Arc::new(AtomicU64::new(0));
    let counted = Arc::clone(&requests);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let counted = Arc::clone(&counted);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream);
                loop {
                    let mut length = None;
                    loop {
                        let mut line = String::new();
                        if reader.read_line(&mut line).unwrap_or(0) == 0 {
                            return;
                        }
                        if let Some(v) = line.strip_prefix("Content-Length: ") {
                            length = v.trim().parse::<usize>().ok();
                        }
                        if line == "\r\n" {
                            break;
                        }
                    }
                    let mut body = vec![0; length.unwrap_or(0)];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    counted.fetch_add(1, Ordering::SeqCst);
                    std::thread::sleep(delay);
                    let answer =
                        "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 5\r\n\r\nbusy\n";
                    if reader.get_mut().write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (address, requests)
}

#[test]
fn slow_receiver_retries_and_drops_are_counted_ingest_unaffected() {
    let (address, requests) = slow_failing_receiver(Duration::from_millis(300));
    let exporter = Exporter::start(&[
        &format!("--remote-write.url=http://{address}/api/v1/write"),
        "--remote-write.interval=200ms",
        "--remote-write.queue-capacity=2",
        "--remote-write.max-retries=1",
        "--remote-write.timeout=2s",
    ]);
    for round in 1..=5 {
        exporter.send_tcp(many_series("slow.load", 500).as_bytes());
        exporter.wait_for_sample("slow_load_499", f64::from(round));
        exporter.wait_for_sample("slow_load_0", f64::from(round));
    }
    // Each batch: a 300 ms 503, one retry after 30 ms, another 300 ms 503, then dropped.
    wait_metric(&exporter, DROPPED_RETRIES, |v| v > 0.0);
    // Snapshots every 200 ms outrun a sender that needs 630 ms a batch.
    wait_metric(&exporter, DROPPED_QUEUE_FULL, |v| v > 0.0);
    let failed = wait_metric(&exporter, FAILED, |v| v >= 2.0);
    assert!(requests.load(Ordering::SeqCst) as f64 >= failed - 1.0);
    assert!(metric(&exporter, QUEUE_BATCHES) <= 2.0);
    assert_eq!(metric(&exporter, SENT), 0.0);
    // Ingest was never held up by the slow receiver.
    exporter.send_tcp(b"slow.after:3|c\n");
    exporter.wait_for_sample("slow_after", 3.0);
}
