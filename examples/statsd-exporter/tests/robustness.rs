//! Nothing a client sends may crash the process or stop a listener: the inputs that crash
//! statsd_exporter 0.30, then a bounded burst of random bytes on every transport.

use std::io::Write;
use std::net::TcpStream;

use crate::support::{Exporter, sample_value};

#[test]
fn inputs_that_crash_statsd_exporter_are_counted_and_the_neighbours_survive() {
    let exporter = Exporter::start(&[]);
    // Each datagram carries a crasher between two valid lines.
    let crashers: [&[u8]; 6] = [
        b"x]y[z:1|c",
        b"lat:1|ms|#quantile:0.5",
        b"h1:1|h|#le:5",
        b":1|c",
        b"\xff\xfe:1|c|#\xc3\x28:\xa0\xa1",
        b"a:1|c|@0|#",
    ];
    for (i, crasher) in crashers.iter().enumerate() {
        let mut packet = format!("before.{i}:1|c\n").into_bytes();
        packet.extend_from_slice(crasher);
        packet.extend_from_slice(format!("\nafter.{i}:1|c").as_bytes());
        exporter.send_udp(&packet);
        exporter.send_tcp(&packet);
    }
    for i in 0..crashers.len() {
        exporter.wait_for_sample(&format!("before_{i}"), 2.0);
        exporter.wait_for_sample(&format!("after_{i}"), 2.0);
    }
    assert!(
        exporter
            .metrics()
            .lines()
            .any(|l| l.starts_with("statsd_exporter_sample_errors_total"))
    );
}

#[test]
fn random_bytes_on_every_transport_do_not_stop_it() {
    let exporter = Exporter::start(&[]);
    let mut state = 0x1234_5678_9abc_def0u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let alphabet = b":|@#,=.\n\r\x00abc1-+eE\xff";
    let mut tcp = TcpStream::connect(exporter.statsd).unwrap();
    for _ in 0..2000 {
        let len = (next() % 200) as usize;
        let packet: Vec<u8> = (0..len)
            .map(|_| {
                let r = next();
                if r % 4 == 0 {
                    r as u8
                } else {
                    alphabet[(r >> 8) as usize % alphabet.len()]
                }
            })
            .collect();
        exporter.send_udp(&packet);
        tcp.write_all(&packet).unwrap();
    }
    tcp.write_all(b"\nsurvivor:1|c\n").unwrap();
    exporter.send_udp(b"survivor:1|c");
    exporter.wait_for_sample("survivor", 2.0);
    let text = exporter.metrics();
    assert!(sample_value(&text, "statsd_exporter_lines_total").unwrap() > 2000.0);
}

#[test]
fn series_beyond_the_limit_are_dropped_and_counted() {
    let exporter = Exporter::start(&["--statsd.max-series=2"]);
    exporter.send_udp(b"first:1|c\nsecond:1|c");
    exporter.wait_for_sample("second", 1.0);
    exporter.send_udp(b"third:1|c\nfirst:1|c");
    let text = exporter.wait_for_sample("first", 2.0);
    assert_eq!(sample_value(&text, "third"), None, "{text}");
    assert_eq!(
        sample_value(
            &text,
            "statsd_exporter_series_dropped_total{reason=\"cardinality_limit\"}"
        ),
        Some(1.0),
        "{text}"
    );
}
