//! The seam between the sockets and the metric pipeline.
//!
//! Listeners, the HTTP server and the reload machinery only know this trait, so they are
//! tested with a counting fake; `main` plugs in the real parse → map → record pipeline.

/// What the binary needs from the metric pipeline.
pub trait Backend: Send + Sync + 'static {
    /// Parses, maps and records a batch of packets. Each packet holds whole lines separated
    /// by `\n` (the last one may lack it); `\r` before `\n` has already been removed.
    fn handle(&self, packets: &[&[u8]]);

    /// Appends the exposition of every series and of the pipeline's own counters, in
    /// OpenMetrics (ending with `# EOF`) when `openmetrics` is set, else text 0.0.4.
    fn render(&self, out: &mut Vec<u8>, openmetrics: bool);

    /// Re-reads the mapping file and swaps it in; on error the old mapping stays.
    ///
    /// # Errors
    /// The error text (file:line:column and the offending text where known).
    fn reload(&self) -> Result<(), String>;
}

#[cfg(test)]
pub mod testing {
    //! A backend that counts lines, for listener and HTTP tests.

    use super::Backend;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicU64, Ordering};

    /// Counts lines, batches and stray `\r` bytes; `reload` fails when told to.
    #[derive(Default)]
    pub struct CountingBackend {
        lines: AtomicU64,
        carriage_returns: AtomicU64,
        batches: AtomicU64,
        /// Every line seen, in order.
        pub seen: Mutex<Vec<Vec<u8>>>,
        /// When set, `reload` fails with this text.
        pub fail_reload: Mutex<Option<String>>,
    }

    impl CountingBackend {
        /// Lines handled so far.
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

    impl Backend for CountingBackend {
        fn handle(&self, packets: &[&[u8]]) {
            self.batches.fetch_add(1, Ordering::SeqCst);
            let mut seen = self.seen.lock().unwrap();
            for packet in packets {
                for line in packet.split(|b| *b == b'\n').filter(|l| !l.is_empty()) {
                    self.lines.fetch_add(1, Ordering::SeqCst);
                    let crs = line.iter().filter(|b| **b == b'\r').count() as u64;
                    self.carriage_returns.fetch_add(crs, Ordering::SeqCst);
                    seen.push(line.to_vec());
                }
            }
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
