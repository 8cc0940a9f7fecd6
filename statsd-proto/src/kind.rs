//! The vocabulary of StatsD metric types.

/// The metric type of a StatsD line: the text right after the first `|`.
///
/// This is the wire vocabulary shared by the whole crate family; `statsd-mapper`
/// groups these into the three classes its rules match on (counter, gauge, observer).
///
/// ```
/// use statsd_proto::MetricType;
///
/// assert_eq!(MetricType::from_bytes(b"ms"), Some(MetricType::Timer));
/// assert_eq!(MetricType::Timer.as_str(), "ms");
/// assert!(MetricType::Distribution.is_observer());
/// assert_eq!(MetricType::from_bytes(b"x"), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MetricType {
    /// `c`: a count to add.
    Counter,
    /// `g`: a gauge value, or a delta when the value is signed (`+4`, `-3`).
    Gauge,
    /// `ms`: a duration in milliseconds.
    Timer,
    /// `h`: a histogram observation.
    Histogram,
    /// `d`: a DogStatsD distribution observation.
    Distribution,
    /// `s`: a set member (parsed, but statsd_exporter cannot export sets).
    Set,
}

impl MetricType {
    /// Every metric type, in wire-letter order.
    pub const ALL: [MetricType; 6] = [
        MetricType::Counter,
        MetricType::Gauge,
        MetricType::Timer,
        MetricType::Histogram,
        MetricType::Distribution,
        MetricType::Set,
    ];

    /// Reads a type from its wire text (`c`, `g`, `ms`, `h`, `d`, `s`).
    ///
    /// Returns `None` for anything else, including `c\r` and upper case.
    #[inline]
    pub fn from_bytes(text: &[u8]) -> Option<Self> {
        match text {
            b"c" => Some(MetricType::Counter),
            b"g" => Some(MetricType::Gauge),
            b"ms" => Some(MetricType::Timer),
            b"h" => Some(MetricType::Histogram),
            b"d" => Some(MetricType::Distribution),
            b"s" => Some(MetricType::Set),
            _ => None,
        }
    }

    /// The wire text of this type.
    #[inline]
    pub fn as_str(self) -> &'static str {
        match self {
            MetricType::Counter => "c",
            MetricType::Gauge => "g",
            MetricType::Timer => "ms",
            MetricType::Histogram => "h",
            MetricType::Distribution => "d",
            MetricType::Set => "s",
        }
    }

    /// True for the types statsd_exporter turns into observations
    /// (`ms`, `h`, `d`): summaries or histograms on the Prometheus side.
    #[inline]
    pub fn is_observer(self) -> bool {
        matches!(
            self,
            MetricType::Timer | MetricType::Histogram | MetricType::Distribution
        )
    }
}

impl core::fmt::Display for MetricType {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}
