//! Unixgram: a datagram socket at a path (or an abstract name starting with `@`), created
//! with `--statsd.unixsocket-mode` and removed again on exit.
//!
//! Like statsd_exporter it refuses to start when the path already exists, so that two
//! exporters never steal each other's socket. Receive errors are counted and the listener
//! keeps running (statsd_exporter exits).

use std::os::linux::net::SocketAddrExt;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::{SocketAddr as UnixAddr, UnixDatagram};
use std::path::Path;
use std::sync::Arc;

use nix::sys::socket::{setsockopt, sockopt};

use super::{DATAGRAM, Ingest, bump, strip_carriage_returns};
use crate::log;

/// Binds the socket and applies the mode.
///
/// # Errors
/// The path exists, the bind failed, or the mode could not be set.
pub fn bind(path: &str, mode: u32, read_buffer: usize) -> Result<UnixDatagram, String> {
    let socket = if let Some(name) = path.strip_prefix('@') {
        let address = UnixAddr::from_abstract_name(name.as_bytes()).map_err(|e| e.to_string())?;
        UnixDatagram::bind_addr(&address)
    } else {
        if Path::new(path).exists() {
            return Err(format!("unixgram socket {path:?} already exists"));
        }
        UnixDatagram::bind(path)
    }
    .map_err(|e| format!("cannot listen on unixgram {path:?}: {e}"))?;
    if !path.starts_with('@') {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .map_err(|e| format!("cannot set mode {mode:o} on {path:?}: {e}"))?;
    }
    if read_buffer > 0 {
        setsockopt(&socket, sockopt::RcvBuf, &read_buffer)
            .map_err(|e| format!("cannot set SO_RCVBUF: {e}"))?;
    }
    Ok(socket)
}

/// Removes the socket file (not for abstract names). Called on every orderly exit.
pub fn cleanup(path: &str) {
    if !path.is_empty() && !path.starts_with('@') {
        let _ = std::fs::remove_file(path);
    }
}

/// Starts the receive thread.
pub fn spawn(socket: UnixDatagram, ingest: Arc<Ingest>) {
    std::thread::Builder::new()
        .name("unixgram".into())
        .spawn(move || receive_loop(&socket, &ingest))
        .expect("spawn unixgram thread");
}

fn receive_loop(socket: &UnixDatagram, ingest: &Ingest) {
    let mut buffer = vec![0u8; DATAGRAM];
    let mut worker = ingest.worker();
    let mut logged_error = false;
    loop {
        match socket.recv(&mut buffer) {
            Ok(length) => {
                ingest.stats.core.unixgram_packets.inc();
                let length = strip_carriage_returns(&mut buffer[..length]);
                worker.packets(&[&buffer[..length]]);
            }
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => {}
            Err(error) => {
                bump(&ingest.stats.unixgram_receive_errors, 1);
                if !logged_error {
                    log::error(
                        "unixgram receive error; the listener keeps running",
                        &[("err", &error)],
                    );
                    logged_error = true;
                }
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::testing::CountingBackend;
    use crate::listener::ListenerStats;
    use std::time::{Duration, Instant};

    #[test]
    fn socket_mode_receive_refuse_existing_and_cleanup() {
        let dir =
            std::env::temp_dir().join(format!("statsd-exporter-unixgram-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("statsd.sock");
        let path = path.to_str().unwrap();
        cleanup(path);
        let socket = bind(path, 0o600, 0).unwrap();
        let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o600);
        assert!(bind(path, 0o600, 0).unwrap_err().contains("already exists"));

        let backend = Arc::new(CountingBackend::default());
        let stats = Arc::new(ListenerStats::default());
        spawn(
            socket,
            Arc::new(Ingest::new(backend.clone(), None, stats.clone())),
        );
        let client = UnixDatagram::unbound().unwrap();
        client.send_to(b"u1:1|c\nu2:2|g\r\n", path).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while backend.lines() < 2 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(
            *backend.seen.lock().unwrap(),
            vec![b"u1:1|c".to_vec(), b"u2:2|g".to_vec()]
        );
        assert_eq!(stats.core.unixgram_packets.get(), 1);
        cleanup(path);
        assert!(!Path::new(path).exists());
        let _ = std::fs::remove_dir(&dir);
    }

    #[test]
    fn abstract_sockets_need_no_file() {
        let name = format!("@statsd-exporter-test-{}", std::process::id());
        let socket = bind(&name, 0o755, 4096).unwrap();
        let backend = Arc::new(CountingBackend::default());
        spawn(
            socket,
            Arc::new(Ingest::new(
                backend.clone(),
                None,
                Arc::new(ListenerStats::default()),
            )),
        );
        let client = UnixDatagram::unbound().unwrap();
        let address = UnixAddr::from_abstract_name(&name.as_bytes()[1..]).unwrap();
        client.send_to_addr(b"abs:1|c", &address).unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        while backend.lines() < 1 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(backend.lines(), 1);
    }
}
