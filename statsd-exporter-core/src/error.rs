//! The crate's one error type. The ingest path never fails (it counts rejections by
//! reason instead); what can fail is talking to the outside world: remote write.

use std::fmt;
use std::io;

/// An error of this crate: an opaque box with a [`kind`](Error::kind), a message and,
/// for I/O failures, the underlying [`io::Error`] as its
/// [`source`](std::error::Error::source).
///
/// ```
/// use statsd_exporter_core::{Error, ErrorKind};
///
/// let error = Error::http_status(503, "overloaded");
/// assert_eq!(error.kind(), ErrorKind::Status);
/// assert_eq!(error.status(), Some(503));
/// assert!(error.is_retryable());
/// assert!(!Error::http_status(400, "out of order sample").is_retryable());
/// ```
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    status: Option<u16>,
    message: String,
    source: Option<io::Error>,
}

/// What kind of failure an [`Error`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A remote-write URL this crate cannot use (not `http://host[:port][/path]`; `https`
    /// needs a `remote_write::Transport` of your own).
    InvalidUrl,
    /// An option out of range (a zero batch size, interval or queue capacity).
    InvalidOption,
    /// Connecting, writing or reading failed or timed out. Retried.
    Io,
    /// The receiver answered with a status other than 2xx ([`Error::status`] tells which).
    /// Retried for 5xx and 429, dropped otherwise.
    Status,
    /// The receiver's answer was not well-formed HTTP/1.x. Retried.
    Protocol,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error(Box::new(Inner {
            kind,
            status: None,
            message: message.into(),
            source: None,
        }))
    }

    /// An error for an HTTP answer with status `status`; `message` is what the receiver
    /// said (for `remote_write::Transport` implementations).
    pub fn http_status(status: u16, message: &str) -> Error {
        let mut error = Error::new(
            ErrorKind::Status,
            format!("receiver answered HTTP {status}: {}", message.trim()),
        );
        error.0.status = Some(status);
        error
    }

    /// An I/O failure while `doing` something (for example `"connecting to 10.0.0.1:9009"`).
    pub fn io(doing: &str, source: io::Error) -> Error {
        let mut error = Error::new(ErrorKind::Io, format!("{doing}: {source}"));
        error.0.source = Some(source);
        error
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The HTTP status of an [`ErrorKind::Status`] error.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// Whether sending the same request again may succeed: I/O and protocol errors, HTTP
    /// 5xx and 429. Other 4xx answers mean the receiver refused the data itself (a bad
    /// sample, an out-of-order timestamp, a tenant limit), so it is dropped instead.
    pub fn is_retryable(&self) -> bool {
        match self.0.kind {
            ErrorKind::Io | ErrorKind::Protocol => true,
            ErrorKind::Status => self.0.status.is_some_and(|s| s >= 500 || s == 429),
            ErrorKind::InvalidUrl | ErrorKind::InvalidOption => false,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("status", &self.0.status)
            .field("message", &self.0.message)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_ref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
