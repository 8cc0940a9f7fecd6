//! `--statsd.relay.address`: every non-empty received line, forwarded verbatim over UDP.
//!
//! Lines are packed into datagrams of at most `--statsd.relay.packet-length` bytes, sent when
//! the next line would not fit and at least once a second. Unlike statsd_exporter's relay,
//! whose sender goroutine returns on the first send error and then blocks every listener
//! (upstream C.6), this one never blocks and never stops: the socket is non-blocking, and a
//! datagram that cannot be sent (target down, socket buffer full) is dropped and counted in
//! `statsd_exporter_relay_send_errors_total`. The only buffer is one datagram, so memory is bounded.

use std::net::UdpSocket;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::exposition::Families;
use crate::log;

/// A running relay to one target.
pub struct Relay {
    target: String,
    socket: UdpSocket,
    packet_length: usize,
    buffer: Mutex<Vec<u8>>,
    packets: AtomicU64,
    long_lines: AtomicU64,
    lines_relayed: AtomicU64,
    send_errors: AtomicU64,
}

impl Relay {
    /// Resolves the target once, opens the socket and starts the once-a-second flusher.
    ///
    /// # Errors
    /// The target does not resolve or the socket cannot be opened.
    pub fn start(target: &str, packet_length: usize) -> Result<Arc<Relay>, String> {
        let relay = Arc::new(Relay::new(target, packet_length)?);
        let flusher = Arc::clone(&relay);
        std::thread::Builder::new()
            .name("relay".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                    flusher.flush();
                }
            })
            .map_err(|e| e.to_string())?;
        Ok(relay)
    }

    fn new(target: &str, packet_length: usize) -> Result<Relay, String> {
        let address = crate::listener::resolve(target)?;
        let local = if address.is_ipv4() {
            "0.0.0.0:0"
        } else {
            "[::]:0"
        };
        let socket = UdpSocket::bind(local).map_err(|e| format!("relay socket: {e}"))?;
        socket
            .connect(address)
            .map_err(|e| format!("relay target {target}: {e}"))?;
        socket
            .set_nonblocking(true)
            .map_err(|e| format!("relay socket: {e}"))?;
        Ok(Relay {
            target: target.to_string(),
            socket,
            packet_length,
            buffer: Mutex::new(Vec::with_capacity(packet_length)),
            packets: AtomicU64::new(0),
            long_lines: AtomicU64::new(0),
            lines_relayed: AtomicU64::new(0),
            send_errors: AtomicU64::new(0),
        })
    }

    /// Queues every non-empty line of `packet`, sending full datagrams on the way.
    pub fn relay_packet(&self, packet: &[u8]) {
        let mut buffer = self
            .buffer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for line in packet
            .split(|b| *b == b'\n')
            .filter(|line| !line.is_empty())
        {
            if line.len() > self.packet_length - 1 {
                self.long_lines.fetch_add(1, Ordering::Relaxed);
                continue;
            }
            if buffer.len() + line.len() + 1 > self.packet_length {
                self.send(&mut buffer);
            }
            buffer.extend_from_slice(line);
            buffer.push(b'\n');
            self.lines_relayed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Sends what is buffered.
    pub fn flush(&self) {
        let mut buffer = self
            .buffer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        self.send(&mut buffer);
    }

    fn send(&self, buffer: &mut Vec<u8>) {
        if buffer.is_empty() {
            return;
        }
        match self.socket.send(buffer) {
            Ok(_) => {
                self.packets.fetch_add(1, Ordering::Relaxed);
            }
            Err(error) => {
                if self.send_errors.fetch_add(1, Ordering::Relaxed) == 0 {
                    log::warn(
                        "relay send failed; dropping the datagram and carrying on",
                        &[("target", &self.target), ("err", &error)],
                    );
                }
            }
        }
        buffer.clear();
    }

    /// Appends the relay counters.
    pub fn render(&self, families: &mut Families<'_>) {
        let labels = format!(
            "{{target=\"{}\"}}",
            crate::http::escape_label_value(&self.target)
        );
        let rows = [
            (
                "statsd_exporter_relay_packets_total",
                "The number of StatsD packets relayed.",
                &self.packets,
            ),
            (
                "statsd_exporter_relay_long_lines_total",
                "The number lines that were too long to relay.",
                &self.long_lines,
            ),
            (
                "statsd_exporter_relay_lines_relayed_total",
                "The number of lines that were buffered to be relayed.",
                &self.lines_relayed,
            ),
            (
                "statsd_exporter_relay_send_errors_total",
                "The number of relay datagrams dropped because sending failed.",
                &self.send_errors,
            ),
        ];
        for (name, help, counter) in rows {
            let value = counter.load(Ordering::Relaxed) as f64;
            families.counter(name, help, &[(&labels, value)]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packs_lines_drops_long_ones_and_survives_a_dead_target() {
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        let target = receiver.local_addr().unwrap().to_string();
        let relay = Relay::new(&target, 20).unwrap();
        relay.relay_packet(b"a:1|c\nb:2|c\n\nc:3|c\n");
        relay.relay_packet(format!("{}:1|c\n", "x".repeat(30)).as_bytes());
        relay.flush();
        let mut buf = [0u8; 100];
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"a:1|c\nb:2|c\nc:3|c\n");
        assert_eq!(relay.lines_relayed.load(Ordering::Relaxed), 3);
        assert_eq!(relay.long_lines.load(Ordering::Relaxed), 1);
        assert_eq!(relay.packets.load(Ordering::Relaxed), 1);

        // A fourth line does not fit in 20 bytes with the first three: two datagrams.
        relay.relay_packet(b"d:4|c\ne:5|c\nf:6|c\ng:7|c\n");
        relay.flush();
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"d:4|c\ne:5|c\nf:6|c\n");
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"g:7|c\n");

        // The target goes away: ICMP port unreachable turns into send errors, never a stop.
        drop(receiver);
        for _ in 0..20 {
            relay.relay_packet(b"z:1|c\n");
            relay.flush();
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(relay.send_errors.load(Ordering::Relaxed) > 0);
        assert_eq!(relay.lines_relayed.load(Ordering::Relaxed), 27);
        let mut text = String::new();
        relay.render(&mut Families::new(&mut text, false));
        assert!(text.contains(&format!(
            "statsd_exporter_relay_lines_relayed_total{{target=\"{target}\"}} 27"
        )));
    }
}
