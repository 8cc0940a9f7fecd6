//! Every transport through the real pipeline, the relay, and the line-ending rules.

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

use crate::support::{Exporter, TempDir, sample_value};

#[test]
fn udp_lines_with_default_naming_and_crlf() {
    let exporter = Exporter::start(&[]);
    exporter.send_udp(b"app.requests:3|c\napp.queue:7|g\r\nrt.crlf:1|c\r\n");
    let text = exporter.wait_for_sample("app_requests", 3.0);
    assert_eq!(sample_value(&text, "app_queue"), Some(7.0));
    exporter.wait_for_sample("rt_crlf", 1.0);
    let text = exporter.wait_for_sample("statsd_exporter_udp_packets_total", 1.0);
    // statsd_exporter counts the pieces of a datagram split on `\n`, the empty one after
    // the final newline too.
    assert_eq!(
        sample_value(&text, "statsd_exporter_lines_total"),
        Some(4.0)
    );
}

#[test]
fn tcp_keeps_the_connection_after_a_very_long_line() {
    let exporter = Exporter::start(&[]);
    let mut stream = TcpStream::connect(exporter.statsd).unwrap();
    // 300 kB in one DogStatsD tag value: statsd_exporter closes the connection at 4 KiB.
    let long = format!("long.line:1|c|#blob:{}\r\n", "v".repeat(300_000));
    stream.write_all(long.as_bytes()).unwrap();
    stream.write_all(b"after.long:1|c\r\n").unwrap();
    stream.flush().unwrap();
    exporter.wait_for_sample("after_long", 1.0);
    stream.write_all(b"after.long:1|c\n").unwrap();
    let text = exporter.wait_for_sample("after_long", 2.0);
    assert_eq!(
        sample_value(&text, "statsd_exporter_tcp_too_long_lines_total"),
        Some(0.0)
    );
    assert_eq!(
        sample_value(&text, "statsd_exporter_tcp_connections_total"),
        Some(1.0)
    );
    assert!(
        text.contains("long_line{blob=\"vvvv"),
        "the long line is recorded too"
    );
}

#[test]
fn tcp_line_over_the_configured_limit_is_counted_and_skipped() {
    let exporter = Exporter::start(&["--statsd.tcp-max-line-length=1024"]);
    let mut stream = TcpStream::connect(exporter.statsd).unwrap();
    stream
        .write_all(format!("big:1|c|#x:{}\n", "y".repeat(5000)).as_bytes())
        .unwrap();
    stream.write_all(b"small:1|c\n").unwrap();
    let text = exporter.wait_for_sample("small", 1.0);
    assert_eq!(
        sample_value(&text, "statsd_exporter_tcp_too_long_lines_total"),
        Some(1.0)
    );
}

#[test]
fn unixgram_with_mode() {
    let dir = TempDir::new("unixgram");
    let path = dir.join("statsd.sock");
    let exporter = Exporter::start(&[
        &format!("--statsd.listen-unixgram={}", path.display()),
        "--statsd.unixsocket-mode=660",
    ]);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
        0o660
    );
    let client = UnixDatagram::unbound().unwrap();
    client.send_to(b"via.unix:5|g", &path).unwrap();
    let text = exporter.wait_for_sample("via_unix", 5.0);
    assert_eq!(
        sample_value(&text, "statsd_exporter_unixgram_packets_total"),
        Some(1.0)
    );
}

#[test]
fn relay_forwards_every_line_and_survives_a_dead_target() {
    let target = UdpSocket::bind("127.0.0.1:0").unwrap();
    target
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let address = target.local_addr().unwrap();
    let exporter = Exporter::start(&[&format!("--statsd.relay.address={address}")]);
    exporter.send_udp(b"relayed.one:1|c\nnot a valid line\n");
    let mut buf = [0u8; 2048];
    let n = target.recv(&mut buf).unwrap();
    assert_eq!(
        &buf[..n],
        b"relayed.one:1|c\nnot a valid line\n",
        "verbatim, invalid lines too"
    );
    let label = format!("{{target=\"{address}\"}}");
    exporter.wait_for_sample(
        &format!("statsd_exporter_relay_lines_relayed_total{label}"),
        2.0,
    );

    // The target disappears: the exporter keeps receiving, and counts failed sends
    // (ICMP port unreachable makes the next send on the connected socket fail).
    drop(target);
    let errors = format!("statsd_exporter_relay_send_errors_total{label}");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let mut sent = 0;
    loop {
        exporter.send_udp(format!("after.dead:{sent}|g").as_bytes());
        sent += 1;
        std::thread::sleep(Duration::from_millis(200));
        let text = exporter.metrics();
        if sample_value(&text, &errors).is_some_and(|e| e >= 1.0) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no relay send error counted: {text}"
        );
    }
    exporter.wait_for_sample("after_dead", f64::from(sent - 1));
}
