//! The receive path: UDP, TCP and unixgram listeners feeding one [`Ingest`].
//!
//! Every listener hands the backend *batches of complete lines* (one slice per datagram, or
//! one slice per TCP read holding every complete line of that read). The backend is called
//! once per batch, so a lock taken inside it is taken once per batch, never once per line.

pub mod tcp;
pub mod udp;
pub mod unixgram;

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use statsd_exporter_core::Stats;

use crate::backend::{Backend, Ingester};
use crate::relay::Relay;

/// Most datagrams one receive thread hands over per batch (and per `recvmmsg`).
pub const BATCH: usize = 32;

/// The largest datagram: the buffer for one datagram is this big, so nothing is truncated.
pub const DATAGRAM: usize = 65_536;

/// Listener counters. Those statsd_exporter has live in the pipeline's shared
/// [`Stats`], so they come out with its other self-metrics;
/// the ones this design adds are kept here and rendered by `app`.
#[derive(Debug)]
pub struct ListenerStats {
    /// The pipeline's self-metrics (`udp_packets`, `tcp_connections`, ...).
    pub core: Arc<Stats>,
    /// Receive errors other than EINTR on UDP sockets (the listener keeps running).
    pub udp_receive_errors: AtomicU64,
    /// Datagrams cut short because they did not fit the buffer.
    pub udp_truncated: AtomicU64,
    /// Connections refused because too many were open.
    pub tcp_connections_refused: AtomicU64,
    /// Connections closed because they sent nothing for `--statsd.tcp-idle-timeout`.
    pub tcp_idle_timeouts: AtomicU64,
    /// TCP lines skipped because the shared long-line memory was used up.
    pub tcp_long_lines_over_memory: AtomicU64,
    /// Receive errors on the unixgram socket (the listener keeps running).
    pub unixgram_receive_errors: AtomicU64,
    /// Batches abandoned because processing them panicked (the thread carries on).
    pub ingest_panics: AtomicU64,
}

impl ListenerStats {
    /// Listener counters next to the pipeline's `stats`.
    pub fn new(core: Arc<Stats>) -> ListenerStats {
        ListenerStats {
            core,
            udp_receive_errors: AtomicU64::new(0),
            udp_truncated: AtomicU64::new(0),
            tcp_connections_refused: AtomicU64::new(0),
            tcp_idle_timeouts: AtomicU64::new(0),
            tcp_long_lines_over_memory: AtomicU64::new(0),
            unixgram_receive_errors: AtomicU64::new(0),
            ingest_panics: AtomicU64::new(0),
        }
    }
}

impl Default for ListenerStats {
    fn default() -> Self {
        ListenerStats::new(Arc::new(Stats::default()))
    }
}

/// Where received bytes go: optionally the relay, then the backend. Shared by every
/// listener; each receive thread takes its own [`Worker`].
pub struct Ingest {
    backend: Arc<dyn Backend>,
    relay: Option<Arc<Relay>>,
    /// The listener counters.
    pub stats: Arc<ListenerStats>,
}

impl Ingest {
    /// Creates the ingest stage.
    pub fn new(
        backend: Arc<dyn Backend>,
        relay: Option<Arc<Relay>>,
        stats: Arc<ListenerStats>,
    ) -> Self {
        Ingest {
            backend,
            relay,
            stats,
        }
    }

    /// A worker for one receive thread or TCP connection.
    pub fn worker(&self) -> Worker {
        Worker {
            ingester: self.backend.ingester(),
            backend: Arc::clone(&self.backend),
            relay: self.relay.clone(),
            stats: Arc::clone(&self.stats),
        }
    }
}

/// One thread's handle on the ingest stage.
pub struct Worker {
    ingester: Box<dyn Ingester>,
    backend: Arc<dyn Backend>,
    relay: Option<Arc<Relay>>,
    stats: Arc<ListenerStats>,
}

impl Worker {
    /// Relays and processes a batch of packets (see [`Ingester::handle`]).
    ///
    /// A panic while processing (a bug: no input is meant to cause one) must not end the
    /// receive thread: the batch is abandoned and counted in
    /// `statsd_exporter_ingest_panics_total`, and the thread continues with a fresh
    /// ingester. The non-panicking path costs nothing extra.
    pub fn packets(&mut self, packets: &[&[u8]]) {
        if let Some(relay) = &self.relay {
            for packet in packets {
                relay.relay_packet(packet);
            }
        }
        let ingester = &mut self.ingester;
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            ingester.handle(packets);
        }));
        if outcome.is_err() {
            if self.stats.ingest_panics.fetch_add(1, Ordering::Relaxed) == 0 {
                crate::log::error(
                    "a batch panicked and was dropped; the listener carries on",
                    &[],
                );
            }
            self.ingester = self.backend.ingester();
        }
    }
}

/// Turns statsd_exporter's `host:port` (empty host: every interface) into a socket address.
///
/// # Errors
/// The address does not parse or does not resolve.
pub fn resolve(address: &str) -> Result<SocketAddr, String> {
    let full = if address.starts_with(':') {
        format!("0.0.0.0{address}")
    } else {
        address.to_string()
    };
    full.to_socket_addrs()
        .map_err(|e| format!("invalid address {address:?}: {e}"))?
        .next()
        .ok_or_else(|| format!("invalid address {address:?}: resolves to nothing"))
}

/// Removes a `\r` that ends a line, in place, and returns the new length.
///
/// statsd_exporter's TCP reader strips `\r\n`; clients such as gostatsd and `nc -C` send it
/// over UDP too (upstream #167), so every transport strips it here, before parsing and relay.
pub fn strip_carriage_returns(buffer: &mut [u8]) -> usize {
    let Some(first) = memchr::memchr(b'\r', buffer) else {
        return buffer.len();
    };
    let mut write = first;
    let mut read = first;
    while read < buffer.len() {
        let byte = buffer[read];
        let line_end = read + 1 == buffer.len() || buffer[read + 1] == b'\n';
        if !(byte == b'\r' && line_end) {
            buffer[write] = byte;
            write += 1;
        }
        read += 1;
    }
    write
}

/// Adds `value` to a counter.
#[inline]
pub fn bump(counter: &AtomicU64, value: u64) {
    counter.fetch_add(value, Ordering::Relaxed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn carriage_returns_before_newlines_are_removed() {
        let cases: &[(&[u8], &[u8])] = &[
            (b"a:1|c\r\nb:2|c\r\n", b"a:1|c\nb:2|c\n"),
            (b"a:1|c\r", b"a:1|c"),
            (b"a\rb:1|c\n", b"a\rb:1|c\n"),
            (b"plain:1|c\n", b"plain:1|c\n"),
            (b"\r\r\n", b"\r\n"),
            (b"", b""),
        ];
        for (input, want) in cases {
            let mut buffer = input.to_vec();
            let n = strip_carriage_returns(&mut buffer);
            assert_eq!(&buffer[..n], *want, "{:?}", String::from_utf8_lossy(input));
        }
    }

    #[test]
    fn a_panicking_batch_is_counted_and_the_worker_carries_on() {
        use crate::backend::testing::CountingBackend;
        let backend = CountingBackend::default();
        let stats = Arc::new(ListenerStats::default());
        let ingest = Ingest::new(Arc::new(backend.clone()), None, Arc::clone(&stats));
        let mut worker = ingest.worker();
        worker.packets(&[b"a:1|c"]);
        worker.packets(&[b"PANIC"]);
        worker.packets(&[b"b:1|c"]);
        assert_eq!(stats.ingest_panics.load(Ordering::Relaxed), 1);
        assert_eq!(
            *backend.seen.lock().unwrap_or_else(|p| p.into_inner()),
            vec![b"a:1|c".to_vec(), b"b:1|c".to_vec()]
        );
    }

    #[test]
    fn addresses_default_to_every_interface() {
        assert_eq!(resolve(":9125").unwrap(), "0.0.0.0:9125".parse().unwrap());
        assert_eq!(
            resolve("127.0.0.1:1").unwrap(),
            "127.0.0.1:1".parse().unwrap()
        );
        assert_eq!(resolve("[::1]:2").unwrap(), "[::1]:2".parse().unwrap());
        assert!(resolve("nonsense").is_err());
    }
}
