//! UDP: several receive threads, each with its own `SO_REUSEPORT` socket, reading up to
//! [`BATCH`] datagrams per `recvmmsg(2)` call and handing them to the ingest stage at once.
//!
//! The kernel spreads senders over the sockets by a hash of their address, so many client
//! processes (Puma workers, Sidekiq threads) use every thread. There is no queue in user
//! space: a thread that is busy leaves datagrams in its socket buffer (`--statsd.read-buffer`),
//! and what the kernel drops there is read back from `/proc/net/udp` and exported as
//! `statsd_exporter_udp_packet_drops_total`.

use std::io::IoSliceMut;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, MsgFlags, MultiHeaders, SockFlag, SockType, SockaddrStorage, bind, getsockopt,
    recvmmsg, setsockopt, socket, sockopt,
};

use super::{BATCH, DATAGRAM, Ingest, bump, strip_carriage_returns};
use crate::log;

/// Receive buffer asked for when `--statsd.read-buffer` is 0: with `SO_RCVBUFFORCE` when the
/// process may (CAP_NET_ADMIN), else with `SO_RCVBUF`, which the kernel caps at
/// `net.core.rmem_max`.
pub const DEFAULT_READ_BUFFER: usize = 8 << 20;

/// Shortest and longest pause after a short batch; see `receive_loop` and
/// [`longest_idle_pause`].
const MIN_IDLE_PAUSE: Duration = Duration::from_millis(1);
const MAX_IDLE_PAUSE: Duration = Duration::from_millis(5);

/// A burst a paused socket must absorb: datagrams per second on one socket (twice what two
/// CPUs here can send), and the receive buffer each small datagram takes (its kernel
/// buffer's true size is 768 to 1,280 bytes on loopback).
const BURST_DATAGRAMS_PER_SECOND: u64 = 1_000_000;
const BUFFER_PER_DATAGRAM: u64 = 1024;

/// The longest a receive thread pauses after a short batch, given the receive buffer the
/// kernel granted (`SO_RCVBUF` as read back): long enough to collect many datagrams per
/// wake-up, each of which costs several µs of cold caches here (100,000 lines/s, ten a
/// datagram, cost 610–710 ns CPU a line with a fixed 1 ms pause and 460–490 with 5 ms);
/// short enough that a burst of [`BURST_DATAGRAMS_PER_SECOND`] fills at most half the
/// buffer meanwhile, and never below [`MIN_IDLE_PAUSE`]. The default 8 MiB buffer gives
/// the 5 ms maximum; a buffer capped at a usual `net.core.rmem_max` (208 KiB) the 1 ms
/// minimum. The pause itself adapts below that bound (see `receive_loop`): a fixed 5 ms
/// lost more in floods beyond what the machine can take (39–43 % of 1.1–1.2 M single-line
/// datagrams/s, against 19–27 % with 1 ms), since each pause there cedes the CPU to the
/// senders.
fn longest_idle_pause(granted_buffer: usize) -> Duration {
    let bytes_per_second = BURST_DATAGRAMS_PER_SECOND * BUFFER_PER_DATAGRAM;
    let half = granted_buffer as u64 / 2;
    let micros = half.saturating_mul(1_000_000) / bytes_per_second;
    Duration::from_micros(micros).clamp(MIN_IDLE_PAUSE, MAX_IDLE_PAUSE)
}

/// Opens `threads` sockets bound to `address` with `SO_REUSEPORT` (port 0 picks one port for
/// all of them) and returns them with the bound address.
///
/// # Errors
/// Socket creation, an option or the bind failed.
pub fn bind_sockets(
    address: SocketAddr,
    threads: usize,
    read_buffer: usize,
) -> Result<(Vec<UdpSocket>, SocketAddr), String> {
    let mut sockets = Vec::with_capacity(threads);
    let mut bound = address;
    for _ in 0..threads.max(1) {
        let socket =
            open(bound, read_buffer).map_err(|e| format!("cannot listen on UDP {bound}: {e}"))?;
        bound = socket.local_addr().map_err(|e| e.to_string())?;
        sockets.push(socket);
    }
    Ok((sockets, bound))
}

fn open(address: SocketAddr, read_buffer: usize) -> Result<UdpSocket, Errno> {
    let family = if address.is_ipv4() {
        AddressFamily::Inet
    } else {
        AddressFamily::Inet6
    };
    let fd: OwnedFd = socket(family, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None)?;
    setsockopt(&fd, sockopt::ReusePort, &true)?;
    if read_buffer > 0 {
        setsockopt(&fd, sockopt::RcvBuf, &read_buffer)?;
    } else {
        // Unset: ask for a buffer that rides out scheduling hiccups at high rates
        // (statsd_exporter keeps the default). SO_RCVBUFFORCE goes past net.core.rmem_max
        // (often 208 KiB) but needs CAP_NET_ADMIN; SO_RCVBUF is silently capped at it.
        if setsockopt(&fd, sockopt::RcvBufForce, &DEFAULT_READ_BUFFER).is_err() {
            let _ = setsockopt(&fd, sockopt::RcvBuf, &DEFAULT_READ_BUFFER);
        }
    }
    bind(fd.as_raw_fd(), &SockaddrStorage::from(address))?;
    Ok(UdpSocket::from(fd))
}

/// Starts one receive thread per socket.
pub fn spawn(sockets: Vec<UdpSocket>, ingest: Arc<Ingest>) {
    for (index, socket) in sockets.into_iter().enumerate() {
        let ingest = Arc::clone(&ingest);
        std::thread::Builder::new()
            .name(format!("udp-{index}"))
            .spawn(move || receive_loop(&socket, &ingest))
            .expect("spawn UDP thread");
    }
}

/// Reads batches forever. Errors are counted and logged; the loop never ends.
fn receive_loop(socket: &UdpSocket, ingest: &Ingest) {
    let fd = socket.as_raw_fd();
    // One reusable buffer per thread; pages the kernel never writes stay unresident.
    let mut buffer = vec![0u8; BATCH * DATAGRAM];
    // No source addresses (`()`): nothing uses them, and the kernel copies one out per
    // datagram when asked.
    let mut headers = MultiHeaders::<()>::preallocate(BATCH, None);
    let mut lengths = [0usize; BATCH];
    let mut worker = ingest.worker();
    let mut logged_error = false;
    let longest = longest_idle_pause(getsockopt(socket, sockopt::RcvBuf).unwrap_or(0));
    let mut pause = MIN_IDLE_PAUSE;
    loop {
        let mut received = 0;
        {
            let mut chunks = buffer.chunks_exact_mut(DATAGRAM);
            let mut slices: [[IoSliceMut<'_>; 1]; BATCH] =
                std::array::from_fn(|_| [IoSliceMut::new(chunks.next().expect("BATCH chunks"))]);
            // MSG_WAITFORONE: block for the first datagram, then take what is already queued.
            match recvmmsg(
                fd,
                &mut headers,
                slices.iter_mut(),
                MsgFlags::MSG_WAITFORONE,
                None,
            ) {
                Ok(messages) => {
                    for message in messages {
                        if message.flags.contains(MsgFlags::MSG_TRUNC) {
                            bump(&ingest.stats.udp_truncated, 1);
                        }
                        lengths[received] = message.bytes.min(DATAGRAM);
                        received += 1;
                    }
                }
                Err(Errno::EINTR) => continue,
                Err(error) => {
                    bump(&ingest.stats.udp_receive_errors, 1);
                    if !logged_error {
                        log::error(
                            "UDP receive error; the listener keeps running",
                            &[("err", &error)],
                        );
                        logged_error = true;
                    }
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            }
        }
        if received == 0 {
            continue;
        }
        if received < BATCH / 2 {
            // A short batch means the socket is nearly empty: let datagrams pile up for a
            // moment instead of paying a wake-up (several µs here) per datagram. The pause
            // doubles while batches stay short, up to what the buffer allows
            // (`longest_idle_pause`), and halves with every fuller batch, which never
            // pauses: a trickle gets the long pause, a flood the short.
            std::thread::sleep(pause);
            pause = (pause * 2).min(longest);
        } else {
            pause = (pause / 2).max(MIN_IDLE_PAUSE);
        }
        ingest.stats.core.udp_packets.add(received as u64);
        for (index, length) in lengths[..received].iter_mut().enumerate() {
            let start = index * DATAGRAM;
            *length = strip_carriage_returns(&mut buffer[start..start + *length]);
        }
        let mut packets: [&[u8]; BATCH] = [&[]; BATCH];
        for (index, length) in lengths[..received].iter().enumerate() {
            packets[index] = &buffer[index * DATAGRAM..index * DATAGRAM + length];
        }
        worker.packets(&packets[..received]);
    }
}

/// Kernel receive-buffer drops of the UDP sockets bound to `port`, read from
/// `/proc/self/net/udp` and `udp6` (column `drops`). `None` when the files cannot be read.
pub fn kernel_drops(port: u16) -> Option<u64> {
    let mut total = 0;
    let mut found = false;
    for file in ["/proc/self/net/udp", "/proc/self/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        found = true;
        total += drops_for_port(&text, port);
    }
    found.then_some(total)
}

/// Sums the `drops` column (the last one) of rows whose local port is `port`.
fn drops_for_port(table: &str, port: u16) -> u64 {
    table
        .lines()
        .skip(1)
        .filter_map(|row| {
            let mut columns = row.split_whitespace();
            let local = columns.nth(1)?;
            let row_port = u16::from_str_radix(local.rsplit(':').next()?, 16).ok()?;
            let drops = row.split_whitespace().last()?.parse::<u64>().ok()?;
            (row_port == port).then_some(drops)
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::testing::CountingBackend;
    use crate::listener::ListenerStats;
    use std::time::{Duration, Instant};

    #[test]
    fn proc_net_udp_drops_are_summed_per_port() {
        let table = "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n\
  1: 00000000:23A5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 5\n\
  2: 00000000:23A5 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 7\n\
  3: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 2 0000000000000000 100\n";
        assert_eq!(drops_for_port(table, 9125), 12);
        assert_eq!(drops_for_port(table, 53), 100);
        assert_eq!(drops_for_port(table, 1), 0);
    }

    #[test]
    fn the_longest_idle_pause_follows_the_granted_buffer() {
        // Kernels report twice the size asked for (`SO_RCVBUF` counts their overhead).
        let table = [
            (0, 1_000),
            (2 * 212_992, 1_000), // capped at a usual net.core.rmem_max
            (2 * 2 * 1024 * 1024, 2_048),
            (2 * (DEFAULT_READ_BUFFER), 5_000),
            (usize::MAX, 5_000),
        ];
        for (granted, micros) in table {
            assert_eq!(
                longest_idle_pause(granted),
                Duration::from_micros(micros),
                "granted {granted}"
            );
        }
    }

    #[test]
    fn a_socket_with_the_default_buffer_pauses_longer_than_one_with_a_small_one() {
        let (small, _) = bind_sockets("127.0.0.1:0".parse().unwrap(), 1, 64 * 1024).unwrap();
        let (large, _) = bind_sockets("127.0.0.1:0".parse().unwrap(), 1, 0).unwrap();
        let granted = |socket: &UdpSocket| getsockopt(socket, sockopt::RcvBuf).unwrap();
        assert_eq!(longest_idle_pause(granted(&small[0])), MIN_IDLE_PAUSE);
        // SO_RCVBUFFORCE needs CAP_NET_ADMIN; without it the default is capped at rmem_max.
        assert!(longest_idle_pause(granted(&large[0])) >= longest_idle_pause(granted(&small[0])));
    }

    #[test]
    fn several_reuseport_sockets_share_one_port_and_receive_batches() {
        let (sockets, bound) = bind_sockets("127.0.0.1:0".parse().unwrap(), 2, 0).unwrap();
        assert_eq!(sockets.len(), 2);
        assert_ne!(bound.port(), 0);
        let backend = Arc::new(CountingBackend::default());
        let stats = Arc::new(ListenerStats::default());
        spawn(
            sockets,
            Arc::new(Ingest::new(backend.clone(), None, stats.clone())),
        );
        // Several sender sockets, so that the kernel's hash spreads them over both receivers.
        let senders: Vec<UdpSocket> = (0..8)
            .map(|_| UdpSocket::bind("127.0.0.1:0").unwrap())
            .collect();
        for (i, sender) in senders.iter().enumerate() {
            sender
                .send_to(format!("a{i}:1|c\nb:2|g\r\n").as_bytes(), bound)
                .unwrap();
            sender.send_to(b"c:3|ms\r", bound).unwrap();
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while backend.lines() < 24 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(backend.lines(), 24);
        assert_eq!(stats.core.udp_packets.get(), 16);
        assert!(
            backend.batches() <= 16,
            "one backend call per batch, never per line"
        );
        assert_eq!(
            backend.carriage_returns(),
            0,
            "\\r must be stripped before the backend"
        );
        assert!(kernel_drops(bound.port()).is_some());
    }
}
