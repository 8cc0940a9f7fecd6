//! A small HTTP/1.1 server on std threads: telemetry path, landing page, `/-/healthy`,
//! `/-/ready`, and with `--web.enable-lifecycle` `/-/reload` and `/-/quit` (PUT or POST).
//!
//! Why not hyper: the server answers a scrape every few seconds, so a thread per connection
//! (at most `--web.max-connections`, the rest get 503) costs nothing measurable, and it keeps
//! tokio out of a build shared by a 2-core machine. Each response is complete in memory and
//! sent with `Content-Length` and `Connection: close`; Prometheus reconnects per scrape.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::log;

/// The text exposition content type (format 0.0.4).
pub const TEXT_FORMAT: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Longest request head accepted.
const MAX_HEAD: usize = 16 * 1024;

/// What the routes call into.
pub trait Service: Send + Sync + 'static {
    /// The full exposition for the telemetry path, given the request's `Accept` header:
    /// the content type and the body.
    fn metrics(&self, accept: &str) -> (&'static str, Vec<u8>);
    /// Reloads the mapping file (the reply has already been sent).
    fn reload(&self);
    /// Stops the process (the reply has already been sent).
    fn quit(&self);
}

/// Server settings.
pub struct Web {
    /// `--web.telemetry-path`
    pub telemetry_path: String,
    /// `--web.enable-lifecycle`
    pub lifecycle: bool,
    /// `--web.max-connections`
    pub max_connections: usize,
}

/// Binds the listener.
///
/// # Errors
/// The bind failed.
pub fn bind(address: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(address).map_err(|e| format!("cannot listen on HTTP {address}: {e}"))
}

/// Starts the accept thread.
pub fn spawn(listener: TcpListener, web: Web, service: Arc<dyn Service>) {
    let web = Arc::new(web);
    std::thread::Builder::new()
        .name("http-accept".into())
        .spawn(move || {
            let open = Arc::new(AtomicUsize::new(0));
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                if open.fetch_add(1, Ordering::SeqCst) >= web.max_connections {
                    open.fetch_sub(1, Ordering::SeqCst);
                    let _ = write_response(
                        &mut stream,
                        false,
                        503,
                        "text/plain; charset=utf-8",
                        b"Too many connections.\n",
                    );
                    continue;
                }
                let (web, service, open) =
                    (Arc::clone(&web), Arc::clone(&service), Arc::clone(&open));
                let spawned =
                    std::thread::Builder::new()
                        .name("http-conn".into())
                        .spawn(move || {
                            serve(stream, &web, service.as_ref());
                            open.fetch_sub(1, Ordering::SeqCst);
                        });
                if spawned.is_err() {
                    log::warn("cannot start an HTTP connection thread", &[]);
                }
            }
        })
        .expect("spawn HTTP thread");
}

/// What to do after the response went out.
enum After {
    Nothing,
    Reload,
    Quit,
}

fn serve(mut stream: TcpStream, web: &Web, service: &dyn Service) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(30)));
    let Some((method, path, accept)) = read_head(&stream) else {
        let _ = write_response(
            &mut stream,
            false,
            400,
            "text/plain; charset=utf-8",
            b"Bad request.\n",
        );
        return;
    };
    let head_only = method == "HEAD";
    let read_method = method == "GET" || head_only;
    let write_method = method == "PUT" || method == "POST";
    let plain = "text/plain; charset=utf-8";
    let (status, content_type, body, after): (u16, &str, Vec<u8>, After) = match path.as_str() {
        p if p == web.telemetry_path && !p.is_empty() => {
            if read_method {
                let (content_type, body) = service.metrics(&accept);
                (200, content_type, body, After::Nothing)
            } else {
                (
                    405,
                    plain,
                    b"Method not allowed.\n".to_vec(),
                    After::Nothing,
                )
            }
        }
        "/-/healthy" => (
            200,
            plain,
            b"Statsd Exporter is Healthy.\n".to_vec(),
            After::Nothing,
        ),
        "/-/ready" => (
            200,
            plain,
            b"Statsd Exporter is Ready.\n".to_vec(),
            After::Nothing,
        ),
        "/-/reload" if web.lifecycle => {
            if write_method {
                (200, plain, b"Requesting reload\n".to_vec(), After::Reload)
            } else {
                (
                    405,
                    plain,
                    b"This endpoint requires a PUT or POST request.\n".to_vec(),
                    After::Nothing,
                )
            }
        }
        "/-/quit" if web.lifecycle => {
            if write_method {
                (
                    200,
                    plain,
                    b"Requesting termination... Goodbye!\n".to_vec(),
                    After::Quit,
                )
            } else {
                (
                    405,
                    plain,
                    b"This endpoint requires a PUT or POST request.\n".to_vec(),
                    After::Nothing,
                )
            }
        }
        "/" => (
            200,
            "text/html; charset=utf-8",
            landing_page(&web.telemetry_path).into_bytes(),
            After::Nothing,
        ),
        _ => (404, plain, b"404 page not found\n".to_vec(), After::Nothing),
    };
    let _ = write_response(&mut stream, head_only, status, content_type, &body);
    let _ = stream.flush();
    drop(stream);
    match after {
        After::Nothing => {}
        After::Reload => service.reload(),
        After::Quit => service.quit(),
    }
}

/// Reads the request line and the headers; returns the method, the path without query and
/// the `Accept` header (empty when absent).
fn read_head(stream: &TcpStream) -> Option<(String, String, String)> {
    let mut reader = BufReader::new(Read::take(stream, MAX_HEAD as u64));
    let mut request_line = String::new();
    reader.read_line(&mut request_line).ok()?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?;
    let _version = parts.next()?;
    let mut accept = String::new();
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).ok()? == 0 {
            return None;
        }
        if header == "\r\n" || header == "\n" {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("accept")
        {
            accept = value.trim().to_string();
        }
    }
    let path = target.split(['?', '#']).next().unwrap_or("/").to_string();
    Some((method, path, accept))
}

fn write_response(
    stream: &mut TcpStream,
    head_only: bool,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        503 => "Service Unavailable",
        _ => "",
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(body)?;
    }
    Ok(())
}

fn landing_page(telemetry_path: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html>\n<head><title>StatsD Exporter</title></head>\n<body>\n\
         <h1>StatsD Exporter</h1>\n<p>A drop-in replacement for Prometheus' statsd_exporter, version {}.</p>\n\
         <ul>\n<li><a href=\"{telemetry_path}\">Metrics</a></li>\n<li><a href=\"/-/healthy\">Health</a></li>\n\
         <li><a href=\"/-/ready\">Readiness</a></li>\n</ul>\n</body>\n</html>\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// Escapes a label value for the text format (`\`, `"` and newline).
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder {
        calls: Mutex<Vec<&'static str>>,
    }

    impl Service for Recorder {
        fn metrics(&self, accept: &str) -> (&'static str, Vec<u8>) {
            (
                TEXT_FORMAT,
                format!("up 1\n# accept {accept}\n").into_bytes(),
            )
        }
        fn reload(&self) {
            self.calls.lock().unwrap().push("reload");
        }
        fn quit(&self) {
            self.calls.lock().unwrap().push("quit");
        }
    }

    fn start(lifecycle: bool) -> (SocketAddr, Arc<Recorder>) {
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = listener.local_addr().unwrap();
        let recorder = Arc::new(Recorder::default());
        let web = Web {
            telemetry_path: "/metrics".into(),
            lifecycle,
            max_connections: 4,
        };
        spawn(listener, web, recorder.clone());
        (address, recorder)
    }

    fn request(address: SocketAddr, method: &str, path: &str) -> (u16, String) {
        let mut stream = TcpStream::connect(address).unwrap();
        write!(
            stream,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let status = response[9..12].parse().unwrap();
        let body = response.split_once("\r\n\r\n").unwrap().1.to_string();
        (status, body)
    }

    #[test]
    fn routes() {
        let (address, recorder) = start(true);
        let body = "up 1\n# accept */*\n".to_string();
        assert_eq!(request(address, "GET", "/metrics"), (200, body.clone()));
        assert_eq!(request(address, "GET", "/metrics?x=1"), (200, body));
        assert_eq!(request(address, "HEAD", "/metrics"), (200, String::new()));
        assert_eq!(request(address, "POST", "/metrics").0, 405);
        assert_eq!(
            request(address, "GET", "/-/healthy"),
            (200, "Statsd Exporter is Healthy.\n".into())
        );
        assert_eq!(
            request(address, "GET", "/-/ready"),
            (200, "Statsd Exporter is Ready.\n".into())
        );
        assert!(request(address, "GET", "/").1.contains("href=\"/metrics\""));
        assert_eq!(request(address, "GET", "/nope").0, 404);
        assert_eq!(request(address, "GET", "/-/reload").0, 405);
        assert_eq!(request(address, "PUT", "/-/reload").0, 200);
        assert_eq!(request(address, "POST", "/-/quit").0, 200);
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(*recorder.calls.lock().unwrap(), vec!["reload", "quit"]);
    }

    #[test]
    fn lifecycle_is_off_by_default_and_garbage_gets_400() {
        let (address, recorder) = start(false);
        assert_eq!(request(address, "POST", "/-/reload").0, 404);
        assert_eq!(request(address, "POST", "/-/quit").0, 404);
        assert!(recorder.calls.lock().unwrap().is_empty());
        let mut stream = TcpStream::connect(address).unwrap();
        stream.write_all(b"\x00\x01garbage\r\n\r\n").unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(response.starts_with("HTTP/1.1 400"), "{response}");
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
