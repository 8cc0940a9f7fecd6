//! A minimal HTTP/1.1 client for remote write over plain TCP: one POST at a time on a
//! kept-alive connection, with timeouts. `https` is not built in (a TLS stack would be the
//! heaviest dependency of the crate); implement [`Transport`] with the client of your choice.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{Error, ErrorKind};

/// Sends one encoded remote-write request. The writer's sender thread calls it for each
/// batch, one at a time, and retries or drops according to the returned error's
/// [`Error::is_retryable`].
///
/// `body` is a snappy-compressed protobuf `WriteRequest`; an implementation POSTs it with
/// the headers `Content-Encoding: snappy`, `Content-Type: application/x-protobuf` and
/// `X-Prometheus-Remote-Write-Version: 0.1.0`. [`HttpTransport`] does that over plain TCP;
/// for `https`, wrap a TLS-capable client:
///
/// ```
/// use statsd_exporter_core::Error;
/// use statsd_exporter_core::remote_write::Transport;
///
/// /// Stand-in for a client with TLS (ureq, reqwest::blocking, ...).
/// struct Https { posted: Vec<usize> }
///
/// impl Transport for Https {
///     fn post(&mut self, body: &[u8]) -> Result<(), Error> {
///         // let response = client.post(url).header("Content-Encoding", "snappy")...send(body);
///         // map a transport failure to Error::io(...), a non-2xx answer to
///         // Error::http_status(status, &text).
///         self.posted.push(body.len());
///         Ok(())
///     }
/// }
/// ```
pub trait Transport: Send + 'static {
    /// POSTs one request body.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::Io`] when the request could not be sent or answered (retried),
    /// [`ErrorKind::Status`] for a non-2xx answer (see [`Error::http_status`]).
    fn post(&mut self, body: &[u8]) -> Result<(), Error>;
}

/// Longest response head (status line and headers) accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Longest response body read; a longer one closes the connection after this much.
const MAX_BODY: usize = 64 * 1024;

/// A remote-write client over plain HTTP/1.1 (`http://host[:port][/path]`), keeping one
/// connection alive between requests and reconnecting when it breaks.
///
/// ```
/// use std::time::Duration;
/// use statsd_exporter_core::ErrorKind;
/// use statsd_exporter_core::remote_write::HttpTransport;
///
/// let transport = HttpTransport::new("http://127.0.0.1:9090/api/v1/write", Duration::from_secs(10))
///     .unwrap()
///     .basic_auth("tenant-1", "secret");
/// assert_eq!(transport.url(), "http://127.0.0.1:9090/api/v1/write");
///
/// let error = HttpTransport::new("https://mimir/api/v1/push", Duration::from_secs(10)).unwrap_err();
/// assert_eq!(error.kind(), ErrorKind::InvalidUrl);
/// ```
pub struct HttpTransport {
    url: String,
    /// `host:port` to resolve and connect to.
    authority: String,
    /// The `Host` header.
    host: String,
    path: String,
    timeout: Duration,
    /// `Basic <base64>`, if set.
    authorization: Option<String>,
    connection: Option<BufReader<TcpStream>>,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the credentials.
        f.debug_struct("HttpTransport")
            .field("url", &self.url)
            .field("timeout", &self.timeout)
            .field("basic_auth", &self.authorization.is_some())
            .finish()
    }
}

impl HttpTransport {
    /// A client for `url`, which must be `http://host[:port][/path]` (port 80 and path `/`
    /// by default; IPv6 hosts in brackets). `timeout` bounds connecting and each read or
    /// write of a request.
    ///
    /// # Errors
    ///
    /// [`ErrorKind::InvalidUrl`] for another scheme (`https` included), credentials in the
    /// URL (use [`basic_auth`](HttpTransport::basic_auth)), an empty host or a bad port;
    /// [`ErrorKind::InvalidOption`] for a zero timeout.
    pub fn new(url: &str, timeout: Duration) -> Result<HttpTransport, Error> {
        let invalid = |why: &str| Error::new(ErrorKind::InvalidUrl, format!("{url:?}: {why}"));
        if timeout.is_zero() {
            return Err(Error::new(
                ErrorKind::InvalidOption,
                "remote-write timeout must be above zero",
            ));
        }
        let Some(rest) = url
            .get(..7)
            .filter(|scheme| scheme.eq_ignore_ascii_case("http://"))
            .map(|_| &url[7..])
        else {
            if url.len() >= 8 && url[..8].eq_ignore_ascii_case("https://") {
                return Err(invalid(
                    "https is not built in; plug in a client with TLS through the Transport trait",
                ));
            }
            return Err(invalid("expected http://host[:port][/path]"));
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(at) if rest.as_bytes()[at] == b'/' => (&rest[..at], &rest[at..]),
            Some(at) => (&rest[..at], &rest[at..]),
            None => (rest, "/"),
        };
        let path = if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        if authority.contains('@') {
            return Err(invalid(
                "credentials in the URL are not supported; use basic auth options",
            ));
        }
        if authority.is_empty() || path.contains(['#', ' ', '\r', '\n']) {
            return Err(invalid("expected http://host[:port][/path]"));
        }
        let (host_part, port) = match authority.rsplit_once(':') {
            Some((host, port)) if !port.contains(']') => {
                let port: u16 = port
                    .parse()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or_else(|| invalid("bad port"))?;
                (host, port)
            }
            _ => (authority, 80),
        };
        if host_part.is_empty() || host_part == "[]" {
            return Err(invalid("empty host"));
        }
        Ok(HttpTransport {
            url: url.to_string(),
            authority: format!("{host_part}:{port}"),
            host: authority.to_string(),
            path,
            timeout,
            authorization: None,
            connection: None,
        })
    }

    /// Sends `Authorization: Basic` with these credentials on every request.
    pub fn basic_auth(mut self, username: &str, password: &str) -> HttpTransport {
        let credentials = format!("{username}:{password}");
        self.authorization = Some(format!("Basic {}", base64(credentials.as_bytes())));
        self
    }

    /// The URL given to [`new`](HttpTransport::new).
    pub fn url(&self) -> &str {
        &self.url
    }

    fn connect(&self) -> Result<TcpStream, Error> {
        let doing = || format!("connecting to {}", self.authority);
        // Resolved at every connect, so a receiver behind DNS can move.
        let addresses = self
            .authority
            .to_socket_addrs()
            .map_err(|e| Error::io(&doing(), e))?;
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for address in addresses {
            match TcpStream::connect_timeout(&address, self.timeout) {
                Ok(stream) => {
                    let configured = stream
                        .set_read_timeout(Some(self.timeout))
                        .and_then(|()| stream.set_write_timeout(Some(self.timeout)))
                        .and_then(|()| stream.set_nodelay(true));
                    configured.map_err(|e| Error::io(&doing(), e))?;
                    return Ok(stream);
                }
                Err(e) => last = e,
            }
        }
        Err(Error::io(&doing(), last))
    }

    fn head(&self, body_len: usize) -> String {
        let mut head = format!(
            "POST {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: statsd-exporter-core/{}\r\n\
             Content-Type: application/x-protobuf\r\nContent-Encoding: snappy\r\n\
             X-Prometheus-Remote-Write-Version: 0.1.0\r\nContent-Length: {body_len}\r\n",
            self.path,
            self.host,
            env!("CARGO_PKG_VERSION"),
        );
        if let Some(authorization) = &self.authorization {
            head.push_str("Authorization: ");
            head.push_str(authorization);
            head.push_str("\r\n");
        }
        head.push_str("\r\n");
        head
    }

    /// One exchange on `connection`; `Ok(None)` when a reused connection turned out closed
    /// before any answer (the caller reconnects once).
    fn exchange(
        &self,
        connection: &mut BufReader<TcpStream>,
        head: &[u8],
        body: &[u8],
        reused: bool,
    ) -> Result<Option<Response>, Error> {
        let stream = connection.get_mut();
        let written = stream
            .write_all(head)
            .and_then(|()| stream.write_all(body))
            .and_then(|()| stream.flush());
        if let Err(e) = written {
            return if reused {
                Ok(None)
            } else {
                Err(Error::io("sending the request", e))
            };
        }
        match read_response(connection) {
            Err(e) if reused && e.kind() == ErrorKind::Protocol => Ok(None),
            other => other.map(Some),
        }
    }
}

impl Transport for HttpTransport {
    fn post(&mut self, body: &[u8]) -> Result<(), Error> {
        let head = self.head(body.len());
        let reused = self.connection.is_some();
        let mut connection = match self.connection.take() {
            Some(connection) => connection,
            None => BufReader::new(self.connect()?),
        };
        let mut response = self.exchange(&mut connection, head.as_bytes(), body, reused)?;
        if response.is_none() {
            connection = BufReader::new(self.connect()?);
            response = self.exchange(&mut connection, head.as_bytes(), body, false)?;
        }
        let Some(response) = response else {
            return Err(Error::new(ErrorKind::Protocol, "no answer"));
        };
        if response.keep_alive {
            self.connection = Some(connection);
        }
        if (200..300).contains(&response.status) {
            Ok(())
        } else {
            let text = String::from_utf8_lossy(&response.body);
            let text: String = text.chars().take(512).collect();
            Err(Error::http_status(response.status, &text))
        }
    }
}

struct Response {
    status: u16,
    body: Vec<u8>,
    /// Whether the connection may carry the next request.
    keep_alive: bool,
}

/// Reads one response: status line, headers, then a body delimited by `Content-Length`,
/// chunked encoding or the end of the connection.
fn read_response(reader: &mut BufReader<TcpStream>) -> Result<Response, Error> {
    let protocol = |why: &str| Error::new(ErrorKind::Protocol, format!("bad HTTP answer: {why}"));
    let mut line = Vec::new();
    let mut head_len = 0;
    let mut read_line = |reader: &mut BufReader<TcpStream>, line: &mut Vec<u8>| {
        line.clear();
        let n = reader
            .by_ref()
            .take((MAX_HEAD - head_len) as u64)
            .read_until(b'\n', line)
            .map_err(|e| Error::io("reading the answer", e))?;
        head_len += n;
        if n == 0 || !line.ends_with(b"\n") {
            return Err(protocol("connection closed or head too long"));
        }
        while line.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
            line.pop();
        }
        Ok(())
    };
    read_line(reader, &mut line)?;
    let status_line = String::from_utf8_lossy(&line).into_owned();
    let mut parts = status_line.splitn(3, ' ');
    let version = parts.next().unwrap_or_default();
    if !version.starts_with("HTTP/1.") {
        return Err(protocol(&format!("status line {status_line:?}")));
    }
    let status: u16 = parts
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| protocol(&format!("status line {status_line:?}")))?;
    let mut keep_alive = version != "HTTP/1.0";
    let mut length: Option<usize> = None;
    let mut chunked = false;
    loop {
        read_line(reader, &mut line)?;
        if line.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        let Some((name, value)) = text.split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse().map_err(|_| protocol("Content-Length"))?);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            chunked = value.to_ascii_lowercase().contains("chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            keep_alive = !value.eq_ignore_ascii_case("close");
        }
    }
    let mut body = Vec::new();
    let io = |e| Error::io("reading the answer body", e);
    if status == 204 || status == 304 || (100..200).contains(&status) {
        // No body by definition.
    } else if chunked {
        loop {
            read_line(reader, &mut line)?;
            let size = String::from_utf8_lossy(&line);
            let size = size.split(';').next().unwrap_or_default().trim();
            let size = usize::from_str_radix(size, 16).map_err(|_| protocol("chunk size"))?;
            if size == 0 {
                // Trailers, then the empty line.
                loop {
                    read_line(reader, &mut line)?;
                    if line.is_empty() {
                        break;
                    }
                }
                break;
            }
            if body.len() + size > MAX_BODY {
                keep_alive = false;
                break;
            }
            let start = body.len();
            body.resize(start + size, 0);
            reader.read_exact(&mut body[start..]).map_err(io)?;
            read_line(reader, &mut line)?;
        }
    } else if let Some(length) = length {
        let kept = length.min(MAX_BODY);
        body.resize(kept, 0);
        reader.read_exact(&mut body).map_err(io)?;
        keep_alive &= kept == length;
    } else {
        reader
            .by_ref()
            .take(MAX_BODY as u64)
            .read_to_end(&mut body)
            .map_err(io)?;
        keep_alive = false;
    }
    Ok(Response {
        status,
        body,
        keep_alive,
    })
}

/// Standard base64 with padding (RFC 4648), for the basic-auth header.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_rfc4648_vectors() {
        for (raw, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
            ("Aladdin:open sesame", "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
        ] {
            assert_eq!(base64(raw.as_bytes()), encoded, "{raw}");
        }
    }

    #[test]
    fn urls() {
        let t = Duration::from_secs(1);
        let ok = |url: &str| {
            let h = HttpTransport::new(url, t).unwrap();
            (h.authority, h.host, h.path)
        };
        assert_eq!(
            ok("http://127.0.0.1:9090/api/v1/write"),
            (
                "127.0.0.1:9090".into(),
                "127.0.0.1:9090".into(),
                "/api/v1/write".into()
            )
        );
        assert_eq!(
            ok("HTTP://mimir"),
            ("mimir:80".into(), "mimir".into(), "/".into())
        );
        assert_eq!(
            ok("http://[::1]:9/push?tenant=a"),
            ("[::1]:9".into(), "[::1]:9".into(), "/push?tenant=a".into())
        );
        assert_eq!(ok("http://[::1]").0, "[::1]:80");
        for bad in [
            "https://mimir/api/v1/push",
            "mimir:9009",
            "http://",
            "http://:9/x",
            "http://u:p@mimir/",
            "http://mimir:0/",
            "http://mimir:99999/",
            "http://mimir/a b",
            "ftp://mimir/",
        ] {
            let error = HttpTransport::new(bad, t).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::InvalidUrl, "{bad}");
            assert!(error.to_string().contains(bad), "{error}");
        }
        assert_eq!(
            HttpTransport::new("http://x/", Duration::ZERO)
                .unwrap_err()
                .kind(),
            ErrorKind::InvalidOption
        );
    }

    #[test]
    fn request_head_carries_the_protocol_headers_and_no_secret_in_debug() {
        let h = HttpTransport::new("http://r:1/api/v1/write", Duration::from_secs(1))
            .unwrap()
            .basic_auth("Aladdin", "open sesame");
        let head = h.head(42);
        for line in [
            "POST /api/v1/write HTTP/1.1\r\n",
            "Host: r:1\r\n",
            "Content-Encoding: snappy\r\n",
            "Content-Type: application/x-protobuf\r\n",
            "X-Prometheus-Remote-Write-Version: 0.1.0\r\n",
            "Content-Length: 42\r\n",
            "Authorization: Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==\r\n",
        ] {
            assert!(head.contains(line), "{line:?} in {head}");
        }
        assert!(head.ends_with("\r\n\r\n"));
        assert!(!format!("{h:?}").contains("QWxh"));
    }
}
