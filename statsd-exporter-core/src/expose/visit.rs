//! A read-only walk over every sample the exposition would write, for sinks that ship the
//! store's cumulative series elsewhere (remote write) instead of serving them as text.

use std::sync::Arc;

use crate::PrometheusSink;
use crate::expose::{KeyFields, unescape_field};
use crate::float::write_go_float;
use crate::store::family::{Family, FamilyKind};
use crate::store::shard::SeriesValue;

/// One sample as the text exposition writes it: a metric name with its suffix (`_bucket`,
/// `_sum`, `_count` or none), the series' labels, the `le` or `quantile` label of a bucket
/// or quantile sample, and the value. Given to the callback of
/// [`PrometheusSink::visit_samples`].
#[derive(Debug)]
pub struct SampleRef<'a> {
    name: &'a str,
    suffix: &'static str,
    labels: LabelsRef<'a>,
    extra: Option<(&'static str, &'a str)>,
    value: f64,
    metric_type: &'static str,
}

#[derive(Debug, Clone, Copy)]
enum LabelsRef<'a> {
    /// A series' labels: spans of name and value into `text` (decoded from the shard's
    /// label arena when the series was copied out).
    Series {
        text: &'a str,
        spans: &'a [LabelSpan],
    },
    Stat(&'a [(&'static str, String)]),
}

/// Where a label's name and value sit in the decoded label text of a shard.
#[derive(Debug, Clone, Copy)]
struct LabelSpan {
    name: (usize, usize),
    value: (usize, usize),
}

impl<'a> SampleRef<'a> {
    /// The metric (family) name, without suffix.
    pub fn name(&self) -> &'a str {
        self.name
    }

    /// `""`, `"_bucket"`, `"_sum"` or `"_count"`: the sample name is `name() + suffix()`.
    pub fn suffix(&self) -> &'static str {
        self.suffix
    }

    /// The series' labels, sorted by name, without the bucket or quantile label.
    pub fn labels(&self) -> impl ExactSizeIterator<Item = (&'a str, &'a str)> + Clone + use<'a> {
        match self.labels {
            LabelsRef::Series { text, spans } => Labels {
                text,
                series: spans.iter(),
                stat: [].iter(),
            },
            LabelsRef::Stat(labels) => Labels {
                text: "",
                series: [].iter(),
                stat: labels.iter(),
            },
        }
    }

    /// `("le", "0.005")` on a histogram bucket, `("quantile", "0.99")` on a summary
    /// quantile (values written as the text exposition writes them: `+Inf`, `1e-05`).
    pub fn extra_label(&self) -> Option<(&'static str, &'a str)> {
        self.extra
    }

    /// The sample value (cumulative for counters, buckets, `_sum` and `_count`).
    pub fn value(&self) -> f64 {
        self.value
    }

    /// `"counter"`, `"gauge"`, `"summary"` or `"histogram"`: the `# TYPE` of the family.
    pub fn metric_type(&self) -> &'static str {
        self.metric_type
    }
}

/// The labels of a series or of a self-metric sample.
#[derive(Clone)]
struct Labels<'a> {
    text: &'a str,
    series: std::slice::Iter<'a, LabelSpan>,
    stat: std::slice::Iter<'a, (&'static str, String)>,
}

impl<'a> Iterator for Labels<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        match self.series.next() {
            Some(span) => {
                let text = self.text;
                let part = |(from, to): (usize, usize)| text.get(from..to).unwrap_or_default();
                Some((part(span.name), part(span.value)))
            }
            None => self.stat.next().map(|(n, v)| (*n, v.as_str())),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.series.len() + self.stat.len();
        (n, Some(n))
    }
}

impl ExactSizeIterator for Labels<'_> {}

/// A sample of a stored series (a function, not a closure: each call borrows the bucket
/// or quantile text anew).
fn series_sample<'a>(
    family: &'a Family,
    labels: LabelsRef<'a>,
    suffix: &'static str,
    extra: Option<(&'static str, &'a str)>,
    value: f64,
) -> SampleRef<'a> {
    SampleRef {
        name: &family.name,
        suffix,
        labels,
        extra,
        value,
        metric_type: family.kind.type_name(),
    }
}

/// A series' values, copied out under its shard lock.
enum Values {
    Scalar(f64),
    Summary { count: u64, sum: f64, at: usize },
    Histogram { count: u64, sum: f64, at: usize },
}

impl PrometheusSink {
    /// Calls `visit` with every sample `/metrics` would show: every series (a histogram as
    /// its `_bucket{le}` samples, `_sum` and `_count`; a summary as its `{quantile}`
    /// samples, `_sum` and `_count`) and then the self-metrics, with the same names, labels
    /// and values as [`expose_metrics`](PrometheusSink::expose_metrics) in the text format,
    /// but in no particular order and without HELP.
    ///
    /// Each shard is locked only while its series are copied out (their label text is
    /// decoded into one buffer per shard), never while `visit` runs, so a slow visitor
    /// does not stall ingest.
    ///
    /// ```
    /// use statsd_exporter_core::{Pipeline, PrometheusSink};
    /// use statsd_mapper::Mapper;
    /// use statsd_proto::Parser;
    /// use std::sync::Arc;
    ///
    /// let sink = PrometheusSink::default();
    /// let mut pipeline = Pipeline::new(Arc::new(Mapper::empty()), Parser::new(), sink.stats().clone());
    /// pipeline.process_packet(b"jobs:2|c|#queue:mail\njobs:1|c|#queue:mail", &mut sink.recorder());
    ///
    /// let mut seen = Vec::new();
    /// sink.visit_samples(|sample| {
    ///     if sample.name() == "jobs" {
    ///         let labels: Vec<String> = sample.labels().map(|(n, v)| format!("{n}={v}")).collect();
    ///         seen.push((labels, sample.value()));
    ///     }
    /// });
    /// assert_eq!(seen, [(vec!["queue=mail".to_string()], 3.0)]);
    /// ```
    pub fn visit_samples(&self, mut visit: impl FnMut(&SampleRef<'_>)) {
        let now = self.now_for_scrape();
        // Per series: family, range of its label spans, values.
        let mut copied: Vec<(Arc<Family>, std::ops::Range<usize>, Values)> = Vec::new();
        let mut quantiles: Vec<f64> = Vec::new();
        let mut buckets: Vec<u64> = Vec::new();
        let mut label_bytes: Vec<u8> = Vec::new();
        let mut spans: Vec<LabelSpan> = Vec::new();
        let mut text = Vec::new();
        for shard in self.shards() {
            copied.clear();
            quantiles.clear();
            buckets.clear();
            label_bytes.clear();
            spans.clear();
            {
                let mut shard = shard.lock();
                let mut scratch = std::mem::take(&mut shard.scratch);
                let (series, arena) = shard.series_and_labels();
                for s in series {
                    let values = match (&mut s.value, &s.family.kind) {
                        (SeriesValue::Counter(v) | SeriesValue::Gauge(v), _) => Values::Scalar(*v),
                        (SeriesValue::Summary(state), FamilyKind::Summary(config)) => {
                            let at = quantiles.len();
                            let (count, sum) =
                                state.snapshot(config, now, &mut quantiles, &mut scratch);
                            Values::Summary { count, sum, at }
                        }
                        (SeriesValue::Histogram(state), _) => {
                            let at = buckets.len();
                            let (count, sum) = state.snapshot(&mut buckets);
                            Values::Histogram { count, sum, at }
                        }
                        // A summary value always belongs to a summary family.
                        (SeriesValue::Summary(_), _) => continue,
                    };
                    let first = spans.len();
                    let mut fields = KeyFields::new(arena.key(s.text));
                    while let (Some(name), Some(value)) = (fields.next(), fields.next()) {
                        let mut decode = |field: &[u8]| {
                            let from = label_bytes.len();
                            unescape_field(field, &mut label_bytes);
                            (from, label_bytes.len())
                        };
                        let name = decode(name);
                        let value = decode(value);
                        spans.push(LabelSpan { name, value });
                    }
                    copied.push((s.family.clone(), first..spans.len(), values));
                }
                shard.scratch = scratch;
            }
            // The arena holds valid UTF-8 split at ASCII bytes only, so this never fails.
            let label_text = std::str::from_utf8(&label_bytes).unwrap_or_default();
            for (family, labels, values) in &copied {
                let labels = LabelsRef::Series {
                    text: label_text,
                    spans: &spans[labels.clone()],
                };
                match (values, &family.kind) {
                    (Values::Scalar(v), _) => visit(&series_sample(family, labels, "", None, *v)),
                    (Values::Summary { count, sum, at }, FamilyKind::Summary(config)) => {
                        for (i, q) in config.quantiles.iter().enumerate() {
                            let value = quantiles.get(at + i).copied().unwrap_or(f64::NAN);
                            text.clear();
                            write_go_float(&mut text, *q);
                            let q = std::str::from_utf8(&text).unwrap_or("NaN");
                            visit(&series_sample(
                                family,
                                labels,
                                "",
                                Some(("quantile", q)),
                                value,
                            ));
                        }
                        visit(&series_sample(family, labels, "_sum", None, *sum));
                        visit(&series_sample(
                            family,
                            labels,
                            "_count",
                            None,
                            *count as f64,
                        ));
                    }
                    (Values::Histogram { count, sum, at }, FamilyKind::Histogram(config)) => {
                        for (i, bound) in config.bounds.iter().chain([&f64::INFINITY]).enumerate() {
                            let cumulative = buckets.get(at + i).copied().unwrap_or(0);
                            text.clear();
                            write_go_float(&mut text, *bound);
                            let le = std::str::from_utf8(&text).unwrap_or("+Inf");
                            visit(&series_sample(
                                family,
                                labels,
                                "_bucket",
                                Some(("le", le)),
                                cumulative as f64,
                            ));
                        }
                        visit(&series_sample(family, labels, "_sum", None, *sum));
                        visit(&series_sample(
                            family,
                            labels,
                            "_count",
                            None,
                            *count as f64,
                        ));
                    }
                    _ => {}
                }
            }
        }
        for family in self.stats().families(self.vectors_by_type()) {
            let metric_type = if family.counter { "counter" } else { "gauge" };
            for (labels, value) in &family.samples {
                visit(&SampleRef {
                    name: family.name,
                    suffix: "",
                    labels: LabelsRef::Stat(labels),
                    extra: None,
                    value: *value,
                    metric_type,
                });
            }
        }
    }
}
