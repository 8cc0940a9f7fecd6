//! Helpers: start the built exporter and a real Prometheus on free loopback ports, talk HTTP,
//! find external programs (a missing one fails the test with a clear message, never skips).

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The shipped Mastodon mapping.
pub fn mastodon_mapping() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../mastodon/statsd-mapping.yml")
}

/// The shipped Grafana dashboard.
pub fn mastodon_dashboard() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../mastodon/grafana-dashboard.json")
}

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let n = NEXT.fetch_add(1, Ordering::SeqCst);
        let path = std::env::temp_dir().join(format!(
            "statsd-exporter-it-{}-{tag}-{n}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A loopback port free for both TCP and UDP right now.
pub fn free_port() -> u16 {
    loop {
        let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = tcp.local_addr().unwrap().port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// Path of an external program, or a panic that says how to install it.
pub fn require_program(name: &str, candidates: &[&str], install: &str) -> PathBuf {
    for candidate in candidates {
        let path = Path::new(candidate);
        if path.is_absolute() && path.exists() {
            return path.to_path_buf();
        }
        if !path.is_absolute()
            && let Some(found) = std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(candidate))
                    .find(|p| p.exists())
            })
        {
            return found;
        }
    }
    panic!(
        "required program `{name}` not found (tried {candidates:?}); install it with scripts/install-deps.sh ({install})"
    );
}

/// A running exporter, killed on drop.
pub struct Exporter {
    pub child: Child,
    pub web: SocketAddr,
    pub statsd: SocketAddr,
    pub stderr_path: PathBuf,
    _dir: TempDir,
}

impl Exporter {
    /// Starts the binary with UDP and TCP on one free port, HTTP on another, plus `args`.
    pub fn start(args: &[&str]) -> Exporter {
        let dir = TempDir::new("exporter");
        let web: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let statsd: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let stderr_path = dir.join("stderr.log");
        let child = Command::new(env!("CARGO_BIN_EXE_statsd-exporter"))
            .arg(format!("--web.listen-address={web}"))
            .arg(format!("--statsd.listen-udp={statsd}"))
            .arg(format!("--statsd.listen-tcp={statsd}"))
            .args(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr_path).unwrap())
            .spawn()
            .expect("start statsd-exporter");
        let mut exporter = Exporter {
            child,
            web,
            statsd,
            stderr_path,
            _dir: dir,
        };
        exporter.wait_ready();
        exporter
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("exporter exited early with {status}: {}", self.stderr());
            }
            if try_http(self.web, "GET", "/-/ready").is_some_and(|(s, _)| s == 200) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("exporter not ready in 10 s: {}", self.stderr());
    }

    /// What the exporter logged so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// `GET /metrics`.
    pub fn metrics(&self) -> String {
        let (status, body) = http(self.web, "GET", "/metrics");
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Polls `/metrics` until `sample` (a full `name{labels}` text) has `value`, or fails.
    pub fn wait_for_sample(&self, sample: &str, value: f64) -> String {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let text = self.metrics();
            if sample_value(&text, sample) == Some(value) {
                return text;
            }
            if Instant::now() > deadline {
                panic!(
                    "{sample} never became {value}; last /metrics:\n{text}\nlog:\n{}",
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn send_udp(&self, payload: &[u8]) {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.send_to(payload, self.statsd).unwrap();
    }

    pub fn send_tcp(&self, payload: &[u8]) {
        let mut stream = TcpStream::connect(self.statsd).unwrap();
        stream.write_all(payload).unwrap();
    }

    pub fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Waits for the process to exit by itself; returns its exit code.
    pub fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("exporter did not exit");
    }
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of one exposition line `sample value` (exact text before the space).
pub fn sample_value(text: &str, sample: &str) -> Option<f64> {
    text.lines().find_map(|line| {
        let (name, value) = line.rsplit_once(' ')?;
        (name == sample).then(|| value.parse().ok())?
    })
}

/// One HTTP/1.1 request; `None` if the connection fails.
pub fn try_http(address: SocketAddr, method: &str, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect_timeout(&address, Duration::from_secs(2)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "{method} {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").ok()?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response).ok()?;
    let response = String::from_utf8_lossy(&response).into_owned();
    let status = response.get(9..12)?.parse().ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    // Prometheus answers with chunked encoding at times; undo it.
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        dechunk(body)
    } else {
        body.to_string()
    };
    Some((status, body))
}

/// One HTTP/1.1 request that must succeed at the socket level.
pub fn http(address: SocketAddr, method: &str, path: &str) -> (u16, String) {
    try_http(address, method, path)
        .unwrap_or_else(|| panic!("HTTP {method} {path} to {address} failed"))
}

fn dechunk(mut body: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = body.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || rest.len() < size {
            break;
        }
        out.push_str(&rest[..size]);
        body = rest[size..].trim_start_matches("\r\n");
    }
    out
}

/// Percent-encodes a query parameter.
pub fn url_encode(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A real Prometheus server scraping one target every second, killed on drop.
pub struct Prometheus {
    child: Child,
    pub address: SocketAddr,
    _dir: TempDir,
}

impl Prometheus {
    /// Scrapes `target` every second.
    pub fn start(target: SocketAddr) -> Prometheus {
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: statsd-exporter\n    static_configs:\n      - targets: ['{target}']\n"
        );
        Prometheus::launch("prometheus", &config, &[])
    }

    /// Scrapes nothing; receives remote write (`--web.enable-remote-write-receiver`).
    pub fn start_receiver() -> Prometheus {
        Prometheus::launch(
            "rw-receiver",
            "global:\n  evaluation_interval: 1s\n",
            &["--web.enable-remote-write-receiver"],
        )
    }

    fn launch(name: &str, config_yaml: &str, extra_args: &[&str]) -> Prometheus {
        let binary = require_program(
            "prometheus",
            &["prometheus", "/usr/bin/prometheus"],
            "Debian package `prometheus`",
        );
        let dir = TempDir::new(name);
        let config = dir.join("prometheus.yml");
        std::fs::write(&config, config_yaml).unwrap();
        let address: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
        let child = Command::new(binary)
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address={address}"))
            .args(extra_args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("prometheus.log")).unwrap())
            .spawn()
            .expect("start prometheus");
        let prometheus = Prometheus {
            child,
            address,
            _dir: dir,
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if try_http(address, "GET", "/-/ready").is_some_and(|(s, _)| s == 200) {
                return prometheus;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("prometheus not ready in 20 s: {}", prometheus.log());
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.join("prometheus.log")).unwrap_or_default()
    }

    /// Raw JSON of an instant query.
    pub fn query(&self, expr: &str) -> String {
        let (status, body) = http(
            self.address,
            "GET",
            &format!("/api/v1/query?query={}", url_encode(expr)),
        );
        assert_eq!(status, 200, "query {expr}: {body}");
        body
    }

    /// Polls until the first sample of `expr` is `want`.
    pub fn expect_value(&self, expr: &str, want: f64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let body = self.query(expr);
            if first_value(&body).is_some_and(|v| (v - want).abs() < 1e-9) {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "{expr} never became {want}; last answer: {body}\nprometheus log:\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Polls an instant query until its result is non-empty and `accept` agrees; returns the JSON.
    pub fn wait_for(&self, expr: &str, accept: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let body = self.query(expr);
            if !body.contains("\"result\":[]") && accept(&body) {
                return body;
            }
            if Instant::now() > deadline {
                panic!("query {expr} never returned what was expected; last answer: {body}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The value of the first sample of an instant-query answer, if any.
pub fn first_value(json: &str) -> Option<f64> {
    let rest = &json[json.find("\"value\":[")?..];
    let start = rest.find(",\"")? + 2;
    let end = start + rest[start..].find('"')?;
    rest[start..end].parse().ok()
}
