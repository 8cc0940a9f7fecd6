//! The seam between the sockets and the metric pipeline.
//!
//! Listeners, the HTTP server and the reload machinery only know these traits, so they are
//! tested with a counting fake; `main` plugs in the real parse → map → record pipeline.
//! Each receive thread (and each TCP connection) owns one [`Ingester`], so the per-line
//! work needs no lock of its own and no channel hop.

/// What the binary needs from the metric pipeline.
pub trait Backend: Send + Sync + 'static {
    /// A handle for one ingest thread, with its own scratch buffers.
    fn ingester(&self) -> Box<dyn Ingester>;

    /// Appends the exposition of every series and of the pipeline's own counters, in
    /// OpenMetrics (ending with `# EOF`) when `openmetrics` is set, else text 0.0.4.
    fn render(&self, out: &mut Vec<u8>, openmetrics: bool);

    /// Re-reads the mapping file and swaps it in; on error the old mapping stays.
    ///
    /// # Errors
    /// The error text (file:line:column and the offending text where known).
    fn reload(&self) -> Result<(), String>;
}

/// Parses, maps and records batches on one thread.
pub trait Ingester: Send {
    /// Processes a batch of packets. Each packet holds lines separated by `\n`: a datagram
    /// as received, or the complete lines of one TCP read without the final `\n`.
    fn handle(&mut self, packets: &[&[u8]]);
}

#[cfg(test)]
pub mod testing {
    //! A backend that counts lines, for listener and HTTP tests.

    use super::{Backend, Ingester};
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    /// What a [`CountingBackend`] saw.
    #[derive(Default)]
    pub struct Counts {
        lines: AtomicU64,
        carriage_returns: AtomicU64,
        batches: AtomicU64,
        /// Every non-empty line seen, in order.
        pub seen: Mutex<Vec<Vec<u8>>>,
        /// When set, `reload` fails with this text.
        pub fail_reload: Mutex<Option<String>>,
    }

    /// Counts lines, batches and stray `\r` bytes; `reload` fails when told to; a batch
    /// whose first packet is `PANIC` panics.
    #[derive(Default, Clone)]
    pub struct CountingBackend(pub Arc<Counts>);

    impl std::ops::Deref for CountingBackend {
        type Target = Counts;
        fn deref(&self) -> &Counts {
            &self.0
        }
    }

    impl Counts {
        /// Non-empty lines handled so far.
        pub fn lines(&self) -> u64 {
            self.lines.load(Ordering::SeqCst)
        }
        /// `\r` bytes that reached the backend.
        pub fn carriage_returns(&self) -> u64 {
            self.carriage_returns.load(Ordering::SeqCst)
        }
        /// Calls to `handle`.
        pub fn batches(&self) -> u64 {
            self.batches.load(Ordering::SeqCst)
        }
    }

    struct CountingIngester(Arc<Counts>);

    impl Ingester for CountingIngester {
        fn handle(&mut self, packets: &[&[u8]]) {
            let counts = &self.0;
            counts.batches.fetch_add(1, Ordering::SeqCst);
            // Stands in for a bug in the pipeline.
            assert!(packets.first() != Some(&&b"PANIC"[..]), "test panic");
            let mut seen = counts.seen.lock().unwrap_or_else(|p| p.into_inner());
            for packet in packets {
                for line in packet.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    counts.lines.fetch_add(1, Ordering::SeqCst);
                    let crs = line.iter().filter(|b| **b == b'\r').count() as u64;
                    counts.carriage_returns.fetch_add(crs, Ordering::SeqCst);
                    seen.push(line.to_vec());
                }
            }
        }
    }

    impl Backend for CountingBackend {
        fn ingester(&self) -> Box<dyn Ingester> {
            Box::new(CountingIngester(Arc::clone(&self.0)))
        }

        fn render(&self, out: &mut Vec<u8>, _openmetrics: bool) {
            out.extend_from_slice(format!("test_lines_total {}\n", self.lines()).as_bytes());
        }

        fn reload(&self) -> Result<(), String> {
            match self.fail_reload.lock().unwrap().clone() {
                Some(error) => Err(error),
                None => Ok(()),
            }
        }
    }
}
