//! The three metric classes that mapping rules distinguish.

use statsd_proto::MetricType;

/// The class of a metric as far as mapping rules are concerned.
///
/// statsd_exporter's `match_metric_type` knows three classes: counters, gauges and
/// observers (timers, histograms and distributions all become observations). A
/// [`MetricType::Set`] has no class: statsd_exporter cannot export sets, so the mapper
/// never sees them; [`MetricKind::of`] returns `None` for it.
///
/// ```
/// use statsd_mapper::MetricKind;
/// use statsd_proto::MetricType;
///
/// assert_eq!(MetricKind::of(MetricType::Timer), Some(MetricKind::Observer));
/// assert_eq!(MetricKind::try_from(MetricType::Gauge).unwrap(), MetricKind::Gauge);
/// assert!(MetricKind::try_from(MetricType::Set).is_err());
/// assert_eq!(MetricKind::Observer.as_str(), "observer");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricKind {
    /// `c` lines.
    Counter,
    /// `g` lines.
    Gauge,
    /// `ms`, `h` and `d` lines.
    Observer,
}

impl MetricKind {
    /// The three classes, in the order used for indexing.
    pub const ALL: [MetricKind; 3] = [MetricKind::Counter, MetricKind::Gauge, MetricKind::Observer];

    /// The class of a wire metric type; `None` for sets.
    #[inline]
    pub const fn of(metric_type: MetricType) -> Option<MetricKind> {
        match metric_type {
            MetricType::Counter => Some(MetricKind::Counter),
            MetricType::Gauge => Some(MetricKind::Gauge),
            MetricType::Timer | MetricType::Histogram | MetricType::Distribution => {
                Some(MetricKind::Observer)
            }
            MetricType::Set => None,
        }
    }

    /// The spelling used by `match_metric_type` (`counter`, `gauge`, `observer`).
    #[inline]
    pub const fn as_str(self) -> &'static str {
        match self {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Observer => "observer",
        }
    }

    #[inline]
    pub(crate) const fn index(self) -> usize {
        self as usize
    }
}

impl TryFrom<MetricType> for MetricKind {
    type Error = crate::Error;

    /// Converts a wire type; fails with [`ErrorKind::UnsupportedMetricType`](crate::ErrorKind)
    /// for sets. Prefer [`MetricKind::of`] on hot paths: it cannot allocate.
    fn try_from(metric_type: MetricType) -> Result<Self, Self::Error> {
        MetricKind::of(metric_type).ok_or_else(|| crate::Error::unsupported_type(metric_type))
    }
}

impl core::fmt::Display for MetricKind {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
