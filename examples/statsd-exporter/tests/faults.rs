//! Faults around the exporter: its mapping file broken, deleted or unreadable at reload,
//! a relay target that never reads, scrapes in a tight loop during full-speed ingest, and
//! SIGTERM in the middle of ingest.

use std::io::Write;
use std::net::{TcpStream, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::attack::{assert_valid_exposition, counter, wait_until};
use crate::support::{Exporter, TempDir, http, sample_value, try_http};

const FAILURES: &str = "statsd_exporter_config_reloads_total{outcome=\"failure\"}";
const SUCCESSES: &str = "statsd_exporter_config_reloads_total{outcome=\"success\"}";

#[test]
fn reload_with_the_file_broken_deleted_or_unreadable_keeps_the_old_rules() {
    let dir = TempDir::new("faults-reload");
    let mapping = dir.join("mapping.yml");
    let good = "mappings:\n- match: \"app.*\"\n  name: \"app\"\n  labels: { page: \"$1\" }\n";
    std::fs::write(&mapping, good).unwrap();
    let exporter = Exporter::start(&[
        &format!("--statsd.mapping-config={}", mapping.display()),
        "--web.enable-lifecycle",
    ]);
    let breakages: [(&str, &dyn Fn()); 4] = [
        ("broken YAML", &|| {
            std::fs::write(&mapping, "mappings:\n- match: [unclosed\n").unwrap()
        }),
        ("an invalid rule", &|| {
            std::fs::write(&mapping, "mappings:\n- match: \"a.*\"\n  name: \"$$$\"\n").unwrap()
        }),
        ("the file deleted", &|| {
            std::fs::remove_file(&mapping).unwrap()
        }),
        // Root reads any file whatever its mode: a directory in its place cannot be read.
        ("a directory in its place", &|| {
            std::fs::create_dir(&mapping).unwrap()
        }),
    ];
    for (n, (what, breakage)) in breakages.iter().enumerate() {
        breakage();
        if n % 2 == 0 {
            exporter.signal("HUP");
        } else {
            assert_eq!(http(exporter.web, "POST", "/-/reload").0, 200);
        }
        let text = exporter.wait_for_sample(FAILURES, (n + 1) as f64);
        assert_eq!(counter(&text, SUCCESSES), 0.0, "{what}");
        // The old rules still map.
        exporter.send_udp(format!("app.p{n}:1|c").as_bytes());
        exporter.wait_for_sample(&format!("app{{page=\"p{n}\"}}"), 1.0);
    }
    std::fs::remove_dir(&mapping).unwrap();
    std::fs::write(&mapping, good.replace("name: \"app\"", "name: \"app2\"")).unwrap();
    exporter.signal("HUP");
    exporter.wait_for_sample(SUCCESSES, 1.0);
    exporter.send_udp(b"app.back:1|c");
    let text = exporter.wait_for_sample("app2{page=\"back\"}", 1.0);
    assert_valid_exposition(&text);
}

#[test]
fn a_relay_target_that_never_reads_or_refuses_does_not_slow_ingest() {
    // One target is bound and never reads; the other port refuses (nothing listens).
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let refusing = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    for target in [silent.local_addr().unwrap(), refusing] {
        let exporter = Exporter::start(&[&format!("--statsd.relay.address={target}")]);
        let lines = 50_000;
        let mut tcp = TcpStream::connect(exporter.statsd).unwrap();
        let mut batch = String::new();
        for i in 0..lines {
            batch.push_str(&format!("relayed.{}:1|c\n", i % 100));
            if batch.len() > 16_000 {
                tcp.write_all(batch.as_bytes()).unwrap();
                batch.clear();
            }
        }
        tcp.write_all(batch.as_bytes()).unwrap();
        drop(tcp);
        let text = wait_until(&exporter, "every line ingested", |t| {
            counter(t, "statsd_exporter_lines_total") == f64::from(lines)
        });
        assert_eq!(
            sample_value(&text, "relayed_7"),
            Some(f64::from(lines / 100))
        );
        let label = format!("{{target=\"{target}\"}}");
        let relayed = counter(
            &text,
            &format!("statsd_exporter_relay_lines_relayed_total{label}"),
        );
        let errors = counter(
            &text,
            &format!("statsd_exporter_relay_send_errors_total{label}"),
        );
        assert!(relayed > 0.0, "{text}");
        if target == refusing {
            assert!(errors > 0.0, "refused sends are counted: {text}");
        }
        assert_valid_exposition(&text);
    }
}

#[test]
fn scrapes_in_a_tight_loop_during_full_speed_ingest() {
    let exporter = Arc::new(Exporter::start(&[]));
    let done = Arc::new(AtomicBool::new(false));
    let connections = 4;
    let lines_each = 50_000u32;
    let senders: Vec<_> = (0..connections)
        .map(|c| {
            let address = exporter.statsd;
            std::thread::spawn(move || {
                let mut tcp = TcpStream::connect(address).unwrap();
                let mut batch = String::new();
                for i in 0..lines_each {
                    batch.push_str(&format!("ingest.c{c}:1|c|#k:{}\n", i % 50));
                    if batch.len() > 8_000 {
                        tcp.write_all(batch.as_bytes()).unwrap();
                        batch.clear();
                    }
                }
                tcp.write_all(batch.as_bytes()).unwrap();
            })
        })
        .collect();
    let scraper = {
        let (exporter, done) = (Arc::clone(&exporter), Arc::clone(&done));
        std::thread::spawn(move || {
            let mut scrapes = 0u32;
            let mut last_lines = 0.0;
            let deadline = Instant::now() + Duration::from_secs(30);
            while !done.load(Ordering::SeqCst) && Instant::now() < deadline {
                let (status, text) = try_http(exporter.web, "GET", "/metrics")
                    .expect("scrape answered during ingest");
                assert_eq!(status, 200);
                let lines = counter(&text, "statsd_exporter_lines_total");
                assert!(lines >= last_lines, "lines_total went backwards");
                last_lines = lines;
                if scrapes.is_multiple_of(25) {
                    assert_valid_exposition(&text);
                }
                scrapes += 1;
            }
            scrapes
        })
    };
    for sender in senders {
        sender.join().unwrap();
    }
    let total = f64::from(lines_each * connections);
    let text = wait_until(&exporter, "every line", |t| {
        counter(t, "statsd_exporter_lines_total") == total
    });
    done.store(true, Ordering::SeqCst);
    let scrapes = scraper.join().unwrap();
    assert!(scrapes >= 2, "only {scrapes} scrapes");
    for c in 0..connections {
        let sum: f64 = (0..50)
            .filter_map(|k| sample_value(&text, &format!("ingest_c{c}{{k=\"{k}\"}}")))
            .sum();
        assert_eq!(sum, f64::from(lines_each), "connection {c}");
    }
    assert_valid_exposition(&text);
}

#[test]
fn sigterm_during_ingest_exits_cleanly() {
    let mut exporter = Exporter::start(&[]);
    let stop = Arc::new(AtomicBool::new(false));
    let address = exporter.statsd;
    let udp = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                let _ = socket.send_to(b"term.udp:1|c\nterm.udp:1|ms", address);
            }
        })
    };
    let tcp = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            let mut tcp = TcpStream::connect(address).unwrap();
            let deadline = Instant::now() + Duration::from_secs(10);
            let batch = "term.tcp:1|c\n".repeat(500);
            while !stop.load(Ordering::SeqCst) && Instant::now() < deadline {
                if tcp.write_all(batch.as_bytes()).is_err() {
                    break; // the exporter is gone
                }
            }
        })
    };
    wait_until(&exporter, "TCP and UDP flowing", |t| {
        sample_value(t, "term_tcp").is_some_and(|v| v >= 500.0)
            && sample_value(t, "term_udp").is_some()
    });
    exporter.signal("TERM");
    let code = exporter.wait_exit();
    stop.store(true, Ordering::SeqCst);
    udp.join().unwrap();
    tcp.join().unwrap();
    assert_eq!(code, Some(0), "log:\n{}", exporter.stderr());
}
