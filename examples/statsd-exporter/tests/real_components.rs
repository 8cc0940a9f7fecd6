//! The founding use case with real components: the Ruby `statsd` client (statsd-ruby, the
//! library Mastodon uses through nsa) and a Python DogStatsD client send traffic, a real
//! Prometheus server scrapes the exporter every second, and the test reads the mapped
//! Mastodon series back through Prometheus' HTTP API. `promtool check metrics` lints the
//! exposition, and every PromQL query of the shipped Grafana dashboard must return data.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::support::{
    Exporter, Prometheus, http, mastodon_dashboard, mastodon_mapping, require_program,
};

/// Sends what nsa + statsd-ruby send for a few requests and jobs (Mastodon 4.2 initializer:
/// namespace `Mastodon.production`, UDP, one metric per datagram). Controller names are
/// given with `::`, as nsa passes them; statsd-ruby turns `::` into `.`. Sidekiq worker names
/// are already `tr`-ed by nsa (`ActivityPub..DeliveryWorker`).
const RUBY_TRAFFIC: &str = r##"
require "statsd"
$statsd = Statsd.new("127.0.0.1", Integer(ARGV[0]))
$statsd.namespace = "Mastodon.production"

def request(controller, action, format, status, total, db, view)
  key = "web.#{controller}.#{action}.#{format}"
  $statsd.timing("#{key}.total_duration", total)
  $statsd.timing("#{key}.db_time", db)
  $statsd.timing("#{key}.view_time", view)
  $statsd.increment("#{key}.status.#{status}")
end

5.times { request("ActivityPub::InboxesController", "create", "json", 202, 12.5, 3.25, 1) }
2.times { request("Api::V1::Timelines::HomeController", "show", "json", 200, 85.21143299999999, 20.0, 41.5) }
request("HomeController", "index", "html", 500, 230.0, 0.0, 1)

4.times { $statsd.timing("db.tables.statuses.queries.select.duration", 1.5) }
2.times { $statsd.timing("db.tables.accounts.queries.update.duration", 4.2e-05) }
$statsd.timing("cache.read_hit.duration", 0.21143299999999998)
# statsd-ruby's batch mode joins lines with "\n" into one datagram.
$statsd.batch { |batch| 3.times { batch.timing("cache.read_miss.duration", 2.5) } }

3.times do
  $statsd.timing("sidekiq.ActivityPub..DeliveryWorker.processing_time", 120)
  $statsd.increment("sidekiq.ActivityPub..DeliveryWorker.success")
end
$statsd.increment("sidekiq.ActivityPub..DeliveryWorker.failure")
2.times do
  $statsd.timing("sidekiq.FeedInsertWorker.processing_time", 7)
  $statsd.increment("sidekiq.FeedInsertWorker.success")
end
{ "dead_size" => 3, "enqueued" => 11, "failed" => 12001, "processed" => 3000042,
  "processes_size" => 2, "retry_size" => 17, "scheduled_size" => 42, "workers_size" => 5 }.each do |name, value|
  $statsd.gauge("sidekiq.#{name}", value)
end
$statsd.gauge("sidekiq.queues.push.enqueued", 8)
$statsd.gauge("sidekiq.queues.push.latency", 3.504892110824585)
$statsd.gauge("sidekiq.queues.default.latency", 0)
"##;

/// A DogStatsD client with tags (constant and per metric), every metric type it has.
const PYTHON_TRAFFIC: &str = r#"
import asyncio, sys
from aiodogstatsd import Client

async def main():
    client = Client(host="127.0.0.1", port=int(sys.argv[1]), constant_tags={"app": "it"})
    await client.connect()
    for _ in range(4):
        client.increment("dogstatsd.requests", tags={"route": "home"})
    client.gauge("dogstatsd.queue_depth", value=12, tags={"queue": "default"})
    client.timing("dogstatsd.render", value=250, tags={"route": "home"})
    client.histogram("dogstatsd.payload", value=3, tags={"route": "home"})
    client.distribution("dogstatsd.size", value=5, tags={"route": "home"})
    await client.close()

asyncio.run(main())
"#;

fn run_client(program: &std::path::Path, args: &[&str], script: &str, port: u16) {
    let mut child = Command::new(program)
        .args(args)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{} failed: {}",
        program.display(),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The value of the first sample of an instant-query answer.
fn first_value(json: &str) -> f64 {
    let at = json.find("\"value\":[").expect("a sample");
    let rest = &json[at..];
    let start = rest.find(",\"").unwrap() + 2;
    let end = start + rest[start..].find('"').unwrap();
    rest[start..end].parse().unwrap()
}

/// Every `"expr"` string in the dashboard JSON (a tiny scanner: the test needs no JSON crate).
fn dashboard_queries(json: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = json;
    while let Some(at) = rest.find("\"expr\"") {
        rest = &rest[at + 6..];
        let open = rest.find('"').unwrap();
        let mut value = String::new();
        let mut chars = rest[open + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => match chars.next().map(|(_, e)| e) {
                    Some('n') => value.push('\n'),
                    Some('t') => value.push('\t'),
                    Some(e) => value.push(e),
                    None => break,
                },
                '"' => {
                    rest = &rest[open + 1 + i + 1..];
                    break;
                }
                c => value.push(c),
            }
        }
        out.push(value);
    }
    out
}

fn expect_value(prometheus: &Prometheus, expr: &str, want: f64) {
    let body = prometheus.wait_for(expr, |body| (first_value(body) - want).abs() < 1e-9);
    assert!((first_value(&body) - want).abs() < 1e-9, "{expr}: {body}");
}

#[test]
fn mastodon_traffic_from_real_clients_reaches_prometheus_and_the_dashboard() {
    let ruby = require_program(
        "ruby",
        &["ruby"],
        "Debian packages `ruby` and `ruby-statsd`",
    );
    let python = require_program(
        "python3 with aiodogstatsd",
        &["/usr/bin/python3"],
        "Debian package `python3-aiodogstatsd`",
    );
    let promtool = require_program(
        "promtool",
        &["promtool", "/usr/bin/promtool"],
        "Debian package `prometheus`",
    );

    let mapping = mastodon_mapping();
    let exporter = Exporter::start(&[&format!("--statsd.mapping-config={}", mapping.display())]);
    let prometheus = Prometheus::start(exporter.web);
    let port = exporter.statsd.port();
    run_client(&ruby, &["-"], RUBY_TRAFFIC, port);
    run_client(&python, &["-"], PYTHON_TRAFFIC, port);

    // Mapped Mastodon series, read back through Prometheus.
    expect_value(
        &prometheus,
        r#"mastodon_controller_status{controller="ActivityPub.InboxesController",action="create",format="json",status="202"}"#,
        5.0,
    );
    expect_value(
        &prometheus,
        r#"mastodon_controller_status{controller="Api.V1.Timelines.HomeController",status="200"}"#,
        2.0,
    );
    expect_value(
        &prometheus,
        r#"mastodon_controller_duration_count{controller="ActivityPub.InboxesController"}"#,
        5.0,
    );
    expect_value(
        &prometheus,
        r#"mastodon_controller_duration_sum{controller="ActivityPub.InboxesController"}"#,
        0.0625,
    );
    expect_value(
        &prometheus,
        r#"mastodon_controller_view_time_sum{controller="HomeController"}"#,
        0.001,
    );
    expect_value(
        &prometheus,
        r#"mastodon_db_operation_count{table="statuses",operation="select"}"#,
        4.0,
    );
    expect_value(
        &prometheus,
        r#"mastodon_cache_duration_count{operation="read_miss"}"#,
        3.0,
    );
    expect_value(
        &prometheus,
        r#"mastodon_sidekiq_worker_success_total{worker="ActivityPub..DeliveryWorker"}"#,
        3.0,
    );
    expect_value(
        &prometheus,
        r#"mastodon_sidekiq_worker_failure_total{worker="ActivityPub..DeliveryWorker"}"#,
        1.0,
    );
    expect_value(
        &prometheus,
        r#"mastodon_sidekiq_worker_processing_time_sum{worker="FeedInsertWorker"}"#,
        0.014,
    );
    expect_value(
        &prometheus,
        r#"mastodon_sidekiq_queue_latency{queue="push"}"#,
        3.504892110824585,
    );
    expect_value(&prometheus, "mastodon_sidekiq_retry_size", 17.0);
    expect_value(&prometheus, "mastodon_sidekiq_scheduled_size", 42.0);
    // DogStatsD tags from the Python client (no mapping rule: default naming).
    expect_value(
        &prometheus,
        r#"dogstatsd_requests{app="it",route="home"}"#,
        4.0,
    );
    expect_value(
        &prometheus,
        r#"dogstatsd_queue_depth{app="it",queue="default"}"#,
        12.0,
    );
    expect_value(&prometheus, r#"dogstatsd_render_sum{route="home"}"#, 0.25);

    // Every dashboard query returns data ($__rate_interval as Grafana would set it for 1 s scrapes).
    let dashboard = std::fs::read_to_string(mastodon_dashboard()).unwrap();
    let queries = dashboard_queries(&dashboard);
    assert!(queries.len() >= 10, "{queries:?}");
    for query in &queries {
        let expr = query.replace("$__rate_interval", "1m");
        prometheus.wait_for(&expr, |_| true);
    }

    // promtool parses the exposition; the only findings are the naming lints that follow
    // from statsd_exporter-compatible names.
    let (status, text) = http(exporter.web, "GET", "/metrics");
    assert_eq!(status, 200);
    let findings = promtool_findings(&promtool, &text);
    assert_eq!(
        findings,
        expected_promtool_findings(),
        "promtool check metrics output"
    );
}

fn promtool_findings(promtool: &std::path::Path, exposition: &str) -> Vec<String> {
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(exposition.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !all.contains("error while linting"),
        "promtool could not parse /metrics: {all}"
    );
    let mut findings: Vec<String> = all
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect();
    findings.sort();
    findings
}

fn expected_promtool_findings() -> Vec<String> {
    let mut findings: Vec<String> = [
        "mastodon_controller_status counter metrics should have \"_total\" suffix",
        "dogstatsd_requests counter metrics should have \"_total\" suffix",
        // statsd_exporter's own gauge of that name, kept for compatibility.
        "statsd_exporter_metrics_total non-counter metrics should not have \"_total\" suffix",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    findings.sort();
    findings
}

/// The shipped Prometheus config is valid, and the flags the shipped compose file gives
/// `prom/statsd-exporter` are accepted by this binary (the swap is the image line only).
#[test]
fn shipped_prometheus_config_and_compose_flags_are_valid() {
    let promtool = require_program(
        "promtool",
        &["promtool", "/usr/bin/promtool"],
        "Debian package `prometheus`",
    );
    let examples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../mastodon");
    let output = Command::new(&promtool)
        .args(["check", "config"])
        .arg(examples.join("prometheus.yml"))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );

    let compose = std::fs::read_to_string(examples.join("docker-compose.yml")).unwrap();
    let flags: Vec<String> = compose
        .lines()
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("- --"))
        .map(|flag| format!("--{flag}"))
        .collect();
    assert_eq!(
        flags,
        ["--statsd.mapping-config=/etc/statsd-exporter/conf.yaml"]
    );
    // The compose file mounts statsd-mapping.yml at that path; check it in place.
    let flag = flags[0].replace(
        "/etc/statsd-exporter/conf.yaml",
        &mastodon_mapping().display().to_string(),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_statsd-exporter"))
        .args(["--check-config", &flag])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(compose.contains("./statsd-mapping.yml:/etc/statsd-exporter/conf.yaml"));
}
