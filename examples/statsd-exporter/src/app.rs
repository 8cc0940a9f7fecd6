//! The running exporter as the HTTP server and the signal thread see it: exposition,
//! reload with its outcome counter, and orderly exit.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::backend::Backend;
use crate::exposition::Families;
use crate::http::Service;
use crate::listener::ListenerStats;
use crate::listener::udp;
use crate::log;
use crate::relay::Relay;

/// The OpenMetrics content type.
const OPENMETRICS_FORMAT: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Shared state of the running process.
pub struct App {
    /// The metric pipeline.
    pub backend: Arc<dyn Backend>,
    /// Listener counters (and, through them, the pipeline's self-metrics).
    pub stats: Arc<ListenerStats>,
    /// The relay, if `--statsd.relay.address` is set.
    pub relay: Option<Arc<Relay>>,
    /// `--statsd.mapping-config`, if any (no file: nothing to reload).
    pub mapping_config: Option<String>,
    /// The bound UDP port, for kernel drop counts.
    pub udp_port: Option<u16>,
    /// `--statsd.listen-unixgram`, removed on exit.
    pub unixgram_path: String,
    /// `--web.enable-openmetrics`: answer OpenMetrics when the scraper asks for it.
    pub openmetrics: bool,
    /// Kernel drop count already added to `udp_packet_drops` (the kernel's is absolute).
    drops_seen: Mutex<u64>,
}

impl App {
    /// Assembles the state.
    pub fn new(
        backend: Arc<dyn Backend>,
        stats: Arc<ListenerStats>,
        relay: Option<Arc<Relay>>,
    ) -> App {
        App {
            backend,
            stats,
            relay,
            mapping_config: None,
            udp_port: None,
            unixgram_path: String::new(),
            openmetrics: false,
            drops_seen: Mutex::new(0),
        }
    }

    /// Reloads the mapping file, keeping the old mapping on failure; counts the outcome in
    /// `statsd_exporter_config_reloads_total{outcome}`.
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
                self.stats.core.config_reloads.add("success", 1);
                log::info("Mapping config reloaded", &[("file", file)]);
            }
            Err(error) => {
                self.stats.core.config_reloads.add("failure", 1);
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

    /// Brings `udp_packet_drops_total` up to the kernel's count for our port.
    fn refresh_kernel_drops(&self) {
        let Some(now) = self.udp_port.and_then(udp::kernel_drops) else {
            return;
        };
        let mut seen = self.drops_seen.lock().unwrap_or_else(|p| p.into_inner());
        if now > *seen {
            self.stats.core.udp_packet_drops.add(now - *seen);
            *seen = now;
        }
    }

    /// The binary's own metrics that the pipeline does not have: receive errors, refused
    /// connections, relay, process. Every family named here is in [`OWN_FAMILIES`].
    pub fn render_own(&self, families: &mut Families<'_>) {
        let s = &self.stats;
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed) as f64;
        let counters = [
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
                "statsd_exporter_tcp_connections_refused_total",
                "TCP connections closed at once because too many were open.",
                load(&s.tcp_connections_refused),
            ),
            (
                "statsd_exporter_tcp_idle_timeouts_total",
                "TCP connections closed because they sent nothing for --statsd.tcp-idle-timeout.",
                load(&s.tcp_idle_timeouts),
            ),
            (
                "statsd_exporter_tcp_long_lines_over_memory_total",
                "TCP lines longer than 64 KiB skipped because all connections together already held 64 MiB of such lines.",
                load(&s.tcp_long_lines_over_memory),
            ),
            (
                "statsd_exporter_unixgram_receive_errors_total",
                "Unixgram receive errors (the listener keeps running).",
                load(&s.unixgram_receive_errors),
            ),
            (
                "statsd_exporter_ingest_panics_total",
                "Batches dropped because processing them panicked (the listener carries on).",
                load(&s.ingest_panics),
            ),
        ];
        for (name, help, value) in counters {
            families.counter(name, help, &[("", value)]);
        }
        if let Some(relay) = &self.relay {
            relay.render(families);
        }
        let build = format!(
            "{{goarch=\"{}\",goos=\"{}\",version=\"{}\"}}",
            std::env::consts::ARCH,
            std::env::consts::OS,
            env!("CARGO_PKG_VERSION")
        );
        families.gauge(
            "statsd_exporter_build_info",
            "A metric with a constant '1' value labeled by version, goos and goarch.",
            &[(&build, 1.0)],
        );
        crate::process::render(families);
    }
}

/// Every metric family [`App::render_own`] can write (relay ones only with a relay). The
/// store reserves these names, so a client sending `process_cpu_seconds_total:1|c` gets a
/// counted conflict instead of a second family of that name on `/metrics`.
pub const OWN_FAMILIES: &[&str] = &[
    "statsd_exporter_udp_receive_errors_total",
    "statsd_exporter_udp_truncated_packets_total",
    "statsd_exporter_tcp_connections_refused_total",
    "statsd_exporter_tcp_idle_timeouts_total",
    "statsd_exporter_tcp_long_lines_over_memory_total",
    "statsd_exporter_unixgram_receive_errors_total",
    "statsd_exporter_ingest_panics_total",
    "statsd_exporter_relay_packets_total",
    "statsd_exporter_relay_long_lines_total",
    "statsd_exporter_relay_lines_relayed_total",
    "statsd_exporter_relay_send_errors_total",
    "statsd_exporter_build_info",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_open_fds",
];

/// True when the `Accept` header prefers OpenMetrics text.
fn wants_openmetrics(accept: &str) -> bool {
    accept
        .split(',')
        .any(|part| part.trim().starts_with("application/openmetrics-text"))
}

impl Service for App {
    fn metrics(&self, accept: &str) -> (&'static str, Vec<u8>) {
        self.refresh_kernel_drops();
        let openmetrics = self.openmetrics && wants_openmetrics(accept);
        let mut out = Vec::with_capacity(64 * 1024);
        self.backend.render(&mut out, openmetrics);
        if openmetrics && out.ends_with(b"# EOF\n") {
            out.truncate(out.len() - b"# EOF\n".len());
        }
        let mut own = String::with_capacity(4096);
        self.render_own(&mut Families::new(&mut own, openmetrics));
        out.extend_from_slice(own.as_bytes());
        if openmetrics {
            out.extend_from_slice(b"# EOF\n");
            (OPENMETRICS_FORMAT, out)
        } else {
            (crate::http::TEXT_FORMAT, out)
        }
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

    fn app(backend: Arc<CountingBackend>, mapping: Option<&str>) -> App {
        let mut app = App::new(backend, Arc::default(), None);
        app.mapping_config = mapping.map(String::from);
        app
    }

    #[test]
    fn reload_outcomes_are_counted() {
        let backend = Arc::new(CountingBackend::default());
        let app = app(backend.clone(), Some("m.yml"));
        app.reload_config();
        *backend.fail_reload.lock().unwrap() = Some("m.yml:3:5: bad".into());
        app.reload_config();
        app.reload_config();
        assert_eq!(app.stats.core.config_reloads.get("success"), 1);
        assert_eq!(app.stats.core.config_reloads.get("failure"), 2);
        let text = String::from_utf8(app.metrics("").1).unwrap();
        assert!(text.starts_with("test_lines_total 0\n"), "{text}");
        assert!(
            text.contains("\nstatsd_exporter_udp_receive_errors_total 0\n"),
            "{text}"
        );
        assert!(text.contains("\nprocess_cpu_seconds_total "), "{text}");
        assert!(
            text.contains("\nstatsd_exporter_build_info{goarch="),
            "{text}"
        );
    }

    #[test]
    fn every_family_the_binary_writes_is_reserved() {
        let app = app(Arc::new(CountingBackend::default()), None);
        let mut own = String::new();
        app.render_own(&mut Families::new(&mut own, false));
        let written: Vec<&str> = own
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|rest| rest.split(' ').next())
            .collect();
        assert!(written.len() >= 8, "{own}");
        for name in written {
            assert!(
                OWN_FAMILIES.contains(&name),
                "{name} is not in OWN_FAMILIES"
            );
        }
    }

    #[test]
    fn no_mapping_file_means_nothing_to_reload() {
        let app = app(Arc::new(CountingBackend::default()), None);
        app.reload_config();
        assert_eq!(app.stats.core.config_reloads.get("success"), 0);
        assert_eq!(app.stats.core.config_reloads.get("failure"), 0);
    }

    #[test]
    fn openmetrics_only_when_enabled_and_asked_for() {
        let mut app = app(Arc::new(CountingBackend::default()), None);
        let accept = "application/openmetrics-text;version=1.0.0,text/plain;q=0.5";
        assert_eq!(app.metrics(accept).0, crate::http::TEXT_FORMAT);
        app.openmetrics = true;
        assert_eq!(app.metrics("text/plain").0, crate::http::TEXT_FORMAT);
        let (content_type, body) = app.metrics(accept);
        assert_eq!(content_type, OPENMETRICS_FORMAT);
        let body = String::from_utf8(body).unwrap();
        assert!(body.ends_with("# EOF\n"), "{body}");
        assert_eq!(body.matches("# EOF").count(), 1);
        assert!(
            body.contains("# TYPE process_cpu_seconds counter\n"),
            "{body}"
        );
    }
}
