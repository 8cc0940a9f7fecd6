//! Histograms with classic cumulative buckets (client_golang semantics: an observation equal
//! to a bound falls into that bound's bucket; `+Inf` is implicit).

use std::sync::Arc;

use statsd_mapper::HistogramOptions;

/// Validated bucket bounds, shared by all series of a metric.
#[derive(Debug)]
pub(crate) struct HistogramConfig {
    pub(crate) bounds: Box<[f64]>,
}

impl HistogramConfig {
    pub(crate) fn new(options: &HistogramOptions) -> Arc<Self> {
        let source: &[f64] = if options.buckets.is_empty() {
            &statsd_mapper::DEFAULT_BUCKETS
        } else {
            &options.buckets
        };
        // client_golang panics on unsorted bounds and statsd_exporter does not validate them;
        // sorting and deduplicating keeps one bad mapping from taking the process down.
        let mut bounds: Vec<f64> = source
            .iter()
            .copied()
            .filter(|b| !b.is_nan() && *b != f64::INFINITY)
            .collect();
        bounds.sort_by(f64::total_cmp);
        bounds.dedup();
        Arc::new(HistogramConfig {
            bounds: bounds.into_boxed_slice(),
        })
    }
}

/// One histogram series: per-bucket (non-cumulative) counts, the last one for `+Inf`.
#[derive(Debug)]
pub(crate) struct HistogramState {
    counts: Box<[u64]>,
    count: u64,
    sum: f64,
}

impl HistogramState {
    pub(crate) fn new(config: &HistogramConfig) -> Self {
        HistogramState {
            counts: vec![0; config.bounds.len() + 1].into_boxed_slice(),
            count: 0,
            sum: 0.0,
        }
    }

    #[inline]
    pub(crate) fn observe(&mut self, config: &HistogramConfig, value: f64, count: u64) {
        let bucket = if value.is_nan() {
            config.bounds.len()
        } else {
            config.bounds.partition_point(|b| *b < value)
        };
        if let Some(c) = self.counts.get_mut(bucket) {
            *c = c.saturating_add(count);
        }
        self.count = self.count.saturating_add(count);
        self.sum += value * count as f64;
    }

    /// Cumulative bucket counts (one per bound, then `+Inf`) into `out`; returns (count, sum).
    pub(crate) fn snapshot(&self, out: &mut Vec<u64>) -> (u64, f64) {
        let mut running = 0u64;
        for c in self.counts.iter() {
            running = running.saturating_add(*c);
            out.push(running);
        }
        (self.count, self.sum)
    }

    pub(crate) fn heap_bytes(&self) -> usize {
        std::mem::size_of_val(&*self.counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_and_cumulative() {
        let c = HistogramConfig::new(&HistogramOptions {
            buckets: vec![1.0, 0.5, 1.0, f64::INFINITY, f64::NAN],
            ..HistogramOptions::default()
        });
        assert_eq!(&*c.bounds, &[0.5, 1.0]);
        let mut h = HistogramState::new(&c);
        for v in [0.5, 0.7, 1.0, 3.0, f64::NAN] {
            h.observe(&c, v, 1);
        }
        h.observe(&c, 0.1, 5);
        let mut out = Vec::new();
        let (count, _) = h.snapshot(&mut out);
        assert_eq!(out, vec![6, 8, 10]);
        assert_eq!(count, 10);
    }

    #[test]
    fn empty_bucket_list_means_default_buckets() {
        let c = HistogramConfig::new(&HistogramOptions {
            buckets: vec![],
            ..HistogramOptions::default()
        });
        assert_eq!(&*c.bounds, &statsd_mapper::DEFAULT_BUCKETS);
    }
}
