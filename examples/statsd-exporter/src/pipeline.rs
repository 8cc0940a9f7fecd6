//! The real backend: statsd-exporter-core's parse → map → record pipeline.
//!
//! PRE-CORE SKELETON: until statsd-exporter-core's pipeline lands this only counts lines
//! (`statsd_exporter_lines_total`) so that listeners, HTTP and lifecycle can be exercised.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::backend::Backend;
use crate::flags::Flags;

/// The metric pipeline behind the listeners.
pub struct Pipeline {
    lines: AtomicU64,
    mapping_config: Option<String>,
}

impl Pipeline {
    /// Builds the pipeline from the flags (loads the mapping file).
    ///
    /// # Errors
    /// The mapping file cannot be read or is invalid: every error, one per line.
    pub fn from_flags(flags: &Flags) -> Result<Pipeline, String> {
        if let Some(file) = &flags.mapping_config {
            std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}\n"))?;
        }
        Ok(Pipeline {
            lines: AtomicU64::new(0),
            mapping_config: flags.mapping_config.clone(),
        })
    }

    /// Explains which rule maps a line.
    pub fn explain(&self, line: &str) -> String {
        format!("{line}: no mapper yet\n")
    }
}

impl Backend for Pipeline {
    fn handle(&self, packets: &[&[u8]]) {
        let mut n = 0;
        for packet in packets {
            n += packet
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count() as u64;
        }
        self.lines.fetch_add(n, Ordering::Relaxed);
    }

    fn render(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(
            format!(
                "# HELP statsd_exporter_lines_total The total number of StatsD lines received.\n# TYPE statsd_exporter_lines_total counter\nstatsd_exporter_lines_total {}\n",
                self.lines.load(Ordering::Relaxed)
            )
            .as_bytes(),
        );
    }

    fn reload(&self) -> Result<(), String> {
        match &self.mapping_config {
            Some(file) => std::fs::read_to_string(file)
                .map(|_| ())
                .map_err(|e| format!("{file}: {e}")),
            None => Ok(()),
        }
    }
}
