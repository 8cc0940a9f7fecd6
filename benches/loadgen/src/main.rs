//! `statsd-loadgen`: sends a bounded amount of Mastodon-shaped StatsD traffic to a loopback
//! address over UDP or TCP, at a given rate or as fast as it can, then prints what it sent.
//!
//! ```text
//! statsd-loadgen --target=127.0.0.1:9125 --transport=udp --lines=1000000 --rate=500000 \
//!                --senders=4 --lines-per-datagram=1 --max-seconds=30
//! ```
//!
//! Safety rails: the target must be a loopback IP literal (no name resolution), `--lines` is
//! required and capped at 100 million, and every run stops after `--max-seconds` (at most
//! 300) whatever happens. UDP uses `sendmmsg(2)` in batches of 64 datagrams, one socket (one
//! source port) per sender thread, so a `SO_REUSEPORT` receiver sees several flows, as it does
//! with many Puma and Sidekiq processes. The output is one `key=value` line for scripts.
//!
//! `--series=N` replaces the Mastodon mix by N distinct lines, each its own series under
//! the Mastodon mapping (a controller named `Bench<i>Controller`): counters, or timers
//! (summaries) with `--series-type=ms`. With `--lines=N` every series is created once, which
//! is how `scripts/bench-exporter.sh` measures resident memory per series.

mod mastodon;

use std::io::{IoSlice, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::os::fd::AsRawFd;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::socket::{ControlMessage, MsgFlags, MultiHeaders, SockaddrStorage, sendmmsg};

const MAX_LINES: u64 = 100_000_000;
const MAX_SECONDS: u64 = 300;
const SEND_BATCH: usize = 64;

#[derive(Clone, Debug)]
struct Options {
    target: SocketAddr,
    tcp: bool,
    lines: u64,
    rate: u64,
    senders: usize,
    lines_per_datagram: usize,
    max_seconds: u64,
    seed: u64,
    pool: usize,
    series: usize,
    series_timers: bool,
}

fn parse(args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        target: "127.0.0.1:9125".parse().expect("literal"),
        tcp: false,
        lines: 0,
        rate: 0,
        senders: 4,
        lines_per_datagram: 1,
        max_seconds: 60,
        seed: 1,
        pool: 50_000,
        series: 0,
        series_timers: false,
    };
    for arg in args {
        let (key, value) = arg
            .split_once('=')
            .ok_or_else(|| format!("expected --key=value, got {arg:?}"))?;
        let number = || {
            value
                .parse::<u64>()
                .map_err(|_| format!("{key}: not a number: {value:?}"))
        };
        match key {
            "--target" => {
                options.target = value
                    .parse()
                    .map_err(|_| format!("--target: not an IP:port literal: {value:?}"))?
            }
            "--transport" => {
                options.tcp = match value {
                    "udp" => false,
                    "tcp" => true,
                    _ => return Err(format!("--transport: udp or tcp, got {value:?}")),
                }
            }
            "--lines" => options.lines = number()?,
            "--rate" => options.rate = number()?,
            "--senders" => options.senders = number()?.clamp(1, 64) as usize,
            "--lines-per-datagram" => options.lines_per_datagram = number()?.clamp(1, 100) as usize,
            "--max-seconds" => options.max_seconds = number()?,
            "--seed" => options.seed = number()?,
            "--pool" => options.pool = number()?.clamp(100, 1_000_000) as usize,
            "--series" => options.series = number()?.min(10_000_000) as usize,
            "--series-type" => {
                options.series_timers = match value {
                    "c" => false,
                    "ms" => true,
                    _ => return Err(format!("--series-type: c or ms, got {value:?}")),
                }
            }
            _ => return Err(format!("unknown flag {key}")),
        }
    }
    if !options.target.ip().is_loopback() {
        return Err(format!(
            "refusing to send to {}: only loopback targets are allowed",
            options.target
        ));
    }
    if options.lines == 0 || options.lines > MAX_LINES {
        return Err(format!("--lines is required, 1 to {MAX_LINES}"));
    }
    if options.max_seconds == 0 || options.max_seconds > MAX_SECONDS {
        return Err(format!("--max-seconds must be 1 to {MAX_SECONDS}"));
    }
    Ok(options)
}

/// What one sender achieved.
#[derive(Default, Clone, Copy)]
struct Sent {
    lines: u64,
    datagrams: u64,
    errors: u64,
}

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(error) => {
            eprintln!("statsd-loadgen: {error}");
            return ExitCode::FAILURE;
        }
    };
    let lines = if options.series > 0 {
        mastodon::distinct_series(options.series, options.series_timers)
    } else {
        mastodon::lines(options.seed, options.pool)
    };
    // Whole datagrams (or TCP chunks) of `lines_per_datagram` lines each.
    let payloads: Vec<Vec<u8>> = lines
        .chunks(options.lines_per_datagram)
        .map(|chunk| (chunk.join("\n") + if options.tcp { "\n" } else { "" }).into_bytes())
        .collect();
    let deadline = Instant::now() + Duration::from_secs(options.max_seconds);
    let started = Instant::now();
    let per_sender_lines = options.lines.div_ceil(options.senders as u64);
    let per_sender_rate = options.rate as f64 / options.senders as f64;
    let results: Vec<Sent> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..options.senders)
            .map(|index| {
                let (payloads, options) = (&payloads, &options);
                scope.spawn(move || {
                    let offset = index * payloads.len() / options.senders;
                    if options.tcp {
                        send_tcp(
                            options,
                            payloads,
                            offset,
                            per_sender_lines,
                            per_sender_rate,
                            deadline,
                        )
                    } else {
                        send_udp(
                            options,
                            payloads,
                            offset,
                            per_sender_lines,
                            per_sender_rate,
                            deadline,
                        )
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let elapsed = started.elapsed().as_secs_f64();
    let total = results.iter().fold(Sent::default(), |a, s| Sent {
        lines: a.lines + s.lines,
        datagrams: a.datagrams + s.datagrams,
        errors: a.errors + s.errors,
    });
    println!(
        "transport={} sent_lines={} datagrams={} send_errors={} seconds={:.3} lines_per_second={:.0} timed_out={}",
        if options.tcp { "tcp" } else { "udp" },
        total.lines,
        total.datagrams,
        total.errors,
        elapsed,
        total.lines as f64 / elapsed,
        Instant::now() >= deadline
    );
    ExitCode::SUCCESS
}

/// Lines a sender may have sent by now at `rate` lines/s (unlimited when 0).
fn due(rate: f64, started: Instant, limit: u64) -> u64 {
    if rate <= 0.0 {
        limit
    } else {
        ((started.elapsed().as_secs_f64() * rate) as u64).min(limit)
    }
}

fn pace(sent: u64, rate: f64, started: Instant, limit: u64) {
    while sent >= due(rate, started, limit) && sent < limit {
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn send_udp(
    options: &Options,
    payloads: &[Vec<u8>],
    offset: usize,
    limit: u64,
    rate: f64,
    deadline: Instant,
) -> Sent {
    let local = if options.target.is_ipv4() {
        "127.0.0.1:0"
    } else {
        "[::1]:0"
    };
    let socket = UdpSocket::bind(local)
        .and_then(|s| s.connect(options.target).map(|()| s))
        .expect("UDP socket");
    let mut headers = MultiHeaders::<SockaddrStorage>::preallocate(SEND_BATCH, None);
    let addresses: [Option<SockaddrStorage>; SEND_BATCH] = [None; SEND_BATCH];
    let no_control: [ControlMessage<'_>; 0] = [];
    let started = Instant::now();
    let mut sent = Sent::default();
    let mut next = offset;
    while sent.lines < limit && Instant::now() < deadline {
        pace(sent.lines, rate, started, limit);
        let allowed = (due(rate, started, limit) - sent.lines)
            .div_ceil(options.lines_per_datagram as u64)
            .clamp(1, SEND_BATCH as u64) as usize;
        let batch: Vec<[IoSlice<'_>; 1]> = (0..allowed)
            .map(|i| [IoSlice::new(&payloads[(next + i) % payloads.len()])])
            .collect();
        match sendmmsg(
            socket.as_raw_fd(),
            &mut headers,
            &batch,
            addresses,
            no_control,
            MsgFlags::empty(),
        ) {
            Ok(results) => {
                let count = results.count();
                for i in 0..count {
                    let payload = &payloads[(next + i) % payloads.len()];
                    sent.lines += 1 + memchr_count(payload) as u64;
                }
                sent.datagrams += count as u64;
                next = (next + count) % payloads.len();
            }
            Err(Errno::EINTR | Errno::EAGAIN | Errno::ENOBUFS) => std::thread::yield_now(),
            Err(_) => {
                // Nobody listening (ICMP port unreachable): count it and keep going.
                sent.errors += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }
    sent
}

fn memchr_count(payload: &[u8]) -> usize {
    payload.iter().filter(|b| **b == b'\n').count()
}

fn send_tcp(
    options: &Options,
    payloads: &[Vec<u8>],
    offset: usize,
    limit: u64,
    rate: f64,
    deadline: Instant,
) -> Sent {
    let mut sent = Sent::default();
    let Ok(mut stream) = TcpStream::connect_timeout(&options.target, Duration::from_secs(5)) else {
        sent.errors += 1;
        return sent;
    };
    let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
    let started = Instant::now();
    let mut next = offset;
    let mut chunk = Vec::with_capacity(64 * 1024);
    while sent.lines < limit && Instant::now() < deadline {
        pace(sent.lines, rate, started, limit);
        let allowed = due(rate, started, limit) - sent.lines;
        chunk.clear();
        let mut lines = 0;
        while chunk.len() < 60 * 1024 && lines < allowed.max(1) {
            let payload = &payloads[next];
            chunk.extend_from_slice(payload);
            lines += memchr_count(payload) as u64;
            next = (next + 1) % payloads.len();
        }
        if stream.write_all(&chunk).is_err() {
            sent.errors += 1;
            break;
        }
        sent.lines += lines;
        sent.datagrams += 1;
    }
    sent
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Result<Options, String> {
        parse(list.iter().map(|s| s.to_string()))
    }

    #[test]
    fn only_loopback_and_bounded_runs() {
        assert!(args(&["--lines=10", "--target=127.0.0.1:1"]).is_ok());
        assert!(args(&["--lines=10", "--target=[::1]:1"]).is_ok());
        assert!(
            args(&["--lines=10", "--target=10.0.0.1:9125"])
                .unwrap_err()
                .contains("only loopback")
        );
        assert!(args(&["--lines=10", "--target=localhost:9125"]).is_err());
        assert!(args(&[]).unwrap_err().contains("--lines is required"));
        assert!(args(&["--lines=1000000000"]).is_err());
        assert!(args(&["--lines=1", "--max-seconds=0"]).is_err());
        assert!(args(&["--lines=1", "--max-seconds=301"]).is_err());
    }

    #[test]
    fn sends_exactly_the_asked_lines_over_udp_and_tcp() {
        let receiver = UdpSocket::bind("127.0.0.1:0").unwrap();
        receiver
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let target = receiver.local_addr().unwrap().to_string();
        let options = args(&[
            "--lines=100",
            "--senders=1",
            &format!("--target={target}"),
            "--lines-per-datagram=1",
        ])
        .unwrap();
        let payloads: Vec<Vec<u8>> = mastodon::lines(1, 200)
            .into_iter()
            .map(String::into_bytes)
            .collect();
        let sent = send_udp(
            &options,
            &payloads,
            0,
            100,
            0.0,
            Instant::now() + Duration::from_secs(5),
        );
        assert_eq!((sent.lines, sent.datagrams), (100, 100));
        let mut buf = [0u8; 2048];
        let n = receiver.recv(&mut buf).unwrap();
        assert_eq!(&buf[..n], payloads[0].as_slice());

        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let target = listener.local_addr().unwrap().to_string();
        let options = args(&[
            "--lines=50",
            "--transport=tcp",
            &format!("--target={target}"),
        ])
        .unwrap();
        let reader = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut text = String::new();
            std::io::Read::read_to_string(&mut stream, &mut text).unwrap();
            text.lines().count()
        });
        let payloads: Vec<Vec<u8>> = mastodon::lines(1, 200)
            .into_iter()
            .map(|l| (l + "\n").into_bytes())
            .collect();
        let sent = send_tcp(
            &options,
            &payloads,
            0,
            50,
            0.0,
            Instant::now() + Duration::from_secs(5),
        );
        assert_eq!(sent.lines, 50);
        assert_eq!(reader.join().unwrap(), 50);
    }
}
