//! The real backend: the mapping file compiled by statsd-mapper, statsd-exporter-core's
//! [`Pipeline`] (parse → map → record, with statsd_exporter's
//! event rules and accounting) and its sharded Prometheus store.
//!
//! Every receive thread and TCP connection gets its own clone of the core pipeline (its
//! scratch buffers) and records a whole batch through one [`Recorder`] (one clock reading
//! per batch). A reload swaps the mapper for all clones at once; each picks it up at its
//! next packet. A housekeeping thread expires series past their TTL every second.
//!
//! [`Recorder`]: statsd_exporter_core::Recorder

use std::sync::{Arc, RwLock};
use std::time::Duration;

use statsd_exporter_core::{Format, Pipeline, PrometheusOptions, PrometheusSink, Stats};
use statsd_mapper::{Mapper, MapperConfig, MetricKind};
use statsd_proto::Parser;

use crate::backend::{Backend, Ingester};
use crate::flags::Flags;

/// The metric pipeline behind the listeners.
pub struct PrometheusBackend {
    sink: Arc<PrometheusSink>,
    pipeline: Pipeline,
    /// The mapper in force (the template `pipeline` only refreshes its copy when it
    /// processes a packet, which it never does).
    current: RwLock<Arc<Mapper>>,
    mapping_config: Option<String>,
    cache_size: usize,
}

/// Loads and compiles a mapping file.
///
/// # Errors
/// The file cannot be read or is invalid: every error the load found (each broken
/// mapping, see `statsd_mapper::Error::all`), one per line, as
/// `file:line:column: what "text"`.
pub fn load_mapper(file: &str, cache_size: usize) -> Result<Mapper, String> {
    let config = MapperConfig::from_path(file).map_err(|e| {
        e.all()
            .map(|e| e.to_string())
            .collect::<Vec<_>>()
            .join("\n")
    })?;
    Ok(Mapper::new(config, cache_size))
}

impl PrometheusBackend {
    /// Builds the pipeline from the flags (loads the mapping file, if any).
    ///
    /// # Errors
    /// The mapping file cannot be read or is invalid.
    pub fn from_flags(flags: &Flags) -> Result<PrometheusBackend, String> {
        let mapper = match &flags.mapping_config {
            Some(file) => load_mapper(file, flags.cache_size)?,
            None => Mapper::new(MapperConfig::empty(), flags.cache_size),
        };
        for warning in mapper.config().warnings() {
            crate::log::warn("mapping config warning", &[("warning", warning)]);
        }
        let options = PrometheusOptions {
            max_series: (flags.max_series > 0).then_some(flags.max_series),
            max_series_per_metric: (flags.max_series_per_metric > 0)
                .then_some(flags.max_series_per_metric),
            ..PrometheusOptions::default()
        };
        let sink = Arc::new(PrometheusSink::new(options));
        for name in crate::app::OWN_FAMILIES {
            sink.reserve_name(name);
        }
        sink.stats()
            .loaded_mappings
            .set(mapper.config().rules().len() as f64);
        // Events and service checks off: statsd_exporter counts them as bad lines.
        let parser = Parser::new()
            .dogstatsd_tags(flags.parse_dogstatsd_tags)
            .influxdb_tags(flags.parse_influxdb_tags)
            .librato_tags(flags.parse_librato_tags)
            .signalfx_tags(flags.parse_signalfx_tags)
            .events(false);
        let mapper = Arc::new(mapper);
        let pipeline = Pipeline::new(Arc::clone(&mapper), parser, Arc::clone(sink.stats()));
        Ok(PrometheusBackend {
            sink,
            pipeline,
            current: RwLock::new(mapper),
            mapping_config: flags.mapping_config.clone(),
            cache_size: flags.cache_size,
        })
    }

    /// The series store (for the remote writer).
    pub fn sink(&self) -> Arc<PrometheusSink> {
        Arc::clone(&self.sink)
    }

    /// The self-metrics shared with the listeners.
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(self.sink.stats())
    }

    fn mapper(&self) -> Arc<Mapper> {
        Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Starts the thread that removes series past their TTL, every second like
    /// statsd_exporter.
    pub fn spawn_expiry(&self) {
        let sink = Arc::clone(&self.sink);
        std::thread::Builder::new()
            .name("expire".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                    sink.expire();
                }
            })
            .expect("spawn expiry thread");
    }

    /// Explains how a StatsD line (`name:value|type`, or just `name|type`) is mapped: the
    /// rules tried, the winner with its file line, and the resulting name and labels.
    ///
    /// # Errors
    /// The line has no name or no type a mapping rule can match.
    pub fn explain(&self, line: &str) -> Result<String, String> {
        let Some((name, kind)) = split_line(line) else {
            return Err(format!(
                "cannot explain {line:?}: expected name:value|type (type c, g, ms, h or d)\n"
            ));
        };
        let mapper = self.mapper();
        let mut out = mapper.explain(name, kind).to_string();
        if !out.ends_with('\n') {
            out.push('\n');
        }
        let mut captures = statsd_mapper::Captures::new();
        let mapping = mapper.map(name, kind, &mut captures);
        let file = self
            .mapping_config
            .as_deref()
            .unwrap_or("(no mapping file)");
        match mapping.rule() {
            Some(rule) => {
                out.push_str(&format!(
                    "rule: {file}:{} ({:?})\n",
                    rule.line(),
                    mapping.action()
                ));
            }
            None => out.push_str("rule: none (unmapped: default naming)\n"),
        }
        let result_name =
            statsd_mapper::escape_metric_name(&mapping.name().to_string()).into_owned();
        let labels: Vec<String> = mapping
            .labels()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        out.push_str(&format!("result: {result_name}{{{}}}\n", labels.join(",")));
        Ok(out)
    }
}

/// `name:value|type…` or `name|type` → (name, kind).
fn split_line(line: &str) -> Option<(&str, MetricKind)> {
    let (head, rest) = line.split_once('|')?;
    let name = head.split_once(':').map_or(head, |(name, _)| name);
    let kind_text = rest.split('|').next()?;
    let metric_type = statsd_proto::MetricType::from_bytes(kind_text.as_bytes())?;
    Some((name, MetricKind::of(metric_type)?))
}

/// One thread's clone of the core pipeline and the store it records into.
struct PipelineIngester {
    pipeline: Pipeline,
    sink: Arc<PrometheusSink>,
}

impl Ingester for PipelineIngester {
    fn handle(&mut self, packets: &[&[u8]]) {
        // One clock reading, one mapper check and one flush of the counts per batch.
        self.pipeline
            .process_packets(packets, &mut self.sink.recorder());
    }
}

impl Backend for PrometheusBackend {
    fn ingester(&self) -> Box<dyn Ingester> {
        Box::new(PipelineIngester {
            pipeline: self.pipeline.clone(),
            sink: Arc::clone(&self.sink),
        })
    }

    fn render(&self, out: &mut Vec<u8>, openmetrics: bool) {
        let format = if openmetrics {
            Format::OpenMetrics
        } else {
            Format::Text
        };
        let cached = self.mapper().cached_len();
        self.sink.stats().mapper_cache_length.set(cached as f64);
        // Writing into a Vec cannot fail.
        let _ = self.sink.expose_metrics(out, format);
    }

    fn reload(&self) -> Result<(), String> {
        let Some(file) = &self.mapping_config else {
            return Ok(());
        };
        let mapper = load_mapper(file, self.cache_size)?;
        for warning in mapper.config().warnings() {
            crate::log::warn("mapping config warning", &[("warning", warning)]);
        }
        self.sink
            .stats()
            .loaded_mappings
            .set(mapper.config().rules().len() as f64);
        let mapper = Arc::new(mapper);
        self.pipeline.set_mapper(Arc::clone(&mapper));
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = mapper;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_are_recorded_and_the_cache_fills() {
        let dir =
            std::env::temp_dir().join(format!("statsd-exporter-pipeline-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("m.yml");
        std::fs::write(
            &file,
            "mappings:\n- match: app.*.hits\n  name: hits\n  labels: {page: \"$1\"}\n",
        )
        .unwrap();
        let args = [format!("--statsd.mapping-config={}", file.display())];
        let crate::flags::Command::Run(flags) = crate::flags::parse(args).unwrap() else {
            panic!()
        };
        let backend = PrometheusBackend::from_flags(&flags).unwrap();
        let mut ingester = backend.ingester();
        ingester.handle(&[
            b"app.home.hits:1|c\napp.home.hits:2|c",
            b"app.about.hits:1|c",
        ]);
        let mut out = Vec::new();
        backend.render(&mut out, false);
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("hits{page=\"home\"} 3\n"), "{text}");
        assert!(text.contains("hits{page=\"about\"} 1\n"), "{text}");
        assert_eq!(backend.mapper().cached_len(), 2);
        assert!(
            text.contains("statsd_metric_mapper_cache_length 2\n"),
            "{text}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn explain_line_forms() {
        assert_eq!(split_line("a.b:1|c"), Some(("a.b", MetricKind::Counter)));
        assert_eq!(split_line("a.b|ms"), Some(("a.b", MetricKind::Observer)));
        assert_eq!(split_line("a.b:1|g|#t:v"), Some(("a.b", MetricKind::Gauge)));
        assert_eq!(split_line("a.b:1|s"), None);
        assert_eq!(split_line("a.b"), None);
    }
}
