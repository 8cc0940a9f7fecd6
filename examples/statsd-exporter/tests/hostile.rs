//! The running binary under attack: every malformed class, binary garbage, the largest
//! datagrams and TCP lines, slow, half-open and too many TCP clients, invalid UTF-8 in every
//! position, reserved label names, names that collide after escaping, extreme values and
//! rates, idle TCP connections. For each: the process stays up, `/metrics` stays valid for `promtool`, the valid
//! lines next to the bad one are counted, and the drop is counted by reason.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

use crate::attack::{
    Rng, Sender, assert_valid_exposition, counter, drops, event_errors, sample_errors, wait_until,
};
use crate::support::{Exporter, TempDir, sample_value};

/// One line per parse-error reason of statsd_exporter's `sample_errors_total`, each giving
/// exactly one error of that reason.
const MALFORMED: [(&str, &str); 9] = [
    ("malformed_line", "nocolon"),
    ("not_enough_parts_after_colon", "bad:1"),
    ("invalid_extended_aggregate_type", "bad:1:2|c"),
    ("malformed_component", "bad:1|c|"),
    ("malformed_value", "bad:1o|c"),
    ("invalid_sample_factor", "bad:1|c|x"),
    ("malformed_container_id", "bad:1|c|#a:b|c"),
    ("illegal_event", "bad:1|x"),
    ("mixed_tagging_styles", "bad,a=b:1|c|#c:d"),
];

#[test]
fn every_parse_error_reason_is_counted_once_and_spares_its_neighbours() {
    let exporter = Exporter::start(&[]);
    let udp = Sender::new(exporter.statsd);
    let mut tcp = TcpStream::connect(exporter.statsd).unwrap();
    for (i, (_, bad)) in MALFORMED.iter().enumerate() {
        let packet = format!("before.{i}:1|c\n{bad}\nafter.{i}:1|c");
        udp.send(packet.as_bytes());
        tcp.write_all(format!("{packet}\n").as_bytes()).unwrap();
    }
    drop(tcp);
    let lines = 3.0 * MALFORMED.len() as f64 * 2.0;
    let text = wait_until(&exporter, "every line counted", |t| {
        counter(t, "statsd_exporter_lines_total") == lines
    });
    for (i, (reason, bad)) in MALFORMED.iter().enumerate() {
        assert_eq!(
            sample_value(&text, &format!("before_{i}")),
            Some(2.0),
            "{bad}"
        );
        assert_eq!(
            sample_value(&text, &format!("after_{i}")),
            Some(2.0),
            "{bad}"
        );
        assert_eq!(
            sample_errors(&text, reason),
            2.0,
            "{reason} from {bad}: {text}"
        );
    }
    assert_valid_exposition(&text);
}

#[test]
fn binary_garbage_every_byte_value_and_random_packets() {
    let exporter = Exporter::start(&[]);
    let udp = Sender::new(exporter.statsd);
    let mut expected_lines = 0usize;
    let mut send = |packet: &[u8]| {
        udp.send(packet);
        // A datagram is split on `\n`: one line more than it has newlines.
        expected_lines += packet.iter().filter(|b| **b == b'\n').count() + 1;
    };
    for byte in 0..=255u8 {
        send(&[byte]);
        send(&[b'g', byte, b':', b'1', b'|', b'c']);
        send(&[b'g', b':', b'1', b'|', b'c', b'|', b'#', byte, b':', byte]);
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..2000 {
        let len = 1 + (rng.next() % 1400) as usize;
        let packet: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        send(&packet);
        // Throttle a little so the kernel buffer never overflows: the count must be exact.
        if rng.next().is_multiple_of(64) {
            std::thread::sleep(Duration::from_millis(1));
        }
    }
    send(b"survivor:1|c");
    let sent = (256 * 3 + 2000 + 1) as f64;
    let text = wait_until(&exporter, "every datagram received or dropped", |t| {
        counter(t, "statsd_exporter_udp_packets_total")
            + counter(t, "statsd_exporter_udp_packet_drops_total")
            == sent
    });
    if counter(&text, "statsd_exporter_udp_packet_drops_total") == 0.0 {
        // Nothing lost in the kernel (the usual case): the line count is exact.
        wait_until(&exporter, "every line counted", |t| {
            counter(t, "statsd_exporter_lines_total") == expected_lines as f64
        });
    }
    let text = wait_until(&exporter, "survivor counted", |t| {
        sample_value(t, "survivor") == Some(1.0)
            || counter(t, "statsd_exporter_udp_packet_drops_total") > 0.0
    });
    assert_eq!(counter(&text, "statsd_exporter_ingest_panics_total"), 0.0);
    assert!(
        drops(&text) > 1000.0,
        "garbage is counted as dropped: {text}"
    );
    assert_valid_exposition(&text);
}

#[test]
fn datagrams_of_64_kib_are_read_whole() {
    let exporter = Exporter::start(&[]);
    let udp = Sender::new(exporter.statsd);
    // The largest IPv4 UDP payload, all valid lines.
    let line = b"big:1|c\n";
    let mut packet = line.repeat(65_507 / line.len());
    packet.extend(std::iter::repeat_n(b'x', 65_507 - packet.len()));
    let lines = 65_507 / line.len();
    udp.send(&packet);
    // One line of nearly 64 KiB (a huge tag value) next to a small one.
    let mut huge = b"wide:1|c|#t:".to_vec();
    huge.resize(65_000, b'v');
    huge.extend_from_slice(b"\nsmall:1|c");
    udp.send(&huge);
    let text = wait_until(&exporter, "the small line", |t| {
        sample_value(t, "small") == Some(1.0)
    });
    assert_eq!(sample_value(&text, "big"), Some(lines as f64));
    assert!(text.contains(&format!("wide{{t=\"{}\"}} 1", "v".repeat(65_000 - 12))));
    assert_eq!(
        counter(&text, "statsd_exporter_udp_truncated_packets_total"),
        0.0
    );
    assert_valid_exposition(&text);
}

#[test]
fn tcp_lines_of_one_mebibyte_and_more_keep_the_connection() {
    let exporter = Exporter::start(&[]);
    let mut tcp = TcpStream::connect(exporter.statsd).unwrap();
    // Just under the default 1 MiB limit: kept whole.
    let mut line = b"long:1|c|#t:".to_vec();
    line.resize(1_048_576, b'v');
    line.push(b'\n');
    tcp.write_all(&line).unwrap();
    // Over it: skipped and counted, the connection stays and the next line arrives.
    let mut over = vec![b'x'; 1_048_576 + 4096];
    over.extend_from_slice(b":1|c\nafter.long:1|c\n");
    tcp.write_all(&over).unwrap();
    // A scrape copies the store shard by shard and reads the self-metrics first, so one
    // scrape can show `after_long` but not yet the long series or the too-long count:
    // wait for all three, then check the exposition.
    let long = format!("long{{t=\"{}\"}} 1", "v".repeat(1_048_576 - 12));
    let text = wait_until(
        &exporter,
        "the long line, the count and the line after",
        |t| {
            sample_value(t, "after_long") == Some(1.0)
                && t.contains(&long)
                && counter(t, "statsd_exporter_tcp_too_long_lines_total") == 1.0
        },
    );
    assert_valid_exposition(&text);
}

#[test]
fn slow_and_half_open_tcp_clients_do_not_hold_up_others() {
    let exporter = Exporter::start(&[]);
    // Fifty clients each send half a line and go quiet.
    let mut idle: Vec<TcpStream> = (0..50)
        .map(|i| {
            let mut s = TcpStream::connect(exporter.statsd).unwrap();
            s.write_all(format!("idle.{i}:1|").as_bytes()).unwrap();
            s
        })
        .collect();
    // A slow client dribbles a line byte by byte.
    let mut slow = TcpStream::connect(exporter.statsd).unwrap();
    for byte in b"slow:1|c\n" {
        slow.write_all(&[*byte]).unwrap();
        std::thread::sleep(Duration::from_millis(5));
    }
    // Meanwhile everyone else is served.
    exporter.send_udp(b"udp.ok:1|c");
    exporter.send_tcp(b"tcp.ok:1|c\n");
    exporter.wait_for_sample("udp_ok", 1.0);
    exporter.wait_for_sample("tcp_ok", 1.0);
    exporter.wait_for_sample("slow", 1.0);
    // Half-open: the idle clients finish their line and close their sending side; the
    // line without a newline is taken at end of stream.
    for s in &mut idle {
        s.write_all(b"c").unwrap();
        s.shutdown(Shutdown::Write).unwrap();
    }
    let text = wait_until(&exporter, "every idle line", |t| {
        (0..50).all(|i| sample_value(t, &format!("idle_{i}")) == Some(1.0))
    });
    assert_eq!(
        counter(&text, "statsd_exporter_tcp_connection_errors_total"),
        0.0
    );
    assert_valid_exposition(&text);
}

#[test]
fn idle_tcp_connections_are_closed_and_counted_slow_senders_are_not() {
    let exporter = Exporter::start(&["--statsd.tcp-idle-timeout=300ms"]);
    // Connects, starts a line and goes quiet.
    let mut silent = TcpStream::connect(exporter.statsd).unwrap();
    silent.write_all(b"unfinished:1|").unwrap();
    // Never quiet for 300 ms: a byte every 30 ms, two lines over about 600 ms.
    let mut slow = TcpStream::connect(exporter.statsd).unwrap();
    for byte in b"slow.a:1|c\nslow.b:1|c\n" {
        slow.write_all(&[*byte]).unwrap();
        std::thread::sleep(Duration::from_millis(30));
    }
    let text = wait_until(&exporter, "the silent connection closed", |t| {
        counter(t, "statsd_exporter_tcp_idle_timeouts_total") == 1.0
    });
    // The exporter closed it: end of stream for the client.
    silent
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    assert_eq!(std::io::Read::read(&mut silent, &mut [0u8; 8]).unwrap(), 0);
    // The slow sender is still connected and served.
    slow.write_all(b"slow.c:1|c\n").unwrap();
    let text2 = exporter.wait_for_sample("slow_c", 1.0);
    assert_eq!(sample_value(&text2, "slow_a"), Some(1.0));
    assert_eq!(sample_value(&text2, "slow_b"), Some(1.0));
    // The unfinished line was dropped, not recorded as `unfinished:1|`.
    assert_eq!(drops(&text2), 0.0, "{text2}");
    assert!(!text2.contains("\nunfinished"), "{text2}");
    assert_eq!(
        counter(&text2, "statsd_exporter_tcp_idle_timeouts_total"),
        1.0
    );
    assert_eq!(
        counter(&text, "statsd_exporter_tcp_connection_errors_total"),
        0.0
    );
    assert_valid_exposition(&text2);
}

#[test]
fn connections_beyond_the_cap_are_refused_counted_and_freed() {
    let exporter = Exporter::start(&[]);
    let cap = 1024;
    let extra = 40;
    let held: Vec<TcpStream> = (0..cap + extra)
        .map(|_| TcpStream::connect(exporter.statsd).unwrap())
        .collect();
    let text = wait_until(&exporter, "every connection accepted", |t| {
        counter(t, "statsd_exporter_tcp_connections_total") == (cap + extra) as f64
    });
    assert_eq!(
        counter(&text, "statsd_exporter_tcp_connections_refused_total"),
        extra as f64
    );
    // UDP still works while TCP is saturated.
    exporter.send_udp(b"during.flood:1|c");
    exporter.wait_for_sample("during_flood", 1.0);
    drop(held);
    // Once the held connections close, a new one is served again.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut n = 0;
    loop {
        n += 1;
        exporter.send_tcp(b"after.flood:1|c\n");
        std::thread::sleep(Duration::from_millis(50));
        if sample_value(&exporter.metrics(), "after_flood").is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "TCP never recovered");
    }
    assert!(n < 100);
    assert_valid_exposition(&exporter.metrics());
}

/// Lines with fields no DogStatsD version defines, or that statsd_exporter 0.30 does not know
/// (`e:`, `card:`), next to ones it does, and the exact errors each one gives. Without a
/// `|#` section statsd_exporter splits the values at every `:`, so `q:1` is two samples: `q`
/// (an unknown field) and a valueless `1` (too few components).
const UNKNOWN_FIELDS: [(&str, &[&str]); 7] = [
    ("u1:1|c|#a:b|x:unknown", &["invalid_sample_factor"]),
    (
        "u2:1|c|q:1",
        &["invalid_sample_factor", "malformed_component"],
    ),
    // Eight components: more than the six statsd_exporter takes.
    (
        "u3:1|c|#a:b|zz|c:cid|T123|e:ext|card:high",
        &["malformed_component"],
    ),
    ("u4:1|c|@0.5|%|#a:b", &["invalid_sample_factor"]),
    ("u5:1|c|#a:b|e:ext", &["invalid_sample_factor"]),
    // `card` starts like `c:` (container id) but is not one; `high` has no type.
    (
        "u6:1|c|card:high",
        &["malformed_container_id", "malformed_component"],
    ),
    ("u7:1|c|#a:b|zz", &["invalid_sample_factor"]),
];

/// Every `statsd_exporter_sample_errors_total` reason with its count.
fn sample_errors_by_reason(text: &str) -> BTreeMap<String, f64> {
    text.lines()
        .filter_map(|l| l.strip_prefix("statsd_exporter_sample_errors_total{reason=\""))
        .filter_map(|l| {
            let (reason, value) = l.split_once("\"} ")?;
            Some((reason.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[test]
fn unknown_dogstatsd_fields_drop_only_their_line_and_are_counted() {
    let exporter = Exporter::start(&[]);
    let udp = Sender::new(exporter.statsd);
    let mut before = sample_errors_by_reason(&exporter.metrics());
    // One line at a time, so that each line's errors are told apart from the others'.
    for (i, (line, reasons)) in UNKNOWN_FIELDS.iter().enumerate() {
        udp.send(format!("ok.{i}:1|c\n{line}\nok.{i}:1|c").as_bytes());
        let text = wait_until(&exporter, line, |t| {
            counter(t, "statsd_exporter_lines_total") == 3.0 * (i + 1) as f64
        });
        let after = sample_errors_by_reason(&text);
        let mut want = before.clone();
        for reason in *reasons {
            *want.entry((*reason).to_owned()).or_default() += 1.0;
        }
        assert_eq!(after, want, "errors counted for {line}");
        // The line is dropped, never half-recorded; its neighbours are kept.
        assert_eq!(sample_value(&text, &format!("ok_{i}")), Some(2.0), "{line}");
        assert!(
            !text.contains(&format!("\nu{}", i + 1)),
            "{line} recorded: {text}"
        );
        assert_valid_exposition(&text);
        before = after;
    }
}

#[test]
fn invalid_utf8_in_every_position() {
    let exporter = Exporter::start(&[]);
    let udp = Sender::new(exporter.statsd);
    let template = b"utf.name,k=v:1|c|@1|#tag:value";
    let mut packets = 0;
    for position in 0..=template.len() {
        for bad in [&b"\xff"[..], b"\xc3\x28", b"\xe2\x82", b"\xed\xa0\x80"] {
            let mut line = template[..position].to_vec();
            line.extend_from_slice(bad);
            line.extend_from_slice(&template[position..]);
            let mut packet = b"pre:1|c\n".to_vec();
            packet.extend_from_slice(&line);
            packet.extend_from_slice(b"\npost:1|c");
            udp.send(&packet);
            packets += 1;
        }
        // Replacing a byte as well as inserting one.
        if position < template.len() {
            let mut line = template.to_vec();
            line[position] = 0x80;
            udp.send(&[b"pre:1|c\n", &line[..], b"\npost:1|c"].concat());
            packets += 1;
        }
    }
    let text = wait_until(&exporter, "every packet", |t| {
        counter(t, "statsd_exporter_lines_total") == 3.0 * packets as f64
    });
    assert_eq!(sample_value(&text, "pre"), Some(f64::from(packets)));
    assert_eq!(sample_value(&text, "post"), Some(f64::from(packets)));
    assert!(sample_errors(&text, "malformed_line") > 0.0);
    assert_valid_exposition(&text);
}

#[test]
fn reserved_label_names_are_refused_and_counted() {
    let dir = TempDir::new("reserved");
    let mapping = dir.join("mapping.yml");
    std::fs::write(
        &mapping,
        "mappings:\n- match: \"hist.*\"\n  name: \"hist\"\n  observer_type: histogram\n- match: \"labelled.*\"\n  name: \"labelled\"\n  observer_type: histogram\n  labels: { le: \"$1\" }\n- match: \"sum.*\"\n  name: \"sum\"\n  observer_type: summary\n  labels: { quantile: \"$1\" }\n",
    )
    .unwrap();
    let exporter = Exporter::start(&[&format!("--statsd.mapping-config={}", mapping.display())]);
    let udp = Sender::new(exporter.statsd);
    let refused = [
        "hist.a:1|h|#le:5",       // le tag on a histogram (statsd_exporter 0.30 crashes)
        "lat:1|ms|#quantile:0.5", // quantile tag on a summary (crashes too)
        "dist:1|d|#quantile:1",
        "labelled.x:1|h",    // le from a mapping label
        "sum.x:1|ms",        // quantile from a mapping label
        "c:1|c|#__name__:x", // reserved everywhere
        "g:1|g|#__name__:x",
        "hist.b:1|h|#__name__:y",
    ];
    for line in refused {
        udp.send(format!("n.before:1|c\n{line}\nn.after:1|c").as_bytes());
    }
    // A `quantile` tag on a counter and `le` on a gauge are ordinary labels.
    udp.send(b"plain:1|c|#quantile:1\nplaing:1|g|#le:2");
    let n = refused.len() as f64;
    let text = wait_until(&exporter, "every refusal counted", |t| {
        event_errors(t, "illegal_label_name") == n
    });
    assert_eq!(sample_value(&text, "n_before"), Some(n));
    assert_eq!(sample_value(&text, "n_after"), Some(n));
    assert_eq!(sample_value(&text, "plain{quantile=\"1\"}"), Some(1.0));
    assert_eq!(sample_value(&text, "plaing{le=\"2\"}"), Some(1.0));
    assert!(!text.contains("__name__"), "{text}");
    assert_valid_exposition(&text);
}

#[test]
fn names_that_collide_after_escaping_keep_metrics_valid() {
    let exporter = Exporter::start(&[]);
    let udp = Sender::new(exporter.statsd);
    udp.send(b"a.b:1|c\na_b:5|g\na-b:2|c\na b:3|c\na/b:1|ms");
    // An observer's suffix series against plain metrics of those names (upstream #186).
    udp.send(b"x:1|ms\nx_count:1|c\nx_sum:1|g\ny_bucket:1|c\ny:1|h\nz_count:1|g\nz:1|d");
    udp.send(b"9lead:1|c\n_9lead:1|g\n\xc3\xa9t\xc3\xa9:1|c\n__:1|c\n:colon:1|c");
    udp.send(b"end:1|c");
    let text = exporter.wait_for_sample("end", 1.0);
    let conflicts: f64 = text
        .lines()
        .filter(|l| l.starts_with("statsd_exporter_events_conflict_total{"))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum();
    assert!(conflicts >= 4.0, "conflicts counted: {text}");
    assert_valid_exposition(&text);
    assert_eq!(counter(&text, "statsd_exporter_ingest_panics_total"), 0.0);
}

#[test]
fn extreme_values_and_rates_keep_metrics_valid() {
    let exporter = Exporter::start(&[]);
    let udp = Sender::new(exporter.statsd);
    let values = [
        "NaN", "nan", "Inf", "+Inf", "-Inf", "-0", "+0", "1e309", "-1e309", "1e-400", "0x10",
        "1_000", "--1", "+-1",
    ];
    let types = ["c", "g", "ms", "h", "d"];
    let mut lines = Vec::new();
    for (i, value) in values.iter().enumerate() {
        for kind in types {
            lines.push(format!("v{i}{kind}:{value}|{kind}"));
        }
    }
    let rates = [
        "0", "-1", "2", "NaN", "Inf", "-0", "1e-300", "5e-324", "1e-9", "",
    ];
    for (i, rate) in rates.iter().enumerate() {
        for kind in types {
            lines.push(format!("r{i}{kind}:1|{kind}|@{rate}"));
        }
    }
    for chunk in lines.chunks(10) {
        udp.send(format!("guard:1|c\n{}", chunk.join("\n")).as_bytes());
    }
    let chunks = lines.len().div_ceil(10);
    let total = (lines.len() + chunks) as f64;
    let text = wait_until(&exporter, "every line", |t| {
        counter(t, "statsd_exporter_lines_total") == total
    });
    assert_eq!(sample_value(&text, "guard"), Some(chunks as f64));
    // A tiny rate multiplies the observation count, never the work: one line,
    // int(1/1e-9) = 999 999 999 observations (statsd_exporter's floor), recorded at once.
    assert_eq!(sample_value(&text, "r8ms_count"), Some(999_999_999.0));
    // A rate of 0 means 1; a negative counter increment is refused and counted.
    assert_eq!(sample_value(&text, "r0c"), Some(1.0));
    assert!(event_errors(&text, "illegal_negative_counter") >= 1.0);
    assert!(sample_errors(&text, "invalid_sample_factor") >= 1.0);
    assert!(sample_errors(&text, "malformed_value") >= 1.0);
    assert_valid_exposition(&text);
    assert_eq!(counter(&text, "statsd_exporter_ingest_panics_total"), 0.0);
}

#[test]
fn user_metrics_named_like_the_exporters_own_keep_metrics_valid() {
    let exporter = Exporter::start(&[]);
    exporter.send_udp(
        b"process_cpu_seconds_total:1|c\nprocess_open_fds:3|g\nstatsd_exporter_udp_receive_errors_total:1|c\nstatsd_exporter_lines_total:5|g\nmark:1|c",
    );
    let text = exporter.wait_for_sample("mark", 1.0);
    // The four names are reserved: each is refused and counted as a conflict.
    let conflicts: f64 = text
        .lines()
        .filter(|l| l.starts_with("statsd_exporter_events_conflict_total{"))
        .filter_map(|l| l.rsplit_once(' ')?.1.parse::<f64>().ok())
        .sum();
    assert_eq!(conflicts, 4.0, "{text}");
    assert_valid_exposition(&text);
}
