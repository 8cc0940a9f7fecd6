//! HTTP endpoints, lifecycle, reload by HTTP and SIGHUP, orderly exit.

use crate::support::{Exporter, TempDir, http, sample_value};

const RELOAD_FAILURES: &str = "statsd_exporter_config_reloads_total{outcome=\"failure\"}";
const RELOAD_SUCCESSES: &str = "statsd_exporter_config_reloads_total{outcome=\"success\"}";

#[test]
fn health_readiness_landing_page_and_telemetry_path() {
    let exporter = Exporter::start(&["--web.telemetry-path=/stats"]);
    assert_eq!(http(exporter.web, "GET", "/-/healthy").0, 200);
    assert_eq!(http(exporter.web, "GET", "/-/ready").0, 200);
    let (status, page) = http(exporter.web, "GET", "/");
    assert_eq!(status, 200);
    assert!(page.contains("href=\"/stats\""), "{page}");
    let (status, text) = http(exporter.web, "GET", "/stats");
    assert_eq!(status, 200);
    assert!(
        text.contains("# TYPE statsd_exporter_lines_total counter"),
        "{text}"
    );
    assert_eq!(http(exporter.web, "GET", "/metrics").0, 404);
    // Lifecycle is off by default.
    assert_eq!(http(exporter.web, "POST", "/-/quit").0, 404);
    assert_eq!(http(exporter.web, "GET", "/-/ready").0, 200);
}

#[test]
fn reload_keeps_the_old_mapping_on_failure_and_counts_both_outcomes() {
    let dir = TempDir::new("reload");
    let mapping = dir.join("mapping.yml");
    std::fs::write(&mapping, "mappings:\n  - match: \"app.*.hits\"\n    name: \"hits\"\n    labels:\n      page: \"$1\"\n").unwrap();
    let exporter = Exporter::start(&[
        &format!("--statsd.mapping-config={}", mapping.display()),
        "--web.enable-lifecycle",
    ]);
    exporter.send_udp(b"app.home.hits:1|c");
    let text = exporter.wait_for_sample("hits{page=\"home\"}", 1.0);
    assert_eq!(
        sample_value(&text, "statsd_metric_mapper_cache_length"),
        Some(1.0),
        "{text}"
    );

    // A broken file: HTTP reload answers 200, the failure is counted, the old rules stay.
    std::fs::write(
        &mapping,
        "mappings:\n  - match: \"app.*.hits\"\n    name: \"hits\n",
    )
    .unwrap();
    assert_eq!(http(exporter.web, "PUT", "/-/reload").0, 200);
    exporter.wait_for_sample(RELOAD_FAILURES, 1.0);
    exporter.send_udp(b"app.about.hits:1|c");
    exporter.wait_for_sample("hits{page=\"about\"}", 1.0);

    // SIGHUP with a good file: the new rule applies.
    std::fs::write(&mapping, "mappings:\n  - match: \"app.*.hits\"\n    name: \"page_hits\"\n    labels:\n      page: \"$1\"\n").unwrap();
    exporter.signal("HUP");
    let text = exporter.wait_for_sample(RELOAD_SUCCESSES, 1.0);
    assert_eq!(sample_value(&text, RELOAD_FAILURES), Some(1.0));
    exporter.send_udp(b"app.home.hits:1|c");
    exporter.wait_for_sample("page_hits{page=\"home\"}", 1.0);
    assert_eq!(
        http(exporter.web, "GET", "/-/reload").0,
        405,
        "reload needs PUT or POST"
    );
}

#[test]
fn quit_over_http_and_sigterm_exit_cleanly_and_remove_the_unix_socket() {
    let dir = TempDir::new("quit");
    let socket = dir.join("statsd.sock");
    let mut exporter = Exporter::start(&[
        "--web.enable-lifecycle",
        &format!("--statsd.listen-unixgram={}", socket.display()),
        "--statsd.unixsocket-mode=600",
    ]);
    assert!(socket.exists());
    assert_eq!(http(exporter.web, "POST", "/-/quit").0, 200);
    assert_eq!(exporter.wait_exit(), Some(0));
    assert!(!socket.exists(), "socket file removed on exit");

    let mut exporter =
        Exporter::start(&[&format!("--statsd.listen-unixgram={}", socket.display())]);
    exporter.signal("TERM");
    assert_eq!(exporter.wait_exit(), Some(0));
    assert!(!socket.exists());
}

#[test]
fn an_existing_unix_socket_path_is_refused() {
    let dir = TempDir::new("exists");
    let socket = dir.join("taken.sock");
    std::fs::write(&socket, b"").unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_statsd-exporter"))
        .args([
            "--web.listen-address=127.0.0.1:0",
            "--statsd.listen-udp=",
            "--statsd.listen-tcp=",
        ])
        .arg(format!("--statsd.listen-unixgram={}", socket.display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("already exists"));
}

#[test]
fn no_listener_at_all_is_an_error() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_statsd-exporter"))
        .args([
            "--web.listen-address=127.0.0.1:0",
            "--statsd.listen-udp=",
            "--statsd.listen-tcp=",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&output.stderr)
            .contains("At least one of UDP/TCP/Unixgram listeners must be specified")
    );
}
