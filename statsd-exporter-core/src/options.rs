//! Observer options: how a summary or a histogram is built when its series is first created.

use std::time::Duration;

/// One summary objective: a quantile and the rank error allowed for it.
///
/// `Objective { quantile: 0.9, error: 0.01 }` means the reported value's rank lies within
/// `(0.9 ± 0.01) × n` of the `n` observations in the current window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Objective {
    /// The quantile, in `[0, 1]`.
    pub quantile: f64,
    /// The allowed rank error, in `[0, 1]`.
    pub error: f64,
}

/// How summaries are built, with client_golang's meaning for every field.
///
/// [`Default`] gives statsd_exporter's defaults: objectives `{0.5: 0.05, 0.9: 0.01, 0.99:
/// 0.001}`, `max_age` 10 minutes, 5 age buckets, `buf_cap` 500.
///
/// ```
/// use statsd_exporter_core::SummaryOptions;
/// let options = SummaryOptions::default();
/// assert_eq!(options.objectives.len(), 3);
/// assert_eq!(options.age_buckets, 5);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SummaryOptions {
    /// Quantiles to report with their allowed rank errors. Objectives outside `[0, 1]` or NaN
    /// are ignored.
    pub objectives: Vec<Objective>,
    /// The sliding window the quantiles cover. Zero means 10 minutes.
    pub max_age: Duration,
    /// How many rotating streams cover `max_age`. Zero means 5.
    pub age_buckets: u32,
    /// Observations buffered before they are merged into the streams. Zero means 500.
    pub buf_cap: u32,
}

impl SummaryOptions {
    /// client_golang's default window (`DefMaxAge`).
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(600);
    /// client_golang's default number of age buckets (`DefAgeBuckets`).
    pub const DEFAULT_AGE_BUCKETS: u32 = 5;
    /// client_golang's default buffer capacity (`DefBufCap`).
    pub const DEFAULT_BUF_CAP: u32 = 500;

    /// statsd_exporter's default objectives.
    pub fn default_objectives() -> Vec<Objective> {
        vec![
            Objective {
                quantile: 0.5,
                error: 0.05,
            },
            Objective {
                quantile: 0.9,
                error: 0.01,
            },
            Objective {
                quantile: 0.99,
                error: 0.001,
            },
        ]
    }
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            objectives: Self::default_objectives(),
            max_age: Self::DEFAULT_MAX_AGE,
            age_buckets: Self::DEFAULT_AGE_BUCKETS,
            buf_cap: Self::DEFAULT_BUF_CAP,
        }
    }
}

/// How histograms are built.
///
/// Only classic buckets are exposed: native histograms have no text representation, so the
/// native-histogram settings of statsd_exporter's configuration are accepted by the mapper
/// and ignored here.
///
/// ```
/// use statsd_exporter_core::HistogramOptions;
/// assert_eq!(HistogramOptions::default().buckets.len(), 11);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HistogramOptions {
    /// Upper bounds of the buckets. An empty list means [`HistogramOptions::DEFAULT_BUCKETS`].
    /// Bounds are sorted and deduplicated when the histogram is created; NaN and `+Inf` are
    /// dropped (the `+Inf` bucket is always present).
    pub buckets: Vec<f64>,
}

impl HistogramOptions {
    /// client_golang's `DefBuckets`.
    pub const DEFAULT_BUCKETS: [f64; 11] = [
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
}

impl Default for HistogramOptions {
    fn default() -> Self {
        HistogramOptions {
            buckets: Self::DEFAULT_BUCKETS.to_vec(),
        }
    }
}
