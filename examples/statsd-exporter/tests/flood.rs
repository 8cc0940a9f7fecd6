//! Floods over UDP at full speed: unique metric names and unique tag values against the
//! cardinality limits. Memory stays under a documented bound and every line is accounted
//! for: received datagrams plus the kernel's drops equal the datagrams sent, and every
//! received sample is either a kept series or a counted cardinality drop.
//!
//! CI sends 100 000 lines; `STATSD_FLOOD_LINES=1000000 cargo test -p statsd-exporter --test
//! main flood -- --nocapture` runs the full million and prints the memory figures;
//! `STATSD_FLOOD_PAUSE_EVERY=N` sleeps 1 ms after every N datagrams (fewer kernel drops).

use std::time::Duration;

use crate::attack::{
    Sender, assert_valid_exposition, counter, memory_kib, wait_until, wait_until_for,
};
use crate::support::Exporter;

/// Lines per datagram: fixed, so lines follow from datagrams exactly.
const LINES_PER_DATAGRAM: usize = 25;
const MAX_SERIES: usize = 20_000;
const MAX_SERIES_PER_METRIC: usize = 5_000;
/// Peak resident memory allowed with the limits above, whatever the flood's size: the
/// store holds at most `MAX_SERIES` series, the mapper cache 1000 entries, the sockets 8 MiB
/// each; the rest is code, thread stacks and the exposition buffer.
const RSS_BOUND_KIB: u64 = 128 * 1024;

#[test]
fn unique_names_and_tag_values_stay_bounded_and_are_accounted_exactly() {
    let lines: usize = std::env::var("STATSD_FLOOD_LINES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let exporter = Exporter::start(&[
        &format!("--statsd.max-series={MAX_SERIES}"),
        &format!("--statsd.max-series-per-metric={MAX_SERIES_PER_METRIC}"),
    ]);
    let pause_every: usize = std::env::var("STATSD_FLOOD_PAUSE_EVERY")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let (rss_before, _) = memory_kib(&exporter);
    let udp = Sender::new(exporter.statsd);
    let datagrams = lines.div_ceil(LINES_PER_DATAGRAM);
    let mut packet = String::new();
    for d in 0..datagrams {
        packet.clear();
        for l in 0..LINES_PER_DATAGRAM {
            let i = d * LINES_PER_DATAGRAM + l;
            if l > 0 {
                packet.push('\n');
            }
            // Half unique names, half unique values of one tag.
            if i.is_multiple_of(2) {
                packet.push_str(&format!("flood.name.{i}:1|c"));
            } else {
                packet.push_str(&format!("flood_tag:1|c|#v:{i}"));
            }
        }
        udp.send(packet.as_bytes());
        if pause_every > 0 && (d + 1).is_multiple_of(pause_every) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
    }
    let sent = datagrams as f64;
    let text = wait_until_for(
        &exporter,
        "every datagram received or dropped",
        Duration::from_secs(120),
        |t| {
            counter(t, "statsd_exporter_udp_packets_total")
                + counter(t, "statsd_exporter_udp_packet_drops_total")
                == sent
        },
    );
    let received = counter(&text, "statsd_exporter_udp_packets_total");
    let lines_seen = received * LINES_PER_DATAGRAM as f64;
    // The last scrape may race the last batch: wait for the pipeline to catch up.
    let text = wait_until_for(
        &exporter,
        "every received line processed",
        Duration::from_secs(120),
        |t| counter(t, "statsd_exporter_lines_total") == lines_seen,
    );
    assert_eq!(counter(&text, "statsd_exporter_samples_total"), lines_seen);
    let kept_names = text
        .lines()
        .filter(|l| l.starts_with("flood_name_"))
        .count();
    let kept_tags = text.lines().filter(|l| l.starts_with("flood_tag{")).count();
    let dropped_total = counter(
        &text,
        "statsd_exporter_series_dropped_total{reason=\"cardinality_limit\"}",
    );
    let dropped_metric = counter(
        &text,
        "statsd_exporter_series_dropped_total{reason=\"metric_cardinality_limit\"}",
    );
    assert!(
        kept_names + kept_tags <= MAX_SERIES,
        "{kept_names} + {kept_tags}"
    );
    assert!(kept_tags <= MAX_SERIES_PER_METRIC, "{kept_tags}");
    assert_eq!(
        (kept_names + kept_tags) as f64 + dropped_total + dropped_metric,
        lines_seen,
        "every sample is a kept series or a counted drop"
    );
    if lines_seen as usize > 2 * MAX_SERIES {
        assert_eq!(
            kept_names + kept_tags,
            MAX_SERIES,
            "the limit is reached exactly"
        );
    }
    let (rss, hwm) = memory_kib(&exporter);
    println!(
        "flood: {lines} lines sent in {datagrams} datagrams, {received} received, {} dropped by the kernel; \
         {kept_names} name series + {kept_tags} tag series kept, {dropped_total} + {dropped_metric} drops; \
         VmRSS {rss_before} KiB before, {rss} KiB after, VmHWM {hwm} KiB",
        counter(&text, "statsd_exporter_udp_packet_drops_total")
    );
    assert!(
        hwm < RSS_BOUND_KIB,
        "peak RSS {hwm} KiB over the bound {RSS_BOUND_KIB} KiB"
    );
    assert_valid_exposition(&text);
    // Still serving (a new series would be over the limit: watch the line count).
    exporter.send_udp(b"after.flood:1|g");
    wait_until(&exporter, "a line after the flood", |t| {
        counter(t, "statsd_exporter_lines_total") == lines_seen + 1.0
    });
}
