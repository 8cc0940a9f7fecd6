//! Builds and runs the `statsd-aggregate` binary: stdin with a mapping, UDP with intervals,
//! and its errors.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_statsd-aggregate");

const MAPPING: &str = r#"mappings:
- match: "web.*.*.status.*"
  name: web_requests
  labels: {controller: "$1", action: "$2", status: "$3"}
- match: "web.*.*.duration"
  name: web_duration_seconds
  observer_type: histogram
  labels: {controller: "$1", action: "$2"}
- match: "debug.*"
  name: dropped
  action: drop
"#;

/// Writes `text` to a file of its own under the test target dir and returns the path.
fn fixture(name: &str, text: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn run(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn statsd-aggregate");
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

#[test]
fn stdin_with_a_mapping_prints_one_json_line_per_series_at_end_of_input() {
    let mapping = fixture("stdin-mapping.yml", MAPPING);
    let input = b"web.Home.index.status.200:1|c\n\
web.Home.index.status.200:2|c|@0.5\n\
web.Home.index.status.500:1|c\r\n\
web.Home.index.duration:120|ms|@0.5\n\
web.Home.index.duration:80:200|ms\n\
queue.depth:10|g|#queue:mail\n\
queue.depth:-4|g|#queue:mail\n\
queue.depth:7|g|#queue:push\n\
debug.thing:1|c\n\
broken line\n\
\n\
users.online:3|g\n\
users.online:5|g\n\
sfx.[shard=a]hits:2|c\n\
web.Home.index.status.200:1|g\n";
    let out = run(&["--mapping", mapping.to_str().unwrap()], input);
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    let expected = [
        r#"{"name":"queue_depth","labels":{"queue":"mail"},"type":"gauge","value":6}"#,
        r#"{"name":"queue_depth","labels":{"queue":"push"},"type":"gauge","value":7}"#,
        r#"{"name":"sfx_hits","labels":{"shard":"a"},"type":"counter","value":2}"#,
        r#"{"name":"users_online","labels":{},"type":"gauge","value":5}"#,
        // @0.5 on an observer: two observations of 0.12 s; then a line of two values.
        r#"{"name":"web_duration_seconds","labels":{"action":"index","controller":"Home"},"type":"histogram","count":4,"sum":0.52,"min":0.08,"max":0.2}"#,
        // 1 + 2/0.5; the later gauge of the same name and labels is a conflict.
        r#"{"name":"web_requests","labels":{"action":"index","controller":"Home","status":"200"},"type":"counter","value":5}"#,
        r#"{"name":"web_requests","labels":{"action":"index","controller":"Home","status":"500"},"type":"counter","value":1}"#,
    ];
    assert_eq!(text(&out.stdout).lines().collect::<Vec<_>>(), expected);
    assert_eq!(
        text(&out.stderr),
        "lines=15 samples=14 sample_errors=1 events=12 unmapped=6 dropped=1 malformed_line=1\n"
    );
}

#[test]
fn stdin_without_a_mapping_escapes_statsd_names() {
    let out = run(
        &[],
        b"api.v1-latency:320|ms|#env:prod\napi.v1-latency:1|ms|#env:prod\n",
    );
    assert!(out.status.success(), "stderr: {}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"name\":\"api_v1_latency\",\"labels\":{\"env\":\"prod\"},\"type\":\"summary\",\"count\":2,\"sum\":0.321,\"min\":0.001,\"max\":0.32}\n"
    );
}

#[test]
fn empty_input_prints_nothing() {
    let out = run(&[], b"");
    assert!(out.status.success());
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "lines=0 samples=0 sample_errors=0 events=0 unmapped=0 dropped=0\n"
    );
}

#[test]
fn a_bad_mapping_names_file_line_and_column() {
    let mapping = fixture("bad-mapping.yml", "mappings:\n- match: a.b\n  nmae: x\n");
    let out = run(&["--mapping", mapping.to_str().unwrap()], b"");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    let stderr = text(&out.stderr);
    let expected_start = format!("statsd-aggregate: {}:3:3: ", mapping.display());
    assert!(stderr.starts_with(&expected_start), "{stderr}");
    assert!(stderr.contains("nmae"), "{stderr}");
}

#[test]
fn bad_arguments_print_usage() {
    for args in [
        &["--interval", "0"][..],
        &["--interval", "soon"],
        &["--frobnicate"],
        &["--mapping"],
    ] {
        let out = run(args, b"");
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = text(&out.stderr);
        assert!(
            stderr.starts_with("statsd-aggregate: "),
            "{args:?}: {stderr}"
        );
        assert!(
            stderr.contains("usage: statsd-aggregate"),
            "{args:?}: {stderr}"
        );
    }
}

/// A child process that is killed when the test ends (also on a failed assertion), or by a
/// watchdog after `limit`: a stuck binary then closes its stdout and the test fails on the
/// missing output instead of hanging.
struct Running(Arc<Mutex<Child>>);

impl Running {
    fn new(child: Child, limit: Duration) -> Running {
        let child = Arc::new(Mutex::new(child));
        let watched = Arc::downgrade(&child);
        std::thread::spawn(move || {
            let deadline = Instant::now() + limit;
            while Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(100));
                if watched.strong_count() == 0 {
                    return;
                }
            }
            if let Some(child) = watched.upgrade() {
                let _ = child.lock().unwrap().kill();
            }
        });
        Running(child)
    }

    fn kill(&self) {
        let mut child = self.0.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.kill();
    }
}

#[test]
fn udp_prints_an_aggregate_per_interval() {
    let mapping = fixture("udp-mapping.yml", MAPPING);
    let child = Command::new(BIN)
        .args(["--udp", "127.0.0.1:0", "--interval", "0.2"])
        .args(["--mapping", mapping.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn statsd-aggregate");
    let child = Running::new(child, Duration::from_secs(60));
    let (stdout, stderr) = {
        let mut child = child.0.lock().unwrap();
        (child.stdout.take().unwrap(), child.stderr.take().unwrap())
    };
    let mut stderr = BufReader::new(stderr);
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    let addr = first
        .trim_end()
        .strip_prefix("listening on udp ")
        .unwrap_or_else(|| panic!("unexpected first stderr line {first:?}"));

    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut stdout = BufReader::new(stdout);
    // A datagram is processed between two flushes, so each one is one interval's line.
    let mut lines = Vec::new();
    for packet in [
        &b"web.Home.show.status.200:2|c\nweb.Home.show.status.200:3|c"[..],
        b"web.Home.show.status.200:4|c",
    ] {
        socket.send_to(packet, addr).unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        lines.push(line);
    }
    let line = |v: u32| {
        format!(
            "{{\"name\":\"web_requests\",\"labels\":{{\"action\":\"show\",\"controller\":\"Home\",\"status\":\"200\"}},\"type\":\"counter\",\"value\":{v}}}\n"
        )
    };
    assert_eq!(lines, [line(5), line(4)]);

    // Killed: nothing else was printed (idle intervals print nothing).
    drop(socket);
    child.kill();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "");
}
