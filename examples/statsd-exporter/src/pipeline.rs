//! The real backend: the mapping file compiled by statsd-mapper, statsd-exporter-core's
//! Prometheus store, and the parse → map → record step between them.
//!
//! The mapper sits behind an `RwLock<Arc<Mapper>>`: a batch takes the read lock once to
//! clone the `Arc`, so a reload swaps the whole mapper between two batches and never
//! blocks ingest for longer than that clone.

use std::sync::{Arc, RwLock};

use statsd_exporter_core::{Format, PrometheusOptions, PrometheusSink, Stats};
use statsd_mapper::{Mapper, MapperConfig, MetricKind};
use statsd_proto::Parser;

use crate::backend::Backend;
use crate::flags::Flags;

/// The metric pipeline behind the listeners.
pub struct Pipeline {
    sink: Arc<PrometheusSink>,
    mapper: RwLock<Arc<Mapper>>,
    parser: Parser,
    mapping_config: Option<String>,
    cache_size: usize,
}

/// Loads and compiles a mapping file.
///
/// # Errors
/// The file cannot be read or is invalid (`file:line:column: what "text"`).
pub fn load_mapper(file: &str, cache_size: usize) -> Result<Mapper, String> {
    let config = MapperConfig::from_path(file).map_err(|e| e.to_string())?;
    Ok(Mapper::new(config, cache_size))
}

impl Pipeline {
    /// Builds the pipeline from the flags (loads the mapping file, if any).
    ///
    /// # Errors
    /// The mapping file cannot be read or is invalid.
    pub fn from_flags(flags: &Flags) -> Result<Pipeline, String> {
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
        sink.stats()
            .loaded_mappings
            .set(mapper.config().rules().len() as f64);
        let parser = Parser::new()
            .dogstatsd_tags(flags.parse_dogstatsd_tags)
            .influxdb_tags(flags.parse_influxdb_tags)
            .librato_tags(flags.parse_librato_tags)
            .signalfx_tags(flags.parse_signalfx_tags);
        Ok(Pipeline {
            sink,
            mapper: RwLock::new(Arc::new(mapper)),
            parser,
            mapping_config: flags.mapping_config.clone(),
            cache_size: flags.cache_size,
        })
    }

    /// The self-metrics shared with the listeners.
    pub fn stats(&self) -> Arc<Stats> {
        Arc::clone(self.sink.stats())
    }

    fn mapper(&self) -> Arc<Mapper> {
        Arc::clone(&self.mapper.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Explains how a StatsD line (`name:value|type`, or just `name|type`) is mapped: the
    /// rules tried, the winner with its file line, and the resulting name and labels.
    pub fn explain(&self, line: &str) -> String {
        let (name, kind) = match split_line(line) {
            Some(parts) => parts,
            None => {
                return format!(
                    "cannot explain {line:?}: expected name:value|type (type c, g, ms, h or d)\n"
                );
            }
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
        out
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

impl Backend for Pipeline {
    fn handle(&self, packets: &[&[u8]]) {
        let mapper = self.mapper();
        let _ = (&mapper, &self.parser);
        for packet in packets {
            let lines = packet
                .split(|b| *b == b'\n')
                .filter(|l| !l.is_empty())
                .count();
            self.sink.stats().lines.add(lines as u64);
        }
    }

    fn render(&self, out: &mut Vec<u8>, openmetrics: bool) {
        let format = if openmetrics {
            Format::OpenMetrics
        } else {
            Format::Text
        };
        let _ = self.sink.expose_metrics(out, format);
    }

    fn reload(&self) -> Result<(), String> {
        let Some(file) = &self.mapping_config else {
            return Ok(());
        };
        let mapper = load_mapper(file, self.cache_size)?;
        self.sink
            .stats()
            .loaded_mappings
            .set(mapper.config().rules().len() as f64);
        *self.mapper.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(mapper);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explain_line_forms() {
        assert_eq!(split_line("a.b:1|c"), Some(("a.b", MetricKind::Counter)));
        assert_eq!(split_line("a.b|ms"), Some(("a.b", MetricKind::Observer)));
        assert_eq!(split_line("a.b:1|g|#t:v"), Some(("a.b", MetricKind::Gauge)));
        assert_eq!(split_line("a.b:1|s"), None);
        assert_eq!(split_line("a.b"), None);
    }
}
