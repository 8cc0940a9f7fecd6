//! A progress bar on stderr, drawn only when stderr is a terminal.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

/// Progress over a known number of bytes; redrawn at most ten times a second.
pub struct Progress {
    enabled: bool,
    total: usize,
    label: &'static str,
    last: Instant,
}

impl Progress {
    /// A bar for `total` bytes; silent unless `wanted`, stderr is a terminal and the work is
    /// big enough to be worth watching (4 MiB).
    pub fn new(label: &'static str, total: usize, wanted: bool) -> Progress {
        Progress {
            enabled: wanted && total >= 4 << 20 && std::io::stderr().is_terminal(),
            total,
            label,
            last: Instant::now(),
        }
    }

    /// Reports that `done` bytes are processed.
    #[inline]
    pub fn update(&mut self, done: usize) {
        if !self.enabled || self.last.elapsed() < Duration::from_millis(100) {
            return;
        }
        self.last = Instant::now();
        let share = done as f64 / self.total.max(1) as f64;
        let filled = (share * 30.0) as usize;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{}{}] {:5.1}%",
            self.label,
            "#".repeat(filled.min(30)),
            " ".repeat(30 - filled.min(30)),
            share * 100.0
        );
        let _ = err.flush();
    }

    /// Names the next step (`timing map…`) when the bar is shown; long corpora take a
    /// while per timed pass too.
    pub fn phase(&mut self, label: &'static str) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r{label}…", " ".repeat(self.label.len() + 40));
            let _ = err.flush();
        }
        self.label = label;
    }

    /// Clears the bar.
    pub fn finish(&mut self) {
        if self.enabled {
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{}\r", " ".repeat(self.label.len() + 40));
            let _ = err.flush();
        }
    }
}
