//! TCP: one thread per connection, newline-separated lines of any length up to
//! `--statsd.tcp-max-line-length`.
//!
//! statsd_exporter reads with a 4 KiB `bufio.Reader` and closes the connection on a longer
//! line, losing what follows (upstream #109). Here the buffer grows up to the limit; a line
//! beyond it is skipped up to its newline and counted in `tcp_too_long_lines_total`, and the
//! connection stays open. Every complete line of one read goes to the backend as one batch.
//! A last line without a newline is processed when the client closes (statsd-ruby sends
//! none, upstream #302).
//!
//! `--statsd.tcp-idle-timeout` (default 5m, `0` = never, statsd_exporter's behaviour) closes a
//! connection that sends nothing for that long and counts it in
//! `statsd_exporter_tcp_idle_timeouts_total`: a peer that vanished without a FIN (a crashed
//! host, a NAT that forgot the flow) or a client that connects and never writes would
//! otherwise hold one of the [`MAX_CONNECTIONS`] slots, and its buffer, forever. The clock
//! restarts with every byte received, so a slow sender that writes more often than the
//! timeout is never cut. An incomplete line held when the timeout fires is dropped, not
//! processed: the client has not finished it (at end of stream, by contrast, it has).
//!
//! Memory: every connection reads into 64 KiB; a buffer grows beyond that only while it holds
//! one incomplete longer line, and every connection's growth draws on one shared budget,
//! [`LONG_LINE_MEMORY`] (64 MiB). A line that would need more than what is left is skipped
//! like a line over the length limit and counted in
//! `statsd_exporter_tcp_long_lines_over_memory_total`; the connection stays open. Without the
//! budget, 1024 connections each holding an unfinished 1 MiB line would pin 1 GiB.

use std::io::{ErrorKind, Read};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::{Ingest, bump, strip_carriage_returns};
use crate::log;

/// Most connections served at once; more are closed right away and counted.
pub const MAX_CONNECTIONS: usize = 1024;

/// Initial (and resting) read buffer per connection.
const INITIAL_BUFFER: usize = 64 * 1024;

/// A read shorter than this pauses the connection (see [`next_pause`] and `serve`).
const SHORT_READ: usize = INITIAL_BUFFER / 2;

/// How long a connection waits for more lines after a short read: at most this much delay
/// before a line is counted (statsd_exporter itself batches events for up to 200 ms, its
/// `--statsd.event-flush-interval`). Each wake-up costs several µs of cold caches here: a
/// client paced at 100,000 lines/s cost 0.94–1.23 µs CPU a line with a fixed 1 ms pause,
/// 500–600 ns with 5 ms. A fixed 5 ms, though, capped a client writing as fast as it can
/// at about 250,000 lines/s per connection (each drain of the socket slept while the
/// sender filled and then waited on the buffers). So the pause adapts ([`next_pause`]):
/// it grows towards [`MAX_IDLE_PAUSE`] while little arrives per pause and falls back to
/// [`MIN_IDLE_PAUSE`] when much does.
const MIN_IDLE_PAUSE: Duration = Duration::from_millis(1);
const MAX_IDLE_PAUSE: Duration = Duration::from_millis(5);

/// The pause after a short read of `read` bytes that followed a pause of `pause`: twice as
/// long (at most [`MAX_IDLE_PAUSE`]) when under a quarter of [`SHORT_READ`] arrived, half
/// as long (at least [`MIN_IDLE_PAUSE`]) otherwise.
fn next_pause(pause: Duration, read: usize) -> Duration {
    if read < SHORT_READ / 4 {
        (pause * 2).min(MAX_IDLE_PAUSE)
    } else {
        (pause / 2).max(MIN_IDLE_PAUSE)
    }
}

/// Most bytes all connections together may hold beyond their [`INITIAL_BUFFER`], for lines
/// longer than it: 64 lines of 1 MiB at once.
pub const LONG_LINE_MEMORY: usize = 64 * 1024 * 1024;

/// Binds the listener.
///
/// # Errors
/// The bind failed.
pub fn bind(address: SocketAddr) -> Result<TcpListener, String> {
    TcpListener::bind(address).map_err(|e| format!("cannot listen on TCP {address}: {e}"))
}

/// Per-connection limits.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// `--statsd.tcp-max-line-length`: longest line kept, in bytes.
    pub max_line_length: usize,
    /// `--statsd.tcp-idle-timeout`: a connection silent this long is closed; `None` never.
    pub idle_timeout: Option<Duration>,
    /// Bytes all connections may hold beyond their initial buffer ([`LONG_LINE_MEMORY`]).
    pub long_line_memory: usize,
}

/// The shared allowance for buffers grown beyond [`INITIAL_BUFFER`].
#[derive(Debug)]
struct Budget {
    left: AtomicUsize,
}

impl Budget {
    /// Takes `bytes` if that many are left.
    fn take(&self, bytes: usize) -> bool {
        self.left
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |left| {
                left.checked_sub(bytes)
            })
            .is_ok()
    }

    fn give(&self, bytes: usize) {
        self.left.fetch_add(bytes, Ordering::AcqRel);
    }
}

/// One connection's share of the [`Budget`], returned when the buffer shrinks or the
/// connection ends.
struct Held<'a> {
    budget: &'a Budget,
    bytes: usize,
}

impl Held<'_> {
    fn release(&mut self) {
        self.budget.give(self.bytes);
        self.bytes = 0;
    }
}

impl Drop for Held<'_> {
    fn drop(&mut self) {
        self.release();
    }
}

/// Starts the accept thread.
pub fn spawn(listener: TcpListener, ingest: Arc<Ingest>, limits: Limits) {
    std::thread::Builder::new()
        .name("tcp-accept".into())
        .spawn(move || accept_loop(&listener, &ingest, limits))
        .expect("spawn TCP thread");
}

fn accept_loop(listener: &TcpListener, ingest: &Arc<Ingest>, limits: Limits) {
    let open = Arc::new(AtomicUsize::new(0));
    let budget = Arc::new(Budget {
        left: AtomicUsize::new(limits.long_line_memory),
    });
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(error) => {
                // statsd_exporter exits here; a transient EMFILE must not end the listener.
                ingest.stats.core.tcp_connection_errors.inc();
                log::warn(
                    "TCP accept error; the listener keeps running",
                    &[("err", &error)],
                );
                std::thread::sleep(std::time::Duration::from_millis(50));
                continue;
            }
        };
        ingest.stats.core.tcp_connections.inc();
        if let Ok(peer) = stream.peer_addr() {
            log::debug("TCP connection accepted", &[("peer", &peer)]);
        }
        if open.fetch_add(1, Ordering::SeqCst) >= MAX_CONNECTIONS {
            open.fetch_sub(1, Ordering::SeqCst);
            bump(&ingest.stats.tcp_connections_refused, 1);
            continue;
        }
        let (connection_ingest, open) = (Arc::clone(ingest), Arc::clone(&open));
        let budget = Arc::clone(&budget);
        let spawned = std::thread::Builder::new()
            .name("tcp-conn".into())
            .spawn(move || {
                serve(stream, &connection_ingest, limits, &budget);
                open.fetch_sub(1, Ordering::SeqCst);
            });
        if let Err(error) = spawned {
            ingest.stats.core.tcp_connection_errors.inc();
            log::warn("cannot start a TCP connection thread", &[("err", &error)]);
        }
    }
}

/// Reads one connection to its end, or until it has been silent for the idle timeout.
// Kept out of line (once per connection, so free) so that scripts/callgrind-exporter.sh
// finds it in the profile as the root of "TCP read to store".
#[inline(never)]
fn serve(mut stream: TcpStream, ingest: &Ingest, limits: Limits, budget: &Budget) {
    let max_line_length = limits.max_line_length;
    // A zero duration is an error for set_read_timeout; `None` (never) is what 0 means.
    let idle_timeout = limits.idle_timeout.filter(|t| !t.is_zero());
    if stream.set_read_timeout(idle_timeout).is_err() {
        ingest.stats.core.tcp_connection_errors.inc();
        return;
    }
    let mut buffer = vec![0u8; INITIAL_BUFFER.min(max_line_length + 1)];
    let mut filled = 0;
    let mut skipping = false;
    let mut worker = ingest.worker();
    let mut held = Held { budget, bytes: 0 };
    let mut pause = MIN_IDLE_PAUSE;
    loop {
        if filled == buffer.len() {
            // The buffer holds one incomplete line only (complete ones were handed over).
            if buffer.len() <= max_line_length {
                let grown = (buffer.len() * 2).min(max_line_length + 1);
                let extra = grown - buffer.len();
                if budget.take(extra) {
                    held.bytes += extra;
                    buffer.resize(grown, 0);
                } else {
                    bump(&ingest.stats.tcp_long_lines_over_memory, 1);
                    skipping = true;
                    filled = 0;
                    shrink(&mut buffer, &mut held);
                }
            } else {
                ingest.stats.core.tcp_too_long_lines.inc();
                skipping = true;
                filled = 0;
                shrink(&mut buffer, &mut held);
            }
        }
        let read = match stream.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(error) if error.kind() == ErrorKind::Interrupted => continue,
            // The read timeout: nothing arrived for `idle_timeout`.
            Err(error) if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                bump(&ingest.stats.tcp_idle_timeouts, 1);
                return;
            }
            Err(_) => {
                ingest.stats.core.tcp_connection_errors.inc();
                return;
            }
        };
        let start = filled;
        filled += read;
        if skipping {
            match memchr::memchr(b'\n', &buffer[start..filled]) {
                Some(offset) => {
                    let end = start + offset + 1;
                    buffer.copy_within(end..filled, 0);
                    filled -= end;
                    skipping = false;
                }
                None => {
                    filled = 0;
                    continue;
                }
            }
        }
        if let Some(last) = memchr::memrchr(b'\n', &buffer[..filled]) {
            // Every complete line of this read, without the final `\n`: one batch.
            let length = strip_carriage_returns(&mut buffer[..=last]);
            worker.packets(&[&buffer[..length - 1]]);
            buffer.copy_within(last + 1..filled, 0);
            filled -= last + 1;
            if filled < INITIAL_BUFFER {
                shrink(&mut buffer, &mut held);
            }
        }
        if read < SHORT_READ {
            // Little was waiting: let lines pile up in the socket for a moment instead of
            // paying a wake-up and a read (several µs here) for every few lines a paced
            // client writes. TCP flow control holds the sender if the socket fills; a
            // backlogged connection reads full buffers and never pauses, and a fast one
            // keeps the pause short.
            std::thread::sleep(pause);
            pause = next_pause(pause, read);
        } else {
            pause = MIN_IDLE_PAUSE;
        }
    }
    if filled > 0 && !skipping {
        let length = strip_carriage_returns(&mut buffer[..filled]);
        worker.packets(&[&buffer[..length]]);
    }
}

/// Back to the resting size (the caller has less than [`INITIAL_BUFFER`] bytes in it), and
/// the grown part back to the budget.
fn shrink(buffer: &mut Vec<u8>, held: &mut Held<'_>) {
    if buffer.len() > INITIAL_BUFFER {
        buffer.truncate(INITIAL_BUFFER);
        buffer.shrink_to_fit();
    }
    held.release();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::testing::CountingBackend;
    use crate::listener::ListenerStats;
    use std::io::Write;
    use std::time::{Duration, Instant};

    fn start(max_line_length: usize) -> (SocketAddr, Arc<CountingBackend>, Arc<ListenerStats>) {
        start_with(Limits {
            max_line_length,
            idle_timeout: None,
            long_line_memory: LONG_LINE_MEMORY,
        })
    }

    fn start_with(limits: Limits) -> (SocketAddr, Arc<CountingBackend>, Arc<ListenerStats>) {
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = listener.local_addr().unwrap();
        let backend = Arc::new(CountingBackend::default());
        let stats = Arc::new(ListenerStats::default());
        spawn(
            listener,
            Arc::new(Ingest::new(backend.clone(), None, stats.clone())),
            limits,
        );
        (address, backend, stats)
    }

    fn wait_for(backend: &CountingBackend, lines: u64) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while backend.lines() < lines && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[test]
    fn the_pause_grows_while_little_arrives_and_shrinks_when_much_does() {
        let ms = Duration::from_millis;
        let table = [
            (ms(1), 0, ms(2)),
            (ms(2), 100, ms(4)),
            (ms(4), SHORT_READ / 4 - 1, ms(5)),
            (ms(5), 10, ms(5)),
            (ms(5), SHORT_READ / 4, Duration::from_micros(2_500)),
            (
                Duration::from_micros(2_500),
                SHORT_READ - 1,
                Duration::from_micros(1_250),
            ),
            (ms(1), SHORT_READ - 1, ms(1)),
        ];
        for (pause, read, next) in table {
            assert_eq!(
                next_pause(pause, read),
                next,
                "{pause:?} after {read} bytes"
            );
        }
    }

    #[test]
    fn long_lines_crlf_and_a_final_line_without_newline() {
        let (address, backend, stats) = start(1 << 20);
        let mut client = TcpStream::connect(address).unwrap();
        let long_name = "x".repeat(200_000);
        client
            .write_all(format!("{long_name}:1|c\r\nafter_long:1|c\r\n").as_bytes())
            .unwrap();
        // A line split over two writes.
        client.write_all(b"spl").unwrap();
        client.flush().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        client.write_all(b"it:2|g\nlast:3|c").unwrap();
        drop(client);
        wait_for(&backend, 4);
        let seen = backend.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[0].len(), long_name.len() + 4);
        assert_eq!(
            &seen[1..],
            &[
                b"after_long:1|c".to_vec(),
                b"split:2|g".to_vec(),
                b"last:3|c".to_vec()
            ]
        );
        assert_eq!(backend.carriage_returns(), 0);
        assert_eq!(stats.core.tcp_connections.get(), 1);
        assert_eq!(stats.core.tcp_too_long_lines.get(), 0);
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_and_the_connection_survives() {
        let (address, backend, stats) = start(1000);
        let mut client = TcpStream::connect(address).unwrap();
        client.write_all(b"before:1|c\n").unwrap();
        client
            .write_all(format!("{}:1|c\n", "y".repeat(5000)).as_bytes())
            .unwrap();
        client.write_all(b"after:1|c\n").unwrap();
        wait_for(&backend, 2);
        assert_eq!(
            *backend.seen.lock().unwrap(),
            vec![b"before:1|c".to_vec(), b"after:1|c".to_vec()]
        );
        assert_eq!(stats.core.tcp_too_long_lines.get(), 1);
        // Still open: one more line arrives.
        client.write_all(b"later:1|c\n").unwrap();
        wait_for(&backend, 3);
        assert_eq!(backend.lines(), 3);
    }

    #[test]
    fn a_silent_connection_is_closed_and_counted_a_slow_one_is_not() {
        let (address, backend, stats) = start_with(Limits {
            max_line_length: 1000,
            idle_timeout: Some(Duration::from_millis(300)),
            long_line_memory: LONG_LINE_MEMORY,
        });
        let mut silent = TcpStream::connect(address).unwrap();
        silent.write_all(b"unfinished:1|").unwrap();
        let mut slow = TcpStream::connect(address).unwrap();
        // 12 bytes 30 ms apart: 360 ms in all, never 300 ms without a byte.
        for byte in b"slow:1|c\nx:1" {
            slow.write_all(&[*byte]).unwrap();
            std::thread::sleep(Duration::from_millis(30));
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while stats.tcp_idle_timeouts.load(Ordering::Relaxed) == 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(stats.tcp_idle_timeouts.load(Ordering::Relaxed), 1);
        // The closed side reads end of stream; its unfinished line was dropped.
        silent
            .set_read_timeout(Some(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(silent.read(&mut [0u8; 8]).unwrap(), 0);
        slow.write_all(b"|c\n").unwrap();
        wait_for(&backend, 2);
        assert_eq!(
            *backend.seen.lock().unwrap(),
            vec![b"slow:1|c".to_vec(), b"x:1|c".to_vec()]
        );
        assert_eq!(stats.core.tcp_connection_errors.get(), 0);
    }

    #[test]
    fn long_lines_share_one_memory_budget() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = listener.local_addr().unwrap();
        let backend = Arc::new(CountingBackend::default());
        let stats = Arc::new(ListenerStats::default());
        let ingest = Arc::new(Ingest::new(backend.clone(), None, stats.clone()));
        // Room for one buffer grown to 256 KiB (64 + 128 KiB beyond the initial 64 KiB).
        let budget = Arc::new(Budget {
            left: AtomicUsize::new(200 * 1024),
        });
        let limits = Limits {
            max_line_length: 1 << 20,
            idle_timeout: None,
            long_line_memory: 0,
        };
        let serving = Arc::clone(&budget);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let (ingest, budget) = (Arc::clone(&ingest), Arc::clone(&serving));
                std::thread::spawn(move || serve(stream.unwrap(), &ingest, limits, &budget));
            }
        });
        let left = || budget.left.load(Ordering::Acquire);
        let wait = |what: &str, done: &dyn Fn() -> bool| {
            let deadline = Instant::now() + Duration::from_secs(5);
            while !done() {
                assert!(Instant::now() < deadline, "{what}");
                std::thread::sleep(Duration::from_millis(5));
            }
        };
        let first = format!("a:1|c|#t:{}", "x".repeat(150_000));
        let mut a = TcpStream::connect(address).unwrap();
        a.write_all(first.as_bytes()).unwrap();
        wait("a grows to 256 KiB", &|| left() == 200 * 1024 - 192 * 1024);
        // b's line needs 64 KiB more than its initial buffer: only 8 KiB are left.
        let mut b = TcpStream::connect(address).unwrap();
        b.write_all(format!("b:1|c|#t:{}\nb.after:1|c\n", "y".repeat(100_000)).as_bytes())
            .unwrap();
        wait("b refused", &|| {
            stats.tcp_long_lines_over_memory.load(Ordering::Relaxed) == 1
        });
        wait("b's next line", &|| backend.lines() == 1);
        // a's line ends: its buffer shrinks and the budget is whole again.
        a.write_all(b"\n").unwrap();
        wait("a's line", &|| backend.lines() == 2);
        wait("budget back", &|| left() == 200 * 1024);
        // Now b's long line fits.
        b.write_all(format!("b:2|c|#t:{}\n", "z".repeat(100_000)).as_bytes())
            .unwrap();
        wait("b's long line", &|| backend.lines() == 3);
        let seen = backend.seen.lock().unwrap().clone();
        assert_eq!(seen[0], b"b.after:1|c".to_vec());
        assert_eq!(seen[1], first.into_bytes());
        assert!(seen[2].starts_with(b"b:2|c|#t:zzz") && seen[2].len() == 100_009);
        assert_eq!(stats.core.tcp_too_long_lines.get(), 0);
        drop((a, b));
        wait("every buffer returned", &|| left() == 200 * 1024);
    }
}
