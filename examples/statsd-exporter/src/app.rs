//! The running exporter as the HTTP server and the signal thread see it: exposition,
//! reload with its outcome counter, and orderly exit.

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::backend::Backend;
use crate::http::Service;
use crate::listener::ListenerStats;
use crate::listener::udp;
use crate::log;
use crate::relay::Relay;

/// Shared state of the running process.
pub struct App {
    /// The metric pipeline.
    pub backend: Arc<dyn Backend>,
    /// Listener counters.
    pub stats: Arc<ListenerStats>,
    /// The relay, if `--statsd.relay.address` is set.
    pub relay: Option<Arc<Relay>>,
    /// `--statsd.mapping-config`, if any (no file: nothing to reload).
    pub mapping_config: Option<String>,
    /// The bound UDP port, for kernel drop counts.
    pub udp_port: Option<u16>,
    /// `--statsd.listen-unixgram`, removed on exit.
    pub unixgram_path: String,
    reloads_success: AtomicU64,
    reloads_failure: AtomicU64,
}

impl App {
    /// Assembles the state.
    pub fn new(
        backend: Arc<dyn Backend>,
        stats: Arc<ListenerStats>,
        relay: Option<Arc<Relay>>,
        mapping_config: Option<String>,
        udp_port: Option<u16>,
        unixgram_path: String,
    ) -> App {
        App {
            backend,
            stats,
            relay,
            mapping_config,
            udp_port,
            unixgram_path,
            reloads_success: AtomicU64::new(0),
            reloads_failure: AtomicU64::new(0),
        }
    }

    /// Reloads the mapping file, keeping the old mapping on failure; counts the outcome.
    pub fn reload_config(&self) {
        let Some(file) = &self.mapping_config else {
            log::warn(
                "Received reload request but no mapping config to reload",
                &[],
            );
            return;
        };
        log::info("Reloading mapping config", &[("file", file)]);
        match self.backend.reload() {
            Ok(()) => {
                self.reloads_success.fetch_add(1, Ordering::Relaxed);
                log::info("Mapping config reloaded", &[("file", file)]);
            }
            Err(error) => {
                self.reloads_failure.fetch_add(1, Ordering::Relaxed);
                log::error(
                    "Error reloading config; keeping the previous one",
                    &[("file", file), ("error", &error)],
                );
            }
        }
    }

    /// Removes the unixgram socket and exits.
    pub fn exit(&self, reason: &str) -> ! {
        log::info("Shutting down", &[("reason", &reason)]);
        crate::listener::unixgram::cleanup(&self.unixgram_path);
        std::process::exit(0)
    }

    /// The binary's own metrics: listeners, reloads, relay, build info, process.
    pub fn render_own(&self, out: &mut String) {
        let s = &self.stats;
        let counters: [(&str, &str, u64); 9] = [
            (
                "statsd_exporter_udp_packets_total",
                "The total number of StatsD packets received over UDP.",
                load(&s.udp_packets),
            ),
            (
                "statsd_exporter_udp_receive_errors_total",
                "UDP receive errors (the listener keeps running).",
                load(&s.udp_receive_errors),
            ),
            (
                "statsd_exporter_udp_truncated_packets_total",
                "UDP datagrams larger than the receive buffer, cut short.",
                load(&s.udp_truncated),
            ),
            (
                "statsd_exporter_tcp_connections_total",
                "The total number of TCP connections handled.",
                load(&s.tcp_connections),
            ),
            (
                "statsd_exporter_tcp_connection_errors_total",
                "The number of errors encountered reading from TCP.",
                load(&s.tcp_connection_errors),
            ),
            (
                "statsd_exporter_tcp_too_long_lines_total",
                "The number of lines discarded due to being too long.",
                load(&s.tcp_too_long_lines),
            ),
            (
                "statsd_exporter_tcp_connections_refused_total",
                "TCP connections closed at once because too many were open.",
                load(&s.tcp_connections_refused),
            ),
            (
                "statsd_exporter_unixgram_packets_total",
                "The total number of StatsD packets received over Unixgram.",
                load(&s.unixgram_packets),
            ),
            (
                "statsd_exporter_unixgram_receive_errors_total",
                "Unixgram receive errors (the listener keeps running).",
                load(&s.unixgram_receive_errors),
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}"
            );
        }
        let drops = self.udp_port.and_then(udp::kernel_drops).unwrap_or(0);
        let name = "statsd_exporter_udp_packet_drops_total";
        let _ = writeln!(
            out,
            "# HELP {name} The number of dropped statsd packets: UDP datagrams the kernel dropped because the receive buffer was full.\n# TYPE {name} counter\n{name} {drops}"
        );
        let name = "statsd_exporter_config_reloads_total";
        let _ = writeln!(
            out,
            "# HELP {name} The number of configuration reloads.\n# TYPE {name} counter\n{name}{{outcome=\"failure\"}} {}\n{name}{{outcome=\"success\"}} {}",
            load(&self.reloads_failure),
            load(&self.reloads_success)
        );
        if let Some(relay) = &self.relay {
            relay.render(out);
        }
        let name = "statsd_exporter_build_info";
        let _ = writeln!(
            out,
            "# HELP {name} A metric with a constant '1' value labeled by version and implementation.\n# TYPE {name} gauge\n{name}{{implementation=\"rust\",version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        );
        crate::process::render(out);
    }
}

fn load(counter: &AtomicU64) -> u64 {
    counter.load(Ordering::Relaxed)
}

impl Service for App {
    fn metrics(&self, _accept: &str) -> (&'static str, Vec<u8>) {
        let mut out = Vec::with_capacity(64 * 1024);
        self.backend.render(&mut out);
        let mut own = String::with_capacity(4096);
        self.render_own(&mut own);
        out.extend_from_slice(own.as_bytes());
        (crate::http::TEXT_FORMAT, out)
    }

    fn reload(&self) {
        self.reload_config();
    }

    fn quit(&self) {
        self.exit("quit requested over HTTP");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::testing::CountingBackend;

    #[test]
    fn reload_outcomes_are_counted_and_rendered() {
        let backend = Arc::new(CountingBackend::default());
        let app = App::new(
            backend.clone(),
            Arc::default(),
            None,
            Some("m.yml".into()),
            None,
            String::new(),
        );
        app.reload_config();
        *backend.fail_reload.lock().unwrap() = Some("m.yml:3:5: bad".into());
        app.reload_config();
        app.reload_config();
        let text = String::from_utf8(app.metrics("").1).unwrap();
        assert!(text.starts_with("test_lines_total 0\n"));
        assert!(text.contains("statsd_exporter_config_reloads_total{outcome=\"failure\"} 2\n"));
        assert!(text.contains("statsd_exporter_config_reloads_total{outcome=\"success\"} 1\n"));
        assert!(text.contains("statsd_exporter_udp_packets_total 0\n"));
        assert!(text.contains("statsd_exporter_build_info{"));
    }

    #[test]
    fn no_mapping_file_means_nothing_to_reload() {
        let app = App::new(
            Arc::new(CountingBackend::default()),
            Arc::default(),
            None,
            None,
            None,
            String::new(),
        );
        app.reload_config();
        let text = String::from_utf8(app.metrics("").1).unwrap();
        assert!(text.contains("statsd_exporter_config_reloads_total{outcome=\"success\"} 0\n"));
    }
}
